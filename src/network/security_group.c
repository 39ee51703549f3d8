/*
 * security_group: security groups and their ordered policies (CreateSecurityGroup,
 * DescribeSecurityGroups, DeleteSecurityGroup, Create/Describe/Delete/Modify/Replace
 * SecurityGroupPolicies). A direction's policies are a short ordered list (at most 100), so a
 * change loads the list, edits it in memory and writes it back in the action's transaction;
 * PolicyIndex is simply the position. Every change bumps the group's Version, which callers may
 * pass back to detect concurrent edits (UnsupportedOperation.VersionMismatch).
 *
 * Evaluation (host_net.c): first matching policy wins, no match drops; replies of allowed
 * connections pass (connection tracking).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/codes.h"
#include "api/filters.h"
#include "network/codes.h"
#include "network/network_int.h"

static const char *const directions[] = {"Ingress", "Egress"};

/* ---- the group row ---- */

int sg_create(struct store *s, const char *owner, const char *region, const char *name, const char *desc,
              const char *project, int is_default, char sg_id[24])
{
    int rc = STORE_CONSTRAINT;
    int64_t now = net_now_us();
    for (int attempt = 0; attempt < 5 && rc == STORE_CONSTRAINT; attempt++) {
        random_id("sg-", sg_id, 24);
        rc = store_exec(
            s,
            "INSERT INTO security_groups (sg_id, owner_uin, region, name, description, project_id, is_default,"
            " created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "ssssssiii", sg_id, owner, region, name, desc, project, (int64_t)is_default, now, now);
        if (rc == STORE_CONSTRAINT && is_default)
            return rc;
    }
    return rc == 1 ? 0 : rc;
}

/* 1 = the group exists and belongs to owner (its version copied out), 0 = not, -1 = error. */
static int sg_lookup(struct store *s, const char *owner, const char *sg_id, int64_t *version)
{
    struct store_stmt *q =
        store_query(s, "SELECT version FROM security_groups WHERE sg_id = ? AND owner_uin = ?", "ss", sg_id, owner);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1 && version)
        *version = store_int(q, 0);
    store_done(q);
    return rc < 0 ? -1 : rc;
}

/* ---- policies: stored rows <-> the SDK's SecurityGroupPolicy objects ---- */

static json_t *policy_json(int index, const char *protocol, const char *port, const char *cidr, const char *peer_sg,
                           const char *action, const char *desc, int64_t modified)
{
    char t[32];
    net_time(modified, t);
    return json_pack("{s:i,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s}", "PolicyIndex", index, "Protocol",
                     protocol, "Port", port, "ServiceTemplate", "ServiceId", "", "ServiceGroupId", "", "CidrBlock",
                     cidr, "Ipv6CidrBlock", "", "SecurityGroupId", peer_sg, "AddressTemplate", "AddressId", "",
                     "AddressGroupId", "", "Action", action, "PolicyDescription", desc, "ModifyTime", t);
}

/* The direction's policies in order, as SDK objects (new reference), or NULL on store error. */
static json_t *load_policies(struct store *s, const char *sg_id, const char *direction)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT protocol, port, cidr, peer_sg, action, description, modified FROM security_group_policies"
                    " WHERE sg_id = ? AND direction = ? ORDER BY position",
                    "ss", sg_id, direction);
    if (!q)
        return NULL;
    json_t *list = json_array();
    int rc, i = 0;
    while ((rc = store_step(q)) == 1)
        json_array_append_new(list, policy_json(i++, store_text(q, 0), store_text(q, 1), store_text(q, 2),
                                                store_text(q, 3), store_text(q, 4), store_text(q, 5), store_int(q, 6)));
    store_done(q);
    if (rc < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static int save_policies(struct store *s, const char *sg_id, const char *direction, json_t *list)
{
    if (store_exec(s, "DELETE FROM security_group_policies WHERE sg_id = ? AND direction = ?", "ss", sg_id, direction) <
        0)
        return -1;
    size_t i;
    json_t *p;
    int64_t now = time_now();
    json_array_foreach (list, i, p) {
        json_t *mt = json_object_get(p, "ModifyTime");
        int64_t modified = now;
        if (json_is_string(mt))
            time_parse_iso8601(json_string_value(mt), &modified);
        if (store_exec(s,
                       "INSERT INTO security_group_policies (sg_id, direction, position, protocol, port, cidr, peer_sg,"
                       " action, description, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "ssissssssi", sg_id, direction, (int64_t)i, json_string_value(json_object_get(p, "Protocol")),
                       json_string_value(json_object_get(p, "Port")),
                       json_string_value(json_object_get(p, "CidrBlock")),
                       json_string_value(json_object_get(p, "SecurityGroupId")),
                       json_string_value(json_object_get(p, "Action")),
                       json_string_value(json_object_get(p, "PolicyDescription")), modified) != 1)
            return -1;
    }
    return 0;
}

static int bump_version(struct store *s, const char *sg_id)
{
    return store_exec(s, "UPDATE security_groups SET version = version + 1, updated = ? WHERE sg_id = ?", "is",
                      net_now_us(), sg_id) == 1
               ? 0
               : -1;
}

static const char *const protocols[] = {"TCP", "UDP", "ICMP", "ICMPv6", "GRE", "ALL", NULL};

static const char *canonical_protocol(const char *p)
{
    for (const char *const *x = protocols; *x; x++)
        if (strcasecmp(*x, p) == 0)
            return *x;
    return NULL;
}

/* Validates one requested policy and returns its normalised form (new reference), or NULL with the
 * error set on ctx. `path` names it in messages (e.g. "SecurityGroupPolicySet.Ingress.0"). */
static json_t *policy_from_request(struct api_ctx *ctx, json_t *in, const char *path)
{
    const char *protocol = json_string_value(json_object_get(in, "Protocol"));
    const char *port = json_string_value(json_object_get(in, "Port"));
    const char *cidr = json_string_value(json_object_get(in, "CidrBlock"));
    const char *peer = json_string_value(json_object_get(in, "SecurityGroupId"));
    const char *action = json_string_value(json_object_get(in, "Action"));
    const char *desc = json_string_value(json_object_get(in, "PolicyDescription"));
    const char *v6 = json_string_value(json_object_get(in, "Ipv6CidrBlock"));
    json_t *st = json_object_get(in, "ServiceTemplate"), *at = json_object_get(in, "AddressTemplate");
    if ((st && json_object_size(st)) || (at && json_object_size(at)) || (v6 && *v6)) {
        api_fail(ctx, E_UNSUPPORTED_OPERATION, "%s: service/address templates and IPv6 peers are not supported here.",
                 path);
        return NULL;
    }
    if (!protocol || !*protocol) {
        api_fail(ctx, E_MISSING_PARAMETER, "The request is missing a required parameter `%s.Protocol`.", path);
        return NULL;
    }
    const char *proto = canonical_protocol(protocol);
    if (!proto) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE, "%s.Protocol `%s` must be one of TCP, UDP, ICMP, ICMPv6, GRE, ALL.",
                 path, protocol);
        return NULL;
    }
    int l4ports = strcmp(proto, "TCP") == 0 || strcmp(proto, "UDP") == 0;
    struct port_range ranges[64];
    if (!port || !*port || strcasecmp(port, "all") == 0) {
        port = "ALL";
    } else if (!l4ports) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE, "%s.Port is only accepted with TCP or UDP (got protocol %s).", path,
                 proto);
        return NULL;
    } else if (port_spec_parse(port, ranges, 64) < 0) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                 "%s.Port `%s` must be all, a port, a list like 80,443 or a range like 8000-9000.", path, port);
        return NULL;
    }
    if (!action || (strcasecmp(action, "ACCEPT") != 0 && strcasecmp(action, "DROP") != 0)) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE, "%s.Action must be ACCEPT or DROP.", path);
        return NULL;
    }
    int has_cidr = cidr && *cidr, has_peer = peer && *peer;
    if (has_cidr && has_peer) {
        api_fail(ctx, E_INVALID_PARAMETER_COEXIST, "%s: CidrBlock and SecurityGroupId cannot be specified together.",
                 path);
        return NULL;
    }
    if (!has_cidr && !has_peer) {
        api_fail(ctx, E_INVALID_PARAMETER_VALUE_EMPTY, "%s needs a CidrBlock or a SecurityGroupId.", path);
        return NULL;
    }
    char cidr_text[20] = "";
    if (has_cidr) {
        struct cidr c;
        const char *src = strcmp(cidr, "MY_PUBLIC_IP") == 0 ? ctx->source_ip : cidr;
        if (cidr_parse_peer(src, &c) != 0) {
            api_fail(ctx, E_INVALID_PARAMETER_VALUE_MALFORMED,
                     "%s.CidrBlock `%s` is not an IPv4 address or CIDR block.", path, cidr);
            return NULL;
        }
        if (c.prefix == 32 && strchr(src, '/') == NULL)
            snprintf(cidr_text, sizeof cidr_text, "%s", src); /* a single address stays as written */
        else
            cidr_format(&c, cidr_text);
        if (strcmp(cidr, "MY_PUBLIC_IP") == 0 && (!desc || !*desc))
            desc = "Replaced-From-MY_PUBLIC_IP";
    } else {
        int rc = sg_lookup(ctx->store, ctx->who.owner_uin, peer, NULL);
        if (rc != 1) {
            if (rc < 0)
                net_store_failed(ctx);
            else
                api_fail(ctx, E_INVALID_SECURITY_GROUP_CAPITAL_ID_NOT_FOUND, "%s.SecurityGroupId `%s` does not exist.",
                         path, peer);
            return NULL;
        }
    }
    char act[8];
    snprintf(act, sizeof act, "%s", action);
    for (char *p = act; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Protocol", proto, "Port", port, "CidrBlock", cidr_text,
                     "SecurityGroupId", has_peer ? peer : "", "Action", act, "PolicyDescription", desc ? desc : "");
}

static int same_policy(json_t *a, json_t *b)
{
    static const char *const keys[] = {"Protocol", "Port", "CidrBlock", "SecurityGroupId", "Action"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *x = json_string_value(json_object_get(a, keys[i])),
                   *y = json_string_value(json_object_get(b, keys[i]));
        if (strcasecmp(x ? x : "", y ? y : "") != 0)
            return 0;
    }
    return 1;
}

/* Common prologue of the policy actions: the group exists, Version (if given) matches. */
static int policy_prologue(struct api_ctx *ctx, const char **sg_id, json_t **set)
{
    *sg_id = api_str(ctx, "SecurityGroupId", "");
    *set = json_object_get(ctx->params, "SecurityGroupPolicySet");
    int64_t version;
    int rc = sg_lookup(ctx->store, ctx->who.owner_uin, *sg_id, &version);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND, "The security group `%s` does not exist.", *sg_id)
                       : net_store_failed(ctx);
    const char *v = json_string_value(json_object_get(*set, "Version"));
    if (v && *v && strcmp(ctx->action->name, "ModifySecurityGroupPolicies") != 0) {
        char cur[24];
        snprintf(cur, sizeof cur, "%lld", (long long)version);
        if (strcmp(v, cur) != 0)
            return api_fail(ctx, E_UNSUPPORTED_OPERATION_VERSION_MISMATCH,
                            "The policy set is at version %s, not %s; describe it again.", cur, v);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::vpc:%s:uin/%s:sg/%s", ctx->region, ctx->who.owner_uin, *sg_id);
    return 0;
}

static int create_policies(struct api_ctx *ctx)
{
    const char *sg_id;
    json_t *set;
    if (policy_prologue(ctx, &sg_id, &set) != 0)
        return -1;
    json_t *in_list = json_object_get(set, "Ingress"), *eg_list = json_object_get(set, "Egress");
    if (json_array_size(in_list) && json_array_size(eg_list))
        return api_fail(ctx, E_INVALID_PARAMETER_COEXIST,
                        "One request creates policies of one direction only (Ingress or Egress).");
    int d = json_array_size(eg_list) > 0;
    json_t *reqs = d ? eg_list : in_list;
    if (json_array_size(reqs) == 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_EMPTY,
                        "SecurityGroupPolicySet has no Ingress or Egress policy.");
    json_t *list = load_policies(ctx->store, sg_id, d ? "egress" : "ingress");
    if (!list)
        return net_store_failed(ctx);
    int64_t at = -1;
    size_t i;
    json_t *r;
    int rc = 0;
    json_array_foreach (reqs, i, r) {
        json_t *pi = json_object_get(r, "PolicyIndex");
        if (pi) {
            if (at >= 0 && json_integer_value(pi) != at) {
                rc = api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                              "All policies of one request must carry the same PolicyIndex.");
                break;
            }
            at = json_integer_value(pi);
        }
    }
    if (rc == 0 && at > (int64_t)json_array_size(list))
        rc = api_fail(ctx, E_INVALID_PARAMETER_VALUE_RANGE, "PolicyIndex %lld is beyond the %zu existing policies.",
                      (long long)at, json_array_size(list));
    if (rc == 0 && json_array_size(list) + json_array_size(reqs) > NETWORK_MAX_POLICIES_PER_DIRECTION)
        rc = api_fail(ctx, E_LIMIT_EXCEEDED_SECURITY_GROUP_POLICY_SET, "A direction holds at most %d policies.",
                      NETWORK_MAX_POLICIES_PER_DIRECTION);
    size_t pos = at >= 0 ? (size_t)at : json_array_size(list);
    json_array_foreach (reqs, i, r) {
        if (rc != 0)
            break;
        char path[96];
        snprintf(path, sizeof path, "SecurityGroupPolicySet.%s.%zu", directions[d], i);
        json_t *p = policy_from_request(ctx, r, path);
        if (!p) {
            rc = -1;
            break;
        }
        size_t j;
        json_t *e;
        json_array_foreach (list, j, e) {
            if (same_policy(e, p)) {
                rc = api_fail(ctx, E_UNSUPPORTED_OPERATION_DUPLICATE_POLICY, "%s duplicates policy %zu.", path, j);
                break;
            }
        }
        if (rc == 0)
            json_array_insert_new(list, pos++, p);
        else
            json_decref(p);
    }
    if (rc == 0 &&
        (save_policies(ctx->store, sg_id, d ? "egress" : "ingress", list) != 0 || bump_version(ctx->store, sg_id) != 0))
        rc = net_store_failed(ctx);
    json_decref(list);
    return rc;
}

json_t *sg_policy_set(struct store *s, const char *sg_id)
{
    json_t *in = load_policies(s, sg_id, "ingress"), *eg = load_policies(s, sg_id, "egress");
    struct store_stmt *q = store_query(s, "SELECT version FROM security_groups WHERE sg_id = ?", "s", sg_id);
    int ok = q && store_step(q) == 1;
    char version[24];
    snprintf(version, sizeof version, "%lld", ok ? (long long)store_int(q, 0) : 0LL);
    store_done(q);
    if (!in || !eg || !ok) {
        json_decref(in);
        json_decref(eg);
        return NULL;
    }
    size_t nin = json_array_size(in), neg = json_array_size(eg);
    return json_pack("{s:s,s:o,s:o,s:{s:I,s:I,s:I,s:I}}", "Version", version, "Egress", eg, "Ingress", in,
                     "PolicyStatistics", "IngressIPv4TotalCount", (json_int_t)nin, "IngressIPv6TotalCount",
                     (json_int_t)0, "EgressIPv4TotalCount", (json_int_t)neg, "EgressIPv6TotalCount", (json_int_t)0);
}

static const char *const policy_filters[] = {"security-group-id", "ip",   "address-module", "service-module",
                                             "protocol",          "port", "poly",           "direction",
                                             "description",       NULL};

static int describe_policies(struct api_ctx *ctx)
{
    const char *sg_id = api_str(ctx, "SecurityGroupId", "");
    int rc = sg_lookup(ctx->store, ctx->who.owner_uin, sg_id, NULL);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND, "The security group `%s` does not exist.", sg_id)
                       : net_store_failed(ctx);
    if (filters_validate(ctx, policy_filters) != 0)
        return -1;
    json_t *set = sg_policy_set(ctx->store, sg_id);
    if (!set)
        return net_store_failed(ctx);
    json_t *f_dir = filter_get(ctx, "direction"), *f_proto = filter_get(ctx, "protocol"),
           *f_port = filter_get(ctx, "port"), *f_poly = filter_get(ctx, "poly"),
           *f_desc = filter_get(ctx, "description"), *f_ip = filter_get(ctx, "ip"),
           *f_sg = filter_get(ctx, "security-group-id");
    for (int d = 0; d < 2; d++) {
        json_t *list = json_object_get(set, directions[d]);
        if (f_dir && !values_contain(f_dir, d ? "EGRESS" : "INGRESS") && !values_contain(f_dir, directions[d])) {
            json_array_clear(list);
            continue;
        }
        for (size_t i = json_array_size(list); i-- > 0;) {
            json_t *p = json_array_get(list, i);
#define FIELD(k) json_string_value(json_object_get(p, k))
            if ((f_proto && !values_contain(f_proto, FIELD("Protocol"))) ||
                (f_port && !values_contain(f_port, FIELD("Port"))) ||
                (f_poly && !values_contain(f_poly, FIELD("Action"))) ||
                (f_desc && !values_contain(f_desc, FIELD("PolicyDescription"))) ||
                (f_ip && !values_contain(f_ip, FIELD("CidrBlock"))) ||
                (f_sg && !values_contain(f_sg, FIELD("SecurityGroupId"))))
                json_array_remove(list, i);
#undef FIELD
        }
    }
    json_object_set_new(ctx->out, "SecurityGroupPolicySet", set);
    return 0;
}

static int delete_policies(struct api_ctx *ctx)
{
    const char *sg_id;
    json_t *set;
    if (policy_prologue(ctx, &sg_id, &set) != 0)
        return -1;
    int rc = 0, any = 0;
    for (int d = 0; d < 2 && rc == 0; d++) {
        json_t *reqs = json_object_get(set, directions[d]);
        if (json_array_size(reqs) == 0)
            continue;
        any = 1;
        json_t *list = load_policies(ctx->store, sg_id, d ? "egress" : "ingress");
        if (!list)
            return net_store_failed(ctx);
        size_t n = json_array_size(list);
        char *doomed = calloc(n + 1, 1);
        size_t i;
        json_t *r;
        json_array_foreach (reqs, i, r) {
            json_t *pi = json_object_get(r, "PolicyIndex");
            if (pi) {
                int64_t k = json_integer_value(pi);
                if (k < 0 || k >= (int64_t)n) {
                    rc = api_fail(ctx, E_RESOURCE_NOT_FOUND, "%s policy %lld does not exist.", directions[d],
                                  (long long)k);
                    break;
                }
                doomed[k] = 1;
                continue;
            }
            char path[96];
            snprintf(path, sizeof path, "SecurityGroupPolicySet.%s.%zu", directions[d], i);
            json_t *p = policy_from_request(ctx, r, path);
            if (!p) {
                rc = -1;
                break;
            }
            int found = 0;
            for (size_t j = 0; j < n; j++)
                if (same_policy(json_array_get(list, j), p)) {
                    doomed[j] = 1;
                    found = 1;
                }
            json_decref(p);
            if (!found) {
                rc = api_fail(ctx, E_RESOURCE_NOT_FOUND, "%s matches no policy of the group.", path);
                break;
            }
        }
        for (size_t j = n; rc == 0 && j-- > 0;)
            if (doomed[j])
                json_array_remove(list, j);
        free(doomed);
        if (rc == 0 && save_policies(ctx->store, sg_id, d ? "egress" : "ingress", list) != 0)
            rc = net_store_failed(ctx);
        json_decref(list);
    }
    if (rc == 0 && !any)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE_EMPTY,
                        "SecurityGroupPolicySet has no Ingress or Egress policy.");
    if (rc == 0 && bump_version(ctx->store, sg_id) != 0)
        rc = net_store_failed(ctx);
    return rc;
}

/* Validates a full list (no PolicyIndex allowed) into `out`. */
static int policies_from_list(struct api_ctx *ctx, json_t *reqs, int d, json_t *out)
{
    if (json_array_size(reqs) > NETWORK_MAX_POLICIES_PER_DIRECTION)
        return api_fail(ctx, E_LIMIT_EXCEEDED_SECURITY_GROUP_POLICY_SET, "A direction holds at most %d policies.",
                        NETWORK_MAX_POLICIES_PER_DIRECTION);
    size_t i;
    json_t *r;
    json_array_foreach (reqs, i, r) {
        char path[96];
        snprintf(path, sizeof path, "SecurityGroupPolicySet.%s.%zu", directions[d], i);
        if (json_object_get(r, "PolicyIndex"))
            return api_fail(ctx, E_INVALID_PARAMETER, "%s.PolicyIndex cannot be given to ModifySecurityGroupPolicies.",
                            path);
        json_t *p = policy_from_request(ctx, r, path);
        if (!p)
            return -1;
        json_array_append_new(out, p);
    }
    return 0;
}

static int modify_policies(struct api_ctx *ctx)
{
    const char *sg_id;
    json_t *set;
    if (policy_prologue(ctx, &sg_id, &set) != 0)
        return -1;
    const char *v = json_string_value(json_object_get(set, "Version"));
    int clear = v && strcmp(v, "0") == 0;
    int rc = 0;
    for (int d = 0; d < 2 && rc == 0; d++) {
        json_t *list = json_array();
        if (!clear)
            rc = policies_from_list(ctx, json_object_get(set, directions[d]), d, list);
        if (rc == 0 && save_policies(ctx->store, sg_id, d ? "egress" : "ingress", list) != 0)
            rc = net_store_failed(ctx);
        json_decref(list);
    }
    if (rc == 0 && bump_version(ctx->store, sg_id) != 0)
        rc = net_store_failed(ctx);
    return rc;
}

static int replace_policy(struct api_ctx *ctx)
{
    const char *sg_id;
    json_t *set;
    if (policy_prologue(ctx, &sg_id, &set) != 0)
        return -1;
    json_t *orig = json_object_get(ctx->params, "OriginalSecurityGroupPolicySet");
    int d = json_array_size(json_object_get(set, "Egress")) > 0;
    json_t *reqs = json_object_get(set, directions[d]);
    if (json_array_size(reqs) != 1 || json_array_size(json_object_get(set, directions[!d])) != 0)
        return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "ReplaceSecurityGroupPolicy takes exactly one policy.");
    json_t *list = load_policies(ctx->store, sg_id, d ? "egress" : "ingress");
    if (!list)
        return net_store_failed(ctx);
    int rc = 0;
    int64_t at = -1;
    json_t *r = json_array_get(reqs, 0), *pi = json_object_get(r, "PolicyIndex");
    if (pi) {
        at = json_integer_value(pi);
    } else if (json_array_size(json_object_get(orig, directions[d])) == 1) {
        json_t *o = policy_from_request(ctx, json_array_get(json_object_get(orig, directions[d]), 0),
                                        "OriginalSecurityGroupPolicySet");
        if (!o)
            rc = -1;
        for (size_t j = 0; o && j < json_array_size(list); j++)
            if (same_policy(json_array_get(list, j), o))
                at = (int64_t)j;
        json_decref(o);
    } else {
        rc = api_fail(ctx, E_INVALID_PARAMETER_VALUE,
                      "Give the policy's PolicyIndex or the original policy to replace.");
    }
    if (rc == 0 && (at < 0 || at >= (int64_t)json_array_size(list)))
        rc = api_fail(ctx, E_RESOURCE_NOT_FOUND, "The policy to replace does not exist.");
    json_t *p = rc == 0 ? policy_from_request(ctx, r, "SecurityGroupPolicySet.0") : NULL;
    if (rc == 0 && !p)
        rc = -1;
    if (rc == 0) {
        json_array_set_new(list, (size_t)at, p);
        if (save_policies(ctx->store, sg_id, d ? "egress" : "ingress", list) != 0 ||
            bump_version(ctx->store, sg_id) != 0)
            rc = net_store_failed(ctx);
    }
    json_decref(list);
    return rc;
}

/* ---- groups ---- */

#define SG_COLUMNS "sg_id, name, description, project_id, is_default, tags, created, updated"

static json_t *sg_json(struct store_stmt *q)
{
    char c[32], u[32];
    net_time_us(store_int(q, 6), c);
    net_time_us(store_int(q, 7), u);
    json_t *tags = json_loads(store_text(q, 5), 0, NULL);
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:o,s:s}", "SecurityGroupId", store_text(q, 0), "SecurityGroupName",
                     store_text(q, 1), "SecurityGroupDesc", store_text(q, 2), "ProjectId", store_text(q, 3),
                     "IsDefault", (int)store_int(q, 4), "CreatedTime", c, "TagSet", tags ? tags : json_array(),
                     "UpdateTime", u);
}

static int create_security_group(struct api_ctx *ctx)
{
    const char *project = api_str(ctx, "ProjectId", "0");
    for (const char *p = project; *p; p++)
        if (*p < '0' || *p > '9')
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "ProjectId `%s` must be a number.", project);
    struct store_stmt *c =
        store_query(ctx->store, "SELECT count(*) FROM security_groups WHERE owner_uin = ? AND region = ?", "ss",
                    ctx->who.owner_uin, ctx->region);
    int64_t n = (c && store_step(c) == 1) ? store_int(c, 0) : -1;
    store_done(c);
    if (n < 0)
        return net_store_failed(ctx);
    if (n >= NETWORK_MAX_SECURITY_GROUPS)
        return api_fail(ctx, E_LIMIT_EXCEEDED, "The account already has %d security groups in %s, the quota.",
                        NETWORK_MAX_SECURITY_GROUPS, ctx->region);
    char sg_id[24];
    if (sg_create(ctx->store, ctx->who.owner_uin, ctx->region, api_str(ctx, "GroupName", ""),
                  api_str(ctx, "GroupDescription", ""), *project ? project : "0", 0, sg_id) != 0)
        return net_store_failed(ctx);
    json_t *tags = net_tags(json_object_get(ctx->params, "Tags"));
    char *tags_s = json_dumps(tags, JSON_COMPACT);
    json_decref(tags);
    int rc = store_exec(ctx->store, "UPDATE security_groups SET tags = ?, sold_by = ? WHERE sg_id = ?", "sss",
                        tags_s ? tags_s : "[]", api_sold_by(ctx), sg_id);
    free(tags_s);
    struct store_stmt *q =
        rc == 1 ? store_query(ctx->store, "SELECT " SG_COLUMNS " FROM security_groups WHERE sg_id = ?", "s", sg_id)
                : NULL;
    if (!q || store_step(q) != 1) {
        store_done(q);
        return net_store_failed(ctx);
    }
    json_object_set_new(ctx->out, "SecurityGroup", sg_json(q));
    store_done(q);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::vpc:%s:uin/%s:sg/%s", ctx->region, ctx->who.owner_uin, sg_id);
    return 0;
}

static const char *const sg_filters[] = {"security-group-id", "project-id", "security-group-name", "tag-key", NULL};

static int describe_security_groups(struct api_ctx *ctx)
{
    int64_t offset, limit;
    if (net_paging(ctx, &offset, &limit) != 0 || filters_exclusive(ctx, "SecurityGroupIds") != 0 ||
        filters_validate(ctx, sg_filters) != 0)
        return -1;
    json_t *ids = json_object_get(ctx->params, "SecurityGroupIds");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        if (!net_valid_id(json_string_value(v), "sg-"))
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE_MALFORMED, "The id `%s` is malformed.",
                            json_string_value(v));
    }
    json_t *f_id = filter_get(ctx, "security-group-id"), *f_proj = filter_get(ctx, "project-id"),
           *f_name = filter_get(ctx, "security-group-name"), *f_tag = filter_get(ctx, "tag-key");
    int desc = strcmp(api_str(ctx, "OrderDirection", "ASC"), "DESC") == 0;
    int by_update = strcmp(api_str(ctx, "OrderField", ""), "UpdateTime") == 0;
    struct store_stmt *q;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT " SG_COLUMNS " FROM security_groups WHERE owner_uin = ? AND region = ? AND sold_by = ?"
             " ORDER BY %s%s, sg_id",
             by_update ? "updated" : "created", desc ? " DESC" : ""); /* the store caches statements by their text */
    q = store_query(ctx->store, sql, "sss", ctx->who.owner_uin, ctx->region, api_sold_by(ctx));
    if (!q)
        return net_store_failed(ctx);
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        const char *id = store_text(q, 0);
        if ((json_array_size(ids) && !values_contain(ids, id)) || (f_id && !values_contain(f_id, id)) ||
            (f_proj && !values_contain(f_proj, store_text(q, 3))) ||
            (f_name && !values_contain(f_name, store_text(q, 1))))
            continue;
        if (f_tag) {
            json_t *tags = json_loads(store_text(q, 5), 0, NULL);
            int hit = 0;
            size_t j;
            json_t *t;
            json_array_foreach (tags, j, t)
                hit |= values_contain(f_tag, json_string_value(json_object_get(t, "Key")));
            json_decref(tags);
            if (!hit)
                continue;
        }
        if (page_take(&pg))
            json_array_append_new(pg.set, sg_json(q));
    }
    store_done(q);
    if (rc < 0) {
        page_drop(&pg);
        return net_store_failed(ctx);
    }
    page_finish(ctx, &pg, "SecurityGroupSet");
    return 0;
}

static int delete_security_group(struct api_ctx *ctx)
{
    const char *sg_id = api_str(ctx, "SecurityGroupId", "");
    int rc = sg_lookup(ctx->store, ctx->who.owner_uin, sg_id, NULL);
    if (rc != 1)
        return rc == 0 ? api_fail(ctx, E_RESOURCE_NOT_FOUND, "The security group `%s` does not exist.", sg_id)
                       : net_store_failed(ctx);
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT (SELECT count(*) FROM nic_security_groups WHERE sg_id = ?),"
                    " (SELECT count(*) FROM security_group_policies WHERE peer_sg = ? AND sg_id <> ?)",
                    "sss", sg_id, sg_id, sg_id);
    if (!q || store_step(q) != 1) {
        store_done(q);
        return net_store_failed(ctx);
    }
    int64_t nics = store_int(q, 0), refs = store_int(q, 1);
    store_done(q);
    if (nics > 0)
        return api_fail(ctx, E_RESOURCE_IN_USE, "The security group `%s` is bound to %lld instance(s).", sg_id,
                        (long long)nics);
    if (refs > 0)
        return api_fail(ctx, E_RESOURCE_IN_USE,
                        "The security group `%s` is referenced by %lld policy(ies) of other groups.", sg_id,
                        (long long)refs);
    if (store_exec(ctx->store, "DELETE FROM security_group_policies WHERE sg_id = ?", "s", sg_id) < 0 ||
        store_exec(ctx->store, "DELETE FROM security_groups WHERE sg_id = ? AND owner_uin = ?", "ss", sg_id,
                   ctx->who.owner_uin) != 1)
        return net_store_failed(ctx);
    return 0;
}

/* ---- default group and NIC membership (for compute) ---- */

/* As Tencent documents for CreateDefaultSecurityGroup: the default group lets all IPv4 in and out;
 * customers narrow it (or bind their own groups) afterwards. */
int sg_add_default_policies(struct store *s, const char *sg_id)
{
    json_t *in = json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s}]", "Protocol", "ALL", "Port", "ALL", "CidrBlock", "0.0.0.0/0",
                           "SecurityGroupId", "", "Action", "ACCEPT", "PolicyDescription", "all IPv4 ingress");
    json_t *eg = json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s}]", "Protocol", "ALL", "Port", "ALL", "CidrBlock", "0.0.0.0/0",
                           "SecurityGroupId", "", "Action", "ACCEPT", "PolicyDescription", "all egress");
    int rc = (in && eg && save_policies(s, sg_id, "ingress", in) == 0 && save_policies(s, sg_id, "egress", eg) == 0)
                 ? 0
                 : -1;
    json_decref(in);
    json_decref(eg);
    return rc;
}

int network_default_security_group(struct store *s, const char *owner_uin, const char *region, char sg_id[24])
{
    struct store_stmt *q =
        store_query(s, "SELECT sg_id FROM security_groups WHERE owner_uin = ? AND region = ? AND is_default = 1", "ss",
                    owner_uin, region);
    if (!q)
        return -1;
    int rc = store_step(q);
    if (rc == 1)
        snprintf(sg_id, 24, "%s", store_text(q, 0));
    store_done(q);
    if (rc != 0)
        return rc == 1 ? 0 : -1;
    if (sg_create(s, owner_uin, region, "default", "System created security group", "0", 1, sg_id) != 0)
        return -1;
    return sg_add_default_policies(s, sg_id);
}

int network_set_nic_security_groups(struct store *s, const char *owner_uin, const char *instance_id,
                                    const char *const *sg_ids, int n, char *code, size_t codelen)
{
    for (int i = 0; i < n; i++) {
        int rc = sg_lookup(s, owner_uin, sg_ids[i], NULL);
        if (rc != 1) {
            snprintf(code, codelen, "%s", rc == 0 ? E_INVALID_SECURITY_GROUP_ID_NOT_FOUND : E_INTERNAL_ERROR);
            return -1;
        }
    }
    if (store_exec(s, "DELETE FROM nic_security_groups WHERE instance_id = ? AND owner_uin = ?", "ss", instance_id,
                   owner_uin) < 0)
        goto fail;
    for (int i = 0; i < n; i++)
        if (store_exec(s,
                       "INSERT INTO nic_security_groups (instance_id, sg_id, owner_uin, position) VALUES (?, ?, ?, ?)"
                       " ON CONFLICT (instance_id, sg_id) DO NOTHING",
                       "sssi", instance_id, sg_ids[i], owner_uin, (int64_t)i) < 0)
            goto fail;
    return 0;
fail:
    snprintf(code, codelen, E_INTERNAL_ERROR);
    return -1;
}

/* ---- the action table ---- */

static const struct param p_template_svc[] = {P_STR("ServiceId", 0, 0, 64), P_STR("ServiceGroupId", 0, 0, 64), P_END};
static const struct param p_template_addr[] = {P_STR("AddressId", 0, 0, 64), P_STR("AddressGroupId", 0, 0, 64), P_END};
static const struct param p_policy[] = {P_INT("PolicyIndex", 0, 0, 1000),
                                        P_STR("Protocol", 0, 0, 16),
                                        P_STR("Port", 0, 0, 512),
                                        P_OBJ("ServiceTemplate", 0, p_template_svc),
                                        P_STR("CidrBlock", 0, 0, 64),
                                        P_STR("Ipv6CidrBlock", 0, 0, 64),
                                        P_STR("SecurityGroupId", 0, 0, 64),
                                        P_OBJ("AddressTemplate", 0, p_template_addr),
                                        P_STR("Action", 0, 0, 16),
                                        P_STR("PolicyDescription", 0, 0, 100),
                                        P_STR("ModifyTime", 0, 0, 32),
                                        P_INT("Priority", 0, 0, 1000),
                                        P_END};
static const struct param p_stats[] = {P_INT("IngressIPv4TotalCount", 0, 0, 0), P_INT("IngressIPv6TotalCount", 0, 0, 0),
                                       P_INT("EgressIPv4TotalCount", 0, 0, 0), P_INT("EgressIPv6TotalCount", 0, 0, 0),
                                       P_END};
static const struct param p_policy_set[] = {P_STR("Version", 0, 0, 24), P_OBJS("Egress", 0, 100, p_policy),
                                            P_OBJS("Ingress", 0, 100, p_policy), P_OBJ("PolicyStatistics", 0, p_stats),
                                            P_END};
static const struct param p_create_sg[] = {P_STR("GroupName", P_REQUIRED, 1, 60),
                                           P_STR("GroupDescription", P_REQUIRED, 0, 100), P_STR("ProjectId", 0, 0, 20),
                                           P_OBJS("Tags", 0, 50, tag_fields_optional_value), P_END};
static const char *const order_fields[] = {"CreatedTime", "UpdateTime", NULL};
static const char *const order_dirs[] = {"ASC", "DESC", NULL};
static const struct param p_describe_sgs[] = {P_STRS("SecurityGroupIds", 0, 100, 64),
                                              P_FILTERS_WIDE,
                                              P_STR("Offset", P_NUMSTR, 0, 12),
                                              P_STR("Limit", P_NUMSTR, 0, 12),
                                              P_ENUM("OrderField", 0, order_fields),
                                              P_ENUM("OrderDirection", 0, order_dirs),
                                              P_END};
static const struct param p_sg_id[] = {P_STR("SecurityGroupId", P_REQUIRED, 1, 64), P_END};
static const struct param p_policies[] = {P_STR("SecurityGroupId", P_REQUIRED, 1, 64),
                                          P_OBJ("SecurityGroupPolicySet", P_REQUIRED, p_policy_set), P_END};
static const struct param p_modify_policies[] = {P_STR("SecurityGroupId", P_REQUIRED, 1, 64),
                                                 P_OBJ("SecurityGroupPolicySet", P_REQUIRED, p_policy_set),
                                                 P_BOOL("SortPolicys", 0), P_END};
static const struct param p_replace_policy[] = {P_STR("SecurityGroupId", P_REQUIRED, 1, 64),
                                                P_OBJ("SecurityGroupPolicySet", P_REQUIRED, p_policy_set),
                                                P_OBJ("OriginalSecurityGroupPolicySet", 0, p_policy_set), P_END};
static const struct param p_describe_policies[] = {P_STR("SecurityGroupId", P_REQUIRED, 1, 64), P_FILTERS_WIDE, P_END};

#define SGR "sg/${SecurityGroupId}"
/* A rule may name another group as its source or destination: that group is touched too. */
#define SG_PEERS                                                                                                       \
    TOUCHES("vpc:sg/${SecurityGroupPolicySet.Ingress.SecurityGroupId}",                                                \
            "vpc:sg/${SecurityGroupPolicySet.Egress.SecurityGroupId}")
const struct action security_group_actions[] = {
    {"vpc", VPC_VERSION, "CreateSecurityGroup", create_security_group, p_create_sg, A_MUTATES | A_REGIONAL, "sg/*",
     NULL},
    {"vpc", VPC_VERSION, "DescribeSecurityGroups", describe_security_groups, p_describe_sgs, A_REGIONAL,
     "sg/${SecurityGroupIds|*}", NULL},
    {"vpc", VPC_VERSION, "DeleteSecurityGroup", delete_security_group, p_sg_id, A_MUTATES | A_REGIONAL, SGR, NULL},
    {"vpc", VPC_VERSION, "CreateSecurityGroupPolicies", create_policies, p_policies, A_MUTATES | A_REGIONAL, SGR, NULL,
     SG_PEERS},
    {"vpc", VPC_VERSION, "DescribeSecurityGroupPolicies", describe_policies, p_describe_policies, A_REGIONAL, SGR,
     NULL},
    {"vpc", VPC_VERSION, "DeleteSecurityGroupPolicies", delete_policies, p_policies, A_MUTATES | A_REGIONAL, SGR, NULL},
    {"vpc", VPC_VERSION, "ModifySecurityGroupPolicies", modify_policies, p_modify_policies, A_MUTATES | A_REGIONAL, SGR,
     NULL, SG_PEERS},
    {"vpc", VPC_VERSION, "ReplaceSecurityGroupPolicy", replace_policy, p_replace_policy, A_MUTATES | A_REGIONAL, SGR,
     NULL, SG_PEERS},
};
const int security_group_action_count = sizeof security_group_actions / sizeof security_group_actions[0];
