# images/lib/base.sh: the Debian 12 base builder every blueprint recipe sources (images/recipes/*.sh).
#
# A recipe is:   . "$(dirname "$0")/../lib/base.sh"; image_begin "$@"; <manifest_* and chroot_* calls>; image_end
# Output in OUTDIR (the recipe's first argument):
#   vmlinux            the Debian cloud kernel as an uncompressed ELF (QEMU PVH direct boot), same as the tiny image
#   initramfs.cpio.gz  busybox + the virtio modules + images/lib/initramfs-init: mounts yun.root (/dev/vda), switch_root
#   disk.qcow2         the Debian 12 root file system (ext4, whole disk, no partition table); instances get an overlay
#   manifest.json      what the blueprint is (docs/images.md): the control plane registers the image from it
#   recipe.sha256      hash of the recipe + this builder + images/lib/*; when it matches, the recipe exits at once
# Caches (YUN_IMAGE_CACHE, default <repo>/build/images/cache), shared by every recipe:
#   debootstrap/ + archives/  the .debs debootstrap and apt downloaded (apt's archive dir is bind-mounted into the chroot)
#   base-HASH.tar             the base root file system (debootstrap + cloud-init + yun units + kernel modules)
#   kernel/                   the kernel package, busybox-static
# A seed (YUN_IMAGE_SEED, default <repo>/build/images/NAME) holding the same recipe's output is hard-linked, not rebuilt;
# a fresh build is linked back into the seed, so DATA dirs of tests and `make run` share one build.
# Progress: lines "yun-image: phase I/N: TEXT" on stdout (yun admin images build shows them), everything else is log.
set -eu

here_lib=$(cd "$(dirname "${BASH_SOURCE:-$0}")" 2>/dev/null && pwd)
images_dir=$(cd "$here_lib/.." && pwd)
repo_dir=$(cd "$images_dir/.." && pwd)
SUITE=bookworm
PHASES=8
phase_n=0
phase() { phase_n=$((phase_n + 1)); echo "yun-image: phase $phase_n/$PHASES: $*"; }
die() { echo "yun-image: error: $*" >&2; exit 1; }

# manifest fields, set by the recipe before image_end
M_NAME=""; M_TYPE=APP_OS; M_DISPLAY=""; M_OS="Debian 12"; M_PLATFORM=Debian; M_DESC=""; M_MEM=1024; M_DISK=0
M_PORT=80; M_READY="/"; M_SCENE=""; M_VERSION=""; M_CRED=""
manifest() { # manifest KEY VALUE
    case "$1" in
    name) M_NAME=$2;; blueprint_type) M_TYPE=$2;; display_name) M_DISPLAY=$2;; os_name) M_OS=$2;;
    platform) M_PLATFORM=$2;; description) M_DESC=$2;; required_memory_mib) M_MEM=$2;; required_disk_gib) M_DISK=$2;;
    app_port) M_PORT=$2;; ready_path) M_READY=$2;; scene) M_SCENE=$2;; version) M_VERSION=$2;; credentials) M_CRED=$2;;
    *) die "unknown manifest key $1";;
    esac
}

# The base files every image carries; a change to any of them rebuilds the base and every recipe.
base_files() { echo "$here_lib/base.sh $here_lib/initramfs-init $(ls "$here_lib"/rootfs/* | sort | tr '\n' ' ')"; }

image_begin() { # image_begin OUTDIR  (called by the recipe with its own "$@")
    out=${1:?usage: RECIPE.sh OUTDIR}
    recipe=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    NAME=$(basename "$recipe" .sh)
    # mounts (proc, the apt cache) live in a private mount namespace: a killed build leaves none behind
    if [ -z "${YUN_IMAGE_NS:-}" ] && [ "$(id -u)" = 0 ]; then
        YUN_IMAGE_NS=1 exec unshare -m --propagation private "$recipe" "$@"
    fi
    [ "$(id -u)" = 0 ] || die "building images needs root (debootstrap, chroot)"
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    cache=${YUN_IMAGE_CACHE:-$repo_dir/build/images/cache}
    mkdir -p "$cache/debootstrap" "$cache/archives/partial" "$cache/kernel"
    cache=$(cd "$cache" && pwd)
    # the base root fs depends on the functions that make it and the files it copies, not on the rest of base.sh
    base_stamp=$( (declare -f base_rootfs mounts_up in_root chroot_install mirror; cat "$here_lib"/rootfs/* "$here_lib/initramfs-init") |
                 sha256sum | cut -d' ' -f1)
    stamp=$( (cat "$recipe" $(base_files)) | sha256sum | cut -d' ' -f1)
    if [ -f "$out/recipe.sha256" ] && [ "$(cat "$out/recipe.sha256")" = "$stamp" ] && image_complete "$out"; then
        echo "yun-image: $NAME up to date ($out)"
        exit 0
    fi
    seed=${YUN_IMAGE_SEED:-$repo_dir/build/images/$NAME}
    if [ "$(cd "$seed" 2>/dev/null && pwd)" != "$out" ] && [ -f "$seed/recipe.sha256" ] &&
       [ "$(cat "$seed/recipe.sha256")" = "$stamp" ] && image_complete "$seed"; then
        rm -f "$out/recipe.sha256"
        for f in vmlinux initramfs.cpio.gz disk.qcow2 manifest.json; do
            rm -f "$out/$f"; ln "$seed/$f" "$out/$f" 2>/dev/null || cp "$seed/$f" "$out/$f"
        done
        echo "$stamp" > "$out/recipe.sha256"
        echo "yun-image: $NAME linked from $seed"
        exit 0
    fi
    for tool in debootstrap apt-get dpkg python3 lz4 cpio gzip modprobe depmod mkfs.ext4 qemu-img unshare chroot; do
        command -v $tool >/dev/null || die "missing host tool: $tool"
    done
    work="$out/work"
    R="$work/root"
    umount_all
    rm -rf "$work"
    mkdir -p "$work"
    trap 'umount_all' EXIT
    build_started=$(date +%s)
    phase "base system (debootstrap $SUITE + cloud-init)"
    base_rootfs
    phase "kernel and initramfs"
    kernel_build
    mounts_up
    in_root apt-get -q update >/dev/null    # the base's package lists may be older than the mirror
    phase "application packages"
}

image_complete() { [ -f "$1/vmlinux" ] && [ -f "$1/initramfs.cpio.gz" ] && [ -f "$1/disk.qcow2" ] && [ -f "$1/manifest.json" ]; }

umount_all() {
    [ -n "${R:-}" ] || return 0
    for m in var/cache/apt/archives dev/pts dev sys proc; do
        mountpoint -q "$R/$m" 2>/dev/null && umount -l "$R/$m" || true
    done
}

mounts_up() {
    mount -t proc proc "$R/proc"
    mount -t sysfs sysfs "$R/sys"
    mount --bind /dev "$R/dev"
    mount -t devpts devpts "$R/dev/pts" 2>/dev/null || true
    mkdir -p "$R/var/cache/apt/archives"
    mount --bind "$cache/archives" "$R/var/cache/apt/archives"
    cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
    # services installed by a recipe must not start in the chroot
    printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
}

# The mirror: the first deb URI the host's apt uses (so a local mirror works offline), else deb.debian.org.
mirror() {
    m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2; exit}')
    [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2; exit}')
    echo "${m:-http://deb.debian.org/debian}"
}

in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive "$@"; }
chroot_run() { in_root sh -c "$1"; }
chroot_install() { # chroot_install PKG...: Depends only, no recommends, from the shared archive cache
    echo "yun-image: installing $*"
    in_root apt-get -q -y -o APT::Install-Recommends=false -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold install "$@"
}
# firstboot FILE: a script run once per instance before the application answers (yun-firstboot.service)
firstboot() { install -D -m 0755 "$1" "$R/usr/lib/yun/firstboot.d/$(basename "$1")"; }

base_rootfs() {
    base_tar="$cache/base-$base_stamp.tar"
    mkdir -p "$R"
    if [ -f "$base_tar" ]; then
        echo "yun-image: base from cache $(basename "$base_tar")"
        tar -C "$R" -xpf "$base_tar"
        return
    fi
    # debootstrap does not resolve virtual packages (cloud-init's python3-cryptography needs some): apt does the rest
    debootstrap --variant=minbase --cache-dir="$cache/debootstrap" --include=systemd-sysv,udev,dbus,iproute2,netbase \
        "$SUITE" "$R" "$(mirror)"
    # the guest uses the same sources as the host (the Debian mirror, with security updates)
    rm -f "$R/etc/apt/sources.list"
    if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
        cp /etc/apt/sources.list.d/*.sources "$R/etc/apt/sources.list.d/"
    else
        cp /etc/apt/sources.list "$R/etc/apt/sources.list"
    fi
    # small: no docs, man pages, locales beyond C (dpkg path excludes apply to every later install too)
    cat > "$R/etc/dpkg/dpkg.cfg.d/01-yun-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
    printf 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\nAPT::Keep-Downloaded-Packages "true";\n' \
        > "$R/etc/apt/apt.conf.d/01-yun"
    rm -rf "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/info/*
    mounts_up
    in_root apt-get -q update
    chroot_install cloud-init openssh-server ca-certificates less procps
    in_root apt-get -q clean
    rm -f "$R/usr/sbin/policy-rc.d" "$R/etc/resolv.conf"
    umount_all
    # yun's guest side: network from the kernel command line, cloud-init from the metadata service, first boot, ready
    mkdir -p "$R/usr/lib/yun"
    install -m 0755 "$here_lib/rootfs/yun-net" "$R/usr/lib/yun/yun-net"
    install -m 0755 "$here_lib/rootfs/yun-firstboot" "$R/usr/lib/yun/yun-firstboot"
    install -m 0644 "$here_lib/rootfs/yun-net.service" "$R/etc/systemd/system/yun-net.service"
    install -m 0644 "$here_lib/rootfs/yun-firstboot.service" "$R/etc/systemd/system/yun-firstboot.service"
    install -m 0644 "$here_lib/rootfs/99-yun.cfg" "$R/etc/cloud/cloud.cfg.d/99-yun.cfg"
    mkdir -p "$R/usr/lib/yun/firstboot.d" "$R/etc/systemd/system/multi-user.target.wants"
    ln -sf /etc/systemd/system/yun-net.service "$R/etc/systemd/system/multi-user.target.wants/yun-net.service"
    ln -sf /etc/systemd/system/yun-firstboot.service \
        "$R/etc/systemd/system/multi-user.target.wants/yun-firstboot.service"
    # no network manager: yun-net configures eth0; cloud-init must not write its own network config
    rm -f "$R/etc/network/interfaces.d/"* 2>/dev/null || true
    printf '/dev/vda / ext4 defaults,noatime,errors=remount-ro 0 1\n' > "$R/etc/fstab"
    echo yun > "$R/etc/hostname"
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' > "$R/etc/hosts"
    # per-instance identity: regenerated at first boot (machine-id by systemd, host keys by cloud-init)
    : > "$R/etc/machine-id"
    rm -f "$R"/etc/ssh/ssh_host_*
    # cloud-init's local stage has nothing to do here (the seed is on the network) and costs a Python start
    ln -sf /dev/null "$R/etc/systemd/system/cloud-init-local.service"
    ln -sf /dev/null "$R/etc/systemd/system/apt-daily.timer"
    ln -sf /dev/null "$R/etc/systemd/system/apt-daily-upgrade.timer"
    ln -sf /dev/null "$R/etc/systemd/system/e2scrub_all.timer"
    ln -sf /dev/null "$R/etc/systemd/system/fstrim.timer"
    # root logs in with the instance's key pair only (cloud-init writes authorized_keys from the metadata)
    chroot "$R" passwd -l root >/dev/null
    tar -C "$R" -cpf "$base_tar.tmp" .
    mv "$base_tar.tmp" "$base_tar"
    # older bases are dead weight
    for f in "$cache"/base-*.tar; do [ "$f" = "$base_tar" ] || rm -f "$f"; done
}

kernel_build() {
    cd "$cache/kernel"
    kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-amd64"
    kver=${kpkg#linux-image-}
    for p in "$kpkg" busybox-static; do
        ls ${p}_*.deb >/dev/null 2>&1 || apt-get -q -o APT::Sandbox::User=root download "$p"
    done
    K="$work/kernel"; I="$work/initramfs"
    mkdir -p "$K" "$I/bin" "$I/proc" "$I/sys" "$I/dev" "$I/newroot" "$I/etc"
    dpkg -x "$(ls ${kpkg}_*.deb | head -1)" "$K"
    dpkg -x "$(ls busybox-static_*.deb | head -1)" "$work/bb"
    cd "$work"
    python3 - "$K/boot/vmlinuz-$kver" "$work/payload" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
setup = (d[0x1f1] + 1) * 512
off, length = struct.unpack_from('<II', d, 0x248)
open(sys.argv[2], 'wb').write(d[setup + off: setup + off + length])
PY
    lz4 -dc "$work/payload" > "$work/vmlinux" 2>/dev/null || true
    head -c 4 "$work/vmlinux" | grep -q ELF || die "kernel payload is not an ELF (not LZ4?)"
    depmod -b "$K" "$kver"
    # modules: the initramfs gets what mounting /dev/vda needs; the root fs what the running system needs
    : > "$I/etc/modules.order"
    for m in virtio_pci virtio_mmio virtio_blk virtio_net virtio_console virtio_rng virtio_balloon \
             vmw_vsock_virtio_transport button evdev; do
        modprobe -d "$K" -S "$kver" --show-depends "$m" | while read -r kind path _; do
            [ "$kind" = insmod ] || continue
            rel=${path#"$K"}
            mkdir -p "$R$(dirname "$rel")"
            cp -n "$path" "$R$rel"
            case "$m" in virtio_pci|virtio_mmio|virtio_blk) ;; *) continue;; esac
            grep -qx "$rel" "$I/etc/modules.order" && continue
            mkdir -p "$I$(dirname "$rel")"
            cp "$path" "$I$rel"
            echo "$rel" >> "$I/etc/modules.order"
        done
    done
    cp "$K/lib/modules/$kver/modules.order" "$K/lib/modules/$kver/modules.builtin"* "$R/lib/modules/$kver/" 2>/dev/null || true
    depmod -b "$R" "$kver"
    cp "$work/bb/bin/busybox" "$I/bin/busybox"
    for a in sh mount umount insmod switch_root sleep cat mkdir echo poweroff; do ln -s busybox "$I/bin/$a"; done
    install -m 0755 "$here_lib/initramfs-init" "$I/init"
    (cd "$I" && find . | sort | cpio -o -H newc --quiet -R 0:0 | gzip -6) > "$work/initramfs.cpio.gz"
    rm -rf "$K" "$work/bb" "$work/payload"
}

image_end() {
    [ -n "$M_NAME" ] || M_NAME=$NAME
    [ "$M_NAME" = "$NAME" ] || die "manifest name $M_NAME differs from the recipe's $NAME"
    phase "clean up"
    in_root apt-get -q clean >/dev/null 2>&1 || true
    rm -f "$R/usr/sbin/policy-rc.d" "$R/etc/resolv.conf"
    umount_all
    rm -rf "$R"/var/lib/apt/lists/* "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/var/log/*.log \
           "$R"/var/log/apt/* "$R"/tmp/* "$R"/var/tmp/* "$R"/var/lib/cloud/*
    rm -f "$R"/etc/ssh/ssh_host_*
    : > "$R/etc/machine-id"
    phase "file system"
    used=$(du -sxm "$R" | cut -f1)
    size=$(( used + used / 4 + 256 ))           # MiB; cloud-init's resizefs grows it to the instance's disk
    [ "$M_DISK" -gt 0 ] || M_DISK=$(( (size + 1023) / 1024 + 1 ))
    [ "$M_DISK" -ge 1 ] || M_DISK=1
    mkfs.ext4 -q -F -L yun-root -E lazy_itable_init=1 -d "$R" "$work/disk.raw" "${size}M" >/dev/null
    phase "qcow2"
    qemu-img convert -q -c -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
    rm -f "$work/disk.raw"
    phase "manifest"
    NAME=$NAME M_TYPE=$M_TYPE M_DISPLAY=$M_DISPLAY M_OS=$M_OS M_PLATFORM=$M_PLATFORM M_DESC=$M_DESC M_MEM=$M_MEM \
    M_DISK=$M_DISK M_PORT=$M_PORT M_READY=$M_READY M_SCENE=$M_SCENE M_VERSION=$M_VERSION M_CRED=$M_CRED KVER=$kver \
    STAMP=$stamp python3 - > "$work/manifest.json" <<'PY'
import json, os, time
e = os.environ
print(json.dumps({
    "name": e["NAME"], "blueprint_type": e["M_TYPE"], "display_name": e["M_DISPLAY"] or e["NAME"],
    "os_name": e["M_OS"], "platform": e["M_PLATFORM"], "description": e["M_DESC"],
    "required_memory_mib": int(e["M_MEM"]), "required_disk_gib": int(e["M_DISK"]),
    "app_port": int(e["M_PORT"]), "ready_path": e["M_READY"], "scene": e["M_SCENE"], "version": e["M_VERSION"],
    "credentials": e["M_CRED"], "kernel_cmdline": "yun.root=/dev/vda net.ifnames=0", "kernel_version": e["KVER"],
    "recipe_sha256": e["STAMP"], "built": int(time.time())}, indent=2))
PY
    rm -f "$out/recipe.sha256"
    for f in vmlinux initramfs.cpio.gz disk.qcow2 manifest.json; do mv -f "$work/$f" "$out/$f"; done
    rm -rf "$work"
    echo "$stamp" > "$out/recipe.sha256"
    # share the build with the seed directory (other data dirs then link it)
    if [ "$(cd "$seed" 2>/dev/null && pwd)" != "$out" ] && mkdir -p "$seed" 2>/dev/null; then
        rm -f "$seed/recipe.sha256"
        for f in vmlinux initramfs.cpio.gz disk.qcow2 manifest.json; do
            rm -f "$seed/$f"; ln "$out/$f" "$seed/$f" 2>/dev/null || cp "$out/$f" "$seed/$f"
        done
        echo "$stamp" > "$seed/recipe.sha256"
    fi
    phase "done: $NAME in $(( $(date +%s) - build_started )) s, disk $(du -m "$out/disk.qcow2" | cut -f1) MiB"
}

# firstboot_after UNIT...: yun-firstboot (and so the ready marker) waits for these units
firstboot_after() {
    mkdir -p "$R/etc/systemd/system/yun-firstboot.service.d"
    printf '[Unit]\nAfter=%s\nWants=%s\n' "$*" "$*" > "$R/etc/systemd/system/yun-firstboot.service.d/10-after.conf"
}
