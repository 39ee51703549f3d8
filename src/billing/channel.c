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
                                       " sum(cash) FROM billing_details WHERE owner_uin = ? AND fee_begin >= ? AND"
                                       " fee_begin < ? GROUP BY product, pay_mode, order_id"
                                       " ORDER BY min(fee_begin), product, order_id",
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
                                      .cash = store_int(q, 6)};
        if (row(arg, &r) != 0) {
            rc = -1;
            break;
        }
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}
