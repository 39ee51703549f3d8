/*
 * meta_version: an object's versions, meta.c's share for obj_objects and obj_versions. A key's
 * current version (possibly a delete marker) is its obj_objects row, so plain GETs and listings
 * read one row per key as before; older versions are in obj_versions, moved there by the write or
 * delete that supersedes them, in the same transaction. seq orders a key's versions (the current
 * one has the highest), version_id is what clients see: "null" for what is written while the bucket
 * is unversioned or suspended, of which a key has at most one. Every version keeps its own file and
 * counts in the bucket's bytes and objects (delete markers have neither) until it is removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "object/object_int.h"

/* The columns a version keeps when it moves between obj_objects and obj_versions. */
#define MOVE_COLUMNS                                                                                                   \
    "bucket, key, seq, version_id, marker, size, etag, mtime, content_type, headers, meta, tags, acl, file,"           \
    " checksum, owner_uin, parts, upload_id, sse"

/* What a change needs of a key's current version. */
struct current {
    bool have, marker;
    int64_t size, seq;
    char file[ENGINE_ID_LEN + 8], etag[80], vid[VERSION_ID_LEN + 8];
};

static int read_current(struct store *s, const char *bucket, const char *key, struct current *c)
{
    memset(c, 0, sizeof *c);
    struct store_stmt *q =
        store_query(s, "SELECT size, file, etag, version_id, marker, seq FROM obj_objects WHERE bucket = ? AND key = ?",
                    "ss", bucket, key);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        c->have = true;
        c->size = store_int(q, 0);
        snprintf(c->file, sizeof c->file, "%s", store_text(q, 1));
        snprintf(c->etag, sizeof c->etag, "%s", store_text(q, 2));
        snprintf(c->vid, sizeof c->vid, "%s", store_text(q, 3));
        c->marker = store_int(q, 4) != 0;
        c->seq = store_int(q, 5);
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

/* Above every version the key has, and in time order across keys (microseconds). */
static int64_t next_seq(const struct current *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    return c->have && c->seq >= t ? c->seq + 1 : t;
}

static void new_version_id(int64_t seq, char out[VERSION_ID_LEN + 1])
{
    uint8_t raw[8];
    char hex[17];
    random_bytes(raw, sizeof raw);
    hex_encode(raw, sizeof raw, hex);
    snprintf(out, VERSION_ID_LEN + 1, "%016llx%.16s", (unsigned long long)seq, hex);
}

/* A version's row is gone: its file is queued for unlinking and the bucket's counters change by
 * *bytes / *objects. */
static int forget(struct store *s, const char *file, int64_t size, bool marker, int64_t *bytes, int64_t *objects)
{
    if (marker)
        return 0;
    *bytes -= size;
    *objects -= 1;
    return file[0] ? engine_garbage(s, file) : 0;
}

static int drop_current(struct store *s, const char *bucket, const char *key, const struct current *c, int64_t *bytes,
                        int64_t *objects)
{
    if (store_exec(s, "DELETE FROM obj_objects WHERE bucket = ? AND key = ?", "ss", bucket, key) < 0 ||
        meta_lock_forget(s, bucket, key, c->vid) != 0)
        return -1;
    return forget(s, c->file, c->size, c->marker, bytes, objects);
}

/* The current version becomes an older one. */
static int archive_current(struct store *s, const char *bucket, const char *key)
{
    if (store_exec(s,
                   "INSERT INTO obj_versions (" MOVE_COLUMNS ") SELECT " MOVE_COLUMNS
                   " FROM obj_objects WHERE bucket = ? AND key = ?",
                   "ss", bucket, key) < 0)
        return -1;
    return store_exec(s, "DELETE FROM obj_objects WHERE bucket = ? AND key = ?", "ss", bucket, key) < 0 ? -1 : 0;
}

/* Removes the older version vid. 1 removed (*marker: it was a delete marker), 0 none, -1 error. */
static int drop_older(struct store *s, const char *bucket, const char *key, const char *vid, bool *marker,
                      int64_t *bytes, int64_t *objects)
{
    struct store_stmt *q =
        store_query(s, "SELECT size, file, marker FROM obj_versions WHERE bucket = ? AND key = ? AND version_id = ?",
                    "sss", bucket, key, vid);
    int rc = q ? store_step(q) : -1;
    int64_t size = rc == 1 ? store_int(q, 0) : 0;
    char file[ENGINE_ID_LEN + 8] = "";
    if (rc == 1) {
        snprintf(file, sizeof file, "%s", store_text(q, 1));
        *marker = store_int(q, 2) != 0;
    }
    store_done(q);
    if (rc != 1)
        return rc;
    if (store_exec(s, "DELETE FROM obj_versions WHERE bucket = ? AND key = ? AND version_id = ?", "sss", bucket, key,
                   vid) < 0 ||
        meta_lock_forget(s, bucket, key, vid) != 0 || forget(s, file, size, *marker, bytes, objects) != 0)
        return -1;
    return 1;
}

/* After the current version was removed: the newest older one (if any) becomes current. */
static int promote(struct store *s, const char *bucket, const char *key)
{
    if (store_exec(s,
                   "INSERT INTO obj_objects (" MOVE_COLUMNS ") SELECT " MOVE_COLUMNS
                   " FROM obj_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1",
                   "ss", bucket, key) < 0)
        return -1;
    return store_exec(s,
                      "DELETE FROM obj_versions WHERE bucket = ? AND key = ? AND seq ="
                      " (SELECT seq FROM obj_objects WHERE bucket = ? AND key = ?)",
                      "ssss", bucket, key, bucket, key) < 0
               ? -1
               : 0;
}

/* Before a new current version (object or delete marker) is written: an unversioned bucket drops
 * the current one, an enabled bucket keeps it as an older version, a suspended one keeps it unless
 * it is the "null" version, and drops any other "null" version (the new one is "null"). */
static int make_room(struct store *s, const struct bucket *b, const char *key, const struct current *c, int64_t *bytes,
                     int64_t *objects)
{
    bool suspended = strcmp(b->versioning, "Suspended") == 0;
    if (!c->have)
        return 0;
    if (!b->versioning[0] || (suspended && strcmp(c->vid, "null") == 0))
        return drop_current(s, b->name, key, c, bytes, objects);
    if (archive_current(s, b->name, key) != 0)
        return -1;
    bool marker = false;
    return suspended && drop_older(s, b->name, key, "null", &marker, bytes, objects) < 0 ? -1 : 0;
}

static int add_counters(struct store *s, const char *bucket, int64_t bytes, int64_t objects)
{
    if (!bytes && !objects)
        return 0;
    return store_exec(s, "UPDATE obj_buckets SET bytes = bytes + ?, objects = objects + ? WHERE name = ?", "iis", bytes,
                      objects, bucket) < 0
               ? -1
               : 0;
}

static int check_quotas(struct rq *r, const struct bucket *b, int64_t bytes, int64_t objects)
{
    if ((b->quota_bytes > 0 && b->bytes + bytes > b->quota_bytes) ||
        (b->quota_objects > 0 && b->objects + objects > b->quota_objects)) {
        fail(r, 403, "QuotaExceeded", "The bucket's storage quota would be exceeded.");
        return -1;
    }
    struct store_stmt *q =
        store_query(store_thread(),
                    "SELECT q.quota_bytes, q.quota_objects, COALESCE(SUM(b.bytes), 0), COALESCE(SUM(b.objects), 0)"
                    " FROM obj_account_quota q LEFT JOIN obj_buckets b ON b.owner_uin = q.owner_uin"
                    " WHERE q.owner_uin = ? GROUP BY q.owner_uin",
                    "s", b->owner_uin);
    if (!q) {
        fail_store(r);
        return -1;
    }
    int rc = 0;
    if (store_step(q) == 1) {
        int64_t qb = store_int(q, 0), qo = store_int(q, 1);
        int64_t ab = store_int(q, 2) + bytes, ao = store_int(q, 3) + objects;
        if ((qb > 0 && ab > qb) || (qo > 0 && ao > qo)) {
            fail(r, 403, "QuotaExceeded", "The account's storage quota would be exceeded.");
            rc = -1;
        }
    }
    store_done(q);
    return rc;
}

/* Within a transaction: the new object becomes the key's current version (the one it replaces is
 * kept or dropped as the bucket's versioning says), quotas checked, the bucket's counters updated,
 * r->version_id set if the version has an id. 0, or -1 (failure recorded; caller rolls back). */
int put_row(struct rq *r, const struct new_object *n)
{
    struct store *s = store_thread();
    struct bucket b;
    struct current c;
    if (same_bucket(r, &b) != 0)
        return -1;
    if (read_current(s, r->bucket, r->key, &c) != 0) {
        fail_store(r);
        return -1;
    }
    if (n->conditional && write_conditions(r, c.have && !c.marker, c.etag) != 0)
        return -1;
    int64_t bytes = n->size, objects = 1, seq = next_seq(&c);
    char vid[VERSION_ID_LEN + 1] = "null";
    if (strcmp(b.versioning, "Enabled") == 0)
        new_version_id(seq, vid);
    if (make_room(s, &b, r->key, &c, &bytes, &objects) != 0) {
        fail_store(r);
        return -1;
    }
    if (check_quotas(r, &b, bytes, objects) != 0)
        return -1;
    if (store_exec(s,
                   "INSERT INTO obj_objects (bucket, key, size, etag, mtime, content_type, headers, meta,"
                   " tags, acl, file, checksum, owner_uin, parts, upload_id, version_id, marker, seq, sse)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                   "ssisisssssssssssis", r->bucket, r->key, n->size, n->etag, now_ms(), n->content_type, n->headers,
                   n->meta, n->tags, n->acl, n->file, n->checksum, n->owner ? n->owner : b.owner_uin, n->parts,
                   n->upload_id, vid, seq, n->sse) < 0 ||
        add_counters(s, r->bucket, bytes, objects) != 0) {
        fail_store(r);
        return -1;
    }
    if (lock_new_version(r, &b, vid, n) != 0)
        return -1;
    /* a "null" version is not told on writes (s3-tests' test_versioning_bucket_*_return_version_id) */
    snprintf(r->version_id, sizeof r->version_id, "%s", strcmp(vid, "null") != 0 ? vid : "");
    return 0;
}

/* Commits a new object whose bytes are synced in tmp/<file>, then publishes the file. 0, or -1
 * (recorded). */
int commit_object(struct rq *r, const struct new_object *n)
{
    if (meta_begin(r) != 0)
        return -1;
    if (put_row(r, n) != 0) {
        meta_rollback();
        return -1;
    }
    if (meta_commit(r) != 0)
        return -1;
    engine_publish(n->file);
    return 0;
}

/* In the open transaction (r->b as it sees the bucket): DeleteObject of `key`. With a version id,
 * that version is removed (the newest older one becomes current if it was); without, an
 * unversioned bucket drops the object and a versioned one gets a delete marker as the current
 * version. r->version_id and r->delete_marker say what was removed or made. 0, 1 (the version is
 * locked: 403 AccessDenied recorded, nothing changed), or -1 (store failure). */
int meta_remove(struct rq *r, const char *key, const char *vid)
{
    struct store *s = store_thread();
    struct current c;
    int64_t bytes = 0, objects = 0;
    r->version_id[0] = 0;
    r->delete_marker = false;
    if (read_current(s, r->bucket, key, &c) != 0)
        return -1;
    if (vid) {
        int locked = lock_refuses_removal(r, key, vid);
        if (locked != 0)
            return locked;
        bool marker = false;
        int rc = 0;
        if (c.have && strcmp(c.vid, vid) == 0) {
            marker = c.marker;
            rc = drop_current(s, r->bucket, key, &c, &bytes, &objects) != 0 || promote(s, r->bucket, key) != 0 ? -1 : 1;
        } else {
            rc = drop_older(s, r->bucket, key, vid, &marker, &bytes, &objects);
        }
        if (rc < 0)
            return -1;
        snprintf(r->version_id, sizeof r->version_id, "%s", vid);
        r->delete_marker = rc == 1 && marker;
    } else if (!r->b.versioning[0]) {
        if (c.have && drop_current(s, r->bucket, key, &c, &bytes, &objects) != 0)
            return -1;
    } else {
        int64_t seq = next_seq(&c);
        char mid[VERSION_ID_LEN + 1] = "null";
        if (strcmp(r->b.versioning, "Enabled") == 0)
            new_version_id(seq, mid);
        if (make_room(s, &r->b, key, &c, &bytes, &objects) != 0 ||
            store_exec(s,
                       "INSERT INTO obj_objects (bucket, key, size, etag, mtime, content_type, acl, file, owner_uin,"
                       " version_id, marker, seq) VALUES (?, ?, 0, '', ?, '', 'private', '', ?, ?, 1, ?)",
                       "ssissi", r->bucket, key, now_ms(), r->b.owner_uin, mid, seq) < 0)
            return -1;
        snprintf(r->version_id, sizeof r->version_id, "%s", mid);
        r->delete_marker = true;
    }
    return add_counters(s, r->bucket, bytes, objects);
}

/* DeleteObject: the request's key (or its ?versionId) is gone, or hidden by a delete marker. 0, or
 * -1 (recorded). */
int meta_delete_object(struct rq *r)
{
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    int rc = meta_remove(r, r->key, qget(r, "versionId"));
    if (rc != 0) {
        meta_rollback();
        if (rc < 0)
            fail_store(r);
        return -1;
    }
    return meta_commit(r);
}

/* Sets the acl or tags of the object's current version, or of its ?versionId. Rows changed (0: no
 * such key or version, or a delete marker), or -1 (recorded). */
int meta_set_object_column(struct rq *r, enum object_column column, const char *value)
{
    static const char *const current[] = {
        [OBJECT_ACL] = "UPDATE obj_objects SET acl = ? WHERE bucket = ? AND key = ? AND marker = 0",
        [OBJECT_TAGS] = "UPDATE obj_objects SET tags = ? WHERE bucket = ? AND key = ? AND marker = 0",
    };
    static const char *const by_id[][2] = {
        [OBJECT_ACL] =
            {"UPDATE obj_objects SET acl = ? WHERE bucket = ? AND key = ? AND version_id = ? AND marker = 0",
             "UPDATE obj_versions SET acl = ? WHERE bucket = ? AND key = ? AND version_id = ? AND marker = 0"},
        [OBJECT_TAGS] =
            {"UPDATE obj_objects SET tags = ? WHERE bucket = ? AND key = ? AND version_id = ? AND marker = 0",
             "UPDATE obj_versions SET tags = ? WHERE bucket = ? AND key = ? AND version_id = ?"
             " AND marker = 0"},
    };
    const char *vid = qget(r, "versionId");
    if (meta_begin_bucket_change(r) != 0)
        return -1;
    struct store *s = store_thread();
    int rc;
    if (!vid) {
        rc = store_exec(s, current[column], "sss", value, r->bucket, r->key);
    } else {
        rc = store_exec(s, by_id[column][0], "ssss", value, r->bucket, r->key, vid);
        if (rc == 0)
            rc = store_exec(s, by_id[column][1], "ssss", value, r->bucket, r->key, vid);
        snprintf(r->version_id, sizeof r->version_id, "%s", vid);
    }
    return finish_update(r, rc);
}

/* The version vid of a key (NULL: its current version, which may be a delete marker). 1 found
 * (*o filled; objrow_free it), 0 not, -1 error (not recorded). */
int load_version(const char *bucket, const char *key, const char *vid, struct objrow *o)
{
    if (!vid)
        return load_object(bucket, key, o);
    struct store_stmt *q = store_query(store_thread(),
                                       "SELECT " OBJROW_COLUMNS " FROM obj_objects WHERE bucket = ? AND key = ?"
                                       " AND version_id = ? UNION ALL SELECT " OBJROW_COLUMNS
                                       " FROM obj_versions WHERE bucket = ? AND key = ? AND version_id = ?",
                                       "ssssss", bucket, key, vid, bucket, key, vid);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        objrow_fill(q, o);
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* The object (version) the request names. 0 (*o filled), or -1 (recorded: NoSuchKey, NoSuchVersion,
 * a delete marker, or a store failure). */
int load_request_object(struct rq *r, struct objrow *o)
{
    const char *vid = qget(r, "versionId");
    int rc = load_version(r->bucket, r->key, vid, o);
    if (rc < 0) {
        fail_store(r);
        return -1;
    }
    if (rc == 0) {
        if (vid)
            fail(r, 404, "NoSuchVersion", "The specified version does not exist.");
        else
            fail(r, 404, "NoSuchKey", "The specified key does not exist.");
        return -1;
    }
    if (o->marker) {
        fail_delete_marker(r, o, vid != NULL);
        objrow_free(o);
        return -1;
    }
    return 0;
}

/* Versions of a bucket after the position (key, below_seq) in (key, newest first) order: the
 * remaining versions of `key` older than below_seq, then every version of the keys after it. At
 * most limit rows, each handed to visit until it returns false. 0, or -1. */
int meta_each_version(const char *bucket, const char *key, int64_t below_seq, int64_t limit,
                      bool (*visit)(void *arg, const struct version_entry *e), void *arg)
{
    struct store_stmt *q =
        store_query(store_thread(),
                    "SELECT key, version_id, marker, size, etag, mtime, owner_uin, seq, 1 FROM obj_objects"
                    " WHERE bucket = ? AND (key > ? OR (key = ? AND seq < ?)) UNION ALL"
                    " SELECT key, version_id, marker, size, etag, mtime, owner_uin, seq, 0 FROM obj_versions"
                    " WHERE bucket = ? AND (key > ? OR (key = ? AND seq < ?)) ORDER BY 1, 8 DESC LIMIT ?",
                    "sssisssii", bucket, key, key, below_seq, bucket, key, key, below_seq, limit);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct version_entry e = {.key = store_text(q, 0),
                                  .version_id = store_text(q, 1),
                                  .marker = store_int(q, 2) != 0,
                                  .size = store_int(q, 3),
                                  .etag = store_text(q, 4),
                                  .mtime = store_int(q, 5),
                                  .owner = store_text(q, 6),
                                  .seq = store_int(q, 7),
                                  .latest = store_int(q, 8) != 0};
        if (!visit(arg, &e))
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}
