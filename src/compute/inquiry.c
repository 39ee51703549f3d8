/*
 * inquiry: InquiryPriceRunInstances, the price of a launch before it is made. The instance is
 * priced by the same components settlement meters it with (v_cvm_cpu and v_cvm_mem by family,
 * v_cvm_rootdisk by disk type; data disks as cbs v_cbs_disk), through billing_quote(), so a quote
 * and the bill that follows use one price book and the caller's discount. Money stays in integer
 * fine units until the answer, where Tencent's shape wants floats in yuan.
 *
 * yun does not charge bandwidth: BandwidthPrice is zero.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "billing/billing.h"
#include "compute/codes.h"
#include "compute/compute.h"
#include "dedicated/dedicated.h"

static double yuan(int64_t fine) { return (double)fine / BILLING_FINE_PER_YUAN; }

static int inquiry_price_run_instances(struct api_ctx *ctx)
{
    json_t *placement = json_object_get(ctx->params, "Placement");
    const char *zone = json_string_value(json_object_get(placement, "Zone"));
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    int zone_ok = 0;
    for (int i = 0; r && i < r->nzones; i++)
        zone_ok |= strcmp(r->zones[i].zone, zone) == 0;
    if (!zone_ok)
        return api_fail(ctx, E_INVALID_ZONE_MISMATCH_REGION, "The zone `%s` is not in region %s.", zone, ctx->region);
    const char *charge = api_str(ctx, "InstanceChargeType", "POSTPAID_BY_HOUR");
    int cdh = !strcmp(charge, "CDHPAID"), cdc = !strcmp(charge, "CDCPAID");
    const struct instance_type *type = instance_type_find(api_str(ctx, "InstanceType", "S5.SMALL1"));
    struct instance_type cdh_type;
    if (!type && cdh && instance_type_cdh(api_str(ctx, "InstanceType", ""), &cdh_type))
        type = &cdh_type;
    const char *cluster = api_str(ctx, "DedicatedClusterId", NULL);
    if (cdc) { /* priced by the cluster's own rows of the price book (item: the cluster id) */
        char czone[64];
        int found = cluster ? dedicated_cluster_zone(ctx->store, ctx->who.owner_uin, cluster, czone) : 0;
        if (found < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The dedicated cluster could not be read.");
        if (!cluster)
            return api_fail(ctx, E_MISSING_PARAMETER, "InstanceChargeType CDCPAID needs DedicatedClusterId.");
        if (found == 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The dedicated cluster `%s` does not exist.", cluster);
    }
    if (!type)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_INSTANCE_TYPE_NOT_FOUND,
                        "The instance type `%s` does not exist.", api_str(ctx, "InstanceType", ""));
    const char *image = api_str(ctx, "ImageId", "");
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT size_gib FROM images WHERE image_id = ? AND (owner_uin = '' OR"
                                       " owner_uin = ?)",
                                       "ss", image, ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    int64_t image_size = rc == STORE_FOUND ? store_int(q, 0) : 0;
    store_done(q);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The image could not be read.");
    if (rc != STORE_FOUND)
        return api_fail(ctx, E_INVALID_IMAGE_ID_NOT_FOUND, "The image `%s` does not exist.", image);
    json_t *sd = json_object_get(ctx->params, "SystemDisk");
    const char *disk_type = json_string_value(json_object_get(sd, "DiskType"));
    int64_t disk_size = json_object_get(sd, "DiskSize") ? json_integer_value(json_object_get(sd, "DiskSize")) : 20;
    if (disk_size < image_size)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_SYSTEM_DISK_SIZE_TOO_SMALL,
                        "SystemDisk.DiskSize must be at least %lld GiB.", (long long)image_size);
    int months = 0;
    if (!strcmp(charge, "PREPAID")) {
        json_t *pp = json_object_get(ctx->params, "InstanceChargePrepaid");
        if (!pp)
            return api_fail(ctx, E_MISSING_PARAMETER, "InstanceChargePrepaid is required for PREPAID instances.");
        months = (int)json_integer_value(json_object_get(pp, "Period"));
    } else if (strcmp(charge, "POSTPAID_BY_HOUR") && !cdh && !cdc)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "InstanceChargeType %s is not sold here.", charge);
    int64_t count = api_int(ctx, "InstanceCount", 1), t = billing_now(ctx->store);
    char code[96], msg[256];
    const struct billing_item items[] = {{"v_cvm_rootdisk", disk_type ? disk_type : "CLOUD_PREMIUM", disk_size},
                                         {"v_cvm_cpu", type->family, type->cpu},
                                         {"v_cvm_mem", type->family, type->memory_gib}};
    const struct billing_item cdc_items[] = {{"v_cdc_cpu", cluster, type->cpu},
                                             {"v_cdc_mem", cluster, type->memory_gib}};
    struct billing_price p, d;
    /* CDHPAID: only the system disk (the dedicated host is billed, not its instances) */
    if (billing_quote(ctx->store, ctx->who.owner_uin, ctx->region, "cvm", items, cdh || cdc ? 1 : 3, months, t, &p,
                      code, sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, code, "%s", msg);
    if (cdc) {
        if (billing_quote(ctx->store, ctx->who.owner_uin, ctx->region, "cdc", cdc_items, 2, months, t, &d, code,
                          sizeof code, msg, sizeof msg) != 0)
            return api_fail(ctx, code, "%s", msg);
        p.list += d.list;
        p.real += d.real;
    }
    json_t *data = json_object_get(ctx->params, "DataDisks"), *dd;
    size_t i;
    json_array_foreach (data, i, dd) {
        const char *dt = json_string_value(json_object_get(dd, "DiskType"));
        struct billing_item it = {"v_cbs_disk", dt ? dt : "CLOUD_PREMIUM",
                                  json_integer_value(json_object_get(dd, "DiskSize"))};
        if (billing_quote(ctx->store, ctx->who.owner_uin, ctx->region, "cbs", &it, 1, months, t, &d, code, sizeof code,
                          msg, sizeof msg) != 0)
            return api_fail(ctx, code, "%s", msg);
        p.list += d.list;
        p.real += d.real;
    }
    p.list *= count;
    p.real *= count;
    /* percent of list, as Tencent's ItemPrice.Discount ("80.0" = 20 % off), two places */
    double discount = p.list ? round(10000.0 * (double)p.real / (double)p.list) / 100.0 : 100.0;
    json_t *inst = months ? json_pack("{s:f,s:f,s:f}", "OriginalPrice", yuan(p.list), "DiscountPrice", yuan(p.real),
                                      "Discount", discount)
                          : json_pack("{s:f,s:s,s:f,s:f}", "UnitPrice", yuan(p.list), "ChargeUnit", "HOUR",
                                      "UnitPriceDiscount", yuan(p.real), "Discount", discount);
    json_t *bw = months ? json_pack("{s:f,s:f,s:f}", "OriginalPrice", 0.0, "DiscountPrice", 0.0, "Discount", 100.0)
                        : json_pack("{s:f,s:s,s:f,s:f}", "UnitPrice", 0.0, "ChargeUnit", "HOUR", "UnitPriceDiscount",
                                    0.0, "Discount", 100.0);
    json_object_set_new(ctx->out, "Price", json_pack("{s:o,s:o}", "InstancePrice", inst, "BandwidthPrice", bw));
    return 0;
}

static const struct param p_inquiry[] = {P_OBJ("Placement", P_REQUIRED, launch_placement),
                                         P_STR("ImageId", P_REQUIRED, 1, 32),
                                         P_ENUM("InstanceChargeType", 0, launch_charge_types),
                                         P_OBJ("InstanceChargePrepaid", 0, launch_prepaid),
                                         P_STR("InstanceType", 0, 1, 64),
                                         P_OBJ("SystemDisk", 0, launch_system_disk),
                                         P_OBJS("DataDisks", 0, 20, launch_data_disk),
                                         P_OBJ("VirtualPrivateCloud", 0, launch_vpc),
                                         P_OBJ("InternetAccessible", 0, launch_internet),
                                         P_INT("InstanceCount", 0, 1, 100),
                                         P_STR("InstanceName", 0, 1, 128),
                                         P_OBJ("LoginSettings", 0, launch_login),
                                         P_STRS("SecurityGroupIds", 0, 5, 32),
                                         P_OBJ("EnhancedService", 0, launch_enhanced),
                                         P_STR("ClientToken", 0, 1, 64),
                                         P_STR("HostName", 0, 2, 60),
                                         P_TAG_SPEC,
                                         P_STR("HpcClusterId", 0, 0, 64),
                                         P_STR("DedicatedClusterId", 0, 1, 64),
                                         P_END};

static const struct action inquiry_actions[] = {
    {"cvm", CVM, "InquiryPriceRunInstances", inquiry_price_run_instances, p_inquiry, A_REGIONAL, "instance/*", NULL,
     TOUCHES("cvm:image/${ImageId}")},
};

void inquiry_register(void) { api_register(inquiry_actions, sizeof inquiry_actions / sizeof inquiry_actions[0]); }
