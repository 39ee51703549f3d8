/*
 * http: the API listener on libmicrohttpd (epoll, a pool of worker threads, keep-alive).
 * It only moves bytes: it collects headers and a bounded body, hands them to the api request
 * path and writes the envelope back. GET /healthz answers 200 once the daemon is ready.
 */
#ifndef YUN_HTTP_H
#define YUN_HTTP_H

#include "core/core.h"

struct http_server;
struct http_server *http_start(const struct config *cfg, char *err, size_t errlen);
void http_stop(struct http_server *srv);
void http_set_ready(struct http_server *srv, int ready);
int http_bound_port(struct http_server *srv);

#endif
