/*
 * lighthouse: the service's life cycle: its migration chain, the default prices it puts in
 * billing's price book, and its action tables (the actions of 2020-03-24 not listed there answer
 * the API's unknown-action error; the README lists them as unsupported).
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "compute/compute.h"
#include "lighthouse/lighthouse_int.h"

/* What billing does to a lighthouse instance at the end of its prepaid period: stop it (it stays
 * stopped until renewed: StartInstances refuses an expired instance), and release it when the
 * retention ends. Each runs lighthouse's own action row as the owner, in billing's transaction. */
static int on_billing(struct store *s, const char *id, const char *action)
{
    struct lh_instance in;
    int rc = lh_store_instance_by_id(s, id, &in);
    if (rc != 1)
        return rc < 0 ? -1 : 0;
    struct api_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    char region[64];
    config_zone_region(NULL, in.zone, region); /* billing's hook has no config: the naming rule */
    ctx.store = s;
    ctx.request_id = "billing";
    ctx.region = region;
    ctx.source_ip = "";
    ctx.language = "";
    snprintf(ctx.who.owner_uin, sizeof ctx.who.owner_uin, "%s", in.owner);
    snprintf(ctx.who.user_uin, sizeof ctx.who.user_uin, "%s", in.owner);
    ctx.who.is_root = 1;
    json_t *p = !strcmp(action, "StopInstances") ? json_pack("{s:[s],s:s}", "InstanceIds", id, "StopType", "HARD")
                                                 : json_pack("{s:[s]}", "InstanceIds", id);
    ctx.params = p;
    ctx.out = json_object();
    rc = lh_call(&ctx, "lighthouse", action, p, NULL);
    json_decref(p);
    json_decref(ctx.out);
    /* already stopped (or on its way): nothing to do */
    if (rc != 0 && !strcmp(ctx.code, E_LH_INVALID_INSTANCE_STATE))
        rc = 0;
    if (rc != 0)
        log_msg(LOG_WARN, "lighthouse: %s of %s for billing: %s %s", action, id, ctx.code, ctx.message);
    return rc;
}

static int on_expire(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return on_billing(s, id, "StopInstances");
}

static int on_reclaim(struct store *s, const char *id, int64_t t)
{
    (void)t;
    return on_billing(s, id, "TerminateInstances");
}

static const struct billing_product lighthouse_product = {"lighthouse", NULL, NULL,       NULL,
                                                          on_expire,    NULL, on_reclaim, compute_kick};

int lighthouse_migrate(struct store *s, char *err, size_t errlen)
{
    if (store_migrate(s, "lighthouse", lh_migrations, lh_migration_count, err, errlen) != 0)
        return -1;
    return lh_seed_prices(s, err, errlen);
}

void lighthouse_register(void)
{
    billing_register_product(&lighthouse_product);
    lh_region_register();
    lh_blueprint_register();
    lh_bundle_register();
    lh_instance_register();
    lh_firewall_register();
}
