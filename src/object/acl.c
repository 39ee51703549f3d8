/*
 * acl: S3's access control lists and object ownership on requests. What a request asks to set
 * (canned x-amz-acl, x-amz-grant-* / x-cos-grant-* headers, an AccessControlPolicy body), checked
 * against the accounts that exist (yun has no email directory: email grantees are refused), the
 * public access block and the bucket's ownership controls; what a grant allows another account,
 * a group or the owner of someone else's object (acl_allows, called by authorize()); the ACL
 * documents GetBucketAcl / GetObjectAcl answer; the ownership controls themselves (kept in
 * obj_bucket_config as kind "ownership": none means ObjectWriter, what S3 buckets had before 2023).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/aclgrants.h"
#include "object/object_int.h"
#include "object/xmltree.h"

static const struct {
    const char *name;
    unsigned perm;
} grant_headers[] = {{"grant-read", ACL_READ},
                     {"grant-write", ACL_WRITE},
                     {"grant-read-acp", ACL_READ_ACP},
                     {"grant-write-acp", ACL_WRITE_ACP},
                     {"grant-full-control", ACL_FULL_CONTROL}};

static const char *const ownership_modes[] = {"BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"};

/* The bucket's ownership setting into out ("" if none). 0, or -1 (store failure, not recorded). */
static int ownership_of(const struct bucket *b, char *out, size_t len)
{
    char *doc = NULL;
    int rc = meta_bucket_config(b->id, "ownership", &doc);
    snprintf(out, len, "%s", rc == 1 && doc ? doc : "");
    free(doc);
    return rc < 0 ? -1 : 0;
}

static bool enforced(const char *mode) { return strcmp(mode, "BucketOwnerEnforced") == 0; }

static struct acl_list *list_new(void)
{
    struct acl_list *l = calloc(1, sizeof *l);
    return l;
}

/* The grants an ACL as stored (canned name or list) gives, for a resource of owner in a bucket
 * of bucket_owner. Unknown text grants the owner alone. */
static void effective(const char *acl, const char *owner, const char *bucket_owner, struct acl_list *l)
{
    if (acl_is_stored(acl) && acl_parse_stored(acl, l) == 0)
        return;
    if (!acl_canned(acl, owner, bucket_owner, l))
        acl_canned("private", owner, bucket_owner, l);
}

bool acl_group_granted(const struct bucket *b, const char *group, unsigned perm)
{
    struct acl_list *l = list_new();
    if (!l)
        return false;
    effective(b->acl, b->owner_uin, b->owner_uin, l);
    bool ok = false;
    for (size_t i = 0; i < l->n && !ok; i++)
        ok = l->g[i].type == ACL_GROUP && strcmp(l->g[i].who, group) == 0 && (l->g[i].perm & perm) == perm;
    free(l);
    return ok;
}

/* The permissions the list grants the caller; group grants count for nothing under IgnorePublicAcls. */
static unsigned granted(const struct rq *r, const struct acl_list *l, bool ignore_public)
{
    unsigned p = 0;
    bool authed = r->auth != AUTH_ANON;
    for (size_t i = 0; i < l->n; i++) {
        const struct acl_grant *g = &l->g[i];
        if (g->type == ACL_USER && authed && strcmp(g->who, r->who.owner_uin) == 0)
            p |= g->perm;
        else if (g->type == ACL_GROUP && !ignore_public &&
                 (strcmp(g->who, "AllUsers") == 0 || (authed && strcmp(g->who, "AuthenticatedUsers") == 0)))
            p |= g->perm;
    }
    return p;
}

static bool public_grants(const struct acl_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->g[i].type == ACL_GROUP && strcmp(l->g[i].who, "LogDelivery") != 0)
            return true;
    return false;
}

/* What the operation asks of an ACL: a permission of the bucket, or of the object (*of_object);
 * 0 if ACLs grant nothing for it (only the bucket owner's account may). As S3: READ of a bucket
 * lists it, WRITE writes and deletes its objects, READ of an object reads it, READ_ACP/WRITE_ACP
 * read and write the ACL (ListParts goes with WRITE). */
static unsigned needed(const char *action, unsigned flags, bool have_object, bool *of_object)
{
    *of_object = false;
    if (strcmp(action, "cos:GetObjectACL") == 0 || strcmp(action, "cos:PutObjectACL") == 0) {
        *of_object = true;
        return action[4] == 'G' ? ACL_READ_ACP : ACL_WRITE_ACP;
    }
    if (strcmp(action, "cos:GetBucketACL") == 0)
        return ACL_READ_ACP;
    if (strcmp(action, "cos:PutBucketACL") == 0)
        return ACL_WRITE_ACP;
    if (flags & OP_PUBLIC_READ) {
        *of_object = have_object;
        return ACL_READ;
    }
    if ((flags & OP_PUBLIC_WRITE) || strcmp(action, "cos:PutObject") == 0 || strcmp(action, "cos:UploadPart") == 0 ||
        strcmp(action, "cos:DeleteMultipleObjects") == 0 || strcmp(action, "cos:ListParts") == 0)
        return ACL_WRITE; /* ListParts: who may upload parts may list them */
    return 0;
}

int acl_allows(struct rq *r, const char *action, const struct bucket *b, unsigned flags, const struct objrow *o,
               bool bucket_owner)
{
    bool of_object;
    unsigned need = needed(action, flags, o != NULL, &of_object);
    if (of_object && !o)
        return 1; /* Get/PutObjectAcl: the handler asks again with the object it read */
    if (bucket_owner && (!of_object || strcmp(o->owner, b->owner_uin) == 0))
        return 1; /* the owner's account: CAM decides */
    if (!need)
        return 0;
    bool ok;
    bool ignore = b->public_block[0] && b->public_block[1] == '1';
    const char *caller = r->auth != AUTH_ANON ? r->who.owner_uin : "";
    if (of_object && caller[0] && strcmp(o->owner, caller) == 0 && !(need & (ACL_READ | ACL_WRITE))) {
        ok = true; /* an object's owner may always read and write its ACL */
    } else {
        struct acl_list *l = list_new();
        if (!l) {
            fail_store(r);
            return -1;
        }
        if (of_object && strcmp(o->acl, "default") != 0)
            effective(o->acl, o->owner, b->owner_uin, l);
        else if (of_object) /* COS's "default": the bucket's ACL */
            effective(b->acl, o->owner, b->owner_uin, l);
        else
            effective(b->acl, b->owner_uin, NULL, l);
        ok = (granted(r, l, ignore) & need) == need;
        free(l);
    }
    if (!ok && !bucket_owner)
        return 0;
    /* read only when it matters: BucketOwnerEnforced disables ACLs, the bucket owner owns every object */
    char mode[32];
    if (ownership_of(b, mode, sizeof mode) != 0) {
        fail_store(r);
        return -1;
    }
    if (enforced(mode))
        return bucket_owner ? 1 : 0;
    return ok ? 1 : 0;
}

/* ---------------------------------------------------------------- what a request asks to set */

/* The accounts a list names exist, no email grantee. 0, or -1 (recorded). */
static int resolve(struct rq *r, enum acl_status st, const struct acl_list *l)
{
    switch (st) {
    case ACL_OK:
        break;
    case ACL_BAD_GRANT:
        fail(r, 400, "InvalidArgument", "Invalid id or grantee.");
        return -1;
    case ACL_TOO_MANY:
        fail(r, 400, "InvalidArgument", "An ACL may hold at most 100 grants.");
        return -1;
    case ACL_MALFORMED:
        fail(r, 400, "MalformedACLError",
             "The XML you provided was not well-formed or did not validate against our published schema.");
        return -1;
    case ACL_BAD_XML:
        fail_malformed(r);
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (l->g[i].type == ACL_EMAIL) {
            fail(r, 400, "UnresolvableGrantByEmailAddress",
                 "The e-mail address you provided does not match any account on record.");
            return -1;
        }
        if (l->g[i].type != ACL_USER)
            continue;
        int rc = identity_account_exists(store_thread(), l->g[i].who);
        if (rc == STORE_NOT_FOUND) {
            fail(r, 400, "InvalidArgument", "Invalid id");
            return -1;
        }
        if (rc != STORE_FOUND) {
            fail_store(r);
            return -1;
        }
    }
    return 0;
}

/* Under BucketOwnerEnforced an ACL is refused unless it is bucket-owner-full-control (on
 * CreateBucket private too) or, as a document, the owner's FULL_CONTROL alone (the caller tells
 * which by calling). creating: the x-amz-object-ownership of CreateBucket (the bucket has no
 * setting yet), else NULL. 0, or -1. */
static int ownership_allows(struct rq *r, const char *creating)
{
    char mode[32] = "";
    if (creating)
        snprintf(mode, sizeof mode, "%s", creating);
    else if (r->have_bucket && ownership_of(&r->b, mode, sizeof mode) != 0) {
        fail_store(r);
        return -1;
    }
    if (!enforced(mode))
        return 0;
    if (creating)
        fail(r, 400, "InvalidBucketAclWithObjectOwnership",
             "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");
    else
        fail(r, 400, "AccessControlListNotSupported", "The bucket does not allow ACLs");
    return -1;
}

static bool owner_full_control_alone(const struct acl_list *l, const char *owner)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->g[i].type != ACL_USER || strcmp(l->g[i].who, owner) != 0 || l->g[i].perm != ACL_FULL_CONTROL)
            return false;
    return true;
}

/* document: the list is an AccessControlPolicy's (the owner's FULL_CONTROL alone passes BucketOwnerEnforced). */
static int finish_list(struct rq *r, struct acl_list *l, const char *creating, bool document, char *out, size_t len)
{
    if (!(document && r->have_bucket && owner_full_control_alone(l, r->b.owner_uin)) &&
        ownership_allows(r, creating) != 0)
        return -1;
    if (r->have_bucket && r->b.public_block[0] == '1' && public_grants(l)) { /* BlockPublicAcls */
        fail(r, 403, "AccessDenied", "Access Denied");
        return -1;
    }
    if (acl_format(l, out, len) != 0) {
        fail(r, 400, "InvalidArgument", "The ACL is too large.");
        return -1;
    }
    return 0;
}

int acl_request(struct rq *r, const char *dflt, const char *creating, char *out, size_t len)
{
    const char *canned_hdr = hdr_amz(r, "acl");
    bool any_grant = false;
    for (size_t i = 0; i < sizeof grant_headers / sizeof grant_headers[0]; i++)
        any_grant |= hdr_amz(r, grant_headers[i].name) != NULL;
    if (canned_hdr && any_grant) {
        fail(r, 400, "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed");
        return -1;
    }
    if (!any_grant) {
        const char *canned = request_acl(r, dflt);
        if (canned_hdr && !canned) {
            fail(r, 400, "InvalidArgument", "The canned ACL is not valid.");
            return -1;
        }
        snprintf(out, len, "%s", canned ? canned : "");
        if (!canned_hdr)
            return 1;
        bool taken = strcmp(canned, "bucket-owner-full-control") == 0 || (creating && strcmp(canned, "private") == 0);
        if (!taken && ownership_allows(r, creating) != 0)
            return -1;
        return r->have_bucket && blocks_public_acl(r, canned) ? -1 : 0;
    }
    struct acl_list *l = list_new();
    if (!l) {
        fail_store(r);
        return -1;
    }
    enum acl_status st = ACL_OK;
    for (size_t i = 0; st == ACL_OK && i < sizeof grant_headers / sizeof grant_headers[0]; i++) {
        const char *v = hdr_amz(r, grant_headers[i].name);
        if (v)
            st = acl_parse_header(v, grant_headers[i].perm, l);
    }
    int rc = resolve(r, st, l) == 0 && finish_list(r, l, creating, false, out, len) == 0 ? 0 : -1;
    free(l);
    return rc;
}

/* PutBucketAcl / PutObjectAcl: the ACL of the headers (canned or grants) or else of the body. As
 * RGW, headers given win over a body. */
int acl_request_new(struct rq *r, char *out, size_t len)
{
    int rc = acl_request(r, NULL, NULL, out, len);
    if (rc != 1)
        return rc == 0 ? 0 : -1;
    if (!r->body.len) {
        fail(r, 400, "InvalidArgument", "The canned ACL is missing or not valid.");
        return -1;
    }
    struct acl_list *l = list_new();
    if (!l) {
        fail_store(r);
        return -1;
    }
    const char *body = obj_buf_str(&r->body);
    enum acl_status st = acl_parse_xml(body, body ? r->body.len : 0, l);
    rc = resolve(r, st, l) == 0 && finish_list(r, l, NULL, true, out, len) == 0 ? 0 : -1;
    free(l);
    return rc;
}

int acl_object_owner(struct rq *r, const char *acl, const char **owner)
{
    *owner = r->b.owner_uin;
    if (r->auth == AUTH_ANON || strcmp(r->who.owner_uin, r->b.owner_uin) == 0)
        return 0;
    char mode[32];
    if (ownership_of(&r->b, mode, sizeof mode) != 0) {
        fail_store(r);
        return -1;
    }
    if (enforced(mode) || (strcmp(mode, "BucketOwnerPreferred") == 0 && strcmp(acl, "bucket-owner-full-control") == 0))
        return 0;
    *owner = r->who.owner_uin;
    return 0;
}

/* Get/PutObjectAcl: the version asked for, authorised by its ACL. A missing key (or a delete
 * marker) is told only to the bucket owner's account; to anyone else it is AccessDenied. 0 (*o
 * filled; objrow_free it), or -1 (recorded). */
int acl_load_object(struct rq *r, struct objrow *o)
{
    int rc = load_version(r->bucket, r->key, qget(r, "versionId"), o);
    if (rc < 0) {
        fail_store(r);
        return -1;
    }
    if (rc == 1 && !o->marker) {
        if (authorize(r, r->op->action, &r->b, r->key, r->op->flags, o) == 1)
            return 0;
        objrow_free(o);
        return -1;
    }
    if (rc == 1)
        objrow_free(o);
    if (r->auth == AUTH_ANON || strcmp(r->who.owner_uin, r->b.owner_uin) != 0) {
        fail(r, 403, "AccessDenied", "Access Denied");
        return -1;
    }
    if (load_request_object(r, o) != 0) /* records NoSuchKey, NoSuchVersion or the delete marker's answer */
        return -1;
    if (authorize(r, r->op->action, &r->b, r->key, r->op->flags, o) == 1)
        return 0;
    objrow_free(o);
    return -1;
}

/* ---------------------------------------------------------------- the ACL document */

static void grantee_id(struct rq *r, const char *uin, char *out, size_t len)
{
    if (r->cos_style)
        snprintf(out, len, "qcs::cam::uin/%s:uin/%s", uin, uin);
    else
        snprintf(out, len, "%s", uin);
}

void write_acl(struct rq *r, const struct bucket *b, const char *owner, const char *acl)
{
    char mode[32] = "";
    if (ownership_of(b, mode, sizeof mode) != 0) {
        fail_store(r);
        return;
    }
    if (enforced(mode)) { /* the bucket owner owns everything, with FULL_CONTROL alone */
        owner = b->owner_uin;
        acl = "private";
    }
    struct acl_list *l = list_new();
    if (!l) {
        fail_store(r);
        return;
    }
    bool is_bucket = owner == b->owner_uin && acl == b->acl;
    if (strcmp(acl, "default") == 0)
        acl = b->acl;
    effective(acl, owner, is_bucket ? NULL : b->owner_uin, l);
    struct xmlw w;
    char id[128];
    xmlw_init(&w, 65536);
    xmlw_open_ns(&w, "AccessControlPolicy", S3_NS);
    xmlw_open(&w, "Owner");
    grantee_id(r, owner, id, sizeof id);
    xmlw_element(&w, "ID", id);
    xmlw_element(&w, "DisplayName", id);
    xmlw_close(&w);
    xmlw_open(&w, "AccessControlList");
    /* group grants first, then the accounts', each in the order given */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < l->n; i++) {
            const struct acl_grant *g = &l->g[i];
            if ((g->type == ACL_GROUP) != (pass == 0))
                continue;
            xmlw_open(&w, "Grant");
            xmlw_open_attrs(&w, "Grantee",
                            g->type == ACL_GROUP
                                ? "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\""
                                : "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"");
            if (g->type == ACL_GROUP)
                xmlw_element(&w, "URI", acl_group_uri(g->who, r->cos_style));
            else {
                grantee_id(r, g->who, id, sizeof id);
                xmlw_element(&w, "ID", id);
                xmlw_element(&w, "DisplayName", id);
            }
            xmlw_close(&w);
            xmlw_element(&w, "Permission", acl_perm_name(g->perm));
            xmlw_close(&w);
        }
    free(l);
    send_xml(r, 200, &w);
}

/* ---------------------------------------------------------------- ownership controls */

static const char *ownership_mode(const char *text)
{
    for (size_t i = 0; text && i < sizeof ownership_modes / sizeof ownership_modes[0]; i++)
        if (strcmp(ownership_modes[i], text) == 0)
            return ownership_modes[i];
    return NULL;
}

int acl_create_ownership(struct rq *r, const char **mode)
{
    const char *h = hdr_amz(r, "object-ownership");
    *mode = NULL;
    if (!h)
        return 0;
    if (!(*mode = ownership_mode(h))) {
        fail(r, 400, "InvalidArgument", "Invalid x-amz-object-ownership header.");
        return -1;
    }
    return 0;
}

/* An ACL that grants the owner alone (what BucketOwnerEnforced keeps). */
static bool owner_only(const char *acl, const char *owner)
{
    if (!acl_is_stored(acl))
        return strcmp(acl, "private") == 0 || strcmp(acl, "bucket-owner-full-control") == 0;
    struct acl_list *l = list_new();
    bool ok = l && acl_parse_stored(acl, l) == 0;
    for (size_t i = 0; ok && i < l->n; i++)
        ok = l->g[i].type == ACL_USER && strcmp(l->g[i].who, owner) == 0;
    free(l);
    return ok;
}

void op_put_ownership(struct rq *r)
{
    const char *body = obj_buf_str(&r->body);
    struct xnode *root = body ? xtree_parse(body, r->body.len) : NULL;
    const struct xnode *rule = root ? xtree_child(root, "Rule") : NULL;
    const char *mode = rule ? ownership_mode(xtree_text(rule, "ObjectOwnership")) : NULL;
    bool ok = root && strcmp(root->name, "OwnershipControls") == 0 && xtree_count(root, "Rule") == 1 && mode &&
              xtree_count(rule, "ObjectOwnership") == 1;
    xtree_free(root);
    if (!ok) {
        fail_malformed(r);
        return;
    }
    if (enforced(mode) && !owner_only(r->b.acl, r->b.owner_uin)) {
        fail(r, 400, "InvalidBucketAclWithObjectOwnership",
             "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");
        return;
    }
    if (meta_set_bucket_config(r, "ownership", mode) == 1)
        send_empty(r, 200);
}

void op_get_ownership(struct rq *r)
{
    char mode[32];
    if (ownership_of(&r->b, mode, sizeof mode) != 0) {
        fail_store(r);
        return;
    }
    if (!mode[0]) {
        fail(r, 404, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found");
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 4096);
    xmlw_open_ns(&w, "OwnershipControls", S3_NS);
    xmlw_open(&w, "Rule");
    xmlw_element(&w, "ObjectOwnership", mode);
    xmlw_close(&w);
    send_xml(r, 200, &w);
}

void op_delete_ownership(struct rq *r)
{
    if (meta_set_bucket_config(r, "ownership", NULL) == 1)
        send_empty(r, 204);
}
