/*
 * cluster: the cdc dedicated clusters (CreateDedicatedCluster, DescribeDedicatedClusters,
 * DescribeDedicatedClusterHosts, DescribeDedicatedClusterOverview, ModifyDedicatedClusterInfo,
 * DeleteDedicatedClusters) and the service's registration. A cluster's hosts are compute's host
 * rows in the cluster's pool; its life cycle follows them: PENDING until the operator assigns a
 * host, then RUNNING.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "compute/compute.h"
#include "dedicated/dedicated_int.h"

void site_register(void);

static int zone_in_region(struct api_ctx *ctx, const char *zone)
{
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    for (int i = 0; r && i < r->nzones; i++)
        if (!strcmp(r->zones[i].zone, zone))
            return 1;
    return 0;
}

static int create_cluster(struct api_ctx *ctx)
{
    const char *site = api_str(ctx, "SiteId", ""), *zone = api_str(ctx, "Zone", "");
    int rc = site_exists(ctx->store, ctx->who.owner_uin, site);
    if (rc != 1)
        return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_RESOURCE_NOT_FOUND, "The site `%s` does not exist.", site);
    if (!zone_in_region(ctx, zone))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The zone `%s` is not in region %s.", zone, ctx->region);
    char id[24];
    random_id("cluster-", id, sizeof id);
    if (cluster_insert(ctx->store, id, ctx->who.owner_uin, site, api_str(ctx, "Name", ""), zone, ctx->region,
                       api_str(ctx, "Description", ""), time_now()) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster could not be recorded: %s",
                        store_errmsg(ctx->store));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cdc:%s:uin/%s:dedicatedCluster/%s", ctx->region,
             ctx->who.owner_uin, id);
    json_object_set_new(ctx->out, "DedicatedClusterId", json_string(id));
    return 0;
}

/* The caller's cluster `id` in this region (a new reference), or NULL having answered ResourceNotFound. */
static json_t *find_cluster(struct api_ctx *ctx, const char *id)
{
    json_t *rows = cluster_rows(ctx->store, ctx->who.owner_uin, ctx->region);
    if (!rows) {
        api_fail(ctx, E_INTERNAL_ERROR, "The dedicated clusters are unavailable.");
        return NULL;
    }
    json_t *found = NULL;
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row)
        if (!strcmp(json_string_value(json_object_get(row, "DedicatedClusterId")), id))
            found = json_incref(row);
    json_decref(rows);
    if (!found)
        api_fail(ctx, E_RESOURCE_NOT_FOUND, "The dedicated cluster `%s` does not exist.", id);
    return found;
}

static int describe_clusters(struct api_ctx *ctx)
{
    json_t *rows = cluster_rows(ctx->store, ctx->who.owner_uin, ctx->region);
    if (!rows)
        return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated clusters are unavailable.");
    json_t *ids = json_object_get(ctx->params, "DedicatedClusterIds");
    json_t *zones = json_object_get(ctx->params, "Zones"), *sites = json_object_get(ctx->params, "SiteIds");
    json_t *states = json_object_get(ctx->params, "LifecycleStatuses");
    const char *name = api_str(ctx, "Name", NULL);
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    size_t i;
    json_t *row;
    int rc = 0;
    json_array_foreach (rows, i, row) {
        const char *id = json_string_value(json_object_get(row, "DedicatedClusterId"));
        json_t *hosts = host_pool_hosts(ctx->store, HOST_POOL_CLUSTER, id);
        if (!hosts) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster's hosts are unavailable.");
            break;
        }
        const char *life = json_array_size(hosts) ? "RUNNING" : "PENDING";
        json_decref(hosts);
        if ((ids && !values_contain(ids, id)) ||
            (zones && !values_contain(zones, json_string_value(json_object_get(row, "Zone")))) ||
            (sites && !values_contain(sites, json_string_value(json_object_get(row, "SiteId")))) ||
            (states && !values_contain(states, life)) ||
            (name && !strstr(json_string_value(json_object_get(row, "Name")), name)))
            continue;
        if (!page_take(&pg))
            continue;
        json_t *c = json_deep_copy(row);
        json_object_set_new(c, "LifecycleStatus", json_string(life));
        json_object_set_new(c, "RunningStatus", json_string("NORMAL"));
        json_array_append_new(pg.set, c);
    }
    json_decref(rows);
    if (rc != 0) {
        page_drop(&pg);
        return -1;
    }
    page_finish(ctx, &pg, "DedicatedClusterSet");
    return 0;
}

static int describe_cluster_hosts(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "DedicatedClusterId", "");
    json_t *c = find_cluster(ctx, id);
    if (!c)
        return -1;
    json_decref(c);
    json_t *hosts = host_pool_hosts(ctx->store, HOST_POOL_CLUSTER, id);
    if (!hosts)
        return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster's hosts are unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    size_t i;
    json_t *h;
    json_array_foreach (hosts, i, h)
        if (page_take(&pg))
            json_array_append(pg.set, h);
    json_decref(hosts);
    page_finish(ctx, &pg, "HostInfoSet");
    return 0;
}

static int describe_cluster_overview(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "DedicatedClusterId", "");
    json_t *c = find_cluster(ctx, id);
    if (!c)
        return -1;
    json_decref(c);
    json_t *hosts = host_pool_hosts(ctx->store, HOST_POOL_CLUSTER, id);
    int64_t cvms = host_pool_instances(ctx->store, HOST_POOL_CLUSTER, id);
    if (!hosts || cvms < 0) {
        json_decref(hosts);
        return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster's hosts are unavailable.");
    }
    int64_t normal = 0, cpu = 0, cpu_free = 0, mem = 0, mem_free = 0;
    size_t i;
    json_t *h;
    json_array_foreach (hosts, i, h) {
        normal += !strcmp(json_string_value(json_object_get(h, "HostStatus")), "ONLINE");
        cpu += json_integer_value(json_object_get(h, "CpuTotal"));
        cpu_free += json_integer_value(json_object_get(h, "CpuAvailable"));
        mem += json_integer_value(json_object_get(h, "MemTotal"));
        mem_free += json_integer_value(json_object_get(h, "MemAvailable"));
    }
    size_t n = json_array_size(hosts);
    json_decref(hosts);
    json_t *detail = json_array();
    if (n)
        json_array_append_new(detail, json_pack("{s:s,s:f,s:f,s:f,s:f}", "HostTypeFamily", "yun", "CpuTotal",
                                                (double)cpu, "CpuAvailable", (double)cpu_free, "MemTotal", (double)mem,
                                                "MemAvailable", (double)mem_free));
    json_object_set_new(ctx->out, "CvmCount", json_integer((json_int_t)cvms));
    json_object_set_new(ctx->out, "HostCount", json_integer((json_int_t)n));
    json_object_set_new(ctx->out, "VpnConnectionState", json_string(""));
    json_object_set_new(ctx->out, "VpngwBandwidthData", json_null());
    json_object_set_new(ctx->out, "LocalNetInfo", json_null());
    json_object_set_new(ctx->out, "VpnConnectionBandwidthData", json_array());
    json_object_set_new(ctx->out, "HostDetailInfo", detail);
    json_object_set_new(ctx->out, "HostStandbyCount", json_integer(0));
    json_object_set_new(ctx->out, "HostNormalCount", json_integer((json_int_t)normal));
    json_object_set_new(ctx->out, "HostAbnormalCount", json_integer((json_int_t)(n - (size_t)normal)));
    return 0;
}

static int modify_cluster(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "DedicatedClusterId", "");
    json_t *c = find_cluster(ctx, id);
    if (!c)
        return -1;
    const char *zone = api_str(ctx, "Zone", NULL), *site = api_str(ctx, "SiteId", NULL);
    int moves_zone = zone && strcmp(zone, json_string_value(json_object_get(c, "Zone")));
    json_decref(c);
    if (moves_zone) {
        json_t *hosts = host_pool_hosts(ctx->store, HOST_POOL_CLUSTER, id);
        size_t n = hosts ? json_array_size(hosts) : 0;
        json_decref(hosts);
        if (!zone_in_region(ctx, zone))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The zone `%s` is not in region %s.", zone, ctx->region);
        if (n) /* its hosts are in a zone: the cluster cannot leave it */
            return api_fail(ctx, E_UNSUPPORTED_OPERATION, "The dedicated cluster `%s` has %zu hosts in its zone.", id,
                            n);
    }
    if (site) {
        int rc = site_exists(ctx->store, ctx->who.owner_uin, site);
        if (rc != 1)
            return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_RESOURCE_NOT_FOUND, "The site `%s` does not exist.",
                            site);
    }
    static const struct {
        const char *param, *column;
    } fields[] = {{"Name", "name"}, {"Zone", "zone"}, {"Description", "description"}, {"SiteId", "site_id"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = api_str(ctx, fields[i].param, NULL);
        if (v && cluster_set(ctx->store, ctx->who.owner_uin, id, fields[i].column, v) != 1)
            return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster could not be updated.");
    }
    return 0;
}

static int delete_clusters(struct api_ctx *ctx)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ctx->params, "DedicatedClusterIds"), i, v) {
        const char *id = json_string_value(v);
        json_t *c = find_cluster(ctx, id);
        if (!c)
            return -1;
        json_decref(c);
        json_t *hosts = host_pool_hosts(ctx->store, HOST_POOL_CLUSTER, id);
        if (!hosts)
            return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster's hosts are unavailable.");
        size_t n = json_array_size(hosts);
        json_decref(hosts);
        if (n) /* the operator takes its hosts back first (yun admin hosts assign HOST --shared) */
            return api_fail(ctx, E_RESOURCE_IN_USE, "The dedicated cluster `%s` still has %zu hosts.", id, n);
        if (cluster_delete(ctx->store, ctx->who.owner_uin, id) != 1)
            return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster could not be deleted.");
    }
    return 0;
}

static const struct param p_create[] = {P_STR("SiteId", P_REQUIRED, 1, 64), P_STR("Name", P_REQUIRED, 1, 60),
                                        P_STR("Zone", P_REQUIRED, 1, 64), P_STR("Description", 0, 0, 256), P_END};
static const struct param p_describe[] = {P_STRS("DedicatedClusterIds", 0, 100, 64),
                                          P_STRS("Zones", 0, 100, 64),
                                          P_STRS("SiteIds", 0, 100, 64),
                                          P_STRS("LifecycleStatuses", 0, 10, 32),
                                          P_STR("Name", 0, 0, 60),
                                          P_INT("Offset", 0, 0, INT32_MAX),
                                          P_INT("Limit", 0, 1, 100),
                                          P_END};
static const struct param p_hosts[] = {P_STR("DedicatedClusterId", P_REQUIRED, 1, 64), P_INT("Offset", 0, 0, INT32_MAX),
                                       P_INT("Limit", 0, 1, 100), P_END};
static const struct param p_one[] = {P_STR("DedicatedClusterId", P_REQUIRED, 1, 64), P_END};
static const struct param p_modify[] = {P_STR("DedicatedClusterId", P_REQUIRED, 1, 64),
                                        P_STR("Name", 0, 1, 60),
                                        P_STR("Zone", 0, 1, 64),
                                        P_STR("Description", 0, 0, 256),
                                        P_STR("SiteId", 0, 1, 64),
                                        P_END};
static const struct param p_delete[] = {P_STRS("DedicatedClusterIds", P_REQUIRED, 100, 64), P_END};

#define R   A_REGIONAL
#define RM  (A_MUTATES | A_REGIONAL)
#define ONE "dedicatedCluster/${DedicatedClusterId}"
static const struct action cluster_actions[] = {
    {"cdc", CDC, "CreateDedicatedCluster", create_cluster, p_create, RM, "dedicatedCluster/*", NULL,
     TOUCHES("cdc:site/${SiteId}")},
    {"cdc", CDC, "DescribeDedicatedClusters", describe_clusters, p_describe, R,
     "dedicatedCluster/${DedicatedClusterIds|*}"},
    {"cdc", CDC, "DescribeDedicatedClusterHosts", describe_cluster_hosts, p_hosts, R, ONE},
    {"cdc", CDC, "DescribeDedicatedClusterOverview", describe_cluster_overview, p_one, R, ONE},
    {"cdc", CDC, "ModifyDedicatedClusterInfo", modify_cluster, p_modify, RM, ONE},
    {"cdc", CDC, "DeleteDedicatedClusters", delete_clusters, p_delete, RM, "dedicatedCluster/${DedicatedClusterIds}"},
};

void dedicated_register(void)
{
    site_register();
    api_register(cluster_actions, sizeof cluster_actions / sizeof cluster_actions[0]);
}
