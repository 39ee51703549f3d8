/*
 * billing (service billing, 2018-07-09): the price book, rating, hourly settlement, balances and
 * their ledger, prepaid orders with expiry and renewal, and arrears. Money is integers: bills and
 * prices in the fine unit (1e-8 yuan, BILLING_FINE_PER_YUAN), balances and the ledger shown in cents.
 *
 * Usage comes from the meter (src/meter), which services write; billing writes only its own
 * tables. What billing does to a product's resources (shut them down in arrears, stop them when a
 * prepaid period ends, release them) goes through the hooks each product registers.
 */
#ifndef YUN_BILLING_H
#define YUN_BILLING_H

#include <stdint.h>

#include "api/api.h"

#define BILLING "2018-07-09"

#define BILLING_FINE_PER_YUAN 100000000LL
#define BILLING_FINE_PER_CENT 1000000LL
#define BILLING_PPM           1000000LL /* discounts: parts per million of list price */

int billing_migrate(struct store *s, char *err, size_t errlen);
void billing_register(void);
/* The settlement controller (settlement, expiry, arrears on the business clock). */
int billing_start(const struct config *cfg, int test_clock, char *err, size_t errlen);
void billing_stop(void);
void billing_kick(void);

/* What billing may ask of a product (any hook may be NULL). Each runs inside billing's transaction. */
struct billing_product {
    const char *product;                                                 /* cvm, cbs ... */
    int (*isolate)(struct store *s, const char *owner_uin, int64_t t);   /* arrears: shut down postpaid */
    int (*restore)(struct store *s, const char *owner_uin, int64_t t);   /* paid again: may start again */
    int (*release)(struct store *s, const char *owner_uin, int64_t t);   /* retention over: release postpaid */
    int (*expire)(struct store *s, const char *resource_id, int64_t t);  /* prepaid period over: stop */
    int (*renewed)(struct store *s, const char *resource_id, int64_t t); /* renewed after it expired */
    int (*reclaim)(struct store *s, const char *resource_id, int64_t t); /* expired beyond retention: release */
    void (*after_commit)(void);                                          /* e.g. wake the product's controller */
};
void billing_register_product(const struct billing_product *p);

/* One priced part of a resource (a price book component and item, in its unit). */
struct billing_item {
    const char *component, *item;
    int64_t quantity;
};
struct billing_price {
    int64_t list;         /* fine units, before discount */
    int64_t real;         /* after the account's discount */
    int64_t discount_ppm; /* BILLING_PPM = no discount */
    int64_t unit_list;    /* list price of one hour (postpaid) or one month (prepaid) */
};
/* Prices items for owner: postpaid per hour (months = 0) or prepaid for `months`. 0, or -1 with
 * code/msg (an item the price book does not price). */
int billing_quote(struct store *s, const char *owner_uin, const char *region, const char *product,
                  const struct billing_item *items, int nitems, int months, int64_t t, struct billing_price *out,
                  char *code, size_t clen, char *msg, size_t mlen);

/* A prepaid purchase: priced, paid from the owner's balance and recorded (order, bill row,
 * ledger entry) in the caller's transaction; refused with InsufficientBalance when the balance
 * does not cover it. */
struct billing_order {
    const char *owner_uin, *operator_uin, *product, *region, *zone, *resource_id, *resource_name;
    const struct billing_item *items;
    int nitems;
    int months;
    const char *renew_flag; /* NOTIFY_AND_MANUAL_RENEW, NOTIFY_AND_AUTO_RENEW, DISABLE_NOTIFY_AND_MANUAL_RENEW */
};
int billing_prepay(struct store *s, const struct billing_order *o, int64_t t, char order_id[40], int64_t *expire,
                   char *code, size_t clen, char *msg, size_t mlen);
/* Renews a prepaid resource for months from its current expiry; 0 or -1 with code/msg. */
int billing_renew(struct store *s, const char *owner_uin, const char *operator_uin, const char *resource_id, int months,
                  int64_t t, int64_t *expire, char *code, size_t clen, char *msg, size_t mlen);
/* The resource is released before its period ends: the unused part is refunded (see docs/billing.md). */
int billing_refund(struct store *s, const char *owner_uin, const char *resource_id, int64_t t);
/* Prepaid state of a resource: 1 found (expire, renew_flag set), 0 not prepaid, -1 error. */
int billing_prepaid_info(struct store *s, const char *resource_id, int64_t *expire, char renew_flag[40]);
int billing_set_renew_flag(struct store *s, const char *owner_uin, const char *resource_id, const char *flag);
/* 1 when the owner may not buy or start postpaid resources now, 0 if it may, -1 error: it is in
 * arrears, or it lives on credit from a partner that is used up (its own grant, or its partner's
 * or distributor's credit: asked through the credit check hook). Compute and block ask it. */
int billing_in_arrears(struct store *s, const char *owner_uin);
/* 1 when the owner is in arrears (overdue), 0 if not, -1 error: what the partner views show. */
int billing_overdue(struct store *s, const char *owner_uin);

/* Operator side (yun admin). */
int rate_parse_yuan(const char *s, int64_t *fine); /* "0.12" -> 12000000; at most 8 places, >= 0 */
int rate_parse_ratio(const char *s, int64_t *ppm); /* "0.8" -> 800000; 0 < r <= 1 */
void rate_yuan(int64_t fine, char out[32]);        /* "0.35000000" (8 places) */
int64_t billing_now(struct store *s);              /* the business clock as the store has it */
int billing_recharge(struct store *s, const char *uin, int64_t cents, const char *channel, int64_t *balance_cents,
                     char *err, size_t errlen);
/* The same inside the caller's transaction; bill_id (may be NULL) receives the ledger row's id. */
int billing_credit(struct store *s, const char *uin, int64_t cents, const char *channel, int64_t *balance_cents,
                   char bill_id[40], char *err, size_t errlen);
int billing_set_discount(struct store *s, const char *uin, const char *product, int64_t ppm, int64_t from, char *err,
                         size_t errlen);
/* The same with who set it: "operator" (yun admin discount) or "partner" (a partner's customer discount). */
int billing_set_discount_source(struct store *s, const char *uin, const char *product, int64_t ppm, int64_t from,
                                const char *source, char *err, size_t errlen);
int billing_exempt(struct store *s, const char *uin, int on); /* no arrears enforcement (the operator's own) */
/* Moves a --test-clock daemon's clock forward and waits until it has processed the new time. */
int billing_clock_advance(struct store *s, const char *data_dir, int64_t seconds, int64_t *now, char *err,
                          size_t errlen);

/* A job run by the controller on the business clock after each settled hour and each pass, outside
 * any transaction (e.g. the partner channel's month-end rebates). At most 8. */
void billing_register_job(int (*job)(struct store *s, int64_t t));

/* channel.c: what the partner channel asks of billing, each in the caller's transaction. */
/* Moves cents from one account's cash to another's: one agentout and one agentin ledger row;
 * refused (InsufficientBalance) when from's cash does not cover it. 0, or -1 with code/msg. */
int billing_transfer(struct store *s, const char *from_uin, const char *to_uin, int64_t cents, int64_t t,
                     char out_id[40], char in_id[40], char *code, size_t clen, char *msg, size_t mlen);
/* Credits income (a rebate) to uin's cash as one ledger row (ActionType recharge, PayChannel channel). */
int billing_income(struct store *s, const char *uin, int64_t cents, const char *channel, const char *info, int64_t t,
                   char bill_id[40]);
int billing_balance_cents(struct store *s, const char *uin, int64_t *cents); /* floored, 0 for no ledger */
/* An account's bill rows with fee_begin in [from, to), summed per product, pay mode and order. */
struct billing_spend_row {
    const char *product, *pay_mode, *order_id; /* order_id "" for postpaid */
    const char *payer;                         /* who paid: the owner, or its partner paying on its behalf */
    int64_t pay_time, cost, real_cost, cash;   /* fine units */
};
int billing_spend(struct store *s, const char *owner_uin, int64_t from, int64_t to,
                  int (*row)(void *arg, const struct billing_spend_row *r), void *arg);
/* The same rows' cash summed per product only (the month-end rebate: cheaper than billing_spend);
 * row gets product and cash (fine units) with the other fields empty. */
int billing_cash_by_product(struct store *s, const char *owner_uin, int64_t from, int64_t to,
                            int (*row)(void *arg, const struct billing_spend_row *r), void *arg);

/* channel_bills.c: an account's bill components with fee_begin in [from, to), oldest first. */
struct billing_component_row {
    const char *detail_id, *product, *sub_product, *pay_mode, *action_type, *region, *zone, *resource_id,
        *resource_name, *bill_id, *payer_uin, *operate_uin, *component, *item, *unit;
    int64_t pay_time, fee_begin, fee_end, discount_ppm, price, unit_qty;
    int hourly;                             /* priced per hour (else per month or per use) */
    int64_t used, hours;                    /* fine units of the quantity per unit, and of hours */
    int64_t cost, real_cost, voucher, cash; /* fine units */
};
int billing_components_each(struct store *s, const char *owner, int64_t from, int64_t to,
                            int (*fn)(void *arg, const struct billing_component_row *r), void *arg);
const char *billing_business_code(const char *product); /* p_cvm, as the bills' BusinessCode */

/* voucher.c: vouchers, paid out first in rating (docs/billing.md). Kinds: */
#define BILLING_VOUCHER_PLATFORM "platform" /* the operator's, for a partner */
#define BILLING_VOUCHER_TRIAL    "trial"    /* the operator's, a trial for a named customer */
#define BILLING_VOUCHER_PARTNER  "partner"  /* a partner's, for its customer, paid from its cash at issue */
#define BILLING_VOUCHER_UNUSED   "unUsed"
#define BILLING_VOUCHER_USED     "used"
#define BILLING_VOUCHER_EXPIRED  "overdue"
struct billing_voucher_spec {
    const char *owner_uin, *issuer_uin, *kind, *product, *note; /* product "*": any */
    int64_t amount;                                             /* fine units */
    int64_t begin, end;                                         /* valid over [begin, end), business clock */
};
/* In the caller's transaction: a partner voucher is paid from the issuer's cash (one ledger row;
 * InsufficientBalance when it does not cover it). 0 with id, or -1 with code/msg. */
int billing_voucher_issue(struct store *s, const struct billing_voucher_spec *v, int64_t t, char id[24], char *code,
                          size_t clen, char *msg, size_t mlen);
struct billing_voucher {
    char id[24], owner[24], issuer[24], kind[16], product[16], note[128];
    int64_t amount, balance, begin, end, created;
};
int billing_vouchers(struct store *s, const char *owner, struct billing_voucher **out, int *n); /* malloc'd */
int billing_vouchers_issued(struct store *s, const char *issuer, int64_t *n);     /* how many issuer issued */
const char *billing_voucher_status(const struct billing_voucher *v, int64_t now); /* unUsed ... */
struct billing_voucher_use {
    char detail_id[96], product[16], pay_mode[16];
    int64_t used, time;
};
int billing_voucher_usage(struct store *s, const char *voucher_id, struct billing_voucher_use **out, int *n);
/* Pay-on-behalf: the partner channel names who pays an owner's charges (1 with payer set, 0 the
 * owner itself, -1 error). Every charge (hourly settlement, prepaid order, renewal) and refund is
 * then debited or credited to the payer, with a row of 0 on the owner's ledger naming the payer,
 * and the bill rows and deals record the payer. */
void billing_register_payer(int (*payer)(struct store *s, const char *owner_uin, char payer[24]));
int billing_payer_of(struct store *s, const char *owner_uin, char payer[24]); /* the owner when none */
/* One charge (amount < 0) or refund (> 0) of the owner's, in the caller's transaction. */
int billing_charge(struct store *s, const char *owner_uin, const char *payer, int64_t amount, const char *action,
                   const char *deduct_mode, const char *info, int64_t t, char bill_id[40]);
/* Credit: an account's credit (allocated by its partner) counts as balance for orders and for
 * the arrears path (cash + credit < 0 is arrears). The partner channel checks its partners'
 * credit when an order eats into a customer's (cash before, amount in fine units): 0 allowed, -1
 * refused with code and msg. */
int billing_credit_of(struct store *s, const char *uin, int64_t *credit);          /* fine units, 0 for none */
int billing_set_credit(struct store *s, const char *uin, int64_t fine, int64_t t); /* fine units, caller's tx */
void billing_register_credit_check(int (*check)(struct store *s, const char *uin, int64_t cash, int64_t amount,
                                                char *code, size_t clen, char *msg, size_t mlen));
int billing_check_credit(struct store *s, const char *uin, int64_t cash, int64_t amount, char *code, size_t clen,
                         char *msg, size_t mlen);
/* Ends the discounts source set for uin from t on (an unbinding): rows dated later are removed,
 * and where source's is in force, the latest of anyone else's (or none) applies again. */
int billing_end_discounts(struct store *s, const char *uin, const char *source, int64_t t);
/* Unpaid deals: when a prepaid resource of a partner's bound customer expires unrenewed, a
 * one-month renewal is left unpaid (deal status 1, payer the partner named by the agent hook; 8
 * when the resource is released first, 7 when it is renewed otherwise). Paying it renews the
 * resource from its expiry (restoring it), paid by payer (the partner, or the owner itself), in
 * the caller's transaction: the deal keeps its name and becomes 4. 0 (*wake: the product's after_commit,
 * to run once committed), or -1 with code/msg (ResourceNotFound, FailedOperation.DealPaid/DealExpired,
 * InvalidAccount.InsufficientBalance). */
void billing_register_agent(int (*agent)(struct store *s, const char *owner_uin, char partner[24]));
int billing_agent_of(struct store *s, const char *owner_uin, char partner[24]); /* 1 bound, 0 not, -1 */
int billing_pay_deal(struct store *s, const char *owner_uin, const char *order_id, const char *payer,
                     const char *operator_uin, int64_t t, void (**wake)(void), char *code, size_t clen, char *msg,
                     size_t mlen);
/* Forced suspension (the partner channel's ForceQN): the hook answers 1 when owner is suspended
 * (then billing_in_arrears refuses its postpaid purchases); billing_suspend shuts down (on) or lets
 * start again (off, unless in arrears) the account's postpaid resources through the products'
 * isolate/restore hooks, in the caller's transaction, with a note for the customer. */
void billing_register_suspended(int (*suspended)(struct store *s, const char *owner_uin));
int billing_suspend(struct store *s, const char *uin, int on, int64_t t);
/* An owner's prepaid deals created in [from, to). Amounts in fine units; status as Tencent's
 * (1 unpaid, 4 delivered, 6 refunded, 7 closed, 8 expired). */
struct billing_deal_row {
    const char *order_id, *big_deal_id, *owner, *payer, *creator, *product, *action, *resource_id, *bill_id;
    int status;
    int64_t months, total_cost, real_total_cost, create_time, discount_ppm;
};
int billing_deals(struct store *s, const char *owner_uin, int64_t from, int64_t to,
                  int (*row)(void *arg, const struct billing_deal_row *r), void *arg);

/* The price book (yun admin price list|set, the operator's DescribeOperatorPrices/ModifyOperatorPrice):
 * every row as JSON (NULL: error); one row put from its JSON fields, effective from now or later,
 * what is not given kept from the row in force (in the caller's transaction). */
json_t *billing_price_list(struct store *s);
int billing_price_put(struct store *s, json_t *row, int64_t now, char *err, size_t errlen);

#endif
