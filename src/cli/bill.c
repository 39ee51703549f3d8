/*
 * bill: `yun bill --month 2026-12`, the month's bill per product as a table for people. It is
 * DescribeBillSummaryByProduct through the same signed API call as `yun billing ...` (so it shows
 * what the SDK would, and a sub-user sees only what CAM lets it), printed with the original cost,
 * the discount (original minus real) and the real cost in yuan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "billing/billing.h"
#include "cli/cli.h"

/* "12.34000000" -> fine units; the API's yuan strings have at most 8 places */
static int64_t fine_of(json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    int neg = s && *s == '-';
    int64_t v = 0;
    if (!s || rate_parse_yuan(s + neg, &v) != 0)
        return 0;
    return neg ? -v : v;
}

static void row(const char *name, int64_t cost, int64_t real)
{
    char c[32], d[32], r[32];
    rate_yuan(cost, c);
    rate_yuan(cost - real, d);
    rate_yuan(real, r);
    /* the names are UTF-8: pad by what they look like, not their bytes */
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if ((*p & 0xc0) != 0x80)
            width += *p >= 0xe0 ? 2 : 1;
    printf("%s%*s  %16s  %16s  %16s\n", name, width < 24 ? 24 - width : 0, "", c, d, r);
}

int cli_bill(int argc, char **argv)
{
    const char *month = cli_opt(argc, argv, "--month", NULL);
    if (!month) {
        fprintf(stderr, "usage: yun bill --month yyyy-mm [--data DIR | --endpoint HOST:PORT] [--region REGION]\n");
        return 2;
    }
    json_t *params = json_pack("{s:s,s:s}", "BeginTime", month, "EndTime", month), *r = NULL;
    int rc =
        cli_api("billing", BILLING, "DescribeBillSummaryByProduct", params, cli_opt(argc, argv, "--data", "./data"),
                cli_opt(argc, argv, "--endpoint", ""), cli_opt(argc, argv, "--region", ""), &r);
    json_decref(params);
    if (rc != 0)
        return 1;
    json_t *err = json_object_get(r, "Error");
    if (err) {
        fprintf(stderr, "yun bill: %s: %s\n", json_string_value(json_object_get(err, "Code")),
                json_string_value(json_object_get(err, "Message")));
        json_decref(r);
        return 1;
    }
    printf("Bill of %s (yuan)\n", month);
    printf("%-24s  %16s  %16s  %16s\n", "Product", "Original cost", "Discount", "Real cost");
    json_t *set = json_object_get(r, "SummaryOverview"), *o;
    size_t i;
    json_array_foreach (set, i, o)
        row(json_string_value(json_object_get(o, "BusinessCodeName")) ?: "?", fine_of(o, "TotalCost"),
            fine_of(o, "RealTotalCost"));
    json_t *t = json_object_get(r, "SummaryTotal");
    row("Total", fine_of(t, "TotalCost"), fine_of(t, "RealTotalCost"));
    json_decref(r);
    return 0;
}
