#!/bin/bash
# 4 KiB GET, the server CPU each request costs: yund's object listener against nginx serving the
# same files, the same wrk script and keep-alive connections, runs alternated REPS times. On a shared
# machine req/s moves with the other load; the CPU a request costs (user+system of all the server's
# threads from /proc/PID/stat over the run, divided by the requests wrk counted) holds still.
#   REPS=3 DUR=5 CONNS=16 bench/object-get-cpu.sh      (YUN_BIN=build/yun; PERF=1: perf record -g of
#   yund during one extra run, report in $PERF_OUT, default /tmp/yun-objget.perf.txt; PERF_ARGS, PERF_SECONDS,
#   PERF_KEEP=file keeps perf.data)
# YUN_BINS="old new" runs a yund of each binary and alternates them with nginx in every round.
# Prints one line per round and the median ratio per binary. Starts a host-role yund: run it inside a network
# namespace on a machine other people use (e.g. /work/wt/netns-run.sh bench/object-get-cpu.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${YUN_BIN:-build/yun}
DUR=${DUR:-5}
REPS=${REPS:-3}
CONNS=${CONNS:-16}
W=$(mktemp -d /tmp/yun-objget.XXXXXX)
chmod 755 "$W"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NGX=$(free_port)
cleanup() {
  [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null || true
  for p in "${YUN_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done || true
  rm -rf "$W"
}
trap cleanup EXIT
echo '{"object": {"rate_per_second": 0}}' > "$W/config.json"
# one yund per binary (YUN_BINS="a b" compares builds in the same runs), each with its own data
BINS=(${YUN_BINS:-$BIN})
YUN_PIDS=(); EPS=()
for i in "${!BINS[@]}"; do
  API=$(free_port); OBJ=$(free_port)
  taskset -c 0 "${BINS[$i]}" up --data "$W/data$i" --listen "127.0.0.1:$API" --object-listen "127.0.0.1:$OBJ" --config "$W/config.json" > "$W/yund$i.log" 2>&1 &
  YUN_PIDS+=($!); EPS+=("http://127.0.0.1:$OBJ")
  for _ in $(seq 200); do [ -s "$W/data$i/credentials.json" ] && curl -s "http://127.0.0.1:$OBJ/" >/dev/null && break; sleep 0.1; done
  export AK=$(jq -r .SecretId "$W/data$i/credentials.json") SK=$(jq -r .SecretKey "$W/data$i/credentials.json")
  /usr/bin/python3 bench/object-mkreqs.py "${EPS[$i]}" bench4k 1000 4096 "$W/r4k$i" "$W/www"
  taskset -a -pc 0 "${YUN_PIDS[$i]}" > /dev/null
done
YUN_PID=${YUN_PIDS[0]}
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
NGX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | xargs)"
ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
# one run: reqs-file url pids... -> "req/s requests µs-per-request non2xx"
run() {
  local reqf=$1 url=$2; shift 2
  local t0 t1 out reqs rps bad
  t0=$(ticks "$@")
  out=$(REQS="$reqf" MODE=get taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" -s bench/object-replay.lua "$url")
  t1=$(ticks "$@")
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  /usr/bin/python3 -c "print(f'{$rps:.0f} $reqs {($t1-$t0)/$(getconf CLK_TCK)*1e6/$reqs:.2f} ${bad:-0}')"
}
echo "# $(date -u +%FT%TZ) $(git log -1 --format=%h) bins=${BINS[*]} dur=${DUR}s c=$CONNS load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!BINS[@]}"; do run "$W/r4k$i.get" "${EPS[$i]}" "${YUN_PIDS[$i]}" > /dev/null; done # warm-up
declare -A RATIOS
for rep in $(seq "$REPS"); do
  line="run $rep (load $(cut -d' ' -f1 /proc/loadavg)):"
  set -- $(run "$W/r4k0.get" "http://127.0.0.1:$NGX" $NGX_PIDS); N_RPS=$1 N_US=$3
  for i in "${!BINS[@]}"; do
    set -- $(run "$W/r4k$i.get" "${EPS[$i]}" "${YUN_PIDS[$i]}"); Y_RPS=$1 Y_US=$3 Y_BAD=$4
    R=$(/usr/bin/python3 -c "print(f'{$N_US/$Y_US:.3f}')")
    RATIOS[$i]="${RATIOS[$i]:-} $R"
    line="$line yund[$i] $Y_RPS req/s ${Y_US} µs/GET (non2xx $Y_BAD, ratio $R) |"
  done
  echo "$line nginx $N_RPS req/s ${N_US} µs/GET"
done
for i in "${!BINS[@]}"; do
  echo "yund[$i] ${BINS[$i]}: median CPU ratio nginx/yund $(printf '%s\n' ${RATIOS[$i]} | sort -n | sed -n "$(((REPS + 1) / 2))p")"
done
if [ -n "${PERF:-}" ]; then
  perf record -q ${PERF_ARGS:--g} -o "$W/perf.data" -p "$YUN_PID" -- sleep "${PERF_SECONDS:-$DUR}" &
  PP=$!
  run "$W/r4k0.get" "${EPS[0]}" "$YUN_PID" > /dev/null
  wait $PP || true
  perf report -i "$W/perf.data" --no-children --percent-limit 0.4 --stdio -g none 2>/dev/null > "${PERF_OUT:-/tmp/yun-objget.perf.txt}" || true
  perf report -i "$W/perf.data" --children --percent-limit 1 --stdio -g none 2>/dev/null > "${PERF_OUT:-/tmp/yun-objget.perf.txt}.children" || true
  [ -z "${PERF_KEEP:-}" ] || cp "$W/perf.data" "$PERF_KEEP"
  echo "perf report: ${PERF_OUT:-/tmp/yun-objget.perf.txt}"
fi
