/*
 * forceqn: ForceQN (intlpartnersmgt), a partner's forced service suspension (停服) of its own bound
 * customer, with Tencent's special suspension rules (commerce-api.md §12.2): Type 2 suspends the
 * customer's postpaid resources at once (billing's isolate hooks, as arrears does) and refuses new
 * ones (billing asks this file's hook at purchase); its prepaid resources run until they expire.
 * Type 0 lifts it: the resources may start again, unless the account is in arrears, whose own path
 * then decides. Tencent allow-lists partners for it; yun lets any partner suspend its own customers.
 */
#include <stdio.h>
#include <string.h>

#include "partner/partner_int.h"

static int caller_client(struct api_ctx *ctx, struct partner *p, struct client *c)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc != STORE_FOUND)
        return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                        rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.",
                        ctx->who.owner_uin);
    const char *uin = api_str(ctx, "ClientUin", "");
    rc = pstore_client_get(ctx->store, uin, c);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customers are unavailable.");
    if (rc != STORE_FOUND || strcmp(c->partner, p->uin) || strcmp(c->status, CLIENT_BOUND))
        return api_fail(ctx, E_PARTNER_CLIENT_UNKNOWN, "The customer %s is not found.", uin);
    return 0;
}

static int force_qn(struct api_ctx *ctx)
{
    struct partner p;
    struct client c;
    if (caller_client(ctx, &p, &c) != 0)
        return -1;
    int64_t type = api_int(ctx, "Type", 0), t = clock_now();
    if (type != 0 && type != 2)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Type is 0 (normal) or 2 (forced suspension).");
    int rc =
        type == 2 ? pstore_force_qn_put(ctx->store, p.uin, c.client, t) : pstore_force_qn_delete(ctx->store, c.client);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The suspension could not be recorded.");
    if (rc == 1 && billing_suspend(ctx->store, c.client, type == 2, t) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The customer's resources could not be %s.",
                        type == 2 ? "suspended" : "restored");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::intlpartnersmgt::uin/%s:client/%s", p.uin, c.client);
    return 0;
}

/* billing's question at a postpaid purchase: did its partner suspend owner? */
static int suspended(struct store *s, const char *owner) { return pstore_force_qn_get(s, owner); }

static const struct param p_force_qn[] = {P_STR("ClientUin", P_REQUIRED | P_NUMSTR, 1, 24),
                                          P_INT("Type", P_REQUIRED, 0, 2), P_END};

static const struct action actions[] = {
    {"intlpartnersmgt", INTLPARTNERSMGT, "ForceQN", force_qn, p_force_qn, A_MUTATES, "client/${ClientUin}"},
};

void partner_forceqn_register(void)
{
    api_register(actions, sizeof actions / sizeof actions[0]);
    billing_register_suspended(suspended);
}
