/*
 * host: `yun host join --control HOST:PORT[,HOST:PORT...] --token TOKEN --data DIR [--zone ZONE] [--uplink DEV]`,
 * the host role of a machine that joins a region (src/host/agent.c), in the foreground; and
 * `yun host simulate ...`, SIMULATED hosts for scale tests only (src/host/simulate.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "host/agent.h"
#include "host/simulate.h"

static int number(const char *text, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = text ? strtol(text, &end, 10) : -1;
    if (!text || !end || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int simulate(int argc, char **argv)
{
    struct sim_options o = {.control = cli_opt(argc, argv, "--control", NULL),
                            .tokens = cli_opt(argc, argv, "--tokens", NULL),
                            .data = cli_opt(argc, argv, "--data", NULL),
                            .zones = cli_opt(argc, argv, "--zones", NULL),
                            .bind_from = cli_opt(argc, argv, "--bind-from", NULL)};
    long count, cores, mib, boot, threads;
    if (!o.control || !o.tokens || !o.data || number(cli_opt(argc, argv, "--count", NULL), 1, 10000, &count) ||
        number(cli_opt(argc, argv, "--cores", "32"), 1, 4096, &cores) ||
        number(cli_opt(argc, argv, "--memory-mib", "131072"), 1024, 1L << 26, &mib) ||
        number(cli_opt(argc, argv, "--boot-ms", "0"), 0, 600000, &boot) ||
        number(cli_opt(argc, argv, "--threads", "1"), 1, 16, &threads)) {
        fprintf(
            stderr,
            "usage: yun host simulate --control HOST:PORT --tokens FILE --count N --data DIR [--zones Z1,Z2]\n"
            "                         [--cores 32] [--memory-mib 131072] [--boot-ms 0] [--threads 1] [--bind-from IP]\n"
            "       N SIMULATED hosts (scale tests only): each joins with the i-th token of FILE (its identity\n"
            "       kept in DIR/h<i>, so a restart needs no tokens), heartbeats and reports its instances as a\n"
            "       realiser would, without QEMU or networking; accelerator \"simulated\" in `yun admin hosts`;\n"
            "       --bind-from IP: host i connects from IP + i (the address the control plane takes as its "
            "underlay)\n");
        return 2;
    }
    o.count = (int)count;
    o.cores = (int)cores;
    o.memory_mib = mib;
    o.boot_ms = (int)boot;
    o.threads = (int)threads;
    return host_simulate_run(&o);
}

int cli_host(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "simulate"))
        return simulate(argc, argv);
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
                "       public side, where EIPs are published, when not the default route's)\n"
                "       yun host simulate ...   SIMULATED hosts for scale tests (yun host simulate for its usage)\n");
        return 2;
    }
    return host_agent_run(control, token, data, zone, uplink);
}
