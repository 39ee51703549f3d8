/*
 * bucket_policy_gate: the request's side of bucket policies (bucket_policy.c is the grammar and
 * the evaluation): the condition keys' values a request gives, the decision authorize()
 * asks for (S3's: an explicit Deny here or in the caller's CAM wins, an Allow here grants, otherwise CAM and the ACLs
 * decide), the log delivery's own check, and the ?policy / ?policyStatus operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/bucket_policy.h"
#include "object/object_int.h"

/* ---------------------------------------------------------------- the request's side */

/* What the condition keys read: the request, and the object's tags when a key asks for them. */
struct key_ctx {
    struct rq *r;
    const struct bucket *b;
    const char *key;
    const char *prefix; /* s3:prefix: NULL for the listing's own parameter */
    bool tags_read, failed;
    json_t *tags, *request_tags;
};

static const char *tag_value(json_t *tags, const char *name) { return json_string_value(json_object_get(tags, name)); }

static const char *s3_key_value(void *arg, const char *key, char *buf, size_t len)
{
    struct key_ctx *k = arg;
    struct rq *r = k->r;
    bool signed_in = r->auth != AUTH_ANON;
    if (!strcasecmp(key, "aws:SourceIp") || !strcasecmp(key, "qcs:ip"))
        return r->source_ip;
    if (!strcasecmp(key, "aws:SecureTransport"))
        return "false"; /* the object listener speaks plain HTTP; TLS ends in front of it, if anywhere */
    if (!strcasecmp(key, "aws:Referer"))
        return hdr_in(r, "Referer");
    if (!strcasecmp(key, "aws:UserAgent"))
        return hdr_in(r, "User-Agent");
    if (!strcasecmp(key, "aws:CurrentTime") && len >= 32) {
        time_iso8601(time_now(), buf);
        return buf;
    }
    if (!strcasecmp(key, "aws:EpochTime")) {
        snprintf(buf, len, "%lld", (long long)time_now());
        return buf;
    }
    if (!strcasecmp(key, "aws:PrincipalAccount"))
        return signed_in ? r->who.owner_uin : NULL;
    if (!strcasecmp(key, "aws:username") || !strcasecmp(key, "aws:userid"))
        return signed_in ? r->who.user_uin : NULL;
    if (!strcasecmp(key, "s3:prefix"))
        return k->prefix ? k->prefix : qget(r, "prefix");
    if (!strcasecmp(key, "s3:delimiter"))
        return qget(r, "delimiter");
    if (!strcasecmp(key, "s3:max-keys"))
        return qget(r, "max-keys");
    if (!strcasecmp(key, "s3:VersionId"))
        return qget(r, "versionId");
    if (!strcasecmp(key, "s3:signatureversion"))
        return r->auth == AUTH_V4 ? "AWS4-HMAC-SHA256" : r->auth == AUTH_V2 ? "AWS" : NULL;
    if (!strcasecmp(key, "s3:authType"))
        return !signed_in ? NULL : r->presigned ? "REST-QUERY-STRING" : "REST-HEADER";
    if (!strncasecmp(key, "s3:ExistingObjectTag/", 21)) {
        if (!k->tags_read && k->key) {
            struct objrow o = {0};
            int rc = load_object(k->b->name, k->key, &o);
            if (rc < 0)
                k->failed = true;
            if (rc == 1 && o.tags)
                k->tags = json_loads(o.tags, 0, NULL);
            if (rc == 1)
                objrow_free(&o);
        }
        k->tags_read = true;
        return tag_value(k->tags, key + 21);
    }
    if (!strncasecmp(key, "s3:RequestObjectTag/", 20)) {
        if (!k->request_tags) {
            char *t = NULL;
            if (header_tags(r, &t) == 0 && t)
                k->request_tags = json_loads(t, 0, NULL);
            free(t);
        }
        return tag_value(k->request_tags, key + 20);
    }
    if (!strncasecmp(key, "s3:x-amz-", 9)) {
        const char *v = hdr_in(r, key + 3);
        if (!v) { /* COS's spelling of the same header */
            snprintf(buf, len, "x-cos-%s", key + 9);
            v = hdr_in(r, buf);
        }
        return v;
    }
    return NULL;
}

/* The s3: action of the operation authorize() is asked about: the row's, or for the checks an
 * operation makes on the side (a copy's source, each key of DeleteObjects) the row named by the
 * CAM action ("cos:GetObject" is GetObject's). */
static const char *s3_action_of(struct rq *r, const char *action)
{
    const char *op =
        r->op && !strcmp(action, r->op->action) ? r->op->name : action + (strncmp(action, "cos:", 4) ? 0 : 4);
    bool version = strcmp(r->method, "PUT") != 0 && qget(r, "versionId") != NULL;
    return bucket_policy_s3_action(op, version);
}

/* The bucket's policy, parsed; NULL if it has none (*err: a store failure, recorded). */
static json_t *load_policy(struct rq *r, const struct bucket *b, int *err)
{
    char *text = NULL;
    *err = 0;
    if (b->no_config) /* read with the row: a bucket without any document has no policy */
        return NULL;
    int rc = meta_bucket_config(b->id, "policy", &text);
    if (rc < 0) {
        fail_store(r);
        *err = -1;
        return NULL;
    }
    json_t *doc = rc == 1 ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return doc;
}

static enum bp_effect evaluate(struct rq *r, json_t *doc, const struct bucket *b, const char *s3a, const char *cosa,
                               const char *key, const char *prefix, bool any_key, int *err)
{
    struct key_ctx k = {.r = r, .b = b, .key = key, .prefix = prefix};
    bool anon = r->auth == AUTH_ANON;
    struct bp_request q = {.s3_action = s3a,
                           .cos_action = cosa,
                           .bucket = b->name,
                           .key = key,
                           .region = b->region[0] ? b->region : object_config->region,
                           .app_id = b->app_id,
                           .owner = b->owner_uin,
                           .anonymous = anon,
                           .account = anon ? "" : r->who.owner_uin,
                           .user = anon ? "" : r->who.user_uin,
                           .role = !anon && r->who.is_role ? r->who.role_name : NULL,
                           .restrict_public = b->public_block[0] && b->public_block[3] == '1',
                           .any_key = any_key,
                           .lookup = s3_key_value,
                           .arg = &k};
    enum bp_effect e = bucket_policy_evaluate(doc, &q);
    json_decref(k.tags);
    json_decref(k.request_tags);
    if (k.failed) {
        fail_store(r);
        *err = -1;
    }
    return e;
}

/* The caller's own CAM on the bucket's resource: *allowed, *denied (an explicit Deny). 0 or -1. */
static int caller_cam(struct rq *r, const char *action, const struct bucket *b, const char *key, bool *allowed,
                      bool *denied)
{
    char res[1400];
    cam_resource(r, b, b->name, key, res, sizeof res);
    struct authz_request az = {.who = &r->who,
                               .action = action,
                               .resource = res,
                               .source_ip = r->source_ip,
                               .now = time_now(),
                               .region = b->region};
    int ok = identity_authorize(store_thread(), &az);
    if (ok < 0) {
        fail_store(r);
        return -1;
    }
    *allowed = ok == 1;
    *denied = az.explicit_deny != 0;
    if (az.why[0]) { /* a service control policy bounds the caller: it decided */
        snprintf(r->reason, sizeof r->reason, "%s", az.why);
        if (!*allowed)
            *denied = true;
    }
    return 0;
}

int bucket_policy_check(struct rq *r, const char *action, const struct bucket *b, const char *key)
{
    if (!b)
        return BUCKET_POLICY_NO_SAY;
    int err;
    json_t *doc = load_policy(r, b, &err);
    if (!doc)
        return err ? -1 : BUCKET_POLICY_NO_SAY;
    const char *s3a = s3_action_of(r, action);
    bool any_key = !key && r->op && !strcmp(action, r->op->action) && bucket_policy_per_key(r->op->name);
    enum bp_effect e = evaluate(r, doc, b, s3a, action, key, NULL, any_key, &err);
    json_decref(doc);
    if (err)
        return -1;
    bool anon = r->auth == AUTH_ANON, owner = !anon && !strcmp(r->who.owner_uin, b->owner_uin);
    bool root = !anon && r->who.is_root;
    if (e == BP_DENY) {
        /* as S3: the owner's root can always mend the policy that locks everyone out */
        if (owner && root && s3a &&
            (!strcmp(s3a, "s3:GetBucketPolicy") || !strcmp(s3a, "s3:PutBucketPolicy") ||
             !strcmp(s3a, "s3:DeleteBucketPolicy")))
            return BUCKET_POLICY_NO_SAY;
        fail(r, 403, "AccessDenied", "Access Denied");
        return 0;
    }
    if (e != BP_ALLOW)
        return BUCKET_POLICY_NO_SAY;
    if (anon)
        return 1;
    bool allowed, denied;
    if (caller_cam(r, action, b, key, &allowed, &denied) != 0)
        return -1;
    if (denied) { /* an explicit Deny in the caller's CAM (or its SCPs) wins over the policy's Allow */
        char msg[600];
        snprintf(msg, sizeof msg, "Access Denied%s%s", r->reason[0] ? ": " : "", r->reason);
        fail(r, 403, "AccessDenied", msg);
        return 0;
    }
    if (root)
        return 1;
    /* another account's user is granted only if its own account's CAM allows it too */
    return owner || allowed ? 1 : BUCKET_POLICY_NO_SAY;
}

int bucket_policy_lists(struct rq *r, const struct bucket *b, const char *prefix)
{
    int err;
    json_t *doc = load_policy(r, b, &err);
    if (!doc)
        return err ? -1 : 0;
    enum bp_effect e = evaluate(r, doc, b, "s3:ListBucket", "cos:GetBucket", NULL, prefix, false, &err);
    json_decref(doc);
    return err ? -1 : e == BP_ALLOW;
}

/* The condition keys of a service's request: the source it acts for, and the time. */
struct service_ctx {
    const char *account, *arn;
};

static const char *service_key_value(void *arg, const char *key, char *buf, size_t len)
{
    const struct service_ctx *c = arg;
    if (!strcasecmp(key, "aws:SourceAccount"))
        return c->account;
    if (!strcasecmp(key, "aws:SourceArn"))
        return c->arn;
    if (!strcasecmp(key, "aws:CurrentTime") && len >= 32) {
        time_iso8601(time_now(), buf);
        return buf;
    }
    if (!strcasecmp(key, "aws:EpochTime")) {
        snprintf(buf, len, "%lld", (long long)time_now());
        return buf;
    }
    return NULL; /* the caller's address, agent, user...: a service's request has none */
}

int bucket_policy_service_allows(const struct bucket *b, const char *s3_action, const char *cos_action, const char *key,
                                 const char *service, const char *source_account, const char *source_bucket)
{
    char *text = NULL;
    int rc = meta_bucket_config(b->id, "policy", &text);
    if (rc < 0)
        return -1;
    json_t *doc = rc == 1 ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!doc)
        return BP_NONE;
    char arn[128];
    snprintf(arn, sizeof arn, "arn:aws:s3:::%s", source_bucket);
    struct service_ctx c = {.account = source_account, .arn = arn};
    struct bp_request q = {.s3_action = s3_action,
                           .cos_action = cos_action,
                           .bucket = b->name,
                           .key = key,
                           .region = b->region[0] ? b->region : object_config->region,
                           .app_id = b->app_id,
                           .owner = b->owner_uin,
                           .account = "",
                           .user = "",
                           .service = service,
                           .lookup = service_key_value,
                           .arg = &c};
    enum bp_effect e = bucket_policy_evaluate(doc, &q);
    json_decref(doc);
    return (int)e;
}

/* ---------------------------------------------------------------- ?policy, ?policyStatus */

void op_put_bucket_policy(struct rq *r)
{
    char why[300];
    const char *text = obj_buf_str(&r->body);
    json_t *doc = bucket_policy_parse(text ? text : "", text ? r->body.len : 0, why, sizeof why);
    if (!doc || bucket_policy_validate(doc, r->b.name, why, sizeof why) != 0) {
        fail(r, 400, "MalformedPolicy", why);
        json_decref(doc);
        return;
    }
    bool public = bucket_policy_is_public(doc);
    json_decref(doc);
    if (public && r->b.public_block[0] && r->b.public_block[2] == '1') {
        fail(r, 403, "AccessDenied", "Access Denied: the bucket's BlockPublicPolicy refuses a public policy.");
        return;
    }
    if (meta_set_bucket_config(r, "policy", text) == 1)
        send_empty(r, 204);
}

void op_get_bucket_policy(struct rq *r)
{
    char *doc = NULL;
    int rc = meta_bucket_config(r->b.id, "policy", &doc);
    if (rc < 0)
        fail_store(r);
    else if (rc == 0)
        fail(r, 404, "NoSuchBucketPolicy", "The bucket policy does not exist");
    else
        send_body(r, 200, doc, "application/json");
    free(doc);
}

void op_delete_bucket_policy(struct rq *r)
{
    if (meta_set_bucket_config(r, "policy", NULL) == 1)
        send_empty(r, 204);
}

/* IsPublic: the policy is public, or the bucket's ACL grants everyone or every signed-in caller. */
void op_get_bucket_policy_status(struct rq *r)
{
    int err;
    json_t *doc = load_policy(r, &r->b, &err);
    if (err)
        return;
    bool public = doc && bucket_policy_is_public(doc);
    json_decref(doc);
    const char *acl = r->b.acl;
    public = public || !strcmp(acl, "public-read") || !strcmp(acl, "public-read-write") ||
             !strcmp(acl, "authenticated-read");
    struct xmlw w;
    xmlw_init(&w, 1024);
    xmlw_open_ns(&w, "PolicyStatus", S3_NS);
    xmlw_element_bool(&w, "IsPublic", public);
    send_xml(r, 200, &w);
}
