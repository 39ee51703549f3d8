/*
 * test_object_chunked.c - the aws-chunked decoder.
 *
 * Vectors:
 *  - AWS S3 API reference, "Signature Calculations for the Authorization
 *    Header: Transferring Payload in Multiple Chunks": 65536 + 1024 bytes of
 *    'a', seed 4f232c43..., chunk signatures ad80c730..., 0055627c...,
 *    final b6c6ea8a...; Content-Length 66824.
 *  - AWS S3 API reference, "Signature calculations for trailing headers":
 *    same payload, seed 106e2a8a..., chunks b474d886..., 1c1344b1...,
 *    final 2ca2aba2..., trailer x-amz-checksum-crc32c:sOO8/Q== signed
 *    d81f82fc....
 *  - Unsigned trailer bodies produced by botocore 1.43.11
 *    (botocore.httpchecksum.AwsChunkedWrapper, 64 KiB chunks) for 70000 bytes
 *    b[i] = (7i+3) mod 251: CRC32 trailer "v5J7Gg==", SHA256 trailer
 *    "jfQ4l2vKJpkpueGWiqfa/r8/46i0u8GrvFan7Q60u2Y="; the framing is rebuilt
 *    here byte for byte (botocore emitted "10000\r\n...\r\n1170\r\n...\r\n0\r\n<trailer>\r\n\r\n").
 *  - CRC check values ("123456789") from the CRC catalogue: CRC-32 cbf43926,
 *    CRC-32C e3069283, CRC-64/NVME ae8b14860a799888.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/checksum.h"
#include "object/chunked.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

struct sink {
    uint8_t *buf;
    size_t len, cap;
};

static int collect(void *ctx, const uint8_t *p, size_t n)
{
    struct sink *s = ctx;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->buf = realloc(s->buf, s->cap);
        assert_non_null(s->buf);
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

static void chain_for(struct sigv4_chain *c, const char *seed)
{
    struct sigv4_auth a;
    memset(&a, 0, sizeof(a));
    strcpy(a.scope_date, "20130524");
    strcpy(a.region, "us-east-1");
    strcpy(a.service, "s3");
    strcpy(a.amz_date, "20130524T000000Z");
    strcpy(a.signature, seed);
    sigv4_seed_signature(&a, SECRET, c);
}

struct body {
    char *p;
    size_t len;
};

static void add(struct body *b, const void *data, size_t n)
{
    b->p = realloc(b->p, b->len + n + 1);
    assert_non_null(b->p);
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void adds(struct body *b, const char *s) { add(b, s, strlen(s)); }

static void add_a(struct body *b, size_t n)
{
    char *a = malloc(n);
    memset(a, 'a', n);
    add(b, a, n);
    free(a);
}

static struct body aws_signed_example(void)
{
    struct body b = {0};
    adds(&b, "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    add_a(&b, 65536);
    adds(&b, "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    add_a(&b, 1024);
    adds(&b, "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    return b;
}

static struct body aws_trailer_example(const char *trailer_line, const char *sig)
{
    struct body b = {0};
    adds(&b, "10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n");
    add_a(&b, 65536);
    adds(&b, "\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    add_a(&b, 1024);
    adds(&b, "\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    adds(&b, trailer_line);
    adds(&b, "x-amz-trailer-signature:");
    adds(&b, sig);
    adds(&b, "\r\n\r\n");
    return b;
}

/* Decode body fed in slices of `step` bytes (0 = all at once); returns the final status. */
static enum chunked_status run(const struct chunked_config *base, const struct body *b, size_t step, struct sink *out,
                               char *b64)
{
    struct chunked_config cfg = *base;
    cfg.on_data = collect;
    cfg.ctx = out;
    out->len = 0;
    struct chunked_decoder *d = chunked_new(&cfg);
    assert_non_null(d);
    enum chunked_status st = CHUNKED_OK;
    size_t s = step ? step : b->len;
    for (size_t off = 0; off < b->len && st == CHUNKED_OK; off += s)
        st = chunked_feed(d, b->p + off, off + s > b->len ? b->len - off : s);
    if (st == CHUNKED_OK)
        st = chunked_finish(d);
    if (b64) {
        b64[0] = '\0';
        chunked_trailer_checksum(d, b64);
    }
    chunked_free(d);
    return st;
}

static bool all_a(const struct sink *s, size_t n)
{
    if (s->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s->buf[i] != 'a')
            return false;
    return true;
}

static void test_aws_signed_example(void **state)
{
    (void)state;
    struct sigv4_chain c;
    struct sink out = {0};
    chain_for(&c, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    struct chunked_config cfg = {.variant = CHUNKED_SIGNED, .chain = &c, .decoded_length = 66560};
    struct body b = aws_signed_example();
    assert_int_equal(b.len, 66824); /* the published Content-Length */

    const size_t steps[] = {0, 1, 2, 3, 7, 64, 89, 4096, 65535};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        assert_int_equal(run(&cfg, &b, steps[i], &out, NULL), CHUNKED_OK);
        assert_true(all_a(&out, 66560));
    }
    /* Unknown decoded length is fine too; a wrong one is not. */
    cfg.decoded_length = -1;
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_OK);
    cfg.decoded_length = 66559;
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_LENGTH_MISMATCH);
    cfg.decoded_length = 66561;
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_LENGTH_MISMATCH);
    cfg.decoded_length = 66560;

    /* A flipped payload byte breaks that chunk's signature. */
    b.p[100] = 'b';
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_SIGNATURE);
    b.p[100] = 'a';
    /* A flipped chunk signature (second chunk). */
    char *sig2 = strstr(b.p + 65536, "0055627c");
    sig2[0] = '1';
    assert_int_equal(run(&cfg, &b, 1, &out, NULL), CHUNKED_BAD_SIGNATURE);
    sig2[0] = '0';
    /* Wrong seed (another request's signature): the first chunk fails. */
    chain_for(&c, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a8");
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_SIGNATURE);
    /* Wrong secret. */
    chain_for(&c, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    c.key[0] ^= 1;
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_SIGNATURE);
    chain_for(&c, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");

    /* Truncated anywhere before the final chunk: TRUNCATED from finish(). */
    const size_t cuts[] = {0, 10, 88, 40000, 65624, 65626, 66700, 66738};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        struct body t = {b.p, cuts[i]};
        assert_int_equal(run(&cfg, &t, 0, &out, NULL), CHUNKED_TRUNCATED);
    }
    /* Missing only the last CRLF is tolerated; extra bytes after it are not. */
    struct body t = {b.p, b.len - 2};
    assert_int_equal(run(&cfg, &t, 0, &out, NULL), CHUNKED_OK);
    adds(&b, "x");
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_TRAILING_DATA);
    free(b.p);
    free(out.buf);
}

static void test_aws_trailer_example(void **state)
{
    (void)state;
    struct sigv4_chain c;
    struct sink out = {0};
    char b64[CHECKSUM_MAX_BASE64];
    const char *sig = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
    chain_for(&c, "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
    struct chunked_config cfg = {.variant = CHUNKED_SIGNED_TRAILER,
                                 .chain = &c,
                                 .declared_trailer = "x-amz-checksum-crc32c",
                                 .decoded_length = 66560};
    struct body b = aws_trailer_example("x-amz-checksum-crc32c:sOO8/Q==\r\n", sig);
    assert_int_equal(run(&cfg, &b, 0, &out, b64), CHUNKED_OK);
    assert_true(all_a(&out, 66560));
    assert_string_equal(b64, "sOO8/Q==");
    assert_int_equal(run(&cfg, &b, 1, &out, NULL), CHUNKED_OK);
    free(b.p);

    /* Trailer value changed: the trailer signature no longer matches. */
    b = aws_trailer_example("x-amz-checksum-crc32c:sOO8/R==\r\n", sig);
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_SIGNATURE);
    free(b.p);
    /* Trailer signature changed. */
    b = aws_trailer_example("x-amz-checksum-crc32c:sOO8/Q==\r\n",
                            "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e436");
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_SIGNATURE);
    free(b.p);
    /* Declared another algorithm than the one sent. */
    b = aws_trailer_example("x-amz-checksum-crc32c:sOO8/Q==\r\n", sig);
    cfg.declared_trailer = "x-amz-checksum-crc32";
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_TRAILER);
    free(b.p);
    free(out.buf);
}

/* botocore's unsigned-trailer framing for 70000 patterned bytes. */
static struct body boto_body(const char *trailer)
{
    struct body b = {0};
    uint8_t *data = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        data[i] = (uint8_t)((i * 7 + 3) % 251);
    adds(&b, "10000\r\n");
    add(&b, data, 65536);
    adds(&b, "\r\n1170\r\n");
    add(&b, data + 65536, 70000 - 65536);
    adds(&b, "\r\n0\r\n");
    adds(&b, trailer);
    adds(&b, "\r\n\r\n");
    free(data);
    return b;
}

static void test_unsigned_trailer_botocore(void **state)
{
    (void)state;
    struct sink out = {0};
    char b64[CHECKSUM_MAX_BASE64];
    struct chunked_config cfg = {
        .variant = CHUNKED_UNSIGNED_TRAILER, .declared_trailer = "x-amz-checksum-crc32", .decoded_length = 70000};
    struct body b = boto_body("x-amz-checksum-crc32:v5J7Gg==");
    assert_int_equal(b.len, 70053); /* botocore's body length */
    assert_int_equal(run(&cfg, &b, 0, &out, b64), CHUNKED_OK);
    assert_int_equal(out.len, 70000);
    assert_int_equal(out.buf[69999], (uint8_t)((69999 * 7 + 3) % 251));
    assert_string_equal(b64, "v5J7Gg==");
    assert_int_equal(run(&cfg, &b, 13, &out, b64), CHUNKED_OK);
    free(b.p);

    /* Bad CRC in the trailer. */
    b = boto_body("x-amz-checksum-crc32:v5J7Gw==");
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_CHECKSUM);
    free(b.p);
    /* Not base64 / wrong length for a CRC32. */
    b = boto_body("x-amz-checksum-crc32:v5J7");
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_TRAILER);
    free(b.p);
    /* Trailer missing although declared. */
    b = boto_body("");
    b.len -= 2; /* "0\r\n\r\n" */
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_TRAILER);
    free(b.p);
    /* Signature trailer in an unsigned body. */
    b = boto_body("x-amz-checksum-crc32:v5J7Gg==\r\nx-amz-trailer-signature:"
                  "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
    assert_int_equal(run(&cfg, &b, 0, &out, NULL), CHUNKED_BAD_TRAILER);
    free(b.p);

    struct chunked_config sha = {
        .variant = CHUNKED_UNSIGNED_TRAILER, .declared_trailer = "x-amz-checksum-sha256", .decoded_length = 70000};
    b = boto_body("x-amz-checksum-sha256:jfQ4l2vKJpkpueGWiqfa/r8/46i0u8GrvFan7Q60u2Y=");
    assert_int_equal(run(&sha, &b, 1000, &out, b64), CHUNKED_OK);
    assert_string_equal(b64, "jfQ4l2vKJpkpueGWiqfa/r8/46i0u8GrvFan7Q60u2Y=");
    free(b.p);
    /* Undeclared trailer. */
    sha.declared_trailer = NULL;
    b = boto_body("x-amz-checksum-sha256:jfQ4l2vKJpkpueGWiqfa/r8/46i0u8GrvFan7Q60u2Y=");
    assert_int_equal(run(&sha, &b, 0, &out, NULL), CHUNKED_BAD_TRAILER);
    free(b.p);
    free(out.buf);
}

static void test_framing_errors(void **state)
{
    (void)state;
    struct sink out = {0};
    struct chunked_config cfg = {.variant = CHUNKED_UNSIGNED_TRAILER, .decoded_length = -1};
    const struct {
        const char *body;
        enum chunked_status want;
    } cases[] = {
        {"3\r\nabc\r\n0\r\n\r\n", CHUNKED_OK},
        {"3\nabc\r\n0\r\n\r\n", CHUNKED_BAD_FRAMING},         /* bare LF */
        {"3\r\nabcd\r\n0\r\n\r\n", CHUNKED_BAD_FRAMING},      /* data longer than size */
        {"3;ext=1\r\nabc\r\n0\r\n\r\n", CHUNKED_BAD_FRAMING}, /* extension on unsigned */
        {"\r\nabc\r\n0\r\n\r\n", CHUNKED_BAD_FRAMING},        /* empty size */
        {"g\r\n", CHUNKED_BAD_FRAMING},                       /* not hex */
        {"3\r\nabc\r\n0\r\n\r\nX", CHUNKED_TRAILING_DATA},
        {"3\r\nabc\r\n0\r\nx-amz-meta-a:b\r\n\r\n", CHUNKED_BAD_TRAILER}, /* not a checksum */
        {"3\r\nabc\r\n0\r\nnocolon\r\n\r\n", CHUNKED_BAD_TRAILER},
        {"1000001\r\n", CHUNKED_CHUNK_TOO_LARGE},                  /* > 16 MiB default */
        {"ffffffffffffffffffffffff\r\n", CHUNKED_CHUNK_TOO_LARGE}, /* would overflow */
        {"3\r\nabc\r\n0\r\n", CHUNKED_TRUNCATED},
        {"3\r\nab", CHUNKED_TRUNCATED},
        {"3\r\nabc", CHUNKED_TRUNCATED},
        {"3\r\nabc\r", CHUNKED_TRUNCATED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct body b = {(char *)cases[i].body, strlen(cases[i].body)};
        assert_int_equal(run(&cfg, &b, 0, &out, NULL), cases[i].want);
        assert_int_equal(run(&cfg, &b, 1, &out, NULL), cases[i].want);
    }
    /* An oversized chunk header line (leading zeros never end). */
    struct body big = {0};
    for (int i = 0; i < 300; i++)
        adds(&big, "0");
    assert_int_equal(run(&cfg, &big, 1, &out, NULL), CHUNKED_LINE_TOO_LONG);
    free(big.p);
    /* A configured smaller chunk limit. */
    cfg.max_chunk = 2;
    struct body b3 = {"3\r\nabc\r\n0\r\n\r\n", 14};
    assert_int_equal(run(&cfg, &b3, 0, &out, NULL), CHUNKED_CHUNK_TOO_LARGE);
    /* Signed framing without a chunk signature. */
    struct sigv4_chain c;
    chain_for(&c, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    struct chunked_config sc = {.variant = CHUNKED_SIGNED, .chain = &c, .decoded_length = -1};
    assert_int_equal(run(&sc, &b3, 0, &out, NULL), CHUNKED_BAD_FRAMING);
    /* Configuration errors. */
    struct chunked_config bad = {.variant = CHUNKED_SIGNED, .decoded_length = -1, .on_data = collect};
    assert_null(chunked_new(&bad)); /* no chain */
    bad.variant = CHUNKED_UNSIGNED_TRAILER;
    bad.declared_trailer = "x-amz-meta-foo";
    assert_null(chunked_new(&bad));
    free(out.buf);
}

static void test_checksums(void **state)
{
    (void)state;
    const char *s = "123456789";
    assert_int_equal(obj_crc32(0, s, 9), 0xcbf43926u);
    assert_int_equal(obj_crc32c(0, s, 9), 0xe3069283u);
    assert_true(obj_crc64nvme(0, s, 9) == 0xae8b14860a799888ull);
    /* Incremental == one shot. */
    assert_int_equal(obj_crc32c(obj_crc32c(0, s, 4), s + 4, 5), 0xe3069283u);
    uint8_t d[CHECKSUM_MAX_DIGEST];
    char b64[CHECKSUM_MAX_BASE64];
    struct checksum c;
    assert_int_equal(checksum_init(&c, CHECKSUM_SHA256), 0);
    checksum_update(&c, "abc", 3);
    assert_int_equal(checksum_final(&c, d), 32);
    checksum_free(&c);
    obj_base64_encode(d, 32, b64);
    /* FIPS 180-2 SHA-256("abc") = ba7816bf... */
    assert_string_equal(b64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    uint8_t back[40];
    assert_int_equal(obj_base64_decode(b64, strlen(b64), back, sizeof(back)), 32);
    assert_memory_equal(back, d, 32);
    assert_int_equal(obj_base64_decode("abc", 3, back, sizeof(back)), -1);
    assert_int_equal(obj_base64_decode("a=bc", 4, back, sizeof(back)), -1);
    assert_int_equal(checksum_algo_from_header("X-Amz-Checksum-CRC32C"), CHECKSUM_CRC32C);
    assert_int_equal(checksum_algo_from_name("crc64nvme"), CHECKSUM_CRC64NVME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_signed_example),
        cmocka_unit_test(test_aws_trailer_example),
        cmocka_unit_test(test_unsigned_trailer_botocore),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_checksums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
