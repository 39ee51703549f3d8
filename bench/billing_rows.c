/*
 * bench/billing_rows: writes N SIMULATED hourly bill rows (L3, two components each) for one
 * account straight into a data directory's store, for timing the bill views on a large account
 * (bench/billing-detail.sh). Not how rows are made in a cloud: settlement makes them.
 *
 *   build/bench/billing_rows DIR UIN N
 */
#include <stdio.h>
#include <stdlib.h>

#include "billing/billing_int.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DIR UIN N\n", argv[0]);
        return 2;
    }
    char db[600];
    snprintf(db, sizeof db, "%s/yun.db", argv[1]);
    store_set_path(db);
    struct store *s = store_thread();
    char err[256];
    if (!s || billing_migrate(s, err, sizeof err) != 0) { /* a daemon's store has them already */
        fprintf(stderr, "store: %s\n", s ? err : "cannot open");
        return 1;
    }
    long long n = atoll(argv[3]);
    const char *uin = argv[2];
    /* rows end at the start of the current hour, one resource per 1,000 rows, 1,000 hours back */
    int64_t end = time_now() / 3600 * 3600;
    store_begin(s);
    for (long long i = 0; i < n; i++) {
        char id[96], res[40], month[16];
        int64_t hour = end - (i % 1000 + 1) * 3600;
        snprintf(res, sizeof res, "sim-disk-%lld", i / 1000);
        snprintf(id, sizeof id, "h%lld:%s", (long long)hour, res);
        time_date(hour, month);
        month[7] = 0;
        if (store_exec(s,
                       "INSERT INTO billing_details (detail_id, owner_uin, payer_uin, operate_uin, month, product,"
                       " sub_product, pay_mode, action_type, region, zone, project_id, resource_id, resource_name,"
                       " bill_id, pay_time, fee_begin, fee_end, tags, discount_ppm, cost, real_cost, cash) VALUES (?,"
                       " ?, ?, ?, ?, 'cbs', 'sp_cbs', 'postPay', 'postpay_deduct_h', 'ap-local', 'ap-local-1', 0, ?,"
                       " '', 'sim', ?, ?, ?, '[]', 1000000, 50000, 50000, 50000)",
                       "ssssssiii", id, uin, uin, uin, month, res, hour + 3600, hour, hour + 3600) != 1 ||
            store_exec(s,
                       "INSERT INTO billing_components (detail_id, component, item, price, unit_qty, period_s, unit,"
                       " used, time_span, cost, discount_ppm, real_cost, cash) VALUES (?, 'v_cbs_disk',"
                       " 'CLOUD_PREMIUM', 50000, 1, 3600, 'GB', 3600, 3600, 50000, 1000000, 50000, 50000)",
                       "s", id) != 1) {
            fprintf(stderr, "insert: %s\n", store_errmsg(s));
            return 1;
        }
        if (i % 50000 == 49999) {
            store_commit(s);
            store_begin(s);
        }
    }
    store_commit(s);
    printf("%lld rows for %s\n", n, uin);
    return 0;
}
