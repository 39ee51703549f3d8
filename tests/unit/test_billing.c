/* Unit tests for billing's money arithmetic (rate.c), the effective-dated price book
 * (price_find) and hourly settlement (settle_hour) on an in-memory store: table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "billing/billing_int.h"

static void cost_prorates_by_the_second_half_up(void **state)
{
    (void)state;
    static const struct {
        int64_t price, qty, unit_qty, seconds, period, want;
    } cases[] = {
        {12000000, 2, 1, 3600, 3600, 24000000},                 /* 2 vCPUs for an hour at 0.12 yuan */
        {12000000, 1, 1, 1, 3600, 3333},                        /* one second: 3333.33 */
        {12000000, 1, 1, 2, 3600, 6667},                        /* 6666.67 rounds up */
        {40000, 100, 1, 1800, 3600, 2000000},                   /* 100 GiB for half an hour */
        {1, 1, 1, 1800, 3600, 1},                               /* exactly 0.5: half up */
        {1, 1, 1, 1799, 3600, 0},                               /* just under 0.5 */
        {16400, 1073741824LL, 1073741824LL, 3600, 3600, 16400}, /* per GiB in bytes */
        {1000000, 15000, 10000, 0, 0, 1500000},                 /* per use: 15,000 requests per 10,000 */
        {1, 5000, 10000, 0, 0, 1},                              /* per use, 0.5 up */
        {1, 4999, 10000, 0, 0, 0},
        {7, 3, 0, 0, 0, 21},                                                               /* unit 0 counts as 1 */
        {10000000000LL, 1000000000000LL, 1073741824LL, 2592000, 3600, 6705522537231445LL}, /* no overflow */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = rate_cost(cases[i].price, cases[i].qty, cases[i].unit_qty, cases[i].seconds, cases[i].period);
        if (got != cases[i].want)
            fail_msg("case %zu: rate_cost = %lld, want %lld", i, (long long)got, (long long)cases[i].want);
    }
}

static void discount_rounds_half_away_from_zero(void **state)
{
    (void)state;
    static const struct {
        int64_t cost, ppm, want;
    } cases[] = {
        {100, 800000, 80},
        {5, 500000, 3},
        {1, 500000, 1},
        {1, 499999, 0},
        {-5, 500000, -3},
        {0, 800000, 0},
        {123456789, 1000000, 123456789},
        {29000000, 800000, 23200000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (rate_discount(cases[i].cost, cases[i].ppm) != cases[i].want)
            fail_msg("case %zu: rate_discount(%lld, %lld) = %lld", i, (long long)cases[i].cost, (long long)cases[i].ppm,
                     (long long)rate_discount(cases[i].cost, cases[i].ppm));
}

static void cents_floor_towards_negative_infinity(void **state)
{
    (void)state;
    static const int64_t cases[][2] = {{0, 0},   {1000000, 1},   {999999, 0},           {1999999, 1},
                                       {-1, -1}, {-1000000, -1}, {-1000001, -2},        {-2500000, -3},
                                       {1, 0},   {-999999, -1},  {100000000000, 100000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (rate_cents_floor(cases[i][0]) != cases[i][1])
            fail_msg("case %zu: rate_cents_floor(%lld) = %lld", i, (long long)cases[i][0],
                     (long long)rate_cents_floor(cases[i][0]));
}

static void yuan_strings_have_eight_places(void **state)
{
    (void)state;
    static const struct {
        int64_t fine;
        const char *want;
    } cases[] = {
        {0, "0.00000000"},
        {35000000, "0.35000000"},
        {1, "0.00000001"},
        {-1, "-0.00000001"},
        {-150000000, "-1.50000000"},
        {123456789012, "1234.56789012"},
        {INT64_MIN, "-92233720368.54775808"},
        {INT64_MAX, "92233720368.54775807"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[32];
        rate_yuan(cases[i].fine, b);
        assert_string_equal(b, cases[i].want);
    }
    char b[32];
    rate_yuan2(1234999999, b); /* 12.34999999 -> 12.35 */
    assert_string_equal(b, "12.35");
    rate_yuan2(-1250000, b); /* -0.0125 -> -0.01 (half away from zero at the cent) */
    assert_string_equal(b, "-0.01");
    rate_ratio(800000, b);
    assert_string_equal(b, "0.80000000");
}

static void parse_yuan_and_ratio_edges(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t want;
    } yuan[] = {
        {"0.12", 0, 12000000},
        {"1", 0, 100000000},
        {"0.00000001", 0, 1},
        {"10000000000", 0, 1000000000000000000},
        {"0", 0, 0},
        {"0.000000001", -1, 0},
        {"", -1, 0},
        {".", -1, 0},
        {"1.", -1, 0},
        {"-1", -1, 0},
        {"1e3", -1, 0},
        {"abc", -1, 0},
        {"10000000001", -1, 0},
        {"1.2.3", -1, 0},
        {" 1", -1, 0},
    };
    for (size_t i = 0; i < sizeof yuan / sizeof yuan[0]; i++) {
        int64_t v = -7;
        int rc = rate_parse_yuan(yuan[i].in, &v);
        if (rc != yuan[i].rc || (rc == 0 && v != yuan[i].want))
            fail_msg("yuan case %zu `%s`: rc %d value %lld", i, yuan[i].in, rc, (long long)v);
    }
    int64_t v;
    assert_int_equal(rate_parse_yuan(NULL, &v), -1);
    static const struct {
        const char *in;
        int rc;
        int64_t want;
    } ratio[] = {
        {"0.8", 0, 800000}, {"1", 0, 1000000}, {"1.0", 0, 1000000}, {"0.000001", 0, 1}, {"0.5", 0, 500000},
        {"0", -1, 0},       {"0.0", -1, 0},    {"1.1", -1, 0},      {"2", -1, 0},       {"0.0000001", -1, 0},
        {"", -1, 0},        {"-0.5", -1, 0},   {"0.8x", -1, 0},
    };
    for (size_t i = 0; i < sizeof ratio / sizeof ratio[0]; i++) {
        int64_t p = -7;
        int rc = rate_parse_ratio(ratio[i].in, &p);
        if (rc != ratio[i].rc || (rc == 0 && p != ratio[i].want))
            fail_msg("ratio case %zu `%s`: rc %d value %lld", i, ratio[i].in, rc, (long long)p);
    }
}

static int64_t utc(int y, int mo, int d, int h)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h};
    return (int64_t)timegm(&tm);
}

static void months_end_on_the_last_day(void **state)
{
    (void)state;
    static const struct {
        int y, mo, d, h, months, days;
    } cases[] = {
        {2026, 1, 31, 0, 1, 28},                              /* Jan 31 + 1 month = Feb 28 */
        {2024, 1, 31, 0, 1, 29},                              /* leap year: Feb 29 */
        {2000, 1, 31, 0, 1, 29},                              /* divisible by 400: leap */
        {2100, 1, 31, 0, 1, 28},                              /* divisible by 100: not leap */
        {2026, 1, 31, 0, 2, 59},                              /* Mar 31 */
        {2026, 3, 15, 12, 1, 31},                             /* the hour is kept */
        {2026, 12, 1, 0, 1, 31},                              /* into the next year */
        {2026, 1, 31, 0, 12, 365}, {2024, 2, 29, 0, 12, 365}, /* Feb 29 + 1 year = Feb 28 2025 */
        {2026, 4, 30, 0, 1, 30},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t from = utc(cases[i].y, cases[i].mo, cases[i].d, cases[i].h);
        int64_t got = rate_months_seconds(from, cases[i].months);
        if (got != (int64_t)cases[i].days * 86400)
            fail_msg("case %zu: %lld s, want %d days", i, (long long)got, cases[i].days);
    }
}

/* ---- the price book and settlement on a store in memory ---- */

static struct store *billing_store(void)
{
    char err[256];
    struct store *s = store_open(":memory:", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(billing_migrate(s, err, sizeof err), 0);
    assert_int_equal(meter_migrate(s, err, sizeof err), 0);
    return s;
}

static void price(struct store *s, const char *region, const char *item, int64_t from, int64_t p)
{
    assert_int_equal(
        store_exec(s,
                   "INSERT INTO billing_prices (region, product, component, item, pay_mode, effective_from,"
                   " price, unit_qty, period_s, unit) VALUES (?, 'cbs', 'v_cbs_disk', ?, 'postPay', ?, ?, 1,"
                   " 3600, 'GB')",
                   "ssii", region, item, from, p),
        1);
}

static void price_find_is_effective_dated_with_star_fallback(void **state)
{
    (void)state;
    struct store *s = billing_store();
    price(s, "ap-local", "CLOUD_SSD", 1000, 200000);
    price(s, "ap-local", "CLOUD_SSD", 2000, 300000);
    price(s, "*", "CLOUD_SSD", 3000, 150000); /* a later '*' row loses to a region row */
    static const struct {
        const char *region, *item;
        int64_t t;
        int rc;
        int64_t want;
    } cases[] = {
        {"ap-local", "CLOUD_SSD", 999, STORE_FOUND, 140000},  /* the default book, before the region row */
        {"ap-local", "CLOUD_SSD", 1000, STORE_FOUND, 200000}, /* from its second on */
        {"ap-local", "CLOUD_SSD", 1999, STORE_FOUND, 200000},
        {"ap-local", "CLOUD_SSD", 2500, STORE_FOUND, 300000},
        {"ap-local", "CLOUD_SSD", 4000, STORE_FOUND, 300000},
        {"ap-other", "CLOUD_SSD", 2500, STORE_FOUND, 140000}, /* another region: the '*' row */
        {"ap-other", "CLOUD_SSD", 3000, STORE_FOUND, 150000},
        {"ap-local", "CLOUD_X", 2500, STORE_FOUND, 100000}, /* an item the book does not name: '*' */
        {"ap-local", "CLOUD_PREMIUM", 0, STORE_FOUND, 50000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct price_row p = {0};
        int rc = price_find(s, cases[i].region, "cbs", "v_cbs_disk", cases[i].item, "postPay", cases[i].t, &p);
        if (rc != cases[i].rc || p.price != cases[i].want)
            fail_msg("case %zu: rc %d price %lld, want %lld", i, rc, (long long)p.price, (long long)cases[i].want);
        assert_int_equal(p.period_s, 3600);
    }
    struct price_row p;
    assert_int_equal(price_find(s, "ap-local", "nope", "v_nope", "*", "postPay", 0, &p), STORE_NOT_FOUND);
    assert_int_equal(price_find(s, "ap-local", "cbs", "v_cbs_disk", "CLOUD_SSD", "prePay", 0, &p), STORE_FOUND);
    assert_int_equal(p.price, 35000000); /* the prepaid row, per month */
    store_close(s);
}

static int64_t one_int(struct store *s, const char *sql, const char *uin)
{
    struct store_stmt *q = store_query(s, sql, "s", uin);
    assert_non_null(q);
    assert_int_equal(store_step(q), STORE_FOUND);
    int64_t v = store_int(q, 0);
    store_done(q);
    return v;
}

static void settle_hour_charges_exactly_once(void **state)
{
    (void)state;
    struct store *s = billing_store();
    const int64_t H = utc(2026, 12, 2, 4); /* an hour boundary */
    char err[256];
    assert_int_equal(billing_set_discount(s, "100", "cvm", 800000, 0, err, sizeof err), 0);
    /* a disk from :10, grown to 200 GiB at :30, gone at :50: 100 GiB x 1200 s + 200 GiB x 1200 s */
    struct meter_use disk = {"100",        "disk-1", "d", "cbs", "v_cbs_disk", "CLOUD_PREMIUM", "ap-local",
                             "ap-local-1", "[]",     100, 0};
    assert_int_equal(meter_set(s, &disk, H + 600), 0);
    assert_int_equal(meter_set(s, &disk, H + 700), 0); /* the same use again changes nothing */
    disk.quantity = 200;
    assert_true(meter_set(s, &disk, H + 1800) >= 0);
    assert_true(meter_stop(s, "disk-1", NULL, H + 3000) >= 0);
    /* 2 vCPUs since before the hour and still running; a second account's disk */
    struct meter_use cpu = {"100", "ins-1", "i", "cvm", "v_cvm_cpu", "S5", "ap-local", "ap-local-1", "[]", 2, 0};
    assert_int_equal(meter_set(s, &cpu, H - 100), 0);
    struct meter_use other = {"200",        "disk-2", "d2", "cbs", "v_cbs_disk", "CLOUD_SSD", "ap-local",
                              "ap-local-1", "[]",     10,   0};
    assert_int_equal(meter_set(s, &other, H + 1800), 0);

    const int64_t disk_cost = 50000LL * (100 * 1200 + 200 * 1200) / 3600; /* 5000000: 0.05 yuan */
    const int64_t cpu_cost = 2 * 12000000, cpu_real = cpu_cost * 8 / 10;
    const int64_t other_cost = (140000LL * 10 * 1800 + 1800) / 3600;
    for (int round = 0; round < 2; round++) { /* the second settlement of the hour changes nothing */
        assert_int_equal(settle_hour(s, H), 0);
        assert_int_equal(one_int(s, "SELECT count(*) FROM billing_details WHERE owner_uin = ?", "100"), 2);
        assert_int_equal(one_int(s, "SELECT sum(cost) FROM billing_details WHERE owner_uin = ?", "100"),
                         disk_cost + cpu_cost);
        assert_int_equal(one_int(s, "SELECT sum(real_cost) FROM billing_details WHERE owner_uin = ?", "100"),
                         disk_cost + cpu_real);
        assert_int_equal(one_int(s,
                                 "SELECT used FROM billing_components WHERE component = 'v_cbs_disk' AND detail_id IN"
                                 " (SELECT detail_id FROM billing_details WHERE owner_uin = ?)",
                                 "100"),
                         360000);
        assert_int_equal(one_int(s,
                                 "SELECT time_span FROM billing_components WHERE component = 'v_cbs_disk' AND"
                                 " detail_id IN (SELECT detail_id FROM billing_details WHERE owner_uin = ?)",
                                 "100"),
                         2400);
        int64_t cash;
        assert_int_equal(ledger_cash(s, "100", &cash), 0);
        assert_int_equal(cash, -(disk_cost + cpu_real));
        assert_int_equal(ledger_cash(s, "200", &cash), 0);
        assert_int_equal(cash, -other_cost);
        assert_int_equal(one_int(s, "SELECT count(*) FROM billing_ledger WHERE uin = ?", "100"), 1);
        assert_int_equal(one_int(s, "SELECT amount FROM billing_settled WHERE owner_uin = ?", "100"),
                         disk_cost + cpu_real);
    }
    /* the next hour: only the instance still runs */
    assert_int_equal(settle_hour(s, H + 3600), 0);
    assert_int_equal(one_int(s, "SELECT count(*) FROM billing_details WHERE owner_uin = ?", "100"), 3);
    int64_t cash;
    assert_int_equal(ledger_cash(s, "100", &cash), 0);
    assert_int_equal(cash, -(disk_cost + 2 * cpu_real));
    store_close(s);
}

static void voucher(struct store *s, const char *product, int64_t amount, int64_t begin, int64_t end)
{
    char id[24], code[64], msg[256];
    struct billing_voucher_spec v = {.owner_uin = "300",
                                     .issuer_uin = "operator",
                                     .kind = BILLING_VOUCHER_TRIAL,
                                     .product = product,
                                     .amount = amount,
                                     .begin = begin,
                                     .end = end};
    if (billing_voucher_issue(s, &v, begin - 10, id, code, sizeof code, msg, sizeof msg) != 0)
        fail_msg("issue: %s %s", code, msg);
}

static int64_t voucher_left(struct store *s, int64_t amount)
{
    return one_int(
        s,
        amount == 10000000    ? "SELECT balance FROM billing_vouchers WHERE owner_uin = ? AND amount = 10000000"
        : amount == 50000000  ? "SELECT balance FROM billing_vouchers WHERE owner_uin = ? AND amount = 50000000"
        : amount == 5000000   ? "SELECT balance FROM billing_vouchers WHERE owner_uin = ? AND amount = 5000000"
        : amount == 100000000 ? "SELECT sum(balance) FROM billing_vouchers WHERE owner_uin = ? AND amount = 100000000"
                              : "SELECT 0",
        "300");
}

static void settle_pays_vouchers_first(void **state)
{
    (void)state;
    struct store *s = billing_store();
    const int64_t H = utc(2026, 12, 2, 4);
    /* 2 vCPUs all along: 0.24 yuan an hour */
    struct meter_use cpu = {"300", "ins-3", "i", "cvm", "v_cvm_cpu", "S5", "ap-local", "ap-local-1", "[]", 2, 0};
    assert_int_equal(meter_set(s, &cpu, H - 100), 0);
    const int64_t hour = 24000000;
    voucher(s, "cvm", 10000000, H - 5, H + 7200);    /* expires first */
    voucher(s, "*", 50000000, H - 5, H + 100000);    /* any product, expires last */
    voucher(s, "cbs", 100000000, H - 5, H + 100000); /* another product: never used here */
    voucher(s, "cvm", 100000000, H - 500, H);        /* expired at the hour's start */
    voucher(s, "cvm", 5000000, H + 1, H + 50000);    /* begins after the first hour started */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(settle_hour(s, H), 0);
        assert_int_equal(one_int(s, "SELECT sum(voucher) FROM billing_details WHERE owner_uin = ?", "300"), hour);
        assert_int_equal(one_int(s, "SELECT sum(cash) FROM billing_details WHERE owner_uin = ?", "300"), 0);
        assert_int_equal(one_int(s,
                                 "SELECT sum(voucher) + sum(cash) - sum(real_cost) FROM billing_components"
                                 " WHERE detail_id IN (SELECT detail_id FROM billing_details WHERE owner_uin = ?)",
                                 "300"),
                         0);
        assert_int_equal(one_int(s, "SELECT count(*) FROM billing_ledger WHERE uin = ?", "300"), 0); /* no cash */
        assert_int_equal(voucher_left(s, 10000000), 0);
        assert_int_equal(voucher_left(s, 50000000), 50000000 - (hour - 10000000));
        assert_int_equal(voucher_left(s, 5000000), 5000000);
    }
    assert_int_equal(settle_hour(s, H + 3600), 0); /* the late one (expires sooner) first, then the '*' one */
    assert_int_equal(voucher_left(s, 5000000), 0);
    assert_int_equal(voucher_left(s, 50000000), 50000000 - (hour - 10000000) - (hour - 5000000));
    assert_int_equal(settle_hour(s, H + 7200), 0); /* what is left, and cash for the rest */
    const int64_t cash_part = hour - (50000000 - (hour - 10000000) - (hour - 5000000));
    assert_int_equal(voucher_left(s, 50000000), 0);
    assert_int_equal(voucher_left(s, 100000000), 200000000); /* the cbs and the expired ones are untouched */
    int64_t cash;
    assert_int_equal(ledger_cash(s, "300", &cash), 0);
    assert_int_equal(cash, -cash_part);
    assert_int_equal(one_int(s, "SELECT sum(amount) FROM billing_settled WHERE owner_uin = ?", "300"), cash_part);
    assert_int_equal(one_int(s, "SELECT sum(used) FROM billing_voucher_usage WHERE owner_uin = ?", "300"),
                     3 * hour - cash_part);
    assert_int_equal(one_int(s, "SELECT sum(voucher) FROM billing_details WHERE owner_uin = ?", "300"),
                     3 * hour - cash_part);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cost_prorates_by_the_second_half_up),
        cmocka_unit_test(discount_rounds_half_away_from_zero),
        cmocka_unit_test(cents_floor_towards_negative_infinity),
        cmocka_unit_test(yuan_strings_have_eight_places),
        cmocka_unit_test(parse_yuan_and_ratio_edges),
        cmocka_unit_test(months_end_on_the_last_day),
        cmocka_unit_test(price_find_is_effective_dated_with_star_fallback),
        cmocka_unit_test(settle_hour_charges_exactly_once),
        cmocka_unit_test(settle_pays_vouchers_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
