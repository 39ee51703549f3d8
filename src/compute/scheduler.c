/*
 * scheduler: picks a host for an instance from the hosts' capacity as the store records it.
 * The caller computes capacity inside the launch transaction (BEGIN IMMEDIATE serialises
 * launches), so two concurrent launches can never both take the last free vCPU. One code path
 * for one host or many: a region is just a longer list. Dedication is a filter on the host's
 * pool (shared, a dedicated host of one account, a dedicated cluster), never a special case in
 * the handlers: an instance is placed only on hosts of the pool it asked for. A placement group
 * (DisasterRecoverGroup) is one more filter: a host already holding one of the group's instances
 * takes no other.
 */
#include <string.h>

#include "compute/compute.h"

enum host_pool host_pool_parse(const char *name)
{
    if (name && !strcmp(name, HOST_POOL_DEDICATED_NAME))
        return HOST_POOL_DEDICATED;
    if (name && !strcmp(name, HOST_POOL_CLUSTER_NAME))
        return HOST_POOL_CLUSTER;
    return HOST_POOL_SHARED;
}

int scheduler_eligible(const struct host_capacity *h, const struct placement *p)
{
    if (h->pool != p->pool)
        return 0;
    if (p->zone && *p->zone && strcmp(h->zone, p->zone) != 0)
        return 0;
    if (h->pool == HOST_POOL_SHARED)
        return 1;
    /* a dedicated pool: only its owner's instances, and only on the ids asked for */
    if (!h->pool_owner[0] || !p->owner_uin || strcmp(h->pool_owner, p->owner_uin) != 0)
        return 0;
    if (p->npool_ids == 0)
        return 1;
    for (int i = 0; i < p->npool_ids; i++)
        if (p->pool_ids[i] && !strcmp(p->pool_ids[i], h->pool_id))
            return 1;
    return 0;
}

int scheduler_group_allows(const struct host_capacity *h, const struct placement *p)
{
    for (int i = 0; i < p->ngroup_hosts; i++)
        if (p->group_hosts[i] && !strcmp(p->group_hosts[i], h->host_id))
            return 0;
    return 1;
}

int scheduler_place(const struct host_capacity *hosts, int n, const struct placement *p)
{
    int best = -1;
    double best_score = 0;
    int pack = p->policy && strcmp(p->policy, "pack") == 0;
    for (int i = 0; i < n; i++) {
        const struct host_capacity *h = &hosts[i];
        /* cheapest test first: the pool, then room, then the rest of the filter */
        if (h->pool != p->pool || h->vcpus_used + p->cpu > h->vcpus_total ||
            h->memory_mib_used + p->memory_mib > h->memory_mib_total || !scheduler_eligible(h, p) ||
            !scheduler_group_allows(h, p))
            continue;
        /* free share after placing: the larger resource pressure decides */
        double cpu_free = (double)(h->vcpus_total - h->vcpus_used - p->cpu) / (h->vcpus_total ? h->vcpus_total : 1);
        double mem_free = (double)(h->memory_mib_total - h->memory_mib_used - p->memory_mib) /
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

int scheduler_pick(const struct host_capacity *hosts, int n, const char *zone, int cpu, int64_t memory_mib,
                   const char *policy)
{
    struct placement p = {zone, cpu, memory_mib, HOST_POOL_SHARED, NULL, NULL, 0, policy};
    return scheduler_place(hosts, n, &p);
}
