/*
 * bucket_policy_actions: each S3/COS operation's s3: action name, as bucket policies name it (the
 * route table's rows by name; a unit test checks that every row has one).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "object/bucket_policy.h"

/* ---------------------------------------------------------------- actions */

/* Each operation's s3: action; the second when the request names a version (versionId); per_key:
 * authorised key by key once the body is in (DeleteObjects), so the bucket-level check asks only
 * whether the policy could grant some key. */
static const struct {
    const char *operation, *action, *version_action;
    bool per_key;
} s3_actions[] = {
    {"ListBuckets", "s3:ListAllMyBuckets", NULL},
    {"GetBucketLocation", "s3:GetBucketLocation", NULL},
    {"GetBucketVersioning", "s3:GetBucketVersioning", NULL},
    {"ListObjectVersions", "s3:ListBucketVersions", NULL},
    {"ListMultipartUploads", "s3:ListBucketMultipartUploads", NULL},
    {"GetBucketTagging", "s3:GetBucketTagging", NULL},
    {"GetBucketAcl", "s3:GetBucketAcl", NULL},
    {"GetBucketPolicy", "s3:GetBucketPolicy", NULL},
    {"GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", NULL},
    {"GetBucketCors", "s3:GetBucketCORS", NULL},
    {"GetBucketLifecycle", "s3:GetLifecycleConfiguration", NULL},
    {"GetBucketWebsite", "s3:GetBucketWebsite", NULL},
    {"GetBucketEncryption", "s3:GetEncryptionConfiguration", NULL},
    {"PutBucketEncryption", "s3:PutEncryptionConfiguration", NULL},
    {"DeleteBucketEncryption", "s3:PutEncryptionConfiguration", NULL},
    {"GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", NULL},
    {"PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", NULL},
    {"GetBucketLogging", "s3:GetBucketLogging", NULL},
    {"PutBucketLogging", "s3:PutBucketLogging", NULL},
    {"GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", NULL},
    {"PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", NULL},
    {"DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", NULL},
    {"GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", NULL},
    {"PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", NULL},
    {"DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", NULL},
    {"ListObjectsV2", "s3:ListBucket", NULL},
    {"ListObjects", "s3:ListBucket", NULL},
    {"HeadBucket", "s3:ListBucket", NULL},
    {"PutBucketTagging", "s3:PutBucketTagging", NULL},
    {"PutBucketAcl", "s3:PutBucketAcl", NULL},
    {"PutBucketVersioning", "s3:PutBucketVersioning", NULL},
    {"PutBucketPolicy", "s3:PutBucketPolicy", NULL},
    {"PutBucketCors", "s3:PutBucketCORS", NULL},
    {"PutBucketLifecycle", "s3:PutLifecycleConfiguration", NULL},
    {"CreateBucket", "s3:CreateBucket", NULL},
    {"DeleteObjects", "s3:DeleteObject", NULL, true},
    {"PostObject", "s3:PutObject", NULL},
    {"DeleteBucketTagging", "s3:PutBucketTagging", NULL},
    {"DeleteBucketPolicy", "s3:DeleteBucketPolicy", NULL},
    {"DeleteBucketCors", "s3:PutBucketCORS", NULL},
    {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", NULL},
    {"DeleteBucket", "s3:DeleteBucket", NULL},
    {"GetObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"},
    {"GetObjectAttributes", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"},
    {"GetObjectTorrent", "s3:GetObjectTorrent", "s3:GetObjectVersionTorrent"},
    {"GetObjectRetention", "s3:GetObjectRetention", NULL},
    {"GetObjectLegalHold", "s3:GetObjectLegalHold", NULL},
    {"PutObjectRetention", "s3:PutObjectRetention", NULL},
    {"PutObjectLegalHold", "s3:PutObjectLegalHold", NULL},
    {"BypassGovernanceRetention", "s3:BypassGovernanceRetention", NULL},
    {"GetObjectAcl", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"},
    {"ListParts", "s3:ListMultipartUploadParts", NULL},
    {"GetObject", "s3:GetObject", "s3:GetObjectVersion"},
    {"HeadObject", "s3:GetObject", "s3:GetObjectVersion"},
    {"PutObjectTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"},
    {"PutObjectAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"},
    {"UploadPartCopy", "s3:PutObject", NULL},
    {"UploadPart", "s3:PutObject", NULL},
    {"CopyObject", "s3:PutObject", NULL},
    {"PutObject", "s3:PutObject", NULL},
    {"CreateMultipartUpload", "s3:PutObject", NULL},
    {"CompleteMultipartUpload", "s3:PutObject", NULL},
    {"DeleteObjectTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"},
    {"AbortMultipartUpload", "s3:AbortMultipartUpload", NULL},
    {"DeleteObject", "s3:DeleteObject", "s3:DeleteObjectVersion"},
};
#define NACTIONS (sizeof s3_actions / sizeof s3_actions[0])

bool bucket_policy_per_key(const char *operation)
{
    for (size_t i = 0; i < NACTIONS; i++)
        if (!strcmp(s3_actions[i].operation, operation))
            return s3_actions[i].per_key;
    return false;
}

const char *bucket_policy_s3_action(const char *operation, bool version)
{
    for (size_t i = 0; i < NACTIONS; i++)
        if (!strcmp(s3_actions[i].operation, operation))
            return version && s3_actions[i].version_action ? s3_actions[i].version_action : s3_actions[i].action;
    return NULL;
}

/* Does the pattern (an s3: action name, maybe with wildcards) name some operation yun has? */
bool bucket_policy_names_known_action(const char *pattern)
{
    for (size_t i = 0; i < NACTIONS; i++)
        if (policy_glob(pattern, s3_actions[i].action, 1) ||
            (s3_actions[i].version_action && policy_glob(pattern, s3_actions[i].version_action, 1)))
            return true;
    return false;
}
