/*
 * controller: one thread on the business clock. Each pass settles every hour that has ended
 * since the last settled one (oldest first), and after each hour and at the current time moves
 * prepaid resources (expiry, auto-renewal, release) and accounts (arrears) along; then it records
 * the time it has processed, which `yun admin clock --advance` waits for.
 *
 * The clock's offset lives in billing_state ("clock_offset"), so an operator's advance reaches
 * the running daemon (read on every pass) and survives restarts; only a daemon started with
 * --test-clock ("test_clock" = 1) accepts one.
 *
 * Every yund runs this thread, but only the holder of the lease "billing" (store/lease.c: a
 * PostgreSQL advisory lock; on SQLite the host-role process) makes passes, so settlement, expiry,
 * arrears and the registered jobs run once at a time across processes; the others poll for the
 * lease and keep their clock's offset fresh for the API requests they answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "billing/billing_int.h"
#include "store/lease.h"

static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int running, kicked;
static struct lease *lease; /* "billing": this process makes passes only while it holds it */

int billing_state_get(struct store *s, const char *name, int64_t *v)
{
    struct store_stmt *q = store_query(s, "SELECT value FROM billing_state WHERE name = ?", "s", name);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == STORE_FOUND)
        *v = store_int(q, 0);
    store_done(q);
    return rc;
}

int billing_state_set(struct store *s, const char *name, int64_t v)
{
    return store_exec(s,
                      "INSERT INTO billing_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value ="
                      " excluded.value",
                      "si", name, v) < 0
               ? -1
               : 0;
}

int64_t billing_now(struct store *s)
{
    int64_t off = 0, test = 0;
    if (billing_state_get(s, "test_clock", &test) == STORE_FOUND && test)
        billing_state_get(s, "clock_offset", &off);
    return time_now() + off;
}

void billing_kick(void)
{
    pthread_mutex_lock(&mu);
    kicked = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static void refresh_clock(struct store *s)
{
    int64_t off = 0;
    if (clock_is_test() && billing_state_get(s, "clock_offset", &off) == STORE_FOUND)
        clock_set_offset(off);
}

static int (*jobs[8])(struct store *s, int64_t t);
static int njobs;

void billing_register_job(int (*job)(struct store *s, int64_t t))
{
    for (int i = 0; i < njobs; i++)
        if (jobs[i] == job)
            return;
    if (njobs < (int)(sizeof jobs / sizeof jobs[0]))
        jobs[njobs++] = job;
}

static void run_jobs(struct store *s, int64_t t)
{
    for (int i = 0; i < njobs; i++)
        if (jobs[i](s, t) != 0)
            log_warn("billing: a job at %lld did not complete (%s); it is retried", (long long)t, store_errmsg(s));
}

static int pass(struct store *s)
{
    refresh_clock(s);
    int64_t now = clock_now(), through;
    int rc = billing_state_get(s, "settled_through", &through);
    if (rc < 0)
        return -1;
    if (rc == STORE_NOT_FOUND) { /* a new cloud: nothing ran before this hour */
        through = now / 3600 * 3600;
        if (billing_state_set(s, "settled_through", through) != 0)
            return -1;
    }
    while (through + 3600 <= now && running) {
        if (!lease_hold(lease)) /* lost between two hours: the new holder goes on from settled_through */
            return 0;
        if (settle_hour(s, through) != 0)
            return -1;
        int64_t end = through + 3600;
        prepaid_pass(s, end);
        arrears_pass(s, end);
        run_jobs(s, end);
        if (billing_state_set(s, "settled_through", end) != 0)
            return -1;
        through = end;
    }
    prepaid_pass(s, now);
    arrears_pass(s, now);
    run_jobs(s, now);
    /* what `yun admin clock --advance` waits for; a wall-clock cloud has no one waiting (and no
     * fsync every pass) */
    return clock_is_test() ? billing_state_set(s, "processed", now) : 0;
}

static void *main_loop(void *arg)
{
    (void)arg;
    struct store *s = store_thread();
    while (s) {
        int lead = lease_hold(lease);
        if (lead && pass(s) != 0)
            log_warn("billing: a pass did not complete (%s); it is retried", store_errmsg(s));
        else if (!lead)
            refresh_clock(s); /* the leader moves the test clock; this process's requests read it too */
        pthread_mutex_lock(&mu);
        if (!running) {
            pthread_mutex_unlock(&mu);
            break;
        }
        if (!kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            /* an advance of the test clock is seen within 250 ms; on wall time a pass every 5 s
             * moves arrears and expiry along soon enough (settlement waits for the hour anyway) */
            if (clock_is_test() || !lead) { /* a follower polls for the lease about every 250 ms */
                ts.tv_nsec += 250 * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
            } else {
                ts.tv_sec += 5;
            }
            pthread_cond_timedwait(&cv, &mu, &ts);
        }
        kicked = 0;
        int stop = !running;
        pthread_mutex_unlock(&mu);
        if (stop)
            break;
    }
    return NULL;
}

int billing_start(const struct config *cfg, int test_clock, char *err, size_t errlen)
{
    arrears_grace_s = cfg->arrears_grace_s;
    arrears_retention_s = cfg->arrears_retention_s;
    struct store *s = store_thread();
    /* The business clock is the region's: a process may not start on another clock than the running ones'
     * (one with --test-clock beside wall-time ones would move, or stop, everybody's). With nobody else
     * running, this start decides. */
    int64_t region_test = 0;
    int peers = s ? lease_peers(s) : -1;
    if (s && peers > 0 && billing_state_get(s, "test_clock", &region_test) == STORE_FOUND &&
        !region_test != !test_clock) {
        snprintf(err, errlen,
                 "billing: the region's other %d yund process%s run%s %s --test-clock: start this one the same way",
                 peers, peers == 1 ? "" : "es", peers == 1 ? "s" : "", region_test ? "with" : "without");
        return -1;
    }
    if (!s || billing_state_set(s, "test_clock", test_clock ? 1 : 0) != 0) {
        snprintf(err, errlen, "billing: %s", s ? store_errmsg(s) : "no store");
        return -1;
    }
    clock_set_test(test_clock);
    refresh_clock(s);
    lease = lease_open("billing", !cfg->no_host);
    running = 1;
    if (pthread_create(&thread, NULL, main_loop, NULL) != 0) {
        running = 0;
        snprintf(err, errlen, "billing: cannot start the controller");
        return -1;
    }
    return 0;
}

void billing_stop(void)
{
    pthread_mutex_lock(&mu);
    int was = running;
    running = 0;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (was)
        pthread_join(thread, NULL);
    lease_close(lease);
    lease = NULL;
}

int billing_clock_advance(struct store *s, const char *data_dir, int64_t seconds, int64_t *now, char *err,
                          size_t errlen)
{
    int64_t test = 0, off = 0;
    if (!strcmp(store_backend(s), "postgres")) { /* the clock moves when a billing leader runs, in any process */
        if (lease_probe(s, "billing") != 1) {
            snprintf(err, errlen,
                     "no yund holds the billing lease on this store: the clock belongs to a running daemon");
            return -1;
        }
    } else {
        char lock[1100];
        snprintf(lock, sizeof lock, "%s/yund.lock", data_dir);
        int fd = open(lock, O_RDWR | O_CLOEXEC);
        int free_lock = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0; /* nobody holds it: no yund runs here */
        if (fd >= 0)
            close(fd);
        if (fd < 0 || free_lock) {
            snprintf(err, errlen, "no yund is running on %s: the clock belongs to a running daemon", data_dir);
            return -1;
        }
    }
    if (billing_state_get(s, "test_clock", &test) < 0 || !test) {
        snprintf(err, errlen, "the clock of this cloud is wall time: start yund with `yun up --test-clock` to move it");
        return -1;
    }
    if (store_begin(s) != STORE_OK || billing_state_get(s, "clock_offset", &off) < 0 ||
        billing_state_set(s, "clock_offset", off + seconds) != 0 || store_commit(s) != STORE_OK) {
        store_rollback(s);
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    int64_t target = time_now() + off + seconds, processed = 0;
    for (int i = 0; i < 6000; i++) { /* 10 minutes: settling many days of a big cloud takes a while */
        if (billing_state_get(s, "processed", &processed) == STORE_FOUND && processed >= target) {
            *now = processed;
            return 0;
        }
        usleep(100 * 1000);
    }
    snprintf(err, errlen,
             "the clock moved to %lld but the daemon has not caught up yet; `yun admin clock --data %s` shows "
             "its progress",
             (long long)target, data_dir);
    return -1;
}
