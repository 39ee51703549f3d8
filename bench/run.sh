#!/usr/bin/env bash
# Runs the benchmarks and prints their figures (BENCHMARKS.md records them with commit and machine).
#   bench/run.sh [NAME ...]   (default: all; NAME is a key of the table below; env as each script documents)
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A scripts=(
  [api]=bench/api-describe-zones.sh [store]=bench/api-store.sh [cvm]=bench/cvm-boot.sh [vpc]=bench/vpc-net.sh
  [object]=bench/object-run.sh [settle]=bench/billing-settle.sh [bills]=bench/billing-detail.sh
  [scp]=bench/org-scp.sh [rebate]=bench/partner-rebate.sh [sched]=build/bench/scheduler_sim
)
order=(api store cvm vpc object settle bills scp rebate sched)
which=("$@")
[ ${#which[@]} -gt 0 ] || which=("${order[@]}")
echo "# $(date -u +%FT%TZ) commit $(git log -1 --format=%h) on $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for b in "${which[@]}"; do
  s=${scripts[$b]:-}
  [ -n "$s" ] || { echo "bench: unknown benchmark '$b' (${order[*]})" >&2; exit 2; }
  "$s"
done
