/*
 * meta_lock: object lock's share of meta.c: each version's retention and legal hold (obj_lock,
 * keyed by bucket, key and version id, so a version keeps its lock as it moves from obj_objects to
 * obj_versions) and the lock a multipart upload asked for at its creation (obj_upload_lock, taken by
 * the version its completion makes). A row goes with its version or upload. Its own migration
 * component ("object_lock"), so it takes no number of the object component's sequence. The bucket's
 * own configuration is an obj_bucket_config document (meta_config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

static const struct migration lock_migrations[] = {
    /* mode: '' (no retention), 'GOVERNANCE' or 'COMPLIANCE'; retain_until: ms on the business
     * clock; legal_hold: '' (never set), 'ON' or 'OFF' */
    {1, "CREATE TABLE obj_lock (bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,"
        " mode TEXT NOT NULL DEFAULT '', retain_until INTEGER NOT NULL DEFAULT 0,"
        " legal_hold TEXT NOT NULL DEFAULT '', PRIMARY KEY (bucket, key, version_id));"
        "CREATE TABLE obj_upload_lock (upload_id TEXT PRIMARY KEY, mode TEXT NOT NULL DEFAULT '',"
        " retain_until INTEGER NOT NULL DEFAULT 0, legal_hold TEXT NOT NULL DEFAULT '');"},
};

int meta_lock_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "object_lock", lock_migrations, sizeof lock_migrations / sizeof lock_migrations[0], err,
                         errlen);
}

static void fill(struct store_stmt *q, struct lock_settings *l)
{
    snprintf(l->mode, sizeof l->mode, "%s", store_text(q, 0));
    l->until = store_int(q, 1);
    snprintf(l->hold, sizeof l->hold, "%s", store_text(q, 2));
}

/* The version's lock (*l zeroed if none). 1 found, 0 not, -1 error (not recorded). */
int meta_lock_read(const char *bucket, const char *key, const char *vid, struct lock_settings *l)
{
    memset(l, 0, sizeof *l);
    struct store_stmt *q = store_query(store_thread(),
                                       "SELECT mode, retain_until, legal_hold FROM obj_lock WHERE bucket = ? AND"
                                       " key = ? AND version_id = ?",
                                       "sss", bucket, key, vid);
    int rc = q ? store_step(q) : -1;
    if (rc == 1)
        fill(q, l);
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* In the open transaction: the version's lock becomes *l (a lock of nothing removes the row). 0, or -1. */
int meta_lock_write(const char *bucket, const char *key, const char *vid, const struct lock_settings *l)
{
    struct store *s = store_thread();
    if (!l->mode[0] && !l->hold[0])
        return meta_lock_forget(s, bucket, key, vid);
    return store_exec(s,
                      "INSERT INTO obj_lock (bucket, key, version_id, mode, retain_until, legal_hold)"
                      " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (bucket, key, version_id) DO UPDATE SET"
                      " mode = excluded.mode, retain_until = excluded.retain_until, legal_hold = excluded.legal_hold",
                      "ssssis", bucket, key, vid, l->mode, l->until, l->hold) < 0
               ? -1
               : 0;
}

/* In the open transaction: the version is gone, and its lock with it. 0, or -1. */
int meta_lock_forget(struct store *s, const char *bucket, const char *key, const char *vid)
{
    return store_exec(s, "DELETE FROM obj_lock WHERE bucket = ? AND key = ? AND version_id = ?", "sss", bucket, key,
                      vid) < 0
               ? -1
               : 0;
}

/* In the open transaction: the lock CreateMultipartUpload asked for. 0, or -1. */
int meta_lock_upload_write(const char *upload_id, const struct lock_settings *l)
{
    return store_exec(store_thread(),
                      "INSERT INTO obj_upload_lock (upload_id, mode, retain_until, legal_hold) VALUES (?, ?, ?, ?)",
                      "ssis", upload_id, l->mode, l->until, l->hold) < 0
               ? -1
               : 0;
}

/* The lock an upload asked for. 1 found, 0 none, -1 error. */
int meta_lock_upload_read(const char *upload_id, struct lock_settings *l)
{
    memset(l, 0, sizeof *l);
    struct store_stmt *q =
        store_query(store_thread(), "SELECT mode, retain_until, legal_hold FROM obj_upload_lock WHERE upload_id = ?",
                    "s", upload_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1)
        fill(q, l);
    store_done(q);
    return rc < 0 ? -1 : rc;
}
