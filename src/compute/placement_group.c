/*
 * placement_group: cvm's spread placement groups (Tencent's DisasterRecoverGroup, ids ps-xxxxxxxx):
 * CreateDisasterRecoverGroup, DescribeDisasterRecoverGroups, ModifyDisasterRecoverGroupAttribute,
 * DeleteDisasterRecoverGroups, DescribeDisasterRecoverGroupQuota, and what RunInstances needs to
 * launch into one. A group is regional and one account's; its members are the instances launched
 * into it (instances.placement_group_id) that still hold resources, so a terminated instance leaves
 * it without a write here. The scheduler keeps one member per host (scheduler_group_allows). yun
 * knows hosts, not switches or racks: SW and RACK groups are spread over hosts like HOST groups.
 * Every statement on placement_groups is in this file.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "compute/codes.h"
#include "compute/compute.h"
#include "compute/states.h"

#define GROUP_QUOTA 10 /* groups an account may hold in a region */
#define NAME_CHARS  60 /* Tencent's limit, in characters (names may be Chinese) */

/* The types and how many instances a group of each holds (DescribeDisasterRecoverGroupQuota). */
static const struct group_type {
    const char *name;
    int64_t cvm_quota;
} group_types[] = {{"HOST", 50}, {"SW", 20}, {"RACK", 30}};

static const char *const type_names[] = {"HOST", "SW", "RACK", NULL};

static int64_t type_quota(const char *type)
{
    for (size_t i = 0; i < sizeof group_types / sizeof group_types[0]; i++)
        if (!strcmp(group_types[i].name, type))
            return group_types[i].cvm_quota;
    return 0;
}

/* ps- and 8 of [a-z0-9], as random_id makes them. */
static int id_well_formed(const char *id)
{
    if (!id || strncmp(id, "ps-", 3) != 0 || strlen(id) != 11)
        return 0;
    for (const char *p = id + 3; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

static int check_id(struct api_ctx *ctx, const char *id)
{
    return id_well_formed(id) ? 0
                              : api_fail(ctx, E_INVALID_PARAMETER_VALUE_DR_GROUP_ID_MALFORMED,
                                         "`%s` is not a placement group id (ps- and 8 letters or digits).", id);
}

/* The schema bounds the bytes; Tencent counts characters. */
static int check_name(struct api_ctx *ctx, const char *name)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        chars += (*p & 0xc0) != 0x80;
    if (chars > NAME_CHARS)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_TOO_LONG, "Name has %zu characters; at most %d are allowed.",
                        chars, NAME_CHARS);
    return 0;
}

static void set_resource(struct api_ctx *ctx, const char *id)
{
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:ps/%s", ctx->region, ctx->who.owner_uin, id);
}

/* The group's members: instances launched into it that hold resources, oldest first. */
static json_t *members(struct store *s, const char *owner_uin, const char *group_id)
{
    json_t *ids = json_array();
    struct store_stmt *q =
        store_query(s,
                    "SELECT instance_id FROM instances WHERE placement_group_id = ? AND owner_uin = ?"
                    " AND " INSTANCE_HOLDS_RESOURCES("state") " ORDER BY created, instance_id",
                    "ss", group_id, owner_uin);
    if (!q) {
        json_decref(ids);
        return NULL;
    }
    int rc;
    while ((rc = store_step(q)) == 1)
        json_array_append_new(ids, json_string(store_text(q, 0)));
    store_done(q);
    if (rc < 0) {
        json_decref(ids);
        return NULL;
    }
    return ids;
}

/* The DisasterRecoverGroup object of the row (group_id, name, type, created) at q. */
static json_t *group_json(struct api_ctx *ctx, struct store_stmt *q)
{
    json_t *ids = members(ctx->store, ctx->who.owner_uin, store_text(q, 0));
    if (!ids)
        return NULL;
    char created[32];
    time_iso8601(store_int(q, 3), created);
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:s,s:i,s:[]}", "DisasterRecoverGroupId", store_text(q, 0), "Name",
                     store_text(q, 1), "Type", store_text(q, 2), "CvmQuotaTotal",
                     (json_int_t)type_quota(store_text(q, 2)), "CurrentNum", (json_int_t)json_array_size(ids),
                     "InstanceIds", ids, "CreateTime", created, "Affinity", 1, "Tags");
}

#define GROUP_COLUMNS "group_id, name, type, created"

/* 1 with the group's object, 0 no such group of the caller in the region, -1 error. */
static int group_find(struct api_ctx *ctx, const char *id, json_t **out)
{
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT " GROUP_COLUMNS
                                       " FROM placement_groups WHERE group_id = ? AND owner_uin = ? AND region = ?",
                                       "sss", id, ctx->who.owner_uin, ctx->region);
    int rc = q ? store_step(q) : -1;
    if (rc == 1 && !(*out = group_json(ctx, q)))
        rc = -1;
    store_done(q);
    return rc;
}

static int64_t group_count(struct api_ctx *ctx)
{
    struct store_stmt *q =
        store_query(ctx->store, "SELECT count(*) FROM placement_groups WHERE owner_uin = ? AND region = ?", "ss",
                    ctx->who.owner_uin, ctx->region);
    int64_t n = q && store_step(q) == 1 ? store_int(q, 0) : -1;
    store_done(q);
    return n;
}

/* The fields CreateDisasterRecoverGroup answers, from the group's object. */
static void answer_created(struct api_ctx *ctx, json_t *g)
{
    static const char *const fields[] = {"DisasterRecoverGroupId", "Type",       "Name",
                                         "CvmQuotaTotal",          "CurrentNum", "CreateTime"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        json_object_set(ctx->out, fields[i], json_object_get(g, fields[i]));
}

static int create_group(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "Name", ""), *type = api_str(ctx, "Type", "");
    const char *token = api_str(ctx, "ClientToken", NULL);
    if (token) {
        json_t *ids = client_token_ids(ctx->store, ctx->who.owner_uin, "CreateDisasterRecoverGroup", token);
        if (ids) { /* a retry: the group that call made, as it is now */
            json_t *g = NULL;
            int rc = group_find(ctx, json_string_value(json_array_get(ids, 0)), &g);
            json_decref(ids);
            if (rc < 0)
                return api_fail(ctx, E_INTERNAL_ERROR, "The placement group could not be read.");
            if (rc == 0)
                return api_fail(ctx, E_RESOURCE_NOT_FOUND_INVALID_PLACEMENT_SET,
                                "The placement group this ClientToken made was deleted.");
            answer_created(ctx, g);
            json_decref(g);
            return 0;
        }
    }
    if (check_name(ctx, name))
        return -1;
    int64_t have = group_count(ctx);
    if (have < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement groups could not be counted.");
    if (have >= GROUP_QUOTA)
        return api_fail(ctx, E_LIMIT_EXCEEDED_DISASTER_RECOVER_GROUP,
                        "The account holds %lld placement groups in %s; at most %d are allowed.", (long long)have,
                        ctx->region, GROUP_QUOTA);
    char id[16];
    random_id("ps-", id, sizeof id);
    int64_t now = time_now();
    if (store_exec(ctx->store,
                   "INSERT INTO placement_groups (group_id, owner_uin, region, name, type, created)"
                   " VALUES (?, ?, ?, ?, ?, ?)",
                   "sssssi", id, ctx->who.owner_uin, ctx->region, name, type, now) != 1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement group could not be recorded: %s",
                        store_errmsg(ctx->store));
    if (token) {
        json_t *ids = json_pack("[s]", id);
        int rc = client_token_record(ctx->store, ctx->who.owner_uin, "CreateDisasterRecoverGroup", token, ids, now);
        json_decref(ids);
        if (rc != 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The client token could not be recorded: %s",
                            store_errmsg(ctx->store));
    }
    char created[32];
    time_iso8601(now, created);
    json_object_set_new(ctx->out, "DisasterRecoverGroupId", json_string(id));
    json_object_set_new(ctx->out, "Type", json_string(type));
    json_object_set_new(ctx->out, "Name", json_string(name));
    json_object_set_new(ctx->out, "CvmQuotaTotal", json_integer((json_int_t)type_quota(type)));
    json_object_set_new(ctx->out, "CurrentNum", json_integer(0));
    json_object_set_new(ctx->out, "CreateTime", json_string(created));
    set_resource(ctx, id);
    return 0;
}

static int describe_groups(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "DisasterRecoverGroupIds");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v)
        if (check_id(ctx, json_string_value(v)))
            return -1;
    const char *name = api_str(ctx, "Name", NULL); /* a part of the name (Tencent's fuzzy match) */
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT " GROUP_COLUMNS " FROM placement_groups WHERE owner_uin = ?"
                                       " AND region = ? ORDER BY rowid",
                                       "ss", ctx->who.owner_uin, ctx->region);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement groups are unavailable: %s", store_errmsg(ctx->store));
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    int rc;
    while ((rc = store_step(q)) == 1) {
        if ((ids && !values_contain(ids, store_text(q, 0))) || (name && !strstr(store_text(q, 1), name)) ||
            !page_take(&pg))
            continue;
        json_t *g = group_json(ctx, q);
        if (!g) {
            rc = -1;
            break;
        }
        json_array_append_new(pg.set, g);
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement groups are unavailable.");
    }
    page_finish(ctx, &pg, "DisasterRecoverGroupSet");
    return 0;
}

static int modify_group(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "DisasterRecoverGroupId", ""), *name = api_str(ctx, "Name", "");
    if (check_id(ctx, id) || check_name(ctx, name))
        return -1;
    int rc = store_exec(ctx->store,
                        "UPDATE placement_groups SET name = ? WHERE group_id = ? AND owner_uin = ? AND region = ?",
                        "ssss", name, id, ctx->who.owner_uin, ctx->region);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement group could not be updated.");
    if (rc == 0)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND_INVALID_PLACEMENT_SET, "The placement group `%s` does not exist.",
                        id);
    set_resource(ctx, id);
    return 0;
}

/* Only empty groups go; one that is not refuses the whole call (nothing is deleted). */
static int delete_groups(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "DisasterRecoverGroupIds");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        json_t *g = NULL;
        int rc = check_id(ctx, id) ? -2 : group_find(ctx, id, &g);
        if (rc == -2)
            return -1;
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The placement group `%s` could not be read.", id);
        if (rc == 0)
            return api_fail(ctx, E_RESOURCE_NOT_FOUND_INVALID_PLACEMENT_SET, "The placement group `%s` does not exist.",
                            id);
        json_int_t n = json_integer_value(json_object_get(g, "CurrentNum"));
        json_decref(g);
        if (n > 0)
            return api_fail(ctx, E_FAILED_OPERATION_PLACEMENT_SET_NOT_EMPTY,
                            "The placement group `%s` holds %lld instances: terminate them first.", id, (long long)n);
    }
    json_array_foreach (ids, i, v)
        if (store_exec(ctx->store, "DELETE FROM placement_groups WHERE group_id = ? AND owner_uin = ? AND region = ?",
                       "sss", json_string_value(v), ctx->who.owner_uin, ctx->region) < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The placement group could not be deleted.");
    set_resource(ctx, json_string_value(json_array_get(ids, 0)));
    return 0;
}

static int describe_quota(struct api_ctx *ctx)
{
    int64_t have = group_count(ctx);
    if (have < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement groups could not be counted.");
    json_object_set_new(ctx->out, "GroupQuota", json_integer(GROUP_QUOTA));
    json_object_set_new(ctx->out, "CurrentNum", json_integer((json_int_t)have));
    json_object_set_new(ctx->out, "CvmInHostGroupQuota", json_integer((json_int_t)type_quota("HOST")));
    json_object_set_new(ctx->out, "CvmInSwGroupQuota", json_integer((json_int_t)type_quota("SW")));
    json_object_set_new(ctx->out, "CvmInSwitchGroupQuota", json_integer((json_int_t)type_quota("SW")));
    json_object_set_new(ctx->out, "CvmInRackGroupQuota", json_integer((json_int_t)type_quota("RACK")));
    return 0;
}

int placement_group_hosts(struct api_ctx *ctx, const char *group_id, int64_t count, char hosts[][40], int max)
{
    if (check_id(ctx, group_id))
        return -1;
    json_t *g = NULL;
    int rc = group_find(ctx, group_id, &g);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement group could not be read.");
    if (rc == 0)
        return api_fail(ctx, E_FAILED_OPERATION_DISASTER_RECOVER_GROUP_NOT_FOUND,
                        "The placement group `%s` does not exist.", group_id);
    json_int_t have = json_integer_value(json_object_get(g, "CurrentNum"));
    json_int_t quota = json_integer_value(json_object_get(g, "CvmQuotaTotal"));
    json_decref(g);
    if (have + count > quota)
        return api_fail(ctx, E_RESOURCE_INSUFFICIENT_DR_GROUP_CVM_QUOTA,
                        "The placement group `%s` holds %lld of its %lld instances; %lld more do not fit.", group_id,
                        (long long)have, (long long)quota, (long long)count);
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT DISTINCT host_id FROM instances WHERE placement_group_id = ?"
                                       " AND owner_uin = ? AND " INSTANCE_HOLDS_RESOURCES("state"),
                                       "ss", group_id, ctx->who.owner_uin);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The placement group's hosts could not be read.");
    int n = 0;
    while (n < max && (rc = store_step(q)) == 1)
        snprintf(hosts[n++], 40, "%s", store_text(q, 0));
    store_done(q);
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The placement group's hosts could not be read.") : n;
}

/* The request path's region check: a group of another region is not found there. */
static int group_region(struct api_ctx *ctx, const char *id, char region[64])
{
    struct store_stmt *q =
        store_query(ctx->store, "SELECT region FROM placement_groups WHERE group_id = ? AND owner_uin = ?", "ss", id,
                    ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    if (rc == 1)
        snprintf(region, 64, "%s", store_text(q, 0));
    store_done(q);
    return rc < 0 ? -1 : rc;
}

static const struct regional_kind group_kinds[] = {
    {"cvm", "ps", "placement group", E_RESOURCE_NOT_FOUND_INVALID_PLACEMENT_SET, group_region},
};

/* Names: 1-60 characters, up to 3 bytes each in UTF-8 (check_name counts the characters). */
static const struct param p_create[] = {P_STR("Name", P_REQUIRED, 1, NAME_CHARS * 3),
                                        P_ENUM("Type", P_REQUIRED, type_names), P_STR("ClientToken", 0, 1, 64), P_END};
static const struct param p_describe[] = {P_STRS("DisasterRecoverGroupIds", 0, 10, 32), P_STR("Name", 0, 1, 180),
                                          P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100), P_END};
static const struct param p_modify[] = {P_STR("DisasterRecoverGroupId", P_REQUIRED, 1, 32),
                                        P_STR("Name", P_REQUIRED, 1, NAME_CHARS * 3), P_END};
static const struct param p_delete[] = {P_STRS("DisasterRecoverGroupIds", P_REQUIRED, 10, 32), P_END};
static const struct param p_none[] = {P_END};

static const struct action group_actions[] = {
    {"cvm", CVM, "CreateDisasterRecoverGroup", create_group, p_create, A_MUTATES | A_REGIONAL, "ps/*"},
    {"cvm", CVM, "DescribeDisasterRecoverGroups", describe_groups, p_describe, A_REGIONAL,
     "ps/${DisasterRecoverGroupIds|*}"},
    {"cvm", CVM, "ModifyDisasterRecoverGroupAttribute", modify_group, p_modify, A_MUTATES | A_REGIONAL,
     "ps/${DisasterRecoverGroupId}"},
    {"cvm", CVM, "DeleteDisasterRecoverGroups", delete_groups, p_delete, A_MUTATES | A_REGIONAL,
     "ps/${DisasterRecoverGroupIds}"},
    {"cvm", CVM, "DescribeDisasterRecoverGroupQuota", describe_quota, p_none, A_REGIONAL, "ps/*"},
};

void placement_group_register(void)
{
    api_register(group_actions, sizeof group_actions / sizeof group_actions[0]);
    api_register_regional(group_kinds, sizeof group_kinds / sizeof group_kinds[0]);
}
