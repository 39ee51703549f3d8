/*
 * cidr: IPv4 addresses, prefixes and the port specs of security-group policies. Pure functions
 * over host-order integers so that the rules (containment, overlap, reserved addresses) are
 * stated once and tested by table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network.h"

/* Parses a decimal in [0, max] with no sign, no leading zeros (except "0"), no spaces. */
static int parse_dec(const char **p, long max, long *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    long v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (digits > 0 && v == 0)
            return -1; /* leading zero */
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
        s++;
        digits++;
    }
    *out = v;
    *p = s;
    return 0;
}

static int parse_quad(const char **p, uint32_t *out)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        long octet;
        if (i > 0) {
            if (**p != '.')
                return -1;
            (*p)++;
        }
        if (parse_dec(p, 255, &octet) != 0)
            return -1;
        a = (a << 8) | (uint32_t)octet;
    }
    *out = a;
    return 0;
}

int ip_parse(const char *s, uint32_t *out)
{
    if (!s)
        return -1;
    const char *p = s;
    if (parse_quad(&p, out) != 0 || *p)
        return -1;
    return 0;
}

void ip_format(uint32_t a, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

uint32_t cidr_mask(int prefix) { return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1); }

int cidr_parse(const char *s, struct cidr *out)
{
    if (!s)
        return -1;
    const char *p = s;
    uint32_t a;
    long prefix;
    if (parse_quad(&p, &a) != 0 || *p != '/')
        return -1;
    p++;
    if (parse_dec(&p, 32, &prefix) != 0 || *p)
        return -1;
    if (a & ~cidr_mask((int)prefix))
        return -1; /* host bits set: 10.0.0.1/16 is not a network */
    out->addr = a;
    out->prefix = (int)prefix;
    return 0;
}

void cidr_format(const struct cidr *c, char out[20])
{
    char ip[16];
    ip_format(c->addr, ip);
    snprintf(out, 20, "%s/%d", ip, c->prefix);
}

uint64_t cidr_size(const struct cidr *c) { return (uint64_t)1 << (32 - c->prefix); }

int cidr_contains_ip(const struct cidr *c, uint32_t ip) { return (ip & cidr_mask(c->prefix)) == c->addr; }

int cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
    return inner->prefix >= outer->prefix && cidr_contains_ip(outer, inner->addr);
}

int cidr_overlaps(const struct cidr *a, const struct cidr *b) { return cidr_contains(a, b) || cidr_contains(b, a); }

int cidr_is_private_block(const struct cidr *c)
{
    static const struct cidr private_blocks[] = {
        {0x0a000000u, 8},  /* 10.0.0.0/8 */
        {0xac100000u, 12}, /* 172.16.0.0/12 */
        {0xc0a80000u, 16}, /* 192.168.0.0/16 */
    };
    if (c->prefix < NETWORK_MIN_PREFIX || c->prefix > NETWORK_MAX_PREFIX)
        return 0;
    for (size_t i = 0; i < sizeof private_blocks / sizeof private_blocks[0]; i++)
        if (cidr_contains(&private_blocks[i], c))
            return 1;
    return 0;
}

uint32_t subnet_gateway(const struct cidr *subnet) { return subnet->addr + 1; }

int subnet_ip_reserved(const struct cidr *subnet, uint32_t ip)
{
    uint32_t last = subnet->addr | ~cidr_mask(subnet->prefix);
    return ip == subnet->addr || ip == subnet_gateway(subnet) || ip == last;
}

int64_t subnet_usable_count(const struct cidr *subnet)
{
    int64_t n = (int64_t)cidr_size(subnet) - 3;
    return n > 0 ? n : 0;
}

int cidr_parse_peer(const char *s, struct cidr *out)
{
    uint32_t a;
    if (ip_parse(s, &a) == 0) {
        out->addr = a;
        out->prefix = 32;
        return 0;
    }
    /* "0.0.0.0/n" means everything, whatever n (the API's documented mapping) */
    const char *slash = s ? strchr(s, '/') : NULL;
    if (slash && (size_t)(slash - s) == 7 && strncmp(s, "0.0.0.0", 7) == 0) {
        const char *p = slash + 1;
        long prefix;
        if (parse_dec(&p, 32, &prefix) != 0 || *p)
            return -1;
        out->addr = 0;
        out->prefix = 0;
        return 0;
    }
    return cidr_parse(s, out);
}

int port_spec_parse(const char *s, struct port_range *out, int max)
{
    if (!s || !*s)
        return -1;
    if (strcmp(s, "all") == 0 || strcmp(s, "ALL") == 0)
        return 0;
    int n = 0;
    const char *p = s;
    for (;;) {
        long lo, hi;
        if (parse_dec(&p, 65535, &lo) != 0)
            return -1;
        if (lo == 0)
            return -1;
        hi = lo;
        if (*p == '-') {
            p++;
            if (parse_dec(&p, 65535, &hi) != 0 || hi < lo)
                return -1;
        }
        if (n >= max)
            return -1;
        out[n].lo = (int)lo;
        out[n].hi = (int)hi;
        n++;
        if (*p == 0)
            break;
        /* a range cannot be part of a list, as in the API ("80,443" or "8000-9000") */
        if (*p != ',' || hi != lo)
            return -1;
        p++;
    }
    for (int i = 0; i < n; i++)
        if (n > 1 && out[i].lo != out[i].hi)
            return -1;
    return n;
}
