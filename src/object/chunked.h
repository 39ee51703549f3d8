/*
 * chunked.h - incremental decoder for S3 "aws-chunked" request bodies
 * (Content-Encoding: aws-chunked), after the HTTP layer has removed any
 * Transfer-Encoding: chunked framing. Handles the three variants named by
 * x-amz-content-sha256:
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          signed chunks
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  signed chunks + signed trailer
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER          plain chunks + checksum trailer
 *
 * Feed it the body in slices of any size; decoded bytes come out through
 * on_data as they arrive, before the chunk's signature can be checked (the
 * decoder never buffers a chunk). So the caller must write to a temporary
 * place and commit only when chunked_finish() returns CHUNKED_OK.
 */
#ifndef YUN_OBJECT_CHUNKED_H
#define YUN_OBJECT_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#include "checksum.h"
#include "sigv4.h"

enum chunked_variant {
    CHUNKED_SIGNED,
    CHUNKED_SIGNED_TRAILER,
    CHUNKED_UNSIGNED_TRAILER,
};

enum chunked_status {
    CHUNKED_OK = 0,
    CHUNKED_BAD_FRAMING,     /* malformed chunk header / CRLF / trailer line */
    CHUNKED_LINE_TOO_LONG,   /* chunk header or trailer line over CHUNKED_MAX_LINE */
    CHUNKED_CHUNK_TOO_LARGE, /* chunk size over the configured maximum */
    CHUNKED_BAD_SIGNATURE,   /* chunk or trailer signature does not verify */
    CHUNKED_BAD_CHECKSUM,    /* trailer checksum does not match the data */
    CHUNKED_BAD_TRAILER,     /* missing, unexpected, repeated or undeclared trailer */
    CHUNKED_LENGTH_MISMATCH, /* decoded size differs from x-amz-decoded-content-length */
    CHUNKED_TRUNCATED,       /* body ended before the final chunk/trailer */
    CHUNKED_TRAILING_DATA,   /* bytes after the end of the encoding */
    CHUNKED_ABORTED,         /* on_data returned non-zero */
    CHUNKED_INTERNAL,        /* out of memory, bad configuration */
};

#define CHUNKED_MAX_LINE          256
#define CHUNKED_DEFAULT_MAX_CHUNK (16u * 1024 * 1024)
#define CHUNKED_MAX_TRAILERS      4

struct chunked_config {
    enum chunked_variant variant;
    /* Signed variants: the chain from sigv4_seed_signature(); copied. */
    const struct sigv4_chain *chain;
    /* The x-amz-trailer header value (e.g. "x-amz-checksum-crc32"), or NULL
     * if none was declared. Only checksum trailers are accepted. */
    const char *declared_trailer;
    /* x-amz-decoded-content-length, or -1 if unknown. */
    int64_t decoded_length;
    /* Largest chunk accepted; 0 means CHUNKED_DEFAULT_MAX_CHUNK. */
    uint64_t max_chunk;
    /* Receives decoded payload; return non-zero to abort. */
    int (*on_data)(void *ctx, const uint8_t *data, size_t len);
    void *ctx;
};

struct chunked_decoder;

/* NULL on allocation failure or invalid configuration. */
struct chunked_decoder *chunked_new(const struct chunked_config *cfg);
/* Consume len bytes. Errors are sticky: once failed, every call returns the error. */
enum chunked_status chunked_feed(struct chunked_decoder *d, const void *data, size_t len);
/* Declare end of body: CHUNKED_OK only if the encoding was complete and every check passed. */
enum chunked_status chunked_finish(struct chunked_decoder *d);
/* Decoded bytes so far. */
uint64_t chunked_decoded_bytes(const struct chunked_decoder *d);
/* After a successful finish with a checksum trailer: its algorithm and base64 value
 * (to store and echo back in x-amz-checksum-*). Returns CHECKSUM_NONE if none. */
enum checksum_algo chunked_trailer_checksum(const struct chunked_decoder *d, char out[CHECKSUM_MAX_BASE64]);
void chunked_free(struct chunked_decoder *d);

/* S3 error code / HTTP status / message for a status. */
struct chunked_error {
    const char *code;
    int http_status;
    const char *message;
};
const struct chunked_error *chunked_error_of(enum chunked_status st);

#endif
