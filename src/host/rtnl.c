/*
 * rtnl: the host's kernel networking through rtnetlink (libmnl), as libvirt does for bridges: reads a
 * namespace's links, IPv4 addresses, routes, VXLAN FDB entries, permanent and proxy neighbours in six dumps, and
 * carries out one change per request (links incl. bridge, veth with its peer in another namespace, tap, vxlan; master
 * and up; addresses; routes; neighbours; bridge FDB; proxy neighbours, each made announced by a gratuitous ARP from a
 * packet socket), each acknowledged, so an error names the change that failed. Named
 * namespaces are kept as iproute2 keeps them (a bind mount of the namespace under /run/netns), so `ip netns` and the
 * metadata listeners (compute/metadata.c) see the same ones.
 *
 * A socket works in the namespace of the thread that opened it: work inside a router namespace runs in
 * a thread of its own that entered it (netns_run), so the caller's thread never changes namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>

#include "host/net_int.h"

#define NETNS_DIR "/run/netns"

struct rtnl {
    struct mnl_socket *nl;
    unsigned seq, portid;
    char buf[32768]; /* a dump message is as large as the largest read the socket has seen, up to 32 KiB */
};

struct rtnl *rtnl_open(char *err, size_t errlen)
{
    struct rtnl *r = calloc(1, sizeof *r);
    if (r)
        r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!r || !r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        snprintf(err, errlen, "rtnetlink: %s", strerror(errno));
        if (r && r->nl)
            mnl_socket_close(r->nl);
        free(r);
        return NULL;
    }
    r->portid = mnl_socket_get_portid(r->nl);
    r->seq = 1;
    return r;
}

void rtnl_close(struct rtnl *r)
{
    if (r) {
        mnl_socket_close(r->nl);
        free(r);
    }
}

/* Sends one request and reads its answer (an ack, or a dump fed to cb) to the end. */
static int talk(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    nlh->nlmsg_seq = ++r->seq;
    if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
        return -1;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(r->nl, r->buf, sizeof r->buf);
        if (n < 0)
            return -1;
        int rc = mnl_cb_run(r->buf, (size_t)n, r->seq, r->portid, cb, data);
        if (rc <= MNL_CB_STOP)
            return rc < 0 ? -1 : 0;
    }
}

static struct nlmsghdr *request(struct rtnl *r, int type, int flags)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);
    nlh->nlmsg_type = (uint16_t)type;
    nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
    return nlh;
}

/* ---- reading a namespace's state ---- */

struct attrs {
    const struct nlattr *tb[IFLA_MAX + RTA_MAX + IFA_MAX + 3];
    int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
    struct attrs *t = data;
    int type = mnl_attr_get_type(a);
    if (type <= t->max)
        t->tb[type] = a;
    return MNL_CB_OK;
}

#define APPEND(h, arr, n, item)                                                                                        \
    do {                                                                                                               \
        void *g_ = realloc((h)->arr, ((size_t)(h)->n + 1) * sizeof *(h)->arr);                                         \
        if (!g_) {                                                                                                     \
            (h)->oom = 1;                                                                                              \
            return MNL_CB_OK;                                                                                          \
        }                                                                                                              \
        (h)->arr = g_;                                                                                                 \
        (h)->arr[(h)->n++] = (item);                                                                                   \
    } while (0)

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
    struct ns_have *h = data;
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    struct attrs t = {.max = IFLA_MAX};
    mnl_attr_parse(nlh, sizeof *ifi, attr_cb, &t);
    if (!t.tb[IFLA_IFNAME])
        return MNL_CB_OK;
    struct have_link l = {.ifindex = ifi->ifi_index, .flags = ifi->ifi_flags};
    snprintf(l.name, sizeof l.name, "%s", mnl_attr_get_str(t.tb[IFLA_IFNAME]));
    if (t.tb[IFLA_MASTER])
        l.master = (int)mnl_attr_get_u32(t.tb[IFLA_MASTER]);
    if (t.tb[IFLA_MTU])
        l.mtu = (int)mnl_attr_get_u32(t.tb[IFLA_MTU]);
    if (t.tb[IFLA_LINKINFO]) {
        struct attrs info = {.max = IFLA_INFO_MAX}, data = {.max = IFLA_VXLAN_MAX};
        mnl_attr_parse_nested(t.tb[IFLA_LINKINFO], attr_cb, &info);
        if (info.tb[IFLA_INFO_KIND] && strcmp(mnl_attr_get_str(info.tb[IFLA_INFO_KIND]), "vxlan") == 0 &&
            info.tb[IFLA_INFO_DATA]) {
            mnl_attr_parse_nested(info.tb[IFLA_INFO_DATA], attr_cb, &data);
            if (data.tb[IFLA_VXLAN_ID])
                l.vni = mnl_attr_get_u32(data.tb[IFLA_VXLAN_ID]);
            if (data.tb[IFLA_VXLAN_LOCAL])
                l.local = ntohl(mnl_attr_get_u32(data.tb[IFLA_VXLAN_LOCAL]));
        }
    }
    APPEND(h, links, nlinks, l);
    return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
    struct ns_have *h = data;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    struct attrs t = {.max = IFA_MAX};
    mnl_attr_parse(nlh, sizeof *ifa, attr_cb, &t);
    const struct nlattr *a = t.tb[IFA_LOCAL] ? t.tb[IFA_LOCAL] : t.tb[IFA_ADDRESS];
    if (ifa->ifa_family != AF_INET || !a)
        return MNL_CB_OK;
    struct have_addr x = {
        .ifindex = (int)ifa->ifa_index, .prefix = ifa->ifa_prefixlen, .addr = ntohl(mnl_attr_get_u32(a))};
    APPEND(h, addrs, naddrs, x);
    return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
    struct ns_have *h = data;
    const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
    struct attrs t = {.max = RTA_MAX};
    mnl_attr_parse(nlh, sizeof *rtm, attr_cb, &t);
    uint32_t table = t.tb[RTA_TABLE] ? mnl_attr_get_u32(t.tb[RTA_TABLE]) : rtm->rtm_table;
    if (rtm->rtm_family != AF_INET || table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST || !t.tb[RTA_OIF])
        return MNL_CB_OK;
    struct have_route x = {.prefix = rtm->rtm_dst_len, .oif = (int)mnl_attr_get_u32(t.tb[RTA_OIF])};
    if (t.tb[RTA_DST])
        x.dst = ntohl(mnl_attr_get_u32(t.tb[RTA_DST]));
    if (t.tb[RTA_GATEWAY])
        x.gw = ntohl(mnl_attr_get_u32(t.tb[RTA_GATEWAY]));
    APPEND(h, routes, nroutes, x);
    return MNL_CB_OK;
}

/* AF_BRIDGE: a vxlan link's own entries with a remote; AF_INET: permanent neighbours. */
static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
    struct ns_have *h = data;
    const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
    struct attrs t = {.max = NDA_MAX};
    mnl_attr_parse(nlh, sizeof *nd, attr_cb, &t);
    const struct nlattr *dst = t.tb[NDA_DST], *ll = t.tb[NDA_LLADDR];
    if (!dst || mnl_attr_get_payload_len(dst) != 4 || !ll || mnl_attr_get_payload_len(ll) != 6)
        return MNL_CB_OK;
    if (nd->ndm_family == AF_BRIDGE && (nd->ndm_flags & NTF_SELF)) {
        struct have_fdb x = {.ifindex = nd->ndm_ifindex, .dst = ntohl(mnl_attr_get_u32(dst))};
        memcpy(x.mac, mnl_attr_get_payload(ll), 6);
        APPEND(h, fdb, nfdb, x);
    } else if (nd->ndm_family == AF_INET && (nd->ndm_state & NUD_PERMANENT)) {
        struct have_neigh x = {.ifindex = nd->ndm_ifindex, .ip = ntohl(mnl_attr_get_u32(dst))};
        memcpy(x.mac, mnl_attr_get_payload(ll), 6);
        APPEND(h, neigh, nneigh, x);
    }
    return MNL_CB_OK;
}

/* AF_INET proxy neighbours (their own dump): the address, and whether yun made it (its protocol). */
static int proxy_cb(const struct nlmsghdr *nlh, void *data)
{
    struct ns_have *h = data;
    const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
    struct attrs t = {.max = NDA_MAX};
    mnl_attr_parse(nlh, sizeof *nd, attr_cb, &t);
    const struct nlattr *dst = t.tb[NDA_DST], *proto = t.tb[NDA_PROTOCOL];
    if (nd->ndm_family != AF_INET || !(nd->ndm_flags & NTF_PROXY) || !dst || mnl_attr_get_payload_len(dst) != 4)
        return MNL_CB_OK;
    struct have_proxy x = {.ifindex = nd->ndm_ifindex,
                           .ip = ntohl(mnl_attr_get_u32(dst)),
                           .ours = proto && mnl_attr_get_payload_len(proto) == 1 &&
                                   mnl_attr_get_u8(proto) == NEIGH_PROTO_YUN};
    APPEND(h, proxies, nproxies, x);
    return MNL_CB_OK;
}

int rtnl_read(struct rtnl *r, struct ns_have *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    struct nlmsghdr *nlh = request(r, RTM_GETLINK, NLM_F_DUMP);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    int rc = talk(r, nlh, link_cb, h);
    if (rc == 0) {
        nlh = request(r, RTM_GETADDR, NLM_F_DUMP);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = AF_INET;
        rc = talk(r, nlh, addr_cb, h);
    }
    if (rc == 0) {
        nlh = request(r, RTM_GETROUTE, NLM_F_DUMP);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = AF_INET;
        rc = talk(r, nlh, route_cb, h);
    }
    for (int k = 0; rc == 0 && k < 2; k++) {
        nlh = request(r, RTM_GETNEIGH, NLM_F_DUMP);
        struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof *nd);
        nd->ndm_family = k == 0 ? AF_BRIDGE : AF_INET;
        rc = talk(r, nlh, neigh_cb, h);
    }
    if (rc == 0) {
        nlh = request(r, RTM_GETNEIGH, NLM_F_DUMP);
        struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof *nd);
        nd->ndm_family = AF_INET;
        nd->ndm_flags = NTF_PROXY; /* exactly this flag: the kernel dumps its proxy table instead */
        rc = talk(r, nlh, proxy_cb, h);
    }
    if (rc != 0 || h->oom) {
        snprintf(err, errlen, "reading the network state: %s", h->oom ? "out of memory" : strerror(errno));
        ns_have_free(h);
        return -1;
    }
    return 0;
}

/* ---- changes ---- */

/* A persistent tap (what `ip tuntap add mode tap` makes): rtnetlink cannot create one. */
static int tap_add(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int rc = ioctl(fd, TUNSETIFF, &ifr) == 0 && ioctl(fd, TUNSETPERSIST, 1) == 0 ? 0 : -1;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int link_add(struct rtnl *r, const struct net_op *op)
{
    if (op->link_kind == LINK_TAP)
        return tap_add(op->dev);
    int nsfd = -1;
    if (op->link_kind == LINK_VETH && *op->peer_ns) {
        char path[64];
        snprintf(path, sizeof path, NETNS_DIR "/%s", op->peer_ns);
        if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            return -1;
    }
    struct nlmsghdr *nlh = request(r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, op->dev);
    if (op->mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)op->mtu);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND,
                      op->link_kind == LINK_BRIDGE  ? "bridge"
                      : op->link_kind == LINK_VXLAN ? "vxlan"
                                                    : "veth");
    if (op->link_kind == LINK_VXLAN) {
        /* `ip link add DEV type vxlan id VNI dstport 4789 nolearning proxy [local IP]` */
        struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, op->vni);
        mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(VXLAN_PORT));
        mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
        mnl_attr_put_u8(nlh, IFLA_VXLAN_PROXY, 1);
        if (op->local)
            mnl_attr_put_u32(nlh, IFLA_VXLAN_LOCAL, htonl(op->local));
        mnl_attr_nest_end(nlh, data);
    }
    if (op->link_kind == LINK_VETH) {
        struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        struct ifinfomsg *pi = mnl_nlmsg_put_extra_header(nlh, sizeof *pi);
        pi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, op->peer);
        if (nsfd >= 0)
            mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
        mnl_attr_nest_end(nlh, peer);
        mnl_attr_nest_end(nlh, data);
    }
    mnl_attr_nest_end(nlh, info);
    int rc = talk(r, nlh, NULL, NULL);
    int e = errno;
    if (nsfd >= 0)
        close(nsfd);
    errno = e;
    return rc;
}

static int link_index(const char *name)
{
    int i = (int)if_nametoindex(name);
    if (!i)
        errno = ENODEV;
    return i;
}

static int link_set(struct rtnl *r, const struct net_op *op)
{
    int idx = link_index(op->dev), master = *op->master ? link_index(op->master) : 0;
    if (!idx || (*op->master && !master))
        return -1;
    struct nlmsghdr *nlh = request(r, RTM_NEWLINK, NLM_F_ACK);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = idx;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    if (master)
        mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
    if (op->mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)op->mtu);
    return talk(r, nlh, NULL, NULL);
}

static int link_del(struct rtnl *r, const struct net_op *op)
{
    int idx = link_index(op->dev);
    if (!idx)
        return 0; /* gone already (a veth goes with its peer) */
    struct nlmsghdr *nlh = request(r, RTM_DELLINK, NLM_F_ACK);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = idx;
    int rc = talk(r, nlh, NULL, NULL);
    return rc != 0 && errno == ENODEV ? 0 : rc;
}

static int addr_change(struct rtnl *r, const struct net_op *op)
{
    int idx = link_index(op->dev);
    if (!idx)
        return -1;
    int add = op->kind == OP_ADDR_ADD;
    struct nlmsghdr *nlh =
        request(r, add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK : NLM_F_ACK);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)op->prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)idx;
    mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(op->addr));
    mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(op->addr));
    return talk(r, nlh, NULL, NULL);
}

static int route_change(struct rtnl *r, const struct net_op *op)
{
    int idx = link_index(op->dev);
    if (!idx)
        return op->kind == OP_ROUTE_DEL ? 0 : -1;
    int set = op->kind == OP_ROUTE_SET;
    struct nlmsghdr *nlh =
        request(r, set ? RTM_NEWROUTE : RTM_DELROUTE, set ? NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK : NLM_F_ACK);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = (unsigned char)op->prefix;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    if (op->prefix)
        mnl_attr_put_u32(nlh, RTA_DST, htonl(op->addr));
    if (op->gw)
        mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(op->gw));
    mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)idx);
    return talk(r, nlh, NULL, NULL);
}

/* `bridge fdb append|del MAC dev DEV dst IP`: where a vxlan link sends frames for mac (00:.. = flooding);
 * `ip neigh replace|del IP lladdr MAC dev DEV nud permanent`: what it answers ARP with (proxy). */
static int neigh_change(struct rtnl *r, const struct net_op *op)
{
    int idx = link_index(op->dev);
    if (!idx)
        return op->kind == OP_FDB_DEL || op->kind == OP_NEIGH_DEL ? 0 : -1;
    int add = op->kind == OP_FDB_ADD || op->kind == OP_NEIGH_SET,
        fdb = op->kind == OP_FDB_ADD || op->kind == OP_FDB_DEL;
    struct nlmsghdr *nlh = request(r, add ? RTM_NEWNEIGH : RTM_DELNEIGH,
                                   NLM_F_ACK | (add ? NLM_F_CREATE | (fdb ? NLM_F_APPEND : NLM_F_REPLACE) : 0));
    struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof *nd);
    nd->ndm_family = fdb ? AF_BRIDGE : AF_INET;
    nd->ndm_ifindex = idx;
    nd->ndm_state = fdb ? NUD_NOARP | NUD_PERMANENT : NUD_PERMANENT;
    nd->ndm_flags = fdb ? NTF_SELF : 0;
    if (fdb || add)
        mnl_attr_put(nlh, NDA_LLADDR, 6, op->mac);
    mnl_attr_put_u32(nlh, NDA_DST, htonl(fdb ? op->gw : op->addr));
    int rc = talk(r, nlh, NULL, NULL);
    return rc != 0 && !add && errno == ENOENT ? 0 : rc;
}

/* A gratuitous ARP (a request for ip from ip, with the device's MAC) on dev: the neighbours on that link update what
 * they hold for ip at once (a migrated EIP). Best effort: the proxy entry answers the next request anyway. */
static void garp(const char *dev, uint32_t ip)
{
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
    if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) != 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        if (fd >= 0)
            close(fd);
        return;
    }
    unsigned char arp[28] = {0, 1, 8, 0, 6, 4, 0, 1}; /* Ethernet, IPv4, request */
    uint32_t a = htonl(ip);
    memcpy(arp + 8, ifr.ifr_hwaddr.sa_data, 6);
    memcpy(arp + 14, &a, 4);
    memcpy(arp + 24, &a, 4);
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ARP),
                             .sll_ifindex = (int)if_nametoindex(dev),
                             .sll_halen = 6};
    memset(to.sll_addr, 0xff, 6);
    if (to.sll_ifindex > 0)
        sendto(fd, arp, sizeof arp, 0, (struct sockaddr *)&to, sizeof to); /* best effort, unchecked */
    close(fd);
}

/* `ip neigh add|del proxy IP dev DEV protocol 121`: the host answers ARP for IP on DEV (an EIP on the uplink). */
static int proxy_change(struct rtnl *r, const struct net_op *op)
{
    int idx = link_index(op->dev), add = op->kind == OP_PROXY_ADD;
    if (!idx)
        return add ? -1 : 0;
    struct nlmsghdr *nlh =
        request(r, add ? RTM_NEWNEIGH : RTM_DELNEIGH, NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0));
    struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof *nd);
    nd->ndm_family = AF_INET;
    nd->ndm_ifindex = idx;
    nd->ndm_state = NUD_PERMANENT;
    nd->ndm_flags = NTF_PROXY;
    mnl_attr_put_u32(nlh, NDA_DST, htonl(op->addr));
    if (add)
        mnl_attr_put_u8(nlh, NDA_PROTOCOL, NEIGH_PROTO_YUN);
    int rc = talk(r, nlh, NULL, NULL);
    if (rc == 0 && add)
        garp(op->dev, op->addr);
    return rc != 0 && !add && errno == ENOENT ? 0 : rc;
}

int rtnl_exec(struct rtnl *r, const struct net_op *op, char *err, size_t errlen)
{
    int rc;
    switch (op->kind) {
    case OP_LINK_ADD:
        rc = link_add(r, op);
        break;
    case OP_LINK_SET:
        rc = link_set(r, op);
        break;
    case OP_LINK_DEL:
        rc = link_del(r, op);
        break;
    case OP_ADDR_ADD:
    case OP_ADDR_DEL:
        rc = addr_change(r, op);
        break;
    case OP_FDB_ADD:
    case OP_FDB_DEL:
    case OP_NEIGH_SET:
    case OP_NEIGH_DEL:
        rc = neigh_change(r, op);
        break;
    case OP_PROXY_ADD:
    case OP_PROXY_DEL:
        rc = proxy_change(r, op);
        break;
    default:
        rc = route_change(r, op);
        break;
    }
    if (rc != 0) {
        char a[18] = "";
        if (op->kind >= OP_PROXY_DEL)
            ip_format(op->addr, a);
        else if (op->kind >= OP_FDB_DEL)
            snprintf(a, sizeof a, "%02x:%02x:%02x:%02x:%02x:%02x", op->mac[0], op->mac[1], op->mac[2], op->mac[3],
                     op->mac[4], op->mac[5]);
        else if (op->kind >= OP_ADDR_DEL)
            ip_format(op->addr, a);
        snprintf(err, errlen, "%s %s%s%s: %s", net_op_name(op->kind), op->dev, *a ? " " : "", a, strerror(errno));
    }
    return rc;
}

/* ---- named namespaces ---- */

int netns_exists(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, NETNS_DIR "/%s", name);
    return access(path, F_OK) == 0;
}

struct ns_job {
    const char *path;
    int (*fn)(void *);
    void *arg;
    int rc, err;
};

/* A new namespace, bound to its file: the thread's own, which dies with the thread but for the mount. */
static void *ns_create_thread(void *data)
{
    struct ns_job *j = data;
    j->rc =
        unshare(CLONE_NEWNET) == 0 && mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) == 0 ? 0 : -1;
    j->err = errno;
    return NULL;
}

int netns_add(const char *name, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, NETNS_DIR "/%s", name);
    mkdir(NETNS_DIR, 0755);
    /* as iproute2: /run/netns is a shared mount, so namespaces made later show in every mount namespace */
    for (int made = 0;;) {
        if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
            break;
        if (errno != EINVAL || made || mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) != 0) {
            snprintf(err, errlen, "cannot share %s: %s", NETNS_DIR, strerror(errno));
            return -1;
        }
        made = 1;
    }
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    struct ns_job j = {.path = path};
    pthread_t t;
    if (pthread_create(&t, NULL, ns_create_thread, &j) != 0) {
        j.rc = -1;
        j.err = EAGAIN;
    } else {
        pthread_join(t, NULL);
    }
    if (j.rc != 0) {
        unlink(path);
        snprintf(err, errlen, "cannot create namespace %s: %s", name, strerror(j.err));
        return -1;
    }
    return 0;
}

int netns_del(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, NETNS_DIR "/%s", name);
    umount2(path, MNT_DETACH);
    return unlink(path);
}

int netns_list_ours(char (*out)[NET_NAME], int max)
{
    DIR *d = opendir(NETNS_DIR);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "yv-", 3) == 0 && len < NET_NAME && n < max)
            memcpy(out[n++], e->d_name, len + 1);
    }
    if (d)
        closedir(d);
    return n;
}

static void *ns_run_thread(void *data)
{
    struct ns_job *j = data;
    int fd = open(j->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        j->rc = -1;
        j->err = errno;
    } else {
        j->rc = j->fn(j->arg);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

int netns_run(const char *name, int (*fn)(void *), void *arg)
{
    char path[64];
    snprintf(path, sizeof path, NETNS_DIR "/%s", name);
    struct ns_job j = {.path = path, .fn = fn, .arg = arg};
    pthread_t t;
    if (pthread_create(&t, NULL, ns_run_thread, &j) != 0)
        return -1;
    pthread_join(t, NULL);
    errno = j.err;
    return j.rc;
}

int sysctl_ensure(const char *path, const char *value, int optional)
{
    char have[64] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return optional && errno == ENOENT ? 0 : -1;
    ssize_t n = read(fd, have, sizeof have - 1);
    close(fd);
    if (n > 0) {
        have[n] = 0;
        have[strcspn(have, "\n")] = 0;
        if (strcmp(have, value) == 0)
            return 0;
    }
    fd = open(path, O_WRONLY | O_CLOEXEC);
    int ok = fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value);
    if (fd >= 0)
        close(fd);
    return ok ? 1 : -1;
}
