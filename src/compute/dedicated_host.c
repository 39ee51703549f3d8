/*
 * dedicated_host: cvm's dedicated hosts (CDH). AllocateHosts reserves a whole host the operator
 * made sellable (`yun admin hosts sellable HOST --dedicated`, pool dedicated with no owner) for
 * the caller: the host's row gets the owner and the CDH id, so the scheduler places there only
 * that account's CDHPAID instances naming it. The host is billed (product cdh, one v_cdh_host a
 * host of its HostType: prepaid per month, or metered per hour), its instances are not. DescribeHosts
 * shows the account's CDHs with their resources and instances. What billing may do to a CDH
 * (struct billing_product "cdh"): mark it expired or isolated (no new instances), restore it, and
 * reclaim it (its instances terminated, the host sellable again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "billing/billing.h"
#include "compute/codes.h"
#include "compute/compute.h"
#include "compute/states.h"
#include "meter/meter.h"

#define CDH_RUNNING  "RUNNING"
#define CDH_EXPIRED  "EXPIRED"
#define CDH_ISOLATED "ISOLATED"
#define CDH_RELEASED "RELEASED"

#define E_INVALID_HOST_ID_NOT_FOUND "InvalidHostId.NotFound"
#define E_INVALID_HOST_ID_STATUS    "InvalidHostId.StatusNotSupport"

int dedicated_host_check(struct api_ctx *ctx, json_t *host_ids, const char *zone)
{
    size_t i;
    json_t *v;
    json_array_foreach (host_ids, i, v) {
        struct store_stmt *q = store_query(ctx->store,
                                           "SELECT zone, state FROM cdh_hosts WHERE host_id = ? AND owner_uin = ?"
                                           " AND state != '" CDH_RELEASED "'",
                                           "ss", json_string_value(v), ctx->who.owner_uin);
        int rc = q ? store_step(q) : -1;
        char hz[64] = "", st[16] = "";
        if (rc == 1) {
            snprintf(hz, sizeof hz, "%s", store_text(q, 0));
            snprintf(st, sizeof st, "%s", store_text(q, 1));
        }
        store_done(q);
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated hosts are unavailable.");
        if (rc == 0)
            return api_fail(ctx, E_INVALID_HOST_ID_NOT_FOUND, "The dedicated host `%s` does not exist.",
                            json_string_value(v));
        if (strcmp(st, CDH_RUNNING))
            return api_fail(ctx, E_INVALID_HOST_ID_STATUS, "The dedicated host `%s` is %s.", json_string_value(v), st);
        if (strcmp(hz, zone))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The dedicated host `%s` is in zone %s, not %s.",
                            json_string_value(v), hz, zone);
    }
    return 0;
}

static int allocate_hosts(struct api_ctx *ctx)
{
    json_t *placement = json_object_get(ctx->params, "Placement");
    const char *zone = json_string_value(json_object_get(placement, "Zone"));
    int64_t project = json_integer_value(json_object_get(placement, "ProjectId"));
    const char *charge = api_str(ctx, "HostChargeType", "PREPAID");
    const char *type = api_str(ctx, "HostType", "HS1");
    int64_t count = api_int(ctx, "HostCount", 1);
    json_t *prepay = json_object_get(ctx->params, "HostChargePrepaid");
    int prepaid = !strcmp(charge, "PREPAID");
    const char *token = api_str(ctx, "ClientToken", NULL);
    if (token) {
        json_t *ids = client_token_ids(ctx->store, ctx->who.owner_uin, "AllocateHosts", token);
        if (ids) { /* a retry of a call that was made: the same hosts, nothing bought twice */
            json_object_set_new(ctx->out, "HostIdSet", ids);
            return 0;
        }
    }
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    int zone_ok = 0;
    for (int i = 0; r && i < r->nzones; i++)
        zone_ok |= strcmp(r->zones[i].zone, zone) == 0;
    if (!zone_ok)
        return api_fail(ctx, E_INVALID_ZONE_MISMATCH_REGION, "The zone `%s` is not in region %s.", zone, ctx->region);
    if (!prepaid) {
        int arrears = billing_in_arrears(ctx->store, ctx->who.owner_uin);
        if (arrears != 0)
            return api_fail(ctx, arrears < 0 ? E_INTERNAL_ERROR : E_INVALID_ACCOUNT_INSUFFICIENT_BALANCE,
                            "The account is in arrears: recharge it before buying.");
    }
    json_t *tags = json_array();
    size_t k;
    json_t *spec;
    json_array_foreach (json_object_get(ctx->params, "TagSpecification"), k, spec)
        if (!strcmp(json_string_value(json_object_get(spec, "ResourceType")), "host"))
            json_array_extend(tags, json_object_get(spec, "Tags"));
    char *tags_text = json_dumps(tags, JSON_COMPACT);
    json_decref(tags);
    json_t *ids = json_array();
    int rc = 0;
    for (int64_t n = 0; n < count && rc == 0; n++) {
        /* a whole sellable host of the zone that nobody holds and nothing runs on */
        struct store_stmt *q = store_query(ctx->store,
                                           "SELECT h.host_id FROM hosts h WHERE h.pool = '" HOST_POOL_DEDICATED_NAME
                                           "' AND h.pool_owner = '' AND h.zone = ? AND h.state = '" HOST_AVAILABLE
                                           "' AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.host_id = h.host_id"
                                           " AND " INSTANCE_HOLDS_RESOURCES("i.state") ") ORDER BY h.host_id LIMIT 1",
                                           "s", zone);
        int found = q ? store_step(q) : -1;
        char physical[40] = "";
        if (found == 1)
            snprintf(physical, sizeof physical, "%s", store_text(q, 0));
        store_done(q);
        if (found != 1) {
            rc = found < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The hosts are unavailable.")
                           : api_fail(ctx, E_RESOURCE_INSUFFICIENT,
                                      "No dedicated host is left to sell in %s (%lld asked for, %lld allocated).", zone,
                                      (long long)count, (long long)n);
            break;
        }
        char id[24], name[64];
        random_id("host-", id, sizeof id);
        snprintf(name, sizeof name, "%s", id);
        int64_t now = time_now();
        if (store_exec(
                ctx->store,
                "UPDATE hosts SET pool_owner = ?, pool_id = ?, updated = ? WHERE host_id = ? AND pool_owner = ''",
                "ssis", ctx->who.owner_uin, id, now, physical) != 1 ||
            store_exec(
                ctx->store,
                "INSERT INTO cdh_hosts (host_id, owner_uin, physical_host_id, zone, host_type, name, charge_type,"
                " state, project_id, tags, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, '" CDH_RUNNING
                "', ?, ?, ?, ?)",
                "sssssssisii", id, ctx->who.owner_uin, physical, zone, type, name, charge, project, tags_text, now,
                now) != 1) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The dedicated host could not be recorded: %s",
                          store_errmsg(ctx->store));
            break;
        }
        const struct billing_item items[] = {{"v_cdh_host", type, 1}};
        if (prepaid) {
            struct billing_order o = {ctx->who.owner_uin,
                                      ctx->who.user_uin,
                                      "cdh",
                                      ctx->region,
                                      zone,
                                      id,
                                      name,
                                      items,
                                      1,
                                      prepay ? (int)json_integer_value(json_object_get(prepay, "Period")) : 1,
                                      prepay ? json_string_value(json_object_get(prepay, "RenewFlag")) : NULL};
            char order[40], bcode[96], bmsg[256];
            int64_t expire;
            if (billing_prepay(ctx->store, &o, clock_now(), order, &expire, bcode, sizeof bcode, bmsg, sizeof bmsg) !=
                0) {
                rc = api_fail(ctx, bcode, "%s", bmsg);
                break;
            }
        } else {
            char region[64];
            zone_region(zone, region);
            struct meter_use u = {ctx->who.owner_uin, id, name,   "cdh", "v_cdh_host", type, region, zone,
                                  tags_text,          1,  project};
            if (meter_set(ctx->store, &u, clock_now()) != 0) {
                rc = api_fail(ctx, E_INTERNAL_ERROR, "The dedicated host could not be metered.");
                break;
            }
        }
        json_array_append_new(ids, json_string(id));
    }
    free(tags_text);
    if (rc == 0 && token &&
        client_token_record(ctx->store, ctx->who.owner_uin, "AllocateHosts", token, ids, time_now()) != 0)
        rc = api_fail(ctx, E_INTERNAL_ERROR, "The client token could not be recorded: %s", store_errmsg(ctx->store));
    if (rc != 0) {
        json_decref(ids);
        return -1;
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:host/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    json_object_set_new(ctx->out, "HostIdSet", ids);
    return 0;
}

/* The instances of owner on the physical host, as an array of ids. */
static json_t *host_instances(struct store *s, const char *physical, const char *owner)
{
    json_t *ids = json_array();
    struct store_stmt *q = store_query(s,
                                       "SELECT instance_id FROM instances WHERE host_id = ? AND owner_uin = ? AND "
                                       "" INSTANCE_HOLDS_RESOURCES("state") " ORDER BY created, instance_id",
                                       "ss", physical, owner);
    while (q && store_step(q) == 1)
        json_array_append_new(ids, json_string(store_text(q, 0)));
    store_done(q);
    return ids;
}

static int describe_hosts(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"zone", "project-id", "host-id", "host-name", "host-state", NULL};
    if (filters_validate(ctx, allowed))
        return -1;
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    struct store_stmt *q = store_query(
        ctx->store,
        "SELECT c.host_id, c.zone, c.project_id, c.host_type, c.name, c.charge_type, c.state, c.created, c.tags,"
        " c.physical_host_id, h.vcpus, h.memory_mib,"
        " (SELECT coalesce(sum(cpu), 0) FROM instances i WHERE i.host_id = h.host_id AND " INSTANCE_HOLDS_RESOURCES(
            "i.state") "),"
                       " (SELECT coalesce(sum(memory_gib), 0) FROM instances i WHERE i.host_id = h.host_id AND "
                       "" INSTANCE_HOLDS_RESOURCES("i.state") ")"
                                                              " FROM cdh_hosts c JOIN hosts h ON h.host_id ="
                                                              " c.physical_host_id WHERE c.owner_uin = ? AND c.state"
                                                              " != '" CDH_RELEASED "' ORDER BY c.created, c.host_id",
        "s", ctx->who.owner_uin);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated hosts are unavailable: %s", store_errmsg(ctx->store));
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        char project[24];
        snprintf(project, sizeof project, "%lld", (long long)store_int(q, 2));
        if (!filter_match(ctx, "zone", store_text(q, 1)) || !filter_match(ctx, "project-id", project) ||
            !filter_match(ctx, "host-id", store_text(q, 0)) || !filter_match(ctx, "host-name", store_text(q, 4)) ||
            !filter_match(ctx, "host-state", store_text(q, 6)))
            continue;
        if (!page_take(&pg))
            continue;
        char created[32], expired[32] = "";
        time_iso8601(store_int(q, 7), created);
        int64_t expire = 0;
        char flag[40] = "NOTIFY_AND_MANUAL_RENEW";
        if (billing_prepaid_info(ctx->store, store_text(q, 0), &expire, flag) == STORE_FOUND)
            time_iso8601(expire, expired);
        int64_t cpu = store_int(q, 10), cpu_used = store_int(q, 12);
        double mem = (double)store_int(q, 11) / 1024.0, mem_used = (double)store_int(q, 13);
        json_t *tags = json_loads(store_text(q, 8), 0, NULL);
        json_t *item = json_pack(
            "{s:{s:s,s:I},s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:{s:I,s:I,s:f,s:f,s:I,s:I,s:s,s:I,s:I,s:s},s:s,s:o}",
            "Placement", "Zone", store_text(q, 1), "ProjectId", (json_int_t)store_int(q, 2), "HostId", store_text(q, 0),
            "HostType", store_text(q, 3), "HostName", store_text(q, 4), "HostChargeType", store_text(q, 5), "RenewFlag",
            flag, "CreatedTime", created, "InstanceIds",
            host_instances(ctx->store, store_text(q, 9), ctx->who.owner_uin), "HostState", store_text(q, 6), "HostIp",
            "", "HostResource", "CpuTotal", (json_int_t)cpu, "CpuAvailable",
            (json_int_t)(cpu > cpu_used ? cpu - cpu_used : 0), "MemTotal", mem, "MemAvailable",
            mem > mem_used ? mem - mem_used : 0.0, "DiskTotal", (json_int_t)0, "DiskAvailable", (json_int_t)0,
            "DiskType", "CLOUD_PREMIUM", "GpuTotal", (json_int_t)0, "GpuAvailable", (json_int_t)0, "ExclusiveOwner",
            ctx->who.owner_uin, "CageId", "", "Tags", tags ? tags : json_array());
        if (expired[0])
            json_object_set_new(item, "ExpiredTime", json_string(expired));
        else
            json_object_set_new(item, "ExpiredTime", json_null());
        json_array_append_new(pg.set, item);
    }
    store_done(q);
    page_finish(ctx, &pg, "HostSet");
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The dedicated hosts are unavailable.") : 0;
}

static const char *const host_charge_types[] = {"PREPAID", "POSTPAID_BY_HOUR", NULL};
static const struct param p_charge_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 36),
                                                P_ENUM("RenewFlag", 0, launch_renew_flags), P_END};
static const struct param p_allocate[] = {P_OBJ("Placement", P_REQUIRED, launch_placement),
                                          P_STR("ClientToken", 0, 1, 64),
                                          P_OBJ("HostChargePrepaid", 0, p_charge_prepaid),
                                          P_ENUM("HostChargeType", 0, host_charge_types),
                                          P_STR("HostType", 0, 1, 32),
                                          P_INT("HostCount", 0, 1, 100),
                                          P_TAG_SPEC,
                                          P_END};
static const struct param p_describe[] = {P_FILTERS, P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100),
                                          P_END};

static const struct action dedicated_host_actions[] = {
    {"cvm", CVM, "AllocateHosts", allocate_hosts, p_allocate, A_MUTATES | A_REGIONAL, "host/*"},
    {"cvm", CVM, "DescribeHosts", describe_hosts, p_describe, A_REGIONAL, "host/*"},
};

/* ---- what billing may do to a CDH ---- */

static int set_state(struct store *s, const char *where, const char *arg, const char *state)
{
    char sql[300];
    snprintf(sql, sizeof sql, "UPDATE cdh_hosts SET state = ?, updated = ? WHERE %s AND state != '" CDH_RELEASED "'",
             where);
    return store_exec(s, sql, "sis", state, time_now(), arg) < 0 ? -1 : 0;
}

/* The CDH goes: its instances are terminated and the physical host is sellable again. */
static int reclaim_where(struct store *s, const char *where, const char *arg, const char *reason, int64_t t)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT host_id, physical_host_id FROM cdh_hosts WHERE %s AND state != '" CDH_RELEASED "'", where);
    struct store_stmt *q = store_query(s, sql, "s", arg);
    if (!q)
        return -1;
    char ids[64][24], physical[64][40];
    int n = 0, rc;
    while ((rc = store_step(q)) == 1 && n < 64) {
        snprintf(ids[n], 24, "%s", store_text(q, 0));
        snprintf(physical[n++], 40, "%s", store_text(q, 1));
    }
    store_done(q);
    if (rc < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (compute_release_on_host(s, physical[i], reason) != 0 ||
            store_exec(s,
                       "UPDATE hosts SET pool_owner = '', pool_id = '', updated = ? WHERE host_id = ? AND pool_id = ?",
                       "iss", time_now(), physical[i], ids[i]) < 0 ||
            set_state(s, "host_id = ?", ids[i], CDH_RELEASED) != 0 || meter_stop(s, ids[i], NULL, t) != 0)
            return -1;
    return 0;
}

#define POSTPAID_CDH "owner_uin = ? AND charge_type = 'POSTPAID_BY_HOUR'"

static int cdh_isolate(struct store *s, const char *owner, int64_t t)
{
    (void)t;
    return set_state(s, POSTPAID_CDH " AND state = '" CDH_RUNNING "'", owner, CDH_ISOLATED);
}
static int cdh_restore(struct store *s, const char *owner, int64_t t)
{
    (void)t;
    return set_state(s, POSTPAID_CDH " AND state = '" CDH_ISOLATED "'", owner, CDH_RUNNING);
}
static int cdh_release(struct store *s, const char *owner, int64_t t)
{
    return reclaim_where(s, POSTPAID_CDH " AND state = '" CDH_ISOLATED "'", owner,
                         "arrears: the dedicated host was released", t);
}
static int cdh_expire(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return set_state(s, "host_id = ?", id, CDH_EXPIRED);
}
static int cdh_renewed(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return set_state(s, "host_id = ?", id, CDH_RUNNING);
}
static int cdh_reclaim(struct store *s, const char *id, int64_t t)
{
    return reclaim_where(s, "host_id = ?", id, "the dedicated host's prepaid period ended and was not renewed", t);
}

static const struct billing_product cdh_product = {"cdh",      cdh_isolate, cdh_restore, cdh_release,
                                                   cdh_expire, cdh_renewed, cdh_reclaim, compute_kick};

void dedicated_host_register(void)
{
    api_register(dedicated_host_actions, sizeof dedicated_host_actions / sizeof dedicated_host_actions[0]);
    billing_register_product(&cdh_product);
}
