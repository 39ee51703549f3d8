#!/usr/bin/env bash
# Live migration between two joined hosts without shared storage, and draining a host (src/compute/migration.c,
# src/host/realise.c, the QEMU driver's start_incoming/migrate_out/migrate_resume). A control plane whose built-in
# host (host 1) is out of the shared pool (a dedicated host, bought with AllocateHosts), and two joined hosts, each
# in a network and mount namespace of its own, on one underlay bridge (host 2 at 10.77.0.2, host 3 at 10.77.0.3):
#   1. guest A on host 1's dedicated host (SSH works there: the built-in host serves the metadata; joined hosts do
#      not yet, so their guests get no keys); guest B boots on host 2 (the only shared host yet), its init writes
#      its boot count to its system disk; host 3 joins. A pings B every 0.2 s and holds a TCP connection to B's
#      port 22 (dropbear's banner read, the client's version line not sent yet)
#   2. refused, changing nothing: a migration to a host without room (ResourceInsufficient), to a DOWN host
#      (ResourceUnavailable); a drain with no room elsewhere starts nothing and says why
#   3. `yun admin hosts drain host-2`: B migrates live to host 3 (LatestOperation MigrateInstance OPERATING while
#      it moves, RUNNING throughout), then SUCCESS; host_id is host 3's; host 2 has no QEMU, directory or tap of B;
#      while host 3 waits for B (host 2's agent held meanwhile) its NBD port is open to host 2 only (a connection
#      from the control plane's address is reset), and closed again after the move; from host 2's address, NBD and
#      the migration port refuse a client without TLS or with host 3's certificate (authz: the source's only); the
#      streams captured on host 3's underlay link (tests/lib/migration_tls.py) are TLS records only;
#      A's TCP connection survived (the version line sent after the move gets dropbear's key exchange back); the
#      ping loss is printed (what the guest's pause costs); a new instance goes to host 3, not the draining host 2
#   4. B's disk came along: stopped and started again on host 3, its init counts boot 2 from the disk
#   B's EIP follows the move: published (proxy neighbour on the uplink) by host 2 before, by host 3 after (a
#   gratuitous ARP moves the underlay's entry), host 2's entry gone; ping and SSH banner by the EIP both times
# Needs root, unshare, nsenter, iproute2, python3, sqlite3.
cd "$(dirname "$0")/../.."
NAME=migrate
source tests/lib/hosts.sh
H2=$WORK/h2 H3=$WORK/h3
sql() { sqlite3 "$CP/yun.db" "$1"; }
on() { nsenter -t "$1" -n -m -- "${@:2}"; } # a command on a host, by its pid (its network and its /run/netns)

T_START=$(date +%s)
echo '{"host_listen": "10.77.0.1:9510"}' >"$WORK/cp.json"
control_start yund --data "$CP" --config "$WORK/cp.json" --listen 127.0.0.1:9600
"$YUN" admin hosts --data "$CP" sellable host-local --dedicated >/dev/null # the built-in host takes no guest
TOKEN=$("$YUN" admin hosts --data "$CP" token 2>/dev/null)

guests_setup '[{"Protocol":"TCP","Port":"22,7000","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"},{"Protocol":"ICMP","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"}]'

# ---- 1. A on host 1 (dedicated), B on host 2; host 3 joins ----
UIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Uin"])' "$CP/credentials.json")
"$YUN" admin recharge --data "$CP" --uin "$UIN" --cents 500000 >/dev/null
CDH=$(api cvm AllocateHosts --Placement.Zone ap-local-1 --HostChargeType PREPAID --HostChargePrepaid '{"Period":1}' \
  --HostType HS1 | field HostIdSet.0)
A=$(api cvm RunInstances --Placement '{"Zone":"ap-local-1","HostIds":["'"$CDH"'"]}' --ImageId "$IMG" \
  --InstanceType CDH_1C1G --InstanceChargeType CDHPAID --SecurityGroupIds "[\"$SG\"]" \
  --LoginSettings "{\"KeyIds\":[\"$KEY\"]}" | field InstanceIdSet.0)
ID=$A wait_state RUNNING 60
[ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$A'")" = host-local ] || fail "A is not on host 1"
host_start 2 "$TOKEN" 10.77.0.1:9510
H2PID=${HPID[2]} HID2=${HID[2]}
TOKEN=$("$YUN" admin hosts --data "$CP" token 2>/dev/null)
B=$(run)
ID=$B wait_state RUNNING 60
[ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$B'")" = "$HID2" ] || fail "B is not on host 2"
host_start 3 "$TOKEN" 10.77.0.1:9510
H3PID=${HPID[3]} HID3=${HID[3]}
IPA=$(ID=$A inst PrivateIpAddresses.0)
IPB=$(ID=$B inst PrivateIpAddresses.0)
VPC=$(ID=$B inst VirtualPrivateCloud.VpcId)
[ "$(ID=$A inst VirtualPrivateCloud.VpcId)" = "$VPC" ] || fail "A and B are in different VPCs"
NS=yv-${VPC: -8}
ssh_a() { ip netns exec "$NS" ssh -i "$WORK/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$IPA" "$@"; }
for _ in $(seq 60); do ssh_a true 2>/dev/null && break; sleep 1; done
ssh_a true || fail "no SSH to A ($IPA) on host 1"
# (B's init gives up on the metadata service, which joined hosts do not serve yet, then starts dropbear)
for _ in $(seq 400); do grep -q "YUN-READY" "$H2/instances/$B/serial.log" 2>/dev/null && break; sleep 0.1; done
grep -q "YUN-DISK boot-count=1" "$H2/instances/$B/serial.log" && grep -q "YUN-READY" "$H2/instances/$B/serial.log" ||
  fail "B did not boot (or count its boot on its disk)"
ssh_a "rm -f /tmp/f; mkfifo /tmp/f; (sleep 600 >/tmp/f &) ; (nc $IPB 22 </tmp/f >/tmp/tcp 2>&1 &);
  (ping -i 0.2 $IPB >/tmp/ping 2>&1 &)" </dev/null
for _ in $(seq 50); do ssh_a "grep -q SSH-2.0 /tmp/tcp" && break; sleep 0.1; done
ssh_a "grep -q SSH-2.0 /tmp/tcp" || fail "A opened no TCP connection to B: $(ssh_a "cat /tmp/tcp; tail -3 /tmp/ping")"
pass "A on host 1 holds a TCP connection to B on host 2 ($HID2) and pings it; host 3 ($HID3) joined"

# B's EIP, published by host 2 on its uplink; the underlay side (this namespace, the EIP pool on its link) reaches it
EIP_ID=$(api vpc AllocateAddresses | field AddressSet.0)
EIP=$(api vpc DescribeAddresses --AddressIds "[\"$EIP_ID\"]" | field AddressSet.0.AddressIp)
ip route add 198.51.100.0/24 dev u-br
api vpc AssociateAddress --AddressId "$EIP_ID" --InstanceId "$B" >/dev/null
eip_at() { # eip_at PID: that host publishes the EIP on its uplink
  [[ "$(on "$1" ip neigh show proxy)" == *"$EIP "*"proto 121"* ]]
}
banner() { timeout 5 bash -c "exec 3<>/dev/tcp/$EIP/22 && head -c 7 <&3" 2>/dev/null || true; }
for _ in $(seq 50); do eip_at "$H2PID" && break; sleep 0.1; done
eip_at "$H2PID" || fail "host 2 does not publish B's EIP $EIP"
ping -c 1 -W 5 "$EIP" >/dev/null && [ "$(banner)" = SSH-2.0 ] || fail "B's EIP $EIP does not answer on host 2"
pass "B's EIP $EIP is published by host 2 and answers (ping, SSH banner) from the underlay"

# ---- 2. refused ----
OP0=$(ID=$B inst LatestOperation)
sql "UPDATE hosts SET memory_mib = 512 WHERE host_id = '$HID3'" # B's 1 GiB does not fit
OUT=$(api cvm MigrateInstance --InstanceId "$B" --HostId "$HID3" 2>&1 || true)
echo "$OUT" | grep -q ResourceInsufficient || fail "a migration to a full host: $OUT"
OUT=$("$YUN" admin hosts --data "$CP" drain "$HID2")
echo "$OUT" | grep -q '"Migrating":\[\]' && echo "$OUT" | grep -q ResourceInsufficient ||
  fail "draining host 2 with no room elsewhere: $OUT"
sql "UPDATE hosts SET memory_mib = 65536 WHERE host_id = '$HID3'"
sql "INSERT INTO hosts (host_id, zone, hostname, cores, vcpus, memory_mib, accel, accel_reason, state, updated, joined,
  realises, underlay) VALUES ('host-gone', 'ap-local-1', 'gone', 2, 8, 65536, 'tcg', '', 'DOWN', 0, 1, 1, '10.77.0.9')"
OUT=$(api cvm MigrateInstance --InstanceId "$B" --HostId host-gone 2>&1 || true)
echo "$OUT" | grep -q ResourceUnavailable && echo "$OUT" | grep -q DOWN || fail "a migration to a DOWN host: $OUT"
[ "$(sql "SELECT migrate_to FROM instances WHERE instance_id = '$B'")" = "" ] || fail "a refused migration was recorded"
[ "$(ID=$B inst LatestOperation)" = "$OP0" ] && [ "$(ID=$B inst InstanceState)" = RUNNING ] || fail "B changed"
"$YUN" admin hosts --data "$CP" undrain "$HID2" >/dev/null
pass "refused: no room on the target (ResourceInsufficient), a DOWN target (ResourceUnavailable); nothing changed"

# ---- 2b. a move that fails: host 2 cannot reach host 3's NBD port ----
on "$H2PID" nft -f - <<'NFT'
table inet yuntest {
  chain out {
    type filter hook output priority 0;
    ip daddr 10.77.0.3 tcp dport 7800-7899 reject with tcp reset
  }
}
NFT
api cvm MigrateInstance --InstanceId "$B" --HostId "$HID3" >/dev/null
for _ in $(seq 200); do [ "$(sql "SELECT latest_op_state FROM instances WHERE instance_id = '$B'")" = FAILED ] && break; sleep 0.1; done
ID=$B
[ "$(inst LatestOperation)" = MigrateInstance ] && [ "$(inst LatestOperationState)" = FAILED ] ||
  fail "the move did not fail: $(inst LatestOperation) $(inst LatestOperationState)"
WHY=$(inst LatestOperationErrorMsg)
[ -n "$WHY" ] || fail "a failed move gives no reason"
[ "$(inst InstanceState)" = RUNNING ] && [ "$(sql "SELECT host_id || '/' || migrate_to FROM instances WHERE instance_id = '$B'")" = "$HID2/" ] ||
  fail "B did not stay on host 2: $(sql "SELECT host_id, migrate_to FROM instances WHERE instance_id = '$B'")"
for _ in $(seq 50); do [ ! -e "$H3/instances/$B" ] && ! pgrep -f -- "$H3/instances/$B" >/dev/null && break; sleep 0.1; done
[ ! -e "$H3/instances/$B" ] && ! pgrep -f -- "$H3/instances/$B" >/dev/null || fail "host 3 kept its half of the failed move"
ssh_a "ping -c 1 -W 2 $IPB" >/dev/null || fail "B does not answer on host 2 after the failed move"
on "$H2PID" nft delete table inet yuntest
pass "a failed move (the NBD port refused): FAILED with the reason (\"$WHY\"), B runs on host 2, host 3 removed its half"

# ---- 3. drain host 2 ----
# host 2's agent is held (SIGSTOP, less than the 10 s that would make it DOWN) until host 3 waits for B and its
# ports were probed; the move's streams are captured on host 3's underlay link
kill -STOP "$H2PID"
T0=$(date +%s.%N)
OUT=$("$YUN" admin hosts --data "$CP" drain "$HID2")
echo "$OUT" | grep -q "\"InstanceId\":\"$B\",\"From\":\"$HID2\",\"To\":\"$HID3\"" || fail "drain did not start B's move: $OUT"
[ "$(sql "SELECT draining FROM hosts WHERE host_id = '$HID2'")" = 1 ] || fail "host 2 is not draining"
SEEN_OPERATING=0 PROBED=0
for _ in $(seq 60); do [[ "$(on "$H3PID" ss -ltn)" == *"10.77.0.3:7801 "* ]] && break; sleep 0.1; done
if [[ "$(on "$H3PID" ss -ltn)" == *"10.77.0.3:7801 "* ]]; then # host 3 waits for B: who may connect
  RULES=$(on "$H3PID" nft list chain inet yun input)
  [[ "$RULES" == *"ip saddr 10.77.0.2 tcp dport { 7800, 7801 } accept"* ]] ||
    fail "host 3's migration ports are not opened to host 2: $RULES"
  ! timeout 2 bash -c 'exec 3<>/dev/tcp/10.77.0.3/7800' 2>/dev/null || fail "host 3's NBD export took a connection from 10.77.0.1"
  # from host 2's address (which nftables lets in): only TLS with host 2's certificate is served
  probe() { on "$H2PID" python3 "$PWD/tests/lib/migration_tls.py" probe 10.77.0.3 "$@"; }
  AS3=("$H3/host.crt" "$H3/host.key" "$HID3" "$H3/ca.crt") AS2=("$H2/host.crt" "$H2/host.key" "$HID3" "$H2/ca.crt")
  P1=$(probe 7800 plain) P2=$(probe 7800 tls "${AS3[@]}") P3=$(probe 7801 plain) P4=$(probe 7801 tls "${AS3[@]}")
  P5=$(probe 7800 tls "${AS2[@]}") # NBD's option list, with the source's certificate: served
  [[ "$P1" == "refused: NBD reply 0x80000005" ]] || fail "host 3's NBD export without TLS: $P1"
  [[ "$P2" == refused* ]] || fail "host 3's NBD export with host 3's certificate (not the source's): $P2"
  [[ "$P3" == refused* ]] || fail "host 3's migration port without TLS: $P3"
  [[ "$P4" == refused* ]] || fail "host 3's migration port with host 3's certificate (not the source's): $P4"
  [[ "$P5" == taken* ]] || fail "host 3's NBD export refused the source's certificate: $P5"
  PROBED=1
fi
nsenter -t "$H3PID" -n -m -- python3 "$PWD/tests/lib/migration_tls.py" capture u-h3 "$WORK/wire.json" \
  2>"$WORK/capture.log" & # (not through on: $! is then the capture itself)
CAPTURE=$!
sleep 0.5
HELD=$(python3 -c "import time; print(round(time.time() - $T0, 1))")
kill -CONT "$H2PID"
for _ in $(seq 600); do
  [ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$B'")" = "$HID3" ] && break
  [ "$(sql "SELECT latest_op || ' ' || latest_op_state || ' ' || state FROM instances WHERE instance_id = '$B'")" = \
    "MigrateInstance OPERATING RUNNING" ] && SEEN_OPERATING=1
  [ "$(sql "SELECT latest_op_state FROM instances WHERE instance_id = '$B'")" = FAILED ] &&
    fail "the migration failed: $(sql "SELECT reason FROM instances WHERE instance_id = '$B'")"
  sleep 0.1
done
T1=$(date +%s.%N)
[ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$B'")" = "$HID3" ] || fail "B did not move to host 3"
[ $SEEN_OPERATING = 1 ] || fail "never saw MigrateInstance OPERATING with B RUNNING"
[ $PROBED = 1 ] || fail "never saw host 3 listen for the move"
kill -TERM "$CAPTURE" && wait "$CAPTURE" || fail "the capture on host 3's underlay failed"
WIRE=$(python3 tests/lib/migration_tls.py check "$WORK/wire.json") || fail "the move's streams are not TLS: $WIRE"
echo "$WIRE" | sed 's/^/  /'
pass "the move's streams on host 3's underlay are TLS (NBD after its STARTTLS, the migration from its first byte); \
host 3's ports refused NBD and the migration without TLS and with host 3's own certificate from host 2's address, \
and served NBD to host 2's certificate"
for _ in $(seq 50); do [[ "$(on "$H3PID" nft list chain inet yun input)" != *"dport { 7800, 7801 } accept"* ]] && break; sleep 0.1; done
[[ "$(on "$H3PID" nft list chain inet yun input)" != *"dport { 7800, 7801 } accept"* ]] || fail "host 3 keeps its ports open"
ID=$B
[ "$(inst InstanceState)" = RUNNING ] && [ "$(inst LatestOperation)" = MigrateInstance ] &&
  [ "$(inst LatestOperationState)" = SUCCESS ] || fail "B: $(inst InstanceState) $(inst LatestOperation) $(inst LatestOperationState)"
for _ in $(seq 50); do [ ! -e "$H2/instances/$B" ] && ! pgrep -f -- "$H2/instances/$B" >/dev/null && break; sleep 0.1; done
[ ! -e "$H2/instances/$B" ] || fail "host 2 kept B's directory"
! pgrep -f -- "$H2/instances/$B" >/dev/null || fail "a QEMU of B still runs on host 2"
pgrep -f -- "$H3/instances/$B" >/dev/null || fail "no QEMU of B on host 3"
! on "$H2PID" ip link show "yt-${B: -8}" >/dev/null 2>&1 || fail "host 2 kept B's tap"
MACB=$(sql "SELECT mac FROM instances WHERE instance_id = '$B'")
for _ in $(seq 50); do [[ "$(bridge fdb show dev "$NS-x")" == *"$MACB dst 10.77.0.3 "* ]] && break; sleep 0.1; done
[[ "$(bridge fdb show dev "$NS-x")" == *"$MACB dst 10.77.0.3 "* ]] && [[ "$(bridge fdb show dev "$NS-x")" != *"$MACB dst 10.77.0.2 "* ]] ||
  fail "host 1's FDB entry of B did not follow it to host 3: $(bridge fdb show dev "$NS-x")"
ssh_a "echo SSH-2.0-yuntest >/tmp/f"
for _ in $(seq 50); do ssh_a "grep -q curve25519 /tmp/tcp" && break; sleep 0.1; done
ssh_a "grep -q curve25519 /tmp/tcp" || fail "A's TCP connection to B did not survive the move: $(ssh_a "cat -v /tmp/tcp")"
LOSS=$(ssh_a 'kill -INT $(pidof ping) 2>/dev/null; sleep 0.3; grep -o "[0-9]* packets transmitted, [0-9]* packets received" /tmp/ping' || true)
pass "drain host 2: B moved live to host 3 in $(python3 -c "print(round($T1 - $T0, 1))") s ($HELD s of it host 2 held; RUNNING throughout, MigrateInstance SUCCESS), host 2 holds nothing of it; host 3's NBD port took host 2 only, and closed after; host 1's FDB entry of B followed it; A's TCP connection to B survived; ping every 0.2 s from A: $LOSS"

# B's EIP followed it: host 3 publishes it (and told the underlay with a gratuitous ARP), host 2 dropped its entry
for _ in $(seq 50); do eip_at "$H3PID" && ! eip_at "$H2PID" && break; sleep 0.1; done
eip_at "$H3PID" || fail "host 3 does not publish B's EIP after the move: $(on "$H3PID" ip neigh show proxy)"
! eip_at "$H2PID" || fail "host 2 keeps B's EIP's proxy entry after the move"
OK=0
for _ in $(seq 20); do ping -c 1 -W 1 "$EIP" >/dev/null 2>&1 && OK=1 && break; sleep 0.2; done
[ $OK = 1 ] && [ "$(banner)" = SSH-2.0 ] || fail "B's EIP $EIP does not answer after the move"
H3MAC=$(on "$H3PID" cat /sys/class/net/u-h3/address)
[[ "$(ip neigh show "$EIP")" == *"lladdr $H3MAC"* ]] || fail "the underlay reaches $EIP elsewhere than host 3 ($H3MAC): $(ip neigh show "$EIP")"
pass "B's EIP followed it: served by host 3 (ping, SSH banner; the underlay's neighbour entry is host 3's), host 2 dropped its proxy entry"

# a draining host takes no new instance
D=$(run)
ID=$D wait_state RUNNING 60
[ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$D'")" = "$HID3" ] || fail "a new instance went to the draining host"
pass "a new instance goes to host 3, not to the draining host 2"

# ---- 4. B's disk came along ----
ID=$B
api cvm StopInstances --InstanceIds "[\"$B\"]" --StopType HARD >/dev/null
wait_state STOPPED 30
api cvm StartInstances --InstanceIds "[\"$B\"]" >/dev/null
wait_state RUNNING 30
for _ in $(seq 100); do grep -q "YUN-DISK boot-count=2" "$H3/instances/$B/serial.log" 2>/dev/null && break; sleep 0.1; done
grep -q "YUN-DISK boot-count=2" "$H3/instances/$B/serial.log" ||
  fail "B's disk on host 3 does not hold its first boot: $(grep YUN-DISK "$H3/instances/$B/serial.log")"
pass "B's disk came along: restarted on host 3, it counts boot 2 (the test took $(($(date +%s) - T_START)) s)"
