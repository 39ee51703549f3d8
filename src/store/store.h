/*
 * store: the state store interface. Every service keeps its tables here and writes them only
 * through these calls, in portable SQL with `?` placeholders, so that a PostgreSQL backend can
 * implement the same interface later. The default backend is SQLite in WAL mode with
 * synchronous=FULL: a commit that returned is on disk, so a kill -9 loses nothing acknowledged.
 *
 * A `struct store` is one connection and must be used by one thread at a time; the daemon keeps
 * one per worker thread (store_thread()). Prepared statements are cached per connection, keyed by
 * the SQL text (least recently used evicted; see sqlite.c), so SQL may also be built at run time.
 */
#ifndef YUN_STORE_H
#define YUN_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_stmt;

enum { STORE_OK = 0, STORE_ERROR = -1, STORE_CONSTRAINT = -2, STORE_BUSY = -3 };
/* What every lookup answers (as store_step does): STORE_FOUND, STORE_NOT_FOUND, or STORE_ERROR. */
enum { STORE_NOT_FOUND = 0, STORE_FOUND = 1 };

struct migration {
    int version;     /* 1, 2, 3 ... applied in order, each once */
    const char *sql; /* one or more statements, in SQLite's DDL (pg.c maps its types) */
    /* what PostgreSQL runs instead, only where no text means the same on both (triggers); NULL = sql */
    const char *postgres;
};

struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_errmsg(struct store *s);

int store_begin(struct store *s); /* a write transaction (takes the write lock at once) */
int store_commit(struct store *s);
void store_rollback(struct store *s);
int store_in_transaction(struct store *s);
/* Caps this connection's page cache at kib KiB (SQLite; PostgreSQL's is the server's): for threads that are many and
 * read little each, such as the host channel's sessions. */
void store_cache_limit(struct store *s, int kib);
/* A unit of work (a state change and its events, a deletion and its meter) that is its own transaction, or a part
 * of the caller's when one is open (a SAVEPOINT, the same SQL on both stores), so several units can share one
 * commit: store_unit_begin answers 1 (its own transaction), 0 (a savepoint in the caller's) or -1 (the store is
 * busy); store_unit_end(s, own, ok) commits or releases it when ok, else undoes it alone; 0, or -1 when it did
 * not commit. */
int store_unit_begin(struct store *s);
int store_unit_end(struct store *s, int own, int ok);
/* 1 when a call on this connection since its last store_begin answered STORE_BUSY (SQLite busy;
 * PostgreSQL serialization failure, deadlock, lock timeout): the transaction is lost, and running
 * the whole of it again may succeed. */
int store_busy(struct store *s);

/* Parameters are described by fmt, one letter each: s = const char* (NULL binds NULL),
 * i = int64_t, b = (const void*, size_t) blob. Returns NULL on error (see store_errmsg). */
struct store_stmt *store_query(struct store *s, const char *sql, const char *fmt, ...);
int store_step(struct store_stmt *st);                  /* 1 = row, 0 = done, <0 = STORE_* error */
const char *store_text(struct store_stmt *st, int col); /* "" for NULL */
int64_t store_int(struct store_stmt *st, int col);
const void *store_blob(struct store_stmt *st, int col, size_t *len);
int store_is_null(struct store_stmt *st, int col);
void store_done(struct store_stmt *st);

/* Runs a statement that returns no rows: number of changed rows, or a STORE_* error. */
int store_exec(struct store *s, const char *sql, const char *fmt, ...);
int64_t store_last_id(struct store *s);

/* Applies the component's migrations not yet recorded in schema_migrations, each in its own
 * transaction. */
int store_migrate(struct store *s, const char *component, const struct migration *m, int n, char *err, size_t errlen);

/* The change watch, for caches of rows: a count, process-wide, of the committed transactions (and
 * statements outside one) that changed a row of a table whose name starts with the prefix given
 * to store_watch, but for the NULL-ended list of tables it excepts (one watch per process, set at
 * start, the list static). Rows read after the count was c are
 * still the store's while it is c. store_watch_count answers 0 when the backend cannot see every
 * writer (PostgreSQL: other yund processes share it): nothing may be cached then. */
void store_watch(const char *prefix, const char *const *except);
int store_watch_count(struct store *s, uint64_t *count);
/* A second watch of the same kind on every table but the NULL-ended list except (static), for caches of what
 * many tables make (a joined host's document, host_channel.c); its count as store_watch_count's. */
void store_watch_all(const char *const *except);
int store_watch_all_count(struct store *s, uint64_t *count);

/* The path names a PostgreSQL store (postgres:// or postgresql://). */
int store_is_postgres(const char *path);

/* "sqlite" or "postgres": for the few statements that must differ (none in services). */
const char *store_backend(struct store *s);
/* The path store_set_path() was given. */
const char *store_path(void);

/* The calling thread's connection to the daemon's store (opened on first use). */
void store_set_path(const char *path);
struct store *store_thread(void);

#endif
