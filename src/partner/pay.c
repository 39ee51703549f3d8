/*
 * pay: pay-on-behalf (强代付) and the partner's views of its customers' prepaid deals.
 * CreatePayRelationForClient makes the partner the payer of everything a bound customer spends
 * from then on — billing asks this file's hook who pays (billing_register_payer) at each hourly
 * settlement, order, renewal and refund, debits the partner and writes a row of 0 on the
 * customer's ledger naming it, in the same transaction; bills and deals record the partner as
 * payer (DescribeAgentBills PayerMode agentpay). RemovePayRelationForClient, or an unbinding, ends
 * it. The deal views read billing's deals of the partner's bound customers, unpaid ones included
 * (a renewal left unpaid when a customer's prepaid resource expired), which AgentPayDeals pays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "partner/partner_int.h"

#define E_PARTNER_NO_RELATION "FailedOperation.NoPayRelation"

static int caller_partner(struct api_ctx *ctx, struct partner *p)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                    rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.", ctx->who.owner_uin);
}

/* uin as the caller's bound customer, or ResourceNotFound. */
static int bound_client(struct api_ctx *ctx, const struct partner *p, const char *uin, struct client *c)
{
    int rc = pstore_client_get(ctx->store, uin, c);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    if (rc != STORE_FOUND || strcmp(c->partner, p->uin) || strcmp(c->status, CLIENT_BOUND))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s is not found.", uin);
    return 0;
}

/* billing's question: who pays for owner? */
static int payer_of(struct store *s, const char *owner, char payer[24])
{
    int rc = pstore_pay_relation_get(s, owner, payer);
    return rc < 0 ? -1 : rc == STORE_FOUND;
}

/* billing's question for unpaid deals: whose bound customer is owner? */
static int agent_of(struct store *s, const char *owner, char partner[24])
{
    struct client c;
    int rc = pstore_client_get(s, owner, &c);
    if (rc < 0)
        return -1;
    if (rc != STORE_FOUND || strcmp(c.status, CLIENT_BOUND))
        return 0;
    snprintf(partner, 24, "%s", c.partner);
    return 1;
}

static int create_pay_relation(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || bound_client(ctx, &p, api_str(ctx, "ClientUin", ""), &c) != 0)
        return -1;
    if (pstore_pay_relation_put(ctx->store, p.uin, c.client, clock_now()) < 0) /* 0: it pays already */
        return api_fail(ctx, E_INTERNAL_ERROR, "The relation could not be recorded.");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

static int remove_pay_relation(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || bound_client(ctx, &p, api_str(ctx, "ClientUin", ""), &c) != 0)
        return -1;
    int rc = pstore_pay_relation_delete(ctx->store, p.uin, c.client);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The relation could not be removed.");
    if (rc == 0)
        return api_fail(ctx, E_PARTNER_NO_RELATION, "The partner does not pay on behalf of %s.", c.client);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

/* The deal views: filters, then one element per deal. */
struct deals_q {
    struct api_ctx *ctx;
    const struct partner *p;
    const struct client *c;
    struct page *pg;
    int payer_mode; /* -1 any, 0 self, 1 the partner */
    int64_t status;
    json_t *names, *bigs;
    json_t *rows; /* collected first, then ordered and paged */
};

static int in_list(json_t *a, const char *v)
{
    if (!json_array_size(a))
        return 1;
    size_t i;
    json_t *x;
    json_array_foreach (a, i, x)
        if (json_is_string(x) && !strcmp(json_string_value(x), v))
            return 1;
    return 0;
}

static const char *status_text(int st)
{
    return st == 4 ? "已发货" : st == 6 ? "已退款" : st == 1 ? "未支付" : st == 2 ? "已支付" : "处理中";
}

static json_t *deal_elem(const struct client *c, const struct billing_deal_row *r)
{
    char created[32], st[8], num[24];
    time_cam(r->create_time, created);
    snprintf(st, sizeof st, "%d", r->status);
    snprintf(num, sizeof num, "%lld", (long long)(r->months > 0 ? r->months : 1));
    int agent = strcmp(r->payer, r->owner) != 0;
    json_t *rids = json_array();
    if (r->resource_id[0])
        json_array_append_new(rids, json_string(r->resource_id));
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:I,s:I},s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
        "s:s,s:s,s:s,s:s,s:s,s:[],s:s,s:s,s:o,s:s}",
        "DealId", r->order_id, "DealName", r->order_id, "GoodsCategoryId", r->product, "OwnerUin", r->owner, "AppId",
        "", "GoodsNum", num, "GoodsPrice", "RealTotalCost", (json_int_t)fine_to_cents(r->real_total_cost),
        "OriginalTotalCost", (json_int_t)fine_to_cents(r->total_cost), "Creater", r->creator, "CreatTime", created,
        "PayEndTime", created, "BillId", r->bill_id, "Payer", r->payer, "DealStatus", status_text(r->status), "Status",
        st, "GoodsName", r->product, "ClientRemark", c->remark, "ActionType", r->action, "VoucherDecline", "0",
        "BigDealId", r->big_deal_id, "ClientType", c->type, "ProjectType", c->project, "SalesUin", c->sales,
        "PayerMode", agent ? "1" : "0", "ActivityId", "0", "OverdueTime", "", "ProductInfo", "PaymentMethod",
        agent ? "agentpay" : "selfpay", "UpdateTime", created, "ResourceIds", rids, "SubGoodsName", r->product);
}

static int add_deal(void *arg, const struct billing_deal_row *r)
{
    struct deals_q *q = arg;
    int agent = strcmp(r->payer, r->owner) != 0; /* a partner pays (or is to pay) it */
    if (q->payer_mode == 0 && agent)
        return 0;
    if (q->payer_mode == 1 && !agent)
        return 0;
    if ((q->status > 0 && q->status != r->status) || !in_list(q->names, r->order_id) ||
        !in_list(q->bigs, r->big_deal_id))
        return 0;
    json_t *e = deal_elem(q->c, r);
    if (!e)
        return -1;
    json_object_set_new(e, "_t", json_integer(r->create_time));
    json_array_append_new(q->rows, e);
    return 0;
}

static int by_time_asc(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "_t"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "_t"));
    return x < y ? -1 : x > y;
}

/* Lists deals of the partner's bound customers (all, or OwnerUin's) in the request's time range
 * (default: the last `days` days); set_name names the answer's array. */
static int deals(struct api_ctx *ctx, const char *owner, int payer_mode, int days, const char *set_name)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    struct client one;
    if (owner && bound_client(ctx, &p, owner, &one) != 0)
        return -1;
    int64_t now = clock_now(), from = now - (int64_t)days * 86400, to = now + 1;
    const char *a = api_str(ctx, "CreatTimeRangeStart", NULL), *b = api_str(ctx, "CreatTimeRangeEnd", NULL);
    if ((a && time_parse_iso8601(a, &from) != 0) || (b && time_parse_iso8601(b, &to) != 0))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "CreatTimeRangeStart/End are yyyy-mm-dd hh:mm:ss.");
    if (b)
        to += 1; /* the end is included */
    struct client *cs = NULL;
    int n = 0;
    if (owner) {
        cs = malloc(sizeof *cs);
        if (!cs)
            return api_fail(ctx, E_INTERNAL_ERROR, "Out of memory.");
        cs[0] = one;
        n = 1;
    } else if (partner_tree_clients(ctx->store, &p, 0, &cs, &n) != 0) /* a distributor's: read only */
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    json_t *owners = json_object_get(ctx->params, "OwnerUins");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    struct deals_q q = {ctx,
                        &p,
                        NULL,
                        &pg,
                        payer_mode,
                        api_int(ctx, "Status", 0),
                        json_object_get(ctx->params, "DealNames"),
                        json_object_get(ctx->params, "BigDealIds"),
                        json_array()};
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (!in_list(owners, cs[i].client))
            continue;
        q.c = &cs[i];
        int64_t since = cs[i].agent_time > from ? cs[i].agent_time : from; /* since it was the partner's */
        if (since < to)
            rc = billing_deals(ctx->store, cs[i].client, since, to, add_deal, &q);
    }
    free(cs);
    if (rc != 0) {
        json_decref(q.rows);
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The deals are unavailable.");
    }
    size_t m = json_array_size(q.rows);
    json_t **v = malloc((m ? m : 1) * sizeof *v);
    for (size_t i = 0; v && i < m; i++)
        v[i] = json_array_get(q.rows, i);
    if (v)
        qsort(v, m, sizeof *v, by_time_asc);
    int desc = api_int(ctx, "Order", 0) == 0; /* 0: newest first */
    for (size_t i = 0; v && i < m; i++) {
        json_t *e = v[desc ? m - 1 - i : i];
        if (!page_take(&pg))
            continue;
        json_object_del(e, "_t");
        json_array_append(pg.set, e);
    }
    free(v);
    json_decref(q.rows);
    json_object_set_new(ctx->out, set_name, pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

static int describe_agent_pay_deals(struct api_ctx *ctx) { return deals(ctx, NULL, 1, 15, "AgentPayDealSet"); }

static int describe_agent_self_pay_deals(struct api_ctx *ctx)
{
    return deals(ctx, api_str(ctx, "OwnerUin", ""), 0, 15, "AgentPayDealSet");
}

static int describe_agent_deals_by_cache(struct api_ctx *ctx)
{
    int64_t mode = api_int(ctx, "PayerMode", -1);
    return deals(ctx, NULL, (int)mode, 90, "AgentDealSet");
}

/* DescribeAgentDealsPriceDetailByDealName and AgentPayDeals look deals up by name. */
struct find_q {
    json_t *names, *out;
};

static int add_price(void *arg, const struct billing_deal_row *r)
{
    struct find_q *q = arg;
    if (!in_list(q->names, r->order_id))
        return 0;
    char name[64];
    snprintf(name, sizeof name, "%s", r->product);
    json_array_append_new(q->out, json_pack("{s:s,s:s,s:[{s:s,s:f,s:I,s:I}]}", "DealName", r->order_id, "OwnerUin",
                                            r->owner, "SubProductPriceDetail", "Name", name, "DiscountValue",
                                            (double)r->discount_ppm / 10000.0, "TotalCost",
                                            (json_int_t)fine_to_cents(r->total_cost), "RealTotalCost",
                                            (json_int_t)fine_to_cents(r->real_total_cost)));
    return 0;
}

static int describe_deals_price_detail(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    int64_t year = api_int(ctx, "DealCreatYear", 0), from, to;
    char m[16];
    snprintf(m, sizeof m, "%04d-01", (int)year);
    if (month_parse(m, &from) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "DealCreatYear is a year.");
    snprintf(m, sizeof m, "%04d-01", (int)year + 1);
    if (month_parse(m, &to) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "DealCreatYear is a year.");
    const char *owner = api_str(ctx, "OwnerUin", NULL);
    struct client *cs;
    int n;
    if (partner_tree_clients(ctx->store, &p, 0, &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    struct find_q q = {json_object_get(ctx->params, "DealNames"), json_array()};
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (owner && strcmp(owner, cs[i].client))
            continue;
        int64_t since = cs[i].agent_time > from ? cs[i].agent_time : from;
        if (since < to)
            rc = billing_deals(ctx->store, cs[i].client, since, to, add_price, &q);
    }
    free(cs);
    if (rc != 0) {
        json_decref(q.out);
        return api_fail(ctx, E_INTERNAL_ERROR, "The deals are unavailable.");
    }
    json_object_set_new(ctx->out, "DealList", q.out);
    return 0;
}

/* AgentPayDeals: pays the owner's unpaid deals named (AgentPay 1: the partner pays; 0: the
 * customer from its own balance), all or none, in the action's transaction. */
static int agent_pay_deals(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || bound_client(ctx, &p, api_str(ctx, "OwnerUin", ""), &c) != 0)
        return -1;
    json_t *names = json_object_get(ctx->params, "DealNames");
    const char *payer = api_int(ctx, "AgentPay", 1) ? p.uin : c.client;
    int64_t t = clock_now();
    size_t i;
    json_t *e;
    json_array_foreach (names, i, e) {
        char code[64], msg[256], name[64];
        snprintf(name, sizeof name, "%s", json_string_value(e)); /* Tencent's example ends names with "\n" */
        name[strcspn(name, "\r\n ")] = 0;
        void (*wake)(void) = NULL;
        if (billing_pay_deal(ctx->store, c.client, name, payer, ctx->who.user_uin, t, &wake, code, sizeof code, msg,
                             sizeof msg) != 0)
            return api_fail(ctx, code, "%s: %s", name, msg);
        if (wake)
            ctx->after_commit = wake;
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

static const struct param p_client[] = {P_STR("ClientUin", P_REQUIRED, 1, 24), P_END};
#define P_DEAL_FILTERS                                                                                                 \
    P_INT("Offset", P_REQUIRED, 0, INT32_MAX), P_STR("CreatTimeRangeStart", 0, 19, 19),                                \
        P_STR("CreatTimeRangeEnd", 0, 19, 19), P_INT("Order", 0, 0, INT32_MAX), P_INT("Status", 0, 0, 100),            \
        P_STRS("DealNames", 0, 100, 64), P_STRS("BigDealIds", 0, 100, 64)
static const struct param p_pay_deals[] = {P_DEAL_FILTERS, P_INT("Limit", P_REQUIRED, 1, 100),
                                           P_STRS("OwnerUins", 0, 100, 24), P_END};
static const struct param p_self_deals[] = {P_DEAL_FILTERS, P_INT("Limit", P_REQUIRED, 1, 100),
                                            P_STR("OwnerUin", P_REQUIRED, 1, 24), P_END};
static const struct param p_cache_deals[] = {P_DEAL_FILTERS, P_INT("Limit", P_REQUIRED, 1, 200),
                                             P_STRS("OwnerUins", 0, 100, 24), P_INT("PayerMode", 0, 0, 1), P_END};
static const struct param p_price[] = {P_INT("DealCreatYear", P_REQUIRED, 1970, 9998),
                                       P_STRS("DealNames", P_REQUIRED, 100, 64), P_STR("OwnerUin", 0, 1, 24), P_END};
static const struct param p_agent_pay[] = {P_STR("OwnerUin", P_REQUIRED, 1, 24), P_INT("AgentPay", P_REQUIRED, 0, 1),
                                           P_STRS("DealNames", P_REQUIRED, 100, 64), P_END};

static const struct action actions[] = {
    {"partners", PARTNERS, "CreatePayRelationForClient", create_pay_relation, p_client, A_MUTATES,
     "client/${ClientUin}"},
    {"partners", PARTNERS, "RemovePayRelationForClient", remove_pay_relation, p_client, A_MUTATES,
     "client/${ClientUin}"},
    {"partners", PARTNERS, "DescribeAgentPayDealsV2", describe_agent_pay_deals, p_pay_deals, 0, NULL},
    {"partners", PARTNERS, "DescribeAgentSelfPayDealsV2", describe_agent_self_pay_deals, p_self_deals, 0,
     "client/${OwnerUin}"},
    {"partners", PARTNERS, "DescribeAgentDealsByCache", describe_agent_deals_by_cache, p_cache_deals, 0, NULL},
    {"partners", PARTNERS, "DescribeAgentDealsPriceDetailByDealName", describe_deals_price_detail, p_price, 0, NULL},
    {"partners", PARTNERS, "AgentPayDeals", agent_pay_deals, p_agent_pay, A_MUTATES, "client/${OwnerUin}"},
};

void partner_pay_register(void)
{
    api_register(actions, sizeof actions / sizeof actions[0]);
    billing_register_payer(payer_of);
    billing_register_agent(agent_of);
}
