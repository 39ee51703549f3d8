/*
 * VPC journeys with real guests: reachability inside a VPC (across subnets), isolation between
 * VPCs with overlapping ranges, a security group that blocks then allows TCP, an EIP reachable
 * from the host, and a yund restart that keeps running guests connected.
 * Guests are reached from their VPC's router namespace (yv-<vpc tail>) or through their EIP.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const { startDaemon, waitFor, sleep, freePort } = require("./lib/yund");

let d, cvm, vpc, key, image;
const ZONE = "ap-local-1";

async function launch(name, subnet, ip, sgs) {
  const r = await cvm.RunInstances({
    Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", InstanceName: name,
    VirtualPrivateCloud: { VpcId: subnet.VpcId, SubnetId: subnet.SubnetId, PrivateIpAddresses: [ip] },
    SecurityGroupIds: sgs, LoginSettings: { KeyIds: [key.KeyId] },
  });
  return r.InstanceIdSet[0];
}

async function ready(id) {
  await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0].InstanceState,
    (s) => s === "RUNNING", 60000, `${id} RUNNING`);
  await waitFor(async () => (await cvm.request("GetInstanceConsoleOutput", { InstanceId: id })).Output,
    (o) => o.includes("YUN-READY"), 120000, `${id} booted`, 500);
}

/* ssh from the VPC's router namespace: the host itself has no route into VPCs. */
function guest(vpcId, ip, command) {
  return d.ssh(ip, key.PrivateKey, command, { vpcId, timeout: 30000 });
}

let vpcA, vpcB, a1Sub, a2Sub, bSub, sgSsh, sgWeb, a1, a2, b1;

before(async () => {
  d = await startDaemon();
  cvm = d.cvm();
  vpc = d.vpc();
  image = (await cvm.DescribeImages({})).ImageSet[0].ImageId;
  key = (await cvm.CreateKeyPair({ KeyName: "vpckey", ProjectId: 0 })).KeyPair;
  vpcA = (await vpc.CreateVpc({ VpcName: "a", CidrBlock: "10.0.0.0/16" })).Vpc;
  vpcB = (await vpc.CreateVpc({ VpcName: "b", CidrBlock: "10.0.0.0/16" })).Vpc; // overlaps A on purpose
  a1Sub = (await vpc.CreateSubnet({ VpcId: vpcA.VpcId, SubnetName: "a1", CidrBlock: "10.0.1.0/24", Zone: ZONE })).Subnet;
  a2Sub = (await vpc.CreateSubnet({ VpcId: vpcA.VpcId, SubnetName: "a2", CidrBlock: "10.0.2.0/24", Zone: ZONE })).Subnet;
  bSub = (await vpc.CreateSubnet({ VpcId: vpcB.VpcId, SubnetName: "b", CidrBlock: "10.0.2.0/24", Zone: ZONE })).Subnet;
  sgSsh = (await vpc.CreateSecurityGroup({ GroupName: "ssh", GroupDescription: "ssh and ping from anywhere" })).SecurityGroup;
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sgSsh.SecurityGroupId, SecurityGroupPolicySet: {
    Ingress: [{ Protocol: "TCP", Port: "22", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" },
              { Protocol: "ICMP", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  // like the real API, one request adds policies of one direction
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sgSsh.SecurityGroupId, SecurityGroupPolicySet: {
    Egress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  sgWeb = (await vpc.CreateSecurityGroup({ GroupName: "web", GroupDescription: "port 8080, later" })).SecurityGroup;
  a1 = await launch("a1", a1Sub, "10.0.1.10", [sgSsh.SecurityGroupId]);
  a2 = await launch("a2", a2Sub, "10.0.2.5", [sgSsh.SecurityGroupId, sgWeb.SecurityGroupId]);
  b1 = await launch("b1", bSub, "10.0.2.5", [sgSsh.SecurityGroupId]); // same address as a2, other VPC
  for (const id of [a1, a2, b1]) await ready(id);
});

after(async () => {
  if (cvm) {
    const ids = (await cvm.DescribeInstances({ Limit: 100 })).InstanceSet.map((i) => i.InstanceId);
    if (ids.length) await cvm.TerminateInstances({ InstanceIds: ids });
    await waitFor(async () => (await cvm.DescribeInstances({})).TotalCount, (n) => n === 0, 60000, "terminated");
  }
  if (d) await d.destroy();
});

test("instances report their VPC, subnet and chosen address", async () => {
  const set = (await cvm.DescribeInstances({ InstanceIds: [a1, a2, b1] })).InstanceSet;
  const byId = Object.fromEntries(set.map((i) => [i.InstanceId, i]));
  assert.equal(byId[a1].VirtualPrivateCloud.VpcId, vpcA.VpcId);
  assert.equal(byId[a2].VirtualPrivateCloud.SubnetId, a2Sub.SubnetId);
  assert.deepEqual(byId[b1].PrivateIpAddresses, ["10.0.2.5"]);
  const f = await cvm.DescribeInstances({ Filters: [{ Name: "vpc-id", Values: [vpcB.VpcId] }] });
  assert.deepEqual(f.InstanceSet.map((i) => i.InstanceId), [b1]);
});

test("guests in one VPC reach each other across subnets", async () => {
  const r = guest(vpcA.VpcId, "10.0.1.10", "ping -c 2 -W 2 10.0.2.5 >/dev/null && echo reached");
  assert.match(r.stdout, /reached/, r.stderr);
});

test("overlapping VPCs stay apart: the same address answers as a different guest in each", async () => {
  const name = (vpcId) => guest(vpcId, "10.0.2.5", "hostname").stdout.trim();
  assert.equal(name(vpcA.VpcId), a2);
  assert.equal(name(vpcB.VpcId), b1);
  // nothing crosses between them: B's guest cannot reach an address that exists only in A
  const r = guest(vpcB.VpcId, "10.0.2.5", "ping -c 2 -W 2 10.0.1.10 >/dev/null && echo reached || echo isolated");
  assert.match(r.stdout, /isolated/);
});

test("a security group blocks TCP until a policy allows it", async () => {
  const probe = () => {
    guest(vpcA.VpcId, "10.0.2.5", "(yun-guest listen 8080 >/dev/null 2>&1 &)");
    return guest(vpcA.VpcId, "10.0.1.10", "nc -w 3 10.0.2.5 8080 </dev/null; echo rc=$?").stdout;
  };
  assert.doesNotMatch(probe(), /yun-guest/, "port 8080 open before any policy allowed it");
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sgWeb.SecurityGroupId, SecurityGroupPolicySet: {
    Ingress: [{ Protocol: "TCP", Port: "8080", CidrBlock: "10.0.0.0/16", Action: "ACCEPT" }] } });
  const out = await waitFor(async () => probe(), (o) => /yun-guest/.test(o), 15000, "8080 allowed", 1000);
  assert.match(out, new RegExp(`yun-guest ${a2}`));
});

test("an elastic IP makes a guest reachable from the host", async () => {
  const eip = (await vpc.AllocateAddresses({ AddressCount: 1 })).AddressSet[0];
  await vpc.AssociateAddress({ AddressId: eip, InstanceId: a1 });
  const ip = (await vpc.DescribeAddresses({ AddressIds: [eip] })).AddressSet[0].AddressIp;
  const r = await waitFor(async () => d.ssh(ip, key.PrivateKey, "hostname", { timeout: 30000 }),
    (x) => x.stdout.trim() === a1, 20000, "ssh via EIP", 1000);
  assert.equal(r.stdout.trim(), a1);
  const pub = (await cvm.DescribeInstances({ InstanceIds: [a1] })).InstanceSet[0];
  assert.ok(Array.isArray(pub.PrivateIpAddresses));
  this_eip = ip;
});

let this_eip;

test("a private address is refused at once from the host, instead of hanging", async () => {
  const net = require("node:net");
  const t0 = Date.now();
  const outcome = await new Promise((resolve) => {
    const c = net.connect({ host: "10.0.1.10", port: 22, timeout: 5000 });
    c.on("connect", () => { c.destroy(); resolve("connected"); });
    c.on("timeout", () => { c.destroy(); resolve("timeout"); });
    c.on("error", (e) => resolve(e.code));
  });
  assert.equal(outcome, "EHOSTUNREACH", "the host is told the private address is not reachable from it");
  assert.ok(Date.now() - t0 < 2000, `refused in ${Date.now() - t0} ms`);
  // the guest behind it is still reachable the documented ways: its EIP, and its VPC's namespace
  assert.equal(d.ssh(this_eip, key.PrivateKey, "hostname").stdout.trim(), a1);
});

/* A host service bound to every address (IPv4 and IPv6) that greets whoever connects. A separate
 * process, because ssh runs synchronously here and would stall a server in this one. */
async function hostService(port) {
  const js = `const net = require("net"); const greet = (s) => s.end("yun-host-service\\n");
    net.createServer(greet).listen(${port}, "0.0.0.0");
    net.createServer(greet).listen({ port: ${port}, host: "::", ipv6Only: true }, () => console.log("up"));`;
  const child = spawn(process.execPath, ["-e", js], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  return child;
}

/* The IPv6 link-local address the kernel gives a device with this MAC (EUI-64). */
function linkLocalOf(mac) {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  b[0] ^= 2;
  const w = [b[0] << 8 | b[1], b[2] << 8 | 0xff, 0xfe00 | b[3], b[4] << 8 | b[5]];
  return "fe80::" + w.map((x) => x.toString(16)).join(":");
}

test("a guest reaches nothing on the host but the metadata service; egress and EIPs still work", async () => {
  assert.ok(this_eip, "needs the EIP of the previous test");
  const port = await freePort();
  const svc = await hostService(port);
  try {
    // every address of the host: the LAN, each VPC's transit link (A's own, B's), anything else
    const addrs = Object.values(os.networkInterfaces()).flat()
      .filter((a) => a.family === "IPv4" && !a.internal).map((a) => a.address);
    assert.ok(addrs.some((a) => a.startsWith("100.")), `no transit address among ${addrs}`);
    // and over IPv6 the host's side of A's bridge: the addresses it has (none, once disabled) or would have
    const bridge = `yv-${vpcA.VpcId.slice(-8)}`;
    const ll = linkLocalOf(fs.readFileSync(`/sys/class/net/${bridge}/address`, "utf8").trim());
    const six6 = [...new Set([ll, ...(os.networkInterfaces()[bridge] || []).filter((a) => a.family === "IPv6").map((a) => a.address)])];
    const probes = [...addrs, ...six6.map((a) => `${a}%eth0`)].map((a) =>
      `(echo "${a} $(timeout 4 nc -w 3 ${a} ${port} </dev/null 2>&1 | tr -d '\\n')") &`).join(" ");
    const r = d.ssh(this_eip, key.PrivateKey, `${probes} wait`, { timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, addrs.length + six6.length, r.stdout);
    // no IPv6 at all on the VPC's link: nobody but a1 itself (host, router, a2 on the same bridge) answers
    const linkLocal = (out) => (out.match(/inet6 (fe80::[0-9a-f:]+)/) || [])[1];
    const own = linkLocal(d.ssh(this_eip, key.PrivateKey, "ip -6 -o addr show dev eth0", { timeout: 30000 }).stdout);
    const a2ll = linkLocal(guest(vpcA.VpcId, "10.0.2.5", "ip -6 -o addr show dev eth0").stdout);
    assert.ok(own && a2ll, "the guests have no IPv6 link-local address to test with");
    const six = d.ssh(this_eip, key.PrivateKey, "ping -6 -c 2 -w 3 -I eth0 ff02::1 2>&1; ping -6 -c 1 -w 2 " +
      `${ll}%eth0 2>&1; ping -6 -c 1 -w 2 ${a2ll}%eth0 2>&1; true`, { timeout: 30000 }).stdout;
    const answered = (six.match(/bytes from [0-9a-f:]*[0-9a-f]/g) || []).filter((x) => x !== `bytes from ${own}`);
    assert.deepEqual({ reached: lines.filter((l) => /yun-host-service/.test(l)), six: answered },
      { reached: [], six: [] }, `from the guest (${own}):\n${r.stdout}\n${six}`);
    // what is served on purpose still answers
    const md = d.ssh(this_eip, key.PrivateKey, "wget -q -O - http://169.254.169.254/latest/meta-data/instance-id", { timeout: 30000 });
    assert.equal(md.stdout.trim(), a1);
    // egress: VPC B's guest reaches A's guest through its public address (the host's forward path)
    const out = guest(vpcB.VpcId, "10.0.2.5", `timeout 4 nc -w 3 ${this_eip} 22 </dev/null 2>&1 | head -c 40`).stdout;
    assert.match(out, /SSH-2.0/, "egress to a public address failed");
  } finally {
    svc.kill("SIGKILL");
  }
});

test("a yund restart keeps running guests connected", async () => {
  const pids = d.qemuPids().map((p) => p.pid).sort();
  await d.kill9();
  await d.start();
  assert.deepEqual(d.qemuPids().map((p) => p.pid).sort(), pids, "guests were restarted");
  const r = guest(vpcA.VpcId, "10.0.1.10", "ping -c 2 -W 2 10.0.2.5 >/dev/null && echo reached");
  assert.match(r.stdout, /reached/);
  if (this_eip) assert.equal(d.ssh(this_eip, key.PrivateKey, "hostname", { timeout: 30000 }).stdout.trim(), a1);
  const set = (await cvm.DescribeInstances({ InstanceIds: [a1, a2, b1] })).InstanceSet;
  assert.ok(set.every((i) => i.InstanceState === "RUNNING"));
});

test("a VPC with its quota of 100 subnets gets 100 gateways", async () => {
  for (let n = 3; n <= 100; n++)
    await vpc.CreateSubnet({ VpcId: vpcA.VpcId, SubnetName: `more${n}`, CidrBlock: `10.0.${n}.0/24`, Zone: ZONE });
  await assert.rejects(vpc.CreateSubnet({ VpcId: vpcA.VpcId, SubnetName: "one-more", CidrBlock: "10.0.101.0/24", Zone: ZONE }),
    (e) => /^LimitExceeded/.test(e.code));
  const ns = `yv-${vpcA.VpcId.slice(-8)}`;
  const gateways = () => (d.exec("ip", ["-n", ns, "-4", "-o", "addr", "show", "dev", "gw0"]).stdout.match(/ inet 10\.0\.\d+\.1\//g) || []).length;
  await waitFor(async () => gateways(), (n) => n === 100, 15000, "100 gateways in the router namespace", 300);
  // the last subnet's gateway answers a guest of the first
  const r = guest(vpcA.VpcId, "10.0.1.10", "ping -c 1 -W 2 10.0.100.1 >/dev/null && echo reached");
  assert.match(r.stdout, /reached/);
});

test("bad network input is refused and leaves nothing behind", async () => {
  const before = (await cvm.DescribeInstances({})).TotalCount;
  const bad = (p) => cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", ...p });
  await assert.rejects(bad({ VirtualPrivateCloud: { VpcId: vpcA.VpcId, SubnetId: "subnet-nothere" } }),
    (e) => e.code === "InvalidParameterValue.SubnetNotExist");
  await assert.rejects(bad({ VirtualPrivateCloud: { VpcId: vpcB.VpcId, SubnetId: a1Sub.SubnetId } }),
    (e) => e.code === "InvalidParameterValue.VpcIdNotMatchSubnetId");
  await assert.rejects(bad({ VirtualPrivateCloud: { VpcId: vpcA.VpcId, SubnetId: a1Sub.SubnetId, PrivateIpAddresses: ["10.0.1.10"] } }),
    (e) => /^(InvalidParameterValue|ResourceInUse|InvalidIp)/.test(e.code)); // taken by a1
  await assert.rejects(bad({ VirtualPrivateCloud: { VpcId: vpcA.VpcId, SubnetId: a1Sub.SubnetId }, SecurityGroupIds: ["sg-nothere"] }),
    (e) => e.code === "InvalidSecurityGroupId.NotFound");
  await assert.rejects(vpc.DeleteVpc({ VpcId: vpcA.VpcId }), (e) => e.code === "ResourceInUse");
  assert.equal((await cvm.DescribeInstances({})).TotalCount, before);
});
