/* Policy evaluation, table-driven: allow, deny, wildcards, resources, conditions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "identity/identity.h"

#define NOW 1795000000 /* 2026-11-18T...Z */

struct row {
    const char *doc;
    const char *action, *resource, *ip;
    enum policy_effect want;
};

static const struct row rows[] = {
    /* actions */
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"cvm:DescribeZones\",\"resource\":\"*\"}]}",
     "cvm:DescribeZones", "*", "10.0.0.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"cvm:Describe*\",\"resource\":\"*\"}]}",
     "cvm:DescribeZones", "*", "10.0.0.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"cvm:Describe*\",\"resource\":\"*\"}]}",
     "cvm:RunInstances", "*", "10.0.0.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"cvm:Describe*\",\"resource\":\"*\"}]}",
     "cam:DescribeThing", "*", "10.0.0.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"}]}", "cam:AddUser",
     "qcs::cam::uin/1:user/bob", "10.0.0.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":[\"cam:GetUser\",\"name/"
     "cvm:*\"],\"resource\":\"*\"}]}",
     "cvm:StopInstances", "*", "10.0.0.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"CVM:describezones\",\"resource\":\"*\"}]}",
     "cvm:DescribeZones", "*", "10.0.0.1", POLICY_ALLOW},
    /* explicit deny wins, whatever the order */
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"deny\",\"action\":\"cvm:DescribeZones\",\"resource\":\"*\"},"
     "{\"effect\":\"allow\",\"action\":\"cvm:*\",\"resource\":\"*\"}]}",
     "cvm:DescribeZones", "*", "10.0.0.1", POLICY_DENY},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"cvm:*\",\"resource\":\"*\"},"
     "{\"effect\":\"deny\",\"action\":\"cvm:Describe*\",\"resource\":\"*\"}]}",
     "cvm:DescribeZones", "*", "10.0.0.1", POLICY_DENY},
    /* resources */
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"cam:GetUser\",\"resource\":\"qcs::cam::uin/"
     "100:user/*\"}}",
     "cam:GetUser", "qcs::cam::uin/100:user/bob", "10.0.0.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"cam:GetUser\",\"resource\":\"qcs::cam::uin/"
     "100:user/*\"}}",
     "cam:GetUser", "qcs::cam::uin/200:user/bob", "10.0.0.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"cam:GetUser\",\"resource\":\"qcs::cam::uin/"
     "${owner_uin}:user/b*\"}}",
     "cam:GetUser", "qcs::cam::uin/100:user/bob", "10.0.0.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"cvm:*\",\"resource\":\"qcs::cvm::uin/"
     "100:instance/*\"}}",
     "cvm:StopInstances", "qcs::cvm:ap-local:uin/100:instance/ins-abcdefgh", "10.0.0.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"cvm:*\",\"resource\":\"qcs::cvm:ap-other:"
     "uin/100:instance/*\"}}",
     "cvm:StopInstances", "qcs::cvm:ap-local:uin/100:instance/ins-abcdefgh", "10.0.0.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"cvm:*\",\"resource\":\"qcs::cvm::uin/"
     "100:instance/ins-1\"}}",
     "cvm:DescribeZones", "*", "10.0.0.1", POLICY_NONE},
    /* conditions */
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_"
     "equal\":{\"qcs:ip\":\"10.0.0.0/8\"}}}}",
     "cvm:DescribeZones", "*", "10.1.2.3", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_"
     "equal\":{\"qcs:ip\":[\"192.168.0.0/16\",\"10.0.0.0/8\"]}}}}",
     "cvm:DescribeZones", "*", "11.1.2.3", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_"
     "not_equal\":{\"qcs:ip\":\"127.0.0.1/32\"}}}}",
     "cvm:DescribeZones", "*", "127.0.0.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_"
     "not_equal\":{\"qcs:ip\":\"127.0.0.1/32\"}}}}",
     "cvm:DescribeZones", "*", "127.0.0.2", POLICY_DENY},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_less_than\":{\"qcs:current_time\":\"2030-01-01T00:00:00Z\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_greater_than\":{\"qcs:current_time\":\"2030-01-01T00:00:00+08:00\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_NONE},
    /* every ordering operator, on the clock */
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_less_than_equal\":{\"qcs:current_time\":\"2030-01-01T00:00:00Z\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_greater_than_equal\":{\"qcs:current_time\":\"2030-01-01T00:00:00Z\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_not_equal\":{\"qcs:current_time\":\"2030-01-01T00:00:00Z\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_equal\":{\"qcs:current_time\":\"2030-01-01T00:00:00Z\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_greater_than\":{\"qcs:current_time\":\"2020-01-01T00:00:00Z\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"date_less_than\":{\"qcs:current_time\":\"2020-01-01T00:00:00Z\"}}}}",
     "cvm:DescribeZones", "*", "1.1.1.1", POLICY_NONE},
    /* a condition that cannot be evaluated (no source address known): a deny applies, an allow does not */
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"},"
     "{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_equal\":{\"qcs:ip\":\"127.0.0.0/"
     "8\"}}}]}",
     "cos:PutObject", "*", "", POLICY_DENY},
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"},"
     "{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_equal\":{\"qcs:ip\":\"127.0.0.0/"
     "8\"}}}]}",
     "cos:PutObject", "*", NULL, POLICY_DENY},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_"
     "equal\":{\"qcs:ip\":\"0.0.0.0/0\"}}}}",
     "cos:PutObject", "*", "", POLICY_NONE},
    /* ..._if_exist: an absent value satisfies the clause */
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_"
     "equal_if_exist\":{\"qcs:ip\":\"10.0.0.0/8\"}}}}",
     "cos:PutObject", "*", "", POLICY_ALLOW},
    /* one clause that definitely fails makes a deny not apply, even beside one that cannot be evaluated */
    {"{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"},"
     "{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{\"ip_equal\":{\"qcs:ip\":\"127.0.0.0/"
     "8\"},"
     "\"date_greater_than\":{\"qcs:current_time\":\"2099-01-01T00:00:00Z\"}}}]}",
     "cos:PutObject", "*", "", POLICY_ALLOW},
    /* AWS's operator names are CAM's; CAM's fail-closed rule for absent values still holds */
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"IpAddress\":{\"qcs:ip\":\"10.0.0.0/8\"}}}}",
     "cos:PutObject", "*", "10.1.1.1", POLICY_ALLOW},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"NotIpAddress\":{\"qcs:ip\":\"10.0.0.0/8\"}}}}",
     "cos:PutObject", "*", "10.1.1.1", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"NotIpAddress\":{\"qcs:ip\":\"10.0.0.0/8\"}}}}",
     "cos:PutObject", "*", "", POLICY_NONE},
    {"{\"version\":\"2.0\",\"statement\":{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
     "\"IpAddressIfExists\":{\"qcs:ip\":\"10.0.0.0/8\"}}}}",
     "cos:PutObject", "*", "", POLICY_ALLOW},
};

static void evaluation_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *doc = json_loads(rows[i].doc, 0, NULL);
        assert_non_null(doc);
        char why[256];
        if (policy_validate(doc, why, sizeof why) != 0)
            fail_msg("row %zu: valid document rejected: %s", i, why);
        struct policy_context c = {.action = rows[i].action,
                                   .resource = rows[i].resource,
                                   .source_ip = rows[i].ip,
                                   .now = NOW,
                                   .uin = "200",
                                   .owner_uin = "100",
                                   .app_id = "1250000000"};
        enum policy_effect e = policy_evaluate(doc, &c);
        if (e != rows[i].want)
            fail_msg("row %zu: want %d, got %d", i, rows[i].want, e);
        json_decref(doc);
    }
}

static void invalid_documents(void **state)
{
    (void)state;
    const char *bad[] = {
        "[]",
        "{\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"}]}",
        "{\"version\":\"2.0\",\"statement\":[]}",
        "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"maybe\",\"action\":\"*\",\"resource\":\"*\"}]}",
        "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"resource\":\"*\"}]}",
        "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":[],\"resource\":\"*\"}]}",
        "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\"}]}",
        "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"bogus_op\":{}}}]}",
        "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"extra\":1}]}",
        /* condition keys yun cannot evaluate, and values an operator cannot compare */
        "{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"string_equal\":{\"qcs:unknown_key\":\"x\"}}}}",
        "{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"string_equal\":{\"cvm:region\":\"ap-local\"}}}}",
        "{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"ip_equal\":{\"qcs:ip\":\"garbage\"}}}}",
        "{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"ip_equal\":{\"qcs:ip\":\"10.0.0.0/33\"}}}}",
        "{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"ip_equal\":{\"qcs:ip\":[]}}}}",
        "{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"date_less_than\":{\"qcs:current_time\":\"tomorrow\"}}}}",
        "{\"version\":\"2.0\",\"statement\":{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{"
        "\"date_less_than\":{\"qcs:ip\":\"2030-01-01T00:00:00Z\"}}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *doc = json_loads(bad[i], 0, NULL);
        char why[256];
        if (policy_validate(doc, why, sizeof why) == 0)
            fail_msg("document %zu accepted: %s", i, bad[i]);
        json_decref(doc);
    }
}

static void glob_and_cidr(void **state)
{
    (void)state;
    assert_true(policy_glob("a*c", "abbbc", 0));
    assert_true(policy_glob("*", "", 0));
    assert_false(policy_glob("a*c", "abbbd", 0));
    assert_true(policy_glob("*Zones", "DescribeZones", 0));
    assert_true(policy_ip_in("10.0.0.0/8", "10.255.0.1"));
    assert_false(policy_ip_in("10.0.0.0/8", "11.0.0.1"));
    assert_true(policy_ip_in("127.0.0.1", "127.0.0.1"));
    assert_true(policy_ip_in("0.0.0.0/0", "8.8.8.8"));
    assert_false(policy_ip_in("10.0.0.0/33", "10.0.0.1"));
    assert_false(policy_ip_in("garbage", "10.0.0.1"));
    assert_true(policy_ip_in("fd00::/8", "fd12::1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(evaluation_table), cmocka_unit_test(invalid_documents),
                                       cmocka_unit_test(glob_and_cidr)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
