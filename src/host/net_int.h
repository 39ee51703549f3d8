/*
 * Shared by the host network files only. The apply is three layers, each testable alone:
 *   net_plan.c   the plan document, checked and indexed (struct net_plan), and what each namespace
 *                should hold (struct ns_want) - pure
 *   net_rules.c  the nftables texts of the plan - pure
 *   net_diff.c   wanted vs present state of one namespace -> the list of changes (struct net_ops) - pure
 *   rtnl.c       the kernel: reads a namespace's state, carries out changes, namespaces (netlink, libmnl)
 *   nft.c        one ruleset text as one atomic batch (libnftables), skipped when nothing changed
 *   net_apply.c  the order of it all (host_net_apply)
 */
#ifndef YUN_HOST_NET_INT_H
#define YUN_HOST_NET_INT_H

#include <stdint.h>

#include "host/net.h"
#include "network/network.h"

#define NET_NAME 16 /* IFNAMSIZ */

/* ---- net_plan.c ---- */
struct vpc_state {
    const char *vpc_id;
    char tail[9];
    char bridge[NET_NAME], router_port[NET_NAME], uplink_port[NET_NAME], netns[NET_NAME];
    int slot;
    uint32_t transit; /* host side; the namespace side is transit + 1 */
    uint32_t vni;     /* 0 = the plan gives none: no VXLAN link */
    char vxlan[NET_NAME];
    struct cidr block;
    json_t *doc; /* the plan's VPC object (borrowed) */
};

struct net_plan {
    json_t *vpcs, *nics, *groups; /* borrowed from the document */
    const char *uplink;
    uint32_t underlay;  /* this host's VTEP address (the vxlan links' local), 0 = none */
    json_t *migrations; /* [{From, Ports: [NBD, stream]}]: live migrations to this host (checked), borrowed */
    struct vpc_state *v;
    int nv;
};

#define MARK_OURS       0x80000000u
#define TRANSIT_BASE    0x64400000u /* 100.64.0.0/10, /30 per VPC slot */
#define MAX_SLOT        32000       /* conntrack zones: slot for guest legs, slot + ZONE_ROUTER_LEG for router legs */
#define ZONE_ROUTER_LEG 32768
#define MARK_ROUTER_LEG 0x40000000u
#define VXLAN_PORT      4789
#define VXLAN_MTU       1450 /* 1500 less the 50 bytes of VXLAN over IPv4 */
#define MAX_VNI         16777215u
#define MAX_REMOTES     1024  /* per VPC */
#define MAX_FDB         65536 /* FDB entries of a whole plan */
#define NEIGH_PROTO_YUN 121   /* NDA_PROTOCOL of the proxy neighbours yun makes (EIPs), so only those are pruned */

int net_plan_load(json_t *doc, struct net_plan *p, char *err, size_t errlen);
void net_plan_free(struct net_plan *p);
struct vpc_state *net_plan_vpc(const struct net_plan *p, const char *vpc_id);
const char *net_jstr(json_t *o, const char *k); /* "" when absent */

/* What one namespace should hold. Links of kind LINK_ANY are only brought up (a veth's far end, lo). */
enum link_kind { LINK_ANY, LINK_BRIDGE, LINK_VETH, LINK_TAP, LINK_VXLAN };
struct want_link {
    char name[NET_NAME];
    int kind;
    char peer[NET_NAME], peer_ns[NET_NAME]; /* LINK_VETH: the other end, created in peer_ns ("" = here) */
    char master[NET_NAME];                  /* "" = none wanted (left as it is) */
    uint32_t vni, local;                    /* LINK_VXLAN: id and local address (0 = none) */
    int mtu;                                /* 0 = left as it is */
};
struct want_fdb { /* a static VXLAN forwarding entry: frames for mac go to the VTEP dst (00:..:00 = flooding) */
    char dev[NET_NAME];
    uint8_t mac[6];
    uint32_t dst;
};
struct want_neigh { /* a permanent neighbour on a VXLAN link (answered locally: ARP suppression) */
    char dev[NET_NAME];
    uint32_t ip;
    uint8_t mac[6];
};
struct want_proxy { /* a proxy neighbour: the host answers ARP for ip on dev (an EIP on the uplink) */
    char dev[NET_NAME];
    uint32_t ip;
};
struct want_addr {
    char dev[NET_NAME];
    uint32_t addr;
    int prefix;
};
struct want_route {
    uint32_t dst, gw;
    int prefix;
    char dev[NET_NAME];
};
struct ns_want {
    char ns[NET_NAME]; /* "" = the host's namespace */
    int prune;         /* remove yv- links (and yt- links on yv- bridges) not wanted */
    struct want_link *links;
    int nlinks;
    struct want_addr *addrs; /* the whole address set of every device named here */
    int naddrs;
    struct want_route *routes; /* the whole set of gateway routes of every device named in route_devs */
    int nroutes;
    char (*route_devs)[NET_NAME];
    int nroute_devs;
    struct want_fdb *fdb; /* the whole FDB (entries with a dst) and permanent neighbours of every fdb_devs device */
    int nfdb;
    struct want_neigh *neigh;
    int nneigh;
    char (*fdb_devs)[NET_NAME];
    int nfdb_devs;
    struct want_proxy *proxies; /* the whole set of yun's proxy neighbours (NEIGH_PROTO_YUN), on any device */
    int nproxies;
    int oom;
};
void ns_want_link(struct ns_want *w, const char *name, int kind, const char *peer, const char *peer_ns,
                  const char *master);
void ns_want_addr(struct ns_want *w, const char *dev, uint32_t addr, int prefix);
void ns_want_route(struct ns_want *w, const char *dev, uint32_t dst, int prefix, uint32_t gw);
void ns_want_route_dev(struct ns_want *w, const char *dev);
void ns_want_fdb(struct ns_want *w, const char *dev, const uint8_t mac[6], uint32_t dst);
void ns_want_neigh(struct ns_want *w, const char *dev, uint32_t ip, const uint8_t mac[6]);
void ns_want_fdb_dev(struct ns_want *w, const char *dev);
void ns_want_proxy(struct ns_want *w, const char *dev, uint32_t ip);
int net_mac_parse(const char *s, uint8_t mac[6]); /* "52:54:00:ab:cd:ef"; 0 or -1 */
void ns_want_free(struct ns_want *w);
/* The host's links (bridges, ports, taps, vxlan links) and the host's addresses and routes (transit links, EIPs)
 * and the vxlan links' forwarding entries and neighbours (the plan's Remotes). */
int net_want_host_links(const struct net_plan *p, struct ns_want *w);
int net_want_host_l3(const struct net_plan *p, struct ns_want *w);
/* A VPC's router namespace: lo, gw0 (gateways + metadata addresses), up0 (transit, default route). */
int net_want_vpc(const struct net_plan *p, const struct vpc_state *v, struct ns_want *w);

/* ---- the state read from the kernel (rtnl.c fills it; net_diff.c reads it) ---- */
struct have_link {
    char name[NET_NAME];
    int ifindex, master;
    unsigned flags; /* IFF_* */
    int mtu;
    uint32_t vni, local; /* a vxlan link's id and local address, 0 for other kinds */
};
struct have_addr {
    int ifindex;
    uint32_t addr;
    int prefix;
};
struct have_route { /* IPv4, main table, unicast */
    uint32_t dst, gw;
    int prefix, oif;
};
struct have_fdb { /* a VXLAN FDB entry with a remote (NTF_SELF, NDA_DST) */
    int ifindex;
    uint8_t mac[6];
    uint32_t dst;
};
struct have_neigh { /* a permanent IPv4 neighbour */
    int ifindex;
    uint32_t ip;
    uint8_t mac[6];
};
struct have_proxy { /* an IPv4 proxy neighbour (NTF_PROXY) */
    int ifindex;
    uint32_t ip;
    int ours; /* made by yun: its protocol is NEIGH_PROTO_YUN */
};
struct ns_have {
    struct have_link *links;
    int nlinks;
    struct have_addr *addrs;
    int naddrs;
    struct have_route *routes;
    int nroutes;
    struct have_fdb *fdb;
    int nfdb;
    struct have_neigh *neigh;
    int nneigh;
    struct have_proxy *proxies;
    int nproxies;
    int oom;
};
void ns_have_free(struct ns_have *h);
const struct have_link *ns_have_link(const struct ns_have *h, const char *name);
const struct have_link *ns_have_index(const struct ns_have *h, int ifindex);

/* ---- net_diff.c: the changes that make `have` into `want` (pure) ---- */
enum op_kind {
    OP_LINK_DEL,
    OP_LINK_ADD,
    OP_LINK_SET,
    OP_ADDR_DEL,
    OP_ADDR_ADD,
    OP_ROUTE_DEL,
    OP_ROUTE_SET,
    OP_FDB_DEL,
    OP_FDB_ADD,
    OP_NEIGH_DEL,
    OP_NEIGH_SET,
    OP_PROXY_DEL,
    OP_PROXY_ADD /* and a gratuitous ARP for it on the device: the address arrived here */
};
struct net_op {
    int kind;
    char dev[NET_NAME];
    int link_kind;                          /* OP_LINK_ADD */
    char peer[NET_NAME], peer_ns[NET_NAME]; /* OP_LINK_ADD of a veth */
    char master[NET_NAME];                  /* OP_LINK_SET: "" = leave the master alone; always sets up */
    uint32_t addr, gw;                      /* OP_ADDR_*: addr/prefix; OP_ROUTE_*: dst/prefix via gw */
    int prefix;
    uint32_t vni, local; /* OP_LINK_ADD of a vxlan link */
    int mtu;             /* OP_LINK_ADD, OP_LINK_SET: 0 = leave it */
    uint8_t mac[6];      /* OP_FDB_*: mac -> dst (in gw); OP_NEIGH_*: addr -> mac; OP_PROXY_*: addr */
};
struct net_ops {
    struct net_op *v;
    int n, cap;
    int oom;
};
void net_diff_links(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops);
void net_diff_addrs(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops);
void net_diff_routes(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops);
void net_diff_fdb(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops); /* and neighbours */
/* yun's proxy neighbours not wanted go (wherever they are), the missing wanted ones come; others' are left alone */
void net_diff_proxies(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops);
void net_ops_free(struct net_ops *ops);
const char *net_op_name(int kind);

/* ---- net_rules.c: nftables texts (NULL = out of memory; free()) ---- */
char *net_rules_host(const struct net_plan *p);                           /* tables bridge yun + inet yun */
char *net_rules_vpc(const struct net_plan *p, const struct vpc_state *v); /* table ip yun: EIP NAT, masquerade */

/* ---- rtnl.c: the kernel, through rtnetlink (in the calling thread's network namespace) ---- */
struct rtnl;
struct rtnl *rtnl_open(char *err, size_t errlen);
void rtnl_close(struct rtnl *r);
int rtnl_read(struct rtnl *r, struct ns_have *h, char *err, size_t errlen);
int rtnl_exec(struct rtnl *r, const struct net_op *op, char *err, size_t errlen);
/* Named network namespaces, as iproute2 keeps them (a bind mount under /run/netns). */
int netns_exists(const char *name);
int netns_add(const char *name, char *err, size_t errlen);
int netns_del(const char *name);
int netns_list_ours(char (*out)[NET_NAME], int max); /* yv-* names */
/* Runs fn(arg) in a thread that has entered namespace name; returns fn's result (-1 if it cannot enter). */
int netns_run(const char *name, int (*fn)(void *), void *arg);
/* Makes a sysctl file (under /proc/sys) hold value; 1 written, 0 already so, -1 error (missing = 0 if optional). */
int sysctl_ensure(const char *path, const char *value, int optional);

/* ---- nft.c: one ruleset text as one atomic batch, in the calling thread's namespace ---- */
/* 1 applied, 0 skipped (the tables are already what text makes; see nft.c), -1 error. key names the namespace in
 * errors. */
int nft_apply(const char *key, const char *text, char *err, size_t errlen);
/* Drops the kept context of namespace key (NULL: all), before the namespace goes. */
void nft_forget(const char *key);

#endif
