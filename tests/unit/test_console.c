/* The console's sessions, CSRF check, TOTP (RFC 6238 vectors), base32 (RFC 4648) and parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "console/console_int.h"

/* RFC 6238 appendix B, SHA1, the last 6 of its 8 digits */
static void totp_vectors(void **state)
{
    (void)state;
    const uint8_t *key = (const uint8_t *)"12345678901234567890";
    static const struct {
        int64_t t;
        uint32_t code;
    } rows[] = {{59, 287082},       {1111111109, 81804},  {1111111111, 50471},
                {1234567890, 5924}, {2000000000, 279037}, {20000000000LL, 353130}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(totp_code(key, 20, rows[i].t / 30), rows[i].code);
}

static void totp_window_and_replay(void **state)
{
    (void)state;
    const uint8_t *key = (const uint8_t *)"12345678901234567890";
    int64_t now = 1111111111, step = now / 30;
    char code[8];
    snprintf(code, sizeof code, "%06u", totp_code(key, 20, step));
    assert_int_equal(totp_match(key, 20, now, code, 0), step);
    assert_int_equal(totp_match(key, 20, now, code, step), -1); /* used once */
    snprintf(code, sizeof code, "%06u", totp_code(key, 20, step - 1));
    assert_int_equal(totp_match(key, 20, now, code, 0), step - 1); /* 30 s of drift */
    snprintf(code, sizeof code, "%06u", totp_code(key, 20, step - 3));
    assert_int_equal(totp_match(key, 20, now, code, 0), -1);
    assert_int_equal(totp_match(key, 20, now, "12345", 0), -1);
    assert_int_equal(totp_match(key, 20, now, "12345a", 0), -1);
    assert_int_equal(totp_match(key, 20, now, "1234567", 0), -1);
}

static void base32(void **state)
{
    (void)state;
    static const char *const rows[][2] = {{"", ""},
                                          {"f", "MY"},
                                          {"fo", "MZXQ"},
                                          {"foo", "MZXW6"},
                                          {"foob", "MZXW6YQ"},
                                          {"fooba", "MZXW6YTB"},
                                          {"foobar", "MZXW6YTBOI"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[32];
        uint8_t back[32];
        size_t n;
        base32_encode((const uint8_t *)rows[i][0], strlen(rows[i][0]), out, sizeof out);
        assert_string_equal(out, rows[i][1]);
        assert_int_equal(base32_decode(rows[i][1], back, sizeof back, &n), 0);
        assert_int_equal(n, strlen(rows[i][0]));
        assert_memory_equal(back, rows[i][0], n);
    }
    uint8_t b[4];
    size_t n;
    assert_int_equal(base32_decode("MZ1W", b, sizeof b, &n), -1);
    assert_int_equal(base32_decode("MZXW6YTBOI", b, sizeof b, &n), -1); /* too long for out */
}

static void cookies(void **state)
{
    (void)state;
    char v[64];
    assert_int_equal(cookie_get("a=1; yun_session=abc-_9; b=2", "yun_session", v, sizeof v), 0);
    assert_string_equal(v, "abc-_9");
    assert_int_equal(cookie_get("yun_session=x", "yun_session", v, sizeof v), 0);
    assert_string_equal(v, "x");
    assert_int_equal(cookie_get("xyun_session=x", "yun_session", v, sizeof v), -1);
    assert_int_equal(cookie_get("yun_session=", "yun_session", v, sizeof v), -1);
    assert_int_equal(cookie_get("yun_session=a\"b", "yun_session", v, sizeof v), -1);
    assert_int_equal(cookie_get("yun_session=abc", "yun_session", v, 3), -1); /* too long */
    assert_int_equal(cookie_get(NULL, "yun_session", v, sizeof v), -1);
    assert_int_equal(cookie_get(";;;", "yun_session", v, sizeof v), -1);
}

static void login_bodies(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int ok;
    } rows[] = {
        {"{\"Uin\":\"100\",\"Password\":\"pw\"}", 1},
        {"{\"Uin\":100,\"Password\":\"pw\",\"UserName\":\"dev\",\"Code\":\"123456\"}", 1},
        {"{\"Uin\":\"10a\",\"Password\":\"pw\"}", 0},
        {"{\"Uin\":\"100\"}", 0},
        {"{\"Uin\":\"100\",\"Password\":\"\"}", 0},
        {"{\"Uin\":\"100\",\"Password\":\"pw\",\"Password\":\"x\"}", 0},
        {"{\"Uin\":\"100\",\"Password\":\"a\\u0000b\"}", 0},
        {"{\"Uin\":\"100\",\"Password\":7}", 0},
        {"[]", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct login_body b;
        char why[200];
        int got = login_parse(rows[i].body, strlen(rows[i].body), &b, why, sizeof why) == 0;
        if (got != rows[i].ok)
            fail_msg("row %zu: %s", i, why);
    }
    char why[200];
    const char *good = "{\"Service\":\"cvm\",\"Version\":\"v\",\"Action\":\"A\",\"Params\":{}}";
    const char *array = "{\"Service\":\"cvm\",\"Version\":\"v\",\"Action\":\"A\",\"Params\":[]}";
    const char *partial = "{\"Service\":\"cvm\",\"Action\":\"A\"}";
    json_t *c = call_parse(good, strlen(good), why, sizeof why);
    assert_non_null(c);
    json_decref(c);
    assert_null(call_parse(array, strlen(array), why, sizeof why));
    assert_null(call_parse(partial, strlen(partial), why, sizeof why));
}

/* headers of a fake request: name=value pairs */
struct fake {
    const char *names[6], *values[6];
};
static const char *fake_header(void *hctx, const char *name)
{
    struct fake *f = hctx;
    for (int i = 0; i < 6 && f->names[i]; i++)
        if (!strcasecmp(f->names[i], name))
            return f->values[i];
    return NULL;
}

static struct store *temp_store(char dir[64])
{
    snprintf(dir, 64, "/tmp/yun-console-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/yun.db", dir);
    struct store *s = store_open(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(console_migrate(s, err, sizeof err), 0);
    return s;
}

static void sessions_and_csrf(void **state)
{
    (void)state;
    char dir[64];
    struct store *s = temp_store(dir);
    struct principal who = {.owner_uin = "100", .user_uin = "200", .app_id = "300"};
    char id[48], csrf[48];
    assert_int_equal(session_create(s, &who, 0, "127.0.0.1", id, csrf), 0);
    assert_int_equal(strlen(id), 43);
    assert_int_equal(strlen(csrf), 43);
    /* the raw id is nowhere in the store */
    struct store_stmt *q =
        store_query(s, "SELECT COUNT(*) FROM console_sessions WHERE id_hash = ? OR csrf_hash = ?", "ss", id, csrf);
    assert_int_equal(store_step(q), 1);
    assert_int_equal(store_int(q, 0), 0);
    store_done(q);

    char cookie[200];
    snprintf(cookie, sizeof cookie, "yun_session=%s; yun_csrf=%s", id, csrf);
    struct fake f = {{"cookie", "origin", "host", "x-csrf-token"},
                     {cookie, "http://127.0.0.1:9500", "127.0.0.1:9500", csrf}};
    struct console_request req = {.method = "POST", .path = "/console/api/call", .header = fake_header, .hctx = &f};
    struct session sess;
    assert_int_equal(session_from_request(s, &req, &sess), 1);
    assert_string_equal(sess.who.user_uin, "200");
    assert_false(sess.who.is_root);
    char why[300];
    assert_int_equal(csrf_check(&req, &sess, why, sizeof why), 0);
    /* another site's Origin, a missing Origin, a missing or different token */
    f.values[1] = "http://evil.example";
    assert_int_equal(csrf_check(&req, &sess, why, sizeof why), -1);
    f.names[1] = "x-none";
    assert_int_equal(csrf_check(&req, &sess, why, sizeof why), -1);
    f.names[1] = "origin";
    f.values[1] = "http://127.0.0.1:9500";
    f.values[3] = "AAAAhKuYbac4TndcEqjifbsD76AZY4Y11Nln7JYYIqY";
    assert_int_equal(csrf_check(&req, &sess, why, sizeof why), -1);
    f.names[3] = "x-none";
    assert_int_equal(csrf_check(&req, &sess, why, sizeof why), -1);
    /* a token matching its cookie but of another session */
    char id2[48], csrf2[48], cookie2[200];
    assert_int_equal(session_create(s, &who, 0, "127.0.0.1", id2, csrf2), 0);
    snprintf(cookie2, sizeof cookie2, "yun_session=%s; yun_csrf=%s", id, csrf2);
    f.values[0] = cookie2;
    f.names[3] = "x-csrf-token";
    f.values[3] = csrf2;
    assert_int_equal(csrf_check(&req, &sess, why, sizeof why), -1);
    f.values[0] = cookie;
    f.values[3] = csrf;

    /* sign-out ends it; a forged id finds nothing */
    assert_int_equal(session_end(s, sess.id_hash), 0);
    assert_int_equal(session_from_request(s, &req, &sess), 0);
    f.values[0] = "yun_session=forged";
    assert_int_equal(session_from_request(s, &req, &sess), 0);

    /* the idle timeout runs on the business clock */
    assert_int_equal(session_create(s, &who, 0, "127.0.0.1", id, csrf), 0);
    snprintf(cookie, sizeof cookie, "yun_session=%s; yun_csrf=%s", id, csrf);
    f.values[0] = cookie;
    clock_set_test(1);
    clock_set_offset(clock_offset() + SESSION_IDLE_S - 60);
    assert_int_equal(session_from_request(s, &req, &sess), 1); /* touched: the idle timer restarts */
    clock_set_offset(clock_offset() + SESSION_IDLE_S - 60);
    assert_int_equal(session_from_request(s, &req, &sess), 1);
    clock_set_offset(clock_offset() + SESSION_IDLE_S + 1);
    assert_int_equal(session_from_request(s, &req, &sess), 0);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void failed_sign_ins(void **state)
{
    (void)state;
    limit_reset();
    int64_t now = 1000000;
    for (int i = 0; i < 5; i++) {
        assert_true(limit_login_allowed("100/", "10.0.0.1", now));
        limit_login_failed("100/", "10.0.0.1", now);
    }
    assert_false(limit_login_allowed("100/", "10.0.0.2", now));      /* the account, from anywhere */
    assert_true(limit_login_allowed("101/", "10.0.0.1", now));       /* another account from that address */
    assert_true(limit_login_allowed("100/", "10.0.0.1", now + 901)); /* the window passed */
    for (int i = 0; i < 20; i++)
        limit_login_failed("acct"
                           "x",
                           "10.0.0.9", now);
    assert_false(limit_login_allowed("999/", "10.0.0.9", now)); /* the address, for any account */
    for (int i = 0; i < 4; i++)
        assert_true(limit_verify_enter());
    assert_false(limit_verify_enter());
    limit_verify_leave();
    assert_true(limit_verify_enter());
    limit_reset();
}

static const char *csp_of(struct console_reply *r)
{
    for (int i = 0; i < r->nheaders; i++)
        if (!strcmp(r->headers[i].name, "Content-Security-Policy"))
            return r->headers[i].value;
    return NULL;
}

/* The policy names the object store on the host the browser used, and nothing else from the Host header. */
static void security_headers(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    cfg.object_port = 9501;
    struct console_reply r;
    memset(&r, 0, sizeof r);
    reply_security_headers(&r, &cfg, "192.168.1.5:9500");
    assert_non_null(strstr(csp_of(&r), "connect-src 'self' http://192.168.1.5:9501"));
    assert_non_null(strstr(csp_of(&r), "script-src 'self';"));
    assert_null(strstr(csp_of(&r), "unsafe"));
    memset(&r, 0, sizeof r);
    reply_security_headers(&r, &cfg, "x; script-src *:1");
    assert_null(strstr(csp_of(&r), "script-src *"));
    assert_non_null(strstr(csp_of(&r), "http://127.0.0.1:9501"));
    memset(&r, 0, sizeof r);
    reply_security_headers(&r, &cfg, "[::1]:9500");
    assert_non_null(strstr(csp_of(&r), "http://[::1]:9501"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(totp_vectors),    cmocka_unit_test(totp_window_and_replay),
                                       cmocka_unit_test(base32),          cmocka_unit_test(cookies),
                                       cmocka_unit_test(login_bodies),    cmocka_unit_test(sessions_and_csrf),
                                       cmocka_unit_test(failed_sign_ins), cmocka_unit_test(security_headers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
