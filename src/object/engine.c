/*
 * engine: object bytes on disk, their durable hand-over to the metadata store, start-up recovery,
 * and the background thread that unlinks unreferenced files and flushes the meters. See engine.h
 * for the write protocol; the obj_* tables are created by meta.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "meter/meter.h"
#include "object/engine.h"
#include "store/lease.h"

static char root_dir[600];
static int tmp_dirfd = -1;
static pthread_t bg_thread;
static int bg_running;
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;

static void tmp_path(const char *id, char *out, size_t len) { snprintf(out, len, "%s/tmp/%.40s", root_dir, id); }
static void data_path(const char *id, char *out, size_t len)
{
    snprintf(out, len, "%s/data/%.2s/%.40s", root_dir, id, id);
}

int engine_tmp_create(struct engine_file *f)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[ENGINE_ID_LEN / 2];
    if (random_bytes(raw, sizeof raw) != 0)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++) {
        f->id[2 * i] = hex[raw[i] >> 4];
        f->id[2 * i + 1] = hex[raw[i] & 15];
    }
    f->id[ENGINE_ID_LEN] = 0;
    f->fd = openat(tmp_dirfd, f->id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    return f->fd < 0 ? -1 : 0;
}

int engine_tmp_write(struct engine_file *f, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(f->fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int engine_tmp_sync(struct engine_file *f)
{
    int rc = fsync(f->fd);
    if (close(f->fd) != 0)
        rc = -1;
    f->fd = -1;
    if (rc == 0)
        rc = fsync(tmp_dirfd);
    return rc;
}

void engine_tmp_discard(struct engine_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->id[0])
        unlinkat(tmp_dirfd, f->id, 0);
    f->id[0] = 0;
}

void engine_publish(const char *id)
{
    char from[700], to[700];
    tmp_path(id, from, sizeof from);
    data_path(id, to, sizeof to);
    if (rename(from, to) != 0 && errno == ENOENT) {
        /* the shard directory is created lazily */
        char dir[700];
        snprintf(dir, sizeof dir, "%s/data/%.2s", root_dir, id);
        mkdir(dir, 0700);
        if (rename(from, to) != 0)
            log_warn("object file %s stays in tmp/: %s (moved at next start)", id, strerror(errno));
    }
}

int engine_open(const char *id)
{
    char p[700];
    data_path(id, p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        tmp_path(id, p, sizeof p);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            data_path(id, p, sizeof p); /* published in between */
            fd = open(p, O_RDONLY | O_CLOEXEC);
        }
    }
    return fd;
}

int engine_copy_range(struct engine_file *f, const char *src_id, uint64_t offset, uint64_t len)
{
    int in = engine_open(src_id);
    if (in < 0)
        return -1;
    loff_t off = (loff_t)offset;
    int rc = 0;
    while (len) {
        size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
        ssize_t n = copy_file_range(in, &off, f->fd, NULL, want, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
            char buf[1 << 16];
            n = pread(in, buf, want < sizeof buf ? want : sizeof buf, off);
            if (n > 0 && engine_tmp_write(f, buf, (size_t)n) != 0)
                n = -1;
            if (n > 0)
                off += n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = -1;
            if (n == 0)
                errno = EIO; /* source shorter than its metadata says */
            break;
        }
        len -= (uint64_t)n;
    }
    close(in);
    return rc;
}

int engine_garbage(struct store *s, const char *id)
{
    return store_exec(s, "INSERT INTO obj_garbage (file) VALUES (?) ON CONFLICT (file) DO NOTHING", "s", id) < 0 ? -1
                                                                                                                 : 0;
}

/* ---- metering ---- */

#define METER_SLOTS 512
struct meter_slot {
    char bucket[64];
    uint64_t req[METER_KINDS], in, out;
};
static struct meter_slot meters[METER_SLOTS];
static pthread_mutex_t meter_lock = PTHREAD_MUTEX_INITIALIZER;

void engine_meter(const char *bucket, enum meter_kind kind, uint64_t bytes_in, uint64_t bytes_out)
{
    if (!bucket || !bucket[0])
        return; /* usage is per bucket */
    uint32_t h = hash_fnv1a(bucket);
    pthread_mutex_lock(&meter_lock);
    for (int i = 0; i < METER_SLOTS; i++) {
        struct meter_slot *m = &meters[(h + (uint32_t)i) % METER_SLOTS];
        if (!m->bucket[0])
            snprintf(m->bucket, sizeof m->bucket, "%s", bucket);
        if (strcmp(m->bucket, bucket) == 0) {
            m->req[kind]++;
            m->in += bytes_in;
            m->out += bytes_out;
            break;
        }
    } /* table full until the next flush: the request goes uncounted rather than blocking */
    pthread_mutex_unlock(&meter_lock);
}

/* The bucket's billable counts of one flush, for billing's meter. */
static int meter_bucket_counts(struct store *s, const struct meter_slot *m, int64_t t)
{
    struct store_stmt *q = store_query(s, "SELECT owner_uin, region FROM obj_buckets WHERE name = ?", "s", m->bucket);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc != STORE_FOUND) {
        store_done(q);
        return rc < 0 ? -1 : 0; /* deleted meanwhile: nothing to bill it to */
    }
    char owner[24], region[64];
    snprintf(owner, sizeof owner, "%s", store_text(q, 0));
    snprintf(region, sizeof region, "%s", store_text(q, 1));
    store_done(q);
    struct meter_use u = {
        owner, m->bucket, m->bucket, "cos", "v_cos_requests",
        "*",   region,    "",        NULL,  (int64_t)(m->req[METER_GET] + m->req[METER_PUT] + m->req[METER_OTHER]),
        0};
    if (meter_count(s, &u, t) != 0)
        return -1;
    u.component = "v_cos_egress";
    u.quantity = (int64_t)m->out;
    return meter_count(s, &u, t);
}

/* Every bucket's stored bytes: meter_set changes nothing for a bucket whose size did not change. */
static int meter_storage(struct store *s, int64_t t)
{
    struct store_stmt *q = store_query(s, "SELECT name, owner_uin, region, bytes FROM obj_buckets", "");
    if (!q)
        return -1;
    struct row {
        char name[64], owner[24], region[64];
        int64_t bytes;
    } *rows = NULL;
    int n = 0, cap = 0, rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct row *nr = realloc(rows, (size_t)cap * sizeof *rows);
            if (!nr)
                break;
            rows = nr;
        }
        snprintf(rows[n].name, sizeof rows[n].name, "%s", store_text(q, 0));
        snprintf(rows[n].owner, sizeof rows[n].owner, "%s", store_text(q, 1));
        snprintf(rows[n].region, sizeof rows[n].region, "%s", store_text(q, 2));
        rows[n++].bytes = store_int(q, 3);
    }
    store_done(q);
    int out = rc < 0 ? -1 : 0;
    for (int i = 0; out == 0 && i < n; i++) {
        struct meter_use u = {rows[i].owner,
                              rows[i].name,
                              rows[i].name,
                              "cos",
                              "v_cos_storage",
                              "*",
                              rows[i].region,
                              "",
                              NULL,
                              rows[i].bytes,
                              0};
        out = meter_set(s, &u, t);
    }
    free(rows);
    return out;
}

void engine_meter_flush(void)
{
    static struct meter_slot snap[METER_SLOTS];
    pthread_mutex_lock(&meter_lock);
    memcpy(snap, meters, sizeof meters);
    memset(meters, 0, sizeof meters);
    pthread_mutex_unlock(&meter_lock);
    struct store *s = store_thread();
    if (!s)
        return;
    char day[16];
    time_date(time_now(), day);
    int any = 0;
    for (int i = 0; i < METER_SLOTS; i++)
        if (snap[i].bucket[0]) {
            if (!any && store_begin(s) != STORE_OK)
                return;
            any = 1;
            store_exec(
                s,
                "INSERT INTO obj_usage (bucket, day, get_requests, put_requests, other_requests, bytes_in, bytes_out,"
                " refused_requests) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bucket, day) DO UPDATE SET"
                " get_requests = obj_usage.get_requests + excluded.get_requests,"
                " put_requests = obj_usage.put_requests + excluded.put_requests,"
                " other_requests = obj_usage.other_requests + excluded.other_requests,"
                " bytes_in = obj_usage.bytes_in + excluded.bytes_in, bytes_out = obj_usage.bytes_out + "
                "excluded.bytes_out,"
                " refused_requests = obj_usage.refused_requests + excluded.refused_requests",
                "ssiiiiii", snap[i].bucket, day, (int64_t)snap[i].req[METER_GET], (int64_t)snap[i].req[METER_PUT],
                (int64_t)snap[i].req[METER_OTHER], (int64_t)snap[i].in, (int64_t)snap[i].out,
                (int64_t)snap[i].req[METER_REFUSED]);
        }
    /* what billing sees: each bucket's requests and bytes sent in the hour, and what it stores
     * (sampled at every flush: a change is metered from the flush after it) */
    if (!any && store_begin(s) != STORE_OK)
        return;
    int64_t t = clock_now();
    for (int i = 0; i < METER_SLOTS; i++)
        if (snap[i].bucket[0] && meter_bucket_counts(s, &snap[i], t) != 0)
            log_warn("object meters: billing counts of %s: %s", snap[i].bucket, store_errmsg(s));
    if (meter_storage(s, t) != 0)
        log_warn("object meters: storage: %s", store_errmsg(s));
    if (store_commit(s) != STORE_OK) {
        log_warn("object meters: flush failed: %s", store_errmsg(s));
        store_rollback(s);
    }
}

/* ---- garbage collection and recovery ---- */

static void unlink_file(const char *id)
{
    char p[700];
    data_path(id, p, sizeof p);
    if (unlink(p) != 0 && errno == ENOENT) {
        tmp_path(id, p, sizeof p);
        unlink(p);
    }
    engine_forget(id); /* after the unlink: see filecache.c */
}

static int referenced(struct store *s, const char *id);

static int collect_garbage(struct store *s)
{
    char ids[256][ENGINE_ID_LEN + 8];
    int n = 0;
    struct store_stmt *q = store_query(s, "SELECT file FROM obj_garbage LIMIT 256", "");
    if (!q)
        return -1;
    while (n < 256 && store_step(q) == 1)
        snprintf(ids[n++], sizeof ids[0], "%s", store_text(q, 0));
    store_done(q);
    /* a file still named by a version (or part) stays: only unreferenced bytes are freed */
    for (int i = 0; i < n; i++)
        if (referenced(s, ids[i]) == 0)
            unlink_file(ids[i]);
    if (n && store_begin(s) == STORE_OK) {
        for (int i = 0; i < n; i++)
            store_exec(s, "DELETE FROM obj_garbage WHERE file = ?", "s", ids[i]);
        store_commit(s);
    }
    return n;
}

static int referenced(struct store *s, const char *id)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT 1 FROM obj_objects WHERE file = ? UNION ALL"
                                       " SELECT 1 FROM obj_versions WHERE file = ? UNION ALL"
                                       " SELECT 1 FROM obj_parts WHERE file = ? LIMIT 1",
                                       "sss", id, id, id);
    if (!q)
        return -1;
    int rc = store_step(q);
    store_done(q);
    return rc;
}

/* Every file in tmp/ is an upload cut short (delete) or a committed file not yet moved (move). */
/* A partial upload younger than this is kept at start while other processes share the store. */
#define PEER_UPLOAD_S 86400

static int recover_tmp(struct store *s, char *err, size_t errlen)
{
    /* other yund processes on this store (PostgreSQL) may be writing their uploads here right now */
    int peers = lease_peers(s) > 0, kept = 0;
    DIR *d = fdopendir(dup(tmp_dirfd));
    if (!d) {
        snprintf(err, errlen, "%s/tmp: %s", root_dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int moved = 0, dropped = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        int r = strlen(e->d_name) == ENGINE_ID_LEN ? referenced(s, e->d_name) : 0;
        if (r < 0) {
            snprintf(err, errlen, "recovery: %s", store_errmsg(s));
            closedir(d);
            return -1;
        }
        struct stat st;
        if (r) {
            engine_publish(e->d_name);
            moved++;
        } else if (peers && fstatat(tmp_dirfd, e->d_name, &st, 0) == 0 && st.st_mtime > time(NULL) - PEER_UPLOAD_S) {
            kept++;
        } else {
            unlinkat(tmp_dirfd, e->d_name, 0);
            dropped++;
        }
    }
    closedir(d);
    fsync(tmp_dirfd);
    if (moved || dropped || kept)
        log_info("object store recovery: %d committed file(s) moved, %d partial upload(s) removed, %d of other "
                 "processes kept",
                 moved, dropped, kept);
    return 0;
}

static void *background(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&bg_lock);
    while (bg_running) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        pthread_cond_timedwait(&bg_cond, &bg_lock, &ts);
        pthread_mutex_unlock(&bg_lock);
        struct store *s = store_thread();
        if (s)
            while (collect_garbage(s) == 256)
                ;
        engine_meter_flush();
        pthread_mutex_lock(&bg_lock);
    }
    pthread_mutex_unlock(&bg_lock);
    return NULL;
}

int engine_start(const char *data_dir, struct store *s, char *err, size_t errlen)
{
    snprintf(root_dir, sizeof root_dir, "%s/objects", data_dir);
    char p[700];
    snprintf(p, sizeof p, "%s/tmp", root_dir);
    if (mkdir_p(p, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
        return -1;
    }
    snprintf(p, sizeof p, "%s/data", root_dir);
    if (mkdir_p(p, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
        return -1;
    }
    snprintf(p, sizeof p, "%s/tmp", root_dir);
    tmp_dirfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tmp_dirfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", p, strerror(errno));
        return -1;
    }
    if (recover_tmp(s, err, errlen) != 0)
        return -1;
    while (collect_garbage(s) == 256)
        ;
    bg_running = 1;
    if (pthread_create(&bg_thread, NULL, background, NULL) != 0) {
        bg_running = 0;
        snprintf(err, errlen, "cannot start the object store's background thread");
        return -1;
    }
    return 0;
}

void engine_stop(void)
{
    if (bg_running) {
        pthread_mutex_lock(&bg_lock);
        bg_running = 0;
        pthread_cond_signal(&bg_cond);
        pthread_mutex_unlock(&bg_lock);
        pthread_join(bg_thread, NULL);
    }
    filecache_stop();
    if (tmp_dirfd >= 0)
        close(tmp_dirfd);
    tmp_dirfd = -1;
}
