/* filters: the Filters=[{Name,Values[]}] convention of Describe* actions (ANDed names, ORed values),
 * shared by the products that use CVM's spelling of it (cvm, cbs). */
#ifndef YUN_API_FILTERS_H
#define YUN_API_FILTERS_H

#include "api/api.h"

/* Schema rows for Filters (at most 10 filters, 5 values each) and Offset/Limit. */
extern const struct param filter_fields[];
#define P_FILTERS P_OBJS("Filters", 0, 10, filter_fields)

/* InvalidFilter unless every filter name is in allowed (a NULL-terminated list; a trailing ':' allows a prefix). */
int filters_validate(struct api_ctx *ctx, const char *const *allowed);
/* 1 if the filter `name` is absent or one of its values equals value. */
int filter_match(struct api_ctx *ctx, const char *name, const char *value);
/* Values of filters whose name starts with prefix (e.g. "tag:"), for custom matching. */
json_t *filter_get(struct api_ctx *ctx, const char *name);
/* 1 if the string array holds v. */
int values_contain(json_t *values, const char *v);
/* The tag filters (tag-key, tag-value, tag:<key>) against a resource's tags ([{Key, Value}] as JSON text). */
int filter_tags_match(struct api_ctx *ctx, const char *tags_json);

#endif

#ifndef YUN_API_TAGS
#define YUN_API_TAGS
extern const struct param tag_spec_fields[]; /* TagSpecification [{ResourceType, Tags[{Key, Value}]}] */
#define P_TAG_SPEC P_OBJS("TagSpecification", 0, 10, tag_spec_fields)
#endif
