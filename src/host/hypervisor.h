/*
 * hypervisor.h - the host's hypervisor driver interface.
 *
 * The control plane drives instances only through a table of operations (struct hypervisor_ops), like libvirt's
 * driver tables, so it never knows which hypervisor runs them. Callers outside src/host reach the driver only
 * through hv_driver(); today it is qemu_ops (qemu.c), the only code that speaks QMP or runs qemu-img.
 * Everything about one instance lives in its run_dir (QMP socket, serial socket + log, pid files), so a restarted
 * control plane finds running instances again from the directory alone: no in-memory state is needed.
 *
 * Conventions: functions return HV_OK (0) or a negative enum hv_result and write a one-line reason into err
 * (err may be NULL); the few that answer a yes/no or "not yet" say so with a positive value. Paths given to
 * start, import_image and create_disk are absolute. A disk_id (e.g. "disk-xxxxxxxx", letter first, then
 * letters, digits, '-', '_', at most 20 characters) names a plugged disk and is its guest-visible serial.
 */
#ifndef YUN_HOST_HYPERVISOR_H
#define YUN_HOST_HYPERVISOR_H

#include <stddef.h>

#define HV_GUEST_MTU     1450 /* a guest NIC's MTU (virtio-net host_mtu): 1500 less VXLAN's encapsulation */
#define HV_HOTPLUG_PORTS 8    /* empty pcie-root-ports hp0..hp7 every instance gets for its cloud disks */

/* A cloud disk plugged from QEMU's start: an incoming migration's, each as the source's QEMU has it (the same
 * hot-plug port, node name, device id and serial), so the migration stream finds the same devices. */
struct hv_disk {
    const char *id;   /* a disk_id: node name, device id and serial */
    const char *path; /* standalone qcow2, absolute */
    int port;         /* its hot-plug port, 0..HV_HOTPLUG_PORTS-1 */
};

struct hv_spec {             /* what to run; all paths absolute */
    const char *instance_id; /* "ins-xxxxxxxx" */
    int vcpus;
    int memory_mib;
    const char *kernel, *initrd, *cmdline_extra; /* direct boot; kernel NULL = firmware boots system_disk */
    const char *system_disk;                     /* qcow2 (or raw) path; may be NULL */
    const char *system_disk_base; /* the image system_disk is an overlay of (create_disk); NULL = standalone */
    const char *tap_ifname;       /* may be NULL = no NIC */
    const char *mac;              /* "52:54:00:xx:xx:xx"; NULL = QEMU picks one */
    const char *run_dir;          /* per-instance dir: qmp socket, serial log, pidfile; created if missing */
    const char *accel;            /* "kvm" or "tcg" */
    const struct hv_disk *disks;  /* plugged from the start (start_incoming); n_disks of them */
    int n_disks;
};

enum hv_state { HV_ABSENT, HV_RUNNING, HV_PAUSED, HV_SHUTDOWN, HV_ERROR, HV_UNKNOWN };

enum hv_result {
    HV_OK = 0,
    HV_EFAIL = -1,       /* generic failure, see err */
    HV_ETIMEDOUT = -2,   /* the guest did not do what was asked in time (e.g. soft stop) */
    HV_ENOTRUNNING = -3, /* no live hypervisor process for this run_dir */
    HV_EINVAL = -4,      /* bad argument */
    HV_PENDING = 1,      /* not an error: the job goes on (backup_poll) */
};

enum hv_stop_mode {                     /* mirrors the cloud API's StopType */
                    HV_STOP_SOFT,       /* ACPI power button; HV_ETIMEDOUT if the guest ignores it */
                    HV_STOP_HARD,       /* QMP quit, then SIGKILL */
                    HV_STOP_SOFT_FIRST, /* soft, then hard after timeout_ms */
};

/* A live migration's TLS: dir holds ca-cert.pem (the region CA) and this host's certificate and key as QEMU's
 * x509 credentials want them (server-cert.pem, server-key.pem, client-cert.pem, client-key.pem); peer is the
 * other host's id, its certificate's CN and DNS name (the target lets only it connect, the source checks it). */
struct hv_migrate_tls {
    const char *dir, *peer;
};

struct hypervisor_ops {
    const char *name;
    /* a standalone qcow2 copy of an image file (qcow2 or raw) at dest; refuses images that name other
     * files (a backing file, an external data file), which the hypervisor would open on the host */
    int (*import_image)(const char *src, const char *dest, long long *virtual_bytes, char *err, size_t errlen);
    /* qcow2 overlay on an absolute base (base format detected, passed with -F); size_bytes 0 = base size */
    int (*create_disk)(const char *base, const char *overlay, long long size_bytes, char *err, size_t errlen);
    /* detached (own session, reparented to init): the instance survives the caller */
    int (*start)(const struct hv_spec *spec, char *err, size_t errlen);
    /* already stopped = HV_OK; timeout_ms bounds the soft phase */
    int (*stop)(const char *run_dir, enum hv_stop_mode mode, int timeout_ms, char *err, size_t errlen);
    int (*reboot)(const char *run_dir, char *err, size_t errlen);  /* hard reset of the virtual machine */
    int (*destroy)(const char *run_dir, char *err, size_t errlen); /* kill, remove sockets + pid files; idempotent */
    /* HV_ABSENT: never started or destroyed; HV_SHUTDOWN: started, process gone; HV_ERROR: e.g. KVM internal-error */
    enum hv_state (*status)(const char *run_dir, char *detail, size_t len);
    /* tail of the serial log, NUL-terminated; *outlen = bytes copied (without the NUL) */
    int (*console)(const char *run_dir, char *buf, size_t len, size_t *outlen);
    /* the newest bytes of the serial log at offsets >= from (at most len - 1), NUL-terminated; *end = the log's
     * length, the `from` of a later call (smaller than from: the log restarted with a new start).
     * HV_ENOTRUNNING: there is no log (never started) */
    int (*console_from)(const char *run_dir, long long from, char *buf, size_t len, size_t *outlen, long long *end);

    /* Cloud disks: standalone qcow2 files (never a backing file) that live instances get by hot plug. */
    /* a new empty disk file */
    int (*create_empty_disk)(const char *path, long long size_bytes, char *err, size_t errlen);
    /* a standalone copy of a disk file no instance holds (snapshot of a detached disk, restore from one) */
    int (*copy_disk)(const char *src, const char *dest, char *err, size_t errlen);
    /* grow a disk file no instance holds */
    int (*resize_disk_file)(const char *path, long long size_bytes, char *err, size_t errlen);
    /* hot plug into the first free hot-plug port / unplug (waits for the guest to release it) */
    int (*attach_disk)(const char *run_dir, const char *disk_id, const char *path, char *err, size_t errlen);
    int (*detach_disk)(const char *run_dir, const char *disk_id, char *err, size_t errlen);
    /* 1 = the live instance has disk_id plugged, 0 = it runs without it; HV_ENOTRUNNING: no live instance */
    int (*disk_plugged)(const char *run_dir, const char *disk_id, char *err, size_t errlen);
    /* the hot-plug port (0..HV_HOTPLUG_PORTS-1) a plugged disk_id is on; HV_EFAIL when it is on none */
    int (*disk_port)(const char *run_dir, const char *disk_id, char *err, size_t errlen);
    /* grow a plugged disk while the guest runs (the guest sees the new size) */
    int (*resize_disk)(const char *run_dir, const char *disk_id, long long size_bytes, char *err, size_t errlen);
    /* A consistent full copy of a plugged disk while the guest goes on writing: the copy is the disk as it was
     * when backup_start returned. backup_start creates target (size_bytes, the disk's size) and starts job
     * job_id, first cancelling one of that id an interrupted run left; backup_poll answers HV_PENDING while it
     * copies, HV_OK once target is complete and closed, an error if the copy failed (the caller removes target);
     * backup_cancel stops the job and closes target, HV_OK also if there is no such job. */
    int (*backup_start)(const char *run_dir, const char *disk_id, const char *job_id, const char *target,
                        long long size_bytes, char *err, size_t errlen);
    int (*backup_poll)(const char *run_dir, const char *job_id, char *err, size_t errlen);
    int (*backup_cancel)(const char *run_dir, const char *job_id, char *err, size_t errlen);

    /* Live migration without shared storage: the system disk is an overlay on the same base image on both
     * hosts, and only the overlay travels; a cloud disk (a standalone file) with all its data. Both streams (NBD,
     * migration) are TLS, mutually authenticated by the hosts' certificates (struct hv_migrate_tls: the target serves
     * and takes only the source's certificate, the source checks the target's name); nothing travels in clear. On the
     * target, start_incoming starts spec paused, its system disk a blank overlay of the same size and its disks
     * (spec->disks: blank files of the source's sizes, on the source's ports) exported writable over NBD on
     * listen:nbd_port (export "sys" and one named by each disk_id), waiting for the migration stream on
     * listen:migrate_port. On the source, migrate_out mirrors the system disk's top layer and each of disk_ids
     * (standalone: all its data) into those exports (once all are ready, every guest write lands on both), migrates the
     * guest and returns HV_OK once the stream completed (the guest paused here for good); on an error it undoes its
     * half and the guest goes on running here. migrate_resume, on the target once the source is done (or on a source
     * whose move was called off after all), waits for an incoming stream to end, stops the NBD export and resumes the
     * guest; HV_OK also when it already runs. */
    int (*start_incoming)(const struct hv_spec *spec, const char *listen, int nbd_port, int migrate_port,
                          const struct hv_migrate_tls *tls, char *err, size_t errlen);
    int (*migrate_out)(const char *run_dir, const char *to, int nbd_port, int migrate_port,
                       const struct hv_migrate_tls *tls, const char *const *disk_ids, int n_disks, int timeout_ms,
                       char *err, size_t errlen);
    int (*migrate_resume)(const char *run_dir, int timeout_ms, char *err, size_t errlen);
};

extern const struct hypervisor_ops qemu_ops;
/* the driver this host runs instances with (src/compute and src/block call only this) */
const struct hypervisor_ops *hv_driver(void);

/* "kvm" only when /dev/kvm can run stock kernels (vmx/svm + kvm_intel/kvm_amd, not kvm_pvm); else "tcg" */
const char *hv_detect_accel(char *why, size_t len);
const char *hv_state_name(enum hv_state state);
/* backup.c: a point-in-time full copy of a plugged disk into a new qcow2 at target while the guest goes on
 * writing (the driver's backup job, polled to its end); target is removed if the copy fails. 0 or -1 with err. */
int hv_backup_copy(const char *run_dir, const char *disk_id, const char *target, long long bytes, const char *job_id,
                   char *err, size_t errlen);

#endif
