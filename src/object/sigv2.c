/*
 * sigv2.c - AWS Signature Version 2 verification for S3.
 *
 * The sub-resource list (query parameters that belong in the
 * CanonicalizedResource) is botocore's HmacV1Auth.QSAOfInterest, because the
 * clients that still speak SigV2 (boto/botocore, s3cmd, s3-tests) sign with
 * it; a parameter on one side's list and not the other's breaks signatures.
 * Sub-resource values are signed URL-decoded; the path is signed exactly as
 * it came on the wire (still encoded), with "/bucket" in front for
 * virtual-hosted requests.
 */
#include "sigv2.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checksum.h"

static const struct sigv2_error errors[] = {
    [SIGV2_OK] = {"", 200, ""},
    [SIGV2_ABSENT] = {"AccessDenied", 403, "Access Denied"},
    [SIGV2_HEADER_MALFORMED] = {"InvalidArgument", 400,
                                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"},
    [SIGV2_QUERY_MALFORMED] =
        {"AccessDenied", 403,
         "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"},
    [SIGV2_MULTIPLE_AUTH] = {"InvalidArgument", 400, "Only one auth mechanism allowed"},
    [SIGV2_MISSING_DATE] = {"AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header"},
    [SIGV2_TIME_SKEWED] = {"RequestTimeTooSkewed", 403,
                           "The difference between the request time and the current time is too large."},
    [SIGV2_EXPIRED] = {"AccessDenied", 403, "Request has expired"},
    [SIGV2_SIGNATURE_MISMATCH] = {"SignatureDoesNotMatch", 403,
                                  "The request signature we calculated does not match the signature you "
                                  "provided. Check your key and signing method."},
    [SIGV2_TOO_LARGE] = {"InvalidRequest", 400, "The request is too large to authenticate."},
    [SIGV2_INTERNAL] = {"InternalError", 500, "We encountered an internal error. Please try again."},
};

const struct sigv2_error *sigv2_error_of(enum sigv2_status st)
{
    if ((unsigned)st >= sizeof(errors) / sizeof(errors[0]))
        return &errors[SIGV2_INTERNAL];
    return &errors[st];
}

/* botocore HmacV1Auth.QSAOfInterest (1.43). */
static const char *const subresources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

static bool is_subresource(const char *name)
{
    for (size_t i = 0; i < sizeof(subresources) / sizeof(subresources[0]); i++)
        if (strcmp(name, subresources[i]) == 0)
            return true;
    return false;
}

static const char *header(const struct obj_request *req, const char *name)
{
    return req->header ? req->header(req->ctx, name) : NULL;
}

enum sigv2_status sigv2_parse(const struct obj_request *req, struct sigv2_auth *auth)
{
    struct obj_query q;
    const char *authz = header(req, "authorization");
    bool hdr = authz && strncmp(authz, "AWS ", 4) == 0;
    enum sigv2_status st = SIGV2_OK;

    memset(auth, 0, sizeof(*auth));
    if (obj_query_parse(req->raw_query, &q) != 0)
        return SIGV2_TOO_LARGE;
    const char *ak = obj_query_get(&q, "AWSAccessKeyId");
    const char *sig = obj_query_get(&q, "Signature");
    const char *exp = obj_query_get(&q, "Expires");
    bool qry = ak || (sig && exp);

    if (hdr && qry) {
        st = SIGV2_MULTIPLE_AUTH;
    } else if (hdr) {
        const char *p = authz + 4;
        const char *colon = strrchr(p, ':');
        size_t aklen = colon ? (size_t)(colon - p) : 0;
        size_t siglen = colon ? strlen(colon + 1) : 0;
        if (!colon || aklen == 0 || aklen >= sizeof(auth->access_key) || siglen == 0 ||
            siglen >= sizeof(auth->signature) || memchr(p, ' ', aklen) || strchr(colon + 1, ' '))
            st = SIGV2_HEADER_MALFORMED;
        else {
            memcpy(auth->access_key, p, aklen);
            memcpy(auth->signature, colon + 1, siglen + 1);
        }
    } else if (qry) {
        auth->presigned = true;
        size_t elen = exp ? strlen(exp) : 0;
        if (!ak || !sig || !exp || !*ak || strlen(ak) >= sizeof(auth->access_key) || !*sig ||
            strlen(sig) >= sizeof(auth->signature) || elen == 0 || elen > 12 || strspn(exp, "0123456789") != elen)
            st = SIGV2_QUERY_MALFORMED;
        else {
            strcpy(auth->access_key, ak);
            strcpy(auth->signature, sig);
            auth->expires = strtoll(exp, NULL, 10);
        }
    } else {
        st = SIGV2_ABSENT;
    }
    obj_query_free(&q);
    return st;
}

struct amz_header {
    char *name; /* lower-case */
    char *value;
    size_t seq;
};

struct amz_collect {
    struct amz_header *v;
    size_t n, cap;
    bool failed;
};

#define MAX_AMZ_HEADERS 128

static void collect_amz(void *arg, const char *name, const char *value)
{
    struct amz_collect *c = arg;
    if (c->failed || strncasecmp(name, "x-amz-", 6) != 0)
        return;
    if (c->n == MAX_AMZ_HEADERS) {
        c->failed = true;
        return;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct amz_header *v = realloc(c->v, cap * sizeof(*v));
        if (!v) {
            c->failed = true;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    struct amz_header *h = &c->v[c->n];
    h->name = strdup(name);
    h->value = strdup(value ? value : "");
    h->seq = c->n;
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        c->failed = true;
        return;
    }
    for (char *p = h->name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    c->n++;
}

static int cmp_amz(const void *a, const void *b)
{
    const struct amz_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct sub {
    const char *name, *value;
    bool has_eq;
    size_t seq;
};

static int cmp_sub(const void *a, const void *b)
{
    const struct sub *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

enum sigv2_status sigv2_string_to_sign(const struct obj_request *req, const struct sigv2_auth *auth,
                                       const char *vhost_bucket, const char *date_line, struct obj_buf *out)
{
    struct amz_collect amz = {0};
    struct obj_query q;
    enum sigv2_status st = SIGV2_OK;
    char expires[24];

    obj_buf_init(out, SIGV2_MAX_STRING_TO_SIGN);
    if (obj_query_parse(req->raw_query, &q) != 0)
        return SIGV2_TOO_LARGE;
    obj_buf_puts(out, req->method);
    obj_buf_putc(out, '\n');
    const char *md5 = header(req, "content-md5");
    const char *ctype = header(req, "content-type");
    obj_buf_put_trimmed(out, md5 ? md5 : "", false);
    obj_buf_putc(out, '\n');
    obj_buf_put_trimmed(out, ctype ? ctype : "", false);
    obj_buf_putc(out, '\n');
    if (!date_line) {
        if (auth->presigned) {
            snprintf(expires, sizeof(expires), "%lld", (long long)auth->expires);
            date_line = expires;
        } else if (header(req, "x-amz-date")) {
            date_line = "";
        } else {
            date_line = header(req, "date");
        }
    }
    obj_buf_put_trimmed(out, date_line ? date_line : "", false);
    obj_buf_putc(out, '\n');

    if (req->each_header)
        req->each_header(req->ctx, collect_amz, &amz);
    if (amz.failed) {
        st = SIGV2_TOO_LARGE;
        goto out;
    }
    if (amz.n)
        qsort(amz.v, amz.n, sizeof(*amz.v), cmp_amz);
    for (size_t i = 0; i < amz.n; i++) {
        if (i == 0 || strcmp(amz.v[i].name, amz.v[i - 1].name) != 0) {
            if (i)
                obj_buf_putc(out, '\n');
            obj_buf_puts(out, amz.v[i].name);
            obj_buf_putc(out, ':');
        } else {
            obj_buf_putc(out, ',');
        }
        obj_buf_put_trimmed(out, amz.v[i].value, false);
    }
    if (amz.n)
        obj_buf_putc(out, '\n');

    if (vhost_bucket && *vhost_bucket) {
        obj_buf_putc(out, '/');
        obj_buf_puts(out, vhost_bucket);
    }
    obj_buf_puts(out, req->raw_path && *req->raw_path ? req->raw_path : "/");
    struct sub subs[OBJ_QUERY_MAX_PARAMS];
    size_t ns = 0;
    for (size_t i = 0; i < q.n; i++)
        if (is_subresource(q.v[i].name))
            subs[ns++] = (struct sub){q.v[i].name, q.v[i].value, q.v[i].has_eq, i};
    qsort(subs, ns, sizeof(subs[0]), cmp_sub);
    for (size_t i = 0; i < ns; i++) {
        obj_buf_putc(out, i ? '&' : '?');
        obj_buf_puts(out, subs[i].name);
        if (subs[i].has_eq) {
            obj_buf_putc(out, '=');
            obj_buf_puts(out, subs[i].value);
        }
    }
    if (out->failed)
        st = SIGV2_TOO_LARGE;
out:
    for (size_t i = 0; i < amz.n; i++) {
        free(amz.v[i].name);
        free(amz.v[i].value);
    }
    free(amz.v);
    obj_query_free(&q);
    return st;
}

static enum sigv2_status check(const struct obj_request *req, const struct sigv2_auth *auth, const char *vhost_bucket,
                               const char *secret, const char *date_line)
{
    struct obj_buf sts;
    uint8_t mac[20];
    char b64[32];
    enum sigv2_status st = sigv2_string_to_sign(req, auth, vhost_bucket, date_line, &sts);
    if (st == SIGV2_OK) {
        hmac_sha1(secret, strlen(secret), sts.p, sts.len, mac);
        obj_base64_encode(mac, 20, b64);
        st = obj_str_equal_ct(b64, auth->signature) ? SIGV2_OK : SIGV2_SIGNATURE_MISMATCH;
    }
    obj_buf_free(&sts);
    return st;
}

/* A path-style request to a bucket itself ("/bucket", no key) is signed by some clients (botocore's
 * HmacV1 among them) over "/bucket/", the resource as S3 spells a bucket; both name the same
 * bucket, so both are accepted. */
static enum sigv2_status check_resource(const struct obj_request *req, const struct sigv2_auth *auth,
                                        const char *vhost_bucket, const char *secret, const char *date_line)
{
    enum sigv2_status st = check(req, auth, vhost_bucket, secret, date_line);
    const char *p = req->raw_path;
    if (st != SIGV2_SIGNATURE_MISMATCH || (vhost_bucket && *vhost_bucket) || !p || p[0] != '/' || !p[1] ||
        strchr(p + 1, '/'))
        return st;
    char slashed[1100];
    if (snprintf(slashed, sizeof slashed, "%s/", p) >= (int)sizeof slashed)
        return st;
    struct obj_request alt = *req;
    alt.raw_path = slashed;
    return check(&alt, auth, vhost_bucket, secret, date_line);
}

enum sigv2_status sigv2_verify(const struct obj_request *req, const struct sigv2_auth *auth, const char *vhost_bucket,
                               const char *secret, int64_t now)
{
    if (auth->presigned) {
        if (now > auth->expires)
            return SIGV2_EXPIRED;
        return check_resource(req, auth, vhost_bucket, secret, NULL);
    }
    const char *xdate = header(req, "x-amz-date");
    const char *date = header(req, "date");
    int64_t t;
    if (obj_parse_http_date(xdate ? xdate : date, &t) != 0)
        return SIGV2_MISSING_DATE;
    if (t > now + SIGV2_MAX_SKEW_SECONDS || t < now - SIGV2_MAX_SKEW_SECONDS)
        return SIGV2_TIME_SKEWED;
    enum sigv2_status st = check_resource(req, auth, vhost_bucket, secret, NULL);
    /* With x-amz-date the Date line is empty (AWS docs, boto); some signers
     * put the Date header there anyway, so try that too. */
    if (st == SIGV2_SIGNATURE_MISMATCH && xdate && date)
        st = check_resource(req, auth, vhost_bucket, secret, date);
    return st;
}
