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
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is "
        "append-only'); END;"
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is "
        "append-only'); END;"},
};
const int audit_migration_count = 1;

int audit_write(struct store *s, const struct audit_entry *e)
{
    int rc =
        store_exec(s,
                   "INSERT INTO audit_log (time, owner_uin, user_uin, source_ip, service, action, resource, result, "
                   "request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "issssssss", time_now(), e->owner_uin, e->user_uin, e->source_ip, e->service, e->action,
                   e->resource && *e->resource ? e->resource : "*", e->result, e->request_id);
    if (rc < 0)
        log_error("audit: cannot record %s %s: %s", e->action, e->request_id, store_errmsg(s));
    return rc < 0 ? -1 : 0;
}

void audit_record(struct store *s, const struct api_ctx *ctx, const char *result)
{
    struct audit_entry e = {.owner_uin = ctx->who.owner_uin,
                            .user_uin = ctx->who.user_uin,
                            .source_ip = ctx->source_ip,
                            .service = ctx->action->service,
                            .action = ctx->action->name,
                            .resource = ctx->resource[0] ? ctx->resource : "*",
                            .result = result,
                            .request_id = ctx->request_id};
    audit_write(s, &e);
}
