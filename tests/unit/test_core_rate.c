/* The shared rate limiter (two doors, fixed tables) and the shared request line writer. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/core.h"

static void doors_are_independent(void **state)
{
    (void)state;
    rate_init(RATE_API, 1, 5);
    rate_init(RATE_OBJECT, 1, 3);
    int api = 0, obj = 0;
    for (int i = 0; i < 20; i++) {
        api += rate_allow(RATE_API, "100000000001");
        obj += rate_allow(RATE_OBJECT, "100000000001");
    }
    assert_int_equal(api, 5); /* the burst, and nothing more at 1/s within the loop */
    assert_int_equal(obj, 3);
    /* another key has its own bucket; an anonymous address too */
    assert_true(rate_allow(RATE_OBJECT, "ip:192.0.2.7"));
    /* 0 = off */
    rate_init(RATE_OBJECT, 0, 0);
    for (int i = 0; i < 10000; i++)
        assert_true(rate_allow(RATE_OBJECT, "100000000001"));
}

static void many_keys_bounded(void **state)
{
    (void)state;
    /* a flood from many addresses lands in the fixed table: each gets at most its burst, and the
     * limiter keeps answering (no allocation to fail, nothing to grow) */
    rate_init(RATE_OBJECT, 1, 2);
    long allowed = 0;
    char key[64];
    for (int i = 0; i < 200000; i++) {
        snprintf(key, sizeof key, "ip:10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        allowed += rate_allow(RATE_OBJECT, key);
    }
    assert_true(allowed <= 4096L * 2 + 16); /* the table's slots times the burst, plus refill */
    rate_init(RATE_OBJECT, 0, 0);
}

/* log_request's line, read back through a pipe on stderr. */
static json_t *logged(const struct request_line *l)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    int saved = dup(2);
    dup2(p[1], 2);
    log_request(l);
    dup2(saved, 2);
    close(saved);
    close(p[1]);
    char buf[16384];
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    assert_true(n > 0);
    buf[n] = 0;
    assert_int_equal(buf[n - 1], '\n');
    assert_null(memchr(buf, '\n', (size_t)n - 1)); /* one line, whatever the key holds */
    json_error_t err;
    json_t *j = json_loads(buf, 0, &err);
    assert_non_null(j);
    return j;
}

static void request_line_escapes(void **state)
{
    (void)state;
    const char *evil = "a\"b\\c\nd\r{\"forged\":1}\x01\x7f\xff\xc3\xa9\xe2\x82";
    struct request_line l = {.service = "object",
                             .rid = "RID1",
                             .account = "100000000001",
                             .user = "100000000001",
                             .ip = "127.0.0.1",
                             .action = "GetObject",
                             .bucket = "b",
                             .key = evil,
                             .code = "",
                             .status = 200,
                             .bytes_in = 0,
                             .bytes_out = 4096,
                             .ms = 0.25};
    json_t *j = logged(&l);
    assert_string_equal(json_string_value(json_object_get(j, "service")), "object");
    assert_string_equal(json_string_value(json_object_get(j, "action")), "GetObject");
    assert_string_equal(json_string_value(json_object_get(j, "key")),
                        "a\"b\\c\nd\r{\"forged\":1}\x01\x7f\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
    assert_null(json_object_get(j, "forged"));
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "bytes_out")), 4096);
    assert_non_null(json_object_get(j, "time"));
    assert_non_null(json_object_get(j, "ms"));
    json_decref(j);
    /* an API line: no status or bytes, absent strings left out */
    struct request_line a = {.service = "api", .rid = "r", .action = "DescribeZones", .code = ""};
    j = logged(&a);
    assert_null(json_object_get(j, "status"));
    assert_null(json_object_get(j, "bucket"));
    assert_string_equal(json_string_value(json_object_get(j, "action")), "DescribeZones");
    json_decref(j);
    /* a key as long as S3 allows is logged whole */
    char *big = malloc(1025);
    memset(big, 'k', 1024);
    big[1024] = 0;
    l.key = big;
    j = logged(&l);
    assert_int_equal(strlen(json_string_value(json_object_get(j, "key"))), 1024);
    json_decref(j);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(doors_are_independent), cmocka_unit_test(many_keys_bounded),
                                       cmocka_unit_test(request_line_escapes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
