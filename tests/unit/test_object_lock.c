/*
 * Object lock (lock.c): the ISO 8601 dates x-amz-object-lock-retain-until-date and a Retention's
 * RetainUntilDate are given in (fractions, offsets) and the ones refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* lock.c (declared in object_int.h, whose fail() cmocka's macro of that name hides) */
int64_t lock_parse_date(const char *s);

static void test_dates(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ms;
    } cases[] = {
        {"2030-01-01T00:00:00Z", 1893456000000},
        {"2030-01-01T00:00:00.000Z", 1893456000000},
        {"2030-01-01T00:00:00.5Z", 1893456000500},
        {"2030-01-01T00:00:00.123456Z", 1893456000123},
        {"2030-01-01T08:00:00+08:00", 1893456000000},
        {"2029-12-31T23:00:00-01:00", 1893456000000},
        {"2030-01-01", -1},
        {"2030-01-01T00:00:00", -1},
        {"2030-13-01T00:00:00Z", -1},
        {"2030-01-01T00:00:00Zjunk", -1},
        {"tomorrow", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = lock_parse_date(cases[i].s);
        if (got != cases[i].ms)
            fail_msg("%s: %lld, expected %lld", cases[i].s, (long long)got, (long long)cases[i].ms);
    }
    assert_true(lock_parse_date(NULL) == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
