/* store_rows: a query's rows into a growing array (empty, one, past the first growth, a failed
 * query), and store_rows_uin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/rows.h"

struct row {
    int64_t k;
    char v[8];
};

static void fill(struct store_stmt *q, void *e)
{
    struct row *r = e;
    assert_int_equal(r->k, 0); /* zeroed before */
    r->k = store_int(q, 0);
    snprintf(r->v, sizeof r->v, "%s", store_text(q, 1));
}

static void rows(void **state)
{
    (void)state;
    char path[64] = "/tmp/yun-test-rows-XXXXXX", err[256], side[80];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct store *s = store_open(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_exec(s, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)", NULL), 0);
    struct row *out = (void *)1;
    int n = -1;
    assert_int_equal(store_rows(store_query(s, "SELECT k, v FROM t", NULL), sizeof *out, fill, &out, &n), 0);
    assert_null(out);
    assert_int_equal(n, 0);
    for (int i = 0; i < 40; i++) { /* past the first capacity (16) twice */
        char v[16];
        snprintf(v, sizeof v, "u%d", i);
        assert_int_equal(store_exec(s, "INSERT INTO t (k, v) VALUES (?, ?)", "is", (int64_t)i, v), 1);
    }
    assert_int_equal(store_rows(store_query(s, "SELECT k, v FROM t ORDER BY k", NULL), sizeof *out, fill, &out, &n), 0);
    assert_int_equal(n, 40);
    for (int i = 0; i < 40; i++) {
        char v[16];
        snprintf(v, sizeof v, "u%d", i);
        assert_int_equal(out[i].k, i);
        assert_string_equal(out[i].v, v);
    }
    free(out);
    char(*uins)[24] = NULL;
    assert_int_equal(store_rows_uin(store_query(s, "SELECT v FROM t WHERE k < 3 ORDER BY k", NULL), &uins, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(uins[2], "u2");
    free(uins);
    out = (void *)1;
    assert_int_equal(store_rows(store_query(s, "SELECT nope FROM missing", NULL), sizeof *out, fill, &out, &n), -1);
    assert_null(out);
    assert_int_equal(n, 0);
    store_close(s);
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(rows)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
