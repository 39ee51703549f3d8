/*
 * channel_bills: an account's bill components for the partner channel's bill views (the intl
 * DescribeCustomerBillDetail), one call per component of the L3 rows whose fee_begin falls in
 * [from, to), oldest first, in billing's units (fine; used per unit and hours as in the bills).
 */
#include <stdio.h>
#include <string.h>

#include "billing/billing_int.h"

int billing_components_each(struct store *s, const char *owner, int64_t from, int64_t to,
                            int (*fn)(void *arg, const struct billing_component_row *r), void *arg)
{
    struct store_stmt *q = store_query(
        s,
        "SELECT d.detail_id, d.product, d.sub_product, d.pay_mode, d.action_type, d.region, d.zone, d.resource_id,"
        " d.resource_name, d.bill_id, d.pay_time, d.fee_begin, d.fee_end, d.discount_ppm, d.payer_uin,"
        " d.operate_uin, c.component, c.item, c.price, c.unit_qty, c.period_s, c.unit, c.used, c.time_span,"
        " c.cost, c.real_cost, c.voucher, c.cash FROM billing_details d JOIN billing_components c ON"
        " c.detail_id = d.detail_id WHERE d.owner_uin = ? AND d.fee_begin >= ? AND d.fee_begin < ?"
        " ORDER BY d.fee_begin, d.detail_id, c.component, c.item",
        "sii", owner, from, to);
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct billing_component_row r = {.detail_id = store_text(q, 0),
                                          .product = store_text(q, 1),
                                          .sub_product = store_text(q, 2),
                                          .pay_mode = store_text(q, 3),
                                          .action_type = store_text(q, 4),
                                          .region = store_text(q, 5),
                                          .zone = store_text(q, 6),
                                          .resource_id = store_text(q, 7),
                                          .resource_name = store_text(q, 8),
                                          .bill_id = store_text(q, 9),
                                          .pay_time = store_int(q, 10),
                                          .fee_begin = store_int(q, 11),
                                          .fee_end = store_int(q, 12),
                                          .discount_ppm = store_int(q, 13),
                                          .payer_uin = store_text(q, 14),
                                          .operate_uin = store_text(q, 15),
                                          .component = store_text(q, 16),
                                          .item = store_text(q, 17),
                                          .price = store_int(q, 18),
                                          .unit = store_text(q, 21),
                                          .cost = store_int(q, 24),
                                          .real_cost = store_int(q, 25),
                                          .voucher = store_int(q, 26),
                                          .cash = store_int(q, 27)};
        int64_t unit_qty = store_int(q, 19) > 0 ? store_int(q, 19) : 1, period = store_int(q, 20);
        int64_t used = store_int(q, 22), span = store_int(q, 23);
        r.hourly = period == 3600;
        r.used = r.hourly ? rate_muldiv(used, BILLING_FINE_PER_YUAN, span * unit_qty)
                          : rate_muldiv(used, BILLING_FINE_PER_YUAN, unit_qty);
        r.hours = r.hourly ? rate_muldiv(span, BILLING_FINE_PER_YUAN, 3600) : span * BILLING_FINE_PER_YUAN;
        r.unit_qty = unit_qty;
        if (fn(arg, &r) != 0) {
            rc = -1;
            break;
        }
    }
    store_done(q);
    return rc == 0 ? 0 : -1;
}

const char *billing_business_code(const char *product) { return price_business_code(product); }
