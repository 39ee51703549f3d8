/* filters: see filters.h. */
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"

const struct param filter_fields[] = {P_STR("Name", P_REQUIRED, 1, 64), P_STRS("Values", P_REQUIRED, 5, 256), P_END};
const struct param filter_fields_wide[] = {P_STR("Name", P_REQUIRED, 1, 64), P_STRS("Values", P_REQUIRED, 100, 256),
                                           P_END};

/* The products that spell the Filters errors their own way. */
static const struct {
    const char *service, *unknown, *coexist;
} filter_codes[] = {
    {"", E_INVALID_FILTER, E_INVALID_PARAMETER}, /* cvm, cbs */
    {"vpc", E_INVALID_PARAMETER_FILTER_INVALID_KEY, E_INVALID_PARAMETER_COEXIST},
    {"lighthouse", "InvalidParameter.InvalidFilterNotSupportedName", "InvalidParameter.ParameterConflict"},
};

static int codes_of(struct api_ctx *ctx)
{
    for (size_t k = 1; k < sizeof filter_codes / sizeof filter_codes[0]; k++)
        if (!strcmp(ctx->action->service, filter_codes[k].service))
            return (int)k;
    return 0;
}

int filters_exclusive(struct api_ctx *ctx, const char *ids_name)
{
    if (json_array_size(json_object_get(ctx->params, ids_name)) > 0 &&
        json_array_size(json_object_get(ctx->params, "Filters")) > 0)
        return api_fail(ctx, filter_codes[codes_of(ctx)].coexist,
                        "The parameters `%s` and `Filters` cannot be specified at the same time.", ids_name);
    return 0;
}

int filters_validate(struct api_ctx *ctx, const char *const *allowed)
{
    const char *code = filter_codes[codes_of(ctx)].unknown;
    json_t *filters = json_object_get(ctx->params, "Filters");
    size_t i;
    json_t *f;
    json_array_foreach (filters, i, f) {
        const char *name = json_string_value(json_object_get(f, "Name"));
        int ok = 0;
        for (int j = 0; allowed[j] && !ok; j++) {
            size_t n = strlen(allowed[j]);
            ok =
                allowed[j][n - 1] == ':' ? strncmp(name, allowed[j], n) == 0 && name[n] : strcmp(name, allowed[j]) == 0;
        }
        if (!ok)
            return api_fail(ctx, code, "The filter `%s` is not supported by %s.", name, ctx->action->name);
    }
    return 0;
}

json_t *filter_get(struct api_ctx *ctx, const char *name)
{
    json_t *filters = json_object_get(ctx->params, "Filters");
    size_t i;
    json_t *f;
    json_array_foreach (filters, i, f)
        if (strcmp(json_string_value(json_object_get(f, "Name")), name) == 0)
            return json_object_get(f, "Values");
    return NULL;
}

int filter_match(struct api_ctx *ctx, const char *name, const char *value)
{
    json_t *filters = json_object_get(ctx->params, "Filters");
    size_t i;
    json_t *f;
    json_array_foreach (filters, i, f) {
        if (strcmp(json_string_value(json_object_get(f, "Name")), name) != 0)
            continue;
        json_t *vals = json_object_get(f, "Values");
        size_t j;
        json_t *v;
        int any = 0;
        json_array_foreach (vals, j, v)
            if (value && strcmp(json_string_value(v), value) == 0)
                any = 1;
        if (!any)
            return 0;
    }
    return 1;
}

const struct param tag_fields[] = {P_STR("Key", P_REQUIRED, 1, 127), P_STR("Value", P_REQUIRED, 0, 255), P_END};
const struct param tag_fields_optional_value[] = {P_STR("Key", P_REQUIRED, 1, 127), P_STR("Value", 0, 0, 255), P_END};
const struct param tag_spec_fields[] = {P_STR("ResourceType", P_REQUIRED, 1, 32),
                                        P_OBJS("Tags", P_REQUIRED, 50, tag_fields), P_END};

int values_contain(json_t *values, const char *v)
{
    size_t i;
    json_t *e;
    json_array_foreach (values, i, e)
        if (v && json_is_string(e) && strcmp(json_string_value(e), v) == 0)
            return 1;
    return 0;
}

int filter_tags_match(struct api_ctx *ctx, const char *tags_json)
{
    json_t *filters = json_object_get(ctx->params, "Filters");
    if (!filters)
        return 1;
    json_t *tags = json_loads(tags_json && tags_json[0] ? tags_json : "[]", 0, NULL);
    size_t i;
    json_t *f;
    int ok = 1;
    json_array_foreach (filters, i, f) {
        const char *name = json_string_value(json_object_get(f, "Name"));
        json_t *vals = json_object_get(f, "Values");
        int want_key = !strcmp(name, "tag-key"), want_val = !strcmp(name, "tag-value"), kv = !strncmp(name, "tag:", 4);
        if (!want_key && !want_val && !kv)
            continue;
        int any = 0;
        size_t k;
        json_t *t;
        json_array_foreach (tags, k, t) {
            const char *key = json_string_value(json_object_get(t, "Key")),
                       *val = json_string_value(json_object_get(t, "Value"));
            if (!key || !val)
                continue;
            if ((want_key && values_contain(vals, key)) || (want_val && values_contain(vals, val)) ||
                (kv && !strcmp(key, name + 4) && values_contain(vals, val)))
                any = 1;
        }
        ok &= any;
    }
    json_decref(tags);
    return ok;
}

void page_start(struct page *p, int64_t offset, int64_t limit)
{
    p->offset = offset;
    p->limit = limit;
    p->total = 0;
    p->set = json_array();
}

int page_take(struct page *p)
{
    int in = p->total >= p->offset && (int64_t)json_array_size(p->set) < p->limit;
    p->total++;
    return in;
}

void page_finish(struct api_ctx *ctx, struct page *p, const char *set_name)
{
    json_object_set_new(ctx->out, "TotalCount", json_integer(p->total));
    json_object_set_new(ctx->out, set_name, p->set);
    p->set = NULL;
}

void page_drop(struct page *p)
{
    json_decref(p->set);
    p->set = NULL;
}
