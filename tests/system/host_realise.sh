#!/usr/bin/env bash
# Instances on a joined host (src/compute/host_doc.c, src/host/realise.c). A control plane (yund with its
# built-in host, host 1, its channel and VXLAN endpoint on 10.77.0.1) and a second host in a network namespace
# of its own, joined over an underlay veth (10.77.0.2), with its own data dir, bridges, nftables and QEMUs:
#   1. guest A boots on host 1 before host 2 joins; then RunInstances spreads guest B to host 2: it fetches the
#      image's parts over the channel (byte for byte the control plane's), makes the system disk and the VPC's
#      network there, boots the guest (YUN-READY in its serial log on host 2), RUNNING by host 2's report
#   2. one VPC across the two hosts: each host's plan has the other as a remote (vxlan FDB entry to its
#      underlay address); A (on host 1, reached over SSH) pings B on host 2 and reads B's SSH banner over TCP;
#      guests' NICs have MTU 1450 (VXLAN's overhead) and a full-size packet crosses; a placement group
#      puts its two instances on the two hosts and refuses a third; gateway ARP stays on each host (A's
#      gateway answers from host 1's router only, though host 2's holds the same address)
#   2a. B's metadata is served on host 2 through the channel (its key pair: SSH into B); host 2's certificate
#      cannot read the metadata of A, an instance of host 1
#   2b. an EIP associated with B: host 2 publishes it on its uplink (a proxy neighbour, a gratuitous ARP), and the
#      underlay side (the test's namespace, the EIP pool on the underlay's link) pings it and reads B's SSH banner;
#      DisassociateAddress removes the entry, and the EIP no longer answers
#   3. B's console output, pushed by host 2 over the channel, served by GetInstanceConsoleOutput (its boot lines);
#      host 2's certificate cannot push the console of A (host 1's)
#   3a. a cloud disk on host 2: with host 2's agent stopped AttachDisks stays ATTACHING, then ATTACHED by its
#      report; the file is made on host 2 (none on host 1, where CreateDisks put it: no file before the first attach); B sees it (serial = disk id, its size)
#      and writes it; ResizeDisk grows it online (B sees the new size); CreateSnapshot: made live by host 2 and kept there, a disk restored from it there
#      holds B's bytes (refused for A on host 1), both deleted by host 2; detached
#      (UNATTACHED by the report, gone from B, the file kept on host 2), refused for A on host 1, grown offline,
#      reattached with B's data; TerminateDisks: host 2 removes the file, then the record goes
#   4. StopInstances: STOPPED, no QEMU left; a disk attached while stopped: its file made (ATTACHED by the
#      report); StartInstances: RUNNING, booted again with the disk plugged; RebootInstances (HARD):
#      RUNNING, a new boot in the log; ResetInstance: RUNNING on a new system disk (its boot count starts over)
#   4a. a soft stop of a guest that ignores the power button for now (paused over QMP) stays STOPPING while
#      another instance of host 2 stops and starts; once resumed it powers off: STOPPED
#   5. its QEMU killed on host 2: STOPPED with the reason, by host 2's report
#   6. TerminateInstances: TERMINATED once host 2 no longer has it (its directory gone), address released,
#      and host 1's plan drops it from its remotes; its disk UNATTACHED, the file kept on host 2
#   6b. RunInstances with DataDisks on host 2: the guest sees its disk, ATTACHED by the report; terminating the
#      instance deletes it (DeleteWithInstance), host 2 removes the file
#   7. host 2 killed with an instance on it: host 2 DOWN and the instance's HostStatus DOWN within the heartbeat
#      window; A on host 1 undisturbed
# Needs root, unshare, nsenter, iproute2, python3.
cd "$(dirname "$0")/../.."
NAME=realise
source tests/lib/hosts.sh
H2=$WORK/h2
h2() { on_host 2 "$@"; }
qemu_of() { pgrep -f -- "$1/instances/$ID" >/dev/null; }
ready_count() { grep -c YUN-READY "$H2/instances/$ID/serial.log" 2>/dev/null || true; }

echo '{"host_listen": "10.77.0.1:9510"}' >"$WORK/cp.json"
control_start yund --data "$CP" --config "$WORK/cp.json" --listen 127.0.0.1:9600
TOKEN=$("$YUN" admin hosts --data "$CP" token 2>/dev/null)

# guest A on host 1 (the only host yet), reachable over SSH from its VPC's router namespace
guests_setup '[{"Protocol":"TCP","Port":"22","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"},{"Protocol":"ICMP","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"}]'
A=$(run)
ID=$A wait_state RUNNING 60
IPA=$(ID=$A inst PrivateIpAddresses.0)
VPC=$(ID=$A inst VirtualPrivateCloud.VpcId)
NS=yv-${VPC: -8}
ssh_a() { ip netns exec "$NS" ssh -i "$WORK/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$IPA" "$@"; }
for _ in $(seq 60); do ssh_a true 2>/dev/null && break; sleep 1; done
ssh_a true || fail "no SSH to guest A ($IPA) on host 1"

host_start 2 "$TOKEN" 10.77.0.1:9510
HID2=${HID[2]} H2PID=${HPID[2]}
has "\"HostId\": *\"$HID2\".*\"Realises\": *\"instances\"" "$YUN" admin hosts --data "$CP" ||
  fail "host 2 does not realise instances: $("$YUN" admin hosts --data "$CP")"

# ---- 1. an instance on host 2 ----
T0=$(date +%s.%N)
ID=$(run)
wait_state RUNNING 60
T1=$(date +%s.%N)
for _ in $(seq 300); do [ "$(ready_count)" -ge 1 ] && break; sleep 0.1; done
[ "$(ready_count)" -ge 1 ] || fail "the guest on host 2 did not boot"
[ "$(sqlite3 "$CP/yun.db" "SELECT host_id FROM instances WHERE instance_id = '$ID'")" = "$HID2" ] || fail "not placed on $HID2"
qemu_of "$H2" || fail "no QEMU of $ID on host 2"
! qemu_of "$CP" || fail "a QEMU of $ID on the control plane's host"
for part in kernel initrd disk; do
  src=$(sqlite3 "$CP/yun.db" "SELECT $part FROM images WHERE image_id = '$IMG'")
  [ -z "$src" ] && continue
  cmp -s "$src" "$H2/images/$IMG/$part" || fail "host 2's copy of the image's $part differs"
done
[ -s "$H2/instances/$ID/system.qcow2" ] || fail "no system disk on host 2"
pass "RunInstances on host 2: image fetched over the channel, RUNNING in $(python3 -c "print(round($T1 - $T0, 1))") s, booted"

# ---- 2. one VPC on two hosts ----
IP=$(inst PrivateIpAddresses.0)
[ "$(inst VirtualPrivateCloud.VpcId)" = "$VPC" ] || fail "B is in another VPC"
h2 ip netns exec "$NS" ping -c 1 -W 5 "$IP" >/dev/null || fail "the guest $IP does not answer in $NS on host 2"
MACB=$(sqlite3 "$CP/yun.db" "SELECT mac FROM instances WHERE instance_id = '$ID'")
MACA=$(sqlite3 "$CP/yun.db" "SELECT mac FROM instances WHERE instance_id = '$A'")
for _ in $(seq 50); do has "$MACB dst 10.77.0.2" bridge fdb show dev "$NS-x" && break; sleep 0.1; done
has "$MACB dst 10.77.0.2" bridge fdb show dev "$NS-x" || fail "host 1 has no FDB entry of B: $(bridge fdb show dev "$NS-x")"
for _ in $(seq 50); do has "$MACA dst 10.77.0.1" h2 bridge fdb show dev "$NS-x" && break; sleep 0.1; done
has "$MACA dst 10.77.0.1" h2 bridge fdb show dev "$NS-x" ||
  fail "host 2 has no FDB entry of A ($MACA): $(h2 bridge fdb show dev "$NS-x")"
OUT=$(ssh_a "ping -c 3 -W 2 $IP" 2>&1) || fail "A ($IPA, host 1) cannot ping B ($IP, host 2): $OUT"
OUT=$(ssh_a "nc -w 5 $IP 22 </dev/null | head -c 8" 2>&1 || true)
[ "${OUT:0:7}" = SSH-2.0 ] || fail "A cannot open TCP to B's port 22 across hosts: $OUT"
[ "$(ssh_a "cat /sys/class/net/eth0/mtu")" = 1450 ] || fail "guest MTU is not 1450"
OUT=$(ssh_a "ping -c 2 -W 3 -s 1422 $IP" 2>&1) || fail "a full 1450-byte packet from A does not reach B: $OUT"
GW=$(ssh_a "ip route show default" | awk '{print $3}')
ROUTER1=$(ip netns exec "$NS" cat /sys/class/net/gw0/address)
ARP=$(ssh_a "arping -c 3 -w 4 -I eth0 $GW" 2>&1 || true)
SEEN=$(echo "$ARP" | grep -io '\[[0-9a-f:]*\]' | tr -d '[]' | tr A-F a-f | sort -u | tr '\n' ' ' || true)
[ "$SEEN" = "$ROUTER1 " ] || fail "A's gateway $GW answered from [$SEEN], not only host 1's router ($ROUTER1): $ARP"
pass "one VPC on two hosts: FDB entries both ways, A pings B and reads its SSH banner over TCP, MTU 1450, its gateway only its own host's router"

# ---- 2a. metadata on host 2: B got its key pair from it; a host cannot read another host's instance ----
ssh_b() { h2 ip netns exec "$NS" ssh -i "$WORK/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$IP" "$@"; }
for _ in $(seq 60); do ssh_b true 2>/dev/null && break; sleep 1; done
ssh_b true || fail "no SSH to B ($IP) on host 2 with the key pair its metadata serves"
[ "$(ssh_b wget -q -O - http://169.254.169.254/latest/meta-data/instance-id)" = "$ID" ] || fail "B's metadata instance-id"
ask() { # ask IP: host 2's own certificate asks the control plane for the metadata of the instance at IP
  printf '{"op":"metadata","VpcId":"%s","Ip":"%s","Method":"GET","Path":"/latest/meta-data/instance-id"}\n' "$VPC" "$1" |
    h2 timeout 5 openssl s_client -quiet -connect 10.77.0.1:9510 -cert "$H2/host.crt" -key "$H2/host.key" \
      -CAfile "$H2/ca.crt" 2>/dev/null | head -c 300 || true
}
[[ "$(ask "$IP")" == *'"Status":200'*"$ID"* ]] || fail "host 2 cannot ask for its own instance's metadata: $(ask "$IP")"
[[ "$(ask "$IPA")" == *'"Status":403'* ]] || fail "host 2 read the metadata of A on host 1: $(ask "$IPA")"
pass "metadata on host 2 (B's key pair, instance-id) through the channel; host 2 is refused A's"

# ---- 2b. an EIP on host 2: published on its uplink (the underlay), reached from the underlay side ----
EIP_ID=$(api vpc AllocateAddresses | field AddressSet.0)
EIP=$(api vpc DescribeAddresses --AddressIds "[\"$EIP_ID\"]" | field AddressSet.0.AddressIp)
ip route add 198.51.100.0/24 dev u-br # the EIP pool is on the underlay's link (as a provider's public subnet)
api vpc AssociateAddress --AddressId "$EIP_ID" --InstanceId "$ID" >/dev/null
for _ in $(seq 50); do has "$EIP .*proto 121" h2 ip neigh show proxy && break; sleep 0.1; done
has "$EIP .*proto 121" h2 ip neigh show proxy || fail "host 2 does not publish B's EIP $EIP: $(h2 ip neigh show proxy)"
ping -c 1 -W 5 "$EIP" >/dev/null || fail "B's EIP $EIP (host 2) does not answer from the underlay"
banner() { timeout 5 bash -c "exec 3<>/dev/tcp/$EIP/22 && head -c 7 <&3" 2>/dev/null || true; }
[ "$(banner)" = SSH-2.0 ] || fail "no SSH banner from B's EIP $EIP: $(banner)"
H2MAC=$(h2 cat /sys/class/net/u-h2/address)
has "lladdr $H2MAC" ip neigh show "$EIP" || fail "the underlay does not reach $EIP at host 2 ($H2MAC): $(ip neigh show "$EIP")"
api vpc DisassociateAddress --AddressId "$EIP_ID" >/dev/null
for _ in $(seq 50); do has "$EIP" h2 ip neigh show proxy || break; sleep 0.1; done
! has "$EIP" h2 ip neigh show proxy || fail "host 2 keeps B's EIP's proxy entry after DisassociateAddress"
ip neigh flush to "$EIP" 2>/dev/null || true
! ping -c 1 -W 2 "$EIP" >/dev/null 2>&1 || fail "B's EIP still answers after DisassociateAddress"
pass "B's EIP on host 2: a proxy neighbour on its uplink, ping and SSH banner from the underlay; disassociated: gone, unreachable"

# ---- 2c. a placement group across the two hosts ----
PS=$(api cvm CreateDisasterRecoverGroup --Name spread --Type HOST | field DisasterRecoverGroupId)
G=$(api cvm RunInstances --Placement.Zone ap-local-1 --ImageId "$IMG" --InstanceType S5.SMALL1 --InstanceCount 2 \
  --DisasterRecoverGroupIds "[\"$PS\"]" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["InstanceIdSet"]))')
HOSTS=$(for g in $G; do sqlite3 "$CP/yun.db" "SELECT host_id FROM instances WHERE instance_id = '$g'"; done | sort -u | wc -l)
[ "$HOSTS" = 2 ] || fail "the placement group's two instances share a host"
OUT=$(api cvm RunInstances --Placement.Zone ap-local-1 --ImageId "$IMG" --InstanceType S5.SMALL1 \
  --DisasterRecoverGroupIds "[\"$PS\"]" 2>&1 || true)
echo "$OUT" | grep -q ResourceInsufficient.DisasterRecoverGroupCvmQuota || fail "a third instance in the group: $OUT"
for g in $G; do ID=$g wait_state RUNNING 60; done
C="" # the group's instance on host 2 stays, for 4a; the other goes
for g in $G; do
  if [ "$(sqlite3 "$CP/yun.db" "SELECT host_id FROM instances WHERE instance_id = '$g'")" = "$HID2" ]; then C=$g
  else api cvm TerminateInstances --InstanceIds "[\"$g\"]" >/dev/null; fi
done
pass "a placement group puts its two instances on the two hosts; a third is refused"

# ---- 3. console output from host 2 ----
console_b() { api cvm GetInstanceConsoleOutput --InstanceId "$ID" | field Output; }
for _ in $(seq 100); do has YUN-READY console_b && break; sleep 0.2; done
has YUN-READY console_b || fail "B's console output (pushed by host 2) lacks its boot: $(console_b | tail -c 300)"
[ "$(sqlite3 "$CP/yun.db" "SELECT host_id FROM host_consoles WHERE instance_id = '$ID'")" = "$HID2" ] || fail "no console row of B from host 2"
push() { # push INSTANCE TEXT: host 2's own certificate pushes a console tail for INSTANCE
  { printf '{"op":"console","InstanceId":"%s","Length":%d}\n%s' "$1" "${#2}" "$2"; sleep 1; } |
    h2 timeout 5 openssl s_client -quiet -connect 10.77.0.1:9510 -cert "$H2/host.crt" -key "$H2/host.key" \
      -CAfile "$H2/ca.crt" 2>/dev/null | head -c 300 || true
}
[[ "$(push "$A" FORGED-BY-HOST-2)" == *'"ok":false'*"not placed on this host"* ]] || fail "host 2 pushed A's console: $(push "$A" x)"
! has FORGED-BY-HOST-2 api cvm GetInstanceConsoleOutput --InstanceId "$A" || fail "A's console shows host 2's push"
[ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM host_consoles WHERE instance_id = '$A'")" = 0 ] || fail "a console row of A"
pass "B's console output on host 2 served (YUN-READY); host 2 is refused a push of A's (host 1's) console"

# ---- 3a. a cloud disk on host 2: attached by host 2's report, seen by the guest, detached, reattached, deleted ----
dstate() { api cbs DescribeDisks --DiskIds "[\"$DISK\"]" | field DiskSet.0.DiskState; }
wait_disk() { # wait_disk STATE SECONDS
  for _ in $(seq $(($2 * 10))); do [ "$(dstate)" = "$1" ] && return 0; sleep 0.1; done
  fail "$DISK is $(dstate), not $1, after $2 s"
}
devof() { ssh_b "for d in /sys/block/vd*; do [ \"\$(cat \$d/serial 2>/dev/null)\" = $1 ] && basename \$d; done" 2>/dev/null || true; }
vdb() { devof "$DISK"; }
DISK=$(api cbs CreateDisks --Placement.Zone ap-local-1 --DiskType CLOUD_PREMIUM --DiskSize 10 --DiskChargeType POSTPAID_BY_HOUR | field DiskIdSet.0)
wait_disk UNATTACHED 10
# the host's agent stopped: the disk stays ATTACHING (nothing is attached before host 2 says so)
kill -STOP "$H2PID"
api cbs AttachDisks --DiskIds "[\"$DISK\"]" --InstanceId "$ID" >/dev/null
sleep 3
[ "$(dstate)" = ATTACHING ] || { kill -CONT "$H2PID"; fail "the disk is $(dstate) with host 2's agent stopped"; }
T0=$(date +%s.%N)
kill -CONT "$H2PID"
wait_disk ATTACHED 20
T1=$(date +%s.%N)
[ -s "$H2/disks/$DISK.qcow2" ] || fail "no file of $DISK on host 2"
[ ! -e "$CP/disks/$DISK.qcow2" ] || fail "the control plane's host keeps a file of $DISK"
[ "$(sqlite3 "$CP/yun.db" "SELECT host_id FROM cbs_disks WHERE disk_id = '$DISK'")" = "$HID2" ] || fail "$DISK not placed on $HID2"
for _ in $(seq 50); do [ -n "$(vdb)" ] && break; sleep 0.2; done
DEV=$(vdb)
[ -n "$DEV" ] || fail "guest B does not see a disk with serial $DISK"
[ "$(ssh_b cat /sys/block/$DEV/size)" = $((10 * 1024 * 1024 * 2)) ] || fail "B's $DEV is not 10 GiB: $(ssh_b cat /sys/block/$DEV/size)"
ssh_b "echo yun-disk-$DISK | dd of=/dev/$DEV bs=512 count=1 conv=sync,fsync 2>/dev/null" || fail "B cannot write $DEV"
pass "AttachDisks on host 2: ATTACHING while its agent is stopped, ATTACHED by its report $(python3 -c "print(round($T1 - $T0, 1))") s after it went on; file on host 2 only; B sees $DEV (serial $DISK, 10 GiB) and writes it"
api cbs ResizeDisk --DiskId "$DISK" --DiskSize 20 >/dev/null
for _ in $(seq 200); do [ "$(api cbs DescribeDisks --DiskIds "[\"$DISK\"]" | field DiskSet.0.DiskSize)" = 20 ] && break; sleep 0.1; done
[ "$(api cbs DescribeDisks --DiskIds "[\"$DISK\"]" | field DiskSet.0.DiskSize)" = 20 ] || fail "ResizeDisk on host 2: $(dstate)"
wait_disk ATTACHED 5
for _ in $(seq 50); do [ "$(ssh_b cat /sys/block/$DEV/size)" = $((20 * 1024 * 1024 * 2)) ] && break; sleep 0.2; done
[ "$(ssh_b cat /sys/block/$DEV/size)" = $((20 * 1024 * 1024 * 2)) ] || fail "B's $DEV did not grow to 20 GiB online"
pass "ResizeDisk on host 2: grown online by host 2 (B sees 20 GiB), the new size by its report"
# a snapshot of the attached disk, made by host 2 while B runs, kept there; a disk restored from it there too
sstate() { api cbs DescribeSnapshots --SnapshotIds "[\"$SNAP\"]" | field SnapshotSet.0.SnapshotState; }
SNAP=$(api cbs CreateSnapshot --DiskId "$DISK" --SnapshotName on-host-2 | field SnapshotId)
for _ in $(seq 200); do [ "$(sstate)" = NORMAL ] && break; sleep 0.1; done
[ "$(sstate)" = NORMAL ] || fail "the snapshot of $DISK on host 2 is $(sstate)"
[ -s "$H2/snapshots/$SNAP.qcow2" ] && [ ! -e "$CP/snapshots/$SNAP.qcow2" ] || fail "$SNAP's file is not on host 2 only"
RD=$(api cbs CreateDisks --Placement.Zone ap-local-1 --DiskType CLOUD_PREMIUM --DiskChargeType POSTPAID_BY_HOUR \
  --SnapshotId "$SNAP" | field DiskIdSet.0)
for _ in $(seq 200); do [ "$(DISK=$RD dstate)" = UNATTACHED ] && break; sleep 0.1; done
[ "$(DISK=$RD dstate)" = UNATTACHED ] || fail "the disk restored from $SNAP is $(DISK=$RD dstate)"
[ -s "$H2/disks/$RD.qcow2" ] && [ ! -e "$CP/disks/$RD.qcow2" ] || fail "$RD's file is not on host 2 only"
OUT=$(api cbs AttachDisks --DiskIds "[\"$RD\"]" --InstanceId "$A" 2>&1 || true)
echo "$OUT" | grep -q UnsupportedOperation || fail "attaching $RD (on host 2) to A on host 1: $OUT"
api cbs AttachDisks --DiskIds "[\"$RD\"]" --InstanceId "$ID" >/dev/null
DISK=$RD wait_disk ATTACHED 20
for _ in $(seq 50); do [ -n "$(devof "$RD")" ] && break; sleep 0.2; done
RDEV=$(devof "$RD")
[ -n "$RDEV" ] || fail "B does not see the restored $RD"
[ "$(ssh_b "dd if=/dev/$RDEV bs=512 count=1 2>/dev/null | head -c 22")" = "yun-disk-$DISK" ] ||
  fail "the disk restored from $SNAP does not hold what B wrote"
api cbs DetachDisks --DiskIds "[\"$RD\"]" >/dev/null
DISK=$RD wait_disk UNATTACHED 30
api cbs TerminateDisks --DiskIds "[\"$RD\"]" >/dev/null
api cbs DeleteSnapshots --SnapshotIds "[\"$SNAP\"]" >/dev/null
for _ in $(seq 100); do [ ! -e "$H2/snapshots/$SNAP.qcow2" ] && [ ! -e "$H2/disks/$RD.qcow2" ] &&
  [ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM cbs_snapshots")" = 0 ] && break; sleep 0.1; done
[ ! -e "$H2/snapshots/$SNAP.qcow2" ] || fail "host 2 kept the deleted snapshot's file"
[ ! -e "$H2/disks/$RD.qcow2" ] || fail "host 2 kept the deleted $RD's file"
[ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM cbs_snapshots")" = 0 ] || fail "the deleted snapshot's record stays"
pass "CreateSnapshot of B's disk on host 2 (live), kept there; a disk restored from it on host 2 holds what B wrote, refused for A; both deleted by host 2"
# a disk on host 2 attaches only to instances there; a blank disk placed on host 1 does not come to host 2
OUT=$(api cbs AttachDisks --DiskIds "[\"$DISK\"]" --InstanceId "$A" 2>&1 || true)
echo "$OUT" | grep -q "ResourceUnavailable\|InvalidDisk" || fail "attaching a disk attached to B to A: $OUT"
api cbs DetachDisks --DiskIds "[\"$DISK\"]" >/dev/null
wait_disk UNATTACHED 30
[ -z "$(vdb)" ] || fail "B still sees $DISK after the detach"
[ -s "$H2/disks/$DISK.qcow2" ] || fail "the detach removed the file on host 2"
OUT=$(api cbs AttachDisks --DiskIds "[\"$DISK\"]" --InstanceId "$A" 2>&1 || true)
echo "$OUT" | grep -q UnsupportedOperation && echo "$OUT" | grep -q "stored on $HID2" ||
  fail "attaching host 2's disk to A on host 1: $OUT"
[ "$(dstate)" = UNATTACHED ] || fail "the refused attach changed the disk"
api cbs ResizeDisk --DiskId "$DISK" --DiskSize 25 >/dev/null # offline, by host 2
for _ in $(seq 200); do [ "$(api cbs DescribeDisks --DiskIds "[\"$DISK\"]" | field DiskSet.0.DiskSize)" = 25 ] && break; sleep 0.1; done
wait_disk UNATTACHED 5
api cbs AttachDisks --DiskIds "[\"$DISK\"]" --InstanceId "$ID" >/dev/null
wait_disk ATTACHED 20
for _ in $(seq 50); do [ -n "$(vdb)" ] && break; sleep 0.2; done
DEV=$(vdb)
[ -n "$DEV" ] || fail "B does not see $DISK after the reattach"
[ "$(ssh_b cat /sys/block/$DEV/size)" = $((25 * 1024 * 1024 * 2)) ] || fail "the detached $DISK did not grow to 25 GiB"
[ "$(ssh_b "dd if=/dev/$DEV bs=512 count=1 2>/dev/null | head -c 22")" = "yun-disk-$DISK" ] ||
  fail "what B wrote is not on the disk after the reattach"
pass "DetachDisks: UNATTACHED by host 2's report, gone from B, file kept; refused for A on host 1; grown offline (25 GiB); reattached to B with what B wrote"
api cbs DetachDisks --DiskIds "[\"$DISK\"]" >/dev/null
wait_disk UNATTACHED 30
api cbs TerminateDisks --DiskIds "[\"$DISK\"]" >/dev/null
for _ in $(seq 100); do [ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM cbs_disks WHERE disk_id = '$DISK'")" = 0 ] && break; sleep 0.1; done
[ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM cbs_disks WHERE disk_id = '$DISK'")" = 0 ] || fail "$DISK's record stays"
[ ! -e "$H2/disks/$DISK.qcow2" ] || fail "host 2 kept the file of the deleted $DISK"
pass "TerminateDisks: host 2 removed the file, then the record went"

# ---- 4. stop, start, reboot ----
api cvm StopInstances --InstanceIds "[\"$ID\"]" --StopType HARD >/dev/null
wait_state STOPPED 30
! qemu_of "$H2" || fail "QEMU still runs on host 2 after the stop"
# a disk attached while B is stopped: its file is made (ATTACHED by the report), plugged at the start
DISK=$(api cbs CreateDisks --Placement.Zone ap-local-1 --DiskType CLOUD_PREMIUM --DiskSize 10 --DiskChargeType POSTPAID_BY_HOUR | field DiskIdSet.0)
wait_disk UNATTACHED 10
api cbs AttachDisks --DiskIds "[\"$DISK\"]" --InstanceId "$ID" >/dev/null
wait_disk ATTACHED 20
[ -s "$H2/disks/$DISK.qcow2" ] || fail "no file of $DISK, attached to the stopped B, on host 2"
api cvm StartInstances --InstanceIds "[\"$ID\"]" >/dev/null
wait_state RUNNING 30
qemu_of "$H2" || fail "no QEMU after the start"
for _ in $(seq 300); do grep -q YUN-READY "$H2/instances/$ID/serial.log" && break; sleep 0.1; done
grep -q YUN-READY "$H2/instances/$ID/serial.log" || fail "not booted after the start"
for _ in $(seq 60); do ssh_b true 2>/dev/null && break; sleep 1; done
for _ in $(seq 50); do [ -n "$(vdb)" ] && break; sleep 0.2; done
[ -n "$(vdb)" ] || fail "B started without $DISK, attached while it was stopped"
api cvm RebootInstances --InstanceIds "[\"$ID\"]" --StopType HARD >/dev/null
wait_state RUNNING 30
for _ in $(seq 300); do [ "$(ready_count)" -ge 2 ] && break; sleep 0.1; done
[ "$(ready_count)" -ge 2 ] || fail "no second boot after the reboot ($(ready_count))"
[ "$(inst LatestOperation)" = RebootInstances ] && [ "$(inst LatestOperationState)" = SUCCESS ] ||
  fail "LatestOperation $(inst LatestOperation) $(inst LatestOperationState)"
boots() { grep -o 'YUN-DISK boot-count=[0-9]*' "$H2/instances/$ID/serial.log" | tail -1 | cut -d= -f2; }
[ "$(boots)" -ge 3 ] || fail "the system disk counted $(boots) boots after launch, start and reboot"
api cvm ResetInstance --InstanceId "$ID" --ImageId "$IMG" >/dev/null
for _ in $(seq 100); do [ "$(inst LatestOperationState)" = SUCCESS ] && [ "$(inst InstanceState)" = RUNNING ] && break; sleep 0.2; done
[ "$(inst LatestOperation)" = ResetInstance ] && [ "$(inst LatestOperationState)" = SUCCESS ] ||
  fail "ResetInstance: $(inst InstanceState) $(inst LatestOperationState)"
for _ in $(seq 300); do [ "$(boots)" = 1 ] && grep -q YUN-READY "$H2/instances/$ID/serial.log" && break; sleep 0.1; done
[ "$(boots)" = 1 ] || fail "ResetInstance kept the old system disk (boot count $(boots))"
pass "stop (no QEMU left), a disk attached while stopped (its file made), start (booted, the disk plugged), reboot (booted again, SUCCESS), ResetInstance (a new system disk) on host 2"

# ---- 4a. a soft stop waits for its guest without holding up the host's other instances ----
# B's guest paused through its QMP socket ignores the power button until it runs again: its soft stop stays
# STOPPING while C, on the same host, stops and starts
qmp() { python3 - "$H2/instances/$1/qmp.sock" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while "return" not in (line := json.loads(f.readline())):
        if "error" in line: sys.exit(line["error"]["desc"])
EOF
}
qmp "$ID" stop || fail "cannot pause B"
api cvm StopInstances --InstanceIds "[\"$ID\"]" --StopType SOFT >/dev/null
sleep 1
[ "$(inst InstanceState)" = STOPPING ] || fail "B is $(inst InstanceState) after a soft stop of a paused guest"
T0=$(date +%s.%N)
api cvm StopInstances --InstanceIds "[\"$C\"]" --StopType HARD >/dev/null
ID=$C wait_state STOPPED 10
api cvm StartInstances --InstanceIds "[\"$C\"]" >/dev/null
ID=$C wait_state RUNNING 15
T1=$(date +%s.%N)
[ "$(inst InstanceState)" = STOPPING ] || fail "B is $(inst InstanceState) while it ignores the power button"
qmp "$ID" cont || fail "cannot resume B"
wait_state STOPPED 30
! qemu_of "$H2" || fail "QEMU still runs on host 2 after B's soft stop"
api cvm StartInstances --InstanceIds "[\"$ID\"]" >/dev/null
wait_state RUNNING 30
api cvm TerminateInstances --InstanceIds "[\"$C\"]" >/dev/null
pass "a soft stop under way (B's guest paused, STOPPING) held up no other instance: C stopped and started in $(python3 -c "print(round($T1 - $T0, 1))") s; B STOPPED once resumed"

# ---- 5. its QEMU dies ----
pkill -9 -f -- "$H2/instances/$ID"
wait_state STOPPED 15
pass "QEMU killed on host 2: STOPPED by its report"

# ---- 6. terminate ----
api cvm TerminateInstances --InstanceIds "[\"$ID\"]" >/dev/null
for _ in $(seq 150); do [ "$(sqlite3 "$CP/yun.db" "SELECT state FROM instances WHERE instance_id = '$ID'")" = TERMINATED ] && break; sleep 0.1; done
[ "$(sqlite3 "$CP/yun.db" "SELECT state FROM instances WHERE instance_id = '$ID'")" = TERMINATED ] || fail "not TERMINATED"
[ ! -e "$H2/instances/$ID" ] || fail "host 2 kept the instance's directory"
[ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM ip_allocations WHERE ip = '$IP' AND instance_id = '$ID'")" = 0 ] ||
  fail "the address $IP was not released"
# (the bridge's own learned entry of B's MAC on that port ages out as any does: only the vxlan entry is the plan's)
for _ in $(seq 30); do has "$MACB dst" bridge fdb show dev "$NS-x" || break; sleep 0.1; done
! has "$MACB dst" bridge fdb show dev "$NS-x" || fail "host 1 keeps B's vxlan FDB entry"
wait_disk UNATTACHED 10
[ -s "$H2/disks/$DISK.qcow2" ] || fail "the terminated instance's disk $DISK lost its file on host 2"
pass "TerminateInstances: TERMINATED once host 2 removed it; host 1 forgot it; its disk UNATTACHED, its file kept on host 2"

# ---- 6b. RunInstances with DataDisks on host 2: the disk is in the host's first document of the instance ----
ID=$(api cvm RunInstances --Placement.Zone ap-local-1 --ImageId "$IMG" --InstanceType S5.SMALL1 \
  --SecurityGroupIds "[\"$SG\"]" --LoginSettings "{\"KeyIds\":[\"$KEY\"]}" \
  --DataDisks '[{"DiskSize":20,"DiskType":"CLOUD_PREMIUM"}]' | field InstanceIdSet.0)
[ "$(sqlite3 "$CP/yun.db" "SELECT host_id FROM instances WHERE instance_id = '$ID'")" = "$HID2" ] || fail "$ID not on $HID2"
DISK=$(sqlite3 "$CP/yun.db" "SELECT disk_id FROM cbs_disks WHERE instance_id = '$ID'")
[ -n "$DISK" ] || fail "RunInstances recorded no data disk"
wait_state RUNNING 60
wait_disk ATTACHED 30
[ -s "$H2/disks/$DISK.qcow2" ] || fail "no file of the launch's $DISK on host 2"
IP=$(inst PrivateIpAddresses.0)
for _ in $(seq 60); do ssh_b true 2>/dev/null && break; sleep 1; done
for _ in $(seq 50); do [ -n "$(vdb)" ] && break; sleep 0.2; done
DEV=$(vdb)
[ -n "$DEV" ] || fail "the launched guest does not see its data disk $DISK"
[ "$(ssh_b cat /sys/block/$DEV/size)" = $((20 * 1024 * 1024 * 2)) ] || fail "its $DEV is not 20 GiB"
api cvm TerminateInstances --InstanceIds "[\"$ID\"]" >/dev/null
for _ in $(seq 150); do [ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM cbs_disks WHERE disk_id = '$DISK'")" = 0 ] && break; sleep 0.1; done
[ "$(sqlite3 "$CP/yun.db" "SELECT count(*) FROM cbs_disks WHERE disk_id = '$DISK'")" = 0 ] || fail "$DISK outlived its instance"
[ ! -e "$H2/disks/$DISK.qcow2" ] || fail "host 2 kept the file of $DISK after its instance"
pass "RunInstances with DataDisks on host 2: the guest boots with its 20 GiB disk ($DEV), ATTACHED by host 2's report; terminated with it (file removed)"

# ---- 7. host 2 dies ----
ID=$(run)
wait_state RUNNING 60
[ "$(inst HostStatus)" = UP ] || fail "HostStatus $(inst HostStatus) on a live host"
{ kill -9 "$H2PID" && wait "$H2PID"; } 2>/dev/null || true
pkill -9 -f -- "$H2/instances/" || true # its guests go with it: the namespace is torn down
T0=$(date +%s.%N)
for _ in $(seq 150); do [ "$(inst HostStatus)" = DOWN ] && break; sleep 0.1; done
T1=$(date +%s.%N)
[ "$(inst HostStatus)" = DOWN ] || fail "an instance of a dead host is not reported DOWN"
has "\"HostId\": *\"$HID2\".*\"State\": *\"DOWN\"" "$YUN" admin hosts --data "$CP" || fail "host 2 not DOWN"
[ "$(ID=$A inst HostStatus)" = UP ] && [ "$(ID=$A inst InstanceState)" = RUNNING ] || fail "A was disturbed"
ssh_a true || fail "A is unreachable after host 2 died"
pass "host 2 killed: DOWN and its instance reported so after $(python3 -c "print(round($T1 - $T0, 1))") s; A on host 1 undisturbed"
