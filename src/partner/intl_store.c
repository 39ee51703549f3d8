/*
 * intl_store: the international channel's tables and every statement on them (kept apart from
 * store.c, with migrations of their own): customers' contact details given to CreateAccount or an
 * invitation, the credit each partner grants (to a customer, or a distributor to its second-level
 * reseller), the history of every allocation, and the outbox of mails yun would have sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partner/partner_int.h"
#include "store/rows.h"

static const struct migration intl_migrations[] = {
    {1,
     /* what the partner said of a customer it created or invited */
     "CREATE TABLE partner_intl_clients (client_uin TEXT PRIMARY KEY, partner_uin TEXT NOT NULL,"
     " mail TEXT NOT NULL DEFAULT '', mobile TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',"
     " account_type TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL);"
     /* credit in fine units granted by grantor to holder (a customer, or a second-level reseller) */
     "CREATE TABLE partner_credits (holder_uin TEXT PRIMARY KEY, grantor_uin TEXT NOT NULL,"
     " credit_fine INTEGER NOT NULL, updated INTEGER NOT NULL);"
     "CREATE INDEX partner_credits_grantor ON partner_credits (grantor_uin);"
     "CREATE TABLE partner_credit_history (id INTEGER PRIMARY KEY AUTOINCREMENT, grantor_uin TEXT NOT NULL,"
     " holder_uin TEXT NOT NULL, operator_uin TEXT NOT NULL, delta_fine INTEGER NOT NULL,"
     " total_after INTEGER NOT NULL, remaining_after INTEGER NOT NULL, remark TEXT NOT NULL DEFAULT '',"
     " time INTEGER NOT NULL);"
     "CREATE INDEX partner_credit_history_holder ON partner_credit_history (holder_uin, id);"
     /* mails yun would send (there is no mail server): the operator reads them with yun admin outbox */
     "CREATE TABLE partner_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, from_uin TEXT NOT NULL,"
     " to_addr TEXT NOT NULL, subject TEXT NOT NULL, body BLOB NOT NULL);"},
};

int intl_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "partner_intl", intl_migrations, sizeof intl_migrations / sizeof intl_migrations[0], err,
                         errlen);
}

int istore_client_put(struct store *s, const struct intl_client *c)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_intl_clients (client_uin, partner_uin, mail, mobile, name, account_type,"
                        " created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_uin) DO UPDATE SET partner_uin ="
                        " excluded.partner_uin, mail = excluded.mail, mobile = excluded.mobile, name = excluded.name,"
                        " account_type = excluded.account_type",
                        "ssssssi", c->client, c->partner, c->mail, c->mobile, c->name, c->type, c->created);
    return rc == 1 ? 0 : -1;
}

int istore_client_get(struct store *s, const char *uin, struct intl_client *c)
{
    memset(c, 0, sizeof *c);
    struct store_stmt *q = store_query(s,
                                       "SELECT client_uin, partner_uin, mail, mobile, name, account_type, created"
                                       " FROM partner_intl_clients WHERE client_uin = ?",
                                       "s", uin);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND) {
        snprintf(c->client, sizeof c->client, "%s", store_text(q, 0));
        snprintf(c->partner, sizeof c->partner, "%s", store_text(q, 1));
        snprintf(c->mail, sizeof c->mail, "%s", store_text(q, 2));
        snprintf(c->mobile, sizeof c->mobile, "%s", store_text(q, 3));
        snprintf(c->name, sizeof c->name, "%s", store_text(q, 4));
        snprintf(c->type, sizeof c->type, "%s", store_text(q, 5));
        c->created = store_int(q, 6);
    }
    store_done(q);
    return rc;
}

int istore_credit_get(struct store *s, const char *holder, char grantor[24], int64_t *fine)
{
    struct store_stmt *q =
        store_query(s, "SELECT grantor_uin, credit_fine FROM partner_credits WHERE holder_uin = ?", "s", holder);
    int rc = q ? store_step(q) : -1;
    *fine = 0;
    if (grantor)
        grantor[0] = 0;
    if (rc == STORE_FOUND) {
        if (grantor)
            snprintf(grantor, 24, "%s", store_text(q, 0));
        *fine = store_int(q, 1);
    }
    store_done(q);
    return rc;
}

int istore_credit_set(struct store *s, const char *grantor, const char *holder, int64_t fine, int64_t t)
{
    int rc =
        store_exec(s,
                   "INSERT INTO partner_credits (holder_uin, grantor_uin, credit_fine, updated) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (holder_uin) DO UPDATE SET grantor_uin = excluded.grantor_uin, credit_fine ="
                   " excluded.credit_fine, updated = excluded.updated",
                   "ssii", holder, grantor, fine, t);
    return rc == 1 ? 0 : -1;
}

int istore_credit_granted(struct store *s, const char *grantor, int64_t *fine)
{
    struct store_stmt *q =
        store_query(s, "SELECT COALESCE(SUM(credit_fine), 0) FROM partner_credits WHERE grantor_uin = ?", "s", grantor);
    int rc = q ? store_step(q) : -1;
    *fine = rc == STORE_FOUND ? store_int(q, 0) : 0;
    store_done(q);
    return rc == STORE_FOUND ? 0 : -1;
}

int istore_history_add(struct store *s, const struct credit_entry *e)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_credit_history (grantor_uin, holder_uin, operator_uin, delta_fine,"
                        " total_after, remaining_after, remark, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        "sssiiisi", e->grantor, e->holder, e->operator_uin, e->delta, e->total_after,
                        e->remaining_after, e->remark, e->time);
    return rc == 1 ? 0 : -1;
}

static void credit_entry_row(struct store_stmt *q, void *elem)
{
    struct credit_entry *e = elem;
    snprintf(e->grantor, sizeof e->grantor, "%s", store_text(q, 0));
    snprintf(e->holder, sizeof e->holder, "%s", store_text(q, 1));
    snprintf(e->operator_uin, sizeof e->operator_uin, "%s", store_text(q, 2));
    e->delta = store_int(q, 3);
    e->total_after = store_int(q, 4);
    e->remaining_after = store_int(q, 5);
    snprintf(e->remark, sizeof e->remark, "%s", store_text(q, 6));
    e->time = store_int(q, 7);
}

int istore_history(struct store *s, const char *grantor, const char *holder, struct credit_entry **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct store_stmt *q = store_query(s,
                                       "SELECT grantor_uin, holder_uin, operator_uin, delta_fine, total_after,"
                                       " remaining_after, remark, time FROM partner_credit_history WHERE"
                                       " grantor_uin = ? AND holder_uin = ? ORDER BY id DESC",
                                       "ss", grantor, holder);
    return store_rows(q, sizeof **out, credit_entry_row, out, n);
}

int istore_outbox_add(struct store *s, const char *from, const char *to, const char *subject, const void *body,
                      size_t len, int64_t t)
{
    int rc = store_exec(s, "INSERT INTO partner_outbox (time, from_uin, to_addr, subject, body) VALUES (?, ?, ?, ?, ?)",
                        "isssb", t, from, to, subject, body, len);
    return rc == 1 ? 0 : -1;
}

int istore_outbox_each(struct store *s, int64_t limit,
                       int (*fn)(void *arg, int64_t id, int64_t t, const char *from, const char *to,
                                 const char *subject, const void *body, size_t len),
                       void *arg)
{
    struct store_stmt *q =
        store_query(s, "SELECT id, time, from_uin, to_addr, subject, body FROM partner_outbox ORDER BY id DESC LIMIT ?",
                    "i", limit);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        size_t len;
        const void *b = store_blob(q, 5, &len);
        if (fn(arg, store_int(q, 0), store_int(q, 1), store_text(q, 2), store_text(q, 3), store_text(q, 4), b, len)) {
            rc = -1;
            break;
        }
    }
    store_done(q);
    return rc == 0 ? 0 : -1;
}
