/*
 * audit: the append-only record of every state-changing action (and every refused attempt at
 * one). Triggers make the table reject UPDATE and DELETE, so not even a bug in yun can rewrite
 * history; the operator reads it with `yun admin audit`.
 */
#include "api/api.h"

const struct migration audit_migrations[] = {
    {1,
     "CREATE TABLE audit_log ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " time INTEGER NOT NULL, owner_uin TEXT NOT NULL, user_uin TEXT NOT NULL, source_ip TEXT NOT NULL,"
     " service TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, result TEXT NOT NULL,"
     " request_id TEXT NOT NULL);"
     "CREATE INDEX audit_owner ON audit_log(owner_uin, id);"
     "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is "
     "append-only'); END;"
     "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is "
     "append-only'); END;",
     /* PostgreSQL's triggers call a function */
     "CREATE TABLE audit_log ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " time INTEGER NOT NULL, owner_uin TEXT NOT NULL, user_uin TEXT NOT NULL, source_ip TEXT NOT NULL,"
     " service TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, result TEXT NOT NULL,"
     " request_id TEXT NOT NULL);"
     "CREATE INDEX audit_owner ON audit_log(owner_uin, id);"
     "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
     " $$BEGIN RAISE EXCEPTION 'audit_log is append-only'; END$$;"
     "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
     "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
     "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log EXECUTE FUNCTION audit_append_only();"},
    /* role sessions: which one acted, and which account (and user of it) had assumed the role */
    {2, "ALTER TABLE audit_log ADD COLUMN role_session TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE audit_log ADD COLUMN assumed_by_uin TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE audit_log ADD COLUMN assumed_by_sub_uin TEXT NOT NULL DEFAULT '';"},
    /* the policy that decided, when a service control policy bounds the caller */
    {3, "ALTER TABLE audit_log ADD COLUMN reason TEXT NOT NULL DEFAULT '';"},
};
const int audit_migration_count = sizeof audit_migrations / sizeof audit_migrations[0];

int audit_write(struct store *s, const struct audit_entry *e)
{
    const struct principal *role = e->who && e->who->is_role ? e->who : NULL;
    char session[272] = "";
    if (role)
        snprintf(session, sizeof session, "%s/%s", role->role_name, role->session_name);
    int rc =
        store_exec(s,
                   "INSERT INTO audit_log (time, owner_uin, user_uin, source_ip, service, action, resource, result, "
                   "request_id, role_session, assumed_by_uin, assumed_by_sub_uin, reason)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "issssssssssss", time_now(), e->owner_uin, e->user_uin, e->source_ip, e->service, e->action,
                   e->resource && *e->resource ? e->resource : "*", e->result, e->request_id, session,
                   role ? role->assumed_by_uin : "", role ? role->assumed_by_sub_uin : "", e->reason ? e->reason : "");
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
                            .request_id = ctx->request_id,
                            .who = &ctx->who,
                            .reason = ctx->reason};
    audit_write(s, &e);
}
