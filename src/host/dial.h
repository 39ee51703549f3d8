/* dial: the host's connections to the control plane's channel (see compute/host_channel.h). */
#ifndef YUN_HOST_DIAL_H
#define YUN_HOST_DIAL_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/ssl.h>

/* A TCP connection to one of controls (HOST:PORT[,HOST:PORT...]), tried in turn from the one that answered
 * last; the descriptor, or -1 with err. */
int agent_dial(const char *controls, char *err, size_t errlen);
SSL *agent_connect(SSL_CTX *ctx, const char *control, char *err, size_t errlen); /* mutual TLS, or NULL */
json_t *agent_exchange(SSL *ssl, json_t *req); /* one request (taken), one answer (the caller's), or NULL */
void agent_close(SSL *ssl);                    /* NULL is fine */

#endif
