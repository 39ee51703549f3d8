/* The host network's plan and diff (src/host/net_plan.c, net_diff.c): what a plan wants, and the
 * changes from a given kernel state - nothing when the state already matches. No kernel involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_plans),
        cmocka_unit_test(test_from_empty),
        cmocka_unit_test(test_unchanged_and_stale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
