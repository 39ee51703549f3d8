/* Schema validation: the generic parameter errors, and coercion of flattened (GET/v1) input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"

static const char *const charge[] = {"PREPAID", "POSTPAID_BY_HOUR", NULL};
static const struct param p_filter[] = {P_STR("Name", P_REQUIRED, 1, 32), P_STRS("Values", P_REQUIRED, 5, 64), P_END};
static const struct param p_place[] = {P_STR("Zone", P_REQUIRED, 1, 64), P_INT("ProjectId", 0, 0, 1000), P_END};
static const struct param schema[] = {P_STR("Name", P_REQUIRED, 1, 8),
                                      P_INT("Limit", 0, 1, 100),
                                      P_BOOL("DryRun", 0),
                                      P_ENUM("ChargeType", 0, charge),
                                      P_OBJ("Placement", 0, p_place),
                                      P_OBJS("Filters", 0, 10, p_filter),
                                      P_INTS("Ids", 0, 3),
                                      P_END};

struct row {
    const char *json; /* request body */
    int coerce;
    const char *code; /* NULL = valid */
    const char *in_message;
};

static const struct row rows[] = {
    {"{\"Name\":\"a\"}", 0, NULL, NULL},
    {"{}", 0, "MissingParameter", "`Name`"},
    {"{\"Name\":null}", 0, "MissingParameter", "`Name`"},
    {"{\"Name\":\"a\",\"Nope\":1}", 0, "UnknownParameter", "`Nope`"},
    {"{\"Name\":5}", 0, "InvalidParameter", "`Name`"},
    {"{\"Name\":\"toolongname\"}", 0, "InvalidParameterValue", "`Name`"},
    {"{\"Name\":\"\"}", 0, "InvalidParameterValue", "`Name`"},
    {"{\"Name\":\"a\",\"Limit\":\"5\"}", 0, "InvalidParameter", "`Limit`"},
    {"{\"Name\":\"a\",\"Limit\":0}", 0, "InvalidParameterValue", "`Limit`"},
    {"{\"Name\":\"a\",\"Limit\":101}", 0, "InvalidParameterValue", "`Limit`"},
    {"{\"Name\":\"a\",\"Limit\":1.5}", 0, "InvalidParameter", "`Limit`"},
    {"{\"Name\":\"a\",\"DryRun\":1}", 0, "InvalidParameter", "`DryRun`"},
    {"{\"Name\":\"a\",\"ChargeType\":\"SPOT\"}", 0, "InvalidParameterValue", "`ChargeType`"},
    {"{\"Name\":\"a\",\"ChargeType\":\"PREPAID\"}", 0, NULL, NULL},
    {"{\"Name\":\"a\",\"Placement\":{}}", 0, "MissingParameter", "`Placement.Zone`"},
    {"{\"Name\":\"a\",\"Placement\":{\"Zone\":\"z\",\"X\":1}}", 0, "UnknownParameter", "`Placement.X`"},
    {"{\"Name\":\"a\",\"Placement\":[]}", 0, "InvalidParameter", "`Placement`"},
    {"{\"Name\":\"a\",\"Filters\":[{\"Name\":\"zone\",\"Values\":[\"x\",3]}]}", 0, "InvalidParameter",
     "`Filters.0.Values.1`"},
    {"{\"Name\":\"a\",\"Filters\":[{\"Name\":\"zone\",\"Values\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"]}]}", 0,
     "InvalidParameterValue", "`Filters.0.Values`"},
    {"{\"Name\":\"a\",\"Filters\":[{\"Values\":[]}]}", 0, "MissingParameter", "`Filters.0.Name`"},
    {"{\"Name\":\"a\",\"Ids\":[1,2,3,4]}", 0, "InvalidParameterValue", "`Ids`"},
    {"[]", 0, "InvalidParameter", NULL},
    /* flattened input: strings become the declared types, numbered objects become arrays */
    {"{\"Name\":\"a\",\"Limit\":\"5\",\"DryRun\":\"true\",\"Ids\":{\"0\":\"7\",\"1\":\"8\"}}", 1, NULL, NULL},
    {"{\"Name\":\"a\",\"Limit\":\"5x\"}", 1, "InvalidParameter", "`Limit`"},
    {"{\"Name\":\"a\",\"Ids\":{\"0\":\"7\",\"2\":\"8\"}}", 1, "InvalidParameter", "`Ids`"},
    {"{\"Name\":\"a\",\"Filters\":{\"0\":{\"Name\":\"zone\",\"Values\":{\"0\":\"z1\"}}}}", 1, NULL, NULL},
};

static void table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *p = json_loads(rows[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(p);
        char code[96] = "", msg[512] = "";
        int rc = schema_validate(schema, p, rows[i].coerce, code, sizeof code, msg, sizeof msg);
        if (!rows[i].code) {
            if (rc != 0)
                fail_msg("row %zu (%s): unexpected %s: %s", i, rows[i].json, code, msg);
        } else {
            if (rc == 0 || strcmp(code, rows[i].code) != 0)
                fail_msg("row %zu (%s): want %s, got %s (%s)", i, rows[i].json, rows[i].code, rc ? code : "success",
                         msg);
            if (rows[i].in_message && !strstr(msg, rows[i].in_message))
                fail_msg("row %zu: message `%s` does not name %s", i, msg, rows[i].in_message);
        }
        json_decref(p);
    }
}

static void coercion_result(void **state)
{
    (void)state;
    int bad;
    const char *q = "Name=a&Limit=5&DryRun=false&Filters.0.Name=zone&Filters.0.Values.0=z%2D1&Filters.0.Values.1=z2";
    json_t *p = params_from_query(q, strlen(q), &bad);
    assert_non_null(p);
    char code[96], msg[512];
    assert_int_equal(schema_validate(schema, p, 1, code, sizeof code, msg, sizeof msg), 0);
    assert_int_equal(json_integer_value(json_object_get(p, "Limit")), 5);
    assert_true(json_is_false(json_object_get(p, "DryRun")));
    json_t *vals = json_object_get(json_array_get(json_object_get(p, "Filters"), 0), "Values");
    assert_int_equal(json_array_size(vals), 2);
    assert_string_equal(json_string_value(json_array_get(vals, 0)), "z-1");
    json_decref(p);
    /* conflicting and malformed flattened keys are rejected */
    const char *badq[] = {"a=1&a.b=2", "a.b=1&a=2", "a=%zz", "a..b=1", "a=1&a=2"};
    for (size_t i = 0; i < sizeof badq / sizeof badq[0]; i++) {
        p = params_from_query(badq[i], strlen(badq[i]), &bad);
        assert_null(p);
        assert_int_equal(bad, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(table), cmocka_unit_test(coercion_result)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
