#!/usr/bin/env bash
# Settlement throughput on a SIMULATED cloud: INTERVALS (default 10,000,000) usage intervals of
# ACCOUNTS (10,000) x PER (10) postpaid disks, settled hour by hour with the daemon's own code.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/bench/billing_settle
DIR=$(mktemp -d /tmp/yun-bench-settle-XXXXXX)
trap 'rm -rf "$DIR"' EXIT
build/bench/billing_settle "$DIR" "${INTERVALS:-10000000}" "${ACCOUNTS:-10000}" "${PER:-10}"
