/* billing's private header: what its files share. One file per concern:
 *   billing.c     tables, registration, hooks          rate.c     pure arithmetic (unit tested)
 *   price.c       the price book and quotes            ledger.c   balances and the money ledger
 *   settle.c      hourly settlement of metered usage   prepaid.c  orders, renewal, expiry, refunds
 *   arrears.c     the overdue state table              controller.c  the thread on the business clock
 *   actions.c     balance, ledger and order actions    bills.c    bill views (L3 details, L2 resources)
 *   summary.c     L1 summaries by product, region, pay mode and tag, and the cost summary
 */
#ifndef YUN_BILLING_INT_H
#define YUN_BILLING_INT_H

#include "api/codes.h"
#include "api/filters.h"
#include "billing/billing.h"
#include "billing/codes.h"
#include "meter/meter.h"

/* rate.c: integer money arithmetic. Rounding is half up, away from zero, once per bill component
 * at the fine unit; cents views of a balance are floored (towards negative infinity). */
int64_t rate_cost(int64_t price, int64_t quantity, int64_t unit_qty, int64_t seconds, int64_t period_s);
int64_t rate_discount(int64_t cost, int64_t ppm);
int64_t rate_div_half_up(int64_t num, int64_t den);   /* den > 0 */
int64_t rate_muldiv(int64_t a, int64_t b, int64_t c); /* a x b / c, half up, in 128 bits; 0 when c is 0 */
int64_t rate_cents_floor(int64_t fine);
void rate_ratio(int64_t ppm, char out[32]);            /* "0.80000000" */
void rate_yuan2(int64_t fine, char out[32]);           /* two places, half up: "12.35" */
int64_t rate_months_seconds(int64_t from, int months); /* calendar months from `from` (UTC), in seconds */

/* price.c */
struct price_row {
    int64_t price, unit_qty, period_s; /* price per unit_qty units per period_s seconds (0 = per use) */
    char unit[32];                     /* e.g. "GB", "核", "个" */
};
int price_find(struct store *s, const char *region, const char *product, const char *component, const char *item,
               const char *pay_mode, int64_t t, struct price_row *out);
int64_t discount_ppm(struct store *s, const char *uin, const char *product, int64_t t); /* -1 on error */
int price_seed(struct store *s);                                                        /* the default book */
/* Names a product, component and item show in bills (BusinessCodeName...). */
const char *price_product_name(const char *product);
const char *price_business_code(const char *product); /* p_cvm */
const char *price_component_name(const char *component);

/* ledger.c: every money movement is one call, in the caller's transaction: the account's cash
 * changes by amount (fine units, + credit, - debit) and one ledger row records it; bill_id names
 * the row when it is not empty, and receives its id. */
int ledger_move(struct store *s, const char *uin, int64_t amount, const char *action, const char *deduct_mode,
                const char *channel, const char *info, int64_t t, char bill_id[40], int64_t *cash_after);
int ledger_cash(struct store *s, const char *uin, int64_t *cash); /* 0 (cash 0 for an unknown account) or -1 */
/* channel.c: 1 when owner, on a partner's credit, has none left to start postpaid resources; and
 * whether its partner suspended it (ForceQN): 1, 0, -1 each. */
int channel_postpaid_refused(struct store *s, const char *owner_uin);
int channel_suspended(struct store *s, const char *owner_uin);
void billing_new_id(char out[40], int64_t t); /* 20261202 + 15 random digits */

/* voucher.c: what rating asks of vouchers, in the caller's transaction */
int voucher_migrate(struct store *s, char *err, size_t errlen);
void voucher_api_register(void); /* voucher_api.c */
int voucher_available(struct store *s, const char *owner, const char *product, int64_t at, int64_t *avail);
/* Takes amount from the owner's usable vouchers (soonest expiring first), one usage row each. */
int voucher_consume(struct store *s, const char *owner, const char *product, int64_t at, int64_t amount,
                    const char *detail_id, const char *pay_mode, int64_t t);

/* settle.c: settles [hour, hour+3600) for every account, each account exactly once */
int settle_hour(struct store *s, int64_t hour);

/* arrears.c: moves each account along the overdue state table at time t */
int arrears_pass(struct store *s, int64_t t);
struct overdue_state {
    const char *name;
    int64_t after_s; /* entered this long after the balance went below zero */
    int (*apply)(struct store *s, const char *uin, int64_t t);
};
extern int64_t arrears_grace_s, arrears_retention_s;

/* prepaid.c: expiry, auto-renewal and reclaiming at time t */
int prepaid_pass(struct store *s, int64_t t);

/* billing.c: products' hooks */
int billing_product_count(void);
const struct billing_product *billing_product_at(int i);
const struct billing_product *billing_product_find(const char *product);
void billing_note(struct store *s, const char *uin, const char *kind, const char *message, int64_t t);

/* controller.c */
int billing_state_get(struct store *s, const char *name, int64_t *v); /* 1 found, 0 not, -1 error */
int billing_state_set(struct store *s, const char *name, int64_t v);

/* bills.c: the period of a bill and the WHERE of an account's L3 rows in it */
struct period {
    int64_t from, to; /* [from, to] on fee_begin */
    char month[8];    /* "" when a time range was given */
};
struct detail_filter {
    char sql[512];
    const char *args[8];
    int64_t from, to;
    int nargs;
    char project[24];
};
int month_range(const char *m, int64_t *from, int64_t *to); /* "yyyy-mm" -> [first second, last second] */
/* Month or BeginTime/EndTime (yyyy-mm-dd hh:mm:ss) of the request; -1 with the error set. */
int bills_period(struct api_ctx *ctx, struct period *p, int64_t max_span);
/* The request's optional filters (PayMode, ResourceId, ActionType, BusinessCode, ProjectId, PayerUin). */
int detail_filter(struct api_ctx *ctx, const struct period *p, struct detail_filter *f);
/* "SELECT cols FROM billing_details WHERE <filter> tail" with the filter's parameters. */
struct store_stmt *detail_query(struct api_ctx *ctx, const struct detail_filter *f, const char *cols, const char *tail);
const char *action_type_name(const char *code); /* postpay_deduct_h -> 按量计费扣费 */

/* actions.c, bills.c, summary.c */
void billing_actions_register(void);
void bills_register(void);
void summary_register(void);

#endif
