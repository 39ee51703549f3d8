/*
 * admin_billing: the operator's billing commands on a data directory: recharge an account, the
 * price book (list, set, import), operator discounts, and the --test-clock daemon's clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing.h"
#include "cli/cli.h"
#include "daemon/daemon.h"

int cli_admin_recharge(int argc, char **argv)
{
    const char *uin = cli_opt(argc, argv, "--uin", NULL), *cents_s = cli_opt(argc, argv, "--cents", NULL);
    char *end = NULL;
    long long cents = cents_s ? strtoll(cents_s, &end, 10) : 0;
    if (!uin || !cents_s || *end || cents <= 0) {
        fprintf(stderr, "usage: yun admin recharge --data DIR --uin UIN --cents N   (N > 0)\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    int64_t balance;
    char err[512];
    int rc = billing_recharge(s, uin, cents, cli_opt(argc, argv, "--channel", "运营商充值"), &balance, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "yun admin recharge: %s\n", err);
    else
        printf("{\"Uin\": \"%s\", \"RechargedCents\": %lld, \"Balance\": %lld}\n", uin, cents, (long long)balance);
    store_close(s);
    return rc ? 1 : 0;
}

static int price_list(struct store *s)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT region, product, component, item, pay_mode, effective_from, price,"
                                       " unit_qty, period_s, unit FROM billing_prices ORDER BY product, component,"
                                       " item, pay_mode, region, effective_from",
                                       "");
    int rc;
    while (q && (rc = store_step(q)) == 1) {
        char from[32], price[32];
        time_cam(store_int(q, 5), from);
        rate_yuan(store_int(q, 6), price);
        json_t *j =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "Region", store_text(q, 0), "Product",
                      store_text(q, 1), "Component", store_text(q, 2), "Item", store_text(q, 3), "PayMode",
                      store_text(q, 4), "EffectiveFrom", from, "Price", price, "UnitQty", (json_int_t)store_int(q, 7),
                      "PeriodSeconds", (json_int_t)store_int(q, 8), "Unit", store_text(q, 9));
        char *line = json_dumps(j, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(j);
    }
    store_done(q);
    return q ? 0 : 1;
}

/* One price row from its fields (a JSON object as `list` prints, or built from options). */
static int price_put(struct store *s, json_t *row, int64_t now, char *err, size_t errlen)
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

int cli_admin_price(int argc, char **argv)
{
    const char *what = argc > 0 ? argv[0] : "";
    if (strcmp(what, "list") && strcmp(what, "set") && strcmp(what, "import")) {
        fprintf(stderr, "usage: yun admin price list --data DIR\n"
                        "       yun admin price set --data DIR --product P --component C --price YUAN [--item I]\n"
                        "             [--pay-mode postPay|prePay] [--region R] [--from 'yyyy-mm-dd hh:mm:ss']\n"
                        "             [--unit-qty N] [--period-seconds S] [--unit U]\n"
                        "       yun admin price import --data DIR FILE   (a JSON array of rows as list prints)\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    int rc = 0;
    char err[512];
    int64_t now = billing_now(s);
    if (!strcmp(what, "list"))
        rc = price_list(s);
    else {
        json_t *rows;
        if (!strcmp(what, "set")) {
            json_t *r = json_object();
            static const char *const map[][2] = {{"--product", "Product"},    {"--component", "Component"},
                                                 {"--price", "Price"},        {"--item", "Item"},
                                                 {"--pay-mode", "PayMode"},   {"--region", "Region"},
                                                 {"--from", "EffectiveFrom"}, {"--unit", "Unit"}};
            for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
                if (cli_opt(argc, argv, map[i][0], NULL))
                    json_object_set_new(r, map[i][1], json_string(cli_opt(argc, argv, map[i][0], NULL)));
            if (cli_opt(argc, argv, "--unit-qty", NULL))
                json_object_set_new(r, "UnitQty",
                                    json_integer(strtoll(cli_opt(argc, argv, "--unit-qty", "1"), NULL, 10)));
            if (cli_opt(argc, argv, "--period-seconds", NULL))
                json_object_set_new(r, "PeriodSeconds",
                                    json_integer(strtoll(cli_opt(argc, argv, "--period-seconds", "0"), NULL, 10)));
            rows = json_array();
            json_array_append_new(rows, r);
        } else {
            const char *file = NULL;
            for (int i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--data"))
                    i++;
                else
                    file = argv[i];
            json_error_t je;
            rows = file ? json_load_file(file, 0, &je) : NULL;
            if (!json_is_array(rows)) {
                fprintf(stderr, "yun admin price import: %s is not a JSON array of price rows\n",
                        file ? file : "(none)");
                json_decref(rows);
                store_close(s);
                return 1;
            }
        }
        /* all rows or none */
        if (store_begin(s) != STORE_OK) {
            fprintf(stderr, "yun admin price: store busy\n");
            rc = 1;
        } else {
            size_t i;
            json_t *r;
            json_array_foreach (rows, i, r)
                if (price_put(s, r, now, err, sizeof err) != 0) {
                    fprintf(stderr, "yun admin price: row %zu: %s\n", i, err);
                    rc = 1;
                    break;
                }
            if (rc == 0 && store_commit(s) == STORE_OK)
                printf("{\"Prices\": %zu}\n", json_array_size(rows));
            else {
                store_rollback(s);
                rc = 1;
            }
        }
        json_decref(rows);
    }
    store_close(s);
    return rc;
}

int cli_admin_discount(int argc, char **argv)
{
    const char *uin = cli_opt(argc, argv, "--uin", NULL), *product = cli_opt(argc, argv, "--product", NULL);
    const char *rate = cli_opt(argc, argv, "--rate", NULL);
    int64_t ppm;
    if (!uin || !product || !rate || rate_parse_ratio(rate, &ppm) != 0) {
        fprintf(stderr, "usage: yun admin discount --data DIR --uin UIN --product cvm|cbs|vpc|cos|* --rate R"
                        "   (0 < R <= 1, e.g. 0.8 for 20%% off)\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[512];
    int rc = billing_set_discount(s, uin, product, ppm, billing_now(s), err, sizeof err);
    if (rc)
        fprintf(stderr, "yun admin discount: %s\n", err);
    else
        printf("{\"Uin\": \"%s\", \"Product\": \"%s\", \"Rate\": \"%s\"}\n", uin, product, rate);
    store_close(s);
    return rc ? 1 : 0;
}

int cli_admin_clock(int argc, char **argv)
{
    struct config cfg;
    struct store *s;
    const char *adv = cli_opt(argc, argv, "--advance", NULL);
    int64_t secs = 0;
    if (adv && (clock_parse_duration(adv, &secs) != 0 || secs <= 0)) {
        fprintf(stderr, "yun admin clock: --advance wants a duration such as 90m, 3h, 2d\n");
        return 2;
    }
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    int rc = 0;
    char err[512], t[32];
    int64_t now = billing_now(s);
    if (adv) {
        if (billing_clock_advance(s, cfg.data_dir, secs, &now, err, sizeof err) != 0) {
            fprintf(stderr, "yun admin clock: %s\n", err);
            rc = 1;
        }
    }
    if (rc == 0) {
        time_cam(now, t);
        printf("{\"Now\": \"%s\", \"Unix\": %lld}\n", t, (long long)now);
    }
    store_close(s);
    return rc;
}
