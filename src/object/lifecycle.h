/*
 * lifecycle.h - a bucket's lifecycle configuration, parsed: what lifecycle.c validates and writes,
 * the expiration header and the job (lifecycle_job.c) read. Times are seconds (business clock).
 */
#ifndef YUN_OBJECT_LIFECYCLE_H
#define YUN_OBJECT_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define LC_MAX_RULES 1000
#define LC_MAX_TAGS  10

struct lc_rule {
    char id[256];
    bool enabled;
    bool legacy_prefix; /* <Rule><Prefix> (the old PutBucketLifecycle), not <Filter> */
    bool has_filter;
    bool filter_and; /* the filter was written as <And> */
    char *prefix;    /* "" if none */
    int ntags;
    char *tag_key[LC_MAX_TAGS], *tag_value[LC_MAX_TAGS];
    int64_t size_gt, size_lt;   /* -1 if none */
    int64_t exp_days, exp_date; /* 0 / -1 if none */
    int exp_marker;             /* ExpiredObjectDeleteMarker: -1 absent, 0 false, 1 true */
    int64_t nc_days, nc_newer;  /* NoncurrentVersionExpiration: 0 if none */
    int64_t abort_days;         /* AbortIncompleteMultipartUpload: 0 if none */
};

struct lc_config {
    int n;
    struct lc_rule *rules;
};

/* Parses and validates a document. 0, or -1 with an S3 error (code, message, status 400). */
int lc_parse(const char *xml, size_t len, struct lc_config *c, const char **code, const char **message);
void lc_free(struct lc_config *c);
/* The rule's filter holds for an object (key, size, tags as stored JSON). */
bool lc_matches(const struct lc_rule *rule, const char *key, int64_t size, const char *tags_json);
/* The next midnight UTC at or after t, as S3 rounds expiry times. */
int64_t lc_midnight(int64_t t);

/* lifecycle_job.c: the periodic expiry, a job on billing's controller (the business clock). */
int lifecycle_job(struct store *s, int64_t t);

#endif
