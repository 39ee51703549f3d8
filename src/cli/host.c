/*
 * host: `yun host join --control HOST:PORT[,HOST:PORT...] --token TOKEN --data DIR [--zone ZONE] [--uplink DEV]`,
 * the host role of a machine that joins a region (src/host/agent.c), in the foreground.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "host/agent.h"

int cli_host(int argc, char **argv)
{
    const char *control = cli_opt(argc, argv, "--control", NULL), *token = cli_opt(argc, argv, "--token", NULL);
    const char *data = cli_opt(argc, argv, "--data", NULL), *zone = cli_opt(argc, argv, "--zone", NULL);
    const char *uplink = cli_opt(argc, argv, "--uplink", NULL);
    int uplink_ok = !uplink || (*uplink && strlen(uplink) < 16 &&
                                strspn(uplink, "abcdefghijklmnopqrstuvwxyz0123456789.-_") == strlen(uplink));
    if (argc < 1 || strcmp(argv[0], "join") || !control || !data || !uplink_ok) {
        fprintf(stderr,
                "usage: yun host join --control HOST:PORT[,HOST:PORT...] --token TOKEN --data DIR [--zone ZONE]\n"
                "                     [--uplink DEV]\n"
                "       (--token only for the first run: DIR then holds the host's certificate; several\n"
                "       control-plane processes of one region are tried in turn; --uplink: the device of the\n"
                "       public side, where EIPs are published, when not the default route's)\n");
        return 2;
    }
    return host_agent_run(control, token, data, zone, uplink);
}
