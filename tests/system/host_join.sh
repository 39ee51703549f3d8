#!/usr/bin/env bash
# A second host joins a region over the host channel (src/compute/host_channel.c, src/host/agent.c):
#   1. yund makes the region CA at its first start (key sealed in the store, never in clear) and
#      `yun admin hosts token` prints <id>.<secret>.<ca sha256>, stored hashed, audited
#   2. `yun host join` (another data dir) pins the CA, gets its certificate, is UP in `yun admin hosts`
#      with capacity and accelerator, "Realises": "instances" (schedulable; host_realise.sh boots one there)
#   3. refused and audited: the token reused, an expired token, an unknown token, a wrong secret, a
#      malformed token (sent raw over TLS); a wrong CA pin is refused by the host before it sends the token
#   4. the scheduler counts the joined host: with the built-in host out of the shared pool, RunInstances
#      (DryRun) is placed while the joined host is UP, and finds no capacity once it is DOWN (step 5)
#   5. heartbeats advance; kill -9 of the host: DOWN within 13 s (not before 6), the API still answers;
#      restarted without a token (its certificate in its data dir) it is UP again; restarted with a certificate
#      as hosts were issued before live migration used them (clientAuth only, no DNS name), its hello gets it a
#      current one of the same key, which it keeps
#   6. `yun admin hosts revoke`: the host's next heartbeat is refused, it stops, DOWN, audited
#   7. (YUN_TEST_STORE=postgres://... only) a --no-host yund serves a join; kill -9 of the lease holder:
#      the other yund marks the silent host down
# Runs in a private network + mount namespace (as /work/wt/netns-run.sh) so its listeners and the
# host role touch nothing of the machine's. Needs root, unshare, openssl, sqlite3 (or skips 1's check).
set -euo pipefail
cd "$(dirname "$0")/../.."
YUN=${YUN_BIN:-$PWD/build/yun}
if [ -z "${YUNTEST_IN_NS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "host_join: needs root"; exit 1; }
  exec unshare --net --mount --propagation private -- env YUNTEST_IN_NS=1 YUN_BIN="$YUN" YUN_TEST_STORE="${YUN_TEST_STORE:-}" sh -c '
    ip link set lo up
    mount -t sysfs sysfs /sys 2>/dev/null || true
    mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
    exec bash "$0"' "$0"
fi

WORK=$(mktemp -d /tmp/yuntest-join.XXXXXX)
CP=$WORK/cp H1=$WORK/h1
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "${YUND:-}" ] && { kill "$YUND" 2>/dev/null; wait "$YUND" 2>/dev/null; }
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do echo "--- $f"; tail -20 "$f"; done
  exit 1
}
pass() { echo "ok: $*"; }
CONTROL=127.0.0.1:9510
# YUN_TEST_STORE=postgres://... runs it all on PostgreSQL (as tests/pg/run.sh does for the SDK tests)
STORE=()
[ -n "${YUN_TEST_STORE:-}" ] && STORE=(--store "$YUN_TEST_STORE")
host_field() { # host_field HOST FIELD: a field of HOST's line in `yun admin hosts`
  "$YUN" admin hosts --data "$CP" "${STORE[@]}" | python3 -c '
import json, sys
for l in sys.stdin:
    h = json.loads(l)
    if h["HostId"] == sys.argv[1]: print(h[sys.argv[2]])' "$1" "$2"
}
audit_count() { "$YUN" admin audit --data "$CP" "${STORE[@]}" --limit 1000 | grep '"Action":"HostJoin"' | grep -c -- "$1" || true; }

"$YUN" up --data "$CP" "${STORE[@]}" --listen 127.0.0.1:9600 >"$WORK/yund.log" 2>&1 &
YUND=$!
for _ in $(seq 150); do grep -q "yun is running" "$WORK/yund.log" && break; sleep 0.1; done
grep -q "host channel : $CONTROL" "$WORK/yund.log" || fail "yund does not announce its host channel"

# ---- 1. the CA and a token ----
TOKEN=$("$YUN" admin hosts --data "$CP" "${STORE[@]}" token 2>/dev/null)
[[ "$TOKEN" =~ ^([a-z0-9]{8})\.([A-Za-z0-9]{32})\.([0-9a-f]{64})$ ]] || fail "token format: $TOKEN"
TID=${BASH_REMATCH[1]} SECRET=${BASH_REMATCH[2]} PIN=${BASH_REMATCH[3]}
"$YUN" admin audit --data "$CP" "${STORE[@]}" | grep '"Action":"CreateHostJoinToken"' | grep "hosttoken/$TID" >/dev/null ||
  fail "token issuance not audited"
if [ ${#STORE[@]} -eq 0 ] && command -v sqlite3 >/dev/null; then
  [ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM host_join_tokens WHERE token_id = '$TID'")" = 1 ] || fail "token not stored"
  [ "$(sqlite3 "$CP/yun.db" "SELECT secret_sha256 FROM host_join_tokens WHERE token_id = '$TID'")" = \
    "$(printf %s "$SECRET" | sha256sum | cut -d' ' -f1)" ] || fail "the stored token is not the secret's sha256"
  [ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM host_ca WHERE cert_pem LIKE '%BEGIN CERTIFICATE%'")" = 1 ] ||
    fail "no region CA certificate"
fi
[ ${#STORE[@]} -gt 0 ] || ! grep -qa -e "$SECRET" -e "PRIVATE KEY" "$CP"/yun.db* || fail "the token's secret or the CA key is in the store in clear"
pass "token <id>.<secret>.<pin> issued, audited, stored hashed; CA key sealed"

# ---- 2. join ----
"$YUN" host join --control $CONTROL --token "$TOKEN" --data "$H1" --zone ap-local-1 >"$WORK/h1.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q '"State": "UP"' "$WORK/h1.log" && break; sleep 0.1; done
HID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["HostId"])' "$H1/host.json") ||
  fail "the host kept no identity"
[ -s "$H1/host.crt" ] && [ -s "$H1/ca.crt" ] && [ "$(stat -c %a "$H1/host.key")" = 600 ] || fail "host files"
[ "$(openssl x509 -in "$H1/ca.crt" -outform DER | sha256sum | cut -d' ' -f1)" = "$PIN" ] || fail "ca.crt is not the pinned CA"
openssl verify -CAfile "$H1/ca.crt" "$H1/host.crt" >/dev/null || fail "the host certificate is not the CA's"
[ "$(host_field "$HID" State)" = UP ] || fail "joined host not UP: $("$YUN" admin hosts --data "$CP" "${STORE[@]}")"
[ "$(host_field "$HID" Realises)" = instances ] || fail "a joined host says it realises instances"
[ "$(host_field "$HID" Zone)" = ap-local-1 ] && [ "$(host_field "$HID" Cores)" -ge 1 ] &&
  [ "$(host_field "$HID" MemoryMiB)" -ge 64 ] && [ "$(host_field "$HID" DiskGiB)" -ge 1 ] || fail "capacity not registered"
case "$(host_field "$HID" Accelerator)" in kvm | tcg) ;; *) fail "accelerator not registered" ;; esac
BEAT0=$(host_field "$HID" LastHeartbeat)
[ -n "$BEAT0" ] || fail "no heartbeat"
[ "$(audit_count "host/$HID")" = 1 ] || fail "the join is not audited"
pass "host $HID joined: UP, capacity, accelerator, realises instances, audited"

# ---- 3. refusals ----
# each connection's socket (and nothing else) is closed when it ends: count yund's sockets (its other
# descriptors move with threads opening their store connection) and watch fd 0
sockets() { find /proc/$YUND/fd -lname 'socket:*' 2>/dev/null | wc -l; }
FDS0=$(sockets) STDIN0=$(readlink /proc/$YUND/fd/0)
if "$YUN" host join --control $CONTROL --token "$TOKEN" --data "$WORK/h2" >"$WORK/h2.log" 2>&1; then fail "token reused"; fi
grep -q "already used" "$WORK/h2.log" || fail "reuse: $(cat "$WORK/h2.log")"
[ ! -e "$WORK/h2/host.crt" ] || fail "a refused host got a certificate"
[ "$("$YUN" admin audit --data "$CP" "${STORE[@]}" --limit 1000 | grep '"Action":"HostJoin"' | grep -c 'already used')" = 1 ] ||
  fail "reuse not audited"

SHORT=$("$YUN" admin hosts --data "$CP" "${STORE[@]}" token --ttl 1s 2>/dev/null)
sleep 1.2
if "$YUN" host join --control $CONTROL --token "$SHORT" --data "$WORK/h3" >"$WORK/h3.log" 2>&1; then fail "expired token accepted"; fi
grep -q "expired" "$WORK/h3.log" || fail "expiry: $(cat "$WORK/h3.log")"
[ "$(audit_count "hosttoken/${SHORT%%.*}\"")" = 1 ] || fail "expired token's use not audited"

UNKNOWN="zzzzzzzz.$(printf 'A%.0s' $(seq 32)).$PIN"
if "$YUN" host join --control $CONTROL --token "$UNKNOWN" --data "$WORK/h4" >"$WORK/h4.log" 2>&1; then fail "unknown token accepted"; fi
grep -q "not known" "$WORK/h4.log" || fail "unknown: $(cat "$WORK/h4.log")"
OTHER=$("$YUN" admin hosts --data "$CP" "${STORE[@]}" token 2>/dev/null)
WRONG="${OTHER%%.*}.$(printf 'B%.0s' $(seq 32)).$PIN"
if "$YUN" host join --control $CONTROL --token "$WRONG" --data "$WORK/h5" >"$WORK/h5.log" 2>&1; then fail "wrong secret accepted"; fi
grep -q "secret is wrong" "$WORK/h5.log" || fail "wrong secret: $(cat "$WORK/h5.log")"
# a malformed token never leaves a yun host; sent raw it is refused and audited all the same
printf '{"op":"join","token":"garbage"}\n' | timeout 5 openssl s_client -connect $CONTROL -quiet >"$WORK/raw.log" 2>&1 || true
grep -q "malformed" "$WORK/raw.log" || fail "raw garbage token: $(cat "$WORK/raw.log")"
printf '{"op":"heartbeat"}\n' | timeout 5 openssl s_client -connect $CONTROL -quiet >"$WORK/raw2.log" 2>&1 || true
grep -q "may only join" "$WORK/raw2.log" || fail "a heartbeat without a certificate: $(cat "$WORK/raw2.log")"
[ "$(audit_count 'AuthFailure')" = 5 ] || fail "refusals audited: $(audit_count AuthFailure) of 5"

# the wrong pin: the host refuses the control plane and never sends the token, which stays usable
BADPIN="${OTHER%.*}.$(printf '0%.0s' $(seq 64))"
if "$YUN" host join --control $CONTROL --token "$BADPIN" --data "$WORK/h6" >"$WORK/h6.log" 2>&1; then fail "wrong pin accepted"; fi
grep -q "not the one the token pins" "$WORK/h6.log" || fail "wrong pin: $(cat "$WORK/h6.log")"
[ "$(audit_count "hosttoken/${OTHER%%.*}\"")" = 1 ] || fail "the token behind a wrong pin reached the control plane"
for _ in $(seq 30); do # the last connection's thread closes after its answer (and its store connection)
  FDS1=$(sockets)
  [ "$FDS1" -le "$FDS0" ] && break
  sleep 0.1
done
[ "$FDS1" -le "$FDS0" ] && [ "$(readlink /proc/$YUND/fd/0)" = "$STDIN0" ] ||
  fail "yund's sockets after 8 refused connections: $FDS0 -> $FDS1 (fd 0: $STDIN0 -> $(readlink /proc/$YUND/fd/0))"
pass "refused and audited: reuse, expired, unknown, wrong secret, malformed, no certificate; wrong CA pin refused by the host"

# a client that never shows a certificate is cut after 10 s, however it trickles its bytes in
CUT=$(python3 - "$CONTROL" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
t0 = time.monotonic()
s.settimeout(2)
s.send(b"\x16\x03\x01\x40\x00")  # a TLS handshake record of 16 KiB announced...
try:
    while time.monotonic() - t0 < 25:
        s.send(b"\x00")  # ...and its bytes sent one every 2 s: no read of the server ever waits 10 s
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
except OSError:
    pass
print(round(time.monotonic() - t0, 1))
PY
)
python3 -c "import sys; sys.exit(0 if 9 <= $CUT <= 14 else 1)" || fail "a trickling unauthenticated client held its connection ${CUT} s"
pass "a trickling client without a certificate is cut after ${CUT} s"

# ---- 4. the scheduler places on the joined host while it is UP ----
IMG=$("$YUN" cvm DescribeImages --data "$CP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ImageSet"][0]["ImageId"])')
run_dry() { "$YUN" cvm RunInstances --data "$CP" --Placement.Zone ap-local-1 --ImageId "$IMG" --InstanceType S5.SMALL1 --DryRun true; }
"$YUN" admin hosts --data "$CP" "${STORE[@]}" sellable host-local --dedicated >/dev/null
RC=0
OUT=$(run_dry 2>&1) || RC=$?
"$YUN" admin hosts --data "$CP" "${STORE[@]}" sellable host-local --shared >/dev/null
[ "$RC" = 0 ] || fail "not placed with only the joined host schedulable: $OUT"
run_dry >/dev/null || fail "RunInstances (DryRun) with the built-in host back in the shared pool"
pass "RunInstances (DryRun) counts an UP joined host that realises instances"

# ---- 5. the host dies ----
[ "$(host_field "$HID" LastHeartbeat)" != "$BEAT0" ] || sleep 2.5 # steps 3-4 take a few seconds
[ "$(host_field "$HID" LastHeartbeat)" != "$BEAT0" ] && [ "$(host_field "$HID" State)" = UP ] ||
  fail "the heartbeat does not advance ($BEAT0)"
kill -9 "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null || true
T0=$(date +%s.%N)
for _ in $(seq 150); do [ "$(host_field "$HID" State)" = DOWN ] && break; sleep 0.1; done
T1=$(date +%s.%N)
[ "$(host_field "$HID" State)" = DOWN ] || fail "not marked down"
SECS=$(python3 -c "print(round($T1 - $T0, 1))")
# 10 s without a heartbeat (second resolution), the last one up to 2 s before the kill
python3 -c "import sys; sys.exit(0 if 6 <= $T1 - $T0 <= 13 else 1)" || fail "marked down after ${SECS} s"
"$YUN" cvm DescribeInstances --data "$CP" >/dev/null || fail "DescribeInstances with a host down"
"$YUN" cvm DescribeZones --data "$CP" >/dev/null || fail "DescribeZones with a host down"
run_dry >/dev/null || fail "RunInstances (DryRun) with a host down"
"$YUN" admin hosts --data "$CP" "${STORE[@]}" sellable host-local --dedicated >/dev/null
OUT=$(run_dry 2>&1 || true)
"$YUN" admin hosts --data "$CP" "${STORE[@]}" sellable host-local --shared >/dev/null
echo "$OUT" | grep -q ResourceInsufficient || fail "placed on a DOWN joined host: $OUT"
pass "kill -9 of the host: DOWN after ${SECS} s; the API answers; nothing is placed on it"

LEGACY=0 # the host restarts with a certificate as hosts were issued before live migration used them (SQLite only)
if [ ${#STORE[@]} -eq 0 ]; then
  python3 tests/lib/migration_tls.py legacy-cert "$CP/yun.db" "$CP/master.key" "$H1/host.key" "$HID" "$H1/host.crt"
  ! openssl x509 -in "$H1/host.crt" -noout -ext subjectAltName 2>/dev/null | grep -q DNS || fail "the legacy certificate has a DNS name"
  LEGACY=1
fi
"$YUN" host join --control $CONTROL --data "$H1" >"$WORK/h1b.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ "$(host_field "$HID" State)" = UP ] && break; sleep 0.1; done
[ "$(host_field "$HID" State)" = UP ] || fail "the restarted host is not UP again"
pass "restarted from its data dir (no token): UP again"
if [ $LEGACY = 1 ]; then # its hello was answered with a current certificate of the same key and name, which it kept
  for _ in $(seq 30); do grep -q "renewed host certificate" "$WORK/h1b.log" && break; sleep 0.1; done
  grep -q "renewed host certificate" "$WORK/h1b.log" || fail "the legacy certificate was not renewed: $(cat "$WORK/h1b.log")"
  EXT=$(openssl x509 -in "$H1/host.crt" -noout -subject -ext subjectAltName,extendedKeyUsage)
  [[ "$EXT" == *"CN = $HID"* && "$EXT" == *"DNS:$HID"* && "$EXT" == *"TLS Web Server Authentication"* &&
    "$EXT" == *"TLS Web Client Authentication"* ]] || fail "the renewed certificate: $EXT"
  [ "$(openssl x509 -in "$H1/host.crt" -noout -pubkey)" = "$(openssl pkey -in "$H1/host.key" -pubout)" ] ||
    fail "the renewed certificate is not of the host's key"
  openssl verify -CAfile "$H1/ca.crt" "$H1/host.crt" >/dev/null || fail "the renewed certificate is not the CA's"
  pass "a host with a certificate issued before live migration used them got one with serverAuth and its DNS name at hello (same key), and kept it"
fi

# ---- 6. revoked: its certificate is refused at the next heartbeat, the agent stops ----
"$YUN" admin hosts --data "$CP" "${STORE[@]}" revoke "$HID" | grep '"Revoked": true' >/dev/null || fail "revoke"
for _ in $(seq 40); do kill -0 "${PIDS[1]}" 2>/dev/null || break; sleep 0.1; done
! kill -0 "${PIDS[1]}" 2>/dev/null || fail "a revoked host keeps running"
grep -q "no longer) joined" "$WORK/h1b.log" || fail "revoked: $(cat "$WORK/h1b.log")"
[ "$(host_field "$HID" State)" = DOWN ] || fail "a revoked host is not DOWN"
"$YUN" admin audit --data "$CP" "${STORE[@]}" | grep '"Action":"RevokeHost"' | grep "host/$HID" >/dev/null || fail "revocation not audited"
if "$YUN" admin hosts --data "$CP" "${STORE[@]}" revoke host-local 2>/dev/null; then fail "the built-in host is not a joined host"; fi
pass "revoked: refused at its next heartbeat, DOWN, audited"
kill -0 "$YUND" || fail "yund died"

# ---- 7. PostgreSQL only: a second yund serves the channel; the lease holder dies, the other monitors ----
if [ ${#STORE[@]} -gt 0 ]; then
  "$YUN" up --data "$CP" "${STORE[@]}" --no-host --listen 127.0.0.1:9700 --object-listen 127.0.0.1:9701 \
    --host-listen 127.0.0.1:9511 >"$WORK/yund2.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do grep -q "yun is running" "$WORK/yund2.log" && break; sleep 0.1; done
  T2=$("$YUN" admin hosts --data "$CP" "${STORE[@]}" token 2>/dev/null)
  "$YUN" host join --control 127.0.0.1:9511 --token "$T2" --data "$WORK/h7" >"$WORK/h7.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do grep -q '"State": "UP"' "$WORK/h7.log" && break; sleep 0.1; done
  H7=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["HostId"])' "$WORK/h7/host.json") || fail "h7 did not join"
  kill -9 "$YUND"; wait "$YUND" 2>/dev/null || true; YUND=
  sleep 2
  [ "$(host_field "$H7" State)" = UP ] || fail "h7 not UP through the second yund"
  kill -9 "${PIDS[-1]}"
  for _ in $(seq 150); do [ "$(host_field "$H7" State)" = DOWN ] && break; sleep 0.1; done
  [ "$(host_field "$H7" State)" = DOWN ] || fail "with the lease holder dead, nobody marked h7 down"
  grep -q "lease hosts: taken" "$WORK/yund2.log" || fail "the second yund did not take the lease"
  pass "PostgreSQL: the second yund serves joins and, the first dead, marks hosts down"
fi
echo "host_join: all passed"
