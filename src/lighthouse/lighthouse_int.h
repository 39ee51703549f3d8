/*
 * lighthouse_int: what the lighthouse files share. Each file's functions under its name.
 */
#ifndef YUN_LIGHTHOUSE_INT_H
#define YUN_LIGHTHOUSE_INT_H

#include "api/api.h"
#include "billing/billing.h"
#include "lighthouse/codes.h"
#include "lighthouse/lighthouse.h"

#define LH_TYPE_APP  "APP_OS"
#define LH_TYPE_PURE "PURE_OS"

/* A blueprint: a public image of compute's and what its manifest (DATA/images/NAME/manifest.json)
 * says of it; the built-in tiny image needs none. */
struct lh_blueprint {
    char id[24], image_id[24], name[64], type[16], title[128], version[32], description[512], os_name[128],
        platform[32], platform_type[16], state[16], scene[64], ready_path[128];
    int64_t required_memory_gib, required_disk_gib, app_port, created;
};

/* A bundle: a plan, as data (bundle.c). */
struct lh_bundle {
    const char *id, *type, *type_description, *label;
    int cpu, memory_gib, disk_gib, monthly_traffic_gib, bandwidth_mbps;
    const char *instance_type; /* compute's instance type of that shape */
    const char *price_yuan;    /* default monthly list price, seeded into billing's price book */
};

/* An instance row of lighthouse's own table. */
struct lh_instance {
    char id[24], owner[24], cvm_id[24], bundle_id[48], blueprint_id[24], name[168], zone[64], eip_id[24], sg_id[24],
        latest_op[48], latest_op_state[16], latest_op_request[64];
    int64_t ready, created, latest_op_time;
};

/* store.c: every statement on lighthouse's tables (and its reads of compute's image catalogue) */
extern const struct migration lh_migrations[];
extern const int lh_migration_count;
/* Public images registered under a built-in name: fn(arg, image_id, name, os_name, platform, size_gib, state,
 * created, builtin) for each; 0 or -1. */
int lh_store_builtin_images(struct store *s,
                            int (*fn)(void *arg, const char *image_id, const char *os_name, const char *platform,
                                      int64_t size_gib, const char *state, int64_t created, const char *builtin),
                            void *arg);
/* The stable blueprint id of an image (made and kept on first sight); 0 or -1. */
int lh_store_blueprint_id(struct store *s, const char *image_id, char id[24]);
int lh_store_instance_insert(struct store *s, const struct lh_instance *in);
/* 1 found (out filled), 0 not the owner's or terminated, -1 error */
int lh_store_instance_get(struct store *s, const char *owner, const char *id, struct lh_instance *out);
/* The same for billing's hooks, whoever owns it. */
int lh_store_instance_by_id(struct store *s, const char *id, struct lh_instance *out);
/* The owner's live instances, oldest first (malloc'd array). */
int lh_store_instances(struct store *s, const char *owner, struct lh_instance **out, int *n);
int lh_store_instance_op(struct store *s, const char *owner, const char *id, const char *op, const char *request_id);
int lh_store_instance_reset(struct store *s, const char *owner, const char *id, const char *blueprint_id);
int lh_store_instance_rename(struct store *s, const char *owner, const char *id, const char *name);
int lh_store_instance_ready(struct store *s, const char *id);
int lh_store_instance_terminated(struct store *s, const char *owner, const char *id);
/* The instance ids a client token made (JSON text copied out): 1 found, 0 not, -1 error. */
int lh_store_token_get(struct store *s, const char *owner, const char *token, json_t **ids);
int lh_store_token_put(struct store *s, const char *owner, const char *token, json_t *ids);

/* call.c: another service's action row run in this request's transaction as the same caller.
 * params is validated against the row's schema (borrowed); *out (may be NULL) receives the
 * response fields. 0, or -1 with the other service's code and message set on ctx. */
int lh_call(struct api_ctx *ctx, const char *service, const char *action, json_t *params, json_t **out);
/* The same with fields merged in after validation (fields only another service may give, never from the wire). */
int lh_call_as(struct api_ctx *ctx, const char *service, const char *action, json_t *params, json_t *internal,
               json_t **out);

/* blueprint.c */
/* Every blueprint (malloc'd array): the tiny image and each built-in image with a manifest. */
int lh_blueprints(struct api_ctx *ctx, struct lh_blueprint **out, int *n);
/* 1 found, 0 not (or not a blueprint), -1 error (set on ctx). */
int lh_blueprint_find(struct api_ctx *ctx, const char *id, struct lh_blueprint *out);

/* probe.c: 1 when the blueprint's application answers on ip (its manifest's ready_path: an HTTP GET
 * of a path answered 2xx/3xx, or a TCP connection to "tcp:PORT"), waiting at most wait_ms (and
 * never more than 250 ms); an unfinished probe stays in flight for the next call of the same
 * instance and generation (its latest operation's time). */
int lh_probe_app(const char *instance_id, int64_t generation, const char *ip, const struct lh_blueprint *bp,
                 int wait_ms);
json_t *lh_blueprint_json(const struct lh_blueprint *b);
void lh_blueprint_register(void);

/* bundle.c */
extern const struct lh_bundle lh_bundles[];
const struct lh_bundle *lh_bundle_find(const char *id);
/* Items of a lighthouse order: the bundle and the blueprint's software (2 items). */
void lh_order_items(const struct lh_bundle *b, const struct lh_blueprint *bp, struct billing_item items[2]);
/* The price of count instances for months (0, or -1 with the error set on ctx). */
int lh_quote(struct api_ctx *ctx, const struct lh_bundle *b, const struct lh_blueprint *bp, int months, int64_t count,
             struct billing_price *out);
json_t *lh_price_json(const struct billing_price *p, int64_t unit_fine);
int lh_seed_prices(struct store *s, char *err, size_t errlen);
void lh_bundle_register(void);

/* instance.c */
void lh_instance_register(void);
/* The instance of the caller's (1), or not found with the error set (0), or -1. */
int lh_instance_of(struct api_ctx *ctx, const char *id, struct lh_instance *out);

/* region.c */
void lh_region_register(void);

/* firewall.c */
void lh_firewall_register(void);
/* The default rules (SSH, HTTP, HTTPS, RDP, ping from anywhere) as vpc Ingress policies. */
json_t *lh_default_ingress(void);
/* An application blueprint's port is open from anywhere (added unless a rule already opens it). */
int lh_firewall_allow_app(struct api_ctx *ctx, const struct lh_instance *in, int64_t port);

#endif
