/*
 * store: the console's tables and every statement on them. Sessions are keyed by sha256 of the
 * cookie's id, so the store (or a backup of it) holds nothing that signs anybody in; their CSRF
 * token is kept the same way. MFA keys are sealed under the master key, bound to the user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"
#include "identity/sealed.h"

static const struct migration console_migrations[] = {
    {1, "CREATE TABLE console_sessions (id_hash TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, user_uin TEXT NOT NULL,"
        " app_id TEXT NOT NULL, csrf_hash TEXT NOT NULL, mfa_pending INTEGER NOT NULL, source_ip TEXT NOT NULL,"
        " created INTEGER NOT NULL, last_seen INTEGER NOT NULL);"
        "CREATE INDEX console_sessions_seen ON console_sessions (last_seen);"
        "CREATE TABLE console_mfa (uin TEXT PRIMARY KEY, secret_enc BLOB NOT NULL, bound INTEGER NOT NULL,"
        " last_step INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL);"},
};

int console_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "console", console_migrations, sizeof console_migrations / sizeof console_migrations[0],
                         err, errlen);
}

int console_store_session_put(struct store *s, const struct session *sess, const char *ip)
{
    int rc = store_exec(s,
                        "INSERT INTO console_sessions (id_hash, owner_uin, user_uin, app_id, csrf_hash, mfa_pending,"
                        " source_ip, created, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "sssssisii", sess->id_hash, sess->who.owner_uin, sess->who.user_uin, sess->who.app_id,
                        sess->csrf_hash, (int64_t)sess->mfa_pending, ip, sess->created, sess->last_seen);
    return rc == 1 ? 0 : -1;
}

int console_store_session_get(struct store *s, const char *id_hash, struct session *out)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT owner_uin, user_uin, app_id, csrf_hash, mfa_pending, created, last_seen"
                                       " FROM console_sessions WHERE id_hash = ?",
                                       "s", id_hash);
    if (!q)
        return STORE_ERROR;
    int rc = store_step(q);
    if (rc == 1) {
        memset(out, 0, sizeof *out);
        snprintf(out->id_hash, sizeof out->id_hash, "%s", id_hash);
        snprintf(out->who.owner_uin, sizeof out->who.owner_uin, "%s", store_text(q, 0));
        snprintf(out->who.user_uin, sizeof out->who.user_uin, "%s", store_text(q, 1));
        snprintf(out->who.app_id, sizeof out->who.app_id, "%s", store_text(q, 2));
        out->who.is_root = strcmp(out->who.owner_uin, out->who.user_uin) == 0;
        snprintf(out->csrf_hash, sizeof out->csrf_hash, "%s", store_text(q, 3));
        out->mfa_pending = (int)store_int(q, 4);
        out->created = store_int(q, 5);
        out->last_seen = store_int(q, 6);
    }
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int console_store_session_touch(struct store *s, const char *id_hash, int64_t now)
{
    return store_exec(s, "UPDATE console_sessions SET last_seen = ? WHERE id_hash = ? AND last_seen < ?", "isi", now,
                      id_hash, now) < 0
               ? -1
               : 0;
}

int console_store_session_delete(struct store *s, const char *id_hash)
{
    return store_exec(s, "DELETE FROM console_sessions WHERE id_hash = ?", "s", id_hash) < 0 ? -1 : 0;
}

int console_store_session_activate(struct store *s, const char *id_hash)
{
    return store_exec(s, "UPDATE console_sessions SET mfa_pending = 0 WHERE id_hash = ?", "s", id_hash) < 0 ? -1 : 0;
}

int console_store_sessions_expire(struct store *s, int64_t idle_before, int64_t created_before)
{
    return store_exec(s, "DELETE FROM console_sessions WHERE last_seen < ? OR created < ?", "ii", idle_before,
                      created_before) < 0
               ? -1
               : 0;
}

static void mfa_context(const char *uin, char out[64]) { snprintf(out, 64, "console-mfa:%s", uin); }

int console_store_mfa_get(struct store *s, const char *uin, uint8_t key[20], int *bound, int64_t *last_step)
{
    struct store_stmt *q =
        store_query(s, "SELECT secret_enc, bound, last_step FROM console_mfa WHERE uin = ?", "s", uin);
    if (!q)
        return STORE_ERROR;
    int rc = store_step(q);
    if (rc == 1) {
        size_t blen, plen = 0;
        const void *blob = store_blob(q, 0, &blen);
        uint8_t *plain = NULL;
        char ctx[64];
        mfa_context(uin, ctx);
        if (sealed_open(ctx, blob, blen, &plain, &plen) != 0 || plen != 20) {
            log_error("console: the MFA key of %s does not open with this master key", uin);
            rc = STORE_ERROR;
        } else {
            memcpy(key, plain, 20);
            *bound = (int)store_int(q, 1);
            *last_step = store_int(q, 2);
        }
        if (plain)
            memset(plain, 0, plen);
        free(plain);
    }
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int console_store_mfa_put(struct store *s, const char *uin, const uint8_t key[20], int bound)
{
    char ctx[64];
    mfa_context(uin, ctx);
    uint8_t *blob = NULL;
    size_t blen = 0;
    if (sealed_seal(ctx, key, 20, &blob, &blen) != 0)
        return -1;
    int rc = store_exec(s,
                        "INSERT INTO console_mfa (uin, secret_enc, bound, last_step, updated) VALUES (?, ?, ?, 0, ?)"
                        " ON CONFLICT (uin) DO UPDATE SET secret_enc = excluded.secret_enc, bound = excluded.bound,"
                        " last_step = 0, updated = excluded.updated",
                        "sbii", uin, blob, blen, (int64_t)bound, clock_now());
    free(blob);
    return rc == 1 ? 0 : -1;
}

int console_store_mfa_bind(struct store *s, const char *uin, int64_t step)
{
    return store_exec(s, "UPDATE console_mfa SET bound = 1, last_step = ?, updated = ? WHERE uin = ?", "iis", step,
                      clock_now(), uin) == 1
               ? 0
               : -1;
}

int console_store_mfa_used(struct store *s, const char *uin, int64_t step)
{
    /* the condition makes a replay of the same code lose a race with its first use */
    return store_exec(s, "UPDATE console_mfa SET last_step = ? WHERE uin = ? AND last_step < ?", "isi", step, uin,
                      step) == 1
               ? 0
               : -1;
}
