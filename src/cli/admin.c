/*
 * admin: operator commands that work on a data directory directly (the store is SQLite in WAL
 * mode, so they run safely beside a live yund): create root accounts, read the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compute/compute.h"
#include "compute/states.h"
#include "daemon/daemon.h"
#include "identity/identity.h"

const char *cli_opt(int argc, char **argv, const char *name, const char *dflt)
{
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return dflt;
}

int cli_open_data(int argc, char **argv, struct config *cfg, struct store **s)
{
    char err[512];
    config_defaults(cfg);
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", cli_opt(argc, argv, "--data", "./data"));
    snprintf(cfg->store, sizeof cfg->store, "%s", cli_opt(argc, argv, "--store", ""));
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
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    struct new_account a;
    char err[512];
    const char *name = cli_opt(argc, argv, "--name", "account");
    if (identity_create_account(s, name, &a, err, sizeof err) != 0) {
        fprintf(stderr, "yun admin: %s\n", err);
        store_close(s);
        return 1;
    }
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Uin", a.uin, "AppId", a.app_id, "Name", name, "SecretId",
                          a.secret_id, "SecretKey", a.secret_key);
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
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    int64_t limit = strtoll(cli_opt(argc, argv, "--limit", "100"), NULL, 10);
    struct store_stmt *q =
        store_query(s,
                    "SELECT time, owner_uin, user_uin, source_ip, service, action, resource, result, request_id,"
                    " role_session, assumed_by_uin, assumed_by_sub_uin, reason"
                    " FROM (SELECT * FROM audit_log ORDER BY id DESC LIMIT ?) AS recent ORDER BY id",
                    "i", limit);
    int rc;
    while (q && (rc = store_step(q)) == 1) {
        char t[32];
        time_iso8601(store_int(q, 0), t);
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Time", t, "Uin", store_text(q, 1), "SubUin",
                              store_text(q, 2), "SourceIp", store_text(q, 3), "Service", store_text(q, 4), "Action",
                              store_text(q, 5), "Resource", store_text(q, 6), "Result", store_text(q, 7), "RequestId",
                              store_text(q, 8));
        if (*store_text(q, 9)) { /* a role session: both identities */
            json_object_set_new(j, "RoleSession", json_string(store_text(q, 9)));
            json_object_set_new(j, "AssumedByUin", json_string(store_text(q, 10)));
            json_object_set_new(j, "AssumedBySubUin", json_string(store_text(q, 11)));
        }
        if (*store_text(q, 12)) /* the service control policy that decided */
            json_object_set_new(j, "Reason", json_string(store_text(q, 12)));
        char *line = json_dumps(j, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(j);
    }
    store_done(q);
    store_close(s);
    return 0;
}

/* The hosts of the region (zone, state, heartbeat, capacity, use, accelerator), join tokens, pools. */
static int hosts(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) /* the verb may follow --data DIR */
        if (!strcmp(argv[i], "sellable") || !strcmp(argv[i], "assign")) {
            char *args[64];
            int n = 0;
            args[n++] = argv[i];
            for (int j = i + 1; j < argc && n < 63; j++)
                args[n++] = argv[j];
            for (int j = 0; j < i && n < 63; j++)
                args[n++] = argv[j];
            return cli_admin_hosts_pool(n, args);
        }
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "token"))
            return cli_admin_hosts_token(argc, argv);
        else if (!strcmp(argv[i], "revoke"))
            return cli_admin_hosts_revoke(argc, argv);
        else if (!strcmp(argv[i], "drain") || !strcmp(argv[i], "undrain"))
            return cli_admin_hosts_drain(argc, argv);
    return cli_admin_hosts_list(argc, argv);
}

/* Registers a local qcow2/raw disk image (booted by the firmware, e.g. a cloud image with
 * cloud-init) as a public image, or a private one of --owner UIN. The file is converted into DATA
 * as a standalone qcow2; images naming a backing or external data file are refused. */
static int import_image(int argc, char **argv)
{
    const char *file = cli_opt(argc, argv, "--file", NULL), *name = cli_opt(argc, argv, "--name", NULL);
    const char *owner = cli_opt(argc, argv, "--owner", ""), *os = cli_opt(argc, argv, "--os-name", "Linux");
    const char *region = cli_opt(argc, argv, "--region", NULL);
    if (!file || !name) {
        fprintf(stderr, "usage: yun admin import-image --data DIR --file PATH --name NAME [--os-name OS] [--owner UIN]"
                        " [--region REGION]\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char id[20], err[600];
    int rc = 1;
    if (region && !config_find_region(&cfg, region))
        snprintf(err, sizeof err, "region %s is not among the configured regions", region);
    else if (catalog_import_image(s, cfg.data_dir, file, name, os, owner, region ? region : cfg.region, id, err,
                                  sizeof err) == 0)
        err[0] = 0;
    if (err[0])
        fprintf(stderr, "yun admin: %s\n", err);
    else {
        printf("{\"ImageId\": \"%s\", \"ImageType\": \"%s\"}\n", id, owner[0] ? "PRIVATE_IMAGE" : "PUBLIC_IMAGE");
        rc = 0;
    }
    store_close(s);
    return rc;
}

/* yun admin password --data DIR --uin UIN: the console password of a root account or sub-user, from stdin. */
static int set_password(int argc, char **argv)
{
    const char *uin = cli_opt(argc, argv, "--uin", NULL);
    if (!uin || !*uin || strspn(uin, "0123456789") != strlen(uin)) {
        fprintf(stderr, "usage: yun admin password --data DIR --uin UIN  (the password is read from standard input)\n");
        return 2;
    }
    char pw[128] = "";
    if (!fgets(pw, sizeof pw, stdin)) {
        fprintf(stderr, "yun admin: no password on standard input\n");
        return 1;
    }
    pw[strcspn(pw, "\r\n")] = 0;
    if (!identity_password_ok(pw)) {
        memset(pw, 0, sizeof pw);
        fprintf(stderr, "yun admin: the password must be 8 to 32 characters long\n");
        return 1;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    int rc = identity_set_password(s, uin, pw);
    memset(pw, 0, sizeof pw);
    char rid[37];
    random_uuid(rid);
    audit_write(s, &(struct audit_entry){.owner_uin = uin,
                                         .user_uin = uin,
                                         .source_ip = "yun admin",
                                         .service = "console",
                                         .action = "SetConsolePassword",
                                         .resource = uin,
                                         .result = rc == STORE_FOUND ? "Success" : "ResourceNotFound",
                                         .request_id = rid});
    store_close(s);
    if (rc == STORE_NOT_FOUND) {
        fprintf(stderr, "yun admin: no root account or sub-user has Uin %s\n", uin);
        return 1;
    }
    if (rc != STORE_FOUND) {
        fprintf(stderr, "yun admin: the password could not be stored\n");
        return 1;
    }
    printf("console password set for %s\n", uin);
    return 0;
}

int cli_admin(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "password"))
        return set_password(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "hosts"))
        return hosts(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "import-image"))
        return import_image(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "create-account"))
        return create_account(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "audit"))
        return audit(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "recharge"))
        return cli_admin_recharge(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "price"))
        return cli_admin_price(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "discount"))
        return cli_admin_discount(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "clock"))
        return cli_admin_clock(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "partner"))
        return cli_admin_partner(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "isv"))
        return cli_admin_isv(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "bind"))
        return cli_admin_bind(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "tier"))
        return cli_admin_tier(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "voucher"))
        return cli_admin_voucher(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "outbox"))
        return cli_admin_outbox(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "store"))
        return cli_admin_store(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "images"))
        return cli_admin_images(argc - 1, argv + 1);
    fprintf(
        stderr,
        "usage: yun admin create-account --data DIR [--name NAME]\n"
        "       yun admin audit --data DIR [--limit N]\n"
        "       yun admin password --data DIR --uin UIN   (password on standard input)\n"
        "       yun admin hosts --data DIR [token [--ttl 1h] [--count N] | revoke HOST | drain HOST | undrain HOST]\n"
        "       yun admin hosts --data DIR sellable HOST --dedicated|--shared\n"
        "       yun admin hosts --data DIR assign HOST --cluster CLUSTER_ID|--shared\n"
        "       yun admin recharge --data DIR --uin UIN --cents N\n"
        "       yun admin price --data DIR list|set|import FILE ...\n"
        "       yun admin discount --data DIR --uin UIN --product cvm --rate 0.8\n"
        "       yun admin clock --data DIR [--advance 90m|3h|2d]\n"
        "       yun admin partner --data DIR --uin UIN --kind distributor|reseller|second-level ...\n"
        "       yun admin isv --data DIR --uin UIN [--share PERCENT]\n"
        "       yun admin bind --data DIR --partner UIN --client UIN [--flag a|b|c]\n"
        "       yun admin tier --data DIR --uin UIN --tier key|growth|longtail\n"
        "       yun admin outbox --data DIR [--limit N]\n"
        "       yun admin voucher --data DIR --uin UIN --cents N [--kind platform|trial] [--product P]"
        " [--days N]\n"
        "       yun admin store migrate --from DIR --to postgres://USER@HOST:PORT/DB\n"
        "       yun admin store check --from DIR|URL --to DIR|URL\n"
        "       yun admin images --data DIR build NAME [--verbose] | list\n"
        "       yun admin import-image --data DIR --file PATH --name NAME [--os-name OS] [--owner UIN]\n");
    return 2;
}
