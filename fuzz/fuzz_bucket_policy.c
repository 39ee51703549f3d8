/*
 * fuzz_bucket_policy.c - libFuzzer target for bucket policy documents (PutBucketPolicy's body,
 * untrusted): parse, validate, and for a document that validates, evaluate it for an anonymous
 * and a signed-in caller and for the log delivery's service principal, and ask whether it is
 * public. Nothing may crash, and a validated document's answer must be one of the three effects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object/bucket_policy.h"

static const char *lookup(void *arg, const char *key, char *buf, size_t len)
{
    (void)arg;
    if (!strcmp(key, "aws:SourceIp"))
        return "10.0.0.1";
    snprintf(buf, len, "%s", key); /* every other key has its own name as value */
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[300];
    json_t *doc = bucket_policy_parse((const char *)data, size, why, sizeof why);
    if (!doc)
        return 0;
    if (bucket_policy_validate(doc, "bucket", why, sizeof why) == 0) {
        for (int anon = 0; anon < 2; anon++) {
            struct bp_request q = {.s3_action = "s3:GetObject",
                                   .cos_action = "cos:GetObject",
                                   .bucket = "bucket",
                                   .key = anon ? "public/key" : NULL,
                                   .region = "ap-local",
                                   .app_id = "1250000000",
                                   .owner = "100000000001",
                                   .anonymous = anon,
                                   .account = anon ? "" : "100000000002",
                                   .user = anon ? "" : "100000000002",
                                   .restrict_public = anon,
                                   .any_key = !anon,
                                   .lookup = lookup};
            enum bp_effect e = bucket_policy_evaluate(doc, &q);
            if (e != BP_NONE && e != BP_ALLOW && e != BP_DENY)
                abort();
        }
        struct bp_request svc = {.s3_action = "s3:PutObject",
                                 .cos_action = "cos:PutObject",
                                 .bucket = "bucket",
                                 .key = "log/",
                                 .region = "ap-local",
                                 .app_id = "1250000000",
                                 .owner = "100000000001",
                                 .account = "",
                                 .user = "",
                                 .service = BUCKET_POLICY_LOG_SERVICE,
                                 .lookup = lookup};
        enum bp_effect e = bucket_policy_evaluate(doc, &svc);
        if (e != BP_NONE && e != BP_ALLOW && e != BP_DENY)
            abort();
        (void)bucket_policy_is_public(doc);
    }
    json_decref(doc);
    return 0;
}
