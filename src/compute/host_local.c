/*
 * host_local: the built-in host's channel, in-process. The built-in host of `yun up` is realised by the code that
 * realises a joined host's documents (src/host/realise.c): this file is its session. One thread makes the host's
 * document (host_doc_current, as a heartbeat's answer does: made again only when it may have changed) whenever an
 * action kicks it (compute_kick, after the action's commit), the realiser's pass changed its report, or 250 ms passed
 * (security groups and addresses the API changed), offers it to the realiser, and applies the realiser's report
 * (host_doc_report, the joined hosts' rule table) when it changed, or every HOST_HEARTBEAT_SECONDS as a heartbeat
 * would. What a joined host asks over the channel is answered here directly: an image part is the control plane's own
 * file (only an image an instance placed on this host runs, host_doc_image_part), a metadata request compute's answer.
 * Its cloud disks and snapshots are its document's too (block's host_disks.c, files under DATA/disks and
 * DATA/snapshots), made, plugged, copied and removed by the realiser as a joined host's are.
 * Live migration's streams are mutual TLS with the hosts' region certificates (realise.c's migration_tls): what a
 * joined host keeps from its join, DATA/ca.crt, host.key and host.crt, is made here at the start, and re-issued
 * when it is not the current CA's, not of the key, or near its end.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "compute/compute.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "core/tls.h"
#include "host/realise.h"

#define IDLE_MS        250
#define START_WAIT_MS  10000
#define URGENT_MS      50 /* a guest paused here waits for its move to be recorded */
#define CERT_DAYS      365
#define CERT_RENEW_DAY 30 /* a certificate this close to its end is issued anew */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static int running, kicked, applied_once;

void compute_kick(void)
{
    pthread_mutex_lock(&mu);
    kicked = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static int image_part(const char *image, const char *part, char *path, size_t len, char *err, size_t errlen)
{
    struct store *s = store_thread();
    int rc = s ? host_doc_image_part(s, compute_env.host_id, image, part, path, len) : -1;
    if (rc == 1 && access(path, R_OK) == 0)
        return 0;
    snprintf(err, errlen, "image %s has no %s this host may read%s", image, part, rc == 1 ? " (its file is gone)" : "");
    return -1;
}

static void md_answer(const char *vpc_id, const char *ip, const char *method, const char *path, struct md_reply *r)
{
    struct store *s = store_thread();
    if (!s) {
        static const char busy[] = "the metadata service is unavailable\n";
        r->status = 503;
        r->body = strdup(busy);
        r->len = r->body ? strlen(busy) : 0;
        return;
    }
    metadata_answer(s, compute_env.host_id, vpc_id, ip, method, path, r);
}

static void *loop(void *arg)
{
    (void)arg;
    struct store *s = store_thread();
    json_t *applied = NULL; /* the last report applied */
    char offered[HOST_DOC_VERSION_LEN] = "";
    int64_t applied_ms = 0;
    pthread_mutex_lock(&mu);
    while (running && s) {
        kicked = 0;
        pthread_mutex_unlock(&mu);
        char version[HOST_DOC_VERSION_LEN], have[HOST_DOC_VERSION_LEN];
        json_t *doc = NULL;
        /* made again only when it may have changed (the joined hosts' cache): an idle host costs a count */
        int ok = host_doc_current(s, compute_env.host_id, 0, &doc, version) == 0;
        if (ok && !doc && strcmp(version, offered) != 0)
            ok = host_doc_current(s, compute_env.host_id, 1, &doc, version) == 0 && doc;
        int again = 0;
        if (ok) {
            if (doc)
                realise_offer(doc, version);
            snprintf(offered, sizeof offered, "%s", version);
            json_decref(doc);
            json_t *r = realise_report(have);
            if (r && (!json_equal(r, applied) || time_now_ms() - applied_ms >= HOST_HEARTBEAT_SECONDS * 1000)) {
                again = host_doc_report(s, compute_env.host_id, r, version) > 0; /* told at once */
                pthread_mutex_lock(&mu);
                applied_once = 1;
                pthread_cond_broadcast(&cv);
                pthread_mutex_unlock(&mu);
                json_decref(applied);
                applied = json_incref(r);
                applied_ms = time_now_ms();
            }
            json_decref(r);
        }
        pthread_mutex_lock(&mu);
        if (running && !again && !kicked) {
            struct timespec until;
            time_deadline(&until, realise_urgent() ? URGENT_MS : IDLE_MS);
            pthread_cond_timedwait(&cv, &mu, &until);
        }
    }
    pthread_mutex_unlock(&mu);
    json_decref(applied);
    return NULL;
}

/* path's text is text, else it is written (0600, atomically): 0, or -1 with err. */
static int keep_file(const char *path, const char *text, char *err, size_t errlen)
{
    char *had = NULL;
    int same = file_read_all(path, &had, NULL) == 0 && had && !strcmp(had, text);
    free(had);
    if (same || file_write_atomic(path, text, strlen(text), 0600) == 0)
        return 0;
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return -1;
}

/* The built-in host's certificate in DATA/host.crt is usable: the CA's, of key, named host-local as hosts' are
 * issued now (client and server, its DNS name), and not within CERT_RENEW_DAY days of its end. */
static int cert_usable(const char *pem, const struct tls_ca *ca, EVP_PKEY *key)
{
    X509 *cert = pem ? tls_cert_parse(pem) : NULL;
    char cn[64] = "";
    if (cert)
        tls_cert_cn(cert, cn, sizeof cn);
    time_t soon = time(NULL) + (time_t)CERT_RENEW_DAY * 86400;
    int ok = cert && X509_verify(cert, X509_get0_pubkey(ca->cert)) == 1 && X509_check_private_key(cert, key) == 1 &&
             !strcmp(cn, compute_env.host_id) && tls_host_cert_current(cert) &&
             X509_cmp_time(X509_get0_notAfter(cert), &soon) > 0;
    ERR_clear_error();
    X509_free(cert);
    return ok;
}

/* DATA/ca.crt (the region CA's certificate), DATA/host.key (P-256, PKCS#8 PEM, kept across restarts) and
 * DATA/host.crt (signed by the CA as a joined host's is at its join): the credentials of its moves' streams. */
static int credentials(struct store *s, char *err, size_t errlen)
{
    struct tls_ca ca = {0};
    if (host_ca_get(s, compute_env.cfg->region, &ca, err, errlen) != 0)
        return -1;
    char path[700], *key_pem = NULL, *cert_pem = NULL, *ca_pem = tls_cert_pem(ca.cert);
    EVP_PKEY *key = NULL;
    int rc = -1;
    snprintf(path, sizeof path, "%.600s/ca.crt", compute_env.data_dir);
    if (!ca_pem || keep_file(path, ca_pem, err, errlen) != 0)
        goto out;
    snprintf(path, sizeof path, "%.600s/host.key", compute_env.data_dir);
    key = file_read_all(path, &key_pem, NULL) == 0 && key_pem ? tls_key_parse(key_pem) : NULL;
    if (!key) { /* none yet, or unreadable: a new key, and so a new certificate */
        free(key_pem);
        key = tls_key_new();
        key_pem = key ? tls_key_pem(key) : NULL;
        if (!key_pem || keep_file(path, key_pem, err, errlen) != 0)
            goto out;
    }
    snprintf(path, sizeof path, "%.600s/host.crt", compute_env.data_dir);
    if (file_read_all(path, &cert_pem, NULL) != 0 || !cert_usable(cert_pem, &ca, key)) {
        X509 *cert = tls_ca_sign(&ca, key, compute_env.host_id, CERT_DAYS, 1);
        free(cert_pem);
        cert_pem = cert ? tls_cert_pem(cert) : NULL;
        X509_free(cert);
        if (!cert_pem || keep_file(path, cert_pem, err, errlen) != 0)
            goto out;
        log_info("host %s: a new host certificate in %s (for live migration)", compute_env.host_id, path);
    }
    rc = 0;
out:
    if (rc != 0 && !err[0])
        tls_error(err, errlen);
    ERR_clear_error();
    free(ca_pem);
    free(key_pem);
    free(cert_pem);
    EVP_PKEY_free(key);
    tls_ca_close(&ca);
    return rc;
}

int host_local_start(struct store *s, char *err, size_t errlen)
{
    char why[300] = "";
    if (credentials(s, why, sizeof why) != 0) /* its guests run without: only its moves would fail */
        log_error("host %s: no credentials for live migration: %s", compute_env.host_id, why);
    struct realise_conf c = {.data = compute_env.data_dir,
                             .accel = compute_env.accel,
                             .boot_limit = compute_env.cfg->boot_concurrency,
                             .own_network = 1,
                             .image_part = image_part,
                             .metadata = md_answer,
                             .wake = compute_kick};
    if (realise_start(&c) != 0) {
        snprintf(err, errlen, "cannot start the built-in host's realiser");
        return -1;
    }
    running = 1;
    if (pthread_create(&thread, NULL, loop, NULL) != 0) {
        running = 0;
        realise_stop();
        snprintf(err, errlen, "cannot start the built-in host's channel");
        return -1;
    }
    /* what the host found at start (guests that died while yund was down, QEMUs of no instance) is in the store
     * before the API answers: the first report applied, or START_WAIT_MS */
    struct timespec until;
    time_deadline(&until, START_WAIT_MS);
    pthread_mutex_lock(&mu);
    while (!applied_once && pthread_cond_timedwait(&cv, &mu, &until) == 0)
        ;
    pthread_mutex_unlock(&mu);
    return 0;
}

void host_local_stop(void)
{
    pthread_mutex_lock(&mu);
    int was = running;
    running = 0;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (!was)
        return;
    pthread_join(thread, NULL);
    realise_stop();
}
