/*
 * test_host_qemu.c - the QEMU hypervisor driver against a real QEMU (TCG) booting the tiny image.
 * Needs the image built by images/build-tiny.sh (env YUN_TEST_IMAGE_DIR, default build/images/tiny) and
 * qemu-system-x86_64 + qemu-img; skips with a message when they are absent.
 * One lifecycle test walks start -> READY -> hot plug (backup while the guest writes, online resize) -> unplug ->
 * reboot -> soft stop -> restart -> hard stop -> destroy,
 * checking the guest's own view (console markers, persistent boot counter on the overlay disk) at each step.
 * A migration test moves a running guest between two QEMUs on this machine without shared storage: a move to a
 * port nobody serves fails and the guest goes on; then start_incoming (a blank overlay on the same base),
 * migrate_out (the overlay mirrored over NBD, the memory migrated) and migrate_resume, and the data the guest
 * wrote before the move reads back the same from the target's disk with the guest's page cache dropped. Both
 * streams are TLS with certificates of a test CA (core/tls.c, as hosts are issued them): before the move, a
 * source with another host's certificate, one that expects another target's name, and clients without a
 * certificate, with another host's or without TLS at all are refused, and the target still takes the real move.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "../../src/core/tls.h"
#include "../../src/host/hypervisor.h"

static char image_dir[PATH_MAX], run_dir[PATH_MAX], work_dir[64];

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* wait until the console holds at least `times` occurrences of marker */
static int wait_console(const char *marker, int times, int timeout_ms)
{
    static char buf[1 << 18];
    long long deadline = now_ms() + timeout_ms;
    do {
        size_t n;
        if (qemu_ops.console(run_dir, buf, sizeof buf, &n) == 0 && count(buf, marker) >= times)
            return 1;
        usleep(20000);
    } while (now_ms() < deadline);
    fprintf(stderr, "console so far:\n%s\n", buf);
    return 0;
}

static pid_t hv_pid(void)
{
    char path[PATH_MAX + 16], buf[32] = "";
    snprintf(path, sizeof path, "%s/hv.pid", run_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (!fgets(buf, sizeof buf, f))
        buf[0] = 0;
    fclose(f);
    return (pid_t)atoi(buf);
}

static int process_alive(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(stat, sizeof stat, f) != NULL;
    fclose(f);
    char *rp = ok ? strrchr(stat, ')') : NULL;
    return rp && rp[2] != 'Z' && rp[2] != 'X';
}

/* type a command on the guest's serial console (the image runs a shell there with yun.shell=1) */
static void guest_type(const char *line)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(run_dir) + sizeof "/serial.sock" <= sizeof sa.sun_path);
    strcpy(sa.sun_path, run_dir);
    strcat(sa.sun_path, "/serial.sock");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_true(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
    usleep(100000);
    close(fd);
}

static void test_detect_accel(void **state)
{
    (void)state;
    char why[512] = "";
    const char *accel = hv_detect_accel(why, sizeof why);
    assert_non_null(accel);
    assert_true(strlen(why) > 10);
    if (access("/sys/module/kvm_pvm", F_OK) == 0) { /* this development machine */
        assert_string_equal(accel, "tcg");
        assert_non_null(strstr(why, "PVM"));
    } else {
        assert_true(!strcmp(accel, "kvm") || !strcmp(accel, "tcg"));
    }
}

static void test_bad_spec_and_absent(void **state)
{
    (void)state;
    char err[256] = "", detail[256];
    struct hv_spec spec = {.instance_id = "ins-bad",
                           .vcpus = 1,
                           .memory_mib = 128,
                           .accel = "tcg",
                           .run_dir = "/tmp/yun-test-nonexistent-dir"};
    assert_int_equal(qemu_ops.start(&spec, err, sizeof err), HV_EINVAL); /* no kernel */
    assert_true(err[0]);
    assert_int_equal(qemu_ops.status("/tmp/yun-test-nonexistent-dir", detail, sizeof detail), HV_ABSENT);
    assert_int_equal(qemu_ops.destroy("/tmp/yun-test-nonexistent-dir", err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.reboot("/tmp/yun-test-nonexistent-dir", err, sizeof err), HV_ENOTRUNNING);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* A host file an image's header may name: its marker must never reach a guest or an imported image.
 * The marker is spelled in two pieces so that the commands typed on the console never contain it. */
#define SECRET_A "HOST-SECRET-"
#define SECRET_B "MARKER"
static void make_secret(char *secret, size_t len)
{
    snprintf(secret, len, "%s/secret.raw", work_dir);
    assert_int_equal(sh("printf '%s%s\\n' > '%s' && truncate -s 1M '%s'", SECRET_A, SECRET_B, secret, secret), 0);
}

static void test_import_refuses_host_files(void **state)
{
    (void)state;
    if (system("command -v qemu-img >/dev/null") != 0) {
        fprintf(stderr, "SKIP: qemu-img not installed\n");
        skip();
    }
    char secret[PATH_MAX], path[PATH_MAX + 32], dest[PATH_MAX + 32], err[1024] = "";
    long long bytes = 0;
    make_secret(secret, sizeof secret);
    snprintf(dest, sizeof dest, "%s/imported.qcow2", work_dir);
    /* a backing file, absolute or relative to the image, and an external data file: refused, nothing written */
    snprintf(path, sizeof path, "%s/backed.qcow2", work_dir);
    assert_int_equal(sh("qemu-img create -q -f qcow2 -F raw -b '%s' '%s'", secret, path), 0);
    assert_int_equal(qemu_ops.import_image(path, dest, &bytes, err, sizeof err), HV_EINVAL);
    assert_non_null(strstr(err, "backing file"));
    assert_int_not_equal(access(dest, F_OK), 0);
    snprintf(path, sizeof path, "%s/relative.qcow2", work_dir);
    assert_int_equal(sh("cd '%s' && qemu-img create -q -f qcow2 -F raw -b secret.raw relative.qcow2", work_dir), 0);
    assert_int_equal(qemu_ops.import_image(path, dest, &bytes, err, sizeof err), HV_EINVAL);
    snprintf(path, sizeof path, "%s/datafile.qcow2", work_dir);
    assert_int_equal(sh("qemu-img create -q -f qcow2 -o data_file='%s',data_file_raw=on '%s' 1M", secret, path), 0);
    assert_int_equal(qemu_ops.import_image(path, dest, &bytes, err, sizeof err), HV_EINVAL);
    assert_non_null(strstr(err, "data file"));
    assert_int_not_equal(access(dest, F_OK), 0);
    /* a raw image becomes a standalone qcow2 with the same content */
    snprintf(path, sizeof path, "%s/plain.raw", work_dir);
    assert_int_equal(sh("printf 'PLAIN-IMAGE' > '%s' && truncate -s 3M '%s'", path, path), 0);
    assert_int_equal(qemu_ops.import_image(path, dest, &bytes, err, sizeof err), HV_OK);
    assert_int_equal(bytes, 3LL << 20);
    assert_int_equal(sh("qemu-img info --output=json '%s' | grep -q '\"format\": \"qcow2\"'", dest), 0);
    assert_int_not_equal(sh("qemu-img info --output=json '%s' | grep -q backing", dest), 0);
    assert_int_equal(sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'", path, dest), 0);
}

/* the driver's console_from on a log it did not write: offsets, the newest bytes, no log at all */
static void test_console_from(void **state)
{
    (void)state;
    char dir[PATH_MAX], log[PATH_MAX + 16], buf[8];
    size_t n = 99;
    long long end = -1;
    snprintf(dir, sizeof dir, "%s/console", work_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(qemu_ops.console_from(dir, 0, buf, sizeof buf, &n, &end), HV_ENOTRUNNING);
    assert_int_equal(qemu_ops.console(dir, buf, sizeof buf, &n), HV_OK); /* never started: empty */
    assert_int_equal(n, 0);
    snprintf(log, sizeof log, "%s/serial.log", dir);
    assert_int_equal(sh("printf 'boot-1 YUN-READY tail' > '%s'", log), 0);
    assert_int_equal(qemu_ops.console_from(dir, 0, buf, sizeof buf, &n, &end), HV_OK);
    assert_int_equal(end, 21);
    assert_int_equal(n, 7); /* the newest len - 1 bytes */
    assert_string_equal(buf, "DY tail");
    assert_int_equal(qemu_ops.console_from(dir, 19, buf, sizeof buf, &n, &end), HV_OK);
    assert_string_equal(buf, "il"); /* nothing before from */
    assert_int_equal(qemu_ops.console_from(dir, LLONG_MAX, buf, 1, &n, &end), HV_OK);
    assert_int_equal(n, 0);
    assert_int_equal(end, 21);
    assert_int_equal(qemu_ops.console_from(dir, -1, buf, sizeof buf, &n, &end), HV_EINVAL);
}

static long long virtual_size(const char *path)
{
    char cmd[PATH_MAX + 64], out[64] = "";
    snprintf(cmd, sizeof cmd, "qemu-img info --output=json '%s' | sed -n 's/.*\"virtual-size\": \\([0-9]*\\).*/\\1/p'",
             path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    if (!fgets(out, sizeof out, f))
        out[0] = 0;
    pclose(f);
    return atoll(out);
}

/* disk files no instance holds, and the plugged-disk ops on a directory where nothing runs */
static void test_disk_files(void **state)
{
    (void)state;
    if (system("command -v qemu-img >/dev/null") != 0) {
        fprintf(stderr, "SKIP: qemu-img not installed\n");
        skip();
    }
    char disk[PATH_MAX + 16], copy[PATH_MAX + 16], raw[PATH_MAX + 16], secret[PATH_MAX], evil[PATH_MAX + 16],
        err[1024] = "";
    snprintf(disk, sizeof disk, "%s/d.qcow2", work_dir);
    snprintf(copy, sizeof copy, "%s/c.qcow2", work_dir);
    snprintf(raw, sizeof raw, "%s/c.raw", work_dir);
    assert_int_equal(qemu_ops.create_empty_disk(disk, 0, err, sizeof err), HV_EINVAL);
    assert_int_equal(qemu_ops.create_empty_disk(disk, 8LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(virtual_size(disk), 8LL << 20);
    assert_int_equal(qemu_ops.resize_disk_file(disk, 16LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(virtual_size(disk), 16LL << 20);
    assert_int_equal(qemu_ops.resize_disk_file("/nonexistent/x.qcow2", 16LL << 20, err, sizeof err), HV_EFAIL);
    assert_true(err[0]);
    /* a copy is standalone and holds the data */
    assert_int_equal(sh("qemu-io -f qcow2 -c 'write -P 0x43 4096 65536' '%s' >/dev/null", disk), 0);
    assert_int_equal(qemu_ops.copy_disk(disk, copy, err, sizeof err), HV_OK);
    assert_int_equal(virtual_size(copy), 16LL << 20);
    assert_int_equal(sh("qemu-img compare -q '%s' '%s'", disk, copy), 0);
    /* a disk file whose header names a host file: the copy is opened without it and holds none of it */
    make_secret(secret, sizeof secret);
    snprintf(evil, sizeof evil, "%s/evil-copy.qcow2", work_dir);
    assert_int_equal(sh("qemu-img create -q -f qcow2 -F raw -b '%s' '%s'", secret, evil), 0);
    unlink(copy);
    assert_int_equal(qemu_ops.copy_disk(evil, copy, err, sizeof err), HV_OK);
    assert_int_not_equal(sh("qemu-img info --output=json '%s' | grep -q backing", copy), 0);
    assert_int_equal(sh("qemu-img convert -O raw '%s' '%s'", copy, raw), 0);
    assert_int_not_equal(sh("grep -q " SECRET_A SECRET_B " '%s'", raw), 0);

    /* plugged disks where no instance runs */
    const char *none = "/tmp/yun-test-nonexistent-dir";
    assert_int_equal(qemu_ops.disk_plugged(none, "disk-test0001", err, sizeof err), HV_ENOTRUNNING);
    assert_int_equal(qemu_ops.disk_plugged(none, "0bad", err, sizeof err), HV_EINVAL);
    assert_int_equal(qemu_ops.resize_disk(none, "disk-test0001", 1LL << 30, err, sizeof err), HV_ENOTRUNNING);
    assert_int_equal(qemu_ops.backup_start(none, "disk-test0001", "snap-test0001", copy, 1LL << 20, err, sizeof err),
                     HV_ENOTRUNNING);
    assert_int_equal(qemu_ops.backup_poll(none, "snap-test0001", err, sizeof err), HV_ENOTRUNNING);
    assert_int_equal(qemu_ops.backup_cancel(none, "snap,bad", err, sizeof err), HV_EINVAL);
}

static void test_lifecycle(void **state)
{
    (void)state;
    char kernel[PATH_MAX + 16], initrd[PATH_MAX + 32], base[PATH_MAX + 16], overlay[PATH_MAX + 32], data[PATH_MAX + 32],
        err[1024] = "", detail[256];
    snprintf(kernel, sizeof kernel, "%s/vmlinux", image_dir);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio.gz", image_dir);
    snprintf(base, sizeof base, "%s/disk.qcow2", image_dir);
    if (access(kernel, R_OK) || access(initrd, R_OK) || access(base, R_OK)) {
        fprintf(stderr, "SKIP: no tiny image in %s (run images/build-tiny.sh %s)\n", image_dir, image_dir);
        skip();
    }
    if (system("command -v qemu-system-x86_64 >/dev/null && command -v qemu-img >/dev/null") != 0) {
        fprintf(stderr, "SKIP: qemu-system-x86_64/qemu-img not installed\n");
        skip();
    }
    snprintf(overlay, sizeof overlay, "%s/system.qcow2", work_dir);
    snprintf(data, sizeof data, "%s/data.qcow2", work_dir);
    assert_int_equal(qemu_ops.create_disk("relative.qcow2", overlay, 0, err, sizeof err), HV_EINVAL);
    assert_int_equal(qemu_ops.create_disk(base, overlay, 256LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.create_disk(base, data, 32LL << 20, err, sizeof err), HV_OK);

    struct hv_spec spec = {.instance_id = "ins-test0001",
                           .vcpus = 1,
                           .memory_mib = 128,
                           .kernel = kernel,
                           .initrd = initrd,
                           .cmdline_extra = "yun.shell=1",
                           .system_disk = overlay,
                           .system_disk_base = base,
                           .run_dir = run_dir,
                           .accel = "tcg"};
    long long t0 = now_ms();
    int rc = qemu_ops.start(&spec, err, sizeof err);
    if (rc)
        fprintf(stderr, "start: %s\n", err);
    assert_int_equal(rc, HV_OK);
    assert_int_equal(qemu_ops.start(&spec, err, sizeof err), HV_EFAIL); /* already running */
    assert_true(wait_console("YUN-READY", 1, 60000));
    fprintf(stderr, "boot to YUN-READY: %lld ms\n", now_ms() - t0);
    assert_true(wait_console("YUN-DISK boot-count=1", 1, 1000));
    assert_int_equal(qemu_ops.status(run_dir, detail, sizeof detail), HV_RUNNING);
    pid_t pid = hv_pid();
    assert_true(pid > 1 && process_alive(pid));

    /* hot plug: the guest sees a 32 MiB vdb, then it goes away */
    rc = qemu_ops.attach_disk(run_dir, "disk-test0001", data, err, sizeof err);
    if (rc)
        fprintf(stderr, "attach: %s\n", err);
    assert_int_equal(rc, HV_OK);
    assert_int_equal(qemu_ops.attach_disk(run_dir, "disk-test0001", data, err, sizeof err), HV_EFAIL);
    assert_int_equal(qemu_ops.disk_plugged(run_dir, "disk-test0001", err, sizeof err), 1);
    assert_int_equal(qemu_ops.disk_plugged(run_dir, "disk-test0009", err, sizeof err), 0);
    usleep(300000);
    guest_type("yun-guest disks | sed 's/^/DISKS /'\n");
    assert_true(wait_console("DISKS vdb 33554432", 1, 10000));

    /* backup while the guest writes: the copy holds what the disk held when backup_start returned */
    char backup[PATH_MAX + 32], backup_raw[PATH_MAX + 32], data_raw[PATH_MAX + 32];
    snprintf(backup, sizeof backup, "%s/backup.qcow2", work_dir);
    snprintf(backup_raw, sizeof backup_raw, "%s/backup.raw", work_dir);
    snprintf(data_raw, sizeof data_raw, "%s/data.raw", work_dir);
    assert_int_equal(qemu_ops.backup_poll(run_dir, "snap-test0001", err, sizeof err), HV_EFAIL); /* no such job */
    assert_int_equal(qemu_ops.backup_cancel(run_dir, "snap-test0001", err, sizeof err), HV_OK);  /* nothing to do */
    guest_type("printf BEFORE-BACKUP | dd of=/dev/vdb 2>/dev/null; sync; echo W=$((40+1))\n");
    assert_true(wait_console("W=41", 1, 10000));
    rc = qemu_ops.backup_start(run_dir, "disk-test0001", "snap-test0001", backup, 32LL << 20, err, sizeof err);
    if (rc)
        fprintf(stderr, "backup_start: %s\n", err);
    assert_int_equal(rc, HV_OK);
    guest_type("printf AFTER--BACKUP | dd of=/dev/vdb 2>/dev/null; sync; echo W=$((40+2))\n");
    long long deadline = now_ms() + 30000;
    while ((rc = qemu_ops.backup_poll(run_dir, "snap-test0001", err, sizeof err)) == HV_PENDING && now_ms() < deadline)
        usleep(20000);
    if (rc)
        fprintf(stderr, "backup_poll: %s\n", err);
    assert_int_equal(rc, HV_OK);
    assert_true(wait_console("W=42", 1, 10000));
    assert_int_equal(qemu_ops.backup_poll(run_dir, "snap-test0001", err, sizeof err), HV_EFAIL); /* dismissed */
    assert_int_equal(sh("qemu-img convert -O raw '%s' '%s' && head -c 13 '%s' | grep -qx BEFORE-BACKUP", backup,
                        backup_raw, backup_raw),
                     0);
    /* a job of the same id left running is replaced by a new start */
    assert_int_equal(
        qemu_ops.backup_start(run_dir, "disk-test0001", "snap-test0001", backup, 32LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(
        qemu_ops.backup_start(run_dir, "disk-test0001", "snap-test0001", backup, 32LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.backup_cancel(run_dir, "snap-test0001", err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.disk_plugged(run_dir, "snap-test0001", err, sizeof err), 0); /* target closed */

    /* online resize: the guest sees the new size */
    assert_int_equal(qemu_ops.resize_disk(run_dir, "disk-test0009", 64LL << 20, err, sizeof err), HV_EFAIL);
    assert_int_equal(qemu_ops.resize_disk(run_dir, "disk-test0001", 64LL << 20, err, sizeof err), HV_OK);
    guest_type("yun-guest disks | sed 's/^/DISKS /'\n");
    assert_true(wait_console("DISKS vdb 67108864", 1, 10000));

    rc = qemu_ops.detach_disk(run_dir, "disk-test0001", err, sizeof err);
    if (rc)
        fprintf(stderr, "detach: %s\n", err);
    assert_int_equal(rc, HV_OK);
    assert_int_equal(qemu_ops.disk_plugged(run_dir, "disk-test0001", err, sizeof err), 0);
    guest_type("echo NVDB=$(ls /sys/block | grep -c vdb)\n");
    assert_true(wait_console("NVDB=0", 1, 10000));
    /* the disk itself went on: the guest's later write is there, and the resize */
    assert_int_equal(
        sh("qemu-img convert -O raw '%s' '%s' && head -c 13 '%s' | grep -qx AFTER--BACKUP", data, data_raw, data_raw),
        0);
    assert_int_equal(virtual_size(data), 64LL << 20);

    /* a disk file whose header names a host file: QEMU is told it has no backing, the guest reads zeros */
    char secret[PATH_MAX], evil[PATH_MAX + 32];
    make_secret(secret, sizeof secret);
    snprintf(evil, sizeof evil, "%s/evil.qcow2", work_dir);
    assert_int_equal(sh("qemu-img create -q -f qcow2 -F raw -b '%s' '%s'", secret, evil), 0);
    assert_int_equal(qemu_ops.attach_disk(run_dir, "disk-test0002", evil, err, sizeof err), HV_OK);
    usleep(300000);
    guest_type("echo SEEN=$(head -c 64 /dev/vdb | grep -c " SECRET_A "\"\"" SECRET_B ")\n");
    assert_true(wait_console("SEEN=0", 1, 10000)); /* SEEN=1: the guest read the host file */
    assert_int_equal(qemu_ops.detach_disk(run_dir, "disk-test0002", err, sizeof err), HV_OK);

    /* reboot: a second boot in the same process, the counter on the overlay survives */
    assert_int_equal(qemu_ops.reboot(run_dir, err, sizeof err), HV_OK);
    assert_true(wait_console("YUN-READY", 2, 60000));
    assert_true(wait_console("YUN-DISK boot-count=2", 1, 1000));
    assert_int_equal(hv_pid(), pid);

    /* soft stop: the guest's acpid powers off, the process goes away */
    t0 = now_ms();
    rc = qemu_ops.stop(run_dir, HV_STOP_SOFT, 20000, err, sizeof err);
    if (rc)
        fprintf(stderr, "stop: %s\n", err);
    assert_int_equal(rc, HV_OK);
    fprintf(stderr, "soft stop: %lld ms\n", now_ms() - t0);
    assert_false(process_alive(pid));
    assert_int_equal(qemu_ops.status(run_dir, detail, sizeof detail), HV_SHUTDOWN);
    assert_int_equal(qemu_ops.stop(run_dir, HV_STOP_SOFT, 1000, err, sizeof err), HV_OK); /* already stopped */

    /* start again: same disk, third boot; then a hard stop */
    assert_int_equal(qemu_ops.start(&spec, err, sizeof err), HV_OK);
    assert_true(wait_console("YUN-DISK boot-count=3", 1, 60000));
    pid = hv_pid();
    assert_int_equal(qemu_ops.stop(run_dir, HV_STOP_HARD, 0, err, sizeof err), HV_OK);
    assert_false(process_alive(pid));

    /* destroy: removes sockets and pid files, idempotent */
    assert_int_equal(qemu_ops.start(&spec, err, sizeof err), HV_OK);
    pid = hv_pid();
    assert_int_equal(qemu_ops.destroy(run_dir, err, sizeof err), HV_OK);
    assert_false(process_alive(pid));
    assert_int_equal(qemu_ops.status(run_dir, detail, sizeof detail), HV_ABSENT);
    assert_int_equal(qemu_ops.destroy(run_dir, err, sizeof err), HV_OK);
    char sock[PATH_MAX + 16];
    snprintf(sock, sizeof sock, "%s/qmp.sock", run_dir);
    assert_int_not_equal(access(sock, F_OK), 0);
}

static void test_start_error_is_reported(void **state)
{
    (void)state;
    char kernel[PATH_MAX + 16], initrd[PATH_MAX + 32], err[1024] = "", rd[PATH_MAX + 16];
    snprintf(kernel, sizeof kernel, "%s/vmlinux", image_dir);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio.gz", image_dir);
    if (access(kernel, R_OK) || system("command -v qemu-system-x86_64 >/dev/null") != 0)
        skip();
    snprintf(rd, sizeof rd, "%s/bad", work_dir);
    struct hv_spec spec = {.instance_id = "ins-test0002",
                           .vcpus = 1,
                           .memory_mib = 128,
                           .kernel = kernel,
                           .initrd = initrd,
                           .system_disk = "/nonexistent/disk.qcow2",
                           .run_dir = rd,
                           .accel = "tcg"};
    assert_int_equal(qemu_ops.start(&spec, err, sizeof err), HV_EFAIL);
    assert_non_null(strstr(err, "/nonexistent/disk.qcow2"));
    spec.system_disk = NULL;
    spec.tap_ifname = "bad,name"; /* a comma would inject QEMU options */
    assert_int_equal(qemu_ops.start(&spec, err, sizeof err), HV_EINVAL);
}

static int setup(void **state)
{
    (void)state;
    const char *dir = getenv("YUN_TEST_IMAGE_DIR");
    if (!realpath(dir ? dir : "build/images/tiny", image_dir))
        snprintf(image_dir, sizeof image_dir, "%s", dir ? dir : "build/images/tiny");
    snprintf(work_dir, sizeof work_dir, "/tmp/yun-test-host-XXXXXX");
    if (!mkdtemp(work_dir))
        return -1;
    snprintf(run_dir, sizeof run_dir, "%s/run", work_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 64];
    qemu_ops.destroy(run_dir, NULL, 0);
    snprintf(cmd, sizeof cmd, "%s/bad", work_dir);
    qemu_ops.destroy(cmd, NULL, 0);
    snprintf(cmd, sizeof cmd, "%s/src", work_dir);
    qemu_ops.destroy(cmd, NULL, 0);
    snprintf(cmd, sizeof cmd, "%s/dst", work_dir);
    qemu_ops.destroy(cmd, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* the 32 hex digits after the last "TAG " on the console, or "" */
static void console_sum(const char *tag, char out[33])
{
    static char buf[1 << 18];
    size_t n;
    out[0] = 0;
    if (qemu_ops.console(run_dir, buf, sizeof buf, &n) != 0)
        return;
    char want[16];
    snprintf(want, sizeof want, "%s ", tag);
    for (const char *p = buf; (p = strstr(p, want)); p += strlen(want)) {
        const char *h = p + strlen(want);
        if (strspn(h, "0123456789abcdef") == 32)
            snprintf(out, 33, "%.32s", h);
    }
}

/* DIR/tls-NAME: the test CA's certificate and NAME's (a host certificate) under the names QEMU reads */
static void creds_dir(const struct tls_ca *ca, const char *name, char *dir, size_t len)
{
    snprintf(dir, len, "%s/tls-%s", work_dir, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    EVP_PKEY *key = tls_key_new();
    X509 *cert = tls_ca_sign(ca, key, name, 1, 1);
    assert_non_null(cert);
    assert_int_equal(tls_host_cert_current(cert), 1);
    char *pems[3] = {tls_cert_pem(ca->cert), tls_cert_pem(cert), tls_key_pem(key)};
    static const char *const files[][2] = {{"ca-cert.pem", "0"},
                                           {"server-cert.pem", "1"},
                                           {"server-key.pem", "2"},
                                           {"client-cert.pem", "1"},
                                           {"client-key.pem", "2"}};
    for (size_t i = 0; i < 5; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(pems[files[i][1][0] - '0'], f);
        fclose(f);
    }
    for (int i = 0; i < 3; i++)
        free(pems[i]);
    X509_free(cert);
    EVP_PKEY_free(key);
}

/* A client of the target's migration port: 1 when it was let in (the stream read or waited on past the
 * handshake), 0 when refused. dir NULL: TLS without a certificate; plain: not TLS at all. */
static int migration_client_let_in(const char *dir, int plain, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char buf[64];
    int in = 0;
    if (plain) { /* a migration stream's header in clear */
        assert_int_equal(write(fd, "QEVM\0\0\0\3", 8), 8);
        errno = 0;
        in = read(fd, buf, sizeof buf) < 0 && errno == EAGAIN; /* still open after 3 s: taken */
    } else {
        SSL_CTX *ctx = tls_ctx_new(0);
        char path[PATH_MAX];
        if (dir) {
            snprintf(path, sizeof path, "%s/client-cert.pem", dir);
            assert_int_equal(SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM), 1);
            snprintf(path, sizeof path, "%s/client-key.pem", dir);
            assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM), 1);
        }
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        errno = 0;
        /* TLS 1.3: the client's handshake ends before the server judged its certificate; the verdict is the read */
        in = SSL_connect(ssl) == 1 && SSL_read(ssl, buf, sizeof buf) <= 0 && errno == EAGAIN;
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    close(fd);
    return in;
}

static void test_migration(void **state)
{
    (void)state;
    char kernel[PATH_MAX + 16], initrd[PATH_MAX + 32], base[PATH_MAX + 16], src_disk[PATH_MAX + 32],
        dst_disk[PATH_MAX + 32], src_dir[80], dst_dir[80], err[1024] = "", sum[33] = "", sum2[33] = "";
    snprintf(kernel, sizeof kernel, "%s/vmlinux", image_dir);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio.gz", image_dir);
    snprintf(base, sizeof base, "%s/disk.qcow2", image_dir);
    if (access(kernel, R_OK) || access(initrd, R_OK) || access(base, R_OK) ||
        system("command -v qemu-system-x86_64 >/dev/null && command -v qemu-img >/dev/null") != 0) {
        fprintf(stderr, "SKIP: no tiny image in %s or no QEMU\n", image_dir);
        skip();
    }
    snprintf(src_dir, sizeof src_dir, "%s/src", work_dir);
    snprintf(dst_dir, sizeof dst_dir, "%s/dst", work_dir);
    snprintf(src_disk, sizeof src_disk, "%s/src.qcow2", work_dir);
    snprintf(dst_disk, sizeof dst_disk, "%s/dst.qcow2", work_dir);
    assert_int_equal(qemu_ops.create_disk(base, src_disk, 256LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.create_disk(base, dst_disk, 256LL << 20, err, sizeof err), HV_OK);
    struct hv_spec spec = {.instance_id = "ins-migrate1",
                           .vcpus = 1,
                           .memory_mib = 128,
                           .kernel = kernel,
                           .initrd = initrd,
                           .cmdline_extra = "yun.shell=1",
                           .system_disk = src_disk,
                           .system_disk_base = base,
                           .run_dir = src_dir,
                           .accel = "tcg"};
    snprintf(run_dir, sizeof run_dir, "%s", src_dir);
    assert_int_equal(qemu_ops.start(&spec, err, sizeof err), HV_OK);
    assert_true(wait_console("YUN-READY", 1, 60000));
    usleep(300000);
    guest_type("dd if=/dev/urandom of=/mnt/vda/data bs=1M count=2 2>/dev/null; sync; md5sum /mnt/vda/data | sed "
               "'s/^/SUM /'\n");
    for (int i = 0; i < 200 && !sum[0]; i++, usleep(50000))
        console_sum("SUM", sum);
    assert_int_equal(strlen(sum), 32);
    /* two cloud disks, plugged out of their ids' order (disk-two on port 0, disk-one on port 1), written */
    char one[PATH_MAX + 32], two[PATH_MAX + 32], dst_one[PATH_MAX + 32], dst_two[PATH_MAX + 32];
    char sumb[33] = "", sumc[33] = "", sumb2[33] = "", sumc2[33] = "";
    snprintf(one, sizeof one, "%s/one.qcow2", work_dir);
    snprintf(two, sizeof two, "%s/two.qcow2", work_dir);
    snprintf(dst_one, sizeof dst_one, "%s/dst-one.qcow2", work_dir);
    snprintf(dst_two, sizeof dst_two, "%s/dst-two.qcow2", work_dir);
    const char *ids[] = {"disk-one", "disk-two"};
    assert_int_equal(qemu_ops.create_empty_disk(one, 32LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.create_empty_disk(two, 32LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.attach_disk(src_dir, "disk-two", two, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.attach_disk(src_dir, "disk-one", one, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.disk_port(src_dir, "disk-two", err, sizeof err), 0);
    assert_int_equal(qemu_ops.disk_port(src_dir, "disk-one", err, sizeof err), 1);
    assert_true(qemu_ops.disk_port(src_dir, "disk-none", err, sizeof err) < 0);
    usleep(300000);
    guest_type("yun-guest disks | sed 's/^/DISKS /'\n");
    assert_true(wait_console("DISKS vdc 33554432", 1, 10000));
    guest_type("for d in b c; do dd if=/dev/urandom of=/dev/vd$d bs=1M count=3 2>/dev/null; sync; dd if=/dev/vd$d "
               "bs=1M count=3 2>/dev/null | md5sum | sed \"s/^/SUM$(echo $d | tr bc BC) /\"; done\n");
    for (int i = 0; i < 200 && !sumc[0]; i++, usleep(50000))
        console_sum("SUMB", sumb), console_sum("SUMC", sumc);
    assert_int_equal(strlen(sumb), 32);
    assert_int_equal(strlen(sumc), 32);
    assert_string_not_equal(sumb, sumc);

    /* the hosts' credentials: a region CA, the source's, the target's and a third host's certificates */
    char *ca_pem, *ca_key;
    struct tls_ca ca;
    char src_tls[PATH_MAX], dst_tls[PATH_MAX], other_tls[PATH_MAX];
    assert_int_equal(tls_ca_make("ap-test", &ca_pem, &ca_key), 0);
    assert_int_equal(tls_ca_load(ca_pem, ca_key, &ca), 0);
    creds_dir(&ca, "host-src", src_tls, sizeof src_tls);
    creds_dir(&ca, "host-dst", dst_tls, sizeof dst_tls);
    creds_dir(&ca, "host-other", other_tls, sizeof other_tls);
    tls_ca_close(&ca);
    free(ca_pem);
    free(ca_key);
    struct hv_migrate_tls to_dst = {src_tls, "host-dst"}, from_src = {dst_tls, "host-src"},
                          as_other = {other_tls, "host-dst"}, to_other = {src_tls, "host-other"};

    /* nobody serves the target's ports: the move fails, the guest goes on here */
    assert_int_equal(qemu_ops.migrate_out(src_dir, "127.0.0.1", 7890, 7891, &to_dst, ids, 2, 10000, err, sizeof err),
                     HV_EFAIL);
    fprintf(stderr, "a move to nobody: %s\n", err);
    assert_int_equal(qemu_ops.status(src_dir, NULL, 0), HV_RUNNING);
    assert_int_equal(qemu_ops.migrate_out(src_dir, "localhost", 7890, 7891, &to_dst, ids, 2, 10000, err, sizeof err),
                     HV_EINVAL);
    struct hv_migrate_tls bad_peer = {src_tls, "host-dst,x"}, no_dir = {"relative", "host-dst"};
    assert_int_equal(qemu_ops.migrate_out(src_dir, "127.0.0.1", 7890, 7891, &bad_peer, ids, 2, 10000, err, sizeof err),
                     HV_EINVAL);
    assert_int_equal(qemu_ops.migrate_out(src_dir, "127.0.0.1", 7890, 7891, &no_dir, ids, 2, 10000, err, sizeof err),
                     HV_EINVAL);
    assert_int_equal(qemu_ops.migrate_out(src_dir, "127.0.0.1", 7890, 7891, NULL, ids, 2, 10000, err, sizeof err),
                     HV_EINVAL);

    /* the target waits for host-src only */
    spec.system_disk = dst_disk;
    spec.run_dir = dst_dir;
    assert_int_equal(qemu_ops.create_empty_disk(dst_one, 32LL << 20, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.create_empty_disk(dst_two, 32LL << 20, err, sizeof err), HV_OK);
    struct hv_disk moving[] = {{"disk-one", dst_one, 1}, {"disk-two", dst_two, 0}};
    spec.disks = moving;
    spec.n_disks = 2;
    int rc = qemu_ops.start_incoming(&spec, "127.0.0.1", 7880, 7881, &from_src, err, sizeof err);
    if (rc)
        fprintf(stderr, "start_incoming: %s\n", err);
    assert_int_equal(rc, HV_OK);
    assert_int_equal(qemu_ops.status(dst_dir, NULL, 0), HV_PAUSED);
    /* refused: a source with another host's certificate (its NBD client), one expecting another target */
    assert_int_equal(qemu_ops.migrate_out(src_dir, "127.0.0.1", 7880, 7881, &as_other, ids, 2, 10000, err, sizeof err),
                     HV_EFAIL);
    fprintf(stderr, "a source with another host's certificate: %s\n", err);
    assert_int_equal(qemu_ops.migrate_out(src_dir, "127.0.0.1", 7880, 7881, &to_other, ids, 2, 10000, err, sizeof err),
                     HV_EFAIL);
    fprintf(stderr, "a source expecting another target: %s\n", err);
    assert_int_equal(qemu_ops.status(src_dir, NULL, 0), HV_RUNNING);
    /* and on the migration port: another host's certificate, none, no TLS */
    assert_int_equal(migration_client_let_in(other_tls, 0, 7881), 0);
    assert_int_equal(migration_client_let_in(NULL, 0, 7881), 0);
    assert_int_equal(migration_client_let_in(NULL, 1, 7881), 0);
    assert_int_equal(qemu_ops.status(dst_dir, NULL, 0), HV_PAUSED);

    /* the move */
    long long t0 = now_ms();
    rc = qemu_ops.migrate_out(src_dir, "127.0.0.1", 7880, 7881, &to_dst, ids, 2, 60000, err, sizeof err);
    if (rc)
        fprintf(stderr, "migrate_out: %s\n", err);
    assert_int_equal(rc, HV_OK);
    fprintf(stderr, "mirror (system disk, two 32 MiB cloud disks) + migration of a 128 MiB guest: %lld ms\n",
            now_ms() - t0);
    assert_int_equal(qemu_ops.status(src_dir, NULL, 0), HV_PAUSED); /* for good: its document drops it */
    assert_int_equal(qemu_ops.status(dst_dir, NULL, 0), HV_PAUSED); /* until the move is recorded */
    assert_int_equal(qemu_ops.migrate_resume(dst_dir, 10000, err, sizeof err), HV_OK);
    assert_int_equal(qemu_ops.status(dst_dir, NULL, 0), HV_RUNNING);
    assert_int_equal(qemu_ops.migrate_resume(dst_dir, 10000, err, sizeof err), HV_OK); /* running already */
    qemu_ops.destroy(src_dir, NULL, 0);

    /* the data the guest wrote, read back from the target's disk */
    snprintf(run_dir, sizeof run_dir, "%s", dst_dir);
    guest_type("\n");
    guest_type("echo 3 >/proc/sys/vm/drop_caches; md5sum /mnt/vda/data | sed 's/^/SUM2 /'\n");
    for (int i = 0; i < 200 && !sum2[0]; i++, usleep(50000))
        console_sum("SUM2", sum2);
    assert_string_equal(sum2, sum);
    /* and the cloud disks', on the same ports: the guest's vdb and vdc are what it wrote there */
    assert_int_equal(qemu_ops.disk_port(dst_dir, "disk-two", err, sizeof err), 0);
    assert_int_equal(qemu_ops.disk_port(dst_dir, "disk-one", err, sizeof err), 1);
    assert_int_equal(qemu_ops.disk_plugged(dst_dir, "disk-one", err, sizeof err), 1);
    guest_type("echo 3 >/proc/sys/vm/drop_caches; for d in b c; do dd if=/dev/vd$d bs=1M count=3 2>/dev/null | md5sum "
               "| sed \"s/^/SUM$(echo $d | tr bc BC)2 /\"; done\n");
    for (int i = 0; i < 200 && !sumc2[0]; i++, usleep(50000))
        console_sum("SUMB2", sumb2), console_sum("SUMC2", sumc2);
    assert_string_equal(sumb2, sumb);
    assert_string_equal(sumc2, sumc);
    qemu_ops.destroy(dst_dir, NULL, 0);
    snprintf(run_dir, sizeof run_dir, "%s/run", work_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_accel),
        cmocka_unit_test(test_bad_spec_and_absent),
        cmocka_unit_test(test_start_error_is_reported),
        cmocka_unit_test(test_import_refuses_host_files),
        cmocka_unit_test(test_console_from),
        cmocka_unit_test(test_disk_files),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_migration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
