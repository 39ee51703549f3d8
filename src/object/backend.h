/*
 * backend: where object bytes are kept, behind a table of functions (as libvirt's driver table, or
 * the store's store_int.h), so the engine never knows it is a directory of files. The file backend
 * (backend_file.c, the only code that knows paths under DATA/objects) is the one that ships;
 * docs/object-storage.md "Backends" says how a RADOS one would fill each row.
 *
 * What the engine (engine.c) keeps for itself: the ids (random, never reused), the order of the
 * write protocol against the metadata commit, recovery's decisions (a pending blob a row names is
 * published, another is dropped) and garbage collection's reference checks. A backend keeps bytes
 * under ids and promises:
 *   - create/write/copy build a *pending* blob under a fresh id; sync makes its bytes and its name
 *     durable, and only then does the engine commit the row that names it;
 *   - publish (after that commit) makes it a published blob; until then, and if publish fails, open
 *     finds it pending, and pending() lists it at the next start;
 *   - a blob is never changed once synced: readers may hold it (and the engine cache it) by id;
 *   - remove deletes a blob, pending or published, for good (the engine's GC calls it once no row
 *     names the id).
 * Handles are ints the backend hands out (the file backend: the file's descriptor; another backend:
 * an index into a table of its own), one thread at a time each.
 */
#ifndef YUN_OBJECT_BACKEND_H
#define YUN_OBJECT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What recovery does with a pending blob found at start (the engine's judge answers). */
enum backend_pending { PENDING_PUBLISH, PENDING_KEEP, PENDING_DROP, PENDING_FAIL };
typedef enum backend_pending (*backend_judge)(void *arg, const char *id, int64_t mtime);

struct object_backend {
    const char *name; /* the value of config object.backend */
    /* Ready to keep blobs for the data directory (the file backend: DATA/objects). 0, or -1 with err. */
    int (*start)(const char *data_dir, char *err, size_t errlen);
    void (*stop)(void);

    /* Writing: a new pending blob under id. Its handle, or -1 with errno. */
    int (*create)(const char *id);
    int (*write)(int h, const void *p, size_t n);                       /* all of it: 0, or -1 (errno) */
    int (*copy)(int h, const char *src_id, uint64_t off, uint64_t len); /* appends bytes of a blob */
    int (*sync)(int h);                                                 /* durable bytes and name; closes h */
    void (*discard)(int h, const char *id);                             /* closes h (if >= 0), removes id */
    int (*publish)(const char *id); /* after the commit that names id: 0, or -1 (pending() finds it) */

    /* Reading a blob, pending or published: a handle, or -1 with errno (ENOENT: no such blob). */
    int (*open)(const char *id);
    ssize_t (*read)(int h, void *buf, size_t len, uint64_t off); /* as pread: may return less */
    int (*stat)(int h, int64_t *size, bool *removed);            /* removed: no id names it any more */
    /* A local descriptor that is the handle, for sendfile and mmap (closing it closes the handle);
     * -1 when the backend has none: the gateway then sends the body through read(). */
    int (*descriptor)(int h);
    void (*close)(int h);

    /* Deletes a blob, pending or published: 0, or -1 with errno (ENOENT: there was none). */
    int (*remove)(const char *id);
    /* At start: every pending blob to the judge, whose answer it carries out, then made durable.
     * 0, or -1 with err (the judge answered PENDING_FAIL, or the listing failed). */
    int (*pending)(backend_judge judge, void *arg, char *err, size_t errlen);
};

/* backend_file.c */
extern const struct object_backend object_backend_file;

/* engine.c: the backend config object.backend names, or NULL with err naming the supported ones. */
const struct object_backend *object_backend_find(const char *name, char *err, size_t errlen);

#endif
