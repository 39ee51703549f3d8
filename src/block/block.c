/*
 * block: the service's tables, registration and the hooks compute calls (an instance terminated). The files of
 * disks and snapshots are their hosts': every host, the built-in one of `yun up` included, makes, plugs, copies
 * and removes them by its document (host_disks.c lists them; compute/host_doc.c sends it) and reports what it did.
 */
#include <stdio.h>
#include <string.h>

#include "block/block_int.h"
#include "block/codes.h"
#include "block/states.h"
#include "compute/compute.h"

static const struct migration block_migrations[] = {
    {1,
     "CREATE TABLE cbs_disks (disk_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, zone TEXT NOT NULL, name TEXT NOT "
     "NULL,"
     " disk_type TEXT NOT NULL, charge_type TEXT NOT NULL, state TEXT NOT NULL, instance_id TEXT NOT NULL DEFAULT '',"
     " last_instance_id TEXT NOT NULL DEFAULT '', source_snapshot TEXT NOT NULL DEFAULT '', error TEXT NOT NULL "
     "DEFAULT '',"
     " tags TEXT NOT NULL DEFAULT '[]', size_gib INTEGER NOT NULL, pending_size INTEGER NOT NULL DEFAULT 0,"
     " project_id INTEGER NOT NULL DEFAULT 0, delete_with_instance INTEGER NOT NULL DEFAULT 0,"
     " attached_at INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
     "CREATE INDEX cbs_disks_owner ON cbs_disks (owner_uin, state);"
     "CREATE INDEX cbs_disks_instance ON cbs_disks (instance_id);"
     "CREATE INDEX cbs_disks_state ON cbs_disks (state);"
     "CREATE TABLE cbs_snapshots (snapshot_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, zone TEXT NOT NULL,"
     " project_id INTEGER NOT NULL DEFAULT 0, disk_id TEXT NOT NULL, disk_size INTEGER NOT NULL, disk_usage TEXT NOT "
     "NULL,"
     " name TEXT NOT NULL, state TEXT NOT NULL, percent INTEGER NOT NULL DEFAULT 0, deadline INTEGER NOT NULL DEFAULT "
     "0,"
     " tags TEXT NOT NULL DEFAULT '[]', file_bytes INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',"
     " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
     "CREATE INDEX cbs_snapshots_owner ON cbs_snapshots (owner_uin, state);"
     "CREATE INDEX cbs_snapshots_disk ON cbs_snapshots (disk_id, state);"
     "CREATE TABLE cbs_client_tokens (owner_uin TEXT NOT NULL, token TEXT NOT NULL, disk_ids TEXT NOT NULL,"
     " created INTEGER NOT NULL, PRIMARY KEY (owner_uin, token));"},
    /* billing: a prepaid disk whose period ended and was not renewed */
    {2, "ALTER TABLE cbs_disks ADD COLUMN restrict_state TEXT NOT NULL DEFAULT 'NORMAL';"},
    /* the joined host that holds the disk's file ('' = the built-in host's DATA/disks, or no file yet) */
    {3, "ALTER TABLE cbs_disks ADD COLUMN host_id TEXT NOT NULL DEFAULT '';"},
    /* the joined host that holds the snapshot's file, its disk's host ('' = the built-in host's DATA/snapshots) */
    {4, "ALTER TABLE cbs_snapshots ADD COLUMN host_id TEXT NOT NULL DEFAULT '';"},
    /* the hot-plug port an attached disk is on, as its joined host reports (-1 unknown): a live migration plugs it
     * on the same port of the target's QEMU */
    {5, "ALTER TABLE cbs_disks ADD COLUMN plug_port INTEGER NOT NULL DEFAULT -1;"},
    /* the built-in host's disks and snapshots (host_id '': its DATA/disks and DATA/snapshots, driven by a disk
     * worker) are now its document's like any host's: they name it */
    {6, "UPDATE cbs_disks SET host_id = '" HOST_BUILTIN_ID "' WHERE host_id = '';"
        "UPDATE cbs_snapshots SET host_id = '" HOST_BUILTIN_ID "' WHERE host_id = '';"},
};

/* disks in a dedicated cluster (cbs CreateDisks Placement.DedicatedClusterId): their own chain */
static const struct migration block_cdc_migrations[] = {
    {1, "ALTER TABLE cbs_disks ADD COLUMN dedicated_cluster_id TEXT NOT NULL DEFAULT '';"},
};

int block_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "block", block_migrations, sizeof block_migrations / sizeof block_migrations[0], err,
                         errlen) != 0
               ? -1
               : store_migrate(s, "block_cdc", block_cdc_migrations,
                               sizeof block_cdc_migrations / sizeof block_cdc_migrations[0], err, errlen);
}

/* The region of a disk or snapshot is the region of its zone (api/regions.c asks). */
static int zone_row_region(struct api_ctx *ctx, const char *sql, const char *id, char region[64])
{
    struct store_stmt *q = store_query(ctx->store, sql, "ss", id, ctx->who.owner_uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        config_zone_region(ctx->config, store_text(q, 0), region);
    store_done(q);
    return rc < 0 ? -1 : rc;
}

static int disk_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return zone_row_region(ctx, "SELECT zone FROM cbs_disks WHERE disk_id = ? AND owner_uin = ?", id, region);
}

static int snapshot_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return zone_row_region(ctx, "SELECT zone FROM cbs_snapshots WHERE snapshot_id = ? AND owner_uin = ?", id, region);
}

static const struct regional_kind cbs_kinds[] = {
    {"cbs", "volume", "disk", E_INVALID_DISK_ID_NOT_FOUND, disk_region},
    {"cbs", "snap", "snapshot", E_INVALID_SNAPSHOT_ID_NOT_FOUND, snapshot_region},
};

void block_register(void)
{
    api_register_regional(cbs_kinds, sizeof cbs_kinds / sizeof cbs_kinds[0]);
    disk_register();
    snapshot_register();
    block_usage_register();
    disk_inquiry_register();
}

/* The hosts' documents changed: the built-in host's channel makes its next one at once; a joined host gets its
 * own at its next heartbeat. */
void block_kick(void) { compute_kick(); }

/* The meters of the disks that go with an instance. */
static int meter_disks_of(struct store *s, const char *instance_id)
{
    struct store_stmt *q = store_query(
        s, "SELECT disk_id FROM cbs_disks WHERE instance_id = ? AND state = '" DISK_TERMINATING "'", "s", instance_id);
    if (!q)
        return -1;
    char ids[64][24];
    int n = 0, rc;
    while ((rc = store_step(q)) == STORE_FOUND && n < 64)
        snprintf(ids[n++], 24, "%s", store_text(q, 0));
    store_done(q);
    for (int i = 0; rc >= 0 && i < n; i++)
        if (block_meter_disk(s, ids[i]) != 0)
            rc = -1;
    return rc < 0 ? -1 : 0;
}

int block_instance_terminated(struct store *s, const char *instance_id)
{
    int own = store_unit_begin(s);
    if (own < 0)
        return -1;
    int64_t now = time_now();
    int ok = store_exec(s,
                        "UPDATE cbs_disks SET state = '" DISK_TERMINATING "', updated = ? WHERE instance_id = ?"
                        " AND delete_with_instance = 1 AND state != '" DISK_TERMINATING "'",
                        "is", now, instance_id) >= 0 &&
             meter_disks_of(s, instance_id) == 0 &&
             store_exec(
                 s,
                 "UPDATE cbs_disks SET state = CASE WHEN state IN ('" DISK_ATTACHING "', '" DISK_ATTACHED
                 "', '" DISK_DETACHING "') THEN '" DISK_UNATTACHED "'"
                 " ELSE state END, last_instance_id = instance_id, instance_id = '', updated = ? WHERE instance_id = ?",
                 "is", now, instance_id) >= 0;
    ok = store_unit_end(s, own, ok) == 0;
    if (ok)
        block_kick();
    return ok ? 0 : -1;
}
