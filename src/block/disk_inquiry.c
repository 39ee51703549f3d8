/*
 * disk_inquiry: InquiryPriceCreateDisks, the price of new disks before they are made: the
 * v_cbs_disk component by disk type and GiB, the one settlement meters a disk with, through
 * billing_quote() (the price book and the caller's discount). Money is integer fine units until
 * the answer, which has Tencent's floats in yuan and its high-precision strings.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "billing/billing.h"
#include "block/block.h"
#include "block/block_int.h"
#include "block/codes.h"

static double yuan(int64_t fine) { return (double)fine / BILLING_FINE_PER_YUAN; }

/* "0.042": the exact yuan with the trailing zeros dropped */
static json_t *yuan_high(int64_t fine)
{
    char b[32];
    rate_yuan(fine, b);
    char *e = b + strlen(b) - 1;
    while (*e == '0')
        *e-- = 0;
    if (*e == '.')
        *e = 0;
    return json_string(b);
}

static int inquiry_price_create_disks(struct api_ctx *ctx)
{
    const char *charge = api_str(ctx, "DiskChargeType", ""), *type = api_str(ctx, "DiskType", "");
    int64_t size = api_int(ctx, "DiskSize", 0), count = api_int(ctx, "DiskCount", 1), min, max;
    int months = 0;
    if (!strcmp(charge, "CDCPAID"))
        return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED,
                        "Dedicated clusters are not available here.");
    if (!strcmp(charge, "PREPAID")) {
        json_t *pp = json_object_get(ctx->params, "DiskChargePrepaid");
        if (!pp)
            return api_fail(ctx, E_MISSING_PARAMETER, "DiskChargePrepaid is required for PREPAID disks.");
        months = (int)json_integer_value(json_object_get(pp, "Period"));
    }
    if (!block_size_range(type, &min, &max))
        return api_fail(ctx, E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED, "Disks of type %s cannot be created alone.",
                        type);
    if (size < min || size > max)
        return api_fail(ctx, E_INVALID_PARAMETER_DISK_SIZE_NOT_MATCH, "A %s disk is %lld to %lld GiB.", type,
                        (long long)min, (long long)max);
    struct billing_item it = {"v_cbs_disk", type, size};
    struct billing_price p;
    char code[96], msg[256];
    if (billing_quote(ctx->store, ctx->who.owner_uin, ctx->region, "cbs", &it, 1, months, billing_now(ctx->store), &p,
                      code, sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    int64_t list = p.list * count, real = p.real * count;
    json_t *price = months
                        ? json_pack("{s:f,s:o,s:f,s:o}", "OriginalPrice", yuan(list), "OriginalPriceHigh",
                                    yuan_high(list), "DiscountPrice", yuan(real), "DiscountPriceHigh", yuan_high(real))
                        : json_pack("{s:f,s:o,s:f,s:o,s:s}", "UnitPrice", yuan(list), "UnitPriceHigh", yuan_high(list),
                                    "UnitPriceDiscount", yuan(real), "UnitPriceDiscountHigh", yuan_high(real),
                                    "ChargeUnit", "HOUR");
    json_object_set_new(ctx->out, "DiskPrice", price);
    return 0;
}

static const char *const charge_types[] = {"PREPAID", "POSTPAID_BY_HOUR", "CDCPAID", NULL};
static const char *const renew_flags[] = {"NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW",
                                          "DISABLE_NOTIFY_AND_MANUAL_RENEW", NULL};
static const struct param p_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_ENUM("RenewFlag", 0, renew_flags),
                                         P_STR("CurInstanceDeadline", 0, 0, 64), P_END};
static const struct param p_inquiry[] = {P_ENUM("DiskChargeType", P_REQUIRED, charge_types),
                                         P_ENUM("DiskType", P_REQUIRED, disk_types_all),
                                         P_INT("DiskSize", P_REQUIRED, 1, 65536),
                                         P_INT("ProjectId", 0, 0, INT32_MAX),
                                         P_INT("DiskCount", 0, 1, BLOCK_DISK_QUOTA),
                                         P_INT("ThroughputPerformance", 0, 0, 0),
                                         P_OBJ("DiskChargePrepaid", 0, p_prepaid),
                                         P_INT("DiskBackupQuota", 0, 0, 0),
                                         P_END};

static const struct action inquiry_actions[] = {
    {"cbs", CBS, "InquiryPriceCreateDisks", inquiry_price_create_disks, p_inquiry, A_REGIONAL, "volume/*", NULL},
};

void disk_inquiry_register(void) { api_register(inquiry_actions, sizeof inquiry_actions / sizeof inquiry_actions[0]); }
