/*
 * vpc: VPCs and subnets (CreateVpc, DescribeVpcs, DeleteVpc, CreateSubnet, DescribeSubnets,
 * DeleteSubnet) and the account's default VPC. Address rules live in cidr.c; this file decides
 * what a tenant may create: a VPC block inside the private ranges (/16../28), subnets inside
 * their VPC without overlapping a sibling, in a zone of the region, within the quotas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "network/codes.h"
#include "network/network_int.h"

#define DEFAULT_VPC_CIDR      "172.16.0.0/16"
#define DEFAULT_SUBNET_PREFIX 20

/* ---- store operations shared with the default VPC ---- */

int vpc_create(struct store *s, const char *owner, const char *region, const char *name, const char *cidr,
               int is_default, char vpc_id[24])
{
    int rc = STORE_CONSTRAINT;
    for (int attempt = 0; attempt < 5 && rc == STORE_CONSTRAINT; attempt++) {
        random_id("vpc-", vpc_id, 24);
        rc = store_exec(s,
                        /* the VNI in the same statement: one past the largest in use (vpcs_vni is unique, so
                         * two concurrent creations cannot share one: the loser retries) */
                        "INSERT INTO vpcs (vpc_id, owner_uin, region, name, cidr, is_default, created, vni)"
                        " SELECT ?, ?, ?, ?, ?, ?, ?, COALESCE(MAX(vni), 0) + 1 FROM vpcs",
                        "sssssii", vpc_id, owner, region, name, cidr, (int64_t)is_default, net_now_us());
        if (rc == STORE_CONSTRAINT && is_default)
            return rc; /* another request made the default first */
    }
    return rc == 1 ? 0 : rc;
}

int subnet_create(struct store *s, const char *owner, const char *vpc_id, const char *name, const char *cidr,
                  const char *zone, int is_default, char subnet_id[24])
{
    int rc = STORE_CONSTRAINT;
    for (int attempt = 0; attempt < 5 && rc == STORE_CONSTRAINT; attempt++) {
        random_id("subnet-", subnet_id, 24);
        rc = store_exec(s,
                        "INSERT INTO subnets (subnet_id, owner_uin, vpc_id, name, cidr, zone, is_default, created)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        "ssssssii", subnet_id, owner, vpc_id, name, cidr, zone, (int64_t)is_default, net_now_us());
        if (rc == STORE_CONSTRAINT && is_default)
            return rc;
    }
    return rc == 1 ? 0 : rc;
}

/* The VPC's block if it belongs to owner: 1 found, 0 not, -1 error. */
static int vpc_lookup(struct store *s, const char *owner, const char *vpc_id, struct cidr *block, char region[64])
{
    struct store_stmt *q =
        store_query(s, "SELECT cidr, region FROM vpcs WHERE vpc_id = ? AND owner_uin = ?", "ss", vpc_id, owner);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1) {
        if (block && cidr_parse(store_text(q, 0), block) != 0)
            rc = -1;
        if (region)
            snprintf(region, 64, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* Whether cidr overlaps a subnet of the VPC: 1 yes, 0 no, -1 error. */
static int subnet_overlaps_sibling(struct store *s, const char *vpc_id, const struct cidr *c)
{
    struct store_stmt *q = store_query(s, "SELECT cidr FROM subnets WHERE vpc_id = ?", "s", vpc_id);
    if (!q)
        return -1;
    int rc, hit = 0;
    while ((rc = store_step(q)) == 1) {
        struct cidr other;
        if (cidr_parse(store_text(q, 0), &other) == 0 && cidr_overlaps(&other, c))
            hit = 1;
    }
    store_done(q);
    return rc < 0 ? -1 : hit;
}

static int64_t count_rows(struct store *s, const char *sql, const char *a, const char *b)
{
    struct store_stmt *q = b ? store_query(s, sql, "ss", a, b) : store_query(s, sql, "s", a);
    int64_t n = (q && store_step(q) == 1) ? store_int(q, 0) : -1;
    store_done(q);
    return n;
}

static int zone_in_region(const struct config *cfg, const char *region, const char *zone)
{
    const struct region_conf *r = cfg ? config_find_region(cfg, region) : NULL;
    for (int i = 0; r && i < r->nzones; i++)
        if (strcmp(r->zones[i].zone, zone) == 0)
            return 1;
    return 0;
}

/* ---- VPCs ---- */

static json_t *vpc_json(struct store_stmt *q)
{
    /* columns: vpc_id, name, cidr, is_default, dns_servers, domain_name, multicast, tags, created */
    char t[32];
    net_time_us(store_int(q, 8), t);
    json_t *dns = json_loads(store_text(q, 4), 0, NULL), *tags = json_loads(store_text(q, 7), 0, NULL);
    return json_pack("{s:s,s:s,s:s,s:b,s:b,s:s,s:o,s:s,s:s,s:b,s:s,s:o,s:[],s:b,s:[]}", "VpcName", store_text(q, 1),
                     "VpcId", store_text(q, 0), "CidrBlock", store_text(q, 2), "IsDefault", (int)store_int(q, 3),
                     "EnableMulticast", (int)store_int(q, 6), "CreatedTime", t, "DnsServerSet",
                     dns ? dns : json_array(), "DomainName", store_text(q, 5), "DhcpOptionsId", "", "EnableDhcp", 1,
                     "Ipv6CidrBlock", "", "TagSet", tags ? tags : json_array(), "AssistantCidrSet",
                     "EnableRouteVpcPublish", 0, "Ipv6CidrBlockSet");
}

#define VPC_COLUMNS "vpc_id, name, cidr, is_default, dns_servers, domain_name, multicast, tags, created"

static int create_vpc(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "VpcName", ""), *cidr_s = api_str(ctx, "CidrBlock", "");
    struct cidr c;
    if (cidr_parse(cidr_s, &c) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_MALFORMED, "The CIDR block `%s` is malformed.", cidr_s);
    if (!cidr_is_private_block(&c))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_RANGE,
                        "The CIDR block `%s` must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a netmask"
                        " between /%d and /%d.",
                        cidr_s, NETWORK_MIN_PREFIX, NETWORK_MAX_PREFIX);
    json_t *dns = json_object_get(ctx->params, "DnsServers");
    size_t i;
    json_t *d;
    json_array_foreach (dns, i, d) {
        uint32_t a;
        if (ip_parse(json_string_value(d), &a) != 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_MALFORMED, "The DNS server `%s` is not an IPv4 address.",
                            json_string_value(d));
    }
    const char *mc = api_str(ctx, "EnableMulticast", "false");
    if (strcmp(mc, "true") != 0 && strcmp(mc, "false") != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "EnableMulticast must be `true` or `false`.");
    int64_t n = count_rows(ctx->store, "SELECT count(*) FROM vpcs WHERE owner_uin = ? AND region = ?",
                           ctx->who.owner_uin, ctx->region);
    if (n < 0)
        return net_store_failed(ctx);
    if (n >= NETWORK_MAX_VPCS)
        return api_fail(ctx, E_LIMIT_EXCEEDED, "The account already has %d VPCs in %s, the quota.", NETWORK_MAX_VPCS,
                        ctx->region);
    char vpc_id[24], cidr_text[20];
    cidr_format(&c, cidr_text);
    if (vpc_create(ctx->store, ctx->who.owner_uin, ctx->region, name, cidr_text, 0, vpc_id) != 0)
        return net_store_failed(ctx);
    json_t *tags = net_tags(json_object_get(ctx->params, "Tags"));
    char *tags_s = json_dumps(tags, JSON_COMPACT), *dns_s = dns ? json_dumps(dns, JSON_COMPACT) : NULL;
    json_decref(tags);
    int rc = store_exec(ctx->store,
                        "UPDATE vpcs SET dns_servers = ?, domain_name = ?, multicast = ?, tags = ? WHERE vpc_id = ?",
                        "ssiss", dns_s ? dns_s : "[]", api_str(ctx, "DomainName", ""),
                        (int64_t)(strcmp(mc, "true") == 0), tags_s ? tags_s : "[]", vpc_id);
    free(tags_s);
    free(dns_s);
    if (rc != 1)
        return net_store_failed(ctx);
    struct store_stmt *q = store_query(ctx->store, "SELECT " VPC_COLUMNS " FROM vpcs WHERE vpc_id = ?", "s", vpc_id);
    if (!q || store_step(q) != 1) {
        store_done(q);
        return net_store_failed(ctx);
    }
    json_object_set_new(ctx->out, "Vpc", vpc_json(q));
    store_done(q);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::vpc:%s:uin/%s:vpc/%s", ctx->region, ctx->who.owner_uin, vpc_id);
    return 0;
}

static const char *const vpc_filters[] = {"vpc-name", "vpc-id", "is-default", "cidr-block", "tag-key", NULL};

static int tags_have_key(const char *tags_json, json_t *keys)
{
    json_t *tags = json_loads(tags_json, 0, NULL);
    size_t i;
    json_t *t;
    int hit = 0;
    json_array_foreach (tags, i, t) {
        if (values_contain(keys, json_string_value(json_object_get(t, "Key"))))
            hit = 1;
    }
    json_decref(tags);
    return hit;
}

static int bool_filter_matches(json_t *values, int v)
{
    return values_contain(values, v ? "true" : "false") || values_contain(values, v ? "1" : "0") ||
           values_contain(values, v ? "True" : "False");
}

static int name_matches(json_t *values, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach (values, i, v) {
        if (json_is_string(v) && strstr(name, json_string_value(v)))
            return 1;
    }
    return 0;
}

static int check_ids(struct api_ctx *ctx, const char *ids_name, const char *prefix)
{
    json_t *ids = json_object_get(ctx->params, ids_name);
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        if (!net_valid_id(json_string_value(v), prefix))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_MALFORMED, "The id `%s` is malformed.",
                            json_string_value(v));
    }
    return 0;
}

static int describe_vpcs(struct api_ctx *ctx)
{
    int64_t offset, limit;
    if (net_paging(ctx, &offset, &limit) != 0 || filters_exclusive(ctx, "VpcIds") != 0 ||
        filters_validate(ctx, vpc_filters) != 0 || check_ids(ctx, "VpcIds", "vpc-") != 0)
        return -1;
    json_t *ids = json_object_get(ctx->params, "VpcIds");
    json_t *f_name = filter_get(ctx, "vpc-name"), *f_id = filter_get(ctx, "vpc-id"),
           *f_def = filter_get(ctx, "is-default"), *f_cidr = filter_get(ctx, "cidr-block"),
           *f_tag = filter_get(ctx, "tag-key");
    struct store_stmt *q = store_query(
        ctx->store, "SELECT " VPC_COLUMNS " FROM vpcs WHERE owner_uin = ? AND region = ? ORDER BY created, vpc_id",
        "ss", ctx->who.owner_uin, ctx->region);
    if (!q)
        return net_store_failed(ctx);
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        const char *id = store_text(q, 0);
        if ((json_array_size(ids) && !values_contain(ids, id)) || (f_id && !values_contain(f_id, id)) ||
            (f_name && !name_matches(f_name, store_text(q, 1))) ||
            (f_cidr && !values_contain(f_cidr, store_text(q, 2))) ||
            (f_def && !bool_filter_matches(f_def, (int)store_int(q, 3))) ||
            (f_tag && !tags_have_key(store_text(q, 7), f_tag)))
            continue;
        if (page_take(&pg))
            json_array_append_new(pg.set, vpc_json(q));
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return net_store_failed(ctx);
    }
    page_finish(ctx, &pg, "VpcSet");
    return 0;
}

static int delete_vpc(struct api_ctx *ctx)
{
    const char *vpc_id = api_str(ctx, "VpcId", "");
    int rc = vpc_lookup(ctx->store, ctx->who.owner_uin, vpc_id, NULL, NULL);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND, "The VPC `%s` does not exist.", vpc_id)
                       : net_store_failed(ctx);
    int64_t subnets = count_rows(ctx->store, "SELECT count(*) FROM subnets WHERE vpc_id = ?", vpc_id, NULL);
    int64_t ips = count_rows(ctx->store, "SELECT count(*) FROM ip_allocations WHERE vpc_id = ?", vpc_id, NULL);
    if (subnets < 0 || ips < 0)
        return net_store_failed(ctx);
    if (subnets > 0 || ips > 0)
        return api_fail(ctx, E_RESOURCE_IN_USE,
                        "The VPC `%s` still has %lld subnet(s) and %lld address(es) in use; delete them first.", vpc_id,
                        (long long)subnets, (long long)ips);
    if (store_exec(ctx->store, "DELETE FROM vpcs WHERE vpc_id = ? AND owner_uin = ?", "ss", vpc_id,
                   ctx->who.owner_uin) != 1)
        return net_store_failed(ctx);
    return 0;
}

/* ---- subnets ---- */

#define SUBNET_COLUMNS                                                                                                 \
    "s.subnet_id, s.vpc_id, s.name, s.cidr, s.zone, s.is_default, s.tags, s.created,"                                  \
    " (SELECT count(*) FROM ip_allocations a WHERE a.subnet_id = s.subnet_id)"

static json_t *subnet_json(struct store_stmt *q)
{
    char t[32];
    net_time_us(store_int(q, 7), t);
    struct cidr c = {0, 32};
    cidr_parse(store_text(q, 3), &c);
    int64_t avail = subnet_usable_count(&c) - store_int(q, 8);
    json_t *tags = json_loads(store_text(q, 6), 0, NULL);
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:s,s:s,s:I,s:s,s:s,s:b,s:I,s:o,s:s,s:i}", "VpcId", store_text(q, 1),
                     "SubnetId", store_text(q, 0), "SubnetName", store_text(q, 2), "CidrBlock", store_text(q, 3),
                     "IsDefault", (int)store_int(q, 5), "EnableBroadcast", 0, "Zone", store_text(q, 4), "RouteTableId",
                     "", "CreatedTime", t, "AvailableIpAddressCount", (json_int_t)(avail > 0 ? avail : 0),
                     "Ipv6CidrBlock", "", "NetworkAclId", "", "IsRemoteVpcSnat", 0, "TotalIpAddressCount",
                     (json_int_t)cidr_size(&c), "TagSet", tags ? tags : json_array(), "CdcId", "", "IsCdcSubnet", 0);
}

/* Checks and inserts a subnet; on failure sets ctx's error. */
static int add_subnet(struct api_ctx *ctx, const char *vpc_id, const char *name, const char *cidr_s, const char *zone,
                      char subnet_id[24])
{
    struct cidr vpc_block, c;
    char region[64];
    int rc = vpc_lookup(ctx->store, ctx->who.owner_uin, vpc_id, &vpc_block, region);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND, "The VPC `%s` does not exist.", vpc_id)
                       : net_store_failed(ctx);
    if (cidr_parse(cidr_s, &c) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_MALFORMED, "The CIDR block `%s` is malformed.", cidr_s);
    if (c.prefix < NETWORK_MIN_PREFIX || c.prefix > NETWORK_MAX_PREFIX || !cidr_contains(&vpc_block, &c))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_SUBNET_RANGE,
                        "The subnet block `%s` must lie inside the VPC's block with a netmask between /%d and /%d.",
                        cidr_s, NETWORK_MIN_PREFIX, NETWORK_MAX_PREFIX);
    if (!zone_in_region(ctx->config, region, zone))
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_UNAVAILABLE_ZONE, "The zone `%s` is not a zone of region %s.",
                        zone, region);
    rc = subnet_overlaps_sibling(ctx->store, vpc_id, &c);
    if (rc != 0)
        return rc > 0 ? api_fail(ctx, E_INVALID_PARAMETER_VALUE_SUBNET_CONFLICT,
                                 "The subnet block `%s` overlaps another subnet of the VPC.", cidr_s)
                      : net_store_failed(ctx);
    int64_t n = count_rows(ctx->store, "SELECT count(*) FROM subnets WHERE vpc_id = ?", vpc_id, NULL);
    if (n < 0)
        return net_store_failed(ctx);
    if (n >= NETWORK_MAX_SUBNETS_PER_VPC)
        return api_fail(ctx, E_LIMIT_EXCEEDED, "The VPC already has %d subnets, the quota.",
                        NETWORK_MAX_SUBNETS_PER_VPC);
    char text[20];
    cidr_format(&c, text);
    if (subnet_create(ctx->store, ctx->who.owner_uin, vpc_id, name, text, zone, 0, subnet_id) != 0)
        return net_store_failed(ctx);
    return 0;
}

static int create_subnet(struct api_ctx *ctx)
{
    char subnet_id[24];
    if (add_subnet(ctx, api_str(ctx, "VpcId", ""), api_str(ctx, "SubnetName", ""), api_str(ctx, "CidrBlock", ""),
                   api_str(ctx, "Zone", ""), subnet_id) != 0)
        return -1;
    json_t *tags = net_tags(json_object_get(ctx->params, "Tags"));
    char *tags_s = json_dumps(tags, JSON_COMPACT);
    json_decref(tags);
    int rc = store_exec(ctx->store, "UPDATE subnets SET tags = ? WHERE subnet_id = ?", "ss", tags_s ? tags_s : "[]",
                        subnet_id);
    free(tags_s);
    if (rc != 1)
        return net_store_failed(ctx);
    struct store_stmt *q =
        store_query(ctx->store, "SELECT " SUBNET_COLUMNS " FROM subnets s WHERE s.subnet_id = ?", "s", subnet_id);
    if (!q || store_step(q) != 1) {
        store_done(q);
        return net_store_failed(ctx);
    }
    json_object_set_new(ctx->out, "Subnet", subnet_json(q));
    store_done(q);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::vpc:%s:uin/%s:subnet/%s", ctx->region, ctx->who.owner_uin,
             subnet_id);
    return 0;
}

static const char *const subnet_filters[] = {"subnet-id",   "vpc-id", "cidr-block", "is-default",
                                             "subnet-name", "zone",   "tag-key",    NULL};

static int describe_subnets(struct api_ctx *ctx)
{
    int64_t offset, limit;
    if (net_paging(ctx, &offset, &limit) != 0 || filters_exclusive(ctx, "SubnetIds") != 0 ||
        filters_validate(ctx, subnet_filters) != 0 || check_ids(ctx, "SubnetIds", "subnet-") != 0)
        return -1;
    json_t *ids = json_object_get(ctx->params, "SubnetIds");
    json_t *f_id = filter_get(ctx, "subnet-id"), *f_vpc = filter_get(ctx, "vpc-id"),
           *f_cidr = filter_get(ctx, "cidr-block"), *f_def = filter_get(ctx, "is-default"),
           *f_name = filter_get(ctx, "subnet-name"), *f_zone = filter_get(ctx, "zone"),
           *f_tag = filter_get(ctx, "tag-key");
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT " SUBNET_COLUMNS " FROM subnets s JOIN vpcs v ON v.vpc_id = s.vpc_id"
                                       " WHERE s.owner_uin = ? AND v.region = ? ORDER BY s.created, s.subnet_id",
                                       "ss", ctx->who.owner_uin, ctx->region);
    if (!q)
        return net_store_failed(ctx);
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        const char *id = store_text(q, 0);
        if ((json_array_size(ids) && !values_contain(ids, id)) || (f_id && !values_contain(f_id, id)) ||
            (f_vpc && !values_contain(f_vpc, store_text(q, 1))) ||
            (f_name && !values_contain(f_name, store_text(q, 2))) ||
            (f_cidr && !values_contain(f_cidr, store_text(q, 3))) ||
            (f_zone && !values_contain(f_zone, store_text(q, 4))) ||
            (f_def && !bool_filter_matches(f_def, (int)store_int(q, 5))) ||
            (f_tag && !tags_have_key(store_text(q, 6), f_tag)))
            continue;
        if (page_take(&pg))
            json_array_append_new(pg.set, subnet_json(q));
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return net_store_failed(ctx);
    }
    page_finish(ctx, &pg, "SubnetSet");
    return 0;
}

static int delete_subnet(struct api_ctx *ctx)
{
    const char *subnet_id = api_str(ctx, "SubnetId", "");
    int64_t n = count_rows(ctx->store, "SELECT count(*) FROM subnets WHERE subnet_id = ? AND owner_uin = ?", subnet_id,
                           ctx->who.owner_uin);
    if (n < 0)
        return net_store_failed(ctx);
    if (n == 0)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND, "The subnet `%s` does not exist.", subnet_id);
    int64_t ips = count_rows(ctx->store, "SELECT count(*) FROM ip_allocations WHERE subnet_id = ?", subnet_id, NULL);
    if (ips < 0)
        return net_store_failed(ctx);
    if (ips > 0)
        return api_fail(ctx, E_RESOURCE_IN_USE, "The subnet `%s` still has %lld address(es) in use.", subnet_id,
                        (long long)ips);
    if (store_exec(ctx->store, "DELETE FROM subnets WHERE subnet_id = ? AND owner_uin = ?", "ss", subnet_id,
                   ctx->who.owner_uin) != 1)
        return net_store_failed(ctx);
    return 0;
}

/* ---- the default VPC ---- */

static int find_default(struct store *s, const char *sql, const char *a, const char *b, char out[24])
{
    struct store_stmt *q = store_query(s, sql, "ss", a, b);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        snprintf(out, 24, "%s", store_text(q, 0));
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* The first /20 of the VPC block that no subnet uses. */
static int free_default_block(struct store *s, const char *vpc_id, const struct cidr *vpc_block, struct cidr *out)
{
    uint32_t step = 1u << (32 - DEFAULT_SUBNET_PREFIX);
    for (uint64_t a = vpc_block->addr; a < vpc_block->addr + cidr_size(vpc_block); a += step) {
        struct cidr c = {(uint32_t)a, DEFAULT_SUBNET_PREFIX};
        int rc = subnet_overlaps_sibling(s, vpc_id, &c);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            *out = c;
            return 0;
        }
    }
    return 1;
}

static int default_vpc_locked(struct store *s, const char *owner, const char *region, const char *zone, char vpc_id[24],
                              char subnet_id[24], char *code, size_t codelen)
{
    int rc = find_default(s, "SELECT vpc_id FROM vpcs WHERE owner_uin = ? AND region = ? AND is_default = 1", owner,
                          region, vpc_id);
    if (rc == 0) {
        if (vpc_create(s, owner, region, "Default-VPC", DEFAULT_VPC_CIDR, 1, vpc_id) != 0)
            goto store_error;
    } else if (rc < 0) {
        goto store_error;
    }
    char sg[24];
    if (network_default_security_group(s, owner, region, sg) != 0)
        goto store_error;
    rc = find_default(s, "SELECT subnet_id FROM subnets WHERE vpc_id = ? AND zone = ? AND is_default = 1", vpc_id, zone,
                      subnet_id);
    if (rc == 1)
        return 0;
    if (rc < 0)
        goto store_error;
    struct cidr block, c;
    if (cidr_parse(DEFAULT_VPC_CIDR, &block) != 0)
        goto store_error;
    struct store_stmt *q = store_query(s, "SELECT cidr FROM vpcs WHERE vpc_id = ?", "s", vpc_id);
    if (q && store_step(q) == 1)
        cidr_parse(store_text(q, 0), &block);
    store_done(q);
    rc = free_default_block(s, vpc_id, &block, &c);
    if (rc < 0)
        goto store_error;
    if (rc > 0) {
        snprintf(code, codelen, E_RESOURCE_INSUFFICIENT_CIDR_BLOCK);
        return -1;
    }
    char text[20];
    cidr_format(&c, text);
    if (subnet_create(s, owner, vpc_id, "Default-Subnet", text, zone, 1, subnet_id) != 0)
        goto store_error;
    return 0;
store_error:
    snprintf(code, codelen, E_INTERNAL_ERROR);
    return -1;
}

int network_subnet_info(struct store *s, const char *owner_uin, const char *subnet_id, char vpc_id[24], char zone[64],
                        char cidr[20])
{
    struct store_stmt *q = store_query(
        s, "SELECT vpc_id, zone, cidr FROM subnets WHERE subnet_id = ? AND owner_uin = ?", "ss", subnet_id, owner_uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1) {
        snprintf(vpc_id, 24, "%s", store_text(q, 0));
        snprintf(zone, 64, "%s", store_text(q, 1));
        snprintf(cidr, 20, "%s", store_text(q, 2));
    }
    store_done(q);
    return rc < 0 ? -1 : rc;
}

int network_default_vpc(struct store *s, const char *owner_uin, const char *region, const char *zone, char vpc_id[24],
                        char subnet_id[24], char *code, size_t codelen)
{
    /* Inside the caller's write transaction the work is serialised already; otherwise take one. */
    int own = !store_in_transaction(s);
    if (own && store_begin(s) != STORE_OK) {
        snprintf(code, codelen, E_INTERNAL_ERROR);
        return -1;
    }
    int rc = default_vpc_locked(s, owner_uin, region, zone, vpc_id, subnet_id, code, codelen);
    if (own) {
        if (rc == 0 && store_commit(s) != STORE_OK) {
            snprintf(code, codelen, E_INTERNAL_ERROR);
            rc = -1;
        }
        if (rc != 0)
            store_rollback(s);
    }
    return rc;
}

/* ---- the action table ---- */

static const struct param p_create_vpc[] = {P_STR("VpcName", P_REQUIRED, 1, 60),
                                            P_STR("CidrBlock", P_REQUIRED, 1, 32),
                                            P_STR("EnableMulticast", 0, 0, 8),
                                            P_STRS("DnsServers", 0, 4, 16),
                                            P_STR("DomainName", 0, 0, 60),
                                            P_OBJS("Tags", 0, 50, tag_fields_optional_value),
                                            P_BOOL("EnableRouteVpcPublish", 0),
                                            P_BOOL("EnableRouteVpcPublishIpv6", 0),
                                            P_END};
/* Offset/Limit are strings in the SDK's model of these actions (see net_paging). */
static const struct param p_describe_vpcs[] = {P_STRS("VpcIds", 0, 100, 64), P_FILTERS_WIDE,
                                               P_STR("Offset", P_NUMSTR, 0, 12), P_STR("Limit", P_NUMSTR, 0, 12),
                                               P_END};
static const struct param p_vpc_id[] = {P_STR("VpcId", P_REQUIRED, 1, 64), P_END};
static const struct param p_create_subnet[] = {P_STR("VpcId", P_REQUIRED, 1, 64),
                                               P_STR("SubnetName", P_REQUIRED, 1, 60),
                                               P_STR("CidrBlock", P_REQUIRED, 1, 32),
                                               P_STR("Zone", P_REQUIRED, 1, 64),
                                               P_OBJS("Tags", 0, 50, tag_fields_optional_value),
                                               P_STR("CdcId", 0, 0, 64),
                                               P_END};
static const struct param p_describe_subnets[] = {P_STRS("SubnetIds", 0, 100, 64),
                                                  P_FILTERS_WIDE,
                                                  P_STR("Offset", P_NUMSTR, 0, 12),
                                                  P_STR("Limit", P_NUMSTR, 0, 12),
                                                  P_INT("MaxResults", 0, 1, 100),
                                                  P_STR("NextToken", 0, 0, 256),
                                                  P_END};
static const struct param p_subnet_id[] = {P_STR("SubnetId", P_REQUIRED, 1, 64), P_END};

const struct action vpc_actions[] = {
    {"vpc", VPC_VERSION, "CreateVpc", create_vpc, p_create_vpc, A_MUTATES | A_REGIONAL, "vpc/*", NULL},
    {"vpc", VPC_VERSION, "DescribeVpcs", describe_vpcs, p_describe_vpcs, A_REGIONAL, "vpc/${VpcIds|*}", NULL},
    {"vpc", VPC_VERSION, "DeleteVpc", delete_vpc, p_vpc_id, A_MUTATES | A_REGIONAL, "vpc/${VpcId}", NULL},
    {"vpc", VPC_VERSION, "CreateSubnet", create_subnet, p_create_subnet, A_MUTATES | A_REGIONAL, "vpc/${VpcId}", NULL},
    {"vpc", VPC_VERSION, "DescribeSubnets", describe_subnets, p_describe_subnets, A_REGIONAL, "subnet/${SubnetIds|*}",
     NULL},
    {"vpc", VPC_VERSION, "DeleteSubnet", delete_subnet, p_subnet_id, A_MUTATES | A_REGIONAL, "subnet/${SubnetId}",
     NULL},
};
const int vpc_action_count = sizeof vpc_actions / sizeof vpc_actions[0];
