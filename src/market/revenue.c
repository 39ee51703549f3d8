/*
 * revenue: the package's price on the customer's bill and the ISV's share of it.
 *
 * An approved version's hourly price becomes a price book row of its own (product market,
 * component v_market_software, item = the package id), effective from the approval on; a
 * deployment is metered on it (quantity 1) while DEPLOYED, so hourly settlement bills the software
 * as its own component beside the instances' CPU, memory and disks, with the account's discount
 * and vouchers like any other. At month end a job on billing's controller credits each ISV
 * share_ppm of what its packages billed in the month (real cost, floored to cents) as one ledger
 * movement, once per ISV and month (market_shares).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "billing/billing.h"
#include "market/market_int.h"
#include "meter/meter.h"

#define COMPONENT "v_market_software"

int64_t market_month_start(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    struct tm m = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = 1};
    return (int64_t)timegm(&m);
}

int64_t market_month_after(int64_t start)
{
    time_t tt = (time_t)start;
    struct tm tm;
    gmtime_r(&tt, &tm);
    struct tm m = {.tm_year = tm.tm_year + (tm.tm_mon == 11), .tm_mon = (tm.tm_mon + 1) % 12, .tm_mday = 1};
    return (int64_t)timegm(&m);
}

void market_month_name(int64_t t, char out[8])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 8, "%Y-%m", &tm);
}

int revenue_price_put(struct store *s, const struct pkg_version *v, int64_t t, char *err, size_t errlen)
{
    char price[32];
    rate_yuan(v->price_hour, price);
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Product", "market", "Component", COMPONENT, "Item",
                            v->package_id, "PayMode", "postPay", "Price", price, "Unit", "个");
    int rc = billing_price_put(s, row, t, err, errlen);
    json_decref(row);
    if (rc != 0)
        return -1;
    rate_yuan(v->price_month, price);
    row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Product", "market", "Component", COMPONENT, "Item", v->package_id,
                    "PayMode", "prePay", "Price", price, "Unit", "个");
    rc = billing_price_put(s, row, t, err, errlen);
    json_decref(row);
    return rc;
}

int revenue_meter(struct store *s, const struct deployment *d, int on, int64_t t)
{
    struct meter_use u = {d->owner,  d->id,   d->id, "market",   COMPONENT, d->package_id,
                          d->region, d->zone, NULL,  on ? 1 : 0, 0};
    return meter_set(s, &u, t);
}

struct sales {
    char (*packages)[24];
    int npackages;
    int64_t fine;
};

static int add_component(void *arg, const struct billing_component_row *r)
{
    struct sales *sl = arg;
    if (strcmp(r->product, "market") || strcmp(r->component, COMPONENT))
        return 0;
    for (int i = 0; i < sl->npackages; i++)
        if (!strcmp(sl->packages[i], r->item))
            sl->fine += r->real_cost;
    return 0;
}

/* What isv's packages billed in [from, to), fine units. */
static int isv_sales(struct store *s, const char *isv, int64_t from, int64_t to, int64_t *fine)
{
    struct pkg_version *vs;
    int nv;
    if (mstore_versions(s, isv, NULL, NULL, &vs, &nv) != 0)
        return -1;
    struct sales sl = {calloc((size_t)nv + 1, 24), 0, 0};
    for (int i = 0; i < nv; i++) {
        int seen = 0;
        for (int j = 0; j < sl.npackages; j++)
            seen |= !strcmp(sl.packages[j], vs[i].package_id);
        if (!seen && sl.packages)
            snprintf(sl.packages[sl.npackages++], 24, "%s", vs[i].package_id);
        pkg_version_free(&vs[i]);
    }
    free(vs);
    char(*owners)[24];
    int no, rc = sl.packages ? mstore_package_owners(s, isv, &owners, &no) : -1;
    for (int i = 0; rc == 0 && i < no; i++)
        rc = billing_components_each(s, owners[i], from, to, add_component, &sl);
    if (rc == 0)
        free(owners);
    free(sl.packages);
    *fine = sl.fine;
    return rc;
}

int64_t revenue_share_cents(int64_t sales_fine, int64_t share_ppm)
{
    /* fine x ppm can pass 2^63 only beyond 92 million yuan a month: split to stay exact */
    int64_t whole = sales_fine / BILLING_PPM, rest = sales_fine % BILLING_PPM;
    int64_t fine = whole * share_ppm + rest * share_ppm / BILLING_PPM;
    return fine / BILLING_FINE_PER_CENT;
}

static int share_isv(struct store *s, const struct isv *isv, int64_t from, int64_t to, int64_t t)
{
    char month[8];
    market_month_name(from, month);
    int claimed = mstore_share_claim(s, isv->uin, month, t);
    if (claimed <= 0)
        return claimed;
    int64_t fine;
    if (isv_sales(s, isv->uin, from, to, &fine) != 0)
        return -1;
    int64_t cents = revenue_share_cents(fine, isv->share_ppm);
    char bill_id[40] = "", info[96];
    snprintf(info, sizeof info, "云市场分成 %s", month);
    if (cents > 0 && billing_income(s, isv->uin, cents, "market", info, t, bill_id) != 0)
        return -1;
    return mstore_share_put(s, isv->uin, month, fine, cents, bill_id);
}

int revenue_month_end(struct store *s, int64_t t)
{
    int64_t cur = market_month_start(t), through;
    int rc = mstore_state_get(s, "shared_through", &through, NULL, 0);
    if (rc < 0)
        return -1;
    if (rc == STORE_NOT_FOUND) /* a new cloud: no month ended before it */
        return mstore_state_set(s, "shared_through", cur, NULL);
    while (through < cur) {
        int64_t next = market_month_after(through);
        struct isv *isvs;
        int n, failed = 0;
        if (mstore_isvs(s, &isvs, &n) != 0)
            return -1;
        for (int i = 0; i < n; i++) { /* one transaction per ISV: its share row and its income together */
            if (store_begin(s) == STORE_OK && share_isv(s, &isvs[i], through, next, next) >= 0 &&
                store_commit(s) == STORE_OK)
                continue;
            log_error("market: the share of ISV %s for the month from %lld failed: %s", isvs[i].uin, (long long)through,
                      store_errmsg(s));
            store_rollback(s);
            failed = 1;
        }
        free(isvs);
        if (failed || mstore_state_set(s, "shared_through", next, NULL) != 0)
            return -1;
        through = next;
    }
    return 0;
}
