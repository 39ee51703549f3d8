/*
 * prepaid: orders (purchase, renewal, refund), the resources they keep running, and what happens
 * when a period ends. A purchase is priced with the price book's monthly prices and the account's
 * discount, and paid from the balance at once, or refused with nothing written. A period runs
 * calendar months from its start (Jan 31 + 1 month = Feb 28); a renewal starts where the last
 * period ends, even when it is made after expiry. At expiry an auto-renewing resource is renewed
 * for one month if the balance covers it; otherwise it is stopped (RestrictState EXPIRED) and
 * released prepaid_retention_s later unless renewed meanwhile.
 *
 * Refund rule (early release): each order's real cost is returned in proportion to the seconds
 * of its period not yet used, rounded down to the cent; the used part, and what vouchers paid,
 * are not returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

int64_t prepaid_retention_s = 7 * 86400;

static json_t *items_json(const struct billing_item *items, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "Component", items[i].component, "Item", items[i].item,
                                           "Quantity", (json_int_t)items[i].quantity));
    return a;
}

static int set_fail(char *code, size_t clen, char *msg, size_t mlen, const char *c, const char *m)
{
    snprintf(code, clen, "%s", c);
    snprintf(msg, mlen, "%s", m);
    return -1;
}

struct order_ctx {
    const char *owner, *operator_uin, *product, *region, *zone, *resource_id, *resource_name, *action;
    const struct billing_item *items;
    int nitems, months;
    int64_t begin, end, t;
    const char *payer, *deal; /* set when an unpaid deal is paid: who pays it, and its name */
};

/* Records a paid order: the deal, its L3 row and components, and the deduction. */
static int write_order(struct store *s, const struct order_ctx *o, const struct billing_price *p, char order_id[40])
{
    char big[40], detail_id[96], month[16], sub[32], info[96], payer[24];
    if (o->payer)
        snprintf(payer, sizeof payer, "%s", o->payer);
    else if (billing_payer_of(s, o->owner, payer) != 0)
        return -1;
    if (o->deal)
        snprintf(order_id, 40, "%s", o->deal);
    else
        billing_new_id(order_id, o->t);
    billing_new_id(big, o->t);
    snprintf(detail_id, sizeof detail_id, "o%s:%s", order_id, o->resource_id);
    snprintf(sub, sizeof sub, "sp_%s", o->product);
    time_date(o->t, month);
    month[7] = 0;
    json_t *info_j = json_pack("[{s:s,s:s},{s:s,s:i}]", "Name", "资源", "Value", o->resource_id, "Name", "时长(月)",
                               "Value", o->months);
    char *pinfo = json_dumps(info_j, JSON_COMPACT);
    json_decref(info_j);
    int rc =
        o->deal
            ? store_exec(s,
                         "UPDATE billing_deals SET payer_uin = ?, creator = ?, status = 4, unit_price = ?,"
                         " total_cost = ?, real_total_cost = ?, discount_ppm = ?, product_info = ? WHERE"
                         " order_id = ? AND status = 1",
                         "ssiiiiss", payer, o->operator_uin, p->unit_list, p->list, p->real, p->discount_ppm,
                         pinfo ? pinfo : "[]", order_id)
            : store_exec(s,
                         "INSERT INTO billing_deals (order_id, big_deal_id, owner_uin, payer_uin, creator, status,"
                         " product, sub_product, action, resource_id, region, zone, months, unit_price, total_cost,"
                         " real_total_cost, discount_ppm, create_time, product_info) VALUES (?, ?, ?, ?, ?, 4, ?, ?, ?,"
                         " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         "sssssssssssiiiiiis", order_id, big, o->owner, payer, o->operator_uin, o->product, sub,
                         o->action, o->resource_id, o->region, o->zone, (int64_t)o->months, p->unit_list, p->list,
                         p->real, p->discount_ppm, o->t, pinfo ? pinfo : "[]");
    free(pinfo);
    if (rc != 1)
        return -1;
    char bill_id[40];
    billing_new_id(bill_id, o->t);
    const char *action_type = !strcmp(o->action, "renew") ? "prepay_renew" : "prepay_purchase";
    for (int i = 0; i < o->nitems; i++) {
        struct price_row pr;
        if (price_find(s, o->region, o->product, o->items[i].component, o->items[i].item, "prePay", o->t, &pr) !=
            STORE_FOUND)
            return -1;
        int64_t cost = rate_cost(pr.price, o->items[i].quantity, pr.unit_qty, 1, 1) * o->months;
        int64_t real = rate_discount(cost, p->discount_ppm);
        if (store_exec(s,
                       "INSERT INTO billing_components (detail_id, component, item, price, unit_qty, period_s, unit,"
                       " used, time_span, cost, discount_ppm, real_cost, cash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                       " ?, ?)",
                       "sssiiisiiiiii", detail_id, o->items[i].component, o->items[i].item, pr.price, pr.unit_qty,
                       pr.period_s, pr.unit, o->items[i].quantity, (int64_t)o->months, cost, p->discount_ppm, real,
                       real) != 1)
            return -1;
    }
    /* the row's totals are its components' sums (each rounded once, as settlement does) */
    if (store_exec(s,
                   "INSERT INTO billing_details (detail_id, owner_uin, payer_uin, operate_uin, month, product,"
                   " sub_product, pay_mode, action_type, region, zone, resource_id, resource_name, order_id, bill_id,"
                   " pay_time, fee_begin, fee_end, discount_ppm, cost, real_cost, cash) SELECT ?, ?, ?, ?, ?, ?, ?,"
                   " 'prePay', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, sum(cost), sum(real_cost), sum(cash)"
                   " FROM billing_components WHERE detail_id = ?",
                   "ssssssssssssssiiiis", detail_id, o->owner, payer, o->operator_uin, month, o->product, sub,
                   action_type, o->region, o->zone, o->resource_id, o->resource_name, order_id, bill_id, o->t, o->begin,
                   o->end, p->discount_ppm, detail_id) != 1)
        return -1;
    snprintf(info, sizeof info, "%s %s", !strcmp(o->action, "renew") ? "包年包月续费" : "包年包月新购", order_id);
    return billing_charge(s, o->owner, payer, -p->real, "deduct", "trade", info, o->t, bill_id);
}

/* Prices and checks the balance; 0, or -1 with the refusal in code/msg and nothing written. */
static int price_and_check(struct store *s, const struct order_ctx *o, struct billing_price *p, char *code, size_t clen,
                           char *msg, size_t mlen)
{
    if (o->months < 1 || o->months > 60)
        return set_fail(code, clen, msg, mlen, E_INVALID_PERIOD, "Period is a number of months from 1 to 60.");
    if (billing_quote(s, o->owner, o->region, o->product, o->items, o->nitems, o->months, o->t, p, code, clen, msg,
                      mlen) != 0)
        return -1;
    int64_t cash;
    char payer[24]; /* the owner, or the partner paying on its behalf */
    int64_t credit; /* a customer's credit from its partner counts as balance */
    if (o->payer)
        snprintf(payer, sizeof payer, "%s", o->payer);
    else if (billing_payer_of(s, o->owner, payer) != 0)
        return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The balance could not be read.");
    if (ledger_cash(s, payer, &cash) != 0 || billing_credit_of(s, payer, &credit) != 0)
        return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The balance could not be read.");
    /* an order that eats into the credit: the partner channel checks its partners' credit too */
    if (cash < p->real && cash + credit >= p->real &&
        billing_check_credit(s, payer, cash, p->real, code, clen, msg, mlen))
        return -1;
    cash += credit;
    if (cash < p->real) {
        char need[32], have[32];
        rate_yuan2(p->real, need);
        rate_yuan2(cash, have);
        snprintf(code, clen, "%s", E_INSUFFICIENT_BALANCE);
        if (strcmp(payer, o->owner))
            snprintf(msg, mlen,
                     "The order costs %s yuan and the available balance of %s, paying on behalf, is %s yuan.", need,
                     payer, have);
        else
            snprintf(msg, mlen, "The order costs %s yuan and the available balance is %s yuan.", need, have);
        return -1;
    }
    return 0;
}

int billing_prepay(struct store *s, const struct billing_order *bo, int64_t t, char order_id[40], int64_t *expire,
                   char *code, size_t clen, char *msg, size_t mlen)
{
    struct order_ctx o = {bo->owner_uin,
                          bo->operator_uin,
                          bo->product,
                          bo->region,
                          bo->zone,
                          bo->resource_id,
                          bo->resource_name,
                          "purchase",
                          bo->items,
                          bo->nitems,
                          bo->months,
                          t,
                          0,
                          t};
    struct billing_price p;
    if (price_and_check(s, &o, &p, code, clen, msg, mlen) != 0)
        return -1;
    o.end = t + rate_months_seconds(t, bo->months);
    json_t *items = items_json(bo->items, bo->nitems);
    char *text = json_dumps(items, JSON_COMPACT);
    json_decref(items);
    int rc = write_order(s, &o, &p, order_id) == 0 &&
                     store_exec(s,
                                "INSERT INTO billing_prepaid (resource_id, owner_uin, product, region, zone,"
                                " resource_name, items, renew_flag, start_time, expire_time, state, last_order, paid,"
                                " period_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?, ?)",
                                "ssssssssiisii", bo->resource_id, bo->owner_uin, bo->product, bo->region, bo->zone,
                                bo->resource_name ? bo->resource_name : "", text ? text : "[]",
                                bo->renew_flag ? bo->renew_flag : "NOTIFY_AND_MANUAL_RENEW", t, o.end, order_id, p.real,
                                t) == 1
                 ? 0
                 : set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The order could not be recorded.");
    free(text);
    if (rc == 0)
        *expire = o.end;
    return rc;
}

struct prepaid {
    char resource_id[64], owner[32], product[16], region[32], zone[32], name[128], state[16], renew_flag[40];
    int64_t expire;
    struct billing_item items[8];
    char comp[8][32], item[8][40];
    int nitems;
};

static int load(struct store *s, const char *resource_id, struct prepaid *p)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT owner_uin, product, region, zone, resource_name, items, state,"
                                       " renew_flag, expire_time FROM billing_prepaid WHERE resource_id = ?",
                                       "s", resource_id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == STORE_FOUND) {
        memset(p, 0, sizeof *p);
        snprintf(p->resource_id, sizeof p->resource_id, "%s", resource_id);
        snprintf(p->owner, sizeof p->owner, "%s", store_text(q, 0));
        snprintf(p->product, sizeof p->product, "%s", store_text(q, 1));
        snprintf(p->region, sizeof p->region, "%s", store_text(q, 2));
        snprintf(p->zone, sizeof p->zone, "%s", store_text(q, 3));
        snprintf(p->name, sizeof p->name, "%s", store_text(q, 4));
        snprintf(p->state, sizeof p->state, "%s", store_text(q, 6));
        snprintf(p->renew_flag, sizeof p->renew_flag, "%s", store_text(q, 7));
        p->expire = store_int(q, 8);
        json_t *a = json_loads(store_text(q, 5), 0, NULL);
        size_t i;
        json_t *v;
        json_array_foreach (a, i, v) {
            if (p->nitems == 8)
                break;
            snprintf(p->comp[p->nitems], 32, "%s", json_string_value(json_object_get(v, "Component")));
            snprintf(p->item[p->nitems], 40, "%s", json_string_value(json_object_get(v, "Item")));
            p->items[p->nitems] = (struct billing_item){p->comp[p->nitems], p->item[p->nitems],
                                                        json_integer_value(json_object_get(v, "Quantity"))};
            p->nitems++;
        }
        json_decref(a);
    }
    store_done(q);
    return rc;
}

static int renew(struct store *s, struct prepaid *p, const char *operator_uin, int months, int64_t t, int64_t *expire,
                 const char *payer, const char *deal, char *code, size_t clen, char *msg, size_t mlen)
{
    struct order_ctx o = {
        p->owner,  operator_uin, p->product, p->region, p->zone, p->resource_id, p->name, "renew", p->items,
        p->nitems, months,       p->expire,  0,         t,       payer,          deal};
    struct billing_price pr;
    if (price_and_check(s, &o, &pr, code, clen, msg, mlen) != 0)
        return -1;
    o.end = p->expire + rate_months_seconds(p->expire, months);
    char order_id[40];
    if (write_order(s, &o, &pr, order_id) != 0 ||
        store_exec(s,
                   "UPDATE billing_prepaid SET expire_time = ?, state = 'ACTIVE', last_order = ?, paid = paid + ?"
                   " WHERE resource_id = ?",
                   "isis", o.end, order_id, pr.real, p->resource_id) != 1)
        return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The renewal could not be recorded.");
    if (!deal &&
        store_exec(s, "UPDATE billing_deals SET status = 7 WHERE owner_uin = ? AND resource_id = ? AND status = 1",
                   "ss", p->owner, p->resource_id) < 0) /* renewed otherwise: an unpaid renewal is closed */
        return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The renewal could not be recorded.");
    if (!strcmp(p->state, "EXPIRED")) {
        const struct billing_product *bp = billing_product_find(p->product);
        if (bp && bp->renewed && bp->renewed(s, p->resource_id, t) != 0)
            return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The renewed resource could not be restored.");
    }
    *expire = o.end;
    return 0;
}

int billing_renew(struct store *s, const char *owner_uin, const char *operator_uin, const char *resource_id, int months,
                  int64_t t, int64_t *expire, char *code, size_t clen, char *msg, size_t mlen)
{
    struct prepaid p;
    int rc = load(s, resource_id, &p);
    if (rc < 0)
        return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The order could not be read.");
    if (rc == STORE_NOT_FOUND || strcmp(p.owner, owner_uin) || !strcmp(p.state, "RELEASED"))
        return set_fail(code, clen, msg, mlen, E_UNSUPPORTED_OPERATION, "The resource is not a prepaid resource.");
    return renew(s, &p, operator_uin, months, t, expire, NULL, NULL, code, clen, msg, mlen);
}

int billing_refund(struct store *s, const char *owner_uin, const char *resource_id, int64_t t)
{
    struct prepaid p;
    int rc = load(s, resource_id, &p);
    if (rc != STORE_FOUND)
        return rc < 0 ? -1 : 0;
    if (strcmp(p.owner, owner_uin) || !strcmp(p.state, "RELEASED"))
        return 0;
    /* the unused part of each paid period */
    struct store_stmt *q = store_query(s,
                                       "SELECT real_cost, fee_begin, fee_end, payer_uin FROM billing_details WHERE"
                                       " owner_uin = ?"
                                       " AND resource_id = ? AND pay_mode = 'prePay' AND action_type IN"
                                       " ('prepay_purchase', 'prepay_renew') AND fee_end > ?",
                                       "ssi", owner_uin, resource_id, t);
    if (!q)
        return -1;
    /* each period's unused part goes back to whoever paid it (the owner, or its partner) */
    struct {
        char payer[24];
        int64_t refund;
    } back[8];
    int nback = 0;
    while ((rc = store_step(q)) == STORE_FOUND) {
        int64_t real = store_int(q, 0), b = store_int(q, 1), e = store_int(q, 2);
        int64_t from = t > b ? t : b;
        const char *payer = store_text(q, 3);
        int k = 0;
        while (k < nback && strcmp(back[k].payer, payer))
            k++;
        if (k == nback) {
            if (nback == 8)
                k = 0; /* more payers than that for one resource: the first gets the rest */
            else {
                snprintf(back[nback].payer, sizeof back[nback].payer, "%s", payer);
                back[nback++].refund = 0;
            }
        }
        if (e > b)
            back[k].refund += (int64_t)((__int128)real * (e - from) / (e - b));
    }
    store_done(q);
    if (rc < 0)
        return -1;
    for (int k = 0; k < nback; k++) {
        const char *payer = back[k].payer;
        int64_t refund = back[k].refund / BILLING_FINE_PER_CENT * BILLING_FINE_PER_CENT; /* down to the cent */
        if (refund <= 0)
            continue;
        char order_id[40], big[40], bill_id[40], detail_id[96], month[16], info[96];
        billing_new_id(order_id, t);
        billing_new_id(big, t);
        billing_new_id(bill_id, t);
        snprintf(detail_id, sizeof detail_id, "r%s:%s", order_id, resource_id);
        time_date(t, month);
        month[7] = 0;
        snprintf(info, sizeof info, "包年包月退款 %s", order_id);
        if (store_exec(s,
                       "INSERT INTO billing_deals (order_id, big_deal_id, owner_uin, payer_uin, creator, status,"
                       " product, sub_product, action, resource_id, region, zone, months, unit_price, total_cost,"
                       " real_total_cost, discount_ppm, create_time, formula, ref_order) VALUES (?, ?, ?, ?, ?, 6, ?,"
                       " ?, 'refund', ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?)",
                       "ssssssssssiiiiss", order_id, big, owner_uin, payer, owner_uin, p.product, "sp_prepaid",
                       resource_id, p.region, p.zone, -refund, -refund, BILLING_PPM, t,
                       "unused seconds of each period / its seconds x its real cost, down to the cent", "") != 1 ||
            store_exec(s,
                       "INSERT INTO billing_details (detail_id, owner_uin, payer_uin, operate_uin, month, product,"
                       " sub_product, pay_mode, action_type, region, zone, resource_id, resource_name, order_id,"
                       " bill_id, pay_time, fee_begin, fee_end, discount_ppm, cost, real_cost, cash) VALUES (?, ?, ?,"
                       " ?, ?, ?, ?, 'prePay', 'prepay_return', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "sssssssssssssiiiiiii", detail_id, owner_uin, payer, owner_uin, month, p.product, "sp_prepaid",
                       p.region, p.zone, resource_id, p.name, order_id, bill_id, t, t, p.expire, BILLING_PPM, -refund,
                       -refund, -refund) != 1 ||
            store_exec(s,
                       "INSERT INTO billing_components (detail_id, component, item, price, unit_qty, period_s, unit,"
                       " used, time_span, cost, discount_ppm, real_cost, cash) VALUES (?, 'v_refund', ?, 0, 1, 0,"
                       " '', 1, ?, ?, ?, ?, ?)",
                       "ssiiiii", detail_id, p.product, p.expire - t, -refund, BILLING_PPM, -refund, -refund) != 1 ||
            billing_charge(s, owner_uin, payer, refund, "return", "trade", info, t, bill_id) != 0)
            return -1;
    }
    return store_exec(s, "UPDATE billing_prepaid SET state = 'RELEASED' WHERE resource_id = ?", "s", resource_id) < 0
               ? -1
               : 0;
}

int billing_prepaid_info(struct store *s, const char *resource_id, int64_t *expire, char renew_flag[40])
{
    struct store_stmt *q =
        store_query(s, "SELECT expire_time, renew_flag FROM billing_prepaid WHERE resource_id = ?", "s", resource_id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == STORE_FOUND) {
        *expire = store_int(q, 0);
        snprintf(renew_flag, 40, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc;
}

int billing_set_renew_flag(struct store *s, const char *owner_uin, const char *resource_id, const char *flag)
{
    return store_exec(s, "UPDATE billing_prepaid SET renew_flag = ? WHERE resource_id = ? AND owner_uin = ?", "sss",
                      flag, resource_id, owner_uin);
}

/* A partner's customer's resource expired unrenewed: a renewal of one month is left as an unpaid
 * deal (status 1) that its partner may pay on its behalf (AgentPayDeals), as Tencent's channel
 * does; nothing is charged until then. */
static int unpaid_renewal(struct store *s, const struct prepaid *p, int64_t t)
{
    char agent[24], code[64], msg[256];
    int rc = billing_agent_of(s, p->owner, agent);
    if (rc <= 0)
        return rc;
    struct billing_price pr;
    if (billing_quote(s, p->owner, p->region, p->product, p->items, p->nitems, 1, t, &pr, code, sizeof code, msg,
                      sizeof msg) != 0)
        return 0; /* no longer priced: nothing to offer */
    char order_id[40], big[40], sub[32];
    billing_new_id(order_id, t);
    billing_new_id(big, t);
    snprintf(sub, sizeof sub, "sp_%s", p->product);
    return store_exec(s,
                      "INSERT INTO billing_deals (order_id, big_deal_id, owner_uin, payer_uin, creator, status,"
                      " product, sub_product, action, resource_id, region, zone, months, unit_price, total_cost,"
                      " real_total_cost, discount_ppm, create_time, product_info) VALUES (?, ?, ?, ?, ?, 1, ?, ?,"
                      " 'renew', ?, ?, ?, 1, ?, ?, ?, ?, ?, '[]')",
                      "ssssssssssiiiii", order_id, big, p->owner, agent, p->owner, p->product, sub, p->resource_id,
                      p->region, p->zone, pr.unit_list, pr.list, pr.real, pr.discount_ppm, t) == 1
               ? 0
               : -1;
}

int billing_pay_deal(struct store *s, const char *owner_uin, const char *order_id, const char *payer,
                     const char *operator_uin, int64_t t, void (**wake)(void), char *code, size_t clen, char *msg,
                     size_t mlen)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT status, action, resource_id, months FROM billing_deals WHERE"
                                       " order_id = ? AND owner_uin = ?",
                                       "ss", order_id, owner_uin);
    int rc = q ? store_step(q) : -1;
    int status = rc == STORE_FOUND ? (int)store_int(q, 0) : 0;
    char action[16] = "", resource_id[64] = "";
    int months = rc == STORE_FOUND ? (int)store_int(q, 3) : 0;
    if (rc == STORE_FOUND) {
        snprintf(action, sizeof action, "%s", store_text(q, 1));
        snprintf(resource_id, sizeof resource_id, "%s", store_text(q, 2));
    }
    store_done(q);
    if (rc < 0)
        return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The deal could not be read.");
    if (rc != STORE_FOUND)
        return set_fail(code, clen, msg, mlen, E_BILLING_DEAL_NOT_FOUND, "The deal is not found.");
    if (status != 1)
        return set_fail(code, clen, msg, mlen, status == 8 ? E_BILLING_DEAL_EXPIRED : E_BILLING_DEAL_PAID,
                        status == 8 ? "The deal expired with its resource." : "The deal is paid already.");
    struct prepaid p;
    rc = load(s, resource_id, &p);
    if (rc < 0)
        return set_fail(code, clen, msg, mlen, E_INTERNAL_ERROR, "The order could not be read.");
    if (rc != STORE_FOUND || strcmp(action, "renew") || !strcmp(p.state, "RELEASED"))
        return set_fail(code, clen, msg, mlen, E_BILLING_DEAL_EXPIRED, "The deal's resource is released.");
    int64_t expire;
    if (renew(s, &p, operator_uin, months, t, &expire, payer, order_id, code, clen, msg, mlen) != 0)
        return -1;
    const struct billing_product *bp = billing_product_find(p.product);
    if (wake)
        *wake = bp ? bp->after_commit : NULL;
    return 0;
}

/* One due resource: renewed, expired, or reclaimed, in its own transaction. */
static int due_one(struct store *s, const char *resource_id, int64_t t)
{
    struct prepaid p;
    if (store_begin(s) != STORE_OK)
        return -1;
    int rc = load(s, resource_id, &p);
    const struct billing_product *bp = rc == STORE_FOUND ? billing_product_find(p.product) : NULL;
    char code[64], msg[256], note[512];
    int64_t at = rc == STORE_FOUND ? p.expire : t, expire;
    if (rc != STORE_FOUND)
        goto fail;
    if (!strcmp(p.state, "ACTIVE") && !strcmp(p.renew_flag, "NOTIFY_AND_AUTO_RENEW") &&
        renew(s, &p, p.owner, 1, at, &expire, NULL, NULL, code, sizeof code, msg, sizeof msg) == 0) {
        snprintf(note, sizeof note, "%s 已自动续费一个月 (renewed automatically for one month)", p.resource_id);
        billing_note(s, p.owner, "AUTO_RENEWED", note, at);
    } else if (!strcmp(p.state, "ACTIVE")) {
        if (store_exec(s, "UPDATE billing_prepaid SET state = 'EXPIRED' WHERE resource_id = ?", "s", resource_id) !=
                1 ||
            (bp && bp->expire && bp->expire(s, resource_id, at) != 0) || unpaid_renewal(s, &p, at) != 0)
            goto fail;
        snprintf(note, sizeof note, "%s 已到期并停服，%lld 天内续费可恢复 (expired; renew within %lld days)",
                 p.resource_id, (long long)(prepaid_retention_s / 86400), (long long)(prepaid_retention_s / 86400));
        billing_note(s, p.owner, "EXPIRED", note, at);
    } else if (!strcmp(p.state, "EXPIRED")) {
        at = p.expire + prepaid_retention_s;
        if (store_exec(s, "UPDATE billing_prepaid SET state = 'RELEASED' WHERE resource_id = ?", "s", resource_id) !=
                1 ||
            (bp && bp->reclaim && bp->reclaim(s, resource_id, at) != 0) ||
            store_exec(s, "UPDATE billing_deals SET status = 8 WHERE owner_uin = ? AND resource_id = ? AND status = 1",
                       "ss", p.owner, resource_id) < 0) /* an unpaid renewal of it has expired with it */
            goto fail;
        snprintf(note, sizeof note, "%s 到期未续费，已释放 (not renewed; released)", p.resource_id);
        billing_note(s, p.owner, "RELEASED", note, at);
    }
    if (store_commit(s) != STORE_OK)
        goto fail;
    if (bp && bp->after_commit)
        bp->after_commit();
    return 0;
fail:
    log_error("billing: prepaid %s: %s", resource_id, store_errmsg(s));
    store_rollback(s);
    return -1;
}

int prepaid_pass(struct store *s, int64_t t)
{
    for (int round = 0; round < 100; round++) { /* a long jump of the clock renews month after month */
        struct store_stmt *q = store_query(s,
                                           "SELECT resource_id FROM billing_prepaid WHERE (state = 'ACTIVE' AND"
                                           " expire_time <= ?) OR (state = 'EXPIRED' AND expire_time <= ?)"
                                           " ORDER BY expire_time LIMIT 200",
                                           "ii", t, t - prepaid_retention_s);
        if (!q)
            return -1;
        char(*ids)[64] = calloc(200, 64);
        int n = 0, rc;
        while (ids && (rc = store_step(q)) == STORE_FOUND && n < 200)
            snprintf(ids[n++], 64, "%s", store_text(q, 0));
        store_done(q);
        int failed = 0;
        for (int i = 0; i < n; i++)
            if (due_one(s, ids[i], t) != 0)
                failed++;
        free(ids);
        if (n == 0 || failed == n)
            return failed ? -1 : 0;
    }
    return 0;
}
