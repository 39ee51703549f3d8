/*
 * host_store: every statement of the host channel, on compute's hosts table (columns joined,
 * realises, last_heartbeat, revoked: compute migration 7) and host_join_tokens. A token is taken
 * by one conditional UPDATE, so two joins presenting it at once cannot both win, on SQLite or
 * PostgreSQL alike.
 */
#include <stdio.h>
#include <string.h>

#include "compute/host_channel.h"
#include "compute/states.h"

int host_token_insert(struct store *s, const char *id, const char *secret_hash, int64_t expires, int64_t now)
{
    return store_exec(s, "INSERT INTO host_join_tokens (token_id, secret_sha256, expires, created) VALUES (?, ?, ?, ?)",
                      "ssii", id, secret_hash, expires, now) == 1
               ? 0
               : -1;
}

enum join_verdict host_token_take(struct store *s, const char *id, const char *secret, const char *host_id,
                                  int64_t now)
{
    struct store_stmt *q =
        store_query(s, "SELECT secret_sha256, expires, used_by FROM host_join_tokens WHERE token_id = ?", "s", id);
    int rc = q ? store_step(q) : -1;
    char hash[65] = "";
    int64_t expires = 0;
    int used = 0;
    if (rc == 1) {
        snprintf(hash, sizeof hash, "%s", store_text(q, 0));
        expires = store_int(q, 1);
        used = store_text(q, 2)[0] != 0;
    }
    store_done(q);
    if (rc != 1)
        return rc < 0 ? -1 : JOIN_UNKNOWN;
    enum join_verdict v = join_token_check(secret, hash, expires, used, now);
    if (v != JOIN_OK)
        return v;
    int n = store_exec(s, "UPDATE host_join_tokens SET used_by = ?, used_at = ? WHERE token_id = ? AND used_by = ''",
                       "sis", host_id, now, id);
    return n < 0 ? -1 : n == 1 ? JOIN_OK : JOIN_USED;
}

int host_joined_insert(struct store *s, const char *host_id, const struct host_facts *f, int64_t vcpus, int64_t now)
{
    return store_exec(s,
                      "INSERT INTO hosts (host_id, zone, hostname, cores, vcpus, memory_mib, accel, accel_reason, state,"
                      " updated, joined, realises, last_heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?)",
                      "sssiiisssii", host_id, f->zone, f->hostname, f->cores, vcpus, f->memory_mib, f->accel,
                      f->accel_reason, HOST_UP, now, now) == 1
               ? 0
               : -1;
}

int host_joined_hello(struct store *s, const char *host_id, const struct host_facts *f, int64_t vcpus, int64_t now)
{
    /* the zone is the one it joined in; what the machine has may have changed since */
    return store_exec(s,
                      "UPDATE hosts SET hostname = ?, cores = ?, vcpus = ?, memory_mib = ?, accel = ?, accel_reason = ?,"
                      " last_heartbeat = ? WHERE host_id = ? AND joined = 1 AND revoked = 0",
                      "siiissis", f->hostname, f->cores, vcpus, f->memory_mib, f->accel, f->accel_reason, now, host_id);
}

int host_heartbeat(struct store *s, const char *host_id, int64_t now)
{
    return store_exec(s, "UPDATE hosts SET last_heartbeat = ? WHERE host_id = ? AND joined = 1 AND revoked = 0", "is",
                      now, host_id);
}

int host_monitor_pass(struct store *s, int64_t now, int64_t window)
{
    int down = store_exec(s,
                          "UPDATE hosts SET state = '" HOST_DOWN "', updated = ? WHERE joined = 1 AND state = '" HOST_UP
                          "' AND (last_heartbeat < ? OR revoked = 1)",
                          "ii", now, now - window);
    int up = down < 0 ? -1
                      : store_exec(s,
                                   "UPDATE hosts SET state = '" HOST_UP "', updated = ? WHERE joined = 1 AND state = '" HOST_DOWN
                                   "' AND last_heartbeat >= ? AND revoked = 0",
                                   "ii", now, now - window);
    return up < 0 ? -1 : down + up;
}

int host_revoke(struct store *s, const char *host_id, int64_t now)
{
    return store_exec(s,
                      "UPDATE hosts SET revoked = 1, state = '" HOST_DOWN "', updated = ? WHERE host_id = ? AND joined = 1",
                      "is", now, host_id);
}
