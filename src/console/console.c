/*
 * console: the router of /console/ (see console.h). Pages and assets are static; /console/api/ endpoints
 * are JSON: login needs no session, everything else does, and every POST but login must pass
 * the CSRF check (login checks its Origin). A session still waiting for its MFA code can only
 * present the code, ask who it is, or sign out.
 */
#include <stdio.h>
#include <string.h>

#include "console/codes.h"
#include "console/console_int.h"

void console_init(const struct config *cfg)
{
    (void)cfg;
    static_init();
}

int console_path(const char *url) { return !strncmp(url, "/console", 8) && (url[8] == 0 || url[8] == '/'); }

static void api_route(const struct config *cfg, const struct console_request *req, struct console_reply *out)
{
    const char *p = req->path + strlen("/console/api");
    int post = !strcmp(req->method, "POST");
    if (!strcmp(p, "/login")) {
        if (!post)
            return reply_error(out, 405, E_CONSOLE_UNSUPPORTED, "Sign in with POST.");
        return login_handle(cfg, req, out);
    }
    struct store *s = store_thread();
    struct session sess;
    int rc = s ? session_from_request(s, req, &sess) : -1;
    if (rc < 0)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The state store is unavailable; retry later.");
    if (rc == 0)
        return reply_error(out, 401, E_CONSOLE_NOT_SIGNED_IN,
                           "You are not signed in, or the session ended (signed out, or idle for %d minutes); sign in "
                           "again.",
                           SESSION_IDLE_S / 60);
    if (!strcmp(p, "/session") && !strcmp(req->method, "GET"))
        return whoami_handle(cfg, &sess, out);
    if (!post)
        return reply_error(out, 405, E_CONSOLE_UNSUPPORTED, "Console calls are POST requests.");
    char why[300];
    if (csrf_check(req, &sess, why, sizeof why) != 0) {
        console_audit(s, &sess.who, req->source_ip, "ConsoleRequest", req->path, E_CONSOLE_CSRF);
        return reply_error(out, 403, E_CONSOLE_CSRF, "%s", why);
    }
    if (!strcmp(p, "/logout"))
        return logout_handle(req, &sess, out);
    if (!strcmp(p, "/mfa/verify"))
        return mfa_verify_handle(req, &sess, out);
    if (sess.mfa_pending)
        return reply_error(out, 401, E_CONSOLE_MFA_REQUIRED, "Type the code of your authenticator first.");
    if (!strcmp(p, "/call"))
        return call_handle(cfg, req, &sess, out);
    if (!strcmp(p, "/presign"))
        return presign_handle(cfg, req, &sess, out);
    if (!strcmp(p, "/mfa/bind"))
        return mfa_bind_handle(cfg, req, &sess, out);
    if (!strcmp(p, "/mfa/confirm"))
        return mfa_confirm_handle(req, &sess, out);
    reply_error(out, 404, E_CONSOLE_NOT_FOUND, "No console endpoint %s.", req->path);
}

void console_handle(const struct config *cfg, const struct console_request *req, struct console_reply *out)
{
    memset(out, 0, sizeof *out);
    reply_security_headers(out, cfg, req->header(req->hctx, "host"));
    if (req->body_too_large)
        return reply_error(out, 413, E_CONSOLE_TOO_LARGE, "Console request bodies are limited to %u bytes.",
                           CONSOLE_MAX_BODY);
    if (!strncmp(req->path, "/console/api/", 13) || !strcmp(req->path, "/console/api"))
        return api_route(cfg, req, out);
    static_handle(cfg, req, out);
}
