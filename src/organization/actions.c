/*
 * actions: the organization 2021-03-31 actions yun serves, as rows, and their handlers. The
 * caller's organization is the one its account manages (management actions) or belongs to
 * (DescribeOrganization); a node, member or policy of another organization is "not found".
 * Service control policies are CAM documents (policy_validate checks them when written); tag
 * policies are not evaluated by yun and are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"
#include "organization/codes.h"
#include "organization/organization_int.h"

#define MAX_NODE_DEPTH 5 /* Tencent: five levels of departments below the root */
#define MAX_DOCUMENT   6144
#define ROOT_NODE_NAME "Root"
#define FINANCIAL      "Financial"

static int store_failed(struct api_ctx *ctx)
{
    return api_fail(ctx, E_INTERNAL_ERROR, "The state store failed: %s", store_errmsg(ctx->store));
}

/* The organization the caller's account manages; 0, or -1 with the error set. */
static int managed_org(struct api_ctx *ctx, struct org *o)
{
    int rc = ostore_org_of_host(ctx->store, ctx->who.owner_uin, o);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_FOUND)
        return 0;
    rc = ostore_org_of_member(ctx->store, ctx->who.owner_uin, o, NULL);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_FOUND)
        return api_fail(ctx, E_ORG_NOT_MANAGER, "Only the organization's management account may do this.");
    return api_fail(ctx, E_ORG_NOT_EXIST, "The account is in no organization.");
}

/* A new random id of `what` (org, node, policy), free in the store; 0 on failure (error set). */
static int64_t new_id(struct api_ctx *ctx, const char *what)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        int64_t id = (int64_t)random_digits(9);
        int free_ = ostore_id_free(ctx->store, what, id);
        if (free_ < 0)
            return store_failed(ctx), 0;
        if (free_)
            return id;
    }
    api_fail(ctx, E_INTERNAL_ERROR, "No free id was found; retry.");
    return 0;
}

static int valid_name(const char *n, size_t max, const char *extra)
{
    size_t len = strlen(n);
    if (len < 1 || len > max)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              (unsigned char)*n >= 0x80 || strchr(extra, *n)))
            return 0;
    return 1;
}

static int policy_type_ok(struct api_ctx *ctx, const char *param)
{
    const char *t = api_str(ctx, param, SCP_TYPE);
    if (!strcmp(t, SCP_TYPE))
        return 0;
    if (!strcmp(t, TAG_TYPE))
        return api_fail(ctx, E_ORG_TAG_POLICY, "Tag policies are not supported by yun; only %s.", SCP_TYPE);
    return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "%s must be %s or %s.", param, SCP_TYPE, TAG_TYPE);
}

static void uin_str(int64_t uin, char out[24]) { snprintf(out, 24, "%lld", (long long)uin); }

/* ---- the organization ---- */

static int create_organization(struct api_ctx *ctx)
{
    struct org o = {0};
    int rc = ostore_org_of_host(ctx->store, ctx->who.owner_uin, &o);
    if (rc == STORE_FOUND)
        return api_fail(ctx, E_ORG_EXISTS, "The account already manages organization %lld.", (long long)o.id);
    if (rc == STORE_NOT_FOUND)
        rc = ostore_org_of_member(ctx->store, ctx->who.owner_uin, &o, NULL);
    if (rc == STORE_FOUND)
        return api_fail(ctx, E_ORG_IN_ORGANIZATION, "The account is a member of organization %lld.", (long long)o.id);
    if (rc < 0)
        return store_failed(ctx);
    if (!(o.id = new_id(ctx, "org")) || !(o.root_node = new_id(ctx, "node")))
        return -1;
    snprintf(o.host_uin, sizeof o.host_uin, "%s", ctx->who.owner_uin);
    if (ostore_org_create(ctx->store, &o, ROOT_NODE_NAME) != 0)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "OrgId", json_integer(o.id));
    json_object_set_new(ctx->out, "NickName", json_string(ctx->who.owner_uin));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:organization/%lld", ctx->who.owner_uin,
             (long long)o.id);
    return 0;
}

static int describe_organization(struct api_ctx *ctx)
{
    struct org o;
    struct org_member m = {0};
    int manager = 1;
    int rc = ostore_org_of_host(ctx->store, ctx->who.owner_uin, &o);
    if (rc == STORE_NOT_FOUND) {
        manager = 0;
        rc = ostore_org_of_member(ctx->store, ctx->who.owner_uin, &o, &m);
    }
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_NOT_FOUND)
        return api_fail(ctx, E_ORG_NOT_EXIST, "The account is in no organization.");
    char created[32], joined[32];
    time_cam(o.created, created);
    time_cam(manager ? o.created : m.created, joined);
    json_t *perm = json_pack("[{s:i,s:s},{s:i,s:s}]", "Id", 1, "Name", "viewBill", "Id", 2, "Name", "viewBalance");
    json_object_update_new(
        ctx->out, json_pack("{s:I,s:I,s:s,s:i,s:b,s:s,s:s,s:o,s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "OrgId",
                            (json_int_t)o.id, "HostUin", (json_int_t)strtoll(o.host_uin, NULL, 10), "NickName",
                            o.host_uin, "OrgType", 1, "IsManager", manager, "OrgPolicyType", FINANCIAL, "OrgPolicyName",
                            "Financial management", "OrgPermission", perm, "RootNodeId", (json_int_t)o.root_node,
                            "CreateTime", created, "JoinTime", joined, "IsAllowQuit", manager ? "Allow" : "Denied",
                            "PayUin", "", "PayName", "", "IsAssignManager", 0, "IsAuthManager", 0));
    return 0;
}

static int policy_config(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0)
        return -1;
    if (api_int(ctx, "OrganizationId", 0) != o.id)
        return api_fail(ctx, E_ORG_NOT_EXIST, "Organization %lld does not exist.",
                        (long long)api_int(ctx, "OrganizationId", 0));
    int64_t type = api_int(ctx, "Type", 0);
    json_object_set_new(ctx->out, "Status", json_integer(type == 0 ? o.scp_enabled : 0));
    json_object_set_new(ctx->out, "Type", json_string(type == 0 ? SCP_TYPE : TAG_TYPE));
    return 0;
}

static int set_policy_type(struct api_ctx *ctx, int enabled)
{
    struct org o;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "PolicyType") != 0)
        return -1;
    if (api_int(ctx, "OrganizationId", 0) != o.id)
        return api_fail(ctx, E_ORG_NOT_EXIST, "Organization %lld does not exist.",
                        (long long)api_int(ctx, "OrganizationId", 0));
    if (ostore_org_set_scp(ctx->store, o.id, enabled) != 0)
        return store_failed(ctx);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:organization/%lld", ctx->who.owner_uin,
             (long long)o.id);
    return 0;
}

static int enable_policy_type(struct api_ctx *ctx) { return set_policy_type(ctx, 1); }
static int disable_policy_type(struct api_ctx *ctx) { return set_policy_type(ctx, 0); }

/* ---- nodes ---- */

static int find_node(struct api_ctx *ctx, const struct org *o, int64_t id, struct org_node *n)
{
    int rc = ostore_node_get(ctx->store, o->id, id, n);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_NOT_FOUND)
        return api_fail(ctx, E_ORG_NODE_NOT_EXIST, "The organization has no node %lld.", (long long)id);
    return 0;
}

static int add_node(struct api_ctx *ctx)
{
    struct org o;
    struct org_node parent;
    if (managed_org(ctx, &o) != 0 || find_node(ctx, &o, api_int(ctx, "ParentNodeId", 0), &parent) != 0)
        return -1;
    const char *name = api_str(ctx, "Name", "");
    if (!valid_name(name, 40, "+@&._[]-:, "))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Name `%s` must be 1 to 40 letters, digits or +@&._[]-:,",
                        name);
    int64_t depth = ostore_node_depth(ctx->store, o.id, parent.id);
    if (depth < 0)
        return store_failed(ctx);
    if (depth > MAX_NODE_DEPTH)
        return api_fail(ctx, E_ORG_NODE_DEPTH, "Nodes nest at most %d levels below the root.", MAX_NODE_DEPTH);
    int used = ostore_node_name_used(ctx->store, o.id, parent.id, name);
    if (used < 0)
        return store_failed(ctx);
    if (used)
        return api_fail(ctx, E_ORG_NODE_NAME_USED, "Node %lld already has a node named `%s`.", (long long)parent.id,
                        name);
    int64_t id = new_id(ctx, "node");
    if (!id)
        return -1;
    if (ostore_node_create(ctx->store, o.id, id, parent.id, name, api_str(ctx, "Remark", "")) != 0)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "NodeId", json_integer(id));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:node/%lld", ctx->who.owner_uin,
             (long long)id);
    return 0;
}

static int describe_nodes(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0)
        return -1;
    int64_t total;
    json_t *items = ostore_nodes(ctx->store, o.id, api_int(ctx, "Limit", 20), api_int(ctx, "Offset", 0), &total);
    if (!items)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "Total", json_integer(total));
    json_object_set_new(ctx->out, "Items", items);
    return 0;
}

static int delete_nodes(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ctx->params, "NodeId"), i, v) {
        struct org_node n;
        int64_t id = json_integer_value(v);
        if (find_node(ctx, &o, id, &n) != 0)
            return -1;
        if (id == o.root_node)
            return api_fail(ctx, E_ORG_NODE_ROOT, "The root node cannot be deleted.");
        int64_t deps = ostore_node_dependents(ctx->store, o.id, id);
        if (deps < 0)
            return store_failed(ctx);
        if (deps > 0)
            return api_fail(ctx, E_ORG_NODE_NOT_EMPTY, "Node %lld still holds nodes or members.", (long long)id);
        if (ostore_node_delete(ctx->store, o.id, id) != 0)
            return store_failed(ctx);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:node/*", ctx->who.owner_uin);
    return 0;
}

/* ---- members ---- */

static int create_member(struct api_ctx *ctx)
{
    struct org o;
    struct org_node node;
    if (managed_org(ctx, &o) != 0 || find_node(ctx, &o, api_int(ctx, "NodeId", 0), &node) != 0)
        return -1;
    const char *name = api_str(ctx, "Name", ""), *account = api_str(ctx, "AccountName", "");
    if (!valid_name(name, 25, "+@&._[]-:,"))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Name `%s` must be 1 to 25 letters, digits or +@&._[]-:,",
                        name);
    if (!valid_name(account, 25, "+@&._[]-:,"))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                        "AccountName `%s` must be 1 to 25 letters, digits or +@&._[]-:,", account);
    char perms[128] = "";
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ctx->params, "PermissionIds"), i, v) {
        int64_t p = json_integer_value(v);
        if (p < 1 || p > 8 || p == 3)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "PermissionIds: %lld is not one of 1, 2, 4-8.",
                            (long long)p);
        size_t n = strlen(perms);
        snprintf(perms + n, sizeof perms - n, "%s%lld", n ? "," : "", (long long)p);
    }
    int used = ostore_member_name_used(ctx->store, o.id, name);
    if (used < 0)
        return store_failed(ctx);
    if (used)
        return api_fail(ctx, E_ORG_MEMBER_NAME_USED, "The organization already has a member named `%s`.", name);
    struct new_account a;
    char err[256];
    if (identity_create_account_tx(ctx->store, account, &a, err, sizeof err) != 0 ||
        identity_create_org_access_role(ctx->store, a.uin, o.host_uin) != 0 ||
        ostore_member_create(ctx->store, o.id, a.uin, node.id, name, api_str(ctx, "Remark", ""), FINANCIAL, perms) != 0)
        return store_failed(ctx);
    memset(a.secret_key, 0, sizeof a.secret_key); /* the member's root key stays with the member */
    json_object_set_new(ctx->out, "Uin", json_integer(strtoll(a.uin, NULL, 10)));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:member/%s", ctx->who.owner_uin, a.uin);
    return 0;
}

static int describe_members(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0)
        return -1;
    int64_t total;
    json_t *items = ostore_members(ctx->store, o.id, api_int(ctx, "NodeId", 0), api_str(ctx, "SearchKey", ""),
                                   api_int(ctx, "Limit", 10), api_int(ctx, "Offset", 0), &total);
    if (!items)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "Items", items);
    json_object_set_new(ctx->out, "Total", json_integer(total));
    return 0;
}

/* Each MemberUin of the request, checked to be this organization's; calls fn on each. */
static int each_member(struct api_ctx *ctx, const struct org *o,
                       int (*fn)(struct api_ctx *, const struct org *, const char *, int64_t), int64_t arg)
{
    size_t i;
    json_t *v;
    json_t *list = json_object_get(ctx->params, "MemberUin");
    json_array_foreach (list, i, v) { /* all checked before any is changed */
        char uin[24];
        struct org_member m;
        uin_str(json_integer_value(v), uin);
        int rc = ostore_member_get(ctx->store, o->id, uin, &m);
        if (rc < 0)
            return store_failed(ctx);
        if (rc == STORE_NOT_FOUND)
            return api_fail(ctx, E_ORG_MEMBER_NOT_EXIST, "The organization has no member %s.", uin);
    }
    json_array_foreach (list, i, v) {
        char uin[24];
        uin_str(json_integer_value(v), uin);
        if (fn(ctx, o, uin, arg) != 0)
            return store_failed(ctx);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:member/*", ctx->who.owner_uin);
    return 0;
}

static int move_one(struct api_ctx *ctx, const struct org *o, const char *uin, int64_t node)
{
    return ostore_member_move(ctx->store, o->id, uin, node);
}

static int delete_one(struct api_ctx *ctx, const struct org *o, const char *uin, int64_t unused)
{
    (void)unused;
    if (identity_remove_org_access_role(ctx->store, uin) != 0)
        return -1;
    return ostore_member_delete(ctx->store, o->id, uin);
}

static int move_members(struct api_ctx *ctx)
{
    struct org o;
    struct org_node node;
    if (managed_org(ctx, &o) != 0 || find_node(ctx, &o, api_int(ctx, "NodeId", 0), &node) != 0)
        return -1;
    return each_member(ctx, &o, move_one, node.id);
}

static int delete_members(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0)
        return -1;
    return each_member(ctx, &o, delete_one, 0);
}

/* ---- policies ---- */

/* The request's Content: a valid CAM document (it is what identity evaluates); 0 or -1. */
static int check_content(struct api_ctx *ctx, const char *text)
{
    json_error_t je;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return api_fail(ctx, E_ORG_POLICY_BAD, "Content is not valid JSON: %s.", je.text);
    char why[256];
    int rc = policy_validate(doc, why, sizeof why);
    json_decref(doc);
    if (rc != 0)
        return api_fail(ctx, E_ORG_POLICY_BAD, "Content: %s.", why);
    return 0;
}

static int find_policy(struct api_ctx *ctx, const struct org *o, int64_t id, struct org_policy *p)
{
    int rc = ostore_policy_get(ctx->store, o->id, id, p);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_NOT_FOUND)
        return api_fail(ctx, E_ORG_POLICY_NOT_EXIST, "The organization has no policy %lld.", (long long)id);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:policy/%lld", ctx->who.owner_uin,
             (long long)id);
    return 0;
}

static int create_policy(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "Type") != 0)
        return -1;
    const char *name = api_str(ctx, "Name", ""), *content = api_str(ctx, "Content", "");
    if (!valid_name(name, 128, "_"))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Name `%s` must be 1 to 128 letters, digits or _.", name);
    if (check_content(ctx, content) != 0)
        return -1;
    int used = ostore_policy_name_used(ctx->store, o.id, name, 0);
    if (used < 0)
        return store_failed(ctx);
    if (used)
        return api_fail(ctx, E_ORG_POLICY_NAME_USED, "A policy named `%s` already exists.", name);
    int64_t id = new_id(ctx, "policy");
    if (!id)
        return -1;
    if (ostore_policy_create(ctx->store, o.id, id, name, SCP_TYPE, content, api_str(ctx, "Description", "")) != 0)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "PolicyId", json_integer(id));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::organization::uin/%s:policy/%lld", ctx->who.owner_uin,
             (long long)id);
    return 0;
}

/* The checks of UpdatePolicy's new name and content; 0 or -1 (error set). */
static int check_update(struct api_ctx *ctx, const struct org *o, const struct org_policy *p, const char *name,
                        const char *content)
{
    if (!valid_name(name, 128, "_"))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "Name `%s` must be 1 to 128 letters, digits or _.", name);
    if (check_content(ctx, content) != 0)
        return -1;
    int used = ostore_policy_name_used(ctx->store, o->id, name, p->id);
    if (used < 0)
        return store_failed(ctx);
    if (used)
        return api_fail(ctx, E_ORG_POLICY_NAME_USED, "A policy named `%s` already exists.", name);
    return 0;
}

static int update_policy(struct api_ctx *ctx)
{
    struct org o;
    struct org_policy p;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "Type") != 0 ||
        find_policy(ctx, &o, api_int(ctx, "PolicyId", 0), &p) != 0)
        return -1;
    const char *name = api_str(ctx, "Name", p.name), *content = api_str(ctx, "Content", p.content);
    int rc = check_update(ctx, &o, &p, name, content);
    if (rc == 0 &&
        ostore_policy_update(ctx->store, o.id, p.id, name, content, api_str(ctx, "Description", p.description)) != 0)
        rc = store_failed(ctx);
    ostore_policy_free(&p);
    return rc;
}

static int delete_policy(struct api_ctx *ctx)
{
    struct org o;
    struct org_policy p;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "Type") != 0 ||
        find_policy(ctx, &o, api_int(ctx, "PolicyId", 0), &p) != 0)
        return -1;
    ostore_policy_free(&p);
    int64_t n = ostore_policy_attached(ctx->store, o.id, p.id);
    if (n < 0)
        return store_failed(ctx);
    if (n > 0)
        return api_fail(ctx, E_ORG_POLICY_IN_USE, "Policy %lld is attached to %lld targets; detach it first.",
                        (long long)p.id, (long long)n);
    return ostore_policy_delete(ctx->store, o.id, p.id) ? store_failed(ctx) : 0;
}

static int describe_policy(struct api_ctx *ctx)
{
    struct org o;
    struct org_policy p;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "PolicyType") != 0 ||
        find_policy(ctx, &o, api_int(ctx, "PolicyId", 0), &p) != 0)
        return -1;
    /* Tencent's quirk: the document comes back wrapped as {"strategyInfo":...,"version":"2.0"} */
    json_t *doc = json_loads(p.content, 0, NULL);
    json_t *wrapped = json_pack("{s:o,s:s}", "strategyInfo", doc ? doc : json_object(), "version", "2.0");
    char *text = json_dumps(wrapped, JSON_COMPACT);
    json_decref(wrapped);
    char c[32], u[32];
    time_cam(p.created, c);
    time_cam(p.updated, u);
    json_object_update_new(ctx->out,
                           json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s}", "PolicyId", (json_int_t)p.id, "PolicyName",
                                     p.name, "Type", (json_int_t)1, "Description", p.description, "PolicyDocument",
                                     text ? text : "", "UpdateTime", u, "AddTime", c));
    free(text);
    ostore_policy_free(&p);
    return 0;
}

static int list_policies(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "PolicyType") != 0)
        return -1;
    int64_t rp = api_int(ctx, "Rp", 20), page = api_int(ctx, "Page", 1), total = 0;
    json_t *list;
    if (!strcmp(api_str(ctx, "Scope", "All"), "QCS")) { /* yun has no preset SCPs */
        list = json_array();
    } else {
        list = ostore_policies(ctx->store, o.id, SCP_TYPE, api_str(ctx, "Keyword", ""), rp, (page - 1) * rp, &total);
        if (!list)
            return store_failed(ctx);
    }
    json_object_set_new(ctx->out, "TotalNum", json_integer(total));
    json_object_set_new(ctx->out, "List", list);
    return 0;
}

/* The attachment target the request names: "NODE" with the node id, or "MEMBER" with the uin. */
static int find_target(struct api_ctx *ctx, const struct org *o, const char *type, int64_t id, char target[24])
{
    uin_str(id, target);
    if (!strcmp(type, "NODE")) {
        struct org_node n;
        return find_node(ctx, o, id, &n);
    }
    struct org_member m;
    int rc = ostore_member_get(ctx->store, o->id, target, &m);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_NOT_FOUND)
        return api_fail(ctx, E_ORG_MEMBER_NOT_EXIST, "The organization has no member %s.", target);
    return 0;
}

static int attach_or_detach(struct api_ctx *ctx, int attach)
{
    struct org o;
    struct org_policy p;
    char target[24];
    const char *type = api_str(ctx, "TargetType", "");
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "Type") != 0 ||
        find_policy(ctx, &o, api_int(ctx, "PolicyId", 0), &p) != 0)
        return -1;
    ostore_policy_free(&p);
    if (find_target(ctx, &o, type, api_int(ctx, "TargetId", 0), target) != 0)
        return -1;
    int rc = ostore_attached(ctx->store, o.id, p.id, type, target);
    if (rc < 0)
        return store_failed(ctx);
    if (attach && rc)
        return api_fail(ctx, E_ORG_POLICY_ATTACHED, "Policy %lld is already attached to %s %s.", (long long)p.id, type,
                        target);
    if (!attach && !rc)
        return api_fail(ctx, E_ORG_POLICY_NOT_BOUND, "Policy %lld is not attached to %s %s.", (long long)p.id, type,
                        target);
    if ((attach ? ostore_attach : ostore_detach)(ctx->store, o.id, p.id, type, target) != 0)
        return store_failed(ctx);
    return 0;
}

static int attach_policy(struct api_ctx *ctx) { return attach_or_detach(ctx, 1); }
static int detach_policy(struct api_ctx *ctx) { return attach_or_detach(ctx, 0); }

static int list_targets(struct api_ctx *ctx)
{
    struct org o;
    struct org_policy p;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "PolicyType") != 0 ||
        find_policy(ctx, &o, api_int(ctx, "PolicyId", 0), &p) != 0)
        return -1;
    ostore_policy_free(&p);
    const char *t = api_str(ctx, "TargetType", "All");
    const char *type = !strcmp(t, "Node") ? "NODE" : !strcmp(t, "User") ? "MEMBER" : NULL;
    int64_t rp = api_int(ctx, "Rp", 20), page = api_int(ctx, "Page", 1), total;
    json_t *list = ostore_targets(ctx->store, o.id, p.id, type, rp, (page - 1) * rp, &total);
    if (!list)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "TotalNum", json_integer(total));
    json_object_set_new(ctx->out, "List", list);
    return 0;
}

static int list_target_policies(struct api_ctx *ctx)
{
    struct org o;
    if (managed_org(ctx, &o) != 0 || policy_type_ok(ctx, "PolicyType") != 0)
        return -1;
    int64_t id = api_int(ctx, "TargetId", 0);
    char target[24];
    struct org_node n;
    int rc = ostore_node_get(ctx->store, o.id, id, &n); /* a node id, else a member's uin */
    if (rc < 0)
        return store_failed(ctx);
    const char *type = rc == STORE_FOUND ? "NODE" : "MEMBER";
    if (find_target(ctx, &o, type, id, target) != 0)
        return -1;
    int64_t rp = api_int(ctx, "Rp", 20), page = api_int(ctx, "Page", 1), total;
    json_t *list = ostore_target_policies(ctx->store, o.id, type, target, SCP_TYPE, api_str(ctx, "Keyword", ""), rp,
                                          (page - 1) * rp, &total);
    if (!list)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "TotalNum", json_integer(total));
    json_object_set_new(ctx->out, "List", list);
    return 0;
}

/* ---- the rows ---- */

static const char *const policy_types[] = {SCP_TYPE, TAG_TYPE, NULL};
static const char *const target_types[] = {"NODE", "MEMBER", NULL};
static const char *const financial[] = {FINANCIAL, NULL};
static const struct param p_tag[] = {P_STR("TagKey", P_REQUIRED, 1, 128), P_STR("TagValue", P_REQUIRED, 0, 256), P_END};

static const struct param p_none[] = {P_END};
static const struct param p_describe_org[] = {P_STR("Lang", 0, 0, 16), P_STR("Product", 0, 0, 64), P_END};
static const struct param p_policy_type_switch[] = {P_INT("OrganizationId", P_REQUIRED, 0, 0),
                                                    P_ENUM("PolicyType", P_REQUIRED, policy_types), P_END};
static const struct param p_policy_config[] = {P_INT("OrganizationId", P_REQUIRED, 0, 0), P_INT("Type", 0, 0, 1),
                                               P_END};
static const struct param p_add_node[] = {P_INT("ParentNodeId", P_REQUIRED, 0, 0), P_STR("Name", P_REQUIRED, 1, 40),
                                          P_STR("Remark", 0, 0, 200), P_OBJS("Tags", 0, 10, p_tag), P_END};
static const struct param p_nodes[] = {P_INT("Limit", P_REQUIRED, 1, 50), P_INT("Offset", P_REQUIRED, 0, 0),
                                       P_OBJS("Tags", 0, 10, p_tag), P_END};
static const struct param p_delete_nodes[] = {P_INTS("NodeId", P_REQUIRED, 100), P_END};
static const struct param p_create_member[] = {P_STR("Name", P_REQUIRED, 1, 25),
                                               P_ENUM("PolicyType", P_REQUIRED, financial),
                                               P_INTS("PermissionIds", P_REQUIRED, 10),
                                               P_INT("NodeId", P_REQUIRED, 0, 0),
                                               P_STR("AccountName", P_REQUIRED, 1, 25),
                                               P_STR("Remark", 0, 0, 200),
                                               P_INT("RecordId", 0, 0, 0),
                                               P_STR("PayUin", 0, 0, 24),
                                               P_INTS("IdentityRoleID", 0, 10),
                                               P_INT("AuthRelationId", 0, 0, 0),
                                               P_OBJS("Tags", 0, 10, p_tag),
                                               P_END};
static const struct param p_members[] = {P_INT("Offset", P_REQUIRED, 0, 0), P_INT("Limit", P_REQUIRED, 1, 50),
                                         P_STR("Lang", 0, 0, 16),           P_STR("SearchKey", 0, 0, 64),
                                         P_STR("AuthName", 0, 0, 64),       P_STR("Product", 0, 0, 64),
                                         P_OBJS("Tags", 0, 10, p_tag),      P_INT("NodeId", 0, 0, 0),
                                         P_STR("NodeName", 0, 0, 64),       P_END};
static const struct param p_move[] = {P_INT("NodeId", P_REQUIRED, 0, 0), P_INTS("MemberUin", P_REQUIRED, 100), P_END};
static const struct param p_delete_members[] = {P_INTS("MemberUin", P_REQUIRED, 100), P_END};
static const struct param p_create_policy[] = {
    P_STR("Name", P_REQUIRED, 1, 128), P_STR("Content", P_REQUIRED, 1, MAX_DOCUMENT),
    P_ENUM("Type", P_REQUIRED, policy_types), P_STR("Description", 0, 0, 512), P_END};
static const struct param p_update_policy[] = {P_INT("PolicyId", P_REQUIRED, 0, 0),  P_STR("Description", 0, 0, 512),
                                               P_STR("Content", 0, 1, MAX_DOCUMENT), P_STR("Name", 0, 1, 128),
                                               P_ENUM("Type", 0, policy_types),      P_END};
static const struct param p_delete_policy[] = {P_INT("PolicyId", P_REQUIRED, 0, 0), P_ENUM("Type", 0, policy_types),
                                               P_END};
static const struct param p_describe_policy[] = {P_INT("PolicyId", P_REQUIRED, 0, 0),
                                                 P_ENUM("PolicyType", 0, policy_types), P_END};
static const struct param p_attach[] = {P_INT("TargetId", P_REQUIRED, 0, 0),
                                        P_ENUM("TargetType", P_REQUIRED, target_types),
                                        P_INT("PolicyId", P_REQUIRED, 0, 0), P_ENUM("Type", 0, policy_types), P_END};
static const struct param p_list_policies[] = {P_INT("Rp", 0, 1, 200),
                                               P_INT("Page", 0, 1, 200),
                                               P_STR("Scope", 0, 0, 16),
                                               P_STR("Keyword", 0, 0, 128),
                                               P_ENUM("PolicyType", 0, policy_types),
                                               P_END};
static const char *const target_filter[] = {"All", "User", "Node", NULL};
static const struct param p_list_targets[] = {P_INT("PolicyId", P_REQUIRED, 0, 0),
                                              P_INT("Rp", 0, 1, 200),
                                              P_INT("Page", 0, 1, 200),
                                              P_ENUM("TargetType", 0, target_filter),
                                              P_ENUM("PolicyType", 0, policy_types),
                                              P_STR("Keyword", 0, 0, 256),
                                              P_END};
static const struct param p_target_policies[] = {
    P_INT("TargetId", P_REQUIRED, 0, 0),   P_INT("Rp", 0, 1, 200),      P_INT("Page", 0, 1, 200),
    P_ENUM("PolicyType", 0, policy_types), P_STR("Keyword", 0, 0, 128), P_END};

#define ORG "organization", ORGANIZATION
static const struct action organization_actions[] = {
    {ORG, "CreateOrganization", create_organization, p_none, A_MUTATES, NULL},
    {ORG, "DescribeOrganization", describe_organization, p_describe_org, 0, NULL},
    {ORG, "EnablePolicyType", enable_policy_type, p_policy_type_switch, A_MUTATES, NULL},
    {ORG, "DisablePolicyType", disable_policy_type, p_policy_type_switch, A_MUTATES, NULL},
    {ORG, "DescribePolicyConfig", policy_config, p_policy_config, 0, NULL},
    {ORG, "AddOrganizationNode", add_node, p_add_node, A_MUTATES, NULL},
    {ORG, "DescribeOrganizationNodes", describe_nodes, p_nodes, 0, NULL},
    {ORG, "DeleteOrganizationNodes", delete_nodes, p_delete_nodes, A_MUTATES, NULL},
    {ORG, "CreateOrganizationMember", create_member, p_create_member, A_MUTATES, NULL},
    {ORG, "DescribeOrganizationMembers", describe_members, p_members, 0, NULL},
    {ORG, "MoveOrganizationNodeMembers", move_members, p_move, A_MUTATES, NULL},
    {ORG, "DeleteOrganizationMembers", delete_members, p_delete_members, A_MUTATES, NULL},
    {ORG, "CreatePolicy", create_policy, p_create_policy, A_MUTATES, NULL},
    {ORG, "UpdatePolicy", update_policy, p_update_policy, A_MUTATES, NULL},
    {ORG, "DeletePolicy", delete_policy, p_delete_policy, A_MUTATES, NULL},
    {ORG, "DescribePolicy", describe_policy, p_describe_policy, 0, NULL},
    {ORG, "ListPolicies", list_policies, p_list_policies, 0, NULL},
    {ORG, "AttachPolicy", attach_policy, p_attach, A_MUTATES, NULL},
    {ORG, "DetachPolicy", detach_policy, p_attach, A_MUTATES, NULL},
    {ORG, "ListTargetsForPolicy", list_targets, p_list_targets, 0, NULL},
    {ORG, "ListPoliciesForTarget", list_target_policies, p_target_policies, 0, NULL},
};

int organization_migrate(struct store *s, char *err, size_t errlen) { return ostore_migrate(s, err, errlen); }

void organization_register(void)
{
    api_register(organization_actions, sizeof organization_actions / sizeof organization_actions[0]);
    identity_set_scp_source(org_scp_path);
}
