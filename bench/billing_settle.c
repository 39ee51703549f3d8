/*
 * bench/billing_settle: settlement throughput on a SIMULATED cloud (no guests: usage intervals are
 * generated straight into the meter by this program, clearly not by services).
 *
 *   build/bench/billing_settle DIR [INTERVALS] [ACCOUNTS] [RESOURCES_PER_ACCOUNT]
 *
 * The simulator: ACCOUNTS accounts ("sim-<n>") each with RESOURCES_PER_ACCOUNT postpaid data disks
 * ("sim-disk-<n>", 10..59 GiB, CLOUD_PREMIUM); each disk runs 40 minutes and pauses 20, so it has
 * INTERVALS / (ACCOUNTS x RESOURCES) intervals over that many hours. Then every hour is settled with
 * the daemon's own settle_hour(), timed, and the result checked: rows written, the sum of the
 * balances against an independent sum of price x GiB x seconds. Prints the wall time, rows/s and
 * peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "billing/billing_int.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [INTERVALS] [ACCOUNTS] [RESOURCES_PER_ACCOUNT]\n", argv[0]);
        return 2;
    }
    long long intervals = argc > 2 ? atoll(argv[2]) : 10000000, accounts = argc > 3 ? atoll(argv[3]) : 10000;
    long long per = argc > 4 ? atoll(argv[4]) : 10, resources = accounts * per;
    long long each = intervals / resources;
    if (each < 1) {
        fprintf(stderr, "fewer intervals than resources\n");
        return 2;
    }
    char db[600], err[256];
    snprintf(db, sizeof db, "%s/yun.db", argv[1]);
    store_set_path(db);
    struct store *s = store_thread();
    if (!s || meter_migrate(s, err, sizeof err) || billing_migrate(s, err, sizeof err)) {
        fprintf(stderr, "store: %s\n", s ? err : "cannot open");
        return 1;
    }
    const int64_t t0 = 1798761600; /* 2027-01-01 00:00:00 UTC, an hour boundary */
    double g = now_s();
    store_begin(s);
    for (long long r = 0; r < resources; r++) {
        char owner[32], id[40];
        snprintf(owner, sizeof owner, "sim-%lld", r / per);
        snprintf(id, sizeof id, "sim-disk-%lld", r);
        int64_t gib = 10 + r % 50;
        for (long long k = 0; k < each; k++) {
            int64_t b = t0 + k * 3600 + (r % 7) * 60, e = b + 2400; /* 40 min on, 20 off */
            if (store_exec(s,
                           "INSERT INTO meter_usage (resource_id, component, start_time, end_time, owner_uin,"
                           " resource_name, product, item, region, zone, tags, quantity, project_id) VALUES (?,"
                           " 'v_cbs_disk', ?, ?, ?, '', 'cbs', 'CLOUD_PREMIUM', 'sim', 'sim-1', '[]', ?, 0)",
                           "siisi", id, b, e, owner, gib) != 1) {
                fprintf(stderr, "insert: %s\n", store_errmsg(s));
                return 1;
            }
        }
        if (r % 1000 == 999) {
            store_commit(s);
            store_begin(s);
        }
    }
    store_commit(s);
    double gen = now_s() - g;
    double t = now_s();
    for (long long h = 0; h < each + 1; h++)
        if (settle_hour(s, t0 + h * 3600) != 0) {
            fprintf(stderr, "settle_hour failed: %s\n", store_errmsg(s));
            return 1;
        }
    double secs = now_s() - t;
    /* check: every interval billed once, the balances add up to an independent sum */
    struct price_row p;
    price_find(s, "sim", "cbs", "v_cbs_disk", "CLOUD_PREMIUM", "postPay", t0, &p);
    __int128 want = 0;
    for (long long r = 0; r < resources; r++) { /* each interval lies in one hour: rounded per row */
        int64_t gib = 10 + r % 50;
        want += (__int128)rate_cost(p.price, gib * 2400, p.unit_qty, 1, 3600) * each;
    }
    struct store_stmt *q = store_query(s, "SELECT count(*), coalesce(sum(cash), 0) FROM billing_accounts", "");
    store_step(q);
    long long accts = store_int(q, 0), total = -store_int(q, 1);
    store_done(q);
    q = store_query(s, "SELECT count(*) FROM billing_details", "");
    store_step(q);
    long long rows = store_int(q, 0);
    store_done(q);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("simulated: %lld accounts x %lld disks, %lld intervals (%lld per disk), generated in %.1f s\n", accounts,
           per, resources * each, each, gen);
    printf("settled %lld hours: %.2f s, %.0f intervals/s, %lld bill rows, peak RSS %ld MiB\n", each + 1, secs,
           resources * each / secs, rows, ru.ru_maxrss / 1024);
    printf("check: %lld accounts charged %lld fine units; independent sum %lld: %s\n", accts, total, (long long)want,
           (__int128)total == want && rows == resources * each ? "OK" : "MISMATCH");
    return (__int128)total == want && rows == resources * each ? 0 : 1;
}
