/*
 * server: libmicrohttpd glue for the API listener (see http.h).
 *
 * The raw request URI (needed byte for byte by TC3 GET signatures) comes from the URI log
 * callback, which runs before MHD unescapes anything. Bodies over the limit are drained up to
 * a hard cap so clients still read our RequestSizeLimitExceeded envelope instead of a reset.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api/api.h"
#include "api/codes.h"
#include "console/console.h"
#include "http/http.h"
#include "http/preauth.h"

#define DRAIN_CAP     (64u << 20) /* past this an oversized body gets the answer and a closed connection */
#define PREAUTH_BODY  (64u << 10) /* bodies larger than this (or of unknown size) wait for the key check */
#define UNSIGNED_BODY (1u << 20)  /* without an Authorization header (v1 signs inside the body): at most this */
#define BODY_TIMEOUT  120u        /* seconds of silence allowed once the headers are in */

/* Bytes reserved for request bodies by all connections; bounded by config.body_memory_bytes. */
static atomic_size_t bodies_in_flight;

struct http_server {
    struct MHD_Daemon *mhd;
    const struct config *cfg;
    volatile int ready;
};

/*
 * One per connection, made when MHD accepts it and freed when MHD closes it (the connection
 * notifier), reused by each request on it. The URI log callback runs before MHD has decided to
 * accept a request, and MHD calls neither the handler nor the completion notifier for requests it
 * rejects on its own (URI or headers too large): whatever a request holds is released when the
 * next one starts, when it completes, or when the connection closes, never lost.
 */
struct conn {
    char *uri;
    char *body;
    size_t len, cap, seen;
    size_t reserved; /* this request's share of bodies_in_flight */
    int started, too_large, busy;
    int console; /* a /console/ request: its own small body bound, answered by src/console */
};

static void conn_reset(struct conn *cc)
{
    free(cc->uri);
    free(cc->body);
    if (cc->reserved)
        atomic_fetch_sub(&bodies_in_flight, cc->reserved);
    memset(cc, 0, sizeof *cc);
}

static int reserve(struct conn *cc, size_t n, size_t limit)
{
    size_t before = atomic_fetch_add(&bodies_in_flight, n);
    if (before + n > limit) {
        atomic_fetch_sub(&bodies_in_flight, n);
        return -1;
    }
    cc->reserved += n;
    return 0;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(struct conn));
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn_reset(*socket_context);
        free(*socket_context);
        *socket_context = NULL;
    }
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *cc = ci ? ci->socket_context : NULL;
    if (!cc)
        return NULL; /* the handler answers MHD_NO: the connection closes */
    conn_reset(cc);
    cc->uri = strdup(uri ? uri : "/");
    return cc;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (*con_cls)
        conn_reset(*con_cls);
    *con_cls = NULL;
}

static const char *header_of(void *hctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)hctx, MHD_HEADER_KIND, name);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, const char *ctype)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void client_ip(struct MHD_Connection *c, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, len, "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

/* The console's answer, with its headers (cookies, CSP, caching). */
static enum MHD_Result console_reply(struct MHD_Connection *c, struct console_reply *out)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        out->len, out->body ? out->body : (void *)"", out->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(out->body);
        return MHD_NO;
    }
    for (int i = 0; i < out->nheaders; i++)
        MHD_add_response_header(r, out->headers[i].name, out->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(c, out->status ? out->status : 500, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result console_answer(struct http_server *srv, struct MHD_Connection *c, struct conn *cc,
                                      const char *url, const char *method, int too_large)
{
    char ip[64];
    client_ip(c, ip, sizeof ip);
    struct console_request req = {.method = method,
                                  .path = url,
                                  .source_ip = ip,
                                  .header = header_of,
                                  .hctx = c,
                                  .body = cc->body ? cc->body : "",
                                  .body_len = cc->len,
                                  .body_too_large = too_large};
    struct console_reply out;
    console_handle(srv->cfg, &req, &out);
    return console_reply(c, &out);
}

static enum MHD_Result early_error(struct MHD_Connection *c, const char *code, const char *message)
{
    char rid[37];
    random_uuid(rid);
    char *body = api_error_envelope(rid, code, message);
    return body ? reply(c, 200, body, "application/json") : MHD_NO;
}

/*
 * Headers are in, no body byte read yet: the point to refuse what would otherwise hold memory.
 * A body over PREAUTH_BODY (or of unknown length) is read only for a known SecretId, or, without
 * an Authorization header, up to UNSIGNED_BODY; its size is reserved against the global bound.
 */
static enum MHD_Result on_headers(struct http_server *srv, struct MHD_Connection *c, struct conn *cc, const char *url,
                                  const char *method)
{
    const struct config *cfg = srv->cfg;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    int unknown = !cl && te;
    if (console_path(url)) {
        /* console bodies are small JSON: a larger (or unsized) one is refused before a byte is read,
         * and the connection keeps the short header timeout */
        cc->console = 1;
        if (declared > CONSOLE_MAX_BODY || unknown)
            return console_answer(srv, c, cc, url, method, 1);
        if (declared && reserve(cc, (size_t)declared + 1, cfg->body_memory_bytes) != 0)
            return early_error(c, E_REQUEST_LIMIT_EXCEEDED,
                               "The server is receiving too many request bodies; retry later.");
        return MHD_YES;
    }
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, BODY_TIMEOUT); /* past the short header timeout */
    if (declared > cfg->max_body_bytes)
        cc->too_large = 1;
    if (declared > PREAUTH_BODY || unknown) {
        const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        const char *code, *message;
        if (authz && *authz && http_preauth_tc3(authz, &code, &message) != 0)
            return early_error(c, code, message);
        if ((!authz || !*authz) && (declared > UNSIGNED_BODY || unknown)) {
            char msg[160];
            snprintf(msg, sizeof msg, "A request body over %u bytes needs a TC3-HMAC-SHA256 Authorization header.",
                     UNSIGNED_BODY);
            return early_error(c, E_AUTH_FAILURE_INVALID_AUTHORIZATION, msg);
        }
    }
    if (declared && !cc->too_large && reserve(cc, (size_t)declared + 1, cfg->body_memory_bytes) != 0)
        return early_error(c, E_REQUEST_LIMIT_EXCEEDED,
                           "The server is receiving too many request bodies; retry later.");
    return MHD_YES;
}

/* Appends a body piece; 0, or -1 when the global bound is reached (the rest is drained, then refused). */
static int append_body(struct http_server *srv, struct conn *cc, const char *data, size_t n)
{
    if (cc->len + n + 1 > cc->cap) {
        size_t cap = cc->reserved ? cc->reserved : cc->cap ? cc->cap : 4096; /* a declared length: exactly */
        while (cap < cc->len + n + 1)
            cap *= 2;
        if (cap > cc->reserved && reserve(cc, cap - cc->reserved, srv->cfg->body_memory_bytes) != 0)
            return -1;
        char *nb = realloc(cc->body, cap);
        if (!nb)
            return -1;
        cc->body = nb;
        cc->cap = cap;
    }
    memcpy(cc->body + cc->len, data, n);
    cc->len += n;
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct conn *cc = *con_cls;
    if (!cc || !cc->uri)
        return MHD_NO;
    if (!cc->started) {
        cc->started = 1;
        return on_headers(srv, c, cc, url, method);
    }
    if (*upload_size) {
        cc->seen += *upload_size;
        if (!cc->too_large && cc->len + *upload_size > (cc->console ? CONSOLE_MAX_BODY : srv->cfg->max_body_bytes))
            cc->too_large = 1;
        if (!cc->too_large && !cc->busy && append_body(srv, cc, upload_data, *upload_size) != 0) {
            cc->busy = 1;
            free(cc->body);
            cc->body = NULL;
            cc->len = cc->cap = 0;
        }
        *upload_size = 0;
        if (!((cc->too_large || cc->busy) && cc->seen > DRAIN_CAP))
            return MHD_YES;
    }
    if (strcmp(url, "/healthz") == 0 && strcmp(method, "GET") == 0)
        return reply(c, srv->ready ? 200 : 503, strdup(srv->ready ? "ok\n" : "starting\n"), "text/plain");
    if (cc->console && !cc->busy)
        return console_answer(srv, c, cc, url, method, cc->too_large);
    if (cc->busy && !cc->too_large)
        return early_error(c, E_REQUEST_LIMIT_EXCEEDED,
                           "The server is receiving too many request bodies; retry later.");

    const char *q = strchr(cc->uri, '?');
    char ip[64];
    client_ip(c, ip, sizeof ip);
    struct api_http req = {.method = method,
                           .raw_query = q ? q + 1 : "",
                           .source_ip = ip,
                           .header = header_of,
                           .hctx = c,
                           .body = cc->body ? cc->body : "",
                           .body_len = cc->len,
                           .body_too_large = cc->too_large};
    char *body = api_handle(srv->cfg, &req);
    if (!body)
        return MHD_NO;
    return reply(c, 200, body, "application/json");
}

/*
 * The listening address: IPv4, or IPv6 in brackets or bare. IPv6 and the wildcard 0.0.0.0 bind
 * dual-stack [::] (IPv4 clients arrive as ::ffff:a.b.c.d), so one listener serves both families.
 */
static int listen_addr(const struct config *cfg, struct sockaddr_storage *ss, unsigned *flags, char *err, size_t errlen)
{
    char host[128];
    size_t n = strlen(cfg->listen_host);
    if (n >= 2 && cfg->listen_host[0] == '[' && cfg->listen_host[n - 1] == ']')
        snprintf(host, sizeof host, "%.*s", (int)(n - 2), cfg->listen_host + 1);
    else
        snprintf(host, sizeof host, "%s", cfg->listen_host);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1 && v4->sin_addr.s_addr != htonl(INADDR_ANY)) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->listen_port);
        return 0;
    }
    if (strcmp(host, "0.0.0.0") != 0 && inet_pton(AF_INET6, host, &v6->sin6_addr) != 1) {
        snprintf(err, errlen, "listen address %s is neither an IPv4 nor an IPv6 address", cfg->listen_host);
        return -1;
    }
    if (strcmp(host, "0.0.0.0") == 0)
        v6->sin6_addr = in6addr_any;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)cfg->listen_port);
    *flags |= MHD_USE_DUAL_STACK;
    return 0;
}

static struct MHD_Daemon *start_mhd(struct http_server *srv, unsigned flags, struct sockaddr_storage *ss)
{
    const struct config *cfg = srv->cfg;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : (unsigned)(cores > 0 ? cores : 2);
    /*
     * No MHD_OPTION_LISTENING_ADDRESS_REUSE: MHD already sets SO_REUSEADDR (a restart does not wait for
     * TIME_WAIT), and the option's value 1 adds SO_REUSEPORT, which would let a second yund bind this port
     * and silently take half of the connections.
     */
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
                            MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
                            NULL, MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            (unsigned)cfg->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)cfg->header_timeout, MHD_OPTION_END);
}

struct http_server *http_start(const struct config *cfg, char *err, size_t errlen)
{
    struct http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->cfg = cfg;
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (listen_addr(cfg, &ss, &flags, err, errlen) != 0) {
        free(srv);
        return NULL;
    }
    srv->mhd = start_mhd(srv, flags, &ss);
    if (!srv->mhd && ss.ss_family == AF_INET6 && strcmp(cfg->listen_host, "0.0.0.0") == 0) {
        /* a host without IPv6: the wildcard still works on IPv4 */
        struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
        memset(&ss, 0, sizeof ss);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->listen_port);
        srv->mhd = start_mhd(srv, flags & ~(unsigned)MHD_USE_DUAL_STACK, &ss);
    }
    if (!srv->mhd) {
        snprintf(err, errlen, "cannot listen on %s:%d (in use or not permitted)", cfg->listen_host, cfg->listen_port);
        free(srv);
        return NULL;
    }
    return srv;
}

int http_bound_port(struct http_server *srv)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

void http_set_ready(struct http_server *srv, int ready) { srv->ready = ready; }

void http_stop(struct http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->mhd);
    free(srv);
}
