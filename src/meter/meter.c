/* meter: usage intervals (see meter.h). */
#include <string.h>

#include "core/core.h"
#include "meter/meter.h"

static const struct migration meter_migrations[] = {
    {1, "CREATE TABLE meter_usage (resource_id TEXT NOT NULL, component TEXT NOT NULL, start_time INTEGER NOT NULL,"
        " end_time INTEGER NOT NULL DEFAULT 0, owner_uin TEXT NOT NULL, resource_name TEXT NOT NULL DEFAULT '',"
        " product TEXT NOT NULL, item TEXT NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL DEFAULT '',"
        " tags TEXT NOT NULL DEFAULT '[]', quantity INTEGER NOT NULL, project_id INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (resource_id, component, start_time));"
        "CREATE INDEX meter_usage_end ON meter_usage (end_time, start_time);"
        "CREATE INDEX meter_usage_owner ON meter_usage (owner_uin, end_time, start_time);"},
};

int meter_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "meter", meter_migrations, sizeof meter_migrations / sizeof meter_migrations[0], err,
                         errlen);
}

static const char *nz(const char *s) { return s ? s : ""; }

/* Closes the open interval of (resource, component; NULL = all) at t; one that started at t is removed. */
static int close_open(struct store *s, const char *resource_id, const char *component, int64_t t)
{
    if (component)
        return store_exec(s,
                          "DELETE FROM meter_usage WHERE resource_id = ? AND component = ? AND end_time = 0"
                          " AND start_time >= ?",
                          "ssi", resource_id, component, t) < 0 ||
                       store_exec(s,
                                  "UPDATE meter_usage SET end_time = ? WHERE resource_id = ? AND component = ?"
                                  " AND end_time = 0",
                                  "iss", t, resource_id, component) < 0
                   ? -1
                   : 0;
    return store_exec(s, "DELETE FROM meter_usage WHERE resource_id = ? AND end_time = 0 AND start_time >= ?", "si",
                      resource_id, t) < 0 ||
                   store_exec(s, "UPDATE meter_usage SET end_time = ? WHERE resource_id = ? AND end_time = 0", "is", t,
                              resource_id) < 0
               ? -1
               : 0;
}

int meter_set(struct store *s, const struct meter_use *u, int64_t t)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT item, quantity, resource_name, tags FROM meter_usage"
                                       " WHERE resource_id = ? AND component = ? AND end_time = 0",
                                       "ss", u->resource_id, u->component);
    if (!q)
        return -1;
    int rc = store_step(q);
    int same = rc == STORE_FOUND && u->quantity > 0 && !strcmp(store_text(q, 0), nz(u->item)) &&
               store_int(q, 1) == u->quantity && !strcmp(store_text(q, 2), nz(u->resource_name)) &&
               !strcmp(store_text(q, 3), u->tags ? u->tags : "[]");
    store_done(q);
    if (rc < 0)
        return -1;
    if (same || (rc == STORE_NOT_FOUND && u->quantity <= 0))
        return 0;
    if (rc == STORE_FOUND && close_open(s, u->resource_id, u->component, t) != 0)
        return -1;
    if (u->quantity <= 0)
        return 0;
    return store_exec(s,
                      "INSERT INTO meter_usage (resource_id, component, start_time, end_time, owner_uin, resource_name,"
                      " product, item, region, zone, tags, quantity, project_id) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?,"
                      " ?, ?, ?) ON CONFLICT (resource_id, component, start_time) DO UPDATE SET end_time = 0,"
                      " item = excluded.item, quantity = excluded.quantity, resource_name = excluded.resource_name,"
                      " tags = excluded.tags",
                      "ssisssssssii", u->resource_id, u->component, t, u->owner_uin, nz(u->resource_name), u->product,
                      nz(u->item), nz(u->region), nz(u->zone), u->tags ? u->tags : "[]", u->quantity, u->project_id) < 0
               ? -1
               : 0;
}

int meter_stop(struct store *s, const char *resource_id, const char *component, int64_t t)
{
    return close_open(s, resource_id, component, t);
}

int meter_owners(struct store *s, int64_t from, int64_t to, meter_fn fn, void *arg)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT DISTINCT owner_uin FROM meter_usage WHERE (end_time = 0 OR end_time > ?)"
                                       " AND start_time < ? ORDER BY owner_uin",
                                       "ii", from, to);
    if (!q)
        return -1;
    int rc, out = 0;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct meter_interval iv = {.owner_uin = store_text(q, 0)};
        if ((out = fn(&iv, arg)) != 0)
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : out;
}

int meter_each(struct store *s, const char *owner_uin, int64_t from, int64_t to, meter_fn fn, void *arg)
{
    struct store_stmt *q = store_query(
        s,
        "SELECT owner_uin, resource_id, resource_name, product, component, item, region, zone, tags, quantity,"
        " project_id, start_time, end_time FROM meter_usage WHERE owner_uin = ? AND (end_time = 0 OR end_time > ?)"
        " AND start_time < ? ORDER BY resource_id, component, start_time",
        "sii", owner_uin, from, to);
    if (!q)
        return -1;
    int rc, out = 0;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct meter_interval iv = {store_text(q, 0), store_text(q, 1), store_text(q, 2), store_text(q, 3),
                                    store_text(q, 4), store_text(q, 5), store_text(q, 6), store_text(q, 7),
                                    store_text(q, 8), store_int(q, 9),  store_int(q, 10), store_int(q, 11),
                                    store_int(q, 12)};
        if ((out = fn(&iv, arg)) != 0)
            break;
    }
    store_done(q);
    return rc < 0 ? -1 : out;
}
