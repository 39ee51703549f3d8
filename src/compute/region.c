/*
 * region: DescribeRegions and DescribeZones (service cvm, 2017-03-12). Regions and zones are
 * the operator's, from the configuration; this file only presents them in the CVM shapes.
 */
#include "compute/compute.h"

static int describe_regions(struct api_ctx *ctx)
{
    json_t *set = json_array();
    for (int i = 0; i < ctx->config->nregions; i++) {
        const struct region_conf *r = &ctx->config->regions[i];
        json_array_append_new(set, json_pack("{s:s,s:s,s:s}", "Region", r->region, "RegionName",
                                             r->name[0] ? r->name : r->region, "RegionState", "AVAILABLE"));
    }
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "RegionSet", set);
    return 0;
}

static int describe_zones(struct api_ctx *ctx)
{
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    json_t *set = json_array();
    for (int i = 0; r && i < r->nzones; i++) {
        const struct zone_conf *z = &r->zones[i];
        json_array_append_new(set, json_pack("{s:s,s:s,s:s,s:s}", "Zone", z->zone, "ZoneName",
                                             z->name[0] ? z->name : z->zone, "ZoneId", z->zone_id, "ZoneState",
                                             "AVAILABLE"));
    }
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "ZoneSet", set);
    return 0;
}

static const struct param p_none[] = {P_END};

static const struct action region_actions[] = {
    {"cvm", "2017-03-12", "DescribeRegions", describe_regions, p_none, 0, NULL},
    {"cvm", "2017-03-12", "DescribeZones", describe_zones, p_none, A_REGIONAL, NULL},
};

void compute_register_regions(void) { api_register(region_actions, 2); }
