/*
 * license: what a deployed guest reads at /latest/meta-data/yun/license (the cloudapp
 * VerifyLicense idea). The document names the instance, its deployment, the package, version and
 * plan, and an expiry, and is signed with the region's Ed25519 key: an ISV's application checks
 * entitlement offline with the public key DescribeLicenseKey publishes, no network secret needed.
 *
 *   {"License": "<the document, a JSON text>", "Signature": "<base64 Ed25519 of those bytes>",
 *    "KeyId": "<first 16 hex of sha256(public key)>", "Algorithm": "Ed25519"}
 *
 * The private key is made on first use and kept sealed under the master key (market_state).
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/sealed.h"
#include "market/market_int.h"

#define LICENSE_KEY_CONTEXT "market-license-ed25519"
#define LICENSE_VALID       (24 * 3600) /* a guest fetches a fresh one each day */

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

/* The raw private key (32 bytes), made and stored sealed on first use. 0 or -1. */
static int private_key(struct store *s, uint8_t raw[32])
{
    char hex[512];
    pthread_mutex_lock(&key_mu);
    int rc = mstore_state_get(s, "license_key", NULL, hex, sizeof hex);
    if (rc == STORE_FOUND) {
        uint8_t blob[200];
        size_t len = strlen(hex) / 2;
        uint8_t *plain = NULL;
        size_t plen = 0;
        rc = len <= sizeof blob && hex_decode(hex, blob, len) == 0 &&
                     sealed_open(LICENSE_KEY_CONTEXT, blob, len, &plain, &plen) == 0 && plen == 32
                 ? 0
                 : -1;
        if (rc == 0)
            memcpy(raw, plain, 32);
        free(plain);
        pthread_mutex_unlock(&key_mu);
        return rc;
    }
    if (rc < 0) {
        pthread_mutex_unlock(&key_mu);
        return -1;
    }
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t n = 32;
    rc = k && EVP_PKEY_get_raw_private_key(k, raw, &n) == 1 && n == 32 ? 0 : -1;
    EVP_PKEY_free(k);
    uint8_t *blob = NULL;
    size_t blen = 0;
    if (rc == 0 && sealed_seal(LICENSE_KEY_CONTEXT, raw, 32, &blob, &blen) == 0 && blen * 2 < sizeof hex) {
        hex_encode(blob, blen, hex);
        rc = mstore_state_set(s, "license_key", 0, hex);
    } else {
        rc = -1;
    }
    free(blob);
    pthread_mutex_unlock(&key_mu);
    return rc;
}

static EVP_PKEY *key(struct store *s)
{
    uint8_t raw[32];
    if (private_key(s, raw) != 0)
        return NULL;
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
    memset(raw, 0, sizeof raw);
    return k;
}

static int public_raw(EVP_PKEY *k, uint8_t pub[32], char key_id[17])
{
    size_t n = 32;
    if (EVP_PKEY_get_raw_public_key(k, pub, &n) != 1 || n != 32)
        return -1;
    char h[65];
    sha256_hex(pub, 32, h);
    snprintf(key_id, 17, "%.16s", h);
    return 0;
}

int license_public_key(struct store *s, char out_b64[64])
{
    EVP_PKEY *k = key(s);
    uint8_t pub[32];
    char id[17];
    int rc = k && public_raw(k, pub, id) == 0 ? 0 : -1;
    if (rc == 0)
        base64_encode(pub, 32, out_b64, 64);
    EVP_PKEY_free(k);
    return rc;
}

char *license_document(struct store *s, const char *instance_id, int *status)
{
    struct deployment d;
    int rc = mstore_instance_deployment(s, instance_id, &d);
    if (rc != STORE_FOUND) {
        *status = rc < 0 ? 500 : 404;
        return NULL;
    }
    struct pkg_version v;
    rc = mstore_version_get(s, d.package_id, d.version, &v);
    EVP_PKEY *k = rc == STORE_FOUND ? key(s) : NULL;
    uint8_t pub[32];
    char key_id[17];
    char *out = NULL;
    *status = 500;
    if (k && public_raw(k, pub, key_id) == 0) {
        int64_t t = clock_now();
        char issued[32], expiry[32];
        time_iso8601(t, issued);
        time_iso8601(t + LICENSE_VALID, expiry);
        json_t *doc =
            json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "InstanceId", instance_id, "DeploymentId",
                      d.id, "PackageId", d.package_id, "PackageName", v.name, "Version", (json_int_t)d.version, "Plan",
                      "POSTPAID_BY_HOUR", "Status",
                      !strcmp(d.state, DEP_DEPLOYED) || !strcmp(d.state, DEP_UPDATING) ? "ACTIVE" : "PENDING",
                      "OwnerUin", d.owner, "Region", d.region, "IssuedAt", issued, "Expiry", expiry, "KeyId", key_id);
        char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(doc);
        uint8_t sig[64];
        size_t slen = sizeof sig;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (text && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
            EVP_DigestSign(md, sig, &slen, (const uint8_t *)text, strlen(text)) == 1) {
            char b64[128];
            base64_encode(sig, slen, b64, sizeof b64);
            json_t *env = json_pack("{s:s,s:s,s:s,s:s}", "License", text, "Signature", b64, "KeyId", key_id,
                                    "Algorithm", "Ed25519");
            out = json_dumps(env, JSON_INDENT(2));
            json_decref(env);
            *status = 200;
        }
        EVP_MD_CTX_free(md);
        free(text);
    }
    EVP_PKEY_free(k);
    if (rc == STORE_FOUND)
        pkg_version_free(&v);
    deployment_free(&d);
    return out;
}
