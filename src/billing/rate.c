/*
 * rate: integer money arithmetic. Products are computed in 128 bits, so a price of 1e10 fine
 * units times a quantity of 1e12 bytes times a month of seconds does not overflow before division.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "billing/billing_int.h"

static int64_t div_half_up128(__int128 num, __int128 den)
{
    int neg = (num < 0) != (den < 0);
    if (num < 0)
        num = -num;
    if (den < 0)
        den = -den;
    __int128 q = (num + den / 2) / den;
    return (int64_t)(neg ? -q : q);
}

int64_t rate_div_half_up(int64_t num, int64_t den) { return div_half_up128(num, den); }

int64_t rate_muldiv(int64_t a, int64_t b, int64_t c) { return c ? div_half_up128((__int128)a * b, c) : 0; }

int64_t rate_cost(int64_t price, int64_t quantity, int64_t unit_qty, int64_t seconds, int64_t period_s)
{
    if (unit_qty <= 0)
        unit_qty = 1;
    __int128 num = (__int128)price * quantity, den = unit_qty;
    if (period_s > 0) { /* a time-based price: prorated by the second */
        num *= seconds;
        den *= period_s;
    }
    return div_half_up128(num, den);
}

int64_t rate_discount(int64_t cost, int64_t ppm) { return div_half_up128((__int128)cost * ppm, BILLING_PPM); }

int64_t rate_cents_floor(int64_t fine)
{
    int64_t q = fine / BILLING_FINE_PER_CENT;
    return (fine % BILLING_FINE_PER_CENT < 0) ? q - 1 : q;
}

static void fixed(int64_t v, int64_t scale, int places, char out[32])
{
    uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    snprintf(out, 32, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)(a / (uint64_t)scale), places,
             (unsigned long long)(a % (uint64_t)scale));
}

void rate_yuan(int64_t fine, char out[32]) { fixed(fine, BILLING_FINE_PER_YUAN, 8, out); }

void rate_yuan2(int64_t fine, char out[32]) { fixed(rate_div_half_up(fine, BILLING_FINE_PER_CENT), 100, 2, out); }

void rate_ratio(int64_t ppm, char out[32]) { fixed(ppm * 100, BILLING_FINE_PER_YUAN, 8, out); }

/* A non-negative decimal "12.345" as an integer in 1/scale units; at most max_whole before the
 * point and no digits finer than 1/scale. */
static int parse_fixed(const char *s, int64_t scale, int64_t max_whole, int64_t *out)
{
    int64_t whole = 0, frac = 0, unit = scale;
    const char *p = s;
    if (!p || !*p)
        return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((whole = whole * 10 + (*p - '0')) > max_whole)
            return -1;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (unit == 1)
                return -1;
            unit /= 10;
            frac += (*p - '0') * unit;
        }
    }
    if (*p || p == s)
        return -1;
    *out = whole * scale + frac;
    return 0;
}

int rate_parse_yuan(const char *s, int64_t *fine) { return parse_fixed(s, BILLING_FINE_PER_YUAN, 10000000000LL, fine); }

int rate_parse_ratio(const char *s, int64_t *ppm)
{
    int64_t v;
    if (parse_fixed(s, BILLING_PPM, 1, &v) != 0 || v <= 0 || v > BILLING_PPM)
        return -1;
    *ppm = v;
    return 0;
}

int64_t rate_months_seconds(int64_t from, int months)
{
    time_t tt = (time_t)from;
    struct tm tm;
    gmtime_r(&tt, &tm);
    int mday = tm.tm_mday;
    tm.tm_mon += months;
    tm.tm_mday = 1;
    time_t first = timegm(&tm); /* normalises the month */
    struct tm f;
    gmtime_r(&first, &f);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = f.tm_year + 1900;
    int dim = days[f.tm_mon] + (f.tm_mon == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    f.tm_mday = mday > dim ? dim : mday; /* Jan 31 + 1 month = Feb 28/29, as Tencent's periods end */
    f.tm_hour = tm.tm_hour;
    f.tm_min = tm.tm_min;
    f.tm_sec = tm.tm_sec;
    return (int64_t)timegm(&f) - from;
}
