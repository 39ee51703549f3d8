/*
 * test_object_sigv2.c - SigV2 against the examples in the Amazon S3
 * Developer Guide, "Signing and authenticating REST requests"
 * (RESTAuthentication): Object GET/PUT of photos/puppy.jpg in johnsmith,
 * List, Fetch (?acl), Delete, Upload (virtual-hosted static.johnsmith.net
 * with repeated x-amz-meta headers), List All My Buckets, Unicode keys, and
 * the query-string example (Expires=1175139620, NpgCjnDzrM+WFzoENXmpNDUsSn8=).
 * Keys AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.
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
#include "object/checksum.h"
#include "object/sigv2.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

struct hdrs {
    const char *kv[16][2];
};

/* Joins repeats with "," as the gateway must. */
static const char *lookup(void *ctx, const char *name)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 16 && h->kv[i][0]; i++)
        if (strcasecmp(h->kv[i][0], name) == 0)
            return h->kv[i][1];
    return NULL;
}

static void each(void *ctx, obj_header_visit_fn visit, void *arg)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 16 && h->kv[i][0]; i++)
        visit(arg, h->kv[i][0], h->kv[i][1]);
}

/* 2007-03-27 19:36:42 UTC and friends. */
static int64_t at(const char *http_date)
{
    int64_t t;
    assert_int_equal(obj_parse_http_date(http_date, &t), 0);
    return t;
}

static void expect(const char *method, const char *path, const char *query, struct hdrs *h, const char *vhost,
                   const char *sts_want, int64_t now)
{
    struct obj_request r = {method, path, query, lookup, each, h};
    struct sigv2_auth a;
    struct obj_buf b;
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_OK);
    assert_string_equal(a.access_key, "AKIAIOSFODNN7EXAMPLE");
    assert_int_equal(sigv2_string_to_sign(&r, &a, vhost, NULL, &b), SIGV2_OK);
    assert_string_equal(obj_buf_str(&b), sts_want);
    obj_buf_free(&b);
    assert_int_equal(sigv2_verify(&r, &a, vhost, SECRET, now), SIGV2_OK);
    assert_int_equal(sigv2_verify(&r, &a, vhost, "wrong", now), SIGV2_SIGNATURE_MISMATCH);
    if (!a.presigned) {
        assert_int_equal(sigv2_verify(&r, &a, vhost, SECRET, now + 901), SIGV2_TIME_SKEWED);
        /* Path-style resource instead of the vhost one: mismatch. */
        if (vhost)
            assert_int_equal(sigv2_verify(&r, &a, NULL, SECRET, now), SIGV2_SIGNATURE_MISMATCH);
    }
}

static void test_object_get_put_delete(void **state)
{
    (void)state;
    struct hdrs get = {{{"Host", "johnsmith.s3.amazonaws.com"},
                        {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"},
                        {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}}};
    expect("GET", "/photos/puppy.jpg", NULL, &get, "johnsmith",
           "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
           at("Tue, 27 Mar 2007 19:36:42 GMT"));
    /* Tampered signature. */
    get.kv[2][1] = "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMV=";
    struct obj_request r = {"GET", "/photos/puppy.jpg", NULL, lookup, each, &get};
    struct sigv2_auth a;
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_OK);
    assert_int_equal(sigv2_verify(&r, &a, "johnsmith", SECRET, at("Tue, 27 Mar 2007 19:36:42 GMT")),
                     SIGV2_SIGNATURE_MISMATCH);

    struct hdrs put = {{{"Content-Type", "image/jpeg"},
                        {"Content-Length", "94328"},
                        {"Host", "johnsmith.s3.amazonaws.com"},
                        {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"},
                        {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg="}}};
    expect("PUT", "/photos/puppy.jpg", NULL, &put, "johnsmith",
           "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
           at("Tue, 27 Mar 2007 21:15:45 +0000"));

    /* Delete, path-style (same resource string). */
    struct hdrs del = {{{"Host", "s3.amazonaws.com"},
                        {"Date", "Tue, 27 Mar 2007 21:20:26 +0000"},
                        {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:lx3byBScXR6KzyMaifNkardMwNk="}}};
    expect("DELETE", "/johnsmith/photos/puppy.jpg", NULL, &del, NULL,
           "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg",
           at("Tue, 27 Mar 2007 21:20:26 +0000"));
}

static void test_list_and_acl(void **state)
{
    (void)state;
    struct hdrs list = {{{"User-Agent", "Mozilla/5.0"},
                         {"Host", "johnsmith.s3.amazonaws.com"},
                         {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"},
                         {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:htDYFYduRNen8P9ZfE/s9SuKy0U="}}};
    expect("GET", "/", "prefix=photos&max-keys=50&marker=puppy", &list, "johnsmith",
           "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/", at("Tue, 27 Mar 2007 19:42:41 +0000"));
    struct hdrs acl = {{{"Host", "johnsmith.s3.amazonaws.com"},
                        {"Date", "Tue, 27 Mar 2007 19:44:46 +0000"},
                        {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:c2WLPFtWHVgbEmeEG93a4cG37dM="}}};
    expect("GET", "/", "acl", &acl, "johnsmith", "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
           at("Tue, 27 Mar 2007 19:44:46 +0000"));
    struct hdrs svc = {{{"Host", "s3.amazonaws.com"},
                        {"Date", "Wed, 28 Mar 2007 01:29:59 +0000"},
                        {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:qGdzdERIC03wnaRNKh6OqZehG9s="}}};
    expect("GET", "/", NULL, &svc, NULL, "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
           at("Wed, 28 Mar 2007 01:29:59 +0000"));
    struct hdrs uni = {{{"Host", "s3.amazonaws.com"},
                        {"Date", "Wed, 28 Mar 2007 01:49:49 +0000"},
                        {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:DNEZGsoieTZ92F3bUfSPQcbGmlM="}}};
    expect("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", NULL, &uni, NULL,
           "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
           at("Wed, 28 Mar 2007 01:49:49 +0000"));
}

static void test_upload_amz_headers(void **state)
{
    (void)state;
    struct hdrs up = {{{"User-Agent", "curl/7.15.5"},
                       {"Host", "static.johnsmith.net:8080"},
                       {"Date", "Tue, 27 Mar 2007 21:06:08 +0000"},
                       {"x-amz-acl", "public-read"},
                       {"content-type", "application/x-download"},
                       {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="},
                       {"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"},
                       {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
                       {"X-Amz-Meta-FileChecksum", "0x02661779"},
                       {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
                       {"Content-Disposition", "attachment; filename=database.dat"},
                       {"Content-Encoding", "gzip"},
                       {"Content-Length", "5913339"},
                       {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc="}}};
    expect("PUT", "/db-backup.dat.gz", NULL, &up, "static.johnsmith.net",
           "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
           "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
           "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
           at("Tue, 27 Mar 2007 21:06:08 +0000"));
}

static void test_query_form(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "johnsmith.s3.amazonaws.com"}}};
    const char *q = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620";
    expect("GET", "/photos/puppy.jpg", q, &h, "johnsmith", "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg",
           1175139620 - 60);
    struct obj_request r = {"GET", "/photos/puppy.jpg", q, lookup, each, &h};
    struct sigv2_auth a;
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_OK);
    assert_true(a.presigned);
    assert_int_equal(sigv2_verify(&r, &a, "johnsmith", SECRET, 1175139620), SIGV2_OK);
    assert_int_equal(sigv2_verify(&r, &a, "johnsmith", SECRET, 1175139621), SIGV2_EXPIRED);
    /* Changed Expires breaks the signature. */
    r.raw_query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139700";
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_OK);
    assert_int_equal(sigv2_verify(&r, &a, "johnsmith", SECRET, 1175139000), SIGV2_SIGNATURE_MISMATCH);
    r.raw_query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139700";
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_QUERY_MALFORMED);
    r.raw_query = "AWSAccessKeyId=AK&Signature=x&Expires=12a";
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_QUERY_MALFORMED);
}

static void test_subresources_and_errors(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "h"}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}, {"Authorization", "AWS AK:sig"}}};
    struct obj_request r = {"GET", "/b/k", "versionId=3%2F4&x=1&acl&uploadId=", lookup, each, &h};
    struct sigv2_auth a;
    struct obj_buf b;
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_OK);
    assert_int_equal(sigv2_string_to_sign(&r, &a, NULL, NULL, &b), SIGV2_OK);
    /* Sorted, decoded values, "name" vs "name=" preserved, non-subresources dropped. */
    assert_string_equal(obj_buf_str(&b), "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/b/k?acl&uploadId=&versionId=3/4");
    obj_buf_free(&b);
    /* x-amz-date present: Date line empty, x-amz-date among the amz headers. */
    struct hdrs h2 = {
        {{"Host", "h"}, {"x-amz-date", "Tue, 27 Mar 2007 19:36:42 +0000"}, {"Authorization", "AWS AK:sig"}}};
    r = (struct obj_request){"GET", "/b/k", NULL, lookup, each, &h2};
    assert_int_equal(sigv2_string_to_sign(&r, &a, NULL, NULL, &b), SIGV2_OK);
    assert_string_equal(obj_buf_str(&b), "GET\n\n\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 +0000\n/b/k");
    obj_buf_free(&b);

    const struct {
        const char *authz;
        enum sigv2_status want;
    } cases[] = {
        {"AWS AK:sig", SIGV2_OK},
        {"AWS :sig", SIGV2_HEADER_MALFORMED},
        {"AWS AK", SIGV2_HEADER_MALFORMED},
        {"AWS AK:", SIGV2_HEADER_MALFORMED},
        {"AWS A K:sig", SIGV2_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=x", SIGV2_ABSENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h.kv[2][1] = cases[i].authz;
        r = (struct obj_request){"GET", "/", NULL, lookup, each, &h};
        assert_int_equal(sigv2_parse(&r, &a), cases[i].want);
    }
    /* No usable date. */
    struct hdrs h3 = {{{"Host", "h"}, {"Date", "yesterday"}, {"Authorization", "AWS AK:sig"}}};
    r = (struct obj_request){"GET", "/", NULL, lookup, each, &h3};
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_OK);
    assert_int_equal(sigv2_verify(&r, &a, NULL, SECRET, 0), SIGV2_MISSING_DATE);
}

/* The signature a client computes over string_to_sign of req. */
static void sign(const struct obj_request *req, struct sigv2_auth *a, char out[32])
{
    struct obj_buf b;
    uint8_t mac[20];
    assert_int_equal(sigv2_string_to_sign(req, a, NULL, NULL, &b), SIGV2_OK);
    hmac_sha1(SECRET, strlen(SECRET), b.p, b.len, mac);
    obj_base64_encode(mac, 20, out);
    obj_buf_free(&b);
}

/* botocore's HmacV1 signs a path-style bucket request "PUT /b" over "/b/": accepted, and only for
 * the bucket itself (an object path with a slash added is another resource). */
static void test_bucket_resource_trailing_slash(void **state)
{
    (void)state;
    struct hdrs h = {{{"Host", "h"}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}, {"Authorization", "AWS AK:sig"}}};
    int64_t now = at("Tue, 27 Mar 2007 19:36:42 +0000");
    struct obj_request r = {"PUT", "/b/", NULL, lookup, each, &h};
    struct sigv2_auth a;
    assert_int_equal(sigv2_parse(&r, &a), SIGV2_OK);
    sign(&r, &a, a.signature);
    r.raw_path = "/b";
    assert_int_equal(sigv2_verify(&r, &a, NULL, SECRET, now), SIGV2_OK);
    assert_int_equal(sigv2_verify(&r, &a, NULL, "wrong", now), SIGV2_SIGNATURE_MISMATCH);
    r.raw_path = "/b/k/";
    sign(&r, &a, a.signature);
    r.raw_path = "/b/k";
    assert_int_equal(sigv2_verify(&r, &a, NULL, SECRET, now), SIGV2_SIGNATURE_MISMATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_get_put_delete),   cmocka_unit_test(test_list_and_acl),
        cmocka_unit_test(test_upload_amz_headers),      cmocka_unit_test(test_query_form),
        cmocka_unit_test(test_subresources_and_errors), cmocka_unit_test(test_bucket_resource_trailing_slash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
