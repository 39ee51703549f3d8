/*
 * bundle: the plans (as data), their prices and the price inquiries: DescribeBundles,
 * DescribeBundleDiscount, InquirePriceCreateInstances, InquirePriceRenewInstances.
 *
 * Prices are billing's: product "lighthouse" in the price book, component v_lighthouse_bundle
 * (item: the bundle id, per month) and v_lighthouse_software (item: the blueprint's name, per
 * month; '*' = 0). They are seeded once from the table below and are the operator's to change
 * (yun admin price set). Quotes run billing_quote, so the account's discount applies the way it
 * does to every product; the SDK's float fields are formatted from the integer fine units.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "lighthouse/lighthouse_int.h"

#define BUNDLE_COMPONENT   "v_lighthouse_bundle"
#define SOFTWARE_COMPONENT "v_lighthouse_software"

const struct lh_bundle lh_bundles[] = {
    {"bundle_starter_01", "STARTER_BUNDLE", "入门型", "NORMAL", 1, 1, 20, 200, 3, "S5.SMALL1", "30"},
    {"bundle_gen_01", "GENERAL_BUNDLE", "通用型", "NORMAL", 1, 2, 40, 300, 4, "S5.SMALL2", "45"},
    {"bundle_gen_02", "GENERAL_BUNDLE", "通用型", "NORMAL", 2, 2, 50, 500, 5, "S5.MEDIUM2", "60"},
    {"bundle_gen_03", "GENERAL_BUNDLE", "通用型", "NORMAL", 2, 4, 60, 800, 6, "S5.MEDIUM4", "90"},
    {"bundle_gen_04", "GENERAL_BUNDLE", "通用型", "NORMAL", 4, 8, 80, 1200, 8, "S5.LARGE8", "180"},
    {NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

/* The software of application blueprints, per month; any other blueprint's is the '*' row (0). */
static const struct {
    const char *blueprint, *price_yuan;
} software_prices[] = {{"*", "0"}, {"wordpress", "10"}, {"lamp", "5"}, {"postgresql", "8"}, {"gitea", "5"}};

const struct lh_bundle *lh_bundle_find(const char *id)
{
    for (const struct lh_bundle *b = lh_bundles; b->id; b++)
        if (!strcmp(b->id, id))
            return b;
    return NULL;
}

static const char *text_of(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static int has_price(json_t *book, const char *component, const char *item)
{
    size_t i;
    json_t *r;
    json_array_foreach (book, i, r)
        if (!strcmp(text_of(r, "Product"), "lighthouse") && !strcmp(text_of(r, "Component"), component) &&
            !strcmp(text_of(r, "Item"), item))
            return 1;
    return 0;
}

static int put_price(struct store *s, json_t *book, const char *component, const char *item, const char *yuan,
                     const char *unit, char *err, size_t errlen)
{
    if (has_price(book, component, item))
        return 0;
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Region", "*", "Product", "lighthouse", "Component",
                            component, "Item", item, "PayMode", "prePay", "Price", yuan, "Unit", unit);
    int rc = billing_price_put(s, row, time_now(), err, errlen);
    json_decref(row);
    return rc;
}

/* 1 when the book prices every bundle and software item already. */
static int book_complete(json_t *book)
{
    for (const struct lh_bundle *b = lh_bundles; b->id; b++)
        if (!has_price(book, BUNDLE_COMPONENT, b->id))
            return 0;
    for (size_t i = 0; i < sizeof software_prices / sizeof software_prices[0]; i++)
        if (!has_price(book, SOFTWARE_COMPONENT, software_prices[i].blueprint))
            return 0;
    return 1;
}

int lh_seed_prices(struct store *s, char *err, size_t errlen)
{
    json_t *seen = billing_price_list(s); /* every start after the first: nothing to write, no lock */
    int complete = seen && book_complete(seen);
    json_decref(seen);
    if (complete)
        return 0;
    /* read and written under the write lock: two processes starting at once seed once */
    if (store_begin(s) != STORE_OK) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    json_t *book = billing_price_list(s);
    if (!book) {
        snprintf(err, errlen, "the price book could not be read: %s", store_errmsg(s));
        store_rollback(s);
        return -1;
    }
    int rc = 0;
    for (const struct lh_bundle *b = lh_bundles; b->id && rc == 0; b++)
        rc = put_price(s, book, BUNDLE_COMPONENT, b->id, b->price_yuan, "个", err, errlen);
    for (size_t i = 0; i < sizeof software_prices / sizeof software_prices[0] && rc == 0; i++)
        rc = put_price(s, book, SOFTWARE_COMPONENT, software_prices[i].blueprint, software_prices[i].price_yuan, "个",
                       err, errlen);
    json_decref(book);
    if (rc != 0) {
        store_rollback(s);
        return -1;
    }
    if (store_commit(s) != STORE_OK) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    return 0;
}

void lh_order_items(const struct lh_bundle *b, const struct lh_blueprint *bp, struct billing_item items[2])
{
    items[0] = (struct billing_item){BUNDLE_COMPONENT, b->id, 1};
    items[1] = (struct billing_item){SOFTWARE_COMPONENT, bp ? bp->name : "*", 1};
}

int lh_quote(struct api_ctx *ctx, const struct lh_bundle *b, const struct lh_blueprint *bp, int months, int64_t count,
             struct billing_price *out)
{
    struct billing_item items[2];
    lh_order_items(b, bp, items);
    char code[96], msg[256];
    if (billing_quote(ctx->store, ctx->who.owner_uin, ctx->region, "lighthouse", items, 2, months, clock_now(), out,
                      code, sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, E_LH_TRADE_PRICE_FAILED, "%s", msg);
    out->list *= count;
    out->real *= count;
    return 0;
}

/* fine units (1e-8 yuan) as yuan, rounded to the cent */
static double yuan(int64_t fine) { return (double)((fine + BILLING_FINE_PER_CENT / 2) / BILLING_FINE_PER_CENT) / 100; }

json_t *lh_price_json(const struct billing_price *p, int64_t unit_fine)
{
    return json_pack("{s:{s:f,s:f,s:f,s:f,s:s,s:[]}}", "InstancePrice", "OriginalBundlePrice", yuan(unit_fine),
                     "OriginalPrice", yuan(p->list), "Discount", (double)p->discount_ppm * 100 / BILLING_PPM,
                     "DiscountPrice", yuan(p->real), "Currency", "CNY", "DetailPrices");
}

static json_t *bundle_json(const struct lh_bundle *b, const struct billing_price *p)
{
    json_t *j = json_pack(
        "{s:s,s:i,s:s,s:i,s:i,s:b,s:b,s:o,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:b}", "BundleId", b->id, "Memory", b->memory_gib,
        "SystemDiskType", "CLOUD_SSD", "SystemDiskSize", b->disk_gib, "MonthlyTraffic", b->monthly_traffic_gib,
        "SupportLinuxUnixPlatform", 1, "SupportWindowsPlatform", 0, "Price", lh_price_json(p, p->unit_list), "CPU",
        b->cpu, "InternetMaxBandwidthOut", b->bandwidth_mbps, "InternetChargeType", "TRAFFIC_POSTPAID_BY_HOUR",
        "BundleSalesState", "AVAILABLE", "BundleType", b->type, "BundleTypeDescription", b->type_description,
        "BundleDisplayLabel", b->label, "TrafficUnlimited", 0);
    return j;
}

/* The bundle alone (software priced with the blueprint, at purchase). */
static int bundle_price(struct api_ctx *ctx, const struct lh_bundle *b, int months, struct billing_price *p)
{
    struct billing_item item = {BUNDLE_COMPONENT, b->id, 1};
    char code[96], msg[256];
    if (billing_quote(ctx->store, ctx->who.owner_uin, ctx->region, "lighthouse", &item, 1, months, clock_now(), p, code,
                      sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, "FailedOperation.DescribeBundlesFailed", "%s", msg);
    return 0;
}

static int describe_bundles(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"bundle-id", "support-platform-type", "bundle-type", "bundle-state", NULL};
    if (filters_exclusive(ctx, "BundleIds") || filters_validate(ctx, allowed))
        return -1;
    json_t *ids = json_object_get(ctx->params, "BundleIds");
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    size_t i;
    json_t *z;
    json_array_foreach (json_object_get(ctx->params, "Zones"), i, z) {
        int ok = 0;
        for (int k = 0; r && k < r->nzones; k++)
            ok |= !strcmp(r->zones[k].zone, json_string_value(z));
        if (!ok)
            return api_fail(ctx, E_LH_INVALID_ZONE, "The zone `%s` is not in region %s.", json_string_value(z),
                            ctx->region);
    }
    struct page p;
    page_start(&p, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    for (const struct lh_bundle *b = lh_bundles; b->id; b++) {
        if (json_array_size(ids) && !values_contain(ids, b->id))
            continue;
        if (!filter_match(ctx, "bundle-id", b->id) || !filter_match(ctx, "support-platform-type", "LINUX_UNIX") ||
            !filter_match(ctx, "bundle-type", b->type) || !filter_match(ctx, "bundle-state", "ONLINE"))
            continue;
        if (!page_take(&p))
            continue;
        struct billing_price price;
        if (bundle_price(ctx, b, 1, &price) != 0) {
            page_drop(&p);
            return -1;
        }
        json_array_append_new(p.set, bundle_json(b, &price));
    }
    page_finish(ctx, &p, "BundleSet");
    return 0;
}

static const int discount_spans[] = {1, 2, 3, 6, 12, 24, 36};

static int describe_bundle_discount(struct api_ctx *ctx)
{
    const struct lh_bundle *b = lh_bundle_find(api_str(ctx, "BundleId", ""));
    if (!b)
        return api_fail(ctx, E_LH_BUNDLE_NOT_FOUND, "The bundle `%s` does not exist.", api_str(ctx, "BundleId", ""));
    json_t *set = json_array();
    for (size_t i = 0; i < sizeof discount_spans / sizeof discount_spans[0]; i++) {
        struct billing_price price;
        if (bundle_price(ctx, b, discount_spans[i], &price) != 0) {
            json_decref(set);
            return -1;
        }
        double d = (double)price.discount_ppm * 100 / BILLING_PPM;
        json_array_append_new(set, json_pack("{s:i,s:s,s:f,s:f,s:f,s:{s:f,s:f,s:f,s:f,s:s}}", "TimeSpan",
                                             discount_spans[i], "TimeUnit", "m", "TotalCost", yuan(price.list),
                                             "RealTotalCost", yuan(price.real), "Discount", d, "PolicyDetail",
                                             "UserDiscount", d, "CommonDiscount", 100.0, "FinalDiscount", d,
                                             "ActivityDiscount", 100.0, "DiscountType", "user"));
    }
    json_object_set_new(ctx->out, "Currency", json_string("CNY"));
    json_object_set_new(ctx->out, "DiscountDetail", set);
    return 0;
}

static int inquire_price_create(struct api_ctx *ctx)
{
    const struct lh_bundle *b = lh_bundle_find(api_str(ctx, "BundleId", ""));
    if (!b)
        return api_fail(ctx, E_LH_BUNDLE_NOT_FOUND, "The bundle `%s` does not exist.", api_str(ctx, "BundleId", ""));
    struct lh_blueprint bp, *bpp = NULL;
    if (api_has(ctx, "BlueprintId")) {
        int rc = lh_blueprint_find(ctx, api_str(ctx, "BlueprintId", ""), &bp);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return api_fail(ctx, E_LH_BLUEPRINT_NOT_FOUND, "The blueprint `%s` does not exist.",
                            api_str(ctx, "BlueprintId", ""));
        bpp = &bp;
    }
    int months =
        (int)json_integer_value(json_object_get(json_object_get(ctx->params, "InstanceChargePrepaid"), "Period"));
    struct billing_price p;
    if (lh_quote(ctx, b, bpp, months, api_int(ctx, "InstanceCount", 1), &p) != 0)
        return -1;
    json_object_set_new(ctx->out, "Price", lh_price_json(&p, p.unit_list));
    return 0;
}

static int inquire_price_renew(struct api_ctx *ctx)
{
    int months =
        (int)json_integer_value(json_object_get(json_object_get(ctx->params, "InstanceChargePrepaid"), "Period"));
    struct billing_price total = {0, 0, BILLING_PPM, 0};
    json_t *details = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ctx->params, "InstanceIds"), i, v) {
        struct lh_instance in;
        struct lh_blueprint bp;
        const struct lh_bundle *b;
        int rc = lh_instance_of(ctx, json_string_value(v), &in);
        if (rc == 1) {
            rc = lh_blueprint_find(ctx, in.blueprint_id, &bp);
            if (rc == 0) /* its blueprint is gone: the software is priced as any other's */
                snprintf(bp.name, sizeof bp.name, "*");
            rc = rc < 0 ? -1 : 1;
        }
        struct billing_price p;
        if (rc != 1 || !(b = lh_bundle_find(in.bundle_id)) || lh_quote(ctx, b, &bp, months, 1, &p) != 0) {
            json_decref(details);
            return rc == 1 && !ctx->code[0] ? api_fail(ctx, E_INTERNAL_ERROR, "The bundle of `%s` is unknown.", in.id)
                                            : -1;
        }
        total.list += p.list;
        total.real += p.real;
        total.discount_ppm = p.discount_ppm;
        total.unit_list += p.unit_list;
        json_t *pj = lh_price_json(&p, p.unit_list);
        json_array_append_new(details, json_pack("{s:s,s:O,s:[]}", "InstanceId", in.id, "InstancePrice",
                                                 json_object_get(pj, "InstancePrice"), "DiscountDetail"));
        json_decref(pj);
    }
    json_object_set_new(ctx->out, "Price", lh_price_json(&total, total.unit_list));
    json_object_set_new(ctx->out, "DataDiskPriceSet", json_array());
    json_object_set_new(ctx->out, "InstancePriceDetailSet", details);
    json_object_set_new(ctx->out, "TotalPrice",
                        json_pack("{s:f,s:f}", "OriginalPrice", yuan(total.list), "DiscountPrice", yuan(total.real)));
    return 0;
}

static const char *const renew_flags[] = {"NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW",
                                          "DISABLE_NOTIFY_AND_AUTO_RENEW", "DISABLE_NOTIFY_AND_MANUAL_RENEW", NULL};
static const struct param p_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_ENUM("RenewFlag", 0, renew_flags),
                                         P_INT("TimeUnit", 0, 0, 0), P_END};
static const struct param p_bundles[] = {P_STRS("BundleIds", 0, 100, 64), P_INT("Offset", 0, 0, INT32_MAX),
                                         P_INT("Limit", 0, 1, 100),       P_FILTERS,
                                         P_STRS("Zones", 0, 100, 64),     P_END};
static const struct param p_discount[] = {P_STR("BundleId", P_REQUIRED, 1, 64), P_END};
static const struct param p_inquire_create[] = {
    P_STR("BundleId", P_REQUIRED, 1, 64), P_OBJ("InstanceChargePrepaid", P_REQUIRED, p_prepaid),
    P_INT("InstanceCount", 0, 1, 30), P_STR("BlueprintId", 0, 1, 64), P_END};
static const struct param p_inquire_renew[] = {
    P_STRS("InstanceIds", P_REQUIRED, 100, 64), P_OBJ("InstanceChargePrepaid", P_REQUIRED, p_prepaid),
    P_BOOL("RenewDataDisk", 0), P_BOOL("AlignInstanceExpiredTime", 0), P_END};

static const struct action bundle_actions[] = {
    {"lighthouse", LIGHTHOUSE, "DescribeBundles", describe_bundles, p_bundles, A_REGIONAL, NULL},
    {"lighthouse", LIGHTHOUSE, "DescribeBundleDiscount", describe_bundle_discount, p_discount, A_REGIONAL, NULL},
    {"lighthouse", LIGHTHOUSE, "InquirePriceCreateInstances", inquire_price_create, p_inquire_create, A_REGIONAL, NULL},
    {"lighthouse", LIGHTHOUSE, "InquirePriceRenewInstances", inquire_price_renew, p_inquire_renew, A_REGIONAL,
     "instance/${InstanceIds}"},
};

void lh_bundle_register(void) { api_register(bundle_actions, sizeof bundle_actions / sizeof bundle_actions[0]); }
