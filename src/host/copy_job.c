/*
 * copy_job: a host's slow disk copies (a snapshot of a cloud disk, a disk restored from a snapshot) run on a thread
 * each, so the realiser's pass goes on acting on the host's instances and other disks while one copies gigabytes:
 * the pass starts a copy, reports the disk or snapshot BUSY while it runs, and finds the file under its final name
 * once it is whole (written as NAME.tmp, renamed). A failed copy is reported once, then forgotten (the control plane
 * moves the record on, or the next document asks again). Everything goes through the hypervisor driver.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "host/copy_job.h"
#include "host/hypervisor.h"

#define MAX_JOBS 8

static struct slot {
    int used, running;
    struct copy_job job;
    void (*done)(void);
    char err[512];
} slots[MAX_JOBS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int run(const struct copy_job *j, char *err, size_t errlen)
{
    char tmp[820];
    snprintf(tmp, sizeof tmp, "%s.tmp", j->final);
    unlink(tmp);
    const struct hypervisor_ops *hv = hv_driver();
    int rc = j->kind == COPY_BACKUP ? hv_backup_copy(j->run_dir, j->disk_id, tmp, j->bytes, j->job_id, err, errlen)
             : hv->copy_disk(j->from, tmp, err, errlen) == HV_OK ? 0
                                                                 : -1;
    if (rc == 0 && j->kind == COPY_RESTORE && hv->resize_disk_file(tmp, j->bytes, err, errlen) != HV_OK)
        rc = -1;
    if (rc == 0 && rename(tmp, j->final) != 0) {
        snprintf(err, errlen, "cannot rename %.300s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        unlink(tmp);
        if (!err[0])
            snprintf(err, errlen, "the copy to %.300s failed", j->final);
    }
    return rc;
}

static void *job_main(void *arg)
{
    struct slot *sl = arg;
    char err[512] = "";
    int rc = run(&sl->job, err, sizeof err);
    fprintf(stderr, "yun host: %s: %s%s\n", sl->job.final, rc == 0 ? "copied" : "the copy failed: ", rc ? err : "");
    pthread_mutex_lock(&mu);
    void (*done)(void) = sl->done;
    sl->running = 0;
    if (rc == 0)
        sl->used = 0; /* the file says it is done */
    else
        snprintf(sl->err, sizeof sl->err, "%s", err);
    pthread_mutex_unlock(&mu);
    if (done)
        done();
    return NULL;
}

static struct slot *find(const char *final)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (slots[i].used && !strcmp(slots[i].job.final, final))
            return &slots[i];
    return NULL;
}

enum copy_state copy_job_state(const char *final, char *err, size_t errlen)
{
    pthread_mutex_lock(&mu);
    struct slot *sl = find(final);
    enum copy_state st = !sl ? COPY_NONE : sl->running ? COPY_RUNNING : COPY_FAILED;
    if (st == COPY_FAILED) {
        snprintf(err, errlen, "%s", sl->err);
        sl->used = 0;
    }
    pthread_mutex_unlock(&mu);
    return st;
}

int copy_job_start(const struct copy_job *j, void (*done)(void), char *err, size_t errlen)
{
    pthread_mutex_lock(&mu);
    struct slot *sl = find(j->final);
    for (int i = 0; !sl && i < MAX_JOBS; i++)
        if (!slots[i].used)
            sl = &slots[i];
    if (!sl || sl->used) {
        pthread_mutex_unlock(&mu);
        if (sl)
            snprintf(err, errlen, "a copy to %.300s is under way", j->final);
        else
            snprintf(err, errlen, "%d copies are under way: the host is busy", MAX_JOBS);
        return -1;
    }
    *sl = (struct slot){.used = 1, .running = 1, .job = *j, .done = done};
    int rc = thread_detached(job_main, sl);
    if (rc != 0)
        sl->used = 0;
    pthread_mutex_unlock(&mu);
    if (rc != 0)
        snprintf(err, errlen, "cannot start a copy thread: %s", strerror(rc));
    return rc == 0 ? 0 : -1;
}

int copy_job_writes(const char *path)
{
    size_t n = strlen(path);
    if (n < 5 || strcmp(path + n - 4, ".tmp") != 0)
        return 0;
    pthread_mutex_lock(&mu);
    int busy = 0;
    for (int i = 0; i < MAX_JOBS && !busy; i++)
        busy = slots[i].used && slots[i].running && strlen(slots[i].job.final) == n - 4 &&
               !strncmp(slots[i].job.final, path, n - 4);
    pthread_mutex_unlock(&mu);
    return busy;
}

int copy_job_backs_up(const char *disk_id)
{
    pthread_mutex_lock(&mu);
    int busy = 0;
    for (int i = 0; i < MAX_JOBS && !busy; i++)
        busy = slots[i].used && slots[i].running && slots[i].job.kind == COPY_BACKUP &&
               !strcmp(slots[i].job.disk_id, disk_id);
    pthread_mutex_unlock(&mu);
    return busy;
}
