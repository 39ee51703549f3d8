/*
 * voucher: vouchers and their use in rating. A voucher belongs to one account (its owner), was
 * issued by the operator (platform-funded: for a partner, or a trial for a named customer) or by a
 * partner (partner-funded: paid from the partner's cash at issue, one ledger row), is worth an
 * amount in fine units, applies to one product or all ("*"), and is valid over [begin, end) on
 * the business clock. Settlement pays each postpaid bill row from the owner's vouchers first
 * (VoucherPayAmount), soonest expiring first, never more than the row's real cost; the rest stays
 * on the voucher. Tables have their own migrations ("billing_voucher").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"
#include "store/rows.h"

static const struct migration voucher_migrations[] = {
    {1,
     /* kind: platform (the operator's, for a partner), trial (the operator's, for a customer),
      * partner (issued and paid by issuer_uin, a partner, to its customer) */
     "CREATE TABLE billing_vouchers (voucher_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, issuer_uin TEXT NOT NULL,"
     " kind TEXT NOT NULL, product TEXT NOT NULL, amount INTEGER NOT NULL, balance INTEGER NOT NULL,"
     " begin_time INTEGER NOT NULL, end_time INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '',"
     " created INTEGER NOT NULL, bill_id TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX billing_vouchers_owner ON billing_vouchers (owner_uin, end_time);"
     "CREATE TABLE billing_voucher_usage (id INTEGER PRIMARY KEY AUTOINCREMENT, voucher_id TEXT NOT NULL,"
     " owner_uin TEXT NOT NULL, detail_id TEXT NOT NULL, product TEXT NOT NULL, pay_mode TEXT NOT NULL,"
     " used INTEGER NOT NULL, time INTEGER NOT NULL);"
     "CREATE INDEX billing_voucher_usage_voucher ON billing_voucher_usage (voucher_id, id);"},
};

int voucher_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "billing_voucher", voucher_migrations,
                         sizeof voucher_migrations / sizeof voucher_migrations[0], err, errlen);
}

static int set(char *code, size_t clen, char *msg, size_t mlen, const char *c, const char *m)
{
    snprintf(code, clen, "%s", c);
    snprintf(msg, mlen, "%s", m);
    return -1;
}

int billing_voucher_issue(struct store *s, const struct billing_voucher_spec *v, int64_t t, char id[24], char *code,
                          size_t clen, char *msg, size_t mlen)
{
    if (v->amount <= 0 || v->amount > 1000000000LL * BILLING_FINE_PER_YUAN || v->end <= v->begin || v->end <= t)
        return set(code, clen, msg, mlen, E_INVALID_PARAMETER_VALUE,
                   "A voucher has a positive amount and a validity that ends after it starts, in the future.");
    char bill_id[40] = "";
    if (!strcmp(v->kind, BILLING_VOUCHER_PARTNER)) { /* the issuer pays for it now */
        int64_t cash;
        if (ledger_cash(s, v->issuer_uin, &cash) != 0)
            return set(code, clen, msg, mlen, E_INTERNAL_ERROR, "The balance is unavailable.");
        if (cash < v->amount)
            return set(code, clen, msg, mlen, E_INSUFFICIENT_BALANCE,
                       "The issuer's balance does not cover the voucher.");
        char info[96];
        snprintf(info, sizeof info, "代金券 for %s", v->owner_uin);
        if (ledger_move(s, v->issuer_uin, -v->amount, "deduct", "voucher", "voucher", info, t, bill_id, NULL) != 0)
            return set(code, clen, msg, mlen, E_INTERNAL_ERROR, "The voucher could not be paid.");
    }
    for (int attempt = 0; attempt < 10; attempt++) {
        snprintf(id, 24, "%llu", (unsigned long long)random_digits(12));
        int rc = store_exec(s,
                            "INSERT INTO billing_vouchers (voucher_id, owner_uin, issuer_uin, kind, product, amount,"
                            " balance, begin_time, end_time, note, created, bill_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                            " ?, ?, ?, ?)",
                            "sssssiiiisis", id, v->owner_uin, v->issuer_uin, v->kind, v->product, v->amount, v->amount,
                            v->begin, v->end, v->note ? v->note : "", t, bill_id);
        if (rc == 1)
            return 0;
        if (rc != STORE_CONSTRAINT)
            break;
    }
    return set(code, clen, msg, mlen, E_INTERNAL_ERROR, "The voucher could not be recorded.");
}

#define VOUCHER_COLS                                                                                                   \
    "voucher_id, owner_uin, issuer_uin, kind, product, amount, balance, begin_time, end_time, note, created"

static void voucher_row(struct store_stmt *q, void *elem)
{
    struct billing_voucher *v = elem;
    snprintf(v->id, sizeof v->id, "%s", store_text(q, 0));
    snprintf(v->owner, sizeof v->owner, "%s", store_text(q, 1));
    snprintf(v->issuer, sizeof v->issuer, "%s", store_text(q, 2));
    snprintf(v->kind, sizeof v->kind, "%s", store_text(q, 3));
    snprintf(v->product, sizeof v->product, "%s", store_text(q, 4));
    v->amount = store_int(q, 5);
    v->balance = store_int(q, 6);
    v->begin = store_int(q, 7);
    v->end = store_int(q, 8);
    snprintf(v->note, sizeof v->note, "%s", store_text(q, 9));
    v->created = store_int(q, 10);
}

static int voucher_rows(struct store_stmt *q, struct billing_voucher **out, int *n)
{
    *out = NULL;
    *n = 0;
    return store_rows(q, sizeof **out, voucher_row, out, n);
}

int billing_vouchers(struct store *s, const char *owner, struct billing_voucher **out, int *n)
{
    return voucher_rows(
        store_query(s, "SELECT " VOUCHER_COLS " FROM billing_vouchers WHERE owner_uin = ? ORDER BY created, voucher_id",
                    "s", owner),
        out, n);
}

const char *billing_voucher_status(const struct billing_voucher *v, int64_t now)
{
    if (v->balance <= 0)
        return BILLING_VOUCHER_USED;
    if (now >= v->end)
        return BILLING_VOUCHER_EXPIRED;
    return BILLING_VOUCHER_UNUSED;
}

static void voucher_use_row(struct store_stmt *q, void *elem)
{
    struct billing_voucher_use *u = elem;
    snprintf(u->detail_id, sizeof u->detail_id, "%s", store_text(q, 0));
    snprintf(u->product, sizeof u->product, "%s", store_text(q, 1));
    snprintf(u->pay_mode, sizeof u->pay_mode, "%s", store_text(q, 2));
    u->used = store_int(q, 3);
    u->time = store_int(q, 4);
}

int billing_voucher_usage(struct store *s, const char *voucher_id, struct billing_voucher_use **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct store_stmt *q = store_query(s,
                                       "SELECT detail_id, product, pay_mode, used, time FROM billing_voucher_usage"
                                       " WHERE voucher_id = ? ORDER BY id",
                                       "s", voucher_id);
    return store_rows(q, sizeof **out, voucher_use_row, out, n);
}

/* The owner's vouchers usable for product at time `at`, soonest expiring first. */
static int usable(struct store *s, const char *owner, const char *product, int64_t at, struct billing_voucher **out,
                  int *n)
{
    return voucher_rows(store_query(s,
                                    "SELECT " VOUCHER_COLS " FROM billing_vouchers WHERE owner_uin = ? AND balance > 0"
                                    " AND begin_time <= ? AND end_time > ? AND (product = ? OR product = '*')"
                                    " ORDER BY end_time, created, voucher_id",
                                    "siis", owner, at, at, product),
                        out, n);
}

int voucher_available(struct store *s, const char *owner, const char *product, int64_t at, int64_t *avail)
{
    struct billing_voucher *v;
    int n;
    *avail = 0;
    if (usable(s, owner, product, at, &v, &n) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        *avail += v[i].balance;
    free(v);
    return 0;
}

int voucher_consume(struct store *s, const char *owner, const char *product, int64_t at, int64_t amount,
                    const char *detail_id, const char *pay_mode, int64_t t)
{
    struct billing_voucher *v;
    int n;
    if (amount <= 0)
        return 0;
    if (usable(s, owner, product, at, &v, &n) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && amount > 0 && i < n; i++) {
        int64_t use = v[i].balance < amount ? v[i].balance : amount;
        if (store_exec(s, "UPDATE billing_vouchers SET balance = balance - ? WHERE voucher_id = ? AND balance >= ?",
                       "isi", use, v[i].id, use) != 1 ||
            store_exec(s,
                       "INSERT INTO billing_voucher_usage (voucher_id, owner_uin, detail_id, product, pay_mode, used,"
                       " time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       "sssssii", v[i].id, owner, detail_id, product, pay_mode, use, t) != 1)
            rc = -1;
        amount -= use;
    }
    free(v);
    return rc != 0 || amount != 0 ? -1 : 0;
}

int billing_vouchers_issued(struct store *s, const char *issuer, int64_t *n)
{
    struct store_stmt *q = store_query(s, "SELECT count(*) FROM billing_vouchers WHERE issuer_uin = ?", "s", issuer);
    int rc = q ? store_step(q) : -1;
    *n = rc == STORE_FOUND ? store_int(q, 0) : 0;
    store_done(q);
    return rc == STORE_FOUND ? 0 : -1;
}
