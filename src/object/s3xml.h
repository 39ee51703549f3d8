/*
 * s3xml.h - the XML of the S3/COS REST API: parsers for the request bodies
 * the server accepts (DeleteObjects, CompleteMultipartUpload, Put*Tagging),
 * strict and bounded, and a small writer for responses.
 */
#ifndef YUN_OBJECT_S3XML_H
#define YUN_OBJECT_S3XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigutil.h"

enum s3xml_status {
    S3XML_OK = 0,
    S3XML_MALFORMED,           /* MalformedXML: not well-formed, wrong schema, DOCTYPE, too deep */
    S3XML_TOO_MANY,            /* MalformedXML: over 1000 keys / 10000 parts */
    S3XML_TOO_LARGE,           /* MalformedXML: body over S3XML_MAX_BODY */
    S3XML_INVALID_PART_ORDER,  /* InvalidPartOrder */
    S3XML_INVALID_PART_NUMBER, /* InvalidArgument: PartNumber not 1..10000 */
    S3XML_KEY_TOO_LONG,        /* KeyTooLongError */
    S3XML_TAG_TOO_MANY,        /* InvalidTag: more than max_tags */
    S3XML_TAG_KEY_INVALID,     /* InvalidTag: empty or over 128 characters */
    S3XML_TAG_VALUE_INVALID,   /* InvalidTag: over 256 characters */
    S3XML_TAG_DUPLICATE,       /* InvalidTag: same key twice */
    S3XML_INTERNAL,            /* out of memory */
};

#define S3XML_MAX_BODY        (4u * 1024 * 1024)
#define S3XML_MAX_DEPTH       8
#define S3XML_MAX_DELETE_KEYS 1000
#define S3XML_MAX_PARTS       10000
#define S3XML_MAX_KEY_BYTES   1024
#define S3XML_MAX_OBJECT_TAGS 10
#define S3XML_MAX_BUCKET_TAGS 50
#define S3XML_MAX_TAG_KEY     128 /* characters (UTF-8 code points) */
#define S3XML_MAX_TAG_VALUE   256

struct s3xml_error {
    const char *code;
    int http_status;
    const char *message;
};
const struct s3xml_error *s3xml_error_of(enum s3xml_status st);

/* DeleteObjects: <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object>...</Delete> */
struct s3xml_delete_object {
    char *key;
    char *version_id; /* NULL if absent */
};
struct s3xml_delete {
    bool quiet;
    size_t n;
    struct s3xml_delete_object *objects;
};
enum s3xml_status s3xml_parse_delete(const char *body, size_t len, struct s3xml_delete *out);
void s3xml_delete_free(struct s3xml_delete *d);

/* CompleteMultipartUpload: <Part><PartNumber>1</PartNumber><ETag>"..."</ETag>[<ChecksumCRC32>..]</Part>... */
struct s3xml_part {
    int number;
    char *etag;          /* as sent, quotes included */
    char *checksum_name; /* e.g. "ChecksumCRC32", NULL if none */
    char *checksum_value;
};
struct s3xml_complete {
    size_t n;
    struct s3xml_part *parts;
};
enum s3xml_status s3xml_parse_complete(const char *body, size_t len, struct s3xml_complete *out);
void s3xml_complete_free(struct s3xml_complete *c);

/* Tagging: <Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>...</TagSet></Tagging>
 * max_tags: S3XML_MAX_OBJECT_TAGS or S3XML_MAX_BUCKET_TAGS. */
struct s3xml_tag {
    char *key;
    char *value;
};
struct s3xml_tagging {
    size_t n;
    struct s3xml_tag *tags;
};
enum s3xml_status s3xml_parse_tagging(const char *body, size_t len, size_t max_tags, struct s3xml_tagging *out);
void s3xml_tagging_free(struct s3xml_tagging *t);

/* Response writer. Element names must stay valid until closed (use literals). */
#define XMLW_MAX_DEPTH 16
struct xmlw {
    struct obj_buf b;
    const char *stack[XMLW_MAX_DEPTH];
    int depth;
    bool failed;
};
/* Starts the document with the XML declaration. limit bounds the output size. */
void xmlw_init(struct xmlw *w, size_t limit);
void xmlw_open(struct xmlw *w, const char *name);
/* <name xmlns="..."> (e.g. "http://s3.amazonaws.com/doc/2006-03-01/"). */
void xmlw_open_ns(struct xmlw *w, const char *name, const char *xmlns);
/* <name attrs>: attrs is literal markup (a constant of the caller's, never request text). */
void xmlw_open_attrs(struct xmlw *w, const char *name, const char *attrs);
void xmlw_close(struct xmlw *w);
void xmlw_text(struct xmlw *w, const char *text, size_t len);
void xmlw_element(struct xmlw *w, const char *name, const char *text);
void xmlw_element_n(struct xmlw *w, const char *name, const char *text, size_t len);
void xmlw_element_u64(struct xmlw *w, const char *name, uint64_t v);
void xmlw_element_bool(struct xmlw *w, const char *name, bool v);
/* Closes what is open; returns the document (NUL-terminated, owned by w) or NULL on failure. */
const char *xmlw_finish(struct xmlw *w, size_t *len);
void xmlw_free(struct xmlw *w);

/* <Error><Code/><Message/>[<Resource/>][<RequestId/>]</Error> into a fresh writer. */
const char *s3xml_error_document(struct xmlw *w, const char *code, const char *message, const char *resource,
                                 const char *request_id, size_t *len);

#endif
