/*
 * audit_query: cloudaudit LookUpEvents over the audit log. An account sees its own events; the
 * operator's account sees every account's (the operator console's audit search). Newest first,
 * NextToken the id to continue below. Filters by LookupAttributes: EventName (the action),
 * EventSource (the service, as "cvm.tencentcloudapi.com" or "cvm"), Username (the user's Uin),
 * RequestId, ResourceName (a part of the resource), ErrorCode (the result), and, for the
 * operator, AccountId.
 */
#include "api/api.h"
#include "api/codes.h"
#include "identity/identity.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOUDAUDIT "2019-03-19"

static int lookup_events(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The audit log is unavailable.");
    int64_t start = api_int(ctx, "StartTime", 0), end = api_int(ctx, "EndTime", 0);
    if (end < start)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "EndTime is before StartTime.");
    const char *event = "", *source = "", *user = "", *request = "", *resource = "", *result = "", *account = "";
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get(ctx->params, "LookupAttributes"), i, a) {
        const char *k = json_string_value(json_object_get(a, "AttributeKey"));
        const char *v = json_string_value(json_object_get(a, "AttributeValue"));
        if (!k || !v)
            return api_fail(ctx, E_INVALID_PARAMETER,
                            "Each LookupAttributes item needs AttributeKey and AttributeValue.");
        if (!strcmp(k, "EventName"))
            event = v;
        else if (!strcmp(k, "EventSource"))
            source = v;
        else if (!strcmp(k, "Username"))
            user = v;
        else if (!strcmp(k, "RequestId"))
            request = v;
        else if (!strcmp(k, "ResourceName"))
            resource = v;
        else if (!strcmp(k, "ErrorCode"))
            result = v;
        else if (!strcmp(k, "AccountId") && op == 1)
            account = v;
        else
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "AttributeKey `%s` is not one yun searches by.", k);
    }
    char service[64];
    snprintf(service, sizeof service, "%s", source);
    char *dot = strchr(service, '.');
    if (dot)
        *dot = 0;
    const char *token = api_str(ctx, "NextToken", "");
    int64_t below = token[0] ? strtoll(token, NULL, 10) : INT64_MAX;
    int64_t max = api_int(ctx, "MaxResults", 20);
    const char *owner = op == 1 ? account : ctx->who.owner_uin;
    char like[300];
    snprintf(like, sizeof like, "%%%s%%", resource);
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT id, time, owner_uin, user_uin, source_ip, service, action, resource, result, request_id, "
                    "role_session, reason"
                    " FROM audit_log WHERE id < ? AND time >= ? AND time <= ? AND (? = '' OR owner_uin = ?)"
                    " AND (? = '' OR action = ?) AND (? = '' OR service = ?) AND (? = '' OR user_uin = ?)"
                    " AND (? = '' OR request_id = ?) AND (? = '' OR resource LIKE ?) AND (? = '' OR result = ?)"
                    " ORDER BY id DESC LIMIT ?",
                    "iiissssssssssssssi", below, start, end, owner, owner, event, event, service, service, user, user,
                    request, request, resource, like, result, result, max + 1);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The audit log is unavailable: %s", store_errmsg(ctx->store));
    json_t *events = json_array();
    int rc, n = 0;
    int64_t last = 0;
    int more = 0;
    while ((rc = store_step(q)) == 1) {
        if (n == max) {
            more = 1;
            break;
        }
        n++;
        last = store_int(q, 0);
        char id[24], t[24], src[80];
        snprintf(id, sizeof id, "%lld", (long long)last);
        snprintf(t, sizeof t, "%lld", (long long)store_int(q, 1));
        snprintf(src, sizeof src, "%s.tencentcloudapi.com", store_text(q, 5));
        const char *res = store_text(q, 8);
        json_array_append_new(events,
                              json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:I}", "EventId", id,
                                        "EventTime", t, "AccountID", store_text(q, 2), "Username", store_text(q, 3),
                                        "SourceIPAddress", store_text(q, 4), "EventSource", src, "EventName",
                                        store_text(q, 6), "RequestID", store_text(q, 9), "ErrorCode",
                                        strcmp(res, "Success") ? res : "0", "ResourceTypeCn", "", "Resources",
                                        "ResourceType", store_text(q, 5), "ResourceName", store_text(q, 7), "SecretId",
                                        store_text(q, 10), "Status", (json_int_t)(strcmp(res, "Success") ? 1 : 0)));
        if (*store_text(q, 11)) { /* the service control policy that decided, in the raw event */
            json_t *raw = json_pack("{s:s}", "reason", store_text(q, 11));
            char *text = json_dumps(raw, JSON_COMPACT);
            json_object_set_new(json_array_get(events, json_array_size(events) - 1), "CloudAuditEvent",
                                json_string(text ? text : ""));
            free(text);
            json_decref(raw);
        }
    }
    store_done(q);
    if (rc < 0) {
        json_decref(events);
        return api_fail(ctx, E_INTERNAL_ERROR, "The audit log is unavailable.");
    }
    char next[24] = "";
    if (more)
        snprintf(next, sizeof next, "%lld", (long long)last);
    json_object_set_new(ctx->out, "Events", events);
    json_object_set_new(ctx->out, "ListOver", json_boolean(!more));
    json_object_set_new(ctx->out, "NextToken", json_string(next));
    return 0;
}

static const struct param p_attr[] = {P_STR("AttributeKey", P_REQUIRED, 1, 32),
                                      P_STR("AttributeValue", P_REQUIRED, 0, 256), P_END};
static const struct param p_lookup[] = {P_INT("StartTime", P_REQUIRED, 0, INT64_MAX),
                                        P_INT("EndTime", P_REQUIRED, 0, INT64_MAX),
                                        P_OBJS("LookupAttributes", 0, 10, p_attr),
                                        P_INT("MaxResults", 0, 1, 50),
                                        P_STR("NextToken", P_NUMSTR, 0, 24),
                                        P_BOOL("IsReturnLocation", 0),
                                        P_END};

static const struct action audit_query_actions[] = {
    {"cloudaudit", CLOUDAUDIT, "LookUpEvents", lookup_events, p_lookup, 0, NULL},
};

void audit_query_register(void)
{
    api_register(audit_query_actions, sizeof audit_query_actions / sizeof audit_query_actions[0]);
}
