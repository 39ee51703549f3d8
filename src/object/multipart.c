/*
 * multipart: CreateMultipartUpload, UploadPart (streamed like PutObject), UploadPartCopy,
 * CompleteMultipartUpload (the parts assembled into one file, so a GET stays one sendfile; the
 * ETag is S3's MD5 of the parts' MD5s), Abort, ListParts and ListMultipartUploads.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "object/object_int.h"

struct part_row {
    int number;
    int64_t size;
    char etag[40], file[ENGINE_ID_LEN + 8];
};

void op_create_multipart(struct rq *r)
{
    struct sse_mode m; /* the upload's data key is made now; each part is encrypted with it */
    if (sse_request_write(r, &m) != 0 || sse_bucket_default(r, &m) != 0 ||
        (m.kind != SSE_NONE && sse_start_new(r, &m, false) != 0))
        return;
    struct object_settings set;
    struct lock_settings lock;
    const char *owner = NULL;
    if (lock_from_headers(r, &lock) != 0 || lock_check_request(r, &lock) != 0 || request_settings(r, &set) != 0)
        return;
    if (acl_object_owner(r, set.acl, &owner) != 0) {
        object_settings_free(&set);
        return;
    }
    uint8_t raw[16];
    char id[33];
    random_bytes(raw, sizeof raw);
    hex_encode(raw, sizeof raw, id);
    const char *algo = hdr_amz(r, "checksum-algorithm");
    struct new_object n = {.content_type = content_type_of(r),
                           .headers = set.headers,
                           .meta = set.meta,
                           .tags = set.tags,
                           .acl = set.acl,
                           .sse = r->sse_desc,
                           .lock = &lock,
                           .owner = owner};
    if (meta_create_upload(r, id, &n, r->auth == AUTH_ANON ? "anonymous" : r->who.user_uin, algo) != 0) {
        /* failure recorded */
    } else {
        struct xmlw w;
        xmlw_init(&w, 8192);
        xmlw_open_ns(&w, "InitiateMultipartUploadResult", S3_NS);
        xmlw_element(&w, "Bucket", r->bucket);
        xmlw_element(&w, "Key", r->key);
        xmlw_element(&w, "UploadId", id);
        if (algo)
            add_header(r, "x-amz-checksum-algorithm", "%s", algo);
        sse_headers(r, r->sse_desc, &r->sse);
        send_xml(r, 200, &w);
    }
    object_settings_free(&set);
}

static int part_number(struct rq *r)
{
    const char *p = qget(r, "partNumber");
    char *end;
    long n = p ? strtol(p, &end, 10) : 0;
    if (!p || *end || n < 1 || n > 10000) {
        fail(r, 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
        return -1;
    }
    return (int)n;
}

/* A part of an encrypted upload is encrypted with the upload's data key as a run of its own (an
 * SSE-C upload's parts each carry the customer key). The SSE-S3/KMS headers of an UploadPart are
 * not read: the upload's encryption is the one CreateMultipartUpload chose. 0, or -1 (recorded). */
static int part_encryption(struct rq *r, int number)
{
    struct sse_mode given;
    char *desc = NULL;
    int rc = -1;
    if (sse_request_customer(r, "", &given) != 0 || meta_upload_sse(r, &desc) != 0)
        return -1;
    if (!desc && given.kind == SSE_C)
        fail(r, 400, "InvalidRequest", "The multipart upload was not created with a customer-provided key.");
    else
        rc = desc ? sse_start_part(r, desc, &given, (uint32_t)number) : 0;
    free(desc);
    return rc;
}

void upload_part_begin(struct rq *r)
{
    int number = part_number(r);
    if (number < 0 || check_upload(r) != 1 || body_begin(r, SINK_FILE, MAX_PART_BYTES) != 0)
        return;
    part_encryption(r, number);
}

void op_upload_part(struct rq *r)
{
    char etag[33], ck[128];
    uint8_t raw[16];
    if (body_finish(r, etag, raw, ck, sizeof ck) != 0 || sse_finish(r) != 0)
        return;
    if (engine_tmp_sync(&r->file) != 0) {
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return;
    }
    if (commit_part(r, part_number(r), (int64_t)r->decoded, etag, ck[0] ? ck : NULL) == 0) {
        add_header(r, "ETag", "\"%s\"", etag);
        sse_headers(r, r->sse_desc, &r->sse);
        checksum_header(r, ck[0] ? ck : NULL);
        send_empty(r, 200);
    }
}

void op_upload_part_copy(struct rq *r)
{
    int number = part_number(r);
    if (number < 0 || check_upload(r) != 1)
        return;
    struct objrow o = {0};
    char sbucket[64];
    char *skey = NULL;
    struct sse_mode src_key;
    if (copy_source(r, &o, sbucket, sizeof sbucket, &skey) == 0) {
        int64_t from = 0, len = o.size;
        const char *range = hdr_amz(r, "copy-source-range");
        long long first = 0, last = 0;
        if (range && sscanf(range, "bytes=%lld-%lld", &first, &last) == 2 && first >= 0 && first <= last &&
            last >= o.size) {
            /* unlike a GET's Range, a copy range is not cut to the object: it must lie inside it */
            fail(r, 416, "InvalidRange", "The requested range is not satisfiable");
        } else if (range && parse_range(range, o.size, &from, &len) != 1) {
            fail(r, 400, "InvalidArgument",
                 "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the "
                 "zero-based offsets of the first and last bytes to copy");
        } else if (engine_tmp_create(&r->file) != 0) {
            fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        } else if (sse_request_read(r, "copy-source-", &src_key) != 0 || part_encryption(r, number) != 0) {
            /* recorded: the source's SSE-C key, or the upload's */
        } else {
            /* the part's ETag is the MD5 of its bytes: read them back (decrypted) while copying */
            int h = engine_open(o.file);
            struct sse_reader *rd = h < 0 ? NULL : sse_open_object(r, &o, &src_key, h);
            EVP_MD_CTX *md = EVP_MD_CTX_new();
            int bad = !rd || !md || EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1 ||
                      sse_copy(r, rd, (uint64_t)from, (uint64_t)len, md) != 0;
            sse_reader_free(rd);
            char etag[33];
            uint8_t raw[16];
            if (!bad)
                md5_hex(md, etag, raw);
            EVP_MD_CTX_free(md);
            if (r->err_status) {
                /* recorded */
            } else if (bad || engine_tmp_sync(&r->file) != 0) {
                fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
            } else if (commit_part(r, number, len, etag, NULL) == 0) {
                struct xmlw w;
                char t[40], q[40];
                iso_ms(now_ms(), t);
                snprintf(q, sizeof q, "\"%s\"", etag);
                sse_headers(r, r->sse_desc, &r->sse);
                xmlw_init(&w, 4096);
                xmlw_open_ns(&w, "CopyPartResult", S3_NS);
                xmlw_element(&w, "LastModified", t);
                xmlw_element(&w, "ETag", q);
                send_xml(r, 200, &w);
            }
        }
    }
    free(skey);
    objrow_free(&o);
}

static void complete_result(struct rq *r, const char *etag, const char *checksum)
{
    struct xmlw w;
    char q2[96], loc[1200];
    snprintf(q2, sizeof q2, "\"%s\"", etag);
    snprintf(loc, sizeof loc, "/%s/%s", r->bucket, r->key);
    xmlw_init(&w, 8192);
    xmlw_open_ns(&w, "CompleteMultipartUploadResult", S3_NS);
    xmlw_element(&w, "Location", loc);
    xmlw_element(&w, "Bucket", r->bucket);
    xmlw_element(&w, "Key", r->key);
    xmlw_element(&w, "ETag", q2);
    const char *colon = checksum ? strchr(checksum, ':') : NULL;
    if (colon && colon - checksum < 16) { /* "sha256:..." -> <ChecksumSHA256> */
        char name[32] = "Checksum";
        for (size_t i = 0; checksum + i < colon; i++)
            name[8 + i] = (char)toupper((unsigned char)checksum[i]);
        xmlw_element(&w, name, colon + 1);
        checksum_header(r, checksum);
    }
    version_headers(r);
    send_xml(r, 200, &w);
}

/* An upload created with x-amz-checksum-algorithm: every listed part must have been uploaded with
 * a checksum, and one the Complete names must be that one, and the object's is S3's composite one, the algorithm over
 * the parts' digests with "-N" (checked against the request's x-amz-checksum-<algo> if sent). 0, or -1 (recorded). */
static int composite_checksum(struct rq *r, const struct upload_row *u, const struct s3xml_complete *cm, char out[96],
                              char (*each)[CHECKSUM_MAX_BASE64])
{
    enum checksum_algo algo = checksum_algo_from_name(u->algo);
    const char *hname = checksum_header_name(algo);
    struct checksum c;
    if (!hname || checksum_init(&c, algo) != 0)
        return 0; /* an algorithm the upload named but this store does not compute: no checksum */
    int rc = 0;
    for (size_t i = 0; i < cm->n && rc == 0; i++) {
        char stored[96];
        uint8_t raw[CHECKSUM_MAX_DIGEST];
        int found = meta_part_checksum(qget(r, "uploadId"), cm->parts[i].number, stored);
        const char *colon = strchr(stored, ':');
        long n = colon ? obj_base64_decode(colon + 1, strlen(colon + 1), raw, sizeof raw) : -1;
        if (found < 0) {
            fail_store(r);
            rc = -1;
        } else if (n <= 0 || (cm->parts[i].checksum_value && strcmp(cm->parts[i].checksum_value, colon + 1) != 0)) {
            /* a part listed without its checksum is taken with the one it was uploaded with */
            fail(r, 400, "BadDigest",
                 "The checksum of a part is missing or does not match the one it was uploaded with.");
            rc = -1;
        } else {
            checksum_update(&c, raw, (size_t)n);
            snprintf(each[i], CHECKSUM_MAX_BASE64, "%s", colon + 1);
        }
    }
    if (rc == 0) {
        uint8_t d[CHECKSUM_MAX_DIGEST];
        char b64[CHECKSUM_MAX_BASE64];
        obj_base64_encode(d, checksum_final(&c, d), b64);
        snprintf(out, 96, "%s:%s-%zu", hname + 15, b64, cm->n);
        const char *want = hdr_in(r, hname);
        if (want && strcmp(want, strchr(out, ':') + 1) != 0) {
            fail(r, 400, "BadDigest", "The checksum you specified did not match the calculated checksum.");
            rc = -1;
        }
    }
    checksum_free(&c);
    return rc;
}

void op_complete_multipart(struct rq *r)
{
    struct s3xml_complete cm;
    enum s3xml_status st = s3xml_parse_complete(r->body.p ? r->body.p : "", r->body.len, &cm);
    if (st != S3XML_OK) {
        const struct s3xml_error *e = s3xml_error_of(st);
        fail(r, e->http_status, e->code, e->message);
        return;
    }
    struct part_row *parts = NULL;
    char(*part_cks)[CHECKSUM_MAX_BASE64] = NULL; /* the parts' checksums, of an upload with an algorithm */
    struct upload_row u = {.acl = "private"};
    char *part_sizes = NULL, *upload_sse = NULL, *object_sse = NULL;
    if (cm.n == 0) {
        fail_malformed(r);
        goto out;
    }
    /* S3 answers a CompleteMultipartUpload repeated after success (a client retrying a lost
     * answer) with the same result, as long as the object it made is still there */
    char prev[80], prev_ck[96], composite[96] = "";
    int done = meta_completed_etag(r, prev, prev_ck);
    if (done == 1)
        complete_result(r, prev, prev_ck);
    if (done != 0 || check_upload(r) != 1 || meta_upload_settings(r, &u) != 0)
        goto out;
    parts = calloc(cm.n, sizeof *parts);
    if (!parts) {
        fail(r, 500, "InternalError", "out of memory");
        goto out;
    }
    uint64_t min_part = r->auth == AUTH_COS ? MIN_PART_COS : MIN_PART_S3;
    for (size_t i = 0; i < cm.n; i++) {
        int rc = meta_part(qget(r, "uploadId"), cm.parts[i].number, &parts[i].size, parts[i].etag, parts[i].file);
        char want[80];
        strip_quotes(cm.parts[i].etag ? cm.parts[i].etag : "", want, sizeof want);
        parts[i].number = cm.parts[i].number;
        if (rc < 0) {
            fail_store(r);
            goto out;
        }
        if (rc == 0 || strcmp(want, parts[i].etag) != 0) {
            fail(r, 400, "InvalidPart",
                 "One or more of the specified parts could not be found. The part may not have been uploaded, or the "
                 "specified entity tag may not match the part's entity tag.");
            goto out;
        }
        if (i + 1 < cm.n && (uint64_t)parts[i].size < min_part) {
            fail(r, 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
            goto out;
        }
    }
    if (u.algo[0] &&
        (!(part_cks = calloc(cm.n, sizeof *part_cks)) || composite_checksum(r, &u, &cm, composite, part_cks) != 0)) {
        if (!part_cks)
            fail(r, 500, "InternalError", "out of memory");
        goto out;
    }
    /* an encrypted upload's parts are runs of their own: the object's descriptor lists their part
     * numbers, each run keeps the salt it was written with */
    struct sse_mode given; /* an SSE-C upload is completed by who has its key (as AWS now asks) */
    if (sse_request_customer(r, "", &given) != 0 || meta_upload_sse(r, &upload_sse) != 0 ||
        (upload_sse && sse_check_desc(r, upload_sse, &given) != 0))
        goto out;
    if (upload_sse) {
        int *numbers = calloc(cm.n, sizeof *numbers);
        for (size_t i = 0; numbers && i < cm.n; i++)
            numbers[i] = parts[i].number;
        object_sse = numbers ? sse_with_runs(upload_sse, numbers, cm.n) : NULL;
        free(numbers);
        if (!object_sse) {
            fail(r, 500, "InternalError", "out of memory");
            goto out;
        }
    }
    /* assemble: the object is one file, so GETs stay a single sendfile (or one decrypting read) */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int bad = !md || EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1 || engine_tmp_create(&r->file) != 0;
    int64_t total = 0;
    struct obj_buf sizes;
    obj_buf_init(&sizes, (size_t)cm.n * (21 + CHECKSUM_MAX_BASE64) + 1);
    for (size_t i = 0; !bad && i < cm.n; i++) {
        char num[24 + CHECKSUM_MAX_BASE64];
        snprintf(num, sizeof num, "%s%lld%s%s", i ? "," : "", (long long)parts[i].size, part_cks ? "/" : "",
                 part_cks ? part_cks[i] : "");
        obj_buf_puts(&sizes, num);
        uint8_t raw[16];
        if (hex_decode(parts[i].etag, raw, 16) != 0 ||
            engine_copy_range(&r->file, parts[i].file, 0,
                              upload_sse ? sse_run_stored((uint64_t)parts[i].size) : (uint64_t)parts[i].size) != 0)
            bad = 1;
        EVP_DigestUpdate(md, raw, 16);
        total += parts[i].size;
    }
    const char *sz = obj_buf_str(&sizes);
    if (!sz || !(part_sizes = strdup(sz)))
        bad = 1;
    obj_buf_free(&sizes);
    char etag[48] = "";
    if (!bad) {
        uint8_t raw[16];
        char hex[33];
        md5_hex(md, hex, raw);
        snprintf(etag, sizeof etag, "%s-%zu", hex, cm.n);
    }
    EVP_MD_CTX_free(md);
    if (bad || engine_tmp_sync(&r->file) != 0) {
        log_error("object store: complete: %s", strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        goto out;
    }
    struct new_object n = {.file = r->file.id,
                           .size = total,
                           .etag = etag,
                           .content_type = u.content_type,
                           .headers = u.headers,
                           .meta = u.meta,
                           .tags = u.tags,
                           .acl = u.acl,
                           .owner = u.owner[0] ? u.owner : NULL,
                           .conditional = true,
                           .parts = part_sizes,
                           .checksum = composite[0] ? composite : NULL,
                           .sse = object_sse,
                           .upload_id = qget(r, "uploadId")};
    if (meta_complete_upload(r, &n) != 0)
        goto out;
    r->file.id[0] = 0;
    sse_headers(r, object_sse, &given);
    complete_result(r, etag, n.checksum);
out:
    free(upload_sse);
    free(object_sse);
    free(part_cks);
    free(part_sizes);
    free(parts);
    upload_row_free(&u);
    s3xml_complete_free(&cm);
}

void op_abort_multipart(struct rq *r)
{
    if (meta_abort_upload(r) == 0)
        send_empty(r, 204);
}

/* The page being written by ListParts or ListMultipartUploads. */
struct upload_page {
    struct xmlw *w;
    size_t n, max;
    bool truncated, url;
    int64_t last_part;
    char last_key[MAX_KEY_BYTES + 1], last_id[40];
};

static bool part_entry(void *arg, const struct part_entry *e)
{
    struct upload_page *p = arg;
    if (p->n == p->max) {
        p->truncated = true;
        return false;
    }
    p->n++;
    p->last_part = e->number;
    char t[40], etag[48];
    iso_ms(e->mtime, t);
    snprintf(etag, sizeof etag, "\"%s\"", e->etag);
    xmlw_open(p->w, "Part");
    xmlw_element_u64(p->w, "PartNumber", (uint64_t)e->number);
    xmlw_element(p->w, "LastModified", t);
    xmlw_element(p->w, "ETag", etag);
    xmlw_element_u64(p->w, "Size", (uint64_t)e->size);
    xmlw_close(p->w);
    return true;
}

void op_list_parts(struct rq *r)
{
    struct upload_row u = {0};
    if (check_upload(r) != 1 || meta_upload_settings(r, &u) != 0)
        return;
    char owner[24];
    snprintf(owner, sizeof owner, "%s", u.owner[0] ? u.owner : r->b.owner_uin);
    upload_row_free(&u);
    size_t max = max_keys_param(r, "max-parts", LIST_MAX);
    if (max == (size_t)-1)
        return;
    const char *m = qget(r, "part-number-marker");
    int64_t marker = m ? strtoll(m, NULL, 10) : 0;
    struct xmlw w;
    xmlw_init(&w, 16u << 20);
    xmlw_open_ns(&w, "ListPartsResult", S3_NS);
    xmlw_element(&w, "Bucket", r->bucket);
    xmlw_element(&w, "Key", r->key);
    xmlw_element(&w, "UploadId", qget(r, "uploadId"));
    xmlw_element_u64(&w, "PartNumberMarker", (uint64_t)marker);
    xmlw_element_u64(&w, "MaxParts", max);
    xmlw_element(&w, "StorageClass", "STANDARD");
    xml_owner(&w, owner);
    xmlw_open(&w, "Initiator");
    xmlw_element(&w, "ID", owner);
    xmlw_element(&w, "DisplayName", owner);
    xmlw_close(&w);
    struct upload_page p = {.w = &w, .max = max};
    if (meta_each_part(qget(r, "uploadId"), marker, (int64_t)max + 1, part_entry, &p) != 0) {
        xmlw_free(&w);
        fail_store(r);
        return;
    }
    if (p.truncated)
        xmlw_element_u64(&w, "NextPartNumberMarker", (uint64_t)p.last_part);
    xmlw_element_bool(&w, "IsTruncated", p.truncated);
    send_xml(r, 200, &w);
}

static bool upload_entry(void *arg, const struct upload_entry *e)
{
    struct upload_page *p = arg;
    if (p->n == p->max) {
        p->truncated = true;
        return false;
    }
    p->n++;
    snprintf(p->last_key, sizeof p->last_key, "%s", e->key);
    snprintf(p->last_id, sizeof p->last_id, "%s", e->upload_id);
    char t[40];
    iso_ms(e->initiated, t);
    xmlw_open(p->w, "Upload");
    xml_key(p->w, "Key", p->last_key, p->url);
    xmlw_element(p->w, "UploadId", p->last_id);
    xmlw_open(p->w, "Initiator");
    xmlw_element(p->w, "ID", e->initiator);
    xmlw_element(p->w, "DisplayName", e->initiator);
    xmlw_close(p->w);
    xml_owner(p->w, e->initiator); /* S3: the upload's owner is who initiated it */
    xmlw_element(p->w, "StorageClass", "STANDARD");
    xmlw_element(p->w, "Initiated", t);
    xmlw_close(p->w);
    return true;
}

void op_list_multipart_uploads(struct rq *r)
{
    size_t max = max_keys_param(r, "max-uploads", LIST_MAX);
    if (max == (size_t)-1)
        return;
    const char *prefix = qget(r, "prefix") ? qget(r, "prefix") : "";
    const char *km = qget(r, "key-marker") ? qget(r, "key-marker") : "";
    const char *um = qget(r, "upload-id-marker") ? qget(r, "upload-id-marker") : "";
    bool url = url_encoding(r);
    struct xmlw w;
    xmlw_init(&w, 16u << 20);
    xmlw_open_ns(&w, "ListMultipartUploadsResult", S3_NS);
    xmlw_element(&w, "Bucket", r->bucket);
    xml_key(&w, "KeyMarker", km, url);
    xmlw_element(&w, "UploadIdMarker", um);
    xml_key(&w, "Prefix", prefix, url);
    xmlw_element_u64(&w, "MaxUploads", max);
    if (url)
        xmlw_element(&w, "EncodingType", "url");
    struct upload_page p = {.w = &w, .max = max, .url = url};
    if (meta_each_upload(r->bucket, prefix, km, um, (int64_t)max + 1, upload_entry, &p) != 0) {
        xmlw_free(&w);
        fail_store(r);
        return;
    }
    if (p.truncated) {
        xml_key(&w, "NextKeyMarker", p.last_key, url);
        xmlw_element(&w, "NextUploadIdMarker", p.last_id);
    }
    xmlw_element_bool(&w, "IsTruncated", p.truncated);
    send_xml(r, 200, &w);
}
