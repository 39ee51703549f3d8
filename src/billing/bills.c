/*
 * bills: the usage bill in Tencent's shapes. L3 (DescribeBillDetail): one row per resource and
 * hour (postpaid) or order (prepaid), with its components; L2 (DescribeBillResourceSummary): per
 * resource and month; L1: summaries by product, region, pay mode and tag. Amounts are yuan as
 * decimal strings with 8 places, each the exact sum of the rows below it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

int month_range(const char *m, int64_t *from, int64_t *to)
{
    int y, mo;
    char tail;
    if (!m || strlen(m) != 7 || sscanf(m, "%4d-%2d%c", &y, &mo, &tail) != 2 || m[4] != '-' || mo < 1 || mo > 12 ||
        y < 1970 || y > 9999)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = 1};
    *from = (int64_t)timegm(&tm);
    tm.tm_mon++;
    *to = (int64_t)timegm(&tm) - 1;
    return 0;
}

int bills_period(struct api_ctx *ctx, struct period *p, int64_t max_span)
{
    const char *b = api_str(ctx, "BeginTime", NULL), *e = api_str(ctx, "EndTime", NULL);
    const char *m = api_str(ctx, "Month", NULL);
    memset(p, 0, sizeof *p);
    if (b || e) {
        if (!b || !e)
            return api_fail(ctx, E_INVALID_PARAMETER, "BeginTime and EndTime are given together.");
        if (strlen(b) != 19 || time_parse_iso8601(b, &p->from) != 0 || strlen(e) != 19 ||
            time_parse_iso8601(e, &p->to) != 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "BeginTime and EndTime are yyyy-mm-dd hh:mm:ss.");
        if (p->to < p->from)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "BeginTime is after EndTime.");
        if (max_span && p->to - p->from > max_span)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "BeginTime and EndTime must be within one month.");
        return 0;
    }
    if (!m)
        return api_fail(ctx, E_MISSING_PARAMETER, "Either Month or BeginTime and EndTime must be given.");
    if (month_range(m, &p->from, &p->to) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Month `%s` is not a month as yyyy-mm.", m);
    snprintf(p->month, sizeof p->month, "%s", m);
    return 0;
}

const char *action_type_name(const char *code)
{
    return !strcmp(code, "postpay_deduct_h")  ? "按量计费扣费"
           : !strcmp(code, "prepay_purchase") ? "包年包月新购"
           : !strcmp(code, "prepay_renew")    ? "包年包月续费"
           : !strcmp(code, "prepay_return")   ? "包年包月退款"
                                              : code;
}

static const char *action_type_code(const char *name)
{
    static const char *const map[][2] = {{"按量计费扣费", "postpay_deduct_h"}, {"按量计费小时结", "postpay_deduct_h"},
                                         {"包年包月新购", "prepay_purchase"},  {"包年包月续费", "prepay_renew"},
                                         {"包年包月退款", "prepay_return"},    {NULL, NULL}};
    for (int i = 0; map[i][0]; i++)
        if (!strcmp(map[i][0], name))
            return map[i][1];
    return NULL;
}

static const char *product_of_code(const char *code)
{
    return !strcmp(code, "p_cvm")   ? "cvm"
           : !strcmp(code, "p_cbs") ? "cbs"
           : !strcmp(code, "p_eip") ? "vpc"
           : !strcmp(code, "p_cos") ? "cos"
                                    : NULL;
}

static json_t *y(int64_t fine)
{
    char b[32];
    rate_yuan(fine, b);
    return json_string(b);
}

static json_t *tags_of(const char *text)
{
    json_t *in = json_loads(text, 0, NULL), *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (in, i, v)
        json_array_append_new(
            out, json_pack("{s:O,s:O}", "TagKey", json_object_get(v, "Key"), "TagValue", json_object_get(v, "Value")));
    json_decref(in);
    return out;
}

static json_t *components(struct api_ctx *ctx, const char *detail_id)
{
    json_t *set = json_array();
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT component, item, price, unit_qty, period_s, unit, used, time_span, cost,"
                                       " discount_ppm, real_cost, cash, voucher, incentive, transfer FROM"
                                       " billing_components WHERE detail_id = ? ORDER BY component, item",
                                       "s", detail_id);
    while (q && store_step(q) == STORE_FOUND) {
        const char *comp = store_text(q, 0), *unit = store_text(q, 5);
        int64_t price = store_int(q, 2), unit_qty = store_int(q, 3), period = store_int(q, 4);
        int64_t used = store_int(q, 6), span = store_int(q, 7), cost = store_int(q, 8), ppm = store_int(q, 9);
        if (unit_qty <= 0)
            unit_qty = 1;
        char pu[64], ratio[32];
        int hourly = period == 3600, monthly = period > 3600;
        snprintf(pu, sizeof pu, "元/%s%s%s", unit_qty == 10000 ? "万" : "", unit,
                 hourly    ? "/小时"
                 : monthly ? "/月"
                           : "");
        rate_ratio(ppm, ratio);
        /* hourly: used is quantity x seconds, so UsedAmount x TimeSpan (hours) x SinglePrice = Cost */
        int64_t used_f = hourly ? rate_muldiv(used, BILLING_FINE_PER_YUAN, span * unit_qty)
                                : rate_muldiv(used, BILLING_FINE_PER_YUAN, unit_qty);
        int64_t span_f = hourly ? rate_muldiv(span, BILLING_FINE_PER_YUAN, 3600) : span * BILLING_FINE_PER_YUAN;
        json_t *c = json_pack(
            "{s:s,s:s,s:o,s:s,s:o,s:s,s:o,s:s,s:o,s:s,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s,"
            "s:s,s:[]}",
            "ComponentCodeName", price_component_name(comp), "ItemCodeName", store_text(q, 1), "SinglePrice", y(price),
            "PriceUnit", pu, "UsedAmount", y(used_f), "UsedAmountUnit", unit, "RealTotalMeasure", y(used_f),
            "DeductedMeasure", "0.00000000", "TimeSpan", y(span_f), "TimeUnitName",
            hourly    ? "小时"
            : monthly ? "月"
                      : "次",
            "Cost", y(cost), "Discount", ratio, "ReduceType", "折扣", "RealCost", y(store_int(q, 10)),
            "VoucherPayAmount", y(store_int(q, 12)), "CashPayAmount", y(store_int(q, 11)), "IncentivePayAmount",
            y(store_int(q, 13)), "TransferPayAmount", y(store_int(q, 14)), "ItemCode", store_text(q, 1),
            "ComponentCode", comp, "ContractPrice", y(rate_discount(price, ppm)), "InstanceType", "", "RiTimeSpan",
            "0.00000000", "OriginalCostWithRI", "0.00000000", "SPDeductionRate", "0.00000000", "OriginalCostWithSP",
            "0.00000000", "BlendedDiscount", ratio, "ComponentConfig");
        json_array_append_new(set, c);
    }
    store_done(q);
    return set;
}

int detail_filter(struct api_ctx *ctx, const struct period *p, struct detail_filter *f)
{
    memset(f, 0, sizeof *f);
    f->from = p->from;
    f->to = p->to;
    snprintf(f->sql, sizeof f->sql, "owner_uin = ? AND fee_begin >= ? AND fee_begin <= ?");
    const char *pay = api_str(ctx, "PayMode", NULL), *res = api_str(ctx, "ResourceId", NULL);
    const char *at = api_str(ctx, "ActionType", NULL), *bc = api_str(ctx, "BusinessCode", NULL);
    const char *payer = api_str(ctx, "PayerUin", NULL);
    if (payer && strcmp(payer, ctx->who.owner_uin))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "PayerUin `%s` is not this account.", payer);
    if (pay) {
        strcat(f->sql, " AND pay_mode = ?");
        f->args[f->nargs++] = pay;
    }
    if (res) {
        strcat(f->sql, " AND resource_id = ?");
        f->args[f->nargs++] = res;
    }
    if (at) {
        const char *code = action_type_code(at);
        if (!code)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "ActionType `%s` is not a transaction type.", at);
        strcat(f->sql, " AND action_type = ?");
        f->args[f->nargs++] = code;
    }
    if (bc) {
        const char *prod = product_of_code(bc);
        if (!prod)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "BusinessCode `%s` is not a product code.", bc);
        strcat(f->sql, " AND product = ?");
        f->args[f->nargs++] = prod;
    }
    if (api_has(ctx, "ProjectId")) {
        snprintf(f->project, sizeof f->project, "%lld", (long long)api_int(ctx, "ProjectId", 0));
        strcat(f->sql, " AND CAST(project_id AS TEXT) = ?");
        f->args[f->nargs++] = f->project;
    }
    return 0;
}

/* Runs "SELECT cols FROM billing_details WHERE <filter> tail" with the filter's parameters. */
struct store_stmt *detail_query(struct api_ctx *ctx, const struct detail_filter *f, const char *cols, const char *tail)
{
    char sql[1200], fmt[16] = "sii";
    snprintf(sql, sizeof sql, "SELECT %s FROM billing_details WHERE %s %s", cols, f->sql, tail);
    const char *const *a = f->args;
    for (int i = 0; i < f->nargs; i++)
        strcat(fmt, "s");
    /* fmt names as many of the filter's strings as it has; the unused ones are never read */
    return store_query(ctx->store, sql, fmt, ctx->who.owner_uin, f->from, f->to, a[0], a[1], a[2], a[3], a[4], a[5],
                       a[6], a[7]);
}

#define DETAIL_COLS                                                                                                    \
    "detail_id, product, sub_product, pay_mode, action_type, region, zone, project_id, resource_id, resource_name,"    \
    " order_id, bill_id, pay_time, fee_begin, fee_end, tags, discount_ppm, payer_uin, operate_uin, month"

static json_t *detail_json(struct api_ctx *ctx, struct store_stmt *q)
{
    char pay[32], b[32], e[32], day[32], month[32], ratio[16];
    time_cam(store_int(q, 12), pay);
    time_cam(store_int(q, 13), b);
    time_cam(store_int(q, 14), e);
    time_date(store_int(q, 13), day);
    strcat(day, " 00:00:00");
    snprintf(month, sizeof month, "%s-01 00:00:00", store_text(q, 19));
    const char *product = store_text(q, 1), *pay_mode = store_text(q, 3), *at = store_text(q, 4);
    int64_t ppm = store_int(q, 16);
    snprintf(ratio, sizeof ratio, "%g", (double)ppm / BILLING_PPM);
    json_t *d = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:I,s:[],s:s,"
        "s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
        "BusinessCodeName", price_product_name(product), "ProductCodeName", price_product_name(product), "PayModeName",
        !strcmp(pay_mode, "prePay") ? "包年包月" : "按量计费", "ProjectName", "默认项目", "RegionName",
        store_text(q, 5), "ZoneName", store_text(q, 6), "ResourceId", store_text(q, 8), "ResourceName",
        store_text(q, 9), "ActionTypeName", action_type_name(at), "OrderId", store_text(q, 10), "BillId",
        store_text(q, 11), "PayTime", pay, "FeeBeginTime", b, "FeeEndTime", e, "ComponentSet",
        components(ctx, store_text(q, 0)), "PayerUin", store_text(q, 17), "OwnerUin", ctx->who.owner_uin, "OperateUin",
        store_text(q, 18), "Tags", tags_of(store_text(q, 15)), "BusinessCode", price_business_code(product),
        "ProductCode", store_text(q, 2), "ActionType", at, "RegionId", store_text(q, 5), "ProjectId",
        (json_int_t)store_int(q, 7), "PriceInfo", "Formula", "", "FormulaUrl", "", "BillDay", day, "BillMonth", month,
        "Id", store_text(q, 0), "RegionType", "domestic", "RegionTypeName", "中国大陆", "ReserveDetail", "",
        "DiscountObject", ppm == BILLING_PPM ? "" : "用户折扣", "DiscountType", ppm == BILLING_PPM ? "" : "折扣",
        "DiscountContent", ppm == BILLING_PPM ? "" : ratio, "ExtendField", "");
    json_object_set_new(d, "AssociatedOrder",
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "PrepayPurchase",
                                  !strcmp(at, "prepay_purchase") ? store_text(q, 10) : "", "PrepayRenew",
                                  !strcmp(at, "prepay_renew") ? store_text(q, 10) : "", "PrepayModifyUp", "",
                                  "ReverseOrder", !strcmp(at, "prepay_return") ? store_text(q, 10) : "", "NewOrder", "",
                                  "Original", ""));
    return d;
}

static int describe_bill_detail(struct api_ctx *ctx)
{
    struct period p;
    struct detail_filter f;
    if (bills_period(ctx, &p, 31 * 86400) != 0 || detail_filter(ctx, &p, &f) != 0)
        return -1;
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 100);
    struct store_stmt *q = detail_query(ctx, &f, "count(*)", "");
    int rc = q ? store_step(q) : -1;
    int64_t total = rc == STORE_FOUND ? store_int(q, 0) : 0;
    store_done(q);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The bill is unavailable.");
    /* Context (Tencent's "speeds up paging"): where the previous page ended; the next page starts
     * after it with an index seek instead of counting Offset rows again. Offset is then ignored. */
    const char *context = api_str(ctx, "Context", "");
    char after[72] = "";
    if (context[0]) {
        long long fb;
        int n = 0;
        if (sscanf(context, "v1.%lld.%n", &fb, &n) != 1 || n == 0 || strlen(context + n) >= sizeof after || !context[n])
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Context is not one this API returned.");
        snprintf(after, sizeof after, "%s", context + n);
        size_t len = strlen(f.sql);
        snprintf(f.sql + len, sizeof f.sql - len, " AND (fee_begin > %lld OR (fee_begin = %lld AND detail_id > ?))", fb,
                 fb);
        f.args[f.nargs++] = after;
        offset = 0;
    }
    char tail[96];
    snprintf(tail, sizeof tail, "ORDER BY fee_begin, detail_id LIMIT %lld OFFSET %lld", (long long)limit,
             (long long)offset);
    q = detail_query(ctx, &f, DETAIL_COLS, tail);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The bill is unavailable.");
    /* the rows are read first: a component query per row must not run inside this statement's loop on
     * a backend with one cursor per connection */
    json_t *set = json_array();
    char next[128] = "";
    while ((rc = store_step(q)) == STORE_FOUND) {
        json_array_append_new(set, detail_json(ctx, q));
        snprintf(next, sizeof next, "v1.%lld.%s", (long long)store_int(q, 13), store_text(q, 0));
    }
    store_done(q);
    if (rc < 0) {
        json_decref(set);
        return api_fail(ctx, E_INTERNAL_ERROR, "The bill is unavailable.");
    }
    json_object_set_new(ctx->out, "DetailSet", set);
    json_object_set_new(ctx->out, "Total", json_integer(total));
    json_object_set_new(ctx->out, "Context", json_string(next));
    return 0;
}

/* L2: per resource (and pay mode, transaction type) over the period. */
static int describe_bill_resource_summary(struct api_ctx *ctx)
{
    struct period p;
    struct detail_filter f;
    if (bills_period(ctx, &p, 31 * 86400) != 0 || detail_filter(ctx, &p, &f) != 0)
        return -1;
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 100);
    char tail[256];
    snprintf(tail, sizeof tail,
             "GROUP BY resource_id, resource_name, product, sub_product, pay_mode, action_type, region, zone,"
             " project_id, order_id ORDER BY min(fee_begin), resource_id LIMIT %lld OFFSET %lld",
             (long long)limit, (long long)offset);
    struct store_stmt *q = detail_query(ctx, &f,
                                        "resource_id, resource_name, product, sub_product, pay_mode, action_type,"
                                        " region, zone, project_id, order_id, min(fee_begin), max(fee_end),"
                                        " max(pay_time), sum(cost), sum(real_cost), sum(cash), sum(voucher),"
                                        " sum(incentive), sum(transfer), min(discount_ppm), max(tags)",
                                        tail);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The bill is unavailable.");
    json_t *set = json_array();
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        char b[32], e[32], pay[32], ratio[32], month[32];
        time_cam(store_int(q, 10), b);
        time_cam(store_int(q, 11), e);
        time_cam(store_int(q, 12), pay);
        rate_ratio(store_int(q, 19), ratio);
        time_date(store_int(q, 10), month);
        snprintf(month + 7, sizeof month - 7, "-01 00:00:00");
        const char *product = store_text(q, 2), *at = store_text(q, 5);
        json_t *r = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,"
            "s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s}",
            "BusinessCodeName", price_product_name(product), "ProductCodeName", price_product_name(product),
            "PayModeName", !strcmp(store_text(q, 4), "prePay") ? "包年包月" : "按量计费", "ProjectName", "默认项目",
            "RegionName", store_text(q, 6), "ZoneName", store_text(q, 7), "ResourceId", store_text(q, 0),
            "ResourceName", store_text(q, 1), "ActionTypeName", action_type_name(at), "OrderId", store_text(q, 9),
            "PayTime", pay, "FeeBeginTime", b, "FeeEndTime", e, "ConfigDesc", "", "ExtendField1", "", "ExtendField2",
            "", "TotalCost", y(store_int(q, 13)), "Discount", ratio, "ReduceType", "折扣", "RealTotalCost",
            y(store_int(q, 14)), "VoucherPayAmount", y(store_int(q, 16)), "CashPayAmount", y(store_int(q, 15)),
            "IncentivePayAmount", y(store_int(q, 17)), "TransferPayAmount", y(store_int(q, 18)), "ExtendField3", "",
            "ExtendField4", "", "ExtendField5", "", "PayerUin", ctx->who.owner_uin, "Tags", tags_of(store_text(q, 20)),
            "OwnerUin", ctx->who.owner_uin, "OperateUin", ctx->who.owner_uin, "BusinessCode",
            price_business_code(product), "ProductCode", store_text(q, 3), "InstanceType", "", "RegionId",
            (json_int_t)0, "OriginalCostWithRI", "0", "OriginalCostWithSP", "0", "BillMonth", month, "ActionType", at);
        json_array_append_new(set, r);
    }
    store_done(q);
    if (rc < 0) {
        json_decref(set);
        return api_fail(ctx, E_INTERNAL_ERROR, "The bill is unavailable.");
    }
    q = detail_query(ctx, &f, "count(*)",
                     "AND 1 = 1 GROUP BY resource_id, resource_name, product, sub_product, pay_mode, action_type,"
                     " region, zone, project_id, order_id");
    int64_t total = 0;
    while (q && store_step(q) == STORE_FOUND)
        total++;
    store_done(q);
    json_object_set_new(ctx->out, "ResourceSummarySet", set);
    json_object_set_new(ctx->out, "Total", json_integer(total));
    return 0;
}

static const struct param p_detail[] = {P_INT("Offset", P_REQUIRED, 0, INT32_MAX),
                                        P_INT("Limit", P_REQUIRED, 1, 300),
                                        P_STR("Month", 0, 1, 16),
                                        P_STR("BeginTime", 0, 1, 32),
                                        P_STR("EndTime", 0, 1, 32),
                                        P_INT("NeedRecordNum", 0, 0, 1),
                                        P_STR("PayMode", 0, 1, 16),
                                        P_STR("ResourceId", 0, 1, 128),
                                        P_STR("ActionType", 0, 1, 64),
                                        P_INT("ProjectId", 0, 0, INT32_MAX),
                                        P_STR("BusinessCode", 0, 1, 64),
                                        P_STR("Context", 0, 0, 4096),
                                        P_STR("PayerUin", 0, 1, 24),
                                        P_END};
static const struct param p_resource[] = {P_INT("Offset", P_REQUIRED, 0, INT32_MAX),
                                          P_INT("Limit", P_REQUIRED, 1, 1000),
                                          P_STR("Month", 0, 1, 16),
                                          P_STR("BeginTime", 0, 1, 32),
                                          P_STR("EndTime", 0, 1, 32),
                                          P_INT("NeedRecordNum", 0, 0, 1),
                                          P_STR("ActionType", 0, 1, 64),
                                          P_STR("ResourceId", 0, 1, 128),
                                          P_STR("PayMode", 0, 1, 16),
                                          P_STR("BusinessCode", 0, 1, 64),
                                          P_STR("PayerUin", 0, 1, 24),
                                          P_STR("TagKey", 0, 1, 128),
                                          P_STR("TagValue", 0, 1, 256),
                                          P_END};

static const struct action actions[] = {
    {"billing", BILLING, "DescribeBillDetail", describe_bill_detail, p_detail, 0, NULL},
    {"billing", BILLING, "DescribeBillResourceSummary", describe_bill_resource_summary, p_resource, 0, NULL},
};

void bills_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
