/*
 * plan: what one host must realise, computed from the store as JSON (the shape is documented in
 * network.h). The control plane decides and the host only applies (host_net.c), so the same
 * document can later travel to a remote `yund --role host` unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network_int.h"

void network_nic_device(const char *instance_id, char out[16])
{
    size_t n = strlen(instance_id);
    snprintf(out, 16, "yt-%s", n > 8 ? instance_id + n - 8 : instance_id);
}

void network_nic_mac(const char *instance_id, char out[18])
{
    uint8_t h[32];
    sha256(instance_id, strlen(instance_id), h);
    /* 52:54:00 is QEMU's locally administered prefix */
    snprintf(out, 18, "52:54:00:%02x:%02x:%02x", h[0], h[1], h[2]);
}

static int add_vpc(struct store *s, json_t *vpcs, const char *vpc_id)
{
    size_t i;
    json_t *v;
    json_array_foreach (vpcs, i, v) {
        if (strcmp(json_string_value(json_object_get(v, "VpcId")), vpc_id) == 0)
            return 0;
    }
    struct store_stmt *q = store_query(s, "SELECT cidr, vni FROM vpcs WHERE vpc_id = ?", "s", vpc_id);
    if (!q || store_step(q) != 1) {
        store_done(q);
        return -1;
    }
    /* Remotes: the other hosts carrying this VPC and the NICs on each (their VXLAN forwarding entries) */
    json_t *vpc = json_pack("{s:s,s:s,s:I,s:[],s:[]}", "VpcId", vpc_id, "CidrBlock", store_text(q, 0), "Vni",
                            (json_int_t)store_int(q, 1), "Subnets", "Remotes");
    store_done(q);
    q = store_query(s, "SELECT subnet_id, cidr FROM subnets WHERE vpc_id = ? ORDER BY subnet_id", "s", vpc_id);
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1)
        json_array_append_new(json_object_get(vpc, "Subnets"),
                              json_pack("{s:s,s:s}", "SubnetId", store_text(q, 0), "CidrBlock", store_text(q, 1)));
    store_done(q);
    json_array_append_new(vpcs, vpc);
    return rc < 0 ? -1 : 0;
}

static int add_group(struct store *s, json_t *groups, const char *sg_id)
{
    size_t i;
    json_t *g;
    json_array_foreach (groups, i, g) {
        if (strcmp(json_string_value(json_object_get(g, "SecurityGroupId")), sg_id) == 0)
            return 0;
    }
    json_t *set = sg_policy_set(s, sg_id);
    if (!set)
        return -1;
    json_array_append_new(groups, json_pack("{s:s,s:O,s:O,s:[]}", "SecurityGroupId", sg_id, "Ingress",
                                            json_object_get(set, "Ingress"), "Egress", json_object_get(set, "Egress"),
                                            "Members"));
    json_decref(set);
    return 0;
}

/* A policy of one of the plan's groups names sg_id as its peer. */
static int named_as_peer(json_t *groups, const char *sg_id)
{
    static const char *const sides[] = {"Ingress", "Egress"};
    size_t i, k;
    json_t *g, *p;
    json_array_foreach (groups, i, g)
        for (int d = 0; d < 2; d++)
            json_array_foreach (json_object_get(g, sides[d]), k, p) {
                const char *peer = json_string_value(json_object_get(p, "SecurityGroupId"));
                if (peer && !strcmp(peer, sg_id))
                    return 1;
            }
    return 0;
}

/* Members: every NIC of the group on any host, for the policies that name the group as peer (net_rules.c reads
 * them for those only; a default group holds every NIC of an account, which no plan needs otherwise). */
static int add_members(struct store *s, json_t *groups)
{
    size_t i;
    json_t *g;
    json_array_foreach (groups, i, g) {
        const char *sg_id = json_string_value(json_object_get(g, "SecurityGroupId"));
        if (!named_as_peer(groups, sg_id))
            continue;
        json_t *members = json_object_get(g, "Members");
        struct store_stmt *q = store_query(s,
                                           "SELECT a.vpc_id, a.ip FROM nic_security_groups n JOIN ip_allocations a"
                                           " ON a.instance_id = n.instance_id WHERE n.sg_id = ? ORDER BY a.ip",
                                           "s", sg_id);
        int rc = q ? 0 : -1;
        while (q && (rc = store_step(q)) == 1)
            json_array_append_new(members, json_pack("{s:s,s:s}", "VpcId", store_text(q, 0), "Ip", store_text(q, 1)));
        store_done(q);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A NIC on another host joins its VPC's Remotes, under that host's underlay address. */
static void add_remote(json_t *vpcs, json_t *nic)
{
    const char *vpc_id = json_string_value(json_object_get(nic, "VpcId"));
    const char *at = json_string_value(json_object_get(nic, "Underlay"));
    size_t i, k;
    json_t *v, *r;
    json_array_foreach (vpcs, i, v) {
        if (strcmp(json_string_value(json_object_get(v, "VpcId")), vpc_id) != 0)
            continue;
        json_t *remotes = json_object_get(v, "Remotes"), *host = NULL;
        json_array_foreach (remotes, k, r)
            if (!strcmp(json_string_value(json_object_get(r, "Ip")), at))
                host = r;
        if (!host) {
            host = json_pack("{s:s,s:[]}", "Ip", at, "Nics");
            json_array_append_new(remotes, host);
        }
        json_array_append_new(json_object_get(host, "Nics"), json_pack("{s:O,s:O}", "Mac", json_object_get(nic, "Mac"),
                                                                       "Ip", json_object_get(nic, "Ip")));
        return;
    }
}

/* One NIC row (instance, vpc, subnet, ip, eip) of a local instance, or of every instance when places is NULL. */
static void nic_local(struct store_stmt *q, const struct nic_places *p, json_t *nics)
{
    const char *instance = store_text(q, 0);
    char dev[16], mac[18], underlay[16] = "";
    int at = p ? p->where(instance, NULL, p->arg, underlay) : NIC_HERE; /* one instance: no subnet read whole */
    if (at != NIC_HERE && at != NIC_ARRIVING)
        return;
    network_nic_device(instance, dev);
    network_nic_mac(instance, mac);
    /* a NIC arriving (a live migration to this host) gets its EIP once it is here: till then the source
     * routes, NATs and publishes it (one host answers ARP for it) */
    json_array_append_new(nics,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "Device", dev, "InstanceId", instance,
                                    "VpcId", store_text(q, 1), "SubnetId", store_text(q, 2), "Ip", store_text(q, 3),
                                    "Mac", mac, "Eip", at == NIC_ARRIVING ? "" : store_text(q, 4), "SecurityGroupIds"));
}

#define NIC_COLUMNS                                                                                                    \
    "SELECT a.instance_id, a.vpc_id, a.subnet_id, a.ip,"                                                               \
    " (SELECT e.ip FROM addresses e WHERE e.instance_id = a.instance_id AND e.status = 'BIND') FROM ip_allocations a"

/* The NICs of one of this host's VPCs on other hosts (and those arriving here, whose frames still go there), in
 * the order of their instances, as remote entries {VpcId, Ip, Mac, Underlay}. */
static int vpc_remotes(struct store *s, const char *vpc_id, const struct nic_places *p, json_t *remote_nics)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT a.instance_id, a.subnet_id, a.ip FROM ip_allocations a WHERE a.vpc_id = ?"
                    " AND a.instance_id <> '' ORDER BY a.instance_id, a.ip",
                    "s", vpc_id);
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char mac[18], underlay[16] = "";
        int at = p->where(store_text(q, 0), store_text(q, 1), p->arg, underlay);
        if (at != NIC_REMOTE && at != NIC_ARRIVING)
            continue;
        network_nic_mac(store_text(q, 0), mac);
        json_array_append_new(remote_nics, json_pack("{s:s,s:s,s:s,s:s}", "VpcId", vpc_id, "Ip", store_text(q, 2),
                                                     "Mac", mac, "Underlay", underlay));
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

json_t *network_host_plan(struct store *s, const struct nic_places *places)
{
    json_t *plan = json_pack("{s:[],s:[],s:[],s:s}", "Vpcs", "Nics", "SecurityGroups", "Uplink", "");
    json_t *vpcs = json_object_get(plan, "Vpcs"), *nics = json_object_get(plan, "Nics"),
           *groups = json_object_get(plan, "SecurityGroups");
    int rc = 0;
    json_t *remote_nics = json_array();
    if (!places) { /* every NIC of the region is here (one host) */
        struct store_stmt *q =
            store_query(s, NIC_COLUMNS " WHERE a.instance_id <> '' ORDER BY a.instance_id, a.ip", "");
        rc = q ? 0 : -1;
        while (q && (rc = store_step(q)) == 1)
            nic_local(q, NULL, nics);
        store_done(q);
    }
    for (int k = 0; places && k < places->nlocal && rc >= 0; k++) { /* the host's own, by instance */
        struct store_stmt *q =
            store_query(s, NIC_COLUMNS " WHERE a.instance_id = ? ORDER BY a.ip", "s", places->local[k]);
        rc = q ? 0 : -1;
        while (q && (rc = store_step(q)) == 1)
            nic_local(q, places, nics);
        store_done(q);
    }
    size_t i;
    json_t *nic;
    json_array_foreach (nics, i, nic) {
        if (rc < 0)
            break;
        if (add_vpc(s, vpcs, json_string_value(json_object_get(nic, "VpcId"))) != 0) {
            rc = -1;
            break;
        }
        struct store_stmt *q =
            store_query(s, "SELECT sg_id FROM nic_security_groups WHERE instance_id = ? ORDER BY position", "s",
                        json_string_value(json_object_get(nic, "InstanceId")));
        rc = q ? 0 : -1;
        int failed = 0;
        while (q && (rc = store_step(q)) == 1) {
            json_array_append_new(json_object_get(nic, "SecurityGroupIds"), json_string(store_text(q, 0)));
            if (add_group(s, groups, store_text(q, 0)) != 0)
                failed = 1;
        }
        store_done(q);
        if (failed)
            rc = -1;
    }
    if (rc >= 0 && add_members(s, groups) != 0)
        rc = -1;
    json_t *v;
    json_array_foreach (vpcs, i, v) /* the other hosts carrying this host's VPCs */
        if (rc >= 0 && places && places->remotes &&
            vpc_remotes(s, json_string_value(json_object_get(v, "VpcId")), places, remote_nics) != 0)
            rc = -1;
    json_array_foreach (remote_nics, i, nic) /* once this host's VPCs are known */
        add_remote(vpcs, nic);
    json_decref(remote_nics);
    if (rc < 0) {
        json_decref(plan);
        return NULL;
    }
    return plan;
}
