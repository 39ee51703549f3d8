/*
 * settle: turns one ended hour of metered usage into rated bill rows and deducts them. An
 * account's hour is written in one transaction together with its (account, hour) key in
 * billing_settled: a settlement interrupted by a crash is rolled back whole and done again, and
 * one that committed is never done twice.
 *
 * Accounts are settled in batches (see settle_batch).
 *
 * Per account and hour: each (resource, component, item) becomes one component row priced with
 * the price of that hour: cost = price x quantity-seconds / (unit x period), rounded half up once;
 * real cost = cost x the account's discount for the product, rounded half up once. A resource's
 * components make its L3 row; the owner's vouchers pay each row first (voucher.c), and the rest,
 * the cash part, of the account's rows is paid by one ledger deduction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

struct line {
    char resource_id[64], resource_name[128], product[16], component[32], item[40], region[32], zone[32];
    char *tags;
    int64_t project_id, qty_seconds, seconds, begin, end, quantity;
    int is_count; /* qty_seconds holds a count (requests, bytes), priced per use */
};

struct acc {
    struct line *lines;
    int n, cap;
    int64_t from, to;
    int failed;
};

/* Adds one interval's part inside the hour (unordered; lines are sorted and merged afterwards). */
static int collect(const struct meter_interval *iv, void *arg)
{
    struct acc *a = arg;
    int64_t b = iv->start > a->from ? iv->start : a->from;
    int64_t e = iv->end == 0 || iv->end > a->to ? a->to : iv->end;
    if (e <= b)
        return 0;
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 64;
        struct line *nl = realloc(a->lines, (size_t)cap * sizeof *nl);
        if (!nl)
            return -1;
        a->lines = nl;
        a->cap = cap;
    }
    struct line *l = &a->lines[a->n++];
    memset(l, 0, sizeof *l);
    l->is_count = iv->is_count;
    snprintf(l->resource_id, sizeof l->resource_id, "%s", iv->resource_id);
    snprintf(l->resource_name, sizeof l->resource_name, "%s", iv->resource_name);
    snprintf(l->product, sizeof l->product, "%s", iv->product);
    snprintf(l->component, sizeof l->component, "%s", iv->component);
    snprintf(l->item, sizeof l->item, "%s", iv->item);
    snprintf(l->region, sizeof l->region, "%s", iv->region);
    snprintf(l->zone, sizeof l->zone, "%s", iv->zone);
    l->tags = strdup(iv->tags);
    l->project_id = iv->project_id;
    l->quantity = iv->quantity;
    l->begin = b;
    l->end = e;
    l->qty_seconds = iv->is_count ? iv->quantity : iv->quantity * (e - b); /* a count is used as counted */
    l->seconds = e - b;
    return 0;
}

static int line_cmp(const void *x, const void *y)
{
    const struct line *a = x, *b = y;
    int c = strcmp(a->resource_id, b->resource_id);
    if (!c)
        c = strcmp(a->component, b->component);
    if (!c)
        c = strcmp(a->item, b->item);
    return c ? c : (a->begin > b->begin) - (a->begin < b->begin);
}

/* Sorts the lines by resource, component, item and time, and merges each (resource, component,
 * item) into one; the latest interval's name and tags describe the resource. */
static void merge(struct acc *a)
{
    qsort(a->lines, (size_t)a->n, sizeof *a->lines, line_cmp);
    int out = 0;
    for (int i = 0; i < a->n; i++) {
        struct line *l = &a->lines[i];
        struct line *m = out ? &a->lines[out - 1] : NULL;
        if (m && !strcmp(m->resource_id, l->resource_id) && !strcmp(m->component, l->component) &&
            !strcmp(m->item, l->item)) {
            m->qty_seconds += l->qty_seconds;
            m->seconds += l->seconds;
            if (l->end > m->end)
                m->end = l->end;
            memmove(m->resource_name, l->resource_name, sizeof m->resource_name);
            free(m->tags);
            m->tags = l->tags;
            continue;
        }
        if (i != out)
            a->lines[out] = *l;
        out++;
    }
    a->n = out;
}

static void acc_clear(struct acc *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->lines[i].tags);
    a->n = 0;
}

struct totals {
    int64_t cost, real, voucher;
};

/* The prices of one hour, looked up once (a lookup is an ordered query). */
struct price_cache {
    struct {
        char key[160];
        int found;
        struct price_row p;
    } e[128];
    int n;
    int64_t hour;
};
static __thread struct price_cache prices;

static int price_of(struct store *s, const struct line *l, int64_t hour, struct price_row *p)
{
    char key[160];
    snprintf(key, sizeof key, "%s|%s|%s|%s", l->region, l->product, l->component, l->item);
    if (prices.hour != hour)
        prices.n = 0, prices.hour = hour;
    for (int i = 0; i < prices.n; i++)
        if (!strcmp(prices.e[i].key, key)) {
            *p = prices.e[i].p;
            return prices.e[i].found;
        }
    int rc = price_find(s, l->region, l->product, l->component, l->item, "postPay", hour, p);
    if (rc >= 0 && prices.n < (int)(sizeof prices.e / sizeof prices.e[0])) {
        snprintf(prices.e[prices.n].key, sizeof prices.e[0].key, "%s", key);
        prices.e[prices.n].found = rc;
        prices.e[prices.n++].p = *p;
    }
    return rc;
}

/* An account's discounts for the hour, looked up once per product. */
static __thread struct {
    char owner[32], product[16];
    int64_t hour, ppm;
} discounts[8];

static int64_t discount_of(struct store *s, const char *owner, const char *product, int64_t hour)
{
    unsigned slot = hash_fnv1a(product) % 8;
    if (discounts[slot].hour == hour && !strcmp(discounts[slot].owner, owner) &&
        !strcmp(discounts[slot].product, product))
        return discounts[slot].ppm;
    int64_t ppm = discount_ppm(s, owner, product, hour);
    if (ppm >= 0) {
        snprintf(discounts[slot].owner, sizeof discounts[slot].owner, "%s", owner);
        snprintf(discounts[slot].product, sizeof discounts[slot].product, "%s", product);
        discounts[slot].hour = hour;
        discounts[slot].ppm = ppm;
    }
    return ppm;
}

/* Writes the L3 row of lines[from, to) (one resource) and its components. */
static int write_detail(struct store *s, const char *owner, const char *payer, int64_t hour, const struct line *lines,
                        int n, const char *bill_id, int64_t t, struct totals *sum)
{
    const struct line *r = &lines[0];
    char detail_id[96], month[16], sub[32];
    snprintf(detail_id, sizeof detail_id, "h%lld:%s", (long long)hour, r->resource_id);
    time_date(hour, month);
    month[7] = 0;
    snprintf(sub, sizeof sub, "sp_%s", r->product);
    int64_t ppm = discount_of(s, owner, r->product, hour);
    if (ppm < 0)
        return -1;
    /* vouchers first: what the owner's usable vouchers hold for the product pays the components in
     * order, each up to its real cost; the rest is cash */
    int64_t voucher_left = 0, voucher = 0;
    if (voucher_available(s, owner, r->product, hour, &voucher_left) != 0)
        return -1;
    int64_t cost = 0, real = 0, begin = r->begin, end = r->end;
    for (int i = 0; i < n; i++) {
        const struct line *l = &lines[i];
        struct price_row p;
        int rc = price_of(s, l, hour, &p);
        if (rc < 0)
            return -1;
        if (rc == STORE_NOT_FOUND) { /* an unpriced component is free, and said so */
            log_warn("billing: no postpaid price for %s %s %s; %s is not charged for it", l->product, l->component,
                     l->item, l->resource_id);
            memset(&p, 0, sizeof p);
            p.unit_qty = 1;
            p.period_s = 3600;
        }
        int64_t c = p.period_s > 0 && !l->is_count ? rate_cost(p.price, l->qty_seconds, p.unit_qty, 1, p.period_s)
                                                   : rate_cost(p.price, l->qty_seconds, p.unit_qty, 0, 0);
        int64_t rc2 = rate_discount(c, ppm);
        int64_t v = rc2 > 0 ? (rc2 < voucher_left ? rc2 : voucher_left) : 0;
        voucher_left -= v;
        voucher += v;
        cost += c;
        real += rc2;
        if (l->begin < begin)
            begin = l->begin;
        if (l->end > end)
            end = l->end;
        if (store_exec(s,
                       "INSERT INTO billing_components (detail_id, component, item, price, unit_qty, period_s, unit,"
                       " used, time_span, cost, discount_ppm, real_cost, cash, voucher) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                       " ?, ?, ?, ?, ?, ?)",
                       "sssiiisiiiiiii", detail_id, l->component, l->item, p.price, p.unit_qty, p.period_s, p.unit,
                       l->qty_seconds, l->is_count ? (int64_t)1 : l->seconds, c, ppm, rc2, rc2 - v, v) != 1)
            return -1;
    }
    if (store_exec(s,
                   "INSERT INTO billing_details (detail_id, owner_uin, payer_uin, operate_uin, month, product,"
                   " sub_product, pay_mode, action_type, region, zone, project_id, resource_id, resource_name,"
                   " bill_id, pay_time, fee_begin, fee_end, tags, discount_ppm, cost, real_cost, cash, voucher)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, 'postPay', 'postpay_deduct_h', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, ?, ?)",
                   "sssssssssisssiiisiiiii", detail_id, owner, payer, owner, month, r->product, sub, r->region, r->zone,
                   r->project_id, r->resource_id, r->resource_name, bill_id, t, begin, end, r->tags ? r->tags : "[]",
                   ppm, cost, real, real - voucher, voucher) != 1)
        return -1;
    if (voucher_consume(s, owner, r->product, hour, voucher, detail_id, "postPay", t) != 0)
        return -1;
    sum->cost += cost;
    sum->real += real;
    sum->voucher += voucher;
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

/* Settles one account's hour inside the caller's transaction; 0 also when it was settled before. */
static int settle_account(struct store *s, const char *owner, int64_t hour, struct acc *a)
{
    acc_clear(a);
    if (meter_each(s, owner, a->from, a->to, collect, a) != 0)
        return -1;
    merge(a);
    int rc = store_exec(s,
                        "INSERT INTO billing_settled (owner_uin, hour, amount) VALUES (?, ?, 0)"
                        " ON CONFLICT (owner_uin, hour) DO NOTHING",
                        "si", owner, hour);
    if (rc == 0) /* settled before a crash, or by another process: nothing to do */
        return 0;
    if (rc != 1)
        return -1;
    int64_t t = hour + 3600; /* the bill is dated when the hour ended, whatever the clock says now */
    char bill_id[40], payer[24];
    billing_new_id(bill_id, t);
    if (billing_payer_of(s, owner, payer) != 0) /* a partner paying on the owner's behalf */
        return -1;
    struct totals sum = {0, 0, 0};
    for (int i = 0; i < a->n;) {
        int j = i + 1;
        while (j < a->n && !strcmp(a->lines[j].resource_id, a->lines[i].resource_id))
            j++;
        if (write_detail(s, owner, payer, hour, &a->lines[i], j - i, bill_id, t, &sum) != 0)
            return -1;
        i = j;
    }
    if (sum.real - sum.voucher != 0) {
        char info[64];
        time_cam(hour, info);
        snprintf(info + strlen(info), sizeof info - strlen(info), " 按量计费扣费");
        /* what vouchers did not pay, from the balance of whoever pays for the owner */
        if (billing_charge(s, owner, payer, -(sum.real - sum.voucher), "deduct", "hourh", info, t, bill_id) != 0)
            return -1;
    }
    /* amount: what the balance paid (balance alerts compare it with the balance) */
    return store_exec(s, "UPDATE billing_settled SET amount = ? WHERE owner_uin = ? AND hour = ?", "isi",
                      sum.real - sum.voucher, owner, hour) == 1
               ? 0
               : -1;
}

/* Accounts are settled SETTLE_BATCH to a transaction (a commit is an fsync); when one of them
 * fails the batch is rolled back and its accounts are settled one per transaction, so one bad
 * account does not hold up the others. */
#define SETTLE_BATCH 256

static int settle_batch(struct store *s, char (*uin)[32], int n, int64_t hour, struct acc *a)
{
    if (store_begin(s) == STORE_OK) {
        int i = 0;
        while (i < n && settle_account(s, uin[i], hour, a) == 0)
            i++;
        if (i == n && store_commit(s) == STORE_OK)
            return 0;
        store_rollback(s);
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
        if (store_begin(s) == STORE_OK && settle_account(s, uin[i], hour, a) == 0 && store_commit(s) == STORE_OK)
            continue;
        log_error("billing: settling hour %lld of %s failed: %s", (long long)hour, uin[i], store_errmsg(s));
        store_rollback(s);
        out = -1;
    }
    return out;
}

int settle_hour(struct store *s, int64_t hour)
{
    struct owners o = {0};
    struct acc a = {.from = hour, .to = hour + 3600};
    int rc = meter_owners(s, hour, hour + 3600, add_owner, &o);
    for (int i = 0; rc == 0 && i < o.n; i += SETTLE_BATCH)
        rc = settle_batch(s, o.uin + i, o.n - i < SETTLE_BATCH ? o.n - i : SETTLE_BATCH, hour, &a);
    acc_clear(&a);
    free(a.lines);
    free(o.uin);
    return rc;
}
