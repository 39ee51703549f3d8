/*
 * lease: leader election between the yund processes of one store, for the loops that must run
 * once at a time in a region (the billing controller and the jobs it runs), with nothing beyond
 * the store itself.
 *
 * On PostgreSQL a lease is a session advisory lock, pg_try_advisory_lock(key) with key a 64-bit
 * hash of "yun-lease:NAME", taken on a connection of its own (not a store connection: those are
 * per thread and reset at will). The lock lives exactly as long as that session: when the process
 * dies (kill -9 included) or its connection breaks, PostgreSQL ends the session and releases the
 * lock, and another process's next lease_hold (its loop polls about once a second) takes it. The
 * holder checks its session on every lease_hold, so a holder cut off from the database stops
 * within one loop turn; TCP keepalives on the session (5 s idle, 1 s interval, 3 probes, both
 * sides) bound how long a dead peer keeps the lock over TCP. The session's application_name
 * ("yund-lease NAME pid PID") names the holder in pg_stat_activity. Advisory locks are per
 * database: the clouds of two databases on one server have leases of their own.
 *
 * The window in which two processes both believe they lead is bounded but not zero (a holder
 * whose connection breaks mid-pass finishes that unit of work): what runs under a lease must be
 * idempotent per unit and committed in one transaction, as settlement of an account-hour is.
 *
 * On SQLite one machine runs the cloud and DATA/yund.lock already lets one host-role yund use the
 * data directory: the lease is held by that process (`sole`) and never by a --no-host one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/core.h"
#include "store/lease.h"
#include "store/store_int.h"

struct lease {
    char name[64];
    int64_t key;
    int sole, pg;
    PGconn *conn; /* PostgreSQL: the session holding (or trying for) the lock; NULL when disconnected */
    int held;
};

static int64_t lease_key(const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = "yun-lease:"; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (int64_t)h;
}

struct lease *lease_open(const char *name, int sole)
{
    struct lease *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->key = lease_key(name);
    l->sole = sole;
    l->pg = store_pg_path(store_path());
    return l;
}

static void disconnect(struct lease *l)
{
    if (l->conn)
        PQfinish(l->conn);
    l->conn = NULL;
    if (l->held)
        log_warn("lease %s: lost (the session holding it ended)", l->name);
    l->held = 0;
}

static int connect_session(struct lease *l)
{
    char app[96];
    snprintf(app, sizeof app, "yund-lease %s pid %ld", l->name, (long)getpid());
    /* the URL first: the keywords after it override what it says */
    const char *keys[] = {"dbname",          "application_name",    "connect_timeout",  "keepalives",
                          "keepalives_idle", "keepalives_interval", "keepalives_count", NULL};
    const char *vals[] = {store_path(), app, "3", "1", "5", "1", "3", NULL};
    l->conn = PQconnectdbParams(keys, vals, 1);
    if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
        if (l->conn)
            PQfinish(l->conn);
        l->conn = NULL;
        return -1;
    }
    /* the server side of the keepalives (ignored on a unix socket) */
    PQclear(PQexec(l->conn, "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 1; "
                            "SET tcp_keepalives_count = 3"));
    return 0;
}

/* One round trip on the session: the answer of `sql` as 1/0, or -1 when the session is gone. */
static int ask(struct lease *l, const char *sql)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)l->key);
    const char *params[] = {key};
    PGresult *r = PQexecParams(l->conn, sql, 1, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        rc = !strcmp(PQgetvalue(r, 0, 0), "t") || !strcmp(PQgetvalue(r, 0, 0), "1");
    PQclear(r);
    return rc;
}

int lease_hold(struct lease *l)
{
    if (!l)
        return 0;
    if (!l->pg)
        return l->sole;
    if (!l->conn && connect_session(l) != 0)
        return 0;
    /* held: is the session that holds it still there (and still holding it)? */
    const char *sql =
        l->held
            ? "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = "
              "pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = CAST($1 AS BIGINT)"
            : "SELECT pg_try_advisory_lock(CAST($1 AS BIGINT))";
    int rc = ask(l, sql);
    if (rc < 0) {
        disconnect(l);
        return 0;
    }
    if (rc && !l->held)
        log_info("lease %s: taken by this process", l->name);
    if (!rc && l->held) {
        disconnect(l); /* someone else's now: a fresh session tries again */
        return 0;
    }
    l->held = rc;
    return rc;
}

void lease_close(struct lease *l)
{
    if (!l)
        return;
    if (l->conn && l->held)
        ask(l, "SELECT pg_advisory_unlock(CAST($1 AS BIGINT))");
    l->held = 0;
    disconnect(l);
    free(l);
}

int lease_probe(struct store *s, const char *name)
{
    if (strcmp(store_backend(s), "postgres"))
        return -1;
    int64_t key = lease_key(name);
    struct store_stmt *q =
        store_query(s,
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND "
                    "database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND "
                    "((classid::bigint << 32) | objid::bigint) = ?",
                    "i", key);
    int rc = q ? store_step(q) : STORE_ERROR;
    int n = rc == STORE_FOUND ? (int)store_int(q, 0) : -1;
    store_done(q);
    return n < 0 ? -1 : n > 0;
}

int lease_peers(struct store *s)
{
    if (strcmp(store_backend(s), "postgres"))
        return -1;
    char mine[64];
    snprintf(mine, sizeof mine, "%% pid %ld", (long)getpid());
    struct store_stmt *q = store_query(s,
                                       /* one session per lease and process: count the pids */
                                       "SELECT count(DISTINCT substring(application_name from ' pid [0-9]+$'))"
                                       " FROM pg_stat_activity WHERE datname = "
                                       "current_database() AND application_name LIKE 'yund-lease %' AND "
                                       "application_name NOT LIKE ?",
                                       "s", mine);
    int rc = q ? store_step(q) : STORE_ERROR;
    int n = rc == STORE_FOUND ? (int)store_int(q, 0) : -1;
    store_done(q);
    return n;
}
