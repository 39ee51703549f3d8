/*
 * host_pool: which pool each host is in, as columns of its row (component "hosts", its own
 * migration chain): pool (shared | dedicated | cluster), pool_owner (the account a dedicated host
 * was allocated to, or the cluster's owner) and pool_id (the CDH id, or the cluster id). The
 * operator moves hosts between pools (`yun admin hosts sellable|assign`); AllocateHosts gives a
 * sellable host an owner. The scheduler reads the pools with the capacity, so placement is one
 * filter over data. The CDH records (cdh_hosts) live in this chain too: AllocateHosts is cvm's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/states.h"

static const struct migration host_pool_migrations[] = {
    {1, "ALTER TABLE hosts ADD COLUMN pool TEXT NOT NULL DEFAULT 'shared';"
        "ALTER TABLE hosts ADD COLUMN pool_owner TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE hosts ADD COLUMN pool_id TEXT NOT NULL DEFAULT '';"
        "CREATE TABLE cdh_hosts (host_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, physical_host_id TEXT NOT NULL,"
        " zone TEXT NOT NULL, host_type TEXT NOT NULL, name TEXT NOT NULL, charge_type TEXT NOT NULL,"
        " state TEXT NOT NULL, project_id INTEGER NOT NULL DEFAULT 0, tags TEXT NOT NULL DEFAULT '[]',"
        " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
        "CREATE INDEX cdh_hosts_owner ON cdh_hosts (owner_uin, state);"},
    /* a region of hundreds of hosts: a host's document reads the instances moving to it (and SQLite's OR of
     * host_id and migrate_to wants both indexed), its plan the instances of its subnets */
    {2, "CREATE INDEX instances_migrate_to ON instances (migrate_to);"
        "CREATE INDEX instances_subnet ON instances (subnet_id, state);"},
    /* a joined host's heartbeats, out of its hosts row: the rows documents are made of change only when they
     * do (host_channel.c keeps a document's version while nothing but heartbeats was written) */
    {3, "CREATE TABLE host_heartbeats (host_id TEXT PRIMARY KEY, last_heartbeat INTEGER NOT NULL);"},
};

int host_pool_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "hosts", host_pool_migrations, sizeof host_pool_migrations / sizeof host_pool_migrations[0],
                         err, errlen);
}

/* what a host's instances hold of it, an instance migrating to it included (migration.c) */
#define USED_CPU                                                                                                       \
    "(SELECT coalesce(sum(cpu), 0) FROM instances i WHERE (i.host_id = h.host_id OR i.migrate_to = h.host_id) AND "    \
    "" INSTANCE_HOLDS_RESOURCES("i.state") ")"
#define USED_MIB                                                                                                       \
    "(SELECT coalesce(sum(memory_gib), 0) * 1024 FROM instances i WHERE (i.host_id = h.host_id OR i.migrate_to = "     \
    "h.host_id) AND "                                                                                                  \
    "" INSTANCE_HOLDS_RESOURCES("i.state") ")"

int host_pool_capacity(struct store *s, struct host_capacity **out)
{
    /* what each host's instances hold, an instance migrating to it included, summed in one pass over the
     * instances (not one per host: a region has hundreds) */
    struct store_stmt *q = store_query(
        s,
        "SELECT h.host_id, h.zone, h.vcpus, h.memory_mib, coalesce(u.cpu, 0), coalesce(u.gib, 0) * 1024, h.pool,"
        " h.pool_owner, h.pool_id FROM hosts h LEFT JOIN (SELECT x.host_id, sum(x.cpu) AS cpu, sum(x.memory_gib) AS gib"
        " FROM (SELECT i.host_id, i.cpu, i.memory_gib FROM instances i WHERE " INSTANCE_HOLDS_RESOURCES(
            "i.state") " UNION ALL SELECT i.migrate_to, i.cpu, i.memory_gib FROM instances i WHERE i.migrate_to <> '' "
                       "AND "
                       "" INSTANCE_HOLDS_RESOURCES("i.state") ") x GROUP BY x.host_id) u ON u.host_id = h.host_id"
                                                              " WHERE h.state IN ('" HOST_AVAILABLE "', '" HOST_UP
                                                              "') AND h.realises = 1 AND h.draining = 0"
                                                              " ORDER BY h.host_id",
        "");
    *out = NULL;
    if (!q)
        return -1;
    struct host_capacity *hosts = NULL;
    int n = 0, cap = 0, rc = 0;
    while ((rc = store_step(q)) == 1) {
        if (n == cap) {
            struct host_capacity *more = realloc(hosts, sizeof *hosts * (size_t)(cap = cap ? 2 * cap : 64));
            if (!more) {
                rc = -1;
                break;
            }
            hosts = more;
        }
        struct host_capacity *h = &hosts[n++];
        memset(h, 0, sizeof *h);
        snprintf(h->host_id, sizeof h->host_id, "%s", store_text(q, 0));
        snprintf(h->zone, sizeof h->zone, "%s", store_text(q, 1));
        h->vcpus_total = (int)store_int(q, 2);
        h->memory_mib_total = store_int(q, 3);
        h->vcpus_used = (int)store_int(q, 4);
        h->memory_mib_used = store_int(q, 5);
        h->pool = host_pool_parse(store_text(q, 6));
        snprintf(h->pool_owner, sizeof h->pool_owner, "%s", store_text(q, 7));
        snprintf(h->pool_id, sizeof h->pool_id, "%s", store_text(q, 8));
    }
    store_done(q);
    if (rc < 0) {
        free(hosts);
        return -1;
    }
    *out = hosts;
    return n;
}

static const char *pool_name(enum host_pool p)
{
    return p == HOST_POOL_DEDICATED ? HOST_POOL_DEDICATED_NAME
           : p == HOST_POOL_CLUSTER ? HOST_POOL_CLUSTER_NAME
                                    : HOST_POOL_SHARED_NAME;
}

int host_pool_set(struct store *s, const char *host_id, enum host_pool pool, const char *owner_uin, const char *pool_id,
                  const char *zone, char *err, size_t errlen)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT h.zone, h.pool, h.pool_owner, h.pool_id, (SELECT count(*) FROM"
                                       " instances i WHERE i.host_id = h.host_id AND " INSTANCE_HOLDS_RESOURCES(
                                           "i.state") ") FROM hosts h WHERE h.host_id = ?",
                                       "s", host_id);
    int rc = q ? store_step(q) : -1;
    char hzone[64] = "", hpool[16] = "", howner[24] = "", hid[40] = "";
    int64_t held = 0;
    if (rc == 1) {
        snprintf(hzone, sizeof hzone, "%s", store_text(q, 0));
        snprintf(hpool, sizeof hpool, "%s", store_text(q, 1));
        snprintf(howner, sizeof howner, "%s", store_text(q, 2));
        snprintf(hid, sizeof hid, "%s", store_text(q, 3));
        held = store_int(q, 4);
    }
    store_done(q);
    if (rc != 1) {
        snprintf(err, errlen, rc < 0 ? "the hosts are unavailable: %s" : "no host %s",
                 rc < 0 ? store_errmsg(s) : host_id);
        return -1;
    }
    if (host_pool_parse(hpool) == HOST_POOL_DEDICATED && howner[0]) { /* AllocateHosts owns it now */
        snprintf(err, errlen, "host %s is allocated as dedicated host %s to account %s", host_id, hid, howner);
        return -1;
    }
    if (zone && *zone && strcmp(zone, hzone) != 0) {
        snprintf(err, errlen, "host %s is in zone %s, not %s", host_id, hzone, zone);
        return -1;
    }
    const char *want_id = pool_id ? pool_id : "";
    int moves = host_pool_parse(hpool) != pool || strcmp(hid, want_id) != 0;
    /* an instance placed under one pool's rules never finds itself in another */
    if (moves && held > 0) {
        snprintf(err, errlen, "host %s holds %lld instances of its %s pool: move them off first", host_id,
                 (long long)held, hpool);
        return -1;
    }
    if (store_exec(s, "UPDATE hosts SET pool = ?, pool_owner = ?, pool_id = ?, updated = ? WHERE host_id = ?", "sssis",
                   pool_name(pool), owner_uin ? owner_uin : "", want_id, time_now(), host_id) != 1) {
        snprintf(err, errlen, "the host could not be updated: %s", store_errmsg(s));
        return -1;
    }
    return 0;
}

json_t *host_pool_hosts(struct store *s, enum host_pool pool, const char *pool_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT h.host_id, h.vcpus, h.memory_mib, h.state, h.updated, " USED_CPU
                                       ", " USED_MIB " FROM hosts h WHERE h.pool = ? AND h.pool_id = ?"
                                       " ORDER BY h.host_id",
                                       "ss", pool_name(pool), pool_id);
    if (!q)
        return NULL;
    json_t *set = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        char t[32];
        time_iso8601(store_int(q, 4), t);
        int64_t cpu = store_int(q, 1), gib = store_int(q, 2) / 1024;
        int64_t cpu_free = cpu - store_int(q, 5), gib_free = gib - (store_int(q, 6) + 1023) / 1024;
        json_array_append_new(
            set, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s,s:s}", "HostId", store_text(q, 0), "HostIp", "",
                           "ServiceType", "云服务器宿主机", "HostStatus",
                           strcmp(store_text(q, 3), HOST_AVAILABLE) && strcmp(store_text(q, 3), HOST_UP) ? "OFFLINE"
                                                                                                         : "ONLINE",
                           "CpuAvailable", (json_int_t)(cpu_free < 0 ? 0 : cpu_free), "CpuTotal", (json_int_t)cpu,
                           "MemAvailable", (json_int_t)(gib_free < 0 ? 0 : gib_free), "MemTotal", (json_int_t)gib,
                           "HostType", "yun", "RunTime", t, "ExpireTime", ""));
    }
    store_done(q);
    if (rc < 0) {
        json_decref(set);
        return NULL;
    }
    return set;
}

int64_t host_pool_instances(struct store *s, enum host_pool pool, const char *pool_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT count(*) FROM instances i JOIN hosts h ON h.host_id = i.host_id"
                                       " WHERE h.pool = ? AND h.pool_id = ? AND " INSTANCE_HOLDS_RESOURCES("i.state"),
                                       "ss", pool_name(pool), pool_id);
    int rc = q ? store_step(q) : -1;
    int64_t n = rc == 1 ? store_int(q, 0) : -1;
    store_done(q);
    return n;
}

int host_pool_of_instance(struct store *s, const char *instance_id, char pool_id[40])
{
    struct store_stmt *q = store_query(s,
                                       "SELECT h.pool, h.pool_id FROM instances i JOIN hosts h ON h.host_id = i.host_id"
                                       " WHERE i.instance_id = ?",
                                       "s", instance_id);
    int rc = q ? store_step(q) : -1;
    int pool = HOST_POOL_SHARED;
    pool_id[0] = 0;
    if (rc == 1) {
        pool = host_pool_parse(store_text(q, 0));
        if (pool == HOST_POOL_CLUSTER)
            snprintf(pool_id, 40, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc < 0 ? -1 : pool;
}

int host_is_joined_of_instance(struct store *s, const char *instance_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT h.joined FROM instances i JOIN hosts h ON h.host_id = i.host_id"
                                       " WHERE i.instance_id = ?",
                                       "s", instance_id);
    int rc = q ? store_step(q) : -1;
    int joined = rc == 1 && store_int(q, 0) == 1;
    store_done(q);
    return rc < 0 ? -1 : joined;
}

int host_pool_disk_host(struct store *s, const char *zone, const char *owner_uin, const char *cluster_id,
                        char host_id[40])
{
    struct host_capacity *hosts = NULL;
    int n = host_pool_capacity(s, &hosts), best = -1;
    const char *ids[1] = {cluster_id};
    struct placement p = {.zone = zone,
                          .pool = cluster_id && *cluster_id ? HOST_POOL_CLUSTER : HOST_POOL_SHARED,
                          .owner_uin = owner_uin,
                          .pool_ids = ids,
                          .npool_ids = cluster_id && *cluster_id ? 1 : 0};
    for (int i = 0; i < n; i++)
        if (scheduler_eligible(&hosts[i], &p) && (best < 0 || !strcmp(hosts[i].host_id, HOST_BUILTIN_ID)))
            best = i;
    if (best >= 0)
        snprintf(host_id, 40, "%s", hosts[best].host_id);
    free(hosts);
    return n < 0 ? -1 : best >= 0;
}
