/*
 * sqlite: the SQLite backend of the store interface (see store.h for the contract).
 * WAL lets readers run beside the single writer; BEGIN IMMEDIATE takes the write lock up front so
 * two writers queue on busy_timeout instead of failing half-way through an action.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <stdatomic.h>
/* Debian's libsqlite3 is built with the pre-update hook (the session extension needs it) */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>

#include "store/store_int.h"

/*
 * Prepared statements are cached per connection, keyed by the SQL text (equal texts at two
 * addresses share one entry; a reused buffer holding new text does not alias the old). When the cache is full the least
 * recently used statement that is not mid-iteration is finalized; if every one is, the statement is prepared uncached
 * and finalized at store_done().
 */
#define STMT_CACHE 256

struct store_stmt {
    struct store_stmt_base base; /* first: the owner */
    sqlite3_stmt *stmt;
    char *sql; /* owned copy of the text */
    uint64_t hash, used;
    int transient;
};

struct store {
    struct store_base base; /* first: the backend table */
    sqlite3 *db;
    int in_tx;
    int watched; /* bits: a watched table's row changed since the last publish (1 store_watch, 2 store_watch_all) */
    uint64_t tick;
    struct store_stmt cache[STMT_CACHE];
};

static void lite_close(struct store *s);
static void lite_rollback(struct store *s);
static void lite_done(struct store_stmt *st);

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void entry_clear(struct store_stmt *e)
{
    if (e->stmt)
        sqlite3_finalize(e->stmt);
    free(e->sql);
    memset(e, 0, sizeof *e);
}

/* SQLite's memory statistics take a global mutex around every allocation, which all worker
 * threads then contend for; nothing reads them. Set before SQLite initialises (a later call is
 * refused harmlessly). */
static void configure_sqlite(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/*
 * The change watch (store_watch): every connection's pre-update hook marks it when a row of a
 * watched table changes (WITHOUT ROWID tables included, which the plain update hook skips); once
 * the connection is back in autocommit mode (its transaction committed or rolled back) a marked
 * connection bumps the process-wide count. One daemon owns the file (yund.lock), so every writer
 * is one of these connections.
 */
static char watch_prefix[32];
static size_t watch_len;
static const char *const *watch_except;
static _Atomic uint64_t watch_count;

void sqlite_watch(const char *prefix, const char *const *except)
{
    snprintf(watch_prefix, sizeof watch_prefix, "%s", prefix);
    watch_len = strlen(watch_prefix);
    watch_except = except;
}

static bool watched(const char *table)
{
    if (!watch_len || strncmp(table, watch_prefix, watch_len) != 0)
        return false;
    for (const char *const *e = watch_except; e && *e; e++)
        if (strcmp(table, *e) == 0)
            return false;
    return true;
}

uint64_t sqlite_watch_count(void) { return atomic_load(&watch_count); }

/* The second watch (store_watch_all): every table but its list. */
static const char *const *all_except;
static _Atomic int all_on;
static _Atomic uint64_t all_count;

void sqlite_watch_all(const char *const *except)
{
    all_except = except;
    atomic_store(&all_on, 1);
}

uint64_t sqlite_watch_all_count(void) { return atomic_load(&all_count); }

static bool watched_all(const char *table)
{
    if (!atomic_load(&all_on))
        return false;
    for (const char *const *e = all_except; e && *e; e++)
        if (strcmp(table, *e) == 0)
            return false;
    return true;
}

static void preupdate(void *arg, sqlite3 *db, int op, const char *dbname, const char *table, sqlite3_int64 k1,
                      sqlite3_int64 k2)
{
    (void)db, (void)op, (void)dbname, (void)k1, (void)k2;
    if (watched(table))
        ((struct store *)arg)->watched |= 1;
    if (watched_all(table))
        ((struct store *)arg)->watched |= 2;
}

/* After a statement or transaction ended: a committed change to a watched table is counted (a
 * rolled-back one too, which costs a reader one more read and nothing else). */
static void publish(struct store *s)
{
    if (s->watched && sqlite3_get_autocommit(s->db)) {
        if (s->watched & 1)
            atomic_fetch_add(&watch_count, 1);
        if (s->watched & 2)
            atomic_fetch_add(&all_count, 1);
        s->watched = 0;
    }
}

static struct store *lite_open(const char *path, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.ops = &store_sqlite_ops;
    /* a connection is one thread's (store_thread(); the daemon's start-up connection stays on the
     * main thread), so SQLite's per-call connection mutex would only be locked and unlocked */
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        lite_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_preupdate_hook(s->db, preupdate, s);
    /* cache_size: up to 16 MiB of pages per connection (the default 2 MiB rereads the meter and bill
     * tables from the file during a settlement) */
    static const char *pragmas =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;";
    char *msg = NULL;
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "configure %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        lite_close(s);
        return NULL;
    }
    return s;
}

static void lite_close(struct store *s)
{
    for (int i = 0; i < STMT_CACHE; i++)
        entry_clear(&s->cache[i]);
    sqlite3_close(s->db);
    free(s);
}

static const char *lite_errmsg(struct store *s) { return sqlite3_errmsg(s->db); }

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
        return STORE_OK;
    case SQLITE_CONSTRAINT:
        return STORE_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_BUSY;
    default:
        return STORE_ERROR;
    }
}

static int exec_plain(struct store *s, const char *sql)
{
    int rc = map_rc(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
    publish(s);
    return rc;
}

static int lite_begin(struct store *s)
{
    int rc = exec_plain(s, "BEGIN IMMEDIATE");
    if (rc == STORE_OK)
        s->in_tx = 1;
    return rc;
}

static int lite_commit(struct store *s)
{
    int rc = exec_plain(s, "COMMIT");
    if (rc == STORE_OK)
        s->in_tx = 0;
    else
        lite_rollback(s);
    return rc;
}

static void lite_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        exec_plain(s, "ROLLBACK");
    s->in_tx = 0;
}

static int lite_in_transaction(struct store *s) { return s->in_tx; }

static struct store_stmt *prepare(struct store *s, const char *sql)
{
    struct store_stmt *victim = NULL;
    s->tick++;
    uint64_t h = sql_hash(sql);
    /* a hit compares hashes only; the victim is chosen (stmt_busy per entry) on a miss */
    for (size_t i = 0; i < STMT_CACHE; i++) {
        struct store_stmt *e = &s->cache[i];
        if (e->hash == h && e->sql && strcmp(e->sql, sql) == 0) {
            e->used = s->tick;
            return e;
        }
    }
    for (size_t i = 0; i < STMT_CACHE; i++) {
        struct store_stmt *e = &s->cache[i];
        if (!e->sql) {
            if (!victim || victim->sql)
                victim = e;
        } else if (!sqlite3_stmt_busy(e->stmt) && (!victim || (victim->sql && e->used < victim->used))) {
            victim = e;
        }
    }
    if (!victim) { /* every cached statement is mid-iteration: one that lives until store_done() */
        struct store_stmt *t = calloc(1, sizeof *t);
        if (!t || sqlite3_prepare_v2(s->db, sql, -1, &t->stmt, NULL) != SQLITE_OK) {
            if (t)
                sqlite3_finalize(t->stmt);
            free(t);
            return NULL;
        }
        t->transient = 1;
        t->base.owner = s;
        return t;
    }
    entry_clear(victim);
    victim->sql = strdup(sql);
    if (!victim->sql ||
        sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &victim->stmt, NULL) != SQLITE_OK) {
        entry_clear(victim);
        return NULL;
    }
    victim->hash = h;
    victim->used = s->tick;
    victim->base.owner = s;
    return victim;
}

static struct store_stmt *bindv(struct store *s, const char *sql, const char *fmt, va_list ap)
{
    struct store_stmt *st = prepare(s, sql);
    if (!st)
        return NULL;
    sqlite3_reset(st->stmt);
    sqlite3_clear_bindings(st->stmt);
    for (int i = 0; fmt && fmt[i]; i++) {
        int rc;
        if (fmt[i] == 's') {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st->stmt, i + 1, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st->stmt, i + 1);
        } else if (fmt[i] == 'i') {
            rc = sqlite3_bind_int64(st->stmt, i + 1, va_arg(ap, int64_t));
        } else if (fmt[i] == 'b') {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            rc = sqlite3_bind_blob(st->stmt, i + 1, p, (int)n, SQLITE_TRANSIENT);
        } else {
            rc = SQLITE_MISUSE;
        }
        if (rc != SQLITE_OK) {
            lite_done(st);
            return NULL;
        }
    }
    return st;
}

static int lite_step(struct store_stmt *st)
{
    int rc = sqlite3_step(st->stmt);
    if (rc == SQLITE_ROW)
        return 1;
    publish(st->base.owner);
    return map_rc(rc);
}

static const char *lite_text(struct store_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st->stmt, col);
    return t ? (const char *)t : "";
}

static int64_t lite_int(struct store_stmt *st, int col) { return sqlite3_column_int64(st->stmt, col); }

static const void *lite_blob(struct store_stmt *st, int col, size_t *len)
{
    *len = (size_t)sqlite3_column_bytes(st->stmt, col);
    return sqlite3_column_blob(st->stmt, col);
}

static int lite_is_null(struct store_stmt *st, int col) { return sqlite3_column_type(st->stmt, col) == SQLITE_NULL; }

static void lite_done(struct store_stmt *st)
{
    if (st->transient) {
        struct store *s = st->base.owner;
        sqlite3_finalize(st->stmt);
        free(st);
        publish(s);
        return;
    }
    sqlite3_reset(st->stmt);
    sqlite3_clear_bindings(st->stmt);
    publish(st->base.owner);
}

static int lite_exec(struct store *s, const char *sql, const char *fmt, va_list ap)
{
    struct store_stmt *st = bindv(s, sql, fmt, ap);
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st->stmt);
    int out = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? sqlite3_changes(s->db) : map_rc(rc);
    lite_done(st);
    return out;
}

static int64_t lite_last_id(struct store *s) { return sqlite3_last_insert_rowid(s->db); }

static int lite_script(struct store *s, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = map_rc(sqlite3_exec(s->db, sql, NULL, NULL, &msg));
    if (rc != STORE_OK)
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return rc;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = lite_open,
    .close = lite_close,
    .errmsg = lite_errmsg,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .in_transaction = lite_in_transaction,
    .query = bindv,
    .step = lite_step,
    .text = lite_text,
    .integer = lite_int,
    .blob = lite_blob,
    .is_null = lite_is_null,
    .done = lite_done,
    .exec = lite_exec,
    .last_id = lite_last_id,
    .script = lite_script,
    .raw = lite_script,
};
