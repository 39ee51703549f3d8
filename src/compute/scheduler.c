/*
 * scheduler: picks a host for an instance from the hosts' capacity as the store records it.
 * The caller computes capacity inside the launch transaction (BEGIN IMMEDIATE serialises
 * launches), so two concurrent launches can never both take the last free vCPU. One code path
 * for one host or many: a region is just a longer list.
 */
#include <string.h>

#include "compute/compute.h"

int scheduler_pick(const struct host_capacity *hosts, int n, const char *zone, int cpu, int64_t memory_mib,
                   const char *policy)
{
    int best = -1;
    double best_score = 0;
    int pack = policy && strcmp(policy, "pack") == 0;
    for (int i = 0; i < n; i++) {
        const struct host_capacity *h = &hosts[i];
        if (zone && *zone && strcmp(h->zone, zone) != 0)
            continue;
        if (h->vcpus_used + cpu > h->vcpus_total || h->memory_mib_used + memory_mib > h->memory_mib_total)
            continue;
        /* free share after placing: the larger resource pressure decides */
        double cpu_free = (double)(h->vcpus_total - h->vcpus_used - cpu) / (h->vcpus_total ? h->vcpus_total : 1);
        double mem_free = (double)(h->memory_mib_total - h->memory_mib_used - memory_mib) /
                          (double)(h->memory_mib_total ? h->memory_mib_total : 1);
        double free_share = cpu_free < mem_free ? cpu_free : mem_free;
        double score = pack ? -free_share : free_share;
        if (best < 0 || score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}
