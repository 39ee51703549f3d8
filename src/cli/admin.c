/*
 * admin: operator commands that work on a data directory directly (the store is SQLite in WAL
 * mode, so they run safely beside a live yund): create root accounts, read the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "identity/identity.h"

static const char *opt(int argc, char **argv, const char *name, const char *dflt)
{
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return dflt;
}

static int open_data(int argc, char **argv, struct config *cfg, struct store **s)
{
    char err[512];
    config_defaults(cfg);
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", opt(argc, argv, "--data", "./data"));
    if (daemon_open_data(cfg, s, err, sizeof err) != 0) {
        fprintf(stderr, "yun admin: %s\n", err);
        return -1;
    }
    return 0;
}

static int create_account(int argc, char **argv)
{
    struct config cfg;
    struct store *s;
    if (open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    struct new_account a;
    char err[512];
    const char *name = opt(argc, argv, "--name", "account");
    if (identity_create_account(s, name, &a, err, sizeof err) != 0) {
        fprintf(stderr, "yun admin: %s\n", err);
        store_close(s);
        return 1;
    }
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Uin", a.uin, "AppId", a.app_id, "Name", name, "SecretId", a.secret_id,
                          "SecretKey", a.secret_key);
    char *text = json_dumps(j, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
    json_decref(j);
    store_close(s);
    return 0;
}

static int audit(int argc, char **argv)
{
    struct config cfg;
    struct store *s;
    if (open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    int64_t limit = strtoll(opt(argc, argv, "--limit", "100"), NULL, 10);
    struct store_stmt *q = store_query(s,
                                       "SELECT time, owner_uin, user_uin, source_ip, service, action, resource, result, request_id"
                                       " FROM (SELECT * FROM audit_log ORDER BY id DESC LIMIT ?) ORDER BY id",
                                       "i", limit);
    int rc;
    while (q && (rc = store_step(q)) == 1) {
        char t[32];
        time_iso8601(store_int(q, 0), t);
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Time", t, "Uin", store_text(q, 1), "SubUin",
                              store_text(q, 2), "SourceIp", store_text(q, 3), "Service", store_text(q, 4), "Action",
                              store_text(q, 5), "Resource", store_text(q, 6), "Result", store_text(q, 7), "RequestId",
                              store_text(q, 8));
        char *line = json_dumps(j, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(j);
    }
    store_done(q);
    store_close(s);
    return 0;
}

int cli_admin(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "create-account"))
        return create_account(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "audit"))
        return audit(argc - 1, argv + 1);
    fprintf(stderr, "usage: yun admin create-account --data DIR [--name NAME]\n"
                    "       yun admin audit --data DIR [--limit N]\n");
    return 2;
}
