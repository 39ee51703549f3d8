/*
 * pg: the PostgreSQL backend of the store interface (libpq; see store.h for the contract).
 *
 * The services' SQL is written once, with `?` placeholders; here each `?` outside a quoted string
 * becomes $1, $2 ... and the statement is prepared once per connection, cached by its text as in
 * sqlite.c. Results are read whole (PQexecPrepared), so a caller may run other statements while it
 * iterates one.
 *
 * Transactions keep SQLite's model: store_begin takes one cluster-wide advisory lock
 * (pg_advisory_xact_lock) so write transactions queue behind each other across every yund on the
 * database, as BEGIN IMMEDIATE queues them on one file; what an action reads inside its
 * transaction is what it writes on (READ COMMITTED after the lock sees every earlier commit), so
 * two processes racing for the last vCPU or address never both win. Reads outside a transaction
 * run beside the writers. A statement that fails inside a transaction undoes only itself (each
 * write runs under a savepoint), as a failed statement does in SQLite, so a caller may go on after
 * a constraint error.
 *
 * Migrations (store_migrate) are the only SQL translated beyond placeholders, word by word outside
 * quotes: INTEGER -> BIGINT (SQLite integers are 64-bit), BLOB -> BYTEA, INTEGER PRIMARY KEY
 * [AUTOINCREMENT] -> an identity column, WITHOUT ROWID dropped; and each table without an integer
 * key gets a `rowid` identity column, so `ORDER BY rowid` (insertion order) means the same on both.
 *
 * Errors: SQLSTATE class 23505 (unique) and other 23xxx integrity violations -> STORE_CONSTRAINT;
 * 40001 (serialization failure), 40P01 (deadlock), 55P03 (lock not available) -> STORE_BUSY.
 * A broken connection is reset once and the statement cache dropped (the server forgot it).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store_int.h"

#define STMT_CACHE     256
#define MAX_PARAMS     128
#define BYTEAOID       17
#define INT8OID        20
#define WRITE_LOCK_KEY 7966350 /* the cluster-wide write lock of store_begin */

struct store_stmt {
    struct store_stmt_base base; /* first: the owner */
    char *sql;                   /* the caller's text (the cache key) */
    char name[24];               /* server-side prepared statement name, "" if not prepared */
    char types[MAX_PARAMS + 1];  /* the fmt it was prepared with */
    uint64_t hash, used;
    PGresult *res;
    int row, nrows, live, transient;
    unsigned char *blob; /* the last store_blob() of this row, freed on the next */
};

struct store {
    struct store_base base; /* first: the backend table */
    PGconn *conn;
    int in_tx, aborted;
    uint64_t tick, names;
    char err[512];
    struct store_stmt cache[STMT_CACHE];
};

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void set_err(struct store *s, const char *what, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : NULL;
    if (!m || !*m)
        m = PQerrorMessage(s->conn);
    snprintf(s->err, sizeof s->err, "%s%s%s", what ? what : "", what ? ": " : "", m);
    size_t n = strlen(s->err);
    while (n && (s->err[n - 1] == '\n' || s->err[n - 1] == ' '))
        s->err[--n] = 0;
}

static int map_result(struct store *s, PGresult *r)
{
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
        return STORE_OK;
    set_err(s, NULL, r);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && !strncmp(state, "23", 2))
        return STORE_CONSTRAINT;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))) {
        s->base.busy = 1; /* also when the caller sees only a NULL statement */
        return STORE_BUSY;
    }
    return STORE_ERROR;
}

static void entry_clear(struct store *s, struct store_stmt *e)
{
    if (e->name[0] && s && PQstatus(s->conn) == CONNECTION_OK && !s->aborted) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", e->name);
        PQclear(PQexec(s->conn, sql));
    }
    PQclear(e->res);
    PQfreemem(e->blob);
    free(e->sql);
    memset(e, 0, sizeof *e);
}

/* After a reset the server holds none of our prepared statements. */
static void forget_prepared(struct store *s)
{
    for (int i = 0; i < STMT_CACHE; i++)
        s->cache[i].name[0] = 0;
}

static int connection_ok(struct store *s)
{
    if (PQstatus(s->conn) == CONNECTION_OK)
        return 1;
    if (s->in_tx) /* the transaction is gone with the connection: the caller must start again */
        return 0;
    PQreset(s->conn);
    forget_prepared(s);
    return PQstatus(s->conn) == CONNECTION_OK;
}

static void pg_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        struct store_stmt *e = &s->cache[i];
        PQclear(e->res);
        PQfreemem(e->blob);
        free(e->sql);
    }
    PQfinish(s->conn);
    free(s);
}

static void notice_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static struct store *pg_open(const char *path, char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base.ops = &store_pg_ops;
    s->conn = PQconnectdb(path);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        snprintf(err, errlen, "connect to PostgreSQL: %s", s->conn ? PQerrorMessage(s->conn) : "out of memory");
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = 0;
        pg_close(s);
        return NULL;
    }
    PQsetNoticeProcessor(s->conn, notice_quiet, NULL); /* "relation already exists, skipping" */
    PGresult *r = PQexec(s->conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    if (map_result(s, r) != STORE_OK) {
        snprintf(err, errlen, "configure PostgreSQL: %s", s->err);
        PQclear(r);
        pg_close(s);
        return NULL;
    }
    PQclear(r);
    return s;
}

static const char *pg_errmsg(struct store *s) { return s->err[0] ? s->err : PQerrorMessage(s->conn); }

static int exec_plain(struct store *s, const char *sql)
{
    if (!connection_ok(s)) {
        set_err(s, "connection", NULL);
        return STORE_ERROR;
    }
    PGresult *r = PQexec(s->conn, sql);
    int rc = map_result(s, r);
    PQclear(r);
    return rc;
}

static int pg_begin(struct store *s)
{
    char sql[96];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d)", WRITE_LOCK_KEY);
    int rc = exec_plain(s, sql);
    if (rc == STORE_OK) {
        s->in_tx = 1;
        s->aborted = 0;
    } else {
        exec_plain(s, "ROLLBACK");
    }
    return rc;
}

static void pg_rollback(struct store *s)
{
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        exec_plain(s, "ROLLBACK");
    s->in_tx = 0;
    s->aborted = 0;
}

static int pg_commit(struct store *s)
{
    if (s->aborted) {
        pg_rollback(s);
        return STORE_ERROR;
    }
    PGresult *r = PQexec(s->conn, "COMMIT");
    int rc = map_result(s, r);
    /* COMMIT of a transaction the server has aborted answers ROLLBACK, without an error */
    if (rc == STORE_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        snprintf(s->err, sizeof s->err, "the transaction was rolled back");
        rc = STORE_ERROR;
    }
    PQclear(r);
    if (rc != STORE_OK)
        pg_rollback(s);
    s->in_tx = 0;
    return rc;
}

static int pg_in_transaction(struct store *s) { return s->in_tx; }

/* `?` outside '...' and "..." becomes $n; returns the number of placeholders or -1. */
static int rewrite_placeholders(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    int n = 0;
    char quote = 0;
    for (const char *p = in; *p; p++) {
        char buf[16];
        const char *add = buf;
        if (quote) {
            if (*p == quote)
                quote = 0;
            buf[0] = *p, buf[1] = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            buf[0] = *p, buf[1] = 0;
        } else if (*p == '?') {
            snprintf(buf, sizeof buf, "$%d", ++n);
        } else {
            buf[0] = *p, buf[1] = 0;
        }
        size_t l = strlen(add);
        if (o + l + 1 > outlen)
            return -1;
        memcpy(out + o, add, l);
        o += l;
    }
    out[o] = 0;
    return n;
}

static int prepare_entry(struct store *s, struct store_stmt *e, const char *fmt)
{
    size_t len = strlen(e->sql) * 4 + 64;
    char *text = malloc(len);
    if (!text)
        return STORE_ERROR;
    int n = rewrite_placeholders(e->sql, text, len);
    size_t nf = fmt ? strlen(fmt) : 0;
    if (n < 0 || n > MAX_PARAMS || (size_t)n != nf) {
        snprintf(s->err, sizeof s->err, "statement has %d placeholders, %zu parameters given", n, nf);
        free(text);
        return STORE_ERROR;
    }
    Oid types[MAX_PARAMS];
    for (int i = 0; i < n; i++)
        types[i] = fmt[i] == 'i' ? INT8OID : fmt[i] == 'b' ? BYTEAOID : 0;
    snprintf(e->name, sizeof e->name, "y%llu", (unsigned long long)++s->names);
    PGresult *r = PQprepare(s->conn, e->name, text, n, types);
    free(text);
    int rc = map_result(s, r);
    PQclear(r);
    if (rc != STORE_OK) {
        e->name[0] = 0;
        return rc;
    }
    snprintf(e->types, sizeof e->types, "%s", fmt ? fmt : "");
    return STORE_OK;
}

static struct store_stmt *lookup(struct store *s, const char *sql)
{
    struct store_stmt *victim = NULL;
    s->tick++;
    uint64_t h = sql_hash(sql);
    for (size_t i = 0; i < STMT_CACHE; i++) {
        struct store_stmt *e = &s->cache[i];
        if (e->sql && e->hash == h && strcmp(e->sql, sql) == 0) {
            e->used = s->tick;
            return e;
        }
        if (!e->sql) {
            if (!victim || victim->sql)
                victim = e;
        } else if (!e->live && (!victim || (victim->sql && e->used < victim->used))) {
            victim = e;
        }
    }
    if (!victim) { /* every cached statement is mid-iteration: one that lives until store_done() */
        struct store_stmt *t = calloc(1, sizeof *t);
        if (!t || !(t->sql = strdup(sql))) {
            free(t);
            return NULL;
        }
        t->transient = 1;
        t->base.owner = s;
        return t;
    }
    entry_clear(s, victim);
    if (!(victim->sql = strdup(sql)))
        return NULL;
    victim->hash = h;
    victim->used = s->tick;
    victim->base.owner = s;
    return victim;
}

static void pg_done(struct store_stmt *st);

static int is_select(const char *sql)
{
    while (isspace((unsigned char)*sql) || *sql == '(')
        sql++;
    return !strncasecmp(sql, "SELECT", 6) || !strncasecmp(sql, "WITH", 4);
}

/* Runs the statement with its parameters; the result is left in st->res. */
static int run(struct store *s, struct store_stmt *st, const char *fmt, va_list ap)
{
    const char *values[MAX_PARAMS];
    int lengths[MAX_PARAMS], formats[MAX_PARAMS];
    char nums[MAX_PARAMS][24];
    int n = fmt ? (int)strlen(fmt) : 0;
    if (n > MAX_PARAMS) {
        snprintf(s->err, sizeof s->err, "too many parameters");
        return STORE_ERROR;
    }
    for (int i = 0; i < n; i++) {
        lengths[i] = 0;
        formats[i] = 0;
        if (fmt[i] == 's') {
            values[i] = va_arg(ap, const char *);
        } else if (fmt[i] == 'i') {
            snprintf(nums[i], sizeof nums[i], "%lld", (long long)va_arg(ap, int64_t));
            values[i] = nums[i];
        } else if (fmt[i] == 'b') {
            values[i] = va_arg(ap, const char *);
            lengths[i] = (int)va_arg(ap, size_t);
            formats[i] = 1;
            if (!values[i])
                values[i] = "";
        } else {
            snprintf(s->err, sizeof s->err, "bad parameter format '%c'", fmt[i]);
            return STORE_ERROR;
        }
    }
    if (s->aborted) {
        snprintf(s->err, sizeof s->err, "the transaction was aborted");
        return STORE_ERROR;
    }
    if (!connection_ok(s)) {
        set_err(s, "connection", NULL);
        return STORE_ERROR;
    }
    if (st->name[0] && strcmp(st->types, fmt ? fmt : "") != 0) { /* same text, other types: prepare again */
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PQclear(PQexec(s->conn, sql));
        st->name[0] = 0;
    }
    int rc;
    if (!st->name[0] && (rc = prepare_entry(s, st, fmt)) != STORE_OK) {
        if (s->in_tx && PQtransactionStatus(s->conn) == PQTRANS_INERROR)
            s->aborted = 1;
        return rc;
    }
    int guard = s->in_tx && !is_select(st->sql);
    if (guard && (rc = exec_plain(s, "SAVEPOINT yun_stmt")) != STORE_OK) {
        s->aborted = 1;
        return rc;
    }
    st->res = PQexecPrepared(s->conn, st->name, n, values, lengths, formats, 0);
    rc = map_result(s, st->res);
    if (guard) {
        if (rc == STORE_OK || rc == STORE_CONSTRAINT)
            exec_plain(s, rc == STORE_OK ? "RELEASE SAVEPOINT yun_stmt"
                                         : "ROLLBACK TO SAVEPOINT yun_stmt; RELEASE SAVEPOINT yun_stmt");
        else
            s->aborted = 1; /* busy or broken: the whole transaction must be retried */
        if (rc != STORE_OK) /* exec_plain overwrote the message */
            set_err(s, NULL, st->res);
    } else if (rc != STORE_OK && s->in_tx) {
        s->aborted = 1;
    }
    if (rc != STORE_OK && PQstatus(s->conn) != CONNECTION_OK)
        forget_prepared(s);
    return rc;
}

static struct store_stmt *pg_query(struct store *s, const char *sql, const char *fmt, va_list ap)
{
    struct store_stmt *st = lookup(s, sql);
    if (!st)
        return NULL;
    PQclear(st->res);
    st->res = NULL;
    PQfreemem(st->blob);
    st->blob = NULL;
    if (run(s, st, fmt, ap) != STORE_OK) {
        pg_done(st);
        return NULL;
    }
    st->row = -1;
    st->nrows = PQntuples(st->res);
    st->live = 1;
    return st;
}

static int pg_step(struct store_stmt *st)
{
    PQfreemem(st->blob);
    st->blob = NULL;
    if (!st->res)
        return STORE_ERROR;
    if (st->row + 1 < st->nrows) {
        st->row++;
        return 1;
    }
    st->row = st->nrows;
    st->live = 0;
    return 0;
}

static int has_value(struct store_stmt *st, int col)
{
    return st->res && st->row >= 0 && st->row < st->nrows && col >= 0 && col < PQnfields(st->res);
}

static const char *pg_text(struct store_stmt *st, int col)
{
    return has_value(st, col) ? PQgetvalue(st->res, st->row, col) : "";
}

static int64_t pg_int(struct store_stmt *st, int col)
{
    const char *v = pg_text(st, col);
    if (!strcmp(v, "t")) /* a boolean expression (SQLite answers 1/0) */
        return 1;
    return strtoll(v, NULL, 10);
}

static const void *pg_blob(struct store_stmt *st, int col, size_t *len)
{
    *len = 0;
    if (!has_value(st, col) || PQgetisnull(st->res, st->row, col))
        return NULL;
    const char *v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) != BYTEAOID) { /* text read as bytes, as SQLite allows */
        *len = (size_t)PQgetlength(st->res, st->row, col);
        return v;
    }
    PQfreemem(st->blob);
    st->blob = PQunescapeBytea((const unsigned char *)v, len);
    if (!st->blob)
        *len = 0;
    return st->blob;
}

static int pg_is_null(struct store_stmt *st, int col)
{
    return !has_value(st, col) || PQgetisnull(st->res, st->row, col);
}

static void pg_done(struct store_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    if (st->blob) {
        PQfreemem(st->blob);
        st->blob = NULL;
    }
    st->live = 0;
    if (st->transient) {
        struct store *s = (struct store *)st->base.owner;
        entry_clear(s, st);
        free(st);
    }
}

static int pg_exec(struct store *s, const char *sql, const char *fmt, va_list ap)
{
    struct store_stmt *st = lookup(s, sql);
    if (!st)
        return STORE_ERROR;
    PQclear(st->res);
    st->res = NULL;
    int rc = run(s, st, fmt, ap);
    if (rc == STORE_OK)
        rc = atoi(PQcmdTuples(st->res));
    pg_done(st);
    return rc;
}

static int64_t pg_last_id(struct store *s)
{
    PGresult *r = PQexec(s->conn, "SELECT lastval()");
    int64_t id = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return id;
}

/* --- migrations: SQLite DDL to PostgreSQL (see the comment at the top) --- */

struct buf {
    char *p;
    size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static int word_at(const char *p, const char *w)
{
    size_t n = strlen(w);
    return !strncasecmp(p, w, n) && !(isalnum((unsigned char)p[n]) || p[n] == '_');
}

/* The statement of `sql` from `p` to its ';' (outside quotes). */
static const char *statement_end(const char *p)
{
    char quote = 0;
    for (; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == ';') {
            return p;
        }
    }
    return p;
}

static int translate_statement(struct buf *b, const char *p, const char *end)
{
    const char *q = p;
    while (q < end && isspace((unsigned char)*q))
        q++;
    int create_table = word_at(q, "CREATE") && word_at(q + 6 + strspn(q + 6, " \t\n"), "TABLE");
    int has_int_key = 0, without_rowid = 0;
    for (const char *r = q; r < end; r++) {
        if (word_at(r, "INTEGER") && word_at(r + 7 + strspn(r + 7, " \t\n"), "PRIMARY"))
            has_int_key = 1;
        if (word_at(r, "WITHOUT") && word_at(r + 7 + strspn(r + 7, " \t\n"), "ROWID"))
            without_rowid = 1;
    }
    int depth = 0, added_rowid = !create_table || has_int_key || without_rowid;
    char quote = 0;
    for (const char *r = p; r < end;) {
        if (quote) {
            if (*r == quote)
                quote = 0;
            if (put(b, r++, 1))
                return -1;
            continue;
        }
        if (*r == '\'' || *r == '"') {
            quote = *r;
            if (put(b, r++, 1))
                return -1;
            continue;
        }
        if (*r == '(')
            depth++;
        if (*r == ')' && --depth == 0 && !added_rowid) {
            added_rowid = 1;
            if (put(b, ", rowid BIGINT GENERATED ALWAYS AS IDENTITY", 43))
                return -1;
        }
        if ((r == p || !(isalnum((unsigned char)r[-1]) || r[-1] == '_'))) {
            size_t sp;
            if (word_at(r, "INTEGER") && word_at(r + 7 + (sp = strspn(r + 7, " \t\n")), "PRIMARY")) {
                const char *k = r + 7 + sp + 7;
                k += strspn(k, " \t\n");
                if (word_at(k, "KEY")) {
                    k += 3;
                    const char *a = k + strspn(k, " \t\n");
                    if (word_at(a, "AUTOINCREMENT"))
                        k = a + 13;
                    if (put(b, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", 51))
                        return -1;
                    r = k;
                    continue;
                }
            }
            if (word_at(r, "INTEGER")) {
                if (put(b, "BIGINT", 6))
                    return -1;
                r += 7;
                continue;
            }
            if (word_at(r, "BLOB")) {
                if (put(b, "BYTEA", 5))
                    return -1;
                r += 4;
                continue;
            }
            if (word_at(r, "WITHOUT") && word_at(r + 7 + (sp = strspn(r + 7, " \t\n")), "ROWID")) {
                r += 7 + sp + 5;
                continue;
            }
        }
        if (put(b, r++, 1))
            return -1;
    }
    return 0;
}

/* Exposed for the unit test of the translation. */
char *store_pg_translate_ddl(const char *sql)
{
    struct buf b = {0};
    if (put(&b, "", 0))
        return NULL;
    for (const char *p = sql; *p;) {
        const char *end = statement_end(p);
        if (translate_statement(&b, p, end) || (*end && put(&b, ";", 1))) {
            free(b.p);
            return NULL;
        }
        p = *end ? end + 1 : end;
    }
    return b.p;
}

static int pg_script(struct store *s, const char *sql, char *err, size_t errlen)
{
    char *text = store_pg_translate_ddl(sql);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return STORE_ERROR;
    }
    int rc = exec_plain(s, text);
    free(text);
    if (rc != STORE_OK) {
        snprintf(err, errlen, "%s", s->err);
        s->aborted = s->in_tx;
    }
    return rc;
}

static int pg_raw(struct store *s, const char *sql, char *err, size_t errlen)
{
    int rc = exec_plain(s, sql);
    if (rc != STORE_OK) {
        snprintf(err, errlen, "%s", s->err);
        s->aborted = s->in_tx;
    }
    return rc;
}

const struct store_ops store_pg_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .errmsg = pg_errmsg,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_transaction = pg_in_transaction,
    .query = pg_query,
    .step = pg_step,
    .text = pg_text,
    .integer = pg_int,
    .blob = pg_blob,
    .is_null = pg_is_null,
    .done = pg_done,
    .exec = pg_exec,
    .last_id = pg_last_id,
    .script = pg_script,
    .raw = pg_raw,
};
