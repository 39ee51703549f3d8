/*
 * dispatch: the request path shared by every action (see api.h for the order of steps).
 * It owns the envelope: whatever happens, the client gets HTTP 200 and {"Response":{...}}
 * with a RequestId, and the operator gets one JSON log line per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "api/codes.h"

#define SIGNATURE_WINDOW 300
#define STORE_ATTEMPTS   4 /* a mutating action whose transaction the store lost (STORE_BUSY) runs up to this often */

static const struct identity_hooks *identity;

void api_set_identity(const struct identity_hooks *hooks) { identity = hooks; }

int api_authorize_in_region(struct api_ctx *ctx, const char *region)
{
    char act[160], res[256];
    snprintf(act, sizeof act, "%s:%s", ctx->action->service, ctx->action->name);
    snprintf(res, sizeof res, "qcs::%s:%s:uin/%s:*", ctx->action->service, region, ctx->who.owner_uin);
    struct authz_request ar = {.who = &ctx->who,
                               .action = act,
                               .resource = res,
                               .source_ip = ctx->source_ip,
                               .now = time_now(),
                               .region = region};
    int allowed = identity ? identity->authorize(ctx->store, &ar) : -1;
    if (allowed < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "Policy evaluation failed.");
    snprintf(ctx->reason, sizeof ctx->reason, "%s", ar.why);
    if (allowed == 0) {
        api_fail(ctx, E_UNAUTHORIZED_OPERATION, "You are not authorized to perform operation (%s) in region (%s)%s%s.",
                 act, region, ar.why[0] ? ": " : "", ar.why);
        return 0;
    }
    return 1;
}

int api_fail(struct api_ctx *ctx, const char *code, const char *fmt, ...)
{
    snprintf(ctx->code, sizeof ctx->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
    va_end(ap);
    return -1;
}

const char *api_str(struct api_ctx *ctx, const char *name, const char *dflt)
{
    json_t *v = json_object_get(ctx->params, name);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

int64_t api_int(struct api_ctx *ctx, const char *name, int64_t dflt)
{
    json_t *v = json_object_get(ctx->params, name);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int api_has(struct api_ctx *ctx, const char *name) { return json_object_get(ctx->params, name) != NULL; }

char *api_error_envelope(const char *request_id, const char *code, const char *message)
{
    json_t *r = json_pack("{s:{s:{s:s,s:s},s:s}}", "Response", "Error", "Code", code, "Message", message, "RequestId",
                          request_id);
    char *s = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return s;
}

/* Common parameters of the v1 form that are not action parameters. */
static int v1_common(const char *k)
{
    static const char *common[] = {"Action",    "Version",         "Region",        "Timestamp", "Nonce",    "SecretId",
                                   "Signature", "SignatureMethod", "RequestClient", "Token",     "Language", NULL};
    for (int i = 0; common[i]; i++)
        if (strcmp(common[i], k) == 0)
            return 1;
    return 0;
}

struct outcome {
    const char *code;
    char message[512];
};

static void set_err(struct outcome *o, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(struct outcome *o, const char *code, const char *fmt, ...)
{
    o->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->message, sizeof o->message, fmt, ap);
    va_end(ap);
}

static int check_timestamp(const char *ts_s, struct outcome *o)
{
    char *end;
    if (!ts_s || !*ts_s) {
        set_err(o, E_MISSING_PARAMETER, "The request is missing a required parameter `Timestamp`.");
        return -1;
    }
    long long ts = strtoll(ts_s, &end, 10);
    long long now = time_now();
    if (*end) {
        set_err(o, E_INVALID_PARAMETER, "The Timestamp `%s` is not a number.", ts_s);
        return -1;
    }
    if (ts < now - SIGNATURE_WINDOW || ts > now + SIGNATURE_WINDOW) {
        set_err(o, E_AUTH_FAILURE_SIGNATURE_EXPIRE,
                "Signature expired. Timestamp %lld is more than %d seconds away from server time %lld.", ts,
                SIGNATURE_WINDOW, now);
        return -1;
    }
    return 0;
}

/* 0 when the key is known and active (its secret copied out) and, for a temporary key, its token
 * is the session's and has not expired; else -1 with the outcome set. */
static int lookup_key(struct store *s, const char *secret_id, const char *token, struct api_ctx *ctx, char *secret,
                      size_t len, struct outcome *o)
{
    int rc = identity ? identity->find_key(s, secret_id, token, &ctx->who, secret, len) : STORE_ERROR;
    if (rc == STORE_NOT_FOUND)
        set_err(o, E_AUTH_FAILURE_SECRET_ID_NOT_FOUND, "The SecretId is not found or is disabled.");
    else if (rc == KEY_TOKEN_MISSING)
        set_err(o, E_AUTH_FAILURE_TOKEN_FAILURE, "Temporary credentials need their token (X-TC-Token).");
    else if (rc == KEY_TOKEN_WRONG)
        set_err(o, E_AUTH_FAILURE_TOKEN_FAILURE, "The token does not belong to these temporary credentials.");
    else if (rc == KEY_TOKEN_EXPIRED)
        set_err(o, E_AUTH_FAILURE_TOKEN_FAILURE, "The temporary credentials have expired.");
    else if (rc < 0)
        set_err(o, E_INTERNAL_ERROR, "The identity store is unavailable.");
    return rc == STORE_FOUND ? 0 : -1;
}

char *api_handle(const struct config *cfg, const struct api_http *req)
{
    int64_t t0 = time_now_us();
    char rid[37];
    random_uuid(rid);
    struct api_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.request_id = rid;
    ctx.config = cfg;
    ctx.source_ip = req->source_ip ? req->source_ip : "";
    ctx.region = "";
    struct outcome o = {0};
    json_t *params = NULL;
    struct kv *form = NULL;
    int nform = 0, coerce = 0;
    const char *action_name = NULL, *version = NULL;
    char secret[128] = "";
    struct store *s = store_thread();
    json_t *resources = NULL;
    int audited = 0;

    if (!s) {
        set_err(&o, E_INTERNAL_ERROR, "The state store is unavailable.");
        goto answer;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
        set_err(&o, E_UNSUPPORTED_PROTOCOL, "HTTP method %s is not supported; use GET or POST.", req->method);
        goto answer;
    }
    if (req->body_too_large) {
        set_err(&o, E_REQUEST_SIZE_LIMIT_EXCEEDED, "The request body exceeds the limit of %zu bytes.",
                cfg->max_body_bytes);
        goto answer;
    }
    const char *authz = req->header(req->hctx, "authorization");
    const char *ctype = req->header(req->hctx, "content-type");
    if (!ctype)
        ctype = "";
    int form_body =
        strcmp(req->method, "POST") == 0 && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0;

    if (req->session) {
        /* the console: the session's identity, checked by the console before it calls */
        ctx.who = *req->session;
        action_name = req->action;
        version = req->version;
        ctx.region = req->region ? req->region : "";
        ctx.language = req->language;
        json_error_t je;
        params = req->body_len ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je) : json_object();
        if (!params) {
            set_err(&o, E_INVALID_PARAMETER, "The request parameters are not valid JSON: %s.", je.text);
            goto answer;
        }
        if (!json_is_object(params)) {
            set_err(&o, E_INVALID_PARAMETER, "The request parameters must be a JSON object.");
            goto answer;
        }
    } else if (authz && *authz) {
        /* TC3-HMAC-SHA256 */
        struct tc3_auth a;
        if (tc3_parse_authorization(authz, &a) != 0) {
            set_err(&o, E_AUTH_FAILURE_INVALID_AUTHORIZATION,
                    "The Authorization header is not a valid TC3-HMAC-SHA256 header.");
            goto answer;
        }
        action_name = req->header(req->hctx, "x-tc-action");
        version = req->header(req->hctx, "x-tc-version");
        const char *region = req->header(req->hctx, "x-tc-region");
        ctx.region = region ? region : "";
        ctx.language = req->header(req->hctx, "x-tc-language");
        if (lookup_key(s, a.secret_id, req->header(req->hctx, "x-tc-token"), &ctx, secret, sizeof secret, &o) != 0)
            goto answer;
        if (check_timestamp(req->header(req->hctx, "x-tc-timestamp"), &o) != 0)
            goto answer;
        if (tc3_verify(&a, secret, req->method, req->raw_query, req->header, req->hctx, req->body, req->body_len) !=
            0) {
            set_err(&o, E_AUTH_FAILURE_SIGNATURE_FAILURE,
                    "The provided credentials could not be validated. Please check your signature is correct.");
            goto answer;
        }
        int bad = 0;
        if (strcmp(req->method, "GET") == 0) {
            params = params_from_query(req->raw_query, strlen(req->raw_query), &bad);
            coerce = 1;
        } else if (form_body) {
            params = params_from_query(req->body, req->body_len, &bad);
            coerce = 1;
        } else {
            json_error_t je;
            params = req->body_len ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je) : json_object();
            if (!params) {
                set_err(&o, E_INVALID_PARAMETER, "The request body is not valid JSON: %s.", je.text);
                goto answer;
            }
        }
        if (bad) {
            set_err(&o, E_INVALID_PARAMETER, "The request parameters are malformed.");
            goto answer;
        }
    } else {
        /* legacy v1: everything in the query (GET) or the form body (POST) */
        const char *src = strcmp(req->method, "GET") == 0 ? req->raw_query : (form_body ? req->body : "");
        size_t srclen = strcmp(req->method, "GET") == 0 ? strlen(req->raw_query) : (form_body ? req->body_len : 0);
        if (kv_parse(src, srclen, &form, &nform) != 0) {
            set_err(&o, E_INVALID_PARAMETER, "The request parameters are malformed.");
            goto answer;
        }
        const char *sid = kv_get(form, nform, "SecretId");
        if (!sid || !kv_get(form, nform, "Signature")) {
            set_err(&o, E_AUTH_FAILURE_INVALID_AUTHORIZATION,
                    "The request carries no signature (Authorization header or v1 Signature).");
            goto answer;
        }
        action_name = kv_get(form, nform, "Action");
        version = kv_get(form, nform, "Version");
        ctx.region = kv_get(form, nform, "Region") ? kv_get(form, nform, "Region") : "";
        ctx.language = kv_get(form, nform, "Language");
        if (lookup_key(s, sid, kv_get(form, nform, "Token"), &ctx, secret, sizeof secret, &o) != 0)
            goto answer;
        if (check_timestamp(kv_get(form, nform, "Timestamp"), &o) != 0)
            goto answer;
        const char *host = req->header(req->hctx, "host");
        if (v1_verify(req->method, host ? host : "", form, nform, secret) != 0) {
            set_err(&o, E_AUTH_FAILURE_SIGNATURE_FAILURE,
                    "The provided credentials could not be validated. Please check your signature is correct.");
            goto answer;
        }
        coerce = 1;
        int bad = 0;
        params = params_from_kv(form, nform, v1_common, &bad);
        if (bad) {
            set_err(&o, E_INVALID_PARAMETER, "The request parameters are malformed.");
            goto answer;
        }
    }

    if (!action_name || !*action_name) {
        set_err(&o, E_MISSING_PARAMETER, "The request is missing a required parameter `Action`.");
        goto answer;
    }
    if (!version || !*version) {
        set_err(&o, E_MISSING_PARAMETER, "The request is missing a required parameter `Version`.");
        goto answer;
    }
    ctx.action = api_find(version, action_name);
    if (ctx.action && req->session && req->service && strcmp(req->service, ctx.action->service) != 0)
        ctx.action = NULL; /* the console names the service too: it must be the action's */
    if (!ctx.action) {
        set_err(&o, E_INVALID_ACTION, "The action `%s` (version %s) does not exist.", action_name, version);
        goto answer;
    }
    if (!rate_allow(RATE_API, ctx.who.owner_uin)) {
        set_err(&o, E_REQUEST_LIMIT_EXCEEDED, "Too many requests for this account; retry later.");
        goto answer;
    }
    if (ctx.action->flags & A_REGIONAL) {
        if (!*ctx.region) {
            set_err(&o, E_MISSING_PARAMETER, "The request is missing a required parameter `Region`.");
            goto answer;
        }
        if (!config_find_region(cfg, ctx.region)) {
            set_err(&o, E_UNSUPPORTED_REGION, "The region `%s` is not supported.", ctx.region);
            goto answer;
        }
    }
    char code[96], msg[512];
    if (schema_validate(ctx.action->params, params, coerce, code, sizeof code, msg, sizeof msg) != 0) {
        snprintf(ctx.code, sizeof ctx.code, "%s", code);
        set_err(&o, ctx.code, "%s", msg);
        goto answer;
    }
    ctx.params = params;
    ctx.store = s;
    resources = api_resources(&ctx);
    api_resources_summary(resources, ctx.resource, sizeof ctx.resource);
    {
        /* root too: a service control policy bounds every identity of a member account */
        char act[160];
        snprintf(act, sizeof act, "%s:%s", ctx.action->service, ctx.action->name);
        size_t nres = json_array_size(resources);
        const char *names[nres ? nres : 1];
        for (size_t i = 0; i < nres; i++)
            names[i] = json_string_value(json_array_get(resources, i));
        struct authz_request ar = {.who = &ctx.who,
                                   .action = act,
                                   .resource = nres ? names[0] : "*",
                                   .resources = names,
                                   .nresources = (int)nres,
                                   .source_ip = ctx.source_ip,
                                   .now = time_now(),
                                   .region = ctx.region};
        int allowed = identity ? identity->authorize(s, &ar) : -1;
        snprintf(ctx.reason, sizeof ctx.reason, "%s", ar.why);
        if (allowed != 1) {
            if (allowed < 0)
                set_err(&o, E_INTERNAL_ERROR, "Policy evaluation failed.");
            else
                set_err(&o, E_UNAUTHORIZED_OPERATION,
                        "You are not authorized to perform operation (%s) on resource (%s)%s%s.", act,
                        ar.denied >= 0 && (size_t)ar.denied < nres ? names[ar.denied] : ctx.resource,
                        ar.why[0] ? ": " : "", ar.why);
            goto answer;
        }
    }

    ctx.out = json_object();
    int mutates = ctx.action->flags & A_MUTATES;
    int rc;
    char resource0[sizeof ctx.resource];
    memcpy(resource0, ctx.resource, sizeof resource0);
    /* A transaction the store lost to another (STORE_BUSY: a busy SQLite file, a PostgreSQL
     * serialization failure, deadlock or lock timeout) is run again from the start, a few times:
     * nothing of it was committed, and handlers act outside the store only in after_commit. */
    for (int attempt = 1;; attempt++) {
        if (mutates && store_begin(s) != STORE_OK) {
            if (store_busy(s) && attempt < STORE_ATTEMPTS) {
                usleep(attempt * 20000);
                continue;
            }
            set_err(&o, E_INTERNAL_ERROR, "The state store is busy; retry later.");
            goto answer;
        }
        rc = api_region_check(&ctx, resources);
        if (rc == 0)
            rc = ctx.action->handler(&ctx);
        if (!mutates || rc == 0 || !store_busy(s) || attempt >= STORE_ATTEMPTS)
            break;
        store_rollback(s);
        log_warn("api: %s lost its transaction to another (%s); running it again", action_name, store_errmsg(s));
        json_decref(ctx.out);
        ctx.out = json_object();
        ctx.code[0] = ctx.message[0] = 0;
        ctx.after_commit = NULL;
        ctx.discard = 0;
        memcpy(ctx.resource, resource0, sizeof resource0);
        usleep(attempt * 20000);
    }
    if (rc != 0 && !ctx.code[0])
        api_fail(&ctx, E_INTERNAL_ERROR, "The action failed unexpectedly.");
    if (mutates && rc == 0 && ctx.discard) {
        store_rollback(s);
        audit_record(s, &ctx, "DryRun");
    } else if (mutates) {
        if (rc == 0) {
            audit_record(s, &ctx, "Success");
            if ((identity && identity->note_change && identity->note_change(s) != 0) || store_commit(s) != STORE_OK) {
                store_rollback(s);
                rc = -1;
                api_fail(&ctx, E_INTERNAL_ERROR, "The change could not be committed.");
            } else {
                if (identity && identity->changed)
                    identity->changed();
                if (ctx.after_commit)
                    ctx.after_commit();
            }
        } else {
            store_rollback(s);
        }
        if (rc != 0)
            audit_record(s, &ctx, ctx.code);
        audited = 1;
    }
    if (rc != 0)
        set_err(&o, ctx.code, "%s", ctx.message);

answer:
    /* Every refusal is audited: of a state change, of any authorisation, of any authentication. */
    if (o.code && !audited && s) {
        if (ctx.action && ((ctx.action->flags & A_MUTATES) || !strcmp(o.code, E_UNAUTHORIZED_OPERATION)))
            audit_record(s, &ctx, o.code);
        else if (!strncmp(o.code, E_AUTH_FAILURE, 11))
            audit_write(s, &(struct audit_entry){.owner_uin = ctx.who.owner_uin,
                                                 .user_uin = ctx.who.user_uin,
                                                 .source_ip = ctx.source_ip,
                                                 .service = ctx.action ? ctx.action->service : "",
                                                 .action = action_name ? action_name : "",
                                                 .resource = "*",
                                                 .result = o.code,
                                                 .request_id = rid,
                                                 .who = &ctx.who});
    }
    char *body;
    if (o.code) {
        body = api_error_envelope(rid, o.code, o.message);
    } else {
        json_object_set_new(ctx.out, "RequestId", json_string(rid));
        json_t *env = json_pack("{s:O}", "Response", ctx.out);
        body = json_dumps(env, JSON_COMPACT);
        json_decref(env);
    }
    struct request_line line = {.service = "api",
                                .rid = rid,
                                .account = ctx.who.owner_uin,
                                .user = ctx.who.user_uin,
                                .ip = ctx.source_ip,
                                .action = action_name ? action_name : "",
                                .version = version ? version : "",
                                .code = o.code ? o.code : "",
                                .ms = (double)(time_now_us() - t0) / 1000.0};
    log_request(&line);
    json_decref(ctx.out);
    json_decref(resources);
    json_decref(params);
    kv_free(form, nform);
    memset(secret, 0, sizeof secret);
    return body;
}
