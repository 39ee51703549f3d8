/*
 * object_int.h: what the files of the S3/COS gateway share, and nobody else sees (as SQLite's
 * whereInt.h). A request (struct rq) goes one way through them:
 *
 *   gateway.c   the listener: libmicrohttpd glue, request set-up, begin() and completion
 *   routes.c    the route table: every per-operation fact is a column of its row
 *   auth.c      signatures (SigV4, SigV2, COS) against identity's keys; ACL and CAM authorisation
 *   acl.c       ACLs on requests: what one sets (canned, grant headers, AccessControlPolicy), what
 *               grants allow (acl_allows), the ACL documents, object ownership and its controls;
 *               aclgrants.c the pure grant parsers and the stored form
 *   body.c      the request body sink: decoding, hashing, integrity checks
 *   request.c   what a request's headers ask for: metadata, tags, ACL, conditions, ranges
 *   reply.c     answers: headers, XML documents, errors
 *   meta.c      every statement on the obj_* tables and their schema; the audit record
 *   meta_upload.c  the same for multipart uploads (obj_uploads, obj_parts)
 *   meta_version.c the same for an object's versions (obj_objects, obj_versions): writes, deletes,
 *               delete markers, the version listing
 *   meta_config.c  the same for a bucket's configuration documents (obj_bucket_config) and the
 *               lifecycle job's scans
 *   meta_lock.c the same for object lock: each version's retention and legal hold (obj_lock)
 *   meta_sse.c  the same for server-side encryption's descriptors (the sse columns)
 *   bucket_policy.c the policy grammar and evaluation (pure); bucket_policy_actions.c each operation's
 *               s3: action; bucket_policy_gate.c the request's side
 *   encryption.c, sse.c  SSE-S3/KMS/C on requests, and the segment format of encrypted files;
 *               bucket_encryption.c a bucket's default encryption (Put/Get/DeleteBucketEncryption)
 *   bucket.c, listing.c, object.c, object_read.c, multipart.c, versioning.c, lifecycle.c, cors.c, lock.c,
 *   logging.c, torrent.c, post.c:
 *               the operations, one family each; lifecycle_job.c the expiry on the business clock,
 *               logging.c's job the access logs' delivery
 *
 * Below them, engine.c (engine.h) hands the bytes to a backend (backend.h; backend_file.c, the only
 * file that knows DATA/objects) and filecache.c keeps small bodies in memory.
 *
 * Only meta.c, meta_upload.c, meta_version.c, meta_config.c, meta_lock.c, meta_sse.c and engine.c touch the store.
 * Handlers record a failure with fail() and return; the listener answers it.
 */
#ifndef YUN_OBJECT_INT_H
#define YUN_OBJECT_INT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "core/core.h"
#include "identity/identity.h"
#include "object/aclgrants.h"
#include "object/checksum.h"
#include "object/chunked.h"
#include "object/cossig.h"
#include "object/engine.h"
#include "object/s3xml.h"
#include "object/sigutil.h"
#include "object/sigv4.h"
#include "object/sse.h"

#define S3_NS            "http://s3.amazonaws.com/doc/2006-03-01/"
#define MAX_KEY_BYTES    1024
#define MAX_META_BYTES   2048
#define MAX_PUT_BYTES    (5ull << 30)
#define MAX_PART_BYTES   (5ull << 30)
#define MIN_PART_S3      (5u << 20)
#define MIN_PART_COS     (1u << 20)
#define LIST_MAX         1000
#define MAX_RESP_HEADERS 48
#define SMALL_OBJECT     (32 * 1024)
#define MAPPED_OBJECT    (256 * 1024) /* a plain GET body at least this large is sent from a mapping */
#define VERSION_ID_LEN   32
#define BODY_MEMORY      (32u << 20) /* bytes of request bodies held in memory (XML documents), all requests together */

extern const struct config *object_config; /* set once at start, read-only afterwards */

enum auth_kind { AUTH_ANON, AUTH_V4, AUTH_V2, AUTH_COS };
enum scope { SCOPE_SERVICE, SCOPE_BUCKET, SCOPE_OBJECT };
enum body_kind { BODY_NONE, BODY_XML, BODY_STREAM };
enum body_mode { SINK_NONE, SINK_BUFFER, SINK_FILE, SINK_DISCARD };

#define OP_PUBLIC_READ    1u /* allowed to anyone on a public-read(-write) bucket (or object, for GET/HEAD) */
#define OP_PUBLIC_WRITE   2u /* allowed to anyone on a public-read-write bucket */
#define OP_NEEDS_BUCKET   4u /* the bucket must exist */
#define OP_COPY           8u /* selected only with x-amz-copy-source */
/* the operation reads bucket and object in one read transaction and authorises itself */
#define OP_READS_TOGETHER 16u
/* the caller is known only from the body (POST object's form): authenticated and authorised there */
#define OP_FORM           32u

/* Server-side encryption a request asks for or gives (encryption.c). */
enum sse_kind { SSE_NONE, SSE_S3, SSE_KMS, SSE_C };
struct sse_mode {
    enum sse_kind kind;
    char kid[64];      /* SSE-KMS: the key id */
    uint8_t ckey[32];  /* SSE-C: the customer's key, for this request only */
    char ckey_md5[32]; /* ... and its MD5, base64 */
};

struct bucket {
    char name[64], owner_uin[24], app_id[24], region[64];
    char acl[ACL_TEXT_MAX]; /* a canned name, or a grant list (aclgrants.h) */
    char id[24];            /* set at creation: the same name created again is another bucket */
    char public_block[8];   /* obj_buckets.public_block, "" if none */
    char versioning[12];    /* "", "Enabled" or "Suspended": once set, never "" again */
    int64_t created, objects, bytes, quota_objects, quota_bytes;
    /* load_bucket found no configuration document (policy, lifecycle, CORS...) in the snapshot it
     * read: who reads one for this row may skip the query. false (zeroed): not known. */
    bool no_config;
};

struct rq;
typedef void (*op_fn)(struct rq *r);

/* One S3 operation: a row of routes.c's table. */
struct op {
    const char *name; /* S3 operation name */
    const char *method;
    enum scope scope;
    const char *subresource; /* query parameter that selects this row; NULL = default row */
    const char *sub2;        /* a second one that must also be present */
    const char *also;        /* a sub-resource parameter the row accepts without requiring it */
    const char *action;      /* CAM action */
    bool mutates;            /* asks for a change: audited, allowed or refused */
    enum body_kind body;
    unsigned flags;
    op_fn run;        /* runs when the whole request (body included) is in */
    const char *code; /* for fixed answers to unsupported sub-resources: error code */
    int status;
    op_fn begin; /* runs when the headers are in and the request is authorised: opens the body sink */
};

struct hdr {
    char name[64];
    char *value;
};

struct conn;

struct rq {
    struct MHD_Connection *c;
    struct conn *conn;
    const char *source_ip; /* the TCP peer (conn->ip): CAM's qcs:ip and the audit record */
    char *uri;
    char *raw_path;
    const char *raw_query;
    struct obj_query q;
    const char *method;
    char request_id[32];
    char bucket[64];
    char *key;
    bool vhost;
    bool started, answered, cos_style;
    enum auth_kind auth;
    bool presigned;
    struct principal who;
    char secret[128];
    struct sigv4_auth v4;
    struct cossig_auth cos;
    const struct op *op;
    struct bucket b;
    bool have_bucket;
    bool auth_failed; /* the signature or its key was refused: audited whatever the method */
    char unknown_key[72];
    bool audited;       /* the audit record was committed with the change itself */
    int64_t started_us; /* when its headers were in (monotonic): the access log's total time */
    enum { METER_NONE, METER_ALLOWED, METER_DENIED } meter; /* set where the bucket's authorisation is decided */
    bool read_txn; /* GET/HEAD: in a read transaction (BEGIN), ended by end_read_txn */
    bool snapshot; /* GET/HEAD: r->b and the object row were read in one snapshot (statement or transaction) */
    /* the version a write made, a delete removed or made (a delete marker), "" if none to tell */
    char version_id[VERSION_ID_LEN + 8];
    bool delete_marker; /* ... and it is a delete marker */
    bool keep_headers;  /* the error answer carries the headers added (x-amz-delete-marker) */
    /* a failure found while the body streams in is answered at the end */
    int err_status;
    char err_code[64];
    char err_message[300];
    /* body */
    enum body_mode sink;
    struct obj_buf body;
    struct engine_file file;
    EVP_MD_CTX *md5, *sha256;
    struct checksum ck;
    char ck_expect[CHECKSUM_MAX_BASE64 + 8];
    struct chunked_decoder *dec;
    struct post_form *form; /* POST object: the form parser (post.c) */
    uint64_t decoded;
    int64_t expected;
    /* server-side encryption of the object or part being written (encryption.c) */
    struct sse_writer *enc; /* NULL: written plain */
    char *sse_desc;         /* the descriptor the new object, upload or part belongs to */
    struct sse_mode sse;    /* the mode applied (the SSE-C key of the request) */
    uint64_t max_bytes;
    size_t body_held; /* share of BODY_MEMORY this request holds */
    /* response */
    struct hdr hdrs[MAX_RESP_HEADERS];
    int nhdrs;
    uint64_t bytes_out;
    unsigned status;  /* of the answer queued, 0 if none */
    char result[64];  /* its S3 error code, "" for success */
    int64_t t0_us;    /* when the request line arrived: the request log's duration */
    char reason[512]; /* the service control policy that decided (the audit record) */
};

/* A version of an object: the current one (obj_objects) or an older one (obj_versions). */
struct objrow {
    int64_t size, mtime;
    char etag[80], content_type[256], acl[ACL_TEXT_MAX], file[ENGINE_ID_LEN + 8], owner[24], checksum[96];
    char *headers, *meta, *tags;
    char *parts;                         /* a multipart object's part sizes, "s1,s2,..."; NULL otherwise */
    char version_id[VERSION_ID_LEN + 8]; /* "null" for one written while the bucket was unversioned or suspended */
    bool marker;                         /* a delete marker: no bytes, no file */
    int64_t seq;                         /* orders an object's versions: the current one has the highest */
    char *sse;                           /* the encryption descriptor (encryption.c), NULL if stored plain */
};
/* The columns objrow_fill reads, in its order. */
#define OBJROW_COLUMNS                                                                                                 \
    "size, mtime, etag, content_type, acl, file, owner_uin, checksum, headers, meta, tags, parts, version_id, marker," \
    " seq, sse"
/* A version in a version listing: valid during the visit only. */
struct version_entry {
    const char *key, *version_id, *etag, *owner;
    bool marker, latest;
    int64_t size, mtime, seq;
};

/* A version's object lock: mode "" (no retention), "GOVERNANCE" or "COMPLIANCE" until `until` (ms,
 * business clock); legal hold "", "ON" or "OFF". */
struct lock_settings {
    char mode[12];
    int64_t until;
    char hold[4];
};

/* What a write stores: PutObject, CopyObject, CompleteMultipartUpload (and an upload's settings). */
struct new_object {
    const char *file;
    int64_t size;
    const char *etag, *content_type, *headers, *meta, *tags, *acl, *checksum;
    const char *parts;                /* objrow.parts */
    const char *upload_id;            /* of the multipart upload it completes */
    const char *owner;                /* the object's owner (acl_object_owner), NULL: the bucket's */
    const char *sse;                  /* the encryption descriptor, NULL if stored plain */
    bool conditional;                 /* If-Match / If-None-Match of the request apply to the object replaced */
    const struct lock_settings *lock; /* the x-amz-object-lock-* headers of the request, NULL if none */
};

/* A listing: keys and common prefixes, in order. */
struct entry {
    char *key;
    bool prefix;
    int64_t size, mtime;
    char etag[80], owner[24];
};
struct listing {
    struct entry *v;
    size_t n;
    bool truncated;
};

/* Rows handed to the visitors of meta_each_*: valid during the call only. A visitor returns
 * true to go on, false to stop. */
struct bucket_entry {
    const char *name, *region;
    int64_t created;
};
struct part_entry {
    int64_t number, size, mtime;
    const char *etag, *file;
};
struct upload_entry {
    const char *key, *upload_id, *initiator;
    int64_t initiated;
};
/* An upload's settings, as CreateMultipartUpload stored them. */
struct upload_row {
    char *content_type, *headers, *meta, *tags;
    char acl[ACL_TEXT_MAX];
    char owner[24]; /* the object's owner-to-be (acl_object_owner at CreateMultipartUpload) */
    char algo[16];  /* x-amz-checksum-algorithm of CreateMultipartUpload, "" if none */
};
/* What a new object takes from its request (request_settings). */
struct object_settings {
    const char *acl;
    char aclbuf[ACL_TEXT_MAX];
    char *meta, *headers, *tags;
};
enum bucket_column { BUCKET_ACL, BUCKET_TAGS, BUCKET_PUBLIC_BLOCK, BUCKET_VERSIONING };
enum object_column { OBJECT_ACL, OBJECT_TAGS };

/* A version as the lifecycle job scans it: valid during the visit only. since: the current
 * version's mtime, or when an older one became noncurrent (ms). */
struct lc_entry {
    const char *key, *version_id, *tags;
    int64_t size, since, seq, noncurrent;
    bool marker;
};

/* routes.c */
const struct op *route_table(size_t *n); /* every row, for tests that walk the table */
enum scope scope_of(const struct rq *r);
const struct op *route(struct rq *r, enum scope scope);

/* auth.c */
int authenticate(struct rq *r);
int auth_lookup_key(struct rq *r, const char *access_key);
int authorize(struct rq *r, const char *action, const struct bucket *b, const char *key, unsigned flags,
              const struct objrow *o);

/* acl.c */
/* Does the bucket's ACL grant the group ("LogDelivery", "AllUsers", ...) every bit of perm? */
bool acl_group_granted(const struct bucket *b, const char *group, unsigned perm);
int acl_allows(struct rq *r, const char *action, const struct bucket *b, unsigned flags, const struct objrow *o,
               bool bucket_owner);
int acl_request(struct rq *r, const char *dflt, const char *creating, char *out, size_t len);
int acl_request_new(struct rq *r, char *out, size_t len);
int acl_object_owner(struct rq *r, const char *acl, const char **owner);
int acl_load_object(struct rq *r, struct objrow *o);
int acl_create_ownership(struct rq *r, const char **mode);
void write_acl(struct rq *r, const struct bucket *b, const char *owner, const char *acl);
void op_put_ownership(struct rq *r);
void op_get_ownership(struct rq *r);
void op_delete_ownership(struct rq *r);

/* bucket_policy_gate.c: the decision authorize() asks for (1 allowed, 0 denied and recorded, -1
 * error, or BUCKET_POLICY_NO_SAY: CAM and the ACLs decide), whether the policy lets the caller
 * list the bucket under a prefix (the 404-or-403 of a missing key; 1, 0, -1), the operations. */
#define BUCKET_POLICY_NO_SAY 2
int bucket_policy_check(struct rq *r, const char *action, const struct bucket *b, const char *key);
int bucket_policy_lists(struct rq *r, const struct bucket *b, const char *prefix);
/* Does b's policy let the service principal (BUCKET_POLICY_LOG_SERVICE) do s3_action on key, acting
 * for source_bucket of source_account (aws:SourceArn, aws:SourceAccount)? BP_ALLOW, BP_DENY, BP_NONE
 * (no statement applies, or no policy), or -1 (the store failed). */
int bucket_policy_service_allows(const struct bucket *b, const char *s3_action, const char *cos_action, const char *key,
                                 const char *service, const char *source_account, const char *source_bucket);
void op_put_bucket_policy(struct rq *r);
void op_get_bucket_policy(struct rq *r);
void op_delete_bucket_policy(struct rq *r);
void op_get_bucket_policy_status(struct rq *r);

/* body.c */
int body_begin(struct rq *r, enum body_mode mode, uint64_t max_bytes);
void body_feed(struct rq *r, const char *data, size_t len);
int body_finish(struct rq *r, char etag[33], uint8_t md5raw[16], char *checksum, size_t cklen);
void body_release(struct rq *r);
void md5_hex(EVP_MD_CTX *md, char out[33], uint8_t raw[16]);

/* encryption.c */
int sse_request_write(struct rq *r, struct sse_mode *m);
int sse_request_read(struct rq *r, const char *prefix, struct sse_mode *m);
int sse_request_customer(struct rq *r, const char *prefix, struct sse_mode *m);
int sse_bucket_default(struct rq *r, struct sse_mode *m);
/* The KMS key a request or a bucket default names (NULL or "": the configured default) into m.
 * 0, or -1 (recorded). */
int sse_kms_key(struct rq *r, const char *kid, struct sse_mode *m);
int sse_start_new(struct rq *r, const struct sse_mode *m, bool writer);
int sse_start_part(struct rq *r, const char *upload_desc, const struct sse_mode *given, uint32_t part);
int sse_write(struct rq *r, const void *p, size_t n);
int sse_finish(struct rq *r);
void sse_release(struct rq *r);
struct sse_reader *sse_open_object(struct rq *r, const struct objrow *o, const struct sse_mode *given, int h);
int sse_check_object(struct rq *r, const struct objrow *o, const struct sse_mode *given);
int sse_check_desc(struct rq *r, const char *desc, const struct sse_mode *given);
char *sse_with_runs(const char *desc, const int *parts, size_t n);
void sse_headers(struct rq *r, const char *desc, const struct sse_mode *given);
int sse_copy(struct rq *r, struct sse_reader *rd, uint64_t from, uint64_t len, EVP_MD_CTX *md);
void op_put_bucket_encryption(struct rq *r);
void op_get_bucket_encryption(struct rq *r);
void op_delete_bucket_encryption(struct rq *r);

/* meta_sse.c */
int meta_sse_migrate(struct store *s, char *err, size_t errlen);
int meta_upload_sse(struct rq *r, char **sse);

/* request.c */
const char *hdr_in(struct rq *r, const char *name);
const char *hdr_amz(struct rq *r, const char *name);
const char *qget(struct rq *r, const char *name);
bool qhas(struct rq *r, const char *name);
void strip_quotes(const char *in, char *out, size_t len);
bool etag_listed(const char *list, const char *etag);
int request_metadata(struct rq *r, char **meta, char **headers);
int header_tags(struct rq *r, char **out);
const char *object_default_acl(const struct rq *r);
const char *request_acl(struct rq *r, const char *dflt);
bool wrong_bucket_owner(struct rq *r);
bool blocks_public_acl(struct rq *r, const char *acl);
int write_conditions(struct rq *r, bool had, const char *etag);
int read_conditions(struct rq *r, const struct objrow *o);
int copy_conditions(struct rq *r, const struct objrow *o);
const char *content_type_of(struct rq *r);
int parse_range(const char *h, int64_t size, int64_t *from, int64_t *len);
int parse_copy_source(struct rq *r, char *bucket, size_t blen, char **key, char *vid, size_t vlen);
char *parse_tagging_body(struct rq *r, size_t max_tags);
void cam_resource(struct rq *r, const struct bucket *b, const char *bucket, const char *key, char *out, size_t len);
int request_settings(struct rq *r, struct object_settings *s);
void object_settings_free(struct object_settings *s);

/* reply.c */
void add_header(struct rq *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void free_headers(struct rq *r);
void http_date(int64_t t, char out[40]);
void iso_ms(int64_t ms, char out[40]);
int64_t now_ms(void);
enum MHD_Result queue(struct rq *r, unsigned status, struct MHD_Response *resp);
enum MHD_Result send_error(struct rq *r, int status, const char *code, const char *message);
enum MHD_Result send_xml(struct rq *r, unsigned status, struct xmlw *w);
enum MHD_Result send_empty(struct rq *r, unsigned status);
enum MHD_Result send_document(struct rq *r, const char *xml);
enum MHD_Result send_body(struct rq *r, unsigned status, const char *body, const char *ctype);
void fail(struct rq *r, int status, const char *code, const char *message);
/* auth.c: the region a request acts in before its bucket exists (CreateBucket): the COS host's,
 * the SigV4 scope's, else this store's; and the check a bucket's creation in its final region
 * (LocationConstraint) makes: 1 allowed, 0 refused (recorded), -1 error (recorded). */
void request_region(struct rq *r, char *out, size_t len);
int auth_region_allows(struct rq *r, const char *action, const char *region);
void fail_malformed(struct rq *r);
void xml_owner(struct xmlw *w, const char *uin);
void xml_key(struct xmlw *w, const char *name, const char *v, bool url);
void write_tagging(struct rq *r, const char *json_tags);
void checksum_header(struct rq *r, const char *stored);
void answer_update(struct rq *r, int rows, const char *missing_code, const char *missing_message, unsigned status);

/* meta.c */
int meta_migrate(struct store *s, char *err, size_t errlen);
void fail_store(struct rq *r);
char *dup_or_null(struct store_stmt *q, int col);
int load_bucket(const char *name, struct bucket *b);
void objrow_fill(struct store_stmt *q, struct objrow *o);
void objrow_fill_at(struct store_stmt *q, int base, struct objrow *o);
int hotrows_count(uint64_t *count);
int hotrows_get(const char *bucket, const char *key, struct bucket *b, struct objrow *o);
void hotrows_put(uint64_t count, const struct bucket *b, const char *key, const struct objrow *o);
int load_bucket_object(const char *name, const char *key, struct bucket *b, struct objrow *o, int *object);
int load_object(const char *bucket, const char *key, struct objrow *o);
void objrow_free(struct objrow *o);
void meta_read_begin(struct rq *r);
void end_read_txn(struct rq *r);
int audit(struct rq *r, const char *result);
int meta_begin_bucket_change(struct rq *r);
int meta_begin(struct rq *r);
int meta_commit(struct rq *r);
void meta_rollback(void);
int meta_each_bucket(const char *owner, const char *after, const char *prefix, int64_t limit,
                     bool (*visit)(void *arg, const struct bucket_entry *e), void *arg);
int meta_create_bucket(struct rq *r, const char *region, const char *acl, const char *id, bool lock,
                       const char *ownership);
int meta_delete_bucket(struct rq *r);
int meta_set_bucket_column(struct rq *r, enum bucket_column column, const char *value);
int meta_bucket_tags(const char *bucket, char **tags);
int meta_each_key(const char *bucket, const char *from, bool inclusive, int64_t limit,
                  bool (*visit)(void *arg, const struct entry *e), void *arg);
int same_bucket(struct rq *r, struct bucket *now);
int finish_update(struct rq *r, int rc);
int drop_uploads(const char *upload_id, const char *bucket);

/* meta_version.c */
int load_version(const char *bucket, const char *key, const char *version_id, struct objrow *o);
int load_request_object(struct rq *r, struct objrow *o);
int put_row(struct rq *r, const struct new_object *n);
int commit_object(struct rq *r, const struct new_object *n);
int meta_remove(struct rq *r, const char *key, const char *version_id);
int meta_delete_object(struct rq *r);
int meta_set_object_column(struct rq *r, enum object_column column, const char *value);
int meta_each_version(const char *bucket, const char *key, int64_t below_seq, int64_t limit,
                      bool (*visit)(void *arg, const struct version_entry *e), void *arg);

/* meta_config.c */
int meta_config_migrate(struct store *s, char *err, size_t errlen);
int meta_bucket_config(const char *bucket_id, const char *kind, char **doc);
int meta_bucket_config_by_name(const char *bucket, const char *kind, char **doc);
int meta_set_bucket_config(struct rq *r, const char *kind, const char *doc);
int meta_each_configured_bucket(const char *kind, bool (*visit)(void *arg, const char *bucket, const char *doc),
                                void *arg);
int meta_each_current(const char *bucket, const char *after, int64_t limit,
                      bool (*visit)(void *arg, const struct lc_entry *e), void *arg);
int meta_each_noncurrent(const char *bucket, const char *key, int64_t below_seq, int64_t limit,
                         bool (*visit)(void *arg, const struct lc_entry *e), void *arg);
int meta_current_is(const char *bucket, const char *key, int64_t seq);

/* meta_lock.c */
int meta_lock_migrate(struct store *s, char *err, size_t errlen);
int meta_lock_read(const char *bucket, const char *key, const char *vid, struct lock_settings *l);
int meta_lock_write(const char *bucket, const char *key, const char *vid, const struct lock_settings *l);
int meta_lock_forget(struct store *s, const char *bucket, const char *key, const char *vid);
int meta_lock_upload_write(const char *upload_id, const struct lock_settings *l);
int meta_lock_upload_read(const char *upload_id, struct lock_settings *l);

/* meta_upload.c */
int meta_create_upload(struct rq *r, const char *id, const struct new_object *n, const char *initiator,
                       const char *algo);
int check_upload(struct rq *r);
int commit_part(struct rq *r, int number, int64_t size, const char *etag, const char *checksum);
int meta_completed_etag(struct rq *r, char etag[80], char checksum[96]);
int meta_part_checksum(const char *upload_id, int number, char checksum[96]);
int meta_upload_settings(struct rq *r, struct upload_row *u);
void upload_row_free(struct upload_row *u);
int meta_part(const char *upload_id, int number, int64_t *size, char etag[40], char file[ENGINE_ID_LEN + 8]);
int meta_complete_upload(struct rq *r, const struct new_object *n);
int meta_abort_upload(struct rq *r);
int meta_each_part(const char *upload_id, int64_t after, int64_t limit,
                   bool (*visit)(void *arg, const struct part_entry *e), void *arg);
int meta_each_upload(const char *bucket, const char *prefix, const char *key_marker, const char *id_marker,
                     int64_t limit, bool (*visit)(void *arg, const struct upload_entry *e), void *arg);

/* bucket.c */
void op_list_buckets(struct rq *r);
void op_create_bucket(struct rq *r);
void op_head_bucket(struct rq *r);
void op_delete_bucket(struct rq *r);
void op_get_bucket_location(struct rq *r);
void op_get_bucket_acl(struct rq *r);
void op_put_bucket_acl(struct rq *r);
void op_put_public_block(struct rq *r);
void op_get_public_block(struct rq *r);
void op_delete_public_block(struct rq *r);
void op_put_bucket_tagging(struct rq *r);
void op_get_bucket_tagging(struct rq *r);
void op_delete_bucket_tagging(struct rq *r);
void op_fixed(struct rq *r);

/* listing.c */
char *successor(const char *s);
size_t max_keys_param(struct rq *r, const char *name, size_t dflt);
bool url_encoding(struct rq *r);
void listing_free(struct listing *l);
char *common_prefix(const char *key, const char *prefix, const char *delim);
void op_list_objects(struct rq *r);
void op_list_objects_v2(struct rq *r);

/* object.c */
int copy_source(struct rq *r, struct objrow *o, char *sbucket, size_t blen, char **skey);
void put_object_begin(struct rq *r);
void op_put_object(struct rq *r);
void op_copy_object(struct rq *r);
void op_delete_object(struct rq *r);
void op_delete_objects(struct rq *r);
void op_get_object_tagging(struct rq *r);
void op_put_object_tagging(struct rq *r);
void op_delete_object_tagging(struct rq *r);
void op_get_object_acl(struct rq *r);
void op_put_object_acl(struct rq *r);

/* object_read.c */
void op_get_object(struct rq *r);
void op_get_object_attributes(struct rq *r);

/* versioning.c */
void op_put_bucket_versioning(struct rq *r);
void op_get_bucket_versioning(struct rq *r);
void op_list_object_versions(struct rq *r);
void version_headers(struct rq *r);
void fail_delete_marker(struct rq *r, const struct objrow *o, bool by_version);

/* lifecycle.c (the job: lifecycle.h) */
void op_put_bucket_lifecycle(struct rq *r);
void op_get_bucket_lifecycle(struct rq *r);
void op_delete_bucket_lifecycle(struct rq *r);
void lifecycle_header(struct rq *r, const char *bucket_id, int64_t mtime_ms, int64_t size, const char *tags);

/* lock.c */
int64_t lock_parse_date(const char *s);
int lock_enabled(struct rq *r);
const char *lock_bucket_document(void);
int lock_from_headers(struct rq *r, struct lock_settings *l);
int lock_check_request(struct rq *r, const struct lock_settings *l);
int lock_new_version(struct rq *r, const struct bucket *b, const char *vid, const struct new_object *n);
void lock_headers(struct rq *r, const char *vid);
int lock_refuses_removal(struct rq *r, const char *key, const char *vid);
void op_put_object_lock_config(struct rq *r);
void op_get_object_lock_config(struct rq *r);
void op_put_object_retention(struct rq *r);
void op_get_object_retention(struct rq *r);
void op_put_object_legal_hold(struct rq *r);
void op_get_object_legal_hold(struct rq *r);

/* torrent.c */
void op_get_object_torrent(struct rq *r);

/* logging.c */
void op_put_bucket_logging(struct rq *r);
void op_get_bucket_logging(struct rq *r);
void logging_record(struct rq *r);
int logging_job(struct store *s, int64_t t);
void logging_start(void);
void logging_stop(void);

/* cors.c */
void op_put_bucket_cors(struct rq *r);
void op_get_bucket_cors(struct rq *r);
void op_delete_bucket_cors(struct rq *r);
void cors_preflight(struct rq *r);
void cors_response_headers(struct rq *r, struct MHD_Response *resp);

/* post.c */
void post_object_begin(struct rq *r);
void post_feed(struct rq *r, const char *data, size_t len);
void post_form_free(struct rq *r);
void op_post_object(struct rq *r);

/* multipart.c */
void op_create_multipart(struct rq *r);
void upload_part_begin(struct rq *r);
void op_upload_part(struct rq *r);
void op_upload_part_copy(struct rq *r);
void op_complete_multipart(struct rq *r);
void op_abort_multipart(struct rq *r);
void op_list_parts(struct rq *r);
void op_list_multipart_uploads(struct rq *r);

#endif
