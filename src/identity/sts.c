/*
 * sts: temporary credentials (service sts, 2018-08-13). AssumeRole lets a caller its trust policy
 * names take a role of another account (or its own) for 900 s to 12 h; the answer is a key
 * (TmpSecretId/TmpSecretKey) and a token, which the SDKs send as X-TC-Token (v1: Token).
 *
 * A session is a row of role_sessions: the secret sealed at rest like an access key's (sealed.c,
 * bound to its SecretId), only a SHA-256 of the token, the expiry on the business clock, and the
 * optional Policy that narrows what the role's own policies allow. The request path looks
 * sessions up beside access keys (identity_find_key): a session of a role that no longer exists
 * is unknown, a missing, wrong or expired token is AuthFailure.TokenFailure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "identity/codes.h"
#include "identity/identity.h"
#include "identity/sealed.h"

#define STS                "2018-08-13"
#define DURATION_DEFAULT   7200
#define DURATION_MIN       900
#define DURATION_MAX       43200
#define MAX_SESSION_POLICY 6144
#define TOKEN_LEN          96

static int store_failed(struct api_ctx *ctx)
{
    return api_fail(ctx, E_INTERNAL_ERROR_SYSTEM_ERROR, "The state store failed: %s", store_errmsg(ctx->store));
}

/* qcs::cam::uin/<owner>:roleName/<name> or qcs::cam::uin/<owner>:role/<id>; 0 or -1. */
static int parse_role_arn(const char *arn, char owner[24], int *by_name, char value[132])
{
    static const char prefix[] = "qcs::cam::uin/";
    if (strncmp(arn, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *p = arn + sizeof prefix - 1, *colon = strchr(p, ':');
    if (!colon || colon == p || colon - p > 20)
        return -1;
    for (const char *d = p; d < colon; d++)
        if (*d < '0' || *d > '9')
            return -1;
    snprintf(owner, 24, "%.*s", (int)(colon - p), p);
    const char *tail = colon + 1;
    if (!strncmp(tail, "roleName/", 9))
        *by_name = 1, tail += 9;
    else if (!strncmp(tail, "role/", 5))
        *by_name = 0, tail += 5;
    else
        return -1;
    if (!*tail || strlen(tail) >= 132 || strchr(tail, '/'))
        return -1;
    snprintf(value, 132, "%s", tail);
    return 0;
}

static int valid_session_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 2 || len > 128)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              strchr("_+=,.@-", *n)))
            return 0;
    return 1;
}

/* The narrowing Policy: JSON, or (as Tencent documents it) URL-encoded JSON. NULL with the error set. */
static json_t *session_policy(struct api_ctx *ctx, const char *text)
{
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!doc) {
        char *decoded = url_decode(text, strlen(text), NULL);
        doc = decoded ? json_loads(decoded, JSON_REJECT_DUPLICATES, NULL) : NULL;
        free(decoded);
    }
    char why[256] = "not JSON (plain or URL-encoded)";
    if (!doc || policy_validate(doc, why, sizeof why) != 0) {
        json_decref(doc);
        api_fail(ctx, E_INVALID_PARAMETER_STRATEGY_FORMAT_ERROR, "Policy: %s.", why);
        return NULL;
    }
    return doc;
}

static int assume_role(struct api_ctx *ctx)
{
    if (ctx->who.is_role)
        return api_fail(ctx, E_UNAUTHORIZED_OPERATION, "Temporary credentials cannot assume another role.");
    const char *arn = api_str(ctx, "RoleArn", ""), *session = api_str(ctx, "RoleSessionName", "");
    char owner[24], value[132];
    int by_name;
    if (parse_role_arn(arn, owner, &by_name, value) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_RESOUCE_ERROR,
                        "RoleArn `%s` is not qcs::cam::uin/<account>:roleName/<name> or"
                        " qcs::cam::uin/<account>:role/<id>.",
                        arn);
    if (!valid_session_name(session))
        return api_fail(ctx, E_INVALID_PARAMETER_PARAM_ERROR,
                        "RoleSessionName must be 2 to 128 letters, digits or _+=,.@-.");
    struct store_stmt *q = store_query(
        ctx->store,
        by_name ? "SELECT role_id, name, document, session_duration FROM roles WHERE owner_uin = ? AND name = ?"
                : "SELECT role_id, name, document, session_duration FROM roles WHERE owner_uin = ? AND role_id = ?",
        "ss", owner, value);
    if (!q)
        return store_failed(ctx);
    int rc = store_step(q);
    char role_id[24] = "", role_name[132] = "";
    int64_t max_duration = 0;
    json_t *trust = NULL;
    if (rc == 1) {
        snprintf(role_id, sizeof role_id, "%s", store_text(q, 0));
        snprintf(role_name, sizeof role_name, "%s", store_text(q, 1));
        trust = json_loads(store_text(q, 2), 0, NULL);
        max_duration = store_int(q, 3);
    }
    store_done(q);
    if (rc < 0)
        return store_failed(ctx);
    /* a role that does not trust the caller is as unknown to it as one that does not exist */
    int trusted = trust && trust_allows(trust, ctx->who.owner_uin, ctx->who.user_uin);
    json_decref(trust);
    if (!trusted)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND_ROLE_NOT_FOUND,
                        "The role `%s` does not exist or does not trust this account.", arn);
    int64_t duration = api_int(ctx, "DurationSeconds", DURATION_DEFAULT);
    if (api_has(ctx, "DurationSeconds") && duration > max_duration)
        return api_fail(ctx, E_INVALID_PARAMETER_OVER_TIME_ERROR,
                        "DurationSeconds %lld exceeds the role's SessionDuration of %lld seconds.", (long long)duration,
                        (long long)max_duration);
    if (duration > max_duration)
        duration = max_duration;
    char *policy_text = NULL;
    if (api_has(ctx, "Policy")) {
        json_t *doc = session_policy(ctx, api_str(ctx, "Policy", ""));
        if (!doc)
            return -1;
        policy_text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    }

    char secret_id[64], tail[33], secret_key[41], token[TOKEN_LEN + 1], token_hash[65];
    random_alnum(tail, 32);
    snprintf(secret_id, sizeof secret_id, "AKID%s", tail);
    random_alnum(secret_key, 40);
    random_alnum(token, TOKEN_LEN);
    sha256_hex(token, TOKEN_LEN, token_hash);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int64_t now = clock_now(), expires = now + duration;
    if (sealed_seal(secret_id, secret_key, strlen(secret_key), &sealed, &sealed_len) != 0) {
        free(policy_text);
        return api_fail(ctx, E_INTERNAL_ERROR_SYSTEM_ERROR, "The temporary secret could not be sealed.");
    }
    /* sessions past their expiry are of no use to anyone: they go as new ones come */
    rc = store_exec(ctx->store, "DELETE FROM role_sessions WHERE expires < ?", "i", now);
    if (rc >= 0)
        rc = store_exec(ctx->store,
                        "INSERT INTO role_sessions (secret_id, role_id, owner_uin, session_name, assumed_by_uin,"
                        " assumed_by_sub_uin, secret_enc, token_hash, policy, created, expires)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "ssssssbssii", secret_id, role_id, owner, session, ctx->who.owner_uin, ctx->who.user_uin,
                        sealed, sealed_len, token_hash, policy_text ? policy_text : "", now, expires);
    free(sealed);
    free(policy_text);
    if (rc != 1)
        return store_failed(ctx);

    char expiration[32], role_resource[256];
    time_iso8601(expires, expiration);
    json_object_set_new(
        ctx->out, "Credentials",
        json_pack("{s:s,s:s,s:s}", "Token", token, "TmpSecretId", secret_id, "TmpSecretKey", secret_key));
    json_object_set_new(ctx->out, "ExpiredTime", json_integer(expires));
    json_object_set_new(ctx->out, "Expiration", json_string(expiration));
    snprintf(role_resource, sizeof role_resource, "qcs::cam::uin/%s:roleName/%s", owner, role_name);
    snprintf(ctx->resource, sizeof ctx->resource, "%s", role_resource);
    memset(secret_key, 0, sizeof secret_key);
    memset(token, 0, sizeof token);

    /* The role's account sees in its own records that, when and by whom its role was assumed. */
    struct principal session_who = {.is_role = 1};
    snprintf(session_who.owner_uin, sizeof session_who.owner_uin, "%s", owner);
    snprintf(session_who.user_uin, sizeof session_who.user_uin, "%s", role_id);
    snprintf(session_who.role_name, sizeof session_who.role_name, "%s", role_name);
    snprintf(session_who.session_name, sizeof session_who.session_name, "%s", session);
    snprintf(session_who.assumed_by_uin, sizeof session_who.assumed_by_uin, "%s", ctx->who.owner_uin);
    snprintf(session_who.assumed_by_sub_uin, sizeof session_who.assumed_by_sub_uin, "%s", ctx->who.user_uin);
    if (strcmp(owner, ctx->who.owner_uin) != 0 &&
        audit_write(ctx->store, &(struct audit_entry){.owner_uin = owner,
                                                      .user_uin = role_id,
                                                      .source_ip = ctx->source_ip,
                                                      .service = "sts",
                                                      .action = "AssumeRole",
                                                      .resource = role_resource,
                                                      .result = "Success",
                                                      .request_id = ctx->request_id,
                                                      .who = &session_who}) != 0)
        return store_failed(ctx);
    return 0;
}

/* CAM asks whether the caller may call sts:AssumeRole on the role: named in its own account. */
static void assume_role_resource(struct api_ctx *ctx, char *tail, size_t len)
{
    char owner[24], value[132];
    int by_name;
    const char *arn = api_str(ctx, "RoleArn", "");
    if (parse_role_arn(arn, owner, &by_name, value) != 0) {
        snprintf(tail, len, "roleName/*"); /* the handler refuses it */
        return;
    }
    snprintf(tail, len, "qcs::cam::uin/%s:roleName/*", owner); /* an id of no role: only wildcards match */
    if (by_name) {
        snprintf(tail, len, "qcs::cam::uin/%s:roleName/%s", owner, value);
        return;
    }
    struct store_stmt *q =
        store_query(ctx->store, "SELECT name FROM roles WHERE owner_uin = ? AND role_id = ?", "ss", owner, value);
    if (q && store_step(q) == 1)
        snprintf(tail, len, "qcs::cam::uin/%s:roleName/%s", owner, store_text(q, 0));
    store_done(q);
}

int sts_find_session(struct store *s, const char *secret_id, struct principal *who, char *secret, size_t len)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT rs.owner_uin, rs.role_id, r.name, rs.session_name, rs.assumed_by_uin,"
                    " rs.assumed_by_sub_uin, rs.secret_enc, rs.token_hash, rs.expires, a.app_id"
                    " FROM role_sessions rs JOIN roles r ON r.role_id = rs.role_id AND r.owner_uin = rs.owner_uin"
                    " JOIN accounts a ON a.uin = rs.owner_uin WHERE rs.secret_id = ?",
                    "s", secret_id);
    if (!q)
        return STORE_ERROR;
    int rc = store_step(q);
    if (rc != 1) {
        store_done(q);
        return rc == 0 ? STORE_NOT_FOUND : STORE_ERROR;
    }
    size_t blen, plen;
    const uint8_t *blob = store_blob(q, 6, &blen);
    uint8_t *plain = NULL;
    int result = STORE_ERROR;
    if (sealed_open(secret_id, blob, blen, &plain, &plen) == 0 && plen < len) {
        memcpy(secret, plain, plen + 1);
        memset(who, 0, sizeof *who);
        snprintf(who->secret_id, sizeof who->secret_id, "%s", secret_id);
        snprintf(who->owner_uin, sizeof who->owner_uin, "%s", store_text(q, 0));
        snprintf(who->user_uin, sizeof who->user_uin, "%s", store_text(q, 1));
        snprintf(who->role_name, sizeof who->role_name, "%s", store_text(q, 2));
        snprintf(who->session_name, sizeof who->session_name, "%s", store_text(q, 3));
        snprintf(who->assumed_by_uin, sizeof who->assumed_by_uin, "%s", store_text(q, 4));
        snprintf(who->assumed_by_sub_uin, sizeof who->assumed_by_sub_uin, "%s", store_text(q, 5));
        snprintf(who->token_hash, sizeof who->token_hash, "%s", store_text(q, 7));
        who->expires = store_int(q, 8);
        snprintf(who->app_id, sizeof who->app_id, "%s", store_text(q, 9));
        who->is_role = 1;
        result = STORE_FOUND;
    } else {
        log_error("temporary key %s cannot be opened with this data directory's master key", secret_id);
    }
    if (plain) {
        memset(plain, 0, plen);
        free(plain);
    }
    store_done(q);
    return result;
}

int sts_session_policy(struct store *s, const char *secret_id, json_t **policy)
{
    *policy = NULL;
    struct store_stmt *q = store_query(s, "SELECT policy FROM role_sessions WHERE secret_id = ?", "s", secret_id);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1 && *store_text(q, 0))
        *policy = json_loads(store_text(q, 0), 0, NULL);
    int bad = rc != 1 || (*store_text(q, 0) && !*policy); /* a session gone meanwhile allows nothing */
    store_done(q);
    return bad ? -1 : 0;
}

int sts_revoke_assumed_by(struct store *s, const char *account, const char *user)
{
    return store_exec(s, "DELETE FROM role_sessions WHERE assumed_by_uin = ? AND assumed_by_sub_uin = ?", "ss", account,
                      user) < 0
               ? -1
               : 0;
}

static const struct param p_assume_role[] = {
    P_STR("RoleArn", P_REQUIRED, 1, 512), P_STR("RoleSessionName", P_REQUIRED, 1, 128),
    P_INT("DurationSeconds", 0, DURATION_MIN, DURATION_MAX), P_STR("Policy", 0, 1, MAX_SESSION_POLICY * 3), P_END};

const struct action sts_actions[] = {
    {"sts", STS, "AssumeRole", assume_role, p_assume_role, A_MUTATES, NULL, assume_role_resource},
};
const int sts_action_count = sizeof sts_actions / sizeof sts_actions[0];
