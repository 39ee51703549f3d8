/* Signature verification against every test vector in the protocol reference (TC3 A-D, v1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "api/api.h"

struct hdrs {
    const char *names[8], *values[8];
};

static const char *lookup(void *h, const char *name)
{
    struct hdrs *hs = h;
    for (int i = 0; i < 8 && hs->names[i]; i++)
        if (strcasecmp(hs->names[i], name) == 0)
            return hs->values[i];
    return NULL;
}

/* Builds the Authorization header as the SDK does and verifies it. */
static int verify(const char *sig, const char *sid, const char *date, const char *service, const char *secret,
                  const char *method, const char *query, struct hdrs *h, const char *body)
{
    char auth[512];
    snprintf(auth, sizeof auth,
             "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, SignedHeaders=content-type;host, Signature=%s", sid,
             date, service, sig);
    struct tc3_auth a;
    assert_int_equal(tc3_parse_authorization(auth, &a), 0);
    return tc3_verify(&a, secret, method, query, lookup, h, body, strlen(body));
}

static void vector_a_official_doc(void **state)
{
    (void)state;
    const char *body =
        "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
    struct hdrs h = {{"host", "content-type", "x-tc-timestamp"},
                     {"cvm.tencentcloudapi.com", "application/json; charset=utf-8", "1551113065"}};
    char hash[65];
    sha256_hex(body, strlen(body), hash);
    assert_string_equal(hash, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
    char *cr = tc3_canonical_request("POST", "", "content-type;host", lookup, &h, "cvm.tencentcloudapi.com", 0, body,
                                     strlen(body));
    char crhash[65];
    sha256_hex(cr, strlen(cr), crhash);
    assert_string_equal(crhash, "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
    char sig[65];
    tc3_sign("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", "cvm", 1551113065, cr, sig);
    free(cr);
    assert_string_equal(sig, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
    assert_int_equal(verify(sig, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "2019-02-25", "cvm",
                            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "POST", "", &h, body),
                     0);
}

static const char *body_b = "{\"Limit\":1,\"Filters\":[{\"Name\":\"zone\",\"Values\":[\"ap-guangzhou-3\"]}]}";

static void vector_b_node_sdk_ip_endpoint(void **state)
{
    (void)state;
    struct hdrs h = {{"host", "content-type", "x-tc-timestamp"}, {"127.0.0.1:8080", "application/json", "1700000000"}};
    const char *sig = "e8dc5159c1b013a8c3ea1c2bf20747cea5ed5a4ac2865b2cb91a62caaf6f4bfc";
    assert_int_equal(verify(sig, "AKIDEXAMPLE", "2023-11-14", "127", "SECRETEXAMPLE", "POST", "", &h, body_b), 0);
    /* wrong secret, tampered body, wrong date, other service all fail */
    assert_int_not_equal(verify(sig, "AKIDEXAMPLE", "2023-11-14", "127", "SECRETEXAMPLF", "POST", "", &h, body_b), 0);
    assert_int_not_equal(
        verify(sig, "AKIDEXAMPLE", "2023-11-14", "127", "SECRETEXAMPLE", "POST", "", &h, "{\"Limit\":2}"), 0);
    assert_int_not_equal(verify(sig, "AKIDEXAMPLE", "2023-11-15", "127", "SECRETEXAMPLE", "POST", "", &h, body_b), 0);
    assert_int_not_equal(verify(sig, "AKIDEXAMPLE", "2023-11-14", "cvm", "SECRETEXAMPLE", "POST", "", &h, body_b), 0);
}

static void vector_c_hostname_endpoint(void **state)
{
    (void)state;
    struct hdrs h = {{"host", "content-type", "x-tc-timestamp"},
                     {"cvm.example.internal:8080", "application/json", "1700000000"}};
    assert_int_equal(verify("4417100f11d45d7edbd1237c60ca0eee5c7e19f3ceffdbeeb2a66e02fdd05301", "AKIDEXAMPLE",
                            "2023-11-14", "cvm", "SECRETEXAMPLE", "POST", "", &h, body_b),
                     0);
}

static void vector_d_get(void **state)
{
    (void)state;
    struct hdrs h = {{"host", "content-type", "x-tc-timestamp"},
                     {"127.0.0.1:8080", "application/x-www-form-urlencoded", "1700000000"}};
    const char *q = "Limit=1&Filters.0.Name=zone&Filters.0.Values.0=ap-guangzhou-3";
    const char *sig = "c1529a38203db0ccaf8cdea03881017691e5bf99be8ce8ec08de2794e8b6794a";
    assert_int_equal(verify(sig, "AKIDEXAMPLE", "2023-11-14", "127", "SECRETEXAMPLE", "GET", q, &h, ""), 0);
    assert_int_not_equal(verify(sig, "AKIDEXAMPLE", "2023-11-14", "127", "SECRETEXAMPLE", "GET", "Limit=2", &h, ""), 0);
}

static void python_sdk_signs_host_with_port(void **state)
{
    (void)state;
    /* Sign with the port in the host, as the Python SDK does; the server must accept it too. */
    struct hdrs h = {{"host", "content-type", "x-tc-timestamp"}, {"127.0.0.1:8080", "application/json", "1700000000"}};
    char *cr =
        tc3_canonical_request("POST", "", "content-type;host", lookup, &h, "127.0.0.1:8080", 0, body_b, strlen(body_b));
    char sig[65];
    tc3_sign("SECRETEXAMPLE", "2023-11-14", "127", 1700000000, cr, sig);
    free(cr);
    assert_int_equal(verify(sig, "AKIDEXAMPLE", "2023-11-14", "127", "SECRETEXAMPLE", "POST", "", &h, body_b), 0);
}

static void malformed_authorization(void **state)
{
    (void)state;
    struct tc3_auth a;
    const char *bad[] = {
        "",
        "TC3-HMAC-SHA256",
        "TC3-HMAC-SHA1 Credential=A/2023-11-14/cvm/tc3_request, SignedHeaders=host, Signature=00",
        "TC3-HMAC-SHA256 Credential=A/2023-11-14/cvm, SignedHeaders=host, "
        "Signature=e8dc5159c1b013a8c3ea1c2bf20747cea5ed5a4ac2865b2cb91a62caaf6f4bfc",
        "TC3-HMAC-SHA256 Credential=A/2023-11-14/cvm/tc3_request, "
        "Signature=e8dc5159c1b013a8c3ea1c2bf20747cea5ed5a4ac2865b2cb91a62caaf6f4bfc",
        "TC3-HMAC-SHA256 Credential=A/2023-11-14/cvm/tc3_request, SignedHeaders=host, Signature=short",
        "TC3-HMAC-SHA256 Credential=A/2023-11-14/cvm/tc3_request/x, SignedHeaders=host, "
        "Signature=e8dc5159c1b013a8c3ea1c2bf20747cea5ed5a4ac2865b2cb91a62caaf6f4bfc",
        "TC3-HMAC-SHA256 Credential=A/2023-11-14/cvm/tc3_request, SignedHeaders=ho st, "
        "Signature=e8dc5159c1b013a8c3ea1c2bf20747cea5ed5a4ac2865b2cb91a62caaf6f4bfc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(tc3_parse_authorization(bad[i], &a), 0);
    assert_int_equal(
        tc3_parse_authorization("TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/127/tc3_request, "
                                "SignedHeaders=content-type;host, "
                                "Signature=e8dc5159c1b013a8c3ea1c2bf20747cea5ed5a4ac2865b2cb91a62caaf6f4bfc",
                                &a),
        0);
    assert_string_equal(a.secret_id, "AKIDEXAMPLE");
    assert_string_equal(a.service, "127");
    assert_string_equal(a.signed_headers, "content-type;host");
}

static void v1_vector(void **state)
{
    (void)state;
    const char *form =
        "Action=DescribeInstances&InstanceIds.0=ins-abc&Limit=1&Nonce=11886&Region=ap-guangzhou"
        "&RequestClient=SDK_NODEJS_4.1.313&SecretId=AKIDEXAMPLE&SignatureMethod=HmacSHA256"
        "&Timestamp=1700000000&Version=2017-03-12&Signature=pryxAVxB90ubZ2eycoStw2VfbR1PhBIanYmDFNJSrMY%3D";
    struct kv *kv;
    int n;
    assert_int_equal(kv_parse(form, strlen(form), &kv, &n), 0);
    assert_int_equal(n, 11);
    assert_string_equal(kv_get(kv, n, "Signature"), "pryxAVxB90ubZ2eycoStw2VfbR1PhBIanYmDFNJSrMY=");
    assert_int_equal(v1_verify("POST", "127.0.0.1:8080", kv, n, "SECRETEXAMPLE"), 0);
    assert_int_not_equal(v1_verify("POST", "127.0.0.1:8081", kv, n, "SECRETEXAMPLE"), 0);
    assert_int_not_equal(v1_verify("GET", "127.0.0.1:8080", kv, n, "SECRETEXAMPLE"), 0);
    assert_int_not_equal(v1_verify("POST", "127.0.0.1:8080", kv, n, "SECRETEXAMPLF"), 0);
    kv_free(kv, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_a_official_doc),
        cmocka_unit_test(vector_b_node_sdk_ip_endpoint),
        cmocka_unit_test(vector_c_hostname_endpoint),
        cmocka_unit_test(vector_d_get),
        cmocka_unit_test(python_sdk_signs_host_with_port),
        cmocka_unit_test(malformed_authorization),
        cmocka_unit_test(v1_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
