/*
 * totp: one-time codes of RFC 6238 (TOTP: HOTP of RFC 4226 over 30-second steps, HMAC-SHA1,
 * 6 digits, what every authenticator app does by default) and the base32 of RFC 4648 that
 * otpauth:// URIs carry the key in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"

uint32_t totp_code(const uint8_t *key, size_t klen, int64_t step)
{
    uint8_t msg[8], mac[20];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(step & 0xff);
        step >>= 8;
    }
    hmac_sha1(key, klen, msg, sizeof msg, mac);
    int off = mac[19] & 0x0f; /* RFC 4226 dynamic truncation */
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    return bin % 1000000u;
}

int64_t totp_match(const uint8_t *key, size_t klen, int64_t now, const char *code, int64_t after)
{
    if (strlen(code) != 6 || strspn(code, "0123456789") != 6)
        return -1;
    uint32_t want = (uint32_t)strtoul(code, NULL, 10);
    int64_t step = now / 30;
    int64_t found = -1;
    /* one step of clock drift either side; every candidate computed so timing does not tell which matched */
    for (int64_t s = step - 1; s <= step + 1; s++) {
        uint32_t got = totp_code(key, klen, s);
        if (got == want && s > after && found < 0)
            found = s;
    }
    return found;
}

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    uint32_t buf = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            if (n + 1 < outlen)
                out[n++] = B32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0 && n + 1 < outlen)
        out[n++] = B32[(buf << (5 - bits)) & 31];
    if (outlen)
        out[n] = 0;
    return n; /* unpadded: what otpauth:// URIs use */
}

int base32_decode(const char *in, uint8_t *out, size_t outlen, size_t *written)
{
    uint32_t buf = 0;
    int bits = 0;
    size_t n = 0;
    for (; *in && *in != '='; in++) {
        char c = *in;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        const char *p = c ? strchr(B32, c) : NULL;
        if (!p)
            return -1;
        buf = (buf << 5) | (uint32_t)(p - B32);
        bits += 5;
        if (bits >= 8) {
            if (n >= outlen)
                return -1;
            out[n++] = (uint8_t)(buf >> (bits - 8));
            bits -= 8;
        }
    }
    *written = n;
    return 0;
}
