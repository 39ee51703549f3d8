/*
 * post: POST object, the browser form upload (multipart/form-data). The form is parsed as it
 * streams in: fields (bounded: 64 of them, 20 KB each) are held until the file part starts; then
 * the policy document is checked (its SigV4 x-amz-signature or SigV2 signature against the key it
 * names, its expiration, every condition: exact and eq, starts-with, content-length-range, and
 * every form field covered by one), the caller authorised as a PutObject would be, and the file's
 * bytes go straight to a temp file with its MD5, so a 5 GiB upload holds no more memory than a
 * small one. A form without a policy is anonymous (a public-read-write bucket takes it). The
 * object is committed as PutObject commits (metadata, ACL, tags, audit); the answer is
 * success_action_redirect (303), success_action_status 200/201 (201 with a PostResponse
 * document) or 204.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "object/object_int.h"
#include "object/post.h"

const char *post_field(const struct post_form *f, const char *name)
{
    for (int i = 0; i < f->nf; i++)
        if (strcasecmp(f->name[i], name) == 0)
            return f->value[i];
    return NULL;
}

void post_form_free(struct rq *r)
{
    struct post_form *f = r->form;
    if (!f)
        return;
    for (int i = 0; i < f->nf; i++) {
        free(f->name[i]);
        free(f->value[i]);
    }
    obj_buf_free(&f->v);
    free(f->buf);
    free(f);
    r->form = NULL;
}

static void malformed(struct rq *r, const char *msg) { fail(r, 400, "MalformedPOSTRequest", msg); }

void post_object_begin(struct rq *r)
{
    const char *ct = hdr_in(r, "Content-Type");
    const char *b = ct ? strcasestr(ct, "boundary=") : NULL;
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 || !b) {
        malformed(r, "The body of your POST request is not well-formed multipart/form-data.");
        return;
    }
    b += 9;
    size_t bl = strcspn(b, ";");
    if (*b == '"')
        b++, bl = strcspn(b, "\"");
    struct post_form *f = calloc(1, sizeof *f);
    if (!f || bl == 0 || bl > 70) {
        free(f);
        malformed(r, "The body of your POST request is not well-formed multipart/form-data.");
        return;
    }
    f->dlen = (size_t)snprintf(f->delim, sizeof f->delim, "\r\n--%.*s", (int)bl, b);
    f->range_min = f->range_max = -1;
    f->cap = 65536;
    f->buf = malloc(f->cap);
    if (!f->buf) {
        free(f);
        fail(r, 500, "InternalError", "out of memory");
        return;
    }
    memcpy(f->buf, "\r\n", 2); /* the first boundary then reads like every other */
    f->len = 2;
    obj_buf_init(&f->v, FORM_MAX_VALUE);
    r->form = f;
    r->sink = SINK_DISCARD; /* post_feed takes the bytes */
}

/* The fields are in and the file part starts: who, may they, where does the file go. */
static int file_start(struct rq *r)
{
    struct post_form *f = r->form;
    const char *key = post_field(f, "key");
    if (!key) {
        fail(r, 400, "InvalidArgument", "Bucket POST must contain a field named 'key'.");
        return -1;
    }
    struct obj_buf k;
    obj_buf_init(&k, MAX_KEY_BYTES + 1);
    const char *fn = strstr(key, "${filename}");
    if (fn) {
        obj_buf_put(&k, key, (size_t)(fn - key));
        obj_buf_puts(&k, f->filename);
        obj_buf_puts(&k, fn + 11);
    } else {
        obj_buf_puts(&k, key);
    }
    const char *kv = obj_buf_str(&k);
    if (!kv || !*kv || k.len > MAX_KEY_BYTES) {
        obj_buf_free(&k);
        fail(r, 400, !kv || *kv ? "KeyTooLongError" : "InvalidArgument",
             !kv || *kv ? "Your key is too long" : "The key of a POST object upload must not be empty.");
        return -1;
    }
    snprintf(f->key, sizeof f->key, "%s", kv);
    obj_buf_free(&k);
    free(r->key);
    r->key = strdup(f->key);
    const char *policy = post_field(f, "policy");
    if (policy && post_check_policy(r, policy) != 0)
        return -1;
    if (!policy && (post_field(f, "x-amz-signature") || post_field(f, "signature"))) {
        fail(r, 400, "InvalidArgument", "A signed POST must carry its policy.");
        return -1;
    }
    int ok = authorize(r, "cos:PostObject", &r->b, r->key, OP_PUBLIC_WRITE, NULL);
    r->meter = ok == 1 ? METER_ALLOWED : ok == 0 ? METER_DENIED : METER_NONE;
    if (ok != 1)
        return -1;
    /* an x-amz-checksum-<algo> field is checked against the file, as the header is on PutObject */
    for (int i = 0; i < f->nf && r->ck.algo == CHECKSUM_NONE; i++) {
        enum checksum_algo a = checksum_algo_from_header(f->name[i]);
        if (a != CHECKSUM_NONE) {
            if (checksum_init(&r->ck, a) != 0) {
                fail(r, 500, "InternalError", "out of memory");
                return -1;
            }
            snprintf(r->ck_expect, sizeof r->ck_expect, "%s", f->value[i]);
        }
    }
    r->md5 = EVP_MD_CTX_new();
    struct sse_mode m; /* the form's x-amz-server-side-encryption* fields, or the bucket's default */
    if (sse_request_write(r, &m) != 0 || sse_bucket_default(r, &m) != 0)
        return -1;
    if (!r->md5 || EVP_DigestInit_ex(r->md5, EVP_md5(), NULL) != 1 || engine_tmp_create(&r->file) != 0) {
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return -1;
    }
    return m.kind != SSE_NONE ? sse_start_new(r, &m, true) : 0;
}

/* ---------------------------------------------------------------- the form, as it streams */

static void part_headers(struct post_form *f, char *h)
{
    f->part[0] = f->filename[0] = 0;
    char *save = NULL;
    for (char *line = strtok_r(h, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        if (strncasecmp(line, "Content-Disposition:", 20) != 0)
            continue;
        for (char *p = line + 20; (p = strchr(p, ';')) != NULL;) {
            p++;
            while (*p == ' ')
                p++;
            char *out = strncasecmp(p, "name=", 5) == 0       ? f->part
                        : strncasecmp(p, "filename=", 9) == 0 ? f->filename
                                                              : NULL;
            size_t cap = out == f->part ? sizeof f->part : sizeof f->filename;
            if (!out)
                continue;
            p = strchr(p, '=') + 1;
            size_t n;
            if (*p == '"') {
                p++;
                n = strcspn(p, "\"");
            } else {
                n = strcspn(p, ";");
            }
            snprintf(out, cap, "%.*s", (int)n, p);
            p += n;
        }
    }
}

static int file_data(struct rq *r, const char *p, size_t n)
{
    if (!n || r->err_status)
        return r->err_status ? -1 : 0;
    r->decoded += n;
    if (r->decoded > MAX_PUT_BYTES) {
        fail(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.");
        return -1;
    }
    EVP_DigestUpdate(r->md5, p, n);
    if (r->ck.algo != CHECKSUM_NONE)
        checksum_update(&r->ck, p, n);
    if (sse_write(r, p, n) != 0) {
        log_error("object store: write: %s", strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error writing your data.");
        return -1;
    }
    return 0;
}

/* Consumes what it can of f->buf; returns false when it needs more bytes (or failed). */
static bool step(struct rq *r, struct post_form *f, size_t *used)
{
    char *p = f->buf + *used;
    size_t n = f->len - *used;
    char *d;
    switch (f->st) {
    case F_PREAMBLE:
        if (!(d = memmem(p, n, f->delim, f->dlen))) {
            if (n > f->dlen)
                *used += n - f->dlen;
            return false;
        }
        *used += (size_t)(d - p) + f->dlen;
        f->st = F_AFTER_DELIM;
        return true;
    case F_AFTER_DELIM:
        if (n < 2)
            return false;
        if (p[0] == '-' && p[1] == '-')
            f->st = F_EPILOGUE;
        else if (p[0] == '\r' && p[1] == '\n')
            f->st = F_HEADERS;
        else {
            malformed(r, "The body of your POST request is not well-formed multipart/form-data.");
            return false;
        }
        *used += 2;
        return true;
    case F_HEADERS: {
        if (!(d = memmem(p, n, "\r\n\r\n", 4))) {
            if (n > FORM_MAX_HEAD)
                malformed(r, "A part's headers are too long.");
            return false;
        }
        char *h = strndup(p, (size_t)(d - p));
        if (!h) {
            fail(r, 500, "InternalError", "out of memory");
            return false;
        }
        part_headers(f, h);
        free(h);
        *used += (size_t)(d - p) + 4;
        if (strcasecmp(f->part, "file") == 0 && !f->have_file) {
            f->have_file = true;
            f->st = F_FILE;
            return file_start(r) == 0;
        }
        f->st = F_VALUE;
        f->v.len = 0;
        f->v.failed = false;
        return true;
    }
    case F_VALUE:
    case F_FILE: {
        d = memmem(p, n, f->delim, f->dlen);
        size_t take = d ? (size_t)(d - p) : n > f->dlen ? n - f->dlen : 0;
        if (f->st == F_FILE && !f->file_done) {
            if (file_data(r, p, take) != 0)
                return false;
        } else if (f->st == F_VALUE && !f->have_file) { /* fields after the file are ignored, as S3 does */
            obj_buf_put(&f->v, p, take);
            if (f->v.failed || f->nf >= FORM_MAX_FIELDS) {
                malformed(r, "A form field is too long, or there are too many.");
                return false;
            }
        }
        *used += take;
        if (!d)
            return false;
        *used += f->dlen;
        if (f->st == F_FILE)
            f->file_done = true;
        else if (!f->have_file) {
            const char *s = obj_buf_str(&f->v);
            f->name[f->nf] = strdup(f->part);
            f->value[f->nf] = strdup(s ? s : "");
            if (!f->name[f->nf] || !f->value[f->nf]) {
                fail(r, 500, "InternalError", "out of memory");
                return false;
            }
            f->nf++;
        }
        f->st = F_AFTER_DELIM;
        return true;
    }
    case F_EPILOGUE:
        *used = f->len;
        return false;
    }
    return false;
}

void post_feed(struct rq *r, const char *data, size_t len)
{
    struct post_form *f = r->form;
    while (len && !r->err_status) {
        size_t room = f->cap - f->len, n = len < room ? len : room;
        memcpy(f->buf + f->len, data, n);
        f->len += n;
        data += n;
        len -= n;
        size_t used = 0;
        while (!r->err_status && step(r, f, &used))
            ;
        memmove(f->buf, f->buf + used, f->len - used);
        f->len -= used;
        if (f->len == f->cap && !r->err_status)
            malformed(r, "The body of your POST request is not well-formed multipart/form-data.");
    }
}

/* ---------------------------------------------------------------- the object */

static char *form_json(struct post_form *f, bool meta)
{
    static const char *const stored[] = {"Content-Encoding", "Content-Disposition", "Cache-Control", "Content-Language",
                                         "Expires"};
    json_t *o = json_object();
    for (int i = 0; i < f->nf; i++) {
        if (meta && strncasecmp(f->name[i], "x-amz-meta-", 11) == 0) {
            char k[200];
            snprintf(k, sizeof k, "%s", f->name[i] + 11);
            for (char *c = k; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            json_object_set_new(o, k, json_string(f->value[i]));
        }
        for (size_t s = 0; !meta && s < sizeof stored / sizeof stored[0]; s++)
            if (strcasecmp(f->name[i], stored[s]) == 0)
                json_object_set_new(o, stored[s], json_string(f->value[i]));
    }
    char *out = json_object_size(o) ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return out;
}

static char *form_tags(struct rq *r, const char *xml)
{
    struct s3xml_tagging tg;
    enum s3xml_status st = s3xml_parse_tagging(xml, strlen(xml), S3XML_MAX_OBJECT_TAGS, &tg);
    if (st != S3XML_OK) {
        const struct s3xml_error *e = s3xml_error_of(st);
        fail(r, e->http_status, e->code, e->message);
        return NULL;
    }
    json_t *o = json_object();
    for (size_t i = 0; i < tg.n; i++)
        json_object_set_new(o, tg.tags[i].key, json_string(tg.tags[i].value));
    s3xml_tagging_free(&tg);
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

static char *encode(const char *s)
{
    struct obj_buf b;
    obj_buf_init(&b, 8192);
    obj_buf_uri_encode(&b, s, strlen(s), true);
    char *out = obj_buf_str(&b) ? strdup(obj_buf_str(&b)) : NULL;
    obj_buf_free(&b);
    return out;
}

static void answer(struct rq *r, const char *etag)
{
    struct post_form *f = r->form;
    const char *redirect = post_field(f, "success_action_redirect");
    if (!redirect)
        redirect = post_field(f, "redirect");
    char *ek = encode(f->key), *eb = encode(r->bucket);
    add_header(r, "ETag", "\"%s\"", etag);
    if (redirect && *redirect) {
        add_header(r, "Location", "%s%sbucket=%s&key=%s&etag=%%22%s%%22", redirect, strchr(redirect, '?') ? "&" : "?",
                   eb ? eb : "", ek ? ek : "", etag);
        send_empty(r, 303);
    } else {
        const char *status = post_field(f, "success_action_status");
        int code = status && strcmp(status, "200") == 0 ? 200 : status && strcmp(status, "201") == 0 ? 201 : 204;
        char loc[2200];
        snprintf(loc, sizeof loc, "/%s/%s", eb ? eb : "", ek ? ek : "");
        add_header(r, "Location", "%s", loc);
        if (code == 201) {
            struct xmlw w;
            char q[80];
            xmlw_init(&w, 8192);
            xmlw_open(&w, "PostResponse");
            xmlw_element(&w, "Location", loc);
            xmlw_element(&w, "Bucket", r->bucket);
            xmlw_element(&w, "Key", f->key);
            snprintf(q, sizeof q, "\"%s\"", etag);
            xmlw_element(&w, "ETag", q);
            send_xml(r, 201, &w);
        } else {
            send_empty(r, (unsigned)code);
        }
    }
    free(ek);
    free(eb);
}

void op_post_object(struct rq *r)
{
    struct post_form *f = r->form;
    if (!f->have_file || !f->file_done) {
        fail(r, 400, "InvalidArgument", "POST requires exactly one file upload per request.");
        return;
    }
    if (f->range_max >= 0 && (int64_t)r->decoded > f->range_max) {
        fail(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.");
        return;
    }
    if (f->range_min >= 0 && (int64_t)r->decoded < f->range_min) {
        fail(r, 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.");
        return;
    }
    const char *acl = post_field(f, "acl") ? post_field(f, "acl") : object_default_acl(r);
    static const char *const canned[] = {"private",           "public-read",
                                         "public-read-write", "authenticated-read",
                                         "bucket-owner-read", "bucket-owner-full-control"};
    bool known = false;
    for (size_t i = 0; i < sizeof canned / sizeof canned[0]; i++)
        known |= strcmp(canned[i], acl) == 0;
    if (!known && strcmp(acl, "default") != 0) {
        fail(r, 400, "InvalidArgument", "The ACL you provided is not a canned ACL.");
        return;
    }
    if (blocks_public_acl(r, acl))
        return;
    const char *owner = NULL;
    char *meta = form_json(f, true), *headers = form_json(f, false);
    const char *tagging = post_field(f, "tagging");
    char *tags = tagging ? form_tags(r, tagging) : NULL;
    char etag[33], ck[CHECKSUM_MAX_BASE64 + 16] = "";
    uint8_t raw[16];
    md5_hex(r->md5, etag, raw);
    if (r->ck.algo != CHECKSUM_NONE) {
        uint8_t dg[CHECKSUM_MAX_DIGEST];
        char b64[CHECKSUM_MAX_BASE64];
        obj_base64_encode(dg, checksum_final(&r->ck, dg), b64);
        if (strcmp(b64, r->ck_expect) == 0)
            snprintf(ck, sizeof ck, "%s:%s", checksum_header_name(r->ck.algo) + 15, b64);
        else
            fail(r, 400, "BadDigest", "The checksum you specified did not match the calculated checksum.");
    }
    if (r->err_status) {
        /* recorded */
    } else if (meta && strlen(meta) > MAX_META_BYTES)
        fail(r, 400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.");
    else if (tagging && !tags) {
        /* recorded */
    } else if (sse_finish(r) != 0 || acl_object_owner(r, acl, &owner) != 0) {
        /* recorded */
    } else if (engine_tmp_sync(&r->file) != 0) {
        log_error("object store: fsync: %s", strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    } else {
        const char *ct = post_field(f, "Content-Type");
        struct new_object n = {.file = r->file.id,
                               .size = (int64_t)r->decoded,
                               .etag = etag,
                               .content_type = ct && *ct ? ct : "binary/octet-stream",
                               .headers = headers,
                               .meta = meta,
                               .tags = tags,
                               .acl = acl,
                               .owner = owner,
                               .checksum = ck[0] ? ck : NULL,
                               .sse = r->sse_desc};
        if (commit_object(r, &n) == 0) {
            r->file.id[0] = 0;
            version_headers(r);
            checksum_header(r, n.checksum);
            sse_headers(r, r->sse_desc, &r->sse);
            answer(r, etag);
        }
    }
    free(meta);
    free(headers);
    free(tags);
}
