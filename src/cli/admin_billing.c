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
    json_t *rows = billing_price_list(s);
    size_t i;
    json_t *j;
    json_array_foreach (rows, i, j) {
        char *line = json_dumps(j, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
    }
    int rc = rows ? 0 : 1;
    json_decref(rows);
    return rc;
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
                if (billing_price_put(s, r, now, err, sizeof err) != 0) {
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
