/*
 * store: the cdc service's tables (component "dedicated", its own migration chain) and every
 * statement on them. Sites and clusters are the owner's; each query names the owner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedicated/dedicated_int.h"

static const struct migration dedicated_migrations[] = {
    {1, "CREATE TABLE dedicated_sites (site_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL,"
        " name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',"
        " country TEXT NOT NULL DEFAULT '', province TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '',"
        " address_line TEXT NOT NULL DEFAULT '', optional_address_line TEXT NOT NULL DEFAULT '',"
        " postal_code INTEGER NOT NULL DEFAULT 0, fiber_type TEXT NOT NULL DEFAULT '',"
        " optical_standard TEXT NOT NULL DEFAULT '', power_connectors TEXT NOT NULL DEFAULT '',"
        " power_feed_drop TEXT NOT NULL DEFAULT '', max_weight INTEGER NOT NULL DEFAULT 0,"
        " power_draw_kva INTEGER NOT NULL DEFAULT 0, uplink_speed_gbps INTEGER NOT NULL DEFAULT 0,"
        " uplink_count INTEGER NOT NULL DEFAULT 0, condition_requirement INTEGER NOT NULL DEFAULT 0,"
        " dimension_requirement INTEGER NOT NULL DEFAULT 0, redundant_networking INTEGER NOT NULL DEFAULT 0,"
        " need_help INTEGER NOT NULL DEFAULT 0, redundant_power INTEGER NOT NULL DEFAULT 0,"
        " breaker_requirement INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
        "CREATE INDEX dedicated_sites_owner ON dedicated_sites (owner_uin);"
        "CREATE TABLE dedicated_clusters (cluster_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL,"
        " site_id TEXT NOT NULL, name TEXT NOT NULL, zone TEXT NOT NULL, region TEXT NOT NULL,"
        " description TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL);"
        "CREATE INDEX dedicated_clusters_owner ON dedicated_clusters (owner_uin, region);"},
};

int dedicated_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "dedicated", dedicated_migrations,
                         sizeof dedicated_migrations / sizeof dedicated_migrations[0], err, errlen);
}

const struct site_field site_fields[] = {
    {"Name", "name", 's'},
    {"Description", "description", 's'},
    {"Note", "note", 's'},
    {"Country", "country", 's'},
    {"Province", "province", 's'},
    {"City", "city", 's'},
    {"AddressLine", "address_line", 's'},
    {"OptionalAddressLine", "optional_address_line", 's'},
    {"PostalCode", "postal_code", 'i'},
    {"FiberType", "fiber_type", 's'},
    {"OpticalStandard", "optical_standard", 's'},
    {"PowerConnectors", "power_connectors", 's'},
    {"PowerFeedDrop", "power_feed_drop", 's'},
    {"MaxWeight", "max_weight", 'i'},
    {"PowerDrawKva", "power_draw_kva", 'i'},
    {"UplinkSpeedGbps", "uplink_speed_gbps", 'i'},
    {"UplinkCount", "uplink_count", 'i'},
    {"ConditionRequirement", "condition_requirement", 'b'},
    {"DimensionRequirement", "dimension_requirement", 'b'},
    {"RedundantNetworking", "redundant_networking", 'b'},
    {"NeedHelp", "need_help", 'b'},
    {"RedundantPower", "redundant_power", 'b'},
    {"BreakerRequirement", "breaker_requirement", 'b'},
    {NULL, NULL, 0},
};

int site_insert(struct store *s, const char *site_id, const char *owner_uin, int64_t t)
{
    return store_exec(s, "INSERT INTO dedicated_sites (site_id, owner_uin, created) VALUES (?, ?, ?)", "ssi", site_id,
                      owner_uin, t) == 1
               ? 0
               : -1;
}

int site_set(struct store *s, const char *owner_uin, const char *site_id, const struct site_field *f, json_t *v)
{
    char sql[200]; /* the column comes from site_fields, never from the request */
    snprintf(sql, sizeof sql, "UPDATE dedicated_sites SET %s = ? WHERE site_id = ? AND owner_uin = ?", f->column);
    if (f->kind == 's')
        return store_exec(s, sql, "sss", json_string_value(v) ? json_string_value(v) : "", site_id, owner_uin);
    int64_t n = json_is_string(v)    ? strtoll(json_string_value(v), NULL, 10)
                : json_is_boolean(v) ? (json_is_true(v) ? 1 : 0)
                                     : json_integer_value(v);
    return store_exec(s, sql, "iss", n, site_id, owner_uin);
}

json_t *site_rows(struct store *s, const char *owner_uin)
{
    char sql[1200] = "SELECT site_id, created";
    size_t o = strlen(sql);
    for (const struct site_field *f = site_fields; f->param; f++)
        o += (size_t)snprintf(sql + o, sizeof sql - o, ", %s", f->column);
    snprintf(sql + o, sizeof sql - o, " FROM dedicated_sites WHERE owner_uin = ? ORDER BY created, site_id");
    struct store_stmt *q = store_query(s, sql, "s", owner_uin);
    if (!q)
        return NULL;
    json_t *set = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        char t[32];
        time_iso8601(store_int(q, 1), t);
        json_t *row = json_pack("{s:s,s:s}", "SiteId", store_text(q, 0), "CreateTime", t);
        int col = 2;
        for (const struct site_field *f = site_fields; f->param; f++, col++)
            json_object_set_new(row, f->param,
                                f->kind == 's'   ? json_string(store_text(q, col))
                                : f->kind == 'b' ? json_boolean(store_int(q, col) != 0)
                                                 : json_integer((json_int_t)store_int(q, col)));
        json_array_append_new(set, row);
    }
    store_done(q);
    if (rc < 0) {
        json_decref(set);
        return NULL;
    }
    return set;
}

int site_exists(struct store *s, const char *owner_uin, const char *site_id)
{
    struct store_stmt *q =
        store_query(s, "SELECT 1 FROM dedicated_sites WHERE site_id = ? AND owner_uin = ?", "ss", site_id, owner_uin);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc;
}

int64_t site_cluster_count(struct store *s, const char *owner_uin, const char *site_id)
{
    struct store_stmt *q = store_query(s, "SELECT count(*) FROM dedicated_clusters WHERE site_id = ? AND owner_uin = ?",
                                       "ss", site_id, owner_uin);
    int rc = q ? store_step(q) : -1;
    int64_t n = rc == 1 ? store_int(q, 0) : -1;
    store_done(q);
    return n;
}

int site_delete(struct store *s, const char *owner_uin, const char *site_id)
{
    return store_exec(s, "DELETE FROM dedicated_sites WHERE site_id = ? AND owner_uin = ?", "ss", site_id, owner_uin);
}

int cluster_insert(struct store *s, const char *cluster_id, const char *owner_uin, const char *site_id,
                   const char *name, const char *zone, const char *region, const char *description, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO dedicated_clusters (cluster_id, owner_uin, site_id, name, zone, region, description,"
                      " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "sssssssi", cluster_id, owner_uin, site_id, name, zone, region, description, t) == 1
               ? 0
               : -1;
}

json_t *cluster_rows(struct store *s, const char *owner_uin, const char *region)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT cluster_id, zone, description, name, created, site_id FROM"
                                       " dedicated_clusters WHERE owner_uin = ? AND region = ?"
                                       " ORDER BY created, cluster_id",
                                       "ss", owner_uin, region);
    if (!q)
        return NULL;
    json_t *set = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        char t[32];
        time_iso8601(store_int(q, 4), t);
        json_array_append_new(set, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "DedicatedClusterId", store_text(q, 0),
                                             "Zone", store_text(q, 1), "Description", store_text(q, 2), "Name",
                                             store_text(q, 3), "CreateTime", t, "SiteId", store_text(q, 5)));
    }
    store_done(q);
    if (rc < 0) {
        json_decref(set);
        return NULL;
    }
    return set;
}

int cluster_set(struct store *s, const char *owner_uin, const char *cluster_id, const char *column, const char *v)
{
    char sql[200]; /* column: a constant of the caller's */
    snprintf(sql, sizeof sql, "UPDATE dedicated_clusters SET %s = ? WHERE cluster_id = ? AND owner_uin = ?", column);
    return store_exec(s, sql, "sss", v, cluster_id, owner_uin);
}

int cluster_delete(struct store *s, const char *owner_uin, const char *cluster_id)
{
    return store_exec(s, "DELETE FROM dedicated_clusters WHERE cluster_id = ? AND owner_uin = ?", "ss", cluster_id,
                      owner_uin);
}

int dedicated_cluster_zone(struct store *s, const char *owner_uin, const char *cluster_id, char zone[64])
{
    struct store_stmt *q = store_query(s, "SELECT zone FROM dedicated_clusters WHERE cluster_id = ? AND owner_uin = ?",
                                       "ss", cluster_id, owner_uin);
    int rc = q ? store_step(q) : -1;
    if (rc == 1)
        snprintf(zone, 64, "%s", store_text(q, 0));
    store_done(q);
    return rc;
}

int dedicated_cluster_owner(struct store *s, const char *cluster_id, char owner[24], char zone[64])
{
    struct store_stmt *q =
        store_query(s, "SELECT owner_uin, zone FROM dedicated_clusters WHERE cluster_id = ?", "s", cluster_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        snprintf(owner, 24, "%s", store_text(q, 0));
        snprintf(zone, 64, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc;
}
