/*
 * snapshot: CreateSnapshot, DescribeSnapshots, DeleteSnapshots. A snapshot is a full,
 * standalone qcow2 copy of a data disk (so deleting the disk or other snapshots never breaks
 * it); the worker makes it (CREATING -> NORMAL) and removes it (DELETING -> gone), or, for a disk on
 * a joined host, that host by its document (the snapshot's file stays there too: host_disks.c).
 * CopySnapshotCrossRegions is not implemented: it answers the residency decision of each
 * destination (a service control policy may refuse it, naming the policy) and then
 * UnsupportedOperation, so no copy leaves its region unseen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "block/block_int.h"
#include "block/codes.h"
#include "block/states.h"

static int create_snapshot(struct api_ctx *ctx)
{
    const char *disk_id = api_str(ctx, "DiskId", NULL);
    if (!disk_id)
        return api_fail(ctx, E_MISSING_PARAMETER, "The request is missing a required parameter `DiskId`.");
    if (api_has(ctx, "DiskBackupId"))
        return api_fail(ctx, E_INVALID_PARAMETER, "Disk backups are not supported; snapshot the disk itself.");
    struct disk_row d;
    int rc = disk_load(ctx->store, ctx->who.owner_uin, disk_id, &d);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The disk could not be read.");
    if (rc == STORE_NOT_FOUND)
        return api_fail(ctx, E_INVALID_DISK_ID_NOT_FOUND,
                        "The disk `%s` does not exist (system disks cannot be snapshotted yet).", disk_id);
    const char *refused = block_op_refused(BOP_SNAPSHOT, d.state, 0);
    if (refused)
        return api_fail(ctx, refused, "The disk `%s` is %s.", disk_id, d.state);
    if (block_refuse_migrating(ctx, d.instance_id, "snapshot") != 0) /* the move takes the disk off this host */
        return -1;
    struct store_stmt *q = store_query(
        ctx->store, "SELECT 1 FROM cbs_snapshots WHERE disk_id = ? AND state = '" SNAPSHOT_CREATING "'", "s", disk_id);
    rc = q ? store_step(q) : -1;
    store_done(q);
    if (rc == 1)
        return api_fail(ctx, E_INVALID_DISK_SNAPSHOT_CREATING, "A snapshot of `%s` is already being created.", disk_id);
    int64_t deadline = 0;
    const char *dl = api_str(ctx, "Deadline", NULL);
    if (dl && time_parse_iso8601(dl, &deadline) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Deadline must be an ISO-8601 time.");
    json_t *tags = json_object_get(ctx->params, "Tags");
    char *tags_text = tags ? json_dumps(tags, JSON_COMPACT) : strdup("[]");
    char id[24];
    random_id("snap-", id, sizeof id);
    int64_t now = time_now();
    rc = store_exec(
        ctx->store,
        "INSERT INTO cbs_snapshots (snapshot_id, owner_uin, zone, project_id, disk_id, disk_size, disk_usage, name,"
        " state, percent, deadline, tags, created, updated, host_id) VALUES (?, ?, ?, ?, ?, ?, 'DATA_DISK', ?, "
        "'" SNAPSHOT_CREATING "', 0, ?, ?, ?, ?, ?)",
        "sssisisisiis", id, ctx->who.owner_uin, d.zone, d.project_id, disk_id, d.size_gib,
        api_str(ctx, "SnapshotName", "未命名"), deadline, tags_text, now, now, d.host_id);
    free(tags_text);
    if (rc != 1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The snapshot could not be recorded: %s", store_errmsg(ctx->store));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cbs:%s:uin/%s:snap/%s", ctx->region, ctx->who.owner_uin, id);
    json_object_set_new(ctx->out, "SnapshotId", json_string(id));
    block_kick();
    return 0;
}

static int describe_snapshots(struct api_ctx *ctx)
{
    static const char *const allowed[] = {
        "snapshot-id", "snapshot-name", "snapshot-state", "disk-usage",    "project-id",
        "disk-id",     "zone",          "encrypt",        "snapshot-type", NULL};
    if (filters_exclusive(ctx, "SnapshotIds"))
        return -1;
    if (filters_validate(ctx, allowed))
        return -1;
    json_t *ids = json_object_get(ctx->params, "SnapshotIds");
    int desc = !strcmp(api_str(ctx, "Order", "ASC"), "DESC");
    char sql[320];
    snprintf(
        sql, sizeof sql,
        "SELECT snapshot_id, zone, project_id, disk_id, disk_size, disk_usage, name, state, percent, deadline, tags,"
        " created, updated FROM cbs_snapshots WHERE owner_uin = ? AND state != '" SNAPSHOT_DELETING "'"
        " ORDER BY created%s, rowid%s",
        desc ? " DESC" : "", desc ? " DESC" : "");
    struct store_stmt *q = store_query(ctx->store, sql, "s", ctx->who.owner_uin);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The snapshots are unavailable.");
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        char project[24];
        snprintf(project, sizeof project, "%lld", (long long)store_int(q, 2));
        const char *id = store_text(q, 0);
        if ((ids && !values_contain(ids, id)) || !api_zone_in_region(ctx, store_text(q, 1)) ||
            !filter_match(ctx, "snapshot-id", id) || !filter_match(ctx, "snapshot-name", store_text(q, 6)) ||
            !filter_match(ctx, "snapshot-state", store_text(q, 7)) ||
            !filter_match(ctx, "disk-usage", store_text(q, 5)) || !filter_match(ctx, "project-id", project) ||
            !filter_match(ctx, "disk-id", store_text(q, 3)) || !filter_match(ctx, "zone", store_text(q, 1)) ||
            !filter_match(ctx, "encrypt", "false") || !filter_match(ctx, "snapshot-type", "PRIVATE_SNAPSHOT"))
            continue;
        if (!page_take(&pg))
            continue;
        char created[32], modified[32], deadline[32] = "";
        time_cam(store_int(q, 11), created);
        time_cam(store_int(q, 12), modified);
        if (store_int(q, 9))
            time_cam(store_int(q, 9), deadline);
        json_t *tags = json_loads(store_text(q, 10), 0, NULL);
        json_t *s = json_object();
        json_object_set_new(s, "Placement",
                            json_pack("{s:s,s:I,s:s,s:s,s:s,s:s}", "Zone", store_text(q, 1), "ProjectId",
                                      (json_int_t)store_int(q, 2), "CageId", "", "CdcId", "", "CdcName", "",
                                      "DedicatedClusterId", ""));
        json_object_set_new(s, "CopyFromRemote", json_false());
        json_object_set_new(s, "SnapshotState", json_string(store_text(q, 7)));
        json_object_set_new(s, "IsPermanent", json_boolean(store_int(q, 9) == 0));
        json_object_set_new(s, "SnapshotName", json_string(store_text(q, 6)));
        json_object_set_new(s, "DeadlineTime", json_string(deadline));
        json_object_set_new(s, "Percent", json_integer(store_int(q, 8)));
        json_object_set_new(s, "Images", json_array());
        json_object_set_new(s, "ShareReference", json_integer(0));
        json_object_set_new(s, "SnapshotType", json_string("PRIVATE_SNAPSHOT"));
        json_object_set_new(s, "DiskSize", json_integer(store_int(q, 4)));
        json_object_set_new(s, "DiskId", json_string(store_text(q, 3)));
        json_object_set_new(s, "CopyingToRegions", json_array());
        json_object_set_new(s, "Encrypt", json_false());
        json_object_set_new(s, "CreateTime", json_string(created));
        json_object_set_new(s, "ImageCount", json_integer(0));
        json_object_set_new(s, "DiskUsage", json_string(store_text(q, 5)));
        json_object_set_new(s, "SnapshotId", json_string(id));
        json_object_set_new(s, "TimeStartShare", json_string(""));
        json_object_set_new(s, "Tags", tags ? tags : json_array());
        json_object_set_new(s, "IsLocked", json_false());
        json_object_set_new(s, "LatestModifyTime", json_string(modified));
        json_object_set_new(s, "AutoSnapshotPolicyId", json_string(""));
        json_object_set_new(s, "SnapshotMode", json_string("STANDARD_SNAPSHOT"));
        json_array_append_new(pg.set, s);
    }
    store_done(q);
    page_finish(ctx, &pg, "SnapshotSet");
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The snapshots are unavailable.") : 0;
}

static int delete_snapshots(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "SnapshotIds");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        struct store_stmt *q =
            store_query(ctx->store,
                        "SELECT state, (SELECT count(*) FROM cbs_disks d WHERE d.source_snapshot = s.snapshot_id"
                        " AND d.state = 'DUMPING') FROM cbs_snapshots s WHERE snapshot_id = ? AND owner_uin = ?"
                        " AND state != '" SNAPSHOT_DELETING "'",
                        "ss", id, ctx->who.owner_uin);
        int rc = q ? store_step(q) : -1;
        char state[24] = "";
        int64_t restoring = 0;
        if (rc == 1) {
            snprintf(state, sizeof state, "%s", store_text(q, 0));
            restoring = store_int(q, 1);
        }
        store_done(q);
        if (rc != 1)
            return api_fail(ctx, E_INVALID_SNAPSHOT_ID_NOT_FOUND, "The snapshot `%s` does not exist.", id);
        if (!strcmp(state, SNAPSHOT_CREATING))
            return api_fail(ctx, E_RESOURCE_UNAVAILABLE_SNAPSHOT_CREATING, "The snapshot `%s` is still being created.",
                            id);
        if (restoring)
            return api_fail(ctx, E_RESOURCE_IN_USE, "A disk is being created from the snapshot `%s`.", id);
    }
    int64_t now = time_now();
    json_array_foreach (ids, i, v) {
        if (store_exec(ctx->store,
                       "UPDATE cbs_snapshots SET state = '" SNAPSHOT_DELETING
                       "', updated = ? WHERE snapshot_id = ? AND owner_uin = ?",
                       "iss", now, json_string_value(v), ctx->who.owner_uin) != 1 ||
            block_meter_snapshot(ctx->store, json_string_value(v)) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The snapshot could not be updated.");
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cbs:%s:uin/%s:snap/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    block_kick();
    return 0;
}

static int copy_snapshot_cross_regions(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "SnapshotId", "");
    struct store_stmt *q =
        store_query(ctx->store, "SELECT 1 FROM cbs_snapshots WHERE snapshot_id = ? AND owner_uin = ?", "ss", id,
                    ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The snapshot could not be read.");
    if (rc == 0)
        return api_fail(ctx, E_INVALID_SNAPSHOT_ID_NOT_FOUND, "The snapshot `%s` does not exist.", id);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cbs:%s:uin/%s:snap/%s", ctx->region, ctx->who.owner_uin, id);
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ctx->params, "DestinationRegions"), i, v) {
        const char *region = json_string_value(v);
        if (!config_find_region(ctx->config, region))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "DestinationRegions: the region `%s` is not supported.",
                            region);
        if (api_authorize_in_region(ctx, region) != 1) /* the copy would create the snapshot there */
            return -1;
    }
    return api_fail(ctx, E_UNSUPPORTED_OPERATION,
                    "Copying snapshots across regions is not implemented in yun (the copy was allowed%s%s).",
                    ctx->reason[0] ? ": " : "", ctx->reason);
}

static const char *const orders[] = {"ASC", "DESC", NULL};
static const char *const order_fields[] = {"CREATE_TIME", NULL};
static const char *const usages[] = {"SYSTEM_DISK", "DATA_DISK", NULL};
static const struct param p_create[] = {P_STR("DiskId", 0, 1, 32),         P_STR("SnapshotName", 0, 1, 60),
                                        P_STR("Deadline", 0, 1, 64),       P_STR("DiskBackupId", 0, 1, 32),
                                        P_OBJS("Tags", 0, 50, tag_fields), P_BOOL("LocalSnap", 0),
                                        P_ENUM("DiskUsage", 0, usages),    P_END};
static const struct param p_describe[] = {P_STRS("SnapshotIds", 0, 100, 32),
                                          P_FILTERS,
                                          P_INT("Limit", 0, 1, 100),
                                          P_ENUM("OrderField", 0, order_fields),
                                          P_INT("Offset", 0, 0, INT32_MAX),
                                          P_ENUM("Order", 0, orders),
                                          P_END};
static const struct param p_delete[] = {P_STRS("SnapshotIds", P_REQUIRED, 100, 32), P_BOOL("DeleteBindImages", 0),
                                        P_END};

static const struct param p_copy_regions[] = {P_STR("SnapshotId", P_REQUIRED, 1, 32),
                                              P_STRS("DestinationRegions", P_REQUIRED, 16, 64),
                                              P_STR("SnapshotName", 0, 1, 60), P_END};

static const struct action snapshot_actions[] = {
    {"cbs", CBS, "CopySnapshotCrossRegions", copy_snapshot_cross_regions, p_copy_regions, A_MUTATES | A_REGIONAL,
     "snap/${SnapshotId}"},
    {"cbs", CBS, "CreateSnapshot", create_snapshot, p_create, A_MUTATES | A_REGIONAL, "volume/${DiskId}"},
    {"cbs", CBS, "DescribeSnapshots", describe_snapshots, p_describe, A_REGIONAL, "snap/${SnapshotIds|*}"},
    {"cbs", CBS, "DeleteSnapshots", delete_snapshots, p_delete, A_MUTATES | A_REGIONAL, "snap/${SnapshotIds}"},
};

void snapshot_register(void) { api_register(snapshot_actions, sizeof snapshot_actions / sizeof snapshot_actions[0]); }
