/* realise: what a joined host does with the documents it is told (realise.c). */
#ifndef YUN_HOST_REALISE_H
#define YUN_HOST_REALISE_H

#include <jansson.h>
#include <openssl/ssl.h>

/* Acting on the documents the session receives; the session's wake() is called after a
 * pass that changed the report. */
int realise_start(const char *data, SSL_CTX *ctx, const char *control, void (*wake)(void));
void realise_offer(json_t *doc, const char *version); /* the newest document (a reference is taken) */
json_t *realise_report(char have[]);                  /* the last pass's report (NULL: none yet), the version held */
int realise_urgent(void); /* 1: a migration here waits on the control plane (heartbeat often) */
void realise_stop(void);
/* NULL when an instance spec of a document is one this host would act on, else why not (the simulated hosts'
 * check, simulate.c, is this one). */
const char *realise_spec_check(json_t *spec);

#endif
