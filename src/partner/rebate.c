/*
 * rebate: the partner's monthly rebate. At the end of each month (on the business clock, run by
 * billing's controller) each partner's bound customers' paid spend of that month, from the time
 * each was bound, is summed per policy class (A/B/C, by product) and priced at the class's rate.
 * Customers in arrears at month end form rows of their own flagged HAS_OVERDUE_BILL, which are
 * recorded but not paid; the others are paid into the partner's balance as one income ledger row
 * per class. A (partner, month) key makes each month's rebate happen once, crash or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "partner/partner_int.h"

const int64_t rebate_default_ppm[REBATE_CLASSES] = {50000, 30000, 10000}; /* 5 %, 3 %, 1 % */
const char *const rebate_default_map[][2] = {{"cvm", "A"}, {"cbs", "B"}, {"*", "C"}, {NULL, NULL}};

int rebate_class_index(const char *name)
{
    if (name && name[0] && !name[1]) {
        if (name[0] >= 'A' && name[0] < 'A' + REBATE_CLASSES)
            return name[0] - 'A';
        if (name[0] >= 'a' && name[0] < 'a' + REBATE_CLASSES)
            return name[0] - 'a';
    }
    return -1;
}

int rebate_class_of(const struct rebate_policy *p, const char *product)
{
    int star = -1;
    for (int i = 0; i < p->nmap; i++) {
        if (!strcmp(p->map[i].product, product))
            return p->map[i].cls;
        if (!strcmp(p->map[i].product, "*"))
            star = p->map[i].cls;
    }
    return star;
}

int64_t fine_to_cents(int64_t fine)
{
    int64_t q = fine / BILLING_FINE_PER_CENT;
    return fine % BILLING_FINE_PER_CENT < 0 ? q - 1 : q;
}

void rebate_compute(const struct rebate_policy *p, const struct rebate_line *lines, int n,
                    struct rebate_row out[REBATE_CLASSES][2])
{
    memset(out, 0, sizeof(struct rebate_row) * REBATE_CLASSES * 2);
    for (int c = 0; c < REBATE_CLASSES; c++)
        for (int o = 0; o < 2; o++) {
            out[c][o].cls = c;
            out[c][o].overdue = o;
        }
    for (int i = 0; i < n; i++) {
        int c = rebate_class_of(p, lines[i].product);
        if (c < 0 || c >= REBATE_CLASSES)
            continue;
        struct rebate_row *r = &out[c][lines[i].overdue ? 1 : 0];
        r->used = 1;
        r->sales_fine += lines[i].cash;
    }
    for (int c = 0; c < REBATE_CLASSES; c++)
        for (int o = 0; o < 2; o++) {
            struct rebate_row *r = &out[c][o];
            r->sales_cents = fine_to_cents(r->sales_fine);
            /* the rate applies to the exact spend, once; what is below a cent is not paid */
            __int128 amt = (__int128)(r->sales_fine > 0 ? r->sales_fine : 0) * p->rate_ppm[c];
            r->amt_cents = (int64_t)(amt / ((__int128)BILLING_PPM * BILLING_FINE_PER_CENT));
        }
}

int64_t month_start(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    struct tm m = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = 1};
    return (int64_t)timegm(&m);
}

int64_t month_next(int64_t start)
{
    time_t tt = (time_t)start;
    struct tm tm;
    gmtime_r(&tt, &tm);
    struct tm m = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon + 1, .tm_mday = 1};
    return (int64_t)timegm(&m);
}

int64_t quarter_start(int64_t start)
{
    time_t tt = (time_t)start;
    struct tm tm;
    gmtime_r(&tt, &tm);
    struct tm m = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon / 3 * 3, .tm_mday = 1};
    return (int64_t)timegm(&m);
}

void month_name(int64_t t, char out[8])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000u, m = (unsigned)(tm.tm_mon + 1) % 100u;
    snprintf(out, 8, "%04u-%02u", y, m);
}

int month_parse(const char *m, int64_t *start)
{
    int y, mo;
    char tail;
    if (!m || strlen(m) != 7 || m[4] != '-' || sscanf(m, "%4d-%2d%c", &y, &mo, &tail) != 2 || mo < 1 || mo > 12 ||
        y < 1970)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = 1};
    *start = (int64_t)timegm(&tm);
    return 0;
}

/* One customer's paid spend of the month, collected from billing's rows (no query runs meanwhile). */
struct spend {
    struct rebate_line *lines;
    char (*products)[16];
    int n, cap, overdue;
};

static int add_spend(void *arg, const struct billing_spend_row *r)
{
    struct spend *sp = arg;
    if (sp->n == sp->cap) {
        int cap = sp->cap ? sp->cap * 2 : 16;
        void *nl = realloc(sp->lines, (size_t)cap * sizeof *sp->lines);
        if (!nl)
            return -1;
        sp->lines = nl;
        void *np = realloc(sp->products, (size_t)cap * sizeof *sp->products);
        if (!np)
            return -1;
        sp->products = np;
        sp->cap = cap;
    }
    snprintf(sp->products[sp->n], 16, "%s", r->product);
    sp->lines[sp->n].cash = r->cash;
    sp->lines[sp->n].overdue = sp->overdue;
    sp->n++;
    return 0;
}

/* The rebate of one partner for the month [from, to), in the caller's transaction; t dates it. */
static int rebate_partner(struct store *s, const char *partner, int64_t from, int64_t to, int64_t t)
{
    char month[8], quarter[8];
    month_name(from, month);
    month_name(quarter_start(from), quarter);
    int rc = pstore_rebate_claim(s, partner, month, t);
    if (rc <= 0)
        return rc;
    struct rebate_policy policy;
    struct client *clients;
    int n;
    if (pstore_rebate_policy(s, partner, &policy) != 0 || pstore_clients(s, partner, CLIENT_BOUND, 0, &clients, &n))
        return -1;
    struct spend sp = {0};
    rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (clients[i].agent_time >= to)
            continue;
        int arrears = billing_overdue(s, clients[i].client);
        if (arrears < 0) {
            rc = -1;
            break;
        }
        sp.overdue = arrears;
        int64_t since = clients[i].agent_time > from ? clients[i].agent_time : from;
        rc = billing_cash_by_product(s, clients[i].client, since, to, add_spend, &sp);
    }
    free(clients);
    struct unbind *ws = NULL; /* former customers: the spend of the window they were bound */
    int nw = 0;
    if (rc == 0 && pstore_unbound_windows(s, partner, from, to, &ws, &nw) != 0)
        rc = -1;
    for (int i = 0; rc == 0 && i < nw; i++) {
        int arrears = billing_overdue(s, ws[i].client);
        if (arrears < 0) {
            rc = -1;
            break;
        }
        sp.overdue = arrears;
        int64_t since = ws[i].agent_time > from ? ws[i].agent_time : from;
        int64_t until = ws[i].action_time < to ? ws[i].action_time : to;
        if (since < until)
            rc = billing_cash_by_product(s, ws[i].client, since, until, add_spend, &sp);
    }
    free(ws);
    for (int i = 0; i < sp.n; i++)
        sp.lines[i].product = sp.products[i];
    struct rebate_row rows[REBATE_CLASSES][2];
    if (rc == 0)
        rebate_compute(&policy, sp.lines, sp.n, rows);
    for (int c = 0; rc == 0 && c < REBATE_CLASSES; c++)
        for (int o = 0; rc == 0 && o < 2; o++) {
            struct rebate_row *r = &rows[c][o];
            if (!r->used)
                continue;
            int64_t before = pstore_quarter_before(s, partner, c, o, quarter, month);
            char bill_id[40] = "", info[96];
            snprintf(info, sizeof info, "返佣 %s %c 类", month, 'A' + c);
            if (before < 0 || (!o && billing_income(s, partner, r->amt_cents, "rebate", info, t, bill_id) != 0) ||
                pstore_rebate_put(s, partner, month, r, before + r->sales_cents, bill_id, t) != 0)
                rc = -1;
        }
    free(sp.lines);
    free(sp.products);
    return rc < 0 ? -1 : 0;
}

int partner_month_end(struct store *s, int64_t t)
{
    int64_t cur = month_start(t), through;
    int rc = pstore_state_get(s, "rebated_through", &through);
    if (rc < 0)
        return -1;
    if (rc == STORE_NOT_FOUND) /* a new cloud: no month ended before it */
        return pstore_state_set(s, "rebated_through", cur);
    while (through < cur) {
        int64_t next = month_next(through);
        char(*uins)[24];
        int n;
        if (pstore_partners(s, &uins, &n) != 0)
            return -1;
        int failed = 0;
        for (int i = 0; i < n; i++) { /* one transaction per partner: its rows and its income together */
            if (store_begin(s) == STORE_OK && rebate_partner(s, uins[i], through, next, next) == 0 &&
                store_commit(s) == STORE_OK)
                continue;
            log_error("partner: the rebate of %s for the month from %lld failed: %s", uins[i], (long long)through,
                      store_errmsg(s));
            store_rollback(s);
            failed = 1;
        }
        free(uins);
        if (failed || pstore_state_set(s, "rebated_through", next) != 0)
            return -1;
        through = next;
    }
    return 0;
}
