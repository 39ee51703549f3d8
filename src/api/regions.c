/*
 * regions: one control plane serves every configured region. A regional resource belongs to
 * one region (its own column, or the region its zone is in); a request acts in the region
 * X-TC-Region names. Each service registers, per resource type of its qcs names, how to find a
 * resource's region; before any regional action runs, every resource the request names
 * (api_resources: the action row's resource and touches) that is the caller's but lives in
 * another region is answered with the service's "not found" code, as Tencent answers region B
 * for a region-A id. So no handler repeats the check, and a wrong-region action changes nothing.
 * Lists (Describe* without ids) filter by the request region in each service's own SQL.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/codes.h"

#define MAX_KINDS 32

static const struct regional_kind *kinds[MAX_KINDS];
static int nkinds;

void api_register_regional(const struct regional_kind *k, int n)
{
    for (int i = 0; i < n && nkinds < MAX_KINDS; i++)
        kinds[nkinds++] = &k[i];
}

static const struct regional_kind *kind_of(const char *service, size_t slen, const char *type, size_t tlen)
{
    for (int i = 0; i < nkinds; i++)
        if (strlen(kinds[i]->service) == slen && !strncmp(kinds[i]->service, service, slen) &&
            strlen(kinds[i]->type) == tlen && !strncmp(kinds[i]->type, type, tlen))
            return kinds[i];
    return NULL;
}

/* "qcs::SERVICE:REGION:uin/OWNER:TYPE/ID": 0 with the parts, -1 if it is not of that shape. */
static int split_name(const char *name, const char **svc, size_t *slen, const char **type, size_t *tlen,
                      const char **id)
{
    if (strncmp(name, "qcs::", 5) != 0)
        return -1;
    const char *p = name + 5, *c = strchr(p, ':');
    if (!c)
        return -1;
    *svc = p;
    *slen = (size_t)(c - p);
    c = strchr(c + 1, ':'); /* after the region */
    if (!c || strncmp(c + 1, "uin/", 4) != 0)
        return -1;
    c = strchr(c + 1, ':'); /* after the owner */
    if (!c)
        return -1;
    const char *slash = strchr(c + 1, '/');
    if (!slash)
        return -1;
    *type = c + 1;
    *tlen = (size_t)(slash - *type);
    *id = slash + 1;
    return 0;
}

int api_region_check(struct api_ctx *ctx, json_t *resources)
{
    if (!(ctx->action->flags & A_REGIONAL) || !ctx->region || !*ctx->region)
        return 0;
    size_t i;
    json_t *r;
    json_array_foreach (resources, i, r) {
        const char *svc, *type, *id;
        size_t slen, tlen;
        if (split_name(json_string_value(r), &svc, &slen, &type, &tlen, &id) != 0 || !*id || strchr(id, '*'))
            continue;
        const struct regional_kind *k = kind_of(svc, slen, type, tlen);
        if (!k)
            continue;
        char region[64] = "";
        int rc = k->region_of(ctx, id, region);
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The %s `%s` could not be looked up.", k->what, id);
        if (rc == 2)
            return api_fail(ctx, k->not_found, "The %s `%s` does not exist.", k->what, id);
        if (rc == 1 && strcmp(region, ctx->region) != 0)
            return api_fail(ctx, k->not_found, "The %s `%s` does not exist in region %s.", k->what, id, ctx->region);
    }
    return 0;
}

int api_zone_in_region(const struct api_ctx *ctx, const char *zone)
{
    char region[64];
    config_zone_region(ctx->config, zone, region);
    return strcmp(region, ctx->region ? ctx->region : "") == 0;
}
