/*
 * sealed: see sealed.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "identity/sealed.h"

#define MAGIC     "YS1"
#define MAGIC_LEN 3

int sealed_seal(const char *context, const void *plain, size_t plen, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (plen == 0)
        return 0;
    uint8_t *b = malloc(MAGIC_LEN + plen + AEAD_OVERHEAD);
    size_t n = 0;
    if (!b || identity_seal(context, plain, plen, b + MAGIC_LEN, &n) != 0) {
        free(b);
        return -1;
    }
    memcpy(b, MAGIC, MAGIC_LEN);
    *out = b;
    *outlen = MAGIC_LEN + n;
    return 0;
}

int sealed_open(const char *context, const void *blob, size_t len, uint8_t **out, size_t *outlen)
{
    const uint8_t *in = blob;
    uint8_t *p = malloc(len + 1);
    if (!p)
        return -1;
    size_t n = len;
    if (len >= MAGIC_LEN + AEAD_OVERHEAD && memcmp(in, MAGIC, MAGIC_LEN) == 0) {
        if (identity_open(context, in + MAGIC_LEN, len - MAGIC_LEN, p, &n) != 0) {
            free(p);
            return -1;
        }
    } else if (len) {
        memcpy(p, in, len); /* written before sealing existed */
    }
    p[n] = 0;
    *out = p;
    *outlen = n;
    return 0;
}
