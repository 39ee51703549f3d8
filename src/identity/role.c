/*
 * role: CAM roles (service cam, 2019-01-16). A role is an identity of an account that nobody logs
 * in as: its trust policy (trust.c) names the accounts or sub-users that may assume it through
 * sts AssumeRole (sts.c), and the custom policies attached to it are what the resulting
 * temporary credentials may do in the role's account. This is how an MSP partner operates a
 * customer's cloud: the customer creates a role trusting the partner's account, attaches what
 * the partner may do, and revokes it all by deleting the role.
 *
 * Every query is scoped by the caller's account (owner_uin): a foreign role is "not found".
 * Roles are named in policies as qcs::cam::uin/<owner>:roleName/<name>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "identity/codes.h"
#include "identity/identity.h"

#define CAM                  "2019-01-16"
#define MAX_ROLES            1000
#define MAX_TRUST_DOCUMENT   4096
#define ROLE_ID_BASE         4611686018427387904ull /* Tencent's role ids start at 2^62 */
#define SESSION_DURATION_MIN 900
#define SESSION_DURATION_MAX 43200
#define ROLE_COLUMNS         "role_id, name, document, description, created, updated, console_login, session_duration"

struct role {
    char id[24];
    char name[132];
};

static int store_failed(struct api_ctx *ctx)
{
    return api_fail(ctx, E_INTERNAL_ERROR_SYSTEM_ERROR, "The state store failed: %s", store_errmsg(ctx->store));
}

static int valid_role_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 1 || len > 128)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              strchr("+=,.@-_", *n)))
            return 0;
    return 1;
}

static void role_arn(struct api_ctx *ctx, const char *name, char *out, size_t len)
{
    snprintf(out, len, "qcs::cam::uin/%s:roleName/%s", ctx->who.owner_uin, name);
}

/* The role the request names by id_param or name_param (one of them); 0 found, else -1 with the
 * error set (a missing choice, an unknown role, a store failure). */
static int find_role(struct api_ctx *ctx, const char *id_param, const char *name_param, struct role *r)
{
    const char *id = api_str(ctx, id_param, NULL), *name = api_str(ctx, name_param, NULL);
    if (!id && !name)
        return api_fail(ctx, E_MISSING_PARAMETER, "The request is missing a required parameter `%s` or `%s`.", id_param,
                        name_param);
    struct store_stmt *q =
        id ? store_query(ctx->store, "SELECT role_id, name FROM roles WHERE owner_uin = ? AND role_id = ?", "ss",
                         ctx->who.owner_uin, id)
           : store_query(ctx->store, "SELECT role_id, name FROM roles WHERE owner_uin = ? AND name = ?", "ss",
                         ctx->who.owner_uin, name);
    if (!q)
        return store_failed(ctx);
    int rc = store_step(q);
    if (rc == 1) {
        snprintf(r->id, sizeof r->id, "%s", store_text(q, 0));
        snprintf(r->name, sizeof r->name, "%s", store_text(q, 1));
    }
    store_done(q);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == 0)
        return api_fail(ctx, E_INVALID_PARAMETER_ROLE_NOT_EXIST, "The role `%s` does not exist.", id ? id : name);
    char arn[256];
    role_arn(ctx, r->name, arn, sizeof arn);
    snprintf(ctx->resource, sizeof ctx->resource, "%s", arn);
    return 0;
}

/* A trust policy from the request: parsed and valid, or NULL with the error set. */
static json_t *trust_document(struct api_ctx *ctx)
{
    json_error_t je;
    json_t *doc = json_loads(api_str(ctx, "PolicyDocument", ""), JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        api_fail(ctx, E_INVALID_PARAMETER_POLICY_DOCUMENT_ERROR, "PolicyDocument is not valid JSON: %s.", je.text);
        return NULL;
    }
    char why[256];
    int rc = trust_validate(doc, why, sizeof why);
    if (rc != 0) {
        api_fail(ctx,
                 rc == TRUST_PRINCIPAL_ERROR ? E_INVALID_PARAMETER_PRINCIPAL_ERROR
                                             : E_INVALID_PARAMETER_POLICY_DOCUMENT_ERROR,
                 "PolicyDocument: %s.", why);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static json_t *role_json(struct api_ctx *ctx, struct store_stmt *q)
{
    /* columns: ROLE_COLUMNS */
    char added[32], updated[32], arn[256];
    time_cam(store_int(q, 4), added);
    time_cam(store_int(q, 5), updated);
    role_arn(ctx, store_text(q, 1), arn, sizeof arn);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:n,s:[],s:s}", "RoleId", store_text(q, 0), "RoleName",
                     store_text(q, 1), "PolicyDocument", store_text(q, 2), "Description", store_text(q, 3), "AddTime",
                     added, "UpdateTime", updated, "ConsoleLogin", (json_int_t)store_int(q, 6), "RoleType", "user",
                     "SessionDuration", (json_int_t)store_int(q, 7), "DeletionTaskId", "Tags", "RoleArn", arn);
}

static int create_role(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "RoleName", "");
    if (!valid_role_name(name))
        return api_fail(ctx, E_INVALID_PARAMETER_ROLE_NAME_ERROR,
                        "The role name `%s` must be 1 to 128 letters, digits or +=,.@-_.", name);
    int64_t duration = api_int(ctx, "SessionDuration", 0);
    if (duration == 0)
        duration = SESSION_DURATION_MAX;
    if (duration < SESSION_DURATION_MIN)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "SessionDuration must be 0 (the default, %d) or %d to %d.",
                        SESSION_DURATION_MAX, SESSION_DURATION_MIN, SESSION_DURATION_MAX);
    json_t *doc = trust_document(ctx);
    if (!doc)
        return -1;
    json_decref(doc);
    struct store_stmt *q =
        store_query(ctx->store, "SELECT count(*) FROM roles WHERE owner_uin = ?", "s", ctx->who.owner_uin);
    int64_t n = (q && store_step(q) == 1) ? store_int(q, 0) : -1;
    store_done(q);
    if (n < 0)
        return store_failed(ctx);
    if (n >= MAX_ROLES)
        return api_fail(ctx, E_INVALID_PARAMETER_ROLE_FULL, "An account can have at most %d roles.", MAX_ROLES);
    q = store_query(ctx->store, "SELECT 1 FROM roles WHERE owner_uin = ? AND name = ?", "ss", ctx->who.owner_uin, name);
    int exists = q ? store_step(q) : -1;
    store_done(q);
    if (exists < 0)
        return store_failed(ctx);
    if (exists)
        return api_fail(ctx, E_INVALID_PARAMETER_ROLE_NAME_IN_USE, "A role named `%s` already exists.", name);
    char id[24];
    int rc = STORE_CONSTRAINT;
    for (int attempt = 0; attempt < 10 && rc == STORE_CONSTRAINT; attempt++) {
        snprintf(id, sizeof id, "%llu", (unsigned long long)(ROLE_ID_BASE + random_digits(12)));
        int64_t now = time_now();
        rc =
            store_exec(ctx->store, "INSERT INTO roles (" ROLE_COLUMNS ", owner_uin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "ssssiiiis", id, name, api_str(ctx, "PolicyDocument", ""), api_str(ctx, "Description", ""), now,
                       now, api_int(ctx, "ConsoleLogin", 0), duration, ctx->who.owner_uin);
    }
    if (rc != 1)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "RoleId", json_string(id));
    role_arn(ctx, name, ctx->resource, sizeof ctx->resource);
    return 0;
}

static int get_role(struct api_ctx *ctx)
{
    struct role r;
    if (find_role(ctx, "RoleId", "RoleName", &r) != 0)
        return -1;
    struct store_stmt *q = store_query(ctx->store, "SELECT " ROLE_COLUMNS " FROM roles WHERE role_id = ?", "s", r.id);
    if (!q || store_step(q) != 1) {
        store_done(q);
        return store_failed(ctx);
    }
    json_object_set_new(ctx->out, "RoleInfo", role_json(ctx, q));
    store_done(q);
    return 0;
}

static int describe_role_list(struct api_ctx *ctx)
{
    int64_t rp = api_int(ctx, "Rp", 20), offset = (api_int(ctx, "Page", 1) - 1) * rp;
    struct store_stmt *c =
        store_query(ctx->store, "SELECT count(*) FROM roles WHERE owner_uin = ?", "s", ctx->who.owner_uin);
    int64_t total = (c && store_step(c) == 1) ? store_int(c, 0) : -1;
    store_done(c);
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT " ROLE_COLUMNS " FROM roles WHERE owner_uin = ?"
                                       " ORDER BY created, name LIMIT ? OFFSET ?",
                                       "sii", ctx->who.owner_uin, rp, offset);
    json_t *list = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1)
        json_array_append_new(list, role_json(ctx, q));
    store_done(q);
    if (rc < 0 || total < 0) {
        json_decref(list);
        return store_failed(ctx);
    }
    json_object_set_new(ctx->out, "List", list);
    json_object_set_new(ctx->out, "TotalNum", json_integer(total));
    return 0;
}

/* The role goes with its attachments and every session issued for it: its temporary credentials
 * stop working with this commit (the request path empties identity's key cache after it). */
static int delete_role(struct api_ctx *ctx)
{
    struct role r;
    if (find_role(ctx, "RoleId", "RoleName", &r) != 0)
        return -1;
    if (store_exec(ctx->store, "DELETE FROM role_sessions WHERE role_id = ?", "s", r.id) < 0 ||
        store_exec(ctx->store, "DELETE FROM role_policies WHERE role_id = ?", "s", r.id) < 0 ||
        store_exec(ctx->store, "DELETE FROM roles WHERE role_id = ? AND owner_uin = ?", "ss", r.id,
                   ctx->who.owner_uin) != 1)
        return store_failed(ctx);
    return 0;
}

static int update_assume_role_policy(struct api_ctx *ctx)
{
    struct role r;
    if (find_role(ctx, "RoleId", "RoleName", &r) != 0)
        return -1;
    json_t *doc = trust_document(ctx);
    if (!doc)
        return -1;
    json_decref(doc);
    if (store_exec(ctx->store, "UPDATE roles SET document = ?, updated = ? WHERE role_id = ?", "sis",
                   api_str(ctx, "PolicyDocument", ""), time_now(), r.id) != 1)
        return store_failed(ctx);
    return 0;
}

/* The account's custom policy named by PolicyId or PolicyName; 0 or -1 with the error set. */
static int find_policy(struct api_ctx *ctx, int64_t *id)
{
    const char *name = api_str(ctx, "PolicyName", NULL);
    if (!api_has(ctx, "PolicyId") && !name)
        return api_fail(ctx, E_MISSING_PARAMETER,
                        "The request is missing a required parameter `PolicyId` or `PolicyName`.");
    struct store_stmt *q =
        api_has(ctx, "PolicyId")
            ? store_query(ctx->store, "SELECT policy_id FROM policies WHERE owner_uin = ? AND policy_id = ?", "si",
                          ctx->who.owner_uin, api_int(ctx, "PolicyId", 0))
            : store_query(ctx->store, "SELECT policy_id FROM policies WHERE owner_uin = ? AND name = ?", "ss",
                          ctx->who.owner_uin, name);
    if (!q)
        return store_failed(ctx);
    int rc = store_step(q);
    if (rc == 1)
        *id = store_int(q, 0);
    store_done(q);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == 0)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND_POLICY_ID_NOT_FOUND, "The policy does not exist.");
    return 0;
}

static int attach_role_policy(struct api_ctx *ctx)
{
    struct role r;
    int64_t id;
    if (find_role(ctx, "AttachRoleId", "AttachRoleName", &r) != 0 || find_policy(ctx, &id) != 0)
        return -1;
    if (store_exec(ctx->store,
                   "INSERT INTO role_policies (owner_uin, role_id, policy_id, attached) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (role_id, policy_id) DO NOTHING",
                   "ssii", ctx->who.owner_uin, r.id, id, time_now()) < 0)
        return store_failed(ctx);
    return 0;
}

static int detach_role_policy(struct api_ctx *ctx)
{
    struct role r;
    int64_t id;
    if (find_role(ctx, "DetachRoleId", "DetachRoleName", &r) != 0 || find_policy(ctx, &id) != 0)
        return -1;
    if (store_exec(ctx->store, "DELETE FROM role_policies WHERE owner_uin = ? AND role_id = ? AND policy_id = ?", "ssi",
                   ctx->who.owner_uin, r.id, id) < 0)
        return store_failed(ctx);
    return 0;
}

static int list_attached_role_policies(struct api_ctx *ctx)
{
    struct role r;
    if (find_role(ctx, "RoleId", "RoleName", &r) != 0)
        return -1;
    int64_t rp = api_int(ctx, "Rp", 20), offset = (api_int(ctx, "Page", 1) - 1) * rp;
    if (!strcmp(api_str(ctx, "PolicyType", "User"), "QCS")) { /* yun has no preset (QCS) policies */
        json_object_set_new(ctx->out, "List", json_array());
        json_object_set_new(ctx->out, "TotalNum", json_integer(0));
        return 0;
    }
    char like[160];
    snprintf(like, sizeof like, "%%%s%%", api_str(ctx, "Keyword", ""));
    struct store_stmt *c =
        store_query(ctx->store,
                    "SELECT count(*) FROM role_policies rp JOIN policies p ON p.policy_id = rp.policy_id"
                    " WHERE rp.role_id = ? AND p.name LIKE ?",
                    "ss", r.id, like);
    int64_t total = (c && store_step(c) == 1) ? store_int(c, 0) : -1;
    store_done(c);
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT p.policy_id, p.name, rp.attached, p.description FROM role_policies rp"
                                       " JOIN policies p ON p.policy_id = rp.policy_id"
                                       " WHERE rp.role_id = ? AND p.name LIKE ? ORDER BY p.policy_id LIMIT ? OFFSET ?",
                                       "ssii", r.id, like, rp, offset);
    json_t *list = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char added[32];
        time_cam(store_int(q, 2), added);
        json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:[],s:s}", "PolicyId",
                                              (json_int_t)store_int(q, 0), "PolicyName", store_text(q, 1), "AddTime",
                                              added, "PolicyType", "User", "CreateMode", 1, "Deactived", 0,
                                              "DeactivedDetail", "Description", store_text(q, 3)));
    }
    store_done(q);
    if (rc < 0 || total < 0) {
        json_decref(list);
        return store_failed(ctx);
    }
    json_object_set_new(ctx->out, "List", list);
    json_object_set_new(ctx->out, "TotalNum", json_integer(total));
    return 0;
}

/* Policies name roles as roleName/<name>; a request may name one by id, so resolve it. */
static void role_resource(struct api_ctx *ctx, const char *id_param, const char *name_param, char *tail, size_t len)
{
    const char *name = api_str(ctx, name_param, NULL), *id = api_str(ctx, id_param, NULL);
    if (name) {
        snprintf(tail, len, "roleName/%s", name);
        return;
    }
    snprintf(tail, len, "roleName/*"); /* an unknown role: only wildcard patterns match */
    struct store_stmt *q = id ? store_query(ctx->store, "SELECT name FROM roles WHERE owner_uin = ? AND role_id = ?",
                                            "ss", ctx->who.owner_uin, id)
                              : NULL;
    if (q && store_step(q) == 1)
        snprintf(tail, len, "roleName/%s", store_text(q, 0));
    store_done(q);
}

static void role_by_id_or_name(struct api_ctx *ctx, char *tail, size_t len)
{
    role_resource(ctx, "RoleId", "RoleName", tail, len);
}

static void attach_role(struct api_ctx *ctx, char *tail, size_t len)
{
    role_resource(ctx, "AttachRoleId", "AttachRoleName", tail, len);
}

static void detach_role(struct api_ctx *ctx, char *tail, size_t len)
{
    role_resource(ctx, "DetachRoleId", "DetachRoleName", tail, len);
}

static const char *const policy_types[] = {"User", "QCS", NULL};

static const struct param p_tag[] = {P_STR("Key", P_REQUIRED, 1, 128), P_STR("Value", P_REQUIRED, 0, 256), P_END};
static const struct param p_create_role[] = {P_STR("RoleName", P_REQUIRED, 1, 128),
                                             P_STR("PolicyDocument", P_REQUIRED, 1, MAX_TRUST_DOCUMENT),
                                             P_STR("Description", 0, 0, 300),
                                             P_INT("ConsoleLogin", 0, 0, 1),
                                             P_INT("SessionDuration", 0, 0, SESSION_DURATION_MAX),
                                             P_OBJS("Tags", 0, 50, p_tag),
                                             P_END};
static const struct param p_role[] = {P_STR("RoleId", 0, 1, 24), P_STR("RoleName", 0, 1, 128), P_END};
static const struct param p_role_list[] = {P_INT("Page", P_REQUIRED, 1, 100000), P_INT("Rp", P_REQUIRED, 1, 200),
                                           P_OBJS("Tags", 0, 50, p_tag), P_END};
static const struct param p_update_trust[] = {P_STR("PolicyDocument", P_REQUIRED, 1, MAX_TRUST_DOCUMENT),
                                              P_STR("RoleId", 0, 1, 24), P_STR("RoleName", 0, 1, 128), P_END};
static const struct param p_attach[] = {P_INT("PolicyId", 0, 1, INT64_MAX), P_STR("PolicyName", 0, 1, 128),
                                        P_STR("AttachRoleId", 0, 1, 24), P_STR("AttachRoleName", 0, 1, 128), P_END};
static const struct param p_detach[] = {P_INT("PolicyId", 0, 1, INT64_MAX), P_STR("PolicyName", 0, 1, 128),
                                        P_STR("DetachRoleId", 0, 1, 24), P_STR("DetachRoleName", 0, 1, 128), P_END};
static const struct param p_list_attached[] = {P_INT("Page", P_REQUIRED, 1, 100000),
                                               P_INT("Rp", P_REQUIRED, 1, 200),
                                               P_STR("RoleId", 0, 1, 24),
                                               P_STR("RoleName", 0, 1, 128),
                                               P_ENUM("PolicyType", 0, policy_types),
                                               P_STR("Keyword", 0, 0, 128),
                                               P_END};

const struct action role_actions[] = {
    {"cam", CAM, "CreateRole", create_role, p_create_role, A_MUTATES, "roleName/${RoleName}"},
    {"cam", CAM, "GetRole", get_role, p_role, 0, NULL, role_by_id_or_name},
    {"cam", CAM, "DescribeRoleList", describe_role_list, p_role_list, 0, NULL},
    {"cam", CAM, "DeleteRole", delete_role, p_role, A_MUTATES, NULL, role_by_id_or_name},
    {"cam", CAM, "UpdateAssumeRolePolicy", update_assume_role_policy, p_update_trust, A_MUTATES, NULL,
     role_by_id_or_name},
    {"cam", CAM, "AttachRolePolicy", attach_role_policy, p_attach, A_MUTATES, NULL, attach_role,
     TOUCHES("cam:policyid/${PolicyId}", "cam:policy/${PolicyName}")},
    {"cam", CAM, "DetachRolePolicy", detach_role_policy, p_detach, A_MUTATES, NULL, detach_role,
     TOUCHES("cam:policyid/${PolicyId}", "cam:policy/${PolicyName}")},
    {"cam", CAM, "ListAttachedRolePolicies", list_attached_role_policies, p_list_attached, 0, NULL, role_by_id_or_name},
};
const int role_action_count = sizeof role_actions / sizeof role_actions[0];

/* Tencent's organization makes, in each member account it creates, a role its management account
 * assumes to administer the member (OrganizationAccessControlRole with a full-access policy). */
int identity_create_org_access_role(struct store *s, const char *member_uin, const char *host_uin)
{
    char role_id[24], trust[256];
    snprintf(role_id, sizeof role_id, "%llu", (unsigned long long)(ROLE_ID_BASE + random_digits(12)));
    snprintf(trust, sizeof trust,
             "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"name/sts:AssumeRole\","
             "\"principal\":{\"qcs\":[\"qcs::cam::uin/%s:root\"]}}]}",
             host_uin);
    int64_t now = time_now(), policy_id = (int64_t)random_digits(9);
    if (store_exec(s, "INSERT INTO roles (" ROLE_COLUMNS ", owner_uin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssiiiis",
                   role_id, "OrganizationAccessControlRole", trust,
                   "The organization's management account administers this member", now, now, (int64_t)0,
                   (int64_t)SESSION_DURATION_MAX, member_uin) != 1 ||
        store_exec(s,
                   "INSERT INTO policies (policy_id, owner_uin, name, document, description, type, created, updated)"
                   " VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                   "issssii", policy_id, member_uin, "OrganizationAccessControlPolicy",
                   "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"}]}",
                   "Every right, for the organization's management account", now, now) != 1 ||
        store_exec(s, "INSERT INTO role_policies (owner_uin, role_id, policy_id, attached) VALUES (?, ?, ?, ?)", "ssii",
                   member_uin, role_id, policy_id, now) != 1)
        return -1;
    return 0;
}

/* An account leaving its organization: the management account's role in it goes, and with it
 * every session of that role (the role's policy stays, attached to nothing). 0 or -1. */
int identity_remove_org_access_role(struct store *s, const char *member_uin)
{
    const char *in = "(SELECT role_id FROM roles WHERE owner_uin = ? AND name = 'OrganizationAccessControlRole')";
    char sessions[160], policies[160];
    snprintf(sessions, sizeof sessions, "DELETE FROM role_sessions WHERE role_id IN %s", in);
    snprintf(policies, sizeof policies, "DELETE FROM role_policies WHERE role_id IN %s", in);
    if (store_exec(s, sessions, "s", member_uin) < 0 || store_exec(s, policies, "s", member_uin) < 0 ||
        store_exec(s, "DELETE FROM roles WHERE owner_uin = ? AND name = 'OrganizationAccessControlRole'", "s",
                   member_uin) < 0)
        return -1;
    return 0;
}
