/*
 * join_token: the text form of a host join token and its check, pure (tested in
 * tests/unit/test_join_token.c). `<id>.<secret>.<ca sha256>`: the id finds the stored row, the
 * secret (kept only as its sha256) proves the holder was given the token, the hash lets the host
 * trust the control plane's certificate before it has anything else (kubeadm's discovery hash).
 */
#include <stdio.h>
#include <string.h>

#include "compute/host_channel.h"

static int span(const char *p, size_t n, int (*ok)(int))
{
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)p[i]))
            return 0;
    return 1;
}
static int id_char(int c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static int secret_char(int c) { return id_char(c) || (c >= 'A' && c <= 'Z'); }
static int hex_char(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int join_token_parse(const char *text, struct join_token *t)
{
    memset(t, 0, sizeof *t);
    if (!text)
        return -1;
    const char *d1 = strchr(text, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2)
        return -1;
    size_t nid = (size_t)(d1 - text), nsec = (size_t)(d2 - d1 - 1), nhash = strlen(d2 + 1);
    if (nid != 8 || nsec != 32 || nhash != 64 || !span(text, nid, id_char) || !span(d1 + 1, nsec, secret_char) ||
        !span(d2 + 1, nhash, hex_char))
        return -1;
    memcpy(t->id, text, nid);
    memcpy(t->secret, d1 + 1, nsec);
    memcpy(t->ca_sha256, d2 + 1, nhash);
    return 0;
}

void join_token_new(const char *ca_sha256, struct join_token *t)
{
    memset(t, 0, sizeof *t);
    char id[16];
    random_id("", id, sizeof id);
    snprintf(t->id, sizeof t->id, "%s", id);
    random_alnum(t->secret, 32);
    snprintf(t->ca_sha256, sizeof t->ca_sha256, "%s", ca_sha256);
}

void join_token_format(const struct join_token *t, char *out, size_t len)
{
    snprintf(out, len, "%s.%s.%s", t->id, t->secret, t->ca_sha256);
}

void join_token_secret_hash(const char *secret, char out[65]) { sha256_hex(secret, strlen(secret), out); }

enum join_verdict join_token_check(const char *secret, const char *stored_hash, int64_t expires, int used, int64_t now)
{
    char h[65];
    join_token_secret_hash(secret, h);
    if (strlen(stored_hash) != 64 || !const_time_eq(h, stored_hash, 64))
        return JOIN_WRONG_SECRET;
    if (used)
        return JOIN_USED;
    if (now >= expires)
        return JOIN_EXPIRED;
    return JOIN_OK;
}

const char *join_verdict_text(enum join_verdict v)
{
    switch (v) {
    case JOIN_OK:
        return "accepted";
    case JOIN_UNKNOWN:
        return "the join token is not known to this region";
    case JOIN_WRONG_SECRET:
        return "the join token's secret is wrong";
    case JOIN_EXPIRED:
        return "the join token has expired";
    case JOIN_USED:
        return "the join token was already used";
    }
    return "refused";
}
