/*
 * lifecycle_job: the expiry a bucket's lifecycle rules ask for, run as a job on billing's
 * controller, so on the business clock (`yun up --test-clock` + `yun admin clock --advance` move
 * it). S3's expiry instants are midnights UTC (an object's time plus the rule's days, rounded up to
 * the next midnight; a Date is a midnight), so one pass after each midnight is exact: the job runs
 * once per business day, and again if a pass did not finish. Every expiry is what the request
 * would be: a DeleteObject without a version id for current versions (a delete marker in a
 * versioned bucket), with one for noncurrent versions and expired delete markers, an
 * AbortMultipartUpload for old uploads; each in its own transaction with its audit record (user
 * "lifecycle"), re-checked there (a version replaced since the scan is not touched), and metered
 * as the request it stands for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/lifecycle.h"
#include "object/object_int.h"

#define LC_BATCH 1000

static const struct op expire_op = {
    .name = "DeleteObject", .method = "DELETE", .scope = SCOPE_OBJECT, .action = "cos:DeleteObject", .mutates = true};
static const struct op abort_op = {.name = "AbortMultipartUpload",
                                   .method = "DELETE",
                                   .scope = SCOPE_OBJECT,
                                   .action = "cos:AbortMultipartUpload",
                                   .mutates = true};

struct victim {
    char *key, *vid, *upload_id; /* vid NULL: the current version (seq) */
    int64_t seq;
};
struct batch {
    const struct lc_config *c;
    int64_t t;
    struct victim *v;
    size_t n;
    char *last_key, *last_uid;
    int64_t last_seq, rank;
    size_t seen;
};

static void add(struct batch *b, const char *key, const char *vid, const char *upload_id, int64_t seq)
{
    struct victim *v = realloc(b->v, (b->n + 1) * sizeof *v);
    if (!v)
        return;
    b->v = v;
    v[b->n++] = (struct victim){strdup(key), vid ? strdup(vid) : NULL, upload_id ? strdup(upload_id) : NULL, seq};
}

static void batch_reset(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].key);
        free(b->v[i].vid);
        free(b->v[i].upload_id);
    }
    free(b->v);
    b->v = NULL;
    b->n = 0;
    b->seen = 0;
}

static void note_position(struct batch *b, const char *key, int64_t seq)
{
    if (!b->last_key || strcmp(b->last_key, key) != 0) {
        free(b->last_key);
        b->last_key = strdup(key);
        b->rank = 0;
    }
    b->last_seq = seq;
    b->seen++;
}

static bool visit_current(void *arg, const struct lc_entry *e)
{
    struct batch *b = arg;
    note_position(b, e->key, e->seq);
    for (int i = 0; i < b->c->n; i++) {
        const struct lc_rule *r = &b->c->rules[i];
        if (!r->enabled)
            continue;
        if (e->marker) { /* a delete marker with nothing under it */
            if (r->exp_marker == 1 && e->noncurrent == 0 && !r->ntags && r->size_gt < 0 && r->size_lt < 0 &&
                strncmp(e->key, r->prefix, strlen(r->prefix)) == 0) {
                add(b, e->key, e->version_id, NULL, e->seq);
                return true;
            }
            continue;
        }
        int64_t at = r->exp_days ? lc_midnight(e->since / 1000 + r->exp_days * 86400) : r->exp_date;
        if ((r->exp_days || r->exp_date >= 0) && at <= b->t && lc_matches(r, e->key, e->size, e->tags)) {
            add(b, e->key, NULL, NULL, e->seq);
            return true;
        }
    }
    return true;
}

static bool visit_noncurrent(void *arg, const struct lc_entry *e)
{
    struct batch *b = arg;
    note_position(b, e->key, e->seq);
    int64_t rank = b->rank++; /* how many newer noncurrent versions the key has */
    for (int i = 0; i < b->c->n; i++) {
        const struct lc_rule *r = &b->c->rules[i];
        if (!r->enabled || (!r->nc_days && !r->nc_newer) || rank < r->nc_newer)
            continue;
        if (r->nc_days && lc_midnight(e->since / 1000 + r->nc_days * 86400) > b->t)
            continue;
        if (lc_matches(r, e->key, e->size, e->tags)) {
            add(b, e->key, e->version_id, NULL, e->seq);
            return true;
        }
    }
    return true;
}

static bool visit_upload(void *arg, const struct upload_entry *e)
{
    struct batch *b = arg;
    free(b->last_key);
    free(b->last_uid);
    b->last_key = strdup(e->key);
    b->last_uid = strdup(e->upload_id);
    b->seen++;
    for (int i = 0; i < b->c->n; i++) {
        const struct lc_rule *r = &b->c->rules[i];
        if (r->enabled && r->abort_days && lc_midnight(e->initiated / 1000 + r->abort_days * 86400) <= b->t &&
            strncmp(e->key, r->prefix, strlen(r->prefix)) == 0) {
            add(b, e->key, NULL, e->upload_id, 0);
            break;
        }
    }
    return true;
}

/* One expiry, as its request would be: transaction, checks, audit record, meter. */
static int expire(const struct bucket *bk, const struct victim *v)
{
    struct rq *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->method = "DELETE";
    r->source_ip = "";
    r->op = v->upload_id ? &abort_op : &expire_op;
    snprintf(r->bucket, sizeof r->bucket, "%s", bk->name);
    r->key = v->key;
    r->b = *bk;
    r->have_bucket = true;
    r->file.handle = -1;
    snprintf(r->who.owner_uin, sizeof r->who.owner_uin, "%s", bk->owner_uin);
    snprintf(r->who.user_uin, sizeof r->who.user_uin, "lifecycle");
    uint8_t raw[8];
    random_bytes(raw, sizeof raw);
    char hex[17];
    hex_encode(raw, sizeof raw, hex);
    snprintf(r->request_id, sizeof r->request_id, "LC%s", hex);
    int rc = meta_begin_bucket_change(r);
    if (rc == 0) {
        int still = v->upload_id ? 1 : v->vid ? 1 : meta_current_is(bk->name, v->key, v->seq);
        int done = still != 1 ? 0 : v->upload_id ? drop_uploads(v->upload_id, NULL) : meta_remove(r, v->key, v->vid);
        if (done != 0)
            still = done < 0 ? -1 : 0; /* 1: a locked version stays (object lock) */
        if (still == 1)
            rc = meta_commit(r);
        else
            meta_rollback();
        if (still < 0)
            rc = -1;
        if (still == 1 && rc == 0)
            engine_meter(bk->name, METER_OTHER, 0, 0);
    }
    r->key = NULL;
    free(r);
    return rc;
}

static int run_batch(const struct bucket *bk, struct batch *b)
{
    int rc = 0;
    for (size_t i = 0; i < b->n; i++)
        if (expire(bk, &b->v[i]) != 0)
            rc = -1;
    return rc;
}

static int expire_bucket(const char *name, const char *doc, int64_t t)
{
    struct bucket bk;
    struct lc_config c;
    const char *code, *msg;
    if (load_bucket(name, &bk) != 1 || lc_parse(doc, strlen(doc), &c, &code, &msg) != 0)
        return 0;
    struct batch b = {.c = &c, .t = t};
    int rc = 0;
    for (int pass = 0; pass < 3 && rc == 0; pass++) {
        free(b.last_key);
        b.last_key = strdup("");
        b.last_seq = INT64_MAX;
        b.rank = 0;
        do {
            batch_reset(&b);
            char *from = strdup(b.last_key ? b.last_key : ""), *uid = strdup(b.last_uid ? b.last_uid : "");
            int q = !from || !uid ? -1
                    : pass == 0   ? meta_each_current(name, from, LC_BATCH, visit_current, &b)
                    : pass == 1   ? meta_each_noncurrent(name, from, b.last_seq, LC_BATCH, visit_noncurrent, &b)
                                  : meta_each_upload(name, "", from, uid, LC_BATCH, visit_upload, &b);
            free(from);
            free(uid);
            if (q != 0 || run_batch(&bk, &b) != 0)
                rc = -1;
        } while (rc == 0 && b.seen == LC_BATCH);
    }
    batch_reset(&b);
    free(b.last_key);
    free(b.last_uid);
    lc_free(&c);
    return rc;
}

struct bucket_list {
    char **names, **docs;
    size_t n;
};

static bool collect(void *arg, const char *bucket, const char *doc)
{
    struct bucket_list *l = arg;
    char **n = realloc(l->names, (l->n + 1) * sizeof *n), **d = n ? realloc(l->docs, (l->n + 1) * sizeof *d) : NULL;
    if (n)
        l->names = n;
    if (!d)
        return false;
    l->docs = d;
    l->names[l->n] = strdup(bucket);
    l->docs[l->n++] = strdup(doc);
    return true;
}

int lifecycle_job(struct store *s, int64_t t)
{
    static int64_t done_day = -1; /* only the controller's thread runs jobs */
    (void)s;
    int64_t day = t / 86400;
    if (day == done_day)
        return 0;
    struct bucket_list l = {0};
    int rc = meta_each_configured_bucket("lifecycle", collect, &l);
    for (size_t i = 0; i < l.n; i++) {
        if (rc == 0 && expire_bucket(l.names[i], l.docs[i], t) != 0)
            rc = -1;
        free(l.names[i]);
        free(l.docs[i]);
    }
    free(l.names);
    free(l.docs);
    if (rc == 0)
        done_day = day;
    return rc;
}
