/*
 * instance_view: read-only instance views for other services (see instance_view.h). The only
 * place outside compute that reads the instances table's columns, so the table can change
 * without touching its readers.
 */
#include <stdio.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/instance_view.h"
#include "compute/states.h"

#define INFO_COLUMNS                                                                                                   \
    "instance_id, owner_uin, state, zone, name, charge_type, project_id, created, system_disk_id, system_disk_type,"   \
    " system_disk_size, sold_by,"                                                                                      \
    " coalesce((SELECT h.host_id FROM hosts h WHERE h.host_id = instances.host_id AND h.joined = 1), ''),"             \
    " migrate_to, host_id"

static void fill(struct store_stmt *q, struct instance_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->instance_id, sizeof out->instance_id, "%s", store_text(q, 0));
    snprintf(out->owner_uin, sizeof out->owner_uin, "%s", store_text(q, 1));
    snprintf(out->state, sizeof out->state, "%s", store_text(q, 2));
    snprintf(out->zone, sizeof out->zone, "%s", store_text(q, 3));
    snprintf(out->name, sizeof out->name, "%s", store_text(q, 4));
    snprintf(out->charge_type, sizeof out->charge_type, "%s", store_text(q, 5));
    out->project_id = store_int(q, 6);
    out->created = store_int(q, 7);
    snprintf(out->system_disk_id, sizeof out->system_disk_id, "%s", store_text(q, 8));
    snprintf(out->system_disk_type, sizeof out->system_disk_type, "%s", store_text(q, 9));
    out->system_disk_size = store_int(q, 10);
    snprintf(out->sold_by, sizeof out->sold_by, "%s", store_text(q, 11));
    snprintf(out->joined_host, sizeof out->joined_host, "%s", store_text(q, 12));
    out->migrating = store_text(q, 13)[0] != 0;
    snprintf(out->host_id, sizeof out->host_id, "%s", store_text(q, 14));
    snprintf(out->run_dir, sizeof out->run_dir, "%.480s/instances/%.24s", compute_env.data_dir, out->instance_id);
    snprintf(out->system_disk_path, sizeof out->system_disk_path, "%s/system.qcow2", out->run_dir);
}

static int one(struct store_stmt *q, struct instance_info *out)
{
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        fill(q, out);
    store_done(q);
    return rc == 1 ? STORE_FOUND : rc == 0 ? STORE_NOT_FOUND : STORE_ERROR;
}

int compute_instance_info(struct store *s, const char *owner_uin, const char *instance_id, struct instance_info *out)
{
    return one(store_query(s,
                           "SELECT " INFO_COLUMNS
                           " FROM instances WHERE instance_id = ? AND (CAST(? AS TEXT) IS NULL OR owner_uin = ?)"
                           " AND state != '" INSTANCE_TERMINATED "'",
                           "sss", instance_id, owner_uin, owner_uin),
               out);
}

int compute_system_disk_owner(struct store *s, const char *owner_uin, const char *disk_id, struct instance_info *out)
{
    return one(store_query(s,
                           "SELECT " INFO_COLUMNS
                           " FROM instances WHERE system_disk_id = ? AND (CAST(? AS TEXT) IS NULL OR owner_uin = ?)"
                           " AND state != '" INSTANCE_TERMINATED "'",
                           "sss", disk_id, owner_uin, owner_uin),
               out);
}

int compute_each_instance(struct store *s, const char *owner_uin, int (*fn)(const struct instance_info *in, void *arg),
                          void *arg)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT " INFO_COLUMNS " FROM instances WHERE owner_uin = ? AND state != '" INSTANCE_TERMINATED "'"
                    " ORDER BY rowid",
                    "s", owner_uin);
    if (!q)
        return -1;
    int rc, ret = 0;
    struct instance_info in;
    while (ret == 0 && (rc = store_step(q)) == 1) {
        fill(q, &in);
        ret = fn(&in, arg);
    }
    store_done(q);
    return ret ? ret : rc < 0 ? -1 : 0;
}
