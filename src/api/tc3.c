/*
 * tc3: TC3-HMAC-SHA256 verification, exactly as the official SDKs sign.
 *
 * Quirks we honour (see docs/api.md): the node SDK signs the host without the port while the
 * Python SDK signs it with the port, so we try both; the docs lowercase header values while node
 * signs Content-Type verbatim, so we try verbatim first; the credential-scope service is whatever
 * the client derived from its endpoint (e.g. "127"), never checked against the product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Copies the value of `key=` up to ',' or end into dst; 0 on success. */
static int field(const char *s, const char *key, char *dst, size_t len)
{
    size_t klen = strlen(key);
    for (const char *p = s; (p = strstr(p, key)) != NULL; p += klen) {
        if (p != s && p[-1] != ' ' && p[-1] != ',')
            continue;
        if (p[klen] != '=')
            continue;
        const char *v = p + klen + 1, *e = strchr(v, ',');
        size_t n = e ? (size_t)(e - v) : strlen(v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n == 0 || n >= len)
            return -1;
        memcpy(dst, v, n);
        dst[n] = 0;
        return 0;
    }
    return -1;
}

int tc3_parse_authorization(const char *header, struct tc3_auth *out)
{
    memset(out, 0, sizeof *out);
    static const char alg[] = "TC3-HMAC-SHA256";
    if (!header || strncmp(header, alg, sizeof alg - 1) != 0 || (header[sizeof alg - 1] != ' '))
        return -1;
    const char *rest = skip_ws(header + sizeof alg - 1);
    char cred[256];
    if (field(rest, "Credential", cred, sizeof cred) ||
        field(rest, "SignedHeaders", out->signed_headers, sizeof out->signed_headers) ||
        field(rest, "Signature", out->signature, sizeof out->signature))
        return -1;
    /* Credential = SecretId/Date/Service/tc3_request */
    char *parts[5], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(cred, "/", &save); t && n < 5; t = strtok_r(NULL, "/", &save))
        parts[n++] = t;
    if (n != 4 || strcmp(parts[3], "tc3_request") != 0)
        return -1;
    if (strlen(parts[0]) >= sizeof out->secret_id || strlen(parts[1]) != 10 || strlen(parts[2]) >= sizeof out->service)
        return -1;
    strcpy(out->secret_id, parts[0]);
    strcpy(out->date, parts[1]);
    strcpy(out->service, parts[2]);
    if (strlen(out->signature) != 64)
        return -1;
    for (const char *p = out->signed_headers; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == ';' || *p == '_'))
            return -1;
    return 0;
}

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 512) + n;
        char *np = realloc(b->p, cap);
        if (!np)
            abort();
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

char *tc3_canonical_request(const char *method, const char *query, const char *signed_headers,
                            const char *(*header)(void *, const char *), void *hctx, const char *host,
                            int lowercase_values, const void *body, size_t body_len)
{
    struct buf b = {0};
    puts_(&b, method);
    puts_(&b, "\n/\n");
    puts_(&b, strcmp(method, "GET") == 0 ? query : "");
    puts_(&b, "\n");
    char names[256];
    snprintf(names, sizeof names, "%s", signed_headers);
    char *save = NULL;
    for (char *h = strtok_r(names, ";", &save); h; h = strtok_r(NULL, ";", &save)) {
        const char *v = strcmp(h, "host") == 0 ? host : header(hctx, h);
        if (!v)
            v = "";
        v = skip_ws(v);
        size_t vn = strlen(v);
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
            vn--;
        puts_(&b, h);
        puts_(&b, ":");
        size_t start = b.n;
        put(&b, v, vn);
        if (lowercase_values)
            for (size_t i = start; i < b.n; i++)
                if (b.p[i] >= 'A' && b.p[i] <= 'Z')
                    b.p[i] = (char)(b.p[i] + 32);
        puts_(&b, "\n");
    }
    puts_(&b, "\n");
    puts_(&b, signed_headers);
    puts_(&b, "\n");
    char hash[65];
    sha256_hex(body ? body : "", body_len, hash);
    puts_(&b, hash);
    return b.p;
}

void tc3_sign(const char *secret_key, const char *date, const char *service, int64_t timestamp,
              const char *canonical_request, char out[65])
{
    char key[256];
    int klen = snprintf(key, sizeof key, "TC3%s", secret_key);
    uint8_t k_date[32], k_service[32], k_signing[32], sig[32];
    hmac_sha256(key, (size_t)klen, date, strlen(date), k_date);
    hmac_sha256(k_date, 32, service, strlen(service), k_service);
    hmac_sha256(k_service, 32, "tc3_request", 11, k_signing);
    char cr_hash[65], sts[512];
    sha256_hex(canonical_request, strlen(canonical_request), cr_hash);
    int n = snprintf(sts, sizeof sts, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s", (long long)timestamp, date,
                     service, cr_hash);
    hmac_sha256(k_signing, 32, sts, (size_t)n, sig);
    hex_encode(sig, 32, out);
}

int tc3_verify(const struct tc3_auth *a, const char *secret_key, const char *method, const char *query,
               const char *(*header)(void *, const char *), void *hctx, const void *body, size_t body_len)
{
    const char *ts_s = header(hctx, "x-tc-timestamp");
    char *end;
    if (!ts_s || !*ts_s)
        return -1;
    long long ts = strtoll(ts_s, &end, 10);
    if (*end)
        return -1;
    char date[16];
    time_date(ts, date);
    if (strcmp(date, a->date) != 0)
        return -1;
    /* Host candidates: without the port (node, Go), then as sent (Python). */
    const char *raw_host = header(hctx, "host");
    char host_noport[256];
    snprintf(host_noport, sizeof host_noport, "%s", raw_host ? raw_host : "");
    char *colon = strrchr(host_noport, ':');
    if (colon && !strchr(colon, ']'))
        *colon = 0;
    for (char *p = host_noport; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    const char *hosts[2] = {host_noport, raw_host ? raw_host : ""};
    for (int h = 0; h < 2; h++) {
        if (h == 1 && strcmp(hosts[0], hosts[1]) == 0)
            break;
        for (int lower = 0; lower < 2; lower++) {
            char *cr =
                tc3_canonical_request(method, query, a->signed_headers, header, hctx, hosts[h], lower, body, body_len);
            char sig[65];
            tc3_sign(secret_key, a->date, a->service, ts, cr, sig);
            free(cr);
            if (const_time_eq(sig, a->signature, 64))
                return 0;
        }
    }
    return -1;
}
