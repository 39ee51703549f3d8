/*
 * s3xml.c - S3 request-body XML parsed with expat, and a response writer.
 *
 * The parser is a small schema walker: each document type says which
 * element may appear under which parent and what its text means; anything
 * else is MalformedXML, as on S3. Untrusted input is bounded everywhere:
 * body size, nesting depth, text per element, number of entries, and no
 * DOCTYPE at all (so no entity expansion). Namespaces are accepted but not
 * required (clients send xmlns="http://s3.amazonaws.com/doc/2006-03-01/").
 */
#include "s3xml.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_SEP   '\x01'
#define MAX_NAME 40
#define MAX_TEXT 4096

static const struct s3xml_error errors[] = {
    [S3XML_OK] = {"", 200, ""},
    [S3XML_MALFORMED] = {"MalformedXML", 400,
                         "The XML you provided was not well-formed or did not validate against our published schema."},
    [S3XML_TOO_MANY] = {"MalformedXML", 400,
                        "The XML you provided was not well-formed or did not validate against our published schema."},
    [S3XML_TOO_LARGE] = {"MalformedXML", 400, "The XML you provided was too large."},
    [S3XML_INVALID_PART_ORDER] =
        {"InvalidPartOrder", 400,
         "The list of parts was not in ascending order. Parts must be ordered by part number."},
    [S3XML_INVALID_PART_NUMBER] = {"InvalidArgument", 400,
                                   "Part number must be an integer between 1 and 10000, inclusive"},
    [S3XML_KEY_TOO_LONG] = {"KeyTooLongError", 400, "Your key is too long"},
    [S3XML_TAG_TOO_MANY] = {"InvalidTag", 400, "Object tags cannot be greater than 10"},
    [S3XML_TAG_KEY_INVALID] = {"InvalidTag", 400, "The TagKey you have provided is invalid"},
    [S3XML_TAG_VALUE_INVALID] = {"InvalidTag", 400, "The TagValue you have provided is invalid"},
    [S3XML_TAG_DUPLICATE] = {"InvalidTag", 400, "Cannot provide multiple Tags with the same key"},
    [S3XML_INTERNAL] = {"InternalError", 500, "We encountered an internal error. Please try again."},
};

const struct s3xml_error *s3xml_error_of(enum s3xml_status st)
{
    if ((unsigned)st >= sizeof(errors) / sizeof(errors[0]))
        return &errors[S3XML_INTERNAL];
    return &errors[st];
}

struct parser;
/* parent is NULL for the root. text is NULL if it exceeded MAX_TEXT. */
typedef enum s3xml_status (*start_fn)(struct parser *p, const char *parent, const char *name);
typedef enum s3xml_status (*end_fn)(struct parser *p, const char *name, const char *text, size_t len);

struct parser {
    XML_Parser xp;
    enum s3xml_status st;
    int depth;
    char names[S3XML_MAX_DEPTH][MAX_NAME];
    struct obj_buf text;
    start_fn start;
    end_fn end;
    void *doc;
    size_t limit; /* document-specific (max tags) */
    bool seen[8]; /* document-specific "already had this child" flags */
};

static void fail(struct parser *p, enum s3xml_status st)
{
    if (p->st == S3XML_OK)
        p->st = st;
    XML_StopParser(p->xp, XML_FALSE);
}

static const char *local_name(const char *name)
{
    const char *sep = strrchr(name, NS_SEP);
    return sep ? sep + 1 : name;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct parser *p = ud;
    (void)attrs;
    if (p->st != S3XML_OK)
        return;
    const char *ln = local_name(name);
    if (p->depth >= S3XML_MAX_DEPTH || strlen(ln) >= MAX_NAME) {
        fail(p, S3XML_MALFORMED);
        return;
    }
    strcpy(p->names[p->depth], ln);
    const char *parent = p->depth ? p->names[p->depth - 1] : NULL;
    p->depth++;
    p->text.len = 0;
    p->text.failed = false;
    enum s3xml_status st = p->start(p, parent, ln);
    if (st != S3XML_OK)
        fail(p, st);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct parser *p = ud;
    (void)name;
    if (p->st != S3XML_OK)
        return;
    p->depth--;
    const char *text = p->text.failed ? NULL : (p->text.len ? p->text.p : "");
    enum s3xml_status st = p->end(p, p->names[p->depth], text, p->text.failed ? 0 : p->text.len);
    p->text.len = 0;
    p->text.failed = false;
    if (st != S3XML_OK)
        fail(p, st);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct parser *p = ud;
    if (p->st == S3XML_OK && !p->text.failed)
        obj_buf_put(&p->text, s, (size_t)len);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(ud, S3XML_MALFORMED);
}

static enum s3xml_status run(struct parser *p, const char *body, size_t len)
{
    if (len > S3XML_MAX_BODY)
        return S3XML_TOO_LARGE;
    p->xp = XML_ParserCreateNS(NULL, NS_SEP);
    if (!p->xp)
        return S3XML_INTERNAL;
    obj_buf_init(&p->text, MAX_TEXT);
    XML_SetUserData(p->xp, p);
    XML_SetElementHandler(p->xp, on_start, on_end);
    XML_SetCharacterDataHandler(p->xp, on_text);
    XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
    XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
    if (XML_Parse(p->xp, body ? body : "", (int)len, XML_TRUE) == XML_STATUS_ERROR && p->st == S3XML_OK)
        p->st = S3XML_MALFORMED;
    if (p->st == S3XML_OK && !p->seen[0])
        p->st = S3XML_MALFORMED; /* no root */
    XML_ParserFree(p->xp);
    obj_buf_free(&p->text);
    return p->st;
}

static char *dup_text(const char *t, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, t, len);
        s[len] = '\0';
    }
    return s;
}

/* Grow an array of `size`-byte entries to hold n+1, zeroing the new one. */
static bool grow(void **v, size_t n, size_t size)
{
    if ((n & (n - 1)) == 0) { /* capacity doubles at powers of two */
        void *nv = realloc(*v, (n ? 2 * n : 1) * size);
        if (!nv)
            return false;
        *v = nv;
    }
    memset((char *)*v + n * size, 0, size);
    return true;
}

/* ---- DeleteObjects ---- */

static enum s3xml_status delete_start(struct parser *p, const char *parent, const char *name)
{
    struct s3xml_delete *d = p->doc;
    if (!parent) {
        p->seen[0] = true;
        return strcmp(name, "Delete") == 0 ? S3XML_OK : S3XML_MALFORMED;
    }
    if (strcmp(parent, "Delete") == 0) {
        if (strcmp(name, "Quiet") == 0) {
            if (p->seen[1])
                return S3XML_MALFORMED;
            p->seen[1] = true;
            return S3XML_OK;
        }
        if (strcmp(name, "Object") != 0)
            return S3XML_MALFORMED;
        if (d->n == S3XML_MAX_DELETE_KEYS)
            return S3XML_TOO_MANY;
        if (!grow((void **)&d->objects, d->n, sizeof(*d->objects)))
            return S3XML_INTERNAL;
        d->n++;
        return S3XML_OK;
    }
    if (strcmp(parent, "Object") == 0) {
        struct s3xml_delete_object *o = &d->objects[d->n - 1];
        if (strcmp(name, "Key") == 0)
            return o->key ? S3XML_MALFORMED : S3XML_OK;
        if (strcmp(name, "VersionId") == 0)
            return o->version_id ? S3XML_MALFORMED : S3XML_OK;
    }
    return S3XML_MALFORMED;
}

static enum s3xml_status delete_end(struct parser *p, const char *name, const char *text, size_t len)
{
    struct s3xml_delete *d = p->doc;
    if (p->depth == 1 && strcmp(name, "Quiet") == 0) {
        if (text && strcasecmp(text, "true") == 0)
            d->quiet = true;
        else if (text && strcasecmp(text, "false") == 0)
            d->quiet = false;
        else
            return S3XML_MALFORMED;
    } else if (p->depth == 1) { /* </Object> */
        if (!d->objects[d->n - 1].key)
            return S3XML_MALFORMED;
    } else if (p->depth == 2) {
        struct s3xml_delete_object *o = &d->objects[d->n - 1];
        if (!text || len > S3XML_MAX_KEY_BYTES)
            return strcmp(name, "Key") == 0 ? S3XML_KEY_TOO_LONG : S3XML_MALFORMED;
        char *s = dup_text(text, len);
        if (!s)
            return S3XML_INTERNAL;
        if (strcmp(name, "Key") == 0)
            o->key = s;
        else
            o->version_id = s;
    }
    return S3XML_OK;
}

enum s3xml_status s3xml_parse_delete(const char *body, size_t len, struct s3xml_delete *out)
{
    struct parser p = {.start = delete_start, .end = delete_end, .doc = out};
    memset(out, 0, sizeof(*out));
    enum s3xml_status st = run(&p, body, len);
    if (st == S3XML_OK && out->n == 0)
        st = S3XML_MALFORMED;
    if (st != S3XML_OK)
        s3xml_delete_free(out);
    return st;
}

void s3xml_delete_free(struct s3xml_delete *d)
{
    for (size_t i = 0; d->objects && i < d->n; i++) {
        free(d->objects[i].key);
        free(d->objects[i].version_id);
    }
    free(d->objects);
    memset(d, 0, sizeof(*d));
}

/* ---- CompleteMultipartUpload ---- */

static const char *const part_checksums[] = {
    "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256",
};

static bool is_part_checksum(const char *name)
{
    for (size_t i = 0; i < sizeof(part_checksums) / sizeof(part_checksums[0]); i++)
        if (strcmp(name, part_checksums[i]) == 0)
            return true;
    return false;
}

static enum s3xml_status complete_start(struct parser *p, const char *parent, const char *name)
{
    struct s3xml_complete *c = p->doc;
    if (!parent) {
        p->seen[0] = true;
        return strcmp(name, "CompleteMultipartUpload") == 0 ? S3XML_OK : S3XML_MALFORMED;
    }
    if (strcmp(parent, "CompleteMultipartUpload") == 0) {
        if (strcmp(name, "Part") != 0)
            return S3XML_MALFORMED;
        if (c->n == S3XML_MAX_PARTS)
            return S3XML_TOO_MANY;
        if (!grow((void **)&c->parts, c->n, sizeof(*c->parts)))
            return S3XML_INTERNAL;
        c->n++;
        p->seen[1] = p->seen[2] = false;
        return S3XML_OK;
    }
    if (strcmp(parent, "Part") == 0) {
        struct s3xml_part *pt = &c->parts[c->n - 1];
        if (strcmp(name, "PartNumber") == 0 && !p->seen[1])
            return p->seen[1] = true, S3XML_OK;
        if (strcmp(name, "ETag") == 0 && !pt->etag)
            return S3XML_OK;
        if (is_part_checksum(name) && !pt->checksum_name)
            return S3XML_OK;
    }
    return S3XML_MALFORMED;
}

static enum s3xml_status complete_end(struct parser *p, const char *name, const char *text, size_t len)
{
    struct s3xml_complete *c = p->doc;
    if (p->depth == 0)
        return S3XML_OK;
    struct s3xml_part *pt = &c->parts[c->n - 1];
    if (p->depth == 1) { /* </Part> */
        if (!p->seen[1] || !pt->etag)
            return S3XML_MALFORMED;
        if (c->n > 1 && pt->number < c->parts[c->n - 2].number)
            return S3XML_INVALID_PART_ORDER;
        if (c->n > 1 && pt->number == c->parts[c->n - 2].number) {
            /* a part listed twice in a row: the later entry counts (a part uploaded again while the
             * first upload was still running; RGW's answer, s3-tests' resend_first_finishes_last) */
            struct s3xml_part *prev = &c->parts[c->n - 2];
            free(prev->etag);
            free(prev->checksum_name);
            free(prev->checksum_value);
            *prev = *pt;
            memset(pt, 0, sizeof *pt);
            c->n--;
        }
        return S3XML_OK;
    }
    if (!text || len > 1024)
        return S3XML_MALFORMED;
    if (strcmp(name, "PartNumber") == 0) {
        size_t i = 0, n = len;
        while (i < n && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
            i++;
        while (n > i && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\t' || text[n - 1] == '\r'))
            n--;
        if (n == i)
            return S3XML_MALFORMED;
        long v = 0;
        for (size_t k = i; k < n; k++) {
            if (text[k] < '0' || text[k] > '9')
                return k == i && text[k] == '-' ? S3XML_INVALID_PART_NUMBER : S3XML_MALFORMED;
            v = v * 10 + (text[k] - '0');
            if (v > S3XML_MAX_PARTS)
                return S3XML_INVALID_PART_NUMBER;
        }
        if (v < 1)
            return S3XML_INVALID_PART_NUMBER;
        pt->number = (int)v;
        return S3XML_OK;
    }
    char *s = dup_text(text, len);
    if (!s)
        return S3XML_INTERNAL;
    if (strcmp(name, "ETag") == 0) {
        pt->etag = s;
    } else {
        pt->checksum_name = dup_text(name, strlen(name));
        pt->checksum_value = s;
        if (!pt->checksum_name)
            return S3XML_INTERNAL;
    }
    return S3XML_OK;
}

enum s3xml_status s3xml_parse_complete(const char *body, size_t len, struct s3xml_complete *out)
{
    struct parser p = {.start = complete_start, .end = complete_end, .doc = out};
    memset(out, 0, sizeof(*out));
    enum s3xml_status st = run(&p, body, len);
    if (st == S3XML_OK && out->n == 0)
        st = S3XML_MALFORMED;
    if (st != S3XML_OK)
        s3xml_complete_free(out);
    return st;
}

void s3xml_complete_free(struct s3xml_complete *c)
{
    for (size_t i = 0; c->parts && i < c->n; i++) {
        free(c->parts[i].etag);
        free(c->parts[i].checksum_name);
        free(c->parts[i].checksum_value);
    }
    free(c->parts);
    memset(c, 0, sizeof(*c));
}

/* ---- Tagging ---- */

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static enum s3xml_status tagging_start(struct parser *p, const char *parent, const char *name)
{
    struct s3xml_tagging *t = p->doc;
    if (!parent) {
        p->seen[0] = true;
        return strcmp(name, "Tagging") == 0 ? S3XML_OK : S3XML_MALFORMED;
    }
    if (strcmp(parent, "Tagging") == 0 && p->depth == 2) {
        if (strcmp(name, "TagSet") != 0 || p->seen[1])
            return S3XML_MALFORMED;
        p->seen[1] = true;
        return S3XML_OK;
    }
    if (strcmp(parent, "TagSet") == 0 && p->depth == 3) {
        if (strcmp(name, "Tag") != 0)
            return S3XML_MALFORMED;
        if (t->n == p->limit)
            return S3XML_TAG_TOO_MANY;
        if (!grow((void **)&t->tags, t->n, sizeof(*t->tags)))
            return S3XML_INTERNAL;
        t->n++;
        return S3XML_OK;
    }
    if (strcmp(parent, "Tag") == 0 && p->depth == 4) {
        struct s3xml_tag *tg = &t->tags[t->n - 1];
        if (strcmp(name, "Key") == 0 && !tg->key)
            return S3XML_OK;
        if (strcmp(name, "Value") == 0 && !tg->value)
            return S3XML_OK;
    }
    return S3XML_MALFORMED;
}

static enum s3xml_status tagging_end(struct parser *p, const char *name, const char *text, size_t len)
{
    struct s3xml_tagging *t = p->doc;
    if (p->depth < 2)
        return S3XML_OK;
    struct s3xml_tag *tg = &t->tags[t->n - 1];
    if (p->depth == 2) { /* </Tag> */
        if (!tg->key || !tg->value)
            return S3XML_MALFORMED;
        for (size_t i = 0; i + 1 < t->n; i++)
            if (strcmp(t->tags[i].key, tg->key) == 0)
                return S3XML_TAG_DUPLICATE;
        return S3XML_OK;
    }
    bool is_key = strcmp(name, "Key") == 0;
    if (!text || utf8_chars(text, len) > (is_key ? S3XML_MAX_TAG_KEY : S3XML_MAX_TAG_VALUE) || (is_key && len == 0))
        return is_key ? S3XML_TAG_KEY_INVALID : S3XML_TAG_VALUE_INVALID;
    char *s = dup_text(text, len);
    if (!s)
        return S3XML_INTERNAL;
    if (is_key)
        tg->key = s;
    else
        tg->value = s;
    return S3XML_OK;
}

enum s3xml_status s3xml_parse_tagging(const char *body, size_t len, size_t max_tags, struct s3xml_tagging *out)
{
    struct parser p = {.start = tagging_start, .end = tagging_end, .doc = out, .limit = max_tags};
    memset(out, 0, sizeof(*out));
    enum s3xml_status st = run(&p, body, len);
    if (st == S3XML_OK && !p.seen[1])
        st = S3XML_MALFORMED;
    if (st != S3XML_OK)
        s3xml_tagging_free(out);
    return st;
}

void s3xml_tagging_free(struct s3xml_tagging *t)
{
    for (size_t i = 0; t->tags && i < t->n; i++) {
        free(t->tags[i].key);
        free(t->tags[i].value);
    }
    free(t->tags);
    memset(t, 0, sizeof(*t));
}

/* ---- Writer ---- */

void xmlw_init(struct xmlw *w, size_t limit)
{
    memset(w, 0, sizeof(*w));
    obj_buf_init(&w->b, limit);
    obj_buf_puts(&w->b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

static void open_tag(struct xmlw *w, const char *name, const char *xmlns)
{
    if (w->depth == XMLW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w->stack[w->depth++] = name;
    obj_buf_putc(&w->b, '<');
    obj_buf_puts(&w->b, name);
    if (xmlns) {
        obj_buf_puts(&w->b, " xmlns=\"");
        xmlw_text(w, xmlns, strlen(xmlns));
        obj_buf_putc(&w->b, '"');
    }
    obj_buf_putc(&w->b, '>');
}

void xmlw_open(struct xmlw *w, const char *name) { open_tag(w, name, NULL); }

void xmlw_open_ns(struct xmlw *w, const char *name, const char *xmlns) { open_tag(w, name, xmlns); }

void xmlw_open_attrs(struct xmlw *w, const char *name, const char *attrs)
{
    open_tag(w, name, NULL);
    if (w->failed || w->b.failed || !w->b.len)
        return;
    w->b.len--; /* the '>' just written */
    obj_buf_putc(&w->b, ' ');
    obj_buf_puts(&w->b, attrs);
    obj_buf_putc(&w->b, '>');
}

void xmlw_close(struct xmlw *w)
{
    if (w->depth == 0) {
        w->failed = true;
        return;
    }
    const char *name = w->stack[--w->depth];
    obj_buf_puts(&w->b, "</");
    obj_buf_puts(&w->b, name);
    obj_buf_putc(&w->b, '>');
}

void xmlw_text(struct xmlw *w, const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        const char *rep = NULL;
        char num[8];
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        case '\r':
            rep = "&#13;";
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n') {
                snprintf(num, sizeof(num), "&#x%X;", c);
                rep = num;
            }
        }
        if (rep) {
            obj_buf_put(&w->b, text + i - run, run);
            run = 0;
            obj_buf_puts(&w->b, rep);
        } else {
            run++;
        }
    }
    obj_buf_put(&w->b, text + len - run, run);
}

void xmlw_element_n(struct xmlw *w, const char *name, const char *text, size_t len)
{
    open_tag(w, name, NULL);
    xmlw_text(w, text, len);
    xmlw_close(w);
}

void xmlw_element(struct xmlw *w, const char *name, const char *text)
{
    xmlw_element_n(w, name, text ? text : "", text ? strlen(text) : 0);
}

void xmlw_element_u64(struct xmlw *w, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    xmlw_element(w, name, buf);
}

void xmlw_element_bool(struct xmlw *w, const char *name, bool v) { xmlw_element(w, name, v ? "true" : "false"); }

const char *xmlw_finish(struct xmlw *w, size_t *len)
{
    while (w->depth > 0)
        xmlw_close(w);
    if (w->failed || w->b.failed)
        return NULL;
    const char *s = obj_buf_str(&w->b);
    if (s && len)
        *len = w->b.len;
    return s;
}

void xmlw_free(struct xmlw *w) { obj_buf_free(&w->b); }

const char *s3xml_error_document(struct xmlw *w, const char *code, const char *message, const char *resource,
                                 const char *request_id, size_t *len)
{
    xmlw_init(w, 64 * 1024);
    xmlw_open(w, "Error");
    xmlw_element(w, "Code", code);
    xmlw_element(w, "Message", message);
    if (resource)
        xmlw_element(w, "Resource", resource);
    if (request_id)
        xmlw_element(w, "RequestId", request_id);
    return xmlw_finish(w, len);
}
