/*
 * qmp.c - a small synchronous QMP client.
 *
 * QMP is newline-delimited JSON on a unix socket: a greeting, then `qmp_capabilities`, then request/response
 * pairs interleaved with asynchronous events ({"event": ...}) that we skip. Every wait has a deadline so a hung
 * QEMU (or a socket held by another client: QEMU serves one at a time) turns into an error, not a hang.
 */
#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, arg ? arg : "");
}

/* next complete message before deadline; caller owns it */
static json_t *read_message(struct qmp *q, long long deadline, char *err, size_t errlen)
{
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            size_t linelen = (size_t)(nl - q->buf);
            json_error_t jerr;
            json_t *msg = json_loadb(q->buf, linelen, 0, &jerr);
            memmove(q->buf, nl + 1, q->len - linelen - 1);
            q->len -= linelen + 1;
            if (!msg) {
                set_err(err, errlen, "qmp: bad JSON: %s", jerr.text);
                return NULL;
            }
            return msg;
        }
        long long left = deadline - now_ms();
        if (left <= 0) {
            set_err(err, errlen, "qmp: timed out%s", NULL);
            return NULL;
        }
        struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            set_err(err, errlen, "qmp: poll: %s", strerror(errno));
            return NULL;
        }
        if (pr == 0)
            continue;
        if (q->cap - q->len < 4096) {
            size_t ncap = q->cap ? q->cap * 2 : 16384;
            char *nbuf = realloc(q->buf, ncap);
            if (!nbuf) {
                set_err(err, errlen, "qmp: out of memory%s", NULL);
                return NULL;
            }
            q->buf = nbuf;
            q->cap = ncap;
        }
        ssize_t n = read(q->fd, q->buf + q->len, q->cap - q->len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            set_err(err, errlen, "qmp: read: %s", strerror(errno));
            return NULL;
        }
        if (n == 0) {
            set_err(err, errlen, "qmp: connection closed by QEMU%s", NULL);
            return NULL;
        }
        q->len += (size_t)n;
    }
}

static int send_all(int fd, const char *data, size_t len, char *err, size_t errlen)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, errlen, "qmp: send: %s", strerror(errno));
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int execute_until(struct qmp *q, const char *command, json_t *arguments, long long deadline, json_t **ret,
                         char *err, size_t errlen)
{
    json_t *req = json_pack("{s:s}", "execute", command);
    if (!req) {
        set_err(err, errlen, "qmp: out of memory%s", NULL);
        return -1;
    }
    if (arguments)
        json_object_set(req, "arguments", arguments);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text) {
        set_err(err, errlen, "qmp: out of memory%s", NULL);
        return -1;
    }
    size_t tl = strlen(text);
    int rc = send_all(q->fd, text, tl, err, errlen);
    if (rc == 0)
        rc = send_all(q->fd, "\n", 1, err, errlen);
    free(text);
    if (rc)
        return -1;
    for (;;) {
        json_t *msg = read_message(q, deadline, err, errlen);
        if (!msg)
            return -1;
        json_t *r = json_object_get(msg, "return");
        json_t *e = json_object_get(msg, "error");
        if (r) {
            if (ret)
                *ret = json_incref(r);
            json_decref(msg);
            return 0;
        }
        if (e) {
            set_err(err, errlen, "%s", json_string_value(json_object_get(e, "desc")));
            json_decref(msg);
            return -1;
        }
        json_decref(msg); /* asynchronous event */
    }
}

int qmp_open(struct qmp *q, const char *socket_path, int timeout_ms, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    q->fd = -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof sa.sun_path) {
        set_err(err, errlen, "qmp: socket path too long: %s", socket_path);
        return -1;
    }
    strcpy(sa.sun_path, socket_path);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0) {
        set_err(err, errlen, "qmp: socket: %s", strerror(errno));
        return -1;
    }
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s: %s", socket_path, strerror(errno));
        set_err(err, errlen, "qmp: connect %s", msg);
        qmp_close(q);
        return -1;
    }
    long long deadline = now_ms() + timeout_ms;
    json_t *greeting = read_message(q, deadline, err, errlen);
    if (!greeting || !json_object_get(greeting, "QMP")) {
        if (greeting)
            set_err(err, errlen, "qmp: no greeting%s", NULL);
        json_decref(greeting);
        qmp_close(q);
        return -1;
    }
    json_decref(greeting);
    if (execute_until(q, "qmp_capabilities", NULL, deadline, NULL, err, errlen)) {
        qmp_close(q);
        return -1;
    }
    return 0;
}

int qmp_execute(struct qmp *q, const char *command, json_t *arguments, int timeout_ms, json_t **ret, char *err,
                size_t errlen)
{
    if (ret)
        *ret = NULL;
    return execute_until(q, command, arguments, now_ms() + timeout_ms, ret, err, errlen);
}

void qmp_close(struct qmp *q)
{
    if (q->fd >= 0)
        close(q->fd);
    q->fd = -1;
    free(q->buf);
    q->buf = NULL;
    q->len = q->cap = 0;
}
