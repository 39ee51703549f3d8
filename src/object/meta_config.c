/*
 * meta_config: a bucket's configuration documents (lifecycle, CORS) and the scans the lifecycle
 * job makes; meta.c's share for obj_bucket_config. A document is kept as the validated XML the
 * owner sent, keyed by the bucket's creation id (bucket_id), so a bucket deleted and created
 * again under its name starts without one. Its own migration component ("object_config"), so it
 * does not take a number of the object component's sequence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

static const struct migration config_migrations[] = {
    {1, "CREATE TABLE obj_bucket_config (bucket_id TEXT NOT NULL, kind TEXT NOT NULL, doc TEXT NOT NULL,"
        " PRIMARY KEY (bucket_id, kind));"},
};

int meta_config_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "object_config", config_migrations, sizeof config_migrations / sizeof config_migrations[0],
                         err, errlen);
}

/* The bucket's document of that kind (*doc, the caller frees). 1, 0 (none), -1 error (not recorded). */
int meta_bucket_config(const char *bucket_id, const char *kind, char **doc)
{
    *doc = NULL;
    struct store_stmt *q = store_query(
        store_thread(), "SELECT doc FROM obj_bucket_config WHERE bucket_id = ? AND kind = ?", "ss", bucket_id, kind);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1 && !(*doc = strdup(store_text(q, 0))))
        rc = -1;
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* The same by the bucket's name (the bucket as it is now). */
int meta_bucket_config_by_name(const char *bucket, const char *kind, char **doc)
{
    *doc = NULL;
    struct store_stmt *q = store_query(store_thread(),
                                       "SELECT c.doc FROM obj_buckets b JOIN obj_bucket_config c ON"
                                       " c.bucket_id = b.bucket_id WHERE b.name = ? AND c.kind = ?",
                                       "ss", bucket, kind);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1 && !(*doc = strdup(store_text(q, 0))))
        rc = -1;
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* Sets (doc) or removes (NULL) the authorised bucket's document, with the audit record. 1, or -1
 * (recorded: NoSuchBucket or a store failure). */
int meta_set_bucket_config(struct rq *r, const char *kind, const char *doc)
{
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    int rc = doc ? store_exec(store_thread(),
                              "INSERT INTO obj_bucket_config (bucket_id, kind, doc) VALUES (?, ?, ?)"
                              " ON CONFLICT (bucket_id, kind) DO UPDATE SET doc = excluded.doc",
                              "sss", r->b.id, kind, doc)
                 : store_exec(store_thread(), "DELETE FROM obj_bucket_config WHERE bucket_id = ? AND kind = ?", "ss",
                              r->b.id, kind);
    if (rc < 0) {
        meta_rollback();
        fail_store(r);
        return -1;
    }
    return meta_commit(r) == 0 ? 1 : -1;
}

/* Every bucket with a document of that kind: name and document. 0, or -1. */
int meta_each_configured_bucket(const char *kind, bool (*visit)(void *arg, const char *bucket, const char *doc),
                                void *arg)
{
    struct store_stmt *q = store_query(store_thread(),
                                       "SELECT b.name, c.doc FROM obj_bucket_config c JOIN obj_buckets b ON"
                                       " b.bucket_id = c.bucket_id WHERE c.kind = ? ORDER BY b.name",
                                       "s", kind);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1)
        if (!visit(arg, store_text(q, 0), store_text(q, 1)))
            break;
    store_done(q);
    return rc < 0 ? -1 : 0;
}

/* Current versions of a bucket after key `after`, in key order, delete markers included
 * (e->noncurrent: how many older versions the key has). 0, or -1. */
int meta_each_current(const char *bucket, const char *after, int64_t limit,
                      bool (*visit)(void *arg, const struct lc_entry *e), void *arg)
{
    struct store_stmt *q =
        store_query(store_thread(),
                    "SELECT o.key, o.version_id, o.size, o.mtime, o.tags, o.marker, o.seq,"
                    " (SELECT COUNT(*) FROM obj_versions v WHERE v.bucket = o.bucket AND v.key = o.key)"
                    " FROM obj_objects o WHERE o.bucket = ? AND o.key > ? ORDER BY o.key LIMIT ?",
                    "ssi", bucket, after, limit);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct lc_entry e = {.key = store_text(q, 0),
                             .version_id = store_text(q, 1),
                             .size = store_int(q, 2),
                             .since = store_int(q, 3),
                             .tags = store_is_null(q, 4) ? NULL : store_text(q, 4),
                             .marker = store_int(q, 5) != 0,
                             .seq = store_int(q, 6),
                             .noncurrent = store_int(q, 7)};
        if (!visit(arg, &e))
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

/* Older versions of a bucket after (key, below seq), in (key, newest first) order; e->since is
 * when each became noncurrent (the time the next newer version was written). 0, or -1. */
int meta_each_noncurrent(const char *bucket, const char *key, int64_t below_seq, int64_t limit,
                         bool (*visit)(void *arg, const struct lc_entry *e), void *arg)
{
    struct store_stmt *q = store_query(
        store_thread(),
        "SELECT v.key, v.version_id, v.size, COALESCE((SELECT w.mtime FROM obj_versions w WHERE w.bucket = v.bucket"
        " AND w.key = v.key AND w.seq > v.seq ORDER BY w.seq LIMIT 1), (SELECT o.mtime FROM obj_objects o"
        " WHERE o.bucket = v.bucket AND o.key = v.key), v.mtime), v.tags, v.marker, v.seq FROM obj_versions v"
        " WHERE v.bucket = ? AND (v.key > ? OR (v.key = ? AND v.seq < ?)) ORDER BY v.key, v.seq DESC LIMIT ?",
        "sssii", bucket, key, key, below_seq, limit);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct lc_entry e = {.key = store_text(q, 0),
                             .version_id = store_text(q, 1),
                             .size = store_int(q, 2),
                             .since = store_int(q, 3),
                             .tags = store_is_null(q, 4) ? NULL : store_text(q, 4),
                             .marker = store_int(q, 5) != 0,
                             .seq = store_int(q, 6)};
        if (!visit(arg, &e))
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

/* In the open transaction: the key's current version has this seq (it was not replaced since it
 * was scanned). 1 yes, 0 no, -1 error. */
int meta_current_is(const char *bucket, const char *key, int64_t seq)
{
    struct store_stmt *q = store_query(
        store_thread(), "SELECT 1 FROM obj_objects WHERE bucket = ? AND key = ? AND seq = ?", "ssi", bucket, key, seq);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc < 0 ? -1 : rc;
}
