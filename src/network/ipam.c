/*
 * ipam: private addresses of NICs. The store is the only arbiter: ip_allocations has
 * UNIQUE (vpc_id, ip), so when two allocations race (threads or processes) one INSERT fails with a
 * constraint error and that caller moves on to the next free address. Nothing is cached in memory.
 * Reserved per subnet: network, gateway (.1) and broadcast addresses (cidr.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "network/codes.h"
#include "network/network_int.h"

static void set_code(char *code, size_t codelen, const char *c)
{
    if (code && codelen)
        snprintf(code, codelen, "%s", c);
}

int network_allocate_ip(struct store *s, const char *owner_uin, const char *subnet_id, const char *wanted,
                        const char *instance_id, char out[16], char *code, size_t codelen)
{
    struct store_stmt *q = store_query(s, "SELECT vpc_id, cidr FROM subnets WHERE subnet_id = ? AND owner_uin = ?",
                                       "ss", subnet_id, owner_uin);
    if (!q) {
        set_code(code, codelen, E_INTERNAL_ERROR);
        return -1;
    }
    char vpc_id[24] = "";
    struct cidr c;
    int rc = store_step(q);
    if (rc == 1) {
        snprintf(vpc_id, sizeof vpc_id, "%s", store_text(q, 0));
        if (cidr_parse(store_text(q, 1), &c) != 0)
            rc = -1;
    }
    store_done(q);
    if (rc != 1) {
        set_code(code, codelen, rc == 0 ? E_INVALID_PARAMETER_VALUE_SUBNET_NOT_EXIST : E_INTERNAL_ERROR);
        return -1;
    }
    const char *ins = instance_id ? instance_id : "";
    if (wanted && *wanted) {
        uint32_t a;
        if (ip_parse(wanted, &a) != 0) {
            set_code(code, codelen, E_INVALID_PARAMETER_VALUE_MALFORMED);
            return -1;
        }
        if (!cidr_contains_ip(&c, a) || subnet_ip_reserved(&c, a)) {
            set_code(code, codelen, E_INVALID_PARAMETER_VALUE_RANGE);
            return -1;
        }
        ip_format(a, out);
        rc = store_exec(s,
                        "INSERT INTO ip_allocations (vpc_id, subnet_id, ip, owner_uin, instance_id, created) VALUES "
                        "(?, ?, ?, ?, ?, ?)",
                        "sssssi", vpc_id, subnet_id, out, owner_uin, ins, time_now());
        if (rc == 1)
            return 0;
        set_code(code, codelen, rc == STORE_CONSTRAINT ? E_RESOURCE_IN_USE_ADDRESS : E_INTERNAL_ERROR);
        return -1;
    }
    /* The lowest free address; a lost race (constraint) just moves on to the next one. */
    size_t n = (size_t)cidr_size(&c);
    char *used = calloc(n, 1);
    if (!used) {
        set_code(code, codelen, E_INTERNAL_ERROR);
        return -1;
    }
    q = store_query(s, "SELECT ip FROM ip_allocations WHERE vpc_id = ?", "s", vpc_id);
    rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        uint32_t a;
        if (ip_parse(store_text(q, 0), &a) == 0 && cidr_contains_ip(&c, a))
            used[a - c.addr] = 1;
    }
    store_done(q);
    int result = -1;
    set_code(code, codelen, rc < 0 ? E_INTERNAL_ERROR : E_RESOURCE_INSUFFICIENT_SUBNET);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint32_t a = c.addr + (uint32_t)i;
        if (used[i] || subnet_ip_reserved(&c, a))
            continue;
        ip_format(a, out);
        int ins_rc = store_exec(s,
                                "INSERT INTO ip_allocations (vpc_id, subnet_id, ip, owner_uin, instance_id, created)"
                                " VALUES (?, ?, ?, ?, ?, ?)",
                                "sssssi", vpc_id, subnet_id, out, owner_uin, ins, time_now());
        if (ins_rc == 1) {
            result = 0;
            break;
        }
        if (ins_rc != STORE_CONSTRAINT) {
            set_code(code, codelen, E_INTERNAL_ERROR);
            break;
        }
    }
    free(used);
    if (result != 0)
        out[0] = 0;
    return result;
}

int network_release_ip(struct store *s, const char *owner_uin, const char *subnet_id, const char *ip)
{
    int rc = store_exec(s, "DELETE FROM ip_allocations WHERE subnet_id = ? AND ip = ? AND owner_uin = ?", "sss",
                        subnet_id, ip, owner_uin);
    return rc < 0 ? -1 : rc == 0 ? 1 : 0;
}

int network_release_instance_ips(struct store *s, const char *owner_uin, const char *instance_id)
{
    /* the instance's EIP becomes idle (and is billed as such) */
    char eip[32] = "";
    struct store_stmt *q = store_query(s, "SELECT address_id FROM addresses WHERE instance_id = ? AND owner_uin = ?",
                                       "ss", instance_id, owner_uin);
    if (q && store_step(q) == STORE_FOUND)
        snprintf(eip, sizeof eip, "%s", store_text(q, 0));
    store_done(q);
    if (store_exec(s, "DELETE FROM ip_allocations WHERE instance_id = ? AND owner_uin = ?", "ss", instance_id,
                   owner_uin) < 0 ||
        store_exec(s, "DELETE FROM nic_security_groups WHERE instance_id = ? AND owner_uin = ?", "ss", instance_id,
                   owner_uin) < 0 ||
        store_exec(s,
                   "UPDATE addresses SET status = 'UNBIND', instance_id = '', private_ip = '' WHERE instance_id = ? "
                   "AND owner_uin = ?",
                   "ss", instance_id, owner_uin) < 0 ||
        (eip[0] && address_meter(s, eip) != 0))
        return -1;
    return 0;
}
