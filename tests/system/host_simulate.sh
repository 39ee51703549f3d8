#!/usr/bin/env bash
# SIMULATED hosts (`yun host simulate`, src/host/simulate.c: scale tests only) against a real control plane:
#   1. `yun admin hosts token --count N` prints N single-use tokens; 19 hosts in one simulator process and 1 in
#      another join with them (a real join each: its own key and certificate), over two zones
#   2. `yun admin hosts` lists 20 hosts UP, accelerator "simulated", "Simulated": true
#   3. 200 instances (two RunInstances of 100, InstanceCount, one per zone) are placed on every host of their
#      zone, spread (the built-in host is out of the shared pool); PENDING while the simulated boot lasts
#      (--boot-ms), then RUNNING as the reports say; StopInstances -> STOPPED, StartInstances -> RUNNING,
#      TerminateInstances -> gone from the document, terminated
#   4. kill -9 of the one-host simulator: its host DOWN within 13 s, DescribeInstances shows its instances'
#      HostStatus DOWN, the others' UP
# Runs in a private network + mount namespace (tests/lib/hosts.sh). Needs root, unshare, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=host_simulate
source tests/lib/hosts.sh

echo '{"compute": {"instance_quota": 1000}}' >"$WORK/config.json"
control_start yund --data "$CP" --listen 127.0.0.1:9600 --config "$WORK/config.json"
"$YUN" admin hosts --data "$CP" sellable host-local --dedicated >/dev/null # the built-in host boots nothing here

# ---- 1. tokens, joins ----
"$YUN" admin hosts --data "$CP" token --count 19 >"$WORK/tokens" 2>/dev/null
"$YUN" admin hosts --data "$CP" token --count 1 >"$WORK/tokens1" 2>/dev/null
[ "$(grep -cE '^[a-z0-9]{8}\.[A-Za-z0-9]{32}\.[0-9a-f]{64}$' "$WORK/tokens")" = 19 ] || fail "token --count 19: $(cat "$WORK/tokens")"
[ "$(sort -u "$WORK/tokens" | wc -l)" = 19 ] || fail "the tokens are not distinct"
simulate() { # simulate DIR TOKENS COUNT ZONES
  "$YUN" host simulate --control 127.0.0.1:9510 --tokens "$2" --count "$3" --data "$1" --zones "$4" --boot-ms 1500 \
    >"$1.log" 2>&1 &
}
simulate "$WORK/sim" "$WORK/tokens" 19 ap-local-1,ap-local-2
SIM=$!
PROCS+=($SIM)
simulate "$WORK/sim1" "$WORK/tokens1" 1 ap-local-2
SIM1=$!
for _ in $(seq 300); do grep -q '"State": "UP"' "$WORK/sim.log" && grep -q '"State": "UP"' "$WORK/sim1.log" && break; sleep 0.1; done
grep -q '"State": "UP"' "$WORK/sim.log" && grep -q '"State": "UP"' "$WORK/sim1.log" || fail "the simulated hosts are not all UP"
LONE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["HostId"])' "$WORK/sim1/h0000/host.json")
pass "20 simulated hosts joined with 20 tokens of token --count (two simulator processes)"

# ---- 2. yun admin hosts ----
hosts() { "$YUN" admin hosts --data "$CP" | python3 -c '
import json, sys
hs = [json.loads(l) for l in sys.stdin]
sim = [h for h in hs if h.get("Simulated")]
print(eval(sys.argv[1]))' "$1"; }
[ "$(hosts 'len([h for h in sim if h["State"] == "UP" and h["Accelerator"] == "simulated" and h["Realises"] == "instances"])')" = 20 ] ||
  fail "yun admin hosts does not list 20 simulated hosts UP: $("$YUN" admin hosts --data "$CP")"
[ "$(hosts 'sorted(set(h["Zone"] for h in sim))')" = "['ap-local-1', 'ap-local-2']" ] || fail "the zones of the simulated hosts"
pass "yun admin hosts: 20 hosts UP, Accelerator simulated, Simulated true, in two zones"

# ---- 3. 200 instances placed and realised as reported ----
IMG=$(api cvm DescribeImages | field ImageSet.0.ImageId)
launch() { api cvm RunInstances --Placement.Zone "$1" --ImageId "$IMG" --InstanceType S5.SMALL1 --InstanceCount 100 |
  python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["InstanceIdSet"]))'; }
launch ap-local-1 >"$WORK/ids"
launch ap-local-2 >>"$WORK/ids"
[ "$(sort -u "$WORK/ids" | wc -l)" = 200 ] || fail "200 instances were not launched"
states() { # the count of each state over every instance (two pages of 100)
  for off in 0 100; do api cvm DescribeInstances --Limit 100 --Offset "$off"; done | python3 -c '
import json, sys, collections
text = sys.stdin.read(); dec = json.JSONDecoder(); i = 0; c = collections.Counter()
while i < len(text):
    if text[i].isspace(): i += 1; continue
    d, i = dec.raw_decode(text, i)
    for x in d["InstanceSet"]: c[x["InstanceState"] + ("/" + x["HostStatus"] if sys.argv[1:] else "")] += 1
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))' "$@"; }
early=$(states)
grep -q PENDING <<<"$early" || fail "no instance PENDING while the simulated boots last: $early"
for _ in $(seq 150); do [ "$(states)" = "RUNNING=200" ] && break; sleep 0.2; done
[ "$(states)" = "RUNNING=200" ] || fail "not all RUNNING: $(states)"
spread=$(hosts '" ".join(str(h["Instances"]) for h in sim)')
python3 -c 'import sys; n = [int(x) for x in sys.argv[1].split()]; sys.exit(0 if len(n) == 20 and min(n) >= 8 and max(n) <= 12 and sum(n) == 200 else 1)' "$spread" ||
  fail "200 instances are not spread over the 20 hosts: $spread"
pass "200 instances (2 x InstanceCount 100): PENDING while simulated boots last, then RUNNING; per host: $spread"

ID=$(sed -n 1p "$WORK/ids") ID2=$(sed -n 2p "$WORK/ids") ID3=$(sed -n 3p "$WORK/ids")
api cvm StopInstances --InstanceIds "[\"$ID\",\"$ID2\"]" >/dev/null
wait_state STOPPED 10
api cvm StartInstances --InstanceIds "[\"$ID\"]" >/dev/null
wait_state RUNNING 10
api cvm TerminateInstances --InstanceIds "[\"$ID3\"]" >/dev/null
for _ in $(seq 100); do [ "$(states)" = "RUNNING=198 STOPPED=1" ] && break; sleep 0.2; done
[ "$(states)" = "RUNNING=198 STOPPED=1" ] || fail "after stop, start and terminate: $(states)"
pass "StopInstances -> STOPPED, StartInstances -> RUNNING, TerminateInstances -> terminated, as the simulated hosts report"

# ---- 4. a simulated host killed ----
ON_LONE=$(hosts '[h["Instances"] for h in sim if h["HostId"] == "'"$LONE"'"][0]')
kill -9 "$SIM1"
wait "$SIM1" 2>/dev/null || true
T0=$(date +%s)
for _ in $(seq 150); do [ "$(hosts '[h["State"] for h in sim if h["HostId"] == "'"$LONE"'"][0]')" = DOWN ] && break; sleep 0.1; done
[ "$(hosts '[h["State"] for h in sim if h["HostId"] == "'"$LONE"'"][0]')" = DOWN ] || fail "$LONE not DOWN after kill -9"
[ "$(hosts 'len([h for h in sim if h["State"] == "UP"])')" = 19 ] || fail "the other 19 are not UP"
got=$(states host)
want=$(python3 -c 'import sys; n = int(sys.argv[1]); print("RUNNING/DOWN=%d RUNNING/UP=%d STOPPED/UP=1" % (n, 198 - n))' "$ON_LONE")
[ "$got" = "$want" ] || fail "DescribeInstances after the kill: $got, not $want"
pass "kill -9 of a simulated host: DOWN after $(($(date +%s) - T0)) s more, its $ON_LONE instances HostStatus DOWN, the rest UP"
grep -q '"Simulator"' "$WORK/sim.log" || true
echo "ok: host_simulate"
