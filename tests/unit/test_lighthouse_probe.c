/* lighthouse's readiness probe (src/lighthouse/probe.c) against a listener of the test's own on
 * 127.0.0.1: an HTTP GET of ready_path answered 2xx/3xx is ready, 4xx/5xx and non-HTTP are not;
 * an unanswered probe stays in flight (one connection, not one per call); tcp:PORT connects. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lighthouse/lighthouse_int.h"

static int listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* The next connection within ms (its request read into req), or -1. */
static int accept_within(int lfd, int ms, char *req, size_t len)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return -1;
    int c = accept(lfd, NULL, NULL);
    if (c >= 0 && req) {
        struct pollfd q = {.fd = c, .events = POLLIN};
        ssize_t n = poll(&q, 1, 1000) == 1 ? recv(c, req, len - 1, 0) : 0;
        req[n > 0 ? n : 0] = 0;
    }
    return c;
}

static struct lh_blueprint bp_of(const char *ready_path, int port)
{
    struct lh_blueprint b;
    memset(&b, 0, sizeof b);
    snprintf(b.ready_path, sizeof b.ready_path, "%s", ready_path);
    b.app_port = port;
    return b;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One HTTP exchange: the first probe is in flight (nothing answered yet), the server answers, the
 * second probe reads it. Returns the second probe's verdict. */
static int http_exchange(const char *id, const char *answer, char *req, size_t len)
{
    int port, lfd = listener(&port);
    struct lh_blueprint b = bp_of("/wp-admin/install.php", port);
    double t0 = now_ms();
    assert_int_equal(lh_probe_app(id, 1, "127.0.0.1", &b, 500), 0);
    assert_true(now_ms() - t0 < 400); /* bounded: at most 250 ms */
    int c = accept_within(lfd, 1000, req, len);
    assert_true(c >= 0);
    assert_int_equal(send(c, answer, strlen(answer), MSG_NOSIGNAL), (ssize_t)strlen(answer));
    int rc = lh_probe_app(id, 1, "127.0.0.1", &b, 500);
    /* one in-flight probe: the second call made no second connection */
    assert_int_equal(accept_within(lfd, 50, NULL, 0), -1);
    close(c);
    close(lfd);
    return rc;
}

static void http_2xx_3xx_ready(void **state)
{
    (void)state;
    char req[512];
    assert_int_equal(http_exchange("lhins-ok000001", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", req, sizeof req),
                     1);
    assert_non_null(strstr(req, "GET /wp-admin/install.php HTTP/1.0\r\n"));
    assert_non_null(strstr(req, "Host: 127.0.0.1\r\n"));
    assert_int_equal(http_exchange("lhins-ok000002", "HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n", req, sizeof req), 1);
}

static void http_errors_and_non_http_not_ready(void **state)
{
    (void)state;
    char req[512];
    assert_int_equal(http_exchange("lhins-bad00001", "HTTP/1.1 500 Internal Server Error\r\n\r\n", req, sizeof req), 0);
    assert_int_equal(http_exchange("lhins-bad00002", "HTTP/1.1 404 Not Found\r\n\r\n", req, sizeof req), 0);
    assert_int_equal(http_exchange("lhins-bad00003", "yun-guest lhins-bad00003\n", req, sizeof req), 0);
}

static void tcp_and_refused(void **state)
{
    (void)state;
    int port, lfd = listener(&port);
    char spec[32];
    snprintf(spec, sizeof spec, "tcp:%d", port);
    struct lh_blueprint b = bp_of(spec, 1); /* tcp:PORT wins over app_port */
    assert_int_equal(lh_probe_app("lhins-tcp00001", 1, "127.0.0.1", &b, 500), 1);
    close(lfd);
    /* nothing listens any more: refused, not ready, and fast */
    double t0 = now_ms();
    assert_int_equal(lh_probe_app("lhins-tcp00001", 2, "127.0.0.1", &b, 500), 0);
    struct lh_blueprint h = bp_of("/", port);
    assert_int_equal(lh_probe_app("lhins-tcp00002", 1, "127.0.0.1", &h, 500), 0);
    assert_true(now_ms() - t0 < 400);
    /* no address, no port: not ready */
    assert_int_equal(lh_probe_app("lhins-tcp00003", 1, NULL, &h, 500), 0);
    struct lh_blueprint z = bp_of("", 0);
    assert_int_equal(lh_probe_app("lhins-tcp00003", 1, "127.0.0.1", &z, 500), 0);
}

static void a_new_generation_asks_again(void **state)
{
    (void)state;
    int port, lfd = listener(&port);
    struct lh_blueprint b = bp_of("/", port);
    assert_int_equal(lh_probe_app("lhins-gen00001", 1, "127.0.0.1", &b, 100), 0);
    int c1 = accept_within(lfd, 1000, NULL, 0);
    assert_true(c1 >= 0);
    /* a reset (another operation time): the old probe is dropped, a new connection asks */
    assert_int_equal(lh_probe_app("lhins-gen00001", 2, "127.0.0.1", &b, 100), 0);
    int c2 = accept_within(lfd, 1000, NULL, 0);
    assert_true(c2 >= 0);
    const char *ok = "HTTP/1.0 200 OK\r\n\r\n";
    assert_int_equal(send(c2, ok, strlen(ok), MSG_NOSIGNAL), (ssize_t)strlen(ok));
    assert_int_equal(lh_probe_app("lhins-gen00001", 2, "127.0.0.1", &b, 500), 1);
    close(c1);
    close(c2);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_2xx_3xx_ready),
        cmocka_unit_test(http_errors_and_non_http_not_ready),
        cmocka_unit_test(tcp_and_refused),
        cmocka_unit_test(a_new_generation_asks_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
