# Shared by the tests that run a control plane and joined hosts on one machine (tests/system/host_realise.sh,
# tests/pg/host_failover.sh). Source it after setting NAME (the test's name); it re-runs the test inside a
# private network + mount namespace (lo, an uplink with a default route as a host has, a private /run/netns),
# makes WORK and CP, an underlay bridge u-br at 10.77.0.1/24 for the control plane, and gives:
#   host_start N TOKEN CONTROL   a joined host N (data dir $WORK/hN, address 10.77.0.N) in a network and mount
#                                namespace of its own, on the underlay; sets HPID[N] and HID[N]
#   on_host N CMD...             CMD in host N's namespaces (its network, its /run/netns)
#   api ARGS...                  `yun ARGS --data $CP` (the endpoint of CP's credentials unless --endpoint)
#   field PATH                   a field of the JSON on stdin (a.b.0.c)
#   inst FIELD / wait_state S T  DescribeInstances of $ID (through $ENDPOINT when set)
#   has PATTERN CMD...           CMD's whole output holds PATTERN (grep -q on a pipe is SIGPIPE under pipefail)
#   control_start LOG ARGS...    `yun up ARGS` logging to $WORK/LOG.log, waited for, stopped at the end
#   guests_setup INGRESS         a key pair ($WORK/key, KEY), a security group SG (INGRESS, all egress), IMG;
#                                then `run` launches an S5.SMALL1 with them and prints its id
#   fail, pass                   the verdicts (fail prints the logs in $WORK without API request lines)
set -euo pipefail
YUN=${YUN_BIN:-$PWD/build/yun}
if [ -z "${YUNTEST_IN_NS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "$NAME: needs root"; exit 1; }
  exec unshare --net --mount --propagation private -- env YUNTEST_IN_NS=1 YUN_BIN="$YUN" sh -c '
    ip link set lo up
    ip link add yun-up0 type veth peer name yun-up1 && ip link set yun-up1 up && ip link set yun-up0 up
    ip addr add 192.0.2.2/24 dev yun-up0 && ip route add default via 192.0.2.1
    mount -t sysfs sysfs /sys 2>/dev/null || true
    mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
    exec bash "$0"' "$0"
fi

WORK=$(mktemp -d "/tmp/yuntest-$NAME.XXXXXX")
CP=$WORK/cp
declare -A HPID HID
PROCS=() # yund processes, stopped first
cleanup() {
  set +e
  for p in "${PROCS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for p in "${HPID[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  pkill -9 -f "$WORK/" 2>/dev/null # QEMUs of every host
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do echo "--- $f"; grep -v "\"service\":\"api\"" "$f" | tail -25; done
  exit 1
}
pass() { echo "ok: $*"; }
api() { "$YUN" "$@" --data "$CP"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }
inst() { api cvm DescribeInstances ${ENDPOINT:+--endpoint "$ENDPOINT"} --InstanceIds "[\"$ID\"]" | field "InstanceSet.0.$1"; }
wait_state() { # wait_state STATE SECONDS
  for _ in $(seq $(($2 * 10))); do [ "$(inst InstanceState)" = "$1" ] && return 0; sleep 0.1; done
  fail "$ID is $(inst InstanceState), not $1, after $2 s"
}
has() { local out; out=$("${@:2}" 2>&1) || true; grep -q -- "$1" <<<"$out"; }
on_host() { local n=$1; shift; nsenter -t "${HPID[$n]}" -n -m -- "$@"; }

ip link add u-br type bridge && ip addr add 10.77.0.1/24 dev u-br && ip link set u-br up

host_start() { # host_start N TOKEN CONTROL
  local n=$1 dir=$WORK/h$1
  ip link add "u-$n" type veth peer name "u-h$n" && ip link set "u-$n" master u-br && ip link set "u-$n" up
  unshare --net --mount --propagation private -- sh -c '
    mount -t sysfs sysfs /sys 2>/dev/null || true
    mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
    ip link set lo up
    for _ in $(seq 100); do ip link show "u-h$3" >/dev/null 2>&1 && break; sleep 0.05; done
    ip addr add "10.77.0.$3/24" dev "u-h$3" && ip link set "u-h$3" up && ip route add default via 10.77.0.1
    exec "$0" host join --control "$4" --token "$1" --data "$2"' "$YUN" "$2" "$dir" "$n" "$3" >"$WORK/h$n.log" 2>&1 &
  HPID[$n]=$!
  for _ in $(seq 100); do [ "$(readlink "/proc/${HPID[$n]}/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
  ip link set "u-h$n" netns "${HPID[$n]}"
  for _ in $(seq 100); do grep -q '"State": "UP"' "$WORK/h$n.log" && break; sleep 0.1; done
  grep -q '"State": "UP"' "$WORK/h$n.log" || fail "host $n did not join"
  HID[$n]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["HostId"])' "$dir/host.json")
}

control_start() { # control_start LOG ARGS...
  local log=$WORK/$1.log
  shift
  "$YUN" up "$@" >"$log" 2>&1 &
  PROCS+=($!)
  for _ in $(seq 300); do grep -q "yun is running" "$log" 2>/dev/null && break; sleep 0.1; done
  grep -q "yun is running" "$log" || fail "yun up $* did not start"
}

guests_setup() { # guests_setup INGRESS_POLICIES_JSON
  api cvm CreateKeyPair --KeyName k --ProjectId 0 | field KeyPair.PrivateKey >"$WORK/key" && chmod 600 "$WORK/key"
  KEY=$(api cvm DescribeKeyPairs | field KeyPairSet.0.KeyId)
  SG=$(api vpc CreateSecurityGroup --GroupName guests --GroupDescription "the test's guests" | field SecurityGroup.SecurityGroupId)
  api vpc CreateSecurityGroupPolicies --SecurityGroupId "$SG" --SecurityGroupPolicySet "{\"Ingress\":$1}" >/dev/null
  api vpc CreateSecurityGroupPolicies --SecurityGroupId "$SG" --SecurityGroupPolicySet \
    '{"Egress":[{"Protocol":"ALL","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"}]}' >/dev/null
  IMG=$(api cvm DescribeImages | field ImageSet.0.ImageId)
}
run() { api cvm RunInstances ${ENDPOINT:+--endpoint "$ENDPOINT"} --Placement.Zone ap-local-1 --ImageId "$IMG" \
  --InstanceType S5.SMALL1 --SecurityGroupIds "[\"$SG\"]" --LoginSettings "{\"KeyIds\":[\"$KEY\"]}" | field InstanceIdSet.0; }
