/*
 * sse.h: the at-rest format of an encrypted object (server-side encryption), apart from the
 * gateway so it can be tested alone. An object's file is one or more runs (one per multipart
 * part, in the object's order; one for a plain PUT or a copy). A run is
 *
 *   salt (16 random bytes) || segment 0 || segment 1 || ...
 *   segment k = AES-256-GCM ciphertext of plain bytes [k * 64 KiB, (k + 1) * 64 KiB) || tag (16)
 *
 * under the run key HMAC-SHA256(data key, "yun-sse-run-v1" || salt || part number as 4 bytes big
 * endian), with the nonce 0^4 || k as 8 bytes big endian. The data key is the object's (random,
 * stored only wrapped, see encryption.c); the part number (0 for a run that is not a part) comes
 * from the metadata, so runs cannot be reordered, and each segment's nonce from its position, so
 * segments cannot be. A fresh salt per run keeps a part uploaded twice under the same number from
 * reusing a nonce. Plain sizes come from the metadata too: a truncated file fails to read. A read
 * decrypts only the segments its range touches, each checked by its tag.
 */
#ifndef YUN_OBJECT_SSE_H
#define YUN_OBJECT_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SSE_SEGMENT 65536u
#define SSE_TAG     16u
#define SSE_SALT    16u

/* Bytes a run of `plain` bytes takes on disk. */
uint64_t sse_run_stored(uint64_t plain);

/* Encrypts one run as it streams; out receives the stored bytes in order (0 or -1). */
struct sse_writer;
struct sse_writer *sse_writer_new(const uint8_t data_key[32], uint32_t part,
                                  int (*out)(void *arg, const void *p, size_t n), void *arg);
int sse_writer_write(struct sse_writer *w, const void *p, size_t n); /* 0 or -1 */
int sse_writer_finish(struct sse_writer *w);                         /* the last segment; 0 or -1 */
void sse_writer_free(struct sse_writer *w);

/* A run of an object as the metadata describes it. */
struct sse_run {
    uint32_t part;
    uint64_t plain_size;
};

/* Reads plain bytes of an object's file: encrypted (runs given) or plain (runs NULL). Owns h, a
 * read handle of engine_open (closed with engine_close). */
struct sse_reader;
struct sse_reader *sse_reader_new(int h, const uint8_t *data_key, const struct sse_run *runs, size_t nruns);
/* Up to len plain bytes at off: the count (short only at the end), or -1 with errno (EBADMSG: a
 * segment failed its tag, EIO: the file is shorter than the metadata says). */
ssize_t sse_reader_read(struct sse_reader *rd, uint64_t off, void *buf, size_t len);
void sse_reader_free(struct sse_reader *rd);

#endif
