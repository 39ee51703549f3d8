/*
 * object_read: GetObject and HeadObject (conditions, Range, partNumber, the response-* overrides;
 * small bodies sent with the headers, larger ones by sendfile from the object's file) and
 * GetObjectAttributes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "object/object_int.h"

/* Query parameters that override an answer's headers; S3 accepts them on signed requests only
 * (otherwise anyone could serve a public object as, say, text/html). */
static const struct {
    const char *param, *header;
} overrides[] = {{"response-content-type", "Content-Type"},
                 {"response-content-language", "Content-Language"},
                 {"response-expires", "Expires"},
                 {"response-cache-control", "Cache-Control"},
                 {"response-content-disposition", "Content-Disposition"},
                 {"response-content-encoding", "Content-Encoding"}};

static void object_headers(struct rq *r, const struct objrow *o, bool whole)
{
    char lm[40];
    http_date(o->mtime / 1000, lm);
    add_header(r, "ETag", "\"%s\"", o->etag);
    add_header(r, "Last-Modified", "%s", lm);
    add_header(r, "Accept-Ranges", "bytes");
    json_t *h = o->headers ? json_loads(o->headers, 0, NULL) : NULL;
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++) {
        const char *v = qget(r, overrides[i].param);
        if (!v)
            v = json_string_value(json_object_get(h, overrides[i].header));
        if (!v && strcmp(overrides[i].header, "Content-Type") == 0)
            v = o->content_type;
        if (v)
            add_header(r, overrides[i].header, "%s", v);
    }
    json_decref(h);
    json_t *m = o->meta ? json_loads(o->meta, 0, NULL) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach (m, k, v) {
        char name[300];
        snprintf(name, sizeof name, "%s%s", r->cos_style ? "x-cos-meta-" : "x-amz-meta-", k);
        add_header(r, name, "%s", json_string_value(v));
    }
    json_decref(m);
    json_t *t = o->tags ? json_loads(o->tags, 0, NULL) : NULL;
    if (json_object_size(t))
        add_header(r, "x-amz-tagging-count", "%zu", json_object_size(t));
    json_decref(t);
    const char *mode = hdr_amz(r, "checksum-mode");
    if (whole && mode && strcasecmp(mode, "ENABLED") == 0 && o->checksum[0]) /* a range has no full-object checksum */
        checksum_header(r, o->checksum);
    if (!qhas(r, "versionId"))
        lifecycle_header(r, r->b.id, o->mtime, o->size, o->tags);
}

/* GET/HEAD ?partNumber=N: the byte span of part N and the object's part count (0 for an object
 * not uploaded in parts, whose only part is the whole object). 0, or -1 (failure recorded). */
static int part_span(struct rq *r, const struct objrow *o, const char *pn, int64_t *from, int64_t *len, int64_t *nparts)
{
    char *end = NULL;
    long n = strtol(pn, &end, 10);
    if (!*pn || *end || n < 1 || n > 10000) {
        fail(r, 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
        return -1;
    }
    if (hdr_in(r, "Range")) {
        fail(r, 400, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter");
        return -1;
    }
    int64_t off = 0, count = 0, at = -1, size = 0;
    if (o->parts) {
        for (const char *p = o->parts; *p;) {
            int64_t v = strtoll(p, &end, 10);
            if (++count == n) {
                at = off;
                size = v;
            }
            off += v;
            if (end == p)
                break;
            end += strcspn(end, ","); /* "size" or "size/checksum" */
            p = *end == ',' ? end + 1 : end;
        }
    } else if (n == 1) {
        at = 0;
        size = o->size;
    }
    if (at < 0) {
        fail(r, 400, "InvalidPart", "The requested partnumber is not satisfiable");
        return -1;
    }
    *from = at;
    *len = size;
    *nparts = count;
    return 0;
}

/* An encrypted object's bytes, decrypted as they go out (only the segments the range touches). */
struct decrypting {
    struct sse_reader *rd;
    uint64_t from;
    char file_note[64];
};

static ssize_t decrypt_some(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct decrypting *d = cls;
    ssize_t n = sse_reader_read(d->rd, d->from + pos, buf, max);
    if (n <= 0) {
        log_error("object store: %s: %s", d->file_note,
                  n < 0 && errno == EBADMSG ? "an encrypted segment fails its tag (the file was changed)"
                                            : "the file is shorter than its object");
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    return n;
}

static void decrypting_free(void *cls)
{
    struct decrypting *d = cls;
    sse_reader_free(d->rd);
    free(d);
}

/* The answer of an encrypted object's range: small ones decrypted at once (so a tampered file
 * gets a 500 rather than a cut body), larger ones as they are sent. Takes rd. */
static struct MHD_Response *decrypted_response(struct rq *r, struct sse_reader *rd, int64_t from, int64_t len)
{
    struct MHD_Response *resp = NULL;
    if (strcmp(r->method, "HEAD") == 0) {
        sse_reader_free(rd);
        /* a HEAD's answer has the Content-Length of the GET, and no body */
        return MHD_create_response_from_callback((uint64_t)len, 1, decrypt_some, NULL, NULL);
    }
    if (len <= SMALL_OBJECT) {
        char *buf = malloc(len ? (size_t)len : 1);
        ssize_t got = buf ? sse_reader_read(rd, (uint64_t)from, buf, (size_t)len) : -1;
        int e = errno;
        sse_reader_free(rd);
        if (got != len) {
            free(buf);
            log_error("object store: %s/%s: %s", r->bucket, r->key,
                      got < 0 && e == EBADMSG ? "an encrypted segment fails its tag (the file was changed)"
                                              : "cannot read the object");
            fail(r, 500, "InternalError", "We encountered an internal error reading the object.");
            return NULL;
        }
        resp = MHD_create_response_from_buffer((size_t)len, buf, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(buf);
        return resp;
    }
    struct decrypting *d = calloc(1, sizeof *d);
    if (!d) {
        sse_reader_free(rd);
        return NULL;
    }
    d->rd = rd;
    d->from = (uint64_t)from;
    snprintf(d->file_note, sizeof d->file_note, "%.40s (encrypted)", r->bucket);
    resp = MHD_create_response_from_callback((uint64_t)len, 4 * SSE_SEGMENT, decrypt_some, d, decrypting_free);
    if (!resp)
        decrypting_free(d);
    return resp;
}

/* A small body read whole (sent with the headers in one send; sendfile pays off above this). */
static struct MHD_Response *small_response(struct rq *r, const struct objrow *o, int64_t from, int64_t len)
{
    char *buf = malloc(len ? (size_t)len : 1);
    ssize_t got = buf ? engine_read(o->file, (size_t)o->size, buf, (size_t)len, from) : -1;
    if (got != len) {
        int e = got < 0 ? errno : EIO;
        free(buf);
        errno = e;
        if (e == ENOENT) /* replaced after its row was read: the caller reads the row again */
            return NULL;
        fail(r, 500, "InternalError", "We encountered an internal error reading the object.");
        return NULL;
    }
    errno = 0; /* a failure below is not the file's */
    struct MHD_Response *resp = MHD_create_response_from_buffer((size_t)len, buf, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        free(buf);
    return resp;
}

/* One attempt of GetObject/HeadObject inside the read transaction: 1 answered or failed (recorded),
 * 0 the object's file was gone when it was opened (replaced after its row was read: read again). */
static int get_serve(struct rq *r, struct sse_mode *given, const char *vid, int rc, struct objrow *o0);
static struct MHD_Response *mapped_response(int fd, int64_t from, int64_t len);

/* joined: the bucket and object rows come from one statement, which is the whole snapshot only
 * for the current version in a bucket without versioning or any document (policy, lifecycle,
 * lock...): otherwise -1, nothing recorded, and the caller asks again in a read transaction. Rows
 * read so are kept in hotrows when cache (count: the store's change count from before the read). */
static int get_once(struct rq *r, struct sse_mode *given, bool joined, uint64_t count, bool cache)
{
    const char *vid = qget(r, "versionId");
    struct objrow o = {0};
    int rc = 0;
    int brc = joined ? load_bucket_object(r->bucket, r->key, &r->b, &o, &rc) : load_bucket(r->bucket, &r->b);
    if (joined && brc == 1 && (vid || !r->b.no_config || r->b.versioning[0])) {
        if (rc == 1)
            objrow_free(&o);
        return -1;
    }
    if (brc != 1) {
        if (brc == 0)
            fail(r, 404, "NoSuchBucket", "The specified bucket does not exist");
        else
            fail_store(r);
        return 1;
    }
    r->have_bucket = true;
    r->snapshot = joined || r->read_txn;
    if (wrong_bucket_owner(r)) {
        if (rc == 1)
            objrow_free(&o);
        return 1;
    }
    if (!joined && (rc = load_version(r->bucket, r->key, vid, &o)) < 0) {
        fail_store(r);
        return 1;
    }
    if (joined && cache && rc == 1)
        hotrows_put(count, &r->b, r->key, &o);
    return get_serve(r, given, vid, rc, &o);
}

/* The rest of a GET/HEAD once its rows are read (r->b, and *o when rc is 1): 1 answered or failed
 * (recorded), 0 the object's file was gone when it was opened (replaced after its row was read). */
static int get_serve(struct rq *r, struct sse_mode *given, const char *vid, int rc, struct objrow *o0)
{
    struct objrow o = *o0;
    /* a missing key is told only to who may read the bucket: to anyone else it is AccessDenied */
    /* ... or to who the bucket's policy lets list it under the key (s3:ListBucket, as S3) */
    int ok = rc == 0 && !vid && bucket_policy_lists(r, &r->b, r->key) == 1
                 ? 1
                 : authorize(r, r->op->action, &r->b, r->key, r->op->flags, rc == 1 ? &o : NULL);
    r->meter = ok == 1 ? METER_ALLOWED : ok == 0 ? METER_DENIED : METER_NONE;
    if (ok != 1) {
        objrow_free(&o);
        return 1;
    }
    if (rc == 0) {
        if (vid)
            fail(r, 404, "NoSuchVersion", "The specified version does not exist.");
        else
            fail(r, 404, "NoSuchKey", "The specified key does not exist.");
        return 1;
    }
    if (o.marker) {
        fail_delete_marker(r, &o, vid != NULL);
        objrow_free(&o);
        return 1;
    }
    if (vid || r->b.versioning[0])
        str_copy(r->version_id, sizeof r->version_id, o.version_id);
    int cond = read_conditions(r, &o);
    if (cond) {
        if (cond == 304) {
            add_header(r, "ETag", "\"%s\"", o.etag);
            char lm[40];
            http_date(o.mtime / 1000, lm);
            add_header(r, "Last-Modified", "%s", lm);
            send_empty(r, 304);
        } else {
            fail(r, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
        }
        objrow_free(&o);
        return 1;
    }
    int64_t from = 0, len = o.size, nparts = 0;
    int pr = parse_range(hdr_in(r, "Range"), o.size, &from, &len);
    const char *pn = qget(r, "partNumber");
    if (pn) {
        if (part_span(r, &o, pn, &from, &len, &nparts) != 0) {
            objrow_free(&o);
            return 1;
        }
        pr = o.parts ? 1 : 0; /* a part of a multipart object is answered as a range */
    }
    if (pr < 0) {
        add_header(r, "Content-Range", "bytes */%lld", (long long)o.size);
        objrow_free(&o);
        fail(r, 416, "InvalidRange", "The requested range is not satisfiable");
        return 1;
    }
    if (sse_check_object(r, &o, given) != 0) { /* an SSE-C object only to who has its key */
        objrow_free(&o);
        return 1;
    }
    bool head = strcmp(r->method, "HEAD") == 0;
    /* a plain small body is read now (through the engine's cache of small files); anything else
     * is answered from a descriptor of its own */
    bool small = !o.sse && !head && len <= SMALL_OBJECT;
    struct MHD_Response *resp = NULL;
    int h = -1;
    if (small) {
        resp = small_response(r, &o, from, len);
        if (!resp && errno == ENOENT && !r->err_status) {
            objrow_free(&o);
            return 0;
        }
    } else if ((h = engine_open(o.file)) < 0) {
        objrow_free(&o);
        if (errno == ENOENT)
            return 0;
        log_error("object store: open %s: %s", o.file, strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return 1;
    }
    int64_t size; /* a plain file of another size than its row (damaged) would end a body early or fault a mapping */
    bool removed;
    if (h >= 0 && !o.sse && engine_stat(h, &size, &removed) == 0 && size != o.size) {
        log_error("object store: %s holds %lld bytes, its row says %lld: damaged, not served", o.file, (long long)size,
                  (long long)o.size);
        engine_close(h);
        objrow_free(&o);
        fail(r, 500, "InternalError", "The object's data is damaged on this server.");
        return 1;
    }
    /* a backend without local descriptors sends plain bodies through the reader too (no sendfile) */
    int fd = h >= 0 ? engine_descriptor(h) : -1;
    struct sse_reader *rd = NULL;
    if (o.sse && !(rd = sse_open_object(r, &o, given, h))) { /* h closed */
        objrow_free(&o);
        return 1;
    }
    if (!o.sse && h >= 0 && fd < 0 && !(rd = sse_reader_new(h, NULL, NULL, 0))) {
        objrow_free(&o);
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return 1;
    }
    object_headers(r, &o, pr != 1);
    version_headers(r);
    lock_headers(r, o.version_id);
    sse_headers(r, o.sse, given);
    if (nparts)
        add_header(r, "x-amz-mp-parts-count", "%lld", (long long)nparts);
    if (pr == 1)
        add_header(r, "Content-Range", "bytes %lld-%lld/%lld", (long long)from, (long long)(from + len - 1),
                   (long long)o.size);
    objrow_free(&o);
    if (rd) {
        resp = decrypted_response(r, rd, from, len);
        if (!resp && r->err_status)
            return 1;
    } else if (small) {
        if (!resp) {
            if (!r->err_status)
                fail(r, 500, "InternalError", "We encountered an internal error reading the object.");
            return 1;
        }
    } else if (!head && len >= MAPPED_OBJECT) {
        resp = mapped_response(fd, from, len);
    } else {
        resp = MHD_create_response_from_fd_at_offset64((uint64_t)len, fd, (uint64_t)from);
        if (!resp)
            close(fd);
    }
    if (!head)
        r->bytes_out += (uint64_t)len;
    queue(r, pr == 1 ? 206 : 200, resp);
    return 1;
}

/* A large plain body is sent from a mapping of its file: libmicrohttpd then writes it in as few
 * calls as the socket takes, where its sendfile path stops at 128 KiB a call (its epoll mode).
 * Object files are never changed in place (a new version is a new file renamed over), so the
 * mapping stays the object's bytes even if the file is replaced or removed meanwhile (a file
 * shorter than its row, damaged, is refused before: get_serve). */
struct mapping {
    void *addr;
    size_t len;
};

static void unmap(void *cls)
{
    struct mapping *m = cls;
    munmap(m->addr, m->len);
    free(m);
}

static struct MHD_Response *mapped_response(int fd, int64_t from, int64_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    int64_t start = from - from % page;
    struct mapping *m = malloc(sizeof *m);
    void *addr = m ? mmap(NULL, (size_t)(len + (from - start)), PROT_READ, MAP_SHARED, fd, (off_t)start) : MAP_FAILED;
    if (addr == MAP_FAILED) { /* the descriptor path always works */
        free(m);
        struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64((uint64_t)len, fd, (uint64_t)from);
        if (!resp)
            close(fd);
        return resp;
    }
    close(fd);
    m->addr = addr;
    m->len = (size_t)(len + (from - start));
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback_cls((size_t)len, (char *)addr + (from - start), unmap, m);
    if (!resp)
        unmap(m);
    return resp;
}

void op_get_object(struct rq *r)
{
    if (r->auth == AUTH_ANON)
        for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++)
            if (qhas(r, overrides[i].param)) {
                fail(r, 400, "InvalidRequest",
                     "Request specific response headers cannot be used for anonymous GET requests.");
                return;
            }
    struct sse_mode given; /* an SSE-C key; naming SSE-S3/KMS on a read is refused */
    if (sse_request_read(r, "", &given) != 0)
        return;
    /* Everything a GET reads from the store (the bucket and object rows, the bucket's policy,
     * lifecycle and lock settings) comes from one snapshot: one statement when that is all there is
     * to read, else one read transaction, one round of locks. A file gone when it is opened (replaced after its row was
     * read) is read again in a new one. */
    int done = -1;
    uint64_t count = 0;
    bool cache = !qhas(r, "versionId") && hotrows_count(&count);
    struct objrow o;
    if (cache && hotrows_get(r->bucket, r->key, &r->b, &o) == 1) {
        r->have_bucket = r->snapshot = true;
        if (wrong_bucket_owner(r)) {
            objrow_free(&o);
            return;
        }
        done = get_serve(r, &given, NULL, 1, &o);
    }
    if (done == -1 || done == 0) {
        r->snapshot = false;
        done = get_once(r, &given, true, count, cache);
    }
    r->snapshot = false;
    if (done == 1)
        return;
    for (int attempt = 0; attempt < 3; attempt++) {
        meta_read_begin(r);
        done = get_once(r, &given, false, 0, false);
        end_read_txn(r);
        r->snapshot = false;
        if (done)
            return;
    }
    fail(r, 503, "SlowDown", "The object is being replaced; please retry.");
}

/* GetObjectAttributes: the attributes x-amz-object-attributes names (ETag, Checksum, ObjectParts,
 * StorageClass, ObjectSize); parts paged by x-amz-max-parts / x-amz-part-number-marker. */
void op_get_object_attributes(struct rq *r)
{
    const char *want = hdr_amz(r, "object-attributes");
    if (!want || !*want) {
        fail(r, 400, "InvalidArgument",
             "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty");
        return;
    }
    const char *mp = hdr_amz(r, "max-parts"), *marker = hdr_amz(r, "part-number-marker");
    long max = mp ? strtol(mp, NULL, 10) : 1000, after = marker ? strtol(marker, NULL, 10) : 0;
    if (max < 0 || max > 1000)
        max = 1000;
    if (after < 0)
        after = 0;
    struct objrow o = {0};
    struct sse_mode given;
    if (sse_request_read(r, "", &given) != 0 || load_request_object(r, &o) != 0)
        return;
    if (sse_check_object(r, &o, &given) != 0) { /* an SSE-C object's attributes need its key too */
        objrow_free(&o);
        return;
    }
    if (qhas(r, "versionId") || r->b.versioning[0])
        add_header(r, "x-amz-version-id", "%s", o.version_id);
    struct xmlw w;
    xmlw_init(&w, 1u << 20);
    xmlw_open_ns(&w, "GetObjectAttributesResponse", S3_NS);
    if (strcasestr(want, "ETag"))
        xmlw_element(&w, "ETag", o.etag);
    const char *colon = strchr(o.checksum, ':');
    if (strcasestr(want, "Checksum") && colon) {
        char name[48] = "Checksum";
        for (size_t i = 0; o.checksum + i < colon && i < 30; i++)
            name[8 + i] = (char)toupper((unsigned char)o.checksum[i]), name[9 + i] = 0;
        xmlw_open(&w, "Checksum");
        xmlw_element(&w, name, colon + 1);
        xmlw_close(&w);
    }
    if (strcasestr(want, "ObjectParts") && o.parts) {
        xmlw_open(&w, "ObjectParts");
        long n = 1, shown = 0, last = after;
        for (const char *p = o.parts; *p; n++) {
            char *end = NULL;
            long long size = strtoll(p, &end, 10);
            if (n > after && shown < max) {
                xmlw_open(&w, "Part");
                xmlw_element_u64(&w, "PartNumber", (uint64_t)n);
                xmlw_element_u64(&w, "Size", (uint64_t)size);
                if (*end == '/' && colon) { /* the part's checksum, of an upload with an algorithm */
                    char name[48] = "Checksum", ck[CHECKSUM_MAX_BASE64];
                    for (size_t i = 0; o.checksum + i < colon && i < 30; i++)
                        name[8 + i] = (char)toupper((unsigned char)o.checksum[i]);
                    snprintf(ck, sizeof ck, "%.*s", (int)strcspn(end + 1, ","), end + 1);
                    xmlw_element(&w, name, ck);
                }
                xmlw_close(&w);
                shown++;
                last = n;
            }
            if (end == p)
                break;
            end += strcspn(end, ",");
            p = *end == ',' ? end + 1 : end;
        }
        long total = n - 1;
        xmlw_element_u64(&w, "PartsCount", (uint64_t)total); /* the SDKs read TotalPartsCount from this */
        xmlw_element_u64(&w, "PartNumberMarker", (uint64_t)after);
        xmlw_element_u64(&w, "NextPartNumberMarker", (uint64_t)last);
        xmlw_element_u64(&w, "MaxParts", (uint64_t)max);
        xmlw_element_bool(&w, "IsTruncated", last < total);
        xmlw_close(&w);
    }
    if (strcasestr(want, "StorageClass"))
        xmlw_element(&w, "StorageClass", "STANDARD");
    if (strcasestr(want, "ObjectSize"))
        xmlw_element_u64(&w, "ObjectSize", (uint64_t)o.size);
    char lm[40];
    http_date(o.mtime / 1000, lm);
    add_header(r, "Last-Modified", "%s", lm);
    objrow_free(&o);
    send_xml(r, 200, &w);
}
