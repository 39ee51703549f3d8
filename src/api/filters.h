/* filters: the Filters=[{Name,Values[]}] convention of Describe* actions (ANDed names, ORed values)
 * and their Offset/Limit pages, shared by every product (cvm, cbs, vpc). */
#ifndef YUN_API_FILTERS_H
#define YUN_API_FILTERS_H

#include "api/api.h"

/* Schema rows for Filters (at most 10 filters, 5 values each) and Offset/Limit. */
extern const struct param filter_fields[], filter_fields_wide[];
#define P_FILTERS      P_OBJS("Filters", 0, 10, filter_fields)      /* cvm, cbs: 5 values a filter */
#define P_FILTERS_WIDE P_OBJS("Filters", 0, 10, filter_fields_wide) /* vpc: 100 values a filter */

/* Refuses a filter name not in allowed (a NULL-terminated list; a trailing ':' allows a prefix),
 * with the product's code (InvalidFilter; vpc: InvalidParameter.FilterInvalidKey). */
int filters_validate(struct api_ctx *ctx, const char *const *allowed);
/* Refuses ids_name (InstanceIds, VpcIds...) given together with Filters, with the product's code. */
int filters_exclusive(struct api_ctx *ctx, const char *ids_name);
/* 1 if the filter `name` is absent or one of its values equals value. */
int filter_match(struct api_ctx *ctx, const char *name, const char *value);
/* Values of filters whose name starts with prefix (e.g. "tag:"), for custom matching. */
json_t *filter_get(struct api_ctx *ctx, const char *name);
/* 1 if the string array holds v. */
int values_contain(json_t *values, const char *v);
/* The tag filters (tag-key, tag-value, tag:<key>) against a resource's tags ([{Key, Value}] as JSON text). */
int filter_tags_match(struct api_ctx *ctx, const char *tags_json);

/* One page of a Describe* listing: every matching row is offered in order with page_take, which
 * counts it and says whether it falls in [offset, offset + limit) (then the caller adds its JSON
 * to p->set). page_finish answers TotalCount and the set under set_name; page_drop on errors. */
struct page {
    int64_t offset, limit, total;
    json_t *set;
};
void page_start(struct page *p, int64_t offset, int64_t limit);
int page_take(struct page *p);
void page_finish(struct api_ctx *ctx, struct page *p, const char *set_name);
void page_drop(struct page *p);

#endif

#ifndef YUN_API_TAGS
#define YUN_API_TAGS
/* Tags [{Key, Value}]: cvm and cbs require the Value, vpc does not (as in their API models). */
extern const struct param tag_fields[], tag_fields_optional_value[];
extern const struct param tag_spec_fields[]; /* TagSpecification [{ResourceType, Tags[{Key, Value}]}] */
#define P_TAG_SPEC P_OBJS("TagSpecification", 0, 10, tag_spec_fields)
#endif
