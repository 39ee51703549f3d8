/*
 * usage: what billing sees of instances. After every state change (compute_events_record) the
 * instance's meter is set from its row: a postpaid instance is metered for its vCPUs and memory
 * (item: the instance family) while it runs, and while it is stopped unless it was stopped with
 * StoppedMode STOP_CHARGING or isolated; its system disk from launch until it is terminated.
 * Prepaid instances are paid by their orders and not metered.
 *
 * And what billing may do to instances (struct billing_product "cvm"): isolate an account's
 * postpaid instances in arrears, let them start again, release them; stop a prepaid instance whose
 * period ended, restore it when renewed, release it when not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing.h"
#include "compute/compute.h"
#include "compute/states.h"
#include "meter/meter.h"

int compute_meter(struct store *s, const char *instance_id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT owner_uin, name, zone, instance_type, cpu, memory_gib, charge_type,"
                                       " state, stopped_mode, restrict_state, system_disk_type, system_disk_size,"
                                       " tags, project_id, (SELECT pool_id FROM hosts h WHERE h.host_id ="
                                       " instances.host_id) FROM instances WHERE instance_id = ?",
                                       "s", instance_id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc != STORE_FOUND) {
        store_done(q);
        return rc < 0 ? -1 : 0;
    }
    char owner[24], name[160], zone[64], region[64], type[32], charge[24], state[24], stopped[24], restrict_[32];
    char disk_type[32], family[32], cluster[40], *tags;
    snprintf(owner, sizeof owner, "%s", store_text(q, 0));
    snprintf(name, sizeof name, "%s", store_text(q, 1));
    snprintf(zone, sizeof zone, "%s", store_text(q, 2));
    snprintf(type, sizeof type, "%s", store_text(q, 3));
    int64_t cpu = store_int(q, 4), mem = store_int(q, 5), disk = store_int(q, 11), project = store_int(q, 13);
    snprintf(charge, sizeof charge, "%s", store_text(q, 6));
    snprintf(state, sizeof state, "%s", store_text(q, 7));
    snprintf(stopped, sizeof stopped, "%s", store_text(q, 8));
    snprintf(restrict_, sizeof restrict_, "%s", store_text(q, 9));
    snprintf(disk_type, sizeof disk_type, "%s", store_text(q, 10));
    tags = strdup(store_text(q, 12));
    snprintf(cluster, sizeof cluster, "%s", store_text(q, 14));
    store_done(q);
    zone_region(zone, region);
    const struct instance_type *it = instance_type_find(type);
    snprintf(family, sizeof family, "%s", it ? it->family : type);

    /* CDHPAID instances rate zero (their dedicated host is billed); CDCPAID ones are rated by their
     * cluster's own price book rows (product cdc, item the cluster id, '*' rows otherwise) */
    int cdh = !strcmp(charge, "CDHPAID"), cdc = !strcmp(charge, "CDCPAID");
    int postpaid = !strcmp(charge, "POSTPAID_BY_HOUR") || cdc;
    int launched = strcmp(state, INSTANCE_PENDING) && strcmp(state, INSTANCE_LAUNCH_FAILED) &&
                   strcmp(state, INSTANCE_TERMINATING) && strcmp(state, INSTANCE_TERMINATED);
    int down =
        !strcmp(state, INSTANCE_STOPPED) || !strcmp(state, INSTANCE_SHUTDOWN) || !strcmp(state, INSTANCE_STOPPING);
    int compute_on =
        postpaid && launched && strcmp(restrict_, "NORMAL") == 0 && !(down && !strcmp(stopped, "STOP_CHARGING"));
    int disk_on = (postpaid || cdh) && launched;
    int64_t t = clock_now();
    struct meter_use u = {owner, instance_id, name, "cvm", "v_cvm_cpu", family, region, zone, tags, 0, project};
    int out = 0;
    if (cdc) {
        u.product = "cdc";
        u.item = cluster;
        u.component = "v_cdc_cpu";
    }
    u.quantity = compute_on ? cpu : 0;
    out |= meter_set(s, &u, t);
    u.component = cdc ? "v_cdc_mem" : "v_cvm_mem";
    u.quantity = compute_on ? mem : 0;
    out |= meter_set(s, &u, t);
    u.product = "cvm";
    u.component = "v_cvm_rootdisk";
    u.item = disk_type;
    u.quantity = disk_on ? disk : 0;
    out |= meter_set(s, &u, t);
    free(tags);
    return out ? -1 : 0;
}

/* Moves the instances the WHERE selects to restrict (and, if running, to a hard stop that no
 * longer charges compute); each change is recorded in the history and the meter. */
static int restrict_where(struct store *s, const char *where, const char *arg, const char *restrict_,
                          const char *reason)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT instance_id, state FROM instances WHERE %s AND " INSTANCE_HOLDS_RESOURCES("state"), where);
    struct store_stmt *q = store_query(s, sql, "s", arg);
    if (!q)
        return -1;
    char ids[256][24], states[256][24];
    int n = 0, rc;
    while ((rc = store_step(q)) == STORE_FOUND && n < 256) {
        snprintf(ids[n], 24, "%s", store_text(q, 0));
        snprintf(states[n++], 24, "%s", store_text(q, 1));
    }
    store_done(q);
    if (rc < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        int up = !strcmp(states[i], INSTANCE_RUNNING) || !strcmp(states[i], INSTANCE_STARTING) ||
                 !strcmp(states[i], INSTANCE_REBOOTING) || !strcmp(states[i], INSTANCE_PENDING);
        if (store_exec(s,
                       up ? "UPDATE instances SET restrict_state = ?, state = '" INSTANCE_STOPPING
                            "', latest_op = 'StopInstances', latest_op_state = 'OPERATING', stop_type = 'HARD',"
                            " stopped_mode = 'STOP_CHARGING', reason = ?, updated = ? WHERE instance_id = ?"
                          : "UPDATE instances SET restrict_state = ?, reason = ?, updated = ? WHERE instance_id = ?",
                       "ssis", restrict_, reason, time_now(), ids[i]) != 1 ||
            compute_events_record(s, ids[i], up ? INSTANCE_STOPPING : states[i], reason) != 0)
            return -1;
    }
    return 0;
}

/* Terminates the instances the WHERE selects (the controller removes their disks and data). */
static int release_where(struct store *s, const char *where, const char *arg, const char *reason)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT instance_id FROM instances WHERE %s AND " INSTANCE_HOLDS_RESOURCES(
                 "state") " AND state != '" INSTANCE_TERMINATING "'",
             where);
    struct store_stmt *q = store_query(s, sql, "s", arg);
    if (!q)
        return -1;
    char ids[256][24];
    int n = 0, rc;
    while ((rc = store_step(q)) == STORE_FOUND && n < 256)
        snprintf(ids[n++], 24, "%s", store_text(q, 0));
    store_done(q);
    if (rc < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (store_exec(s,
                       "UPDATE instances SET state = '" INSTANCE_TERMINATING "', latest_op = 'TerminateInstances',"
                       " latest_op_state = 'OPERATING', reason = ?, updated = ? WHERE instance_id = ?",
                       "sis", reason, time_now(), ids[i]) != 1 ||
            compute_events_record(s, ids[i], INSTANCE_TERMINATING, reason) != 0)
            return -1;
    return 0;
}

int compute_release_on_host(struct store *s, const char *host_id, const char *reason)
{
    return release_where(s, "host_id = ?", host_id, reason);
}

#define POSTPAID_OF "owner_uin = ? AND charge_type IN ('POSTPAID_BY_HOUR', 'CDCPAID')"

static int isolate(struct store *s, const char *owner, int64_t t)
{
    (void)t;
    return restrict_where(s, POSTPAID_OF " AND restrict_state = 'NORMAL'", owner, "PROTECTIVELY_ISOLATED",
                          "arrears: isolated after the grace period");
}

static int restore(struct store *s, const char *owner, int64_t t)
{
    (void)t;
    /* they stay stopped; the customer starts them again */
    return store_exec(s,
                      "UPDATE instances SET restrict_state = 'NORMAL', reason = '' WHERE " POSTPAID_OF
                      " AND restrict_state = 'PROTECTIVELY_ISOLATED'",
                      "s", owner) < 0
               ? -1
               : 0;
}

static int release(struct store *s, const char *owner, int64_t t)
{
    (void)t;
    return release_where(s, POSTPAID_OF " AND restrict_state = 'PROTECTIVELY_ISOLATED'", owner,
                         "arrears: released after the retention period");
}

static int expire(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return restrict_where(s, "instance_id = ?", id, "EXPIRED", "the prepaid period ended");
}

static int renewed(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return store_exec(s, "UPDATE instances SET restrict_state = 'NORMAL', reason = '' WHERE instance_id = ?", "s", id) <
                   0
               ? -1
               : 0;
}

static int reclaim(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return release_where(s, "instance_id = ?", id, "the prepaid period ended and was not renewed");
}

static const struct billing_product cvm_product = {"cvm",  isolate, restore, release,
                                                   expire, renewed, reclaim, compute_kick};

void compute_usage_register(void) { billing_register_product(&cvm_product); }
