#!/usr/bin/env bash
# Marketplace benchmark: a solution of N instances (default 10: one VPC, one subnet, one security
# group, a role of N) deployed from its template until DEPLOYED (every member RUNNING) and until
# every guest printed YUN-READY, then deleted until nothing is left. Prints one JSON object.
# Needs root (run it inside /work/wt/netns-run.sh on a shared machine), the tiny image and build/yun.
# Usage: bench/market-deploy.sh     env: N=10, RUNS=1, YUN_BIN
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "market-deploy: needs root (network namespaces, taps)" >&2; exit 1; }
[ -x "${YUN_BIN:-build/yun}" ] || { echo "market-deploy: build/yun not built (make)" >&2; exit 1; }
[ -f build/images/tiny/vmlinux ] || { echo "market-deploy: build/images/tiny missing (make images)" >&2; exit 1; }
exec node bench/market-deploy.js
