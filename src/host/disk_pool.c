/*
 * disk_pool (disk_pool.h): DIR/KEY.qcow2 is a ready overlay, DIR/KEY.tmp one being made (a crash's
 * leftover is removed by the next init). KEY is a hash of the base's path, device, inode, size and
 * modification time and the overlay's size: an overlay names its base by path only, so a base file
 * replaced or rewritten is a new key, and an overlay is never handed out over content it was not made
 * on. One thread makes what takes asked for, one key at a time; the pool keeps at most POOL_MAX
 * overlays, the least recently made going first (images come and go).
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "host/disk_pool.h"
#include "host/hypervisor.h"

#define POOL_MAX     8
#define POOL_PENDING 8

struct want {
    char base[600];
    long long size;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static int running;
static char pool_dir[600];
static struct want pending[POOL_PENDING]; /* under mu */
static int npending;

/* The key of (base as it is now, size): 0, or -1 (errno) when the base cannot be read. */
static int key_of(const char *base, long long size, char key[33])
{
    struct stat st;
    if (stat(base, &st) != 0)
        return -1;
    char text[800];
    int n = snprintf(text, sizeof text, "%s\n%llu:%llu:%lld:%lld.%09ld:%lld", base, (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec, size);
    uint8_t h[32];
    sha256(text, (size_t)n, h);
    hex_encode(h, 16, key);
    return 0;
}

static void pool_path(const char *key, const char *ext, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.%s", pool_dir, key, ext);
}

/* Removes DIR's files: all (keep < 0), or the oldest *.qcow2 beyond keep. */
static void prune(int keep)
{
    DIR *d = opendir(pool_dir);
    if (!d)
        return;
    struct {
        char name[64];
        long long mtime;
    } files[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof files[0].name)
            continue;
        char path[800];
        snprintf(path, sizeof path, "%s/%.63s", pool_dir, e->d_name);
        struct stat st;
        if (keep < 0 || n == 64 || !strstr(e->d_name, ".qcow2") || stat(path, &st) != 0) {
            if (keep < 0 || !strstr(e->d_name, ".tmp"))
                unlink(path);
            continue;
        }
        snprintf(files[n].name, sizeof files[n].name, "%.63s", e->d_name); /* shorter: checked above */
        files[n++].mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    }
    closedir(d);
    while (keep >= 0 && n > keep) {
        int oldest = 0;
        for (int i = 1; i < n; i++)
            if (files[i].mtime < files[oldest].mtime)
                oldest = i;
        char path[800];
        snprintf(path, sizeof path, "%s/%.63s", pool_dir, files[oldest].name);
        unlink(path);
        files[oldest] = files[--n];
    }
}

/* Makes the overlay of one want unless the pool has it (its key as the base is now). */
static void make(const struct want *w)
{
    char key[33], tmp[700], ready[700], err[256];
    if (key_of(w->base, w->size, key) != 0)
        return;
    pool_path(key, "qcow2", ready, sizeof ready);
    pool_path(key, "tmp", tmp, sizeof tmp);
    if (access(ready, F_OK) == 0)
        return;
    unlink(tmp);
    if (hv_driver()->create_disk(w->base, tmp, w->size, err, sizeof err) != HV_OK || rename(tmp, ready) != 0) {
        log_warn("disk pool: cannot make an overlay of %s: %s", w->base, err);
        unlink(tmp);
        return;
    }
    prune(POOL_MAX);
}

static void *loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (running || npending) {
        if (!npending) {
            pthread_cond_wait(&cv, &mu);
            continue;
        }
        struct want w = pending[--npending];
        pthread_mutex_unlock(&mu);
        if (running)
            make(&w);
        pthread_mutex_lock(&mu);
        if (!running)
            npending = 0;
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int disk_pool_init(const char *dir, char *err, size_t errlen)
{
    if (strlen(dir) >= sizeof pool_dir - 80 || mkdir_p(dir, 0700) != 0) {
        snprintf(err, errlen, "disk pool: cannot make %.400s", dir);
        return -1;
    }
    pthread_mutex_lock(&mu);
    int was = running;
    pthread_mutex_unlock(&mu);
    if (was)
        disk_pool_stop();
    snprintf(pool_dir, sizeof pool_dir, "%s", dir);
    prune(-1);
    running = 1;
    npending = 0;
    if (pthread_create(&thread, NULL, loop, NULL) != 0) {
        running = 0;
        snprintf(err, errlen, "disk pool: cannot start its thread");
        return -1;
    }
    return 0;
}

int disk_pool_take(const char *base, long long size_bytes, const char *dest, char *err, size_t errlen)
{
    pthread_mutex_lock(&mu);
    int on = running;
    pthread_mutex_unlock(&mu);
    char key[33], ready[700];
    int taken = 0;
    if (on && key_of(base, size_bytes, key) == 0) {
        pool_path(key, "qcow2", ready, sizeof ready);
        taken = rename(ready, dest) == 0;
    }
    if (!taken && hv_driver()->create_disk(base, dest, size_bytes, err, errlen) != HV_OK)
        return -1;
    pthread_mutex_lock(&mu);
    int dup = 0;
    for (int i = 0; i < npending; i++)
        dup |= !strcmp(pending[i].base, base) && pending[i].size == size_bytes;
    if (running && !dup && npending < POOL_PENDING && strlen(base) < sizeof pending[0].base) {
        snprintf(pending[npending].base, sizeof pending[0].base, "%s", base);
        pending[npending++].size = size_bytes;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
    return taken;
}

void disk_pool_stop(void)
{
    pthread_mutex_lock(&mu);
    int was = running;
    running = 0;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (was)
        pthread_join(thread, NULL);
}
