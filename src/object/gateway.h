/*
 * gateway: the S3/COS object store listener (its own port, see config "object"). Authenticates
 * with the same accounts, keys and CAM policies as the API (identity.h), keeps object metadata
 * in the store and object data in the backend config object.backend names (files under
 * DATA/objects: backend.h).
 */
#ifndef YUN_OBJECT_GATEWAY_H
#define YUN_OBJECT_GATEWAY_H

#include "core/core.h"
#include "store/store.h"

struct object_gateway;

int object_migrate(struct store *s, char *err, size_t errlen);
/* 0 if cfg->object_backend is a backend this build has, else -1 with err naming those it has. */
int object_backend_check(const struct config *cfg, char *err, size_t errlen);
/* Starts the listener on cfg->object_host:cfg->object_port; NULL with err on failure. */
struct object_gateway *object_gateway_start(const struct config *cfg, char *err, size_t errlen);
void object_gateway_stop(struct object_gateway *g);

#endif
