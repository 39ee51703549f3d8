/*
 * fuzz_object_chunked.c - libFuzzer target for the aws-chunked decoder.
 * Byte 0 picks the variant and declared trailer, byte 1 the slice size; the
 * rest is the body. Every input is decoded twice, in slices and one byte at
 * a time, and the two runs must agree on status and output (the decoder is
 * a state machine; splitting must never change its answer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object/chunked.h"

struct sink {
    uint8_t hash[8];
    uint64_t len;
};

static int collect(void *ctx, const uint8_t *p, size_t n)
{
    struct sink *s = ctx;
    for (size_t i = 0; i < n; i++)
        s->hash[(s->len + i) % 8] ^= p[i];
    s->len += n;
    return 0;
}

static enum chunked_status decode(const struct chunked_config *base, const uint8_t *p, size_t n, size_t step,
                                  struct sink *s)
{
    struct chunked_config cfg = *base;
    cfg.on_data = collect;
    cfg.ctx = s;
    struct chunked_decoder *d = chunked_new(&cfg);
    if (!d)
        abort();
    enum chunked_status st = CHUNKED_OK;
    for (size_t off = 0; off < n && st == CHUNKED_OK; off += step)
        st = chunked_feed(d, p + off, off + step > n ? n - off : step);
    if (st == CHUNKED_OK)
        st = chunked_finish(d);
    chunked_free(d);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const trailers[] = {NULL, "x-amz-checksum-crc32", "x-amz-checksum-crc32c",
                                           "x-amz-checksum-sha256"};
    if (size < 2)
        return 0;
    struct sigv4_chain chain;
    memset(&chain, 0, sizeof(chain));
    memcpy(chain.amz_date, "20130524T000000Z", 17);
    strcpy(chain.scope, "20130524/us-east-1/s3/aws4_request");
    memset(chain.prev_signature, 'a', 64);
    struct chunked_config cfg = {
        .variant = (enum chunked_variant)(data[0] % 3),
        .chain = &chain,
        .declared_trailer = trailers[(data[0] / 3) % 4],
        .decoded_length = (data[0] & 0x80) ? -1 : 64,
        .max_chunk = 4096,
    };
    if (cfg.variant == CHUNKED_SIGNED)
        cfg.declared_trailer = NULL;
    size_t step = (size_t)data[1] + 1;
    struct sink a = {{0}, 0}, b = {{0}, 0};
    enum chunked_status s1 = decode(&cfg, data + 2, size - 2, step, &a);
    enum chunked_status s2 = decode(&cfg, data + 2, size - 2, 1, &b);
    if (s1 != s2 || (s1 == CHUNKED_OK && (a.len != b.len || memcmp(a.hash, b.hash, 8) != 0)))
        abort();
    return 0;
}
