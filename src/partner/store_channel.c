/*
 * store_channel: the channel's later tables and every statement on them — unbinding requests and
 * their review, the partner's salespeople, pay-on-behalf relations. A migration set of its own
 * ("partner-channel") so that it grows apart from store.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partner/partner_int.h"
#include "store/rows.h"

static const struct migration channel_migrations[] = {
    {1,
     /* an unbinding: requested by the customer (reviewed by the partner until due_time, then
      * approved) or by the partner (at once); status 0 reviewing, 1 unbound, 4 rejected. The bound
      * window [agent_time, action_time) stays the partner's (its bills, its rebates). */
     "CREATE TABLE partner_unbinds (id TEXT PRIMARY KEY, partner_uin TEXT NOT NULL, client_uin TEXT NOT NULL,"
     " requested_by TEXT NOT NULL, status INTEGER NOT NULL, agent_time INTEGER NOT NULL, apply_time INTEGER"
     " NOT NULL, due_time INTEGER NOT NULL, action_time INTEGER NOT NULL DEFAULT 0, note TEXT NOT NULL DEFAULT"
     " '');"
     "CREATE INDEX partner_unbinds_partner ON partner_unbinds (partner_uin, apply_time);"
     "CREATE INDEX partner_unbinds_due ON partner_unbinds (status, due_time);"
     /* the partner's salespeople: CAM sub-users of its account it registered as such */
     "CREATE TABLE partner_salesmen (partner_uin TEXT NOT NULL, sales_uin TEXT NOT NULL, sales_name TEXT NOT"
     " NULL, created INTEGER NOT NULL, PRIMARY KEY (partner_uin, sales_uin));"
     /* pay-on-behalf: the partner pays everything the customer spends while the row exists */
     "CREATE TABLE partner_pay_relations (client_uin TEXT PRIMARY KEY, partner_uin TEXT NOT NULL,"
     " created INTEGER NOT NULL);"
     /* credit (the grants themselves are partner_credits, intl_store.c): what happens when credit
      * runs out, and the alerts recorded at 75/90/100 % used */
     "CREATE TABLE partner_credit_modes (partner_uin TEXT PRIMARY KEY, on_exhausted TEXT NOT NULL);"
     "CREATE TABLE partner_credit_alerts (uin TEXT NOT NULL, month TEXT NOT NULL, level INTEGER NOT NULL,"
     " role TEXT NOT NULL, partner_uin TEXT NOT NULL, used_cents INTEGER NOT NULL, credit_cents INTEGER NOT NULL,"
     " time INTEGER NOT NULL, PRIMARY KEY (uin, month, level));"
     "CREATE INDEX partner_credit_alerts_partner ON partner_credit_alerts (partner_uin, month);"},
    /* a store that ran migration 1 before it lost partner_client_credit (the grants are
     * partner_credits now): the empty table goes, so that a copy to a new store finds no orphan */
    {2, "DROP TABLE IF EXISTS partner_client_credit;"},
    /* ForceQN: the customers their partner suspended (type 2); the row goes with type 0 */
    {3, "CREATE TABLE partner_force_qn (client_uin TEXT PRIMARY KEY, partner_uin TEXT NOT NULL, time INTEGER NOT"
        " NULL);"},
};

int pstore_channel_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "partner-channel", channel_migrations,
                         sizeof channel_migrations / sizeof channel_migrations[0], err, errlen);
}

#define UNBIND_COLS                                                                                                    \
    "id, partner_uin, client_uin, requested_by, status, agent_time, apply_time, due_time, action_time, note"

static void unbind_of(struct store_stmt *q, struct unbind *u)
{
    snprintf(u->id, sizeof u->id, "%s", store_text(q, 0));
    snprintf(u->partner, sizeof u->partner, "%s", store_text(q, 1));
    snprintf(u->client, sizeof u->client, "%s", store_text(q, 2));
    snprintf(u->by, sizeof u->by, "%s", store_text(q, 3));
    u->status = (int)store_int(q, 4);
    u->agent_time = store_int(q, 5);
    u->apply_time = store_int(q, 6);
    u->due_time = store_int(q, 7);
    u->action_time = store_int(q, 8);
    snprintf(u->note, sizeof u->note, "%s", store_text(q, 9));
}

int pstore_unbind_put(struct store *s, const struct unbind *u)
{
    return store_exec(s, "INSERT INTO partner_unbinds (" UNBIND_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "ssssiiiiis", u->id, u->partner, u->client, u->by, (int64_t)u->status, u->agent_time,
                      u->apply_time, u->due_time, u->action_time, u->note) < 0
               ? -1
               : 0;
}

int pstore_unbind_pending(struct store *s, const char *client, struct unbind *u)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " UNBIND_COLS " FROM partner_unbinds WHERE client_uin = ? AND"
                                       " status = 0 ORDER BY apply_time DESC LIMIT 1",
                                       "s", client);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND)
        unbind_of(q, u);
    store_done(q);
    return rc;
}

int pstore_unbind_close(struct store *s, const char *id, int status, const char *note, int64_t t)
{
    return store_exec(s, "UPDATE partner_unbinds SET status = ?, note = ?, action_time = ? WHERE id = ? AND status = 0",
                      "isis", (int64_t)status, note, t, id);
}

/* The customer leaves the partner: its row becomes unbound (it may apply to another partner). */
int pstore_client_unbound(struct store *s, const char *partner, const char *client)
{
    int rc = store_exec(s,
                        "UPDATE partner_clients SET status = '" CLIENT_UNBOUND "', sales_uin = '' WHERE client_uin = ?"
                        " AND partner_uin = ? AND status = '" CLIENT_BOUND "'",
                        "ss", client, partner);
    /* it no longer pays on the customer's behalf */
    if (rc == 1 && pstore_pay_relation_delete(s, partner, client) < 0)
        return -1;
    return rc;
}

static void unbind_row(struct store_stmt *q, void *elem) { unbind_of(q, elem); }

static int unbinds_of(struct store_stmt *q, struct unbind **out, int *n)
{
    *out = NULL;
    *n = 0;
    return store_rows(q, sizeof **out, unbind_row, out, n);
}

int pstore_unbinds(struct store *s, const char *partner, int descending, struct unbind **out, int *n)
{
    return unbinds_of(store_query(s,
                                  descending ? "SELECT " UNBIND_COLS " FROM partner_unbinds WHERE partner_uin = ?"
                                               " ORDER BY apply_time DESC, id DESC"
                                             : "SELECT " UNBIND_COLS " FROM partner_unbinds WHERE partner_uin = ?"
                                               " ORDER BY apply_time, id",
                                  "s", partner),
                      out, n);
}

int pstore_unbinds_due(struct store *s, int64_t t, struct unbind **out, int *n)
{
    return unbinds_of(store_query(s,
                                  "SELECT " UNBIND_COLS " FROM partner_unbinds WHERE status = 0 AND due_time <= ?"
                                  " ORDER BY due_time, id",
                                  "i", t),
                      out, n);
}

/* The partner's former customers' bound windows that overlap [from, to). */
int pstore_unbound_windows(struct store *s, const char *partner, int64_t from, int64_t to, struct unbind **out, int *n)
{
    return unbinds_of(store_query(s,
                                  "SELECT " UNBIND_COLS " FROM partner_unbinds WHERE partner_uin = ? AND status = 1"
                                  " AND action_time > ? AND agent_time < ? ORDER BY action_time, id",
                                  "sii", partner, from, to),
                      out, n);
}

int pstore_salesman_put(struct store *s, const struct salesman *m)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_salesmen (partner_uin, sales_uin, sales_name, created) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (partner_uin, sales_uin) DO NOTHING",
                        "sssi", m->partner, m->uin, m->name, m->created);
    return rc < 0 ? -1 : rc > 0;
}

int pstore_salesman_delete(struct store *s, const char *partner, const char *uin)
{
    int rc = store_exec(s, "DELETE FROM partner_salesmen WHERE partner_uin = ? AND sales_uin = ?", "ss", partner, uin);
    if (rc <= 0)
        return rc;
    /* its customers and applicants are no longer assigned */
    return store_exec(s, "UPDATE partner_clients SET sales_uin = '' WHERE partner_uin = ? AND sales_uin = ?", "ss",
                      partner, uin) < 0
               ? -1
               : 1;
}

int pstore_salesman_get(struct store *s, const char *partner, const char *uin, struct salesman *m)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT partner_uin, sales_uin, sales_name, created FROM partner_salesmen"
                                       " WHERE partner_uin = ? AND sales_uin = ?",
                                       "ss", partner, uin);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND) {
        snprintf(m->partner, sizeof m->partner, "%s", store_text(q, 0));
        snprintf(m->uin, sizeof m->uin, "%s", store_text(q, 1));
        snprintf(m->name, sizeof m->name, "%s", store_text(q, 2));
        m->created = store_int(q, 3);
    }
    store_done(q);
    return rc;
}

static void salesman_row(struct store_stmt *q, void *elem)
{
    struct salesman *m = elem;
    snprintf(m->partner, sizeof m->partner, "%s", store_text(q, 0));
    snprintf(m->uin, sizeof m->uin, "%s", store_text(q, 1));
    snprintf(m->name, sizeof m->name, "%s", store_text(q, 2));
    m->created = store_int(q, 3);
}

int pstore_salesmen(struct store *s, const char *partner, int descending, struct salesman **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct store_stmt *q = store_query(s,
                                       descending ? "SELECT partner_uin, sales_uin, sales_name, created FROM"
                                                    " partner_salesmen WHERE partner_uin = ? ORDER BY created DESC,"
                                                    " sales_uin DESC"
                                                  : "SELECT partner_uin, sales_uin, sales_name, created FROM"
                                                    " partner_salesmen WHERE partner_uin = ? ORDER BY created,"
                                                    " sales_uin",
                                       "s", partner);
    return store_rows(q, sizeof **out, salesman_row, out, n);
}

/* Assigns (sales non-empty) or unassigns (sales empty: only when assigned to was) one customer in
 * a status: 1 done, 0 not the partner's customer in that status, -1 error. */
int pstore_client_sales(struct store *s, const char *partner, const char *client, const char *status, const char *sales,
                        const char *was)
{
    int rc = was ? store_exec(s,
                              "UPDATE partner_clients SET sales_uin = '' WHERE client_uin = ? AND partner_uin = ? AND"
                              " status = ? AND sales_uin = ?",
                              "ssss", client, partner, status, was)
                 : store_exec(s,
                              "UPDATE partner_clients SET sales_uin = ? WHERE client_uin = ? AND partner_uin = ? AND"
                              " status = ?",
                              "ssss", sales, client, partner, status);
    return rc < 0 ? -1 : rc > 0;
}

int pstore_pay_relation_put(struct store *s, const char *partner, const char *client, int64_t t)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_pay_relations (client_uin, partner_uin, created) VALUES (?, ?, ?)"
                        " ON CONFLICT (client_uin) DO NOTHING",
                        "ssi", client, partner, t);
    return rc < 0 ? -1 : rc > 0;
}

int pstore_pay_relation_delete(struct store *s, const char *partner, const char *client)
{
    return store_exec(s, "DELETE FROM partner_pay_relations WHERE client_uin = ? AND partner_uin = ?", "ss", client,
                      partner);
}

int pstore_pay_relation_get(struct store *s, const char *client, char partner[24])
{
    struct store_stmt *q =
        store_query(s, "SELECT partner_uin FROM partner_pay_relations WHERE client_uin = ?", "s", client);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND)
        snprintf(partner, 24, "%s", store_text(q, 0));
    store_done(q);
    return rc;
}

int pstore_credit_mode_put(struct store *s, const char *partner, const char *mode)
{
    return store_exec(s,
                      "INSERT INTO partner_credit_modes (partner_uin, on_exhausted) VALUES (?, ?)"
                      " ON CONFLICT (partner_uin) DO UPDATE SET on_exhausted = excluded.on_exhausted",
                      "ss", partner, mode) < 0
               ? -1
               : 0;
}

int pstore_credit_mode(struct store *s, const char *partner, char mode[12])
{
    struct store_stmt *q =
        store_query(s, "SELECT on_exhausted FROM partner_credit_modes WHERE partner_uin = ?", "s", partner);
    int rc = q ? store_step(q) : -1;
    snprintf(mode, 12, "%s", rc == STORE_FOUND ? store_text(q, 0) : "suspend");
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int pstore_second_levels(struct store *s, const char *distributor, char (**uins)[24], int *n)
{
    *uins = NULL;
    *n = 0;
    struct store_stmt *q =
        store_query(s, "SELECT uin FROM partner_accounts WHERE parent_uin = ? ORDER BY uin", "s", distributor);
    return store_rows_uin(q, uins, n);
}

int pstore_credit_alert_put(struct store *s, const char *uin, const char *month, int level, const char *role,
                            const char *partner, int64_t used, int64_t credit, int64_t t)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_credit_alerts (uin, month, level, role, partner_uin, used_cents,"
                        " credit_cents, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uin, month, level) DO"
                        " NOTHING",
                        "ssissiii", uin, month, (int64_t)level, role, partner, used, credit, t);
    return rc < 0 ? -1 : rc > 0;
}

/* Alerts about uin itself, or (partner set) those of the partner and its customers. */
static void credit_alert_row(struct store_stmt *q, void *elem)
{
    struct credit_alert *a = elem;
    snprintf(a->uin, sizeof a->uin, "%s", store_text(q, 0));
    snprintf(a->month, sizeof a->month, "%s", store_text(q, 1));
    a->level = (int)store_int(q, 2);
    snprintf(a->role, sizeof a->role, "%s", store_text(q, 3));
    snprintf(a->partner, sizeof a->partner, "%s", store_text(q, 4));
    a->used = store_int(q, 5);
    a->credit = store_int(q, 6);
    a->time = store_int(q, 7);
}

int pstore_credit_alerts(struct store *s, const char *uin, int as_partner, const char *month, struct credit_alert **out,
                         int *n)
{
    *out = NULL;
    *n = 0;
    const char *sql = as_partner ? "SELECT uin, month, level, role, partner_uin, used_cents, credit_cents, time FROM"
                                   " partner_credit_alerts WHERE (partner_uin = ? OR uin = ?) AND (? = '' OR month ="
                                   " ?) ORDER BY time, uin, level"
                                 : "SELECT uin, month, level, role, partner_uin, used_cents, credit_cents, time FROM"
                                   " partner_credit_alerts WHERE (uin = ? AND uin = ?) AND (? = '' OR month = ?)"
                                   " ORDER BY time, uin, level";
    struct store_stmt *q = store_query(s, sql, "ssss", uin, uin, month, month);
    return store_rows(q, sizeof **out, credit_alert_row, out, n);
}

int partner_account_quota(struct store *s, const char *uin, int64_t *max_instances, int64_t *max_disk_gib)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT t.max_instances, t.max_disk_gib FROM partner_account_tiers a JOIN"
                                       " partner_tiers t ON t.tier = a.tier WHERE a.uin = ?",
                                       "s", uin);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND) {
        *max_instances = store_int(q, 0);
        *max_disk_gib = store_int(q, 1);
    }
    store_done(q);
    return rc < 0 ? -1 : rc == STORE_FOUND;
}

/* The partner's bound customers, and a distributor's also its second-level resellers' (read
 * only: every other action names the customer's own partner), ordered by binding time. */
static int by_agent_time(const void *a, const void *b)
{
    const struct client *x = a, *y = b;
    return x->agent_time < y->agent_time ? -1 : x->agent_time > y->agent_time ? 1 : strcmp(x->client, y->client);
}

int partner_tree_clients(struct store *s, const struct partner *p, int descending, struct client **out, int *n)
{
    if (pstore_clients(s, p->uin, CLIENT_BOUND, descending, out, n) != 0)
        return -1;
    if (strcmp(p->kind, "distributor"))
        return 0;
    char(*subs)[24];
    int m;
    if (pstore_second_levels(s, p->uin, &subs, &m) != 0)
        goto fail;
    int rc = 0;
    for (int i = 0; rc == 0 && i < m; i++) {
        struct client *more;
        int k;
        if (pstore_clients(s, subs[i], CLIENT_BOUND, descending, &more, &k) != 0) {
            rc = -1;
            break;
        }
        void *nu = k ? realloc(*out, (size_t)(*n + k) * sizeof **out) : *out;
        if (k && !nu)
            rc = -1;
        else if (k) {
            *out = nu;
            memcpy(*out + *n, more, (size_t)k * sizeof *more);
            *n += k;
        }
        free(more);
    }
    free(subs);
    if (rc != 0)
        goto fail;
    if (*n > 1) {
        qsort(*out, (size_t)*n, sizeof **out, by_agent_time);
        for (int i = 0; descending && i < *n / 2; i++) {
            struct client t = (*out)[i];
            (*out)[i] = (*out)[*n - 1 - i];
            (*out)[*n - 1 - i] = t;
        }
    }
    return 0;
fail:
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

int pstore_force_qn_put(struct store *s, const char *partner, const char *client, int64_t t)
{
    int rc = store_exec(s,
                        "INSERT INTO partner_force_qn (client_uin, partner_uin, time) VALUES (?, ?, ?) ON CONFLICT"
                        " (client_uin) DO NOTHING",
                        "ssi", client, partner, t);
    return rc < 0 ? -1 : rc > 0;
}

int pstore_force_qn_delete(struct store *s, const char *client)
{
    int rc = store_exec(s, "DELETE FROM partner_force_qn WHERE client_uin = ?", "s", client);
    return rc < 0 ? -1 : rc > 0;
}

int pstore_force_qn_get(struct store *s, const char *client)
{
    struct store_stmt *q = store_query(s, "SELECT 1 FROM partner_force_qn WHERE client_uin = ?", "s", client);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc < 0 ? -1 : rc == STORE_FOUND;
}
