/*
 * xmltree.h - a small, bounded element tree of an S3 request document (lifecycle and CORS
 * configurations), for the documents whose schema is easier to check as a whole than as a
 * stream: element names (namespaces dropped), trimmed text, children in order. No DOCTYPE, no
 * attributes kept, depth and node count bounded.
 */
#ifndef YUN_OBJECT_XMLTREE_H
#define YUN_OBJECT_XMLTREE_H

#include <stddef.h>

struct xnode {
    char *name;
    char *text; /* the element's own text, whitespace trimmed ("" if none) */
    struct xnode *first, *next, *parent;
};

/* The document's root, or NULL if it is not well-formed, has a DOCTYPE or exceeds the bounds
 * (16 levels, 20000 elements). Free with xtree_free. */
struct xnode *xtree_parse(const char *body, size_t len);
void xtree_free(struct xnode *n);
/* The first child named name, or NULL. */
struct xnode *xtree_child(const struct xnode *n, const char *name);
/* How many children are named name. */
int xtree_count(const struct xnode *n, const char *name);
/* The text of the first child named name, or NULL. */
const char *xtree_text(const struct xnode *n, const char *name);

#endif
