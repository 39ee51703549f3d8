/*
 * IPAM against a real SQLite store: reserved addresses are skipped, a wanted address is taken
 * once, release makes it free again, a small subnet runs out, the default VPC is created once,
 * and concurrent allocators in separate processes never hand out one address twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "network/network.h"
#include "network/network_int.h"

static char dir[64], db[128];

static struct store *open_store(void)
{
    char err[256];
    struct store *s = store_open(db, err, sizeof err);
    assert_non_null(s);
    return s;
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/yun-ipam-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/yun.db", dir);
    struct store *s = open_store();
    char err[256];
    assert_int_equal(network_migrate(s, err, sizeof err), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    store_close(*state);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_default_vpc(void **state)
{
    struct store *s = *state;
    char vpc[24], sub[24], vpc2[24], sub2[24], sub3[24], code[96] = "";
    assert_int_equal(network_default_vpc(s, "100", "ap-local", "ap-local-1", vpc, sub, code, sizeof code), 0);
    assert_true(strncmp(vpc, "vpc-", 4) == 0 && strncmp(sub, "subnet-", 7) == 0);
    /* idempotent: the same ids again */
    assert_int_equal(network_default_vpc(s, "100", "ap-local", "ap-local-1", vpc2, sub2, code, sizeof code), 0);
    assert_string_equal(vpc, vpc2);
    assert_string_equal(sub, sub2);
    /* another zone: same VPC, its own /20 */
    assert_int_equal(network_default_vpc(s, "100", "ap-local", "ap-local-2", vpc2, sub3, code, sizeof code), 0);
    assert_string_equal(vpc, vpc2);
    assert_string_not_equal(sub, sub3);
    struct store_stmt *q = store_query(s, "SELECT cidr FROM subnets WHERE vpc_id = ? ORDER BY cidr", "s", vpc);
    assert_int_equal(store_step(q), 1);
    assert_string_equal(store_text(q, 0), "172.16.0.0/20");
    assert_int_equal(store_step(q), 1);
    assert_string_equal(store_text(q, 0), "172.16.16.0/20");
    store_done(q);
    q = store_query(s, "SELECT cidr, is_default FROM vpcs WHERE vpc_id = ?", "s", vpc);
    assert_int_equal(store_step(q), 1);
    assert_string_equal(store_text(q, 0), "172.16.0.0/16");
    assert_int_equal(store_int(q, 1), 1);
    store_done(q);
    /* the default security group exists once, with its two policies: all IPv4 in and out (Tencent's default) */
    char sg[24], sg2[24];
    assert_int_equal(network_default_security_group(s, "100", "ap-local", sg), 0);
    assert_int_equal(network_default_security_group(s, "100", "ap-local", sg2), 0);
    assert_string_equal(sg, sg2);
    json_t *set = sg_policy_set(s, sg);
    assert_non_null(set);
    assert_int_equal(json_array_size(json_object_get(set, "Ingress")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(set, "Ingress"), 0), "CidrBlock")),
        "0.0.0.0/0");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(set, "Egress"), 0), "CidrBlock")),
        "0.0.0.0/0");
    json_decref(set);
    /* another account gets its own default VPC with the same block */
    char other[24], other_sub[24];
    assert_int_equal(network_default_vpc(s, "200", "ap-local", "ap-local-1", other, other_sub, code, sizeof code), 0);
    assert_string_not_equal(other, vpc);
}

static void small_subnet(struct store *s, const char *owner, char vpc[24], char sub[24])
{
    assert_int_equal(vpc_create(s, owner, "ap-local", "t", "10.9.0.0/16", 0, vpc), 0);
    assert_int_equal(subnet_create(s, owner, vpc, "t", "10.9.0.0/28", "ap-local-1", 0, sub), 0);
}

static void test_allocate_release(void **state)
{
    struct store *s = *state;
    char vpc[24], sub[24], ip[16], code[96];
    small_subnet(s, "300", vpc, sub);
    /* lowest first, network and gateway skipped */
    assert_int_equal(network_allocate_ip(s, "300", sub, NULL, "ins-aaaaaaaa", ip, code, sizeof code), 0);
    assert_string_equal(ip, "10.9.0.2");
    /* a wanted address */
    assert_int_equal(network_allocate_ip(s, "300", sub, "10.9.0.9", "ins-bbbbbbbb", ip, code, sizeof code), 0);
    assert_string_equal(ip, "10.9.0.9");
    assert_int_equal(network_allocate_ip(s, "300", sub, "10.9.0.9", "ins-cccccccc", ip, code, sizeof code), -1);
    assert_string_equal(code, "ResourceInUse.Address");
    static const char *const bad[] = {"10.9.0.0", "10.9.0.1", "10.9.0.15", "10.9.1.2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(network_allocate_ip(s, "300", sub, bad[i], "ins-cccccccc", ip, code, sizeof code), -1);
        assert_string_equal(code, "InvalidParameterValue.Range");
    }
    assert_int_equal(network_allocate_ip(s, "300", sub, "10.9.0.x", "ins-cccccccc", ip, code, sizeof code), -1);
    assert_string_equal(code, "InvalidParameterValue.Malformed");
    /* another account cannot allocate in this subnet */
    assert_int_equal(network_allocate_ip(s, "301", sub, NULL, "ins-dddddddd", ip, code, sizeof code), -1);
    assert_string_equal(code, "InvalidParameterValue.SubnetNotExist");
    /* fill the /28: 13 usable, 2 taken */
    int got = 0;
    while (network_allocate_ip(s, "300", sub, NULL, "ins-eeeeeeee", ip, code, sizeof code) == 0)
        got++;
    assert_int_equal(got, 11);
    assert_string_equal(code, "ResourceInsufficient.Subnet");
    /* release one, it comes back */
    assert_int_equal(network_release_ip(s, "300", sub, "10.9.0.9"), 0);
    assert_int_equal(network_release_ip(s, "300", sub, "10.9.0.9"), 1);
    assert_int_equal(network_allocate_ip(s, "300", sub, NULL, "ins-ffffffff", ip, code, sizeof code), 0);
    assert_string_equal(ip, "10.9.0.9");
    /* releasing an instance frees all its addresses */
    assert_int_equal(network_release_instance_ips(s, "300", "ins-eeeeeeee"), 0);
    struct store_stmt *q = store_query(s, "SELECT count(*) FROM ip_allocations WHERE subnet_id = ?", "s", sub);
    assert_int_equal(store_step(q), 1);
    assert_int_equal(store_int(q, 0), 2);
    store_done(q);
}

#define WORKERS    6
#define PER_WORKER 40

static void test_concurrent(void **state)
{
    struct store *s = *state;
    char vpc[24], sub[24];
    assert_int_equal(vpc_create(s, "400", "ap-local", "c", "10.20.0.0/16", 0, vpc), 0);
    assert_int_equal(subnet_create(s, "400", vpc, "c", "10.20.0.0/24", "ap-local-1", 0, sub), 0);
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            /* each worker: its own connection; even ones use a transaction per allocation, like an API request */
            char err[256], ip[16], code[96], ins[48];
            struct store *c = store_open(db, err, sizeof err);
            if (!c)
                _exit(2);
            int ok = 0;
            for (int i = 0; i < PER_WORKER; i++) {
                snprintf(ins, sizeof ins, "ins-w%di%03d", w, i);
                if (w % 2) {
                    /* odd workers without a transaction: only the UNIQUE constraint arbitrates */
                    if (network_allocate_ip(c, "400", sub, NULL, ins, ip, code, sizeof code) == 0)
                        ok++;
                    continue;
                }
                if (store_begin(c) != STORE_OK)
                    _exit(3);
                if (network_allocate_ip(c, "400", sub, NULL, ins, ip, code, sizeof code) == 0 &&
                    store_commit(c) == STORE_OK)
                    ok++;
                else
                    store_rollback(c);
            }
            store_close(c);
            _exit(ok == PER_WORKER ? 0 : 4);
        }
    }
    for (int w = 0; w < WORKERS; w++) {
        int status;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    struct store_stmt *q =
        store_query(s, "SELECT count(*), count(DISTINCT ip) FROM ip_allocations WHERE subnet_id = ?", "s", sub);
    assert_int_equal(store_step(q), 1);
    assert_int_equal(store_int(q, 0), WORKERS * PER_WORKER);
    assert_int_equal(store_int(q, 1), WORKERS * PER_WORKER);
    store_done(q);
    /* and without the transaction the UNIQUE constraint alone refuses a duplicate */
    int rc = store_exec(s,
                        "INSERT INTO ip_allocations (vpc_id, subnet_id, ip, owner_uin, instance_id, created) VALUES "
                        "(?, ?, '10.20.0.2', '400', 'x', 0)",
                        "ss", vpc, sub);
    assert_int_equal(rc, STORE_CONSTRAINT);
}

static void test_host_plan(void **state)
{
    struct store *s = *state;
    char vpc[24], sub[24], ip[16], code[96], sg[24];
    assert_int_equal(network_default_vpc(s, "500", "ap-local", "ap-local-1", vpc, sub, code, sizeof code), 0);
    assert_int_equal(network_default_security_group(s, "500", "ap-local", sg), 0);
    assert_int_equal(network_allocate_ip(s, "500", sub, NULL, "ins-plan0001", ip, code, sizeof code), 0);
    const char *groups[] = {sg};
    assert_int_equal(network_set_nic_security_groups(s, "500", "ins-plan0001", groups, 1, code, sizeof code), 0);
    const char *foreign[] = {"sg-nothere"};
    assert_int_equal(network_set_nic_security_groups(s, "500", "ins-plan0001", foreign, 1, code, sizeof code), -1);
    assert_string_equal(code, "InvalidSecurityGroupId.NotFound");
    json_t *plan = network_host_plan(s, NULL);
    assert_non_null(plan);
    json_t *nic = NULL, *nics = json_object_get(plan, "Nics");
    for (size_t i = 0; i < json_array_size(nics); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(nics, i), "InstanceId")), "ins-plan0001") == 0)
            nic = json_array_get(nics, i);
    assert_non_null(nic);
    assert_string_equal(json_string_value(json_object_get(nic, "Device")), "yt-plan0001");
    assert_string_equal(json_string_value(json_object_get(nic, "Ip")), ip);
    assert_string_equal(json_string_value(json_object_get(nic, "VpcId")), vpc);
    assert_int_equal(strlen(json_string_value(json_object_get(nic, "Mac"))), 17);
    assert_string_equal(json_string_value(json_array_get(json_object_get(nic, "SecurityGroupIds"), 0)), sg);
    int found_group = 0;
    json_t *g;
    size_t i;
    json_array_foreach (json_object_get(plan, "SecurityGroups"), i, g) {
        if (strcmp(json_string_value(json_object_get(g, "SecurityGroupId")), sg) == 0) {
            found_group = 1; /* no policy names the group as its peer: its members are of no use to the host */
            assert_int_equal(json_array_size(json_object_get(g, "Members")), 0);
        }
    }
    assert_true(found_group);
    json_decref(plan);
    /* a policy naming the group as peer: the plan lists the group's members */
    assert_int_equal(store_exec(s,
                                "INSERT INTO security_group_policies (sg_id, direction, position, protocol, port,"
                                " peer_sg, action, modified) VALUES (?, 'ingress', 99, 'ALL', 'ALL', ?, 'ACCEPT', 0)",
                                "ss", sg, sg),
                     1);
    plan = network_host_plan(s, NULL);
    assert_non_null(plan);
    found_group = 0;
    json_array_foreach (json_object_get(plan, "SecurityGroups"), i, g) {
        if (strcmp(json_string_value(json_object_get(g, "SecurityGroupId")), sg) == 0) {
            found_group = 1;
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(json_object_get(g, "Members"), 0), "Ip")), ip);
        }
    }
    assert_true(found_group);
    json_decref(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_vpc),
        cmocka_unit_test(test_allocate_release),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_host_plan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
