/*
 * meta_upload: the multipart uploads' share of meta.c (tables obj_uploads and obj_parts): the
 * statements of CreateMultipartUpload, UploadPart(Copy), Complete, Abort and their listings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

/* A new upload of the request's key with the settings the object will have. 0, or -1 (recorded). */
int meta_create_upload(struct rq *r, const char *id, const struct new_object *n, const char *initiator,
                       const char *algo)
{
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    if (store_exec(store_thread(),
                   "INSERT INTO obj_uploads (upload_id, bucket, key, initiated, content_type, headers, meta, tags,"
                   " acl, owner_uin, initiator, checksum_algo, sse) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "sssisssssssss", id, r->bucket, r->key, now_ms(), n->content_type, n->headers, n->meta, n->tags,
                   n->acl, n->owner ? n->owner : r->b.owner_uin, initiator, algo, n->sse) < 0 ||
        ((n->lock && (n->lock->mode[0] || n->lock->hold[0])) && meta_lock_upload_write(id, n->lock) != 0)) {
        meta_rollback();
        fail_store(r);
        return -1;
    }
    return meta_commit(r);
}

/* The upload named by ?uploadId must exist for this bucket and key. 1 yes, 0 no (recorded), -1 error. */
int check_upload(struct rq *r)
{
    struct store_stmt *q =
        store_query(store_thread(), "SELECT 1 FROM obj_uploads WHERE upload_id = ? AND bucket = ? AND key = ?", "sss",
                    qget(r, "uploadId"), r->bucket, r->key);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    if (rc < 0) {
        fail_store(r);
        return -1;
    }
    if (rc == 0)
        fail(r, 404, "NoSuchUpload",
             "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
             "or completed.");
    return rc;
}

/* Records a synced part file; replaces (and garbage-collects) an earlier upload of the same number. */
int commit_part(struct rq *r, int number, int64_t size, const char *etag, const char *checksum)
{
    struct store *s = store_thread();
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    if (check_upload(r) != 1) {
        meta_rollback();
        return -1;
    }
    const char *uid = qget(r, "uploadId");
    struct store_stmt *q =
        store_query(s, "SELECT file FROM obj_parts WHERE upload_id = ? AND part = ?", "si", uid, (int64_t)number);
    char old[ENGINE_ID_LEN + 8] = "";
    if (q && store_step(q) == 1)
        snprintf(old, sizeof old, "%s", store_text(q, 0));
    store_done(q);
    if (!q ||
        store_exec(s,
                   "INSERT INTO obj_parts (upload_id, part, size, etag, mtime, file, checksum)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)"
                   " ON CONFLICT (upload_id, part) DO UPDATE SET size = excluded.size, etag = excluded.etag,"
                   " mtime = excluded.mtime, file = excluded.file, checksum = excluded.checksum",
                   "siisiss", uid, (int64_t)number, size, etag, now_ms(), r->file.id, checksum) < 0 ||
        (old[0] && engine_garbage(s, old) != 0)) {
        meta_rollback();
        fail_store(r);
        return -1;
    }
    if (meta_commit(r) != 0)
        return -1;
    engine_publish(r->file.id);
    r->file.id[0] = 0;
    return 0;
}

/* The object this upload already completed, if it is still there: 1 (its ETag), 0, -1 (recorded). */
int meta_completed_etag(struct rq *r, char etag[80], char checksum[96])
{
    struct store_stmt *q = store_query(
        store_thread(), "SELECT etag, checksum FROM obj_objects WHERE bucket = ? AND key = ? AND upload_id = ?", "sss",
        r->bucket, r->key, qget(r, "uploadId"));
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        snprintf(etag, 80, "%s", store_text(q, 0));
        snprintf(checksum, 96, "%s", store_is_null(q, 1) ? "" : store_text(q, 1));
    }
    store_done(q);
    if (rc < 0)
        fail_store(r);
    return rc < 0 ? -1 : rc;
}

void upload_row_free(struct upload_row *u)
{
    free(u->content_type);
    free(u->headers);
    free(u->meta);
    free(u->tags);
    memset(u, 0, sizeof *u);
}

/* The settings of the upload named by ?uploadId. 0, or -1 (recorded). */
int meta_upload_settings(struct rq *r, struct upload_row *u)
{
    struct store_stmt *q =
        store_query(store_thread(),
                    "SELECT content_type, headers, meta, tags, acl, checksum_algo, owner_uin FROM obj_uploads"
                    " WHERE upload_id = ?",
                    "s", qget(r, "uploadId"));
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        u->content_type = strdup(store_text(q, 0));
        u->headers = dup_or_null(q, 1);
        u->meta = dup_or_null(q, 2);
        u->tags = dup_or_null(q, 3);
        snprintf(u->acl, sizeof u->acl, "%s", store_text(q, 4));
        snprintf(u->algo, sizeof u->algo, "%s", store_is_null(q, 5) ? "" : store_text(q, 5));
        snprintf(u->owner, sizeof u->owner, "%s", store_text(q, 6));
    }
    store_done(q);
    if (rc != 1 || !u->content_type) {
        fail_store(r);
        return -1;
    }
    return 0;
}

/* Part `number` of an upload: 1 (size, etag, file filled), 0 none, -1 error (not recorded). */
int meta_part(const char *upload_id, int number, int64_t *size, char etag[40], char file[ENGINE_ID_LEN + 8])
{
    struct store_stmt *q =
        store_query(store_thread(), "SELECT size, etag, file FROM obj_parts WHERE upload_id = ? AND part = ?", "si",
                    upload_id, (int64_t)number);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        *size = store_int(q, 0);
        snprintf(etag, 40, "%s", store_text(q, 1));
        snprintf(file, ENGINE_ID_LEN + 8, "%s", store_text(q, 2));
    }
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* The checksum stored with part `number` ("sha256:<base64>"; "" if none). 1, 0 no such part, -1 error. */
int meta_part_checksum(const char *upload_id, int number, char checksum[96])
{
    struct store_stmt *q =
        store_query(store_thread(), "SELECT checksum FROM obj_parts WHERE upload_id = ? AND part = ?", "si", upload_id,
                    (int64_t)number);
    int rc = q ? store_step(q) : -1;
    checksum[0] = 0;
    if (rc == 1 && !store_is_null(q, 0))
        snprintf(checksum, 96, "%s", store_text(q, 0));
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* The upload becomes the object n (its assembled file synced in tmp/): the object row replaces any
 * other, the upload and its parts go, all in one transaction; then the file is published. 0, or
 * -1 (recorded). */
int meta_complete_upload(struct rq *r, const struct new_object *n)
{
    if (meta_begin(r) != 0)
        return -1;
    if (check_upload(r) != 1 || put_row(r, n) != 0) {
        meta_rollback();
        return -1;
    }
    if (drop_uploads(n->upload_id, NULL) != 0) {
        meta_rollback();
        fail_store(r);
        return -1;
    }
    if (meta_commit(r) != 0)
        return -1;
    engine_publish(n->file);
    return 0;
}

/* AbortMultipartUpload: the upload and its parts are gone. 0, or -1 (recorded). */
int meta_abort_upload(struct rq *r)
{
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    if (check_upload(r) != 1) {
        meta_rollback();
        return -1;
    }
    if (drop_uploads(qget(r, "uploadId"), NULL) != 0) {
        meta_rollback();
        fail_store(r);
        return -1;
    }
    return meta_commit(r);
}

/* Parts of an upload numbered above `after`, in order. 0, or -1. */
int meta_each_part(const char *upload_id, int64_t after, int64_t limit,
                   bool (*visit)(void *arg, const struct part_entry *e), void *arg)
{
    struct store_stmt *q = store_query(store_thread(),
                                       "SELECT part, size, etag, mtime FROM obj_parts WHERE upload_id = ? AND part > ?"
                                       " ORDER BY part LIMIT ?",
                                       "sii", upload_id, after, limit);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct part_entry e = {
            .number = store_int(q, 0), .size = store_int(q, 1), .etag = store_text(q, 2), .mtime = store_int(q, 3)};
        if (!visit(arg, &e))
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

/* Uploads of a bucket under prefix after (key_marker, id_marker), in (key, upload id) order. 0, or -1. */
int meta_each_upload(const char *bucket, const char *prefix, const char *key_marker, const char *id_marker,
                     int64_t limit, bool (*visit)(void *arg, const struct upload_entry *e), void *arg)
{
    char *hi = prefix[0] ? successor(prefix) : NULL;
    struct store_stmt *q = store_query(
        store_thread(),
        "SELECT key, upload_id, initiated, initiator FROM obj_uploads WHERE bucket = ?"
        " AND key >= ? AND (CAST(? AS TEXT) IS NULL OR key < ?) AND (key > ? OR (key = ? AND upload_id > ?))"
        " ORDER BY key, upload_id LIMIT ?",
        "sssssssi", bucket, prefix, hi, hi, key_marker, key_marker, id_marker, limit);
    free(hi);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct upload_entry e = {.key = store_text(q, 0),
                                 .upload_id = store_text(q, 1),
                                 .initiated = store_int(q, 2),
                                 .initiator = store_text(q, 3)};
        if (!visit(arg, &e))
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}
