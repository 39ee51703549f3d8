/* Service control policies in identity's evaluator: policy_scp_evaluate over levels (table-driven:
 * deny wins, whitelists per level, deny-only levels, the region key), and identity_authorize with an
 * SCP source: root of a member bounded, the management account not, the path cached until the next
 * committed change (identity_changed) and read again at once after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "identity/identity.h"

#define ALLOW_ALL "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"}]}"
#define DENY_RUN                                                                                                       \
    "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"deny\",\"action\":\"cvm:RunInstances\",\"resource\":\"*\"}]}"
#define CVM_READ                                                                                                       \
    "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"cvm:Describe*\",\"resource\":\"*\"}]}"
#define RESIDENCY                                                                                                      \
    "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\",\"condition\":"      \
    "{\"string_not_equal\":{\"qcs:requested_region\":\"ap-local\"}}}]}"

/* One level: a target and one or two SCPs (ids 1 and 2). */
static json_t *level(const char *target, const char *name1, const char *doc1, const char *name2, const char *doc2)
{
    json_t *policies = json_array();
    json_array_append_new(policies,
                          json_pack("{s:i,s:s,s:o}", "id", 1, "name", name1, "doc", json_loads(doc1, 0, NULL)));
    if (name2)
        json_array_append_new(policies,
                              json_pack("{s:i,s:s,s:o}", "id", 2, "name", name2, "doc", json_loads(doc2, 0, NULL)));
    return json_pack("{s:s,s:o}", "target", target, "policies", policies);
}

struct row {
    const char *action, *region;
    int levels; /* which path: see path() */
    enum policy_effect want;
    const char *why; /* a part of the reason */
};

static json_t *path(int which)
{
    json_t *l = json_array();
    switch (which) {
    case 0: /* allow-all at the root, a deny at the member */
        json_array_append_new(l, level("node `Root`", "AllowAll", ALLOW_ALL, NULL, NULL));
        json_array_append_new(l, level("member `m`", "NoRun", DENY_RUN, NULL, NULL));
        break;
    case 1: /* a whitelist on a node below an allow-all root */
        json_array_append_new(l, level("node `Root`", "AllowAll", ALLOW_ALL, NULL, NULL));
        json_array_append_new(l, level("node `prod`", "CvmRead", CVM_READ, NULL, NULL));
        break;
    case 2: /* a deny-only level alone: a deny list */
        json_array_append_new(l, level("member `m`", "NoRun", DENY_RUN, NULL, NULL));
        break;
    case 3: /* residency beside an allow at one level */
        json_array_append_new(l, level("member `m`", "AllowAll", ALLOW_ALL, "Residency", RESIDENCY));
        break;
    case 4: /* a deny at the root beats an allow below */
        json_array_append_new(l, level("node `Root`", "NoRun", DENY_RUN, "AllowAll", ALLOW_ALL));
        json_array_append_new(l, level("member `m`", "AllowAll", ALLOW_ALL, NULL, NULL));
        break;
    }
    return l;
}

static const struct row rows[] = {
    {"cvm:RunInstances", "ap-local", 0, POLICY_DENY, "`NoRun` (PolicyId 1) denies it"},
    {"cvm:DescribeZones", "ap-local", 0, POLICY_ALLOW, "`AllowAll`"},
    {"cam:ListUsers", "ap-local", 1, POLICY_NONE, "no service control policy attached to node `prod` allows it"},
    {"cvm:DescribeZones", "ap-local", 1, POLICY_ALLOW, "`AllowAll` (PolicyId 1), `CvmRead` (PolicyId 1)"},
    {"cam:ListUsers", "ap-local", 2, POLICY_ALLOW, "none deny it"},
    {"cvm:RunInstances", "ap-local", 2, POLICY_DENY, "`NoRun`"},
    {"cvm:RunInstances", "ap-local", 3, POLICY_ALLOW, "`AllowAll`"},
    {"cvm:RunInstances", "eu-lab", 3, POLICY_DENY, "`Residency` (PolicyId 2) denies it"},
    {"cos:PutBucket", "", 3, POLICY_DENY, "`Residency`"}, /* no region known: a deny's condition applies (CAM) */
    {"cvm:RunInstances", "ap-local", 4, POLICY_DENY, "`NoRun`"},
    {"cvm:StopInstances", "ap-local", 4, POLICY_ALLOW, "`AllowAll`"},
};

static void scp_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *l = path(rows[i].levels);
        struct policy_context pc = {.action = rows[i].action,
                                    .resource = "*",
                                    .source_ip = "10.0.0.1",
                                    .now = 1795000000,
                                    .uin = "1",
                                    .owner_uin = "1",
                                    .app_id = "1",
                                    .region = rows[i].region};
        char why[256] = "";
        enum policy_effect got = policy_scp_evaluate(l, &pc, why, sizeof why);
        if (got != rows[i].want || !strstr(why, rows[i].why))
            fail_msg("row %zu (%s in %s): got %d (%s), want %d (%s)", i, rows[i].action, rows[i].region, got, why,
                     rows[i].want, rows[i].why);
        json_decref(l);
    }
}

static void region_key_validates(void **state)
{
    (void)state;
    char why[256];
    json_t *doc = json_loads(RESIDENCY, 0, NULL);
    assert_int_equal(policy_validate(doc, why, sizeof why), 0);
    json_decref(doc);
    doc = json_loads("{\"version\":\"2.0\",\"statement\":[{\"effect\":\"deny\",\"action\":\"*\",\"resource\":\"*\","
                     "\"condition\":{\"ip_equal\":{\"qcs:requested_region\":\"10.0.0.0/8\"}}}]}",
                     0, NULL);
    assert_int_equal(policy_validate(doc, why, sizeof why), -1); /* a string key, not an address */
    json_decref(doc);
}

/* A fake SCP source: member "200" is bounded by a deny of RunInstances; "100" (a management
 * account, say) by nothing. Counts its calls. */
static int source_calls;
static int deny_run = 1;
static json_t *fake_source(struct store *s, const char *account, int *err)
{
    (void)s;
    *err = 0;
    source_calls++;
    if (strcmp(account, "200") || !deny_run)
        return NULL;
    json_t *l = json_array();
    json_array_append_new(l, level("member `m`", "NoRun", DENY_RUN, NULL, NULL));
    return l;
}

static int authorize_root(const char *account, const char *action)
{
    struct principal who = {.is_root = 1};
    strcpy(who.owner_uin, account);
    strcpy(who.user_uin, account);
    struct authz_request ar = {
        .who = &who, .action = action, .resource = "*", .source_ip = "", .now = 1795000000, .region = "ap-local"};
    return identity_authorize(NULL, &ar);
}

static void root_bounded_and_cache(void **state)
{
    (void)state;
    identity_set_scp_source(fake_source);
    assert_int_equal(authorize_root("200", "cvm:RunInstances"), 0); /* a member's root is bounded */
    assert_int_equal(authorize_root("200", "cvm:DescribeZones"), 1);
    assert_int_equal(authorize_root("100", "cvm:RunInstances"), 1); /* not a member */
    int calls = source_calls;
    for (int i = 0; i < 100; i++)
        assert_int_equal(authorize_root("200", "cvm:RunInstances"), 0);
    assert_int_equal(source_calls, calls);                          /* cached */
    deny_run = 0;                                                   /* "DetachPolicy" committed... */
    assert_int_equal(authorize_root("200", "cvm:RunInstances"), 0); /* ...not yet announced */
    identity_changed();
    assert_int_equal(authorize_root("200", "cvm:RunInstances"), 1); /* read again at once */
    assert_int_equal(source_calls, calls + 1);
    identity_set_scp_source(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(scp_table), cmocka_unit_test(region_key_validates),
                                       cmocka_unit_test(root_bounded_and_cache)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
