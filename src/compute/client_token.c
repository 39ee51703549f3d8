/*
 * client_token: the idempotence of cvm's buying actions (RunInstances, AllocateHosts). A ClientToken
 * the account used before returns the ids that call made, whatever else changed since; a first use
 * is recorded in the transaction that makes the resources, so a retry after a lost answer never buys
 * twice. One table (client_tokens); each action keeps its own tokens (scope), so the same string given
 * to two different actions names two calls.
 */
#include <stdio.h>
#include <stdlib.h>

#include "compute/compute.h"

/* RunInstances' rows predate scopes: its tokens are stored as given. */
static void scoped(const char *scope, const char *token, char *out, size_t len)
{
    if (scope && *scope)
        snprintf(out, len, "%s/%s", scope, token);
    else
        snprintf(out, len, "%s", token);
}

json_t *client_token_ids(struct store *s, const char *owner_uin, const char *scope, const char *token)
{
    char key[160];
    scoped(scope, token, key, sizeof key);
    struct store_stmt *q = store_query(s, "SELECT instance_ids FROM client_tokens WHERE owner_uin = ? AND token = ?",
                                       "ss", owner_uin, key);
    int rc = q ? store_step(q) : -1;
    json_t *ids = rc == 1 ? json_loads(store_text(q, 0), 0, NULL) : NULL;
    store_done(q);
    return ids;
}

int client_token_record(struct store *s, const char *owner_uin, const char *scope, const char *token, json_t *ids,
                        int64_t now)
{
    char key[160];
    scoped(scope, token, key, sizeof key);
    char *text = json_dumps(ids, JSON_COMPACT);
    int rc =
        text ? store_exec(s, "INSERT INTO client_tokens (owner_uin, token, instance_ids, created) VALUES (?, ?, ?, ?)",
                          "sssi", owner_uin, key, text, now)
             : -1;
    free(text);
    return rc == 1 ? 0 : -1;
}
