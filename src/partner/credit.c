/*
 * credit: the one credit model of both channels. A grant (partner_credits, intl_store.c: holder,
 * grantor, amount in billing's fine unit, with a history row for each change) is made by
 * credit_grant alone: a partner's to a bound customer (yun's AllocateClientCredit, intl's
 * AllocateCustomerCredit) or a distributor's pool to its second-level reseller (AllocateCreditPool).
 * A partner's total credit is its credit from the operator plus the pool it was given; the sum of
 * its grants never exceeds it. A customer's grant is billing's credit column too
 * (billing_set_credit, same transaction), which counts as balance for orders and for the arrears
 * path. A customer's credit used is what it owes (its
 * balance below zero); a partner's is the sum of its credit customers' (a distributor's also its
 * second-level resellers' customers'). An order that eats into a customer's credit is checked
 * against its partner's credit and, for a second-level reseller's customer, the distributor's
 * (billing asks through billing_register_credit_check). A job on the business clock records
 * alerts at 75, 90 and 100 % used, once each per month, for customers and partners
 * (DescribeCreditAlerts), and acts when credit runs out as the partner is set
 * (`--on-credit-exhausted`): suspend — a customer past its credit, or every indebted customer of a
 * partner past its own, goes billing's arrears path (its credit withdrawn); keep — the customer's
 * resources keep running (no arrears enforcement while past its credit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partner/partner_int.h"

#define E_PARTNER_CREDIT "FailedOperation.InsufficientCredit"

static const int levels[] = {75, 90, 100};

/* A customer's credit used, in fine units (what it owes). */
int credit_used(struct store *s, const char *client, int64_t *used)
{
    int64_t bal;
    if (billing_balance_cents(s, client, &bal) != 0)
        return -1;
    *used = bal < 0 ? -bal * BILLING_FINE_PER_CENT : 0;
    return 0;
}

int credit_held(struct store *s, const char *grantor, const char *holder, int64_t *fine)
{
    char by[24];
    int rc = istore_credit_get(s, holder, by, fine);
    if (rc < 0)
        return -1;
    if (rc != STORE_FOUND || strcmp(by, grantor))
        *fine = 0; /* none, or a former partner's: not this grantor's */
    return 0;
}

int credit_partner_total(struct store *s, const struct partner *p, int64_t *total, int64_t *allocated)
{
    int64_t pool = 0;
    if (p->parent[0] && credit_held(s, p->parent, p->uin, &pool) != 0)
        return -1;
    if (allocated && istore_credit_granted(s, p->uin, allocated) != 0)
        return -1;
    *total = p->credit_cents * BILLING_FINE_PER_CENT + pool;
    return 0;
}

int credit_grant(struct store *s, const struct partner *grantor, const char *holder, int customer, int64_t total,
                 const char *operator_uin, const char *remark, int64_t t, char *code, size_t clen, char *msg,
                 size_t mlen)
{
    int64_t had, ptotal, allocated, used = 0;
    if (credit_held(s, grantor->uin, holder, &had) != 0 || credit_partner_total(s, grantor, &ptotal, &allocated) != 0 ||
        (customer && credit_used(s, holder, &used) != 0)) {
        snprintf(code, clen, "%s", E_INTERNAL_ERROR);
        snprintf(msg, mlen, "The credit is unavailable.");
        return -1;
    }
    int64_t delta = total - had;
    if (total < 0 || (delta > 0 && delta > ptotal - allocated)) {
        snprintf(code, clen, "%s", E_PARTNER_CREDIT);
        snprintf(msg, mlen,
                 "The partner's credit is %lld fine units of which %lld are left: it cannot allocate %lld more.",
                 (long long)ptotal, (long long)(ptotal - allocated), (long long)delta);
        return -1;
    }
    struct credit_entry e = {.delta = delta, .total_after = total, .time = t};
    if (customer)
        e.remaining_after = total > used ? total - used : 0;
    else { /* a pool: what the reseller has not passed on */
        struct partner sub;
        int64_t stotal, sallocated;
        if (pstore_partner_get(s, holder, &sub) != STORE_FOUND ||
            credit_partner_total(s, &sub, &stotal, &sallocated) != 0) {
            snprintf(code, clen, "%s", E_INTERNAL_ERROR);
            snprintf(msg, mlen, "The credit is unavailable.");
            return -1;
        }
        e.remaining_after = stotal + delta - sallocated;
    }
    snprintf(e.grantor, sizeof e.grantor, "%s", grantor->uin);
    snprintf(e.holder, sizeof e.holder, "%s", holder);
    snprintf(e.operator_uin, sizeof e.operator_uin, "%s", operator_uin);
    snprintf(e.remark, sizeof e.remark, "%s", remark);
    if (istore_credit_set(s, grantor->uin, holder, total, t) != 0 || istore_history_add(s, &e) != 0 ||
        (customer && billing_set_credit(s, holder, total, t) != 0) ||
        (customer && total == 0 && billing_exempt(s, holder, 0) != 0)) {
        snprintf(code, clen, "%s", E_INTERNAL_ERROR);
        snprintf(msg, mlen, "The credit could not be recorded.");
        return -1;
    }
    return 0;
}

/* The credit customers of partner (and, for a distributor, of its second-level resellers):
 * malloc'd; each with its allocation and what it uses (fine units), its balance (cents). */
struct credit_client {
    char client[24], partner[24];
    int64_t credit, used, balance;
};

static int add_clients_of(struct store *s, const char *partner, struct credit_client **out, int *n, int *cap)
{
    struct client *cs;
    int m;
    if (pstore_clients(s, partner, CLIENT_BOUND, 0, &cs, &m) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < m; i++) {
        int64_t credit;
        if (credit_held(s, partner, cs[i].client, &credit) != 0) {
            rc = -1;
            break;
        }
        if (credit == 0)
            continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            void *nu = realloc(*out, (size_t)*cap * sizeof **out);
            if (!nu) {
                rc = -1;
                break;
            }
            *out = nu;
        }
        struct credit_client *c = &(*out)[(*n)++];
        snprintf(c->client, sizeof c->client, "%s", cs[i].client);
        snprintf(c->partner, sizeof c->partner, "%s", partner);
        c->credit = credit;
        if (billing_balance_cents(s, c->client, &c->balance) != 0)
            rc = -1;
        c->used = c->balance < 0 ? -c->balance * BILLING_FINE_PER_CENT : 0;
    }
    free(cs);
    return rc;
}

static int tree_clients(struct store *s, const struct partner *p, struct credit_client **out, int *n)
{
    *out = NULL;
    *n = 0;
    int cap = 0;
    if (add_clients_of(s, p->uin, out, n, &cap) != 0)
        goto fail;
    if (!strcmp(p->kind, "distributor")) {
        char(*subs)[24];
        int m;
        if (pstore_second_levels(s, p->uin, &subs, &m) != 0)
            goto fail;
        int rc = 0;
        for (int i = 0; rc == 0 && i < m; i++)
            rc = add_clients_of(s, subs[i], out, n, &cap);
        free(subs);
        if (rc != 0)
            goto fail;
    }
    return 0;
fail:
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

static int partner_used(struct store *s, const struct partner *p, int64_t *used)
{
    struct credit_client *cs;
    int n;
    if (tree_clients(s, p, &cs, &n) != 0)
        return -1;
    *used = 0;
    for (int i = 0; i < n; i++)
        *used += cs[i].used;
    free(cs);
    return 0;
}

/* billing's question at an order of uin's that eats into its credit: does its partner's (and its
 * distributor's) credit allow it? */
static int check(struct store *s, const char *uin, int64_t cash, int64_t amount, char *code, size_t clen, char *msg,
                 size_t mlen)
{
    struct client c;
    int rc = pstore_client_get(s, uin, &c);
    if (rc < 0)
        goto failed;
    if (rc != STORE_FOUND || strcmp(c.status, CLIENT_BOUND))
        return 0;
    int64_t own;
    if (credit_held(s, c.partner, uin, &own) != 0)
        goto failed;
    if (own == 0)
        return 0;
    int64_t extra = amount - (cash > 0 ? cash : 0); /* fine units */
    struct partner p;
    char who[24];
    snprintf(who, sizeof who, "%s", c.partner);
    for (int depth = 0; depth < 2 && who[0]; depth++) {
        if (pstore_partner_get(s, who, &p) != STORE_FOUND)
            goto failed;
        int64_t used, total;
        if (partner_used(s, &p, &used) != 0 || credit_partner_total(s, &p, &total, NULL) != 0)
            goto failed;
        if (used + extra > total) {
            int64_t fpc = BILLING_FINE_PER_CENT;
            snprintf(code, clen, "%s", E_INSUFFICIENT_BALANCE);
            snprintf(msg, mlen,
                     "The order needs %lld cents of credit and the credit of %s %s has %lld of %lld cents left.",
                     (long long)((extra + fpc - 1) / fpc), depth ? "distributor" : "partner", p.uin,
                     (long long)(total > used ? (total - used) / fpc : 0), (long long)(total / fpc));
            return -1;
        }
        if (!strcmp(p.kind, "second-level")) /* and its distributor's */
            snprintf(who, sizeof who, "%s", p.parent);
        else
            who[0] = 0;
    }
    return 0;
failed:
    snprintf(code, clen, "%s", E_INTERNAL_ERROR);
    snprintf(msg, mlen, "The credit could not be checked.");
    return -1;
}

static int alert(struct store *s, const char *uin, const char *role, const char *partner, int64_t used, int64_t credit,
                 const char *month, int64_t t)
{
    /* used and credit in fine units; the alert records them in cents */
    for (size_t i = 0; credit > 0 && i < sizeof levels / sizeof levels[0]; i++)
        if (used * 100 >= (int64_t)levels[i] * credit &&
            pstore_credit_alert_put(s, uin, month, levels[i], role, partner, used / BILLING_FINE_PER_CENT,
                                    credit / BILLING_FINE_PER_CENT, t) < 0)
            return -1;
    return 0;
}

static void audit_credit(struct store *s, const char *partner, const char *client, const char *what)
{
    char res[128];
    snprintf(res, sizeof res, "qcs::partners::uin/%s:client/%s", partner, client);
    struct audit_entry e = {partner, "", "", "partners", "CreditExhausted", res, what, ""};
    audit_write(s, &e);
}

/* One partner's alerts and exhaustion, in the caller's transaction. */
static int credit_partner(struct store *s, const struct partner *p, const char *month, int64_t t)
{
    struct credit_client *cs;
    int n;
    char mode[12];
    if (pstore_credit_mode(s, p->uin, mode) != 0 || tree_clients(s, p, &cs, &n) != 0)
        return -1;
    int keep = !strcmp(mode, "keep"), rc = 0;
    int64_t used = 0, total;
    if (credit_partner_total(s, p, &total, NULL) != 0) {
        free(cs);
        return -1;
    }
    for (int i = 0; i < n; i++)
        used += cs[i].used;
    for (int i = 0; rc == 0 && i < n; i++) {
        const struct credit_client *c = &cs[i];
        if (strcmp(c->partner, p->uin)) /* a second-level reseller's: its own pass handles it */
            continue;
        rc = alert(s, c->client, "client", p->uin, c->used, c->credit, month, t);
        if (rc == 0 && keep) /* past its credit: its resources keep running */
            rc = billing_exempt(s, c->client, c->used >= c->credit);
    }
    if (rc == 0 && total > 0)
        rc = alert(s, p->uin, "partner", p->uin, used, total, month, t);
    /* the partner's own credit is used up: suspend withdraws its indebted customers' credit (the
     * grant goes to 0 through credit_grant, with its history row, and billing's with it) */
    if (rc == 0 && !keep && total > 0 && used >= total)
        for (int i = 0; rc == 0 && i < n; i++) {
            if (cs[i].balance >= 0 || cs[i].credit == 0)
                continue;
            struct partner owner;
            char code[64], msg[256];
            rc = pstore_partner_get(s, cs[i].partner, &owner) == STORE_FOUND &&
                         credit_grant(s, &owner, cs[i].client, 1, 0, p->uin, "CreditExhausted", t, code, sizeof code,
                                      msg, sizeof msg) == 0
                     ? 0
                     : -1;
            if (rc == 0)
                audit_credit(s, p->uin, cs[i].client, "Suspended");
        }
    free(cs);
    return rc;
}

int partner_credit_job(struct store *s, int64_t t)
{
    char(*uins)[24];
    int n;
    if (pstore_partners(s, &uins, &n) != 0)
        return -1;
    char month[8];
    month_name(t, month);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        struct partner p;
        if (store_begin(s) == STORE_OK && pstore_partner_get(s, uins[i], &p) == STORE_FOUND &&
            credit_partner(s, &p, month, t) == 0 && store_commit(s) == STORE_OK)
            continue;
        store_rollback(s);
        failed = 1;
    }
    free(uins);
    return failed ? -1 : 0;
}

static int caller_partner(struct api_ctx *ctx, struct partner *p)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                    rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.", ctx->who.owner_uin);
}

/* yun extension, the partner's: a bound customer's credit in cents (0 withdraws it), as a grant of
 * the one model (so intl's QueryCustomersCredit and history show it). */
static int allocate_client_credit(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *uin = api_str(ctx, "ClientUin", "");
    int rc = pstore_client_get(ctx->store, uin, &c);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    if (rc != STORE_FOUND || strcmp(c.partner, p.uin) || strcmp(c.status, CLIENT_BOUND))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s is not found.", uin);
    int64_t credit = api_int(ctx, "Credit", 0), t = clock_now();
    char code[64], msg[256];
    if (credit_grant(ctx->store, &p, c.client, 1, credit * BILLING_FINE_PER_CENT, ctx->who.user_uin,
                     "AllocateClientCredit", t, code, sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    int64_t used;
    if (credit_used(ctx->store, c.client, &used) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The balance is unavailable.");
    used /= BILLING_FINE_PER_CENT;
    json_object_set_new(ctx->out, "ClientUin", json_string(c.client));
    json_object_set_new(ctx->out, "Credit", json_integer(credit));
    json_object_set_new(ctx->out, "UsedCredit", json_integer(used));
    json_object_set_new(ctx->out, "RemainingCredit", json_integer(credit > used ? credit - used : 0));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", p.uin, c.client);
    ctx->after_commit = billing_kick; /* an account in arrears may be whole again */
    return 0;
}

/* yun extension: the alerts of the caller (a partner: also its customers'), of a month or all. */
static int describe_credit_alerts(struct api_ctx *ctx)
{
    struct partner p;
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, &p);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The partner is unavailable.");
    const char *month = api_str(ctx, "Month", "");
    int64_t start;
    if (month[0] && month_parse(month, &start) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Month `%s` is not a month as yyyy-mm.", month);
    struct credit_alert *as;
    int n;
    if (pstore_credit_alerts(ctx->store, ctx->who.owner_uin, rc == STORE_FOUND, month, &as, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The alerts are unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 100));
    for (int i = 0; i < n; i++) {
        if (!page_take(&pg))
            continue;
        char t[32];
        time_cam(as[i].time, t);
        json_array_append_new(pg.set, json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:s}", "Uin", as[i].uin, "Role",
                                                as[i].role, "PartnerUin", as[i].partner, "Month", as[i].month, "Level",
                                                as[i].level, "UsedCredit", (json_int_t)as[i].used, "Credit",
                                                (json_int_t)as[i].credit, "Time", t));
    }
    free(as);
    json_object_set_new(ctx->out, "AlertSet", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

static const struct param p_allocate[] = {P_STR("ClientUin", P_REQUIRED, 1, 24),
                                          P_INT("Credit", P_REQUIRED, 0, 1000000000000), P_END};
static const struct param p_alerts[] = {P_STR("Month", 0, 0, 16), P_INT("Offset", 0, 0, INT32_MAX),
                                        P_INT("Limit", 0, 1, 1000), P_END};

static const struct action actions[] = {
    {"partners", PARTNERS, "AllocateClientCredit", allocate_client_credit, p_allocate, A_MUTATES,
     "client/${ClientUin}"},
    {"partners", PARTNERS, "DescribeCreditAlerts", describe_credit_alerts, p_alerts, 0, NULL},
};

void partner_credit_register(void)
{
    api_register(actions, sizeof actions / sizeof actions[0]);
    billing_register_credit_check(check);
    billing_register_job(partner_credit_job);
}
