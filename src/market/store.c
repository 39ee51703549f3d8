/*
 * store: the market's tables and every statement on them: ISVs, packages and their versions
 * (with the review state), deployments, their steps (what the controller made, so a restart
 * resumes), their events, the guests' readiness reports, the ISVs' month-end shares, and a little
 * state (the share job's month, the region's sealed license key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "market/market_int.h"

static const struct migration market_migrations[] = {
    {1, "CREATE TABLE market_isvs (uin TEXT PRIMARY KEY, share_ppm INTEGER NOT NULL, created INTEGER NOT NULL);"
        "CREATE TABLE market_packages (package_id TEXT PRIMARY KEY, isv_uin TEXT NOT NULL, name TEXT NOT NULL,"
        " kind TEXT NOT NULL, created INTEGER NOT NULL);"
        "CREATE INDEX market_packages_isv ON market_packages (isv_uin);"
        /* one row per version: its review state and everything a customer is shown */
        "CREATE TABLE market_versions (package_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,"
        " description TEXT NOT NULL, logo_url TEXT NOT NULL, price_month INTEGER NOT NULL,"
        " price_hour INTEGER NOT NULL, bundles TEXT NOT NULL, image_id TEXT NOT NULL, template TEXT NOT NULL,"
        " reason TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL, reviewed INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (package_id, version));"
        "CREATE TABLE market_deployments (deployment_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL,"
        " package_id TEXT NOT NULL, version INTEGER NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL,"
        " state TEXT NOT NULL, params TEXT NOT NULL, outputs TEXT NOT NULL DEFAULT '{}',"
        " client_token TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
        " updated INTEGER NOT NULL);"
        "CREATE INDEX market_deployments_owner ON market_deployments (owner_uin, created);"
        "CREATE INDEX market_deployments_state ON market_deployments (state);"
        /* the steps of a deployment in the order they are made; cloud_id once made */
        "CREATE TABLE market_steps (deployment_id TEXT NOT NULL, seq INTEGER NOT NULL, resource TEXT NOT NULL,"
        " member INTEGER NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, cloud_id TEXT NOT NULL DEFAULT '',"
        " attrs TEXT NOT NULL DEFAULT '{}', error TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
        " next_try INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (deployment_id, seq));"
        "CREATE INDEX market_steps_cloud ON market_steps (cloud_id);"
        "CREATE TABLE market_events (deployment_id TEXT NOT NULL, n INTEGER NOT NULL, time INTEGER NOT NULL,"
        " level TEXT NOT NULL, resource TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (deployment_id, n));"
        "CREATE TABLE market_ready (instance_id TEXT PRIMARY KEY, time INTEGER NOT NULL);"
        "CREATE TABLE market_shares (isv_uin TEXT NOT NULL, month TEXT NOT NULL, sales_fine INTEGER NOT NULL"
        " DEFAULT 0, share_cents INTEGER NOT NULL DEFAULT 0, bill_id TEXT NOT NULL DEFAULT '',"
        " time INTEGER NOT NULL, PRIMARY KEY (isv_uin, month));"
        "CREATE TABLE market_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL, text TEXT NOT NULL);"},
};

int market_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "market", market_migrations, sizeof market_migrations / sizeof market_migrations[0], err,
                         errlen);
}

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    return j ? j : json_null();
}

static char *dump(json_t *j) { return j && !json_is_null(j) ? json_dumps(j, JSON_COMPACT) : strdup(""); }

#define COPY(dst, q, col) snprintf(dst, sizeof dst, "%s", store_text(q, col))

int mstore_isv_put(struct store *s, const char *uin, int64_t share_ppm, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO market_isvs (uin, share_ppm, created) VALUES (?, ?, ?) ON CONFLICT (uin) DO"
                      " UPDATE SET share_ppm = excluded.share_ppm",
                      "sii", uin, share_ppm, t) < 0
               ? -1
               : 0;
}

int mstore_isv_get(struct store *s, const char *uin, struct isv *out)
{
    struct store_stmt *q = store_query(s, "SELECT uin, share_ppm, created FROM market_isvs WHERE uin = ?", "s", uin);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        COPY(out->uin, q, 0);
        out->share_ppm = store_int(q, 1);
        out->created = store_int(q, 2);
    }
    store_done(q);
    return rc;
}

int mstore_isvs(struct store *s, struct isv **out, int *n)
{
    struct store_stmt *q = store_query(s, "SELECT uin, share_ppm, created FROM market_isvs ORDER BY uin", "");
    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct isv *grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (!grown)
            break;
        *out = grown;
        COPY(grown[*n].uin, q, 0);
        grown[*n].share_ppm = store_int(q, 1);
        grown[(*n)++].created = store_int(q, 2);
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int mstore_package_put(struct store *s, const char *id, const char *isv, const char *name, const char *kind, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO market_packages (package_id, isv_uin, name, kind, created) VALUES (?, ?, ?, ?, ?)",
                      "ssssi", id, isv, name, kind, t) == 1
               ? 0
               : -1;
}

int mstore_package_owner(struct store *s, const char *id, char isv[24], char kind[16])
{
    struct store_stmt *q = store_query(s, "SELECT isv_uin, kind FROM market_packages WHERE package_id = ?", "s", id);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        snprintf(isv, 24, "%s", store_text(q, 0));
        snprintf(kind, 16, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc;
}

int mstore_version_put(struct store *s, const struct pkg_version *v)
{
    char *bundles = dump(v->bundles), *tpl = dump(v->template);
    int rc = store_exec(s,
                        "INSERT INTO market_versions (package_id, version, state, description, logo_url, price_month,"
                        " price_hour, bundles, image_id, template, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "sisssiisssi", v->package_id, v->version, v->state, v->description, v->logo_url, v->price_month,
                        v->price_hour, bundles ? bundles : "[]", v->image_id, tpl ? tpl : "", v->created);
    free(bundles);
    free(tpl);
    return rc == 1 ? 0 : -1;
}

int64_t mstore_version_last(struct store *s, const char *package_id)
{
    struct store_stmt *q =
        store_query(s, "SELECT COALESCE(MAX(version), 0) FROM market_versions WHERE package_id = ?", "s", package_id);
    int rc = q ? store_step(q) : STORE_ERROR;
    int64_t v = rc == STORE_FOUND ? store_int(q, 0) : -1;
    store_done(q);
    return v;
}

#define VERSION_COLS                                                                                                   \
    "v.package_id, p.isv_uin, p.name, p.kind, v.state, v.description, v.logo_url, v.image_id, v.reason, v.version,"    \
    " v.price_month, v.price_hour, v.created, v.reviewed, v.bundles, v.template"

static void version_row(struct store_stmt *q, struct pkg_version *v)
{
    memset(v, 0, sizeof *v);
    COPY(v->package_id, q, 0);
    COPY(v->isv_uin, q, 1);
    COPY(v->name, q, 2);
    COPY(v->kind, q, 3);
    COPY(v->state, q, 4);
    COPY(v->description, q, 5);
    COPY(v->logo_url, q, 6);
    COPY(v->image_id, q, 7);
    COPY(v->reason, q, 8);
    v->version = store_int(q, 9);
    v->price_month = store_int(q, 10);
    v->price_hour = store_int(q, 11);
    v->created = store_int(q, 12);
    v->reviewed = store_int(q, 13);
    v->bundles = parse(store_text(q, 14));
    v->template = *store_text(q, 15) ? parse(store_text(q, 15)) : NULL;
}

void pkg_version_free(struct pkg_version *v)
{
    json_decref(v->bundles);
    json_decref(v->template);
    v->bundles = v->template = NULL;
}

int mstore_version_get(struct store *s, const char *package_id, int64_t version, struct pkg_version *out)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " VERSION_COLS " FROM market_versions v JOIN market_packages p ON"
                                       " p.package_id = v.package_id WHERE v.package_id = ? AND v.version = ?",
                                       "si", package_id, version);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND)
        version_row(q, out);
    store_done(q);
    return rc;
}

int mstore_version_state(struct store *s, const char *package_id, int64_t version, const char *from, const char *to,
                         const char *reason, int64_t t)
{
    return store_exec(s,
                      "UPDATE market_versions SET state = ?, reason = ?, reviewed = ? WHERE package_id = ? AND"
                      " version = ? AND state = ?",
                      "ssisis", to, reason, t, package_id, version, from);
}

int mstore_versions(struct store *s, const char *isv, const char *package_id, const char *state,
                    struct pkg_version **out, int *n)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " VERSION_COLS " FROM market_versions v JOIN market_packages p ON"
                                       " p.package_id = v.package_id WHERE (? = '' OR p.isv_uin = ?) AND"
                                       " (? = '' OR v.package_id = ?) AND (? = '' OR v.state = ?)"
                                       " ORDER BY p.created, v.package_id, v.version",
                                       "ssssss", isv ? isv : "", isv ? isv : "", package_id ? package_id : "",
                                       package_id ? package_id : "", state ? state : "", state ? state : "");
    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct pkg_version *grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (!grown)
            break;
        *out = grown;
        version_row(q, &grown[(*n)++]);
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

#define DEP_COLS                                                                                                       \
    "deployment_id, owner_uin, package_id, region, zone, state, client_token, error, version, created, updated,"       \
    " params, outputs"

static void deployment_row(struct store_stmt *q, struct deployment *d)
{
    memset(d, 0, sizeof *d);
    COPY(d->id, q, 0);
    COPY(d->owner, q, 1);
    COPY(d->package_id, q, 2);
    COPY(d->region, q, 3);
    COPY(d->zone, q, 4);
    COPY(d->state, q, 5);
    COPY(d->token, q, 6);
    COPY(d->error, q, 7);
    d->version = store_int(q, 8);
    d->created = store_int(q, 9);
    d->updated = store_int(q, 10);
    d->params = parse(store_text(q, 11));
    d->outputs = parse(store_text(q, 12));
}

void deployment_free(struct deployment *d)
{
    json_decref(d->params);
    json_decref(d->outputs);
    d->params = d->outputs = NULL;
}

int mstore_deployment_put(struct store *s, const struct deployment *d)
{
    char *params = dump(d->params);
    int rc = store_exec(s,
                        "INSERT INTO market_deployments (deployment_id, owner_uin, package_id, version, region, zone,"
                        " state, params, client_token, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "sssisssssii", d->id, d->owner, d->package_id, d->version, d->region, d->zone, d->state,
                        params ? params : "{}", d->token, d->created, d->created);
    free(params);
    return rc == 1 ? 0 : -1;
}

int mstore_deployment_get(struct store *s, const char *owner, const char *id, struct deployment *out)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " DEP_COLS " FROM market_deployments WHERE deployment_id = ? AND"
                                       " (? = '' OR owner_uin = ?)",
                                       "sss", id, owner ? owner : "", owner ? owner : "");
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND)
        deployment_row(q, out);
    store_done(q);
    return rc;
}

int mstore_deployment_by_token(struct store *s, const char *owner, const char *token, char id[24])
{
    struct store_stmt *q = store_query(
        s, "SELECT deployment_id FROM market_deployments WHERE owner_uin = ? AND client_token = ?", "ss", owner, token);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND)
        snprintf(id, 24, "%s", store_text(q, 0));
    store_done(q);
    return rc;
}

int mstore_deployment_state(struct store *s, const char *id, const char *from, const char *to, const char *error,
                            int64_t t)
{
    return store_exec(s,
                      "UPDATE market_deployments SET state = ?, error = CASE WHEN ? = '' THEN error ELSE ? END,"
                      " updated = ? WHERE deployment_id = ? AND (? = '' OR state = ?)",
                      "sssisss", to, error ? error : "", error ? error : "", t, id, from ? from : "", from ? from : "");
}

int mstore_deployment_outputs(struct store *s, const char *id, json_t *outputs, int64_t t)
{
    char *o = dump(outputs);
    int rc = store_exec(s, "UPDATE market_deployments SET outputs = ?, updated = ? WHERE deployment_id = ?", "sis",
                        o ? o : "{}", t, id);
    free(o);
    return rc < 0 ? -1 : 0;
}

int mstore_deployment_params(struct store *s, const char *id, json_t *params, int64_t t)
{
    char *p = dump(params);
    int rc = store_exec(s, "UPDATE market_deployments SET params = ?, updated = ? WHERE deployment_id = ?", "sis",
                        p ? p : "{}", t, id);
    free(p);
    return rc < 0 ? -1 : 0;
}

static int deployments_query(struct store_stmt *q, struct deployment **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct deployment *grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (!grown)
            break;
        *out = grown;
        deployment_row(q, &grown[(*n)++]);
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int mstore_deployments(struct store *s, const char *owner, const char *id, struct deployment **out, int *n)
{
    return deployments_query(store_query(s,
                                         "SELECT " DEP_COLS " FROM market_deployments WHERE owner_uin = ? AND"
                                         " (? = '' OR deployment_id = ?) ORDER BY created, deployment_id",
                                         "sss", owner, id ? id : "", id ? id : ""),
                             out, n);
}

int mstore_isv_deployments(struct store *s, const char *isv, struct deployment **out, int *n)
{
    return deployments_query(store_query(s,
                                         "SELECT " DEP_COLS " FROM market_deployments WHERE package_id IN (SELECT"
                                         " package_id FROM market_packages WHERE isv_uin = ?) ORDER BY created",
                                         "s", isv),
                             out, n);
}

int mstore_package_owners(struct store *s, const char *isv, char (**uins)[24], int *n)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT DISTINCT owner_uin FROM market_deployments WHERE package_id IN"
                                       " (SELECT package_id FROM market_packages WHERE isv_uin = ?) ORDER BY owner_uin",
                                       "s", isv);
    *uins = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        char(*grown)[24] = realloc(*uins, (size_t)(*n + 1) * sizeof **uins);
        if (!grown)
            break;
        *uins = grown;
        snprintf(grown[(*n)++], 24, "%s", store_text(q, 0));
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int mstore_deployments_active(struct store *s, char (**ids)[24], int *n)
{
    struct store_stmt *q = store_query(
        s, "SELECT deployment_id FROM market_deployments WHERE " DEP_ACTIVE("state") " ORDER BY updated", "");
    *ids = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        char(*grown)[24] = realloc(*ids, (size_t)(*n + 1) * sizeof **ids);
        if (!grown)
            break;
        *ids = grown;
        snprintf(grown[(*n)++], 24, "%s", store_text(q, 0));
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int mstore_step_put(struct store *s, const struct step *st)
{
    return store_exec(s,
                      "INSERT INTO market_steps (deployment_id, seq, resource, member, type, state) VALUES (?, ?, ?, ?,"
                      " ?, ?)",
                      "sisiss", st->deployment_id, st->seq, st->resource, st->member, st->type, st->state) == 1
               ? 0
               : -1;
}

int mstore_steps(struct store *s, const char *deployment_id, struct step **out, int *n)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT deployment_id, resource, type, state, cloud_id, error, seq, member,"
                    " attempts, next_try, attrs FROM market_steps WHERE deployment_id = ? ORDER BY seq",
                    "s", deployment_id);
    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct step *grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (!grown)
            break;
        *out = grown;
        struct step *st = &grown[(*n)++];
        memset(st, 0, sizeof *st);
        COPY(st->deployment_id, q, 0);
        COPY(st->resource, q, 1);
        COPY(st->type, q, 2);
        COPY(st->state, q, 3);
        COPY(st->cloud_id, q, 4);
        COPY(st->error, q, 5);
        st->seq = store_int(q, 6);
        st->member = store_int(q, 7);
        st->attempts = store_int(q, 8);
        st->next_try = store_int(q, 9);
        st->attrs = parse(store_text(q, 10));
        if (!json_is_object(st->attrs)) {
            json_decref(st->attrs);
            st->attrs = json_object();
        }
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

void steps_free(struct step *st, int n)
{
    for (int i = 0; i < n; i++)
        json_decref(st[i].attrs);
    free(st);
}

int mstore_step_update(struct store *s, const struct step *st)
{
    char *attrs = dump(st->attrs);
    int rc = store_exec(s,
                        "UPDATE market_steps SET state = ?, cloud_id = ?, attrs = ?, error = ?, attempts = ?,"
                        " next_try = ? WHERE deployment_id = ? AND seq = ?",
                        "ssssiisi", st->state, st->cloud_id, attrs ? attrs : "{}", st->error, st->attempts,
                        st->next_try, st->deployment_id, st->seq);
    free(attrs);
    return rc < 0 ? -1 : 0;
}

int64_t mstore_step_next_seq(struct store *s, const char *deployment_id)
{
    struct store_stmt *q = store_query(s, "SELECT COALESCE(MAX(seq), 0) + 1 FROM market_steps WHERE deployment_id = ?",
                                       "s", deployment_id);
    int rc = q ? store_step(q) : STORE_ERROR;
    int64_t v = rc == STORE_FOUND ? store_int(q, 0) : -1;
    store_done(q);
    return v;
}

int mstore_event(struct store *s, const char *deployment_id, const char *level, const char *resource,
                 const char *message, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO market_events (deployment_id, n, time, level, resource, message) SELECT ?,"
                      " COALESCE(MAX(n), 0) + 1, ?, ?, ?, ? FROM market_events WHERE deployment_id = ?",
                      "sissss", deployment_id, t, level, resource, message, deployment_id) == 1
               ? 0
               : -1;
}

int mstore_events(struct store *s, const char *deployment_id, struct event **out, int *n)
{
    struct store_stmt *q =
        store_query(s, "SELECT n, time, level, resource, message FROM market_events WHERE deployment_id = ? ORDER BY n",
                    "s", deployment_id);
    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct event *grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (!grown)
            break;
        *out = grown;
        struct event *e = &grown[(*n)++];
        e->n = store_int(q, 0);
        e->time = store_int(q, 1);
        COPY(e->level, q, 2);
        COPY(e->resource, q, 3);
        COPY(e->message, q, 4);
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int mstore_ready_mark(struct store *s, const char *instance_id, int64_t t)
{
    return store_exec(s,
                      "INSERT INTO market_ready (instance_id, time) VALUES (?, ?) ON CONFLICT (instance_id) DO"
                      " NOTHING",
                      "si", instance_id, t) < 0
               ? -1
               : 0;
}

int mstore_ready(struct store *s, const char *instance_id)
{
    struct store_stmt *q = store_query(s, "SELECT 1 FROM market_ready WHERE instance_id = ?", "s", instance_id);
    int rc = q ? store_step(q) : STORE_ERROR;
    store_done(q);
    return rc;
}

int mstore_instance_deployment(struct store *s, const char *instance_id, struct deployment *out)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " DEP_COLS " FROM market_deployments WHERE deployment_id IN (SELECT"
                                       " deployment_id FROM market_steps WHERE cloud_id = ? AND type = 'instance'"
                                       " AND state <> '" STEP_DELETED "')",
                                       "s", instance_id);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND)
        deployment_row(q, out);
    store_done(q);
    return rc;
}

int mstore_state_get(struct store *s, const char *name, int64_t *v, char *text, size_t tlen)
{
    struct store_stmt *q = store_query(s, "SELECT value, text FROM market_state WHERE name = ?", "s", name);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        if (v)
            *v = store_int(q, 0);
        if (text)
            snprintf(text, tlen, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc;
}

int mstore_state_set(struct store *s, const char *name, int64_t v, const char *text)
{
    return store_exec(s,
                      "INSERT INTO market_state (name, value, text) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
                      " SET value = excluded.value, text = excluded.text",
                      "sis", name, v, text ? text : "") < 0
               ? -1
               : 0;
}

int mstore_share_claim(struct store *s, const char *isv, const char *month, int64_t t)
{
    int rc = store_exec(s,
                        "INSERT INTO market_shares (isv_uin, month, time) VALUES (?, ?, ?) ON CONFLICT (isv_uin,"
                        " month) DO NOTHING",
                        "ssi", isv, month, t);
    return rc < 0 ? -1 : rc;
}

int mstore_share_put(struct store *s, const char *isv, const char *month, int64_t sales_fine, int64_t share_cents,
                     const char *bill_id)
{
    return store_exec(s,
                      "UPDATE market_shares SET sales_fine = ?, share_cents = ?, bill_id = ? WHERE isv_uin = ? AND"
                      " month = ?",
                      "iisss", sales_fine, share_cents, bill_id, isv, month) == 1
               ? 0
               : -1;
}

int mstore_shares(struct store *s, const char *isv, struct share **out, int *n)
{
    struct store_stmt *q = store_query(
        s, "SELECT month, bill_id, sales_fine, share_cents, time FROM market_shares WHERE isv_uin = ? ORDER BY month",
        "s", isv);
    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    int rc;
    while ((rc = store_step(q)) == STORE_FOUND) {
        struct share *grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (!grown)
            break;
        *out = grown;
        struct share *sh = &grown[(*n)++];
        COPY(sh->month, q, 0);
        COPY(sh->bill_id, q, 1);
        sh->sales_fine = store_int(q, 2);
        sh->share_cents = store_int(q, 3);
        sh->time = store_int(q, 4);
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}
