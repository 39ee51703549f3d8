/*
 * yun: one binary for the whole single-node cloud.
 *   yun up [--data DIR] [--listen HOST:PORT] [--config FILE]   run the cloud in the foreground
 *   yund ... (the same binary under another name)                run the daemon
 *   yun admin ...                                                operator commands
 *   yun <service> <Action> --Param value ...                     call the API
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"

static int parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || *end || p < 0 || p > 65535 || colon == s)
        return -1;
    snprintf(host, hostlen, "%.*s", (int)(colon - s), s);
    *port = (int)p;
    return 0;
}

static int up(int argc, char **argv)
{
    struct config cfg;
    char err[512];
    config_defaults(&cfg);
    const char *config_path = NULL, *data = NULL, *store = NULL, *listen = NULL, *object_listen = NULL,
               *host_listen = NULL;
    int test_clock = 0;
    for (int i = 0; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--config"))
            config_path = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--data"))
            data = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--store"))
            store = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--listen"))
            listen = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--object-listen"))
            object_listen = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--host-listen"))
            host_listen = argv[++i];
        else if (!strcmp(argv[i], "--test-clock"))
            test_clock = 1;
        else if (!strcmp(argv[i], "--no-host"))
            cfg.no_host = 1;
        else {
            fprintf(stderr, "usage: yun up [--data DIR] [--store postgres://USER@HOST:PORT/DB] [--listen HOST:PORT] "
                            "[--object-listen HOST:PORT] [--host-listen HOST:PORT|off] [--config FILE]"
                            " [--test-clock] [--no-host]\n");
            return 2;
        }
    }
    if (config_path && config_load(&cfg, config_path, err, sizeof err) != 0) {
        fprintf(stderr, "yun: %s\n", err);
        return 2;
    }
    cfg.test_clock = test_clock;
    if (store)
        snprintf(cfg.store, sizeof cfg.store, "%s", store);
    if (data)
        snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data);
    if (host_listen)
        snprintf(cfg.host_listen, sizeof cfg.host_listen, "%s", host_listen);
    if ((listen && parse_listen(listen, cfg.listen_host, sizeof cfg.listen_host, &cfg.listen_port) != 0) ||
        (object_listen &&
         parse_listen(object_listen, cfg.object_host, sizeof cfg.object_host, &cfg.object_port) != 0)) {
        fprintf(stderr, "yun: --listen and --object-listen want HOST:PORT\n");
        return 2;
    }
    return daemon_run(&cfg);
}

int main(int argc, char **argv)
{
    const char *self = basename(argv[0]);
    if (!strcmp(self, "yund"))
        return up(argc - 1, argv + 1);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fprintf(stderr, "usage: yun up [--data DIR] [--listen HOST:PORT] [--config FILE]\n"
                        "       yun admin <create-account|audit> --data DIR ...\n"
                        "       yun bill --month yyyy-mm [--data DIR]\n"
                        "       yun host join --control HOST:PORT --token TOKEN --data DIR [--zone ZONE]\n"
                        "       yun <service> <Action> [--Param value ...]\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "up"))
        return up(argc - 2, argv + 2);
    if (!strcmp(argv[1], "admin"))
        return cli_admin(argc - 2, argv + 2);
    if (!strcmp(argv[1], "host"))
        return cli_host(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bill"))
        return cli_bill(argc - 2, argv + 2);
    return cli_call(argc - 1, argv + 1);
}
