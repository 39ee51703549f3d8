/*
 * schema: validates request parameters against an action's declared schema and produces the
 * Tencent parameter errors generically:
 *   MissingParameter       a required parameter is absent
 *   UnknownParameter       a parameter the action does not define
 *   InvalidParameter       wrong JSON type (or a malformed flattened array)
 *   InvalidParameterValue  right type, value out of range/length/enum
 * With `coerce` (GET queries, v1 forms) string leaves are converted to the declared types and
 * numeric-keyed objects to arrays, in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/codes.h"

struct vstate {
    int coerce;
    char *code, *msg;
    size_t clen, mlen;
};

static int fail(struct vstate *v, const char *code, const char *fmt, const char *path, const char *extra)
{
    snprintf(v->code, v->clen, "%s", code);
    snprintf(v->msg, v->mlen, fmt, path, extra ? extra : "");
    return -1;
}

static const char *type_name(enum ptype t)
{
    switch (t) {
    case PT_STRING:
        return "String";
    case PT_INT:
        return "Integer";
    case PT_FLOAT:
        return "Float";
    case PT_BOOL:
        return "Boolean";
    case PT_OBJECT:
        return "Object";
    case PT_ARRAY:
        return "Array";
    }
    return "?";
}

/* [-+]digits[.digits][e[-+]digits], with a digit before or after the point. */
static int decimal_text(const char *s)
{
    int digits = 0;
    if (*s == '-' || *s == '+')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (!digits)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == 0;
}

static int check_value(struct vstate *v, const struct param *p, enum ptype type, json_t **slot, const char *path);

/* "0","1",... -> array, for flattened input. */
static json_t *object_to_array(json_t *obj)
{
    size_t n = json_object_size(obj);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char k[24];
        snprintf(k, sizeof k, "%zu", i);
        json_t *e = json_object_get(obj, k);
        if (!e) {
            json_decref(arr);
            return NULL;
        }
        json_array_append(arr, e);
    }
    return arr;
}

static int check_fields(struct vstate *v, const struct param *fields, json_t *obj, const char *path)
{
    char sub[512];
    const char *key;
    json_t *val;
    json_object_foreach (obj, key, val) {
        const struct param *f = fields;
        while (f && f->name && strcmp(f->name, key) != 0)
            f++;
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
        if (!f || !f->name)
            return fail(v, E_UNKNOWN_PARAMETER, "The parameter `%s` is not recognized.%s", sub, NULL);
    }
    for (const struct param *f = fields; f && f->name; f++) {
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", f->name);
        json_t *val2 = json_object_get(obj, f->name);
        if (!val2 || json_is_null(val2)) {
            if (f->flags & P_REQUIRED)
                return fail(v, E_MISSING_PARAMETER, "The request is missing a required parameter `%s`.%s", sub, NULL);
            if (val2)
                json_object_del(obj, f->name); /* the SDK drops nulls; so do we */
            continue;
        }
        json_t *slot = val2;
        json_incref(slot);
        int rc = check_value(v, f, f->type, &slot, sub);
        if (rc == 0 && slot != val2)
            json_object_set(obj, f->name, slot);
        json_decref(slot);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_value(struct vstate *v, const struct param *p, enum ptype type, json_t **slot, const char *path)
{
    json_t *val = *slot;
    char buf[64];
    if (v->coerce && json_is_string(val) && type != PT_STRING && type != PT_OBJECT && type != PT_ARRAY) {
        const char *s = json_string_value(val);
        char *end;
        json_t *nv = NULL;
        errno = 0;
        if (type == PT_INT) {
            long long x = strtoll(s, &end, 10);
            if (*s && !*end && errno == 0)
                nv = json_integer(x);
        } else if (type == PT_FLOAT) {
            /* a decimal number only: strtod also reads hex, "nan" and "inf" */
            double d = strtod(s, &end);
            if (*s && !*end && errno == 0 && decimal_text(s))
                nv = json_real(d);
        } else if (type == PT_BOOL) {
            if (!strcmp(s, "true") || !strcmp(s, "1"))
                nv = json_true();
            else if (!strcmp(s, "false") || !strcmp(s, "0"))
                nv = json_false();
        }
        if (!nv)
            return fail(v, E_INVALID_PARAMETER, "The value type of parameter `%s` is not valid, expected %s.", path,
                        type_name(type));
        json_decref(*slot);
        *slot = val = nv;
    }
    if (v->coerce && type == PT_ARRAY && json_is_object(val)) {
        json_t *arr = object_to_array(val);
        if (!arr)
            return fail(v, E_INVALID_PARAMETER, "The parameter `%s` is not a well-formed list.%s", path, NULL);
        json_decref(*slot);
        *slot = val = arr;
    }
    if (type == PT_STRING && (p->flags & P_NUMSTR) && json_is_integer(val)) {
        char num[24];
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(val));
        json_decref(*slot);
        *slot = val = json_string(num);
    }
    switch (type) {
    case PT_STRING:
        if (!json_is_string(val))
            break;
        {
            size_t len = json_string_length(val);
            if ((p->max && (int64_t)len > p->max) || (int64_t)len < p->min) {
                snprintf(buf, sizeof buf, " Its length must be between %lld and %lld.", (long long)p->min,
                         (long long)p->max);
                return fail(v, E_INVALID_PARAMETER_VALUE, "The value of parameter `%s` has an invalid length.%s", path,
                            buf);
            }
            if (p->values) {
                const char *const *e = p->values;
                while (*e && strcmp(*e, json_string_value(val)) != 0)
                    e++;
                if (!*e)
                    return fail(v, E_INVALID_PARAMETER_VALUE,
                                "The value of parameter `%s` is not one of the allowed values.%s", path, NULL);
            }
            if (memchr(json_string_value(val), 0, len))
                return fail(v, E_INVALID_PARAMETER_VALUE, "The value of parameter `%s` contains a NUL character.%s",
                            path, NULL);
        }
        return 0;
    case PT_INT:
        if (!json_is_integer(val))
            break;
        if ((p->min || p->max) && (json_integer_value(val) < p->min || json_integer_value(val) > p->max)) {
            snprintf(buf, sizeof buf, " It must be between %lld and %lld.", (long long)p->min, (long long)p->max);
            return fail(v, E_INVALID_PARAMETER_VALUE, "The value of parameter `%s` is out of range.%s", path, buf);
        }
        return 0;
    case PT_FLOAT:
        if (!json_is_number(val))
            break;
        return 0;
    case PT_BOOL:
        if (!json_is_boolean(val))
            break;
        return 0;
    case PT_OBJECT:
        if (!json_is_object(val))
            break;
        return check_fields(v, p->fields, val, path);
    case PT_ARRAY: {
        if (!json_is_array(val))
            break;
        size_t n = json_array_size(val);
        if (p->max && (int64_t)n > p->max) {
            snprintf(buf, sizeof buf, " At most %lld items are allowed.", (long long)p->max);
            return fail(v, E_INVALID_PARAMETER_VALUE, "The parameter `%s` has too many items.%s", path, buf);
        }
        /* element rules: strings carry their max length in p->min (see P_STRS) */
        struct param elem = {.name = p->name, .type = p->elem, .fields = p->fields, .values = p->values};
        if (p->elem == PT_STRING)
            elem.max = p->min;
        for (size_t i = 0; i < n; i++) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s.%zu", path, i);
            json_t *e = json_array_get(val, i);
            json_incref(e);
            int rc = check_value(v, &elem, p->elem, &e, sub);
            if (rc == 0 && e != json_array_get(val, i))
                json_array_set(val, i, e);
            json_decref(e);
            if (rc)
                return rc;
        }
        return 0;
    }
    }
    return fail(v, E_INVALID_PARAMETER, "The value type of parameter `%s` is not valid, expected %s.", path,
                type_name(type));
}

int schema_validate(const struct param *schema, json_t *params, int coerce, char *code, size_t clen, char *msg,
                    size_t mlen)
{
    struct vstate v = {.coerce = coerce, .code = code, .msg = msg, .clen = clen, .mlen = mlen};
    if (!json_is_object(params))
        return fail(&v, E_INVALID_PARAMETER, "The request body must be a JSON object.%s%s", "", NULL);
    return check_fields(&v, schema, params, "");
}
