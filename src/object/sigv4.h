/*
 * sigv4.h - AWS Signature Version 4 as Amazon S3 verifies it: the
 * Authorization header form and the presigned-URL (query) form.
 *
 * Use: sigv4_parse() finds the credentials (access key id, scope, signed
 * header list, signature) without any secret; the caller looks up the secret
 * for auth.access_key (unknown key -> InvalidAccessKeyId, the caller's job)
 * and calls sigv4_verify(). For aws-chunked bodies, sigv4_seed_signature()
 * then gives the chain that chunked.h checks each chunk against.
 */
#ifndef YUN_OBJECT_SIGV4_H
#define YUN_OBJECT_SIGV4_H

#include <stdbool.h>
#include <stdint.h>

#include "sigutil.h"

enum sigv4_status {
    SIGV4_OK = 0,
    SIGV4_ABSENT,                 /* no SigV4 credentials: try another scheme or anonymous */
    SIGV4_HEADER_MALFORMED,       /* AuthorizationHeaderMalformed */
    SIGV4_QUERY_MALFORMED,        /* AuthorizationQueryParametersError */
    SIGV4_EXPIRES_OUT_OF_RANGE,   /* AccessDenied: X-Amz-Expires < 1 or > 604800 */
    SIGV4_MULTIPLE_AUTH,          /* InvalidArgument: header and query auth together */
    SIGV4_MISSING_DATE,           /* AccessDenied: no x-amz-date */
    SIGV4_MISSING_CONTENT_SHA256, /* InvalidRequest: header auth without x-amz-content-sha256 */
    SIGV4_BAD_CONTENT_SHA256,     /* InvalidArgument: not a hash nor a known literal */
    SIGV4_HOST_NOT_SIGNED,        /* AccessDenied: SignedHeaders lacks host */
    SIGV4_TIME_SKEWED,            /* RequestTimeTooSkewed (403) */
    SIGV4_EXPIRED,                /* AccessDenied "Request has expired" */
    SIGV4_NOT_YET_VALID,          /* AccessDenied "Request is not valid yet" */
    SIGV4_SIGNATURE_MISMATCH,     /* SignatureDoesNotMatch (403) */
    SIGV4_TOO_LARGE,              /* canonical request over SIGV4_MAX_CANONICAL (400) */
    SIGV4_INTERNAL,               /* out of memory (500) */
};

/* What x-amz-content-sha256 (or its absence on presigned URLs) says about the body. */
enum sigv4_payload {
    SIGV4_PAYLOAD_SHA256,                     /* hex digest in payload_hash: verify while reading */
    SIGV4_PAYLOAD_UNSIGNED,                   /* UNSIGNED-PAYLOAD */
    SIGV4_PAYLOAD_STREAMING_SIGNED,           /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    SIGV4_PAYLOAD_STREAMING_SIGNED_TRAILER,   /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
};

#define SIGV4_MAX_SKEW_SECONDS 900
#define SIGV4_MAX_EXPIRES      604800
#define SIGV4_MAX_CANONICAL    65536

struct sigv4_auth {
    bool presigned;
    char access_key[129];
    char scope_date[9]; /* YYYYMMDD */
    char region[64];
    char service[32];
    char amz_date[17]; /* YYYYMMDDTHHMMSSZ */
    int64_t expires;   /* X-Amz-Expires, presigned only */
    char signed_headers[2048];
    char signature[65];    /* lower-case hex as sent */
    char payload_hash[72]; /* the literal that goes in the canonical request */
    enum sigv4_payload payload;
};

/* S3 error code, HTTP status and message for a status. */
struct sigv4_error {
    const char *code;
    int http_status;
    const char *message;
};
const struct sigv4_error *sigv4_error_of(enum sigv4_status st);

/* Find and syntax-check SigV4 credentials (header or query). No secret needed. */
enum sigv4_status sigv4_parse(const struct obj_request *req, struct sigv4_auth *auth);

/* Check the time window and the signature. now = current Unix time. */
enum sigv4_status sigv4_verify(const struct obj_request *req, const struct sigv4_auth *auth, const char *secret,
                               int64_t now);

/* The canonical request and string to sign, exposed for tests and debugging
 * (S3 returns them in SignatureDoesNotMatch errors). out is initialised here. */
enum sigv4_status sigv4_canonical_request(const struct obj_request *req, const struct sigv4_auth *auth,
                                          struct obj_buf *out);
enum sigv4_status sigv4_string_to_sign(const struct obj_request *req, const struct sigv4_auth *auth,
                                       struct obj_buf *out);

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request") */
void sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service, uint8_t out[32]);

/* State carried from the request signature into aws-chunked verification. */
struct sigv4_chain {
    uint8_t key[32];
    char amz_date[17];
    char scope[160];         /* date/region/service/aws4_request */
    char prev_signature[65]; /* the seed, then each chunk's signature */
};

/* Fill the chain for a verified header-auth request (the seed is its signature). */
void sigv4_seed_signature(const struct sigv4_auth *auth, const char *secret, struct sigv4_chain *chain);

#endif
