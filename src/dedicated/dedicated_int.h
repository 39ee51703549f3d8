/*
 * dedicated_int: the cdc service's files. Every statement is in store.c; the handlers (site.c,
 * cluster.c) call its named functions.
 */
#ifndef YUN_DEDICATED_INT_H
#define YUN_DEDICATED_INT_H

#include "dedicated/dedicated.h"

/* A site's settable fields: request parameter, column, kind ('s' text, 'i' integer, 'b' boolean). */
struct site_field {
    const char *param, *column;
    char kind;
};
extern const struct site_field site_fields[];

/* store.c */
int site_insert(struct store *s, const char *site_id, const char *owner_uin, int64_t t);
/* Sets one field (f from site_fields) from a JSON value (a string for 'i' is parsed); 1 set, 0 no such site. */
int site_set(struct store *s, const char *owner_uin, const char *site_id, const struct site_field *f, json_t *v);
/* Every site of owner as an object keyed by the fields' params plus SiteId, CreateTime; NULL on error. */
json_t *site_rows(struct store *s, const char *owner_uin);
int site_exists(struct store *s, const char *owner_uin, const char *site_id); /* 1, 0, -1 */
int64_t site_cluster_count(struct store *s, const char *owner_uin, const char *site_id);
int site_delete(struct store *s, const char *owner_uin, const char *site_id); /* rows deleted, -1 */

int cluster_insert(struct store *s, const char *cluster_id, const char *owner_uin, const char *site_id,
                   const char *name, const char *zone, const char *region, const char *description, int64_t t);
/* Owner's clusters in region as DedicatedCluster objects (without the computed statuses). */
json_t *cluster_rows(struct store *s, const char *owner_uin, const char *region);
int cluster_set(struct store *s, const char *owner_uin, const char *cluster_id, const char *column, const char *v);
int cluster_delete(struct store *s, const char *owner_uin, const char *cluster_id);

#endif
