/*
 * filecache: open descriptors of recently read small object files, so a GET of a hot object is
 * one pread(2) instead of open + pread + close (the path walk of open was ~7 % of a 4 KiB GET).
 *
 * Why it cannot serve stale bytes: a committed file never changes. It is written whole under a
 * fresh random id in tmp/, renamed into data/ and, once no row names it, unlinked (engine.h); an
 * overwrite or a delete writes or drops a *row*, never the bytes of an existing id. The request's
 * read transaction says which id is current, and the cache is asked only for that id, so a
 * descriptor found here reads exactly what opening the id now would. When the background thread
 * unlinks an id, engine_forget() drops its entry (closed as soon as no reader holds it), so a
 * deleted object's space is freed with its unlink, as without the cache; an entry is only ever
 * installed for a file that still has a link (checked under the cache's lock, which engine_forget
 * takes after the unlink), so no descriptor of an unlinked file can linger.
 *
 * Sized from RLIMIT_NOFILE at start (an eighth of it, at most FILECACHE_MAX slots; off below 64),
 * WAYS-way set associative by the id's leading hex digits (ids are random), least recently used
 * out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object/engine.h"

#define FILECACHE_MAX 2048u
#define WAYS          8u

struct slot {
    char id[ENGINE_ID_LEN + 1];
    int fd;           /* -1: empty */
    unsigned readers; /* preads under way on fd */
    bool dropped;     /* unlinked while read: close when the last reader is done */
    uint64_t used;
};

static struct slot *slots;
static size_t nslots; /* a power of two, or 0 (off) */
static uint64_t tick;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

size_t filecache_start(void)
{
    struct rlimit rl;
    size_t want =
        getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (size_t)rl.rlim_cur / 8 : FILECACHE_MAX;
    size_t n = 64;
    if (want < n)
        return 0;
    while (n * 2 <= want && n * 2 <= FILECACHE_MAX)
        n *= 2;
    slots = calloc(n, sizeof *slots);
    if (!slots)
        return 0;
    for (size_t i = 0; i < n; i++)
        slots[i].fd = -1;
    nslots = n;
    return n;
}

static void slot_clear(struct slot *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->id[0] = 0;
    s->readers = 0;
    s->dropped = false;
}

void filecache_stop(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nslots; i++)
        slot_clear(&slots[i]);
    free(slots);
    slots = NULL;
    nslots = 0;
    pthread_mutex_unlock(&lock);
}

/* The first of the WAYS slots an id may take. */
static size_t set_of(const char *id)
{
    size_t h = 0;
    for (int i = 0; i < 8 && id[i]; i++)
        h = h * 16 + (size_t)(id[i] >= 'a' ? id[i] - 'a' + 10 : id[i] >= 'A' ? id[i] - 'A' + 10 : id[i] - '0');
    return (h * WAYS) & (nslots - 1);
}

static struct slot *find(const char *id)
{
    size_t i = set_of(id);
    for (size_t k = 0; k < WAYS; k++) {
        struct slot *s = &slots[i + k];
        if (s->fd >= 0 && !s->dropped && strcmp(s->id, id) == 0)
            return s;
    }
    return NULL;
}

static ssize_t pread_all(int fd, char *buf, size_t len, int64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + (int64_t)got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Keeps fd as id's entry if a slot of its set is free of readers and the file is still linked;
 * true if kept (the cache owns fd). Under the lock. */
static bool keep(const char *id, int fd)
{
    struct slot *set = &slots[set_of(id)], *s = NULL;
    for (size_t k = 0; k < WAYS; k++) /* an empty slot, or the least recently used one no one reads */
        if (!set[k].readers && (!s || set[k].fd < 0 || (s->fd >= 0 && set[k].used < s->used)))
            s = &set[k];
    struct stat st;
    if (!s || fstat(fd, &st) != 0 || st.st_nlink == 0 || find(id))
        return false;
    slot_clear(s);
    memcpy(s->id, id, ENGINE_ID_LEN + 1);
    s->fd = fd;
    s->used = ++tick;
    return true;
}

ssize_t engine_read(const char *id, void *buf, size_t len, int64_t off)
{
    if (strlen(id) != ENGINE_ID_LEN || !nslots) { /* not a file id this cache keys on, or off */
        int fd = engine_open(id);
        if (fd < 0)
            return -1;
        ssize_t n = pread_all(fd, buf, len, off);
        int e = errno;
        close(fd);
        errno = e;
        return n;
    }
    pthread_mutex_lock(&lock);
    struct slot *s = find(id);
    if (s) {
        s->readers++;
        s->used = ++tick;
    }
    pthread_mutex_unlock(&lock);
    if (s) {
        ssize_t n = pread_all(s->fd, buf, len, off);
        int e = errno;
        pthread_mutex_lock(&lock);
        if (--s->readers == 0 && s->dropped)
            slot_clear(s);
        pthread_mutex_unlock(&lock);
        errno = e;
        return n;
    }
    int fd = engine_open(id);
    if (fd < 0)
        return -1;
    ssize_t n = pread_all(fd, buf, len, off);
    int e = errno;
    pthread_mutex_lock(&lock);
    bool kept = n >= 0 && keep(id, fd);
    pthread_mutex_unlock(&lock);
    if (!kept)
        close(fd);
    errno = e;
    return n;
}

void engine_forget(const char *id)
{
    if (!nslots || strlen(id) != ENGINE_ID_LEN)
        return;
    pthread_mutex_lock(&lock);
    struct slot *s = find(id);
    if (s) {
        if (s->readers)
            s->dropped = true;
        else
            slot_clear(s);
    }
    pthread_mutex_unlock(&lock);
}
