/*
 * realise: what a joined host does with the documents it is told (compute/host_channel.h). One
 * thread takes the newest document the session received, re-checks every instance spec (the host
 * is told, not trusted), makes the host's network match the document's plan (host_net_apply), and
 * acts on each instance by the state the control plane records, as the built-in host's controller
 * does: PENDING and STARTING boot (the image's parts fetched over the channel once, into
 * DIR/images/ID/, and a qcow2 overlay of its disk in DIR/instances/ID/), STOPPING stops (a soft stop's
 * guest watched on later passes, not waited for), REBOOTING reboots once per request, RUNNING is watched, STOPPED and
 * LAUNCH_FAILED hold no QEMU; an instance the document no longer names is destroyed and its directory removed. A live
 * migration (compute/migration.c) is two halves: a target told MIGRATING_IN readies a paused QEMU on a blank overlay of
 * the same base (and blank files of the cloud disks the move brings, on the source's ports), exporting the disks over
 * NBD and waiting for the stream (READY); a source told where (Migrate) mirrors the system disk's top layer and each
 * cloud disk there and migrates (MIGRATED), on a thread of the move's own while the pass goes on with the others; once
 * the control plane moved the instance, the target's RUNNING resumes it and the source's document drops it. A failure
 * is reported once per request and not retried. Cloud disks: the files of DIR/disks the document lists (made on a blank
 * disk's first attach, never to replace a lost one), hot-plugged into the running instance each is attached to,
 * unplugged when DETACHING, grown when EXPANDING, restored from a snapshot here when DUMPING, removed once no longer
 * listed; snapshots of them into DIR/snapshots (a backup job while plugged into a running guest), removed the same way.
 * What the host saw is the report the next heartbeat carries, sent at once after a pass that changed something (and
 * heartbeats come often while a guest paused here waits for its source).
 */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compute/host_channel.h"
#include "core/tls.h"
#include "host/copy_job.h"
#include "host/disk_pool.h"
#include "host/hypervisor.h"
#include "host/metadata_listen.h"
#include "host/net.h"
#include "host/realise.h"
#include "host/report.h"

#define SOFT_STOP_MS 30000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static int running, started;
static json_t *offered;                            /* the newest document received, under mu */
static char offered_version[HOST_DOC_VERSION_LEN]; /* under mu */
static json_t *report;                             /* the last pass's report, under mu */
static void (*on_change)(void);                    /* the session's wake-up */
static char data_dir[600], accel[8], uplink[16];
static struct realise_conf conf; /* its data and accel point at the copies above */
static char *applied_plan;       /* the realiser thread's own */
static int urgent;               /* a migration waits on the control plane: heartbeat often; under mu */
static int first_pass = 1;       /* this process\'s first pass: a guest found stopped stopped while the host was down */

/* ---- a spec is re-checked before anything is done with it ---- */

static int id_ok(const char *s, const char *prefix)
{
    size_t p = strlen(prefix), n = s ? strlen(s) : 0;
    if (!s || n <= p || n > 23 || strncmp(s, prefix, p) != 0)
        return 0;
    for (size_t i = p; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

struct spec {
    const char *id, *state, *stop_type, *request, *mac, *tap, *image, *cmdline;
    int cpu, memory_mib, disk_gib, has_kernel, has_initrd, has_disk, reinstall;
    char run_dir[700], disk[720];
    /* a live migration: to this host (Incoming: from, listen = this host's underlay) or from it (Migrate: to) */
    int incoming, outgoing, nbd_port, migrate_port;
    char peer[16], listen[16];
    const char *peer_host; /* the other host's id: its certificate's name (FromHost, ToHost) */
    /* the cloud disks the move carries (Incoming's or Migrate's Disks): the target makes them blank in DIR/disks */
    int n_moving;
    struct hv_disk moving[HV_HOTPLUG_PORTS];
    const char *moving_ids[HV_HOTPLUG_PORTS];
    int moving_gib[HV_HOTPLUG_PORTS];
    char moving_path[HV_HOTPLUG_PORTS][720];
};

static int block_name_ok(const char *id, const char *prefix);

static int addr_read(json_t *j, const char *key, char out[16])
{
    const char *a = json_string_value(json_object_get(j, key));
    unsigned x, y, z, w;
    char extra;
    if (!a || sscanf(a, "%u.%u.%u.%u%c", &x, &y, &z, &w, &extra) != 4 || x == 0 || x == 127 || x >= 224 || y > 255 ||
        z > 255 || w > 255)
        return -1;
    snprintf(out, 16, "%u.%u.%u.%u", x, y, z, w);
    return 0;
}

/* Incoming or Migrate: the peer's address and a pair of yun's migration ports */
static const char *move_read(json_t *j, struct spec *sp)
{
    json_t *in = json_object_get(j, "Incoming"), *out = json_object_get(j, "Migrate"), *m = in ? in : out;
    if (!m)
        return NULL;
    json_int_t nbd = json_integer_value(json_object_get(m, "NbdPort")),
               mig = json_integer_value(json_object_get(m, "MigratePort"));
    if ((in && out) || addr_read(m, in ? "From" : "To", sp->peer) != 0 || (in && addr_read(m, "Listen", sp->listen)) ||
        nbd < HOST_MIGRATE_PORT_FIRST || nbd >= HOST_MIGRATE_PORT_FIRST + 2 * HOST_MIGRATE_PAIRS || mig != nbd + 1)
        return "the migration's addresses or ports are malformed";
    sp->peer_host = json_string_value(json_object_get(m, in ? "FromHost" : "ToHost"));
    if (!id_ok(sp->peer_host, "host-"))
        return "the migration's peer host is malformed";
    json_t *disks = json_object_get(m, "Disks"), *d;
    size_t k;
    if (disks && (!json_is_array(disks) || json_array_size(disks) > HV_HOTPLUG_PORTS))
        return "the migration's disks are malformed";
    json_array_foreach (disks, k, d) { /* each id once, on a port of its own, of a size the host takes */
        const char *id = json_string_value(json_object_get(d, "DiskId")),
                   *serial = json_string_value(json_object_get(d, "Serial"));
        json_int_t port = json_integer_value(json_object_get(d, "Port")),
                   gib = json_integer_value(json_object_get(d, "SizeGiB"));
        if (!block_name_ok(id, "disk-") || !serial || strcmp(serial, id) || port < 0 || port >= HV_HOTPLUG_PORTS ||
            gib < 1 || gib > 32000)
            return "a migration's disk is malformed";
        for (size_t e = 0; e < k; e++)
            if (!strcmp(sp->moving_ids[e], id) || sp->moving[e].port == port)
                return "the migration's disks repeat an id or a port";
        snprintf(sp->moving_path[k], sizeof sp->moving_path[k], "%s/disks/%s.qcow2", data_dir, id);
        sp->moving_ids[k] = id;
        sp->moving[k] = (struct hv_disk){id, sp->moving_path[k], (int)port};
        sp->moving_gib[k] = (int)gib;
        sp->n_moving = (int)k + 1;
    }
    sp->incoming = in != NULL;
    sp->outgoing = out != NULL;
    sp->nbd_port = (int)nbd;
    sp->migrate_port = (int)mig;
    return NULL;
}

static const char *spec_read(json_t *j, struct spec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->id = json_string_value(json_object_get(j, "InstanceId"));
    sp->state = json_string_value(json_object_get(j, "State"));
    sp->stop_type = json_string_value(json_object_get(j, "StopType"));
    sp->request = json_string_value(json_object_get(j, "Request"));
    sp->mac = json_string_value(json_object_get(j, "Mac"));
    sp->tap = json_string_value(json_object_get(j, "Tap"));
    sp->cmdline = json_string_value(json_object_get(j, "Cmdline"));
    json_t *image = json_object_get(j, "Image"), *parts = json_object_get(image, "Parts");
    sp->image = json_string_value(json_object_get(image, "ImageId"));
    sp->has_kernel = json_is_true(json_object_get(parts, "kernel"));
    sp->has_initrd = json_is_true(json_object_get(parts, "initrd"));
    sp->has_disk = json_is_true(json_object_get(parts, "disk"));
    sp->reinstall = json_is_true(json_object_get(j, "Reinstall"));
    json_int_t cpu = json_integer_value(json_object_get(j, "Cpu")),
               mem = json_integer_value(json_object_get(j, "MemoryMiB")),
               disk = json_integer_value(json_object_get(j, "DiskGiB"));
    if (!id_ok(sp->id, "ins-"))
        return "an instance id is malformed";
    if (!sp->state || !sp->stop_type || !sp->request || !sp->mac || strlen(sp->mac) != 17 || !sp->tap ||
        strncmp(sp->tap, "yt-", 3) != 0 || strlen(sp->tap) > 15 || !id_ok(sp->image, "img-"))
        return "a field is missing or malformed";
    if (cpu < 1 || cpu > 256 || mem < 64 || mem > (1 << 22) || disk < 1 || disk > (1 << 16))
        return "the size is out of range";
    if (!sp->has_disk)
        return "the image has no disk";
    for (const char *c = sp->cmdline ? sp->cmdline : ""; *c; c++)
        if (!isprint((unsigned char)*c))
            return "the command line holds a control character";
    for (const char *c = sp->mac; *c; c++)
        if (!isxdigit((unsigned char)*c) && *c != ':')
            return "the MAC is malformed";
    sp->cpu = (int)cpu;
    sp->memory_mib = (int)mem;
    sp->disk_gib = (int)disk;
    snprintf(sp->run_dir, sizeof sp->run_dir, "%s/instances/%s", data_dir, sp->id);
    snprintf(sp->disk, sizeof sp->disk, "%s/system.qcow2", sp->run_dir);
    return move_read(j, sp);
}

const char *realise_spec_check(json_t *spec)
{
    struct spec sp;
    return spec_read(spec, &sp);
}

/* ---- acting on one instance ---- */

/* Running guests are looked at (their QEMU asked how it is, a QMP round trip each) on a pass at most every LOOK_MS
 * (an idle host's passes come every HOST_HEARTBEAT_SECONDS, so about that often); in between, one reported RUNNING
 * by the last pass is RUNNING (passes come every few ms while guests boot and states change). */
#define LOOK_MS 1500
static int look_all;   /* this pass looks at every running guest */
static json_t *looked; /* instance id -> true: RUNNING at the last pass (the realiser thread's) */
static long long looked_ms;

static int seen_running(const char *id) { return json_object_get(looked, id) != NULL; }

/* What was done once per request (a reboot; a migration's failure, not retried): instance, what, request, detail */
static struct memo {
    char id[24], what[8], request[64], detail[256];
} memos[2 * HOST_DOC_MAX_INSTANCES];

static const struct memo *memo_get(const char *id, const char *what, const char *request)
{
    for (size_t i = 0; i < sizeof memos / sizeof memos[0]; i++)
        if (!strcmp(memos[i].id, id) && !strcmp(memos[i].what, what))
            return strcmp(memos[i].request, request) ? NULL : &memos[i];
    return NULL;
}
static void memo_put(const char *id, const char *what, const char *request, const char *detail)
{
    struct memo *slot = NULL;
    for (size_t i = 0; i < sizeof memos / sizeof memos[0] && !slot; i++)
        if (!strcmp(memos[i].id, id) && !strcmp(memos[i].what, what))
            slot = &memos[i];
    for (size_t i = 0; i < sizeof memos / sizeof memos[0] && !slot; i++)
        if (!memos[i].id[0])
            slot = &memos[i];
    if (!slot)
        slot = &memos[0]; /* full (two per instance of a document at most): an old entry goes */
    snprintf(slot->id, sizeof slot->id, "%s", id);
    snprintf(slot->what, sizeof slot->what, "%s", what);
    snprintf(slot->request, sizeof slot->request, "%s", request);
    snprintf(slot->detail, sizeof slot->detail, "%s", detail ? detail : "");
}

/* a marker file of the instance's directory: its incoming QEMU is ready ("incoming"), it left ("migrated") */
static int marker(const struct spec *sp, const char *name, int set)
{
    char path[760];
    snprintf(path, sizeof path, "%s/%s", sp->run_dir, name);
    if (set > 0)
        return file_write_atomic(path, "1\n", 2, 0600);
    if (set < 0)
        return unlink(path);
    return access(path, F_OK) == 0;
}

static int alive(const struct spec *sp)
{
    enum hv_state st = hv_driver()->status(sp->run_dir, NULL, 0);
    return st == HV_RUNNING || st == HV_PAUSED || st == HV_UNKNOWN;
}

static int net_apply(json_t *plan, int force, char *err, size_t errlen)
{
    json_object_set_new(plan, "Uplink", json_string(uplink));
    char *text = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
    if (!force && text && applied_plan && !strcmp(text, applied_plan)) {
        free(text);
        return 0;
    }
    int rc = host_net_apply(plan, err, errlen);
    free(applied_plan);
    applied_plan = rc == 0 ? text : NULL;
    if (rc != 0)
        free(text);
    else
        host_metadata_sync(plan, conf.metadata); /* a listener in each VPC's router namespace */
    return rc;
}

/* The image's parts here, and the system disk (fresh: a blank overlay even if one exists). */
static int disk_ready(const struct spec *sp, int fresh, char kernel[800], char initrd[800], char base[800], char *err,
                      size_t errlen)
{
    kernel[0] = initrd[0] = 0;
    if ((sp->has_kernel && conf.image_part(sp->image, "kernel", kernel, 800, err, errlen)) ||
        (sp->has_initrd && conf.image_part(sp->image, "initrd", initrd, 800, err, errlen)) ||
        conf.image_part(sp->image, "disk", base, 800, err, errlen))
        return -1;
    struct stat st;
    if (fresh)
        unlink(sp->disk);
    if (stat(sp->disk, &st) != 0) {
        char tmp[740];
        snprintf(tmp, sizeof tmp, "%s.tmp", sp->disk);
        unlink(tmp);
        if (mkdir_p(sp->run_dir, 0700) != 0 ||
            disk_pool_take(base, (long long)sp->disk_gib << 30, tmp, err, errlen) < 0 || rename(tmp, sp->disk) != 0) {
            if (!err[0])
                snprintf(err, errlen, "cannot create the system disk in %.300s", sp->run_dir);
            return -1;
        }
    }
    return 0;
}

static struct hv_spec hv_spec_of(const struct spec *sp, const char *kernel, const char *initrd, const char *base)
{
    return (struct hv_spec){.instance_id = sp->id,
                            .vcpus = sp->cpu,
                            .memory_mib = sp->memory_mib,
                            .kernel = kernel[0] ? kernel : NULL,
                            .initrd = initrd[0] ? initrd : NULL,
                            .cmdline_extra = sp->cmdline,
                            .system_disk = sp->disk,
                            .system_disk_base = base,
                            .tap_ifname = sp->tap,
                            .mac = sp->mac,
                            .run_dir = sp->run_dir,
                            .accel = accel};
}

/* Guests booting: from QEMU's start until their ready marker (YUN-READY on the serial console) or BOOT_WINDOW_MS,
 * at most conf.boot_limit at once (a TCG boot is CPU-bound: more boots than cores only make each slower); a boot
 * with no free slot waits for a later pass, which comes every GOING_POLL_MS while one waits. */
#define BOOT_WINDOW_MS 30000
#define BOOT_POLL_MS   20
static struct booting {
    char id[24];
    long long since_ms, scanned; /* the serial log read up to here */
} bootings[HOST_DOC_MAX_INSTANCES];
static size_t n_bootings;
static int boots_waiting; /* this pass left a boot for a free slot */

/* Drops the guests that are ready (their marker on the console), out of the window, or (alive: asked of the
 * hypervisor, a QMP round trip each) no longer running. */
static void bootings_refresh(int alive)
{
    for (size_t i = n_bootings; i-- > 0;) {
        struct booting *b = &bootings[i];
        char dir[700], buf[8192];
        size_t got = 0;
        long long end = 0;
        snprintf(dir, sizeof dir, "%s/instances/%s", data_dir, b->id);
        enum hv_state st = alive ? hv_driver()->status(dir, NULL, 0) : HV_RUNNING;
        int done = time_now_ms() - b->since_ms > BOOT_WINDOW_MS || (st != HV_RUNNING && st != HV_PAUSED);
        while (!done && hv_driver()->console_from(dir, b->scanned, buf, sizeof buf, &got, &end) == HV_OK && got > 0) {
            done = memmem(buf, got, "YUN-READY", 9) != NULL || end < b->scanned;
            b->scanned = end > b->scanned + 8 ? end - 8 : b->scanned + (long long)got; /* a marker cut in two */
            if (got < sizeof buf - 1)
                break;
        }
        if (done)
            *b = bootings[--n_bootings];
    }
}

static void booting_add(const char *id)
{
    if (n_bootings == sizeof bootings / sizeof bootings[0])
        return;
    struct booting *b = &bootings[n_bootings++];
    snprintf(b->id, sizeof b->id, "%s", id);
    b->since_ms = time_now_ms();
    b->scanned = 0; /* QEMU starts its log anew */
}

/* 0 running (started now or already), 1 waiting for a boot slot, -1 failed (err) */
static int boot(const struct spec *sp, json_t *plan, char *err, size_t errlen)
{
    if (alive(sp))
        return 0;
    if ((int)n_bootings >= conf.boot_limit) {
        boots_waiting = 1;
        return 1;
    }
    hv_driver()->destroy(sp->run_dir, NULL, 0);
    char kernel[800], initrd[800], base[800];
    if (disk_ready(sp, 0, kernel, initrd, base, err, errlen) != 0)
        return -1;
    /* the instance's tap in its VPC: the pass applied the plan that names it; made again if it went since */
    if (if_nametoindex(sp->tap) == 0 && net_apply(plan, 1, err, errlen) != 0)
        return -1;
    struct hv_spec hs = hv_spec_of(sp, kernel, initrd, base);
    if (hv_driver()->start(&hs, err, errlen) != HV_OK)
        return -1;
    booting_add(sp->id);
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* ---- what the host saw of one instance after acting for its state: RUNNING, STOPPED, FAILED (detail set),
 * READY or MIGRATED (a migration's steps) ---- */

static enum hv_stop_mode mode_of(const struct spec *sp)
{
    return !strcmp(sp->stop_type, "HARD")         ? HV_STOP_HARD
           : !strcmp(sp->stop_type, "SOFT_FIRST") ? HV_STOP_SOFT_FIRST
                                                  : HV_STOP_SOFT;
}

static const char *act_boot(const struct spec *sp, json_t *plan, char *detail, size_t len)
{
    int rc = boot(sp, plan, detail, len);
    if (rc >= 0)
        return rc ? sp->state : "RUNNING"; /* its own state: waiting for a slot, no rule of the control plane's */
    hv_driver()->destroy(sp->run_dir, NULL, 0);
    return "FAILED";
}

/* Soft stops under way (StopInstances SOFT or SOFT_FIRST, a soft RebootInstances): the power button pressed
 * once, the guest looked at again on each pass, every GOING_POLL_MS while any is under way, so a guest slow to
 * shut down holds up none of the host's other instances. Keyed by instance and request; an entry no pass
 * asked about (the instance left STOPPING or REBOOTING) is dropped at the pass's end. */
#define GOING_POLL_MS 250
static struct going {
    char id[32], request[80];
    long long since_ms;
    int asked; /* by this pass */
} goings[64];
static size_t n_goings;

static struct going *going_of(const struct spec *sp)
{
    for (size_t i = 0; i < n_goings; i++)
        if (!strcmp(goings[i].id, sp->id) && !strcmp(goings[i].request, sp->request))
            return &goings[i];
    return NULL;
}

static void going_drop(struct going *g)
{
    if (g)
        *g = goings[--n_goings];
}

/* Off by the mode: 0 off, 1 under way (pressed, waiting; again on a later pass), -1 failed (detail). */
static int soft_off(const struct spec *sp, enum hv_stop_mode mode, char *detail, size_t len)
{
    struct going *g = going_of(sp);
    if (!alive(sp)) {
        going_drop(g);
        return 0;
    }
    if (mode == HV_STOP_HARD || (!g && n_goings == sizeof goings / sizeof goings[0])) /* full: wait here */
        return hv_driver()->stop(sp->run_dir, mode, SOFT_STOP_MS, detail, len) == HV_OK ? 0 : -1;
    if (!g) {
        int rc = hv_driver()->stop(sp->run_dir, HV_STOP_SOFT, 0, detail, len); /* the button, no wait */
        if (rc != HV_ETIMEDOUT)
            return rc == HV_OK ? 0 : -1;
        g = &goings[n_goings++];
        snprintf(g->id, sizeof g->id, "%s", sp->id);
        snprintf(g->request, sizeof g->request, "%s", sp->request);
        g->since_ms = time_now_ms();
        detail[0] = 0;
    }
    g->asked = 1;
    if (time_now_ms() - g->since_ms < SOFT_STOP_MS)
        return 1;
    going_drop(g);
    if (mode == HV_STOP_SOFT) {
        snprintf(detail, len, "the guest did not shut down; use StopType HARD or SOFT_FIRST");
        return -1;
    }
    return hv_driver()->stop(sp->run_dir, HV_STOP_HARD, 0, detail, len) == HV_OK ? 0 : -1;
}

static const char *act_stop(const struct spec *sp, json_t *plan, char *detail, size_t len)
{
    (void)plan;
    int off = soft_off(sp, mode_of(sp), detail, len);
    if (off)
        return off > 0 ? "STOPPING" : "FAILED"; /* STOPPING: under way, no rule of the control plane's */
    hv_driver()->destroy(sp->run_dir, NULL, 0);
    if (sp->reinstall) { /* ResetInstance: the next start makes a new system disk from the (new) image */
        if (unlink(sp->disk) != 0 && errno != ENOENT) {
            snprintf(detail, len, "cannot remove the system disk: %s", strerror(errno));
            return "FAILED";
        }
        return "REINSTALLED";
    }
    return "STOPPED";
}

static const char *act_reboot(const struct spec *sp, json_t *plan, char *detail, size_t len)
{
    if (memo_get(sp->id, "reboot", sp->request))
        return "RUNNING";
    int rc = HV_OK;
    if (mode_of(sp) == HV_STOP_HARD && alive(sp)) {
        if ((rc = hv_driver()->reboot(sp->run_dir, detail, len)) == HV_OK)
            booting_add(sp->id);
    } else {
        int off = soft_off(sp, HV_STOP_SOFT_FIRST, detail, len);
        if (off > 0)
            return "REBOOTING"; /* under way */
        if (off == 0 && (rc = boot(sp, plan, detail, len)) > 0)
            return "REBOOTING"; /* off, waiting for a boot slot */
        rc = off == 0 && rc == 0 ? HV_OK : HV_EFAIL;
    }
    if (rc != HV_OK)
        return "FAILED";
    memo_put(sp->id, "reboot", sp->request, NULL);
    return "RUNNING";
}

/* QEMU's x509 credentials of this host for a move's streams: DIR/migration-tls, links to the region CA's
 * certificate and the host's (which serves as both ends) under the names QEMU reads. */
static int migration_tls(const struct spec *sp, struct hv_migrate_tls *tls, char dir[700], char *detail, size_t len)
{
    static const char *const links[][2] = {{"ca-cert.pem", "../ca.crt"},
                                           {"server-cert.pem", "../host.crt"},
                                           {"server-key.pem", "../host.key"},
                                           {"client-cert.pem", "../host.crt"},
                                           {"client-key.pem", "../host.key"}};
    char data[PATH_MAX];
    if (!realpath(data_dir, data) || strlen(data) > 600) { /* QEMU wants the directory absolute */
        snprintf(detail, len, "cannot resolve %s: %s", data_dir, strerror(errno));
        return -1;
    }
    snprintf(dir, 700, "%.600s/migration-tls", data); /* shorter: checked above */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(detail, len, "cannot make %s: %s", dir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char path[760];
        snprintf(path, sizeof path, "%s/%s", dir, links[i][0]);
        if (symlink(links[i][1], path) != 0 && errno != EEXIST) {
            snprintf(detail, len, "cannot link %s: %s", path, strerror(errno));
            return -1;
        }
    }
    tls->dir = dir;
    tls->peer = sp->peer_host;
    return 0;
}

/* ---- a move's source half runs on a thread of its own: the QEMU driver's migrate_out holds the guest's QMP for the
 * move's duration, so the pass leaves that guest's QEMU alone meanwhile (moving_out) and acts on the host's others ----
 */

#define MAX_MOVES 4
static struct move {
    int used, running, rc;
    char id[24], request[64], run_dir[700], peer[16], peer_host[64], tls_dir[700], detail[512];
    char disk_ids[HV_HOTPLUG_PORTS][24];
    int n_disks, nbd_port, migrate_port;
} moves[MAX_MOVES]; /* under mu; a running move's fields but rc, detail and running are its thread's to read */

static void *move_main(void *arg)
{
    struct move *m = arg;
    const char *ids[HV_HOTPLUG_PORTS];
    for (int k = 0; k < m->n_disks; k++)
        ids[k] = m->disk_ids[k];
    struct hv_migrate_tls tls = {m->tls_dir, m->peer_host};
    char detail[512] = "", path[760];
    int rc = hv_driver()->migrate_out(m->run_dir, m->peer, m->nbd_port, m->migrate_port, &tls, ids, m->n_disks,
                                      HOST_MIGRATE_SECONDS * 1000, detail, sizeof detail);
    snprintf(path, sizeof path, "%s/migrated", m->run_dir); /* marker(): the guest is the target's once resumed */
    if (rc == HV_OK && file_write_atomic(path, "1\n", 2, 0600) != 0) {
        snprintf(detail, sizeof detail, "cannot record the move in %.300s", m->run_dir);
        rc = HV_EFAIL;
    }
    if (rc == HV_OK)
        fprintf(stderr, "yun host: %s migrated to %s\n", m->id, m->peer);
    pthread_mutex_lock(&mu);
    m->rc = rc;
    snprintf(m->detail, sizeof m->detail, "%s", detail);
    m->running = 0;
    pthread_cond_signal(&cv); /* the next pass reports it */
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* 1 while a move of instance id runs here */
static int moving_out(const char *id)
{
    int busy = 0;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < MAX_MOVES && !busy; i++)
        busy = moves[i].used && moves[i].running && !strcmp(moves[i].id, id);
    pthread_mutex_unlock(&mu);
    return busy;
}

/* Moves done: one that succeeded is told by its marker, one whose instance left the document has no one to tell;
 * a failure of a named instance waits for act_migrate_out to report it */
static void moves_sweep(json_t *instances)
{
    pthread_mutex_lock(&mu);
    for (int i = 0; i < MAX_MOVES; i++) {
        struct move *m = &moves[i];
        if (m->used && !m->running && (m->rc == HV_OK || !host_report_names(instances, "InstanceId", m->id)))
            m->used = 0;
    }
    pthread_mutex_unlock(&mu);
}

/* A move's thread started for sp: 0, 1 (no slot free: asked again next pass), -1 with detail. Under mu. */
static int move_start(const struct spec *sp, const struct hv_migrate_tls *tls, char *detail, size_t len)
{
    struct move *m = NULL;
    for (int i = 0; i < MAX_MOVES && !m; i++)
        if (!moves[i].used)
            m = &moves[i];
    if (!m)
        return 1;
    *m = (struct move){
        .used = 1, .running = 1, .n_disks = sp->n_moving, .nbd_port = sp->nbd_port, .migrate_port = sp->migrate_port};
    snprintf(m->id, sizeof m->id, "%s", sp->id);
    snprintf(m->request, sizeof m->request, "%s", sp->request);
    snprintf(m->run_dir, sizeof m->run_dir, "%s", sp->run_dir);
    snprintf(m->peer, sizeof m->peer, "%s", sp->peer);
    snprintf(m->peer_host, sizeof m->peer_host, "%s", tls->peer);
    snprintf(m->tls_dir, sizeof m->tls_dir, "%s", tls->dir);
    for (int k = 0; k < sp->n_moving; k++)
        snprintf(m->disk_ids[k], sizeof m->disk_ids[k], "%s", sp->moving_ids[k]);
    int rc = thread_detached(move_main, m);
    if (rc == 0)
        return 0;
    m->used = 0;
    snprintf(detail, len, "cannot start the move's thread: %s", strerror(rc));
    return -1;
}

/* The source's half of a move: the disks mirrored and the guest sent to the target (on the move's thread), once
 * per request. RUNNING while it moves, then MIGRATED or FAILED. */
static const char *act_migrate_out(const struct spec *sp, char *detail, size_t len)
{
    const struct memo *mm = memo_get(sp->id, "move", sp->request);
    if (mm) {
        snprintf(detail, len, "%s", mm->detail);
        return "FAILED";
    }
    if (marker(sp, "migrated", 0))
        return "MIGRATED";
    int rc = HV_OK, started = -1;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < MAX_MOVES; i++) {
        struct move *m = &moves[i];
        if (!m->used || strcmp(m->id, sp->id) || (!m->running && strcmp(m->request, sp->request))) {
            if (m->used && !m->running && !strcmp(m->id, sp->id))
                m->used = 0; /* an older request's outcome, reported already */
            continue;
        }
        if (m->running) {
            pthread_mutex_unlock(&mu);
            return "RUNNING"; /* under way (an older request's: this one waits for it) */
        }
        rc = m->rc;
        snprintf(detail, len, "%s", m->detail);
        m->used = 0;
        started = 1;
    }
    pthread_mutex_unlock(&mu);
    if (started < 0) { /* none yet: start it */
        struct hv_migrate_tls tls;
        char dir[700];
        if (!alive(sp))
            rc = HV_ENOTRUNNING;
        else if (migration_tls(sp, &tls, dir, detail, len) != 0)
            rc = HV_EFAIL;
        else {
            pthread_mutex_lock(&mu);
            int st = move_start(sp, &tls, detail, len);
            pthread_mutex_unlock(&mu);
            if (st >= 0)
                return "RUNNING";
            rc = HV_EFAIL;
        }
    }
    if (rc == HV_OK && marker(sp, "migrated", 0))
        return "MIGRATED";
    if (rc == HV_OK)
        snprintf(detail, len, "the move's record is missing in %s", sp->run_dir);
    if (rc == HV_ENOTRUNNING)
        snprintf(detail, len, "the guest does not run on the source host");
    fprintf(stderr, "yun host: %s: the migration to %s failed: %s\n", sp->id, sp->peer, detail);
    memo_put(sp->id, "move", sp->request, detail);
    return "FAILED";
}

static const char *act_running(const struct spec *sp, json_t *plan, char *detail, size_t len)
{
    (void)plan;
    if (sp->outgoing)
        return act_migrate_out(sp, detail, len);
    /* arrived here (or a move called off after the stream completed): the export stopped, the guest resumed */
    int arrived = marker(sp, "incoming", 0), left = marker(sp, "migrated", 0);
    if (!arrived && !left && !look_all && seen_running(sp->id))
        return "RUNNING"; /* looked at again within LOOK_MS */
    if ((arrived || left) && alive(sp)) {
        int rc = hv_driver()->migrate_resume(sp->run_dir, 10000, detail, len);
        marker(sp, "incoming", -1);
        marker(sp, "migrated", -1);
        if (rc != HV_OK) {
            hv_driver()->destroy(sp->run_dir, NULL, 0);
            return "STOPPED";
        }
        fprintf(stderr, "yun host: %s resumed here after its migration\n", sp->id);
    }
    if (alive(sp))
        return "RUNNING";
    char what[256] = "";
    enum hv_state hs = hv_driver()->status(sp->run_dir, what, sizeof what);
    snprintf(detail, len, "%s (%s)",
             hs == HV_ERROR ? "the virtual machine failed"
             : first_pass   ? "the virtual machine was not running when the host started"
                            : "the guest stopped",
             what[0] ? what : hv_state_name(hs));
    hv_driver()->destroy(sp->run_dir, NULL, 0);
    return "STOPPED";
}

/* The target's blank files of the cloud disks a move brings, in DIR/disks (made afresh: the control plane records
 * them on this host only once the move is done, and until then this host's copy is the mirror's). */
static int moving_make(const struct spec *sp, char *err, size_t errlen)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/disks", data_dir);
    if (sp->n_moving && mkdir_p(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot make %.300s", dir);
        return -1;
    }
    for (int k = 0; k < sp->n_moving; k++) {
        unlink(sp->moving_path[k]);
        if (hv_driver()->create_empty_disk(sp->moving_path[k], (long long)sp->moving_gib[k] << 30, err, errlen) !=
            HV_OK)
            return -1;
    }
    return 0;
}

/* The target's half: a blank overlay on the same base, a paused QEMU waiting for the stream and exporting the
 * disk to the source (the plan opens the two ports to the source only); READY once, FAILED once per request. */
static const char *act_incoming(const struct spec *sp, json_t *plan, char *detail, size_t len)
{
    const struct memo *m = memo_get(sp->id, "move", sp->request);
    if (m) {
        snprintf(detail, len, "%s", m->detail);
        return "FAILED";
    }
    if (marker(sp, "incoming", 0) && alive(sp))
        return "READY";
    char kernel[800], initrd[800], base[800];
    const char *underlay = json_string_value(json_object_get(plan, "Underlay"));
    int rc = -1;
    hv_driver()->destroy(sp->run_dir, NULL, 0);
    if (!sp->incoming || !underlay || strcmp(underlay, sp->listen))
        snprintf(detail, len, "the migration does not listen on this host's underlay address");
    else if (disk_ready(sp, 1, kernel, initrd, base, detail, len) == 0 && moving_make(sp, detail, len) == 0 &&
             net_apply(plan, 1, detail, len) == 0) {
        struct hv_spec hs = hv_spec_of(sp, kernel, initrd, base);
        hs.disks = sp->moving;
        hs.n_disks = sp->n_moving;
        struct hv_migrate_tls tls;
        char dir[700];
        if (migration_tls(sp, &tls, dir, detail, len) == 0)
            rc = hv_driver()->start_incoming(&hs, sp->listen, sp->nbd_port, sp->migrate_port, &tls, detail, len);
    }
    if (rc == HV_OK && marker(sp, "incoming", 1) == 0)
        return "READY";
    hv_driver()->destroy(sp->run_dir, NULL, 0);
    unlink(sp->disk);
    for (int k = 0; k < sp->n_moving; k++)
        unlink(sp->moving_path[k]);
    fprintf(stderr, "yun host: %s: cannot take the migration: %s\n", sp->id, detail);
    memo_put(sp->id, "move", sp->request, detail);
    return "FAILED";
}

/* STOPPED, LAUNCH_FAILED, SHUTDOWN: nothing runs */
static const char *act_off(const struct spec *sp, json_t *plan, char *detail, size_t len)
{
    (void)plan, (void)detail, (void)len;
    if (alive(sp))
        hv_driver()->stop(sp->run_dir, HV_STOP_HARD, 0, NULL, 0);
    hv_driver()->destroy(sp->run_dir, NULL, 0);
    return "STOPPED";
}

/* the state the control plane records (or MIGRATING_IN, as a migration's target sees it) -> what is done */
static const struct {
    const char *state;
    const char *(*act)(const struct spec *sp, json_t *plan, char *detail, size_t len);
} acts[] = {
    {"PENDING", act_boot},     {"STARTING", act_boot},   {"STOPPING", act_stop},
    {"REBOOTING", act_reboot}, {"RUNNING", act_running}, {"MIGRATING_IN", act_incoming},
};

static const char *act(const struct spec *sp, json_t *plan, char *detail, size_t len)
{
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (!strcmp(acts[i].state, sp->state))
            return acts[i].act(sp, plan, detail, len);
    return act_off(sp, plan, detail, len);
}

/* ---- cloud disks: the files of DIR/disks the document lists, plugged into the instances it attaches them to ---- */

struct disk_spec {
    const char *id, *state, *instance, *snapshot; /* snapshot: DUMPING, the copy it is made from */
    int size_gib, pending_gib, blank;             /* pending_gib: EXPANDING, the size it grows to */
    char path[720];
};

/* "disk-" or "snap-" and 8 of [a-z0-9]: the only names of DIR/disks and DIR/snapshots */
static int block_name_ok(const char *id, const char *prefix)
{
    if (!id || strlen(id) != 13 || strncmp(id, prefix, 5) != 0)
        return 0;
    for (const char *c = id + 5; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c))
            return 0;
    return 1;
}

static const char *disk_read(json_t *j, struct disk_spec *d)
{
    static const char *const states[] = {"ATTACHING", "ATTACHED", "DETACHING", "UNATTACHED", "EXPANDING", "DUMPING"};
    memset(d, 0, sizeof *d);
    d->id = json_string_value(json_object_get(j, "DiskId"));
    d->state = json_string_value(json_object_get(j, "State"));
    d->instance = json_string_value(json_object_get(j, "InstanceId"));
    d->blank = json_is_true(json_object_get(j, "Blank"));
    const char *file = json_string_value(json_object_get(j, "File")),
               *serial = json_string_value(json_object_get(j, "Serial"));
    json_int_t size = json_integer_value(json_object_get(j, "SizeGiB"));
    char want[40];
    if (!block_name_ok(d->id, "disk-"))
        return "a disk id is malformed";
    snprintf(want, sizeof want, "%s.qcow2", d->id);
    if (!file || strcmp(file, want) || !serial || strcmp(serial, d->id))
        return "the disk's file name or serial is not its id";
    if (size < 1 || size > 32000)
        return "the disk's size is out of range";
    int known = 0;
    for (size_t i = 0; d->state && i < sizeof states / sizeof states[0]; i++)
        known |= !strcmp(d->state, states[i]);
    if (!known)
        return "the disk's state is unknown";
    int expanding = !strcmp(d->state, "EXPANDING"), dumping = !strcmp(d->state, "DUMPING");
    if (!d->instance || (d->instance[0] && !id_ok(d->instance, "ins-")) ||
        (!d->instance[0] && strcmp(d->state, "UNATTACHED") && !expanding && !dumping))
        return "the disk's instance is malformed";
    d->snapshot = json_string_value(json_object_get(j, "Snapshot"));
    if (dumping && !block_name_ok(d->snapshot, "snap-"))
        return "the disk's snapshot is malformed";
    json_int_t pending = json_integer_value(json_object_get(j, "PendingGiB"));
    if (expanding && (pending <= size || pending > 32000))
        return "the disk's new size is out of range";
    d->pending_gib = expanding ? (int)pending : 0;
    d->size_gib = (int)size;
    snprintf(d->path, sizeof d->path, "%s/disks/%s", data_dir, want);
    return NULL;
}

/* A blank disk's first attach: an empty qcow2 of its size (made under NAME.tmp, then renamed). */
static int disk_make(const struct disk_spec *d, char *err, size_t errlen)
{
    char dir[700], tmp[740];
    snprintf(dir, sizeof dir, "%s/disks", data_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", d->path);
    unlink(tmp);
    if (mkdir_p(dir, 0700) != 0 ||
        hv_driver()->create_empty_disk(tmp, (long long)d->size_gib << 30, err, errlen) != HV_OK ||
        rename(tmp, d->path) != 0) {
        unlink(tmp);
        if (!err[0])
            snprintf(err, errlen, "cannot create the disk's file in %.300s", dir);
        return -1;
    }
    fprintf(stderr, "yun host: %s: made its file (%d GiB)\n", d->id, d->size_gib);
    return 0;
}

static void wake_pass(void)
{
    pthread_mutex_lock(&mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

/* A slow copy making `final` (copy_job.c), started or looked at: the report's word for it. BUSY while it runs (or
 * while the host runs as many as it takes), FAILED once with detail, `whole` when it is. */
static const char *copying(const struct copy_job *j, const char *whole, char *detail, size_t len)
{
    /* the copy's state first, then the file: a copy ends by renaming its file into place, then forgetting itself,
     * so no copy under way means the file is whole or was never made (never a second copy over a finished one) */
    enum copy_state cs = copy_job_state(j->final, detail, len);
    if (cs != COPY_NONE)
        return cs == COPY_RUNNING ? "BUSY" : "FAILED";
    struct stat st;
    if (stat(j->final, &st) == 0)
        return whole;
    if (copy_job_start(j, wake_pass, detail, len) != 0)
        detail[0] = 0; /* too many at once: asked again next pass */
    return "BUSY";
}

/* What the host saw of a disk after acting for its state: ATTACHED (file here, plugged if its instance runs),
 * DETACHED (unplugged), HELD (an unattached disk's file kept), RESIZED (grown to PendingGiB, online if plugged),
 * RESTORED (made from its snapshot, by a copy of its own), FAILED (detail set), BUSY (ask again next pass) */
static const char *act_disk(const struct disk_spec *d, json_t *instances, int *port, char *detail, size_t len)
{
    struct stat st;
    int have = stat(d->path, &st) == 0;
    if (d->snapshot && !strcmp(d->state, "DUMPING")) { /* CreateDisks from a snapshot here: a copy of its size */
        struct copy_job j = {.kind = COPY_RESTORE, .bytes = (long long)d->size_gib << 30};
        snprintf(j.final, sizeof j.final, "%s", d->path);
        snprintf(j.from, sizeof j.from, "%s/snapshots/%s.qcow2", data_dir, d->snapshot);
        return copying(&j, "RESTORED", detail, len);
    }
    if (d->pending_gib && !d->instance[0]) { /* an unattached disk grows offline (a blank one has nothing to grow) */
        if (!have && d->blank)
            return "RESIZED";
        if (!have)
            snprintf(detail, len, "the disk's file is missing on this host");
        return have && hv_driver()->resize_disk_file(d->path, (long long)d->pending_gib << 30, detail, len) == HV_OK
                   ? "RESIZED"
                   : "FAILED";
    }
    if (!strcmp(d->state, "UNATTACHED")) {
        if (have || d->blank) /* a blank one may have no file yet */
            return "HELD";
        snprintf(detail, len, "the disk's file is missing on this host");
        return "FAILED";
    }
    int detaching = !strcmp(d->state, "DETACHING");
    if (!have && !detaching && !d->blank) {
        snprintf(detail, len, "the disk's file is missing on this host");
        return "FAILED";
    }
    if (!have && !detaching && disk_make(d, detail, len) != 0)
        return "FAILED";
    /* its guest's QEMU is its move's, or a snapshot's backup job of it runs there: looked at again after */
    if (d->instance[0] && (moving_out(d->instance) || copy_job_backs_up(d->id)))
        return "BUSY";
    /* the instance it is attached to, as this document shows it: plugged while its QEMU lives */
    struct spec sp;
    int live = 0;
    size_t i;
    json_t *it;
    json_array_foreach (instances, i, it) {
        const char *id = json_string_value(json_object_get(it, "InstanceId"));
        if (id && !strcmp(id, d->instance) && !spec_read(it, &sp))
            live = strcmp(sp.state, "MIGRATING_IN") != 0 && alive(&sp);
    }
    int plugged = live ? hv_driver()->disk_plugged(sp.run_dir, d->id, detail, len) : 0;
    if (plugged < 0)
        return "BUSY";
    if (detaching) {
        if (plugged == 1 && hv_driver()->detach_disk(sp.run_dir, d->id, detail, len) != HV_OK)
            return "FAILED";
        if (plugged == 1)
            fprintf(stderr, "yun host: %s unplugged from %s\n", d->id, d->instance);
        return "DETACHED";
    }
    if (plugged == 0 && live) {
        if (hv_driver()->attach_disk(sp.run_dir, d->id, d->path, detail, len) != HV_OK)
            return "FAILED";
        fprintf(stderr, "yun host: %s plugged into %s\n", d->id, d->instance);
    }
    /* where it is plugged: a live migration plugs it on the same port of the target's QEMU */
    *port = live ? hv_driver()->disk_port(sp.run_dir, d->id, NULL, 0) : -1;
    if (!d->pending_gib)
        return "ATTACHED";
    /* ResizeDisk of an attached disk: the guest sees the new size at once when it runs (growing is idempotent) */
    long long bytes = (long long)d->pending_gib << 30;
    int rc = live ? hv_driver()->resize_disk(sp.run_dir, d->id, bytes, detail, len)
                  : hv_driver()->resize_disk_file(d->path, bytes, detail, len);
    return rc == HV_OK ? "RESIZED" : "FAILED";
}

/* Files of DIR/SUB (disks, snapshots) the document does not list under key (DiskId, SnapshotId) are removed (a
 * deleted disk's or snapshot's; a NAME.tmp left over); one that cannot be is reported, so the control plane keeps
 * its record. */
static void remove_unlisted(const char *sub, const char *prefix, const char *key, json_t *listed_items, json_t *items)
{
    char root[700];
    snprintf(root, sizeof root, "%s/%s", data_dir, sub);
    DIR *dir = opendir(root);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        char id[24];
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, 5) != 0 || n < 19)
            continue;
        int tmp = n > 4 && !strcmp(e->d_name + n - 4, ".tmp");
        snprintf(id, sizeof id, "%.13s", e->d_name);
        if (!tmp && host_report_names(listed_items, key, id))
            continue;
        char path[1100];
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        if (tmp && copy_job_writes(path)) /* a copy under way writes it */
            continue;
        if (unlink(path) == 0) {
            fprintf(stderr, "yun host: %s is not in the document: removed\n", e->d_name);
        } else if (!tmp) {
            char why[300];
            snprintf(why, sizeof why, "cannot remove the file: %s", strerror(errno));
            json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s,s:s}", key, id, "InstanceId", "", "For",
                                                   "DELETING", "Seen", "FAILED", "Detail", why));
        }
    }
    if (dir)
        closedir(dir);
}

/* A snapshot this host makes of one of its disks: MADE (its file here, Bytes), HELD (kept), FAILED (detail). A
 * disk plugged into a running guest is copied by a backup job (consistent at one instant while the guest writes),
 * any other by a file copy. */
static const char *act_snapshot(json_t *j, json_t *disks, json_t *instances, int64_t *bytes, char *detail, size_t len)
{
    const char *id = json_string_value(json_object_get(j, "SnapshotId")),
               *disk = json_string_value(json_object_get(j, "DiskId")),
               *state = json_string_value(json_object_get(j, "State")),
               *file = json_string_value(json_object_get(j, "File"));
    char want[40], path[760], tmp[780], disk_path[760];
    snprintf(want, sizeof want, "%s.qcow2", id ? id : "");
    if (!block_name_ok(id, "snap-") || !block_name_ok(disk, "disk-") || !file || strcmp(file, want) || !state ||
        (strcmp(state, "CREATING") && strcmp(state, "NORMAL"))) {
        snprintf(detail, len, "the host refused the snapshot's spec");
        return "FAILED";
    }
    snprintf(path, sizeof path, "%s/snapshots/%s", data_dir, want);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (copy_job_writes(tmp)) /* its copy is under way: nothing to ask its guest's QEMU */
        return "BUSY";
    struct stat st;
    if (stat(path, &st) == 0) {
        *bytes = (int64_t)st.st_blocks * 512;
        return !strcmp(state, "CREATING") ? "MADE" : "HELD";
    }
    if (strcmp(state, "CREATING")) {
        snprintf(detail, len, "the snapshot's file is missing on this host");
        return "FAILED";
    }
    /* the disk it copies, as this document lists it, and the guest it is plugged into */
    struct disk_spec d;
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach (disks, i, it) {
        const char *did = json_string_value(json_object_get(it, "DiskId"));
        if (did && !strcmp(did, disk) && !disk_read(it, &d))
            found = 1;
    }
    snprintf(disk_path, sizeof disk_path, "%s/disks/%s.qcow2", data_dir, disk);
    int blank = found && d.blank && stat(disk_path, &st) != 0; /* no data yet: its copy is an empty disk */
    if (!found || (!blank && stat(disk_path, &st) != 0)) {
        snprintf(detail, len, "the disk %s is not on this host", disk);
        return "FAILED";
    }
    char dir[700];
    snprintf(dir, sizeof dir, "%s/snapshots", data_dir);
    if (mkdir_p(dir, 0700) != 0) {
        snprintf(detail, len, "cannot make %.300s", dir);
        return "FAILED";
    }
    if (blank) { /* an empty qcow2 of the disk's size: made at once */
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        unlink(tmp);
        if (hv_driver()->create_empty_disk(tmp, (long long)d.size_gib << 30, detail, len) != HV_OK ||
            rename(tmp, path) != 0 || stat(path, &st) != 0) {
            unlink(tmp);
            if (!detail[0])
                snprintf(detail, len, "cannot make the snapshot's file in %.300s", dir);
            return "FAILED";
        }
        fprintf(stderr, "yun host: %s: made of %s (blank)\n", id, disk);
        *bytes = (int64_t)st.st_blocks * 512;
        return "MADE";
    }
    if (d.instance[0] && moving_out(d.instance)) /* its guest's QEMU is its move's */
        return "BUSY";
    /* a copy of its own (copy_job.c): by a backup job while a running guest holds the disk, else of the file */
    struct copy_job cj = {.kind = COPY_FILE, .bytes = (long long)d.size_gib << 30};
    snprintf(cj.final, sizeof cj.final, "%s", path);
    snprintf(cj.from, sizeof cj.from, "%s", disk_path);
    struct spec sp;
    json_array_foreach (instances, i, it) {
        const char *iid = json_string_value(json_object_get(it, "InstanceId"));
        if (iid && d.instance[0] && !strcmp(iid, d.instance) && !spec_read(it, &sp) &&
            strcmp(sp.state, "MIGRATING_IN") != 0 && alive(&sp) &&
            hv_driver()->disk_plugged(sp.run_dir, disk, NULL, 0) == 1) {
            cj.kind = COPY_BACKUP;
            snprintf(cj.run_dir, sizeof cj.run_dir, "%s", sp.run_dir);
            snprintf(cj.disk_id, sizeof cj.disk_id, "%s", disk);
            snprintf(cj.job_id, sizeof cj.job_id, "%s", id);
        }
    }
    const char *seen = copying(&cj, "MADE", detail, len);
    if (!strcmp(seen, "MADE") && stat(path, &st) == 0)
        *bytes = (int64_t)st.st_blocks * 512;
    return seen;
}

static json_t *snapshots_pass(json_t *snaps, json_t *disks, json_t *instances)
{
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach (snaps, i, it) {
        char detail[512] = "";
        int64_t bytes = 0;
        const char *seen = act_snapshot(it, disks, instances, &bytes, detail, sizeof detail);
        const char *id = json_string_value(json_object_get(it, "SnapshotId")),
                   *state = json_string_value(json_object_get(it, "State"));
        json_t *item = json_pack("{s:s,s:s,s:s,s:I,s:s}", "SnapshotId", id ? id : "", "For", state ? state : "", "Seen",
                                 seen, "Bytes", (json_int_t)bytes, "Detail", detail);
        if (item)
            json_array_append_new(items, item);
    }
    remove_unlisted("snapshots", "snap-", "SnapshotId", snaps, items);
    return items;
}

static json_t *disks_pass(json_t *disks, json_t *instances)
{
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach (disks, i, it) {
        struct disk_spec d;
        char detail[512] = "";
        const char *bad = disk_read(it, &d);
        int port = -1;
        const char *seen = bad ? "FAILED" : act_disk(&d, instances, &port, detail, sizeof detail);
        if (bad)
            snprintf(detail, sizeof detail, "the host refused the disk's spec: %s", bad);
        json_t *item =
            json_pack("{s:s,s:s,s:s,s:s,s:s}", "DiskId", d.id ? d.id : "", "InstanceId", d.instance ? d.instance : "",
                      "For", d.state ? d.state : "", "Seen", seen, "Detail", detail);
        if (item && !strcmp(seen, "RESIZED"))
            json_object_set_new(item, "SizeGiB", json_integer(d.pending_gib));
        if (item && port >= 0)
            json_object_set_new(item, "Port", json_integer(port));
        if (item)
            json_array_append_new(items, item);
    }
    /* the files of disks moving here are kept too: their move is not recorded yet (a failed one drops them) */
    json_t *kept = json_copy(disks);
    json_array_foreach (instances, i, it) {
        struct spec sp;
        if (!spec_read(it, &sp) && sp.incoming && !strcmp(sp.state, "MIGRATING_IN"))
            for (int k = 0; k < sp.n_moving; k++)
                json_array_append_new(kept, json_pack("{s:s}", "DiskId", sp.moving_ids[k]));
    }
    remove_unlisted("disks", "disk-", "DiskId", kept, items);
    json_decref(kept);
    return items;
}

/* Directories of instances the document does not name: their QEMU stopped, the directory gone. */
static void remove_unnamed(json_t *instances)
{
    char root[700];
    snprintf(root, sizeof root, "%s/instances", data_dir);
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "ins-", 4) != 0)
            continue;
        if (host_report_names(instances, "InstanceId", e->d_name) ||
            moving_out(e->d_name)) /* a guest moving away: gone once its move's thread is done */
            continue;
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        hv_driver()->stop(dir, HV_STOP_HARD, 0, NULL, 0);
        hv_driver()->destroy(dir, NULL, 0);
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        fprintf(stderr, "yun host: %s is not in the document: removed\n", e->d_name);
    }
    if (d)
        closedir(d);
}

static int pass(json_t *doc, const char *version, json_t *last)
{
    json_t *instances = json_object_get(doc, "Instances"), *plan = json_object_get(doc, "Network");
    json_t *items = json_array(), *now_running = json_object();
    char err[512] = "", applied[700];
    int waiting = 0; /* a guest paused here waits for its source: the session heartbeats often */
    /* the network is touched once a document names an instance, or to remove what an earlier run
     * of this host left (the marker): an empty plan removes every yun device and table, and this
     * host may share a network namespace with another host role (the tests of the join do) */
    snprintf(applied, sizeof applied, "%s/network.applied", data_dir);
    int any = json_array_size(instances) > 0;
    /* first: an instance that left the document (terminated, moved away) stops before its tap and rules go */
    remove_unnamed(json_is_array(instances) ? instances : NULL);
    moves_sweep(json_is_array(instances) ? instances : NULL);
    bootings_refresh(1);
    boots_waiting = 0;
    if ((look_all = time_now_ms() - looked_ms >= LOOK_MS))
        looked_ms = time_now_ms();
    if (json_is_object(plan) && (conf.own_network || any || access(applied, F_OK) == 0)) {
        if (net_apply(plan, 0, err, sizeof err) != 0)
            fprintf(stderr, "yun host: the network plan: %s\n", err);
        else if (conf.own_network)
            ;
        else if (any)
            file_write_atomic(applied, "1\n", 2, 0600);
        else
            unlink(applied);
    }
    size_t i;
    json_t *it;
    json_array_foreach (instances, i, it) {
        struct spec sp;
        char detail[512] = "";
        const char *bad = spec_read(it, &sp);
        /* a guest moving away is its move's thread's: asked for anything else meanwhile, it waits for the move */
        int held = !bad && !(sp.outgoing && !strcmp(sp.state, "RUNNING")) && moving_out(sp.id);
        const char *seen = bad ? "FAILED" : held ? "BUSY" : act(&sp, plan, detail, sizeof detail);
        if (bad)
            snprintf(detail, sizeof detail, "the host refused the instance's spec: %s", bad);
        if (held)
            snprintf(detail, sizeof detail, "a live migration of it is under way on this host");
        const char *id = json_string_value(json_object_get(it, "InstanceId"));
        json_t *item = id ? host_report_item(id, sp.state, seen, sp.request, detail) : NULL;
        if (item && !strcmp(seen, "READY")) {
            json_object_set_new(item, "NbdPort", json_integer(sp.nbd_port));
            json_object_set_new(item, "MigratePort", json_integer(sp.migrate_port));
            waiting = 1;
        }
        if (item)
            json_array_append_new(items, item);
        if (id && !strcmp(seen, "RUNNING"))
            json_object_set_new(now_running, id, json_true());
    }
    json_decref(looked);
    looked = now_running;
    for (size_t g = n_goings; g-- > 0;)
        if (!goings[g].asked)
            going_drop(&goings[g]);
        else
            goings[g].asked = 0;
    json_t *r = host_report_new(version, items);
    json_t *disks = json_object_get(doc, "Disks"), *snaps = json_object_get(doc, "Snapshots");
    /* a document without the lists (an older control plane's) leaves the files alone; snapshots first: a disk
     * restored from one finds it made */
    if (json_is_array(snaps) && json_is_array(disks))
        json_object_set_new(r, "Snapshots", snapshots_pass(snaps, disks, json_is_array(instances) ? instances : NULL));
    if (json_is_array(disks))
        json_object_set_new(r, "Disks", disks_pass(disks, json_is_array(instances) ? instances : NULL));
    int changed = !json_equal(r, last);
    pthread_mutex_lock(&mu);
    json_decref(report);
    report = r;
    urgent = waiting;
    pthread_mutex_unlock(&mu);
    return changed;
}

static void *loop(void *arg)
{
    (void)arg;
    json_t *last = NULL;
    pthread_mutex_lock(&mu);
    while (running) {
        json_t *doc = json_incref(offered);
        char version[HOST_DOC_VERSION_LEN];
        memcpy(version, offered_version, sizeof version);
        pthread_mutex_unlock(&mu);
        if (doc) {
            int changed = pass(doc, version, last);
            first_pass = 0;
            json_decref(doc);
            pthread_mutex_lock(&mu);
            json_decref(last);
            last = json_incref(report);
            pthread_mutex_unlock(&mu);
            if (changed && on_change)
                on_change();
        }
        pthread_mutex_lock(&mu);
        if (running && (!offered || !strcmp(version, offered_version))) {
            struct timespec until; /* a soft stop under way, a boot waiting for a slot: look again soon */
            time_deadline(&until, n_goings || boots_waiting ? GOING_POLL_MS : HOST_HEARTBEAT_SECONDS * 1000);
            /* a boot waiting for a slot takes it as soon as a booting guest's marker shows (a file read every
             * BOOT_POLL_MS; the pass's QMP round trips only then), not at the next pass */
            int woken = 0;
            for (;;) {
                struct timespec step;
                clock_gettime(CLOCK_REALTIME, &step);
                if (!running || !boots_waiting || woken || (int)n_bootings < conf.boot_limit ||
                    step.tv_sec > until.tv_sec || (step.tv_sec == until.tv_sec && step.tv_nsec >= until.tv_nsec))
                    break; /* the pass's own time came: it looks at everything, the guests' liveness too */
                time_deadline(&step, BOOT_POLL_MS);
                woken = pthread_cond_timedwait(&cv, &mu, &step) == 0;
                pthread_mutex_unlock(&mu);
                bootings_refresh(0);
                pthread_mutex_lock(&mu);
            }
            if (!woken && !(boots_waiting && (int)n_bootings < conf.boot_limit))
                pthread_cond_timedwait(&cv, &mu, &until);
        }
    }
    pthread_mutex_unlock(&mu);
    json_decref(last);
    return NULL;
}

int realise_start(const struct realise_conf *c)
{
    char why[256];
    conf = *c;
    snprintf(data_dir, sizeof data_dir, "%s", c->data);
    snprintf(accel, sizeof accel, "%s", c->accel ? c->accel : hv_detect_accel(why, sizeof why));
    conf.data = data_dir;
    conf.accel = accel;
    if (conf.boot_limit <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        conf.boot_limit = n > 0 ? (int)n : 1;
    }
    host_net_uplink(uplink, sizeof uplink);
    char pool[700];
    snprintf(pool, sizeof pool, "%s/instances/.pool", data_dir);
    if (disk_pool_init(pool, why, sizeof why) != 0)
        fprintf(stderr, "yun host: %s (system disks are made at each boot)\n", why);
    on_change = c->wake;
    running = 1;
    started = pthread_create(&thread, NULL, loop, NULL) == 0;
    return started ? 0 : -1;
}

void realise_offer(json_t *doc, const char *version)
{
    pthread_mutex_lock(&mu);
    if (strcmp(version, offered_version) != 0) {
        json_decref(offered);
        offered = json_incref(doc);
        snprintf(offered_version, sizeof offered_version, "%s", version);
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
}

json_t *realise_report(char have[])
{
    pthread_mutex_lock(&mu);
    json_t *r = json_incref(report);
    snprintf(have, HOST_DOC_VERSION_LEN, "%s", offered_version);
    pthread_mutex_unlock(&mu);
    return r;
}

int realise_urgent(void)
{
    pthread_mutex_lock(&mu);
    int u = urgent;
    pthread_mutex_unlock(&mu);
    return u;
}

void realise_stop(void)
{
    pthread_mutex_lock(&mu);
    running = 0;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (started)
        pthread_join(thread, NULL);
    started = 0;
    disk_pool_stop();
}
