/*
 * admin_hosts: the region's hosts, their join tokens, and their pools.
 *   yun admin hosts --data DIR                              every host: zone, state, heartbeat, capacity, use
 *   yun admin hosts --data DIR token [--ttl 1h] [--count N] single-use join tokens for `yun host join`, one a line
 *   yun admin hosts --data DIR revoke HOST                  a joined host's certificate is no longer accepted
 *   yun admin hosts --data DIR sellable HOST --dedicated   sellable as a dedicated host (AllocateHosts)
 *   yun admin hosts --data DIR sellable HOST --shared      back to the shared pool
 *   yun admin hosts --data DIR assign HOST --cluster ID    into a dedicated cluster (its owner's only)
 *   yun admin hosts --data DIR assign HOST --shared        out of its cluster
 *   yun admin hosts --data DIR drain HOST                   no new instances there; its RUNNING ones migrate live
 *   yun admin hosts --data DIR undrain HOST                 it takes new instances again
 * A host holding instances does not change pool, nor does a host allocated to an account. Each
 * change, each refusal and each token issued is one audit record (source "yun admin").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "core/tls.h"
#include "dedicated/dedicated.h"

int cli_admin_hosts_token(int argc, char **argv)
{
    int64_t ttl = JOIN_TOKEN_TTL_DEFAULT;
    const char *ttl_text = cli_opt(argc, argv, "--ttl", NULL), *count_text = cli_opt(argc, argv, "--count", "1");
    char *end = NULL;
    long count = strtol(count_text, &end, 10);
    if ((ttl_text && (clock_parse_duration(ttl_text, &ttl) != 0 || ttl < 1 || ttl > 7 * 86400)) || !end || *end ||
        count < 1 || count > 10000) {
        fprintf(stderr, "usage: yun admin hosts --data DIR token [--ttl 1h] [--count N]  (from 1s to 7d; N up to "
                        "10000, one a line)\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[400] = "the token could not be stored", hash[65], rid[37], resource[200];
    struct tls_ca ca = {0};
    struct join_token t;
    int64_t now = time_now();
    char(*texts)[JOIN_TOKEN_MAX] = calloc((size_t)count, sizeof *texts);
    int rc = texts && store_begin(s) == STORE_OK && host_ca_get(s, cfg.region, &ca, err, sizeof err) == 0 ? 0 : -1;
    /* N tokens in one transaction (a region of simulated hosts asks for hundreds), each audited */
    for (long i = 0; rc == 0 && i < count; i++) {
        join_token_new(ca.sha256, &t);
        join_token_secret_hash(t.secret, hash);
        join_token_format(&t, texts[i], sizeof texts[i]);
        snprintf(resource, sizeof resource, "qcs::cvm:%s::hosttoken/%s", cfg.region, t.id);
        random_uuid(rid);
        rc = host_token_insert(s, t.id, hash, now + ttl, now) == 0 &&
                     audit_write(s, &(struct audit_entry){"", "", "yun admin", "cvm", "CreateHostJoinToken", resource,
                                                          "Success", rid}) == 0
                 ? 0
                 : -1;
    }
    if (rc == 0 && store_commit(s) != STORE_OK)
        rc = -1;
    if (rc != 0 && store_in_transaction(s))
        store_rollback(s);
    tls_ca_close(&ca);
    store_close(s);
    if (rc != 0) {
        free(texts);
        fprintf(stderr, "yun admin hosts token: %s\n", err);
        return 1;
    }
    char expires[32];
    time_iso8601(now + ttl, expires);
    for (long i = 0; i < count; i++)
        printf("%s\n", texts[i]);
    free(texts);
    fprintf(stderr, "single use, expires %s; on the host: yun host join --control HOST:PORT --token TOKEN --data DIR\n",
            expires);
    return 0;
}

int cli_admin_hosts_revoke(int argc, char **argv)
{
    const char *host = NULL;
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], "revoke"))
            host = argv[i + 1];
    if (!host || host[0] == '-') {
        fprintf(stderr, "usage: yun admin hosts --data DIR revoke HOST\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char rid[37], resource[200];
    random_uuid(rid);
    snprintf(resource, sizeof resource, "qcs::cvm:%s::host/%s", cfg.region, host);
    int n = store_begin(s) == STORE_OK ? host_revoke(s, host, time_now()) : -1;
    int rc = n >= 0 &&
                     audit_write(s, &(struct audit_entry){"", "", "yun admin", "cvm", "RevokeHost", resource,
                                                          n == 1 ? "Success" : "ResourceNotFound", rid}) == 0 &&
                     store_commit(s) == STORE_OK
                 ? 0
                 : -1;
    if (rc != 0 && store_in_transaction(s))
        store_rollback(s);
    store_close(s);
    if (rc != 0 || n != 1) {
        fprintf(stderr, "yun admin hosts revoke: %s\n",
                rc != 0 ? "the change could not be stored" : "no such joined host");
        return 1;
    }
    printf("{\"HostId\": \"%s\", \"State\": \"" HOST_DOWN "\", \"Revoked\": true}\n", host);
    return 0;
}

/* Every host: the built-in one ("realises instances") and the joined ones (what they said: "instances" or "none"
 * in their facts), with zone, state, heartbeat, capacity and use. */
int cli_admin_hosts_list(int argc, char **argv)
{
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    struct store_stmt *q = store_query(
        s,
        "SELECT h.host_id, h.zone, h.hostname, h.cores, h.vcpus, h.memory_mib, h.accel, h.accel_reason, h.state,"
        " (SELECT coalesce(sum(cpu), 0) FROM instances i WHERE i.host_id = h.host_id AND " INSTANCE_HOLDS_RESOURCES(
            "i.state") "), (SELECT count(*) FROM instances i WHERE i.host_id = h.host_id "
                       "AND " INSTANCE_HOLDS_RESOURCES(
                           "i.state") "), h.pool, h.pool_owner, h.pool_id, h.joined, "
                                      "h.realises, coalesce((SELECT b.last_heartbeat FROM host_heartbeats b WHERE "
                                      "b.host_id = h.host_id), h.last_heartbeat), h.disk_gib,"
                                      " (SELECT coalesce(sum(memory_gib), 0) * 1024 "
                                      "FROM instances i WHERE i.host_id = h.host_id "
                                      "AND "
                                      "" INSTANCE_HOLDS_RESOURCES("i.state") ")"
                                                                             ", h.draining FROM hosts h ORDER BY "
                                                                             "h.joined, h.host_id",
        "");
    int rc;
    while (q && (rc = store_step(q)) == 1) {
        char beat[32] = "";
        if (store_int(q, 16) > 0)
            time_iso8601(store_int(q, 16), beat);
        json_t *j = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:I,s:I}", "HostId", store_text(q, 0),
            "Zone", store_text(q, 1), "Hostname", store_text(q, 2), "Cores", store_text(q, 3), "VCpus",
            store_text(q, 4), "MemoryMiB", store_text(q, 5), "Accelerator", store_text(q, 6), "AcceleratorReason",
            store_text(q, 7), "State", store_text(q, 8), "VCpusUsed", store_text(q, 9), "Instances", store_text(q, 10),
            "Pool", store_text(q, 11), "PoolOwner", store_text(q, 12), "PoolId", store_text(q, 13), "Joined",
            (int)store_int(q, 14), "Realises", store_int(q, 15) ? "instances" : "none", "LastHeartbeat", beat,
            "DiskGiB", (json_int_t)store_int(q, 17), "MemoryMiBUsed", (json_int_t)store_int(q, 18));
        json_object_set_new(j, "Draining", json_boolean(store_int(q, 19)));
        if (!strcmp(store_text(q, 6), HOST_ACCEL_SIMULATED)) /* `yun host simulate`: no machine behind it */
            json_object_set_new(j, "Simulated", json_true());
        char *line = json_dumps(j, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(j);
    }
    store_done(q);
    store_close(s);
    return q ? 0 : 1;
}

static int has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], flag))
            return 1;
    return 0;
}

int cli_admin_hosts_pool(int argc, char **argv)
{
    const char *verb = argv[0], *host = argc > 1 ? argv[1] : NULL;
    int sellable = !strcmp(verb, "sellable");
    const char *cluster = cli_opt(argc, argv, "--cluster", NULL);
    int shared = has_flag(argc, argv, "--shared"), dedicated = has_flag(argc, argv, "--dedicated");
    if (!host || host[0] == '-' || (sellable ? shared == dedicated : (!cluster) == !shared)) {
        fprintf(stderr, "usage: yun admin hosts --data DIR sellable HOST --dedicated|--shared\n"
                        "       yun admin hosts --data DIR assign HOST --cluster CLUSTER_ID|--shared\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[400] = "", owner[24] = "", zone[64] = "";
    enum host_pool pool = shared ? HOST_POOL_SHARED : sellable ? HOST_POOL_DEDICATED : HOST_POOL_CLUSTER;
    const char *result = "Success";
    int rc = store_begin(s) == STORE_OK ? 0 : -1;
    if (rc != 0)
        snprintf(err, sizeof err, "the store is busy: %s", store_errmsg(s));
    if (rc == 0 && pool == HOST_POOL_CLUSTER) {
        int found = dedicated_cluster_owner(s, cluster, owner, zone);
        if (found != 1) {
            snprintf(err, sizeof err, found < 0 ? "the dedicated clusters are unavailable" : "no dedicated cluster %s",
                     cluster);
            result = "ResourceNotFound";
            rc = -1;
        }
    }
    if (rc == 0 && host_pool_set(s, host, pool, pool == HOST_POOL_CLUSTER ? owner : NULL,
                                 pool == HOST_POOL_CLUSTER ? cluster : NULL, zone, err, sizeof err) != 0) {
        result = "FailedOperation";
        rc = -1;
    }
    if (rc != 0)
        store_rollback(s);
    char rid[37], resource[200], action[64];
    random_uuid(rid);
    snprintf(resource, sizeof resource, "qcs::cvm:%s::host/%s%s%s", cfg.region, host, cluster ? " cluster/" : "",
             cluster ? cluster : "");
    snprintf(action, sizeof action, "%s%s", sellable ? "HostSellable" : "HostAssign",
             shared     ? "Shared"
             : sellable ? "Dedicated"
                        : "Cluster");
    if (rc == 0)
        rc = audit_write(s, &(struct audit_entry){owner, "", "yun admin", "cvm", action, resource, result, rid}) == 0 &&
                     store_commit(s) == STORE_OK
                 ? 0
                 : -1;
    else
        audit_write(s, &(struct audit_entry){owner, "", "yun admin", "cvm", action, resource, result, rid});
    store_close(s);
    if (rc != 0) {
        fprintf(stderr, "yun admin hosts %s: %s\n", verb, err[0] ? err : "the change could not be stored");
        return 1;
    }
    printf("{\"HostId\": \"%s\", \"Pool\": \"%s\"%s%s%s}\n", host,
           shared     ? HOST_POOL_SHARED_NAME
           : sellable ? HOST_POOL_DEDICATED_NAME
                      : HOST_POOL_CLUSTER_NAME,
           cluster ? ", \"DedicatedClusterId\": \"" : "", cluster ? cluster : "", cluster ? "\"" : "");
    return 0;
}

/* Draining: the host takes no new instances, and each of its RUNNING instances starts migrating live to another
 * host of its pool and zone with room (compute/migration.c); what started and what could not, one line each. */
int cli_admin_hosts_drain(int argc, char **argv)
{
    const char *host = NULL;
    int off = 0;
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], "drain") || !strcmp(argv[i], "undrain")) {
            host = argv[i + 1];
            off = !strcmp(argv[i], "undrain");
        }
    if (!host || host[0] == '-') {
        fprintf(stderr, "usage: yun admin hosts --data DIR drain|undrain HOST\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[400] = "", rid[37], resource[200];
    random_uuid(rid);
    snprintf(resource, sizeof resource, "qcs::cvm:%s::host/%s", cfg.region, host);
    const char *action = off ? "UndrainHost" : "DrainHost";
    json_t *started = json_array(), *refused = json_array();
    int rc = store_begin(s) == STORE_OK ? 0 : -1;
    if (rc == 0 && off) {
        int n = migration_undrain(s, host);
        if (n != 1)
            snprintf(err, sizeof err, n < 0 ? "the host could not be updated" : "no host %s", host);
        rc = n == 1 ? 0 : -1;
    } else if (rc == 0)
        rc = migration_drain(s, host, rid, started, refused, err, sizeof err);
    if (rc == 0)
        rc = audit_write(s, &(struct audit_entry){"", "", "yun admin", "cvm", action, resource, "Success", rid}) == 0 &&
                     store_commit(s) == STORE_OK
                 ? 0
                 : -1;
    if (rc != 0 && store_in_transaction(s)) {
        store_rollback(s);
        audit_write(s, &(struct audit_entry){"", "", "yun admin", "cvm", action, resource, "FailedOperation", rid});
    }
    store_close(s);
    json_t *out = rc != 0 ? NULL
                  : off   ? json_pack("{s:s,s:b}", "HostId", host, "Draining", 0)
                          : json_pack("{s:s,s:b,s:O,s:O}", "HostId", host, "Draining", 1, "Migrating", started,
                                      "NotMigrating", refused);
    json_decref(started);
    json_decref(refused);
    if (rc != 0) {
        fprintf(stderr, "yun admin hosts %s: %s\n", off ? "undrain" : "drain",
                err[0] ? err : "the change could not be stored");
        return 1;
    }
    char *line = json_dumps(out, JSON_COMPACT);
    printf("%s\n", line ? line : "");
    free(line);
    json_decref(out);
    return 0;
}
