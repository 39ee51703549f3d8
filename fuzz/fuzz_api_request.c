/*
 * libFuzzer target over everything the API parses from untrusted bytes before a handler runs:
 * the Authorization header, flattened query/form parameters, JSON bodies validated against real
 * action schemas (all registered actions), and CAM policy documents (validate + evaluate).
 * Input layout: line 1 = Authorization header, line 2 = query string, rest = body.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "daemon/daemon.h"
#include "identity/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int registered;
    if (!registered) {
        daemon_register_services();
        registered = 1;
    }
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = 0;
    char *nl1 = memchr(buf, '\n', size);
    char *auth = buf, *query = "", *body = "";
    size_t body_len = 0;
    if (nl1) {
        *nl1 = 0;
        query = nl1 + 1;
        char *nl2 = memchr(query, '\n', size - (size_t)(query - buf));
        if (nl2) {
            *nl2 = 0;
            body = nl2 + 1;
            body_len = size - (size_t)(body - buf);
        }
    }
    struct tc3_auth a;
    tc3_parse_authorization(auth, &a);

    int bad;
    json_t *q = params_from_query(query, strlen(query), &bad);
    struct kv *kv;
    int n;
    if (kv_parse(query, strlen(query), &kv, &n) == 0) {
        v1_verify("POST", "127.0.0.1:1", kv, n, "secret");
        kv_free(kv, n);
    }
    json_t *j = json_loadb(body, body_len, JSON_REJECT_DUPLICATES, NULL);
    char code[96], msg[512];
    int count = api_action_count();
    for (int i = 0; i < count; i++) {
        const struct action *act = api_action_at(i);
        if (q) {
            json_t *copy = json_deep_copy(q);
            schema_validate(act->params, copy, 1, code, sizeof code, msg, sizeof msg);
            json_decref(copy);
        }
        if (j) {
            json_t *copy = json_deep_copy(j);
            schema_validate(act->params, copy, 0, code, sizeof code, msg, sizeof msg);
            json_decref(copy);
        }
    }
    if (j) {
        char why[256];
        if (policy_validate(j, why, sizeof why) == 0) {
            struct policy_context c = {.action = "cvm:DescribeZones",
                                       .resource = query,
                                       .source_ip = "10.1.2.3",
                                       .now = 1795000000,
                                       .uin = "2",
                                       .owner_uin = "1",
                                       .app_id = "3"};
            policy_evaluate(j, &c);
        }
    }
    json_decref(j);
    json_decref(q);
    free(buf);
    return 0;
}
