#!/usr/bin/env bash
# Idle cost of yund: a fresh `yun up` (the built-in host, no instance) left alone SETTLE seconds, then the CPU time it
# takes over SECONDS seconds (from /proc/PID/stat), as a share of one core. Run it in a network namespace of its own
# (it binds 127.0.0.1:9700-9701 and applies the built-in host's network): /work/wt/netns-run.sh bench/yund-idle.sh
# Usage: bench/yund-idle.sh [YUN_BIN]   env: SETTLE=20 SECONDS_=30 INSTANCES=0 (launched first, then SETTLE; their QEMUs'
# CPU is not yund's)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${YUN_BIN:-build/yun}}
D=$(mktemp -d /tmp/yun-idle-XXXXXX)
# the guests' QEMUs outlive yund (they are daemons of their own): they go too, or they load the next measurement
trap 'kill "$P" 2>/dev/null; wait "$P" 2>/dev/null; pkill -9 -f -- "$D/instances" 2>/dev/null; rm -rf "$D"' EXIT
"$BIN" up --data "$D" --listen 127.0.0.1:9700 --object-listen 127.0.0.1:9701 >"$D/out.log" 2>&1 &
P=$!
for _ in $(seq 300); do grep -q "yund ready" "$D/out.log" && break; sleep 0.1; done
if [ "${INSTANCES:-0}" -gt 0 ]; then
  img=$("$BIN" cvm DescribeImages --data "$D" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ImageSet"][0]["ImageId"])')
  "$BIN" cvm RunInstances --data "$D" --Placement.Zone ap-local-1 --ImageId "$img" --InstanceType S5.SMALL1 \
    --InstanceCount "$INSTANCES" >/dev/null
fi
sleep "${SETTLE:-20}"
ticks() { awk '{print $14 + $15}' "/proc/$P/stat"; }
a=$(ticks)
sleep "${SECONDS_:-30}"
b=$(ticks)
hz=$(getconf CLK_TCK)
echo "yund idle with ${INSTANCES:-0} instances: $((b - a)) ticks of CPU in ${SECONDS_:-30} s = $(python3 -c "print(round(($b - $a) / $hz / ${SECONDS_:-30} * 100, 2))") % of a core ($BIN)"
