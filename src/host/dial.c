/*
 * dial: the host's connections to the control plane (dial.h), shared by the session (agent.c) and
 * what the host asks beside it (ask.c).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "compute/host_channel.h"
#include "core/tls.h"
#include "host/dial.h"

/* --control is one HOST:PORT or several, comma-separated: the control-plane processes of a region (on
 * one PostgreSQL store they share the CA and every host's document). A connection tries them in turn,
 * from the one that answered last, so a host follows the region when one process dies. */
#define MAX_CONTROLS 8
static pthread_mutex_t control_mu = PTHREAD_MUTEX_INITIALIZER;
static int control_last; /* index of the process that answered last, under control_mu */

static int dial_one(const char *control, char *err, size_t errlen);

int agent_dial(const char *controls, char *err, size_t errlen)
{
    char list[MAX_CONTROLS][256];
    int n = 0;
    for (const char *p = controls; *p && n < MAX_CONTROLS;) {
        size_t len = strcspn(p, ",");
        snprintf(list[n], sizeof list[n], "%.*s", (int)(len < 255 ? len : 255), p);
        n += len > 0;
        p += len + (p[len] == ',');
    }
    pthread_mutex_lock(&control_mu);
    int first = n ? control_last % n : 0;
    pthread_mutex_unlock(&control_mu);
    for (int k = 0; k < n; k++) {
        int i = (first + k) % n, fd = dial_one(list[i], err, errlen);
        if (fd >= 0) {
            pthread_mutex_lock(&control_mu);
            control_last = i;
            pthread_mutex_unlock(&control_mu);
            return fd;
        }
    }
    if (!n)
        snprintf(err, errlen, "--control names no HOST:PORT");
    return -1;
}

static int dial_one(const char *control, char *err, size_t errlen)
{
    char host[256];
    snprintf(host, sizeof host, "%s", control);
    char *colon = strrchr(host, ':');
    if (!colon) {
        snprintf(err, errlen, "--control %s is not HOST:PORT", control);
        return -1;
    }
    *colon = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", control, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = HOST_DOWN_SECONDS};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", control, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

json_t *agent_exchange(SSL *ssl, json_t *req)
{
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *line = malloc(HOST_ANSWER_MAX);
    json_t *ans = NULL;
    if (text && line && strlen(text) < HOST_REPORT_MAX && tls_write_line(ssl, text) == 0 &&
        tls_read_line(ssl, line, HOST_ANSWER_MAX) >= 0)
        ans = json_loads(line, 0, NULL);
    free(text);
    free(line);
    return ans;
}

SSL *agent_connect(SSL_CTX *ctx, const char *control, char *err, size_t errlen)
{
    int fd = agent_dial(control, err, errlen);
    SSL *ssl = fd >= 0 ? SSL_new(ctx) : NULL;
    if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1 ||
        X509_check_purpose(SSL_get0_peer_certificate(ssl), X509_PURPOSE_SSL_SERVER, 0) != 1 ||
        !tls_cert_is_control(SSL_get0_peer_certificate(ssl))) { /* a host's certificate serves migrations only */
        if (fd >= 0)
            tls_error(err, errlen);
        SSL_free(ssl);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    return ssl;
}

void agent_close(SSL *ssl)
{
    if (!ssl)
        return;
    int fd = SSL_get_fd(ssl);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    ERR_clear_error();
}
