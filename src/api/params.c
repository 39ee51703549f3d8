/*
 * params: flattened parameters as GET queries and v1 forms carry them ("Filters.0.Values.0=x").
 * We decode them into a JSON tree whose leaves are strings; the schema walk later turns
 * numeric-keyed objects into arrays and strings into the declared types.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define MAX_PAIRS 2048
#define MAX_DEPTH 8

char *url_decode(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int a = i + 2 < len ? hex_digit(s[i + 1]) : -1;
            int b = i + 2 < len ? hex_digit(s[i + 2]) : -1;
            if (a < 0 || b < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(a << 4 | b);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    if (outlen)
        *outlen = o;
    return out;
}

void kv_free(struct kv *p, int n)
{
    for (int i = 0; i < n; i++) {
        free(p[i].k);
        free(p[i].v);
    }
    free(p);
}

int kv_parse(const char *s, size_t len, struct kv **out, int *n)
{
    struct kv *list = NULL;
    int cnt = 0, cap = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        if (j > i) {
            size_t eq = i;
            while (eq < j && s[eq] != '=')
                eq++;
            if (cnt == MAX_PAIRS)
                goto fail;
            if (cnt == cap) {
                cap = cap ? cap * 2 : 16;
                struct kv *nl = realloc(list, sizeof *list * (size_t)cap);
                if (!nl)
                    goto fail;
                list = nl;
            }
            size_t vlen;
            list[cnt].k = url_decode(s + i, eq - i, NULL);
            list[cnt].v = eq < j ? url_decode(s + eq + 1, j - eq - 1, &vlen) : strdup("");
            if (!list[cnt].k || !list[cnt].v || memchr(list[cnt].v, 0, eq < j ? vlen : 0)) {
                free(list[cnt].k);
                free(list[cnt].v);
                goto fail;
            }
            cnt++;
        }
        i = j + 1;
    }
    *out = list;
    *n = cnt;
    return 0;
fail:
    kv_free(list, cnt);
    return -1;
}

const char *kv_get(struct kv *p, int n, const char *k)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].k, k) == 0)
            return p[i].v;
    return NULL;
}

/* Inserts value at dotted path into root; -1 on conflicts ("a=1&a.b=2") or depth. */
static int insert_path(json_t *root, const char *path, json_t *value)
{
    char buf[512];
    if (strlen(path) >= sizeof buf || !*path)
        return -1;
    strcpy(buf, path);
    json_t *cur = root;
    int depth = 0;
    char *seg = buf;
    for (;;) {
        char *dot = strchr(seg, '.');
        if (dot)
            *dot = 0;
        if (!*seg || ++depth > MAX_DEPTH)
            return -1;
        json_t *next = json_object_get(cur, seg);
        if (!dot) {
            if (next)
                return -1;
            return json_object_set(cur, seg, value);
        }
        if (!next) {
            next = json_object();
            json_object_set_new(cur, seg, next);
        } else if (!json_is_object(next)) {
            return -1;
        }
        cur = next;
        seg = dot + 1;
    }
}

json_t *params_from_kv(struct kv *list, int n, int (*skip)(const char *key), int *bad)
{
    json_t *root = json_object();
    *bad = 0;
    for (int i = 0; i < n && !*bad; i++) {
        if (skip && skip(list[i].k))
            continue;
        json_t *v = json_string(list[i].v); /* NULL when not valid UTF-8 */
        if (!v || insert_path(root, list[i].k, v) != 0)
            *bad = 1;
        json_decref(v);
    }
    if (*bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *params_from_query(const char *query, size_t len, int *bad)
{
    struct kv *list;
    int n;
    if (kv_parse(query, len, &list, &n) != 0) {
        *bad = 1;
        return NULL;
    }
    json_t *root = params_from_kv(list, n, NULL, bad);
    kv_free(list, n);
    return root;
}
