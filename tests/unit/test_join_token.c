/* Host join tokens (compute/join_token.c) and the host channel's certificates (core/tls.c):
 * the token's text form, table-driven; the verdicts on a presented secret; a CA that signs a
 * host's CSR into a client certificate that verifies, and CSRs that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compute/host_channel.h"
#include "core/tls.h"

#include <openssl/x509v3.h>

#define ID  "ab12cd34"
#define SEC "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
#define PIN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok;
    } cases[] = {
        {ID "." SEC "." PIN, 1},
        {"", 0},
        {"garbage", 0},
        {ID "." SEC, 0},                                                                     /* no pin */
        {ID "." SEC "." PIN ".x", 0},                                                        /* a fourth part */
        {"ab12cd3." SEC "." PIN, 0},                                                         /* id of 7 */
        {"ab12cd345." SEC "." PIN, 0},                                                       /* id of 9 */
        {"AB12CD34." SEC "." PIN, 0},                                                        /* id upper case */
        {ID ".AbCdEfGhIjKlMnOpQrStUvWxYz01234." PIN, 0},                                     /* secret of 31 */
        {ID ".AbCdEfGhIjKlMnOpQrStUvWxYz01234-." PIN, 0},                                    /* secret with '-' */
        {ID "." SEC ".0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 0}, /* pin upper case */
        {ID "." SEC ".0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", 0},  /* pin of 63 */
        {ID "." SEC "." PIN "0", 0},                                                         /* pin of 65 */
        {ID ".." PIN, 0},
        {"." SEC "." PIN, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct join_token t;
        int rc = join_token_parse(cases[i].text, &t);
        if (rc != (cases[i].ok ? 0 : -1))
            fail_msg("case %zu (%s): %d", i, cases[i].text, rc);
    }
    struct join_token t;
    assert_int_equal(join_token_parse(NULL, &t), -1);
    assert_int_equal(join_token_parse(ID "." SEC "." PIN, &t), 0);
    assert_string_equal(t.id, ID);
    assert_string_equal(t.secret, SEC);
    assert_string_equal(t.ca_sha256, PIN);
}

static void new_tokens_round_trip(void **state)
{
    (void)state;
    char last[JOIN_TOKEN_MAX] = "";
    for (int i = 0; i < 200; i++) {
        struct join_token t, back;
        char text[JOIN_TOKEN_MAX];
        join_token_new(PIN, &t);
        join_token_format(&t, text, sizeof text);
        assert_int_equal(strlen(text), 8 + 1 + 32 + 1 + 64);
        assert_int_equal(join_token_parse(text, &back), 0);
        assert_string_equal(back.secret, t.secret);
        assert_string_not_equal(text, last);
        memcpy(last, text, sizeof last);
    }
}

static void verdicts(void **state)
{
    (void)state;
    char h[65];
    join_token_secret_hash(SEC, h);
    assert_int_equal(strlen(h), 64);
    assert_int_equal(join_token_check(SEC, h, 1000, 0, 999), JOIN_OK);
    assert_int_equal(join_token_check(SEC, h, 1000, 0, 1000), JOIN_EXPIRED); /* the TTL's end is expired */
    assert_int_equal(join_token_check(SEC, h, 1000, 1, 999), JOIN_USED);
    assert_int_equal(join_token_check("AbCdEfGhIjKlMnOpQrStUvWxYz012346", h, 1000, 0, 999), JOIN_WRONG_SECRET);
    /* a wrong secret says nothing of the token's state */
    assert_int_equal(join_token_check("x", h, 1000, 1, 2000), JOIN_WRONG_SECRET);
    assert_int_equal(join_token_check(SEC, "", 1000, 0, 999), JOIN_WRONG_SECRET);
    assert_int_equal(join_token_check(SEC, SEC, 1000, 0, 999), JOIN_WRONG_SECRET); /* the secret is not its hash */
    for (int v = JOIN_OK; v <= JOIN_USED; v++)
        assert_true(strlen(join_verdict_text((enum join_verdict)v)) > 0);
}

static void ca_signs_a_host(void **state)
{
    (void)state;
    char *cert_pem, *key_pem;
    struct tls_ca ca, pub_only;
    assert_int_equal(tls_ca_make("ap-test", &cert_pem, &key_pem), 0);
    assert_int_equal(tls_ca_load(cert_pem, key_pem, &ca), 0);
    assert_int_equal(tls_ca_load(cert_pem, NULL, &pub_only), 0);
    assert_string_equal(ca.sha256, pub_only.sha256);
    assert_int_equal(X509_check_ca(ca.cert), 1);

    EVP_PKEY *host = tls_key_new();
    char *csr = tls_csr_pem(host, "host");
    char err[200];
    EVP_PKEY *pub = tls_csr_key(csr, err, sizeof err);
    assert_non_null(pub);
    X509 *leaf = tls_ca_sign(&ca, pub, "host-abcdefgh", 365, 1);
    assert_non_null(leaf);
    char cn[64];
    tls_cert_cn(leaf, cn, sizeof cn);
    assert_string_equal(cn, "host-abcdefgh");
    assert_int_equal(X509_verify(leaf, X509_get0_pubkey(ca.cert)), 1);
    assert_int_equal(X509_check_purpose(leaf, X509_PURPOSE_SSL_CLIENT, 0), 1);
    /* a host serves its live migrations' streams under its id, but is never taken for the control plane */
    assert_int_equal(X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0), 1);
    assert_int_equal(X509_check_host(leaf, "host-abcdefgh", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
    assert_int_equal(tls_host_cert_current(leaf), 1);
    assert_int_equal(tls_cert_is_control(leaf), 0);
    X509 *listener = tls_ca_sign(&ca, pub, TLS_CONTROL_CN "ap-test", 365, 0);
    assert_int_equal(tls_cert_is_control(listener), 1);
    assert_int_equal(tls_host_cert_current(listener), 0);
    X509_free(listener);
    /* a host certificate as issued before live migration used them (clientAuth only, no DNS name) is not current:
     * the hello replaces it */
    X509 *old = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, ca.cert, old, NULL, NULL, 0);
    X509_EXTENSION *eku = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "clientAuth");
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"host-abcdefgh", -1, -1, 0), 1);
    assert_true(X509_set_version(old, 2) == 1 && X509_set_subject_name(old, name) == 1 &&
                X509_set_issuer_name(old, X509_get_subject_name(ca.cert)) == 1 && X509_set_pubkey(old, pub) == 1 &&
                X509_gmtime_adj(X509_getm_notBefore(old), 0) && X509_gmtime_adj(X509_getm_notAfter(old), 86400) &&
                eku && X509_add_ext(old, eku, -1) == 1 && X509_sign(old, ca.key, EVP_sha256()) > 0);
    assert_int_equal(X509_check_purpose(old, X509_PURPOSE_SSL_CLIENT, 0), 1);
    assert_int_equal(tls_host_cert_current(old), 0);
    X509_EXTENSION_free(eku);
    X509_NAME_free(name);
    X509_free(old);
    assert_int_equal(X509_check_ca(leaf), 0);

    /* another CA's key does not load as this CA; a tampered or foreign CSR is refused */
    char *cert2, *key2;
    struct tls_ca mixed;
    assert_int_equal(tls_ca_make("ap-test", &cert2, &key2), 0);
    assert_int_equal(tls_ca_load(cert_pem, key2, &mixed), -1);
    assert_null(tls_csr_key("not a csr", err, sizeof err));
    char *bad = strdup(csr);
    bad[strlen(bad) / 2] = bad[strlen(bad) / 2] == 'A' ? 'B' : 'A';
    EVP_PKEY *k = tls_csr_key(bad, err, sizeof err);
    assert_null(k);
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *rsa_csr = tls_csr_pem(rsa, "host");
    assert_null(tls_csr_key(rsa_csr, err, sizeof err));
    assert_non_null(strstr(err, "P-256"));

    free(rsa_csr);
    EVP_PKEY_free(rsa);
    free(bad);
    free(cert2);
    free(key2);
    X509_free(leaf);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(host);
    free(csr);
    tls_ca_close(&ca);
    tls_ca_close(&pub_only);
    free(cert_pem);
    free(key_pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(parse_table), cmocka_unit_test(new_tokens_round_trip),
                                       cmocka_unit_test(verdicts), cmocka_unit_test(ca_signs_a_host)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
