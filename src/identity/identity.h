/*
 * identity (service cam): root accounts, sub-users, API keys, policies, and the policy
 * evaluation every API call goes through. SecretKeys are stored encrypted (AES-256-GCM) with a
 * master key kept in the data directory (mode 0600); console passwords are argon2id hashes.
 */
#ifndef YUN_IDENTITY_H
#define YUN_IDENTITY_H

#include "api/api.h"

/* identity.c */
int identity_init(const char *data_dir, char *err, size_t errlen); /* loads or creates the master key */
int identity_migrate(struct store *s, char *err, size_t errlen);
void identity_register(void);    /* cam actions + request-path hooks */
void audit_query_register(void); /* audit_query.c: cloudaudit LookUpEvents */

struct new_account {
    char uin[24], app_id[24], secret_id[64], secret_key[64];
};
int identity_create_account(struct store *s, const char *name, struct new_account *out, char *err, size_t errlen);
/* The same inside the caller's transaction (a partner's CreateAccount). */
int identity_create_account_tx(struct store *s, const char *name, struct new_account *out, char *err, size_t errlen);
int identity_account_count(struct store *s);
/* The operator account (the first, made at the first start): 1 yes, 0 no, -1 error. */
int identity_set_operator(struct store *s, const char *uin);
int identity_is_operator(struct store *s, const char *uin);
int identity_account_exists(struct store *s, const char *uin); /* STORE_FOUND, STORE_NOT_FOUND, STORE_ERROR */
/* A CAM sub-user uin of owner_uin's, with its name: STORE_FOUND, STORE_NOT_FOUND, STORE_ERROR. */
int identity_sub_user(struct store *s, const char *owner_uin, const char *uin, char *name, size_t namelen);
int identity_create_key(struct store *s, const char *owner_uin, const char *user_uin, const char *description,
                        char secret_id[64], char secret_key[64]);

/* The request-path hooks, for other listeners (the object gateway) that authenticate with the same
 * keys and policies: STORE_FOUND (active; secret copied out), STORE_NOT_FOUND (unknown or
 * disabled) or STORE_ERROR. */
int identity_find_key(struct store *s, const char *secret_id, const char *token, struct principal *who, char *secret,
                      size_t len);
int identity_authorize(struct store *s, struct authz_request *req); /* 1 allow, 0 deny, -1 error */
/* The source of the service control policies bounding an account (src/organization/scp.c): the
 * levels policy_scp_evaluate takes, or NULL when nothing bounds the account (no organization, a
 * management account, SCPs not enabled); NULL with *err = 1 on a store failure. Identity caches
 * the answer per account until the next committed change (the key cache's generation). */
typedef json_t *(*identity_scp_fn)(struct store *s, const char *account_uin, int *err);
void identity_set_scp_source(identity_scp_fn fn);
/* identity_create_account_tx's account made an organization member: a role
 * OrganizationAccessControlRole its management account's root may assume, with every right (role.c). */
int identity_create_org_access_role(struct store *s, const char *member_uin, const char *host_uin);
/* The member leaves: that role and its sessions are deleted (role.c). 0 or -1. */
int identity_remove_org_access_role(struct store *s, const char *member_uin);
void identity_changed(void);               /* after any committed change: cached keys are read again */
int identity_note_change(struct store *s); /* in a change's transaction: other processes on the store notice it */

/* password.c: console passwords (argon2id), for root accounts and sub-users. */
enum { LOGIN_OK = 0, LOGIN_BAD = 1, LOGIN_NO_CONSOLE = 2, LOGIN_ERROR = -1 };
int identity_hash_password(const char *pw, char *out, size_t len); /* encoded argon2id; 0 or -1 */
int identity_password_ok(const char *pw);                          /* 8 to 32 characters */
/* Sets the password of a root account or a sub-user by uin: STORE_FOUND, STORE_NOT_FOUND, STORE_ERROR. */
int identity_set_password(struct store *s, const char *uin, const char *pw);
/* Signs in a root account (uin, user_name "" or NULL), a sub-user by its uin, or a sub-user by the
 * root account's uin and its name. LOGIN_OK fills who; an unknown user and a wrong password are
 * both LOGIN_BAD (nothing tells them apart); LOGIN_NO_CONSOLE: the sub-user's ConsoleLogin is 0. */
int identity_console_login(struct store *s, const char *uin, const char *user_name, const char *pw,
                           struct principal *who);
/* An active API key of the user (for the presigned links the console makes): STORE_FOUND, ... */
int identity_user_key(struct store *s, const char *owner_uin, const char *user_uin, char secret_id[64], char *secret,
                      size_t len);

/* policy.c: evaluation, pure functions over a parsed document. */
enum policy_effect { POLICY_NONE = 0, POLICY_ALLOW = 1, POLICY_DENY = 2 };
struct policy_context {
    const char *action;                   /* "cvm:DescribeZones" */
    const char *resource;                 /* qcs six-segment name or "*" */
    const char *source_ip;                /* qcs:ip */
    int64_t now;                          /* qcs:current_time */
    const char *uin, *owner_uin, *app_id; /* for ${uin} ${owner_uin} ${app_id} */
    const char *region;                   /* REQUESTED_REGION_KEY: where the request creates or writes; "" none */
};
/* The condition key on the region a request acts in (a copy: its destination). Tencent's CAM
 * documents no such global key; yun names it after AWS's aws:RequestedRegion. */
#define REQUESTED_REGION_KEY "qcs:requested_region"
/* Validates a document's grammar; 0 or -1 with a reason. */
/* A non-empty string, or a non-empty array of non-empty strings (action, resource, principal values). */
int policy_string_or_strings(json_t *v);
int policy_validate(json_t *doc, char *why, size_t len);
/* Effect of one document on the request: NONE (no statement applies), ALLOW or DENY. */
enum policy_effect policy_evaluate(json_t *doc, const struct policy_context *ctx);
int policy_glob(const char *pattern, const char *text, int ignore_case);
int policy_resource_match(const char *pattern, const char *resource);
int policy_ip_in(const char *cidr, const char *ip);
/* Service control policies: levels [{"target": "node `Root` (NodeId 1)", "policies": [{"id", "name",
 * "doc" (parsed)}]}], root node first. DENY (an SCP denies), NONE (a level allows nothing) or
 * ALLOW; why names the policy (or level) that decided. */
enum policy_effect policy_scp_evaluate(json_t *levels, const struct policy_context *ctx, char *why, size_t len);
/* Condition blocks over another service's keys (the object store's aws:/s3: ones). A lookup gives
 * the request's value of a key (buf may hold it), NULL or "" when the request has none. */
typedef const char *(*policy_key_fn)(void *arg, const char *key, char *buf, size_t len);
/* A condition key a caller evaluates: name (a trailing '*' takes any suffix) and the operator
 * families it takes ("string_ ip_": prefixes of CAM's operator names). */
struct policy_key {
    const char *key, *families;
};
/* AWS's operator name ("StringLikeIfExists") as CAM's ("string_like_if_exist"); others unchanged. */
const char *policy_operator(const char *op, char *buf, size_t len);
/* 0, or -1 with a reason naming statement stmt; supported lists the keys for the message. */
int policy_conditions_validate(json_t *cond, const struct policy_key *keys, size_t nkeys, const char *supported,
                               size_t stmt, char *why, size_t len);
/* 1 if every clause holds, under AWS's rule for absent keys: a positive operator fails, a negated
 * one holds, "IfExists" holds, "Null" tests presence. */
int policy_conditions_hold(json_t *cond, policy_key_fn lookup, void *arg);

/* trust.c: a role's trust policy. validate: 0, or TRUST_* with a reason. */
enum { TRUST_DOCUMENT_ERROR = -1, TRUST_PRINCIPAL_ERROR = -2 };
int trust_validate(json_t *doc, char *why, size_t len);
/* 1 if the (validated) trust policy lets account's user (== account for its root) assume the role. */
int trust_allows(json_t *doc, const char *account, const char *user);
/* "qcs::cam::uin/A:root" (user "") or "qcs::cam::uin/A:uin/U"; 0 or -1. */
int trust_parse_principal(const char *principal, char account[24], char user[24]);

/* role.c: the CAM role actions; a role's id and name within its account. */
extern const struct action role_actions[];
extern const int role_action_count;

/* sts.c: AssumeRole, and the temporary keys it issues: STORE_FOUND (who filled, secret copied
 * out, the token still to check), STORE_NOT_FOUND (unknown, or its role deleted), STORE_ERROR. */
extern const struct action sts_actions[];
extern const int sts_action_count;
int sts_find_session(struct store *s, const char *secret_id, struct principal *who, char *secret, size_t len);
/* The session's narrowing policy (AssumeRole's Policy), parsed, or NULL if it has none; -1 on error. */
int sts_session_policy(struct store *s, const char *secret_id, json_t **policy);
/* Ends every session that account's user assumed (it is being deleted); 0 or -1. */
int sts_revoke_assumed_by(struct store *s, const char *account, const char *user);

#endif
