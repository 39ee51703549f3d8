/*
 * meter: what each billable resource used, as intervals. A service records, in the same
 * transaction as the state change that causes it, that from time t a resource's component is
 * metered as (item, quantity) — or no longer metered. Billing only reads these intervals (it never
 * writes a service's tables, and services never write billing's): settlement turns the part of
 * each interval inside an hour into rated bill rows.
 *
 * Times are the business clock (clock_now()). Quantities are integers in the component's unit
 * (1 for an instance, vCPUs, GiB, bytes...), named by the price book row that prices them.
 */
#ifndef YUN_METER_H
#define YUN_METER_H

#include <stdint.h>

#include "store/store.h"

struct meter_use {
    const char *owner_uin;
    const char *resource_id;
    const char *resource_name;
    const char *product;   /* price book product: cvm, cbs, vpc, cos */
    const char *component; /* price book component, e.g. v_cvm_cpu */
    const char *item;      /* price book item, e.g. the instance family or the disk type */
    const char *region, *zone;
    const char *tags; /* JSON array of {Key, Value}, as the resource has them; NULL = [] */
    int64_t quantity; /* 0 = not metered from t on */
    int64_t project_id;
};

int meter_migrate(struct store *s, char *err, size_t errlen);

/* From t on, u->resource_id's u->component is metered as u's item and quantity (0 = not at all).
 * Idempotent: the same use again changes nothing. Runs in the caller's transaction. */
int meter_set(struct store *s, const struct meter_use *u, int64_t t);
/* From t on, nothing of resource_id is metered (component NULL = every component). */
int meter_stop(struct store *s, const char *resource_id, const char *component, int64_t t);

/* Adds u->quantity to what u->resource_id's u->component counted (requests, bytes sent) in the
 * hour holding t; counts are priced per use. Runs in the caller's transaction. */
int meter_count(struct store *s, const struct meter_use *u, int64_t t);

/* One interval, as settlement reads it: [start, end) with end 0 while still open; or a count
 * (is_count) of the hour [start, end). */
struct meter_interval {
    const char *owner_uin, *resource_id, *resource_name, *product, *component, *item, *region, *zone, *tags;
    int64_t quantity, project_id, start, end;
    int is_count;
};
typedef int (*meter_fn)(const struct meter_interval *iv, void *arg);
/* Calls fn for each account with intervals overlapping [from, to) or counts in it (iv has only
 * owner_uin set). */
int meter_owners(struct store *s, int64_t from, int64_t to, meter_fn fn, void *arg);
/* Calls fn for every interval of owner overlapping [from, to), then for every count of the hours
 * in it, in no particular order. A non-zero return from fn stops the walk and is returned. */
int meter_each(struct store *s, const char *owner_uin, int64_t from, int64_t to, meter_fn fn, void *arg);

#endif
