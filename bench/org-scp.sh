#!/usr/bin/env bash
# Policy evaluation cost of service control policies: the pre-signed cvm DescribeZones of
# bench/api-describe-zones.sh, signed by a member account's sub-user (full CAM rights), replayed
# with wrk while 0, 1 and 10 SCPs lie on the member's path (bench/org-scp.js attaches them), and
# once signed by the management account's root (bounded by nothing) for reference. One daemon
# (--no-host, rate limit lifted), one run; prints req/s and the ratios to the 0-SCP figure.
# Usage: bench/org-scp.sh        (DURATION=10s CONNS=1 YUN_BIN=build/yun)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${YUN_BIN:-build/yun}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-1}
command -v wrk >/dev/null || { echo "wrk not installed" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN not built (make)" >&2; exit 1; }

tmp=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
echo '{"rate_limit":{"per_second":10000000,"burst":10000000}}' >"$tmp/config.json"
"$BIN" up --no-host --data "$tmp/data" --listen "127.0.0.1:$port" --config "$tmp/config.json" >"$tmp/yund.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "daemon exited:" >&2; cat "$tmp/yund.log" >&2; exit 1; }
  sleep 0.05
done
node bench/org-scp.js "127.0.0.1:$port" "$tmp" setup
[ -x build/bench/scp_eval ] && build/bench/scp_eval # the evaluator alone, without HTTP or the store

# req/s of the pre-signed DescribeZones of the credentials in dir $1
measure() {
  eval "$(node bench/presign.js "$1")"
  check=$(curl -sS "http://$YUN_ENDPOINT/" -H "Content-Type: application/json" -H "X-TC-Action: $YUN_ACTION" \
    -H "X-TC-Version: $YUN_VERSION" -H "X-TC-Region: $YUN_REGION" -H "X-TC-Timestamp: $YUN_TS" \
    -H "Authorization: $YUN_AUTH" --data-binary "$YUN_BODY")
  case "$check" in *'"ZoneSet"'*) ;; *) echo "pre-signed request fails: $check" >&2; exit 1 ;; esac
  out=$(wrk -t 1 -c "$CONNS" -d "$DURATION" --latency -s bench/replay.lua "http://$YUN_ENDPOINT/")
  errs=$(awk '/^api_errors/ {print $2}' <<<"$out")
  [ "${errs:-0}" = 0 ] || { grep '^first_error' <<<"$out" >&2; exit 1; }
  printf '%s %s\n' "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")"
}

printf '%s, %s, %s cpus, %s connection(s), %s each\n' "$(git log -1 --format=%h 2>/dev/null || echo uncommitted)" \
  "$(uname -m)" "$(nproc)" "$CONNS" "$DURATION"
read -r mgmt mgmt50 < <(measure "$tmp/data")
read -r r0 p0 < <(measure "$tmp/member")
node bench/org-scp.js "127.0.0.1:$port" "$tmp" scps 1
read -r r1 p1 < <(measure "$tmp/member")
node bench/org-scp.js "127.0.0.1:$port" "$tmp" scps 10
read -r r10 p10 < <(measure "$tmp/member")
printf '%-40s %10s %8s %8s\n' caller req/s p50 ratio
printf '%-40s %10s %8s %8s\n' "management account root (no SCP)" "$mgmt" "$mgmt50" "-"
for row in "0:$r0:$p0" "1:$r1:$p1" "10:$r10:$p10"; do
  IFS=: read -r n r p <<<"$row"
  printf '%-40s %10s %8s %8s\n' "member sub-user, $n SCP(s) on the path" "$r" "$p" "$(awk -v a="$r" -v b="$r0" 'BEGIN{printf "%.2f", a/b}')"
done
