/*
 * chunked.c - aws-chunked decoder: a byte-driven state machine, so a body
 * split anywhere (down to one byte per call) decodes the same, and memory
 * stays at one header/trailer line no matter how large the chunks are.
 *
 * Framing: "<hex size>[;chunk-signature=<64 hex>]\r\n<data>\r\n" repeated,
 * then a zero-size chunk, then either "\r\n" (signed, no trailer) or trailer
 * lines "name:value\r\n" ending with an empty line. Each signed chunk's
 * StringToSign chains the previous signature (the request's seed first):
 *   AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<prev>\n<sha256("")>\n<sha256(data)>
 * and a signed trailer is checked with
 *   AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<prev>\n<sha256("name:value\n"...)>
 */
#include "chunked.h"

#include "core/core.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum state {
    ST_SIZE_LINE,
    ST_DATA,
    ST_DATA_CR,
    ST_DATA_LF,
    ST_FINAL_LINE, /* signed, no trailer: the empty line after the 0-size chunk */
    ST_TRAILER_LINE,
    ST_DONE,
};

struct chunked_decoder {
    struct chunked_config cfg;
    struct sigv4_chain chain;
    bool is_signed;
    enum state st;
    enum chunked_status err;
    char line[CHUNKED_MAX_LINE + 2];
    size_t line_len;
    uint64_t remaining;
    uint64_t total;
    char chunk_sig[65];
    EVP_MD_CTX *md;
    enum checksum_algo trailer_algo;
    struct checksum ck;
    int ntrailers;
    bool checksum_seen, trailer_sig_seen;
    char checksum_b64[CHUNKED_MAX_LINE + 1];
    char canon[CHUNKED_MAX_TRAILERS * (CHUNKED_MAX_LINE + 2)];
    size_t canon_len;
    char result_b64[CHECKSUM_MAX_BASE64];
};

static const struct chunked_error errors[] = {
    [CHUNKED_OK] = {"", 200, ""},
    [CHUNKED_BAD_FRAMING] = {"InvalidRequest", 400, "The aws-chunked request body is malformed."},
    [CHUNKED_LINE_TOO_LONG] = {"InvalidRequest", 400, "An aws-chunked header or trailer line is too long."},
    [CHUNKED_CHUNK_TOO_LARGE] = {"InvalidRequest", 400, "An aws-chunked chunk is too large."},
    [CHUNKED_BAD_SIGNATURE] = {"SignatureDoesNotMatch", 403,
                               "The request signature we calculated does not match the signature you "
                               "provided. Check your key and signing method."},
    [CHUNKED_BAD_CHECKSUM] = {"BadDigest", 400, "The checksum you specified did not match the calculated checksum."},
    [CHUNKED_BAD_TRAILER] = {"MalformedTrailerError", 400,
                             "The request contained trailing data that was not well-formed or did not "
                             "conform to our published schema."},
    [CHUNKED_LENGTH_MISMATCH] = {"IncompleteBody", 400,
                                 "The decoded body length does not match x-amz-decoded-content-length."},
    [CHUNKED_TRUNCATED] = {"IncompleteBody", 400, "The request body ended before the aws-chunked encoding did."},
    [CHUNKED_TRAILING_DATA] = {"InvalidRequest", 400, "Data follows the end of the aws-chunked encoding."},
    [CHUNKED_ABORTED] = {"InternalError", 500, "We encountered an internal error. Please try again."},
    [CHUNKED_INTERNAL] = {"InternalError", 500, "We encountered an internal error. Please try again."},
};

const struct chunked_error *chunked_error_of(enum chunked_status st)
{
    if ((unsigned)st >= sizeof(errors) / sizeof(errors[0]))
        return &errors[CHUNKED_INTERNAL];
    return &errors[st];
}

struct chunked_decoder *chunked_new(const struct chunked_config *cfg)
{
    bool is_signed = cfg->variant != CHUNKED_UNSIGNED_TRAILER;
    enum checksum_algo algo = CHECKSUM_NONE;

    if (!cfg->on_data || (is_signed && !cfg->chain))
        return NULL;
    if (cfg->declared_trailer) {
        if (cfg->variant == CHUNKED_SIGNED)
            return NULL;
        algo = checksum_algo_from_header(cfg->declared_trailer);
        if (algo == CHECKSUM_NONE)
            return NULL;
    }
    struct chunked_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->cfg = *cfg;
    d->cfg.chain = NULL;
    d->cfg.declared_trailer = NULL;
    if (!d->cfg.max_chunk)
        d->cfg.max_chunk = CHUNKED_DEFAULT_MAX_CHUNK;
    d->is_signed = is_signed;
    if (is_signed) {
        d->chain = *cfg->chain;
        d->md = EVP_MD_CTX_new();
        if (!d->md)
            goto fail;
    }
    d->trailer_algo = algo;
    if (algo != CHECKSUM_NONE && checksum_init(&d->ck, algo) != 0)
        goto fail;
    return d;
fail:
    chunked_free(d);
    return NULL;
}

void chunked_free(struct chunked_decoder *d)
{
    if (!d)
        return;
    if (d->md)
        EVP_MD_CTX_free(d->md);
    checksum_free(&d->ck);
    free(d);
}

uint64_t chunked_decoded_bytes(const struct chunked_decoder *d) { return d->total; }

enum checksum_algo chunked_trailer_checksum(const struct chunked_decoder *d, char out[CHECKSUM_MAX_BASE64])
{
    if (d->st != ST_DONE || d->err != CHUNKED_OK || !d->checksum_seen)
        return CHECKSUM_NONE;
    memcpy(out, d->result_b64, CHECKSUM_MAX_BASE64);
    return d->trailer_algo;
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return true;
}

/* HMAC the chained StringToSign and compare with sig; on success sig becomes prev. */
static bool verify_chained(struct chunked_decoder *d, const char *kind, const char *hash_line, const char *sig)
{
    struct obj_buf sts;
    uint8_t mac[32];
    char hex[65];
    bool ok;

    obj_buf_init(&sts, 1024);
    obj_buf_puts(&sts, kind);
    obj_buf_putc(&sts, '\n');
    obj_buf_puts(&sts, d->chain.amz_date);
    obj_buf_putc(&sts, '\n');
    obj_buf_puts(&sts, d->chain.scope);
    obj_buf_putc(&sts, '\n');
    obj_buf_puts(&sts, d->chain.prev_signature);
    obj_buf_putc(&sts, '\n');
    obj_buf_puts(&sts, hash_line);
    if (sts.failed) {
        obj_buf_free(&sts);
        return false;
    }
    hmac_sha256(d->chain.key, 32, sts.p, sts.len, mac);
    obj_buf_free(&sts);
    hex_encode(mac, 32, hex);
    ok = obj_str_equal_ct(hex, sig);
    if (ok)
        memcpy(d->chain.prev_signature, sig, 65);
    return ok;
}

static enum chunked_status verify_chunk(struct chunked_decoder *d)
{
    uint8_t digest[32];
    unsigned int n = 0;
    char line[64 + 1 + 64 + 1];

    if (EVP_DigestFinal_ex(d->md, digest, &n) != 1)
        return CHUNKED_INTERNAL;
    memcpy(line, EMPTY_SHA256 "\n", 65);
    hex_encode(digest, 32, line + 65);
    return verify_chained(d, "AWS4-HMAC-SHA256-PAYLOAD", line, d->chunk_sig) ? CHUNKED_OK : CHUNKED_BAD_SIGNATURE;
}

static enum chunked_status start_chunk(struct chunked_decoder *d)
{
    if (d->is_signed && EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1)
        return CHUNKED_INTERNAL;
    return CHUNKED_OK;
}

/* "<hex>[;chunk-signature=<sig>]" */
static enum chunked_status size_line(struct chunked_decoder *d, const char *line, size_t len)
{
    uint64_t size = 0;
    size_t i = 0;
    static const char ext[] = ";chunk-signature=";

    for (int v; i < len && (v = hex_digit(line[i])) >= 0; i++) {
        size = size * 16 + (uint64_t)v;
        if (size > d->cfg.max_chunk)
            return CHUNKED_CHUNK_TOO_LARGE;
    }
    if (i == 0)
        return CHUNKED_BAD_FRAMING;
    if (d->is_signed) {
        if (len - i != sizeof(ext) - 1 + 64 || memcmp(line + i, ext, sizeof(ext) - 1) != 0 ||
            !is_lower_hex(line + i + sizeof(ext) - 1, 64))
            return CHUNKED_BAD_FRAMING;
        memcpy(d->chunk_sig, line + i + sizeof(ext) - 1, 64);
        d->chunk_sig[64] = '\0';
    } else if (i != len) {
        return CHUNKED_BAD_FRAMING;
    }
    enum chunked_status st = start_chunk(d);
    if (st != CHUNKED_OK)
        return st;
    d->remaining = size;
    if (size > 0) {
        d->st = ST_DATA;
        return CHUNKED_OK;
    }
    /* The final, empty chunk. */
    if (d->is_signed) {
        st = verify_chunk(d);
        if (st != CHUNKED_OK)
            return st;
    }
    d->st = d->cfg.variant == CHUNKED_SIGNED ? ST_FINAL_LINE : ST_TRAILER_LINE;
    return CHUNKED_OK;
}

static enum chunked_status end_of_trailers(struct chunked_decoder *d)
{
    if (d->trailer_algo != CHECKSUM_NONE) {
        uint8_t want[CHECKSUM_MAX_DIGEST], got[CHECKSUM_MAX_DIGEST];
        if (!d->checksum_seen)
            return CHUNKED_BAD_TRAILER;
        size_t n = checksum_final(&d->ck, got);
        long m = obj_base64_decode(d->checksum_b64, strlen(d->checksum_b64), want, sizeof(want));
        if (m < 0 || (size_t)m != n)
            return CHUNKED_BAD_TRAILER;
        if (memcmp(want, got, n) != 0)
            return CHUNKED_BAD_CHECKSUM;
        obj_base64_encode(got, n, d->result_b64);
    }
    if (d->cfg.variant == CHUNKED_SIGNED_TRAILER && !d->trailer_sig_seen)
        return CHUNKED_BAD_TRAILER;
    d->st = ST_DONE;
    return CHUNKED_OK;
}

static enum chunked_status trailer_line(struct chunked_decoder *d, const char *line, size_t len)
{
    if (len == 0)
        return end_of_trailers(d);
    if (d->trailer_sig_seen) /* the signature is the last trailer */
        return CHUNKED_BAD_TRAILER;
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return CHUNKED_BAD_TRAILER;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    char name[CHUNKED_MAX_LINE + 1];
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)tolower((unsigned char)line[i]);
    name[nlen] = '\0';

    if (strcmp(name, "x-amz-trailer-signature") == 0) {
        if (d->cfg.variant != CHUNKED_SIGNED_TRAILER || vlen != 64 || !is_lower_hex(v, 64))
            return CHUNKED_BAD_TRAILER;
        char sig[65], hash[65];
        memcpy(sig, v, 64);
        sig[64] = '\0';
        sha256_hex(d->canon, d->canon_len, hash);
        if (!verify_chained(d, "AWS4-HMAC-SHA256-TRAILER", hash, sig))
            return CHUNKED_BAD_SIGNATURE;
        d->trailer_sig_seen = true;
        return CHUNKED_OK;
    }
    enum checksum_algo algo = checksum_algo_from_header(name);
    if (algo == CHECKSUM_NONE || algo != d->trailer_algo || d->checksum_seen || d->ntrailers >= CHUNKED_MAX_TRAILERS)
        return CHUNKED_BAD_TRAILER;
    memcpy(d->checksum_b64, v, vlen);
    d->checksum_b64[vlen] = '\0';
    d->checksum_seen = true;
    d->ntrailers++;
    /* Canonical form signed by the trailer signature: "name:value\n". */
    memcpy(d->canon + d->canon_len, name, nlen);
    d->canon_len += nlen;
    d->canon[d->canon_len++] = ':';
    memcpy(d->canon + d->canon_len, v, vlen);
    d->canon_len += vlen;
    d->canon[d->canon_len++] = '\n';
    return CHUNKED_OK;
}

static enum chunked_status emit(struct chunked_decoder *d, const uint8_t *p, size_t n)
{
    if (d->cfg.decoded_length >= 0 && d->total + n > (uint64_t)d->cfg.decoded_length)
        return CHUNKED_LENGTH_MISMATCH;
    d->total += n;
    if (d->is_signed)
        EVP_DigestUpdate(d->md, p, n);
    if (d->trailer_algo != CHECKSUM_NONE)
        checksum_update(&d->ck, p, n);
    return d->cfg.on_data(d->cfg.ctx, p, n) == 0 ? CHUNKED_OK : CHUNKED_ABORTED;
}

/* Accumulate one CRLF-terminated line; returns 1 when a line is complete. */
static int take_line(struct chunked_decoder *d, uint8_t c, enum chunked_status *st)
{
    if (c == '\n') {
        if (d->line_len == 0 || d->line[d->line_len - 1] != '\r') {
            *st = CHUNKED_BAD_FRAMING;
            return -1;
        }
        d->line_len--;
        d->line[d->line_len] = '\0';
        return 1;
    }
    if (d->line_len > 0 && d->line[d->line_len - 1] == '\r') {
        *st = CHUNKED_BAD_FRAMING; /* bare CR inside a line */
        return -1;
    }
    if (d->line_len >= CHUNKED_MAX_LINE + 1 || (d->line_len == CHUNKED_MAX_LINE && c != '\r')) {
        *st = CHUNKED_LINE_TOO_LONG;
        return -1;
    }
    if (c == '\0') {
        *st = CHUNKED_BAD_FRAMING;
        return -1;
    }
    d->line[d->line_len++] = (char)c;
    return 0;
}

enum chunked_status chunked_feed(struct chunked_decoder *d, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t i = 0;
    enum chunked_status st = CHUNKED_OK;

    if (d->err != CHUNKED_OK)
        return d->err;
    while (i < len && st == CHUNKED_OK) {
        switch (d->st) {
        case ST_DATA: {
            size_t n = len - i;
            if (n > d->remaining)
                n = (size_t)d->remaining;
            st = emit(d, p + i, n);
            i += n;
            d->remaining -= n;
            if (d->remaining == 0)
                d->st = ST_DATA_CR;
            break;
        }
        case ST_DATA_CR:
            st = p[i++] == '\r' ? CHUNKED_OK : CHUNKED_BAD_FRAMING;
            d->st = ST_DATA_LF;
            break;
        case ST_DATA_LF:
            if (p[i++] != '\n') {
                st = CHUNKED_BAD_FRAMING;
                break;
            }
            st = d->is_signed ? verify_chunk(d) : CHUNKED_OK;
            d->st = ST_SIZE_LINE;
            break;
        case ST_SIZE_LINE:
        case ST_FINAL_LINE:
        case ST_TRAILER_LINE: {
            int r = take_line(d, p[i++], &st);
            if (r <= 0)
                break;
            size_t ll = d->line_len;
            d->line_len = 0;
            if (d->st == ST_SIZE_LINE)
                st = size_line(d, d->line, ll);
            else if (d->st == ST_TRAILER_LINE)
                st = trailer_line(d, d->line, ll);
            else if (ll == 0)
                d->st = ST_DONE;
            else
                st = CHUNKED_BAD_FRAMING;
            break;
        }
        case ST_DONE:
            st = CHUNKED_TRAILING_DATA;
            break;
        }
    }
    d->err = st;
    return st;
}

enum chunked_status chunked_finish(struct chunked_decoder *d)
{
    if (d->err != CHUNKED_OK)
        return d->err;
    /* Tolerate a signed body that stops right after the final chunk's line. */
    if (d->st == ST_FINAL_LINE && d->line_len == 0)
        d->st = ST_DONE;
    if (d->st != ST_DONE)
        d->err = CHUNKED_TRUNCATED;
    else if (d->cfg.decoded_length >= 0 && d->total != (uint64_t)d->cfg.decoded_length)
        d->err = CHUNKED_LENGTH_MISMATCH;
    return d->err;
}
