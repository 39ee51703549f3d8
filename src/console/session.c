/*
 * session: who a console request is. The cookie carries 32 random bytes (base64url); the store
 * keeps their sha256 only. A session ends after SESSION_IDLE_S without a request or
 * SESSION_LIFETIME_S in all, both on the business clock (so a --test-clock daemon can show the
 * idle timeout), and at sign-out.
 */
#include <stdio.h>
#include <string.h>

#include "console/console_int.h"

static void token(char out[48])
{
    uint8_t raw[32];
    char b64[64];
    if (random_bytes(raw, sizeof raw) != 0) {
        out[0] = 0;
        return;
    }
    size_t n = base64_encode(raw, sizeof raw, b64, sizeof b64);
    size_t j = 0;
    for (size_t i = 0; i < n && j < 47; i++) {
        char c = b64[i];
        if (c == '=')
            break;
        out[j++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[j] = 0;
    memset(raw, 0, sizeof raw);
}

int session_create(struct store *s, const struct principal *who, int mfa_pending, const char *ip, char id[48],
                   char csrf[48])
{
    token(id);
    token(csrf);
    if (!id[0] || !csrf[0])
        return -1;
    struct session sess = {.who = *who, .mfa_pending = mfa_pending};
    sess.created = sess.last_seen = clock_now();
    sha256_hex(id, strlen(id), sess.id_hash);
    sha256_hex(csrf, strlen(csrf), sess.csrf_hash);
    console_store_sessions_expire(s, sess.created - SESSION_IDLE_S, sess.created - SESSION_LIFETIME_S);
    return console_store_session_put(s, &sess, ip);
}

int session_from_request(struct store *s, const struct console_request *req, struct session *out)
{
    char id[64];
    if (cookie_get(req->header(req->hctx, "cookie"), SESSION_COOKIE, id, sizeof id) != 0)
        return 0;
    char hash[65];
    sha256_hex(id, strlen(id), hash);
    memset(id, 0, sizeof id);
    int rc = console_store_session_get(s, hash, out);
    if (rc != 1)
        return rc;
    int64_t now = clock_now();
    if (now - out->last_seen > SESSION_IDLE_S || now - out->created > SESSION_LIFETIME_S) {
        console_store_session_delete(s, hash);
        return 0;
    }
    if (console_store_session_touch(s, hash, now) != 0)
        return -1;
    out->last_seen = now;
    return 1;
}

int session_end(struct store *s, const char *id_hash) { return console_store_session_delete(s, id_hash); }

int session_activate(struct store *s, const char *id_hash) { return console_store_session_activate(s, id_hash); }
