/* Identifiers: shapes, alphabet, and that they do not repeat; plus the AEAD used for secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void resource_ids(void **state)
{
    (void)state;
    enum { N = 20000 };
    char **ids = malloc(sizeof *ids * N);
    for (int i = 0; i < N; i++) {
        ids[i] = malloc(16);
        random_id("ins-", ids[i], 16);
        assert_int_equal(strlen(ids[i]), 12);
        assert_memory_equal(ids[i], "ins-", 4);
        for (int j = 4; j < 12; j++)
            assert_true((ids[i][j] >= 'a' && ids[i][j] <= 'z') || (ids[i][j] >= '0' && ids[i][j] <= '9'));
    }
    qsort(ids, N, sizeof *ids, cmp);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    for (int i = 0; i < N; i++)
        free(ids[i]);
    free(ids);
}

static void uins_and_keys(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        uint64_t u = random_digits(12);
        assert_true(u >= 100000000000ull && u <= 999999999999ull);
    }
    char k[33];
    random_alnum(k, 32);
    assert_int_equal(strlen(k), 32);
    char uuid[37];
    random_uuid(uuid);
    assert_int_equal(strlen(uuid), 36);
    assert_int_equal(uuid[14], '4');
}

static void aead_round_trip(void **state)
{
    (void)state;
    uint8_t key[32], sealed[128];
    random_bytes(key, sizeof key);
    size_t n, m;
    char plain[64];
    assert_int_equal(aead_seal(key, "AKID1", "secret", 6, sealed, &n), 0);
    assert_int_equal(n, 6 + AEAD_OVERHEAD);
    assert_int_equal(aead_open(key, "AKID1", sealed, n, plain, &m), 0);
    assert_int_equal(m, 6);
    assert_memory_equal(plain, "secret", 6);
    assert_int_not_equal(aead_open(key, "AKID2", sealed, n, plain, &m), 0); /* bound to its key id */
    sealed[14] ^= 1;
    assert_int_not_equal(aead_open(key, "AKID1", sealed, n, plain, &m), 0); /* tamper-evident */
}

static void time_formats(void **state)
{
    (void)state;
    char b[32];
    time_iso8601(1700000000, b);
    assert_string_equal(b, "2023-11-14T22:13:20Z");
    int64_t t;
    assert_int_equal(time_parse_iso8601("2023-11-14T22:13:20Z", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(time_parse_iso8601("2023-11-15T06:13:20+08:00", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_not_equal(time_parse_iso8601("2023-13-01T00:00:00Z", &t), 0);
    assert_int_not_equal(time_parse_iso8601("yesterday", &t), 0);
}

static void string_copy(void **state)
{
    (void)state;
    char b[8];
    str_copy(b, sizeof b, "abc");
    assert_string_equal(b, "abc");
    str_copy(b, sizeof b, "abcdefghij"); /* truncated as snprintf would */
    assert_string_equal(b, "abcdefg");
    str_copy(b, sizeof b, "");
    assert_string_equal(b, "");
    str_copy(b, sizeof b, NULL);
    assert_string_equal(b, "");
    b[0] = 'x';
    str_copy(b, 0, "abc"); /* nothing written */
    assert_int_equal(b[0], 'x');
    str_copy(b, 1, "abc");
    assert_string_equal(b, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(resource_ids), cmocka_unit_test(uins_and_keys),
                                       cmocka_unit_test(aead_round_trip), cmocka_unit_test(time_formats),
                                       cmocka_unit_test(string_copy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
