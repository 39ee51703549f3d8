/*
 * network: the service's tables (migrations), its action tables, the compute hook, and the small
 * helpers every vpc handler shares (paging with string-typed Offset/Limit, filters, ids).
 *
 * Tables: vpcs, subnets, ip_allocations (one row per private address in use: the NIC of an
 * instance, UNIQUE per VPC), nic_security_groups, security_groups, security_group_policies
 * (ordered by position per direction), addresses (EIPs, UNIQUE ip). `created`/`updated` columns
 * hold unix microseconds (listings are in creation order); policy `modified` holds seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/codes.h"
#include "network/codes.h"
#include "network/network_int.h"

static const struct migration network_migrations[] = {
    {1, "CREATE TABLE vpcs ("
        " vpc_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
        " cidr TEXT NOT NULL, is_default INTEGER NOT NULL DEFAULT 0, dns_servers TEXT NOT NULL DEFAULT '[]',"
        " domain_name TEXT NOT NULL DEFAULT '', multicast INTEGER NOT NULL DEFAULT 0,"
        " tags TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL);"
        "CREATE INDEX vpcs_owner ON vpcs (owner_uin, region);"
        "CREATE UNIQUE INDEX vpcs_one_default ON vpcs (owner_uin, region) WHERE is_default = 1;"
        "CREATE TABLE subnets ("
        " subnet_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, vpc_id TEXT NOT NULL REFERENCES vpcs (vpc_id),"
        " name TEXT NOT NULL, cidr TEXT NOT NULL, zone TEXT NOT NULL, is_default INTEGER NOT NULL DEFAULT 0,"
        " tags TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL);"
        "CREATE INDEX subnets_vpc ON subnets (vpc_id);"
        "CREATE INDEX subnets_owner ON subnets (owner_uin);"
        "CREATE UNIQUE INDEX subnets_one_default ON subnets (vpc_id, zone) WHERE is_default = 1;"
        "CREATE TABLE ip_allocations ("
        " vpc_id TEXT NOT NULL, subnet_id TEXT NOT NULL REFERENCES subnets (subnet_id), ip TEXT NOT NULL,"
        " owner_uin TEXT NOT NULL, instance_id TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
        " UNIQUE (vpc_id, ip));"
        "CREATE INDEX ip_allocations_subnet ON ip_allocations (subnet_id);"
        "CREATE INDEX ip_allocations_instance ON ip_allocations (instance_id);"
        "CREATE TABLE security_groups ("
        " sg_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
        " description TEXT NOT NULL, project_id TEXT NOT NULL DEFAULT '0', is_default INTEGER NOT NULL DEFAULT 0,"
        " tags TEXT NOT NULL DEFAULT '[]', version INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
        " updated INTEGER NOT NULL);"
        "CREATE INDEX security_groups_owner ON security_groups (owner_uin, region);"
        "CREATE UNIQUE INDEX security_groups_one_default ON security_groups (owner_uin, region) WHERE is_default = 1;"
        "CREATE TABLE security_group_policies ("
        " sg_id TEXT NOT NULL REFERENCES security_groups (sg_id), direction TEXT NOT NULL, position INTEGER NOT NULL,"
        " protocol TEXT NOT NULL, port TEXT NOT NULL, cidr TEXT NOT NULL DEFAULT '', peer_sg TEXT NOT NULL DEFAULT '',"
        " action TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', modified INTEGER NOT NULL,"
        " PRIMARY KEY (sg_id, direction, position));"
        "CREATE INDEX security_group_policies_peer ON security_group_policies (peer_sg);"
        "CREATE TABLE nic_security_groups ("
        " instance_id TEXT NOT NULL, sg_id TEXT NOT NULL REFERENCES security_groups (sg_id),"
        " owner_uin TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (instance_id, sg_id));"
        "CREATE INDEX nic_security_groups_sg ON nic_security_groups (sg_id);"
        "CREATE TABLE addresses ("
        " address_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL, region TEXT NOT NULL, ip TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, instance_id TEXT NOT NULL DEFAULT '',"
        " private_ip TEXT NOT NULL DEFAULT '', charge_type TEXT NOT NULL, bandwidth INTEGER NOT NULL,"
        " isp TEXT NOT NULL DEFAULT 'BGP', tags TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL);"
        "CREATE INDEX addresses_owner ON addresses (owner_uin, region);"},
    /* groups and addresses another product sells (a lighthouse firewall, its public address): only that product
     * sees and changes them (api_sold_by) */
    {2, "ALTER TABLE security_groups ADD COLUMN sold_by TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE addresses ADD COLUMN sold_by TEXT NOT NULL DEFAULT '';"},
    /* the VXLAN network identifier of each VPC (its overlay across hosts, src/host/net_plan.c): unique among the
     * VPCs that exist, allocated with the VPC (vpc_create); existing VPCs are numbered 1.. in creation order */
    {3, "ALTER TABLE vpcs ADD COLUMN vni INTEGER;"
        "UPDATE vpcs SET vni = (SELECT COUNT(*) FROM vpcs o WHERE o.created < vpcs.created"
        " OR (o.created = vpcs.created AND o.vpc_id <= vpcs.vpc_id));"
        "CREATE UNIQUE INDEX vpcs_vni ON vpcs (vni);"},
};

int network_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "network", network_migrations, sizeof network_migrations / sizeof network_migrations[0],
                         err, errlen);
}

/* The region of each regional vpc resource, for the request path (api/regions.c): VPCs,
 * security groups and EIPs record theirs; a subnet is in its VPC's. sold: the statement's second
 * column is the product that sells the row (2 when it is not the request's, api_sold_by). */
static int row_region(struct api_ctx *ctx, const char *sql, const char *id, char region[64], int sold)
{
    struct store_stmt *q = store_query(ctx->store, sql, "ss", id, ctx->who.owner_uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1 && sold && strcmp(store_text(q, 1), api_sold_by(ctx)) != 0)
        rc = 2;
    else if (rc == 1)
        snprintf(region, 64, "%s", store_text(q, 0));
    store_done(q);
    return rc < 0 ? -1 : rc;
}

static int vpc_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return row_region(ctx, "SELECT region FROM vpcs WHERE vpc_id = ? AND owner_uin = ?", id, region, 0);
}

static int subnet_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return row_region(ctx,
                      "SELECT v.region FROM subnets s JOIN vpcs v ON v.vpc_id = s.vpc_id"
                      " WHERE s.subnet_id = ? AND s.owner_uin = ?",
                      id, region, 0);
}

static int sg_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return row_region(ctx, "SELECT region, sold_by FROM security_groups WHERE sg_id = ? AND owner_uin = ?", id, region,
                      1);
}

static int address_region(struct api_ctx *ctx, const char *id, char region[64])
{
    return row_region(ctx, "SELECT region, sold_by FROM addresses WHERE address_id = ? AND owner_uin = ?", id, region,
                      1);
}

static const struct regional_kind vpc_kinds[] = {
    {"vpc", "vpc", "VPC", E_RESOURCE_NOT_FOUND, vpc_region},
    {"vpc", "subnet", "subnet", E_RESOURCE_NOT_FOUND, subnet_region},
    {"vpc", "sg", "security group", E_RESOURCE_NOT_FOUND, sg_region},
    {"vpc", "eip", "address", E_INVALID_ADDRESS_ID_NOT_FOUND, address_region},
};

void network_register(void)
{
    api_register_regional(vpc_kinds, sizeof vpc_kinds / sizeof vpc_kinds[0]);
    api_register(vpc_actions, vpc_action_count);
    api_register(security_group_actions, security_group_action_count);
    api_register(address_actions, address_action_count);
    address_inquiry_register();
}

/* Written once at start (before the HTTP threads), read by handlers. */
static network_instance_lookup_fn instance_lookup;

void network_set_instance_lookup(network_instance_lookup_fn fn) { instance_lookup = fn; }
network_instance_lookup_fn network_instance_lookup(void) { return instance_lookup; }

/* ---- handler helpers ---- */

int net_store_failed(struct api_ctx *ctx)
{
    return api_fail(ctx, E_INTERNAL_ERROR, "The state store failed: %s", store_errmsg(ctx->store));
}

/* The VPC product writes times as "YYYY-MM-DD hh:mm:ss". */
void net_time(int64_t t, char out[32]) { time_cam(t, out); }

int64_t net_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void net_time_us(int64_t us, char out[32]) { time_cam(us / 1000000, out); }

static int paging_value(struct api_ctx *ctx, const char *name, int64_t dflt, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(ctx->params, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    long long x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else {
        const char *s = json_string_value(v), *p = s;
        char *end;
        if (!s || !*s)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                            "The value of parameter `%s` must be a non-negative integer.", name);
        for (; *p; p++)
            if (*p < '0' || *p > '9')
                return api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                                "The value of parameter `%s` must be a non-negative integer.", name);
        x = strtoll(s, &end, 10);
    }
    if (x < 0 || x > max)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "The value of parameter `%s` must be between 0 and %lld.", name,
                        (long long)max);
    *out = x;
    return 0;
}

int net_paging(struct api_ctx *ctx, int64_t *offset, int64_t *limit)
{
    if (paging_value(ctx, "Offset", 0, INT32_MAX, offset) != 0 || paging_value(ctx, "Limit", 20, 100, limit) != 0)
        return -1;
    return 0;
}

int net_valid_id(const char *id, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!id || strncmp(id, prefix, n) != 0 || strlen(id) != n + 8)
        return 0;
    for (const char *p = id + n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

json_t *net_tags(json_t *tags)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach (tags, i, t) {
        const char *v = json_string_value(json_object_get(t, "Value"));
        json_array_append_new(
            out, json_pack("{s:s,s:s}", "Key", json_string_value(json_object_get(t, "Key")), "Value", v ? v : ""));
    }
    return out;
}
