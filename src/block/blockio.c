/*
 * blockio: the two disk steps the block worker builds from smaller pieces. A live snapshot is a
 * backup job of the hypervisor driver (started, polled until the copy is complete, cancelled if
 * it takes too long); a finished file becomes visible under its final name only once it is on
 * disk. The block service never speaks to QEMU itself: everything goes through hv_driver().
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block/block_int.h"
#include "host/hypervisor.h"

#define BACKUP_POLL_MS    20
#define BACKUP_TIMEOUT_MS (30 * 60 * 1000)

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int bio_backup_online(const char *run_dir, const char *disk_id, const char *target, int64_t bytes, const char *job_id,
                      char *err, size_t errlen)
{
    const struct hypervisor_ops *hv = hv_driver();
    int rc = hv->backup_start(run_dir, disk_id, job_id, target, bytes, err, errlen);
    for (int waited = 0; rc == HV_OK; waited += BACKUP_POLL_MS) {
        rc = hv->backup_poll(run_dir, job_id, err, errlen);
        if (rc != HV_PENDING)
            break;
        if (waited >= BACKUP_TIMEOUT_MS) {
            snprintf(err, errlen, "backup job %s did not finish within %d min", job_id, BACKUP_TIMEOUT_MS / 60000);
            hv->backup_cancel(run_dir, job_id, NULL, 0);
            break;
        }
        sleep_ms(BACKUP_POLL_MS);
        rc = HV_OK;
    }
    if (rc != HV_OK)
        unlink(target);
    return rc == HV_OK ? 0 : -1;
}

int bio_commit_file(const char *tmp, const char *final)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    if (rc != 0 || rename(tmp, final) != 0)
        return -1;
    char dir[800];
    snprintf(dir, sizeof dir, "%s", final);
    fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}
