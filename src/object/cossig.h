/*
 * cossig.h - the Tencent COS XML API request signature
 * ("q-sign-algorithm=sha1&q-ak=..&q-sign-time=..&q-key-time=..
 *  &q-header-list=..&q-url-param-list=..&q-signature=.."), in the
 * Authorization header or in the query string of a presigned URL.
 *
 *   SignKey      = hex(HMAC-SHA1(SecretKey, q-key-time))
 *   HttpString   = lower(method)\n decoded-path\n params\n headers\n
 *   StringToSign = "sha1\n" q-sign-time "\n" hex(SHA1(HttpString)) "\n"
 *   Signature    = hex(HMAC-SHA1(SignKey as its 40 hex chars, StringToSign))
 * params/headers: only the names in the two lists, sorted, "k=v" joined by
 * '&', names lower-case URL-encoded, values URL-encoded (RFC 3986 unreserved
 * kept), exactly as cos-nodejs-sdk-v5's util.getAuth builds them.
 */
#ifndef YUN_OBJECT_COSSIG_H
#define YUN_OBJECT_COSSIG_H

#include <stdbool.h>
#include <stdint.h>

#include "sigutil.h"

enum cossig_status {
    COSSIG_OK = 0,
    COSSIG_ABSENT,          /* no COS signature in the request */
    COSSIG_MALFORMED,       /* missing/invalid q-* field */
    COSSIG_MULTIPLE_AUTH,   /* header and query signature together */
    COSSIG_HOST_NOT_SIGNED, /* q-header-list lacks host */
    COSSIG_EXPIRED,         /* now after q-sign-time end: "Request has expired" */
    COSSIG_NOT_YET_VALID,   /* q-sign-time starts in the future */
    COSSIG_SIGNATURE_MISMATCH,
    COSSIG_TOO_LARGE,
    COSSIG_INTERNAL,
};

#define COSSIG_MAX_SKEW_SECONDS 900
#define COSSIG_MAX_HTTP_STRING  65536

struct cossig_auth {
    bool presigned;
    char access_key[129];
    char sign_time[48]; /* "start;end" as sent */
    int64_t sign_start, sign_end;
    char key_time[48];
    char header_list[2048]; /* lower-case, ';'-separated */
    char param_list[2048];
    char signature[41];
};

struct cossig_error {
    const char *code;
    int http_status;
    const char *message;
};
const struct cossig_error *cossig_error_of(enum cossig_status st);

enum cossig_status cossig_parse(const struct obj_request *req, struct cossig_auth *auth);
enum cossig_status cossig_verify(const struct obj_request *req, const struct cossig_auth *auth, const char *secret,
                                 int64_t now);
/* The HttpString and StringToSign, for tests and error details. out initialised here. */
enum cossig_status cossig_http_string(const struct obj_request *req, const struct cossig_auth *auth,
                                      struct obj_buf *out);
enum cossig_status cossig_string_to_sign(const struct obj_request *req, const struct cossig_auth *auth,
                                         struct obj_buf *out);
/* Whether the query parameter `name` (decoded, any case) is covered by the
 * signature. Unlisted parameters reach the server unsigned; the gateway must
 * not let them change what a presigned URL does. */
bool cossig_param_signed(const struct cossig_auth *auth, const char *name);

#endif
