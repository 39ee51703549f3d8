/*
 * object: the object writes: PutObject (its body streamed by body.c), CopyObject (from a version
 * too), DeleteObject(s) (a version, or a delete marker in a versioned bucket), and the tags and
 * canned ACL of an object or one of its versions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/object_int.h"

/* The encryption the request asks for, or the bucket's default, is set up before the first byte:
 * the body is encrypted as it streams into the temp file. */
void put_object_begin(struct rq *r)
{
    struct sse_mode m;
    if (sse_request_write(r, &m) != 0 || sse_bucket_default(r, &m) != 0 || body_begin(r, SINK_FILE, MAX_PUT_BYTES) != 0)
        return;
    if (m.kind != SSE_NONE)
        sse_start_new(r, &m, true);
}

void op_put_object(struct rq *r)
{
    char etag[33], ck[128];
    uint8_t raw[16];
    if (body_finish(r, etag, raw, ck, sizeof ck) != 0 || sse_finish(r) != 0)
        return;
    struct object_settings set;
    struct lock_settings lock;
    const char *owner = NULL;
    if (lock_from_headers(r, &lock) != 0 || request_settings(r, &set) != 0)
        return;
    if (acl_object_owner(r, set.acl, &owner) != 0) {
        /* recorded */
    } else if (engine_tmp_sync(&r->file) != 0) {
        log_error("object store: fsync: %s", strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    } else {
        struct new_object n = {.file = r->file.id,
                               .size = (int64_t)r->decoded,
                               .etag = etag,
                               .content_type = content_type_of(r),
                               .headers = set.headers,
                               .meta = set.meta,
                               .tags = set.tags,
                               .acl = set.acl,
                               .owner = owner,
                               .checksum = ck[0] ? ck : NULL,
                               .sse = r->sse_desc,
                               .conditional = true,
                               .lock = &lock};
        if (commit_object(r, &n) == 0) {
            r->file.id[0] = 0; /* committed: no longer ours to discard */
            add_header(r, "ETag", "\"%s\"", etag);
            sse_headers(r, r->sse_desc, &r->sse);
            checksum_header(r, n.checksum);
            version_headers(r);
            lifecycle_header(r, r->b.id, now_ms(), n.size, n.tags);
            send_empty(r, 200);
        }
    }
    object_settings_free(&set);
}

/* Loads the copy source (its current version, or the one ?versionId names) the caller may read,
 * and tells its version id if it has one; 0 or -1 (recorded). */
int copy_source(struct rq *r, struct objrow *o, char *sbucket, size_t blen, char **skey)
{
    char vid[VERSION_ID_LEN + 8] = "";
    if (parse_copy_source(r, sbucket, blen, skey, vid, sizeof vid) != 0)
        return -1;
    struct bucket sb;
    int rc = load_bucket(sbucket, &sb);
    if (rc != 1) {
        if (rc == 0)
            fail(r, 404, "NoSuchBucket", "The specified bucket does not exist");
        else
            fail_store(r);
        return -1;
    }
    rc = load_version(sbucket, *skey, vid[0] ? vid : NULL, o);
    if (rc != 1 || (o->marker && !vid[0])) {
        if (rc == 0 && vid[0])
            fail(r, 404, "NoSuchVersion", "The specified version does not exist.");
        else if (rc >= 0)
            fail(r, 404, "NoSuchKey", "The specified key does not exist.");
        else
            fail_store(r);
        return -1;
    }
    if (o->marker) {
        fail(r, 400, "InvalidRequest",
             "The source of a copy request may not specifically refer to a delete marker by version id.");
        return -1;
    }
    char write_why[sizeof r->reason]; /* the destination write's decision (gateway), before the read's */
    memcpy(write_why, r->reason, sizeof write_why);
    if (authorize(r, "cos:GetObject", &sb, *skey, OP_PUBLIC_READ, o) != 1)
        return -1;
    if (strcmp(sb.region, r->b.region) != 0) { /* data leaving its region: the audit record says who allowed it */
        char line[1400];
        snprintf(line, sizeof line, "cross-region copy from %s (%s) into %s (%s): %s", sbucket, sb.region, r->b.name,
                 r->b.region, write_why[0] ? write_why : "no service control policy bounds the caller");
        str_copy(r->reason, sizeof r->reason, line);
    }
    if (vid[0] || sb.versioning[0])
        add_header(r, "x-amz-copy-source-version-id", "%s", o->version_id);
    return copy_conditions(r, o);
}

void op_copy_object(struct rq *r)
{
    struct objrow o = {0};
    char sbucket[64];
    char *skey = NULL;
    if (copy_source(r, &o, sbucket, sizeof sbucket, &skey) != 0) {
        free(skey);
        objrow_free(&o);
        return;
    }
    const char *directive = hdr_amz(r, "metadata-directive");
    bool replace = directive && strcasecmp(directive, "REPLACE") == 0;
    if (directive && !replace && strcasecmp(directive, "COPY") != 0) {
        fail(r, 400, "InvalidArgument", "Unknown metadata directive.");
        goto out;
    }
    /* the source is read with its SSE-C key (x-amz-copy-source-server-side-encryption-customer-*);
     * the copy is encrypted as the request (or the bucket's default) says, not as the source was */
    struct sse_mode src_key, dst;
    if (sse_request_read(r, "copy-source-", &src_key) != 0 || sse_check_object(r, &o, &src_key) != 0 ||
        sse_request_write(r, &dst) != 0)
        goto out;
    bool asks_encryption = dst.kind != SSE_NONE;
    if (sse_bucket_default(r, &dst) != 0)
        goto out;
    /* copying an older version onto its key restores it: that is no copy to itself */
    if (!replace && !asks_encryption && strcmp(sbucket, r->bucket) == 0 && strcmp(skey, r->key) == 0 &&
        !strstr(hdr_amz(r, "copy-source"), "versionId=")) {
        fail(r, 400, "InvalidRequest",
             "This copy request is illegal because it is trying to copy an object to itself without changing the "
             "object's metadata, storage class, website redirect location or encryption attributes.");
        goto out;
    }
    char *meta = NULL, *headers = NULL, *tags = NULL;
    if (replace && request_metadata(r, &meta, &headers) != 0) {
        fail(r, 400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.");
        goto out;
    }
    const char *tdir = hdr_amz(r, "tagging-directive");
    if (tdir && strcasecmp(tdir, "REPLACE") == 0) {
        if (header_tags(r, &tags) != 0) {
            fail(r, 400, "InvalidTag", "The tag provided was not a valid tag.");
            free(meta);
            free(headers);
            goto out;
        }
    } else if (o.tags) {
        tags = strdup(o.tags);
    }
    char acl[ACL_TEXT_MAX];
    const char *owner = NULL;
    struct lock_settings lock;
    if (acl_request(r, object_default_acl(r), NULL, acl, sizeof acl) < 0 || acl_object_owner(r, acl, &owner) != 0 ||
        lock_from_headers(r, &lock) != 0) {
        free(meta);
        free(headers);
        free(tags);
        goto out;
    }
    int copied = engine_tmp_create(&r->file);
    if (copied == 0 && !o.sse && dst.kind == SSE_NONE) {
        copied = engine_copy_range(&r->file, o.file, 0, (uint64_t)o.size); /* plain to plain: no bytes through us */
    } else if (copied == 0) {
        int h = engine_open(o.file);
        struct sse_reader *rd = h < 0 ? NULL : sse_open_object(r, &o, &src_key, h);
        copied = !rd || (dst.kind != SSE_NONE && sse_start_new(r, &dst, true) != 0) ||
                         sse_copy(r, rd, 0, (uint64_t)o.size, NULL) != 0
                     ? -1
                     : 0;
        sse_reader_free(rd);
    }
    if (r->err_status) {
        /* recorded */
    } else if (copied != 0 || engine_tmp_sync(&r->file) != 0) {
        log_error("object store: copy: %s", strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    } else {
        struct new_object n = {.file = r->file.id,
                               .size = o.size,
                               .etag = o.etag,
                               .content_type = replace ? content_type_of(r) : o.content_type,
                               .headers = replace ? headers : o.headers,
                               .meta = replace ? meta : o.meta,
                               .tags = tags,
                               .acl = acl,
                               .owner = owner,
                               .checksum = o.checksum[0] ? o.checksum : NULL,
                               .sse = r->sse_desc,
                               .lock = &lock};
        if (commit_object(r, &n) == 0) {
            r->file.id[0] = 0;
            version_headers(r);
            sse_headers(r, r->sse_desc, &r->sse);
            struct xmlw w;
            char t[40], etag[90];
            iso_ms(now_ms(), t);
            snprintf(etag, sizeof etag, "\"%s\"", o.etag);
            xmlw_init(&w, 4096);
            xmlw_open_ns(&w, "CopyObjectResult", S3_NS);
            xmlw_element(&w, "LastModified", t);
            xmlw_element(&w, "ETag", etag);
            send_xml(r, 200, &w);
        }
    }
    free(meta);
    free(headers);
    free(tags);
out:
    free(skey);
    objrow_free(&o);
}

void op_delete_object(struct rq *r)
{
    if (meta_delete_object(r) == 0) {
        version_headers(r);
        send_empty(r, 204);
    }
}

void op_delete_objects(struct rq *r)
{
    struct s3xml_delete d;
    enum s3xml_status st = s3xml_parse_delete(r->body.p ? r->body.p : "", r->body.len, &d);
    if (st != S3XML_OK) {
        const struct s3xml_error *e = s3xml_error_of(st);
        fail(r, e->http_status, e->code, e->message);
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 16u << 20);
    xmlw_open_ns(&w, "DeleteResult", S3_NS);
    if (meta_begin_bucket_change(r) != 0) {
        s3xml_delete_free(&d);
        xmlw_free(&w);
        return;
    }
    bool broken = false;
    for (size_t i = 0; i < d.n && !broken; i++) {
        const char *key = d.objects[i].key;
        r->err_status = 0;
        int ok = authorize(r, "cos:DeleteObject", &r->b, key, OP_PUBLIC_WRITE, NULL);
        if (ok < 0) {
            broken = true;
            break;
        }
        if (ok == 0) {
            xmlw_open(&w, "Error");
            xmlw_element(&w, "Key", key);
            xmlw_element(&w, "Code", "AccessDenied");
            xmlw_element(&w, "Message", "Access Denied");
            xmlw_close(&w);
            continue;
        }
        const char *vid = d.objects[i].version_id;
        int rc = meta_remove(r, key, vid);
        if (rc < 0) {
            broken = true;
            break;
        }
        if (rc == 1) { /* a locked version */
            xmlw_open(&w, "Error");
            xmlw_element(&w, "Key", key);
            xmlw_element(&w, "VersionId", vid);
            xmlw_element(&w, "Code", "AccessDenied");
            xmlw_element(&w, "Message", "Access Denied because object protected by object lock.");
            xmlw_close(&w);
            continue;
        }
        if (!d.quiet) {
            xmlw_open(&w, "Deleted");
            xmlw_element(&w, "Key", key);
            if (vid)
                xmlw_element(&w, "VersionId", vid);
            if (r->delete_marker) {
                xmlw_element_bool(&w, "DeleteMarker", true);
                if (!vid)
                    xmlw_element(&w, "DeleteMarkerVersionId", r->version_id);
            }
            xmlw_close(&w);
        }
    }
    r->err_status = 0;
    s3xml_delete_free(&d);
    if (broken) {
        meta_rollback();
        fail_store(r);
    }
    if (broken || meta_commit(r) != 0) {
        xmlw_free(&w);
        return;
    }
    send_xml(r, 200, &w);
}

/* What an update of one version's tags or ACL answers when it changed nothing. */
static void answer_version_update(struct rq *r, int rows, unsigned status)
{
    bool by_version = qhas(r, "versionId");
    if (rows > 0)
        version_headers(r);
    answer_update(r, rows, by_version ? "NoSuchVersion" : "NoSuchKey",
                  by_version ? "The specified version does not exist." : "The specified key does not exist.", status);
}

/* A read of one version's tags or ACL tells which version it read. */
static void read_version_header(struct rq *r, const struct objrow *o)
{
    if (qhas(r, "versionId") || r->b.versioning[0])
        add_header(r, "x-amz-version-id", "%s", o->version_id);
}

void op_get_object_tagging(struct rq *r)
{
    struct objrow o = {0};
    if (load_request_object(r, &o) != 0)
        return;
    read_version_header(r, &o);
    write_tagging(r, o.tags);
    objrow_free(&o);
}

void op_put_object_tagging(struct rq *r)
{
    char *tags = parse_tagging_body(r, S3XML_MAX_OBJECT_TAGS);
    if (tags)
        answer_version_update(r, meta_set_object_column(r, OBJECT_TAGS, tags), 200);
    free(tags);
}

void op_delete_object_tagging(struct rq *r)
{
    answer_version_update(r, meta_set_object_column(r, OBJECT_TAGS, NULL), 204);
}

void op_get_object_acl(struct rq *r)
{
    struct objrow o = {0};
    if (acl_load_object(r, &o) != 0)
        return;
    read_version_header(r, &o);
    write_acl(r, &r->b, o.owner, o.acl);
    objrow_free(&o);
}

void op_put_object_acl(struct rq *r)
{
    struct objrow o = {0};
    if (acl_load_object(r, &o) != 0)
        return;
    objrow_free(&o);
    char acl[ACL_TEXT_MAX];
    if (acl_request_new(r, acl, sizeof acl) != 0)
        return;
    answer_version_update(r, meta_set_object_column(r, OBJECT_ACL, acl), 200);
}
