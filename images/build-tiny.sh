#!/bin/sh
# build-tiny.sh OUTDIR: build yun's built-in public guest image ("tiny") from Debian packages only.
#
# Output in OUTDIR:
#   vmlinux            uncompressed ELF of the Debian cloud kernel, for QEMU PVH direct boot (-kernel)
#   initramfs.cpio.gz  busybox + dropbear + virtio modules + /init (images/tiny/init); the whole root fs lives in RAM
#   disk.qcow2         small ext4 base disk; instances get a qcow2 overlay on it as /dev/vda (persistent marker files)
#   recipe.sha256      hash of the recipe files; when it matches, the script exits at once (callers just run it)
#   cache/             downloaded .debs, reused across builds
# Everything comes from the Debian mirror apt is configured with (apt-get download + dpkg -x), so it works offline
# from a local mirror. Host tools needed: apt-get dpkg python3 lz4 cpio gzip kmod(modprobe, depmod) e2fsprogs qemu-utils.
set -eu

out=${1:?usage: build-tiny.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
recipe_files="$here/build-tiny.sh $here/tiny/init $here/tiny/udhcpc.script $here/tiny/yun-guest"

mkdir -p "$out/cache"
out=$(cd "$out" && pwd)
stamp=$(cat $recipe_files | sha256sum | cut -d' ' -f1)
if [ -f "$out/recipe.sha256" ] && [ "$(cat "$out/recipe.sha256")" = "$stamp" ] &&
   [ -f "$out/vmlinux" ] && [ -f "$out/initramfs.cpio.gz" ] && [ -f "$out/disk.qcow2" ]; then
    echo "build-tiny: up to date ($out)"
    exit 0
fi

# A seed directory holding the same recipe's output (e.g. the repository's build/images/tiny) is linked, not rebuilt.
seed=${YUN_IMAGE_SEED:-}
if [ -n "$seed" ] && [ -f "$seed/recipe.sha256" ] && [ "$(cat "$seed/recipe.sha256")" = "$stamp" ]; then
    for f in vmlinux initramfs.cpio.gz disk.qcow2; do
        ln -f "$seed/$f" "$out/$f" 2>/dev/null || cp "$seed/$f" "$out/$f"
    done
    echo "$stamp" > "$out/recipe.sha256"
    echo "build-tiny: linked from $seed"
    exit 0
fi

for tool in apt-get apt-cache dpkg python3 lz4 cpio gzip modprobe depmod mkfs.ext4 qemu-img; do
    command -v $tool >/dev/null || { echo "build-tiny: missing host tool: $tool" >&2; exit 1; }
done

# --- 1. download (cached) ---------------------------------------------------------------------------------------
cd "$out/cache"
kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "build-tiny: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
kver=${kpkg#linux-image-}
# dropbear's shared libraries come from their Debian packages, never from the host.
pkgs="$kpkg busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 zlib1g libgmp10"
need=""
for p in $pkgs; do
    ls ${p}_*.deb >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
    apt-get -q -o APT::Sandbox::User=root download $need
fi

# --- 2. unpack ---------------------------------------------------------------------------------------------------
work="$out/work"
rm -rf "$work"; mkdir -p "$work/pkgs" "$work/root"
for p in $pkgs; do dpkg -x "$(ls ${p}_*.deb | head -1)" "$work/pkgs"; done
P="$work/pkgs"; R="$work/root"

# --- 3. kernel: bzImage -> LZ4 payload -> uncompressed ELF (has the PVH entry note) ------------------------------
python3 - "$P/boot/vmlinuz-$kver" "$work/payload" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
setup = (d[0x1f1] + 1) * 512
off, length = struct.unpack_from('<II', d, 0x248)
open(sys.argv[2], 'wb').write(d[setup + off: setup + off + length])
PY
# The kernel appends the uncompressed size after the LZ4 legacy frame; lz4 decodes everything, then exits 1 on it.
lz4 -dc "$work/payload" > "$work/vmlinux" 2>/dev/null || true
head -c 4 "$work/vmlinux" | grep -q ELF || { echo "build-tiny: kernel payload is not an ELF (not LZ4?)" >&2; exit 1; }

# --- 4. root filesystem ------------------------------------------------------------------------------------------
mkdir -p "$R"/bin "$R"/sbin "$R"/usr/bin "$R"/usr/sbin "$R"/lib64 "$R"/lib/x86_64-linux-gnu "$R"/etc/dropbear \
         "$R"/etc/acpi/PWRF "$R"/etc/udhcpc "$R"/proc "$R"/sys "$R"/dev "$R"/run "$R"/tmp "$R"/var/log \
         "$R"/root/.ssh "$R"/mnt/vda "$R"/usr/share/udhcpc
cp "$P/bin/busybox" "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list-full); do
    [ -e "$R/$applet" ] || ln -s /bin/busybox "$R/$applet"
done
cp "$P/usr/sbin/dropbear" "$R/usr/sbin/dropbear"
cp "$P/usr/bin/dropbearkey" "$R/usr/bin/dropbearkey"

# Shared libraries: walk DT_NEEDED from the packages' tree (like ldd, but never touching the host's libraries).
python3 - "$P" "$R" "$R/usr/sbin/dropbear" "$R/usr/bin/dropbearkey" <<'PY'
import os, shutil, subprocess, sys
pkgs, root, bins = sys.argv[1], sys.argv[2], sys.argv[3:]
dirs = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu']
def needed(path):
    out = subprocess.run(['readelf', '-d', path], capture_output=True, text=True, check=True).stdout
    return [l.split('[')[1].split(']')[0] for l in out.splitlines() if '(NEEDED)' in l]
todo, done = list(bins), set()
while todo:
    for lib in needed(todo.pop()):
        if lib in done: continue
        for d in dirs:
            src = os.path.join(pkgs, d, lib)
            if os.path.exists(src):
                dst = os.path.join(root, 'lib/x86_64-linux-gnu', lib)
                shutil.copy(os.path.realpath(src), dst)
                done.add(lib); todo.append(dst); break
        else:
            sys.exit('build-tiny: library %s not found in the downloaded packages' % lib)
PY
cp "$(readlink -f "$P/lib64/ld-linux-x86-64.so.2")" "$R/lib64/ld-linux-x86-64.so.2"

install -m 0755 "$here/tiny/init" "$R/init"
install -m 0755 "$here/tiny/udhcpc.script" "$R/usr/share/udhcpc/default.script"
install -m 0755 "$here/tiny/yun-guest" "$R/usr/bin/yun-guest"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:*:19000:0:99999:7:::\n' > "$R/etc/shadow"; chmod 600 "$R/etc/shadow"
printf 'root:x:0:\n' > "$R/etc/group"
printf '/bin/sh\n/bin/ash\n' > "$R/etc/shells"
printf 'hosts: files dns\npasswd: files\ngroup: files\nshadow: files\n' > "$R/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$R/etc/hosts"
printf 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport HOME=/root\n' > "$R/etc/profile"
printf '#!/bin/sh\nexec poweroff -f\n' > "$R/etc/acpi/PWRF/00000080"; chmod 755 "$R/etc/acpi/PWRF/00000080"
chmod 700 "$R/root" "$R/root/.ssh"

# Kernel modules, in dependency order (modprobe --show-depends on the unpacked tree), listed in /etc/modules.order.
kroot="$P"
depmod -b "$kroot" "$kver"
: > "$R/etc/modules.order"
for m in virtio_pci virtio_mmio virtio_net virtio_blk virtio_console vmw_vsock_virtio_transport button evdev; do
    modprobe -d "$kroot" -S "$kver" --show-depends "$m" | while read -r kind path _; do
        [ "$kind" = insmod ] || continue
        rel=${path#"$kroot"}
        grep -qx "$rel" "$R/etc/modules.order" && continue
        mkdir -p "$R$(dirname "$rel")"
        cp "$path" "$R$rel"
        echo "$rel" >> "$R/etc/modules.order"
    done
done

(cd "$R" && find . | sort | cpio -o -H newc --quiet -R 0:0 | gzip -6) > "$work/initramfs.cpio.gz"

# --- 5. base system disk: small ext4 with a README, sparse, as qcow2 ---------------------------------------------
mkdir -p "$work/disk"
printf 'yun tiny image system disk. /init mounts it at /mnt/vda and counts boots in /mnt/vda/boot-count.\n' \
    > "$work/disk/README"
rm -f "$work/disk.raw"
mkfs.ext4 -q -F -L yun-root -d "$work/disk" "$work/disk.raw" 64M >/dev/null
qemu-img convert -q -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"

# --- 6. publish atomically-ish: files first, stamp last ----------------------------------------------------------
rm -f "$out/recipe.sha256"
mv "$work/vmlinux" "$out/vmlinux"
mv "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
mv "$work/disk.qcow2" "$out/disk.qcow2"
echo "$kver" > "$out/kernel-version"
rm -rf "$work"
echo "$stamp" > "$out/recipe.sha256"
echo "build-tiny: built $out (kernel $kver, initramfs $(du -k "$out/initramfs.cpio.gz" | cut -f1) KiB)"
