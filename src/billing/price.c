/*
 * price: the operator's price book, effective-dated (a row applies from effective_from on, so
 * settling a past hour uses the price of that hour and past bills never change), with '*' rows
 * for any region or item; account discounts; and quotes.
 */
#include <stdio.h>
#include <string.h>

#include "billing/billing_int.h"

int price_find(struct store *s, const char *region, const char *product, const char *component, const char *item,
               const char *pay_mode, int64_t t, struct price_row *out)
{
    struct store_stmt *q = store_query(
        s,
        "SELECT price, unit_qty, period_s, unit FROM billing_prices WHERE product = ? AND component = ?"
        " AND pay_mode = ? AND (region = ? OR region = '*') AND (item = ? OR item = '*') AND effective_from <= ?"
        " ORDER BY CASE WHEN region = '*' THEN 1 ELSE 0 END, CASE WHEN item = '*' THEN 1 ELSE 0 END,"
        " effective_from DESC LIMIT 1",
        "sssssi", product, component, pay_mode, region, item, t);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == STORE_FOUND) {
        out->price = store_int(q, 0);
        out->unit_qty = store_int(q, 1);
        out->period_s = store_int(q, 2);
        snprintf(out->unit, sizeof out->unit, "%s", store_text(q, 3));
    }
    store_done(q);
    return rc;
}

int64_t discount_ppm(struct store *s, const char *uin, const char *product, int64_t t)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT rate_ppm FROM billing_discounts WHERE uin = ? AND (product = ? OR"
                                       " product = '*') AND effective_from <= ? ORDER BY CASE WHEN product = '*'"
                                       " THEN 1 ELSE 0 END, effective_from DESC LIMIT 1",
                                       "ssi", uin, product, t);
    if (!q)
        return -1;
    int rc = store_step(q);
    int64_t v = rc == STORE_FOUND ? store_int(q, 0) : BILLING_PPM;
    store_done(q);
    return rc < 0 ? -1 : v;
}

int billing_set_discount(struct store *s, const char *uin, const char *product, int64_t ppm, int64_t from, char *err,
                         size_t errlen)
{
    return billing_set_discount_source(s, uin, product, ppm, from, "operator", err, errlen);
}

int billing_set_discount_source(struct store *s, const char *uin, const char *product, int64_t ppm, int64_t from,
                                const char *source, char *err, size_t errlen)
{
    if (ppm <= 0 || ppm > BILLING_PPM) {
        snprintf(err, errlen, "a discount rate is a multiplier in (0, 1]");
        return -1;
    }
    if (store_exec(s,
                   "INSERT INTO billing_discounts (uin, product, effective_from, rate_ppm, source) VALUES (?, ?, ?, ?,"
                   " ?) ON CONFLICT (uin, product, effective_from) DO UPDATE SET rate_ppm = excluded.rate_ppm,"
                   " source = excluded.source",
                   "ssiis", uin, product, from, ppm, source) < 0) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    return 0;
}

/* The default price book (list prices in fine units, 1e-8 yuan). Postpaid prices are per hour,
 * prorated by the second; prepaid per month. */
#define H   3600
#define M   (30 * 86400) /* prepaid rows: per month of the period; period_s only names the unit */
#define GIB 1073741824LL
static const struct {
    const char *product, *component, *item, *pay_mode;
    int64_t price, unit_qty, period_s;
    const char *unit;
} defaults[] = {
    {"cvm", "v_cvm_cpu", "*", "postPay", 12000000, 1, H, "核"}, /* 0.12 yuan per vCPU-hour */
    {"cvm", "v_cvm_mem", "*", "postPay", 6000000, 1, H, "GB"},  /* 0.06 yuan per GiB-hour */
    {"cvm", "v_cvm_rootdisk", "CLOUD_BASIC", "postPay", 40000, 1, H, "GB"},
    {"cvm", "v_cvm_rootdisk", "CLOUD_PREMIUM", "postPay", 50000, 1, H, "GB"},
    {"cvm", "v_cvm_rootdisk", "CLOUD_SSD", "postPay", 140000, 1, H, "GB"},
    {"cvm", "v_cvm_rootdisk", "*", "postPay", 100000, 1, H, "GB"},
    {"cvm", "v_cvm_cpu", "*", "prePay", 6000000000, 1, M, "核"},    /* 60 yuan per vCPU-month */
    {"cvm", "v_cvm_mem", "*", "prePay", 3000000000, 1, M, "GB"},    /* 30 yuan per GiB-month */
    {"cvm", "v_cvm_rootdisk", "*", "prePay", 35000000, 1, M, "GB"}, /* 0.35 yuan per GiB-month */
    {"cbs", "v_cbs_disk", "CLOUD_BASIC", "postPay", 40000, 1, H, "GB"},
    {"cbs", "v_cbs_disk", "CLOUD_PREMIUM", "postPay", 50000, 1, H, "GB"},
    {"cbs", "v_cbs_disk", "CLOUD_SSD", "postPay", 140000, 1, H, "GB"},
    {"cbs", "v_cbs_disk", "*", "postPay", 100000, 1, H, "GB"},
    {"cbs", "v_cbs_disk", "*", "prePay", 35000000, 1, M, "GB"},
    {"cbs", "v_cbs_snapshot", "*", "postPay", 17000, 1, H, "GB"},         /* 0.12 yuan per GiB-month */
    {"vpc", "v_eip_idle", "*", "postPay", 2000000, 1, H, "个"},           /* 0.02 yuan per idle EIP-hour */
    {"cos", "v_cos_storage", "*", "postPay", 16400, GIB, H, "GB"},        /* 0.118 yuan per GB-month */
    {"cos", "v_cos_requests", "*", "postPay", 1000000, 10000, 0, "万次"}, /* 0.01 yuan per 10,000 */
    {"cos", "v_cos_egress", "*", "postPay", 50000000, GIB, 0, "GB"},      /* 0.50 yuan per GB out */
    /* a dedicated host (CDH) is billed whole, its CDHPAID instances not at all */
    {"cdh", "v_cdh_host", "*", "prePay", 300000000000, 1, M, "台"}, /* 3000 yuan per host-month */
    {"cdh", "v_cdh_host", "*", "postPay", 600000000, 1, H, "台"},   /* 6 yuan per host-hour */
    /* CDCPAID instances: item is the dedicated cluster, so a cluster's own rows price it */
    {"cdc", "v_cdc_cpu", "*", "postPay", 8000000, 1, H, "核"}, /* 0.08 yuan per vCPU-hour */
    {"cdc", "v_cdc_mem", "*", "postPay", 4000000, 1, H, "GB"}, /* 0.04 yuan per GiB-hour */
};

/* Seeds the default rows of each product that has none yet (a product added by a later release
 * gets its defaults in an existing price book; what the operator set is never touched). */
int price_seed(struct store *s)
{
    if (store_begin(s) != STORE_OK)
        return -1;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        if (i > 0 && !strcmp(defaults[i].product, defaults[i - 1].product))
            continue; /* each product's rows are adjacent: decide once per product */
        struct store_stmt *q =
            store_query(s, "SELECT count(*) FROM billing_prices WHERE product = ?", "s", defaults[i].product);
        int rc = q ? store_step(q) : -1;
        int64_t n = rc == STORE_FOUND ? store_int(q, 0) : -1;
        store_done(q);
        if (n < 0) {
            store_rollback(s);
            return -1;
        }
        for (size_t j = i;
             n == 0 && j < sizeof defaults / sizeof defaults[0] && !strcmp(defaults[j].product, defaults[i].product);
             j++)
            if (store_exec(s,
                           "INSERT INTO billing_prices (region, product, component, item, pay_mode, effective_from,"
                           " price, unit_qty, period_s, unit) VALUES ('*', ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                           "ssssiiis", defaults[j].product, defaults[j].component, defaults[j].item,
                           defaults[j].pay_mode, defaults[j].price, defaults[j].unit_qty, defaults[j].period_s,
                           defaults[j].unit) != 1) {
                store_rollback(s);
                return -1;
            }
    }
    return store_commit(s) == STORE_OK ? 0 : -1;
}

static const struct {
    const char *product, *code, *name;
} product_names[] = {
    {"cvm", "p_cvm", "云服务器CVM"},
    {"cbs", "p_cbs", "云硬盘CBS"},
    {"vpc", "p_eip", "弹性公网IP"},
    {"cos", "p_cos", "对象存储COS"},
    {"lighthouse", "p_lighthouse", "轻量应用服务器Lighthouse"},
    {"cdh", "p_cdh", "专用宿主机CDH"},
    {"cdc", "p_cdc", "本地专用集群CDC"},
};

const char *price_product_name(const char *product)
{
    for (size_t i = 0; i < sizeof product_names / sizeof product_names[0]; i++)
        if (!strcmp(product_names[i].product, product))
            return product_names[i].name;
    return product;
}

const char *price_business_code(const char *product)
{
    for (size_t i = 0; i < sizeof product_names / sizeof product_names[0]; i++)
        if (!strcmp(product_names[i].product, product))
            return product_names[i].code;
    return product;
}

static const struct {
    const char *component, *name;
} component_names[] = {
    {"v_cvm_cpu", "CPU"},          {"v_cvm_mem", "内存"},      {"v_cvm_rootdisk", "系统盘"},
    {"v_cbs_disk", "云硬盘"},      {"v_cbs_snapshot", "快照"}, {"v_eip_idle", "IP资源费"},
    {"v_cos_storage", "存储容量"}, {"v_cos_requests", "请求"}, {"v_cos_egress", "外网下行流量"},
    {"v_cdh_host", "宿主机"},      {"v_cdc_cpu", "CPU"},       {"v_cdc_mem", "内存"},
};

const char *price_component_name(const char *component)
{
    for (size_t i = 0; i < sizeof component_names / sizeof component_names[0]; i++)
        if (!strcmp(component_names[i].component, component))
            return component_names[i].name;
    return component;
}

int billing_quote(struct store *s, const char *owner_uin, const char *region, const char *product,
                  const struct billing_item *items, int nitems, int months, int64_t t, struct billing_price *out,
                  char *code, size_t clen, char *msg, size_t mlen)
{
    memset(out, 0, sizeof *out);
    int64_t ppm = discount_ppm(s, owner_uin, product, t);
    if (ppm < 0) {
        snprintf(code, clen, "%s", E_INTERNAL_ERROR);
        snprintf(msg, mlen, "The discount of the account could not be read.");
        return -1;
    }
    out->discount_ppm = ppm;
    for (int i = 0; i < nitems; i++) {
        struct price_row p;
        int rc =
            price_find(s, region, product, items[i].component, items[i].item, months ? "prePay" : "postPay", t, &p);
        if (rc != STORE_FOUND) {
            snprintf(code, clen, "%s", rc < 0 ? E_INTERNAL_ERROR : E_FAILED_OPERATION_PRICE);
            snprintf(msg, mlen, "The price book has no %s price for %s %s %s.", months ? "prepaid" : "postpaid",
                     product, items[i].component, items[i].item);
            return -1;
        }
        /* one hour of a postpaid price, one month of a prepaid one */
        int64_t unit = rate_cost(p.price, items[i].quantity, p.unit_qty, 1, 1);
        out->unit_list += unit;
        int64_t list = months ? unit * months : unit;
        out->list += list;
        out->real += rate_discount(list, ppm);
    }
    return 0;
}

/* The whole price book, every effective-dated row, as yun admin price list prints it (NULL: error). */
json_t *billing_price_list(struct store *s)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT region, product, component, item, pay_mode, effective_from, price,"
                                       " unit_qty, period_s, unit FROM billing_prices ORDER BY product, component,"
                                       " item, pay_mode, region, effective_from",
                                       "");
    if (!q)
        return NULL;
    json_t *rows = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        char from[32], price[32];
        time_cam(store_int(q, 5), from);
        rate_yuan(store_int(q, 6), price);
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "Region", store_text(q, 0),
                                              "Product", store_text(q, 1), "Component", store_text(q, 2), "Item",
                                              store_text(q, 3), "PayMode", store_text(q, 4), "EffectiveFrom", from,
                                              "Price", price, "UnitQty", (json_int_t)store_int(q, 7), "PeriodSeconds",
                                              (json_int_t)store_int(q, 8), "Unit", store_text(q, 9)));
    }
    store_done(q);
    if (rc < 0) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* One price row from its fields (a JSON object as `list` prints, or built from options). */
int billing_price_put(struct store *s, json_t *row, int64_t now, char *err, size_t errlen)
{
    const char *region = json_string_value(json_object_get(row, "Region"));
    const char *product = json_string_value(json_object_get(row, "Product"));
    const char *component = json_string_value(json_object_get(row, "Component"));
    const char *item = json_string_value(json_object_get(row, "Item"));
    const char *mode = json_string_value(json_object_get(row, "PayMode"));
    const char *price_s = json_string_value(json_object_get(row, "Price"));
    const char *from_s = json_string_value(json_object_get(row, "EffectiveFrom"));
    const char *unit = json_string_value(json_object_get(row, "Unit"));
    json_t *uq = json_object_get(row, "UnitQty"), *ps = json_object_get(row, "PeriodSeconds");
    int64_t price, from = now;
    if (!product || !component || !price_s) {
        snprintf(err, errlen, "a price needs Product, Component and Price (yuan as a decimal string)");
        return -1;
    }
    if (rate_parse_yuan(price_s, &price) != 0) {
        snprintf(err, errlen, "Price `%s` is not an amount in yuan with at most 8 decimals", price_s);
        return -1;
    }
    if (mode && strcmp(mode, "postPay") && strcmp(mode, "prePay")) {
        snprintf(err, errlen, "PayMode is postPay or prePay");
        return -1;
    }
    if (from_s && time_parse_iso8601(from_s, &from) != 0) {
        snprintf(err, errlen, "EffectiveFrom `%s` is not a time as yyyy-mm-dd hh:mm:ss", from_s);
        return -1;
    }
    if (from < now - 60) {
        snprintf(err, errlen,
                 "EffectiveFrom is in the past: a new price applies from now on, bills already made keep theirs");
        return -1;
    }
    if ((uq && (!json_is_integer(uq) || json_integer_value(uq) < 1)) ||
        (ps && (!json_is_integer(ps) || json_integer_value(ps) < 0))) {
        snprintf(err, errlen, "UnitQty is an integer >= 1 and PeriodSeconds an integer >= 0");
        return -1;
    }
    mode = mode ? mode : "postPay";
    region = region ? region : "*";
    item = item ? item : "*";
    /* what is not given is kept from the row in force */
    int64_t unit_qty = 1, period = !strcmp(mode, "prePay") ? 30 * 86400 : 3600;
    char unit_buf[32] = "";
    struct store_stmt *q = store_query(s,
                                       "SELECT unit_qty, period_s, unit FROM billing_prices WHERE region = ? AND"
                                       " product = ? AND component = ? AND item = ? AND pay_mode = ?"
                                       " ORDER BY effective_from DESC LIMIT 1",
                                       "sssss", region, product, component, item, mode);
    if (q && store_step(q) == 1) {
        unit_qty = store_int(q, 0);
        period = store_int(q, 1);
        snprintf(unit_buf, sizeof unit_buf, "%s", store_text(q, 2));
    }
    store_done(q);
    if (uq)
        unit_qty = json_integer_value(uq);
    if (ps)
        period = json_integer_value(ps);
    if (store_exec(s,
                   "INSERT INTO billing_prices (region, product, component, item, pay_mode, effective_from, price,"
                   " unit_qty, period_s, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (region, product,"
                   " component, item, pay_mode, effective_from) DO UPDATE SET price = excluded.price, unit_qty ="
                   " excluded.unit_qty, period_s = excluded.period_s, unit = excluded.unit",
                   "sssssiiiis", region, product, component, item, mode, from, price, unit_qty, period,
                   unit ? unit : unit_buf) < 0) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    return 0;
}
