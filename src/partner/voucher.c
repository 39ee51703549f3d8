/*
 * voucher: the channel's side of vouchers (billing keeps them and pays bills with them,
 * src/billing/voucher.c). The operator issues platform-funded ones, to a partner or as a trial for
 * a named customer (yun admin voucher); a partner issues its own to a bound customer, paid from its
 * cash at issue (the partners extension IssueClientVoucher); a partner lists its customers'
 * vouchers with the intlpartnersmgt queries (QueryVoucherAmountByUin, QueryVoucherListByUin,
 * DescribeCustomerVoucherList), amounts as numbers of the currency.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"
#include "partner/partner_int.h"

#define DAY 86400

static const char *const voucher_products[] = {"cvm", "cbs", "vpc", "cos", "*", NULL};

int partner_voucher_admin(struct store *s, const char *uin, const char *kind, int64_t cents, const char *product,
                          int64_t days, const char *note, char id[24], char *err, size_t errlen)
{
    struct partner p;
    err[0] = 0;
    if (strcmp(kind, BILLING_VOUCHER_PLATFORM) && strcmp(kind, BILLING_VOUCHER_TRIAL)) {
        snprintf(err, errlen, "--kind is platform (for a partner) or trial (for a customer)");
        return -1;
    }
    int known = 0;
    for (int i = 0; product && voucher_products[i]; i++)
        known |= !strcmp(product, voucher_products[i]);
    if (product && !known) {
        snprintf(err, errlen, "--product is cvm, cbs, vpc, cos or * (any)");
        return -1;
    }
    if (cents <= 0 || days <= 0 || days > 3650) {
        snprintf(err, errlen, "--cents is a positive number of cents, --days 1 to 3650");
        return -1;
    }
    if (store_begin(s) != STORE_OK) {
        snprintf(err, errlen, "store busy: %s", store_errmsg(s));
        return -1;
    }
    int rc = identity_account_exists(s, uin) == STORE_FOUND ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "no root account has Uin %s", uin);
    int is_partner = pstore_partner_get(s, uin, &p) == STORE_FOUND;
    if (rc == 0 && !strcmp(kind, BILLING_VOUCHER_PLATFORM) && !is_partner) {
        snprintf(err, errlen, "a platform voucher is for a partner: %s is none (a customer's is a trial)", uin);
        rc = -1;
    }
    if (rc == 0 && !strcmp(kind, BILLING_VOUCHER_TRIAL) && (is_partner || identity_is_operator(s, uin) == 1)) {
        snprintf(err, errlen, "a trial voucher is for a customer, not a partner or the operator");
        rc = -1;
    }
    int64_t t = billing_now(s);
    char code[64];
    struct billing_voucher_spec v = {.owner_uin = uin,
                                     .issuer_uin = "operator",
                                     .kind = kind,
                                     .product = product ? product : "*",
                                     .note = note ? note : "",
                                     .amount = cents * BILLING_FINE_PER_CENT,
                                     .begin = t,
                                     .end = t + days * DAY};
    if (rc == 0 && billing_voucher_issue(s, &v, t, id, code, sizeof code, err, errlen) != 0)
        rc = -1;
    if (rc == 0 && store_commit(s) == STORE_OK)
        return 0;
    if (!err[0])
        snprintf(err, errlen, "store: %s", store_errmsg(s));
    store_rollback(s);
    return -1;
}

static int caller_partner(struct api_ctx *ctx, struct partner *p)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                    rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.", ctx->who.owner_uin);
}

static int bound_to(struct api_ctx *ctx, const struct partner *p, const char *uin)
{
    struct client c;
    int rc = pstore_client_get(ctx->store, uin, &c);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    if (rc != STORE_FOUND || strcmp(c.partner, p->uin) || strcmp(c.status, CLIENT_BOUND))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s is not found.", uin);
    return 0;
}

static json_t *cam_time(int64_t t)
{
    char b[32];
    time_cam(t, b);
    return json_string(b);
}

/* yun extension (partners): a partner-funded voucher for a bound customer, paid now from the
 * partner's cash (one ledger row), valid from now for ValidDays on the business clock. */
static int issue_client_voucher(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *uin = api_str(ctx, "ClientUin", "");
    if (bound_to(ctx, &p, uin) != 0)
        return -1;
    int64_t t = clock_now(), days = api_int(ctx, "ValidDays", 30);
    struct billing_voucher_spec v = {.owner_uin = uin,
                                     .issuer_uin = p.uin,
                                     .kind = BILLING_VOUCHER_PARTNER,
                                     .product = api_str(ctx, "Product", "*"),
                                     .note = api_str(ctx, "Note", ""),
                                     .amount = api_int(ctx, "Amount", 0) * BILLING_FINE_PER_CENT,
                                     .begin = t,
                                     .end = t + days * DAY};
    char id[24], code[64], msg[256];
    if (billing_voucher_issue(ctx->store, &v, t, id, code, sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    json_object_set_new(ctx->out, "VoucherId", json_string(id));
    json_object_set_new(ctx->out, "ClientUin", json_string(uin));
    json_object_set_new(ctx->out, "Amount", json_integer(api_int(ctx, "Amount", 0)));
    json_object_set_new(ctx->out, "Product", json_string(v.product));
    json_object_set_new(ctx->out, "BeginTime", cam_time(v.begin));
    json_object_set_new(ctx->out, "EndTime", cam_time(v.end));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, uin);
    return 0;
}

static json_t *amount(int64_t fine) { return json_real((double)fine / (double)BILLING_FINE_PER_YUAN); }

/* intl statuses */
static const char *intl_status(const struct billing_voucher *v, int64_t now, int list)
{
    const char *st = billing_voucher_status(v, now);
    if (!strcmp(st, BILLING_VOUCHER_USED))
        return "Used";
    if (!strcmp(st, BILLING_VOUCHER_EXPIRED))
        return "Expired";
    return list ? "Unused" : "Issued";
}

/* ClientUins, each the caller's bound customer (else ResourceNotFound), as strings. */
static int client_uins(struct api_ctx *ctx, const struct partner *p, char (*uins)[24], int *n)
{
    json_t *a = json_object_get(ctx->params, "ClientUins");
    *n = 0;
    if (!json_array_size(a))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "ClientUins names 1 to 20 customers.");
    size_t i;
    json_t *e;
    json_array_foreach (a, i, e) {
        snprintf(uins[*n], 24, "%lld", (long long)json_integer_value(e));
        if (bound_to(ctx, p, uins[*n]) != 0)
            return -1;
        (*n)++;
    }
    return 0;
}

/* One element of Data per customer named (QueryVoucherAmountByUin, QueryVoucherListByUin): elem
 * builds it from the customer's vouchers. */
static int per_client(struct api_ctx *ctx, const char *status,
                      json_t *(*elem)(const char *uin, const struct billing_voucher *v, int nv, const char *status,
                                      int64_t now))
{
    struct partner p;
    char uins[20][24];
    int n;
    if (caller_partner(ctx, &p) != 0 || client_uins(ctx, &p, uins, &n) != 0)
        return -1;
    json_t *data = json_array();
    int64_t now = clock_now();
    for (int i = 0; i < n; i++) {
        struct billing_voucher *v;
        int nv;
        if (billing_vouchers(ctx->store, uins[i], &v, &nv) != 0) {
            json_decref(data);
            return api_fail(ctx, E_INTERNAL_ERROR, "The vouchers are unavailable.");
        }
        json_array_append_new(data, elem(uins[i], v, nv, status, now));
        free(v);
    }
    json_object_set_new(ctx->out, "Data", data);
    return 0;
}

static json_t *amount_elem(const char *uin, const struct billing_voucher *v, int nv, const char *status, int64_t now)
{
    (void)status;
    int64_t total = 0, remain = 0;
    for (int j = 0; j < nv; j++) {
        total += v[j].amount;
        if (now < v[j].end)
            remain += v[j].balance;
    }
    return json_pack("{s:I,s:o,s:o}", "ClientUin", (json_int_t)strtoll(uin, NULL, 10), "TotalAmount", amount(total),
                     "RemainAmount", amount(remain));
}

static json_t *list_elem(const char *uin, const struct billing_voucher *v, int nv, const char *status, int64_t now)
{
    json_t *list = json_array();
    for (int j = 0; j < nv; j++) {
        const char *st = intl_status(&v[j], now, 1);
        if (status && strcmp(status, st))
            continue;
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:o,s:o}", "VoucherId", v[j].id, "VoucherStatus", st, "TotalAmount",
                                        amount(v[j].amount), "RemainAmount", amount(v[j].balance)));
    }
    return json_pack("{s:I,s:I,s:o}", "ClientUin", (json_int_t)strtoll(uin, NULL, 10), "TotalCount",
                     (json_int_t)json_array_size(list), "Data", list);
}

static int query_voucher_amount_by_uin(struct api_ctx *ctx) { return per_client(ctx, NULL, amount_elem); }

static int query_voucher_list_by_uin(struct api_ctx *ctx)
{
    return per_client(ctx, api_str(ctx, "Status", NULL), list_elem);
}

static int describe_customer_voucher_list(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *only = api_str(ctx, "CustomerUin", NULL), *status = api_str(ctx, "VoucherStatus", NULL);
    const char *usage = api_str(ctx, "Usage", NULL), *scope = api_str(ctx, "ProductScope", NULL);
    const char *mode = api_str(ctx, "PaymentMode", NULL), *vid = api_str(ctx, "VoucherId", NULL);
    struct client *cs;
    int n;
    if (pstore_clients(ctx->store, p.uin, CLIENT_BOUND, 0, &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    struct page pg;
    page_start(&pg, (api_int(ctx, "Page", 1) - 1) * api_int(ctx, "PageSize", 20), api_int(ctx, "PageSize", 20));
    int64_t now = clock_now();
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (only && strcmp(only, cs[i].client))
            continue;
        struct billing_voucher *v;
        int nv;
        if (billing_vouchers(ctx->store, cs[i].client, &v, &nv) != 0) {
            rc = -1;
            break;
        }
        for (int j = 0; j < nv; j++) {
            const char *st = intl_status(&v[j], now, 0);
            const char *use = !strcmp(v[j].kind, BILLING_VOUCHER_TRIAL) ? "ProductTrial" : "CustomerOffer";
            const char *sc = strcmp(v[j].product, "*") ? "SpecifyProducts" : "AllProducts";
            if ((status && strcmp(status, st)) || (usage && strcmp(usage, use)) || (scope && strcmp(scope, sc)) ||
                (mode && strcmp(mode, "AllPayment") && strcmp(mode, "Postpaid")) || (vid && strcmp(vid, v[j].id)))
                continue;
            if (!page_take(&pg))
                continue;
            json_array_append_new(pg.set, json_pack("{s:I,s:I,s:s,s:o,s:o,s:s,s:s,s:s,s:o,s:o,s:s}", "VoucherId",
                                                    (json_int_t)strtoll(v[j].id, NULL, 10), "CustomerUin",
                                                    (json_int_t)strtoll(cs[i].client, NULL, 10), "VoucherStatus", st,
                                                    "RemainingAmount", amount(v[j].balance), "TotalAmount",
                                                    amount(v[j].amount), "Usage", use, "PaymentMode", "Postpaid",
                                                    "ProductScope", sc, "EffectiveTime", cam_time(v[j].begin),
                                                    "ExpireTime", cam_time(v[j].end), "ApplyReason", v[j].note));
        }
        free(v);
    }
    free(cs);
    if (rc != 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The vouchers are unavailable.");
    }
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    json_object_set_new(ctx->out, "Data", pg.set);
    return 0;
}

/* The partner's pool: the platform vouchers the operator gave it (which pay its own spend) and how
 * many vouchers it issued to its customers. */
static int query_voucher_pool(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    struct billing_voucher *v;
    int n;
    int64_t issued, total = 0, remaining = 0, now = clock_now();
    if (billing_vouchers(ctx->store, p.uin, &v, &n) != 0 || billing_vouchers_issued(ctx->store, p.uin, &issued) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The vouchers are unavailable.");
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].kind, BILLING_VOUCHER_PLATFORM)) {
            total += v[i].amount;
            if (now < v[i].end)
                remaining += v[i].balance;
        }
    free(v);
    json_object_set_new(ctx->out, "AgentName", json_string(p.uin));
    json_object_set_new(ctx->out, "AccountType",
                        json_integer(!strcmp(p.kind, "reseller")      ? 1
                                     : !strcmp(p.kind, "distributor") ? 2
                                                                      : 3));
    json_object_set_new(ctx->out, "TotalQuota", amount(total));
    json_object_set_new(ctx->out, "RemainingQuota", amount(remaining));
    json_object_set_new(ctx->out, "IssuedNum", json_integer(issued));
    return 0;
}

static const struct param p_none[] = {P_END};
static const struct param p_issue[] = {P_STR("ClientUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                       P_INT("Amount", P_REQUIRED, 1, 100000000000),
                                       P_ENUM("Product", 0, voucher_products),
                                       P_INT("ValidDays", 0, 1, 3650),
                                       P_STR("Note", 0, 0, 128),
                                       P_END};
static const char *const list_statuses[] = {"Unused", "Used", "Expired", NULL};
static const char *const item_statuses[] = {"Issued", "Used", "Expired", "Invalidated", NULL};
static const char *const modes[] = {"AllPayment", "Prepaid", "Postpaid", NULL};
static const char *const usages[] = {"ProductTrial", "CustomerOffer", NULL};
static const char *const scopes[] = {"AllProducts", "SpecifyProducts", "SpecifyProductsBlacklist", NULL};
static const struct param p_amount[] = {P_INTS("ClientUins", P_REQUIRED, 20), P_END};
static const struct param p_list[] = {P_INTS("ClientUins", P_REQUIRED, 20), P_ENUM("Status", 0, list_statuses), P_END};
static const struct param p_customer_list[] = {P_INT("Page", P_REQUIRED, 1, INT32_MAX),
                                               P_INT("PageSize", P_REQUIRED, 1, 100),
                                               P_STR("CustomerUin", P_NUMSTR, 1, 24),
                                               P_ENUM("VoucherStatus", 0, item_statuses),
                                               P_ENUM("PaymentMode", 0, modes),
                                               P_ENUM("Usage", 0, usages),
                                               P_ENUM("ProductScope", 0, scopes),
                                               P_STR("VoucherId", P_NUMSTR, 1, 24),
                                               P_END};

static const struct action actions[] = {
    {"partners", PARTNERS, "IssueClientVoucher", issue_client_voucher, p_issue, A_MUTATES, "client/${ClientUin}"},
    {"intlpartnersmgt", INTLPARTNERSMGT, "QueryVoucherPool", query_voucher_pool, p_none, 0, NULL},
    {"intlpartnersmgt", INTLPARTNERSMGT, "QueryVoucherAmountByUin", query_voucher_amount_by_uin, p_amount, 0, NULL},
    {"intlpartnersmgt", INTLPARTNERSMGT, "QueryVoucherListByUin", query_voucher_list_by_uin, p_list, 0, NULL},
    {"intlpartnersmgt", INTLPARTNERSMGT, "DescribeCustomerVoucherList", describe_customer_voucher_list, p_customer_list,
     0, NULL},
};

void voucher_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
