/*
 * store_int: what the store's backends share. store.c implements store.h once and calls the
 * backend a connection was opened with through its table (sqlite.c, pg.c), the way libvirt calls a
 * hypervisor driver. Each backend's `struct store` and `struct store_stmt` begin with the base
 * below, so the generic code finds the table from either.
 */
#ifndef YUN_STORE_INT_H
#define YUN_STORE_INT_H

#include <stdarg.h>

#include "store/store.h"

struct store_ops {
    const char *name;
    struct store *(*open)(const char *path, char *err, size_t errlen);
    void (*close)(struct store *s);
    const char *(*errmsg)(struct store *s);
    int (*begin)(struct store *s);
    int (*commit)(struct store *s);
    void (*rollback)(struct store *s);
    int (*in_transaction)(struct store *s);
    struct store_stmt *(*query)(struct store *s, const char *sql, const char *fmt, va_list ap);
    int (*step)(struct store_stmt *st);
    const char *(*text)(struct store_stmt *st, int col);
    int64_t (*integer)(struct store_stmt *st, int col);
    const void *(*blob)(struct store_stmt *st, int col, size_t *len);
    int (*is_null)(struct store_stmt *st, int col);
    void (*done)(struct store_stmt *st);
    int (*exec)(struct store *s, const char *sql, const char *fmt, va_list ap);
    int64_t (*last_id)(struct store *s);
    /* Runs a migration's statements (DDL and DML, several separated by ';') in the open transaction. */
    int (*script)(struct store *s, const char *sql, char *err, size_t errlen);
    /* Runs statements exactly as given (no placeholders, no translation): the store tools (copy.c). */
    int (*raw)(struct store *s, const char *sql, char *err, size_t errlen);
};

struct store_base {
    const struct store_ops *ops;
    int busy; /* a call since the last store_begin failed with STORE_BUSY (store_busy) */
};
struct store_stmt_base {
    struct store *owner;
};

/* sqlite.c */
extern const struct store_ops store_sqlite_ops;
void sqlite_watch(const char *prefix, const char *const *except);
uint64_t sqlite_watch_count(void);
void sqlite_watch_all(const char *const *except);
uint64_t sqlite_watch_all_count(void);
/* pg.c */
extern const struct store_ops store_pg_ops;
int store_pg_path(const char *path); /* postgres:// or postgresql:// */

#endif
