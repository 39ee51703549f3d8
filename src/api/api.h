/*
 * api: the one request path every Tencent Cloud API 3.0 action shares.
 *
 *   http request -> authenticate (TC3-HMAC-SHA256 or legacy v1) -> route (version, action)
 *   -> rate limit -> authorise (CAM policy) -> validate params against the action's schema
 *   -> handler (in one store transaction for actions that change state) -> audit -> envelope
 *
 * Services contribute rows to the action registry (struct action) with a request schema
 * declared as data (struct param); MissingParameter/UnknownParameter/InvalidParameter/
 * InvalidParameterValue come from the schema walk, never from handler code.
 */
#ifndef YUN_API_H
#define YUN_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/core.h"
#include "store/store.h"

/* ---- request schemas (schema.c) ---- */
enum ptype { PT_STRING = 1, PT_INT, PT_FLOAT, PT_BOOL, PT_OBJECT, PT_ARRAY };

#define P_REQUIRED 1u
#define P_NUMSTR   2u /* PT_STRING that also accepts a JSON integer (VPC's Offset/Limit are strings in the model) */

struct param {
    const char *name; /* NULL terminates a list */
    enum ptype type;
    unsigned flags;
    enum ptype elem;            /* PT_ARRAY: element type */
    const struct param *fields; /* PT_OBJECT, or PT_ARRAY of PT_OBJECT */
    int64_t min, max;           /* PT_INT: value range; PT_STRING: length; PT_ARRAY: item count (0,0 = no bound) */
    const char *const *values;  /* PT_STRING (or array of strings): allowed values, NULL-terminated */
};

/* Shorthands for schema rows. */
#define P_STR(n, f, lo, hi)                                                                                            \
    {                                                                                                                  \
        .name = n, .type = PT_STRING, .flags = f, .min = lo, .max = hi                                                 \
    }
#define P_ENUM(n, f, vals)                                                                                             \
    {                                                                                                                  \
        .name = n, .type = PT_STRING, .flags = f, .max = 256, .values = vals                                           \
    }
#define P_INT(n, f, lo, hi)                                                                                            \
    {                                                                                                                  \
        .name = n, .type = PT_INT, .flags = f, .min = lo, .max = hi                                                    \
    }
#define P_BOOL(n, f)                                                                                                   \
    {                                                                                                                  \
        .name = n, .type = PT_BOOL, .flags = f                                                                         \
    }
#define P_OBJ(n, f, flds)                                                                                              \
    {                                                                                                                  \
        .name = n, .type = PT_OBJECT, .flags = f, .fields = flds                                                       \
    }
#define P_STRS(n, f, maxitems, maxlen)                                                                                 \
    {                                                                                                                  \
        .name = n, .type = PT_ARRAY, .flags = f, .elem = PT_STRING, .max = maxitems, .min = maxlen                     \
    }
#define P_INTS(n, f, maxitems)                                                                                         \
    {                                                                                                                  \
        .name = n, .type = PT_ARRAY, .flags = f, .elem = PT_INT, .max = maxitems                                       \
    }
#define P_OBJS(n, f, maxitems, flds)                                                                                   \
    {                                                                                                                  \
        .name = n, .type = PT_ARRAY, .flags = f, .elem = PT_OBJECT, .max = maxitems, .fields = flds                    \
    }
#define P_END                                                                                                          \
    {                                                                                                                  \
        .name = NULL                                                                                                   \
    }

/* Validates (and, for form/query input whose leaves are strings, coerces) params in place.
 * Returns 0, or -1 with code/message set (Tencent codes). */
int schema_validate(const struct param *schema, json_t *params, int coerce, char *code, size_t clen, char *msg,
                    size_t mlen);

/* ---- flattened parameters (params.c): GET queries and v1 forms ---- */
/* Parses a=b&c.0=d into a JSON tree of strings (objects keyed by path segment). */
json_t *params_from_query(const char *query, size_t len, int *too_deep);
char *url_decode(const char *s, size_t len, size_t *outlen); /* malloc'd; NULL on bad escapes */
struct kv;
json_t *params_from_kv(struct kv *list, int n, int (*skip)(const char *key), int *bad);

/* ---- identity of the caller ---- */
struct principal {
    char secret_id[64];
    char owner_uin[24]; /* the root account that owns everything the caller touches */
    char user_uin[24];  /* the caller: == owner_uin for the root account */
    char app_id[24];
    int is_root;
    /* A role session (temporary credentials from sts AssumeRole): owner_uin is the role's account,
     * user_uin the role id, and it acts under the role's policies. */
    int is_role;
    char role_name[132], session_name[132];
    char assumed_by_uin[24], assumed_by_sub_uin[24]; /* the account (and its user) that assumed the role */
    char token_hash[65];                             /* sha256 of the session token, hex */
    int64_t expires;                                 /* business clock (clock_now) */
};

/* ---- handlers ---- */
struct api_ctx {
    const struct action *action;
    const char *request_id;
    const char *region; /* X-TC-Region / Region, validated for regional actions; may be "" */
    const char *source_ip;
    const char *language;
    const struct config *config;
    struct store *store;
    struct principal who;
    json_t *params; /* validated request parameters (borrowed) */
    json_t *out;    /* response fields the handler adds (owned by the request path) */
    char code[96];  /* error code when the handler fails */
    char message[512];
    char resource[1024];        /* what the action touched, for the audit record */
    void (*after_commit)(void); /* runs once the action's changes are committed (e.g. wake a controller) */
    int discard;                /* success, but roll back what the handler wrote (DryRun) */
    char reason[256];           /* for the audit record: the service control policy that decided */
    /* The product on whose behalf a handler runs another product's action row (lighthouse runs cvm's and vpc's);
     * NULL on the wire. What is made that way is that product's: its own calls see it, the wire does not
     * (api_sold_by, and region_of answering 2). */
    const char *sold_by;
};

/* The seller a resource made by this request records ("" when the customer made it through the wire). */
static inline const char *api_sold_by(const struct api_ctx *ctx) { return ctx->sold_by ? ctx->sold_by : ""; }

typedef int (*action_fn)(struct api_ctx *ctx);

#define A_MUTATES  1u /* changes state: runs in a transaction and is audited */
#define A_REGIONAL 2u /* needs a valid region */

struct action {
    const char *service; /* product name used in policies: cvm, cam, vpc ... */
    const char *version;
    const char *name;
    action_fn handler;
    const struct param *params;
    unsigned flags;
    /* Resource for CAM evaluation, as the tail after "qcs::service:region:uin/OWNER:", with
     * ${Param} expanded from the request (e.g. "uin/${AttachUin}"; see resources.c for arrays,
     * dotted paths and alternatives). NULL means "*". */
    const char *resource;
    /* When the resource needs a lookup (e.g. a user's uin from its name): writes the tail like
     * `resource` would, or a whole qcs name ("qcs:...") for a resource of another account. Takes
     * precedence over `resource`. */
    void (*resource_fn)(struct api_ctx *ctx, char *tail, size_t len);
    /* The other resources the action touches, "service:tail" templates (NULL-terminated, see
     * TOUCHES); each one named in the request is authorised like the primary resource. */
    const char *const *touches;
};

#define TOUCHES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* resources.c: every resource the request names (qcs names, JSON array of strings, owned by the
 * caller), and a comma-joined summary of them for the audit record. */
json_t *api_resources(struct api_ctx *ctx);
void api_resources_summary(json_t *resources, char *out, size_t len);

/* registry.c: services register their tables at start. */
void api_register(const struct action *actions, int n);
const struct action *api_find(const char *version, const char *name);
const struct action *api_find_service(const char *service, const char *name);
int api_action_count(void);
const struct action *api_action_at(int i);

/* Handler helpers. api_fail sets the error and returns -1 so handlers can `return api_fail(...)`. */
int api_fail(struct api_ctx *ctx, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *api_str(struct api_ctx *ctx, const char *name, const char *dflt);
int64_t api_int(struct api_ctx *ctx, const char *name, int64_t dflt);
int api_has(struct api_ctx *ctx, const char *name);
/* Authorises the request's action once more as made in region (a copy's destination): 1 allowed,
 * 0 refused (UnauthorizedOperation set, naming the policy), -1 error (set). */
int api_authorize_in_region(struct api_ctx *ctx, const char *region);

/* regions.c: resources of one region. A service registers, per resource type of its qcs names
 * ("cvm" "instance"), how to find the region of one of the caller's resources. */
struct regional_kind {
    const char *service, *type; /* as in "qcs::cvm:REGION:uin/OWNER:instance/ins-..." */
    const char *what;           /* for the message: "instance" */
    const char *not_found;      /* the service's code for an unknown id: "InvalidInstanceId.NotFound" */
    /* 1 with region set (the caller's resource), 0 not the caller's or unknown (the handler
     * answers), 2 the caller's but another product's to manage (sold through it: not found here), -1 store error */
    int (*region_of)(struct api_ctx *ctx, const char *id, char region[64]);
};
void api_register_regional(const struct regional_kind *kinds, int n);
/* Before a regional action runs: any named resource of another region is "not found" (set), -1. */
int api_region_check(struct api_ctx *ctx, json_t *resources);
/* 1 if zone is a zone of the request's region (the region a zone-placed resource belongs to). */
int api_zone_in_region(const struct api_ctx *ctx, const char *zone);

/* ---- the HTTP side's view of a request (dispatch.c) ---- */
struct api_http {
    const char *method;
    const char *raw_query; /* after '?', as received; "" if none */
    const char *source_ip;
    const char *(*header)(void *hctx, const char *name); /* case-insensitive lookup, NULL if absent */
    void *hctx;
    const char *body;
    size_t body_len;
    int body_too_large;
    /* A console call (src/console): the caller signed in with a session instead of a signature.
     * Then body is the action's Params (a JSON object) and the fields below name the action. */
    const struct principal *session;
    const char *service, *action, *version, *region, *language;
};

/* Returns the JSON response body (malloc'd). Never fails to produce an envelope. */
char *api_handle(const struct config *cfg, const struct api_http *req);

/* Builds an error envelope (also used by the HTTP layer for early failures). */
char *api_error_envelope(const char *request_id, const char *code, const char *message);

/* ---- signatures ---- */
/* tc3.c */
struct tc3_auth {
    char secret_id[128];
    char date[16];
    char service[64];
    char signed_headers[256];
    char signature[65];
};
int tc3_parse_authorization(const char *header, struct tc3_auth *out);
/* canonical request from parts; signed header values come from `header` (host handled by caller). */
char *tc3_canonical_request(const char *method, const char *query, const char *signed_headers,
                            const char *(*header)(void *, const char *), void *hctx, const char *host,
                            int lowercase_values, const void *body, size_t body_len);
void tc3_sign(const char *secret_key, const char *date, const char *service, int64_t timestamp,
              const char *canonical_request, char out[65]);
/* Full verification: 0 on success, else an AuthFailure.* code in *code. */
int tc3_verify(const struct tc3_auth *a, const char *secret_key, const char *method, const char *query,
               const char *(*header)(void *, const char *), void *hctx, const void *body, size_t body_len);

/* v1.c: legacy HmacSHA1/HmacSHA256 form signatures. params = flat list of decoded (k, v). */
struct kv {
    char *k, *v;
};
int v1_verify(const char *method, const char *host, struct kv *params, int n, const char *secret_key);
int kv_parse(const char *s, size_t len, struct kv **out, int *n); /* decoded pairs; caller frees with kv_free */
void kv_free(struct kv *p, int n);
const char *kv_get(struct kv *p, int n, const char *k);

/* audit.c */
void audit_record(struct store *s, const struct api_ctx *ctx, const char *result);
/* The same record from explicit fields, for listeners without an api_ctx (the object gateway).
 * Inside the caller's transaction if one is open. 0, or -1 (logged). */
struct audit_entry {
    const char *owner_uin, *user_uin, *source_ip, *service, *action, *resource, *result, *request_id;
    const struct principal *who; /* optional: a role session's also records the session and who assumed it */
    const char *reason;          /* optional: the policy that decided (service control policies) */
};
int audit_write(struct store *s, const struct audit_entry *e);
extern const struct migration audit_migrations[];
extern const int audit_migration_count;

/* authz hook: identity decides (see identity.h); set by the identity service at start. */
struct authz_request {
    const struct principal *who;
    const char *action;           /* "cvm:DescribeZones" */
    const char *resource;         /* "qcs::cvm:ap-local:uin/1:*" or "*" (when nresources is 0) */
    const char *const *resources; /* every resource the request names: allowed only if all are */
    int nresources;
    int denied;            /* out: index of the resource refused, -1 if none in particular */
    int explicit_deny;     /* out: a statement denied it (not only nothing allowed it) */
    const char *source_ip; /* "" when unknown: conditions on qcs:ip then cannot be evaluated */
    int64_t now;
    const char *region; /* the region the request acts in (qcs:requested_region); "" or NULL: none */
    char why[256];      /* out: the service control policy that decided, when one bounds the caller */
};

#endif

#ifndef YUN_API_HOOKS
#define YUN_API_HOOKS
/* Identity plugs into the request path through these hooks (api does not depend on services). */
/* What find_key answers for a temporary key whose token (X-TC-Token, v1 Token) does not do. */
enum { KEY_TOKEN_MISSING = -20, KEY_TOKEN_WRONG = -21, KEY_TOKEN_EXPIRED = -22 };
struct identity_hooks {
    /* STORE_FOUND (active; secret copied out), STORE_NOT_FOUND (unknown or disabled), STORE_ERROR,
     * or KEY_TOKEN_* for a temporary key; token is the request's session token or NULL. */
    int (*find_key)(struct store *s, const char *secret_id, const char *token, struct principal *who, char *secret,
                    size_t len);
    /* 1 = allowed (every resource of the request), 0 = denied (req->denied names which), -1 = store error */
    int (*authorize)(struct store *s, struct authz_request *req);
    void (*changed)(void); /* a state change was committed */
    /* in the transaction of every state change, so other processes on the store notice it */
    int (*note_change)(struct store *s);
};
void api_set_identity(const struct identity_hooks *hooks);
#endif
