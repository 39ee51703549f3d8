/*
 * Console output of instances on joined hosts: the control plane's store of pushed tails (src/compute/host_console.c)
 * against a real SQLite store — a host's push is kept only for an instance placed on it (never another host's, never a
 * terminated one), the latest push replaces the last, the tail is bounded, a moved instance's row follows its host —
 * and the host side's decision when to push (src/host/console_push.c: changed, and not more often than
 * HOST_CONSOLE_SECONDS). With YUN_TEST_STORE naming a PostgreSQL store, the statements run there instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compute/compute.h"
#include "compute/host_channel.h"
#include "host/console_push.h"

static char dir[64], db[128];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/yun-console-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/yun.db", dir);
    char err[256];
    const char *pg = getenv("YUN_TEST_STORE");
    struct store *s = store_open(pg && *pg ? pg : db, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(compute_migrate(s, err, sizeof err), 0);
    assert_true(store_exec(s, "DELETE FROM host_consoles", "") >= 0); /* a shared PostgreSQL store: from scratch */
    assert_true(store_exec(s, "DELETE FROM instances WHERE instance_id LIKE 'ins-%'", "") >= 0);
    const char *ins = "INSERT INTO instances (instance_id, owner_uin, uuid, zone, host_id, instance_type, cpu,"
                      " memory_gib, image_id, name, hostname, charge_type, state, private_ip, mac, system_disk_size,"
                      " system_disk_type, system_disk_id, created, updated) VALUES (?, '100', 'u', 'z1', ?,"
                      " 'S5.SMALL1', 1, 1, 'img-1', 'n', 'h', 'POSTPAID_BY_HOUR', ?, '10.0.0.2', '52:54:00:00:00:01',"
                      " 20, 'CLOUD_PREMIUM', 'disk-1', 0, 0)";
    assert_int_equal(store_exec(s, ins, "sss", "ins-ontwo001", "host-two", "RUNNING"), 1);
    assert_int_equal(store_exec(s, ins, "sss", "ins-onthree1", "host-three", "RUNNING"), 1);
    assert_int_equal(store_exec(s, ins, "sss", "ins-gone0001", "host-two", "TERMINATED"), 1);
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

static int64_t rows(struct store *s, const char *id)
{
    struct store_stmt *q = store_query(s, "SELECT count(*) FROM host_consoles WHERE instance_id = ?", "s", id);
    assert_non_null(q);
    assert_int_equal(store_step(q), 1);
    int64_t n = store_int(q, 0);
    store_done(q);
    return n;
}

static void only_the_placing_host_writes(void **state)
{
    struct store *s = *state;
    char buf[HOST_CONSOLE_MAX];
    size_t n = 1;
    assert_int_equal(host_console_get(s, "ins-ontwo001", buf, sizeof buf, &n), 0); /* nothing pushed yet */
    assert_int_equal(n, 0);
    assert_int_equal(host_console_push(s, "host-two", "ins-ontwo001", "boot\nYUN-READY\n", 15, 10), 1);
    assert_int_equal(host_console_get(s, "ins-ontwo001", buf, sizeof buf, &n), 1);
    assert_int_equal(n, 15);
    assert_memory_equal(buf, "boot\nYUN-READY\n", 15);
    /* host three may not write host two's instance's console, nor host two another's */
    assert_int_equal(host_console_push(s, "host-three", "ins-ontwo001", "forged", 6, 11), 0);
    assert_int_equal(host_console_push(s, "host-two", "ins-onthree1", "forged", 6, 11), 0);
    assert_int_equal(host_console_push(s, "host-two", "ins-nothere1", "x", 1, 11), 0);
    assert_int_equal(host_console_push(s, "host-two", "ins-gone0001", "x", 1, 11), 0); /* terminated */
    assert_int_equal(host_console_push(s, "host-two", NULL, "x", 1, 11), 0);
    assert_int_equal(host_console_get(s, "ins-ontwo001", buf, sizeof buf, &n), 1);
    assert_memory_equal(buf, "boot\nYUN-READY\n", 15);
    assert_int_equal(rows(s, "ins-onthree1"), 0);
    assert_int_equal(rows(s, "ins-gone0001"), 0);
    /* a larger push than the bound is refused; the latest push replaces the last, binary bytes and all */
    static char big[HOST_CONSOLE_MAX + 1];
    assert_int_equal(host_console_push(s, "host-two", "ins-ontwo001", big, sizeof big, 12), 0);
    assert_int_equal(host_console_push(s, "host-two", "ins-ontwo001", "a\0b\xff", 4, 12), 1);
    assert_int_equal(host_console_get(s, "ins-ontwo001", buf, sizeof buf, &n), 1);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "a\0b\xff", 4);
    /* get keeps the tail when asked for fewer bytes */
    assert_int_equal(host_console_get(s, "ins-ontwo001", buf, 2, &n), 1);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "b\xff", 2);
}

static void follows_the_instance(void **state)
{
    struct store *s = *state;
    char buf[64];
    size_t n;
    assert_int_equal(host_console_push(s, "host-two", "ins-ontwo001", "before", 6, 10), 1);
    /* moved to host three (a live migration): host two's tail is not served, host two may not write, three may */
    assert_int_equal(
        store_exec(s, "UPDATE instances SET host_id = 'host-three' WHERE instance_id = 'ins-ontwo001'", ""), 1);
    assert_int_equal(host_console_get(s, "ins-ontwo001", buf, sizeof buf, &n), 0);
    assert_int_equal(host_console_push(s, "host-two", "ins-ontwo001", "stale", 5, 11), 0);
    assert_int_equal(host_console_push(s, "host-three", "ins-ontwo001", "after", 5, 12), 1);
    assert_int_equal(host_console_get(s, "ins-ontwo001", buf, sizeof buf, &n), 1);
    assert_memory_equal(buf, "after", 5);
    assert_int_equal(rows(s, "ins-ontwo001"), 1);
}

static void push_when_changed_and_not_too_often(void **state)
{
    (void)state;
    struct console_seen seen[2] = {{.id = "ins-a", .size = 100, .mtime_ns = 5, .pushed_ms = 10000},
                                   {.id = "ins-b", .size = -1, .mtime_ns = 0, .pushed_ms = 0}};
    assert_ptr_equal(console_seen_find(seen, 2, "ins-b"), &seen[1]);
    assert_null(console_seen_find(seen, 2, "ins-c"));
    assert_true(console_push_due(NULL, 0, 0, 0));                               /* never seen */
    assert_false(console_push_due(&seen[0], 100, 5, 99999));                    /* unchanged */
    assert_false(console_push_due(&seen[0], 120, 6, 10000 + 1999));             /* changed, too soon */
    assert_true(console_push_due(&seen[0], 120, 6, 10000 + 2000));              /* changed, its turn */
    assert_true(console_push_due(&seen[0], 100, 7, 10000 + 2000));              /* rewritten, same size */
    assert_true(console_push_due(&seen[1], 0, 0, HOST_CONSOLE_SECONDS * 1000)); /* never pushed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(only_the_placing_host_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(follows_the_instance, setup, teardown),
        cmocka_unit_test(push_when_changed_and_not_too_often),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
