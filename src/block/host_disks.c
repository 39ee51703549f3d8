/*
 * host_disks: cloud disks on their hosts. yun has no shared storage, so a disk's file lives on one host, the
 * built-in one of `yun up` (DATA/disks) like any joined host (its DIR/disks): cbs_disks.host_id. CreateDisks puts
 * a disk on a host of its zone (compute's host_pool_disk_host) and no file is made; a disk that holds no data yet
 * (Blank: never attached, not restored from a snapshot) moves to the host of the instance it is first attached
 * to (host_id set in the attach's transaction), where that host makes its file. From then on it stays on its host
 * after a detach and attaches again only to instances there. The control plane touches no host's files: the
 * host's document (compute/host_doc.c) lists every disk it holds, and the host makes, plugs, unplugs and
 * removes files by that list and reports what it did; here the report moves a disk on (ATTACHING ->
 * ATTACHED, DETACHING -> UNATTACHED, back with the error on a failure), only from the state the host acted
 * for and for the instance it acted on (EXPANDING -> the new size, ResizeDisk), and a TERMINATING disk is
 * deleted once the host reports, for the current document, that it no longer holds the file. Snapshots of
 * its disks stay on the host as well (cbs_snapshots.host_id): the document lists them, the host makes and
 * removes their files and restores disks from them there (DUMPING), by the same kind of report. A live migration
 * between joined hosts (compute/migration.c) carries the attached disks: the host reports where each is plugged
 * (plug_port, for the target's QEMU), the move's documents list them, and the move's record takes their host_id
 * along (their snapshots stay).
 */
#include <stdio.h>
#include <string.h>

#include "block/block_int.h"
#include "block/states.h"
#include "compute/host_channel.h"

json_t *block_host_disks(struct store *s, const char *host_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT disk_id, size_gib, state, instance_id, last_instance_id,"
                                       " pending_size, source_snapshot FROM cbs_disks"
                                       " WHERE host_id = ? AND state != '" DISK_TERMINATING "' ORDER BY disk_id",
                                       "s", host_id);
    if (!q)
        return NULL;
    json_t *disks = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        const char *id = store_text(q, 0), *state = store_text(q, 2);
        char file[40];
        snprintf(file, sizeof file, "%s.qcow2", id);
        /* Blank: never attached yet (its first attach makes an empty file, its snapshot is an empty copy, growing
         * it unattached changes nothing there); any other missing file is a loss the host reports, never replaced
         * by an empty one */
        int blank = (!strcmp(state, DISK_ATTACHING) || !strcmp(state, DISK_UNATTACHED) ||
                     (!strcmp(state, DISK_EXPANDING) && !store_text(q, 3)[0])) &&
                    !store_text(q, 4)[0] && !store_text(q, 6)[0];
        json_array_append_new(disks, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:b}", "DiskId", id, "File", file, "Serial",
                                               id, "SizeGiB", (json_int_t)store_int(q, 1), "State", state, "InstanceId",
                                               store_text(q, 3), "Blank", blank));
        json_t *last = json_array_get(disks, json_array_size(disks) - 1);
        if (!strcmp(state, DISK_EXPANDING)) /* ResizeDisk: the size it grows to */
            json_object_set_new(last, "PendingGiB", json_integer(store_int(q, 5)));
        if (!strcmp(state, "DUMPING")) /* CreateDisks from a snapshot this host holds: the copy to make */
            json_object_set_new(last, "Snapshot", json_string(store_text(q, 6)));
    }
    store_done(q);
    if (rc < 0) {
        json_decref(disks);
        return NULL;
    }
    return disks;
}

/* (the state the host acted for, what it saw) -> the disk's new state; going UNATTACHED clears instance_id, and
 * a detach records it as the last instance (a failed first attach leaves the disk blank: it held no data) */
static const struct {
    const char *from, *seen, *to;
    int detached;
} rules[] = {
    {DISK_ATTACHING, "ATTACHED", DISK_ATTACHED, 0},
    {DISK_ATTACHING, "FAILED", DISK_UNATTACHED, 0},
    {DISK_DETACHING, "DETACHED", DISK_UNATTACHED, 1},
    {DISK_DETACHING, "FAILED", DISK_ATTACHED, 0},
};

/* What goes once the host no longer holds its file: TERMINATING disks, DELETING snapshots */
static const struct gone {
    const char *select, *delete, *key, *what;
    int (*meter)(struct store *s, const char *id);
} gone_disks = {"SELECT disk_id FROM cbs_disks WHERE host_id = ? AND state = '" DISK_TERMINATING "' ORDER BY disk_id",
                "DELETE FROM cbs_disks WHERE disk_id = ? AND host_id = ? AND state = '" DISK_TERMINATING "'", "DiskId",
                "disk", block_meter_disk},
  gone_snapshots = {"SELECT snapshot_id FROM cbs_snapshots WHERE host_id = ? AND state = '" SNAPSHOT_DELETING
                    "' ORDER BY snapshot_id",
                    "DELETE FROM cbs_snapshots WHERE snapshot_id = ? AND host_id = ? AND state = '" SNAPSHOT_DELETING
                    "'",
                    "SnapshotId", "snapshot", block_meter_snapshot};

/* the host's report of the current document no longer names these: their files are gone, the rows (and their
 * meters) go */
static int delete_unreported(struct store *s, const struct gone *g, const char *host_id, json_t *items)
{
    struct store_stmt *q = store_query(s, g->select, "s", host_id);
    char ids[64][24];
    int n = 0, changed = 0;
    while (q && n < 64 && store_step(q) == 1)
        snprintf(ids[n++], sizeof ids[0], "%s", store_text(q, 0));
    store_done(q);
    if (!q)
        return -1;
    for (int k = 0; k < n; k++) {
        int own = host_report_names(items, g->key, ids[k]) ? -1 : store_unit_begin(s);
        if (own < 0 ||
            store_unit_end(s, own, store_exec(s, g->delete, "ss", ids[k], host_id) == 1 && g->meter(s, ids[k]) == 0))
            continue;
        changed++;
        log_info("%s %s: deleted, %s removed its file", g->what, ids[k], host_id);
    }
    return changed;
}

/* EXPANDING: RESIZED (to the size asked for) gives the disk its new size and meter, FAILED its old one back */
static int resized(struct store *s, const char *host_id, const char *id, const char *instance, const char *seen,
                   json_t *item, const char *detail)
{
    const char *back = "CASE WHEN instance_id = '' THEN '" DISK_UNATTACHED "' ELSE '" DISK_ATTACHED "' END";
    char sql[400];
    int64_t now = time_now();
    if (!strcmp(seen, "FAILED")) {
        snprintf(sql, sizeof sql,
                 "UPDATE cbs_disks SET pending_size = 0, state = %s, error = ?, updated = ? WHERE disk_id = ?"
                 " AND host_id = ? AND state = '" DISK_EXPANDING "' AND instance_id = ?",
                 back);
        int rc = store_exec(s, sql, "sisss", detail && *detail ? detail : "the host could not resize the disk", now, id,
                            host_id, instance);
        if (rc == 1)
            log_warn("disk %s on %s: the resize failed: %s", id, host_id, detail ? detail : "");
        return rc == 1;
    }
    int own = strcmp(seen, "RESIZED") ? -1 : store_unit_begin(s);
    if (own < 0)
        return 0;
    snprintf(sql, sizeof sql,
             "UPDATE cbs_disks SET size_gib = pending_size, pending_size = 0, state = %s, error = '', updated = ?"
             " WHERE disk_id = ? AND host_id = ? AND state = '" DISK_EXPANDING "' AND instance_id = ?"
             " AND pending_size = ?",
             back);
    int rc = store_exec(s, sql, "isssi", now, id, host_id, instance,
                        (int64_t)json_integer_value(json_object_get(item, "SizeGiB")));
    if (store_unit_end(s, own, rc == 1 && block_meter_disk(s, id) == 0) != 0)
        return 0;
    log_info("disk %s on %s: resized", id, host_id);
    return 1;
}

int block_host_report(struct store *s, const char *host_id, json_t *items, int done_current)
{
    if (!json_is_array(items))
        return 0;
    int changed = 0;
    int64_t now = time_now();
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        const char *id = json_string_value(json_object_get(it, "DiskId"));
        const char *instance = json_string_value(json_object_get(it, "InstanceId"));
        const char *for_state = json_string_value(json_object_get(it, "For"));
        const char *seen = json_string_value(json_object_get(it, "Seen"));
        const char *detail = json_string_value(json_object_get(it, "Detail"));
        if (!id || !instance || !for_state || !seen)
            continue;
        if (!strcmp(for_state, DISK_EXPANDING)) {
            changed += resized(s, host_id, id, instance, seen, it, detail);
            continue;
        }
        if (!strcmp(for_state, "DUMPING")) { /* a disk restored from a snapshot, or not (then it goes) */
            int failed = !strcmp(seen, "FAILED");
            if (!failed && strcmp(seen, "RESTORED"))
                continue;
            int rc = store_exec(s,
                                "UPDATE cbs_disks SET state = ?, error = ?, updated = ? WHERE disk_id = ?"
                                " AND host_id = ? AND state = 'DUMPING'",
                                "ssiss", failed ? DISK_TERMINATING : DISK_UNATTACHED,
                                failed ? (detail && *detail ? detail : "the host could not restore it") : "", now, id,
                                host_id);
            if (rc == 1 && failed && block_meter_disk(s, id) != 0)
                log_warn("disk %s: its meter could not be stopped", id);
            if (rc == 1)
                log_info("disk %s on %s: %s", id, host_id, failed ? "the restore failed" : "restored");
            changed += rc == 1;
            continue;
        }
        if (!instance[0])
            continue;
        /* an attached disk's trouble (not plugged at a boot, its file lost) is shown until the next operation, as
         * the built-in worker's errors are */
        json_t *port = json_object_get(it, "Port");
        if (!strcmp(for_state, DISK_ATTACHED) && !strcmp(seen, "ATTACHED") && json_is_integer(port) &&
            json_integer_value(port) >= 0 && json_integer_value(port) < 64) {
            /* where it is plugged, kept for a live migration (written only when it changed; not a change of state) */
            store_exec(
                s,
                "UPDATE cbs_disks SET plug_port = ? WHERE disk_id = ? AND host_id = ? AND state = '" DISK_ATTACHED
                "' AND instance_id = ? AND plug_port <> ?",
                "isssi", (int64_t)json_integer_value(port), id, host_id, instance, (int64_t)json_integer_value(port));
            continue;
        }
        if (!strcmp(for_state, DISK_ATTACHED) && !strcmp(seen, "FAILED")) {
            const char *why = detail && *detail ? detail : "the host reported a failure";
            changed += store_exec(s,
                                  "UPDATE cbs_disks SET error = ?, updated = ? WHERE disk_id = ? AND host_id = ?"
                                  " AND state = '" DISK_ATTACHED "' AND instance_id = ? AND error <> ?",
                                  "sissss", why, now, id, host_id, instance, why) == 1;
            continue;
        }
        for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
            if (strcmp(rules[r].from, for_state) || strcmp(rules[r].seen, seen))
                continue;
            char why[300] = "";
            if (!strcmp(seen, "FAILED"))
                snprintf(why, sizeof why, "%.290s", detail && *detail ? detail : "the host reported a failure");
            int unattach = !strcmp(rules[r].to, DISK_UNATTACHED);
            /* only from the state it acted for, on the instance it acted on, on this host: else overtaken */
            int rc = store_exec(s,
                                unattach ? "UPDATE cbs_disks SET state = ?, last_instance_id = CASE WHEN ? = 1 THEN"
                                           " instance_id ELSE last_instance_id END, instance_id = '', plug_port = -1,"
                                           " error = ?,"
                                           " updated = ? WHERE disk_id = ? AND host_id = ? AND state = ? AND"
                                           " instance_id = ?"
                                         : "UPDATE cbs_disks SET state = ?, error = CASE WHEN ? = 1 THEN '' ELSE ?"
                                           " END, updated = ? WHERE disk_id = ? AND host_id = ? AND state = ? AND"
                                           " instance_id = ?",
                                "sisissss", rules[r].to, (int64_t)rules[r].detached, why, now, id, host_id, for_state,
                                instance);
            if (rc == 1) {
                changed++;
                log_info("disk %s on %s (%s): %s -> %s%s%s", id, host_id, instance, for_state, rules[r].to,
                         why[0] ? ": " : "", why);
            }
            break;
        }
    }
    if (done_current) {
        int n = delete_unreported(s, &gone_disks, host_id, items);
        if (n > 0)
            changed += n;
    }
    return changed;
}

json_t *block_host_snapshots(struct store *s, const char *host_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT snapshot_id, disk_id, state FROM cbs_snapshots WHERE host_id = ?"
                                       " AND state IN ('" SNAPSHOT_CREATING "', '" SNAPSHOT_NORMAL "')"
                                       " ORDER BY snapshot_id",
                                       "s", host_id);
    if (!q)
        return NULL;
    json_t *snaps = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        char file[40];
        snprintf(file, sizeof file, "%s.qcow2", store_text(q, 0));
        json_array_append_new(snaps, json_pack("{s:s,s:s,s:s,s:s}", "SnapshotId", store_text(q, 0), "DiskId",
                                               store_text(q, 1), "File", file, "State", store_text(q, 2)));
    }
    store_done(q);
    if (rc < 0) {
        json_decref(snaps);
        return NULL;
    }
    return snaps;
}

/* a snapshot made (MADE, with its file's bytes) or not (FAILED: it goes, and its disk shows why) */
static int snapshot_made(struct store *s, const char *host_id, const char *id, json_t *item, int failed,
                         const char *detail)
{
    int64_t now = time_now();
    if (failed) {
        char why[300];
        snprintf(why, sizeof why, "%.290s", detail && *detail ? detail : "the host could not make it");
        int rc = store_exec(s,
                            "UPDATE cbs_snapshots SET state = '" SNAPSHOT_DELETING "', error = ?, updated = ?"
                            " WHERE snapshot_id = ? AND host_id = ? AND state = '" SNAPSHOT_CREATING "'",
                            "siss", why, now, id, host_id);
        if (rc == 1) {
            char msg[360];
            snprintf(msg, sizeof msg, "snapshot %.24s failed: %s", id, why);
            store_exec(s,
                       "UPDATE cbs_disks SET error = ?, updated = ? WHERE disk_id = (SELECT disk_id FROM cbs_snapshots"
                       " WHERE snapshot_id = ?)",
                       "sis", msg, now, id);
            log_warn("snapshot %s on %s failed: %s", id, host_id, why);
        }
        return rc == 1;
    }
    int own = store_unit_begin(s);
    if (own < 0 ||
        store_unit_end(s, own,
                       store_exec(s,
                                  "UPDATE cbs_snapshots SET state = '" SNAPSHOT_NORMAL
                                  "', percent = 100, file_bytes = ?, updated = ?"
                                  " WHERE snapshot_id = ? AND host_id = ? AND state = '" SNAPSHOT_CREATING "'",
                                  "iiss", (int64_t)json_integer_value(json_object_get(item, "Bytes")), now, id,
                                  host_id) == 1 &&
                           block_meter_snapshot(s, id) == 0) != 0)
        return 0;
    log_info("snapshot %s on %s: made", id, host_id);
    return 1;
}

int block_host_snapshot_report(struct store *s, const char *host_id, json_t *items, int done_current)
{
    if (!json_is_array(items))
        return 0;
    int changed = 0;
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        const char *id = json_string_value(json_object_get(it, "SnapshotId"));
        const char *for_state = json_string_value(json_object_get(it, "For"));
        const char *seen = json_string_value(json_object_get(it, "Seen"));
        if (id && for_state && seen && !strcmp(for_state, SNAPSHOT_CREATING) &&
            (!strcmp(seen, "MADE") || !strcmp(seen, "FAILED")))
            changed += snapshot_made(s, host_id, id, it, !strcmp(seen, "FAILED"),
                                     json_string_value(json_object_get(it, "Detail")));
    }
    if (!done_current)
        return changed;
    int n = delete_unreported(s, &gone_snapshots, host_id, items);
    return changed + (n > 0 ? n : 0);
}

int block_migration_disks(struct store *s, const char *instance_id, char *why, size_t len)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT d.disk_id, d.state, d.plug_port, (SELECT count(*) FROM cbs_snapshots n WHERE n.disk_id ="
                    " d.disk_id AND n.state = '" SNAPSHOT_CREATING "') FROM cbs_disks d WHERE d.instance_id = ?"
                    " AND d.state != '" DISK_TERMINATING "' ORDER BY d.disk_id",
                    "s", instance_id);
    int rc, n = 0, refused = 0;
    while (q && (rc = store_step(q)) == 1) {
        n++;
        if (refused)
            continue;
        const char *id = store_text(q, 0), *state = store_text(q, 1);
        if (strcmp(state, DISK_ATTACHED)) /* attaching, detaching, growing: the disk's set or size may change */
            snprintf(why, len, "its cloud disk %s is %s; migrate it once the disk is ATTACHED.", id, state);
        else if (store_int(q, 2) < 0)
            snprintf(why, len, "its host has not yet reported where its cloud disk %s is plugged; try again.", id);
        else if (store_int(q, 3) > 0)
            snprintf(why, len, "a snapshot of its cloud disk %s is being made; try again once it is NORMAL.", id);
        else
            continue;
        refused = 1;
    }
    store_done(q);
    if (!q || rc < 0)
        return -1;
    return refused ? -2 : n;
}

json_t *block_migration_disk_list(struct store *s, const char *instance_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT disk_id, size_gib, plug_port FROM cbs_disks WHERE instance_id = ?"
                                       " AND state = '" DISK_ATTACHED "' ORDER BY disk_id",
                                       "s", instance_id);
    if (!q)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(q)) == 1)
        json_array_append_new(list, json_pack("{s:s,s:I,s:s,s:I}", "DiskId", store_text(q, 0), "SizeGiB",
                                              (json_int_t)store_int(q, 1), "Serial", store_text(q, 0), "Port",
                                              (json_int_t)store_int(q, 2)));
    store_done(q);
    if (rc < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

int block_migration_moved(struct store *s, const char *instance_id, const char *from, const char *to)
{
    /* the files: the target's copy is the disk from now on, the source removes its own once its document drops it;
     * the disks' snapshots stay on from (cbs_snapshots.host_id), where disks are still made from them */
    int rc = store_exec(s,
                        "UPDATE cbs_disks SET host_id = ?, updated = ? WHERE instance_id = ? AND host_id = ?"
                        " AND state != '" DISK_TERMINATING "'",
                        "siss", to, time_now(), instance_id, from);
    if (rc > 0)
        log_info("instance %s: %d cloud disk(s) moved with it from %s to %s", instance_id, rc, from, to);
    return rc;
}
