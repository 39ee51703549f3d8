/*
 * cors: Put/Get/DeleteBucketCors, the preflight OPTIONS and the CORS headers of actual answers.
 * A configuration is validated (MalformedXML for the schema, InvalidRequest for values S3 refuses:
 * an unsupported method, more than one '*' in an origin or header) and stored rewritten. A
 * preflight is never signed: it is answered from the bucket's rules alone (the first rule whose
 * origin, method and every requested header match; 403 when none does). An actual request with
 * an Origin gets the matching rule's headers, the method being Access-Control-Request-Method when
 * sent, else the request's own (as RGW, which s3-tests follow), on errors too.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/object_int.h"
#include "object/xmltree.h"

#define MALFORMED "The XML you provided was not well-formed or did not validate against our published schema."

static const char *const methods[] = {"GET", "PUT", "HEAD", "POST", "DELETE"};

static int stars(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '*';
    return n;
}

/* A pattern with at most one '*' against a value (ci: case-insensitive). */
static bool wild_match(const char *pat, const char *v, bool ci)
{
    const char *star = strchr(pat, '*');
    int (*cmp)(const char *, const char *, size_t) = ci ? strncasecmp : strncmp;
    if (!star)
        return ci ? strcasecmp(pat, v) == 0 : strcmp(pat, v) == 0;
    size_t pre = (size_t)(star - pat), suf = strlen(star + 1), vl = strlen(v);
    return vl >= pre + suf && cmp(pat, v, pre) == 0 && cmp(star + 1, v + vl - suf, suf) == 0;
}

static void bad(struct rq *r, const char *code, const char *msg) { fail(r, 400, code, msg); }

void op_put_bucket_cors(struct rq *r)
{
    struct xnode *root = xtree_parse(r->body.p, r->body.len);
    int n = root ? xtree_count(root, "CORSRule") : 0;
    if (!root || strcmp(root->name, "CORSConfiguration") != 0 || n == 0 || n > 100) {
        xtree_free(root);
        bad(r, "MalformedXML", MALFORMED);
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 1u << 20);
    xmlw_open_ns(&w, "CORSConfiguration", S3_NS);
    static const char *const order[] = {"ID",           "AllowedHeader", "AllowedMethod", "AllowedOrigin",
                                        "ExposeHeader", "MaxAgeSeconds"};
    for (const struct xnode *x = root->first; x && !r->err_status; x = x->next) {
        if (strcmp(x->name, "CORSRule") != 0 || !xtree_count(x, "AllowedMethod") || !xtree_count(x, "AllowedOrigin") ||
            xtree_count(x, "ID") > 1 || xtree_count(x, "MaxAgeSeconds") > 1) {
            bad(r, "MalformedXML", MALFORMED);
            break;
        }
        for (const struct xnode *c = x->first; c && !r->err_status; c = c->next) {
            size_t k = 0;
            while (k < sizeof order / sizeof order[0] && strcmp(order[k], c->name) != 0)
                k++;
            const char *t = c->text ? c->text : "";
            if (k == sizeof order / sizeof order[0])
                bad(r, "MalformedXML", MALFORMED);
            else if (k == 2) {
                bool ok = false;
                for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
                    ok |= strcmp(methods[m], t) == 0;
                if (!ok)
                    bad(r, "InvalidRequest", "Found unsupported HTTP method in CORS config.");
            } else if ((k == 1 || k == 3) && stars(t) > 1)
                bad(r, "InvalidRequest", "An AllowedOrigin or AllowedHeader can not have more than one wildcard.");
            else if (k == 0 && strlen(t) > 255)
                bad(r, "InvalidArgument", "ID length should not exceed allowed limit of 255");
            else if (k == 5 && (!*t || strspn(t, "0123456789") != strlen(t) || strlen(t) > 9))
                bad(r, "MalformedXML", MALFORMED);
        }
        xmlw_open(&w, "CORSRule");
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
            for (const struct xnode *c = x->first; c; c = c->next)
                if (strcmp(order[k], c->name) == 0)
                    xmlw_element(&w, order[k], c->text ? c->text : "");
        xmlw_close(&w);
    }
    xtree_free(root);
    size_t len;
    const char *doc = r->err_status ? NULL : xmlw_finish(&w, &len);
    if (!r->err_status && !doc)
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    else if (doc && meta_set_bucket_config(r, "cors", doc) == 1)
        send_empty(r, 200);
    xmlw_free(&w);
}

void op_get_bucket_cors(struct rq *r)
{
    char *doc = NULL;
    int rc = meta_bucket_config(r->b.id, "cors", &doc);
    if (rc < 0)
        fail_store(r);
    else if (rc == 0)
        fail(r, 404, "NoSuchCORSConfiguration", "The CORS configuration does not exist");
    else
        send_document(r, doc);
    free(doc);
}

void op_delete_bucket_cors(struct rq *r)
{
    if (meta_set_bucket_config(r, "cors", NULL) == 1)
        send_empty(r, 204);
}

/* Does every header of the comma-separated list match one of the rule's AllowedHeaders? */
static bool headers_allowed(const struct xnode *rule, const char *list)
{
    char *copy = strdup(list ? list : ""), *save = NULL;
    bool ok = copy != NULL;
    for (char *h = copy ? strtok_r(copy, ",", &save) : NULL; h && ok; h = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*h))
            h++;
        for (char *e = h + strlen(h); e > h && isspace((unsigned char)e[-1]);)
            *--e = 0;
        if (!*h)
            continue;
        ok = false;
        for (const struct xnode *c = rule->first; c && !ok; c = c->next)
            ok = strcmp(c->name, "AllowedHeader") == 0 && c->text && wild_match(c->text, h, true);
    }
    free(copy);
    return ok;
}

/* The bucket's first rule for origin, method and (preflight) requested headers, or NULL.
 * *root owns the tree; *star: the matching origin was "*". */
static const struct xnode *find_rule(const char *bucket, const char *origin, const char *method, const char *headers,
                                     struct xnode **root, bool *star, int *configured)
{
    char *doc = NULL;
    *root = NULL;
    *configured = meta_bucket_config_by_name(bucket, "cors", &doc);
    if (*configured != 1)
        return NULL;
    *root = xtree_parse(doc, strlen(doc));
    free(doc);
    for (const struct xnode *x = *root ? (*root)->first : NULL; x; x = x->next) {
        const struct xnode *om = NULL;
        bool mm = false;
        for (const struct xnode *c = x->first; c; c = c->next) {
            if (!om && strcmp(c->name, "AllowedOrigin") == 0 && c->text && wild_match(c->text, origin, false))
                om = c;
            if (strcmp(c->name, "AllowedMethod") == 0 && c->text && strcmp(c->text, method) == 0)
                mm = true;
        }
        if (om && mm && (!headers || headers_allowed(x, headers))) {
            *star = strcmp(om->text, "*") == 0;
            return x;
        }
    }
    return NULL;
}

static void join(struct obj_buf *b, const struct xnode *rule, const char *name)
{
    obj_buf_init(b, 1024);
    for (const struct xnode *c = rule->first; c; c = c->next)
        if (strcmp(c->name, name) == 0 && c->text) {
            if (b->len)
                obj_buf_puts(b, ", ");
            obj_buf_puts(b, c->text);
        }
}

static void rule_headers(struct MHD_Response *resp, const struct xnode *rule, const char *origin, bool star,
                         const char *req_headers)
{
    struct obj_buf m, e;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", star ? "*" : origin);
    join(&m, rule, "AllowedMethod");
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", obj_buf_str(&m) ? obj_buf_str(&m) : "");
    join(&e, rule, "ExposeHeader");
    if (e.len && obj_buf_str(&e))
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", obj_buf_str(&e));
    const char *age = xtree_text(rule, "MaxAgeSeconds");
    if (age && *age)
        MHD_add_response_header(resp, "Access-Control-Max-Age", age);
    if (req_headers && *req_headers)
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", req_headers);
    if (!star)
        MHD_add_response_header(resp, "Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    obj_buf_free(&m);
    obj_buf_free(&e);
}

/*
 * The web console (served by the API listener, src/console) uploads and downloads with presigned
 * URLs from its own origin: that origin is allowed on every bucket, whatever the bucket's rules,
 * since a presigned URL is already the user's authority; other origins still need a rule.
 */
static bool console_origin(const char *origin)
{
    if (!origin || !object_config)
        return false;
    char own[3][200];
    snprintf(own[0], sizeof own[0], "http://%s:%d", object_config->listen_host, object_config->listen_port);
    snprintf(own[1], sizeof own[1], "http://127.0.0.1:%d", object_config->listen_port);
    snprintf(own[2], sizeof own[2], "http://localhost:%d", object_config->listen_port);
    for (int i = 0; i < 3; i++)
        if (strcmp(origin, own[i]) == 0)
            return true;
    return false;
}

static void console_headers(struct MHD_Response *resp, const char *origin, const char *req_headers)
{
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers", "ETag, Content-Length, x-amz-version-id");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    if (req_headers && *req_headers)
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", req_headers);
    MHD_add_response_header(resp, "Vary", "Origin");
}

/* Called by queue() for every answer: the CORS headers of an actual request with an Origin. */
void cors_response_headers(struct rq *r, struct MHD_Response *resp)
{
    const char *origin = hdr_in(r, "Origin");
    if (console_origin(origin) && r->method && strcmp(r->method, "OPTIONS") != 0) {
        console_headers(resp, origin, NULL);
        return;
    }
    if (!origin || !r->bucket[0] || !r->method || strcmp(r->method, "OPTIONS") == 0)
        return;
    const char *acrm = hdr_in(r, "Access-Control-Request-Method");
    struct xnode *root;
    bool star = false;
    int configured;
    const struct xnode *rule = find_rule(r->bucket, origin, acrm ? acrm : r->method, NULL, &root, &star, &configured);
    if (rule)
        rule_headers(resp, rule, origin, star, NULL);
    xtree_free(root);
}

static void op_preflight(struct rq *r)
{
    const char *origin = hdr_in(r, "Origin"), *method = hdr_in(r, "Access-Control-Request-Method");
    const char *req_headers = hdr_in(r, "Access-Control-Request-Headers");
    if (console_origin(origin)) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (resp)
            console_headers(resp, origin, req_headers);
        queue(r, 200, resp);
        return;
    }
    struct xnode *root;
    bool star = false;
    int configured;
    const struct xnode *rule = find_rule(r->bucket, origin, method, req_headers, &root, &star, &configured);
    if (configured < 0)
        fail_store(r);
    else if (!configured)
        fail(r, 403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.");
    else if (!rule)
        fail(r, 403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.");
    else {
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (resp)
            rule_headers(resp, rule, origin, star, req_headers);
        queue(r, 200, resp);
    }
    xtree_free(root);
}

static const struct op preflight_op = {.name = "OptionsObject", .method = "OPTIONS", .run = op_preflight};

/* A preflight OPTIONS, from begin(): refused at once (400 without Origin or
 * Access-Control-Request-Method), or answered by op_preflight when the request is in. */
void cors_preflight(struct rq *r)
{
    if (!hdr_in(r, "Origin"))
        fail(r, 400, "BadRequest", "Insufficient information. Origin request header needed.");
    else if (!hdr_in(r, "Access-Control-Request-Method"))
        fail(r, 400, "BadRequest", "Invalid Access-Control-Request-Method: null");
    else if (!r->bucket[0])
        fail(r, 403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.");
    else
        r->op = &preflight_op;
}
