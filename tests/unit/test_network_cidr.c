/* CIDR parsing, containment and overlap, VPC block rules, reserved addresses, port specs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "network/network.h"

static void test_ip_parse(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
        uint32_t v;
    } cases[] = {
        {"0.0.0.0", 1, 0},
        {"10.0.0.1", 1, 0x0a000001},
        {"255.255.255.255", 1, 0xffffffffu},
        {"256.0.0.1", 0, 0},
        {"10.0.0", 0, 0},
        {"10.0.0.1.2", 0, 0},
        {"010.0.0.1", 0, 0},
        {" 10.0.0.1", 0, 0},
        {"10.0.0.1 ", 0, 0},
        {"10.-1.0.1", 0, 0},
        {"", 0, 0},
        {"a.b.c.d", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t v = 0;
        int rc = ip_parse(cases[i].s, &v);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(v, cases[i].v);
            char back[16];
            ip_format(v, back);
            assert_string_equal(back, cases[i].s);
        } else {
            assert_int_equal(rc, -1);
        }
    }
    assert_int_equal(ip_parse(NULL, &(uint32_t){0}), -1);
}

static void test_cidr_parse(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok, prefix;
    } cases[] = {
        {"10.0.0.0/16", 1, 16}, {"10.0.0.0/8", 1, 8},   {"0.0.0.0/0", 1, 0},   {"10.0.0.5/32", 1, 32},
        {"10.0.0.1/16", 0, 0},  {"10.0.0.0/33", 0, 0},  {"10.0.0.0/", 0, 0},   {"10.0.0.0", 0, 0},
        {"10.0.0.0/016", 0, 0}, {"10.0.0.0/16x", 0, 0}, {"10.0.0.0/-1", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cidr c;
        int rc = cidr_parse(cases[i].s, &c);
        assert_int_equal(rc, cases[i].ok ? 0 : -1);
        if (cases[i].ok) {
            assert_int_equal(c.prefix, cases[i].prefix);
            char back[20];
            cidr_format(&c, back);
            assert_string_equal(back, cases[i].s);
        }
    }
}

static struct cidr C(const char *s) {
    struct cidr c = {0, 0};
    assert_int_equal(cidr_parse(s, &c), 0);
    return c;
}

static void
test_contains_overlaps(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int a_contains_b, overlap;
    } cases[] = {
        {"10.0.0.0/16", "10.0.1.0/24", 1, 1},         {"10.0.1.0/24", "10.0.0.0/16", 0, 1},
        {"10.0.0.0/16", "10.0.0.0/16", 1, 1},         {"10.0.0.0/24", "10.0.1.0/24", 0, 0},
        {"10.0.1.0/25", "10.0.1.128/25", 0, 0},       {"10.0.1.0/24", "10.0.1.128/25", 1, 1},
        {"10.0.0.0/16", "10.1.0.0/16", 0, 0},         {"0.0.0.0/0", "192.168.3.0/28", 1, 1},
        {"172.16.0.0/12", "172.31.255.240/28", 1, 1}, {"172.16.0.0/12", "172.32.0.0/16", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cidr a = C(cases[i].a), b = C(cases[i].b);
        assert_int_equal(cidr_contains(&a, &b), cases[i].a_contains_b);
        assert_int_equal(cidr_overlaps(&a, &b), cases[i].overlap);
        assert_int_equal(cidr_overlaps(&b, &a), cases[i].overlap);
    }
    struct cidr s = C("10.0.1.0/24");
    uint32_t ip;
    assert_int_equal(ip_parse("10.0.1.77", &ip), 0);
    assert_true(cidr_contains_ip(&s, ip));
    assert_int_equal(ip_parse("10.0.2.0", &ip), 0);
    assert_false(cidr_contains_ip(&s, ip));
    assert_int_equal(cidr_size(&s), 256);
}

static void test_vpc_blocks(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"10.0.0.0/16", 1},    {"10.255.255.240/28", 1}, {"172.16.0.0/16", 1}, {"172.31.0.0/16", 1},
        {"192.168.0.0/16", 1}, {"192.168.100.0/24", 1},  {"10.0.0.0/8", 0},    {"10.0.0.0/12", 0},
        {"10.0.0.0/15", 0},    {"10.0.0.0/29", 0},       {"172.32.0.0/16", 0}, {"172.15.0.0/16", 0},
        {"192.169.0.0/16", 0}, {"8.8.8.0/24", 0},        {"100.64.0.0/16", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cidr c = C(cases[i].s);
        assert_int_equal(cidr_is_private_block(&c), cases[i].ok);
    }
}

static void test_reserved(void **state)
{
    (void)state;
    struct cidr s = C("10.0.1.0/24");
    static const struct {
        const char *ip;
        int reserved;
    } cases[] = {{"10.0.1.0", 1}, {"10.0.1.1", 1}, {"10.0.1.2", 0}, {"10.0.1.254", 0}, {"10.0.1.255", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t ip;
        assert_int_equal(ip_parse(cases[i].ip, &ip), 0);
        assert_int_equal(subnet_ip_reserved(&s, ip), cases[i].reserved);
    }
    assert_int_equal(subnet_usable_count(&s), 253);
    struct cidr t = C("10.0.1.0/28");
    assert_int_equal(subnet_usable_count(&t), 13);
    char gw[16];
    ip_format(subnet_gateway(&s), gw);
    assert_string_equal(gw, "10.0.1.1");
}

static void test_peer(void **state)
{
    (void)state;
    struct cidr c;
    assert_int_equal(cidr_parse_peer("10.0.0.5", &c), 0);
    assert_int_equal(c.prefix, 32);
    assert_int_equal(cidr_parse_peer("0.0.0.0/8", &c), 0);
    assert_int_equal(c.prefix, 0); /* 0.0.0.0/n means everything */
    assert_int_equal(cidr_parse_peer("10.0.0.0/8", &c), 0);
    assert_int_equal(c.prefix, 8);
    assert_int_equal(cidr_parse_peer("10.0.0.1/8", &c), -1);
    assert_int_equal(cidr_parse_peer("nope", &c), -1);
}

static void test_ports(void **state)
{
    (void)state;
    struct port_range r[8];
    static const struct {
        const char *s;
        int n, lo0, hi0;
    } cases[] = {
        {"all", 0, 0, 0},
        {"ALL", 0, 0, 0},
        {"22", 1, 22, 22},
        {"80,443", 2, 80, 80},
        {"8000-9000", 1, 8000, 9000},
        {"65535", 1, 65535, 65535},
        {"0", -1, 0, 0},
        {"65536", -1, 0, 0},
        {"80-70", -1, 0, 0},
        {"80,", -1, 0, 0},
        {",80", -1, 0, 0},
        {"80,443-500", -1, 0, 0},
        {"1-2,3", -1, 0, 0},
        {"", -1, 0, 0},
        {"80 ", -1, 0, 0},
        {"1,2,3,4,5,6,7,8,9", -1, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = port_spec_parse(cases[i].s, r, 8);
        assert_int_equal(n, cases[i].n);
        if (n > 0) {
            assert_int_equal(r[0].lo, cases[i].lo0);
            assert_int_equal(r[0].hi, cases[i].hi0);
        }
    }
    assert_int_equal(port_spec_parse("80,443", r, 8), 2);
    assert_int_equal(r[1].lo, 443);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_parse),   cmocka_unit_test(test_cidr_parse), cmocka_unit_test(test_contains_overlaps),
        cmocka_unit_test(test_vpc_blocks), cmocka_unit_test(test_reserved),   cmocka_unit_test(test_peer),
        cmocka_unit_test(test_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
