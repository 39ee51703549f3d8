#!/bin/bash
# host_image_smoke.sh - the tiny guest image end to end on a real bridge + tap (needs root, qemu, python3, ssh).
# Builds the image (no-op when up to date), serves a fake EC2 metadata tree at 169.254.169.254 on the bridge,
# boots the guest with a static IP, checks the console markers (key installed, user data ran), logs in over SSH
# with the metadata key, then measures boot-to-YUN-READY (median of 5 boots) and QEMU RSS.
# Everything it creates is named yuntest* and removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMG=${YUN_TEST_IMAGE_DIR:-$ROOT/build/images/tiny}
BR=yuntestbr0 TAP=yuntesttap0 NET=10.199.0 BOOTS=${YUN_SMOKE_BOOTS:-5}
W=$(mktemp -d /tmp/yuntest-smoke-XXXXXX)
QPID="" HTTPPID=""

cleanup() {
    [ -f "$W/qemu.pid" ] && kill "$(cat "$W/qemu.pid")" 2>/dev/null || true
    [ -n "$HTTPPID" ] && kill "$HTTPPID" 2>/dev/null || true
    ip link del "$TAP" 2>/dev/null || true
    ip link del "$BR" 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- console ---" >&2; cat "$W/serial.log" >&2 2>/dev/null || true; exit 1; }

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (bridge/tap)"; exit 0; }
for t in qemu-system-x86_64 qemu-img python3 ssh ssh-keygen ip; do
    command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 0; }
done

"$ROOT/images/build-tiny.sh" "$IMG"
IMG=$(cd "$IMG" && pwd)

# --- network: bridge with the gateway and the metadata address, one tap ---
ip link del "$TAP" 2>/dev/null || true; ip link del "$BR" 2>/dev/null || true
ip link add "$BR" type bridge
ip addr add "$NET.1/24" dev "$BR"
ip addr add 169.254.169.254/32 dev "$BR"
ip link set "$BR" up
ip tuntap add dev "$TAP" mode tap
ip link set "$TAP" master "$BR" up

# --- fake metadata service (EC2 layout) ---
ssh-keygen -q -t ed25519 -N '' -C yuntest -f "$W/key"
cat > "$W/md.py" <<'PY'
import http.server, sys
key = open(sys.argv[1]).read()
tree = {
    '/latest/meta-data/instance-id': 'ins-smoke001',
    '/latest/meta-data/hostname': 'yuntest-guest',
    '/latest/meta-data/public-keys/': '0=yuntest',
    '/latest/meta-data/public-keys/0/openssh-key': key,
    '/latest/user-data': '#!/bin/sh\necho "USERDATA-HELLO host=$(hostname)"\nexit 3\n',
}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = tree.get(self.path)
        if body is None:
            self.send_error(404); return
        data = body.encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, fmt, *args):
        sys.stderr.write('metadata: ' + (fmt % args) + '\n')
http.server.ThreadingHTTPServer(('169.254.169.254', 80), H).serve_forever()
PY
python3 "$W/md.py" "$W/key.pub" 2>"$W/md.log" &
HTTPPID=$!
for i in $(seq 50); do python3 -c "import socket;socket.create_connection(('169.254.169.254',80),1)" 2>/dev/null && break; sleep 0.1; done

boot() { # boot N: start the guest, wait for YUN-READY, print milliseconds
    rm -f "$W/serial.log" "$W/qmp.sock" "$W/qemu.pid" "$W/sys.qcow2"
    qemu-img create -q -f qcow2 -F qcow2 -b "$IMG/disk.qcow2" "$W/sys.qcow2"
    khz=$(awk -F: '/cpu MHz/ {printf "%d", $2 * 1000; exit}' /proc/cpuinfo)
    local t0; t0=$(date +%s%N)
    qemu-system-x86_64 -name ins-smoke001 -M q35 -accel tcg -cpu max -m 128 -smp 1 -nodefaults -no-user-config \
        -display none -kernel "$IMG/vmlinux" -initrd "$IMG/initramfs.cpio.gz" \
        -append "console=ttyS0 reboot=t panic=-1 quiet tsc_early_khz=$khz yun.ip=$NET.10/24 yun.gw=$NET.1" \
        -chardev "socket,id=ser0,path=$W/serial.sock,server=on,wait=off,logfile=$W/serial.log" -serial chardev:ser0 \
        -qmp "unix:$W/qmp.sock,server=on,wait=off" -pidfile "$W/qemu.pid" -daemonize \
        -blockdev "driver=qcow2,node-name=sys,file.driver=file,file.filename=$W/sys.qcow2" \
        -device virtio-blk-pci,drive=sys \
        -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off" \
        -device virtio-net-pci,netdev=n0,mac=52:54:00:99:00:10
    for i in $(seq 1500); do grep -q YUN-READY "$W/serial.log" 2>/dev/null && break; sleep 0.01; done
    grep -q YUN-READY "$W/serial.log" || fail "no YUN-READY within 15 s"
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
stop_guest() { # QEMU removes its pidfile on exit
    local p; p=$(cat "$W/qemu.pid"); kill "$p"
    for i in $(seq 100); do [ -f "$W/qemu.pid" ] || break; sleep 0.05; done
}

# --- boot 1: full checks ---
ms=$(boot)
times="$ms"
grep -q "YUN-NET-UP ip=$NET.10/24" "$W/serial.log" || fail "network marker"
grep -q "YUN-METADATA-OK instance-id=ins-smoke001" "$W/serial.log" || fail "metadata marker"
grep -q "USERDATA-HELLO host=yuntest-guest" "$W/serial.log" || fail "user data output (and hostname)"
grep -q "YUN-USERDATA-RAN rc=3" "$W/serial.log" || fail "user data exit code"
out=$(ssh -i "$W/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 \
          -o LogLevel=ERROR root@$NET.10 'echo hi; cat /root/.ssh/authorized_keys; yun-guest disks') \
    || fail "ssh login"
echo "$out" | head -1 | grep -qx hi || fail "ssh output: $out"
echo "$out" | grep -q "$(cut -d' ' -f2 "$W/key.pub")" || fail "authorized_keys lacks the metadata key"
echo "$out" | grep -q '^vda 67108864 /mnt/vda' || fail "yun-guest disks: $out"
pid=$(cat "$W/qemu.pid")
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "ok: markers, user data, ssh; first boot ${ms} ms, QEMU RSS $((rss / 1024)) MiB"
stop_guest

# --- more boots for the median ---
for n in $(seq 2 "$BOOTS"); do
    ms=$(boot); times="$times $ms"
    stop_guest
done
median=$(echo $times | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "boot to YUN-READY (ms): $times; median $median"
echo "PASS host_image_smoke"
