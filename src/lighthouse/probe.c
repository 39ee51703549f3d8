/*
 * probe: does an application instance's application answer? (lh_probe_app, lighthouse_int.h)
 *
 * The blueprint's manifest says how to ask: ready_path "tcp:PORT" is a TCP connection to PORT;
 * a path ("/wp-admin/install.php") is an HTTP GET of it on app_port, and a 2xx or 3xx status line
 * is an answer (so WordPress is ready when PHP answers, not when Apache listens); empty is a TCP
 * connection to app_port.
 *
 * Cheap and bounded: a probe waits at most LH_PROBE_WAIT_MS (the caller gives it less when one
 * DescribeInstances has many instances starting: instance.c's budget per request). A
 * probe that has not finished by then stays in flight (one per instance, in a small table of this
 * process) and the next DescribeInstances looks at it again, so an application whose first
 * answer takes seconds (PHP under TCG) is asked once, not once per poll with a pile of aborted
 * requests. A probe older than LH_PROBE_GIVE_UP_MS, or of an older operation (a reset), is
 * dropped and asked again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lighthouse/lighthouse_int.h"

#define LH_PROBE_SLOTS      64
#define LH_PROBE_WAIT_MS    250
#define LH_PROBE_GIVE_UP_MS 60000

struct probe {
    char id[24];
    int64_t generation; /* the instance's latest_op_time when the probe started */
    int fd, sent, got, busy;
    int64_t started_ms;
    char buf[64];
};

static struct probe probes[LH_PROBE_SLOTS]; /* a free slot has no id (its fd is not looked at) */
static pthread_mutex_t probes_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void probe_drop(struct probe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    memset(p, 0, sizeof *p);
    p->fd = -1;
}

/* The port and the path (NULL for a TCP probe) of a blueprint's readiness check. */
static int probe_target(const struct lh_blueprint *bp, const char **path)
{
    *path = NULL;
    if (!strncmp(bp->ready_path, "tcp:", 4))
        return atoi(bp->ready_path + 4);
    if (bp->ready_path[0] == '/')
        *path = bp->ready_path;
    return (int)bp->app_port;
}

static int probe_start(struct probe *p, const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, ip, &a.sin_addr) != 1)
        return -1;
    p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        return -1;
    if (connect(p->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)
        return -1;
    p->started_ms = mono_ms();
    return 0;
}

/* 1 answered, 0 not yet (still in flight), -1 failed (refused, reset, a 4xx/5xx, closed early). */
static int probe_step(struct probe *p, const char *ip, const char *path, int wait_ms)
{
    int64_t deadline = mono_ms() + wait_ms;
    for (;;) {
        int left = (int)(deadline - mono_ms());
        struct pollfd pf = {.fd = p->fd, .events = p->sent ? POLLIN : POLLOUT};
        int r = poll(&pf, 1, left > 0 ? left : 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? 0 : -1;
        if (!p->sent) {
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
                return -1;
            if (!path)
                return 1; /* a TCP probe: connected */
            char req[512];
            int n =
                snprintf(req, sizeof req,
                         "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: yun-lighthouse-probe\r\nConnection: close\r\n\r\n",
                         path, ip);
            if (n <= 0 || n >= (int)sizeof req || send(p->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
                return -1;
            p->sent = 1;
            continue;
        }
        ssize_t n = recv(p->fd, p->buf + p->got, sizeof p->buf - 1 - (size_t)p->got, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return -1;
        p->got += (int)n;
        p->buf[p->got] = 0;
        /* "HTTP/1.1 200 OK": the status line's code is all that matters */
        int code = 0;
        if (p->got >= 12 || strchr(p->buf, '\n')) {
            if (strncmp(p->buf, "HTTP/", 5) != 0 || !strchr(p->buf, ' '))
                return -1;
            code = atoi(strchr(p->buf, ' ') + 1);
            return code >= 200 && code < 400 ? 1 : -1;
        }
        if (p->got >= (int)sizeof p->buf - 1)
            return -1;
    }
}

int lh_probe_app(const char *instance_id, int64_t generation, const char *ip, const struct lh_blueprint *bp,
                 int wait_ms)
{
    const char *path;
    int port = probe_target(bp, &path);
    if (!ip || port <= 0 || strlen(instance_id) >= sizeof probes[0].id)
        return 0;
    pthread_mutex_lock(&probes_lock);
    struct probe *p = NULL, *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < LH_PROBE_SLOTS; i++) {
        struct probe *q = &probes[i];
        if (q->id[0] && !strcmp(q->id, instance_id))
            p = q;
        else if (!q->id[0] && !free_slot)
            free_slot = q;
        else if (q->id[0] && !q->busy && (!oldest || q->started_ms < oldest->started_ms))
            oldest = q;
    }
    if (p && p->busy) { /* another request is asking it right now */
        pthread_mutex_unlock(&probes_lock);
        return 0;
    }
    if (p && (p->generation != generation || mono_ms() - p->started_ms > LH_PROBE_GIVE_UP_MS))
        probe_drop(p);
    if (!p && !free_slot) {
        if (!oldest) {
            pthread_mutex_unlock(&probes_lock);
            return 0;
        }
        probe_drop(oldest);
        free_slot = oldest;
    }
    if (!p || !p->id[0]) {
        p = p ? p : free_slot;
        p->fd = -1;
        snprintf(p->id, sizeof p->id, "%s", instance_id);
        p->generation = generation;
        if (probe_start(p, ip, port) != 0) {
            probe_drop(p);
            pthread_mutex_unlock(&probes_lock);
            return 0;
        }
    }
    p->busy = 1; /* the wait below runs unlocked: other instances' probes go on */
    pthread_mutex_unlock(&probes_lock);
    int rc = probe_step(p, ip, path, wait_ms < LH_PROBE_WAIT_MS ? wait_ms : LH_PROBE_WAIT_MS);
    pthread_mutex_lock(&probes_lock);
    p->busy = 0;
    if (rc != 0)
        probe_drop(p); /* answered, or failed: the next describe asks afresh */
    pthread_mutex_unlock(&probes_lock);
    return rc == 1;
}
