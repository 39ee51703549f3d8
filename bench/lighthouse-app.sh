#!/bin/bash
# bench/lighthouse-app.sh [NAME...]: time from lighthouse CreateInstances to the application answering,
# per blueprint (bench/lighthouse-app.js: a yund of its own, the official SDK, bundle_starter_01 = 1 vCPU
# 1 GiB), against booting the same images by hand with qemu-system-x86_64 (bench/images-boot.sh) in the
# same run; both print the QEMU CPU seconds until the answer (the load-independent figure) and the load.
# Boots guests with the host role: run it as root in a private network namespace (or a dedicated host).
# Default blueprints: wordpress postgresql. Env: YUN_BIN (default build/yun).
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- wordpress postgresql
echo "# commit $(git describe --always --dirty 2>/dev/null || echo unknown), $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# lighthouse (CreateInstances, yun's guest)"
node bench/lighthouse-app.js "$@"
echo "# by hand (qemu-system-x86_64, same images)"
cache=${YUN_IMAGE_CACHE:-/var/cache/yun/images}
dir=build/images
[ -f "$cache/built/$1/manifest.json" ] && dir=$cache/built
bench/images-boot.sh "$dir" "$@"
echo "# done, load $(cut -d' ' -f1-3 /proc/loadavg)"
