/*
 * versioning: Put/GetBucketVersioning (Enabled or Suspended; a bucket never goes back to
 * unversioned), ListObjectVersions (one walk over every version in (key, newest first) order with
 * S3's prefix, delimiter roll-up, key-marker / version-id-marker and max-keys), and the headers
 * that tell a client which version it got, made or removed. What a write or delete does to the
 * versions is meta_version.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

void op_put_bucket_versioning(struct rq *r)
{
    const char *body = obj_buf_str(&r->body);
    if (!body || !strstr(body, "<VersioningConfiguration")) {
        fail_malformed(r);
        return;
    }
    const char *a = strstr(body, "<Status>");
    if (!a) { /* no Status: nothing changes (there is no way back to unversioned) */
        send_empty(r, 200);
        return;
    }
    a += strlen("<Status>");
    const char *status = strncmp(a, "Enabled</Status>", 16) == 0     ? "Enabled"
                         : strncmp(a, "Suspended</Status>", 18) == 0 ? "Suspended"
                                                                     : NULL;
    if (!status) {
        fail_malformed(r);
        return;
    }
    int locked = strcmp(status, "Suspended") == 0 ? lock_enabled(r) : 0;
    if (locked != 0) {
        if (locked > 0)
            fail(r, 409, "InvalidBucketState",
                 "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.");
        return;
    }
    answer_update(r, meta_set_bucket_column(r, BUCKET_VERSIONING, status), "NoSuchBucket",
                  "The specified bucket does not exist", 200);
}

void op_get_bucket_versioning(struct rq *r)
{
    struct xmlw w;
    xmlw_init(&w, 4096);
    xmlw_open_ns(&w, "VersioningConfiguration", S3_NS);
    if (r->b.versioning[0])
        xmlw_element(&w, "Status", r->b.versioning);
    send_xml(r, 200, &w);
}

/* x-amz-version-id (and x-amz-delete-marker) of what the request made, removed or read. */
void version_headers(struct rq *r)
{
    if (r->version_id[0])
        add_header(r, "x-amz-version-id", "%s", r->version_id);
    if (r->delete_marker)
        add_header(r, "x-amz-delete-marker", "true");
}

/* A read found a delete marker: the key's current version (404 NoSuchKey) or the version the
 * request named (405 MethodNotAllowed), with the marker's headers on the error, as S3 answers. */
void fail_delete_marker(struct rq *r, const struct objrow *o, bool by_version)
{
    add_header(r, "x-amz-delete-marker", "true");
    add_header(r, "x-amz-version-id", "%s", o->version_id);
    r->keep_headers = true;
    if (by_version)
        fail(r, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    else
        fail(r, 404, "NoSuchKey", "The specified key does not exist.");
}

/* One entry of a version listing: a version, a delete marker or a common prefix. */
struct vitem {
    char *key;
    bool prefix, marker, latest;
    char vid[VERSION_ID_LEN + 8], etag[80], owner[24];
    int64_t size, mtime;
};

struct version_walk {
    struct vitem *v;
    size_t n, max;
    const char *prefix, *delim;
    size_t plen;
    char *cursor;  /* the next batch starts after (cursor, below) */
    int64_t below; /* INT64_MAX: every version of cursor; -1: none */
    bool reseek, done, failed, truncated;
    int64_t rows;
};

static bool walk_version(void *arg, const struct version_entry *e)
{
    struct version_walk *k = arg;
    k->rows++;
    if (strncmp(e->key, k->prefix, k->plen) != 0) {
        k->done = true;
        return false;
    }
    char *cp = common_prefix(e->key, k->prefix, k->delim);
    if (k->n == k->max) {
        k->truncated = k->done = true;
        free(cp);
        return false;
    }
    struct vitem *it = &k->v[k->n++];
    free(k->cursor);
    if (cp) {
        /* a common prefix: the next batch starts after every version it rolls up */
        it->key = cp;
        it->prefix = true;
        k->cursor = successor(cp);
        k->below = INT64_MAX;
        k->reseek = true;
        if (!k->cursor)
            k->done = true;
        return false;
    }
    it->key = strdup(e->key);
    it->marker = e->marker;
    it->latest = e->latest;
    it->size = e->size;
    it->mtime = e->mtime;
    snprintf(it->vid, sizeof it->vid, "%s", e->version_id);
    snprintf(it->etag, sizeof it->etag, "%s", e->etag);
    snprintf(it->owner, sizeof it->owner, "%s", e->owner);
    k->cursor = strdup(e->key);
    k->below = e->seq;
    if (!it->key || !k->cursor) {
        k->failed = k->done = true;
        return false;
    }
    return true;
}

/* Where a listing starts: after key-marker (after its version version-id-marker if given). */
static int walk_start(struct rq *r, struct version_walk *k)
{
    const char *km = qget(r, "key-marker"), *vim = qget(r, "version-id-marker");
    if (!km || !*km || strcmp(km, k->prefix) < 0) {
        k->cursor = strdup(k->prefix);
        k->below = INT64_MAX;
        return k->cursor ? 0 : -1;
    }
    char *cp = common_prefix(km, k->prefix, k->delim);
    if (cp) {
        k->cursor = successor(cp);
        k->below = INT64_MAX;
        free(cp);
        if (!k->cursor)
            k->done = true;
        return 0;
    }
    k->cursor = strdup(km);
    k->below = -1;
    if (vim && *vim) {
        struct objrow o = {0};
        int rc = load_version(r->bucket, km, vim, &o);
        if (rc < 0)
            return -1;
        if (rc == 1)
            k->below = o.seq;
        objrow_free(&o);
    }
    return k->cursor ? 0 : -1;
}

static void write_item(struct xmlw *w, const struct vitem *it, bool url)
{
    char t[40], etag[90];
    iso_ms(it->mtime, t);
    xmlw_open(w, it->marker ? "DeleteMarker" : "Version");
    xml_key(w, "Key", it->key, url);
    xmlw_element(w, "VersionId", it->vid);
    xmlw_element_bool(w, "IsLatest", it->latest);
    xmlw_element(w, "LastModified", t);
    if (!it->marker) {
        snprintf(etag, sizeof etag, "\"%s\"", it->etag);
        xmlw_element(w, "ETag", etag);
        xmlw_element_u64(w, "Size", (uint64_t)it->size);
    }
    xml_owner(w, it->owner);
    if (!it->marker)
        xmlw_element(w, "StorageClass", "STANDARD");
    xmlw_close(w);
}

void op_list_object_versions(struct rq *r)
{
    const char *prefix = qget(r, "prefix") ? qget(r, "prefix") : "";
    const char *delim = qget(r, "delimiter");
    if (delim && !*delim)
        delim = NULL;
    size_t max = max_keys_param(r, "max-keys", LIST_MAX);
    if (max == (size_t)-1)
        return;
    bool url = url_encoding(r);
    struct version_walk k = {.prefix = prefix, .delim = delim, .plen = strlen(prefix), .max = max};
    k.v = calloc(max + 1, sizeof *k.v);
    int rc = k.v ? walk_start(r, &k) : -1;
    while (rc == 0 && max && !k.done && k.cursor) {
        int64_t batch = (int64_t)(max - k.n) + 1;
        if (batch > 1001)
            batch = 1001;
        k.rows = 0;
        k.reseek = false;
        if (meta_each_version(r->bucket, k.cursor, k.below, batch, walk_version, &k) != 0 || k.failed)
            rc = -1;
        else if (!k.reseek && k.rows < batch)
            k.done = true;
    }
    free(k.cursor);
    if (rc != 0) {
        fail_store(r);
    } else {
        struct xmlw w;
        xmlw_init(&w, 64u << 20);
        xmlw_open_ns(&w, "ListVersionsResult", S3_NS);
        xmlw_element(&w, "Name", r->bucket);
        xml_key(&w, "Prefix", prefix, url);
        xml_key(&w, "KeyMarker", qget(r, "key-marker") ? qget(r, "key-marker") : "", url);
        xmlw_element(&w, "VersionIdMarker", qget(r, "version-id-marker") ? qget(r, "version-id-marker") : "");
        const struct vitem *last = k.n ? &k.v[k.n - 1] : NULL;
        if (k.truncated && last) {
            xml_key(&w, "NextKeyMarker", last->key, url);
            if (!last->prefix)
                xmlw_element(&w, "NextVersionIdMarker", last->vid);
        }
        xmlw_element_u64(&w, "MaxKeys", max);
        if (delim)
            xml_key(&w, "Delimiter", delim, url);
        if (url)
            xmlw_element(&w, "EncodingType", "url");
        xmlw_element_bool(&w, "IsTruncated", k.truncated);
        for (size_t i = 0; i < k.n; i++)
            if (!k.v[i].prefix)
                write_item(&w, &k.v[i], url);
        for (size_t i = 0; i < k.n; i++)
            if (k.v[i].prefix) {
                xmlw_open(&w, "CommonPrefixes");
                xml_key(&w, "Prefix", k.v[i].key, url);
                xmlw_close(&w);
            }
        send_xml(r, 200, &w);
    }
    for (size_t i = 0; k.v && i < k.n; i++)
        free(k.v[i].key);
    free(k.v);
}
