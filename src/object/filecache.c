/*
 * filecache: the bytes of recently read small object files, kept in memory, so a GET of a hot
 * small object makes no system call for its body (open + pread + close of the file were ~10 % of
 * a 4 KiB GET's CPU).
 *
 * Why it cannot serve stale bytes: a committed file never changes. It is written whole under a
 * fresh random id in tmp/, renamed into data/ and, once no row names it, unlinked (engine.h); an
 * overwrite or a delete writes or drops a *row*, never the bytes of an existing id, and ids are
 * never reused. The request's read transaction says which id is current and how large it is, and
 * the cache is asked only for that id, so what it holds is what reading the file now would give.
 * When the background thread unlinks an id, engine_forget() drops its entry; an entry is only
 * installed for a file that still has a link (the backend's stat: not removed), checked under its
 * set's lock (which engine_forget takes after the unlink), so no bytes of an unlinked file linger
 * in memory.
 *
 * FILECACHE_SLOTS entries of at most ENGINE_CACHED_MAX bytes each, FILECACHE_BUDGET bytes in all;
 * WAYS-way set associative by the id's leading hex digits (ids are random), least recently used
 * out, a lock per set (one lock for all made every other GET wait on a futex between two
 * workers). Encrypted objects never come here (object_read.c reads them through sse.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "object/engine.h"

#define FILECACHE_SLOTS  2048u
#define FILECACHE_BUDGET ((size_t)32 << 20)
#define WAYS             8u

struct slot {
    char id[ENGINE_ID_LEN + 1]; /* "" = empty */
    char *bytes;
    size_t size;
    uint64_t used;
};

struct set {
    pthread_mutex_t lock;
    uint64_t tick;
    struct slot s[WAYS];
};

static struct set sets[FILECACHE_SLOTS / WAYS];
static atomic_size_t held; /* bytes in all slots */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_locks(void)
{
    for (size_t i = 0; i < FILECACHE_SLOTS / WAYS; i++)
        pthread_mutex_init(&sets[i].lock, NULL);
}

static void slot_clear(struct slot *s)
{
    atomic_fetch_sub(&held, s->size);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

void filecache_stop(void)
{
    pthread_once(&once, init_locks);
    for (size_t i = 0; i < FILECACHE_SLOTS / WAYS; i++) {
        pthread_mutex_lock(&sets[i].lock);
        for (size_t k = 0; k < WAYS; k++)
            slot_clear(&sets[i].s[k]);
        pthread_mutex_unlock(&sets[i].lock);
    }
}

/* The set an id belongs to. */
static struct set *set_of(const char *id)
{
    size_t h = 0;
    for (int i = 0; i < 8 && id[i]; i++)
        h = h * 16 + (size_t)(id[i] >= 'a' ? id[i] - 'a' + 10 : id[i] >= 'A' ? id[i] - 'A' + 10 : id[i] - '0');
    return &sets[h & (FILECACHE_SLOTS / WAYS - 1)];
}

static struct slot *find(struct set *set, const char *id)
{
    for (size_t k = 0; k < WAYS; k++)
        if (set->s[k].bytes && strcmp(set->s[k].id, id) == 0)
            return &set->s[k];
    return NULL;
}

static ssize_t pread_all(int h, char *buf, size_t len, int64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = engine_read_at(h, buf + got, len - got, (uint64_t)(off + (int64_t)got));
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Takes the file's bytes as id's entry if the file still has a link and the budget allows
 * (evicting the set's least recently used entry). Under the set's lock; true if taken. */
static bool keep(struct set *set, const char *id, int h, char *bytes, size_t size)
{
    struct slot *s = NULL;
    for (size_t k = 0; k < WAYS && (!s || s->bytes); k++)
        if (!s || !set->s[k].bytes || set->s[k].used < s->used)
            s = &set->s[k];
    int64_t now_size;
    bool removed;
    if (find(set, id) || atomic_load(&held) - s->size + size > FILECACHE_BUDGET ||
        engine_stat(h, &now_size, &removed) != 0 || removed || (size_t)now_size != size)
        return false;
    slot_clear(s);
    memcpy(s->id, id, ENGINE_ID_LEN + 1);
    s->bytes = bytes;
    s->size = size;
    s->used = ++set->tick;
    atomic_fetch_add(&held, size);
    return true;
}

ssize_t engine_read(const char *id, size_t whole, void *buf, size_t len, int64_t off)
{
    bool cacheable = strlen(id) == ENGINE_ID_LEN && whole <= ENGINE_CACHED_MAX && off >= 0 && (size_t)off <= whole &&
                     len <= whole - (size_t)off;
    struct set *set = NULL;
    if (cacheable) {
        pthread_once(&once, init_locks);
        set = set_of(id);
        pthread_mutex_lock(&set->lock);
        struct slot *s = find(set, id);
        if (s) {
            s->used = ++set->tick;
            memcpy(buf, s->bytes + off, len);
        }
        pthread_mutex_unlock(&set->lock);
        if (s)
            return (ssize_t)len;
    }
    int h = engine_open(id);
    if (h < 0)
        return -1;
    ssize_t n;
    char *all = cacheable ? malloc(whole ? whole : 1) : NULL;
    if (all) { /* the whole file, kept if it is as long as its row says */
        n = pread_all(h, all, whole, 0);
        if (n == (ssize_t)whole) {
            memcpy(buf, all + off, len);
            n = (ssize_t)len;
            pthread_mutex_lock(&set->lock);
            if (keep(set, id, h, all, whole))
                all = NULL;
            pthread_mutex_unlock(&set->lock);
        } else if (n >= 0) {
            n = n > off ? (n - off < (ssize_t)len ? n - off : (ssize_t)len) : 0;
            if (n > 0)
                memcpy(buf, all + off, (size_t)n);
        }
    } else {
        n = pread_all(h, buf, len, off);
    }
    int e = errno;
    free(all);
    engine_close(h);
    errno = e;
    return n;
}

void engine_forget(const char *id)
{
    if (strlen(id) != ENGINE_ID_LEN)
        return;
    pthread_once(&once, init_locks);
    struct set *set = set_of(id);
    pthread_mutex_lock(&set->lock);
    struct slot *s = find(set, id);
    if (s)
        slot_clear(s);
    pthread_mutex_unlock(&set->lock);
}
