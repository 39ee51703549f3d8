/*
 * actions: the account's money — balance (cents), the ledger (DescribeBillList, cents) and the
 * prepaid orders (DescribeDealsByCond) — and the customer's notifications (a yun extension).
 * Every action is the root account's: sub-users need a CAM policy naming billing:* or finance:*.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"
#include "identity/identity.h"

static int describe_account_balance(struct api_ctx *ctx)
{
    struct store_stmt *q =
        store_query(ctx->store, "SELECT cash, present, \"freeze\", credit FROM billing_accounts WHERE uin = ?", "s",
                    ctx->who.owner_uin);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The balance is unavailable.");
    int rc = store_step(q);
    int64_t cash = 0, present = 0, freeze = 0, credit = 0;
    if (rc == STORE_FOUND) {
        cash = store_int(q, 0);
        present = store_int(q, 1);
        freeze = store_int(q, 2);
        credit = store_int(q, 3);
    }
    store_done(q);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The balance is unavailable.");
    /* RealBalance = Cash + IncomeInto + Present - Freeze - Owe; the owed part is the negative cash */
    int64_t cash_c = rate_cents_floor(cash), present_c = rate_cents_floor(present);
    int64_t freeze_c = rate_cents_floor(freeze), credit_c = rate_cents_floor(credit);
    int64_t owe = cash_c + present_c < 0 ? -(cash_c + present_c) : 0;
    int64_t real = cash_c + present_c - freeze_c;
    int64_t credit_balance = cash_c + present_c + credit_c;
    json_object_set_new(ctx->out, "Balance", json_integer(real));
    json_object_set_new(ctx->out, "Uin", json_integer(strtoll(ctx->who.owner_uin, NULL, 10)));
    json_object_set_new(ctx->out, "RealBalance", json_real((double)real));
    json_object_set_new(ctx->out, "CashAccountBalance", json_real((double)(cash_c > 0 ? cash_c : 0)));
    json_object_set_new(ctx->out, "IncomeIntoAccountBalance", json_real(0));
    json_object_set_new(ctx->out, "PresentAccountBalance", json_real((double)present_c));
    json_object_set_new(ctx->out, "FreezeAmount", json_real((double)freeze_c));
    json_object_set_new(ctx->out, "OweAmount", json_real((double)owe));
    json_object_set_new(ctx->out, "IsAllowArrears", json_false());
    json_object_set_new(ctx->out, "IsCreditLimited", json_false());
    json_object_set_new(ctx->out, "CreditAmount", json_real((double)credit_c));
    json_object_set_new(ctx->out, "CreditBalance", json_real((double)credit_balance));
    json_object_set_new(ctx->out, "RealCreditBalance", json_real((double)(credit_balance - freeze_c)));
    json_object_set_new(ctx->out, "TempCredit", json_real(0));
    json_object_set_new(ctx->out, "TempAmountInfoList", json_array());
    return 0;
}

/* "yyyy-mm-dd hh:mm:ss" into t, or a Tencent error naming the field. */
static int parse_time(struct api_ctx *ctx, const char *name, int64_t *t)
{
    const char *v = api_str(ctx, name, NULL);
    if (!v || strlen(v) != 19 || v[10] != ' ' || time_parse_iso8601(v, t) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "%s must be a time as yyyy-mm-dd hh:mm:ss.", name);
    return 0;
}

/* StartTime and EndTime, in order. */
static int time_range(struct api_ctx *ctx, int64_t *from, int64_t *to)
{
    if (parse_time(ctx, "StartTime", from) || parse_time(ctx, "EndTime", to))
        return -1;
    if (*to < *from)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "EndTime is before StartTime.");
    return 0;
}

static const char *const pay_types[] = {"all",      "recharge",  "return",     "unblock",    "agentin",
                                        "advanced", "cash",      "deduct",     "block",      "agentout",
                                        "repay",    "repayment", "adj_refund", "adj_deduct", NULL};
static const char *const sub_pay_types[] = {"all",          "trade", "hour_h", "hour_d",  "hour_m",
                                            "decompensate", "other", "panshi", "offline", NULL};

static int describe_bill_list(struct api_ctx *ctx)
{
    int64_t from, to;
    if (time_range(ctx, &from, &to) != 0)
        return -1;
    if (to - from > 186 * 86400)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The span of StartTime and EndTime is at most 6 months.");
    json_t *types = json_object_get(ctx->params, "PayType"), *subs = json_object_get(ctx->params, "SubPayType");
    int all_types = !json_array_size(types) || values_contain(types, "all");
    int all_subs = !json_array_size(subs) || values_contain(subs, "all");
    int zero = api_int(ctx, "WithZeroAmount", 0) == 1;
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT bill_id, time, action_type, amount, balance, deduct_mode, channel, info,"
                                       " cash_fine FROM billing_ledger WHERE uin = ? AND time >= ? AND time <= ?"
                                       " ORDER BY time DESC, bill_id DESC",
                                       "sii", ctx->who.owner_uin, from, to);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The ledger is unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    int64_t sums[4] = {0, 0, 0, 0}; /* recharge, return, deduct, other */
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        const char *type = store_text(q, 2), *mode = store_text(q, 5);
        char sub[16];
        snprintf(sub, sizeof sub, "%s", !strcmp(mode, "hourh") ? "hour_h" : mode);
        int64_t amount = store_int(q, 3);
        if (!all_types && !values_contain(types, type))
            continue;
        if (!all_subs && !strcmp(type, "deduct") && !values_contain(subs, sub))
            continue;
        if (!zero && amount == 0)
            continue;
        sums[!strcmp(type, "recharge") ? 0 : !strcmp(type, "return") ? 1 : !strcmp(type, "deduct") ? 2 : 3] += amount;
        if (!page_take(&pg))
            continue;
        char t[40];
        time_cam(store_int(q, 1), t);
        strcat(t, ".000");
        json_array_append_new(pg.set,
                              json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s}", "ActionType", type, "Amount",
                                        (json_int_t)amount, "Balance", (json_int_t)store_int(q, 4), "BillId",
                                        store_text(q, 0), "OperationInfo", store_text(q, 7), "OperationTime", t, "Cash",
                                        (json_int_t)rate_cents_floor(store_int(q, 8)), "Incentive", (json_int_t)0,
                                        "Freezing", (json_int_t)0, "PayChannel", store_text(q, 6), "DeductMode", mode));
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The ledger is unavailable.");
    }
    json_object_set_new(ctx->out, "TransactionList", pg.set);
    json_object_set_new(ctx->out, "Total", json_integer(pg.total));
    json_object_set_new(ctx->out, "RechargeAmount", json_real((double)sums[0]));
    json_object_set_new(ctx->out, "ReturnAmount", json_real((double)sums[1]));
    json_object_set_new(ctx->out, "DeductAmount", json_real((double)-sums[2]));
    static const char *const zeros[] = {"BlockAmount",    "UnblockAmount",  "AgentInAmount",    "AdvanceRechargeAmount",
                                        "WithdrawAmount", "AgentOutAmount", "AdvancePayAmount", NULL};
    for (int i = 0; zeros[i]; i++)
        json_object_set_new(ctx->out, zeros[i], json_real(0));
    return 0;
}

static const char *const product_names_zh[][2] = {{"cvm", "云服务器"}, {"cbs", "云硬盘"}, {NULL, NULL}};

static int describe_deals(struct api_ctx *ctx)
{
    int64_t from, to;
    if (time_range(ctx, &from, &to) != 0)
        return -1;
    json_t *statuses = json_object_get(ctx->params, "StatusSet");
    int64_t status = api_int(ctx, "Status", 0);
    const char *order = api_str(ctx, "OrderId", NULL), *big = api_str(ctx, "BigDealId", NULL);
    const char *res = api_str(ctx, "ResourceId", NULL);
    struct store_stmt *q = store_query(
        ctx->store,
        "SELECT order_id, big_deal_id, status, payer_uin, creator, create_time, real_total_cost, months,"
        " discount_ppm, unit_price, total_cost, product, sub_product, action, resource_id, zone, formula,"
        " ref_order, product_info FROM billing_deals WHERE owner_uin = ? AND create_time >= ? AND create_time <= ?"
        " ORDER BY create_time DESC, order_id DESC",
        "sii", ctx->who.owner_uin, from, to);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The orders are unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        int64_t st = store_int(q, 2);
        if (json_array_size(statuses)) {
            size_t i;
            json_t *v;
            int hit = 0;
            json_array_foreach (statuses, i, v)
                hit |= json_integer_value(v) == st;
            if (!hit)
                continue;
        } else if (status && status != st)
            continue;
        if ((order && strcmp(order, store_text(q, 0))) || (big && strcmp(big, store_text(q, 1))) ||
            (res && strcmp(res, store_text(q, 14))))
            continue;
        if (!page_take(&pg))
            continue;
        char t[32];
        time_cam(store_int(q, 5), t);
        const char *product = store_text(q, 11), *pname = product;
        for (int i = 0; product_names_zh[i][0]; i++)
            if (!strcmp(product_names_zh[i][0], product))
                pname = product_names_zh[i][1];
        json_t *info = json_loads(store_text(q, 18), 0, NULL);
        json_t *d = json_pack(
            "{s:s,s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:f,s:s,s:s,s:f,s:f,s:f,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
            "s:s,s:[s],s:s}",
            "OrderId", store_text(q, 0), "Status", (json_int_t)st, "Payer", store_text(q, 3), "CreateTime", t,
            "Creator", store_text(q, 4), "RealTotalCost", (json_int_t)rate_cents_floor(store_int(q, 6)),
            "VoucherDecline", (json_int_t)0, "ProjectId", (json_int_t)0, "GoodsCategoryId", (json_int_t)0,
            "ProductInfo", info ? info : json_array(), "TimeSpan", (double)store_int(q, 7), "TimeUnit", "m", "Currency",
            "CNY", "Policy", (double)store_int(q, 8) / 10000.0, "Price",
            (double)store_int(q, 9) / (double)BILLING_FINE_PER_CENT, "TotalCost",
            (double)store_int(q, 10) / (double)BILLING_FINE_PER_CENT, "ProductCode", price_business_code(product),
            "SubProductCode", store_text(q, 12), "BigDealId", store_text(q, 1), "Formula", store_text(q, 16),
            "RefReturnDeals", store_text(q, 17), "PayMode", "prePay", "Action", store_text(q, 13), "ProductName", pname,
            "SubProductName", pname, "ResourceId", store_text(q, 14), "ZoneCode", store_text(q, 15));
        json_array_append_new(pg.set, d);
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The orders are unavailable.");
    }
    json_object_set_new(ctx->out, "Deals", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

/* yun extension: what billing told the account (arrears, isolation, balance alerts, expiry). */
static int describe_notifications(struct api_ctx *ctx)
{
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT note_id, time, kind, message FROM billing_notes WHERE uin = ?"
                                       " ORDER BY time DESC, note_id DESC",
                                       "s", ctx->who.owner_uin);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The notifications are unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        if (!page_take(&pg))
            continue;
        char t[32];
        time_cam(store_int(q, 1), t);
        json_array_append_new(pg.set, json_pack("{s:s,s:s,s:s,s:s}", "NotificationId", store_text(q, 0), "Time", t,
                                                "Type", store_text(q, 2), "Message", store_text(q, 3)));
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The notifications are unavailable.");
    }
    page_finish(ctx, &pg, "NotificationSet");
    return 0;
}

/* yun extension, the operator's: credits another account's cash balance (the console's recharge). */
static int recharge_account(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op != 1)
        return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                        "Only the operator of this cloud may recharge accounts.");
    const char *uin = api_str(ctx, "Uin", "");
    int64_t balance;
    char bill_id[40], err[256] = "";
    if (billing_credit(ctx->store, uin, api_int(ctx, "Amount", 0), api_str(ctx, "PayChannel", "运营商充值"), &balance,
                       bill_id, err, sizeof err) != 0)
        return api_fail(ctx, strstr(err, "no root account") ? E_RESOURCE_NOT_FOUND : E_INTERNAL_ERROR, "%s", err);
    json_object_set_new(ctx->out, "Uin", json_string(uin));
    json_object_set_new(ctx->out, "Balance", json_integer(balance));
    json_object_set_new(ctx->out, "BillId", json_string(bill_id));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::billing::uin/%s:account/%s", ctx->who.owner_uin, uin);
    ctx->after_commit = billing_kick; /* an account in arrears may be whole again */
    return 0;
}

/* yun extension, the operator's: every account with its balance (cents) and arrears state. */
static int describe_operator_accounts(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op != 1)
        return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                        "Only the operator of this cloud may list its accounts.");
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT a.uin, a.name, a.created, a.operator, coalesce(b.cash, 0), coalesce(b.present, 0),"
                    " coalesce(b.freeze, 0), coalesce(b.overdue_state, 'NORMAL')"
                    " FROM accounts a LEFT JOIN billing_accounts b ON b.uin = a.uin ORDER BY a.created, a.uin",
                    "");
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The accounts are unavailable: %s", store_errmsg(ctx->store));
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 100));
    int rc;
    while ((rc = store_step(q)) == 1) {
        if (!page_take(&pg))
            continue;
        char t[32];
        time_iso8601(store_int(q, 2), t);
        int64_t real =
            rate_cents_floor(store_int(q, 4)) + rate_cents_floor(store_int(q, 5)) - rate_cents_floor(store_int(q, 6));
        json_array_append_new(pg.set, json_pack("{s:s,s:s,s:s,s:b,s:I,s:s}", "Uin", store_text(q, 0), "Name",
                                                store_text(q, 1), "CreatedTime", t, "IsOperator", store_int(q, 3) != 0,
                                                "Balance", (json_int_t)real, "OverdueState", store_text(q, 7)));
    }
    store_done(q);
    page_finish(ctx, &pg, "AccountSet");
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The accounts are unavailable.") : 0;
}

/* yun extension, the operator's: the price book, every effective-dated row (yun admin price list). */
static int describe_operator_prices(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op != 1)
        return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                        "Only the operator of this cloud may read the price book.");
    json_t *rows = billing_price_list(ctx->store);
    if (!rows)
        return api_fail(ctx, E_INTERNAL_ERROR, "The price book is unavailable.");
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(rows)));
    json_object_set_new(ctx->out, "PriceSet", rows);
    return 0;
}

/* yun extension, the operator's: one price set from now on (yun admin price set); past bills keep theirs. */
static int modify_operator_price(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op != 1)
        return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                        "Only the operator of this cloud may change prices.");
    json_t *row = json_object();
    static const char *const keys[] = {"Region", "Product", "Component", "Item", "PayMode", "Price", "Unit"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(ctx->params, keys[i]))
            json_object_set(row, keys[i], json_object_get(ctx->params, keys[i]));
    char err[512] = "";
    int rc = billing_price_put(ctx->store, row, billing_now(ctx->store), err, sizeof err);
    json_decref(row);
    if (rc != 0)
        return api_fail(ctx, strstr(err, "store") == err ? E_INTERNAL_ERROR : E_INVALID_PARAMETER_VALUE, "%s", err);
    static const char *const back[] = {"Product", "Component", "Price"};
    for (size_t i = 0; i < sizeof back / sizeof back[0]; i++)
        json_object_set_new(ctx->out, back[i], json_string(api_str(ctx, back[i], "")));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::billing::uin/%s:price/%s/%s", ctx->who.owner_uin,
             api_str(ctx, "Product", ""), api_str(ctx, "Component", ""));
    return 0;
}

static const struct param p_balance[] = {P_BOOL("TempCredit", 0), P_END};
static const struct param p_bill_list[] = {
    P_STR("StartTime", P_REQUIRED, 19, 19),
    P_STR("EndTime", P_REQUIRED, 19, 19),
    P_INT("Offset", P_REQUIRED, 0, INT32_MAX),
    P_INT("Limit", P_REQUIRED, 1, 100),
    {.name = "PayType", .type = PT_ARRAY, .elem = PT_STRING, .max = 20, .values = pay_types},
    {.name = "SubPayType", .type = PT_ARRAY, .elem = PT_STRING, .max = 20, .values = sub_pay_types},
    P_INT("WithZeroAmount", 0, 0, 1),
    P_END};
static const struct param p_deals[] = {P_STR("StartTime", P_REQUIRED, 19, 19),
                                       P_STR("EndTime", P_REQUIRED, 19, 19),
                                       P_INT("Limit", P_REQUIRED, 1, 1000),
                                       P_INT("Offset", 0, 0, INT32_MAX),
                                       P_INT("Status", 0, 1, 9),
                                       P_STR("OrderId", 0, 1, 64),
                                       P_STR("BigDealId", 0, 1, 64),
                                       P_STR("ResourceId", 0, 1, 64),
                                       P_INTS("StatusSet", 0, 9),
                                       P_END};
static const struct param p_recharge[] = {P_STR("Uin", P_REQUIRED, 1, 24),
                                          P_INT("Amount", P_REQUIRED, 1, 1000000000000), P_STR("PayChannel", 0, 1, 64),
                                          P_END};
static const struct param p_accounts[] = {P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100), P_END};
static const char *const price_modes[] = {"postPay", "prePay", NULL};
static const struct param p_prices[] = {P_END};
static const struct param p_price[] = {P_STR("Product", P_REQUIRED, 1, 32),
                                       P_STR("Component", P_REQUIRED, 1, 64),
                                       P_STR("Price", P_REQUIRED, 1, 32),
                                       P_STR("Item", 0, 1, 64),
                                       P_STR("Region", 0, 1, 32),
                                       P_ENUM("PayMode", 0, price_modes),
                                       P_STR("Unit", 0, 1, 31),
                                       P_END};
static const struct param p_notes[] = {P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100), P_END};

static const struct action actions[] = {
    {"billing", BILLING, "DescribeAccountBalance", describe_account_balance, p_balance, 0, NULL},
    {"billing", BILLING, "DescribeBillList", describe_bill_list, p_bill_list, 0, NULL},
    {"billing", BILLING, "DescribeDealsByCond", describe_deals, p_deals, 0, NULL},
    {"billing", BILLING, "DescribeNotifications", describe_notifications, p_notes, 0, NULL},
    {"billing", BILLING, "RechargeAccount", recharge_account, p_recharge, A_MUTATES, "account/${Uin}"},
    {"billing", BILLING, "DescribeOperatorAccounts", describe_operator_accounts, p_accounts, 0, "account/*"},
    {"billing", BILLING, "DescribeOperatorPrices", describe_operator_prices, p_prices, 0, "price/*"},
    {"billing", BILLING, "ModifyOperatorPrice", modify_operator_price, p_price, A_MUTATES, "price/${Product}"},
};

void billing_actions_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
