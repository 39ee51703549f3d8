/*
 * operator: the operator's account actions for the console (yun extensions, the operator account
 * only): create a root account, set an account's tier, make an account a partner of a kind, and
 * read back both. They run the code of yun admin create-account / tier / partner inside the
 * action's transaction, so each change and each refusal is audited like any other action.
 */
#include <stdio.h>
#include <string.h>

#include "billing/billing.h"
#include "identity/identity.h"
#include "partner/partner_int.h"

static int operator_only(struct api_ctx *ctx, const char *what)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op == 1)
        return 0;
    return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                    "Only the operator of this cloud may %s.", what);
}

static int not_found_or(const char *err) { return strstr(err, "no root account") != NULL; }

static int create_operator_account(struct api_ctx *ctx)
{
    if (operator_only(ctx, "create accounts") != 0)
        return -1;
    const char *name = api_str(ctx, "Name", "account");
    struct new_account a;
    char err[256] = "";
    if (identity_create_account_tx(ctx->store, name, &a, err, sizeof err) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The account could not be created: %s", err);
    json_object_set_new(ctx->out, "Uin", json_string(a.uin));
    json_object_set_new(ctx->out, "AppId", json_string(a.app_id));
    json_object_set_new(ctx->out, "Name", json_string(name));
    json_object_set_new(ctx->out, "SecretId", json_string(a.secret_id));
    json_object_set_new(ctx->out, "SecretKey", json_string(a.secret_key));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::billing::uin/%s:account/%s", ctx->who.owner_uin, a.uin);
    return 0;
}

static int modify_operator_account_tier(struct api_ctx *ctx)
{
    if (operator_only(ctx, "set account tiers") != 0)
        return -1;
    const char *uin = api_str(ctx, "Uin", ""), *tier = api_str(ctx, "Tier", "");
    char err[512] = "";
    if (partner_set_tier_tx(ctx->store, uin, tier, err, sizeof err) != 0)
        return api_fail(ctx, not_found_or(err) ? E_RESOURCE_NOT_FOUND : E_INTERNAL_ERROR, "%s", err);
    json_object_set_new(ctx->out, "Uin", json_string(uin));
    json_object_set_new(ctx->out, "Tier", json_string(tier));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::billing::uin/%s:account/%s", ctx->who.owner_uin, uin);
    return 0;
}

static int modify_operator_account_partner(struct api_ctx *ctx)
{
    if (operator_only(ctx, "make accounts partners") != 0)
        return -1;
    struct partner_spec sp = {.uin = api_str(ctx, "Uin", ""),
                              .kind = api_str(ctx, "Kind", ""),
                              .parent = api_str(ctx, "ParentUin", ""),
                              .credit_cents = api_int(ctx, "CreditCents", 0)};
    char code[24], err[512] = "";
    if (partner_make_tx(ctx->store, &sp, code, err, sizeof err) != 0)
        return api_fail(ctx,
                        not_found_or(err)             ? E_RESOURCE_NOT_FOUND
                        : strstr(err, "store") == err ? E_INTERNAL_ERROR
                                                      : E_INVALID_PARAMETER_VALUE,
                        "%s", err);
    json_object_set_new(ctx->out, "Uin", json_string(sp.uin));
    json_object_set_new(ctx->out, "Kind", json_string(sp.kind));
    json_object_set_new(ctx->out, "InvitationCode", json_string(code));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::billing::uin/%s:account/%s", ctx->who.owner_uin, sp.uin);
    return 0;
}

static int describe_operator_account_channel(struct api_ctx *ctx)
{
    if (operator_only(ctx, "read account channels") != 0)
        return -1;
    const char *uin = api_str(ctx, "Uin", "");
    int rc = identity_account_exists(ctx->store, uin);
    if (rc != STORE_FOUND)
        return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_RESOURCE_NOT_FOUND, "No root account has Uin %s.", uin);
    struct tier t;
    struct partner p;
    if (pstore_account_tier(ctx->store, uin, &t) != STORE_FOUND)
        snprintf(t.tier, sizeof t.tier, "longtail");
    rc = pstore_partner_get(ctx->store, uin, &p);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The account's channel is unavailable.");
    json_object_set_new(ctx->out, "Uin", json_string(uin));
    json_object_set_new(ctx->out, "Tier", json_string(t.tier));
    json_object_set_new(ctx->out, "PartnerKind", json_string(rc == STORE_FOUND ? p.kind : ""));
    json_object_set_new(ctx->out, "ParentUin", json_string(rc == STORE_FOUND ? p.parent : ""));
    return 0;
}

static const char *const tiers[] = {"key", "growth", "longtail", NULL};
static const char *const kinds[] = {"distributor", "reseller", "second-level", NULL};
static const struct param p_create[] = {P_STR("Name", 0, 1, 64), P_END};
static const struct param p_tier[] = {P_STR("Uin", P_REQUIRED, 1, 24), P_ENUM("Tier", P_REQUIRED, tiers), P_END};
static const struct param p_partner[] = {P_STR("Uin", P_REQUIRED, 1, 24), P_ENUM("Kind", P_REQUIRED, kinds),
                                         P_STR("ParentUin", 0, 1, 24), P_INT("CreditCents", 0, 0, 1000000000000),
                                         P_END};
static const struct param p_channel[] = {P_STR("Uin", P_REQUIRED, 1, 24), P_END};

static const struct action actions[] = {
    {"billing", BILLING, "CreateOperatorAccount", create_operator_account, p_create, A_MUTATES, "account/*"},
    {"billing", BILLING, "ModifyOperatorAccountTier", modify_operator_account_tier, p_tier, A_MUTATES,
     "account/${Uin}"},
    {"billing", BILLING, "ModifyOperatorAccountPartner", modify_operator_account_partner, p_partner, A_MUTATES,
     "account/${Uin}"},
    {"billing", BILLING, "DescribeOperatorAccountChannel", describe_operator_account_channel, p_channel, 0,
     "account/${Uin}"},
};

void partner_operator_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
