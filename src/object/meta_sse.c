/*
 * meta_sse: the server-side encryption columns, meta.c's share for them. An encrypted object
 * version (obj_objects, obj_versions) and an encrypted multipart upload (obj_uploads) carry
 * `sse`, the descriptor encryption.c writes (mode, KMS key id, the wrapped data key, the SSE-C
 * key check, the runs of a multipart object); NULL for plain ones. Its own migration component
 * ("object_sse"), so it takes no number of the object component's sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

static const struct migration sse_migrations[] = {
    {1, "ALTER TABLE obj_objects ADD COLUMN sse TEXT;"
        "ALTER TABLE obj_versions ADD COLUMN sse TEXT;"
        "ALTER TABLE obj_uploads ADD COLUMN sse TEXT;"},
};

int meta_sse_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "object_sse", sse_migrations, sizeof sse_migrations / sizeof sse_migrations[0], err,
                         errlen);
}

/* The descriptor of the upload named by ?uploadId (*sse, the caller frees; NULL for a plain
 * upload). 0, or -1 (recorded). */
int meta_upload_sse(struct rq *r, char **sse)
{
    *sse = NULL;
    struct store_stmt *q =
        store_query(store_thread(), "SELECT sse FROM obj_uploads WHERE upload_id = ?", "s", qget(r, "uploadId"));
    int rc = q ? store_step(q) : -1;
    if (rc == 1 && !store_is_null(q, 0) && !(*sse = strdup(store_text(q, 0))))
        rc = -1;
    store_done(q);
    if (rc < 0) {
        fail_store(r);
        return -1;
    }
    return 0;
}
