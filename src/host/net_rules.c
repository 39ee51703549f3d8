/*
 * net_rules: the nftables rulesets of a plan, as text for one atomic batch each (nft.c).
 *
 * Security groups are enforced in the host namespace, on bridged traffic: the kernel here has
 * br_netfilter but no bridge-family conntrack, so a `bridge yun` chain tags each packet's mark with
 * its NIC ports (in: bits 16..30, out: bits 0..15, bit 31 = ours) and anti-spoofs, and the
 * `inet yun` forward chain (which br_netfilter feeds, with connection tracking per VPC zone) sends
 * the packet through the sender's egress chain (ACCEPT = return) and the receiver's ingress chain.
 * Policies apply in order, the first match decides, no match drops; replies pass. Each router
 * namespace has its own `ip yun` table: EIPs (DNAT in, SNAT out) and masquerade to its transit address;
 * with an uplink, the host masquerades transit addresses out of it.
 *
 * Every value put into a script is re-formatted from a parsed integer or checked against [a-z0-9-]
 * (net_plan.c), never copied.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/host_channel.h"
#include "host/net_int.h"

#define jstr net_jstr

/* ---- a growable string for nft scripts ---- */
struct buf {
    char *s;
    size_t len, cap;
    int oom;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 8192) + (size_t)n;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* ---- nft rules of one security group policy ---- */

static void add_policy_rule(struct buf *b, json_t *p, int ingress, json_t *groups, const char *vpc_id)
{
    const char *proto = jstr(p, "Protocol"), *port = jstr(p, "Port"), *cidr = jstr(p, "CidrBlock"),
               *peer = jstr(p, "SecurityGroupId");
    const char *verdict = strcmp(jstr(p, "Action"), "ACCEPT") == 0 ? (ingress ? "accept" : "return") : "drop";
    const char *dir = ingress ? "saddr" : "daddr";
    struct buf m = {0};
    if (strcmp(proto, "ICMPv6") == 0)
        return; /* IPv4 only here */
    if (*cidr) {
        struct cidr c;
        if (cidr_parse_peer(cidr, &c) != 0)
            return;
        if (c.prefix > 0) {
            char t[20];
            cidr_format(&c, t);
            add(&m, "ip %s %s ", dir, t);
        }
    } else if (*peer) {
        json_t *g = NULL, *x;
        size_t i;
        json_array_foreach (groups, i, x) {
            if (strcmp(jstr(x, "SecurityGroupId"), peer) == 0)
                g = x;
        }
        int n = 0;
        json_array_foreach (json_object_get(g, "Members"), i, x) {
            uint32_t a;
            if (strcmp(jstr(x, "VpcId"), vpc_id) != 0 || ip_parse(jstr(x, "Ip"), &a) != 0)
                continue;
            char t[16];
            ip_format(a, t);
            add(&m, "%s%s", n++ ? ", " : "{ ", t);
        }
        if (n == 0) {
            free(m.s);
            return; /* an empty group matches nothing */
        }
        char *set = m.s;
        m = (struct buf){0};
        add(&m, "ip %s %s } ", dir, set);
        free(set);
    } else {
        return;
    }
    if (strcmp(proto, "TCP") == 0 || strcmp(proto, "UDP") == 0) {
        const char *l4 = strcmp(proto, "TCP") == 0 ? "tcp" : "udp";
        struct port_range r[64];
        int n = port_spec_parse(port, r, 64);
        if (n < 0) {
            free(m.s);
            return;
        }
        add(&m, "meta l4proto %s ", l4);
        if (n == 1)
            add(&m, r[0].lo == r[0].hi ? "th dport %d " : "th dport %d-%d ", r[0].lo, r[0].hi);
        else if (n > 1) {
            add(&m, "th dport { ");
            for (int i = 0; i < n; i++)
                add(&m, "%s%d", i ? ", " : "", r[i].lo);
            add(&m, " } ");
        }
    } else if (strcmp(proto, "ICMP") == 0) {
        add(&m, "meta l4proto icmp ");
    } else if (strcmp(proto, "GRE") == 0) {
        add(&m, "meta l4proto gre ");
    } else if (strcmp(proto, "ALL") != 0) {
        free(m.s);
        return;
    }
    add(b, "\t\t%s%s\n", m.s ? m.s : "", verdict);
    free(m.s);
}

static void add_nic_chains(struct buf *b, int idx, json_t *nic, json_t *groups)
{
    json_t *sgs = json_object_get(nic, "SecurityGroupIds");
    const char *vpc_id = jstr(nic, "VpcId");
    for (int ingress = 0; ingress < 2; ingress++) {
        add(b, "\tchain %s_%d {\n", ingress ? "in" : "out", idx);
        if (json_array_size(sgs) == 0) {
            add(b, "\t\t%s\n", ingress ? "drop" : "return"); /* no group: egress open, ingress closed */
        } else {
            size_t i;
            json_t *sg;
            json_array_foreach (sgs, i, sg) {
                json_t *g = NULL, *x;
                size_t j;
                json_array_foreach (groups, j, x) {
                    if (strcmp(jstr(x, "SecurityGroupId"), json_string_value(sg) ? json_string_value(sg) : "") == 0)
                        g = x;
                }
                json_array_foreach (json_object_get(g, ingress ? "Ingress" : "Egress"), j, x)
                    add_policy_rule(b, x, ingress, groups, vpc_id);
            }
            add(b, "\t\tdrop\n");
        }
        add(b, "\t}\n");
    }
}

/* A router namespace's table: EIPs mapped to their guests (DNAT in, SNAT out), the rest of the VPC
 * masqueraded to the transit address. */
char *net_rules_vpc(const struct net_plan *pl, const struct vpc_state *v)
{
    struct buf nat = {0};
    add(&nat, "table ip yun {}\ndelete table ip yun\ntable ip yun {\n"
              "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
    size_t i;
    json_t *nic;
    for (int snat = 0; snat < 2; snat++) {
        if (snat)
            add(&nat, "\t}\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        json_array_foreach (pl->nics, i, nic) {
            uint32_t eip, pip;
            if (strcmp(jstr(nic, "VpcId"), v->vpc_id) != 0 || ip_parse(jstr(nic, "Eip"), &eip) != 0 ||
                ip_parse(jstr(nic, "Ip"), &pip) != 0)
                continue;
            char e[16], p[16];
            ip_format(eip, e);
            ip_format(pip, p);
            if (snat)
                add(&nat, "\t\toifname \"up0\" ip saddr %s snat to %s\n", p, e);
            else
                add(&nat, "\t\tiifname \"up0\" ip daddr %s dnat to %s\n", e, p);
        }
    }
    char block[20];
    cidr_format(&v->block, block);
    add(&nat, "\t\toifname \"up0\" ip saddr %s masquerade\n\t}\n}\n", block);
    if (nat.oom) {
        free(nat.s);
        return NULL;
    }
    return nat.s;
}

static int mac_ok(const char *m)
{
    if (!m || strlen(m) != 17)
        return 0;
    for (int i = 0; i < 17; i++) {
        char c = m[i];
        if (i % 3 == 2 ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

/* The host's nft state: anti-spoofing and port marks (bridge), zones and security groups (inet). */
char *net_rules_host(const struct net_plan *p)
{
    const struct vpc_state *v = p->v;
    int nv = p->nv;
    json_t *nics = p->nics, *groups = p->groups;
    const char *uplink = p->uplink;
    struct buf b = {0};
    add(&b, "table bridge yun {}\ndelete table bridge yun\ntable inet yun {}\ndelete table inet yun\n");
    if (nv == 0)
        return b.s; /* nothing of ours on this host: the tables go */
    /* Traffic between subnets crosses the VPC bridge twice (guest -> router, router -> guest) with the
     * same addresses; one conntrack zone for both legs saw the second as out of window and dropped it
     * as invalid (TCP stalled after a few KiB). Frames from the router port are tagged here, before
     * conntrack, and tracked in their own zone. */
    add(&b,
        "table bridge yun {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority -300; policy accept;\n");
    for (int k = 0; k < nv; k++)
        add(&b, "\t\tiifname \"%s\" meta mark set 0x%08x\n", v[k].router_port, MARK_ROUTER_LEG);
    /* a guest speaks IPv4 and ARP only, to whoever it is (the other guests, the router, the host
     * behind the bridge): IPv6 would pass no security group and no anti-spoofing */
    size_t i;
    json_t *nic;
    json_array_foreach (nics, i, nic)
        add(&b, "\t\tiifname \"%s\" ether type != { ip, arp } drop\n", jstr(nic, "Device"));
    add(&b, "\t}\n");
    add(&b, "\tchain forward {\n\t\ttype filter hook forward priority -200; policy accept;\n"
            "\t\tiifname \"yt-*\" meta mark set 0\n\t\tiifname \"yv-*\" meta mark set 0\n");
    json_array_foreach (nics, i, nic) {
        int idx = (int)i + 1;
        uint32_t ip;
        const char *dev = jstr(nic, "Device"), *mac = jstr(nic, "Mac");
        if (ip_parse(jstr(nic, "Ip"), &ip) != 0)
            continue;
        char a[16];
        ip_format(ip, a);
        if (mac_ok(mac))
            add(&b, "\t\tiifname \"%s\" ether saddr != %s drop\n", dev, mac);
        add(&b, "\t\tiifname \"%s\" ether type arp arp saddr ip != %s drop\n", dev, a);
        add(&b, "\t\tiifname \"%s\" ether type ip ip saddr != { %s, 0.0.0.0 } drop\n", dev, a);
        add(&b, "\t\tiifname \"%s\" meta mark set 0x%08x\n", dev, MARK_OURS | ((uint32_t)idx << 16));
        add(&b, "\t\toifname \"%s\" meta mark set meta mark or 0x%08x\n", dev, MARK_OURS | (uint32_t)idx);
    }
    add(&b, "\t}\n}\n");
    add(&b, "table inet yun {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority raw; policy accept;\n");
    for (int k = 0; k < nv; k++)
        add(&b, "\t\tiifname \"%s\" ct zone set %d\n\t\tiifname \"%s\" meta mark and 0x%08x == 0x%08x ct zone set %d\n",
            v[k].bridge, v[k].slot, v[k].bridge, MARK_ROUTER_LEG, MARK_ROUTER_LEG, v[k].slot + ZONE_ROUTER_LEG);
    /* The host serves nothing to guests: what yun offers them (gateways, metadata) lives in the router
     * namespaces. Whatever arrives on a bridge (a guest's frame to the bridge's own MAC), a tap or a
     * transit link for one of the host's own addresses (transit, LAN, any other) is dropped, except
     * replies to what the host itself started (SSH to an EIP). Bridges and ports are all yv-*, the
     * prefix yun owns; taps are listed, for the moment before they join their bridge. */
    add(&b, "\t}\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n");
    if (json_array_size(nics)) {
        add(&b, "\t\tiifname {");
        json_array_foreach (nics, i, nic)
            add(&b, "%s \"%s\"", i ? "," : "", jstr(nic, "Device"));
        add(&b, " } drop\n");
    }
    add(&b, "\t\tiifname {");
    for (int k = 0; k < nv; k++)
        add(&b, "%s \"%s\"", k ? "," : "", v[k].uplink_port);
    add(&b, " } ct state established,related accept\n\t\tiifname \"yv-*\" drop\n");
    /* VXLAN (the VPCs' overlay, UDP 4789 on every address of the host) only from the hosts the plan names
     * as remotes: anyone else on the underlay could otherwise put frames into a VPC by its VNI */
    int nremote = 0;
    size_t total = 1;
    for (int k = 0; k < nv; k++)
        total += json_array_size(json_object_get(v[k].doc, "Remotes"));
    uint32_t *seen = malloc(sizeof *seen * total);
    for (int k = 0; seen && k < nv; k++) {
        size_t r;
        json_t *rem;
        json_array_foreach (json_object_get(v[k].doc, "Remotes"), r, rem) {
            uint32_t ip;
            int dup = 0;
            if (ip_parse(jstr(rem, "Ip"), &ip) != 0)
                continue;
            for (int j = 0; j < nremote && !dup; j++)
                dup = seen[j] == ip;
            if (dup)
                continue;
            char t[16];
            ip_format(ip, t);
            add(&b, "%s%s", nremote ? ", " : "\t\tudp dport 4789 ip saddr != { ", t);
            seen[nremote++] = ip;
        }
    }
    if (!seen)
        b.oom = 1;
    free(seen);
    add(&b, nremote ? " } drop\n" : "\t\tudp dport 4789 drop\n");
    /* yun's migration ports (NBD and the migration stream, not encrypted yet) take connections only from the
     * source of a migration the plan names, on that migration's pair; every other connection is refused */
    json_t *m;
    json_array_foreach (p->migrations, i, m) {
        uint32_t from;
        json_t *ports = json_object_get(m, "Ports");
        if (ip_parse(jstr(m, "From"), &from) != 0)
            continue;
        char t[16];
        ip_format(from, t);
        add(&b, "\t\tip saddr %s tcp dport { %d, %d } accept\n", t, (int)json_integer_value(json_array_get(ports, 0)),
            (int)json_integer_value(json_array_get(ports, 1)));
    }
    add(&b, "\t\ttcp dport %d-%d reject with tcp reset\n\t}\n", HOST_MIGRATE_PORT_FIRST,
        HOST_MIGRATE_PORT_FIRST + 2 * HOST_MIGRATE_PAIRS - 1);
    /* nor do the router namespaces serve anything on their transit side (to guests of other VPCs, to
     * the LAN); replies to their masqueraded traffic come back to that address */
    add(&b,
        "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tct state new ip daddr {");
    for (int k = 0; k < nv; k++) {
        char t[16];
        ip_format(v[k].transit + 1, t);
        add(&b, "%s %s", k ? "," : "", t);
    }
    add(&b,
        " } drop\n"
        "\t\tmeta mark and 0x%08x == 0 accept\n"
        "\t\tct state established,related accept\n\t\tct state invalid drop\n"
        /* the metadata service is not the customer's traffic: security groups do not filter it
         * (as in the real cloud), so a group without egress rules still lets a guest boot */
        "\t\tip daddr { 169.254.169.254, 169.254.0.23 } tcp dport 80 accept\n",
        MARK_OURS);
    if (json_array_size(nics)) {
        add(&b, "\t\tmeta mark and 0x7fff0000 vmap {");
        json_array_foreach (nics, i, nic)
            add(&b, "%s 0x%08x : jump out_%zu", i ? "," : "", (unsigned)((i + 1) << 16), i + 1);
        add(&b, " }\n\t\tmeta mark and 0x0000ffff vmap {");
        json_array_foreach (nics, i, nic)
            add(&b, "%s 0x%08x : jump in_%zu", i ? "," : "", (unsigned)(i + 1), i + 1);
        add(&b, " }\n");
    }
    add(&b, "\t}\n");
    json_array_foreach (nics, i, nic)
        add_nic_chains(&b, (int)i + 1, nic, groups);
    /* A VPC's private addresses exist only inside it: the host reaches a guest through its EIP or
     * from the router namespace. Without this, a connection from the host to a private address
     * follows the default route and hangs until it times out; refused at once, the user is told. */
    add(&b, "\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n");
    for (int k = 0; k < nv; k++) {
        int seen = 0;
        for (int j = 0; j < k && !seen; j++)
            seen = v[j].block.addr == v[k].block.addr && v[j].block.prefix == v[k].block.prefix;
        if (seen)
            continue;
        char net[16];
        ip_format(v[k].block.addr, net);
        add(&b, "\t\toifname != \"yv-*\" ip daddr %s/%d reject with icmp type host-unreachable\n", net,
            v[k].block.prefix);
    }
    add(&b, "\t}\n");
    if (uplink && *uplink)
        add(&b,
            "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
            "\t\toifname \"%s\" ip saddr 100.64.0.0/10 masquerade\n\t}\n",
            uplink);
    add(&b, "}\n");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
