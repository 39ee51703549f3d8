/*
 * preauth: see preauth.h. It uses the identity service's key cache (identity_find_key), so a
 * known key costs a cache hit; unknown keys cost one indexed read.
 */
#include <string.h>

#include "api/api.h"
#include "api/codes.h"
#include "http/preauth.h"
#include "identity/identity.h"

int http_preauth_tc3(const char *authorization, const char **code, const char **message)
{
    struct tc3_auth a;
    if (tc3_parse_authorization(authorization, &a) != 0) {
        *code = E_AUTH_FAILURE_INVALID_AUTHORIZATION;
        *message = "The Authorization header is not a valid TC3-HMAC-SHA256 header.";
        return -1;
    }
    struct store *s = store_thread();
    if (!s)
        return 0;
    struct principal who;
    char secret[128];
    int rc = identity_find_key(s, a.secret_id, NULL, &who, secret, sizeof secret); /* the token is checked later */
    memset(secret, 0, sizeof secret);
    if (rc == STORE_NOT_FOUND) {
        *code = E_AUTH_FAILURE_SECRET_ID_NOT_FOUND;
        *message = "The SecretId is not found or is disabled.";
        return -1;
    }
    return 0;
}
