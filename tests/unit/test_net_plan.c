/* The host network's plan and diff (src/host/net_plan.c, net_diff.c): what a plan wants, and the
 * changes from a given kernel state - nothing when the state already matches. No kernel involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <net/if.h>

#include "host/net_int.h"

static const char *PLAN =
    "{\"Uplink\":\"\",\"SecurityGroups\":[],"
    "\"Vpcs\":[{\"VpcId\":\"vpc-aaaa0001\",\"CidrBlock\":\"10.0.0.0/16\","
    "\"Subnets\":[{\"SubnetId\":\"subnet-1\",\"CidrBlock\":\"10.0.1.0/24\"}]}],"
    "\"Nics\":[{\"Device\":\"yt-ins00001\",\"VpcId\":\"vpc-aaaa0001\",\"Ip\":\"10.0.1.10\",\"Eip\":\"198.51.100.7\"}]}";

static int count(const struct net_ops *o, int kind)
{
    int n = 0;
    for (int i = 0; i < o->n; i++)
        n += o->v[i].kind == kind;
    return n;
}

static void test_bad_plans(void **state)
{
    (void)state;
    char err[128];
    struct net_plan p;
    const char *bad[] = {
        "{\"Vpcs\":[{\"VpcId\":\"vpc-AB;rm -rf\",\"CidrBlock\":\"10.0.0.0/16\"}]}",
        "{\"Vpcs\":[{\"VpcId\":\"vpc-aaaa0001\",\"CidrBlock\":\"10.0.0.0/16\"}],"
        "\"Nics\":[{\"Device\":\"eth0\",\"VpcId\":\"vpc-aaaa0001\"}]}",
        "{\"Vpcs\":[],\"Nics\":[{\"Device\":\"yt-ins00001\",\"VpcId\":\"vpc-nowhere1\"}]}",
        "{\"Uplink\":\"eth0 x\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *doc = json_loads(bad[i], 0, NULL);
        assert_non_null(doc);
        assert_int_equal(net_plan_load(doc, &p, err, sizeof err), -1);
        json_decref(doc);
    }
}

/* From nothing: every link is created and set, every address and route added. */
static void test_from_empty(void **state)
{
    (void)state;
    char err[128];
    struct net_plan p;
    json_t *doc = json_loads(PLAN, 0, NULL);
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    struct ns_want links, l3, vpc;
    struct ns_have none = {0};
    struct net_ops ops = {0};
    assert_int_equal(net_want_host_links(&p, &links), 0);
    net_diff_links(&links, &none, &ops);
    assert_int_equal(count(&ops, OP_LINK_ADD), 4); /* bridge, 2 veths, tap */
    assert_int_equal(count(&ops, OP_LINK_SET), 4);
    assert_int_equal(count(&ops, OP_LINK_DEL), 0);
    net_ops_free(&ops);
    assert_int_equal(net_want_vpc(&p, &p.v[0], &vpc), 0);
    net_diff_links(&vpc, &none, &ops);
    assert_int_equal(ops.n, 0); /* lo, gw0, up0 are not ours to create */
    net_diff_addrs(&vpc, &none, &ops);
    assert_int_equal(count(&ops, OP_ADDR_ADD), 4); /* 2 metadata, 1 gateway, transit */
    net_diff_routes(&vpc, &none, &ops);
    assert_int_equal(count(&ops, OP_ROUTE_SET), 1);
    net_ops_free(&ops);
    assert_int_equal(net_want_host_l3(&p, &l3), 0);
    net_diff_routes(&l3, &none, &ops);
    assert_int_equal(ops.n, 1); /* the EIP's route */
    assert_int_equal(ops.v[0].addr, 0xc6336407);
    assert_int_equal(ops.v[0].gw, p.v[0].transit + 1);
    net_ops_free(&ops);
    char *rules = net_rules_host(&p); /* no remotes: no VXLAN at all */
    assert_non_null(rules);
    assert_non_null(strstr(rules, "\t\tudp dport 4789 drop\n"));
    free(rules);
    ns_want_free(&links);
    ns_want_free(&l3);
    ns_want_free(&vpc);
    net_plan_free(&p);
    json_decref(doc);
}

/* A host that holds the plan already: nothing. Then a stale VPC's bridge, a foreign tap, a stale address. */
static void test_unchanged_and_stale(void **state)
{
    (void)state;
    char err[128];
    struct net_plan p;
    json_t *doc = json_loads(PLAN, 0, NULL);
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    const struct vpc_state *v = &p.v[0];
    struct have_link hl[] = {
        {.ifindex = 1, .flags = IFF_UP},
        {.ifindex = 2, .flags = IFF_UP},
        {.ifindex = 3, .master = 2, .flags = IFF_UP},
        {.ifindex = 4, .flags = IFF_UP},
        {.ifindex = 5, .master = 2, .flags = IFF_UP},
        {"yv-old00001", 6, 0, IFF_UP}, /* a VPC that left */
        {"yt-other001", 7, 0, IFF_UP}, /* someone else's tap, on no yv- bridge */
        {"yt-stale001", 8, 6, IFF_UP}, /* a NIC on the stale bridge */
    };
    snprintf(hl[0].name, NET_NAME, "lo");
    snprintf(hl[1].name, NET_NAME, "%s", v->bridge);
    snprintf(hl[2].name, NET_NAME, "%s", v->router_port);
    snprintf(hl[3].name, NET_NAME, "%s", v->uplink_port);
    snprintf(hl[4].name, NET_NAME, "yt-ins00001");
    struct have_addr ha[] = {{4, v->transit, 30}};
    struct have_route hr[] = {{0xc6336407, v->transit + 1, 32, 4}, {v->transit & ~3u, 0, 30, 4}};
    struct ns_have h = {.links = hl, .nlinks = 5, .addrs = ha, .naddrs = 1, .routes = hr, .nroutes = 2};
    struct ns_want links, l3;
    struct net_ops ops = {0};
    assert_int_equal(net_want_host_links(&p, &links), 0);
    assert_int_equal(net_want_host_l3(&p, &l3), 0);
    net_diff_links(&links, &h, &ops);
    net_diff_addrs(&l3, &h, &ops);
    net_diff_routes(&l3, &h, &ops);
    assert_int_equal(ops.n, 0);
    /* the tap fell off its bridge and went down: one set, with the master */
    hl[4].master = 0;
    hl[4].flags = 0;
    net_diff_links(&links, &h, &ops);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.v[0].kind, OP_LINK_SET);
    assert_string_equal(ops.v[0].master, v->bridge);
    net_ops_free(&ops);
    hl[4].master = 2;
    hl[4].flags = IFF_UP;
    h.nlinks = 8;
    ha[0].prefix = 24; /* a stale address: replaced */
    net_diff_links(&links, &h, &ops);
    net_diff_addrs(&l3, &h, &ops);
    assert_int_equal(count(&ops, OP_LINK_DEL), 2);
    assert_string_equal(ops.v[0].dev, "yv-old00001");
    assert_string_equal(ops.v[1].dev, "yt-stale001");
    assert_int_equal(count(&ops, OP_ADDR_DEL), 1);
    assert_int_equal(count(&ops, OP_ADDR_ADD), 1);
    assert_int_equal(ops.n, 4);
    net_ops_free(&ops);
    /* the EIP is gone from the plan: its route goes, the connected route stays */
    json_object_set_new(json_array_get(json_object_get(doc, "Nics"), 0), "Eip", json_string(""));
    ns_want_free(&l3);
    assert_int_equal(net_want_host_l3(&p, &l3), 0);
    net_diff_routes(&l3, &h, &ops);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.v[0].kind, OP_ROUTE_DEL);
    net_ops_free(&ops);
    ns_want_free(&links);
    ns_want_free(&l3);
    net_plan_free(&p);
    json_decref(doc);
}

/* A VPC with a VNI and two remote hosts (the second with no NIC yet). */
static const char *OVERLAY =
    "{\"Underlay\":\"192.0.2.1\",\"SecurityGroups\":[],\"Nics\":[],"
    "\"Vpcs\":[{\"VpcId\":\"vpc-aaaa0001\",\"CidrBlock\":\"10.0.0.0/16\",\"Vni\":7,\"Subnets\":[],"
    "\"Remotes\":[{\"Ip\":\"192.0.2.2\",\"Nics\":[{\"Mac\":\"52:54:00:0a:0b:0c\",\"Ip\":\"10.0.1.20\"},"
    "{\"Mac\":\"52:54:00:0a:0b:0d\",\"Ip\":\"10.0.1.21\"}]},{\"Ip\":\"192.0.2.3\",\"Nics\":[]}]}]}";

static void test_overlay_bad(void **state)
{
    (void)state;
    char err[128];
    struct net_plan p;
    const char *vpc = "\"VpcId\":\"vpc-aaaa0001\",\"CidrBlock\":\"10.0.0.0/16\"";
    const char *bad[] = {
        "\"Vni\":0",
        "\"Vni\":16777216",
        "\"Vni\":\"7\"",
        "\"Remotes\":[]", /* Remotes without a Vni */
        "\"Vni\":7,\"Remotes\":{}",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.300\"}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"224.0.0.1\"}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"127.0.0.1\"}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.1\"}]", /* this host's own underlay address */
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.2\"},{\"Ip\":\"192.0.2.2\"}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.2\",\"Nics\":[{\"Mac\":\"52:54:00:0a:0b\",\"Ip\":\"10.0.1.2\"}]}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.2\",\"Nics\":[{\"Mac\":\"52:54:00:0a:0b:zz\",\"Ip\":\"10.0.1.2\"}]}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.2\",\"Nics\":[{\"Mac\":\"01:00:5e:00:00:01\",\"Ip\":\"10.0.1.2\"}]}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.2\",\"Nics\":[{\"Mac\":\"00:00:00:00:00:00\",\"Ip\":\"10.0.1.2\"}]}]",
        "\"Vni\":7,\"Remotes\":[{\"Ip\":\"192.0.2.2\",\"Nics\":[{\"Mac\":\"52:54:00:0a:0b:0c\",\"Ip\":\"10.1.1.2\"}]}]",
    };
    char text[1024];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, "{\"Underlay\":\"192.0.2.1\",\"Vpcs\":[{%s,%s}]}", vpc, bad[i]);
        json_t *doc = json_loads(text, 0, NULL);
        assert_non_null(doc);
        if (net_plan_load(doc, &p, err, sizeof err) != -1)
            fail_msg("accepted: %s", bad[i]);
        json_decref(doc);
    }
    /* two VPCs with one VNI; a bad underlay address */
    const char *worse[] = {
        "{\"Vpcs\":[{\"VpcId\":\"vpc-aaaa0001\",\"CidrBlock\":\"10.0.0.0/16\",\"Vni\":7},"
        "{\"VpcId\":\"vpc-aaaa0002\",\"CidrBlock\":\"10.0.0.0/16\",\"Vni\":7}]}",
        "{\"Underlay\":\"0.0.0.0\",\"Vpcs\":[]}",
        "{\"Underlay\":\"host-1\",\"Vpcs\":[]}",
    };
    for (size_t i = 0; i < sizeof worse / sizeof *worse; i++) {
        json_t *doc = json_loads(worse[i], 0, NULL);
        assert_non_null(doc);
        assert_int_equal(net_plan_load(doc, &p, err, sizeof err), -1);
        json_decref(doc);
    }
}

static int has_fdb(const struct net_ops *o, int kind, uint8_t last, uint32_t dst)
{
    for (int i = 0; i < o->n; i++)
        if (o->v[i].kind == kind && o->v[i].mac[5] == last && o->v[i].gw == dst)
            return 1;
    return 0;
}

/* The vxlan link and its entries from nothing; nothing on a matching state; a new id remakes the link; a remote
 * that left takes its entries with it; a neighbour whose MAC changed is replaced. */
static void test_overlay_diff(void **state)
{
    (void)state;
    char err[128];
    struct net_plan p;
    json_t *doc = json_loads(OVERLAY, 0, NULL);
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    const struct vpc_state *v = &p.v[0];
    assert_int_equal(v->vni, 7);
    assert_string_equal(v->vxlan, "yv-aaaa0001-x");
    assert_int_equal(p.underlay, 0xc0000201);
    char *rules = net_rules_host(&p); /* VXLAN only from the remotes */
    assert_non_null(rules);
    assert_non_null(strstr(rules, "udp dport 4789 ip saddr != { 192.0.2.2, 192.0.2.3 } drop"));
    free(rules);
    struct ns_want links, l3;
    struct ns_have none = {0};
    struct net_ops ops = {0};
    assert_int_equal(net_want_host_links(&p, &links), 0);
    assert_int_equal(net_want_host_l3(&p, &l3), 0);
    net_diff_links(&links, &none, &ops);
    assert_int_equal(count(&ops, OP_LINK_ADD), 4); /* bridge, 2 veths, vxlan */
    const struct net_op *add = NULL;
    for (int i = 0; i < ops.n; i++)
        if (ops.v[i].kind == OP_LINK_ADD && ops.v[i].link_kind == LINK_VXLAN)
            add = &ops.v[i];
    assert_non_null(add);
    assert_string_equal(add->dev, "yv-aaaa0001-x");
    assert_int_equal(add->vni, 7);
    assert_int_equal(add->local, 0xc0000201);
    assert_int_equal(add->mtu, VXLAN_MTU);
    net_ops_free(&ops);
    net_diff_fdb(&l3, &none, &ops);               /* the links do not exist yet: still wanted, by name */
    assert_int_equal(count(&ops, OP_FDB_ADD), 4); /* 00:.. to each remote, 2 MACs */
    assert_int_equal(count(&ops, OP_NEIGH_SET), 2);
    assert_true(has_fdb(&ops, OP_FDB_ADD, 0, 0xc0000202));
    assert_true(has_fdb(&ops, OP_FDB_ADD, 0, 0xc0000203));
    assert_true(has_fdb(&ops, OP_FDB_ADD, 0x0c, 0xc0000202));
    assert_true(has_fdb(&ops, OP_FDB_ADD, 0x0d, 0xc0000202));
    net_ops_free(&ops);

    struct have_link hl[] = {
        {.ifindex = 2, .flags = IFF_UP, .mtu = 1450},
        {.ifindex = 3, .master = 2, .flags = IFF_UP, .mtu = 1500},
        {.ifindex = 4, .flags = IFF_UP, .mtu = 1500},
        {.ifindex = 5, .master = 2, .flags = IFF_UP, .mtu = 1450, .vni = 7, .local = 0xc0000201},
    };
    snprintf(hl[0].name, NET_NAME, "%s", v->bridge);
    snprintf(hl[1].name, NET_NAME, "%s", v->router_port);
    snprintf(hl[2].name, NET_NAME, "%s", v->uplink_port);
    snprintf(hl[3].name, NET_NAME, "%s", v->vxlan);
    struct have_addr ha[] = {{4, v->transit, 30}};
    struct have_fdb hf[] = {
        {5, {0}, 0xc0000202},
        {5, {0}, 0xc0000203},
        {5, {0x52, 0x54, 0, 0x0a, 0x0b, 0x0c}, 0xc0000202},
        {5, {0x52, 0x54, 0, 0x0a, 0x0b, 0x0d}, 0xc0000202},
        {3, {0x52, 0x54, 0, 0x0a, 0x0b, 0x0e}, 0xc0000209}, /* not on a vxlan link of the plan: not ours */
    };
    struct have_neigh hn[] = {
        {5, 0x0a000114, {0x52, 0x54, 0, 0x0a, 0x0b, 0x0c}},
        {5, 0x0a000115, {0x52, 0x54, 0, 0x0a, 0x0b, 0x0d}},
    };
    struct ns_have h = {
        .links = hl, .nlinks = 4, .addrs = ha, .naddrs = 1, .fdb = hf, .nfdb = 5, .neigh = hn, .nneigh = 2};
    net_diff_links(&links, &h, &ops);
    net_diff_addrs(&l3, &h, &ops);
    net_diff_routes(&l3, &h, &ops);
    net_diff_fdb(&l3, &h, &ops);
    assert_int_equal(ops.n, 0);
    /* a wrong MTU: set; another id: remade (deleted, added, set) */
    hl[3].mtu = 1500;
    net_diff_links(&links, &h, &ops);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.v[0].kind, OP_LINK_SET);
    assert_int_equal(ops.v[0].mtu, VXLAN_MTU);
    net_ops_free(&ops);
    hl[3].mtu = 1450;
    hl[3].vni = 8;
    net_diff_links(&links, &h, &ops);
    assert_int_equal(ops.n, 3);
    assert_int_equal(ops.v[0].kind, OP_LINK_DEL);
    assert_int_equal(ops.v[1].kind, OP_LINK_ADD);
    assert_int_equal(ops.v[1].vni, 7);
    assert_int_equal(ops.v[2].kind, OP_LINK_SET);
    assert_string_equal(ops.v[2].master, v->bridge);
    net_ops_free(&ops);
    hl[3].vni = 7;
    hl[3].local = 0; /* made before the plan named the underlay address */
    net_diff_links(&links, &h, &ops);
    assert_int_equal(count(&ops, OP_LINK_DEL), 1);
    assert_int_equal(count(&ops, OP_LINK_ADD), 1);
    net_ops_free(&ops);
    hl[3].local = 0xc0000201;
    /* the first remote left, and a neighbour's MAC changed on the second */
    json_t *remotes = json_object_get(json_array_get(json_object_get(doc, "Vpcs"), 0), "Remotes");
    json_array_remove(remotes, 0);
    json_array_append_new(json_object_get(json_array_get(remotes, 0), "Nics"),
                          json_pack("{s:s,s:s}", "Mac", "52:54:00:0a:0b:0f", "Ip", "10.0.1.21"));
    ns_want_free(&l3);
    assert_int_equal(net_want_host_l3(&p, &l3), 0);
    net_diff_fdb(&l3, &h, &ops);
    assert_int_equal(count(&ops, OP_FDB_DEL), 3);
    assert_true(has_fdb(&ops, OP_FDB_DEL, 0, 0xc0000202));
    assert_true(has_fdb(&ops, OP_FDB_DEL, 0x0c, 0xc0000202));
    assert_true(has_fdb(&ops, OP_FDB_DEL, 0x0d, 0xc0000202));
    assert_int_equal(count(&ops, OP_NEIGH_DEL), 1); /* 10.0.1.20 */
    assert_int_equal(count(&ops, OP_FDB_ADD), 1);   /* ..:0f -> 192.0.2.3 */
    assert_true(has_fdb(&ops, OP_FDB_ADD, 0x0f, 0xc0000203));
    assert_int_equal(count(&ops, OP_NEIGH_SET), 1); /* 10.0.1.21 -> ..:0f, in place */
    assert_int_equal(ops.n, 6);
    net_ops_free(&ops);
    ns_want_free(&links);
    ns_want_free(&l3);
    net_plan_free(&p);
    json_decref(doc);
}

/* A migration to this host: its pair of ports open to its source only, the rest of yun's range refused to all;
 * without one the whole range is refused; a malformed one refuses the plan. */
static void test_migration_ports(void **state)
{
    (void)state;
    char err[128], text[2048];
    struct net_plan p;
    const char *nic = "\"Nics\":[{\"Device\":\"yt-ins00001\",\"VpcId\":\"vpc-aaaa0001\",\"Ip\":\"10.0.1.10\"}],"
                      "\"Vpcs\":[{\"VpcId\":\"vpc-aaaa0001\",\"CidrBlock\":\"10.0.0.0/16\",\"Subnets\":[]}]";
    snprintf(text, sizeof text,
             "{\"Underlay\":\"192.0.2.3\",%s,\"Migrations\":[{\"From\":\"192.0.2.2\",\"Ports\":[7802,7803]}]}", nic);
    json_t *doc = json_loads(text, 0, NULL);
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    char *rules = net_rules_host(&p);
    assert_non_null(rules);
    char *open = strstr(rules, "\t\tip saddr 192.0.2.2 tcp dport { 7802, 7803 } accept\n");
    char *closed = strstr(rules, "\t\ttcp dport 7800-7899 reject with tcp reset\n");
    assert_non_null(open);
    assert_non_null(closed);
    assert_true(open < closed); /* the source's pair first, then the range is closed */
    free(rules);
    net_plan_free(&p);
    json_decref(doc);
    snprintf(text, sizeof text, "{\"Underlay\":\"192.0.2.3\",%s}", nic);
    doc = json_loads(text, 0, NULL);
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    rules = net_rules_host(&p);
    assert_null(strstr(rules, "accept\n\t\ttcp dport 7800"));
    assert_null(strstr(rules, "tcp dport { 78"));
    assert_non_null(strstr(rules, "\t\ttcp dport 7800-7899 reject with tcp reset\n"));
    free(rules);
    net_plan_free(&p);
    json_decref(doc);
    const char *bad[] = {
        "{}",
        "[{\"From\":\"192.0.2.2\",\"Ports\":[7802]}]",
        "[{\"From\":\"192.0.2.2\",\"Ports\":[22,23]}]",
        "[{\"From\":\"192.0.2.2\",\"Ports\":[7900,7901]}]",
        "[{\"From\":\"192.0.2.2\",\"Ports\":[\"7802\",7803]}]",
        "[{\"From\":\"127.0.0.1\",\"Ports\":[7802,7803]}]",
        "[{\"From\":\"192.0.2.2; drop\",\"Ports\":[7802,7803]}]",
        "[{\"Ports\":[7802,7803]}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, "{\"Underlay\":\"192.0.2.3\",%s,\"Migrations\":%s}", nic, bad[i]);
        doc = json_loads(text, 0, NULL);
        assert_non_null(doc);
        if (net_plan_load(doc, &p, err, sizeof err) != -1)
            fail_msg("accepted: %s", bad[i]);
        net_plan_free(&p);
        json_decref(doc);
    }
}

/* EIPs on the uplink: a proxy neighbour per EIP of the plan's NICs; yun's (protocol 121) that the plan no longer names
 * go, wherever they are; an operator's own proxy entries stay; no uplink, no proxies. */
static void test_eip_proxies(void **state)
{
    (void)state;
    char err[128];
    json_t *doc = json_loads(PLAN, 0, NULL);
    json_object_set_new(doc, "Uplink", json_string("eth9"));
    struct net_plan p;
    struct ns_want w;
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    assert_int_equal(net_want_host_l3(&p, &w), 0);
    assert_int_equal(w.nproxies, 1);
    assert_string_equal(w.proxies[0].dev, "eth9");
    assert_int_equal(w.proxies[0].ip, 0xc6336407); /* 198.51.100.7 */
    struct have_link hl[] = {{.name = "eth9", .ifindex = 2}, {.name = "eth8", .ifindex = 3}};
    struct ns_have none = {.links = hl, .nlinks = 2};
    struct net_ops ops = {0};
    net_diff_proxies(&w, &none, &ops);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.v[0].kind, OP_PROXY_ADD);
    assert_string_equal(ops.v[0].dev, "eth9");
    assert_int_equal(ops.v[0].addr, 0xc6336407);
    net_ops_free(&ops);
    /* present: nothing to do; an old one of yun's (another EIP, or one left on a former uplink) goes; the
     * operator's proxy for 198.51.100.9 stays */
    struct have_proxy hp[] = {{.ifindex = 2, .ip = 0xc6336407, .ours = 1},
                              {.ifindex = 2, .ip = 0xc6336408, .ours = 1},
                              {.ifindex = 3, .ip = 0xc6336407, .ours = 1},
                              {.ifindex = 2, .ip = 0xc6336409, .ours = 0}};
    struct ns_have h = {.links = hl, .nlinks = 2, .proxies = hp, .nproxies = 1};
    net_diff_proxies(&w, &h, &ops);
    assert_int_equal(ops.n, 0);
    h.nproxies = 4;
    net_diff_proxies(&w, &h, &ops);
    assert_int_equal(ops.n, 2);
    assert_int_equal(count(&ops, OP_PROXY_DEL), 2);
    assert_true(ops.v[0].addr == 0xc6336408 && !strcmp(ops.v[0].dev, "eth9"));
    assert_true(ops.v[1].addr == 0xc6336407 && !strcmp(ops.v[1].dev, "eth8"));
    net_ops_free(&ops);
    /* the EIP disassociated: yun's entry goes */
    ns_want_free(&w);
    net_plan_free(&p);
    json_object_set_new(json_array_get(json_object_get(doc, "Nics"), 0), "Eip", json_string(""));
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    assert_int_equal(net_want_host_l3(&p, &w), 0);
    assert_int_equal(w.nproxies, 0);
    h.nproxies = 1;
    net_diff_proxies(&w, &h, &ops);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.v[0].kind, OP_PROXY_DEL);
    net_ops_free(&ops);
    ns_want_free(&w);
    net_plan_free(&p);
    /* no uplink (the network test's host): routes and NAT only */
    json_object_set_new(doc, "Uplink", json_string(""));
    json_object_set_new(json_array_get(json_object_get(doc, "Nics"), 0), "Eip", json_string("198.51.100.7"));
    assert_int_equal(net_plan_load(doc, &p, err, sizeof err), 0);
    assert_int_equal(net_want_host_l3(&p, &w), 0);
    assert_int_equal(w.nproxies, 0);
    ns_want_free(&w);
    net_plan_free(&p);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_plans),           cmocka_unit_test(test_from_empty),
        cmocka_unit_test(test_unchanged_and_stale), cmocka_unit_test(test_overlay_bad),
        cmocka_unit_test(test_overlay_diff),        cmocka_unit_test(test_migration_ports),
        cmocka_unit_test(test_eip_proxies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
