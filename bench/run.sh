#!/usr/bin/env bash
# `make bench`: runs the benchmarks one after another (each starts its own yund with the host role,
# so they never overlap). Figures go to BENCHMARKS.md by hand, with the command, commit and machine.
#   bench/run.sh [api|store|cvm|vpc|object|settle|bills|sched ...]   (default: all; env as each script documents)
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A scripts=([api]=bench/api-describe-zones.sh [store]=bench/api-store.sh [cvm]=bench/cvm-boot.sh [vpc]=bench/vpc-net.sh [object]=bench/object-run.sh [settle]=bench/billing-settle.sh [bills]=bench/billing-detail.sh [sched]=build/bench/scheduler_sim)
which=("$@")
[ ${#which[@]} -gt 0 ] || which=(api store cvm vpc object settle bills sched)
echo "# $(date -u +%FT%TZ) commit $(git log -1 --format=%h) on $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for b in "${which[@]}"; do
  s=${scripts[$b]:-}
  [ -n "$s" ] || { echo "bench: unknown benchmark '$b' (api, store, cvm, vpc, object, settle, bills, sched)" >&2; exit 2; }
  echo "== $b: $s"
  "$s"
done
