/*
 * bucket_policy: S3 bucket policies and COS policy documents: the grammar, the evaluation and
 * "is it public", pure functions (bucket_policy.h) the unit test and the fuzz target drive; the
 * request's side (condition keys' values, the decision authorize() asks for, the ?policy /
 * ?policyStatus operations) is bucket_policy_gate.c.
 *
 * Both spellings are one grammar: S3's {"Version","Statement":[{"Effect","Principal","Action",
 * "Resource","Condition"}]} and COS's lowercase {"version":"2.0","statement":[{"principal":
 * {"qcs":[..]},"effect":"allow","action":["name/cos:GetObject"],"resource":["qcs::cos:..."]}]}.
 * Conditions are identity's engine (policy.c) with the object store's keys. The decision is
 * S3's: an explicit Deny (here or in the caller's CAM) wins, an Allow here grants, otherwise CAM
 * and the ACLs decide as before (auth.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/bucket_policy.h"
#include "object/object_int.h"

/* ---------------------------------------------------------------- grammar */

/* A member by name, case-insensitively (S3's "Effect" is COS's "effect"). */
static json_t *member(json_t *o, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach (o, k, v)
        if (!strcasecmp(k, name))
            return v;
    return NULL;
}

/* fn over a string-or-array value; 1 if any call returned 1. */
static bool any_of(json_t *v, bool (*fn)(const char *, const void *), const void *arg)
{
    if (json_is_string(v))
        return fn(json_string_value(v), arg);
    size_t i;
    json_t *e;
    json_array_foreach (v, i, e)
        if (json_is_string(e) && fn(json_string_value(e), arg))
            return true;
    return false;
}

static bool every_of(json_t *v, bool (*fn)(const char *, const void *), const void *arg)
{
    if (json_is_string(v))
        return fn(json_string_value(v), arg);
    size_t i;
    json_t *e;
    json_array_foreach (v, i, e)
        if (!json_is_string(e) || !fn(json_string_value(e), arg))
            return false;
    return true;
}

/* "name/cos:GetObject" is "cos:GetObject" (CAM's spelling with the product name). */
static const char *action_name(const char *a)
{
    const char *slash = strchr(a, '/'), *colon = strchr(a, ':');
    return slash && (!colon || slash < colon) ? slash + 1 : a;
}

static bool valid_action(const char *a, const void *unused)
{
    (void)unused;
    a = action_name(a);
    if (!strcmp(a, "*") || !strncasecmp(a, "cos:", 4))
        return a[0] == '*' || a[4] != 0;
    if (strncasecmp(a, "s3:", 3) != 0 || !a[3])
        return false;
    if (bucket_policy_names_known_action(a))
        return true;
    /* S3's actions yun has no operation for (s3:PutReplicationConfiguration...) are accepted */
    return strchr(a, '*') == NULL;
}

/* The bucket pattern of a resource ("arn:aws:s3:::B/K", "qcs::cos:R:uid/A:B/K", "*"); NULL when
 * the resource is neither form. */
static const char *resource_path(const char *r, char *buf, size_t len)
{
    if (!strcmp(r, "*"))
        return "*";
    if (!strncmp(r, "arn:aws:s3:::", 13))
        return r + 13;
    char seg[6][256];
    const char *p = r;
    for (int i = 0; i < 5; i++) {
        const char *c = strchr(p, ':');
        if (!c || c - p >= 256)
            return NULL;
        snprintf(seg[i], sizeof seg[i], "%.*s", (int)(c - p), p);
        p = c + 1;
    }
    if (strcmp(seg[0], "qcs") != 0 || strcasecmp(seg[2], "cos") != 0 || !*p)
        return NULL;
    snprintf(buf, len, "%s", p);
    return buf;
}

/* Can the resource name the bucket or something in it? */
static bool resource_in_bucket(const char *r, const void *bucket)
{
    char buf[1100];
    const char *path = resource_path(r, buf, sizeof buf);
    if (!path || !*path)
        return false;
    if (!strcmp(path, "*"))
        return true;
    char bpat[1100];
    size_t n = strcspn(path, "/");
    snprintf(bpat, sizeof bpat, "%.*s", (int)n, path);
    /* "*" in the bucket part reaches across '/': "arn:aws:s3:::*" covers every object too */
    return policy_glob(bpat, bucket, 0) || (strchr(bpat, '*') && n == strlen(path));
}

/* Principal values: "*", an account ("123", "arn:aws:iam::123:root"), a user or role ARN, or
 * CAM's "qcs::cam::uin/A:uin/U", "qcs::cam::uin/A:root", "qcs::cam::anyone:anyone". */
static bool valid_principal(const char *p, const void *unused)
{
    (void)unused;
    if (!strcmp(p, "*") || !strcmp(p, "qcs::cam::anyone:anyone"))
        return true;
    if (!strncmp(p, "arn:aws:iam::", 13)) {
        const char *c = strchr(p + 13, ':');
        return c && c > p + 13 &&
               (!strcmp(c + 1, "root") || (!strncmp(c + 1, "user/", 5) && c[6]) ||
                (!strncmp(c + 1, "role/", 5) && c[6]));
    }
    if (!strncmp(p, "qcs::cam::uin/", 14)) {
        const char *c = strchr(p + 14, ':');
        return c && c > p + 14 && (!strcmp(c + 1, "root") || (!strncmp(c + 1, "uin/", 4) && c[5]));
    }
    if (!*p || strlen(p) > 64)
        return false;
    for (const char *c = p; *c; c++)
        if (!(*c >= '0' && *c <= '9') && !(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && *c != '-' &&
            *c != '_')
            return false;
    return true;
}

/* A Service principal's name ("logging.s3.amazonaws.com", any other service's too: the grammar is
 * accepted, only yun's log delivery is ever such a caller). */
static bool valid_service(const char *p, const void *unused)
{
    (void)unused;
    if (!*p || strlen(p) > 128)
        return false;
    for (const char *c = p; *c; c++)
        if (!(*c >= '0' && *c <= '9') && !(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && *c != '-' &&
            *c != '.' && *c != '*')
            return false;
    return true;
}

/* A Federated principal (an identity provider's name or ARN): accepted, and it names no yun caller. */
static bool valid_federated(const char *p, const void *unused)
{
    (void)unused;
    if (!*p || strlen(p) > 256)
        return false;
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

static bool strings(json_t *v) { return policy_string_or_strings(v); }

static int valid_principal_block(json_t *p)
{
    if (json_is_string(p))
        return !strcmp(json_string_value(p), "*");
    if (!json_is_object(p) || json_object_size(p) == 0)
        return 0;
    const char *k;
    json_t *v;
    json_object_foreach (p, k, v) {
        /* Service principals name only yun's own log delivery (BUCKET_POLICY_LOG_SERVICE); Federated
         * ones are accepted and name no yun caller */
        bool service = !strcmp(k, "Service"), federated = !strcmp(k, "Federated");
        if (strcmp(k, "AWS") && strcmp(k, "CanonicalUser") && strcasecmp(k, "qcs") && !service && !federated)
            return 0;
        if (!strings(v) || !every_of(v, service ? valid_service : federated ? valid_federated : valid_principal, NULL))
            return 0;
    }
    return 1;
}

/* The condition keys yun gives a value. */
static const struct policy_key s3_keys[] = {
    {"aws:SourceIp", "ip_ string_"},
    {"aws:SecureTransport", "bool_ string_"},
    {"aws:Referer", "string_"},
    {"aws:UserAgent", "string_"},
    {"aws:CurrentTime", "date_ string_"},
    {"aws:EpochTime", "numeric_ date_"},
    {"aws:PrincipalAccount", "string_"},
    {"aws:SourceAccount", "string_"},
    {"aws:SourceArn", "string_"},
    {"aws:username", "string_"},
    {"aws:userid", "string_"},
    {"qcs:ip", "ip_ string_"},
    {"s3:prefix", "string_"},
    {"s3:delimiter", "string_"},
    {"s3:max-keys", "numeric_ string_"},
    {"s3:x-amz-acl", "string_"},
    {"s3:x-amz-grant-*", "string_"},
    {"s3:x-amz-server-side-encryption*", "string_"},
    {"s3:x-amz-copy-source", "string_"},
    {"s3:x-amz-metadata-directive", "string_"},
    {"s3:x-amz-storage-class", "string_"},
    {"s3:ExistingObjectTag/*", "string_"},
    {"s3:RequestObjectTag/*", "string_"},
    {"s3:RequestObjectTagKeys", "string_"},
    {"s3:VersionId", "string_"},
    {"s3:signatureversion", "string_"},
    {"s3:authType", "string_"},
};
#define S3_KEYS_SUPPORTED "the aws: and s3: keys docs/object-storage.md lists"

json_t *bucket_policy_parse(const char *text, size_t len, char *why, size_t wlen)
{
    if (len > BUCKET_POLICY_MAX_BYTES) {
        snprintf(why, wlen, "Policies must be no larger than %d bytes", BUCKET_POLICY_MAX_BYTES);
        return NULL;
    }
    json_error_t err;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        snprintf(why, wlen, "This policy contains invalid Json (%s)", err.text);
        return NULL;
    }
    return doc;
}

static int statement_valid(json_t *s, size_t i, const char *bucket, char *why, size_t len)
{
    static const char *const fields[] = {"Sid",       "Effect",   "Principal",   "NotPrincipal", "Action",
                                         "NotAction", "Resource", "NotResource", "Condition"};
    if (!json_is_object(s)) {
        snprintf(why, len, "Statement %zu is not an object", i);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach (s, k, v) {
        size_t f = 0;
        while (f < sizeof fields / sizeof fields[0] && strcasecmp(fields[f], k))
            f++;
        if (f == sizeof fields / sizeof fields[0]) {
            snprintf(why, len, "Statement %zu: unknown field %s", i, k);
            return -1;
        }
    }
    const char *effect = json_string_value(member(s, "Effect"));
    if (!effect || (strcasecmp(effect, "Allow") && strcasecmp(effect, "Deny"))) {
        snprintf(why, len, "Statement %zu: Effect must be Allow or Deny", i);
        return -1;
    }
    json_t *p = member(s, "Principal"), *np = member(s, "NotPrincipal");
    if (!p == !np) {
        snprintf(why, len, "Statement %zu: %s", i,
                 p ? "Principal and NotPrincipal cannot both be given" : "Missing required field Principal");
        return -1;
    }
    if (np && strcasecmp(effect, "Deny")) {
        snprintf(why, len, "Statement %zu: NotPrincipal is allowed only with Effect Deny", i);
        return -1;
    }
    if (!valid_principal_block(p ? p : np)) {
        snprintf(why, len, "Statement %zu: Invalid principal in policy", i);
        return -1;
    }
    json_t *a = member(s, "Action"), *na = member(s, "NotAction");
    if (!a == !na) {
        snprintf(why, len, "Statement %zu: %s", i,
                 a ? "Action and NotAction cannot both be given" : "Missing required field Action");
        return -1;
    }
    if (!strings(a ? a : na) || !every_of(a ? a : na, valid_action, NULL)) {
        snprintf(why, len, "Statement %zu: Policy has invalid action", i);
        return -1;
    }
    json_t *r = member(s, "Resource"), *nr = member(s, "NotResource");
    if (!r == !nr) {
        snprintf(why, len, "Statement %zu: %s", i,
                 r ? "Resource and NotResource cannot both be given" : "Missing required field Resource");
        return -1;
    }
    if (!strings(r ? r : nr) || !every_of(r ? r : nr, resource_in_bucket, bucket)) {
        snprintf(why, len, "Statement %zu: Policy has invalid resource", i);
        return -1;
    }
    json_t *c = member(s, "Condition");
    if (c &&
        policy_conditions_validate(c, s3_keys, sizeof s3_keys / sizeof s3_keys[0], S3_KEYS_SUPPORTED, i, why, len) != 0)
        return -1;
    json_t *sid = member(s, "Sid");
    if (sid && !json_is_string(sid)) {
        snprintf(why, len, "Statement %zu: Sid must be a string", i);
        return -1;
    }
    return 0;
}

int bucket_policy_validate(json_t *doc, const char *bucket, char *why, size_t len)
{
    if (!json_is_object(doc)) {
        snprintf(why, len, "The policy must be a JSON object");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach (doc, k, v) {
        if (strcasecmp(k, "Version") && strcasecmp(k, "Id") && strcasecmp(k, "Statement")) {
            snprintf(why, len, "Unknown field %s", k);
            return -1;
        }
    }
    json_t *ver = member(doc, "Version");
    const char *version = json_string_value(ver);
    if (ver &&
        (!version || (strcmp(version, "2012-10-17") && strcmp(version, "2008-10-17") && strcmp(version, "2.0")))) {
        snprintf(why, len, "Version must be \"2012-10-17\" or \"2008-10-17\" (COS: \"2.0\")");
        return -1;
    }
    json_t *st = member(doc, "Statement");
    if (!json_is_object(st) && !(json_is_array(st) && json_array_size(st) > 0)) {
        snprintf(why, len, "Missing required field Statement");
        return -1;
    }
    size_t n = json_is_object(st) ? 1 : json_array_size(st);
    for (size_t i = 0; i < n; i++)
        if (statement_valid(json_is_object(st) ? st : json_array_get(st, i), i, bucket, why, len) != 0)
            return -1;
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

static bool is_anyone(const char *p) { return !strcmp(p, "*") || !strcmp(p, "qcs::cam::anyone:anyone"); }

/* Does one principal value name the caller? Account forms name the account's root, and the
 * account's users only when it is another account than the bucket's (S3's delegation: their own
 * account's CAM must then allow too, which the caller checks); the owner's own users are granted
 * by user ARNs or by CAM. */
static bool principal_names(const char *p, const void *arg)
{
    const struct bp_request *q = arg;
    if (is_anyone(p))
        return true;
    if (q->anonymous)
        return false;
    char account[72], rest[200];
    rest[0] = 0;
    if (!strncmp(p, "arn:aws:iam::", 13) || !strncmp(p, "qcs::cam::uin/", 14)) {
        const char *a = p + (p[0] == 'a' ? 13 : 14), *c = strchr(a, ':');
        if (!c || (size_t)(c - a) >= sizeof account)
            return false;
        snprintf(account, sizeof account, "%.*s", (int)(c - a), a);
        snprintf(rest, sizeof rest, "%s", c + 1);
    } else {
        snprintf(account, sizeof account, "%s", p);
        snprintf(rest, sizeof rest, "root");
    }
    if (strcmp(account, q->account) != 0)
        return false;
    bool root = !q->role && !strcmp(q->user, q->account);
    if (!strcmp(rest, "root"))
        return root || strcmp(q->account, q->owner) != 0;
    if (!strncmp(rest, "user/", 5)) {
        const char *name = strrchr(rest, '/') + 1; /* a user ARN may carry a path */
        return !q->role && !strcmp(name, q->user);
    }
    if (!strncmp(rest, "uin/", 4))
        return !q->role && !strcmp(rest + 4, q->user);
    if (!strncmp(rest, "role/", 5))
        return q->role && !strcmp(strrchr(rest, '/') + 1, q->role);
    return false;
}

static bool service_named(const char *p, const void *arg)
{
    const struct bp_request *q = arg;
    return !strcmp(p, q->service);
}

static bool anyone_value(const char *p, const void *unused);

/* Does the principal block name the caller? A service's request (q->service) is named by a Service
 * principal with its name, and, for a Deny (deny), by "*" too: a bucket that denies everyone
 * denies the log delivery as well. */
static bool principal_block_names(json_t *p, const struct bp_request *q, bool deny)
{
    if (q->service) {
        if (json_is_string(p))
            return deny && is_anyone(json_string_value(p));
        const char *k;
        json_t *v;
        json_object_foreach (p, k, v) {
            if (!strcmp(k, "Service") && any_of(v, service_named, q))
                return true;
            if (deny && strcmp(k, "Service") && strcmp(k, "Federated") && any_of(v, anyone_value, NULL))
                return true;
        }
        return false;
    }
    if (json_is_string(p))
        return principal_names(json_string_value(p), q);
    const char *k;
    json_t *v;
    json_object_foreach (p, k, v)
        if (strcmp(k, "Service") && strcmp(k, "Federated") && any_of(v, principal_names, q))
            return true;
    return false;
}

static bool action_matches(const char *pattern, const void *arg)
{
    const struct bp_request *q = arg;
    pattern = action_name(pattern);
    if (!strcmp(pattern, "*"))
        return true;
    if (!strncasecmp(pattern, "s3:", 3))
        return q->s3_action && policy_glob(pattern, q->s3_action, 1);
    return q->cos_action && policy_glob(pattern, q->cos_action, 1);
}

static bool resource_matches(const char *pattern, const void *arg)
{
    const struct bp_request *q = arg;
    if (!strcmp(pattern, "*"))
        return true;
    char target[1400];
    if (!strncmp(pattern, "arn:aws:s3:::", 13)) {
        const char *path = pattern + 13;
        if (q->any_key) { /* some key of the bucket: its bucket part names it and it names objects */
            size_t n = strcspn(path, "/");
            char bpat[1100];
            snprintf(bpat, sizeof bpat, "%.*s", (int)n, path);
            return path[n] ? policy_glob(bpat, q->bucket, 0) : strchr(path, '*') && policy_glob(path, q->bucket, 0);
        }
        snprintf(target, sizeof target, "%s%s%s", q->bucket, q->key ? "/" : "", q->key ? q->key : "");
        return policy_glob(path, target, 0);
    }
    if (q->any_key)
        return false; /* qcs resources: CAM's cos:DeleteMultipleObjects names the bucket itself */
    snprintf(target, sizeof target, "qcs::cos:%s:uid/%s:%s/%s", q->region ? q->region : "", q->app_id ? q->app_id : "",
             q->bucket, q->key ? q->key : "");
    return policy_resource_match(pattern, target) == 1;
}

/* Keys that fix who or where the caller is: a statement conditioned on one is not public. */
static const char *const narrowing_keys[] = {"aws:SourceIp",     "aws:SourceAccount",    "aws:SourceArn",
                                             "aws:SourceVpc",    "aws:SourceVpce",       "aws:SourceOwner",
                                             "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID",
                                             "aws:userid",       "aws:username",         "qcs:ip"};

static bool narrows(json_t *cond)
{
    const char *op;
    json_t *keys;
    json_object_foreach (cond, op, keys) {
        char cam[64];
        policy_operator(op, cam, sizeof cam);
        if (strstr(cam, "not_") || !strncmp(cam, "null", 4) || strstr(cam, "_if_exist"))
            continue; /* "not from this address", "if it is there" fix nothing */
        const char *key;
        json_t *v;
        json_object_foreach (keys, key, v) {
            for (size_t i = 0; i < sizeof narrowing_keys / sizeof narrowing_keys[0]; i++) {
                if (strcasecmp(key, narrowing_keys[i]))
                    continue;
                char s[64] = "";
                json_t *one = json_is_array(v) ? json_array_get(v, 0) : v;
                if (json_is_string(one))
                    snprintf(s, sizeof s, "%s", json_string_value(one));
                /* an address range of everything, or a wildcard, fixes nothing either */
                if (strcmp(s, "0.0.0.0/0") && strcmp(s, "::/0") && strcmp(s, "*"))
                    return true;
            }
        }
    }
    return false;
}

static bool anyone_value(const char *p, const void *unused)
{
    (void)unused;
    return is_anyone(p);
}

static bool principal_is_anyone(json_t *p)
{
    if (json_is_string(p))
        return is_anyone(json_string_value(p));
    const char *k;
    json_t *v;
    json_object_foreach (p, k, v)
        if (strcmp(k, "Service") && strcmp(k, "Federated") && any_of(v, anyone_value, NULL))
            return true;
    return false;
}

static bool public_statement(json_t *s)
{
    const char *effect = json_string_value(member(s, "Effect"));
    json_t *p = member(s, "Principal"), *c = member(s, "Condition");
    return effect && !strcasecmp(effect, "Allow") && p && principal_is_anyone(p) && !(c && narrows(c));
}

bool bucket_policy_is_public(json_t *doc)
{
    json_t *st = member(doc, "Statement");
    size_t n = json_is_object(st) ? 1 : json_array_size(st);
    for (size_t i = 0; i < n; i++)
        if (public_statement(json_is_object(st) ? st : json_array_get(st, i)))
            return true;
    return false;
}

enum bp_effect bucket_policy_evaluate(json_t *doc, const struct bp_request *q)
{
    json_t *st = member(doc, "Statement");
    size_t n = json_is_object(st) ? 1 : json_array_size(st);
    /* RestrictPublicBuckets: a public policy's Allows reach only the owner's account */
    bool restricted =
        q->restrict_public && (q->anonymous || strcmp(q->account, q->owner) != 0) && bucket_policy_is_public(doc);
    enum bp_effect result = BP_NONE;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_is_object(st) ? st : json_array_get(st, i);
        const char *effect = json_string_value(member(s, "Effect"));
        bool deny = effect && !strcasecmp(effect, "Deny");
        if (!effect || (!deny && (restricted || result == BP_ALLOW)) || (deny && q->any_key))
            continue; /* any_key: a Deny is for the keys it names, asked one by one */
        json_t *p = member(s, "Principal"), *np = member(s, "NotPrincipal");
        if (p ? !principal_block_names(p, q, deny) : !np || principal_block_names(np, q, true))
            continue;
        json_t *a = member(s, "Action"), *na = member(s, "NotAction");
        if (a ? !any_of(a, action_matches, q) : !na || any_of(na, action_matches, q))
            continue;
        json_t *r = member(s, "Resource"), *nr = member(s, "NotResource");
        if (r ? !any_of(r, resource_matches, q) : !nr || any_of(nr, resource_matches, q))
            continue;
        json_t *c = member(s, "Condition");
        if (c && !(q->lookup && policy_conditions_hold(c, q->lookup, q->arg)))
            continue;
        if (deny)
            return BP_DENY;
        result = BP_ALLOW;
    }
    return result;
}
