/*
 * sigv4.c - AWS Signature Version 4 verification, the S3 flavour.
 *
 * S3 differs from the generic SigV4 rules in ways that matter to a server:
 * the path is URI-encoded once (decode what came on the wire, re-encode every
 * byte but unreserved ones and '/', no dot-segment normalisation), and the
 * payload hash is whatever x-amz-content-sha256 says (a hex digest, or one of
 * the UNSIGNED/STREAMING literals) rather than a hash of the body. Presigned
 * URLs sign "UNSIGNED-PAYLOAD" unless the query carries X-Amz-Content-Sha256,
 * and leave X-Amz-Signature out of the canonical query.
 *
 * Parsing and verification are split so the caller can resolve the access
 * key to a secret in between; nothing here touches the store.
 */
#include "sigv4.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define ALGORITHM "AWS4-HMAC-SHA256"

static const struct sigv4_error errors[] = {
    [SIGV4_OK] = {"", 200, ""},
    [SIGV4_ABSENT] = {"AccessDenied", 403, "Access Denied"},
    [SIGV4_HEADER_MALFORMED] = {"AuthorizationHeaderMalformed", 400, "The authorization header is malformed."},
    [SIGV4_QUERY_MALFORMED] = {"AuthorizationQueryParametersError", 400,
                               "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                               "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                               "X-Amz-Expires parameters."},
    /* S3 answers an X-Amz-Expires of 0, below 0 or above a week with 403 (s3-tests
     * test_object_raw_get_x_amz_expires_out_*), as it does an expired one */
    [SIGV4_EXPIRES_OUT_OF_RANGE] = {"AccessDenied", 403,
                                    "X-Amz-Expires must be between 1 and 604800 seconds (one week)"},
    [SIGV4_MULTIPLE_AUTH] = {"InvalidArgument", 400, "Only one auth mechanism allowed"},
    [SIGV4_MISSING_DATE] = {"AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header"},
    [SIGV4_MISSING_CONTENT_SHA256] = {"InvalidRequest", 400,
                                      "Missing required header for this request: x-amz-content-sha256"},
    [SIGV4_BAD_CONTENT_SHA256] = {"InvalidArgument", 400,
                                  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                                  "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                                  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."},
    [SIGV4_HOST_NOT_SIGNED] = {"AccessDenied", 403, "The host header must be signed."},
    [SIGV4_TIME_SKEWED] = {"RequestTimeTooSkewed", 403,
                           "The difference between the request time and the current time is too large."},
    [SIGV4_EXPIRED] = {"AccessDenied", 403, "Request has expired"},
    [SIGV4_NOT_YET_VALID] = {"AccessDenied", 403, "Request is not valid yet"},
    [SIGV4_SIGNATURE_MISMATCH] = {"SignatureDoesNotMatch", 403,
                                  "The request signature we calculated does not match the signature you "
                                  "provided. Check your key and signing method."},
    [SIGV4_TOO_LARGE] = {"InvalidRequest", 400, "The request is too large to authenticate."},
    [SIGV4_INTERNAL] = {"InternalError", 500, "We encountered an internal error. Please try again."},
};

const struct sigv4_error *sigv4_error_of(enum sigv4_status st)
{
    if ((unsigned)st >= sizeof(errors) / sizeof(errors[0]))
        return &errors[SIGV4_INTERNAL];
    return &errors[st];
}

static const struct {
    const char *literal;
    enum sigv4_payload kind;
} payload_literals[] = {
    {"UNSIGNED-PAYLOAD", SIGV4_PAYLOAD_UNSIGNED},
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", SIGV4_PAYLOAD_STREAMING_SIGNED},
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", SIGV4_PAYLOAD_STREAMING_SIGNED_TRAILER},
    {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER},
};

static const char *header(const struct obj_request *req, const char *name)
{
    return req->header ? req->header(req->ctx, name) : NULL;
}

static bool copy_field(char *dst, size_t cap, const char *src, size_t len)
{
    if (len == 0 || len >= cap)
        return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

static bool is_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return true;
}

/* "AK/20130524/us-east-1/s3/aws4_request" -> auth fields. */
static bool parse_credential(const char *cred, size_t len, struct sigv4_auth *auth)
{
    const char *part[5];
    size_t plen[5];
    size_t n = 0;
    const char *p = cred, *end = cred + len;
    while (n < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        part[n] = p;
        plen[n] = slash ? (size_t)(slash - p) : (size_t)(end - p);
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (n != 5 || part[4] + plen[4] != end)
        return false;
    if (plen[4] != strlen("aws4_request") || memcmp(part[4], "aws4_request", plen[4]) != 0)
        return false;
    if (plen[1] != 8 || !copy_field(auth->access_key, sizeof(auth->access_key), part[0], plen[0]) ||
        !copy_field(auth->scope_date, sizeof(auth->scope_date), part[1], plen[1]) ||
        !copy_field(auth->region, sizeof(auth->region), part[2], plen[2]) ||
        !copy_field(auth->service, sizeof(auth->service), part[3], plen[3]))
        return false;
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)auth->scope_date[i]))
            return false;
    return true;
}

/* SignedHeaders: non-empty, lower-case names separated by single ';', host among them. */
static enum sigv4_status check_signed_headers(const char *sh, enum sigv4_status malformed)
{
    bool host = false;
    const char *p = sh;
    if (!*sh)
        return malformed;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        if (n == 0)
            return malformed;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c <= ' ' || c >= 127 || c == ':' || isupper(c))
                return malformed;
        }
        if (n == 4 && memcmp(p, "host", 4) == 0)
            host = true;
        p += n;
        if (*p == ';') {
            p++;
            if (!*p)
                return malformed;
        }
    }
    return host ? SIGV4_OK : SIGV4_HOST_NOT_SIGNED;
}

static enum sigv4_status set_payload(struct sigv4_auth *auth, const char *v)
{
    size_t len = strlen(v);
    for (size_t i = 0; i < sizeof(payload_literals) / sizeof(payload_literals[0]); i++) {
        if (strcmp(v, payload_literals[i].literal) == 0) {
            snprintf(auth->payload_hash, sizeof(auth->payload_hash), "%s", v);
            auth->payload = payload_literals[i].kind;
            return SIGV4_OK;
        }
    }
    if (len != 64 || !is_lower_hex(v, len))
        return SIGV4_BAD_CONTENT_SHA256;
    memcpy(auth->payload_hash, v, 65);
    auth->payload = SIGV4_PAYLOAD_SHA256;
    return SIGV4_OK;
}

static enum sigv4_status parse_header_auth(const struct obj_request *req, const char *authz, struct sigv4_auth *auth)
{
    const char *p = authz + strlen(ALGORITHM);
    bool have_cred = false, have_sh = false, have_sig = false;

    if (*p != ' ')
        return SIGV4_HEADER_MALFORMED;
    /* Components "Name=value" separated by ',' and optional spaces, any order. */
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *eq = strchr(p, '=');
        if (!eq)
            return SIGV4_HEADER_MALFORMED;
        const char *v = eq + 1;
        size_t vlen = strcspn(v, ", ");
        size_t nlen = (size_t)(eq - p);
        if (nlen == 10 && memcmp(p, "Credential", 10) == 0 && !have_cred) {
            if (!parse_credential(v, vlen, auth))
                return SIGV4_HEADER_MALFORMED;
            have_cred = true;
        } else if (nlen == 13 && memcmp(p, "SignedHeaders", 13) == 0 && !have_sh) {
            if (!copy_field(auth->signed_headers, sizeof(auth->signed_headers), v, vlen))
                return SIGV4_HEADER_MALFORMED;
            have_sh = true;
        } else if (nlen == 9 && memcmp(p, "Signature", 9) == 0 && !have_sig) {
            if (vlen != 64 || !is_lower_hex(v, vlen))
                return SIGV4_HEADER_MALFORMED;
            memcpy(auth->signature, v, 64);
            auth->signature[64] = '\0';
            have_sig = true;
        } else {
            return SIGV4_HEADER_MALFORMED;
        }
        p = v + vlen;
    }
    if (!have_cred || !have_sh || !have_sig)
        return SIGV4_HEADER_MALFORMED;
    enum sigv4_status st = check_signed_headers(auth->signed_headers, SIGV4_HEADER_MALFORMED);
    if (st != SIGV4_OK)
        return st;

    const char *date = header(req, "x-amz-date");
    int64_t t;
    if (!date || obj_parse_amz_date(date, &t) != 0)
        return SIGV4_MISSING_DATE;
    memcpy(auth->amz_date, date, 17);
    if (memcmp(auth->amz_date, auth->scope_date, 8) != 0)
        return SIGV4_HEADER_MALFORMED;

    const char *sha = header(req, "x-amz-content-sha256");
    if (!sha)
        return SIGV4_MISSING_CONTENT_SHA256;
    return set_payload(auth, sha);
}

static enum sigv4_status parse_query_auth(const struct obj_query *q, struct sigv4_auth *auth)
{
    const char *alg = obj_query_get(q, "X-Amz-Algorithm");
    const char *cred = obj_query_get(q, "X-Amz-Credential");
    const char *date = obj_query_get(q, "X-Amz-Date");
    const char *exp = obj_query_get(q, "X-Amz-Expires");
    const char *sh = obj_query_get(q, "X-Amz-SignedHeaders");
    const char *sig = obj_query_get(q, "X-Amz-Signature");
    int64_t t;

    if (!alg || !cred || !date || !exp || !sh || !sig)
        return SIGV4_QUERY_MALFORMED;
    if (strcmp(alg, ALGORITHM) != 0)
        return SIGV4_QUERY_MALFORMED;
    if (!parse_credential(cred, strlen(cred), auth))
        return SIGV4_QUERY_MALFORMED;
    if (obj_parse_amz_date(date, &t) != 0)
        return SIGV4_QUERY_MALFORMED;
    memcpy(auth->amz_date, date, 17);
    if (memcmp(auth->amz_date, auth->scope_date, 8) != 0)
        return SIGV4_QUERY_MALFORMED;
    /* X-Amz-Expires: decimal seconds, 1..604800; a signed number outside that range is refused
     * like an expired URL. */
    const char *digits = exp[0] == '-' ? exp + 1 : exp;
    size_t elen = strlen(digits);
    if (elen == 0 || strspn(digits, "0123456789") != elen)
        return SIGV4_QUERY_MALFORMED;
    if (elen > 7 || exp[0] == '-')
        return SIGV4_EXPIRES_OUT_OF_RANGE;
    auth->expires = strtoll(digits, NULL, 10);
    if (auth->expires > SIGV4_MAX_EXPIRES || auth->expires < 1)
        return SIGV4_EXPIRES_OUT_OF_RANGE;
    if (!copy_field(auth->signed_headers, sizeof(auth->signed_headers), sh, strlen(sh)))
        return SIGV4_QUERY_MALFORMED;
    enum sigv4_status st = check_signed_headers(auth->signed_headers, SIGV4_QUERY_MALFORMED);
    if (st != SIGV4_OK)
        return st;
    if (strlen(sig) != 64 || !is_lower_hex(sig, 64))
        return SIGV4_QUERY_MALFORMED;
    memcpy(auth->signature, sig, 65);
    const char *sha = obj_query_get(q, "X-Amz-Content-Sha256");
    return set_payload(auth, sha ? sha : "UNSIGNED-PAYLOAD");
}

enum sigv4_status sigv4_parse(const struct obj_request *req, struct sigv4_auth *auth)
{
    struct obj_query q;
    enum sigv4_status st;
    const char *authz = header(req, "authorization");
    bool header_v4 = authz && strncmp(authz, ALGORITHM, strlen(ALGORITHM)) == 0;

    memset(auth, 0, sizeof(*auth));
    if (obj_query_parse(req->raw_query, &q) != 0)
        return header_v4 ? SIGV4_TOO_LARGE : SIGV4_QUERY_MALFORMED;
    bool query_v4 = obj_query_get(&q, "X-Amz-Algorithm") || obj_query_get(&q, "X-Amz-Credential") ||
                    obj_query_get(&q, "X-Amz-Signature");
    if (header_v4 && query_v4)
        st = SIGV4_MULTIPLE_AUTH;
    else if (header_v4)
        st = parse_header_auth(req, authz, auth);
    else if (query_v4) {
        auth->presigned = true;
        st = parse_query_auth(&q, auth);
    } else
        st = SIGV4_ABSENT;
    obj_query_free(&q);
    return st;
}

struct enc_param {
    const char *name; /* encoded, into a shared buffer */
    const char *value;
};

static int cmp_param(const void *a, const void *b)
{
    const struct enc_param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static enum sigv4_status canonical_query(const struct obj_request *req, bool presigned, struct obj_buf *out)
{
    struct obj_query q;
    struct obj_buf enc;
    enum sigv4_status st = SIGV4_OK;

    if (obj_query_parse(req->raw_query, &q) != 0)
        return SIGV4_TOO_LARGE;
    struct enc_param *ps = calloc(q.n ? q.n : 1, sizeof(*ps));
    size_t *offs = calloc(q.n ? 2 * q.n : 1, sizeof(*offs));
    obj_buf_init(&enc, SIGV4_MAX_CANONICAL);
    if (!ps || !offs) {
        st = SIGV4_INTERNAL;
        goto out;
    }
    /* Encode all names and values into one buffer; point into it after it stops moving. */
    size_t n = 0;
    for (size_t i = 0; i < q.n; i++) {
        if (presigned && strcmp(q.v[i].name, "X-Amz-Signature") == 0)
            continue;
        offs[2 * n] = enc.len;
        obj_buf_uri_encode(&enc, q.v[i].name, strlen(q.v[i].name), false);
        obj_buf_putc(&enc, '\0');
        offs[2 * n + 1] = enc.len;
        obj_buf_uri_encode(&enc, q.v[i].value, strlen(q.v[i].value), false);
        obj_buf_putc(&enc, '\0');
        n++;
    }
    if (enc.failed) {
        st = SIGV4_TOO_LARGE;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ps[i].name = enc.p + offs[2 * i];
        ps[i].value = enc.p + offs[2 * i + 1];
    }
    qsort(ps, n, sizeof(*ps), cmp_param);
    for (size_t i = 0; i < n; i++) {
        if (i)
            obj_buf_putc(out, '&');
        obj_buf_puts(out, ps[i].name);
        obj_buf_putc(out, '=');
        obj_buf_puts(out, ps[i].value);
    }
out:
    free(ps);
    free(offs);
    obj_buf_free(&enc);
    obj_query_free(&q);
    return st;
}

enum sigv4_status sigv4_canonical_request(const struct obj_request *req, const struct sigv4_auth *auth,
                                          struct obj_buf *out)
{
    enum sigv4_status st;
    const char *path = req->raw_path && *req->raw_path ? req->raw_path : "/";
    size_t plen = strlen(path);
    char *decoded = malloc(plen + 1);

    obj_buf_init(out, SIGV4_MAX_CANONICAL);
    if (!decoded)
        return SIGV4_INTERNAL;
    obj_buf_puts(out, req->method);
    obj_buf_putc(out, '\n');
    /* Decode once, encode once: S3 does not double-encode. */
    size_t dlen = obj_pct_decode(path, plen, decoded);
    obj_buf_uri_encode(out, decoded, dlen, true);
    free(decoded);
    obj_buf_putc(out, '\n');
    st = canonical_query(req, auth->presigned, out);
    if (st != SIGV4_OK)
        return st;
    obj_buf_putc(out, '\n');

    /* Canonical headers in SignedHeaders order (the client sorted them). */
    const char *p = auth->signed_headers;
    while (*p) {
        char name[256];
        size_t n = strcspn(p, ";");
        if (n >= sizeof(name))
            return SIGV4_TOO_LARGE;
        memcpy(name, p, n);
        name[n] = '\0';
        const char *v = header(req, name);
        obj_buf_puts(out, name);
        obj_buf_putc(out, ':');
        if (v)
            obj_buf_put_trimmed(out, v, true);
        obj_buf_putc(out, '\n');
        p += n;
        if (*p == ';')
            p++;
    }
    obj_buf_putc(out, '\n');
    obj_buf_puts(out, auth->signed_headers);
    obj_buf_putc(out, '\n');
    obj_buf_puts(out, auth->payload_hash);
    return out->failed ? SIGV4_TOO_LARGE : SIGV4_OK;
}

static void scope_of(const struct sigv4_auth *auth, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/%s/aws4_request", auth->scope_date, auth->region, auth->service);
}

enum sigv4_status sigv4_string_to_sign(const struct obj_request *req, const struct sigv4_auth *auth,
                                       struct obj_buf *out)
{
    struct obj_buf creq;
    char hash[65], scope[160];
    enum sigv4_status st = sigv4_canonical_request(req, auth, &creq);
    if (st != SIGV4_OK) {
        obj_buf_free(&creq);
        return st;
    }
    sha256_hex(creq.p, creq.len, hash);
    obj_buf_free(&creq);
    scope_of(auth, scope, sizeof(scope));
    obj_buf_init(out, 1024);
    obj_buf_puts(out, ALGORITHM "\n");
    obj_buf_puts(out, auth->amz_date);
    obj_buf_putc(out, '\n');
    obj_buf_puts(out, scope);
    obj_buf_putc(out, '\n');
    obj_buf_puts(out, hash);
    return out->failed ? SIGV4_INTERNAL : SIGV4_OK;
}

static void derive_signing_key(const char *secret, const char *date, const char *region, const char *service,
                               uint8_t out[32])
{
    size_t slen = strlen(secret);
    char *k = malloc(slen + 5);
    uint8_t a[32], b[32];
    if (!k) {
        memset(out, 0, 32); /* a zero key never verifies anything real */
        return;
    }
    memcpy(k, "AWS4", 4);
    memcpy(k + 4, secret, slen + 1);
    hmac_sha256(k, slen + 4, date, strlen(date), a);
    hmac_sha256(a, 32, region, strlen(region), b);
    hmac_sha256(b, 32, service, strlen(service), a);
    hmac_sha256(a, 32, "aws4_request", 12, out);
    OPENSSL_cleanse(k, slen + 4);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
    free(k);
}

/* The signing key depends only on (secret, date, region, service): each thread keeps the last few
 * it derived, so a client's requests of one day cost one HMAC each instead of five. The secret is
 * the one identity's lookup returned for this request (the lookup, generation-checked, runs every
 * time: a disabled or rotated key never reaches this cache), compared in constant time over the
 * whole slot so a probe learns nothing about another account's secret. */
#define SIGNING_KEYS 8
struct signing_key_slot {
    char secret[128], date[16], region[64], service[16];
    uint8_t key[32];
    bool used;
};
static _Thread_local struct signing_key_slot signing_keys[SIGNING_KEYS];
static _Thread_local unsigned signing_key_next;

void sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service, uint8_t out[32])
{
    struct signing_key_slot probe;
    memset(&probe, 0, sizeof probe);
    if (strlen(secret) >= sizeof probe.secret || strlen(date) >= sizeof probe.date ||
        strlen(region) >= sizeof probe.region || strlen(service) >= sizeof probe.service) {
        derive_signing_key(secret, date, region, service, out);
        return;
    }
    strcpy(probe.secret, secret); /* lengths checked above */
    strcpy(probe.date, date);
    strcpy(probe.region, region);
    strcpy(probe.service, service);
    size_t cmp = offsetof(struct signing_key_slot, key);
    for (int i = 0; i < SIGNING_KEYS; i++) {
        if (signing_keys[i].used && CRYPTO_memcmp(&signing_keys[i], &probe, cmp) == 0) {
            memcpy(out, signing_keys[i].key, 32);
            OPENSSL_cleanse(&probe, sizeof probe);
            return;
        }
    }
    derive_signing_key(secret, date, region, service, out);
    struct signing_key_slot *slot = &signing_keys[signing_key_next++ % SIGNING_KEYS];
    memcpy(slot, &probe, cmp);
    memcpy(slot->key, out, 32);
    slot->used = true;
    OPENSSL_cleanse(&probe, sizeof probe);
}

enum sigv4_status sigv4_verify(const struct obj_request *req, const struct sigv4_auth *auth, const char *secret,
                               int64_t now)
{
    int64_t t;
    struct obj_buf sts;
    uint8_t key[32], mac[32];
    char hex[65];

    if (obj_parse_amz_date(auth->amz_date, &t) != 0)
        return SIGV4_MISSING_DATE;
    if (auth->presigned) {
        if (t > now + SIGV4_MAX_SKEW_SECONDS)
            return SIGV4_NOT_YET_VALID;
        if (now > t + auth->expires)
            return SIGV4_EXPIRED;
    } else if (t > now + SIGV4_MAX_SKEW_SECONDS || t < now - SIGV4_MAX_SKEW_SECONDS) {
        return SIGV4_TIME_SKEWED;
    }
    enum sigv4_status st = sigv4_string_to_sign(req, auth, &sts);
    if (st != SIGV4_OK) {
        obj_buf_free(&sts);
        return st;
    }
    sigv4_signing_key(secret, auth->scope_date, auth->region, auth->service, key);
    hmac_sha256(key, 32, sts.p, sts.len, mac);
    obj_buf_free(&sts);
    hex_encode(mac, 32, hex);
    return obj_str_equal_ct(hex, auth->signature) ? SIGV4_OK : SIGV4_SIGNATURE_MISMATCH;
}

void sigv4_seed_signature(const struct sigv4_auth *auth, const char *secret, struct sigv4_chain *chain)
{
    memset(chain, 0, sizeof(*chain));
    sigv4_signing_key(secret, auth->scope_date, auth->region, auth->service, chain->key);
    memcpy(chain->amz_date, auth->amz_date, sizeof(chain->amz_date));
    scope_of(auth, chain->scope, sizeof(chain->scope));
    memcpy(chain->prev_signature, auth->signature, sizeof(chain->prev_signature));
}
