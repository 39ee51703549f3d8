/*
 * test_object_sigv4.c - SigV4 (S3 flavour) against the worked examples AWS
 * publishes in the S3 API reference, "Signature Calculations for the
 * Authorization Header: Transferring Payload in a Single Chunk" (examples
 * GET Object with Range, PUT Object test$file.text, GET ?lifecycle,
 * GET ?max-keys=2&prefix=J), "Authenticating Requests: Using Query
 * Parameters" (presigned GET test.txt, 86400 s) and "Transferring Payload in
 * Multiple Chunks" (the seed request of the chunked upload example). All use
 * AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY on
 * 20130524T000000Z. Expected canonical requests and signatures are copied
 * from those pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "object/sigv4.h"

#define SECRET    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T20130524 1369353600 /* 2013-05-24T00:00:00Z */
#define EMPTY     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

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

static struct obj_request mkreq(const char *method, const char *path, const char *query, struct hdrs *h)
{
    struct obj_request r = {method, path, query, lookup, NULL, h};
    return r;
}

static void expect_ok(struct obj_request *r, const char *creq_expected, int64_t now)
{
    struct sigv4_auth a;
    assert_int_equal(sigv4_parse(r, &a), SIGV4_OK);
    assert_string_equal(a.access_key, "AKIAIOSFODNN7EXAMPLE");
    if (creq_expected) {
        struct obj_buf b;
        assert_int_equal(sigv4_canonical_request(r, &a, &b), SIGV4_OK);
        assert_string_equal(obj_buf_str(&b), creq_expected);
        obj_buf_free(&b);
    }
    assert_int_equal(sigv4_verify(r, &a, SECRET, now), SIGV4_OK);
    /* Negative: wrong secret, clock 16 minutes off. */
    assert_int_equal(sigv4_verify(r, &a, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ", now), SIGV4_SIGNATURE_MISMATCH);
    if (!a.presigned) {
        assert_int_equal(sigv4_verify(r, &a, SECRET, now + 16 * 60), SIGV4_TIME_SKEWED);
        assert_int_equal(sigv4_verify(r, &a, SECRET, now - 16 * 60), SIGV4_TIME_SKEWED);
        assert_int_equal(sigv4_verify(r, &a, SECRET, now + 14 * 60), SIGV4_OK);
    }
}

static void test_get_object_range(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "examplebucket.s3.amazonaws.com"},
                      {"Range", "bytes=0-9"},
                      {"x-amz-content-sha256", EMPTY},
                      {"x-amz-date", "20130524T000000Z"},
                      {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                                        "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                                        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"}}};
    struct obj_request r = mkreq("GET", "/test.txt", NULL, &h);
    expect_ok(&r,
              "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
              "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
              "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY,
              T20130524);
    /* Published StringToSign hash. */
    struct sigv4_auth a;
    struct obj_buf b;
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_int_equal(sigv4_string_to_sign(&r, &a, &b), SIGV4_OK);
    assert_string_equal(obj_buf_str(&b), "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                                         "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    obj_buf_free(&b);
    /* Tampered request: a different range must not verify. */
    h.kv[1][1] = "bytes=0-10";
    assert_int_equal(sigv4_verify(&r, &a, SECRET, T20130524), SIGV4_SIGNATURE_MISMATCH);
}

static void test_put_object(void **state)
{
    (void)state;
    struct hdrs h = {
        {{"Host", "examplebucket.s3.amazonaws.com"},
         {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
         {"x-amz-date", "20130524T000000Z"},
         {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
         {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
         {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                           "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
                           "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"}}};
    struct obj_request r = mkreq("PUT", "/test$file.text", NULL, &h);
    expect_ok(&r,
              "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
              "host:examplebucket.s3.amazonaws.com\n"
              "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
              "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
              "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
              T20130524);
    /* The same key sent percent-encoded must canonicalise identically (no double encoding). */
    r.raw_path = "/test%24file.text";
    expect_ok(&r, NULL, T20130524);
    struct sigv4_auth a;
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_int_equal(a.payload, SIGV4_PAYLOAD_SHA256);
}

static void test_get_lifecycle(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "examplebucket.s3.amazonaws.com"},
                      {"x-amz-date", "20130524T000000Z"},
                      {"x-amz-content-sha256", EMPTY},
                      {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                                        "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
                                        "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"}}};
    struct obj_request r = mkreq("GET", "/", "lifecycle", &h);
    expect_ok(&r,
              "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" EMPTY
              "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
              T20130524);
}

static void test_list_objects(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "examplebucket.s3.amazonaws.com"},
                      {"x-amz-date", "20130524T000000Z"},
                      {"x-amz-content-sha256", EMPTY},
                      {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                                        "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                                        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"}}};
    /* Query given out of order: the canonical form sorts it. */
    struct obj_request r = mkreq("GET", "/", "prefix=J&max-keys=2", &h);
    expect_ok(&r,
              "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" EMPTY
              "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
              T20130524);
    r.raw_query = "prefix=K&max-keys=2";
    struct sigv4_auth a;
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_int_equal(sigv4_verify(&r, &a, SECRET, T20130524), SIGV4_SIGNATURE_MISMATCH);
}

#define PRESIGN_Q                                                                                                      \
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"            \
    "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"

static void test_presigned_get(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "examplebucket.s3.amazonaws.com"}}};
    struct obj_request r =
        mkreq("GET", "/test.txt",
              PRESIGN_Q "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", &h);
    expect_ok(&r, "GET\n/test.txt\n" PRESIGN_Q "\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD",
              T20130524 + 3600);
    struct sigv4_auth a;
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_true(a.presigned);
    assert_int_equal(a.expires, 86400);
    assert_int_equal(a.payload, SIGV4_PAYLOAD_UNSIGNED);
    /* Valid through X-Amz-Date + 86400, expired one second later. */
    assert_int_equal(sigv4_verify(&r, &a, SECRET, T20130524 + 86400), SIGV4_OK);
    assert_int_equal(sigv4_verify(&r, &a, SECRET, T20130524 + 86401), SIGV4_EXPIRED);
    assert_string_equal(sigv4_error_of(SIGV4_EXPIRED)->message, "Request has expired");
    assert_string_equal(sigv4_error_of(SIGV4_EXPIRED)->code, "AccessDenied");
    assert_int_equal(sigv4_verify(&r, &a, SECRET, T20130524 - 3600), SIGV4_NOT_YET_VALID);
    /* Tampered signature (last hex digit). */
    r.raw_query = PRESIGN_Q "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d405";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_int_equal(sigv4_verify(&r, &a, SECRET, T20130524), SIGV4_SIGNATURE_MISMATCH);
    /* Another Host than the one signed. */
    r.raw_query = PRESIGN_Q "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    h.kv[0][1] = "examplebucket.s3.amazonaws.com:9000";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_int_equal(sigv4_verify(&r, &a, SECRET, T20130524), SIGV4_SIGNATURE_MISMATCH);
}

static void test_presign_limits(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "h"}}};
    struct sigv4_auth a;
    const char *sig = "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    char q[1024];
    struct obj_request r = mkreq("GET", "/k", q, &h);
    const struct {
        const char *expires;
        enum sigv4_status want;
    } cases[] = {
        {"604800", SIGV4_OK},
        {"604801", SIGV4_EXPIRES_OUT_OF_RANGE},
        {"0", SIGV4_EXPIRES_OUT_OF_RANGE},
        {"-5", SIGV4_EXPIRES_OUT_OF_RANGE},
        {"99999999", SIGV4_EXPIRES_OUT_OF_RANGE},
        {"-", SIGV4_QUERY_MALFORMED},
        {"1e3", SIGV4_QUERY_MALFORMED},
        {"", SIGV4_QUERY_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(q, sizeof(q),
                 "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%%2F20130524%%2Fus-east-1%%2Fs3%%2F"
                 "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=%s&X-Amz-SignedHeaders=host%s",
                 cases[i].expires, sig);
        assert_int_equal(sigv4_parse(&r, &a), cases[i].want);
    }
    /* Missing parameter, wrong algorithm, host not signed, scope date != X-Amz-Date. */
    r.raw_query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20130524T000000Z";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_QUERY_MALFORMED);
    snprintf(q, sizeof(q),
             "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=AK%%2F20130524%%2Fus-east-1%%2Fs3%%2Faws4_request"
             "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%s",
             sig);
    r.raw_query = q;
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_QUERY_MALFORMED);
    snprintf(q, sizeof(q),
             "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%%2F20130524%%2Fus-east-1%%2Fs3%%2F"
             "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=range%s",
             sig);
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_HOST_NOT_SIGNED);
    snprintf(q, sizeof(q),
             "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%%2F20130525%%2Fus-east-1%%2Fs3%%2F"
             "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%s",
             sig);
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_QUERY_MALFORMED);
}

static void test_header_errors(void **state)
{
    (void)state;
    struct sigv4_auth a;
    struct hdrs h = {
        {{"Host", "h"}, {"x-amz-date", "20130524T000000Z"}, {"x-amz-content-sha256", EMPTY}, {"Authorization", NULL}}};
    struct obj_request r = mkreq("GET", "/", NULL, &h);
    const struct {
        const char *authz;
        enum sigv4_status want;
    } cases[] = {
        {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,"
         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
         SIGV4_OK},
        {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host",
         SIGV4_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3,SignedHeaders=host,"
         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
         SIGV4_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,"
         "Signature=F0E8BDB87C964420E857BD35B5D6ED310BD44F0170ABA48DD91039C6036BDB41",
         SIGV4_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=range,"
         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
         SIGV4_HOST_NOT_SIGNED},
        {"AWS4-HMAC-SHA256 Credential=AK/20130523/us-east-1/s3/aws4_request,SignedHeaders=host,"
         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
         SIGV4_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;;range,"
         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
         SIGV4_HEADER_MALFORMED},
        {"AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", SIGV4_ABSENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h.kv[3][1] = cases[i].authz;
        assert_int_equal(sigv4_parse(&r, &a), cases[i].want);
    }
    h.kv[3][1] = cases[0].authz;
    h.kv[2][1] = "not-a-hash";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_BAD_CONTENT_SHA256);
    h.kv[2][0] = "x-other";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_MISSING_CONTENT_SHA256);
    h.kv[2][0] = "x-amz-content-sha256";
    h.kv[2][1] = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_int_equal(a.payload, SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER);
    h.kv[1][0] = "x-no-date";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_MISSING_DATE);
    h.kv[3][1] = NULL;
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_ABSENT);
    /* Both forms at once. */
    h.kv[1][0] = "x-amz-date";
    h.kv[3][1] = cases[0].authz;
    r.raw_query = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_MULTIPLE_AUTH);
}

static void test_chunked_seed(void **state)
{
    (void)state;
    struct hdrs h = {
        {{"Host", "s3.amazonaws.com"},
         {"x-amz-date", "20130524T000000Z"},
         {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
         {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
         {"Content-Encoding", "aws-chunked"},
         {"x-amz-decoded-content-length", "66560"},
         {"Content-Length", "66824"},
         {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                           "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                           "x-amz-decoded-content-length;x-amz-storage-class,"
                           "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"}}};
    struct obj_request r = mkreq("PUT", "/examplebucket/chunkObject.txt", NULL, &h);
    expect_ok(&r, NULL, T20130524);
    struct sigv4_auth a;
    struct sigv4_chain c;
    assert_int_equal(sigv4_parse(&r, &a), SIGV4_OK);
    assert_int_equal(a.payload, SIGV4_PAYLOAD_STREAMING_SIGNED);
    sigv4_seed_signature(&a, SECRET, &c);
    assert_string_equal(c.prev_signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    assert_string_equal(c.scope, "20130524/us-east-1/s3/aws4_request");
    assert_string_equal(c.amz_date, "20130524T000000Z");
}

/* Canonical URI: decode once, encode once; '/' kept, '//' kept, no dot-segment removal. */
static void test_canonical_uri_and_query(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "h"}}};
    struct sigv4_auth a;
    memset(&a, 0, sizeof(a));
    strcpy(a.signed_headers, "host");
    strcpy(a.payload_hash, "UNSIGNED-PAYLOAD");
    const struct {
        const char *path, *query, *want;
    } cases[] = {
        {"/b/a%2Bb%25c.bin", NULL, "GET\n/b/a%2Bb%25c.bin\n\n"},
        {"/b/a+b c", NULL, "GET\n/b/a%2Bb%20c\n\n"},
        {"/b//x/./../y", NULL, "GET\n/b//x/./../y\n\n"},
        {"/b/%E8%85%BE", NULL, "GET\n/b/%E8%85%BE\n\n"},
        {"/b/%e8%85%be~_-.", NULL, "GET\n/b/%E8%85%BE~_-.\n\n"},
        {"/", "b=2&a=1&a=0&c", "GET\n/\na=0&a=1&b=2&c=\n"},
        {"/", "k=a+b&x=%2F%20", "GET\n/\nk=a%2Bb&x=%2F%20\n"},
        {"/", "versionId=&uploads", "GET\n/\nuploads=&versionId=\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct obj_request r = mkreq("GET", cases[i].path, cases[i].query, &h);
        struct obj_buf b;
        assert_int_equal(sigv4_canonical_request(&r, &a, &b), SIGV4_OK);
        assert_true(strncmp(obj_buf_str(&b), cases[i].want, strlen(cases[i].want)) == 0);
        obj_buf_free(&b);
    }
    /* Header value trimming and space collapsing. */
    struct hdrs h2 = {{{"Host", "h"}, {"x-amz-meta-a", "  a   b  c  "}}};
    strcpy(a.signed_headers, "host;x-amz-meta-a");
    struct obj_request r = mkreq("GET", "/", NULL, &h2);
    struct obj_buf b;
    assert_int_equal(sigv4_canonical_request(&r, &a, &b), SIGV4_OK);
    assert_non_null(strstr(obj_buf_str(&b), "\nx-amz-meta-a:a b c\n"));
    obj_buf_free(&b);
}

/* The per-thread signing-key cache answers what the HMAC chain gives, for more (secret, date,
 * region, service) tuples than it holds, asked in an order that evicts and hits; secrets that
 * differ only in their last byte or in length never share a key. */
static void chain_key(const char *secret, const char *date, const char *region, const char *service, uint8_t out[32])
{
    char k[200];
    uint8_t a[32], b[32];
    snprintf(k, sizeof k, "AWS4%s", secret);
    hmac_sha256(k, strlen(k), date, strlen(date), a);
    hmac_sha256(a, 32, region, strlen(region), b);
    hmac_sha256(b, 32, service, strlen(service), a);
    hmac_sha256(a, 32, "aws4_request", 12, out);
}

static void test_signing_key_cache(void **state)
{
    (void)state;
    static const char *secrets[] = {"secretA", "secretB", "secretA2", "secret", "secretC", ""};
    static const char *dates[] = {"20261202", "20261203"};
    static const char *regions[] = {"us-east-1", "ap-guangzhou"};
    static const char *services[] = {"s3", "cos"};
    for (int round = 0; round < 3; round++)
        for (int s = 0; s < 6; s++)
            for (int d = 0; d < 2; d++)
                for (int g = 0; g < 2; g++)
                    for (int v = 0; v < 2; v++) {
                        uint8_t got[32], want[32];
                        sigv4_signing_key(secrets[s], dates[d], regions[g], services[v], got);
                        chain_key(secrets[s], dates[d], regions[g], services[v], want);
                        assert_memory_equal(got, want, 32);
                        sigv4_signing_key(secrets[s], dates[d], regions[g], services[v], got); /* a hit */
                        assert_memory_equal(got, want, 32);
                    }
    /* longer than a cache slot holds: derived every time, still right */
    char longsecret[300];
    memset(longsecret, 'k', sizeof longsecret - 1);
    longsecret[sizeof longsecret - 1] = 0;
    uint8_t got[32], want[32];
    sigv4_signing_key(longsecret, "20261202", "us-east-1", "s3", got);
    char k[320];
    uint8_t a[32], b[32];
    snprintf(k, sizeof k, "AWS4%s", longsecret);
    hmac_sha256(k, strlen(k), "20261202", 8, a);
    hmac_sha256(a, 32, "us-east-1", 9, b);
    hmac_sha256(b, 32, "s3", 2, a);
    hmac_sha256(a, 32, "aws4_request", 12, want);
    assert_memory_equal(got, want, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_object_range),        cmocka_unit_test(test_put_object),
        cmocka_unit_test(test_get_lifecycle),           cmocka_unit_test(test_list_objects),
        cmocka_unit_test(test_presigned_get),           cmocka_unit_test(test_presign_limits),
        cmocka_unit_test(test_header_errors),           cmocka_unit_test(test_chunked_seed),
        cmocka_unit_test(test_canonical_uri_and_query), cmocka_unit_test(test_signing_key_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
