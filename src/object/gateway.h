/*
 * gateway: the S3/COS object store listener (its own port, see config "object"). Authenticates
 * with the same accounts, keys and CAM policies as the API (identity.h), keeps object metadata
 * in the store and object data as files under DATA/objects.
 */
#ifndef YUN_OBJECT_GATEWAY_H
#define YUN_OBJECT_GATEWAY_H

#include "core/core.h"
#include "store/store.h"

struct object_gateway;

int object_migrate(struct store *s, char *err, size_t errlen);
/* Starts the listener on cfg->object_host:cfg->object_port; NULL with err on failure. */
struct object_gateway *object_gateway_start(const struct config *cfg, char *err, size_t errlen);
void object_gateway_stop(struct object_gateway *g);

#endif
