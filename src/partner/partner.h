/*
 * partner (service partners, 2018-03-21): the channel. Partners (distributors, resellers and
 * second-level resellers under a distributor) bind customers through an invitation code and an
 * audit, fund them (AgentTransferMoney), set their discounts within the partner's own, see their
 * bills and earn a monthly rebate on their paid spend. Customer tiers (key, growth, long tail) are
 * one table. Partner owns relationships, its own discounts, tiers and rebate policy; billing owns
 * every money movement and the discounts bills apply (src/billing/channel.c).
 */
#ifndef YUN_PARTNER_H
#define YUN_PARTNER_H

#include <stdint.h>

#include "api/api.h"

#define PARTNERS        "2018-03-21"
#define INTLPARTNERSMGT "2022-09-28"

int partner_migrate(struct store *s, char *err, size_t errlen);
int partner_is_partner(struct store *s, const char *uin); /* 1, 0, <0 error (the console shows its partner view) */
void partner_register(void);                              /* the partners actions and the month-end rebate job */

/* Operator side (yun admin), each in its own transaction. */
struct partner_spec {
    const char *uin, *kind, *parent; /* kind: distributor, reseller, second-level (parent: a distributor) */
    const char *discount_product[16];
    int64_t discount_ppm[16]; /* the partner's own discount from the operator, per product (or "*") */
    int ndiscounts;
    const char *rebate_class[3];
    int64_t rebate_ppm[3]; /* overrides of the default rebate rates per policy class A/B/C */
    int nrebates;
    int64_t credit_cents;
    const char *on_credit_exhausted; /* suspend (default) or keep; NULL keeps the current setting */
};
int partner_make(struct store *s, const struct partner_spec *p, char code[24], char *err, size_t errlen);
/* A pending application of client to partner (flag a/b/c, or NULL: b when the client has spent before). */
int partner_bind(struct store *s, const char *partner_uin, const char *client_uin, const char *flag, char *err,
                 size_t errlen);
int partner_set_tier(struct store *s, const char *uin, const char *tier, char *err, size_t errlen);
/* The same two inside the caller's transaction (the operator's console actions). */
int partner_make_tx(struct store *s, const struct partner_spec *p, char code[24], char *err, size_t errlen);
int partner_set_tier_tx(struct store *s, const char *uin, const char *tier, char *err, size_t errlen);
/* The quotas of uin's tier (partner_tiers) when a tier was set for it: 1 with both set, 0 when
 * none was (the platform's defaults apply), -1 error. Compute and block ask at creation. */
int partner_account_quota(struct store *s, const char *uin, int64_t *max_instances, int64_t *max_disk_gib);
/* The month-end job (run by billing's controller): rebates of every month ended before t. */
int partner_month_end(struct store *s, int64_t t);
/* The mails the channel would have sent (yun admin outbox), newest first, opened. */
int partner_outbox_print(struct store *s, int64_t limit);
/* yun admin voucher: a platform-funded voucher (kind platform: for a partner; trial: for a customer)
 * of cents, for product ("*" or NULL: any), valid for days from now on the business clock. */
int partner_voucher_admin(struct store *s, const char *uin, const char *kind, int64_t cents, const char *product,
                          int64_t days, const char *note, char id[24], char *err, size_t errlen);

#endif
