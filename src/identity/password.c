/*
 * password: console passwords. argon2id hashes (19 MiB, t=2: the OWASP minimum for interactive
 * logins) for root accounts (accounts.password_hash) and sub-users (users.password_hash, also set
 * by CAM's AddUser/UpdateUser). A sign-in with an unknown name still pays for one verification, so
 * its timing does not tell which names exist.
 */
#include <argon2.h>
#include <stdio.h>
#include <string.h>

#include "identity/identity.h"

int identity_hash_password(const char *pw, char *out, size_t len)
{
    uint8_t salt[16];
    if (random_bytes(salt, sizeof salt) != 0)
        return -1;
    return argon2id_hash_encoded(2, 19 * 1024, 1, pw, strlen(pw), salt, sizeof salt, 32, out, len) == ARGON2_OK ? 0
                                                                                                                : -1;
}

int identity_password_ok(const char *pw) { return strlen(pw) >= 8 && strlen(pw) <= 32; }

int identity_set_password(struct store *s, const char *uin, const char *pw)
{
    char hash[128];
    if (identity_hash_password(pw, hash, sizeof hash) != 0)
        return STORE_ERROR;
    int n = store_exec(s, "UPDATE accounts SET password_hash = ? WHERE uin = ?", "ss", hash, uin);
    if (n == 0)
        n = store_exec(s, "UPDATE users SET password_hash = ? WHERE uin = ?", "ss", hash, uin);
    return n < 0 ? STORE_ERROR : n > 0 ? STORE_FOUND : STORE_NOT_FOUND;
}

/* A hash of a password nobody knows, verified when the user does not exist. */
static const char *decoy_hash(void)
{
    static char decoy[128];
    static int made;
    if (!made) {
        char pw[24];
        random_alnum(pw, 20);
        if (identity_hash_password(pw, decoy, sizeof decoy) != 0)
            return NULL;
        made = 1;
    }
    return decoy;
}

int identity_console_login(struct store *s, const char *uin, const char *user_name, const char *pw,
                           struct principal *who)
{
    struct store_stmt *q;
    if (user_name && *user_name)
        q = store_query(s,
                        "SELECT u.owner_uin, u.uin, a.app_id, u.password_hash, u.console_login FROM users u"
                        " JOIN accounts a ON a.uin = u.owner_uin WHERE u.owner_uin = ? AND u.name = ?",
                        "ss", uin, user_name);
    else
        q = store_query(s,
                        "SELECT uin, uin, app_id, password_hash, 1 FROM accounts WHERE uin = ?"
                        " UNION ALL SELECT u.owner_uin, u.uin, a.app_id, u.password_hash, u.console_login FROM users u"
                        " JOIN accounts a ON a.uin = u.owner_uin WHERE u.uin = ?",
                        "ss", uin, uin);
    if (!q)
        return LOGIN_ERROR;
    int rc = store_step(q);
    if (rc < 0) {
        store_done(q);
        return LOGIN_ERROR;
    }
    char hash[160] = "";
    int console = 0;
    memset(who, 0, sizeof *who);
    if (rc == 1) {
        snprintf(who->owner_uin, sizeof who->owner_uin, "%s", store_text(q, 0));
        snprintf(who->user_uin, sizeof who->user_uin, "%s", store_text(q, 1));
        snprintf(who->app_id, sizeof who->app_id, "%s", store_text(q, 2));
        snprintf(hash, sizeof hash, "%s", store_text(q, 3));
        console = (int)store_int(q, 4);
        who->is_root = strcmp(who->owner_uin, who->user_uin) == 0;
    }
    store_done(q);
    const char *check = hash[0] ? hash : decoy_hash();
    int match = check && argon2id_verify(check, pw, strlen(pw)) == ARGON2_OK && hash[0];
    if (!match) {
        memset(who, 0, sizeof *who);
        return LOGIN_BAD;
    }
    return console ? LOGIN_OK : LOGIN_NO_CONSOLE;
}

int identity_user_key(struct store *s, const char *owner_uin, const char *user_uin, char secret_id[64], char *secret,
                      size_t len)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT secret_id FROM access_keys WHERE owner_uin = ? AND user_uin = ?"
                                       " AND status = 'Active' ORDER BY created, secret_id LIMIT 1",
                                       "ss", owner_uin, user_uin);
    if (!q)
        return STORE_ERROR;
    int rc = store_step(q);
    if (rc == 1)
        snprintf(secret_id, 64, "%s", store_text(q, 0));
    store_done(q);
    if (rc != 1)
        return rc == 0 ? STORE_NOT_FOUND : STORE_ERROR;
    struct principal who;
    return identity_find_key(s, secret_id, NULL, &who, secret, len);
}
