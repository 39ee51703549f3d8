/*
 * audit: the append-only record of every state-changing action (and every refused attempt at
 * one). Triggers make the table reject UPDATE and DELETE, so not even a bug in yun can rewrite
 * history; the operator reads it with `yun admin audit`.
 */
#include "api/api.h"

const struct migration audit_migrations[] = {
    {1, "CREATE TABLE audit_log ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " time INTEGER NOT NULL, owner_uin TEXT NOT NULL, user_uin TEXT NOT NULL, source_ip TEXT NOT NULL,"
        " service TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, result TEXT NOT NULL,"
        " request_id TEXT NOT NULL);"
        "CREATE INDEX audit_owner ON audit_log(owner_uin, id);"
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"},
};
const int audit_migration_count = 1;

void audit_write(struct store *s, const char *owner_uin, const char *user_uin, const char *source_ip,
                 const char *service, const char *action, const char *resource, const char *result,
                 const char *request_id)
{
    int rc = store_exec(s,
                        "INSERT INTO audit_log (time, owner_uin, user_uin, source_ip, service, action, resource, result, "
                        "request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "issssssss", time_now(), owner_uin, user_uin, source_ip, service, action,
                        resource && *resource ? resource : "*", result, request_id);
    if (rc < 0)
        log_error("audit: cannot record %s %s: %s", action, request_id, store_errmsg(s));
}

void audit_record(struct store *s, const struct api_ctx *ctx, const char *result)
{
    audit_write(s, ctx->who.owner_uin, ctx->who.user_uin, ctx->source_ip, ctx->action->service, ctx->action->name,
                ctx->resource, result, ctx->request_id);
}
