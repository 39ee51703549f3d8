/*
 * compute: the service's tables, registration, the billing event record, and the host role's
 * start on this machine (host registration with its capacity and accelerator, the built-in
 * image, the default network, reconciliation, controller and metadata service).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/block.h"
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "host/hypervisor.h"
#include "network/network.h"

struct compute_env compute_env;

static const struct migration compute_migrations[] = {
    {1,
     "CREATE TABLE hosts (host_id TEXT PRIMARY KEY, zone TEXT NOT NULL, hostname TEXT NOT NULL, cores INTEGER NOT NULL,"
     " vcpus INTEGER NOT NULL, memory_mib INTEGER NOT NULL, accel TEXT NOT NULL, accel_reason TEXT NOT NULL,"
     " state TEXT NOT NULL, updated INTEGER NOT NULL);"
     "CREATE TABLE images (image_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL DEFAULT '', name TEXT NOT NULL,"
     " image_type TEXT NOT NULL, os_name TEXT NOT NULL, platform TEXT NOT NULL, architecture TEXT NOT NULL,"
     " size_gib INTEGER NOT NULL, kernel TEXT, initrd TEXT, disk TEXT, state TEXT NOT NULL, source TEXT NOT NULL,"
     " created INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '', builtin TEXT UNIQUE);"
     "CREATE TABLE key_pairs (key_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, name TEXT NOT NULL,"
     " project_id INTEGER NOT NULL, public_key TEXT NOT NULL, created INTEGER NOT NULL, UNIQUE (owner_uin, name));"
     "CREATE TABLE instances (instance_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, uuid TEXT NOT NULL,"
     " zone TEXT NOT NULL, host_id TEXT NOT NULL, instance_type TEXT NOT NULL, cpu INTEGER NOT NULL,"
     " memory_gib INTEGER NOT NULL, image_id TEXT NOT NULL, name TEXT NOT NULL, hostname TEXT NOT NULL,"
     " charge_type TEXT NOT NULL, state TEXT NOT NULL, latest_op TEXT, latest_op_state TEXT, latest_op_request TEXT,"
     " stop_type TEXT, reason TEXT NOT NULL DEFAULT '', private_ip TEXT NOT NULL, mac TEXT NOT NULL,"
     " system_disk_size INTEGER NOT NULL, system_disk_type TEXT NOT NULL, system_disk_id TEXT NOT NULL,"
     " key_ids TEXT NOT NULL DEFAULT '[]', password_hash TEXT, user_data BLOB, tags TEXT NOT NULL DEFAULT '[]',"
     " project_id INTEGER NOT NULL DEFAULT 0, security_groups TEXT NOT NULL DEFAULT '[]',"
     " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
     "CREATE INDEX instances_owner ON instances (owner_uin, state);"
     "CREATE INDEX instances_host ON instances (host_id, state);"
     "CREATE TABLE instance_events (id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL,"
     " owner_uin TEXT NOT NULL, time INTEGER NOT NULL, state TEXT NOT NULL, instance_type TEXT NOT NULL,"
     " zone TEXT NOT NULL, charge_type TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX instance_events_instance ON instance_events (instance_id, id);"
     "CREATE TABLE client_tokens (owner_uin TEXT NOT NULL, token TEXT NOT NULL, instance_ids TEXT NOT NULL,"
     " created INTEGER NOT NULL, PRIMARY KEY (owner_uin, token));"
     "CREATE TABLE host_addresses (ip TEXT PRIMARY KEY, instance_id TEXT NOT NULL UNIQUE);"},
    /* instances live in VPC subnets; addresses come from the network service's IPAM */
    {2, "ALTER TABLE instances ADD COLUMN vpc_id TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE instances ADD COLUMN subnet_id TEXT NOT NULL DEFAULT '';"
        "DROP TABLE host_addresses;"},
    /* imported images were described by the host path they came from, which tenants read */
    {3, "UPDATE images SET description = '' WHERE source = 'IMPORT';"},
    /* billing: how a stop charges (StopInstances StoppedMode), and what billing restricts */
    {4, "ALTER TABLE instances ADD COLUMN stopped_mode TEXT NOT NULL DEFAULT 'KEEP_CHARGING';"
        "ALTER TABLE instances ADD COLUMN restrict_state TEXT NOT NULL DEFAULT 'NORMAL';"},
    /* application images (images/recipes): the kernel command line and memory minimum from the
     * image's manifest.json, and the manifest itself (blueprint fields the lighthouse service reads) */
    {5, "ALTER TABLE images ADD COLUMN cmdline TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE images ADD COLUMN min_memory_mib INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE images ADD COLUMN manifest TEXT NOT NULL DEFAULT '';"},
    /* instances another product sells (lighthouse): only that product sees and drives them */
    {6, "ALTER TABLE instances ADD COLUMN sold_by TEXT NOT NULL DEFAULT '';"},
    /* hosts that join over the host channel (host_channel.h): joined, whether they can realise
     * instances yet, their heartbeat, revocation and disk; the region CA (key sealed); the
     * single-use join tokens, secret hashed */
    {7, "ALTER TABLE hosts ADD COLUMN joined INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE hosts ADD COLUMN realises INTEGER NOT NULL DEFAULT 1;"
        "ALTER TABLE hosts ADD COLUMN last_heartbeat INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE hosts ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE hosts ADD COLUMN disk_gib INTEGER NOT NULL DEFAULT 0;"
        "CREATE TABLE host_ca (region TEXT PRIMARY KEY, cert_pem TEXT NOT NULL, key_sealed BLOB NOT NULL,"
        " created INTEGER NOT NULL);"
        "CREATE TABLE host_join_tokens (token_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL,"
        " expires INTEGER NOT NULL, created INTEGER NOT NULL, used_by TEXT NOT NULL DEFAULT '',"
        " used_at INTEGER NOT NULL DEFAULT 0);"},
    /* the address other hosts reach a host's VXLAN endpoint at (the network plan's Underlay and Remotes) */
    {8, "ALTER TABLE hosts ADD COLUMN underlay TEXT NOT NULL DEFAULT '';"},
    /* live migration between joined hosts (migration.c): the host an instance is moving to, how far the move
     * is (PREPARING, READY), the target's NBD port (the migration stream's is the next), when it began; and a
     * host being drained takes no new instances */
    {9, "ALTER TABLE instances ADD COLUMN migrate_to TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE instances ADD COLUMN migrate_state TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE instances ADD COLUMN migrate_port INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE instances ADD COLUMN migrate_started INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE hosts ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;"},
};

/* Regions (a chain of its own): key pairs and private images are regional and record theirs;
 * instances do not, their zone says it (config_zone_region). Rows made before are in the
 * daemon's default region (compute_regions_backfill). */
static const struct migration compute_region_migrations[] = {
    {1, "ALTER TABLE key_pairs ADD COLUMN region TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE images ADD COLUMN region TEXT NOT NULL DEFAULT '';"},
};

/* Placement groups (DisasterRecoverGroup, placement_group.c), a chain of its own so it never
 * races another branch for compute's next number: regional, per account; an instance names the
 * group it was launched into and is a member while it holds resources. */
static const struct migration compute_placement_migrations[] = {
    {1, "CREATE TABLE placement_groups (group_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, region TEXT NOT NULL,"
        " name TEXT NOT NULL, type TEXT NOT NULL, created INTEGER NOT NULL);"
        "CREATE INDEX placement_groups_owner ON placement_groups (owner_uin, region);"
        "ALTER TABLE instances ADD COLUMN placement_group_id TEXT NOT NULL DEFAULT '';"
        "CREATE INDEX instances_placement_group ON instances (placement_group_id, state);"},
};

int compute_migrate(struct store *s, char *err, size_t errlen)
{
    if (store_migrate(s, "compute", compute_migrations, sizeof compute_migrations / sizeof compute_migrations[0], err,
                      errlen) ||
        store_migrate(s, "compute_regions", compute_region_migrations,
                      sizeof compute_region_migrations / sizeof compute_region_migrations[0], err, errlen) ||
        store_migrate(s, "compute_placement", compute_placement_migrations,
                      sizeof compute_placement_migrations / sizeof compute_placement_migrations[0], err, errlen))
        return -1;
    return host_pool_migrate(s, err, errlen) || host_console_migrate(s, err, errlen) ? -1 : 0;
}

int compute_regions_backfill(struct store *s, const char *region)
{
    return store_exec(s, "UPDATE key_pairs SET region = ? WHERE region = ''", "s", region) < 0 ||
                   store_exec(s, "UPDATE images SET region = ? WHERE region = '' AND owner_uin != ''", "s", region) < 0
               ? -1
               : 0;
}

/* For AssociateAddress: an instance of the account, its primary address and VPC. */
static int instance_lookup(struct store *s, const char *owner_uin, const char *instance_id, char private_ip[16],
                           char vpc_id[24])
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT private_ip, vpc_id FROM instances WHERE instance_id = ? AND owner_uin = ?"
                    " AND state NOT IN ('" INSTANCE_TERMINATED "', '" INSTANCE_TERMINATING "')",
                    "ss", instance_id, owner_uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1) {
        snprintf(private_ip, 16, "%s", store_text(q, 0));
        snprintf(vpc_id, 24, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc < 0 ? -1 : rc;
}

void compute_register(void)
{
    network_set_instance_lookup(instance_lookup);
    compute_register_regions();
    catalog_register();
    keypair_register();
    operator_hosts_register();
    migration_register();
    instance_register();
    compute_usage_register();
    inquiry_register();
    dedicated_host_register();
    placement_group_register();
}

/* The state history, one row per state change; and the meter billing reads (usage.c). */
int compute_events_record(struct store *s, const char *instance_id, const char *state, const char *detail)
{
    return store_exec(s,
                      "INSERT INTO instance_events (instance_id, owner_uin, time, state, instance_type, zone, "
                      "charge_type, detail)"
                      " SELECT instance_id, owner_uin, ?, ?, instance_type, zone, charge_type, ? FROM instances WHERE "
                      "instance_id = ?",
                      "isss", time_now(), state, detail ? detail : "", instance_id) < 0 ||
                   compute_meter(s, instance_id) != 0
               ? -1
               : 0;
}

int instance_set_state(struct store *s, const char *instance_id, const char *from, const char *state,
                       const char *op_state, const char *reason)
{
    int own = store_unit_begin(s);
    if (own < 0) {
        log_error("instance %s: cannot record %s: the store is busy (%s)", instance_id, state, store_errmsg(s));
        return -1;
    }
    /* only from the state the step started in: an action recorded meanwhile (a terminate while the
     * launch ran) must not be overwritten; the controller takes it up next */
    int rc = store_exec(
        s,
        "UPDATE instances SET state = ?, latest_op_state = coalesce(?, latest_op_state), reason = ?, updated = ?"
        " WHERE instance_id = ? AND (CAST(? AS TEXT) IS NULL OR state = ?)",
        "sssisss", state, op_state, reason ? reason : "", time_now(), instance_id, from, from);
    if (rc == 0) {
        store_unit_end(s, own, 0);
        return 1;
    }
    if (store_unit_end(s, own, rc == 1 && compute_events_record(s, instance_id, state, reason) == 0) != 0) {
        /* every caller applies a host's report, applied again with its next one: say why it did not stick */
        log_error("instance %s: cannot record %s: %s", instance_id, state, store_errmsg(s));
        return -1;
    }
    return 0;
}

int instance_terminated(struct store *s, const char *instance_id, const char *owner_uin)
{
    int own = store_unit_begin(s);
    if (own < 0)
        return -1;
    int ok =
        network_release_instance_ips(s, owner_uin, instance_id) >= 0 &&
        block_instance_terminated(s, instance_id) == 0 &&
        store_exec(s,
                   "UPDATE instances SET state = '" INSTANCE_TERMINATED "', latest_op_state = 'SUCCESS', updated = ?"
                   " WHERE instance_id = ? AND state = '" INSTANCE_TERMINATING "'",
                   "is", time_now(), instance_id) == 1 &&
        compute_events_record(s, instance_id, INSTANCE_TERMINATED, NULL) == 0;
    if (store_unit_end(s, own, ok) != 0) {
        log_error("instance %s: the termination could not be recorded (%s); retried on the next pass", instance_id,
                  store_errmsg(s));
        return -1;
    }
    return 0;
}

static long memory_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? (long)((long long)pages * size / (1024 * 1024)) : 0;
}

/* The size of the file system holding the data directory (disks and images live there). */
static int64_t disk_gib(const char *dir)
{
    struct statvfs v;
    return statvfs(dir, &v) == 0 ? (int64_t)(((unsigned long long)v.f_blocks * v.f_frsize) >> 30) : 0;
}

/* The built-in host's VXLAN endpoint: the host channel's listen address, when it is one other hosts
 * can reach (not a wildcard or loopback); "" keeps its VPCs on this host alone. */
static const char *builtin_underlay(void)
{
    static char addr[sizeof compute_env.cfg->host_listen];
    snprintf(addr, sizeof addr, "%s", compute_env.cfg->host_listen);
    char *colon = strrchr(addr, ':');
    if (colon)
        *colon = 0;
    unsigned a, b, c, d;
    char extra;
    if (sscanf(addr, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a == 0 || a == 127 || a >= 224 || b > 255 ||
        c > 255 || d > 255)
        addr[0] = 0;
    return addr;
}

/* Runs images/build-tiny.sh next to the binary (or a seed it finds) into DATA/images/tiny. */
static int build_image(char *err, size_t errlen)
{
    char exe[PATH_MAX], dir[PATH_MAX], script[PATH_MAX + 64], seed[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(err, errlen, "cannot find the yun binary");
        return -1;
    }
    exe[n] = 0;
    snprintf(dir, sizeof dir, "%s", dirname(exe));
    snprintf(script, sizeof script, "%s/../images/build-tiny.sh", dir);
    snprintf(seed, sizeof seed, "%s/images/tiny", dir);
    if (access(seed, F_OK) != 0)
        snprintf(seed, sizeof seed, "%s/../build/images/tiny", dir);
    if (access(script, X_OK) != 0) {
        snprintf(err, errlen, "image recipe %.180s not found", script);
        return -1;
    }
    char seed_env[PATH_MAX + 80];
    snprintf(seed_env, sizeof seed_env, "YUN_IMAGE_SEED=%s", seed);
    char *argv[] = {"env", seed_env, script, compute_env.image_dir, NULL};
    char why[400];
    if (run_command(argv, NULL, NULL, 0, why, sizeof why) != 0) {
        snprintf(err, errlen, "building the built-in image failed: %.200s", why);
        return -1;
    }
    return 0;
}

void compute_api_start(const struct config *cfg)
{
    compute_env.cfg = cfg;
    snprintf(compute_env.data_dir, sizeof compute_env.data_dir, "%s", cfg->data_dir);
    snprintf(compute_env.image_dir, sizeof compute_env.image_dir, "%s/images/tiny", cfg->data_dir);
}

int compute_host_start(const struct config *cfg, struct store *s, char *err, size_t errlen)
{
    compute_api_start(cfg);
    char hostname[128] = "localhost";
    gethostname(hostname, sizeof hostname - 1);
    snprintf(compute_env.host_id, sizeof compute_env.host_id, "%s", HOST_BUILTIN_ID);
    if (!strcmp(cfg->accel, "auto")) {
        snprintf(compute_env.accel, sizeof compute_env.accel, "%s",
                 hv_detect_accel(compute_env.accel_reason, sizeof compute_env.accel_reason));
    } else {
        snprintf(compute_env.accel, sizeof compute_env.accel, "%s", cfg->accel);
        snprintf(compute_env.accel_reason, sizeof compute_env.accel_reason, "set in the configuration");
    }
    const struct region_conf *r = config_find_region(cfg, cfg->region);
    const char *zone = cfg->host_zone[0] ? cfg->host_zone : r->zones[0].zone;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    int vcpus = (int)(cores * cfg->cpu_overcommit);

    /* the host, its image and its network; a failure leaves the host UNAVAILABLE with the reason */
    char why[256] = "";
    mkdir_p(compute_env.image_dir, 0700);
    if (build_image(why, sizeof why) != 0 || catalog_register_builtin(s, compute_env.image_dir) != 0) {
        if (!why[0])
            snprintf(why, sizeof why, "cannot register the built-in image: %s", store_errmsg(s));
    }
    catalog_register_built(s, compute_env.data_dir); /* blueprint images built by `yun admin images build` */
    compute_env.host_ready = why[0] == 0;
    snprintf(compute_env.host_error, sizeof compute_env.host_error, "%s", why);
    int rc = store_exec(
        s,
        "INSERT INTO hosts (host_id, zone, hostname, cores, vcpus, memory_mib, disk_gib, accel, accel_reason, state,"
        " updated, underlay) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host_id) DO UPDATE SET"
        " zone = excluded.zone, hostname = excluded.hostname, cores = excluded.cores, vcpus = excluded.vcpus,"
        " memory_mib = excluded.memory_mib, disk_gib = excluded.disk_gib, accel = excluded.accel,"
        " accel_reason = excluded.accel_reason, state = excluded.state, updated = excluded.updated,"
        " underlay = excluded.underlay",
        "sssiiiisssis", compute_env.host_id, zone, hostname, (int64_t)cores, (int64_t)vcpus, (int64_t)memory_mib(),
        disk_gib(compute_env.data_dir), compute_env.accel, compute_env.accel_reason,
        compute_env.host_ready ? HOST_AVAILABLE : HOST_UNAVAILABLE, time_now(), builtin_underlay());
    if (rc < 0) {
        snprintf(err, errlen, "cannot register the host: %s", store_errmsg(s));
        return -1;
    }
    printf("  host         : %s in %s, %ld cores (%d vCPUs to sell), %ld MiB, accelerator %s (%s)\n",
           compute_env.host_id, zone, cores, vcpus, memory_mib(), compute_env.accel, compute_env.accel_reason);
    if (!compute_env.host_ready) {
        snprintf(err, errlen, "%s", why);
        printf("  host role    : UNAVAILABLE: %s\n", why);
        return -1;
    }
    if (host_local_start(s, err, errlen) != 0)
        return -1;
    return 0;
}

void compute_host_stop(struct store *s)
{
    host_local_stop();
    metadata_sync(NULL);
    /* no host role runs its realiser now: launches, disks and moves go elsewhere or are refused (the other processes
     * of a region see it) until the next start registers it again; a kill -9 leaves it AVAILABLE */
    if (s && store_exec(s,
                        "UPDATE hosts SET state = '" HOST_UNAVAILABLE
                        "', updated = ? WHERE host_id = ? AND state = '" HOST_AVAILABLE "'",
                        "is", time_now(), compute_env.host_id) < 0)
        log_warn("host %s: cannot record that it stopped: %s", compute_env.host_id, store_errmsg(s));
}
