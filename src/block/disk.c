/*
 * disk: the cloud disk actions (CreateDisks, DescribeDisks, AttachDisks, DetachDisks,
 * TerminateDisks, ResizeDisk). Each checks and records in the request's transaction; the worker
 * (worker.c) does hot plugs, copies and resizes on the built-in host, a joined host those of the
 * disks it holds (host_disks.c). System disks belong to compute: DescribeDisks
 * lists them through compute's read-only instance view, and the disk actions refuse them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "billing/billing.h"
#include "block/block_int.h"
#include "block/codes.h"
#include "block/states.h"
#include "compute/compute.h"
#include "compute/instance_view.h"
#include "compute/states.h"
#include "dedicated/dedicated.h"
#include "partner/partner.h"

/* ---- reading disks ---- */

#define DISK_COLUMNS                                                                                                   \
    "disk_id, owner_uin, zone, name, disk_type, charge_type, state, instance_id, last_instance_id, source_snapshot,"   \
    " error, tags, size_gib, pending_size, project_id, created, attached_at, delete_with_instance, restrict_state,"    \
    " dedicated_cluster_id, host_id"

static void disk_fill(struct store_stmt *q, struct disk_row *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->disk_id, sizeof d->disk_id, "%s", store_text(q, 0));
    snprintf(d->owner_uin, sizeof d->owner_uin, "%s", store_text(q, 1));
    snprintf(d->zone, sizeof d->zone, "%s", store_text(q, 2));
    snprintf(d->name, sizeof d->name, "%s", store_text(q, 3));
    snprintf(d->disk_type, sizeof d->disk_type, "%s", store_text(q, 4));
    snprintf(d->charge_type, sizeof d->charge_type, "%s", store_text(q, 5));
    snprintf(d->state, sizeof d->state, "%s", store_text(q, 6));
    snprintf(d->instance_id, sizeof d->instance_id, "%s", store_text(q, 7));
    snprintf(d->last_instance_id, sizeof d->last_instance_id, "%s", store_text(q, 8));
    snprintf(d->source_snapshot, sizeof d->source_snapshot, "%s", store_text(q, 9));
    snprintf(d->error, sizeof d->error, "%s", store_text(q, 10));
    snprintf(d->tags, sizeof d->tags, "%s", store_text(q, 11));
    d->size_gib = store_int(q, 12);
    d->pending_size = store_int(q, 13);
    d->project_id = store_int(q, 14);
    d->created = store_int(q, 15);
    d->attached_at = store_int(q, 16);
    d->delete_with_instance = (int)store_int(q, 17);
    snprintf(d->restrict_state, sizeof d->restrict_state, "%s", store_text(q, 18));
    snprintf(d->cluster_id, sizeof d->cluster_id, "%s", store_text(q, 19));
    snprintf(d->host_id, sizeof d->host_id, "%s", store_text(q, 20));
}

int disk_load(struct store *s, const char *owner_uin, const char *disk_id, struct disk_row *out)
{
    struct store_stmt *q = store_query(
        s,
        "SELECT " DISK_COLUMNS " FROM cbs_disks WHERE disk_id = ? AND (CAST(? AS TEXT) IS NULL OR owner_uin = ?)"
        " AND state != '" DISK_TERMINATING "'",
        "sss", disk_id, owner_uin, owner_uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        disk_fill(q, out);
    store_done(q);
    return rc == 1 ? STORE_FOUND : rc == 0 ? STORE_NOT_FOUND : STORE_ERROR;
}

static void cbs_time(int64_t t, char out[32]) { time_cam(t, out); } /* CBS answers "2006-01-02 15:04:05" */

static json_t *placement_json(const char *zone, int64_t project_id)
{
    return json_pack("{s:s,s:I,s:s,s:s,s:s,s:s}", "Zone", zone, "ProjectId", (json_int_t)project_id, "CageId", "",
                     "CdcId", "", "CdcName", "", "DedicatedClusterId", "");
}

/* One Disk object of the SDK model (every field, in the model's order). */
static json_t *disk_json(const char *disk_id, const char *name, const char *disk_type, const char *state,
                         const char *instance_id, const char *last_instance_id, const char *zone, int64_t project_id,
                         int64_t size_gib, const char *usage, const char *charge_type, int delete_with_instance,
                         int64_t created, const char *tags, const char *error, int64_t snapshot_count,
                         int64_t snapshot_mib, int with_policies)
{
    char ct[32];
    cbs_time(created, ct);
    int portable = !strcmp(usage, "DATA_DISK");
    json_t *tj = json_loads(tags && tags[0] ? tags : "[]", 0, NULL);
    json_t *j = json_object();
    json_object_set_new(j, "DeleteWithInstance", json_boolean(delete_with_instance));
    json_object_set_new(j, "RenewFlag", json_string("NOTIFY_AND_MANUAL_RENEW"));
    json_object_set_new(j, "DiskType", json_string(disk_type));
    json_object_set_new(j, "DiskState", json_string(state));
    json_object_set_new(j, "SnapshotCount", json_integer(snapshot_count));
    json_object_set_new(j, "AutoRenewFlagError", json_false());
    json_object_set_new(j, "Rollbacking", json_false());
    json_object_set_new(j, "InstanceIdList", json_array());
    json_object_set_new(j, "Encrypt", json_false());
    json_object_set_new(j, "DiskName", json_string(name));
    json_object_set_new(j, "BackupDisk", json_false());
    json_object_set_new(j, "Tags", tj ? tj : json_array());
    json_object_set_new(j, "InstanceId", json_string(instance_id));
    json_object_set_new(j, "AttachMode", json_string(""));
    if (with_policies)
        json_object_set_new(j, "AutoSnapshotPolicyIds", json_array());
    json_object_set_new(j, "ThroughputPerformance", json_integer(0));
    json_object_set_new(j, "Migrating", json_false());
    json_object_set_new(j, "DiskId", json_string(disk_id));
    json_object_set_new(j, "SnapshotSize", json_integer(snapshot_mib));
    json_object_set_new(j, "Placement", placement_json(zone, project_id));
    json_object_set_new(j, "IsReturnable", json_false());
    json_object_set_new(j, "DeadlineTime", json_string(""));
    json_object_set_new(j, "Attached", json_boolean(instance_id[0] != 0));
    json_object_set_new(j, "DiskSize", json_integer(size_gib));
    json_object_set_new(j, "MigratePercent", json_integer(0));
    json_object_set_new(j, "DiskUsage", json_string(usage));
    json_object_set_new(j, "DiskChargeType", json_string(charge_type));
    json_object_set_new(j, "Portable", json_boolean(portable));
    json_object_set_new(j, "SnapshotAbility", json_true());
    json_object_set_new(j, "DeadlineError", json_false());
    json_object_set_new(j, "RollbackPercent", json_integer(0));
    json_object_set_new(j, "DifferDaysOfDeadline", json_null());
    json_object_set_new(j, "ReturnFailCode", json_integer(10));
    json_object_set_new(j, "Shareable", json_false());
    json_object_set_new(j, "CreateTime", json_string(ct));
    json_object_set_new(j, "DeleteSnapshot", json_integer(0));
    json_object_set_new(j, "DiskBackupQuota", json_integer(0));
    json_object_set_new(j, "DiskBackupCount", json_integer(0));
    json_object_set_new(j, "InstanceType", json_string("CVM"));
    json_object_set_new(j, "LastAttachInsId", json_string(last_instance_id));
    json_object_set_new(j, "ErrorPrompt", json_string(error ? error : ""));
    json_object_set_new(j, "BurstPerformance", json_false());
    json_object_set_new(j, "EncryptType", json_string(""));
    json_object_set_new(j, "KmsKeyId", json_string(""));
    return j;
}

/* ---- DescribeDisks ---- */

struct listing {
    struct api_ctx *ctx;
    json_t *ids;
    json_t *all; /* [ [created, disk json], ... ] before ordering and paging */
    int with_policies;
};

static int matches(struct listing *l, const char *disk_id, const char *name, const char *type, const char *state,
                   const char *instance_id, const char *zone, const char *usage, const char *charge, int64_t project,
                   const char *tags)
{
    struct api_ctx *ctx = l->ctx;
    char proj[24];
    snprintf(proj, sizeof proj, "%lld", (long long)project);
    return (!l->ids || values_contain(l->ids, disk_id)) && api_zone_in_region(ctx, zone) &&
           filter_match(ctx, "disk-id", disk_id) && filter_match(ctx, "disk-name", name) &&
           filter_match(ctx, "disk-type", type) && filter_match(ctx, "disk-state", state) &&
           filter_match(ctx, "instance-id", instance_id) && filter_match(ctx, "zone", zone) &&
           filter_match(ctx, "disk-usage", usage) && filter_match(ctx, "disk-charge-type", charge) &&
           filter_match(ctx, "project-id", proj) &&
           filter_match(ctx, "portable", !strcmp(usage, "DATA_DISK") ? "TRUE" : "FALSE") &&
           filter_tags_match(ctx, tags);
}

/* DeadlineTime, RenewFlag and the days left of a prepaid disk; a system disk has its instance's. */
static void prepaid_view(struct api_ctx *ctx, json_t *j)
{
    if (strcmp(json_string_value(json_object_get(j, "DiskChargeType")), "PREPAID"))
        return;
    const char *usage = json_string_value(json_object_get(j, "DiskUsage"));
    const char *id = json_string_value(json_object_get(j, !strcmp(usage, "SYSTEM_DISK") ? "InstanceId" : "DiskId"));
    int64_t expire;
    char flag[40], t[32];
    if (billing_prepaid_info(ctx->store, id, &expire, flag) != STORE_FOUND)
        return;
    cbs_time(expire, t);
    int64_t left = expire - clock_now();
    json_object_set_new(j, "DeadlineTime", json_string(t));
    json_object_set_new(j, "RenewFlag", json_string(flag));
    json_object_set_new(j, "DeadlineError", json_boolean(left <= 0));
    json_object_set_new(j, "DifferDaysOfDeadline", json_integer(left > 0 ? (left + 86399) / 86400 : 0));
    json_object_set_new(j, "IsReturnable", json_boolean(left > 0));
}

static int add_system_disk(const struct instance_info *in, void *arg)
{
    struct listing *l = arg;
    if (!in->system_disk_id[0] || in->sold_by[0]) /* a lighthouse instance's disk is lighthouse's */
        return 0;
    const char *charge = !strcmp(in->charge_type, "PREPAID") ? "PREPAID" : "POSTPAID_BY_HOUR";
    if (!matches(l, in->system_disk_id, in->name, in->system_disk_type, DISK_ATTACHED, in->instance_id, in->zone,
                 "SYSTEM_DISK", charge, in->project_id, "[]"))
        return 0;
    json_t *d = disk_json(in->system_disk_id, in->name, in->system_disk_type, DISK_ATTACHED, in->instance_id,
                          in->instance_id, in->zone, in->project_id, in->system_disk_size, "SYSTEM_DISK", charge, 1,
                          in->created, "[]", "", 0, 0, l->with_policies);
    json_array_append_new(l->all, json_pack("[I,o]", (json_int_t)in->created, d));
    return 0;
}

static int cmp_created(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_array_get(*(json_t *const *)a, 0));
    json_int_t y = json_integer_value(json_array_get(*(json_t *const *)b, 0));
    return x < y ? -1 : x > y;
}

static int describe_disks(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"disk-usage", "disk-charge-type", "portable",   "project-id",  "disk-id",
                                          "disk-name",  "disk-type",        "disk-state", "instance-id", "zone",
                                          "tag-key",    "tag-value",        "tag:",       NULL};
    if (filters_exclusive(ctx, "DiskIds"))
        return -1;
    if (filters_validate(ctx, allowed))
        return -1;
    struct listing l = {.ctx = ctx,
                        .ids = json_object_get(ctx->params, "DiskIds"),
                        .all = json_array(),
                        .with_policies = json_is_true(json_object_get(ctx->params, "ReturnBindAutoSnapshotPolicy"))};
    struct store_stmt *q = store_query(
        ctx->store,
        "SELECT " DISK_COLUMNS ","
        " (SELECT count(*) FROM cbs_snapshots s WHERE s.disk_id = d.disk_id AND s.state != '" SNAPSHOT_DELETING "'),"
        " (SELECT coalesce(sum(file_bytes), 0) FROM cbs_snapshots s WHERE s.disk_id = d.disk_id"
        "  AND s.state != '" SNAPSHOT_DELETING "')"
        " FROM cbs_disks d WHERE owner_uin = ? AND state != '" DISK_TERMINATING "' ORDER BY created, rowid",
        "s", ctx->who.owner_uin);
    if (!q) {
        json_decref(l.all);
        return api_fail(ctx, E_INTERNAL_ERROR, "The disks are unavailable.");
    }
    int rc;
    while ((rc = store_step(q)) == 1) {
        struct disk_row d;
        disk_fill(q, &d);
        if (!matches(&l, d.disk_id, d.name, d.disk_type, d.state, d.instance_id, d.zone, "DATA_DISK", d.charge_type,
                     d.project_id, d.tags))
            continue;
        json_t *j =
            disk_json(d.disk_id, d.name, d.disk_type, d.state, d.instance_id, d.last_instance_id, d.zone, d.project_id,
                      d.size_gib, "DATA_DISK", d.charge_type, d.delete_with_instance, d.created, d.tags, d.error,
                      store_int(q, 21), (store_int(q, 22) + 1024 * 1024 - 1) / (1024 * 1024), l.with_policies);
        if (d.cluster_id[0])
            json_object_set_new(json_object_get(j, "Placement"), "DedicatedClusterId", json_string(d.cluster_id));
        json_array_append_new(l.all, json_pack("[I,o]", (json_int_t)d.created, j));
    }
    store_done(q);
    if (rc < 0 || compute_each_instance(ctx->store, ctx->who.owner_uin, add_system_disk, &l) < 0) {
        json_decref(l.all);
        return api_fail(ctx, E_INTERNAL_ERROR, "The disks are unavailable.");
    }
    /* prepaid disks (and the system disks of prepaid instances) show their period's end */
    size_t n = json_array_size(l.all);
    for (size_t i = 0; i < n; i++)
        prepaid_view(ctx, json_array_get(json_array_get(l.all, i), 1));
    /* order by creation time (the only order fields are CREATE_TIME and DEADLINE) */
    json_t **items = calloc(n ? n : 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(l.all, i);
    qsort(items, n, sizeof *items, cmp_created);
    int desc = !strcmp(api_str(ctx, "Order", "ASC"), "DESC");
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    json_t *set = json_array();
    for (int64_t k = offset; k < (int64_t)n && (int64_t)json_array_size(set) < limit; k++)
        json_array_append(set, json_array_get(items[desc ? (int64_t)n - 1 - k : k], 1));
    free(items);
    json_decref(l.all);
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)n));
    json_object_set_new(ctx->out, "DiskSet", set);
    return 0;
}

/* ---- CreateDisks ---- */

static int zone_valid(struct api_ctx *ctx, const char *zone)
{
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    for (int i = 0; r && i < r->nzones; i++)
        if (!strcmp(r->zones[i].zone, zone))
            return 1;
    return 0;
}

/* The account's GiB quota: its tier's (partner_tiers) when one was set, else the platform's. */
int64_t disk_gib_quota(struct api_ctx *ctx)
{
    int64_t instances, gib;
    int rc = partner_account_quota(ctx->store, ctx->who.owner_uin, &instances, &gib);
    return rc < 0 ? -1 : rc == 1 ? gib : BLOCK_GIB_QUOTA;
}

int disk_usage_of(struct api_ctx *ctx, int64_t *disks, int64_t *gib)
{
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT count(*), coalesce(sum(CASE WHEN size_gib > pending_size THEN size_gib "
                                       "ELSE pending_size END), 0) FROM cbs_disks"
                                       " WHERE owner_uin = ? AND state != '" DISK_TERMINATING "'",
                                       "s", ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        *disks = store_int(q, 0);
        *gib = store_int(q, 1);
    }
    store_done(q);
    return rc == 1 ? 0 : -1;
}

static int create_disks(struct api_ctx *ctx)
{
    const char *token = api_str(ctx, "ClientToken", NULL);
    if (token) {
        struct store_stmt *q =
            store_query(ctx->store, "SELECT disk_ids FROM cbs_client_tokens WHERE owner_uin = ? AND token = ?", "ss",
                        ctx->who.owner_uin, token);
        int rc = q ? store_step(q) : -1;
        json_t *ids = rc == 1 ? json_loads(store_text(q, 0), 0, NULL) : NULL;
        store_done(q);
        if (ids) {
            json_object_set_new(ctx->out, "DiskIdSet", ids);
            return 0;
        }
    }
    json_t *placement = json_object_get(ctx->params, "Placement");
    const char *zone = json_string_value(json_object_get(placement, "Zone"));
    int64_t project = json_integer_value(json_object_get(placement, "ProjectId"));
    if (!zone_valid(ctx, zone))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The zone `%s` is not in region %s.", zone, ctx->region);
    int hosted = compute_region_has_host(ctx->store, ctx->config, ctx->region);
    if (hosted < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The hosts could not be read.");
    if (!hosted) /* a disk is storage on a host: a region without hosts has none to give */
        return api_fail(ctx, E_RESOURCE_INSUFFICIENT, "Region %s has no host to store disks on.", ctx->region);
    const char *charge = api_str(ctx, "DiskChargeType", "");
    if (!strcmp(charge, "PREPAID") && !api_has(ctx, "DiskChargePrepaid"))
        return api_fail(ctx, E_MISSING_PARAMETER, "DiskChargePrepaid is required for PREPAID disks.");
    /* a disk in a dedicated cluster lives on the cluster's hosts: the owner's cluster, in its zone, with hosts */
    const char *cluster = json_string_value(json_object_get(placement, "DedicatedClusterId"));
    if (!cluster || !*cluster)
        cluster = json_string_value(json_object_get(placement, "CdcId"));
    if (cluster && !*cluster)
        cluster = NULL;
    if (!strcmp(charge, "CDCPAID") && !cluster)
        return api_fail(ctx, E_MISSING_PARAMETER, "DiskChargeType CDCPAID needs Placement.DedicatedClusterId.");
    if (cluster) {
        char czone[64];
        int found = dedicated_cluster_zone(ctx->store, ctx->who.owner_uin, cluster, czone);
        if (found < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster could not be read.");
        if (found == 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The dedicated cluster `%s` does not exist.", cluster);
        if (strcmp(czone, zone))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The dedicated cluster `%s` is in zone %s, not %s.",
                            cluster, czone, zone);
        json_t *hosts = host_pool_hosts(ctx->store, HOST_POOL_CLUSTER, cluster);
        size_t nh = hosts ? json_array_size(hosts) : 0;
        json_decref(hosts);
        if (nh == 0)
            return api_fail(ctx, E_RESOURCE_INSUFFICIENT, "The dedicated cluster `%s` has no host to store disks on.",
                            cluster);
    }
    int arrears = strcmp(charge, "PREPAID") ? billing_in_arrears(ctx->store, ctx->who.owner_uin) : 0;
    if (arrears)
        return api_fail(ctx, arrears < 0 ? E_INTERNAL_ERROR : E_INVALID_ACCOUNT_INSUFFICIENT_BALANCE,
                        "The account is in arrears: recharge it before buying.");
    const char *type = api_str(ctx, "DiskType", "");
    int64_t min, max;
    if (!block_size_range(type, &min, &max))
        return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED, "Disks of type %s cannot be created alone.",
                        type);
    if (api_has(ctx, "Encrypt") || api_has(ctx, "KmsKeyId"))
        return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED, "Encrypted disks are not supported.");
    if (json_is_true(json_object_get(ctx->params, "Shareable")))
        return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED, "Shareable disks are not supported.");
    const char *snap = api_str(ctx, "SnapshotId", NULL);
    int64_t size = api_int(ctx, "DiskSize", 0);
    char snap_host[40] = "";
    if (snap) {
        struct store_stmt *q =
            store_query(ctx->store,
                        "SELECT state, disk_size, zone, host_id FROM cbs_snapshots WHERE snapshot_id = ?"
                        " AND owner_uin = ? AND state != '" SNAPSHOT_DELETING "'",
                        "ss", snap, ctx->who.owner_uin);
        int rc = q ? store_step(q) : -1;
        char sstate[24] = "", szone[64] = "";
        int64_t ssize = 0;
        if (rc == 1) {
            snprintf(sstate, sizeof sstate, "%s", store_text(q, 0));
            ssize = store_int(q, 1);
            snprintf(szone, sizeof szone, "%s", store_text(q, 2));
            snprintf(snap_host, sizeof snap_host, "%s", store_text(q, 3)); /* the copy is made where it is */
        }
        store_done(q);
        if (rc != 1)
            return api_fail(ctx, E_INVALID_SNAPSHOT_ID_NOT_FOUND, "The snapshot `%s` does not exist.", snap);
        if (strcmp(sstate, SNAPSHOT_NORMAL) != 0)
            return api_fail(ctx, E_RESOURCE_UNAVAILABLE_SNAPSHOT_CREATING, "The snapshot `%s` is still being created.",
                            snap);
        if (!size)
            size = ssize;
        if (size < ssize)
            return api_fail(ctx, E_INVALID_PARAMETER_DISK_SIZE_NOT_MATCH,
                            "DiskSize must be at least the snapshot's %lld GiB.", (long long)ssize);
        (void)szone; /* one host: a snapshot serves every zone of the region */
    } else if (!api_has(ctx, "DiskSize")) {
        return api_fail(ctx, E_MISSING_PARAMETER, "DiskSize is required unless SnapshotId is given.");
    }
    if (size < min || size > max)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "DiskSize of a %s disk must be %lld-%lld GiB.", type,
                        (long long)min, (long long)max);
    int64_t count = api_int(ctx, "DiskCount", 1), have_disks, have_gib, max_gib = disk_gib_quota(ctx);
    if (max_gib < 0 || disk_usage_of(ctx, &have_disks, &have_gib) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The disk quota could not be checked.");
    const char *quota = block_quota_refused_within(have_disks, have_gib, count, count * size, max_gib);
    if (quota)
        return api_fail(ctx, quota,
                        "The account may have %d disks of %lld GiB in all; it has %lld disks of %lld GiB and asked for "
                        "%lld x %lld GiB.",
                        BLOCK_DISK_QUOTA, (long long)max_gib, (long long)have_disks, (long long)have_gib,
                        (long long)count, (long long)size);
    /* a disk lives on one host (no shared storage): a snapshot's copy where the snapshot is, a new one on a host of
     * its zone and pool (it holds no data until its first attach, which may move it: host_disks.c) */
    char host[40];
    snprintf(host, sizeof host, "%s", snap_host);
    int placed = snap ? 1 : host_pool_disk_host(ctx->store, zone, ctx->who.owner_uin, cluster, host);
    if (placed < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The hosts could not be read.");
    if (!placed)
        return api_fail(ctx, E_RESOURCE_INSUFFICIENT, "No host of %s in zone %s is available to store disks.",
                        cluster ? cluster : "the shared pool", zone);
    const char *name = api_str(ctx, "DiskName", "未命名");
    json_t *tags = json_object_get(ctx->params, "Tags");
    char *tags_text = tags ? json_dumps(tags, JSON_COMPACT) : strdup("[]");
    json_t *ids = json_array();
    int64_t now = time_now();
    int rc = 0;
    for (int64_t i = 0; i < count && rc == 0; i++) {
        char id[24];
        random_id("disk-", id, sizeof id);
        if (store_exec(ctx->store,
                       "INSERT INTO cbs_disks (disk_id, owner_uin, zone, name, disk_type, charge_type, state, size_gib,"
                       " project_id, source_snapshot, tags, created, updated, dedicated_cluster_id, host_id)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "sssssssiissiiss", id, ctx->who.owner_uin, zone, name, type, charge,
                       snap ? "DUMPING" : DISK_UNATTACHED, size, project, snap ? snap : "", tags_text, now, now,
                       cluster ? cluster : "", host) != 1) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The disk could not be recorded: %s", store_errmsg(ctx->store));
            break;
        }
        if (block_meter_disk(ctx->store, id) != 0) {
            rc = api_fail(ctx, E_INTERNAL_ERROR, "The disk's usage could not be recorded.");
            break;
        }
        if (!strcmp(charge, "PREPAID")) { /* paid now, from the balance, or nothing is created */
            json_t *pp = json_object_get(ctx->params, "DiskChargePrepaid");
            const struct billing_item item = {"v_cbs_disk", type, size};
            struct billing_order o = {ctx->who.owner_uin,
                                      ctx->who.user_uin,
                                      "cbs",
                                      ctx->region,
                                      zone,
                                      id,
                                      name,
                                      &item,
                                      1,
                                      (int)json_integer_value(json_object_get(pp, "Period")),
                                      json_string_value(json_object_get(pp, "RenewFlag"))};
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
    free(tags_text);
    if (rc) {
        json_decref(ids);
        return -1;
    }
    if (token) {
        char *text = json_dumps(ids, JSON_COMPACT);
        store_exec(ctx->store,
                   "INSERT INTO cbs_client_tokens (owner_uin, token, disk_ids, created) VALUES (?, ?, ?, ?)", "sssi",
                   ctx->who.owner_uin, token, text, now);
        free(text);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cbs:%s:uin/%s:volume/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    json_object_set_new(ctx->out, "DiskIdSet", ids);
    block_kick();
    return 0;
}

/* ---- checks shared by the changing actions ---- */

static int snapshot_creating(struct api_ctx *ctx, const char *disk_id)
{
    struct store_stmt *q = store_query(
        ctx->store, "SELECT 1 FROM cbs_snapshots WHERE disk_id = ? AND state = '" SNAPSHOT_CREATING "'", "s", disk_id);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc;
}

/* Loads a data disk of the caller, refusing system disks and unknown ids; then applies the rule for op. */
static int load_for(struct api_ctx *ctx, const char *disk_id, enum block_op op, const char *instance_id,
                    struct disk_row *d)
{
    int rc = disk_load(ctx->store, ctx->who.owner_uin, disk_id, d);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The disk `%s` could not be read.", disk_id);
    if (rc == STORE_NOT_FOUND) {
        struct instance_info in;
        int sys = compute_system_disk_owner(ctx->store, ctx->who.owner_uin, disk_id, &in);
        if (sys < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The disk `%s` could not be read.", disk_id);
        if (sys == STORE_FOUND && !in.sold_by[0])
            return api_fail(ctx, E_RESOURCE_UNAVAILABLE_NOT_PORTABLE, "`%s` is the system disk of %s; it cannot be %s.",
                            disk_id, in.instance_id,
                            op == BOP_RESIZE ? "resized with ResizeDisk" : "attached, detached or terminated");
        return api_fail(ctx, E_INVALID_DISK_ID_NOT_FOUND, "The disk `%s` does not exist.", disk_id);
    }
    if (strcmp(d->restrict_state, "NORMAL") && op != BOP_TERMINATE && op != BOP_DETACH)
        return api_fail(ctx, E_INVALID_DISK_EXPIRE, "The disk `%s` has expired: renew it (RenewDisk) first.", disk_id);
    const char *refused = block_op_refused(op, d->state, instance_id && !strcmp(d->instance_id, instance_id));
    if (refused)
        return api_fail(ctx, refused, "The disk `%s` is %s%s%s.", disk_id, d->state, d->instance_id[0] ? " on " : "",
                        d->instance_id);
    if (op != BOP_SNAPSHOT && snapshot_creating(ctx, disk_id) == 1)
        return api_fail(ctx, E_INVALID_DISK_SNAPSHOT_CREATING,
                        "A snapshot of `%s` is being created; retry when it is NORMAL.", disk_id);
    return 0;
}

static int no_duplicates(struct api_ctx *ctx, json_t *ids)
{
    for (size_t i = 0; i < json_array_size(ids); i++)
        for (size_t j = i + 1; j < json_array_size(ids); j++)
            if (!strcmp(json_string_value(json_array_get(ids, i)), json_string_value(json_array_get(ids, j))))
                return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The disk `%s` is given twice.",
                                json_string_value(json_array_get(ids, i)));
    return 0;
}

static void set_resource(struct api_ctx *ctx, json_t *ids)
{
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cbs:%s:uin/%s:volume/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
}

/* ---- AttachDisks / DetachDisks ---- */

/* Never attached nor restored from a snapshot: it holds no data yet (its host made no file, or an empty one for a
 * snapshot), so its first attach may move it to any host */
static int disk_blank(const struct disk_row *d)
{
    return d->attached_at == 0 && !d->last_instance_id[0] && !d->source_snapshot[0];
}

static int attach_disks(struct api_ctx *ctx)
{
    const char *instance_id = api_str(ctx, "InstanceId", "");
    json_t *ids = json_object_get(ctx->params, "DiskIds");
    if (no_duplicates(ctx, ids))
        return -1;
    struct instance_info in;
    int rc = compute_instance_info(ctx->store, ctx->who.owner_uin, instance_id, &in);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance could not be read.");
    if (rc == STORE_NOT_FOUND)
        return api_fail(ctx, E_INVALID_INSTANCE_ID_NOT_FOUND, "The instance `%s` does not exist.", instance_id);
    if (strcmp(in.state, INSTANCE_RUNNING) != 0 && strcmp(in.state, INSTANCE_STOPPED) != 0)
        return api_fail(ctx, E_UNSUPPORTED_OPERATION_STATE_ERROR,
                        "The instance `%s` is %s; disks attach to RUNNING or STOPPED instances.", instance_id,
                        in.state);
    if (in.migrating)
        return api_fail(ctx, E_UNSUPPORTED_OPERATION_STATE_ERROR,
                        "The instance `%s` is migrating; attach disks when the move is over.", instance_id);
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        struct disk_row d;
        if (load_for(ctx, json_string_value(v), BOP_ATTACH, instance_id, &d))
            return -1;
        if (strcmp(d.zone, in.zone) != 0)
            return api_fail(ctx, "ZoneNotMatch", "The disk `%s` is in %s and the instance in %s.", d.disk_id, d.zone,
                            in.zone);
        char in_cluster[40] = "";
        if (host_pool_of_instance(ctx->store, instance_id, in_cluster) < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The instance's host could not be read.");
        /* disks are local to a host: a disk's file stays where it was first attached (host_disks.c) */
        if (strcmp(d.host_id, in.host_id) != 0 && !disk_blank(&d))
            return api_fail(ctx, E_UNSUPPORTED_OPERATION,
                            "The disk `%s` is stored on %s and the instance `%s` runs on %s: a disk attaches only to"
                            " instances of the host that holds its file (yun has no shared storage).",
                            d.disk_id, d.host_id, instance_id, in.host_id);
        if (strcmp(d.cluster_id, in_cluster) != 0) /* a cluster's disks stay on its hosts, and theirs on them */
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The disk `%s` is in %s and the instance in %s.", d.disk_id,
                            d.cluster_id[0] ? d.cluster_id : "no dedicated cluster",
                            in_cluster[0] ? in_cluster : "no dedicated cluster");
    }
    struct store_stmt *q = store_query(
        ctx->store, "SELECT count(*) FROM cbs_disks WHERE instance_id = ? AND state != '" DISK_TERMINATING "'", "s",
        instance_id);
    int64_t have = (q && store_step(q) == 1) ? store_int(q, 0) : -1;
    store_done(q);
    if (have < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance's disks could not be counted.");
    if (have + (int64_t)json_array_size(ids) > BLOCK_MAX_ATTACHED)
        return api_fail(ctx, E_LIMIT_EXCEEDED_INSTANCE_ATTACHED_DISK,
                        "An instance takes at most %d data disks; %s has %lld.", BLOCK_MAX_ATTACHED, instance_id,
                        (long long)have);
    int64_t now = time_now();
    int dwi = json_is_true(json_object_get(ctx->params, "DeleteWithInstance"));
    /* ATTACHING until the instance's host reports the disk's file there (made on a blank disk's first attach) and,
     * while the instance runs, plugged; a stopped instance gets it plugged when it starts */
    const char *state = DISK_ATTACHING;
    json_array_foreach (ids, i, v) {
        if (store_exec(ctx->store,
                       "UPDATE cbs_disks SET state = ?, instance_id = ?, host_id = ?, attached_at = ?, error = '',"
                       " delete_with_instance = CASE WHEN ? = 1 THEN 1 ELSE delete_with_instance END, updated = ?"
                       " WHERE disk_id = ? AND owner_uin = ?",
                       "sssiiiss", state, instance_id, in.host_id, now, (int64_t)dwi, now, json_string_value(v),
                       ctx->who.owner_uin) != 1)
            return api_fail(ctx, E_INTERNAL_ERROR, "The disk could not be updated.");
    }
    set_resource(ctx, ids);
    block_kick();
    return 0;
}

static int detach_disks(struct api_ctx *ctx)
{
    const char *instance_id = api_str(ctx, "InstanceId", NULL);
    json_t *ids = json_object_get(ctx->params, "DiskIds");
    if (no_duplicates(ctx, ids))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        struct disk_row d;
        if (load_for(ctx, json_string_value(v), BOP_DETACH, instance_id, &d))
            return -1;
        if (instance_id && strcmp(d.instance_id, instance_id) != 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The disk `%s` is not attached to %s.", d.disk_id,
                            instance_id);
        struct instance_info in;
        int rc = compute_instance_info(ctx->store, ctx->who.owner_uin, d.instance_id, &in);
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be read.", d.instance_id);
        if (rc == STORE_FOUND && strcmp(in.state, INSTANCE_RUNNING) != 0 && strcmp(in.state, INSTANCE_STOPPED) != 0)
            return api_fail(ctx, E_UNSUPPORTED_OPERATION_STATE_ERROR,
                            "The instance `%s` is %s; retry when it is RUNNING or STOPPED.", in.instance_id, in.state);
        if (rc == STORE_FOUND && in.migrating) /* its disks move with it */
            return api_fail(ctx, E_UNSUPPORTED_OPERATION_STATE_ERROR,
                            "The instance `%s` is migrating; detach disks when the move is over.", in.instance_id);
    }
    int64_t now = time_now();
    json_array_foreach (ids, i, v) {
        if (store_exec(ctx->store,
                       "UPDATE cbs_disks SET state = '" DISK_DETACHING
                       "', error = '', updated = ? WHERE disk_id = ? AND owner_uin = ?",
                       "iss", now, json_string_value(v), ctx->who.owner_uin) != 1)
            return api_fail(ctx, E_INTERNAL_ERROR, "The disk could not be updated.");
    }
    set_resource(ctx, ids);
    block_kick();
    return 0;
}

/* ---- TerminateDisks / ResizeDisk ---- */

static int terminate_disks(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "DiskIds");
    if (no_duplicates(ctx, ids))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        struct disk_row d;
        if (load_for(ctx, json_string_value(v), BOP_TERMINATE, NULL, &d))
            return -1;
        struct store_stmt *q =
            store_query(ctx->store,
                        "SELECT 1 FROM cbs_disks WHERE source_snapshot IN"
                        " (SELECT snapshot_id FROM cbs_snapshots WHERE disk_id = ?) AND state = 'DUMPING'",
                        "s", d.disk_id);
        int busy = q ? store_step(q) : -1;
        store_done(q);
        if (busy == 1 && api_int(ctx, "DeleteSnapshot", 0) == 1)
            return api_fail(ctx, E_RESOURCE_IN_USE, "A disk is being restored from a snapshot of `%s`.", d.disk_id);
    }
    int64_t now = time_now();
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        if (store_exec(ctx->store,
                       "UPDATE cbs_disks SET state = '" DISK_TERMINATING
                       "', updated = ? WHERE disk_id = ? AND owner_uin = ?",
                       "iss", now, id, ctx->who.owner_uin) != 1 ||
            block_meter_disk(ctx->store, id) != 0 ||
            billing_refund(ctx->store, ctx->who.owner_uin, id, clock_now()) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The disk could not be updated.");
        if (api_int(ctx, "DeleteSnapshot", 0) == 1 && store_exec(ctx->store,
                                                                 "UPDATE cbs_snapshots SET state = '" SNAPSHOT_DELETING
                                                                 "', updated = ? WHERE disk_id = ? AND owner_uin = ?"
                                                                 " AND state = '" SNAPSHOT_NORMAL "'",
                                                                 "iss", now, id, ctx->who.owner_uin) < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The disk's snapshots could not be updated.");
    }
    set_resource(ctx, ids);
    block_kick();
    return 0;
}

int block_refuse_migrating(struct api_ctx *ctx, const char *instance_id, const char *what)
{
    if (!instance_id || !instance_id[0])
        return 0;
    struct instance_info in;
    int rc = compute_instance_info(ctx->store, ctx->who.owner_uin, instance_id, &in);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance `%s` could not be read.", instance_id);
    if (rc == STORE_FOUND && in.migrating)
        return api_fail(ctx, E_UNSUPPORTED_OPERATION_STATE_ERROR,
                        "The instance `%s` is migrating with its disks; %s them when the move is over.", instance_id,
                        what);
    return 0;
}

static int resize_disk(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "DiskId", NULL);
    if (!id)
        return api_fail(ctx, E_MISSING_PARAMETER, "The request is missing a required parameter `DiskId`.");
    int64_t size = api_int(ctx, "DiskSize", 0);
    struct disk_row d;
    if (load_for(ctx, id, BOP_RESIZE, NULL, &d))
        return -1;
    if (block_refuse_migrating(ctx, d.instance_id, "resize") != 0) /* a migration copies the disk at its size */
        return -1;
    int64_t min, max;
    if (!block_size_range(d.disk_type, &min, &max))
        max = 32000;
    if (size <= d.size_gib)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                        "DiskSize must be larger than the disk's %lld GiB; disks only grow.", (long long)d.size_gib);
    if (size > max)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "DiskSize of a %s disk is at most %lld GiB.", d.disk_type,
                        (long long)max);
    int64_t have_disks, have_gib, max_gib = disk_gib_quota(ctx);
    if (max_gib < 0 || disk_usage_of(ctx, &have_disks, &have_gib) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The disk quota could not be checked.");
    const char *quota = block_quota_refused_within(have_disks, have_gib, 0, size - d.size_gib, max_gib);
    if (quota)
        return api_fail(ctx, quota, "The account may have %lld GiB of disks; it has %lld GiB.", (long long)max_gib,
                        (long long)have_gib);
    if (store_exec(ctx->store,
                   "UPDATE cbs_disks SET state = '" DISK_EXPANDING
                   "', pending_size = ?, error = '', updated = ? WHERE disk_id = ?",
                   "iis", size, time_now(), id) != 1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The disk could not be updated.");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cbs:%s:uin/%s:volume/%s", ctx->region, ctx->who.owner_uin, id);
    block_kick();
    return 0;
}

/* ---- RenewDisk ---- */

static int renew_disk(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "DiskId", "");
    struct disk_row d;
    int rc = disk_load(ctx->store, ctx->who.owner_uin, id, &d);
    if (rc != STORE_FOUND)
        return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_INVALID_DISK_ID_NOT_FOUND, "The disk `%s` does not exist.",
                        id);
    if (strcmp(d.charge_type, "PREPAID"))
        return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED,
                        "The disk `%s` is not prepaid: there is no period to renew.", id);
    json_t *pp = json_object_get(ctx->params, "DiskChargePrepaid");
    char code[96], msg[256];
    int64_t expire;
    if (billing_renew(ctx->store, ctx->who.owner_uin, ctx->who.user_uin, id,
                      (int)json_integer_value(json_object_get(pp, "Period")), clock_now(), &expire, code, sizeof code,
                      msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    const char *flag = json_string_value(json_object_get(pp, "RenewFlag"));
    if (flag && billing_set_renew_flag(ctx->store, ctx->who.owner_uin, id, flag) < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The renew flag could not be set.");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cbs:%s:uin/%s:volume/%s", ctx->region, ctx->who.owner_uin, id);
    return 0;
}

/* ---- the action table ---- */

const char *const disk_types_all[] = {"CLOUD_BASIC", "CLOUD_PREMIUM", "CLOUD_BSSD", "CLOUD_SSD",
                                      "CLOUD_HSSD",  "CLOUD_TSSD",    NULL};
static const char *const charge_types[] = {"PREPAID", "POSTPAID_BY_HOUR", "CDCPAID", NULL};
static const char *const renew_flags[] = {"NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW",
                                          "DISABLE_NOTIFY_AND_MANUAL_RENEW", NULL};
static const char *const orders[] = {"ASC", "DESC", NULL};
static const char *const order_fields[] = {"CREATE_TIME", "DEADLINE", NULL};
static const char *const attach_modes[] = {"PF", "VF", NULL};
static const char *const encrypt_values[] = {"ENCRYPT", NULL};
static const char *const encrypt_types[] = {"ENCRYPT_V1", "ENCRYPT_V2", NULL};

static const struct param p_placement[] = {P_STR("Zone", P_REQUIRED, 1, 64),
                                           P_STR("CageId", 0, 0, 64),
                                           P_STR("CdcId", 0, 0, 64),
                                           P_STR("CdcName", 0, 0, 128),
                                           P_STR("DedicatedClusterId", 0, 0, 64),
                                           P_INT("ProjectId", 0, 0, INT32_MAX),
                                           P_STR("ProjectName", 0, 0, 128),
                                           P_END};
static const struct param p_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_ENUM("RenewFlag", 0, renew_flags),
                                         P_STR("CurInstanceDeadline", 0, 0, 64), P_END};
static const struct param p_renew_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_ENUM("RenewFlag", 0, renew_flags),
                                               P_STR("CurInstanceDeadline", 0, 0, 64), P_END};
static const struct param p_renew[] = {P_OBJ("DiskChargePrepaid", P_REQUIRED, p_renew_prepaid),
                                       P_STR("DiskId", P_REQUIRED, 1, 32), P_END};
static const struct param p_automount[] = {P_STR("InstanceId", P_REQUIRED, 1, 32), P_STRS("MountPoint", 0, 10, 256),
                                           P_STR("FileSystemType", 0, 0, 16), P_END};

static const struct param p_create[] = {P_OBJ("Placement", P_REQUIRED, p_placement),
                                        P_ENUM("DiskChargeType", P_REQUIRED, charge_types),
                                        P_ENUM("DiskType", P_REQUIRED, disk_types_all),
                                        P_STR("DiskName", 0, 1, 60),
                                        P_OBJS("Tags", 0, 50, tag_fields),
                                        P_STR("SnapshotId", 0, 1, 32),
                                        P_INT("DiskCount", 0, 1, BLOCK_DISK_QUOTA),
                                        P_INT("ThroughputPerformance", 0, 0, 0),
                                        P_STR("KmsKeyId", 0, 0, 128),
                                        P_INT("DiskSize", 0, 1, 65536),
                                        P_BOOL("Shareable", 0),
                                        P_STR("ClientToken", 0, 1, 64),
                                        P_ENUM("Encrypt", 0, encrypt_values),
                                        P_OBJ("DiskChargePrepaid", 0, p_prepaid),
                                        P_INT("DeleteSnapshot", 0, 0, 1),
                                        P_OBJ("AutoMountConfiguration", 0, p_automount),
                                        P_INT("DiskBackupQuota", 0, 0, 0),
                                        P_BOOL("BurstPerformance", 0),
                                        P_ENUM("EncryptType", 0, encrypt_types),
                                        P_END};
static const struct param p_describe[] = {P_FILTERS,
                                          P_INT("Limit", 0, 1, 100),
                                          P_ENUM("OrderField", 0, order_fields),
                                          P_INT("Offset", 0, 0, INT32_MAX),
                                          P_BOOL("ReturnBindAutoSnapshotPolicy", 0),
                                          P_STRS("DiskIds", 0, 100, 32),
                                          P_ENUM("Order", 0, orders),
                                          P_END};
static const struct param p_attach[] = {P_STR("InstanceId", P_REQUIRED, 1, 32), P_STRS("DiskIds", P_REQUIRED, 10, 32),
                                        P_BOOL("DeleteWithInstance", 0), P_ENUM("AttachMode", 0, attach_modes), P_END};
static const struct param p_detach[] = {P_STRS("DiskIds", P_REQUIRED, 10, 32), P_STR("InstanceId", 0, 1, 32), P_END};
static const struct param p_terminate[] = {P_STRS("DiskIds", P_REQUIRED, 100, 32), P_INT("DeleteSnapshot", 0, 0, 1),
                                           P_END};
static const struct param p_resize[] = {P_INT("DiskSize", P_REQUIRED, 1, 65536), P_STR("DiskId", 0, 1, 32), P_END};

static const struct action disk_actions[] = {
    {"cbs", CBS, "CreateDisks", create_disks, p_create, A_MUTATES | A_REGIONAL, "volume/*", NULL,
     TOUCHES("cbs:snap/${SnapshotId}", "cvm:instance/${AutoMountConfiguration.InstanceId}")},
    {"cbs", CBS, "DescribeDisks", describe_disks, p_describe, A_REGIONAL, "volume/${DiskIds|*}"},
    {"cbs", CBS, "AttachDisks", attach_disks, p_attach, A_MUTATES | A_REGIONAL, "volume/${DiskIds}", NULL,
     TOUCHES("cvm:instance/${InstanceId}")},
    {"cbs", CBS, "DetachDisks", detach_disks, p_detach, A_MUTATES | A_REGIONAL, "volume/${DiskIds}", NULL,
     TOUCHES("cvm:instance/${InstanceId}")},
    {"cbs", CBS, "TerminateDisks", terminate_disks, p_terminate, A_MUTATES | A_REGIONAL, "volume/${DiskIds}"},
    {"cbs", CBS, "ResizeDisk", resize_disk, p_resize, A_MUTATES | A_REGIONAL, "volume/${DiskId}"},
    {"cbs", CBS, "RenewDisk", renew_disk, p_renew, A_MUTATES | A_REGIONAL, "volume/${DiskId}"},
};

void disk_register(void) { api_register(disk_actions, sizeof disk_actions / sizeof disk_actions[0]); }
