/*
 * reply: how the gateway answers. Response headers are collected on the request (add_header) and
 * attached when the answer is queued; a failure is recorded (fail) where it is found and answered
 * once by the listener as S3's XML error document; XML bodies are built with s3xml's writer, and
 * the two documents it cannot write (AccessControlPolicy with xsi:type, Tagging from stored JSON)
 * are here.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "object/object_int.h"

void add_header(struct rq *r, const char *name, const char *fmt, ...)
{
    if (r->nhdrs >= MAX_RESP_HEADERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *v = NULL;
    if (vasprintf(&v, fmt, ap) < 0)
        v = NULL;
    va_end(ap);
    if (!v)
        return;
    struct hdr *h = &r->hdrs[r->nhdrs++];
    str_copy(h->name, sizeof h->name, name);
    h->value = v;
}

void http_date(int64_t t, char out[40])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void iso_ms(int64_t ms, char out[40])
{
    time_t tt = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&tt, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%03dZ", base, (int)(ms % 1000));
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* on the business clock: a --test-clock daemon's objects age as its clock advances (lifecycle) */
    return ((int64_t)ts.tv_sec + clock_offset()) * 1000 + ts.tv_nsec / 1000000;
}

void free_headers(struct rq *r)
{
    for (int i = 0; i < r->nhdrs; i++)
        free(r->hdrs[i].value);
    r->nhdrs = 0;
}

enum MHD_Result queue(struct rq *r, unsigned status, struct MHD_Response *resp)
{
    if (!resp) {
        free_headers(r);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "x-amz-request-id", r->request_id);
    MHD_add_response_header(resp, "x-cos-request-id", r->request_id);
    MHD_add_response_header(resp, "Server", "yun");
    cors_response_headers(r, resp);
    /* libmicrohttpd refuses a header with an empty value; a single blank reads as empty to every
     * HTTP parser (optional white space), so x-amz-meta-x with an empty value survives */
    for (int i = 0; i < r->nhdrs; i++)
        MHD_add_response_header(resp, r->hdrs[i].name, r->hdrs[i].value[0] ? r->hdrs[i].value : " ");
    free_headers(r);
    r->answered = true;
    r->status = status;
    enum MHD_Result rc = MHD_queue_response(r->c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_buffer(struct rq *r, unsigned status, const char *body, size_t len, const char *ctype)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp && ctype)
        MHD_add_response_header(resp, "Content-Type", ctype);
    r->bytes_out += len;
    return queue(r, status, resp);
}

static void resource_of(struct rq *r, struct obj_buf *b)
{
    obj_buf_init(b, 4096);
    obj_buf_putc(b, '/');
    obj_buf_puts(b, r->bucket);
    if (r->key) {
        obj_buf_putc(b, '/');
        obj_buf_puts(b, r->key);
    }
}

enum MHD_Result send_error(struct rq *r, int status, const char *code, const char *message)
{
    struct xmlw w;
    struct obj_buf res;
    resource_of(r, &res);
    size_t len = 0;
    const char *doc = s3xml_error_document(&w, code, message, obj_buf_str(&res), r->request_id, &len);
    if (!r->keep_headers)
        free_headers(r); /* headers meant for a success answer don't belong on an error */
    snprintf(r->result, sizeof r->result, "%s", code);
    enum MHD_Result rc = send_buffer(r, (unsigned)status, doc ? doc : "", doc ? len : 0, "application/xml");
    xmlw_free(&w);
    obj_buf_free(&res);
    return rc;
}

/* Records the failure; run handlers return right after. */
void fail(struct rq *r, int status, const char *code, const char *message)
{
    if (r->err_status)
        return;
    r->err_status = status;
    snprintf(r->err_code, sizeof r->err_code, "%s", code);
    snprintf(r->err_message, sizeof r->err_message, "%s", message);
}

void fail_malformed(struct rq *r)
{
    fail(r, 400, "MalformedXML",
         "The XML you provided was not well-formed or did not validate against our published schema.");
}

enum MHD_Result send_xml(struct rq *r, unsigned status, struct xmlw *w)
{
    size_t len = 0;
    const char *doc = xmlw_finish(w, &len);
    enum MHD_Result rc;
    if (!doc)
        rc = send_error(r, 500, "InternalError", "The response is too large.");
    else
        rc = send_buffer(r, status, doc, len, "application/xml");
    xmlw_free(w);
    return rc;
}

enum MHD_Result send_empty(struct rq *r, unsigned status) { return send_buffer(r, status, "", 0, NULL); }

/* A stored XML document (a bucket's lifecycle or CORS configuration), as it is. */
enum MHD_Result send_body(struct rq *r, unsigned status, const char *body, const char *ctype)
{
    return send_buffer(r, status, body, strlen(body), ctype);
}

enum MHD_Result send_document(struct rq *r, const char *xml)
{
    return send_buffer(r, 200, xml, strlen(xml), "application/xml");
}

void xml_owner(struct xmlw *w, const char *uin)
{
    xmlw_open(w, "Owner");
    xmlw_element(w, "ID", uin);
    xmlw_element(w, "DisplayName", uin);
    xmlw_close(w);
}

/* Element text, URL-encoded when the client asked for encoding-type=url. */
void xml_key(struct xmlw *w, const char *name, const char *v, bool url)
{
    if (!url) {
        xmlw_element(w, name, v);
        return;
    }
    struct obj_buf b;
    obj_buf_init(&b, 16384);
    obj_buf_uri_encode(&b, v, strlen(v), true);
    xmlw_element(w, name, obj_buf_str(&b) ? obj_buf_str(&b) : "");
    obj_buf_free(&b);
}

/* AccessControlPolicy for a canned ACL. Written by hand: Grantee needs xsi:type attributes,
 * which s3cmd insists on and the XML writer does not do. Owner ids are digits, URIs constants. */
void write_tagging(struct rq *r, const char *json_tags)
{
    struct xmlw w;
    xmlw_init(&w, 65536);
    xmlw_open_ns(&w, "Tagging", S3_NS);
    xmlw_open(&w, "TagSet");
    json_t *t = json_tags ? json_loads(json_tags, 0, NULL) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach (t, k, v) {
        xmlw_open(&w, "Tag");
        xmlw_element(&w, "Key", k);
        xmlw_element(&w, "Value", json_string_value(v));
        xmlw_close(&w);
    }
    json_decref(t);
    send_xml(r, 200, &w);
}

void checksum_header(struct rq *r, const char *stored)
{
    const char *colon = stored ? strchr(stored, ':') : NULL;
    if (!colon)
        return;
    char name[48];
    snprintf(name, sizeof name, "x-amz-checksum-%.*s", (int)(colon - stored), stored);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    add_header(r, name, "%s", colon + 1);
}

/* The answer to a one-row update meta.c committed (rows > 0), found no row for (0) or failed (-1,
 * recorded). */
void answer_update(struct rq *r, int rows, const char *missing_code, const char *missing_message, unsigned status)
{
    if (rows == 0)
        fail(r, 404, missing_code, missing_message);
    else if (rows > 0)
        send_empty(r, status);
}
