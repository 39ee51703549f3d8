/* agent: the host role of a joined host (`yun host join`), see agent.c. */
#ifndef YUN_HOST_AGENT_H
#define YUN_HOST_AGENT_H

/* Joins (when DIR holds no host certificate yet, with token) and heartbeats in the foreground;
 * returns only on failure, with the exit status (1, or 2 for a usage error). */
int host_agent_run(const char *control, const char *token, const char *data, const char *zone);

/* The session's parts realise.c uses too (its own connections for image chunks). */
#include <jansson.h>
#include <openssl/ssl.h>
SSL *agent_connect(SSL_CTX *ctx, const char *control, char *err, size_t errlen); /* mutual TLS, or NULL */
json_t *agent_exchange(SSL *ssl, json_t *req); /* one request (taken), one answer (the caller's), or NULL */
void agent_close(SSL *ssl);                    /* NULL is fine */

/* ask.c: what the host asks of the control plane beside its heartbeats (ask_init first). */
#include "host/metadata_listen.h"
void ask_init(SSL_CTX *ctx, const char *control, const char *data);
/* DATA/images/IMAGE/PART (path set), fetched over the channel when missing; 0, or -1 with err */
int ask_image_part(const char *image, const char *part, char *path, size_t len, char *err, size_t errlen);
/* the control plane's answer to a guest's metadata request (host_md_fn) */
void ask_metadata(const char *vpc_id, const char *ip, const char *method, const char *path, struct md_reply *r);

/* realise.c: acting on the documents the session receives; the session's wake() is called after a
 * pass that changed the report. */
int realise_start(const char *data, SSL_CTX *ctx, const char *control, void (*wake)(void));
void realise_offer(json_t *doc, const char *version); /* the newest document (a reference is taken) */
json_t *realise_report(char have[]);                  /* the last pass's report (NULL: none yet), the version held */
int realise_urgent(void); /* 1: a migration here waits on the control plane (heartbeat often) */
void realise_stop(void);

#endif
