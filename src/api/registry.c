/*
 * registry: the action table. Services register their rows at start; lookups are by
 * (version, action) as the SDKs route, or by (service, action) for the CLI.
 */
#include <string.h>

#include "api/api.h"

#define MAX_ACTIONS 1024

static const struct action *table[MAX_ACTIONS];
static int count;

void api_register(const struct action *actions, int n)
{
    for (int i = 0; i < n && count < MAX_ACTIONS; i++) {
        if (api_find(actions[i].version, actions[i].name))
            continue; /* registering a table twice is harmless */
        table[count++] = &actions[i];
    }
}

const struct action *api_find(const char *version, const char *name)
{
    for (int i = 0; version && name && i < count; i++)
        if (strcmp(table[i]->name, name) == 0 && strcmp(table[i]->version, version) == 0)
            return table[i];
    return NULL;
}

const struct action *api_find_service(const char *service, const char *name)
{
    for (int i = 0; service && name && i < count; i++)
        if (strcmp(table[i]->name, name) == 0 && strcmp(table[i]->service, service) == 0)
            return table[i];
    return NULL;
}

int api_action_count(void) { return count; }
const struct action *api_action_at(int i) { return (i >= 0 && i < count) ? table[i] : NULL; }
