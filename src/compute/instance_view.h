/*
 * instance_view: read-only views of instances for other services (cloud block storage) that must
 * not reach into compute's tables directly: an instance's state, zone, run directory and host, and the
 * system disk every instance has. Every lookup is scoped to the owner's account.
 */
#ifndef YUN_COMPUTE_INSTANCE_VIEW_H
#define YUN_COMPUTE_INSTANCE_VIEW_H

#include <stdint.h>

#include "store/store.h"

struct instance_info {
    char instance_id[24];
    char owner_uin[24];
    char state[24]; /* PENDING, RUNNING, STOPPED, ... (never TERMINATED: those are "not found") */
    char zone[64];
    char name[130];
    char charge_type[32];
    int64_t project_id;
    int64_t created;   /* unix seconds */
    char run_dir[700]; /* DATA/instances/<id>: the hypervisor driver's run directory */
    char system_disk_id[24];
    char system_disk_type[32];
    int64_t system_disk_size;   /* GiB */
    char system_disk_path[720]; /* run_dir/system.qcow2 */
    char sold_by[24];           /* "" or the product that sells it (lighthouse): other products' views skip it */
    char joined_host[40];       /* the joined host it is placed on, or "" (the built-in host) */
    char host_id[40];           /* the host it is placed on, the built-in one (HOST_BUILTIN_ID) included */
    int migrating;              /* a live migration of it is under way (migration.c) */
};

/* STORE_FOUND (out filled), STORE_NOT_FOUND (no such live instance for owner_uin), STORE_ERROR.
 * owner_uin NULL = any owner (internal callers that already hold an instance id). */
int compute_instance_info(struct store *s, const char *owner_uin, const char *instance_id, struct instance_info *out);

/* The instance whose system disk is disk_id, for owner_uin: STORE_FOUND, STORE_NOT_FOUND or STORE_ERROR. */
int compute_system_disk_owner(struct store *s, const char *owner_uin, const char *disk_id, struct instance_info *out);

/* Calls fn for each live instance of owner_uin (in creation order) until fn returns non-zero.
 * Returns 0, fn's non-zero value, or -1 on a store error. */
int compute_each_instance(struct store *s, const char *owner_uin, int (*fn)(const struct instance_info *in, void *arg),
                          void *arg);

#endif
