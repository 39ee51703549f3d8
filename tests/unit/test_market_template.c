/* Unit tests for the market's template language (src/market/template.c): what a template check
 * refuses and why, the order of resources (references, depends_on, parents; cycles), parameters
 * against their constraints, the plan with role cardinality, references resolved; and the ISV's
 * share arithmetic. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "billing/billing.h"
#include "market/market_int.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", text, e.text);
    return j;
}

#define VPC "\"net\":{\"type\":\"vpc\",\"properties\":{\"cidr\":\"10.0.0.0/16\"}}"

static void checks_name_the_fault(void **state)
{
    (void)state;
    static const struct {
        const char *tpl, *fault; /* fault NULL: accepted */
    } cases[] = {
        {"{\"resources\":{" VPC "}}", NULL},
        {"[]", "must be a JSON object"},
        {"{\"resources\":{}}", "at least one resource"},
        {"{\"resources\":{" VPC "},\"extra\":1}", "unknown section `extra`"},
        {"{\"resources\":{\"x\":{\"type\":\"bogus\"}}}", "unknown type `bogus`"},
        {"{\"resources\":{\"net\":{\"type\":\"vpc\"}}}", "needs property `cidr`"},
        {"{\"resources\":{\"net\":{\"type\":\"vpc\",\"properties\":{\"cidr\":\"x\",\"colour\":1}}}}",
         "no property `colour`"},
        {"{\"resources\":{" VPC ",\"s\":{\"type\":\"subnet\",\"properties\":{\"vpc\":{\"ref\":\"nope.id\"},"
         "\"cidr\":\"10.0.1.0/24\"}}}}",
         "unknown reference `nope.id`"},
        {"{\"resources\":{" VPC ",\"s\":{\"type\":\"subnet\",\"properties\":{\"vpc\":{\"ref\":\"net.colour\"},"
         "\"cidr\":\"10.0.1.0/24\"}}}}",
         "no attribute `colour`"},
        {"{\"resources\":{" VPC ",\"s\":{\"type\":\"subnet\",\"properties\":{\"vpc\":{\"ref\":\"netid\"},"
         "\"cidr\":\"10.0.1.0/24\"}}}}",
         "RESOURCE.ATTRIBUTE"},
        {"{\"resources\":{" VPC "},\"outputs\":{\"o\":{\"param\":\"ghost\"}}}", "unknown parameter `ghost`"},
        {"{\"resources\":{" VPC ",\"g\":{\"type\":\"security_group\",\"depends_on\":[\"zz\"]}}}",
         "unknown resource `zz`"},
        {"{\"resources\":{\"a\":{\"type\":\"security_group\",\"depends_on\":[\"b\"]},"
         "\"b\":{\"type\":\"security_group\",\"parents\":[\"a\"]}}}",
         "cycle"},
        {"{\"resources\":{\"a\":{\"type\":\"security_group\",\"depends_on\":[\"a\"]}}}", "cycle"},
        {"{\"parameters\":{\"n\":{\"type\":\"float\"}},\"resources\":{" VPC "}}", "unknown type (string or number)"},
        {"{\"parameters\":{\"n\":{\"type\":\"number\",\"default\":9,\"max\":3}},\"resources\":{" VPC "}}",
         "breaks its own constraints"},
        {"{\"parameters\":{\"s\":{\"type\":\"string\",\"pattern\":\"(\"}},\"resources\":{" VPC "}}",
         "not a valid extended regular expression"},
        {"{\"resources\":{\"w\":{\"type\":\"instance\",\"properties\":{\"cardinality\":\"two\"}}}}",
         "`cardinality` is an integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *t = J(cases[i].tpl);
        char msg[400] = "";
        int rc = tpl_check(t, msg, sizeof msg);
        if (!cases[i].fault)
            assert_int_equal(rc, 0);
        else if (rc != -1 || !strstr(msg, cases[i].fault))
            fail_msg("case %zu: wanted a refusal naming \"%s\", got %d \"%s\"", i, cases[i].fault, rc, msg);
        json_decref(t);
    }
}

static int position(json_t *order, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach (order, i, e)
        if (!strcmp(json_string_value(e), name))
            return (int)i;
    return -1;
}

static void order_puts_what_is_waited_for_first(void **state)
{
    (void)state;
    json_t *t =
        J("{\"resources\":{"
          "\"web\":{\"type\":\"instance\",\"parents\":[\"db\"],\"properties\":{\"subnet\":{\"ref\":\"sn.id\"}}},"
          "\"db\":{\"type\":\"instance\",\"properties\":{\"subnet\":{\"ref\":\"sn.id\"}}},"
          "\"ip\":{\"type\":\"eip\",\"properties\":{\"instance\":{\"ref\":\"web.id\"}}},"
          "\"sn\":{\"type\":\"subnet\",\"properties\":{\"vpc\":{\"ref\":\"net.id\"},\"cidr\":\"10.0.1.0/24\"}},"
          "" VPC "}}");
    char msg[256];
    json_t *o = tpl_order(t, msg, sizeof msg);
    assert_non_null(o);
    assert_int_equal(json_array_size(o), 5);
    assert_true(position(o, "net") < position(o, "sn"));
    assert_true(position(o, "sn") < position(o, "db"));
    assert_true(position(o, "db") < position(o, "web"));
    assert_true(position(o, "web") < position(o, "ip"));
    json_decref(o);
    json_t *deps = tpl_deps(t, "web");
    assert_int_equal(json_array_size(deps), 2); /* sn (a ref) and db (a parent) */
    json_decref(deps);
    json_decref(t);
}

static void parameters_meet_their_constraints(void **state)
{
    (void)state;
    json_t *t = J("{\"parameters\":{\"n\":{\"type\":\"number\",\"default\":1,\"min\":1,\"max\":3},"
                  "\"k\":{\"type\":\"string\",\"pattern\":\"^skey-[a-z0-9]+$\"},"
                  "\"p\":{\"type\":\"number\",\"default\":5432,\"allowed\":[5432,3306]},"
                  "\"s\":{\"type\":\"string\",\"default\":\"ab\",\"min\":2,\"max\":4}},"
                  "\"resources\":{" VPC "}}");
    static const struct {
        const char *given, *fault;
    } cases[] = {
        {"{\"k\":\"skey-1\"}", NULL},
        {"{\"k\":\"skey-1\",\"n\":\"3\"}", NULL}, /* numbers may come as strings */
        {"{}", "`k` has no default"},
        {"{\"k\":\"key\"}", "does not match its pattern"},
        {"{\"k\":\"skey-1\",\"n\":4}", "`n` is 4, above its maximum 3"},
        {"{\"k\":\"skey-1\",\"n\":0}", "below its minimum 1"},
        {"{\"k\":\"skey-1\",\"n\":\"x\"}", "must be a number"},
        {"{\"k\":\"skey-1\",\"p\":1}", "not one of its allowed values"},
        {"{\"k\":\"skey-1\",\"s\":\"abcde\"}", "longer than 4"},
        {"{\"k\":\"skey-1\",\"z\":1}", "Unknown parameter `z`"},
        {"{\"k\":7}", "must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *g = J(cases[i].given);
        char msg[400] = "";
        json_t *p = tpl_params(t, g, msg, sizeof msg);
        if (!cases[i].fault) {
            assert_non_null(p);
            assert_true(json_is_integer(json_object_get(p, "n")));
            assert_int_equal(json_integer_value(json_object_get(p, "p")), 5432);
        } else if (p || !strstr(msg, cases[i].fault)) {
            fail_msg("case %zu: wanted \"%s\", got \"%s\"", i, cases[i].fault, msg);
        }
        json_decref(p);
        json_decref(g);
    }
    json_decref(t);
}

static void plan_expands_roles_and_resolves_references(void **state)
{
    (void)state;
    json_t *t = J("{\"parameters\":{\"n\":{\"type\":\"number\",\"default\":3}},\"resources\":{" VPC ","
                  "\"w\":{\"type\":\"instance\",\"properties\":{\"cardinality\":{\"param\":\"n\"},"
                  "\"name\":{\"ref\":\"net.id\"}}}},"
                  "\"outputs\":{\"ips\":{\"ref\":\"w.private_ips\"},\"first\":{\"ref\":\"w.private_ip\"}}}");
    json_t *params = J("{\"n\":3}");
    char msg[256];
    json_t *plan = tpl_plan(t, params, msg, sizeof msg);
    assert_non_null(plan);
    assert_int_equal(json_array_size(plan), 4); /* the vpc, then three members */
    assert_string_equal(json_string_value(json_object_get(json_array_get(plan, 0), "resource")), "net");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(plan, 3), "member")), 2);
    json_t *attrs =
        J("{\"net\":[{\"id\":\"vpc-1\"}],\"w\":[{\"private_ip\":\"10.0.0.5\"},{\"private_ip\":\"10.0.0.6\"}]}");
    json_t *out = tpl_resolve(json_object_get(t, "outputs"), params, attrs, msg, sizeof msg);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "first")), "10.0.0.5");
    assert_int_equal(json_array_size(json_object_get(out, "ips")), 2);
    json_t *props = json_object_get(json_object_get(json_object_get(t, "resources"), "w"), "properties");
    json_t *r = tpl_resolve(props, params, attrs, msg, sizeof msg);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "vpc-1");
    json_decref(r);
    json_t *empty = J("{}");
    json_t *none = tpl_resolve(props, params, empty, msg, sizeof msg);
    json_decref(empty);
    assert_null(none);
    assert_non_null(strstr(msg, "no value yet"));
    json_decref(out);
    json_decref(attrs);
    json_decref(plan);
    json_decref(params);
    json_decref(t);
}

static void share_is_floored_to_cents_exactly(void **state)
{
    (void)state;
    static const struct {
        int64_t sales_fine, ppm, cents;
    } cases[] = {
        {100361112, 700000, 70}, /* 1.00361112 yuan x 70% = 0.7025 -> 70 cents */
        {0, 700000, 0},
        {99999999, 1000000, 99},                                     /* just under a yuan, all of it */
        {BILLING_FINE_PER_YUAN * 100000000LL, 700000, 7000000000LL}, /* a hundred million yuan, no overflow */
        {1234567890, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(revenue_share_cents(cases[i].sales_fine, cases[i].ppm), cases[i].cents);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checks_name_the_fault),
        cmocka_unit_test(order_puts_what_is_waited_for_first),
        cmocka_unit_test(parameters_meet_their_constraints),
        cmocka_unit_test(plan_expands_roles_and_resolves_references),
        cmocka_unit_test(share_is_floored_to_cents_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
