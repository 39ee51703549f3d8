/*
 * backup: a live disk's point-in-time copy built from the driver's backup job (started, polled until the copy
 * is complete, cancelled if it takes too long), for the built-in host's block worker and a joined host's
 * realiser alike. Only the driver speaks to QEMU.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "host/hypervisor.h"

#define BACKUP_POLL_MS    20
#define BACKUP_TIMEOUT_MS (30 * 60 * 1000)

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int hv_backup_copy(const char *run_dir, const char *disk_id, const char *target, long long bytes, const char *job_id,
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
