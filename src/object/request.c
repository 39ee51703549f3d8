/*
 * request: what a request's headers and query ask for, read once where a handler needs it: user
 * metadata and stored system headers, tags, the canned ACL, the expected
 * bucket owner, conditional reads and writes, Range and x-amz-copy-source.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/object_int.h"

const char *hdr_in(struct rq *r, const char *name) { return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name); }

/* x-amz-<name>, or the COS spelling x-cos-<name>. */
const char *hdr_amz(struct rq *r, const char *name)
{
    char h[96];
    size_t n = strlen(name);
    if (n > sizeof h - 7)
        n = sizeof h - 7;
    memcpy(h, "x-amz-", 6);
    memcpy(h + 6, name, n);
    h[6 + n] = 0;
    const char *v = hdr_in(r, h);
    if (!v) {
        memcpy(h + 2, "cos", 3);
        v = hdr_in(r, h);
        if (v)
            r->cos_style = true;
    }
    return v;
}

const char *qget(struct rq *r, const char *name) { return obj_query_get(&r->q, name); }

bool qhas(struct rq *r, const char *name)
{
    for (size_t i = 0; i < r->q.n; i++)
        if (strcmp(r->q.v[i].name, name) == 0)
            return true;
    return false;
}

void strip_quotes(const char *in, char *out, size_t len)
{
    while (*in == ' ')
        in++;
    if (strncmp(in, "W/", 2) == 0)
        in += 2;
    if (*in == '"')
        in++;
    snprintf(out, len, "%s", in);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '"' || out[n - 1] == ' '))
        out[--n] = 0;
}

/* Does an If-Match / If-None-Match list name this ETag? */
bool etag_listed(const char *list, const char *etag)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char e[200];
        strip_quotes(t, e, sizeof e);
        if (strcmp(e, "*") == 0 || strcmp(e, etag) == 0)
            return true;
    }
    return false;
}

/* System headers stored with an object and returned on GET/HEAD. */
static const char *const stored_headers[] = {
    "Content-Encoding", "Content-Disposition", "Cache-Control", "Content-Language", "Expires", NULL};

struct meta_visit {
    json_t *meta;
    size_t bytes;
    bool cos;
};

static enum MHD_Result meta_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct meta_visit *m = cls;
    const char *name = NULL;
    if (strncasecmp(key, "x-amz-meta-", 11) == 0)
        name = key + 11;
    else if (strncasecmp(key, "x-cos-meta-", 11) == 0) {
        name = key + 11;
        m->cos = true;
    }
    if (name && *name) {
        char lower[256];
        size_t i = 0;
        for (; name[i] && i < sizeof lower - 1; i++)
            lower[i] = (char)tolower((unsigned char)name[i]);
        lower[i] = 0;
        json_object_set_new(m->meta, lower, json_string(value ? value : ""));
        m->bytes += strlen(lower) + (value ? strlen(value) : 0);
    }
    return MHD_YES;
}

/* User metadata and system headers from the request, as stored JSON texts. -1 if too large. */
int request_metadata(struct rq *r, char **meta, char **headers)
{
    struct meta_visit mv = {.meta = json_object()};
    MHD_get_connection_values(r->c, MHD_HEADER_KIND, meta_iter, &mv);
    if (mv.cos)
        r->cos_style = true;
    if (mv.bytes > MAX_META_BYTES) {
        json_decref(mv.meta);
        return -1;
    }
    *meta = json_object_size(mv.meta) ? json_dumps(mv.meta, JSON_COMPACT) : NULL;
    json_decref(mv.meta);
    json_t *h = json_object();
    for (int i = 0; stored_headers[i]; i++) {
        const char *v = hdr_in(r, stored_headers[i]);
        if (!v)
            continue;
        if (strcmp(stored_headers[i], "Content-Encoding") == 0) {
            /* aws-chunked is transport framing, not a property of the object */
            char buf[256];
            struct obj_buf out;
            obj_buf_init(&out, 256);
            snprintf(buf, sizeof buf, "%s", v);
            char *save = NULL;
            for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                if (strcasecmp(t, "aws-chunked") == 0)
                    continue;
                if (out.len)
                    obj_buf_puts(&out, ", ");
                obj_buf_puts(&out, t);
            }
            if (out.len)
                json_object_set_new(h, stored_headers[i], json_string(obj_buf_str(&out)));
            obj_buf_free(&out);
            continue;
        }
        json_object_set_new(h, stored_headers[i], json_string(v));
    }
    *headers = json_object_size(h) ? json_dumps(h, JSON_COMPACT) : NULL;
    json_decref(h);
    return 0;
}

/* x-amz-tagging: "k=v&k2=v2" (URL-encoded) -> stored JSON object; NULL if absent; -1 invalid. */
int header_tags(struct rq *r, char **out)
{
    *out = NULL;
    const char *t = hdr_amz(r, "tagging");
    if (!t || !*t)
        return 0;
    struct obj_query q;
    if (obj_query_parse(t, &q) != 0)
        return -1;
    int rc = 0;
    json_t *o = json_object();
    if (q.n > S3XML_MAX_OBJECT_TAGS)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < q.n; i++) {
        if (!q.v[i].name[0] || strlen(q.v[i].name) > S3XML_MAX_TAG_KEY || strlen(q.v[i].value) > S3XML_MAX_TAG_VALUE ||
            json_object_get(o, q.v[i].name))
            rc = -1;
        else
            json_object_set_new(o, q.v[i].name, json_string(q.v[i].value));
    }
    obj_query_free(&q);
    if (rc == 0)
        *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return rc;
}

static const char *const canned_acls[] = {"private",
                                          "public-read",
                                          "public-read-write",
                                          "authenticated-read",
                                          "bucket-owner-read",
                                          "bucket-owner-full-control",
                                          "log-delivery-write",
                                          "default",
                                          NULL};

/* The ACL of an object written without one: S3's objects are private, COS's inherit the bucket's. */
const char *object_default_acl(const struct rq *r)
{
    return r->auth == AUTH_COS || r->cos_style ? "default" : "private";
}

/* x-amz-acl -> canned ACL name (default "private"); NULL if unknown. */
const char *request_acl(struct rq *r, const char *dflt)
{
    const char *a = hdr_amz(r, "acl");
    if (!a)
        return dflt;
    for (int i = 0; canned_acls[i]; i++)
        if (strcmp(a, canned_acls[i]) == 0)
            return canned_acls[i];
    return NULL;
}

/* x-amz-expected-bucket-owner names another account than the bucket's: true (answer recorded). */
bool wrong_bucket_owner(struct rq *r)
{
    const char *want = hdr_amz(r, "expected-bucket-owner");
    if (!want || strcmp(want, r->b.owner_uin) == 0)
        return false;
    fail(r, 403, "AccessDenied", "Access Denied");
    return true;
}

static bool public_acl(const char *acl)
{
    return acl && (strcmp(acl, "public-read") == 0 || strcmp(acl, "public-read-write") == 0 ||
                   strcmp(acl, "authenticated-read") == 0);
}

/* The bucket's BlockPublicAcls refuses a public canned ACL: true (answer recorded). */
bool blocks_public_acl(struct rq *r, const char *acl)
{
    if (r->b.public_block[0] != '1' || !public_acl(acl))
        return false;
    fail(r, 403, "AccessDenied", "Access Denied");
    return true;
}

/* PutObject's conditional write, decided in the transaction that replaces the row: If-Match needs
 * the object to exist (404 NoSuchKey if not) with a listed ETag ("*" = any), If-None-Match fails
 * on an existing object it lists. 0, or -1 (failure recorded). */
int write_conditions(struct rq *r, bool had, const char *etag)
{
    const char *im = hdr_in(r, "If-Match"), *inm = hdr_in(r, "If-None-Match");
    if (im && !had) {
        fail(r, 404, "NoSuchKey", "The specified key does not exist.");
        return -1;
    }
    if ((im && !etag_listed(im, etag)) || (inm && had && etag_listed(inm, etag))) {
        fail(r, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
        return -1;
    }
    return 0;
}

const char *content_type_of(struct rq *r)
{
    const char *ct = hdr_in(r, "Content-Type");
    return ct && *ct ? ct : "binary/octet-stream";
}

/* GET/HEAD If-Match, If-None-Match, If-(Un)Modified-Since: 0 = proceed, 304/412 = answer with that status. */
int read_conditions(struct rq *r, const struct objrow *o)
{
    const char *im = hdr_in(r, "If-Match"), *inm = hdr_in(r, "If-None-Match");
    const char *ims = hdr_in(r, "If-Modified-Since"), *ius = hdr_in(r, "If-Unmodified-Since");
    int64_t t, mt = o->mtime / 1000;
    if (im && !etag_listed(im, o->etag))
        return 412;
    if (!im && ius && obj_parse_http_date(ius, &t) == 0 && mt > t)
        return 412;
    if (inm && etag_listed(inm, o->etag))
        return 304;
    if (!inm && ims && obj_parse_http_date(ims, &t) == 0 && mt <= t)
        return 304;
    return 0;
}

/* A decimal byte position: digits only (no blank, no sign), below 2^62. -1 if not one. */
static int64_t range_number(const char *p, const char **end)
{
    int64_t v = 0;
    const char *q = p;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (INT64_MAX / 4) / 10)
            return -1;
        v = v * 10 + (*q - '0');
    }
    *end = q;
    return q == p ? -1 : v;
}

/* Range: bytes=a-b | a- | -n. 0 = whole object (absent or not a single valid range: ignored, as
 * S3 does), 1 = range set, -1 = unsatisfiable. */
int parse_range(const char *h, int64_t size, int64_t *from, int64_t *len)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *p = h + 6, *end;
    if (*p == '-') {
        int64_t n = range_number(p + 1, &end);
        if (n < 0 || *end)
            return 0;
        if (n == 0 || size == 0)
            return -1;
        *from = n >= size ? 0 : size - n;
        *len = size - *from;
        return 1;
    }
    int64_t a = range_number(p, &end);
    if (a < 0 || *end != '-')
        return 0;
    p = end + 1;
    int64_t b = size - 1;
    if (*p) {
        b = range_number(p, &end);
        if (b < 0 || *end || b < a)
            return 0;
    }
    if (a >= size)
        return -1;
    if (b >= size)
        b = size - 1;
    *from = a;
    *len = b - a + 1;
    return 1;
}

/* x-amz-copy-source: "/bucket/key", "bucket/key" or COS "bucket.cos.region.myqcloud.com/key",
 * URL-encoded, optionally "?versionId=". */
int parse_copy_source(struct rq *r, char *bucket, size_t blen, char **key, char *vid, size_t vlen)
{
    const char *src = hdr_amz(r, "copy-source");
    size_t n = strlen(src);
    char *dec = malloc(n + 1);
    if (!dec)
        return -1;
    char *qm = strchr(src, '?');
    size_t dl = obj_pct_decode(src, qm ? (size_t)(qm - src) : n, dec);
    (void)dl;
    char *p = dec;
    while (*p == '/')
        p++;
    char *slash = strchr(p, '/');
    if (!slash || !slash[1]) {
        free(dec);
        fail(r, 400, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
        return -1;
    }
    *slash = 0;
    char *dot = strchr(p, '.');
    if (dot && strstr(p, ".myqcloud.com"))
        *dot = 0;
    snprintf(bucket, blen, "%s", p);
    *key = strdup(slash + 1);
    free(dec);
    vid[0] = 0;
    if (qm && strncmp(qm, "?versionId=", 11) == 0) {
        if (strlen(qm + 11) >= vlen) {
            fail(r, 404, "NoSuchVersion", "The specified version does not exist.");
            return -1;
        }
        snprintf(vid, vlen, "%s", qm + 11);
    }
    return *key ? 0 : -1;
}

/* x-amz-copy-source-if-* against the source; 0 ok, -1 failed (recorded). */
int copy_conditions(struct rq *r, const struct objrow *o)
{
    const char *im = hdr_amz(r, "copy-source-if-match"), *inm = hdr_amz(r, "copy-source-if-none-match");
    const char *ims = hdr_amz(r, "copy-source-if-modified-since"), *ius = hdr_amz(r, "copy-source-if-unmodified-since");
    int64_t t, mt = o->mtime / 1000;
    bool ok = true;
    if (im && !etag_listed(im, o->etag))
        ok = false;
    if (ok && !im && ius && obj_parse_http_date(ius, &t) == 0 && mt > t)
        ok = false;
    if (ok && inm && etag_listed(inm, o->etag))
        ok = false;
    if (ok && !inm && ims && obj_parse_http_date(ims, &t) == 0 && mt <= t)
        ok = false;
    if (!ok)
        fail(r, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    return ok ? 0 : -1;
}

/* Request body -> stored JSON tag object; NULL with the failure recorded. */
char *parse_tagging_body(struct rq *r, size_t max_tags)
{
    struct s3xml_tagging tg;
    enum s3xml_status st = s3xml_parse_tagging(r->body.p ? r->body.p : "", r->body.len, max_tags, &tg);
    if (st != S3XML_OK) {
        const struct s3xml_error *e = s3xml_error_of(st);
        fail(r, e->http_status, e->code, e->message);
        return NULL;
    }
    json_t *o = json_object();
    for (size_t i = 0; i < tg.n; i++)
        json_object_set_new(o, tg.tags[i].key, json_string(tg.tags[i].value));
    s3xml_tagging_free(&tg);
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

/* The settings a new object takes from its request (PutObject, CreateMultipartUpload): canned
 * ACL, user metadata and stored headers, tags. 0, or -1 (recorded; nothing to free). */
int request_settings(struct rq *r, struct object_settings *s)
{
    memset(s, 0, sizeof *s);
    if (acl_request(r, object_default_acl(r), NULL, s->aclbuf, sizeof s->aclbuf) < 0)
        return -1;
    s->acl = s->aclbuf;
    if (request_metadata(r, &s->meta, &s->headers) != 0) {
        fail(r, 400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.");
        return -1;
    }
    if (header_tags(r, &s->tags) != 0) {
        object_settings_free(s);
        fail(r, 400, "InvalidTag", "The tag provided was not a valid tag.");
        return -1;
    }
    return 0;
}

void object_settings_free(struct object_settings *s)
{
    free(s->meta);
    free(s->headers);
    free(s->tags);
    s->meta = s->headers = s->tags = NULL;
}

/* The qcs name of bucket/key (CAM policies and the audit record). */
void cam_resource(struct rq *r, const struct bucket *b, const char *bucket, const char *key, char *out, size_t len)
{
    const char *app = b ? b->app_id : r->who.app_id;
    snprintf(out, len, "qcs::cos:%s:uid/%s:%s/%s", object_config->region, app, bucket ? bucket : "*", key ? key : "");
}
