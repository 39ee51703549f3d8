/* rows: see rows.h */
#include "store/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_rows(struct store_stmt *q, size_t size, store_row_fn fill, void *out, int *n)
{
    char *arr = NULL;
    int rc = q ? 0 : -1, count = 0, cap = 0;
    while (q && (rc = store_step(q)) == STORE_FOUND) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char *nu = realloc(arr, (size_t)cap * size);
            if (!nu) {
                rc = -1;
                break;
            }
            arr = nu;
        }
        char *e = arr + (size_t)count++ * size;
        memset(e, 0, size);
        fill(q, e);
    }
    store_done(q);
    if (rc < 0) {
        free(arr);
        arr = NULL;
        count = 0;
    }
    memcpy(out, &arr, sizeof arr);
    *n = count;
    return rc < 0 ? -1 : 0;
}

static void uin_of(struct store_stmt *q, void *e) { snprintf(e, 24, "%s", store_text(q, 0)); }

int store_rows_uin(struct store_stmt *q, char (**uins)[24], int *n) { return store_rows(q, 24, uin_of, uins, n); }
