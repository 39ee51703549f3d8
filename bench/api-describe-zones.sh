#!/usr/bin/env bash
# API benchmark: one pre-signed cvm DescribeZones request (full path: TC3
# verification, key lookup, authorisation, handler, envelope) replayed with wrk
# at 1, 16 and 64 connections against a fresh daemon with the rate limit lifted.
# Usage: bench/api-describe-zones.sh            (DURATION=10s CONNS="1 16 64" YUN_BIN=build/yun
#        STORE=postgresql://... : the daemon's store, `yun up --store`; default SQLite)
# Not meant for the sanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${YUN_BIN:-build/yun}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-"1 16 64"}
command -v wrk >/dev/null || { echo "wrk not installed" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN not built (make)" >&2; exit 1; }

tmp=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat >"$tmp/config.json" <<JSON
{"rate_limit":{"per_second":10000000,"burst":10000000}}
JSON
store_args=()
[ -n "${STORE:-}" ] && store_args=(--store "$STORE")
"$BIN" up --data "$tmp/data" --listen "127.0.0.1:$port" --config "$tmp/config.json" "${store_args[@]}" >"$tmp/yund.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "daemon exited:" >&2; cat "$tmp/yund.log" >&2; exit 1; }
  sleep 0.05
done

eval "$(node bench/presign.js "$tmp/data")"
# sanity check: the pre-signed request succeeds once
check=$(curl -sS "http://$YUN_ENDPOINT/" -H "Content-Type: application/json" -H "X-TC-Action: $YUN_ACTION" \
  -H "X-TC-Version: $YUN_VERSION" -H "X-TC-Region: $YUN_REGION" -H "X-TC-Timestamp: $YUN_TS" \
  -H "Authorization: $YUN_AUTH" --data-binary "$YUN_BODY")
case "$check" in *'"ZoneSet"'*) ;; *) echo "pre-signed request fails: $check" >&2; exit 1 ;; esac

nproc=$(nproc)
printf '%s, %s, %s\n' "$(git log -1 --format=%h 2>/dev/null || echo uncommitted)" "$(uname -m)" "$nproc cpus"
printf '%-6s %12s %10s %10s %8s\n' conns req/s p50 p99 errors
for c in $CONNS; do
  t=$(( c < nproc ? c : nproc )); t=$(( t < 4 ? t : 4 ))
  out=$(wrk -t "$t" -c "$c" -d "$DURATION" --latency -s bench/replay.lua "http://$YUN_ENDPOINT/")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/^api_errors/ {print $2}' <<<"$out")
  sockerr=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' || true)
  printf '%-6s %12s %10s %10s %8s %s\n' "$c" "$rps" "$p50" "$p99" "$errs" "$sockerr"
  if [ "${errs:-0}" != 0 ]; then grep '^first_error' <<<"$out" >&2 || true; fi
done
