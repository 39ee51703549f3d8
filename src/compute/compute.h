/*
 * compute (service cvm, 2017-03-12): regions and zones, instance types, images, key pairs and
 * instances. Actions record the desired state and return at once; the host an instance is placed on
 * realises it from its document (src/host/realise.c: the built-in host's fed in-process by
 * host_local.c, a joined host's over the channel) and reports what it saw, which moves the state on.
 */
#ifndef YUN_COMPUTE_H
#define YUN_COMPUTE_H

#include "api/api.h"

#define CVM "2017-03-12"

/* region.c */
void compute_register_regions(void);
/* 1 if a host (any state) is in a zone of region: where disks can be stored; 0 none, -1 error */
int compute_region_has_host(struct store *s, const struct config *cfg, const char *region);

/* state.c: the instance state machine, as data. */
enum op { OP_START, OP_STOP, OP_REBOOT, OP_TERMINATE, OP_RESET, OP_MODIFY, OP_COUNT };
/* 0 if op is allowed in state, else the UnsupportedOperation.* code to answer. */
const char *instance_op_refused(enum op op, const char *state);
int instance_state_transitional(const char *state);

/* scheduler.c: hosts are rows with capacity, each in one pool. Dedication is data: a host of the
 * shared pool takes any account's instances; a dedicated host (CDH) only its owner's, launched onto
 * it by id; a host of a dedicated cluster (CDC) only the cluster owner's, launched into the cluster.
 * A sellable host not yet allocated (pool dedicated, no owner) takes none. */
/* The built-in host of `yun up` (the host role of yund itself): its hosts row, and the host_id of what it holds */
#define HOST_BUILTIN_ID "host-local"
enum host_pool { HOST_POOL_SHARED, HOST_POOL_DEDICATED, HOST_POOL_CLUSTER };
#define HOST_POOL_SHARED_NAME    "shared"
#define HOST_POOL_DEDICATED_NAME "dedicated"
#define HOST_POOL_CLUSTER_NAME   "cluster"
struct host_capacity {
    char host_id[40];
    char zone[64];
    int vcpus_total; /* cores x overcommit */
    int vcpus_used;
    int64_t memory_mib_total, memory_mib_used;
    enum host_pool pool;
    char pool_owner[24]; /* the CDH's or the cluster's account; "" for shared or unsold */
    char pool_id[40];    /* the CDH id (host-...) or the cluster id (cluster-...) */
};
/* What one instance asks of placement. */
struct placement {
    const char *zone; /* NULL or "": any */
    int cpu;
    int64_t memory_mib;
    enum host_pool pool;
    const char *owner_uin;       /* the launching account (dedicated pools: must own the host) */
    const char *const *pool_ids; /* dedicated: the CDH ids asked for; cluster: the one cluster id */
    int npool_ids;               /* 0 = any of the owner's in the pool */
    const char *policy;          /* "spread" (default) or "pack" */
    /* A placement group (DisasterRecoverGroup): the hosts already holding one of its instances;
     * the new one goes to none of them (one instance of a group per host). */
    const char *const *group_hosts;
    int ngroup_hosts;
};
/* 1 if an instance of p may ever be placed on h (the pool filter, before capacity). */
int scheduler_eligible(const struct host_capacity *h, const struct placement *p);
/* 1 unless h already holds an instance of p's placement group. */
int scheduler_group_allows(const struct host_capacity *h, const struct placement *p);
/* Index of the host for p among n, or -1: "spread" takes the emptiest, "pack" the fullest that fits,
 * among the eligible hosts its placement group allows. */
int scheduler_place(const struct host_capacity *hosts, int n, const struct placement *p);
/* The shared pool: scheduler_place for any account's instance of (cpu, memory). */
int scheduler_pick(const struct host_capacity *hosts, int n, const char *zone, int cpu, int64_t memory_mib,
                   const char *policy);
enum host_pool host_pool_parse(const char *name); /* unknown names are the shared pool */

/* host_pool.c: the hosts' pools in the store (component "hosts") */
int host_pool_migrate(struct store *s, char *err, size_t errlen);
/* Capacity and pool of every host that is available (or a joined host up) and can realise
 * instances (joined hosts cannot yet: realisation over the host channel is not built), in the
 * caller's transaction; n, or -1. */
int host_pool_capacity(struct store *s, struct host_capacity **hosts);
/* Moves host_id to pool (owner, pool_id for a cluster); refused (-1 with err) when it holds
 * instances of another pool, is an allocated CDH, or the zone does not match. 0 done. */
int host_pool_set(struct store *s, const char *host_id, enum host_pool pool, const char *owner_uin, const char *pool_id,
                  const char *zone, char *err, size_t errlen);
/* The hosts of one pool id (a cluster), each as the cdc HostInfo object; NULL on error. */
json_t *host_pool_hosts(struct store *s, enum host_pool pool, const char *pool_id);
/* The pool of the host instance_id is placed on (pool_id: the cluster id for a cluster, else ""); -1 error. */
int host_pool_of_instance(struct store *s, const char *instance_id, char pool_id[40]);
/* 1 the instance runs on a joined host (src/host/realise.c realises it), 0 on the built-in one, -1 error: what
 * only the built-in host does yet (console output, reinstall, cloud disks) is refused for the first. */
int host_is_joined_of_instance(struct store *s, const char *instance_id);
/* Where CreateDisks puts a new disk of owner in zone (cluster: a dedicated cluster's id, or ""): an available host
 * of the pool that takes the owner's instances there, the built-in host first. Its file is made by that host at
 * the disk's first attach, or at its first snapshot; a disk that holds no data yet moves to the host of the
 * instance it is first attached to. 1 with host_id, 0 none, -1 error. */
int host_pool_disk_host(struct store *s, const char *zone, const char *owner_uin, const char *cluster_id,
                        char host_id[40]);
/* Instances holding resources on the hosts of pool_id: count; -1 error. */
int64_t host_pool_instances(struct store *s, enum host_pool pool, const char *pool_id);

/* dedicated_host.c: cvm AllocateHosts, DescribeHosts, and what billing may do to a CDH */
void dedicated_host_register(void);
/* 0 if every id is a RUNNING CDH of owner in zone, else -1 with the code answered on ctx. */
int dedicated_host_check(struct api_ctx *ctx, json_t *host_ids, const char *zone);

/* placement_group.c: placement groups (DisasterRecoverGroup), their actions */
void placement_group_register(void);
/* RunInstances of count more instances into group_id: the group must be the caller's in the
 * request's region with room for them. n, the hosts (up to max) its members are on, or -1 with the
 * code answered on ctx. */
int placement_group_hosts(struct api_ctx *ctx, const char *group_id, int64_t count, char hosts[][40], int max);

/* catalog.c */
struct instance_type {
    const char *name, *family;
    int cpu, memory_gib;
};
const struct instance_type *instance_type_find(const char *name);
/* CDH_<n>C<m>G, the size a CDHPAID instance takes of its dedicated host: 1 with out filled (its
 * name is the caller's string), 0 if name is not one. */
int instance_type_cdh(const char *name, struct instance_type *out);
extern const struct instance_type instance_types[];

/* service life cycle (compute.c) */
int compute_migrate(struct store *s, char *err, size_t errlen);
/* Key pairs and private images stored before regions were recorded belong to region. */
int compute_regions_backfill(struct store *s, const char *region);
void compute_register(void);
/* Host role on this machine: registers the host, builds its image, starts its realiser (host_local.c,
 * which also runs the metadata listeners). Returns 0, or -1 with err when instances cannot run here
 * (the API still answers; launches fail with a reason). */
/* What the API needs of the host's configuration, without the host role (yun up --no-host). */
void compute_api_start(const struct config *cfg);
int compute_host_start(const struct config *cfg, struct store *s, char *err, size_t errlen);
void compute_host_stop(struct store *s); /* the realiser stopped, the host row UNAVAILABLE */
/* host_local.c: the built-in host's migration credentials, its realiser and its in-process channel; 0 or -1 with err */
int host_local_start(struct store *s, char *err, size_t errlen);
void host_local_stop(void);
void compute_kick(void); /* wake the built-in host's channel (host_local.c): an action recorded new desired state */

/* helpers shared by the compute files */
struct compute_env {
    const struct config *cfg;
    char data_dir[512];
    char host_id[40];
    char accel[8];
    char accel_reason[256];
    char image_dir[600]; /* built-in image: DIR/images/tiny */
    int host_ready;      /* the host network and driver are usable */
    char host_error[256];
};
extern struct compute_env compute_env;

int compute_events_record(struct store *s, const char *instance_id, const char *state, const char *detail);
/* usage.c: sets the instance's meter from its row; registers what billing may do to instances */
int compute_meter(struct store *s, const char *instance_id);
void compute_usage_register(void);
/* Terminates every instance holding resources on host_id (a reclaimed CDH), in the caller's transaction. */
int compute_release_on_host(struct store *s, const char *host_id, const char *reason);

/* ClientToken idempotence (client_token.c): the ids an earlier call of the account with this token made (NULL:
 * none), and recording a first use in the caller's transaction. scope names the action ("" for RunInstances). */
json_t *client_token_ids(struct store *s, const char *owner_uin, const char *scope, const char *token);
int client_token_record(struct store *s, const char *owner_uin, const char *scope, const char *token, json_t *ids,
                        int64_t now);
/* Moves an instance from `from` (NULL = whatever it is) to state; 0 done, 1 it was no longer in `from`, -1 error. */
int instance_set_state(struct store *s, const char *instance_id, const char *from, const char *state,
                       const char *op_state, const char *reason);
/* A TERMINATING instance whose host no longer runs it: its addresses and disks given back, TERMINATED, in one
 * transaction; 0, or -1 (logged; the caller's next pass tries again). */
int instance_terminated(struct store *s, const char *instance_id, const char *owner_uin);

/* metadata.c: the built-in host's metadata listeners (src/host/metadata_listen.c) for plan's VPCs, answering
 * in-process (NULL stops every listener); what a joined host's guests are answered goes over the channel. */
void metadata_sync(json_t *plan);
/* What another service answers under /latest/meta-data/yun/ (GET) and /latest/yun/ (POST, e.g. a
 * guest reporting readiness) for the instance the metadata service identified: an HTTP status,
 * *body malloc'd (or NULL). Set by market at start; unset, those paths are 404. */
typedef int (*metadata_ext_fn)(struct store *s, const char *instance_id, const char *method, const char *path,
                               char **body);
void metadata_set_extension(metadata_ext_fn fn);

/* catalog.c, keypair.c, instance.c */
void catalog_register(void);
int catalog_register_builtin(struct store *s, const char *image_dir);
/* Registers (or refreshes) the image built in image_dir as the PUBLIC_IMAGE whose `builtin` is name
 * (one row per name, its ImageId made once and kept across rebuilds). With image_dir/manifest.json
 * (images/lib/base.sh writes it) the row takes ImageName = display_name, OsName = os_name, Platform,
 * ImageDescription = description, ImageSize = required_disk_gib, the kernel command line
 * (kernel_cmdline), min_memory_mib (required_memory_mib) and the whole manifest text; without one
 * (the tiny image) yun-tiny's fixed fields. State NORMAL when kernel, initrd and disk exist, else
 * UNAVAILABLE. 0 and id set, or -1 with err. Safe beside a running yund (one upsert). */
int catalog_register_image(struct store *s, const char *name, const char *image_dir, char id[20], char *err,
                           size_t errlen);
/* Registers every DATA/images/NAME holding a manifest.json (yund start); returns how many. */
int catalog_register_built(struct store *s, const char *data_dir);
/* STORE_FOUND with the id of the public image registered as `builtin` ("tiny", a blueprint's name) */
int catalog_builtin_id(struct store *s, const char *builtin, char id[20]);
/* Copies the image file at `file` into DATA/images/<id>/disk as a standalone qcow2 and registers it
 * (public, in every region; or private to owner_uin when not empty, in region); refuses images that
 * name other host files. */
int catalog_import_image(struct store *s, const char *data_dir, const char *file, const char *name, const char *os_name,
                         const char *owner_uin, const char *region, char id[20], char *err, size_t errlen);
void keypair_register(void);
void operator_hosts_register(void); /* operator_hosts.c: DescribeOperatorHosts (the operator only) */
void instance_register(void);
void inquiry_register(void); /* inquiry.c: InquiryPriceRunInstances */

/* launch_schema.c: the fields RunInstances and InquiryPriceRunInstances share */
extern const char *const launch_charge_types[];
extern const char *const launch_disk_types[];
extern const char *const launch_renew_flags[];
extern const char *const launch_internet_charge[];
extern const struct param launch_placement[];
extern const struct param launch_prepaid[];
extern const struct param launch_system_disk[];
extern const struct param launch_data_disk[];
extern const struct param launch_vpc[];
extern const struct param launch_internet[];
extern const struct param launch_login[];
extern const struct param launch_enabled[];
extern const struct param launch_enhanced[];

#endif
