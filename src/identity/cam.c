/*
 * cam: the CAM actions (service cam, version 2019-01-16): sub-users, access keys, policies and
 * their attachments. Every query is scoped by the caller's root account (owner_uin), so one
 * account can never read or change another's: a foreign id is simply "not found".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/codes.h"
#include "identity/identity.h"

#define CAM                 "2019-01-16"
#define MAX_KEYS_PER_USER   2
#define MAX_POLICY_DOCUMENT 6144

/* ---- helpers ---- */

static json_t *uin_json(const char *uin) { return json_integer(strtoll(uin, NULL, 10)); }

static void cam_time(int64_t t, char out[32]) { time_cam(t, out); }

static int valid_user_name(const char *n)
{
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              strchr("+=,.@-_", *n)))
            return 0;
    return 1;
}

static int hash_password(const char *pw, char *out, size_t len) { return identity_hash_password(pw, out, len); }

static int password_ok(const char *pw) { return identity_password_ok(pw); }

/* Resolves a sub-user by name within the caller's account; 1 found, 0 not, -1 error. */
static int find_user(struct api_ctx *ctx, const char *name, char uin[24])
{
    struct store_stmt *q = store_query(ctx->store, "SELECT uin FROM users WHERE owner_uin = ? AND name = ?", "ss",
                                       ctx->who.owner_uin, name);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        snprintf(uin, 24, "%s", store_text(q, 0));
    store_done(q);
    return rc;
}

/* Whether uin is the caller's root account or one of its sub-users. */
static int uin_in_account(struct api_ctx *ctx, const char *uin)
{
    if (strcmp(uin, ctx->who.owner_uin) == 0)
        return 1;
    struct store_stmt *q =
        store_query(ctx->store, "SELECT 1 FROM users WHERE owner_uin = ? AND uin = ?", "ss", ctx->who.owner_uin, uin);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc;
}

static int is_sub_user(struct api_ctx *ctx, const char *uin)
{
    return strcmp(uin, ctx->who.owner_uin) != 0 && uin_in_account(ctx, uin) == 1;
}

static int store_failed(struct api_ctx *ctx)
{
    return api_fail(ctx, E_INTERNAL_ERROR_SYSTEM_ERROR, "The state store failed: %s", store_errmsg(ctx->store));
}

static void target_uin(struct api_ctx *ctx, char out[24])
{
    if (api_has(ctx, "TargetUin"))
        snprintf(out, 24, "%lld", (long long)api_int(ctx, "TargetUin", 0));
    else
        snprintf(out, 24, "%s", ctx->who.user_uin);
}

/* ---- users ---- */

static int add_user(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "Name", "");
    if (!valid_user_name(name))
        return api_fail(ctx, E_INVALID_PARAMETER_USER_NAME_ILLEGAL,
                        "The user name `%s` may contain only letters, digits and +=,.@-_.", name);
    int console = (int)api_int(ctx, "ConsoleLogin", 0), use_api = (int)api_int(ctx, "UseApi", 0);
    const char *pw = api_str(ctx, "Password", NULL);
    char generated[24] = "", hash[128] = "";
    if (console && !pw) {
        random_alnum(generated, 16);
        pw = generated;
    }
    if (pw && !password_ok(pw))
        return api_fail(ctx, E_INVALID_PARAMETER_PASSWORD_VIOLATED_RULES,
                        "The password must be 8 to 32 characters long.");
    if (pw && hash_password(pw, hash, sizeof hash) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR_SYSTEM_ERROR, "The password could not be hashed.");
    char uin[24];
    int64_t uid = (int64_t)random_digits(9);
    int rc = STORE_CONSTRAINT;
    for (int attempt = 0; attempt < 10 && rc == STORE_CONSTRAINT; attempt++) {
        snprintf(uin, sizeof uin, "%llu", (unsigned long long)random_digits(12));
        if (find_user(ctx, name, (char[24]){0}) == 1)
            return api_fail(ctx, E_INVALID_PARAMETER_SUB_USER_NAME_IN_USE, "A sub-user named `%s` already exists.",
                            name);
        rc =
            store_exec(ctx->store,
                       "INSERT INTO users (uin, owner_uin, uid, name, remark, console_login, password_hash, need_reset,"
                       " phone, country_code, email, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "ssissisisssi", uin, ctx->who.owner_uin, uid, name, api_str(ctx, "Remark", ""), (int64_t)console,
                       pw ? hash : NULL, api_int(ctx, "NeedResetPassword", 0), api_str(ctx, "PhoneNum", ""),
                       api_str(ctx, "CountryCode", ""), api_str(ctx, "Email", ""), time_now());
    }
    if (rc != 1)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "Uin", uin_json(uin));
    json_object_set_new(ctx->out, "Name", json_string(name));
    json_object_set_new(ctx->out, "Uid", json_integer(uid));
    if (generated[0])
        json_object_set_new(ctx->out, "Password", json_string(generated));
    if (use_api) {
        char sid[64], skey[64];
        if (identity_create_key(ctx->store, ctx->who.owner_uin, uin, "", sid, skey) != 0)
            return store_failed(ctx);
        json_object_set_new(ctx->out, "SecretId", json_string(sid));
        json_object_set_new(ctx->out, "SecretKey", json_string(skey));
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:uin/%s", ctx->who.owner_uin, uin);
    return 0;
}

static json_t *user_json(struct store_stmt *q, int full)
{
    /* columns: uin, uid, name, remark, console_login, phone, country_code, email, created */
    char t[32];
    cam_time(store_int(q, 8), t);
    json_t *u = json_pack("{s:o,s:s,s:I,s:s,s:I,s:s,s:s,s:s}", "Uin", uin_json(store_text(q, 0)), "Name",
                          store_text(q, 2), "Uid", (json_int_t)store_int(q, 1), "Remark", store_text(q, 3),
                          "ConsoleLogin", (json_int_t)store_int(q, 4), "PhoneNum", store_text(q, 5), "CountryCode",
                          store_text(q, 6), "Email", store_text(q, 7));
    if (full) {
        json_object_set_new(u, "RecentlyLoginIP", json_string(""));
        json_object_set_new(u, "RecentlyLoginTime", json_string(""));
    } else {
        json_object_set_new(u, "CreateTime", json_string(t));
    }
    return u;
}

static int get_user(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "Name", "");
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT uin, uid, name, remark, console_login, phone, country_code, email, created"
                    " FROM users WHERE owner_uin = ? AND name = ?",
                    "ss", ctx->who.owner_uin, name);
    if (!q)
        return store_failed(ctx);
    int rc = store_step(q);
    if (rc == 1) {
        json_t *u = user_json(q, 1);
        json_object_update(ctx->out, u);
        json_decref(u);
    }
    store_done(q);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_USER_NOT_EXIST, "The sub-user `%s` does not exist.", name)
                       : store_failed(ctx);
    return 0;
}

static int list_users(struct api_ctx *ctx)
{
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT uin, uid, name, remark, console_login, phone, country_code, email, created"
                    " FROM users WHERE owner_uin = ? ORDER BY created, name",
                    "s", ctx->who.owner_uin);
    if (!q)
        return store_failed(ctx);
    json_t *data = json_array();
    int rc;
    while ((rc = store_step(q)) == 1)
        json_array_append_new(data, user_json(q, 0));
    store_done(q);
    json_object_set_new(ctx->out, "Data", data);
    return rc < 0 ? store_failed(ctx) : 0;
}

static int update_user(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "Name", "");
    char uin[24];
    int rc = find_user(ctx, name, uin);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_USER_NOT_EXIST, "The sub-user `%s` does not exist.", name)
                       : store_failed(ctx);
    static const struct {
        const char *param, *sql;
    } text_fields[] = {
        {"Remark", "UPDATE users SET remark = ? WHERE uin = ?"},
        {"PhoneNum", "UPDATE users SET phone = ? WHERE uin = ?"},
        {"CountryCode", "UPDATE users SET country_code = ? WHERE uin = ?"},
        {"Email", "UPDATE users SET email = ? WHERE uin = ?"},
    };
    for (size_t i = 0; i < sizeof text_fields / sizeof text_fields[0]; i++)
        if (api_has(ctx, text_fields[i].param) &&
            store_exec(ctx->store, text_fields[i].sql, "ss", api_str(ctx, text_fields[i].param, ""), uin) < 0)
            return store_failed(ctx);
    if (api_has(ctx, "ConsoleLogin") && store_exec(ctx->store, "UPDATE users SET console_login = ? WHERE uin = ?", "is",
                                                   api_int(ctx, "ConsoleLogin", 0), uin) < 0)
        return store_failed(ctx);
    if (api_has(ctx, "NeedResetPassword") && store_exec(ctx->store, "UPDATE users SET need_reset = ? WHERE uin = ?",
                                                        "is", api_int(ctx, "NeedResetPassword", 0), uin) < 0)
        return store_failed(ctx);
    const char *pw = api_str(ctx, "Password", NULL);
    if (pw) {
        char hash[128];
        if (!password_ok(pw))
            return api_fail(ctx, E_INVALID_PARAMETER_PASSWORD_VIOLATED_RULES,
                            "The password must be 8 to 32 characters long.");
        if (hash_password(pw, hash, sizeof hash) != 0 ||
            store_exec(ctx->store, "UPDATE users SET password_hash = ? WHERE uin = ?", "ss", hash, uin) < 0)
            return store_failed(ctx);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:uin/%s", ctx->who.owner_uin, uin);
    return 0;
}

static int delete_user(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "Name", "");
    char uin[24];
    int rc = find_user(ctx, name, uin);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_USER_NOT_EXIST, "The sub-user `%s` does not exist.", name)
                       : store_failed(ctx);
    struct store_stmt *q =
        store_query(ctx->store, "SELECT count(*) FROM access_keys WHERE owner_uin = ? AND user_uin = ?", "ss",
                    ctx->who.owner_uin, uin);
    int64_t keys = (q && store_step(q) == 1) ? store_int(q, 0) : -1;
    store_done(q);
    if (keys < 0)
        return store_failed(ctx);
    if (keys > 0 && !api_int(ctx, "Force", 0))
        return api_fail(ctx, E_OPERATION_DENIED_HAVE_KEYS,
                        "The sub-user `%s` still has API keys; delete them or pass Force=1.", name);
    if (store_exec(ctx->store, "DELETE FROM access_keys WHERE owner_uin = ? AND user_uin = ?", "ss", ctx->who.owner_uin,
                   uin) < 0 ||
        store_exec(ctx->store, "DELETE FROM user_policies WHERE owner_uin = ? AND user_uin = ?", "ss",
                   ctx->who.owner_uin, uin) < 0 ||
        sts_revoke_assumed_by(ctx->store, ctx->who.owner_uin, uin) != 0 || /* its role sessions end with it */
        store_exec(ctx->store, "DELETE FROM users WHERE owner_uin = ? AND uin = ?", "ss", ctx->who.owner_uin, uin) != 1)
        return store_failed(ctx);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:uin/%s", ctx->who.owner_uin, uin);
    return 0;
}

/* ---- access keys ---- */

static int create_access_key(struct api_ctx *ctx)
{
    char target[24];
    target_uin(ctx, target);
    int in = uin_in_account(ctx, target);
    if (in != 1)
        return in == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_USER_NOT_EXIST, "The user %s does not exist.", target)
                       : store_failed(ctx);
    struct store_stmt *q =
        store_query(ctx->store, "SELECT count(*) FROM access_keys WHERE owner_uin = ? AND user_uin = ?", "ss",
                    ctx->who.owner_uin, target);
    int64_t n = (q && store_step(q) == 1) ? store_int(q, 0) : -1;
    store_done(q);
    if (n < 0)
        return store_failed(ctx);
    if (n >= MAX_KEYS_PER_USER)
        return api_fail(ctx, E_OPERATION_DENIED_ACCESS_KEY_OVER_LIMIT, "Each user can have at most %d API keys.",
                        MAX_KEYS_PER_USER);
    char sid[64], skey[64], t[32];
    if (identity_create_key(ctx->store, ctx->who.owner_uin, target, api_str(ctx, "Description", ""), sid, skey) != 0)
        return store_failed(ctx);
    cam_time(time_now(), t);
    json_object_set_new(ctx->out, "AccessKey",
                        json_pack("{s:s,s:s,s:s,s:s,s:s}", "AccessKeyId", sid, "SecretAccessKey", skey, "Status",
                                  "Active", "CreateTime", t, "Description", api_str(ctx, "Description", "")));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:uin/%s", ctx->who.owner_uin, target);
    return 0;
}

static int list_access_keys(struct api_ctx *ctx)
{
    char target[24];
    target_uin(ctx, target);
    int in = uin_in_account(ctx, target);
    if (in != 1)
        return in == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_USER_NOT_EXIST, "The user %s does not exist.", target)
                       : store_failed(ctx);
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT secret_id, status, created, description FROM access_keys"
                                       " WHERE owner_uin = ? AND user_uin = ? ORDER BY created, secret_id",
                                       "ss", ctx->who.owner_uin, target);
    if (!q)
        return store_failed(ctx);
    json_t *keys = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        char t[32];
        cam_time(store_int(q, 2), t);
        json_array_append_new(keys, json_pack("{s:s,s:s,s:s,s:s}", "AccessKeyId", store_text(q, 0), "Status",
                                              store_text(q, 1), "CreateTime", t, "Description", store_text(q, 3)));
    }
    store_done(q);
    json_object_set_new(ctx->out, "AccessKeys", keys);
    return rc < 0 ? store_failed(ctx) : 0;
}

/* The key must belong to the caller's account, and to TargetUin when one is given. */
static int find_key(struct api_ctx *ctx, const char *key_id, char user_uin[24])
{
    struct store_stmt *q =
        store_query(ctx->store, "SELECT user_uin FROM access_keys WHERE secret_id = ? AND owner_uin = ?", "ss", key_id,
                    ctx->who.owner_uin);
    if (!q)
        return store_failed(ctx);
    int rc = store_step(q);
    if (rc == 1)
        snprintf(user_uin, 24, "%s", store_text(q, 0));
    store_done(q);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == 1 && api_has(ctx, "TargetUin")) {
        char target[24];
        target_uin(ctx, target);
        if (strcmp(target, user_uin) != 0)
            rc = 0;
    }
    if (rc == 0)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND_NOT_FOUND, "The access key `%s` does not exist.", key_id);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:uin/%s", ctx->who.owner_uin, user_uin);
    return 0;
}

static int update_access_key(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "AccessKeyId", "");
    char user[24];
    if (find_key(ctx, id, user) != 0)
        return -1;
    if (store_exec(ctx->store, "UPDATE access_keys SET status = ? WHERE secret_id = ? AND owner_uin = ?", "sss",
                   api_str(ctx, "Status", ""), id, ctx->who.owner_uin) != 1)
        return store_failed(ctx);
    return 0;
}

static int delete_access_key(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "AccessKeyId", "");
    char user[24];
    if (find_key(ctx, id, user) != 0)
        return -1;
    if (store_exec(ctx->store, "DELETE FROM access_keys WHERE secret_id = ? AND owner_uin = ?", "ss", id,
                   ctx->who.owner_uin) != 1)
        return store_failed(ctx);
    return 0;
}

/* ---- policies ---- */

static int create_policy(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "PolicyName", "");
    const char *text = api_str(ctx, "PolicyDocument", "");
    json_error_t je;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    char why[256];
    if (!doc)
        return api_fail(ctx, E_INVALID_PARAMETER_POLICY_DOCUMENT_ERROR, "PolicyDocument is not valid JSON: %s",
                        je.text);
    int bad = policy_validate(doc, why, sizeof why);
    json_decref(doc);
    if (bad)
        return api_fail(ctx, E_INVALID_PARAMETER_POLICY_DOCUMENT_ERROR, "PolicyDocument is invalid: %s.", why);
    /* Ids are random 9-digit numbers, not a shared sequence that would tell any account how many
     * policies the others have. Checked before the insert, so no constraint error is expected
     * (PostgreSQL would abort the transaction on one). */
    struct store_stmt *q = store_query(ctx->store, "SELECT 1 FROM policies WHERE owner_uin = ? AND name = ?", "ss",
                                       ctx->who.owner_uin, name);
    int taken = q ? store_step(q) : -1;
    store_done(q);
    if (taken < 0)
        return store_failed(ctx);
    if (taken == 1)
        return api_fail(ctx, E_FAILED_OPERATION_POLICY_NAME_IN_USE, "A policy named `%s` already exists.", name);
    int64_t id = 0;
    for (int attempt = 0; attempt < 16 && !id; attempt++) {
        int64_t candidate = (int64_t)random_digits(9);
        q = store_query(ctx->store, "SELECT 1 FROM policies WHERE policy_id = ?", "i", candidate);
        int used = q ? store_step(q) : -1;
        store_done(q);
        if (used < 0)
            return store_failed(ctx);
        if (used == 0)
            id = candidate;
    }
    if (!id)
        return api_fail(ctx, E_INTERNAL_ERROR_SYSTEM_ERROR, "No free policy id was found; retry.");
    int64_t now = time_now();
    int rc =
        store_exec(ctx->store,
                   "INSERT INTO policies (policy_id, owner_uin, name, document, description, type, created, updated)"
                   " VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                   "issssii", id, ctx->who.owner_uin, name, text, api_str(ctx, "Description", ""), now, now);
    if (rc != 1)
        return store_failed(ctx);
    json_object_set_new(ctx->out, "PolicyId", json_integer(id));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:policyid/%lld", ctx->who.owner_uin, (long long)id);
    return 0;
}

static int get_policy(struct api_ctx *ctx)
{
    int64_t id = api_int(ctx, "PolicyId", 0);
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT name, description, type, created, updated, document FROM policies"
                                       " WHERE policy_id = ? AND owner_uin = ?",
                                       "is", id, ctx->who.owner_uin);
    if (!q)
        return store_failed(ctx);
    int rc = store_step(q);
    if (rc == 1) {
        char a[32], u[32];
        cam_time(store_int(q, 3), a);
        cam_time(store_int(q, 4), u);
        json_t *r =
            json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:i,s:[]}", "PolicyName", store_text(q, 0), "Description",
                      store_text(q, 1), "Type", (json_int_t)store_int(q, 2), "AddTime", a, "UpdateTime", u,
                      "PolicyDocument", store_text(q, 5), "PresetAlias", "", "IsServiceLinkedRolePolicy", 0, "Tags");
        json_object_update(ctx->out, r);
        json_decref(r);
    }
    store_done(q);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_POLICY_ID_NOT_FOUND, "The policy %lld does not exist.",
                                  (long long)id)
                       : store_failed(ctx);
    return 0;
}

static void paging(struct api_ctx *ctx, int64_t *offset, int64_t *limit)
{
    int64_t page = api_int(ctx, "Page", 1), rp = api_int(ctx, "Rp", 20);
    *limit = rp;
    *offset = (page - 1) * rp;
}

static int list_policies(struct api_ctx *ctx)
{
    int64_t offset, limit;
    paging(ctx, &offset, &limit);
    const char *scope = api_str(ctx, "Scope", "All");
    const char *kw = api_str(ctx, "Keyword", "");
    json_t *list = json_array();
    int64_t total = 0;
    if (strcmp(scope, "QCS") != 0) { /* yun has no preset (QCS) policies yet: Local == All */
        char like[160];
        snprintf(like, sizeof like, "%%%s%%", kw);
        struct store_stmt *c =
            store_query(ctx->store, "SELECT count(*) FROM policies WHERE owner_uin = ? AND name LIKE ?", "ss",
                        ctx->who.owner_uin, like);
        total = (c && store_step(c) == 1) ? store_int(c, 0) : -1;
        store_done(c);
        struct store_stmt *q = store_query(
            ctx->store,
            "SELECT p.policy_id, p.name, p.created, p.type, p.description, p.updated,"
            " (SELECT count(*) FROM user_policies up WHERE up.policy_id = p.policy_id)"
            " + (SELECT count(*) FROM role_policies rp WHERE rp.policy_id = p.policy_id)"
            " FROM policies p WHERE p.owner_uin = ? AND p.name LIKE ? ORDER BY p.policy_id LIMIT ? OFFSET ?",
            "ssii", ctx->who.owner_uin, like, limit, offset);
        int rc = q ? 0 : -1;
        while (q && (rc = store_step(q)) == 1) {
            char a[32], u[32];
            cam_time(store_int(q, 2), a);
            cam_time(store_int(q, 5), u);
            json_int_t att = (json_int_t)store_int(q, 6);
            json_array_append_new(list,
                                  json_pack("{s:I,s:s,s:s,s:I,s:s,s:i,s:I,s:s,s:I,s:s,s:i}", "PolicyId",
                                            (json_int_t)store_int(q, 0), "PolicyName", store_text(q, 1), "AddTime", a,
                                            "Type", (json_int_t)store_int(q, 3), "Description", store_text(q, 4),
                                            "CreateMode", 1, "Attachments", att, "ServiceType", "", "AttachEntityCount",
                                            att, "UpdateTime", u, "IsAttached", att > 0));
        }
        store_done(q);
        if (rc < 0 || total < 0) {
            json_decref(list);
            return store_failed(ctx);
        }
    }
    json_object_set_new(ctx->out, "TotalNum", json_integer(total));
    json_object_set_new(ctx->out, "List", list);
    json_object_set_new(ctx->out, "ServiceTypeList", json_array());
    return 0;
}

static int policy_owned(struct api_ctx *ctx, int64_t id)
{
    struct store_stmt *q = store_query(ctx->store, "SELECT 1 FROM policies WHERE policy_id = ? AND owner_uin = ?", "is",
                                       id, ctx->who.owner_uin);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc;
}

static int delete_policy(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "PolicyId");
    size_t i;
    json_t *e;
    json_array_foreach (ids, i, e) {
        int64_t id = json_integer_value(e);
        int rc = policy_owned(ctx, id);
        if (rc != 1)
            return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_POLICY_ID_NOT_FOUND, "The policy %lld does not exist.",
                                      (long long)id)
                           : store_failed(ctx);
        if (store_exec(ctx->store, "DELETE FROM user_policies WHERE policy_id = ?", "i", id) < 0 ||
            store_exec(ctx->store, "DELETE FROM role_policies WHERE policy_id = ?", "i", id) < 0 ||
            store_exec(ctx->store, "DELETE FROM policies WHERE policy_id = ? AND owner_uin = ?", "is", id,
                       ctx->who.owner_uin) != 1)
            return store_failed(ctx);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:policyid/%lld", ctx->who.owner_uin,
             (long long)json_integer_value(json_array_get(ids, 0)));
    return 0;
}

/* Shared checks of Attach/Detach: the policy and the sub-user both belong to the caller. */
static int policy_and_user(struct api_ctx *ctx, const char *uin_param, int64_t *id, char uin[24])
{
    *id = api_int(ctx, "PolicyId", 0);
    snprintf(uin, 24, "%lld", (long long)api_int(ctx, uin_param, 0));
    int rc = policy_owned(ctx, *id);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND_POLICY_ID_NOT_FOUND, "The policy %lld does not exist.",
                                  (long long)*id)
                       : store_failed(ctx);
    if (!is_sub_user(ctx, uin))
        return api_fail(ctx, E_RESOURCE_NOT_FOUND_USER_NOT_EXIST, "The sub-user %s does not exist.", uin);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cam::uin/%s:uin/%s", ctx->who.owner_uin, uin);
    return 0;
}

static int attach_user_policy(struct api_ctx *ctx)
{
    int64_t id;
    char uin[24];
    if (policy_and_user(ctx, "AttachUin", &id, uin) != 0)
        return -1;
    if (store_exec(ctx->store,
                   "INSERT INTO user_policies (owner_uin, user_uin, policy_id, attached) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (user_uin, policy_id) DO NOTHING",
                   "ssii", ctx->who.owner_uin, uin, id, time_now()) < 0)
        return store_failed(ctx);
    return 0;
}

static int detach_user_policy(struct api_ctx *ctx)
{
    int64_t id;
    char uin[24];
    if (policy_and_user(ctx, "DetachUin", &id, uin) != 0)
        return -1;
    if (store_exec(ctx->store, "DELETE FROM user_policies WHERE owner_uin = ? AND user_uin = ? AND policy_id = ?",
                   "ssi", ctx->who.owner_uin, uin, id) < 0)
        return store_failed(ctx);
    return 0;
}

static int list_attached_user_policies(struct api_ctx *ctx)
{
    char uin[24];
    snprintf(uin, sizeof uin, "%lld", (long long)api_int(ctx, "TargetUin", 0));
    if (!is_sub_user(ctx, uin))
        return api_fail(ctx, E_RESOURCE_NOT_FOUND_USER_NOT_EXIST, "The sub-user %s does not exist.", uin);
    int64_t offset, limit;
    paging(ctx, &offset, &limit);
    struct store_stmt *c =
        store_query(ctx->store, "SELECT count(*) FROM user_policies WHERE owner_uin = ? AND user_uin = ?", "ss",
                    ctx->who.owner_uin, uin);
    int64_t total = (c && store_step(c) == 1) ? store_int(c, 0) : -1;
    store_done(c);
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT p.policy_id, p.name, up.attached, p.description FROM user_policies up"
                    " JOIN policies p ON p.policy_id = up.policy_id"
                    " WHERE up.owner_uin = ? AND up.user_uin = ? ORDER BY p.policy_id LIMIT ? OFFSET ?",
                    "ssii", ctx->who.owner_uin, uin, limit, offset);
    json_t *list = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char a[32];
        cam_time(store_int(q, 2), a);
        json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:i}", "PolicyId",
                                              (json_int_t)store_int(q, 0), "PolicyName", store_text(q, 1), "AddTime", a,
                                              "CreateMode", 1, "PolicyType", "User", "Remark", store_text(q, 3),
                                              "OperateOwnerUin", ctx->who.owner_uin, "OperateUin", ctx->who.owner_uin,
                                              "OperateUinType", 1));
    }
    store_done(q);
    if (rc < 0 || total < 0) {
        json_decref(list);
        return store_failed(ctx);
    }
    json_object_set_new(ctx->out, "TotalNum", json_integer(total));
    json_object_set_new(ctx->out, "List", list);
    return 0;
}

/* CAM names sub-users as uin/<uin>; requests name them by Name, so resolve it for the policy check. */
static void user_resource(struct api_ctx *ctx, char *tail, size_t len)
{
    char uin[24];
    const char *name = api_str(ctx, "Name", "");
    if (find_user(ctx, name, uin) == 1)
        snprintf(tail, len, "uin/%s", uin);
    else
        snprintf(tail, len, "uin/*"); /* a new or unknown user: only wildcard patterns match */
}

/* Key actions act on the key's owner, whatever TargetUin says (the handler then checks they agree). */
static void key_resource(struct api_ctx *ctx, char *tail, size_t len)
{
    char uin[24] = "";
    struct store_stmt *q =
        store_query(ctx->store, "SELECT user_uin FROM access_keys WHERE secret_id = ? AND owner_uin = ?", "ss",
                    api_str(ctx, "AccessKeyId", ""), ctx->who.owner_uin);
    if (q && store_step(q) == 1)
        snprintf(uin, sizeof uin, "%s", store_text(q, 0));
    store_done(q);
    if (!uin[0])
        target_uin(ctx, uin);
    snprintf(tail, len, "uin/%s", uin);
}

/* ---- the action table ---- */

static const char *const key_status[] = {"Active", "Inactive", NULL};
static const char *const policy_scope[] = {"All", "QCS", "Local", NULL};

static const struct param p_add_user[] = {P_STR("Name", P_REQUIRED, 1, 64), P_STR("Remark", 0, 0, 255),
                                          P_INT("ConsoleLogin", 0, 0, 1),   P_INT("UseApi", 0, 0, 1),
                                          P_STR("Password", 0, 0, 64),      P_INT("NeedResetPassword", 0, 0, 1),
                                          P_STR("PhoneNum", 0, 0, 32),      P_STR("CountryCode", 0, 0, 8),
                                          P_STR("Email", 0, 0, 128),        P_END};
static const struct param p_name[] = {P_STR("Name", P_REQUIRED, 1, 64), P_END};
static const struct param p_none[] = {P_END};
static const struct param p_update_user[] = {
    P_STR("Name", P_REQUIRED, 1, 64), P_STR("Remark", 0, 0, 255),          P_INT("ConsoleLogin", 0, 0, 1),
    P_STR("Password", 0, 0, 64),      P_INT("NeedResetPassword", 0, 0, 1), P_STR("PhoneNum", 0, 0, 32),
    P_STR("CountryCode", 0, 0, 8),    P_STR("Email", 0, 0, 128),           P_END};
static const struct param p_delete_user[] = {P_STR("Name", P_REQUIRED, 1, 64), P_INT("Force", 0, 0, 1), P_END};
static const struct param p_create_key[] = {P_INT("TargetUin", 0, 1, INT64_MAX), P_STR("Description", 0, 0, 255),
                                            P_END};
static const struct param p_list_keys[] = {P_INT("TargetUin", 0, 1, INT64_MAX), P_END};
static const struct param p_update_key[] = {P_STR("AccessKeyId", P_REQUIRED, 1, 64),
                                            P_ENUM("Status", P_REQUIRED, key_status),
                                            P_INT("TargetUin", 0, 1, INT64_MAX), P_END};
static const struct param p_delete_key[] = {P_STR("AccessKeyId", P_REQUIRED, 1, 64),
                                            P_INT("TargetUin", 0, 1, INT64_MAX), P_END};
static const struct param p_tag[] = {P_STR("Key", P_REQUIRED, 1, 128), P_STR("Value", P_REQUIRED, 0, 256), P_END};
static const struct param p_create_policy[] = {P_STR("PolicyName", P_REQUIRED, 1, 128),
                                               P_STR("PolicyDocument", P_REQUIRED, 1, MAX_POLICY_DOCUMENT),
                                               P_STR("Description", 0, 0, 300), P_OBJS("Tags", 0, 50, p_tag), P_END};
static const struct param p_policy_id[] = {P_INT("PolicyId", P_REQUIRED, 1, INT64_MAX), P_END};
static const struct param p_list_policies[] = {P_INT("Rp", 0, 1, 200), P_INT("Page", 0, 1, 100000),
                                               P_ENUM("Scope", 0, policy_scope), P_STR("Keyword", 0, 0, 128), P_END};
static const struct param p_delete_policy[] = {P_INTS("PolicyId", P_REQUIRED, 100), P_END};
static const struct param p_attach[] = {P_INT("PolicyId", P_REQUIRED, 1, INT64_MAX),
                                        P_INT("AttachUin", P_REQUIRED, 1, INT64_MAX), P_END};
static const struct param p_detach[] = {P_INT("PolicyId", P_REQUIRED, 1, INT64_MAX),
                                        P_INT("DetachUin", P_REQUIRED, 1, INT64_MAX), P_END};
static const struct param p_list_attached[] = {P_INT("TargetUin", P_REQUIRED, 1, INT64_MAX),
                                               P_INT("Page", 0, 1, 100000), P_INT("Rp", 0, 1, 200), P_END};

const struct action cam_actions[] = {
    {"cam", CAM, "AddUser", add_user, p_add_user, A_MUTATES, NULL, user_resource},
    {"cam", CAM, "GetUser", get_user, p_name, 0, NULL, user_resource},
    {"cam", CAM, "ListUsers", list_users, p_none, 0, NULL},
    {"cam", CAM, "UpdateUser", update_user, p_update_user, A_MUTATES, NULL, user_resource},
    {"cam", CAM, "DeleteUser", delete_user, p_delete_user, A_MUTATES, NULL, user_resource},
    {"cam", CAM, "CreateAccessKey", create_access_key, p_create_key, A_MUTATES, "uin/${TargetUin|@caller}"},
    {"cam", CAM, "ListAccessKeys", list_access_keys, p_list_keys, 0, "uin/${TargetUin|@caller}"},
    {"cam", CAM, "UpdateAccessKey", update_access_key, p_update_key, A_MUTATES, NULL, key_resource},
    {"cam", CAM, "DeleteAccessKey", delete_access_key, p_delete_key, A_MUTATES, NULL, key_resource},
    {"cam", CAM, "CreatePolicy", create_policy, p_create_policy, A_MUTATES, "policy/${PolicyName}"},
    {"cam", CAM, "GetPolicy", get_policy, p_policy_id, 0, "policyid/${PolicyId}"},
    {"cam", CAM, "ListPolicies", list_policies, p_list_policies, 0, NULL},
    {"cam", CAM, "DeletePolicy", delete_policy, p_delete_policy, A_MUTATES, "policyid/${PolicyId}"},
    {"cam", CAM, "AttachUserPolicy", attach_user_policy, p_attach, A_MUTATES, "uin/${AttachUin}", NULL,
     TOUCHES("cam:policyid/${PolicyId}")},
    {"cam", CAM, "DetachUserPolicy", detach_user_policy, p_detach, A_MUTATES, "uin/${DetachUin}", NULL,
     TOUCHES("cam:policyid/${PolicyId}")},
    {"cam", CAM, "ListAttachedUserPolicies", list_attached_user_policies, p_list_attached, 0, "uin/${TargetUin}"},
};
const int cam_action_count = sizeof cam_actions / sizeof cam_actions[0];
