/* console_int: the console's files behind one private header, each listed under its name. */
#ifndef YUN_CONSOLE_INT_H
#define YUN_CONSOLE_INT_H

#include <stdint.h>

#include "api/api.h"
#include "console/console.h"

#define SESSION_IDLE_S     1800  /* 30 minutes without a request on the business clock */
#define SESSION_LIFETIME_S 43200 /* 12 hours at most, however busy */
#define SESSION_COOKIE     "yun_session"
#define CSRF_COOKIE        "yun_csrf"
#define CSRF_HEADER        "x-csrf-token"

/* reply.c: answers */
void reply_header(struct console_reply *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void reply_json(struct console_reply *r, unsigned status, json_t *body); /* steals body */
/* {"Response":{"Error":{"Code","Message"},"RequestId"}} like the API's, with status */
void reply_error(struct console_reply *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void reply_security_headers(struct console_reply *r, const struct config *cfg, const char *host);

/* parse.c: the untrusted bytes of a request (fuzzed by fuzz/fuzz_console_parse.c) */
/* The value of cookie `name` in a Cookie header: 0 and out set, or -1 (absent, too long, bad bytes). */
int cookie_get(const char *header, const char *name, char *out, size_t len);
struct login_body {
    char uin[24];
    char user_name[68];
    char password[72];
    char code[12]; /* TOTP, digits */
};
/* A sign-in body {"Uin", "UserName"?, "Password", "Code"?}: 0, or -1 with why. */
int login_parse(const char *body, size_t len, struct login_body *out, char *why, size_t wlen);
/* A call body {"Service","Version","Action","Region"?,"Language"?,"Params"?}: the JSON (caller frees) or NULL. */
json_t *call_parse(const char *body, size_t len, char *why, size_t wlen);

/* totp.c: RFC 6238 (HMAC-SHA1, 30 s steps, 6 digits) and RFC 4648 base32 */
uint32_t totp_code(const uint8_t *key, size_t klen, int64_t step);
/* The step (t / 30) within one step either side of now that code matches and that is after
 * `after` (a code is used once), or -1. */
int64_t totp_match(const uint8_t *key, size_t klen, int64_t now, const char *code, int64_t after);
size_t base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen);
int base32_decode(const char *in, uint8_t *out, size_t outlen, size_t *written);

/* session.c: sessions (the row keeps sha256 of the id, never the id) */
struct session {
    char id_hash[65];
    struct principal who;
    char csrf_hash[65];
    int mfa_pending; /* password right, TOTP code still due */
    int64_t created, last_seen;
};
/* A new session; id (cookie) and csrf receive 43 base64url characters each. 0 or -1. */
int session_create(struct store *s, const struct principal *who, int mfa_pending, const char *ip, char id[48],
                   char csrf[48]);
/* The live session of a request's cookie (touched: idle timer restarts). 1 found, 0 not, -1 error. */
int session_from_request(struct store *s, const struct console_request *req, struct session *out);
int session_end(struct store *s, const char *id_hash);
int session_activate(struct store *s, const char *id_hash);
/* The double-submit token and the Origin of a state-changing request: 0 ok, or -1 with why. */
int csrf_check(const struct console_request *req, const struct session *sess, char *why, size_t wlen);
int origin_check(const struct console_request *req, char *why, size_t wlen);

/* limit.c: failed sign-ins, per account and per address, and argon2 verifications in flight */
int limit_login_allowed(const char *account, const char *ip, int64_t now); /* 1 yes, 0 locked out */
void limit_login_failed(const char *account, const char *ip, int64_t now);
void limit_login_succeeded(const char *account);
int limit_verify_enter(void); /* 1 entered, 0 too many at once */
void limit_verify_leave(void);
void limit_reset(void); /* tests */

/* store.c: every console statement */
int console_store_session_put(struct store *s, const struct session *sess, const char *ip);
int console_store_session_get(struct store *s, const char *id_hash, struct session *out);
int console_store_session_touch(struct store *s, const char *id_hash, int64_t now);
int console_store_session_delete(struct store *s, const char *id_hash);
int console_store_session_activate(struct store *s, const char *id_hash);
int console_store_sessions_expire(struct store *s, int64_t idle_before, int64_t created_before);
/* The MFA secret of a user (sealed at rest): STORE_FOUND with key and bound, ... */
int console_store_mfa_get(struct store *s, const char *uin, uint8_t key[20], int *bound, int64_t *last_step);
int console_store_mfa_put(struct store *s, const char *uin, const uint8_t key[20], int bound);
int console_store_mfa_bind(struct store *s, const char *uin, int64_t step);
int console_store_mfa_used(struct store *s, const char *uin, int64_t step);

/* login.c: sign-in, MFA, sign-out, who am I */
void login_handle(const struct config *cfg, const struct console_request *req, struct console_reply *out);
void logout_handle(const struct console_request *req, const struct session *sess, struct console_reply *out);
void mfa_verify_handle(const struct console_request *req, struct session *sess, struct console_reply *out);
void mfa_bind_handle(const struct config *cfg, const struct console_request *req, const struct session *sess,
                     struct console_reply *out);
void mfa_confirm_handle(const struct console_request *req, const struct session *sess, struct console_reply *out);
void whoami_handle(const struct config *cfg, const struct session *sess, struct console_reply *out);
void console_audit(struct store *s, const struct principal *who, const char *ip, const char *action,
                   const char *resource, const char *result);

/* call.c: {Service, Version, Action, Params} through api_handle as the session */
void call_handle(const struct config *cfg, const struct console_request *req, const struct session *sess,
                 struct console_reply *out);
/* presign.c: a presigned object-store URL for the session's user */
void presign_handle(const struct config *cfg, const struct console_request *req, const struct session *sess,
                    struct console_reply *out);

/* static.c: the built front end */
void static_init(void);
void static_handle(const struct config *cfg, const struct console_request *req, struct console_reply *out);

#endif
