/*
 * region: DescribeRegions and DescribeZones, from the configuration (the regions and zones cvm
 * answers too), in lighthouse's shapes.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
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

void lh_region_register(void) { api_register(region_actions, sizeof region_actions / sizeof region_actions[0]); }
