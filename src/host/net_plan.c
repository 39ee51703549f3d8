/*
 * net_plan: the plan document, checked and indexed, and what each namespace should hold. Per VPC:
 *
 *   taps yt-XXXXXXXX ──┐                      router namespace yv-SSSSSSSS
 *   (one per NIC)      ├─ bridge yv-SSSSSSSS ── yv-S-r ═ gw0  (every subnet's gateway .1)
 *                      │                                 up0 ═ yv-S-u  (100.64.x.y/30 transit to the host)
 *
 * A VPC with a Vni also has a vxlan link yv-SSSSSSSS-x (that id, UDP 4789, no learning, MTU 1450) on its
 * bridge: its overlay to the other hosts carrying the VPC. The plan's Remotes (each another host's underlay
 * address and the NICs there) become static forwarding entries (00:00:00:00:00:00 -> every remote, for
 * broadcast and unknown unicast; each remote NIC's MAC -> its host) and permanent neighbours on the vxlan
 * link, which answers ARP for them itself (proxy): no flooding, no learning.
 *
 * Subnets of a VPC share its bridge and route through the namespace; VPCs are isolated by having
 * nothing in common (overlapping CIDRs are fine). The namespace masquerades VPC traffic to its
 * transit address and maps EIPs (DNAT in, SNAT out); the host routes each EIP to the namespace and, with an
 * uplink, publishes it there: a proxy neighbour (the host answers ARP for the EIP on the uplink), announced by a
 * gratuitous ARP when it is made (a launch, AssociateAddress, a migration's arrival).
 *
 * The document comes from the control plane, which may one day be another machine: every name that
 * reaches the kernel is built here from a checked tail ([a-z0-9]{8}) or checked against [a-z0-9-].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/host_channel.h"
#include "core/core.h"
#include "host/net_int.h"

const char *net_jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

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

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int net_mac_parse(const char *s, uint8_t mac[6])
{
    if (!s || strlen(s) != 17)
        return -1;
    for (int i = 0; i < 6; i++) {
        int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* A unicast IPv4 address another host can be reached at: not 0/8, loopback, multicast or broadcast. */
static int underlay_ok(uint32_t a)
{
    return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) != 0xe && (a >> 28) != 0xf;
}

/* A VPC's Vni and Remotes: the id in range and unique in the plan, each remote a distinct unicast address
 * (not this host's), each remote NIC a unicast MAC and an address inside the VPC. *nfdb counts entries. */
static int check_overlay(const struct net_plan *p, struct vpc_state *s, json_t *vpc, int *nfdb, char *err,
                         size_t errlen)
{
    json_t *vni = json_object_get(vpc, "Vni"), *remotes = json_object_get(vpc, "Remotes");
    if (!vni && !remotes)
        return 0;
    if (!json_is_integer(vni) || json_integer_value(vni) < 1 || json_integer_value(vni) > MAX_VNI) {
        snprintf(err, errlen, "bad Vni of VPC %.40s", s->vpc_id);
        return -1;
    }
    s->vni = (uint32_t)json_integer_value(vni);
    for (const struct vpc_state *o = p->v; o < s; o++)
        if (o->vni == s->vni) {
            snprintf(err, errlen, "Vni %u of VPC %.40s is not unique", s->vni, s->vpc_id);
            return -1;
        }
    if (remotes && (!json_is_array(remotes) || json_array_size(remotes) > MAX_REMOTES)) {
        snprintf(err, errlen, "bad Remotes of VPC %.40s", s->vpc_id);
        return -1;
    }
    size_t i, k;
    json_t *r, *n;
    json_array_foreach (remotes, i, r) {
        uint32_t ip, other;
        json_t *nics = json_object_get(r, "Nics");
        if (ip_parse(net_jstr(r, "Ip"), &ip) != 0 || !underlay_ok(ip) || ip == p->underlay ||
            (nics && !json_is_array(nics))) {
            snprintf(err, errlen, "bad remote %.20s of VPC %.40s", net_jstr(r, "Ip"), s->vpc_id);
            return -1;
        }
        for (k = 0; k < i; k++)
            if (ip_parse(net_jstr(json_array_get(remotes, k), "Ip"), &other) == 0 && other == ip) {
                snprintf(err, errlen, "remote %.20s twice in VPC %.40s", net_jstr(r, "Ip"), s->vpc_id);
                return -1;
            }
        *nfdb += 1 + (int)json_array_size(nics);
        if (*nfdb > MAX_FDB) {
            snprintf(err, errlen, "plan too large");
            return -1;
        }
        json_array_foreach (nics, k, n) {
            uint8_t mac[6];
            uint32_t a;
            if (net_mac_parse(net_jstr(n, "Mac"), mac) != 0 || (mac[0] & 1) ||
                !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) || ip_parse(net_jstr(n, "Ip"), &a) != 0 ||
                !cidr_contains(&s->block, &(struct cidr){a, 32})) {
                snprintf(err, errlen, "bad remote NIC %.20s of VPC %.40s", net_jstr(n, "Mac"), s->vpc_id);
                return -1;
            }
        }
    }
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

struct vpc_state *net_plan_vpc(const struct net_plan *p, const char *vpc_id)
{
    for (int i = 0; i < p->nv; i++)
        if (strcmp(p->v[i].vpc_id, vpc_id) == 0)
            return &p->v[i];
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

int net_plan_load(json_t *doc, struct net_plan *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->vpcs = json_object_get(doc, "Vpcs");
    p->nics = json_object_get(doc, "Nics");
    p->groups = json_object_get(doc, "SecurityGroups");
    p->uplink = net_jstr(doc, "Uplink");
    size_t nv = json_array_size(p->vpcs), i;
    if (nv > 4096 || json_array_size(p->nics) > 32767) {
        snprintf(err, errlen, "plan too large");
        return -1;
    }
    if (*p->uplink &&
        (strlen(p->uplink) > 15 || strspn(p->uplink, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(p->uplink))) {
        snprintf(err, errlen, "bad uplink device name");
        return -1;
    }
    const char *underlay = net_jstr(doc, "Underlay");
    if (*underlay && (ip_parse(underlay, &p->underlay) != 0 || !underlay_ok(p->underlay))) {
        snprintf(err, errlen, "bad underlay address");
        return -1;
    }
    /* live migrations coming here: each from one host's address, to a pair of yun's migration ports */
    p->migrations = json_object_get(doc, "Migrations");
    if (p->migrations && (!json_is_array(p->migrations) || json_array_size(p->migrations) > HOST_MIGRATE_PAIRS)) {
        snprintf(err, errlen, "bad Migrations");
        return -1;
    }
    json_t *m;
    json_array_foreach (p->migrations, i, m) {
        uint32_t from;
        json_t *ports = json_object_get(m, "Ports");
        int ok = ip_parse(net_jstr(m, "From"), &from) == 0 && underlay_ok(from) && json_array_size(ports) == 2;
        for (size_t k = 0; ok && k < 2; k++) {
            json_int_t port = json_integer_value(json_array_get(ports, k));
            ok = json_is_integer(json_array_get(ports, k)) && port >= HOST_MIGRATE_PORT_FIRST &&
                 port < HOST_MIGRATE_PORT_FIRST + 2 * HOST_MIGRATE_PAIRS;
        }
        if (!ok) {
            snprintf(err, errlen, "bad migration %zu of the plan", i);
            return -1;
        }
    }
    p->v = calloc(nv ? nv : 1, sizeof *p->v);
    if (!p->v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->nv = (int)nv;
    json_t *vpc, *nic;
    int nfdb = 0;
    json_array_foreach (p->vpcs, i, vpc) {
        struct vpc_state *s = &p->v[i];
        s->doc = vpc;
        s->vpc_id = net_jstr(vpc, "VpcId");
        if (safe_tail(s->vpc_id, s->tail) != 0 || cidr_parse(net_jstr(vpc, "CidrBlock"), &s->block) != 0 ||
            net_plan_vpc(&(struct net_plan){.v = p->v, .nv = (int)i}, s->vpc_id)) {
            snprintf(err, errlen, "bad VPC in plan: %.40s", s->vpc_id);
            net_plan_free(p);
            return -1;
        }
        snprintf(s->bridge, sizeof s->bridge, "yv-%s", s->tail);
        snprintf(s->netns, sizeof s->netns, "yv-%s", s->tail);
        snprintf(s->router_port, sizeof s->router_port, "yv-%s-r", s->tail);
        snprintf(s->uplink_port, sizeof s->uplink_port, "yv-%s-u", s->tail);
        snprintf(s->vxlan, sizeof s->vxlan, "yv-%s-x", s->tail);
        if (check_overlay(p, s, vpc, &nfdb, err, errlen) != 0) {
            net_plan_free(p);
            return -1;
        }
    }
    json_array_foreach (p->nics, i, nic) {
        if (!device_ok(net_jstr(nic, "Device")) || !net_plan_vpc(p, net_jstr(nic, "VpcId"))) {
            snprintf(err, errlen, "bad NIC in plan: %.20s", net_jstr(nic, "Device"));
            net_plan_free(p);
            return -1;
        }
    }
    assign_slots(p->v, p->nv);
    return 0;
}

void net_plan_free(struct net_plan *p)
{
    free(p->v);
    p->v = NULL;
    p->nv = 0;
}

/* ---- what a namespace should hold ---- */

#define GROW(w, arr, n)                                                                                                \
    do {                                                                                                               \
        if (((n) & ((n) + 1)) == 0 || (n) == 0) { /* capacity doubles at 1, 2, 4, ... - 1 */                           \
            void *g_ = realloc((w)->arr, ((size_t)(n) + 1) * 2 * sizeof *(w)->arr);                                    \
            if (!g_) {                                                                                                 \
                (w)->oom = 1;                                                                                          \
                return;                                                                                                \
            }                                                                                                          \
            (w)->arr = g_;                                                                                             \
        }                                                                                                              \
    } while (0)

void ns_want_link(struct ns_want *w, const char *name, int kind, const char *peer, const char *peer_ns,
                  const char *master)
{
    GROW(w, links, w->nlinks);
    struct want_link *l = &w->links[w->nlinks++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->kind = kind;
    snprintf(l->peer, sizeof l->peer, "%s", peer ? peer : "");
    snprintf(l->peer_ns, sizeof l->peer_ns, "%s", peer_ns ? peer_ns : "");
    snprintf(l->master, sizeof l->master, "%s", master ? master : "");
}

void ns_want_addr(struct ns_want *w, const char *dev, uint32_t addr, int prefix)
{
    GROW(w, addrs, w->naddrs);
    struct want_addr *a = &w->addrs[w->naddrs++];
    snprintf(a->dev, sizeof a->dev, "%s", dev);
    a->addr = addr;
    a->prefix = prefix;
}

void ns_want_route(struct ns_want *w, const char *dev, uint32_t dst, int prefix, uint32_t gw)
{
    GROW(w, routes, w->nroutes);
    struct want_route *r = &w->routes[w->nroutes++];
    snprintf(r->dev, sizeof r->dev, "%s", dev);
    r->dst = dst;
    r->prefix = prefix;
    r->gw = gw;
}

void ns_want_route_dev(struct ns_want *w, const char *dev)
{
    GROW(w, route_devs, w->nroute_devs);
    snprintf(w->route_devs[w->nroute_devs++], NET_NAME, "%s", dev);
}

void ns_want_fdb(struct ns_want *w, const char *dev, const uint8_t mac[6], uint32_t dst)
{
    GROW(w, fdb, w->nfdb);
    struct want_fdb *f = &w->fdb[w->nfdb++];
    snprintf(f->dev, sizeof f->dev, "%s", dev);
    memcpy(f->mac, mac, 6);
    f->dst = dst;
}

void ns_want_neigh(struct ns_want *w, const char *dev, uint32_t ip, const uint8_t mac[6])
{
    GROW(w, neigh, w->nneigh);
    struct want_neigh *n = &w->neigh[w->nneigh++];
    snprintf(n->dev, sizeof n->dev, "%s", dev);
    n->ip = ip;
    memcpy(n->mac, mac, 6);
}

void ns_want_proxy(struct ns_want *w, const char *dev, uint32_t ip)
{
    GROW(w, proxies, w->nproxies);
    struct want_proxy *x = &w->proxies[w->nproxies++];
    snprintf(x->dev, sizeof x->dev, "%s", dev);
    x->ip = ip;
}

void ns_want_fdb_dev(struct ns_want *w, const char *dev)
{
    GROW(w, fdb_devs, w->nfdb_devs);
    snprintf(w->fdb_devs[w->nfdb_devs++], NET_NAME, "%s", dev);
}

void ns_want_free(struct ns_want *w)
{
    free(w->links);
    free(w->addrs);
    free(w->routes);
    free(w->route_devs);
    free(w->fdb);
    free(w->neigh);
    free(w->fdb_devs);
    free(w->proxies);
    memset(w, 0, sizeof *w);
}

int net_want_host_links(const struct net_plan *p, struct ns_want *w)
{
    memset(w, 0, sizeof *w);
    w->prune = 1;
    for (int k = 0; k < p->nv; k++) {
        const struct vpc_state *v = &p->v[k];
        ns_want_link(w, v->bridge, LINK_BRIDGE, NULL, NULL, NULL);
        ns_want_link(w, v->router_port, LINK_VETH, "gw0", v->netns, v->bridge);
        ns_want_link(w, v->uplink_port, LINK_VETH, "up0", v->netns, NULL);
        if (v->vni) {
            ns_want_link(w, v->vxlan, LINK_VXLAN, NULL, NULL, v->bridge);
            if (!w->oom) {
                w->links[w->nlinks - 1].vni = v->vni;
                w->links[w->nlinks - 1].local = p->underlay;
                w->links[w->nlinks - 1].mtu = VXLAN_MTU;
            }
        }
    }
    size_t i;
    json_t *nic;
    json_array_foreach (p->nics, i, nic)
        ns_want_link(w, net_jstr(nic, "Device"), LINK_TAP, NULL, NULL, net_plan_vpc(p, net_jstr(nic, "VpcId"))->bridge);
    return w->oom ? -1 : 0;
}

static void want_eips(const struct net_plan *p, const struct vpc_state *v, struct ns_want *w)
{
    size_t i;
    json_t *nic;
    json_array_foreach (p->nics, i, nic) {
        uint32_t eip, pip;
        if (strcmp(net_jstr(nic, "VpcId"), v->vpc_id) != 0 || ip_parse(net_jstr(nic, "Eip"), &eip) != 0 ||
            ip_parse(net_jstr(nic, "Ip"), &pip) != 0)
            continue;
        ns_want_route(w, v->uplink_port, eip, 32, v->transit + 1);
        if (*p->uplink) /* published on the public side: this host answers ARP for it there */
            ns_want_proxy(w, p->uplink, eip);
    }
}

int net_want_host_l3(const struct net_plan *p, struct ns_want *w)
{
    memset(w, 0, sizeof *w);
    for (int k = 0; k < p->nv; k++) {
        const struct vpc_state *v = &p->v[k];
        ns_want_addr(w, v->uplink_port, v->transit, 30);
        ns_want_route_dev(w, v->uplink_port);
        want_eips(p, v, w); /* EIPs: routed to the namespace, NATed inside it */
        if (!v->vni)
            continue;
        ns_want_fdb_dev(w, v->vxlan);
        size_t i, k;
        json_t *r, *n;
        json_array_foreach (json_object_get(v->doc, "Remotes"), i, r) {
            static const uint8_t any[6];
            uint32_t dst, ip;
            uint8_t mac[6];
            ip_parse(net_jstr(r, "Ip"), &dst); /* checked by net_plan_load */
            ns_want_fdb(w, v->vxlan, any, dst);
            json_array_foreach (json_object_get(r, "Nics"), k, n) {
                net_mac_parse(net_jstr(n, "Mac"), mac);
                ip_parse(net_jstr(n, "Ip"), &ip);
                ns_want_fdb(w, v->vxlan, mac, dst);
                ns_want_neigh(w, v->vxlan, ip, mac);
            }
        }
    }
    return w->oom ? -1 : 0;
}

int net_want_vpc(const struct net_plan *p, const struct vpc_state *v, struct ns_want *w)
{
    (void)p;
    memset(w, 0, sizeof *w);
    snprintf(w->ns, sizeof w->ns, "%s", v->netns);
    ns_want_link(w, "lo", LINK_ANY, NULL, NULL, NULL);
    ns_want_link(w, "gw0", LINK_ANY, NULL, NULL, NULL);
    ns_want_link(w, "up0", LINK_ANY, NULL, NULL, NULL);
    /* the metadata service's link-local addresses, on which it answers guests inside the namespace,
     * and the gateways of every subnet of the VPC (up to its quota) */
    ns_want_addr(w, "gw0", 0xa9fea9fe, 32); /* 169.254.169.254 */
    ns_want_addr(w, "gw0", 0xa9fe0017, 32); /* 169.254.0.23 */
    size_t i;
    json_t *s;
    json_array_foreach (json_object_get(v->doc, "Subnets"), i, s) {
        struct cidr c;
        if (cidr_parse(net_jstr(s, "CidrBlock"), &c) == 0 && cidr_contains(&v->block, &c))
            ns_want_addr(w, "gw0", subnet_gateway(&c), c.prefix);
    }
    ns_want_addr(w, "up0", v->transit + 1, 30);
    ns_want_route_dev(w, "up0");
    ns_want_route(w, "up0", 0, 0, v->transit);
    return w->oom ? -1 : 0;
}
