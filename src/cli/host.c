/*
 * host: `yun host join --control HOST:PORT[,HOST:PORT...] --token TOKEN --data DIR [--zone ZONE]`, the host role
 * of a machine that joins a region (src/host/agent.c), in the foreground.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "host/agent.h"

int cli_host(int argc, char **argv)
{
    const char *control = cli_opt(argc, argv, "--control", NULL), *token = cli_opt(argc, argv, "--token", NULL);
    const char *data = cli_opt(argc, argv, "--data", NULL), *zone = cli_opt(argc, argv, "--zone", NULL);
    if (argc < 1 || strcmp(argv[0], "join") || !control || !data) {
        fprintf(stderr,
                "usage: yun host join --control HOST:PORT[,HOST:PORT...] --token TOKEN --data DIR [--zone ZONE]\n"
                "       (--token only for the first run: DIR then holds the host's certificate; several\n"
                "       control-plane processes of one region are tried in turn)\n");
        return 2;
    }
    return host_agent_run(control, token, data, zone);
}
