/* The statement cache: more distinct statements than it has slots, texts at new addresses, a reused
 * buffer holding new text, and statements still mid-iteration when the cache turns over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static struct store *open_temp(char *path, size_t len)
{
    snprintf(path, len, "/tmp/yun-test-store-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    struct store *s = store_open(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_exec(s, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)", NULL), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(store_exec(s, "INSERT INTO t (k, v) VALUES (?, ?)", "is", (int64_t)i, "x"), 1);
    return s;
}

static void close_temp(struct store *s, const char *path)
{
    store_close(s);
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* One SELECT returning its own number; n distinct texts. */
static int64_t select_n(struct store *s, char *buf, size_t len, int n)
{
    snprintf(buf, len, "SELECT %d + count(*) - count(*) FROM t", n);
    struct store_stmt *q = store_query(s, buf, NULL);
    if (!q)
        return -1;
    int64_t v = store_step(q) == 1 ? store_int(q, 0) : -2;
    store_done(q);
    return v;
}

static void more_statements_than_slots(void **state)
{
    (void)state;
    char path[64];
    struct store *s = open_temp(path, sizeof path);
    char buf[128]; /* one buffer for every text: the old cache keyed by address answered with the first */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 1000; i++)
            assert_int_equal(select_n(s, buf, sizeof buf, i), i);
    /* the same text at another address is the same statement, and answers */
    char *copy = strdup("SELECT count(*) FROM t");
    struct store_stmt *q = store_query(s, copy, NULL);
    assert_non_null(q);
    assert_int_equal(store_step(q), 1);
    assert_int_equal(store_int(q, 0), 10);
    store_done(q);
    free(copy);
    close_temp(s, path);
}

static void statements_mid_iteration_survive_turnover(void **state)
{
    (void)state;
    char path[64];
    struct store *s = open_temp(path, sizeof path);
    /* 300 queries left mid-iteration (one row read of ten), more than the cache holds */
    enum { OPEN = 300 };
    static char texts[OPEN][96];
    struct store_stmt *open[OPEN];
    for (int i = 0; i < OPEN; i++) {
        snprintf(texts[i], sizeof texts[i], "SELECT k, %d FROM t ORDER BY k", i);
        open[i] = store_query(s, texts[i], NULL);
        assert_non_null(open[i]);
        assert_int_equal(store_step(open[i]), 1);
        assert_int_equal(store_int(open[i], 0), 0);
    }
    char buf[128];
    for (int i = 0; i < 50; i++)
        assert_int_equal(select_n(s, buf, sizeof buf, 5000 + i), 5000 + i); /* uncached, still answered */
    for (int i = 0; i < OPEN; i++) {                                        /* each one continues where it was */
        assert_int_equal(store_int(open[i], 1), i);
        assert_int_equal(store_step(open[i]), 1);
        assert_int_equal(store_int(open[i], 0), 1);
        store_done(open[i]);
    }
    for (int i = 0; i < 600; i++)
        assert_int_equal(select_n(s, buf, sizeof buf, i), i);
    close_temp(s, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(more_statements_than_slots),
        cmocka_unit_test(statements_mid_iteration_survive_turnover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
