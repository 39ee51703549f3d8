/*
 * organization_int: what the organization service's files share.
 *
 *   actions.c  the action rows and their handlers
 *   store.c    every org_* statement and the schema (nothing else touches these tables)
 *   scp.c      the SCPs on a member account's path, for identity's evaluator
 */
#ifndef YUN_ORGANIZATION_INT_H
#define YUN_ORGANIZATION_INT_H

#include "organization/organization.h"

#define SCP_TYPE "SERVICE_CONTROL_POLICY"
#define TAG_TYPE "TAG_POLICY"

struct org {
    int64_t id, root_node, created;
    char host_uin[24];
    int scp_enabled;
};

struct org_node {
    int64_t id, parent;
    char name[132];
};

struct org_member {
    char uin[24], name[64];
    int64_t node_id, created;
};

struct org_policy {
    int64_t id, created, updated;
    char name[132], type[32];
    char *content; /* malloc'd */
    char *description;
};

/* store.c: each lookup answers STORE_FOUND, STORE_NOT_FOUND or STORE_ERROR; each write 0 or -1. */
int ostore_migrate(struct store *s, char *err, size_t errlen);
int ostore_org_of_host(struct store *s, const char *uin, struct org *o);
int ostore_org_of_member(struct store *s, const char *uin, struct org *o, struct org_member *m);
int ostore_org_create(struct store *s, const struct org *o, const char *root_name);
int ostore_org_set_scp(struct store *s, int64_t org, int enabled);
int ostore_id_free(struct store *s, const char *what, int64_t id); /* 1 free, 0 used, -1 error */

int ostore_node_get(struct store *s, int64_t org, int64_t node, struct org_node *n);
int ostore_node_name_used(struct store *s, int64_t org, int64_t parent, const char *name);
int ostore_node_create(struct store *s, int64_t org, int64_t node, int64_t parent, const char *name,
                       const char *remark);
int64_t ostore_node_depth(struct store *s, int64_t org, int64_t node);      /* root = 1; -1 error */
int64_t ostore_node_dependents(struct store *s, int64_t org, int64_t node); /* child nodes + members; -1 */
int ostore_node_delete(struct store *s, int64_t org, int64_t node);
json_t *ostore_nodes(struct store *s, int64_t org, int64_t limit, int64_t offset, int64_t *total);

int ostore_member_get(struct store *s, int64_t org, const char *uin, struct org_member *m);
int ostore_member_name_used(struct store *s, int64_t org, const char *name);
int ostore_member_create(struct store *s, int64_t org, const char *uin, int64_t node, const char *name,
                         const char *remark, const char *policy_type, const char *permissions);
int ostore_member_move(struct store *s, int64_t org, const char *uin, int64_t node);
int ostore_member_delete(struct store *s, int64_t org, const char *uin);
json_t *ostore_members(struct store *s, int64_t org, int64_t node, const char *search, int64_t limit, int64_t offset,
                       int64_t *total);

int ostore_policy_get(struct store *s, int64_t org, int64_t id, struct org_policy *p);
void ostore_policy_free(struct org_policy *p);
int ostore_policy_name_used(struct store *s, int64_t org, const char *name, int64_t except);
int ostore_policy_create(struct store *s, int64_t org, int64_t id, const char *name, const char *type,
                         const char *content, const char *description);
int ostore_policy_update(struct store *s, int64_t org, int64_t id, const char *name, const char *content,
                         const char *description);
int ostore_policy_delete(struct store *s, int64_t org, int64_t id);
int64_t ostore_policy_attached(struct store *s, int64_t org, int64_t id); /* attachments; -1 error */
json_t *ostore_policies(struct store *s, int64_t org, const char *type, const char *keyword, int64_t limit,
                        int64_t offset, int64_t *total);

/* target_type "NODE" or "MEMBER"; target the node id or the member uin, as text */
int ostore_attached(struct store *s, int64_t org, int64_t policy, const char *target_type, const char *target);
int ostore_attach(struct store *s, int64_t org, int64_t policy, const char *target_type, const char *target);
int ostore_detach(struct store *s, int64_t org, int64_t policy, const char *target_type, const char *target);
int ostore_detach_target(struct store *s, int64_t org, const char *target_type, const char *target);
json_t *ostore_targets(struct store *s, int64_t org, int64_t policy, const char *target_type, int64_t limit,
                       int64_t offset, int64_t *total);
json_t *ostore_target_policies(struct store *s, int64_t org, const char *target_type, const char *target,
                               const char *type, const char *keyword, int64_t limit, int64_t offset, int64_t *total);
/* The SCPs attached to one target: [{"id","name","document" (text)}]; NULL on error. */
json_t *ostore_target_scps(struct store *s, int64_t org, const char *target_type, const char *target);

/* scp.c */
json_t *org_scp_path(struct store *s, const char *account_uin, int *err);

#endif
