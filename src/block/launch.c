/*
 * launch: RunInstances' DataDisks. Each entry is a new empty data disk recorded in the launch's transaction,
 * attached to the instance from the start (DeleteWithInstance unless told otherwise). It is placed on the
 * instance's host and ATTACHING: the host's first document lists it Blank, the host makes its file and plugs it
 * when it boots the guest, and its report makes it ATTACHED (host_disks.c; nothing is written outside the store
 * before the commit, so a dry run or a rolled-back launch leaves no file). An existing disk (DiskId), a snapshot's copy
 * (SnapshotId), encryption and prepaid launches are refused. Also the DataDisks DescribeInstances shows of every
 * attached disk.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "block/block_int.h"
#include "block/codes.h"
#include "block/states.h"
#include "compute/compute.h"

int block_launch_check(struct api_ctx *ctx, int64_t instances)
{
    json_t *disks = json_object_get(ctx->params, "DataDisks");
    if (!json_array_size(disks))
        return 0;
    if (!strcmp(api_str(ctx, "InstanceChargeType", "POSTPAID_BY_HOUR"), "PREPAID"))
        return api_fail(ctx, E_UNSUPPORTED_OPERATION,
                        "DataDisks of a PREPAID launch are not supported yet; attach cloud disks after launch.");
    if (json_array_size(disks) > BLOCK_MAX_ATTACHED)
        return api_fail(ctx, E_LIMIT_EXCEEDED_INSTANCE_ATTACHED_DISK, "An instance takes at most %d data disks.",
                        BLOCK_MAX_ATTACHED);
    int64_t gib = 0;
    size_t i;
    json_t *d;
    json_array_foreach (disks, i, d) {
        const char *type = json_string_value(json_object_get(d, "DiskType"));
        json_int_t size = json_integer_value(json_object_get(d, "DiskSize"));
        const char *id = json_string_value(json_object_get(d, "DiskId"));
        const char *snap = json_string_value(json_object_get(d, "SnapshotId"));
        int64_t min, max;
        if ((id && *id) || (snap && *snap))
            return api_fail(ctx, E_UNSUPPORTED_OPERATION,
                            "DataDisks.%zu: only new empty disks are made at launch (no DiskId or SnapshotId); attach"
                            " existing disks with AttachDisks.",
                            i);
        if (json_is_true(json_object_get(d, "Encrypt")))
            return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED, "Encrypted disks are not supported.");
        if (!block_size_range(type ? type : "CLOUD_PREMIUM", &min, &max))
            return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED,
                            "DataDisks.%zu: disks of type %s cannot be made.", i, type);
        if (size < min || size > max)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                            "DataDisks.%zu.DiskSize of a %s disk must be %lld-%lld GiB.", i,
                            type ? type : "CLOUD_PREMIUM", (long long)min, (long long)max);
        gib += size;
    }
    int64_t have_disks, have_gib, max_gib = disk_gib_quota(ctx);
    if (max_gib < 0 || disk_usage_of(ctx, &have_disks, &have_gib) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The disk quota could not be checked.");
    int64_t add = instances * (int64_t)json_array_size(disks);
    const char *quota = block_quota_refused_within(have_disks, have_gib, add, instances * gib, max_gib);
    if (quota)
        return api_fail(ctx, quota, "The account may have %d disks of %lld GiB in all; it has %lld disks of %lld GiB.",
                        BLOCK_DISK_QUOTA, (long long)max_gib, (long long)have_disks, (long long)have_gib);
    return 0;
}

int block_launch_disks(struct api_ctx *ctx, const char *instance_id, const char *zone, int64_t project_id,
                       const char *host_id)
{
    json_t *disks = json_object_get(ctx->params, "DataDisks");
    char cluster[40] = "";
    if (json_array_size(disks) && host_pool_of_instance(ctx->store, instance_id, cluster) < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The instance's host could not be read.");
    int64_t now = time_now();
    size_t i;
    json_t *d;
    json_array_foreach (disks, i, d) {
        const char *type = json_string_value(json_object_get(d, "DiskType"));
        json_t *dwi = json_object_get(d, "DeleteWithInstance");
        char id[24], name[64];
        random_id("disk-", id, sizeof id);
        snprintf(name, sizeof name, "%s-data-%zu", instance_id, i + 1);
        if (store_exec(ctx->store,
                       "INSERT INTO cbs_disks (disk_id, owner_uin, zone, name, disk_type, charge_type, state,"
                       " instance_id, host_id, size_gib, project_id, delete_with_instance, attached_at, created,"
                       " updated, dedicated_cluster_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "sssssssssiiiiiis", id, ctx->who.owner_uin, zone, name, type ? type : "CLOUD_PREMIUM",
                       cluster[0] ? "CDCPAID" : "POSTPAID_BY_HOUR", DISK_ATTACHING, instance_id, host_id,
                       json_integer_value(json_object_get(d, "DiskSize")), project_id,
                       (int64_t)(dwi ? json_is_true(dwi) : 1), now, now, now, cluster) != 1 ||
            block_meter_disk(ctx->store, id) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The data disk could not be recorded: %s", store_errmsg(ctx->store));
    }
    return 0;
}

json_t *block_instance_data_disks(struct store *s, const char *instance_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT disk_id, disk_type, size_gib, delete_with_instance, name,"
                                       " source_snapshot, dedicated_cluster_id FROM cbs_disks WHERE instance_id = ?"
                                       " AND state != '" DISK_TERMINATING "' ORDER BY attached_at, rowid",
                                       "s", instance_id);
    json_t *set = json_array();
    while (q && store_step(q) == 1)
        json_array_append_new(set, json_pack("{s:I,s:s,s:s,s:b,s:s,s:b,s:s,s:I,s:s,s:b,s:s}", "DiskSize",
                                             (json_int_t)store_int(q, 2), "DiskType", store_text(q, 1), "DiskId",
                                             store_text(q, 0), "DeleteWithInstance", (int)store_int(q, 3), "SnapshotId",
                                             store_text(q, 5), "Encrypt", 0, "KmsKeyId", "", "ThroughputPerformance",
                                             (json_int_t)0, "CdcId", store_text(q, 6), "BurstPerformance", 0,
                                             "DiskName", store_text(q, 4)));
    store_done(q);
    return set;
}
