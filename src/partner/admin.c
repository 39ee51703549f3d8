/*
 * admin: what the operator does to the channel (yun admin partner|bind|tier): make an existing
 * root account a partner of a kind with its own discounts, credit limit and rebate rates; file a
 * customer's pending application; set an account's tier. Each is one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"
#include "identity/sealed.h"
#include "partner/partner_int.h"

static int begin(struct store *s, char *err, size_t errlen)
{
    if (store_begin(s) == STORE_OK)
        return 0;
    snprintf(err, errlen, "store busy: %s", store_errmsg(s));
    return -1;
}

static int finish(struct store *s, int rc, char *err, size_t errlen)
{
    if (rc == 0 && store_commit(s) == STORE_OK)
        return 0;
    if (!err[0])
        snprintf(err, errlen, "store: %s", store_errmsg(s));
    store_rollback(s);
    return -1;
}

static int account_exists(struct store *s, const char *uin, char *err, size_t errlen)
{
    int rc = identity_account_exists(s, uin);
    if (rc == STORE_FOUND)
        return 0;
    snprintf(err, errlen, rc < 0 ? "store: %s" : "no root account has Uin %s", rc < 0 ? store_errmsg(s) : uin);
    return -1;
}

int partner_make_tx(struct store *s, const struct partner_spec *sp, char code[24], char *err, size_t errlen)
{
    err[0] = 0;
    const char *kind = sp->kind ? sp->kind : "";
    if (strcmp(kind, "distributor") && strcmp(kind, "reseller") && strcmp(kind, "second-level")) {
        snprintf(err, errlen, "--kind is distributor, reseller or second-level");
        return -1;
    }
    if (!strcmp(kind, "second-level") != !!(sp->parent && sp->parent[0])) {
        snprintf(err, errlen, "a second-level reseller, and only one, names its distributor with --parent");
        return -1;
    }
    if (sp->credit_cents < 0) {
        snprintf(err, errlen, "--credit-cents is a number of cents >= 0");
        return -1;
    }
    int rc = account_exists(s, sp->uin, err, errlen);
    if (rc == 0 && identity_is_operator(s, sp->uin) == 1) {
        snprintf(err, errlen, "the operator's own account cannot be a partner");
        rc = -1;
    }
    struct partner p = {0}, parent, old;
    struct client c;
    if (rc == 0 && pstore_client_get(s, sp->uin, &c) == STORE_FOUND && strcmp(c.status, CLIENT_REJECTED) &&
        strcmp(c.status, CLIENT_UNBOUND)) {
        snprintf(err, errlen, "%s is a customer of partner %s", sp->uin, c.partner);
        rc = -1;
    }
    if (rc == 0 && sp->parent && sp->parent[0]) {
        int f = pstore_partner_get(s, sp->parent, &parent);
        if (f != STORE_FOUND || strcmp(parent.kind, "distributor")) {
            snprintf(err, errlen, "--parent %s is not a distributor", sp->parent);
            rc = -1;
        }
    }
    if (rc == 0) {
        snprintf(p.uin, sizeof p.uin, "%s", sp->uin);
        snprintf(p.kind, sizeof p.kind, "%s", kind);
        snprintf(p.parent, sizeof p.parent, "%s", sp->parent ? sp->parent : "");
        p.credit_cents = sp->credit_cents;
        p.created = clock_now();
        int f = pstore_partner_get(s, sp->uin, &old);
        if (f == STORE_FOUND) /* made again: its settings change, its code stays */
            snprintf(p.code, sizeof p.code, "%s", old.code);
        else
            random_alnum(p.code, 10);
        rc = f < 0 || pstore_partner_put(s, &p) != 0 ? -1 : 0;
    }
    if (rc == 0 && sp->on_credit_exhausted)
        rc = pstore_credit_mode_put(s, sp->uin, sp->on_credit_exhausted);
    for (int i = 0; rc == 0 && i < sp->ndiscounts; i++)
        rc = pstore_own_discount_put(s, sp->uin, sp->discount_product[i], sp->discount_ppm[i]);
    for (int i = 0; rc == 0 && i < sp->nrebates; i++) {
        int cls = rebate_class_index(sp->rebate_class[i]);
        if (cls < 0 || sp->rebate_ppm[i] < 0 || sp->rebate_ppm[i] > BILLING_PPM) {
            snprintf(err, errlen, "--rebate is CLASS=RATE with CLASS A, B or C and 0 <= RATE <= 1");
            rc = -1;
        } else
            rc = pstore_rebate_rate_put(s, sp->uin, cls, sp->rebate_ppm[i]);
    }
    if (rc != 0) {
        if (!err[0])
            snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    memcpy(code, p.code, 24);
    return 0;
}

int partner_make(struct store *s, const struct partner_spec *sp, char code[24], char *err, size_t errlen)
{
    err[0] = 0;
    if (begin(s, err, errlen) != 0)
        return -1;
    return finish(s, partner_make_tx(s, sp, code, err, errlen), err, errlen);
}

struct spent {
    int any;
};

static int any_spend(void *arg, const struct billing_spend_row *r)
{
    ((struct spent *)arg)->any |= r->real_cost != 0;
    return 0;
}

/* Class b: the account spent on this cloud before it applied (an existing customer); a otherwise. */
static int client_flag(struct store *s, const char *client, int64_t t, char flag[8])
{
    struct spent sp = {0};
    if (billing_spend(s, client, 0, t, any_spend, &sp) != 0)
        return -1;
    snprintf(flag, 8, "%s", sp.any ? "b" : "a");
    return 0;
}

/* The application itself, in the caller's transaction (the operator's bind and the customer's action). */
int partner_apply(struct store *s, const char *partner_uin, const char *client_uin, const char *flag, int64_t t,
                  const char **code, char *err, size_t errlen)
{
    struct partner p, other;
    struct client c;
    char f[8];
    *code = E_INTERNAL_ERROR;
    int rc = pstore_partner_get(s, partner_uin, &p);
    if (rc != STORE_FOUND) {
        *code = E_PARTNER_BAD_CODE;
        snprintf(err, errlen, rc < 0 ? "store: %s" : "%s is not a partner", rc < 0 ? store_errmsg(s) : partner_uin);
        return -1;
    }
    if (!strcmp(partner_uin, client_uin) || pstore_partner_get(s, client_uin, &other) == STORE_FOUND ||
        identity_is_operator(s, client_uin) == 1) {
        *code = E_UNAUTHORIZED_OPERATION;
        snprintf(err, errlen, "%s is a partner or the operator: it cannot be a customer", client_uin);
        return -1;
    }
    if (pstore_client_get(s, client_uin, &c) == STORE_FOUND && strcmp(c.status, CLIENT_REJECTED) &&
        strcmp(c.status, CLIENT_UNBOUND)) {
        *code = E_PARTNER_ALREADY_BOUND;
        snprintf(err, errlen, "%s has applied to or is bound to a partner already", client_uin);
        return -1;
    }
    if (flag) {
        if (strcmp(flag, "a") && strcmp(flag, "b") && strcmp(flag, "c")) {
            *code = E_INVALID_PARAMETER_VALUE;
            snprintf(err, errlen, "a customer class is a, b or c");
            return -1;
        }
        snprintf(f, sizeof f, "%s", flag);
    } else if (client_flag(s, client_uin, t, f) != 0) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    rc = pstore_client_apply(s, partner_uin, client_uin, f, t);
    if (rc != 1) {
        *code = rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_ALREADY_BOUND;
        snprintf(err, errlen, rc < 0 ? "store: %s" : "%s has applied already", rc < 0 ? store_errmsg(s) : client_uin);
        return -1;
    }
    return 0;
}

int partner_bind(struct store *s, const char *partner_uin, const char *client_uin, const char *flag, char *err,
                 size_t errlen)
{
    err[0] = 0;
    if (begin(s, err, errlen) != 0)
        return -1;
    const char *code;
    int rc = account_exists(s, client_uin, err, errlen);
    if (rc == 0)
        rc = partner_apply(s, partner_uin, client_uin, flag, billing_now(s), &code, err, errlen);
    return finish(s, rc, err, errlen);
}

int partner_set_tier_tx(struct store *s, const char *uin, const char *tier, char *err, size_t errlen)
{
    err[0] = 0;
    struct tier t;
    int rc = account_exists(s, uin, err, errlen);
    if (rc == 0 && pstore_tier_find(s, tier, &t) != STORE_FOUND) {
        snprintf(err, errlen, "--tier is key, growth or longtail (the rows of partner_tiers)");
        rc = -1;
    }
    if (rc == 0)
        rc = pstore_account_tier_set(s, uin, tier, billing_now(s));
    if (rc != 0 && !err[0])
        snprintf(err, errlen, "store: %s", store_errmsg(s));
    return rc;
}

int partner_set_tier(struct store *s, const char *uin, const char *tier, char *err, size_t errlen)
{
    err[0] = 0;
    if (begin(s, err, errlen) != 0)
        return -1;
    return finish(s, partner_set_tier_tx(s, uin, tier, err, errlen), err, errlen);
}

struct outbox_print {
    int rc;
};
static int print_mail(void *arg, int64_t id, int64_t t, const char *from, const char *to, const char *subject,
                      const void *body, size_t len)
{
    uint8_t *plain = NULL;
    size_t plen;
    if (sealed_open(INTL_OUTBOX_CONTEXT, body, len, &plain, &plen) != 0) {
        ((struct outbox_print *)arg)->rc = -1;
        return -1;
    }
    json_t *j = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s%}", "Id", (json_int_t)id, "Time", (json_int_t)t, "From", from, "To",
                          to, "Subject", subject, "Body", (const char *)plain, plen);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(j);
    free(plain);
    return 0;
}

int partner_outbox_print(struct store *s, int64_t limit)
{
    struct outbox_print op = {0};
    if (istore_outbox_each(s, limit, print_mail, &op) != 0 || op.rc != 0)
        return -1;
    return 0;
}
