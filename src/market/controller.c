/*
 * controller: drives every deployment in flight (DEPLOYING, UPDATING, ROLLING_BACK, DELETING)
 * from its template, one pass at a time, like the compute controller: everything it knows is in
 * the store (the steps with the ids they made), so after a yund restart the next pass carries on
 * where the last one stopped.
 *
 * A pass over a deployment that is being made starts each pending step whose resources it waits
 * for (refs, depends_on, parents) are all ready — the members of a role start together — and
 * checks each made one until ready. A step that fails turns the deployment to ROLLING_BACK with
 * the step's error. Deleting (a rollback, DeleteDeployment, a scale-in's doomed members) walks
 * the other way: a step is deleted once nothing made after it still depends on it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "market/market_int.h"
#include "store/lease.h"

#define STEP_READY_TIMEOUT 900 /* passes (about seconds) a made resource may take to be ready */

static pthread_t thread;
static int running, started;
static int kicked;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static const struct config *config;

void market_kick(void)
{
    pthread_mutex_lock(&mu);
    kicked = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static int64_t now_s(void) { return clock_now(); }

static int live(const struct step *st) { return strcmp(st->state, STEP_DELETED) != 0; }

/* {resource: [attrs of each ready member]} for references */
static json_t *attrs_of(struct step *steps, int n)
{
    json_t *a = json_object();
    for (int i = 0; i < n; i++) {
        if (strcmp(steps[i].state, STEP_READY))
            continue;
        json_t *list = json_object_get(a, steps[i].resource);
        if (!list) {
            list = json_array();
            json_object_set_new(a, steps[i].resource, list);
        }
        json_array_append(list, steps[i].attrs);
    }
    return a;
}

/* Every live step of each resource in deps is ready (and there is at least one when it is live). */
static int deps_ready(json_t *deps, struct step *steps, int n)
{
    size_t k;
    json_t *d;
    json_array_foreach (deps, k, d)
        for (int i = 0; i < n; i++)
            if (live(&steps[i]) && !strcmp(steps[i].resource, json_string_value(d)) &&
                strcmp(steps[i].state, STEP_READY))
                return 0;
    return 1;
}

static int save(struct store *s, struct step *st, const char *level, const char *msg)
{
    if (store_begin(s) != STORE_OK)
        return -1;
    char what[160];
    snprintf(what, sizeof what, "%s[%lld]", st->resource, (long long)st->member);
    if (mstore_step_update(s, st) != 0 || (msg && mstore_event(s, st->deployment_id, level, what, msg, now_s()) != 0)) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s) == STORE_OK ? 0 : -1;
}

static int finish(struct store *s, struct deployment *d, const char *from, const char *to, const char *level,
                  const char *msg, json_t *outputs, int meter)
{
    if (store_begin(s) != STORE_OK)
        return -1;
    /* only from the state this pass saw: a DeleteDeployment in between wins, and nothing else is written */
    int moved = mstore_deployment_state(s, d->id, from, to, !strcmp(level, "ERROR") ? msg : NULL, now_s());
    int ok = moved >= 0 && (moved == 0 || (mstore_event(s, d->id, level, "", msg, now_s()) == 0 &&
                                           (!outputs || mstore_deployment_outputs(s, d->id, outputs, now_s()) == 0) &&
                                           (meter < 0 || revenue_meter(s, d, meter, now_s()) == 0)));
    if (!ok) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s) == STORE_OK ? 0 : -1;
}

static void fail(struct store *s, struct deployment *d, struct step *st, const struct call_ctx *c)
{
    char msg[900];
    snprintf(st->error, sizeof st->error, "%.90s: %.400s", c->code, c->msg);
    snprintf(msg, sizeof msg, "failed: %.90s: %.400s; rolling back", c->code, c->msg);
    save(s, st, "ERROR", msg);
    snprintf(msg, sizeof msg, "%.128s[%lld] failed: %.90s: %.400s", st->resource, (long long)st->member, c->code,
             c->msg);
    finish(s, d, d->state, DEP_ROLLING, "ERROR", msg, NULL, 0);
}

/* Errors that say "again later", not "this cannot be made": the step is retried. */
static int transient(const char *code)
{
    return !strcmp(code, E_REQUEST_LIMIT_EXCEEDED) || !strcmp(code, E_INTERNAL_ERROR);
}

/* One pass over a deployment being made or updated: 1 when something moved. */
static int pass_make(struct store *s, struct deployment *d, json_t *tpl, struct step *steps, int n)
{
    struct call_ctx c = {.cfg = config, .owner = d->owner, .region = d->region};
    int moved = 0, waiting = 0;
    json_t *attrs = attrs_of(steps, n);
    for (int i = 0; i < n; i++) {
        struct step *st = &steps[i];
        if (!strcmp(st->state, STEP_PENDING)) {
            json_t *deps = tpl_deps(tpl, st->resource);
            int go = deps_ready(deps, steps, n);
            json_decref(deps);
            if (!go) {
                waiting = 1;
                continue;
            }
            json_decref(attrs); /* what this pass made ready counts */
            attrs = attrs_of(steps, n);
            json_t *res = json_object_get(json_object_get(tpl, "resources"), st->resource);
            json_t *props = tpl_resolve(json_object_get(res, "properties"), d->params, attrs, c.msg, sizeof c.msg);
            int rc = -1;
            if (props)
                rc = resource_create(&c, st, props, d);
            else
                snprintf(c.code, sizeof c.code, "%s", E_INVALID_PARAMETER);
            json_decref(props);
            if (rc != 0 && transient(c.code) && ++st->attempts < STEP_READY_TIMEOUT) {
                mstore_step_update(s, st); /* keeps what part of it was made (a group before its rules) */
                waiting = 1;
                continue;
            }
            if (rc != 0) {
                fail(s, d, st, &c);
                json_decref(attrs);
                return 1;
            }
            char msg[200];
            snprintf(msg, sizeof msg, "created %s %s", st->type, st->cloud_id);
            snprintf(st->state, sizeof st->state, "%s", STEP_CREATED);
            save(s, st, "INFO", msg);
            moved = 1;
        }
        if (!strcmp(st->state, STEP_CREATED)) {
            json_t *res = json_object_get(json_object_get(tpl, "resources"), st->resource);
            json_t *props = tpl_resolve(json_object_get(res, "properties"), d->params, attrs, c.msg, sizeof c.msg);
            int rc = props ? resource_ready(&c, st, props) : -1;
            json_decref(props);
            if (rc == 1 && ++st->attempts > STEP_READY_TIMEOUT) {
                snprintf(c.code, sizeof c.code, "%s", E_MARKET_FAILED);
                snprintf(c.msg, sizeof c.msg, "%s %s was not ready in time", st->type, st->cloud_id);
                rc = -1;
            }
            if (rc < 0) {
                fail(s, d, st, &c);
                json_decref(attrs);
                return 1;
            }
            if (rc == 1) {
                mstore_step_update(s, st);
                waiting = 1;
                continue;
            }
            snprintf(st->state, sizeof st->state, "%s", STEP_READY);
            st->attempts = 0;
            save(s, st, "INFO", "ready");
            moved = 1;
        }
    }
    json_decref(attrs);
    if (moved || waiting)
        return moved;
    /* every step ready: the outputs, and the package is metered from now on */
    json_t *all = attrs_of(steps, n);
    char msg[512] = "";
    json_t *outputs = tpl_resolve(json_object_get(tpl, "outputs") ?: json_object(), d->params, all, msg, sizeof msg);
    json_decref(all);
    if (!outputs)
        outputs = json_pack("{s:s}", "error", msg);
    finish(s, d, d->state, DEP_DEPLOYED, "INFO", !strcmp(d->state, DEP_UPDATING) ? "updated" : "deployed", outputs, 1);
    json_decref(outputs);
    return 1;
}

/* Deletes the steps selected (doomed only, or every live one), newest first, each once nothing
 * live made after it depends on it. 1 moved, 0 waiting, 2 none left. */
static int pass_delete(struct store *s, struct deployment *d, json_t *tpl, struct step *steps, int n, int doomed_only)
{
    struct call_ctx c = {.cfg = config, .owner = d->owner, .region = d->region};
    int moved = 0, left = 0;
    for (int i = n - 1; i >= 0; i--) {
        struct step *st = &steps[i];
        if (!live(st) || (doomed_only && strcmp(st->state, STEP_DOOMED)))
            continue;
        left = 1;
        int blocked = 0;
        for (int j = i + 1; j < n && !blocked; j++) {
            if (!live(&steps[j]) || !strcmp(steps[j].resource, st->resource))
                continue;
            json_t *deps = tpl_deps(tpl, steps[j].resource);
            size_t k;
            json_t *dn;
            json_array_foreach (deps, k, dn)
                blocked |= !strcmp(json_string_value(dn), st->resource);
            json_decref(deps);
        }
        if (blocked || st->next_try > now_s())
            continue;
        int rc = resource_delete(&c, st);
        if (rc == 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "deleted %s %s", st->type, st->cloud_id[0] ? st->cloud_id : "(never made)");
            snprintf(st->state, sizeof st->state, "%s", STEP_DELETED);
            save(s, st, "INFO", msg);
            moved = 1;
        } else if (rc < 0) { /* e.g. a subnet whose instance is still going: again later, and said once */
            st->attempts++;
            st->next_try = now_s() + (st->attempts < 10 ? 1 : 5);
            char msg[700];
            snprintf(msg, sizeof msg, "delete refused (%s: %s); retrying", c.code, c.msg);
            save(s, st, "WARN", st->attempts == 1 || st->attempts % 50 == 0 ? msg : NULL);
        }
    }
    return left ? moved : 2;
}

static int advance(struct store *s, const char *id)
{
    struct deployment d;
    if (mstore_deployment_get(s, NULL, id, &d) != STORE_FOUND)
        return 0;
    struct pkg_version v;
    if (mstore_version_get(s, d.package_id, d.version, &v) != STORE_FOUND) {
        deployment_free(&d);
        return 0;
    }
    struct step *steps;
    int n, moved = 0;
    if (mstore_steps(s, d.id, &steps, &n) != 0) {
        pkg_version_free(&v);
        deployment_free(&d);
        return 0;
    }
    if (!strcmp(d.state, DEP_DEPLOYING) || !strcmp(d.state, DEP_UPDATING)) {
        int doomed = 0;
        for (int i = 0; i < n; i++)
            doomed |= !strcmp(steps[i].state, STEP_DOOMED);
        moved = doomed ? pass_delete(s, &d, v.template, steps, n, 1) == 1 : pass_make(s, &d, v.template, steps, n);
    } else {
        int rc = pass_delete(s, &d, v.template, steps, n, 0);
        moved = rc == 1;
        if (rc == 2) {
            int rolled = !strcmp(d.state, DEP_ROLLING);
            finish(s, &d, d.state, rolled ? DEP_ROLLED_BACK : DEP_DELETED, "INFO",
                   rolled ? "rolled back: everything made was deleted" : "deleted", NULL, 0);
            moved = 1;
        }
    }
    steps_free(steps, n);
    pkg_version_free(&v);
    deployment_free(&d);
    return moved;
}

/* Every yund runs the controller; only the holder of the lease "market" (store/lease.c) drives
 * deployments, so a deployment is advanced by one process at a time and another takes over
 * within about a second of the holder's death, from the persisted steps. */
static struct lease *lease;

static void *run(void *arg)
{
    (void)arg;
    while (1) {
        pthread_mutex_lock(&mu);
        if (!running) {
            pthread_mutex_unlock(&mu);
            break;
        }
        pthread_mutex_unlock(&mu);
        struct store *s = lease_hold(lease) ? store_thread() : NULL; /* followers only wait */
        char(*ids)[24] = NULL;
        int n = 0, moved = 0;
        if (s && mstore_deployments_active(s, &ids, &n) == 0)
            for (int i = 0; i < n; i++)
                moved |= advance(s, ids[i]);
        free(ids);
        pthread_mutex_lock(&mu);
        if (running && !kicked && !moved) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&cv, &mu, &until);
        }
        kicked = 0;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int market_start(const struct config *cfg, char *err, size_t errlen)
{
    config = cfg;
    lease = lease_open("market", !cfg->no_host);
    running = 1;
    if (pthread_create(&thread, NULL, run, NULL) != 0) {
        running = 0;
        lease_close(lease);
        lease = NULL;
        snprintf(err, errlen, "market: cannot start the deployment controller");
        return -1;
    }
    started = 1;
    return 0;
}

void market_stop(void)
{
    if (!started)
        return;
    pthread_mutex_lock(&mu);
    running = 0;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    started = 0;
    lease_close(lease);
    lease = NULL;
}
