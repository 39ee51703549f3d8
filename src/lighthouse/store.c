/*
 * store: every SQL statement of lighthouse, on its own tables (lighthouse_*), and its one read of
 * compute's image catalogue (the public images registered under a built-in name). Blueprint ids
 * are derived from the image id, so every process names an image's blueprint the same way, and
 * kept in lighthouse_blueprints so they stay what they were if the derivation ever changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lighthouse/lighthouse_int.h"

const struct migration lh_migrations[] = {
    {1,
     "CREATE TABLE lighthouse_blueprints (blueprint_id TEXT PRIMARY KEY, image_id TEXT NOT NULL UNIQUE,"
     " created INTEGER NOT NULL);"
     "CREATE TABLE lighthouse_instances (instance_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL,"
     " cvm_instance_id TEXT NOT NULL UNIQUE, bundle_id TEXT NOT NULL, blueprint_id TEXT NOT NULL, name TEXT NOT NULL,"
     " zone TEXT NOT NULL, eip_id TEXT NOT NULL, security_group_id TEXT NOT NULL, state TEXT NOT NULL,"
     " ready INTEGER NOT NULL DEFAULT 0, latest_op TEXT NOT NULL, latest_op_request TEXT NOT NULL,"
     " latest_op_time INTEGER NOT NULL, created INTEGER NOT NULL);"
     "CREATE INDEX lighthouse_instances_owner ON lighthouse_instances (owner_uin, state);"
     "CREATE TABLE lighthouse_client_tokens (owner_uin TEXT NOT NULL, token TEXT NOT NULL,"
     " instance_ids TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (owner_uin, token));"},
};
const int lh_migration_count = sizeof lh_migrations / sizeof lh_migrations[0];

int lh_store_builtin_images(struct store *s,
                            int (*fn)(void *arg, const char *image_id, const char *os_name, const char *platform,
                                      int64_t size_gib, const char *state, int64_t created, const char *builtin),
                            void *arg)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT image_id, os_name, platform, size_gib, state, created, builtin FROM"
                    " images WHERE owner_uin = '' AND builtin IS NOT NULL ORDER BY created, image_id",
                    "");
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND)
        if (fn(arg, store_text(q, 0), store_text(q, 1), store_text(q, 2), store_int(q, 3), store_text(q, 4),
               store_int(q, 5), store_text(q, 6)) != 0) {
            rc = -1;
            break;
        }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int lh_store_blueprint_id(struct store *s, const char *image_id, char id[24])
{
    struct store_stmt *q =
        store_query(s, "SELECT blueprint_id FROM lighthouse_blueprints WHERE image_id = ?", "s", image_id);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND)
        snprintf(id, 24, "%s", store_text(q, 0));
    store_done(q);
    if (rc == STORE_FOUND)
        return 0;
    if (rc < 0)
        return -1;
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t h[32];
    sha256(image_id, strlen(image_id), h);
    snprintf(id, 24, "lhbp-");
    for (int i = 0; i < 8; i++)
        id[5 + i] = alphabet[h[i] % 36];
    id[13] = 0;
    /* Kept on first sight. Describe actions run outside a transaction and may meet a busy store:
     * the derived id is what any process would record, so a failed write loses nothing. */
    store_exec(s,
               "INSERT INTO lighthouse_blueprints (blueprint_id, image_id, created) VALUES (?, ?, ?)"
               " ON CONFLICT (image_id) DO NOTHING",
               "ssi", id, image_id, time_now());
    return 0;
}

int lh_store_instance_insert(struct store *s, const struct lh_instance *in)
{
    return store_exec(s,
                      "INSERT INTO lighthouse_instances (instance_id, owner_uin, cvm_instance_id, bundle_id,"
                      " blueprint_id, name, zone, eip_id, security_group_id, state, ready, latest_op,"
                      " latest_op_request, latest_op_time, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', 0,"
                      " ?, ?, ?, ?)",
                      "sssssssssssii", in->id, in->owner, in->cvm_id, in->bundle_id, in->blueprint_id, in->name,
                      in->zone, in->eip_id, in->sg_id, in->latest_op, in->latest_op_request, in->latest_op_time,
                      in->created) == 1
               ? 0
               : -1;
}

#define INSTANCE_COLUMNS                                                                                               \
    "instance_id, owner_uin, cvm_instance_id, bundle_id, blueprint_id, name, zone, eip_id, security_group_id,"         \
    " ready, latest_op, latest_op_request, latest_op_time, created"

static void instance_row(struct store_stmt *q, struct lh_instance *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", store_text(q, 0));
    snprintf(o->owner, sizeof o->owner, "%s", store_text(q, 1));
    snprintf(o->cvm_id, sizeof o->cvm_id, "%s", store_text(q, 2));
    snprintf(o->bundle_id, sizeof o->bundle_id, "%s", store_text(q, 3));
    snprintf(o->blueprint_id, sizeof o->blueprint_id, "%s", store_text(q, 4));
    snprintf(o->name, sizeof o->name, "%s", store_text(q, 5));
    snprintf(o->zone, sizeof o->zone, "%s", store_text(q, 6));
    snprintf(o->eip_id, sizeof o->eip_id, "%s", store_text(q, 7));
    snprintf(o->sg_id, sizeof o->sg_id, "%s", store_text(q, 8));
    o->ready = store_int(q, 9);
    snprintf(o->latest_op, sizeof o->latest_op, "%s", store_text(q, 10));
    snprintf(o->latest_op_request, sizeof o->latest_op_request, "%s", store_text(q, 11));
    o->latest_op_time = store_int(q, 12);
    o->created = store_int(q, 13);
}

int lh_store_instance_get(struct store *s, const char *owner, const char *id, struct lh_instance *out)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " INSTANCE_COLUMNS " FROM lighthouse_instances WHERE instance_id = ?"
                                       " AND owner_uin = ? AND state = 'ACTIVE'",
                                       "ss", id, owner);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == STORE_FOUND)
        instance_row(q, out);
    store_done(q);
    return rc < 0 ? -1 : rc == STORE_FOUND;
}

int lh_store_instance_by_id(struct store *s, const char *id, struct lh_instance *out)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " INSTANCE_COLUMNS " FROM lighthouse_instances WHERE instance_id = ?"
                                       " AND state = 'ACTIVE'",
                                       "s", id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == STORE_FOUND)
        instance_row(q, out);
    store_done(q);
    return rc < 0 ? -1 : rc == STORE_FOUND;
}

int lh_store_instances(struct store *s, const char *owner, struct lh_instance **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct store_stmt *q = store_query(s,
                                       "SELECT " INSTANCE_COLUMNS " FROM lighthouse_instances WHERE owner_uin = ?"
                                       " AND state = 'ACTIVE' ORDER BY created, instance_id",
                                       "s", owner);
    if (!q)
        return -1;
    int rc, cap = 0;
    while ((rc = store_step(q)) == STORE_FOUND) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct lh_instance *p = realloc(*out, (size_t)cap * sizeof **out);
            if (!p) {
                rc = -1;
                break;
            }
            *out = p;
        }
        instance_row(q, &(*out)[(*n)++]);
    }
    store_done(q);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int lh_store_instance_op(struct store *s, const char *owner, const char *id, const char *op, const char *request_id)
{
    return store_exec(s,
                      "UPDATE lighthouse_instances SET latest_op = ?, latest_op_request = ?, latest_op_time = ?"
                      " WHERE instance_id = ? AND owner_uin = ?",
                      "ssiss", op, request_id, time_now(), id, owner) == 1
               ? 0
               : -1;
}

int lh_store_instance_reset(struct store *s, const char *owner, const char *id, const char *blueprint_id)
{
    return store_exec(s,
                      "UPDATE lighthouse_instances SET blueprint_id = ?, ready = 0 WHERE instance_id = ?"
                      " AND owner_uin = ?",
                      "sss", blueprint_id, id, owner) == 1
               ? 0
               : -1;
}

int lh_store_instance_rename(struct store *s, const char *owner, const char *id, const char *name)
{
    return store_exec(s, "UPDATE lighthouse_instances SET name = ? WHERE instance_id = ? AND owner_uin = ?", "sss",
                      name, id, owner) == 1
               ? 0
               : -1;
}

int lh_store_instance_ready(struct store *s, const char *id)
{
    return store_exec(s, "UPDATE lighthouse_instances SET ready = 1 WHERE instance_id = ?", "s", id) < 0 ? -1 : 0;
}

int lh_store_instance_terminated(struct store *s, const char *owner, const char *id)
{
    return store_exec(s, "UPDATE lighthouse_instances SET state = 'TERMINATED' WHERE instance_id = ? AND owner_uin = ?",
                      "ss", id, owner) == 1
               ? 0
               : -1;
}

int lh_store_token_get(struct store *s, const char *owner, const char *token, json_t **ids)
{
    *ids = NULL;
    struct store_stmt *q = store_query(
        s, "SELECT instance_ids FROM lighthouse_client_tokens WHERE owner_uin = ? AND token = ?", "ss", owner, token);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == STORE_FOUND)
        *ids = json_loads(store_text(q, 0), 0, NULL);
    store_done(q);
    return rc < 0 ? -1 : *ids != NULL;
}

int lh_store_token_put(struct store *s, const char *owner, const char *token, json_t *ids)
{
    char *text = json_dumps(ids, JSON_COMPACT);
    int rc = text ? store_exec(s,
                               "INSERT INTO lighthouse_client_tokens (owner_uin, token, instance_ids, created)"
                               " VALUES (?, ?, ?, ?)",
                               "sssi", owner, token, text, time_now())
                  : -1;
    free(text);
    return rc == 1 ? 0 : -1;
}
