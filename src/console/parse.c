/*
 * parse: the bytes a console request brings before anyone is signed in: the Cookie header, the
 * sign-in body and the call body. Bounded copies into fixed fields; anything unexpected is
 * refused whole (fuzzed by fuzz/fuzz_console_parse.c).
 */
#include <stdio.h>
#include <string.h>

#include "console/console_int.h"

int cookie_get(const char *header, const char *name, char *out, size_t len)
{
    if (!header || !len)
        return -1;
    size_t nlen = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *eq = strchr(p, '=');
        const char *semi = strchr(p, ';');
        const char *end = semi ? semi : p + strlen(p);
        if (eq && eq < end && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq + 1;
            size_t vlen = (size_t)(end - v);
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen == 0 || vlen >= len)
                return -1;
            for (size_t i = 0; i < vlen; i++) /* base64url and hex: nothing else is ours */
                if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
                      v[i] == '-' || v[i] == '_'))
                    return -1;
            memcpy(out, v, vlen);
            out[vlen] = 0;
            return 0;
        }
        p = end;
    }
    return -1;
}

/* Copies a string member (Uin may also be an integer) into out; 0, 1 absent, -1 bad. */
static int member(json_t *o, const char *name, char *out, size_t len)
{
    json_t *v = json_object_get(o, name);
    if (!v)
        return 1;
    if (!strcmp(name, "Uin") && json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(out, len, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) >= len || strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int login_parse(const char *body, size_t len, struct login_body *out, char *why, size_t wlen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    int rc = -1;
    if (!json_is_object(o)) {
        snprintf(why, wlen, "The sign-in body must be a JSON object.");
    } else if (member(o, "Uin", out->uin, sizeof out->uin) != 0 || !out->uin[0] ||
               strspn(out->uin, "0123456789") != strlen(out->uin)) {
        snprintf(why, wlen, "Uin must be the account's number (digits).");
    } else if (member(o, "UserName", out->user_name, sizeof out->user_name) < 0) {
        snprintf(why, wlen, "UserName must be a sub-user's name of at most %zu characters.", sizeof out->user_name - 1);
    } else if (member(o, "Password", out->password, sizeof out->password) != 0 || !out->password[0]) {
        snprintf(why, wlen, "Password is missing or longer than %zu characters.", sizeof out->password - 1);
    } else if (member(o, "Code", out->code, sizeof out->code) < 0) {
        snprintf(why, wlen, "Code must be the 6 digits of the authenticator.");
    } else {
        rc = 0;
    }
    json_decref(o);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

json_t *call_parse(const char *body, size_t len, char *why, size_t wlen)
{
    json_error_t je;
    json_t *o = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!json_is_object(o)) {
        snprintf(why, wlen, "The call body must be a JSON object {Service, Version, Action, Params}.");
        json_decref(o);
        return NULL;
    }
    static const char *const need[] = {"Service", "Version", "Action", NULL};
    for (int i = 0; need[i]; i++) {
        json_t *v = json_object_get(o, need[i]);
        if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 64) {
            snprintf(why, wlen, "%s must be a string of 1 to 64 characters.", need[i]);
            json_decref(o);
            return NULL;
        }
    }
    static const char *const optional[] = {"Region", "Language", NULL};
    for (int i = 0; optional[i]; i++) {
        json_t *v = json_object_get(o, optional[i]);
        if (v && (!json_is_string(v) || json_string_length(v) > 64)) {
            snprintf(why, wlen, "%s must be a string of at most 64 characters.", optional[i]);
            json_decref(o);
            return NULL;
        }
    }
    json_t *p = json_object_get(o, "Params");
    if (p && !json_is_object(p)) {
        snprintf(why, wlen, "Params must be a JSON object.");
        json_decref(o);
        return NULL;
    }
    return o;
}
