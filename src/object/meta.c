/*
 * meta: the object store's metadata, the only code that runs SQL on the obj_* tables (engine.c
 * aside, for its own chores: garbage, recovery, meters), and their schema. As Redis's db.c is the
 * keyspace API, handlers call these named functions and never see a statement. A change runs in
 * one transaction with its audit record (meta_commit); a change to a bucket's contents or settings
 * first checks that the bucket is still the one the request was authorised on, so a bucket
 * deleted and created again meanwhile is not written into.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "object/object_int.h"

#include "meter/meter.h"
#include "object/engine.h"

static const struct migration object_migrations[] = {
    {1, "CREATE TABLE obj_buckets (name TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, app_id TEXT NOT NULL,"
        " region TEXT NOT NULL, acl TEXT NOT NULL DEFAULT 'private', tags TEXT, created INTEGER NOT NULL,"
        " objects INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
        " quota_objects INTEGER NOT NULL DEFAULT 0, quota_bytes INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX obj_buckets_owner ON obj_buckets (owner_uin, name);"
        /* WITHOUT ROWID: rows are stored in (bucket, key) order, so listing is a range scan. */
        "CREATE TABLE obj_objects (bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,"
        " etag TEXT NOT NULL, mtime INTEGER NOT NULL, content_type TEXT NOT NULL, headers TEXT, meta TEXT,"
        " tags TEXT, acl TEXT NOT NULL DEFAULT 'private', file TEXT NOT NULL, checksum TEXT,"
        " owner_uin TEXT NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID;"
        "CREATE INDEX obj_objects_file ON obj_objects (file);"
        "CREATE TABLE obj_uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,"
        " initiated INTEGER NOT NULL, content_type TEXT NOT NULL, headers TEXT, meta TEXT, tags TEXT,"
        " acl TEXT NOT NULL DEFAULT 'private', owner_uin TEXT NOT NULL, initiator TEXT NOT NULL,"
        " checksum_algo TEXT);"
        "CREATE INDEX obj_uploads_key ON obj_uploads (bucket, key, initiated);"
        "CREATE TABLE obj_parts (upload_id TEXT NOT NULL, part INTEGER NOT NULL, size INTEGER NOT NULL,"
        " etag TEXT NOT NULL, mtime INTEGER NOT NULL, file TEXT NOT NULL, checksum TEXT,"
        " PRIMARY KEY (upload_id, part));"
        "CREATE INDEX obj_parts_file ON obj_parts (file);"
        "CREATE TABLE obj_garbage (file TEXT PRIMARY KEY);"
        "CREATE TABLE obj_usage (bucket TEXT NOT NULL, day TEXT NOT NULL,"
        " get_requests INTEGER NOT NULL DEFAULT 0, put_requests INTEGER NOT NULL DEFAULT 0,"
        " other_requests INTEGER NOT NULL DEFAULT 0, bytes_in INTEGER NOT NULL DEFAULT 0,"
        " bytes_out INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (bucket, day));"
        "CREATE TABLE obj_account_quota (owner_uin TEXT PRIMARY KEY, quota_objects INTEGER NOT NULL DEFAULT 0,"
        " quota_bytes INTEGER NOT NULL DEFAULT 0);"},
    /* bucket_id: a bucket deleted and created again under its name is another bucket; refused
     * requests are counted apart from the billable ones */
    {2, "ALTER TABLE obj_buckets ADD COLUMN bucket_id TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE obj_usage ADD COLUMN refused_requests INTEGER NOT NULL DEFAULT 0;"},
    /* parts: the sizes of a completed multipart upload's parts, comma-separated (GET ?partNumber);
     * upload_id: the upload it completed (a repeated CompleteMultipartUpload answers 200 again);
     * public_block: the bucket's PublicAccessBlockConfiguration, four '0'/'1' (BlockPublicAcls,
     * IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets), NULL if none */
    {3, "ALTER TABLE obj_objects ADD COLUMN parts TEXT;"
        "ALTER TABLE obj_objects ADD COLUMN upload_id TEXT;"
        "ALTER TABLE obj_buckets ADD COLUMN public_block TEXT;"},
    /* versioning: '', 'Enabled' or 'Suspended'. obj_objects holds each key's current version (a
     * delete marker, marker = 1, included), obj_versions the older ones; seq orders a key's
     * versions (the current one has the highest), version_id is what S3 clients see ('null' for
     * what was written while the bucket was unversioned or suspended). */
    {4, "ALTER TABLE obj_buckets ADD COLUMN versioning TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE obj_objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';"
        "ALTER TABLE obj_objects ADD COLUMN marker INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE obj_objects ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
        "CREATE TABLE obj_versions (bucket TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,"
        " version_id TEXT NOT NULL, marker INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL,"
        " etag TEXT NOT NULL, mtime INTEGER NOT NULL, content_type TEXT NOT NULL, headers TEXT, meta TEXT,"
        " tags TEXT, acl TEXT NOT NULL DEFAULT 'private', file TEXT NOT NULL, checksum TEXT,"
        " owner_uin TEXT NOT NULL, parts TEXT, upload_id TEXT, PRIMARY KEY (bucket, key, seq));"
        "CREATE UNIQUE INDEX obj_versions_id ON obj_versions (bucket, key, version_id);"
        "CREATE INDEX obj_versions_file ON obj_versions (file);"},
};

int meta_migrate(struct store *s, char *err, size_t errlen)
{
    if (store_migrate(s, "object", object_migrations, sizeof object_migrations / sizeof object_migrations[0], err,
                      errlen) != 0)
        return -1;
    if (meta_config_migrate(s, err, errlen) != 0)
        return -1;
    if (meta_lock_migrate(s, err, errlen) != 0)
        return -1;
    return meta_sse_migrate(s, err, errlen);
}

void fail_store(struct rq *r)
{
    struct store *s = store_thread();
    log_error("object store: %s", s ? store_errmsg(s) : "no store connection");
    fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
}

char *dup_or_null(struct store_stmt *q, int col) { return store_is_null(q, col) ? NULL : strdup(store_text(q, col)); }

/* ---------------------------------------------------------------- transactions and audit */

/* The API's audit record with the same fields: the caller's account (for an anonymous caller, the
 * bucket owner's), the caller ("anonymous", or the key id an unknown key's signature named),
 * service "cos", the S3 operation, the qcs resource, and "Success" or the S3 error code. */
int audit(struct rq *r, const char *result)
{
    struct store *s = store_thread();
    if (!s)
        return -1;
    const struct op *o = r->op ? r->op : route(r, scope_of(r));
    char res[1400];
    cam_resource(r, r->have_bucket ? &r->b : NULL, r->bucket[0] ? r->bucket : NULL, r->key, res, sizeof res);
    const char *owner = r->who.owner_uin[0] ? r->who.owner_uin : r->have_bucket ? r->b.owner_uin : "";
    const char *user = r->who.user_uin[0] ? r->who.user_uin : r->unknown_key[0] ? r->unknown_key : "anonymous";
    struct audit_entry e = {.owner_uin = owner,
                            .user_uin = user,
                            .source_ip = r->source_ip,
                            .service = "cos",
                            .action = o ? o->name : r->method,
                            .resource = res,
                            .result = result,
                            .request_id = r->request_id,
                            .reason = r->reason};
    return audit_write(s, &e);
}

/* Commits the open transaction together with its audit record. 0, or -1 (rolled back, recorded). */
int meta_commit(struct rq *r)
{
    struct store *s = store_thread();
    if (audit(r, "Success") != 0 || store_commit(s) != STORE_OK) {
        store_rollback(s);
        fail_store(r);
        return -1;
    }
    r->audited = true;
    return 0;
}

void meta_rollback(void) { store_rollback(store_thread()); }

int meta_begin(struct rq *r)
{
    if (store_begin(store_thread()) != STORE_OK) {
        fail_store(r);
        return -1;
    }
    return 0;
}

/* GET/HEAD: the bucket and object rows in one read transaction (one snapshot, one round of locks);
 * opened and closed within one callback: the thread's connection serves other requests. */
void meta_read_begin(struct rq *r) { r->read_txn = store_exec(store_thread(), "BEGIN", "") >= 0; }

void end_read_txn(struct rq *r)
{
    if (r->read_txn)
        store_exec(store_thread(), "COMMIT", "");
    r->read_txn = false;
}

/* ---------------------------------------------------------------- buckets */

/* The columns bucket_fill reads, in its order (named by table: they are read beside other tables'). */
#define BUCKET_COLUMNS                                                                                                 \
    "obj_buckets.name, obj_buckets.owner_uin, obj_buckets.app_id, obj_buckets.region, obj_buckets.acl,"                \
    " obj_buckets.created, obj_buckets.objects, obj_buckets.bytes, obj_buckets.quota_objects,"                         \
    " obj_buckets.quota_bytes, obj_buckets.bucket_id, obj_buckets.public_block, obj_buckets.versioning,"               \
    " (SELECT COUNT(*) FROM obj_bucket_config c WHERE c.bucket_id = obj_buckets.bucket_id)"
#define BUCKET_NCOLUMNS 14

static void bucket_fill(struct store_stmt *q, struct bucket *b)
{
    str_copy(b->name, sizeof b->name, store_text(q, 0));
    str_copy(b->owner_uin, sizeof b->owner_uin, store_text(q, 1));
    str_copy(b->app_id, sizeof b->app_id, store_text(q, 2));
    str_copy(b->region, sizeof b->region, store_text(q, 3));
    str_copy(b->acl, sizeof b->acl, store_text(q, 4));
    b->created = store_int(q, 5);
    b->objects = store_int(q, 6);
    b->bytes = store_int(q, 7);
    b->quota_objects = store_int(q, 8);
    b->quota_bytes = store_int(q, 9);
    str_copy(b->id, sizeof b->id, store_text(q, 10));
    str_copy(b->public_block, sizeof b->public_block, store_is_null(q, 11) ? "" : store_text(q, 11));
    str_copy(b->versioning, sizeof b->versioning, store_text(q, 12));
    b->no_config = store_int(q, 13) == 0;
}

/* 1 found, 0 not, -1 error (not recorded). */
int load_bucket(const char *name, struct bucket *b)
{
    struct store_stmt *q =
        store_query(store_thread(), "SELECT " BUCKET_COLUMNS " FROM obj_buckets WHERE name = ?", "s", name);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        bucket_fill(q, b);
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* The bucket's row and its key's current version (a delete marker included) in one statement, so
 * one snapshot without a transaction around it. 1 bucket found (*object 1 with *o filled, objrow_free
 * it, or 0), 0 no bucket, -1 error (not recorded). */
int load_bucket_object(const char *name, const char *key, struct bucket *b, struct objrow *o, int *object)
{
    struct store_stmt *q = store_query(store_thread(),
                                       "SELECT " BUCKET_COLUMNS ", o.* FROM obj_buckets LEFT JOIN (SELECT bucket AS"
                                       " o_bucket, key AS o_key, " OBJROW_COLUMNS " FROM obj_objects) o"
                                       " ON o.o_bucket = obj_buckets.name AND o.o_key = ? WHERE obj_buckets.name = ?",
                                       "ss", key, name);
    if (!q)
        return -1;
    int rc = store_step(q);
    *object = 0;
    if (rc == 1) {
        bucket_fill(q, b);
        if (!store_is_null(q, BUCKET_NCOLUMNS)) {
            objrow_fill_at(q, BUCKET_NCOLUMNS + 2, o);
            *object = 1;
        }
    }
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* Inside the caller's transaction: is the bucket named r->bucket still the one the request was
 * authorised on (owner and creation id)? A bucket deleted and created again while a body streamed
 * in is another bucket. 0 yes (its current row in *now if given), -1 no (failure recorded). */
int same_bucket(struct rq *r, struct bucket *now)
{
    struct bucket b;
    int rc = load_bucket(r->bucket, &b);
    if (rc == 1 && strcmp(b.id, r->b.id) == 0 && strcmp(b.owner_uin, r->b.owner_uin) == 0) {
        if (now)
            *now = b;
        return 0;
    }
    if (rc < 0)
        fail_store(r);
    else
        fail(r, 404, "NoSuchBucket", "The specified bucket does not exist");
    return -1;
}

/* Opens the transaction a change to the authorised bucket runs in; r->b is its row as the
 * transaction sees it (versioning state, counters). 0, or -1 (recorded, nothing open). */
int meta_begin_bucket_change(struct rq *r)
{
    if (meta_begin(r) != 0)
        return -1;
    if (same_bucket(r, &r->b) != 0) {
        meta_rollback();
        return -1;
    }
    return 0;
}

/* The owner's buckets after `after` whose names start with prefix, in name order. 0, or -1. */
int meta_each_bucket(const char *owner, const char *after, const char *prefix, int64_t limit,
                     bool (*visit)(void *arg, const struct bucket_entry *e), void *arg)
{
    struct store_stmt *q = store_query(store_thread(),
                                       "SELECT name, created, region FROM obj_buckets WHERE owner_uin = ? AND name > ?"
                                       " AND substr(name, 1, CAST(? AS INTEGER)) = ? ORDER BY name LIMIT ?",
                                       "ssisi", owner, after, (int64_t)strlen(prefix), prefix, limit);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct bucket_entry e = {.name = store_text(q, 0), .created = store_int(q, 1), .region = store_text(q, 2)};
        if (!visit(arg, &e))
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

/* A new bucket owned by the caller, with its audit record; a lock bucket (lock) is versioned from
 * the start and has its ObjectLockConfiguration; ownership: its x-amz-object-ownership, NULL if
 * none. 0, STORE_CONSTRAINT (the name is taken; nothing recorded), or -1 (recorded). */
int meta_create_bucket(struct rq *r, const char *region, const char *acl, const char *id, bool lock,
                       const char *ownership)
{
    if (meta_begin(r) != 0)
        return -1;
    int rc = store_exec(store_thread(),
                        "INSERT INTO obj_buckets (name, owner_uin, app_id, region, acl, created, bucket_id, versioning)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        "sssssiss", r->bucket, r->who.owner_uin, r->who.app_id, region, acl, time_now(), id,
                        lock ? "Enabled" : "");
    if (rc >= 0 && lock)
        rc = store_exec(store_thread(), "INSERT INTO obj_bucket_config (bucket_id, kind, doc) VALUES (?, ?, ?)", "sss",
                        id, "object-lock", lock_bucket_document());
    /* x-amz-object-ownership: the bucket's ownership controls (meta_config.c's obj_bucket_config) */
    if (rc >= 0 && ownership)
        rc = store_exec(store_thread(),
                        "INSERT INTO obj_bucket_config (bucket_id, kind, doc) VALUES (?, 'ownership', ?)", "ss", id,
                        ownership);
    if (rc < 0) {
        meta_rollback();
        if (rc == STORE_CONSTRAINT)
            return STORE_CONSTRAINT;
        fail_store(r);
        return -1;
    }
    return meta_commit(r);
}

/* Files of uploads, and the uploads themselves, in the open transaction: of one upload
 * (upload_id) or of every upload of a bucket (bucket). */
int drop_uploads(const char *upload_id, const char *bucket)
{
    struct store *s = store_thread();
    const char *in = upload_id ? "SELECT upload_id FROM obj_uploads WHERE upload_id = ?"
                               : "SELECT upload_id FROM obj_uploads WHERE bucket = ?";
    const char *v = upload_id ? upload_id : bucket;
    char sql[300];
    snprintf(sql, sizeof sql,
             "INSERT INTO obj_garbage (file) SELECT file FROM obj_parts WHERE upload_id IN (%s)"
             " ON CONFLICT (file) DO NOTHING",
             in);
    if (store_exec(s, sql, "s", v) < 0)
        return -1;
    snprintf(sql, sizeof sql, "DELETE FROM obj_parts WHERE upload_id IN (%s)", in);
    if (store_exec(s, sql, "s", v) < 0)
        return -1;
    snprintf(sql, sizeof sql, "DELETE FROM obj_upload_lock WHERE upload_id IN (%s)", in); /* meta_lock.c's */
    if (store_exec(s, sql, "s", v) < 0)
        return -1;
    return store_exec(s,
                      upload_id ? "DELETE FROM obj_uploads WHERE upload_id = ?"
                                : "DELETE FROM obj_uploads WHERE bucket = ?",
                      "s", v) < 0
               ? -1
               : 0;
}

/* Deletes the authorised bucket if it holds no object; its uploads in progress go with it. 0, or
 * -1 (recorded: BucketNotEmpty, NoSuchBucket or a store failure). */
int meta_delete_bucket(struct rq *r)
{
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    struct store *s = store_thread();
    /* a bucket holding only old versions or delete markers is not empty either (S3) */
    struct store_stmt *q = store_query(s,
                                       "SELECT 1 FROM obj_objects WHERE bucket = ? UNION ALL"
                                       " SELECT 1 FROM obj_versions WHERE bucket = ? LIMIT 1",
                                       "ss", r->bucket, r->bucket);
    int has = q ? store_step(q) : -1;
    store_done(q);
    if (has != 0) {
        meta_rollback();
        if (has < 0)
            fail_store(r);
        else
            fail(r, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty.");
        return -1;
    }
    if (drop_uploads(NULL, r->bucket) != 0 ||
        store_exec(s, "DELETE FROM obj_buckets WHERE name = ?", "s", r->bucket) < 0 ||
        meter_stop(s, r->bucket, NULL, clock_now()) != 0) { /* an empty bucket stores nothing more */
        meta_rollback();
        fail_store(r);
        return -1;
    }
    return meta_commit(r);
}

/* The end of a one-row update (rc: rows changed, or a STORE_* error): committed with its audit
 * record if it changed a row, rolled back otherwise. Rows changed, or -1 (recorded). */
int finish_update(struct rq *r, int rc)
{
    if (rc <= 0) {
        meta_rollback();
        if (rc < 0)
            fail_store(r);
        return rc < 0 ? -1 : 0;
    }
    return meta_commit(r) == 0 ? rc : -1;
}

/* Sets one setting of the bucket the request was authorised on (and no other of its name). Rows
 * changed (0: the bucket is gone), or -1 (recorded). Committed with its audit record. */
int meta_set_bucket_column(struct rq *r, enum bucket_column column, const char *value)
{
    static const char *const sql[] = {
        [BUCKET_ACL] = "UPDATE obj_buckets SET acl = ? WHERE name = ? AND bucket_id = ? AND owner_uin = ?",
        [BUCKET_TAGS] = "UPDATE obj_buckets SET tags = ? WHERE name = ? AND bucket_id = ? AND owner_uin = ?",
        [BUCKET_PUBLIC_BLOCK] =
            "UPDATE obj_buckets SET public_block = ? WHERE name = ? AND bucket_id = ? AND owner_uin = ?",
        [BUCKET_VERSIONING] =
            "UPDATE obj_buckets SET versioning = ? WHERE name = ? AND bucket_id = ? AND owner_uin = ?",
    };
    if (meta_begin(r) != 0)
        return -1;
    int rc = store_exec(store_thread(), sql[column], "ssss", value, r->bucket, r->b.id, r->b.owner_uin);
    return finish_update(r, rc);
}

/* The bucket's tags as stored JSON (*tags, the caller frees). 1, 0 (none), -1 error (not recorded). */
int meta_bucket_tags(const char *bucket, char **tags)
{
    *tags = NULL;
    struct store_stmt *q =
        store_query(store_thread(), "SELECT tags FROM obj_buckets WHERE name = ? AND tags IS NOT NULL", "s", bucket);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1 && !(*tags = strdup(store_text(q, 0))))
        rc = -1;
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* ---------------------------------------------------------------- objects */

void objrow_free(struct objrow *o)
{
    free(o->parts);
    free(o->headers);
    free(o->meta);
    free(o->tags);
    free(o->sse);
    o->headers = o->meta = o->tags = o->parts = o->sse = NULL;
}

/* Fills *o from a row whose columns from base on are OBJROW_COLUMNS. */
void objrow_fill_at(struct store_stmt *q, int base, struct objrow *o)
{
    o->size = store_int(q, base);
    o->mtime = store_int(q, base + 1);
    str_copy(o->etag, sizeof o->etag, store_text(q, base + 2));
    str_copy(o->content_type, sizeof o->content_type, store_text(q, base + 3));
    str_copy(o->acl, sizeof o->acl, store_text(q, base + 4));
    str_copy(o->file, sizeof o->file, store_text(q, base + 5));
    str_copy(o->owner, sizeof o->owner, store_text(q, base + 6));
    str_copy(o->checksum, sizeof o->checksum, store_text(q, base + 7));
    o->headers = dup_or_null(q, base + 8);
    o->meta = dup_or_null(q, base + 9);
    o->tags = dup_or_null(q, base + 10);
    o->parts = dup_or_null(q, base + 11);
    snprintf(o->version_id, sizeof o->version_id, "%s", store_text(q, base + 12));
    o->marker = store_int(q, base + 13) != 0;
    o->seq = store_int(q, base + 14);
    o->sse = dup_or_null(q, base + 15);
}

/* Fills *o from a row whose first columns are OBJROW_COLUMNS. */
void objrow_fill(struct store_stmt *q, struct objrow *o) { objrow_fill_at(q, 0, o); }

/* The key's current version, a delete marker included. 1 found (*o filled; objrow_free it), 0
 * not, -1 error (not recorded). */
int load_object(const char *bucket, const char *key, struct objrow *o)
{
    struct store_stmt *q = store_query(
        store_thread(), "SELECT " OBJROW_COLUMNS " FROM obj_objects WHERE bucket = ? AND key = ?", "ss", bucket, key);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        objrow_fill(q, o);
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* Keys of a bucket in key order from `from` (included or not), at most limit rows, each handed to
 * visit until it returns false; a key whose current version is a delete marker is not there. 0, or -1. */
int meta_each_key(const char *bucket, const char *from, bool inclusive, int64_t limit,
                  bool (*visit)(void *arg, const struct entry *e), void *arg)
{
    struct store_stmt *q = inclusive ? store_query(store_thread(),
                                                   "SELECT key, size, etag, mtime, owner_uin FROM obj_objects"
                                                   " WHERE bucket = ? AND key >= ? AND marker = 0 ORDER BY key LIMIT ?",
                                                   "ssi", bucket, from, limit)
                                     : store_query(store_thread(),
                                                   "SELECT key, size, etag, mtime, owner_uin FROM obj_objects"
                                                   " WHERE bucket = ? AND key > ? AND marker = 0 ORDER BY key LIMIT ?",
                                                   "ssi", bucket, from, limit);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct entry e = {.key = (char *)store_text(q, 0), .size = store_int(q, 1), .mtime = store_int(q, 3)};
        snprintf(e.etag, sizeof e.etag, "%s", store_text(q, 2));
        snprintf(e.owner, sizeof e.owner, "%s", store_text(q, 4));
        if (!visit(arg, &e))
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}
