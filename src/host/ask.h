/* ask: what a joined host asks of the control plane beside its heartbeats (ask.c). */
#ifndef YUN_HOST_ASK_H
#define YUN_HOST_ASK_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "host/metadata_listen.h"

/* ask_init first: the host's TLS context, the control plane's addresses, the data directory */
void ask_init(SSL_CTX *ctx, const char *control, const char *data);
/* DATA/images/IMAGE/PART (path set), fetched over the channel when missing; 0, or -1 with err */
int ask_image_part(const char *image, const char *part, char *path, size_t len, char *err, size_t errlen);
/* the control plane's answer to a guest's metadata request (host_md_fn) */
void ask_metadata(const char *vpc_id, const char *ip, const char *method, const char *path, struct md_reply *r);

#endif
