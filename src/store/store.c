/*
 * store: the store interface of store.h, once for every backend. store_open picks the backend from
 * the path (a postgres:// or postgresql:// URL is PostgreSQL through libpq, anything else a SQLite
 * file); every other call goes to the table of the backend its connection was opened with.
 * Migrations and the per-thread connection are the same for both.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

#define OPS(s)       (((struct store_base *)(s))->ops)
#define STMT_OPS(st) OPS(((struct store_stmt_base *)(st))->owner)

/* Remembers a STORE_BUSY answer on the connection, for store_busy(). */
static int note(struct store *s, int rc)
{
    if (rc == STORE_BUSY)
        ((struct store_base *)s)->busy = 1;
    return rc;
}

int store_pg_path(const char *path)
{
    return path && (!strncmp(path, "postgres://", 11) || !strncmp(path, "postgresql://", 13));
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
    const struct store_ops *ops = store_pg_path(path) ? &store_pg_ops : &store_sqlite_ops;
    return ops->open(path, err, errlen);
}

void store_close(struct store *s)
{
    if (s)
        OPS(s)->close(s);
}

const char *store_errmsg(struct store *s) { return OPS(s)->errmsg(s); }
int store_begin(struct store *s)
{
    ((struct store_base *)s)->busy = 0;
    return note(s, OPS(s)->begin(s));
}
int store_commit(struct store *s) { return note(s, OPS(s)->commit(s)); }
int store_is_postgres(const char *path) { return store_pg_path(path); }

void store_watch(const char *prefix, const char *const *except) { sqlite_watch(prefix, except); }

int store_watch_count(struct store *s, uint64_t *count)
{
    if (!s || OPS(s) != &store_sqlite_ops)
        return 0;
    *count = sqlite_watch_count();
    return 1;
}

void store_watch_all(const char *const *except) { sqlite_watch_all(except); }

int store_watch_all_count(struct store *s, uint64_t *count)
{
    if (!s || OPS(s) != &store_sqlite_ops)
        return 0;
    *count = sqlite_watch_all_count();
    return 1;
}

int store_busy(struct store *s) { return ((struct store_base *)s)->busy; }
void store_rollback(struct store *s) { OPS(s)->rollback(s); }
int store_in_transaction(struct store *s) { return OPS(s)->in_transaction(s); }

void store_cache_limit(struct store *s, int kib)
{
    char sql[64], err[128];
    if (!s || OPS(s) != &store_sqlite_ops || kib <= 0)
        return;
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", kib);
    OPS(s)->raw(s, sql, err, sizeof err);
}

/* savepoints run as given (PostgreSQL prepares no SAVEPOINT): the same text on both stores */
static int unit_sql(struct store *s, const char *sql)
{
    char err[256];
    return OPS(s)->raw(s, sql, err, sizeof err) == STORE_OK ? 0 : -1;
}

int store_unit_begin(struct store *s)
{
    if (!store_in_transaction(s))
        return store_begin(s) == STORE_OK ? 1 : -1;
    return unit_sql(s, "SAVEPOINT yun_unit") == 0 ? 0 : -1;
}

int store_unit_end(struct store *s, int own, int ok)
{
    if (own) {
        if (ok && store_commit(s) == STORE_OK)
            return 0;
        store_rollback(s);
        return -1;
    }
    if (ok && unit_sql(s, "RELEASE SAVEPOINT yun_unit") == 0)
        return 0;
    /* the caller's transaction goes on without this unit (on PostgreSQL, a statement that failed for another reason
     * than a constraint still fails the caller's commit: the store was busy or broken) */
    unit_sql(s, "ROLLBACK TO SAVEPOINT yun_unit");
    unit_sql(s, "RELEASE SAVEPOINT yun_unit");
    return -1;
}

struct store_stmt *store_query(struct store *s, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct store_stmt *st = OPS(s)->query(s, sql, fmt, ap);
    va_end(ap);
    return st;
}

int store_step(struct store_stmt *st) { return note(((struct store_stmt_base *)st)->owner, STMT_OPS(st)->step(st)); }
const char *store_text(struct store_stmt *st, int col) { return STMT_OPS(st)->text(st, col); }
int64_t store_int(struct store_stmt *st, int col) { return STMT_OPS(st)->integer(st, col); }
const void *store_blob(struct store_stmt *st, int col, size_t *len) { return STMT_OPS(st)->blob(st, col, len); }
int store_is_null(struct store_stmt *st, int col) { return STMT_OPS(st)->is_null(st, col); }

void store_done(struct store_stmt *st)
{
    if (st)
        STMT_OPS(st)->done(st);
}

int store_exec(struct store *s, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = OPS(s)->exec(s, sql, fmt, ap);
    va_end(ap);
    return note(s, rc);
}

int64_t store_last_id(struct store *s) { return OPS(s)->last_id(s); }

const char *store_backend(struct store *s) { return OPS(s)->name; }

int store_migrate(struct store *s, const char *component, const struct migration *m, int n, char *err, size_t errlen)
{
    static const char *create =
        "CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, "
        "version INTEGER NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (component, version))";
    if (store_exec(s, create, "") < 0) {
        snprintf(err, errlen, "schema_migrations: %s", store_errmsg(s));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (store_begin(s) != STORE_OK) {
            snprintf(err, errlen, "%s migration %d: %s", component, m[i].version, store_errmsg(s));
            return -1;
        }
        struct store_stmt *q = store_query(s, "SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
                                           "si", component, (int64_t)m[i].version);
        int have = q ? store_step(q) : -1;
        store_done(q);
        if (have < 0) {
            snprintf(err, errlen, "%s migration %d: %s", component, m[i].version, store_errmsg(s));
            store_rollback(s);
            return -1;
        }
        if (have == 0) {
            char why[512] = "";
            const char *sql = m[i].postgres && OPS(s) == &store_pg_ops ? m[i].postgres : m[i].sql;
            if (OPS(s)->script(s, sql, why, sizeof why) != STORE_OK ||
                store_exec(s, "INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)", "sii",
                           component, (int64_t)m[i].version, (int64_t)time(NULL)) < 0) {
                snprintf(err, errlen, "%s migration %d: %s", component, m[i].version, why[0] ? why : store_errmsg(s));
                store_rollback(s);
                return -1;
            }
        }
        if (store_commit(s) != STORE_OK) {
            snprintf(err, errlen, "%s migration %d: commit failed", component, m[i].version);
            return -1;
        }
    }
    return 0;
}

static char thread_store_path[1024];
static __thread struct store *thread_store;

void store_set_path(const char *path) { snprintf(thread_store_path, sizeof thread_store_path, "%s", path); }
const char *store_path(void) { return thread_store_path; }

/* A thread's connection is closed when the thread exits (worker pools stop at shutdown). */
static pthread_key_t thread_store_key;
static pthread_once_t thread_store_once = PTHREAD_ONCE_INIT;

static void thread_store_exit(void *s) { store_close(s); }
static void thread_store_init(void) { pthread_key_create(&thread_store_key, thread_store_exit); }

struct store *store_thread(void)
{
    if (!thread_store) {
        char err[256];
        pthread_once(&thread_store_once, thread_store_init);
        thread_store = store_open(thread_store_path, err, sizeof err);
        if (!thread_store)
            fprintf(stderr, "store: %s\n", err);
        else
            pthread_setspecific(thread_store_key, thread_store);
    }
    return thread_store;
}
