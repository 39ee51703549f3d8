/*
 * instance: CreateInstances, DescribeInstances, Start/Stop/Reboot/Terminate, ResetInstance,
 * ModifyInstancesAttribute, RenewInstances, DescribeInstancesDeniedActions.
 *
 * A lighthouse instance (lhins-) is one row of lighthouse_instances naming what it is made of:
 * a cvm instance (ins-, prepaid, paid by the lighthouse order), its own security group (the
 * firewall), and an EIP bound to it (the public address). CreateInstances makes all of them
 * through the cvm and vpc action rows in one transaction and records one prepaid order of product
 * "lighthouse" with two components, the bundle and the blueprint's software. Everything else asks
 * cvm for the truth (state, addresses, disk) and shows it in lighthouse's shapes.
 *
 * Readiness: a PURE_OS instance is RUNNING when its cvm instance is. An APP_OS instance stays
 * STARTING (LatestOperationState OPERATING) until its application answers: the control plane
 * asks on the public address when the instance is described (probe.c: an HTTP GET of the
 * manifest's ready_path, or a TCP connection for "tcp:PORT"), and records the first success (a
 * reset makes it wait again). The firewall opens app_port when the instance is made or reset
 * with an application blueprint.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/codes.h"
#include "api/filters.h"
#include "compute/compute.h"
#include "lighthouse/lighthouse_int.h"
#include "network/network.h"

int lh_instance_of(struct api_ctx *ctx, const char *id, struct lh_instance *out)
{
    if (strncmp(id, "lhins-", 6) != 0) {
        api_fail(ctx, E_LH_INSTANCE_ID_MALFORMED, "The instance id `%s` is malformed.", id);
        return 0;
    }
    int rc = lh_store_instance_get(ctx->store, ctx->who.owner_uin, id, out);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be read.", id);
    if (rc == 0)
        api_fail(ctx, E_LH_INSTANCE_NOT_FOUND, "The instance `%s` does not exist.", id);
    return rc;
}

/* ---- CreateInstances ---- */

static const char *default_zone(struct api_ctx *ctx)
{
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    return r && r->nzones ? r->zones[0].zone : "";
}

static int zone_known(struct api_ctx *ctx, const char *zone)
{
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    for (int k = 0; r && k < r->nzones; k++)
        if (!strcmp(r->zones[k].zone, zone))
            return 1;
    return 0;
}

/* Checks what CreateInstances and ResetInstance share: the blueprint exists and fits the bundle. */
static int blueprint_for(struct api_ctx *ctx, const char *id, const struct lh_bundle *b, struct lh_blueprint *bp)
{
    if (strncmp(id, "lhbp-", 5) != 0)
        return api_fail(ctx, E_LH_BLUEPRINT_ID_MALFORMED, "The blueprint id `%s` is malformed.", id);
    int rc = lh_blueprint_find(ctx, id, bp);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return api_fail(ctx, E_LH_BLUEPRINT_NOT_FOUND, "The blueprint `%s` does not exist.", id);
    if (strcmp(bp->state, "NORMAL") != 0)
        return api_fail(ctx, E_LH_BLUEPRINT_UNAVAILABLE, "The blueprint `%s` is %s.", id, bp->state);
    if (b->memory_gib < bp->required_memory_gib || b->disk_gib < bp->required_disk_gib)
        return api_fail(ctx, E_LH_BUNDLE_BLUEPRINT_MISMATCH,
                        "The bundle `%s` (%d GB memory, %d GB disk) is too small for the blueprint `%s`, which needs"
                        " %lld GB memory and %lld GB system disk.",
                        b->id, b->memory_gib, b->disk_gib, id, (long long)bp->required_memory_gib,
                        (long long)bp->required_disk_gib);
    return 0;
}

/* LoginConfiguration as cvm's LoginSettings (NULL: keep the image's login). */
static json_t *login_settings(struct api_ctx *ctx, json_t *login)
{
    const char *autogen = json_string_value(json_object_get(login, "AutoGeneratePassword"));
    const char *pw = json_string_value(json_object_get(login, "Password"));
    json_t *keys = json_object_get(login, "KeyIds");
    int autopw = autogen && !strcasecmp(autogen, "YES");
    if ((autopw && pw) || (pw && json_array_size(keys)) || (autopw && json_array_size(keys))) {
        api_fail(ctx, E_LH_PARAMETER_CONFLICT,
                 "LoginConfiguration takes one of AutoGeneratePassword YES, Password and KeyIds.");
        return NULL;
    }
    if (autogen && !autopw && strcasecmp(autogen, "NO") != 0) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE, "LoginConfiguration.AutoGeneratePassword is YES or NO.");
        return NULL;
    }
    if (autogen && !autopw && !pw) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                 "LoginConfiguration.Password is required with AutoGeneratePassword NO.");
        return NULL;
    }
    if (json_array_size(keys))
        return json_pack("{s:O}", "KeyIds", keys);
    if (pw)
        return json_pack("{s:s}", "Password", pw);
    if (autopw) { /* a password nobody is told: the owner resets it, or logs in with a key */
        char tail[16], gen[40];
        random_id("", tail, sizeof tail);
        snprintf(gen, sizeof gen, "Yun-%sA9", tail);
        return json_pack("{s:s}", "Password", gen);
    }
    return json_object();
}

static int unsupported_fields(struct api_ctx *ctx)
{
    if (json_array_size(json_object_get(ctx->params, "Containers")))
        return api_fail(ctx, E_LH_DOCKER_UNAVAILABLE,
                        "Containers are not supported here: yun blueprints carry no Docker; use an APP_OS blueprint"
                        " or InitCommand.");
    if (api_has(ctx, "FirewallTemplateId"))
        return api_fail(ctx, E_UNSUPPORTED_OPERATION, "Firewall templates are not supported yet.");
    if (api_has(ctx, "DomainName") || api_has(ctx, "Subdomain"))
        return api_fail(ctx, E_UNSUPPORTED_OPERATION, "DomainName and Subdomain are not supported (no DNS service).");
    return 0;
}

/* One lighthouse instance: its firewall, its cvm instance, its public address, its order. */
static int create_one(struct api_ctx *ctx, const struct lh_bundle *b, const struct lh_blueprint *bp, const char *zone,
                      const char *name, json_t *login, json_t *ids)
{
    struct lh_instance in;
    memset(&in, 0, sizeof in);
    random_id("lhins-", in.id, sizeof in.id);
    snprintf(in.owner, sizeof in.owner, "%s", ctx->who.owner_uin);
    snprintf(in.bundle_id, sizeof in.bundle_id, "%s", b->id);
    snprintf(in.blueprint_id, sizeof in.blueprint_id, "%s", bp->id);
    snprintf(in.name, sizeof in.name, "%s", name);
    snprintf(in.zone, sizeof in.zone, "%s", zone);
    snprintf(in.latest_op, sizeof in.latest_op, "CreateInstances");
    snprintf(in.latest_op_request, sizeof in.latest_op_request, "%s", ctx->request_id);
    in.created = in.latest_op_time = time_now();

    char group[64], desc[96];
    snprintf(group, sizeof group, "lighthouse-%s", in.id);
    snprintf(desc, sizeof desc, "Firewall of lighthouse instance %s", in.id);
    json_t *out = NULL, *p = json_pack("{s:s,s:s}", "GroupName", group, "GroupDescription", desc);
    int rc = lh_call(ctx, "vpc", "CreateSecurityGroup", p, &out);
    json_decref(p);
    if (rc)
        return -1;
    snprintf(in.sg_id, sizeof in.sg_id, "%s",
             json_string_value(json_object_get(json_object_get(out, "SecurityGroup"), "SecurityGroupId")));
    json_decref(out);
    /* like the real API, one request adds the policies of one direction */
    p = json_pack("{s:s,s:{s:o}}", "SecurityGroupId", in.sg_id, "SecurityGroupPolicySet", "Ingress",
                  lh_default_ingress());
    rc = lh_call(ctx, "vpc", "CreateSecurityGroupPolicies", p, NULL);
    json_decref(p);
    if (rc)
        return -1;
    p = json_pack("{s:s,s:{s:[{s:s,s:s,s:s,s:s}]}}", "SecurityGroupId", in.sg_id, "SecurityGroupPolicySet", "Egress",
                  "Protocol", "ALL", "Port", "ALL", "CidrBlock", "0.0.0.0/0", "Action", "ACCEPT");
    rc = lh_call(ctx, "vpc", "CreateSecurityGroupPolicies", p, NULL);
    json_decref(p);
    if (rc)
        return -1;

    json_t *prepay = json_object_get(ctx->params, "InstanceChargePrepaid");
    const char *flag = json_string_value(json_object_get(prepay, "RenewFlag"));
    p = json_pack("{s:{s:s},s:s,s:s,s:s,s:s,s:{s:I,s:s},s:{s:s,s:i},s:[s],s:O}", "Placement", "Zone", zone, "ImageId",
                  bp->image_id, "InstanceType", b->instance_type, "InstanceName", name, "InstanceChargeType", "PREPAID",
                  "InstanceChargePrepaid", "Period", json_integer_value(json_object_get(prepay, "Period")), "RenewFlag",
                  flag && strcmp(flag, "DISABLE_NOTIFY_AND_AUTO_RENEW") ? flag : "NOTIFY_AND_MANUAL_RENEW",
                  "SystemDisk", "DiskType", "CLOUD_SSD", "DiskSize", b->disk_gib, "SecurityGroupIds", in.sg_id,
                  "LoginSettings", login);
    const char *init = json_string_value(json_object_get(json_object_get(ctx->params, "InitCommand"), "Content"));
    if (init) /* the guest's first-boot user data runs it */
        json_object_set_new(p, "UserData", json_string(init));
    rc = lh_call(ctx, "cvm", "RunInstances", p, &out); /* paid by the lighthouse order: cvm bills nothing */
    json_decref(p);
    if (rc)
        return -1;
    snprintf(in.cvm_id, sizeof in.cvm_id, "%s",
             json_string_value(json_array_get(json_object_get(out, "InstanceIdSet"), 0)));
    json_decref(out);

    p = json_pack("{s:i}", "AddressCount", 1);
    rc = lh_call(ctx, "vpc", "AllocateAddresses", p, &out);
    json_decref(p);
    if (rc)
        return -1;
    snprintf(in.eip_id, sizeof in.eip_id, "%s",
             json_string_value(json_array_get(json_object_get(out, "AddressSet"), 0)));
    json_decref(out);
    p = json_pack("{s:s,s:s}", "AddressId", in.eip_id, "InstanceId", in.cvm_id);
    rc = lh_call(ctx, "vpc", "AssociateAddress", p, NULL);
    json_decref(p);
    if (rc)
        return -1;

    struct billing_item items[2];
    lh_order_items(b, bp, items);
    struct billing_order o = {ctx->who.owner_uin,
                              ctx->who.user_uin,
                              "lighthouse",
                              ctx->region,
                              zone,
                              in.id,
                              name,
                              items,
                              2,
                              (int)json_integer_value(json_object_get(prepay, "Period")),
                              flag && !strcmp(flag, "NOTIFY_AND_AUTO_RENEW") ? flag : "NOTIFY_AND_MANUAL_RENEW"};
    char order[40], code[96], msg[256];
    int64_t expire;
    if (billing_prepay(ctx->store, &o, clock_now(), order, &expire, code, sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, !strcmp(code, "InvalidAccount.InsufficientBalance") ? E_LH_INSUFFICIENT_BALANCE : code,
                        "%s", msg);
    if (!strcmp(bp->type, LH_TYPE_APP) && lh_firewall_allow_app(ctx, &in, bp->app_port) != 0)
        return -1;
    if (lh_store_instance_insert(ctx->store, &in) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance could not be recorded: %s", store_errmsg(ctx->store));
    json_array_append_new(ids, json_string(in.id));
    return 0;
}

static int create_instances(struct api_ctx *ctx)
{
    const char *token = api_str(ctx, "ClientToken", NULL);
    if (token) {
        json_t *ids;
        int rc = lh_store_token_get(ctx->store, ctx->who.owner_uin, token, &ids);
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The client token could not be read.");
        if (rc == 1) { /* the same token answers the same instances */
            json_object_set_new(ctx->out, "InstanceIdSet", ids);
            return 0;
        }
    }
    if (unsupported_fields(ctx))
        return -1;
    const char *bundle_id = api_str(ctx, "BundleId", "");
    const struct lh_bundle *b = lh_bundle_find(bundle_id);
    if (!b)
        return api_fail(ctx, E_LH_BUNDLE_NOT_FOUND, "The bundle `%s` does not exist.", bundle_id);
    struct lh_blueprint bp;
    if (blueprint_for(ctx, api_str(ctx, "BlueprintId", ""), b, &bp) != 0)
        return -1;
    json_t *zones = json_object_get(ctx->params, "Zones");
    const char *zone = json_array_size(zones) ? json_string_value(json_array_get(zones, 0)) : default_zone(ctx);
    if (!zone_known(ctx, zone))
        return api_fail(ctx, E_LH_INVALID_ZONE, "The zone `%s` is not in region %s.", zone, ctx->region);
    json_t *login = login_settings(ctx, json_object_get(ctx->params, "LoginConfiguration"));
    if (!login)
        return -1;
    int64_t count = api_int(ctx, "InstanceCount", 1);
    const char *base = api_str(ctx, "InstanceName", bp.title);
    json_t *ids = json_array();
    int rc = 0;
    for (int64_t i = 0; i < count && rc == 0; i++) {
        char name[160];
        if (count > 1)
            snprintf(name, sizeof name, "%s-%lld", base, (long long)i + 1);
        else
            snprintf(name, sizeof name, "%s", base);
        rc = create_one(ctx, b, &bp, zone, name, login, ids);
    }
    json_decref(login);
    if (rc != 0) {
        json_decref(ids);
        return -1;
    }
    if (json_is_true(json_object_get(ctx->params, "DryRun"))) {
        /* every step ran, and is rolled back: nothing is left, not even the default VPC */
        json_decref(ids);
        ctx->discard = 1;
        return 0;
    }
    if (token && lh_store_token_put(ctx->store, ctx->who.owner_uin, token, ids) != 0) {
        json_decref(ids);
        return api_fail(ctx, E_INTERNAL_ERROR, "The client token could not be recorded.");
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::lighthouse:%s:uin/%s:instance/%s", ctx->region,
             ctx->who.owner_uin, json_string_value(json_array_get(ids, 0)));
    json_object_set_new(ctx->out, "InstanceIdSet", ids);
    return 0;
}

/* ---- DescribeInstances ---- */

/* cvm's view of the instances named (InstanceSet keyed by cvm id) and their EIPs (AddressSet by id). */
static int cvm_view(struct api_ctx *ctx, const struct lh_instance *set, int n, json_t **by_cvm, json_t **by_eip)
{
    *by_cvm = json_object();
    *by_eip = json_object();
    for (int start = 0; start < n; start += 100) {
        json_t *cids = json_array(), *eids = json_array();
        for (int i = start; i < n && i < start + 100; i++) {
            json_array_append_new(cids, json_string(set[i].cvm_id));
            json_array_append_new(eids, json_string(set[i].eip_id));
        }
        json_t *out = NULL, *p = json_pack("{s:o,s:i}", "InstanceIds", cids, "Limit", 100);
        int rc = lh_call(ctx, "cvm", "DescribeInstances", p, &out);
        json_decref(p);
        if (rc) {
            json_decref(eids);
            return -1;
        }
        size_t k;
        json_t *v;
        json_array_foreach (json_object_get(out, "InstanceSet"), k, v)
            json_object_set(*by_cvm, json_string_value(json_object_get(v, "InstanceId")), v);
        json_decref(out);
        p = json_pack("{s:o,s:i}", "AddressIds", eids, "Limit", 100);
        rc = lh_call(ctx, "vpc", "DescribeAddresses", p, &out);
        json_decref(p);
        if (rc)
            return -1;
        json_array_foreach (json_object_get(out, "AddressSet"), k, v)
            json_object_set(*by_eip, json_string_value(json_object_get(v, "AddressId")), v);
        json_decref(out);
    }
    return 0;
}

static const char *cvm_op_name(const char *op) { return !strcmp(op, "RunInstances") ? "CreateInstances" : op; }

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* *probe_budget_ms: what is left of the request's time for readiness probes (probe.c) */
static json_t *instance_json(struct api_ctx *ctx, const struct lh_instance *in, json_t *cvm, json_t *eip,
                             int *probe_budget_ms)
{
    struct lh_blueprint bp;
    int have_bp = lh_blueprint_find(ctx, in->blueprint_id, &bp) == 1;
    ctx->code[0] = 0;
    const struct lh_bundle *b = lh_bundle_find(in->bundle_id);
    const char *state = json_string_value(json_object_get(cvm, "InstanceState"));
    const char *op_state = json_string_value(json_object_get(cvm, "LatestOperationState"));
    const char *ip = json_string_value(json_object_get(eip, "AddressIp"));
    state = state ? state : "PENDING";
    op_state = op_state ? op_state : "OPERATING";
    if (!strcmp(state, "SHUTDOWN"))
        state = "STOPPED";
    /* an application blueprint is starting until its application answers */
    if (have_bp && !strcmp(bp.type, LH_TYPE_APP) && !in->ready && !strcmp(state, "RUNNING") && bp.app_port > 0) {
        int64_t t0 = mono_ms();
        int up = ip && lh_probe_app(in->id, in->latest_op_time, ip, &bp, *probe_budget_ms);
        *probe_budget_ms -= (int)(mono_ms() - t0);
        if (*probe_budget_ms < 0)
            *probe_budget_ms = 0;
        if (up)
            lh_store_instance_ready(ctx->store, in->id);
        else {
            state = "STARTING";
            op_state = "OPERATING";
        }
    }
    char created[32], op_time[32], expired[32] = "";
    time_iso8601(in->created, created);
    time_iso8601(in->latest_op_time, op_time);
    int64_t expire = 0;
    char flag[40] = "NOTIFY_AND_MANUAL_RENEW";
    if (billing_prepaid_info(ctx->store, in->id, &expire, flag) == STORE_FOUND)
        time_iso8601(expire, expired);
    /* cvm reports the operation it ran; lighthouse names the one the customer asked for */
    const char *cvm_op = json_string_value(json_object_get(cvm, "LatestOperation"));
    const char *op = in->latest_op[0] ? in->latest_op : cvm_op_name(cvm_op ? cvm_op : "");
    json_t *sd = json_object_get(cvm, "SystemDisk");
    json_t *priv = json_object_get(cvm, "PrivateIpAddresses");
    json_t *keys = json_object_get(json_object_get(cvm, "LoginSettings"), "KeyIds");
    priv = priv ? json_incref(priv) : json_array();
    keys = keys ? json_incref(keys) : json_array();
    json_t *j = json_pack(
        "{s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:{s:s,s:I,s:s},s:o,s:o,s:{s:s,s:i,s:b},s:s,s:{s:o},s:s,s:s,s:s,s:s,s:s,"
        "s:s,s:s,s:n,s:s,s:s,s:s,s:s,s:s,s:[],s:s,s:{s:b,s:s,s:s},s:[],s:s}",
        "InstanceId", in->id, "BundleId", in->bundle_id, "BlueprintId", in->blueprint_id, "CPU",
        json_integer_value(json_object_get(cvm, "CPU")), "Memory", json_integer_value(json_object_get(cvm, "Memory")),
        "InstanceName", in->name, "InstanceChargeType", "PREPAID", "SystemDisk", "DiskType", "CLOUD_SSD", "DiskSize",
        json_integer_value(json_object_get(sd, "DiskSize")), "DiskId",
        json_string_value(json_object_get(sd, "DiskId")) ? json_string_value(json_object_get(sd, "DiskId")) : "",
        "PrivateAddresses", priv, "PublicAddresses", ip ? json_pack("[s]", ip) : json_array(), "InternetAccessible",
        "InternetChargeType", "TRAFFIC_POSTPAID_BY_HOUR", "InternetMaxBandwidthOut", b ? b->bandwidth_mbps : 0,
        "PublicIpAssigned", ip != NULL, "RenewFlag", flag, "LoginSettings", "KeyIds", keys, "InstanceState", state,
        "Uuid", json_string_value(json_object_get(cvm, "Uuid")) ? json_string_value(json_object_get(cvm, "Uuid")) : "",
        "LatestOperation", op, "LatestOperationState", op_state, "LatestOperationRequestId", in->latest_op_request,
        "LatestOperationStartedTime", op_time, "CreatedTime", created, "IsolatedTime", "ExpiredTime", expired,
        "PlatformType", have_bp ? bp.platform_type : "LINUX_UNIX", "Platform", have_bp ? bp.platform : "", "OsName",
        have_bp ? bp.os_name : "", "Zone", in->zone, "Tags", "InstanceRestrictState", "NORMAL", "SupportIpv6Detail",
        "IsSupport", 0, "Detail", "REGION_NOT_SUPPORT", "Message", "IPv6 is not supported here", "PublicIpv6Addresses",
        "InitInvocationId", "");
    if (!expired[0])
        json_object_set_new(j, "ExpiredTime", json_null());
    const char *restrict_ = json_string_value(json_object_get(cvm, "RestrictState"));
    if (restrict_ && strcmp(restrict_, "NORMAL"))
        json_object_set_new(j, "InstanceRestrictState", json_string("NETWORK_RESTRICT"));
    return j;
}

static int describe_instances(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"instance-id",
                                          "instance-name",
                                          "private-ip-address",
                                          "public-ip-address",
                                          "zone",
                                          "instance-state",
                                          "tag-key",
                                          "tag-value",
                                          "tag:",
                                          NULL};
    if (filters_exclusive(ctx, "InstanceIds") || filters_validate(ctx, allowed))
        return -1;
    json_t *ids = json_object_get(ctx->params, "InstanceIds");
    struct lh_instance *set;
    int n;
    if (lh_store_instances(ctx->store, ctx->who.owner_uin, &set, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instances could not be read.");
    json_t *by_cvm, *by_eip;
    if (cvm_view(ctx, set, n, &by_cvm, &by_eip) != 0) {
        free(set);
        json_decref(by_cvm);
        json_decref(by_eip);
        return -1;
    }
    struct page p;
    page_start(&p, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    int probe_budget_ms = 500; /* readiness probes of the whole request; an unanswered one waits for the next */
    for (int i = 0; i < n; i++) {
        json_t *cvm = json_object_get(by_cvm, set[i].cvm_id);
        if (!cvm) /* terminated: cvm no longer lists it */
            continue;
        if ((json_array_size(ids) && !values_contain(ids, set[i].id)) || !api_zone_in_region(ctx, set[i].zone))
            continue;
        json_t *j = instance_json(ctx, &set[i], cvm, json_object_get(by_eip, set[i].eip_id), &probe_budget_ms);
        const char *pub = json_string_value(json_array_get(json_object_get(j, "PublicAddresses"), 0));
        const char *priv = json_string_value(json_array_get(json_object_get(j, "PrivateAddresses"), 0));
        if (!filter_match(ctx, "instance-id", set[i].id) || !filter_match(ctx, "instance-name", set[i].name) ||
            !filter_match(ctx, "zone", set[i].zone) ||
            !filter_match(ctx, "instance-state", json_string_value(json_object_get(j, "InstanceState"))) ||
            !filter_match(ctx, "public-ip-address", pub ? pub : "") ||
            !filter_match(ctx, "private-ip-address", priv ? priv : "") || !filter_tags_match(ctx, "[]")) {
            json_decref(j);
            continue;
        }
        if (page_take(&p))
            json_array_append_new(p.set, j);
        else
            json_decref(j);
    }
    free(set);
    json_decref(by_cvm);
    json_decref(by_eip);
    page_finish(ctx, &p, "InstanceSet");
    return 0;
}

/* ---- operations ---- */

/* The instances named, all the caller's (else the first unknown one is the error). */
static int load_named(struct api_ctx *ctx, json_t *ids, struct lh_instance **out, int *n)
{
    *n = (int)json_array_size(ids);
    *out = calloc((size_t)(*n ? *n : 1), sizeof **out);
    if (!*out)
        return api_fail(ctx, E_INTERNAL_ERROR, "Out of memory.");
    for (int i = 0; i < *n; i++)
        if (lh_instance_of(ctx, json_string_value(json_array_get(ids, (size_t)i)), &(*out)[i]) != 1) {
            free(*out);
            *out = NULL;
            return -1;
        }
    return 0;
}

/* Runs the cvm action on the instances' cvm ids and records the lighthouse operation. */
static int operate(struct api_ctx *ctx, const char *action, json_t *extra)
{
    struct lh_instance *set;
    int n;
    if (load_named(ctx, json_object_get(ctx->params, "InstanceIds"), &set, &n) != 0)
        return -1;
    json_t *cids = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(cids, json_string(set[i].cvm_id));
    json_t *p = json_pack("{s:o}", "InstanceIds", cids);
    if (extra)
        json_object_update(p, extra);
    int rc = lh_call(ctx, "cvm", action, p, NULL);
    json_decref(p);
    /* cvm's refusal of a state, in lighthouse's words */
    if (rc && !strncmp(ctx->code, "UnsupportedOperation.", 21))
        snprintf(ctx->code, sizeof ctx->code, "%s", E_LH_INVALID_INSTANCE_STATE);
    for (int i = 0; rc == 0 && i < n; i++)
        if (lh_store_instance_op(ctx->store, ctx->who.owner_uin, set[i].id, action, ctx->request_id) != 0)
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be updated.", set[i].id);
    if (rc == 0 && n)
        snprintf(ctx->resource, sizeof ctx->resource, "qcs::lighthouse:%s:uin/%s:instance/%s", ctx->region,
                 ctx->who.owner_uin, set[0].id);
    free(set);
    return rc;
}

static int start_instances(struct api_ctx *ctx)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ctx->params, "InstanceIds"), i, v) {
        struct lh_instance in;
        if (lh_instance_of(ctx, json_string_value(v), &in) != 1)
            return -1;
        int64_t expire;
        char flag[40];
        if (billing_prepaid_info(ctx->store, in.id, &expire, flag) == STORE_FOUND && expire <= clock_now())
            return api_fail(ctx, "UnsupportedOperation.InstanceExpired",
                            "The instance `%s` has expired: renew it (RenewInstances) first.", in.id);
    }
    return operate(ctx, "StartInstances", NULL);
}

static int stop_instances(struct api_ctx *ctx)
{
    json_t *extra = json_pack("{s:s}", "StopType", api_str(ctx, "StopType", "SOFT"));
    int rc = operate(ctx, "StopInstances", extra);
    json_decref(extra);
    return rc;
}

static int reboot_instances(struct api_ctx *ctx)
{
    json_t *extra = json_pack("{s:s}", "StopType", api_str(ctx, "StopType", "SOFT"));
    int rc = operate(ctx, "RebootInstances", extra);
    json_decref(extra);
    return rc;
}

/* Terminate: the cvm instance goes, the unused part of the order is refunded (billing's prepaid
 * rule), the public address is released and the firewall deleted. */
static int terminate_instances(struct api_ctx *ctx)
{
    struct lh_instance *set;
    int n;
    if (load_named(ctx, json_object_get(ctx->params, "InstanceIds"), &set, &n) != 0)
        return -1;
    int rc = operate(ctx, "TerminateInstances", NULL);
    for (int i = 0; rc == 0 && i < n; i++) {
        const struct lh_instance *in = &set[i];
        if (billing_refund(ctx->store, ctx->who.owner_uin, in->id, clock_now()) != 0) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The refund of `%s` could not be recorded.", in->id);
            break;
        }
        json_t *out = NULL, *p = json_pack("{s:[s]}", "AddressIds", in->eip_id);
        rc = lh_call(ctx, "vpc", "DescribeAddresses", p, &out);
        json_decref(p);
        const char *status = rc ? NULL
                                : json_string_value(json_object_get(
                                      json_array_get(json_object_get(out, "AddressSet"), 0), "AddressStatus"));
        if (rc == 0 && status && strcmp(status, "UNBIND") != 0) {
            p = json_pack("{s:s}", "AddressId", in->eip_id);
            rc = lh_call(ctx, "vpc", "DisassociateAddress", p, NULL);
            json_decref(p);
        }
        if (rc == 0 && status) {
            p = json_pack("{s:[s]}", "AddressIds", in->eip_id);
            rc = lh_call(ctx, "vpc", "ReleaseAddresses", p, NULL);
            json_decref(p);
        }
        json_decref(out);
        char code[96] = "";
        if (rc == 0 && network_set_nic_security_groups(ctx->store, ctx->who.owner_uin, in->cvm_id, NULL, 0, code,
                                                       sizeof code) != 0)
            rc = api_fail(ctx, code[0] ? code : E_INTERNAL_ERROR, "The firewall of `%s` could not be unbound.", in->id);
        if (rc == 0) {
            p = json_pack("{s:s}", "SecurityGroupId", in->sg_id);
            rc = lh_call(ctx, "vpc", "DeleteSecurityGroup", p, NULL);
            json_decref(p);
        }
        if (rc == 0 && lh_store_instance_terminated(ctx->store, ctx->who.owner_uin, in->id) != 0)
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be updated.", in->id);
    }
    free(set);
    return rc;
}

static int reset_instance(struct api_ctx *ctx)
{
    struct lh_instance in;
    if (lh_instance_of(ctx, api_str(ctx, "InstanceId", ""), &in) != 1)
        return -1;
    if (json_array_size(json_object_get(ctx->params, "Containers")))
        return api_fail(ctx, E_LH_DOCKER_UNAVAILABLE, "Containers are not supported here.");
    const struct lh_bundle *b = lh_bundle_find(in.bundle_id);
    if (!b)
        return api_fail(ctx, E_INTERNAL_ERROR, "The bundle of `%s` is unknown.", in.id);
    struct lh_blueprint bp;
    if (blueprint_for(ctx, api_str(ctx, "BlueprintId", in.blueprint_id), b, &bp) != 0)
        return -1;
    json_t *p = json_pack("{s:s,s:s}", "InstanceId", in.cvm_id, "ImageId", bp.image_id);
    if (api_has(ctx, "LoginConfiguration")) {
        json_t *login = login_settings(ctx, json_object_get(ctx->params, "LoginConfiguration"));
        if (!login) {
            json_decref(p);
            return -1;
        }
        if (json_object_get(login, "KeyIds"))
            json_object_set_new(p, "LoginSettings", login);
        else
            json_decref(login); /* cvm's ResetInstance keeps the password it had */
    }
    int rc = lh_call(ctx, "cvm", "ResetInstance", p, NULL);
    json_decref(p);
    if (rc && !strncmp(ctx->code, "UnsupportedOperation.", 21))
        snprintf(ctx->code, sizeof ctx->code, "%s", E_LH_INVALID_INSTANCE_STATE);
    if (rc)
        return -1;
    if (!strcmp(bp.type, LH_TYPE_APP) && lh_firewall_allow_app(ctx, &in, bp.app_port) != 0)
        return -1;
    if (lh_store_instance_reset(ctx->store, ctx->who.owner_uin, in.id, bp.id) != 0 ||
        lh_store_instance_op(ctx->store, ctx->who.owner_uin, in.id, "ResetInstance", ctx->request_id) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be updated.", in.id);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::lighthouse:%s:uin/%s:instance/%s", ctx->region,
             ctx->who.owner_uin, in.id);
    return 0;
}

static int modify_instances_attribute(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "InstanceName", NULL);
    if (!name)
        return api_fail(ctx, E_LH_MUST_SPECIFY_ATTRIBUTE, "Give an attribute to modify (InstanceName).");
    struct lh_instance *set;
    int n;
    if (load_named(ctx, json_object_get(ctx->params, "InstanceIds"), &set, &n) != 0)
        return -1;
    json_t *extra = json_pack("{s:s}", "InstanceName", name);
    int rc = operate(ctx, "ModifyInstancesAttribute", extra);
    json_decref(extra);
    for (int i = 0; rc == 0 && i < n; i++)
        if (lh_store_instance_rename(ctx->store, ctx->who.owner_uin, set[i].id, name) != 0)
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be renamed.", set[i].id);
    free(set);
    return rc;
}

static int renew_instances(struct api_ctx *ctx)
{
    struct lh_instance *set;
    int n;
    if (load_named(ctx, json_object_get(ctx->params, "InstanceIds"), &set, &n) != 0)
        return -1;
    json_t *prepay = json_object_get(ctx->params, "InstanceChargePrepaid");
    int months = (int)json_integer_value(json_object_get(prepay, "Period"));
    const char *flag = json_string_value(json_object_get(prepay, "RenewFlag"));
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        char code[96], msg[256];
        int64_t expire;
        if (billing_renew(ctx->store, ctx->who.owner_uin, ctx->who.user_uin, set[i].id, months, clock_now(), &expire,
                          code, sizeof code, msg, sizeof msg) != 0)
            rc = api_fail(ctx, !strcmp(code, "InvalidAccount.InsufficientBalance") ? E_LH_INSUFFICIENT_BALANCE : code,
                          "%s", msg);
        else if (flag && billing_set_renew_flag(ctx->store, ctx->who.owner_uin, set[i].id, flag) < 0)
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The renew flag of `%s` could not be set.", set[i].id);
    }
    free(set);
    return rc;
}

static int modify_renew_flag(struct api_ctx *ctx)
{
    struct lh_instance *set;
    int n;
    if (load_named(ctx, json_object_get(ctx->params, "InstanceIds"), &set, &n) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++)
        if (billing_set_renew_flag(ctx->store, ctx->who.owner_uin, set[i].id, api_str(ctx, "RenewFlag", "")) < 0)
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The renew flag of `%s` could not be set.", set[i].id);
    free(set);
    return rc;
}

/* What each instance refuses now, from cvm's own state table. */
static int describe_denied_actions(struct api_ctx *ctx)
{
    static const struct {
        enum op op;
        const char *action;
    } ops[] = {{OP_START, "StartInstances"},
               {OP_STOP, "StopInstances"},
               {OP_REBOOT, "RebootInstances"},
               {OP_RESET, "ResetInstance"},
               {OP_TERMINATE, "TerminateInstances"}};
    struct lh_instance *set;
    int n;
    if (load_named(ctx, json_object_get(ctx->params, "InstanceIds"), &set, &n) != 0)
        return -1;
    json_t *by_cvm, *by_eip;
    if (cvm_view(ctx, set, n, &by_cvm, &by_eip) != 0) {
        free(set);
        json_decref(by_cvm);
        json_decref(by_eip);
        return -1;
    }
    json_t *out = json_array();
    for (int i = 0; i < n; i++) {
        const char *state = json_string_value(json_object_get(json_object_get(by_cvm, set[i].cvm_id), "InstanceState"));
        json_t *denied = json_array();
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            const char *refused = state ? instance_op_refused(ops[k].op, state) : "UnsupportedOperation";
            if (refused)
                json_array_append_new(denied,
                                      json_pack("{s:s,s:s,s:s}", "Action", ops[k].action, "Code",
                                                E_LH_INVALID_INSTANCE_STATE, "Message", state ? state : "TERMINATED"));
        }
        json_array_append_new(out, json_pack("{s:s,s:o}", "InstanceId", set[i].id, "DeniedActions", denied));
    }
    free(set);
    json_decref(by_cvm);
    json_decref(by_eip);
    json_object_set_new(ctx->out, "InstanceDeniedActionSet", out);
    return 0;
}

/* ---- schemas and rows ---- */
static const char *const renew_flags[] = {"NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW",
                                          "DISABLE_NOTIFY_AND_AUTO_RENEW", "DISABLE_NOTIFY_AND_MANUAL_RENEW", NULL};
static const char *const stop_types[] = {"SOFT", "HARD", "SOFT_FIRST", NULL};
static const struct param p_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_ENUM("RenewFlag", 0, renew_flags),
                                         P_INT("TimeUnit", 0, 0, 0), P_END};
static const struct param p_login[] = {P_STR("AutoGeneratePassword", 0, 0, 8), P_STR("Password", 0, 0, 64),
                                       P_STRS("KeyIds", 0, 5, 32), P_END};
static const struct param p_kv[] = {P_STR("Key", 0, 0, 256), P_STR("Value", 0, 0, 4096), P_END};
static const struct param p_publish[] = {P_INT("HostPort", P_REQUIRED, 0, 65535),
                                         P_INT("ContainerPort", P_REQUIRED, 0, 65535), P_STR("Ip", 0, 0, 64),
                                         P_STR("Protocol", 0, 0, 8), P_END};
static const struct param p_volume[] = {P_STR("ContainerPath", P_REQUIRED, 1, 1024), P_STR("HostPath", 0, 0, 1024),
                                        P_END};
static const struct param p_container[] = {P_STR("ContainerImage", P_REQUIRED, 1, 1024),
                                           P_STR("ContainerName", 0, 0, 256),
                                           P_OBJS("Envs", 0, 100, p_kv),
                                           P_OBJS("PublishPorts", 0, 100, p_publish),
                                           P_OBJS("Volumes", 0, 100, p_volume),
                                           P_STR("Command", 0, 0, 4096),
                                           P_STR("RestartPolicy", 0, 0, 32),
                                           P_END};
static const struct param p_command[] = {P_STR("Content", P_REQUIRED, 1, 90000), P_INT("Timeout", 0, 1, 86400),
                                         P_STR("WorkingDirectory", 0, 0, 256), P_STR("Username", 0, 0, 64), P_END};
static const struct param p_tag[] = {P_STR("Key", P_REQUIRED, 1, 128), P_STR("Value", P_REQUIRED, 0, 256), P_END};
static const struct param p_create[] = {P_STR("BundleId", P_REQUIRED, 1, 64),
                                        P_STR("BlueprintId", P_REQUIRED, 1, 64),
                                        P_OBJ("InstanceChargePrepaid", P_REQUIRED, p_prepaid),
                                        P_STR("InstanceName", 0, 1, 60),
                                        P_INT("InstanceCount", 0, 1, 30),
                                        P_STRS("Zones", 0, 1, 64),
                                        P_BOOL("DryRun", 0),
                                        P_STR("ClientToken", 0, 1, 64),
                                        P_OBJ("LoginConfiguration", 0, p_login),
                                        P_OBJS("Containers", 0, 5, p_container),
                                        P_BOOL("AutoVoucher", 0),
                                        P_STR("FirewallTemplateId", 0, 1, 64),
                                        P_OBJS("Tags", 0, 10, p_tag),
                                        P_OBJ("InitCommand", 0, p_command),
                                        P_STR("DomainName", 0, 1, 256),
                                        P_STR("Subdomain", 0, 1, 256),
                                        P_END};
static const struct param p_describe[] = {P_STRS("InstanceIds", 0, 100, 64),
                                          P_FILTERS,
                                          P_INT("Offset", 0, 0, INT32_MAX),
                                          P_INT("Limit", 0, 1, 100),
                                          P_STR("OrderField", 0, 0, 32),
                                          P_STR("Order", 0, 0, 8),
                                          P_END};
static const struct param p_ids[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 64), P_END};
static const struct param p_stop[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 64), P_ENUM("StopType", 0, stop_types),
                                      P_END};
static const struct param p_reset[] = {P_STR("InstanceId", P_REQUIRED, 1, 64), P_STR("BlueprintId", 0, 1, 64),
                                       P_OBJS("Containers", 0, 5, p_container), P_OBJ("LoginConfiguration", 0, p_login),
                                       P_END};
static const struct param p_modify[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 64), P_STR("InstanceName", 0, 1, 60),
                                        P_END};
static const struct param p_renew_flag[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 64),
                                            P_ENUM("RenewFlag", P_REQUIRED, renew_flags), P_END};
static const struct param p_renew[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 64),
                                       P_OBJ("InstanceChargePrepaid", P_REQUIRED, p_prepaid),
                                       P_BOOL("RenewDataDisk", 0), P_BOOL("AutoVoucher", 0), P_END};

#define LH_IDS "instance/${InstanceIds}"
static const struct action instance_actions[] = {
    {"lighthouse", LIGHTHOUSE, "CreateInstances", create_instances, p_create, A_MUTATES | A_REGIONAL, "instance/*"},
    {"lighthouse", LIGHTHOUSE, "DescribeInstances", describe_instances, p_describe, A_REGIONAL,
     "instance/${InstanceIds|*}"},
    {"lighthouse", LIGHTHOUSE, "StartInstances", start_instances, p_ids, A_MUTATES | A_REGIONAL, LH_IDS},
    {"lighthouse", LIGHTHOUSE, "StopInstances", stop_instances, p_stop, A_MUTATES | A_REGIONAL, LH_IDS},
    {"lighthouse", LIGHTHOUSE, "RebootInstances", reboot_instances, p_stop, A_MUTATES | A_REGIONAL, LH_IDS},
    {"lighthouse", LIGHTHOUSE, "TerminateInstances", terminate_instances, p_ids, A_MUTATES | A_REGIONAL, LH_IDS},
    {"lighthouse", LIGHTHOUSE, "ResetInstance", reset_instance, p_reset, A_MUTATES | A_REGIONAL,
     "instance/${InstanceId}"},
    {"lighthouse", LIGHTHOUSE, "ModifyInstancesAttribute", modify_instances_attribute, p_modify, A_MUTATES | A_REGIONAL,
     LH_IDS},
    {"lighthouse", LIGHTHOUSE, "RenewInstances", renew_instances, p_renew, A_MUTATES | A_REGIONAL, LH_IDS},
    {"lighthouse", LIGHTHOUSE, "ModifyInstancesRenewFlag", modify_renew_flag, p_renew_flag, A_MUTATES | A_REGIONAL,
     LH_IDS},
    {"lighthouse", LIGHTHOUSE, "DescribeInstancesDeniedActions", describe_denied_actions, p_ids, A_REGIONAL, LH_IDS},
};

void lh_instance_register(void)
{
    api_register(instance_actions, sizeof instance_actions / sizeof instance_actions[0]);
}
