/* copy_job: a host's slow disk copies, each on a thread of its own (copy_job.c). */
#ifndef YUN_HOST_COPY_JOB_H
#define YUN_HOST_COPY_JOB_H

#include <stddef.h>

/* What a copy makes: FINAL (written as FINAL.tmp, renamed when whole) from... */
enum copy_kind {
    COPY_FILE,    /* ...the file `from` (qemu-img convert: a disk no running guest holds) */
    COPY_RESTORE, /* ...the file `from`, grown to `bytes` (a disk restored from a snapshot) */
    COPY_BACKUP,  /* ...disk `disk_id` of the running guest in `run_dir`, by a backup job (`job_id`, `bytes`) */
};
struct copy_job {
    enum copy_kind kind;
    char final[800], from[800], run_dir[800], disk_id[24], job_id[24];
    long long bytes;
};
enum copy_state { COPY_NONE, COPY_RUNNING, COPY_FAILED };
/* The copy making `final`: COPY_RUNNING, COPY_FAILED (once: err says why, and it is forgotten; done ones are
 * forgotten too, their file being there) or COPY_NONE. */
enum copy_state copy_job_state(const char *final, char *err, size_t errlen);
/* Starts j on a thread of its own: 0, or -1 with err (too many at once: try again later). `done` is called when
 * it ends, on its thread. */
int copy_job_start(const struct copy_job *j, void (*done)(void), char *err, size_t errlen);
int copy_job_writes(const char *path);      /* 1: path is FINAL.tmp of a running copy (leave it alone) */
int copy_job_backs_up(const char *disk_id); /* 1: a running backup job copies disk_id (its QEMU is busy with it) */

#endif
