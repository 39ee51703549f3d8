/*
 * lifecycle: Put/Get/DeleteBucketLifecycle(Configuration) and the x-amz-expiration header. A
 * document is validated as S3 does (MalformedXML for the schema, InvalidArgument for values) and
 * stored rewritten, rules given IDs where they had none, in the shape it came in (a rule's
 * legacy <Prefix> or its <Filter>), so a GET returns what was put. The expiry itself is the job
 * of lifecycle_job.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "object/lifecycle.h"
#include "object/object_int.h"
#include "object/xmltree.h"

#define MALFORMED "The XML you provided was not well-formed or did not validate against our published schema."

static int bad(const char **code, const char **msg, const char *c, const char *m)
{
    *code = c;
    *msg = m;
    return -1;
}

/* A positive decimal integer. */
static bool positive(const char *s, int64_t *out)
{
    if (!s || !*s || strlen(s) > 12)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return v > 0;
}

static bool nonnegative(const char *s, int64_t *out)
{
    return s && (strcmp(s, "0") == 0 ? (*out = 0, true) : positive(s, out));
}

/* ISO 8601 at midnight UTC: 2017-09-27, 2017-09-27T00:00:00Z, ...T00:00:00.000Z, ...+00:00. */
static bool midnight_date(const char *s, int64_t *out)
{
    struct tm tm = {0};
    const char *e = s ? strptime(s, "%Y-%m-%d", &tm) : NULL;
    if (!e || strlen(s) < 10)
        return false;
    if (*e && strcmp(e, "T00:00:00Z") != 0 && strcmp(e, "T00:00:00.000Z") != 0 && strcmp(e, "T00:00:00+00:00") != 0 &&
        strcmp(e, "T00:00:00.000+00:00") != 0)
        return false;
    *out = (int64_t)timegm(&tm);
    return true;
}

static int parse_tag(const struct xnode *t, struct lc_rule *r, const char **code, const char **msg)
{
    const char *k = xtree_text(t, "Key"), *v = xtree_text(t, "Value");
    if (!k || !v || r->ntags >= LC_MAX_TAGS)
        return bad(code, msg, "MalformedXML", MALFORMED);
    for (int i = 0; i < r->ntags; i++)
        if (strcmp(r->tag_key[i], k) == 0)
            return bad(code, msg, "InvalidArgument", "Duplicate Tag Keys are not allowed.");
    r->tag_key[r->ntags] = strdup(k);
    r->tag_value[r->ntags++] = strdup(v);
    return 0;
}

static int parse_filter(const struct xnode *f, struct lc_rule *r, bool in_and, const char **code, const char **msg)
{
    int seen = 0;
    for (const struct xnode *c = f->first; c; c = c->next) {
        seen++;
        if (strcmp(c->name, "Prefix") == 0) {
            free(r->prefix);
            r->prefix = strdup(c->text ? c->text : "");
        } else if (strcmp(c->name, "Tag") == 0) {
            if (parse_tag(c, r, code, msg) != 0)
                return -1;
        } else if (strcmp(c->name, "ObjectSizeGreaterThan") == 0) {
            if (!nonnegative(c->text, &r->size_gt))
                return bad(code, msg, "InvalidArgument", "ObjectSizeGreaterThan must be a non-negative integer.");
        } else if (strcmp(c->name, "ObjectSizeLessThan") == 0) {
            if (!positive(c->text, &r->size_lt))
                return bad(code, msg, "InvalidArgument", "ObjectSizeLessThan must be a positive integer.");
        } else if (strcmp(c->name, "And") == 0 && !in_and) {
            r->filter_and = true;
            if (parse_filter(c, r, true, code, msg) != 0)
                return -1;
        } else {
            return bad(code, msg, "MalformedXML", MALFORMED);
        }
    }
    if (!in_and && seen > 1) /* a Filter holds one condition; several go in And */
        return bad(code, msg, "MalformedXML", MALFORMED);
    if (r->size_gt >= 0 && r->size_lt >= 0 && r->size_gt >= r->size_lt)
        return bad(code, msg, "InvalidArgument", "ObjectSizeGreaterThan must be less than ObjectSizeLessThan.");
    return 0;
}

static int parse_expiration(const struct xnode *e, struct lc_rule *r, const char **code, const char **msg)
{
    const char *days = xtree_text(e, "Days"), *date = xtree_text(e, "Date"),
               *marker = xtree_text(e, "ExpiredObjectDeleteMarker");
    int children = 0;
    for (const struct xnode *c = e->first; c; c = c->next, children++)
        if (strcmp(c->name, "Days") && strcmp(c->name, "Date") && strcmp(c->name, "ExpiredObjectDeleteMarker"))
            return bad(code, msg, "MalformedXML", MALFORMED);
    if (children != 1) /* exactly one of Days, Date, ExpiredObjectDeleteMarker */
        return bad(code, msg, "MalformedXML", MALFORMED);
    if (days && !positive(days, &r->exp_days))
        return bad(code, msg, "InvalidArgument", "'Days' for Expiration action must be a positive integer");
    if (date && !midnight_date(date, &r->exp_date))
        return bad(code, msg, "InvalidArgument", "'Date' must be at midnight GMT");
    if (marker) {
        if (strcmp(marker, "true") && strcmp(marker, "false"))
            return bad(code, msg, "MalformedXML", MALFORMED);
        r->exp_marker = strcmp(marker, "true") == 0;
        if (r->ntags)
            return bad(code, msg, "InvalidArgument",
                       "ExpiredObjectDeleteMarker cannot be specified with object tags filter.");
    }
    return 0;
}

static int parse_rule(const struct xnode *x, struct lc_rule *r, const char **code, const char **msg)
{
    r->size_gt = r->size_lt = r->exp_date = -1;
    r->exp_marker = -1;
    r->prefix = strdup("");
    const struct xnode *exp = NULL, *filter = NULL;
    for (const struct xnode *c = x->first; c; c = c->next) {
        const char *n = c->name;
        bool known = !strcmp(n, "ID") || !strcmp(n, "Status") || !strcmp(n, "Prefix") || !strcmp(n, "Filter") ||
                     !strcmp(n, "Expiration") || !strcmp(n, "NoncurrentVersionExpiration") ||
                     !strcmp(n, "AbortIncompleteMultipartUpload") || !strcmp(n, "Transition") ||
                     !strcmp(n, "NoncurrentVersionTransition");
        if (!known || (xtree_count(x, n) > 1 && strcmp(n, "Transition") && strcmp(n, "NoncurrentVersionTransition")))
            return bad(code, msg, "MalformedXML", MALFORMED);
    }
    const char *id = xtree_text(x, "ID"), *status = xtree_text(x, "Status");
    if (id && strlen(id) > 255)
        return bad(code, msg, "InvalidArgument", "ID length should not exceed allowed limit of 255");
    if (id && *id)
        snprintf(r->id, sizeof r->id, "%s", id);
    if (!status || (strcmp(status, "Enabled") && strcmp(status, "Disabled")))
        return bad(code, msg, "MalformedXML", MALFORMED);
    r->enabled = strcmp(status, "Enabled") == 0;
    const char *prefix = xtree_text(x, "Prefix");
    filter = xtree_child(x, "Filter");
    if (prefix && filter)
        return bad(code, msg, "MalformedXML", MALFORMED);
    if (prefix) {
        r->legacy_prefix = true;
        free(r->prefix);
        r->prefix = strdup(prefix);
    }
    if (filter) {
        r->has_filter = true;
        if (parse_filter(filter, r, false, code, msg) != 0)
            return -1;
    }
    if ((exp = xtree_child(x, "Expiration")) && parse_expiration(exp, r, code, msg) != 0)
        return -1;
    const struct xnode *nc = xtree_child(x, "NoncurrentVersionExpiration");
    if (nc) {
        const char *d = xtree_text(nc, "NoncurrentDays"), *k = xtree_text(nc, "NewerNoncurrentVersions");
        if (!d && !k)
            return bad(code, msg, "MalformedXML", MALFORMED);
        if (d && !positive(d, &r->nc_days))
            return bad(code, msg, "InvalidArgument",
                       "'NoncurrentDays' in NoncurrentVersionExpiration action must be"
                       " a positive integer");
        if (k && (!positive(k, &r->nc_newer) || r->nc_newer > 100))
            return bad(code, msg, "InvalidArgument", "'NewerNoncurrentVersions' must be an integer from 1 to 100");
    }
    const struct xnode *ab = xtree_child(x, "AbortIncompleteMultipartUpload");
    if (ab) {
        if (!positive(xtree_text(ab, "DaysAfterInitiation"), &r->abort_days))
            return bad(code, msg, "InvalidArgument", "'DaysAfterInitiation' must be a positive integer");
        if (r->ntags)
            return bad(code, msg, "InvalidArgument", "AbortIncompleteMultipartUpload cannot be specified with Tags.");
    }
    if (xtree_child(x, "Transition") || xtree_child(x, "NoncurrentVersionTransition"))
        return bad(code, msg, "InvalidStorageClass",
                   "Transitions are not supported: this store has one storage class (STANDARD).");
    if (!exp && !nc && !ab)
        return bad(code, msg, "InvalidRequest", "At least one action needs to be specified in a rule");
    return 0;
}

void lc_free(struct lc_config *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->rules[i].prefix);
        for (int j = 0; j < c->rules[i].ntags; j++) {
            free(c->rules[i].tag_key[j]);
            free(c->rules[i].tag_value[j]);
        }
    }
    free(c->rules);
    c->rules = NULL;
    c->n = 0;
}

int lc_parse(const char *xml, size_t len, struct lc_config *c, const char **code, const char **msg)
{
    memset(c, 0, sizeof *c);
    struct xnode *root = xtree_parse(xml, len);
    int n = root ? xtree_count(root, "Rule") : 0;
    if (!root || strcmp(root->name, "LifecycleConfiguration") != 0 || n == 0 || n > LC_MAX_RULES) {
        xtree_free(root);
        return bad(code, msg, "MalformedXML", MALFORMED);
    }
    for (const struct xnode *x = root->first; x; x = x->next)
        if (strcmp(x->name, "Rule") != 0) {
            xtree_free(root);
            return bad(code, msg, "MalformedXML", MALFORMED);
        }
    c->rules = calloc((size_t)n, sizeof *c->rules);
    int rc = c->rules ? 0 : bad(code, msg, "InternalError", "out of memory");
    for (const struct xnode *x = root->first; x && rc == 0; x = x->next) {
        struct lc_rule *r = &c->rules[c->n++];
        rc = parse_rule(x, r, code, msg);
        for (int i = 0; rc == 0 && r->id[0] && i < c->n - 1; i++)
            if (strcmp(c->rules[i].id, r->id) == 0)
                rc = bad(code, msg, "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule");
    }
    xtree_free(root);
    /* rules without an ID get one, as S3 gives them */
    for (int i = 0; rc == 0 && i < c->n; i++)
        if (!c->rules[i].id[0]) {
            uint8_t raw[12];
            char hex[25];
            random_bytes(raw, sizeof raw);
            hex_encode(raw, sizeof raw, hex);
            snprintf(c->rules[i].id, sizeof c->rules[i].id, "%s", hex);
        }
    if (rc != 0)
        lc_free(c);
    return rc;
}

int64_t lc_midnight(int64_t t) { return (t + 86399) / 86400 * 86400; }

bool lc_matches(const struct lc_rule *rule, const char *key, int64_t size, const char *tags_json)
{
    if (strncmp(key, rule->prefix, strlen(rule->prefix)) != 0)
        return false;
    if ((rule->size_gt >= 0 && !(size > rule->size_gt)) || (rule->size_lt >= 0 && !(size < rule->size_lt)))
        return false;
    if (!rule->ntags)
        return true;
    json_t *t = tags_json ? json_loads(tags_json, 0, NULL) : NULL;
    bool ok = t != NULL;
    for (int i = 0; ok && i < rule->ntags; i++) {
        const char *v = json_string_value(json_object_get(t, rule->tag_key[i]));
        ok = v && strcmp(v, rule->tag_value[i]) == 0;
    }
    json_decref(t);
    return ok;
}

static void write_filter_body(struct xmlw *w, const struct lc_rule *r)
{
    bool many = r->filter_and || (r->prefix[0] != 0) + r->ntags + (r->size_gt >= 0) + (r->size_lt >= 0) > 1;
    if (many)
        xmlw_open(w, "And");
    if (r->prefix[0] || (many && r->filter_and))
        xmlw_element(w, "Prefix", r->prefix);
    for (int i = 0; i < r->ntags; i++) {
        xmlw_open(w, "Tag");
        xmlw_element(w, "Key", r->tag_key[i]);
        xmlw_element(w, "Value", r->tag_value[i]);
        xmlw_close(w);
    }
    if (r->size_gt >= 0)
        xmlw_element_u64(w, "ObjectSizeGreaterThan", (uint64_t)r->size_gt);
    if (r->size_lt >= 0)
        xmlw_element_u64(w, "ObjectSizeLessThan", (uint64_t)r->size_lt);
    if (many)
        xmlw_close(w);
}

/* The configuration as it is stored and returned. */
static void write_config(struct xmlw *w, const struct lc_config *c)
{
    xmlw_open_ns(w, "LifecycleConfiguration", S3_NS);
    for (int i = 0; i < c->n; i++) {
        const struct lc_rule *r = &c->rules[i];
        xmlw_open(w, "Rule");
        xmlw_element(w, "ID", r->id);
        if (r->legacy_prefix)
            xmlw_element(w, "Prefix", r->prefix);
        else if (r->has_filter) {
            xmlw_open(w, "Filter");
            write_filter_body(w, r);
            xmlw_close(w);
        }
        xmlw_element(w, "Status", r->enabled ? "Enabled" : "Disabled");
        if (r->exp_days || r->exp_date >= 0 || r->exp_marker >= 0) {
            xmlw_open(w, "Expiration");
            if (r->exp_days)
                xmlw_element_u64(w, "Days", (uint64_t)r->exp_days);
            if (r->exp_date >= 0) {
                char d[40];
                iso_ms(r->exp_date * 1000, d);
                xmlw_element(w, "Date", d);
            }
            if (r->exp_marker >= 0)
                xmlw_element_bool(w, "ExpiredObjectDeleteMarker", r->exp_marker == 1);
            xmlw_close(w);
        }
        if (r->nc_days || r->nc_newer) {
            xmlw_open(w, "NoncurrentVersionExpiration");
            if (r->nc_days)
                xmlw_element_u64(w, "NoncurrentDays", (uint64_t)r->nc_days);
            if (r->nc_newer)
                xmlw_element_u64(w, "NewerNoncurrentVersions", (uint64_t)r->nc_newer);
            xmlw_close(w);
        }
        if (r->abort_days) {
            xmlw_open(w, "AbortIncompleteMultipartUpload");
            xmlw_element_u64(w, "DaysAfterInitiation", (uint64_t)r->abort_days);
            xmlw_close(w);
        }
        xmlw_close(w);
    }
    xmlw_close(w);
}

void op_put_bucket_lifecycle(struct rq *r)
{
    struct lc_config c;
    const char *code, *msg;
    if (lc_parse(r->body.p, r->body.len, &c, &code, &msg) != 0) {
        fail(r, strcmp(code, "InternalError") == 0 ? 500 : 400, code, msg);
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 4u << 20);
    write_config(&w, &c);
    lc_free(&c);
    size_t len;
    const char *doc = xmlw_finish(&w, &len);
    if (!doc)
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    else if (meta_set_bucket_config(r, "lifecycle", doc) == 1)
        send_empty(r, 200);
    xmlw_free(&w);
}

void op_get_bucket_lifecycle(struct rq *r)
{
    char *doc = NULL;
    int rc = meta_bucket_config(r->b.id, "lifecycle", &doc);
    if (rc < 0)
        fail_store(r);
    else if (rc == 0)
        fail(r, 404, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist");
    else
        send_document(r, doc);
    free(doc);
}

void op_delete_bucket_lifecycle(struct rq *r)
{
    if (meta_set_bucket_config(r, "lifecycle", NULL) == 1)
        send_empty(r, 204);
}

/* x-amz-expiration on PUT/GET/HEAD of an object an enabled expiration rule matches: the earliest
 * such rule's day. One point query on the bucket's configuration. */
void lifecycle_header(struct rq *r, const char *bucket_id, int64_t mtime_ms, int64_t size, const char *tags)
{
    char *doc = NULL;
    /* in a GET, the bucket row of the same snapshot tells if there is any document */
    if (!r->key || (r->snapshot && r->b.no_config && strcmp(bucket_id, r->b.id) == 0) ||
        meta_bucket_config(bucket_id, "lifecycle", &doc) != 1)
        return;
    struct lc_config c;
    const char *code, *msg;
    int rc = lc_parse(doc, strlen(doc), &c, &code, &msg);
    free(doc);
    if (rc != 0)
        return;
    int64_t best = -1;
    const char *id = NULL;
    for (int i = 0; i < c.n; i++) {
        const struct lc_rule *x = &c.rules[i];
        if (!x->enabled || (!x->exp_days && x->exp_date < 0) || !lc_matches(x, r->key, size, tags))
            continue;
        int64_t at = x->exp_days ? lc_midnight(mtime_ms / 1000 + x->exp_days * 86400) : x->exp_date;
        if (best < 0 || at < best) {
            best = at;
            id = x->id;
        }
    }
    if (id) {
        char d[40];
        http_date(best, d);
        add_header(r, "x-amz-expiration", "expiry-date=\"%s\", rule-id=\"%s\"", d, id);
    }
    lc_free(&c);
}
