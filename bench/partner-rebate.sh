#!/usr/bin/env bash
# The month-end rebate of 1 partner with CUSTOMERS (default 100,000) bound customers and
# ROWS (default 100 each: 10,000,000) simulated bill rows, with the daemon's own partner_month_end().
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/bench/partner_rebate
DIR=$(mktemp -d /tmp/yun-bench-rebate-XXXXXX)
trap 'rm -rf "$DIR"' EXIT
/usr/bin/time -v build/bench/partner_rebate "$DIR" "${CUSTOMERS:-100000}" "${ROWS:-100}" 2> "$DIR/time" || { cat "$DIR/time"; exit 1; }
grep -E "Elapsed|Maximum resident" "$DIR/time"
