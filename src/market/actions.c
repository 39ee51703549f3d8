/*
 * actions: the market service (yun extension, version 2026-01-01), reached with the SDK's
 * CommonClient and `yun call market ...`:
 *   operator  CreateIsv, ReviewPackage (and DescribeIsvPackages of every ISV)
 *   ISV       CreatePackage, CreatePackageVersion, SubmitPackageVersion, DescribeIsvPackages,
 *             DescribeIsvSales
 *   customer  DescribePackages (approved versions only), DeployPackage, DescribeDeployments,
 *             DescribeDeploymentEvents, UpdateDeployment, DeleteDeployment, DescribeLicenseKey
 * A template is checked when a version is made and submitted, and again with the parameters at
 * deploy and update: nothing is recorded when a check fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing.h"
#include "compute/compute.h"
#include "identity/identity.h"
#include "market/market_int.h"

static void kick(void) { market_kick(); }

static int operator_only(struct api_ctx *ctx, const char *what)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op == 1)
        return 0;
    return api_fail(ctx, op < 0 ? E_INTERNAL_ERROR : E_UNAUTHORIZED_OPERATION,
                    "Only the operator of this cloud may %s.", what);
}

static int isv_only(struct api_ctx *ctx)
{
    struct isv i;
    int rc = mstore_isv_get(ctx->store, ctx->who.owner_uin, &i);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_MARKET_NOT_ISV,
                    "This account is not an ISV of the marketplace: the operator makes it one (CreateIsv).");
}

static int store_failed(struct api_ctx *ctx) { return api_fail(ctx, E_INTERNAL_ERROR, "The market store failed."); }

int market_make_isv_tx(struct store *s, const char *uin, int64_t share_ppm, char *err, size_t errlen)
{
    int rc = identity_account_exists(s, uin);
    if (rc != STORE_FOUND) {
        snprintf(err, errlen, rc < 0 ? "store: the accounts are unavailable" : "no root account has Uin %s", uin);
        return -1;
    }
    if (share_ppm < 0 || share_ppm > BILLING_PPM) {
        snprintf(err, errlen, "the ISV's share is a percentage from 0 to 100");
        return -1;
    }
    if (mstore_isv_put(s, uin, share_ppm, clock_now()) != 0) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    return 0;
}

int market_make_isv(struct store *s, const char *uin, int64_t share_ppm, char *err, size_t errlen)
{
    if (store_begin(s) != STORE_OK) {
        snprintf(err, errlen, "store: busy");
        return -1;
    }
    if (market_make_isv_tx(s, uin, share_ppm, err, errlen) != 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s) == STORE_OK ? 0 : (snprintf(err, errlen, "store: commit failed"), -1);
}

static int create_isv(struct api_ctx *ctx)
{
    if (operator_only(ctx, "make ISVs") != 0)
        return -1;
    const char *uin = api_str(ctx, "Uin", "");
    int64_t pct = api_int(ctx, "SharePercent", 70);
    char err[256];
    if (market_make_isv_tx(ctx->store, uin, pct * (BILLING_PPM / 100), err, sizeof err) != 0)
        return api_fail(ctx, strstr(err, "no root") ? E_RESOURCE_NOT_FOUND : E_INTERNAL_ERROR, "%s.", err);
    json_object_set_new(ctx->out, "Uin", json_string(uin));
    json_object_set_new(ctx->out, "SharePercent", json_integer(pct));
    return 0;
}

/* The version's fields from the request; the template checked (solution) or made (image). */
static int version_from_request(struct api_ctx *ctx, const char *kind, struct pkg_version *v)
{
    snprintf(v->description, sizeof v->description, "%s", api_str(ctx, "Description", ""));
    snprintf(v->logo_url, sizeof v->logo_url, "%s", api_str(ctx, "LogoUrl", ""));
    v->price_month = api_int(ctx, "PricePerMonth", 0);
    v->price_hour = api_int(ctx, "PricePerHour", 0);
    json_t *bundles = json_object_get(ctx->params, "Bundles");
    v->bundles = bundles ? json_incref(bundles) : json_array();
    if (!strcmp(kind, "image")) {
        const char *image = api_str(ctx, "ImageId", "");
        if (strncmp(image, "img-", 4) != 0)
            return api_fail(ctx, E_INVALID_PARAMETER_VALUE, "An image package names its image: ImageId img-...");
        snprintf(v->image_id, sizeof v->image_id, "%s", image);
        json_t *types = json_array_size(v->bundles) ? json_incref(v->bundles) : json_pack("[s]", "S5.SMALL1");
        v->template =
            json_pack("{s:{s:{s:s,s:O,s:o},s:{s:s,s:s}},s:{s:{s:s,s:{s:s,s:{s:s},s:{s:s}}}},s:{s:{s:s},s:{s:s}}}",
                      "parameters", "instance_type", "type", "string", "default", json_array_get(types, 0), "allowed",
                      types, "key_id", "type", "string", "default", "", "resources", "app", "type", "instance",
                      "properties", "image", image, "instance_type", "param", "instance_type", "key_ids", "param",
                      "key_id", "outputs", "instance_id", "ref", "app.id", "private_ip", "ref", "app.private_ip");
        return 0;
    }
    const char *text = api_str(ctx, "Template", NULL);
    if (!text)
        return api_fail(ctx, E_MISSING_PARAMETER, "A solution package needs its Template (a JSON document).");
    json_error_t je;
    v->template = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!v->template)
        return api_fail(ctx, E_MARKET_BAD_TEMPLATE, "The template is not valid JSON: %s (line %d).", je.text, je.line);
    char msg[400];
    if (tpl_check(v->template, msg, sizeof msg) != 0)
        return api_fail(ctx, E_MARKET_BAD_TEMPLATE, "The template is refused: %s", msg);
    return 0;
}

static int create_package(struct api_ctx *ctx)
{
    if (isv_only(ctx) != 0)
        return -1;
    const char *kind = api_str(ctx, "Kind", "solution");
    struct pkg_version v;
    memset(&v, 0, sizeof v);
    random_id("pkg-", v.package_id, sizeof v.package_id);
    v.version = 1;
    v.created = clock_now();
    snprintf(v.state, sizeof v.state, "%s", PKG_DRAFT);
    int rc = version_from_request(ctx, kind, &v);
    if (rc == 0 && (mstore_package_put(ctx->store, v.package_id, ctx->who.owner_uin, api_str(ctx, "Name", ""), kind,
                                       v.created) != 0 ||
                    mstore_version_put(ctx->store, &v) != 0))
        rc = store_failed(ctx);
    if (rc == 0) {
        json_object_set_new(ctx->out, "PackageId", json_string(v.package_id));
        json_object_set_new(ctx->out, "Version", json_integer(v.version));
        snprintf(ctx->resource, sizeof ctx->resource, "qcs::market:%s:uin/%s:package/%s", ctx->region,
                 ctx->who.owner_uin, v.package_id);
    }
    pkg_version_free(&v);
    return rc;
}

/* The caller's own package: STORE_FOUND, or -1 answered. */
static int own_package(struct api_ctx *ctx, const char *id, char kind[16])
{
    char isv[24];
    int rc = mstore_package_owner(ctx->store, id, isv, kind);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_NOT_FOUND || strcmp(isv, ctx->who.owner_uin))
        return api_fail(ctx, E_MARKET_NOT_FOUND, "Package %s is not found.", id);
    return STORE_FOUND;
}

static int create_package_version(struct api_ctx *ctx)
{
    if (isv_only(ctx) != 0)
        return -1;
    const char *id = api_str(ctx, "PackageId", "");
    char kind[16];
    if (own_package(ctx, id, kind) != STORE_FOUND)
        return -1;
    struct pkg_version v;
    memset(&v, 0, sizeof v);
    snprintf(v.package_id, sizeof v.package_id, "%s", id);
    int64_t last = mstore_version_last(ctx->store, id);
    if (last < 0)
        return store_failed(ctx);
    v.version = last + 1;
    v.created = clock_now();
    snprintf(v.state, sizeof v.state, "%s", PKG_DRAFT);
    int rc = version_from_request(ctx, kind, &v);
    if (rc == 0 && mstore_version_put(ctx->store, &v) != 0)
        rc = store_failed(ctx);
    if (rc == 0) {
        json_object_set_new(ctx->out, "PackageId", json_string(id));
        json_object_set_new(ctx->out, "Version", json_integer(v.version));
    }
    pkg_version_free(&v);
    return rc;
}

static int submit_package_version(struct api_ctx *ctx)
{
    if (isv_only(ctx) != 0)
        return -1;
    const char *id = api_str(ctx, "PackageId", "");
    int64_t version = api_int(ctx, "Version", 0);
    char kind[16];
    if (own_package(ctx, id, kind) != STORE_FOUND)
        return -1;
    struct pkg_version v;
    int rc = mstore_version_get(ctx->store, id, version, &v);
    if (rc != STORE_FOUND)
        return rc < 0 ? store_failed(ctx)
                      : api_fail(ctx, E_MARKET_NOT_FOUND, "Package %s has no version %lld.", id, (long long)version);
    char msg[400];
    if (strcmp(v.state, PKG_DRAFT) && strcmp(v.state, PKG_REJECTED))
        rc = api_fail(ctx, E_MARKET_WRONG_STATE,
                      "Version %lld of %s is %s: only a draft or a rejected version is"
                      " submitted.",
                      (long long)version, id, v.state);
    else if (tpl_check(v.template, msg, sizeof msg) != 0)
        rc = api_fail(ctx, E_MARKET_BAD_TEMPLATE, "The template is refused: %s", msg);
    else if (mstore_version_state(ctx->store, id, version, v.state, PKG_REVIEWING, "", 0) != 1)
        rc = store_failed(ctx);
    else
        rc = 0;
    pkg_version_free(&v);
    if (rc == 0)
        json_object_set_new(ctx->out, "State", json_string(PKG_REVIEWING));
    return rc;
}

static int review_package(struct api_ctx *ctx)
{
    if (operator_only(ctx, "review packages") != 0)
        return -1;
    const char *id = api_str(ctx, "PackageId", ""), *result = api_str(ctx, "Result", "");
    const char *reason = api_str(ctx, "Reason", "");
    int64_t version = api_int(ctx, "Version", 0);
    struct pkg_version v;
    int rc = mstore_version_get(ctx->store, id, version, &v);
    if (rc != STORE_FOUND)
        return rc < 0 ? store_failed(ctx)
                      : api_fail(ctx, E_MARKET_NOT_FOUND, "Package %s has no version %lld.", id, (long long)version);
    int approve = !strcmp(result, "approve");
    char err[256];
    if (strcmp(v.state, PKG_REVIEWING))
        rc = api_fail(ctx, E_MARKET_WRONG_STATE, "Version %lld of %s is %s, not under review.", (long long)version, id,
                      v.state);
    else if (!approve && !*reason)
        rc = api_fail(ctx, E_INVALID_PARAMETER_VALUE, "A rejection gives the ISV its Reason.");
    else if (mstore_version_state(ctx->store, id, version, PKG_REVIEWING, approve ? PKG_APPROVED : PKG_REJECTED, reason,
                                  clock_now()) != 1)
        rc = store_failed(ctx);
    else if (approve && revenue_price_put(ctx->store, &v, clock_now(), err, sizeof err) != 0)
        rc = api_fail(ctx, E_INTERNAL_ERROR, "The package price could not enter the price book: %s", err);
    else
        rc = 0;
    pkg_version_free(&v);
    if (rc == 0)
        json_object_set_new(ctx->out, "State", json_string(approve ? PKG_APPROVED : PKG_REJECTED));
    return rc;
}

static json_t *version_view(const struct pkg_version *v, int full)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:I,s:I,s:O,s:s}", "PackageId", v->package_id, "Name", v->name,
                          "Kind", v->kind, "IsvUin", v->isv_uin, "Version", (json_int_t)v->version, "Description",
                          v->description, "LogoUrl", v->logo_url, "PricePerMonth", (json_int_t)v->price_month,
                          "PricePerHour", (json_int_t)v->price_hour, "Bundles", v->bundles, "ImageId", v->image_id);
    json_object_set(o, "Parameters", json_object_get(v->template, "parameters") ?: json_object());
    if (full) {
        json_object_set_new(o, "State", json_string(v->state));
        json_object_set_new(o, "Reason", json_string(v->reason));
        char *t = v->template ? json_dumps(v->template, JSON_COMPACT) : NULL;
        json_object_set_new(o, "Template", json_string(t ? t : ""));
        free(t);
    }
    return o;
}

static int describe_packages(struct api_ctx *ctx)
{
    struct pkg_version *vs;
    int n;
    if (mstore_versions(ctx->store, NULL, api_str(ctx, "PackageId", NULL), PKG_APPROVED, &vs, &n) != 0)
        return store_failed(ctx);
    json_t *set = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(set, version_view(&vs[i], 0));
        pkg_version_free(&vs[i]);
    }
    free(vs);
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "PackageSet", set);
    return 0;
}

static int describe_isv_packages(struct api_ctx *ctx)
{
    int op = identity_is_operator(ctx->store, ctx->who.owner_uin);
    if (op != 1 && isv_only(ctx) != 0)
        return -1;
    struct pkg_version *vs;
    int n;
    if (mstore_versions(ctx->store, op == 1 ? NULL : ctx->who.owner_uin, api_str(ctx, "PackageId", NULL),
                        api_str(ctx, "State", NULL), &vs, &n) != 0)
        return store_failed(ctx);
    json_t *set = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(set, version_view(&vs[i], 1));
        pkg_version_free(&vs[i]);
    }
    free(vs);
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "PackageSet", set);
    return 0;
}

static int describe_isv_sales(struct api_ctx *ctx)
{
    if (isv_only(ctx) != 0)
        return -1;
    struct isv me;
    struct deployment *ds;
    struct share *sh;
    int nd, ns;
    if (mstore_isv_get(ctx->store, ctx->who.owner_uin, &me) != STORE_FOUND ||
        mstore_isv_deployments(ctx->store, ctx->who.owner_uin, &ds, &nd) != 0)
        return store_failed(ctx);
    json_t *per = json_object();
    for (int i = 0; i < nd; i++) {
        json_t *p = json_object_get(per, ds[i].package_id);
        if (!p) {
            p = json_pack("{s:s,s:i,s:i}", "PackageId", ds[i].package_id, "Deployments", 0, "Active", 0);
            json_object_set_new(per, ds[i].package_id, p);
        }
        json_object_set_new(p, "Deployments", json_integer(json_integer_value(json_object_get(p, "Deployments")) + 1));
        if (!strcmp(ds[i].state, DEP_DEPLOYED) || !strcmp(ds[i].state, DEP_UPDATING))
            json_object_set_new(p, "Active", json_integer(json_integer_value(json_object_get(p, "Active")) + 1));
        deployment_free(&ds[i]);
    }
    free(ds);
    json_t *packages = json_array();
    const char *k;
    json_t *v;
    json_object_foreach (per, k, v)
        json_array_append(packages, v);
    json_decref(per);
    if (mstore_shares(ctx->store, ctx->who.owner_uin, &sh, &ns) != 0) {
        json_decref(packages);
        return store_failed(ctx);
    }
    json_t *months = json_array();
    for (int i = 0; i < ns; i++)
        json_array_append_new(months, json_pack("{s:s,s:I,s:I,s:s}", "Month", sh[i].month, "SalesFine",
                                                (json_int_t)sh[i].sales_fine, "ShareCents",
                                                (json_int_t)sh[i].share_cents, "BillId", sh[i].bill_id));
    free(sh);
    json_object_set_new(ctx->out, "SharePercent", json_integer(me.share_ppm / (BILLING_PPM / 100)));
    json_object_set_new(ctx->out, "PackageSales", packages);
    json_object_set_new(ctx->out, "MonthlyShares", months);
    return 0;
}

/* [{Name, Value}] as an object. */
static json_t *given_params(struct api_ctx *ctx)
{
    json_t *out = json_object(), *list = json_object_get(ctx->params, "Parameters");
    size_t i;
    json_t *p;
    json_array_foreach (list, i, p)
        json_object_set(out, json_string_value(json_object_get(p, "Name")), json_object_get(p, "Value"));
    return out;
}

/* Writes the steps of plan not yet among the deployment's live ones; dooms live ones plan drops.
 * Returns how many changed, or -1. */
static int apply_plan(struct store *s, const char *deployment_id, json_t *plan)
{
    struct step *steps;
    int n, changed = 0;
    if (mstore_steps(s, deployment_id, &steps, &n) != 0)
        return -1;
    int64_t seq = mstore_step_next_seq(s, deployment_id);
    size_t i;
    json_t *e;
    json_array_foreach (plan, i, e) {
        const char *res = json_string_value(json_object_get(e, "resource"));
        int64_t member = json_integer_value(json_object_get(e, "member"));
        int have = 0;
        for (int j = 0; j < n; j++)
            have |= strcmp(steps[j].state, STEP_DELETED) && strcmp(steps[j].state, STEP_DOOMED) &&
                    !strcmp(steps[j].resource, res) && steps[j].member == member;
        if (have)
            continue;
        struct step st = {.seq = seq++, .member = member};
        snprintf(st.deployment_id, sizeof st.deployment_id, "%s", deployment_id);
        snprintf(st.resource, sizeof st.resource, "%s", res);
        snprintf(st.type, sizeof st.type, "%s", json_string_value(json_object_get(e, "type")));
        snprintf(st.state, sizeof st.state, "%s", STEP_PENDING);
        if (mstore_step_put(s, &st) != 0)
            goto failed;
        changed++;
    }
    for (int j = 0; j < n; j++) {
        if (!strcmp(steps[j].state, STEP_DELETED) || !strcmp(steps[j].state, STEP_DOOMED))
            continue;
        int wanted = 0;
        json_array_foreach (plan, i, e)
            wanted |= !strcmp(json_string_value(json_object_get(e, "resource")), steps[j].resource) &&
                      json_integer_value(json_object_get(e, "member")) == steps[j].member;
        if (wanted)
            continue;
        snprintf(steps[j].state, sizeof steps[j].state, "%s", STEP_DOOMED);
        if (mstore_step_update(s, &steps[j]) != 0)
            goto failed;
        changed++;
    }
    steps_free(steps, n);
    return changed;
failed:
    steps_free(steps, n);
    return -1;
}

static int deploy_package(struct api_ctx *ctx)
{
    const char *id = api_str(ctx, "PackageId", ""), *token = api_str(ctx, "ClientToken", "");
    if (*token) {
        char existing[24];
        int rc = mstore_deployment_by_token(ctx->store, ctx->who.owner_uin, token, existing);
        if (rc < 0)
            return store_failed(ctx);
        if (rc == STORE_FOUND) {
            json_object_set_new(ctx->out, "DeploymentId", json_string(existing));
            return 0;
        }
    }
    int64_t version = api_int(ctx, "Version", 0);
    if (!version) { /* the newest approved */
        struct pkg_version *vs;
        int n;
        if (mstore_versions(ctx->store, NULL, id, PKG_APPROVED, &vs, &n) != 0)
            return store_failed(ctx);
        for (int i = 0; i < n; i++) {
            version = vs[i].version > version ? vs[i].version : version;
            pkg_version_free(&vs[i]);
        }
        free(vs);
    }
    struct pkg_version v;
    int rc = mstore_version_get(ctx->store, id, version, &v);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_NOT_FOUND || strcmp(v.state, PKG_APPROVED)) {
        if (rc == STORE_FOUND)
            pkg_version_free(&v);
        return api_fail(ctx, E_MARKET_NOT_FOUND, "Package %s has no approved version%s.", id,
                        version ? " of that number" : "");
    }
    char msg[400];
    json_t *given = given_params(ctx);
    json_t *params = tpl_params(v.template, given, msg, sizeof msg);
    json_decref(given);
    json_t *plan = params ? tpl_plan(v.template, params, msg, sizeof msg) : NULL;
    struct deployment d = {.version = version, .created = clock_now(), .params = params};
    random_id("dep-", d.id, sizeof d.id);
    snprintf(d.owner, sizeof d.owner, "%s", ctx->who.owner_uin);
    snprintf(d.package_id, sizeof d.package_id, "%s", id);
    snprintf(d.region, sizeof d.region, "%s", ctx->region);
    const struct region_conf *rg = config_find_region(ctx->config, ctx->region);
    snprintf(d.zone, sizeof d.zone, "%s", api_str(ctx, "Zone", rg && rg->nzones ? rg->zones[0].zone : ""));
    snprintf(d.state, sizeof d.state, "%s", DEP_DEPLOYING);
    snprintf(d.token, sizeof d.token, "%s", token);
    if (!plan)
        rc = api_fail(ctx, E_MARKET_BAD_PARAMETER, "%s", msg);
    else if (json_array_size(plan) == 0)
        rc = api_fail(ctx, E_MARKET_BAD_PARAMETER, "With these parameters the deployment would make nothing.");
    else if (mstore_deployment_put(ctx->store, &d) != 0 || apply_plan(ctx->store, d.id, plan) < 0 ||
             mstore_event(ctx->store, d.id, "INFO", "", "accepted", d.created) != 0)
        rc = store_failed(ctx);
    else
        rc = 0;
    json_decref(plan);
    json_decref(params);
    pkg_version_free(&v);
    if (rc != 0)
        return -1;
    json_object_set_new(ctx->out, "DeploymentId", json_string(d.id));
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::market:%s:uin/%s:deployment/%s", ctx->region,
             ctx->who.owner_uin, d.id);
    ctx->after_commit = kick;
    return 0;
}

static int describe_deployments(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "DeploymentIds");
    struct deployment *ds;
    int n;
    if (mstore_deployments(ctx->store, ctx->who.owner_uin, NULL, &ds, &n) != 0)
        return store_failed(ctx);
    json_t *set = json_array();
    for (int i = 0; i < n; i++) {
        int wanted = !json_array_size(ids);
        size_t k;
        json_t *e;
        json_array_foreach (ids, k, e)
            wanted |= !strcmp(json_string_value(e), ds[i].id);
        struct step *steps = NULL;
        int ns = 0;
        if (wanted && mstore_steps(ctx->store, ds[i].id, &steps, &ns) == 0) {
            json_t *res = json_array();
            for (int j = 0; j < ns; j++)
                json_array_append_new(res, json_pack("{s:s,s:I,s:s,s:s,s:s,s:s}", "Name", steps[j].resource, "Member",
                                                     (json_int_t)steps[j].member, "Type", steps[j].type, "State",
                                                     steps[j].state, "ResourceId", steps[j].cloud_id, "Error",
                                                     steps[j].error));
            char created[32], updated[32];
            time_cam(ds[i].created, created);
            time_cam(ds[i].updated, updated);
            json_array_append_new(
                set, json_pack("{s:s,s:s,s:I,s:s,s:O,s:O,s:o,s:s,s:s,s:s,s:s}", "DeploymentId", ds[i].id, "PackageId",
                               ds[i].package_id, "Version", (json_int_t)ds[i].version, "State", ds[i].state,
                               "Parameters", ds[i].params, "Outputs", ds[i].outputs, "Resources", res, "Error",
                               ds[i].error, "Zone", ds[i].zone, "CreatedTime", created, "UpdatedTime", updated));
            steps_free(steps, ns);
        }
        deployment_free(&ds[i]);
    }
    free(ds);
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "DeploymentSet", set);
    return 0;
}

static int own_deployment(struct api_ctx *ctx, struct deployment *d)
{
    const char *id = api_str(ctx, "DeploymentId", "");
    int rc = mstore_deployment_get(ctx->store, ctx->who.owner_uin, id, d);
    if (rc < 0)
        return store_failed(ctx);
    if (rc == STORE_NOT_FOUND)
        return api_fail(ctx, E_MARKET_NOT_FOUND, "Deployment %s is not found.", id);
    return 0;
}

static int describe_deployment_events(struct api_ctx *ctx)
{
    struct deployment d;
    if (own_deployment(ctx, &d) != 0)
        return -1;
    struct event *ev;
    int n;
    int rc = mstore_events(ctx->store, d.id, &ev, &n);
    deployment_free(&d);
    if (rc != 0)
        return store_failed(ctx);
    json_t *set = json_array();
    for (int i = 0; i < n; i++) {
        char t[32];
        time_cam(ev[i].time, t);
        json_array_append_new(set,
                              json_pack("{s:I,s:s,s:s,s:s,s:s}", "Sequence", (json_int_t)ev[i].n, "Time", t, "Level",
                                        ev[i].level, "Resource", ev[i].resource, "Message", ev[i].message));
    }
    free(ev);
    json_object_set_new(ctx->out, "TotalCount", json_integer((json_int_t)json_array_size(set)));
    json_object_set_new(ctx->out, "EventSet", set);
    return 0;
}

static int update_deployment(struct api_ctx *ctx)
{
    struct deployment d;
    if (own_deployment(ctx, &d) != 0)
        return -1;
    struct pkg_version v;
    int rc = STORE_NOT_FOUND;
    if (strcmp(d.state, DEP_DEPLOYED)) {
        api_fail(ctx, E_MARKET_WRONG_STATE, "Deployment %s is %s: only a deployed one is updated.", d.id, d.state);
        deployment_free(&d);
        return -1;
    }
    rc = mstore_version_get(ctx->store, d.package_id, d.version, &v);
    if (rc != STORE_FOUND) {
        deployment_free(&d);
        return store_failed(ctx);
    }
    json_t *given = given_params(ctx), *merged = json_deep_copy(d.params);
    json_object_update(merged, given);
    json_decref(given);
    char msg[400];
    json_t *params = tpl_params(v.template, merged, msg, sizeof msg);
    json_decref(merged);
    json_t *plan = params ? tpl_plan(v.template, params, msg, sizeof msg) : NULL;
    int changed = 0;
    if (!plan)
        rc = api_fail(ctx, E_MARKET_BAD_PARAMETER, "%s", msg);
    else if ((changed = apply_plan(ctx->store, d.id, plan)) < 0 ||
             mstore_deployment_params(ctx->store, d.id, params, clock_now()) != 0 ||
             (changed &&
              (mstore_deployment_state(ctx->store, d.id, DEP_DEPLOYED, DEP_UPDATING, NULL, clock_now()) != 1 ||
               mstore_event(ctx->store, d.id, "INFO", "", "update accepted", clock_now()) != 0)))
        rc = store_failed(ctx);
    else
        rc = 0;
    json_decref(plan);
    json_decref(params);
    pkg_version_free(&v);
    if (rc == 0) {
        json_object_set_new(ctx->out, "DeploymentId", json_string(d.id));
        json_object_set_new(ctx->out, "State", json_string(changed ? DEP_UPDATING : DEP_DEPLOYED));
        json_object_set_new(ctx->out, "ChangedResources", json_integer(changed));
        ctx->after_commit = kick;
    }
    deployment_free(&d);
    return rc;
}

static int delete_deployment(struct api_ctx *ctx)
{
    struct deployment d;
    if (own_deployment(ctx, &d) != 0)
        return -1;
    int rc = 0;
    if (!strcmp(d.state, DEP_DELETED) || !strcmp(d.state, DEP_ROLLED_BACK) || !strcmp(d.state, DEP_DELETING) ||
        !strcmp(d.state, DEP_ROLLING))
        rc = api_fail(ctx, E_MARKET_WRONG_STATE, "Deployment %s is %s.", d.id, d.state);
    else if (mstore_deployment_state(ctx->store, d.id, d.state, DEP_DELETING, NULL, clock_now()) != 1 ||
             revenue_meter(ctx->store, &d, 0, clock_now()) != 0 ||
             mstore_event(ctx->store, d.id, "INFO", "", "delete accepted", clock_now()) != 0)
        rc = store_failed(ctx);
    if (rc == 0) {
        json_object_set_new(ctx->out, "DeploymentId", json_string(d.id));
        ctx->after_commit = kick;
    }
    deployment_free(&d);
    return rc;
}

static int describe_license_key(struct api_ctx *ctx)
{
    char pub[64];
    if (license_public_key(ctx->store, pub) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The region's license key is unavailable.");
    uint8_t raw[40];
    size_t n = 0;
    char h[65];
    base64_decode(pub, strlen(pub), raw, sizeof raw, &n);
    sha256_hex(raw, n, h);
    h[16] = 0;
    json_object_set_new(ctx->out, "Algorithm", json_string("Ed25519"));
    json_object_set_new(ctx->out, "PublicKey", json_string(pub));
    json_object_set_new(ctx->out, "KeyId", json_string(h));
    return 0;
}

/* The metadata service's paths for market (compute's metadata_set_extension). */
static int metadata_paths(struct store *s, const char *instance_id, const char *method, const char *path, char **body)
{
    if (!strcmp(method, "GET") && !strcmp(path, "/latest/meta-data/yun/license")) {
        int status;
        *body = license_document(s, instance_id, &status);
        return status;
    }
    if (!strcmp(method, "GET") && (!strcmp(path, "/latest/meta-data/yun") || !strcmp(path, "/latest/meta-data/yun/"))) {
        *body = strdup("license\n");
        return 200;
    }
    if (!strcmp(method, "POST") && !strcmp(path, "/latest/yun/ready")) {
        if (mstore_ready_mark(s, instance_id, clock_now()) != 0)
            return 500;
        market_kick();
        *body = strdup("ok\n");
        return 200;
    }
    return 404;
}

static const char *const kinds[] = {"image", "solution", NULL};
static const char *const results[] = {"approve", "reject", NULL};
static const char *const pkg_states[] = {PKG_DRAFT, PKG_REVIEWING, PKG_APPROVED, PKG_REJECTED, NULL};
static const struct param p_name_value[] = {P_STR("Name", P_REQUIRED, 1, 64), P_STR("Value", P_REQUIRED, 0, 1024),
                                            P_END};
static const struct param p_isv[] = {P_STR("Uin", P_REQUIRED, 1, 24), P_INT("SharePercent", 0, 0, 100), P_END};
#define VERSION_FIELDS                                                                                                 \
    P_STR("Description", 0, 0, 1000), P_STR("LogoUrl", 0, 0, 500), P_INT("PricePerMonth", 0, 0, 100000000000000),      \
        P_INT("PricePerHour", 0, 0, 1000000000000), P_STRS("Bundles", 0, 32, 64), P_STR("ImageId", 0, 1, 24),          \
        P_STR("Template", 0, 2, 65536)
static const struct param p_create[] = {P_STR("Name", P_REQUIRED, 1, 120), P_ENUM("Kind", P_REQUIRED, kinds),
                                        VERSION_FIELDS, P_END};
static const struct param p_version[] = {P_STR("PackageId", P_REQUIRED, 1, 24), VERSION_FIELDS, P_END};
static const struct param p_submit[] = {P_STR("PackageId", P_REQUIRED, 1, 24), P_INT("Version", P_REQUIRED, 1, 100000),
                                        P_END};
static const struct param p_review[] = {P_STR("PackageId", P_REQUIRED, 1, 24), P_INT("Version", P_REQUIRED, 1, 100000),
                                        P_ENUM("Result", P_REQUIRED, results), P_STR("Reason", 0, 0, 500), P_END};
static const struct param p_packages[] = {P_STR("PackageId", 0, 1, 24), P_END};
static const struct param p_isv_packages[] = {P_STR("PackageId", 0, 1, 24), P_ENUM("State", 0, pkg_states), P_END};
static const struct param p_deploy[] = {P_STR("PackageId", P_REQUIRED, 1, 24),
                                        P_INT("Version", 0, 1, 100000),
                                        P_OBJS("Parameters", 0, 64, p_name_value),
                                        P_STR("Zone", 0, 1, 64),
                                        P_STR("ClientToken", 0, 1, 64),
                                        P_END};
static const struct param p_deployments[] = {P_STRS("DeploymentIds", 0, 100, 24), P_END};
static const struct param p_deployment[] = {P_STR("DeploymentId", P_REQUIRED, 1, 24), P_END};
static const struct param p_update[] = {P_STR("DeploymentId", P_REQUIRED, 1, 24),
                                        P_OBJS("Parameters", P_REQUIRED, 64, p_name_value), P_END};
static const struct param p_none[] = {P_END};

static const struct action actions[] = {
    {"market", MARKET, "CreateIsv", create_isv, p_isv, A_MUTATES, "isv/${Uin}"},
    {"market", MARKET, "CreatePackage", create_package, p_create, A_MUTATES | A_REGIONAL, "package/*"},
    {"market", MARKET, "CreatePackageVersion", create_package_version, p_version, A_MUTATES | A_REGIONAL,
     "package/${PackageId}"},
    {"market", MARKET, "SubmitPackageVersion", submit_package_version, p_submit, A_MUTATES | A_REGIONAL,
     "package/${PackageId}"},
    {"market", MARKET, "ReviewPackage", review_package, p_review, A_MUTATES | A_REGIONAL, "package/${PackageId}"},
    {"market", MARKET, "DescribePackages", describe_packages, p_packages, A_REGIONAL, "package/*"},
    {"market", MARKET, "DescribeIsvPackages", describe_isv_packages, p_isv_packages, A_REGIONAL, "package/*"},
    {"market", MARKET, "DescribeIsvSales", describe_isv_sales, p_none, A_REGIONAL, "isv/*"},
    {"market", MARKET, "DeployPackage", deploy_package, p_deploy, A_MUTATES | A_REGIONAL, "deployment/*", NULL,
     TOUCHES("market:package/${PackageId}")},
    {"market", MARKET, "DescribeDeployments", describe_deployments, p_deployments, A_REGIONAL,
     "deployment/${DeploymentIds}"},
    {"market", MARKET, "DescribeDeploymentEvents", describe_deployment_events, p_deployment, A_REGIONAL,
     "deployment/${DeploymentId}"},
    {"market", MARKET, "UpdateDeployment", update_deployment, p_update, A_MUTATES | A_REGIONAL,
     "deployment/${DeploymentId}"},
    {"market", MARKET, "DeleteDeployment", delete_deployment, p_deployment, A_MUTATES | A_REGIONAL,
     "deployment/${DeploymentId}"},
    {"market", MARKET, "DescribeLicenseKey", describe_license_key, p_none, 0, "*"},
};

void market_register(void)
{
    api_register(actions, sizeof actions / sizeof actions[0]);
    billing_register_job(revenue_month_end);
    metadata_set_extension(metadata_paths);
}
