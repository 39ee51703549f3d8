/*
 * blockio: a finished file becomes visible under its final name only once it is on disk (a live
 * snapshot is the driver's backup job, host/backup.c). The block service never speaks to QEMU
 * itself: everything goes through hv_driver().
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "block/block_int.h"

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
