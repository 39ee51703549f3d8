/*
 * network (service vpc, 2017-03-12): VPCs, subnets, security groups and their policies, elastic
 * IPs, private IP allocation (IPAM), the account's default VPC, and the plan a host realises
 * (bridges, router namespaces, taps, nftables: realised by src/host/net_*.c). Every query is scoped by the caller's
 * root account: another tenant's id is simply "not found".
 *
 * Other services use only this header: compute asks for addresses (network_allocate_ip),
 * tells which security groups a NIC belongs to (network_set_nic_security_groups), and
 * provides the instance lookup hook that AssociateAddress needs.
 */
#ifndef YUN_NETWORK_H
#define YUN_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

/* ---- network.c: life cycle ---- */
int network_migrate(struct store *s, char *err, size_t errlen);
void network_register(void);

/* Quotas per account and region (per VPC for subnets), as the real cloud's defaults. */
#define NETWORK_MAX_VPCS                   20
#define NETWORK_MAX_SUBNETS_PER_VPC        100
#define NETWORK_MAX_SECURITY_GROUPS        50
#define NETWORK_MAX_POLICIES_PER_DIRECTION 100
#define NETWORK_MAX_ADDRESSES              20

/* The operator's public address pool for EIPs. Until the configuration carries one, a fixed
 * documentation range (RFC 5737 TEST-NET-2): addresses are allocated and NATed on the host, but
 * they are only reachable from outside where the operator routes this range to the host. */
#define NETWORK_EIP_POOL "198.51.100.0/24"

/* Compute fills this in: 1 = the instance exists and belongs to owner_uin (its primary private IP
 * and VPC copied out), 0 = no such instance for that account, -1 = store error. Until set,
 * AssociateAddress answers InvalidInstanceId.NotFound. */
typedef int (*network_instance_lookup_fn)(struct store *s, const char *owner_uin, const char *instance_id,
                                          char private_ip[16], char vpc_id[24]);
void network_set_instance_lookup(network_instance_lookup_fn fn);
network_instance_lookup_fn network_instance_lookup(void);

/* ---- cidr.c: IPv4 addresses and prefixes (pure functions) ---- */
struct cidr {
    uint32_t addr; /* host order, host bits zero */
    int prefix;    /* 0..32 */
};
int ip_parse(const char *s, uint32_t *out); /* dotted quad, strict; 0 or -1 */
void ip_format(uint32_t addr, char out[16]);
int cidr_parse(const char *s, struct cidr *out); /* "a.b.c.d/n" with host bits zero; 0 or -1 */
void cidr_format(const struct cidr *c, char out[20]);
uint32_t cidr_mask(int prefix);
uint64_t cidr_size(const struct cidr *c); /* number of addresses */
int cidr_contains(const struct cidr *outer, const struct cidr *inner);
int cidr_overlaps(const struct cidr *a, const struct cidr *b);
int cidr_contains_ip(const struct cidr *c, uint32_t ip);
/* A VPC's block must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a prefix of
 * /16../28 (the CreateVpc rule); subnets use the same prefix range inside their VPC. */
#define NETWORK_MIN_PREFIX 16
#define NETWORK_MAX_PREFIX 28
int cidr_is_private_block(const struct cidr *c);
/* Reserved in every subnet, as in the real cloud: the network address, the gateway (first host)
 * and the broadcast address. A /24 therefore offers 253 addresses. */
int subnet_ip_reserved(const struct cidr *subnet, uint32_t ip);
uint32_t subnet_gateway(const struct cidr *subnet);
int64_t subnet_usable_count(const struct cidr *subnet);
/* Security-group rule peer: a CIDR or a single address (as /32); 0.0.0.0/n maps to 0.0.0.0/0. */
int cidr_parse_peer(const char *s, struct cidr *out);
/* Security-group port spec: "all" | "22" | "80,443" | "8000-9000". Fills up to max [lo,hi] ranges;
 * returns the count (0 = all) or -1 if malformed. */
struct port_range {
    int lo, hi;
};
int port_spec_parse(const char *s, struct port_range *out, int max);

/* ---- ipam.c: private addresses ----
 * Uniqueness comes from the store (UNIQUE (vpc_id, ip)), not from memory, so concurrent
 * allocations in different processes cannot hand out one address twice. Both functions run in the
 * caller's transaction if there is one. `code` receives a Tencent error code on failure. */
int network_allocate_ip(struct store *s, const char *owner_uin, const char *subnet_id, const char *wanted,
                        const char *instance_id, char out[16], char *code, size_t codelen);
int network_release_ip(struct store *s, const char *owner_uin, const char *subnet_id, const char *ip);
int network_release_instance_ips(struct store *s, const char *owner_uin, const char *instance_id);
/* Security groups of an instance's NIC, in priority order (replaces the previous list). Unknown or
 * foreign groups fail with code InvalidSecurityGroupId.NotFound (CVM's spelling). */
int network_set_nic_security_groups(struct store *s, const char *owner_uin, const char *instance_id,
                                    const char *const *sg_ids, int n, char *code, size_t codelen);

/* The account's default VPC (172.16.0.0/16) in region, its default subnet in zone (a /20 per zone)
 * and its default security group, created on first use. Returns 0, or -1 with code set. */
int network_default_vpc(struct store *s, const char *owner_uin, const char *region, const char *zone, char vpc_id[24],
                        char subnet_id[24], char *code, size_t codelen);
int network_default_security_group(struct store *s, const char *owner_uin, const char *region, char sg_id[24]);
/* A subnet of the account: its VPC, zone and CIDR block. 1 found, 0 not (or another account's), -1 error. */
int network_subnet_info(struct store *s, const char *owner_uin, const char *subnet_id, char vpc_id[24], char zone[64],
                        char cidr[20]);

/* ---- plan.c: what one host must realise, as JSON (the control plane tells, the host does) ----
 * {"Vpcs":[{"VpcId","CidrBlock","Vni","Subnets":[{"SubnetId","CidrBlock"}],
 *           "Remotes":[{"Ip" (another host's underlay address),"Nics":[{"Mac","Ip"}]}]}],
 *  "Nics":[{"Device","InstanceId","VpcId","SubnetId","Ip","Mac","Eip","SecurityGroupIds":[]}],
 *  "SecurityGroups":[{"SecurityGroupId","Ingress":[policy],"Egress":[policy]}],
 *  "Uplink":"", "Underlay":"" (optional: this host's VTEP address)}   policy = the SDK's SecurityGroupPolicy
 * fields. places (may be NULL = every NIC of the region is here) names the instances whose NICs may be this
 * host's (local, sorted: placed here or arriving) and says where each instance's NIC lives (where, given the
 * NIC's subnet): NIC_HERE, NIC_REMOTE (on another host, whose underlay address it fills: the NIC joins its VPC's
 * Remotes when this host carries the VPC), NIC_ARRIVING (live migrating to this host from the host whose underlay
 * it fills: its device is made here while its frames still go to that host, so it is both a NIC here and a remote
 * one) or NIC_NOT_PLACED; subnet_id is set when every NIC of that subnet will be asked about (a VPC's remotes). Only
 * the local instances' NICs and, when remotes is set, the NICs of their VPCs are read: a plan costs what the host's
 * VPCs hold, not what the region holds. */
enum { NIC_NOT_PLACED, NIC_HERE, NIC_REMOTE, NIC_ARRIVING };
struct nic_places {
    const char *const *local;
    int nlocal;
    int remotes; /* the host can reach others (a usable underlay): its VPCs' other NICs are of use to it */
    int (*where)(const char *instance_id, const char *subnet_id, void *arg, char underlay[16]);
    void *arg;
};
json_t *network_host_plan(struct store *s, const struct nic_places *places);
void network_nic_device(const char *instance_id, char out[16]); /* "yt-" + the id's 8-char tail */
void network_nic_mac(const char *instance_id, char out[18]);    /* stable locally administered MAC */

/* The host applies the plan: host/net.h (host_net_apply). */

#endif
