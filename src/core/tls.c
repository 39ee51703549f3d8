/*
 * tls: the region CA and the host channel's certificates (pure OpenSSL, no storage: the CA's
 * certificate and sealed key are a row of the store, see compute/host_store.c). Validity is 10
 * years for the CA and 1 year for the leaves; revoking a host is a column of its row, checked on
 * every connection, not a CRL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "core/core.h"
#include "core/tls.h"

void tls_error(char *out, size_t len)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "no detail";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(out, len, "%s", buf);
    ERR_clear_error();
}

EVP_PKEY *tls_key_new(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    int ok = ext && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A certificate of pub named cn, issued by (issuer, issuer_key); issuer NULL = self-signed CA. A host's
 * (client) is also a server's, with cn as its DNS name: QEMU's live migration streams between two hosts are
 * mutual TLS with these (the target serves, GnuTLS checks the name against tls-hostname in the SAN only). */
static X509 *make_cert(EVP_PKEY *pub, const char *cn, int days, X509 *issuer, EVP_PKEY *issuer_key, int client)
{
    X509 *c = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    if (!c || RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f; /* a positive serial */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    X509_NAME *name = X509_NAME_new();
    if (!bn || !name || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) || X509_set_version(c, 2) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_set_subject_name(c, name) != 1 ||
        X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(c), -300) || !X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400) ||
        X509_set_pubkey(c, pub) != 1) {
        X509_NAME_free(name);
        goto fail;
    }
    X509_NAME_free(name);
    X509 *iss = issuer ? issuer : c;
    char san[140];
    snprintf(san, sizeof san, "DNS:%s", cn);
    int rc = issuer ? add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE") ||
                          add_ext(c, iss, NID_key_usage, "critical,digitalSignature") ||
                          add_ext(c, iss, NID_ext_key_usage, client ? "clientAuth,serverAuth" : "serverAuth") ||
                          (client && add_ext(c, iss, NID_subject_alt_name, san)) ||
                          add_ext(c, iss, NID_authority_key_identifier, "keyid:always")
                    : add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
                          add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign") ||
                          add_ext(c, iss, NID_subject_key_identifier, "hash");
    if (rc != 0 || X509_sign(c, issuer_key, EVP_sha256()) <= 0)
        goto fail;
    BN_free(bn);
    return c;
fail:
    BN_free(bn);
    X509_free(c);
    return NULL;
}

X509 *tls_ca_sign(const struct tls_ca *ca, EVP_PKEY *pub, const char *cn, int days, int client)
{
    return make_cert(pub, cn, days, ca->cert, ca->key, client);
}

int tls_cert_sha256(X509 *cert, char out[65])
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    if (n <= 0)
        return -1;
    uint8_t h[32];
    sha256(der, (size_t)n, h);
    OPENSSL_free(der);
    hex_encode(h, 32, out);
    return 0;
}

void tls_cert_cn(X509 *cert, char *out, size_t len)
{
    out[0] = 0;
    if (cert && X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out, (int)len) < 0)
        out[0] = 0;
}

int tls_host_cert_current(X509 *cert)
{
    char cn[64];
    tls_cert_cn(cert, cn, sizeof cn);
    int ok = cn[0] && X509_check_purpose(cert, X509_PURPOSE_SSL_CLIENT, 0) == 1 &&
             X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0) == 1 &&
             X509_check_host(cert, cn, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
    ERR_clear_error();
    return ok;
}

int tls_cert_is_control(X509 *cert)
{
    char cn[128];
    tls_cert_cn(cert, cn, sizeof cn);
    return strncmp(cn, TLS_CONTROL_CN, strlen(TLS_CONTROL_CN)) == 0;
}

static char *bio_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = 0;
    }
    BIO_free(b);
    return s;
}

char *tls_cert_pem(X509 *cert)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || PEM_write_bio_X509(b, cert) != 1) {
        BIO_free(b);
        return NULL;
    }
    return bio_string(b);
}

char *tls_key_pem(EVP_PKEY *key)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(b);
        return NULL;
    }
    return bio_string(b);
}

X509 *tls_cert_parse(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *c = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return c;
}

EVP_PKEY *tls_key_parse(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return k;
}

char *tls_csr_pem(EVP_PKEY *key, const char *cn)
{
    X509_REQ *r = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (r && name && b &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) == 1 &&
        X509_REQ_set_subject_name(r, name) == 1 && X509_REQ_set_pubkey(r, key) == 1 &&
        X509_REQ_sign(r, key, EVP_sha256()) > 0 && PEM_write_bio_X509_REQ(b, r) == 1) {
        out = bio_string(b);
        b = NULL;
    }
    BIO_free(b);
    X509_NAME_free(name);
    X509_REQ_free(r);
    return out;
}

EVP_PKEY *tls_csr_key(const char *pem, char *err, size_t errlen)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509_REQ *r = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    EVP_PKEY *k = r ? X509_REQ_get_pubkey(r) : NULL;
    if (!r || !k) {
        snprintf(err, errlen, "the certificate request is not a PEM CSR");
    } else if (X509_REQ_verify(r, k) != 1) {
        snprintf(err, errlen, "the certificate request's signature does not hold");
        EVP_PKEY_free(k);
        k = NULL;
    } else if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC || EVP_PKEY_get_bits(k) != 256) {
        snprintf(err, errlen, "the certificate request's key must be EC P-256");
        EVP_PKEY_free(k);
        k = NULL;
    }
    X509_REQ_free(r);
    ERR_clear_error();
    return k;
}

int tls_ca_make(const char *region, char **cert_pem, char **key_pem)
{
    char cn[128];
    snprintf(cn, sizeof cn, "yun region CA %s", region);
    EVP_PKEY *key = tls_key_new();
    X509 *cert = key ? make_cert(key, cn, 3650, NULL, key, 0) : NULL;
    *key_pem = cert ? tls_key_pem(key) : NULL;
    *cert_pem = cert ? tls_cert_pem(cert) : NULL;
    EVP_PKEY_free(key);
    X509_free(cert);
    if (*key_pem && *cert_pem)
        return 0;
    free(*key_pem);
    free(*cert_pem);
    *key_pem = *cert_pem = NULL;
    return -1;
}

int tls_ca_load(const char *cert_pem, const char *key_pem, struct tls_ca *ca)
{
    memset(ca, 0, sizeof *ca);
    ca->cert = tls_cert_parse(cert_pem);
    ca->key = key_pem ? tls_key_parse(key_pem) : NULL;
    if (!ca->cert || (key_pem && (!ca->key || X509_check_private_key(ca->cert, ca->key) != 1)) ||
        tls_cert_sha256(ca->cert, ca->sha256) != 0) {
        tls_ca_close(ca);
        ERR_clear_error();
        return -1;
    }
    return 0;
}

void tls_ca_close(struct tls_ca *ca)
{
    EVP_PKEY_free(ca->key);
    X509_free(ca->cert);
    ca->key = NULL;
    ca->cert = NULL;
}

SSL_CTX *tls_ctx_new(int server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx)
        return NULL;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    return ctx;
}

int tls_write_line(SSL *ssl, const char *line)
{
    size_t n = strlen(line);
    char *buf = malloc(n + 1);
    if (!buf)
        return -1;
    memcpy(buf, line, n);
    buf[n] = '\n';
    size_t written = 0;
    int ok = SSL_write_ex(ssl, buf, n + 1, &written) == 1 && written == n + 1;
    free(buf);
    return ok ? 0 : -1;
}

int tls_write_all(SSL *ssl, const void *buf, size_t len)
{
    size_t written = 0;
    return len == 0 || (SSL_write_ex(ssl, buf, len, &written) == 1 && written == len) ? 0 : -1;
}

int tls_read_all(SSL *ssl, void *buf, size_t len)
{
    for (size_t n = 0, got = 0; n < len; n += got)
        if (SSL_read_ex(ssl, (char *)buf + n, len - n, &got) != 1 || got == 0)
            return -1;
    return 0;
}

int tls_read_line(SSL *ssl, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        size_t got = 0;
        if (SSL_read_ex(ssl, buf + n, 1, &got) != 1 || got != 1)
            return -1;
        if (buf[n] == '\n') {
            buf[n] = 0;
            return (int)n;
        }
        n++;
    }
    return -1;
}
