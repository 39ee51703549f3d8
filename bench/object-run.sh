#!/bin/bash
# Object store benchmark: pre-signed requests replayed by wrk against yund's object listener and,
# as the ceiling, against nginx serving the same bytes from its own temp config (never the system
# one). Server pinned to CPU 0, wrk to CPU 1. Writes a Markdown table to bench/object-results.md.
#   DUR=10 bench/object-run.sh          (YUN_BIN overrides build/yun; LIST_KEYS=1000000; YUN_CONFIG_JSON)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${YUN_BIN:-build/yun}
DUR=${DUR:-10}
LIST_KEYS=${LIST_KEYS:-1000000}
OUT=${OUT:-bench/object-results.md}
W=$(mktemp -d /tmp/yun-objbench.XXXXXX)
chmod 755 "$W" # nginx workers run as nobody
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
API=$(free_port); OBJ=$(free_port); NGX=$(free_port)
cleanup() {
  [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null || true
  [ -n "${YUN_PID:-}" ] && kill "$YUN_PID" 2>/dev/null && wait "$YUN_PID" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

# the object gateway's rate limit off: the benchmark measures the pipeline, not the limiter's refusals
# (YUN_CONFIG_JSON replaces the config, e.g. '{}' for a build from before the limiter)
NO_LIMIT='{"object": {"rate_per_second": 0}}'
echo "${YUN_CONFIG_JSON:-$NO_LIMIT}" > "$W/config.json"
# pinned from the start, as nginx is: yund sizes its worker pool from the cores it may use
taskset -c 0 "$BIN" up --data "$W/data" --listen "127.0.0.1:$API" --object-listen "127.0.0.1:$OBJ" --config "$W/config.json" > "$W/yund.log" 2>&1 &
YUN_PID=$!
for _ in $(seq 100); do [ -s "$W/data/credentials.json" ] && curl -s "http://127.0.0.1:$OBJ/" >/dev/null && break; sleep 0.1; done
export AK=$(jq -r .SecretId "$W/data/credentials.json") SK=$(jq -r .SecretKey "$W/data/credentials.json")
EP="http://127.0.0.1:$OBJ"
echo "== preparing objects"
/usr/bin/python3 bench/object-mkreqs.py "$EP" bench4k 1000 4096 "$W/r4k" "$W/www"
/usr/bin/python3 bench/object-mkreqs.py "$EP" bench1m 64 1048576 "$W/r1m" "$W/www"
taskset -a -pc 0 "$YUN_PID" > /dev/null

mkdir -p "$W/nginx"
cat > "$W/nginx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $W/nginx/body; proxy_temp_path $W/nginx/proxy; fastcgi_temp_path $W/nginx/fcgi;
  uwsgi_temp_path $W/nginx/uwsgi; scgi_temp_path $W/nginx/scgi;
  server { listen 127.0.0.1:$NGX; root $W/www; }
}
NGX
taskset -c 0 nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" &
NGINX_PID=$!
sleep 0.5

# wrk run -> "req/s p50 p99 non2xx transfer"
run_wrk() { # url reqs mode size conns
  local out
  out=$(REQS=$2 MODE=$3 SIZE=$4 taskset -c 1 wrk -t1 -c"$5" -d"${DUR}s" --latency -s bench/object-replay.lua "$1")
  echo "$out" >> "$W/wrk.log"
  local rps p50 p99 bad
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  echo "$rps ${p50:-?} ${p99:-?} ${bad:-0}"
}
row() { # name size result
  set -- "$1" "$2" $3
  local mbs
  mbs=$(/usr/bin/python3 -c "print(f'{$3*$2/1e6:.0f}')")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$(/usr/bin/python3 -c "print(f'{$3:,.0f}')")" "$mbs" "$4" "$5" "$6"
}

# CPU seconds (user+system, all threads) a set of pids has used, in clock ticks
ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14+$15+$16+$17}' /proc/$p/stat))); done; echo $t; }
# µs of server CPU per request over a run: ticks before, ticks after, requests/s
us_per_req() { /usr/bin/python3 -c "print(f'{($2-$1)/$(getconf CLK_TCK)*1e6/($3*$DUR):.1f}')"; }
NGX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | xargs)"

echo "== runs ($DUR s each)"
T0=$(ticks "$YUN_PID")
R_G4=$(run_wrk "$EP" "$W/r4k.get" get 0 16)
T1=$(ticks "$YUN_PID")
CPU_G4=$(us_per_req "$T0" "$T1" "${R_G4%% *}")
T0=$(ticks $NGX_PIDS)
R_N4=$(run_wrk "http://127.0.0.1:$NGX" "$W/r4k.get" get 0 16)
T1=$(ticks $NGX_PIDS)
CPU_N4=$(us_per_req "$T0" "$T1" "${R_N4%% *}")
R_G1=$(run_wrk "$EP" "$W/r1m.get" get 0 8)
R_N1=$(run_wrk "http://127.0.0.1:$NGX" "$W/r1m.get" get 0 8)
R_P4=$(run_wrk "$EP" "$W/r4k.put" put 4096 16)
R_P1=$(run_wrk "$EP" "$W/r1m.put" put 1048576 8)

echo "== listing: $LIST_KEYS keys loaded straight into the metadata table"
/usr/bin/python3 - "$EP" <<PY
import os, boto3, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=os.environ["AK"],
                  aws_secret_access_key=os.environ["SK"], config=Config(s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="listbench")
PY
UIN=$(jq -r .Uin "$W/data/credentials.json")
T0=$(date +%s.%N)
sqlite3 "$W/data/yun.db" <<SQL
PRAGMA busy_timeout=10000;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $LIST_KEYS - 1)
INSERT INTO obj_objects (bucket, key, size, etag, mtime, content_type, file, owner_uin)
SELECT 'listbench', printf('k%07d', i), 1, 'c4ca4238a0b923820dcc509a6f75849b', 1763800000000, 'binary/octet-stream', 'none', '$UIN' FROM c;
UPDATE obj_buckets SET objects = $LIST_KEYS, bytes = $LIST_KEYS WHERE name = 'listbench';
COMMIT;
SQL
LOAD_S=$(/usr/bin/python3 -c "import time; print(f'{time.time()-$T0:.1f}')")
/usr/bin/python3 bench/object-mkreqs.py "$EP" listbench list "$LIST_KEYS" "$W/list"
R_L=$(run_wrk "$EP" "$W/list.list" get 0 4)
WALK=$(taskset -c 1 node bench/object-list-walk.js "$EP" listbench)
RSS=$(awk '/VmHWM/ {print $2}' /proc/$YUN_PID/status)

{
  echo "# Object store benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -r)."
  echo "yund (object listener) and nginx pinned to CPU 0, wrk (1 thread) on CPU 1; $DUR s per run, one run each."
  echo "Every yund request is a pre-signed SigV4 URL verified in full (key lookup, HMAC chain, CAM/ownership)."
  echo "PUTs are durable before the 200: temp file + fsync + dir fsync + SQLite commit (WAL, synchronous=FULL)."
  echo
  echo "| run | req/s | MB/s | p50 | p99 | non-2xx |"
  echo "|---|---|---|---|---|---|"
  row "yund 4 KiB GET (c=16)" 4096 "$R_G4"
  row "nginx 4 KiB GET (c=16, ceiling)" 4096 "$R_N4"
  row "yund 1 MiB GET (c=8)" 1048576 "$R_G1"
  row "nginx 1 MiB GET (c=8, ceiling)" 1048576 "$R_N1"
  row "yund 4 KiB PUT, fsync (c=16)" 4096 "$R_P4"
  row "yund 1 MiB PUT, fsync (c=8)" 1048576 "$R_P1"
  echo
  echo "Server CPU per 4 KiB GET (user+system of all its threads over the run / requests): yund $CPU_G4 µs, nginx $CPU_N4 µs."
  set -- $R_L
  echo
  echo "Listing $LIST_KEYS keys (loaded into obj_objects in ${LOAD_S} s), ListObjectsV2 pages of 1000:"
  echo "- wrk replaying the 1000 pre-signed pages (start-after pagination, c=4): $(/usr/bin/python3 -c "print(f'{$1:,.0f}')") pages/s = $(/usr/bin/python3 -c "print(f'{$1*1000:,.0f}')") keys/s, p50 $2, p99 $3, non-2xx ${4}"
  echo "- one client walking continuation tokens, one page at a time: $WALK"
  echo
  echo "Daemon peak RSS over the whole run: $((RSS / 1024)) MiB."
} | tee "$OUT"
