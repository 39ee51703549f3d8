/*
 * scp_eval: the CPU cost of service control policies in identity_authorize, without HTTP or the
 * store: a member's root asks for cvm:DescribeZones with 0, 1 and 10 SCPs on its path (each an
 * allow-all with a deny of an unrelated action; 1 on the member, then two per node), served from
 * identity's path cache as on the request path, and once more with the cache emptied before every
 * call (identity_changed: the first request after a change) to show what the cache saves.
 *   build/bench/scp_eval [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"

#define SCP                                                                                                            \
    "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"},"                  \
    "{\"effect\":\"deny\",\"action\":\"cvm:TerminateInstances\",\"resource\":\"*\"}]}"

static int nscps;

/* Builds the path afresh, as org_scp_path does from its rows (parsing included). */
static json_t *source(struct store *s, const char *account, int *err)
{
    (void)s;
    (void)account;
    *err = 0;
    if (!nscps)
        return NULL;
    json_t *levels = json_array();
    for (int placed = 0, level = 0; placed < nscps; level++) {
        json_t *policies = json_array();
        for (int k = 0; k < (level == 0 ? 1 : 2) && placed < nscps; k++, placed++)
            json_array_append_new(policies, json_pack("{s:i,s:s,s:o}", "id", placed + 1, "name", "scp", "doc",
                                                      json_loads(SCP, 0, NULL)));
        json_array_insert_new(levels, 0, json_pack("{s:s,s:o}", "target", "node", "policies", policies));
    }
    return levels;
}

static double run(long n, int cold)
{
    struct principal who = {.is_root = 1};
    strcpy(who.owner_uin, "200");
    strcpy(who.user_uin, "200");
    int64_t t0 = time_now_us();
    for (long i = 0; i < n; i++) {
        if (cold)
            identity_changed();
        struct authz_request ar = {.who = &who,
                                   .action = "cvm:DescribeZones",
                                   .resource = "*",
                                   .source_ip = "127.0.0.1",
                                   .now = 1795000000,
                                   .region = "ap-local"};
        if (identity_authorize(NULL, &ar) != 1) {
            fprintf(stderr, "refused: %s\n", ar.why);
            exit(1);
        }
    }
    return (double)(time_now_us() - t0) * 1000.0 / (double)n;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    identity_set_scp_source(source);
    printf("%-28s %14s %14s\n", "SCPs on the path", "cached ns/op", "uncached ns/op");
    for (int k = 0; k < 3; k++) {
        nscps = (int[]){0, 1, 10}[k];
        run(1000, 0); /* warm */
        double warm = run(n, 0), cold = run(n / 10, 1);
        printf("%-28d %14.0f %14.0f\n", nscps, warm, cold);
    }
    return 0;
}
