/*
 * admin_market: the operator's marketplace command on a data directory: make an account an ISV
 * with its share of its packages' revenue (the CreateIsv action does the same through the API).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing.h"
#include "cli/cli.h"
#include "market/market.h"

int cli_admin_isv(int argc, char **argv)
{
    const char *uin = cli_opt(argc, argv, "--uin", NULL), *share = cli_opt(argc, argv, "--share", "70");
    char *end;
    long long pct = strtoll(share, &end, 10);
    if (!uin || *end || pct < 0 || pct > 100) {
        fprintf(stderr, "usage: yun admin isv --data DIR --uin UIN [--share PERCENT]   (0..100, default 70)\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[256];
    int rc = market_make_isv(s, uin, (int64_t)pct * (BILLING_PPM / 100), err, sizeof err);
    if (rc)
        fprintf(stderr, "yun admin isv: %s\n", err);
    else
        printf("{\"Uin\": \"%s\", \"SharePercent\": %lld}\n", uin, pct);
    store_close(s);
    return rc ? 1 : 0;
}
