/*
 * tls: the region CA and the certificates of the host channel (OpenSSL; EC P-256 keys, ECDSA
 * SHA-256 signatures, TLS 1.3 only). Kept apart from core.h so only the channel's two ends see
 * OpenSSL types.
 */
#ifndef YUN_TLS_H
#define YUN_TLS_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* The region CA (made at the first start, kept by compute's host store with its key sealed). */
struct tls_ca {
    EVP_PKEY *key;
    X509 *cert;
    char sha256[65]; /* sha256 of the certificate's DER, hex: what join tokens pin */
};

/* A new self-signed CA for region: its certificate and key as PEM (malloc'd). 0 or -1. */
int tls_ca_make(const char *region, char **cert_pem, char **key_pem);
/* The CA from its PEM; key_pem NULL = the certificate only (a host's view). 0 or -1. */
int tls_ca_load(const char *cert_pem, const char *key_pem, struct tls_ca *ca);
void tls_ca_close(struct tls_ca *ca);

EVP_PKEY *tls_key_new(void); /* a fresh P-256 key */
/* The CN prefix of the control plane's listener certificates (a host's is its id, "host-..."). */
#define TLS_CONTROL_CN "yun control plane "
/* A certificate for pub signed by the CA: CN cn, for a host (client = 1: a client of the channel, and client
 * and server of live migration's streams, DNS name cn) or a server (the listener). */
X509 *tls_ca_sign(const struct tls_ca *ca, EVP_PKEY *pub, const char *cn, int days, int client);
/* The SHA-256 of a certificate's DER, hex. */
int tls_cert_sha256(X509 *cert, char out[65]);
/* The CN of a certificate's subject ("" when it has none). */
void tls_cert_cn(X509 *cert, char *out, size_t len);
/* 1: a host certificate as hosts are issued now (client and server, its CN its DNS name); 0: an older one,
 * which the hello replaces. */
int tls_host_cert_current(X509 *cert);
/* 1: the certificate is a control plane listener's (by its CN), not a host's: hosts refuse any other server. */
int tls_cert_is_control(X509 *cert);

/* PEM both ways; the strings are malloc'd, the objects the caller frees. */
char *tls_cert_pem(X509 *cert);
char *tls_key_pem(EVP_PKEY *key);
X509 *tls_cert_parse(const char *pem);
EVP_PKEY *tls_key_parse(const char *pem);
/* A certificate signing request for key (CN cn), and the public key of a request whose
 * signature holds (NULL otherwise). */
char *tls_csr_pem(EVP_PKEY *key, const char *cn);
EVP_PKEY *tls_csr_key(const char *pem, char *err, size_t errlen);

/* An SSL_CTX restricted to TLS 1.3. */
SSL_CTX *tls_ctx_new(int server);
/* One line (a JSON object and "\n") each way over a TLS connection: 0 sent; the length read
 * (the newline dropped), or -1 on EOF, error, timeout or a line longer than cap - 1. */
int tls_write_line(SSL *ssl, const char *line);
int tls_read_line(SSL *ssl, char *buf, size_t cap);
/* Exactly len bytes each way (after a line that announced them); 0 or -1. */
int tls_write_all(SSL *ssl, const void *buf, size_t len);
int tls_read_all(SSL *ssl, void *buf, size_t len);
/* The OpenSSL error queue as one line (and cleared). */
void tls_error(char *out, size_t len);

#endif
