/*
 * admin_hosts: the operator moves a host between pools.
 *   yun admin hosts --data DIR sellable HOST --dedicated   sellable as a dedicated host (AllocateHosts)
 *   yun admin hosts --data DIR sellable HOST --shared      back to the shared pool
 *   yun admin hosts --data DIR assign HOST --cluster ID    into a dedicated cluster (its owner's only)
 *   yun admin hosts --data DIR assign HOST --shared        out of its cluster
 * A host holding instances does not change pool, nor does a host allocated to an account. Each
 * change, and each refusal, is one audit record (source "yun admin").
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "compute/compute.h"
#include "dedicated/dedicated.h"

static int has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], flag))
            return 1;
    return 0;
}

int cli_admin_hosts_pool(int argc, char **argv)
{
    const char *verb = argv[0], *host = argc > 1 ? argv[1] : NULL;
    int sellable = !strcmp(verb, "sellable");
    const char *cluster = cli_opt(argc, argv, "--cluster", NULL);
    int shared = has_flag(argc, argv, "--shared"), dedicated = has_flag(argc, argv, "--dedicated");
    if (!host || host[0] == '-' || (sellable ? shared == dedicated : (!cluster) == !shared)) {
        fprintf(stderr, "usage: yun admin hosts --data DIR sellable HOST --dedicated|--shared\n"
                        "       yun admin hosts --data DIR assign HOST --cluster CLUSTER_ID|--shared\n");
        return 2;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char err[400] = "", owner[24] = "", zone[64] = "";
    enum host_pool pool = shared ? HOST_POOL_SHARED : sellable ? HOST_POOL_DEDICATED : HOST_POOL_CLUSTER;
    const char *result = "Success";
    int rc = store_begin(s) == STORE_OK ? 0 : -1;
    if (rc != 0)
        snprintf(err, sizeof err, "the store is busy: %s", store_errmsg(s));
    if (rc == 0 && pool == HOST_POOL_CLUSTER) {
        int found = dedicated_cluster_owner(s, cluster, owner, zone);
        if (found != 1) {
            snprintf(err, sizeof err, found < 0 ? "the dedicated clusters are unavailable" : "no dedicated cluster %s",
                     cluster);
            result = "ResourceNotFound";
            rc = -1;
        }
    }
    if (rc == 0 && host_pool_set(s, host, pool, pool == HOST_POOL_CLUSTER ? owner : NULL,
                                 pool == HOST_POOL_CLUSTER ? cluster : NULL, zone, err, sizeof err) != 0) {
        result = "FailedOperation";
        rc = -1;
    }
    if (rc != 0)
        store_rollback(s);
    char rid[37], resource[200], action[64];
    random_uuid(rid);
    snprintf(resource, sizeof resource, "qcs::cvm:%s::host/%s%s%s", cfg.region, host, cluster ? " cluster/" : "",
             cluster ? cluster : "");
    snprintf(action, sizeof action, "%s%s", sellable ? "HostSellable" : "HostAssign",
             shared     ? "Shared"
             : sellable ? "Dedicated"
                        : "Cluster");
    if (rc == 0)
        rc = audit_write(s, &(struct audit_entry){owner, "", "yun admin", "cvm", action, resource, result, rid}) == 0 &&
                     store_commit(s) == STORE_OK
                 ? 0
                 : -1;
    else
        audit_write(s, &(struct audit_entry){owner, "", "yun admin", "cvm", action, resource, result, rid});
    store_close(s);
    if (rc != 0) {
        fprintf(stderr, "yun admin hosts %s: %s\n", verb, err[0] ? err : "the change could not be stored");
        return 1;
    }
    printf("{\"HostId\": \"%s\", \"Pool\": \"%s\"%s%s%s}\n", host,
           shared     ? HOST_POOL_SHARED_NAME
           : sellable ? HOST_POOL_DEDICATED_NAME
                      : HOST_POOL_CLUSTER_NAME,
           cluster ? ", \"DedicatedClusterId\": \"" : "", cluster ? cluster : "", cluster ? "\"" : "");
    return 0;
}
