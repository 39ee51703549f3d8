/*
 * site: the cdc sites, a customer's machine rooms (CreateSite, DescribeSites, DescribeSitesDetail,
 * ModifySiteInfo, ModifySiteDeviceInfo, DeleteSites). A site's fields are one table
 * (site_fields), so create, modify and describe walk the same list.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "dedicated/dedicated_int.h"

static void set_fields(struct api_ctx *ctx, const char *site_id, int *rc)
{
    for (const struct site_field *f = site_fields; f->param && *rc == 0; f++) {
        json_t *v = json_object_get(ctx->params, f->param);
        if (v && site_set(ctx->store, ctx->who.owner_uin, site_id, f, v) != 1)
            *rc = api_fail(ctx, E_INTERNAL_ERROR, "The site could not be updated: %s", store_errmsg(ctx->store));
    }
}

static int create_site(struct api_ctx *ctx)
{
    char id[24];
    random_id("site-", id, sizeof id);
    if (site_insert(ctx->store, id, ctx->who.owner_uin, time_now()) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The site could not be recorded: %s", store_errmsg(ctx->store));
    int rc = 0;
    set_fields(ctx, id, &rc);
    if (rc != 0)
        return -1;
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cdc::uin/%s:site/%s", ctx->who.owner_uin, id);
    json_object_set_new(ctx->out, "SiteId", json_string(id));
    return 0;
}

/* The caller's sites that SiteIds and Name (a substring) select, a page of them, as Site or SiteDetail. */
static int list_sites(struct api_ctx *ctx, const char *set_name, int detail)
{
    json_t *rows = site_rows(ctx->store, ctx->who.owner_uin);
    if (!rows)
        return api_fail(ctx, E_INTERNAL_ERROR, "The sites are unavailable.");
    json_t *ids = json_object_get(ctx->params, "SiteIds");
    const char *name = api_str(ctx, "Name", NULL);
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        const char *id = json_string_value(json_object_get(row, "SiteId"));
        if ((ids && !values_contain(ids, id)) ||
            (name && !strstr(json_string_value(json_object_get(row, "Name")), name)))
            continue;
        if (!page_take(&pg))
            continue;
        json_array_append_new(pg.set, detail
                                          ? json_deep_copy(row)
                                          : json_pack("{s:O,s:s,s:O,s:O}", "Name", json_object_get(row, "Name"),
                                                      "SiteId", id, "Description", json_object_get(row, "Description"),
                                                      "CreateTime", json_object_get(row, "CreateTime")));
    }
    json_decref(rows);
    page_finish(ctx, &pg, set_name);
    return 0;
}

static int describe_sites(struct api_ctx *ctx) { return list_sites(ctx, "SiteSet", 0); }
static int describe_sites_detail(struct api_ctx *ctx) { return list_sites(ctx, "SiteDetailSet", 1); }

static int modify_site(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "SiteId", "");
    int rc = site_exists(ctx->store, ctx->who.owner_uin, id);
    if (rc != 1)
        return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_RESOURCE_NOT_FOUND, "The site `%s` does not exist.", id);
    rc = 0;
    set_fields(ctx, id, &rc);
    return rc;
}

static int delete_sites(struct api_ctx *ctx)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ctx->params, "SiteIds"), i, v) {
        const char *id = json_string_value(v);
        int rc = site_exists(ctx->store, ctx->who.owner_uin, id);
        if (rc != 1)
            return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_RESOURCE_NOT_FOUND, "The site `%s` does not exist.", id);
        int64_t clusters = site_cluster_count(ctx->store, ctx->who.owner_uin, id);
        if (clusters != 0)
            return api_fail(ctx, clusters < 0 ? E_INTERNAL_ERROR : E_RESOURCE_IN_USE,
                            "The site `%s` still has %lld dedicated clusters.", id, (long long)clusters);
        if (site_delete(ctx->store, ctx->who.owner_uin, id) != 1)
            return api_fail(ctx, E_INTERNAL_ERROR, "The site could not be deleted.");
    }
    return 0;
}

#define SITE_DEVICE_PARAMS                                                                                             \
    P_STR("FiberType", 0, 0, 64), P_STR("OpticalStandard", 0, 0, 64), P_STR("PowerConnectors", 0, 0, 64),              \
        P_STR("PowerFeedDrop", 0, 0, 64), P_INT("MaxWeight", 0, 0, INT32_MAX), P_INT("PowerDrawKva", 0, 0, INT32_MAX), \
        P_INT("UplinkSpeedGbps", 0, 0, INT32_MAX), P_INT("UplinkCount", 0, 0, INT32_MAX),                              \
        P_BOOL("ConditionRequirement", 0), P_BOOL("DimensionRequirement", 0), P_BOOL("RedundantNetworking", 0),        \
        P_BOOL("NeedHelp", 0), P_BOOL("RedundantPower", 0), P_BOOL("BreakerRequirement", 0)

static const struct param p_create[] = {P_STR("Name", P_REQUIRED, 1, 60),
                                        P_STR("Country", P_REQUIRED, 1, 60),
                                        P_STR("Province", P_REQUIRED, 1, 60),
                                        P_STR("City", P_REQUIRED, 1, 60),
                                        P_STR("AddressLine", P_REQUIRED, 1, 256),
                                        P_STR("Description", 0, 0, 256),
                                        P_STR("Note", 0, 0, 256),
                                        P_INT("PostalCode", 0, 0, INT32_MAX),
                                        P_STR("OptionalAddressLine", 0, 0, 256),
                                        SITE_DEVICE_PARAMS,
                                        P_END};
static const struct param p_describe[] = {P_STRS("SiteIds", 0, 100, 64), P_STR("Name", 0, 0, 60),
                                          P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100), P_END};
/* ModifySiteInfo's PostalCode is a string in the model (CreateSite's an integer) */
static const struct param p_modify_info[] = {P_STR("SiteId", P_REQUIRED, 1, 64),
                                             P_STR("Name", 0, 1, 60),
                                             P_STR("Description", 0, 0, 256),
                                             P_STR("Note", 0, 0, 256),
                                             P_STR("Country", 0, 1, 60),
                                             P_STR("Province", 0, 1, 60),
                                             P_STR("City", 0, 1, 60),
                                             P_STR("PostalCode", P_NUMSTR, 0, 16),
                                             P_STR("AddressLine", 0, 1, 256),
                                             P_END};
static const struct param p_modify_device[] = {P_STR("SiteId", P_REQUIRED, 1, 64), SITE_DEVICE_PARAMS, P_END};
static const struct param p_delete[] = {P_STRS("SiteIds", P_REQUIRED, 100, 64), P_END};

static const struct action site_actions[] = {
    {"cdc", CDC, "CreateSite", create_site, p_create, A_MUTATES, "site/*"},
    {"cdc", CDC, "DescribeSites", describe_sites, p_describe, 0, "site/${SiteIds|*}"},
    {"cdc", CDC, "DescribeSitesDetail", describe_sites_detail, p_describe, 0, "site/${SiteIds|*}"},
    {"cdc", CDC, "ModifySiteInfo", modify_site, p_modify_info, A_MUTATES, "site/${SiteId}"},
    {"cdc", CDC, "ModifySiteDeviceInfo", modify_site, p_modify_device, A_MUTATES, "site/${SiteId}"},
    {"cdc", CDC, "DeleteSites", delete_sites, p_delete, A_MUTATES, "site/${SiteIds}"},
};

void site_register(void) { api_register(site_actions, sizeof site_actions / sizeof site_actions[0]); }
