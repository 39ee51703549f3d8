/*
 * voucher_api: the billing service's voucher views, the owner's: DescribeVoucherInfo (its vouchers,
 * amounts in "micro", 1e-8 yuan: billing's fine unit) and DescribeVoucherUsageDetails (what one of
 * them paid, bill row by bill row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

static json_t *cam_time(int64_t t)
{
    char b[32];
    time_cam(t, b);
    return json_string(b);
}

static int describe_voucher_info(struct api_ctx *ctx)
{
    struct billing_voucher *v;
    int n;
    if (billing_vouchers(ctx->store, ctx->who.owner_uin, &v, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The vouchers are unavailable.");
    const char *status = api_str(ctx, "Status", NULL), *id = api_str(ctx, "VoucherId", NULL);
    const char *product = api_str(ctx, "ProductCode", NULL);
    int64_t now = clock_now(), limit = api_int(ctx, "Limit", 20), page = api_int(ctx, "Offset", 1), total = 0;
    struct page pg;
    page_start(&pg, (page - 1) * limit, limit);
    for (int i = 0; i < n; i++) {
        const char *st = billing_voucher_status(&v[i], now);
        if ((status && strcmp(status, st)) || (id && strcmp(id, v[i].id)) ||
            (product && strcmp(product, v[i].product) && strcmp(v[i].product, "*")))
            continue;
        if (strcmp(st, BILLING_VOUCHER_EXPIRED))
            total += v[i].balance;
        if (!page_take(&pg))
            continue;
        json_array_append_new(
            pg.set,
            json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:o,s:o,s:{s:s,s:s},s:[],s:s,s:o,s:s}", "OwnerUin", v[i].owner,
                      "Status", st, "NominalValue", (json_int_t)v[i].amount, "Balance", (json_int_t)v[i].balance,
                      "VoucherId", v[i].id, "PayMode", "postPay", "PayScene", "settle account", "BeginTime",
                      cam_time(v[i].begin), "EndTime", cam_time(v[i].end), "ApplicableProducts", "GoodsName",
                      strcmp(v[i].product, "*") ? v[i].product : "全产品通用", "PayMode", "postPay", "ExcludedProducts",
                      "PolicyRemark", v[i].note, "CreateTime", cam_time(v[i].created), "VoucherKind", v[i].kind));
    }
    free(v);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    json_object_set_new(ctx->out, "TotalBalance", json_integer(total));
    json_object_set_new(ctx->out, "VoucherInfos", pg.set);
    json_object_set_new(ctx->out, "Unit", json_string("micro"));
    return 0;
}

static int describe_voucher_usage_details(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "VoucherId", "");
    struct billing_voucher *v;
    int n, found = 0;
    if (billing_vouchers(ctx->store, ctx->who.owner_uin, &v, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The vouchers are unavailable.");
    for (int i = 0; i < n; i++)
        found |= !strcmp(v[i].id, id);
    free(v);
    if (!found)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND, "The voucher %s is not found.", id);
    struct billing_voucher_use *u;
    if (billing_voucher_usage(ctx->store, id, &u, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The usage is unavailable.");
    int64_t limit = api_int(ctx, "Limit", 20), page = api_int(ctx, "Offset", 1), used = 0;
    struct page pg;
    page_start(&pg, (page - 1) * limit, limit);
    for (int i = 0; i < n; i++) {
        used += u[i].used;
        if (!page_take(&pg))
            continue;
        json_array_append_new(pg.set,
                              json_pack("{s:I,s:o,s:[{s:s,s:s,s:s,s:s}],s:s,s:s,s:s,s:s}", "UsedAmount",
                                        (json_int_t)u[i].used, "UsedTime", cam_time(u[i].time), "UsageDetails",
                                        "ProductName", u[i].product, "ProductCode", price_business_code(u[i].product),
                                        "ProductEnName", u[i].product, "CalcUnit", "hour", "PayMode", u[i].pay_mode,
                                        "VoucherId", id, "PayScene", "common", "SeqId", u[i].detail_id));
    }
    free(u);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    json_object_set_new(ctx->out, "TotalUsedAmount", json_integer(used));
    json_object_set_new(ctx->out, "UsageRecords", pg.set);
    return 0;
}

static const char *const statuses[] = {"unUsed", "used", "delivered", "cancel", "overdue", NULL};
static const struct param p_info[] = {P_INT("Limit", 0, 1, 1000),
                                      P_INT("Offset", 0, 1, INT32_MAX),
                                      P_ENUM("Status", 0, statuses),
                                      P_STR("VoucherId", 0, 1, 64),
                                      P_STR("CodeId", 0, 0, 64),
                                      P_STR("ProductCode", 0, 0, 64),
                                      P_STR("ActivityId", 0, 0, 64),
                                      P_STR("VoucherName", 0, 0, 128),
                                      P_STR("TimeFrom", 0, 0, 32),
                                      P_STR("TimeTo", 0, 0, 32),
                                      P_STR("SortField", 0, 0, 32),
                                      P_STR("SortOrder", 0, 0, 8),
                                      P_STR("PayMode", 0, 0, 16),
                                      P_STR("PayScene", 0, 0, 32),
                                      P_STR("Operator", 0, 0, 24),
                                      P_STR("VoucherMainType", 0, 0, 16),
                                      P_STR("VoucherSubType", 0, 0, 16),
                                      P_STR("StartTimeFrom", 0, 0, 32),
                                      P_STR("StartTimeTo", 0, 0, 32),
                                      P_STR("EndTimeFrom", 0, 0, 32),
                                      P_STR("EndTimeTo", 0, 0, 32),
                                      P_STR("CreateTimeFrom", 0, 0, 32),
                                      P_STR("CreateTimeTo", 0, 0, 32),
                                      P_STR("Lang", 0, 0, 8),
                                      P_END};
static const struct param p_usage[] = {P_INT("Limit", P_REQUIRED, 1, 1000), P_INT("Offset", P_REQUIRED, 1, INT32_MAX),
                                       P_STR("VoucherId", P_REQUIRED, 1, 64), P_STR("Operator", 0, 0, 24), P_END};

static const struct action actions[] = {
    {"billing", BILLING, "DescribeVoucherInfo", describe_voucher_info, p_info, 0, NULL},
    {"billing", BILLING, "DescribeVoucherUsageDetails", describe_voucher_usage_details, p_usage, 0, NULL},
};

void voucher_api_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
