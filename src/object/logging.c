/*
 * logging: S3 server access logging. Put/GetBucketLogging keep a bucket's BucketLoggingStatus (an
 * obj_bucket_config document: TargetBucket, TargetPrefix, TargetObjectKeyFormat); the target must
 * exist and belong to the source bucket's owner (InvalidTargetBucketForLogging otherwise, as S3).
 * Every request that reaches a logged bucket, refused ones included, becomes one line in S3's server
 * access log format, held in memory per (source, target) and delivered as one object into the
 * target bucket by a job on billing's controller (the business clock) once its first line is
 * LOG_FLUSH_SECONDS old or it holds LOG_FLUSH_BYTES; the delivery is a PutObject of the target's
 * owner (user "logging"), audited, and not itself logged; a clean stop delivers what is held.
 * Delivery is best effort, as S3's: lines held at a crash are lost, and a target gone or changed
 * hands meanwhile gets nothing.
 * Permission, as S3 asks it today: the target's bucket policy must let the logging service
 * principal (logging.s3.amazonaws.com) s3:PutObject on the target prefix, with aws:SourceAccount and
 * aws:SourceArn the source bucket's; or, the legacy way, the target's ACL grants the LogDelivery
 * group WRITE (a hook: grant ACLs are not here yet). PutBucketLogging refuses without it
 * (AccessDenied), and each delivery asks again: a policy taken away stops delivery (audited).
 * Only the same-account delivery is done, as S3.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "object/bucket_policy.h"
#include "object/object_int.h"
#include "object/xmltree.h"

#define LOG_KIND          "logging"
#define LOG_FLUSH_SECONDS 300
#define LOG_FLUSH_BYTES   (1u << 20)
#define LOG_HELD_MAX      (8u << 20) /* bytes held for one target, beyond which lines are dropped */
#define MALFORMED         "The XML you provided was not well-formed or did not validate against our published schema."

/* A logged bucket, as its document says. */
struct log_conf {
    char bucket[64], id[24], owner[24], region[64], target[64], prefix[256];
    char format; /* 's' none given, 'S' SimplePrefix, 'e' PartitionedPrefix by EventTime, 'd' by DeliveryTime */
};
/* Lines waiting for delivery to one target. */
struct log_buffer {
    struct log_conf c;
    struct obj_buf lines;
    int64_t first; /* business-clock seconds of the first line */
    size_t dropped;
    struct log_buffer *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_conf *confs; /* under mu */
static size_t nconfs;
static atomic_size_t nlogged; /* nconfs, read without the lock on every request */
static struct log_buffer *buffers;

/* The document's settings into *c (bucket fields left). 0, or the S3 error code. */
static const char *parse_status(const char *body, size_t len, struct log_conf *c, bool *enabled)
{
    struct xnode *root = xtree_parse(body, len);
    const char *code = NULL;
    *enabled = false;
    if (!root || strcmp(root->name, "BucketLoggingStatus") != 0) {
        xtree_free(root);
        return "MalformedXML";
    }
    const struct xnode *le = xtree_child(root, "LoggingEnabled");
    for (const struct xnode *x = root->first; x; x = x->next)
        if (strcmp(x->name, "LoggingEnabled") != 0)
            code = "MalformedXML";
    if (le && !code) {
        *enabled = true;
        const char *tb = xtree_text(le, "TargetBucket"), *tp = xtree_text(le, "TargetPrefix");
        c->format = 's';
        for (const struct xnode *x = le->first; x && !code; x = x->next) {
            if (!strcmp(x->name, "TargetBucket") || !strcmp(x->name, "TargetPrefix"))
                continue;
            if (!strcmp(x->name, "TargetGrants")) {
                code = "NotImplemented";
            } else if (!strcmp(x->name, "TargetObjectKeyFormat")) {
                const struct xnode *pp = xtree_child(x, "PartitionedPrefix");
                const char *src = pp ? xtree_text(pp, "PartitionDateSource") : NULL;
                if (!x->first || x->first->next || (!pp && !xtree_child(x, "SimplePrefix")))
                    code = "MalformedXML";
                else if (pp && src && strcmp(src, "EventTime") != 0 && strcmp(src, "DeliveryTime") != 0)
                    code = "MalformedXML";
                else
                    c->format = !pp ? 'S' : src && !strcmp(src, "DeliveryTime") ? 'd' : 'e';
            } else {
                code = "MalformedXML"; /* RGW's extensions (LoggingType, ObjectRollTime...) among them */
            }
        }
        if (!code && (!tb || !*tb || xtree_count(le, "TargetBucket") > 1 || strlen(tb) >= sizeof c->target ||
                      (tp && strlen(tp) >= sizeof c->prefix)))
            code = "MalformedXML";
        if (!code) {
            snprintf(c->target, sizeof c->target, "%s", tb);
            snprintf(c->prefix, sizeof c->prefix, "%s", tp ? tp : "");
        }
    }
    xtree_free(root);
    return code;
}

static const char *status_document(const struct log_conf *c, bool enabled, struct xmlw *w)
{
    xmlw_init(w, 8192);
    xmlw_open_ns(w, "BucketLoggingStatus", S3_NS);
    if (enabled) {
        xmlw_open(w, "LoggingEnabled");
        xmlw_element(w, "TargetBucket", c->target);
        xmlw_element(w, "TargetPrefix", c->prefix);
        if (c->format != 's') {
            xmlw_open(w, "TargetObjectKeyFormat");
            if (c->format == 'S') {
                xmlw_element(w, "SimplePrefix", "");
            } else {
                xmlw_open(w, "PartitionedPrefix");
                xmlw_element(w, "PartitionDateSource", c->format == 'd' ? "DeliveryTime" : "EventTime");
                xmlw_close(w);
            }
            xmlw_close(w);
        }
        xmlw_close(w);
    }
    size_t len;
    return xmlw_finish(w, &len);
}

struct reload {
    struct log_conf *v;
    size_t n;
    bool failed;
};

static bool reload_one(void *arg, const char *bucket, const char *doc)
{
    struct reload *l = arg;
    struct log_conf c = {0};
    struct bucket b;
    bool enabled;
    if (parse_status(doc, strlen(doc), &c, &enabled) || !enabled || load_bucket(bucket, &b) != 1)
        return true;
    struct log_conf *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v) {
        l->failed = true;
        return false;
    }
    l->v = v;
    snprintf(c.bucket, sizeof c.bucket, "%s", b.name);
    snprintf(c.id, sizeof c.id, "%s", b.id);
    snprintf(c.owner, sizeof c.owner, "%s", b.owner_uin);
    snprintf(c.region, sizeof c.region, "%s", b.region);
    v[l->n++] = c;
    return true;
}

/* The logged buckets, read again (after a change, and by every pass of the job). 0, or -1. */
static int logging_refresh(void)
{
    struct reload l = {0};
    if (meta_each_configured_bucket(LOG_KIND, reload_one, &l) != 0 || l.failed) {
        free(l.v);
        return -1;
    }
    pthread_mutex_lock(&mu);
    free(confs);
    confs = l.v;
    nconfs = l.n;
    atomic_store(&nlogged, l.n);
    pthread_mutex_unlock(&mu);
    return 0;
}

/* The legacy permission: the target's ACL grants the LogDelivery group
 * (http://acs.amazonaws.com/groups/s3/LogDelivery) WRITE, the canned log-delivery-write among them. */
static bool log_delivery_group_writes(const struct bucket *t) { return acl_group_granted(t, "LogDelivery", ACL_WRITE); }

/* May the log delivery write into target t under prefix for source bucket (of account owner)? The
 * target's policy decides (a Deny refuses, an Allow grants), then the LogDelivery grant. 1, 0, or
 * -1 (the store failed). */
static int delivery_permitted(const struct bucket *t, const char *prefix, const char *owner, const char *bucket)
{
    int e = bucket_policy_service_allows(t, "s3:PutObject", "cos:PutObject", prefix, BUCKET_POLICY_LOG_SERVICE, owner,
                                         bucket);
    if (e < 0)
        return -1;
    if (e != BP_NONE)
        return e == BP_ALLOW;
    return log_delivery_group_writes(t);
}

void op_put_bucket_logging(struct rq *r)
{
    /* S3: only the bucket owner sets its logging status, whatever a policy grants */
    if (r->auth == AUTH_ANON || strcmp(r->who.owner_uin, r->b.owner_uin) != 0) {
        fail(r, 403, "AccessDenied", "Access Denied");
        return;
    }
    struct log_conf c = {0};
    bool enabled;
    const char *code = parse_status(r->body.p ? r->body.p : "", r->body.len, &c, &enabled);
    if (code) {
        if (!strcmp(code, "NotImplemented"))
            fail(r, 501, code, "TargetGrants are not implemented: the target bucket's owner receives the logs.");
        else
            fail(r, 400, code, MALFORMED);
        return;
    }
    if (enabled) {
        struct bucket t;
        int rc = load_bucket(c.target, &t);
        if (rc < 0) {
            fail_store(r);
            return;
        }
        if (rc == 0) {
            fail(r, 400, "InvalidTargetBucketForLogging", "The target bucket for logging does not exist");
            return;
        }
        if (strcmp(t.owner_uin, r->b.owner_uin) != 0) {
            fail(r, 400, "InvalidTargetBucketForLogging",
                 "The owner for the bucket to be logged and the target bucket must be the same.");
            return;
        }
        rc = delivery_permitted(&t, c.prefix, r->b.owner_uin, r->b.name);
        if (rc < 0) {
            fail_store(r);
            return;
        }
        if (rc == 0) {
            fail(r, 403, "AccessDenied",
                 "Access Denied: the target bucket's policy must allow the logging.s3.amazonaws.com service "
                 "s3:PutObject on the target prefix for this source bucket and account.");
            return;
        }
    }
    struct xmlw w;
    const char *doc = enabled ? status_document(&c, true, &w) : NULL;
    if (enabled && !doc)
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    else if (meta_set_bucket_config(r, LOG_KIND, doc) == 1) {
        if (logging_refresh() != 0)
            log_warn("object store: bucket logging: the logged buckets were not read again");
        send_empty(r, 200);
    }
    if (enabled)
        xmlw_free(&w);
}

void op_get_bucket_logging(struct rq *r)
{
    char *doc = NULL;
    int rc = meta_bucket_config(r->b.id, LOG_KIND, &doc);
    if (rc < 0) {
        fail_store(r);
    } else if (rc == 0) {
        struct xmlw w;
        xmlw_init(&w, 1024);
        xmlw_open_ns(&w, "BucketLoggingStatus", S3_NS);
        send_xml(r, 200, &w);
    } else {
        send_document(r, doc);
    }
    free(doc);
}

/* S3's operation names of the access log: REST.<method>.<resource>. */
static const struct {
    const char *op, *name;
} log_ops[] = {
    {"GetObject", "REST.GET.OBJECT"},
    {"HeadObject", "REST.HEAD.OBJECT"},
    {"PutObject", "REST.PUT.OBJECT"},
    {"CopyObject", "REST.COPY.OBJECT"},
    {"DeleteObject", "REST.DELETE.OBJECT"},
    {"DeleteObjects", "REST.POST.MULTI_OBJECT_DELETE"},
    {"PostObject", "REST.POST.OBJECT"},
    {"ListObjects", "REST.GET.BUCKET"},
    {"ListObjectsV2", "REST.GET.BUCKET"},
    {"ListObjectVersions", "REST.GET.BUCKETVERSIONS"},
    {"HeadBucket", "REST.HEAD.BUCKET"},
    {"CreateBucket", "REST.PUT.BUCKET"},
    {"DeleteBucket", "REST.DELETE.BUCKET"},
    {"CreateMultipartUpload", "REST.POST.UPLOADS"},
    {"UploadPart", "REST.PUT.PART"},
    {"UploadPartCopy", "REST.COPY.PART"},
    {"CompleteMultipartUpload", "REST.POST.UPLOAD"},
    {"AbortMultipartUpload", "REST.DELETE.UPLOAD"},
    {"ListParts", "REST.GET.UPLOAD"},
    {"ListMultipartUploads", "REST.GET.UPLOADS"},
};

static void operation_name(const struct rq *r, char *out, size_t len)
{
    const char *name = r->op ? r->op->name : NULL;
    for (size_t i = 0; name && i < sizeof log_ops / sizeof log_ops[0]; i++)
        if (!strcmp(log_ops[i].op, name)) {
            snprintf(out, len, "%s", log_ops[i].name);
            return;
        }
    /* a sub-resource operation: REST.GET.ACL, REST.PUT.LOGGING_STATUS-like names from its parameter */
    const char *sub = r->op && r->op->subresource ? r->op->subresource : r->key ? "OBJECT" : "BUCKET";
    snprintf(out, len, "REST.%s.", r->method ? r->method : "-");
    size_t n = strlen(out);
    for (const char *p = sub; *p && n + 1 < len; p++)
        out[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    out[n] = 0;
}

/* A field for the line: "-" if empty, no spaces or quotes that would split it. */
static void put_field(struct obj_buf *b, const char *v, bool quoted)
{
    if (quoted)
        obj_buf_putc(b, '"');
    if (!v || !*v)
        obj_buf_putc(b, '-');
    for (const char *p = v; p && *p; p++)
        obj_buf_putc(b, *p == '"' ? '\'' : (!quoted && *p == ' ') ? '+' : (unsigned char)*p < 0x20 ? '?' : *p);
    obj_buf_putc(b, quoted ? '"' : ' ');
    if (quoted)
        obj_buf_putc(b, ' ');
}

static void put_number(struct obj_buf *b, int64_t v)
{
    char n[24];
    snprintf(n, sizeof n, "%lld", (long long)v);
    put_field(b, v < 0 ? NULL : n, false);
}

/* One request as S3 logs it: 26 fields. */
static void format_line(struct rq *r, const struct log_conf *c, struct obj_buf *b)
{
    char t[40], op[64], line[128];
    time_t now = (time_t)(now_ms() / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof t, "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
    operation_name(r, op, sizeof op);
    struct obj_buf ekey;
    obj_buf_init(&ekey, 4 * MAX_KEY_BYTES);
    if (r->key)
        obj_buf_uri_encode(&ekey, r->key, strlen(r->key), true);
    const char *agent = r->c ? hdr_in(r, "User-Agent") : NULL, *host = r->c ? hdr_in(r, "Host") : NULL;
    const char *ref = r->c ? hdr_in(r, "Referer") : NULL;
    bool get = r->method && (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"));
    int64_t ms = (time_now_us() - r->started_us) / 1000;
    put_field(b, c->owner, false);
    put_field(b, c->bucket, false);
    obj_buf_puts(b, t);
    obj_buf_putc(b, ' ');
    put_field(b, r->source_ip, false);
    put_field(b, r->who.user_uin[0] ? r->who.user_uin : NULL, false);
    put_field(b, r->request_id, false);
    put_field(b, op, false);
    put_field(b, r->key ? obj_buf_str(&ekey) : NULL, false);
    obj_buf_free(&ekey);
    snprintf(line, sizeof line, "%s ", r->method ? r->method : "-");
    struct obj_buf uri;
    obj_buf_init(&uri, 16384);
    obj_buf_puts(&uri, line);
    obj_buf_puts(&uri, r->uri ? r->uri : "/");
    obj_buf_puts(&uri, " HTTP/1.1");
    put_field(b, obj_buf_str(&uri), true);
    obj_buf_free(&uri);
    put_number(b, r->status ? (int64_t)r->status : -1);
    put_field(b, r->result[0] ? r->result : NULL, false);
    put_number(b, r->bytes_out ? (int64_t)r->bytes_out : -1);
    put_number(b, get ? (r->bytes_out ? (int64_t)r->bytes_out : -1) : r->decoded ? (int64_t)r->decoded : -1);
    put_number(b, ms);
    put_number(b, ms);
    put_field(b, ref, true);
    put_field(b, agent, true);
    put_field(b, r->version_id[0] ? r->version_id : NULL, false);
    put_field(b, r->request_id, false); /* host id */
    put_field(b, r->auth == AUTH_V4 ? "SigV4" : r->auth == AUTH_V2 ? "SigV2" : NULL, false);
    put_field(b, NULL, false); /* cipher suite: the listener is plain HTTP */
    put_field(b, r->auth == AUTH_ANON ? NULL : r->presigned ? "QueryString" : "AuthHeader", false);
    put_field(b, host, false);
    put_field(b, NULL, false); /* TLS version */
    put_field(b, NULL, false); /* access point ARN */
    obj_buf_puts(b, "-\n");    /* aclRequired */
}

void logging_record(struct rq *r)
{
    if (!atomic_load(&nlogged) || !r->bucket[0] || !r->started)
        return;
    pthread_mutex_lock(&mu);
    const struct log_conf *c = NULL;
    for (size_t i = 0; i < nconfs && !c; i++)
        if (!strcmp(confs[i].bucket, r->bucket) && (!r->have_bucket || !strcmp(confs[i].id, r->b.id)))
            c = &confs[i];
    struct log_buffer *lb = NULL;
    for (lb = c ? buffers : NULL; lb; lb = lb->next)
        if (!strcmp(lb->c.id, c->id) && !strcmp(lb->c.target, c->target) && !strcmp(lb->c.prefix, c->prefix) &&
            lb->c.format == c->format)
            break;
    if (c && !lb && (lb = calloc(1, sizeof *lb))) {
        lb->c = *c;
        lb->first = now_ms() / 1000;
        obj_buf_init(&lb->lines, LOG_HELD_MAX);
        lb->next = buffers;
        buffers = lb;
    }
    if (lb) {
        struct obj_buf one;
        obj_buf_init(&one, 32768);
        format_line(r, c, &one);
        if (one.failed || lb->lines.len + one.len > LOG_HELD_MAX)
            lb->dropped++;
        else
            obj_buf_put(&lb->lines, one.p, one.len);
        obj_buf_free(&one);
    }
    pthread_mutex_unlock(&mu);
}

static const struct op deliver_op = {
    .name = "PutObject", .method = "PUT", .scope = SCOPE_OBJECT, .action = "cos:PutObject", .mutates = true};

/* The log object's key: S3's SimplePrefix or PartitionedPrefix format. */
static void object_key(const struct log_conf *c, int64_t event, int64_t now, char *out, size_t len)
{
    uint8_t raw[8];
    char hex[17], at[40], day[40];
    random_bytes(raw, sizeof raw);
    hex_encode(raw, sizeof raw, hex);
    for (char *p = hex; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    time_t tn = (time_t)now, te = (time_t)(c->format == 'd' ? now : event);
    struct tm tm;
    gmtime_r(&tn, &tm);
    strftime(at, sizeof at, "%Y-%m-%d-%H-%M-%S", &tm);
    if (c->format == 's' || c->format == 'S') {
        snprintf(out, len, "%s%s-%s", c->prefix, at, hex);
        return;
    }
    gmtime_r(&te, &tm);
    strftime(day, sizeof day, "%Y/%m/%d", &tm);
    snprintf(out, len, "%s%s/%s/%s/%s/%s-%s", c->prefix, c->owner, c->region, c->bucket, day, at, hex);
}

/* One buffer as one object into its target, as its owner's PutObject (audited, user "logging"). */
static int deliver(struct log_buffer *lb, int64_t t)
{
    struct bucket tb;
    int rc = load_bucket(lb->c.target, &tb);
    if (rc != 1 || strcmp(tb.owner_uin, lb->c.owner) != 0) {
        if (rc >= 0)
            log_warn("object store: bucket logging: %s's target %s is gone or changed hands; its lines are dropped",
                     lb->c.bucket, lb->c.target);
        return rc < 0 ? -1 : 0;
    }
    const char *body = obj_buf_str(&lb->lines);
    if (!body)
        return 0;
    int allowed = delivery_permitted(&tb, lb->c.prefix, lb->c.owner, lb->c.bucket);
    if (allowed < 0)
        return -1;
    struct rq *r = calloc(1, sizeof *r);
    char key[MAX_KEY_BYTES + 64];
    if (!r)
        return -1;
    object_key(&lb->c, lb->first, t, key, sizeof key);
    r->method = "PUT";
    r->source_ip = "";
    r->op = &deliver_op;
    snprintf(r->bucket, sizeof r->bucket, "%s", tb.name);
    r->key = key;
    r->b = tb;
    r->have_bucket = true;
    r->file.handle = -1;
    snprintf(r->who.owner_uin, sizeof r->who.owner_uin, "%s", tb.owner_uin);
    snprintf(r->who.user_uin, sizeof r->who.user_uin, "logging");
    uint8_t raw[16];
    char hex[33];
    random_bytes(raw, 8);
    hex_encode(raw, 8, hex);
    snprintf(r->request_id, sizeof r->request_id, "LG%.16s", hex);
    if (!allowed) { /* the permission was taken away since PutBucketLogging: refused, audited, dropped */
        log_warn("object store: bucket logging: %s's target %s no longer lets the log delivery write; its lines are "
                 "dropped",
                 lb->c.bucket, tb.name);
        rc = audit(r, "AccessDenied") == 0 ? 0 : -1;
        free(r);
        return rc;
    }
    unsigned int mdlen = 0;
    rc = -1;
    if (EVP_Digest(body, lb->lines.len, raw, &mdlen, EVP_md5(), NULL) == 1 && engine_tmp_create(&r->file) == 0) {
        hex_encode(raw, 16, hex);
        if (engine_tmp_write(&r->file, body, lb->lines.len) == 0 && engine_tmp_sync(&r->file) == 0) {
            struct new_object n = {.file = r->file.id,
                                   .size = (int64_t)lb->lines.len,
                                   .etag = hex,
                                   .content_type = "text/plain",
                                   .acl = "private"};
            if (commit_object(r, &n) == 0) {
                r->file.id[0] = 0;
                rc = 0;
            } else {
                log_warn("object store: bucket logging: delivery to %s refused: %s", tb.name, r->err_code);
                rc = r->err_status >= 500 ? -1 : 0; /* a quota, a lock bucket's refusal: not retried */
            }
        }
        if (r->file.id[0])
            engine_tmp_discard(&r->file);
    }
    if (lb->dropped)
        log_warn("object store: bucket logging: %zu lines of %s were dropped (more than %u bytes held)", lb->dropped,
                 lb->c.bucket, LOG_HELD_MAX);
    free(r);
    return rc;
}

/* Delivers the buffers that are due at t (every one: all). 0, or -1. */
static int flush(int64_t t, bool all)
{
    int rc = 0;
    struct log_buffer *due = NULL, **pp;
    pthread_mutex_lock(&mu);
    for (pp = &buffers; *pp;) {
        struct log_buffer *lb = *pp;
        if (all || lb->first + LOG_FLUSH_SECONDS <= t || lb->lines.len >= LOG_FLUSH_BYTES) {
            *pp = lb->next;
            lb->next = due;
            due = lb;
        } else {
            pp = &lb->next;
        }
    }
    pthread_mutex_unlock(&mu);
    while (due) {
        struct log_buffer *lb = due;
        due = lb->next;
        if (deliver(lb, t) != 0)
            rc = -1; /* best effort: the lines are not kept for another try */
        obj_buf_free(&lb->lines);
        free(lb);
    }
    return rc;
}

int logging_job(struct store *s, int64_t t)
{
    (void)s;
    int rc = logging_refresh();
    return flush(t, false) != 0 ? -1 : rc;
}

void logging_start(void)
{
    if (logging_refresh() != 0)
        log_warn("object store: bucket logging: the logged buckets were not read; the job reads them again");
}

void logging_stop(void)
{
    atomic_store(&nlogged, 0);
    flush(clock_now(), true);
    pthread_mutex_lock(&mu);
    free(confs);
    confs = NULL;
    nconfs = 0;
    pthread_mutex_unlock(&mu);
}
