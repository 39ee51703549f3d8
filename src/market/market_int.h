/* market's private header: what its files share. One file per concern:
 *   store.c       every market_* statement (the only file that speaks SQL), migrations
 *   template.c    the template language: checks, order, parameters, plan, references (pure)
 *   actions.c     the market actions (ISV, review, catalogue, deployments)
 *   controller.c  the deployment controller: one step at a time, persisted, rollback
 *   resources.c   what each resource type does, through the other services' own actions
 *   revenue.c     the package price in the price book and the meter, the ISV's month-end share
 *   license.c     the region's Ed25519 key and the licenses the metadata service hands out
 */
#ifndef YUN_MARKET_INT_H
#define YUN_MARKET_INT_H

#include "market/codes.h"
#include "market/market.h"

/* template.c */
#define TPL_MAX_RESOURCES 64
#define TPL_MAX_MEMBERS   32
#define TPL_MAX_STEPS     128
int tpl_check(json_t *tpl, char *msg, size_t mlen);
json_t *tpl_order(json_t *tpl, char *msg, size_t mlen); /* resource names, dependencies first */
json_t *tpl_deps(json_t *tpl, const char *name);        /* the resources name waits for (an array, maybe empty) */
/* The parameters with defaults applied, each within its constraints (NULL with msg). */
json_t *tpl_params(json_t *tpl, json_t *given, char *msg, size_t mlen);
int tpl_cardinality(json_t *resource, json_t *params);
/* The steps, in order: [{"resource","member","type"}]. */
json_t *tpl_plan(json_t *tpl, json_t *params, char *msg, size_t mlen);
/* v with its params and refs replaced; attrs = {RESOURCE: [member attrs, ...]}. */
json_t *tpl_resolve(json_t *v, json_t *params, json_t *attrs, char *msg, size_t mlen);

/* store.c */
#define PKG_DRAFT     "DRAFT"
#define PKG_REVIEWING "REVIEWING"
#define PKG_APPROVED  "APPROVED"
#define PKG_REJECTED  "REJECTED"

#define DEP_DEPLOYING   "DEPLOYING"
#define DEP_DEPLOYED    "DEPLOYED"
#define DEP_UPDATING    "UPDATING"
#define DEP_ROLLING     "ROLLING_BACK"
#define DEP_ROLLED_BACK "ROLLED_BACK"
#define DEP_DELETING    "DELETING"
#define DEP_DELETED     "DELETED"
#define DEP_ACTIVE(col) col " IN ('" DEP_DEPLOYING "', '" DEP_UPDATING "', '" DEP_ROLLING "', '" DEP_DELETING "')"

#define STEP_PENDING "pending" /* to make */
#define STEP_CREATED "created" /* made, waiting until ready */
#define STEP_READY   "ready"
#define STEP_DOOMED  "doomed" /* to delete (scale in, delete, rollback) */
#define STEP_DELETED "deleted"

struct isv {
    char uin[24];
    int64_t share_ppm, created;
};
struct pkg_version {
    char package_id[24], isv_uin[24], name[128], kind[16], state[16], description[1024], logo_url[512], image_id[24],
        reason[512];
    int64_t version, price_month, price_hour, created, reviewed;
    json_t *bundles, *template; /* owned; template NULL for image packages */
};
void pkg_version_free(struct pkg_version *v);
struct deployment {
    char id[24], owner[24], package_id[24], region[64], zone[64], state[16], token[72], error[512];
    int64_t version, created, updated;
    json_t *params, *outputs; /* owned */
};
void deployment_free(struct deployment *d);
struct step {
    char deployment_id[24], resource[128], type[24], state[16], cloud_id[64], error[512];
    int64_t seq, member, attempts, next_try;
    json_t *attrs; /* owned */
};

int mstore_isv_put(struct store *s, const char *uin, int64_t share_ppm, int64_t t);
int mstore_isv_get(struct store *s, const char *uin, struct isv *out); /* STORE_FOUND ... */
int mstore_isvs(struct store *s, struct isv **out, int *n);
int mstore_package_put(struct store *s, const char *id, const char *isv, const char *name, const char *kind, int64_t t);
int mstore_package_owner(struct store *s, const char *id, char isv[24], char kind[16]); /* STORE_FOUND ... */
int mstore_version_put(struct store *s, const struct pkg_version *v);
int64_t mstore_version_last(struct store *s, const char *package_id); /* 0 none, -1 error */
int mstore_version_get(struct store *s, const char *package_id, int64_t version, struct pkg_version *out);
int mstore_version_state(struct store *s, const char *package_id, int64_t version, const char *from, const char *to,
                         const char *reason, int64_t t); /* rows changed */
/* Versions: of isv (any state) or, isv NULL, approved only; package_id NULL for all. malloc'd. */
int mstore_versions(struct store *s, const char *isv, const char *package_id, const char *state,
                    struct pkg_version **out, int *n);

int mstore_deployment_put(struct store *s, const struct deployment *d);
int mstore_deployment_get(struct store *s, const char *owner, const char *id,
                          struct deployment *out); /* owner NULL: any */
int mstore_deployment_by_token(struct store *s, const char *owner, const char *token, char id[24]);
int mstore_deployment_state(struct store *s, const char *id, const char *from, const char *to, const char *error,
                            int64_t t);
int mstore_deployment_outputs(struct store *s, const char *id, json_t *outputs, int64_t t);
int mstore_deployment_params(struct store *s, const char *id, json_t *params, int64_t t);
int mstore_deployments(struct store *s, const char *owner, const char *id, struct deployment **out, int *n);
int mstore_deployments_active(struct store *s, char (**ids)[24], int *n);
/* Deployments of isv's packages (any owner, any state): for its sales. */
int mstore_isv_deployments(struct store *s, const char *isv, struct deployment **out, int *n);
int mstore_package_owners(struct store *s, const char *isv, char (**uins)[24], int *n);

int mstore_step_put(struct store *s, const struct step *st);
int mstore_steps(struct store *s, const char *deployment_id, struct step **out, int *n); /* by seq */
void steps_free(struct step *st, int n);
int mstore_step_update(struct store *s, const struct step *st);
int64_t mstore_step_next_seq(struct store *s, const char *deployment_id);

int mstore_event(struct store *s, const char *deployment_id, const char *level, const char *resource,
                 const char *message, int64_t t);
struct event {
    int64_t n, time;
    char level[12], resource[160], message[600];
};
int mstore_events(struct store *s, const char *deployment_id, struct event **out, int *n);

int mstore_ready_mark(struct store *s, const char *instance_id, int64_t t);
int mstore_ready(struct store *s, const char *instance_id); /* 1 reported, 0 not, -1 */
/* The deployment and package version an instance belongs to: STORE_FOUND ... */
int mstore_instance_deployment(struct store *s, const char *instance_id, struct deployment *out);

int mstore_state_get(struct store *s, const char *name, int64_t *v, char *text, size_t tlen);
int mstore_state_set(struct store *s, const char *name, int64_t v, const char *text);
int mstore_share_claim(struct store *s, const char *isv, const char *month, int64_t t); /* 1 new, 0 done, -1 */
int mstore_share_put(struct store *s, const char *isv, const char *month, int64_t sales_fine, int64_t share_cents,
                     const char *bill_id);
struct share {
    char month[8], bill_id[40];
    int64_t sales_fine, share_cents, time;
};
int mstore_shares(struct store *s, const char *isv, struct share **out, int *n);

/* controller.c */
void market_kick(void);
/* resources.c: one step's cloud calls as the deployment's owner (outside any transaction). */
struct call_ctx {
    const struct config *cfg;
    const char *owner, *region;
    char code[96], msg[512];
};
/* Each answers 0 done, 1 not yet (call again later), -1 failed (code/msg set). */
int resource_create(struct call_ctx *c, struct step *st, json_t *props, const struct deployment *d);
int resource_ready(struct call_ctx *c, struct step *st, json_t *props);
int resource_delete(struct call_ctx *c, struct step *st);

/* revenue.c */
int revenue_price_put(struct store *s, const struct pkg_version *v, int64_t t, char *err, size_t errlen);
int revenue_meter(struct store *s, const struct deployment *d, int on, int64_t t);
int revenue_month_end(struct store *s, int64_t t);
int64_t revenue_share_cents(int64_t sales_fine, int64_t share_ppm); /* floored */
int64_t market_month_start(int64_t t);
int64_t market_month_after(int64_t start);
void market_month_name(int64_t t, char out[8]);

/* license.c */
int license_public_key(struct store *s, char out_b64[64]);
/* The instance's license document (malloc'd JSON text), NULL when it belongs to no deployment. */
char *license_document(struct store *s, const char *instance_id, int *status);

#endif
