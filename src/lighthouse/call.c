/*
 * call: lighthouse is a facade over cvm and vpc. It runs their action rows (RunInstances,
 * AllocateAddresses, CreateSecurityGroupPolicies...) in the lighthouse request's transaction and
 * as its caller, so every rule they enforce (quotas, capacity, tenancy, address uniqueness) holds
 * for lighthouse too, and a failure anywhere rolls the whole request back. The parameters are
 * validated against the row's own schema first, as if they had come over the wire; the audit
 * record is the lighthouse action's.
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "lighthouse/lighthouse_int.h"

int lh_call_as(struct api_ctx *ctx, const char *service, const char *action, json_t *params, json_t *internal,
               json_t **out)
{
    if (out)
        *out = NULL;
    const struct action *a = api_find_service(service, action);
    if (!a)
        return api_fail(ctx, E_INTERNAL_ERROR, "%s:%s is not available.", service, action);
    char code[96], msg[512];
    if (schema_validate(a->params, params, 0, code, sizeof code, msg, sizeof msg) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "%s:%s refused what lighthouse asked: %s", service, action, msg);
    if (internal) /* fields only another service may give: not in the row's schema, so never from the wire */
        json_object_update(params, internal);
    struct api_ctx sub = *ctx;
    sub.action = a;
    sub.params = params;
    sub.out = json_object();
    sub.code[0] = 0;
    sub.message[0] = 0;
    sub.after_commit = NULL;
    sub.discard = 0;
    sub.sold_by = "lighthouse"; /* what cvm and vpc make here is lighthouse's, not in their own views */
    int rc = a->handler(&sub);
    if (sub.after_commit) /* e.g. wake compute's controller once the rows are committed */
        ctx->after_commit = sub.after_commit;
    if (rc != 0) {
        json_decref(sub.out);
        return api_fail(ctx, sub.code[0] ? sub.code : E_INTERNAL_ERROR, "%s", sub.message);
    }
    if (out)
        *out = sub.out;
    else
        json_decref(sub.out);
    return 0;
}

int lh_call(struct api_ctx *ctx, const char *service, const char *action, json_t *params, json_t **out)
{
    return lh_call_as(ctx, service, action, params, NULL, out);
}
