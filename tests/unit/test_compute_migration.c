/*
 * Live migration's control-plane half against a real SQLite store (src/compute/migration.c, host_doc.c): a move
 * recorded, what each host's document says at each step (MIGRATING_IN with Incoming on the target, the NIC
 * arriving there, its migration ports in its plan; Migrate on the source once the target is ready), the reports
 * that move it on (and those that must not: another request, another port, the wrong host), host_id moved by the
 * source's MIGRATED, a failure clearing it, the capacity a move reserves, and every refusal with its code; the
 * built-in host (AVAILABLE, not joined) as a drain's source and as a target, and refused without an underlay.
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
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "network/network.h"

static char dir[64], db[128], ip[16];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/yun-migration-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/yun.db", dir);
    char err[256], vpc[24], sub[24], code[96];
    struct store *s = store_open(db, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(compute_migrate(s, err, sizeof err), 0);
    assert_int_equal(network_migrate(s, err, sizeof err), 0);
    assert_int_equal(block_migrate(s, err, sizeof err), 0);
    const char *host = "INSERT INTO hosts (host_id, zone, hostname, cores, vcpus, memory_mib, accel, accel_reason,"
                       " state, updated, joined, realises, underlay) VALUES (?, 'z1', 'h', 4, 4, 4096, 'tcg', '', ?,"
                       " 0, ?, 1, ?)";
    assert_int_equal(store_exec(s, host, "ssis", "host-local", "AVAILABLE", (int64_t)0, "10.9.0.1"), 1);
    assert_int_equal(store_exec(s, host, "ssis", "host-two", "UP", (int64_t)1, "10.9.0.2"), 1);
    assert_int_equal(store_exec(s, host, "ssis", "host-three", "UP", (int64_t)1, "10.9.0.3"), 1);
    assert_int_equal(store_exec(s, host, "ssis", "host-down", "DOWN", (int64_t)1, "10.9.0.4"), 1);
    assert_int_equal(network_default_vpc(s, "100", "r", "z1", vpc, sub, code, sizeof code), 0);
    assert_int_equal(network_allocate_ip(s, "100", sub, NULL, "ins-moving1", ip, code, sizeof code), 0);
    const char *ins = "INSERT INTO instances (instance_id, owner_uin, uuid, zone, host_id, instance_type, cpu,"
                      " memory_gib, image_id, name, hostname, charge_type, state, latest_op, latest_op_state,"
                      " latest_op_request, private_ip, mac, system_disk_size, system_disk_type, system_disk_id,"
                      " created, updated, vpc_id, subnet_id) VALUES (?, '100', 'u', 'z1', ?, 'S5.SMALL1', 1, ?,"
                      " 'img-1', 'n', 'h', 'POSTPAID_BY_HOUR', ?, 'RunInstances', 'SUCCESS', 'run-1', ?,"
                      " '52:54:00:00:00:01', 20, 'CLOUD_PREMIUM', 'disk-1', 0, 0, ?, ?)";
    assert_int_equal(store_exec(s, ins, "ssissss", "ins-moving1", "host-two", (int64_t)1, "RUNNING", ip, vpc, sub), 1);
    assert_int_equal(
        store_exec(s, ins, "ssissss", "ins-stopped", "host-two", (int64_t)1, "STOPPED", "10.0.0.99", vpc, sub), 1);
    assert_int_equal(
        store_exec(s, ins, "ssissss", "ins-builtin", "host-local", (int64_t)1, "RUNNING", "10.0.0.98", vpc, sub), 1);
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

static json_t *doc_of(struct store *s, const char *host, const char *id)
{
    char version[HOST_DOC_VERSION_LEN];
    json_t *doc = host_doc_build(s, host, version), *found = NULL, *it;
    assert_non_null(doc);
    size_t i;
    json_array_foreach (json_object_get(doc, "Instances"), i, it)
        if (!strcmp(json_string_value(json_object_get(it, "InstanceId")), id))
            found = json_incref(it);
    json_decref(doc);
    return found;
}

static json_t *plan_of(struct store *s, const char *host)
{
    char version[HOST_DOC_VERSION_LEN];
    json_t *doc = host_doc_build(s, host, version);
    assert_non_null(doc);
    json_t *plan = json_incref(json_object_get(doc, "Network"));
    json_decref(doc);
    return plan;
}

static const char *text(struct store *s, const char *sql)
{
    static char out[128];
    struct store_stmt *q = store_query(s, sql, "");
    assert_non_null(q);
    assert_int_equal(store_step(q), 1);
    snprintf(out, sizeof out, "%s", store_text(q, 0));
    store_done(q);
    return out;
}

static int report(struct store *s, const char *host, const char *for_state, const char *seen, const char *request,
                  int port)
{
    json_t *r = json_pack("{s:s,s:[{s:s,s:s,s:s,s:s,s:s,s:i}]}", "Done", "x", "Instances", "InstanceId", "ins-moving1",
                          "For", for_state, "Seen", seen, "Request", request, "Detail", "it broke", "NbdPort", port);
    int n = host_doc_report(s, host, r, "y");
    json_decref(r);
    return n;
}

static int64_t used_cpu(struct store *s, const char *host)
{
    struct host_capacity *h = NULL;
    int n = host_pool_capacity(s, &h);
    int64_t used = -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(h[i].host_id, host))
            used = h[i].vcpus_used;
    free(h);
    return used;
}

static void test_refusals(void **state)
{
    struct store *s = *state;
    char target[40], msg[300];
    const char *code;
    static const struct {
        const char *id, *want, *code, *says;
    } cases[] = {
        {"ins-nothere", NULL, "InvalidInstanceId.NotFound", "does not exist"},
        {"ins-stopped", NULL, "UnsupportedOperation.InstanceState", "is STOPPED"},
        {"ins-moving1", "host-down", "ResourceUnavailable", "is DOWN"},
        {"ins-moving1", "host-two", "InvalidParameterValue", "already runs on"},
        {"ins-moving1", "host-nope", "InvalidParameterValue", "no host"},
        /* the built-in host without an underlay address (first), then UNAVAILABLE (its image or network failed) */
        {"ins-builtin", NULL, "UnsupportedOperation", "built-in host host-local, which has no underlay address"},
        {"ins-moving1", "host-local", "UnsupportedOperation", "built-in host host-local has no underlay address"},
        {"ins-builtin", NULL, "ResourceUnavailable", "host-local is UNAVAILABLE"},
        {"ins-moving1", "host-local", "ResourceUnavailable", "host-local is UNAVAILABLE"},
        /* a target that does not realise instances */
        {"ins-moving1", "host-three", "UnsupportedOperation", "does not realise instances"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!strcmp(cases[i].id, "ins-builtin") && !strcmp(cases[i].code, "UnsupportedOperation"))
            assert_int_equal(store_exec(s, "UPDATE hosts SET underlay = '' WHERE host_id = 'host-local'", ""), 1);
        if (!strcmp(cases[i].code, "ResourceUnavailable") && strstr(cases[i].says, "UNAVAILABLE"))
            assert_int_equal(store_exec(s,
                                        "UPDATE hosts SET underlay = '10.9.0.1', state = 'UNAVAILABLE' WHERE"
                                        " host_id = 'host-local'",
                                        ""),
                             1);
        if (strstr(cases[i].says, "realise")) {
            assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'AVAILABLE' WHERE host_id = 'host-local'", ""), 1);
            assert_int_equal(store_exec(s, "UPDATE hosts SET realises = 0 WHERE host_id = 'host-three'", ""), 1);
        }
        code = NULL;
        msg[0] = 0;
        assert_int_equal(migration_start(s, cases[i].id, cases[i].want, "req-x", target, &code, msg, sizeof msg), -1);
        if (strcmp(code, cases[i].code) || !strstr(msg, cases[i].says))
            fail_msg("%s to %s: %s %s", cases[i].id, cases[i].want ? cases[i].want : "any", code, msg);
    }
    assert_int_equal(store_exec(s, "UPDATE hosts SET realises = 1 WHERE host_id = 'host-three'", ""), 1);
    /* a cloud disk attached: its file would stay on the source */
    assert_int_equal(store_exec(s,
                                "INSERT INTO cbs_disks (disk_id, owner_uin, zone, name, disk_type, charge_type, state,"
                                " instance_id, host_id, size_gib, created, updated) VALUES ('disk-data0001', '100',"
                                " 'z1', 'd', 'CLOUD_PREMIUM', 'POSTPAID_BY_HOUR', 'ATTACHED', 'ins-moving1',"
                                " 'host-two', 10, 0, 0)",
                                ""),
                     1);
    /* it moves with the instance once its host reported where it is plugged */
    assert_int_equal(migration_start(s, "ins-moving1", NULL, "req-x", target, &code, msg, sizeof msg), -1);
    assert_string_equal(code, "UnsupportedOperation");
    assert_non_null(strstr(msg, "has not yet reported where its cloud disk disk-data0001 is plugged"));
    assert_int_equal(store_exec(s, "UPDATE cbs_disks SET plug_port = 1 WHERE disk_id = 'disk-data0001'", ""), 1);
    assert_int_equal(store_exec(s, "UPDATE cbs_disks SET state = 'EXPANDING' WHERE disk_id = 'disk-data0001'", ""), 1);
    assert_int_equal(migration_start(s, "ins-moving1", NULL, "req-x", target, &code, msg, sizeof msg), -1);
    assert_string_equal(code, "UnsupportedOperation");
    assert_non_null(strstr(msg, "disk-data0001 is EXPANDING"));
    /* and the source's document lists the disk it holds */
    char version[HOST_DOC_VERSION_LEN];
    json_t *doc = host_doc_build(s, "host-two", version);
    assert_non_null(doc);
    json_t *disk = json_array_get(json_object_get(doc, "Disks"), 0);
    assert_string_equal(json_string_value(json_object_get(disk, "DiskId")), "disk-data0001");
    assert_string_equal(json_string_value(json_object_get(disk, "File")), "disk-data0001.qcow2");
    assert_string_equal(json_string_value(json_object_get(disk, "InstanceId")), "ins-moving1");
    json_decref(doc);
    assert_int_equal(store_exec(s, "DELETE FROM cbs_disks WHERE disk_id = 'disk-data0001'", ""), 1);
    /* no room: host three and the built-in host sell 1 vCPU each, held by an instance already */
    assert_int_equal(store_exec(s, "UPDATE hosts SET vcpus = 1 WHERE host_id IN ('host-three', 'host-local')", ""), 2);
    assert_int_equal(store_exec(s,
                                "INSERT INTO instances (instance_id, owner_uin, uuid, zone, host_id, instance_type,"
                                " cpu, memory_gib, image_id, name, hostname, charge_type, state, private_ip, mac,"
                                " system_disk_size, system_disk_type, system_disk_id, created, updated) VALUES"
                                " ('ins-full', '100', 'u', 'z1', 'host-three', 'S5.SMALL1', 1, 1, 'img-1', 'n', 'h',"
                                " 'POSTPAID_BY_HOUR', 'RUNNING', '10.0.0.97', 'm', 20, 'C', 'd', 0, 0)",
                                ""),
                     1);
    assert_int_equal(migration_start(s, "ins-moving1", "host-three", "req-x", target, &code, msg, sizeof msg), -1);
    assert_string_equal(code, "ResourceInsufficient");
    assert_int_equal(migration_start(s, "ins-moving1", NULL, "req-x", target, &code, msg, sizeof msg), -1);
    assert_string_equal(code, "ResourceInsufficient");
    assert_int_equal(store_exec(s, "DELETE FROM instances WHERE instance_id = 'ins-full'", ""), 1);
    /* draining */
    assert_int_equal(store_exec(s, "UPDATE hosts SET vcpus = 4 WHERE host_id = 'host-local'", ""), 1);
    assert_int_equal(store_exec(s, "UPDATE hosts SET vcpus = 4, draining = 1 WHERE host_id = 'host-three'", ""), 1);
    assert_int_equal(migration_start(s, "ins-moving1", "host-three", "req-x", target, &code, msg, sizeof msg), -1);
    assert_string_equal(code, "ResourceUnavailable");
    assert_int_equal(migration_undrain(s, "host-three"), 1);
    assert_string_equal(text(s, "SELECT migrate_to || '.' || latest_op FROM instances WHERE instance_id = "
                                "'ins-moving1'"),
                        ".RunInstances"); /* nothing was recorded */
}

static void test_a_move(void **state)
{
    struct store *s = *state;
    char target[40], msg[300];
    const char *code;
    int64_t before = used_cpu(s, "host-three");
    assert_int_equal(migration_start(s, "ins-moving1", NULL, "req-1", target, &code, msg, sizeof msg), 0);
    assert_string_equal(target, "host-three"); /* the one other joined, up host of the pool */
    assert_int_equal(used_cpu(s, "host-three"), before + 1);
    assert_string_equal(text(s, "SELECT latest_op || '/' || latest_op_state || '/' || state || '/' || migrate_state"
                                " FROM instances WHERE instance_id = 'ins-moving1'"),
                        "MigrateInstance/OPERATING/RUNNING/PREPARING");
    assert_int_equal(migration_start(s, "ins-moving1", NULL, "req-2", target, &code, msg, sizeof msg), -1);
    assert_string_equal(code, "UnsupportedOperation"); /* already moving */

    /* the target's document: MIGRATING_IN with where the stream comes from; its plan: the NIC here and still
     * remote (at the source), its ports open to the source */
    json_t *in = doc_of(s, "host-three", "ins-moving1");
    assert_non_null(in);
    assert_string_equal(json_string_value(json_object_get(in, "State")), "MIGRATING_IN");
    json_t *inc = json_object_get(in, "Incoming");
    assert_string_equal(json_string_value(json_object_get(inc, "From")), "10.9.0.2");
    assert_string_equal(json_string_value(json_object_get(inc, "FromHost")), "host-two"); /* its certificate's */
    assert_string_equal(json_string_value(json_object_get(inc, "Listen")), "10.9.0.3");
    assert_int_equal(json_integer_value(json_object_get(inc, "NbdPort")), HOST_MIGRATE_PORT_FIRST);
    assert_int_equal(json_integer_value(json_object_get(inc, "MigratePort")), HOST_MIGRATE_PORT_FIRST + 1);
    json_decref(in);
    json_t *plan = plan_of(s, "host-three");
    char *t = json_dumps(plan, JSON_COMPACT);
    assert_non_null(strstr(t, "\"Migrations\":[{\"From\":\"10.9.0.2\",\"Ports\":[7800,7801]}]"));
    if (!strstr(t, "\"InstanceId\":\"ins-moving1\"")) /* the NIC is made here */
        fail_msg("%s", t);
    assert_non_null(strstr(t, "\"Remotes\":[{\"Ip\":\"10.9.0.2\",\"Nics\":[{\"Mac\""));
    free(t);
    json_decref(plan);
    /* the source: running, nothing to do yet */
    json_t *out = doc_of(s, "host-two", "ins-moving1");
    assert_string_equal(json_string_value(json_object_get(out, "State")), "RUNNING");
    assert_null(json_object_get(out, "Migrate"));
    json_decref(out);

    /* reports that must change nothing: another request, another port, the wrong host, the wrong state */
    assert_int_equal(report(s, "host-three", "MIGRATING_IN", "READY", "req-0", 7800), 0);
    assert_int_equal(report(s, "host-three", "MIGRATING_IN", "READY", "req-1", 7802), 0);
    assert_int_equal(report(s, "host-two", "MIGRATING_IN", "READY", "req-1", 7800), 0);
    assert_int_equal(report(s, "host-two", "RUNNING", "MIGRATED", "req-1", 0), 0); /* not READY yet */
    assert_int_equal(report(s, "host-three", "MIGRATING_IN", "READY", "req-1", 7800), 1);
    out = doc_of(s, "host-two", "ins-moving1");
    json_t *m = json_object_get(out, "Migrate");
    assert_string_equal(json_string_value(json_object_get(m, "To")), "10.9.0.3");
    assert_string_equal(json_string_value(json_object_get(m, "ToHost")), "host-three");
    assert_int_equal(json_integer_value(json_object_get(m, "NbdPort")), 7800);
    json_decref(out);

    assert_int_equal(report(s, "host-two", "RUNNING", "MIGRATED", "req-0", 0), 0);
    assert_int_equal(report(s, "host-two", "RUNNING", "MIGRATED", "req-1", 0), 1);
    assert_string_equal(text(s, "SELECT host_id || '/' || latest_op_state || '/' || state || '/' || migrate_to"
                                " FROM instances WHERE instance_id = 'ins-moving1'"),
                        "host-three/SUCCESS/RUNNING/");
    assert_int_equal(used_cpu(s, "host-three"), before + 1); /* held once, now by its host */
    assert_null(doc_of(s, "host-two", "ins-moving1"));
    in = doc_of(s, "host-three", "ins-moving1");
    assert_string_equal(json_string_value(json_object_get(in, "State")), "RUNNING");
    assert_null(json_object_get(in, "Incoming"));
    json_decref(in);
    plan = plan_of(s, "host-three");
    t = json_dumps(plan, JSON_COMPACT);
    assert_null(strstr(t, "Migrations"));
    assert_null(strstr(t, "\"Remotes\":[{\"Ip\":\"10.9.0.2\"")); /* the source carries none of its NICs now */
    free(t);
    json_decref(plan);
    /* the stale reports of both halves now change nothing */
    assert_int_equal(report(s, "host-three", "MIGRATING_IN", "READY", "req-1", 7800), 0);
    assert_int_equal(report(s, "host-two", "RUNNING", "MIGRATED", "req-1", 0), 0);
}

static void test_a_failed_move(void **state)
{
    struct store *s = *state;
    char target[40], msg[300];
    const char *code;
    /* back to host two, and the target fails to prepare: cleared, FAILED with the reason, still on host three */
    assert_int_equal(migration_start(s, "ins-moving1", "host-two", "req-3", target, &code, msg, sizeof msg), 0);
    json_t *there = doc_of(s, "host-two", "ins-moving1");
    assert_non_null(there);
    json_decref(there);
    assert_int_equal(report(s, "host-two", "MIGRATING_IN", "FAILED", "req-3", 0), 1);
    assert_string_equal(text(s, "SELECT host_id || '/' || latest_op_state || '/' || reason || '/' || migrate_to"
                                " FROM instances WHERE instance_id = 'ins-moving1'"),
                        "host-three/FAILED/it broke/");
    assert_null(doc_of(s, "host-two", "ins-moving1")); /* the target's half goes */
    /* a move whose target went down is abandoned by the monitor */
    assert_int_equal(migration_start(s, "ins-moving1", "host-two", "req-4", target, &code, msg, sizeof msg), 0);
    assert_int_equal(migration_expire(s, time_now()), 0);
    assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'DOWN' WHERE host_id = 'host-two'", ""), 1);
    assert_int_equal(migration_expire(s, time_now()), 1);
    assert_string_equal(text(s, "SELECT latest_op_state || '/' || reason FROM instances WHERE instance_id ="
                                " 'ins-moving1'"),
                        "FAILED/the migration was abandoned: a host of the migration is down");
}

/* The built-in host (not joined, AVAILABLE rather than UP) in a move: drained, its instance goes to a joined host;
 * an instance of a joined host comes to it; the monitor abandons a move only once it is UNAVAILABLE. */
static void test_the_builtin_host(void **state)
{
    struct store *s = *state;
    char target[40], msg[300], err[200];
    const char *code;
    /* host two is DOWN (the test before): a drain of host-local sends ins-builtin to host three */
    json_t *started = json_array(), *refused = json_array();
    assert_int_equal(migration_drain(s, "host-local", "req-d", started, refused, err, sizeof err), 0);
    char *t = json_dumps(started, JSON_COMPACT);
    assert_string_equal(t, "[{\"InstanceId\":\"ins-builtin\",\"From\":\"host-local\",\"To\":\"host-three\"}]");
    free(t);
    assert_int_equal(json_array_size(refused), 0);
    json_decref(started);
    json_decref(refused);
    assert_int_equal(migration_expire(s, time_now()), 0); /* AVAILABLE is up */
    json_t *in = doc_of(s, "host-three", "ins-builtin");
    json_t *inc = json_object_get(in, "Incoming");
    assert_string_equal(json_string_value(json_object_get(inc, "From")), "10.9.0.1");
    assert_string_equal(json_string_value(json_object_get(inc, "FromHost")), "host-local");
    json_decref(in);
    json_t *r = json_pack("{s:s,s:[{s:s,s:s,s:s,s:s,s:i}]}", "Done", "x", "Instances", "InstanceId", "ins-builtin",
                          "For", "MIGRATING_IN", "Seen", "READY", "Request", "req-d", "NbdPort", 7800);
    assert_int_equal(host_doc_report(s, "host-three", r, "y"), 1);
    json_decref(r);
    json_t *out = doc_of(s, "host-local", "ins-builtin");
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "Migrate"), "ToHost")), "host-three");
    json_decref(out);
    r = json_pack("{s:s,s:[{s:s,s:s,s:s,s:s}]}", "Done", "x", "Instances", "InstanceId", "ins-builtin", "For",
                  "RUNNING", "Seen", "MIGRATED", "Request", "req-d");
    assert_int_equal(host_doc_report(s, "host-local", r, "y"), 1);
    json_decref(r);
    assert_string_equal(text(s, "SELECT host_id || '/' || latest_op_state FROM instances WHERE instance_id ="
                                " 'ins-builtin'"),
                        "host-three/SUCCESS");
    /* a draining built-in host is no target; undrained, it takes ins-moving1 from host three */
    assert_int_equal(migration_start(s, "ins-moving1", "host-local", "req-5", target, &code, msg, sizeof msg), -1);
    assert_string_equal(code, "ResourceUnavailable");
    assert_int_equal(migration_undrain(s, "host-local"), 1);
    assert_int_equal(migration_start(s, "ins-moving1", NULL, "req-5", target, &code, msg, sizeof msg), 0);
    assert_string_equal(target, "host-local");
    in = doc_of(s, "host-local", "ins-moving1");
    assert_string_equal(json_string_value(json_object_get(in, "State")), "MIGRATING_IN");
    assert_string_equal(json_string_value(json_object_get(json_object_get(in, "Incoming"), "Listen")), "10.9.0.1");
    json_decref(in);
    assert_int_equal(migration_expire(s, time_now()), 0);
    assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'UNAVAILABLE' WHERE host_id = 'host-local'", ""), 1);
    assert_int_equal(migration_expire(s, time_now()), 1);
    assert_string_equal(text(s, "SELECT host_id || '/' || latest_op_state || '/' || reason FROM instances WHERE"
                                " instance_id = 'ins-moving1'"),
                        "host-three/FAILED/the migration was abandoned: a host of the migration is down");
    assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'AVAILABLE' WHERE host_id = 'host-local'", ""), 1);
}

/* A move carries the instance's cloud disks: the target's Incoming lists them (size, serial, the port the source's
 * report gave), the source's Migrate too; a failed move leaves them where they are; the recorded move takes their
 * host_id along in its transaction, and their snapshots stay on the old host. */
static int disk_report(struct store *s, const char *host, const char *disk, int port)
{
    json_t *r = json_pack("{s:s,s:[{s:s,s:s,s:s,s:s,s:s,s:i}]}", "Done", "x", "Disks", "DiskId", disk, "InstanceId",
                          "ins-moving1", "For", "ATTACHED", "Seen", "ATTACHED", "Detail", "", "Port", port);
    int n = host_doc_report(s, host, r, "y");
    json_decref(r);
    return n;
}

static void test_a_move_with_disks(void **state)
{
    struct store *s = *state;
    char target[40], msg[300];
    const char *code;
    /* ins-moving1 runs on host three (the tests before) with two disks there, one with a snapshot */
    assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'UP' WHERE host_id = 'host-two'", ""), 1);
    const char *disk = "INSERT INTO cbs_disks (disk_id, owner_uin, zone, name, disk_type, charge_type, state,"
                       " instance_id, host_id, size_gib, created, updated) VALUES (?, '100', 'z1', 'd',"
                       " 'CLOUD_PREMIUM', 'POSTPAID_BY_HOUR', 'ATTACHED', 'ins-moving1', 'host-three', ?, 0, 0)";
    assert_int_equal(store_exec(s, disk, "si", "disk-data0001", (int64_t)10), 1);
    assert_int_equal(store_exec(s, disk, "si", "disk-data0002", (int64_t)20), 1);
    assert_int_equal(store_exec(s,
                                "INSERT INTO cbs_snapshots (snapshot_id, owner_uin, zone, disk_id, disk_size,"
                                " disk_usage, name, state, created, updated, host_id) VALUES ('snap-data0001', '100',"
                                " 'z1', 'disk-data0001', 10, 'DATA_DISK', 's', 'NORMAL', 0, 0, 'host-three')",
                                ""),
                     1);
    /* the source says where each is plugged (written once: the same report again changes nothing) */
    assert_int_equal(disk_report(s, "host-three", "disk-data0001", 3), 0);
    assert_int_equal(disk_report(s, "host-three", "disk-data0002", 0), 0);
    assert_string_equal(text(s, "SELECT group_concat(plug_port) FROM (SELECT plug_port FROM cbs_disks WHERE disk_id"
                                " LIKE 'disk-data%' ORDER BY disk_id)"),
                        "3,0");
    /* a move the target cannot prepare: the disks stay on host three */
    assert_int_equal(migration_start(s, "ins-moving1", "host-two", "req-6", target, &code, msg, sizeof msg), 0);
    json_t *in = doc_of(s, "host-two", "ins-moving1");
    char *t = json_dumps(json_object_get(json_object_get(in, "Incoming"), "Disks"), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(t, "[{\"DiskId\":\"disk-data0001\",\"Port\":3,\"Serial\":\"disk-data0001\",\"SizeGiB\":10},"
                           "{\"DiskId\":\"disk-data0002\",\"Port\":0,\"Serial\":\"disk-data0002\",\"SizeGiB\":20}]");
    free(t);
    json_decref(in);
    char version[HOST_DOC_VERSION_LEN];
    json_t *doc = host_doc_build(s, "host-two", version); /* not the target's disks until the move is recorded */
    assert_int_equal(json_array_size(json_object_get(doc, "Disks")), 0);
    json_decref(doc);
    assert_int_equal(report(s, "host-two", "MIGRATING_IN", "FAILED", "req-6", 0), 1);
    assert_string_equal(text(s, "SELECT group_concat(host_id) FROM cbs_disks WHERE disk_id LIKE 'disk-data%'"),
                        "host-three,host-three");
    /* the move: the source mirrors what Migrate lists; MIGRATED moves the disks with the instance */
    assert_int_equal(migration_start(s, "ins-moving1", "host-two", "req-7", target, &code, msg, sizeof msg), 0);
    assert_int_equal(report(s, "host-two", "MIGRATING_IN", "READY", "req-7", 7800), 1);
    json_t *out = doc_of(s, "host-three", "ins-moving1");
    json_t *m = json_object_get(json_object_get(out, "Migrate"), "Disks");
    assert_int_equal(json_array_size(m), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "DiskId")), "disk-data0002");
    json_decref(out);
    assert_int_equal(report(s, "host-three", "RUNNING", "MIGRATED", "req-7", 0), 1);
    assert_string_equal(text(s, "SELECT host_id || '/' || latest_op_state FROM instances WHERE instance_id ="
                                " 'ins-moving1'"),
                        "host-two/SUCCESS");
    assert_string_equal(text(s, "SELECT group_concat(host_id || '/' || state) FROM cbs_disks WHERE disk_id LIKE"
                                " 'disk-data%'"),
                        "host-two/ATTACHED,host-two/ATTACHED");
    assert_string_equal(text(s, "SELECT host_id FROM cbs_snapshots WHERE snapshot_id = 'snap-data0001'"), "host-three");
    /* the target's document lists them attached; the source's no longer does (it removes its files), but keeps
     * the snapshot */
    doc = host_doc_build(s, "host-two", version);
    json_t *d = json_array_get(json_object_get(doc, "Disks"), 0);
    assert_int_equal(json_array_size(json_object_get(doc, "Disks")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "State")), "ATTACHED");
    assert_string_equal(json_string_value(json_object_get(d, "InstanceId")), "ins-moving1");
    assert_false(json_is_true(json_object_get(d, "Blank")));
    json_decref(doc);
    doc = host_doc_build(s, "host-three", version);
    assert_int_equal(json_array_size(json_object_get(doc, "Disks")), 0);
    assert_int_equal(json_array_size(json_object_get(doc, "Snapshots")), 1);
    json_decref(doc);
    assert_int_equal(store_exec(s, "DELETE FROM cbs_disks WHERE disk_id LIKE 'disk-data%'", ""), 2);
    assert_int_equal(store_exec(s, "DELETE FROM cbs_snapshots", ""), 1);
}

/* A host's document names every instance placed on it, however many: one left out would be removed by the
 * host (it destroys what its document does not name). It was cut at HOST_DOC_MAX_INSTANCES before. */
static void test_a_full_document(void **state)
{
    struct store *s = *state;
    const char *ins = "INSERT INTO instances (instance_id, owner_uin, uuid, zone, host_id, instance_type, cpu,"
                      " memory_gib, image_id, name, hostname, charge_type, state, private_ip, mac, system_disk_size,"
                      " system_disk_type, system_disk_id, created, updated) VALUES (?, '100', 'u', 'z1', 'host-three',"
                      " 'S5.SMALL1', 1, 1, 'img-1', 'n', 'h', 'POSTPAID_BY_HOUR', 'STOPPED', '10.1.0.1',"
                      " '52:54:00:00:00:02', 20, 'CLOUD_PREMIUM', 'disk-1', 0, 0)";
    assert_int_equal(store_begin(s), STORE_OK);
    for (int i = 0; i < 600; i++) {
        char id[24];
        snprintf(id, sizeof id, "ins-many%04d", i);
        assert_int_equal(store_exec(s, ins, "s", id), 1);
    }
    assert_int_equal(store_commit(s), STORE_OK);
    char version[HOST_DOC_VERSION_LEN];
    json_t *doc = host_doc_build(s, "host-three", version);
    assert_non_null(doc);
    size_t named = 0, i;
    json_t *it;
    json_array_foreach (json_object_get(doc, "Instances"), i, it)
        named += !strncmp(json_string_value(json_object_get(it, "InstanceId")), "ins-many", 8);
    assert_int_equal(named, 600);
    json_decref(doc);
}

/* Where CreateDisks puts a new disk (host_pool_disk_host): an available host of its zone and pool that takes the
 * account's instances, the built-in host first */
static void test_disk_host(void **state)
{
    struct store *s = *state;
    char host[40] = "";
    assert_int_equal(store_exec(s,
                                "UPDATE hosts SET state = CASE WHEN joined = 1 THEN 'UP' ELSE 'AVAILABLE' END,"
                                " draining = 0, realises = 1 WHERE host_id <> 'host-down'",
                                ""),
                     3);
    assert_int_equal(host_pool_disk_host(s, "z1", "100", "", host), 1);
    assert_string_equal(host, "host-local");
    assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'UNAVAILABLE' WHERE host_id = 'host-local'", ""), 1);
    assert_int_equal(host_pool_disk_host(s, "z1", "100", "", host), 1); /* a joined host then, never a DOWN one */
    assert_true(!strcmp(host, "host-two") || !strcmp(host, "host-three"));
    assert_int_equal(host_pool_disk_host(s, "z9", "100", "", host), 0); /* no host in that zone */
    /* a dedicated cluster's disks: on its hosts, for its owner only; the shared pool's: not there */
    assert_int_equal(store_exec(s,
                                "UPDATE hosts SET pool = 'cluster', pool_owner = '100', pool_id = 'cluster-1' WHERE"
                                " host_id = 'host-two'",
                                ""),
                     1);
    assert_int_equal(host_pool_disk_host(s, "z1", "100", "cluster-1", host), 1);
    assert_string_equal(host, "host-two");
    assert_int_equal(host_pool_disk_host(s, "z1", "200", "cluster-1", host), 0);
    assert_int_equal(host_pool_disk_host(s, "z1", "100", "cluster-2", host), 0);
    assert_int_equal(host_pool_disk_host(s, "z1", "100", "", host), 1);
    assert_string_equal(host, "host-three");
    assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'DOWN' WHERE host_id = 'host-three'", ""), 1);
    assert_int_equal(host_pool_disk_host(s, "z1", "100", "", host), 0); /* CreateDisks: ResourceInsufficient */
    assert_int_equal(store_exec(s,
                                "UPDATE hosts SET pool = 'shared', pool_owner = '', pool_id = '', state = 'UP' WHERE"
                                " host_id IN ('host-two', 'host-three')",
                                ""),
                     2);
    assert_int_equal(store_exec(s, "UPDATE hosts SET state = 'AVAILABLE' WHERE host_id = 'host-local'", ""), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),          cmocka_unit_test(test_a_move),
        cmocka_unit_test(test_a_failed_move),     cmocka_unit_test(test_the_builtin_host),
        cmocka_unit_test(test_a_move_with_disks), cmocka_unit_test(test_a_full_document),
        cmocka_unit_test(test_disk_host),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
