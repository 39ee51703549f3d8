/* Unit tests for the partner channel's rebate: the arithmetic per policy class (rebate_compute),
 * product classes, months and quarters, and the month-end job on an in-memory store — paid once,
 * into the partner's balance, customers in arrears flagged and not paid, spend before binding
 * not counted. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "billing/billing_int.h"
#include "partner/partner_int.h"

static const struct rebate_policy *default_policy(void)
{
    static struct rebate_policy p;
    memset(&p, 0, sizeof p);
    memcpy(p.rate_ppm, rebate_default_ppm, sizeof p.rate_ppm);
    for (int i = 0; rebate_default_map[i][0]; i++) {
        snprintf(p.map[p.nmap].product, sizeof p.map[0].product, "%s", rebate_default_map[i][0]);
        p.map[p.nmap++].cls = rebate_class_index(rebate_default_map[i][1]);
    }
    return &p;
}

#define YUAN BILLING_FINE_PER_YUAN
#define CENT BILLING_FINE_PER_CENT

static void products_fall_in_one_class(void **state)
{
    (void)state;
    const struct rebate_policy *p = default_policy();
    assert_int_equal(rebate_class_of(p, "cvm"), 0);
    assert_int_equal(rebate_class_of(p, "cbs"), 1);
    assert_int_equal(rebate_class_of(p, "cos"), 2); /* the "*" row */
    assert_int_equal(rebate_class_of(p, "vpc"), 2);
    struct rebate_policy none = {.nmap = 1, .map = {{"cvm", 0}}};
    assert_int_equal(rebate_class_of(&none, "cbs"), -1);
    assert_int_equal(rebate_class_index("A"), 0);
    assert_int_equal(rebate_class_index("c"), 2);
    assert_int_equal(rebate_class_index("D"), -1);
    assert_int_equal(rebate_class_index("AB"), -1);
    assert_int_equal(rebate_class_index(""), -1);
}

static void rebate_is_the_class_rate_of_the_exact_spend_floored(void **state)
{
    (void)state;
    static const struct {
        struct rebate_line lines[4];
        int n;
        int cls, overdue;
        int64_t sales_cents, amt_cents;
    } cases[] = {
        /* 100 yuan of cvm at 5 %: 500 cents */
        {{{"cvm", 100 * YUAN, 0}}, 1, 0, 0, 10000, 500},
        /* two rows of one class add up before the rate: 0.10 + 0.10 yuan of cbs at 3 % = 0.6 cents -> 0 */
        {{{"cbs", 10 * CENT, 0}, {"cbs", 10 * CENT, 0}}, 2, 1, 0, 20, 0},
        /* 19.2 yuan of cbs at 3 %: 57.6 cents, floored */
        {{{"cbs", 1920 * CENT, 0}}, 1, 1, 0, 1920, 57},
        /* below a cent of spend still counts in the sum: 33.333333 + 66.666667 = 100 cents at 5 % */
        {{{"cvm", 33333333, 0}, {"cvm", 66666667, 0}}, 2, 0, 0, 100, 5},
        /* a refund larger than the spend: negative sales, no rebate */
        {{{"cvm", 10 * YUAN, 0}, {"cvm", -20 * YUAN, 0}}, 2, 0, 0, -1000, 0},
        /* customers in arrears are their own row */
        {{{"cos", 50 * YUAN, 1}, {"cos", 50 * YUAN, 0}}, 2, 2, 1, 5000, 50},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rebate_row out[REBATE_CLASSES][2];
        rebate_compute(default_policy(), cases[i].lines, cases[i].n, out);
        const struct rebate_row *r = &out[cases[i].cls][cases[i].overdue];
        if (!r->used || r->sales_cents != cases[i].sales_cents || r->amt_cents != cases[i].amt_cents)
            fail_msg("case %zu: used %d sales %lld amt %lld, want %lld %lld", i, r->used, (long long)r->sales_cents,
                     (long long)r->amt_cents, (long long)cases[i].sales_cents, (long long)cases[i].amt_cents);
        int used = 0;
        for (int c = 0; c < REBATE_CLASSES; c++)
            for (int o = 0; o < 2; o++)
                used += out[c][o].used;
        assert_true(used >= 1 && used <= 2);
    }
    struct rebate_row out[REBATE_CLASSES][2];
    rebate_compute(default_policy(), NULL, 0, out);
    for (int c = 0; c < REBATE_CLASSES; c++)
        assert_false(out[c][0].used || out[c][1].used);
}

static int64_t utc(int y, int mo, int d, int h)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h};
    return (int64_t)timegm(&tm);
}

static void months_and_quarters(void **state)
{
    (void)state;
    char m[8];
    assert_int_equal(month_start(utc(2026, 12, 31, 23) + 3599), utc(2026, 12, 1, 0));
    assert_int_equal(month_next(utc(2026, 12, 1, 0)), utc(2027, 1, 1, 0));
    assert_int_equal(month_next(utc(2027, 1, 1, 0)), utc(2027, 2, 1, 0));
    assert_int_equal(quarter_start(utc(2026, 12, 1, 0)), utc(2026, 10, 1, 0));
    assert_int_equal(quarter_start(utc(2027, 3, 1, 0)), utc(2027, 1, 1, 0));
    month_name(utc(2027, 2, 14, 5), m);
    assert_string_equal(m, "2027-02");
    int64_t t;
    assert_int_equal(month_parse("2026-12", &t), 0);
    assert_int_equal(t, utc(2026, 12, 1, 0));
    static const char *const bad[] = {"2026-13", "2026-1", "26-12", "2026/12", "2026-12x", "", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(month_parse(bad[i], &t), -1);
    assert_int_equal(fine_to_cents(-1), -1);
    assert_int_equal(fine_to_cents(CENT - 1), 0);
    assert_int_equal(fine_to_cents(-CENT), -1);
}

static int64_t one_int(struct store *s, const char *sql, const char *arg)
{
    struct store_stmt *q = store_query(s, sql, "s", arg);
    assert_non_null(q);
    assert_int_equal(store_step(q), STORE_FOUND);
    int64_t v = store_int(q, 0);
    store_done(q);
    return v;
}

/* A customer's disk of gib GiB at 1 yuan per GiB-hour for the hour starting at h, settled. */
static void spend_hour(struct store *s, const char *uin, const char *disk, int64_t gib, int64_t h)
{
    struct meter_use use = {uin,          disk, disk, "cbs", "v_cbs_disk", "CLOUD_PREMIUM", "ap-local",
                            "ap-local-1", "[]", gib,  0};
    assert_int_equal(meter_set(s, &use, h), 0);
    assert_true(meter_stop(s, disk, NULL, h + 3600) >= 0);
    assert_int_equal(settle_hour(s, h), 0);
}

static void month_end_pays_each_partner_once(void **state)
{
    (void)state;
    char err[256];
    struct store *s = store_open(":memory:", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(billing_migrate(s, err, sizeof err), 0);
    assert_int_equal(meter_migrate(s, err, sizeof err), 0);
    assert_int_equal(partner_migrate(s, err, sizeof err), 0);
    assert_int_equal(store_exec(s,
                                "INSERT INTO billing_prices (region, product, component, item, pay_mode,"
                                " effective_from, price, unit_qty, period_s, unit) VALUES ('*', 'cbs', 'v_cbs_disk',"
                                " 'CLOUD_PREMIUM', 'postPay', 1, ?, 1, 3600, 'GB')",
                                "i", YUAN),
                     1);
    const int64_t dec = utc(2026, 12, 1, 0), jan = utc(2027, 1, 1, 0);
    struct partner p = {.uin = "500", .kind = "reseller", .code = "code500", .created = dec};
    assert_int_equal(pstore_partner_put(s, &p), 0);
    /* 600 bound on Dec 10 spent 5 yuan before (not counted) and 100 yuan after; 700 is in arrears;
     * 800 applied but was never accepted */
    assert_int_equal(pstore_client_apply(s, "500", "600", "a", dec), 1);
    assert_int_equal(pstore_client_apply(s, "500", "700", "a", dec), 1);
    assert_int_equal(pstore_client_apply(s, "500", "800", "a", dec), 1);
    assert_int_equal(pstore_client_apply(s, "500", "600", "a", dec), 0); /* pending already */
    spend_hour(s, "600", "disk-a", 5, dec + 5 * 86400);
    assert_int_equal(pstore_client_audit(s, "500", "600", CLIENT_BOUND, "", dec + 9 * 86400), 1);
    assert_int_equal(pstore_client_audit(s, "500", "700", CLIENT_BOUND, "", dec), 1);
    spend_hour(s, "600", "disk-b", 60, dec + 10 * 86400);
    spend_hour(s, "600", "disk-c", 40, dec + 11 * 86400);
    spend_hour(s, "700", "disk-d", 30, dec + 12 * 86400);
    spend_hour(s, "800", "disk-e", 1000, dec + 12 * 86400);
    int64_t cash;
    assert_int_equal(ledger_move(s, "600", 200 * YUAN, "recharge", "", "", "", dec, NULL, &cash), 0);
    assert_int_equal(ledger_move(s, "700", 10 * YUAN, "recharge", "", "", "", dec, NULL, &cash), 0);

    assert_int_equal(partner_month_end(s, dec + 20 * 86400), 0); /* the first run: nothing ended before */
    assert_int_equal(one_int(s, "SELECT count(*) FROM partner_rebates WHERE partner_uin = ?", "500"), 0);
    for (int round = 0; round < 2; round++) { /* a second run in January pays nothing more */
        assert_int_equal(partner_month_end(s, jan + 3600), 0);
        assert_int_equal(one_int(s, "SELECT count(*) FROM partner_rebates WHERE partner_uin = ?", "500"), 2);
        /* class B (cbs) at 3 %: 100 yuan -> 300 cents paid; 700's 30 yuan -> 90 cents flagged */
        assert_int_equal(one_int(s, "SELECT amt FROM partner_rebates WHERE overdue = 0 AND partner_uin = ?", "500"),
                         300);
        assert_int_equal(
            one_int(s, "SELECT month_sales FROM partner_rebates WHERE overdue = 0 AND partner_uin = ?", "500"), 10000);
        assert_int_equal(one_int(s, "SELECT amt FROM partner_rebates WHERE overdue = 1 AND partner_uin = ?", "500"),
                         90);
        assert_int_equal(one_int(s, "SELECT count(*) FROM billing_ledger WHERE uin = ?", "500"), 1);
        assert_int_equal(ledger_cash(s, "500", &cash), 0);
        assert_int_equal(cash, 300 * CENT);
        assert_int_equal(one_int(s, "SELECT count(*) FROM partner_rebate_runs WHERE partner_uin = ?", "500"), 1);
    }
    /* quarter sales add the earlier months of the quarter: a spend in February */
    spend_hour(s, "600", "disk-f", 10, utc(2027, 2, 3, 0));
    assert_int_equal(partner_month_end(s, utc(2027, 3, 1, 1)), 0);
    assert_int_equal(one_int(s,
                             "SELECT quarter_sales FROM partner_rebates WHERE month = '2027-02' AND overdue = 0 AND"
                             " partner_uin = ?",
                             "500"),
                     1000);
    assert_int_equal(one_int(s, "SELECT count(*) FROM partner_rebate_runs WHERE partner_uin = ?", "500"), 3);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(products_fall_in_one_class),
        cmocka_unit_test(rebate_is_the_class_rate_of_the_exact_spend_floored),
        cmocka_unit_test(months_and_quarters),
        cmocka_unit_test(month_end_pays_each_partner_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
