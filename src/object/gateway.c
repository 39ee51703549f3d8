/*
 * gateway: the S3/COS object store listener. One libmicrohttpd daemon (thread pool over epoll,
 * HTTP/1.1 keep-alive) on its own port; each request is routed through one table (method, scope,
 * selecting query parameter -> CAM action and handler), authenticated with SigV4, SigV2 or the
 * COS signature against the API's keys, authorised (bucket owner + CAM policy for sub-users,
 * canned ACLs for everyone else), then served:
 *  - bodies stream through the decoders (HTTP chunked by MHD, aws-chunked by chunked.c) into a
 *    temp file while MD5/SHA-256/CRC are computed; nothing is committed unless every check holds;
 *  - GETs are answered from the file descriptor (sendfile), ranges included;
 *  - metadata lives in the obj_* tables (meta.c), one transaction per change.
 * This file is the listener and a request's way through it (begin, body, run, completion); the
 * other concerns have a file each, listed in object_int.h.
 * Path-style (/bucket/key) and virtual-host (bucket.<object_domain>, bucket.cos.<region>.myqcloud.com)
 * addressing are both accepted.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "billing/billing.h"
#include "object/backend.h"
#include "object/gateway.h"
#include "object/lifecycle.h"
#include "object/object_int.h"

/* Resource bounds against one client holding everyone else out (see the listener's start). */
#define PER_IP_CONNECTIONS 128u /* open connections from one source address */
#define HEADER_TIMEOUT     10u  /* seconds of silence before a request's headers are complete (and between requests) */
/* seconds of silence while a request's body or answer is moving (or a long commit runs) */
#define REQUEST_TIMEOUT    300u
/* a connection's buffer (request line and headers, body chunks as they are read): libmicrohttpd
 * zeroes all of it between requests, so it costs on every small GET; 32 KiB holds S3's 8 KiB of
 * headers with room to spare */
#define CONNECTION_MEMORY  ((size_t)(32u << 10))

struct object_gateway {
    struct MHD_Daemon *mhd;
};

const struct config *object_config;
static char request_id_prefix[9];
static atomic_uint_fast64_t request_counter;

/* Per connection (MHD_OPTION_NOTIFY_CONNECTION): the peer's address, and the request context
 * uri_log allocated. Whether MHD reports the completion of a request it refuses before the access
 * handler (request line or headers too large for the connection's memory) depends on its version
 * and on where it refuses, so such a context is freed here too: when the next request starts on
 * the connection, or when the connection closes. */
struct conn {
    struct rq *pending;
    char ip[INET6_ADDRSTRLEN];
};

/* Requests that ask for a change are audited, allowed or refused; so is every refused signature.
 * A request refused before it found its row asks for a change by its method. */
static bool mutating(const struct rq *r)
{
    if (r->op)
        return r->op->mutates;
    return strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0 && strcmp(r->method, "OPTIONS") != 0;
}

/* Bucket from the Host header (virtual-host style), or "" for path style. */
static void vhost_bucket(struct rq *r)
{
    const char *host = hdr_in(r, "Host");
    if (!host)
        return;
    char h[300];
    size_t n = 0;
    for (; host[n] && host[n] != ':' && n < sizeof h - 1; n++)
        h[n] = (char)tolower((unsigned char)host[n]);
    h[n] = 0;
    size_t dl = strlen(object_config->object_domain);
    if (dl && n > dl + 1 && h[n - dl - 1] == '.' && strcmp(h + n - dl, object_config->object_domain) == 0) {
        snprintf(r->bucket, sizeof r->bucket, "%.*s", (int)(n - dl - 1), h);
        r->vhost = true;
        return;
    }
    /* bucket.cos.<region>.myqcloud.com, the COS SDKs' default host */
    const char *cos = strstr(h, ".cos.");
    if (cos && n > 13 && strcmp(h + n - 13, ".myqcloud.com") == 0) {
        snprintf(r->bucket, sizeof r->bucket, "%.*s", (int)(cos - h), h);
        r->vhost = true;
        r->cos_style = true;
    }
}

/* Splits the path into bucket and key. 0, or -1 (failure recorded). */
static int parse_target(struct rq *r)
{
    vhost_bucket(r);
    const char *p = r->raw_path;
    if (*p != '/') {
        fail(r, 400, "InvalidURI", "Couldn't parse the specified URI.");
        return -1;
    }
    p++;
    if (!r->vhost) {
        const char *slash = strchr(p, '/');
        size_t bl = slash ? (size_t)(slash - p) : strlen(p);
        char enc[256];
        if (bl >= sizeof enc) {
            fail(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
            return -1;
        }
        memcpy(enc, p, bl);
        enc[bl] = 0;
        char dec[256];
        obj_pct_decode(enc, bl, dec);
        /* RGW's "tenant:bucket" (s3-tests' tenant client): yun's bucket names are one namespace, so
         * the qualifier names nothing more than the bucket */
        const char *colon = strrchr(dec, ':');
        if (colon)
            memmove(dec, colon + 1, strlen(colon + 1) + 1);
        if (strlen(dec) >= sizeof r->bucket) {
            fail(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
            return -1;
        }
        memcpy(r->bucket, dec, strlen(dec) + 1); /* length checked above */
        p = slash ? slash + 1 : p + bl;
    }
    if (*p) {
        size_t n = strlen(p);
        r->key = malloc(n + 1);
        if (!r->key)
            return -1;
        size_t dl = obj_pct_decode(p, n, r->key);
        if (dl != strlen(r->key)) {
            fail(r, 400, "InvalidArgument", "Object keys cannot contain NUL characters.");
            return -1;
        }
        if (dl > MAX_KEY_BYTES) {
            fail(r, 400, "KeyTooLongError", "Your key is too long");
            return -1;
        }
    }
    return 0;
}

static void new_request_id(struct rq *r)
{
    uint64_t n = atomic_fetch_add(&request_counter, 1);
    snprintf(r->request_id, sizeof r->request_id, "%s%016llX", request_id_prefix, (unsigned long long)n);
}

static enum meter_kind meter_kind_of(const struct rq *r)
{
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
        return METER_GET;
    if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0)
        return METER_PUT;
    return METER_OTHER;
}

/* The object door of the shared rate limiter: per account, or per peer address for anonymous
 * requests. Over the limit: S3's SlowDown, before anything is read or changed. */
static bool rate_allowed(struct rq *r)
{
    char key[INET6_ADDRSTRLEN + 32];
    if (r->auth == AUTH_ANON)
        snprintf(key, sizeof key, "ip:%s", r->source_ip);
    else
        snprintf(key, sizeof key, "%s", r->who.owner_uin);
    if (rate_allow(RATE_OBJECT, key))
        return true;
    fail(r, 503, "SlowDown", "Please reduce your request rate.");
    return false;
}

/* Headers arrived: authenticate, route, rate-limit, authorise, open the body sink. */
void begin(struct rq *r)
{
    new_request_id(r);
    if (parse_target(r) != 0)
        return;
    if (obj_query_parse(r->raw_query, &r->q) != 0) {
        fail(r, 400, "InvalidArgument", "The query string is too long or has too many parameters.");
        return;
    }
    if (strcmp(r->method, "OPTIONS") == 0) {
        /* a CORS preflight is never signed: the bucket's rules decide, once the address may ask */
        if (rate_allowed(r))
            cors_preflight(r);
        return;
    }
    if (authenticate(r) != 0) {
        r->auth_failed = true;
        return;
    }
    enum scope scope = scope_of(r);
    r->op = route(r, scope);
    if (!rate_allowed(r))
        return;
    if (!r->op) {
        fail(r,
             strcmp(r->method, "GET") == 0 || strcmp(r->method, "PUT") == 0 || strcmp(r->method, "HEAD") == 0 ||
                     strcmp(r->method, "DELETE") == 0 || strcmp(r->method, "POST") == 0
                 ? 501
                 : 405,
             "NotImplemented", "A header or query you provided implies functionality that is not implemented.");
        return;
    }
    /* a COS presigned URL signs only the parameters it lists: one added later must not pick the operation */
    if (r->auth == AUTH_COS && r->presigned && r->op->subresource &&
        (!cossig_param_signed(&r->cos, r->op->subresource) ||
         (r->op->sub2 && !cossig_param_signed(&r->cos, r->op->sub2)))) {
        fail(r, 403, "AccessDenied", "The query parameter that selects this operation is not signed.");
        return;
    }
    if (scope == SCOPE_SERVICE) {
        if (r->auth == AUTH_ANON) {
            fail(r, 403, "AccessDenied", "Access Denied");
            return;
        }
        authorize(r, r->op->action, NULL, NULL, 0, NULL);
        return;
    }
    if (r->op->flags & OP_READS_TOGETHER) {
        /* authorised in the operation, once the bucket and object rows are read */
    } else if (r->op->flags & OP_NEEDS_BUCKET) {
        int rc = load_bucket(r->bucket, &r->b);
        if (rc != 1) {
            if (rc == 0)
                fail(r, 404, "NoSuchBucket", "The specified bucket does not exist");
            else
                fail_store(r);
            return;
        }
        r->have_bucket = true;
        if (wrong_bucket_owner(r))
            return;
        if (r->op->flags & OP_FORM) { /* the form names the caller: post.c authorises */
            r->op->begin(r);
            return;
        }
        int ok = authorize(r, r->op->action, &r->b, r->key, r->op->flags, NULL);
        r->meter = ok == 1 ? METER_ALLOWED : ok == 0 ? METER_DENIED : METER_NONE;
        if (ok != 1)
            return;
    } else {
        if (r->auth == AUTH_ANON) {
            fail(r, 403, "AccessDenied", "Access Denied");
            return;
        }
        if (authorize(r, r->op->action, NULL, NULL, 0, NULL) != 1)
            return;
    }
    if (r->op->body == BODY_XML)
        body_begin(r, SINK_BUFFER, S3XML_MAX_BODY);
    else if (r->op->begin)
        r->op->begin(r);
}

static void rq_free(struct rq *r)
{
    if (r->conn && r->conn->pending == r)
        r->conn->pending = NULL;
    if (r->file.handle >= 0 || r->file.id[0])
        engine_tmp_discard(&r->file);
    if (r->dec)
        chunked_free(r->dec);
    EVP_MD_CTX_free(r->md5);
    EVP_MD_CTX_free(r->sha256);
    checksum_free(&r->ck);
    post_form_free(r);
    sse_release(r);
    body_release(r);
    obj_query_free(&r->q);
    free_headers(r);
    free(r->key);
    free(r->raw_path);
    free(r->uri);
    free(r);
}

static void peer_address(struct MHD_Connection *c, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = 0;
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *cn = calloc(1, sizeof *cn);
        if (cn)
            peer_address(c, cn->ip, sizeof cn->ip);
        *socket_context = cn;
        return;
    }
    struct conn *cn = *socket_context;
    if (cn && cn->pending)
        rq_free(cn->pending); /* refused by MHD before the access handler: never completed */
    free(cn);
    *socket_context = NULL;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *cn = ci ? ci->socket_context : NULL;
    if (!cn)
        return NULL; /* on_request then refuses the request */
    if (cn->pending)
        rq_free(cn->pending); /* the previous request never reached the access handler */
    struct rq *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->c = c;
    r->conn = cn;
    r->source_ip = cn->ip;
    r->file.handle = -1;
    r->t0_us = time_now_us();
    r->uri = strdup(uri ? uri : "/");
    char *qm = r->uri ? strchr(r->uri, '?') : NULL;
    r->raw_path = !r->uri ? NULL : qm ? strndup(r->uri, (size_t)(qm - r->uri)) : strdup(r->uri);
    r->raw_query = qm ? qm + 1 : "";
    if (!r->raw_path) {
        rq_free(r);
        return NULL;
    }
    cn->pending = r;
    return r;
}

/* The request log: the line the API writes too, with the S3 operation, bucket and key. */
static void log_line(const struct rq *r)
{
    bool anon = r->auth == AUTH_ANON || !r->who.owner_uin[0];
    struct request_line l = {.service = "object",
                             .rid = r->request_id,
                             .account = anon ? "" : r->who.owner_uin,
                             .user = anon ? "" : r->who.user_uin,
                             .ip = r->source_ip,
                             .action = r->op ? r->op->name : "",
                             .bucket = r->bucket,
                             .key = r->key ? r->key : "",
                             .code = r->result[0]                   ? r->result
                                     : r->status && r->status < 400 ? ""
                                                                    : r->err_code,
                             .status = r->status ? (int)r->status : 499,
                             .bytes_in = (int64_t)r->decoded,
                             .bytes_out = (int64_t)r->bytes_out,
                             .ms = (double)(time_now_us() - r->t0_us) / 1000.0};
    log_request(&l);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    struct rq *r = *con_cls;
    if (!r)
        return;
    end_read_txn(r);
    if (r->started && r->meter == METER_ALLOWED)
        engine_meter(r->bucket, meter_kind_of(r), r->decoded, r->bytes_out);
    else if (r->started && r->meter == METER_DENIED)
        engine_meter(r->bucket, METER_REFUSED, 0, 0);
    if (r->started && r->request_id[0] && !r->audited && (mutating(r) || r->auth_failed)) {
        audit(r, r->status && r->status < 400 ? "Success" : r->result[0] ? r->result : "Incomplete");
    }
    logging_record(r);
    if (r->started)
        log_line(r);
    /* between requests, the connection waits for the next one's headers */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, HEADER_TIMEOUT);
    rq_free(r);
    *con_cls = NULL;
}

static bool has_body(struct rq *r)
{
    const char *cl = hdr_in(r, "Content-Length");
    return (cl && strcmp(cl, "0") != 0) || hdr_in(r, "Transfer-Encoding");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    struct rq *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (r->answered) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (!r->started) {
        r->started = true;
        r->started_us = time_now_us();
        r->method = method;
        /* the headers are in: a body or an answer may take longer to move */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, REQUEST_TIMEOUT);
        begin(r);
        /* A refusal before a body is read is answered at once (MHD then closes the connection
         * rather than read the body); everything else is answered on the next call, once MHD has
         * the whole request, which keeps the connection alive. */
        if (r->err_status && has_body(r))
            return send_error(r, r->err_status, r->err_code, r->err_message);
        return MHD_YES;
    }
    if (*upload_size) {
        body_feed(r, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (!r->err_status)
        r->op->run(r);
    end_read_txn(r);
    body_release(r);
    if (!r->answered)
        return send_error(r, r->err_status ? r->err_status : 500, r->err_status ? r->err_code : "InternalError",
                          r->err_status ? r->err_message : "No response.");
    return MHD_YES;
}

int object_migrate(struct store *s, char *err, size_t errlen)
{
    /* hotrows keeps rows of these tables while none changes (the meter's and the collector's
     * bookkeeping changes nothing a GET reads) */
    static const char *const bookkeeping[] = {"obj_usage", "obj_garbage", NULL};
    store_watch("obj_", bookkeeping);
    return meta_migrate(s, err, errlen);
}

int object_backend_check(const struct config *cfg, char *err, size_t errlen)
{
    return object_backend_find(cfg->object_backend, err, errlen) ? 0 : -1;
}

struct object_gateway *object_gateway_start(const struct config *cfg, char *err, size_t errlen)
{
    object_config = cfg;
    uint8_t raw[4];
    random_bytes(raw, sizeof raw);
    hex_encode(raw, sizeof raw, request_id_prefix);
    for (char *p = request_id_prefix; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    struct store *s = store_thread();
    if (!s) {
        snprintf(err, errlen, "cannot open the store");
        return NULL;
    }
    if (engine_start(cfg->data_dir, cfg->object_backend, s, err, errlen) != 0)
        return NULL;
    billing_register_job(lifecycle_job); /* before billing's controller starts */
    billing_register_job(logging_job);
    logging_start();
    struct object_gateway *g = calloc(1, sizeof *g);
    if (!g) {
        engine_stop();
        return NULL;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->object_port)};
    if (inet_pton(AF_INET, cfg->object_host, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "object listen address %s is not an IPv4 address", cfg->object_host);
        free(g);
        engine_stop();
        return NULL;
    }
    /* the cores this process may run on (taskset, cgroup cpusets), not all the machine's: workers
     * beyond them only add context switches between epoll loops */
    cpu_set_t cpus;
    long cores = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : sysconf(_SC_NPROCESSORS_ONLN);
    /* fsync and SQLite commits block a worker: more workers than cores keep GETs flowing meanwhile */
    unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : (unsigned)(cores > 0 ? cores : 2) * 2;
    g->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, g,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_CONNECTION_TIMEOUT, HEADER_TIMEOUT,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_IP_CONNECTIONS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!g->mhd) {
        snprintf(err, errlen, "cannot listen on %s:%d (in use or not permitted)", cfg->object_host, cfg->object_port);
        free(g);
        engine_stop();
        return NULL;
    }
    log_info("object store on %s:%d (%u workers)", cfg->object_host, cfg->object_port, threads);
    return g;
}

void object_gateway_stop(struct object_gateway *g)
{
    if (!g)
        return;
    MHD_stop_daemon(g->mhd);
    logging_stop(); /* what is held goes out while the store and the engine are still there */
    engine_stop();
    free(g);
}
