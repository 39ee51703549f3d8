/*
 * compute (service cvm, 2017-03-12): regions and zones, instance types, images, key pairs and
 * instances. Actions record the desired state and return at once; the controller (controller.c)
 * drives each instance there step by step through the hypervisor driver (src/host), persisting
 * every step, and picks up after a restart from what the store says and what really runs.
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

/* scheduler.c */
struct host_capacity {
    char host_id[40];
    char zone[64];
    int vcpus_total; /* cores x overcommit */
    int vcpus_used;
    int64_t memory_mib_total, memory_mib_used;
};
/* Index of the host for (cpu, memory) among n, or -1: "spread" takes the emptiest, "pack" the fullest that fits. */
int scheduler_pick(const struct host_capacity *hosts, int n, const char *zone, int cpu, int64_t memory_mib,
                   const char *policy);

/* catalog.c */
struct instance_type {
    const char *name, *family;
    int cpu, memory_gib;
};
const struct instance_type *instance_type_find(const char *name);
extern const struct instance_type instance_types[];

/* service life cycle (compute.c) */
int compute_migrate(struct store *s, char *err, size_t errlen);
/* Key pairs and private images stored before regions were recorded belong to region. */
int compute_regions_backfill(struct store *s, const char *region);
void compute_register(void);
/* Host role on this machine: registers the host, prepares its network, reconciles and starts the
 * controller and the metadata service. Returns 0, or -1 with err when instances cannot run here
 * (the API still answers; launches fail with a reason). */
/* What the API needs of the host's configuration, without the host role (yun up --no-host). */
void compute_api_start(const struct config *cfg);
int compute_host_start(const struct config *cfg, struct store *s, char *err, size_t errlen);
void compute_host_stop(void);
void compute_kick(void); /* wake the controller: an action recorded new desired state */

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
/* Moves an instance from `from` (NULL = whatever it is) to state; 0 done, 1 it was no longer in `from`, -1 error. */
int instance_set_state(struct store *s, const char *instance_id, const char *from, const char *state,
                       const char *op_state, const char *reason);

/* metadata.c: one listener per VPC with instances on this host, inside the VPC's router
 * namespace; plan = the host's network plan (NULL stops every listener). */
void metadata_sync(json_t *plan);

/* catalog.c, keypair.c, instance.c */
void catalog_register(void);
int catalog_register_builtin(struct store *s, const char *image_dir);
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
