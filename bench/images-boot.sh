#!/bin/bash
# bench/images-boot.sh [DIR] NAME...: boots each built blueprint image by hand with qemu-system-x86_64
# (the same machine yun uses: q35, TCG, direct kernel boot, virtio, 1 vCPU, 1 GiB, a qcow2 overlay) with
# user-mode networking forwarding the application port, and prints the seconds from launching QEMU to
# the application answering and the CPU seconds QEMU used until then (manifest.json ready_path: an HTTP path answering 200/30x, or tcp:PORT).
# DIR defaults to the shared image cache's built/ (docs/images.md), else build/images. No metadata service here: cloud-init finds no seed, which does not gate
# the application. Compare with the RunInstances figures of tests/sdk/images_*.test.js.
set -eu
dir=${YUN_IMAGE_CACHE:-/var/cache/yun/images}/built
[ -d "$dir" ] || dir=build/images
[ -d "${1:-}" ] && { dir=$1; shift; }
[ $# -gt 0 ] || set -- debian wordpress lamp postgresql gitserver
tmp=$(mktemp -d)
trap 'kill $(cat "$tmp"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT
khz=$(awk -F: '/cpu MHz/ {printf "%d", $2 * 1000; exit}' /proc/cpuinfo)
port=$((20000 + RANDOM % 20000))
for name in "$@"; do
    img=$dir/$name
    [ -f "$img/manifest.json" ] || { echo "$name: not built ($img)"; continue; }
    read -r app ready < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["app_port"], m["ready_path"])' "$img/manifest.json")
    qemu-img create -q -f qcow2 -b "$(cd "$img" && pwd)/disk.qcow2" -F qcow2 "$tmp/$name.qcow2" 20G
    t0=$(date +%s.%N)
    qemu-system-x86_64 -name "$name" -M q35 -accel tcg -cpu max -m 1024 -smp 1 -nodefaults -no-user-config \
        -display none -kernel "$img/vmlinux" -initrd "$img/initramfs.cpio.gz" \
        -append "console=ttyS0 reboot=t panic=-1 quiet tsc_early_khz=$khz yun.ip=10.0.2.15/24 yun.gw=10.0.2.2 yun.root=/dev/vda net.ifnames=0" \
        -serial "file:$tmp/$name.log" -pidfile "$tmp/$name.pid" -daemonize \
        -drive "file=$tmp/$name.qcow2,if=none,id=d0,format=qcow2" -device virtio-blk-pci,drive=d0 \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:$app" -device virtio-net-pci,netdev=n0
    ok=""
    for _ in $(seq 1 600); do
        case "$ready" in
        tcp:*) python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1); s.settimeout(1); s.recv(1)' "$port" 2>/dev/null && ok=1;;
        *) code=$(curl -s -o /dev/null -m 60 -w '%{http_code}' "http://127.0.0.1:$port$ready" || true)
           case "$code" in 200|30?) ok=1;; esac;;
        esac
        [ -n "$ok" ] && break
        sleep 0.5
    done
    t1=$(date +%s.%N)
    # CPU seconds QEMU used until then: on a shared machine the load-independent figure
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$(cat "$tmp/$name.pid")/stat")
    marker=$(grep -ao 'YUN-READY uptime=[0-9.]*' "$tmp/$name.log" | head -1 || true)
    if [ -n "$ok" ]; then
        printf '%-11s %6.1f s to %s answering, QEMU CPU %s s, load %s (%s)\n' "$name" "$(echo "$t1 - $t0" | bc)" \
            "$ready" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)" "${marker:-no marker}"
    else
        echo "$name: no answer on $ready after 300 s"; tail -20 "$tmp/$name.log"
    fi
    kill "$(cat "$tmp/$name.pid")" 2>/dev/null || true
    rm -f "$tmp/$name.pid"
    port=$((port + 1))
done
