/*
 * arrears: the overdue state table, in the spirit of Kill Bill's overdue states, with Tencent's
 * numbers (reference: commerce-api.md §12.1). An account whose available balance is below zero
 * enters GRACE (still running, still billed); arrears_grace_s later its postpaid resources are
 * shut down (ISOLATED: RestrictState PROTECTIVELY_ISOLATED, compute no longer billed, disks kept);
 * arrears_retention_s after that they are released and their data erased (RELEASED). A balance
 * back at zero or above returns the account to NORMAL, and isolated resources may be started
 * again. Prepaid resources are not touched: they run until they expire. Exempt accounts (the
 * operator's own) are never enforced. Every transition is audited and noted for the customer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

int64_t arrears_grace_s = 2 * 3600;
int64_t arrears_retention_s = 15 * 86400;

enum hook { HOOK_ISOLATE, HOOK_RESTORE, HOOK_RELEASE };

static int each_product(struct store *s, const char *uin, int64_t t, enum hook h)
{
    for (int i = 0; i < billing_product_count(); i++) {
        const struct billing_product *p = billing_product_at(i);
        int (*fn)(struct store *, const char *, int64_t) = h == HOOK_ISOLATE   ? p->isolate
                                                           : h == HOOK_RESTORE ? p->restore
                                                                               : p->release;
        if (fn && fn(s, uin, t) != 0)
            return -1;
    }
    return 0;
}

static int apply_isolate(struct store *s, const char *uin, int64_t t) { return each_product(s, uin, t, HOOK_ISOLATE); }
static int apply_release(struct store *s, const char *uin, int64_t t) { return each_product(s, uin, t, HOOK_RELEASE); }

/* In order; an account moves to the last state whose delay has passed, applying each on the way. */
static const struct overdue_state table[] = {
    {"NORMAL", -1, NULL},
    {"GRACE", 0, NULL},
    {"ISOLATED", 1, apply_isolate}, /* after_s filled from arrears_grace_s */
    {"RELEASED", 2, apply_release}, /* after grace + retention */
};
#define NSTATES ((int)(sizeof table / sizeof table[0]))

static int64_t state_after(int i)
{
    return i == 2 ? arrears_grace_s : i == 3 ? arrears_grace_s + arrears_retention_s : table[i].after_s;
}

static int state_index(const char *name)
{
    for (int i = 0; i < NSTATES; i++)
        if (!strcmp(table[i].name, name))
            return i;
    return 0;
}

static const char *const messages[] = {
    "账户余额已恢复，资源可正常使用 (the balance is no longer negative; isolated resources may be started again)",
    "账户已欠费，按量计费资源将在保护期后停服 (the account is in arrears; postpaid resources keep running for the "
    "grace "
    "period)",
    "欠费保护期已过，按量计费实例已隔离关机 (the grace period is over; postpaid instances are shut down and isolated)",
    "欠费隔离期已过，按量计费资源已释放 (the retention period is over; postpaid resources were released and their data "
    "erased)",
};

static void audit_transition(struct store *s, const char *uin, const char *state)
{
    char res[128];
    snprintf(res, sizeof res, "qcs::billing::uin/%s:account/%s", uin, uin);
    struct audit_entry e = {uin, "", "", "billing", "OverdueStateChange", res, state, ""};
    audit_write(s, &e);
}

static int move(struct store *s, const char *uin, int from, int to, int64_t since, int64_t t)
{
    /* back to NORMAL from ISOLATED: the resources may start again (RELEASED ones are gone) */
    int held = to == 0 && from == 2 ? channel_suspended(s, uin) : 0; /* its partner's ForceQN holds it */
    if (held < 0 || (to == 0 && from == 2 && !held && each_product(s, uin, t, HOOK_RESTORE) != 0))
        return -1;
    for (int i = from + 1; to > from && i <= to; i++)
        if (table[i].apply && table[i].apply(s, uin, since + state_after(i)) != 0)
            return -1;
    if (store_exec(s, "UPDATE billing_accounts SET overdue_state = ?, overdue_since = ? WHERE uin = ?", "sis",
                   table[to].name, to == 0 ? 0 : since, uin) != 1)
        return -1;
    billing_note(s, uin, to == 0 ? "ARREARS_CLEARED" : table[to].name, messages[to], t);
    audit_transition(s, uin, table[to].name);
    return 0;
}

struct due {
    char uin[32], state[16];
    int64_t balance, since;
};

static int account_pass(struct store *s, const struct due *d, int64_t t)
{
    int cur = state_index(d->state), to;
    int64_t since = d->since;
    if (d->balance >= 0)
        to = 0;
    else {
        if (cur == 0)
            since = t;
        to = 0;
        for (int i = 1; i < NSTATES; i++)
            if (t - since >= state_after(i))
                to = i;
        if (to < cur) /* a released account that is still negative stays released */
            to = cur;
    }
    if (to == cur)
        return 0;
    if (store_begin(s) != STORE_OK)
        return -1;
    if (move(s, d->uin, cur, to, since, t) != 0 || store_commit(s) != STORE_OK) {
        log_error("billing: overdue state of %s: %s", d->uin, store_errmsg(s));
        store_rollback(s);
        return -1;
    }
    log_info("billing: account %s is now %s", d->uin, table[to].name);
    return 0;
}

/* A balance alert when the balance covers less than 5 days of the last 24 h of postpaid spend. */
static void alerts(struct store *s, int64_t t)
{
    struct store_stmt *q = store_query(
        s,
        "SELECT a.uin, a.cash + a.present, sum(x.amount) FROM billing_accounts a JOIN billing_settled x"
        " ON x.owner_uin = a.uin AND x.hour >= ? AND x.hour < ? WHERE a.alerted <= ? GROUP BY a.uin, a.cash, a.present",
        "iii", t - 86400, t, t - 86400);
    struct due *list = NULL;
    int n = 0, rc;
    while (q && (rc = store_step(q)) == STORE_FOUND) {
        int64_t bal = store_int(q, 1), day = store_int(q, 2);
        if (day <= 0 || bal >= 5 * day || bal < 0)
            continue;
        struct due *nl = realloc(list, (size_t)(n + 1) * sizeof *list);
        if (!nl)
            break;
        list = nl;
        snprintf(list[n].uin, sizeof list[n].uin, "%s", store_text(q, 0));
        list[n++].balance = bal;
    }
    store_done(q);
    for (int i = 0; i < n; i++) {
        char msg[256], yuan[32];
        rate_yuan2(list[i].balance, yuan);
        snprintf(msg, sizeof msg,
                 "余额预警：可用余额 %s 元不足最近24小时消费的5天 (the balance covers less than 5 days)", yuan);
        if (store_begin(s) != STORE_OK)
            break;
        billing_note(s, list[i].uin, "BALANCE_ALERT", msg, t);
        if (store_exec(s, "UPDATE billing_accounts SET alerted = ? WHERE uin = ?", "is", t, list[i].uin) != 1 ||
            store_commit(s) != STORE_OK)
            store_rollback(s);
    }
    free(list);
}

int arrears_pass(struct store *s, int64_t t)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT uin, overdue_state, cash + present + credit, overdue_since FROM"
                                       " billing_accounts WHERE exempt = 0 AND (cash + present + credit < 0 OR"
                                       " overdue_state != 'NORMAL')",
                                       "");
    if (!q)
        return -1;
    struct due *list = NULL;
    int n = 0, rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct due *nl = realloc(list, (size_t)(n + 1) * sizeof *list);
        if (!nl)
            break;
        list = nl;
        snprintf(list[n].uin, sizeof list[n].uin, "%s", store_text(q, 0));
        snprintf(list[n].state, sizeof list[n].state, "%s", store_text(q, 1));
        list[n].balance = store_int(q, 2);
        list[n++].since = store_int(q, 3);
    }
    store_done(q);
    int out = rc < 0 ? -1 : 0;
    for (int i = 0; i < n; i++)
        if (account_pass(s, &list[i], t) != 0)
            out = -1;
    free(list);
    alerts(s, t);
    return out;
}

int billing_in_arrears(struct store *s, const char *owner_uin)
{
    int rc = billing_overdue(s, owner_uin);
    return rc != 0 ? rc : channel_postpaid_refused(s, owner_uin);
}

int billing_overdue(struct store *s, const char *owner_uin)
{
    struct store_stmt *q = store_query(
        s, "SELECT cash + present + credit, exempt, overdue_state FROM billing_accounts WHERE uin = ?", "s", owner_uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    int out = rc == STORE_FOUND && store_int(q, 1) == 0 && (store_int(q, 0) < 0 || strcmp(store_text(q, 2), "NORMAL"));
    store_done(q);
    return rc < 0 ? -1 : out;
}
