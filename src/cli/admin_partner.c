/*
 * admin_partner: the operator's channel commands on a data directory: make an account a partner
 * (printing its invitation code), file a customer's pending application, set an account's tier,
 * read the outbox of mails the channel would have sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing.h"
#include "cli/cli.h"
#include "partner/partner.h"

int cli_admin_partner(int argc, char **argv)
{
    struct partner_spec sp = {.uin = cli_opt(argc, argv, "--uin", NULL),
                              .kind = cli_opt(argc, argv, "--kind", NULL),
                              .parent = cli_opt(argc, argv, "--parent", NULL)};
    int bad = !sp.uin || !sp.kind;
    static char products[16][16], classes[3][4];
    for (int i = 0; i + 1 < argc && !bad; i++) {
        const char *v = argv[i + 1], *eq = strchr(v, '=');
        int discount = !strcmp(argv[i], "--discount"), rebate = !strcmp(argv[i], "--rebate");
        if (!discount && !rebate)
            continue;
        if (!eq || eq == v || eq - v >= 16 || (discount && sp.ndiscounts == 16) || (rebate && sp.nrebates == 3)) {
            bad = 1;
            break;
        }
        int64_t ppm;
        if (discount) {
            if (rate_parse_ratio(eq + 1, &ppm) != 0) {
                bad = 1;
                break;
            }
            snprintf(products[sp.ndiscounts], 16, "%.*s", (int)(eq - v), v);
            sp.discount_product[sp.ndiscounts] = products[sp.ndiscounts];
            sp.discount_ppm[sp.ndiscounts++] = ppm;
        } else {
            if (!strcmp(eq + 1, "0"))
                ppm = 0;
            else if (rate_parse_ratio(eq + 1, &ppm) != 0) {
                bad = 1;
                break;
            }
            snprintf(classes[sp.nrebates], 4, "%.*s", (int)(eq - v), v);
            sp.rebate_class[sp.nrebates] = classes[sp.nrebates];
            sp.rebate_ppm[sp.nrebates++] = ppm;
        }
        i++;
    }
    const char *credit = cli_opt(argc, argv, "--credit-cents", "0");
    sp.on_credit_exhausted = cli_opt(argc, argv, "--on-credit-exhausted", NULL);
    if (sp.on_credit_exhausted && strcmp(sp.on_credit_exhausted, "suspend") && strcmp(sp.on_credit_exhausted, "keep"))
        bad = 1;
    char *end;
    sp.credit_cents = strtoll(credit, &end, 10);
    if (bad || *end || sp.credit_cents < 0) {
        fprintf(stderr, "usage: yun admin partner --data DIR --uin UIN --kind distributor|reseller|second-level\n"
                        "             [--parent UIN] [--discount PRODUCT=RATE ...] [--credit-cents N]\n"
                        "             [--rebate A|B|C=RATE ...]   (PRODUCT cvm|cbs|vpc|cos|*, 0 < RATE <= 1)\n"
                        "             [--on-credit-exhausted suspend|keep]\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char code[24], err[512];
    int rc = partner_make(s, &sp, code, err, sizeof err);
    if (rc)
        fprintf(stderr, "yun admin partner: %s\n", err);
    else
        printf("{\"Uin\": \"%s\", \"Kind\": \"%s\", \"InvitationCode\": \"%s\"}\n", sp.uin, sp.kind, code);
    store_close(s);
    return rc ? 1 : 0;
}

int cli_admin_bind(int argc, char **argv)
{
    const char *partner = cli_opt(argc, argv, "--partner", NULL), *client = cli_opt(argc, argv, "--client", NULL);
    if (!partner || !client) {
        fprintf(stderr, "usage: yun admin bind --data DIR --partner UIN --client UIN [--flag a|b|c]\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[512];
    int rc = partner_bind(s, partner, client, cli_opt(argc, argv, "--flag", NULL), err, sizeof err);
    if (rc)
        fprintf(stderr, "yun admin bind: %s\n", err);
    else
        printf("{\"Uin\": \"%s\", \"ClientUin\": \"%s\", \"Status\": \"pending\"}\n", partner, client);
    store_close(s);
    return rc ? 1 : 0;
}

int cli_admin_tier(int argc, char **argv)
{
    const char *uin = cli_opt(argc, argv, "--uin", NULL), *tier = cli_opt(argc, argv, "--tier", NULL);
    if (!uin || !tier) {
        fprintf(stderr, "usage: yun admin tier --data DIR --uin UIN --tier key|growth|longtail\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[512];
    int rc = partner_set_tier(s, uin, tier, err, sizeof err);
    if (rc)
        fprintf(stderr, "yun admin tier: %s\n", err);
    else
        printf("{\"Uin\": \"%s\", \"Tier\": \"%s\"}\n", uin, tier);
    store_close(s);
    return rc ? 1 : 0;
}

int cli_admin_outbox(int argc, char **argv)
{
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    int rc = partner_outbox_print(s, atoll(cli_opt(argc, argv, "--limit", "100")));
    if (rc)
        fprintf(stderr, "yun admin outbox: store: %s\n", store_errmsg(s));
    store_close(s);
    return rc ? 1 : 0;
}

int cli_admin_voucher(int argc, char **argv)
{
    const char *uin = cli_opt(argc, argv, "--uin", NULL), *kind = cli_opt(argc, argv, "--kind", "platform");
    const char *cents = cli_opt(argc, argv, "--cents", NULL);
    if (!uin || !cents) {
        fprintf(stderr, "usage: yun admin voucher --data DIR --uin UIN --cents N [--kind platform|trial]"
                        " [--product cvm|cbs|vpc|cos] [--days 30] [--note TEXT]\n");
        return 2;
    }
    char *end;
    long long c = strtoll(cents, &end, 10), days = strtoll(cli_opt(argc, argv, "--days", "30"), NULL, 10);
    if (*end || c <= 0) {
        fprintf(stderr, "yun admin voucher: --cents is a positive number of cents\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char id[24], err[512];
    const char *product = cli_opt(argc, argv, "--product", "*");
    int rc =
        partner_voucher_admin(s, uin, kind, c, product, days, cli_opt(argc, argv, "--note", ""), id, err, sizeof err);
    if (rc)
        fprintf(stderr, "yun admin voucher: %s\n", err);
    else
        printf("{\"VoucherId\": \"%s\", \"Uin\": \"%s\", \"Kind\": \"%s\", \"Cents\": %lld, \"Product\": \"%s\"}\n", id,
               uin, kind, c, product);
    store_close(s);
    return rc ? 1 : 0;
}
