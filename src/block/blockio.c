/*
 * blockio: the disk-file and QEMU block operations the block worker needs: qemu-img create,
 * convert and resize for files no QEMU holds, and QMP block_resize and a full backup job
 * (blockdev-backup sync=full: copy-before-write, so the copy is the disk at the instant the job
 * started even while the guest keeps writing) for disks plugged into a running guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "block/block_int.h"
#include "host/qmp.h"

#define QMP_MS 5000
#define BACKUP_TIMEOUT_MS (30 * 60 * 1000)

static int run(char *const argv[], char *err, size_t errlen) { return run_command(argv, NULL, NULL, 0, err, errlen); }

int bio_img_create(const char *path, int64_t bytes, char *err, size_t errlen)
{
    char size[32];
    snprintf(size, sizeof size, "%lld", (long long)bytes);
    char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", (char *)path, size, NULL};
    return run(argv, err, errlen);
}

int bio_img_convert(const char *src, const char *dst, char *err, size_t errlen)
{
    /* disks and snapshots are standalone qcow2 files: opened as such, never with a backing file */
    json_t *node =
        json_pack("{s:s,s:{s:s,s:s},s:n}", "driver", "qcow2", "file", "driver", "file", "filename", src, "backing");
    char *spec = node ? json_dumps(node, JSON_COMPACT) : NULL, name[8300];
    json_decref(node);
    if (!spec || snprintf(name, sizeof name, "json:%s", spec) >= (int)sizeof name) {
        free(spec);
        snprintf(err, errlen, "convert: path too long");
        return -1;
    }
    free(spec);
    char *argv[] = {"qemu-img", "convert", "-q", "-O", "qcow2", name, (char *)dst, NULL};
    return run(argv, err, errlen);
}

int bio_img_resize(const char *path, int64_t bytes, char *err, size_t errlen)
{
    char size[32];
    snprintf(size, sizeof size, "%lld", (long long)bytes);
    char *argv[] = {"qemu-img", "resize", "-q", "-f", "qcow2", (char *)path, size, NULL};
    return run(argv, err, errlen);
}

static int connect_qmp(struct qmp *q, const char *run_dir, char *err, size_t errlen)
{
    char sock[800];
    snprintf(sock, sizeof sock, "%s/qmp.sock", run_dir);
    if (access(sock, F_OK) != 0) {
        snprintf(err, errlen, "no QEMU for %s", run_dir);
        return -1;
    }
    return qmp_open(q, sock, QMP_MS, err, errlen);
}

int bio_node_present(const char *run_dir, const char *node)
{
    struct qmp q;
    char err[256];
    if (connect_qmp(&q, run_dir, err, sizeof err) != 0)
        return -1;
    json_t *args = json_pack("{s:b}", "flat", 1), *ret = NULL;
    int rc = qmp_execute(&q, "query-named-block-nodes", args, QMP_MS, &ret, err, sizeof err);
    json_decref(args);
    qmp_close(&q);
    if (rc != 0)
        return -1;
    int found = 0;
    size_t i;
    json_t *n;
    json_array_foreach(ret, i, n) {
        const char *name = json_string_value(json_object_get(n, "node-name"));
        if (name && !strcmp(name, node))
            found = 1;
    }
    json_decref(ret);
    return found;
}

int bio_resize_online(const char *run_dir, const char *node, int64_t bytes, char *err, size_t errlen)
{
    struct qmp q;
    if (connect_qmp(&q, run_dir, err, errlen) != 0)
        return -1;
    json_t *args = json_pack("{s:s,s:I}", "node-name", node, "size", (json_int_t)bytes);
    int rc = qmp_execute(&q, "block_resize", args, QMP_MS, NULL, err, errlen);
    json_decref(args);
    qmp_close(&q);
    return rc ? -1 : 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Removes what an earlier, interrupted run of job_id may have left in QEMU: the job and the target node. */
static void backup_cleanup(struct qmp *q, const char *job_id)
{
    json_t *id = json_pack("{s:s}", "id", job_id);
    if (qmp_execute(q, "job-cancel", id, QMP_MS, NULL, NULL, 0) == 0) {
        for (int i = 0; i < 500; i++) { /* wait for the cancelled job to conclude */
            json_t *ret = NULL;
            if (qmp_execute(q, "query-jobs", NULL, QMP_MS, &ret, NULL, 0) != 0)
                break;
            int live = 0;
            size_t k;
            json_t *j;
            json_array_foreach(ret, k, j) if (!strcmp(json_string_value(json_object_get(j, "id")) ?: "", job_id) &&
                                              strcmp(json_string_value(json_object_get(j, "status")) ?: "", "concluded")) live = 1;
            json_decref(ret);
            if (!live)
                break;
            sleep_ms(20);
        }
    }
    qmp_execute(q, "job-dismiss", id, QMP_MS, NULL, NULL, 0);
    json_decref(id);
    json_t *node = json_pack("{s:s}", "node-name", job_id);
    qmp_execute(q, "blockdev-del", node, QMP_MS, NULL, NULL, 0);
    json_decref(node);
}

int bio_backup_online(const char *run_dir, const char *node, const char *target, int64_t bytes, const char *job_id,
                      char *err, size_t errlen)
{
    struct qmp q;
    if (connect_qmp(&q, run_dir, err, errlen) != 0)
        return -1;
    backup_cleanup(&q, job_id);
    unlink(target);
    int rc = -1;
    if (bio_img_create(target, bytes, err, errlen) != 0)
        goto out;
    json_t *add = json_pack("{s:s,s:s,s:{s:s,s:s},s:n}", "driver", "qcow2", "node-name", job_id, "file", "driver", "file",
                            "filename", target, "backing");
    rc = qmp_execute(&q, "blockdev-add", add, QMP_MS, NULL, err, errlen) ? -1 : 0;
    json_decref(add);
    if (rc)
        goto out;
    json_t *backup = json_pack("{s:s,s:s,s:s,s:s,s:b}", "job-id", job_id, "device", node, "target", job_id, "sync",
                               "full", "auto-dismiss", 0);
    rc = qmp_execute(&q, "blockdev-backup", backup, QMP_MS, NULL, err, errlen) ? -1 : 0;
    json_decref(backup);
    if (rc)
        goto out;
    /* poll until the job concludes; its "error" says whether it copied everything */
    rc = -1;
    for (int waited = 0; waited < BACKUP_TIMEOUT_MS; waited += 20) {
        json_t *ret = NULL;
        if (qmp_execute(&q, "query-jobs", NULL, QMP_MS, &ret, err, errlen) != 0)
            break;
        const char *status = NULL, *jerr = NULL;
        size_t k;
        json_t *j;
        json_array_foreach(ret, k, j) if (!strcmp(json_string_value(json_object_get(j, "id")) ?: "", job_id)) {
            status = json_string_value(json_object_get(j, "status"));
            jerr = json_string_value(json_object_get(j, "error"));
        }
        int concluded = status && !strcmp(status, "concluded");
        if (!status)
            snprintf(err, errlen, "backup job %s vanished", job_id);
        else if (concluded && jerr)
            snprintf(err, errlen, "backup job: %s", jerr);
        else if (concluded)
            rc = 0;
        json_decref(ret);
        if (!status || concluded)
            break;
        sleep_ms(20);
    }
out:
    backup_cleanup(&q, job_id); /* dismisses the job and closes the target (flushing it) */
    qmp_close(&q);
    if (rc)
        unlink(target);
    return rc;
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

