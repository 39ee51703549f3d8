/*
 * host_net: makes this host's Linux networking match a plan (plan.c). Per VPC:
 *
 *   taps yt-XXXXXXXX ──┐                      router namespace yv-SSSSSSSS
 *   (one per NIC)      ├─ bridge yv-SSSSSSSS ── yv-S-r ═ gw0  (every subnet's gateway .1)
 *                      │                                 up0 ═ yv-S-u  (100.64.x.y/30 transit to the host)
 *
 * Subnets of a VPC share its bridge and route through the namespace; VPCs are isolated by having
 * nothing in common (overlapping CIDRs are fine). The namespace masquerades VPC traffic to its
 * transit address and maps EIPs (DNAT in, SNAT out); the host routes each EIP to the namespace and,
 * with an uplink, masquerades transit addresses out of it.
 *
 * Security groups are enforced in the host namespace, on bridged traffic: the kernel here has
 * br_netfilter but no bridge-family conntrack, so a `bridge yun` chain tags each packet's mark with
 * its NIC ports (in: bits 16..30, out: bits 0..15, bit 31 = ours) and anti-spoofs, and the
 * `inet yun` forward chain (which br_netfilter feeds, with connection tracking per VPC zone) sends
 * the packet through the sender's egress chain (ACCEPT = return) and the receiver's ingress chain.
 * Policies apply in order, the first match decides, no match drops; replies pass.
 *
 * Commands run as argument vectors (fork/exec of ip and nft, no shell); every value put into an
 * nft script is re-formatted from a parsed integer or checked against [a-z0-9-], never copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/network.h"

#define MARK_OURS       0x80000000u
#define TRANSIT_BASE    0x64400000u /* 100.64.0.0/10, /30 per VPC slot */
#define MAX_SLOT        32000       /* conntrack zones: slot for guest legs, slot + ZONE_ROUTER_LEG for router legs */
#define ZONE_ROUTER_LEG 32768
#define MARK_ROUTER_LEG 0x40000000u

/* ---- running commands ---- */

#define run run_command /* core/process.c */

#define RUN(err, errlen, ...) run((char *const[]){__VA_ARGS__, NULL}, NULL, NULL, 0, err, errlen)
#define QUIET(...)                                                                                                     \
    do {                                                                                                               \
        char ignored_[256];                                                                                            \
        run((char *const[]){__VA_ARGS__, NULL}, NULL, NULL, 0, ignored_, sizeof ignored_);                             \
    } while (0)

static int link_exists(const char *dev)
{
    char e[64];
    return RUN(e, sizeof e, "ip", "link", "show", "dev", (char *)dev) == 0;
}

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

/* ---- the plan, checked and indexed ---- */

struct vpc_state {
    const char *vpc_id;
    char tail[9];
    char bridge[16], router_port[16], uplink_port[16], netns[16];
    int slot;
    uint32_t transit; /* host side; the namespace side is transit + 1 */
    struct cidr block;
};

static int safe_tail(const char *id, char tail[9])
{
    size_t n = id ? strlen(id) : 0;
    if (n < 8)
        return -1;
    for (const char *p = id + n - 8; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return -1;
    memcpy(tail, id + n - 8, 9);
    return 0;
}

static int device_ok(const char *d)
{
    size_t n = d ? strlen(d) : 0;
    if (n < 4 || n > 15 || strncmp(d, "yt-", 3) != 0)
        return 0;
    for (size_t i = 3; i < n; i++)
        if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= '0' && d[i] <= '9') || d[i] == '-'))
            return 0;
    return 1;
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

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static struct vpc_state *find_vpc(struct vpc_state *v, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].vpc_id, id) == 0)
            return &v[i];
    return NULL;
}

/* Stable per-VPC slot (transit /30 and conntrack zone), probing past collisions in id order. */
static void assign_slots(struct vpc_state *v, int n)
{
    for (int i = 0; i < n; i++) {
        int slot = (int)(hash_fnv1a(v[i].vpc_id) % MAX_SLOT) + 1;
        for (int again = 1; again;) {
            again = 0;
            for (int j = 0; j < i; j++)
                if (v[j].slot == slot) {
                    slot = slot % MAX_SLOT + 1;
                    again = 1;
                }
        }
        v[i].slot = slot;
        v[i].transit = TRANSIT_BASE + (uint32_t)slot * 4 + 1;
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

/* ---- applying ---- */

static int ns_run(const char *ns, char *err, size_t errlen, char *const argv[])
{
    char *full[24] = {"ip", "netns", "exec", (char *)ns};
    int i = 0;
    for (; argv[i] && i < 19; i++)
        full[4 + i] = argv[i];
    full[4 + i] = NULL;
    return run(full, NULL, NULL, 0, err, errlen);
}
#define NS(ns, err, errlen, ...) ns_run(ns, err, errlen, (char *const[]){__VA_ARGS__, NULL})

/* IPv6 is not a feature yet: yun's devices in the host namespace carry no IPv6 address, so a guest
 * cannot reach the host over link-local (the bridge is the guest's layer-2 neighbour). */
static int host_ipv6_off(const char *dev, char *err, size_t errlen)
{
    char path[96];
    if (access("/proc/sys/net/ipv6/conf", F_OK) != 0)
        return 0; /* a kernel without IPv6 */
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int ok = fd >= 0 && write(fd, "1", 1) == 1;
    if (!ok)
        snprintf(err, errlen, "cannot disable IPv6 on %s: %s", dev, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok ? 0 : -1;
}

/* Makes the addresses of dev inside ns exactly `wanted` (CIDR texts), in one `ip -batch` at most. */
static int ns_addresses(const char *ns, const char *dev, char (*wanted)[20], size_t nwanted, char *err, size_t errlen)
{
    size_t cap = 65536;
    char *have = calloc(1, cap), e[64];
    if (!have) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *show[] = {"ip", "-n", (char *)ns, "-o", "-4", "addr", "show", "dev", (char *)dev, NULL};
    if (run(show, NULL, have, cap, e, sizeof e) != 0) {
        free(have);
        snprintf(err, errlen, "ip addr show %s in %s: %s", dev, ns, e);
        return -1;
    }
    struct buf batch = {0};
    char *present[NETWORK_MAX_SUBNETS_PER_VPC + 64];
    size_t npresent = 0;
    for (char *line = strtok(have, "\n"); line; line = strtok(NULL, "\n")) {
        char *inet = strstr(line, " inet ");
        if (!inet)
            continue;
        inet += 6;
        inet[strcspn(inet, " ")] = 0;
        int keep = 0;
        for (size_t k = 0; k < nwanted && !keep; k++)
            keep = strcmp(wanted[k], inet) == 0;
        if (!keep)
            add(&batch, "address del %s dev %s\n", inet, dev);
        else if (npresent < sizeof present / sizeof *present)
            present[npresent++] = inet;
    }
    for (size_t k = 0; k < nwanted; k++) {
        int found = 0;
        for (size_t j = 0; j < npresent && !found; j++)
            found = strcmp(present[j], wanted[k]) == 0;
        if (!found)
            add(&batch, "address replace %s dev %s\n", wanted[k], dev);
    }
    int rc = batch.oom ? -1 : 0;
    if (rc == 0 && batch.len)
        rc = run((char *const[]){"ip", "-n", (char *)ns, "-batch", "-", NULL}, batch.s, NULL, 0, err, errlen);
    free(batch.s);
    free(have);
    return rc;
}

static int netns_exists(const char *ns)
{
    char path[64];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    return access(path, F_OK) == 0;
}

static int apply_vpc(struct vpc_state *v, json_t *vpc, json_t *nics, char *err, size_t errlen)
{
    char a[40];
    if (!netns_exists(v->netns) && RUN(err, errlen, "ip", "netns", "add", v->netns) != 0)
        return -1;
    /* the namespace is yun's alone: no IPv6 on any of its devices, present (all) or future (default) */
    if (NS(v->netns, err, errlen, "ip", "link", "set", "lo", "up") != 0 ||
        NS(v->netns, err, errlen, "sysctl", "-qew", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
           "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1") != 0)
        return -1;
    if (!link_exists(v->bridge) && RUN(err, errlen, "ip", "link", "add", v->bridge, "type", "bridge") != 0)
        return -1;
    if (host_ipv6_off(v->bridge, err, errlen) != 0 || RUN(err, errlen, "ip", "link", "set", v->bridge, "up") != 0)
        return -1;
    /* The bridge lives in the host's namespace: it must never answer a guest's ARP with one of the
     * host's own addresses (a host holding 169.254.169.254 would steal the metadata traffic). */
    char arp[96];
    snprintf(arp, sizeof arp, "net.ipv4.conf.%s.arp_ignore=8", v->bridge);
    if (RUN(err, errlen, "sysctl", "-qw", arp) != 0)
        return -1;
    if (!link_exists(v->router_port) && RUN(err, errlen, "ip", "link", "add", v->router_port, "type", "veth", "peer",
                                            "name", "gw0", "netns", v->netns) != 0)
        return -1;
    if (host_ipv6_off(v->router_port, err, errlen) != 0 ||
        RUN(err, errlen, "ip", "link", "set", v->router_port, "master", v->bridge, "up") != 0 ||
        NS(v->netns, err, errlen, "ip", "link", "set", "gw0", "up") != 0 ||
        NS(v->netns, err, errlen, "sysctl", "-qw", "net.ipv4.conf.gw0.send_redirects=0") != 0)
        return -1;
    /* subnet gateways (every subnet of the VPC, up to its quota) and the metadata service's link-local
     * addresses, on which it answers guests inside the namespace */
    json_t *subnets = json_object_get(vpc, "Subnets");
    char(*wanted)[20] = calloc(json_array_size(subnets) + 2, sizeof *wanted);
    if (!wanted) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t nwanted = 0, i;
    snprintf(wanted[nwanted++], 20, "169.254.169.254/32");
    snprintf(wanted[nwanted++], 20, "169.254.0.23/32");
    json_t *s;
    json_array_foreach (subnets, i, s) {
        struct cidr c;
        if (cidr_parse(jstr(s, "CidrBlock"), &c) != 0 || !cidr_contains(&v->block, &c))
            continue;
        char gw[16];
        ip_format(subnet_gateway(&c), gw);
        snprintf(wanted[nwanted++], 20, "%s/%d", gw, c.prefix);
    }
    int grc = ns_addresses(v->netns, "gw0", wanted, nwanted, err, errlen);
    free(wanted);
    if (grc != 0)
        return -1;
    /* transit link to the host */
    char host_side[48], ns_side[24], ns_ip[16];
    ip_format(v->transit, a);
    snprintf(host_side, sizeof host_side, "%s/30", a);
    ip_format(v->transit + 1, ns_ip);
    snprintf(ns_side, sizeof ns_side, "%s/30", ns_ip);
    if (!link_exists(v->uplink_port) && RUN(err, errlen, "ip", "link", "add", v->uplink_port, "type", "veth", "peer",
                                            "name", "up0", "netns", v->netns) != 0)
        return -1;
    if (host_ipv6_off(v->uplink_port, err, errlen) != 0 ||
        RUN(err, errlen, "ip", "addr", "replace", host_side, "dev", v->uplink_port) != 0 ||
        RUN(err, errlen, "ip", "link", "set", v->uplink_port, "up") != 0 ||
        NS(v->netns, err, errlen, "ip", "addr", "replace", ns_side, "dev", "up0") != 0 ||
        NS(v->netns, err, errlen, "ip", "link", "set", "up0", "up") != 0 ||
        NS(v->netns, err, errlen, "ip", "route", "replace", "default", "via", a, "dev", "up0") != 0)
        return -1;
    /* EIPs: host routes to the namespace, NAT inside it */
    struct buf nat = {0};
    add(&nat, "table ip yun {}\ndelete table ip yun\ntable ip yun {\n"
              "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
    char routes[64][20];
    int nroutes = 0;
    json_t *nic;
    json_array_foreach (nics, i, nic) {
        uint32_t eip, pip;
        if (strcmp(jstr(nic, "VpcId"), v->vpc_id) != 0 || ip_parse(jstr(nic, "Eip"), &eip) != 0 ||
            ip_parse(jstr(nic, "Ip"), &pip) != 0)
            continue;
        char e[16], p[16];
        ip_format(eip, e);
        ip_format(pip, p);
        add(&nat, "\t\tiifname \"up0\" ip daddr %s dnat to %s\n", e, p);
        if (nroutes < 64)
            snprintf(routes[nroutes++], 20, "%s", e);
    }
    add(&nat, "\t}\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
    json_array_foreach (nics, i, nic) {
        uint32_t eip, pip;
        if (strcmp(jstr(nic, "VpcId"), v->vpc_id) != 0 || ip_parse(jstr(nic, "Eip"), &eip) != 0 ||
            ip_parse(jstr(nic, "Ip"), &pip) != 0)
            continue;
        char e[16], p[16];
        ip_format(eip, e);
        ip_format(pip, p);
        add(&nat, "\t\toifname \"up0\" ip saddr %s snat to %s\n", p, e);
    }
    char block[20];
    cidr_format(&v->block, block);
    add(&nat, "\t\toifname \"up0\" ip saddr %s masquerade\n\t}\n}\n", block);
    int rc = nat.oom ? -1
                     : run((char *const[]){"ip", "netns", "exec", v->netns, "nft", "-f", "-", NULL}, nat.s, NULL, 0,
                           err, errlen);
    free(nat.s);
    if (rc != 0)
        return -1;
    for (int k = 0; k < nroutes; k++)
        if (RUN(err, errlen, "ip", "route", "replace", routes[k], "via", ns_ip, "dev", v->uplink_port) != 0)
            return -1;
    /* routes for EIPs that moved away */
    char list[4096] = "";
    run((char *const[]){"ip", "-o", "-4", "route", "show", "dev", v->uplink_port, NULL}, NULL, list, sizeof list, a,
        sizeof a);
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char dst[40];
        if (sscanf(line, "%39s", dst) != 1 || !strstr(line, " via "))
            continue;
        int keep = 0;
        for (int k = 0; k < nroutes; k++)
            keep |= strcmp(routes[k], dst) == 0;
        if (!keep)
            QUIET("ip", "route", "del", dst, "dev", v->uplink_port);
    }
    return 0;
}

static int apply_nic(json_t *nic, struct vpc_state *v, char *err, size_t errlen)
{
    const char *dev = jstr(nic, "Device");
    if (!link_exists(dev) && RUN(err, errlen, "ip", "tuntap", "add", "dev", (char *)dev, "mode", "tap") != 0)
        return -1;
    if (host_ipv6_off(dev, err, errlen) != 0)
        return -1;
    return RUN(err, errlen, "ip", "link", "set", (char *)dev, "master", v->bridge, "up");
}

/* The host's nft state: anti-spoofing and port marks (bridge), zones and security groups (inet). */
static char *host_rules(struct vpc_state *v, int nv, json_t *nics, json_t *groups, const char *uplink)
{
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
    add(&b, " } ct state established,related accept\n\t\tiifname \"yv-*\" drop\n\t}\n");
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

/* Removes yv- devices, yt- devices on yv- bridges and yv- namespaces that the plan does not name. */
static void remove_stale(struct vpc_state *v, int nv, json_t *nics)
{
    char list[65536] = "", e[64];
    run((char *const[]){"ip", "-o", "link", "show", NULL}, NULL, list, sizeof list, e, sizeof e);
    char doomed[256][64];
    int nd = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        if (sscanf(line, "%*d: %63[^:@ ]", name) != 1 || (strncmp(name, "yv-", 3) != 0 && strncmp(name, "yt-", 3) != 0))
            continue;
        /* a NIC is ours only while it hangs on one of our bridges: taps of other components stay */
        if (strncmp(name, "yt-", 3) == 0 && !strstr(line, " master yv-"))
            continue;
        int keep = 0;
        for (int k = 0; k < nv && !keep; k++)
            keep = !strcmp(name, v[k].bridge) || !strcmp(name, v[k].router_port) || !strcmp(name, v[k].uplink_port);
        size_t i;
        json_t *nic;
        json_array_foreach (nics, i, nic)
            keep |= strcmp(name, jstr(nic, "Device")) == 0;
        if (!keep && nd < 256)
            snprintf(doomed[nd++], 64, "%s", name);
    }
    for (int k = 0; k < nd; k++)
        QUIET("ip", "link", "del", doomed[k]);
    list[0] = 0;
    run((char *const[]){"ip", "netns", "list", NULL}, NULL, list, sizeof list, e, sizeof e);
    nd = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        if (sscanf(line, "%63s", name) != 1 || strncmp(name, "yv-", 3) != 0)
            continue;
        int keep = 0;
        for (int k = 0; k < nv; k++)
            keep |= strcmp(name, v[k].netns) == 0;
        if (!keep && nd < 256)
            snprintf(doomed[nd++], 64, "%s", name);
    }
    for (int k = 0; k < nd; k++)
        QUIET("ip", "netns", "del", doomed[k]);
}

int host_net_apply(json_t *plan, char *err, size_t errlen)
{
    json_t *vpcs = json_object_get(plan, "Vpcs"), *nics = json_object_get(plan, "Nics"),
           *groups = json_object_get(plan, "SecurityGroups");
    const char *uplink = jstr(plan, "Uplink");
    size_t nv = json_array_size(vpcs), i;
    if (nv > 4096 || json_array_size(nics) > 32767) {
        snprintf(err, errlen, "plan too large");
        return -1;
    }
    if (*uplink &&
        (strlen(uplink) > 15 || strspn(uplink, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(uplink))) {
        snprintf(err, errlen, "bad uplink device name");
        return -1;
    }
    struct vpc_state *v = calloc(nv ? nv : 1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    json_t *vpc;
    json_array_foreach (vpcs, i, vpc) {
        struct vpc_state *s = &v[i];
        s->vpc_id = jstr(vpc, "VpcId");
        if (safe_tail(s->vpc_id, s->tail) != 0 || cidr_parse(jstr(vpc, "CidrBlock"), &s->block) != 0) {
            snprintf(err, errlen, "bad VPC in plan: %.40s", s->vpc_id);
            rc = -1;
            break;
        }
        snprintf(s->bridge, sizeof s->bridge, "yv-%s", s->tail);
        snprintf(s->netns, sizeof s->netns, "yv-%s", s->tail);
        snprintf(s->router_port, sizeof s->router_port, "yv-%s-r", s->tail);
        snprintf(s->uplink_port, sizeof s->uplink_port, "yv-%s-u", s->tail);
    }
    json_t *nic;
    json_array_foreach (nics, i, nic) {
        if (rc == 0 && (!device_ok(jstr(nic, "Device")) || !find_vpc(v, (int)nv, jstr(nic, "VpcId")))) {
            snprintf(err, errlen, "bad NIC in plan: %.20s", jstr(nic, "Device"));
            rc = -1;
        }
    }
    if (rc == 0) {
        assign_slots(v, (int)nv);
        remove_stale(v, (int)nv, nics);
        for (size_t k = 0; k < nv && rc == 0; k++)
            rc = apply_vpc(&v[k], json_array_get(vpcs, k), nics, err, errlen);
        json_array_foreach (nics, i, nic) {
            if (rc == 0)
                rc = apply_nic(nic, find_vpc(v, (int)nv, jstr(nic, "VpcId")), err, errlen);
        }
    }
    if (rc == 0) {
        char *rules = host_rules(v, (int)nv, nics, groups, uplink);
        rc = rules ? run((char *const[]){"nft", "-f", "-", NULL}, rules, NULL, 0, err, errlen) : -1;
        free(rules);
        if (rc == 0 && *uplink) {
            /* forwarding between the transit links and the uplink */
            int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
            if (fd < 0 || write(fd, "1", 1) != 1) {
                snprintf(err, errlen, "cannot enable ip_forward: %s", strerror(errno));
                rc = -1;
            }
            if (fd >= 0)
                close(fd);
        }
    }
    free(v);
    return rc;
}

int host_net_teardown(char *err, size_t errlen)
{
    json_t *empty = json_pack("{s:[],s:[],s:[]}", "Vpcs", "Nics", "SecurityGroups");
    int rc = host_net_apply(empty, err, errlen);
    json_decref(empty);
    return rc;
}
