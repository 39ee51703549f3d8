/*
 * body: the request body sink. Bytes arrive from libmicrohttpd (HTTP chunked already undone),
 * pass the aws-chunked decoder when the request is framed so (its chunk signatures checked
 * against the seed signature), and are hashed (MD5 for the ETag, SHA-256 when it is signed, the
 * checksum a header names) on their way into a temp file (objects, parts) or a bounded buffer
 * (XML documents). Nothing is committed unless body_finish() says every check holds.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/object_int.h"

static atomic_size_t body_memory; /* sum of rq.body_held */

void md5_hex(EVP_MD_CTX *md, char out[33], uint8_t raw[16])
{
    unsigned n = 0;
    EVP_DigestFinal_ex(md, raw, &n);
    hex_encode(raw, 16, out);
}

static int sink_data(void *ctx, const uint8_t *data, size_t len)
{
    struct rq *r = ctx;
    r->decoded += len;
    if (r->decoded > r->max_bytes || (r->expected >= 0 && r->decoded > (uint64_t)r->expected)) {
        if (r->decoded > r->max_bytes)
            fail(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.");
        else
            fail(r, 400, "IncompleteBody", "The request body is longer than its declared length.");
        return -1;
    }
    if (r->md5)
        EVP_DigestUpdate(r->md5, data, len);
    if (r->sha256 && r->v4.payload == SIGV4_PAYLOAD_SHA256)
        EVP_DigestUpdate(r->sha256, data, len);
    if (r->ck.algo != CHECKSUM_NONE)
        checksum_update(&r->ck, data, len);
    if (r->sink == SINK_BUFFER) {
        /* bodies held in memory (XML documents), all requests together, stay under BODY_MEMORY */
        if (atomic_fetch_add(&body_memory, len) + len > BODY_MEMORY) {
            atomic_fetch_sub(&body_memory, len);
            fail(r, 503, "SlowDown", "Please reduce your request rate.");
            return -1;
        }
        r->body_held += len;
        obj_buf_put(&r->body, data, len);
        if (r->body.failed) {
            fail_malformed(r);
            return -1;
        }
    } else if (r->sink == SINK_FILE) {
        if (sse_write(r, data, len) != 0) { /* encrypted on the way when the object is */
            log_error("object store: write: %s", strerror(errno));
            fail(r, 500, "InternalError", "We encountered an internal error writing your data.");
            return -1;
        }
    }
    return 0;
}

static bool is_streaming(const struct rq *r)
{
    return r->auth == AUTH_V4 && (r->v4.payload == SIGV4_PAYLOAD_STREAMING_SIGNED ||
                                  r->v4.payload == SIGV4_PAYLOAD_STREAMING_SIGNED_TRAILER ||
                                  r->v4.payload == SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER);
}

/* Sets up decoding and hashing for the body; 0 or -1 (failure recorded). */
int body_begin(struct rq *r, enum body_mode mode, uint64_t max_bytes)
{
    r->sink = mode;
    r->max_bytes = max_bytes;
    r->expected = -1;
    const char *cl = hdr_in(r, "Content-Length");
    const char *decoded = hdr_amz(r, "decoded-content-length");
    const char *ce = hdr_in(r, "Content-Encoding");
    /* the framing is announced by a STREAMING-* payload hash, or by Content-Encoding with the
     * decoded length; a body whose SHA-256 is signed is the bytes themselves, whatever
     * Content-Encoding says ("gzip, aws-chunked" from a client that did not frame it) */
    bool aws_chunked = is_streaming(r) || (ce && strcasestr(ce, "aws-chunked") && decoded &&
                                           !(r->auth == AUTH_V4 && r->v4.payload == SIGV4_PAYLOAD_SHA256));
    if (aws_chunked && decoded)
        r->expected = strtoll(decoded, NULL, 10);
    else if (!aws_chunked && cl)
        r->expected = strtoll(cl, NULL, 10);
    if (r->expected > (int64_t)max_bytes) {
        if (mode == SINK_BUFFER)
            fail(r, 400, "MalformedXML", "The XML you provided is too large.");
        else
            fail(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.");
        return -1;
    }
    if (aws_chunked) {
        struct chunked_config cc = {
            .decoded_length = r->expected, .on_data = sink_data, .ctx = r, .declared_trailer = hdr_amz(r, "trailer")};
        struct sigv4_chain chain;
        if (r->auth == AUTH_V4 && r->v4.payload == SIGV4_PAYLOAD_STREAMING_SIGNED) {
            cc.variant = CHUNKED_SIGNED;
        } else if (r->auth == AUTH_V4 && r->v4.payload == SIGV4_PAYLOAD_STREAMING_SIGNED_TRAILER) {
            cc.variant = CHUNKED_SIGNED_TRAILER;
        } else {
            cc.variant = CHUNKED_UNSIGNED_TRAILER;
        }
        if (cc.variant != CHUNKED_UNSIGNED_TRAILER) {
            if (r->v4.presigned) {
                fail(r, 400, "InvalidRequest", "Signed aws-chunked bodies need header authentication.");
                return -1;
            }
            sigv4_seed_signature(&r->v4, r->secret, &chain);
            cc.chain = &chain;
        }
        r->dec = chunked_new(&cc);
        if (!r->dec) {
            fail(r, 400, "InvalidRequest", "Unsupported aws-chunked configuration (x-amz-trailer).");
            return -1;
        }
    }
    r->md5 = EVP_MD_CTX_new();
    if (!r->md5 || EVP_DigestInit_ex(r->md5, EVP_md5(), NULL) != 1) {
        fail(r, 500, "InternalError", "out of memory");
        return -1;
    }
    if (r->auth == AUTH_V4 && r->v4.payload == SIGV4_PAYLOAD_SHA256) {
        r->sha256 = EVP_MD_CTX_new();
        if (!r->sha256 || EVP_DigestInit_ex(r->sha256, EVP_sha256(), NULL) != 1) {
            fail(r, 500, "InternalError", "out of memory");
            return -1;
        }
    }
    /* a checksum sent as a header (not as a trailer) is checked against the data */
    static const enum checksum_algo algos[] = {CHECKSUM_CRC32, CHECKSUM_CRC32C, CHECKSUM_CRC64NVME, CHECKSUM_SHA1,
                                               CHECKSUM_SHA256};
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
        const char *v = hdr_in(r, checksum_header_name(algos[i]));
        if (v) {
            if (checksum_init(&r->ck, algos[i]) != 0) {
                fail(r, 500, "InternalError", "out of memory");
                return -1;
            }
            snprintf(r->ck_expect, sizeof r->ck_expect, "%s", v);
            break;
        }
    }
    if (mode == SINK_BUFFER)
        obj_buf_init(&r->body, S3XML_MAX_BODY);
    if (mode == SINK_FILE && engine_tmp_create(&r->file) != 0) {
        log_error("object store: cannot create a temp file: %s", strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return -1;
    }
    return 0;
}

/* The request's body buffer and its share of BODY_MEMORY, once no handler will read it. */
void body_release(struct rq *r)
{
    obj_buf_free(&r->body);
    atomic_fetch_sub(&body_memory, r->body_held);
    r->body_held = 0;
}

void body_feed(struct rq *r, const char *data, size_t len)
{
    if (r->form && !r->err_status) {
        post_feed(r, data, len);
        return;
    }
    if (r->err_status || r->sink == SINK_DISCARD || r->sink == SINK_NONE)
        return;
    if (r->dec) {
        enum chunked_status st = chunked_feed(r->dec, data, len);
        if (st != CHUNKED_OK && !r->err_status) {
            const struct chunked_error *e = chunked_error_of(st);
            fail(r, e->http_status, e->code, e->message);
        }
    } else {
        sink_data(r, (const uint8_t *)data, len);
    }
    if (r->err_status)
        body_release(r); /* the answer is the failure: nothing reads the rest */
}

/* After the last byte: every integrity check. Fills etag (hex MD5) and, if any, the checksum
 * to store ("CRC32:base64"). 0 or -1 (failure recorded). */
int body_finish(struct rq *r, char etag[33], uint8_t md5raw[16], char *checksum, size_t cklen)
{
    if (r->err_status)
        return -1;
    checksum[0] = 0;
    if (r->dec) {
        enum chunked_status st = chunked_finish(r->dec);
        if (st != CHUNKED_OK) {
            const struct chunked_error *e = chunked_error_of(st);
            fail(r, e->http_status, e->code, e->message);
            return -1;
        }
        char b64[CHECKSUM_MAX_BASE64];
        enum checksum_algo a = chunked_trailer_checksum(r->dec, b64);
        if (a != CHECKSUM_NONE)
            snprintf(checksum, cklen, "%s:%s", checksum_header_name(a) + 15, b64);
    }
    if (r->expected >= 0 && r->decoded != (uint64_t)r->expected) {
        fail(r, 400, "IncompleteBody",
             "You did not provide the number of bytes specified by the Content-Length HTTP header.");
        return -1;
    }
    md5_hex(r->md5, etag, md5raw);
    const char *cmd5 = hdr_in(r, "Content-MD5");
    if (cmd5) {
        uint8_t want[20];
        long n = obj_base64_decode(cmd5, strlen(cmd5), want, sizeof want);
        if (n != 16) {
            fail(r, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
            return -1;
        }
        if (memcmp(want, md5raw, 16) != 0) {
            fail(r, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
            return -1;
        }
    }
    if (r->sha256) {
        uint8_t d[32];
        char hex[65];
        unsigned n = 0;
        EVP_DigestFinal_ex(r->sha256, d, &n);
        hex_encode(d, 32, hex);
        if (strcmp(hex, r->v4.payload_hash) != 0) {
            fail(r, 400, "XAmzContentSHA256Mismatch",
                 "The provided 'x-amz-content-sha256' header does not match what was computed.");
            return -1;
        }
    }
    if (r->ck.algo != CHECKSUM_NONE) {
        uint8_t d[CHECKSUM_MAX_DIGEST];
        char b64[CHECKSUM_MAX_BASE64];
        size_t n = checksum_final(&r->ck, d);
        obj_base64_encode(d, n, b64);
        if (strcmp(b64, r->ck_expect) != 0) {
            fail(r, 400, "BadDigest", "The checksum you specified did not match the calculated checksum.");
            return -1;
        }
        snprintf(checksum, cklen, "%s:%s", checksum_header_name(r->ck.algo) + 15, b64);
    }
    return 0;
}
