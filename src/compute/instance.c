/*
 * instance: the CVM instance actions. Each records what the user wants (state, operation,
 * request) in one transaction and returns; the controller does the work. Launches are placed
 * by the scheduler against capacity computed inside the same transaction, so concurrent
 * RunInstances calls cannot overcommit a host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "api/codes.h"
#include "api/filters.h"
#include "billing/billing.h"
#include "block/block.h"
#include "compute/codes.h"
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "dedicated/dedicated.h"
#include "host/hypervisor.h"
#include "identity/sealed.h"
#include "network/network.h"
#include "partner/partner.h"

#define MAX_HOSTS     64 /* hosts of one placement group's members */
#define USER_DATA_MAX (16 * 1024)

/* ---- reading instances ---- */

#define INSTANCE_COLUMNS                                                                                               \
    "instance_id, zone, instance_type, cpu, memory_gib, name, charge_type, uuid, state, latest_op, latest_op_state,"   \
    " latest_op_request, created, updated, system_disk_type, system_disk_id, system_disk_size, private_ip, image_id,"  \
    " key_ids, tags, project_id, reason, hostname, security_groups, vpc_id, subnet_id, stopped_mode, restrict_state"

static json_t *instance_json(struct store *s, struct store_stmt *q, const char *os_name)
{
    char created[32];
    time_iso8601(store_int(q, 12), created);
    json_t *keys = json_loads(store_text(q, 19), 0, NULL);
    json_t *tags = json_loads(store_text(q, 20), 0, NULL);
    json_t *sgs = json_loads(store_text(q, 24), 0, NULL);
    json_t *ip = json_pack("[s]", store_text(q, 17));
    json_t *j = json_pack(
        "{s:{s:s,s:I,s:[]},s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:{s:s,s:s,s:I},s:[],s:o,s:n,s:{s:s,s:i,s:b},"
        "s:{s:s,s:s,s:b},s:s,s:s,s:s,s:n,s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s}",
        "Placement", "Zone", store_text(q, 1), "ProjectId", (json_int_t)store_int(q, 21), "HostIds", "InstanceId",
        store_text(q, 0), "InstanceType", store_text(q, 2), "CPU", (json_int_t)store_int(q, 3), "Memory",
        (json_int_t)store_int(q, 4), "RestrictState", "NORMAL", "InstanceName", store_text(q, 5), "InstanceChargeType",
        store_text(q, 6), "SystemDisk", "DiskType", store_text(q, 14), "DiskId", store_text(q, 15), "DiskSize",
        (json_int_t)store_int(q, 16), "DataDisks", "PrivateIpAddresses", ip, "PublicIpAddresses", "InternetAccessible",
        "InternetChargeType", "TRAFFIC_POSTPAID_BY_HOUR", "InternetMaxBandwidthOut", 0, "PublicIpAssigned", 0,
        "VirtualPrivateCloud", "VpcId", store_text(q, 25), "SubnetId", store_text(q, 26), "AsVpcGateway", 0, "ImageId",
        store_text(q, 18), "OsName", os_name ? os_name : "", "RenewFlag", "NOTIFY_AND_MANUAL_RENEW", "ExpiredTime",
        "CreatedTime", created, "SecurityGroupIds", sgs ? sgs : json_array(), "LoginSettings",
        json_pack("{s:o}", "KeyIds", keys ? keys : json_array()), "InstanceState", store_text(q, 8), "StopChargingMode",
        "NOT_APPLICABLE", "Uuid", store_text(q, 7), "LatestOperation", store_text(q, 9), "LatestOperationState",
        store_text(q, 10), "Tags", tags ? tags : json_array(), "LatestOperationRequestId", store_text(q, 11),
        "HostName", store_text(q, 23));
    if (store_text(q, 22)[0])
        json_object_set_new(j, "LatestOperationErrorMsg", json_string(store_text(q, 22)));
    json_object_set_new(j, "DataDisks", block_instance_data_disks(s, store_text(q, 0))); /* block's view */
    /* billing's view: how a stop charges, what billing restricts, the prepaid period */
    int prepaid = !strcmp(store_text(q, 6), "PREPAID");
    json_object_set_new(j, "RestrictState", json_string(store_text(q, 28)));
    json_object_set_new(j, "StopChargingMode",
                        json_string(prepaid || strcmp(store_text(q, 8), INSTANCE_STOPPED) ? "NOT_APPLICABLE"
                                    : !strcmp(store_text(q, 27), "STOP_CHARGING")         ? "STOP_CHARGING"
                                                                                          : "KEEP_CHARGING"));
    int64_t expire;
    char flag[40];
    if (prepaid && billing_prepaid_info(s, store_text(q, 0), &expire, flag) == STORE_FOUND) {
        char t[32];
        time_iso8601(expire, t);
        json_object_set_new(j, "ExpiredTime", json_string(t));
        json_object_set_new(j, "RenewFlag", json_string(flag));
    }
    return j;
}

static int describe_instances(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"zone",
                                          "project-id",
                                          "vpc-id",
                                          "subnet-id",
                                          "instance-id",
                                          "uuid",
                                          "security-group-id",
                                          "instance-name",
                                          "instance-charge-type",
                                          "instance-state",
                                          "private-ip-address",
                                          "public-ip-address",
                                          "tag-key",
                                          "tag-value",
                                          "tag:",
                                          "instance-type",
                                          "image-id",
                                          NULL};
    if (filters_exclusive(ctx, "InstanceIds"))
        return -1;
    if (filters_validate(ctx, allowed))
        return -1;
    json_t *ids = json_object_get(ctx->params, "InstanceIds");
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    struct store_stmt *q = store_query(
        ctx->store,
        "SELECT " INSTANCE_COLUMNS ", (SELECT os_name FROM images m WHERE m.image_id = i.image_id),"
        " (SELECT h.pool_id FROM hosts h WHERE h.host_id = i.host_id AND h.pool = '" HOST_POOL_DEDICATED_NAME "'),"
        " placement_group_id, (SELECT h.state FROM hosts h WHERE h.host_id = i.host_id AND h.joined = 1)"
        " FROM instances i WHERE owner_uin = ? AND sold_by = ? AND state != '" INSTANCE_TERMINATED "' ORDER BY rowid",
        "ss", ctx->who.owner_uin, api_sold_by(ctx));
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instances are unavailable: %s", store_errmsg(ctx->store));
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        char project[24];
        snprintf(project, sizeof project, "%lld", (long long)store_int(q, 21));
        json_t *sgs = json_loads(store_text(q, 24), 0, NULL);
        int sg_ok = 1;
        json_t *sg_filter = filter_get(ctx, "security-group-id");
        if (sg_filter) {
            sg_ok = 0;
            size_t k;
            json_t *v;
            json_array_foreach (sg_filter, k, v)
                sg_ok |= values_contain(sgs, json_string_value(v));
        }
        json_decref(sgs);
        if ((ids && !values_contain(ids, store_text(q, 0))) || !sg_ok || !api_zone_in_region(ctx, store_text(q, 1)) ||
            !filter_match(ctx, "zone", store_text(q, 1)) || !filter_match(ctx, "project-id", project) ||
            !filter_match(ctx, "instance-id", store_text(q, 0)) || !filter_match(ctx, "uuid", store_text(q, 7)) ||
            !filter_match(ctx, "instance-name", store_text(q, 5)) ||
            !filter_match(ctx, "instance-charge-type", store_text(q, 6)) ||
            !filter_match(ctx, "instance-state", store_text(q, 8)) ||
            !filter_match(ctx, "private-ip-address", store_text(q, 17)) ||
            !filter_match(ctx, "public-ip-address", NULL) || !filter_match(ctx, "vpc-id", store_text(q, 25)) ||
            !filter_match(ctx, "subnet-id", store_text(q, 26)) ||
            !filter_match(ctx, "instance-type", store_text(q, 2)) ||
            !filter_match(ctx, "image-id", store_text(q, 18)) || !filter_tags_match(ctx, store_text(q, 20)))
            continue;
        if (page_take(&pg)) {
            json_t *j = instance_json(ctx->store, q, store_text(q, 29));
            if (store_text(q, 30)[0]) /* on a dedicated host: its CDH id, as Tencent's output-only Placement.HostId */
                json_object_set_new(json_object_get(j, "Placement"), "HostId", json_string(store_text(q, 30)));
            /* the placement group: the list Tencent answers now, and the single id it answered before */
            const char *group = store_text(q, 31);
            json_object_set_new(j, "DisasterRecoverGroupIds", group[0] ? json_pack("[s]", group) : json_array());
            json_object_set_new(j, "DisasterRecoverGroupId", json_string(group));
            /* yun extension: DOWN while the joined host it runs on is silent (its state is the last one known) */
            json_object_set_new(j, "HostStatus",
                                json_string(!strcmp(store_text(q, 32), HOST_DOWN) ? HOST_DOWN : HOST_UP));
            json_array_append_new(pg.set, j);
        }
    }
    store_done(q);
    page_finish(ctx, &pg, "InstanceSet");
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The instances are unavailable.") : 0;
}

static int describe_instances_status(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "InstanceIds");
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT instance_id, state, zone FROM instances WHERE owner_uin = ? AND sold_by = ?"
                    " AND state != '" INSTANCE_TERMINATED "' ORDER BY rowid",
                    "ss", ctx->who.owner_uin, api_sold_by(ctx));
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instances are unavailable.");
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        if ((ids && !values_contain(ids, store_text(q, 0))) || !api_zone_in_region(ctx, store_text(q, 2)))
            continue;
        if (page_take(&pg))
            json_array_append_new(
                pg.set, json_pack("{s:s,s:s}", "InstanceId", store_text(q, 0), "InstanceState", store_text(q, 1)));
    }
    store_done(q);
    page_finish(ctx, &pg, "InstanceStatusSet");
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The instances are unavailable.") : 0;
}

/* ---- launching ---- */

/* Tencent's rule: 8-30 characters from at least three of: lower, upper, digits, ()`~!@#$%^&*-+=_|{}[]:;'<>,.?/ */
static int password_complex(const char *pw)
{
    size_t n = strlen(pw);
    if (n < 8 || n > 30)
        return 0;
    int lower = 0, upper = 0, digit = 0, special = 0;
    for (const char *p = pw; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            lower = 1;
        else if (*p >= 'A' && *p <= 'Z')
            upper = 1;
        else if (*p >= '0' && *p <= '9')
            digit = 1;
        else if (strchr("()`~!@#$%^&*-+=_|{}[]:;'<>,.?/", *p))
            special = 1;
        else
            return 0;
    }
    return lower + upper + digit + special >= 3;
}

/* "{R:x}" (each occurrence) becomes x + index; without one, several instances get suffixes 1..n. */
static void instance_name(const char *pattern, int index, int count, char *out, size_t len)
{
    size_t o = 0;
    int patterned = 0;
    out[0] = 0;
    for (const char *p = pattern; *p && o + 1 < len;) {
        char *end;
        long start;
        if (!strncmp(p, "{R:", 3) && (start = strtol(p + 3, &end, 10), end > p + 3 && *end == '}')) {
            o += (size_t)snprintf(out + o, len - o, "%ld", start + index);
            p = end + 1;
            patterned = 1;
        } else {
            out[o++] = *p++;
            out[o] = 0;
        }
        if (o >= len)
            o = len - 1;
    }
    if (!patterned && count > 1)
        snprintf(out + o, len - o, "%d", index + 1);
}

static int check_keys(struct api_ctx *ctx, json_t *key_ids)
{
    size_t i;
    json_t *v;
    json_array_foreach (key_ids, i, v) {
        struct store_stmt *q = store_query(ctx->store, "SELECT 1 FROM key_pairs WHERE key_id = ? AND owner_uin = ?",
                                           "ss", json_string_value(v), ctx->who.owner_uin);
        int rc = q ? store_step(q) : -1;
        store_done(q);
        if (rc != 1)
            return api_fail(ctx, E_INVALID_KEY_PAIR_ID_NOT_FOUND, "The key pair `%s` does not exist.",
                            json_string_value(v));
    }
    return 0;
}

struct launch {
    const struct instance_type *type;
    struct instance_type cdh_type; /* CDH_<n>C<m>G: sized by the caller, on its dedicated host */
    char cdh_name[32];
    enum host_pool pool; /* where the scheduler may place it */
    const char *pool_ids[100];
    int npool_ids;
    const char *zone, *image_id, *charge, *disk_type, *name, *hostname;
    int64_t disk_size, project_id;
    json_t *key_ids, *tags, *sgs, *wanted_ips;
    char vpc_id[24], subnet_id[24];
    char password_hash[128];
    uint8_t *user_data;
    size_t user_data_len;
};

/* The pool the charge type and placement ask for: the shared pool, the caller's dedicated hosts
 * (CDHPAID, Placement.HostIds) or the caller's dedicated cluster (CDCPAID, DedicatedClusterId). */
static int launch_pool(struct api_ctx *ctx, struct launch *l)
{
    json_t *host_ids = json_object_get(json_object_get(ctx->params, "Placement"), "HostIds");
    const char *cluster = api_str(ctx, "DedicatedClusterId", NULL);
    int cdh = !strcmp(l->charge, "CDHPAID"), cdc = !strcmp(l->charge, "CDCPAID");
    l->pool = HOST_POOL_SHARED;
    l->npool_ids = 0;
    if (l->type == &l->cdh_type && !cdh)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_INSTANCE_TYPE_NOT_FOUND,
                        "The instance type `%s` exists only for InstanceChargeType CDHPAID.", l->type->name);
    if (cdh) {
        if (json_array_size(host_ids) == 0)
            return api_fail(ctx, E_MISSING_PARAMETER, "InstanceChargeType CDHPAID needs Placement.HostIds.");
        if (dedicated_host_check(ctx, host_ids, l->zone) != 0)
            return -1;
        l->pool = HOST_POOL_DEDICATED;
        size_t i;
        json_t *v;
        json_array_foreach (host_ids, i, v)
            if (l->npool_ids < 100)
                l->pool_ids[l->npool_ids++] = json_string_value(v);
    } else if (json_array_size(host_ids) > 0)
        return api_fail(ctx, E_INVALID_PARAMETER, "Placement.HostIds needs InstanceChargeType CDHPAID.");
    if (cdc) {
        if (!cluster)
            return api_fail(ctx, E_MISSING_PARAMETER, "InstanceChargeType CDCPAID needs DedicatedClusterId.");
        char zone[64];
        int rc = dedicated_cluster_zone(ctx->store, ctx->who.owner_uin, cluster, zone);
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster could not be read.");
        if (rc == 0) /* another account's cluster is not found, like any foreign id */
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The dedicated cluster `%s` does not exist.", cluster);
        if (strcmp(zone, l->zone) != 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The dedicated cluster `%s` is in zone %s, not %s.",
                            cluster, zone, l->zone);
        l->pool = HOST_POOL_CLUSTER;
        l->pool_ids[0] = cluster;
        l->npool_ids = 1;
    } else if (cluster)
        return api_fail(ctx, E_INVALID_PARAMETER, "DedicatedClusterId needs InstanceChargeType CDCPAID.");
    return 0;
}

/* Validates everything RunInstances (and its DryRun) needs; fills l. */
static int launch_validate(struct api_ctx *ctx, struct launch *l, int64_t count)
{
    json_t *placement = json_object_get(ctx->params, "Placement");
    l->zone = json_string_value(json_object_get(placement, "Zone"));
    l->project_id = json_integer_value(json_object_get(placement, "ProjectId"));
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    int zone_ok = 0;
    for (int i = 0; r && i < r->nzones; i++)
        zone_ok |= strcmp(r->zones[i].zone, l->zone) == 0;
    if (!zone_ok)
        return api_fail(ctx, E_INVALID_ZONE_MISMATCH_REGION, "The zone `%s` is not in region %s.", l->zone,
                        ctx->region);
    l->type = instance_type_find(api_str(ctx, "InstanceType", "S5.SMALL1"));
    if (!l->type && instance_type_cdh(api_str(ctx, "InstanceType", ""), &l->cdh_type)) {
        snprintf(l->cdh_name, sizeof l->cdh_name, "%s", l->cdh_type.name);
        l->cdh_type.name = l->cdh_name;
        l->type = &l->cdh_type;
    }
    if (!l->type)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_INSTANCE_TYPE_NOT_FOUND,
                        "The instance type `%s` does not exist.", api_str(ctx, "InstanceType", ""));
    l->image_id = api_str(ctx, "ImageId", "");
    struct store_stmt *q = store_query(
        ctx->store,
        "SELECT state, size_gib, min_memory_mib FROM images WHERE image_id = ? AND (owner_uin = '' OR owner_uin = ?)",
        "ss", l->image_id, ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    char image_state[32] = "";
    int64_t image_size = 0, image_mem = 0;
    if (rc == 1) {
        snprintf(image_state, sizeof image_state, "%s", store_text(q, 0));
        image_size = store_int(q, 1);
        image_mem = store_int(q, 2);
    }
    store_done(q);
    if (rc != 1)
        return api_fail(ctx, E_INVALID_IMAGE_ID_NOT_FOUND, "The image `%s` does not exist.", l->image_id);
    if (strcmp(image_state, "NORMAL") != 0)
        return api_fail(ctx, E_INVALID_IMAGE_STATE, "The image `%s` is %s.", l->image_id, image_state);
    if ((int64_t)l->type->memory_gib * 1024 < image_mem)
        return api_fail(ctx, E_INVALID_IMAGE_FOR_INSTANCE_TYPE,
                        "The image `%s` needs at least %lld MiB of memory; `%s` has %d GiB.", l->image_id,
                        (long long)image_mem, l->type->name, l->type->memory_gib);
    json_t *sd = json_object_get(ctx->params, "SystemDisk");
    l->disk_type =
        sd && json_object_get(sd, "DiskType") ? json_string_value(json_object_get(sd, "DiskType")) : "CLOUD_PREMIUM";
    l->disk_size = sd && json_object_get(sd, "DiskSize") ? json_integer_value(json_object_get(sd, "DiskSize")) : 20;
    if (l->disk_size < image_size)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_SYSTEM_DISK_SIZE_TOO_SMALL,
                        "SystemDisk.DiskSize must be at least %lld GiB.", (long long)image_size);
    if (block_launch_check(ctx, count) != 0)
        return -1;
    /* the network: the account's default VPC and subnet in the zone, or the subnet asked for */
    json_t *vpc = json_object_get(ctx->params, "VirtualPrivateCloud");
    const char *want_vpc = vpc ? json_string_value(json_object_get(vpc, "VpcId")) : "DEFAULT";
    const char *want_subnet = vpc ? json_string_value(json_object_get(vpc, "SubnetId")) : "DEFAULT";
    l->wanted_ips = vpc ? json_object_get(vpc, "PrivateIpAddresses") : NULL;
    if (l->wanted_ips && (int64_t)json_array_size(l->wanted_ips) != count)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                        "VirtualPrivateCloud.PrivateIpAddresses must give one address per instance.");
    char code[96] = "";
    if (!strcmp(want_vpc, "DEFAULT") || !strcmp(want_subnet, "DEFAULT")) {
        if (network_default_vpc(ctx->store, ctx->who.owner_uin, ctx->region, l->zone, l->vpc_id, l->subnet_id, code,
                                sizeof code) != 0)
            return api_fail(ctx, code[0] ? code : E_INTERNAL_ERROR, "The default VPC could not be prepared.");
    } else {
        char zone[64], cidr[20];
        int rc2 = network_subnet_info(ctx->store, ctx->who.owner_uin, want_subnet, l->vpc_id, zone, cidr);
        if (rc2 < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The subnet could not be read.");
        if (rc2 == 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_SUBNET_NOT_EXIST, "The subnet `%s` does not exist.",
                            want_subnet);
        if (strcmp(l->vpc_id, want_vpc) != 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_VPC_ID_NOT_MATCH_SUBNET_ID,
                            "The subnet `%s` is not in VPC `%s`.", want_subnet, want_vpc);
        if (strcmp(zone, l->zone) != 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_VPC_ID_ZONE_ID_NOT_MATCH,
                            "The subnet `%s` is in zone %s, not %s.", want_subnet, zone, l->zone);
        snprintf(l->subnet_id, sizeof l->subnet_id, "%s", want_subnet);
    }
    json_t *ia = json_object_get(ctx->params, "InternetAccessible");
    if (ia && json_is_true(json_object_get(ia, "PublicIpAssigned")))
        return api_fail(ctx, E_UNSUPPORTED_OPERATION, "Public IPs at launch are not supported yet.");
    json_t *login = json_object_get(ctx->params, "LoginSettings");
    l->key_ids = json_object_get(login, "KeyIds");
    const char *pw = json_string_value(json_object_get(login, "Password"));
    if ((l->key_ids ? 1 : 0) + (pw ? 1 : 0) + (json_object_get(login, "KeepImageLogin") ? 1 : 0) > 1)
        return api_fail(ctx, E_INVALID_PARAMETER, "LoginSettings takes one of Password, KeyIds and KeepImageLogin.");
    if (l->key_ids && check_keys(ctx, l->key_ids))
        return -1;
    l->password_hash[0] = 0;
    if (pw) {
        if (!password_complex(pw))
            return api_fail(ctx, E_INVALID_PASSWORD,
                            "The password must be 8-30 characters from at least three of: lower case, upper case, "
                            "digits, symbols.");
        uint8_t salt[16];
        random_bytes(salt, sizeof salt);
        if (argon2id_hash_encoded(2, 19 * 1024, 1, pw, strlen(pw), salt, sizeof salt, 32, l->password_hash,
                                  sizeof l->password_hash) != ARGON2_OK)
            return api_fail(ctx, E_INTERNAL_ERROR, "The password could not be hashed.");
    }
    const char *ud = api_str(ctx, "UserData", NULL);
    l->user_data = NULL;
    l->user_data_len = 0;
    if (ud) {
        size_t n = strlen(ud);
        l->user_data = malloc(n + 1);
        if (!l->user_data || base64_decode(ud, n, l->user_data, n + 1, &l->user_data_len) != 0 ||
            l->user_data_len > USER_DATA_MAX) {
            free(l->user_data);
            l->user_data = NULL;
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_INVALID_USER_DATA_FORMAT,
                            "UserData must be base64 of at most 16 KiB.");
        }
    }
    l->charge = api_str(ctx, "InstanceChargeType", "POSTPAID_BY_HOUR");
    l->name = api_str(ctx, "InstanceName", "未命名");
    l->hostname = api_str(ctx, "HostName", NULL);
    l->sgs = json_object_get(ctx->params, "SecurityGroupIds");
    l->sgs = l->sgs ? json_incref(l->sgs) : json_array();
    if (json_array_size(l->sgs) == 0) {
        char sg[24];
        if (network_default_security_group(ctx->store, ctx->who.owner_uin, ctx->region, sg) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The default security group could not be prepared.");
        json_array_append_new(l->sgs, json_string(sg));
    }
    json_t *tags = json_array();
    size_t i;
    json_t *spec;
    json_array_foreach (json_object_get(ctx->params, "TagSpecification"), i, spec)
        if (!strcmp(json_string_value(json_object_get(spec, "ResourceType")), "instance"))
            json_array_extend(tags, json_object_get(spec, "Tags"));
    l->tags = tags;

    if (launch_pool(ctx, l) != 0)
        return -1;

    /* quota, then capacity */
    q = store_query(ctx->store,
                    "SELECT count(*) FROM instances WHERE owner_uin = ? AND " INSTANCE_HOLDS_RESOURCES("state"), "s",
                    ctx->who.owner_uin);
    int64_t have = (q && store_step(q) == 1) ? store_int(q, 0) : -1;
    store_done(q);
    int64_t limit = ctx->config->instance_quota, tier_instances, tier_gib;
    int tiered = partner_account_quota(ctx->store, ctx->who.owner_uin, &tier_instances, &tier_gib);
    if (have < 0 || tiered < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance quota could not be checked.");
    if (tiered == 1) /* the account's tier sets its quota (partner_tiers) */
        limit = tier_instances;
    if (have + count > limit)
        return api_fail(ctx, E_LIMIT_EXCEEDED_INSTANCE_QUOTA,
                        "The account may run %lld instances; it has %lld and asked for %lld more.", (long long)limit,
                        (long long)have, (long long)count);
    return 0;
}

static int run_instances(struct api_ctx *ctx)
{
    int64_t count = api_int(ctx, "InstanceCount", 1);
    const char *token = api_str(ctx, "ClientToken", NULL);
    if (token) {
        json_t *ids = client_token_ids(ctx->store, ctx->who.owner_uin, "", token);
        if (ids) { /* the same token returns the same instances, whatever else changed */
            json_object_set_new(ctx->out, "InstanceIdSet", ids);
            return 0;
        }
    }
    struct launch l;
    struct host_capacity *hosts = NULL; /* every host that takes instances: a region has hundreds */
    memset(&l, 0, sizeof l);
    if (launch_validate(ctx, &l, count) != 0)
        goto fail;
    int nhosts = host_pool_capacity(ctx->store, &hosts);
    if (nhosts < 0) {
        api_fail(ctx, E_INTERNAL_ERROR, "Host capacity is unavailable.");
        goto fail;
    }
    /* a placement group: the hosts its members are on, and those this batch takes, take no other */
    const char *group = json_string_value(json_array_get(json_object_get(ctx->params, "DisasterRecoverGroupIds"), 0));
    char member_hosts[MAX_HOSTS][40];
    const char *group_hosts[MAX_HOSTS + 100];
    int ngroup_hosts = 0;
    if (group) {
        ngroup_hosts = placement_group_hosts(ctx, group, count, member_hosts, MAX_HOSTS);
        if (ngroup_hosts < 0)
            goto fail;
        for (int i = 0; i < ngroup_hosts; i++)
            group_hosts[i] = member_hosts[i];
    }
    int placed[100];
    for (int64_t i = 0; i < count; i++) {
        struct placement want = {l.zone,
                                 l.type->cpu,
                                 (int64_t)l.type->memory_gib * 1024,
                                 l.pool,
                                 ctx->who.owner_uin,
                                 l.pool_ids,
                                 l.npool_ids,
                                 ctx->config->scheduler,
                                 group_hosts,
                                 ngroup_hosts};
        int h = scheduler_place(hosts, nhosts, &want);
        if (h < 0 && group) {
            want.ngroup_hosts = 0; /* would it fit but for the group? then the group is what is short */
            if (scheduler_place(hosts, nhosts, &want) >= 0) {
                api_fail(ctx, E_RESOURCE_INSUFFICIENT_DR_GROUP_CVM_QUOTA,
                         "The placement group `%s` keeps its instances on distinct hosts: %d host%s already hold%s "
                         "one and no other eligible host in %s has room for %s.",
                         group, ngroup_hosts, ngroup_hosts == 1 ? "" : "s", ngroup_hosts == 1 ? "s" : "", l.zone,
                         l.type->name);
                goto fail;
            }
        }
        if (h < 0) {
            api_fail(ctx, E_RESOURCE_INSUFFICIENT_SPECIFIED_INSTANCE_TYPE, "Not enough capacity for %lld x %s in %s%s.",
                     (long long)count, l.type->name, l.zone,
                     l.pool == HOST_POOL_DEDICATED ? " on the dedicated hosts asked for"
                     : l.pool == HOST_POOL_CLUSTER ? " in the dedicated cluster"
                                                   : "");
            goto fail;
        }
        hosts[h].vcpus_used += l.type->cpu;
        hosts[h].memory_mib_used += (int64_t)l.type->memory_gib * 1024;
        placed[i] = h;
        if (group)
            group_hosts[ngroup_hosts++] = hosts[h].host_id;
    }
    /* billing: a prepaid launch is paid now, a postpaid one needs an account not in arrears */
    int prepaid = !strcmp(l.charge, "PREPAID");
    if (!prepaid && strcmp(l.charge, "POSTPAID_BY_HOUR") && strcmp(l.charge, "CDHPAID") &&
        strcmp(l.charge, "CDCPAID")) {
        api_fail(ctx, E_UNSUPPORTED_OPERATION_INSTANCE_CHARGE_TYPE,
                 "InstanceChargeType %s is not supported here (PREPAID, POSTPAID_BY_HOUR, CDHPAID and CDCPAID are).",
                 l.charge);
        goto fail;
    }
    json_t *prepay = json_object_get(ctx->params, "InstanceChargePrepaid");
    if (prepaid && !prepay) {
        api_fail(ctx, E_MISSING_PARAMETER, "InstanceChargePrepaid is required when InstanceChargeType is PREPAID.");
        goto fail;
    }
    int arrears = billing_in_arrears(ctx->store, ctx->who.owner_uin);
    if (arrears != 0) {
        api_fail(ctx, arrears < 0 ? E_INTERNAL_ERROR : E_INVALID_ACCOUNT_INSUFFICIENT_BALANCE,
                 "The account is in arrears: recharge it before buying.");
        goto fail;
    }
    json_t *ids = json_array();
    int64_t now = time_now();
    char *keys_text = l.key_ids ? json_dumps(l.key_ids, JSON_COMPACT) : strdup("[]");
    char *tags_text = json_dumps(l.tags, JSON_COMPACT);
    char *sgs_text = json_dumps(l.sgs, JSON_COMPACT);
    int rc = 0;
    for (int64_t i = 0; i < count && rc == 0; i++) {
        char id[20], disk_id[20], uuid[37], name[200], ip[16], mac[24];
        random_id("ins-", id, sizeof id);
        random_id("disk-", disk_id, sizeof disk_id);
        random_uuid(uuid);
        instance_name(l.name, (int)i, (int)count, name, sizeof name);
        network_nic_mac(id, mac);
        char code[96] = "";
        const char *wanted = l.wanted_ips ? json_string_value(json_array_get(l.wanted_ips, (size_t)i)) : NULL;
        if (network_allocate_ip(ctx->store, ctx->who.owner_uin, l.subnet_id, wanted, id, ip, code, sizeof code) != 0) {
            rc = api_fail(ctx, code[0] ? code : E_RESOURCE_INSUFFICIENT, "No address could be allocated in %s%s%s.",
                          l.subnet_id, wanted ? " for " : "", wanted ? wanted : "");
            break;
        }
        const char *sg_ids[5];
        int nsg = 0;
        size_t k;
        json_t *sv;
        json_array_foreach (l.sgs, k, sv)
            if (nsg < 5)
                sg_ids[nsg++] = json_string_value(sv);
        if (network_set_nic_security_groups(ctx->store, ctx->who.owner_uin, id, sg_ids, nsg, code, sizeof code) != 0) {
            rc = api_fail(ctx, code[0] ? code : E_INTERNAL_ERROR, "The security groups could not be bound.");
            break;
        }
        uint8_t *ud_sealed = NULL; /* user data at rest under the master key, bound to the instance id */
        size_t ud_sealed_len = 0;
        if (sealed_seal(id, l.user_data, l.user_data ? l.user_data_len : 0, &ud_sealed, &ud_sealed_len) != 0) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The user data could not be sealed.");
            break;
        }
        int inserted = store_exec(
            ctx->store,
            "INSERT INTO instances (instance_id, owner_uin, uuid, zone, host_id, instance_type, cpu, memory_gib,"
            " image_id, name, hostname, charge_type, state, latest_op, latest_op_state, latest_op_request,"
            " private_ip, mac, system_disk_size, system_disk_type, system_disk_id, key_ids, password_hash,"
            " user_data, tags, project_id, security_groups, created, updated, vpc_id, subnet_id, sold_by,"
            " placement_group_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '" INSTANCE_PENDING
            "', 'RunInstances', 'OPERATING', ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "ssssssiisssssssissssbsisiissss", id, ctx->who.owner_uin, uuid, l.zone, hosts[placed[i]].host_id,
            l.type->name, (int64_t)l.type->cpu, (int64_t)l.type->memory_gib, l.image_id, name,
            l.hostname ? l.hostname : id, l.charge, ctx->request_id, ip, mac, l.disk_size, l.disk_type, disk_id,
            keys_text, l.password_hash[0] ? l.password_hash : NULL,
            ud_sealed ? (const void *)ud_sealed : (const void *)"", ud_sealed_len, tags_text, l.project_id, sgs_text,
            now, now, l.vpc_id, l.subnet_id, api_sold_by(ctx), group ? group : "");
        free(ud_sealed);
        if (inserted != 1) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The instance could not be recorded: %s", store_errmsg(ctx->store));
            break;
        }
        if (compute_events_record(ctx->store, id, INSTANCE_PENDING, "RunInstances") != 0) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The instance's history could not be recorded: %s",
                          store_errmsg(ctx->store));
            break;
        }
        if (block_launch_disks(ctx, id, l.zone, l.project_id, hosts[placed[i]].host_id) != 0) {
            rc = -1;
            break;
        }
        /* an instance another product sells (lighthouse) is paid by that product's order */
        if (prepaid && !ctx->sold_by) {
            const struct billing_item items[] = {{"v_cvm_cpu", l.type->family, l.type->cpu},
                                                 {"v_cvm_mem", l.type->family, l.type->memory_gib},
                                                 {"v_cvm_rootdisk", l.disk_type, l.disk_size}};
            struct billing_order o = {ctx->who.owner_uin,
                                      ctx->who.user_uin,
                                      "cvm",
                                      ctx->region,
                                      l.zone,
                                      id,
                                      name,
                                      items,
                                      3,
                                      (int)json_integer_value(json_object_get(prepay, "Period")),
                                      json_string_value(json_object_get(prepay, "RenewFlag"))};
            char order[40], bcode[96], bmsg[256];
            int64_t expire;
            if (billing_prepay(ctx->store, &o, clock_now(), order, &expire, bcode, sizeof bcode, bmsg, sizeof bmsg) !=
                0) {
                rc = api_fail(ctx, bcode, "%s", bmsg);
                break;
            }
        }
        json_array_append_new(ids, json_string(id));
    }
    free(keys_text);
    free(tags_text);
    free(sgs_text);
    free(hosts);
    json_decref(l.tags);
    json_decref(l.sgs);
    free(l.user_data);
    if (rc != 0) {
        json_decref(ids);
        return -1;
    }
    if (json_is_true(json_object_get(ctx->params, "DryRun"))) {
        /* A dry run goes through every step the real call takes (addresses, security groups, the
         * rows) and then rolls it all back: like the real cloud it answers with the RequestId only
         * and leaves nothing behind, not even a default VPC made for the check. */
        json_decref(ids);
        ctx->discard = 1;
        return 0;
    }
    if (token && client_token_record(ctx->store, ctx->who.owner_uin, "", token, ids, now) != 0) {
        json_decref(ids);
        return api_fail(ctx, E_INTERNAL_ERROR, "The client token could not be recorded: %s", store_errmsg(ctx->store));
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:instance/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    json_object_set_new(ctx->out, "InstanceIdSet", ids);
    ctx->after_commit = compute_kick; /* the controller must see the committed rows */
    return 0;
fail:
    free(hosts);
    json_decref(l.tags);
    json_decref(l.sgs);
    free(l.user_data);
    return -1;
}

/* ---- lifecycle ---- */

/* Checks that every id exists for the caller and allows op; then moves each to new_state. */
static int transition(struct api_ctx *ctx, json_t *ids, enum op op, const char *new_state, const char *op_name,
                      const char *stop_type, const char *stopped_mode)
{
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        struct store_stmt *q = store_query(ctx->store,
                                           "SELECT state, restrict_state, charge_type FROM instances WHERE"
                                           " instance_id = ? AND owner_uin = ? AND state != '" INSTANCE_TERMINATED "'",
                                           "ss", id, ctx->who.owner_uin);
        int rc = q ? store_step(q) : -1;
        char state[32] = "", restrict_[32] = "";
        if (rc == 1) {
            snprintf(state, sizeof state, "%s", store_text(q, 0));
            snprintf(restrict_, sizeof restrict_, "%s", store_text(q, 1));
        }
        store_done(q);
        if (rc != 1)
            return api_fail(ctx, E_INVALID_INSTANCE_ID_NOT_FOUND, "The instance `%s` does not exist.", id);
        const char *refused = instance_op_refused(op, state);
        if (refused)
            return api_fail(ctx, refused, "The instance `%s` is %s; %s is not possible now.", id, state, op_name);
        /* billing's restrictions: isolated for arrears until the account is paid, expired until renewed */
        if ((op == OP_START || op == OP_REBOOT || op == OP_RESET) && strcmp(restrict_, "NORMAL"))
            return api_fail(ctx,
                            !strcmp(restrict_, "EXPIRED") ? E_UNSUPPORTED_OPERATION_INSTANCE_STATE_ISOLATING
                                                          : E_INVALID_ACCOUNT_INSUFFICIENT_BALANCE,
                            "The instance `%s` is %s: %s.", id, restrict_,
                            !strcmp(restrict_, "EXPIRED") ? "renew it (RenewInstances) first"
                                                          : "recharge the account first");
    }
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        if (store_exec(
                ctx->store,
                "UPDATE instances SET state = ?, latest_op = ?, latest_op_state = 'OPERATING', latest_op_request = ?,"
                " stop_type = ?, stopped_mode = coalesce(?, stopped_mode), reason = '', updated = ?"
                " WHERE instance_id = ? AND owner_uin = ?",
                "sssssiss", new_state, op_name, ctx->request_id, stop_type, stopped_mode, time_now(), id,
                ctx->who.owner_uin) != 1)
            return api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be updated.", id);
        /* a prepaid instance released early gets the unused part of its period back */
        if (op == OP_TERMINATE && billing_refund(ctx->store, ctx->who.owner_uin, id, clock_now()) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The refund of `%s` could not be recorded.", id);
        if (compute_events_record(ctx->store, id, new_state, op_name) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The history of `%s` could not be recorded.", id);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:instance/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    ctx->after_commit = compute_kick; /* the controller must see the committed rows */
    return 0;
}

static json_t *ids_param(struct api_ctx *ctx) { return json_object_get(ctx->params, "InstanceIds"); }

static int start_instances(struct api_ctx *ctx)
{
    return transition(ctx, ids_param(ctx), OP_START, INSTANCE_STARTING, "StartInstances", NULL, "KEEP_CHARGING");
}

static int stop_instances(struct api_ctx *ctx)
{
    const char *type =
        api_str(ctx, "StopType", json_is_true(json_object_get(ctx->params, "ForceStop")) ? "HARD" : "SOFT");
    return transition(ctx, ids_param(ctx), OP_STOP, INSTANCE_STOPPING, "StopInstances", type,
                      api_str(ctx, "StoppedMode", "KEEP_CHARGING"));
}

static int reboot_instances(struct api_ctx *ctx)
{
    const char *type =
        api_str(ctx, "StopType", json_is_true(json_object_get(ctx->params, "ForceReboot")) ? "HARD" : "SOFT");
    return transition(ctx, ids_param(ctx), OP_REBOOT, INSTANCE_REBOOTING, "RebootInstances", type, NULL);
}

static int terminate_instances(struct api_ctx *ctx)
{
    return transition(ctx, ids_param(ctx), OP_TERMINATE, INSTANCE_TERMINATING, "TerminateInstances", NULL, NULL);
}

static int reset_instance(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "InstanceId", "");
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT image_id, system_disk_size FROM instances WHERE instance_id = ? AND owner_uin = ?"
                    " AND state != '" INSTANCE_TERMINATED "'",
                    "ss", id, ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    char image[32] = "";
    int64_t size = 0;
    if (rc == 1) {
        snprintf(image, sizeof image, "%s", store_text(q, 0));
        size = store_int(q, 1);
    }
    store_done(q);
    if (rc != 1)
        return api_fail(ctx, E_INVALID_INSTANCE_ID_NOT_FOUND, "The instance `%s` does not exist.", id);
    const char *new_image = api_str(ctx, "ImageId", image);
    q = store_query(ctx->store,
                    "SELECT state, size_gib FROM images WHERE image_id = ? AND (owner_uin = '' OR owner_uin = ?)", "ss",
                    new_image, ctx->who.owner_uin);
    rc = q ? store_step(q) : -1;
    int ok = rc == 1 && strcmp(store_text(q, 0), "NORMAL") == 0;
    int64_t image_size = rc == 1 ? store_int(q, 1) : 0;
    store_done(q);
    if (!ok)
        return api_fail(ctx, E_INVALID_IMAGE_ID_NOT_FOUND, "The image `%s` does not exist or is not available.",
                        new_image);
    json_t *sd = json_object_get(ctx->params, "SystemDisk");
    int64_t new_size =
        sd && json_object_get(sd, "DiskSize") ? json_integer_value(json_object_get(sd, "DiskSize")) : size;
    if (new_size < size || new_size < image_size)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "SystemDisk.DiskSize can only grow (now %lld GiB).",
                        (long long)size);
    json_t *login = json_object_get(ctx->params, "LoginSettings");
    json_t *keys = json_object_get(login, "KeyIds");
    if (keys && check_keys(ctx, keys))
        return -1;
    json_t *one = json_pack("[s]", id);
    rc = transition(ctx, one, OP_RESET, INSTANCE_STOPPING, "ResetInstance", "HARD", NULL);
    json_decref(one);
    if (rc)
        return rc;
    const char *ud = api_str(ctx, "UserData", NULL);
    uint8_t *ud_raw = NULL;
    size_t ud_len = 0;
    if (ud) {
        size_t n = strlen(ud);
        ud_raw = malloc(n + 1);
        if (!ud_raw || base64_decode(ud, n, ud_raw, n + 1, &ud_len) != 0 || ud_len > USER_DATA_MAX) {
            free(ud_raw);
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_INVALID_USER_DATA_FORMAT,
                            "UserData must be base64 of at most 16 KiB.");
        }
    }
    uint8_t *ud_sealed = NULL;
    size_t ud_sealed_len = 0;
    if (ud_raw && sealed_seal(id, ud_raw, ud_len, &ud_sealed, &ud_sealed_len) != 0) {
        free(ud_raw);
        return api_fail(ctx, E_INTERNAL_ERROR, "The user data could not be sealed.");
    }
    free(ud_raw);
    ud_raw = ud_sealed;
    ud_len = ud_sealed_len;
    char *keys_text = keys ? json_dumps(keys, JSON_COMPACT) : NULL;
    rc = store_exec(ctx->store,
                    "UPDATE instances SET image_id = ?, system_disk_size = ?, key_ids = coalesce(?, key_ids),"
                    " hostname = coalesce(?, hostname), user_data = CASE WHEN ? = 1 THEN ? ELSE user_data END WHERE "
                    "instance_id = ?",
                    "sissibs", new_image, new_size, keys_text, api_str(ctx, "HostName", NULL), (int64_t)(ud != NULL),
                    ud_raw ? (const void *)ud_raw : (const void *)"", ud_len, id);
    free(keys_text);
    free(ud_raw);
    return rc == 1 ? 0 : api_fail(ctx, E_INTERNAL_ERROR, "The instance could not be updated.");
}

static int modify_instances_attribute(struct api_ctx *ctx)
{
    json_t *ids = ids_param(ctx);
    if (!api_has(ctx, "InstanceName") && !api_has(ctx, "SecurityGroups") && !api_has(ctx, "HostName"))
        return api_fail(ctx, E_MISSING_PARAMETER,
                        "Give at least one attribute to change (InstanceName, HostName, SecurityGroups).");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        json_t *sg_list = json_object_get(ctx->params, "SecurityGroups");
        char *sgs = sg_list ? json_dumps(sg_list, JSON_COMPACT) : NULL;
        if (sg_list) {
            const char *sg_ids[5];
            int nsg = 0;
            size_t k;
            json_t *sv;
            char code[96] = "";
            json_array_foreach (sg_list, k, sv)
                if (nsg < 5)
                    sg_ids[nsg++] = json_string_value(sv);
            int owned = store_exec(ctx->store,
                                   "UPDATE instances SET updated = updated WHERE instance_id = ? AND owner_uin = ?"
                                   " AND state NOT IN ('" INSTANCE_TERMINATED "', '" INSTANCE_TERMINATING "')",
                                   "ss", id, ctx->who.owner_uin);
            if (owned == 1 && network_set_nic_security_groups(ctx->store, ctx->who.owner_uin, id, sg_ids, nsg, code,
                                                              sizeof code) != 0) {
                free(sgs);
                return api_fail(ctx, code[0] ? code : E_INTERNAL_ERROR, "The security groups could not be bound.");
            }
        }
        int rc = store_exec(ctx->store,
                            "UPDATE instances SET name = coalesce(?, name), hostname = coalesce(?, hostname),"
                            " security_groups = coalesce(?, security_groups), updated = ?"
                            " WHERE instance_id = ? AND owner_uin = ? AND state NOT IN ('" INSTANCE_TERMINATED
                            "', '" INSTANCE_TERMINATING "')",
                            "sssiss", api_str(ctx, "InstanceName", NULL), api_str(ctx, "HostName", NULL), sgs,
                            time_now(), id, ctx->who.owner_uin);
        free(sgs);
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The instance could not be updated.");
        if (rc == 0)
            return api_fail(ctx, E_INVALID_INSTANCE_ID_NOT_FOUND, "The instance `%s` does not exist.", id);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:instance/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    return 0;
}

/* yun extension: the tail of the instance's serial console, to watch a guest boot. */
static int get_instance_console_output(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "InstanceId", "");
    struct store_stmt *q = store_query(
        ctx->store,
        "SELECT state FROM instances WHERE instance_id = ? AND owner_uin = ? AND state != '" INSTANCE_TERMINATED "'",
        "ss", id, ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    if (rc != 1)
        return api_fail(ctx, E_INVALID_INSTANCE_ID_NOT_FOUND, "The instance `%s` does not exist.", id);
    int joined = host_is_joined_of_instance(ctx->store, id);
    if (joined < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance's host could not be read.");
    char run_dir[700], *buf = malloc(HOST_CONSOLE_MAX);
    size_t n = 0;
    snprintf(run_dir, sizeof run_dir, "%s/instances/%s", compute_env.data_dir, id);
    /* a joined host's instance: the tail that host last pushed over the channel (host_console.c) */
    if (joined && buf && host_console_get(ctx->store, id, buf, HOST_CONSOLE_MAX - 1, &n) < 0) {
        free(buf);
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance's console output could not be read.");
    }
    if (!joined && (!buf || hv_driver()->console(run_dir, buf, HOST_CONSOLE_MAX, &n) != 0))
        n = 0;
    json_t *s = json_stringn(buf ? buf : "", n);
    if (!s && buf) { /* not valid UTF-8: keep ASCII, mark the rest */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)buf[i] >= 0x80)
                buf[i] = '?';
        s = json_stringn(buf, n);
    }
    free(buf);
    json_object_set_new(ctx->out, "InstanceId", json_string(id));
    json_object_set_new(ctx->out, "Output", s ? s : json_string(""));
    return 0;
}

/* ---- prepaid periods (the orders are billing's) ---- */

static int prepaid_ids(struct api_ctx *ctx, json_t *ids)
{
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        struct store_stmt *q = store_query(ctx->store,
                                           "SELECT charge_type FROM instances WHERE instance_id = ? AND owner_uin = ?"
                                           " AND " INSTANCE_HOLDS_RESOURCES("state"),
                                           "ss", json_string_value(v), ctx->who.owner_uin);
        int rc = q ? store_step(q) : -1;
        int prepaid = rc == 1 && !strcmp(store_text(q, 0), "PREPAID");
        store_done(q);
        if (rc != 1)
            return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_INVALID_INSTANCE_ID_NOT_FOUND,
                            "The instance `%s` does not exist.", json_string_value(v));
        if (!prepaid)
            return api_fail(ctx, E_UNSUPPORTED_OPERATION_INSTANCE_CHARGE_TYPE,
                            "The instance `%s` is not prepaid: there is no period to renew.", json_string_value(v));
    }
    return 0;
}

static int renew_instances(struct api_ctx *ctx)
{
    json_t *ids = ids_param(ctx), *prepay = json_object_get(ctx->params, "InstanceChargePrepaid");
    if (prepaid_ids(ctx, ids) != 0)
        return -1;
    int months = (int)json_integer_value(json_object_get(prepay, "Period"));
    const char *flag = json_string_value(json_object_get(prepay, "RenewFlag"));
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        char code[96], msg[256];
        int64_t expire;
        if (billing_renew(ctx->store, ctx->who.owner_uin, ctx->who.user_uin, id, months, clock_now(), &expire, code,
                          sizeof code, msg, sizeof msg) != 0)
            return api_fail(ctx, code, "%s", msg);
        if (flag && billing_set_renew_flag(ctx->store, ctx->who.owner_uin, id, flag) < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The renew flag of `%s` could not be set.", id);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:instance/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    ctx->after_commit = compute_kick;
    return 0;
}

static int modify_renew_flag(struct api_ctx *ctx)
{
    json_t *ids = ids_param(ctx);
    if (prepaid_ids(ctx, ids) != 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v)
        if (billing_set_renew_flag(ctx->store, ctx->who.owner_uin, json_string_value(v),
                                   api_str(ctx, "RenewFlag", "")) < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The renew flag could not be set.");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:instance/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    return 0;
}

/* ---- the action table ---- */

static const char *const stop_types[] = {"SOFT", "HARD", "SOFT_FIRST", NULL};
static const char *const stopped_modes[] = {"KEEP_CHARGING", "STOP_CHARGING", NULL};

static const struct param p_run[] = {P_OBJ("Placement", P_REQUIRED, launch_placement),
                                     P_STR("InstanceType", 0, 1, 64),
                                     P_STR("ImageId", P_REQUIRED, 1, 32),
                                     P_ENUM("InstanceChargeType", 0, launch_charge_types),
                                     P_OBJ("InstanceChargePrepaid", 0, launch_prepaid),
                                     P_OBJ("SystemDisk", 0, launch_system_disk),
                                     P_OBJS("DataDisks", 0, 20, launch_data_disk),
                                     P_OBJ("VirtualPrivateCloud", 0, launch_vpc),
                                     P_OBJ("InternetAccessible", 0, launch_internet),
                                     P_INT("InstanceCount", 0, 1, 100),
                                     P_STR("InstanceName", 0, 1, 128),
                                     P_OBJ("LoginSettings", 0, launch_login),
                                     P_STRS("SecurityGroupIds", 0, 5, 32),
                                     P_OBJ("EnhancedService", 0, launch_enhanced),
                                     P_STR("ClientToken", 0, 1, 64),
                                     P_STR("HostName", 0, 2, 60),
                                     P_TAG_SPEC,
                                     P_STR("UserData", 0, 0, 22000),
                                     P_BOOL("DryRun", 0),
                                     P_STR("DedicatedClusterId", 0, 1, 64),
                                     P_STRS("DisasterRecoverGroupIds", 0, 1, 32),
                                     P_END};
static const struct param p_renew_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60),
                                               P_ENUM("RenewFlag", 0, launch_renew_flags), P_END};
static const struct param p_renew[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 32),
                                       P_OBJ("InstanceChargePrepaid", P_REQUIRED, p_renew_prepaid),
                                       P_BOOL("RenewPortableDataDisk", 0), P_END};
static const struct param p_renew_flag[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 32),
                                            P_ENUM("RenewFlag", P_REQUIRED, launch_renew_flags), P_END};
static const struct param p_describe[] = {P_STRS("InstanceIds", 0, 100, 32), P_FILTERS,
                                          P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100), P_END};
static const struct param p_status[] = {P_STRS("InstanceIds", 0, 100, 32), P_INT("Offset", 0, 0, INT32_MAX),
                                        P_INT("Limit", 0, 1, 100), P_END};
static const struct param p_ids[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 32), P_END};
static const struct param p_stop[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 32), P_BOOL("ForceStop", 0),
                                      P_ENUM("StopType", 0, stop_types), P_ENUM("StoppedMode", 0, stopped_modes),
                                      P_END};
static const struct param p_reboot[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 32), P_BOOL("ForceReboot", 0),
                                        P_ENUM("StopType", 0, stop_types), P_END};
static const struct param p_terminate[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 32), P_BOOL("ReleaseAddress", 0),
                                           P_BOOL("ReleasePrepaidDataDisks", 0), P_END};
static const struct param p_reset_disk[] = {P_ENUM("DiskType", 0, launch_disk_types), P_STR("DiskId", 0, 0, 32),
                                            P_INT("DiskSize", 0, 1, 2048), P_END};
static const struct param p_reset[] = {P_STR("InstanceId", P_REQUIRED, 1, 32),
                                       P_STR("ImageId", 0, 1, 32),
                                       P_OBJ("SystemDisk", 0, p_reset_disk),
                                       P_OBJ("LoginSettings", 0, launch_login),
                                       P_OBJ("EnhancedService", 0, launch_enhanced),
                                       P_STR("HostName", 0, 2, 60),
                                       P_STR("UserData", 0, 0, 22000),
                                       P_END};
static const struct param p_modify[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 32), P_STR("InstanceName", 0, 1, 128),
                                        P_STRS("SecurityGroups", 0, 5, 32), P_STR("HostName", 0, 2, 60), P_END};
static const struct param p_console[] = {P_STR("InstanceId", P_REQUIRED, 1, 32), P_END};

static const struct action instance_actions[] = {
    {"cvm", CVM, "RunInstances", run_instances, p_run, A_MUTATES | A_REGIONAL, "instance/*", NULL,
     TOUCHES("cvm:image/${ImageId}", "cvm:host/${Placement.HostIds}", "cdc:dedicatedCluster/${DedicatedClusterId}",
             "vpc:vpc/${VirtualPrivateCloud.VpcId}", "vpc:subnet/${VirtualPrivateCloud.SubnetId}",
             "vpc:sg/${SecurityGroupIds}", "cvm:keypair/${LoginSettings.KeyIds}", "cbs:snap/${DataDisks.SnapshotId}",
             "cvm:ps/${DisasterRecoverGroupIds}")},
    {"cvm", CVM, "DescribeInstances", describe_instances, p_describe, A_REGIONAL, "instance/${InstanceIds|*}"},
    {"cvm", CVM, "DescribeInstancesStatus", describe_instances_status, p_status, A_REGIONAL,
     "instance/${InstanceIds|*}"},
    {"cvm", CVM, "StartInstances", start_instances, p_ids, A_MUTATES | A_REGIONAL, "instance/${InstanceIds}"},
    {"cvm", CVM, "StopInstances", stop_instances, p_stop, A_MUTATES | A_REGIONAL, "instance/${InstanceIds}"},
    {"cvm", CVM, "RebootInstances", reboot_instances, p_reboot, A_MUTATES | A_REGIONAL, "instance/${InstanceIds}"},
    {"cvm", CVM, "TerminateInstances", terminate_instances, p_terminate, A_MUTATES | A_REGIONAL,
     "instance/${InstanceIds}"},
    {"cvm", CVM, "ResetInstance", reset_instance, p_reset, A_MUTATES | A_REGIONAL, "instance/${InstanceId}", NULL,
     TOUCHES("cvm:image/${ImageId}", "cvm:keypair/${LoginSettings.KeyIds}")},
    {"cvm", CVM, "ModifyInstancesAttribute", modify_instances_attribute, p_modify, A_MUTATES | A_REGIONAL,
     "instance/${InstanceIds}", NULL, TOUCHES("vpc:sg/${SecurityGroups}")},
    {"cvm", CVM, "GetInstanceConsoleOutput", get_instance_console_output, p_console, A_REGIONAL,
     "instance/${InstanceId}"},
    {"cvm", CVM, "RenewInstances", renew_instances, p_renew, A_MUTATES | A_REGIONAL, "instance/${InstanceIds}"},
    {"cvm", CVM, "ModifyInstancesRenewFlag", modify_renew_flag, p_renew_flag, A_MUTATES | A_REGIONAL,
     "instance/${InstanceIds}"},
};

void instance_register(void) { api_register(instance_actions, sizeof instance_actions / sizeof instance_actions[0]); }
