/*
 * lighthouse: the service's life cycle: its migration chain, the default prices it puts in
 * billing's price book, and its action tables (the actions of 2020-03-24 not listed there answer
 * the API's unknown-action error; the README lists them as unsupported).
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "lighthouse/lighthouse_int.h"

int lighthouse_migrate(struct store *s, char *err, size_t errlen)
{
    if (store_migrate(s, "lighthouse", lh_migrations, lh_migration_count, err, errlen) != 0)
        return -1;
    return lh_seed_prices(s, err, errlen);
}

void lighthouse_register(void)
{
    lh_blueprint_register();
    lh_bundle_register();
    lh_instance_register();
    lh_firewall_register();
}
