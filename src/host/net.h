/*
 * net.h - the host's network, realised from the plan document the control plane computes
 * (network_host_plan() in src/network/plan.c; its shape is documented in network/network.h).
 *
 * The control plane only tells; this side re-checks the document (names, addresses, sizes) and makes the
 * host's Linux state match it through the kernel's own interfaces: rtnetlink (rtnl.c, libmnl) for
 * namespaces, links (a vxlan link per VPC with a Vni), addresses, routes, and the vxlan links' FDB entries and
 * neighbours (the plan's Remotes), and libnftables (nft.c) for the rules, one atomic batch per
 * namespace. No process is spawned. Only differences are sent: an apply of an unchanged plan reads the
 * kernel's state and changes nothing (host_net_changes() says how many changes the last apply made).
 * Needs CAP_NET_ADMIN (and CAP_SYS_ADMIN for the namespaces' mounts under /run/netns).
 */
#ifndef YUN_HOST_NET_H
#define YUN_HOST_NET_H

#include <stddef.h>

#include <jansson.h>

/* Makes the host match plan: creates what is missing, changes what differs, and removes yv- and yt-
 * devices, router namespaces and nft tables that the plan no longer names. Taps are created if absent
 * (a device of another kind with the right name, e.g. a veth, is used as is). 0, or -1 with err set. */
int host_net_apply(json_t *plan, char *err, size_t errlen);
/* The host's uplink, its public side: where VPC traffic leaves (masqueraded) and EIPs are published (a proxy
 * neighbour each); the device host_net_uplink_set named, else the default route's, or "" if none. */
void host_net_uplink(char *out, size_t len);
void host_net_uplink_set(const char *dev);
/* Removes everything yun created on this host (devices, namespaces, nft tables). */
int host_net_teardown(char *err, size_t errlen);
/* Kernel changes (netlink requests, nft batches, sysctl writes, namespaces) of the last apply. */
unsigned host_net_changes(void);
/* VPC namespaces the last apply entered (one whose part of the plan this process already made is not). */
unsigned host_net_entered(void);

#endif
