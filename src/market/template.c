/*
 * template: the solution template, pure functions on JSON (unit tested). The good parts of Heat
 * HOT and OneFlow in one small document:
 *
 *   {"parameters": {NAME: {"type": "string"|"number", "default", "allowed": [..], "min", "max",
 *                          "pattern", "description"}},
 *    "resources":  {NAME: {"type": vpc|subnet|security_group|instance|disk|eip,
 *                          "depends_on"/"parents": [NAME..], "properties": {...}}},
 *    "outputs":    {NAME: VALUE}}
 *
 * A VALUE anywhere in properties or outputs may be {"param": NAME} or {"ref": "RESOURCE.ATTR"}; a
 * ref is an ordering edge like depends_on. An instance resource is a role: "cardinality" members
 * (an integer or a param), each one a step. Checks answer a message naming the fault; the caller
 * turns it into InvalidParameter (the template) or InvalidParameterValue (a parameter).
 */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "market/market_int.h"

static const struct tpl_type {
    const char *name;
    const char *const *attrs;
    const char *const *required;
    const char *const *props;
} types[] = {
    {"vpc", TOUCHES("id", "cidr"), TOUCHES("cidr"), TOUCHES("cidr", "name")},
    {"subnet", TOUCHES("id", "cidr"), TOUCHES("vpc", "cidr"), TOUCHES("vpc", "cidr", "name", "zone")},
    {"security_group", TOUCHES("id"), (const char *const[]){NULL}, TOUCHES("name", "ingress", "egress")},
    {"instance", TOUCHES("id", "private_ip", "private_ips"), (const char *const[]){NULL},
     TOUCHES("subnet", "instance_type", "image", "security_groups", "cardinality", "key_ids", "password", "user_data",
             "name", "ready")},
    {"disk", TOUCHES("id"), TOUCHES("size"), TOUCHES("size", "disk_type", "instance", "name")},
    {"eip", TOUCHES("id", "public_ip"), (const char *const[]){NULL}, TOUCHES("instance")},
};

static const struct tpl_type *type_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i].name, name))
            return &types[i];
    return NULL;
}

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

static int __attribute__((format(printf, 3, 4))) fail_msg(char *msg, size_t mlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, mlen, fmt, ap);
    va_end(ap);
    return -1;
}
#define FAIL(...) fail_msg(msg, mlen, __VA_ARGS__)

/* The parameter's constraints on v (after defaults): 0 or -1 with msg. */
static int param_fits(const char *name, json_t *def, json_t *v, char *msg, size_t mlen)
{
    const char *type = json_string_value(json_object_get(def, "type"));
    if (!strcmp(type, "number")) {
        if (!json_is_integer(v))
            return FAIL("Parameter `%s` must be a number (an integer).", name);
        json_int_t n = json_integer_value(v);
        json_t *mn = json_object_get(def, "min"), *mx = json_object_get(def, "max");
        if (mn && n < json_integer_value(mn))
            return FAIL("Parameter `%s` is %lld, below its minimum %lld.", name, (long long)n,
                        (long long)json_integer_value(mn));
        if (mx && n > json_integer_value(mx))
            return FAIL("Parameter `%s` is %lld, above its maximum %lld.", name, (long long)n,
                        (long long)json_integer_value(mx));
    } else {
        if (!json_is_string(v))
            return FAIL("Parameter `%s` must be a string.", name);
        const char *s = json_string_value(v);
        json_t *mn = json_object_get(def, "min"), *mx = json_object_get(def, "max");
        if (mn && (json_int_t)strlen(s) < json_integer_value(mn))
            return FAIL("Parameter `%s` is shorter than %lld characters.", name, (long long)json_integer_value(mn));
        if (mx && (json_int_t)strlen(s) > json_integer_value(mx))
            return FAIL("Parameter `%s` is longer than %lld characters.", name, (long long)json_integer_value(mx));
        const char *pat = json_string_value(json_object_get(def, "pattern"));
        if (pat) {
            regex_t re;
            if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
                return FAIL("Parameter `%s` has a pattern that is not a valid extended regular expression.", name);
            int m = regexec(&re, s, 0, NULL, 0);
            regfree(&re);
            if (m != 0)
                return FAIL("Parameter `%s` value `%.100s` does not match its pattern `%.100s`.", name, s, pat);
        }
    }
    json_t *allowed = json_object_get(def, "allowed");
    if (allowed) {
        size_t i;
        json_t *a;
        int ok = 0;
        json_array_foreach (allowed, i, a)
            ok |= json_equal(a, v);
        if (!ok)
            return FAIL("Parameter `%s` is not one of its allowed values.", name);
    }
    return 0;
}

/* Every {"ref"} and {"param"} under v: checks names; adds ref targets to deps (array of names). */
static int scan_values(json_t *tpl, const char *owner, json_t *v, json_t *deps, char *msg, size_t mlen)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e)
            if (scan_values(tpl, owner, e, deps, msg, mlen) != 0)
                return -1;
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    json_t *ref = json_object_get(v, "ref"), *param = json_object_get(v, "param");
    if (param) {
        if (json_object_size(v) != 1 || !json_is_string(param))
            return FAIL("In `%s`: {\"param\": NAME} takes one parameter name.", owner);
        if (!json_object_get(json_object_get(tpl, "parameters"), json_string_value(param)))
            return FAIL("In `%s`: unknown parameter `%s`.", owner, json_string_value(param));
        return 0;
    }
    if (ref) {
        const char *r = json_string_value(ref);
        const char *dot = r ? strchr(r, '.') : NULL;
        if (json_object_size(v) != 1 || !dot)
            return FAIL("In `%s`: {\"ref\": \"RESOURCE.ATTRIBUTE\"} names a resource and one of its attributes.",
                        owner);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(dot - r), r);
        json_t *target = json_object_get(json_object_get(tpl, "resources"), name);
        if (!target)
            return FAIL("In `%s`: unknown reference `%s` (no resource `%s`).", owner, r, name);
        const struct tpl_type *t = type_find(json_string_value(json_object_get(target, "type")));
        if (t && !in_list(t->attrs, dot + 1))
            return FAIL("In `%s`: unknown reference `%s` (a %s has no attribute `%s`).", owner, r, t->name, dot + 1);
        json_array_append_new(deps, json_string(name));
        return 0;
    }
    const char *k;
    json_t *e;
    json_object_foreach (v, k, e)
        if (scan_values(tpl, owner, e, deps, msg, mlen) != 0)
            return -1;
    return 0;
}

/* The names a resource waits for: its refs, depends_on and parents. NULL with msg on a bad name. */
static json_t *resource_deps(json_t *tpl, const char *name, json_t *res, char *msg, size_t mlen)
{
    json_t *deps = json_array();
    if (scan_values(tpl, name, json_object_get(res, "properties"), deps, msg, mlen) != 0) {
        json_decref(deps);
        return NULL;
    }
    static const char *const keys[] = {"depends_on", "parents"};
    for (int k = 0; k < 2; k++) {
        json_t *list = json_object_get(res, keys[k]);
        if (!list)
            continue;
        size_t i;
        json_t *e;
        if (!json_is_array(list)) {
            json_decref(deps);
            return FAIL("Resource `%s`: `%s` is a list of resource names.", name, keys[k]), NULL;
        }
        json_array_foreach (list, i, e) {
            if (!json_is_string(e) || !json_object_get(json_object_get(tpl, "resources"), json_string_value(e))) {
                json_decref(deps);
                return FAIL("Resource `%s`: `%s` names unknown resource `%s`.", name, keys[k],
                            json_is_string(e) ? json_string_value(e) : "?"),
                       NULL;
            }
            json_array_append(deps, e);
        }
    }
    return deps;
}

int tpl_check(json_t *tpl, char *msg, size_t mlen)
{
    if (!json_is_object(tpl))
        return FAIL("The template must be a JSON object.");
    const char *k;
    json_t *v;
    json_object_foreach (tpl, k, v)
        if (strcmp(k, "parameters") && strcmp(k, "resources") && strcmp(k, "outputs") && strcmp(k, "description"))
            return FAIL("The template has an unknown section `%s`.", k);
    json_t *params = json_object_get(tpl, "parameters"), *res = json_object_get(tpl, "resources");
    if (params && !json_is_object(params))
        return FAIL("The template's `parameters` must be an object.");
    if (!json_is_object(res) || json_object_size(res) == 0)
        return FAIL("The template needs at least one resource.");
    if (json_object_size(res) > TPL_MAX_RESOURCES)
        return FAIL("The template has more than %d resources.", TPL_MAX_RESOURCES);
    json_object_foreach (params, k, v) {
        const char *type = json_string_value(json_object_get(v, "type"));
        if (!type || (strcmp(type, "string") && strcmp(type, "number")))
            return FAIL("Parameter `%s` has an unknown type (string or number).", k);
        json_t *dflt = json_object_get(v, "default");
        if (dflt && param_fits(k, v, dflt, msg, mlen) != 0)
            return FAIL("Parameter `%s`: its default breaks its own constraints.", k);
        if (json_object_get(v, "pattern")) {
            regex_t re;
            if (regcomp(&re, json_string_value(json_object_get(v, "pattern")) ?: "(", REG_EXTENDED | REG_NOSUB))
                return FAIL("Parameter `%s` has a pattern that is not a valid extended regular expression.", k);
            regfree(&re);
        }
    }
    json_object_foreach (res, k, v) {
        const struct tpl_type *t = type_find(json_string_value(json_object_get(v, "type")));
        if (!t)
            return FAIL("Resource `%s` has an unknown type `%s` (vpc, subnet, security_group, instance, disk, eip).", k,
                        json_string_value(json_object_get(v, "type")) ?: "");
        json_t *props = json_object_get(v, "properties");
        if (props && !json_is_object(props))
            return FAIL("Resource `%s`: `properties` must be an object.", k);
        const char *pk;
        json_t *pv;
        json_object_foreach (props, pk, pv)
            if (!in_list(t->props, pk))
                return FAIL("Resource `%s`: a %s has no property `%s`.", k, t->name, pk);
        for (const char *const *r = t->required; *r; r++)
            if (!json_object_get(props, *r))
                return FAIL("Resource `%s`: a %s needs property `%s`.", k, t->name, *r);
        json_t *card = json_object_get(props, "cardinality");
        if (card && !json_is_integer(card) && !json_object_get(card, "param"))
            return FAIL("Resource `%s`: `cardinality` is an integer or {\"param\": NAME}.", k);
        json_t *deps = resource_deps(tpl, k, v, msg, mlen);
        if (!deps)
            return -1;
        json_decref(deps);
    }
    json_t *outputs = json_object_get(tpl, "outputs");
    json_t *sink = json_array();
    int bad = outputs && scan_values(tpl, "outputs", outputs, sink, msg, mlen) != 0;
    json_decref(sink);
    if (bad)
        return -1;
    json_t *order = tpl_order(tpl, msg, mlen);
    if (!order)
        return -1;
    json_decref(order);
    return 0;
}

json_t *tpl_order(json_t *tpl, char *msg, size_t mlen)
{
    json_t *res = json_object_get(tpl, "resources");
    size_t n = json_object_size(res);
    const char *names[TPL_MAX_RESOURCES];
    json_t *deps[TPL_MAX_RESOURCES];
    int state[TPL_MAX_RESOURCES]; /* 0 new, 1 being visited, 2 placed */
    size_t i = 0;
    const char *k;
    json_t *v;
    if (n > TPL_MAX_RESOURCES)
        return FAIL("The template has more than %d resources.", TPL_MAX_RESOURCES), NULL;
    json_object_foreach (res, k, v) {
        names[i] = k;
        state[i] = 0;
        deps[i] = resource_deps(tpl, k, v, msg, mlen);
        if (!deps[i]) {
            while (i--)
                json_decref(deps[i]);
            return NULL;
        }
        i++;
    }
    json_t *order = json_array();
    int failed = 0;
    /* iterative DFS: a resource is placed after everything it waits for; a grey node seen again is a cycle */
    for (size_t root = 0; root < n && !failed; root++) {
        size_t stack[TPL_MAX_RESOURCES + 1], pos[TPL_MAX_RESOURCES + 1];
        int top = 0;
        if (state[root])
            continue;
        stack[0] = root;
        pos[0] = 0;
        state[root] = 1;
        while (top >= 0 && !failed) {
            size_t cur = stack[top];
            if (pos[top] < json_array_size(deps[cur])) {
                const char *d = json_string_value(json_array_get(deps[cur], pos[top]++));
                size_t j;
                for (j = 0; j < n && strcmp(names[j], d); j++)
                    ;
                if (state[j] == 1) {
                    FAIL("The template has a cycle: `%s` waits for `%s`, which waits for it.", names[cur], d);
                    failed = 1;
                } else if (state[j] == 0) {
                    state[j] = 1;
                    stack[++top] = j;
                    pos[top] = 0;
                }
            } else {
                state[cur] = 2;
                json_array_append_new(order, json_string(names[cur]));
                top--;
            }
        }
    }
    for (i = 0; i < n; i++)
        json_decref(deps[i]);
    if (failed) {
        json_decref(order);
        return NULL;
    }
    return order;
}

json_t *tpl_params(json_t *tpl, json_t *given, char *msg, size_t mlen)
{
    json_t *defs = json_object_get(tpl, "parameters"), *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach (given, k, v)
        if (!json_object_get(defs, k)) {
            json_decref(out);
            return FAIL("Unknown parameter `%s`: the template does not declare it.", k), NULL;
        }
    json_object_foreach (defs, k, v) {
        json_t *val = json_object_get(given, k);
        if (!val)
            val = json_object_get(v, "default");
        if (!val) {
            json_decref(out);
            return FAIL("Parameter `%s` has no default and must be given.", k), NULL;
        }
        /* numbers may come as strings from flattened (GET/form) requests */
        json_t *own = NULL;
        if (json_is_string(val) && !strcmp(json_string_value(json_object_get(v, "type")), "number")) {
            char *end;
            long long n = strtoll(json_string_value(val), &end, 10);
            if (*json_string_value(val) && !*end)
                val = own = json_integer(n);
        }
        if (param_fits(k, v, val, msg, mlen) != 0) {
            json_decref(own);
            json_decref(out);
            return NULL;
        }
        json_object_set(out, k, val);
        json_decref(own);
    }
    return out;
}

int tpl_cardinality(json_t *res, json_t *params)
{
    json_t *props = json_object_get(res, "properties");
    if (strcmp(json_string_value(json_object_get(res, "type")), "instance"))
        return 1;
    json_t *c = json_object_get(props, "cardinality");
    if (!c)
        return 1;
    if (json_is_object(c))
        c = json_object_get(params, json_string_value(json_object_get(c, "param")));
    json_int_t n = json_integer_value(c);
    return n < 0 ? 0 : n > TPL_MAX_MEMBERS ? TPL_MAX_MEMBERS : (int)n;
}

json_t *tpl_plan(json_t *tpl, json_t *params, char *msg, size_t mlen)
{
    json_t *order = tpl_order(tpl, msg, mlen);
    if (!order)
        return NULL;
    json_t *steps = json_array(), *res = json_object_get(tpl, "resources");
    size_t i;
    json_t *name;
    json_array_foreach (order, i, name) {
        json_t *r = json_object_get(res, json_string_value(name));
        int members = tpl_cardinality(r, params);
        for (int m = 0; m < members; m++)
            json_array_append_new(
                steps, json_pack("{s:O,s:i,s:O}", "resource", name, "member", m, "type", json_object_get(r, "type")));
    }
    json_decref(order);
    if (json_array_size(steps) > TPL_MAX_STEPS) {
        json_decref(steps);
        return FAIL("The deployment would make more than %d resources.", TPL_MAX_STEPS), NULL;
    }
    return steps;
}

json_t *tpl_resolve(json_t *v, json_t *params, json_t *attrs, char *msg, size_t mlen)
{
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
            json_t *r = tpl_resolve(e, params, attrs, msg, mlen);
            if (!r) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, r);
        }
        return out;
    }
    if (!json_is_object(v))
        return json_incref(v);
    json_t *param = json_object_get(v, "param"), *ref = json_object_get(v, "ref");
    if (param && json_object_size(v) == 1) {
        json_t *p = json_object_get(params, json_string_value(param));
        return p ? json_incref(p) : (FAIL("Parameter `%s` has no value.", json_string_value(param)), NULL);
    }
    if (ref && json_object_size(v) == 1) {
        const char *r = json_string_value(ref), *dot = strchr(r, '.');
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(dot - r), r);
        json_t *members = json_object_get(attrs, name);
        if (!strcmp(dot + 1, "private_ips")) { /* every member's, in order */
            json_t *out = json_array();
            size_t i;
            json_t *m;
            json_array_foreach (members, i, m)
                if (json_object_get(m, "private_ip"))
                    json_array_append(out, json_object_get(m, "private_ip"));
            return out;
        }
        json_t *a = json_object_get(json_array_get(members, 0), dot + 1);
        return a ? json_incref(a) : (FAIL("Reference `%s` has no value yet.", r), NULL);
    }
    json_t *out = json_object();
    const char *k;
    json_t *e;
    json_object_foreach (v, k, e) {
        json_t *r = tpl_resolve(e, params, attrs, msg, mlen);
        if (!r) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, k, r);
    }
    return out;
}

json_t *tpl_deps(json_t *tpl, const char *name)
{
    char msg[256];
    json_t *res = json_object_get(json_object_get(tpl, "resources"), name);
    json_t *deps = res ? resource_deps(tpl, name, res, msg, sizeof msg) : NULL;
    return deps ? deps : json_array();
}
