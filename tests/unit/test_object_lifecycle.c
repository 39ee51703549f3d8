/*
 * Lifecycle documents (lifecycle.c): what lc_parse accepts and refuses with which S3 code, the
 * IDs it gives, the filters lc_matches applies, and S3's rounding of expiry to midnight UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "object/lifecycle.h"

#define RULE(body) "<LifecycleConfiguration><Rule>" body "</Rule></LifecycleConfiguration>"

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *xml, *code;
    } cases[] = {
        {"<NotLifecycle/>", "MalformedXML"},
        {"<LifecycleConfiguration></LifecycleConfiguration>", "MalformedXML"},
        {RULE("<Status>enabled</Status><Expiration><Days>1</Days></Expiration>"), "MalformedXML"},
        {RULE("<Expiration><Days>1</Days></Expiration>"), "MalformedXML"},
        {RULE("<Status>Enabled</Status><Expiration><Days>0</Days></Expiration>"), "InvalidArgument"},
        {RULE("<Status>Enabled</Status><Expiration><Days>-3</Days></Expiration>"), "InvalidArgument"},
        {RULE("<Status>Enabled</Status><Expiration><Date>20200101</Date></Expiration>"), "InvalidArgument"},
        {RULE("<Status>Enabled</Status><Expiration><Date>2020-01-01T10:00:00Z</Date></Expiration>"), "InvalidArgument"},
        {RULE("<Status>Enabled</Status><Expiration><Days>1</Days><Date>2020-01-01</Date></Expiration>"),
         "MalformedXML"},
        {RULE("<Status>Enabled</Status><Prefix>a</Prefix><Filter/><Expiration><Days>1</Days></Expiration>"),
         "MalformedXML"},
        {RULE("<Status>Enabled</Status><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
              "<Expiration><Days>1</Days></Expiration>"),
         "MalformedXML"},
        {RULE("<Status>Enabled</Status><Filter/>"), "InvalidRequest"},
        {RULE("<Status>Enabled</Status><Bogus/><Expiration><Days>1</Days></Expiration>"), "MalformedXML"},
        {RULE("<Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"),
         "InvalidStorageClass"},
        {RULE("<Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
              "<NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
         "InvalidArgument"},
        {"<LifecycleConfiguration><Rule><ID>x</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"
         "</Rule><Rule><ID>x</ID><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>"
         "</LifecycleConfiguration>",
         "InvalidArgument"},
        {"<!DOCTYPE x [<!ENTITY a \"b\">]><LifecycleConfiguration/>", "MalformedXML"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lc_config c;
        const char *code = NULL, *msg = NULL;
        int rc = lc_parse(cases[i].xml, strlen(cases[i].xml), &c, &code, &msg);
        if (rc == 0 || strcmp(code, cases[i].code) != 0)
            fail_msg("case %zu: rc %d code %s, want %s", i, rc, code ? code : "-", cases[i].code);
    }
}

static void test_accepted_and_matching(void **state)
{
    (void)state;
    const char *xml =
        "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Rule><Status>Enabled</Status><Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
        "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Expiration><Days>3</Days></Expiration></Rule>"
        "<Rule><ID>date</ID><Status>Disabled</Status><Prefix></Prefix><Expiration><Date>2030-01-01T00:00:00.000Z</Date>"
        "</Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>";
    struct lc_config c;
    const char *code, *msg;
    assert_int_equal(lc_parse(xml, strlen(xml), &c, &code, &msg), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(strlen(c.rules[0].id), 24); /* given one */
    assert_true(c.rules[0].enabled && c.rules[0].filter_and);
    assert_int_equal(c.rules[0].exp_days, 3);
    assert_true(c.rules[1].legacy_prefix && !c.rules[1].enabled);
    assert_true(c.rules[1].exp_date == 1893456000);
    assert_int_equal(c.rules[1].abort_days, 2);
    const struct lc_rule *r = &c.rules[0];
    assert_true(lc_matches(r, "logs/a", 11, "{\"k\":\"v\",\"x\":\"y\"}"));
    assert_false(lc_matches(r, "logs/a", 10, "{\"k\":\"v\"}"));  /* not greater than 10 */
    assert_false(lc_matches(r, "logs/a", 11, "{\"k\":\"w\"}"));  /* another value */
    assert_false(lc_matches(r, "logs/a", 11, NULL));             /* no tags */
    assert_false(lc_matches(r, "other/a", 11, "{\"k\":\"v\"}")); /* prefix */
    lc_free(&c);
    /* expiry is rounded up to the next midnight UTC, a midnight stays */
    assert_true(lc_midnight(1764633600) == 1764633600);
    assert_true(lc_midnight(1764633601) == 1764633600 + 86400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_accepted_and_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
