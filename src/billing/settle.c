/*
 * settle: turns one ended hour of metered usage into rated bill rows and deducts them, one
 * account at a time, each in one transaction whose first write is the (account, hour) key of
 * billing_settled: a settlement interrupted by a crash is rolled back whole and done again, and
 * one that committed is never done twice.
 *
 * Per account and hour: each (resource, component, item) becomes one component row priced with
 * the price of that hour: cost = price x quantity-seconds / (unit x period), rounded half up once;
 * real cost = cost x the account's discount for the product, rounded half up once. A resource's
 * components make its L3 row; the account's rows are paid by one ledger deduction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

struct line {
    char resource_id[64], resource_name[128], product[16], component[32], item[40], region[32], zone[32];
    char *tags;
    int64_t project_id, qty_seconds, seconds, begin, end, quantity;
};

struct acc {
    struct line *lines;
    int n, cap;
    int64_t from, to;
    int failed;
};

static int collect(const struct meter_interval *iv, void *arg)
{
    struct acc *a = arg;
    int64_t b = iv->start > a->from ? iv->start : a->from;
    int64_t e = iv->end == 0 || iv->end > a->to ? a->to : iv->end;
    if (e <= b)
        return 0;
    struct line *l = a->n ? &a->lines[a->n - 1] : NULL;
    if (!l || strcmp(l->resource_id, iv->resource_id) || strcmp(l->component, iv->component) ||
        strcmp(l->item, iv->item)) {
        if (a->n == a->cap) {
            int cap = a->cap ? a->cap * 2 : 64;
            struct line *nl = realloc(a->lines, (size_t)cap * sizeof *nl);
            if (!nl)
                return -1;
            a->lines = nl;
            a->cap = cap;
        }
        l = &a->lines[a->n++];
        memset(l, 0, sizeof *l);
        snprintf(l->resource_id, sizeof l->resource_id, "%s", iv->resource_id);
        snprintf(l->resource_name, sizeof l->resource_name, "%s", iv->resource_name);
        snprintf(l->product, sizeof l->product, "%s", iv->product);
        snprintf(l->component, sizeof l->component, "%s", iv->component);
        snprintf(l->item, sizeof l->item, "%s", iv->item);
        snprintf(l->region, sizeof l->region, "%s", iv->region);
        snprintf(l->zone, sizeof l->zone, "%s", iv->zone);
        l->tags = strdup(iv->tags);
        l->project_id = iv->project_id;
        l->begin = b;
        l->quantity = iv->quantity;
    }
    l->qty_seconds += iv->quantity * (e - b);
    l->seconds += e - b;
    if (b < l->begin)
        l->begin = b;
    if (e > l->end)
        l->end = e;
    return 0;
}

static void acc_clear(struct acc *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->lines[i].tags);
    a->n = 0;
}

struct totals {
    int64_t cost, real;
};

/* Writes the L3 row of lines[from, to) (one resource) and its components. */
static int write_detail(struct store *s, const char *owner, int64_t hour, const struct line *lines, int n,
                        const char *bill_id, int64_t t, struct totals *sum)
{
    const struct line *r = &lines[0];
    char detail_id[96], month[16], sub[32];
    snprintf(detail_id, sizeof detail_id, "h%lld:%s", (long long)hour, r->resource_id);
    time_date(hour, month);
    month[7] = 0;
    snprintf(sub, sizeof sub, "sp_%s", r->product);
    int64_t ppm = discount_ppm(s, owner, r->product, hour);
    if (ppm < 0)
        return -1;
    int64_t cost = 0, real = 0, begin = r->begin, end = r->end;
    for (int i = 0; i < n; i++) {
        const struct line *l = &lines[i];
        struct price_row p;
        int rc = price_find(s, l->region, l->product, l->component, l->item, "postPay", hour, &p);
        if (rc < 0)
            return -1;
        if (rc == STORE_NOT_FOUND) { /* an unpriced component is free, and said so */
            log_warn("billing: no postpaid price for %s %s %s; %s is not charged for it", l->product, l->component,
                     l->item, l->resource_id);
            memset(&p, 0, sizeof p);
            p.unit_qty = 1;
            p.period_s = 3600;
        }
        int64_t c = p.period_s > 0
                        ? rate_cost(p.price, l->qty_seconds, p.unit_qty, 1, p.period_s)
                        : rate_cost(p.price, l->qty_seconds / (l->seconds ? l->seconds : 1), p.unit_qty, 0, 0);
        int64_t rc2 = rate_discount(c, ppm);
        cost += c;
        real += rc2;
        if (l->begin < begin)
            begin = l->begin;
        if (l->end > end)
            end = l->end;
        if (store_exec(s,
                       "INSERT INTO billing_components (detail_id, component, item, price, unit_qty, period_s, unit,"
                       " used, time_span, cost, discount_ppm, real_cost, cash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                       " ?, ?, ?)",
                       "sssiiisiiiiii", detail_id, l->component, l->item, p.price, p.unit_qty, p.period_s, p.unit,
                       l->qty_seconds, l->seconds, c, ppm, rc2, rc2) != 1)
            return -1;
    }
    if (store_exec(s,
                   "INSERT INTO billing_details (detail_id, owner_uin, payer_uin, operate_uin, month, product,"
                   " sub_product, pay_mode, action_type, region, zone, project_id, resource_id, resource_name,"
                   " bill_id, pay_time, fee_begin, fee_end, tags, discount_ppm, cost, real_cost, cash)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, 'postPay', 'postpay_deduct_h', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, ?)",
                   "sssssssssississiiisiiii", detail_id, owner, owner, owner, month, r->product, sub, r->region,
                   r->zone, r->project_id, r->resource_id, r->resource_name, bill_id, t, begin, end,
                   r->tags ? r->tags : "[]", ppm, cost, real, real) != 1)
        return -1;
    sum->cost += cost;
    sum->real += real;
    return 0;
}

/* The account list is read first (a statement must not stay open across the writes below). */
struct owners {
    char (*uin)[32];
    int n, cap;
};

static int add_owner(const struct meter_interval *iv, void *arg)
{
    struct owners *o = arg;
    if (o->n == o->cap) {
        int cap = o->cap ? o->cap * 2 : 64;
        void *nu = realloc(o->uin, (size_t)cap * sizeof *o->uin);
        if (!nu)
            return -1;
        o->uin = nu;
        o->cap = cap;
    }
    snprintf(o->uin[o->n++], 32, "%s", iv->owner_uin);
    return 0;
}

static int settle_account(struct store *s, const char *owner, int64_t hour, struct acc *a)
{
    acc_clear(a);
    if (meter_each(s, owner, a->from, a->to, collect, a) != 0)
        return -1;
    if (store_begin(s) != STORE_OK)
        return -1;
    int rc = store_exec(s,
                        "INSERT INTO billing_settled (owner_uin, hour, amount) VALUES (?, ?, 0)"
                        " ON CONFLICT (owner_uin, hour) DO NOTHING",
                        "si", owner, hour);
    if (rc == 0) { /* settled before a crash or by another process: nothing to do */
        store_rollback(s);
        return 0;
    }
    if (rc != 1)
        goto fail;
    int64_t t = hour + 3600; /* the bill is dated when the hour ended, whatever the clock says now */
    char bill_id[40];
    billing_new_id(bill_id, t);
    struct totals sum = {0, 0};
    for (int i = 0; i < a->n;) {
        int j = i + 1;
        while (j < a->n && !strcmp(a->lines[j].resource_id, a->lines[i].resource_id))
            j++;
        if (write_detail(s, owner, hour, &a->lines[i], j - i, bill_id, t, &sum) != 0)
            goto fail;
        i = j;
    }
    if (sum.real != 0) {
        char info[64];
        time_cam(hour, info);
        snprintf(info + strlen(info), sizeof info - strlen(info), " 按量计费扣费");
        if (ledger_move(s, owner, -sum.real, "deduct", "hourh", "", info, t, bill_id, NULL) != 0)
            goto fail;
    }
    if (store_exec(s, "UPDATE billing_settled SET amount = ? WHERE owner_uin = ? AND hour = ?", "isi", sum.real, owner,
                   hour) != 1 ||
        store_commit(s) != STORE_OK)
        goto fail;
    return 0;
fail:
    log_error("billing: settling hour %lld of %s failed: %s", (long long)hour, owner, store_errmsg(s));
    store_rollback(s);
    return -1;
}

int settle_hour(struct store *s, int64_t hour)
{
    struct owners o = {0};
    struct acc a = {.from = hour, .to = hour + 3600};
    int rc = meter_owners(s, hour, hour + 3600, add_owner, &o);
    for (int i = 0; rc == 0 && i < o.n; i++)
        rc = settle_account(s, o.uin[i], hour, &a);
    acc_clear(&a);
    free(a.lines);
    free(o.uin);
    return rc;
}
