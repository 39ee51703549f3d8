#!/usr/bin/env bash
# DescribeBillDetail p50/p99 over an account with ROWS (default 1,000,000) SIMULATED bill rows
# (bench/billing_rows writes them), first page and a deep page, through the official SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
make -s build/bench/billing_rows all
DIR=$(mktemp -d /tmp/yun-bench-bill-XXXXXX)
PORT=${PORT:-9760}
build/yun up --data "$DIR" --listen 127.0.0.1:$PORT > "$DIR.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR" "$DIR.log"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.1; done
ACCT=$(build/yun admin create-account --data "$DIR" --name bench)
UIN=$(echo "$ACCT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Uin"])')
SID=$(echo "$ACCT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["SecretId"])')
SKEY=$(echo "$ACCT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["SecretKey"])')
/usr/bin/time -f "generated in %e s, peak RSS %M KiB" build/bench/billing_rows "$DIR" "$UIN" "$ROWS"
node bench/billing-detail.js 127.0.0.1:$PORT "$SID" "$SKEY" "${ROUNDS:-100}"
echo "yund RSS after: $(ps -o rss= -p $PID) KiB"
