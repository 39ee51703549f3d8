/*
 * operator_hosts: DescribeOperatorHosts, a yun extension for the operator's account only: each
 * host with its zone, state, pool (shared, dedicated, cluster), what it sells (vCPUs, memory) and
 * what its instances hold of it.
 * Read-only; a refusal is audited like any other.
 */
#include "api/api.h"
#include "api/codes.h"
#include "compute/compute.h"
#include "compute/states.h"
#include "identity/identity.h"
#include <stdio.h>

static int describe_operator_hosts(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op != 1)
        return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                        "Only the operator of this cloud may describe its hosts.");
    struct store_stmt *q = store_query(
        ctx->store,
        "SELECT h.host_id, h.zone, h.hostname, h.cores, h.vcpus, h.memory_mib, h.accel, h.state, h.updated,"
        " (SELECT coalesce(sum(cpu), 0) FROM instances i WHERE i.host_id = h.host_id AND " INSTANCE_HOLDS_RESOURCES(
            "i.state") "),"
                       " (SELECT coalesce(sum(memory_gib), 0) * 1024 FROM instances i WHERE i.host_id = h.host_id AND "
                       "" INSTANCE_HOLDS_RESOURCES("i.state") "),"
                                                              " (SELECT count(*) FROM instances i WHERE i.host_id = "
                                                              "h.host_id AND " INSTANCE_HOLDS_RESOURCES(
                                                                  "i.state") "),"
                                                                             " h.pool, h.pool_owner, h.pool_id FROM "
                                                                             "hosts h ORDER BY h.zone, h.host_id",
        "");
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The hosts are unavailable: %s", store_errmsg(ctx->store));
    json_t *set = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        char t[32];
        time_iso8601(store_int(q, 8), t);
        json_array_append_new(
            set, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:I,s:I,s:I}", "HostId", store_text(q, 0), "Zone",
                           store_text(q, 1), "HostName", store_text(q, 2), "Cores", (json_int_t)store_int(q, 3),
                           "VcpuTotal", (json_int_t)store_int(q, 4), "MemoryMiBTotal", (json_int_t)store_int(q, 5),
                           "Accelerator", store_text(q, 6), "HostState", store_text(q, 7), "UpdatedTime", t, "VcpuUsed",
                           (json_int_t)store_int(q, 9), "MemoryMiBUsed", (json_int_t)store_int(q, 10), "InstanceCount",
                           (json_int_t)store_int(q, 11)));
        /* its pool: shared, dedicated (sellable, or a CDH of PoolOwner) or a dedicated cluster's */
        json_t *h = json_array_get(set, json_array_size(set) - 1);
        json_object_set_new(h, "Pool", json_string(store_text(q, 12)));
        json_object_set_new(h, "PoolOwner", json_string(store_text(q, 13)));
        json_object_set_new(h, "PoolId", json_string(store_text(q, 14)));
    }
    store_done(q);
    if (rc < 0) {
        json_decref(set);
        return api_fail(ctx, E_INTERNAL_ERROR, "The hosts are unavailable.");
    }
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "HostSet", set);
    return 0;
}

static const struct param p_none[] = {P_END};

static const struct action operator_host_actions[] = {
    {"cvm", CVM, "DescribeOperatorHosts", describe_operator_hosts, p_none, 0, "host/*"},
};

void operator_hosts_register(void)
{
    api_register(operator_host_actions, sizeof operator_host_actions / sizeof operator_host_actions[0]);
}
