/*
 * agent: the host's end of the host channel (`yun host join`, see compute/host_channel.h). The
 * first run joins: it connects without checking the server's certificate chain in OpenSSL, then
 * accepts the server only if the chain it sent holds a CA whose sha256 is the token's pin and
 * that CA signed the server's certificate, and only then sends the token (a wrong pin never sees
 * it). It sends a CSR of a key made here, and keeps in DIR: host.key (0600), host.crt, ca.crt
 * and host.json. Every run then connects with mutual TLS against ca.crt, says hello with the
 * machine's facts (cores, memory, the disk under DIR, accelerator) and heartbeats every
 * HOST_HEARTBEAT_SECONDS, reconnecting after a lost connection, in the foreground. Each heartbeat
 * carries the realiser's report (realise.c) and its answer the document when it changed; the instances'
 * console tails go on connections of their own (console_push.c).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "compute/host_channel.h"
#include "core/tls.h"
#include "host/agent.h"
#include "host/ask.h"
#include "host/console_push.h"
#include "host/dial.h"
#include "host/hypervisor.h"
#include "host/net.h"
#include "host/realise.h"
#include "host/report.h"

struct paths {
    char key[1100], cert[1100], ca[1100], state[1100];
};

static void facts(const char *data, const char *zone, json_t **out)
{
    char hostname[128] = "", why[256] = "";
    gethostname(hostname, sizeof hostname - 1);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long long mib = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / (1024 * 1024);
    struct statvfs vfs;
    long long gib = statvfs(data, &vfs) == 0 ? (long long)vfs.f_blocks * (long long)vfs.f_frsize >> 30 : 0;
    const char *accel = hv_detect_accel(why, sizeof why);
    *out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:b}", "hostname", hostname, "zone", zone ? zone : "", "cores",
                     (json_int_t)(cores < 1 ? 1 : cores), "memory_mib", (json_int_t)mib, "disk_gib", (json_int_t)gib,
                     "accel", accel, "accel_reason", why, "realises", 1);
}

/* The server is the region's when the chain it sent holds the pinned CA and that CA issued its certificate. */
static int pinned(SSL *ssl, const char *pin, char *err, size_t errlen)
{
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    char seen[65] = "none";
    for (int i = 0; leaf && chain && i < sk_X509_num(chain); i++) {
        X509 *c = sk_X509_value(chain, i);
        char h[65];
        if (tls_cert_sha256(c, h) != 0)
            continue;
        if (c != leaf && X509_check_ca(c))
            snprintf(seen, sizeof seen, "%s", h);
        if (strcmp(h, pin) == 0 && X509_check_ca(c) && X509_check_issued(c, leaf) == X509_V_OK &&
            X509_verify(leaf, X509_get0_pubkey(c)) == 1 && X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0) == 1 &&
            tls_cert_is_control(leaf))
            return 0;
    }
    ERR_clear_error();
    snprintf(err, errlen, "the control plane's CA (sha256 %s) is not the one the token pins (%s): refused", seen, pin);
    return -1;
}

static int write_file(const char *path, const char *text, int mode, char *err, size_t errlen)
{
    if (file_write_atomic(path, text, strlen(text), mode) == 0)
        return 0;
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return -1;
}

static void paths_of(const char *data, struct paths *p)
{
    snprintf(p->key, sizeof p->key, "%s/host.key", data);
    snprintf(p->cert, sizeof p->cert, "%s/host.crt", data);
    snprintf(p->ca, sizeof p->ca, "%s/ca.crt", data);
    snprintf(p->state, sizeof p->state, "%s/host.json", data);
}

int host_agent_join(const char *control, const char *token_text, const char *data, json_t *f, char host_id[64],
                    char *err, size_t errlen)
{
    struct paths paths, *p = &paths;
    paths_of(data, p);
    struct join_token t;
    if (join_token_parse(token_text, &t) != 0) {
        snprintf(err, errlen, "the token is not <id>.<secret>.<ca sha256>");
        return -1;
    }
    EVP_PKEY *key = tls_key_new();
    char *csr = key ? tls_csr_pem(key, "host") : NULL, *key_pem = key ? tls_key_pem(key) : NULL;
    SSL_CTX *ctx = tls_ctx_new(0);
    int fd = -1, rc = -1;
    SSL *ssl = NULL;
    json_t *ans = NULL;
    if (!csr || !key_pem || !ctx) {
        snprintf(err, errlen, "cannot make the host's key");
        goto out;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* checked by the pin below, before anything is sent */
    if ((fd = agent_dial(control, err, errlen)) < 0)
        goto out;
    ssl = SSL_new(ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
        char why[256];
        tls_error(why, sizeof why);
        snprintf(err, errlen, "TLS with %s failed: %s", control, why);
        goto out;
    }
    if (pinned(ssl, t.ca_sha256, err, errlen) != 0)
        goto out;
    ans =
        agent_exchange(ssl, json_pack("{s:s,s:s,s:s,s:O}", "op", "join", "token", token_text, "csr", csr, "facts", f));
    if (!ans) {
        snprintf(err, errlen, "the control plane closed the connection without an answer");
        goto out;
    }
    const char *id = json_string_value(json_object_get(ans, "host_id"));
    const char *cert = json_string_value(json_object_get(ans, "cert"));
    const char *ca = json_string_value(json_object_get(ans, "ca"));
    if (!json_is_true(json_object_get(ans, "ok")) || !id || !cert || !ca) {
        const char *why = json_string_value(json_object_get(ans, "error"));
        snprintf(err, errlen, "the control plane refused the join: %s", why ? why : "no reason given");
        goto out;
    }
    char state[512];
    snprintf(state, sizeof state, "{\"HostId\": \"%s\", \"Control\": \"%s\"}\n", id, control);
    if (write_file(p->key, key_pem, 0600, err, errlen) || write_file(p->ca, ca, 0600, err, errlen) ||
        write_file(p->state, state, 0600, err, errlen) || write_file(p->cert, cert, 0600, err, errlen))
        goto out;
    snprintf(host_id, 64, "%s", id);
    rc = 0;
out:
    json_decref(ans);
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    if (key_pem)
        OPENSSL_cleanse(key_pem, strlen(key_pem));
    free(key_pem);
    free(csr);
    EVP_PKEY_free(key);
    return rc;
}

/* The session waits a heartbeat's time, or less when the realiser has something to report. */
static pthread_mutex_t beat_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t beat_cv = PTHREAD_COND_INITIALIZER;
static int beat_now;

static void wake(void)
{
    pthread_mutex_lock(&beat_mu);
    beat_now = 1;
    pthread_cond_signal(&beat_cv);
    pthread_mutex_unlock(&beat_mu);
}

static void beat_wait(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (realise_urgent()) { /* a guest paused here waits for the move to be recorded */
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    } else
        until.tv_sec += HOST_HEARTBEAT_SECONDS;
    pthread_mutex_lock(&beat_mu);
    while (!beat_now && pthread_cond_timedwait(&beat_cv, &beat_mu, &until) == 0)
        ;
    beat_now = 0;
    pthread_mutex_unlock(&beat_mu);
}

static json_t *heartbeat(void)
{
    char have[HOST_DOC_VERSION_LEN];
    json_t *r = realise_report(have);
    return host_heartbeat_msg(have, r);
}

/* A certificate the hello handed over in place of an older one (hosts' certificates serve live migration
 * now): kept once it is the CA's, of this host's key and name. */
static void keep_renewed(const char *data, const char *host_id, const char *pem)
{
    char path[1100], cn[64], *ca_pem = NULL, *key_pem = NULL;
    snprintf(path, sizeof path, "%s/ca.crt", data);
    file_read_all(path, &ca_pem, NULL);
    snprintf(path, sizeof path, "%s/host.key", data);
    file_read_all(path, &key_pem, NULL);
    X509 *cert = tls_cert_parse(pem), *ca = ca_pem ? tls_cert_parse(ca_pem) : NULL;
    EVP_PKEY *key = key_pem ? tls_key_parse(key_pem) : NULL;
    tls_cert_cn(cert, cn, sizeof cn);
    snprintf(path, sizeof path, "%s/host.crt", data);
    if (cert && ca && key && X509_verify(cert, X509_get0_pubkey(ca)) == 1 && X509_check_private_key(cert, key) == 1 &&
        !strcmp(cn, host_id) && tls_host_cert_current(cert) && file_write_atomic(path, pem, strlen(pem), 0600) == 0)
        fprintf(stderr, "yun host: %s holds a renewed host certificate (for live migration)\n", path);
    else
        fprintf(stderr, "yun host: the renewed certificate the control plane sent is not usable: kept the old one\n");
    ERR_clear_error();
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    free(key_pem);
    free(ca_pem);
}

/* One mutual-TLS session: hello, then heartbeats until it fails, each answer's document handed to
 * the realiser. 1 = refused for good (not joined, revoked). */
static int session(SSL_CTX *ctx, const char *control, const char *data, const char *host_id, int *announced)
{
    char err[512];
    int gone = 0;
    SSL *ssl = agent_connect(ctx, control, err, sizeof err);
    if (!ssl) {
        fprintf(stderr, "yun host: %s: %s (retrying)\n", control, err);
        return 0;
    }
    json_t *f;
    facts(data, NULL, &f);
    json_t *ans = agent_exchange(ssl, json_pack("{s:s,s:o}", "op", "hello", "facts", f));
    const char *renewed = json_string_value(json_object_get(ans, "cert"));
    if (renewed && json_is_true(json_object_get(ans, "ok")))
        keep_renewed(data, host_id, renewed);
    int first = 1;
    while (ans && json_is_true(json_object_get(ans, "ok"))) {
        const char *version = json_string_value(json_object_get(ans, "Version"));
        json_t *doc = json_object_get(ans, "Document");
        if (version && strlen(version) == HOST_DOC_VERSION_LEN - 1 && json_is_object(doc))
            realise_offer(doc, version);
        json_decref(ans);
        if (!*announced) {
            printf("{\"HostId\": \"%s\", \"State\": \"UP\", \"HeartbeatSeconds\": %d}\n", host_id,
                   HOST_HEARTBEAT_SECONDS);
            fflush(stdout);
            *announced = 1;
        }
        if (!first)
            beat_wait();
        first = 0; /* the first heartbeat fetches the document at once */
        ans = agent_exchange(ssl, heartbeat());
    }
    if (ans) {
        const char *why = json_string_value(json_object_get(ans, "error"));
        fprintf(stderr, "yun host: the control plane refused %s: %s\n", host_id, why ? why : "no reason given");
        gone = why && strstr(why, "not (or no longer) joined");
        json_decref(ans);
    } else {
        fprintf(stderr, "yun host: lost the connection to %s (reconnecting)\n", control);
    }
    *announced = 0;
    agent_close(ssl);
    return gone;
}

int host_agent_run(const char *control, const char *token, const char *data, const char *zone, const char *uplink)
{
    char err[600];
    struct paths p;
    signal(SIGPIPE, SIG_IGN);
    if (mkdir_p(data, 0700) != 0) {
        fprintf(stderr, "yun host join: cannot create %s: %s\n", data, strerror(errno));
        return 1;
    }
    paths_of(data, &p);
    if (access(p.cert, F_OK) != 0) {
        if (!token) {
            fprintf(stderr, "yun host join: %s holds no host certificate yet: --token is needed\n", data);
            return 2;
        }
        json_t *f;
        char joined[64];
        facts(data, zone, &f);
        int rc = host_agent_join(control, token, data, f, joined, err, sizeof err);
        json_decref(f);
        if (rc != 0) {
            fprintf(stderr, "yun host join: %s\n", err);
            return 1;
        }
        printf("{\"HostId\": \"%s\", \"Joined\": true}\n", joined);
        fflush(stdout);
    }
    json_t *state = json_load_file(p.state, 0, NULL);
    char host_id[64] = "";
    const char *id = json_string_value(json_object_get(state, "HostId"));
    if (id)
        snprintf(host_id, sizeof host_id, "%s", id);
    json_decref(state);
    SSL_CTX *ctx = tls_ctx_new(0);
    if (!host_id[0] || !ctx || SSL_CTX_use_certificate_file(ctx, p.cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, p.key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(ctx, p.ca, NULL) != 1) {
        tls_error(err, sizeof err);
        fprintf(stderr, "yun host join: %s does not hold a usable host identity: %s\n", data, err);
        SSL_CTX_free(ctx);
        return 1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (uplink)
        host_net_uplink_set(uplink); /* the public side (EIPs, masquerade) when not the default route's device */
    ask_init(ctx, control, data);
    struct realise_conf rc = {.data = data, .image_part = ask_image_part, .metadata = ask_metadata, .wake = wake};
    if (realise_start(&rc) != 0 || console_push_start(data, ctx, control) != 0) {
        fprintf(stderr, "yun host join: cannot start realising documents\n");
        SSL_CTX_free(ctx);
        return 1;
    }
    int announced = 0;
    while (session(ctx, control, data, host_id, &announced) == 0)
        sleep(1);
    console_push_stop();
    realise_stop();
    SSL_CTX_free(ctx);
    return 1;
}
