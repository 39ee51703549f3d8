/*
 * intl: the international channel (service intlpartnersmgt, 2022-09-28) as a partner calls it,
 * with Tencent's shapes: CreateAccount (a customer account made already bound to the partner),
 * invitations by mail (recorded in the outbox: yun sends no mail), the pending applications and
 * their approval, and credit: what the operator granted the partner, what it allocates to its
 * customers (AllocateCustomerCredit, float deltas converted exactly to fine units) and what a
 * distributor gives its second-level resellers (AllocateCreditPool), with the history of every
 * allocation. Credit is a limit, not money: no ledger row moves; billing's balances say what is used.
 * A partner sees only its own customers: any other UIN is ResourceNotFound.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity/identity.h"
#include "identity/sealed.h"
#include "partner/partner_int.h"

#define FINE BILLING_FINE_PER_YUAN

/* An amount given as a JSON number (the SDK's float) to fine units, exactly: the number's shortest
 * decimal form (the one that reads back as the same double, i.e. what the client wrote) must have at
 * most 8 places and at most 1e10 in magnitude. NaN and infinities are refused. 0, or -1. */
int intl_amount_fine(double d, int64_t *fine)
{
    if (!isfinite(d) || fabs(d) > 1e10)
        return -1;
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf is [-]D.DDDDe[+-]XX: digits and a power of ten */
    const char *p = buf;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p) && nd < (int)sizeof digits - 1)
            digits[nd++] = *p;
    digits[nd] = 0;
    if (*p != 'e')
        return -1;
    int exp10 = atoi(p + 1) - (nd - 1); /* value = digits × 10^exp10 */
    while (nd > 1 && digits[nd - 1] == '0') {
        digits[--nd] = 0;
        exp10++;
    }
    int shift = exp10 + 8; /* fine = digits × 10^shift */
    if (shift < 0)
        return -1; /* finer than the unit */
    int64_t v = 0;
    for (int i = 0; i < nd; i++)
        v = v * 10 + (digits[i] - '0');
    for (int i = 0; i < shift; i++) {
        if (v > INT64_MAX / 10)
            return -1;
        v *= 10;
    }
    *fine = neg ? -v : v;
    return 0;
}

static json_t *amount_json(int64_t fine) { return json_real((double)fine / (double)FINE); }

static json_t *uin_num(const char *uin) { return json_integer(strtoll(uin, NULL, 10)); }

static int caller_partner(struct api_ctx *ctx, struct partner *p)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                    rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.", ctx->who.owner_uin);
}

/* name as the caller's customer (bound, or pending when pending is set), or ResourceNotFound. */
static int own_client(struct api_ctx *ctx, const struct partner *p, const char *name, int pending, struct client *c)
{
    const char *uin = api_str(ctx, name, "");
    int rc = pstore_client_get(ctx->store, uin, c);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    if (rc != STORE_FOUND || strcmp(c->partner, p->uin) || strcmp(c->status, pending ? CLIENT_PENDING : CLIENT_BOUND))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s is not found.", uin);
    return 0;
}

static void page_of(struct api_ctx *ctx, struct page *pg, int64_t dflt_size)
{
    int64_t page = api_int(ctx, "Page", 1), size = api_int(ctx, "PageSize", dflt_size);
    page_start(pg, (page - 1) * size, size);
}

struct holder_credit {
    int64_t total, used, remaining;
};
static int customer_credit(struct store *s, const char *partner, const char *uin, struct holder_credit *h)
{
    if (credit_held(s, partner, uin, &h->total) != 0 || credit_used(s, uin, &h->used) != 0)
        return -1;
    h->remaining = h->total > h->used ? h->total - h->used : 0;
    return 0;
}

/* A partner's credit (credit.c's model): the operator's limit plus the pool its distributor gave
 * it; what it granted. */
struct partner_credit {
    int64_t total, allocated;
};
static int partner_credit_of(struct store *s, const struct partner *p, struct partner_credit *pc)
{
    return credit_partner_total(s, p, &pc->total, &pc->allocated);
}

static int outbox(struct api_ctx *ctx, const char *to, const char *subject, const char *body)
{
    uint8_t *blob;
    size_t len;
    if (sealed_seal(INTL_OUTBOX_CONTEXT, body, strlen(body), &blob, &len) != 0)
        return -1;
    int rc = istore_outbox_add(ctx->store, ctx->who.owner_uin, to, subject, blob, len, clock_now());
    free(blob);
    return rc;
}

static int password_ok(const char *pw)
{
    size_t n = strlen(pw);
    int digit = 0, alpha = 0, sym = 0;
    for (const char *c = pw; *c; c++) {
        if (isdigit((unsigned char)*c))
            digit = 1;
        else if (isalpha((unsigned char)*c))
            alpha = 1;
        else if (strchr("!@#$%^&*()", *c))
            sym = 1;
        else
            return 0;
    }
    return n >= 8 && n <= 20 && digit && alpha && sym;
}

static int mail_ok(const char *m)
{
    const char *at = strchr(m, '@');
    return at && at != m && at[1] && !strchr(at + 1, '@') && !strchr(m, ' ') && strchr(at + 1, '.');
}

static int create_account(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *mail = api_str(ctx, "Mail", ""), *pw = api_str(ctx, "Password", "");
    const char *phone = api_str(ctx, "PhoneNum", ""), *name = api_str(ctx, "CustomerName", "");
    if (!mail_ok(mail))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Mail `%s` is not an email address.", mail);
    if (!password_ok(pw))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                        "Password is 8 to 20 characters with digits, letters and symbols (!@#$%%^&*()).");
    if (strcmp(pw, api_str(ctx, "ConfirmPassword", "")))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "ConfirmPassword differs from Password.");
    for (const char *c = phone; *c; c++)
        if (!isdigit((unsigned char)*c))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "PhoneNum is 1 to 32 digits.");
    if (*name && (strlen(name) < 2 || strspn(name, "0123456789") == strlen(name)))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "CustomerName is 2 to 200 characters, not only digits.");
    struct new_account a;
    char err[256] = "";
    if (identity_create_account_tx(ctx->store, *name ? name : mail, &a, err, sizeof err) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The account could not be created.");
    int64_t t = clock_now();
    struct intl_client ic = {.created = t};
    snprintf(ic.client, sizeof ic.client, "%s", a.uin);
    snprintf(ic.partner, sizeof ic.partner, "%s", p.uin);
    snprintf(ic.mail, sizeof ic.mail, "%s", mail);
    snprintf(ic.mobile, sizeof ic.mobile, "%s", phone);
    snprintf(ic.name, sizeof ic.name, "%s", name);
    snprintf(ic.type, sizeof ic.type, "%s", api_str(ctx, "AccountType", ""));
    char body[1024];
    snprintf(body, sizeof body,
             "Your account %s was created by partner %s and is bound to it.\nSecretId: %s\nSecretKey: %s\n", a.uin,
             p.uin, a.secret_id, a.secret_key);
    if (pstore_client_apply(ctx->store, p.uin, a.uin, "a", t) != 1 ||
        pstore_client_audit(ctx->store, p.uin, a.uin, CLIENT_BOUND, "CreateAccount", t) != 1 ||
        istore_client_put(ctx->store, &ic) != 0 || outbox(ctx, mail, "Your yun account", body) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The account could not be bound.");
    json_object_set_new(ctx->out, "Uin", json_string(a.uin));
    json_object_set_new(ctx->out, "Reason", json_string("success"));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::intlpartnersmgt::uin/%s:client/%s", p.uin, a.uin);
    return 0;
}

static int create_and_send_client_invitation_mail(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *mail = api_str(ctx, "Email", ""), *role = api_str(ctx, "InvitationRole", "Client");
    if (!mail_ok(mail))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Email `%s` is not an email address.", mail);
    if (strcmp(role, "Client"))
        return api_fail(ctx, E_UNSUPPORTED_OPERATION,
                        "Only customers (Client) can be invited; not second-level resellers.");
    char link[128], body[512];
    snprintf(link, sizeof link, "yun:partners/ApplyClientBinding?InvitationCode=%s", p.code);
    snprintf(
        body, sizeof body,
        "Partner %s invites you to be its customer.\nApply with partners ApplyClientBinding, InvitationCode %s\n%s\n",
        p.uin, p.code, link);
    if (outbox(ctx, mail, "An invitation from your partner", body) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The invitation could not be recorded.");
    json_object_set_new(ctx->out, "InvitationLink", json_string(link));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::intlpartnersmgt::uin/%s:invitation/*", p.uin);
    return 0;
}

static int query_pending_clients_v2(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    struct client *cs;
    int n;
    if (pstore_clients(ctx->store, p.uin, CLIENT_PENDING, 1, &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    struct page pg;
    page_of(ctx, &pg, 20);
    for (int i = 0; i < n; i++) {
        if (!page_take(&pg))
            continue;
        struct intl_client ic;
        istore_client_get(ctx->store, cs[i].client, &ic);
        char t[32];
        time_cam(cs[i].apply_time, t);
        json_array_append_new(pg.set, json_pack("{s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "ApplyTime", t, "ClientUin",
                                                uin_num(cs[i].client), "Email", ic.mail, "Mobile", ic.mobile, "Name",
                                                ic.name[0] ? ic.name : cs[i].client, "Status", "1", "Type", "1"));
    }
    free(cs);
    json_object_set_new(ctx->out, "Data", pg.set);
    json_object_set_new(ctx->out, "Total", json_integer(pg.total));
    return 0;
}

static int approve_client_apply(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, "ClientUin", 1, &c) != 0)
        return -1;
    int pass = !strcmp(api_str(ctx, "ApproveType", ""), "pass");
    const char *reason = api_str(ctx, "RejectReason", "");
    if (!pass && !*reason)
        return api_fail(ctx, E_MISSING_PARAMETER, "RejectReason is required to reject an application.");
    if (pstore_client_audit(ctx->store, p.uin, c.client, pass ? CLIENT_BOUND : CLIENT_REJECTED, reason, clock_now()) !=
        1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The approval could not be recorded.");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::intlpartnersmgt::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

static int query_customers_credit(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *ftype = api_str(ctx, "FilterType", NULL), *filter = api_str(ctx, "Filter", NULL);
    int desc = strcasecmp(api_str(ctx, "Order", "desc"), "asc") != 0;
    struct client *cs;
    int n;
    if (pstore_clients(ctx->store, p.uin, CLIENT_BOUND, desc, &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    struct page pg;
    page_of(ctx, &pg, 20);
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        struct intl_client ic;
        istore_client_get(ctx->store, cs[i].client, &ic);
        const char *name = ic.name[0] ? ic.name : cs[i].client;
        if (ftype && filter && *filter) {
            const char *v = !strcmp(ftype, "ClientUin") ? cs[i].client
                            : !strcmp(ftype, "Name")    ? name
                            : !strcmp(ftype, "Remark")  ? cs[i].remark
                                                        : ic.mail;
            if (!strstr(v, filter))
                continue;
        }
        if (!page_take(&pg))
            continue;
        struct holder_credit h;
        if (customer_credit(ctx->store, p.uin, cs[i].client, &h) != 0) {
            rc = -1;
            break;
        }
        char t[32];
        time_cam(cs[i].agent_time, t);
        json_array_append_new(pg.set,
                              json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:i,s:s,s:i}", "Name", name, "Type",
                                        ic.type[0] ? ic.type : "personal", "Mobile", ic.mobile, "Email", ic.mail,
                                        "Arrears", billing_overdue(ctx->store, cs[i].client) == 1 ? "1" : "-",
                                        "AssociationTime", t, "RecentExpiry", "-", "ClientUin", uin_num(cs[i].client),
                                        "Credit", amount_json(h.total), "RemainingCredit", amount_json(h.remaining),
                                        "IdentifyType", 0, "Remark", cs[i].remark, "Force", 0));
    }
    free(cs);
    if (rc != 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The credits are unavailable.");
    }
    json_object_set_new(ctx->out, "Data", pg.set);
    json_object_set_new(ctx->out, "Total", json_integer(pg.total));
    return 0;
}

static int query_partner_credit(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    struct partner_credit pc;
    struct client *cs;
    int n;
    if (partner_credit_of(ctx->store, &p, &pc) != 0 || pstore_clients(ctx->store, p.uin, CLIENT_BOUND, 0, &cs, &n))
        return api_fail(ctx, E_INTERNAL_ERROR, "The credit is unavailable.");
    int64_t ctotal = 0, cremaining = 0;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        struct holder_credit h;
        rc = customer_credit(ctx->store, p.uin, cs[i].client, &h);
        ctotal += h.total;
        cremaining += h.remaining;
    }
    free(cs);
    if (rc != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The credit is unavailable.");
    json_object_set_new(ctx->out, "AllocatedCredit", amount_json(pc.allocated));
    json_object_set_new(ctx->out, "TotalCredit", amount_json(pc.total));
    json_object_set_new(ctx->out, "RemainingCredit", amount_json(pc.total - pc.allocated));
    json_object_set_new(ctx->out, "CustomerTotalCredit", amount_json(ctotal));
    json_object_set_new(ctx->out, "CustomerRemainingCredit", amount_json(cremaining));
    return 0;
}

static int amount_param(struct api_ctx *ctx, const char *name, int64_t *fine)
{
    json_t *v = json_object_get(ctx->params, name);
    if (!json_is_number(v) || intl_amount_fine(json_number_value(v), fine) != 0 || *fine == 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                        "%s is a non-zero amount of at most 8 decimal places and 1e10 in magnitude.", name);
    return 0;
}

/* Moves credit from grantor to holder, whose grant is now `had` and of which `free_part` is not
 * used: more is capped by what the grantor has left (credit_grant), less by free_part. The new
 * grant, in the caller's transaction, through credit.c's credit_grant (history row; a customer's
 * reaches billing's credit column). */
static int move_credit(struct api_ctx *ctx, const struct partner *grantor, const char *holder, int customer,
                       int64_t delta, int64_t had, int64_t free_part, const char *remark, int64_t *total_after)
{
    if (delta < 0 && -delta > free_part)
        return api_fail(ctx, E_INTL_INSUFFICIENT_CREDIT,
                        "Only the available credit (%lld fine units) can be reclaimed.", (long long)free_part);
    char code[64], msg[256];
    *total_after = had + delta;
    if (credit_grant(ctx->store, grantor, holder, customer, *total_after, ctx->who.user_uin, remark, clock_now(), code,
                     sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    return 0;
}

static int allocate_customer_credit(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    int64_t delta, after;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, "ClientUin", 0, &c) != 0 ||
        amount_param(ctx, "AddedCredit", &delta) != 0)
        return -1;
    struct holder_credit h;
    if (customer_credit(ctx->store, p.uin, c.client, &h) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The credit is unavailable.");
    if (move_credit(ctx, &p, c.client, 1, delta, h.total, h.remaining, api_str(ctx, "Remark", ""), &after) != 0)
        return -1;
    json_object_set_new(ctx->out, "TotalCredit", amount_json(after));
    json_object_set_new(ctx->out, "RemainingCredit", amount_json(h.remaining + delta));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::intlpartnersmgt::uin/%s:client/%s", p.uin, c.client);
    ctx->after_commit = billing_kick; /* an account in arrears may be whole again */
    return 0;
}

static int query_credit_allocation_history(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, "ClientUin", 0, &c) != 0)
        return -1;
    struct credit_entry *e;
    int n;
    if (istore_history(ctx->store, p.uin, c.client, &e, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The history is unavailable.");
    struct page pg;
    page_of(ctx, &pg, 10);
    for (int i = 0; i < n; i++) {
        if (!page_take(&pg))
            continue;
        char t[32];
        time_cam(e[i].time, t);
        json_array_append_new(pg.set, json_pack("{s:s,s:s,s:o,s:o,s:o,s:s}", "AllocatedTime", t, "Operator",
                                                e[i].operator_uin, "Credit", amount_json(e[i].delta), "AllocatedCredit",
                                                amount_json(e[i].total_after), "ClientCreditAfter",
                                                amount_json(e[i].remaining_after), "Remark", e[i].remark));
    }
    free(e);
    json_object_set_new(ctx->out, "History", pg.set);
    json_object_set_new(ctx->out, "Total", json_integer(pg.total));
    return 0;
}

static int allocate_credit_pool(struct api_ctx *ctx)
{
    struct partner p, sub;
    int64_t delta, after;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    if (strcmp(p.kind, "distributor"))
        return api_fail(ctx, E_UNAUTHORIZED_OPERATION, "Only a distributor allocates credit pools.");
    const char *uin = api_str(ctx, "SubAgentUin", "");
    int rc = pstore_partner_get(ctx->store, uin, &sub);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The partners are unavailable.");
    if (rc != STORE_FOUND || strcmp(sub.kind, "second-level") || strcmp(sub.parent, p.uin))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The second-level reseller %s is not found.", uin);
    if (amount_param(ctx, "Credit", &delta) != 0)
        return -1;
    int64_t pool;
    struct partner_credit sc;
    if (credit_held(ctx->store, p.uin, sub.uin, &pool) != 0 || partner_credit_of(ctx->store, &sub, &sc) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The credit is unavailable.");
    /* what the reseller has not passed on to its customers can be taken back, up to the pool */
    int64_t unallocated = sc.total - sc.allocated, free_part = unallocated < pool ? unallocated : pool;
    if (free_part < 0)
        free_part = 0;
    if (move_credit(ctx, &p, sub.uin, 0, delta, pool, free_part, "AllocateCreditPool", &after) != 0)
        return -1;
    json_object_set_new(ctx->out, "RemainingCredit", amount_json(sc.total - sc.allocated + delta));
    json_object_set_new(ctx->out, "TotalCredit", amount_json(sc.total + delta));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::intlpartnersmgt::uin/%s:subagent/%s", p.uin, sub.uin);
    return 0;
}

struct bill_detail_acc {
    struct page *pg;
    const char *pay_mode, *owner;
};
static json_t *yuan8(int64_t fine)
{
    char b[32];
    rate_yuan(fine, b);
    return json_string(b);
}
static int add_bill_detail(void *arg, const struct billing_component_row *r)
{
    struct bill_detail_acc *a = arg;
    if (a->pay_mode && strcmp(a->pay_mode, r->pay_mode))
        return 0;
    if (!page_take(a->pg))
        return 0;
    char id[160], disc[32], when[32], b[32], e[32], unit[64];
    snprintf(id, sizeof id, "%s:%s:%s", r->detail_id, r->component, r->item);
    snprintf(disc, sizeof disc, "%lld.%06lld", (long long)(r->discount_ppm / BILLING_PPM),
             (long long)(r->discount_ppm % BILLING_PPM));
    time_cam(r->pay_time, when);
    time_cam(r->fee_begin, b);
    time_cam(r->fee_end, e);
    snprintf(unit, sizeof unit, "%s%s%s", r->unit_qty == 10000 ? "10k " : "", r->unit, r->hourly ? "/hour" : "");
    json_t *o =
        json_pack("{s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "PayerAccountId",
                  uin_num(r->payer_uin), "OwnerAccountId", uin_num(a->owner), "OperatorAccountId",
                  uin_num(r->operate_uin), "ProductName", r->product, "BillingMode",
                  strcmp(r->pay_mode, "prePay") ? "Pay-As-You-Go resources" : "Monthly subscription", "ProjectName",
                  "Default project", "Region", r->region, "AvailabilityZone", r->zone, "InstanceId", r->resource_id,
                  "InstanceName", r->resource_name, "SubProductName", r->sub_product, "TransactionType", r->action_type,
                  "TransactionId", r->bill_id, "TransactionTime", when, "UsageStartTime", b, "UsageEndTime", e,
                  "ComponentType", r->component);
    json_object_set_new(o, "ComponentName", json_string(r->item));
    json_object_set_new(o, "ComponentListPrice", yuan8(r->price));
    json_object_set_new(o, "ComponentPriceMeasurementUnit", json_string(unit));
    json_object_set_new(o, "ComponentUsage", yuan8(r->used));
    json_object_set_new(o, "ComponentUsageUnit", json_string(r->unit));
    json_object_set_new(o, "UsageDuration", yuan8(r->hours));
    json_object_set_new(o, "DurationUnit", json_string(r->hourly ? "hour" : "month"));
    json_object_set_new(o, "OriginalCost", yuan8(r->cost));
    json_object_set_new(o, "DiscountRate", json_string("1"));
    json_object_set_new(o, "Currency", json_string("CNY"));
    json_object_set_new(o, "TotalAmountAfterDiscount", yuan8(r->real_cost));
    json_object_set_new(o, "VoucherDeduction", yuan8(r->voucher));
    json_object_set_new(o, "TotalCost", yuan8(r->real_cost - r->voucher));
    json_object_set_new(o, "Id", json_string(id));
    json_object_set_new(o, "CustomerDiscountRate", json_string(disc));
    json_object_set_new(o, "Tags", json_array());
    json_array_append_new(a->pg->set, o);
    return 0;
}

static int describe_customer_bill_detail(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0 || own_client(ctx, &p, "CustomerUin", 0, &c) != 0)
        return -1;
    const char *month = api_str(ctx, "Month", "");
    int64_t from;
    if (month_parse(month, &from) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Month `%s` is not a month as yyyy-mm.", month);
    int64_t to = month_next(from), since = c.agent_time > from ? c.agent_time : from;
    struct page pg;
    page_of(ctx, &pg, 20);
    struct bill_detail_acc a = {&pg, api_str(ctx, "PayMode", NULL), c.client};
    if (since < to && billing_components_each(ctx->store, c.client, since, to, add_bill_detail, &a) != 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The bills are unavailable.");
    }
    json_object_set_new(ctx->out, "Total", json_integer(pg.total));
    json_object_set_new(ctx->out, "DetailSet", pg.set);
    return 0;
}

/* Sums per product (or all) of a set of customers' components in a month. */
struct product_sum {
    char product[16];
    int64_t cost, real, voucher;
};
struct sums_acc {
    struct product_sum p[16];
    int n;
    const char *pay_mode;
};
static int add_sum(void *arg, const struct billing_component_row *r)
{
    struct sums_acc *a = arg;
    if (a->pay_mode && strcmp(a->pay_mode, r->pay_mode))
        return 0;
    int i = 0;
    while (i < a->n && strcmp(a->p[i].product, r->product))
        i++;
    if (i == a->n) {
        if (a->n == (int)(sizeof a->p / sizeof a->p[0]))
            return -1;
        snprintf(a->p[a->n++].product, sizeof a->p[0].product, "%s", r->product);
    }
    a->p[i].cost += r->cost;
    a->p[i].real += r->real_cost;
    a->p[i].voucher += r->voucher;
    return 0;
}

/* name (CustomerUin) as the caller's bound customer, or every bound customer when absent; their
 * components of the month (since each was bound) summed per product. */
static int month_sums(struct api_ctx *ctx, const char *month_param, struct sums_acc *a)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *month = api_str(ctx, month_param, "");
    int64_t from;
    if (month_parse(month, &from) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "%s `%s` is not a month as yyyy-mm.", month_param, month);
    int64_t to = month_next(from);
    struct client one, *cs = &one;
    int n = 1;
    if (api_str(ctx, "CustomerUin", NULL)) {
        if (own_client(ctx, &p, "CustomerUin", 0, &one) != 0)
            return -1;
    } else if (pstore_clients(ctx->store, p.uin, CLIENT_BOUND, 0, &cs, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        int64_t since = cs[i].agent_time > from ? cs[i].agent_time : from;
        if (since < to)
            rc = billing_components_each(ctx->store, cs[i].client, since, to, add_sum, a);
    }
    if (cs != &one)
        free(cs);
    return rc == 0 ? 0 : api_fail(ctx, E_INTERNAL_ERROR, "The bills are unavailable.");
}

static int describe_bill_summary_by_product(struct api_ctx *ctx)
{
    struct sums_acc a = {.n = 0};
    if (month_sums(ctx, "BillMonth", &a) != 0)
        return -1;
    json_t *set = json_array();
    for (int i = 0; i < a.n; i++)
        json_array_append_new(set, json_pack("{s:s,s:s,s:o,s:o,s:o}", "BusinessCode",
                                             billing_business_code(a.p[i].product), "BusinessCodeName", a.p[i].product,
                                             "OriginalCost", yuan8(a.p[i].cost), "VoucherPayAmount",
                                             yuan8(a.p[i].voucher), "TotalCost", yuan8(a.p[i].real - a.p[i].voucher)));
    json_object_set_new(ctx->out, "SummaryOverview", set);
    return 0;
}

static int describe_customer_bill_summary(struct api_ctx *ctx)
{
    struct sums_acc a = {.n = 0, .pay_mode = api_str(ctx, "PayMode", NULL)};
    if (month_sums(ctx, "Month", &a) != 0)
        return -1;
    int64_t total = 0;
    for (int i = 0; i < a.n; i++)
        total += a.p[i].real - a.p[i].voucher;
    json_object_set_new(ctx->out, "TotalCost", amount_json(total));
    return 0;
}

static const char *const account_types[] = {"personal", "company", "business", NULL};
static const char *const roles[] = {"Client", "SubAgent", NULL};
static const char *const approve_types[] = {"pass", "reject", NULL};
static const char *const filter_types[] = {"ClientUin", "Name", "Remark", "Email", NULL};
static const char *const orders[] = {"desc", "asc", NULL};

static const struct param p_create[] = {P_ENUM("AccountType", P_REQUIRED, account_types),
                                        P_STR("Mail", P_REQUIRED, 3, 128),
                                        P_STR("Password", P_REQUIRED, 1, 64),
                                        P_STR("ConfirmPassword", P_REQUIRED, 1, 64),
                                        P_STR("PhoneNum", P_REQUIRED, 1, 32),
                                        P_STR("CountryCode", P_REQUIRED, 1, 8),
                                        P_STR("Area", P_REQUIRED, 2, 2),
                                        P_STR("VerifyCode", 0, 1, 16),
                                        P_STR("TradeOne", 0, 1, 32),
                                        P_STR("TradeTwo", 0, 1, 32),
                                        P_STR("Extended", 0, 0, 256),
                                        P_STR("CustomerName", 0, 0, 200),
                                        P_END};
static const struct param p_invite[] = {P_STR("Email", P_REQUIRED, 3, 128), P_ENUM("InvitationRole", 0, roles),
                                        P_STR("MaterialUrl", 0, 0, 1024), P_END};
static const struct param p_pending[] = {P_INT("Page", P_REQUIRED, 1, INT32_MAX), P_INT("PageSize", P_REQUIRED, 1, 100),
                                         P_END};
static const struct param p_approve[] = {P_STR("ClientUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                         P_ENUM("ApproveType", P_REQUIRED, approve_types),
                                         P_STR("RejectReason", 0, 0, 256), P_END};
static const struct param p_customers[] = {
    P_ENUM("FilterType", 0, filter_types), P_STR("Filter", 0, 0, 256), P_INT("Page", 0, 1, INT32_MAX),
    P_INT("PageSize", 0, 1, 100),          P_ENUM("Order", 0, orders), P_END};
static const struct param p_none[] = {P_END};
static const struct param p_allocate[] = {{.name = "AddedCredit", .type = PT_FLOAT, .flags = P_REQUIRED},
                                          P_STR("ClientUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                          P_STR("Remark", 0, 0, 256),
                                          P_END};
static const struct param p_history[] = {P_STR("ClientUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                         P_INT("Page", 0, 1, INT32_MAX), P_INT("PageSize", 0, 1, 100), P_END};
static const struct param p_pool[] = {P_STR("SubAgentUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                      {.name = "Credit", .type = PT_FLOAT, .flags = P_REQUIRED},
                                      P_END};

static const char *const bill_pay_modes[] = {"prePay", "postPay", NULL};
static const struct param p_bill_detail[] = {P_STR("CustomerUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                             P_STR("Month", P_REQUIRED, 1, 16),
                                             P_INT("PageSize", P_REQUIRED, 1, 200),
                                             P_INT("Page", P_REQUIRED, 1, INT32_MAX),
                                             P_ENUM("PayMode", 0, bill_pay_modes),
                                             P_STR("ActionType", 0, 0, 64),
                                             P_STR("IsConfirmed", 0, 0, 4),
                                             P_END};

static const struct param p_by_product[] = {P_STR("BillMonth", P_REQUIRED, 1, 16),
                                            P_STR("CustomerUin", P_NUMSTR, 1, 24), P_END};
static const struct param p_bill_summary[] = {P_STR("CustomerUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                              P_STR("Month", P_REQUIRED, 1, 16),
                                              P_ENUM("PayMode", 0, bill_pay_modes),
                                              P_STR("ActionType", 0, 0, 64),
                                              P_STR("IsConfirmed", 0, 0, 4),
                                              P_END};

#define INTL "intlpartnersmgt", INTLPARTNERSMGT
static const struct action actions[] = {
    {INTL, "CreateAccount", create_account, p_create, A_MUTATES, NULL},
    {INTL, "CreateAndSendClientInvitationMail", create_and_send_client_invitation_mail, p_invite, A_MUTATES, NULL},
    {INTL, "QueryPendingClientsV2", query_pending_clients_v2, p_pending, 0, NULL},
    {INTL, "ApproveClientApply", approve_client_apply, p_approve, A_MUTATES, "client/${ClientUin}"},
    {INTL, "QueryCustomersCredit", query_customers_credit, p_customers, 0, NULL},
    {INTL, "QueryPartnerCredit", query_partner_credit, p_none, 0, NULL},
    {INTL, "AllocateCustomerCredit", allocate_customer_credit, p_allocate, A_MUTATES, "client/${ClientUin}"},
    {INTL, "QueryCreditAllocationHistory", query_credit_allocation_history, p_history, 0, "client/${ClientUin}"},
    {INTL, "AllocateCreditPool", allocate_credit_pool, p_pool, A_MUTATES, "subagent/${SubAgentUin}"},
    {INTL, "DescribeCustomerBillDetail", describe_customer_bill_detail, p_bill_detail, 0, "client/${CustomerUin}"},
    {INTL, "DescribeBillSummaryByProduct", describe_bill_summary_by_product, p_by_product, 0, NULL},
    {INTL, "DescribeCustomerBillSummary", describe_customer_bill_summary, p_bill_summary, 0, "client/${CustomerUin}"},
};

void intl_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
