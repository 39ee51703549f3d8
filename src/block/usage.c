/*
 * usage: what billing sees of disks and snapshots. After each change of a disk or snapshot row
 * its meter is set from the row (gone or terminating = no longer metered): a postpaid data disk
 * is metered by type and size from creation until it is terminated, a snapshot by its size in
 * GiB (rounded up) while it is NORMAL. Prepaid disks are paid by their orders.
 */
#include <stdio.h>
#include <string.h>

#include "billing/billing.h"
#include "block/block_int.h"
#include "block/states.h"
#include "meter/meter.h"

#define GIB_BYTES (1024LL * 1024 * 1024)

int block_meter_disk(struct store *s, const char *disk_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT owner_uin, name, zone, disk_type, charge_type, state, size_gib, tags,"
                                       " project_id FROM cbs_disks WHERE disk_id = ?",
                                       "s", disk_id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc != STORE_FOUND) {
        store_done(q);
        return rc < 0 ? -1 : meter_stop(s, disk_id, NULL, clock_now());
    }
    char owner[24], name[160], zone[64], region[64], type[32], tags[4096];
    snprintf(owner, sizeof owner, "%s", store_text(q, 0));
    snprintf(name, sizeof name, "%s", store_text(q, 1));
    snprintf(zone, sizeof zone, "%s", store_text(q, 2));
    snprintf(type, sizeof type, "%s", store_text(q, 3));
    /* a dedicated cluster's CDCPAID disk is metered like a postpaid one */
    int on = (!strcmp(store_text(q, 4), "POSTPAID_BY_HOUR") || !strcmp(store_text(q, 4), "CDCPAID")) &&
             strcmp(store_text(q, 5), DISK_TERMINATING);
    int64_t size = store_int(q, 6), project = store_int(q, 8);
    snprintf(tags, sizeof tags, "%s", store_text(q, 7));
    store_done(q);
    zone_region(zone, region);
    struct meter_use u = {owner, disk_id, name, "cbs", "v_cbs_disk", type, region, zone, tags, on ? size : 0, project};
    return meter_set(s, &u, clock_now());
}

int block_meter_snapshot(struct store *s, const char *snapshot_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT owner_uin, name, zone, state, file_bytes, tags, project_id FROM"
                                       " cbs_snapshots WHERE snapshot_id = ?",
                                       "s", snapshot_id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc != STORE_FOUND) {
        store_done(q);
        return rc < 0 ? -1 : meter_stop(s, snapshot_id, NULL, clock_now());
    }
    char owner[24], name[160], zone[64], region[64], tags[4096];
    snprintf(owner, sizeof owner, "%s", store_text(q, 0));
    snprintf(name, sizeof name, "%s", store_text(q, 1));
    snprintf(zone, sizeof zone, "%s", store_text(q, 2));
    int on = !strcmp(store_text(q, 3), SNAPSHOT_NORMAL);
    int64_t gib = (store_int(q, 4) + GIB_BYTES - 1) / GIB_BYTES, project = store_int(q, 6);
    snprintf(tags, sizeof tags, "%s", store_text(q, 5));
    store_done(q);
    zone_region(zone, region);
    struct meter_use u = {owner,  snapshot_id, name, "cbs", "v_cbs_snapshot",
                          "*",    region,      zone, tags,  on ? (gib < 1 ? 1 : gib) : 0,
                          project};
    return meter_set(s, &u, clock_now());
}

/* What billing may do to disks (struct billing_product "cbs"): a prepaid disk whose period ended is
 * EXPIRED (kept with its data, but not attached, resized or snapshotted again) until renewed, and
 * released (deleted with its data) when the retention passes. Postpaid disks are not touched by
 * arrears: they are kept, and billed, while their instances are isolated. */
static int expire(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return store_exec(s, "UPDATE cbs_disks SET restrict_state = 'EXPIRED' WHERE disk_id = ?", "s", id) < 0 ? -1 : 0;
}

static int renewed(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return store_exec(s, "UPDATE cbs_disks SET restrict_state = 'NORMAL' WHERE disk_id = ?", "s", id) < 0 ? -1 : 0;
}

static int reclaim(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return store_exec(s,
                      "UPDATE cbs_disks SET state = '" DISK_TERMINATING "', updated = ? WHERE disk_id = ?"
                      " AND state != '" DISK_TERMINATING "'",
                      "is", time_now(), id) < 0 ||
                   block_meter_disk(s, id) != 0
               ? -1
               : 0;
}

static const struct billing_product cbs_product = {"cbs", NULL, NULL, NULL, expire, renewed, reclaim, block_kick};

void block_usage_register(void) { billing_register_product(&cbs_product); }
