/*
 * sealed: tenant data kept at rest like SecretKeys (AES-256-GCM under DATA/master.key), as one
 * blob: "YS1" then nonce, ciphertext and tag, authenticated with a caller-chosen context (e.g. the
 * instance id) so a blob copied to another row does not open. Blobs without the prefix were written
 * before sealing existed and are returned as they are.
 */
#ifndef YUN_IDENTITY_SEALED_H
#define YUN_IDENTITY_SEALED_H

#include <stddef.h>
#include <stdint.h>

int identity_seal(const char *aad, const void *plain, size_t plen, uint8_t *out, size_t *outlen);
int identity_open(const char *aad, const uint8_t *in, size_t inlen, void *plain, size_t *plen);

/* *out (malloc'd) receives the sealed blob of plain; an empty input gives an empty blob. 0 or -1. */
int sealed_seal(const char *context, const void *plain, size_t plen, uint8_t **out, size_t *outlen);
/* *out (malloc'd, NUL-terminated) receives the plaintext of blob. 0 or -1 (tampered, wrong context). */
int sealed_open(const char *context, const void *blob, size_t len, uint8_t **out, size_t *outlen);

#endif
