/*
 * sigv2.h - AWS Signature Version 2 for S3 (legacy, still sent by
 * `s3cmd signurl`, s3-tests and old tools): "Authorization: AWS AK:sig" and
 * the query form "?AWSAccessKeyId=AK&Expires=unix&Signature=sig".
 *
 * StringToSign = VERB\n Content-MD5\n Content-Type\n Date-or-Expires\n
 *                CanonicalizedAmzHeaders CanonicalizedResource
 * Signature = base64(HMAC-SHA1(secret, StringToSign)).
 * Needs obj_request.each_header (all x-amz-* headers are signed).
 */
#ifndef YUN_OBJECT_SIGV2_H
#define YUN_OBJECT_SIGV2_H

#include <stdbool.h>
#include <stdint.h>

#include "sigutil.h"

enum sigv2_status {
    SIGV2_OK = 0,
    SIGV2_ABSENT,             /* no SigV2 credentials in the request */
    SIGV2_HEADER_MALFORMED,   /* InvalidArgument: bad "AWS AK:sig" */
    SIGV2_QUERY_MALFORMED,    /* AccessDenied: incomplete query auth */
    SIGV2_MULTIPLE_AUTH,      /* InvalidArgument */
    SIGV2_MISSING_DATE,       /* AccessDenied: no valid Date / x-amz-date */
    SIGV2_TIME_SKEWED,        /* RequestTimeTooSkewed */
    SIGV2_EXPIRED,            /* AccessDenied "Request has expired" */
    SIGV2_SIGNATURE_MISMATCH, /* SignatureDoesNotMatch */
    SIGV2_TOO_LARGE,          /* InvalidRequest */
    SIGV2_INTERNAL,           /* InternalError */
};

#define SIGV2_MAX_SKEW_SECONDS   900
#define SIGV2_MAX_STRING_TO_SIGN 65536

struct sigv2_auth {
    bool presigned;
    char access_key[129];
    char signature[64]; /* base64 as sent (query form: already URL-decoded) */
    int64_t expires;    /* presigned only */
};

struct sigv2_error {
    const char *code;
    int http_status;
    const char *message;
};
const struct sigv2_error *sigv2_error_of(enum sigv2_status st);

enum sigv2_status sigv2_parse(const struct obj_request *req, struct sigv2_auth *auth);

/* vhost_bucket: the bucket named by the Host header for virtual-hosted
 * requests ("/bucket" is prepended to the resource), NULL for path-style. */
enum sigv2_status sigv2_verify(const struct obj_request *req, const struct sigv2_auth *auth, const char *vhost_bucket,
                               const char *secret, int64_t now);

/* The string to sign. date_line: what goes on the Date line (NULL = derive it:
 * Expires for presigned, "" if x-amz-date is present, else the Date header). */
enum sigv2_status sigv2_string_to_sign(const struct obj_request *req, const struct sigv2_auth *auth,
                                       const char *vhost_bucket, const char *date_line, struct obj_buf *out);

#endif
