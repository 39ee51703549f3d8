/*
 * summary: the L1 bill views (DescribeBillSummaryByProduct, ByRegion, ByPayMode, ByTag) and the
 * cost view by product (DescribeCostSummaryByProduct). Each is one GROUP BY over the account's L3
 * rows (billing_details) of one month, so every amount here is the exact sum of the L3 rows below
 * it; ratios are each row's share of the month's real cost, in percent with two places.
 *
 * BeginTime and EndTime are months (yyyy-mm) and must be the same month, as Tencent's. The cost
 * view is the bill view: yun does not amortise prepaid orders over their period, so
 * LeftRealTotalCost is always zero (docs/billing.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

struct sums {
    int64_t cost, real, cash, voucher, incentive, transfer;
};

struct group {
    char key[160], sub[40]; /* the grouped value (and a second one: ByPayMode's action type) */
    struct sums s;
};

struct groups {
    struct group *g;
    int n, cap;
};

static struct group *groups_add(struct groups *gs, const char *key, const char *sub)
{
    for (int i = 0; i < gs->n; i++)
        if (!strcmp(gs->g[i].key, key) && !strcmp(gs->g[i].sub, sub))
            return &gs->g[i];
    if (gs->n == gs->cap) {
        int cap = gs->cap ? gs->cap * 2 : 16;
        struct group *ng = realloc(gs->g, (size_t)cap * sizeof *ng);
        if (!ng)
            return NULL;
        gs->g = ng;
        gs->cap = cap;
    }
    struct group *g = &gs->g[gs->n++];
    memset(g, 0, sizeof *g);
    snprintf(g->key, sizeof g->key, "%s", key);
    snprintf(g->sub, sizeof g->sub, "%s", sub);
    return g;
}

static void sums_add(struct sums *a, const struct sums *b)
{
    a->cost += b->cost;
    a->real += b->real;
    a->cash += b->cash;
    a->voucher += b->voucher;
    a->incentive += b->incentive;
    a->transfer += b->transfer;
}

static int by_real_desc(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->s.real != y->s.real)
        return x->s.real > y->s.real ? -1 : 1;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->sub, y->sub);
}

static void groups_sort(struct groups *gs)
{
    if (gs->n > 1) /* qsort wants a base even for nothing */
        qsort(gs->g, (size_t)gs->n, sizeof *gs->g, by_real_desc);
}

static json_t *yuan(int64_t fine)
{
    char b[32];
    rate_yuan(fine, b);
    return json_string(b);
}

/* part's share of total in percent, two places, half up: "55.61"; "0.00" when total is 0 */
static json_t *ratio(int64_t part, int64_t total)
{
    char b[32];
    rate_yuan2(total ? rate_muldiv(part, 10000, total) * BILLING_FINE_PER_CENT : 0, b);
    return json_string(b);
}

/* The amounts every summary item has; with_ratio adds RealTotalCostRatio, its share of total_real. */
static json_t *amounts(const struct sums *s, int with_ratio, int64_t total_real)
{
    json_t *o = json_object();
    json_object_set_new(o, "RealTotalCost", yuan(s->real));
    json_object_set_new(o, "TotalCost", yuan(s->cost));
    json_object_set_new(o, "CashPayAmount", yuan(s->cash));
    json_object_set_new(o, "IncentivePayAmount", yuan(s->incentive));
    json_object_set_new(o, "VoucherPayAmount", yuan(s->voucher));
    json_object_set_new(o, "TransferPayAmount", yuan(s->transfer));
    if (with_ratio)
        json_object_set_new(o, "RealTotalCostRatio", ratio(s->real, total_real));
    return o;
}

/* BeginTime and EndTime: the same month, yyyy-mm. */
static int summary_month(struct api_ctx *ctx, struct period *p)
{
    const char *b = api_str(ctx, "BeginTime", ""), *e = api_str(ctx, "EndTime", "");
    int64_t to;
    memset(p, 0, sizeof *p);
    if (month_range(b, &p->from, &p->to) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "BeginTime `%s` is not a month as yyyy-mm.", b);
    if (month_range(e, &p->from, &to) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "EndTime `%s` is not a month as yyyy-mm.", e);
    if (strcmp(b, e))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "BeginTime and EndTime must be the same month.");
    snprintf(p->month, sizeof p->month, "%s", b);
    return 0;
}

#define SUM_COLS "sum(cost), sum(real_cost), sum(cash), sum(voucher), sum(incentive), sum(transfer)"

/* Groups the month's rows by the SQL expressions `by` (one or two columns) into gs. */
static int summary_groups(struct api_ctx *ctx, const struct period *p, const char *extra, const char *by, int ncols,
                          struct groups *gs)
{
    struct detail_filter f;
    if (detail_filter(ctx, p, &f) != 0)
        return -1;
    if (extra)
        strcat(f.sql, extra);
    char cols[256], tail[128];
    snprintf(cols, sizeof cols, "%s, %s", by, SUM_COLS);
    snprintf(tail, sizeof tail, "GROUP BY %s", by);
    struct store_stmt *q = detail_query(ctx, &f, cols, tail);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The bill is unavailable.");
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct group *g = groups_add(gs, store_text(q, 0), ncols > 1 ? store_text(q, 1) : "");
        if (!g) {
            rc = -1;
            break;
        }
        struct sums s = {store_int(q, ncols),     store_int(q, ncols + 1), store_int(q, ncols + 2),
                         store_int(q, ncols + 3), store_int(q, ncols + 4), store_int(q, ncols + 5)};
        sums_add(&g->s, &s);
    }
    store_done(q);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The bill is unavailable.");
    groups_sort(gs);
    return 0;
}

static struct sums groups_total(const struct groups *gs)
{
    struct sums t = {0};
    for (int i = 0; i < gs->n; i++)
        sums_add(&t, &gs->g[i].s);
    return t;
}

static int describe_summary_by_product(struct api_ctx *ctx)
{
    struct period p;
    struct groups gs = {0};
    const char *pay_type = api_str(ctx, "PayType", NULL);
    /* L0's categories: consumption, refunds, adjustments (yun makes no adjustments) */
    const char *extra = !pay_type                      ? NULL
                        : !strcmp(pay_type, "refund")  ? " AND action_type = 'prepay_return'"
                        : !strcmp(pay_type, "consume") ? " AND action_type <> 'prepay_return'"
                                                       : " AND 1 = 0";
    if (summary_month(ctx, &p) != 0 || summary_groups(ctx, &p, extra, "product", 1, &gs) != 0) {
        free(gs.g);
        return -1;
    }
    struct sums t = groups_total(&gs);
    json_t *set = json_array();
    for (int i = 0; i < gs.n; i++) {
        json_t *o = amounts(&gs.g[i].s, 1, t.real);
        json_object_set_new(o, "BusinessCode", json_string(price_business_code(gs.g[i].key)));
        json_object_set_new(o, "BusinessCodeName", json_string(price_product_name(gs.g[i].key)));
        json_object_set_new(o, "BillMonth", json_string(p.month));
        json_array_append_new(set, o);
    }
    free(gs.g);
    json_object_set_new(ctx->out, "Ready", json_integer(1));
    json_object_set_new(ctx->out, "SummaryTotal", amounts(&t, 0, 0));
    json_object_set_new(ctx->out, "SummaryOverview", set);
    return 0;
}

static int describe_summary_by_region(struct api_ctx *ctx)
{
    struct period p;
    struct groups gs = {0};
    if (summary_month(ctx, &p) != 0 || summary_groups(ctx, &p, NULL, "region", 1, &gs) != 0) {
        free(gs.g);
        return -1;
    }
    struct sums t = groups_total(&gs);
    json_t *set = json_array();
    for (int i = 0; i < gs.n; i++) {
        const struct region_conf *r = config_find_region(ctx->config, gs.g[i].key);
        json_t *o = amounts(&gs.g[i].s, 1, t.real);
        json_object_set_new(o, "RegionId", json_string(gs.g[i].key));
        json_object_set_new(o, "RegionName", json_string(r && r->name[0] ? r->name : gs.g[i].key));
        json_object_set_new(o, "BillMonth", json_string(p.month));
        json_array_append_new(set, o);
    }
    free(gs.g);
    json_object_set_new(ctx->out, "Ready", json_integer(1));
    json_object_set_new(ctx->out, "SummaryOverview", set);
    return 0;
}

/* Per pay mode, with a Detail per transaction type. */
static int describe_summary_by_pay_mode(struct api_ctx *ctx)
{
    struct period p;
    struct groups gs = {0}, modes = {0};
    if (summary_month(ctx, &p) != 0 || summary_groups(ctx, &p, NULL, "pay_mode, action_type", 2, &gs) != 0) {
        free(gs.g);
        return -1;
    }
    for (int i = 0; i < gs.n; i++) {
        struct group *m = groups_add(&modes, gs.g[i].key, "");
        if (!m) {
            free(gs.g);
            free(modes.g);
            return api_fail(ctx, E_INTERNAL_ERROR, "Out of memory.");
        }
        sums_add(&m->s, &gs.g[i].s);
    }
    groups_sort(&modes);
    struct sums t = groups_total(&modes);
    json_t *set = json_array();
    for (int i = 0; i < modes.n; i++) {
        const char *mode = modes.g[i].key;
        json_t *o = amounts(&modes.g[i].s, 1, t.real), *detail = json_array();
        json_object_set_new(o, "PayMode", json_string(mode));
        json_object_set_new(o, "PayModeName", json_string(!strcmp(mode, "prePay") ? "包年包月" : "按量计费"));
        for (int j = 0; j < gs.n; j++) {
            if (strcmp(gs.g[j].key, mode))
                continue;
            json_t *a = amounts(&gs.g[j].s, 1, modes.g[i].s.real);
            json_object_set_new(a, "ActionType", json_string(gs.g[j].sub));
            json_object_set_new(a, "ActionTypeName", json_string(action_type_name(gs.g[j].sub)));
            json_object_set_new(a, "BillMonth", json_string(p.month));
            json_array_append_new(detail, a);
        }
        json_object_set_new(o, "Detail", detail);
        json_array_append_new(set, o);
    }
    free(gs.g);
    free(modes.g);
    json_object_set_new(ctx->out, "Ready", json_integer(1));
    json_object_set_new(ctx->out, "SummaryOverview", set);
    return 0;
}

/* The value of key in a resource's tags ([{Key, Value}...]), "" when it has none. */
static void tag_value(const char *tags, const char *key, char out[160])
{
    json_t *a = json_loads(tags ? tags : "[]", 0, NULL), *t;
    size_t i;
    out[0] = 0;
    json_array_foreach (a, i, t)
        if (!strcmp(json_string_value(json_object_get(t, "Key")) ?: "", key)) {
            snprintf(out, 160, "%s", json_string_value(json_object_get(t, "Value")) ?: "");
            break;
        }
    json_decref(a);
}

/* Per value of TagKey on the resources (rows of untagged resources under ""). Tags are a JSON
 * column, so rows are grouped by their whole tag set in SQL and by the one value here. */
static int describe_summary_by_tag(struct api_ctx *ctx)
{
    struct period p;
    struct groups sets = {0}, vals = {0};
    const char *key = api_str(ctx, "TagKey", ""), *want = api_str(ctx, "TagValue", NULL);
    if (summary_month(ctx, &p) != 0 || summary_groups(ctx, &p, NULL, "tags", 1, &sets) != 0) {
        free(sets.g);
        return -1;
    }
    for (int i = 0; i < sets.n; i++) {
        char v[160];
        tag_value(sets.g[i].key, key, v);
        if (want && strcmp(v, want))
            continue;
        struct group *g = groups_add(&vals, v, "");
        if (!g) {
            free(sets.g);
            free(vals.g);
            return api_fail(ctx, E_INTERNAL_ERROR, "Out of memory.");
        }
        sums_add(&g->s, &sets.g[i].s);
    }
    free(sets.g);
    groups_sort(&vals);
    struct sums t = groups_total(&vals);
    json_t *set = json_array();
    for (int i = 0; i < vals.n; i++) {
        json_t *o = amounts(&vals.g[i].s, 1, t.real);
        json_object_set_new(o, "TagValue", json_string(vals.g[i].key));
        json_array_append_new(set, o);
    }
    free(vals.g);
    json_object_set_new(ctx->out, "Ready", json_integer(1));
    json_object_set_new(ctx->out, "SummaryOverview", set);
    json_object_set_new(ctx->out, "SummaryTotal",
                        json_pack("{s:o,s:o}", "RealTotalCost", yuan(t.real), "TotalCost", yuan(t.cost)));
    return 0;
}

/* Per product, with the trend against the month before: the change of the real cost in percent
 * (two places); "none" when the month before cost nothing or the same. */
static int describe_cost_summary_by_product(struct api_ctx *ctx)
{
    struct period p, prev;
    struct groups gs = {0}, before = {0};
    if (summary_month(ctx, &p) != 0 || summary_groups(ctx, &p, NULL, "product", 1, &gs) != 0) {
        free(gs.g);
        return -1;
    }
    char pm[16];
    time_date(p.from - 1, pm);
    pm[7] = 0;
    month_range(pm, &prev.from, &prev.to); /* the month before a valid month is one */
    if (summary_groups(ctx, &prev, NULL, "product", 1, &before) != 0) {
        free(gs.g);
        free(before.g);
        return -1;
    }
    struct sums t = groups_total(&gs);
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 100);
    json_t *set = json_array();
    for (int64_t i = offset; i < gs.n && i < offset + limit; i++) {
        const struct group *g = &gs.g[i];
        int64_t was = 0;
        for (int j = 0; j < before.n; j++)
            if (!strcmp(before.g[j].key, g->key))
                was = before.g[j].s.real;
        json_t *trend;
        if (was == 0 || was == g->s.real)
            trend = json_pack("{s:s,s:n}", "Type", "none", "Value");
        else
            trend = json_pack("{s:s,s:o}", "Type", g->s.real > was ? "upward" : "downward", "Value",
                              ratio(g->s.real > was ? g->s.real - was : was - g->s.real, was));
        json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:s}", "BusinessCode", price_business_code(g->key),
                              "BusinessCodeName", price_product_name(g->key), "RealTotalCost", yuan(g->s.real), "Trend",
                              trend, "CashPayAmount", yuan(g->s.cash), "IncentivePayAmount", yuan(g->s.incentive),
                              "VoucherPayAmount", yuan(g->s.voucher), "TransferPayAmount", yuan(g->s.transfer),
                              "RegionName", "", "LeftRealTotalCost", "0.00000000");
        json_array_append_new(set, o);
    }
    int n = gs.n;
    free(gs.g);
    free(before.g);
    json_object_set_new(ctx->out, "Ready", json_integer(1));
    json_object_set_new(ctx->out, "Total", json_pack("{s:o}", "RealTotalCost", yuan(t.real)));
    json_object_set_new(ctx->out, "Data", set);
    json_object_set_new(ctx->out, "RecordNum", api_int(ctx, "NeedRecordNum", 0) == 1 ? json_integer(n) : json_null());
    return 0;
}

static const char *const pay_types[] = {"consume", "refund", "adjustment", NULL};

#define P_MONTHS P_STR("BeginTime", P_REQUIRED, 1, 32), P_STR("EndTime", P_REQUIRED, 1, 32)
static const struct param p_product[] = {P_MONTHS, P_STR("PayerUin", 0, 1, 24), P_ENUM("PayType", 0, pay_types), P_END};
static const struct param p_months[] = {P_MONTHS, P_STR("PayerUin", 0, 1, 24), P_END};
static const struct param p_tag[] = {P_MONTHS, P_STR("TagKey", P_REQUIRED, 1, 128), P_STR("PayerUin", 0, 1, 24),
                                     P_STR("TagValue", 0, 0, 256), P_END};
static const struct param p_cost[] = {P_MONTHS,
                                      P_INT("Limit", P_REQUIRED, 1, 100),
                                      P_INT("Offset", P_REQUIRED, 0, INT32_MAX),
                                      P_STR("PayerUin", 0, 1, 24),
                                      P_INT("NeedRecordNum", 0, 0, 1),
                                      P_END};

static const struct action actions[] = {
    {"billing", BILLING, "DescribeBillSummaryByProduct", describe_summary_by_product, p_product, 0, NULL},
    {"billing", BILLING, "DescribeBillSummaryByRegion", describe_summary_by_region, p_months, 0, NULL},
    {"billing", BILLING, "DescribeBillSummaryByPayMode", describe_summary_by_pay_mode, p_months, 0, NULL},
    {"billing", BILLING, "DescribeBillSummaryByTag", describe_summary_by_tag, p_tag, 0, NULL},
    {"billing", BILLING, "DescribeCostSummaryByProduct", describe_cost_summary_by_product, p_cost, 0, NULL},
};

void summary_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
