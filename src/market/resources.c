/*
 * resources: what each template resource type does, through the other services' own actions.
 * Every call runs through api_handle with the deployment owner's root identity, as the console's
 * calls do (src/console/call.c): the same schema, handlers, transactions, quotas, billing and
 * audit as the customer's own request, so market never writes another service's tables and a
 * deployment can make nothing the customer could not make by hand.
 *
 * Each function is one idempotent step of the controller: create answers 0 when the resource is
 * made (cloud_id and attrs filled in), ready 0 when it can be used (an instance RUNNING, and when
 * its role asks "ready": "guest", reported ready by the guest through the metadata service),
 * delete 0 when it is gone; 1 means "not yet, ask again"; -1 failed with a Tencent code and
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/states.h"
#include "market/market_int.h"
#include "network/network.h"

#define VPC_V "2017-03-12"
#define CVM_V "2017-03-12"
#define CBS_V "2017-03-12"

static const char *no_header(void *hctx, const char *name)
{
    (void)hctx;
    (void)name;
    return NULL;
}

/* The Response of service:action with params (consumed), or NULL with c->code/msg. */
static json_t *call(struct call_ctx *c, const char *service, const char *version, const char *action, json_t *params)
{
    struct principal who;
    memset(&who, 0, sizeof who);
    snprintf(who.owner_uin, sizeof who.owner_uin, "%s", c->owner);
    snprintf(who.user_uin, sizeof who.user_uin, "%s", c->owner);
    snprintf(who.secret_id, sizeof who.secret_id, "market");
    who.is_root = 1;
    char *body = json_dumps(params, JSON_COMPACT);
    json_decref(params);
    struct api_http h = {.method = "POST",
                         .raw_query = "",
                         .source_ip = "market",
                         .header = no_header,
                         .body = body ? body : "{}",
                         .body_len = body ? strlen(body) : 2,
                         .session = &who,
                         .service = service,
                         .action = action,
                         .version = version,
                         .region = c->region};
    char *answer = api_handle(c->cfg, &h);
    free(body);
    json_t *env = answer ? json_loads(answer, 0, NULL) : NULL;
    free(answer);
    json_t *resp = json_incref(json_object_get(env, "Response"));
    json_decref(env);
    json_t *err = json_object_get(resp, "Error");
    if (!resp || err) {
        snprintf(c->code, sizeof c->code, "%s", json_string_value(json_object_get(err, "Code")) ?: E_INTERNAL_ERROR);
        snprintf(c->msg, sizeof c->msg, "%s %s: %s", service, action,
                 json_string_value(json_object_get(err, "Message")) ?: "no answer");
        json_decref(resp);
        return NULL;
    }
    return resp;
}

static const char *str(json_t *props, const char *k, const char *dflt)
{
    const char *v = json_string_value(json_object_get(props, k));
    return v ? v : dflt;
}

static void step_name(const struct step *st, char *out, size_t len)
{
    snprintf(out, len, "%.40s-%.60s-%lld", st->deployment_id, st->resource, (long long)st->member);
}

static int create_vpc(struct call_ctx *c, struct step *st, json_t *p)
{
    char name[128];
    step_name(st, name, sizeof name);
    json_t *r = call(c, "vpc", VPC_V, "CreateVpc",
                     json_pack("{s:s,s:s}", "VpcName", str(p, "name", name), "CidrBlock", str(p, "cidr", "")));
    if (!r)
        return -1;
    snprintf(st->cloud_id, sizeof st->cloud_id, "%s",
             json_string_value(json_object_get(json_object_get(r, "Vpc"), "VpcId")) ?: "");
    json_object_set_new(st->attrs, "id", json_string(st->cloud_id));
    json_object_set_new(st->attrs, "cidr", json_string(str(p, "cidr", "")));
    json_decref(r);
    return 0;
}

static int create_subnet(struct call_ctx *c, struct step *st, json_t *p, const struct deployment *d)
{
    char name[128];
    step_name(st, name, sizeof name);
    json_t *r = call(c, "vpc", VPC_V, "CreateSubnet",
                     json_pack("{s:s,s:s,s:s,s:s}", "VpcId", str(p, "vpc", ""), "SubnetName", str(p, "name", name),
                               "CidrBlock", str(p, "cidr", ""), "Zone", str(p, "zone", d->zone)));
    if (!r)
        return -1;
    snprintf(st->cloud_id, sizeof st->cloud_id, "%s",
             json_string_value(json_object_get(json_object_get(r, "Subnet"), "SubnetId")) ?: "");
    json_object_set_new(st->attrs, "id", json_string(st->cloud_id));
    json_object_set_new(st->attrs, "cidr", json_string(str(p, "cidr", "")));
    json_object_set_new(st->attrs, "vpc", json_string(str(p, "vpc", "")));
    json_decref(r);
    return 0;
}

/* Template rules {protocol, port, cidr, action} as the SDK's SecurityGroupPolicy list. */
static json_t *policies(json_t *rules)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach (rules, i, r) {
        json_t *p = json_pack("{s:s,s:s,s:s}", "Protocol", str(r, "protocol", "ALL"), "CidrBlock",
                              str(r, "cidr", "0.0.0.0/0"), "Action", str(r, "action", "ACCEPT"));
        json_t *port = json_object_get(r, "port");
        if (json_is_integer(port)) {
            char buf[16];
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(port));
            json_object_set_new(p, "Port", json_string(buf));
        } else if (json_is_string(port)) {
            json_object_set(p, "Port", port);
        }
        json_array_append_new(out, p);
    }
    return out;
}

static int create_security_group(struct call_ctx *c, struct step *st, json_t *p)
{
    char name[128];
    step_name(st, name, sizeof name);
    if (!st->cloud_id[0]) {
        json_t *r = call(c, "vpc", VPC_V, "CreateSecurityGroup",
                         json_pack("{s:s,s:s}", "GroupName", str(p, "name", name), "GroupDescription", name));
        if (!r)
            return -1;
        snprintf(st->cloud_id, sizeof st->cloud_id, "%s",
                 json_string_value(json_object_get(json_object_get(r, "SecurityGroup"), "SecurityGroupId")) ?: "");
        json_object_set_new(st->attrs, "id", json_string(st->cloud_id));
        json_decref(r);
    }
    /* one request per direction, like the real API; egress open unless the template says */
    json_t *egress = json_object_get(p, "egress");
    json_t *dirs[2][2] = {{json_string("Ingress"), policies(json_object_get(p, "ingress"))},
                          {json_string("Egress"), egress ? policies(egress)
                                                         : json_pack("[{s:s,s:s,s:s}]", "Protocol", "ALL", "CidrBlock",
                                                                     "0.0.0.0/0", "Action", "ACCEPT")}};
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        if (rc == 0 && json_array_size(dirs[i][1])) {
            json_t *set = json_object();
            json_object_set(set, json_string_value(dirs[i][0]), dirs[i][1]);
            json_t *r = call(c, "vpc", VPC_V, "CreateSecurityGroupPolicies",
                             json_pack("{s:s,s:o}", "SecurityGroupId", st->cloud_id, "SecurityGroupPolicySet", set));
            if (!r)
                rc = -1;
            json_decref(r);
        }
        json_decref(dirs[i][0]);
        json_decref(dirs[i][1]);
    }
    return rc;
}

static int create_instance(struct call_ctx *c, struct step *st, json_t *p, const struct deployment *d)
{
    char name[128], token[80];
    step_name(st, name, sizeof name);
    snprintf(token, sizeof token, "%s.%lld", st->deployment_id, (long long)st->seq); /* RunInstances is idempotent */
    const char *image = str(p, "image", "");
    char builtin[20];
    struct store *s = store_thread();
    if (!*image && s && catalog_builtin_id(s, "tiny", builtin) == STORE_FOUND)
        image = builtin;
    json_t *req =
        json_pack("{s:{s:s},s:s,s:s,s:s,s:s}", "Placement", "Zone", d->zone, "ImageId", image, "InstanceType",
                  str(p, "instance_type", "S5.SMALL1"), "InstanceName", str(p, "name", name), "ClientToken", token);
    const char *subnet = str(p, "subnet", NULL);
    if (subnet) {
        char vpc[24], zone[64], cidr[20];
        if (!s || network_subnet_info(s, c->owner, subnet, vpc, zone, cidr) != 1) {
            json_decref(req);
            snprintf(c->code, sizeof c->code, "%s", E_INVALID_PARAMETER_VALUE_SUBNET_NOT_EXIST);
            snprintf(c->msg, sizeof c->msg, "Subnet %s of the deployment is not found.", subnet);
            return -1;
        }
        json_object_set_new(req, "VirtualPrivateCloud", json_pack("{s:s,s:s}", "VpcId", vpc, "SubnetId", subnet));
        json_object_set_new(json_object_get(req, "Placement"), "Zone", json_string(zone));
    }
    json_t *sgs = json_object_get(p, "security_groups");
    if (json_array_size(sgs))
        json_object_set(req, "SecurityGroupIds", sgs);
    json_t *keys = json_object_get(p, "key_ids");
    if (json_is_string(keys) && *json_string_value(keys))
        json_object_set_new(req, "LoginSettings", json_pack("{s:[O]}", "KeyIds", keys));
    else if (json_array_size(keys))
        json_object_set_new(req, "LoginSettings", json_pack("{s:O}", "KeyIds", keys));
    else if (json_object_get(p, "password"))
        json_object_set_new(req, "LoginSettings", json_pack("{s:O}", "Password", json_object_get(p, "password")));
    if (json_is_string(json_object_get(p, "user_data")))
        json_object_set(req, "UserData", json_object_get(p, "user_data"));
    json_t *r = call(c, "cvm", CVM_V, "RunInstances", req);
    if (!r)
        return -1;
    snprintf(st->cloud_id, sizeof st->cloud_id, "%s",
             json_string_value(json_array_get(json_object_get(r, "InstanceIdSet"), 0)) ?: "");
    json_object_set_new(st->attrs, "id", json_string(st->cloud_id));
    json_decref(r);
    return 0;
}

static int create_disk(struct call_ctx *c, struct step *st, json_t *p, const struct deployment *d)
{
    char name[128];
    step_name(st, name, sizeof name);
    if (!st->cloud_id[0]) {
        json_t *size = json_object_get(p, "size");
        json_t *r = call(c, "cbs", CBS_V, "CreateDisks",
                         json_pack("{s:{s:s},s:s,s:s,s:I,s:s}", "Placement", "Zone", d->zone, "DiskChargeType",
                                   "POSTPAID_BY_HOUR", "DiskType", str(p, "disk_type", "CLOUD_PREMIUM"), "DiskSize",
                                   (json_int_t)json_integer_value(size), "DiskName", str(p, "name", name)));
        if (!r)
            return -1;
        snprintf(st->cloud_id, sizeof st->cloud_id, "%s",
                 json_string_value(json_array_get(json_object_get(r, "DiskIdSet"), 0)) ?: "");
        json_object_set_new(st->attrs, "id", json_string(st->cloud_id));
        json_decref(r);
    }
    return 0;
}

static int create_eip(struct call_ctx *c, struct step *st, json_t *p)
{
    (void)p;
    json_t *r = call(c, "vpc", VPC_V, "AllocateAddresses", json_pack("{s:i}", "AddressCount", 1));
    if (!r)
        return -1;
    snprintf(st->cloud_id, sizeof st->cloud_id, "%s",
             json_string_value(json_array_get(json_object_get(r, "AddressSet"), 0)) ?: "");
    json_object_set_new(st->attrs, "id", json_string(st->cloud_id));
    json_decref(r);
    return 0;
}

int resource_create(struct call_ctx *c, struct step *st, json_t *props, const struct deployment *d)
{
    if (!strcmp(st->type, "vpc"))
        return create_vpc(c, st, props);
    if (!strcmp(st->type, "subnet"))
        return create_subnet(c, st, props, d);
    if (!strcmp(st->type, "security_group"))
        return create_security_group(c, st, props);
    if (!strcmp(st->type, "instance"))
        return create_instance(c, st, props, d);
    if (!strcmp(st->type, "disk"))
        return create_disk(c, st, props, d);
    if (!strcmp(st->type, "eip"))
        return create_eip(c, st, props);
    snprintf(c->code, sizeof c->code, "%s", E_INVALID_PARAMETER);
    snprintf(c->msg, sizeof c->msg, "Unknown resource type `%s`.", st->type);
    return -1;
}

static json_t *describe_instance(struct call_ctx *c, const char *id)
{
    json_t *r = call(c, "cvm", CVM_V, "DescribeInstances", json_pack("{s:[s]}", "InstanceIds", id));
    json_t *inst = json_incref(json_array_get(json_object_get(r, "InstanceSet"), 0));
    json_decref(r);
    return inst;
}

/* A disk or EIP that names an instance is attached/associated once that instance runs. */
static int attach(struct call_ctx *c, struct step *st, json_t *props)
{
    const char *inst = str(props, "instance", NULL);
    if (!inst || json_object_get(st->attrs, "attached"))
        return 0;
    json_t *r =
        !strcmp(st->type, "disk")
            ? call(c, "cbs", CBS_V, "AttachDisks",
                   json_pack("{s:s,s:[s],s:b}", "InstanceId", inst, "DiskIds", st->cloud_id, "DeleteWithInstance", 0))
            : call(c, "vpc", VPC_V, "AssociateAddress",
                   json_pack("{s:s,s:s}", "AddressId", st->cloud_id, "InstanceId", inst));
    if (!r)
        return -1;
    json_decref(r);
    json_object_set_new(st->attrs, "attached", json_string(inst));
    return 0;
}

int resource_ready(struct call_ctx *c, struct step *st, json_t *props)
{
    if (!strcmp(st->type, "instance")) {
        json_t *inst = describe_instance(c, st->cloud_id);
        if (!inst)
            return 1; /* not listed yet */
        const char *state = json_string_value(json_object_get(inst, "InstanceState")) ?: "";
        json_t *ip = json_array_get(json_object_get(inst, "PrivateIpAddresses"), 0);
        if (ip && !json_object_get(st->attrs, "private_ip"))
            json_object_set(st->attrs, "private_ip", ip);
        int rc = !strcmp(state, INSTANCE_RUNNING) ? 0 : 1;
        if (!strcmp(state, INSTANCE_LAUNCH_FAILED) || !strcmp(state, INSTANCE_TERMINATED)) {
            snprintf(c->code, sizeof c->code, "%s", E_RESOURCE_INSUFFICIENT);
            snprintf(c->msg, sizeof c->msg, "Instance %s did not launch (%s): %s", st->cloud_id, state,
                     json_string_value(json_object_get(inst, "LatestOperationErrorMsg")) ?: "no reason given");
            rc = -1;
        }
        json_decref(inst);
        if (rc == 0 && !strcmp(str(props, "ready", "running"), "guest")) {
            struct store *s = store_thread();
            int r = s ? mstore_ready(s, st->cloud_id) : -1;
            rc = r == 1 ? 0 : r < 0 ? -1 : 1;
        }
        return rc;
    }
    if (!strcmp(st->type, "disk") || !strcmp(st->type, "eip")) {
        if (!strcmp(st->type, "eip") && !json_object_get(st->attrs, "public_ip")) {
            json_t *r = call(c, "vpc", VPC_V, "DescribeAddresses", json_pack("{s:[s]}", "AddressIds", st->cloud_id));
            json_t *ip = json_object_get(json_array_get(json_object_get(r, "AddressSet"), 0), "AddressIp");
            if (ip)
                json_object_set(st->attrs, "public_ip", ip);
            json_decref(r);
        }
        if (!strcmp(st->type, "disk")) { /* attachable once UNATTACHED */
            json_t *r = call(c, "cbs", CBS_V, "DescribeDisks", json_pack("{s:[s]}", "DiskIds", st->cloud_id));
            const char *state =
                json_string_value(json_object_get(json_array_get(json_object_get(r, "DiskSet"), 0), "DiskState"));
            int wait = !state || (strcmp(state, "UNATTACHED") && strcmp(state, "ATTACHED"));
            json_decref(r);
            if (wait)
                return 1;
        }
        return attach(c, st, props);
    }
    return 0;
}

/* Already gone counts as deleted: a step may be repeated after a crash. */
static int gone(struct call_ctx *c)
{
    return strstr(c->code, "NotFound") != NULL || strstr(c->code, "NotExist") != NULL;
}

int resource_delete(struct call_ctx *c, struct step *st)
{
    if (!st->cloud_id[0])
        return 0;
    json_t *r = NULL;
    if (!strcmp(st->type, "instance")) {
        json_t *inst = describe_instance(c, st->cloud_id);
        const char *state = inst ? json_string_value(json_object_get(inst, "InstanceState")) : NULL;
        int done = !inst || !strcmp(state, INSTANCE_TERMINATED) || !strcmp(state, INSTANCE_LAUNCH_FAILED);
        int going = state && !strcmp(state, INSTANCE_TERMINATING);
        json_decref(inst);
        if (done)
            return 0;
        if (going)
            return 1;
        r = call(c, "cvm", CVM_V, "TerminateInstances", json_pack("{s:[s]}", "InstanceIds", st->cloud_id));
        if (!r)
            return gone(c) ? 0 : 1; /* e.g. still PENDING: try again */
        json_decref(r);
        return 1; /* wait until TERMINATED: its addresses go with it */
    }
    if (!strcmp(st->type, "disk")) {
        if (json_object_get(st->attrs, "attached")) {
            r = call(c, "cbs", CBS_V, "DetachDisks", json_pack("{s:[s]}", "DiskIds", st->cloud_id));
            json_decref(r);
        }
        r = call(c, "cbs", CBS_V, "TerminateDisks", json_pack("{s:[s]}", "DiskIds", st->cloud_id));
    } else if (!strcmp(st->type, "eip")) {
        if (json_object_get(st->attrs, "attached")) {
            r = call(c, "vpc", VPC_V, "DisassociateAddress", json_pack("{s:s}", "AddressId", st->cloud_id));
            json_decref(r);
        }
        r = call(c, "vpc", VPC_V, "ReleaseAddresses", json_pack("{s:[s]}", "AddressIds", st->cloud_id));
    } else if (!strcmp(st->type, "security_group")) {
        r = call(c, "vpc", VPC_V, "DeleteSecurityGroup", json_pack("{s:s}", "SecurityGroupId", st->cloud_id));
    } else if (!strcmp(st->type, "subnet")) {
        r = call(c, "vpc", VPC_V, "DeleteSubnet", json_pack("{s:s}", "SubnetId", st->cloud_id));
    } else if (!strcmp(st->type, "vpc")) {
        r = call(c, "vpc", VPC_V, "DeleteVpc", json_pack("{s:s}", "VpcId", st->cloud_id));
    }
    if (r) {
        json_decref(r);
        return 0;
    }
    return gone(c) ? 0 : -1;
}
