/*
 * admin_store: yun admin store migrate | check. migrate moves a single-node cloud (DIR/yun.db) to
 * PostgreSQL: the target gets every component's schema, must hold no account yet, is filled in one
 * transaction (src/store/copy.c), then compared table by table (counts and checksums). check
 * compares two stores the same way. The data directory keeps the master key, images and disks: the
 * PostgreSQL cloud runs with `yun up --data DIR --store URL`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "identity/identity.h"

int store_copy(struct store *from, struct store *to, FILE *out, char *err, size_t errlen);
int store_compare(struct store *a, struct store *b, FILE *out, char *err, size_t errlen);

/* A store named by a data directory (its yun.db) or a URL, migrated to the current schema. */
static struct store *open_named(const char *data, const char *name, struct config *cfg, char *err, size_t errlen)
{
    config_defaults(cfg);
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", data);
    cfg->store[0] = 0;
    if (!strncmp(name, "postgres://", 11) || !strncmp(name, "postgresql://", 13))
        snprintf(cfg->store, sizeof cfg->store, "%s", name);
    else
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", name);
    struct store *s;
    return daemon_open_data(cfg, &s, err, errlen) == 0 ? s : NULL;
}

int cli_admin_store(int argc, char **argv)
{
    const char *verb = argc >= 1 ? argv[0] : "";
    const char *from = cli_opt(argc, argv, "--from", NULL), *to = cli_opt(argc, argv, "--to", NULL);
    if ((strcmp(verb, "migrate") && strcmp(verb, "check")) || !from || !to) {
        fprintf(stderr, "usage: yun admin store migrate --from DIR --to postgres://USER@HOST:PORT/DB\n"
                        "       yun admin store check --from DIR|URL --to DIR|URL [--data DIR]\n");
        return 2;
    }
    int migrate = !strcmp(verb, "migrate");
    if (migrate && strncmp(to, "postgres://", 11) && strncmp(to, "postgresql://", 13)) {
        fprintf(stderr, "yun admin store migrate: --to must be a postgres:// URL\n");
        return 2;
    }
    /* the master key comes from the source's data directory (or --data) */
    const char *data = cli_opt(argc, argv, "--data", strncmp(from, "postgres", 8) ? from : "./data");
    char err[512];
    struct config cf, ct;
    struct store *a = open_named(data, from, &cf, err, sizeof err);
    struct store *b = a ? open_named(data, to, &ct, err, sizeof err) : NULL;
    int rc = 1;
    if (!a || !b) {
        fprintf(stderr, "yun admin store: %s\n", err);
        goto out;
    }
    if (migrate) {
        int n = identity_account_count(b);
        if (n != 0) {
            fprintf(stderr, "yun admin store migrate: %s\n",
                    n < 0 ? store_errmsg(b) : "the target already holds accounts: migrate into an empty database");
            goto out;
        }
        if (store_copy(a, b, stdout, err, sizeof err) != 0) {
            fprintf(stderr, "yun admin store migrate: %s (nothing was written)\n", err);
            goto out;
        }
    }
    int d = store_compare(a, b, stdout, err, sizeof err);
    if (d < 0)
        fprintf(stderr, "yun admin store: %s\n", err);
    else if (d > 0)
        fprintf(stderr, "yun admin store: the stores differ\n");
    else
        printf("%s: every table has the same rows in both stores\n", migrate ? "migrated" : "check");
    rc = d == 0 ? 0 : 1;
out:
    store_close(a);
    store_close(b);
    return rc;
}
