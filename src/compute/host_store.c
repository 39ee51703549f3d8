/*
 * host_store: every statement of the host channel, on compute's hosts table (columns joined,
 * realises, last_heartbeat, revoked, disk_gib: compute migration 7), host_ca (the region CA, its
 * key sealed under the master key like SecretKeys) and host_join_tokens. A token is taken by one
 * conditional UPDATE, so two joins presenting it at once cannot both win, on SQLite or
 * PostgreSQL alike. A heartbeat writes its own row (host_heartbeats), not the host's. Heartbeat times are the control
 * plane's clock (time_now of the yund that received them), never the host's, so one monitor compares like with like.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/host_channel.h"
#include "compute/states.h"
#include "core/tls.h"
#include "identity/sealed.h"

#define CA_CONTEXT "host-ca" /* the sealed key's associated data: it opens only as the CA's key */

static int ca_read(struct store *s, const char *region, struct tls_ca *ca, char *err, size_t errlen)
{
    /* one CA per control plane: the first stored, whatever region the caller names (an operator
     * command runs with the default configuration) */
    (void)region;
    struct store_stmt *q =
        store_query(s, "SELECT cert_pem, key_sealed FROM host_ca ORDER BY created, region LIMIT 1", "");
    int rc = q ? store_step(q) : -1;
    if (rc != 1) {
        store_done(q);
        if (rc < 0)
            snprintf(err, errlen, "cannot read the region CA: %s", store_errmsg(s));
        return rc < 0 ? -1 : 0;
    }
    size_t blen = 0, klen = 0;
    const uint8_t *blob = store_blob(q, 1, &blen);
    uint8_t *key = NULL;
    /* a key that is not sealed (no "YS1" blob) is refused, not taken as it is */
    int ok = blob && blen > 3 && !memcmp(blob, "YS1", 3) && sealed_open(CA_CONTEXT, blob, blen, &key, &klen) == 0 &&
             tls_ca_load(store_text(q, 0), (const char *)key, ca) == 0;
    if (key) {
        memset(key, 0, klen);
        free(key);
    }
    store_done(q);
    if (!ok) {
        snprintf(err, errlen, "the region CA does not open with this data directory's master key");
        return -1;
    }
    return 1;
}

int host_ca_get(struct store *s, const char *region, struct tls_ca *ca, char *err, size_t errlen)
{
    int rc = ca_read(s, region, ca, err, errlen);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    char *cert = NULL, *key = NULL;
    uint8_t *sealed = NULL;
    size_t slen = 0;
    if (tls_ca_make(region, &cert, &key) != 0 || sealed_seal(CA_CONTEXT, key, strlen(key), &sealed, &slen) != 0) {
        snprintf(err, errlen, "cannot make the region CA");
        rc = -1;
    } else if (store_exec(s,
                          "INSERT INTO host_ca (region, cert_pem, key_sealed, created) VALUES (?, ?, ?, ?)"
                          " ON CONFLICT (region) DO NOTHING",
                          "ssbi", region, cert, sealed, slen, time_now()) < 0) {
        snprintf(err, errlen, "cannot store the region CA: %s", store_errmsg(s));
        rc = -1;
    }
    if (key) {
        memset(key, 0, strlen(key));
        free(key);
    }
    free(cert);
    free(sealed);
    if (rc < 0)
        return -1;
    return ca_read(s, region, ca, err, errlen) == 1 ? 0 : -1; /* ours, or the one a concurrent start stored */
}

int host_token_insert(struct store *s, const char *id, const char *secret_hash, int64_t expires, int64_t now)
{
    return store_exec(s, "INSERT INTO host_join_tokens (token_id, secret_sha256, expires, created) VALUES (?, ?, ?, ?)",
                      "ssii", id, secret_hash, expires, now) == 1
               ? 0
               : -1;
}

enum join_verdict host_token_take(struct store *s, const char *id, const char *secret, const char *host_id, int64_t now)
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
    return store_exec(
               s,
               "INSERT INTO hosts (host_id, zone, hostname, cores, vcpus, memory_mib, disk_gib, accel, accel_reason,"
               " state, updated, joined, realises, last_heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
               "sssiiiisssiii", host_id, f->zone, f->hostname, f->cores, vcpus, f->memory_mib, f->disk_gib, f->accel,
               f->accel_reason, HOST_UP, now, (int64_t)(f->realises != 0), now) == 1
               ? 0
               : -1;
}

/* The heartbeat's own row (host_heartbeats, compute's hosts chain 3): written every HOST_HEARTBEAT_SECONDS, while
 * the hosts row changes only with what the host is. */
static int beat_write(struct store *s, const char *host_id, int64_t now)
{
    return store_exec(s,
                      "INSERT INTO host_heartbeats (host_id, last_heartbeat) VALUES (?, ?) ON CONFLICT (host_id)"
                      " DO UPDATE SET last_heartbeat = excluded.last_heartbeat",
                      "si", host_id, now) < 0
               ? -1
               : 0;
}

int host_joined_hello(struct store *s, const char *host_id, const struct host_facts *f, int64_t vcpus,
                      const char *underlay, int64_t now)
{
    /* the zone is the one it joined in; what the machine has may have changed since */
    int rc = store_exec(s,
                        "UPDATE hosts SET hostname = ?, cores = ?, vcpus = ?, memory_mib = ?, disk_gib = ?, accel = ?,"
                        " accel_reason = ?, realises = ?, underlay = ?, last_heartbeat = ?, state = '" HOST_UP
                        "' WHERE host_id = ? AND joined = 1 AND revoked = 0",
                        "siiiissisis", f->hostname, f->cores, vcpus, f->memory_mib, f->disk_gib, f->accel,
                        f->accel_reason, (int64_t)(f->realises != 0), underlay, now, host_id);
    return rc == 1 && beat_write(s, host_id, now) != 0 ? -1 : rc;
}

int host_heartbeat(struct store *s, const char *host_id, int64_t now)
{
    struct store_stmt *q =
        store_query(s, "SELECT state FROM hosts WHERE host_id = ? AND joined = 1 AND revoked = 0", "s", host_id);
    int rc = q ? store_step(q) : -1, down = rc == 1 && strcmp(store_text(q, 0), HOST_UP) != 0;
    store_done(q);
    if (rc != 1 || !down)
        return rc < 0 ? -1 : rc ? 2 : 0; /* 2: the beat is the caller's to write (host_beats_write) */
    if (store_exec(s, "UPDATE hosts SET state = '" HOST_UP "' WHERE host_id = ? AND joined = 1 AND revoked = 0", "s",
                   host_id) < 0)
        return -1;
    return beat_write(s, host_id, now) == 0 ? 1 : -1;
}

int host_beats_write(struct store *s, const struct host_beat *beats, int n)
{
    if (n == 0)
        return 0;
    if (store_begin(s) != STORE_OK)
        return -1;
    for (int i = 0; i < n; i++)
        if (beat_write(s, beats[i].host_id, beats[i].at) != 0) {
            store_rollback(s);
            return -1;
        }
    if (store_commit(s) != STORE_OK) {
        if (store_in_transaction(s))
            store_rollback(s);
        return -1;
    }
    return 0;
}

int host_is_joined(struct store *s, const char *host_id)
{
    struct store_stmt *q =
        store_query(s, "SELECT 1 FROM hosts WHERE host_id = ? AND joined = 1 AND revoked = 0", "s", host_id);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc;
}

/* a joined host's last heartbeat: its own row's, or (a host that has not beaten since compute's hosts chain 3) the
 * hosts row's */
#define LAST_BEAT                                                                                                      \
    "coalesce((SELECT b.last_heartbeat FROM host_heartbeats b WHERE b.host_id = hosts.host_id), hosts.last_heartbeat)"

int host_monitor_pass(struct store *s, int64_t now, int64_t window)
{
    int down = store_exec(s,
                          "UPDATE hosts SET state = '" HOST_DOWN "', updated = ? WHERE joined = 1 AND state = '" HOST_UP
                          "' AND (" LAST_BEAT " < ? OR revoked = 1)",
                          "ii", now, now - window);
    int up = down < 0 ? -1
                      : store_exec(s,
                                   "UPDATE hosts SET state = '" HOST_UP
                                   "', updated = ? WHERE joined = 1 AND state = '" HOST_DOWN "' AND " LAST_BEAT
                                   " >= ? AND revoked = 0",
                                   "ii", now, now - window);
    return up < 0 ? -1 : down + up;
}

int host_revoke(struct store *s, const char *host_id, int64_t now)
{
    return store_exec(
        s, "UPDATE hosts SET revoked = 1, state = '" HOST_DOWN "', updated = ? WHERE host_id = ? AND joined = 1", "is",
        now, host_id);
}
