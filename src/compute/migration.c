/*
 * migration: live migration of a running instance between two hosts without shared storage, and draining a host
 * (MigrateInstance, a yun extension for the operator; `yun admin hosts drain`). The hosts are joined ones or the
 * built-in host, whose realiser is a joined host's (host_local.c) and which takes part once it has an underlay
 * address (host_listen a unicast address other hosts reach: its VXLAN endpoint, where its moves' streams listen).
 * The control plane never talks to QEMU: the move is four columns of the instance's row (migrate_to,
 * migrate_state PREPARING then READY, migrate_port: the target's NBD port, the migration stream's the
 * next one, migrate_started) and the documents (host_doc.c) tell each host its half. The target's
 * document names the instance MIGRATING_IN (its spec as for a boot, and where the stream comes from);
 * the target readies an empty overlay on the same base image, a paused QEMU waiting for the stream and
 * an NBD export of the new disk, and reports READY; the source's document then carries a Migrate
 * object, the source mirrors its disk's top layer into the export, migrates and reports MIGRATED, and
 * one statement moves host_id (the hosts' capacity and the others' FDB entries follow it). Any failure
 * clears the move: the source goes on running, the target removes what it made. The instance stays
 * RUNNING throughout (Tencent has no migrating state): LatestOperation MigrateInstance says how it went.
 * Its cloud disks come along: the target makes blank files of their sizes, plugged on the ports
 * they have on the source, the source mirrors each whole into them, and the move's record moves their host_id too.
 * Every statement on those columns is here.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/codes.h"
#include "block/block.h"
#include "compute/codes.h"
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "identity/identity.h"

struct host_row {
    char zone[64], state[16], pool[16], pool_owner[24], pool_id[40], underlay[64];
    int joined, realises, draining;
};

static int host_row(struct store *s, const char *host_id, struct host_row *h)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT zone, state, pool, pool_owner, pool_id, underlay, joined, realises,"
                                       " draining FROM hosts WHERE host_id = ?",
                                       "s", host_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        snprintf(h->zone, sizeof h->zone, "%s", store_text(q, 0));
        snprintf(h->state, sizeof h->state, "%s", store_text(q, 1));
        snprintf(h->pool, sizeof h->pool, "%s", store_text(q, 2));
        snprintf(h->pool_owner, sizeof h->pool_owner, "%s", store_text(q, 3));
        snprintf(h->pool_id, sizeof h->pool_id, "%s", store_text(q, 4));
        snprintf(h->underlay, sizeof h->underlay, "%s", store_text(q, 5));
        h->joined = (int)store_int(q, 6);
        h->realises = (int)store_int(q, 7);
        h->draining = (int)store_int(q, 8);
    }
    store_done(q);
    return rc;
}

/* The host runs its instances now: a joined host UP, the built-in host AVAILABLE (host states, states.h). */
static int host_live(const struct host_row *h) { return !strcmp(h->state, h->joined ? HOST_UP : HOST_AVAILABLE); }

/* SQL: the host h is not live (host_live) */
#define HOST_NOT_LIVE "h.state <> CASE WHEN h.joined = 1 THEN '" HOST_UP "' ELSE '" HOST_AVAILABLE "' END"

/* The first pair of ports (NBD, stream) no other move to target uses; 0 when all are taken, -1 error. */
static int free_port(struct store *s, const char *target)
{
    int used[HOST_MIGRATE_PAIRS] = {0};
    struct store_stmt *q = store_query(s, "SELECT migrate_port FROM instances WHERE migrate_to = ?", "s", target);
    int rc;
    while (q && (rc = store_step(q)) == 1) {
        int64_t p = store_int(q, 0);
        if (p >= HOST_MIGRATE_PORT_FIRST && p < HOST_MIGRATE_PORT_FIRST + 2 * HOST_MIGRATE_PAIRS)
            used[(p - HOST_MIGRATE_PORT_FIRST) / 2] = 1;
    }
    store_done(q);
    if (!q || rc < 0)
        return -1;
    for (int k = 0; k < HOST_MIGRATE_PAIRS; k++)
        if (!used[k])
            return HOST_MIGRATE_PORT_FIRST + 2 * k;
    return 0;
}

static int fail(const char **code, char *msg, size_t len, const char *c, const char *fmt, const char *a, const char *b)
{
    *code = c;
    snprintf(msg, len, fmt, a, b);
    return -1;
}

int migration_start(struct store *s, const char *instance_id, const char *want, const char *request_id, char target[40],
                    const char **code, char *msg, size_t len)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT state, host_id, migrate_to, cpu, memory_gib, zone FROM instances"
                                       " WHERE instance_id = ?",
                                       "s", instance_id);
    int rc = q ? store_step(q) : -1;
    char state[24] = "", source[40] = "", moving[40] = "", zone[64] = "";
    int cpu = 0;
    int64_t mib = 0;
    if (rc == 1) {
        snprintf(state, sizeof state, "%s", store_text(q, 0));
        snprintf(source, sizeof source, "%s", store_text(q, 1));
        snprintf(moving, sizeof moving, "%s", store_text(q, 2));
        cpu = (int)store_int(q, 3);
        mib = store_int(q, 4) * 1024;
        snprintf(zone, sizeof zone, "%s", store_text(q, 5));
    }
    store_done(q);
    if (rc < 0)
        return fail(code, msg, len, E_INTERNAL_ERROR, "The instances are unavailable.%s%s", "", "");
    if (rc == 0 || !strcmp(state, INSTANCE_TERMINATED))
        return fail(code, msg, len, E_INVALID_INSTANCE_ID_NOT_FOUND, "The instance %s does not exist.%s", instance_id,
                    "");
    if (strcmp(state, INSTANCE_RUNNING))
        return fail(code, msg, len, E_UNSUPPORTED_OPERATION_INSTANCE_STATE,
                    "Only a RUNNING instance migrates live; %s is %s.", instance_id, state);
    if (moving[0])
        return fail(code, msg, len, E_UNSUPPORTED_OPERATION, "The instance %s is already migrating to %s.", instance_id,
                    moving);
    char why[200] = "";
    int disks = block_migration_disks(s, instance_id, why, sizeof why);
    if (disks == -1)
        return fail(code, msg, len, E_INTERNAL_ERROR, "The instance's disks are unavailable.%s%s", "", "");
    struct host_row src, dst;
    if (host_row(s, source, &src) != 1)
        return fail(code, msg, len, E_INTERNAL_ERROR, "The host %s of %s is unavailable.", source, instance_id);
    if (!src.underlay[0])
        return fail(code, msg, len, E_UNSUPPORTED_OPERATION,
                    src.joined ? "The instance %s runs on %s, which has no underlay address: it cannot send it."
                               : "The instance %s runs on the built-in host %s, which has no underlay address"
                                 " (host_listen is not a unicast address other hosts reach): it takes no part in"
                                 " live migration.",
                    instance_id, source);
    if (!host_live(&src))
        return fail(code, msg, len, E_RESOURCE_UNAVAILABLE, "The instance's host %s is %s.", source, src.state);
    if (disks == -2)
        return fail(code, msg, len, E_UNSUPPORTED_OPERATION, "The instance %s cannot migrate now: %s", instance_id,
                    why);
    if (want && *want) {
        rc = host_row(s, want, &dst);
        if (rc < 0)
            return fail(code, msg, len, E_INTERNAL_ERROR, "The host %s is unavailable.%s", want, "");
        if (rc == 0)
            return fail(code, msg, len, E_INVALID_PARAMETER_VALUE, "There is no host %s.%s", want, "");
        if (!strcmp(want, source))
            return fail(code, msg, len, E_INVALID_PARAMETER_VALUE, "The instance %s already runs on %s.", instance_id,
                        want);
        if (!dst.realises)
            return fail(code, msg, len, E_UNSUPPORTED_OPERATION, "The host %s does not realise instances.%s", want, "");
        if (!dst.underlay[0])
            return fail(code, msg, len, E_UNSUPPORTED_OPERATION,
                        dst.joined ? "The host %s has no underlay address: no migration to it.%s"
                                   : "The built-in host %s has no underlay address (host_listen is not a unicast"
                                     " address other hosts reach): no migration to it.%s",
                        want, "");
        if (!host_live(&dst))
            return fail(code, msg, len, E_RESOURCE_UNAVAILABLE, "The host %s is %s: no migration to it.", want,
                        dst.state);
        if (dst.draining)
            return fail(code, msg, len, E_RESOURCE_UNAVAILABLE, "The host %s is draining: no migration to it.%s", want,
                        "");
        if (strcmp(dst.zone, zone) || strcmp(dst.pool, src.pool) || strcmp(dst.pool_owner, src.pool_owner) ||
            strcmp(dst.pool_id, src.pool_id))
            return fail(code, msg, len, E_INVALID_PARAMETER_VALUE,
                        "The host %s is not in the zone and pool of the instance's host %s.", want, source);
    }
    struct host_capacity *hosts = NULL, *fit = NULL;
    int n = host_pool_capacity(s, &hosts), nfit = 0;
    fit = n > 0 ? malloc(sizeof *fit * (size_t)n) : NULL;
    if (n < 0 || (n > 0 && !fit)) {
        free(hosts);
        return fail(code, msg, len, E_INTERNAL_ERROR, "Host capacity is unavailable.%s%s", "", "");
    }
    for (int i = 0; i < n; i++) {
        struct host_row h;
        if ((want && *want ? strcmp(hosts[i].host_id, want) : !strcmp(hosts[i].host_id, source)) ||
            host_row(s, hosts[i].host_id, &h) != 1 || !h.underlay[0] || strcmp(h.pool, src.pool) ||
            strcmp(h.pool_owner, src.pool_owner) || strcmp(h.pool_id, src.pool_id))
            continue;
        fit[nfit++] = hosts[i];
    }
    const char *ids[1] = {src.pool_id};
    struct placement p = {zone,    cpu, mib, host_pool_parse(src.pool), src.pool_owner, ids, src.pool_id[0] ? 1 : 0,
                          "spread"};
    int best = scheduler_place(fit, nfit, &p);
    if (best >= 0)
        snprintf(target, 40, "%s", fit[best].host_id);
    free(hosts);
    free(fit);
    if (best < 0) {
        char what[64];
        snprintf(what, sizeof what, "%d vCPUs and %lld MiB", cpu, (long long)mib);
        return want && *want
                   ? fail(code, msg, len, E_RESOURCE_INSUFFICIENT, "The host %s has no room for %s.", want, what)
                   : fail(code, msg, len, E_RESOURCE_INSUFFICIENT,
                          "No other host of the instance's pool in %s has room for %s.", zone, what);
    }
    int port = free_port(s, target);
    if (port <= 0)
        return fail(code, msg, len, port < 0 ? E_INTERNAL_ERROR : E_RESOURCE_INSUFFICIENT,
                    "The host %s takes no more migrations at once.%s", target, "");
    int64_t now = time_now();
    rc = store_exec(s,
                    "UPDATE instances SET migrate_to = ?, migrate_state = 'PREPARING', migrate_port = ?,"
                    " migrate_started = ?, latest_op = 'MigrateInstance', latest_op_state = 'OPERATING',"
                    " latest_op_request = ?, reason = '', updated = ?"
                    " WHERE instance_id = ? AND state = '" INSTANCE_RUNNING "' AND migrate_to = ''",
                    "siisis", target, port, now, request_id, now, instance_id);
    if (rc != 1)
        return fail(code, msg, len, E_INTERNAL_ERROR, "The migration of %s could not be recorded.%s", instance_id, "");
    log_info("instance %s: migrating from %s to %s (ports %d, %d)", instance_id, source, target, port, port + 1);
    return 0;
}

int migration_ready(struct store *s, const char *instance_id, const char *target, int nbd_port)
{
    int rc = store_exec(s,
                        "UPDATE instances SET migrate_state = 'READY', updated = ? WHERE instance_id = ?"
                        " AND migrate_to = ? AND migrate_state = 'PREPARING' AND migrate_port = ?"
                        " AND state = '" INSTANCE_RUNNING "'",
                        "issi", time_now(), instance_id, target, nbd_port);
    if (rc == 1)
        log_info("instance %s: %s is ready to take it", instance_id, target);
    return rc;
}

int migration_done(struct store *s, const char *instance_id, const char *source)
{
    struct store_stmt *q = store_query(s, "SELECT migrate_to FROM instances WHERE instance_id = ?", "s", instance_id);
    char target[40] = "";
    int rc = q ? store_step(q) : -1;
    if (rc == 1)
        snprintf(target, sizeof target, "%s", store_text(q, 0));
    store_done(q);
    if (rc != 1 || !target[0])
        return rc < 0 ? -1 : 0;
    /* one unit: the instance, its capacity, every host's view of where its NIC is and its cloud disks move together */
    int own = store_unit_begin(s);
    if (own < 0)
        return -1;
    rc = store_exec(s,
                    "UPDATE instances SET host_id = migrate_to, migrate_to = '', migrate_state = '',"
                    " migrate_port = 0, latest_op_state = 'SUCCESS', reason = '', updated = ?"
                    " WHERE instance_id = ? AND host_id = ? AND migrate_state = 'READY'"
                    " AND state = '" INSTANCE_RUNNING "' AND migrate_to = ?",
                    "isss", time_now(), instance_id, source, target);
    int ok = rc == 1 && block_migration_moved(s, instance_id, source, target) >= 0;
    if (store_unit_end(s, own, ok) != 0 || !ok)
        return rc == 1 ? -1 : rc;
    log_info("instance %s: migrated from %s", instance_id, source);
    return 1;
}

int migration_failed(struct store *s, const char *instance_id, const char *host_id, const char *why)
{
    int rc = store_exec(s,
                        "UPDATE instances SET migrate_to = '', migrate_state = '', migrate_port = 0,"
                        " latest_op_state = 'FAILED', reason = ?, updated = ?"
                        " WHERE instance_id = ? AND migrate_to <> '' AND (host_id = ? OR migrate_to = ?)",
                        "sisss", why, time_now(), instance_id, host_id, host_id);
    if (rc == 1)
        log_warn("instance %s: the migration failed (reported by %s): %s", instance_id, host_id, why);
    return rc;
}

int migration_expire(struct store *s, int64_t now)
{
    struct store_stmt *q = store_query(
        s,
        "SELECT i.instance_id, i.host_id, CASE WHEN i.state <> '" INSTANCE_RUNNING "' THEN 'the instance left RUNNING'"
        " WHEN i.migrate_started < ? THEN 'it took too long'"
        " ELSE 'a host of the migration is down' END FROM instances i WHERE i.migrate_to <> '' AND"
        " (i.state <> '" INSTANCE_RUNNING "' OR i.migrate_started < ? OR EXISTS (SELECT 1 FROM hosts h WHERE"
        " (h.host_id = i.host_id OR h.host_id = i.migrate_to) AND " HOST_NOT_LIVE "))",
        "ii", now - HOST_MIGRATE_SECONDS, now - HOST_MIGRATE_SECONDS);
    char ids[16][24], hosts[16][40], why[16][64];
    int n = 0, rc = 0;
    while (q && n < 16 && (rc = store_step(q)) == 1) {
        snprintf(ids[n], sizeof ids[n], "%s", store_text(q, 0));
        snprintf(hosts[n], sizeof hosts[n], "%s", store_text(q, 1));
        snprintf(why[n], sizeof why[n], "%s", store_text(q, 2));
        n++;
    }
    store_done(q);
    if (!q || rc < 0)
        return -1;
    int changed = 0;
    for (int k = 0; k < n; k++) {
        char reason[128];
        snprintf(reason, sizeof reason, "the migration was abandoned: %.60s", why[k]);
        changed += migration_failed(s, ids[k], hosts[k], reason) == 1;
    }
    return changed;
}

int migration_drain(struct store *s, const char *host_id, const char *request_id, json_t *started, json_t *refused,
                    char *err, size_t errlen)
{
    struct host_row h;
    int rc = host_row(s, host_id, &h);
    if (rc != 1) {
        snprintf(err, errlen, rc < 0 ? "the hosts are unavailable" : "no host %s", host_id);
        return -1;
    }
    if (store_exec(s, "UPDATE hosts SET draining = 1, updated = ? WHERE host_id = ?", "is", time_now(), host_id) != 1) {
        snprintf(err, errlen, "the host could not be updated: %s", store_errmsg(s));
        return -1;
    }
    struct store_stmt *q =
        store_query(s,
                    "SELECT instance_id FROM instances WHERE host_id = ? AND state = '" INSTANCE_RUNNING
                    "' AND migrate_to = '' ORDER BY instance_id",
                    "s", host_id);
    char ids[HOST_DOC_MAX_INSTANCES][24];
    int n = 0;
    while (q && n < HOST_DOC_MAX_INSTANCES && (rc = store_step(q)) == 1)
        snprintf(ids[n++], sizeof ids[0], "%s", store_text(q, 0));
    store_done(q);
    if (!q || rc < 0) {
        snprintf(err, errlen, "the instances are unavailable");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char target[40], msg[300];
        const char *code = NULL;
        if (migration_start(s, ids[i], NULL, request_id, target, &code, msg, sizeof msg) == 0)
            json_array_append_new(started,
                                  json_pack("{s:s,s:s,s:s}", "InstanceId", ids[i], "From", host_id, "To", target));
        else
            json_array_append_new(refused,
                                  json_pack("{s:s,s:s,s:s}", "InstanceId", ids[i], "Code", code, "Message", msg));
    }
    return 0;
}

int migration_undrain(struct store *s, const char *host_id)
{
    return store_exec(s, "UPDATE hosts SET draining = 0, updated = ? WHERE host_id = ?", "is", time_now(), host_id);
}

/* ---- MigrateInstance ---- */

static int migrate_instance(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op != 1)
        return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                        "Only the operator of this cloud may migrate instances.");
    const char *id = json_string_value(json_object_get(ctx->params, "InstanceId"));
    const char *want = json_string_value(json_object_get(ctx->params, "HostId"));
    char target[40], msg[300];
    const char *code = NULL;
    if (migration_start(ctx->store, id, want, ctx->request_id, target, &code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    json_object_set_new(ctx->out, "InstanceId", json_string(id));
    json_object_set_new(ctx->out, "HostId", json_string(target));
    return 0;
}

static const struct param p_migrate[] = {
    P_STR("InstanceId", P_REQUIRED, 1, 64),
    P_STR("HostId", 0, 1, 64),
    P_END,
};

static const struct action migration_actions[] = {
    {"cvm", CVM, "MigrateInstance", migrate_instance, p_migrate, A_MUTATES, "instance/${InstanceId}"},
};

void migration_register(void)
{
    api_register(migration_actions, sizeof migration_actions / sizeof migration_actions[0]);
}
