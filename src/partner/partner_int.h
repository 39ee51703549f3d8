/* partner's private header: what its files share. One file per concern:
 *   store.c    every partner_* statement (the only file that speaks SQL), migrations
 *   rebate.c   the rebate arithmetic (pure, unit tested), months, and the month-end job
 *   admin.c    the operator's commands (make a partner, bind, tier)
 *   actions.c  the partners actions and yun's extensions
 */
#ifndef YUN_PARTNER_INT_H
#define YUN_PARTNER_INT_H

#include "api/filters.h"
#include "billing/billing.h"
#include "partner/codes.h"
#include "partner/partner.h"

/* store.c */
struct partner {
    char uin[24], kind[16], parent[24], code[24];
    int64_t credit_cents, created;
};
struct client {
    char partner[24], client[24], status[12], flag[8], type[16], project[16], remark[256], sales[24], note[256];
    int64_t apply_time, agent_time;
};
#define CLIENT_PENDING  "pending"
#define CLIENT_BOUND    "bound"
#define CLIENT_REJECTED "rejected"
#define CLIENT_UNBOUND  "unbound" /* it left the partner: it may apply to another */

int pstore_partner_get(struct store *s, const char *uin, struct partner *p); /* STORE_FOUND, STORE_NOT_FOUND, <0 */
int pstore_partner_by_code(struct store *s, const char *code, struct partner *p);
int pstore_partner_put(struct store *s, const struct partner *p);
int pstore_partners(struct store *s, char (**uins)[24], int *n); /* every partner; *uins malloc'd */
int pstore_own_discount_put(struct store *s, const char *partner, const char *product, int64_t ppm);
int64_t pstore_own_discount(struct store *s, const char *partner, const char *product); /* -1 error */
int pstore_rebate_rate_put(struct store *s, const char *partner, int cls, int64_t ppm);
struct rebate_policy;
int pstore_rebate_policy(struct store *s, const char *partner, struct rebate_policy *p);
int pstore_client_get(struct store *s, const char *client_uin, struct client *c); /* any partner */
int pstore_client_apply(struct store *s, const char *partner, const char *client, const char *flag, int64_t t);
int pstore_client_audit(struct store *s, const char *partner, const char *client, const char *status, const char *note,
                        int64_t t);
int pstore_client_remark(struct store *s, const char *partner, const char *client, const char *remark);
/* The partner's customers in a status, ordered by apply_time (pending) or agent_time; malloc'd. */
int pstore_clients(struct store *s, const char *partner, const char *status, int descending, struct client **out,
                   int *n);
int pstore_rebate_claim(struct store *s, const char *partner, const char *month, int64_t t); /* 1, 0 done, -1 */
struct rebate_row;
int pstore_rebate_put(struct store *s, const char *partner, const char *month, const struct rebate_row *r,
                      int64_t quarter_sales, const char *bill_id, int64_t t);
/* Month sales (cents) of the class and flag in the given earlier months of the quarter. */
int64_t pstore_quarter_before(struct store *s, const char *partner, int cls, int overdue, const char *quarter_from,
                              const char *month);
struct rebate_view {
    char month[8], cls[2], flag[24];
    int64_t amt, month_sales, quarter_sales;
};
int pstore_rebates(struct store *s, const char *partner, const char *month, struct rebate_view **out, int *n);
int pstore_state_get(struct store *s, const char *name, int64_t *v); /* STORE_FOUND, STORE_NOT_FOUND, <0 */
int pstore_state_set(struct store *s, const char *name, int64_t v);
struct tier {
    char tier[16], grade[8], support[32];
    int64_t max_instances, max_disk_gib;
};
int pstore_tier_find(struct store *s, const char *tier, struct tier *t);   /* a tier of the table */
int pstore_account_tier(struct store *s, const char *uin, struct tier *t); /* longtail when none is set */
int pstore_account_tier_set(struct store *s, const char *uin, const char *tier, int64_t t);

/* store_channel.c: unbinding, salespeople, pay-on-behalf */
int pstore_channel_migrate(struct store *s, char *err, size_t errlen);
#define UNBIND_REVIEWING      0
#define UNBIND_DONE           1
#define UNBIND_REJECTED       4
#define UNBIND_REVIEW_SECONDS (10 * 86400) /* the partner reviews a customer's request within 10 days */
struct unbind {
    char id[40], partner[24], client[24], by[12], note[256];
    int status;
    int64_t agent_time, apply_time, due_time, action_time;
};
int pstore_unbind_put(struct store *s, const struct unbind *u);
int pstore_unbind_pending(struct store *s, const char *client, struct unbind *u);                  /* STORE_FOUND ... */
int pstore_unbind_close(struct store *s, const char *id, int status, const char *note, int64_t t); /* rows */
int pstore_client_unbound(struct store *s, const char *partner, const char *client);               /* rows */
int pstore_unbinds(struct store *s, const char *partner, int descending, struct unbind **out, int *n);
int pstore_unbinds_due(struct store *s, int64_t t, struct unbind **out, int *n);
int pstore_unbound_windows(struct store *s, const char *partner, int64_t from, int64_t to, struct unbind **out, int *n);

struct salesman {
    char partner[24], uin[24], name[128];
    int64_t created;
};
int pstore_salesman_put(struct store *s, const struct salesman *m);                /* 1 added, 0 there, -1 */
int pstore_salesman_delete(struct store *s, const char *partner, const char *uin); /* 1, 0 none, -1 */
int pstore_salesman_get(struct store *s, const char *partner, const char *uin, struct salesman *m);
int pstore_salesmen(struct store *s, const char *partner, int descending, struct salesman **out, int *n);
int pstore_client_sales(struct store *s, const char *partner, const char *client, const char *status, const char *sales,
                        const char *was);

int pstore_pay_relation_put(struct store *s, const char *partner, const char *client, int64_t t); /* 1, 0 there */
int pstore_pay_relation_delete(struct store *s, const char *partner, const char *client);         /* rows */
int pstore_pay_relation_get(struct store *s, const char *client, char partner[24]);               /* STORE_FOUND */

int pstore_credit_mode_put(struct store *s, const char *partner, const char *mode);
int pstore_credit_mode(struct store *s, const char *partner, char mode[12]); /* "suspend" when unset */
int pstore_second_levels(struct store *s, const char *distributor, char (**uins)[24], int *n);
int pstore_credit_alert_put(struct store *s, const char *uin, const char *month, int level, const char *role,
                            const char *partner, int64_t used, int64_t credit, int64_t t); /* 1 new, 0 had */
struct credit_alert {
    char uin[24], month[8], role[12], partner[24];
    int level;
    int64_t used, credit, time;
};
int pstore_credit_alerts(struct store *s, const char *uin, int as_partner, const char *month, struct credit_alert **out,
                         int *n);

/* ForceQN: 1 changed, 0 as it was, -1; _get: 1 suspended by its partner, 0 not, -1 */
int pstore_force_qn_put(struct store *s, const char *partner, const char *client, int64_t t);
int pstore_force_qn_delete(struct store *s, const char *client);
int pstore_force_qn_get(struct store *s, const char *client);
void partner_forceqn_register(void); /* forceqn.c */

int partner_tree_clients(struct store *s, const struct partner *p, int descending, struct client **out, int *n);

/* credit.c: the one credit model (grants in partner_credits, fine units), the checks billing asks
 * for, the alerts job */
void partner_credit_register(void);
int credit_used(struct store *s, const char *client, int64_t *used); /* fine units: what it owes */
/* What grantor granted holder (fine units; 0 when none or granted by another). */
int credit_held(struct store *s, const char *grantor, const char *holder, int64_t *fine);
/* A partner's total credit (the operator's plus the pool its distributor gave it) and, unless
 * NULL, the sum of its grants. */
int credit_partner_total(struct store *s, const struct partner *p, int64_t *total, int64_t *allocated);
/* Sets grantor's grant to holder (a bound customer when customer, else a second-level reseller's
 * pool) to total fine units, in the caller's transaction: an increase is capped by what the grantor
 * has left (FailedOperation.InsufficientCredit); a history row; a customer's reaches billing's
 * credit column. 0, or -1 with code and msg. */
int credit_grant(struct store *s, const struct partner *grantor, const char *holder, int customer, int64_t total,
                 const char *operator_uin, const char *remark, int64_t t, char *code, size_t clen, char *msg,
                 size_t mlen);

/* pay.c: pay-on-behalf and the deal views */
void partner_pay_register(void);

/* sales.c: the partner's salespeople and their customers */
void partner_sales_register(void);
void partner_operator_register(void);
const char *partner_sales_name(struct store *s, const char *partner, const char *sales, char out[128]); /* "" */

/* unbind.c: the actions and the job approving requests the partner did not review in time */
void partner_unbind_register(void);
int partner_unbind_job(struct store *s, int64_t t);

/* rebate.c: policy classes A/B/C; each product falls in one (exact, else the "*" row). */
#define REBATE_CLASSES 3
struct rebate_policy {
    struct {
        char product[16];
        int cls;
    } map[16];
    int nmap;
    int64_t rate_ppm[REBATE_CLASSES];
};
extern const int64_t rebate_default_ppm[REBATE_CLASSES];
extern const char *const rebate_default_map[][2];                        /* {product, class} ..., {NULL, NULL} */
int rebate_class_of(const struct rebate_policy *p, const char *product); /* 0..2, -1 in no class */
int rebate_class_index(const char *name);                                /* "A" -> 0, -1 */
struct rebate_line {
    const char *product;
    int64_t cash; /* fine units paid in the month */
    int overdue;  /* the customer is in arrears at month end */
};
struct rebate_row {
    int cls, overdue, used;
    int64_t sales_fine, sales_cents, amt_cents;
};
/* Sums lines per (class, overdue) and prices each sum at the class's rate: cents floored, never
 * negative. out[cls][overdue]. */
void rebate_compute(const struct rebate_policy *p, const struct rebate_line *lines, int n,
                    struct rebate_row out[REBATE_CLASSES][2]);
int64_t month_start(int64_t t);                 /* the first second of t's month (UTC) */
int64_t month_next(int64_t start);              /* the first second of the next month */
int64_t quarter_start(int64_t start);           /* the first second of the quarter */
void month_name(int64_t t, char out[8]);        /* "2026-12" */
int month_parse(const char *m, int64_t *start); /* "yyyy-mm" -> its first second; -1 */
int64_t fine_to_cents(int64_t fine);            /* floored towards negative infinity */

/* admin.c: a pending application of client to partner in the caller's transaction; -1 with *code. */
int partner_apply(struct store *s, const char *partner_uin, const char *client_uin, const char *flag, int64_t t,
                  const char **code, char *err, size_t errlen);

/* actions.c */
void partner_actions_register(void);

/* intl_store.c: the international channel's tables (migrations of their own, "partner_intl") */
int intl_migrate(struct store *s, char *err, size_t errlen);
struct intl_client {
    char client[24], partner[24], mail[129], mobile[33], name[201], type[16];
    int64_t created;
};
int istore_client_put(struct store *s, const struct intl_client *c);
int istore_client_get(struct store *s, const char *uin, struct intl_client *c); /* zeroed when none */
/* The credit (fine units) granted to holder, and by whom: STORE_FOUND, STORE_NOT_FOUND (0), <0. */
int istore_credit_get(struct store *s, const char *holder, char grantor[24], int64_t *fine);
int istore_credit_set(struct store *s, const char *grantor, const char *holder, int64_t fine, int64_t t);
int istore_credit_granted(struct store *s, const char *grantor, int64_t *fine); /* the sum of its grants */
struct credit_entry {
    char grantor[24], holder[24], operator_uin[24], remark[257];
    int64_t delta, total_after, remaining_after, time;
};
int istore_history_add(struct store *s, const struct credit_entry *e);
int istore_history(struct store *s, const char *grantor, const char *holder, struct credit_entry **out, int *n);
#define INTL_OUTBOX_CONTEXT "partner-outbox"
int istore_outbox_add(struct store *s, const char *from, const char *to, const char *subject, const void *body,
                      size_t len, int64_t t);
int istore_outbox_each(struct store *s, int64_t limit,
                       int (*fn)(void *arg, int64_t id, int64_t t, const char *from, const char *to,
                                 const char *subject, const void *body, size_t len),
                       void *arg);

/* intl.c: the intlpartnersmgt actions */
/* A JSON number (the SDK's float) to fine units exactly: at most 8 places and 1e10 in magnitude,
 * finite. 0, or -1. */
int intl_amount_fine(double d, int64_t *fine);
void intl_register(void);
void voucher_register(void); /* voucher.c */

#endif
