/*
 * scp: the service control policies on a member account's path, the second policy source of
 * identity's evaluator (identity_set_scp_source). The path runs from the root node down the
 * member's node chain to the member itself; each target with SCPs attached is one level. The
 * management account, accounts outside any organization and organizations that have not
 * enabled SERVICE_CONTROL_POLICY are bounded by nothing (NULL); so is a target with no SCP
 * attached (yun attaches no preset FullAccess policy: a level bounds only once it has one).
 */
#include <stdio.h>
#include <string.h>

#include "identity/identity.h"
#include "organization/organization_int.h"

/* Appends target's SCPs, parsed, as one level (if it has any); 0 or -1. */
static int add_level(struct store *s, json_t *levels, int64_t org, const char *type, const char *target,
                     const char *label)
{
    json_t *scps = ostore_target_scps(s, org, type, target);
    if (!scps)
        return -1;
    json_t *policies = json_array();
    size_t i;
    json_t *p;
    json_array_foreach (scps, i, p) {
        /* a document that no longer parses (never stored so) allows nothing: fail closed */
        json_t *doc = json_loads(json_string_value(json_object_get(p, "document")), 0, NULL);
        json_array_append_new(policies, json_pack("{s:O,s:O,s:o}", "id", json_object_get(p, "id"), "name",
                                                  json_object_get(p, "name"), "doc", doc ? doc : json_object()));
    }
    json_decref(scps);
    if (json_array_size(policies) == 0) {
        json_decref(policies);
        return 0;
    }
    return json_array_append_new(levels, json_pack("{s:s,s:o}", "target", label, "policies", policies));
}

json_t *org_scp_path(struct store *s, const char *account_uin, int *err)
{
    *err = 0;
    struct org o;
    struct org_member m;
    int rc = ostore_org_of_member(s, account_uin, &o, &m);
    if (rc != STORE_FOUND || !o.scp_enabled) {
        *err = rc < 0;
        return NULL;
    }
    int64_t chain[64];
    char names[64][132];
    int n = 0;
    for (int64_t node = m.node_id; node && n < 64; n++) {
        struct org_node nd;
        rc = ostore_node_get(s, o.id, node, &nd);
        if (rc != STORE_FOUND) {
            *err = rc < 0;
            if (rc < 0)
                return NULL;
            break; /* a dangling node (never left so): the chain ends */
        }
        chain[n] = node;
        snprintf(names[n], sizeof names[n], "%s", nd.name);
        node = nd.parent;
    }
    json_t *levels = json_array();
    for (int i = n - 1; i >= 0; i--) {
        char id[24], label[200];
        snprintf(id, sizeof id, "%lld", (long long)chain[i]);
        snprintf(label, sizeof label, "node `%s` (NodeId %lld)", names[i], (long long)chain[i]);
        if (add_level(s, levels, o.id, "NODE", id, label) != 0)
            goto fail;
    }
    char label[200];
    snprintf(label, sizeof label, "member `%s` (%s)", m.name, account_uin);
    if (add_level(s, levels, o.id, "MEMBER", account_uin, label) != 0)
        goto fail;
    if (json_array_size(levels) == 0) { /* no SCP anywhere on the path: nothing bounds it */
        json_decref(levels);
        return NULL;
    }
    return levels;
fail:
    json_decref(levels);
    *err = 1;
    return NULL;
}
