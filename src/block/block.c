/*
 * block: the service's tables, registration, the worker thread and the hooks compute calls
 * (an instance terminated; an instance's hypervisor started and needs its disks plugged again).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "block/block_int.h"
#include "block/codes.h"
#include "block/states.h"
#include "host/hypervisor.h"

#define SWEEP_MIN_AGE_S 60 /* files younger than this may belong to a transaction still in flight */

char block_data_dir[512];
pthread_mutex_t block_io_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t worker;
static int started, running, kicked;

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

void block_kick(void)
{
    pthread_mutex_lock(&mu);
    kicked = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

/* Removes files of DIR that no record owns (a crash between a file's rename and its commit; a blank disk's
 * file whose disk went to a joined host) and leftover NAME.tmp files. Runs before the first job. */
static void sweep(struct store *s, const char *sub, const char *prefix)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/%s", block_data_dir, sub);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char id[64], path[1000];
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0 || n >= sizeof id)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || time(NULL) - st.st_mtime < SWEEP_MIN_AGE_S)
            continue;
        memcpy(id, e->d_name, n + 1); /* n < sizeof id */
        char *dot = strchr(id, '.');
        if (!dot)
            continue;
        int tmp = strstr(e->d_name, ".tmp") != NULL;
        *dot = 0;
        /* a disk placed on a joined host has its file there: a blank one left here is no record's either */
        struct store_stmt *q =
            !strcmp(sub, "disks")
                ? store_query(s, "SELECT 1 FROM cbs_disks WHERE disk_id = ? AND host_id = ''", "s", id)
                : store_query(s, "SELECT 1 FROM cbs_snapshots WHERE snapshot_id = ? AND host_id = ''", "s", id);
        int rc = q ? store_step(q) : -1;
        store_done(q);
        if (tmp || rc == 0) {
            log_info("block: removing %s (%s)", path, tmp ? "unfinished" : "no record");
            unlink(path);
        }
    }
    closedir(d);
}

static void *worker_main(void *arg)
{
    (void)arg;
    struct store *s = store_thread();
    if (s) {
        pthread_mutex_lock(&block_io_mu);
        sweep(s, "disks", "disk-");
        sweep(s, "snapshots", "snap-");
        pthread_mutex_unlock(&block_io_mu);
    }
    pthread_mutex_lock(&mu);
    while (running) {
        int was_kicked = kicked;
        kicked = 0;
        pthread_mutex_unlock(&mu);
        int n = 0;
        if (s) {
            /* the kick comes from inside the request's transaction: taking the write lock once waits for its commit */
            if (was_kicked && store_begin(s) == STORE_OK)
                store_commit(s);
            n = block_worker_pass(s);
        }
        pthread_mutex_lock(&mu);
        if (running && !kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long wait_ms = n ? 100 : 1000;
            ts.tv_sec += wait_ms / 1000;
            ts.tv_nsec += (wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&cv, &mu, &ts);
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

void block_start(const char *data_dir)
{
    char sub[700];
    pthread_mutex_lock(&mu);
    snprintf(block_data_dir, sizeof block_data_dir, "%s", data_dir);
    snprintf(sub, sizeof sub, "%s/disks", data_dir);
    if (mkdir_p(sub, 0700) != 0)
        log_warn("block: cannot create %s: %s", sub, strerror(errno));
    snprintf(sub, sizeof sub, "%s/snapshots", data_dir);
    if (mkdir_p(sub, 0700) != 0)
        log_warn("block: cannot create %s: %s", sub, strerror(errno));
    if (!started) {
        running = 1;
        if (pthread_create(&worker, NULL, worker_main, NULL) == 0)
            started = 1;
        else
            running = 0;
    }
    kicked = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

void block_stop(void)
{
    pthread_mutex_lock(&mu);
    int was = started;
    running = 0;
    started = 0;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (was)
        pthread_join(worker, NULL);
}

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

int block_reattach(struct store *s, const char *instance_id, const char *run_dir)
{
    char ids[BLOCK_MAX_ATTACHED * 2][24];
    int n = 0, failed = 0;
    pthread_mutex_lock(&block_io_mu);
    struct store_stmt *q = store_query(s,
                                       "SELECT disk_id, size_gib,"
                                       " CASE WHEN last_instance_id = '' AND source_snapshot = '' THEN 1 ELSE 0 END"
                                       " FROM cbs_disks WHERE instance_id = ? AND host_id = ''"
                                       " AND state IN ('" DISK_ATTACHED "', '" DISK_ATTACHING "', '" DISK_EXPANDING
                                       "') ORDER BY attached_at, rowid",
                                       "s", instance_id);
    int64_t sizes[BLOCK_MAX_ATTACHED * 2];
    int blank[BLOCK_MAX_ATTACHED * 2];
    while (q && n < (int)(sizeof ids / sizeof ids[0]) && store_step(q) == 1) {
        sizes[n] = store_int(q, 1);
        blank[n] = store_int(q, 2) != 0;
        snprintf(ids[n++], sizeof ids[0], "%s", store_text(q, 0));
    }
    store_done(q);
    if (!q)
        failed = 1;
    for (int i = 0; i < n; i++) {
        char path[700], tmp[720], err[512] = "";
        if (block_disk_path(block_data_dir, ids[i], path, sizeof path) != 0)
            continue;
        struct stat st;
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        /* a disk made at launch (DataDisks) gets its file at the instance's first start */
        if (blank[i] && stat(path, &st) != 0 &&
            (hv_driver()->create_empty_disk(tmp, sizes[i] * 1024LL * 1024 * 1024, err, sizeof err) != HV_OK ||
             bio_commit_file(tmp, path) != 0)) {
            unlink(tmp);
            log_warn("disk %s: cannot make its file: %s", ids[i], err);
        }
        int present = hv_driver()->disk_plugged(run_dir, ids[i], err, sizeof err);
        if (present == 1)
            continue;
        if (present < 0 || hv_driver()->attach_disk(run_dir, ids[i], path, err, sizeof err) != HV_OK) {
            if (!err[0])
                snprintf(err, sizeof err, "the instance's hypervisor does not answer");
            log_warn("disk %s: re-plug into %s failed: %s", ids[i], instance_id, err);
            store_exec(s, "UPDATE cbs_disks SET error = ?, updated = ? WHERE disk_id = ?", "sis", err, time_now(),
                       ids[i]);
            failed = 1;
        }
    }
    pthread_mutex_unlock(&block_io_mu);
    return failed ? -1 : 0;
}
