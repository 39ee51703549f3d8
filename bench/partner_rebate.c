/*
 * bench/partner_rebate: the month-end rebate of one partner with many customers, on SIMULATED
 * bills (rows generated straight into billing's tables by this program, not by settling usage).
 *
 *   build/bench/partner_rebate DIR [CUSTOMERS] [ROWS_PER_CUSTOMER]
 *
 * One reseller ("bench-partner", default policy: A cvm 5 %, B cbs 3 %, C the rest 1 %) with
 * CUSTOMERS bound customers ("bc-<n>"), each with ROWS_PER_CUSTOMER L3 bill rows in December 2026,
 * products cycling cvm, cbs, cos, cash 1..997 fine units x 10^5 by a fixed rule; one customer in
 * 100 is in arrears (its rows form the HAS_OVERDUE_BILL rows, not paid). Then the daemon's own
 * partner_month_end() runs once for the month, timed, and its result checked against sums computed
 * independently while generating: each class's MonthSales, Amt (floored) and the partner's income.
 * Prints the wall and CPU time of the month end (the CPU time is what a shared machine's load does
 * not inflate) and the peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "partner/partner_int.h"
#include "store/store.h"

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [CUSTOMERS] [ROWS_PER_CUSTOMER]\n", argv[0]);
        return 2;
    }
    long long customers = argc > 2 ? atoll(argv[2]) : 100000, per = argc > 3 ? atoll(argv[3]) : 100;
    char db[600], err[256];
    snprintf(db, sizeof db, "%s/yun.db", argv[1]);
    store_set_path(db);
    struct store *s = store_thread();
    if (!s || billing_migrate(s, err, sizeof err) || partner_migrate(s, err, sizeof err)) {
        fprintf(stderr, "store: %s\n", s ? err : "cannot open");
        return 1;
    }
    const int64_t from = 1796083200; /* 2026-12-01 00:00:00 UTC */
    const int64_t to = 1798761600;   /* 2027-01-01 */
    const char *products[] = {"cvm", "cbs", "cos"};
    const int cls_of[] = {0, 1, 2};
    __int128 want[REBATE_CLASSES][2] = {{0}};
    const char *partner = "bench-partner";
    double g = now_s();
    store_begin(s);
    struct partner p = {0};
    snprintf(p.uin, sizeof p.uin, "%s", partner);
    snprintf(p.kind, sizeof p.kind, "reseller");
    snprintf(p.code, sizeof p.code, "BENCH00001");
    p.created = from - 86400;
    if (pstore_partner_put(s, &p) != 0 || pstore_state_set(s, "rebated_through", from) != 0) {
        fprintf(stderr, "partner: %s\n", store_errmsg(s));
        return 1;
    }
    for (long long c = 0; c < customers; c++) {
        char uin[32];
        snprintf(uin, sizeof uin, "bc-%lld", c);
        int overdue = c % 100 == 99;
        if (pstore_client_apply(s, partner, uin, "a", from - 3600) != 1 ||
            pstore_client_audit(s, partner, uin, CLIENT_BOUND, "", from - 3600) != 1 ||
            (overdue && store_exec(s, "INSERT INTO billing_accounts (uin, cash, updated) VALUES (?, ?, ?)", "sii", uin,
                                   (int64_t)-100 * BILLING_FINE_PER_CENT, from) != 1)) {
            fprintf(stderr, "customer: %s\n", store_errmsg(s));
            return 1;
        }
        for (long long k = 0; k < per; k++) {
            int pi = (int)((c + k) % 3);
            int64_t cash = (int64_t)(1 + (c * 31 + k * 17) % 997) * 100000;
            int64_t begin = from + (k % 740) * 3600;
            char id[64];
            snprintf(id, sizeof id, "d%lld-%lld", c, k);
            if (store_exec(s,
                           "INSERT INTO billing_details (detail_id, owner_uin, payer_uin, operate_uin, month, product,"
                           " sub_product, pay_mode, action_type, region, zone, resource_id, resource_name, bill_id,"
                           " pay_time, fee_begin, fee_end, discount_ppm, cost, real_cost, cash) VALUES (?, ?, ?, ?,"
                           " '2026-12', ?, ?, 'postPay', 'postpay_deduct_h', 'sim', 'sim-1', ?, '', '', ?, ?, ?,"
                           " 1000000, ?, ?, ?)",
                           "sssssssiiiiii", id, uin, uin, uin, products[pi], products[pi], id, begin + 3600, begin,
                           begin + 3600, cash, cash, cash) != 1) {
                fprintf(stderr, "insert: %s\n", store_errmsg(s));
                return 1;
            }
            want[cls_of[pi]][overdue] += cash;
        }
        if (c % 1000 == 999) {
            store_commit(s);
            store_begin(s);
        }
    }
    store_commit(s);
    double gen = now_s() - g;
    double t = now_s(), c0 = cpu_s();
    if (partner_month_end(s, to) != 0) {
        fprintf(stderr, "partner_month_end failed: %s\n", store_errmsg(s));
        return 1;
    }
    double secs = now_s() - t, cpu = cpu_s() - c0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* check: each class's sales and amount, and the income paid, against the independent sums */
    struct rebate_view *v;
    int n, ok = 1;
    if (pstore_rebates(s, partner, "2026-12", &v, &n) != 0)
        return 1;
    int64_t paid = 0;
    for (int i = 0; i < n; i++) {
        int c = v[i].cls[0] - 'A', o = !strcmp(v[i].flag, "HAS_OVERDUE_BILL");
        int64_t sales = (int64_t)(want[c][o] / BILLING_FINE_PER_CENT);
        int64_t amt = (int64_t)(want[c][o] * rebate_default_ppm[c] / BILLING_PPM / BILLING_FINE_PER_CENT);
        if (v[i].month_sales != sales || v[i].amt != amt)
            ok = 0;
        if (!o)
            paid += v[i].amt;
        printf("  class %s %-16s MonthSales %lld (want %lld), Amt %lld (want %lld)\n", v[i].cls, v[i].flag,
               (long long)v[i].month_sales, (long long)sales, (long long)v[i].amt, (long long)amt);
    }
    free(v);
    int64_t bal;
    if (n != 6 || billing_balance_cents(s, partner, &bal) != 0 || bal != paid)
        ok = 0;
    printf("simulated: 1 partner, %lld customers x %lld bill rows = %lld rows, generated in %.1f s\n", customers, per,
           customers * per, gen);
    printf("month end: %.2f s wall, %.2f s CPU (%.0f customers/s, %.0f rows/s of wall), peak RSS %ld MiB\n", secs,
           cpu, customers / secs, customers * per / secs, ru.ru_maxrss / 1024);
    printf("check: %d rebate rows, income %lld cents: %s\n", n, (long long)paid, ok ? "OK" : "MISMATCH");
    return ok ? 0 : 1;
}
