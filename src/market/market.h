/*
 * market (service market, yun extension 2026-01-01): the marketplace. ISVs (accounts the operator
 * names) publish packages — an image with a price, or a solution described by a declarative
 * template (template.c) — in versions the operator reviews; customers see approved versions and
 * deploy them. A deployment is driven by market's controller step by step from its template, each
 * step persisted, through the other services' own actions (the same handlers the API runs); a
 * failed step rolls back everything made so far. The package price is metered as its own bill
 * component; the ISV's share is credited at month end through billing's ledger. A deployed guest
 * reads a license signed by the region (Ed25519) from the metadata service.
 */
#ifndef YUN_MARKET_H
#define YUN_MARKET_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

#define MARKET "2026-01-01"

int market_migrate(struct store *s, char *err, size_t errlen);
void market_register(void); /* the actions, the month-end share job, the metadata hooks */
/* The deployment controller (host role): resumes what the store says is in flight. */
int market_start(const struct config *cfg, char *err, size_t errlen);
void market_stop(void);

/* yun admin isv: make uin an ISV with share_ppm of its packages' revenue (its own transaction). */
int market_make_isv(struct store *s, const char *uin, int64_t share_ppm, char *err, size_t errlen);
int market_make_isv_tx(struct store *s, const char *uin, int64_t share_ppm, char *err, size_t errlen);

#endif
