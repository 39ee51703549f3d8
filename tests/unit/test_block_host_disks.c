/*
 * Cloud disks on joined hosts, the control plane's half (src/block/host_disks.c) against a real SQLite store:
 * what a host's document lists of its disks, and the table of reports: each (the disk's state, the report's
 * For/Seen/instance/host) with the state it leaves, so a report for another state, another instance or from
 * another host changes nothing; a resize counts only for the size asked; a TERMINATING disk goes only when the
 * host's report of the current document no longer names it; snapshots made, failed and deleted by the host's
 * report, and disks restored from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block/block.h"
#include "meter/meter.h"

static char dir[64], db[128];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/yun-hostdisks-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/yun.db", dir);
    char err[256];
    struct store *s = store_open(db, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(block_migrate(s, err, sizeof err), 0);
    assert_int_equal(meter_migrate(s, err, sizeof err), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    store_close(*state);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void disk_put(struct store *s, const char *state, const char *instance, const char *last, int64_t size,
                     int64_t pending)
{
    store_exec(s, "DELETE FROM cbs_disks", "");
    assert_int_equal(store_exec(s,
                                "INSERT INTO cbs_disks (disk_id, owner_uin, zone, name, disk_type, charge_type, state,"
                                " instance_id, last_instance_id, host_id, size_gib, pending_size, created, updated)"
                                " VALUES ('disk-aaaa0001', '100', 'z1', 'd', 'CLOUD_PREMIUM', 'POSTPAID_BY_HOUR', ?,"
                                " ?, ?, 'host-two', ?, ?, 0, 0)",
                                "sssii", state, instance, last, size, pending),
                     1);
}

static const char *col(struct store *s, const char *column)
{
    static char out[64];
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT %s FROM cbs_disks WHERE disk_id = 'disk-aaaa0001'", column);
    struct store_stmt *q = store_query(s, sql, "");
    assert_non_null(q);
    snprintf(out, sizeof out, "%s", store_step(q) == 1 ? store_text(q, 0) : "(gone)");
    store_done(q);
    return out;
}

static void test_document(void **state)
{
    struct store *s = *state;
    disk_put(s, "ATTACHING", "ins-b", "", 10, 0);
    json_t *disks = block_host_disks(s, "host-two");
    assert_int_equal(json_array_size(disks), 1);
    json_t *d = json_array_get(disks, 0);
    assert_string_equal(json_string_value(json_object_get(d, "DiskId")), "disk-aaaa0001");
    assert_string_equal(json_string_value(json_object_get(d, "File")), "disk-aaaa0001.qcow2");
    assert_string_equal(json_string_value(json_object_get(d, "Serial")), "disk-aaaa0001");
    assert_int_equal(json_integer_value(json_object_get(d, "SizeGiB")), 10);
    assert_true(json_is_true(json_object_get(d, "Blank")));
    json_decref(disks);
    disks = block_host_disks(s, "host-three"); /* another host is told nothing of it */
    assert_int_equal(json_array_size(disks), 0);
    json_decref(disks);
    disk_put(s, "ATTACHED", "ins-b", "ins-a", 10, 0); /* it held data: a lost file is never made anew */
    disks = block_host_disks(s, "host-two");
    assert_false(json_is_true(json_object_get(json_array_get(disks, 0), "Blank")));
    json_decref(disks);
    disk_put(s, "EXPANDING", "ins-b", "", 10, 30);
    disks = block_host_disks(s, "host-two");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(disks, 0), "PendingGiB")), 30);
    assert_false(json_is_true(json_object_get(json_array_get(disks, 0), "Blank"))); /* attached: its file is made */
    json_decref(disks);
    disk_put(s, "EXPANDING", "", "", 10, 30); /* never attached: no file to grow yet */
    disks = block_host_disks(s, "host-two");
    assert_true(json_is_true(json_object_get(json_array_get(disks, 0), "Blank")));
    json_decref(disks);
    disk_put(s, "UNATTACHED", "", "ins-a", 10, 0); /* detached: it held data */
    disks = block_host_disks(s, "host-two");
    assert_false(json_is_true(json_object_get(json_array_get(disks, 0), "Blank")));
    json_decref(disks);
    disk_put(s, "TERMINATING", "", "ins-b", 10, 0); /* being deleted: left out, so the host removes its file */
    disks = block_host_disks(s, "host-two");
    assert_int_equal(json_array_size(disks), 0);
    json_decref(disks);
}

static void test_reports(void **state)
{
    struct store *s = *state;
    static const struct {
        const char *state, *instance, *last; /* the disk before */
        const char *host, *for_state, *seen, *item_instance;
        int64_t size; /* a RESIZED report's size (the disk asks for 30) */
        const char *after, *after_instance, *after_last, *after_size;
    } cases[] = {
        {"ATTACHING", "ins-b", "", "host-two", "ATTACHING", "ATTACHED", "ins-b", 0, "ATTACHED", "ins-b", "", "10"},
        {"ATTACHING", "ins-b", "", "host-two", "ATTACHING", "FAILED", "ins-b", 0, "UNATTACHED", "", "", "10"},
        {"ATTACHING", "ins-b", "", "host-two", "ATTACHED", "ATTACHED", "ins-b", 0, "ATTACHING", "ins-b", "", "10"},
        {"ATTACHING", "ins-b", "", "host-two", "ATTACHING", "ATTACHED", "ins-c", 0, "ATTACHING", "ins-b", "", "10"},
        {"ATTACHING", "ins-b", "", "host-three", "ATTACHING", "ATTACHED", "ins-b", 0, "ATTACHING", "ins-b", "", "10"},
        {"ATTACHING", "ins-b", "", "host-two", "ATTACHING", "BUSY", "ins-b", 0, "ATTACHING", "ins-b", "", "10"},
        {"DETACHING", "ins-b", "", "host-two", "DETACHING", "DETACHED", "ins-b", 0, "UNATTACHED", "", "ins-b", "10"},
        {"DETACHING", "ins-b", "", "host-two", "DETACHING", "FAILED", "ins-b", 0, "ATTACHED", "ins-b", "", "10"},
        {"DETACHING", "ins-b", "", "host-two", "ATTACHING", "ATTACHED", "ins-b", 0, "DETACHING", "ins-b", "", "10"},
        {"EXPANDING", "ins-b", "", "host-two", "EXPANDING", "RESIZED", "ins-b", 30, "ATTACHED", "ins-b", "", "30"},
        {"EXPANDING", "ins-b", "", "host-two", "EXPANDING", "RESIZED", "ins-b", 20, "EXPANDING", "ins-b", "", "10"},
        {"EXPANDING", "", "ins-b", "host-two", "EXPANDING", "RESIZED", "", 30, "UNATTACHED", "", "ins-b", "30"},
        {"EXPANDING", "ins-b", "", "host-two", "EXPANDING", "FAILED", "ins-b", 0, "ATTACHED", "ins-b", "", "10"},
        {"EXPANDING", "ins-b", "", "host-three", "EXPANDING", "RESIZED", "ins-b", 30, "EXPANDING", "ins-b", "", "10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        disk_put(s, cases[i].state, cases[i].instance, cases[i].last, 10,
                 !strcmp(cases[i].state, "EXPANDING") ? 30 : 0);
        json_t *items = json_pack("[{s:s,s:s,s:s,s:s,s:s,s:I}]", "DiskId", "disk-aaaa0001", "InstanceId",
                                  cases[i].item_instance, "For", cases[i].for_state, "Seen", cases[i].seen, "Detail",
                                  "it broke", "SizeGiB", (json_int_t)cases[i].size);
        block_host_report(s, cases[i].host, items, 0);
        json_decref(items);
        if (strcmp(col(s, "state"), cases[i].after) || strcmp(col(s, "instance_id"), cases[i].after_instance) ||
            strcmp(col(s, "last_instance_id"), cases[i].after_last) || strcmp(col(s, "size_gib"), cases[i].after_size))
            fail_msg("case %zu (%s, %s %s/%s from %s): %s on '%s' (last '%s', %s GiB)", i, cases[i].state,
                     cases[i].item_instance, cases[i].for_state, cases[i].seen, cases[i].host, col(s, "state"),
                     col(s, "instance_id"), col(s, "last_instance_id"), col(s, "size_gib"));
    }
    disk_put(s, "DETACHING", "ins-b", "", 10, 0); /* a failure's reason is the disk's error */
    json_t *items = json_pack("[{s:s,s:s,s:s,s:s,s:s}]", "DiskId", "disk-aaaa0001", "InstanceId", "ins-b", "For",
                              "DETACHING", "Seen", "FAILED", "Detail", "the guest did not release it");
    assert_int_equal(block_host_report(s, "host-two", items, 0), 1);
    json_decref(items);
    assert_string_equal(col(s, "error"), "the guest did not release it");
    disk_put(s, "ATTACHED", "ins-b", "", 10, 0); /* an attached disk's trouble is shown once, its state kept */
    items = json_pack("[{s:s,s:s,s:s,s:s,s:s}]", "DiskId", "disk-aaaa0001", "InstanceId", "ins-b", "For", "ATTACHED",
                      "Seen", "FAILED", "Detail", "the disk's file is missing on this host");
    assert_int_equal(block_host_report(s, "host-two", items, 0), 1);
    assert_int_equal(block_host_report(s, "host-two", items, 0), 0);
    json_decref(items);
    assert_string_equal(col(s, "state"), "ATTACHED");
    assert_string_equal(col(s, "error"), "the disk's file is missing on this host");
    items = json_pack("[{s:s,s:s,s:s,s:s}]", "DiskId", "disk-aaaa0001", "InstanceId", "ins-b", "For", "ATTACHED",
                      "Seen", "ATTACHED");
    assert_int_equal(block_host_report(s, "host-two", items, 0), 0); /* it stays until the next operation */
    json_decref(items);
    assert_string_equal(col(s, "error"), "the disk's file is missing on this host");
}

static void test_delete(void **state)
{
    struct store *s = *state;
    disk_put(s, "TERMINATING", "", "ins-b", 10, 0);
    json_t *still = json_pack("[{s:s,s:s,s:s,s:s}]", "DiskId", "disk-aaaa0001", "InstanceId", "", "For", "TERMINATING",
                              "Seen", "FAILED");
    json_t *none = json_array();
    assert_int_equal(block_host_report(s, "host-two", none, 0), 0); /* a report of an older document */
    assert_string_equal(col(s, "state"), "TERMINATING");
    assert_int_equal(block_host_report(s, "host-two", still, 1), 0); /* the host could not remove the file */
    assert_string_equal(col(s, "state"), "TERMINATING");
    assert_int_equal(block_host_report(s, "host-three", none, 1), 0); /* another host's report */
    assert_string_equal(col(s, "state"), "TERMINATING");
    assert_int_equal(block_host_report(s, "host-two", none, 1), 1);
    assert_string_equal(col(s, "state"), "(gone)");
    json_decref(still);
    json_decref(none);
}

static void snap_put(struct store *s, const char *state)
{
    store_exec(s, "DELETE FROM cbs_snapshots", "");
    assert_int_equal(store_exec(s,
                                "INSERT INTO cbs_snapshots (snapshot_id, owner_uin, zone, disk_id, disk_size,"
                                " disk_usage, name, state, created, updated, host_id) VALUES ('snap-aaaa0001', '100',"
                                " 'z1', 'disk-aaaa0001', 10, 'DATA_DISK', 's', ?, 0, 0, 'host-two')",
                                "s", state),
                     1);
}

static const char *snap_col(struct store *s, const char *column)
{
    static char out[64];
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT %s FROM cbs_snapshots WHERE snapshot_id = 'snap-aaaa0001'", column);
    struct store_stmt *q = store_query(s, sql, "");
    assert_non_null(q);
    snprintf(out, sizeof out, "%s", store_step(q) == 1 ? store_text(q, 0) : "(gone)");
    store_done(q);
    return out;
}

static int snap_report(struct store *s, const char *host, const char *for_state, const char *seen, int current)
{
    json_t *items = json_pack("[{s:s,s:s,s:s,s:I,s:s}]", "SnapshotId", "snap-aaaa0001", "For", for_state, "Seen", seen,
                              "Bytes", (json_int_t)1048576, "Detail", "no room");
    int n = block_host_snapshot_report(s, host, items, current);
    json_decref(items);
    return n;
}

static void test_snapshots(void **state)
{
    struct store *s = *state;
    disk_put(s, "ATTACHED", "ins-b", "", 10, 0);
    snap_put(s, "CREATING");
    json_t *snaps = block_host_snapshots(s, "host-two");
    assert_int_equal(json_array_size(snaps), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(snaps, 0), "File")), "snap-aaaa0001.qcow2");
    json_decref(snaps);
    assert_int_equal(snap_report(s, "host-three", "CREATING", "MADE", 0), 0); /* not that host's */
    assert_string_equal(snap_col(s, "state"), "CREATING");
    assert_int_equal(snap_report(s, "host-two", "CREATING", "MADE", 0), 1);
    assert_string_equal(snap_col(s, "state"), "NORMAL");
    assert_string_equal(snap_col(s, "file_bytes"), "1048576");
    assert_int_equal(snap_report(s, "host-two", "CREATING", "MADE", 0), 0); /* a report again changes nothing */
    snap_put(s, "CREATING");
    assert_int_equal(snap_report(s, "host-two", "CREATING", "FAILED", 0), 1);
    assert_string_equal(snap_col(s, "state"), "DELETING");
    assert_non_null(strstr(col(s, "error"), "no room")); /* the disk shows why */
    snaps = block_host_snapshots(s, "host-two");         /* being deleted: left out, so the host removes its file */
    assert_int_equal(json_array_size(snaps), 0);
    json_decref(snaps);
    assert_int_equal(snap_report(s, "host-two", "DELETING", "FAILED", 1), 0); /* still there */
    assert_string_equal(snap_col(s, "state"), "DELETING");
    json_t *none = json_array();
    assert_int_equal(block_host_snapshot_report(s, "host-two", none, 0), 0); /* an older document's report */
    assert_int_equal(block_host_snapshot_report(s, "host-two", none, 1), 1);
    json_decref(none);
    assert_string_equal(snap_col(s, "state"), "(gone)");
    /* a disk restored from a snapshot on its host: RESTORED makes it UNATTACHED, FAILED deletes it */
    disk_put(s, "DUMPING", "", "", 10, 0);
    json_t *items = json_pack("[{s:s,s:s,s:s,s:s}]", "DiskId", "disk-aaaa0001", "InstanceId", "", "For", "DUMPING",
                              "Seen", "RESTORED");
    assert_int_equal(block_host_report(s, "host-two", items, 0), 1);
    json_decref(items);
    assert_string_equal(col(s, "state"), "UNATTACHED");
    disk_put(s, "DUMPING", "", "", 10, 0);
    items = json_pack("[{s:s,s:s,s:s,s:s}]", "DiskId", "disk-aaaa0001", "InstanceId", "", "For", "DUMPING", "Seen",
                      "FAILED");
    assert_int_equal(block_host_report(s, "host-two", items, 0), 1);
    json_decref(items);
    assert_string_equal(col(s, "state"), "TERMINATING");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_snapshots),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
