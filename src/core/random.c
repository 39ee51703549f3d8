/* random: identifiers from the kernel CSPRNG (getrandom), never from rand(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/core.h"

int random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Rejection sampling keeps every character equally likely. */
static void random_from(const char *alphabet, size_t alen, char *out, size_t n)
{
    size_t limit = 256 - (256 % alen);
    size_t i = 0;
    while (i < n) {
        uint8_t buf[64];
        if (random_bytes(buf, sizeof buf) != 0)
            abort(); /* the kernel CSPRNG does not fail once booted */
        for (size_t j = 0; j < sizeof buf && i < n; j++)
            if (buf[j] < limit)
                out[i++] = alphabet[buf[j] % alen];
    }
    out[n] = 0;
}

void random_id(const char *prefix, char *out, size_t outlen)
{
    static const char lower[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char tail[9];
    random_from(lower, sizeof lower - 1, tail, 8);
    snprintf(out, outlen, "%s%s", prefix, tail);
}

void random_alnum(char *out, size_t n)
{
    static const char an[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    random_from(an, sizeof an - 1, out, n);
}

uint64_t random_digits(int ndigits)
{
    char d[24];
    static const char digits[] = "0123456789";
    random_from(digits + 1, 9, d, 1); /* no leading zero */
    random_from(digits, 10, d + 1, (size_t)ndigits - 1);
    return strtoull(d, NULL, 10);
}

void random_uuid(char out[37])
{
    uint8_t b[16];
    if (random_bytes(b, sizeof b) != 0)
        abort();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
