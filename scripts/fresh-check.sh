#!/usr/bin/env bash
# fresh-check: proves the README's first commands work the first time on a clean Debian 12 root.
# debootstraps bookworm (minbase, from the mirror this machine's apt uses) into a temp dir, copies the
# repository's tracked and new files (no build/, data/ or node_modules) into it, and inside the chroot runs
# `make run` exactly as the README says (default relative ./data), waits for the first start, launches one
# instance when /dev/kvm and /dev/net/tun are usable, stops it, then runs the unit tests (`make unit`).
# The debootstrap tarball, the downloaded .debs and the npm cache stay in build/fresh/ so reruns are quick.
# yun up takes the host role, so it runs under the host lock (/tmp/yun-host.lock, bind-mounted in).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || exec sudo "$0" "$@"
cache=$repo/build/fresh
mkdir -p "$cache/debs" "$cache/npm"
t0=$(date +%s)
step() { printf 'fresh-check [%4ds] %s\n' $(($(date +%s) - t0)) "$*"; }

command -v debootstrap >/dev/null || {
    step "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends debootstrap
}

# The Debian mirror apt uses here (deb822 or one-line sources), else Debian's own.
mirror=$(sed -n 's/^URIs:[[:space:]]*\(\S*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

tarball=$cache/bookworm-minbase.tgz
if [ ! -f "$tarball" ]; then
    step "debootstrap --make-tarball from $mirror"
    tmp=$(mktemp -d /var/tmp/yun-fresh-tar.XXXXXX)
    debootstrap --variant=minbase --make-tarball="$tarball.part" bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -20 "$cache/debootstrap.log"; rm -rf "$tmp"; exit 1; }
    rm -rf "$tmp"
    mv "$tarball.part" "$tarball"
fi

root=$(mktemp -d /var/tmp/yun-fresh.XXXXXX)
make_pid=""
cleanup() {
    set +e
    [ -n "$make_pid" ] && kill -TERM "$make_pid" 2>/dev/null && wait "$make_pid" 2>/dev/null
    # every mount below the root, deepest first (proc, dev, sys, the netns files yund made, the caches)
    awk -v r="$root" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m"; done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT

step "debootstrap bookworm into $root"
debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$root" "$mirror" >"$cache/unpack.log" 2>&1 ||
    { tail -20 "$cache/unpack.log"; exit 1; }
# Same suites as this machine (updates and security), no services started by package installs (nginx-light).
# This machine's network set-up, not yun's: its resolver, and any local CA its egress proxy needs (picked up by
# update-ca-certificates when the packages install ca-certificates) with npm's cafile setting.
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
[ -f /etc/npmrc ] && cp /etc/npmrc "$root/etc/npmrc"
if ls /etc/apt/sources.list.d/debian.sources >/dev/null 2>&1; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" && : >"$root/etc/apt/sources.list"
fi
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
rm -f "$root/etc/apt/apt.conf.d/docker-clean"
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$root/etc/apt/apt.conf.d/90keep"

# The repository copy: what git tracks plus new files, as a fresh clone would have it.
mkdir -p "$root/yun" "$cache/repo"
rm -rf "$cache/repo" && mkdir -p "$cache/repo"
(cd "$repo" && git ls-files -co --exclude-standard -z | grep -zv '^node_modules$' | xargs -0 tar -cf - --no-recursion) |
    tar -xf - -C "$cache/repo"
# The root must be a mount point: `ip netns exec` (the host role's networking) remounts / as a slave.
mount --bind "$root" "$root"
mount --bind "$cache/repo" "$root/yun"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mkdir -p "$root/run" "$root/var/cache/apt/archives" "$root/root/.npm"
mount -t tmpfs tmpfs "$root/run"
mount --bind "$cache/debs" "$root/var/cache/apt/archives"
mount --bind "$cache/npm" "$root/root/.npm"
touch /tmp/yun-host.lock "$root/tmp/yun-host.lock"
mount --bind /tmp/yun-host.lock "$root/tmp/yun-host.lock"

in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb "$@"; }

# 0. The one prerequisite the README names: make itself (a minimal Debian has no make).
step "chroot: apt-get install make"
in_root sh -c 'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make' \
    >"$cache/prereq.log" 2>&1 || { tail -20 "$cache/prereq.log"; exit 1; }

# 1. `make run`, the README's first command, the first time. Its yun up waits for the host lock.
step "chroot: make run (installs packages, builds, builds the guest image, starts yun up with ./data)"
in_root sh -c 'cd /yun && exec make run YUN_UP_WRAP="flock /tmp/yun-host.lock"' >"$cache/make-run.log" 2>&1 &
make_pid=$!
up=""
for _ in $(seq 1 3600); do
    if grep -q "^yun is running" "$cache/make-run.log"; then up=1; break; fi
    kill -0 "$make_pid" 2>/dev/null || break
    sleep 1
done
if [ -z "$up" ]; then
    step "FAIL: make run did not start yun"; tail -40 "$cache/make-run.log"; exit 1
fi
grep -q "undefined reference" "$cache/make-run.log" && { step "FAIL: link errors"; exit 1; }
step "make run: $(grep -m1 '^yun is running' "$cache/make-run.log")"
in_root sh -c 'cd /yun && test -d data && test "$(stat -c %a data)" = 700' || { step "FAIL: ./data missing or not 0700"; exit 1; }
in_root sh -c 'cd /yun && build/yun cvm DescribeZones --data ./data' >/dev/null || { step "FAIL: DescribeZones"; exit 1; }
step "DescribeZones with --data ./data: ok"

launched=skipped
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -c /dev/net/tun ]; then
    step "launching one instance (default VPC, default ./data)"
    # shellcheck disable=SC2016
    launched=$(in_root sh -c 'cd /yun
        img=$(build/yun cvm DescribeImages --data ./data | sed -n "s/.*\"ImageId\": *\"\(img-[a-z0-9]*\)\".*/\1/p" | head -1)
        id=$(build/yun cvm RunInstances --data ./data --Placement.Zone ap-local-1 --ImageId "$img" \
             --InstanceType S5.SMALL1 | sed -n "s/.*\"\(ins-[a-z0-9]*\)\".*/\1/p" | head -1)
        [ -n "$id" ] || { echo "no instance id"; exit 0; }
        for i in $(seq 1 120); do
            st=$(build/yun cvm DescribeInstances --data ./data --InstanceIds "[\"$id\"]" |
                 sed -n "s/.*\"InstanceState\": *\"\([A-Z_]*\)\".*/\1/p" | head -1)
            case $st in RUNNING|LAUNCH_FAILED) break ;; esac
            sleep 0.5
        done
        msg=$(build/yun cvm DescribeInstances --data ./data --InstanceIds "[\"$id\"]" |
              sed -n "s/.*\"LatestOperationErrorMsg\": *\"\([^\"]*\)\".*/\1/p" | head -1)
        build/yun cvm TerminateInstances --data ./data --InstanceIds "[\"$id\"]" >/dev/null
        echo "$id $st $msg"')
    step "instance: $launched"
fi

step "stopping yun (SIGTERM)"
# yun up runs under make and flock inside the chroot: signal it by pid, found by its root directory.
for p in $(pgrep -x yun || true); do
    [ "$(readlink "/proc/$p/root")" = "$root" ] && kill -TERM "$p"
done
wait "$make_pid" || true
make_pid=""

# 2. The unit tests, in the same root.
step "chroot: make unit"
if in_root sh -c 'cd /yun && make unit' >"$cache/make-unit.log" 2>&1; then
    step "make unit: $(grep -c '^== ' "$cache/make-unit.log") test programs passed"
else
    step "FAIL: make unit"; tail -30 "$cache/make-unit.log"; exit 1
fi

case $launched in
    *" RUNNING "*|*" RUNNING") result=ok ;;
    skipped) result="ok (no instance: /dev/kvm or /dev/net/tun unusable)" ;;
    *) step "FAIL: instance did not reach RUNNING: $launched"; exit 1 ;;
esac
step "PASS: $result; logs in build/fresh/*.log"
