/*
 * hotrows: the rows a GET of a hot object reads, kept in memory so that a read of the same key
 * again costs no store round (the store's read lock and two b-tree descents were a quarter of a
 * small GET's CPU). An entry holds the bucket and object rows as one snapshot read them, stamped
 * with the store's change count (store_watch on "obj_") taken before that read: it answers only
 * while the count is unchanged, so any committed change to any object table, by any request or
 * job of this process, retires every entry at once. Only rows a GET needs nothing else for are
 * kept (hotrows_put's caller decides: no versioning, no bucket document). Where the store cannot
 * count (PostgreSQL shared by several yund) nothing is kept. Authorisation is not cached: every
 * request is authorised against the rows as if they had just been read.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"
#include "store/store.h"

#define HOT_OBJECTS 4096 /* two-way: a key lives in one of the slot pair its hash names */
#define HOT_BUCKETS 64   /* direct-mapped by name */

struct hot_bucket {
    uint64_t count;
    bool used;
    struct bucket b;
};

/* an objrow without its large inline fields: acl and content type kept as copies of their length */
struct hot_object {
    uint64_t count;
    bool used;
    char bucket[64];
    char *key;
    int64_t size, mtime, seq;
    char etag[80], file[ENGINE_ID_LEN + 8], owner[24], checksum[96], version_id[VERSION_ID_LEN + 8];
    char *content_type, *acl, *headers, *meta, *tags, *parts, *sse;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct hot_bucket buckets[HOT_BUCKETS];
static struct hot_object objects[HOT_OBJECTS];

static uint64_t hash(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ull;
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 1099511628211ull;
    h = (h ^ '/') * 1099511628211ull;
    for (; b && *b; b++)
        h = (h ^ (unsigned char)*b) * 1099511628211ull;
    return h;
}

/* 1 and the fields copied, or 0 (out of memory: nothing to free) */
static int copy_strings(char *const from[7], char *to[7])
{
    for (int i = 0; i < 7; i++)
        if (from[i] && !(to[i] = strdup(from[i]))) {
            while (i-- > 0)
                free(to[i]), to[i] = NULL;
            return 0;
        }
    return 1;
}

static void object_clear(struct hot_object *h)
{
    free(h->key);
    char **fields[] = {&h->content_type, &h->acl, &h->headers, &h->meta, &h->tags, &h->parts, &h->sse};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        free(*fields[i]), *fields[i] = NULL;
    h->key = NULL;
    h->used = false;
}

/* The slot holding the key, or NULL. */
static struct hot_object *find(const char *bucket, const char *key, uint64_t hv)
{
    for (size_t w = 0; w < 2; w++) {
        struct hot_object *h = &objects[(hv % HOT_OBJECTS) ^ w];
        if (h->used && strcmp(h->bucket, bucket) == 0 && strcmp(h->key, key) == 0)
            return h;
    }
    return NULL;
}

int hotrows_count(uint64_t *count) { return store_watch_count(store_thread(), count); }

int hotrows_get(const char *bucket, const char *key, struct bucket *b, struct objrow *o)
{
    uint64_t now;
    if (!hotrows_count(&now))
        return 0;
    struct hot_bucket *hb = &buckets[hash(bucket, NULL) % HOT_BUCKETS];
    uint64_t hv = hash(bucket, key);
    int hit = 0;
    pthread_mutex_lock(&lock);
    struct hot_object *h = find(bucket, key, hv);
    if (h && h->count == now && hb->used && hb->count == now && strcmp(hb->b.name, bucket) == 0) {
        char *from[7] = {h->headers, h->meta, h->tags, h->parts, h->sse, NULL, NULL}, *to[7] = {0};
        if (copy_strings(from, to)) {
            *b = hb->b;
            *o = (struct objrow){.size = h->size, .mtime = h->mtime, .seq = h->seq};
            str_copy(o->etag, sizeof o->etag, h->etag);
            str_copy(o->content_type, sizeof o->content_type, h->content_type);
            str_copy(o->acl, sizeof o->acl, h->acl);
            str_copy(o->file, sizeof o->file, h->file);
            str_copy(o->owner, sizeof o->owner, h->owner);
            str_copy(o->checksum, sizeof o->checksum, h->checksum);
            str_copy(o->version_id, sizeof o->version_id, h->version_id);
            o->headers = to[0], o->meta = to[1], o->tags = to[2], o->parts = to[3], o->sse = to[4];
            hit = 1;
        }
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

void hotrows_put(uint64_t count, const struct bucket *b, const char *key, const struct objrow *o)
{
    if (o->marker)
        return;
    struct hot_object fresh = {.count = count, .used = true, .size = o->size, .mtime = o->mtime, .seq = o->seq};
    char *from[7] = {(char *)o->content_type, (char *)o->acl, o->headers, o->meta, o->tags, o->parts, o->sse};
    char *to[7] = {0};
    if (!(fresh.key = strdup(key)))
        return;
    if (!copy_strings(from, to)) {
        free(fresh.key);
        return;
    }
    fresh.content_type = to[0], fresh.acl = to[1], fresh.headers = to[2], fresh.meta = to[3], fresh.tags = to[4];
    fresh.parts = to[5], fresh.sse = to[6];
    str_copy(fresh.bucket, sizeof fresh.bucket, b->name);
    str_copy(fresh.etag, sizeof fresh.etag, o->etag);
    str_copy(fresh.file, sizeof fresh.file, o->file);
    str_copy(fresh.owner, sizeof fresh.owner, o->owner);
    str_copy(fresh.checksum, sizeof fresh.checksum, o->checksum);
    str_copy(fresh.version_id, sizeof fresh.version_id, o->version_id);
    struct hot_bucket *hb = &buckets[hash(b->name, NULL) % HOT_BUCKETS];
    uint64_t hv = hash(b->name, key);
    pthread_mutex_lock(&lock);
    struct hot_object *h = find(b->name, key, hv);
    if (!h) { /* a free slot of the pair, else the one stamped longer ago */
        struct hot_object *x = &objects[hv % HOT_OBJECTS], *y = &objects[(hv % HOT_OBJECTS) ^ 1];
        h = !x->used ? x : !y->used ? y : x->count <= y->count ? x : y;
    }
    /* an entry stamped earlier than the slot's own is older news */
    if (!hb->used || hb->count <= count)
        *hb = (struct hot_bucket){.count = count, .used = true, .b = *b};
    struct hot_object old = *h;
    bool replace = !h->used || h->count <= count;
    if (replace)
        *h = fresh;
    pthread_mutex_unlock(&lock);
    if (replace && old.used)
        object_clear(&old);
    else if (!replace)
        object_clear(&fresh);
}
