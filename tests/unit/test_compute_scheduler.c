/*
 * scheduler_pick: spread (emptiest host that fits) vs pack (fullest host that fits), the zone
 * filter, and the capacity edges (exact fit, one over, memory vs CPU pressure, empty host lists);
 * scheduler_place: the host pools (shared, dedicated hosts, dedicated clusters) as a filter, and the
 * placement groups' spread filter (one instance of a group per host) on top of the others.
 * Table-driven: each row is a set of hosts, a request and the host index each policy must pick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "compute/compute.h"

#define MAXH 4
#define GIB  1024

struct host_row {
    const char *zone;
    int vcpus_total, vcpus_used;
    int64_t mem_total, mem_used;
};

struct pick_case {
    const char *name;
    int n;
    struct host_row hosts[MAXH];
    const char *zone;
    int cpu;
    int64_t mem;
    int want_spread, want_pack; /* host index, or -1: nothing fits */
};

static const struct pick_case cases[] = {
    {"no hosts", 0, {{0}}, "z1", 1, GIB, -1, -1},
    {"one empty host", 1, {{"z1", 16, 0, 24 * GIB, 0}}, "z1", 1, GIB, 0, 0},
    {"spread takes the emptiest, pack the fullest",
     3,
     {{"z1", 16, 8, 24 * GIB, 8 * GIB}, {"z1", 16, 2, 24 * GIB, 2 * GIB}, {"z1", 16, 12, 24 * GIB, 12 * GIB}},
     "z1",
     1,
     GIB,
     1,
     2},
    {"pack skips the fullest host when the request does not fit there",
     3,
     {{"z1", 16, 8, 24 * GIB, 8 * GIB}, {"z1", 16, 2, 24 * GIB, 2 * GIB}, {"z1", 16, 15, 24 * GIB, 12 * GIB}},
     "z1",
     2,
     GIB,
     1,
     0},
    {"zone filter: only hosts of the asked zone",
     3,
     {{"z2", 16, 0, 24 * GIB, 0}, {"z1", 16, 10, 24 * GIB, 10 * GIB}, {"z1", 16, 12, 24 * GIB, 12 * GIB}},
     "z1",
     1,
     GIB,
     1,
     2},
    {"zone filter: no host in the zone",
     2,
     {{"z1", 16, 0, 24 * GIB, 0}, {"z1", 16, 0, 24 * GIB, 0}},
     "z3",
     1,
     GIB,
     -1,
     -1},
    {"empty zone means any zone", 2, {{"z2", 16, 8, 24 * GIB, 8 * GIB}, {"z1", 16, 0, 24 * GIB, 0}}, "", 1, GIB, 1, 0},
    {"NULL zone means any zone", 2, {{"z2", 16, 8, 24 * GIB, 8 * GIB}, {"z1", 16, 0, 24 * GIB, 0}}, NULL, 1, GIB, 1, 0},
    {"exact CPU fit is allowed", 1, {{"z1", 16, 8, 24 * GIB, 0}}, "z1", 8, GIB, 0, 0},
    {"one vCPU over is refused", 1, {{"z1", 16, 9, 24 * GIB, 0}}, "z1", 8, GIB, -1, -1},
    {"exact memory fit is allowed", 1, {{"z1", 16, 0, 24 * GIB, 8 * GIB}}, "z1", 1, 16 * GIB, 0, 0},
    {"one MiB over is refused", 1, {{"z1", 16, 0, 24 * GIB, 8 * GIB + 1}}, "z1", 1, 16 * GIB, -1, -1},
    {"memory is not overcommitted: 32 GiB never fits a 24 GiB host",
     1,
     {{"z1", 1600, 0, 24105, 0}},
     "z1",
     8,
     32 * GIB,
     -1,
     -1},
    {"a request larger than any host", 2, {{"z1", 2, 0, 24 * GIB, 0}, {"z1", 4, 0, 24 * GIB, 0}}, "z1", 8, GIB, -1, -1},
    {"a host with no capacity registered never fits",
     2,
     {{"z1", 0, 0, 0, 0}, {"z1", 4, 0, 4 * GIB, 0}},
     "z1",
     1,
     GIB,
     1,
     1},
    {"zero-size request fits a full host", 1, {{"z1", 4, 4, 4 * GIB, 4 * GIB}}, "z1", 0, 0, 0, 0},
    {"ties go to the first host",
     3,
     {{"z1", 16, 4, 24 * GIB, 4 * GIB}, {"z1", 16, 4, 24 * GIB, 4 * GIB}, {"z1", 16, 4, 24 * GIB, 4 * GIB}},
     "z1",
     1,
     GIB,
     0,
     0},
    {"the scarcer resource decides: host 0 has free CPU but little memory",
     2,
     {{"z1", 16, 0, 24 * GIB, 20 * GIB}, {"z1", 16, 8, 24 * GIB, 8 * GIB}},
     "z1",
     1,
     GIB,
     1,
     0},
    {"different host sizes: free share, not free amount",
     2,
     {{"z1", 64, 32, 96 * GIB, 48 * GIB}, {"z1", 8, 2, 12 * GIB, 3 * GIB}},
     "z1",
     1,
     GIB,
     1,
     0},
};

static void fill(const struct pick_case *c, struct host_capacity *h)
{
    memset(h, 0, sizeof(struct host_capacity) * MAXH);
    for (int i = 0; i < c->n; i++) {
        snprintf(h[i].host_id, sizeof h[i].host_id, "host-%d", i);
        snprintf(h[i].zone, sizeof h[i].zone, "%s", c->hosts[i].zone);
        h[i].vcpus_total = c->hosts[i].vcpus_total;
        h[i].vcpus_used = c->hosts[i].vcpus_used;
        h[i].memory_mib_total = c->hosts[i].mem_total;
        h[i].memory_mib_used = c->hosts[i].mem_used;
    }
}

static void pick_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pick_case *c = &cases[i];
        struct host_capacity h[MAXH];
        fill(c, h);
        int s = scheduler_pick(h, c->n, c->zone, c->cpu, c->mem, "spread");
        int p = scheduler_pick(h, c->n, c->zone, c->cpu, c->mem, "pack");
        if (s != c->want_spread || p != c->want_pack)
            fail_msg("case \"%s\": spread picked %d (want %d), pack picked %d (want %d)", c->name, s, c->want_spread, p,
                     c->want_pack);
        /* the inputs are not modified */
        struct host_capacity again[MAXH];
        fill(c, again);
        assert_memory_equal(h, again, sizeof h);
    }
}

static void default_policy_is_spread(void **state)
{
    (void)state;
    const struct pick_case *c = &cases[2];
    struct host_capacity h[MAXH];
    fill(c, h);
    assert_int_equal(scheduler_pick(h, c->n, c->zone, 1, GIB, NULL), c->want_spread);
    assert_int_equal(scheduler_pick(h, c->n, c->zone, 1, GIB, "bogus"), c->want_spread);
}

/* Placing a batch one by one (as RunInstances does, adding each placement to the host's usage). */
struct batch_case {
    const char *policy;
    int count;
    const char *want; /* host index per placement, '-' when nothing fits */
};

static void batch_sequences(void **state)
{
    (void)state;
    static const struct batch_case batches[] = {
        {"spread", 6, "010101"}, /* equal hosts: alternate */
        {"pack", 6, "000011"},   /* fill host 0 (4 vCPUs) first */
        {"spread", 10, "01010101--"},
        {"pack", 10, "00001111--"},
    };
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        struct host_capacity h[2] = {{"host-0", "z1", 4, 0, 8 * GIB, 0}, {"host-1", "z1", 4, 0, 8 * GIB, 0}};
        char got[16] = "";
        for (int i = 0; i < batches[b].count; i++) {
            int k = scheduler_pick(h, 2, "z1", 1, GIB, batches[b].policy);
            got[i] = k < 0 ? '-' : (char)('0' + k);
            if (k >= 0) {
                h[k].vcpus_used += 1;
                h[k].memory_mib_used += GIB;
            }
        }
        if (strcmp(got, batches[b].want) != 0)
            fail_msg("%s x%d: placed %s, want %s", batches[b].policy, batches[b].count, got, batches[b].want);
    }
}

/* Pools: an instance lands only on hosts of the pool it asked for; a dedicated host only takes its
 * owner's instances naming it, a cluster host only its owner's launching into that cluster, an
 * unsold dedicated host nobody's; and the shared pool never spills onto dedicated hosts. */
struct pool_case {
    const char *name;
    enum host_pool host_pool;
    const char *host_owner, *host_pool_id;
    enum host_pool want_pool;
    const char *owner;
    const char *ids[2];
    int nids;
    int eligible;
};

static const struct pool_case pool_cases[] = {
    {"shared host, shared launch", HOST_POOL_SHARED, "", "", HOST_POOL_SHARED, "100", {0}, 0, 1},
    {"shared host, CDH launch", HOST_POOL_SHARED, "", "", HOST_POOL_DEDICATED, "100", {"host-a"}, 1, 0},
    {"CDH, its owner naming it", HOST_POOL_DEDICATED, "100", "host-a", HOST_POOL_DEDICATED, "100", {"host-a"}, 1, 1},
    {"CDH, its owner naming another",
     HOST_POOL_DEDICATED,
     "100",
     "host-a",
     HOST_POOL_DEDICATED,
     "100",
     {"host-b"},
     1,
     0},
    {"CDH, its owner among two",
     HOST_POOL_DEDICATED,
     "100",
     "host-a",
     HOST_POOL_DEDICATED,
     "100",
     {"host-b", "host-a"},
     2,
     1},
    {"CDH, another account naming it",
     HOST_POOL_DEDICATED,
     "100",
     "host-a",
     HOST_POOL_DEDICATED,
     "200",
     {"host-a"},
     1,
     0},
    {"CDH, a shared launch of its owner", HOST_POOL_DEDICATED, "100", "host-a", HOST_POOL_SHARED, "100", {0}, 0, 0},
    {"CDH, a shared launch of another", HOST_POOL_DEDICATED, "100", "host-a", HOST_POOL_SHARED, "200", {0}, 0, 0},
    {"unsold dedicated host", HOST_POOL_DEDICATED, "", "", HOST_POOL_DEDICATED, "", {""}, 1, 0},
    {"unsold dedicated host, shared launch", HOST_POOL_DEDICATED, "", "", HOST_POOL_SHARED, "100", {0}, 0, 0},
    {"cluster host, its owner", HOST_POOL_CLUSTER, "100", "cluster-1", HOST_POOL_CLUSTER, "100", {"cluster-1"}, 1, 1},
    {"cluster host, another cluster",
     HOST_POOL_CLUSTER,
     "100",
     "cluster-1",
     HOST_POOL_CLUSTER,
     "100",
     {"cluster-2"},
     1,
     0},
    {"cluster host, another account",
     HOST_POOL_CLUSTER,
     "100",
     "cluster-1",
     HOST_POOL_CLUSTER,
     "200",
     {"cluster-1"},
     1,
     0},
    {"cluster host, a shared launch", HOST_POOL_CLUSTER, "100", "cluster-1", HOST_POOL_SHARED, "100", {0}, 0, 0},
    {"cluster host, a CDH launch of its owner",
     HOST_POOL_CLUSTER,
     "100",
     "cluster-1",
     HOST_POOL_DEDICATED,
     "100",
     {"cluster-1"},
     1,
     0},
};

static void pool_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pool_cases / sizeof pool_cases[0]; i++) {
        const struct pool_case *c = &pool_cases[i];
        struct host_capacity h = {"host-0", "z1", 4, 0, 8 * GIB, 0, c->host_pool, "", ""};
        snprintf(h.pool_owner, sizeof h.pool_owner, "%s", c->host_owner);
        snprintf(h.pool_id, sizeof h.pool_id, "%s", c->host_pool_id);
        struct placement p = {"z1", 1, GIB, c->want_pool, c->owner, c->ids, c->nids, "spread"};
        if (scheduler_eligible(&h, &p) != c->eligible)
            fail_msg("%s: eligible %d, want %d", c->name, !c->eligible, c->eligible);
        if (scheduler_place(&h, 1, &p) != (c->eligible ? 0 : -1))
            fail_msg("%s: placed where it must not be (or not where it must)", c->name);
    }
}

/* A full shared pool answers -1 although a dedicated host beside it has room. */
static void shared_full_dedicated_free(void **state)
{
    (void)state;
    struct host_capacity h[2] = {{"host-0", "z1", 2, 2, 8 * GIB, 2 * GIB, HOST_POOL_SHARED, "", ""},
                                 {"host-1", "z1", 64, 0, 256 * GIB, 0, HOST_POOL_DEDICATED, "100", "host-a"}};
    assert_int_equal(scheduler_pick(h, 2, "z1", 1, GIB, "spread"), -1);
    const char *ids[] = {"host-a"};
    struct placement other = {"z1", 1, GIB, HOST_POOL_DEDICATED, "200", ids, 1, "spread"};
    assert_int_equal(scheduler_place(h, 2, &other), -1);
    struct placement owner = {"z1", 1, GIB, HOST_POOL_DEDICATED, "100", ids, 1, "spread"};
    assert_int_equal(scheduler_place(h, 2, &owner), 1);
    struct placement any_own = {"z1", 1, GIB, HOST_POOL_DEDICATED, "100", NULL, 0, "pack"};
    assert_int_equal(scheduler_place(h, 2, &any_own), 1);
}

/* A placement group spreads its instances: one per host. Three shared hosts of z1 take one each,
 * in the order each policy prefers; a fourth instance is refused though they have room (without
 * the group it fits); the hosts the zone and pool filters exclude (z2, the owner's CDH) are never
 * what the group spreads onto. Members on hosts not in the list change nothing. */
static void placement_group_spread(void **state)
{
    (void)state;
    static const struct {
        const char *policy, *want;
    } runs[] = {{"spread", "012-"}, {"pack", "210-"}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        struct host_capacity h[5] = {{"host-0", "z1", 16, 0, 32 * GIB, 0, HOST_POOL_SHARED, "", ""},
                                     {"host-1", "z1", 16, 8, 32 * GIB, 16 * GIB, HOST_POOL_SHARED, "", ""},
                                     {"host-2", "z1", 16, 12, 32 * GIB, 24 * GIB, HOST_POOL_SHARED, "", ""},
                                     {"host-3", "z2", 16, 0, 32 * GIB, 0, HOST_POOL_SHARED, "", ""},
                                     {"host-4", "z1", 64, 0, 256 * GIB, 0, HOST_POOL_DEDICATED, "100", "host-a"}};
        const char *members[8] = {"host-9"}; /* a member on a host that is down: not in the list */
        int n = 1;
        char got[8] = "";
        for (int i = 0; i < 4; i++) {
            struct placement p = {"z1", 1, GIB, HOST_POOL_SHARED, "100", NULL, 0, runs[r].policy, members, n};
            int k = scheduler_place(h, 5, &p);
            got[i] = k < 0 ? '-' : (char)('0' + k);
            if (k < 0) {
                /* refused for the group alone: the same request without it fits */
                p.ngroup_hosts = 0;
                assert_true(scheduler_place(h, 5, &p) >= 0);
                continue;
            }
            assert_true(k <= 2 && scheduler_group_allows(&h[k], &p)); /* z1, shared, no member yet */
            members[n++] = h[k].host_id;
            h[k].vcpus_used += 1;
            h[k].memory_mib_used += GIB;
        }
        if (strcmp(got, runs[r].want) != 0)
            fail_msg("%s: placed %s, want %s", runs[r].policy, got, runs[r].want);
        /* the group filter: every host holding a member says no, the others yes */
        struct placement p = {"z1", 1, GIB, HOST_POOL_SHARED, "100", NULL, 0, "spread", members, n};
        for (int i = 0; i < 5; i++)
            assert_int_equal(scheduler_group_allows(&h[i], &p), i >= 3);
        /* zone: z2's host has room and no member, but the group's instance asked for z1 */
        struct placement any_zone = p;
        any_zone.zone = NULL;
        assert_int_equal(scheduler_place(h, 5, &any_zone), 3);
        /* pool: the owner's CDH has no member; a CDHPAID launch naming it may go there, once */
        const char *ids[] = {"host-a"};
        struct placement cdh = {"z1", 1, GIB, HOST_POOL_DEDICATED, "100", ids, 1, "spread", members, n};
        assert_int_equal(scheduler_place(h, 5, &cdh), 4);
        members[n++] = h[4].host_id;
        cdh.ngroup_hosts = n;
        assert_int_equal(scheduler_place(h, 5, &cdh), -1);
        /* another account's CDH launch never spreads onto it, group or not */
        struct placement other = {"z1", 1, GIB, HOST_POOL_DEDICATED, "200", ids, 1, "spread", NULL, 0};
        assert_int_equal(scheduler_place(h, 5, &other), -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pick_table),
        cmocka_unit_test(default_policy_is_spread),
        cmocka_unit_test(batch_sequences),
        cmocka_unit_test(pool_table),
        cmocka_unit_test(shared_full_dedicated_free),
        cmocka_unit_test(placement_group_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
