/*
 * The arrears state table against a real SQLite store, with a fake product recording what billing
 * asks of it: grace, isolation at exactly the grace period, one call per transition, restore on a
 * recharge, a long jump of the clock applying each state on the way (release after retention),
 * a released account that stays negative staying released, and exempt accounts left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "billing/billing_int.h"

static char dir[64], db[128];
static int isolated, restored, released;
static int64_t isolated_at, released_at;

static int f_isolate(struct store *s, const char *uin, int64_t t)
{
    (void)s, (void)uin;
    isolated++;
    isolated_at = t;
    return 0;
}
static int f_restore(struct store *s, const char *uin, int64_t t)
{
    (void)s, (void)uin, (void)t;
    restored++;
    return 0;
}
static int f_release(struct store *s, const char *uin, int64_t t)
{
    (void)s, (void)uin;
    released++;
    released_at = t;
    return 0;
}
static const struct billing_product fake = {"fake", f_isolate, f_restore, f_release, NULL, NULL, NULL, NULL};

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/yun-arrears-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/yun.db", dir);
    char err[256];
    struct store *s = store_open(db, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_migrate(s, "audit", audit_migrations, audit_migration_count, err, sizeof err), 0);
    assert_int_equal(billing_migrate(s, err, sizeof err), 0);
    billing_register_product(&fake);
    isolated = restored = released = 0;
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

static void move(struct store *s, const char *uin, int64_t fine, int64_t t)
{
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(ledger_move(s, uin, fine, fine < 0 ? "deduct" : "recharge", "", "", "", t, NULL, NULL), 0);
    assert_int_equal(store_commit(s), STORE_OK);
}

static const char *state_of(struct store *s, const char *uin)
{
    static char out[32];
    struct store_stmt *q = store_query(s, "SELECT overdue_state FROM billing_accounts WHERE uin = ?", "s", uin);
    assert_int_equal(store_step(q), STORE_FOUND);
    snprintf(out, sizeof out, "%s", store_text(q, 0));
    store_done(q);
    return out;
}

static int64_t count(struct store *s, const char *sql, const char *uin)
{
    struct store_stmt *q = store_query(s, sql, "s", uin);
    assert_int_equal(store_step(q), STORE_FOUND);
    int64_t n = store_int(q, 0);
    store_done(q);
    return n;
}

static void test_grace_isolation_restore(void **state)
{
    struct store *s = *state;
    const int64_t t0 = 1800000000;
    move(s, "100", 5 * BILLING_FINE_PER_CENT, t0 - 10);
    assert_int_equal(arrears_pass(s, t0), 0);
    assert_string_equal(state_of(s, "100"), "NORMAL");
    move(s, "100", -6 * BILLING_FINE_PER_CENT, t0);
    assert_int_equal(billing_in_arrears(s, "100"), 1);
    assert_int_equal(arrears_pass(s, t0), 0);
    assert_string_equal(state_of(s, "100"), "GRACE");
    assert_int_equal(arrears_pass(s, t0 + arrears_grace_s - 1), 0);
    assert_string_equal(state_of(s, "100"), "GRACE");
    assert_int_equal(isolated, 0);
    assert_int_equal(arrears_pass(s, t0 + arrears_grace_s), 0);
    assert_string_equal(state_of(s, "100"), "ISOLATED");
    assert_int_equal(isolated, 1);
    assert_int_equal(isolated_at, t0 + arrears_grace_s);
    assert_int_equal(arrears_pass(s, t0 + arrears_grace_s + 60), 0); /* no second call */
    assert_int_equal(isolated, 1);
    move(s, "100", 1 * BILLING_FINE_PER_CENT, t0 + 9000); /* back to exactly zero */
    assert_int_equal(arrears_pass(s, t0 + 9000), 0);
    assert_string_equal(state_of(s, "100"), "NORMAL");
    assert_int_equal(restored, 1);
    assert_int_equal(billing_in_arrears(s, "100"), 0);
    /* each transition noted for the customer and audited */
    assert_int_equal(count(s, "SELECT count(*) FROM billing_notes WHERE uin = ?", "100"), 3);
    assert_int_equal(
        count(s, "SELECT count(*) FROM audit_log WHERE owner_uin = ? AND action = 'OverdueStateChange'", "100"), 3);
}

static void test_long_jump_releases_once(void **state)
{
    struct store *s = *state;
    const int64_t t0 = 1800000000;
    move(s, "200", -1, t0);
    /* the controller had not run for weeks: every state on the way is applied, each at its time */
    assert_int_equal(arrears_pass(s, t0), 0);
    assert_int_equal(arrears_pass(s, t0 + 40 * 86400), 0);
    assert_string_equal(state_of(s, "200"), "RELEASED");
    assert_int_equal(isolated, 1);
    assert_int_equal(released, 1);
    assert_int_equal(isolated_at, t0 + arrears_grace_s);
    assert_int_equal(released_at, t0 + arrears_grace_s + arrears_retention_s);
    assert_int_equal(arrears_pass(s, t0 + 41 * 86400), 0);
    assert_string_equal(state_of(s, "200"), "RELEASED");
    assert_int_equal(released, 1);
    move(s, "200", BILLING_FINE_PER_CENT, t0 + 42 * 86400);
    assert_int_equal(arrears_pass(s, t0 + 42 * 86400), 0);
    assert_string_equal(state_of(s, "200"), "NORMAL");
    assert_int_equal(restored, 0); /* nothing left to restore */
}

static void test_exempt_is_left_alone(void **state)
{
    struct store *s = *state;
    assert_int_equal(billing_exempt(s, "300", 1), 0);
    move(s, "300", -100 * BILLING_FINE_PER_CENT, 1800000000);
    assert_int_equal(arrears_pass(s, 1800000000 + 30 * 86400), 0);
    assert_string_equal(state_of(s, "300"), "NORMAL");
    assert_int_equal(isolated + released, 0);
    assert_int_equal(billing_in_arrears(s, "300"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grace_isolation_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_jump_releases_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exempt_is_left_alone, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
