/*
 * address: elastic public IPs (AllocateAddresses, DescribeAddresses, ReleaseAddresses,
 * AssociateAddress, DisassociateAddress). Addresses come from the operator's pool
 * (NETWORK_EIP_POOL); `addresses.ip` is UNIQUE, so two tenants can never hold one address even
 * when allocations race. Binding needs compute's instance lookup hook (network.h); until compute
 * provides it every instance id is InvalidInstanceId.NotFound. The host realises a binding as
 * DNAT/SNAT in the VPC's router namespace (host_net.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "meter/meter.h"
#include "network/codes.h"
#include "network/network_int.h"

#define ADDRESS_COLUMNS                                                                                                \
    "address_id, name, status, ip, instance_id, private_ip, charge_type, bandwidth, isp, tags, created"

static json_t *nullable(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *address_json(struct store_stmt *q)
{
    char t[32];
    net_time_us(store_int(q, 10), t);
    json_t *tags = json_loads(store_text(q, 9), 0, NULL);
    const char *instance = store_text(q, 4);
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:b,s:b,s:b,s:s,s:b,s:{s:b,s:b},s:s,s:b,s:I,s:s,s:o,s:n,s:o,s:s,s:s,"
        "s:s,s:s,s:s,s:s}",
        "AddressId", store_text(q, 0), "AddressName", store_text(q, 1), "AddressStatus", store_text(q, 2), "AddressIp",
        store_text(q, 3), "InstanceId", nullable(instance), "CreatedTime", t, "NetworkInterfaceId", json_null(),
        "PrivateAddressIp", nullable(store_text(q, 5)), "IsArrears", 0, "IsBlocked", 0, "IsEipDirectConnection", 0,
        "AddressType", "EIP", "CascadeRelease", 0, "EipAlgType", "Ftp", 0, "Sip", 0, "InternetServiceProvider",
        store_text(q, 8), "LocalBgp", 0, "Bandwidth", (json_int_t)store_int(q, 7), "InternetChargeType",
        store_text(q, 6), "TagSet", tags ? tags : json_array(), "DeadlineDate", "InstanceType",
        *instance ? json_string("CVM") : json_null(), "Egress", "center_egress1", "AntiDDoSPackageId", "", "RenewFlag",
        "", "BandwidthPackageId", "", "UnVpcId", "", "DedicatedClusterId", "");
}

static void task_id(struct api_ctx *ctx)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)random_digits(9));
    json_object_set_new(ctx->out, "TaskId", json_string(t));
}

/* The lowest pool address that no account holds: STORE_FOUND, STORE_NOT_FOUND (pool exhausted) or STORE_ERROR. */
static int free_pool_address(struct store *s, char out[16])
{
    struct cidr pool;
    if (cidr_parse(NETWORK_EIP_POOL, &pool) != 0)
        return -1;
    size_t n = (size_t)cidr_size(&pool);
    char *used = calloc(n, 1);
    if (!used)
        return -1;
    struct store_stmt *q = store_query(s, "SELECT ip FROM addresses", "");
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        uint32_t a;
        if (ip_parse(store_text(q, 0), &a) == 0 && cidr_contains_ip(&pool, a))
            used[a - pool.addr] = 1;
    }
    store_done(q);
    int found = STORE_NOT_FOUND;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* the pool's network, gateway and broadcast addresses are the operator's */
        if (used[i] || subnet_ip_reserved(&pool, pool.addr + (uint32_t)i))
            continue;
        ip_format(pool.addr + (uint32_t)i, out);
        found = STORE_FOUND;
        break;
    }
    free(used);
    return rc < 0 ? STORE_ERROR : found;
}

/* What billing sees of an address (the meter): an EIP that is not bound to an instance costs an
 * idle fee per hour, as in Tencent; a released one costs nothing. */
int address_meter(struct store *s, const char *address_id)
{
    struct store_stmt *q = store_query(
        s, "SELECT owner_uin, name, region, status, tags FROM addresses WHERE address_id = ?", "s", address_id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc != STORE_FOUND) {
        store_done(q);
        return rc < 0 ? -1 : meter_stop(s, address_id, NULL, clock_now());
    }
    char owner[24], name[160], region[64], tags[4096];
    snprintf(owner, sizeof owner, "%s", store_text(q, 0));
    snprintf(name, sizeof name, "%s", store_text(q, 1));
    snprintf(region, sizeof region, "%s", store_text(q, 2));
    int idle = strcmp(store_text(q, 3), "BIND") != 0;
    snprintf(tags, sizeof tags, "%s", store_text(q, 4));
    store_done(q);
    struct meter_use u = {owner, address_id, name, "vpc", "v_eip_idle", "*", region, "", tags, idle ? 1 : 0, 0};
    return meter_set(s, &u, clock_now());
}

static int allocate_addresses(struct api_ctx *ctx)
{
    int64_t count = api_int(ctx, "AddressCount", 1);
    struct store_stmt *c = store_query(ctx->store, "SELECT count(*) FROM addresses WHERE owner_uin = ? AND region = ?",
                                       "ss", ctx->who.owner_uin, ctx->region);
    int64_t have = (c && store_step(c) == 1) ? store_int(c, 0) : -1;
    store_done(c);
    if (have < 0)
        return net_store_failed(ctx);
    if (have + count > NETWORK_MAX_ADDRESSES)
        return api_fail(ctx, E_LIMIT_EXCEEDED_ADDRESS_QUOTA_LIMIT_EXCEEDED,
                        "The account holds %lld EIPs in %s; %lld more would exceed the quota of %d.", (long long)have,
                        ctx->region, (long long)count, NETWORK_MAX_ADDRESSES);
    const char *charge = api_str(ctx, "InternetChargeType", "TRAFFIC_POSTPAID_BY_HOUR");
    int64_t bandwidth = api_int(ctx, "InternetMaxBandwidthOut", 1);
    json_t *tags = net_tags(json_object_get(ctx->params, "Tags"));
    char *tags_s = json_dumps(tags, JSON_COMPACT);
    json_decref(tags);
    json_t *ids = json_array();
    int rc = 0;
    for (int64_t i = 0; i < count && rc == 0; i++) {
        char ip[16], id[24];
        int found = free_pool_address(ctx->store, ip);
        if (found != STORE_FOUND) {
            rc = found == STORE_NOT_FOUND ? api_fail(ctx, E_RESOURCE_INSUFFICIENT,
                                                     "The public address pool %s is exhausted.", NETWORK_EIP_POOL)
                                          : net_store_failed(ctx);
            break;
        }
        int ins = STORE_CONSTRAINT;
        for (int attempt = 0; attempt < 5 && ins == STORE_CONSTRAINT; attempt++) {
            random_id("eip-", id, sizeof id);
            ins = store_exec(
                ctx->store,
                "INSERT INTO addresses (address_id, owner_uin, region, ip, name, status, charge_type,"
                " bandwidth, isp, tags, created, sold_by) VALUES (?, ?, ?, ?, ?, 'UNBIND', ?, ?, ?, ?, ?, ?)",
                "ssssssissis", id, ctx->who.owner_uin, ctx->region, ip, api_str(ctx, "AddressName", ""), charge,
                bandwidth, api_str(ctx, "InternetServiceProvider", "BGP"), tags_s ? tags_s : "[]", net_now_us(),
                api_sold_by(ctx));
        }
        if (ins != 1 || address_meter(ctx->store, id) != 0)
            rc = net_store_failed(ctx);
        else
            json_array_append_new(ids, json_string(id));
    }
    free(tags_s);
    if (rc != 0) {
        json_decref(ids);
        return rc;
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::vpc:%s:uin/%s:eip/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    json_object_set_new(ctx->out, "AddressSet", ids);
    task_id(ctx);
    return 0;
}

static const char *const address_filters[] = {
    "address-id",         "address-name", "address-ip",  "address-status", "instance-id",
    "private-ip-address", "address-type", "address-isp", "tag-key",        NULL};

static int describe_addresses(struct api_ctx *ctx)
{
    int64_t offset, limit;
    if (net_paging(ctx, &offset, &limit) != 0 || filters_validate(ctx, address_filters) != 0)
        return -1;
    json_t *ids = json_object_get(ctx->params, "AddressIds");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        if (!net_valid_id(json_string_value(v), "eip-"))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_ADDRESS_ID_MALFORMED, "The address id `%s` is malformed.",
                            json_string_value(v));
    }
    json_t *f_id = filter_get(ctx, "address-id"), *f_name = filter_get(ctx, "address-name"),
           *f_ip = filter_get(ctx, "address-ip"), *f_status = filter_get(ctx, "address-status"),
           *f_ins = filter_get(ctx, "instance-id"), *f_pip = filter_get(ctx, "private-ip-address"),
           *f_type = filter_get(ctx, "address-type"), *f_isp = filter_get(ctx, "address-isp");
    if (f_type && !values_contain(f_type, "EIP")) {
        json_object_set_new(ctx->out, "TotalCount", json_integer(0));
        json_object_set_new(ctx->out, "AddressSet", json_array());
        return 0;
    }
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT " ADDRESS_COLUMNS " FROM addresses WHERE owner_uin = ? AND region = ? AND sold_by = ?"
                    " ORDER BY created, address_id",
                    "sss", ctx->who.owner_uin, ctx->region, api_sold_by(ctx));
    if (!q)
        return net_store_failed(ctx);
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        const char *id = store_text(q, 0);
        if ((json_array_size(ids) && !values_contain(ids, id)) || (f_id && !values_contain(f_id, id)) ||
            (f_name && !values_contain(f_name, store_text(q, 1))) ||
            (f_status && !values_contain(f_status, store_text(q, 2))) ||
            (f_ip && !values_contain(f_ip, store_text(q, 3))) || (f_ins && !values_contain(f_ins, store_text(q, 4))) ||
            (f_pip && !values_contain(f_pip, store_text(q, 5))) || (f_isp && !values_contain(f_isp, store_text(q, 8))))
            continue;
        if (page_take(&pg))
            json_array_append_new(pg.set, address_json(q));
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return net_store_failed(ctx);
    }
    page_finish(ctx, &pg, "AddressSet");
    return 0;
}

/* The address's status if owned by the caller: 1 found, 0 not (error set), -1 error (set). */
static int address_status(struct api_ctx *ctx, const char *id, char status[16])
{
    if (!net_valid_id(id, "eip-")) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE_ADDRESS_ID_MALFORMED, "The address id `%s` is malformed.", id);
        return 0;
    }
    struct store_stmt *q =
        store_query(ctx->store, "SELECT status FROM addresses WHERE address_id = ? AND owner_uin = ?", "ss", id,
                    ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    if (rc == 1)
        snprintf(status, 16, "%s", store_text(q, 0));
    store_done(q);
    if (rc == 0)
        api_fail(ctx, E_INVALID_ADDRESS_ID_NOT_FOUND, "The address `%s` does not exist.", id);
    else if (rc < 0)
        net_store_failed(ctx);
    return rc < 0 ? -1 : rc;
}

static int release_addresses(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "AddressIds");
    if (json_array_size(ids) == 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_EMPTY, "AddressIds is empty.");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        char status[16];
        const char *id = json_string_value(v);
        if (address_status(ctx, id, status) != 1)
            return -1;
        if (strcmp(status, "UNBIND") != 0)
            return api_fail(ctx, E_UNSUPPORTED_OPERATION_ADDRESS_STATUS_NOT_PERMIT,
                            "The address `%s` is %s; disassociate it before releasing.", id, status);
        if (store_exec(ctx->store, "DELETE FROM addresses WHERE address_id = ? AND owner_uin = ?", "ss", id,
                       ctx->who.owner_uin) != 1 ||
            address_meter(ctx->store, id) != 0)
            return net_store_failed(ctx);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::vpc:%s:uin/%s:eip/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    task_id(ctx);
    return 0;
}

static int associate_address(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "AddressId", ""), *instance = api_str(ctx, "InstanceId", NULL);
    char status[16];
    if (address_status(ctx, id, status) != 1)
        return -1;
    if (!instance || !*instance) {
        if (api_has(ctx, "NetworkInterfaceId"))
            return api_fail(ctx, E_INVALID_NETWORK_INTERFACE_ID_NOT_FOUND,
                            "Elastic network interfaces are not supported; bind to an instance.");
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_MISSING_ASSOCIATE_ENTITY,
                        "Give the InstanceId to bind the address to.");
    }
    if (api_has(ctx, "NetworkInterfaceId"))
        return api_fail(ctx, E_INVALID_PARAMETER_CONFLICT,
                        "InstanceId and NetworkInterfaceId cannot be given together.");
    if (strcmp(status, "UNBIND") != 0)
        return api_fail(ctx, E_INVALID_ADDRESS_ID_STATUS_NOT_PERMIT,
                        "The address `%s` is %s; only an UNBIND address can be bound.", id, status);
    network_instance_lookup_fn lookup = network_instance_lookup();
    char private_ip[16] = "", vpc_id[24] = "";
    int rc = lookup ? lookup(ctx->store, ctx->who.owner_uin, instance, private_ip, vpc_id) : 0;
    if (rc < 0)
        return net_store_failed(ctx);
    if (rc == 0)
        return api_fail(ctx, E_INVALID_INSTANCE_ID_NOT_FOUND, "The instance `%s` does not exist.", instance);
    struct store_stmt *q =
        store_query(ctx->store, "SELECT count(*) FROM addresses WHERE instance_id = ? AND owner_uin = ?", "ss",
                    instance, ctx->who.owner_uin);
    int64_t bound = (q && store_step(q) == 1) ? store_int(q, 0) : -1;
    store_done(q);
    if (bound < 0)
        return net_store_failed(ctx);
    if (bound > 0)
        return api_fail(ctx, E_INVALID_INSTANCE_ID_ALREADY_BIND_EIP, "The instance `%s` already has an EIP.", instance);
    if (store_exec(ctx->store,
                   "UPDATE addresses SET status = 'BIND', instance_id = ?, private_ip = ? WHERE address_id = ? AND "
                   "owner_uin = ?",
                   "ssss", instance, private_ip, id, ctx->who.owner_uin) != 1 ||
        address_meter(ctx->store, id) != 0)
        return net_store_failed(ctx);
    task_id(ctx);
    return 0;
}

static int disassociate_address(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "AddressId", "");
    char status[16];
    if (address_status(ctx, id, status) != 1)
        return -1;
    if (strcmp(status, "BIND") != 0)
        return api_fail(ctx, E_UNSUPPORTED_OPERATION_ADDRESS_STATUS_NOT_PERMIT, "The address `%s` is %s, not bound.",
                        id, status);
    if (store_exec(ctx->store,
                   "UPDATE addresses SET status = 'UNBIND', instance_id = '', private_ip = '' WHERE address_id = ? AND "
                   "owner_uin = ?",
                   "ss", id, ctx->who.owner_uin) != 1 ||
        address_meter(ctx->store, id) != 0)
        return net_store_failed(ctx);
    task_id(ctx);
    return 0;
}

/* ---- the action table ---- */

static const char *const charge_types[] = {"BANDWIDTH_PACKAGE", "BANDWIDTH_POSTPAID_BY_HOUR",
                                           "BANDWIDTH_PREPAID_BY_MONTH", "TRAFFIC_POSTPAID_BY_HOUR", NULL};
static const struct param p_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_INT("AutoRenewFlag", 0, 0, 1), P_END};
static const struct param p_allocate[] = {P_INT("AddressCount", 0, 1, NETWORK_MAX_ADDRESSES),
                                          P_STR("InternetServiceProvider", 0, 0, 16),
                                          P_ENUM("InternetChargeType", 0, charge_types),
                                          P_STR("IPChargeType", 0, 0, 32),
                                          P_INT("InternetMaxBandwidthOut", 0, 1, 10000),
                                          P_OBJ("AddressChargePrepaid", 0, p_prepaid),
                                          P_STR("AddressType", 0, 0, 32),
                                          P_STR("AnycastZone", 0, 0, 32),
                                          P_STRS("VipCluster", 0, 10, 32),
                                          P_BOOL("ApplicableForCLB", 0),
                                          P_OBJS("Tags", 0, 50, tag_fields_optional_value),
                                          P_STR("BandwidthPackageId", 0, 0, 64),
                                          P_STR("AddressName", 0, 0, 128),
                                          P_STR("DedicatedClusterId", 0, 0, 64),
                                          P_BOOL("IsDedicatedAddressPool", 0),
                                          P_STR("Egress", 0, 0, 64),
                                          P_STR("AntiDDoSPackageId", 0, 0, 64),
                                          P_STR("ClientToken", 0, 0, 64),
                                          P_END};
static const struct param p_describe[] = {P_STRS("AddressIds", 0, 100, 64), P_FILTERS_WIDE,
                                          P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 0, 100), P_END};
static const struct param p_release[] = {P_STRS("AddressIds", P_REQUIRED, 100, 64), P_END};
static const struct param p_associate[] = {P_STR("AddressId", P_REQUIRED, 1, 64),
                                           P_STR("InstanceId", 0, 0, 64),
                                           P_STR("NetworkInterfaceId", 0, 0, 64),
                                           P_STR("PrivateIpAddress", 0, 0, 16),
                                           P_BOOL("EipDirectConnection", 0),
                                           P_STR("InstanceRegion", 0, 0, 64),
                                           P_END};
static const struct param p_disassociate[] = {P_STR("AddressId", P_REQUIRED, 1, 64),
                                              P_BOOL("ReallocateNormalPublicIp", 0), P_END};

const struct action address_actions[] = {
    {"vpc", VPC_VERSION, "AllocateAddresses", allocate_addresses, p_allocate, A_MUTATES | A_REGIONAL, "eip/*", NULL},
    {"vpc", VPC_VERSION, "DescribeAddresses", describe_addresses, p_describe, A_REGIONAL, "eip/${AddressIds|*}", NULL},
    {"vpc", VPC_VERSION, "ReleaseAddresses", release_addresses, p_release, A_MUTATES | A_REGIONAL, "eip/${AddressIds}",
     NULL},
    {"vpc", VPC_VERSION, "AssociateAddress", associate_address, p_associate, A_MUTATES | A_REGIONAL, "eip/${AddressId}",
     NULL, TOUCHES("cvm:instance/${InstanceId}", "vpc:eni/${NetworkInterfaceId}")},
    {"vpc", VPC_VERSION, "DisassociateAddress", disassociate_address, p_disassociate, A_MUTATES | A_REGIONAL,
     "eip/${AddressId}", NULL},
};
const int address_action_count = sizeof address_actions / sizeof address_actions[0];
