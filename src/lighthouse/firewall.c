/*
 * firewall: CreateFirewallRules, DescribeFirewallRules, DeleteFirewallRules, ModifyFirewallRules.
 * An instance's firewall is the ingress side of its own security group (made with it, deleted
 * with it): rules are that group's ingress policies, FirewallVersion is the group's policy
 * version, and vpc applies them to the guest's NIC the way it applies any group. The egress side
 * stays "everything", as lighthouse has no outbound rules.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/codes.h"
#include "lighthouse/lighthouse_int.h"

#define LH_MAX_FIREWALL_RULES 100

json_t *lh_default_ingress(void)
{
    return json_pack("[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s},"
                     "{s:s,s:s,s:s,s:s,s:s}]",
                     "Protocol", "TCP", "Port", "22", "CidrBlock", "0.0.0.0/0", "Action", "ACCEPT", "PolicyDescription",
                     "Linux SSH", "Protocol", "TCP", "Port", "80", "CidrBlock", "0.0.0.0/0", "Action", "ACCEPT",
                     "PolicyDescription", "HTTP", "Protocol", "TCP", "Port", "443", "CidrBlock", "0.0.0.0/0", "Action",
                     "ACCEPT", "PolicyDescription", "HTTPS", "Protocol", "TCP", "Port", "3389", "CidrBlock",
                     "0.0.0.0/0", "Action", "ACCEPT", "PolicyDescription", "Windows RDP", "Protocol", "ICMP", "Port",
                     "ALL", "CidrBlock", "0.0.0.0/0", "Action", "ACCEPT", "PolicyDescription", "ping");
}

static const char *text(json_t *o, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && *v ? v : dflt;
}

/* A requested FirewallRule as a vpc policy (Port ALL and CidrBlock 0.0.0.0/0 when absent). */
static json_t *rule_policy(struct api_ctx *ctx, json_t *r)
{
    if (text(r, "Ipv6CidrBlock", NULL)) {
        api_fail(ctx, E_UNSUPPORTED_OPERATION, "IPv6 firewall rules are not supported here.");
        return NULL;
    }
    const char *desc = text(r, "FirewallRuleDescription", "");
    if (strlen(desc) > 64) {
        api_fail(ctx, E_LH_FIREWALL_DESC_TOO_LONG, "FirewallRuleDescription is at most 64 characters.");
        return NULL;
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "Protocol", text(r, "Protocol", ""), "Port", text(r, "Port", "ALL"),
                     "CidrBlock", text(r, "CidrBlock", "0.0.0.0/0"), "Action", text(r, "Action", "ACCEPT"),
                     "PolicyDescription", desc);
}

static int same_rule(json_t *a, json_t *b)
{
    static const char *const keys[] = {"Protocol", "Port", "CidrBlock", "Action"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcasecmp(text(a, keys[i], ""), text(b, keys[i], "")))
            return 0;
    return 1;
}

static const char *app_type(json_t *p)
{
    const char *proto = text(p, "Protocol", ""), *port = text(p, "Port", "");
    if (!strcasecmp(proto, "ICMP"))
        return "Ping";
    if (!strcasecmp(proto, "TCP") && !strcmp(port, "22"))
        return "Linux登录(22)";
    if (!strcasecmp(proto, "TCP") && !strcmp(port, "3389"))
        return "Windows登录(3389)";
    if (!strcasecmp(proto, "TCP") && !strcmp(port, "80"))
        return "HTTP(80)";
    if (!strcasecmp(proto, "TCP") && !strcmp(port, "443"))
        return "HTTPS(443)";
    if (!strcasecmp(proto, "ALL"))
        return "ALL";
    return "自定义";
}

/* The group's policies: Ingress and Egress (new references) and its version. */
static int load_group(struct api_ctx *ctx, const struct lh_instance *in, json_t **ingress, json_t **egress,
                      int64_t *version)
{
    json_t *out = NULL, *p = json_pack("{s:s}", "SecurityGroupId", in->sg_id);
    int rc = lh_call(ctx, "vpc", "DescribeSecurityGroupPolicies", p, &out);
    json_decref(p);
    if (rc)
        return -1;
    json_t *set = json_object_get(out, "SecurityGroupPolicySet");
    *ingress = json_deep_copy(json_object_get(set, "Ingress"));
    *egress = json_deep_copy(json_object_get(set, "Egress"));
    if (!*ingress)
        *ingress = json_array();
    if (!*egress)
        *egress = json_array();
    /* keep only what ModifySecurityGroupPolicies takes back */
    json_t *lists[2] = {*ingress, *egress};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *v;
        json_array_foreach (lists[k], i, v) {
            json_object_del(v, "PolicyIndex");
            json_object_del(v, "ModifyTime");
            json_object_del(v, "ServiceTemplate");
            json_object_del(v, "AddressTemplate");
            json_object_del(v, "Ipv6CidrBlock");
            const char *peer = json_string_value(json_object_get(v, "SecurityGroupId"));
            if (peer && !*peer)
                json_object_del(v, "SecurityGroupId");
        }
    }
    const char *ver = json_string_value(json_object_get(set, "Version"));
    *version = ver ? strtoll(ver, NULL, 10) : 0;
    json_decref(out);
    return 0;
}

static int prologue(struct api_ctx *ctx, struct lh_instance *in, json_t **ingress, json_t **egress, json_t **rules)
{
    if (lh_instance_of(ctx, api_str(ctx, "InstanceId", ""), in) != 1)
        return -1;
    int64_t version;
    if (load_group(ctx, in, ingress, egress, &version) != 0)
        return -1;
    if (api_has(ctx, "FirewallVersion") && api_int(ctx, "FirewallVersion", 0) != version) {
        json_decref(*ingress);
        json_decref(*egress);
        return api_fail(ctx, E_LH_FIREWALL_VERSION_MISMATCH,
                        "FirewallVersion %lld is not the firewall's current version %lld.",
                        (long long)api_int(ctx, "FirewallVersion", 0), (long long)version);
    }
    *rules = json_array();
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get(ctx->params, "FirewallRules"), i, r) {
        json_t *p = rule_policy(ctx, r);
        if (!p) {
            json_decref(*rules);
            json_decref(*ingress);
            json_decref(*egress);
            return -1;
        }
        size_t j;
        json_t *q;
        json_array_foreach (*rules, j, q)
            if (same_rule(p, q)) {
                json_decref(p);
                json_decref(*rules);
                json_decref(*ingress);
                json_decref(*egress);
                return api_fail(ctx, E_LH_FIREWALL_RULES_DUPLICATED, "FirewallRules.%zu repeats another rule.", i);
            }
        json_array_append_new(*rules, p);
    }
    return 0;
}

/* Replaces the group's policies: ingress as given, egress kept. */
static int save_group(struct api_ctx *ctx, const struct lh_instance *in, json_t *ingress, json_t *egress)
{
    if (json_array_size(ingress) > LH_MAX_FIREWALL_RULES)
        return api_fail(ctx, E_LH_FIREWALL_RULES_LIMIT, "A firewall holds at most %d rules.", LH_MAX_FIREWALL_RULES);
    json_t *p = json_pack("{s:s,s:{s:O,s:O}}", "SecurityGroupId", in->sg_id, "SecurityGroupPolicySet", "Ingress",
                          ingress, "Egress", egress);
    int rc = lh_call(ctx, "vpc", "ModifySecurityGroupPolicies", p, NULL);
    json_decref(p);
    if (rc == 0)
        snprintf(ctx->resource, sizeof ctx->resource, "qcs::lighthouse:%s:uin/%s:instance/%s", ctx->region,
                 ctx->who.owner_uin, in->id);
    return rc;
}

int lh_firewall_allow_app(struct api_ctx *ctx, const struct lh_instance *in, int64_t port)
{
    json_t *ingress, *egress;
    int64_t version;
    if (port <= 0 || load_group(ctx, in, &ingress, &egress, &version) != 0)
        return port <= 0 ? 0 : -1;
    char text_port[24];
    snprintf(text_port, sizeof text_port, "%lld", (long long)port);
    json_t *rule = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Protocol", "TCP", "Port", text_port, "CidrBlock", "0.0.0.0/0",
                             "Action", "ACCEPT", "PolicyDescription", "application");
    int have = 0, rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach (ingress, i, v)
        have |= same_rule(v, rule);
    if (!have) {
        json_array_append(ingress, rule);
        rc = save_group(ctx, in, ingress, egress);
    }
    json_decref(rule);
    json_decref(ingress);
    json_decref(egress);
    return rc;
}

static int describe_firewall_rules(struct api_ctx *ctx)
{
    struct lh_instance in;
    if (lh_instance_of(ctx, api_str(ctx, "InstanceId", ""), &in) != 1)
        return -1;
    json_t *ingress, *egress;
    int64_t version;
    if (load_group(ctx, &in, &ingress, &egress, &version) != 0)
        return -1;
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    json_t *set = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (ingress, i, v)
        if ((int64_t)i >= offset && (int64_t)i < offset + limit)
            json_array_append_new(set, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "AppType", app_type(v), "Protocol",
                                                 text(v, "Protocol", ""), "Port", text(v, "Port", "ALL"), "CidrBlock",
                                                 text(v, "CidrBlock", ""), "Ipv6CidrBlock", "", "Action",
                                                 text(v, "Action", "ACCEPT"), "FirewallRuleDescription",
                                                 text(v, "PolicyDescription", "")));
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(ingress)));
    json_object_set_new(ctx->out, "FirewallRuleSet", set);
    json_object_set_new(ctx->out, "FirewallVersion", json_integer(version));
    json_decref(ingress);
    json_decref(egress);
    return 0;
}

static int create_firewall_rules(struct api_ctx *ctx)
{
    struct lh_instance in;
    json_t *ingress, *egress, *rules;
    if (prologue(ctx, &in, &ingress, &egress, &rules) != 0)
        return -1;
    int rc = 0;
    size_t i, j;
    json_t *r, *have;
    json_array_foreach (rules, i, r) {
        json_array_foreach (ingress, j, have)
            if (same_rule(r, have)) {
                rc = api_fail(ctx, E_LH_FIREWALL_RULES_EXIST, "FirewallRules.%zu is already a rule of `%s`.", i, in.id);
                break;
            }
        if (rc)
            break;
    }
    if (rc == 0) {
        json_array_extend(ingress, rules);
        rc = save_group(ctx, &in, ingress, egress);
    }
    json_decref(rules);
    json_decref(ingress);
    json_decref(egress);
    return rc;
}

static int delete_firewall_rules(struct api_ctx *ctx)
{
    struct lh_instance in;
    json_t *ingress, *egress, *rules;
    if (prologue(ctx, &in, &ingress, &egress, &rules) != 0)
        return -1;
    int rc = 0;
    size_t i;
    json_t *r;
    json_array_foreach (rules, i, r) {
        size_t n = json_array_size(ingress), k;
        for (k = 0; k < n && !same_rule(r, json_array_get(ingress, k)); k++)
            ;
        if (k == n) {
            rc = api_fail(ctx, E_LH_FIREWALL_RULES_NOT_FOUND, "FirewallRules.%zu is not a rule of `%s`.", i, in.id);
            break;
        }
        json_array_remove(ingress, k);
    }
    if (rc == 0)
        rc = save_group(ctx, &in, ingress, egress);
    json_decref(rules);
    json_decref(ingress);
    json_decref(egress);
    return rc;
}

static int modify_firewall_rules(struct api_ctx *ctx)
{
    struct lh_instance in;
    json_t *ingress, *egress, *rules;
    if (prologue(ctx, &in, &ingress, &egress, &rules) != 0)
        return -1;
    int rc = save_group(ctx, &in, rules, egress); /* the rules given are the whole firewall */
    json_decref(rules);
    json_decref(ingress);
    json_decref(egress);
    return rc;
}

static const struct param p_rule[] = {P_STR("Protocol", P_REQUIRED, 1, 16),
                                      P_STR("Port", 0, 0, 512),
                                      P_STR("CidrBlock", 0, 0, 64),
                                      P_STR("Ipv6CidrBlock", 0, 0, 64),
                                      P_STR("Action", 0, 0, 16),
                                      P_STR("FirewallRuleDescription", 0, 0, 256),
                                      P_END};
static const struct param p_rules[] = {P_STR("InstanceId", P_REQUIRED, 1, 64),
                                       P_OBJS("FirewallRules", P_REQUIRED, LH_MAX_FIREWALL_RULES, p_rule),
                                       P_INT("FirewallVersion", 0, 0, INT64_MAX), P_END};
static const struct param p_describe[] = {P_STR("InstanceId", P_REQUIRED, 1, 64), P_INT("Offset", 0, 0, INT32_MAX),
                                          P_INT("Limit", 0, 1, 100), P_END};

static const struct action firewall_actions[] = {
    {"lighthouse", LIGHTHOUSE, "DescribeFirewallRules", describe_firewall_rules, p_describe, A_REGIONAL,
     "instance/${InstanceId}"},
    {"lighthouse", LIGHTHOUSE, "CreateFirewallRules", create_firewall_rules, p_rules, A_MUTATES | A_REGIONAL,
     "instance/${InstanceId}"},
    {"lighthouse", LIGHTHOUSE, "DeleteFirewallRules", delete_firewall_rules, p_rules, A_MUTATES | A_REGIONAL,
     "instance/${InstanceId}"},
    {"lighthouse", LIGHTHOUSE, "ModifyFirewallRules", modify_firewall_rules, p_rules, A_MUTATES | A_REGIONAL,
     "instance/${InstanceId}"},
};

void lh_firewall_register(void)
{
    api_register(firewall_actions, sizeof firewall_actions / sizeof firewall_actions[0]);
}
