/*
 * checksum.h - the object checksums S3 clients send (x-amz-checksum-*):
 * CRC32, CRC32C, CRC64NVME, SHA1, SHA256, computed incrementally and
 * rendered as S3 does (base64 of the big-endian digest).
 */
#ifndef YUN_OBJECT_CHECKSUM_H
#define YUN_OBJECT_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

enum checksum_algo {
    CHECKSUM_NONE = 0,
    CHECKSUM_CRC32,
    CHECKSUM_CRC32C,
    CHECKSUM_CRC64NVME,
    CHECKSUM_SHA1,
    CHECKSUM_SHA256,
};

#define CHECKSUM_MAX_DIGEST 32
#define CHECKSUM_MAX_BASE64 45 /* 44 chars for SHA-256 + NUL */

struct checksum {
    enum checksum_algo algo;
    uint64_t crc;
    void *md; /* EVP_MD_CTX for the SHA algorithms, owned */
};

/* "x-amz-checksum-crc32" (any case) -> CHECKSUM_CRC32; CHECKSUM_NONE if unknown. */
enum checksum_algo checksum_algo_from_header(const char *name);
/* "CRC32", "crc32c", ... (x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm). */
enum checksum_algo checksum_algo_from_name(const char *name);
/* "x-amz-checksum-crc32" etc.; NULL for CHECKSUM_NONE. */
const char *checksum_header_name(enum checksum_algo algo);
size_t checksum_digest_len(enum checksum_algo algo);

/* Returns 0, or -1 on allocation failure / unknown algorithm. */
int checksum_init(struct checksum *c, enum checksum_algo algo);
void checksum_update(struct checksum *c, const void *data, size_t len);
/* Writes the digest (big-endian for CRCs); returns its length. Resets nothing; call once. */
size_t checksum_final(struct checksum *c, uint8_t out[CHECKSUM_MAX_DIGEST]);
void checksum_free(struct checksum *c);

/* Plain CRC helpers (crc = previous value, 0 to start). */
uint32_t obj_crc32(uint32_t crc, const void *data, size_t len);
uint32_t obj_crc32c(uint32_t crc, const void *data, size_t len);
uint64_t obj_crc64nvme(uint64_t crc, const void *data, size_t len);

/* Standard base64 with padding. out must hold 4*ceil(len/3)+1 bytes. Returns length. */
size_t obj_base64_encode(const uint8_t *in, size_t len, char *out);
/* Strict standard base64 (padding required). Returns decoded length or -1. */
long obj_base64_decode(const char *in, size_t len, uint8_t *out, size_t out_cap);

#endif
