/* block_int.h: what the block files share (not for other services; see block.h). */
#ifndef YUN_BLOCK_INT_H
#define YUN_BLOCK_INT_H

#include <stdint.h>

#include "api/api.h"
#include "block/block.h"

struct disk_row {
    char disk_id[24], owner_uin[24], zone[64], name[130], disk_type[32], charge_type[32], state[24];
    char instance_id[24], last_instance_id[24], source_snapshot[24], error[256], tags[2048];
    int64_t size_gib, pending_size, project_id, created, attached_at;
    int delete_with_instance;
    char restrict_state[16]; /* NORMAL, or EXPIRED: a prepaid period ended and was not renewed */
    char cluster_id[40];     /* the dedicated cluster it lives in, or "" */
    char host_id[40];        /* the host holding its file (host_disks.c) */
};
/* STORE_FOUND, STORE_NOT_FOUND (also TERMINATING) or STORE_ERROR. owner NULL = any owner. */
int disk_load(struct store *s, const char *owner_uin, const char *disk_id, struct disk_row *out);
extern const char *const disk_types_all[];
int64_t disk_gib_quota(struct api_ctx *ctx);                          /* the account's GiB of disks; -1 error */
int disk_usage_of(struct api_ctx *ctx, int64_t *disks, int64_t *gib); /* what it has: 0, or -1 */
/* A disk of an instance being migrated is not resized or snapshotted (the move copies it off its host): -1 with
 * api_fail naming what (a verb), 0 when instance_id is '' or not migrating */
int block_refuse_migrating(struct api_ctx *ctx, const char *instance_id, const char *what);
void disk_register(void);         /* disk.c */
void snapshot_register(void);     /* snapshot.c */
void disk_inquiry_register(void); /* disk_inquiry.c */

/* usage.c: sets a disk's or snapshot's meter from its row (run in the change's transaction) */
int block_meter_disk(struct store *s, const char *disk_id);
int block_meter_snapshot(struct store *s, const char *snapshot_id);
void block_usage_register(void); /* what billing may do to disks */

#endif
