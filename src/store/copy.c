/*
 * copy: moving a cloud's state between stores, and comparing two stores (yun admin store migrate /
 * check). Both sides are opened through store.h; the only engine-specific SQL is the catalogue a
 * backend answers (the tables and their columns), here beside the code that needs it.
 *
 * migrate: the target is migrated to the same schema (every component's migrations), must hold no
 * account yet, and is filled in one transaction: each table of the source (schema_migrations
 * aside, which the target's migrations wrote), parents before the tables that reference them, rows
 * in the source's insertion order, explicit ids kept and the target's identity sequences moved past
 * them. Then check: per table, the row count and an order-independent checksum (the sum of a
 * SHA-256 prefix of each row's canonical text) must be equal on both sides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "store/store_int.h"

#define MAX_TABLES  128
#define MAX_COLUMNS 96

struct table {
    char name[64];
    int ncols;
    char cols[MAX_COLUMNS][64];
    char kind[MAX_COLUMNS]; /* 'i' integer, 'b' blob, 's' text/other (from the PostgreSQL side, or SQLite's declared
                               type) */
    char parents[8][64];
    int nparents, done, has_rowid;
};

static int is_pg(struct store *s) { return !strcmp(store_backend(s), "postgres"); }

static int raw(struct store *s, const char *sql, char *err, size_t errlen)
{
    const struct store_ops *ops = ((struct store_base *)s)->ops;
    return ops->raw(s, sql, err, errlen);
}

/* The tables of a store with their columns, in an order where parents come first. */
static int list_tables(struct store *s, struct table *t, int *n, char *err, size_t errlen)
{
    *n = 0;
    struct store_stmt *q =
        is_pg(s) ? store_query(s,
                               "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                               " AND table_type = 'BASE TABLE' ORDER BY table_name",
                               NULL)
                 : store_query(s,
                               "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                               " ORDER BY name",
                               NULL);
    if (!q) {
        snprintf(err, errlen, "list tables: %s", store_errmsg(s));
        return -1;
    }
    while (store_step(q) == 1 && *n < MAX_TABLES) {
        memset(&t[*n], 0, sizeof t[*n]);
        snprintf(t[*n].name, sizeof t[*n].name, "%s", store_text(q, 0));
        (*n)++;
    }
    store_done(q);
    for (int i = 0; i < *n; i++) {
        struct table *x = &t[i];
        char sql[256];
        if (is_pg(s)) {
            q = store_query(s,
                            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema ="
                            " current_schema() AND table_name = ? ORDER BY ordinal_position",
                            "s", x->name);
        } else {
            snprintf(sql, sizeof sql, "SELECT name, type FROM pragma_table_info('%s') ORDER BY cid", x->name);
            q = store_query(s, sql, NULL);
        }
        if (!q) {
            snprintf(err, errlen, "columns of %s: %s", x->name, store_errmsg(s));
            return -1;
        }
        while (store_step(q) == 1 && x->ncols < MAX_COLUMNS) {
            const char *name = store_text(q, 0), *type = store_text(q, 1);
            if (is_pg(s) && !strcmp(name, "rowid")) { /* pg.c's stand-in for SQLite's implicit rowid */
                x->has_rowid = 1;
                continue;
            }
            snprintf(x->cols[x->ncols], sizeof x->cols[0], "%s", name);
            x->kind[x->ncols] = strcasestr(type, "int")                                   ? 'i'
                                : (strcasestr(type, "blob") || strcasestr(type, "bytea")) ? 'b'
                                                                                          : 's';
            x->ncols++;
        }
        store_done(q);
        if (!is_pg(s)) {
            snprintf(sql, sizeof sql, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list('%s')", x->name);
            q = store_query(s, sql, NULL);
            while (q && store_step(q) == 1 && x->nparents < 8)
                snprintf(x->parents[x->nparents++], sizeof x->parents[0], "%s", store_text(q, 0));
            store_done(q);
            snprintf(sql, sizeof sql, "SELECT 1 FROM sqlite_master WHERE name = '%s' AND sql LIKE '%%WITHOUT ROWID%%'",
                     x->name);
            q = store_query(s, sql, NULL);
            x->has_rowid = q && store_step(q) != 1;
            store_done(q);
        }
    }
    /* parents first: repeatedly take a table whose parents are all taken */
    struct table *sorted = calloc((size_t)*n, sizeof *sorted);
    if (!sorted)
        return -1;
    int m = 0;
    for (int pass = 0; pass < *n && m < *n; pass++)
        for (int i = 0; i < *n; i++) {
            if (t[i].done)
                continue;
            int ready = 1;
            for (int p = 0; p < t[i].nparents; p++)
                for (int j = 0; j < *n; j++)
                    if (!strcmp(t[j].name, t[i].parents[p]) && !t[j].done && j != i)
                        ready = 0;
            if (ready) {
                t[i].done = 1;
                sorted[m++] = t[i];
            }
        }
    for (int i = 0; i < *n; i++) /* a cycle, if any, goes last as it is */
        if (!t[i].done)
            sorted[m++] = t[i];
    memcpy(t, sorted, (size_t)*n * sizeof *t);
    free(sorted);
    return 0;
}

static struct table *find(struct table *t, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    return NULL;
}

/* SELECT of every column of `t` (in `t`'s order), in insertion order where there is one. */
static void select_sql(const struct table *t, int ordered, char *sql, size_t len)
{
    size_t o = (size_t)snprintf(sql, len, "SELECT ");
    for (int c = 0; c < t->ncols && o < len; c++)
        o += (size_t)snprintf(sql + o, len - o, "%s\"%s\"", c ? ", " : "", t->cols[c]);
    if (o < len)
        o += (size_t)snprintf(sql + o, len - o, " FROM \"%s\"%s", t->name, ordered ? " ORDER BY rowid" : "");
}

/* Appends value `c` of the current row as a SQL literal. */
static int append_literal(char **buf, size_t *n, size_t *cap, struct store_stmt *q, int c, char kind)
{
    size_t len = 0;
    const unsigned char *v = NULL;
    if (!store_is_null(q, c)) {
        if (kind == 'b')
            v = store_blob(q, c, &len);
        else {
            v = (const unsigned char *)store_text(q, c);
            len = strlen((const char *)v);
        }
    }
    size_t need = *n + len * 2 + 40; /* quotes, \\x, a number, and 8 bytes for the caller */
    if (need > *cap) {
        size_t nc = need * 2;
        char *p = realloc(*buf, nc);
        if (!p)
            return -1;
        *buf = p;
        *cap = nc;
    }
    char *o = *buf + *n;
    if (store_is_null(q, c)) {
        o += sprintf(o, "NULL");
    } else if (kind == 'i') {
        o += sprintf(o, "%lld", (long long)store_int(q, c));
    } else if (kind == 'b') {
        o += sprintf(o, "'\\x");
        for (size_t i = 0; i < len; i++)
            o += sprintf(o, "%02x", v[i]);
        *o++ = '\'';
    } else {
        *o++ = '\'';
        for (size_t i = 0; i < len; i++) {
            if (v[i] == '\'')
                *o++ = '\'';
            *o++ = (char)v[i];
        }
        *o++ = '\'';
    }
    *n = (size_t)(o - *buf);
    return 0;
}

/* Per table: row count and the sum of each row's hash (order-independent). */
static int table_sum(struct store *s, const struct table *t, int64_t *count, uint64_t *sum)
{
    char sql[8192];
    select_sql(t, 0, sql, sizeof sql);
    struct store_stmt *q = store_query(s, sql, NULL);
    if (!q)
        return -1;
    *count = 0;
    *sum = 0;
    char *row = NULL;
    size_t cap = 0;
    int rc;
    while ((rc = store_step(q)) == 1) {
        size_t n = 0;
        for (int c = 0; c < t->ncols; c++) {
            if (append_literal(&row, &n, &cap, q, c, t->kind[c]) != 0) {
                free(row);
                store_done(q);
                return -1;
            }
            row[n++] = '|';
        }
        char hex[65];
        sha256_hex(row, n, hex);
        *sum += strtoull((char[17]){hex[0], hex[1], hex[2], hex[3], hex[4], hex[5], hex[6], hex[7], hex[8], hex[9],
                                    hex[10], hex[11], hex[12], hex[13], hex[14], hex[15], 0},
                         NULL, 16);
        (*count)++;
    }
    free(row);
    store_done(q);
    return rc < 0 ? -1 : 0;
}

int store_compare(struct store *a, struct store *b, FILE *out, char *err, size_t errlen)
{
    static struct table ta[MAX_TABLES], tb[MAX_TABLES];
    int na, nb;
    if (list_tables(a, ta, &na, err, errlen) || list_tables(b, tb, &nb, err, errlen))
        return -1;
    int differ = 0;
    for (int i = 0; i < na; i++) {
        struct table *x = &ta[i], *y = find(tb, nb, x->name);
        if (!strcmp(x->name, "schema_migrations")) {
            x->ncols = 2; /* applied_at differs by design */
        }
        if (!y) {
            fprintf(out, "%-28s missing in the second store\n", x->name);
            differ = 1;
            continue;
        }
        /* compare the columns both have, typed as the PostgreSQL side says */
        struct table common = *x;
        common.ncols = 0;
        for (int c = 0; c < x->ncols; c++)
            for (int d = 0; d < y->ncols; d++)
                if (!strcmp(x->cols[c], y->cols[d])) {
                    snprintf(common.cols[common.ncols], sizeof common.cols[0], "%s", x->cols[c]);
                    common.kind[common.ncols++] = is_pg(b) ? y->kind[d] : x->kind[c];
                }
        int64_t ca, cb;
        uint64_t sa, sb;
        if (table_sum(a, &common, &ca, &sa) || table_sum(b, &common, &cb, &sb)) {
            snprintf(err, errlen, "read %s: %s / %s", x->name, store_errmsg(a), store_errmsg(b));
            return -1;
        }
        int same = ca == cb && sa == sb && common.ncols == x->ncols;
        fprintf(out, "%-28s %8lld rows  %016llx  %s\n", x->name, (long long)ca, (unsigned long long)sa,
                same ? "same" : "DIFFERENT");
        if (!same) {
            fprintf(out, "%-28s %8lld rows  %016llx  (second store)\n", "", (long long)cb, (unsigned long long)sb);
            differ = 1;
        }
    }
    for (int i = 0; i < nb; i++)
        if (!find(ta, na, tb[i].name)) {
            fprintf(out, "%-28s missing in the first store\n", tb[i].name);
            differ = 1;
        }
    return differ;
}

int store_copy(struct store *from, struct store *to, FILE *out, char *err, size_t errlen)
{
    static struct table tf[MAX_TABLES], tt[MAX_TABLES];
    int nf, nt;
    if (list_tables(from, tf, &nf, err, errlen) || list_tables(to, tt, &nt, err, errlen))
        return -1;
    if (store_begin(to) != STORE_OK) {
        snprintf(err, errlen, "begin: %s", store_errmsg(to));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    int rc = -1;
    for (int i = 0; i < nf; i++) {
        struct table *x = &tf[i], *y = find(tt, nt, x->name);
        if (!strcmp(x->name, "schema_migrations"))
            continue;
        if (!y) {
            snprintf(err, errlen, "table %s is not in the target's schema (a newer source?)", x->name);
            goto out;
        }
        for (int c = 0; c < x->ncols; c++) {
            int found = 0;
            for (int d = 0; d < y->ncols; d++)
                if (!strcmp(x->cols[c], y->cols[d])) {
                    x->kind[c] = y->kind[d]; /* the target's type decides the literal */
                    found = 1;
                }
            if (!found) {
                snprintf(err, errlen, "column %s.%s is not in the target's schema", x->name, x->cols[c]);
                goto out;
            }
        }
        char sql[8192];
        snprintf(sql, sizeof sql, "DELETE FROM \"%.63s\"", x->name); /* rows the target's migrations seeded */
        if (store_exec(to, sql, NULL) < 0 && strcmp(x->name, "audit_log") != 0) {
            snprintf(err, errlen, "clear %s: %s", x->name, store_errmsg(to));
            goto out;
        }
        select_sql(x, x->has_rowid, sql, sizeof sql);
        struct store_stmt *q = store_query(from, sql, NULL);
        if (!q) {
            snprintf(err, errlen, "read %s: %s", x->name, store_errmsg(from));
            goto out;
        }
        int64_t rows = 0;
        int more = 1;
        while (more) {
            size_t n = 0;
            int batch = 0;
            for (; batch < 200 && (more = store_step(q)) == 1; batch++, rows++) {
                if (batch == 0) {
                    size_t need = 64 + (size_t)x->ncols * 70;
                    if (need > cap) {
                        char *p = realloc(buf, need);
                        if (!p)
                            goto out_q;
                        buf = p;
                        cap = need;
                    }
                    n = (size_t)snprintf(buf, cap, "INSERT INTO \"%s\" (", x->name);
                    for (int c = 0; c < x->ncols; c++)
                        n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\"", c ? ", " : "", x->cols[c]);
                    n += (size_t)snprintf(buf + n, cap - n, ") VALUES ");
                }
                /* append_literal leaves at least 8 bytes free after what it writes */
                buf[n++] = batch ? ',' : ' ';
                buf[n++] = '(';
                for (int c = 0; c < x->ncols; c++) {
                    if (c)
                        buf[n++] = ',';
                    if (append_literal(&buf, &n, &cap, q, c, x->kind[c]) != 0)
                        goto out_q;
                }
                buf[n++] = ')';
                buf[n] = 0;
            }
            if (more < 0) {
                snprintf(err, errlen, "read %s: %s", x->name, store_errmsg(from));
                goto out_q;
            }
            if (batch && raw(to, buf, err, errlen) != STORE_OK)
                goto out_q;
        }
        store_done(q);
        /* identity columns: the next id follows the copied ones */
        if (is_pg(to))
            for (int c = 0; c < y->ncols; c++) {
                snprintf(sql, sizeof sql,
                         "SELECT setval(pg_get_serial_sequence('\"%.63s\"', '%.63s'), max(\"%.63s\")) FROM \"%.63s\""
                         " WHERE pg_get_serial_sequence('\"%.63s\"', '%.63s') IS NOT NULL HAVING max(\"%.63s\") IS"
                         " NOT NULL",
                         x->name, y->cols[c], y->cols[c], x->name, x->name, y->cols[c], y->cols[c]);
                if (y->kind[c] == 'i' && raw(to, sql, err, errlen) != STORE_OK)
                    goto out;
            }
        fprintf(out, "%-28s %8lld rows copied\n", x->name, (long long)rows);
        continue;
    out_q:
        store_done(q);
        goto out;
    }
    if (store_commit(to) != STORE_OK) {
        snprintf(err, errlen, "commit: %s", store_errmsg(to));
        goto out;
    }
    rc = 0;
out:
    free(buf);
    if (rc)
        store_rollback(to);
    return rc;
}
