/*
 * resources: every resource a request names, expanded from its action row for CAM.
 *
 * A row declares its primary resource (`resource`, or `resource_fn` when a lookup is needed) and
 * the secondary resources the action also touches (`touches`). Each template is
 * "[service:]type/${Path}", where Path is a dotted parameter path; arrays anywhere on the path fan
 * out into one resource per element, so a request naming two instances is authorised for both.
 * `${A|B}` takes the first alternative present; `@caller` is the caller's uin and `*` a literal
 * wildcard. A template whose parameter is absent names nothing (a secondary resource the request
 * does not touch). A primary template that names nothing gets a wildcard id, which only a
 * wildcard statement matches; rows give optional primary parameters an alternative, so this is
 * reached only when the handler will refuse the request anyway.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define MAX_RESOURCES 512

static void add(json_t *out, const char *s)
{
    if (json_array_size(out) < MAX_RESOURCES)
        json_array_append_new(out, json_string(s));
}

/* Collects the leaves at `path` (dotted) under v into vals; arrays fan out. */
static void collect(json_t *v, const char *path, json_t *vals)
{
    if (!v)
        return;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e)
            collect(e, path, vals);
        return;
    }
    if (*path) {
        const char *dot = strchr(path, '.');
        char name[64];
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof name || !json_is_object(v))
            return;
        memcpy(name, path, n);
        name[n] = 0;
        collect(json_object_get(v, name), dot ? dot + 1 : "", vals);
        return;
    }
    char buf[128];
    if (json_is_string(v))
        snprintf(buf, sizeof buf, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    else
        return;
    json_array_append_new(vals, json_string(buf));
}

/* The values of one ${...} expression: the first alternative that yields any. */
static json_t *values_of(struct api_ctx *ctx, const char *expr, size_t len)
{
    json_t *vals = json_array();
    while (len > 0 && json_array_size(vals) == 0) {
        const char *bar = memchr(expr, '|', len);
        size_t n = bar ? (size_t)(bar - expr) : len;
        char alt[128];
        snprintf(alt, sizeof alt, "%.*s", (int)(n < sizeof alt ? n : sizeof alt - 1), expr);
        if (!strcmp(alt, "@caller"))
            json_array_append_new(vals, json_string(ctx->who.user_uin));
        else if (!strcmp(alt, "*"))
            json_array_append_new(vals, json_string("*"));
        else
            collect(ctx->params, alt, vals);
        expr += n + (bar ? 1 : 0);
        len -= n + (bar ? 1 : 0);
    }
    return vals;
}

/* Expands the tail template from `p` onto `prefix`, appending every combination to out. */
static void expand(struct api_ctx *ctx, const char *prefix, const char *p, json_t *out)
{
    const char *open = strstr(p, "${");
    const char *close = open ? strchr(open, '}') : NULL;
    if (!open || !close) {
        char full[512];
        snprintf(full, sizeof full, "%s%s", prefix, p);
        add(out, full);
        return;
    }
    json_t *vals = values_of(ctx, open + 2, (size_t)(close - open - 2));
    size_t i;
    json_t *v;
    json_array_foreach (vals, i, v) {
        char next[512];
        snprintf(next, sizeof next, "%s%.*s%s", prefix, (int)(open - p), p, json_string_value(v));
        expand(ctx, next, close + 1, out);
    }
    json_decref(vals);
}

/* One template, as a qcs name: "qcs::service:region:uin/OWNER:" + expanded tail. */
static void expand_template(struct api_ctx *ctx, const char *tmpl, json_t *out)
{
    const char *service = ctx->action->service;
    char svc[32];
    const char *colon = strchr(tmpl, ':');
    const char *slash = strchr(tmpl, '/');
    if (colon && (!slash || colon < slash) && (size_t)(colon - tmpl) < sizeof svc) {
        snprintf(svc, sizeof svc, "%.*s", (int)(colon - tmpl), tmpl);
        service = svc;
        tmpl = colon + 1;
    }
    char prefix[192];
    snprintf(prefix, sizeof prefix, "qcs::%s:%s:uin/%s:", service, (ctx->action->flags & A_REGIONAL) ? ctx->region : "",
             ctx->who.owner_uin);
    expand(ctx, prefix, tmpl, out);
}

/* The template with each ${...} replaced by "*": what a primary template names when its
 * parameters are absent. */
static void wildcard_of(const char *tmpl, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 1 < len;) {
        const char *close = (p[0] == '$' && p[1] == '{') ? strchr(p, '}') : NULL;
        if (close) {
            out[o++] = '*';
            p = close + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

json_t *api_resources(struct api_ctx *ctx)
{
    const struct action *a = ctx->action;
    json_t *out = json_array();
    if (a->resource_fn) {
        char tail[192], full[256];
        a->resource_fn(ctx, tail, sizeof tail);
        if (!strncmp(tail, "qcs:", 4)) /* a whole name: another account's resource (the role AssumeRole names) */
            snprintf(full, sizeof full, "%s", tail);
        else
            snprintf(full, sizeof full, "qcs::%s:%s:uin/%s:%s", a->service, (a->flags & A_REGIONAL) ? ctx->region : "",
                     ctx->who.owner_uin, tail);
        add(out, full);
    } else if (!a->resource) {
        add(out, "*");
    } else {
        expand_template(ctx, a->resource, out);
        if (json_array_size(out) == 0) {
            char wild[192];
            wildcard_of(a->resource, wild, sizeof wild);
            expand_template(ctx, wild, out);
        }
    }
    for (int i = 0; a->touches && a->touches[i]; i++)
        expand_template(ctx, a->touches[i], out);
    return out;
}

void api_resources_summary(json_t *resources, char *out, size_t len)
{
    size_t o = 0;
    out[0] = 0;
    size_t i;
    json_t *r;
    json_array_foreach (resources, i, r) {
        int n = snprintf(out + o, len - o, "%s%s", i ? "," : "", json_string_value(r));
        if (n < 0 || (size_t)n >= len - o) {
            if (len > 4)
                snprintf(out + len - 4, 4, "...");
            return;
        }
        o += (size_t)n;
    }
}
