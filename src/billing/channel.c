/*
 * channel: what the partner channel (src/partner) asks of billing. Billing owns every money
 * movement, so a partner's transfer to its customer and its monthly rebate are ledger moves made
 * here, in the caller's transaction; the customers' spend is read here from billing's own rows.
 */
#include <stdio.h>
#include <string.h>

#include "billing/billing_int.h"

int billing_transfer(struct store *s, const char *from_uin, const char *to_uin, int64_t cents, int64_t t,
                     char out_id[40], char in_id[40], char *code, size_t clen, char *msg, size_t mlen)
{
    int64_t cash;
    if (cents <= 0 || cents > (int64_t)1e12) {
        snprintf(code, clen, "%s", E_INVALID_PARAMETER_VALUE);
        snprintf(msg, mlen, "A transfer is a positive number of cents.");
        return -1;
    }
    if (ledger_cash(s, from_uin, &cash) != 0)
        goto store_failed;
    if (cash < cents * BILLING_FINE_PER_CENT) {
        snprintf(code, clen, "%s", E_INSUFFICIENT_BALANCE);
        snprintf(msg, mlen, "The balance (%lld cents) does not cover %lld cents.", (long long)rate_cents_floor(cash),
                 (long long)cents);
        return -1;
    }
    char info_out[96], info_in[96];
    snprintf(info_out, sizeof info_out, "转出至客户 %s", to_uin);
    snprintf(info_in, sizeof info_in, "代理商 %s 转入", from_uin);
    out_id[0] = in_id[0] = 0;
    if (ledger_move(s, from_uin, -cents * BILLING_FINE_PER_CENT, "agentout", "", "代理商转账", info_out, t, out_id,
                    NULL) != 0 ||
        ledger_move(s, to_uin, cents * BILLING_FINE_PER_CENT, "agentin", "", "代理商转账", info_in, t, in_id, NULL) !=
            0)
        goto store_failed;
    return 0;
store_failed:
    snprintf(code, clen, "%s", E_INTERNAL_ERROR);
    snprintf(msg, mlen, "The ledger is unavailable.");
    return -1;
}

int billing_income(struct store *s, const char *uin, int64_t cents, const char *channel, const char *info, int64_t t,
                   char bill_id[40])
{
    if (cents <= 0)
        return cents == 0 ? 0 : -1;
    bill_id[0] = 0;
    return ledger_move(s, uin, cents * BILLING_FINE_PER_CENT, "recharge", "", channel, info, t, bill_id, NULL);
}

int billing_balance_cents(struct store *s, const char *uin, int64_t *cents)
{
    int64_t cash;
    if (ledger_cash(s, uin, &cash) != 0)
        return -1;
    *cents = rate_cents_floor(cash);
    return 0;
}

int billing_spend(struct store *s, const char *owner_uin, int64_t from, int64_t to,
                  int (*row)(void *arg, const struct billing_spend_row *r), void *arg)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT product, pay_mode, order_id, max(pay_time), sum(cost), sum(real_cost),"
                                       " sum(cash), payer_uin FROM billing_details WHERE owner_uin = ? AND fee_begin"
                                       " >= ? AND fee_begin < ? GROUP BY product, pay_mode, order_id, payer_uin"
                                       " ORDER BY min(fee_begin), product, order_id, payer_uin",
                                       "sii", owner_uin, from, to);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct billing_spend_row r = {.product = store_text(q, 0),
                                      .pay_mode = store_text(q, 1),
                                      .order_id = store_text(q, 2),
                                      .pay_time = store_int(q, 3),
                                      .cost = store_int(q, 4),
                                      .real_cost = store_int(q, 5),
                                      .cash = store_int(q, 6),
                                      .payer = store_text(q, 7)};
        if (row(arg, &r) != 0) {
            rc = -1;
            break;
        }
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int billing_cash_by_product(struct store *s, const char *owner_uin, int64_t from, int64_t to,
                            int (*row)(void *arg, const struct billing_spend_row *r), void *arg)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT product, sum(cash) FROM billing_details WHERE owner_uin = ? AND"
                                       " fee_begin >= ? AND fee_begin < ? GROUP BY product ORDER BY product",
                                       "sii", owner_uin, from, to);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct billing_spend_row r = {
            .product = store_text(q, 0), .pay_mode = "", .order_id = "", .payer = "", .cash = store_int(q, 1)};
        if (row(arg, &r) != 0) {
            rc = -1;
            break;
        }
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

static int (*payer_hook)(struct store *s, const char *owner_uin, char payer[24]);

void billing_register_payer(int (*payer)(struct store *s, const char *owner_uin, char payer[24]))
{
    payer_hook = payer;
}

int billing_payer_of(struct store *s, const char *owner_uin, char payer[24])
{
    char p[24] = "";
    snprintf(payer, 24, "%s", owner_uin);
    int rc = payer_hook ? payer_hook(s, owner_uin, p) : 0;
    if (rc < 0)
        return -1;
    if (rc == 1 && p[0])
        snprintf(payer, 24, "%s", p);
    return 0;
}

static int (*agent_hook)(struct store *s, const char *owner_uin, char partner[24]);

void billing_register_agent(int (*agent)(struct store *s, const char *owner_uin, char partner[24]))
{
    agent_hook = agent;
}

int billing_agent_of(struct store *s, const char *owner_uin, char partner[24])
{
    partner[0] = 0;
    int rc = agent_hook ? agent_hook(s, owner_uin, partner) : 0;
    return rc < 0 ? -1 : rc == 1 && partner[0];
}

int billing_charge(struct store *s, const char *owner_uin, const char *payer, int64_t amount, const char *action,
                   const char *deduct_mode, const char *info, int64_t t, char bill_id[40])
{
    if (!strcmp(owner_uin, payer))
        return ledger_move(s, owner_uin, amount, action, deduct_mode, "", info, t, bill_id, NULL);
    char pinfo[192], oinfo[192], oid[40] = "";
    snprintf(pinfo, sizeof pinfo, "%s (代付客户 %s)", info, owner_uin);
    snprintf(oinfo, sizeof oinfo, "%s (由 %s 代付)", info, payer);
    return ledger_move(s, payer, amount, action, deduct_mode, "代理商代付", pinfo, t, bill_id, NULL) != 0 ||
                   ledger_move(s, owner_uin, 0, action, deduct_mode, "代理商代付", oinfo, t, oid, NULL) != 0
               ? -1
               : 0;
}

int billing_deals(struct store *s, const char *owner_uin, int64_t from, int64_t to,
                  int (*row)(void *arg, const struct billing_deal_row *r), void *arg)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT d.order_id, d.big_deal_id, d.owner_uin, d.payer_uin, d.creator,"
                                       " d.status, d.product, d.action, d.resource_id, d.months, d.total_cost,"
                                       " d.real_total_cost, d.create_time, coalesce(max(l.bill_id), ''),"
                                       " d.discount_ppm FROM billing_deals d LEFT JOIN billing_details l ON"
                                       " l.order_id = d.order_id WHERE d.owner_uin = ? AND d.create_time >= ? AND"
                                       " d.create_time < ? GROUP BY d.order_id, d.big_deal_id, d.owner_uin,"
                                       " d.payer_uin, d.creator, d.status, d.product, d.action, d.resource_id,"
                                       " d.months, d.total_cost, d.real_total_cost, d.create_time, d.discount_ppm"
                                       " ORDER BY d.create_time, d.order_id",
                                       "sii", owner_uin, from, to);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct billing_deal_row r = {.order_id = store_text(q, 0),
                                     .big_deal_id = store_text(q, 1),
                                     .owner = store_text(q, 2),
                                     .payer = store_text(q, 3),
                                     .creator = store_text(q, 4),
                                     .status = (int)store_int(q, 5),
                                     .product = store_text(q, 6),
                                     .action = store_text(q, 7),
                                     .resource_id = store_text(q, 8),
                                     .months = store_int(q, 9),
                                     .total_cost = store_int(q, 10),
                                     .real_total_cost = store_int(q, 11),
                                     .create_time = store_int(q, 12),
                                     .bill_id = store_text(q, 13),
                                     .discount_ppm = store_int(q, 14)};
        if (row(arg, &r) != 0) {
            rc = -1;
            break;
        }
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int billing_credit_of(struct store *s, const char *uin, int64_t *credit)
{
    struct store_stmt *q = store_query(s, "SELECT credit FROM billing_accounts WHERE uin = ?", "s", uin);
    int rc = q ? store_step(q) : -1;
    *credit = rc == STORE_FOUND ? store_int(q, 0) : 0;
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int billing_set_credit(struct store *s, const char *uin, int64_t fine, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO billing_accounts (uin, credit, updated) VALUES (?, ?, ?)"
                      " ON CONFLICT (uin) DO UPDATE SET credit = excluded.credit",
                      "sii", uin, fine, t) < 0
               ? -1
               : 0;
}

static int (*credit_hook)(struct store *s, const char *uin, int64_t cash, int64_t amount, char *code, size_t clen,
                          char *msg, size_t mlen);

void billing_register_credit_check(int (*check)(struct store *s, const char *uin, int64_t cash, int64_t amount,
                                                char *code, size_t clen, char *msg, size_t mlen))
{
    credit_hook = check;
}

int billing_check_credit(struct store *s, const char *uin, int64_t cash, int64_t amount, char *code, size_t clen,
                         char *msg, size_t mlen)
{
    return credit_hook ? credit_hook(s, uin, cash, amount, code, clen, msg, mlen) : 0;
}

static int (*suspended_hook)(struct store *s, const char *owner_uin);

void billing_register_suspended(int (*suspended)(struct store *s, const char *owner_uin))
{
    suspended_hook = suspended;
}

int channel_suspended(struct store *s, const char *owner_uin)
{
    int rc = suspended_hook ? suspended_hook(s, owner_uin) : 0;
    return rc < 0 ? -1 : rc > 0;
}

int billing_suspend(struct store *s, const char *uin, int on, int64_t t)
{
    if (!on && billing_overdue(s, uin) != 0) /* in arrears (or unknown): its own path restores it */
        return 0;
    for (int i = 0; i < billing_product_count(); i++) {
        const struct billing_product *p = billing_product_at(i);
        int (*fn)(struct store *, const char *, int64_t) = on ? p->isolate : p->restore;
        if (fn && fn(s, uin, t) != 0)
            return -1;
    }
    billing_note(
        s, uin, on ? "FORCE_SUSPENDED" : "FORCE_SUSPENSION_LIFTED",
        on ? "代理商已对账户强制停服，按量计费资源已停止 (your partner suspended the account; postpaid resources"
             " are stopped)"
           : "代理商已解除强制停服 (your partner lifted the suspension; resources may be started again)",
        t);
    return 0;
}

/* A postpaid resource accrues on credit when the owner has no cash left: refused when its own grant
 * is used up (cash + credit <= 0), or when the partner channel says its partner's (or distributor's)
 * credit has nothing left for even one fine unit more. */
int channel_postpaid_refused(struct store *s, const char *owner_uin)
{
    int rc = channel_suspended(s, owner_uin);
    if (rc != 0)
        return rc;
    struct store_stmt *q =
        store_query(s, "SELECT cash + present, credit FROM billing_accounts WHERE uin = ?", "s", owner_uin);
    rc = q ? store_step(q) : -1;
    int64_t cash = rc == STORE_FOUND ? store_int(q, 0) : 0, credit = rc == STORE_FOUND ? store_int(q, 1) : 0;
    store_done(q);
    if (rc < 0)
        return -1;
    if (credit <= 0 || cash > 0)
        return 0; /* not on credit, or it still has cash */
    if (cash + credit <= 0)
        return 1;
    char code[64], msg[256];
    if (billing_check_credit(s, owner_uin, cash, 1, code, sizeof code, msg, sizeof msg) != 0)
        return strcmp(code, E_INSUFFICIENT_BALANCE) ? -1 : 1;
    return 0;
}

int billing_end_discounts(struct store *s, const char *uin, const char *source, int64_t t)
{
    if (store_exec(s, "DELETE FROM billing_discounts WHERE uin = ? AND source = ? AND effective_from > ?", "ssi", uin,
                   source, t) < 0)
        return -1;
    struct store_stmt *q = store_query(s, "SELECT DISTINCT product FROM billing_discounts WHERE uin = ?", "s", uin);
    if (!q)
        return -1;
    char products[32][16];
    int n = 0, rc;
    while ((rc = store_step(q)) == STORE_FOUND && n < 32)
        snprintf(products[n++], sizeof products[0], "%s", store_text(q, 0));
    store_done(q);
    if (rc < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        /* the row in force now, and the latest of anyone else's before it */
        q = store_query(s,
                        "SELECT source FROM billing_discounts WHERE uin = ? AND product = ? AND effective_from <= ?"
                        " ORDER BY effective_from DESC LIMIT 1",
                        "ssi", uin, products[i], t);
        rc = q ? store_step(q) : -1;
        int theirs = rc == STORE_FOUND && !strcmp(store_text(q, 0), source);
        store_done(q);
        if (rc < 0)
            return -1;
        if (!theirs)
            continue;
        q = store_query(s,
                        "SELECT rate_ppm FROM billing_discounts WHERE uin = ? AND product = ? AND effective_from <= ?"
                        " AND source != ? ORDER BY effective_from DESC LIMIT 1",
                        "ssis", uin, products[i], t, source);
        rc = q ? store_step(q) : -1;
        int64_t ppm = rc == STORE_FOUND ? store_int(q, 0) : BILLING_PPM;
        store_done(q);
        if (rc < 0 || store_exec(s,
                                 "INSERT INTO billing_discounts (uin, product, effective_from, rate_ppm, source) VALUES"
                                 " (?, ?, ?, ?, 'ended') ON CONFLICT (uin, product, effective_from) DO UPDATE SET"
                                 " rate_ppm = excluded.rate_ppm, source = excluded.source",
                                 "ssii", uin, products[i], t, ppm) < 0)
            return -1;
    }
    return 0;
}
