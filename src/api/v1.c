/*
 * v1: the legacy HmacSHA1/HmacSHA256 form signature (still offered by the SDKs through
 * profile.signMethod). String to sign = METHOD + host(with port) + "/?" + sorted k=v joined by &,
 * values raw (decoded), Signature excluded; Signature = base64(HMAC(SecretKey, string)).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int kv_cmp(const void *a, const void *b) { return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k); }

int v1_verify(const char *method, const char *host, struct kv *params, int n, const char *secret_key)
{
    const char *sig = kv_get(params, n, "Signature");
    const char *meth = kv_get(params, n, "SignatureMethod");
    if (!sig)
        return -1;
    int use256 = meth && strcmp(meth, "HmacSHA256") == 0;
    if (meth && !use256 && strcmp(meth, "HmacSHA1") != 0)
        return -1;
    struct kv *sorted = malloc(sizeof *sorted * (size_t)(n ? n : 1));
    if (!sorted)
        return -1;
    memcpy(sorted, params, sizeof *sorted * (size_t)n);
    qsort(sorted, (size_t)n, sizeof *sorted, kv_cmp);
    size_t cap = strlen(method) + strlen(host) + 3;
    for (int i = 0; i < n; i++)
        cap += strlen(sorted[i].k) + strlen(sorted[i].v) + 2;
    char *s = malloc(cap + 1), *p = s;
    if (!s) {
        free(sorted);
        return -1;
    }
    p = stpcpy(p, method);
    p = stpcpy(p, host);
    p = stpcpy(p, "/?");
    int first = 1;
    for (int i = 0; i < n; i++) {
        if (strcmp(sorted[i].k, "Signature") == 0)
            continue;
        if (!first)
            *p++ = '&';
        first = 0;
        p = stpcpy(p, sorted[i].k);
        *p++ = '=';
        p = stpcpy(p, sorted[i].v);
    }
    *p = 0;
    uint8_t mac[32];
    size_t maclen = use256 ? 32 : 20;
    if (use256)
        hmac_sha256(secret_key, strlen(secret_key), s, (size_t)(p - s), mac);
    else
        hmac_sha1(secret_key, strlen(secret_key), s, (size_t)(p - s), mac);
    free(s);
    free(sorted);
    char expect[64];
    size_t elen = base64_encode(mac, maclen, expect, sizeof expect);
    return (strlen(sig) == elen && const_time_eq(expect, sig, elen)) ? 0 : -1;
}
