/*
 * The host's network is realised in-process (src/host: rtnetlink + libnftables): a yund with the host
 * role, watched by `strace -f -e trace=execve`, creates 10 VPCs with a subnet each, launches an
 * instance, changes its security group and terminates it, and spawns no `ip`, `nft`, `sysctl` or `tc`
 * process along the way (main before this change: about 20 per apply). The trace must show the
 * processes yund does spawn (qemu-img, QEMU), so a broken trace cannot pass.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startDaemon, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
const TRACE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "yun-noexec-")), "execve.trace");
let d, cvm, vpc, id, sg, vpcs = [];

before(async () => {
  d = await startDaemon({ wrap: ["strace", "-f", "--seccomp-bpf", "-qq", "-s", "128", "-e", "trace=execve", "-o", TRACE] });
  cvm = d.cvm();
  vpc = d.vpc();
});

after(async () => {
  if (d) await d.destroy();
  fs.rmSync(path.dirname(TRACE), { recursive: true, force: true });
});

function execs() {
  return fs.readFileSync(TRACE, "utf8").split("\n")
    .map((l) => l.match(/execve\("([^"]*)"/)).filter(Boolean).map((m) => path.basename(m[1]));
}

test("10 VPCs, an instance's life and a security group change spawn no ip/nft process", async () => {
  for (let i = 0; i < 10; i++) {
    const v = (await vpc.CreateVpc({ VpcName: `v${i}`, CidrBlock: `10.${i}.0.0/16` })).Vpc;
    const s = (await vpc.CreateSubnet({ VpcId: v.VpcId, SubnetName: `s${i}`, CidrBlock: `10.${i}.1.0/24`, Zone: ZONE })).Subnet;
    vpcs.push({ v, s });
  }
  sg = (await vpc.CreateSecurityGroup({ GroupName: "noexec", GroupDescription: "count the work" })).SecurityGroup;
  const image = (await cvm.DescribeImages({})).ImageSet[0].ImageId;
  id = (await cvm.RunInstances({
    Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", InstanceName: "noexec",
    VirtualPrivateCloud: { VpcId: vpcs[3].v.VpcId, SubnetId: vpcs[3].s.SubnetId },
    SecurityGroupIds: [sg.SecurityGroupId],
  })).InstanceIdSet[0];
  await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0].InstanceState,
    (s) => s === "RUNNING", 60000, `${id} RUNNING`);
  // the network was realised: the VPC's bridge, the instance's tap on it, the gateway in the router namespace
  const tail = vpcs[3].v.VpcId.slice(-8);
  const tap = JSON.parse(execFileSync("ip", ["-j", "link", "show", "dev", `yt-${id.slice(-8)}`], { encoding: "utf8" }))[0];
  assert.equal(tap.master, `yv-${tail}`);
  assert.match(execFileSync("ip", ["-n", `yv-${tail}`, "-4", "-o", "addr", "show", "dev", "gw0"], { encoding: "utf8" }),
    / 10\.3\.1\.1\/24 /);
  // a security group change reaches the host's rules (the controller's next pass), still without a process
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sg.SecurityGroupId, SecurityGroupPolicySet: {
    Ingress: [{ Protocol: "TCP", Port: "4321", CidrBlock: "10.3.0.0/16", Action: "ACCEPT" }] } });
  await waitFor(() => execFileSync("nft", ["list", "table", "inet", "yun"], { encoding: "utf8" }),
    (t) => t.includes("4321"), 20000, "the policy in the host's nft rules");
  await cvm.TerminateInstances({ InstanceIds: [id] });
  await waitFor(async () => (await cvm.DescribeInstances({})).TotalCount, (n) => n === 0, 60000, "terminated");
  await waitFor(() => fs.existsSync(`/run/netns/yv-${tail}`), (e) => !e, 20000, "the router namespace removed");
  await d.stop(); // strace writes its last lines as yund exits

  const names = execs();
  assert.ok(names.includes("qemu-img") && names.some((n) => n.startsWith("qemu-system")),
    `the trace shows no qemu-img/QEMU execve, so it traced nothing: ${names.join(" ")}`);
  const spawned = names.filter((n) => ["ip", "nft", "sysctl", "tc", "bridge"].includes(n));
  assert.deepEqual(spawned, [], `yund spawned network tools: ${spawned.length} execve of ${[...new Set(spawned)]}`);
});
