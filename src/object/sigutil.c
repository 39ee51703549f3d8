/*
 * sigutil.c - helpers shared by the S3/COS signature checkers: a bounded
 * buffer (every canonical string is built under a size limit, so a hostile
 * request cannot make us allocate without bound), URI encoding as AWS and
 * COS define it, query parsing, digests and date parsing. Kept free of any
 * HTTP library so the checkers can be unit-tested and fuzzed alone.
 */
#include "sigutil.h"

#include "core/core.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void obj_buf_init(struct obj_buf *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

static bool obj_buf_reserve(struct obj_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > b->limit || b->len + extra + 1 > b->limit + 1) {
        b->failed = true;
        return false;
    }
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void obj_buf_put(struct obj_buf *b, const void *data, size_t len)
{
    if (!obj_buf_reserve(b, len))
        return;
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void obj_buf_puts(struct obj_buf *b, const char *s) { obj_buf_put(b, s, strlen(s)); }

void obj_buf_putc(struct obj_buf *b, char c)
{
    if (!b->failed && b->len + 2 <= b->cap && b->len + 1 <= b->limit) { /* room for it and the NUL */
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
        return;
    }
    obj_buf_put(b, &c, 1);
}

const char *obj_buf_str(struct obj_buf *b)
{
    if (b->failed)
        return NULL;
    if (!b->p)
        obj_buf_put(b, "", 0);
    return b->failed ? NULL : b->p;
}

void obj_buf_free(struct obj_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

void obj_buf_uri_encode(struct obj_buf *b, const char *s, size_t len, bool keep_slash)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t run = 0; /* bytes kept as they are, copied in one piece */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            run++;
            continue;
        }
        obj_buf_put(b, s + i - run, run);
        run = 0;
        char e[3] = {'%', hexd[c >> 4], hexd[c & 15]};
        obj_buf_put(b, e, 3);
    }
    obj_buf_put(b, s + len - run, run);
}

size_t obj_pct_decode(const char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    while (i < len) {
        /* the run up to the next '%' is copied whole (memmove: a caller may decode in place) */
        const char *pc = memchr(in + i, '%', len - i);
        size_t run = (pc ? (size_t)(pc - in) : len) - i;
        memmove(out + o, in + i, run);
        o += run, i += run;
        if (!pc)
            break;
        int hi, lo;
        if (i + 2 < len && (hi = hex_digit(in[i + 1])) >= 0 && (lo = hex_digit(in[i + 2])) >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 3;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
    return o;
}

int obj_query_parse(const char *raw, struct obj_query *q)
{
    q->v = NULL;
    q->n = 0;
    q->arena = NULL;
    if (!raw || !*raw)
        return 0;
    size_t rawlen = strlen(raw), count = 1;
    if (rawlen > OBJ_QUERY_MAX_LEN)
        return -1;
    for (const char *p = raw; (p = strchr(p, '&')); p++)
        count++;
    if (count > OBJ_QUERY_MAX_PARAMS)
        count = OBJ_QUERY_MAX_PARAMS + 1; /* enough to tell "too many" below */
    /* one array and one arena: decoding never lengthens, each name and value takes its NUL */
    q->v = calloc(count, sizeof(*q->v));
    q->arena = malloc(rawlen + 2 * count);
    if (!q->v || !q->arena)
        goto fail;
    char *at = q->arena;
    const char *p = raw;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        if (plen > 0) {
            if (q->n == OBJ_QUERY_MAX_PARAMS || q->n == count)
                goto fail;
            const char *eq = memchr(p, '=', plen);
            size_t nlen = eq ? (size_t)(eq - p) : plen;
            size_t vlen = eq ? plen - nlen - 1 : 0;
            struct obj_qparam *qp = &q->v[q->n];
            qp->name = at;
            at += obj_pct_decode(p, nlen, qp->name) + 1;
            qp->value = at;
            at += obj_pct_decode(eq ? eq + 1 : "", vlen, qp->value) + 1;
            qp->has_eq = eq != NULL;
            q->n++;
        }
        p += plen;
        if (*p == '&')
            p++;
    }
    return 0;
fail:
    obj_query_free(q);
    return -1;
}

const char *obj_query_get(const struct obj_query *q, const char *name)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->v[i].name, name) == 0)
            return q->v[i].value;
    return NULL;
}

void obj_query_free(struct obj_query *q)
{
    free(q->arena);
    free(q->v);
    q->v = NULL;
    q->arena = NULL;
    q->n = 0;
}

bool obj_str_equal_ct(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return CRYPTO_memcmp(a, b, la) == 0;
}

void obj_sha1_hex(const void *data, size_t len, char out[41])
{
    uint8_t d[20];
    unsigned int n = 0;
    EVP_Digest(data, len, d, &n, EVP_sha1(), NULL);
    hex_encode(d, 20, out);
}

void obj_buf_put_trimmed(struct obj_buf *b, const char *v, bool collapse)
{
    size_t len = strlen(v);
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    size_t i = 0;
    while (i < len && (v[i] == ' ' || v[i] == '\t'))
        i++;
    for (; i < len; i++) {
        if (collapse && v[i] == ' ' && i + 1 < len && v[i + 1] == ' ')
            continue;
        obj_buf_putc(b, v[i]);
    }
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int make_time(int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return -1;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

int obj_parse_amz_date(const char *s, int64_t *out)
{
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    int y = digits(s, 4), mo = digits(s + 4, 2), d = digits(s + 6, 2);
    int h = digits(s + 9, 2), mi = digits(s + 11, 2), sec = digits(s + 13, 2);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0)
        return -1;
    return make_time(y, mo, d, h, mi, sec, out);
}

int obj_parse_http_date(const char *s, int64_t *out)
{
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* "Tue, 27 Mar 2007 19:36:42 GMT": skip the weekday, which we don't check. */
    if (!s)
        return -1;
    const char *comma = strchr(s, ',');
    if (!comma)
        return -1;
    const char *p = comma + 1;
    while (*p == ' ')
        p++;
    int d, y, h, mi, sec, mo = -1;
    if (strlen(p) < 20)
        return -1;
    d = digits(p, 2);
    if (d < 0 || p[2] != ' ')
        return -1;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p + 3, months[i], 3) == 0)
            mo = i + 1;
    if (mo < 0 || p[6] != ' ')
        return -1;
    y = digits(p + 7, 4);
    if (y < 0 || p[11] != ' ')
        return -1;
    h = digits(p + 12, 2);
    mi = digits(p + 15, 2);
    sec = digits(p + 18, 2);
    if (h < 0 || mi < 0 || sec < 0 || p[14] != ':' || p[17] != ':')
        return -1;
    const char *z = p + 20;
    int64_t offset = 0;
    while (*z == ' ')
        z++;
    if (strcmp(z, "GMT") == 0 || strcmp(z, "UTC") == 0 || strcmp(z, "Z") == 0) {
        offset = 0;
    } else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 5) {
        int hh = digits(z + 1, 2), mm = digits(z + 3, 2);
        if (hh < 0 || mm < 0)
            return -1;
        offset = (hh * 3600 + mm * 60) * (z[0] == '+' ? 1 : -1);
    } else {
        return -1;
    }
    if (make_time(y, mo, d, h, mi, sec, out) != 0)
        return -1;
    *out -= offset;
    return 0;
}
