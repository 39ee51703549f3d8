/*
 * listing: ListObjects (v1) and ListObjectsV2, one walk over the key index with S3's prefix,
 * delimiter roll-up, markers and continuation tokens (ListObjectVersions is versioning.c's).
 * A key whose current version is a delete marker is not listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/object_int.h"

void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].key);
    free(l->v);
}

/* The smallest string greater than every string that starts with s. */
char *successor(const char *s)
{
    size_t n = strlen(s);
    char *o = strdup(s);
    while (o && n) {
        if ((unsigned char)o[n - 1] < 0xff) {
            o[n - 1]++;
            o[n] = 0;
            return o;
        }
        n--; /* drop trailing 0xff bytes */
    }
    free(o);
    return NULL;
}

/* Common prefix of key (prefix + up to and including the first delimiter after it), or NULL. */
char *common_prefix(const char *key, const char *prefix, const char *delim)
{
    if (!delim || !*delim || strncmp(key, prefix, strlen(prefix)) != 0)
        return NULL;
    const char *d = strstr(key + strlen(prefix), delim);
    if (!d)
        return NULL;
    return strndup(key, (size_t)(d - key) + strlen(delim));
}

/* The walk of list_keys, one batch at a time (meta_each_key hands it the rows). */
struct key_walk {
    struct listing *out;
    const char *prefix, *delim;
    size_t plen, max;
    char *cursor; /* where the next batch starts */
    bool inclusive, reseek, done, failed;
    int64_t rows;
};

static bool walk_key(void *arg, const struct entry *row)
{
    struct key_walk *k = arg;
    struct listing *out = k->out;
    k->rows++;
    if (strncmp(row->key, k->prefix, k->plen) != 0) {
        k->done = true;
        return false;
    }
    char *cp = common_prefix(row->key, k->prefix, k->delim);
    if (out->n == k->max) {
        out->truncated = true;
        k->done = true;
        free(cp);
        return false;
    }
    struct entry *e = &out->v[out->n++];
    free(k->cursor);
    if (cp) {
        /* a common prefix: the next batch starts after every key it rolls up */
        e->key = cp;
        e->prefix = true;
        k->cursor = successor(cp);
        k->inclusive = true;
        if (!k->cursor)
            k->done = true;
        k->reseek = true;
        return false;
    }
    *e = *row;
    e->key = strdup(row->key);
    k->cursor = strdup(row->key);
    k->inclusive = false;
    if (!e->key || !k->cursor) {
        k->failed = k->done = true;
        return false;
    }
    return true;
}

/*
 * Keys of a bucket in order, after `marker` (exclusive), under `prefix`, rolled up by `delim`,
 * at most max entries. One index seek per batch and per common prefix, so listing N keys costs
 * O(N) whatever the bucket holds.
 */
static int list_keys(const char *bucket, const char *prefix, const char *delim, const char *marker, size_t max,
                     struct listing *out)
{
    memset(out, 0, sizeof *out);
    out->v = calloc(max + 1, sizeof *out->v);
    if (!out->v)
        return -1;
    struct key_walk k = {.out = out, .prefix = prefix, .delim = delim, .plen = strlen(prefix), .max = max};
    if (marker && *marker && strcmp(marker, prefix) >= 0) {
        char *cp = common_prefix(marker, prefix, delim);
        if (cp) {
            k.cursor = successor(cp);
            k.inclusive = true;
            free(cp);
            if (!k.cursor)
                return 0;
        } else {
            k.cursor = strdup(marker);
        }
    } else {
        k.cursor = strdup(prefix);
        k.inclusive = true;
    }
    while (!k.done && k.cursor) {
        int64_t batch = (int64_t)(max - out->n) + 1;
        if (batch > 1001)
            batch = 1001;
        k.rows = 0;
        k.reseek = false;
        if (meta_each_key(bucket, k.cursor, k.inclusive, batch, walk_key, &k) != 0 || k.failed) {
            free(k.cursor);
            return -1;
        }
        if (!k.reseek && k.rows < batch)
            k.done = true;
    }
    free(k.cursor);
    return 0;
}

size_t max_keys_param(struct rq *r, const char *name, size_t dflt)
{
    const char *v = qget(r, name);
    if (!v)
        return dflt;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 0) {
        fail(r, 400, "InvalidArgument", "Provided max-keys not an integer or within integer range");
        return (size_t)-1;
    }
    return n > LIST_MAX ? LIST_MAX : (size_t)n;
}

bool url_encoding(struct rq *r)
{
    const char *e = qget(r, "encoding-type");
    return e && strcasecmp(e, "url") == 0;
}

static void write_contents(struct xmlw *w, const struct entry *e, bool url, bool owner)
{
    char t[40];
    iso_ms(e->mtime, t);
    xmlw_open(w, "Contents");
    xml_key(w, "Key", e->key, url);
    xmlw_element(w, "LastModified", t);
    char etag[90];
    snprintf(etag, sizeof etag, "\"%s\"", e->etag);
    xmlw_element(w, "ETag", etag);
    xmlw_element_u64(w, "Size", (uint64_t)e->size);
    if (owner)
        xml_owner(w, e->owner);
    xmlw_element(w, "StorageClass", "STANDARD");
    xmlw_close(w);
}

static void write_prefixes(struct xmlw *w, const struct listing *l, bool url)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!l->v[i].prefix)
            continue;
        xmlw_open(w, "CommonPrefixes");
        xml_key(w, "Prefix", l->v[i].key, url);
        xmlw_close(w);
    }
}

/* ListObjects (v1) and ListObjectsV2 share the walk. */
static void list_objects(struct rq *r, int kind /* 1 or 2 */)
{
    const char *prefix = qget(r, "prefix") ? qget(r, "prefix") : "";
    const char *delim = qget(r, "delimiter");
    if (delim && !*delim)
        delim = NULL;
    size_t max = max_keys_param(r, "max-keys", LIST_MAX);
    if (max == (size_t)-1)
        return;
    bool url = url_encoding(r);
    char *marker = NULL;
    const char *token = qget(r, "continuation-token");
    if (kind == 1)
        marker = qget(r, "marker") ? strdup(qget(r, "marker")) : NULL;
    else if (token) {
        uint8_t dec[MAX_KEY_BYTES + 8];
        long n = obj_base64_decode(token, strlen(token), dec, sizeof dec - 1);
        if (n < 0) {
            fail(r, 400, "InvalidArgument", "The continuation token provided is incorrect");
            return;
        }
        marker = strndup((char *)dec, (size_t)n);
    } else if (qget(r, "start-after"))
        marker = strdup(qget(r, "start-after"));
    struct listing l;
    int rc = max ? list_keys(r->bucket, prefix, delim, marker, max, &l) : (memset(&l, 0, sizeof l), 0);
    free(marker);
    if (rc != 0) {
        listing_free(&l);
        fail_store(r);
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 64u << 20);
    xmlw_open_ns(&w, "ListBucketResult", S3_NS);
    xmlw_element(&w, "Name", r->bucket);
    xml_key(&w, "Prefix", prefix, url);
    const char *last = l.n ? l.v[l.n - 1].key : NULL;
    if (kind == 1) {
        xml_key(&w, "Marker", qget(r, "marker") ? qget(r, "marker") : "", url);
        if (l.truncated && delim && last)
            xml_key(&w, "NextMarker", last, url);
    } else {
        if (token)
            xmlw_element(&w, "ContinuationToken", token);
        if (qget(r, "start-after"))
            xml_key(&w, "StartAfter", qget(r, "start-after"), url);
        xmlw_element_u64(&w, "KeyCount", l.n);
        if (l.truncated && last) {
            char tok[((MAX_KEY_BYTES + 2) / 3) * 4 + 8];
            obj_base64_encode((const uint8_t *)last, strlen(last), tok);
            xmlw_element(&w, "NextContinuationToken", tok);
        }
    }
    xmlw_element_u64(&w, "MaxKeys", max);
    if (delim)
        xml_key(&w, "Delimiter", delim, url);
    if (url)
        xmlw_element(&w, "EncodingType", "url");
    xmlw_element_bool(&w, "IsTruncated", l.truncated);
    bool owner = kind != 2 || (qget(r, "fetch-owner") && strcmp(qget(r, "fetch-owner"), "true") == 0);
    for (size_t i = 0; i < l.n; i++)
        if (!l.v[i].prefix)
            write_contents(&w, &l.v[i], url, owner);
    write_prefixes(&w, &l, url);
    listing_free(&l);
    send_xml(r, 200, &w);
}

void op_list_objects(struct rq *r) { list_objects(r, 1); }

void op_list_objects_v2(struct rq *r)
{
    const char *lt = qget(r, "list-type");
    if (strcmp(lt, "2") != 0) {
        fail(r, 400, "InvalidArgument", "Invalid List Type specified");
        return;
    }
    list_objects(r, 2);
}
