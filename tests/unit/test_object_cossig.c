/*
 * test_object_cossig.c - COS XML signature.
 *
 * Vectors (SecretId AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q, SecretKey
 * BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz, KeyTime 1557989151;1557996351, Host
 * examplebucket-1250000000.cos.ap-beijing.myqcloud.com):
 *  A, B, D: computed with cos-nodejs-sdk-v5 3.0.0 COS.getAuthorization (= util.getAuth);
 *           A (PUT /exampleobject(腾讯云)) and B (GET /?versions&prefix=..) also match
 *           the values recorded in shared/reference/s3-cos.md.
 *  C:       Tencent's COS signature documentation example (doc 436/7778): A plus a
 *           signed Date header; HttpString SHA-1 8b2751e7..., signature 3b8851a1....
 *  E:       a presigned URL produced by cos-nodejs-sdk-v5 3.0.0 getObjectUrl
 *           (Domain {Bucket}.cos.local, key "photos/猫 1.jpg", Expires 600).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "object/cossig.h"

#define SECRET "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz"
#define HOST   "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"
#define PREFIX                                                                                                         \
    "q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989151;1557996351"                \
    "&q-key-time=1557989151;1557996351"
#define NOW 1557990000

struct hdrs {
    const char *kv[16][2];
};

static const char *lookup(void *ctx, const char *name)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 16 && h->kv[i][0]; i++)
        if (strcasecmp(h->kv[i][0], name) == 0)
            return h->kv[i][1];
    return NULL;
}

static enum cossig_status check(const char *method, const char *path, const char *query, struct hdrs *h, int64_t now,
                                const char *secret)
{
    struct obj_request r = {method, path, query, lookup, NULL, h};
    struct cossig_auth a;
    enum cossig_status st = cossig_parse(&r, &a);
    if (st != COSSIG_OK)
        return st;
    assert_string_equal(a.access_key, "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q");
    return cossig_verify(&r, &a, secret, now);
}

static struct hdrs vector_a(void)
{
    struct hdrs h = {{{"Host", HOST},
                      {"Content-Type", "text/plain"},
                      {"Content-Length", "13"},
                      {"Content-MD5", "mQ/fVh815F3k6TAUm8m0eg=="},
                      {"x-cos-acl", "private"},
                      {"x-cos-grant-read", "uin=\"100000000011\""},
                      {"User-Agent", "cos-nodejs-sdk-v5"},
                      {"Authorization", PREFIX "&q-header-list=content-length;content-md5;content-type;host;x-cos-acl;"
                                               "x-cos-grant-read&q-url-param-list=&q-signature="
                                               "fc4e4717b501da12715d5fc84a4880a87ad2b7ab"}}};
    return h;
}

static void test_sdk_put(void **state)
{
    (void)state;
    struct hdrs h = vector_a();
    const char *enc = "/exampleobject%28%E8%85%BE%E8%AE%AF%E4%BA%91%29";
    assert_int_equal(check("PUT", enc, NULL, &h, NOW, SECRET), COSSIG_OK);
    assert_int_equal(check("PUT", "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)", NULL, &h, NOW, SECRET), COSSIG_OK);
    /* The unsigned User-Agent may change; a signed header may not. */
    h.kv[6][1] = "curl";
    assert_int_equal(check("PUT", enc, NULL, &h, NOW, SECRET), COSSIG_OK);
    h.kv[4][1] = "public-read";
    assert_int_equal(check("PUT", enc, NULL, &h, NOW, SECRET), COSSIG_SIGNATURE_MISMATCH);
    h = vector_a();
    assert_int_equal(check("PUT", "/exampleobject2", NULL, &h, NOW, SECRET), COSSIG_SIGNATURE_MISMATCH);
    assert_int_equal(check("GET", enc, NULL, &h, NOW, SECRET), COSSIG_SIGNATURE_MISMATCH);
    assert_int_equal(check("PUT", enc, NULL, &h, NOW, "BQYIM75p8x0iWVFSIgqEKwFprpRSVHl0"), COSSIG_SIGNATURE_MISMATCH);
    /* Time window: expired after the end, fine at both ends, not valid far before the start. */
    assert_int_equal(check("PUT", enc, NULL, &h, 1557996351, SECRET), COSSIG_OK);
    assert_int_equal(check("PUT", enc, NULL, &h, 1557996352, SECRET), COSSIG_EXPIRED);
    assert_string_equal(cossig_error_of(COSSIG_EXPIRED)->message, "Request has expired");
    assert_int_equal(check("PUT", enc, NULL, &h, 1557989151 - 901, SECRET), COSSIG_NOT_YET_VALID);
}

static void test_sdk_list_versions(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", HOST},
                      {"Authorization", PREFIX "&q-header-list=host&q-url-param-list=delimiter;max-keys;prefix;"
                                               "response-content-type;versions&q-signature="
                                               "7ed0926b996c8f6d2a1c216f7eb6d71771da7d6d"}}};
    const char *q = "versions&prefix=example-folder%2F&delimiter=%2F&max-keys=20&Response-Content-Type=a%20b";
    struct obj_request r = {"GET", "/", q, lookup, NULL, &h};
    struct cossig_auth a;
    struct obj_buf b;
    assert_int_equal(cossig_parse(&r, &a), COSSIG_OK);
    assert_int_equal(cossig_http_string(&r, &a, &b), COSSIG_OK);
    assert_string_equal(obj_buf_str(&b), "get\n/\ndelimiter=%2F&max-keys=20&prefix=example-folder%2F&"
                                         "response-content-type=a%20b&versions=\nhost=" HOST "\n");
    obj_buf_free(&b);
    assert_int_equal(cossig_verify(&r, &a, SECRET, NOW), COSSIG_OK);
    assert_true(cossig_param_signed(&a, "Response-Content-Type"));
    assert_false(cossig_param_signed(&a, "acl"));
    /* A changed signed parameter fails; an extra unsigned one does not (but is reported unsigned). */
    r.raw_query = "versions&prefix=example-folder%2F&delimiter=%2F&max-keys=21&Response-Content-Type=a%20b";
    assert_int_equal(cossig_verify(&r, &a, SECRET, NOW), COSSIG_SIGNATURE_MISMATCH);
    r.raw_query = "versions&prefix=example-folder%2F&delimiter=%2F&max-keys=20&Response-Content-Type=a%20b&x=1";
    assert_int_equal(cossig_verify(&r, &a, SECRET, NOW), COSSIG_OK);
}

static void test_doc_example_with_date(void **state)
{
    (void)state;
    struct hdrs h = vector_a();
    h.kv[6][0] = "Date";
    h.kv[6][1] = "Thu, 16 May 2019 06:45:51 GMT";
    h.kv[7][1] = PREFIX "&q-header-list=content-length;content-md5;content-type;date;host;x-cos-acl;"
                        "x-cos-grant-read&q-url-param-list=&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172";
    struct obj_request r = {"PUT", "/exampleobject%28%E8%85%BE%E8%AE%AF%E4%BA%91%29", NULL, lookup, NULL, &h};
    struct cossig_auth a;
    struct obj_buf b;
    assert_int_equal(cossig_parse(&r, &a), COSSIG_OK);
    assert_int_equal(cossig_string_to_sign(&r, &a, &b), COSSIG_OK);
    assert_string_equal(obj_buf_str(&b), "sha1\n1557989151;1557996351\n8b2751e77f43a0995d6e9eb9477f4b685cca4172\n");
    obj_buf_free(&b);
    assert_int_equal(cossig_verify(&r, &a, SECRET, NOW), COSSIG_OK);
}

static void test_sdk_encoded_key_and_token(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", HOST},
                      {"x-cos-security-token", "tok/en=="},
                      {"Authorization",
                       PREFIX "&q-header-list=host;x-cos-security-token&q-url-param-list="
                              "response-content-disposition&q-signature=c38b0ef54ac8ef1c18b72036dec278e273f55aff"}}};
    /* Key "dir/a+b c%.txt" as the SDK puts it on the wire. */
    assert_int_equal(check("GET", "/dir/a%2Bb%20c%25.txt",
                           "response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22", &h, NOW, SECRET),
                     COSSIG_OK);
}

static void test_sdk_presigned_url(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "examplebucket-1250000000.cos.local"}}};
    const char *q = "q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1795349183;"
                    "1795349783&q-key-time=1795349183;1795349783&q-header-list=host&q-url-param-list="
                    "response-content-type&q-signature=3b76cc3b4ed1877a2791fa74d2379579341e0eeb&"
                    "response-content-type=image%2Fjpeg";
    struct obj_request r = {"GET", "/photos/%E7%8C%AB%201.jpg", q, lookup, NULL, &h};
    struct cossig_auth a;
    assert_int_equal(cossig_parse(&r, &a), COSSIG_OK);
    assert_true(a.presigned);
    assert_int_equal(cossig_verify(&r, &a, SECRET, 1795349200), COSSIG_OK);
    assert_int_equal(cossig_verify(&r, &a, SECRET, 1795349784), COSSIG_EXPIRED);
    h.kv[0][1] = "otherbucket-1250000000.cos.local";
    assert_int_equal(cossig_verify(&r, &a, SECRET, 1795349200), COSSIG_SIGNATURE_MISMATCH);
}

static void test_malformed(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", HOST}, {"Authorization", NULL}}};
    struct obj_request r = {"GET", "/", NULL, lookup, NULL, &h};
    struct cossig_auth a;
    const struct {
        const char *authz;
        enum cossig_status want;
    } cases[] = {
        {PREFIX "&q-header-list=host&q-url-param-list=&q-signature=7ed0926b996c8f6d2a1c216f7eb6d71771da7d6d",
         COSSIG_OK},
        {PREFIX "&q-header-list=&q-url-param-list=&q-signature=7ed0926b996c8f6d2a1c216f7eb6d71771da7d6d",
         COSSIG_HOST_NOT_SIGNED},
        {PREFIX "&q-header-list=host&q-signature=7ed0926b996c8f6d2a1c216f7eb6d71771da7d6d", COSSIG_MALFORMED},
        {PREFIX "&q-header-list=host&q-url-param-list=&q-signature=7ed0926b", COSSIG_MALFORMED},
        {PREFIX "&q-header-list=Host&q-url-param-list=&q-signature=7ed0926b996c8f6d2a1c216f7eb6d71771da7d6d",
         COSSIG_MALFORMED},
        {"q-sign-algorithm=sha256&q-ak=a&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-url-param-list="
         "&q-signature=7ed0926b996c8f6d2a1c216f7eb6d71771da7d6d",
         COSSIG_MALFORMED},
        {"q-sign-algorithm=sha1&q-ak=a&q-sign-time=2;1&q-key-time=1;2&q-header-list=host&q-url-param-list="
         "&q-signature=7ed0926b996c8f6d2a1c216f7eb6d71771da7d6d",
         COSSIG_MALFORMED},
        {"AWS AK:sig", COSSIG_ABSENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h.kv[1][1] = cases[i].authz;
        assert_int_equal(cossig_parse(&r, &a), cases[i].want);
    }
    h.kv[1][1] = cases[0].authz;
    r.raw_query = "q-sign-algorithm=sha1";
    assert_int_equal(cossig_parse(&r, &a), COSSIG_MULTIPLE_AUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_put),
        cmocka_unit_test(test_sdk_list_versions),
        cmocka_unit_test(test_doc_example_with_date),
        cmocka_unit_test(test_sdk_encoded_key_and_token),
        cmocka_unit_test(test_sdk_presigned_url),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
