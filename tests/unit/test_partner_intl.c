/* Unit tests for the international channel's amounts: a JSON number (the SDK's float USD) to the
 * integer fine unit (1e-8), exactly, by the shortest decimal that reads back as the same double;
 * more places than the unit, NaN, infinities and magnitudes beyond 1e10 refused. Table-driven. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "partner/partner_int.h"

static void amounts_convert_exactly(void **state)
{
    (void)state;
    static const struct {
        double in;
        int64_t fine;
    } ok[] = {
        {100.25, 10025000000LL},
        {0.1, 10000000LL},
        {0.2, 20000000LL},
        {0.1 + 0.2, 30000000LL}, /* 0.30000000000000004: its shortest form has 17 digits... */
        {1e-8, 1},
        {-1e-8, -1},
        {0.00000003, 3},
        {-0.55, -55000000LL},
        {123456.78, 12345678000000LL},
        {1e10, 1000000000000000000LL},
        {9999999999.9999, 999999999999990000LL},
        {1, 100000000LL},
        {-1000, -100000000000LL},
        {0.0, 0},
        {234.5464, 23454640000LL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t f = -7;
        int rc = intl_amount_fine(ok[i].in, &f);
        if (i == 3) { /* ...so it is refused: finer than the unit */
            assert_int_equal(rc, -1);
            continue;
        }
        if (rc != 0 || f != ok[i].fine)
            fail_msg("%.17g: rc %d, %lld, want %lld", ok[i].in, rc, (long long)f, (long long)ok[i].fine);
    }
}

static void amounts_refused(void **state)
{
    (void)state;
    const double bad[] = {1e-9,  0.123456789, 100.000000001, -1e-9,     1e10 + 1, -2e10,
                          1e300, NAN,         INFINITY,      -INFINITY, 5e-324};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t f = 42;
        if (intl_amount_fine(bad[i], &f) != -1)
            fail_msg("%.17g accepted as %lld", bad[i], (long long)f);
        assert_int_equal(f, 42);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(amounts_convert_exactly), cmocka_unit_test(amounts_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
