/*
 * sigutil.h - what the S3/COS signature modules (sigv4, sigv2, cossig) share:
 * the view of an HTTP request they verify, a bounded growable buffer,
 * percent-decoding/encoding, query-string parsing, hashing and constant-time
 * comparison. Nothing here knows about the HTTP server library.
 */
#ifndef YUN_OBJECT_SIGUTIL_H
#define YUN_OBJECT_SIGUTIL_H

#include <stdbool.h>

#include "core/core.h"
#include <stddef.h>
#include <stdint.h>

/*
 * The request as the signature checkers see it. The caller (HTTP gateway)
 * fills it from the wire, without normalising anything.
 *  - raw_path:  the request-target path exactly as received, still
 *               percent-encoded, without '?' and query ("/bucket/a%2Bb").
 *  - raw_query: the part after '?', still encoded, or NULL/"" if none.
 *  - header:    case-insensitive lookup by (lower-case) name; a header sent
 *               several times must be returned joined with ",". NULL if absent.
 *  - each_header: enumerates every header (name as received, value); repeats
 *               may be reported separately. Needed by SigV2 only (it signs all
 *               x-amz-* headers); may be NULL for SigV4/COS.
 */
typedef void (*obj_header_visit_fn)(void *arg, const char *name, const char *value);

struct obj_request {
    const char *method;
    const char *raw_path;
    const char *raw_query;
    const char *(*header)(void *ctx, const char *name);
    void (*each_header)(void *ctx, obj_header_visit_fn visit, void *arg);
    void *ctx;
};

/* Growable byte buffer that refuses to grow past `limit` (sets `failed`). */
struct obj_buf {
    char *p;
    size_t len, cap, limit;
    bool failed;
};

void obj_buf_init(struct obj_buf *b, size_t limit);
void obj_buf_put(struct obj_buf *b, const void *data, size_t len);
void obj_buf_puts(struct obj_buf *b, const char *s);
void obj_buf_putc(struct obj_buf *b, char c);
/* NUL-terminates and returns the string, or NULL if the buffer failed. */
const char *obj_buf_str(struct obj_buf *b);
void obj_buf_free(struct obj_buf *b);

/* Percent-encode every byte except A-Za-z0-9 - _ . ~ (and '/' if keep_slash),
 * upper-case hex: the AWS UriEncode and the COS camSafeUrlEncode rules. */
void obj_buf_uri_encode(struct obj_buf *b, const char *s, size_t len, bool keep_slash);

/* Decode %XX escapes (not '+'); malformed escapes are kept literally.
 * out needs len+1 bytes; returns the decoded length (NUL-terminated). */
size_t obj_pct_decode(const char *in, size_t len, char *out);

/* One decoded query parameter; has_eq tells "k" from "k=". */
struct obj_qparam {
    char *name;
    char *value;
    bool has_eq;
};

struct obj_query {
    struct obj_qparam *v;
    size_t n;
    char *arena; /* the decoded names and values (v[i].name/value point into it) */
};

#define OBJ_QUERY_MAX_PARAMS 256
#define OBJ_QUERY_MAX_LEN    16384

/* Parse a raw query ("a=1&b&c=%2F"); empty pieces ("a=1&&b") are skipped.
 * Returns 0, or -1 if too long / too many parameters / out of memory. */
int obj_query_parse(const char *raw, struct obj_query *q);
/* Value of the first parameter with this exact (case-sensitive) name, or NULL. */
const char *obj_query_get(const struct obj_query *q, const char *name);
void obj_query_free(struct obj_query *q);

/* Constant-time equality of two NUL-terminated strings (length may leak). */
bool obj_str_equal_ct(const char *a, const char *b);

void obj_sha1_hex(const void *data, size_t len, char out[41]);
/* hashing, HMAC and hex come from core (core.h: sha256, sha256_hex, hmac_sha256, hmac_sha1, hex_encode) */

/* Trim leading/trailing spaces and tabs; collapse inner runs of spaces to one
 * (the SigV4 canonical header value rule). Appends to b. */
void obj_buf_put_trimmed(struct obj_buf *b, const char *v, bool collapse);

/* Parse "YYYYMMDDTHHMMSSZ" (ISO 8601 basic, UTC). Returns 0 and sets *out. */
int obj_parse_amz_date(const char *s, int64_t *out);
/* Parse an RFC 1123 HTTP date ("Tue, 27 Mar 2007 19:36:42 +0000"
 * or "... GMT"; zone GMT, UTC, Z or +hhmm/-hhmm). Returns 0 and sets *out. */
int obj_parse_http_date(const char *s, int64_t *out);

#endif
