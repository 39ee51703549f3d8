/* The change watch (store_watch): the count moves after a watched table's change is committed (in
 * a transaction or by a lone statement, WITHOUT ROWID tables included), not before, and not for
 * tables outside the prefix or on the list of exceptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static const char *const except[] = {"w_book", NULL};

static uint64_t count(struct store *s)
{
    uint64_t c = 0;
    assert_int_equal(store_watch_count(s, &c), 1);
    return c;
}

static void watch(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/yun-test-watch-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    store_watch("w_", except);
    struct store *s = store_open(path, err, sizeof err), *other = store_open(path, err, sizeof err);
    assert_non_null(s);
    assert_non_null(other);
    assert_int_equal(
        store_exec(s, "CREATE TABLE w_rows (k TEXT NOT NULL, v TEXT, PRIMARY KEY (k)) WITHOUT ROWID", NULL), 0);
    assert_int_equal(store_exec(s, "CREATE TABLE w_book (k INTEGER PRIMARY KEY, v TEXT)", NULL), 0);
    assert_int_equal(store_exec(s, "CREATE TABLE other (k INTEGER PRIMARY KEY, v TEXT)", NULL), 0);

    uint64_t c0 = count(s);
    assert_int_equal(store_exec(s, "INSERT INTO w_rows (k, v) VALUES ('a', '1')", NULL), 1); /* a lone statement */
    uint64_t c1 = count(s);
    assert_true(c1 > c0);

    /* inside a transaction: not counted until it commits, so a reader's rows stay good till then */
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(store_exec(s, "UPDATE w_rows SET v = '2' WHERE k = 'a'", NULL), 1);
    assert_true(count(other) == c1);
    assert_int_equal(store_commit(s), STORE_OK);
    uint64_t c2 = count(other);
    assert_true(c2 > c1);

    /* upsert and delete through a statement iterated and done */
    struct store_stmt *q = store_query(
        s, "INSERT INTO w_rows (k, v) VALUES ('b', '1') ON CONFLICT (k) DO UPDATE SET v = excluded.v RETURNING k",
        NULL);
    assert_non_null(q);
    assert_int_equal(store_step(q), 1);
    store_done(q);
    uint64_t c3 = count(s);
    assert_true(c3 > c2);
    assert_int_equal(store_exec(s, "DELETE FROM w_rows", NULL), 2);
    uint64_t c4 = count(s);
    assert_true(c4 > c3);

    /* not watched: another prefix, an excepted table, reads */
    assert_int_equal(store_exec(s, "INSERT INTO other (v) VALUES ('x')", NULL), 1);
    assert_int_equal(store_exec(s, "INSERT INTO w_book (v) VALUES ('x')", NULL), 1);
    q = store_query(s, "SELECT count(*) FROM w_rows", NULL);
    assert_int_equal(store_step(q), 1);
    store_done(q);
    assert_true(count(s) == c4);

    /* a rolled-back change leaves nothing to retire, and the next commit of another table is not it */
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(store_exec(s, "INSERT INTO w_rows (k, v) VALUES ('c', '1')", NULL), 1);
    store_rollback(s);
    uint64_t c5 = count(s);
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(store_exec(s, "INSERT INTO other (v) VALUES ('y')", NULL), 1);
    assert_int_equal(store_commit(s), STORE_OK);
    assert_true(count(s) == c5);

    store_close(other);
    store_close(s);
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* The second watch (store_watch_all, the joined hosts' documents): every table but its exceptions, beside the first */
static const char *const all_except[] = {"beats", NULL};

static void watch_all(void **state)
{
    (void)state;
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/yun-test-watch-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    store_watch_all(all_except);
    struct store *s = store_open(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_exec(s, "CREATE TABLE beats (k INTEGER PRIMARY KEY, v INTEGER)", NULL), 0);
    assert_int_equal(store_exec(s, "CREATE TABLE hosts (k INTEGER PRIMARY KEY, v INTEGER)", NULL), 0);
    uint64_t a0 = 0, a1 = 0, a2 = 0, w0 = count(s);
    assert_int_equal(store_watch_all_count(s, &a0), 1);
    assert_int_equal(store_exec(s, "INSERT INTO beats (v) VALUES (1)", NULL), 1); /* excepted */
    assert_int_equal(store_watch_all_count(s, &a1), 1);
    assert_true(a1 == a0);
    assert_int_equal(store_exec(s, "INSERT INTO hosts (v) VALUES (1)", NULL), 1); /* any other table */
    assert_int_equal(store_watch_all_count(s, &a2), 1);
    assert_true(a2 > a1);
    assert_true(count(s) == w0); /* not the first watch's prefix */
    store_close(s);
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(watch), cmocka_unit_test(watch_all)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
