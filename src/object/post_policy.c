/*
 * post_policy: a POST object form's policy document. The signature over the base64 policy is
 * SigV4's (x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature: HMAC-SHA256 with the
 * signing key of the credential's date and region) or SigV2's (AWSAccessKeyId, signature:
 * HMAC-SHA1), against the key identity knows; then the document: an expiration in the future
 * (ISO 8601, UTC), and conditions that all hold: {"field": "value"} and ["eq", "$field", "value"]
 * (exact), ["starts-with", "$field", "prefix"], ["content-length-range", min, max] (checked when
 * the file is in); a bucket condition; and every form field but the signature's own and
 * x-ignore-* named by one (S3's "Extra input fields").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "object/post.h"

/* ---------------------------------------------------------------- the policy */

static int policy_time(const char *s, int64_t *out)
{
    struct tm tm = {0};
    const char *e = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!e)
        return -1;
    if (*e == '.') {
        e++;
        while (isdigit((unsigned char)*e))
            e++;
    }
    if (strcmp(e, "Z") != 0)
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static void policy_refused(struct rq *r, const char *why)
{
    char msg[300];
    snprintf(msg, sizeof msg, "Invalid according to Policy: %s", why);
    fail(r, 403, "AccessDenied", msg);
}

static void bad_policy(struct rq *r, const char *why)
{
    char msg[300];
    snprintf(msg, sizeof msg, "Invalid Policy: %s", why);
    fail(r, 400, "InvalidPolicyDocument", msg);
}

/* The value a condition names: the bucket, the key (${filename} filled in) or a form field. */
static const char *cond_value(struct rq *r, const char *name, bool covered[])
{
    struct post_form *f = r->form;
    if (*name == '$')
        name++;
    if (strcasecmp(name, "bucket") == 0)
        return r->bucket;
    for (int i = 0; i < f->nf; i++)
        if (strcasecmp(f->name[i], name) == 0) {
            covered[i] = true;
            return strcasecmp(name, "key") == 0 ? f->key : f->value[i];
        }
    return NULL;
}

static int check_conditions(struct rq *r, json_t *conds)
{
    struct post_form *f = r->form;
    bool covered[FORM_MAX_FIELDS] = {false}, bucket = false;
    size_t i;
    json_t *c;
    if (!json_is_array(conds)) {
        bad_policy(r, "Missing or invalid conditions.");
        return -1;
    }
    json_array_foreach (conds, i, c) {
        const char *op, *name, *want;
        if (json_is_object(c)) {
            if (json_object_size(c) != 1) {
                bad_policy(r, "A condition object must have exactly one field.");
                return -1;
            }
            void *it = json_object_iter(c);
            op = "eq";
            name = json_object_iter_key(it);
            want = json_string_value(json_object_iter_value(it));
        } else if (json_is_array(c) && json_array_size(c) == 3 && json_is_string(json_array_get(c, 0)) &&
                   strcasecmp(json_string_value(json_array_get(c, 0)), "content-length-range") == 0) {
            json_t *lo = json_array_get(c, 1), *hi = json_array_get(c, 2);
            if (!json_is_integer(lo) || !json_is_integer(hi) || json_integer_value(lo) < 0 ||
                json_integer_value(hi) < json_integer_value(lo)) {
                bad_policy(r, "Invalid content-length-range.");
                return -1;
            }
            f->range_min = json_integer_value(lo);
            f->range_max = json_integer_value(hi);
            continue;
        } else if (json_is_array(c) && json_array_size(c) == 3 && json_is_string(json_array_get(c, 0)) &&
                   json_is_string(json_array_get(c, 1)) && json_is_string(json_array_get(c, 2)) &&
                   json_string_value(json_array_get(c, 1))[0] == '$') {
            op = json_string_value(json_array_get(c, 0));
            name = json_string_value(json_array_get(c, 1));
            want = json_string_value(json_array_get(c, 2));
            if (strcasecmp(op, "eq") && strcasecmp(op, "starts-with")) {
                bad_policy(r, "Unknown condition operation.");
                return -1;
            }
        } else {
            bad_policy(r, "Invalid condition.");
            return -1;
        }
        if (!want) {
            bad_policy(r, "A condition's value must be a string.");
            return -1;
        }
        const char *n = *name == '$' ? name + 1 : name;
        bucket |= strcasecmp(n, "bucket") == 0;
        const char *got = cond_value(r, name, covered);
        char why[200];
        snprintf(why, sizeof why, "Policy Condition failed: [\"%s\", \"$%.60s\", \"%.60s\"]", op, n, want);
        /* ["starts-with", "$field", ""] allows anything, the field's absence too (s3-tests'
         * test_sse_s3_default_post_object_authenticated_request) */
        bool any = strcasecmp(op, "starts-with") == 0 && !*want;
        if (!got && !any) {
            policy_refused(r, why);
            return -1;
        }
        bool ok = any || (strcasecmp(op, "eq") == 0 ? strcmp(got, want) == 0 : strncmp(got, want, strlen(want)) == 0);
        if (!ok) {
            policy_refused(r, why);
            return -1;
        }
    }
    if (!bucket) {
        policy_refused(r, "Policy Condition failed: [\"eq\", \"$bucket\", ...] is missing.");
        return -1;
    }
    static const char *const exempt[] = {"awsaccesskeyid", "signature", "policy", "x-amz-signature", "file"};
    for (int k = 0; k < f->nf; k++) {
        bool skip = strncasecmp(f->name[k], "x-ignore-", 9) == 0 ||
                    checksum_algo_from_header(f->name[k]) != CHECKSUM_NONE; /* checked against the file */
        for (size_t e = 0; e < sizeof exempt / sizeof exempt[0]; e++)
            skip |= strcasecmp(f->name[k], exempt[e]) == 0;
        if (!skip && !covered[k]) {
            char why[200];
            snprintf(why, sizeof why, "Extra input fields: %.100s", f->name[k]);
            policy_refused(r, why);
            return -1;
        }
    }
    return 0;
}

/* Verifies the signature over the policy (SigV4 or SigV2) and the policy itself; sets the
 * caller. 0, or -1 (recorded). */
int post_check_policy(struct rq *r, const char *policy)
{
    struct post_form *f = r->form;
    const char *v4sig = post_field(f, "x-amz-signature"), *cred = post_field(f, "x-amz-credential");
    const char *algo = post_field(f, "x-amz-algorithm"), *v2key = post_field(f, "AWSAccessKeyId");
    const char *v2sig = post_field(f, "signature");
    char ak[128] = "", date[16] = "", region[64] = "";
    if (v4sig || cred || algo) {
        if (!v4sig || !cred || !algo || strcmp(algo, "AWS4-HMAC-SHA256") != 0 ||
            sscanf(cred, "%127[^/]/%15[^/]/%63[^/]/s3/aws4_request", ak, date, region) != 3) {
            fail(r, 400, "InvalidArgument", "POST requires x-amz-algorithm, x-amz-credential and x-amz-signature.");
            return -1;
        }
    } else if (!v2key || !v2sig) {
        fail(r, 400, "InvalidArgument",
             "Bucket POST must contain a field named 'AWSAccessKeyId' and 'signature' if it has a policy.");
        return -1;
    } else {
        snprintf(ak, sizeof ak, "%s", v2key);
    }
    if (auth_lookup_key(r, ak) != 0)
        return -1;
    bool good;
    if (v4sig) {
        uint8_t key[32], mac[32];
        char hex[65];
        sigv4_signing_key(r->secret, date, region, "s3", key);
        hmac_sha256(key, sizeof key, policy, strlen(policy), mac);
        hex_encode(mac, sizeof mac, hex);
        good = strlen(v4sig) == 64 && const_time_eq(hex, v4sig, 64);
        r->auth = AUTH_V4;
    } else {
        uint8_t mac[20];
        char b64[40];
        hmac_sha1(r->secret, strlen(r->secret), policy, strlen(policy), mac);
        size_t n = obj_base64_encode(mac, sizeof mac, b64);
        good = strlen(v2sig) == n && const_time_eq(b64, v2sig, n);
        r->auth = AUTH_V2;
    }
    if (!good) {
        r->auth_failed = true;
        fail(r, 403, "SignatureDoesNotMatch",
             "The request signature we calculated does not match the signature you provided.");
        return -1;
    }
    size_t plen = strlen(policy);
    uint8_t *doc = malloc(plen + 1);
    long dl = doc ? obj_base64_decode(policy, plen, doc, plen) : -1;
    json_t *j = dl > 0 ? json_loadb((const char *)doc, (size_t)dl, 0, NULL) : NULL;
    free(doc);
    int64_t exp;
    int rc = -1;
    if (!json_is_object(j))
        bad_policy(r, "The policy is not a base64-encoded JSON object.");
    else if (!json_object_get(j, "expiration"))
        bad_policy(r, "Policy missing expiration.");
    else if (policy_time(json_string_value(json_object_get(j, "expiration")), &exp) != 0)
        bad_policy(r, "Invalid expiration.");
    else if (exp < time_now())
        policy_refused(r, "Policy expired.");
    else
        rc = check_conditions(r, json_object_get(j, "conditions"));
    json_decref(j);
    return rc;
}
