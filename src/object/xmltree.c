/*
 * xmltree.c - an element tree built with expat, bounded as s3xml.c's parsers are: no DOCTYPE
 * (so no entities), at most 16 levels and 20000 elements, text per element at most 64 KiB.
 */
#include "object/xmltree.h"

#include <ctype.h>
#include <expat.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NS_SEP    '\x01'
#define MAX_DEPTH 16
#define MAX_NODES 20000
#define MAX_TEXT  65536

struct builder {
    XML_Parser xp;
    struct xnode *root, *cur, *last_child[MAX_DEPTH + 1];
    int depth, nodes;
    bool failed;
    char *text;
    size_t tlen;
};

static void stop(struct builder *b)
{
    b->failed = true;
    XML_StopParser(b->xp, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct builder *b = ud;
    (void)attrs;
    if (b->failed)
        return;
    if (b->depth >= MAX_DEPTH || ++b->nodes > MAX_NODES || (b->depth == 0 && b->root)) {
        stop(b);
        return;
    }
    const char *ln = strrchr(name, NS_SEP);
    ln = ln ? ln + 1 : name;
    struct xnode *n = calloc(1, sizeof *n);
    if (!n || !(n->name = strdup(ln))) {
        free(n);
        stop(b);
        return;
    }
    n->parent = b->cur;
    if (!b->cur)
        b->root = n;
    else if (b->last_child[b->depth])
        b->last_child[b->depth]->next = n;
    else
        b->cur->first = n;
    b->last_child[b->depth] = n;
    b->depth++;
    b->last_child[b->depth] = NULL;
    b->cur = n;
    b->tlen = 0;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct builder *b = ud;
    (void)name;
    if (b->failed)
        return;
    size_t s = 0, e = b->tlen;
    while (s < e && isspace((unsigned char)b->text[s]))
        s++;
    while (e > s && isspace((unsigned char)b->text[e - 1]))
        e--;
    if (!b->cur->first || e > s) {
        b->cur->text = strndup(b->text ? b->text + s : "", e - s);
        if (!b->cur->text) {
            stop(b);
            return;
        }
    }
    b->tlen = 0;
    b->cur = b->cur->parent;
    b->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct builder *b = ud;
    if (b->failed || !b->cur)
        return;
    if (b->tlen + (size_t)len > MAX_TEXT) {
        stop(b);
        return;
    }
    char *t = realloc(b->text, b->tlen + (size_t)len + 1);
    if (!t) {
        stop(b);
        return;
    }
    b->text = t;
    memcpy(b->text + b->tlen, s, (size_t)len);
    b->tlen += (size_t)len;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    stop(ud);
}

struct xnode *xtree_parse(const char *body, size_t len)
{
    struct builder b = {0};
    b.xp = XML_ParserCreateNS(NULL, NS_SEP);
    if (!b.xp)
        return NULL;
    XML_SetUserData(b.xp, &b);
    XML_SetElementHandler(b.xp, on_start, on_end);
    XML_SetCharacterDataHandler(b.xp, on_text);
    XML_SetStartDoctypeDeclHandler(b.xp, on_doctype);
    int ok = XML_Parse(b.xp, body ? body : "", (int)len, XML_TRUE) == XML_STATUS_OK;
    XML_ParserFree(b.xp);
    free(b.text);
    if (!ok || b.failed || !b.root || b.depth != 0) {
        xtree_free(b.root);
        return NULL;
    }
    /* the texts of elements with children were not kept: give them "" */
    return b.root;
}

void xtree_free(struct xnode *n)
{
    while (n) {
        struct xnode *next = n->next;
        xtree_free(n->first);
        free(n->name);
        free(n->text);
        free(n);
        n = next;
    }
}

struct xnode *xtree_child(const struct xnode *n, const char *name)
{
    for (struct xnode *c = n ? n->first : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int xtree_count(const struct xnode *n, const char *name)
{
    int k = 0;
    for (struct xnode *c = n ? n->first : NULL; c; c = c->next)
        k += strcmp(c->name, name) == 0;
    return k;
}

const char *xtree_text(const struct xnode *n, const char *name)
{
    struct xnode *c = xtree_child(n, name);
    return c ? (c->text ? c->text : "") : NULL;
}
