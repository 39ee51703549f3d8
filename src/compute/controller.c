/*
 * controller: drives each instance of this host from the state the store records to the one
 * the user asked for, one persisted step at a time, through the hypervisor driver.
 *
 * A dispatcher thread finds instances in a transitional state (PENDING, STARTING, STOPPING,
 * REBOOTING, TERMINATING) and hands them to a few workers; at most `boot_concurrency` guests boot
 * at once (a TCG boot is CPU-bound: booting more than the host has cores only makes all of them
 * slower). Every step is idempotent, so after a crash the same job simply runs again. The
 * dispatcher also watches running guests: one whose QEMU died or hit an emulation error is
 * marked STOPPED with the reason, never left hanging.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "compute/states.h"
#include "host/disk_pool.h"
#include "host/hypervisor.h"
#include "host/net.h"
#include "network/network.h"

#define WORKERS        4
#define MAX_INFLIGHT   128
#define SOFT_STOP_MS   30000
#define BOOT_WINDOW_MS 30000 /* a guest without a ready marker counts as booting this long */
#define LIVENESS_MS    2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER, kick_cv = PTHREAD_COND_INITIALIZER;
static pthread_t dispatcher, workers[WORKERS];
static int running, kicked;

struct job {
    char id[24];
    char state[24];
    int boots; /* starts a guest: counts against boot_concurrency from claim to registered boot */
};
static struct job queue[MAX_INFLIGHT];
static int queued;
static int boots_in_flight; /* claimed boot jobs whose guest is not yet in booting[] */
static char claimed[MAX_INFLIGHT][24];
static int nclaimed;

struct booting {
    char id[24];
    int64_t since_ms;
    size_t console_offset;
};
static struct booting booting[MAX_INFLIGHT];
static int nbooting;

void compute_kick(void)
{
    pthread_mutex_lock(&mu);
    kicked = 1;
    pthread_cond_signal(&kick_cv);
    pthread_mutex_unlock(&mu);
}

/* ---- the host's network: the plan computed from the store, applied when it changes ---- */

static pthread_mutex_t net_mu = PTHREAD_MUTEX_INITIALIZER;
static char *applied_plan; /* last plan applied, as JSON text (owned here) */
static char uplink[16];

/* Makes the host's bridges, taps, namespaces and nftables match the store; force re-applies an
 * unchanged plan (e.g. before a boot, so the instance's tap exists). */
static int net_apply(struct store *s, int force, char *err, size_t errlen)
{
    pthread_mutex_lock(&net_mu);
    json_t *plan = host_network_plan(s, compute_env.host_id);
    int rc = -1;
    if (!plan) {
        snprintf(err, errlen, "the network plan could not be computed");
        goto out;
    }
    json_object_set_new(plan, "Uplink", json_string(uplink));
    char *text = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
    if (!force && text && applied_plan && strcmp(text, applied_plan) == 0) {
        free(text);
        rc = 0;
        goto out;
    }
    rc = host_net_apply(plan, err, errlen);
    if (rc == 0) {
        free(applied_plan);
        applied_plan = text;
        metadata_sync(plan);
    } else {
        free(text);
        log_warn("host network: %s", err);
    }
out:
    json_decref(plan);
    pthread_mutex_unlock(&net_mu);
    return rc;
}

static void run_dir_of(const char *id, char *out, size_t len)
{
    snprintf(out, len, "%.480s/instances/%.24s", compute_env.data_dir, id);
}
static void tap_of(const char *id, char *out, size_t len)
{
    char dev[16];
    network_nic_device(id, dev);
    snprintf(out, len, "%s", dev);
}

static size_t console_length(const char *run_dir)
{
    char none[1];
    long long end = 0;
    return hv_driver()->console_from(run_dir, LLONG_MAX, none, sizeof none, NULL, &end) == HV_OK ? (size_t)end : 0;
}

/* caller holds mu */
static int is_claimed(const char *id)
{
    for (int i = 0; i < nclaimed; i++)
        if (!strcmp(claimed[i], id))
            return 1;
    return 0;
}

static void booting_add(const char *id, size_t offset)
{
    pthread_mutex_lock(&mu);
    int i;
    for (i = 0; i < nbooting && strcmp(booting[i].id, id); i++)
        ;
    if (i == nbooting && nbooting < MAX_INFLIGHT)
        nbooting++;
    if (i < MAX_INFLIGHT) {
        snprintf(booting[i].id, sizeof booting[i].id, "%s", id);
        booting[i].since_ms = time_now_ms();
        booting[i].console_offset = offset;
    }
    pthread_mutex_unlock(&mu);
}

/* Drops guests that finished booting (ready marker after their start) or ran out of the window. */
static void booting_refresh(void)
{
    char ids[MAX_INFLIGHT][24];
    size_t offsets[MAX_INFLIGHT];
    int64_t since[MAX_INFLIGHT];
    pthread_mutex_lock(&mu);
    int n = nbooting;
    for (int i = 0; i < n; i++) {
        memcpy(ids[i], booting[i].id, sizeof ids[i]);
        offsets[i] = booting[i].console_offset;
        since[i] = booting[i].since_ms;
    }
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n; i++) {
        int done = time_now_ms() - since[i] > BOOT_WINDOW_MS;
        if (!done) {
            char dir[700], buf[8192];
            size_t got = 0;
            long long end = 0;
            run_dir_of(ids[i], dir, sizeof dir);
            done = hv_driver()->console_from(dir, (long long)offsets[i], buf, sizeof buf, &got, &end) != HV_OK ||
                   memmem(buf, got, "YUN-READY", 9) != NULL || end < (long long)offsets[i];
        }
        if (done) {
            pthread_mutex_lock(&mu);
            for (int j = 0; j < nbooting; j++)
                if (!strcmp(booting[j].id, ids[i])) {
                    booting[j] = booting[--nbooting];
                    break;
                }
            pthread_mutex_unlock(&mu);
        }
    }
}

/* ---- steps ---- */

struct inst {
    char id[24], state[24], op[40], stop_type[16], ip[16], mac[24], image_id[32], owner[24], subnet_id[24];
    char kernel[700], initrd[700], base_disk[700], cmdline[256];
    int cpu, memory_gib;
    int64_t disk_size;
    char run_dir[700], disk[800], tap[24];
};

static int load(struct store *s, const char *id, struct inst *in)
{
    struct store_stmt *q = store_query(
        s,
        "SELECT i.state, coalesce(i.latest_op, ''), coalesce(i.stop_type, ''), i.private_ip, i.mac,"
        " i.image_id, coalesce(m.kernel, ''), coalesce(m.initrd, ''), coalesce(m.disk, ''), i.cpu,"
        " i.memory_gib, i.system_disk_size, i.owner_uin, i.subnet_id, coalesce(m.cmdline, '') FROM instances i"
        " LEFT JOIN images m ON m.image_id = i.image_id"
        " WHERE i.instance_id = ?",
        "s", id);
    if (!q || store_step(q) != 1) {
        store_done(q);
        return -1;
    }
    memset(in, 0, sizeof *in);
    snprintf(in->id, sizeof in->id, "%s", id);
    snprintf(in->state, sizeof in->state, "%s", store_text(q, 0));
    snprintf(in->op, sizeof in->op, "%s", store_text(q, 1));
    snprintf(in->stop_type, sizeof in->stop_type, "%s", store_text(q, 2));
    snprintf(in->ip, sizeof in->ip, "%s", store_text(q, 3));
    snprintf(in->mac, sizeof in->mac, "%s", store_text(q, 4));
    snprintf(in->image_id, sizeof in->image_id, "%s", store_text(q, 5));
    snprintf(in->kernel, sizeof in->kernel, "%s", store_text(q, 6));
    snprintf(in->initrd, sizeof in->initrd, "%s", store_text(q, 7));
    snprintf(in->base_disk, sizeof in->base_disk, "%s", store_text(q, 8));
    in->cpu = (int)store_int(q, 9);
    in->memory_gib = (int)store_int(q, 10);
    in->disk_size = store_int(q, 11);
    snprintf(in->owner, sizeof in->owner, "%s", store_text(q, 12));
    snprintf(in->subnet_id, sizeof in->subnet_id, "%s", store_text(q, 13));
    snprintf(in->cmdline, sizeof in->cmdline, "%s", store_text(q, 14)); /* the image manifest's kernel_cmdline */
    store_done(q);
    run_dir_of(id, in->run_dir, sizeof in->run_dir);
    snprintf(in->disk, sizeof in->disk, "%s/system.qcow2", in->run_dir);
    tap_of(id, in->tap, sizeof in->tap);
    return 0;
}

static int ensure_disk(struct inst *in, char *err, size_t errlen)
{
    struct stat st;
    if (stat(in->disk, &st) == 0)
        return 0;
    if (mkdir_p(in->run_dir, 0700) != 0) {
        snprintf(err, errlen, "cannot create %.400s", in->run_dir);
        return -1;
    }
    if (!in->base_disk[0]) {
        snprintf(err, errlen, "image %s has no disk", in->image_id);
        return -1;
    }
    char tmp[820];
    snprintf(tmp, sizeof tmp, "%s.tmp", in->disk); /* a crash mid-create leaves no half disk under the real name */
    unlink(tmp);
    if (disk_pool_take(in->base_disk, in->disk_size * 1024LL * 1024 * 1024, tmp, err, errlen) < 0)
        return -1;
    if (rename(tmp, in->disk) != 0) {
        snprintf(err, errlen, "rename %.400s: %s", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

static int boot(struct store *s, struct inst *in, char *err, size_t errlen)
{
    char state_detail[128];
    enum hv_state st = hv_driver()->status(in->run_dir, state_detail, sizeof state_detail);
    if (st == HV_RUNNING || st == HV_PAUSED || st == HV_UNKNOWN)
        return 0; /* already running: a crash came between start and the state update */
    if (st == HV_SHUTDOWN || st == HV_ERROR)
        hv_driver()->destroy(in->run_dir, NULL, 0);
    if (net_apply(s, 1, err, errlen) != 0) /* creates the instance's tap in its VPC */
        return -1;
    char vpc[24], zone[64], cidr_text[20], gw[16], extra[400];
    struct cidr subnet;
    if (network_subnet_info(s, in->owner, in->subnet_id, vpc, zone, cidr_text) != 1 ||
        cidr_parse(cidr_text, &subnet) != 0) {
        snprintf(err, errlen, "the instance's subnet %s is gone", in->subnet_id);
        return -1;
    }
    ip_format(subnet_gateway(&subnet), gw);
    snprintf(extra, sizeof extra, "yun.ip=%s/%d yun.gw=%s%s%s", in->ip, subnet.prefix, gw, in->cmdline[0] ? " " : "",
             in->cmdline);
    struct hv_spec spec = {.instance_id = in->id,
                           .vcpus = in->cpu,
                           .memory_mib = in->memory_gib * 1024,
                           .kernel = in->kernel[0] ? in->kernel : NULL,
                           .initrd = in->initrd[0] ? in->initrd : NULL,
                           .cmdline_extra = extra,
                           .system_disk = in->disk,
                           .system_disk_base = in->base_disk[0] ? in->base_disk : NULL,
                           .tap_ifname = in->tap,
                           .mac = in->mac,
                           .run_dir = in->run_dir,
                           .accel = compute_env.accel};
    size_t offset = 0; /* QEMU truncates the log on start */
    if (hv_driver()->start(&spec, err, errlen) != HV_OK)
        return -1;
    booting_add(in->id, offset);
    block_reattach(store_thread(), in->id, in->run_dir); /* hot-plugged cloud disks do not survive a QEMU restart */
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Stops the instance's QEMU; its tap stays with its NIC in the plan until the instance is terminated. */
static void release(struct store *s, struct inst *in)
{
    hv_driver()->destroy(in->run_dir, NULL, 0);
    (void)s;
}

static void fail(struct store *s, struct inst *in, const char *state, const char *why)
{
    log_warn("instance %s: %s failed: %s", in->id, in->op, why);
    instance_set_state(s, in->id, in->state, state, "FAILED", why);
}

static void job(struct store *s, const char *id)
{
    struct inst in;
    if (load(s, id, &in) != 0)
        return;
    char err[512] = "";
    if (!strcmp(in.state, INSTANCE_PENDING)) {
        if (ensure_disk(&in, err, sizeof err) || boot(s, &in, err, sizeof err)) {
            release(s, &in);
            fail(s, &in, INSTANCE_LAUNCH_FAILED, err);
            return;
        }
        instance_set_state(s, id, in.state, INSTANCE_RUNNING, "SUCCESS", NULL);
    } else if (!strcmp(in.state, INSTANCE_STARTING)) {
        if (ensure_disk(&in, err, sizeof err) || boot(s, &in, err, sizeof err)) {
            release(s, &in);
            fail(s, &in, INSTANCE_STOPPED, err);
            return;
        }
        instance_set_state(s, id, in.state, INSTANCE_RUNNING, "SUCCESS", NULL);
    } else if (!strcmp(in.state, INSTANCE_STOPPING)) {
        enum hv_stop_mode mode = !strcmp(in.stop_type, "HARD")         ? HV_STOP_HARD
                                 : !strcmp(in.stop_type, "SOFT_FIRST") ? HV_STOP_SOFT_FIRST
                                                                       : HV_STOP_SOFT;
        int rc = hv_driver()->stop(in.run_dir, mode, SOFT_STOP_MS, err, sizeof err);
        if (rc != HV_OK) {
            fail(s, &in, INSTANCE_RUNNING,
                 rc == HV_ETIMEDOUT ? "the guest did not shut down; use StopType HARD or SOFT_FIRST" : err);
            return;
        }
        release(s, &in);
        if (!strcmp(in.op, "ResetInstance")) { /* reinstall: a new system disk from the (new) image, then boot */
            unlink(in.disk);
            if (load(s, id, &in) != 0 || ensure_disk(&in, err, sizeof err)) {
                fail(s, &in, INSTANCE_STOPPED, err);
                return;
            }
            instance_set_state(s, id, in.state, INSTANCE_STARTING, NULL, NULL);
            compute_kick();
            return;
        }
        instance_set_state(s, id, in.state, INSTANCE_STOPPED, "SUCCESS", NULL);
    } else if (!strcmp(in.state, INSTANCE_REBOOTING)) {
        int rc;
        if (!strcmp(in.stop_type, "HARD")) {
            size_t offset = console_length(in.run_dir);
            rc = hv_driver()->reboot(in.run_dir, err, sizeof err);
            if (rc == HV_OK)
                booting_add(id, offset);
        } else {
            rc = hv_driver()->stop(in.run_dir, HV_STOP_SOFT_FIRST, SOFT_STOP_MS, err, sizeof err);
            if (rc == HV_OK) {
                hv_driver()->destroy(in.run_dir, NULL, 0);
                rc = boot(s, &in, err, sizeof err);
            }
        }
        if (rc != HV_OK) {
            fail(s, &in, hv_driver()->status(in.run_dir, NULL, 0) == HV_RUNNING ? INSTANCE_RUNNING : INSTANCE_STOPPED,
                 err);
            return;
        }
        instance_set_state(s, id, in.state, INSTANCE_RUNNING, "SUCCESS", NULL);
    } else if (!strcmp(in.state, INSTANCE_TERMINATING)) {
        release(s, &in);
        nftw(in.run_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        instance_terminated(s, id, in.owner);
        char nerr[256];
        net_apply(s, 0, nerr, sizeof nerr); /* its tap and rules go */
    }
}

static void *worker_main(void *arg)
{
    (void)arg;
    struct store *s = store_thread();
    pthread_mutex_lock(&mu);
    while (running) {
        if (!queued) {
            pthread_cond_wait(&work_cv, &mu);
            continue;
        }
        struct job j = queue[--queued];
        pthread_mutex_unlock(&mu);
        if (s)
            job(s, j.id);
        pthread_mutex_lock(&mu);
        boots_in_flight -= j.boots; /* its guest, if it started, is in booting[] now */
        for (int i = 0; i < nclaimed; i++)
            if (!strcmp(claimed[i], j.id)) {
                memcpy(claimed[i], claimed[--nclaimed], sizeof claimed[i]);
                break;
            }
        kicked = 1;
        pthread_cond_signal(&kick_cv);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static int boot_limit(void)
{
    if (compute_env.cfg->boot_concurrency > 0)
        return compute_env.cfg->boot_concurrency;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void dispatch(struct store *s)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT instance_id, state FROM instances WHERE host_id = ? AND state IN"
                                       " ('" INSTANCE_PENDING "','" INSTANCE_STARTING "','" INSTANCE_STOPPING
                                       "','" INSTANCE_REBOOTING "','" INSTANCE_TERMINATING "') ORDER BY updated, rowid",
                                       "s", compute_env.host_id);
    if (!q)
        return;
    int limit = boot_limit();
    while (store_step(q) == 1) {
        const char *id = store_text(q, 0), *state = store_text(q, 1);
        int boots =
            !strcmp(state, INSTANCE_PENDING) || !strcmp(state, INSTANCE_STARTING) || !strcmp(state, INSTANCE_REBOOTING);
        pthread_mutex_lock(&mu);
        if (!is_claimed(id) && nclaimed < MAX_INFLIGHT && (!boots || nbooting + boots_in_flight < limit)) {
            snprintf(claimed[nclaimed++], sizeof claimed[0], "%s", id);
            snprintf(queue[queued].id, sizeof queue[0].id, "%s", id);
            snprintf(queue[queued].state, sizeof queue[0].state, "%s", state);
            queue[queued].boots = boots;
            boots_in_flight += boots;
            queued++;
            pthread_cond_signal(&work_cv);
        }
        pthread_mutex_unlock(&mu);
    }
    store_done(q);
}

/* Running guests whose QEMU died (or hit an emulation error) become STOPPED with the reason. */
static void check_liveness(struct store *s)
{
    struct store_stmt *q =
        store_query(s, "SELECT instance_id FROM instances WHERE host_id = ? AND state = '" INSTANCE_RUNNING "'", "s",
                    compute_env.host_id);
    char ids[256][24];
    int n = 0;
    while (q && n < 256 && store_step(q) == 1)
        snprintf(ids[n++], sizeof ids[0], "%s", store_text(q, 0));
    store_done(q);
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&mu);
        int busy = is_claimed(ids[i]);
        pthread_mutex_unlock(&mu);
        if (busy)
            continue;
        char dir[700], detail[256] = "";
        run_dir_of(ids[i], dir, sizeof dir);
        enum hv_state st = hv_driver()->status(dir, detail, sizeof detail);
        if (st == HV_RUNNING || st == HV_PAUSED || st == HV_UNKNOWN)
            continue;
        char why[400];
        snprintf(why, sizeof why, "%s (%s)", st == HV_ERROR ? "the virtual machine failed" : "the guest stopped",
                 detail[0] ? detail : hv_state_name(st));
        log_warn("instance %s: %s", ids[i], why);
        struct inst in;
        if (load(s, ids[i], &in) == 0)
            release(s, &in);
        instance_set_state(s, ids[i], INSTANCE_RUNNING, INSTANCE_STOPPED, NULL, why);
    }
}

static void *dispatcher_main(void *arg)
{
    (void)arg;
    struct store *s = store_thread();
    int64_t last_liveness = 0;
    pthread_mutex_lock(&mu);
    while (running) {
        pthread_mutex_unlock(&mu);
        if (s) {
            char nerr[256];
            booting_refresh();
            dispatch(s); /* first: a boot's disk is made while the network is applied (its own apply waits) */
            net_apply(s, 0, nerr, sizeof nerr); /* security group and address changes made through the API */
            if (time_now_ms() - last_liveness > LIVENESS_MS) {
                check_liveness(s);
                last_liveness = time_now_ms();
            }
        }
        pthread_mutex_lock(&mu);
        if (!kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 250 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&kick_cv, &mu, &ts);
        }
        kicked = 0;
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* Makes what runs agree with the store before any new work: dead guests marked, orphans removed. */
static void reconcile(struct store *s)
{
    struct store_stmt *q = store_query(
        s, "SELECT instance_id, state FROM instances WHERE host_id = ? AND state != '" INSTANCE_TERMINATED "'", "s",
        compute_env.host_id);
    char ids[1024][24], states[1024][24];
    int n = 0;
    while (q && n < 1024 && store_step(q) == 1) {
        snprintf(ids[n], sizeof ids[0], "%s", store_text(q, 0));
        snprintf(states[n], sizeof states[0], "%s", store_text(q, 1));
        n++;
    }
    store_done(q);
    for (int i = 0; i < n; i++) {
        struct inst in;
        if (load(s, ids[i], &in) != 0)
            continue;
        enum hv_state st = hv_driver()->status(in.run_dir, NULL, 0);
        int alive = st == HV_RUNNING || st == HV_PAUSED || st == HV_UNKNOWN;
        if (!strcmp(states[i], INSTANCE_RUNNING)) {
            if (!alive) {
                release(s, &in);
                instance_set_state(s, in.id, INSTANCE_RUNNING, INSTANCE_STOPPED, NULL,
                                   "the virtual machine was not running when yund started");
                log_warn("instance %s: found stopped at start; marked STOPPED", in.id);
            }
        } else if ((!strcmp(states[i], INSTANCE_STOPPED) || !strcmp(states[i], INSTANCE_LAUNCH_FAILED)) && alive) {
            hv_driver()->stop(in.run_dir, HV_STOP_HARD, 0, NULL, 0);
            release(s, &in);
            log_warn("instance %s: was %s but its QEMU ran; stopped it", in.id, states[i]);
        }
    }
    /* QEMUs (and directories) with no live instance record */
    char root[700];
    snprintf(root, sizeof root, "%s/instances", compute_env.data_dir);
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "ins-", 4) != 0)
            continue;
        struct store_stmt *c = store_query(s, "SELECT state FROM instances WHERE instance_id = ?", "s", e->d_name);
        int rc = c ? store_step(c) : -1;
        int gone = rc == 0 || (rc == 1 && !strcmp(store_text(c, 0), INSTANCE_TERMINATED));
        store_done(c);
        if (!gone)
            continue;
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        if (hv_driver()->status(dir, NULL, 0) == HV_RUNNING)
            log_warn("orphan QEMU for %s (no live instance record): stopping it", e->d_name);
        hv_driver()->destroy(dir, NULL, 0);
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (d)
        closedir(d);
}

int controller_start(struct store *s)
{
    host_net_uplink(uplink, sizeof uplink);
    char err[256];
    /* running guests keep their network: the plan re-asserts what exists and removes what is stale */
    if (net_apply(s, 1, err, sizeof err) != 0)
        log_warn("host network not applied at start: %s", err);
    reconcile(s);
    char pool[700];
    snprintf(pool, sizeof pool, "%s/instances/.pool", compute_env.data_dir);
    if (disk_pool_init(pool, err, sizeof err) != 0)
        log_warn("%s (system disks are made at each boot)", err);
    running = 1;
    pthread_create(&dispatcher, NULL, dispatcher_main, NULL);
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, worker_main, NULL);
    return 0;
}

void controller_stop(void)
{
    pthread_mutex_lock(&mu);
    if (!running) {
        pthread_mutex_unlock(&mu);
        return;
    }
    running = 0;
    pthread_cond_broadcast(&work_cv);
    pthread_cond_broadcast(&kick_cv);
    pthread_mutex_unlock(&mu);
    pthread_join(dispatcher, NULL);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    disk_pool_stop();
}
