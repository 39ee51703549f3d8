#!/usr/bin/env bash
# The control plane with a region of SIMULATED hosts (`yun host simulate`, src/host/simulate.c): `yun up` (SQLite)
# and the simulator are separate processes, so each one's CPU is its own. In its own network + mount namespace
# (tests/lib/hosts.sh). Measures, in order:
#   baseline   WINDOW/2 s of the control plane with no hosts (its own loops)
#   joins      N tokens (token --count N) and N joins, timed
#   idle       WINDOW s of steady heartbeats with no instances: the control plane's CPU (utime+stime of
#              /proc/PID/stat) per heartbeat (the simulator's count over the window, SIGUSR1), its RSS and threads,
#              the simulator's own CPU per heartbeat, the heartbeats' answer time as the simulator saw it
#   launch     INSTANCES instances, RunInstances of InstanceCount 100 (zones in turn), each call timed (the CLI's
#              wall time: its start and signing included); then the time until DescribeInstances shows all RUNNING
#   placement  instances per host (min/max) and per zone, from `yun admin hosts`
#   loaded     WINDOW s of steady heartbeats with the instances: as idle
#   reads      DescribeInstances (Limit 100) page time, `yun admin hosts` time
# UNDERLAY=1: the hosts connect from addresses of their own (10.88.1.1 + i, on lo), which the control plane takes as
# their underlay, so every host's plan lists the other hosts of its VPCs (with 127.0.0.1 it lists none).
# PERF=1 records the control plane (perf record -g) during the loaded window into $OUT/perf.data and prints
# its top symbols. Needs root.
#   bench/host-sim.sh            env: HOSTS=200 INSTANCES=2000 WINDOW=60 UNDERLAY=0 PERF=0 OUT=/tmp/host-sim YUN_BIN
#                                YUN_SIM_BIN (the simulator's binary, when YUN_BIN is an older control plane)
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=host-sim-bench
HOSTS=${HOSTS:-200} INSTANCES=${INSTANCES:-2000} WINDOW=${WINDOW:-60} PERF=${PERF:-0} OUT=${OUT:-/tmp/host-sim}
export HOSTS INSTANCES WINDOW PERF OUT
source tests/lib/hosts.sh
mkdir -p "$OUT"

ms() { date +%s%N | cut -c1-13; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
threads() { awk '/Threads/ { print $2 }' "/proc/$1/status"; }
sim_beats() { # the simulator's heartbeat count and CPU seconds, asked now
  local n
  n=$(grep -c '"Simulator"' "$WORK/sim.log" || true)
  kill -USR1 "$SIM"
  for _ in $(seq 50); do [ "$(grep -c '"Simulator"' "$WORK/sim.log" || true)" -gt "$n" ] && break; sleep 0.1; done
  grep '"Simulator"' "$WORK/sim.log" | tail -1 | python3 -c 'import json,sys; s=json.load(sys.stdin)["Simulator"]
print(s["Heartbeats"], s["CpuSeconds"], s["AnswerAvgMs"], s["AnswerMaxMs"], s["Up"])'
}
HZ=$(getconf CLK_TCK)
window() { # window LABEL: steady heartbeats for WINDOW s
  local label=$1 t0 t1 c0 c1 b0 b1 s0 s1 a1 m1 up
  read -r b0 s0 _ _ _ < <(sim_beats)
  c0=$(cpu_ticks "$CPPID") t0=$(ms)
  if [ "$PERF" = 1 ] && [ "$label" = loaded ]; then
    perf record -g -o "$OUT/perf.data" -p "$CPPID" -- sleep "$WINDOW" >/dev/null 2>&1
  else
    sleep "$WINDOW"
  fi
  c1=$(cpu_ticks "$CPPID") t1=$(ms)
  read -r b1 s1 a1 m1 up < <(sim_beats)
  python3 - "$label" "$c0" "$c1" "$HZ" "$b0" "$b1" "$s0" "$s1" "$t0" "$t1" "$(rss_mib "$CPPID")" "$(threads "$CPPID")" \
    "$a1" "$m1" "$up" "$(cat /proc/loadavg | cut -d' ' -f1-3)" <<'EOF'
import sys
label, c0, c1, hz, b0, b1, s0, s1, t0, t1, rss, thr, avg, mx, up, load = sys.argv[1:]
beats = int(b1) - int(b0); secs = (int(t1) - int(t0)) / 1000
cp = (int(c1) - int(c0)) / int(hz); sim = float(s1) - float(s0)
print(f"{label}: {beats} heartbeats in {secs:.0f} s ({beats / secs:.0f}/s, hosts up {up}); control plane "
      f"{cp:.2f} CPU s = {cp / max(beats, 1) * 1e6:.0f} us per heartbeat ({cp / secs * 100:.0f}% of a core), "
      f"RSS {rss} MiB, {thr} threads; simulator {sim:.2f} CPU s = {sim / max(beats, 1) * 1e6:.0f} us per heartbeat; "
      f"answers avg {avg} ms (since start) max {mx} ms; load {load}")
EOF
}

CONTROL=127.0.0.1:9510 SIMARGS=()
if [ "${UNDERLAY:-0}" = 1 ]; then # the hosts connect from 10.88.1.1, .2, ...: usable underlays, plans with remotes
  ip addr add 10.88.0.1/16 dev lo
  CONTROL=10.88.0.1:9510 SIMARGS=(--bind-from 10.88.1.1)
fi
echo "{\"host_listen\": \"$CONTROL\", \"compute\": {\"instance_quota\": 100000}}" >"$WORK/config.json"
control_start yund --data "$CP" --listen 127.0.0.1:9600 --config "$WORK/config.json"
CPPID=${PROCS[-1]}
"$YUN" admin hosts --data "$CP" sellable host-local --dedicated >/dev/null # the built-in host boots nothing here
echo "bench/host-sim.sh HOSTS=$HOSTS INSTANCES=$INSTANCES WINDOW=$WINDOW UNDERLAY=${UNDERLAY:-0} at $(git describe --always --dirty)," \
  "$(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the control plane alone (its own loops: the dispatcher, billing, the monitor), for reference ----
c0=$(cpu_ticks "$CPPID")
sleep $((WINDOW / 2))
c1=$(cpu_ticks "$CPPID")
echo "baseline: no hosts, control plane $(python3 -c "print('%.1f' % (($c1 - $c0) / $HZ / ($WINDOW / 2) * 100))")% of a core," \
  "RSS $(rss_mib "$CPPID") MiB, $(threads "$CPPID") threads"

# ---- joins ----
t0=$(ms)
"$YUN" admin hosts --data "$CP" token --count "$HOSTS" >"$WORK/tokens" 2>/dev/null
t1=$(ms)
"${YUN_SIM_BIN:-$YUN}" host simulate --control "$CONTROL" --tokens "$WORK/tokens" --count "$HOSTS" --data "$WORK/sim" \
  --zones ap-local-1,ap-local-2 --boot-ms 1000 "${SIMARGS[@]}" >"$WORK/sim.log" 2>&1 &
SIM=$!
PROCS=("$SIM" "${PROCS[@]}")
for _ in $(seq 3000); do grep -q '"State": "UP"' "$WORK/sim.log" && break; sleep 0.1; done
grep -q '"State": "UP"' "$WORK/sim.log" || fail "the simulated hosts are not all UP"
t2=$(ms)
echo "joins: token --count $HOSTS $((t1 - t0)) ms; $HOSTS joins and hellos until all UP $((t2 - t1)) ms" \
  "($(grep -o 'joined now in [0-9.]* s' "$WORK/sim.log"))"
sleep 5
window idle

# ---- launch ----
IMG=$(api cvm DescribeImages | field ImageSet.0.ImageId)
# a VPC of its own with a /18 per zone (a default subnet, /20, holds 4,093 instances)
VPC=$(api vpc CreateVpc --VpcName bench --CidrBlock 10.0.0.0/16 | field Vpc.VpcId)
SUBNETS=()
for z in 1 2; do
  SUBNETS+=("$(api vpc CreateSubnet --VpcId "$VPC" --SubnetName "bench-$z" --CidrBlock "10.0.$(((z - 1) * 64)).0/18" \
    --Zone "ap-local-$z" | field Subnet.SubnetId)")
done
lat=()
zones=(ap-local-1 ap-local-2)
launched=0 i=0
tl0=$(ms)
while [ "$launched" -lt "$INSTANCES" ]; do
  n=$((INSTANCES - launched > 100 ? 100 : INSTANCES - launched))
  a=$(ms)
  api cvm RunInstances --Placement.Zone "${zones[$((i % 2))]}" --ImageId "$IMG" --InstanceType S5.SMALL1 \
    --VirtualPrivateCloud.VpcId "$VPC" --VirtualPrivateCloud.SubnetId "${SUBNETS[$((i % 2))]}" \
    --InstanceCount "$n" >"$WORK/run.json" || fail "RunInstances: $(cat "$WORK/run.json")"
  b=$(ms)
  lat+=($((b - a)))
  launched=$((launched + n)) i=$((i + 1))
done
tl1=$(ms)
running() { # instances RUNNING, and the time of each page
  local off=0 total=0 page
  : >"$WORK/pages"
  while :; do
    a=$(ms)
    page=$(api cvm DescribeInstances --Limit 100 --Offset "$off" --Filters '[{"Name":"instance-state","Values":["RUNNING"]}]' |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["InstanceSet"]), d["TotalCount"])')
    b=$(ms)
    echo $((b - a)) >>"$WORK/pages"
    set -- $page
    total=$2
    off=$((off + 100))
    [ "$off" -lt "$total" ] && [ "$off" -lt 300 ] || break # three pages are enough to time one
  done
  echo "$total"
}
for _ in $(seq 600); do [ "$(running)" -ge "$INSTANCES" ] && break; sleep 1; done
tl2=$(ms)
python3 - "${lat[@]}" <<EOF
import sys
l = sorted(int(x) for x in sys.argv[1:])
print(f"launch: {len(l)} RunInstances of up to 100 in $((tl1 - tl0)) ms: per call min {l[0]} / median {l[len(l)//2]} / "
      f"p90 {l[int(len(l)*0.9)]} / max {l[-1]} ms (first {sys.argv[1]}, last {sys.argv[-1]}); all $INSTANCES RUNNING "
      f"$((tl2 - tl1)) ms after the last call")
EOF

# ---- placement ----
"$YUN" admin hosts --data "$CP" | python3 -c '
import json, sys, collections
hs = [json.loads(l) for l in sys.stdin]; sim = [h for h in hs if h.get("Simulated")]
n = [int(h["Instances"]) for h in sim]; z = collections.Counter()
for h in sim: z[h["Zone"]] += int(h["Instances"])
print("placement: %d hosts hold instances of %d, per host min %d max %d; per zone %s" % (sum(1 for x in n if x),
      len(sim), min(n), max(n), dict(sorted(z.items()))))'
sleep 5
window loaded

# ---- reads ----
running >/dev/null
sort -n "$WORK/pages" | awk '{ a[NR] = $1 } END { printf "DescribeInstances (Limit 100, a state filter): pages %s ms\n", a[1] "/" a[int((NR+1)/2)] "/" a[NR] " (min/median/max)" }'
python3 - "$WORK/yund.log" <<'EOF'
import json, sys
t = {}
for l in open(sys.argv[1], errors="replace"):
    if l.startswith("{") and '"action"' in l:
        try: r = json.loads(l)
        except ValueError: continue
        t.setdefault(r.get("action"), []).append(r.get("ms", 0))
for a in ("RunInstances", "DescribeInstances"):
    v = sorted(t.get(a, [0]))
    print(f"server side (the API's request lines): {a} x{len(v)} median {v[len(v)//2]:.1f} / max {v[-1]:.1f} ms")
EOF
a=$(ms)
"$YUN" admin hosts --data "$CP" >/dev/null
b=$(ms)
echo "yun admin hosts: $((b - a)) ms for $((HOSTS + 1)) hosts"
if [ "$PERF" = 1 ]; then
  perf report -i "$OUT/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -25 \
    >"$OUT/perf-top.txt" || true
  echo "perf (loaded window, self time):"
  cat "$OUT/perf-top.txt"
fi
cp "$WORK/sim.log" "$OUT/sim.log"
