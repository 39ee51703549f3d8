/*
 * store: the partner channel's tables and every statement on them. Relationships live here
 * (partners, their customers and applications, the partner's own discounts from the operator,
 * rebate policy and the rebates paid, customer tiers); money and the discounts bills apply are
 * billing's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partner/partner_int.h"
#include "store/rows.h"

static const struct migration partner_migrations[] = {
    {1,
     /* kind: distributor, reseller, second-level (parent is its distributor) */
     "CREATE TABLE partner_accounts (uin TEXT PRIMARY KEY, kind TEXT NOT NULL, parent_uin TEXT NOT NULL DEFAULT '',"
     " invitation_code TEXT NOT NULL UNIQUE, credit_cents INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
     /* the partner's own discount from the operator: its customers' discounts may not go below it */
     "CREATE TABLE partner_own_discounts (partner_uin TEXT NOT NULL, product TEXT NOT NULL,"
     " rate_ppm INTEGER NOT NULL, PRIMARY KEY (partner_uin, product));"
     /* rebate policy: a rate per class (0 A, 1 B, 2 C) and the class of each product ("*" = others) */
     "CREATE TABLE partner_rebate_rates (partner_uin TEXT NOT NULL, class INTEGER NOT NULL,"
     " rate_ppm INTEGER NOT NULL, PRIMARY KEY (partner_uin, class));"
     "CREATE TABLE partner_class_products (partner_uin TEXT NOT NULL, product TEXT NOT NULL,"
     " class INTEGER NOT NULL, PRIMARY KEY (partner_uin, product));"
     /* one row per customer account: its application to one partner, then its binding */
     "CREATE TABLE partner_clients (client_uin TEXT PRIMARY KEY, partner_uin TEXT NOT NULL, status TEXT NOT NULL,"
     " client_flag TEXT NOT NULL, client_type TEXT NOT NULL DEFAULT 'new', project_type TEXT NOT NULL DEFAULT"
     " 'self', remark TEXT NOT NULL DEFAULT '', sales_uin TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',"
     " apply_time INTEGER NOT NULL, agent_time INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX partner_clients_partner ON partner_clients (partner_uin, status, agent_time);"
     /* the month-end job: one key per partner and month (done once), then its rows */
     "CREATE TABLE partner_rebate_runs (partner_uin TEXT NOT NULL, month TEXT NOT NULL, time INTEGER NOT NULL,"
     " PRIMARY KEY (partner_uin, month));"
     "CREATE TABLE partner_rebates (partner_uin TEXT NOT NULL, month TEXT NOT NULL, class INTEGER NOT NULL,"
     " overdue INTEGER NOT NULL, amt INTEGER NOT NULL, month_sales INTEGER NOT NULL,"
     " quarter_sales INTEGER NOT NULL, bill_id TEXT NOT NULL DEFAULT '', time INTEGER NOT NULL,"
     " PRIMARY KEY (partner_uin, month, class, overdue));"
     "CREATE TABLE partner_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
     /* customer tiers: what each tier means (one table, not code), and each account's */
     "CREATE TABLE partner_tiers (tier TEXT PRIMARY KEY, grade TEXT NOT NULL, support TEXT NOT NULL,"
     " max_instances INTEGER NOT NULL, max_disk_gib INTEGER NOT NULL);"
     "INSERT INTO partner_tiers (tier, grade, support, max_instances, max_disk_gib) VALUES"
     " ('key', 'T1', 'dedicated', 500, 1000000), ('growth', 'T2', 'standard', 100, 100000),"
     " ('longtail', 'T3', 'community', 20, 10000);"
     "CREATE TABLE partner_account_tiers (uin TEXT PRIMARY KEY, tier TEXT NOT NULL, updated INTEGER NOT NULL);"},
};

int partner_migrate(struct store *s, char *err, size_t errlen)
{
    if (store_migrate(s, "partner", partner_migrations, sizeof partner_migrations / sizeof partner_migrations[0], err,
                      errlen) != 0)
        return -1;
    if (intl_migrate(s, err, errlen) != 0)
        return -1;
    return pstore_channel_migrate(s, err, errlen);
}

#define PARTNER_COLS "uin, kind, parent_uin, invitation_code, credit_cents, created"

static int partner_row(struct store_stmt *q, struct partner *p)
{
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND) {
        snprintf(p->uin, sizeof p->uin, "%s", store_text(q, 0));
        snprintf(p->kind, sizeof p->kind, "%s", store_text(q, 1));
        snprintf(p->parent, sizeof p->parent, "%s", store_text(q, 2));
        snprintf(p->code, sizeof p->code, "%s", store_text(q, 3));
        p->credit_cents = store_int(q, 4);
        p->created = store_int(q, 5);
    }
    store_done(q);
    return rc;
}

int pstore_partner_get(struct store *s, const char *uin, struct partner *p)
{
    return partner_row(store_query(s, "SELECT " PARTNER_COLS " FROM partner_accounts WHERE uin = ?", "s", uin), p);
}

int pstore_partner_by_code(struct store *s, const char *code, struct partner *p)
{
    return partner_row(
        store_query(s, "SELECT " PARTNER_COLS " FROM partner_accounts WHERE invitation_code = ?", "s", code), p);
}

int pstore_partner_put(struct store *s, const struct partner *p)
{
    return store_exec(s,
                      "INSERT INTO partner_accounts (uin, kind, parent_uin, invitation_code, credit_cents, created)"
                      " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (uin) DO UPDATE SET kind = excluded.kind,"
                      " parent_uin = excluded.parent_uin, credit_cents = excluded.credit_cents",
                      "ssssii", p->uin, p->kind, p->parent, p->code, p->credit_cents, p->created) < 0
               ? -1
               : 0;
}

int pstore_partners(struct store *s, char (**uins)[24], int *n)
{
    *uins = NULL;
    *n = 0;
    struct store_stmt *q = store_query(s, "SELECT uin FROM partner_accounts ORDER BY uin", "");
    return store_rows_uin(q, uins, n);
}

int pstore_own_discount_put(struct store *s, const char *partner, const char *product, int64_t ppm)
{
    return store_exec(s,
                      "INSERT INTO partner_own_discounts (partner_uin, product, rate_ppm) VALUES (?, ?, ?)"
                      " ON CONFLICT (partner_uin, product) DO UPDATE SET rate_ppm = excluded.rate_ppm",
                      "ssi", partner, product, ppm) < 0
               ? -1
               : 0;
}

int64_t pstore_own_discount(struct store *s, const char *partner, const char *product)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT rate_ppm FROM partner_own_discounts WHERE partner_uin = ? AND"
                                       " (product = ? OR product = '*') ORDER BY CASE WHEN product = '*' THEN 1"
                                       " ELSE 0 END LIMIT 1",
                                       "ss", partner, product);
    int rc = q ? store_step(q) : -1;
    int64_t v = rc == STORE_FOUND ? store_int(q, 0) : BILLING_PPM;
    store_done(q);
    return rc < 0 ? -1 : v;
}

int pstore_rebate_rate_put(struct store *s, const char *partner, int cls, int64_t ppm)
{
    return store_exec(s,
                      "INSERT INTO partner_rebate_rates (partner_uin, class, rate_ppm) VALUES (?, ?, ?)"
                      " ON CONFLICT (partner_uin, class) DO UPDATE SET rate_ppm = excluded.rate_ppm",
                      "sii", partner, (int64_t)cls, ppm) < 0
               ? -1
               : 0;
}

/* The partner's policy: its rates (the defaults where none is set) and its product classes (the
 * default map where it has none). */
int pstore_rebate_policy(struct store *s, const char *partner, struct rebate_policy *p)
{
    memset(p, 0, sizeof *p);
    memcpy(p->rate_ppm, rebate_default_ppm, sizeof p->rate_ppm);
    struct store_stmt *q =
        store_query(s, "SELECT class, rate_ppm FROM partner_rebate_rates WHERE partner_uin = ?", "s", partner);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND)
        if (store_int(q, 0) >= 0 && store_int(q, 0) < REBATE_CLASSES)
            p->rate_ppm[store_int(q, 0)] = store_int(q, 1);
    store_done(q);
    if (rc < 0)
        return -1;
    q = store_query(s, "SELECT product, class FROM partner_class_products WHERE partner_uin = ? ORDER BY product", "s",
                    partner);
    if (!q)
        return -1;
    while ((rc = store_step(q)) == STORE_FOUND && p->nmap < (int)(sizeof p->map / sizeof p->map[0])) {
        snprintf(p->map[p->nmap].product, sizeof p->map[0].product, "%s", store_text(q, 0));
        p->map[p->nmap++].cls = (int)store_int(q, 1);
    }
    store_done(q);
    if (rc < 0)
        return -1;
    if (p->nmap == 0)
        for (int i = 0; rebate_default_map[i][0]; i++) {
            snprintf(p->map[p->nmap].product, sizeof p->map[0].product, "%s", rebate_default_map[i][0]);
            p->map[p->nmap++].cls = rebate_class_index(rebate_default_map[i][1]);
        }
    return 0;
}

#define CLIENT_COLS                                                                                                    \
    "partner_uin, client_uin, status, client_flag, client_type, project_type, remark, sales_uin, note, apply_time,"    \
    " agent_time"

static void client_of(struct store_stmt *q, struct client *c)
{
    snprintf(c->partner, sizeof c->partner, "%s", store_text(q, 0));
    snprintf(c->client, sizeof c->client, "%s", store_text(q, 1));
    snprintf(c->status, sizeof c->status, "%s", store_text(q, 2));
    snprintf(c->flag, sizeof c->flag, "%s", store_text(q, 3));
    snprintf(c->type, sizeof c->type, "%s", store_text(q, 4));
    snprintf(c->project, sizeof c->project, "%s", store_text(q, 5));
    snprintf(c->remark, sizeof c->remark, "%s", store_text(q, 6));
    snprintf(c->sales, sizeof c->sales, "%s", store_text(q, 7));
    snprintf(c->note, sizeof c->note, "%s", store_text(q, 8));
    c->apply_time = store_int(q, 9);
    c->agent_time = store_int(q, 10);
}

static void client_row(struct store_stmt *q, void *e) { client_of(q, e); }

int pstore_client_get(struct store *s, const char *client_uin, struct client *c)
{
    struct store_stmt *q =
        store_query(s, "SELECT " CLIENT_COLS " FROM partner_clients WHERE client_uin = ?", "s", client_uin);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND)
        client_of(q, c);
    store_done(q);
    return rc;
}

/* 1 applied, 0 refused (pending or bound already), -1 error; a rejected applicant may apply again. */
int pstore_client_apply(struct store *s, const char *partner, const char *client, const char *flag, int64_t t)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_clients (client_uin, partner_uin, status, client_flag, apply_time)"
                        " VALUES (?, ?, '" CLIENT_PENDING "', ?, ?) ON CONFLICT (client_uin) DO UPDATE SET"
                        " partner_uin = excluded.partner_uin, status = excluded.status, client_flag ="
                        " excluded.client_flag, apply_time = excluded.apply_time, note = '', agent_time = 0"
                        " WHERE partner_clients.status IN ('" CLIENT_REJECTED "', '" CLIENT_UNBOUND "')",
                        "sssi", client, partner, flag, t);
    return rc < 0 ? -1 : rc > 0;
}

int pstore_client_audit(struct store *s, const char *partner, const char *client, const char *status, const char *note,
                        int64_t t)
{
    return store_exec(s,
                      "UPDATE partner_clients SET status = ?, note = ?, agent_time = ? WHERE client_uin = ? AND"
                      " partner_uin = ? AND status = '" CLIENT_PENDING "'",
                      "ssiss", status, note, t, client, partner);
}

int pstore_client_remark(struct store *s, const char *partner, const char *client, const char *remark)
{
    return store_exec(s,
                      "UPDATE partner_clients SET remark = ? WHERE client_uin = ? AND partner_uin = ? AND status ="
                      " '" CLIENT_BOUND "'",
                      "sss", remark, client, partner);
}

int pstore_clients(struct store *s, const char *partner, const char *status, int descending, struct client **out,
                   int *n)
{
    *out = NULL;
    *n = 0;
    /* applications by the time they were made, customers by the time they were bound */
    int pending = !strcmp(status, CLIENT_PENDING);
    const char *sql = pending ? (descending ? "SELECT " CLIENT_COLS " FROM partner_clients WHERE partner_uin = ? AND"
                                              " status = ? ORDER BY apply_time DESC, client_uin DESC"
                                            : "SELECT " CLIENT_COLS " FROM partner_clients WHERE partner_uin = ? AND"
                                              " status = ? ORDER BY apply_time, client_uin")
                              : (descending ? "SELECT " CLIENT_COLS " FROM partner_clients WHERE partner_uin = ? AND"
                                              " status = ? ORDER BY agent_time DESC, client_uin DESC"
                                            : "SELECT " CLIENT_COLS " FROM partner_clients WHERE partner_uin = ? AND"
                                              " status = ? ORDER BY agent_time, client_uin");
    struct store_stmt *q = store_query(s, sql, "ss", partner, status);
    return store_rows(q, sizeof **out, client_row, out, n);
}

int pstore_rebate_claim(struct store *s, const char *partner, const char *month, int64_t t)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_rebate_runs (partner_uin, month, time) VALUES (?, ?, ?)"
                        " ON CONFLICT (partner_uin, month) DO NOTHING",
                        "ssi", partner, month, t);
    return rc < 0 ? -1 : rc > 0;
}

int pstore_rebate_put(struct store *s, const char *partner, const char *month, const struct rebate_row *r,
                      int64_t quarter_sales, const char *bill_id, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO partner_rebates (partner_uin, month, class, overdue, amt, month_sales,"
                      " quarter_sales, bill_id, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "ssiiiiisi", partner, month, (int64_t)r->cls, (int64_t)r->overdue, r->amt_cents, r->sales_cents,
                      quarter_sales, bill_id, t) == 1
               ? 0
               : -1;
}

int64_t pstore_quarter_before(struct store *s, const char *partner, int cls, int overdue, const char *quarter_from,
                              const char *month)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT coalesce(sum(month_sales), 0) FROM partner_rebates WHERE"
                                       " partner_uin = ? AND class = ? AND overdue = ? AND month >= ? AND month < ?",
                                       "siiss", partner, (int64_t)cls, (int64_t)overdue, quarter_from, month);
    int rc = q ? store_step(q) : -1;
    int64_t v = rc == STORE_FOUND ? store_int(q, 0) : 0;
    store_done(q);
    return rc < 0 ? -1 : v;
}

static void rebate_row_of(struct store_stmt *q, void *e)
{
    struct rebate_view *v = e;
    snprintf(v->month, sizeof v->month, "%s", store_text(q, 0));
    snprintf(v->cls, sizeof v->cls, "%c", (char)('A' + store_int(q, 1)));
    snprintf(v->flag, sizeof v->flag, "%s", store_int(q, 2) ? "HAS_OVERDUE_BILL" : "NORMAL");
    v->amt = store_int(q, 3);
    v->month_sales = store_int(q, 4);
    v->quarter_sales = store_int(q, 5);
}

int pstore_rebates(struct store *s, const char *partner, const char *month, struct rebate_view **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct store_stmt *q = store_query(s,
                                       "SELECT month, class, overdue, amt, month_sales, quarter_sales FROM"
                                       " partner_rebates WHERE partner_uin = ? AND (? = '' OR month = ?)"
                                       " ORDER BY month DESC, class, overdue",
                                       "sss", partner, month ? month : "", month ? month : "");
    return store_rows(q, sizeof **out, rebate_row_of, out, n);
}

int pstore_state_get(struct store *s, const char *name, int64_t *v)
{
    struct store_stmt *q = store_query(s, "SELECT value FROM partner_state WHERE name = ?", "s", name);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND)
        *v = store_int(q, 0);
    store_done(q);
    return rc;
}

int pstore_state_set(struct store *s, const char *name, int64_t v)
{
    return store_exec(s,
                      "INSERT INTO partner_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET"
                      " value = excluded.value",
                      "si", name, v) < 0
               ? -1
               : 0;
}

static int tier_row(struct store_stmt *q, struct tier *t)
{
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND) {
        snprintf(t->tier, sizeof t->tier, "%s", store_text(q, 0));
        snprintf(t->grade, sizeof t->grade, "%s", store_text(q, 1));
        snprintf(t->support, sizeof t->support, "%s", store_text(q, 2));
        t->max_instances = store_int(q, 3);
        t->max_disk_gib = store_int(q, 4);
    }
    store_done(q);
    return rc;
}

int pstore_tier_find(struct store *s, const char *tier, struct tier *t)
{
    return tier_row(store_query(s,
                                "SELECT tier, grade, support, max_instances, max_disk_gib FROM partner_tiers WHERE"
                                " tier = ?",
                                "s", tier),
                    t);
}

int pstore_account_tier(struct store *s, const char *uin, struct tier *t)
{
    int rc = tier_row(store_query(s,
                                  "SELECT t.tier, t.grade, t.support, t.max_instances, t.max_disk_gib FROM"
                                  " partner_account_tiers a JOIN partner_tiers t ON t.tier = a.tier WHERE a.uin = ?",
                                  "s", uin),
                      t);
    return rc == STORE_NOT_FOUND ? pstore_tier_find(s, "longtail", t) : rc;
}

int pstore_account_tier_set(struct store *s, const char *uin, const char *tier, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO partner_account_tiers (uin, tier, updated) VALUES (?, ?, ?) ON CONFLICT (uin)"
                      " DO UPDATE SET tier = excluded.tier, updated = excluded.updated",
                      "ssi", uin, tier, t) < 0
               ? -1
               : 0;
}

int partner_is_partner(struct store *s, const char *uin)
{
    struct partner p;
    int rc = pstore_partner_get(s, uin, &p);
    return rc == STORE_FOUND ? 1 : rc == STORE_NOT_FOUND ? 0 : -1;
}
