/*
 * host_doc: the documents a joined host is told and what it reports back (host_channel.h).
 *
 * A host's document is every instance placed on it that is not being terminated, each with the
 * state the store records and what running it takes (vCPUs, memory, the image's parts, the
 * system disk's size, MAC, tap, kernel command line), and the host's network plan
 * (host_network_plan: its NICs, and for each of its VPCs the other hosts carrying it, by their
 * underlay addresses: the address a joined host's session comes from, the built-in host's channel
 * listen address), and the cloud disks whose files it holds (block's block_host_disks; their report goes to
 * block_host_report). Its version is a hash of its text, so a host that holds
 * the current one is sent nothing. The host acts on each instance by that state, as the
 * built-in host's controller does (PENDING/STARTING boot, STOPPING stops, REBOOTING reboots,
 * RUNNING is watched), and reports per instance what it saw and for which state it acted; a
 * report moves the instance on only from that state, so a report overtaken by a newer API call
 * changes nothing. An instance being terminated is finished once the host reports, for the
 * current version, that it no longer has it. A live migration (migration.c) shows in two documents: the
 * target's names the instance MIGRATING_IN with where the stream comes from (Incoming), and the source's
 * adds where to send it (Migrate) once the target reported READY, both with the cloud disks it carries; the plans
 * follow (the target makes the NIC while its frames still go to the source, and opens its migration ports to the source
 * only). Every statement of these documents is here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "network/network.h"

/* An underlay address other hosts can reach (not loopback, 0/8, multicast or broadcast: the host side
 * refuses a plan naming one): a host seen connecting from loopback shares no VPC with others. */
static int underlay_usable(const char *a)
{
    unsigned x, y, z, w;
    char extra;
    return sscanf(a, "%u.%u.%u.%u%c", &x, &y, &z, &w, &extra) == 4 && x > 0 && x != 127 && x < 224 && y < 256 &&
           z < 256 && w < 256;
}

struct host_arg {
    struct store *s;
    const char *host_id;
    int ok;          /* this host has a usable underlay: remote NICs are of use to it */
    json_t *placed;  /* instance -> [host, underlay, migrate_to, state] of the subnets read so far */
    json_t *subnets; /* the subnets read into placed */
};

/* Where an instance is (host, its underlay, the host it moves to, state): from the placements of its subnet, read
 * in one statement the first time a NIC of that subnet is asked about (a plan asks about every NIC of the host's
 * VPCs), else (a NIC of another subnet than its instance's) on its own. 1 found, 0 not placed, -1 error. */
static int placed_of(struct host_arg *a, const char *instance_id, const char *subnet_id, json_t **row)
{
    if (subnet_id && *subnet_id && !json_object_get(a->subnets, subnet_id)) {
        struct store_stmt *q = store_query(a->s,
                                           "SELECT i.instance_id, i.host_id, h.underlay, i.migrate_to, i.state FROM"
                                           " instances i JOIN hosts h ON h.host_id = i.host_id WHERE i.subnet_id = ?"
                                           " AND i.state != '" INSTANCE_TERMINATED "'",
                                           "s", subnet_id);
        int rc = q ? 0 : -1;
        while (q && (rc = store_step(q)) == 1)
            json_object_set_new(
                a->placed, store_text(q, 0),
                json_pack("[s,s,s,s]", store_text(q, 1), store_text(q, 2), store_text(q, 3), store_text(q, 4)));
        store_done(q);
        if (rc < 0)
            return -1;
        json_object_set_new(a->subnets, subnet_id, json_true());
    }
    if ((*row = json_object_get(a->placed, instance_id)))
        return 1;
    struct store_stmt *q = store_query(a->s,
                                       "SELECT i.host_id, h.underlay, i.migrate_to, i.state FROM instances i"
                                       " JOIN hosts h ON h.host_id = i.host_id"
                                       " WHERE i.instance_id = ? AND i.state != '" INSTANCE_TERMINATED "'",
                                       "s", instance_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1)
        json_object_set_new(
            a->placed, instance_id,
            json_pack("[s,s,s,s]", store_text(q, 0), store_text(q, 1), store_text(q, 2), store_text(q, 3)));
    store_done(q);
    *row = json_object_get(a->placed, instance_id);
    return rc;
}

/* Where an instance's NIC is for this host: here, at another host's underlay, or arriving here (a
 * migration to this host: the tap is made here, frames still go to the source until the move). */
static int nic_where(const char *instance_id, const char *subnet_id, void *arg, char underlay[16])
{
    struct host_arg *a = arg;
    json_t *row = NULL;
    if (placed_of(a, instance_id, subnet_id, &row) != 1)
        return NIC_NOT_PLACED;
    const char *host = json_string_value(json_array_get(row, 0)),
               *at_underlay = json_string_value(json_array_get(row, 1)),
               *to = json_string_value(json_array_get(row, 2)), *state = json_string_value(json_array_get(row, 3));
    if (!strcmp(state, INSTANCE_TERMINATING))
        return NIC_NOT_PLACED; /* its QEMU goes now: its tap and forwarding entries with it, not after the record */
    int arriving = !strcmp(to, a->host_id) && !strcmp(state, INSTANCE_RUNNING);
    int reachable = a->ok && underlay_usable(at_underlay) && strlen(at_underlay) < 16;
    int at = NIC_NOT_PLACED;
    if (!strcmp(host, a->host_id))
        at = NIC_HERE;
    else if (arriving)
        at = reachable ? NIC_ARRIVING : NIC_HERE;
    else if (reachable)
        at = NIC_REMOTE;
    if (at == NIC_REMOTE || at == NIC_ARRIVING)
        snprintf(underlay, 16, "%s", at_underlay);
    return at;
}

/* The migrations coming to host_id: [{From: the source's underlay, Ports: [NBD, stream]}], the only
 * connections its migration ports take (net_rules.c). */
static int incoming_migrations(struct store *s, const char *host_id, json_t *plan)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT h.underlay, i.migrate_port FROM instances i JOIN hosts h ON"
                                       " h.host_id = i.host_id WHERE i.migrate_to = ? AND i.state = '" INSTANCE_RUNNING
                                       "' ORDER BY i.instance_id",
                                       "s", host_id);
    json_t *list = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1)
        if (underlay_usable(store_text(q, 0)))
            json_array_append_new(list, json_pack("{s:s,s:[I,I]}", "From", store_text(q, 0), "Ports",
                                                  (json_int_t)store_int(q, 1), (json_int_t)store_int(q, 1) + 1));
    store_done(q);
    if (json_array_size(list))
        json_object_set(plan, "Migrations", list);
    json_decref(list);
    return rc < 0 ? -1 : 0;
}

json_t *host_network_plan(struct store *s, const char *host_id)
{
    struct store_stmt *q = store_query(s, "SELECT underlay FROM hosts WHERE host_id = ?", "s", host_id);
    char underlay[64] = "";
    if (q && store_step(q) == 1)
        snprintf(underlay, sizeof underlay, "%s", store_text(q, 0));
    store_done(q);
    struct host_arg a = {s, host_id, underlay_usable(underlay), json_object(), json_object()};
    /* the instances whose NICs may be here: placed here, or moving here */
    q = store_query(s,
                    "SELECT instance_id FROM instances WHERE state NOT IN ('" INSTANCE_TERMINATED
                    "', '" INSTANCE_TERMINATING "') AND (host_id = ? OR (migrate_to = ? AND state = '" INSTANCE_RUNNING
                    "')) ORDER BY instance_id",
                    "ss", host_id, host_id);
    json_t *ids = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1)
        json_array_append_new(ids, json_string(store_text(q, 0)));
    store_done(q);
    const char **local = calloc(json_array_size(ids) + 1, sizeof *local);
    for (size_t k = 0; local && k < json_array_size(ids); k++)
        local[k] = json_string_value(json_array_get(ids, k));
    struct nic_places places = {local, (int)json_array_size(ids), a.ok, nic_where, &a};
    json_t *plan = rc < 0 || !local ? NULL : network_host_plan(s, &places);
    free(local);
    json_decref(ids);
    json_decref(a.placed);
    json_decref(a.subnets);
    if (plan && a.ok)
        json_object_set_new(plan, "Underlay", json_string(underlay));
    if (plan && a.ok && incoming_migrations(s, host_id, plan) != 0) {
        json_decref(plan);
        return NULL;
    }
    return plan;
}

/* The kernel command line the guest gets: its address and gateway, then the image's own. */
static int cmdline_of(struct store *s, const char *owner, const char *subnet_id, const char *ip, const char *image,
                      char *out, size_t len)
{
    char vpc[24], zone[64], cidr_text[20], gw[16];
    struct cidr subnet;
    if (network_subnet_info(s, owner, subnet_id, vpc, zone, cidr_text) != 1 || cidr_parse(cidr_text, &subnet) != 0)
        return -1;
    ip_format(subnet_gateway(&subnet), gw);
    snprintf(out, len, "yun.ip=%s/%d yun.gw=%s%s%s", ip, subnet.prefix, gw, image[0] ? " " : "", image);
    return 0;
}

json_t *host_doc_build(struct store *s, const char *host_id, char version[HOST_DOC_VERSION_LEN])
{
    struct store_stmt *q = store_query(
        s,
        "SELECT i.instance_id, i.state, coalesce(i.stop_type, ''), coalesce(i.latest_op_request, ''), i.cpu,"
        " i.memory_gib, i.system_disk_size, i.mac, i.private_ip, i.owner_uin, i.subnet_id, i.image_id,"
        " coalesce(m.kernel, ''), coalesce(m.initrd, ''), coalesce(m.disk, ''), coalesce(m.cmdline, ''),"
        " i.host_id, i.migrate_state, i.migrate_port,"
        " coalesce((SELECT h.underlay FROM hosts h WHERE h.host_id = i.host_id), ''),"
        " coalesce((SELECT h.underlay FROM hosts h WHERE h.host_id = i.migrate_to), ''), coalesce(i.latest_op, ''),"
        " coalesce(i.migrate_to, '')"
        " FROM instances i LEFT JOIN images m ON m.image_id = i.image_id"
        " WHERE (i.host_id = ? AND i.state NOT IN ('" INSTANCE_TERMINATED "', '" INSTANCE_TERMINATING "'))"
        " OR (i.migrate_to = ? AND i.state = '" INSTANCE_RUNNING "')"
        " ORDER BY i.instance_id",
        "ss", host_id, host_id);
    if (!q)
        return NULL;
    json_t *instances = json_array();
    int rc;
    struct row {
        char owner[24], subnet[24], ip[16], cmdline[256];
        json_t *spec, *move; /* move: its Incoming or Migrate, borrowed from spec */
    } *rows = NULL;
    int n = 0, cap = 0;
    while ((rc = store_step(q)) == 1) { /* every instance: a document never leaves one out (the host would remove it) */
        if (n == cap) {
            struct row *more = realloc(rows, sizeof *rows * (size_t)(cap = cap ? 2 * cap : 64));
            if (!more) {
                rc = -1;
                break;
            }
            rows = more;
        }
        char tap[16];
        network_nic_device(store_text(q, 0), tap);
        json_t *parts = json_object();
        static const char *const names[] = {"kernel", "initrd", "disk"};
        for (int k = 0; k < 3; k++)
            if (store_text(q, 12 + k)[0])
                json_object_set_new(parts, names[k], json_true());
        /* a move: the target sees the instance arriving, the source (once the target is ready) where to send it */
        int incoming = strcmp(store_text(q, 16), host_id) != 0;
        json_int_t port = (json_int_t)store_int(q, 18);
        rows[n].move = NULL;
        rows[n].spec =
            json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:{s:s,s:o}}", "InstanceId", store_text(q, 0), "State",
                      incoming ? INSTANCE_MIGRATING_IN : store_text(q, 1), "StopType", store_text(q, 2), "Request",
                      store_text(q, 3), "Cpu", (json_int_t)store_int(q, 4), "MemoryMiB",
                      (json_int_t)store_int(q, 5) * 1024, "DiskGiB", (json_int_t)store_int(q, 6), "Mac",
                      store_text(q, 7), "Tap", tap, "Image", "ImageId", store_text(q, 11), "Parts", parts);
        if (incoming)
            json_object_set_new(rows[n].spec, "Incoming",
                                json_pack("{s:s,s:s,s:s,s:I,s:I}", "From", store_text(q, 19), "FromHost",
                                          store_text(q, 16), "Listen", store_text(q, 20), "NbdPort", port,
                                          "MigratePort", port + 1));
        if (incoming)
            rows[n].move = json_object_get(rows[n].spec, "Incoming");
        else if (!strcmp(store_text(q, 17), "READY") && !strcmp(store_text(q, 1), INSTANCE_RUNNING))
            json_object_set_new(rows[n].spec, "Migrate",
                                json_pack("{s:s,s:s,s:I,s:I}", "To", store_text(q, 20), "ToHost", store_text(q, 22),
                                          "NbdPort", port, "MigratePort", port + 1));
        if (!incoming)
            rows[n].move = json_object_get(rows[n].spec, "Migrate");
        snprintf(rows[n].ip, sizeof rows[n].ip, "%s", store_text(q, 8));
        snprintf(rows[n].owner, sizeof rows[n].owner, "%s", store_text(q, 9));
        snprintf(rows[n].subnet, sizeof rows[n].subnet, "%s", store_text(q, 10));
        snprintf(rows[n].cmdline, sizeof rows[n].cmdline, "%s", store_text(q, 15));
        /* ResetInstance: the stop that comes first also removes the system disk; the start makes a new one */
        if (!strcmp(store_text(q, 1), INSTANCE_STOPPING) && !strcmp(store_text(q, 21), "ResetInstance"))
            json_object_set_new(rows[n].spec, "Reinstall", json_true());
        n++;
    }
    store_done(q);
    for (int i = 0; i < n; i++) { /* the subnet is read once the instances' statement is done */
        char line[400];
        if (rc >= 0 &&
            cmdline_of(s, rows[i].owner, rows[i].subnet, rows[i].ip, rows[i].cmdline, line, sizeof line) == 0)
            json_object_set_new(rows[i].spec, "Cmdline", json_string(line));
        /* a move carries the instance's cloud disks: the target makes and exports them, the source mirrors them */
        json_t *moving =
            rc >= 0 && rows[i].move
                ? block_migration_disk_list(s, json_string_value(json_object_get(rows[i].spec, "InstanceId")))
                : NULL;
        if (rows[i].move && !moving)
            rc = -1;
        if (moving && json_array_size(moving))
            json_object_set(rows[i].move, "Disks", moving);
        json_decref(moving);
        json_array_append_new(instances, rows[i].spec);
    }
    free(rows);
    json_t *plan = rc < 0 ? NULL : host_network_plan(s, host_id);
    json_t *disks = plan ? block_host_disks(s, host_id) : NULL;
    json_t *snaps = disks ? block_host_snapshots(s, host_id) : NULL;
    if (!plan || !disks || !snaps) {
        json_decref(plan);
        json_decref(disks);
        json_decref(instances);
        return NULL;
    }
    json_t *doc =
        json_pack("{s:o,s:o,s:o,s:o}", "Instances", instances, "Network", plan, "Disks", disks, "Snapshots", snaps);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        json_decref(doc);
        return NULL;
    }
    char hex[65];
    sha256_hex(text, strlen(text), hex);
    free(text);
    snprintf(version, HOST_DOC_VERSION_LEN, "%.*s", HOST_DOC_VERSION_LEN - 1, hex);
    return doc;
}

/* A migration's steps, reported by its target (READY, FAILED) or its source (MIGRATED, FAILED). */
static int move_ready(struct store *s, const char *host_id, const char *id, json_t *item, const char *why)
{
    (void)why;
    return migration_ready(s, id, host_id, (int)json_integer_value(json_object_get(item, "NbdPort")));
}
static int move_done(struct store *s, const char *host_id, const char *id, json_t *item, const char *why)
{
    (void)item, (void)why;
    return migration_done(s, id, host_id);
}
static int move_failed(struct store *s, const char *host_id, const char *id, json_t *item, const char *why)
{
    (void)item;
    return migration_failed(s, id, host_id, why && *why ? why : "the host reported a failure");
}

/* (the state the host acted for, what it saw) -> the state the instance moves to, and the operation's outcome;
 * or the migration step it is (move) */
static const struct report_rule {
    const char *from, *seen, *to, *op_state;
    int (*move)(struct store *s, const char *host_id, const char *id, json_t *item, const char *why);
} rules[] = {
    {INSTANCE_PENDING, "RUNNING", INSTANCE_RUNNING, "SUCCESS", NULL},
    {INSTANCE_PENDING, "FAILED", INSTANCE_LAUNCH_FAILED, "FAILED", NULL},
    {INSTANCE_STARTING, "RUNNING", INSTANCE_RUNNING, "SUCCESS", NULL},
    {INSTANCE_STARTING, "FAILED", INSTANCE_STOPPED, "FAILED", NULL},
    {INSTANCE_STOPPING, "STOPPED", INSTANCE_STOPPED, "SUCCESS", NULL},
    {INSTANCE_STOPPING, "REINSTALLED", INSTANCE_STARTING, NULL, NULL}, /* ResetInstance: stopped, its disk gone */
    {INSTANCE_STOPPING, "FAILED", INSTANCE_RUNNING, "FAILED", NULL},
    {INSTANCE_REBOOTING, "RUNNING", INSTANCE_RUNNING, "SUCCESS", NULL},
    {INSTANCE_REBOOTING, "FAILED", INSTANCE_STOPPED, "FAILED", NULL},
    {INSTANCE_RUNNING, "STOPPED", INSTANCE_STOPPED, NULL, NULL}, /* the guest stopped (or its QEMU died) by itself */
    {INSTANCE_MIGRATING_IN, "READY", NULL, NULL, move_ready},
    {INSTANCE_MIGRATING_IN, "FAILED", NULL, NULL, move_failed},
    {INSTANCE_RUNNING, "MIGRATED", NULL, NULL, move_done},
    {INSTANCE_RUNNING, "FAILED", NULL, NULL, move_failed}, /* the source's move failed: it goes on running */
};

/* The instance's state now as host_id's document shows it (MIGRATING_IN on the host it moves to) and its
 * request, if it is on host_id or moving there: 1, 0 not there, -1 error. */
static int current(struct store *s, const char *host_id, const char *id, char state[24], char request[64])
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT state, coalesce(latest_op_request, ''), host_id FROM instances"
                    " WHERE instance_id = ? AND (host_id = ? OR (migrate_to = ? AND state = '" INSTANCE_RUNNING "'))",
                    "sss", id, host_id, host_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        snprintf(state, 24, "%s", strcmp(store_text(q, 2), host_id) ? INSTANCE_MIGRATING_IN : store_text(q, 0));
        snprintf(request, 64, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc;
}

int host_report_names(json_t *items, const char *key, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        const char *rid = json_string_value(json_object_get(it, key));
        if (rid && !strcmp(rid, id))
            return 1;
    }
    return 0;
}

/* The report's instances applied (dry: only counted, nothing written): how many move on. */
static int instances_apply(struct store *s, const char *host_id, json_t *items, int of_current, int dry)
{
    int changed = 0;
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        const char *id = json_string_value(json_object_get(it, "InstanceId"));
        const char *for_state = json_string_value(json_object_get(it, "For"));
        const char *seen = json_string_value(json_object_get(it, "Seen"));
        const char *request = json_string_value(json_object_get(it, "Request"));
        const char *detail = json_string_value(json_object_get(it, "Detail"));
        char state[24], now_request[64];
        if (!id || !for_state || !seen || current(s, host_id, id, state, now_request) != 1 || strcmp(state, for_state))
            continue; /* not this host's, or overtaken by a newer call: the host acts on the next document */
        if (!strcmp(state, INSTANCE_REBOOTING) && (!request || strcmp(request, now_request)))
            continue; /* a reboot counts only for the request that asked for it */
        for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++)
            if (!strcmp(rules[r].from, state) && !strcmp(rules[r].seen, seen)) {
                char why[300] = "";
                if (detail && *detail)
                    snprintf(why, sizeof why, "%.290s", detail);
                if (rules[r].move) { /* a move's step counts only for the request that began the move */
                    if (request && !strcmp(request, now_request) &&
                        (dry || rules[r].move(s, host_id, id, it, why) == 1))
                        changed++;
                    break;
                }
                if (dry) {
                    changed++;
                    break;
                }
                if (instance_set_state(s, id, state, rules[r].to, rules[r].op_state, why[0] ? why : NULL) == 0) {
                    changed++;
                    log_info("instance %s on %s: %s -> %s%s%s", id, host_id, state, rules[r].to, why[0] ? ": " : "",
                             why);
                }
                break;
            }
    }
    /* terminations: the host holds the document that leaves them out and no longer has them */
    if (!of_current)
        return changed;
    struct store_stmt *q = store_query(
        s, "SELECT instance_id, owner_uin FROM instances WHERE host_id = ? AND state = '" INSTANCE_TERMINATING "'", "s",
        host_id);
    char ids[64][24], owners[64][24];
    int n = 0;
    while (q && n < 64 && store_step(q) == 1) {
        snprintf(ids[n], sizeof ids[n], "%s", store_text(q, 0));
        snprintf(owners[n], sizeof owners[n], "%s", store_text(q, 1));
        n++;
    }
    store_done(q);
    for (int k = 0; k < n; k++)
        if (!host_report_names(items, "InstanceId", ids[k]) &&
            (dry || instance_terminated(s, ids[k], owners[k]) == 0)) {
            changed++;
            if (!dry)
                log_info("instance %s on %s: terminated", ids[k], host_id);
        }
    return changed;
}

int host_doc_report(struct store *s, const char *host_id, json_t *report, const char *version)
{
    const char *done = json_string_value(json_object_get(report, "Done"));
    int of_current = done && !strcmp(done, version);
    /* the disks first: a disk a termination below deletes with its instance is still in the report's document */
    int changed = block_host_report(s, host_id, json_object_get(report, "Disks"), of_current) +
                  block_host_snapshot_report(s, host_id, json_object_get(report, "Snapshots"), of_current);
    json_t *items = json_object_get(report, "Instances");
    if (!json_is_array(items))
        return changed;
    /* what moves on is one commit, not one each: a region's hosts report thousands of changes in a launch wave, and
     * SQLite commits one writer at a time; a report that moves nothing takes no write lock */
    if (instances_apply(s, host_id, items, of_current, 1) == 0)
        return changed;
    int own = store_unit_begin(s);
    if (own < 0)
        return changed;
    int moved = instances_apply(s, host_id, items, of_current, 0);
    if (store_unit_end(s, own, 1) != 0) {
        log_warn("the report of %s could not be recorded (%s); applied again with its next one", host_id,
                 store_errmsg(s));
        moved = 0;
    }
    return changed + moved;
}

int host_doc_image_part(struct store *s, const char *host_id, const char *image_id, const char *part, char *path,
                        size_t len)
{
    const char *column = !strcmp(part, "kernel")   ? "m.kernel"
                         : !strcmp(part, "initrd") ? "m.initrd"
                         : !strcmp(part, "disk")   ? "m.disk"
                                                   : NULL;
    if (!column)
        return 0;
    char sql[400];
    /* only an image an instance placed on (or moving to) this host runs: the host is told, not trusted */
    snprintf(sql, sizeof sql,
             "SELECT coalesce(%s, '') FROM images m WHERE m.image_id = ? AND EXISTS (SELECT 1 FROM instances i"
             " WHERE i.image_id = m.image_id AND (i.host_id = ? OR i.migrate_to = ?)"
             " AND i.state != '" INSTANCE_TERMINATED "')",
             column);
    struct store_stmt *q = store_query(s, sql, "sss", image_id, host_id, host_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        snprintf(path, len, "%s", store_text(q, 0));
        rc = path[0] ? 1 : 0;
    }
    store_done(q);
    return rc;
}

int host_doc_fingerprint(struct store *s, const char *host_id, int64_t *updated, int64_t *n)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT coalesce(max(updated), 0), count(*) FROM instances WHERE host_id = ?"
                                       " OR migrate_to = ?",
                                       "ss", host_id, host_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        *updated = store_int(q, 0);
        *n = store_int(q, 1);
    }
    store_done(q);
    return rc == 1 ? 0 : -1;
}
