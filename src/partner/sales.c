/*
 * sales: the partner's salespeople (业务员). Tencent's fields name a salesperson by a Uin
 * (SalesUin) beside the partner's (Uin), so a salesperson here is a CAM sub-user of the
 * partner's account that the partner registers as one (yun's CreateSalesman / DeleteSalesman);
 * DescribeSalesmans lists them, AssignClientsToSales assigns bound customers (normal) or
 * applicants (apply) to one, or cancels it; DescribeAgentClients and DescribeAgentAuditedClients
 * show and filter by the assignment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity/identity.h"
#include "partner/partner_int.h"

static int caller_partner(struct api_ctx *ctx, struct partner *p)
{
    int rc = pstore_partner_get(ctx->store, ctx->who.owner_uin, p);
    if (rc == STORE_FOUND)
        return 0;
    return api_fail(ctx, rc < 0 ? E_INTERNAL_ERROR : E_PARTNER_NOT_PARTNER,
                    rc < 0 ? "The partner is unavailable." : "The account %s is not a partner.", ctx->who.owner_uin);
}

const char *partner_sales_name(struct store *s, const char *partner, const char *sales, char out[128])
{
    struct salesman m;
    out[0] = 0;
    if (sales[0] && pstore_salesman_get(s, partner, sales, &m) == STORE_FOUND)
        snprintf(out, 128, "%s", m.name);
    return out;
}

/* yun extension: one of the partner's CAM sub-users becomes a salesperson (its CAM name). */
static int create_salesman(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    struct salesman m = {0};
    const char *uin = api_str(ctx, "SalesUin", "");
    int rc = identity_sub_user(ctx->store, p.uin, uin, m.name, sizeof m.name);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The users are unavailable.");
    if (rc != STORE_FOUND)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND, "The partner has no CAM sub-user %s.", uin);
    const char *name = api_str(ctx, "SalesName", NULL);
    if (name && *name)
        snprintf(m.name, sizeof m.name, "%s", name);
    snprintf(m.partner, sizeof m.partner, "%s", p.uin);
    snprintf(m.uin, sizeof m.uin, "%s", uin);
    m.created = clock_now();
    rc = pstore_salesman_put(ctx->store, &m);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The salesperson could not be recorded.");
    if (rc == 0)
        return api_fail(ctx, "ResourceInUse", "%s is a salesperson already.", uin);
    char t[32];
    time_cam(m.created, t);
    json_object_set_new(ctx->out, "Uin", json_string(p.uin));
    json_object_set_new(ctx->out, "SalesUin", json_string(m.uin));
    json_object_set_new(ctx->out, "SalesName", json_string(m.name));
    json_object_set_new(ctx->out, "CreateTime", json_string(t));
    return 0;
}

/* yun extension: no longer a salesperson; its customers are no longer assigned. */
static int delete_salesman(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *uin = api_str(ctx, "SalesUin", "");
    int rc = pstore_salesman_delete(ctx->store, p.uin, uin);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The salesperson could not be removed.");
    if (rc == 0)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND, "%s is not a salesperson of the partner.", uin);
    return 0;
}

static int describe_salesmans(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *name = api_str(ctx, "SalesName", NULL), *uin = api_str(ctx, "SalesUin", NULL);
    struct salesman *ms;
    int n;
    if (pstore_salesmen(ctx->store, p.uin, strcasecmp(api_str(ctx, "OrderDirection", "desc"), "asc") != 0, &ms, &n))
        return api_fail(ctx, E_INTERNAL_ERROR, "The salespeople are unavailable.");
    struct page pg;
    page_start(&pg, api_int(ctx, "Offset", 0), api_int(ctx, "Limit", 20));
    for (int i = 0; i < n; i++) {
        if ((uin && strcmp(uin, ms[i].uin)) || (name && !strstr(ms[i].name, name)) || !page_take(&pg))
            continue;
        char t[32];
        time_cam(ms[i].created, t);
        json_array_append_new(pg.set, json_pack("{s:s,s:s,s:s,s:s}", "Uin", p.uin, "SalesUin", ms[i].uin, "SalesName",
                                                ms[i].name, "CreateTime", t));
    }
    free(ms);
    json_object_set_new(ctx->out, "AgentSalesmanSet", pg.set);
    json_object_set_new(ctx->out, "TotalCount", json_integer(pg.total));
    return 0;
}

static int assign_clients_to_sales(struct api_ctx *ctx)
{
    struct partner p;
    if (caller_partner(ctx, &p) != 0)
        return -1;
    const char *sales = api_str(ctx, "SalesUin", "");
    struct salesman m;
    int rc = pstore_salesman_get(ctx->store, p.uin, sales, &m);
    if (rc < 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The salespeople are unavailable.");
    if (rc != STORE_FOUND)
        return api_fail(ctx, E_RESOURCE_NOT_FOUND, "%s is not a salesperson of the partner.", sales);
    const char *status = !strcmp(api_str(ctx, "AssignClientStatus", ""), "apply") ? CLIENT_PENDING : CLIENT_BOUND;
    int cancel = !strcmp(api_str(ctx, "AssignActionType", ""), "cancel");
    json_t *uins = json_object_get(ctx->params, "ClientUins"), *ok = json_array(), *failed = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (uins, i, v) {
        const char *c = json_string_value(v);
        rc = c ? pstore_client_sales(ctx->store, p.uin, c, status, sales, cancel ? sales : NULL) : 0;
        if (rc < 0) {
            json_decref(ok);
            json_decref(failed);
            return api_fail(ctx, E_INTERNAL_ERROR, "The assignment could not be recorded.");
        }
        json_array_append_new(rc ? ok : failed, json_string(c ? c : ""));
    }
    json_object_set_new(ctx->out, "SucceedUins", ok);
    json_object_set_new(ctx->out, "FailedUins", failed);
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::partners::uin/%s:salesman/%s", p.uin, sales);
    return 0;
}

static const char *const directions[] = {"ASC", "DESC", "asc", "desc", NULL};
static const char *const statuses[] = {"normal", "apply", NULL};
static const char *const kinds[] = {"assign", "cancel", NULL};

static const struct param p_create[] = {P_STR("SalesUin", P_REQUIRED, 1, 24), P_STR("SalesName", 0, 0, 128), P_END};
static const struct param p_delete[] = {P_STR("SalesUin", P_REQUIRED, 1, 24), P_END};
static const struct param p_list[] = {P_INT("Offset", P_REQUIRED, 0, INT32_MAX),
                                      P_INT("Limit", P_REQUIRED, 1, 1000),
                                      P_STR("SalesName", 0, 0, 128),
                                      P_STR("SalesUin", 0, 1, 24),
                                      P_ENUM("OrderDirection", 0, directions),
                                      P_END};
static const struct param p_assign[] = {P_STRS("ClientUins", P_REQUIRED, 50, 24), P_STR("SalesUin", P_REQUIRED, 1, 24),
                                        P_ENUM("AssignClientStatus", P_REQUIRED, statuses),
                                        P_ENUM("AssignActionType", P_REQUIRED, kinds), P_END};

static const struct action actions[] = {
    {"partners", PARTNERS, "CreateSalesman", create_salesman, p_create, A_MUTATES, "salesman/${SalesUin}"},
    {"partners", PARTNERS, "DeleteSalesman", delete_salesman, p_delete, A_MUTATES, "salesman/${SalesUin}"},
    {"partners", PARTNERS, "DescribeSalesmans", describe_salesmans, p_list, 0, NULL},
    {"partners", PARTNERS, "AssignClientsToSales", assign_clients_to_sales, p_assign, A_MUTATES,
     "salesman/${SalesUin}"},
};

void partner_sales_register(void) { api_register(actions, sizeof actions / sizeof actions[0]); }
