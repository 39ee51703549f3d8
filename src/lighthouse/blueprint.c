/*
 * blueprint: DescribeBlueprints, DescribeBlueprintInstances, DescribeScenes, DescribeAllScenes.
 * Blueprints are compute's public images seen through their manifests: the built-in tiny image
 * is a PURE_OS blueprint by itself; any other image registered under a built-in name (the images
 * recipes' `builtin`) is a blueprint of the type its DATA/images/NAME/manifest.json declares,
 * and is not one while that manifest is absent. Scenes group blueprints by use: a built-in set,
 * plus any other `scene` a manifest names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "lighthouse/lighthouse_int.h"

/* ---- scenes ---- */
struct lh_scene {
    const char *key, *title, *description;
};
static const struct lh_scene builtin_scenes[] = {
    {"website", "网站搭建 Websites", "Blogs, sites and shops: WordPress, LAMP/LNMP stacks"},
    {"database", "数据库 Databases", "Database servers: PostgreSQL, MariaDB"},
    {"devtools", "开发工具 Developer tools", "Source hosting and collaboration: Git servers"},
    {"os", "基础系统 Operating systems", "Plain systems to build on"},
};
#define NSCENES (sizeof builtin_scenes / sizeof builtin_scenes[0])

/* lhsc- and 8 characters derived from the scene's key: the same id in every process and release */
static void scene_id(const char *key, char out[24])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t h[32];
    sha256(key, strlen(key), h);
    snprintf(out, 24, "lhsc-");
    for (int i = 0; i < 8; i++)
        out[5 + i] = alphabet[h[i] % 36];
    out[13] = 0;
}

/* ---- blueprints ---- */
struct collect {
    struct api_ctx *ctx;
    struct lh_blueprint *set;
    int n, cap;
};

static void copy_str(char *dst, size_t len, json_t *m, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(m, key));
    snprintf(dst, len, "%s", v ? v : dflt);
}

static int collect_image(void *arg, const char *image_id, const char *os_name, const char *platform, int64_t size_gib,
                         const char *state, int64_t created, const char *builtin)
{
    struct collect *c = arg;
    json_t *m = NULL;
    if (strcmp(builtin, "tiny") != 0) {
        char path[1200];
        snprintf(path, sizeof path, "%s/images/%s/manifest.json", c->ctx->config->data_dir, builtin);
        m = json_load_file(path, 0, NULL);
        if (!m)
            return 0; /* not (yet) a blueprint: its recipe has not written a manifest */
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        struct lh_blueprint *p = realloc(c->set, (size_t)c->cap * sizeof *p);
        if (!p) {
            json_decref(m);
            return -1;
        }
        c->set = p;
    }
    struct lh_blueprint *b = &c->set[c->n];
    memset(b, 0, sizeof *b);
    if (lh_store_blueprint_id(c->ctx->store, image_id, b->id) != 0) {
        json_decref(m);
        return -1;
    }
    snprintf(b->image_id, sizeof b->image_id, "%s", image_id);
    snprintf(b->name, sizeof b->name, "%s", builtin);
    snprintf(b->state, sizeof b->state, "%s", state);
    b->created = created;
    b->required_disk_gib = size_gib;
    b->required_memory_gib = 1;
    snprintf(b->platform_type, sizeof b->platform_type, "LINUX_UNIX");
    if (!m) { /* the tiny image describes itself in compute's catalogue */
        snprintf(b->type, sizeof b->type, LH_TYPE_PURE);
        snprintf(b->title, sizeof b->title, "Yun Tiny Linux");
        snprintf(b->version, sizeof b->version, "1.0");
        snprintf(b->description, sizeof b->description, "%s: SSH, metadata, user data", os_name);
        snprintf(b->os_name, sizeof b->os_name, "%s", os_name);
        snprintf(b->platform, sizeof b->platform, "%s", platform);
        snprintf(b->scene, sizeof b->scene, "os");
    } else {
        const char *type = json_string_value(json_object_get(m, "blueprint_type"));
        snprintf(b->type, sizeof b->type, "%s", type && !strcmp(type, LH_TYPE_APP) ? LH_TYPE_APP : LH_TYPE_PURE);
        copy_str(b->title, sizeof b->title, m, "display_name", builtin);
        copy_str(b->version, sizeof b->version, m, "version", "");
        copy_str(b->description, sizeof b->description, m, "description", "");
        copy_str(b->os_name, sizeof b->os_name, m, "os_name", os_name);
        copy_str(b->platform, sizeof b->platform, m, "platform", platform);
        copy_str(b->scene, sizeof b->scene, m, "scene", !strcmp(b->type, LH_TYPE_APP) ? "" : "os");
        copy_str(b->ready_path, sizeof b->ready_path, m, "ready_path", "");
        json_int_t mib = json_integer_value(json_object_get(m, "required_memory_mib"));
        json_int_t gib = json_integer_value(json_object_get(m, "required_disk_gib"));
        b->required_memory_gib = mib > 0 ? (mib + 1023) / 1024 : 1;
        if (gib > b->required_disk_gib)
            b->required_disk_gib = gib;
        b->app_port = json_integer_value(json_object_get(m, "app_port"));
        json_decref(m);
    }
    c->n++;
    return 0;
}

int lh_blueprints(struct api_ctx *ctx, struct lh_blueprint **out, int *n)
{
    struct collect c = {ctx, NULL, 0, 0};
    if (lh_store_builtin_images(ctx->store, collect_image, &c) != 0) {
        free(c.set);
        *out = NULL;
        *n = 0;
        return api_fail(ctx, "FailedOperation.DescribeBlueprintsFailed", "The blueprints could not be read.");
    }
    *out = c.set;
    *n = c.n;
    return 0;
}

int lh_blueprint_find(struct api_ctx *ctx, const char *id, struct lh_blueprint *out)
{
    struct lh_blueprint *set;
    int n;
    if (lh_blueprints(ctx, &set, &n) != 0)
        return -1;
    int found = 0;
    for (int i = 0; i < n && !found; i++)
        if (!strcmp(set[i].id, id)) {
            *out = set[i];
            found = 1;
        }
    free(set);
    return found;
}

json_t *lh_blueprint_json(const struct lh_blueprint *b)
{
    char created[32], scene[24];
    time_iso8601(b->created, created);
    json_t *scenes = json_array();
    if (b->scene[0]) {
        scene_id(b->scene, scene);
        json_array_append_new(scenes, json_string(scene));
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:b,s:I,s:s,s:s,s:s,s:o,s:n,s:b,s:[]}",
                     "BlueprintId", b->id, "DisplayTitle", b->title, "DisplayVersion", b->version, "Description",
                     b->description, "OsName", b->os_name, "Platform", b->platform, "PlatformType", b->platform_type,
                     "BlueprintType", b->type, "ImageUrl", "", "RequiredSystemDiskSize",
                     (json_int_t)b->required_disk_gib, "BlueprintState", b->state, "CreatedTime", created,
                     "BlueprintName", b->name, "SupportAutomationTools", 0, "RequiredMemorySize",
                     (json_int_t)b->required_memory_gib, "ImageId", b->image_id, "CommunityUrl", "", "GuideUrl", "",
                     "SceneIdSet", scenes, "DockerVersion", "BlueprintShared", 0, "Tags");
}

static int describe_blueprints(struct api_ctx *ctx)
{
    static const char *const allowed[] = {
        "blueprint-id", "blueprint-type", "platform-type", "blueprint-name", "blueprint-state", "scene-id", NULL};
    if (filters_exclusive(ctx, "BlueprintIds") || filters_validate(ctx, allowed))
        return -1;
    json_t *ids = json_object_get(ctx->params, "BlueprintIds");
    struct lh_blueprint *set;
    int n;
    if (lh_blueprints(ctx, &set, &n) != 0)
        return -1;
    struct page p;
    page_start(&p, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    for (int i = 0; i < n; i++) {
        const struct lh_blueprint *b = &set[i];
        char scene[24] = "";
        if (b->scene[0])
            scene_id(b->scene, scene);
        if (json_array_size(ids) && !values_contain(ids, b->id))
            continue;
        if (!filter_match(ctx, "blueprint-id", b->id) || !filter_match(ctx, "blueprint-type", b->type) ||
            !filter_match(ctx, "platform-type", b->platform_type) || !filter_match(ctx, "blueprint-name", b->name) ||
            !filter_match(ctx, "blueprint-state", b->state) || !filter_match(ctx, "scene-id", scene))
            continue;
        if (page_take(&p))
            json_array_append_new(p.set, lh_blueprint_json(b));
    }
    free(set);
    page_finish(ctx, &p, "BlueprintSet");
    return 0;
}

static int describe_blueprint_instances(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "InstanceIds"), *set = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        struct lh_instance in;
        struct lh_blueprint b;
        int rc = lh_instance_of(ctx, json_string_value(v), &in);
        if (rc == 1)
            rc = lh_blueprint_find(ctx, in.blueprint_id, &b);
        if (rc < 0) {
            json_decref(set);
            return -1;
        }
        if (rc == 0) {
            if (!ctx->code[0]) /* the instance is there, its blueprint no longer is */
                continue;
            json_decref(set);
            return -1;
        }
        json_array_append_new(
            set, json_pack("{s:o,s:[],s:s}", "Blueprint", lh_blueprint_json(&b), "SoftwareSet", "InstanceId", in.id));
    }
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "BlueprintInstanceSet", set);
    return 0;
}

/* Every blueprint, and whether the instance's bundle may take it. */
static int describe_reset_blueprints(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"blueprint-id",   "blueprint-type",  "platform-type",
                                          "blueprint-name", "blueprint-state", NULL};
    if (filters_validate(ctx, allowed))
        return -1;
    struct lh_instance in;
    if (lh_instance_of(ctx, api_str(ctx, "InstanceId", ""), &in) != 1)
        return -1;
    const struct lh_bundle *bundle = lh_bundle_find(in.bundle_id);
    struct lh_blueprint *set;
    int n;
    if (!bundle || lh_blueprints(ctx, &set, &n) != 0)
        return bundle ? -1 : api_fail(ctx, E_INTERNAL_ERROR, "The bundle of `%s` is unknown.", in.id);
    struct page p;
    page_start(&p, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    for (int i = 0; i < n; i++) {
        const struct lh_blueprint *b = &set[i];
        if (!filter_match(ctx, "blueprint-id", b->id) || !filter_match(ctx, "blueprint-type", b->type) ||
            !filter_match(ctx, "platform-type", b->platform_type) || !filter_match(ctx, "blueprint-name", b->name) ||
            !filter_match(ctx, "blueprint-state", b->state) || !page_take(&p))
            continue;
        int fits = bundle->memory_gib >= b->required_memory_gib && bundle->disk_gib >= b->required_disk_gib;
        json_array_append_new(p.set, json_pack("{s:o,s:b,s:s}", "BlueprintInfo", lh_blueprint_json(b), "IsResettable",
                                               fits, "NonResettableMessage",
                                               fits ? "" : "The bundle is too small for the blueprint."));
    }
    free(set);
    page_finish(ctx, &p, "ResetInstanceBlueprintSet");
    return 0;
}

/* Scenes: the built-in set, then what manifests name beyond it. */
static int scenes(struct api_ctx *ctx, const char *set_name)
{
    json_t *ids = json_object_get(ctx->params, "SceneIds");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v)
        if (strncmp(json_string_value(v), "lhsc-", 5) != 0)
            return api_fail(ctx, E_LH_SCENE_ID_MALFORMED, "The scene id `%s` is malformed.", json_string_value(v));
    struct lh_blueprint *set;
    int n;
    if (lh_blueprints(ctx, &set, &n) != 0)
        return -1;
    json_t *all = json_array(), *seen = json_object();
    for (size_t k = 0; k < NSCENES; k++) {
        char id[24];
        scene_id(builtin_scenes[k].key, id);
        json_object_set_new(seen, builtin_scenes[k].key, json_true());
        json_array_append_new(all, json_pack("{s:s,s:s,s:s}", "SceneId", id, "DisplayName", builtin_scenes[k].title,
                                             "Description", builtin_scenes[k].description));
    }
    for (int k = 0; k < n; k++)
        if (set[k].scene[0] && !json_object_get(seen, set[k].scene)) {
            char id[24];
            scene_id(set[k].scene, id);
            json_object_set_new(seen, set[k].scene, json_true());
            json_array_append_new(
                all, json_pack("{s:s,s:s,s:s}", "SceneId", id, "DisplayName", set[k].scene, "Description", ""));
        }
    free(set);
    json_decref(seen);
    json_array_foreach (ids, i, v) {
        int known = 0;
        size_t j;
        json_t *s;
        json_array_foreach (all, j, s)
            known |= !strcmp(json_string_value(json_object_get(s, "SceneId")), json_string_value(v));
        if (!known) {
            json_decref(all);
            return api_fail(ctx, E_LH_SCENE_NOT_FOUND, "The scene `%s` does not exist.", json_string_value(v));
        }
    }
    struct page p;
    page_start(&p, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    json_array_foreach (all, i, v) {
        if (json_array_size(ids) && !values_contain(ids, json_string_value(json_object_get(v, "SceneId"))))
            continue;
        if (page_take(&p))
            json_array_append(p.set, v);
    }
    json_decref(all);
    page_finish(ctx, &p, set_name);
    return 0;
}

static int describe_scenes(struct api_ctx *ctx) { return scenes(ctx, "SceneSet"); }
static int describe_all_scenes(struct api_ctx *ctx) { return scenes(ctx, "SceneInfoSet"); }

static const struct param p_blueprints[] = {P_STRS("BlueprintIds", 0, 100, 64), P_INT("Offset", 0, 0, INT32_MAX),
                                            P_INT("Limit", 0, 1, 100), P_FILTERS_WIDE, P_END};
static const struct param p_ids[] = {P_STRS("InstanceIds", P_REQUIRED, 100, 64), P_END};
static const struct param p_reset_blueprints[] = {P_STR("InstanceId", P_REQUIRED, 1, 64),
                                                  P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100),
                                                  P_FILTERS, P_END};
static const struct param p_scenes[] = {P_STRS("SceneIds", 0, 100, 64), P_INT("Offset", 0, 0, INT32_MAX),
                                        P_INT("Limit", 0, 1, 100), P_END};

static const struct action blueprint_actions[] = {
    {"lighthouse", LIGHTHOUSE, "DescribeBlueprints", describe_blueprints, p_blueprints, A_REGIONAL, NULL},
    {"lighthouse", LIGHTHOUSE, "DescribeBlueprintInstances", describe_blueprint_instances, p_ids, A_REGIONAL,
     "instance/${InstanceIds}"},
    {"lighthouse", LIGHTHOUSE, "DescribeResetInstanceBlueprints", describe_reset_blueprints, p_reset_blueprints,
     A_REGIONAL, "instance/${InstanceId}"},
    {"lighthouse", LIGHTHOUSE, "DescribeScenes", describe_scenes, p_scenes, A_REGIONAL, NULL},
    {"lighthouse", LIGHTHOUSE, "DescribeAllScenes", describe_all_scenes, p_scenes, 0, NULL},
};

void lh_blueprint_register(void)
{
    api_register(blueprint_actions, sizeof blueprint_actions / sizeof blueprint_actions[0]);
}
