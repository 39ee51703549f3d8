/*
 * presign: object-store URLs the browser can use directly (upload with progress, download, share
 * a link), signed with SigV4 in the query by an active API key of the session's user, so the
 * object gateway authorises them exactly as it does that user's SDK requests. The key's secret
 * never leaves yund. Body: {Method, Bucket?, Key?, Query?: {name: value}, Expires?}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/codes.h"
#include "console/console_int.h"
#include "identity/identity.h"
#include "object/sigv4.h"

#define MAX_QUERY 8

/* RFC 3986 encoding as SigV4 wants it; slash kept or not. */
static void uri_encode(const char *in, int keep_slash, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/')) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = 0;
}

struct pair {
    char k[160], v[1100];
};

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const struct pair *)a)->k, ((const struct pair *)b)->k);
}

void presign_handle(const struct config *cfg, const struct console_request *req, const struct session *sess,
                    struct console_reply *out)
{
    if (cfg->object_port <= 0)
        return reply_error(out, 400, E_CONSOLE_UNSUPPORTED, "The object store is not running on this yund.");
    json_t *o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    const char *method = json_string_value(json_object_get(o, "Method"));
    const char *bucket = json_string_value(json_object_get(o, "Bucket"));
    const char *key = json_string_value(json_object_get(o, "Key"));
    json_t *query = json_object_get(o, "Query");
    json_int_t expires = json_integer_value(json_object_get(o, "Expires"));
    if (!expires)
        expires = 900;
    if (!method || (strcmp(method, "GET") && strcmp(method, "PUT") && strcmp(method, "DELETE") &&
                    strcmp(method, "HEAD") && strcmp(method, "POST"))) {
        json_decref(o);
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "Method must be GET, PUT, POST, DELETE or HEAD.");
    }
    if (expires < 1 || expires > SIGV4_MAX_EXPIRES || (bucket && strlen(bucket) > 63) || (key && strlen(key) > 1024) ||
        (key && !bucket) || (query && (!json_is_object(query) || json_object_size(query) > MAX_QUERY))) {
        json_decref(o);
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST,
                           "Bucket (at most 63 characters), Key (at most 1024, needs a Bucket), Query (at most %d "
                           "names) or Expires (1 to %d seconds) is out of range.",
                           MAX_QUERY, SIGV4_MAX_EXPIRES);
    }
    struct store *s = store_thread();
    char sid[64], secret[128];
    int rc =
        s ? identity_user_key(s, sess->who.owner_uin, sess->who.user_uin, sid, secret, sizeof secret) : STORE_ERROR;
    if (rc != STORE_FOUND) {
        json_decref(o);
        return rc == STORE_NOT_FOUND
                   ? reply_error(out, 400, E_CONSOLE_UNSUPPORTED,
                                 "The object store's links are signed with one of your API keys and you have none; "
                                 "create one (CAM CreateAccessKey) and retry.")
                   : reply_error(out, 503, E_CONSOLE_INTERNAL, "The identity store is unavailable; retry later.");
    }
    /* the browser reaches the object store on the host name it reached the console on */
    const char *host_hdr = req->header(req->hctx, "host");
    char hostname[200];
    snprintf(hostname, sizeof hostname, "%s", host_hdr ? host_hdr : "127.0.0.1");
    char *colon = hostname[0] == '[' ? strstr(hostname, "]:") : strrchr(hostname, ':');
    if (colon)
        colon[hostname[0] == '[' ? 1 : 0] = 0;
    char host[256];
    snprintf(host, sizeof host, "%s:%d", hostname, cfg->object_port);

    char path[3300] = "/", enc[3200];
    if (bucket) {
        uri_encode(bucket, 0, enc, sizeof enc);
        snprintf(path, sizeof path, "/%s%s", enc, key ? "/" : "");
        if (key) {
            uri_encode(key, 1, enc, sizeof enc);
            strncat(path, enc, sizeof path - strlen(path) - 1);
        }
    }
    int64_t now = time_now();
    char amz_date[20], date8[10], scope[200], credential[300];
    struct tm tm;
    time_t t = (time_t)now;
    gmtime_r(&t, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    strftime(date8, sizeof date8, "%Y%m%d", &tm);
    snprintf(scope, sizeof scope, "%s/%s/s3/aws4_request", date8, cfg->region);
    snprintf(credential, sizeof credential, "%s/%s", sid, scope);

    struct pair pairs[MAX_QUERY + 5];
    int np = 0;
    const char *names[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders"};
    char exp_s[24];
    snprintf(exp_s, sizeof exp_s, "%lld", (long long)expires);
    const char *values[] = {"AWS4-HMAC-SHA256", credential, amz_date, exp_s, "host"};
    for (int i = 0; i < 5; i++, np++) {
        uri_encode(names[i], 0, pairs[np].k, sizeof pairs[np].k);
        uri_encode(values[i], 0, pairs[np].v, sizeof pairs[np].v);
    }
    const char *qk;
    json_t *qv;
    json_object_foreach (query, qk, qv) {
        if (!json_is_string(qv) || strlen(qk) > 60 || json_string_length(qv) > 300 || !strncmp(qk, "X-Amz-", 6)) {
            json_decref(o);
            return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "Query values must be short strings.");
        }
        uri_encode(qk, 0, pairs[np].k, sizeof pairs[np].k);
        uri_encode(json_string_value(qv), 0, pairs[np].v, sizeof pairs[np].v);
        np++;
    }
    qsort(pairs, (size_t)np, sizeof pairs[0], pair_cmp);
    char cq[17000] = "";
    for (int i = 0; i < np; i++) {
        size_t l = strlen(cq);
        snprintf(cq + l, sizeof cq - l, "%s%s=%s", i ? "&" : "", pairs[i].k, pairs[i].v);
    }
    char canonical[21000], digest[65], sts[512];
    snprintf(canonical, sizeof canonical, "%s\n%s\n%s\nhost:%s\n\nhost\nUNSIGNED-PAYLOAD", method, path, cq, host);
    sha256_hex(canonical, strlen(canonical), digest);
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, digest);
    uint8_t skey[32], sig[32];
    char sighex[65];
    sigv4_signing_key(secret, date8, cfg->region, "s3", skey);
    hmac_sha256(skey, sizeof skey, sts, strlen(sts), sig);
    hex_encode(sig, sizeof sig, sighex);
    memset(secret, 0, sizeof secret);
    memset(skey, 0, sizeof skey);

    size_t ulen = strlen(host) + strlen(path) + strlen(cq) + 128;
    char *url = malloc(ulen);
    if (!url) {
        json_decref(o);
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "Out of memory.");
    }
    snprintf(url, ulen, "http://%s%s?%s&X-Amz-Signature=%s", host, path, cq, sighex);
    char rid[37];
    random_uuid(rid);
    reply_json(out, 200,
               json_pack("{s:{s:s,s:I,s:s}}", "Response", "Url", url, "Expires", (json_int_t)(now + expires),
                         "RequestId", rid));
    free(url);
    json_decref(o);
}
