/*
 * login: signing in and out. A password (argon2id, identity's) opens a session; a user with a
 * bound authenticator gets a session that can do nothing but present its TOTP code. Binding an
 * authenticator gives an otpauth:// URI (the front end draws its QR code) and takes effect when a
 * first code from it is confirmed. Every sign-in, failed or not, and every MFA change is audited
 * under service "console".
 */
#include <stdio.h>
#include <string.h>

#include "console/codes.h"
#include "console/console_int.h"
#include "identity/identity.h"
#include "partner/partner.h"

void console_audit(struct store *s, const struct principal *who, const char *ip, const char *action,
                   const char *resource, const char *result)
{
    char rid[37];
    random_uuid(rid);
    audit_write(s, &(struct audit_entry){.owner_uin = who->owner_uin,
                                         .user_uin = who->user_uin,
                                         .source_ip = ip,
                                         .service = "console",
                                         .action = action,
                                         .resource = resource,
                                         .result = result,
                                         .request_id = rid,
                                         .who = who});
}

static void set_cookies(struct console_reply *out, const char *id, const char *csrf)
{
    reply_header(out, "Set-Cookie", "%s=%s; Path=/console; HttpOnly; SameSite=Strict", SESSION_COOKIE, id);
    reply_header(out, "Set-Cookie", "%s=%s; Path=/console; SameSite=Strict", CSRF_COOKIE, csrf);
}

static void clear_cookies(struct console_reply *out)
{
    reply_header(out, "Set-Cookie", "%s=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0", SESSION_COOKIE);
    reply_header(out, "Set-Cookie", "%s=; Path=/console; SameSite=Strict; Max-Age=0", CSRF_COOKIE);
}

static json_t *ok_body(void)
{
    char rid[37];
    random_uuid(rid);
    return json_pack("{s:{s:s}}", "Response", "RequestId", rid);
}

/* The code checked against the user's bound key, used once: 0 ok, 1 wrong, -1 error. */
static int check_code(struct store *s, const char *uin, const char *code)
{
    uint8_t key[20];
    int bound = 0;
    int64_t last = 0;
    int rc = console_store_mfa_get(s, uin, key, &bound, &last);
    if (rc != STORE_FOUND || !bound)
        return rc == STORE_ERROR ? -1 : 1;
    int64_t step = totp_match(key, sizeof key, clock_now(), code, last);
    memset(key, 0, sizeof key);
    if (step < 0)
        return 1;
    return console_store_mfa_used(s, uin, step) == 0 ? 0 : 1;
}

static int mfa_bound(struct store *s, const char *uin)
{
    uint8_t key[20];
    int bound = 0;
    int64_t last = 0;
    int rc = console_store_mfa_get(s, uin, key, &bound, &last);
    memset(key, 0, sizeof key);
    return rc == STORE_FOUND ? bound : rc == STORE_ERROR ? -1 : 0;
}

void login_handle(const struct config *cfg, const struct console_request *req, struct console_reply *out)
{
    (void)cfg;
    char why[300];
    struct store *s = store_thread();
    if (!s)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The state store is unavailable; retry later.");
    if (origin_check(req, why, sizeof why) != 0)
        return reply_error(out, 403, E_CONSOLE_ORIGIN, "%s", why);
    struct login_body b;
    if (login_parse(req->body, req->body_len, &b, why, sizeof why) != 0)
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "%s", why);
    char account[96];
    snprintf(account, sizeof account, "%s/%s", b.uin, b.user_name);
    struct principal tried = {0};
    snprintf(tried.owner_uin, sizeof tried.owner_uin, "%s", b.uin);
    snprintf(tried.user_uin, sizeof tried.user_uin, "%s", b.user_name[0] ? "" : b.uin);
    int64_t now = clock_now();
    if (!limit_login_allowed(account, req->source_ip, now)) {
        console_audit(s, &tried, req->source_ip, "ConsoleLogin", account, E_CONSOLE_LOCKED);
        memset(&b, 0, sizeof b);
        return reply_error(out, 429, E_CONSOLE_LOCKED,
                           "Too many failed sign-ins for this account or from this address; wait 15 minutes, or ask "
                           "the operator to set a new password with `yun admin password`.");
    }
    if (!limit_verify_enter()) {
        memset(&b, 0, sizeof b);
        return reply_error(out, 503, E_CONSOLE_BUSY,
                           "The server is checking many sign-ins at once; retry in a moment.");
    }
    struct principal who;
    int rc = identity_console_login(s, b.uin, b.user_name, b.password, &who);
    limit_verify_leave();
    memset(b.password, 0, sizeof b.password);
    if (rc == LOGIN_ERROR)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The identity store is unavailable; retry later.");
    if (rc == LOGIN_BAD) {
        limit_login_failed(account, req->source_ip, now);
        console_audit(s, &tried, req->source_ip, "ConsoleLogin", account, E_CONSOLE_LOGIN_FAILED);
        return reply_error(out, 401, E_CONSOLE_LOGIN_FAILED,
                           "The account ID, user name or password is wrong. Check them, or ask the operator to set a "
                           "password with `yun admin password`.");
    }
    if (rc == LOGIN_NO_CONSOLE) {
        console_audit(s, &who, req->source_ip, "ConsoleLogin", account, E_CONSOLE_NO_CONSOLE);
        return reply_error(out, 403, E_CONSOLE_NO_CONSOLE,
                           "This sub-user may not sign in to the console (ConsoleLogin is 0); its account's "
                           "administrator can allow it with CAM UpdateUser.");
    }
    int bound = mfa_bound(s, who.user_uin);
    if (bound < 0)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The identity store is unavailable; retry later.");
    int pending = bound;
    if (bound && b.code[0]) {
        int c = check_code(s, who.user_uin, b.code);
        if (c < 0)
            return reply_error(out, 503, E_CONSOLE_INTERNAL, "The identity store is unavailable; retry later.");
        if (c > 0) {
            limit_login_failed(account, req->source_ip, now);
            console_audit(s, &who, req->source_ip, "ConsoleLogin", account, E_CONSOLE_MFA_WRONG);
            return reply_error(out, 401, E_CONSOLE_MFA_WRONG,
                               "The authenticator code is wrong or already used; wait for the next code.");
        }
        pending = 0;
    }
    char id[48], csrf[48];
    if (session_create(s, &who, pending, req->source_ip, id, csrf) != 0)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The session could not be stored; retry later.");
    limit_login_succeeded(account);
    console_audit(s, &who, req->source_ip, "ConsoleLogin", account, pending ? "MFARequired" : "Success");
    json_t *body = ok_body();
    json_t *r = json_object_get(body, "Response");
    json_object_set_new(r, "MfaRequired", json_boolean(pending));
    json_object_set_new(r, "CsrfToken", json_string(csrf));
    reply_json(out, 200, body);
    set_cookies(out, id, csrf);
    memset(id, 0, sizeof id);
}

void logout_handle(const struct console_request *req, const struct session *sess, struct console_reply *out)
{
    struct store *s = store_thread();
    if (!s || session_end(s, sess->id_hash) != 0)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The session could not be ended; retry.");
    console_audit(s, &sess->who, req->source_ip, "ConsoleLogout", "*", "Success");
    reply_json(out, 200, ok_body());
    clear_cookies(out);
}

static int code_of(const struct console_request *req, char code[12])
{
    json_t *o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    json_t *c = json_object_get(o, "Code");
    int ok = json_is_string(c) && json_string_length(c) == 6;
    if (ok)
        snprintf(code, 12, "%s", json_string_value(c));
    json_decref(o);
    return ok ? 0 : -1;
}

void mfa_verify_handle(const struct console_request *req, struct session *sess, struct console_reply *out)
{
    struct store *s = store_thread();
    char code[12], account[96];
    if (!s)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The state store is unavailable; retry later.");
    if (!sess->mfa_pending)
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "This session needs no authenticator code.");
    if (code_of(req, code) != 0)
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "Code must be the 6 digits of the authenticator.");
    snprintf(account, sizeof account, "%s/%s", sess->who.owner_uin, sess->who.user_uin);
    int64_t now = clock_now();
    if (!limit_login_allowed(account, req->source_ip, now))
        return reply_error(out, 429, E_CONSOLE_LOCKED, "Too many wrong codes; wait 15 minutes.");
    int c = check_code(s, sess->who.user_uin, code);
    if (c != 0) {
        limit_login_failed(account, req->source_ip, now);
        console_audit(s, &sess->who, req->source_ip, "ConsoleMfaVerify", "*", E_CONSOLE_MFA_WRONG);
        return reply_error(out, c < 0 ? 503 : 401, E_CONSOLE_MFA_WRONG,
                           "The authenticator code is wrong or already used; wait for the next code.");
    }
    if (session_activate(s, sess->id_hash) != 0)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The session could not be updated; retry.");
    console_audit(s, &sess->who, req->source_ip, "ConsoleMfaVerify", "*", "Success");
    reply_json(out, 200, ok_body());
}

void mfa_bind_handle(const struct config *cfg, const struct console_request *req, const struct session *sess,
                     struct console_reply *out)
{
    (void)cfg;
    struct store *s = store_thread();
    if (!s)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The state store is unavailable; retry later.");
    int bound = mfa_bound(s, sess->who.user_uin);
    if (bound)
        return reply_error(out, 400, E_CONSOLE_UNSUPPORTED,
                           "An authenticator is already bound to this user; the operator can reset it.");
    uint8_t key[20];
    char b32[64];
    if (random_bytes(key, sizeof key) != 0 || console_store_mfa_put(s, sess->who.user_uin, key, 0) != 0)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The authenticator key could not be stored; retry.");
    base32_encode(key, sizeof key, b32, sizeof b32);
    memset(key, 0, sizeof key);
    char uri[256];
    snprintf(uri, sizeof uri, "otpauth://totp/yun:%s?secret=%s&issuer=yun&algorithm=SHA1&digits=6&period=30",
             sess->who.user_uin, b32);
    console_audit(s, &sess->who, req->source_ip, "ConsoleMfaBind", "*", "Started");
    json_t *body = ok_body();
    json_t *r = json_object_get(body, "Response");
    json_object_set_new(r, "Secret", json_string(b32));
    json_object_set_new(r, "Uri", json_string(uri));
    reply_json(out, 200, body);
}

void mfa_confirm_handle(const struct console_request *req, const struct session *sess, struct console_reply *out)
{
    struct store *s = store_thread();
    char code[12];
    if (!s)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The state store is unavailable; retry later.");
    if (code_of(req, code) != 0)
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "Code must be the 6 digits of the authenticator.");
    uint8_t key[20];
    int bound = 0;
    int64_t last = 0;
    int rc = console_store_mfa_get(s, sess->who.user_uin, key, &bound, &last);
    if (rc != STORE_FOUND || bound)
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "Start binding an authenticator first.");
    int64_t step = totp_match(key, sizeof key, clock_now(), code, 0);
    memset(key, 0, sizeof key);
    if (step < 0 || console_store_mfa_bind(s, sess->who.user_uin, step) != 0) {
        console_audit(s, &sess->who, req->source_ip, "ConsoleMfaBind", "*", E_CONSOLE_MFA_WRONG);
        return reply_error(out, 401, E_CONSOLE_MFA_WRONG,
                           "The code does not match the key; check the phone's clock and type the current code.");
    }
    console_audit(s, &sess->who, req->source_ip, "ConsoleMfaBind", "*", "Success");
    reply_json(out, 200, ok_body());
}

void whoami_handle(const struct config *cfg, const struct session *sess, struct console_reply *out)
{
    struct store *s = store_thread();
    json_t *body = ok_body();
    json_t *r = json_object_get(body, "Response");
    json_object_set_new(r, "OwnerUin", json_string(sess->who.owner_uin));
    json_object_set_new(r, "Uin", json_string(sess->who.user_uin));
    json_object_set_new(r, "AppId", json_string(sess->who.app_id));
    json_object_set_new(r, "IsRoot", json_boolean(sess->who.is_root));
    /* which views the console offers (the actions themselves check again) */
    json_object_set_new(r, "IsOperator", json_boolean(s && identity_is_operator(s, sess->who.owner_uin) == 1));
    json_object_set_new(r, "IsPartner", json_boolean(s && partner_is_partner(s, sess->who.owner_uin) == 1));
    json_object_set_new(r, "MfaPending", json_boolean(sess->mfa_pending));
    json_object_set_new(r, "MfaBound", json_boolean(s && mfa_bound(s, sess->who.user_uin) == 1));
    json_object_set_new(r, "Region", json_string(cfg->region));
    json_object_set_new(r, "ObjectPort", json_integer(cfg->object_port));
    json_object_set_new(r, "Now", json_integer(clock_now()));
    json_object_set_new(r, "IdleTimeout", json_integer(SESSION_IDLE_S));
    reply_json(out, 200, body);
}
