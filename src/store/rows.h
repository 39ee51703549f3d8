/*
 * rows: a query's rows collected into a growing array of structs, the loop every listing in the
 * services would otherwise write again (grow by doubling, fill one element per row, free all on
 * an error).
 */
#ifndef YUN_STORE_ROWS_H
#define YUN_STORE_ROWS_H

#include <stddef.h>

#include "store/store.h"

/* Fills one element (zeroed before) from the current row of q. */
typedef void (*store_row_fn)(struct store_stmt *q, void *elem);

/* Steps q (NULL counts as an error) to its end and finishes it; each row becomes one element of
 * size bytes written by fill. *out (the address of the caller's array pointer, e.g. a struct
 * client **) is set to a malloc'd array (NULL when no rows) and *n to its length: 0, or -1 with
 * *out NULL and *n 0. */
int store_rows(struct store_stmt *q, size_t size, store_row_fn fill, void *out, int *n);

/* The first column of each row as a string of up to 23 characters (a UIN): char (**uins)[24]. */
int store_rows_uin(struct store_stmt *q, char (**uins)[24], int *n);

#endif
