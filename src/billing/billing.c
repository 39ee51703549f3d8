/* billing: the service's tables, registration, and the products' hooks. */
#include <stdio.h>
#include <string.h>

#include "billing/billing_int.h"

static const struct migration billing_migrations[] = {
    {1,
     /* the price book: price (fine units) per unit_qty units per period_s seconds (0 = per use) */
     "CREATE TABLE billing_prices (region TEXT NOT NULL, product TEXT NOT NULL, component TEXT NOT NULL,"
     " item TEXT NOT NULL, pay_mode TEXT NOT NULL, effective_from INTEGER NOT NULL, price INTEGER NOT NULL,"
     " unit_qty INTEGER NOT NULL, period_s INTEGER NOT NULL, unit TEXT NOT NULL DEFAULT '',"
     " PRIMARY KEY (region, product, component, item, pay_mode, effective_from));"
     "CREATE TABLE billing_discounts (uin TEXT NOT NULL, product TEXT NOT NULL, effective_from INTEGER NOT NULL,"
     " rate_ppm INTEGER NOT NULL, source TEXT NOT NULL, PRIMARY KEY (uin, product, effective_from));"
     /* balances, exact in fine units; the overdue state the arrears table moves */
     "CREATE TABLE billing_accounts (uin TEXT PRIMARY KEY, cash INTEGER NOT NULL DEFAULT 0,"
     " present INTEGER NOT NULL DEFAULT 0, \"freeze\" INTEGER NOT NULL DEFAULT 0, credit INTEGER NOT NULL DEFAULT 0,"
     " overdue_state TEXT NOT NULL DEFAULT 'NORMAL', overdue_since INTEGER NOT NULL DEFAULT 0,"
     " exempt INTEGER NOT NULL DEFAULT 0, alerted INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0);"
     /* the money ledger: one row per movement; amount and balance in cents, the exact values in fine */
     "CREATE TABLE billing_ledger (bill_id TEXT PRIMARY KEY, uin TEXT NOT NULL, time INTEGER NOT NULL,"
     " action_type TEXT NOT NULL, amount INTEGER NOT NULL, balance INTEGER NOT NULL, amount_fine INTEGER NOT NULL,"
     " cash_fine INTEGER NOT NULL, deduct_mode TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL DEFAULT '',"
     " info TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX billing_ledger_uin ON billing_ledger (uin, time);"
     /* L3: one row per resource x hour (postpaid) or per order (prepaid); its components below */
     "CREATE TABLE billing_details (detail_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, payer_uin TEXT NOT NULL,"
     " operate_uin TEXT NOT NULL, month TEXT NOT NULL, product TEXT NOT NULL, sub_product TEXT NOT NULL,"
     " pay_mode TEXT NOT NULL, action_type TEXT NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL,"
     " project_id INTEGER NOT NULL DEFAULT 0, resource_id TEXT NOT NULL, resource_name TEXT NOT NULL,"
     " order_id TEXT NOT NULL DEFAULT '', bill_id TEXT NOT NULL, pay_time INTEGER NOT NULL,"
     " fee_begin INTEGER NOT NULL, fee_end INTEGER NOT NULL, tags TEXT NOT NULL DEFAULT '[]',"
     " discount_ppm INTEGER NOT NULL, cost INTEGER NOT NULL, real_cost INTEGER NOT NULL, cash INTEGER NOT NULL,"
     " voucher INTEGER NOT NULL DEFAULT 0, incentive INTEGER NOT NULL DEFAULT 0,"
     " transfer INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX billing_details_time ON billing_details (owner_uin, fee_begin, detail_id);"
     "CREATE INDEX billing_details_resource ON billing_details (owner_uin, resource_id, fee_begin);"
     "CREATE TABLE billing_components (detail_id TEXT NOT NULL, component TEXT NOT NULL, item TEXT NOT NULL,"
     " price INTEGER NOT NULL, unit_qty INTEGER NOT NULL, period_s INTEGER NOT NULL, unit TEXT NOT NULL,"
     " used INTEGER NOT NULL, time_span INTEGER NOT NULL, cost INTEGER NOT NULL, discount_ppm INTEGER NOT NULL,"
     " real_cost INTEGER NOT NULL, cash INTEGER NOT NULL, voucher INTEGER NOT NULL DEFAULT 0,"
     " incentive INTEGER NOT NULL DEFAULT 0, transfer INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (detail_id, component, item));"
     /* hours settled per account: the idempotency key of a settlement */
     "CREATE TABLE billing_settled (owner_uin TEXT NOT NULL, hour INTEGER NOT NULL, amount INTEGER NOT NULL,"
     " PRIMARY KEY (owner_uin, hour));"
     /* prepaid orders and the resources they keep running until expire_time */
     "CREATE TABLE billing_deals (order_id TEXT PRIMARY KEY, big_deal_id TEXT NOT NULL, owner_uin TEXT NOT NULL,"
     " payer_uin TEXT NOT NULL, creator TEXT NOT NULL, status INTEGER NOT NULL, product TEXT NOT NULL,"
     " sub_product TEXT NOT NULL, action TEXT NOT NULL, resource_id TEXT NOT NULL, region TEXT NOT NULL,"
     " zone TEXT NOT NULL, months INTEGER NOT NULL, unit_price INTEGER NOT NULL, total_cost INTEGER NOT NULL,"
     " real_total_cost INTEGER NOT NULL, discount_ppm INTEGER NOT NULL, create_time INTEGER NOT NULL,"
     " formula TEXT NOT NULL DEFAULT '', ref_order TEXT NOT NULL DEFAULT '', product_info TEXT NOT NULL DEFAULT '[]');"
     "CREATE INDEX billing_deals_owner ON billing_deals (owner_uin, create_time);"
     "CREATE TABLE billing_prepaid (resource_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, product TEXT NOT NULL,"
     " region TEXT NOT NULL, zone TEXT NOT NULL, resource_name TEXT NOT NULL, items TEXT NOT NULL,"
     " renew_flag TEXT NOT NULL, start_time INTEGER NOT NULL, expire_time INTEGER NOT NULL,"
     " state TEXT NOT NULL, last_order TEXT NOT NULL, paid INTEGER NOT NULL, period_start INTEGER NOT NULL);"
     "CREATE INDEX billing_prepaid_expire ON billing_prepaid (state, expire_time);"
     /* what the customer is told: arrears, isolation, balance alerts, expiry */
     "CREATE TABLE billing_notes (note_id TEXT PRIMARY KEY, uin TEXT NOT NULL, time INTEGER NOT NULL,"
     " kind TEXT NOT NULL, message TEXT NOT NULL);"
     "CREATE INDEX billing_notes_uin ON billing_notes (uin, time);"
     /* the controller's progress and the business clock's offset */
     "CREATE TABLE billing_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"},
};

int billing_migrate(struct store *s, char *err, size_t errlen)
{
    if (store_migrate(s, "billing", billing_migrations, sizeof billing_migrations / sizeof billing_migrations[0], err,
                      errlen) != 0 ||
        voucher_migrate(s, err, errlen) != 0)
        return -1;
    if (price_seed(s) != 0) {
        snprintf(err, errlen, "billing: cannot seed the price book: %s", store_errmsg(s));
        return -1;
    }
    return 0;
}

void billing_register(void)
{
    billing_actions_register();
    bills_register();
    summary_register();
    voucher_api_register();
}

static const struct billing_product *products[16];
static int nproducts;

void billing_register_product(const struct billing_product *p)
{
    for (int i = 0; i < nproducts; i++)
        if (!strcmp(products[i]->product, p->product)) {
            products[i] = p;
            return;
        }
    if (nproducts < (int)(sizeof products / sizeof products[0]))
        products[nproducts++] = p;
}

int billing_product_count(void) { return nproducts; }
const struct billing_product *billing_product_at(int i) { return products[i]; }

const struct billing_product *billing_product_find(const char *product)
{
    for (int i = 0; i < nproducts; i++)
        if (!strcmp(products[i]->product, product))
            return products[i];
    return NULL;
}

void billing_note(struct store *s, const char *uin, const char *kind, const char *message, int64_t t)
{
    char id[40];
    billing_new_id(id, t);
    if (store_exec(s, "INSERT INTO billing_notes (note_id, uin, time, kind, message) VALUES (?, ?, ?, ?, ?)", "ssiss",
                   id, uin, t, kind, message) < 0)
        log_warn("billing: cannot record the %s note of %s: %s", kind, uin, store_errmsg(s));
}
