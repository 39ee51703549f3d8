/*
 * host_channel: the control plane's end of the host channel (see host_channel.h). A listener
 * thread accepts TCP connections on host_listen and gives each its own thread (hosts are few per
 * control-plane process, and a connection does one blocking exchange at a time; reads time out
 * after the down window, so a silent peer costs a thread for seconds, not for ever). The TLS
 * server certificate is made at start, signed by the region CA, and sent with the CA so a joining
 * host can check the CA against its token's pin. A connection without a client certificate may
 * only join; one with a certificate the CA signed is the host its CN names and may only say hello
 * and heartbeat, and ask or push what concerns its own instances (image parts, metadata answers,
 * console tails). The monitor marks joined hosts down after HOST_DOWN_SECONDS of silence, in every
 * yund but working only while it holds the lease "hosts", on the control plane's clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "api/api.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "core/tls.h"
#include "host/metadata_listen.h"
#include "store/lease.h"

#define MAX_CONNECTIONS 4096

static const struct config *config;
static struct tls_ca ca;
static SSL_CTX *ctx;
static int listen_fd = -1;
static pthread_t listener, monitor;
static int listening, monitoring;
static struct lease *lease;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int running;
static int connections; /* under mu */

/* A connection that has not shown a host certificate by then (a join, or a handshake or first
 * line trickled in a byte at a time) is cut: nothing unauthenticated holds a thread for long. */
#define UNTRUSTED_SECONDS 10

struct conn {
    int fd;
    SSL *ssl;
    char peer[64];
    int64_t opened_ms;        /* monotonic */
    int trusted;              /* a host certificate opened a session; under mu */
    struct conn *prev, *next; /* the open connections, under mu */
};
static struct conn *open_conns;

#define SESSION_CACHE_KIB 1024 /* a session's store connection: its page cache */

static void reply(SSL *ssl, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (text)
        tls_write_line(ssl, text);
    free(text);
    json_decref(j);
}

static void refuse(SSL *ssl, const char *why) { reply(ssl, json_pack("{s:b,s:s}", "ok", 0, "error", why)); }

static void facts_read(json_t *j, struct host_facts *f)
{
    memset(f, 0, sizeof *f);
    const char *s;
    if ((s = json_string_value(json_object_get(j, "hostname"))))
        snprintf(f->hostname, sizeof f->hostname, "%s", s);
    if ((s = json_string_value(json_object_get(j, "zone"))))
        snprintf(f->zone, sizeof f->zone, "%s", s);
    if ((s = json_string_value(json_object_get(j, "accel"))))
        snprintf(f->accel, sizeof f->accel, "%s", s);
    if ((s = json_string_value(json_object_get(j, "accel_reason"))))
        snprintf(f->accel_reason, sizeof f->accel_reason, "%s", s);
    f->cores = json_integer_value(json_object_get(j, "cores"));
    f->memory_mib = json_integer_value(json_object_get(j, "memory_mib"));
    f->disk_gib = json_integer_value(json_object_get(j, "disk_gib"));
    f->realises = json_is_true(json_object_get(j, "realises"));
}

/* What a host says of itself is checked before it is stored: the host is told, not trusted. */
static const char *facts_check(struct host_facts *f, int joining)
{
    if (f->cores < 1 || f->cores > 4096 || f->memory_mib < 64 || f->memory_mib > ((int64_t)64 << 20) ||
        f->disk_gib < 0 || f->disk_gib > ((int64_t)1 << 30))
        return "the host's capacity is out of range";
    /* "simulated": a host of `yun host simulate` (scale tests), shown so in `yun admin hosts` */
    if (strcmp(f->accel, "kvm") && strcmp(f->accel, "tcg") && strcmp(f->accel, HOST_ACCEL_SIMULATED))
        return "the host's accelerator must be kvm, tcg or simulated";
    if (!f->hostname[0])
        snprintf(f->hostname, sizeof f->hostname, "unnamed");
    if (joining) {
        const struct region_conf *r = config_find_region(config, config->region);
        if (!f->zone[0] && r && r->nzones)
            snprintf(f->zone, sizeof f->zone, "%s", r->zones[0].zone);
        int known = 0;
        for (int i = 0; r && i < r->nzones; i++)
            known |= !strcmp(r->zones[i].zone, f->zone);
        if (!known)
            return "the zone is not one of this region's";
    }
    return NULL;
}

static void audit_join(struct store *s, const char *peer, const char *resource, const char *result, const char *why)
{
    char rid[37];
    random_uuid(rid);
    if (audit_write(s, &(struct audit_entry){.owner_uin = "",
                                             .user_uin = "",
                                             .source_ip = peer,
                                             .service = "cvm",
                                             .action = "HostJoin",
                                             .resource = resource,
                                             .result = result,
                                             .request_id = rid,
                                             .reason = why}) != 0)
        log_warn("host channel: the audit record of a join from %s could not be written", peer);
}

static int64_t vcpus_of(const struct host_facts *f) { return (int64_t)((double)f->cores * config->cpu_overcommit); }

/* A join: the token is taken, the host recorded and its certificate signed in one transaction. */
static void join(struct conn *c, struct store *s, json_t *msg)
{
    struct join_token t;
    struct host_facts f;
    char resource[200], host_id[24], why[256] = "";
    const char *csr = json_string_value(json_object_get(msg, "csr"));
    if (join_token_parse(json_string_value(json_object_get(msg, "token")), &t) != 0) {
        snprintf(resource, sizeof resource, "qcs::cvm:%s::hosttoken/", config->region);
        audit_join(s, c->peer, resource, "AuthFailure", "the join token is malformed");
        refuse(c->ssl, "the join token is malformed");
        return;
    }
    snprintf(resource, sizeof resource, "qcs::cvm:%s::hosttoken/%s", config->region, t.id);
    if (strcmp(t.ca_sha256, ca.sha256) != 0) {
        audit_join(s, c->peer, resource, "AuthFailure", "the join token pins another CA");
        refuse(c->ssl, "the join token pins another CA");
        return;
    }
    facts_read(json_object_get(msg, "facts"), &f);
    const char *bad = facts_check(&f, 1);
    EVP_PKEY *pub = bad ? NULL : tls_csr_key(csr ? csr : "", why, sizeof why);
    if (!pub) {
        snprintf(why, sizeof why, "%s", bad ? bad : why);
        audit_join(s, c->peer, resource, "InvalidParameter", why);
        refuse(c->ssl, why);
        return;
    }
    random_id("host-", host_id, sizeof host_id);
    int64_t now = time_now();
    X509 *cert = NULL;
    char *pem = NULL;
    int verdict = store_begin(s) == STORE_OK ? (int)host_token_take(s, t.id, t.secret, host_id, now) : -1;
    if (verdict == JOIN_OK) {
        cert = tls_ca_sign(&ca, pub, host_id, 365, 1);
        pem = cert ? tls_cert_pem(cert) : NULL;
        char hres[300];
        snprintf(hres, sizeof hres, "%s host/%s", resource, host_id);
        if (!pem || host_joined_insert(s, host_id, &f, vcpus_of(&f), now) != 0) {
            verdict = -1;
        } else {
            audit_join(s, c->peer, hres, "Success", NULL);
            if (store_commit(s) != STORE_OK)
                verdict = -1;
        }
    }
    if (verdict != JOIN_OK) {
        if (store_in_transaction(s))
            store_rollback(s);
        const char *text = verdict < 0 ? "the join could not be stored" : join_verdict_text((enum join_verdict)verdict);
        audit_join(s, c->peer, resource, verdict < 0 ? "InternalError" : "AuthFailure", text);
        refuse(c->ssl, text);
        log_warn("host channel: join from %s refused: %s", c->peer, text);
    } else {
        log_info("host channel: %s (%s) joined in %s from %s, %lld cores, %lld MiB, %lld GiB, %s", host_id, f.hostname,
                 f.zone, c->peer, (long long)f.cores, (long long)f.memory_mib, (long long)f.disk_gib, f.accel);
        char *ca_pem = tls_cert_pem(ca.cert);
        reply(c->ssl,
              json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "host_id", host_id, "cert", pem, "ca", ca_pem ? ca_pem : ""));
        free(ca_pem);
    }
    free(pem);
    X509_free(cert);
    EVP_PKEY_free(pub);
}

/* The heartbeats received and not yet written: the monitor thread of every yund writes them together every
 * half second (host_beats_write), before its monitor pass, so a silent host is still seen as one within the
 * down window, and a beat lost with a crash costs nothing but itself. */
#define BEATS_MAX 65536
static pthread_mutex_t beats_mu = PTHREAD_MUTEX_INITIALIZER;
static struct host_beat *beats; /* under beats_mu */
static int nbeats, capbeats;

static void beat_note(const char *host_id, int64_t now)
{
    pthread_mutex_lock(&beats_mu);
    if (nbeats == capbeats && capbeats < BEATS_MAX) {
        struct host_beat *more = realloc(beats, sizeof *more * (size_t)(capbeats = capbeats ? 2 * capbeats : 1024));
        if (more)
            beats = more;
        else
            capbeats = nbeats;
    }
    if (nbeats < capbeats) {
        snprintf(beats[nbeats].host_id, sizeof beats[nbeats].host_id, "%s", host_id);
        beats[nbeats++].at = now;
    }
    pthread_mutex_unlock(&beats_mu);
}

static void beats_flush(struct store *s)
{
    pthread_mutex_lock(&beats_mu);
    struct host_beat *mine = beats;
    int n = nbeats;
    beats = NULL;
    nbeats = capbeats = 0;
    pthread_mutex_unlock(&beats_mu);
    if (n && (!s || host_beats_write(s, mine, n) != 0)) {
        log_warn("host channel: %d heartbeat(s) could not be written: %s (again in 0.5 s)", n,
                 s ? store_errmsg(s) : "no store");
        for (int i = 0; i < n; i++) /* kept for the next pass */
            beat_note(mine[i].host_id, mine[i].at);
    }
    free(mine);
}

/* The versions of the documents last made, by host, stamped with the store's change count (store_watch_all: every
 * table but the heartbeats' and the consoles') read before they were made: while the count stands still, a host's
 * document is the one made then, so a steady heartbeat costs no document (hundreds of hosts beat every 2 s). The
 * count sees this process's writes only: the host's instances' fingerprint (one indexed statement) catches another
 * process's change to them (`yun admin hosts drain`), and a document is made again after DOC_CACHE_SECONDS whatever
 * (another process's change elsewhere: a VPC's remote NICs). A slot per hash of the host id; a collision is a miss.
 * Nothing is kept where the store cannot count (PostgreSQL). */
#define DOC_CACHE_SLOTS   8192
#define DOC_CACHE_SECONDS 30 /* at the latest then, a document is made again (a write of another process) */
static struct doc_cached {
    char host_id[24], version[HOST_DOC_VERSION_LEN];
    uint64_t count;
    int64_t updated, n, made; /* the host's instances' fingerprint (host_doc_fingerprint), when it was made */
} doc_cache[DOC_CACHE_SLOTS]; /* under doc_mu */
static pthread_mutex_t doc_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *const doc_unwatched[] = {"host_heartbeats", "host_consoles", NULL};

static struct doc_cached *doc_slot(const char *host_id)
{
    uint32_t h = 2166136261u;
    for (const char *c = host_id; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return &doc_cache[h % DOC_CACHE_SLOTS];
}

/* 1 and version set when host_id's document is known to be unchanged since count: no write of this process, and
 * its instances' fingerprint the same (another process's writes, the operator's CLI: a drain starts moves) */
static int doc_cached(const char *host_id, uint64_t count, const struct doc_cached *now,
                      char version[HOST_DOC_VERSION_LEN])
{
    pthread_mutex_lock(&doc_mu);
    struct doc_cached *d = doc_slot(host_id);
    int hit = d->count == count && !strcmp(d->host_id, host_id) && d->updated == now->updated && d->n == now->n &&
              now->made - d->made < DOC_CACHE_SECONDS;
    if (hit)
        memcpy(version, d->version, HOST_DOC_VERSION_LEN);
    pthread_mutex_unlock(&doc_mu);
    return hit;
}

static void doc_keep(const char *host_id, uint64_t count, const struct doc_cached *now, const char *version)
{
    pthread_mutex_lock(&doc_mu);
    struct doc_cached *d = doc_slot(host_id);
    snprintf(d->host_id, sizeof d->host_id, "%s", host_id);
    snprintf(d->version, sizeof d->version, "%s", version);
    d->count = count;
    d->updated = now->updated;
    d->n = now->n;
    d->made = now->made;
    pthread_mutex_unlock(&doc_mu);
}

int host_doc_current(struct store *s, const char *host_id, int want_doc, json_t **doc,
                     char version[HOST_DOC_VERSION_LEN])
{
    uint64_t count = 0;
    struct doc_cached now = {.made = time_now()};
    int counted = store_watch_all_count(s, &count) == 1 && count > 0 &&
                  host_doc_fingerprint(s, host_id, &now.updated, &now.n) == 0;
    *doc = NULL;
    if (!want_doc && counted && doc_cached(host_id, count, &now, version))
        return 0;
    if (!(*doc = host_doc_build(s, host_id, version)))
        return -1;
    if (counted)
        doc_keep(host_id, count, &now, version);
    return 0;
}

/* A heartbeat's answer: the host's report applied, then the current version, and the document
 * when the host holds another. */
static json_t *heartbeat_answer(struct store *s, const char *host_id, json_t *msg)
{
    char version[HOST_DOC_VERSION_LEN];
    const char *have = json_string_value(json_object_get(msg, "Have"));
    json_t *doc = NULL, *report = json_object_get(msg, "Report");
    if (host_doc_current(s, host_id, 0, &doc, version) != 0)
        return NULL;
    if (json_is_object(report) && host_doc_report(s, host_id, report, version) > 0) {
        json_decref(doc); /* instances moved on: they are told their new states at once */
        if (host_doc_current(s, host_id, 1, &doc, version) != 0)
            return NULL;
    }
    int send = !have || strcmp(have, version) != 0;
    if (send && !doc && host_doc_current(s, host_id, 1, &doc, version) != 0)
        return NULL;
    json_t *ans = json_pack("{s:b,s:s}", "ok", 1, "Version", version);
    if (send)
        json_object_set(ans, "Document", doc);
    json_decref(doc);
    return ans;
}

/* One chunk of an image part an instance of this host runs (the host fetches what it is told to
 * run): the answer {Size, Length} and *bytes, the Length bytes that follow it on the wire. */
static json_t *image_chunk(struct store *s, const char *host_id, json_t *msg, unsigned char **bytes)
{
    const char *image = json_string_value(json_object_get(msg, "ImageId"));
    const char *part = json_string_value(json_object_get(msg, "Part"));
    json_int_t offset = json_integer_value(json_object_get(msg, "Offset"));
    char path[1024];
    *bytes = NULL;
    int rc = image && part && offset >= 0 ? host_doc_image_part(s, host_id, image, part, path, sizeof path) : 0;
    if (rc != 1)
        return json_pack("{s:b,s:s}", "ok", 0, "error",
                         rc < 0 ? "the control plane's store is unavailable"
                                : "no instance of this host runs that image part");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    unsigned char *buf = malloc(HOST_IMAGE_CHUNK);
    json_t *ans = NULL;
    if (fd >= 0 && buf && fstat(fd, &st) == 0) {
        ssize_t got = offset >= st.st_size ? 0 : pread(fd, buf, HOST_IMAGE_CHUNK, (off_t)offset);
        if (got >= 0) {
            ans = json_pack("{s:b,s:I,s:I}", "ok", 1, "Size", (json_int_t)st.st_size, "Length", (json_int_t)got);
            *bytes = buf;
            buf = NULL;
        }
    }
    if (!ans) {
        log_error("host channel: image %s %s for %s: %s: %s", image, part, host_id, path, strerror(errno));
        ans = json_pack("{s:b,s:s}", "ok", 0, "error", "the image part cannot be read on the control plane");
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return ans;
}

/* The hello's answer: a host certificate issued before hosts' certificates served live migration (no
 * serverAuth, no DNS name) is replaced by one of the same key and name, which the host keeps. */
static json_t *hello_answer(SSL *ssl, const char *host_id)
{
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (tls_host_cert_current(peer))
        return json_pack("{s:b}", "ok", 1);
    X509 *cert = tls_ca_sign(&ca, X509_get0_pubkey(peer), host_id, 365, 1);
    char *pem = cert ? tls_cert_pem(cert) : NULL;
    json_t *ans = pem ? json_pack("{s:b,s:s}", "ok", 1, "cert", pem) : NULL;
    if (ans)
        log_info("host channel: %s given a new certificate (its old one cannot serve live migration)", host_id);
    free(pem);
    X509_free(cert);
    return ans;
}

/* A joined host's session: hello (its facts), then heartbeats, until it goes or falls silent; image
 * chunks, metadata answers and console pushes on any of its sessions. */
static void session(struct conn *c, struct store *s, const char *host_id, json_t *first)
{
    char *line = malloc(HOST_REPORT_MAX); /* a joined host's: its report may name many instances */
    json_t *msg = first;
    int said_hello = 0;
    while (msg && line) {
        const char *op = json_string_value(json_object_get(msg, "op"));
        int rc = -1;
        int64_t now = time_now();
        json_t *ans = NULL;
        unsigned char *bytes = NULL; /* what follows the answer's line raw (an image chunk, a metadata body) */
        size_t nbytes = 0;
        if (op && !strcmp(op, "hello")) {
            struct host_facts f;
            facts_read(json_object_get(msg, "facts"), &f);
            const char *bad = facts_check(&f, 0);
            if (bad) {
                refuse(c->ssl, bad);
                break;
            }
            rc = host_joined_hello(s, host_id, &f, vcpus_of(&f), strchr(c->peer, ':') ? "" : c->peer, now);
            said_hello = rc == 1;
            if (rc == 1 && !(ans = hello_answer(c->ssl, host_id)))
                rc = -1;
        } else if (op && !strcmp(op, "heartbeat") && said_hello) {
            rc = host_heartbeat(s, host_id, now);
            if (rc == 2) {
                beat_note(host_id, now);
                rc = 1;
            }
            if (rc == 1 && !(ans = heartbeat_answer(s, host_id, msg)))
                rc = -1;
        } else if (op && !strcmp(op, "metadata")) {
            /* a guest of this host asks its metadata: the host names the listener's VPC and the
             * connection's source; the instance must be one placed on this host */
            rc = host_is_joined(s, host_id);
            const char *vpc = json_string_value(json_object_get(msg, "VpcId")),
                       *ip = json_string_value(json_object_get(msg, "Ip")),
                       *method = json_string_value(json_object_get(msg, "Method")),
                       *path = json_string_value(json_object_get(msg, "Path"));
            if (rc == 1 && vpc && ip && method && path) {
                struct md_reply r;
                metadata_answer(s, host_id, vpc, ip, method, path, &r);
                bytes = (unsigned char *)r.body;
                nbytes = r.body ? r.len : 0;
                ans = json_pack("{s:b,s:i,s:I}", "ok", 1, "Status", (int)r.status, "Length", (json_int_t)nbytes);
            } else if (rc == 1) {
                ans = json_pack("{s:b,s:s}", "ok", 0, "error", "a metadata request names VpcId, Ip, Method and Path");
            }
        } else if (op && !strcmp(op, "console")) {
            /* the tail of an instance's serial log, its bytes after the line: kept only for an instance
             * placed on this host (the certificate's CN), never for another host's */
            json_t *length = json_object_get(msg, "Length");
            json_int_t n = json_integer_value(length);
            unsigned char *tail =
                json_is_integer(length) && n >= 0 && n <= HOST_CONSOLE_MAX ? malloc((size_t)n + 1) : NULL;
            if (!tail || tls_read_all(c->ssl, tail, (size_t)n) != 0) {
                free(tail);
                refuse(c->ssl, "a console push names its Length (at most 64 KiB) and sends that many bytes");
                break;
            }
            rc = host_is_joined(s, host_id);
            const char *id = json_string_value(json_object_get(msg, "InstanceId"));
            int stored = rc == 1 ? host_console_push(s, host_id, id, tail, (size_t)n, now) : 0;
            free(tail);
            if (stored < 0)
                rc = -1;
            else if (rc == 1 && stored == 0) {
                log_warn("host channel: %s pushed the console of %s, not an instance placed on it: refused", host_id,
                         id ? id : "(none)");
                ans = json_pack("{s:b,s:s}", "ok", 0, "error", "the instance is not placed on this host");
            }
        } else if (op && !strcmp(op, "image")) {
            rc = host_is_joined(s, host_id);
            if (rc == 1 && (ans = image_chunk(s, host_id, msg, &bytes)) && bytes)
                nbytes = (size_t)json_integer_value(json_object_get(ans, "Length"));
        } else {
            refuse(c->ssl, "expected hello, then heartbeats (or image chunks, metadata, consoles)");
            break;
        }
        if (rc == 0) {
            refuse(c->ssl, "this host is not (or no longer) joined to the region");
            log_warn("host channel: %s from %s is not a joined host (or revoked)", host_id, c->peer);
            break;
        }
        if (rc < 0) {
            json_decref(ans);
            free(bytes);
            refuse(c->ssl, "the control plane's store is unavailable");
            break;
        }
        reply(c->ssl, ans ? ans : json_pack("{s:b}", "ok", 1));
        int sent = bytes ? tls_write_all(c->ssl, bytes, nbytes) : 0;
        free(bytes);
        if (sent != 0)
            break;
        if (msg != first)
            json_decref(msg);
        msg = NULL;
        int n = tls_read_line(c->ssl, line, HOST_REPORT_MAX);
        msg = n >= 0 ? json_loads(line, 0, NULL) : NULL;
    }
    if (msg != first)
        json_decref(msg);
    free(line);
}

static void *serve(void *arg)
{
    struct conn *c = arg;
    pthread_mutex_lock(&mu);
    c->next = open_conns;
    if (open_conns)
        open_conns->prev = c;
    open_conns = c;
    pthread_mutex_unlock(&mu);
    struct store *s = store_thread();
    store_cache_limit(s, SESSION_CACHE_KIB); /* a thread per connected host: 1,000 hosts, 1,000 connections */
    char *line = malloc(HOST_LINE_MAX);
    if (s && line && SSL_accept(c->ssl) == 1) {
        X509 *peer = SSL_get0_peer_certificate(c->ssl);
        int n = tls_read_line(c->ssl, line, HOST_LINE_MAX);
        json_t *msg = n >= 0 ? json_loads(line, 0, NULL) : NULL;
        const char *op = json_string_value(json_object_get(msg, "op"));
        if (!msg) {
            /* nothing, or not JSON: the connection simply ends */
        } else if (!peer) {
            if (op && !strcmp(op, "join"))
                join(c, s, msg);
            else
                refuse(c->ssl, "a host without a certificate may only join");
        } else {
            char cn[64];
            tls_cert_cn(peer, cn, sizeof cn);
            /* OpenSSL verified the chain to the CA (SSL_VERIFY_PEER); a host certificate is a client one */
            if (SSL_get_verify_result(c->ssl) != X509_V_OK ||
                X509_check_purpose(peer, X509_PURPOSE_SSL_CLIENT, 0) != 1 || strncmp(cn, "host-", 5) != 0)
                refuse(c->ssl, "the certificate is not a host certificate of this region");
            else {
                pthread_mutex_lock(&mu);
                c->trusted = 1;
                pthread_mutex_unlock(&mu);
                session(c, s, cn, msg);
            }
        }
        json_decref(msg);
        SSL_shutdown(c->ssl);
    }
    ERR_clear_error();
    free(line);
    SSL_free(c->ssl);
    pthread_mutex_lock(&mu); /* out of the list before its descriptor is closed and maybe reused */
    if (c->prev)
        c->prev->next = c->next;
    else
        open_conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    connections--;
    pthread_mutex_unlock(&mu);
    close(c->fd);
    free(c);
    return NULL;
}

static void *listen_loop(void *arg)
{
    (void)arg;
    while (1) {
        pthread_mutex_lock(&mu);
        int go = running;
        pthread_mutex_unlock(&mu);
        if (!go)
            break;
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        if (poll(&p, 1, 250) <= 0)
            continue;
        struct sockaddr_storage sa;
        socklen_t salen = sizeof sa;
        int fd = accept4(listen_fd, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        struct conn *c = calloc(1, sizeof *c);
        char port[16];
        if (c) {
            c->fd = fd;
            c->opened_ms = time_now_ms();
        }
        if (!c || getnameinfo((struct sockaddr *)&sa, salen, c->peer, sizeof c->peer, port, sizeof port,
                              NI_NUMERICHOST | NI_NUMERICSERV) != 0)
            snprintf(c ? c->peer : port, c ? sizeof c->peer : sizeof port, "unknown");
        struct timeval tv = {.tv_sec = HOST_DOWN_SECONDS};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        pthread_mutex_lock(&mu);
        int room = connections < MAX_CONNECTIONS;
        if (room)
            connections++;
        pthread_mutex_unlock(&mu);
        if (c && room && (c->ssl = SSL_new(ctx)) && SSL_set_fd(c->ssl, fd) == 1 && thread_detached(serve, c) == 0) {
            c = NULL;
        } else {
            if (room) {
                pthread_mutex_lock(&mu);
                connections--;
                pthread_mutex_unlock(&mu);
            }
            if (c)
                SSL_free(c->ssl);
            free(c);
            close(fd);
        }
    }
    return NULL;
}

static void *monitor_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (running) {
        pthread_mutex_unlock(&mu);
        beats_flush(store_thread());                                 /* every process writes the beats it received */
        struct store *s = lease_hold(lease) ? store_thread() : NULL; /* followers only wait */
        int n = s ? host_monitor_pass(s, time_now(), HOST_DOWN_SECONDS) : 0;
        if (n > 0)
            log_info("host monitor: %d joined host(s) changed state (down after %d s without a heartbeat)", n,
                     HOST_DOWN_SECONDS);
        if (s && migration_expire(s, time_now()) < 0) /* a move whose host went down, or that hangs */
            log_warn("host monitor: the migrations could not be checked: %s", store_errmsg(s));
        pthread_mutex_lock(&mu);
        int64_t now_ms = time_now_ms();
        for (struct conn *c = open_conns; c; c = c->next)
            if (!c->trusted && now_ms - c->opened_ms > UNTRUSTED_SECONDS * 1000)
                shutdown(c->fd, SHUT_RDWR); /* its thread's read returns, and it ends */
        if (running) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 500 * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&cv, &mu, &until);
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static int open_listener(const char *spec, char *err, size_t errlen)
{
    char host[160];
    snprintf(host, sizeof host, "%s", spec);
    char *colon = strrchr(host, ':');
    if (!colon) {
        snprintf(err, errlen, "host_listen %s is not HOST:PORT", spec);
        return -1;
    }
    *colon = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "host_listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        snprintf(err, errlen, "host channel cannot listen on %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* The TLS context: a server certificate of this process signed by the CA, sent with the CA;
 * client certificates verified against the CA, optional (a joining host has none yet). */
static SSL_CTX *server_ctx(char *err, size_t errlen)
{
    SSL_CTX *c = tls_ctx_new(1);
    EVP_PKEY *key = tls_key_new();
    char cn[128];
    snprintf(cn, sizeof cn, TLS_CONTROL_CN "%s", config->region);
    X509 *cert = key ? tls_ca_sign(&ca, key, cn, 365, 0) : NULL;
    X509_STORE *trust = c ? SSL_CTX_get_cert_store(c) : NULL;
    int ok = c && cert && SSL_CTX_use_certificate(c, cert) == 1 && SSL_CTX_use_PrivateKey(c, key) == 1 &&
             SSL_CTX_add1_chain_cert(c, ca.cert) == 1 && trust && X509_STORE_add_cert(trust, ca.cert) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) {
        tls_error(err, errlen);
        SSL_CTX_free(c);
        return NULL;
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_verify_depth(c, 2);
    return c;
}

int host_channel_start(const struct config *cfg, struct store *s, char *err, size_t errlen)
{
    config = cfg;
    if (host_ca_get(s, cfg->region, &ca, err, errlen) != 0)
        return -1;
    running = 1;
    store_watch_all(doc_unwatched);
    lease = lease_open("hosts", !cfg->no_host);
    monitoring = pthread_create(&monitor, NULL, monitor_loop, NULL) == 0;
    if (!monitoring) {
        snprintf(err, errlen, "cannot start the host monitor");
        return -1;
    }
    if (!strcmp(cfg->host_listen, "off") || !cfg->host_listen[0])
        return 0;
    ctx = server_ctx(err, errlen);
    if (!ctx)
        return -1;
    listen_fd = open_listener(cfg->host_listen, err, errlen);
    if (listen_fd < 0)
        return -1;
    listening = pthread_create(&listener, NULL, listen_loop, NULL) == 0;
    if (!listening) {
        snprintf(err, errlen, "cannot start the host channel listener");
        return -1;
    }
    return 0;
}

void host_channel_stop(void)
{
    pthread_mutex_lock(&mu);
    running = 0;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (listening)
        pthread_join(listener, NULL);
    if (monitoring)
        pthread_join(monitor, NULL);
    if (monitoring)
        beats_flush(store_thread()); /* the last half second's */
    listening = monitoring = 0;
    if (listen_fd >= 0)
        close(listen_fd);
    listen_fd = -1;
    lease_close(lease);
    lease = NULL;
    SSL_CTX_free(ctx); /* connections still open hold a reference of their own (SSL_new) */
    ctx = NULL;
}
