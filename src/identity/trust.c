/*
 * trust: a role's trust policy (who may assume it): its grammar, and the one question sts asks
 * of it, "may this caller assume the role?".
 *
 *   {"version":"2.0","statement":[{"effect":"allow","action":"name/sts:AssumeRole",
 *     "principal":{"qcs":["qcs::cam::uin/100000000001:root"]}}]}
 *
 * "qcs::cam::uin/<account>:root" names a whole account (its root, and any of its sub-users that
 * CAM lets call sts:AssumeRole); "qcs::cam::uin/<account>:uin/<sub>" one sub-user of it. Service
 * and federated principals are kept but match no one: nothing in yun assumes roles on a
 * service's or an identity provider's behalf. A deny naming the caller wins over any allow.
 * Conditions are refused when the policy is written (fail closed: none is evaluated here).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "identity/identity.h"

static int digits(const char *s, size_t n)
{
    if (n == 0 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int trust_parse_principal(const char *p, char account[24], char user[24])
{
    static const char prefix[] = "qcs::cam::uin/";
    if (strncmp(p, prefix, sizeof prefix - 1) != 0)
        return -1;
    p += sizeof prefix - 1;
    const char *colon = strchr(p, ':');
    if (!colon || !digits(p, (size_t)(colon - p)))
        return -1;
    snprintf(account, 24, "%.*s", (int)(colon - p), p);
    const char *tail = colon + 1;
    if (strcmp(tail, "root") == 0) {
        user[0] = 0;
        return 0;
    }
    if (strncmp(tail, "uin/", 4) != 0 || !digits(tail + 4, strlen(tail + 4)))
        return -1;
    snprintf(user, 24, "%s", tail + 4);
    return 0;
}

/* Calls fn on each string of a string-or-array value; 1 if any call returned 1. */
static int any_of(json_t *v, int (*fn)(const char *, const void *), const void *arg)
{
    if (json_is_string(v))
        return fn(json_string_value(v), arg);
    size_t i;
    json_t *e;
    json_array_foreach (v, i, e)
        if (json_is_string(e) && fn(json_string_value(e), arg))
            return 1;
    return 0;
}

static int assume_action(const char *pattern, const void *unused)
{
    (void)unused;
    const char *slash = strchr(pattern, '/'), *colon = strchr(pattern, ':'); /* "name/sts:AssumeRole" */
    if (slash && (!colon || slash < colon))
        pattern = slash + 1;
    return policy_glob(pattern, "sts:AssumeRole", 1);
}

struct caller {
    const char *account, *user;
};

static int names_caller(const char *principal, const void *arg)
{
    const struct caller *c = arg;
    char account[24], user[24];
    if (trust_parse_principal(principal, account, user) != 0 || strcmp(account, c->account) != 0)
        return 0;
    return !user[0] || strcmp(user, c->user) == 0;
}

static json_t *statement_at(json_t *st, size_t i) { return json_is_object(st) ? st : json_array_get(st, i); }

int trust_validate(json_t *doc, char *why, size_t len)
{
    if (!json_is_object(doc)) {
        snprintf(why, len, "the trust policy must be a JSON object");
        return TRUST_DOCUMENT_ERROR;
    }
    const char *version = json_string_value(json_object_get(doc, "version"));
    if (!version || strcmp(version, "2.0") != 0) {
        snprintf(why, len, "\"version\" must be \"2.0\"");
        return TRUST_DOCUMENT_ERROR;
    }
    json_t *st = json_object_get(doc, "statement");
    if (!json_is_object(st) && !(json_is_array(st) && json_array_size(st) > 0)) {
        snprintf(why, len, "\"statement\" must be a statement or a non-empty array of statements");
        return TRUST_DOCUMENT_ERROR;
    }
    size_t n = json_is_object(st) ? 1 : json_array_size(st);
    for (size_t i = 0; i < n; i++) {
        json_t *s = statement_at(st, i);
        const char *effect = json_string_value(json_object_get(s, "effect"));
        if (!json_is_object(s) || !effect || (strcasecmp(effect, "allow") && strcasecmp(effect, "deny"))) {
            snprintf(why, len, "statement %zu: \"effect\" must be \"allow\" or \"deny\"", i);
            return TRUST_DOCUMENT_ERROR;
        }
        json_t *action = json_object_get(s, "action");
        if (!policy_string_or_strings(action) || !any_of(action, assume_action, NULL)) {
            snprintf(why, len, "statement %zu: \"action\" must name sts:AssumeRole", i);
            return TRUST_DOCUMENT_ERROR;
        }
        const char *key;
        json_t *v;
        json_object_foreach (s, key, v) {
            if (!strcmp(key, "condition")) {
                snprintf(why, len, "statement %zu: conditions in trust policies are not supported", i);
                return TRUST_DOCUMENT_ERROR;
            }
            if (strcmp(key, "effect") && strcmp(key, "action") && strcmp(key, "principal")) {
                snprintf(why, len, "statement %zu: unknown element \"%s\"", i, key);
                return TRUST_DOCUMENT_ERROR;
            }
        }
        json_t *principal = json_object_get(s, "principal");
        if (!json_is_object(principal) || json_object_size(principal) == 0) {
            snprintf(why, len, "statement %zu: \"principal\" must be an object naming who may assume the role", i);
            return TRUST_PRINCIPAL_ERROR;
        }
        json_object_foreach (principal, key, v) {
            if (strcmp(key, "qcs") && strcmp(key, "service") && strcmp(key, "federated")) {
                snprintf(why, len, "statement %zu: unknown principal kind \"%s\" (qcs, service, federated)", i, key);
                return TRUST_PRINCIPAL_ERROR;
            }
            if (!policy_string_or_strings(v)) {
                snprintf(why, len, "statement %zu: principal \"%s\" must be a string or an array of strings", i, key);
                return TRUST_PRINCIPAL_ERROR;
            }
            if (strcmp(key, "qcs") != 0)
                continue;
            size_t k, m = json_is_array(v) ? json_array_size(v) : 1;
            for (k = 0; k < m; k++) {
                const char *p = json_string_value(json_is_array(v) ? json_array_get(v, k) : v);
                char account[24], user[24];
                if (trust_parse_principal(p, account, user) != 0) {
                    snprintf(why, len,
                             "statement %zu: principal \"%s\" is not qcs::cam::uin/<account>:root or"
                             " qcs::cam::uin/<account>:uin/<sub-user>",
                             i, p);
                    return TRUST_PRINCIPAL_ERROR;
                }
            }
        }
    }
    return 0;
}

int trust_allows(json_t *doc, const char *account, const char *user)
{
    json_t *st = json_object_get(doc, "statement");
    size_t n = json_is_object(st) ? 1 : json_array_size(st);
    struct caller c = {account, user};
    int allowed = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *s = statement_at(st, i);
        const char *effect = json_string_value(json_object_get(s, "effect"));
        if (!effect || json_object_get(s, "condition") || !any_of(json_object_get(s, "action"), assume_action, NULL))
            continue;
        if (!any_of(json_object_get(json_object_get(s, "principal"), "qcs"), names_caller, &c))
            continue;
        if (!strcasecmp(effect, "deny"))
            return 0;
        if (!strcasecmp(effect, "allow"))
            allowed = 1;
    }
    return allowed;
}
