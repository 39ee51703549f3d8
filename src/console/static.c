/*
 * static: the built front end (Vite's output in console/dist). Vite names every asset after a
 * hash of its content, so the files under /console/assets/ are cached for a year as immutable; index.html (the
 * same page for every console route) is revalidated each time, so a new build is seen at once.
 * Only names of [A-Za-z0-9._-] segments are looked up, never a "..".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console/codes.h"
#include "console/console_int.h"

static char dist[PATH_MAX];

void static_init(void)
{
    const char *env = getenv("YUN_CONSOLE_DIR");
    if (env && *env) {
        snprintf(dist, sizeof dist, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(dist, sizeof dist, "console/dist");
        return;
    }
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    snprintf(dist, sizeof dist, "%.*s/../console/dist", (int)(sizeof dist - 20), exe); /* build/yun -> console/dist */
}

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".woff2", "font/woff2"},
                 {".json", "application/json"},
                 {".txt", "text/plain; charset=utf-8"},
                 {".map", "application/json"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static int safe_name(const char *rel)
{
    if (!*rel || strlen(rel) > 200 || strstr(rel, "..") || rel[0] == '/' || strstr(rel, "//"))
        return 0;
    return strspn(rel, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") == strlen(rel);
}

static int serve(struct console_reply *out, const char *rel, const char *cache)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", dist, rel);
    char *data;
    size_t len;
    if (file_read_all(path, &data, &len) != 0)
        return -1;
    free(out->body);
    out->body = data;
    out->len = len;
    out->status = 200;
    reply_header(out, "Content-Type", "%s", content_type(rel));
    reply_header(out, "Cache-Control", "%s", cache);
    return 0;
}

void static_handle(const struct config *cfg, const struct console_request *req, struct console_reply *out)
{
    (void)cfg;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
        return reply_error(out, 405, E_CONSOLE_UNSUPPORTED, "The console's pages are read with GET.");
    if (strcmp(req->path, "/console") == 0) {
        out->status = 301;
        out->body = strdup("");
        reply_header(out, "Location", "/console/");
        return;
    }
    const char *rel = req->path + strlen("/console/");
    if (!strncmp(rel, "assets/", 7)) {
        if (!safe_name(rel) || serve(out, rel, "public, max-age=31536000, immutable") != 0)
            reply_error(out, 404, E_CONSOLE_NOT_FOUND, "No such console file.");
        return;
    }
    if (*rel && safe_name(rel) && strchr(rel, '.') && serve(out, rel, "public, max-age=3600") == 0)
        return;
    /* every other path is a page of the console: the same index.html, routed in the browser */
    if (serve(out, "index.html", "no-cache") != 0) {
        out->status = 503;
        free(out->body);
        out->body = strdup("The console is not built: run `make console` (it needs npm).\n");
        out->len = strlen(out->body);
        reply_header(out, "Content-Type", "text/plain; charset=utf-8");
    }
}
