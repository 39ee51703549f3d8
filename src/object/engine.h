/*
 * engine: how object bytes become durable, plus the gateway's background chores (deferred
 * deletes, metering flush). Metadata is in the store (tables obj_*); bytes are blobs of the backend
 * config object.backend selects (backend.h; the file backend keeps them under DATA/objects,
 * backend_file.c). A PUT writes a pending blob <id>, syncs it (file: fsync of it and of tmp/),
 * commits the metadata row that names <id>, then publishes the blob (file: a rename into data/).
 * So a committed row always names complete, synced bytes, and at start-up every pending blob is
 * either referenced (publish it) or not (drop it): a kill -9 at any point leaves neither a partial
 * object nor an orphan. Blobs no longer referenced are queued in obj_garbage inside the same
 * transaction that drops the reference and removed by the background thread, so a crash cannot
 * leak them either.
 */
#ifndef YUN_OBJECT_ENGINE_H
#define YUN_OBJECT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"

#define ENGINE_ID_LEN 24

/* Starts the backend named (config object.backend: refused unless backend.h lists it), recovers
 * its pending blobs against the store, starts the background thread. */
int engine_start(const char *data_dir, const char *backend_name, struct store *s, char *err, size_t errlen);
void engine_stop(void);

/* A file being written: the backend's handle (-1: none) and its fresh id. */
struct engine_file {
    int handle;
    char id[ENGINE_ID_LEN + 1];
};
int engine_tmp_create(struct engine_file *f); /* 0, or -1 with errno */
int engine_tmp_write(struct engine_file *f, const void *p, size_t n);
int engine_tmp_sync(struct engine_file *f);     /* bytes and name durable, closes the handle */
void engine_tmp_discard(struct engine_file *f); /* closes and removes */
/* After the commit that references id: publish it. Failure is repaired at next start. */
void engine_publish(const char *id);
/* Opens a committed file for reading: a handle, or -1 with errno (ENOENT: gone). */
int engine_open(const char *id);
ssize_t engine_read_at(int h, void *buf, size_t len, uint64_t off); /* as pread */
int engine_stat(int h, int64_t *size, bool *removed);
/* The local descriptor that is h (sendfile, mmap; closing it closes h), or -1: read through h. */
int engine_descriptor(int h);
void engine_close(int h); /* h < 0: nothing */
/* Reads len bytes from off of a committed file of `whole` bytes (its row's size): files of at
 * most ENGINE_CACHED_MAX bytes through filecache.c's memory. The count read, or -1 with errno
 * (ENOENT: the file is gone). */
#define ENGINE_CACHED_MAX ((size_t)32 << 10)
ssize_t engine_read(const char *id, size_t whole, void *buf, size_t len, int64_t off);
/* The file was unlinked: drop what filecache.c holds of it. */
void engine_forget(const char *id);
void filecache_stop(void);
/* Appends len bytes of src_id from offset into f (copy_file_range, read/write fallback). */
int engine_copy_range(struct engine_file *f, const char *src_id, uint64_t offset, uint64_t len);
/* Inside the caller's transaction: the file is no longer referenced once it commits. */
int engine_garbage(struct store *s, const char *id);

/* Metering: request and traffic counters per bucket, kept in memory and flushed to
 * obj_usage (per bucket per UTC day) every few seconds and at stop. The gateway meters only
 * requests that reached an existing bucket: allowed ones by kind (billable), refused ones as
 * METER_REFUSED (bytes not counted). */
enum meter_kind { METER_GET, METER_PUT, METER_OTHER, METER_REFUSED, METER_KINDS };
void engine_meter(const char *bucket, enum meter_kind kind, uint64_t bytes_in, uint64_t bytes_out);
void engine_meter_flush(void);

#endif
