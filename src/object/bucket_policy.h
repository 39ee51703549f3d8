/*
 * bucket_policy: S3 bucket policies (and COS's policy documents), pure functions over a parsed
 * document: validation, evaluation against one request, and S3's "is it public". The request
 * side (who asks, the condition keys' values) is handed in, so the unit test and the fuzz target
 * drive them without a server; auth.c's authorize() reaches them through bucket_policy_check().
 */
#ifndef YUN_OBJECT_BUCKET_POLICY_H
#define YUN_OBJECT_BUCKET_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include "identity/identity.h"

#define BUCKET_POLICY_MAX_BYTES (20 * 1024) /* S3's limit on a bucket policy */

enum bp_effect { BP_NONE = 0, BP_ALLOW = 1, BP_DENY = 2 };

/* The caller and the request, as the evaluator sees them. */
struct bp_request {
    const char *s3_action;  /* "s3:GetObject" */
    const char *cos_action; /* "cos:GetObject" (CAM's name of the same operation) */
    const char *bucket;
    const char *key;             /* NULL: the bucket itself */
    const char *region, *app_id; /* the bucket's, for qcs resource names */
    const char *owner;           /* the bucket owner's account */
    bool anonymous;              /* no signature: only "*" principals match */
    const char *account, *user;  /* the caller's account and user (== account for its root) */
    const char *role;            /* a role session's role name, NULL otherwise */
    const char *service;         /* a service principal's request (yun's own log delivery,
                                    "logging.s3.amazonaws.com"), NULL for a user's: an Allow applies only if
                                    its {"Service": ...} principal names it, a Deny also if it names "*" */
    bool restrict_public;        /* RestrictPublicBuckets: a public policy grants only the owner's account */
    bool any_key;                /* some key, not known yet: Allows whose S3 resource names objects of the bucket apply,
                                    Denies are left to the per-key checks */
    policy_key_fn lookup;        /* condition keys' values */
    void *arg;
};

/* The document as JSON (BUCKET_POLICY_MAX_BYTES at most), NULL with a reason when it is not. */
json_t *bucket_policy_parse(const char *text, size_t len, char *why, size_t wlen);
/* S3's grammar, and resources that can name something in bucket: 0, or -1 with a reason. */
int bucket_policy_validate(json_t *doc, const char *bucket, char *why, size_t len);
/* The effect of a validated document on the request: NONE, ALLOW or DENY. */
enum bp_effect bucket_policy_evaluate(json_t *doc, const struct bp_request *q);
/* S3's "public": an Allow to "*" (any AWS principal, anyone) without a condition that fixes the
 * caller's address, account, VPC or ARN. */
bool bucket_policy_is_public(json_t *doc);
/* The s3: action of an S3 operation (routes.c's row name), with versionId when it names a version. */
const char *bucket_policy_s3_action(const char *operation, bool version);
/* The service principal of yun's server access log delivery. */
#define BUCKET_POLICY_LOG_SERVICE "logging.s3.amazonaws.com"
/* Is the operation authorised key by key (DeleteObjects)? */
bool bucket_policy_per_key(const char *operation);

/* bucket_policy_actions.c: does an s3: pattern name some operation yun has? */
bool bucket_policy_names_known_action(const char *pattern);

#endif
