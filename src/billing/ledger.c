/*
 * ledger: balances and every movement of money. An account's cash is kept exactly, in fine
 * units; a ledger row records each movement with its amount and the balance after it in cents
 * (floored), so the cents of a row are the difference of the floored balances around it and the
 * rows of an account always add up to its balance.
 */
#include <stdio.h>
#include <string.h>

#include "billing/billing_int.h"
#include "identity/identity.h"

void billing_new_id(char out[40], int64_t t)
{
    char day[16];
    time_date(t, day); /* 2026-12-02 */
    snprintf(out, 40, "%.4s%.2s%.2s%015llu", day, day + 5, day + 8, (unsigned long long)random_digits(15));
}

int ledger_cash(struct store *s, const char *uin, int64_t *cash)
{
    struct store_stmt *q = store_query(s, "SELECT cash + present FROM billing_accounts WHERE uin = ?", "s", uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    *cash = rc == STORE_FOUND ? store_int(q, 0) : 0;
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int ledger_move(struct store *s, const char *uin, int64_t amount, const char *action, const char *deduct_mode,
                const char *channel, const char *info, int64_t t, char bill_id[40], int64_t *cash_after)
{
    int64_t before;
    if (store_exec(s, "INSERT INTO billing_accounts (uin, updated) VALUES (?, ?) ON CONFLICT (uin) DO NOTHING", "si",
                   uin, t) < 0 ||
        ledger_cash(s, uin, &before) != 0 ||
        store_exec(s, "UPDATE billing_accounts SET cash = cash + ?, updated = ? WHERE uin = ?", "iis", amount, t,
                   uin) != 1)
        return -1;
    int64_t after = before + amount;
    char id[40];
    if (bill_id && bill_id[0]) /* the caller named the row already (its bill rows point to it) */
        memcpy(id, bill_id, 40);
    else
        billing_new_id(id, t);
    int64_t cents = rate_cents_floor(after) - rate_cents_floor(before);
    if (store_exec(s,
                   "INSERT INTO billing_ledger (bill_id, uin, time, action_type, amount, balance, amount_fine,"
                   " cash_fine, deduct_mode, channel, info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "ssisiiiisss", id, uin, t, action, cents, rate_cents_floor(after), amount, after,
                   deduct_mode ? deduct_mode : "", channel ? channel : "", info ? info : "") != 1)
        return -1;
    if (bill_id)
        memcpy(bill_id, id, 40);
    if (cash_after)
        *cash_after = after;
    return 0;
}

int billing_credit(struct store *s, const char *uin, int64_t cents, const char *channel, int64_t *balance_cents,
                   char bill_id[40], char *err, size_t errlen)
{
    if (cents <= 0 || cents > (int64_t)1e12) {
        snprintf(err, errlen, "a recharge is a positive number of cents (at most 10,000,000,000 yuan)");
        return -1;
    }
    int rc = identity_account_exists(s, uin);
    if (rc != STORE_FOUND) {
        snprintf(err, errlen, rc < 0 ? "store: %s" : "no root account has Uin %s", rc < 0 ? store_errmsg(s) : uin);
        return -1;
    }
    int64_t after;
    char info[64];
    snprintf(info, sizeof info, "充值 %lld 分", (long long)cents);
    if (bill_id)
        bill_id[0] = 0;
    if (ledger_move(s, uin, cents * BILLING_FINE_PER_CENT, "recharge", "", channel, info, clock_now(), bill_id,
                    &after) != 0) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    *balance_cents = rate_cents_floor(after);
    return 0;
}

int billing_recharge(struct store *s, const char *uin, int64_t cents, const char *channel, int64_t *balance_cents,
                     char *err, size_t errlen)
{
    if (store_begin(s) != STORE_OK) {
        snprintf(err, errlen, "store busy: %s", store_errmsg(s));
        return -1;
    }
    if (billing_credit(s, uin, cents, channel, balance_cents, NULL, err, errlen) != 0 || store_commit(s) != STORE_OK) {
        if (!err[0])
            snprintf(err, errlen, "store: %s", store_errmsg(s));
        store_rollback(s);
        return -1;
    }
    return 0;
}

int billing_exempt(struct store *s, const char *uin, int on)
{
    return store_exec(s,
                      "INSERT INTO billing_accounts (uin, exempt, updated) VALUES (?, ?, ?)"
                      " ON CONFLICT (uin) DO UPDATE SET exempt = excluded.exempt",
                      "sii", uin, (int64_t)(on ? 1 : 0), clock_now()) < 0
               ? -1
               : 0;
}
