/*
 * test_object_aclgrants.c - the ACL grant parsers: x-amz-grant-* / x-cos-grant-* header values,
 * AccessControlPolicy documents as boto3, the AWS SDK and the COS SDK send them, canned ACLs as
 * grant lists and the stored form's round trip. Table-driven where the cases are alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/aclgrants.h"

#define XSI "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
#define ALL "http://acs.amazonaws.com/groups/global/AllUsers"

static struct acl_list *fresh(void)
{
    struct acl_list *l = calloc(1, sizeof *l);
    assert_non_null(l);
    return l;
}

static void test_header(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        enum acl_status st;
        size_t n;
        enum acl_grantee type0;
        const char *who0;
    } cases[] = {
        {"id=100000000001", ACL_OK, 1, ACL_USER, "100000000001"},
        {"id=\"100000000001\"", ACL_OK, 1, ACL_USER, "100000000001"},
        {"id=\"1\", id=\"2\" ,uri=\"" ALL "\"", ACL_OK, 3, ACL_USER, "1"},
        {"uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"", ACL_OK, 1, ACL_GROUP,
         "AuthenticatedUsers"},
        {"uri=http://acs.amazonaws.com/groups/s3/LogDelivery", ACL_OK, 1, ACL_GROUP, "LogDelivery"},
        {"uri=\"http://cam.qcloud.com/groups/global/AllUsers\"", ACL_OK, 1, ACL_GROUP, "AllUsers"},
        {"emailAddress=\"a@example.com\"", ACL_OK, 1, ACL_EMAIL, "a@example.com"},
        {"ID=\"7\"", ACL_OK, 1, ACL_USER, "7"},
        {"id=\"qcs::cam::uin/100000000001:uin/100000000001\"", ACL_OK, 1, ACL_USER, "100000000001"},
        {"id=\"qcs::cam::anyone:anyone\"", ACL_OK, 1, ACL_GROUP, "AllUsers"},
        /* refused */
        {"", ACL_BAD_GRANT, 0, 0, NULL},
        {"nonsense", ACL_BAD_GRANT, 0, 0, NULL},
        {"id=", ACL_BAD_GRANT, 0, 0, NULL},
        {"id=\"1", ACL_BAD_GRANT, 0, 0, NULL},
        {"id=\"1\" id=\"2\"", ACL_BAD_GRANT, 0, 0, NULL},
        {"id=\"1\",", ACL_BAD_GRANT, 0, 0, NULL},
        {"uri=\"http://example.com/groups/Mine\"", ACL_BAD_GRANT, 0, 0, NULL},
        {"name=\"x\"", ACL_BAD_GRANT, 0, 0, NULL},
        {"emailAddress=\"nobody\"", ACL_BAD_GRANT, 0, 0, NULL},
        {"id=\"qcs::cam::uin/1:uin/2\"", ACL_BAD_GRANT, 0, 0, NULL}, /* a sub-user */
        {"id=\"qcs::cam::uin/1\"", ACL_BAD_GRANT, 0, 0, NULL},
        {"id=\"a b\"", ACL_BAD_GRANT, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct acl_list *l = fresh();
        enum acl_status st = acl_parse_header(cases[i].value, ACL_READ, l);
        if (st != cases[i].st)
            fail_msg("case %zu (%s): status %d, want %d", i, cases[i].value, st, cases[i].st);
        if (st == ACL_OK) {
            assert_int_equal(l->n, cases[i].n);
            assert_int_equal(l->g[0].type, cases[i].type0);
            assert_string_equal(l->g[0].who, cases[i].who0);
            assert_int_equal(l->g[0].perm, ACL_READ);
        }
        free(l);
    }
}

static void test_header_limit(void **state)
{
    (void)state;
    struct acl_list *l = fresh();
    char v[2000] = "";
    for (int i = 0; i < 60; i++)
        snprintf(v + strlen(v), sizeof v - strlen(v), "%sid=\"%d\"", i ? "," : "", 1000 + i);
    assert_int_equal(acl_parse_header(v, ACL_READ, l), ACL_OK);
    assert_int_equal(acl_parse_header(v, ACL_WRITE, l), ACL_TOO_MANY); /* 120 > 100 */
    free(l);
}

static void test_xml(void **state)
{
    (void)state;
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                      "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                      "<Owner><ID>100000000001</ID><DisplayName>me</DisplayName></Owner><AccessControlList>"
                      "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>100000000001</ID>"
                      "<DisplayName>me</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
                      "<Grant><Grantee " XSI " xsi:type=\"Group\"><URI>" ALL "</URI></Grantee>"
                      "<Permission>READ</Permission></Grant>"
                      "<Grant><Grantee " XSI " xsi:type=\"AmazonCustomerByEmail\"><EmailAddress>a@b.c</EmailAddress>"
                      "</Grantee><Permission>WRITE_ACP</Permission></Grant>"
                      "</AccessControlList></AccessControlPolicy>";
    struct acl_list *l = fresh();
    assert_int_equal(acl_parse_xml(doc, strlen(doc), l), ACL_OK);
    assert_string_equal(l->owner, "100000000001");
    assert_int_equal(l->n, 3);
    assert_int_equal(l->g[0].type, ACL_USER);
    assert_int_equal(l->g[0].perm, ACL_FULL_CONTROL);
    assert_int_equal(l->g[1].type, ACL_GROUP);
    assert_string_equal(l->g[1].who, "AllUsers");
    assert_int_equal(l->g[2].type, ACL_EMAIL);
    assert_int_equal(l->g[2].perm, ACL_WRITE_ACP);
    free(l);

    /* COS's form: qcs ids, revoking everything is an empty list */
    const char *cos = "<AccessControlPolicy><Owner><ID>qcs::cam::uin/5:uin/5</ID></Owner><AccessControlList>"
                      "<Grant><Grantee><ID>qcs::cam::anyone:anyone</ID></Grantee><Permission>READ</Permission></Grant>"
                      "</AccessControlList></AccessControlPolicy>";
    l = fresh();
    assert_int_equal(acl_parse_xml(cos, strlen(cos), l), ACL_OK);
    assert_string_equal(l->owner, "5");
    assert_int_equal(l->n, 1);
    assert_int_equal(l->g[0].type, ACL_GROUP);
    free(l);
    const char *empty = "<AccessControlPolicy><AccessControlList/></AccessControlPolicy>";
    l = fresh();
    assert_int_equal(acl_parse_xml(empty, strlen(empty), l), ACL_OK);
    assert_int_equal(l->n, 0);
    free(l);

    static const struct {
        const char *doc;
        enum acl_status st;
    } bad[] = {
        {"", ACL_BAD_XML},
        {"<AccessControlPolicy>", ACL_BAD_XML},
        {"<!DOCTYPE x><AccessControlPolicy/>", ACL_BAD_XML},
        {"<Other><AccessControlList/></Other>", ACL_MALFORMED},
        {"<AccessControlPolicy/>", ACL_MALFORMED},
        {"<AccessControlPolicy><AccessControlList><Nope/></AccessControlList></AccessControlPolicy>", ACL_MALFORMED},
        {"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>1</ID></Grantee></Grant>"
         "</AccessControlList></AccessControlPolicy>",
         ACL_MALFORMED},
        {"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>1</ID></Grantee><Permission>ALL</Permission>"
         "</Grant></AccessControlList></AccessControlPolicy>",
         ACL_MALFORMED},
        {"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>1</ID><URI>" ALL "</URI></Grantee>"
         "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
         ACL_MALFORMED},
        {"<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://x/y</URI></Grantee>"
         "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
         ACL_BAD_GRANT},
        {"<AccessControlPolicy><AccessControlList/><AccessControlList/></AccessControlPolicy>", ACL_MALFORMED},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l = fresh();
        enum acl_status st = acl_parse_xml(bad[i].doc, strlen(bad[i].doc), l);
        if (st != bad[i].st)
            fail_msg("bad %zu: status %d, want %d", i, st, bad[i].st);
        free(l);
    }
}

static void test_canned_and_stored(void **state)
{
    (void)state;
    struct acl_list *l = fresh(), *again = fresh();
    assert_true(acl_canned("public-read-write", "1", NULL, l));
    assert_int_equal(l->n, 3);
    assert_int_equal(l->g[2].type, ACL_USER); /* the owner after the groups */
    assert_true(acl_canned("bucket-owner-read", "1", "2", l));
    assert_int_equal(l->n, 2);
    assert_string_equal(l->g[1].who, "2");
    assert_int_equal(l->g[1].perm, ACL_READ);
    assert_true(acl_canned("bucket-owner-full-control", "2", "2", l)); /* the owner's own: once */
    assert_int_equal(l->n, 1);
    assert_false(acl_canned("public", "1", NULL, l));

    char text[ACL_TEXT_MAX];
    assert_true(acl_canned("public-read", "1", NULL, l));
    assert_int_equal(acl_format(l, text, sizeof text), 0);
    assert_string_equal(text, "[[\"g\",\"AllUsers\",\"READ\"],[\"u\",\"1\",\"FULL_CONTROL\"]]");
    assert_true(acl_is_stored(text));
    assert_false(acl_is_stored("private"));
    assert_int_equal(acl_parse_stored(text, again), 0);
    assert_int_equal(again->n, 2);
    assert_int_equal(again->g[1].perm, ACL_FULL_CONTROL);
    assert_int_equal(acl_parse_stored("[[\"x\",\"1\",\"READ\"]]", again), -1);
    assert_int_equal(acl_parse_stored("[[\"u\",\"1\",\"ALL\"]]", again), -1);
    assert_int_equal(acl_parse_stored("private", again), -1);

    /* the largest list fits the stored form; an email grantee is never stored */
    memset(l, 0, sizeof *l);
    for (int i = 0; i < ACL_MAX_GRANTS; i++)
        assert_int_equal(
            acl_parse_header("uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"", ACL_FULL_CONTROL, l),
            ACL_OK);
    assert_int_equal(acl_format(l, text, sizeof text), 0);
    memset(l, 0, sizeof *l);
    assert_int_equal(acl_parse_header("emailAddress=a@b.c", ACL_READ, l), ACL_OK);
    assert_int_equal(acl_format(l, text, sizeof text), -1);
    free(l);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_canned_and_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
