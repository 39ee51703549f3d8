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
 * installed for a file that still has a link, checked under the cache's lock (which
 * engine_forget takes after the unlink), so no bytes of an unlinked file linger in memory.
 *
 * FILECACHE_SLOTS entries of at most ENGINE_CACHED_MAX bytes each, FILECACHE_BUDGET bytes in all;
 * WAYS-way set associative by the id's leading hex digits (ids are random), least recently used
 * out. Encrypted objects never come here (object_read.c reads them through sse.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static struct slot slots[FILECACHE_SLOTS];
static size_t held; /* bytes in all slots */
static uint64_t tick;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void slot_clear(struct slot *s)
{
    held -= s->size;
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

void filecache_stop(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < FILECACHE_SLOTS; i++)
        slot_clear(&slots[i]);
    pthread_mutex_unlock(&lock);
}

/* The first of the WAYS slots an id may take. */
static size_t set_of(const char *id)
{
    size_t h = 0;
    for (int i = 0; i < 8 && id[i]; i++)
        h = h * 16 + (size_t)(id[i] >= 'a' ? id[i] - 'a' + 10 : id[i] >= 'A' ? id[i] - 'A' + 10 : id[i] - '0');
    return (h * WAYS) & (FILECACHE_SLOTS - 1);
}

static struct slot *find(const char *id)
{
    struct slot *set = &slots[set_of(id)];
    for (size_t k = 0; k < WAYS; k++)
        if (set[k].bytes && strcmp(set[k].id, id) == 0)
            return &set[k];
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

/* Takes the file's bytes as id's entry if the file still has a link and the budget allows
 * (evicting the set's least recently used entry). Under the lock; true if taken. */
static bool keep(const char *id, int fd, char *bytes, size_t size)
{
    struct slot *set = &slots[set_of(id)], *s = NULL;
    for (size_t k = 0; k < WAYS && (!s || s->bytes); k++)
        if (!s || !set[k].bytes || set[k].used < s->used)
            s = &set[k];
    struct stat st;
    if (find(id) || held - s->size + size > FILECACHE_BUDGET || fstat(fd, &st) != 0 || st.st_nlink == 0 ||
        (size_t)st.st_size != size)
        return false;
    slot_clear(s);
    memcpy(s->id, id, ENGINE_ID_LEN + 1);
    s->bytes = bytes;
    s->size = size;
    s->used = ++tick;
    held += size;
    return true;
}

ssize_t engine_read(const char *id, size_t whole, void *buf, size_t len, int64_t off)
{
    bool cacheable = strlen(id) == ENGINE_ID_LEN && whole <= ENGINE_CACHED_MAX && off >= 0 && (size_t)off <= whole &&
                     len <= whole - (size_t)off;
    if (cacheable) {
        pthread_mutex_lock(&lock);
        struct slot *s = find(id);
        if (s) {
            s->used = ++tick;
            memcpy(buf, s->bytes + off, len);
        }
        pthread_mutex_unlock(&lock);
        if (s)
            return (ssize_t)len;
    }
    int fd = engine_open(id);
    if (fd < 0)
        return -1;
    ssize_t n;
    char *all = cacheable ? malloc(whole ? whole : 1) : NULL;
    if (all) { /* the whole file, kept if it is as long as its row says */
        n = pread_all(fd, all, whole, 0);
        if (n == (ssize_t)whole) {
            memcpy(buf, all + off, len);
            n = (ssize_t)len;
            pthread_mutex_lock(&lock);
            if (keep(id, fd, all, whole))
                all = NULL;
            pthread_mutex_unlock(&lock);
        } else if (n >= 0) {
            n = n > off ? (n - off < (ssize_t)len ? n - off : (ssize_t)len) : 0;
            if (n > 0)
                memcpy(buf, all + off, (size_t)n);
        }
    } else {
        n = pread_all(fd, buf, len, off);
    }
    int e = errno;
    free(all);
    close(fd);
    errno = e;
    return n;
}

void engine_forget(const char *id)
{
    if (strlen(id) != ENGINE_ID_LEN)
        return;
    pthread_mutex_lock(&lock);
    struct slot *s = find(id);
    if (s)
        slot_clear(s);
    pthread_mutex_unlock(&lock);
}
