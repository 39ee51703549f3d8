/*
 * libFuzzer target over what the console parses before anyone is signed in: the Cookie header
 * (session and CSRF cookies), the sign-in body and the call body, and base32/TOTP codes.
 * Input layout: line 1 = Cookie header, rest = body (tried as a sign-in and as a call).
 */
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = 0;
    char *nl = memchr(buf, '\n', size);
    const char *body = "";
    size_t body_len = 0;
    if (nl) {
        *nl = 0;
        body = nl + 1;
        body_len = size - (size_t)(body - buf);
    }
    char v[64];
    cookie_get(buf, SESSION_COOKIE, v, sizeof v);
    cookie_get(buf, CSRF_COOKIE, v, sizeof v);
    uint8_t out[64];
    size_t n;
    base32_decode(buf, out, sizeof out, &n);
    totp_match((const uint8_t *)"12345678901234567890", 20, 1111111111, buf, 0);

    struct login_body b;
    char why[300];
    if (login_parse(body, body_len, &b, why, sizeof why) == 0 && (!b.uin[0] || !b.password[0]))
        abort(); /* a parsed sign-in always names an account and a password */
    json_t *call = call_parse(body, body_len, why, sizeof why);
    json_decref(call);
    free(buf);
    return 0;
}
