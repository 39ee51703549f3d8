#!/usr/bin/env bash
# Live migration without shared storage between joined hosts and the built-in host, and draining a host
# (src/compute/migration.c, src/host/realise.c, the QEMU driver's start_incoming/migrate_out/migrate_resume). A
# control plane whose built-in host (host 1, 10.77.0.1: its host_listen address is its underlay) realises instances,
# and two joined hosts, each in a network and mount namespace of its own, on one underlay bridge (host 2 at
# 10.77.0.2, host 3 at 10.77.0.3):
#   0. the built-in host holds its migration credentials: DATA/ca.crt (the region CA's, as the joined hosts got at
#      their join), host.key (PKCS#8, 0600), host.crt (CN and DNS name host-local, clientAuth and serverAuth, the CA's)
#   1. guest A on host 1 (launched while it is the only host; SSH works there); host 1 is then made full in the store
#      (512 MiB) so guest B boots on host 2 and steps 2-3 leave host 1 out; B's init writes its boot count to its
#      system disk; host 3 joins; B gets a cloud disk (10 GiB) and writes 8 MiB of random data to it (read back
#      over SSH by its EIP). A pings B every 0.2 s and holds a TCP connection to B's port 22 (dropbear's banner
#      read, the client's version line not sent yet)
#   2. refused, changing nothing: a migration to a host without room (ResourceInsufficient), to a host of another
#      pool (a dedicated host: InvalidParameterValue), to a DOWN host (ResourceUnavailable); a drain with no room
#      elsewhere starts nothing and says why
#   3. `yun admin hosts drain host-2`: B migrates live to host 3 (LatestOperation MigrateInstance OPERATING while
#      it moves, RUNNING throughout), then SUCCESS; host_id is host 3's; host 2 has no QEMU, directory or tap of B;
#      while host 3 waits for B (host 2's agent held meanwhile) its NBD port is open to host 2 only (a connection
#      from the control plane's address is reset), and closed again after the move; from host 2's address, NBD and
#      the migration port refuse a client without TLS or with host 3's certificate (authz: the source's only); the
#      streams captured on host 3's underlay link (tests/lib/migration_tls.py) are TLS records only;
#      A's TCP connection survived (the version line sent after the move gets dropbear's key exchange back); the
#      ping loss is printed (what the guest's pause costs); a new instance goes to host 3, not the draining host 2
#      B's cloud disk came along: ATTACHED, recorded on host 3 with the move, its file there and gone from host 2,
#      the guest reads back its data; a failed move before (2b) left it on host 2, its file and data intact and
#      no copy on host 3
#   4. B's disk came along: stopped and started again on host 3, its init counts boot 2 from the disk, and its
#      cloud disk, plugged again at the boot, holds its data
#   5. a TCP stream to A (an echo server on A, a client in host 3's router namespace of the VPC, which stays there
#      while host 1's goes with A: tests/lib/tcp_stream.py, a line every 20 ms) and a ping every 0.2 s from there:
#      MigrateInstance moves A from host 1 (built-in) to host 2 (joined); host 1 holds nothing of it after; A's cloud
#      disk (4 MiB of random data, its file made by host 1 at the attach) goes along: recorded on host 2, its file there
#   6. the issue's scenario: `yun admin hosts drain host-2` moves A live back to host 1 (built-in) while the stream
#      flows (host 1's migration ports open to host 2 only meanwhile): every line echoed in order on the one
#      connection, the longest gap and the ping loss printed; host 2 holds nothing of A, host 3's FDB entry of A
#      follows it; A's cloud disk is back on host 1 (its file there, gone from host 2) with its data; A's disks came
#      along twice: restarted on host 1, its init counts boot 2 and its cloud disk holds its data
#   7. host 1's realiser goes on with its other instances during a move: A's move to host 3 held (host 3 drops host
#      1's packets to its migration ports), E launched onto host 1 is RUNNING while the move is still READY; the move
#      then ends (FAILED or SUCCESS) with A RUNNING
#   B's EIP follows the move: published (proxy neighbour on the uplink) by host 2 before, by host 3 after (a
#   gratuitous ARP moves the underlay's entry), host 2's entry gone; ping and SSH banner by the EIP both times
# Needs root, unshare, nsenter, iproute2, python3, sqlite3, openssl.
cd "$(dirname "$0")/../.."
NAME=migrate
source tests/lib/hosts.sh
H2=$WORK/h2 H3=$WORK/h3
sql() { sqlite3 "$CP/yun.db" "$1"; }
on() { nsenter -t "$1" -n -m -- "${@:2}"; } # a command on a host, by its pid (its network and its /run/netns)

T_START=$(date +%s)
echo '{"host_listen": "10.77.0.1:9510"}' >"$WORK/cp.json"
control_start yund --data "$CP" --config "$WORK/cp.json" --listen 127.0.0.1:9600
TOKEN=$("$YUN" admin hosts --data "$CP" token 2>/dev/null)

# ---- 0. the built-in host's migration credentials ----
openssl verify -CAfile "$CP/ca.crt" "$CP/host.crt" >/dev/null || fail "host 1's certificate is not the region CA's"
CERT=$(openssl x509 -in "$CP/host.crt" -noout -subject -ext subjectAltName,extendedKeyUsage)
[[ "$CERT" == *"CN = host-local"* && "$CERT" == *"DNS:host-local"* && "$CERT" == *"TLS Web Client Authentication"* &&
  "$CERT" == *"TLS Web Server Authentication"* ]] || fail "host 1's certificate: $CERT"
[ "$(stat -c %a "$CP/host.key")" = 600 ] && grep -q -- "-----BEGIN PRIVATE KEY-----" "$CP/host.key" ||
  fail "host 1's key is not a 0600 PKCS#8 PEM"
[ "$(openssl pkey -in "$CP/host.key" -pubout)" = "$(openssl x509 -in "$CP/host.crt" -noout -pubkey)" ] ||
  fail "host 1's certificate is not of its key"
pass "host 1 (built-in) holds its migration credentials: the region CA's certificate, its key, its certificate"

guests_setup '[{"Protocol":"TCP","Port":"22,7000","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"},{"Protocol":"ICMP","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"}]'

# ---- 1. A on host 1, B on host 2; host 3 joins ----
A=$(run)
ID=$A wait_state RUNNING 60
[ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$A'")" = host-local ] || fail "A is not on host 1"
MEM1=$(sql "SELECT memory_mib FROM hosts WHERE host_id = 'host-local'")
sql "UPDATE hosts SET memory_mib = 512 WHERE host_id = 'host-local'" # full till step 5: B and its moves go elsewhere
host_start 2 "$TOKEN" 10.77.0.1:9510
H2PID=${HPID[2]} HID2=${HID[2]}
TOKEN=$("$YUN" admin hosts --data "$CP" token 2>/dev/null)
B=$(run)
ID=$B wait_state RUNNING 60
[ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$B'")" = "$HID2" ] || fail "B is not on host 2"
host_start 3 "$TOKEN" 10.77.0.1:9510
H3PID=${HPID[3]} HID3=${HID[3]}
cmp -s "$CP/ca.crt" "$H2/ca.crt" || fail "host 1's ca.crt is not the CA host 2 got at its join"
IPA=$(ID=$A inst PrivateIpAddresses.0)
IPB=$(ID=$B inst PrivateIpAddresses.0)
VPC=$(ID=$B inst VirtualPrivateCloud.VpcId)
[ "$(ID=$A inst VirtualPrivateCloud.VpcId)" = "$VPC" ] || fail "A and B are in different VPCs"
NS=yv-${VPC: -8}
ssh_a() { ip netns exec "$NS" ssh -i "$WORK/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$IPA" "$@"; }
for _ in $(seq 60); do ssh_a true 2>/dev/null && break; sleep 1; done
ssh_a true || fail "no SSH to A ($IPA) on host 1"
# (B's init counts its boot on its system disk, fetches its metadata from host 2, then starts dropbear)
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

# B's cloud disk on host 2 (10 GiB), 8 MiB of random data written by B; read back over SSH by B's EIP
ssh_b() { ssh -i "$WORK/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
  -o ConnectTimeout=5 -o LogLevel=ERROR "root@$EIP" "$@"; }
DISK=$(api cbs CreateDisks --Placement.Zone ap-local-1 --DiskType CLOUD_PREMIUM --DiskSize 10 \
  --DiskChargeType POSTPAID_BY_HOUR | field DiskIdSet.0)
dstate() { api cbs DescribeDisks --DiskIds "[\"$DISK\"]" | field DiskSet.0.DiskState; }
dhost() { sql "SELECT host_id FROM cbs_disks WHERE disk_id = '$DISK'"; }
ondev() { # ondev CMD: CMD in B with $D the device of serial $DISK
  ssh_b "D=; for d in /sys/block/vd*; do [ \"\$(cat \$d/serial 2>/dev/null)\" = $DISK ] && D=/dev/\${d##*/}; done; [ -n \"\$D\" ] && { $1; }"
}
dsum() { ondev 'echo 3 >/proc/sys/vm/drop_caches; dd if=$D bs=1M count=8 2>/dev/null | md5sum' </dev/null | cut -c1-32; }
for _ in $(seq 100); do [ "$(dstate)" = UNATTACHED ] && break; sleep 0.1; done
api cbs AttachDisks --DiskIds "[\"$DISK\"]" --InstanceId "$B" >/dev/null
for _ in $(seq 200); do [ "$(dstate)" = ATTACHED ] && [ "$(sql "SELECT plug_port FROM cbs_disks WHERE disk_id = '$DISK'")" -ge 0 ] && break; sleep 0.1; done
[ "$(dstate)" = ATTACHED ] && [ "$(dhost)" = "$HID2" ] && [ -s "$H2/disks/$DISK.qcow2" ] || fail "$DISK is not attached to B on host 2: $(dstate)"
[ "$(sql "SELECT plug_port FROM cbs_disks WHERE disk_id = '$DISK'")" -ge 0 ] || fail "host 2 did not report where $DISK is plugged"
for _ in $(seq 50); do [ -n "$(ondev 'echo $D' </dev/null 2>/dev/null)" ] && break; sleep 0.2; done
ondev 'dd if=/dev/urandom of=$D bs=1M count=8 conv=fsync 2>/dev/null' </dev/null || fail "B cannot write $DISK"
SUM=$(dsum)
[ ${#SUM} = 32 ] && [ "$SUM" != "$(head -c $((8 << 20)) /dev/zero | md5sum | cut -c1-32)" ] || fail "B's $DISK: $SUM"
pass "B on host 2 wrote 8 MiB of random data to its cloud disk $DISK (10 GiB, md5 $SUM)"

# ---- 2. refused ----
OP0=$(ID=$B inst LatestOperation)
sql "UPDATE hosts SET memory_mib = 512 WHERE host_id = '$HID3'" # B's 1 GiB does not fit
OUT=$(api cvm MigrateInstance --InstanceId "$B" --HostId "$HID3" 2>&1 || true)
echo "$OUT" | grep -q ResourceInsufficient || fail "a migration to a full host: $OUT"
OUT=$("$YUN" admin hosts --data "$CP" drain "$HID2")
echo "$OUT" | grep -q '"Migrating":\[\]' && echo "$OUT" | grep -q ResourceInsufficient ||
  fail "draining host 2 with no room elsewhere: $OUT"
sql "UPDATE hosts SET memory_mib = 65536 WHERE host_id = '$HID3'"
"$YUN" admin hosts --data "$CP" sellable "$HID3" --dedicated >/dev/null
OUT=$(api cvm MigrateInstance --InstanceId "$B" --HostId "$HID3" 2>&1 || true)
echo "$OUT" | grep -q InvalidParameterValue && echo "$OUT" | grep -q "not in the zone and pool" ||
  fail "a migration to a host of another pool: $OUT"
"$YUN" admin hosts --data "$CP" sellable "$HID3" --shared >/dev/null
sql "INSERT INTO hosts (host_id, zone, hostname, cores, vcpus, memory_mib, accel, accel_reason, state, updated, joined,
  realises, underlay) VALUES ('host-gone', 'ap-local-1', 'gone', 2, 8, 65536, 'tcg', '', 'DOWN', 0, 1, 1, '10.77.0.9')"
OUT=$(api cvm MigrateInstance --InstanceId "$B" --HostId host-gone 2>&1 || true)
echo "$OUT" | grep -q ResourceUnavailable && echo "$OUT" | grep -q DOWN || fail "a migration to a DOWN host: $OUT"
[ "$(sql "SELECT migrate_to FROM instances WHERE instance_id = '$B'")" = "" ] || fail "a refused migration was recorded"
[ "$(ID=$B inst LatestOperation)" = "$OP0" ] && [ "$(ID=$B inst InstanceState)" = RUNNING ] || fail "B changed"
"$YUN" admin hosts --data "$CP" undrain "$HID2" >/dev/null
pass "refused: no room on the target (ResourceInsufficient), a target of another pool (InvalidParameterValue), a DOWN target (ResourceUnavailable); nothing changed"

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
for _ in $(seq 50); do [ ! -e "$H3/instances/$B" ] && ! pgrep -f -- "$H3/instances/$B" >/dev/null &&
  [ ! -e "$H3/disks/$DISK.qcow2" ] && break; sleep 0.1; done
[ ! -e "$H3/instances/$B" ] && ! pgrep -f -- "$H3/instances/$B" >/dev/null || fail "host 3 kept its half of the failed move"
[ ! -e "$H3/disks/$DISK.qcow2" ] || fail "host 3 kept its blank copy of $DISK after the failed move"
ssh_a "ping -c 1 -W 2 $IPB" >/dev/null || fail "B does not answer on host 2 after the failed move"
[ "$(dstate)" = ATTACHED ] && [ "$(dhost)" = "$HID2" ] && [ -s "$H2/disks/$DISK.qcow2" ] ||
  fail "$DISK did not stay on host 2: $(dstate) $(dhost)"
[ "$(dsum)" = "$SUM" ] || fail "B's $DISK does not hold its data after the failed move"
on "$H2PID" nft delete table inet yuntest
pass "a failed move (the NBD port refused): FAILED with the reason (\"$WHY\"), B runs on host 2, host 3 removed its half (its copy of $DISK too); $DISK stays on host 2, attached, its file and data intact"

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

# B's cloud disk came along: recorded on host 3 with the move, attached, its data in the guest; host 2 removed its file
[ "$(dhost)" = "$HID3" ] || fail "$DISK is recorded on $(dhost), not host 3"
[ "$(dstate)" = ATTACHED ] && [ "$(api cbs DescribeDisks --DiskIds "[\"$DISK\"]" | field DiskSet.0.InstanceId)" = "$B" ] ||
  fail "$DISK after the move: $(dstate)"
for _ in $(seq 50); do [ ! -e "$H2/disks/$DISK.qcow2" ] && break; sleep 0.1; done
[ ! -e "$H2/disks/$DISK.qcow2" ] || fail "host 2 kept $DISK's file after the move"
[ -s "$H3/disks/$DISK.qcow2" ] || fail "no file of $DISK on host 3"
[ "$(dsum)" = "$SUM" ] || fail "B's $DISK does not hold its data on host 3: $(dsum)"
pass "B's cloud disk $DISK came along: ATTACHED to B, recorded on host 3, its file there and gone from host 2; B reads back its 8 MiB (md5 $SUM)"

# a draining host takes no new instance
D=$(run)
ID=$D wait_state RUNNING 60
[ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$D'")" = "$HID3" ] || fail "a new instance went to the draining host"
pass "a new instance goes to host 3, not to the draining host 2"
sql "UPDATE hosts SET memory_mib = $MEM1 WHERE host_id = 'host-local'"

# ---- 4. B's disk came along ----
ID=$B
api cvm StopInstances --InstanceIds "[\"$B\"]" --StopType HARD >/dev/null
wait_state STOPPED 30
api cvm StartInstances --InstanceIds "[\"$B\"]" >/dev/null
wait_state RUNNING 30
for _ in $(seq 100); do grep -q "YUN-DISK boot-count=2" "$H3/instances/$B/serial.log" 2>/dev/null && break; sleep 0.1; done
grep -q "YUN-DISK boot-count=2" "$H3/instances/$B/serial.log" ||
  fail "B's disk on host 3 does not hold its first boot: $(grep YUN-DISK "$H3/instances/$B/serial.log")"
for _ in $(seq 30); do ssh_b true 2>/dev/null && break; sleep 1; done
[ "$(dsum)" = "$SUM" ] || fail "B's $DISK on host 3 after a restart: $(dsum)"
pass "B's disks came along: restarted on host 3, it counts boot 2, and its cloud disk (plugged again at the boot) holds its data"


# ---- 5. A, on host 1 (built-in), moves to host 2 (joined) by MigrateInstance while a TCP stream to it flows ----
# The stream's client is D on host 3, which stays put: it sends a numbered line to an echo server on A every 20 ms
# and logs each echo with its own uptime (tests/lib/tcp_stream.py checks the log); D pings A every 0.2 s. (Only a
# guest can be the client: a host's router namespace shares the VPC's gateway address, whose replies go to the
# router of the host A is on.)
"$YUN" admin hosts --data "$CP" undrain "$HID2" >/dev/null
# A's cloud disk on host 1 (built-in), made and plugged by host 1's realiser as a joined host's are: 4 MiB of random
# data, which goes with A to host 2 and back
ADISK=$(api cbs CreateDisks --Placement.Zone ap-local-1 --DiskType CLOUD_PREMIUM --DiskSize 10 \
  --DiskChargeType POSTPAID_BY_HOUR | field DiskIdSet.0)
adisk() { sql "SELECT state || '/' || host_id || '/' || (plug_port >= 0) FROM cbs_disks WHERE disk_id = '$ADISK'"; }
aondev() { # aondev CMD: CMD in A with $D the device of serial $ADISK
  ssh_a "D=; for d in /sys/block/vd*; do [ \"\$(cat \$d/serial 2>/dev/null)\" = $ADISK ] && D=/dev/\${d##*/}; done; [ -n \"\$D\" ] && { $1; }"
}
asum() { aondev 'echo 3 >/proc/sys/vm/drop_caches; dd if=$D bs=1M count=4 2>/dev/null | md5sum' </dev/null | cut -c1-32; }
[ ! -e "$CP/disks/$ADISK.qcow2" ] || fail "a file of $ADISK before its first attach"
api cbs AttachDisks --DiskIds "[\"$ADISK\"]" --InstanceId "$A" >/dev/null
for _ in $(seq 200); do [ "$(adisk)" = ATTACHED/host-local/1 ] && break; sleep 0.1; done
[ "$(adisk)" = ATTACHED/host-local/1 ] && [ -s "$CP/disks/$ADISK.qcow2" ] || fail "A's disk $ADISK on host 1: $(adisk)"
for _ in $(seq 50); do [ -n "$(aondev 'echo $D' </dev/null 2>/dev/null)" ] && break; sleep 0.2; done
aondev 'dd if=/dev/urandom of=$D bs=1M count=4 conv=fsync 2>/dev/null' </dev/null || fail "A cannot write $ADISK"
ASUM=$(asum)
[ ${#ASUM} = 32 ] && [ "$ASUM" != "$(head -c $((4 << 20)) /dev/zero | md5sum | cut -c1-32)" ] || fail "A's $ADISK: $ASUM"
pass "A on host 1 (built-in) wrote 4 MiB of random data to its cloud disk $ADISK (file made at the attach by host 1, md5 $ASUM)"
moved() { # moved ID HOST: ID's move to HOST recorded (60 s at most); while it moves, host 1's migration ports seen
  for _ in $(seq 600); do
    [ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$1'")" = "$2" ] && return 0
    [ "$(sql "SELECT latest_op_state FROM instances WHERE instance_id = '$1'")" = FAILED ] &&
      fail "the migration of $1 failed: $(sql "SELECT reason FROM instances WHERE instance_id = '$1'")"
    [[ "$(nft list chain inet yun input 2>/dev/null)" == *"ip saddr 10.77.0.2 tcp dport { 7800, 7801 } accept"* ]] &&
      OPEN1=1
    sleep 0.1
  done
  fail "$1 did not move to $2: $(sql "SELECT host_id, migrate_to, latest_op_state FROM instances WHERE instance_id = '$1'")"
}
gone() { # gone DIR: no directory and no QEMU of an instance there
  for _ in $(seq 50); do [ ! -e "$1" ] && ! pgrep -f -- "$1" >/dev/null && return 0; sleep 0.1; done
  fail "$1 or a QEMU of it is still there"
}
IPD=$(ID=$D inst PrivateIpAddresses.0)
ssh_d() { on "$H3PID" ip netns exec "$NS" ssh -i "$WORK/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$IPD" "$@"; }
lines() { ssh_d "wc -l </tmp/echo" </dev/null; }
loss() { ssh_d "kill -INT \$(pidof ping) 2>/dev/null; sleep 0.3; grep -o '[0-9]* packets transmitted, [0-9]* packets received' /tmp/ping" </dev/null || true; }
stream() { # the stream's log so far, checked (FROM TO: the longest gap among those lines)
  ssh_d "cat /tmp/echo" </dev/null >"$WORK/echo.log"
  python3 tests/lib/tcp_stream.py check "$WORK/echo.log" "$@"
}
ssh_a "(nc -ll -p 7000 -e cat </dev/null >/dev/null 2>&1 &)" </dev/null # the echo server
for _ in $(seq 60); do ssh_d true 2>/dev/null && break; sleep 1; done
ssh_d "cat >/tmp/stream.sh" <<SH || fail "no SSH to D ($IPD) on host 3"
i=0
while :; do echo \$i; i=\$((i + 1)); usleep 20000; done | nc $IPA 7000 |
  while read -r l; do read -r up _ </proc/uptime; echo "\$up \$l"; done >/tmp/echo
SH
ssh_d "(sh /tmp/stream.sh </dev/null >/dev/null 2>&1 &); (ping -i 0.2 $IPA >/tmp/ping 2>&1 &)" </dev/null
for _ in $(seq 50); do [ "$(lines)" -gt 10 ] && break; sleep 0.1; done
[ "$(lines)" -gt 10 ] || fail "no TCP stream from D to A: $(ssh_d "cat /tmp/echo" </dev/null | tail -3)"
OPEN1=0 N0=$(lines)
T0=$(date +%s.%N)
OUT=$(api cvm MigrateInstance --InstanceId "$A" --HostId "$HID2")
[ "$(echo "$OUT" | field HostId)" = "$HID2" ] || fail "MigrateInstance of A to host 2: $OUT"
moved "$A" "$HID2"
T1=$(date +%s.%N)
MACA=$(sql "SELECT mac FROM instances WHERE instance_id = '$A'")
for _ in $(seq 100); do [[ "$(on "$H3PID" bridge fdb show dev "$NS-x")" == *"$MACA dst 10.77.0.2 "* ]] && break; sleep 0.1; done
[[ "$(on "$H3PID" bridge fdb show dev "$NS-x")" == *"$MACA dst 10.77.0.2 "* ]] ||
  fail "host 3's FDB entry of A did not follow it to host 2: $(on "$H3PID" bridge fdb show dev "$NS-x")"
T2=$(date +%s.%N)
ID=$A
[ "$(inst InstanceState)" = RUNNING ] && [ "$(inst LatestOperationState)" = SUCCESS ] ||
  fail "A: $(inst InstanceState) $(inst LatestOperation) $(inst LatestOperationState)"
gone "$CP/instances/$A"
pgrep -f -- "$H2/instances/$A" >/dev/null || fail "no QEMU of A on host 2"
for _ in $(seq 50); do [ ! -e "$CP/disks/$ADISK.qcow2" ] && break; sleep 0.1; done
[ "$(adisk)" = "ATTACHED/$HID2/1" ] && [ -s "$H2/disks/$ADISK.qcow2" ] && [ ! -e "$CP/disks/$ADISK.qcow2" ] ||
  fail "A's cloud disk did not move to host 2 with it: $(adisk)"
! ip link show "yt-${A: -8}" >/dev/null 2>&1 || fail "host 1 kept A's tap"
N1=$(lines)
for _ in $(seq 100); do [ "$(lines)" -gt $((N1 + 25)) ] && break; sleep 0.2; done
[ "$(lines)" -gt $((N1 + 25)) ] || fail "the TCP stream to A stopped after its move: $(stream)"
SAID=$(stream "$N0" "$(lines)") || fail "$SAID"
pass "MigrateInstance: A moved live from host 1 (built-in) to host 2 in $(python3 -c "print(round($T1 - $T0, 1))") s \
(RUNNING throughout, SUCCESS); host 1 holds nothing of it; host 3's FDB entry of A followed it \
$(python3 -c "print(round($T2 - $T1, 1))") s after the move was recorded; the TCP stream from D to A flows: $SAID; D's ping every \
0.2 s: $(loss)"

# ---- 6. drain host 2: A moves live to host 1 (built-in) while the stream flows; its disk came along ----
sql "UPDATE hosts SET memory_mib = 512 WHERE host_id = '$HID3'" # host 3 full: host 1 is the one target
ssh_d "(ping -i 0.2 $IPA >/tmp/ping 2>&1 &)" </dev/null
OPEN1=0 N0=$(lines)
T0=$(date +%s.%N)
OUT=$("$YUN" admin hosts --data "$CP" drain "$HID2")
echo "$OUT" | grep -q "\"InstanceId\":\"$A\",\"From\":\"$HID2\",\"To\":\"host-local\"" ||
  fail "drain of host 2 did not start A's move to host 1: $OUT"
moved "$A" host-local
T1=$(date +%s.%N)
for _ in $(seq 100); do [[ "$(on "$H3PID" bridge fdb show dev "$NS-x")" == *"$MACA dst 10.77.0.1 "* ]] && break; sleep 0.1; done
[[ "$(on "$H3PID" bridge fdb show dev "$NS-x")" == *"$MACA dst 10.77.0.1 "* ]] ||
  fail "host 3's FDB entry of A did not follow it to host 1: $(on "$H3PID" bridge fdb show dev "$NS-x")"
T2=$(date +%s.%N) # D's frames to A go to host 1 from here: host 3's next heartbeat brought its new plan
sql "UPDATE hosts SET memory_mib = 65536 WHERE host_id = '$HID3'"
[ $OPEN1 = 1 ] || fail "host 1 never opened its migration ports to host 2 while A moved to it"
[ "$(inst InstanceState)" = RUNNING ] && [ "$(inst LatestOperationState)" = SUCCESS ] ||
  fail "A: $(inst InstanceState) $(inst LatestOperation) $(inst LatestOperationState)"
gone "$H2/instances/$A"
pgrep -f -- "$CP/instances/$A" >/dev/null || fail "no QEMU of A on host 1"
for _ in $(seq 50); do [ ! -e "$H2/disks/$ADISK.qcow2" ] && break; sleep 0.1; done
[ "$(adisk)" = ATTACHED/host-local/1 ] && [ -s "$CP/disks/$ADISK.qcow2" ] && [ ! -e "$H2/disks/$ADISK.qcow2" ] ||
  fail "A's cloud disk did not come back to host 1 with it: $(adisk)"
[ "$(asum)" = "$ASUM" ] || fail "A's $ADISK after two moves: $(asum), not $ASUM"
! on "$H2PID" ip link show "yt-${A: -8}" >/dev/null 2>&1 || fail "host 2 kept A's tap"
for _ in $(seq 50); do [[ "$(nft list chain inet yun input)" != *"dport { 7800, 7801 } accept"* ]] && break; sleep 0.1; done
[[ "$(nft list chain inet yun input)" != *"dport { 7800, 7801 } accept"* ]] || fail "host 1 keeps its migration ports open"
N1=$(lines)
for _ in $(seq 100); do [ "$(lines)" -gt $((N1 + 25)) ] && break; sleep 0.2; done
[ "$(lines)" -gt $((N1 + 25)) ] || fail "the TCP stream to A stopped after its move: $(stream)"
SAID=$(stream "$N0" "$(lines)") || fail "$SAID"
pass "drain host 2: A moved live to host 1 (built-in) in $(python3 -c "print(round($T1 - $T0, 1))") s (RUNNING \
throughout, SUCCESS; host 1's migration ports open to host 2 only while it moved, closed after); host 2 holds nothing \
of it, host 3's FDB entry of A followed it $(python3 -c "print(round($T2 - $T1, 1))") s after the move was recorded; the TCP stream from D to A flows: $SAID; D's ping every 0.2 s: $(loss); \
A's cloud disk went to host 2 and back with it, its data intact"
api cvm StopInstances --InstanceIds "[\"$A\"]" --StopType HARD >/dev/null
wait_state STOPPED 30
api cvm StartInstances --InstanceIds "[\"$A\"]" >/dev/null
wait_state RUNNING 30
for _ in $(seq 100); do grep -q "YUN-DISK boot-count=2" "$CP/instances/$A/serial.log" 2>/dev/null && break; sleep 0.1; done
grep -q "YUN-DISK boot-count=2" "$CP/instances/$A/serial.log" ||
  fail "A's disk on host 1 does not hold its first boot: $(grep YUN-DISK "$CP/instances/$A/serial.log")"
for _ in $(seq 60); do ssh_a true 2>/dev/null && break; sleep 1; done
for _ in $(seq 50); do [ -n "$(aondev 'echo $D' </dev/null 2>/dev/null)" ] && break; sleep 0.2; done
[ "$(asum)" = "$ASUM" ] || fail "A's $ADISK after its restart on host 1: $(asum), not $ASUM"
pass "A's disks came along (host 1 to host 2 and back): restarted on host 1, it counts boot 2 and its cloud disk (plugged again at the boot) holds its data (the test took \
$(($(date +%s) - T_START)) s)"

# ---- 7. host 1's realiser goes on with its other instances while a move of A is under way ----
# host 3's migration ports drop host 1's packets (a table of the test's own in host 3's namespace): A's move to host 3
# hangs in its thread on host 1 (the mirror's connection to host 3) until host 1 gives up; meanwhile E, launched
# onto host 1, boots there. (Before the moves had threads of their own, host 1 did nothing else until then.)
on "$H3PID" nft -f - <<'NFT' || fail "cannot hold host 3's migration ports"
table inet yuntest_hold {
  chain in { type filter hook input priority -10; policy accept; ip saddr 10.77.0.1 tcp dport 7800-7899 drop; }
}
NFT
for _ in $(seq 100); do # A's disk plugged again at its restart: its port reported
  OUT=$(api cvm MigrateInstance --InstanceId "$A" --HostId "$HID3" 2>&1) && break
  [[ "$OUT" == *"has not yet reported where"* ]] || break
  sleep 0.1
done
[ "$(echo "$OUT" | field HostId 2>/dev/null)" = "$HID3" ] || fail "MigrateInstance of A to host 3 (held): $OUT"
mstate() { sql "SELECT migrate_state FROM instances WHERE instance_id = '$A'"; }
for _ in $(seq 200); do [ "$(mstate)" = READY ] && break; sleep 0.05; done
[ "$(mstate)" = READY ] || fail "A's move to host 3 is not READY: $(mstate)"
MEM3=$(sql "SELECT memory_mib FROM hosts WHERE host_id = '$HID3'")
sql "UPDATE hosts SET memory_mib = 512 WHERE host_id = '$HID3'" # E goes to host 1 (host 2 is draining)
T0=$(date +%s.%N)
E=$(run)
for _ in $(seq 200); do [ "$(ID=$E inst InstanceState)" = RUNNING ] && break; sleep 0.05; done
T1=$(date +%s.%N)
MOVING=$(sql "SELECT migrate_to || '/' || migrate_state FROM instances WHERE instance_id = '$A'")
sql "UPDATE hosts SET memory_mib = $MEM3 WHERE host_id = '$HID3'"
on "$H3PID" nft delete table inet yuntest_hold
[ "$(ID=$E inst InstanceState)" = RUNNING ] && [ "$(sql "SELECT host_id FROM instances WHERE instance_id = '$E'")" = host-local ] ||
  fail "E is $(ID=$E inst InstanceState) on $(sql "SELECT host_id FROM instances WHERE instance_id = '$E'")"
[ "$MOVING" = "$HID3/READY" ] ||
  fail "E was RUNNING on host 1 only once A's move had ended ($MOVING; A: $(ID=$A inst LatestOperationState))"
for _ in $(seq 600); do [ "$(ID=$A inst LatestOperationState)" != OPERATING ] && break; sleep 0.1; done
[ "$(ID=$A inst LatestOperationState)" != OPERATING ] || fail "A's held move did not end"
ID=$A wait_state RUNNING 30
pass "host 1 booted E (RUNNING $(python3 -c "print(round($T1 - $T0, 1))") s after RunInstances) while A's move to host 3 \
hung on host 3's held ports; the move then ended $(ID=$A inst LatestOperationState) (A RUNNING on \
$(sql "SELECT host_id FROM instances WHERE instance_id = '$A'"))"
api cvm TerminateInstances --InstanceIds "[\"$E\"]" >/dev/null

