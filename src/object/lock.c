/*
 * lock: S3 Object Lock. A bucket created with x-amz-bucket-object-lock-enabled (or a versioned one
 * given an ObjectLockConfiguration) keeps versioning Enabled for good and may name a default
 * retention; each version may carry a retention (GOVERNANCE or COMPLIANCE until a date) and a legal
 * hold, set when it is written (x-amz-object-lock-* headers, else the bucket's default) or later
 * (?retention, ?legal-hold). A version under a legal hold, or retained until a date the business
 * clock has not reached, is not removed: COMPLIANCE by no one, GOVERNANCE only by a caller allowed
 * cos:BypassGovernanceRetention who sends x-amz-bypass-governance-retention: true. A COMPLIANCE
 * retention is never shortened nor weakened; a GOVERNANCE one only with the same bypass. Deleting
 * without a version id still makes a delete marker: it removes nothing. The rows are meta_lock.c's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "object/object_int.h"
#include "object/xmltree.h"

#define LOCK_KIND      "object-lock"
#define NO_LOCK_CONFIG "Bucket is missing Object Lock Configuration"

static bool valid_mode(const char *m) { return m && (!strcmp(m, "GOVERNANCE") || !strcmp(m, "COMPLIANCE")); }

/* ISO 8601 (2030-01-01T00:00:00Z, with fractions or an offset) -> ms since the epoch; -1 if not one. */
int64_t lock_parse_date(const char *s)
{
    struct tm tm = {0};
    int frac_ms = 0, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                     &tm.tm_sec, &n) != 6)
        return -1;
    const char *p = s + n;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        off = (hh * 60 + mm) * 60 * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    return ((int64_t)t - off) * 1000 + frac_ms;
}

/* The bucket's ObjectLockConfiguration document (*doc, the caller frees). 1, 0 (not a lock bucket),
 * -1 (recorded). */
static int bucket_lock(struct rq *r, const char *bucket_id, char **doc)
{
    int rc = meta_bucket_config(bucket_id, LOCK_KIND, doc);
    if (rc < 0)
        fail_store(r);
    return rc;
}

/* A lock bucket, or 400 InvalidRequest as S3 answers the lock operations on others. 0, or -1 (recorded). */
static int need_lock_bucket(struct rq *r)
{
    char *doc = NULL;
    int rc = bucket_lock(r, r->b.id, &doc);
    free(doc);
    if (rc == 0)
        fail(r, 400, "InvalidRequest", NO_LOCK_CONFIG);
    return rc == 1 ? 0 : -1;
}

/* Is the bucket a lock bucket? 1, 0, -1 (recorded). */
int lock_enabled(struct rq *r)
{
    char *doc = NULL;
    int rc = bucket_lock(r, r->b.id, &doc);
    free(doc);
    return rc;
}

const char *lock_bucket_document(void)
{
    return "<ObjectLockConfiguration xmlns=\"" S3_NS "\"><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
           "</ObjectLockConfiguration>";
}

/* A positive count of Days or Years: 0 ok, else the error code. */
static const char *period(const char *t, int64_t max, int64_t *out)
{
    char *end = NULL;
    long long v = t && *t ? strtoll(t, &end, 10) : 0;
    if (!t || !*t || *end)
        return "MalformedXML";
    if (v <= 0 || v > max)
        return "InvalidRetentionPeriod";
    *out = v;
    return NULL;
}

void op_put_object_lock_config(struct rq *r)
{
    struct xnode *root = xtree_parse(r->body.p, r->body.len);
    const char *code = NULL;
    const char *enabled = root ? xtree_text(root, "ObjectLockEnabled") : NULL;
    const struct xnode *rule = root ? xtree_child(root, "Rule") : NULL;
    const struct xnode *dr = rule ? xtree_child(rule, "DefaultRetention") : NULL;
    const char *mode = dr ? xtree_text(dr, "Mode") : NULL, *days = dr ? xtree_text(dr, "Days") : NULL,
               *years = dr ? xtree_text(dr, "Years") : NULL;
    int64_t n = 0;
    if (!root || strcmp(root->name, "ObjectLockConfiguration") != 0 || !enabled || strcmp(enabled, "Enabled") != 0 ||
        (rule && (!dr || !valid_mode(mode) || !days == !years)))
        code = "MalformedXML";
    else if (rule)
        code = days ? period(days, 36500, &n) : period(years, 100, &n);
    if (code) {
        fail(r, 400, code,
             !strcmp(code, "MalformedXML")
                 ? "The XML you provided was not well-formed or did not validate against our published schema."
                 : "The retention period must be a positive integer (at most 36500 days or 100 years).");
        xtree_free(root);
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 4096);
    xmlw_open_ns(&w, "ObjectLockConfiguration", S3_NS);
    xmlw_element(&w, "ObjectLockEnabled", "Enabled");
    if (rule) {
        xmlw_open(&w, "Rule");
        xmlw_open(&w, "DefaultRetention");
        xmlw_element(&w, "Mode", mode);
        xmlw_element_u64(&w, days ? "Days" : "Years", (uint64_t)n);
        xmlw_close(&w);
        xmlw_close(&w);
    }
    xtree_free(root);
    size_t len;
    const char *doc = xmlw_finish(&w, &len);
    /* a bucket becomes a lock bucket only while its versioning is Enabled (and stays one) */
    int on = doc ? lock_enabled(r) : -1;
    if (!doc)
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    else if (on == 0 && strcmp(r->b.versioning, "Enabled") != 0)
        fail(r, 409, "InvalidBucketState",
             "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");
    else if (on >= 0 && meta_set_bucket_config(r, LOCK_KIND, doc) == 1)
        send_empty(r, 200);
    xmlw_free(&w);
}

void op_get_object_lock_config(struct rq *r)
{
    char *doc = NULL;
    int rc = bucket_lock(r, r->b.id, &doc);
    if (rc == 0)
        fail(r, 404, "ObjectLockConfigurationNotFoundError",
             "Object Lock configuration does not exist for this bucket");
    else if (rc == 1)
        send_document(r, doc);
    free(doc);
}

/* The bucket's default retention, as a new version takes it at `now` (ms). */
static void default_retention(const char *doc, int64_t now, struct lock_settings *l)
{
    struct xnode *root = xtree_parse(doc, strlen(doc));
    const struct xnode *rule = root ? xtree_child(root, "Rule") : NULL;
    const struct xnode *dr = rule ? xtree_child(rule, "DefaultRetention") : NULL;
    const char *mode = dr ? xtree_text(dr, "Mode") : NULL, *days = dr ? xtree_text(dr, "Days") : NULL,
               *years = dr ? xtree_text(dr, "Years") : NULL;
    if (valid_mode(mode) && (days || years)) {
        int64_t d = days ? strtoll(days, NULL, 10) : strtoll(years, NULL, 10) * 365;
        snprintf(l->mode, sizeof l->mode, "%s", mode);
        l->until = now + d * 86400000;
    }
    xtree_free(root);
}

/* The x-amz-object-lock-* headers of a write (PutObject, CreateMultipartUpload, CopyObject) into
 * *l. 0, or -1 (recorded: 400 InvalidArgument). */
int lock_from_headers(struct rq *r, struct lock_settings *l)
{
    memset(l, 0, sizeof *l);
    const char *mode = hdr_amz(r, "object-lock-mode"), *until = hdr_amz(r, "object-lock-retain-until-date"),
               *hold = hdr_amz(r, "object-lock-legal-hold");
    if (!mode != !until) {
        fail(r, 400, "InvalidArgument",
             "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
        return -1;
    }
    if (mode && !valid_mode(mode)) {
        fail(r, 400, "InvalidArgument", "Unknown wormMode directive.");
        return -1;
    }
    if (until) {
        l->until = lock_parse_date(until);
        if (l->until < 0) {
            fail(r, 400, "InvalidArgument", "The retain until date must be provided in ISO 8601 format");
            return -1;
        }
        if (l->until <= now_ms()) {
            fail(r, 400, "InvalidArgument", "The retain until date must be in the future!");
            return -1;
        }
        snprintf(l->mode, sizeof l->mode, "%s", mode);
    }
    if (hold) {
        if (strcmp(hold, "ON") != 0 && strcmp(hold, "OFF") != 0) {
            fail(r, 400, "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'");
            return -1;
        }
        snprintf(l->hold, sizeof l->hold, "%s", hold);
    }
    return 0;
}

static bool asks(const struct lock_settings *l) { return l && (l->mode[0] || l->hold[0]); }

/* Before an upload is created: its lock headers need a lock bucket. 0, or -1 (recorded). */
int lock_check_request(struct rq *r, const struct lock_settings *l) { return asks(l) ? need_lock_bucket(r) : 0; }

/* In put_row's transaction, the new version vid of b: the lock its request (or its upload) asked
 * for, else the bucket's default retention. 0, or -1 (recorded). */
int lock_new_version(struct rq *r, const struct bucket *b, const char *vid, const struct new_object *n)
{
    struct lock_settings l = {0};
    if (asks(n->lock))
        l = *n->lock;
    else if (n->upload_id && meta_lock_upload_read(n->upload_id, &l) < 0) {
        fail_store(r);
        return -1;
    }
    if (!asks(&l) && strcmp(b->versioning, "Enabled") != 0)
        return 0; /* a lock bucket is always versioned: the others pay no lookup */
    char *doc = NULL;
    int rc = bucket_lock(r, b->id, &doc);
    if (rc == 0 && asks(&l))
        fail(r, 400, "InvalidRequest", NO_LOCK_CONFIG);
    if (rc != 1) {
        free(doc);
        return rc == 0 && !asks(&l) ? 0 : -1;
    }
    if (!l.mode[0])
        default_retention(doc, now_ms(), &l);
    free(doc);
    if (asks(&l) && meta_lock_write(b->name, r->key, vid, &l) != 0) {
        fail_store(r);
        return -1;
    }
    return 0;
}

/* x-amz-object-lock-* of a GET/HEAD answer for the version vid. */
void lock_headers(struct rq *r, const char *vid)
{
    struct lock_settings l;
    if (strcmp(r->b.versioning, "Enabled") != 0 || meta_lock_read(r->bucket, r->key, vid, &l) != 1)
        return;
    if (l.mode[0]) {
        char t[40];
        iso_ms(l.until, t);
        add_header(r, "x-amz-object-lock-mode", "%s", l.mode);
        add_header(r, "x-amz-object-lock-retain-until-date", "%s", t);
    }
    if (l.hold[0])
        add_header(r, "x-amz-object-lock-legal-hold", "%s", l.hold);
}

/* The caller sent x-amz-bypass-governance-retention: true and may use it. 1, 0 (AccessDenied
 * recorded), -1 (recorded). */
static int bypasses(struct rq *r, const char *key)
{
    const char *h = r->c ? hdr_amz(r, "bypass-governance-retention") : NULL; /* the lifecycle job never does */
    if (!h || strcasecmp(h, "true") != 0) {
        fail(r, 403, "AccessDenied", "Access Denied because object protected by object lock.");
        return 0;
    }
    /* asked as an operation of its own, so a policy keyed by operation finds s3:BypassGovernanceRetention */
    static const struct op bypass_op = {.name = "BypassGovernanceRetention",
                                        .method = "DELETE",
                                        .scope = SCOPE_OBJECT,
                                        .action = "cos:BypassGovernanceRetention",
                                        .mutates = true};
    const struct op *was = r->op;
    r->op = &bypass_op;
    int ok = authorize(r, bypass_op.action, &r->b, key, 0, NULL);
    r->op = was;
    return ok;
}

/* In a delete's transaction: may the version vid of key go? 0 yes, 1 no (403 AccessDenied
 * recorded), -1 error (recorded). */
int lock_refuses_removal(struct rq *r, const char *key, const char *vid)
{
    struct lock_settings l;
    if (strcmp(r->b.versioning, "Enabled") != 0)
        return 0;
    int rc = meta_lock_read(r->bucket, key, vid, &l);
    if (rc <= 0) {
        if (rc < 0)
            fail_store(r);
        return rc;
    }
    if (strcmp(l.hold, "ON") == 0) {
        fail(r, 403, "AccessDenied", "Access Denied because object protected by object lock.");
        return 1;
    }
    if (!l.mode[0] || l.until <= now_ms())
        return 0;
    if (strcmp(l.mode, "COMPLIANCE") == 0) {
        fail(r, 403, "AccessDenied", "Access Denied because object protected by object lock.");
        return 1;
    }
    rc = bypasses(r, key);
    return rc < 0 ? -1 : rc == 1 ? 0 : 1;
}

/* The version a ?retention or ?legal-hold request names, inside its transaction (vid out). 0, or
 * -1 (recorded; rolled back). */
static int target_version(struct rq *r, char vid[VERSION_ID_LEN + 8])
{
    struct objrow o = {0};
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    if (load_request_object(r, &o) != 0) {
        meta_rollback();
        return -1;
    }
    snprintf(vid, VERSION_ID_LEN + 8, "%s", o.version_id);
    objrow_free(&o);
    return 0;
}

/* Is the change from the version's lock `old` to retention `now` allowed? 0, or -1 (recorded). */
static int retention_change_allowed(struct rq *r, const struct lock_settings *old, const struct lock_settings *now)
{
    if (!old->mode[0] || old->until <= now_ms())
        return 0; /* none, or expired */
    bool weaker = !now->mode[0] || now->until < old->until || strcmp(now->mode, old->mode) != 0;
    if (!weaker)
        return 0;
    if (strcmp(old->mode, "COMPLIANCE") == 0) {
        fail(r, 403, "AccessDenied", "Access Denied because object protected by object lock.");
        return -1;
    }
    return bypasses(r, r->key) == 1 ? 0 : -1;
}

/* Writes the version's new retention (retention) or legal hold from *l, keeping the other. */
static void set_lock(struct rq *r, bool retention, const struct lock_settings *l)
{
    char vid[VERSION_ID_LEN + 8];
    if (target_version(r, vid) != 0)
        return;
    struct lock_settings cur;
    int rc = meta_lock_read(r->bucket, r->key, vid, &cur);
    if (rc < 0) {
        meta_rollback();
        fail_store(r);
        return;
    }
    if (retention && retention_change_allowed(r, &cur, l) != 0) {
        meta_rollback();
        return;
    }
    if (retention) {
        snprintf(cur.mode, sizeof cur.mode, "%s", l->mode);
        cur.until = l->mode[0] ? l->until : 0;
    } else {
        snprintf(cur.hold, sizeof cur.hold, "%s", l->hold);
    }
    if (meta_lock_write(r->bucket, r->key, vid, &cur) != 0) {
        meta_rollback();
        fail_store(r);
        return;
    }
    if (meta_commit(r) != 0)
        return;
    if (qhas(r, "versionId"))
        add_header(r, "x-amz-version-id", "%s", vid);
    send_empty(r, 200);
}

void op_put_object_retention(struct rq *r)
{
    if (need_lock_bucket(r) != 0)
        return;
    struct xnode *root = xtree_parse(r->body.p, r->body.len);
    const char *mode = root ? xtree_text(root, "Mode") : NULL,
               *date = root ? xtree_text(root, "RetainUntilDate") : NULL;
    struct lock_settings l = {0};
    if (!root || strcmp(root->name, "Retention") != 0 || !mode != !date || (mode && !valid_mode(mode)) ||
        (date && (l.until = lock_parse_date(date)) < 0)) {
        xtree_free(root);
        fail_malformed(r);
        return;
    }
    if (mode)
        snprintf(l.mode, sizeof l.mode, "%s", mode);
    xtree_free(root);
    if (mode && l.until <= now_ms()) {
        fail(r, 400, "InvalidArgument", "The retain until date must be in the future!");
        return;
    }
    set_lock(r, true, &l);
}

void op_put_object_legal_hold(struct rq *r)
{
    if (need_lock_bucket(r) != 0)
        return;
    struct xnode *root = xtree_parse(r->body.p, r->body.len);
    const char *status = root ? xtree_text(root, "Status") : NULL;
    struct lock_settings l = {0};
    if (!root || strcmp(root->name, "LegalHold") != 0 || !status ||
        (strcmp(status, "ON") != 0 && strcmp(status, "OFF") != 0)) {
        xtree_free(root);
        fail_malformed(r);
        return;
    }
    snprintf(l.hold, sizeof l.hold, "%s", status);
    xtree_free(root);
    set_lock(r, false, &l);
}

/* GetObjectRetention / GetObjectLegalHold. */
static void get_lock(struct rq *r, bool retention)
{
    if (need_lock_bucket(r) != 0)
        return;
    struct objrow o = {0};
    if (load_request_object(r, &o) != 0)
        return;
    struct lock_settings l;
    int rc = meta_lock_read(r->bucket, r->key, o.version_id, &l);
    objrow_free(&o);
    if (rc < 0) {
        fail_store(r);
        return;
    }
    if (retention ? !l.mode[0] : !l.hold[0]) {
        fail(r, 404, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration");
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 4096);
    if (retention) {
        char t[40];
        iso_ms(l.until, t);
        xmlw_open_ns(&w, "Retention", S3_NS);
        xmlw_element(&w, "Mode", l.mode);
        xmlw_element(&w, "RetainUntilDate", t);
    } else {
        xmlw_open_ns(&w, "LegalHold", S3_NS);
        xmlw_element(&w, "Status", l.hold);
    }
    send_xml(r, 200, &w);
}

void op_get_object_retention(struct rq *r) { get_lock(r, true); }
void op_get_object_legal_hold(struct rq *r) { get_lock(r, false); }
