/*
 * region: DescribeRegions and DescribeZones (service cvm, 2017-03-12). Regions and zones are
 * the operator's, from the configuration; this file only presents them in the CVM shapes, and
 * tells the request path (api/regions.c) the region of each regional cvm resource: an instance
 * is in the region of its zone, a key pair and a private image record theirs.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "compute/codes.h"
#include "compute/compute.h"
#include "compute/states.h"

/* 1 with out set from the row's one text column, 0 no row, -1 error */
static int one_text(struct api_ctx *ctx, const char *sql, const char *id, char out[64])
{
    struct store_stmt *q = store_query(ctx->store, sql, "ss", id, ctx->who.owner_uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        snprintf(out, 64, "%s", store_text(q, 0));
    store_done(q);
    return rc < 0 ? -1 : rc;
}

static int instance_region(struct api_ctx *ctx, const char *id, char region[64])
{
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT zone, sold_by FROM instances WHERE instance_id = ? AND owner_uin = ?"
                                       " AND state != '" INSTANCE_TERMINATED "'",
                                       "ss", id, ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    if (rc == 1 && strcmp(store_text(q, 1), api_sold_by(ctx)) != 0)
        rc = 2;
    else if (rc == 1)
        config_zone_region(ctx->config, store_text(q, 0), region);
    store_done(q);
    return rc < 0 ? -1 : rc;
}

static int keypair_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return one_text(ctx, "SELECT region FROM key_pairs WHERE key_id = ? AND owner_uin = ?", id, region);
}

static int image_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return one_text(ctx, "SELECT region FROM images WHERE image_id = ? AND owner_uin = ?", id, region);
}

int compute_region_has_host(struct store *s, const struct config *cfg, const char *region)
{
    struct store_stmt *q = store_query(s, "SELECT DISTINCT zone FROM hosts", "");
    if (!q)
        return -1;
    int rc, found = 0;
    while (!found && (rc = store_step(q)) == 1) {
        char r[64];
        config_zone_region(cfg, store_text(q, 0), r);
        found = !strcmp(r, region);
    }
    store_done(q);
    return found ? 1 : rc < 0 ? -1 : 0;
}

static const struct regional_kind cvm_kinds[] = {
    {"cvm", "instance", "instance", E_INVALID_INSTANCE_ID_NOT_FOUND, instance_region},
    {"cvm", "keypair", "key pair", E_INVALID_KEY_PAIR_ID_NOT_FOUND, keypair_region},
    {"cvm", "image", "image", E_INVALID_IMAGE_ID_NOT_FOUND, image_region},
};

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

void compute_register_regions(void)
{
    api_register(region_actions, 2);
    api_register_regional(cvm_kinds, sizeof cvm_kinds / sizeof cvm_kinds[0]);
}
