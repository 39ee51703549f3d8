/*
 * block (service cbs, 2017-03-12): cloud block storage. Data disks are qcow2 files in the DIR/disks of the host
 * that holds them (the built-in host's DATA/disks, a joined host's own: cbs_disks.host_id, host_disks.c) that attach
 * to instances by hot plug (the disk id is the guest-visible virtio serial: /sys/block/vdX/serial); snapshots are full
 * qcow2 copies in that host's DIR/snapshots, taken by a backup job while the guest runs (consistent at one instant
 * while it writes) or by a file copy when no guest holds the disk.
 *
 * Actions record the wanted state in one transaction (ATTACHING, DETACHING, EXPANDING, DUMPING, snapshot CREATING
 * ...) and return; the host does the slow part by its document (src/host/realise.c), each step idempotent and
 * written under a temporary name then renamed, so after a crash the same step runs again and no half-made file is
 * ever visible under a real name, and its report moves the records on. This service touches no file and speaks to no
 * hypervisor.
 */
#ifndef YUN_BLOCK_H
#define YUN_BLOCK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CBS "2017-03-12"

/* per-account quotas */
#define BLOCK_DISK_QUOTA   50    /* data disks */
#define BLOCK_GIB_QUOTA    10000 /* total GiB of data disks */
#define BLOCK_MAX_ATTACHED 8     /* data disks per instance: the QEMU driver's hot-plug ports */

/* ---- hooks for the daemon and compute ---- */
int block_migrate(struct store *s, char *err, size_t errlen);
void block_register(void);
void block_kick(void); /* an action changed what a host holds: the built-in host's channel acts at once */
/* The instance is gone (its QEMU destroyed): its disks become UNATTACHED, those marked
 * DeleteWithInstance are deleted. Runs in the caller's transaction if one is open. 0 or -1. */
int block_instance_terminated(struct store *s, const char *instance_id);

/* ---- disks on joined hosts (host_disks.c), for compute's host documents ---- */
/* The disks whose files host_id holds, for its document: [{DiskId, File, Serial, SizeGiB, State, InstanceId,
 * Blank}] (every disk there but those being deleted); NULL on a store error. */
json_t *block_host_disks(struct store *s, const char *host_id);
/* The host's report of its disks ([{DiskId, InstanceId, For, Seen, Detail}]): ATTACHING and DETACHING move on
 * from the state the host acted for; with done_current (the report is of the current document) the TERMINATING
 * disks it no longer reports are deleted. Returns how many disks changed. */
int block_host_report(struct store *s, const char *host_id, json_t *items, int done_current);
/* The snapshots whose files host_id holds (its disks'), for its document: [{SnapshotId, DiskId, File, State}]
 * (CREATING: to make, NORMAL: to keep); NULL on a store error. */
json_t *block_host_snapshots(struct store *s, const char *host_id);
/* The host's report of its snapshots ([{SnapshotId, For, Seen: MADE | HELD | FAILED, Bytes, Detail}]): CREATING
 * becomes NORMAL (or goes, FAILED); with done_current the DELETING snapshots it no longer reports are deleted. */
int block_host_snapshot_report(struct store *s, const char *host_id, json_t *items, int done_current);
/* Live migration (compute/migration.c) carries an instance's cloud disks. block_migration_disks: how many it
 * carries, -2 when one cannot move now (not ATTACHED, its plug port not reported yet, a snapshot being made: why
 * says so), -1 on a store error. block_migration_disk_list: them for the hosts' documents, [{DiskId, SizeGiB,
 * Serial, Port}] (NULL on error). block_migration_moved: in the transaction that records the move, the disks'
 * host_id goes from `from` to `to` (their snapshots stay); how many, -1 on error. */
int block_migration_disks(struct store *s, const char *instance_id, char *why, size_t len);
json_t *block_migration_disk_list(struct store *s, const char *instance_id);
int block_migration_moved(struct store *s, const char *instance_id, const char *from, const char *to);

/* ---- RunInstances' DataDisks (launch.c): new empty disks attached from the launch ---- */
struct api_ctx;
/* Refuses (api_fail, -1) DataDisks that cannot be made for `instances` instances: sizes, types, quota. */
int block_launch_check(struct api_ctx *ctx, int64_t instances);
/* Records the request's DataDisks attached to instance_id, placed on its host host_id, in the launch's
 * transaction: 0, or -1 (api_fail). */
int block_launch_disks(struct api_ctx *ctx, const char *instance_id, const char *zone, int64_t project_id,
                       const char *host_id);

/* The instance's data disks as DescribeInstances shows them (the SDK's DataDisk objects); [] on a store error. */
json_t *block_instance_data_disks(struct store *s, const char *instance_id);

/* ---- rules (rules.c): pure, unit-tested ---- */
enum block_op { BOP_ATTACH, BOP_DETACH, BOP_TERMINATE, BOP_RESIZE, BOP_SNAPSHOT, BOP_COUNT };
/* NULL if op is allowed on a disk in state (with attached_here = attached to the instance the
 * request names), else the error code to answer. */
const char *block_op_refused(enum block_op op, const char *state, int attached_here);
/* The state an API shows for an internal state ("TERMINATING" is never shown). */
const char *block_state_public(const char *state);
/* Quota check: NULL if `add_disks` disks of `add_gib` GiB more fit next to have_disks/have_gib,
 * else the LimitExceeded.* code. */
const char *block_quota_refused(int64_t have_disks, int64_t have_gib, int64_t add_disks, int64_t add_gib);
/* The same with the account's GiB quota (its tier's, or BLOCK_GIB_QUOTA). */
const char *block_quota_refused_within(int64_t have_disks, int64_t have_gib, int64_t add_disks, int64_t add_gib,
                                       int64_t max_gib);
/* "disk-" / "snap-" + 8 of [a-z0-9] */
int block_id_valid(const char *prefix, const char *id);
/* Minimum and maximum DiskSize (GiB) for a disk type; 0 if the type cannot be created alone. */
int block_size_range(const char *disk_type, int64_t *min, int64_t *max);

#endif
