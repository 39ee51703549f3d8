/*
 * routes: the S3/COS operations as rows. A row is the whole truth about its operation: method,
 * scope (service, bucket, object), the query parameters that select it and the sub-resources it
 * accepts, the CAM action, how its body is read, its flags (public access, needs the bucket, copy,
 * reads together), the handler that opens its body (begin) and the one that answers (run). The
 * listener never tests which operation it runs; it reads the row.
 */
#include <string.h>

#include "object/object_int.h"

#define B OP_NEEDS_BUCKET
/* Columns: name, method, scope, subresource, sub2, also, CAM action, mutates, body, flags, run,
 * then for fixed answers code and status, and begin for the operations whose body streams.
 * Order matters: the first row whose method, scope and selecting parameters match wins. */
static const struct op ops[] = {
    {"ListBuckets", "GET", SCOPE_SERVICE, NULL, NULL, NULL, "cos:GetService", false, BODY_NONE, 0, op_list_buckets},
    {"ListBuckets", "HEAD", SCOPE_SERVICE, NULL, NULL, NULL, "cos:GetService", false, BODY_NONE, 0, op_list_buckets},

    {"GetBucketLocation", "GET", SCOPE_BUCKET, "location", NULL, NULL, "cos:GetBucketLocation", false, BODY_NONE, B,
     op_get_bucket_location},
    {"GetBucketVersioning", "GET", SCOPE_BUCKET, "versioning", NULL, NULL, "cos:GetBucketVersioning", false, BODY_NONE,
     B, op_get_bucket_versioning},
    {"ListObjectVersions", "GET", SCOPE_BUCKET, "versions", NULL, NULL, "cos:GetBucketObjectVersions", false, BODY_NONE,
     B, op_list_object_versions},
    {"ListMultipartUploads", "GET", SCOPE_BUCKET, "uploads", NULL, NULL, "cos:ListMultipartUploads", false, BODY_NONE,
     B | OP_PUBLIC_READ, op_list_multipart_uploads},
    {"GetBucketTagging", "GET", SCOPE_BUCKET, "tagging", NULL, NULL, "cos:GetBucketTagging", false, BODY_NONE, B,
     op_get_bucket_tagging},
    {"GetBucketAcl", "GET", SCOPE_BUCKET, "acl", NULL, NULL, "cos:GetBucketACL", false, BODY_NONE, B,
     op_get_bucket_acl},
    {"GetBucketPolicy", "GET", SCOPE_BUCKET, "policy", NULL, NULL, "cos:GetBucketPolicy", false, BODY_NONE, B,
     op_get_bucket_policy},
    {"GetBucketPolicyStatus", "GET", SCOPE_BUCKET, "policyStatus", NULL, NULL, "cos:GetBucketPolicy", false, BODY_NONE,
     B, op_get_bucket_policy_status},
    {"GetBucketCors", "GET", SCOPE_BUCKET, "cors", NULL, NULL, "cos:GetBucketCORS", false, BODY_NONE, B,
     op_get_bucket_cors},
    {"GetBucketLifecycle", "GET", SCOPE_BUCKET, "lifecycle", NULL, NULL, "cos:GetBucketLifecycle", false, BODY_NONE, B,
     op_get_bucket_lifecycle},
    {"GetBucketWebsite", "GET", SCOPE_BUCKET, "website", NULL, NULL, "cos:GetBucketWebsite", false, BODY_NONE, B,
     op_fixed, "NoSuchWebsiteConfiguration", 404},
    {"GetBucketEncryption", "GET", SCOPE_BUCKET, "encryption", NULL, NULL, "cos:GetBucketEncryption", false, BODY_NONE,
     B, op_get_bucket_encryption},
    {"GetObjectLockConfiguration", "GET", SCOPE_BUCKET, "object-lock", NULL, NULL, "cos:GetBucketObjectLock", false,
     BODY_NONE, B, op_get_object_lock_config},
    {"PutObjectLockConfiguration", "PUT", SCOPE_BUCKET, "object-lock", NULL, NULL, "cos:PutBucketObjectLock", true,
     BODY_XML, B, op_put_object_lock_config},
    {"GetBucketLogging", "GET", SCOPE_BUCKET, "logging", NULL, NULL, "cos:GetBucketLogging", false, BODY_NONE, B,
     op_get_bucket_logging},
    {"PutBucketLogging", "PUT", SCOPE_BUCKET, "logging", NULL, NULL, "cos:PutBucketLogging", true, BODY_XML, B,
     op_put_bucket_logging},
    {"GetPublicAccessBlock", "GET", SCOPE_BUCKET, "publicAccessBlock", NULL, NULL, "cos:GetBucket", false, BODY_NONE, B,
     op_get_public_block},
    {"PutPublicAccessBlock", "PUT", SCOPE_BUCKET, "publicAccessBlock", NULL, NULL, "cos:PutBucket", true, BODY_XML, B,
     op_put_public_block},
    {"DeletePublicAccessBlock", "DELETE", SCOPE_BUCKET, "publicAccessBlock", NULL, NULL, "cos:PutBucket", true,
     BODY_NONE, B, op_delete_public_block},
    {"GetBucketOwnershipControls", "GET", SCOPE_BUCKET, "ownershipControls", NULL, NULL, "cos:GetBucket", false,
     BODY_NONE, B, op_get_ownership},
    {"PutBucketOwnershipControls", "PUT", SCOPE_BUCKET, "ownershipControls", NULL, NULL, "cos:PutBucket", true,
     BODY_XML, B, op_put_ownership},
    {"DeleteBucketOwnershipControls", "DELETE", SCOPE_BUCKET, "ownershipControls", NULL, NULL, "cos:PutBucket", true,
     BODY_NONE, B, op_delete_ownership},
    {"ListObjectsV2", "GET", SCOPE_BUCKET, "list-type", NULL, NULL, "cos:GetBucket", false, BODY_NONE,
     B | OP_PUBLIC_READ, op_list_objects_v2},
    {"ListObjects", "GET", SCOPE_BUCKET, NULL, NULL, NULL, "cos:GetBucket", false, BODY_NONE, B | OP_PUBLIC_READ,
     op_list_objects},
    {"HeadBucket", "HEAD", SCOPE_BUCKET, NULL, NULL, NULL, "cos:HeadBucket", false, BODY_NONE, B | OP_PUBLIC_READ,
     op_head_bucket},
    {"PutBucketTagging", "PUT", SCOPE_BUCKET, "tagging", NULL, NULL, "cos:PutBucketTagging", true, BODY_XML, B,
     op_put_bucket_tagging},
    {"PutBucketAcl", "PUT", SCOPE_BUCKET, "acl", NULL, NULL, "cos:PutBucketACL", true, BODY_XML, B, op_put_bucket_acl},
    {"PutBucketVersioning", "PUT", SCOPE_BUCKET, "versioning", NULL, NULL, "cos:PutBucketVersioning", true, BODY_XML, B,
     op_put_bucket_versioning},
    {"PutBucketPolicy", "PUT", SCOPE_BUCKET, "policy", NULL, NULL, "cos:PutBucketPolicy", true, BODY_XML, B,
     op_put_bucket_policy},
    {"PutBucketCors", "PUT", SCOPE_BUCKET, "cors", NULL, NULL, "cos:PutBucketCORS", true, BODY_XML, B,
     op_put_bucket_cors},
    {"PutBucketLifecycle", "PUT", SCOPE_BUCKET, "lifecycle", NULL, NULL, "cos:PutBucketLifecycle", true, BODY_XML, B,
     op_put_bucket_lifecycle},
    {"PutBucketEncryption", "PUT", SCOPE_BUCKET, "encryption", NULL, NULL, "cos:PutBucketEncryption", true, BODY_XML, B,
     op_put_bucket_encryption},
    {"CreateBucket", "PUT", SCOPE_BUCKET, NULL, NULL, NULL, "cos:PutBucket", true, BODY_XML, 0, op_create_bucket},
    {"DeleteObjects", "POST", SCOPE_BUCKET, "delete", NULL, NULL, "cos:DeleteMultipleObjects", true, BODY_XML, B,
     op_delete_objects},
    {"PostObject", "POST", SCOPE_BUCKET, NULL, NULL, NULL, "cos:PostObject", true, BODY_STREAM, B | OP_FORM,
     op_post_object, NULL, 0, post_object_begin},
    {"DeleteBucketTagging", "DELETE", SCOPE_BUCKET, "tagging", NULL, NULL, "cos:DeleteBucketTagging", true, BODY_NONE,
     B, op_delete_bucket_tagging},
    {"DeleteBucketPolicy", "DELETE", SCOPE_BUCKET, "policy", NULL, NULL, "cos:DeleteBucketPolicy", true, BODY_NONE, B,
     op_delete_bucket_policy},
    {"DeleteBucketCors", "DELETE", SCOPE_BUCKET, "cors", NULL, NULL, "cos:DeleteBucketCORS", true, BODY_NONE, B,
     op_delete_bucket_cors},
    {"DeleteBucketLifecycle", "DELETE", SCOPE_BUCKET, "lifecycle", NULL, NULL, "cos:DeleteBucketLifecycle", true,
     BODY_NONE, B, op_delete_bucket_lifecycle},
    {"DeleteBucketEncryption", "DELETE", SCOPE_BUCKET, "encryption", NULL, NULL, "cos:DeleteBucketEncryption", true,
     BODY_NONE, B, op_delete_bucket_encryption},
    {"DeleteBucket", "DELETE", SCOPE_BUCKET, NULL, NULL, NULL, "cos:DeleteBucket", true, BODY_NONE, B,
     op_delete_bucket},

    {"GetObjectTagging", "GET", SCOPE_OBJECT, "tagging", NULL, NULL, "cos:GetObjectTagging", false, BODY_NONE, B,
     op_get_object_tagging},
    {"GetObjectAttributes", "GET", SCOPE_OBJECT, "attributes", NULL, NULL, "cos:GetObject", false, BODY_NONE, B,
     op_get_object_attributes},
    {"GetObjectTorrent", "GET", SCOPE_OBJECT, "torrent", NULL, NULL, "cos:GetObject", false, BODY_NONE, B,
     op_get_object_torrent},
    {"GetObjectRetention", "GET", SCOPE_OBJECT, "retention", NULL, NULL, "cos:GetObjectRetention", false, BODY_NONE, B,
     op_get_object_retention},
    {"GetObjectLegalHold", "GET", SCOPE_OBJECT, "legal-hold", NULL, NULL, "cos:GetObjectLegalHold", false, BODY_NONE, B,
     op_get_object_legal_hold},
    {"PutObjectRetention", "PUT", SCOPE_OBJECT, "retention", NULL, NULL, "cos:PutObjectRetention", true, BODY_XML, B,
     op_put_object_retention},
    {"PutObjectLegalHold", "PUT", SCOPE_OBJECT, "legal-hold", NULL, NULL, "cos:PutObjectLegalHold", true, BODY_XML, B,
     op_put_object_legal_hold},
    {"GetObjectAcl", "GET", SCOPE_OBJECT, "acl", NULL, NULL, "cos:GetObjectACL", false, BODY_NONE, B,
     op_get_object_acl},
    {"ListParts", "GET", SCOPE_OBJECT, "uploadId", NULL, NULL, "cos:ListParts", false, BODY_NONE, B, op_list_parts},
    {"GetObject", "GET", SCOPE_OBJECT, NULL, NULL, "partNumber", "cos:GetObject", false, BODY_NONE,
     B | OP_PUBLIC_READ | OP_READS_TOGETHER, op_get_object},
    {"HeadObject", "HEAD", SCOPE_OBJECT, NULL, NULL, "partNumber", "cos:HeadObject", false, BODY_NONE,
     B | OP_PUBLIC_READ | OP_READS_TOGETHER, op_get_object},
    {"PutObjectTagging", "PUT", SCOPE_OBJECT, "tagging", NULL, NULL, "cos:PutObjectTagging", true, BODY_XML, B,
     op_put_object_tagging},
    {"PutObjectAcl", "PUT", SCOPE_OBJECT, "acl", NULL, NULL, "cos:PutObjectACL", true, BODY_XML, B, op_put_object_acl},
    {"UploadPartCopy", "PUT", SCOPE_OBJECT, "partNumber", "uploadId", NULL, "cos:UploadPart", true, BODY_NONE,
     B | OP_COPY, op_upload_part_copy},
    {"UploadPart", "PUT", SCOPE_OBJECT, "partNumber", "uploadId", NULL, "cos:UploadPart", true, BODY_STREAM,
     B | OP_PUBLIC_WRITE, op_upload_part, NULL, 0, upload_part_begin},
    {"CopyObject", "PUT", SCOPE_OBJECT, NULL, NULL, NULL, "cos:PutObject", true, BODY_NONE, B | OP_COPY,
     op_copy_object},
    {"PutObject", "PUT", SCOPE_OBJECT, NULL, NULL, NULL, "cos:PutObject", true, BODY_STREAM, B | OP_PUBLIC_WRITE,
     op_put_object, NULL, 0, put_object_begin},
    {"CreateMultipartUpload", "POST", SCOPE_OBJECT, "uploads", NULL, NULL, "cos:InitiateMultipartUpload", true,
     BODY_NONE, B | OP_PUBLIC_WRITE, op_create_multipart},
    {"CompleteMultipartUpload", "POST", SCOPE_OBJECT, "uploadId", NULL, NULL, "cos:CompleteMultipartUpload", true,
     BODY_XML, B | OP_PUBLIC_WRITE, op_complete_multipart},
    {"DeleteObjectTagging", "DELETE", SCOPE_OBJECT, "tagging", NULL, NULL, "cos:DeleteObjectTagging", true, BODY_NONE,
     B, op_delete_object_tagging},
    {"AbortMultipartUpload", "DELETE", SCOPE_OBJECT, "uploadId", NULL, NULL, "cos:AbortMultipartUpload", true,
     BODY_NONE, B | OP_PUBLIC_WRITE, op_abort_multipart},
    {"DeleteObject", "DELETE", SCOPE_OBJECT, NULL, NULL, NULL, "cos:DeleteObject", true, BODY_NONE, B | OP_PUBLIC_WRITE,
     op_delete_object},
};
#undef B

/* Query parameters that name a sub-resource or select an operation (S3's and COS's). A row is
 * chosen only if it names every one of them the request carries: a request for something yun does
 * not implement (DELETE ?publicAccessBlock, PUT key?retention, GET key?attributes...) finds no row
 * and is answered 501 NotImplemented with nothing changed, instead of running the plain operation
 * of its method. */
static const char *const subresources[] = {
    "accelerate",
    "acl",
    "analytics",
    "append",
    "attributes",
    "cors",
    "delete",
    "domain",
    "encryption",
    "intelligent-tiering",
    "intelligenttiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "origin",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "referer",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versioning",
    "versions",
    "website",
};

static bool row_names(const struct op *o, const char *param)
{
    return (o->subresource && strcmp(o->subresource, param) == 0) || (o->sub2 && strcmp(o->sub2, param) == 0) ||
           (o->also && strcmp(o->also, param) == 0);
}

/* The sub-resources the query names (found once per request, the rows are many). */
struct named {
    const char *v[OBJ_QUERY_MAX_PARAMS];
    size_t n;
};

static void named_subresources(const struct rq *r, struct named *out)
{
    out->n = 0;
    for (size_t i = 0; i < r->q.n; i++) {
        const char *name = r->q.v[i].name;
        if (name[0] < 'a' || name[0] > 'z') /* every sub-resource starts so; X-Amz-* never does */
            continue;
        for (size_t j = 0; j < sizeof subresources / sizeof subresources[0]; j++)
            if (strcmp(name, subresources[j]) == 0) {
                out->v[out->n++] = subresources[j];
                break;
            }
    }
}

static bool names_every_subresource(const struct named *s, const struct op *o)
{
    for (size_t i = 0; i < s->n; i++)
        if (!row_names(o, s->v[i]))
            return false;
    return true;
}

const struct op *route_table(size_t *n)
{
    *n = sizeof ops / sizeof ops[0];
    return ops;
}

enum scope scope_of(const struct rq *r) { return !r->bucket[0] ? SCOPE_SERVICE : r->key ? SCOPE_OBJECT : SCOPE_BUCKET; }

const struct op *route(struct rq *r, enum scope scope)
{
    bool copy = hdr_amz(r, "copy-source") != NULL;
    struct named named;
    named_subresources(r, &named);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const struct op *o = &ops[i];
        if (o->scope != scope || strcmp(o->method, r->method) != 0)
            continue;
        if (o->subresource && !qhas(r, o->subresource))
            continue;
        if (o->sub2 && !qhas(r, o->sub2))
            continue;
        if (!names_every_subresource(&named, o))
            continue;
        if (scope == SCOPE_OBJECT && strcmp(r->method, "PUT") == 0 && !o->sub2 && !o->subresource &&
            copy != !!(o->flags & OP_COPY))
            continue;
        if (o->sub2 && copy != !!(o->flags & OP_COPY))
            continue;
        return o;
    }
    return NULL;
}
