/* Shared by the files of src/network only: the action tables and small handler helpers. */
#ifndef YUN_NETWORK_INT_H
#define YUN_NETWORK_INT_H

#include "network/network.h"

#define VPC_VERSION "2017-03-12"

/* Offset/Limit of several VPC actions are strings in the SDK's model; the real API takes numbers
 * too. With the schema's P_NUMSTR both pass validation; without it only strings do. */

extern const struct action vpc_actions[];
extern const int vpc_action_count;
extern const struct action security_group_actions[];
extern const int security_group_action_count;
extern const struct action address_actions[];
extern const int address_action_count;
void address_inquiry_register(void); /* address_inquiry.c: InquiryPriceAllocateAddresses */

/* network.c */
int net_store_failed(struct api_ctx *ctx);
/* address.c: sets an EIP's meter (idle fee while unbound) from its row */
int address_meter(struct store *s, const char *address_id);
/* Offset/Limit arrive as strings in most VPC actions (the SDK's model) and as numbers in others;
 * both are accepted. Returns 0 or -1 (InvalidParameterValue set). */
int net_paging(struct api_ctx *ctx, int64_t *offset, int64_t *limit);
/* Filters and pages: api/filters.h. */
int net_valid_id(const char *id, const char *prefix);
json_t *net_tags(json_t *tags); /* [{Key,Value}] normalised copy (new reference) */
void net_time(int64_t t, char out[32]);
/* Creation times are stored in microseconds so that listings keep creation order. */
int64_t net_now_us(void);
void net_time_us(int64_t us, char out[32]);

/* vpc.c */
int vpc_create(struct store *s, const char *owner, const char *region, const char *name, const char *cidr,
               int is_default, char vpc_id[24]);
int subnet_create(struct store *s, const char *owner, const char *vpc_id, const char *name, const char *cidr,
                  const char *zone, int is_default, char subnet_id[24]);

/* security_group.c */
int sg_create(struct store *s, const char *owner, const char *region, const char *name, const char *desc,
              const char *project, int is_default, char sg_id[24]);
int sg_add_default_policies(struct store *s, const char *sg_id);
json_t *sg_policy_set(struct store *s, const char *sg_id); /* {Version,Ingress,Egress,...} or NULL */

#endif
