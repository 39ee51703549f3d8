/* Trust policies (who may assume a role), table-driven: principals, deny, actions, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "identity/identity.h"

#define PARTNER "100000000001"
#define SUB     "100000000002"
#define OTHER   "100000000003"

#define STMT(effect, action, principal)                                                                                \
    "{\"effect\":\"" effect "\",\"action\":" action ",\"principal\":{\"qcs\":" principal "}}"
#define DOC(...) "{\"version\":\"2.0\",\"statement\":[" __VA_ARGS__ "]}"

#define ALLOW_PARTNER STMT("allow", "\"sts:AssumeRole\"", "\"qcs::cam::uin/" PARTNER ":root\"")
#define DENY_SUB      STMT("deny", "\"sts:AssumeRole\"", "\"qcs::cam::uin/" PARTNER ":uin/" SUB "\"")
#define DENY_OTHER    STMT("deny", "\"sts:AssumeRole\"", "\"qcs::cam::uin/" OTHER ":root\"")

struct row {
    const char *doc;
    const char *account, *user; /* the caller; user == account for a root */
    int want;
};

static const struct row rows[] = {
    /* a whole account: its root and its sub-users */
    {DOC(STMT("allow", "\"name/sts:AssumeRole\"", "[\"qcs::cam::uin/" PARTNER ":root\"]")), PARTNER, PARTNER, 1},
    {DOC(STMT("allow", "\"name/sts:AssumeRole\"", "[\"qcs::cam::uin/" PARTNER ":root\"]")), PARTNER, SUB, 1},
    {DOC(STMT("allow", "\"name/sts:AssumeRole\"", "[\"qcs::cam::uin/" PARTNER ":root\"]")), OTHER, OTHER, 0},
    /* a string rather than an array; sts:AssumeRole without the name/ prefix; wildcards */
    {DOC(STMT("allow", "\"sts:AssumeRole\"", "\"qcs::cam::uin/" PARTNER ":root\"")), PARTNER, PARTNER, 1},
    {DOC(STMT("allow", "\"sts:*\"", "\"qcs::cam::uin/" PARTNER ":root\"")), PARTNER, PARTNER, 1},
    /* one sub-user: not the account's root, nor another sub-user */
    {DOC(STMT("allow", "\"sts:AssumeRole\"", "[\"qcs::cam::uin/" PARTNER ":uin/" SUB "\"]")), PARTNER, SUB, 1},
    {DOC(STMT("allow", "\"sts:AssumeRole\"", "[\"qcs::cam::uin/" PARTNER ":uin/" SUB "\"]")), PARTNER, PARTNER, 0},
    {DOC(STMT("allow", "\"sts:AssumeRole\"", "[\"qcs::cam::uin/" PARTNER ":uin/" SUB "\"]")), PARTNER, OTHER, 0},
    /* the same sub-user uin under another account is someone else */
    {DOC(STMT("allow", "\"sts:AssumeRole\"", "[\"qcs::cam::uin/" PARTNER ":uin/" SUB "\"]")), OTHER, SUB, 0},
    /* several principals */
    {DOC(STMT("allow", "\"sts:AssumeRole\"", "[\"qcs::cam::uin/" OTHER ":root\",\"qcs::cam::uin/" PARTNER ":root\"]")),
     PARTNER, PARTNER, 1},
    /* an explicit deny wins, whatever the order */
    {DOC(ALLOW_PARTNER "," DENY_SUB), PARTNER, SUB, 0},
    {DOC(DENY_SUB "," ALLOW_PARTNER), PARTNER, SUB, 0},
    {DOC(DENY_SUB "," ALLOW_PARTNER), PARTNER, PARTNER, 1},
    /* a deny naming only someone else leaves the allow */
    {DOC(ALLOW_PARTNER "," DENY_OTHER), PARTNER, PARTNER, 1},
    /* service principals match no account */
    {DOC("{\"effect\":\"allow\",\"action\":\"sts:AssumeRole\",\"principal\":{\"service\":[\"cvm.qcloud.com\"]}}"),
     PARTNER, PARTNER, 0},
    /* a single statement object */
    {"{\"version\":\"2.0\",\"statement\":" STMT("allow", "\"sts:AssumeRole\"",
                                                "\"qcs::cam::uin/" PARTNER ":root\"") "}",
     PARTNER, PARTNER, 1},
};

static void matching_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_error_t je;
        json_t *doc = json_loads(rows[i].doc, 0, &je);
        if (!doc)
            fail_msg("row %zu: bad JSON: %s", i, je.text);
        char why[256];
        if (trust_validate(doc, why, sizeof why) != 0)
            fail_msg("row %zu: refused: %s", i, why);
        int got = trust_allows(doc, rows[i].account, rows[i].user);
        if (got != rows[i].want)
            fail_msg("row %zu: trust_allows(%s, %s) = %d, want %d", i, rows[i].account, rows[i].user, got,
                     rows[i].want);
        json_decref(doc);
    }
}

static void invalid_documents(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int code;
    } bad[] = {
        {"[]", TRUST_DOCUMENT_ERROR},
        {"{\"version\":\"1.0\",\"statement\":[]}", TRUST_DOCUMENT_ERROR},
        {DOC(), TRUST_DOCUMENT_ERROR},
        {DOC(STMT("maybe", "\"sts:AssumeRole\"", "\"qcs::cam::uin/1:root\"")), TRUST_DOCUMENT_ERROR},
        {DOC(STMT("allow", "\"cvm:RunInstances\"", "\"qcs::cam::uin/1:root\"")), TRUST_DOCUMENT_ERROR},
        {DOC("{\"effect\":\"allow\",\"action\":\"sts:AssumeRole\",\"principal\":{\"qcs\":\"qcs::cam::uin/1:root\"},"
             "\"condition\":{\"ip_equal\":{\"qcs:ip\":\"10.0.0.0/8\"}}}"),
         TRUST_DOCUMENT_ERROR},
        {DOC("{\"effect\":\"allow\",\"action\":\"sts:AssumeRole\",\"resource\":\"*\"}"), TRUST_DOCUMENT_ERROR},
        {DOC("{\"effect\":\"allow\",\"action\":\"sts:AssumeRole\"}"), TRUST_PRINCIPAL_ERROR},
        {DOC("{\"effect\":\"allow\",\"action\":\"sts:AssumeRole\",\"principal\":{}}"), TRUST_PRINCIPAL_ERROR},
        {DOC("{\"effect\":\"allow\",\"action\":\"sts:AssumeRole\",\"principal\":{\"aws\":\"x\"}}"),
         TRUST_PRINCIPAL_ERROR},
        {DOC(STMT("allow", "\"sts:AssumeRole\"", "\"*\"")), TRUST_PRINCIPAL_ERROR},
        {DOC(STMT("allow", "\"sts:AssumeRole\"", "\"qcs::cam::uin/abc:root\"")), TRUST_PRINCIPAL_ERROR},
        {DOC(STMT("allow", "\"sts:AssumeRole\"", "\"qcs::cam::uin/1:user/bob\"")), TRUST_PRINCIPAL_ERROR},
        {DOC(STMT("allow", "\"sts:AssumeRole\"", "\"qcs::cam::uin/1:uin/\"")), TRUST_PRINCIPAL_ERROR},
        {DOC(STMT("allow", "\"sts:AssumeRole\"", "[]")), TRUST_PRINCIPAL_ERROR},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *doc = json_loads(bad[i].doc, 0, NULL);
        char why[256];
        int got = trust_validate(doc, why, sizeof why);
        if (got != bad[i].code)
            fail_msg("document %zu: trust_validate = %d, want %d: %s", i, got, bad[i].code, bad[i].doc);
        json_decref(doc);
    }
}

static void principals(void **state)
{
    (void)state;
    char account[24], user[24];
    assert_int_equal(trust_parse_principal("qcs::cam::uin/12:root", account, user), 0);
    assert_string_equal(account, "12");
    assert_string_equal(user, "");
    assert_int_equal(trust_parse_principal("qcs::cam::uin/12:uin/34", account, user), 0);
    assert_string_equal(account, "12");
    assert_string_equal(user, "34");
    assert_int_equal(trust_parse_principal("qcs::cam::uin/12:root:x", account, user), -1);
    assert_int_equal(trust_parse_principal("qcs::cvm::uin/12:root", account, user), -1);
    assert_int_equal(trust_parse_principal("qcs::cam::uin/:root", account, user), -1);
    assert_int_equal(trust_parse_principal("qcs::cam::uin/123456789012345678901:root", account, user), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(matching_table), cmocka_unit_test(invalid_documents),
                                       cmocka_unit_test(principals)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
