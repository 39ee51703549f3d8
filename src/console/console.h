/*
 * console: the web console's side of yund, on the API listener under /console/. It serves the
 * built front end (console/dist) with caching headers and a strict Content-Security-Policy, signs
 * people in (password, optional TOTP), keeps sessions, and runs the front end's calls through the
 * same api_handle path as signed SDK requests, as the session's identity.
 */
#ifndef YUN_CONSOLE_H
#define YUN_CONSOLE_H

#include <stddef.h>

#include "core/core.h"
#include "store/store.h"

#define CONSOLE_MAX_BODY (64u << 10) /* every console request body, signed in or not */

struct console_request {
    const char *method;
    const char *path; /* "/console/..." without the query */
    const char *source_ip;
    const char *(*header)(void *hctx, const char *name); /* case-insensitive, NULL if absent */
    void *hctx;
    const char *body;
    size_t body_len;
    int body_too_large;
};

#define CONSOLE_MAX_HEADERS 12
struct console_reply {
    unsigned status;
    char *body; /* malloc'd; owned by the caller after console_handle */
    size_t len;
    int nheaders;
    struct {
        char name[40];
        char value[768];
    } headers[CONSOLE_MAX_HEADERS];
};

/* Where the built front end is: $YUN_CONSOLE_DIR, else console/dist beside the binary's build dir. */
void console_init(const struct config *cfg);
int console_migrate(struct store *s, char *err, size_t errlen);
/* Answers any request whose path starts with /console; always fills out (status, body). */
void console_handle(const struct config *cfg, const struct console_request *req, struct console_reply *out);
int console_path(const char *url); /* 1 if url is the console's */

#endif
