/*
 * actions: the partners service (2018-03-21) as a partner calls it, with Tencent's shapes — the
 * pending applications and their audit, the bound customers, remarks, grade, balance, transfers,
 * the customers' bills and the rebates — and yun's extensions: a customer applies with the
 * partner's invitation code (ApplyClientBinding), a partner sets a customer's discount within its
 * own (SetClientDiscount). Every partner action answers UnauthorizedOperation to an account that
 * is not a partner, and ResourceNotFound for a customer that is not the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "partner/partner_int.h"

/* The caller as a partner, or UnauthorizedOperation. */
static int caller_partner(struct api_ctx *ctx, struct partner *p)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                    rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.", ctx->who.owner_uin);
}

/* ClientUin as the caller's customer (bound, or any status when any is set), or ResourceNotFound. */
static int own_client(struct api_ctx *ctx, const struct partner *p, int any, struct client *c)
{
    const char *uin = api_str(ctx, "ClientUin", "");
    int rc = pstore_client_get(ctx->store, uin, c);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    if (rc != STORE_FOUND || strcmp(c->partner, p->uin) || (!any && strcmp(c->status, CLIENT_BOUND)))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s is not found.", uin);
    return 0;
}

static json_t *uin_text(const char *uin) { return json_string(uin); }

static int descending(struct api_ctx *ctx)
{
    const char *d = api_str(ctx, "OrderDirection", "DESC");
    return strcasecmp(d, "ASC") != 0;
}

/* Spend in cents over [from, to) per customer (sums of the bill rows' real cost). */
struct sum {
    int64_t fine;
};
static int add_real(void *arg, const struct billing_spend_row *r)
{
    ((struct sum *)arg)->fine += r->real_cost;
    return 0;
}
static int spend_cents(struct store *s, const char *uin, int64_t from, int64_t to, int64_t *cents)
{
    struct sum sm = {0};
    if (from >= to) {
        *cents = 0;
        return 0;
    }
    if (billing_spend(s, uin, from, to, add_real, &sm) != 0)
        return -1;
    *cents = fine_to_cents(sm.fine);
    return 0;
}

static int describe_agent_clients(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    struct client *cs;
    int n;
    if (pstore_clients(ctx->store, p.uin, CLIENT_PENDING, descending(ctx), &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    const char *uin = api_str(ctx, "ClientUin", NULL), *flag = api_str(ctx, "ClientFlag", NULL);
    const char *sales = api_str(ctx, "SalesUin", NULL);
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    for (int i = 0; i < n; i++) {
        const struct client *c = &cs[i];
        if ((uin && strcmp(uin, c->client)) || (flag && strcmp(flag, c->flag)) || (sales && strcmp(sales, c->sales)))
            continue;
        if (!page_take(&pg))
            continue;
        int arrears = billing_overdue(ctx->store, c->client);
        char sname[128];
        json_array_append_new(pg.set,
                              json_pack("{s:o,s:o,s:I,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "Uin", uin_text(p.uin),
                                        "ClientUin", uin_text(c->client), "ApplyTime", (json_int_t)c->apply_time,
                                        "ClientFlag", c->flag, "Mail", "", "Phone", "", "HasOverdueBill",
                                        (json_int_t)(arrears == 1), "Status", (json_int_t)1, "SalesUin", c->sales,
                                        "SalesName", partner_sales_name(ctx->store, p.uin, c->sales, sname),
                                        "ClientName", c->client, "IncreaseGoal", "0"));
    }
    free(cs);
    json_object_set_new(ctx->out, "AgentClientSet", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

static int audit_apply_client(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, 1, &c) != 0)
        return -1;
    if (strcmp(c.status, CLIENT_PENDING))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s has no application pending.", c.client);
    const char *result = api_str(ctx, "AuditResult", ""), *note = api_str(ctx, "Note", "");
    int accept = !strcmp(result, "accept");
    const char *n = note;
    while (*n == ' ')
        n++;
    if (accept && !strcmp(c.flag, "b") && !*n)
        return api_fail(ctx, E_PARTNER_NOTE_REQUIRED, "Accepting a class b customer needs a reason in Note.");
    int64_t t = clock_now();
    if (pstore_client_audit(ctx->store, p.uin, c.client, accept ? CLIENT_BOUND : CLIENT_REJECTED, note, t) != 1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The audit could not be recorded.");
    json_object_set_new(ctx->out, "Uin", uin_text(p.uin));
    json_object_set_new(ctx->out, "ClientUin", uin_text(c.client));
    json_object_set_new(ctx->out, "AuditResult", json_string(accept ? "accept" : "reject"));
    json_object_set_new(ctx->out, "AgentTime", json_integer(accept ? t : 0));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

static int describe_agent_audited_clients(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    struct client *cs;
    int n;
    if (partner_tree_clients(ctx->store, &p, descending(ctx), &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    const char *uin = api_str(ctx, "ClientUin", NULL), *flag = api_str(ctx, "ClientFlag", NULL);
    const char *remark = api_str(ctx, "ClientRemark", NULL), *type = api_str(ctx, "ClientType", NULL);
    const char *project = api_str(ctx, "ProjectType", NULL), *sales = api_str(ctx, "SalesUin", NULL);
    json_t *uins = json_object_get(ctx->params, "ClientUins");
    int64_t overdue = api_int(ctx, "HasOverdueBill", -1);
    int64_t now = clock_now(), this_month = month_start(now), last_month = month_start(this_month - 1);
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    int failed = 0;
    for (int i = 0; i < n && !failed; i++) {
        const struct client *c = &cs[i];
        if ((uin && strcmp(uin, c->client)) || (flag && strcmp(flag, c->flag)) ||
            (remark && !strstr(c->remark, remark)) || (type && strcmp(type, c->type)) ||
            (project && strcmp(project, c->project)) || (sales && strcmp(sales, c->sales)) ||
            (json_array_size(uins) && !values_contain(uins, c->client)))
            continue;
        int arrears = billing_overdue(ctx->store, c->client);
        if (arrears < 0) {
            failed = 1;
            break;
        }
        if (overdue >= 0 && overdue != arrears)
            continue;
        if (!page_take(&pg))
            continue;
        /* spend while bound to this partner */
        int64_t last = 0, cur = 0, since = c->agent_time;
        if (spend_cents(ctx->store, c->client, since > last_month ? since : last_month, this_month, &last) != 0 ||
            spend_cents(ctx->store, c->client, since > this_month ? since : this_month, now + 1, &cur) != 0) {
            failed = 1;
            break;
        }
        char agent_time[24], sname[128];
        snprintf(agent_time, sizeof agent_time, "%lld", (long long)c->agent_time);
        json_array_append_new(pg.set,
                              json_pack("{s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "Uin",
                                        uin_text(c->partner), "ClientUin", uin_text(c->client), "AgentTime", agent_time,
                                        "ClientFlag", c->flag, "ClientRemark", c->remark, "ClientName", c->client,
                                        "AuthType", "-1", "AppId", "", "LastMonthAmt", (json_int_t)last, "ThisMonthAmt",
                                        (json_int_t)cur, "HasOverdueBill", (json_int_t)arrears, "ClientType", c->type,
                                        "ProjectType", c->project, "SalesUin", c->sales, "SalesName",
                                        partner_sales_name(ctx->store, c->partner, c->sales, sname), "Mail", "",
                                        "TransactionType", "2"));
    }
    free(cs);
    if (failed) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers' spend is unavailable.");
    }
    json_object_set_new(ctx->out, "AgentClientSet", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

static int modify_client_remark(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, 0, &c) != 0)
        return -1;
    if (pstore_client_remark(ctx->store, p.uin, c.client, api_str(ctx, "ClientRemark", "")) != 1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The remark could not be recorded.");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

static int describe_agent_client_grade(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    struct tier t;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, 1, &c) != 0)
        return -1;
    if (pstore_account_tier(ctx->store, c.client, &t) != STORE_FOUND)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customer's tier is unavailable.");
    json_object_set_new(ctx->out, "AuditStatus", json_integer(strcmp(c.status, CLIENT_PENDING) ? 1 : 0));
    json_object_set_new(ctx->out, "AuthState", json_integer(0));
    json_object_set_new(ctx->out, "ClientGrade", json_string(t.grade));
    json_object_set_new(ctx->out, "ClientType", json_integer(3));
    return 0;
}

static int describe_client_balance_new(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    int64_t cents;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, 0, &c) != 0)
        return -1;
    if (billing_balance_cents(ctx->store, c.client, &cents) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The balance is unavailable.");
    json_object_set_new(ctx->out, "Balance", json_integer(cents));
    json_object_set_new(ctx->out, "Cash", json_integer(cents > 0 ? cents : 0));
    return 0;
}

static int agent_transfer_money(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, 0, &c) != 0)
        return -1;
    char out_id[40], in_id[40], code[96], msg[256];
    if (billing_transfer(ctx->store, p.uin, c.client, api_int(ctx, "Amount", 0), clock_now(), out_id, in_id, code,
                         sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    ctx->after_commit = billing_kick; /* a customer in arrears may be whole again */
    return 0;
}

/* DescribeAgentBills: per customer, product, pay mode (and order) of the month, from the bills. */
struct bills_acc {
    struct api_ctx *ctx;
    const struct partner *p;
    const struct client *c;
    struct page *pg;
    const char *pay_mode, *order_id, *month;
};

static int add_bill(void *arg, const struct billing_spend_row *r)
{
    struct bills_acc *a = arg;
    const char *mode = !strcmp(r->pay_mode, "prePay") ? "prepay" : "postpay";
    if ((a->pay_mode && strcmp(a->pay_mode, mode)) || (a->order_id && strcmp(a->order_id, r->order_id)))
        return 0;
    if (!page_take(a->pg))
        return 0;
    char pay[32];
    time_cam(r->pay_time, pay);
    json_array_append_new(a->pg->set,
                          json_pack("{s:o,s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "Uin",
                                    uin_text(a->c->partner[0] ? a->c->partner : a->p->uin), "OrderId", r->order_id,
                                    "ClientUin", uin_text(a->c->client), "ClientRemark", a->c->remark, "PayTime", pay,
                                    "GoodsType", r->product, "PayMode", mode, "SettleMonth", a->month, "Amt",
                                    (json_int_t)fine_to_cents(r->real_cost), "PayerMode",
                                    strcmp(r->payer, a->c->client) ? "agentpay" : "selfpay", "ClientType", a->c->type,
                                    "ProjectType", a->c->project, "ActivityId", "0"));
    return 0;
}

static int describe_agent_bills(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *month = api_str(ctx, "SettleMonth", "");
    int64_t from;
    if (month_parse(month, &from) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "SettleMonth `%s` is not a month as yyyy-mm.", month);
    int64_t to = month_next(from);
    const char *pay_mode = api_str(ctx, "PayMode", NULL);
    if (pay_mode && strcmp(pay_mode, "prepay") && strcmp(pay_mode, "postpay"))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "PayMode is prepay or postpay.");
    struct client *cs;
    int n;
    if (partner_tree_clients(ctx->store, &p, 0, &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    const char *uin = api_str(ctx, "ClientUin", NULL), *remark = api_str(ctx, "ClientRemark", NULL);
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    struct bills_acc a = {ctx, &p, NULL, &pg, pay_mode, api_str(ctx, "OrderId", NULL), month};
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if ((uin && strcmp(uin, cs[i].client)) || (remark && !strstr(cs[i].remark, remark)))
            continue;
        a.c = &cs[i];
        int64_t since = cs[i].agent_time > from ? cs[i].agent_time : from;
        if (since < to)
            rc = billing_spend(ctx->store, cs[i].client, since, to, add_bill, &a);
    }
    free(cs);
    /* former customers: their bills of the window they were bound stay the partner's */
    struct unbind *ws = NULL;
    int nw = 0;
    if (rc == 0 && pstore_unbound_windows(ctx->store, p.uin, from, to, &ws, &nw) != 0)
        rc = -1;
    for (int i = 0; rc == 0 && i < nw; i++) {
        if (uin && strcmp(uin, ws[i].client))
            continue;
        struct client former = {0};
        snprintf(former.client, sizeof former.client, "%s", ws[i].client);
        snprintf(former.type, sizeof former.type, "new");
        snprintf(former.project, sizeof former.project, "self");
        if (remark && *remark)
            continue;
        a.c = &former;
        int64_t since = ws[i].agent_time > from ? ws[i].agent_time : from;
        int64_t until = ws[i].action_time < to ? ws[i].action_time : to;
        if (since < until)
            rc = billing_spend(ctx->store, ws[i].client, since, until, add_bill, &a);
    }
    free(ws);
    if (rc != 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The bills are unavailable.");
    }
    json_object_set_new(ctx->out, "AgentBillSet", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

/* yun extension DescribeAgentMargin: per customer and product of the month, from the bills of the
 * bound window (as DescribeAgentBills): list cost, what the customer pays, the partner's cost (list
 * cost at its own discount from the operator) and the margin, in cents. */
struct margin_row {
    char client[24], remark[256], product[16];
    int64_t cost, real_cost; /* fine units */
};
struct margin_acc {
    const struct client *c;
    struct margin_row *rows;
    int n, cap;
};

static int add_margin(void *arg, const struct billing_spend_row *r)
{
    struct margin_acc *a = arg;
    int i = 0;
    while (i < a->n && (strcmp(a->rows[i].client, a->c->client) || strcmp(a->rows[i].product, r->product)))
        i++;
    if (i == a->n) {
        if (a->n == a->cap) {
            int cap = a->cap ? a->cap * 2 : 16;
            struct margin_row *m = realloc(a->rows, (size_t)cap * sizeof *m);
            if (!m)
                return -1;
            a->rows = m;
            a->cap = cap;
        }
        struct margin_row *m = &a->rows[a->n++];
        memset(m, 0, sizeof *m);
        snprintf(m->client, sizeof m->client, "%s", a->c->client);
        snprintf(m->remark, sizeof m->remark, "%s", a->c->remark);
        snprintf(m->product, sizeof m->product, "%s", r->product);
    }
    a->rows[i].cost += r->cost;
    a->rows[i].real_cost += r->real_cost;
    return 0;
}

static int describe_agent_margin(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *month = api_str(ctx, "SettleMonth", "");
    int64_t from;
    if (month_parse(month, &from) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "SettleMonth `%s` is not a month as yyyy-mm.", month);
    int64_t to = month_next(from);
    struct client *cs;
    int n;
    if (pstore_clients(ctx->store, p.uin, CLIENT_BOUND, 0, &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    struct margin_acc a = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        a.c = &cs[i];
        int64_t since = cs[i].agent_time > from ? cs[i].agent_time : from;
        if (since < to)
            rc = billing_spend(ctx->store, cs[i].client, since, to, add_margin, &a);
    }
    free(cs);
    struct unbind *ws = NULL;
    int nw = 0;
    if (rc == 0 && pstore_unbound_windows(ctx->store, p.uin, from, to, &ws, &nw) != 0)
        rc = -1;
    for (int i = 0; rc == 0 && i < nw; i++) {
        struct client former = {0};
        snprintf(former.client, sizeof former.client, "%s", ws[i].client);
        a.c = &former;
        int64_t since = ws[i].agent_time > from ? ws[i].agent_time : from;
        int64_t until = ws[i].action_time < to ? ws[i].action_time : to;
        if (since < until)
            rc = billing_spend(ctx->store, ws[i].client, since, until, add_margin, &a);
    }
    free(ws);
    json_t *set = json_array();
    int64_t t_cost = 0, t_real = 0, t_partner = 0;
    for (int i = 0; rc == 0 && i < a.n; i++) {
        struct margin_row *m = &a.rows[i];
        int64_t own = pstore_own_discount(ctx->store, p.uin, m->product);
        if (own < 0) {
            rc = -1;
            break;
        }
        int64_t cost = fine_to_cents(m->cost), real = fine_to_cents(m->real_cost);
        int64_t partner = fine_to_cents(m->cost / BILLING_PPM * own + m->cost % BILLING_PPM * own / BILLING_PPM);
        t_cost += cost;
        t_real += real;
        t_partner += partner;
        json_array_append_new(set, json_pack("{s:o,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "ClientUin", uin_text(m->client),
                                             "ClientRemark", m->remark, "GoodsType", m->product, "ListCost",
                                             (json_int_t)cost, "RealCost", (json_int_t)real, "PartnerDiscount",
                                             (json_int_t)own, "PartnerCost", (json_int_t)partner, "Margin",
                                             (json_int_t)(real - partner)));
    }
    free(a.rows);
    if (rc != 0) {
        json_decref(set);
        return api_fail(ctx, E_INTERNAL_ERROR, "The bills are unavailable.");
    }
    json_object_set_new(ctx->out, "MarginSet", set);
    json_object_set_new(ctx->out, "SettleMonth", json_string(month));
    json_object_set_new(ctx->out, "TotalListCost", json_integer(t_cost));
    json_object_set_new(ctx->out, "TotalRealCost", json_integer(t_real));
    json_object_set_new(ctx->out, "TotalPartnerCost", json_integer(t_partner));
    json_object_set_new(ctx->out, "TotalMargin", json_integer(t_real - t_partner));
    return 0;
}

static int describe_rebate_infos_new(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *month = api_str(ctx, "RebateMonth", NULL);
    int64_t start;
    if (month && month_parse(month, &start) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "RebateMonth `%s` is not a month as yyyy-mm.", month);
    struct rebate_view *v;
    int n;
    if (pstore_rebates(ctx->store, p.uin, month, &v, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The rebates are unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    for (int i = 0; i < n; i++)
        if (page_take(&pg)) /* PolicyClass is yun's: which class of the policy the row is */
            json_array_append_new(pg.set, json_pack("{s:o,s:s,s:I,s:I,s:I,s:s,s:s}", "Uin", uin_text(p.uin),
                                                    "RebateMonth", v[i].month, "Amt", (json_int_t)v[i].amt,
                                                    "MonthSales", (json_int_t)v[i].month_sales, "QuarterSales",
                                                    (json_int_t)v[i].quarter_sales, "ExceptionFlag", v[i].flag,
                                                    "PolicyClass", v[i].cls));
    free(v);
    json_object_set_new(ctx->out, "RebateInfoSet", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

/* yun extension, the customer's: applies to the partner whose invitation code it was given. */
static int apply_client_binding(struct api_ctx *ctx)
{
    struct partner p;
    const char *code_in = api_str(ctx, "InvitationCode", "");
    int rc = pstore_partner_by_code(ctx->store, code_in, &p);
    if (rc != STORE_FOUND)
        return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_BAD_CODE, "The invitation code is not known.");
    const char *code;
    char err[256];
    int64_t t = clock_now();
    if (partner_apply(ctx->store, p.uin, ctx->who.owner_uin, NULL, t, &code, err, sizeof err) != 0)
        return api_fail(ctx, code, "%s", err);
    struct client c;
    if (pstore_client_get(ctx->store, ctx->who.owner_uin, &c) != STORE_FOUND)
        return api_fail(ctx, E_INTERNAL_ERROR, "The application could not be read back.");
    json_object_set_new(ctx->out, "Uin", uin_text(p.uin));
    json_object_set_new(ctx->out, "ClientUin", uin_text(c.client));
    json_object_set_new(ctx->out, "ClientFlag", json_string(c.flag));
    json_object_set_new(ctx->out, "ApplyTime", json_integer(c.apply_time));
    json_object_set_new(ctx->out, "Status", json_integer(1));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:partner/%s", ctx->who.owner_uin, p.uin);
    return 0;
}

static const char *const discount_products[] = {"cvm", "cbs", "vpc", "cos", "*", NULL};

/* yun extension, the partner's: a bound customer's discount on a product from a date, never below
 * the partner's own from the operator; second-level resellers set none. Bills apply it. */
static int set_client_discount(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    if (!strcmp(p.kind, "second-level"))
        return api_fail(ctx, E_PARTNER_SECOND_LEVEL, "A second-level reseller cannot set customer discounts.");
    if (own_client(ctx, &p, 0, &c) != 0)
        return -1;
    const char *product = api_str(ctx, "Product", ""), *rate = api_str(ctx, "Discount", "");
    int64_t ppm, now = clock_now(), from = now;
    if (rate_parse_ratio(rate, &ppm) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Discount `%s` is a multiplier in (0, 1], e.g. 0.8.", rate);
    const char *eff = api_str(ctx, "EffectiveTime", NULL);
    if (eff && (strlen(eff) != 19 || time_parse_iso8601(eff, &from) != 0))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "EffectiveTime is yyyy-mm-dd hh:mm:ss.");
    if (from < now - 60)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "EffectiveTime is in the past: bills made keep theirs.");
    int64_t own = pstore_own_discount(ctx->store, p.uin, product);
    if (own < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The partner's discount is unavailable.");
    if (ppm < own) {
        char o[32];
        snprintf(o, sizeof o, "%lld.%06lld", (long long)(own / BILLING_PPM), (long long)(own % BILLING_PPM));
        return api_fail(ctx, E_PARTNER_BELOW_OWN, "Discount %s is below the partner's own discount on %s (%s).", rate,
                        product, o);
    }
    char err[256];
    if (billing_set_discount_source(ctx->store, c.client, product, ppm, from, "partner", err, sizeof err) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "%s", err);
    char t[32];
    time_cam(from, t);
    json_object_set_new(ctx->out, "ClientUin", uin_text(c.client));
    json_object_set_new(ctx->out, "Product", json_string(product));
    json_object_set_new(ctx->out, "Discount", json_string(rate));
    json_object_set_new(ctx->out, "EffectiveTime", json_string(t));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

static const char *const audit_results[] = {"accept", "reject", NULL};
static const char *const directions[] = {"ASC", "DESC", "asc", "desc", NULL};
static const char *const flags[] = {"a", "b", "c", NULL};
static const char *const pay_modes[] = {"prepay", "postpay", NULL};

static const struct param p_clients[] = {P_STR("ClientUin", 0, 1, 24),
                                         P_STR("ClientName", 0, 0, 128),
                                         P_ENUM("ClientFlag", 0, flags),
                                         P_ENUM("OrderDirection", 0, directions),
                                         P_INT("Offset", 0, 0, INT32_MAX),
                                         P_INT("Limit", 0, 1, 2000),
                                         P_STR("SalesUin", 0, 1, 24),
                                         P_STR("SalesName", 0, 0, 128),
                                         P_END};
static const struct param p_audit[] = {P_STR("ClientUin", P_REQUIRED, 1, 24),
                                       P_ENUM("AuditResult", P_REQUIRED, audit_results),
                                       P_STR("Note", P_REQUIRED, 0, 256), P_END};
static const struct param p_audited[] = {P_STR("ClientUin", 0, 1, 24),     P_STR("ClientName", 0, 0, 128),
                                         P_ENUM("ClientFlag", 0, flags),   P_ENUM("OrderDirection", 0, directions),
                                         P_STRS("ClientUins", 0, 100, 24), P_INT("HasOverdueBill", 0, 0, 1),
                                         P_STR("ClientRemark", 0, 0, 256), P_INT("Offset", 0, 0, INT32_MAX),
                                         P_INT("Limit", 0, 1, 2000),       P_STR("ClientType", 0, 0, 32),
                                         P_STR("ProjectType", 0, 0, 32),   P_STR("SalesUin", 0, 1, 24),
                                         P_STR("SalesName", 0, 0, 128),    P_END};
static const struct param p_remark[] = {P_STR("ClientRemark", P_REQUIRED, 0, 256),
                                        P_STR("ClientUin", P_REQUIRED, 1, 24), P_END};
static const struct param p_client[] = {P_STR("ClientUin", P_REQUIRED, 1, 24), P_END};
static const struct param p_transfer[] = {P_STR("ClientUin", P_REQUIRED, 1, 24),
                                          P_INT("Amount", P_REQUIRED, 1, 1000000000000), P_END};
static const struct param p_bills[] = {P_STR("SettleMonth", P_REQUIRED, 1, 16),
                                       P_STR("ClientUin", 0, 1, 24),
                                       P_ENUM("PayMode", 0, pay_modes),
                                       P_STR("OrderId", 0, 1, 64),
                                       P_STR("ClientRemark", 0, 0, 256),
                                       P_INT("Offset", 0, 0, INT32_MAX),
                                       P_INT("Limit", 0, 1, 1000),
                                       P_END};
static const struct param p_rebates[] = {P_STR("RebateMonth", 0, 1, 16), P_INT("Offset", 0, 0, INT32_MAX),
                                         P_INT("Limit", 0, 1, 1000), P_END};
static const struct param p_margin[] = {P_STR("SettleMonth", P_REQUIRED, 1, 16), P_END};
static const struct param p_apply[] = {P_STR("InvitationCode", P_REQUIRED, 1, 64), P_END};
static const struct param p_discount[] = {
    P_STR("ClientUin", P_REQUIRED, 1, 24), P_ENUM("Product", P_REQUIRED, discount_products),
    P_STR("Discount", P_REQUIRED, 1, 16), P_STR("EffectiveTime", 0, 19, 19), P_END};

static const struct action actions[] = {
    {"partners", PARTNERS, "DescribeAgentClients", describe_agent_clients, p_clients, 0, NULL},
    {"partners", PARTNERS, "AuditApplyClient", audit_apply_client, p_audit, A_MUTATES, "client/${ClientUin}"},
    {"partners", PARTNERS, "DescribeAgentAuditedClients", describe_agent_audited_clients, p_audited, 0, NULL},
    {"partners", PARTNERS, "ModifyClientRemark", modify_client_remark, p_remark, A_MUTATES, "client/${ClientUin}"},
    {"partners", PARTNERS, "DescribeAgentClientGrade", describe_agent_client_grade, p_client, 0, "client/${ClientUin}"},
    {"partners", PARTNERS, "DescribeClientBalanceNew", describe_client_balance_new, p_client, 0, "client/${ClientUin}"},
    {"partners", PARTNERS, "AgentTransferMoney", agent_transfer_money, p_transfer, A_MUTATES, "client/${ClientUin}"},
    {"partners", PARTNERS, "DescribeAgentBills", describe_agent_bills, p_bills, 0, NULL},
    {"partners", PARTNERS, "DescribeAgentMargin", describe_agent_margin, p_margin, 0, NULL},
    {"partners", PARTNERS, "DescribeRebateInfosNew", describe_rebate_infos_new, p_rebates, 0, NULL},
    {"partners", PARTNERS, "ApplyClientBinding", apply_client_binding, p_apply, A_MUTATES, NULL},
    {"partners", PARTNERS, "SetClientDiscount", set_client_discount, p_discount, A_MUTATES, "client/${ClientUin}"},
};

void partner_actions_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }

void partner_register(void)
{
    partner_actions_register();
    intl_register();
    voucher_register();
    partner_forceqn_register();
    partner_unbind_register();
    partner_sales_register();
    partner_operator_register();
    partner_pay_register();
    partner_credit_register();
    billing_register_job(partner_month_end);
}
