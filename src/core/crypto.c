/*
 * crypto: thin wrappers over OpenSSL for the primitives the protocols need (SHA-256, HMAC,
 * AES-256-GCM for secrets at rest) plus hex/base64 and a constant-time compare.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/core.h"

/* OpenSSL 3 looks an algorithm up (a provider fetch, locks included) on every one-shot call:
 * SHA256() and HMAC() cost several times the hashing itself on a short message. The algorithms
 * are fetched once; each thread keeps its own contexts and re-keys them per call (a context is
 * never shared between threads, so no lock). A thread's contexts are freed when it exits. */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;
static EVP_MD *sha256_alg, *sha1_alg;
static pthread_key_t ctx_key;

struct crypto_ctxs {
    EVP_MD_CTX *sha256;
    EVP_MAC_CTX *hmac256, *hmac1;
};

static void ctxs_free(void *p)
{
    struct crypto_ctxs *c = p;
    EVP_MD_CTX_free(c->sha256);
    EVP_MAC_CTX_free(c->hmac256);
    EVP_MAC_CTX_free(c->hmac1);
    free(c);
}

static void fetch_algorithms(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    sha256_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha1_alg = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (pthread_key_create(&ctx_key, ctxs_free) != 0) {
        EVP_MAC_free(hmac_alg);
        hmac_alg = NULL; /* no per-thread contexts: the one-shot calls below */
    }
}

static struct crypto_ctxs *thread_ctxs(void)
{
    pthread_once(&fetch_once, fetch_algorithms);
    if (!hmac_alg || !sha256_alg || !sha1_alg)
        return NULL;
    struct crypto_ctxs *c = pthread_getspecific(ctx_key);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sha256 = EVP_MD_CTX_new();
    c->hmac256 = EVP_MAC_CTX_new(hmac_alg);
    c->hmac1 = EVP_MAC_CTX_new(hmac_alg);
    OSSL_PARAM p256[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0), OSSL_PARAM_END};
    OSSL_PARAM p1[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0), OSSL_PARAM_END};
    if (!c->sha256 || !c->hmac256 || !c->hmac1 || EVP_MAC_CTX_set_params(c->hmac256, p256) != 1 ||
        EVP_MAC_CTX_set_params(c->hmac1, p1) != 1 || pthread_setspecific(ctx_key, c) != 0) {
        ctxs_free(c);
        return NULL;
    }
    return c;
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
    struct crypto_ctxs *c = thread_ctxs();
    unsigned int n = 32;
    if (!c || EVP_DigestInit_ex2(c->sha256, sha256_alg, NULL) != 1 || EVP_DigestUpdate(c->sha256, data, len) != 1 ||
        EVP_DigestFinal_ex(c->sha256, out, &n) != 1)
        SHA256(data, len, out);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t d[32];
    sha256(data, len, d);
    hex_encode(d, 32, out);
}

/* One HMAC on the thread's context, re-keyed: 0, or -1 (the caller falls back to HMAC()). */
static int hmac_on(EVP_MAC_CTX *m, const void *key, size_t klen, const void *msg, size_t mlen, uint8_t *out,
                   size_t outlen)
{
    static const uint8_t none = 0; /* EVP_MAC_init takes an empty key only as a non-NULL pointer */
    size_t n = 0;
    if (EVP_MAC_init(m, klen ? key : &none, klen, NULL) != 1 || EVP_MAC_update(m, msg, mlen) != 1 ||
        EVP_MAC_final(m, out, &n, outlen) != 1 || n != outlen)
        return -1;
    return 0;
}

void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    struct crypto_ctxs *c = thread_ctxs();
    unsigned int n = 32;
    if (!c || hmac_on(c->hmac256, key, klen, msg, mlen, out, 32) != 0)
        HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n);
}

void hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[20])
{
    struct crypto_ctxs *c = thread_ctxs();
    unsigned int n = 20;
    if (!c || hmac_on(c->hmac1, key, klen, msg, mlen, out, 20) != 0)
        HMAC(EVP_sha1(), key, (int)klen, msg, mlen, out, &n);
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = h[in[i] >> 4];
        out[2 * i + 1] = h[in[i] & 15];
    }
    out[2 * len] = 0;
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint32_t hash_fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int hex_decode(const char *in, uint8_t *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n != 2 * outlen)
        return -1;
    for (size_t i = 0; i < outlen; i++) {
        int a = hex_digit(in[2 * i]), b = hex_digit(in[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return 0;
}

size_t base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    if (outlen < 4 * ((len + 2) / 3) + 1)
        return 0;
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen, size_t *written)
{
    if (inlen % 4 != 0 || outlen < inlen / 4 * 3)
        return -1;
    for (size_t i = 0; i < inlen; i++) { /* EVP_DecodeBlock tolerates whitespace; we do not */
        char c = in[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              (c == '=' && i >= inlen - 2)))
            return -1;
    }
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
    if (n < 0)
        return -1;
    if (inlen >= 1 && in[inlen - 1] == '=')
        n--;
    if (inlen >= 2 && in[inlen - 2] == '=')
        n--;
    *written = (size_t)n;
    return 0;
}

int const_time_eq(const void *a, const void *b, size_t len) { return CRYPTO_memcmp(a, b, len) == 0; }

int aead_seal(const uint8_t key[32], const char *aad, const void *plain, size_t plen, uint8_t *out, size_t *outlen)
{
    int ok = 0, n;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c || random_bytes(out, 12) != 0)
        goto done;
    if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) != 1)
        goto done;
    if (aad && EVP_EncryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1)
        goto done;
    if (EVP_EncryptUpdate(c, out + 12, &n, plain, (int)plen) != 1)
        goto done;
    int m;
    if (EVP_EncryptFinal_ex(c, out + 12 + n, &m) != 1)
        goto done;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + n + m) != 1)
        goto done;
    *outlen = 12 + (size_t)n + (size_t)m + 16;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int aead_open(const uint8_t key[32], const char *aad, const uint8_t *in, size_t inlen, void *plain, size_t *plen)
{
    int ok = 0, n, m;
    if (inlen < AEAD_OVERHEAD)
        return -1;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return -1;
    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) != 1)
        goto done;
    if (aad && EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1)
        goto done;
    if (EVP_DecryptUpdate(c, plain, &n, in + 12, (int)(inlen - AEAD_OVERHEAD)) != 1)
        goto done;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + inlen - 16)) != 1)
        goto done;
    if (EVP_DecryptFinal_ex(c, (uint8_t *)plain + n, &m) != 1)
        goto done;
    *plen = (size_t)n + (size_t)m;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}
