/* Bucket policy evaluation and validation, table-driven: principals, actions, resources (S3 and
 * qcs forms), conditions with AWS operators and absent keys, deny over allow, "public", and the
 * documents refused with their reasons. */
/* before cmocka.h, whose fail() macro would rewrite the gateway's fail() declaration */
#include "object/object_int.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "object/bucket_policy.h"

#define OWNER "100000000001"
#define ALT   "100000000002"

/* The request's condition key values: "k=v;k=v". */
static const char *lookup(void *arg, const char *key, char *buf, size_t len)
{
    const char *kv = arg;
    size_t kl = strlen(key);
    for (const char *p = kv; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > kl && p[kl] == '=' && !strncasecmp(p, key, kl)) {
            snprintf(buf, len, "%.*s", (int)(n - kl - 1), p + kl + 1);
            return buf;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

struct row {
    const char *doc;
    const char *s3_action, *key;
    const char *who; /* "" anonymous, "owner", "owner/sub" (a sub-user uin 200), "alt" */
    const char *keys;
    bool restrict_public;
    enum bp_effect want;
};

#define S3(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":[" stmts "]}"
#define ALLOW_ANY(action, res)                                                                                         \
    "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"" action "\",\"Resource\":\"" res "\"}"

/* S3's documented policy for server access logs, for the service principal(s) given */
#define LOG_ALLOW(service)                                                                                             \
    "{\"Sid\":\"S3ServerAccessLogsPolicy\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":" service                   \
    "},\"Action\":[\"s3:PutObject\"],\"Resource\":\"arn:aws:s3:::b/log/*\",\"Condition\":{\"ArnLike\":{\"aws:"         \
    "SourceArn\":\"arn:aws:s3:::src\"},\"StringEquals\":{\"aws:SourceAccount\":\"" OWNER "\"}}}"
#define LOG_SRC "aws:SourceAccount=" OWNER ";aws:SourceArn=arn:aws:s3:::src"

static const struct row rows[] = {
    /* principals */
    {S3(ALLOW_ANY("s3:GetObject", "arn:aws:s3:::b/*")), "s3:GetObject", "k", "", "", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::"
        "b\"}"),
     "s3:ListBucket", NULL, "alt", "", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ALT ":root\"},\"Action\":\"s3:GetObject\","
        "\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:GetObject", "k", "alt", "", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ALT ":root\"},\"Action\":\"s3:GetObject\","
        "\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:GetObject", "k", "", "", false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"" ALT "\"]},\"Action\":\"s3:GetObject\","
        "\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:GetObject", "k", "alt", "", false, BP_ALLOW},
    /* the owner's own account named: its root, not its sub-users (they need CAM or a user ARN) */
    {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" OWNER "\"},\"Action\":\"s3:GetObject\","
        "\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:GetObject", "k", "owner/sub", "", false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" OWNER ":user/200\"},\"Action\":\"s3:GetObject\","
        "\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:GetObject", "k", "owner/sub", "", false, BP_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":[{\"principal\":{\"qcs\":[\"qcs::cam::uin/" OWNER ":uin/200\"]},\"effect\":"
     "\"allow\",\"action\":[\"name/cos:GetObject\"],\"resource\":[\"qcs::cos:ap-local:uid/1250000000:b/*\"]}]}",
     "s3:GetObject", "k", "owner/sub", "", false, BP_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":[{\"principal\":{\"qcs\":[\"qcs::cam::anyone:anyone\"]},\"effect\":"
     "\"allow\",\"action\":[\"cos:GetObject\"],\"resource\":[\"qcs::cos:ap-local:uid/999:b/*\"]}]}",
     "s3:GetObject", "k", "", "", false, BP_NONE},
    /* NotPrincipal (Deny only): everyone but the one named */
    {S3("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" OWNER
        "\"},\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b/"
        "*\"}"),
     "s3:GetObject", "k", "alt", "", false, BP_DENY},
    {S3("{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" OWNER
        "\"},\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b/"
        "*\"}"),
     "s3:GetObject", "k", "owner", "", false, BP_NONE},
    /* actions: wildcards, NotAction, the cos: column */
    {S3(ALLOW_ANY("s3:Get*", "arn:aws:s3:::b/*")), "s3:PutObject", "k", "", "", false, BP_NONE},
    {S3(ALLOW_ANY("*", "arn:aws:s3:::b/*")), "s3:PutObject", "k", "", "", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":\"s3:DeleteObject\",\"Resource\":\"arn:aws:s3:::b/"
        "*\"}"),
     "s3:DeleteObject", "k", "", "", false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":\"s3:DeleteObject\",\"Resource\":\"arn:aws:s3:::b/"
        "*\"}"),
     "s3:GetObject", "k", "", "", false, BP_ALLOW},
    /* resources: the bucket is not its objects */
    {S3(ALLOW_ANY("s3:PutObject", "arn:aws:s3:::b")), "s3:PutObject", "mpobj", "alt", "", false, BP_NONE},
    {S3(ALLOW_ANY("s3:PutObject", "arn:aws:s3:::b/mpobj")), "s3:PutObject", "mpobj", "alt", "", false, BP_ALLOW},
    {S3(ALLOW_ANY("s3:GetObject", "arn:aws:s3:::b/public/*")), "s3:GetObject", "private/x", "", "", false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"NotResource\":\"arn:aws:s3:::b/"
        "secret/*\"}"),
     "s3:GetObject", "secret/x", "", "", false, BP_NONE},
    /* deny wins, in either order */
    {S3(ALLOW_ANY("s3:*", "arn:aws:s3:::b/*") ",{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                                              "\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:GetObject", "k", "alt", "", false, BP_DENY},
    {S3("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/"
        "*\"}," ALLOW_ANY("s3:*", "arn:aws:s3:::b/*")),
     "s3:GetObject", "k", "alt", "", false, BP_DENY},
    /* conditions: AWS operators and keys; a key the request lacks fails a positive operator and
     * satisfies a negated one */
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\","
        "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}"),
     "s3:ListBucket", NULL, "", "aws:SourceIp=10.1.2.3", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\","
        "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}"),
     "s3:ListBucket", NULL, "", "aws:SourceIp=192.168.0.1", false, BP_NONE},
    {S3("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"127.0.0.1\"]}}}"),
     "s3:GetObject", "k", "owner", "aws:SourceIp=127.0.0.1", false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\","
        "\"Condition\":{\"StringLike\":{\"s3:prefix\":\"public/*\"}}}"),
     "s3:ListBucket", NULL, "alt", "s3:prefix=public/object", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\","
        "\"Condition\":{\"StringLike\":{\"s3:prefix\":\"public/*\"}}}"),
     "s3:ListBucket", NULL, "alt", "", false, BP_NONE},
    {S3("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"StringNotEquals\":{\"s3:x-amz-server-side-encryption\":\"aws:kms\"}}}"),
     "s3:PutObject", "k", "owner", "s3:x-amz-server-side-encryption=AES256", false, BP_DENY},
    {S3("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"Null\":{\"s3:x-amz-server-side-encryption\":\"true\"}}}"),
     "s3:PutObject", "k", "owner", "", false, BP_DENY},
    {S3("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"Null\":{\"s3:x-amz-server-side-encryption\":\"true\"}}}"),
     "s3:PutObject", "k", "owner", "s3:x-amz-server-side-encryption=aws:kms", false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"StringLikeIfExists\":{\"aws:Referer\":\"http://www.example.com/*\"}}}"),
     "s3:GetObject", "k", "", "", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"StringLikeIfExists\":{\"aws:Referer\":\"http://www.example.com/*\"}}}"),
     "s3:GetObject", "k", "", "aws:Referer=http://example.com", false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"StringEquals\":{\"s3:ExistingObjectTag/security\":\"public\"}}}"),
     "s3:GetObject", "k", "alt", "s3:ExistingObjectTag/security=public", false, BP_ALLOW},
    {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"StringEquals\":{\"s3:x-amz-grant-full-control\":\"id=" OWNER "\"}}}"),
     "s3:PutObject", "k", "alt", "s3:x-amz-grant-full-control=id=" OWNER, false, BP_ALLOW},
    /* RestrictPublicBuckets: a public policy grants the owner's account only */
    {S3(ALLOW_ANY("s3:GetObject", "arn:aws:s3:::b/*")), "s3:GetObject", "k", "", "", true, BP_NONE},
    {S3(ALLOW_ANY("s3:GetObject", "arn:aws:s3:::b/*")), "s3:GetObject", "k", "owner", "", true, BP_ALLOW},
    {S3(ALLOW_ANY("s3:GetObject", "arn:aws:s3:::b/*") ",{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:"
                                                      "GetObject\",\"Resource\":\"arn:aws:s3:::b/x\"}"),
     "s3:GetObject", "x", "", "", true, BP_DENY},
    /* the Service principal: only yun's log delivery ("svc") is logging.s3.amazonaws.com, with the
     * source bucket's account and ARN as aws:SourceAccount, aws:SourceArn; no user request is a service */
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_ALLOW},
    {S3(LOG_ALLOW("[\"cloudtrail.amazonaws.com\",\"logging.s3.amazonaws.com\"]")), "s3:PutObject", "log/", "svc",
     LOG_SRC, false, BP_ALLOW},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:PutObject", "log/", "svc",
     "aws:SourceAccount=" OWNER ";aws:SourceArn=arn:aws:s3:::other", false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:PutObject", "log/", "svc",
     "aws:SourceAccount=" ALT ";aws:SourceArn=arn:aws:s3:::src", false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:PutObject", "elsewhere/", "svc", LOG_SRC, false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:GetObject", "log/", "svc", LOG_SRC, false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:PutObject", "log/", "owner", LOG_SRC, false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:PutObject", "log/", "alt", LOG_SRC, false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), "s3:PutObject", "log/", "", LOG_SRC, false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.comkaboom\"")), "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_NONE},
    {S3(LOG_ALLOW("\"cloudtrail.amazonaws.com\"")), "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_NONE},
    /* "*" and {"AWS":"*"} grant a service nothing, but their Deny reaches it */
    {S3(ALLOW_ANY("s3:PutObject", "arn:aws:s3:::b/*")), "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_NONE},
    {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:"
        "aws:s3:::b/*\"}"),
     "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_NONE},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"") ",{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:"
                                                  "PutObject\",\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_DENY},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"") ",{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" OWNER
                                                  "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_DENY},
    {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"") ",{\"Effect\":\"Deny\",\"NotPrincipal\":{\"Service\":"
                                                  "\"logging.s3.amazonaws.com\"},\"Action\":\"s3:PutObject\","
                                                  "\"Resource\":\"arn:aws:s3:::b/*\"}"),
     "s3:PutObject", "log/", "svc", LOG_SRC, false, BP_ALLOW},
};

static void evaluation_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *w = &rows[i];
        char why[300] = "";
        json_t *doc = bucket_policy_parse(w->doc, strlen(w->doc), why, sizeof why);
        if (!doc || bucket_policy_validate(doc, "b", why, sizeof why) != 0)
            fail_msg("row %zu refused: %s", i, why);
        bool anon = !*w->who, sub = !strcmp(w->who, "owner/sub"), alt = !strcmp(w->who, "alt");
        bool svc = !strcmp(w->who, "svc");
        struct bp_request q = {.s3_action = w->s3_action,
                               .cos_action = "cos:GetObject",
                               .bucket = "b",
                               .key = w->key,
                               .region = "ap-local",
                               .app_id = "1250000000",
                               .owner = OWNER,
                               .anonymous = anon,
                               .account = anon || svc ? ""
                                          : alt       ? ALT
                                                      : OWNER,
                               .user = anon || svc ? ""
                                       : alt       ? ALT
                                       : sub       ? "200"
                                                   : OWNER,
                               .restrict_public = w->restrict_public,
                               .service = svc ? BUCKET_POLICY_LOG_SERVICE : NULL,
                               .lookup = lookup,
                               .arg = (void *)w->keys};
        enum bp_effect got = bucket_policy_evaluate(doc, &q);
        if (got != w->want)
            fail_msg("row %zu: got %d, want %d", i, got, w->want);
        json_decref(doc);
    }
}

/* DeleteObjects before its body: an Allow on some keys of the bucket lets the per-key checks run;
 * an Allow on the bucket alone, another bucket's keys or a Deny does not decide there. */
static void any_key(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        enum bp_effect want;
    } rows2[] = {
        {S3(ALLOW_ANY("s3:DeleteObject", "arn:aws:s3:::b/tmp/*")), BP_ALLOW},
        {S3(ALLOW_ANY("s3:DeleteObject", "arn:aws:s3:::*")), BP_ALLOW},
        {S3(ALLOW_ANY("s3:DeleteObject", "arn:aws:s3:::b")), BP_NONE},
        {S3(ALLOW_ANY("s3:GetObject", "arn:aws:s3:::b/*")), BP_NONE},
        {S3("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b/*\"}"),
         BP_NONE},
    };
    for (size_t i = 0; i < sizeof rows2 / sizeof rows2[0]; i++) {
        char why[300] = "";
        json_t *doc = bucket_policy_parse(rows2[i].doc, strlen(rows2[i].doc), why, sizeof why);
        if (!doc || bucket_policy_validate(doc, "b", why, sizeof why) != 0)
            fail_msg("any_key row %zu refused: %s", i, why);
        struct bp_request q = {.s3_action = "s3:DeleteObject",
                               .bucket = "b",
                               .owner = OWNER,
                               .account = ALT,
                               .user = ALT,
                               .any_key = true,
                               .lookup = lookup,
                               .arg = (void *)""};
        if (bucket_policy_evaluate(doc, &q) != rows2[i].want)
            fail_msg("any_key row %zu", i);
        json_decref(doc);
    }
    assert_true(bucket_policy_per_key("DeleteObjects"));
    assert_false(bucket_policy_per_key("DeleteObject"));
}

static void refused_documents(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *reason;
    } bad[] = {
        {"not json", "invalid Json"},
        {"[]", "JSON object"},
        {"{\"Version\":\"2012-10-17\"}", "Statement"},
        {"{\"Version\":\"1999-01-01\",\"Statement\":[]}", "Version"},
        {S3("{\"Effect\":\"Maybe\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}"),
         "Effect"},
        {S3("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}"), "Principal"},
        {S3("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::s3tenant1:root\"},\"Action\":\"s3:"
            "ListBucket\",\"Resource\":\"arn:aws:s3:::b\"}"),
         "NotPrincipal"},
        {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::x:group/g\"},\"Action\":\"s3:GetObject\","
            "\"Resource\":\"arn:aws:s3:::b/*\"}"),
         "principal"},
        {S3(ALLOW_ANY("s3:Frobnicate*", "arn:aws:s3:::b/*")), "action"},
        {S3(ALLOW_ANY("ec2:RunInstances", "arn:aws:s3:::b/*")), "action"},
        {S3(ALLOW_ANY("s3:GetObject", "arn:aws:s3:::otherbucket/*")), "resource"},
        {S3(ALLOW_ANY("s3:GetObject", "arn:aws:ec2:::b")), "resource"},
        {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
            "\"Condition\":{\"StringEquals\":{\"aws:Unknown\":\"x\"}}}"),
         "not supported"},
        {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
            "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"not-an-address\"}}}"),
         "cannot compare"},
        {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
            "\"Condition\":{\"StringFuzzy\":{\"s3:prefix\":\"x\"}}}"),
         "unknown condition operator"},
        {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
            "\"Extra\":1}"),
         "unknown field"},
        {"{\"Statement\":[],\"Statement\":[]}", "invalid Json"},
        {S3("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"logging s3\"},\"Action\":\"s3:PutObject\","
            "\"Resource\":\"arn:aws:s3:::b/*\"}"),
         "principal"},
        {S3("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"\"},\"Action\":\"s3:PutObject\","
            "\"Resource\":\"arn:aws:s3:::b/*\"}"),
         "principal"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[300] = "";
        json_t *doc = bucket_policy_parse(bad[i].doc, strlen(bad[i].doc), why, sizeof why);
        int rc = doc ? bucket_policy_validate(doc, "b", why, sizeof why) : -1;
        if (rc == 0)
            fail_msg("bad %zu accepted", i);
        if (!strcasestr(why, bad[i].reason))
            fail_msg("bad %zu: reason \"%s\" lacks \"%s\"", i, why, bad[i].reason);
        json_decref(doc);
    }
    /* the size limit is S3's: 20 KiB */
    static char big[BUCKET_POLICY_MAX_BYTES + 2];
    memset(big, ' ', sizeof big - 1);
    char why[300];
    assert_null(bucket_policy_parse(big, sizeof big - 1, why, sizeof why));
    assert_non_null(strstr(why, "larger"));
}

static void public_or_not(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        bool is_public;
    } rows2[] = {
        {S3(ALLOW_ANY("s3:ListBucket", "arn:aws:s3:::b")), true},
        {"{\"version\":\"2.0\",\"statement\":[{\"principal\":{\"qcs\":[\"qcs::cam::anyone:anyone\"]},\"effect\":"
         "\"allow\",\"action\":[\"name/cos:GetObject\"],\"resource\":[\"qcs::cos:ap-local:uid/1:b/*\"]}]}",
         true},
        {S3("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b\"}"), false},
        {S3(LOG_ALLOW("\"logging.s3.amazonaws.com\"")), false},
        {S3("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::s3tenant1:root\"},\"Action\":\"s3:GetObject\","
            "\"Resource\":\"arn:aws:s3:::b/*\"}"),
         false},
        {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\","
            "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/32\"}}}"),
         false},
        {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\","
            "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}}"),
         true},
        {S3("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\","
            "\"Condition\":{\"StringLike\":{\"s3:prefix\":\"public/*\"}}}"),
         true},
    };
    for (size_t i = 0; i < sizeof rows2 / sizeof rows2[0]; i++) {
        char why[300];
        json_t *doc = bucket_policy_parse(rows2[i].doc, strlen(rows2[i].doc), why, sizeof why);
        assert_non_null(doc);
        assert_int_equal(bucket_policy_validate(doc, "b", why, sizeof why), 0);
        if (bucket_policy_is_public(doc) != rows2[i].is_public)
            fail_msg("public row %zu", i);
        json_decref(doc);
    }
}

static void action_names(void **state)
{
    (void)state;
    assert_string_equal(bucket_policy_s3_action("ListObjectsV2", false), "s3:ListBucket");
    assert_string_equal(bucket_policy_s3_action("GetObject", true), "s3:GetObjectVersion");
    assert_string_equal(bucket_policy_s3_action("CreateMultipartUpload", false), "s3:PutObject");
    assert_string_equal(bucket_policy_s3_action("GetPublicAccessBlock", false), "s3:GetBucketPublicAccessBlock");
    assert_null(bucket_policy_s3_action("NoSuchOperation", false));
}

/* A policy's Deny "s3:*" must reach every operation: each row of the route table has its s3: name. */
static void every_route_has_an_action(void **state)
{
    (void)state;
    size_t n;
    const struct op *ops = route_table(&n);
    assert_true(n > 50);
    for (size_t i = 0; i < n; i++) {
        if (!bucket_policy_s3_action(ops[i].name, false))
            fail_msg("route %s has no s3: action in bucket_policy.c", ops[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(evaluation_table),  cmocka_unit_test(any_key),
        cmocka_unit_test(refused_documents), cmocka_unit_test(public_or_not),
        cmocka_unit_test(action_names),      cmocka_unit_test(every_route_has_an_action)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
