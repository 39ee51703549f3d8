/*
 * metadata_listen: the host's metadata listeners, one per VPC of its network plan, on 169.254.169.254:80 and
 * 169.254.0.23:80 inside the VPC's router namespace. What they answer comes from a function of the caller's
 * (the built-in host: compute's metadata_answer in-process; a joined host: the control plane, asked over the
 * host channel), given the listener's VPC and the connection's source address, never anything the guest says.
 */
#ifndef YUN_HOST_METADATA_LISTEN_H
#define YUN_HOST_METADATA_LISTEN_H

#include <stddef.h>

#include <jansson.h>

struct md_reply {
    unsigned status;
    char *body; /* malloc'd (NUL after len), or NULL */
    size_t len;
};
typedef void (*host_md_fn)(const char *vpc_id, const char *ip, const char *method, const char *path,
                           struct md_reply *r);
/* Listeners for plan's VPCs (started), none for the others (stopped); plan NULL stops them all. */
void host_metadata_sync(json_t *plan, host_md_fn answer);

/* compute/metadata.c: the answer for the instance at (vpc_id, ip) placed on host_id. */
struct store;
void metadata_answer(struct store *s, const char *host_id, const char *vpc_id, const char *ip, const char *method,
                     const char *path, struct md_reply *r);

#endif
