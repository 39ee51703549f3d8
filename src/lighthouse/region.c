/*
 * region: DescribeRegions and DescribeZones, from the configuration (the regions and zones cvm
 * answers too), in lighthouse's shapes; and the region of a lighthouse instance (its zone's), for
 * the request path's check (api/regions.c).
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "lighthouse/codes.h"
#include "lighthouse/lighthouse_int.h"

static int describe_regions(struct api_ctx *ctx)
{
    json_t *set = json_array();
    for (int i = 0; i < ctx->config->nregions; i++) {
        const struct region_conf *r = &ctx->config->regions[i];
        json_array_append_new(set, json_pack("{s:s,s:s,s:s,s:b}", "Region", r->region, "RegionName",
                                             r->name[0] ? r->name : r->region, "RegionState", "AVAILABLE",
                                             "IsChinaMainland", 1));
    }
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "RegionSet", set);
    return 0;
}

static int describe_zones(struct api_ctx *ctx)
{
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    int desc = !strcmp(api_str(ctx, "Order", "ASC"), "DESC");
    json_t *set = json_array();
    for (int k = 0; r && k < r->nzones; k++) {
        const struct zone_conf *z = &r->zones[desc ? r->nzones - 1 - k : k];
        json_array_append_new(set, json_pack("{s:s,s:s,s:s}", "Zone", z->zone, "ZoneName",
                                             z->name[0] ? z->name : z->zone, "InstanceDisplayLabel", "NORMAL"));
    }
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "ZoneInfoSet", set);
    return 0;
}

static const char *const order_fields[] = {"ZONE", NULL};
static const char *const orders[] = {"ASC", "DESC", NULL};
static const struct param p_none[] = {P_END};
static const struct param p_zones[] = {P_ENUM("OrderField", 0, order_fields), P_ENUM("Order", 0, orders), P_END};

static const struct action region_actions[] = {
    {"lighthouse", LIGHTHOUSE, "DescribeRegions", describe_regions, p_none, 0, NULL},
    {"lighthouse", LIGHTHOUSE, "DescribeZones", describe_zones, p_zones, A_REGIONAL, NULL},
};

static int instance_region(struct api_ctx *ctx, const char *id, char region[64])
{
    struct lh_instance in;
    int rc = lh_store_instance_get(ctx->store, ctx->who.owner_uin, id, &in);
    if (rc == 1)
        config_zone_region(ctx->config, in.zone, region);
    return rc < 0 ? -1 : rc;
}

static const struct regional_kind lh_kinds[] = {
    {"lighthouse", "instance", "instance", E_LH_INSTANCE_NOT_FOUND, instance_region},
};

void lh_region_register(void)
{
    api_register(region_actions, sizeof region_actions / sizeof region_actions[0]);
    api_register_regional(lh_kinds, sizeof lh_kinds / sizeof lh_kinds[0]);
}
