/*
 * reply: how the console answers: JSON in the API's envelope (a failure keeps Tencent's
 * {"Error":{"Code","Message"}} so the front end shows one kind of error), and the headers every
 * answer carries: a Content-Security-Policy without inline script or any other origin but the
 * object store's (uploads and downloads go there with presigned URLs), no framing, no referrer
 * (a presigned URL must not leak), no sniffing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"

void reply_header(struct console_reply *r, const char *name, const char *fmt, ...)
{
    if (r->nheaders >= CONSOLE_MAX_HEADERS)
        return;
    snprintf(r->headers[r->nheaders].name, sizeof r->headers[0].name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->headers[r->nheaders].value, sizeof r->headers[0].value, fmt, ap);
    va_end(ap);
    r->nheaders++;
}

void reply_json(struct console_reply *r, unsigned status, json_t *body)
{
    free(r->body);
    r->body = json_dumps(body, JSON_COMPACT);
    r->len = r->body ? strlen(r->body) : 0;
    r->status = status;
    json_decref(body);
    reply_header(r, "Content-Type", "application/json");
    reply_header(r, "Cache-Control", "no-store");
}

void reply_error(struct console_reply *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[512], rid[37];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    random_uuid(rid);
    reply_json(r, status,
               json_pack("{s:{s:{s:s,s:s},s:s}}", "Response", "Error", "Code", code, "Message", msg, "RequestId", rid));
}

void reply_security_headers(struct console_reply *r, const struct config *cfg, const char *host)
{
    /* the object store as the browser reaches it: on the host name it reached the console on */
    char objects[400] = "", name[200];
    snprintf(name, sizeof name, "%s", host ? host : "127.0.0.1");
    char *colon = name[0] == '[' ? strstr(name, "]:") : strrchr(name, ':');
    if (colon)
        colon[name[0] == '[' ? 1 : 0] = 0;
    if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]:") != strlen(name))
        snprintf(name, sizeof name, "127.0.0.1"); /* nothing of a Host header but a host name goes into the policy */
    if (cfg->object_port > 0)
        snprintf(objects, sizeof objects, " http://%s:%d http://%s:%d", name, cfg->object_port, cfg->object_host,
                 cfg->object_port);
    reply_header(r, "Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
                 " font-src 'self'; connect-src 'self'%s; form-action 'self'; frame-ancestors 'none';"
                 " base-uri 'none'; object-src 'none'",
                 objects);
    reply_header(r, "X-Content-Type-Options", "nosniff");
    reply_header(r, "X-Frame-Options", "DENY");
    reply_header(r, "Referrer-Policy", "no-referrer");
    reply_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}
