/*
 * policy: CAM policy grammar and evaluation.
 *
 *   {"version":"2.0","statement":[{"effect":"allow"|"deny","action":..,"resource":..,"condition":{..}}]}
 *
 * A statement applies when an action pattern matches (wildcards, case-insensitive, optional
 * "name/" prefix), a resource pattern matches (six qcs segments; an empty region means every
 * region; wildcards) and every condition holds. Deny wins over allow; nothing applying means
 * the implicit deny. Conditions fail closed: policies naming condition keys yun cannot evaluate
 * are refused when they are created, and a condition whose key has no value in the request
 * (an unknown source address, say) makes an allow not apply and a deny apply.
 *
 * Service control policies (an organization's, src/organization) are documents of the same
 * grammar evaluated by the same policy_evaluate, combined by policy_scp_evaluate: they bound what
 * an account's own policies allow, and never grant anything.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity/identity.h"

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

int policy_glob(const char *p, const char *t, int ic)
{
    const char *star = NULL, *mark = NULL;
    while (*t) {
        if (*p == '*') {
            star = p++;
            mark = t;
        } else if (*p == '?' || (ic ? lower(*p) == lower(*t) : *p == *t)) {
            p++;
            t++;
        } else if (star) {
            p = star + 1;
            t = ++mark;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == 0;
}

/* Splits "qcs:project:service:region:account:resource" (the last segment may hold ':'). */
static int split6(const char *s, char seg[6][256])
{
    const char *p = s;
    for (int i = 0; i < 5; i++) {
        const char *c = strchr(p, ':');
        if (!c || c - p >= 256)
            return -1;
        snprintf(seg[i], 256, "%.*s", (int)(c - p), p);
        p = c + 1;
    }
    if (strlen(p) >= 256)
        return -1;
    snprintf(seg[5], 256, "%s", p);
    return strcmp(seg[0], "qcs") == 0 ? 0 : -1;
}

int policy_resource_match(const char *pattern, const char *resource)
{
    if (strcmp(pattern, "*") == 0)
        return 1;
    char ps[6][256], rs[6][256];
    if (split6(pattern, ps) != 0 || split6(resource, rs) != 0)
        return policy_glob(pattern, resource, 0);
    /* project is not used; empty region means every region; the rest are globs */
    if (!policy_glob(ps[2], rs[2], 1))
        return 0;
    if (ps[3][0] && !policy_glob(ps[3], rs[3], 0))
        return 0;
    if (ps[4][0] && !policy_glob(ps[4], rs[4], 0))
        return 0;
    return policy_glob(ps[5], rs[5], 0);
}

int policy_ip_in(const char *cidr, const char *ip)
{
    char net[64];
    int bits = -1;
    snprintf(net, sizeof net, "%s", cidr);
    char *slash = strchr(net, '/');
    if (slash) {
        *slash = 0;
        char *end;
        bits = (int)strtol(slash + 1, &end, 10);
        if (*end)
            return 0;
    }
    unsigned char a[16], b[16];
    int fam = strchr(net, ':') ? AF_INET6 : AF_INET;
    int len = fam == AF_INET ? 4 : 16;
    if (inet_pton(fam, net, a) != 1)
        return 0;
    const char *ipv = ip;
    if (fam == AF_INET && strncmp(ip, "::ffff:", 7) == 0)
        ipv = ip + 7;
    if (inet_pton(fam, ipv, b) != 1)
        return 0;
    if (bits < 0)
        bits = len * 8;
    if (bits > len * 8)
        return 0;
    for (int i = 0; i < len && bits > 0; i++, bits -= 8) {
        unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
        if ((a[i] & mask) != (b[i] & mask))
            return 0;
    }
    return 1;
}

/* Expands ${uin} ${owner_uin} ${app_id} in a statement's resource pattern. */
static void expand_vars(const char *in, const struct policy_context *c, char *out, size_t len)
{
    size_t o = 0;
    while (*in && o + 1 < len) {
        const char *val = NULL;
        size_t skip = 0;
        if (!strncmp(in, "${uin}", 6))
            val = c->uin, skip = 6;
        else if (!strncmp(in, "${owner_uin}", 12))
            val = c->owner_uin, skip = 12;
        else if (!strncmp(in, "${app_id}", 9))
            val = c->app_id, skip = 9;
        if (val) {
            o += (size_t)snprintf(out + o, len - o, "%s", val ? val : "");
            if (o >= len)
                o = len - 1;
            in += skip;
        } else {
            out[o++] = *in++;
        }
    }
    out[o] = 0;
}

/* Calls fn for each string in a string-or-array value; returns 1 if any call returned 1. */
static int any_string(json_t *v, int (*fn)(const char *, const void *), const void *arg)
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

static int action_matches(const char *pattern, const void *arg)
{
    const char *slash = strchr(pattern, '/'); /* "name/cvm:Describe*" */
    if (slash && (!strchr(pattern, ':') || slash < strchr(pattern, ':')))
        pattern = slash + 1;
    const char *action = arg;
    /* Tencent's preset billing policies name the service "finance": the same actions as "billing" */
    if (!strncasecmp(pattern, "finance:", 8) && !strncmp(action, "billing:", 8)) {
        char alias[256];
        snprintf(alias, sizeof alias, "billing:%s", pattern + 8);
        return policy_glob(alias, action, 1);
    }
    return policy_glob(pattern, action, 1);
}

struct res_arg {
    const struct policy_context *c;
};

static int resource_matches(const char *pattern, const void *arg)
{
    const struct policy_context *c = ((const struct res_arg *)arg)->c;
    char exp[512];
    expand_vars(pattern, c, exp, sizeof exp);
    return policy_resource_match(exp, c->resource);
}

/* Context value for a CAM condition key; NULL when the key is unknown. */
static const char *context_value(void *arg, const char *key, char *buf, size_t len)
{
    const struct policy_context *c = arg;
    if (!strcasecmp(key, "qcs:ip"))
        return c->source_ip;
    if (!strcasecmp(key, REQUESTED_REGION_KEY))
        return c->region;
    if (!strcasecmp(key, "qcs:current_time") && len >= 32) {
        time_iso8601(c->now, buf);
        return buf;
    }
    return NULL;
}

/* AWS's operator names, spelled as CAM's (the names cmp_values knows). "IfExists" is the
 * "_if_exist" suffix; "Null" stays "null" (it tests presence, not a value). */
static const char *const aws_ops[][2] = {
    {"StringEquals", "string_equal"},
    {"StringNotEquals", "string_not_equal"},
    {"StringEqualsIgnoreCase", "string_equal_ignore_case"},
    {"StringNotEqualsIgnoreCase", "string_not_equal_ignore_case"},
    {"StringLike", "string_like"},
    {"StringNotLike", "string_not_like"},
    {"ArnEquals", "string_equal"},
    {"ArnNotEquals", "string_not_equal"},
    {"ArnLike", "string_like"},
    {"ArnNotLike", "string_not_like"},
    {"NumericEquals", "numeric_equal"},
    {"NumericNotEquals", "numeric_not_equal"},
    {"NumericLessThan", "numeric_less_than"},
    {"NumericLessThanEquals", "numeric_less_than_equal"},
    {"NumericGreaterThan", "numeric_greater_than"},
    {"NumericGreaterThanEquals", "numeric_greater_than_equal"},
    {"DateEquals", "date_equal"},
    {"DateNotEquals", "date_not_equal"},
    {"DateLessThan", "date_less_than"},
    {"DateLessThanEquals", "date_less_than_equal"},
    {"DateGreaterThan", "date_greater_than"},
    {"DateGreaterThanEquals", "date_greater_than_equal"},
    {"Bool", "bool_equal"},
    {"IpAddress", "ip_equal"},
    {"NotIpAddress", "ip_not_equal"},
    {"Null", "null"},
};

const char *policy_operator(const char *op, char *buf, size_t len)
{
    char base[64];
    snprintf(base, sizeof base, "%s", op);
    size_t n = strlen(base);
    bool if_exists = n > 8 && !strcmp(base + n - 8, "IfExists");
    if (if_exists)
        base[n - 8] = 0;
    for (size_t i = 0; i < sizeof aws_ops / sizeof aws_ops[0]; i++)
        if (!strcmp(aws_ops[i][0], base)) {
            snprintf(buf, len, "%s%s", aws_ops[i][1], if_exists ? "_if_exist" : "");
            return buf;
        }
    snprintf(buf, len, "%s", op);
    return buf;
}

/* An ordering operator's suffix ("equal", "less_than"...) applied to the sign of have - want. */
static int ordered(const char *base, int sign)
{
    static const struct {
        const char *name;
        int lt, eq, gt;
    } ops[] = {{"equal", 0, 1, 0},           {"not_equal", 1, 0, 1},    {"less_than", 1, 0, 0},
               {"less_than_equal", 1, 1, 0}, {"greater_than", 0, 0, 1}, {"greater_than_equal", 0, 1, 1}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(base, ops[i].name))
            return sign < 0 ? ops[i].lt : sign > 0 ? ops[i].gt : ops[i].eq;
    return 0;
}

static int cmp_values(const char *op, const char *have, const char *want)
{
    if (!strncmp(op, "date_", 5)) {
        int64_t a, b;
        if (time_parse_iso8601(have, &a) || time_parse_iso8601(want, &b))
            return 0;
        return ordered(op + 5, (a > b) - (a < b));
    }
    if (!strncmp(op, "numeric_", 8)) {
        char *e1, *e2;
        double a = strtod(have, &e1), b = strtod(want, &e2);
        if (*e1 || *e2)
            return 0;
        return ordered(op + 8, (a > b) - (a < b));
    }
    if (!strcmp(op, "ip_equal"))
        return policy_ip_in(want, have);
    if (!strcmp(op, "string_equal"))
        return strcmp(have, want) == 0;
    if (!strcmp(op, "string_equal_ignore_case"))
        return strcasecmp(have, want) == 0;
    if (!strcmp(op, "string_like"))
        return policy_glob(want, have, 0);
    if (!strcmp(op, "bool_equal"))
        return strcasecmp(have, want) == 0;
    return 0;
}

/* Negated operators hold when no listed value matches their positive form. */
static const char *positive_of(const char *op, char *buf, size_t len)
{
    static const char *neg[][2] = {{"ip_not_equal", "ip_equal"},
                                   {"string_not_equal", "string_equal"},
                                   {"string_not_equal_ignore_case", "string_equal_ignore_case"},
                                   {"string_not_like", "string_like"}};
    for (size_t i = 0; i < sizeof neg / sizeof neg[0]; i++)
        if (!strcmp(op, neg[i][0])) {
            snprintf(buf, len, "%s", neg[i][1]);
            return buf;
        }
    return NULL;
}

static const char *known_ops[] = {"string_equal",
                                  "string_not_equal",
                                  "string_equal_ignore_case",
                                  "string_not_equal_ignore_case",
                                  "string_like",
                                  "string_not_like",
                                  "numeric_equal",
                                  "numeric_not_equal",
                                  "numeric_less_than",
                                  "numeric_less_than_equal",
                                  "numeric_greater_than",
                                  "numeric_greater_than_equal",
                                  "date_equal",
                                  "date_not_equal",
                                  "date_less_than",
                                  "date_less_than_equal",
                                  "date_greater_than",
                                  "date_greater_than_equal",
                                  "bool_equal",
                                  "ip_equal",
                                  "ip_not_equal",
                                  NULL};

static int known_op(const char *op)
{
    char base[64];
    snprintf(base, sizeof base, "%s", op);
    size_t n = strlen(base);
    if (n > 9 && !strcmp(base + n - 9, "_if_exist"))
        base[n - 9] = 0;
    for (int i = 0; known_ops[i]; i++)
        if (!strcmp(known_ops[i], base))
            return 1;
    return !strcmp(base, "null") && n == 4;
}

static int value_str(json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else
        return -1;
    return 0;
}

enum cond_result { COND_FAILS = 0, COND_HOLDS = 1, COND_UNKNOWN = 2 };

/* Every clause must hold; one that fails decides. A key without a value in the request: under
 * CAM's rule (aws == false) the clause cannot be evaluated and leaves the result open; under
 * AWS's a positive operator fails and a negated one holds. "_if_exist" holds for an absent key;
 * "null" tests presence. Operators are AWS's or CAM's names (policy_operator). */
static enum cond_result conditions_eval(json_t *cond, policy_key_fn lookup, void *arg, bool aws)
{
    enum cond_result result = COND_HOLDS;
    const char *op;
    json_t *keys;
    json_object_foreach (cond, op, keys) {
        char opb[64];
        policy_operator(op, opb, sizeof opb);
        size_t n = strlen(opb);
        int if_exist = n > 9 && !strcmp(opb + n - 9, "_if_exist");
        if (if_exist)
            opb[n - 9] = 0;
        const char *key;
        json_t *want;
        json_object_foreach (keys, key, want) {
            char tbuf[512], vbuf[256], posb[64];
            const char *have = lookup(arg, key, tbuf, sizeof tbuf);
            const char *pos = positive_of(opb, posb, sizeof posb);
            if (!strcmp(opb, "null")) {
                char w[8];
                bool absent = !have || !*have;
                if (value_str(json_is_array(want) ? json_array_get(want, 0) : want, w, sizeof w) != 0 ||
                    absent != !strcasecmp(w, "true"))
                    return COND_FAILS;
                continue;
            }
            if (!have || !*have) {
                if (if_exist)
                    continue;
                if (!aws)
                    result = COND_UNKNOWN;
                else if (!pos)
                    return COND_FAILS;
                continue;
            }
            int any = 0;
            size_t i;
            json_t *e;
            if (json_is_array(want)) {
                json_array_foreach (want, i, e)
                    if (value_str(e, vbuf, sizeof vbuf) == 0 && cmp_values(pos ? pos : opb, have, vbuf))
                        any = 1;
            } else if (value_str(want, vbuf, sizeof vbuf) == 0) {
                any = cmp_values(pos ? pos : opb, have, vbuf);
            }
            if (pos ? any : !any)
                return COND_FAILS;
        }
    }
    return result;
}

int policy_conditions_hold(json_t *cond, policy_key_fn lookup, void *arg)
{
    return conditions_eval(cond, lookup, arg, true) == COND_HOLDS;
}

/* The condition keys yun evaluates, and the operator family each takes. */
static const struct policy_key known_keys[] = {
    {"qcs:ip", "ip_ string_"},
    {"qcs:current_time", "date_"},
    {REQUESTED_REGION_KEY, "string_"},
};

static int valid_ip_or_cidr(const char *v)
{
    char addr[64];
    if (strlen(v) >= sizeof addr)
        return 0;
    memcpy(addr, v, strlen(v) + 1);
    char *slash = strchr(addr, '/');
    long bits = -1;
    if (slash) {
        char *end;
        *slash = 0;
        bits = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || bits < 0)
            return 0;
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, addr, buf) == 1)
        return bits <= 32;
    if (inet_pton(AF_INET6, addr, buf) == 1)
        return bits <= 128;
    return 0;
}

/* Checks that one condition value can be compared under the operator. */
static int valid_value(const char *op, json_t *v)
{
    char buf[256];
    if (value_str(v, buf, sizeof buf) != 0)
        return 0;
    if (!strncmp(op, "ip_", 3))
        return valid_ip_or_cidr(buf);
    if (!strncmp(op, "date_", 5)) {
        int64_t t;
        return time_parse_iso8601(buf, &t) == 0;
    }
    if (!strncmp(op, "numeric_", 8)) {
        char *end;
        strtod(buf, &end);
        return buf[0] && !*end;
    }
    if (!strncmp(op, "bool_", 5))
        return !strcasecmp(buf, "true") || !strcasecmp(buf, "false");
    return 1;
}

/* A key of the table: exactly, or by prefix for a name ending in '*'. */
static const char *key_families(const char *key, const struct policy_key *keys, size_t nkeys)
{
    for (size_t k = 0; k < nkeys; k++) {
        size_t n = strlen(keys[k].key);
        /* a "tag/" or "grant-" prefix needs a suffix; "encryption" and the like also take the bare name */
        bool sep = n > 1 && (keys[k].key[n - 2] == '/' || keys[k].key[n - 2] == '-');
        if (n && keys[k].key[n - 1] == '*' ? !strncasecmp(keys[k].key, key, n - 1) && (key[n - 1] || !sep)
                                           : !strcasecmp(keys[k].key, key))
            return keys[k].families;
    }
    return NULL;
}

/* One operator's {key: value(s)} object: keys of the table, with values the operator can compare. */
static int validate_clause(const char *op, json_t *keys, const struct policy_key *table, size_t ntable,
                           const char *supported, size_t stmt, char *why, size_t len)
{
    const char *key;
    json_t *want;
    json_object_foreach (keys, key, want) {
        const char *families = key_families(key, table, ntable);
        if (!families) {
            snprintf(why, len, "statement %zu: condition key \"%s\" is not supported (supported: %s)", stmt, key,
                     supported);
            return -1;
        }
        int fits = !strcmp(op, "null");
        for (const char *f = families; *f;) {
            size_t n = strcspn(f, " ");
            if (!strncmp(op, f, n))
                fits = 1;
            f += n + (f[n] == ' ');
        }
        if (!fits) {
            snprintf(why, len, "statement %zu: condition key \"%s\" cannot be used with operator \"%s\"", stmt, key,
                     op);
            return -1;
        }
        size_t i, nvals = json_is_array(want) ? json_array_size(want) : 1;
        if (nvals == 0) {
            snprintf(why, len, "statement %zu: condition \"%s\" on \"%s\" has no value", stmt, op, key);
            return -1;
        }
        for (i = 0; i < nvals; i++) {
            json_t *v = json_is_array(want) ? json_array_get(want, i) : want;
            if (!strcmp(op, "null") ? !json_is_boolean(v) && !json_is_string(v) : !valid_value(op, v)) {
                snprintf(why, len, "statement %zu: condition \"%s\" on \"%s\" has a value it cannot compare", stmt, op,
                         key);
                return -1;
            }
        }
    }
    return 0;
}

int policy_conditions_validate(json_t *cond, const struct policy_key *keys, size_t nkeys, const char *supported,
                               size_t stmt, char *why, size_t len)
{
    if (!json_is_object(cond)) {
        snprintf(why, len, "statement %zu: \"condition\" must be an object", stmt);
        return -1;
    }
    const char *op;
    json_t *clause;
    json_object_foreach (cond, op, clause) {
        char opb[64];
        policy_operator(op, opb, sizeof opb);
        if (!known_op(opb) || !json_is_object(clause)) {
            snprintf(why, len, "statement %zu: unknown condition operator \"%s\"", stmt, op);
            return -1;
        }
        size_t n = strlen(opb);
        if (n > 9 && !strcmp(opb + n - 9, "_if_exist"))
            opb[n - 9] = 0;
        if (validate_clause(opb, clause, keys, nkeys, supported, stmt, why, len) != 0)
            return -1;
    }
    return 0;
}

static json_t *statements(json_t *doc)
{
    json_t *st = json_object_get(doc, "statement");
    return st;
}

enum policy_effect policy_evaluate(json_t *doc, const struct policy_context *c)
{
    json_t *st = statements(doc);
    json_t *one = json_is_object(st) ? st : NULL;
    size_t n = one ? 1 : json_array_size(st);
    enum policy_effect result = POLICY_NONE;
    struct res_arg ra = {c};
    for (size_t i = 0; i < n; i++) {
        json_t *s = one ? one : json_array_get(st, i);
        const char *effect = json_string_value(json_object_get(s, "effect"));
        if (!effect)
            continue;
        if (!any_string(json_object_get(s, "action"), action_matches, c->action))
            continue;
        if (!any_string(json_object_get(s, "resource"), resource_matches, &ra))
            continue;
        json_t *cond = json_object_get(s, "condition");
        int deny = !strcasecmp(effect, "deny");
        enum cond_result cr = cond ? conditions_eval(cond, context_value, (void *)c, false) : COND_HOLDS;
        if (cr == COND_FAILS || (cr == COND_UNKNOWN && !deny))
            continue;
        if (deny)
            return POLICY_DENY;
        if (!strcasecmp(effect, "allow"))
            result = POLICY_ALLOW;
    }
    return result;
}

int policy_string_or_strings(json_t *v)
{
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return 0;
    size_t i;
    json_t *e;
    json_array_foreach (v, i, e)
        if (!json_is_string(e) || json_string_length(e) == 0)
            return 0;
    return 1;
}

int policy_validate(json_t *doc, char *why, size_t len)
{
    if (!json_is_object(doc)) {
        snprintf(why, len, "the policy document must be a JSON object");
        return -1;
    }
    const char *version = json_string_value(json_object_get(doc, "version"));
    if (!version || strcmp(version, "2.0") != 0) {
        snprintf(why, len, "\"version\" must be \"2.0\"");
        return -1;
    }
    json_t *st = statements(doc);
    if (!json_is_object(st) && !(json_is_array(st) && json_array_size(st) > 0)) {
        snprintf(why, len, "\"statement\" must be a statement or a non-empty array of statements");
        return -1;
    }
    size_t n = json_is_object(st) ? 1 : json_array_size(st);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_is_object(st) ? st : json_array_get(st, i);
        const char *effect = json_string_value(json_object_get(s, "effect"));
        if (!json_is_object(s) || !effect || (strcasecmp(effect, "allow") && strcasecmp(effect, "deny"))) {
            snprintf(why, len, "statement %zu: \"effect\" must be \"allow\" or \"deny\"", i);
            return -1;
        }
        if (!policy_string_or_strings(json_object_get(s, "action"))) {
            snprintf(why, len, "statement %zu: \"action\" must be a string or an array of strings", i);
            return -1;
        }
        if (!policy_string_or_strings(json_object_get(s, "resource"))) {
            snprintf(why, len, "statement %zu: \"resource\" must be a string or an array of strings", i);
            return -1;
        }
        json_t *cond = json_object_get(s, "condition");
        if (cond && policy_conditions_validate(cond, known_keys, sizeof known_keys / sizeof known_keys[0],
                                               "qcs:ip, qcs:current_time, " REQUESTED_REGION_KEY, i, why, len) != 0)
            return -1;
        const char *key;
        json_t *v;
        json_object_foreach (s, key, v) {
            if (strcmp(key, "effect") && strcmp(key, "action") && strcmp(key, "resource") && strcmp(key, "condition") &&
                strcmp(key, "principal")) {
                snprintf(why, len, "statement %zu: unknown element \"%s\"", i, key);
                return -1;
            }
        }
    }
    return 0;
}

/* Appends "`name` (PolicyId id)" of one SCP to a list of names. */
static void add_name(char *out, size_t len, json_t *p)
{
    size_t n = strlen(out);
    if (n + 1 >= len)
        return;
    snprintf(out + n, len - n, "%s`%s` (PolicyId %lld)", n ? ", " : "", json_string_value(json_object_get(p, "name")),
             (long long)json_integer_value(json_object_get(p, "id")));
}

/* Does the document hold an allow statement at all? */
static int has_allow(json_t *doc)
{
    json_t *st = statements(doc);
    size_t n = json_is_object(st) ? 1 : json_array_size(st);
    for (size_t i = 0; i < n; i++) {
        const char *e = json_string_value(json_object_get(json_is_object(st) ? st : json_array_get(st, i), "effect"));
        if (e && !strcasecmp(e, "allow"))
            return 1;
    }
    return 0;
}

/* The levels of a member account's path (root node first, the member last), each with the SCPs
 * attached there. An explicit deny in any SCP wins. A level whose SCPs hold allow statements is
 * a whitelist (AWS's rule): one of them must allow the request; a level of deny-only SCPs is a
 * deny list and bounds nothing else (so no preset FullAccess policy needs attaching beside it).
 * why names the policy that decided: the denying one, the level that allows nothing, or the
 * allowing ones. */
enum policy_effect policy_scp_evaluate(json_t *levels, const struct policy_context *ctx, char *why, size_t len)
{
    char allowed_by[512] = "";
    const char *unallowed = NULL;
    json_t *unallowed_policies = NULL;
    size_t i, j;
    json_t *level, *p;
    json_array_foreach (levels, i, level) {
        json_t *first_allow = NULL;
        int whitelist = 0;
        json_array_foreach (json_object_get(level, "policies"), j, p) {
            whitelist |= has_allow(json_object_get(p, "doc"));
            enum policy_effect e = policy_evaluate(json_object_get(p, "doc"), ctx);
            if (e == POLICY_DENY) {
                char name[300] = "";
                add_name(name, sizeof name, p);
                snprintf(why, len, "service control policy %s denies it", name);
                return POLICY_DENY;
            }
            if (e == POLICY_ALLOW && !first_allow)
                first_allow = p;
        }
        if (first_allow)
            add_name(allowed_by, sizeof allowed_by, first_allow);
        else if (whitelist && !unallowed) {
            unallowed = json_string_value(json_object_get(level, "target"));
            unallowed_policies = json_object_get(level, "policies");
        }
    }
    if (unallowed) {
        char names[400] = "";
        json_array_foreach (unallowed_policies, j, p)
            add_name(names, sizeof names, p);
        snprintf(why, len, "no service control policy attached to %s allows it (%s)", unallowed, names);
        return POLICY_NONE;
    }
    snprintf(why, len, "allowed by service control policies %s", allowed_by[0] ? allowed_by : "(none deny it)");
    return POLICY_ALLOW;
}
