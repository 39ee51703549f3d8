/*
 * cossig.c - COS XML API signature verification, written against
 * cos-nodejs-sdk-v5 3.0.0 (sdk/util.js getAuth, obj2str, camSafeUrlEncode):
 * the SDK is what clients run, so where Tencent's prose and the SDK differ,
 * the SDK wins. Names in q-header-list / q-url-param-list are the SDK's
 * lower-cased, URL-encoded keys; the server rebuilds the same strings from
 * what it received and compares in constant time.
 */
#include "cossig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct cossig_error errors[] = {
    [COSSIG_OK] = {"", 200, ""},
    [COSSIG_ABSENT] = {"AccessDenied", 403, "Access Denied"},
    [COSSIG_MALFORMED] = {"AccessDenied", 403, "The Authorization is malformed."},
    [COSSIG_MULTIPLE_AUTH] = {"InvalidArgument", 400, "Only one auth mechanism allowed"},
    [COSSIG_HOST_NOT_SIGNED] = {"AccessDenied", 403, "The host header must be signed."},
    [COSSIG_EXPIRED] = {"AccessDenied", 403, "Request has expired"},
    [COSSIG_NOT_YET_VALID] = {"AccessDenied", 403, "Request is not valid yet"},
    [COSSIG_SIGNATURE_MISMATCH] = {"SignatureDoesNotMatch", 403, "The Signature you specified is invalid."},
    [COSSIG_TOO_LARGE] = {"InvalidRequest", 400, "The request is too large to authenticate."},
    [COSSIG_INTERNAL] = {"InternalError", 500, "We encountered an internal error. Please try again."},
};

const struct cossig_error *cossig_error_of(enum cossig_status st)
{
    if ((unsigned)st >= sizeof(errors) / sizeof(errors[0]))
        return &errors[COSSIG_INTERNAL];
    return &errors[st];
}

static const char *header(const struct obj_request *req, const char *name)
{
    return req->header ? req->header(req->ctx, name) : NULL;
}

static bool set(char *dst, size_t cap, const char *v, size_t len)
{
    if (len >= cap)
        return false;
    memcpy(dst, v, len);
    dst[len] = '\0';
    return true;
}

/* "start;end", both decimal Unix seconds, start <= end. */
static bool parse_window(const char *s, int64_t *start, int64_t *end)
{
    char *semi = strchr(s, ';');
    size_t a = semi ? (size_t)(semi - s) : 0;
    if (!semi || a == 0 || a > 12 || strspn(s, "0123456789") != a)
        return false;
    size_t b = strlen(semi + 1);
    if (b == 0 || b > 12 || strspn(semi + 1, "0123456789") != b)
        return false;
    *start = strtoll(s, NULL, 10);
    *end = strtoll(semi + 1, NULL, 10);
    return *start <= *end;
}

static bool lower_list(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s) || (unsigned char)*s <= ' ')
            return false;
    return true;
}

static bool list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        size_t l = strcspn(p, ";");
        if (l == n && memcmp(p, name, n) == 0)
            return true;
        p += l;
        if (*p == ';')
            p++;
    }
    return false;
}

enum field { F_ALG, F_AK, F_SIGN_TIME, F_KEY_TIME, F_HEADERS, F_PARAMS, F_SIG, F_COUNT };
static const char *const field_names[F_COUNT] = {
    "q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-header-list", "q-url-param-list", "q-signature",
};

static enum cossig_status fill(struct cossig_auth *auth, const char *const v[F_COUNT])
{
    for (int i = 0; i < F_COUNT; i++)
        if (!v[i])
            return COSSIG_MALFORMED;
    if (strcmp(v[F_ALG], "sha1") != 0 || !*v[F_AK] ||
        !set(auth->access_key, sizeof(auth->access_key), v[F_AK], strlen(v[F_AK])) ||
        !set(auth->sign_time, sizeof(auth->sign_time), v[F_SIGN_TIME], strlen(v[F_SIGN_TIME])) ||
        !set(auth->key_time, sizeof(auth->key_time), v[F_KEY_TIME], strlen(v[F_KEY_TIME])) ||
        !set(auth->header_list, sizeof(auth->header_list), v[F_HEADERS], strlen(v[F_HEADERS])) ||
        !set(auth->param_list, sizeof(auth->param_list), v[F_PARAMS], strlen(v[F_PARAMS])))
        return COSSIG_MALFORMED;
    int64_t ks, ke;
    if (!parse_window(auth->sign_time, &auth->sign_start, &auth->sign_end) || !parse_window(auth->key_time, &ks, &ke))
        return COSSIG_MALFORMED;
    size_t sl = strlen(v[F_SIG]);
    if (sl != 40 || strspn(v[F_SIG], "0123456789abcdef") != 40)
        return COSSIG_MALFORMED;
    memcpy(auth->signature, v[F_SIG], 41);
    if (!lower_list(auth->header_list) || !lower_list(auth->param_list))
        return COSSIG_MALFORMED;
    if (!list_has(auth->header_list, "host"))
        return COSSIG_HOST_NOT_SIGNED;
    return COSSIG_OK;
}

enum cossig_status cossig_parse(const struct obj_request *req, struct cossig_auth *auth)
{
    struct obj_query q;
    const char *authz = header(req, "authorization");
    bool hdr = authz && strncmp(authz, "q-sign-algorithm=", 17) == 0;
    enum cossig_status st;
    const char *v[F_COUNT] = {0};

    memset(auth, 0, sizeof(*auth));
    if (obj_query_parse(req->raw_query, &q) != 0)
        return COSSIG_TOO_LARGE;
    bool qry = obj_query_get(&q, "q-sign-algorithm") != NULL;
    if (hdr && qry) {
        st = COSSIG_MULTIPLE_AUTH;
    } else if (hdr) {
        /* The header is a query string of its own. */
        struct obj_query hq;
        if (obj_query_parse(authz, &hq) != 0) {
            st = COSSIG_MALFORMED;
        } else {
            for (int i = 0; i < F_COUNT; i++)
                v[i] = obj_query_get(&hq, field_names[i]);
            st = fill(auth, v);
            obj_query_free(&hq);
        }
    } else if (qry) {
        auth->presigned = true;
        for (int i = 0; i < F_COUNT; i++)
            v[i] = obj_query_get(&q, field_names[i]);
        st = fill(auth, v);
    } else {
        st = COSSIG_ABSENT;
    }
    obj_query_free(&q);
    return st;
}

struct kv {
    char *key;     /* lower(encode(name)) */
    char *sortkey; /* lower(name) */
    char *value;   /* encode(value) */
};

static int cmp_kv(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    int c = strcmp(x->sortkey, y->sortkey);
    return c ? c : strcmp(x->key, y->key);
}

static char *lower_dup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = (char)tolower((unsigned char)s[i]);
    d[n] = '\0';
    return d;
}

static char *encode_dup(const char *s, bool lower)
{
    struct obj_buf b;
    obj_buf_init(&b, COSSIG_MAX_HTTP_STRING);
    obj_buf_uri_encode(&b, s, strlen(s), false);
    if (!obj_buf_str(&b)) {
        obj_buf_free(&b);
        return NULL;
    }
    if (lower)
        for (size_t i = 0; i < b.len; i++)
            b.p[i] = (char)tolower((unsigned char)b.p[i]);
    return b.p;
}

static void free_kvs(struct kv *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].sortkey);
        free(v[i].value);
    }
    free(v);
}

static bool put_kvs(struct obj_buf *out, struct kv *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_kv);
    for (size_t i = 0; i < n; i++) {
        if (i)
            obj_buf_putc(out, '&');
        obj_buf_puts(out, v[i].key);
        obj_buf_putc(out, '=');
        obj_buf_puts(out, v[i].value);
    }
    return !out->failed;
}

bool cossig_param_signed(const struct cossig_auth *auth, const char *name)
{
    char *k = encode_dup(name, true);
    bool r = k && list_has(auth->param_list, k);
    free(k);
    return r;
}

enum cossig_status cossig_http_string(const struct obj_request *req, const struct cossig_auth *auth,
                                      struct obj_buf *out)
{
    struct obj_query q;
    enum cossig_status st = COSSIG_OK;
    struct kv *v = NULL;
    size_t n = 0;

    obj_buf_init(out, COSSIG_MAX_HTTP_STRING);
    if (obj_query_parse(req->raw_query, &q) != 0)
        return COSSIG_TOO_LARGE;
    for (const char *m = req->method; *m; m++)
        obj_buf_putc(out, (char)tolower((unsigned char)*m));
    obj_buf_putc(out, '\n');
    const char *path = req->raw_path && *req->raw_path ? req->raw_path : "/";
    char *dec = malloc(strlen(path) + 1);
    if (!dec) {
        st = COSSIG_INTERNAL;
        goto out;
    }
    obj_buf_put(out, dec, obj_pct_decode(path, strlen(path), dec));
    free(dec);
    obj_buf_putc(out, '\n');

    /* Parameters named in q-url-param-list (the q-* ones never are). */
    v = calloc(q.n + 1, sizeof(*v));
    if (!v) {
        st = COSSIG_INTERNAL;
        goto out;
    }
    for (size_t i = 0; i < q.n; i++) {
        char *key = encode_dup(q.v[i].name, true);
        if (!key) {
            st = COSSIG_INTERNAL;
            goto out;
        }
        if (!list_has(auth->param_list, key)) {
            free(key);
            continue;
        }
        v[n].key = key;
        v[n].sortkey = lower_dup(q.v[i].name, strlen(q.v[i].name));
        v[n].value = encode_dup(q.v[i].value, false);
        n++;
        if (!v[n - 1].sortkey || !v[n - 1].value) {
            st = COSSIG_INTERNAL;
            goto out;
        }
    }
    if (!put_kvs(out, v, n)) {
        st = COSSIG_TOO_LARGE;
        goto out;
    }
    obj_buf_putc(out, '\n');
    free_kvs(v, n);
    n = 0;

    /* Headers named in q-header-list. */
    size_t count = 1;
    for (const char *p = auth->header_list; *p; p++)
        count += *p == ';';
    v = calloc(count, sizeof(*v));
    if (!v) {
        st = COSSIG_INTERNAL;
        goto out;
    }
    for (const char *p = auth->header_list; *p;) {
        size_t l = strcspn(p, ";");
        if (l > 0) {
            char *name = lower_dup(p, l);
            char *dname = name ? malloc(l + 1) : NULL;
            if (!dname) {
                free(name);
                st = COSSIG_INTERNAL;
                goto out;
            }
            obj_pct_decode(name, l, dname);
            const char *hv = header(req, dname);
            v[n].key = name;
            v[n].sortkey = dname;
            v[n].value = encode_dup(hv ? hv : "", false);
            n++;
            if (!v[n - 1].value) {
                st = COSSIG_INTERNAL;
                goto out;
            }
        }
        p += l;
        if (*p == ';')
            p++;
    }
    if (!put_kvs(out, v, n)) {
        st = COSSIG_TOO_LARGE;
        goto out;
    }
    obj_buf_putc(out, '\n');
    if (out->failed)
        st = COSSIG_TOO_LARGE;
out:
    free_kvs(v, n);
    obj_query_free(&q);
    return st;
}

enum cossig_status cossig_string_to_sign(const struct obj_request *req, const struct cossig_auth *auth,
                                         struct obj_buf *out)
{
    struct obj_buf hs;
    char sha[41];
    enum cossig_status st = cossig_http_string(req, auth, &hs);
    if (st != COSSIG_OK) {
        obj_buf_free(&hs);
        obj_buf_init(out, 0);
        return st;
    }
    obj_sha1_hex(hs.p, hs.len, sha);
    obj_buf_free(&hs);
    obj_buf_init(out, 256);
    obj_buf_puts(out, "sha1\n");
    obj_buf_puts(out, auth->sign_time);
    obj_buf_putc(out, '\n');
    obj_buf_puts(out, sha);
    obj_buf_putc(out, '\n');
    return out->failed ? COSSIG_INTERNAL : COSSIG_OK;
}

enum cossig_status cossig_verify(const struct obj_request *req, const struct cossig_auth *auth, const char *secret,
                                 int64_t now)
{
    struct obj_buf sts;
    uint8_t mac[20];
    char signkey[41], sig[41];

    if (now > auth->sign_end)
        return COSSIG_EXPIRED;
    if (auth->sign_start > now + COSSIG_MAX_SKEW_SECONDS)
        return COSSIG_NOT_YET_VALID;
    enum cossig_status st = cossig_string_to_sign(req, auth, &sts);
    if (st != COSSIG_OK) {
        obj_buf_free(&sts);
        return st;
    }
    hmac_sha1(secret, strlen(secret), auth->key_time, strlen(auth->key_time), mac);
    hex_encode(mac, 20, signkey);
    hmac_sha1(signkey, 40, sts.p, sts.len, mac);
    obj_buf_free(&sts);
    hex_encode(mac, 20, sig);
    return obj_str_equal_ct(sig, auth->signature) ? COSSIG_OK : COSSIG_SIGNATURE_MISMATCH;
}
