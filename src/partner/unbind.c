/*
 * unbind: a customer leaves its partner. The customer asks (yun's ApplyUnbindClient, no
 * ClientUin) and its partner reviews the request (yun's AuditUnbindClient) within 10 days on the
 * business clock, after which billing's controller runs the job that approves it; or the partner
 * asks (ApplyUnbindClient with ClientUin) and the customer is unbound at once, the partner being
 * the one who reviews. DescribeUnbindClientList lists the partner's requests with Tencent's shape.
 * Once unbound the customer may apply to another partner; its bills of the bound window stay the
 * first partner's, those after it are not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "partner/partner_int.h"

#define E_PARTNER_NOT_BOUND      "FailedOperation.ClientNotBound"
#define E_PARTNER_UNBIND_PENDING "FailedOperation.UnbindPending"

static int caller_partner(struct api_ctx *ctx, struct partner *p)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                    rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.", ctx->who.owner_uin);
}

/* Unbinds the customer in the caller's transaction: the request closes, the binding ends. */
static int unbind_now(struct store *s, const struct unbind *u, const char *note, int64_t t)
{
    return pstore_unbind_close(s, u->id, UNBIND_DONE, note, t) == 1 &&
                   pstore_client_unbound(s, u->partner, u->client) == 1 &&
                   billing_end_discounts(s, u->client, "partner", t) == 0 /* the partner's discounts end */
               ? 0
               : -1;
}

static void answer(struct api_ctx *ctx, const struct unbind *u)
{
    char apply[32], due[32];
    time_cam(u->apply_time, apply);
    time_cam(u->due_time, due);
    json_object_set_new(ctx->out, "Uin", json_string(u->partner));
    json_object_set_new(ctx->out, "ClientUin", json_string(u->client));
    json_object_set_new(ctx->out, "Status", json_integer(u->status));
    json_object_set_new(ctx->out, "ApplyTime", json_string(apply));
    json_object_set_new(ctx->out, "AutoApproveTime", json_string(u->status == UNBIND_REVIEWING ? due : ""));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:client/%s", u->partner, u->client);
}

/* yun extension. The customer (no ClientUin): a request its partner reviews. The partner (with
 * ClientUin): its customer is unbound at once. */
static int apply_unbind_client(struct api_ctx *ctx)
{
    const char *client_uin = api_str(ctx, "ClientUin", NULL);
    struct partner p;
    struct client c;
    int by_partner = client_uin != NULL;
    if (by_partner && caller_partner(ctx, &p) != 0)
        return -1;
    if (!by_partner)
        client_uin = ctx->who.owner_uin;
    int rc = pstore_client_get(ctx->store, client_uin, &c);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    if (by_partner && (rc != STORE_FOUND || strcmp(c.partner, p.uin) || strcmp(c.status, CLIENT_BOUND)))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s is not found.", client_uin);
    if (!by_partner && (rc != STORE_FOUND || strcmp(c.status, CLIENT_BOUND)))
        return api_fail(ctx, E_PARTNER_NOT_BOUND, "The account %s is not bound to a partner.", client_uin);
    struct unbind u = {0};
    rc = pstore_unbind_pending(ctx->store, c.client, &u);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The unbinding requests are unavailable.");
    if (rc == STORE_FOUND && !by_partner)
        return api_fail(ctx, E_PARTNER_UNBIND_PENDING, "An unbinding request of %s is under review already.", c.client);
    int64_t t = clock_now();
    if (rc != STORE_FOUND) {
        memset(&u, 0, sizeof u);
        random_id("unbind-", u.id, sizeof u.id);
        snprintf(u.partner, sizeof u.partner, "%s", c.partner);
        snprintf(u.client, sizeof u.client, "%s", c.client);
        snprintf(u.by, sizeof u.by, "%s", by_partner ? "partner" : "client");
        u.status = UNBIND_REVIEWING;
        u.agent_time = c.agent_time;
        u.apply_time = t;
        u.due_time = t + UNBIND_REVIEW_SECONDS;
        if (pstore_unbind_put(ctx->store, &u) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The unbinding request could not be recorded.");
    }
    if (by_partner) { /* the partner's own request, or its answer to the customer's pending one */
        if (unbind_now(ctx->store, &u, api_str(ctx, "Note", ""), t) != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The customer could not be unbound.");
        u.status = UNBIND_DONE;
        u.action_time = t;
    }
    answer(ctx, &u);
    return 0;
}

/* yun extension, the partner's: accept or reject its customer's pending request. */
static int audit_unbind_client(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *client_uin = api_str(ctx, "ClientUin", "");
    struct unbind u;
    int rc = pstore_unbind_pending(ctx->store, client_uin, &u);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The unbinding requests are unavailable.");
    if (rc != STORE_FOUND || strcmp(u.partner, p.uin))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "No unbinding request of customer %s is under review.",
                        client_uin);
    int accept = !strcmp(api_str(ctx, "AuditResult", ""), "accept");
    const char *note = api_str(ctx, "Note", "");
    int64_t t = clock_now();
    if (accept ? unbind_now(ctx->store, &u, note, t) != 0
               : pstore_unbind_close(ctx->store, u.id, UNBIND_REJECTED, note, t) != 1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The review could not be recorded.");
    u.status = accept ? UNBIND_DONE : UNBIND_REJECTED;
    answer(ctx, &u);
    json_object_set_new(ctx->out, "AuditResult", json_string(accept ? "accept" : "reject"));
    return 0;
}

/* "yyyy-mm-dd" (the day's start, or with end its last second) or "yyyy-mm-dd hh:mm:ss"; -1. */
static int day_or_time(const char *v, int end, int64_t *t)
{
    char buf[32];
    if (strlen(v) == 10) {
        snprintf(buf, sizeof buf, "%s %s", v, end ? "23:59:59" : "00:00:00");
        v = buf;
    } else if (strlen(v) != 19)
        return -1;
    return time_parse_iso8601(v, t);
}

static int describe_unbind_client_list(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    int64_t status = api_int(ctx, "Status", 0), from = INT64_MIN, to = INT64_MAX;
    const char *start = api_str(ctx, "ApplyTimeStart", NULL), *end = api_str(ctx, "ApplyTimeEnd", NULL);
    if ((start && day_or_time(start, 0, &from) != 0) || (end && day_or_time(end, 1, &to) != 0))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "ApplyTimeStart and ApplyTimeEnd are yyyy-mm-dd.");
    const char *who = api_str(ctx, "UnbindUin", NULL);
    const char *dir = api_str(ctx, "OrderDirection", "desc");
    struct unbind *us;
    int n;
    if (pstore_unbinds(ctx->store, p.uin, strcasecmp(dir, "asc") != 0, &us, &n) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The unbinding requests are unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    for (int i = 0; i < n; i++) {
        const struct unbind *u = &us[i];
        /* Status: 0 all, 1 under review, 2 unbound */
        if ((status == 1 && u->status != UNBIND_REVIEWING) || (status == 2 && u->status != UNBIND_DONE))
            continue;
        if ((who && strcmp(who, u->client)) || u->apply_time < from || u->apply_time > to)
            continue;
        if (!page_take(&pg))
            continue;
        char apply[32], action[32] = "";
        time_cam(u->apply_time, apply);
        if (u->action_time)
            time_cam(u->action_time, action);
        json_array_append_new(pg.set, json_pack("{s:s,s:s,s:I,s:s,s:s}", "Uin", u->client, "Name", u->client, "Status",
                                                (json_int_t)u->status, "ApplyTime", apply, "ActionTime", action));
    }
    free(us);
    json_object_set_new(ctx->out, "UnbindClientList", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

/* Requests past their review time are approved, each in its own transaction, audited. */
int partner_unbind_job(struct store *s, int64_t t)
{
    struct unbind *us;
    int n;
    if (pstore_unbinds_due(s, t, &us, &n) != 0)
        return -1;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        const struct unbind *u = &us[i];
        char res[128];
        snprintf(res, sizeof res, "qcs::partners::uin/%s:client/%s", u->partner, u->client);
        struct audit_entry e = {u->partner, "", "", "partners", "AutoApproveUnbindClient", res, "Success", ""};
        if (store_begin(s) == STORE_OK && unbind_now(s, u, "auto-approved after 10 days", u->due_time) == 0 &&
            audit_write(s, &e) == 0 && store_commit(s) == STORE_OK)
            continue;
        log_error("partner: the unbinding of %s from %s failed: %s", u->client, u->partner, store_errmsg(s));
        store_rollback(s);
        failed = 1;
    }
    free(us);
    return failed ? -1 : 0;
}

static const char *const audit_results[] = {"accept", "reject", NULL};
static const char *const directions[] = {"ASC", "DESC", "asc", "desc", NULL};

static const struct param p_apply[] = {P_STR("ClientUin", 0, 1, 24), P_STR("Note", 0, 0, 256), P_END};
static const struct param p_audit[] = {P_STR("ClientUin", P_REQUIRED, 1, 24),
                                       P_ENUM("AuditResult", P_REQUIRED, audit_results), P_STR("Note", 0, 0, 256),
                                       P_END};
static const struct param p_list[] = {
    P_INT("Status", P_REQUIRED, 0, 2),       P_INT("Offset", P_REQUIRED, 0, INT32_MAX),
    P_INT("Limit", P_REQUIRED, 1, 1000),     P_STR("UnbindUin", 0, 1, 24),
    P_STR("ApplyTimeStart", 0, 10, 19),      P_STR("ApplyTimeEnd", 0, 10, 19),
    P_ENUM("OrderDirection", 0, directions), P_END};

static const struct action actions[] = {
    {"partners", PARTNERS, "ApplyUnbindClient", apply_unbind_client, p_apply, A_MUTATES, NULL},
    {"partners", PARTNERS, "AuditUnbindClient", audit_unbind_client, p_audit, A_MUTATES, "client/${ClientUin}"},
    {"partners", PARTNERS, "DescribeUnbindClientList", describe_unbind_client_list, p_list, 0, NULL},
};

void partner_unbind_register(void)
{
    api_register(actions, sizeof actions / sizeof actions[0]);
    billing_register_job(partner_unbind_job);
}
