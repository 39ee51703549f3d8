#!/usr/bin/env bash
# Network and disk benchmark: runs bench/vpc-net.js against a fresh yund (normal build) and prints
# its JSON. Needs root (the host role) and no other yund with the host role on the machine.
#   MB=16 bench/vpc-net.sh          (YUN_BIN overrides build/yun)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# $(date -u +%FT%TZ) $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), commit $(git log -1 --format=%h)"
node bench/vpc-net.js
