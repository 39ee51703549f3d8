/*
 * address_inquiry: InquiryPriceAllocateAddresses. An EIP costs what settlement meters it with,
 * the v_eip_idle component (an hourly fee while it is bound to nothing; yun charges no traffic or
 * bandwidth), priced by billing_quote() with the caller's discount and answered in Tencent's
 * floats in yuan. Prepaid (monthly bandwidth) EIPs are not sold.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "billing/billing.h"
#include "network/codes.h"
#include "network/network_int.h"

static double yuan(int64_t fine) { return (double)fine / BILLING_FINE_PER_YUAN; }

static int inquiry_price_allocate_addresses(struct api_ctx *ctx)
{
    const char *charge = api_str(ctx, "InternetChargeType", "");
    if (!strcmp(charge, "BANDWIDTH_PREPAID_BY_MONTH") || api_has(ctx, "AddressChargePrepaid"))
        return api_fail(ctx, E_UNSUPPORTED_OPERATION, "Prepaid EIPs are not sold here.");
    const char *type = api_str(ctx, "AddressType", "EIP");
    if (strcmp(type, "EIP"))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "AddressType %s is not sold here.", type);
    struct billing_item it = {"v_eip_idle", "*", 1};
    struct billing_price p;
    char code[96], msg[256];
    if (billing_quote(ctx->store, ctx->who.owner_uin, ctx->region, "vpc", &it, 1, 0, billing_now(ctx->store), &p, code,
                      sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    json_object_set_new(ctx->out, "Price",
                        json_pack("{s:{s:f,s:f,s:s}}", "AddressPrice", "UnitPrice", yuan(p.list), "DiscountPrice",
                                  yuan(p.real), "ChargeUnit", "HOUR"));
    return 0;
}

static const char *const charge_types[] = {"BANDWIDTH_PACKAGE", "BANDWIDTH_POSTPAID_BY_HOUR",
                                           "BANDWIDTH_PREPAID_BY_MONTH", "TRAFFIC_POSTPAID_BY_HOUR", NULL};
static const struct param p_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_INT("AutoRenewFlag", 0, 0, 1), P_END};
static const struct param p_inquiry[] = {P_ENUM("InternetChargeType", P_REQUIRED, charge_types),
                                         P_INT("InternetMaxBandwidthOut", 0, 1, 10000),
                                         P_OBJ("AddressChargePrepaid", 0, p_prepaid),
                                         P_STR("AddressType", 0, 0, 32),
                                         P_STR("IPChargeType", 0, 0, 32),
                                         P_END};

static const struct action inquiry_actions[] = {
    {"vpc", VPC_VERSION, "InquiryPriceAllocateAddresses", inquiry_price_allocate_addresses, p_inquiry, A_REGIONAL,
     "eip/*", NULL},
};

void address_inquiry_register(void)
{
    api_register(inquiry_actions, sizeof inquiry_actions / sizeof inquiry_actions[0]);
}
