#!/usr/bin/env bash
# Guest-to-guest TCP across two hosts (VXLAN between their underlay addresses) vs within one host, in one run:
# a control plane with its built-in host (host 1) and a joined host (host 2) in its own namespaces
# (tests/lib/hosts.sh); guests A and A2 on host 1, B on host 2, all in one subnet of one VPC. B and A2 serve an
# MB MiB file with busybox httpd; A fetches each with wget, timed on A's clock (/proc/uptime), ROUNDS times;
# and ping RTTs. Prints a markdown table. Needs root; guests run under TCG here, which bounds the figures.
#   bench/vxlan-hosts.sh        env: MB=16 ROUNDS=3 YUN_BIN
cd "$(dirname "$0")/.."
NAME=vxlan-bench
source tests/lib/hosts.sh
MB=${MB:-16} ROUNDS=${ROUNDS:-3}

echo '{"host_listen": "10.77.0.1:9510"}' >"$WORK/cp.json"
control_start yund --data "$CP" --config "$WORK/cp.json" --listen 127.0.0.1:9600
guests_setup '[{"Protocol":"ALL","CidrBlock":"0.0.0.0/0","Action":"ACCEPT"}]'
A=$(run)
A2=$(run) # both on host 1, the only host yet
TOKEN=$("$YUN" admin hosts --data "$CP" token 2>/dev/null)
host_start 2 "$TOKEN" 10.77.0.1:9510
B=$(run) # spread: host 2 is the emptiest
for ID in $A $A2 $B; do wait_state RUNNING 90; done
ip_of() { ID=$1 inst PrivateIpAddresses.0; }
IPA=$(ip_of "$A") IPA2=$(ip_of "$A2") IPB=$(ip_of "$B")
NS=yv-$(ID=$A inst VirtualPrivateCloud.VpcId | tail -c 9)
[ "$(sqlite3 "$CP/yun.db" "SELECT host_id FROM instances WHERE instance_id = '$B'")" = "${HID[2]}" ] || fail "B is not on host 2"
SSHO=(-i "$WORK/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR)
g1() { local ip=$1; shift; ip netns exec "$NS" ssh "${SSHO[@]}" "root@$ip" "$@"; }            # a guest of host 1
g2() { local ip=$1; shift; on_host 2 ip netns exec "$NS" ssh "${SSHO[@]}" "root@$ip" "$@"; }  # a guest of host 2
for _ in $(seq 90); do g1 "$IPA" true 2>/dev/null && g1 "$IPA2" true 2>/dev/null && g2 "$IPB" true 2>/dev/null && break; sleep 1; done
serve="mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/f bs=1M count=$MB 2>/dev/null && httpd -p 8000 -h /tmp/www"
g1 "$IPA2" "$serve" && g2 "$IPB" "$serve" || fail "httpd"
fetch() { # MB/s of one fetch by A from $1
  g1 "$IPA" "s=\$(cut -d' ' -f1 /proc/uptime); wget -q -O /tmp/f http://$1:8000/f; e=\$(cut -d' ' -f1 /proc/uptime); \
    n=\$(wc -c < /tmp/f); rm -f /tmp/f; echo \$s \$e \$n" | awk '{ printf "%.1f", $3 / 1048576 / ($2 - $1) }'
}
rtt() { g1 "$IPA" "ping -c 10 -i 0.2 $1" | awk -F'[/ ]' '/min\/avg/ { print $(NF-3) " / " $(NF-2) " / " $(NF-1) }'; }
same=() cross=()
for _ in $(seq "$ROUNDS"); do same+=("$(fetch "$IPA2")"); cross+=("$(fetch "$IPB")"); done
echo "bench/vxlan-hosts.sh (MB=$MB ROUNDS=$ROUNDS) at $(git describe --always --dirty), $(date -u +%FT%TZ), $(nproc) cores"
echo
echo "| guest A (host 1) fetching $MB MiB over TCP from | MB/s, each round | ping RTT min / avg / max (ms) |"
echo "|---|---|---|"
echo "| A2, same host (one bridge) | ${same[*]} | $(rtt "$IPA2") |"
echo "| B, host 2 (VXLAN over the underlay veth) | ${cross[*]} | $(rtt "$IPB") |"
