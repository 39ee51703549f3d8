/*
 * simulate: SIMULATED hosts, for scale tests of the control plane only (`yun host simulate`, never
 * a default, nothing else starts it). One process runs N hosts, each a real host-channel client:
 * its own key and certificate from a real join with its own token (agent.c's join, in DIR/h<i>),
 * then its own mutual-TLS session with hello, heartbeats every HOST_HEARTBEAT_SECONDS and the
 * reports of report.c, the real agent's shape. What is simulated is the hypervisor: each document's
 * instances are checked as the realiser checks them (realise_spec_check) and reported as it
 * reports them once done (PENDING/STARTING -> RUNNING after --boot-ms, STOPPING -> STOPPED or
 * REINSTALLED, REBOOTING and RUNNING -> RUNNING, the rest STOPPED; no live migration), without
 * QEMU, disks, image parts or network. The hosts say accelerator "simulated", which the control
 * plane shows in `yun admin hosts`, so nobody takes them for machines.
 *
 * The sessions are driven by event loops (epoll, non-blocking OpenSSL), --threads of them (1 by
 * default) each owning every T-th host, not a thread per host; the simulator's own CPU (getrusage)
 * is printed beside its counts every 10 s on stderr (and at once on SIGUSR1), so a benchmark can
 * tell its cost from the control plane's. The joins, done once (a restart reuses DIR), run on 4 threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "compute/host_channel.h"
#include "core/tls.h"
#include "host/agent.h"
#include "host/realise.h"
#include "host/report.h"
#include "host/simulate.h"

#define JOIN_THREADS 4
#define RECONNECT_MS 1000
#define STATS_MS     10000
#define MAX_LOOPS    16
#define BUF_KEEP     (64 << 10) /* an answer buffer larger than this is freed after its answer */

enum sim_state { ST_DOWN, ST_CONNECT, ST_HANDSHAKE, ST_SEND, ST_RECV, ST_IDLE, ST_GONE };

struct boot {
    char id[24], request[64];
    long long ready_ms;
};

struct sim_host { /* owned by its loop */
    int index;
    char id[64], dir[1100];
    X509 *cert;
    EVP_PKEY *key;
    int fd, events, said_hello, hello_sent;
    SSL *ssl;
    enum sim_state st;
    char *out;
    size_t outlen, outoff;
    char *in;
    size_t inlen, incap;
    long long due_ms, sent_ms, repass_ms;
    json_t *doc, *report;
    char version[HOST_DOC_VERSION_LEN];
    struct boot *boots;
    int nboots, capboots;
};

static const struct sim_options *opt;
static SSL_CTX *ctx;
static struct sim_host *hosts;
static volatile sig_atomic_t stopping;
static struct { /* every loop's, __atomic */
    long long beats, docs, doc_bytes, lat_us, lat_max_us, connects, failures;
    int up;
} stats;

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static volatile sig_atomic_t stats_asked; /* SIGUSR1: the counts now (a benchmark's window) */

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        stats_asked = 1;
    else
        stopping = 1;
}

/* ---- the joins ---- */

static char **tokens;
static int ntokens, next_join, joined_now, join_failed;
static pthread_mutex_t join_mu = PTHREAD_MUTEX_INITIALIZER;

static int tokens_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[JOIN_TOKEN_MAX + 8];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n ")] = 0;
        if (!line[0])
            continue;
        char **more = realloc(tokens, sizeof *tokens * (size_t)(ntokens + 1));
        if (!more)
            break;
        tokens = more;
        tokens[ntokens++] = strdup(line);
    }
    fclose(f);
    return 0;
}

static json_t *facts_of(int i)
{
    char hostname[64], zone[64] = "";
    snprintf(hostname, sizeof hostname, "sim-%04d", i);
    if (opt->zones && *opt->zones) { /* the (i mod n)-th of Z1,Z2,... */
        int n = 1;
        for (const char *c = opt->zones; *c; c++)
            n += *c == ',';
        const char *p = opt->zones;
        for (int k = i % n; k > 0; k--)
            p = strchr(p, ',') + 1;
        snprintf(zone, sizeof zone, "%.*s", (int)strcspn(p, ","), p);
    }
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:b}", "hostname", hostname, "zone", zone, "cores",
                     (json_int_t)opt->cores, "memory_mib", (json_int_t)opt->memory_mib, "disk_gib", (json_int_t)1024,
                     "accel", HOST_ACCEL_SIMULATED, "accel_reason",
                     "yun host simulate: a simulated host (scale tests), no QEMU, no disks, no network", "realises", 1);
}

static void *join_loop(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&join_mu);
        int i = next_join < opt->count ? next_join++ : -1;
        pthread_mutex_unlock(&join_mu);
        if (i < 0 || stopping)
            return NULL;
        struct sim_host *h = &hosts[i];
        char path[1200], err[600], id[64];
        snprintf(path, sizeof path, "%s/host.crt", h->dir);
        if (access(path, F_OK) == 0)
            continue;
        int rc = -1;
        if (i < ntokens) {
            json_t *f = facts_of(i);
            rc = mkdir_p(h->dir, 0700) == 0 ? host_agent_join(opt->control, tokens[i], h->dir, f, id, err, sizeof err)
                                            : -1;
            json_decref(f);
        } else
            snprintf(err, sizeof err, "%s holds %d token(s), none for host %d", opt->tokens, ntokens, i);
        pthread_mutex_lock(&join_mu);
        if (rc == 0)
            joined_now++;
        else if (join_failed++ < 5)
            fprintf(stderr, "yun host simulate: host %d: %s\n", i, err);
        pthread_mutex_unlock(&join_mu);
    }
}

static int identity_load(struct sim_host *h)
{
    char path[1200], *text = NULL;
    snprintf(path, sizeof path, "%s/host.json", h->dir);
    json_t *state = json_load_file(path, 0, NULL);
    const char *id = json_string_value(json_object_get(state, "HostId"));
    snprintf(h->id, sizeof h->id, "%s", id ? id : "");
    json_decref(state);
    snprintf(path, sizeof path, "%s/host.crt", h->dir);
    if (file_read_all(path, &text, NULL) == 0)
        h->cert = tls_cert_parse(text);
    free(text);
    text = NULL;
    snprintf(path, sizeof path, "%s/host.key", h->dir);
    if (file_read_all(path, &text, NULL) == 0)
        h->key = tls_key_parse(text);
    if (text)
        OPENSSL_cleanse(text, strlen(text));
    free(text);
    return h->id[0] && h->cert && h->key ? 0 : -1;
}

/* ---- the simulated hypervisor: a document's instances reported as the realiser reports them once done ---- */

static const struct {
    const char *state, *seen;
} sim_acts[] = {
    {"PENDING", "RUNNING"},   {"STARTING", "RUNNING"}, {"STOPPING", "STOPPED"},
    {"REBOOTING", "RUNNING"}, {"RUNNING", "RUNNING"},  {"MIGRATING_IN", "FAILED"},
};

/* 1 when the boot of id for request is done, else 0 and the host looks again when it is */
static int booted(struct sim_host *h, const char *id, const char *request, long long now)
{
    if (opt->boot_ms <= 0)
        return 1;
    for (int i = 0; i < h->nboots; i++)
        if (!strcmp(h->boots[i].id, id) && !strcmp(h->boots[i].request, request)) {
            if (now >= h->boots[i].ready_ms) {
                h->boots[i] = h->boots[--h->nboots];
                return 1;
            }
            if (!h->repass_ms || h->boots[i].ready_ms < h->repass_ms)
                h->repass_ms = h->boots[i].ready_ms;
            return 0;
        }
    if (h->nboots == h->capboots) {
        struct boot *more = realloc(h->boots, sizeof *more * (size_t)(h->capboots = h->capboots ? 2 * h->capboots : 8));
        if (!more)
            return 1;
        h->boots = more;
    }
    struct boot *b = &h->boots[h->nboots++];
    snprintf(b->id, sizeof b->id, "%s", id);
    snprintf(b->request, sizeof b->request, "%s", request);
    b->ready_ms = now + opt->boot_ms;
    if (!h->repass_ms || b->ready_ms < h->repass_ms)
        h->repass_ms = b->ready_ms;
    return 0;
}

/* A pass over the held document; 1 when the report changed (the next heartbeat goes at once). */
static int sim_pass(struct sim_host *h, long long now)
{
    json_t *items = json_array(), *it;
    size_t i;
    h->repass_ms = 0;
    json_array_foreach (json_object_get(h->doc, "Instances"), i, it) {
        const char *id = json_string_value(json_object_get(it, "InstanceId"));
        const char *state = json_string_value(json_object_get(it, "State"));
        const char *request = json_string_value(json_object_get(it, "Request"));
        const char *bad = realise_spec_check(it), *seen = "STOPPED";
        char detail[300] = "";
        if (!id || !state)
            continue;
        if (bad) {
            seen = "FAILED";
            snprintf(detail, sizeof detail, "the host refused the instance's spec: %s", bad);
        } else {
            for (size_t k = 0; k < sizeof sim_acts / sizeof sim_acts[0]; k++)
                if (!strcmp(sim_acts[k].state, state))
                    seen = sim_acts[k].seen;
            if ((!strcmp(state, "PENDING") || !strcmp(state, "STARTING")) &&
                !booted(h, id, request ? request : "", now))
                continue; /* still booting: nothing to say yet, as the realiser says nothing mid-boot */
            if (!strcmp(state, "STOPPING") && json_is_true(json_object_get(it, "Reinstall")))
                seen = "REINSTALLED";
            if (!strcmp(state, "MIGRATING_IN") ||
                (!strcmp(state, "RUNNING") && json_object_get(it, "Migrate"))) { /* not on a simulated host */
                seen = "FAILED";
                snprintf(detail, sizeof detail, "a simulated host takes part in no live migration");
            }
        }
        json_array_append_new(items, host_report_item(id, state, seen, request, detail));
    }
    for (int k = 0; k < h->nboots;) { /* boots of instances that left PENDING/STARTING are forgotten */
        int named = 0;
        json_array_foreach (json_object_get(h->doc, "Instances"), i, it) {
            const char *id = json_string_value(json_object_get(it, "InstanceId"));
            named |= id && !strcmp(id, h->boots[k].id);
        }
        if (named)
            k++;
        else
            h->boots[k] = h->boots[--h->nboots];
    }
    json_t *r = host_report_new(h->version, items);
    int changed = !json_equal(r, h->report);
    json_decref(h->report);
    h->report = r;
    return changed;
}

/* ---- one host's session, driven by its loop ---- */

struct loop {
    int index, epfd;
    long long next_timer; /* the earliest due of its hosts, or later */
};

static void want(struct loop *l, struct sim_host *h, int events)
{
    if (h->events == events)
        return;
    struct epoll_event ev = {.events = (uint32_t)events, .data.ptr = h};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, h->fd, &ev) == 0)
        h->events = events;
}

static void due(struct loop *l, struct sim_host *h, long long at)
{
    h->due_ms = at;
    if (at < l->next_timer)
        l->next_timer = at;
}

static void disconnect(struct loop *l, struct sim_host *h, enum sim_state to)
{
    if (h->ssl) {
        SSL_free(h->ssl);
        h->ssl = NULL;
    }
    if (h->fd >= 0) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
        close(h->fd);
    }
    h->fd = -1;
    h->events = 0;
    free(h->out);
    h->out = NULL;
    if (h->said_hello)
        __atomic_sub_fetch(&stats.up, 1, __ATOMIC_RELAXED);
    h->said_hello = h->hello_sent = 0;
    h->st = to;
    ERR_clear_error();
    if (to == ST_DOWN)
        due(l, h, now_ms() + RECONNECT_MS);
}

static void fail(struct loop *l, struct sim_host *h, const char *why)
{
    if (__atomic_fetch_add(&stats.failures, 1, __ATOMIC_RELAXED) < 20)
        fprintf(stderr, "yun host simulate: %s (h%04d): %s (reconnecting)\n", h->id, h->index, why);
    disconnect(l, h, ST_DOWN);
}

static void drive(struct loop *l, struct sim_host *h);

static void send_msg(struct loop *l, struct sim_host *h, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    size_t n = text ? strlen(text) : 0;
    free(h->out);
    h->out = text ? realloc(text, n + 1) : NULL;
    if (!h->out) {
        free(text);
        fail(l, h, "out of memory");
        return;
    }
    h->out[n] = '\n';
    h->outlen = n + 1;
    h->outoff = 0;
    h->st = ST_SEND;
    h->sent_ms = now_us();
    drive(l, h);
}

static void heartbeat(struct loop *l, struct sim_host *h)
{
    send_msg(l, h, host_heartbeat_msg(h->version, json_incref(h->report)));
}

static void answer(struct loop *l, struct sim_host *h, char *line)
{
    long long lat = now_us() - h->sent_ms, now = now_ms();
    json_t *ans = json_loads(line, 0, NULL);
    if (!json_is_true(json_object_get(ans, "ok"))) {
        const char *why = json_string_value(json_object_get(ans, "error"));
        if (why && strstr(why, "not (or no longer) joined")) {
            fprintf(stderr, "yun host simulate: %s is no longer joined: stopped\n", h->id);
            disconnect(l, h, ST_GONE);
        } else
            fail(l, h, why ? why : "no answer");
        json_decref(ans);
        return;
    }
    h->st = ST_IDLE;
    if (!h->said_hello) {
        h->said_hello = 1;
        int up = __atomic_add_fetch(&stats.up, 1, __ATOMIC_RELAXED);
        static int announced;
        if (up == opt->count && !__atomic_exchange_n(&announced, 1, __ATOMIC_RELAXED)) {
            printf("{\"Hosts\": %d, \"State\": \"UP\", \"Simulated\": true, \"HeartbeatSeconds\": %d}\n", opt->count,
                   HOST_HEARTBEAT_SECONDS);
            fflush(stdout);
        }
        due(l, h, now); /* the first heartbeat fetches the document at once */
        json_decref(ans);
        return;
    }
    __atomic_add_fetch(&stats.beats, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&stats.lat_us, lat, __ATOMIC_RELAXED);
    long long max = __atomic_load_n(&stats.lat_max_us, __ATOMIC_RELAXED);
    while (lat > max &&
           !__atomic_compare_exchange_n(&stats.lat_max_us, &max, lat, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    const char *version = json_string_value(json_object_get(ans, "Version"));
    json_t *doc = json_object_get(ans, "Document");
    int changed = 0;
    if (version && strlen(version) == HOST_DOC_VERSION_LEN - 1 && json_is_object(doc)) {
        __atomic_add_fetch(&stats.docs, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&stats.doc_bytes, (long long)strlen(line), __ATOMIC_RELAXED);
        json_decref(h->doc);
        h->doc = json_incref(doc);
        snprintf(h->version, sizeof h->version, "%s", version);
        changed = sim_pass(h, now);
    }
    json_decref(ans);
    due(l, h, changed ? now : now + HOST_HEARTBEAT_SECONDS * 1000);
    if (h->repass_ms)
        due(l, h, h->due_ms < h->repass_ms ? h->due_ms : h->repass_ms);
}

static int ssl_want(struct loop *l, struct sim_host *h, int rc)
{
    int e = SSL_get_error(h->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        want(l, h, EPOLLIN);
    else if (e == SSL_ERROR_WANT_WRITE)
        want(l, h, EPOLLOUT);
    else
        return -1;
    return 0;
}

static void drive(struct loop *l, struct sim_host *h)
{
    char why[256];
    switch (h->st) {
    case ST_CONNECT: {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
            snprintf(why, sizeof why, "cannot connect to %s: %s", opt->control, strerror(err ? err : errno));
            fail(l, h, why);
            return;
        }
        h->ssl = SSL_new(ctx);
        if (!h->ssl || SSL_use_certificate(h->ssl, h->cert) != 1 || SSL_use_PrivateKey(h->ssl, h->key) != 1 ||
            SSL_set_fd(h->ssl, h->fd) != 1) {
            fail(l, h, "cannot make the TLS session");
            return;
        }
        h->st = ST_HANDSHAKE;
    }
        /* fall through */
    case ST_HANDSHAKE: {
        int rc = SSL_connect(h->ssl);
        if (rc != 1) {
            if (ssl_want(l, h, rc) != 0) {
                tls_error(why, sizeof why);
                fail(l, h, why);
            }
            return;
        }
        X509 *peer = SSL_get0_peer_certificate(h->ssl);
        if (SSL_get_verify_result(h->ssl) != X509_V_OK || !tls_cert_is_control(peer)) {
            fail(l, h, "the server is not the region's control plane");
            return;
        }
        __atomic_add_fetch(&stats.connects, 1, __ATOMIC_RELAXED);
        json_t *f = facts_of(h->index);
        h->hello_sent = 1;
        send_msg(l, h, json_pack("{s:s,s:o}", "op", "hello", "facts", f));
        return;
    }
    case ST_SEND:
        while (h->outoff < h->outlen) {
            size_t w = 0;
            int rc = SSL_write_ex(h->ssl, h->out + h->outoff, h->outlen - h->outoff, &w);
            if (rc != 1) {
                if (ssl_want(l, h, rc) != 0)
                    fail(l, h, "the connection failed while sending");
                return;
            }
            h->outoff += w;
        }
        free(h->out);
        h->out = NULL;
        h->st = ST_RECV;
        h->inlen = 0;
        want(l, h, EPOLLIN);
        return;
    case ST_RECV:
        for (;;) {
            if (h->incap - h->inlen < 4096) {
                size_t cap = h->incap ? 2 * h->incap : 16384;
                char *more = cap <= HOST_ANSWER_MAX + 16384 ? realloc(h->in, cap) : NULL;
                if (!more) {
                    fail(l, h, "an answer is larger than HOST_ANSWER_MAX");
                    return;
                }
                h->in = more;
                h->incap = cap;
            }
            size_t got = 0;
            int rc = SSL_read_ex(h->ssl, h->in + h->inlen, h->incap - h->inlen - 1, &got);
            if (rc != 1) {
                if (ssl_want(l, h, rc) != 0)
                    fail(l, h, "the control plane closed the connection");
                return;
            }
            char *nl = memchr(h->in + h->inlen, '\n', got);
            h->inlen += got;
            if (nl) { /* one answer per request: nothing follows it */
                *nl = 0;
                answer(l, h, h->in);
                if (h->incap > BUF_KEEP) {
                    free(h->in);
                    h->in = NULL;
                    h->incap = 0;
                }
                h->inlen = 0;
                return;
            }
        }
    case ST_IDLE: { /* nothing is due from the control plane between answers: a close, or a stray line */
        char b[256];
        size_t got = 0;
        int rc = SSL_read_ex(h->ssl, b, sizeof b, &got);
        if (rc == 1 || ssl_want(l, h, rc) != 0)
            fail(l, h, rc == 1 ? "the control plane sent what was not asked" : "the control plane closed the session");
        return;
    }
    default:
        return;
    }
}

static void host_connect(struct loop *l, struct sim_host *h)
{
    char host[256], why[300];
    snprintf(host, sizeof host, "%.*s", (int)strcspn(opt->control, ","), opt->control);
    char *colon = strrchr(host, ':');
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (!colon) {
        fail(l, h, "--control is not HOST:PORT");
        return;
    }
    *colon = 0;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(why, sizeof why, "%s: %s", opt->control, gai_strerror(rc));
        fail(l, h, why);
        return;
    }
    h->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->fd >= 0 && opt->bind_from && ai->ai_family == AF_INET) {
        /* host i's session comes from --bind-from + i: the control plane takes it as the host's underlay, so
         * the plans hold the other hosts of each VPC, as a region's do */
        struct sockaddr_in from = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, opt->bind_from, &from.sin_addr) == 1) {
            from.sin_addr.s_addr = htonl(ntohl(from.sin_addr.s_addr) + (uint32_t)h->index);
            if (bind(h->fd, (struct sockaddr *)&from, sizeof from) != 0) {
                snprintf(why, sizeof why, "cannot bind to the address of --bind-from + %d: %s", h->index,
                         strerror(errno));
                freeaddrinfo(ai);
                close(h->fd);
                h->fd = -1;
                fail(l, h, why);
                return;
            }
        }
    }
    rc = h->fd >= 0 ? connect(h->fd, ai->ai_addr, ai->ai_addrlen) : -1;
    freeaddrinfo(ai);
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = h};
    if ((rc != 0 && errno != EINPROGRESS) || epoll_ctl(l->epfd, EPOLL_CTL_ADD, h->fd, &ev) != 0) {
        snprintf(why, sizeof why, "cannot connect to %s: %s", opt->control, strerror(errno));
        fail(l, h, why);
        return;
    }
    h->events = EPOLLOUT;
    h->st = ST_CONNECT;
}

static void stats_print(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long beats = __atomic_load_n(&stats.beats, __ATOMIC_RELAXED);
    fprintf(
        stderr,
        "{\"Simulator\": {\"Hosts\": %d, \"Up\": %d, \"Heartbeats\": %lld, \"Documents\": %lld, \"DocumentBytes\": "
        "%lld, \"AnswerAvgMs\": %.2f, \"AnswerMaxMs\": %.1f, \"Connects\": %lld, \"Failures\": %lld, \"CpuSeconds\": "
        "%.2f, \"MaxRssKiB\": %ld}}\n",
        opt->count, __atomic_load_n(&stats.up, __ATOMIC_RELAXED), beats, __atomic_load_n(&stats.docs, __ATOMIC_RELAXED),
        __atomic_load_n(&stats.doc_bytes, __ATOMIC_RELAXED),
        beats ? (double)__atomic_load_n(&stats.lat_us, __ATOMIC_RELAXED) / (double)beats / 1000.0 : 0.0,
        (double)__atomic_load_n(&stats.lat_max_us, __ATOMIC_RELAXED) / 1000.0,
        __atomic_load_n(&stats.connects, __ATOMIC_RELAXED), __atomic_load_n(&stats.failures, __ATOMIC_RELAXED),
        (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
        ru.ru_maxrss);
}

static int nloops = 1;

static void *loop_run(void *arg)
{
    struct loop *l = arg;
    struct epoll_event evs[256];
    long long next_stats = now_ms() + STATS_MS;
    /* the first connections spread over a heartbeat's time, as machines that were not started at once */
    for (int i = l->index; i < opt->count; i += nloops)
        due(l, &hosts[i], now_ms() + (long long)i * HOST_HEARTBEAT_SECONDS * 1000 / (opt->count ? opt->count : 1));
    while (!stopping) {
        long long now = now_ms();
        if (now >= l->next_timer) {
            l->next_timer = now + 1000;
            for (int i = l->index; i < opt->count; i += nloops) {
                struct sim_host *h = &hosts[i];
                if (h->st == ST_DOWN && h->due_ms <= now)
                    host_connect(l, h);
                else if (h->st == ST_IDLE && h->repass_ms && h->repass_ms <= now && sim_pass(h, now))
                    due(l, h, now);
                if (h->st == ST_IDLE && h->due_ms <= now)
                    heartbeat(l, h);
                if ((h->st == ST_DOWN || h->st == ST_IDLE) && h->due_ms < l->next_timer)
                    l->next_timer = h->due_ms;
                if (h->st == ST_IDLE && h->repass_ms && h->repass_ms < l->next_timer)
                    l->next_timer = h->repass_ms;
            }
        }
        if (l->index == 0 && (now >= next_stats || stats_asked)) {
            stats_asked = 0;
            stats_print();
            next_stats = now + STATS_MS;
        }
        long long wait = l->next_timer - now_ms();
        int n = epoll_wait(l->epfd, evs, 256, wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait);
        for (int k = 0; k < n; k++)
            drive(l, evs[k].data.ptr);
    }
    for (int i = l->index; i < opt->count; i += nloops)
        if (hosts[i].st != ST_GONE)
            disconnect(l, &hosts[i], ST_GONE);
    return NULL;
}

int host_simulate_run(const struct sim_options *o)
{
    opt = o;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    if (mkdir_p(o->data, 0700) != 0) {
        fprintf(stderr, "yun host simulate: cannot create %s: %s\n", o->data, strerror(errno));
        return 1;
    }
    if (tokens_read(o->tokens) != 0) {
        fprintf(stderr, "yun host simulate: cannot read %s: %s\n", o->tokens, strerror(errno));
        return 1;
    }
    hosts = calloc((size_t)o->count, sizeof *hosts);
    if (!hosts)
        return 1;
    for (int i = 0; i < o->count; i++) {
        hosts[i].index = i;
        hosts[i].fd = -1;
        snprintf(hosts[i].dir, sizeof hosts[i].dir, "%s/h%04d", o->data, i);
    }
    long long t0 = now_ms();
    pthread_t joiners[JOIN_THREADS];
    int started = 0;
    for (int i = 0; i < JOIN_THREADS; i++)
        started += pthread_create(&joiners[started], NULL, join_loop, NULL) == 0;
    for (int i = 0; i < started; i++)
        pthread_join(joiners[i], NULL);
    fprintf(stderr, "yun host simulate: %d host(s) joined now in %.1f s, %d refused\n", joined_now,
            (double)(now_ms() - t0) / 1000.0, join_failed);
    int loaded = 0;
    for (int i = 0; i < o->count; i++)
        loaded += identity_load(&hosts[i]) == 0;
    if (loaded != o->count || stopping) {
        fprintf(stderr, "yun host simulate: %d of %d hosts hold a usable identity in %s\n", loaded, o->count, o->data);
        return 1;
    }
    printf("{\"Hosts\": %d, \"Joined\": true, \"Simulated\": true, \"Data\": \"%s\"}\n", o->count, o->data);
    fflush(stdout);
    char ca[1200];
    snprintf(ca, sizeof ca, "%s/ca.crt", hosts[0].dir);
    ctx = tls_ctx_new(0);
    if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        fprintf(stderr, "yun host simulate: %s is not a usable CA certificate\n", ca);
        return 1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    nloops = o->threads < 1 ? 1 : o->threads > MAX_LOOPS ? MAX_LOOPS : o->threads;
    struct loop loops[MAX_LOOPS];
    pthread_t tids[MAX_LOOPS];
    for (int t = 0; t < nloops; t++) {
        loops[t] = (struct loop){.index = t, .epfd = epoll_create1(EPOLL_CLOEXEC), .next_timer = 0};
        if (loops[t].epfd < 0 || (t > 0 && pthread_create(&tids[t], NULL, loop_run, &loops[t]) != 0)) {
            fprintf(stderr, "yun host simulate: cannot start its event loops\n");
            return 1;
        }
    }
    loop_run(&loops[0]);
    for (int t = 1; t < nloops; t++)
        pthread_join(tids[t], NULL);
    stats_print();
    for (int i = 0; i < o->count; i++) {
        X509_free(hosts[i].cert);
        EVP_PKEY_free(hosts[i].key);
        json_decref(hosts[i].doc);
        json_decref(hosts[i].report);
        free(hosts[i].in);
        free(hosts[i].boots);
    }
    free(hosts);
    SSL_CTX_free(ctx);
    return 0;
}
