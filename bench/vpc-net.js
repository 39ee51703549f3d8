#!/usr/bin/env node
/*
 * Network and disk benchmark (issue: networks and disks), against a fresh yund:
 *  - guest-to-guest TCP throughput (busybox httpd -> wget, guest clocks) and ping RTT inside one VPC
 *    (two subnets, so through the router namespace), next to the host's own loopback TCP throughput;
 *  - ping RTT from the VPC's router namespace to a guest;
 *  - AttachDisks until the guest sees the block device;
 *  - applying 1,000 security-group rules: API calls, then until the host's nftables hold them.
 * Prints JSON; bench/vpc-net.sh writes bench/vpc-net-results.md from it.
 */
"use strict";
const net = require("node:net");
const { spawnSync } = require("node:child_process");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, waitFor, credOf } = require("../tests/sdk/lib/yund");

const ZONE = "ap-local-1";
const MB = Number(process.env.MB || 16);

function client(d, product, version) {
  const C = tencentcloud[product][version].Client;
  return new C({ credential: credOf(d.creds), region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqTimeout: 60 } } });
}

/* Host loopback TCP throughput: one connection, MB*64 MiB through node's sockets. */
function loopback() {
  return new Promise((resolve) => {
    const total = MB * 64 * 1024 * 1024;
    let got = 0, t0;
    const srv = net.createServer((s) => {
      s.on("data", (b) => { got += b.length; });
      s.on("end", () => { const dt = (performance.now() - t0) / 1000; srv.close(); resolve(got / dt / 1e6); });
    }).listen(0, "127.0.0.1", () => {
      const c = net.connect(srv.address().port, "127.0.0.1", () => {
        t0 = performance.now();
        const chunk = Buffer.alloc(1 << 20);
        let sent = 0;
        const pump = () => { while (sent < total) { sent += chunk.length; if (!c.write(chunk)) return c.once("drain", pump); } c.end(); };
        pump();
      });
    });
  });
}

(async () => {
  const out = { mb: MB };
  out.loopback_MBps = await loopback();
  const d = await startDaemon();
  try {
    const cvm = d.cvm(), vpc = client(d, "vpc", "v20170312"), cbs = client(d, "cbs", "v20170312");
    const image = (await cvm.DescribeImages({})).ImageSet[0].ImageId;
    const key = (await cvm.CreateKeyPair({ KeyName: "bench", ProjectId: 0 })).KeyPair;
    const v = (await vpc.CreateVpc({ VpcName: "bench", CidrBlock: "10.9.0.0/16" })).Vpc;
    const s1 = (await vpc.CreateSubnet({ VpcId: v.VpcId, SubnetName: "s1", CidrBlock: "10.9.1.0/24", Zone: ZONE })).Subnet;
    const s2 = (await vpc.CreateSubnet({ VpcId: v.VpcId, SubnetName: "s2", CidrBlock: "10.9.2.0/24", Zone: ZONE })).Subnet;
    const sg = (await vpc.CreateSecurityGroup({ GroupName: "open", GroupDescription: "bench" })).SecurityGroup.SecurityGroupId;
    await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: {
      Ingress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
    await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: {
      Egress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
    const run = async (subnet, ip) => (await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1",
      VirtualPrivateCloud: { VpcId: v.VpcId, SubnetId: subnet.SubnetId, PrivateIpAddresses: [ip] }, SecurityGroupIds: [sg],
      LoginSettings: { KeyIds: [key.KeyId] } })).InstanceIdSet[0];
    const a = await run(s1, "10.9.1.10"), b = await run(s2, "10.9.2.10");
    for (const id of [a, b])
      await waitFor(async () => (await cvm.request("GetInstanceConsoleOutput", { InstanceId: id })).Output,
        (o) => o.includes("YUN-READY"), 120000, `${id} ready`, 500);
    const ssh = (ip, cmd) => d.ssh(ip, key.PrivateKey, cmd, { vpcId: v.VpcId, timeout: 120000 });

    // TCP: b serves an MB MiB file with busybox httpd, a fetches it with wget (guest clock: /proc/uptime)
    ssh("10.9.2.10", `mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/f bs=1M count=${MB} 2>/dev/null && httpd -p 8000 -h /tmp/www`);
    const r = ssh("10.9.1.10", `s=$(cut -d' ' -f1 /proc/uptime); wget -q -O /tmp/f http://10.9.2.10:8000/f; e=$(cut -d' ' -f1 /proc/uptime); echo "$s $e $(wc -c < /tmp/f)"; rm -f /tmp/f`);
    const [s, e, got] = r.stdout.trim().split(/\s+/).map(Number);
    if (got !== MB * 1048576) throw new Error(`fetched ${got} bytes of ${MB * 1048576}: ${r.stderr}`);
    out.guest_tcp_seconds = e - s;
    out.guest_tcp_MBps = got / (e - s) / 1e6;
    const ping = ssh("10.9.1.10", "ping -c 20 -i 0.2 10.9.2.10 | tail -1");
    out.guest_ping = ping.stdout.trim();
    const rp = spawnSync("ip", ["netns", "exec", `yv-${v.VpcId.slice(-8)}`, "ping", "-c", "20", "-i", "0.2", "10.9.1.10"], { encoding: "utf8" });
    out.router_ping = (rp.stdout.trim().split("\n").pop() || "").trim();

    // AttachDisks until the guest sees it, 5 times
    out.attach_ms = [];
    for (let i = 0; i < 5; i++) {
      const disk = (await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: 10 })).DiskIdSet[0];
      await waitFor(async () => (await cbs.DescribeDisks({ DiskIds: [disk] })).DiskSet[0].DiskState, (st) => st === "UNATTACHED", 30000, "disk made");
      const t0 = performance.now();
      await cbs.AttachDisks({ InstanceId: a, DiskIds: [disk] });
      await waitFor(async () => ssh("10.9.1.10", `for b in /sys/block/vd*; do [ "$(cat $b/serial 2>/dev/null)" = "${disk}" ] && echo \${b##*/}; done; true`),
        (r) => /vd[a-z]/.test(r.stdout), 30000, "guest sees disk", 20);
      out.attach_ms.push(Math.round(performance.now() - t0));
      await cbs.DetachDisks({ DiskIds: [disk] });
      await waitFor(async () => (await cbs.DescribeDisks({ DiskIds: [disk] })).DiskSet[0].DiskState, (st) => st === "UNATTACHED", 30000, "detached");
    }

    // 1,000 security-group rules: 5 groups x (100 ingress + 100 egress), all bound to instance a
    const t0 = performance.now();
    const groups = [];
    for (let g = 0; g < 5; g++) {
      const id = (await vpc.CreateSecurityGroup({ GroupName: `r${g}`, GroupDescription: "bench" })).SecurityGroup.SecurityGroupId;
      const rules = Array.from({ length: 100 }, (_, k) => ({ Protocol: "TCP", Port: String(10000 + g * 100 + k), CidrBlock: `10.${g}.${k}.0/24`, Action: "ACCEPT" }));
      await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: rules } });
      await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Egress: rules } });
      groups.push(id);
    }
    await cvm.ModifyInstancesAttribute({ InstanceIds: [a], SecurityGroups: groups });
    const tApi = performance.now();
    const count = () => (spawnSync("nft", ["list", "table", "inet", "yun"], { encoding: "utf8" }).stdout.match(/ dport 1\d{4} /g) || []).length;
    await waitFor(async () => count(), (n) => n >= 1000, 60000, "1000 rules in nftables", 20);
    out.rules_api_ms = Math.round(tApi - t0);
    out.rules_applied_ms = Math.round(performance.now() - tApi);
    out.rules_in_nft = count();
    await cvm.TerminateInstances({ InstanceIds: [a, b] });
    await waitFor(async () => (await cvm.DescribeInstances({})).TotalCount, (n) => n === 0, 60000, "terminated");
  } finally {
    await d.destroy();
  }
  console.log(JSON.stringify(out, null, 2));
})().catch((e) => { console.error(e); process.exit(1); });
