#!/usr/bin/env bash
# Compute survives the loss of a control-plane process (issue 16), on PostgreSQL: two yund processes on one
# store, A with the host role (its built-in host taken out of the shared pool) and B --no-host, each with a host
# channel listener; a joined host (its own namespaces, tests/lib/hosts.sh) knows both (--control A,B).
#   1. an instance launched through A runs on the joined host
#   2. kill -9 of A: the host reconnects to B and stays UP; through B the instance stops, starts and is
#      terminated, and a new one launches, boots and runs there: the joined host's instances never needed A
# Run by tests/pg/run.sh with YUN_TEST_STORE (a PostgreSQL it may create a database on); skipped without one.
cd "$(dirname "$0")/../.."
NAME=failover
[ -n "${YUN_TEST_STORE:-}" ] || { echo "host_failover: needs YUN_TEST_STORE (tests/pg/run.sh): skipped"; exit 0; }
if [ -z "${YUNTEST_IN_NS:-}" ]; then # the database, before the namespaces (the socket is a file: it reaches them)
  DB=hf$RANDOM$RANDOM
  psql -q -v ON_ERROR_STOP=1 "$YUN_TEST_STORE" -c "CREATE DATABASE $DB" >/dev/null
  export STORE_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$YUN_TEST_STORE" "$DB")
fi
source tests/lib/hosts.sh

echo '{"host_listen": "10.77.0.1:9510"}' >"$WORK/a.json"
"$YUN" up --data "$CP" --store "$STORE_URL" --config "$WORK/a.json" --listen 127.0.0.1:9600 --object-listen 127.0.0.1:9601 \
  >"$WORK/yund-a.log" 2>&1 &
A=$!
PROCS+=($A)
for _ in $(seq 300); do grep -q "yun is running" "$WORK/yund-a.log" && break; sleep 0.1; done
grep -q "yun is running" "$WORK/yund-a.log" || fail "yund A did not start"
"$YUN" up --data "$CP" --store "$STORE_URL" --no-host --listen 127.0.0.1:9700 --object-listen 127.0.0.1:9701 \
  --host-listen 10.77.0.1:9511 >"$WORK/yund-b.log" 2>&1 &
PROCS+=($!)
for _ in $(seq 300); do grep -q "yun is running" "$WORK/yund-b.log" && break; sleep 0.1; done
grep -q "yun is running" "$WORK/yund-b.log" || fail "yund B did not start"
"$YUN" admin hosts --data "$CP" --store "$STORE_URL" sellable host-local --dedicated >/dev/null
TOKEN=$("$YUN" admin hosts --data "$CP" --store "$STORE_URL" token 2>/dev/null)
host_start 2 "$TOKEN" 10.77.0.1:9510,10.77.0.1:9511
H2=$WORK/h2

# ---- 1. through A ----
IMG=$(api cvm DescribeImages | field ImageSet.0.ImageId)
run() { api cvm RunInstances ${ENDPOINT:+--endpoint "$ENDPOINT"} --Placement.Zone ap-local-1 --ImageId "$IMG" \
  --InstanceType S5.SMALL1 | field InstanceIdSet.0; }
ID=$(run)
wait_state RUNNING 60
pgrep -f -- "$H2/instances/$ID" >/dev/null || fail "no QEMU of $ID on the joined host"
pass "launched through A, RUNNING on the joined host"

# ---- 2. A dies ----
kill -9 "$A"
wait "$A" 2>/dev/null || true
PROCS=("${PROCS[@]:1}")
ENDPOINT=127.0.0.1:9700
for _ in $(seq 100); do grep -q "lost the connection" "$WORK/h2.log" && break; sleep 0.1; done
sleep 3 # a heartbeat through B
has "\"HostId\": *\"${HID[2]}\".*\"State\": *\"UP\"" "$YUN" admin hosts --data "$CP" --store "$STORE_URL" ||
  fail "the joined host is not UP through B: $("$YUN" admin hosts --data "$CP" --store "$STORE_URL")"
api cvm StopInstances --endpoint "$ENDPOINT" --InstanceIds "[\"$ID\"]" --StopType HARD >/dev/null
wait_state STOPPED 30
! pgrep -f -- "$H2/instances/$ID" >/dev/null || fail "QEMU still runs after the stop through B"
api cvm StartInstances --endpoint "$ENDPOINT" --InstanceIds "[\"$ID\"]" >/dev/null
wait_state RUNNING 30
OLD=$ID
ID=$(run)
wait_state RUNNING 60
for _ in $(seq 300); do grep -q YUN-READY "$H2/instances/$ID/serial.log" 2>/dev/null && break; sleep 0.1; done
grep -q YUN-READY "$H2/instances/$ID/serial.log" || fail "the instance launched through B did not boot"
api cvm TerminateInstances --endpoint "$ENDPOINT" --InstanceIds "[\"$OLD\", \"$ID\"]" >/dev/null
for _ in $(seq 150); do [ ! -e "$H2/instances/$OLD" ] && [ ! -e "$H2/instances/$ID" ] && break; sleep 0.1; done
[ ! -e "$H2/instances/$OLD" ] && [ ! -e "$H2/instances/$ID" ] || fail "the joined host kept terminated instances"
# TERMINATED once the host's report (its next heartbeat, sent at once after the pass) says it no longer has them
for _ in $(seq 100); do
  N=$(psql -qAt "$STORE_URL" -c "SELECT count(*) FROM instances WHERE state = 'TERMINATED' AND instance_id IN ('$OLD', '$ID')")
  [ "$N" = 2 ] && break
  sleep 0.1
done
[ "$N" = 2 ] || fail "$N of 2 instances TERMINATED 10 s after the host removed them"
pass "A killed: the joined host follows B; stop, start, a new launch (booted) and terminate through B"
echo "host_failover: all passed"
