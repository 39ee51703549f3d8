/*
 * qemu.c - the QEMU driver behind struct hypervisor_ops (see hypervisor.h).
 *
 * Machine: q35 + virtio-pci, direct boot (-kernel/-initrd, PVH ELF). microvm boots ~10% faster under TCG but its
 * virtio-mmio bus refuses hot plug ("Bus 'virtio-mmio-bus.N' does not support hotplugging", measured), and cloud
 * disks must attach to running instances, so instances get q35 with HV_HOTPLUG_PORTS empty pcie-root-ports.
 * The process is started with -daemonize (its own session, reparented to init, so it outlives yund); start()
 * waits for the launcher to exit, which QEMU does only after the devices are set up, so start errors (bad tap,
 * missing disk) are reported synchronously from run_dir/qemu.stderr.
 *
 * Files in run_dir: qmp.sock, serial.sock (interactive console), serial.log (console output), qemu.pid (written
 * by QEMU), hv.pid (written by us, removed only by destroy: "started, not destroyed").
 * Liveness is /proc/PID/stat (a zombie counts as gone: init may reap lazily) plus /proc/PID/cmdline naming our
 * QMP socket (guards against pid reuse). State comes from QMP query-status.
 */
#include "core/core.h"
#include "hypervisor.h"
#include "qmp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 3000

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_path(char *out, size_t outlen, const char *run_dir, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", run_dir, name);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int read_small_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return (int)n;
}

static int write_small_file(const char *path, const char *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

static pid_t read_pidfile(const char *run_dir, const char *name)
{
    char path[4096], buf[32];
    if (run_path(path, sizeof path, run_dir, name) || read_small_file(path, buf, sizeof buf) <= 0)
        return 0;
    long pid = strtol(buf, NULL, 10);
    return pid > 1 ? (pid_t)pid : 0;
}

/* alive = exists, not a zombie, and its command line names this run_dir's QMP socket */
static int pid_is_ours(pid_t pid, const char *run_dir)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small_file(path, stat, sizeof stat) <= 0)
        return 0;
    char *rp = strrchr(stat, ')');
    if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X')
        return 0;
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char cmd[16384];
    ssize_t n = read(fd, cmd, sizeof cmd - 1);
    close(fd);
    if (n <= 0)
        return 0;
    for (ssize_t i = 0; i < n; i++)
        if (!cmd[i])
            cmd[i] = ' ';
    cmd[n] = 0;
    char want[4200];
    snprintf(want, sizeof want, "unix:%s/qmp.sock,", run_dir);
    return strstr(cmd, want) != NULL;
}

static pid_t live_pid(const char *run_dir)
{
    pid_t pid = read_pidfile(run_dir, "hv.pid");
    if (!pid)
        pid = read_pidfile(run_dir, "qemu.pid");
    return pid && pid_is_ours(pid, run_dir) ? pid : 0;
}

/* exists and is not a zombie (pid reuse cannot matter here: the caller just signalled its own process) */
static int pid_running(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small_file(path, stat, sizeof stat) <= 0)
        return 0;
    char *rp = strrchr(stat, ')');
    return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* Waits for a process we know is ours to be gone. Not pid_is_ours(): an exiting process loses its
 * command line before it becomes a zombie, which looked like "gone" while it still ran. */
static int wait_gone(pid_t pid, const char *run_dir, int timeout_ms)
{
    (void)run_dir;
    long long deadline = now_ms() + timeout_ms;
    while (pid_running(pid)) {
        if (now_ms() >= deadline)
            return -1;
        sleep_ms(10);
    }
    return 0;
}

static void remove_runtime_files(const char *run_dir, int also_hv_pid)
{
    static const char *const names[] = {"qmp.sock", "serial.sock", "qemu.pid", "hv.pid"};
    char path[4096];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!also_hv_pid && !strcmp(names[i], "hv.pid"))
            continue;
        if (run_path(path, sizeof path, run_dir, names[i]) == 0)
            unlink(path);
    }
}

/* open QMP on a live instance */
static int qmp_connect(struct qmp *q, const char *run_dir, char *err, size_t errlen)
{
    if (!live_pid(run_dir)) {
        seterr(err, errlen, "no running instance in %s", run_dir);
        return HV_ENOTRUNNING;
    }
    char path[4096];
    if (run_path(path, sizeof path, run_dir, "qmp.sock")) {
        seterr(err, errlen, "run_dir too long");
        return HV_EINVAL;
    }
    return qmp_open(q, path, QMP_TIMEOUT_MS, err, errlen) ? HV_EFAIL : HV_OK;
}

/* one QMP command on a fresh connection */
static int qmp_once(const char *run_dir, const char *command, json_t *args, json_t **ret, char *err, size_t errlen)
{
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc)
        return rc;
    rc = qmp_execute(&q, command, args, QMP_TIMEOUT_MS, ret, err, errlen) ? HV_EFAIL : HV_OK;
    qmp_close(&q);
    return rc;
}

/* run argv to completion; its stderr into err on failure */
static int run_tool(char *const argv[], char *err, size_t errlen)
{
    char buf[512];
    if (run_command(argv, NULL, NULL, 0, buf, sizeof buf) == 0)
        return HV_OK;
    seterr(err, errlen, "%s", buf);
    return HV_EFAIL;
}

static const char *image_format(const char *path)
{
    unsigned char magic[4] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, magic, sizeof magic);
    close(fd);
    return n == 4 && !memcmp(magic, "QFI\xfb", 4) ? "qcow2" : "raw";
}

/* A -blockdev / blockdev-add node for the file at path. Disk files may carry a backing file name in their
 * header (an imported image can be crafted), and QEMU would open whatever it names: no node has a
 * backing file unless the caller sets one. */
static json_t *blockdev_node(const char *fmt, const char *node_name, const char *path)
{
    json_t *n = json_pack("{s:s,s:{s:s,s:s}}", "driver", fmt, "file", "driver", "file", "filename", path);
    if (n && node_name)
        json_object_set_new(n, "node-name", json_string(node_name));
    if (n && !strcmp(fmt, "qcow2"))
        json_object_set_new(n, "backing", json_null());
    return n;
}

static int qemu_import_image(const char *src, const char *dest, long long *virtual_bytes, char *err, size_t errlen)
{
    char real[4096], info[16384], e[512];
    /* absolute: qemu-img reads "json:..." or "proto:..." names as specifications, not files */
    if (!src || !dest || dest[0] != '/' || !realpath(src, real)) {
        seterr(err, errlen, "import_image: %s: %s", src ? src : "(null)", src ? strerror(errno) : "no source");
        return HV_EINVAL;
    }
    char *argv[] = {"qemu-img", "info", "--output=json", real, NULL};
    if (run_command(argv, NULL, info, sizeof info, e, sizeof e) != 0) {
        seterr(err, errlen, "import_image: %s", e);
        return HV_EFAIL;
    }
    json_t *j = json_loads(info, 0, NULL);
    const char *fmt = json_string_value(json_object_get(j, "format"));
    json_t *data = json_object_get(json_object_get(json_object_get(j, "format-specific"), "data"), "data-file");
    int rc = HV_EINVAL;
    if (!fmt || (strcmp(fmt, "qcow2") && strcmp(fmt, "raw")))
        seterr(err, errlen, "import_image: %s is %s; only qcow2 and raw images are imported", src,
               fmt ? fmt : "unreadable");
    else if (json_object_get(j, "backing-filename") || json_object_get(j, "full-backing-filename"))
        seterr(err, errlen, "import_image: %s names a backing file; import a standalone image (qemu-img convert)", src);
    else if (data)
        seterr(err, errlen,
               "import_image: %s names an external data file; import a standalone image (qemu-img convert)", src);
    else
        rc = HV_OK;
    if (rc == HV_OK) {
        *virtual_bytes = (long long)json_integer_value(json_object_get(j, "virtual-size"));
        /* the source is opened as checked, with no backing file even if one appeared since */
        json_t *node = blockdev_node(fmt, NULL, real);
        char *spec = node ? json_dumps(node, JSON_COMPACT) : NULL, name[16400];
        json_decref(node);
        snprintf(name, sizeof name, "json:%s", spec ? spec : "");
        free(spec);
        char *conv[] = {"qemu-img", "convert", "-q", "-O", "qcow2", name, (char *)dest, NULL};
        rc = run_tool(conv, err, errlen);
    }
    json_decref(j);
    return rc;
}

static int qemu_create_disk(const char *base, const char *overlay, long long size_bytes, char *err, size_t errlen)
{
    if (!base || !overlay || base[0] != '/' || overlay[0] != '/' || size_bytes < 0) {
        seterr(err, errlen, "create_disk: base and overlay must be absolute paths");
        return HV_EINVAL;
    }
    const char *fmt = image_format(base);
    if (!fmt) {
        seterr(err, errlen, "create_disk: %s: %s", base, strerror(errno));
        return HV_EFAIL;
    }
    char size[32];
    snprintf(size, sizeof size, "%lld", size_bytes);
    char *argv[] = {"qemu-img",
                    "create",
                    "-q",
                    "-f",
                    "qcow2",
                    "-F",
                    (char *)fmt,
                    "-b",
                    (char *)base,
                    (char *)overlay,
                    size_bytes ? size : NULL,
                    NULL};
    return run_tool(argv, err, errlen);
}

/* /proc/cpuinfo "cpu MHz" in kHz: lets the guest skip TSC calibration (which can hang under TCG) */
static long tsc_khz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return 0;
    char line[512];
    double mhz = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "cpu MHz", 7) && strchr(line, ':')) {
            mhz = strtod(strchr(line, ':') + 1, NULL);
            break;
        }
    fclose(f);
    return (long)(mhz * 1000);
}

struct argv_builder {
    char *argv[128];
    int argc;
    char store[16384];
    size_t used;
    int overflow;
};

static void arg(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct argv_builder *b, const char *fmt, ...)
{
    if (b->argc >= (int)(sizeof b->argv / sizeof b->argv[0]) - 1) {
        b->overflow = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->store + b->used, sizeof b->store - b->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof b->store - b->used) {
        b->overflow = 1;
        return;
    }
    b->argv[b->argc++] = b->store + b->used;
    b->argv[b->argc] = NULL;
    b->used += (size_t)n + 1;
}

/* QEMU option values are comma-separated; a comma in a path would inject options */
static int option_safe(const char *s) { return !s || !strchr(s, ','); }

/* incoming: started paused (-S), waiting for a migration stream (-incoming defer; migrate-incoming says where) */
static int valid_disk_id(const char *id);

static int qemu_launch(const struct hv_spec *s, int incoming, char *err, size_t errlen)
{
    if (!s || !s->instance_id || (s->kernel && !s->initrd) || (!s->kernel && !s->system_disk) || !s->run_dir ||
        !s->accel || s->vcpus < 1 || s->memory_mib < 16 || s->run_dir[0] != '/') {
        seterr(err, errlen, "start: incomplete spec");
        return HV_EINVAL;
    }
    if (strcmp(s->accel, "kvm") && strcmp(s->accel, "tcg")) {
        seterr(err, errlen, "start: accel must be kvm or tcg, not %s", s->accel);
        return HV_EINVAL;
    }
    if (!option_safe(s->kernel) || !option_safe(s->initrd) || !option_safe(s->system_disk) ||
        !option_safe(s->run_dir) || !option_safe(s->tap_ifname) || !option_safe(s->mac) ||
        !option_safe(s->instance_id)) {
        seterr(err, errlen, "start: paths and names must not contain commas");
        return HV_EINVAL;
    }
    if (mkdir(s->run_dir, 0700) < 0 && errno != EEXIST) {
        seterr(err, errlen, "start: mkdir %s: %s", s->run_dir, strerror(errno));
        return HV_EFAIL;
    }
    if (live_pid(s->run_dir)) {
        seterr(err, errlen, "start: instance already running in %s", s->run_dir);
        return HV_EFAIL;
    }
    remove_runtime_files(s->run_dir, 1); /* stale sockets make QEMU fail to bind */

    const char *D = s->run_dir;
    struct argv_builder b = {.argc = 0};
    arg(&b, "qemu-system-x86_64");
    arg(&b, "-name");
    arg(&b, "%s,debug-threads=on", s->instance_id);
    arg(&b, "-M");
    arg(&b, "q35");
    arg(&b, "-accel");
    arg(&b, "%s", s->accel);
    arg(&b, "-cpu");
    arg(&b, "%s", strcmp(s->accel, "kvm") ? "max" : "host");
    arg(&b, "-m");
    arg(&b, "%d", s->memory_mib);
    arg(&b, "-smp");
    arg(&b, "%d", s->vcpus);
    arg(&b, "-nodefaults");
    arg(&b, "-no-user-config");
    arg(&b, "-display");
    arg(&b, "none");
    arg(&b, "-msg");
    arg(&b, "timestamp=on");
    if (s->kernel) { /* direct boot; without a kernel the firmware boots the system disk (full cloud images) */
        arg(&b, "-kernel");
        arg(&b, "%s", s->kernel);
        arg(&b, "-initrd");
        arg(&b, "%s", s->initrd);
        long khz = tsc_khz();
        char tsc[48] = "";
        if (khz > 0)
            snprintf(tsc, sizeof tsc, " tsc_early_khz=%ld", khz);
        arg(&b, "-append");
        arg(&b, "console=ttyS0 reboot=t panic=-1 quiet%s yun.instance=%s%s%s", tsc, s->instance_id,
            s->cmdline_extra ? " " : "", s->cmdline_extra ? s->cmdline_extra : "");
    }
    arg(&b, "-chardev");
    arg(&b, "socket,id=ser0,path=%s/serial.sock,server=on,wait=off,logfile=%s/serial.log", D, D);
    arg(&b, "-serial");
    arg(&b, "chardev:ser0");
    arg(&b, "-qmp");
    arg(&b, "unix:%s/qmp.sock,server=on,wait=off", D);
    arg(&b, "-pidfile");
    arg(&b, "%s/qemu.pid", D);
    arg(&b, "-daemonize");
    if (incoming) {
        arg(&b, "-S");
        arg(&b, "-incoming");
        arg(&b, "defer");
    }
    if (s->system_disk) {
        const char *fmt = image_format(s->system_disk);
        if (!fmt) {
            seterr(err, errlen, "start: system disk %s: %s", s->system_disk, strerror(errno));
            return HV_EFAIL;
        }
        /* the chain is spelled out: the overlay's base is the image, which has no backing file of its own */
        json_t *node = blockdev_node(fmt, "sys", s->system_disk);
        const char *base_fmt = s->system_disk_base ? image_format(s->system_disk_base) : NULL;
        if (s->system_disk_base && !base_fmt) {
            json_decref(node);
            seterr(err, errlen, "start: base image %s: %s", s->system_disk_base, strerror(errno));
            return HV_EFAIL;
        }
        if (node && base_fmt && !strcmp(fmt, "qcow2")) {
            json_t *base = blockdev_node(base_fmt, "sysbase", s->system_disk_base);
            json_object_set_new(base, "read-only", json_true());
            json_object_set_new(node, "backing", base);
        }
        char *text = node ? json_dumps(node, JSON_COMPACT) : NULL;
        json_decref(node);
        if (!text) {
            seterr(err, errlen, "start: out of memory");
            return HV_EFAIL;
        }
        arg(&b, "-blockdev");
        arg(&b, "%s", text);
        free(text);
        arg(&b, "-device");
        arg(&b, "virtio-blk-pci,drive=sys,id=sysdisk");
    }
    if (s->tap_ifname) {
        arg(&b, "-netdev");
        arg(&b, "tap,id=n0,ifname=%s,script=no,downscript=no,vhost=off", s->tap_ifname);
        arg(&b, "-device");
        /* host_mtu: the guest's MTU leaves room for VXLAN's 50 bytes when its VPC spans hosts */
        if (s->mac)
            arg(&b, "virtio-net-pci,netdev=n0,id=nic0,host_mtu=%d,mac=%s", HV_GUEST_MTU, s->mac);
        else
            arg(&b, "virtio-net-pci,netdev=n0,id=nic0,host_mtu=%d", HV_GUEST_MTU);
    }
    for (int i = 0; i < HV_HOTPLUG_PORTS; i++) {
        arg(&b, "-device");
        arg(&b, "pcie-root-port,id=hp%d,bus=pcie.0,chassis=%d,slot=%d", i, i + 1, i + 1);
    }
    /* disks plugged from the start, as attach_disk plugs them (after their ports: a device names its bus) */
    for (int i = 0; i < s->n_disks; i++) {
        const struct hv_disk *d = &s->disks[i];
        if (!valid_disk_id(d->id) || !d->path || d->path[0] != '/' || !option_safe(d->path) || d->port < 0 ||
            d->port >= HV_HOTPLUG_PORTS) {
            seterr(err, errlen, "start: a disk's id, path or port is malformed");
            return HV_EINVAL;
        }
        const char *fmt = image_format(d->path);
        json_t *node = fmt ? blockdev_node(fmt, d->id, d->path) : NULL;
        char *text = node ? json_dumps(node, JSON_COMPACT) : NULL;
        json_decref(node);
        if (!text) {
            seterr(err, errlen, "start: disk %s: %s", d->path, fmt ? "out of memory" : strerror(errno));
            return HV_EFAIL;
        }
        arg(&b, "-blockdev");
        arg(&b, "%s", text);
        free(text);
        arg(&b, "-device");
        arg(&b, "virtio-blk-pci,drive=%s,id=%s,bus=hp%d,addr=0,serial=%s", d->id, d->id, d->port, d->id);
    }
    if (b.overflow) {
        seterr(err, errlen, "start: command line too long");
        return HV_EINVAL;
    }

    char errpath[4096];
    if (run_path(errpath, sizeof errpath, D, "qemu.stderr")) {
        seterr(err, errlen, "start: run_dir too long");
        return HV_EINVAL;
    }
    int errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (errfd < 0) {
        seterr(err, errlen, "start: %s: %s", errpath, strerror(errno));
        return HV_EFAIL;
    }
    pid_t launcher = fork();
    if (launcher < 0) {
        seterr(err, errlen, "start: fork: %s", strerror(errno));
        close(errfd);
        return HV_EFAIL;
    }
    if (launcher == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(errfd, 2);
        closefrom(3); /* the caller's listening sockets and databases must not leak into the VM process */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(b.argv[0], b.argv);
        dprintf(2, "exec %s: %s\n", b.argv[0], strerror(errno));
        _exit(127);
    }
    close(errfd);
    int status = 0, waited = 0;
    long long deadline = now_ms() + 30000;
    while (now_ms() < deadline) {
        pid_t r = waitpid(launcher, &status, WNOHANG);
        if (r == launcher) {
            waited = 1;
            break;
        }
        if (r < 0 && errno == ECHILD) { /* caller ignores SIGCHLD: judge by the pidfile below */
            waited = 1;
            status = 0;
            break;
        }
        sleep_ms(5);
    }
    if (!waited) {
        kill(launcher, SIGKILL);
        waitpid(launcher, &status, 0);
        seterr(err, errlen, "start: QEMU did not finish starting within 30 s");
        return HV_EFAIL;
    }
    pid_t pid = read_pidfile(D, "qemu.pid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !pid || !pid_is_ours(pid, D)) {
        char msg[1024] = "";
        read_small_file(errpath, msg, sizeof msg);
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = 0;
        seterr(err, errlen, "start: QEMU failed: %s", n ? msg : "no error output");
        return HV_EFAIL;
    }
    char pidtext[32], hvpid[4096];
    snprintf(pidtext, sizeof pidtext, "%d\n", (int)pid);
    if (run_path(hvpid, sizeof hvpid, D, "hv.pid") || write_small_file(hvpid, pidtext)) {
        seterr(err, errlen, "start: cannot write %s/hv.pid: %s", D, strerror(errno));
        return HV_EFAIL;
    }
    return HV_OK;
}

static int qemu_start(const struct hv_spec *s, char *err, size_t errlen) { return qemu_launch(s, 0, err, errlen); }

static int qemu_stop(const char *run_dir, enum hv_stop_mode mode, int timeout_ms, char *err, size_t errlen)
{
    pid_t pid = live_pid(run_dir);
    if (!pid)
        return HV_OK;
    if (mode == HV_STOP_SOFT || mode == HV_STOP_SOFT_FIRST) {
        int rc = qmp_once(run_dir, "system_powerdown", NULL, NULL, err, errlen);
        if (rc == HV_OK && wait_gone(pid, run_dir, timeout_ms) == 0) {
            remove_runtime_files(run_dir, 0);
            return HV_OK;
        }
        if (mode == HV_STOP_SOFT) {
            if (rc == HV_OK)
                seterr(err, errlen, "guest did not power off within %d ms", timeout_ms);
            return rc == HV_OK ? HV_ETIMEDOUT : rc;
        }
    }
    qmp_once(run_dir, "quit", NULL, NULL, NULL, 0);
    if (wait_gone(pid, run_dir, 2000) != 0) {
        kill(pid, SIGKILL);
        if (wait_gone(pid, run_dir, 5000) != 0) {
            seterr(err, errlen, "QEMU pid %d survived SIGKILL", (int)pid);
            return HV_EFAIL;
        }
    }
    remove_runtime_files(run_dir, 0);
    return HV_OK;
}

static int qemu_reboot(const char *run_dir, char *err, size_t errlen)
{
    return qmp_once(run_dir, "system_reset", NULL, NULL, err, errlen);
}

static int qemu_destroy(const char *run_dir, char *err, size_t errlen)
{
    pid_t pid = live_pid(run_dir);
    if (pid) {
        kill(pid, SIGKILL);
        if (wait_gone(pid, run_dir, 5000) != 0) {
            seterr(err, errlen, "QEMU pid %d survived SIGKILL", (int)pid);
            return HV_EFAIL;
        }
    }
    remove_runtime_files(run_dir, 1);
    return HV_OK;
}

static const struct {
    const char *qmp_status;
    enum hv_state state;
} status_table[] = {
    {"running", HV_RUNNING},      {"paused", HV_PAUSED},         {"prelaunch", HV_PAUSED},
    {"suspended", HV_PAUSED},     {"debug", HV_PAUSED},          {"inmigrate", HV_PAUSED},
    {"postmigrate", HV_PAUSED},   {"finish-migrate", HV_PAUSED}, {"save-vm", HV_PAUSED},
    {"restore-vm", HV_PAUSED},    {"colo", HV_PAUSED},           {"shutdown", HV_SHUTDOWN},
    {"internal-error", HV_ERROR}, {"io-error", HV_ERROR},        {"guest-panicked", HV_ERROR},
    {"watchdog", HV_ERROR},
};

static enum hv_state qemu_status(const char *run_dir, char *detail, size_t len)
{
    pid_t pid = live_pid(run_dir);
    if (!pid) {
        if (read_pidfile(run_dir, "hv.pid")) {
            seterr(detail, len, "process exited");
            return HV_SHUTDOWN;
        }
        seterr(detail, len, "not started");
        return HV_ABSENT;
    }
    json_t *ret = NULL;
    char err[256];
    if (qmp_once(run_dir, "query-status", NULL, &ret, err, sizeof err) != HV_OK) {
        seterr(detail, len, "pid %d, QMP unavailable: %s", (int)pid, err);
        return HV_UNKNOWN;
    }
    const char *st = json_string_value(json_object_get(ret, "status"));
    enum hv_state state = HV_UNKNOWN;
    for (size_t i = 0; st && i < sizeof status_table / sizeof status_table[0]; i++)
        if (!strcmp(st, status_table[i].qmp_status))
            state = status_table[i].state;
    seterr(detail, len, "pid %d, %s", (int)pid, st ? st : "no status");
    json_decref(ret);
    return state;
}

static int qemu_console_from(const char *run_dir, long long from, char *buf, size_t len, size_t *outlen, long long *end)
{
    char path[4096];
    if (outlen)
        *outlen = 0;
    if (end)
        *end = 0;
    if (!buf || len == 0 || from < 0)
        return HV_EINVAL;
    buf[0] = 0;
    if (run_path(path, sizeof path, run_dir, "serial.log"))
        return HV_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? HV_ENOTRUNNING : HV_EFAIL;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return HV_EFAIL;
    }
    off_t start = st.st_size > (off_t)(len - 1) ? st.st_size - (off_t)(len - 1) : 0;
    if (start < (off_t)from)
        start = (off_t)from;
    size_t got = 0;
    while (start + (off_t)got < st.st_size && got < len - 1) {
        ssize_t n = pread(fd, buf + got, len - 1 - got, start + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    if (outlen)
        *outlen = got;
    if (end)
        *end = (long long)st.st_size;
    return HV_OK;
}

static int qemu_console(const char *run_dir, char *buf, size_t len, size_t *outlen)
{
    int rc = qemu_console_from(run_dir, 0, buf, len, outlen, NULL);
    return rc == HV_ENOTRUNNING ? HV_OK : rc; /* never started: no output yet */
}

/* QOM ids and block node names: letter first, then letters, digits, '-', '_' */
static int valid_disk_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 20 || !isalpha((unsigned char)id[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_')
            return 0;
    return 1;
}

static int qemu_attach_disk(const char *run_dir, const char *disk_id, const char *path, char *err, size_t errlen)
{
    if (!valid_disk_id(disk_id) || !path || path[0] != '/') {
        seterr(err, errlen, "attach_disk: bad disk id or path");
        return HV_EINVAL;
    }
    const char *fmt = image_format(path);
    if (!fmt) {
        seterr(err, errlen, "attach_disk: %s: %s", path, strerror(errno));
        return HV_EFAIL;
    }
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc)
        return rc;
    json_t *bargs = blockdev_node(fmt, disk_id, path);
    rc = qmp_execute(&q, "blockdev-add", bargs, QMP_TIMEOUT_MS, NULL, err, errlen) ? HV_EFAIL : HV_OK;
    json_decref(bargs);
    if (rc == HV_OK) {
        rc = HV_EFAIL;
        /* the first free hot-plug port takes it. addr 0: a PCIe root port has one slot, and without it
         * QEMU 7.2 accepts a second device on an occupied port at an address the guest never scans */
        for (int i = 0; i < HV_HOTPLUG_PORTS && rc != HV_OK; i++) {
            char bus[16];
            snprintf(bus, sizeof bus, "hp%d", i);
            json_t *dargs = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "driver", "virtio-blk-pci", "id", disk_id,
                                      "drive", disk_id, "bus", bus, "addr", "0", "serial", disk_id);
            rc = qmp_execute(&q, "device_add", dargs, QMP_TIMEOUT_MS, NULL, err, errlen) ? HV_EFAIL : HV_OK;
            json_decref(dargs);
            if (rc && strstr(err, "Duplicate"))
                break;
        }
        if (rc) {
            json_t *del = json_pack("{s:s}", "node-name", disk_id);
            qmp_execute(&q, "blockdev-del", del, QMP_TIMEOUT_MS, NULL, NULL, 0);
            json_decref(del);
        }
    }
    qmp_close(&q);
    return rc;
}

static int device_present(struct qmp *q, const char *id, char *err, size_t errlen)
{
    json_t *args = json_pack("{s:s}", "path", "/machine/peripheral"), *ret = NULL;
    int rc = qmp_execute(q, "qom-list", args, QMP_TIMEOUT_MS, &ret, err, errlen);
    json_decref(args);
    if (rc)
        return -1;
    int found = 0;
    size_t i;
    json_t *item;
    json_array_foreach (ret, i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        if (name && !strcmp(name, id))
            found = 1;
    }
    json_decref(ret);
    return found;
}

/* blockdev-del; a node that does not exist counts as deleted. A device leaves QOM before it drops its
 * node, and a finished job before it releases its target: retry while the node is still "in use". */
static int node_delete(struct qmp *q, const char *node, char *err, size_t errlen)
{
    json_t *args = json_pack("{s:s}", "node-name", node);
    char derr[256];
    int rc = 0;
    long long deadline = now_ms() + 5000;
    while (qmp_execute(q, "blockdev-del", args, QMP_TIMEOUT_MS, NULL, derr, sizeof derr) &&
           !strstr(derr, "not found") && !strstr(derr, "find node")) {
        if (!strstr(derr, "in use") || now_ms() >= deadline) {
            seterr(err, errlen, "blockdev-del %s: %s", node, derr);
            rc = -1;
            break;
        }
        sleep_ms(20);
    }
    json_decref(args);
    return rc;
}

static int qemu_detach_disk(const char *run_dir, const char *disk_id, char *err, size_t errlen)
{
    if (!valid_disk_id(disk_id)) {
        seterr(err, errlen, "detach_disk: bad disk id");
        return HV_EINVAL;
    }
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc)
        return rc;
    int present = device_present(&q, disk_id, err, errlen);
    if (present == 1) {
        json_t *args = json_pack("{s:s}", "id", disk_id);
        rc = qmp_execute(&q, "device_del", args, QMP_TIMEOUT_MS, NULL, err, errlen) ? HV_EFAIL : HV_OK;
        json_decref(args);
        /* unplug completes when the guest acknowledges the ACPI eject */
        long long deadline = now_ms() + 10000;
        while (rc == HV_OK && (present = device_present(&q, disk_id, err, errlen)) == 1 && now_ms() < deadline)
            sleep_ms(20);
        if (rc == HV_OK && present == 1) {
            seterr(err, errlen, "detach_disk: guest did not release %s within 10 s", disk_id);
            rc = HV_ETIMEDOUT;
        }
    }
    if (present < 0)
        rc = HV_EFAIL;
    if (rc == HV_OK && node_delete(&q, disk_id, err, errlen) != 0)
        rc = HV_EFAIL;
    qmp_close(&q);
    return rc;
}

/* ---- disk files no instance holds: qemu-img ---- */

static int qemu_create_empty_disk(const char *path, long long size_bytes, char *err, size_t errlen)
{
    if (!path || !path[0] || size_bytes <= 0) {
        seterr(err, errlen, "create_empty_disk: bad path or size");
        return HV_EINVAL;
    }
    char size[32];
    snprintf(size, sizeof size, "%lld", size_bytes);
    char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", (char *)path, size, NULL};
    return run_tool(argv, err, errlen);
}

static int qemu_copy_disk(const char *src, const char *dest, char *err, size_t errlen)
{
    if (!src || !src[0] || !dest || !dest[0]) {
        seterr(err, errlen, "copy_disk: no path");
        return HV_EINVAL;
    }
    /* cloud disks and snapshots are standalone: the source is opened as such, never with a backing file */
    json_t *node = blockdev_node("qcow2", NULL, src);
    char *spec = node ? json_dumps(node, JSON_COMPACT) : NULL, name[8300];
    json_decref(node);
    if (!spec || snprintf(name, sizeof name, "json:%s", spec) >= (int)sizeof name) {
        free(spec);
        seterr(err, errlen, "copy_disk: path too long");
        return HV_EINVAL;
    }
    free(spec);
    char *argv[] = {"qemu-img", "convert", "-q", "-O", "qcow2", name, (char *)dest, NULL};
    return run_tool(argv, err, errlen);
}

static int qemu_resize_disk_file(const char *path, long long size_bytes, char *err, size_t errlen)
{
    if (!path || !path[0] || size_bytes <= 0) {
        seterr(err, errlen, "resize_disk_file: bad path or size");
        return HV_EINVAL;
    }
    char size[32];
    snprintf(size, sizeof size, "%lld", size_bytes);
    char *argv[] = {"qemu-img", "resize", "-q", "-f", "qcow2", (char *)path, size, NULL};
    return run_tool(argv, err, errlen);
}

/* ---- plugged disks: QMP ---- */

static int qemu_disk_plugged(const char *run_dir, const char *disk_id, char *err, size_t errlen)
{
    if (!valid_disk_id(disk_id)) {
        seterr(err, errlen, "disk_plugged: bad disk id");
        return HV_EINVAL;
    }
    json_t *args = json_pack("{s:b}", "flat", 1), *ret = NULL;
    int rc = qmp_once(run_dir, "query-named-block-nodes", args, &ret, err, errlen);
    json_decref(args);
    if (rc)
        return rc;
    int found = 0;
    size_t i;
    json_t *n;
    json_array_foreach (ret, i, n) {
        const char *name = json_string_value(json_object_get(n, "node-name"));
        if (name && !strcmp(name, disk_id))
            found = 1;
    }
    json_decref(ret);
    return found;
}

/* query-pci: the root port (hpN) whose bridge holds the device disk_id */
static int qemu_disk_port(const char *run_dir, const char *disk_id, char *err, size_t errlen)
{
    if (!valid_disk_id(disk_id)) {
        seterr(err, errlen, "disk_port: bad disk id");
        return HV_EINVAL;
    }
    json_t *ret = NULL;
    int rc = qmp_once(run_dir, "query-pci", NULL, &ret, err, errlen);
    if (rc)
        return rc;
    int port = HV_EFAIL;
    size_t i, j, k;
    json_t *bus, *dev, *child;
    json_array_foreach (ret, i, bus) {
        json_array_foreach (json_object_get(bus, "devices"), j, dev) {
            const char *id = json_string_value(json_object_get(dev, "qdev_id"));
            int n;
            char extra;
            if (!id || sscanf(id, "hp%d%c", &n, &extra) != 1 || n < 0 || n >= HV_HOTPLUG_PORTS)
                continue;
            json_array_foreach (json_object_get(json_object_get(dev, "pci_bridge"), "devices"), k, child) {
                const char *cid = json_string_value(json_object_get(child, "qdev_id"));
                if (cid && !strcmp(cid, disk_id))
                    port = n;
            }
        }
    }
    json_decref(ret);
    if (port < 0)
        seterr(err, errlen, "disk_port: %s is on no hot-plug port", disk_id);
    return port;
}

static int qemu_resize_disk(const char *run_dir, const char *disk_id, long long size_bytes, char *err, size_t errlen)
{
    if (!valid_disk_id(disk_id) || size_bytes <= 0) {
        seterr(err, errlen, "resize_disk: bad disk id or size");
        return HV_EINVAL;
    }
    json_t *args = json_pack("{s:s,s:I}", "node-name", disk_id, "size", (json_int_t)size_bytes);
    int rc = qmp_once(run_dir, "block_resize", args, NULL, err, errlen);
    json_decref(args);
    return rc;
}

/* The job's status ("concluded" once it ended either way) and its error; status NULL = no such job. */
static int job_status(struct qmp *q, const char *job_id, char *status, size_t slen, char *jerr, size_t elen, char *err,
                      size_t errlen)
{
    json_t *ret = NULL;
    if (qmp_execute(q, "query-jobs", NULL, QMP_TIMEOUT_MS, &ret, err, errlen) != 0)
        return -1;
    status[0] = jerr[0] = 0;
    size_t k;
    json_t *j;
    json_array_foreach (ret, k, j) {
        if (strcmp(json_string_value(json_object_get(j, "id")) ?: "", job_id))
            continue;
        snprintf(status, slen, "%s", json_string_value(json_object_get(j, "status")) ?: "unknown");
        snprintf(jerr, elen, "%s", json_string_value(json_object_get(j, "error")) ?: "");
    }
    json_decref(ret);
    return 0;
}

/* Ends job job_id and closes its target node (also named job_id), flushing it; HV_OK if neither exists. */
static int backup_end(struct qmp *q, const char *job_id, char *err, size_t errlen)
{
    char status[32], jerr[256];
    json_t *id = json_pack("{s:s}", "id", job_id);
    if (qmp_execute(q, "job-cancel", id, QMP_TIMEOUT_MS, NULL, NULL, 0) == 0) {
        long long deadline = now_ms() + 10000; /* a cancelled job concludes once in-flight writes are done */
        while (job_status(q, job_id, status, sizeof status, jerr, sizeof jerr, NULL, 0) == 0 && status[0] &&
               strcmp(status, "concluded") && now_ms() < deadline)
            sleep_ms(20);
    }
    qmp_execute(q, "job-dismiss", id, QMP_TIMEOUT_MS, NULL, NULL, 0);
    json_decref(id);
    return node_delete(q, job_id, err, errlen) ? HV_EFAIL : HV_OK;
}

static int qemu_backup_start(const char *run_dir, const char *disk_id, const char *job_id, const char *target,
                             long long size_bytes, char *err, size_t errlen)
{
    if (!valid_disk_id(disk_id) || !valid_disk_id(job_id) || !target || !target[0] || size_bytes <= 0) {
        seterr(err, errlen, "backup_start: bad disk id, job id, target or size");
        return HV_EINVAL;
    }
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc)
        return rc;
    rc = backup_end(&q, job_id, err, errlen); /* what an interrupted run of the same job left */
    unlink(target);
    if (rc == HV_OK)
        rc = qemu_create_empty_disk(target, size_bytes, err, errlen);
    if (rc == HV_OK) {
        json_t *add = blockdev_node("qcow2", job_id, target);
        rc = qmp_execute(&q, "blockdev-add", add, QMP_TIMEOUT_MS, NULL, err, errlen) ? HV_EFAIL : HV_OK;
        json_decref(add);
    }
    if (rc == HV_OK) {
        /* sync=full: copy-before-write, so the target is the disk at this instant while the guest goes on */
        json_t *backup = json_pack("{s:s,s:s,s:s,s:s,s:b}", "job-id", job_id, "device", disk_id, "target", job_id,
                                   "sync", "full", "auto-dismiss", 0);
        rc = qmp_execute(&q, "blockdev-backup", backup, QMP_TIMEOUT_MS, NULL, err, errlen) ? HV_EFAIL : HV_OK;
        json_decref(backup);
    }
    if (rc != HV_OK) {
        backup_end(&q, job_id, NULL, 0);
        unlink(target);
    }
    qmp_close(&q);
    return rc;
}

static int qemu_backup_poll(const char *run_dir, const char *job_id, char *err, size_t errlen)
{
    if (!valid_disk_id(job_id)) {
        seterr(err, errlen, "backup_poll: bad job id");
        return HV_EINVAL;
    }
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc)
        return rc;
    char status[32], jerr[256];
    if (job_status(&q, job_id, status, sizeof status, jerr, sizeof jerr, err, errlen) != 0)
        rc = HV_EFAIL;
    else if (!status[0]) {
        seterr(err, errlen, "backup job %s vanished", job_id);
        rc = HV_EFAIL;
    } else if (strcmp(status, "concluded")) {
        rc = HV_PENDING;
    } else if (jerr[0]) {
        seterr(err, errlen, "backup job: %s", jerr);
        rc = HV_EFAIL;
    }
    if (rc != HV_PENDING) {
        int end = backup_end(&q, job_id, rc == HV_OK ? err : NULL, rc == HV_OK ? errlen : 0);
        if (rc == HV_OK)
            rc = end; /* the copy is complete only once its node is closed */
    }
    qmp_close(&q);
    return rc;
}

static int qemu_backup_cancel(const char *run_dir, const char *job_id, char *err, size_t errlen)
{
    if (!valid_disk_id(job_id)) {
        seterr(err, errlen, "backup_cancel: bad job id");
        return HV_EINVAL;
    }
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc)
        return rc;
    rc = backup_end(&q, job_id, err, errlen);
    qmp_close(&q);
    return rc;
}

/* ---- live migration without shared storage (hypervisor.h) ---- */

#define MIGRATE_EXPORT "sys"       /* the target's NBD export of its system disk */
#define MIGRATE_NODE   "migtarget" /* the source's NBD client node of that export */
#define MIGRATE_JOB    "migmirror" /* the source's mirror job into it */

/* a dotted IPv4 address and a port, re-formatted: nothing else reaches a QMP argument */
static int inet_ok(const char *addr, int port, char out[16])
{
    unsigned a, b, c, d;
    char extra;
    if (!addr || sscanf(addr, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 || b > 255 || c > 255 ||
        d > 255 || port < 1 || port > 65535)
        return 0;
    snprintf(out, 16, "%u.%u.%u.%u", a, b, c, d);
    return 1;
}

#define MIGRATE_CREDS_IN  "migtls-in"  /* the target's x509 credentials (endpoint server) */
#define MIGRATE_CREDS_OUT "migtls-out" /* the source's (endpoint client) */
#define MIGRATE_AUTHZ     "migauthz"   /* the target's: the source's certificate only */

/* The credentials (and on the target the authorisation of the source's DN) as QOM objects of the running QEMU,
 * so a QEMU started before the move takes part; a source's are made anew each time (a renewed certificate). */
static int tls_objects(struct qmp *q, const struct hv_migrate_tls *tls, int server, char *err, size_t errlen)
{
    size_t n = tls && tls->peer ? strlen(tls->peer) : 0;
    int ok = tls && tls->dir && tls->dir[0] == '/' && n > 0 && n < 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)tls->peer[i]) || tls->peer[i] == '-';
    if (!ok) {
        seterr(err, errlen, "the migration's TLS credentials directory or peer is malformed");
        return HV_EINVAL;
    }
    const char *creds = server ? MIGRATE_CREDS_IN : MIGRATE_CREDS_OUT;
    char identity[80];
    snprintf(identity, sizeof identity, "CN=%s", tls->peer);
    json_t *del = json_pack("{s:s}", "id", creds);
    qmp_execute(q, "object-del", del, QMP_TIMEOUT_MS, NULL, NULL, 0); /* none yet is fine */
    json_decref(del);
    json_t *add = json_pack("{s:s,s:s,s:s,s:s,s:b}", "qom-type", "tls-creds-x509", "id", creds, "dir", tls->dir,
                            "endpoint", server ? "server" : "client", "verify-peer", 1);
    json_t *authz = json_pack("{s:s,s:s,s:s}", "qom-type", "authz-simple", "id", MIGRATE_AUTHZ, "identity", identity);
    int rc = qmp_execute(q, "object-add", add, QMP_TIMEOUT_MS, NULL, err, errlen) ||
                     (server && qmp_execute(q, "object-add", authz, QMP_TIMEOUT_MS, NULL, err, errlen))
                 ? HV_EFAIL
                 : HV_OK;
    json_decref(add);
    json_decref(authz);
    return rc;
}

/* query-migrate's status ("" when none ran) and its error */
static int migrate_status(struct qmp *q, char *status, size_t slen, char *why, size_t wlen, char *err, size_t errlen)
{
    json_t *ret = NULL;
    if (qmp_execute(q, "query-migrate", NULL, QMP_TIMEOUT_MS, &ret, err, errlen) != 0)
        return -1;
    snprintf(status, slen, "%s", json_string_value(json_object_get(ret, "status")) ?: "");
    snprintf(why, wlen, "%s", json_string_value(json_object_get(ret, "error-desc")) ?: "");
    json_decref(ret);
    return 0;
}

static int qemu_start_incoming(const struct hv_spec *spec, const char *listen, int nbd_port, int migrate_port,
                               const struct hv_migrate_tls *tls, char *err, size_t errlen)
{
    char addr[16], port[16];
    if (!inet_ok(listen, nbd_port, addr) || !inet_ok(listen, migrate_port, addr) || !spec || !spec->system_disk) {
        seterr(err, errlen, "start_incoming: bad address, ports or spec");
        return HV_EINVAL;
    }
    int rc = qemu_launch(spec, 1, err, errlen);
    if (rc != HV_OK)
        return rc;
    struct qmp q;
    if ((rc = qmp_connect(&q, spec->run_dir, err, errlen)) != HV_OK)
        return rc;
    snprintf(port, sizeof port, "%d", nbd_port);
    /* both streams TLS, and only the source's certificate may connect */
    json_t *nbd = json_pack("{s:{s:s,s:{s:s,s:s}},s:s,s:s}", "addr", "type", "inet", "data", "host", addr, "port", port,
                            "tls-creds", MIGRATE_CREDS_IN, "tls-authz", MIGRATE_AUTHZ);
    json_t *params = json_pack("{s:s,s:s}", "tls-creds", MIGRATE_CREDS_IN, "tls-authz", MIGRATE_AUTHZ);
    /* the export of the blank overlay: the source's mirror writes the top layer into it */
    json_t *exp = json_pack("{s:s,s:s,s:s,s:s,s:b}", "type", "nbd", "id", MIGRATE_EXPORT, "node-name", "sys", "name",
                            MIGRATE_EXPORT, "writable", 1);
    char uri[64];
    snprintf(uri, sizeof uri, "tcp:%s:%d", addr, migrate_port);
    json_t *inc = json_pack("{s:s}", "uri", uri);
    rc = tls_objects(&q, tls, 1, err, errlen);
    if (rc == HV_OK)
        rc = qmp_execute(&q, "nbd-server-start", nbd, QMP_TIMEOUT_MS, NULL, err, errlen) ||
                     qmp_execute(&q, "block-export-add", exp, QMP_TIMEOUT_MS, NULL, err, errlen)
                 ? HV_EFAIL
                 : HV_OK;
    for (int i = 0; rc == HV_OK && i < spec->n_disks; i++) { /* each cloud disk, by its id */
        json_t *dexp = json_pack("{s:s,s:s,s:s,s:s,s:b}", "type", "nbd", "id", spec->disks[i].id, "node-name",
                                 spec->disks[i].id, "name", spec->disks[i].id, "writable", 1);
        rc = qmp_execute(&q, "block-export-add", dexp, QMP_TIMEOUT_MS, NULL, err, errlen) ? HV_EFAIL : HV_OK;
        json_decref(dexp);
    }
    if (rc == HV_OK)
        rc = qmp_execute(&q, "migrate-set-parameters", params, QMP_TIMEOUT_MS, NULL, err, errlen) ||
                     qmp_execute(&q, "migrate-incoming", inc, QMP_TIMEOUT_MS, NULL, err, errlen)
                 ? HV_EFAIL
                 : HV_OK;
    json_decref(nbd);
    json_decref(params);
    json_decref(exp);
    json_decref(inc);
    qmp_close(&q);
    return rc;
}

/* A mirror's end: cancelled (a ready mirror then completes without switching to its target), dismissed, its
 * target node closed; force when the copy is abandoned. */
static void mirror_end(struct qmp *q, const char *job, const char *node, int force)
{
    char status[32], jerr[256];
    json_t *cancel = json_pack("{s:s,s:b}", "device", job, "force", force);
    if (qmp_execute(q, "block-job-cancel", cancel, QMP_TIMEOUT_MS, NULL, NULL, 0) == 0) {
        long long deadline = now_ms() + 10000;
        while (job_status(q, job, status, sizeof status, jerr, sizeof jerr, NULL, 0) == 0 && status[0] &&
               strcmp(status, "concluded") && now_ms() < deadline)
            sleep_ms(20);
    }
    json_decref(cancel);
    json_t *id = json_pack("{s:s}", "id", job);
    qmp_execute(q, "job-dismiss", id, QMP_TIMEOUT_MS, NULL, NULL, 0);
    json_decref(id);
    node_delete(q, node, NULL, 0);
}

/* The mirrors of a move: k = 0 the system disk's, k = 1.. disk_ids[k - 1]'s (job "mj-ID" into node "mt-ID") */
static void mirror_names(const char *const *disk_ids, int k, char job[32], char node[32])
{
    snprintf(job, 32, "%s%s", k ? "mj-" : MIGRATE_JOB, k ? disk_ids[k - 1] : "");
    snprintf(node, 32, "%s%s", k ? "mt-" : MIGRATE_NODE, k ? disk_ids[k - 1] : "");
}

static void mirrors_end(struct qmp *q, const char *const *disk_ids, int n_disks, int force)
{
    for (int k = 0; k <= n_disks; k++) {
        char job[32], node[32];
        mirror_names(disk_ids, k, job, node);
        mirror_end(q, job, node, force);
    }
}

static int qemu_migrate_out(const char *run_dir, const char *to, int nbd_port, int migrate_port,
                            const struct hv_migrate_tls *tls, const char *const *disk_ids, int n_disks, int timeout_ms,
                            char *err, size_t errlen)
{
    char addr[16], port[16], status[32], why[256];
    if (!inet_ok(to, nbd_port, addr) || !inet_ok(to, migrate_port, addr) || timeout_ms <= 0 || n_disks < 0 ||
        n_disks > HV_HOTPLUG_PORTS || (n_disks && !disk_ids)) {
        seterr(err, errlen, "migrate_out: bad address, ports or disks");
        return HV_EINVAL;
    }
    for (int k = 0; k < n_disks; k++)
        if (!valid_disk_id(disk_ids[k])) {
            seterr(err, errlen, "migrate_out: bad disk id");
            return HV_EINVAL;
        }
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc != HV_OK)
        return rc;
    long long deadline = now_ms() + timeout_ms;
    mirrors_end(&q, disk_ids, n_disks, 1); /* what an interrupted run left */
    if ((rc = tls_objects(&q, tls, 0, err, errlen)) != HV_OK) {
        qmp_close(&q);
        return rc;
    }
    snprintf(port, sizeof port, "%d", nbd_port);
    for (int k = 0; rc == HV_OK && k <= n_disks; k++) {
        char job[32], target[32];
        mirror_names(disk_ids, k, job, target);
        /* TLS to the target, whose certificate must name it */
        json_t *node =
            json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:s,s:s,s:s}", "driver", "nbd", "node-name", target, "server", "type",
                      "inet", "host", addr, "port", port, "export", k ? disk_ids[k - 1] : MIGRATE_EXPORT, "tls-creds",
                      MIGRATE_CREDS_OUT, "tls-hostname", tls->peer);
        /* sync top: for the system disk the base image is the same file on both hosts, only the overlay's clusters
         * travel; a cloud disk has no backing file, so its top is all its data (the target's blank file reads zeros
         * where it has none; sync full would write those zeros too: 0.7 s more per 10 GiB of virtual size, measured).
         * write-blocking: once ready, every guest write lands on both, so the target is whole when the guest stops */
        json_t *mirror = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "job-id", job, "device", k ? disk_ids[k - 1] : "sys",
                                   "target", target, "sync", "top", "copy-mode", "write-blocking", "auto-dismiss", 0);
        rc = qmp_execute(&q, "blockdev-add", node, QMP_TIMEOUT_MS, NULL, err, errlen) ||
                     qmp_execute(&q, "blockdev-mirror", mirror, QMP_TIMEOUT_MS, NULL, err, errlen)
                 ? HV_EFAIL
                 : HV_OK;
        json_decref(node);
        json_decref(mirror);
    }
    for (int k = 0; rc == HV_OK && k <= n_disks;) { /* every mirror is ready once its copy is done */
        char job[32], target[32], jerr[256];
        mirror_names(disk_ids, k, job, target);
        if (job_status(&q, job, status, sizeof status, jerr, sizeof jerr, err, errlen) != 0)
            rc = HV_EFAIL;
        else if (!strcmp(status, "ready"))
            k++;
        else if (!status[0] || !strcmp(status, "concluded") || !strcmp(status, "aborting")) {
            seterr(err, errlen, "the mirror of %s ended: %s", k ? disk_ids[k - 1] : "the system disk",
                   jerr[0]     ? jerr
                   : status[0] ? status
                               : "vanished");
            rc = HV_EFAIL;
        } else if (now_ms() >= deadline) {
            seterr(err, errlen, "the mirror of %s was not ready in %d ms", k ? disk_ids[k - 1] : "the system disk",
                   timeout_ms);
            rc = HV_ETIMEDOUT;
        } else
            sleep_ms(50);
    }
    int started = 0;
    if (rc == HV_OK) {
        char uri[64];
        snprintf(uri, sizeof uri, "tcp:%s:%d", addr, migrate_port);
        json_t *params = json_pack("{s:I,s:s,s:s}", "max-bandwidth", (json_int_t)10 << 30, "tls-creds",
                                   MIGRATE_CREDS_OUT, "tls-hostname", tls->peer);
        /* auto-converge: a guest dirtying memory faster than it travels is slowed until the stream converges */
        json_t *caps = json_pack("{s:[{s:s,s:b}]}", "capabilities", "capability", "auto-converge", "state", 1);
        json_t *mig = json_pack("{s:s}", "uri", uri);
        qmp_execute(&q, "migrate-set-capabilities", caps, QMP_TIMEOUT_MS, NULL, NULL, 0);
        json_decref(caps);
        rc = qmp_execute(&q, "migrate-set-parameters", params, QMP_TIMEOUT_MS, NULL, err, errlen) ||
                     qmp_execute(&q, "migrate", mig, QMP_TIMEOUT_MS, NULL, err, errlen)
                 ? HV_EFAIL
                 : HV_OK;
        started = rc == HV_OK;
        json_decref(params);
        json_decref(mig);
    }
    while (rc == HV_OK) {
        if (migrate_status(&q, status, sizeof status, why, sizeof why, err, errlen) != 0)
            rc = HV_EFAIL;
        else if (!strcmp(status, "completed"))
            break;
        else if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
            seterr(err, errlen, "the migration %s: %s", status, why[0] ? why : "no reason given");
            rc = HV_EFAIL;
        } else if (now_ms() >= deadline) {
            seterr(err, errlen, "the migration did not complete in %d ms", timeout_ms);
            rc = HV_ETIMEDOUT;
        } else
            sleep_ms(20);
    }
    if (rc != HV_OK && started) {
        qmp_execute(&q, "migrate_cancel", NULL, QMP_TIMEOUT_MS, NULL, NULL, 0);
        for (long long until = now_ms() + 10000; now_ms() < until; sleep_ms(20))
            if (migrate_status(&q, status, sizeof status, why, sizeof why, NULL, 0) != 0 ||
                (strcmp(status, "cancelling") && strcmp(status, "active") && strcmp(status, "device")))
                break;
        if (!strcmp(status, "completed")) /* it finished while being cancelled: the guest is there now */
            rc = HV_OK;
    }
    /* the guest is paused once the stream completed: the mirror has nothing left in flight and ends */
    mirrors_end(&q, disk_ids, n_disks, rc != HV_OK);
    if (rc != HV_OK) { /* the guest goes on here */
        json_t *ret = NULL;
        if (qmp_execute(&q, "query-status", NULL, QMP_TIMEOUT_MS, &ret, NULL, 0) == 0 &&
            !json_is_true(json_object_get(ret, "running")))
            qmp_execute(&q, "cont", NULL, QMP_TIMEOUT_MS, NULL, NULL, 0);
        json_decref(ret);
    }
    qmp_close(&q);
    return rc;
}

static int qemu_migrate_resume(const char *run_dir, int timeout_ms, char *err, size_t errlen)
{
    struct qmp q;
    int rc = qmp_connect(&q, run_dir, err, errlen);
    if (rc != HV_OK)
        return rc;
    char status[32], why[256];
    long long deadline = now_ms() + timeout_ms;
    while (rc == HV_OK) { /* the stream's end (a source that never sent one has nothing to wait for) */
        if (migrate_status(&q, status, sizeof status, why, sizeof why, err, errlen) != 0)
            rc = HV_EFAIL;
        else if (!strcmp(status, "completed") || !status[0] || !strcmp(status, "none"))
            break;
        else if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
            seterr(err, errlen, "the incoming migration %s: %s", status, why[0] ? why : "no reason given");
            rc = HV_EFAIL;
        } else if (now_ms() >= deadline) {
            seterr(err, errlen, "the incoming migration did not complete in %d ms", timeout_ms);
            rc = HV_ETIMEDOUT;
        } else
            sleep_ms(20);
    }
    qmp_execute(&q, "nbd-server-stop", NULL, QMP_TIMEOUT_MS, NULL, NULL, 0); /* none running is fine */
    json_t *ret = NULL;
    if (rc == HV_OK && qmp_execute(&q, "query-status", NULL, QMP_TIMEOUT_MS, &ret, err, errlen) != 0)
        rc = HV_EFAIL;
    if (rc == HV_OK && !json_is_true(json_object_get(ret, "running")) &&
        qmp_execute(&q, "cont", NULL, QMP_TIMEOUT_MS, NULL, err, errlen) != 0)
        rc = HV_EFAIL;
    json_decref(ret);
    qmp_close(&q);
    return rc;
}

const struct hypervisor_ops qemu_ops = {
    .name = "qemu",
    .import_image = qemu_import_image,
    .create_disk = qemu_create_disk,
    .start = qemu_start,
    .stop = qemu_stop,
    .reboot = qemu_reboot,
    .destroy = qemu_destroy,
    .status = qemu_status,
    .console = qemu_console,
    .console_from = qemu_console_from,
    .create_empty_disk = qemu_create_empty_disk,
    .copy_disk = qemu_copy_disk,
    .resize_disk_file = qemu_resize_disk_file,
    .attach_disk = qemu_attach_disk,
    .detach_disk = qemu_detach_disk,
    .disk_plugged = qemu_disk_plugged,
    .disk_port = qemu_disk_port,
    .resize_disk = qemu_resize_disk,
    .backup_start = qemu_backup_start,
    .backup_poll = qemu_backup_poll,
    .backup_cancel = qemu_backup_cancel,
    .start_incoming = qemu_start_incoming,
    .migrate_out = qemu_migrate_out,
    .migrate_resume = qemu_migrate_resume,
};

const struct hypervisor_ops *hv_driver(void) { return &qemu_ops; }

const char *hv_state_name(enum hv_state state)
{
    static const char *const names[] = {"ABSENT", "RUNNING", "PAUSED", "SHUTDOWN", "ERROR", "UNKNOWN"};
    return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "INVALID";
}

static int cpu_has_hw_virt(void)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return 0;
    char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5))
            found = strstr(line, " vmx") || strstr(line, " svm");
    fclose(f);
    return found;
}

const char *hv_detect_accel(char *why, size_t len)
{
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        seterr(why, len, "/dev/kvm not usable (%s): using TCG emulation", strerror(errno));
        return "tcg";
    }
    if (access("/sys/module/kvm_pvm", F_OK) == 0) {
        seterr(why, len,
               "/dev/kvm is provided by kvm_pvm (PVM, pagetable-based virtualisation, no VT-x/AMD-V): "
               "stock guest kernels fail in its instruction emulator, so using TCG");
        return "tcg";
    }
    if (!cpu_has_hw_virt()) {
        seterr(why, len, "CPU has no vmx/svm flag: using TCG emulation");
        return "tcg";
    }
    if (access("/sys/module/kvm_intel", F_OK) != 0 && access("/sys/module/kvm_amd", F_OK) != 0) {
        seterr(why, len, "neither kvm_intel nor kvm_amd is loaded: using TCG emulation");
        return "tcg";
    }
    seterr(why, len, "hardware virtualisation (vmx/svm) with kvm_intel/kvm_amd: using KVM");
    return "kvm";
}
