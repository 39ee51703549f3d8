/*
 * worker: the slow half of every disk and snapshot operation. Each job reads the record, does
 * its step, and moves the record on only if it is still in the state the job started from (an
 * instance terminated meanwhile, for instance, wins). Files are written under NAME.tmp and
 * renamed when complete, and every step can run again after a crash: a restore whose file
 * exists is done, an attach whose disk is plugged is done, a backup job left in the hypervisor is
 * cancelled and started over. All hypervisor and disk-file work goes through hv_driver().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block_int.h"
#include "block/states.h"
#include "compute/instance_view.h"
#include "host/hypervisor.h"

#define GIB   (1024LL * 1024 * 1024)
#define BATCH 64

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int64_t file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_blocks * 512 : 0;
}

/* A disk record in any state, TERMINATING included. */
static int load_any(struct store *s, const char *disk_id, char state[24], char instance_id[24], int64_t *size,
                    int64_t *pending, char snapshot[24])
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT state, instance_id, size_gib, pending_size, source_snapshot FROM cbs_disks"
                    " WHERE disk_id = ?",
                    "s", disk_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        snprintf(state, 24, "%s", store_text(q, 0));
        snprintf(instance_id, 24, "%s", store_text(q, 1));
        *size = store_int(q, 2);
        *pending = store_int(q, 3);
        snprintf(snapshot, 24, "%s", store_text(q, 4));
    }
    store_done(q);
    return rc == 1 ? 0 : -1;
}

static void set_error(struct store *s, const char *disk_id, const char *err)
{
    if (store_exec(s, "UPDATE cbs_disks SET error = ?, updated = ? WHERE disk_id = ?", "sis", err, time_now(),
                   disk_id) < 0)
        log_error("disk %s: cannot record its error (%s): %s", disk_id, store_errmsg(s), err);
}

static void job_disk(struct store *s, const char *disk_id)
{
    char state[24], instance_id[24], snapshot[24], path[700], tmp[720], err[512] = "";
    int64_t size, pending, now = time_now();
    if (load_any(s, disk_id, state, instance_id, &size, &pending, snapshot) != 0 ||
        block_disk_path(block_data_dir, disk_id, path, sizeof path) != 0)
        return;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct instance_info in;
    int have_instance = instance_id[0] && compute_instance_info(s, NULL, instance_id, &in) == STORE_FOUND;
    const struct hypervisor_ops *hv = hv_driver();
    int plugged = have_instance ? hv->disk_plugged(in.run_dir, disk_id, NULL, 0) : -1;

    if (!strcmp(state, "DUMPING")) {
        char snap_path[700];
        int ok = exists(path);
        if (!ok && block_snapshot_path(block_data_dir, snapshot, snap_path, sizeof snap_path) == 0) {
            unlink(tmp);
            ok = hv->copy_disk(snap_path, tmp, err, sizeof err) == HV_OK &&
                 hv->resize_disk_file(tmp, size * GIB, err, sizeof err) == HV_OK && bio_commit_file(tmp, path) == 0;
            if (!ok)
                unlink(tmp);
        }
        if (ok) {
            store_exec(s,
                       "UPDATE cbs_disks SET state = '" DISK_UNATTACHED
                       "', updated = ? WHERE disk_id = ? AND state = 'DUMPING'",
                       "is", now, disk_id);
        } else {
            log_warn("disk %s: restore from %s failed: %s", disk_id, snapshot, err);
            store_exec(s,
                       "UPDATE cbs_disks SET state = '" DISK_TERMINATING
                       "', error = ?, updated = ? WHERE disk_id = ? AND state = 'DUMPING'",
                       "sis", err, now, disk_id);
        }
    } else if (!strcmp(state, DISK_ATTACHING)) {
        int rc = 0;
        if (!have_instance) {
            snprintf(err, sizeof err, "the instance %s is gone", instance_id);
            rc = -1;
        } else if (plugged == 0) { /* the instance runs without the disk: plug it. Stopped: plugged at start */
            rc = hv->attach_disk(in.run_dir, disk_id, path, err, sizeof err);
        }
        if (rc == 0)
            store_exec(s,
                       "UPDATE cbs_disks SET state = '" DISK_ATTACHED
                       "', updated = ? WHERE disk_id = ? AND state = '" DISK_ATTACHING "'",
                       "is", now, disk_id);
        else {
            log_warn("disk %s: attach to %s failed: %s", disk_id, instance_id, err);
            store_exec(s,
                       "UPDATE cbs_disks SET state = '" DISK_UNATTACHED
                       "', instance_id = '', last_instance_id = ?, error = ?, updated = ?"
                       " WHERE disk_id = ? AND state = '" DISK_ATTACHING "'",
                       "ssis", instance_id, err, now, disk_id);
        }
    } else if (!strcmp(state, DISK_DETACHING)) {
        int rc = plugged == 1 ? hv->detach_disk(in.run_dir, disk_id, err, sizeof err) : HV_OK;
        if (rc == 0)
            store_exec(s,
                       "UPDATE cbs_disks SET state = '" DISK_UNATTACHED
                       "', last_instance_id = instance_id, instance_id = '', updated = ?"
                       " WHERE disk_id = ? AND state = '" DISK_DETACHING "'",
                       "is", now, disk_id);
        else {
            log_warn("disk %s: detach from %s failed: %s", disk_id, instance_id, err);
            store_exec(s,
                       "UPDATE cbs_disks SET state = '" DISK_ATTACHED
                       "', error = ?, updated = ? WHERE disk_id = ? AND state = '" DISK_DETACHING "'",
                       "sis", err, now, disk_id);
        }
    } else if (!strcmp(state, DISK_EXPANDING)) {
        int rc = plugged == 1 ? hv->resize_disk(in.run_dir, disk_id, pending * GIB, err, sizeof err)
                              : hv->resize_disk_file(path, pending * GIB, err, sizeof err);
        if (rc == 0) {
            if (store_begin(s) != STORE_OK)
                return; /* retried on the next pass */
            if (store_exec(s,
                           "UPDATE cbs_disks SET size_gib = pending_size, pending_size = 0, updated = ?,"
                           " state = CASE WHEN instance_id = '' THEN '" DISK_UNATTACHED "' ELSE '" DISK_ATTACHED
                           "' END WHERE disk_id = ? AND state = '" DISK_EXPANDING "'",
                           "is", now, disk_id) < 0 ||
                block_meter_disk(s, disk_id) != 0 || store_commit(s) != STORE_OK)
                store_rollback(s);
        } else {
            log_warn("disk %s: resize failed: %s", disk_id, err);
            store_exec(s,
                       "UPDATE cbs_disks SET pending_size = 0, error = ?, updated = ?,"
                       " state = CASE WHEN instance_id = '' THEN '" DISK_UNATTACHED "' ELSE '" DISK_ATTACHED "' END"
                       " WHERE disk_id = ? AND state = '" DISK_EXPANDING "'",
                       "sis", err, now, disk_id);
        }
    } else if (!strcmp(state, DISK_TERMINATING)) {
        if (plugged == 1 && hv->detach_disk(in.run_dir, disk_id, err, sizeof err) != HV_OK) {
            log_warn("disk %s: unplug before delete failed: %s", disk_id, err);
            return; /* retried on the next pass */
        }
        unlink(tmp);
        if ((unlink(path) == 0 || errno == ENOENT) && store_begin(s) == STORE_OK) {
            if (store_exec(s, "DELETE FROM cbs_disks WHERE disk_id = ? AND state = '" DISK_TERMINATING "'", "s",
                           disk_id) < 0 ||
                block_meter_disk(s, disk_id) != 0 || store_commit(s) != STORE_OK)
                store_rollback(s);
        }
    }
}

static void job_snapshot(struct store *s, const char *snapshot_id)
{
    struct store_stmt *q =
        store_query(s, "SELECT state, disk_id FROM cbs_snapshots WHERE snapshot_id = ?", "s", snapshot_id);
    char state[24] = "", disk_id[24] = "";
    if (q && store_step(q) == 1) {
        snprintf(state, sizeof state, "%s", store_text(q, 0));
        snprintf(disk_id, sizeof disk_id, "%s", store_text(q, 1));
    }
    store_done(q);
    char path[700], tmp[720], err[512] = "";
    if (block_snapshot_path(block_data_dir, snapshot_id, path, sizeof path) != 0)
        return;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int64_t now = time_now();
    if (!strcmp(state, SNAPSHOT_DELETING)) {
        unlink(tmp);
        if ((unlink(path) == 0 || errno == ENOENT) && store_begin(s) == STORE_OK) {
            if (store_exec(s, "DELETE FROM cbs_snapshots WHERE snapshot_id = ? AND state = '" SNAPSHOT_DELETING "'",
                           "s", snapshot_id) < 0 ||
                block_meter_snapshot(s, snapshot_id) != 0 || store_commit(s) != STORE_OK)
                store_rollback(s);
        }
        return;
    }
    if (strcmp(state, SNAPSHOT_CREATING) != 0)
        return;
    int ok = exists(path);
    if (!ok) {
        char dstate[24], instance_id[24], snap[24], disk_path[700];
        int64_t size, pending;
        if (load_any(s, disk_id, dstate, instance_id, &size, &pending, snap) != 0 ||
            block_disk_path(block_data_dir, disk_id, disk_path, sizeof disk_path) != 0) {
            snprintf(err, sizeof err, "the disk %s is gone", disk_id);
        } else {
            struct instance_info in;
            int live = instance_id[0] && compute_instance_info(s, NULL, instance_id, &in) == STORE_FOUND &&
                       hv_driver()->disk_plugged(in.run_dir, disk_id, NULL, 0) == 1;
            unlink(tmp);
            /* live: the hypervisor copies the disk as it was when the job started while the guest goes on writing */
            ok = live ? hv_backup_copy(in.run_dir, disk_id, tmp, size * GIB, snapshot_id, err, sizeof err) == 0
                      : hv_driver()->copy_disk(disk_path, tmp, err, sizeof err) == HV_OK;
            ok = ok && bio_commit_file(tmp, path) == 0;
            if (!ok)
                unlink(tmp);
        }
    }
    if (ok) {
        if (store_begin(s) != STORE_OK)
            return;
        if (store_exec(s,
                       "UPDATE cbs_snapshots SET state = '" SNAPSHOT_NORMAL
                       "', percent = 100, file_bytes = ?, updated = ?"
                       " WHERE snapshot_id = ? AND state = '" SNAPSHOT_CREATING "'",
                       "iis", file_bytes(path), now, snapshot_id) < 0 ||
            block_meter_snapshot(s, snapshot_id) != 0 || store_commit(s) != STORE_OK)
            store_rollback(s);
    } else {
        log_warn("snapshot %s of %s failed: %s", snapshot_id, disk_id, err);
        store_exec(s,
                   "UPDATE cbs_snapshots SET state = '" SNAPSHOT_DELETING
                   "', error = ?, updated = ? WHERE snapshot_id = ? AND state = '" SNAPSHOT_CREATING "'",
                   "sis", err, now, snapshot_id);
        char msg[600];
        snprintf(msg, sizeof msg, "snapshot %.24s failed: %.500s", snapshot_id, err);
        set_error(s, disk_id, msg);
    }
}

/* A blank disk's first attach to an instance of a joined host placed it there: the empty file CreateDisks made
 * here goes (that host makes its own). */
static void drop_placed_elsewhere(struct store *s)
{
    struct store_stmt *q = store_query(
        s, "SELECT disk_id, host_id FROM cbs_disks WHERE host_id <> '' AND state = '" DISK_ATTACHING "' ORDER BY rowid",
        "");
    while (q && store_step(q) == 1) {
        char path[700];
        if (block_disk_path(block_data_dir, store_text(q, 0), path, sizeof path) == 0 && exists(path)) {
            pthread_mutex_lock(&block_io_mu);
            if (unlink(path) == 0)
                log_info("disk %s: placed on %s, its blank file here removed", store_text(q, 0), store_text(q, 1));
            pthread_mutex_unlock(&block_io_mu);
        }
    }
    store_done(q);
}

int block_worker_pass(struct store *s)
{
    char snaps[BATCH][24], disks[BATCH][24];
    int ns = 0, nd = 0;
    struct store_stmt *q = store_query(s,
                                       "SELECT snapshot_id FROM cbs_snapshots WHERE state IN ('" SNAPSHOT_CREATING
                                       "', '" SNAPSHOT_DELETING "') AND host_id = ''"
                                       " ORDER BY updated, rowid",
                                       "");
    while (q && ns < BATCH && store_step(q) == 1)
        snprintf(snaps[ns++], 24, "%s", store_text(q, 0));
    store_done(q);
    /* the disks whose files are on this (the built-in) host: a joined host's are its own, by its document */
    q = store_query(s,
                    "SELECT disk_id FROM cbs_disks WHERE state IN ('DUMPING', '" DISK_ATTACHING "', '" DISK_DETACHING
                    "', '" DISK_EXPANDING "', '" DISK_TERMINATING "') AND host_id = ''"
                    " ORDER BY updated, rowid",
                    "");
    while (q && nd < BATCH && store_step(q) == 1)
        snprintf(disks[nd++], 24, "%s", store_text(q, 0));
    store_done(q);
    drop_placed_elsewhere(s);
    for (int i = 0; i < ns; i++) {
        pthread_mutex_lock(&block_io_mu);
        job_snapshot(s, snaps[i]);
        pthread_mutex_unlock(&block_io_mu);
    }
    for (int i = 0; i < nd; i++) {
        pthread_mutex_lock(&block_io_mu);
        job_disk(s, disks[i]);
        pthread_mutex_unlock(&block_io_mu);
    }
    return ns + nd;
}
