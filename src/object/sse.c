/*
 * sse: the segment format of encrypted objects (see sse.h): a streaming writer that encrypts a
 * run segment by segment, and a reader that decrypts the segments a range touches, keeping the
 * last one so sequential reads decrypt each segment once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/core.h"
#include "object/engine.h"
#include "object/sse.h"

static const char run_label[] = "yun-sse-run-v1";

uint64_t sse_run_stored(uint64_t plain)
{
    return SSE_SALT + plain + SSE_TAG * ((plain + SSE_SEGMENT - 1) / SSE_SEGMENT);
}

static void run_key(const uint8_t dk[32], const uint8_t salt[SSE_SALT], uint32_t part, uint8_t out[32])
{
    uint8_t msg[sizeof run_label - 1 + SSE_SALT + 4];
    memcpy(msg, run_label, sizeof run_label - 1);
    memcpy(msg + sizeof run_label - 1, salt, SSE_SALT);
    for (int i = 0; i < 4; i++)
        msg[sizeof run_label - 1 + SSE_SALT + i] = (uint8_t)(part >> (24 - 8 * i));
    hmac_sha256(dk, 32, msg, sizeof msg, out);
}

static void nonce_of(uint64_t segment, uint8_t nonce[12])
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = (uint8_t)(segment >> (56 - 8 * i));
}

/* Sets c up for a run key (the key schedule once per run, not per segment). 0 or -1. */
static int set_key(EVP_CIPHER_CTX *c, bool enc, const uint8_t key[32])
{
    return EVP_CIPHER_CTX_reset(c) == 1 && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, NULL, enc ? 1 : 0) == 1
               ? 0
               : -1;
}

/* One segment under the key set_key gave c: encrypt (tag written) or decrypt (tag checked). 0 or -1. */
static int segment_crypt(EVP_CIPHER_CTX *c, bool enc, uint64_t segment, const uint8_t *in, size_t n, uint8_t *out,
                         uint8_t tag[SSE_TAG])
{
    uint8_t nonce[12];
    int len = 0, fin = 0;
    nonce_of(segment, nonce);
    if (EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc ? 1 : 0) != 1)
        return -1;
    if (n && EVP_CipherUpdate(c, out, &len, in, (int)n) != 1)
        return -1;
    if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SSE_TAG, tag) != 1)
        return -1;
    if (EVP_CipherFinal_ex(c, out + len, &fin) != 1)
        return -1;
    if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SSE_TAG, tag) != 1)
        return -1;
    return 0;
}

struct sse_writer {
    EVP_CIPHER_CTX *ctx;
    uint8_t key[32];
    uint64_t segment;
    size_t fill;
    int (*out)(void *arg, const void *p, size_t n);
    void *arg;
    uint8_t plain[SSE_SEGMENT];
    uint8_t sealed[SSE_SEGMENT + SSE_TAG];
};

struct sse_writer *sse_writer_new(const uint8_t data_key[32], uint32_t part,
                                  int (*out)(void *arg, const void *p, size_t n), void *arg)
{
    struct sse_writer *w = calloc(1, sizeof *w);
    uint8_t salt[SSE_SALT];
    if (!w || !(w->ctx = EVP_CIPHER_CTX_new()) || random_bytes(salt, sizeof salt) != 0) {
        sse_writer_free(w);
        return NULL;
    }
    run_key(data_key, salt, part, w->key);
    if (set_key(w->ctx, true, w->key) != 0) {
        sse_writer_free(w);
        return NULL;
    }
    w->out = out;
    w->arg = arg;
    if (out(arg, salt, sizeof salt) != 0) {
        sse_writer_free(w);
        return NULL;
    }
    return w;
}

static int flush_segment(struct sse_writer *w)
{
    if (segment_crypt(w->ctx, true, w->segment, w->plain, w->fill, w->sealed, w->sealed + w->fill) != 0 ||
        w->out(w->arg, w->sealed, w->fill + SSE_TAG) != 0)
        return -1;
    w->segment++;
    w->fill = 0;
    return 0;
}

int sse_writer_write(struct sse_writer *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        size_t take = SSE_SEGMENT - w->fill < n ? SSE_SEGMENT - w->fill : n;
        memcpy(w->plain + w->fill, b, take);
        w->fill += take;
        b += take;
        n -= take;
        if (w->fill == SSE_SEGMENT && flush_segment(w) != 0)
            return -1;
    }
    return 0;
}

int sse_writer_finish(struct sse_writer *w) { return w->fill ? flush_segment(w) : 0; }

void sse_writer_free(struct sse_writer *w)
{
    if (!w)
        return;
    EVP_CIPHER_CTX_free(w->ctx);
    OPENSSL_cleanse(w, sizeof *w);
    free(w);
}

struct reader_run {
    uint32_t part;
    uint64_t plain_off, plain_size, file_off;
};

struct sse_reader {
    int h; /* the engine's read handle of the object's file */
    bool encrypted;
    uint8_t dk[32];
    struct reader_run *runs;
    size_t nruns;
    EVP_CIPHER_CTX *ctx;
    /* the run whose key is derived, and the segment held decrypted */
    size_t key_run;
    uint8_t key[32];
    bool have_key, have_segment;
    size_t seg_run;
    uint64_t seg_index;
    size_t seg_len;
    uint8_t plain[SSE_SEGMENT];
    uint8_t sealed[SSE_SEGMENT + SSE_TAG];
};

struct sse_reader *sse_reader_new(int h, const uint8_t *data_key, const struct sse_run *runs, size_t nruns)
{
    struct sse_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        goto fail;
    rd->h = h;
    if (!runs)
        return rd;
    rd->encrypted = true;
    memcpy(rd->dk, data_key, 32);
    if (!(rd->ctx = EVP_CIPHER_CTX_new()) || !(rd->runs = calloc(nruns ? nruns : 1, sizeof *rd->runs)))
        goto fail;
    uint64_t plain = 0, file = 0;
    for (size_t i = 0; i < nruns; i++) {
        rd->runs[i] = (struct reader_run){runs[i].part, plain, runs[i].plain_size, file};
        plain += runs[i].plain_size;
        file += sse_run_stored(runs[i].plain_size);
    }
    rd->nruns = nruns;
    return rd;
fail:
    if (rd) {
        rd->h = -1;
        sse_reader_free(rd);
    }
    engine_close(h);
    return NULL;
}

static int full_pread(int h, void *buf, size_t n, uint64_t off)
{
    uint8_t *b = buf;
    while (n) {
        ssize_t got = engine_read_at(h, b, n, off);
        if (got <= 0) {
            if (got == 0)
                errno = EIO;
            return -1;
        }
        b += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return 0;
}

/* Decrypts segment k of run i into rd->plain. 0 or -1 (errno). */
static int load_segment(struct sse_reader *rd, size_t i, uint64_t k)
{
    const struct reader_run *run = &rd->runs[i];
    if (rd->have_segment && rd->seg_run == i && rd->seg_index == k)
        return 0;
    rd->have_segment = false;
    if (!rd->have_key || rd->key_run != i) {
        uint8_t salt[SSE_SALT];
        if (full_pread(rd->h, salt, sizeof salt, run->file_off) != 0)
            return -1;
        run_key(rd->dk, salt, run->part, rd->key);
        if (set_key(rd->ctx, false, rd->key) != 0)
            return -1;
        rd->have_key = true;
        rd->key_run = i;
    }
    uint64_t start = k * SSE_SEGMENT;
    size_t n = run->plain_size - start < SSE_SEGMENT ? (size_t)(run->plain_size - start) : SSE_SEGMENT;
    if (full_pread(rd->h, rd->sealed, n + SSE_TAG, run->file_off + SSE_SALT + k * (SSE_SEGMENT + SSE_TAG)) != 0)
        return -1;
    if (segment_crypt(rd->ctx, false, k, rd->sealed, n, rd->plain, rd->sealed + n) != 0) {
        errno = EBADMSG;
        return -1;
    }
    rd->have_segment = true;
    rd->seg_run = i;
    rd->seg_index = k;
    rd->seg_len = n;
    return 0;
}

ssize_t sse_reader_read(struct sse_reader *rd, uint64_t off, void *buf, size_t len)
{
    if (!rd->encrypted) {
        return engine_read_at(rd->h, buf, len, off);
    }
    uint8_t *b = buf;
    size_t done = 0;
    size_t i = 0;
    while (done < len) {
        while (i < rd->nruns && off >= rd->runs[i].plain_off + rd->runs[i].plain_size)
            i++;
        if (i == rd->nruns)
            break;
        const struct reader_run *run = &rd->runs[i];
        uint64_t in_run = off - run->plain_off, k = in_run / SSE_SEGMENT;
        if (load_segment(rd, i, k) != 0)
            return -1;
        size_t at = (size_t)(in_run - k * SSE_SEGMENT), take = rd->seg_len - at;
        if (take > len - done)
            take = len - done;
        memcpy(b + done, rd->plain + at, take);
        done += take;
        off += take;
    }
    return (ssize_t)done;
}

void sse_reader_free(struct sse_reader *rd)
{
    if (!rd)
        return;
    engine_close(rd->h);
    EVP_CIPHER_CTX_free(rd->ctx);
    free(rd->runs);
    OPENSSL_cleanse(rd, sizeof *rd);
    free(rd);
}
