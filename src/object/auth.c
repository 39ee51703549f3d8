/*
 * auth: who is asking, and may they. Authentication tries SigV4, SigV2 and the COS signature in
 * turn against identity's keys (its generation-checked lookup alone: a key disabled through the
 * API stops working here at once); a request carrying none is anonymous. Authorisation is S3's:
 * the bucket owner's account decides through CAM (root allowed, sub-users by policy, with the
 * peer address for qcs:ip), everyone else through the ACLs of bucket and object (acl.c); the
 * bucket's policy (bucket_policy.c) is asked first and can deny anyone or grant anyone.
 */
#include <stdio.h>
#include <string.h>

#include "object/object_int.h"
#include "object/sigv2.h"

void request_region(struct rq *r, char *out, size_t len)
{
    const char *host = hdr_in(r, "Host");
    const char *cos = r->cos_style && host ? strstr(host, ".cos.") : NULL;
    if (cos) { /* bucket.cos.<region>.myqcloud.com */
        cos += 5;
        size_t n = strcspn(cos, ".:");
        snprintf(out, len, "%.*s", (int)n, cos);
    } else {
        snprintf(out, len, "%s", r->auth == AUTH_V4 && r->v4.region[0] ? r->v4.region : object_config->region);
    }
}

/* Identity's decision on action over the qcs name res, in region: 1 yes, 0 no (a refusal a
 * service control policy made is recorded naming it), -1 error (recorded). */
static int identity_allows(struct rq *r, const char *action, const char *res, const char *region)
{
    struct authz_request az = {.who = &r->who,
                               .action = action,
                               .resource = res,
                               .source_ip = r->source_ip,
                               .now = time_now(),
                               .region = region};
    int ok = identity_authorize(store_thread(), &az);
    if (ok < 0)
        fail_store(r);
    if (az.why[0])
        snprintf(r->reason, sizeof r->reason, "%s", az.why);
    if (ok == 0 && az.why[0]) {
        char msg[300];
        snprintf(msg, sizeof msg, "Access Denied: %s", az.why);
        fail(r, 403, "AccessDenied", msg);
    }
    return ok < 0 ? -1 : ok ? 1 : 0;
}

/* The caller's own account: root may do anything (within its organization's service control
 * policies), a sub-user what its policies allow on the resource. 1 yes, 0 no, -1 error
 * (recorded). The region is the bucket's, or for a bucket still to be made the request's. */
static int cam_allows(struct rq *r, const char *action, const struct bucket *b, const char *bucket, const char *key)
{
    char res[1400], region[64];
    cam_resource(r, b, bucket, key, res, sizeof res);
    if (b)
        snprintf(region, sizeof region, "%s", b->region);
    else
        request_region(r, region, sizeof region);
    return identity_allows(r, action, res, region);
}

int auth_region_allows(struct rq *r, const char *action, const char *region)
{
    if (r->auth == AUTH_ANON)
        return 1;
    char res[1400];
    cam_resource(r, NULL, r->bucket[0] ? r->bucket : NULL, NULL, res, sizeof res);
    int ok = identity_allows(r, action, res, region);
    if (ok == 0)
        fail(r, 403, "AccessDenied", "Access Denied");
    return ok;
}

/* Is the caller allowed `action` on bucket/key (o: the object's version, when the operation
 * reads one)? Returns 1 yes, 0 no (answer recorded), -1 error. */
int authorize(struct rq *r, const char *action, const struct bucket *b, const char *key, unsigned flags,
              const struct objrow *o)
{
    /* the bucket's policy first: its explicit Deny (or CAM's, when it allows) wins, its Allow
     * grants, except on an object another account owns: the bucket owner cannot give away what is
     * not its own (S3), so there the object's ACL decides */
    int by_policy = bucket_policy_check(r, action, b, key);
    bool foreign_object = o && b && o->owner[0] && strcmp(o->owner, b->owner_uin) != 0;
    if (by_policy != BUCKET_POLICY_NO_SAY && !(by_policy == 1 && foreign_object))
        return by_policy;
    if (r->auth != AUTH_ANON && b && strcmp(b->owner_uin, r->who.owner_uin) == 0) {
        /* another account's object in the owner's bucket is read by its ACL alone (acl.c) */
        int ok = acl_allows(r, action, b, flags, o, true);
        if (ok == 1)
            ok = cam_allows(r, action, b, b->name, key);
        if (ok != 0)
            return ok;
    } else if (b) {
        /* everyone else: the grants of the bucket's and the object's ACLs (acl.c); a sub-user of
         * another account also needs its own account's CAM to allow the action (S3: IAM and ACL) */
        int ok = acl_allows(r, action, b, flags, o, false);
        if (ok == 1 && r->auth != AUTH_ANON)
            ok = cam_allows(r, action, b, b->name, key);
        if (ok != 0)
            return ok;
    } else if (r->auth != AUTH_ANON) {
        /* service-level or CreateBucket: the caller acts inside their own account */
        int ok = cam_allows(r, action, NULL, r->bucket[0] ? r->bucket : NULL, NULL);
        if (ok != 0)
            return ok;
    }
    fail(r, 403, "AccessDenied", "Access Denied");
    return 0;
}

static const char *orq_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

struct visit_ctx {
    obj_header_visit_fn fn;
    void *arg;
};

static enum MHD_Result orq_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct visit_ctx *v = cls;
    v->fn(v->arg, key, value ? value : "");
    return MHD_YES;
}

static void orq_each(void *ctx, obj_header_visit_fn visit, void *arg)
{
    struct visit_ctx v = {visit, arg};
    MHD_get_connection_values((struct MHD_Connection *)ctx, MHD_HEADER_KIND, orq_iter, &v);
}

/* Identity's generation-checked lookup alone: a key disabled or deleted through the API stops
 * working here at once (no cache of our own to outlive it). */
static int lookup_secret(struct rq *r, const char *access_key)
{
    struct store *s = store_thread();
    const char *token = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "x-amz-security-token");
    if (!token)
        token = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "x-cos-security-token");
    int rc = s ? identity_find_key(s, access_key, token, &r->who, r->secret, sizeof r->secret) : STORE_ERROR;
    if (rc == KEY_TOKEN_EXPIRED) {
        fail(r, 403, "ExpiredToken", "The provided token has expired.");
        return -1;
    }
    if (rc == KEY_TOKEN_MISSING || rc == KEY_TOKEN_WRONG) {
        fail(r, 403, "InvalidToken", "The provided token is malformed or otherwise invalid.");
        return -1;
    }
    if (rc == STORE_NOT_FOUND) {
        snprintf(r->unknown_key, sizeof r->unknown_key, "%s", access_key); /* the audit record names it */
        fail(r, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
        return -1;
    }
    if (rc != STORE_FOUND) {
        fail_store(r);
        return -1;
    }
    return 0;
}

/* The caller a key names (POST object's form names it in a field). 0, or -1 (recorded). */
int auth_lookup_key(struct rq *r, const char *access_key) { return lookup_secret(r, access_key); }

int authenticate(struct rq *r)
{
    struct obj_request orq = {.method = r->method,
                              .raw_path = r->raw_path,
                              .raw_query = r->raw_query,
                              .header = orq_header,
                              .each_header = orq_each,
                              .ctx = r->c};
    int64_t now = time_now();
    enum sigv4_status s4 = sigv4_parse(&orq, &r->v4);
    if (s4 == SIGV4_OK) {
        if (lookup_secret(r, r->v4.access_key))
            return -1;
        s4 = sigv4_verify(&orq, &r->v4, r->secret, now);
        if (s4 != SIGV4_OK) {
            const struct sigv4_error *e = sigv4_error_of(s4);
            fail(r, e->http_status, e->code, e->message);
            return -1;
        }
        r->auth = AUTH_V4;
        r->presigned = r->v4.presigned;
        return 0;
    }
    if (s4 != SIGV4_ABSENT) {
        const struct sigv4_error *e = sigv4_error_of(s4);
        fail(r, e->http_status, e->code, e->message);
        return -1;
    }
    struct sigv2_auth v2;
    enum sigv2_status s2 = sigv2_parse(&orq, &v2);
    if (s2 == SIGV2_OK) {
        if (lookup_secret(r, v2.access_key))
            return -1;
        s2 = sigv2_verify(&orq, &v2, r->vhost ? r->bucket : NULL, r->secret, now);
        if (s2 != SIGV2_OK) {
            const struct sigv2_error *e = sigv2_error_of(s2);
            fail(r, e->http_status, e->code, e->message);
            return -1;
        }
        r->auth = AUTH_V2;
        r->presigned = v2.presigned;
        return 0;
    }
    if (s2 != SIGV2_ABSENT) {
        const struct sigv2_error *e = sigv2_error_of(s2);
        fail(r, e->http_status, e->code, e->message);
        return -1;
    }
    enum cossig_status sc = cossig_parse(&orq, &r->cos);
    if (sc == COSSIG_OK) {
        r->cos_style = true;
        if (lookup_secret(r, r->cos.access_key))
            return -1;
        sc = cossig_verify(&orq, &r->cos, r->secret, now);
        if (sc != COSSIG_OK) {
            const struct cossig_error *e = cossig_error_of(sc);
            fail(r, e->http_status, e->code, e->message);
            return -1;
        }
        r->auth = AUTH_COS;
        r->presigned = r->cos.presigned;
        return 0;
    }
    if (sc != COSSIG_ABSENT) {
        r->cos_style = true;
        const struct cossig_error *e = cossig_error_of(sc);
        fail(r, e->http_status, e->code, e->message);
        return -1;
    }
    r->auth = AUTH_ANON;
    return 0;
}
