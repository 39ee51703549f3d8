/*
 * engine: the durable hand-over of object bytes to the metadata store, start-up recovery, and the
 * background thread that removes unreferenced files and flushes the meters. The bytes themselves
 * are the backend's (backend.h; config object.backend), reached only through its table here. See
 * engine.h for the write protocol; the obj_* tables are created by meta.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "meter/meter.h"
#include "object/backend.h"
#include "object/engine.h"
#include "store/lease.h"

/* the backend config object.backend selects; the file backend until engine_start (sse.c's unit test
 * reads through it without a start) */
static const struct object_backend *backend = &object_backend_file;
static const struct object_backend *const backends[] = {&object_backend_file};
static pthread_t bg_thread;
static int bg_running;
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;

const struct object_backend *object_backend_find(const char *name, char *err, size_t errlen)
{
    char names[128] = "";
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s\"%s\"", i ? ", " : "", backends[i]->name);
    }
    snprintf(err, errlen, "config: object.backend \"%s\" is not supported (supported: %s)", name, names);
    return NULL;
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
    f->handle = backend->create(f->id);
    return f->handle < 0 ? -1 : 0;
}

int engine_tmp_write(struct engine_file *f, const void *p, size_t n) { return backend->write(f->handle, p, n); }

int engine_tmp_sync(struct engine_file *f)
{
    int rc = backend->sync(f->handle);
    f->handle = -1;
    return rc;
}

void engine_tmp_discard(struct engine_file *f)
{
    backend->discard(f->handle, f->id);
    f->handle = -1;
    f->id[0] = 0;
}

void engine_publish(const char *id)
{
    if (backend->publish(id) != 0)
        log_warn("object file %s stays pending: %s (published at next start)", id, strerror(errno));
}

int engine_open(const char *id) { return backend->open(id); }
ssize_t engine_read_at(int h, void *buf, size_t len, uint64_t off) { return backend->read(h, buf, len, off); }
int engine_stat(int h, int64_t *size, bool *removed) { return backend->stat(h, size, removed); }
int engine_descriptor(int h) { return backend->descriptor(h); }
void engine_close(int h)
{
    if (h >= 0)
        backend->close(h);
}

int engine_copy_range(struct engine_file *f, const char *src_id, uint64_t offset, uint64_t len)
{
    return backend->copy(f->handle, src_id, offset, len);
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
    backend->remove(id); /* a file already gone is what was wanted */
    engine_forget(id);   /* after the unlink: see filecache.c */
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

/* Every pending blob is an upload cut short (drop) or a committed file not yet published (publish). */
/* A partial upload younger than this is kept at start while other processes share the store. */
#define PEER_UPLOAD_S 86400

struct recovery {
    struct store *s;
    int peers, moved, dropped, kept;
    int64_t now;
    char *err;
    size_t errlen;
};

static enum backend_pending judge_pending(void *arg, const char *id, int64_t mtime)
{
    struct recovery *rc = arg;
    int r = strlen(id) == ENGINE_ID_LEN ? referenced(rc->s, id) : 0;
    if (r < 0) {
        snprintf(rc->err, rc->errlen, "recovery: %s", store_errmsg(rc->s));
        return PENDING_FAIL;
    }
    if (r) {
        rc->moved++;
        return PENDING_PUBLISH;
    }
    if (rc->peers && mtime > rc->now - PEER_UPLOAD_S) {
        rc->kept++;
        return PENDING_KEEP;
    }
    rc->dropped++;
    return PENDING_DROP;
}

static int recover_pending(struct store *s, char *err, size_t errlen)
{
    /* other yund processes on this store (PostgreSQL) may be writing their uploads here right now */
    struct recovery rc = {.s = s, .peers = lease_peers(s) > 0, .now = time(NULL), .err = err, .errlen = errlen};
    if (backend->pending(judge_pending, &rc, err, errlen) != 0)
        return -1;
    if (rc.moved || rc.dropped || rc.kept)
        log_info("object store recovery: %d committed file(s) moved, %d partial upload(s) removed, %d of other "
                 "processes kept",
                 rc.moved, rc.dropped, rc.kept);
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

int engine_start(const char *data_dir, const char *backend_name, struct store *s, char *err, size_t errlen)
{
    if (!(backend = object_backend_find(backend_name, err, errlen))) {
        backend = &object_backend_file;
        return -1;
    }
    if (backend->start(data_dir, err, errlen) != 0)
        return -1;
    if (recover_pending(s, err, errlen) != 0)
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
    backend->stop();
}
