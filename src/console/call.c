/*
 * call: the console's one way into the API. {Service, Version, Action, Region?, Params} runs
 * through api_handle like a signed SDK request (route, rate limit, schema, CAM authorisation of
 * every named resource, the handler in its transaction, audit), with the session's identity in
 * place of a verified signature. The answer is the API's own envelope.
 */
#include <stdlib.h>
#include <string.h>

#include "console/codes.h"
#include "console/console_int.h"

static const char *no_header(void *hctx, const char *name)
{
    (void)hctx;
    (void)name;
    return NULL;
}

void call_handle(const struct config *cfg, const struct console_request *req, const struct session *sess,
                 struct console_reply *out)
{
    char why[200];
    json_t *call = call_parse(req->body, req->body_len, why, sizeof why);
    if (!call)
        return reply_error(out, 400, E_CONSOLE_BAD_REQUEST, "%s", why);
    json_t *params = json_object_get(call, "Params");
    char *pbody = params ? json_dumps(params, JSON_COMPACT) : NULL;
    struct api_http h = {.method = "POST",
                         .raw_query = "",
                         .source_ip = req->source_ip,
                         .header = no_header,
                         .hctx = NULL,
                         .body = pbody ? pbody : "",
                         .body_len = pbody ? strlen(pbody) : 0,
                         .session = &sess->who,
                         .service = json_string_value(json_object_get(call, "Service")),
                         .action = json_string_value(json_object_get(call, "Action")),
                         .version = json_string_value(json_object_get(call, "Version")),
                         .region = json_string_value(json_object_get(call, "Region")),
                         .language = json_string_value(json_object_get(call, "Language"))};
    if (!h.region)
        h.region = cfg->region;
    char *answer = api_handle(cfg, &h);
    free(pbody);
    json_decref(call);
    if (!answer)
        return reply_error(out, 503, E_CONSOLE_INTERNAL, "The call could not be answered.");
    free(out->body);
    out->body = answer;
    out->len = strlen(answer);
    out->status = 200;
    reply_header(out, "Content-Type", "application/json");
    reply_header(out, "Cache-Control", "no-store");
}
