/*
 * csrf: a state-changing console request must come from the console's own page. Two checks,
 * both required: the Origin header names this listener (a cross-site form or fetch carries the
 * other site's, and SameSite=Strict already keeps the cookie off it), and the X-CSRF-Token
 * header repeats the yun_csrf cookie (double submit) whose sha256 the session holds, which a page
 * of another origin can neither read nor set.
 */
#include <stdio.h>
#include <string.h>

#include "console/console_int.h"

int origin_check(const struct console_request *req, char *why, size_t wlen)
{
    const char *origin = req->header(req->hctx, "origin");
    const char *host = req->header(req->hctx, "host");
    if (!origin || !host) {
        snprintf(why, wlen, "A state-changing console request must carry Origin and Host headers.");
        return -1;
    }
    char own[300];
    snprintf(own, sizeof own, "http://%s", host);
    if (strcmp(origin, own) != 0) {
        snprintf(why, wlen, "Requests from %.120s are not accepted; open the console at %.120s.", origin, own);
        return -1;
    }
    return 0;
}

int csrf_check(const struct console_request *req, const struct session *sess, char *why, size_t wlen)
{
    if (origin_check(req, why, wlen) != 0)
        return -1;
    const char *sent = req->header(req->hctx, CSRF_HEADER);
    char cookie[64];
    if (!sent || cookie_get(req->header(req->hctx, "cookie"), CSRF_COOKIE, cookie, sizeof cookie) != 0 ||
        strlen(sent) != strlen(cookie) || !const_time_eq(sent, cookie, strlen(cookie))) {
        snprintf(why, wlen, "The request's X-CSRF-Token header does not match the console's token; reload the page.");
        return -1;
    }
    char hash[65];
    sha256_hex(cookie, strlen(cookie), hash);
    if (!const_time_eq(hash, sess->csrf_hash, 64)) {
        snprintf(why, wlen, "The CSRF token belongs to another session; reload the page.");
        return -1;
    }
    return 0;
}
