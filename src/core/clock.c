/*
 * clock: the daemon's one business clock. Settlement, expiry, arrears, usage metering and every
 * other time-driven behaviour read clock_now(); it is wall time, plus an offset that only a daemon
 * started with `yun up --test-clock` lets an operator move forward (billing keeps the offset in
 * the store, so `yun admin clock --advance` reaches the running daemon and survives a restart).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static _Atomic int64_t offset;
static _Atomic int test_mode;

int64_t clock_now(void) { return time_now() + atomic_load(&offset); }
int64_t clock_offset(void) { return atomic_load(&offset); }

void clock_set_offset(int64_t seconds)
{
    /* the clock never goes back: what was settled at a later time stays settled */
    int64_t cur = atomic_load(&offset);
    while (seconds > cur && !atomic_compare_exchange_weak(&offset, &cur, seconds))
        ;
}

void clock_set_test(int on) { atomic_store(&test_mode, on ? 1 : 0); }
int clock_is_test(void) { return atomic_load(&test_mode); }

int clock_parse_duration(const char *s, int64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 0)
        return -1;
    int64_t unit = !strcmp(end, "s") || !*end ? 1
                   : !strcmp(end, "m")        ? 60
                   : !strcmp(end, "h")        ? 3600
                   : !strcmp(end, "d")        ? 86400
                                              : 0;
    if (!unit || n > (int64_t)3650 * 86400 / unit)
        return -1;
    *out = (int64_t)n * unit;
    return 0;
}
