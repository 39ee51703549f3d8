/*
 * Compute, end to end through the official SDK on real guests (QEMU; TCG on hosts without VT-x):
 * the catalogue, key pairs (created and imported), one instance driven through its whole life
 * (launch with a key and user data, console, SSH, stop/start, reboot, reset, rename, terminate),
 * the LatestOperation* fields at each step and the refusals for actions the state does not allow.
 * Guests live in the account's default VPC; the tests reach them from its router namespace.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const os = require("node:os");
const { spawnSync } = require("node:child_process");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const BOOT_MS = 60000; // one TCG boot takes 3-5 s alone; generous for a loaded machine
const ID = (prefix) => new RegExp(`^${prefix}-[a-z0-9]{8}$`);

let d, cvm, common, image;
const st = {};

const consoleOf = async (id) => (await common.request("GetInstanceConsoleOutput", { InstanceId: id })).Output;
const describe1 = async (id) => {
  const r = await cvm.DescribeInstances({ InstanceIds: [id] });
  assert.equal(r.TotalCount, 1, `instance ${id} not found`);
  return r.InstanceSet[0];
};
const waitState = (id, state, ms = BOOT_MS) =>
  waitFor(() => describe1(id), (i) => i.InstanceState === state, ms, `${id} ${state}`, 100);
/* ssh into the instance's VPC (its router namespace yv-*, where the private address is routed) */
const ssh = (key, command) => d.ssh(st.ip, key, command, { vpcId: st.vpc, timeout: 30000 });
const waitConsole = (id, re, ms = BOOT_MS) => waitFor(() => consoleOf(id), (o) => re.test(o), ms, `console of ${id} to match ${re}`, 250);


/* A security group letting SSH and ping in from anywhere (the default group only admits its own members). */
async function sshSecurityGroup(d) {
  const vpc = d.vpc();
  const sg = (await vpc.CreateSecurityGroup({ GroupName: "ssh", GroupDescription: "ssh and ping" })).SecurityGroup.SecurityGroupId;
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: {
    Ingress: [{ Protocol: "TCP", Port: "22", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" },
              { Protocol: "ICMP", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: {
    Egress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  return sg;
}

before(async () => {
  d = await startDaemon();
  cvm = d.cvm();
  common = d.common("2017-03-12");
  st.sg = await sshSecurityGroup(d);
});

after(async () => {
  if (!d) return;
  try { // whatever a failed test left behind
    const left = await cvm.DescribeInstances({ Limit: 100 });
    const ids = left.InstanceSet.filter((i) => i.InstanceState !== "TERMINATING").map((i) => i.InstanceId);
    if (ids.length) await cvm.TerminateInstances({ InstanceIds: ids }).catch(() => {});
    await waitFor(() => cvm.DescribeInstances({}), (r) => r.TotalCount === 0, 30000, "all instances gone");
  } finally {
    await d.destroy();
  }
});

test("catalogue: zones, instance types and the built-in image have the documented shapes", async () => {
  const z = await cvm.DescribeZones({});
  assert.equal(z.TotalCount, z.ZoneSet.length);
  assert.ok(z.ZoneSet.length >= 1);
  for (const zone of z.ZoneSet) {
    assert.match(zone.Zone, /^ap-local-\d+$/);
    assert.equal(typeof zone.ZoneName, "string");
    assert.match(zone.ZoneId, /^\d+$/);
    assert.equal(zone.ZoneState, "AVAILABLE");
  }
  assert.ok(z.ZoneSet.some((x) => x.Zone === "ap-local-1"));

  const t = await cvm.DescribeInstanceTypeConfigs({});
  assert.equal(t.TotalCount, undefined, "DescribeInstanceTypeConfigs has no TotalCount");
  assert.ok(t.InstanceTypeConfigSet.length >= 10);
  for (const c of t.InstanceTypeConfigSet) {
    assert.deepEqual(Object.keys(c).sort(), ["CPU", "FPGA", "GPU", "InstanceFamily", "InstanceType", "Memory", "Zone"]);
    assert.ok(Number.isInteger(c.CPU) && c.CPU > 0 && Number.isInteger(c.Memory) && c.Memory > 0);
  }
  const small = t.InstanceTypeConfigSet.find((c) => c.InstanceType === "S5.SMALL1" && c.Zone === "ap-local-1");
  assert.deepEqual(small, { Zone: "ap-local-1", InstanceType: "S5.SMALL1", InstanceFamily: "S5", CPU: 1, Memory: 1, GPU: 0, FPGA: 0 });
  const big = await cvm.DescribeInstanceTypeConfigs({ Filters: [{ Name: "instance-type", Values: ["S5.2XLARGE32"] }, { Name: "zone", Values: ["ap-local-1"] }] });
  assert.deepEqual(big.InstanceTypeConfigSet.map((c) => [c.InstanceType, c.CPU, c.Memory]), [["S5.2XLARGE32", 8, 32]]);
  await rejectsWith(cvm.DescribeInstanceTypeConfigs({ Filters: [{ Name: "bogus", Values: ["x"] }] }), /^InvalidFilter/);

  const im = await cvm.DescribeImages({ Filters: [{ Name: "image-type", Values: ["PUBLIC_IMAGE"] }] });
  assert.equal(im.TotalCount, im.ImageSet.length);
  image = im.ImageSet.find((i) => i.ImageName === "yun-tiny");
  assert.ok(image, `no yun-tiny in ${JSON.stringify(im)}`);
  assert.match(image.ImageId, ID("img"));
  assert.equal(image.ImageType, "PUBLIC_IMAGE");
  assert.equal(image.ImageState, "NORMAL");
  assert.equal(image.Platform, "Linux");
  assert.equal(image.Architecture, "x86_64");
  assert.match(image.CreatedTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const byId = await cvm.DescribeImages({ ImageIds: [image.ImageId] });
  assert.deepEqual(byId.ImageSet.map((i) => i.ImageId), [image.ImageId]);
  const priv = await cvm.DescribeImages({ Filters: [{ Name: "image-type", Values: ["PRIVATE_IMAGE"] }] });
  assert.equal(priv.TotalCount, 0);
});

test("key pairs: create (private key once), import an ssh-keygen key, duplicates, delete", async () => {
  const c = await cvm.CreateKeyPair({ KeyName: "life_key", ProjectId: 0 });
  const kp = c.KeyPair;
  assert.match(kp.KeyId, ID("skey"));
  assert.equal(kp.KeyName, "life_key");
  assert.match(kp.PublicKey, /^ssh-rsa AAAA/);
  assert.match(kp.PrivateKey, /-----BEGIN (RSA |OPENSSH )?PRIVATE KEY-----/);
  st.key = kp;

  // the private key matches the public key (ssh-keygen derives the public half from it)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "yun-cvm-key-"));
  try {
    fs.writeFileSync(path.join(tmp, "created"), kp.PrivateKey.endsWith("\n") ? kp.PrivateKey : kp.PrivateKey + "\n", { mode: 0o600 });
    const y = spawnSync("ssh-keygen", ["-y", "-f", path.join(tmp, "created")], { encoding: "utf8" });
    assert.equal(y.status, 0, y.stderr);
    assert.equal(y.stdout.trim().split(" ").slice(0, 2).join(" "), kp.PublicKey.trim().split(" ").slice(0, 2).join(" "));

    // import an OpenSSH RSA key made here
    const g = spawnSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "imported@test", "-f", path.join(tmp, "imp")], { encoding: "utf8" });
    assert.equal(g.status, 0, g.stderr);
    st.importedPriv = fs.readFileSync(path.join(tmp, "imp"), "utf8");
    const pub = fs.readFileSync(path.join(tmp, "imp.pub"), "utf8").trim();
    const imp = await cvm.ImportKeyPair({ KeyName: "imported_key", ProjectId: 0, PublicKey: pub });
    assert.match(imp.KeyId, ID("skey"));
    st.imported = imp.KeyId;
    st.importedPub = pub;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // DescribeKeyPairs never returns a private key
  const all = await cvm.DescribeKeyPairs({});
  assert.equal(all.TotalCount, 2);
  for (const k of all.KeyPairSet) {
    assert.ok(!k.PrivateKey, `DescribeKeyPairs returned a private key for ${k.KeyId}`);
    assert.match(k.PublicKey, /^ssh-rsa /);
  }
  const one = await cvm.DescribeKeyPairs({ KeyIds: [st.imported] });
  assert.equal(one.TotalCount, 1);
  assert.equal(one.KeyPairSet[0].KeyName, "imported_key");
  assert.equal(one.KeyPairSet[0].PublicKey.split(" ").slice(0, 2).join(" "), st.importedPub.split(" ").slice(0, 2).join(" "));
  const byName = await cvm.DescribeKeyPairs({ Filters: [{ Name: "key-name", Values: ["life_key"] }] });
  assert.deepEqual(byName.KeyPairSet.map((k) => k.KeyId), [kp.KeyId]);

  await rejectsWith(cvm.CreateKeyPair({ KeyName: "life_key", ProjectId: 0 }), "InvalidKeyPairName.Duplicate");
  await rejectsWith(cvm.ImportKeyPair({ KeyName: "life_key", ProjectId: 0, PublicKey: st.importedPub }), "InvalidKeyPairName.Duplicate");
  await rejectsWith(cvm.CreateKeyPair({ KeyName: "bad-name!", ProjectId: 0 }), /^InvalidKeyPairName/);
  await rejectsWith(cvm.ImportKeyPair({ KeyName: "junk_key", ProjectId: 0, PublicKey: "not a key" }), /^InvalidPublicKey/);

  const spare = (await cvm.CreateKeyPair({ KeyName: "spare_key", ProjectId: 0 })).KeyPair.KeyId;
  await cvm.DeleteKeyPairs({ KeyIds: [spare] });
  assert.equal((await cvm.DescribeKeyPairs({})).TotalCount, 2);
  await rejectsWith(cvm.DeleteKeyPairs({ KeyIds: [spare] }), "InvalidKeyPairId.NotFound");
  // the name is free again
  const again = await cvm.CreateKeyPair({ KeyName: "spare_key", ProjectId: 0 });
  await cvm.DeleteKeyPairs({ KeyIds: [again.KeyPair.KeyId] });
});

test("RunInstances with a key and user data: PENDING then RUNNING, the guest boots and runs the script", async () => {
  assert.ok(image && st.key, "needs the catalogue and key pair tests");
  st.token = `tok${Date.now().toString(36)}`;
  const script = `#!/bin/sh\necho "user-data says ${st.token}"\necho ${st.token} > /root/ud-token\nexit 0\n`;
  const t0 = Date.now();
  const r = await cvm.RunInstances({
    Placement: { Zone: "ap-local-1" }, ImageId: image.ImageId, InstanceType: "S5.SMALL1",
    InstanceName: "life-1", LoginSettings: { KeyIds: [st.key.KeyId] }, SecurityGroupIds: [st.sg],
    UserData: Buffer.from(script).toString("base64"),
    TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "suite", Value: "lifecycle" }] }],
  });
  assert.match(r.RequestId, /^[0-9a-f-]{36}$/);
  assert.equal(r.InstanceIdSet.length, 1);
  const id = r.InstanceIdSet[0];
  assert.match(id, ID("ins"));
  st.id = id;

  // the states seen from the first describe on
  const seen = [];
  const i = await waitFor(async () => {
    const x = await describe1(id);
    if (seen[seen.length - 1] !== x.InstanceState) seen.push(x.InstanceState);
    if (x.InstanceState === "PENDING") {
      assert.equal(x.LatestOperation, "RunInstances");
      assert.equal(x.LatestOperationState, "OPERATING");
    }
    return x;
  }, (x) => x.InstanceState !== "PENDING", BOOT_MS, "leaving PENDING", 20);
  assert.deepEqual(seen, ["PENDING", "RUNNING"], `state sequence ${seen}`);
  assert.equal(i.LatestOperation, "RunInstances");
  assert.equal(i.LatestOperationState, "SUCCESS");
  assert.equal(i.LatestOperationRequestId, r.RequestId);
  assert.equal(i.InstanceName, "life-1");
  assert.equal(i.InstanceType, "S5.SMALL1");
  assert.equal(i.CPU, 1);
  assert.equal(i.Memory, 1);
  assert.equal(i.ImageId, image.ImageId);
  assert.equal(i.Placement.Zone, "ap-local-1");
  assert.deepEqual(i.LoginSettings.KeyIds, [st.key.KeyId]);
  assert.deepEqual(i.Tags, [{ Key: "suite", Value: "lifecycle" }]);
  assert.equal(i.PrivateIpAddresses.length, 1);
  assert.match(i.PrivateIpAddresses[0], /^172\.16\.\d+\.\d+$/); // the default VPC
  assert.match(i.CreatedTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(i.Uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  st.ip = i.PrivateIpAddresses[0];
  st.vpc = i.VirtualPrivateCloud.VpcId;
  const status = await cvm.DescribeInstancesStatus({ InstanceIds: [id] });
  assert.deepEqual(status.InstanceStatusSet, [{ InstanceId: id, InstanceState: "RUNNING" }]);

  const out = await waitConsole(id, /YUN-READY/);
  st.readyMs = Date.now() - t0;
  assert.match(out, /YUN-DISK boot-count=1\b/);
  assert.match(out, new RegExp(`YUN-NET-UP ip=${st.ip.replace(/\./g, "\\.")}/`), "the guest configured the address DescribeInstances reports");
  assert.match(out, new RegExp(`YUN-METADATA-OK instance-id=${id}\\b`));
  assert.match(out, new RegExp(`user-data says ${st.token}`));
  assert.match(out, /YUN-USERDATA-RAN rc=0\b/);
  assert.equal(d.qemuPids().filter((p) => p.id === id).length, 1, "one QEMU process for the instance");
});

test("SSH into the guest with the CreateKeyPair private key", async () => {
  assert.ok(st.ip, "needs a running instance");
  const r = ssh(st.key.PrivateKey, "cat /run/instance-id; echo; cat /root/ud-token; echo sum=$((6*7))");
  assert.equal(r.status, 0, `ssh failed: ${r.stderr}`);
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.trim()).filter(Boolean), [st.id, st.token, "sum=42"]);
  // the imported key is not authorised on this instance
  const denied = ssh(st.importedPriv, "true");
  assert.notEqual(denied.status, 0, "a key not given at launch was accepted");
});

test("actions the state does not allow are refused and change nothing", async () => {
  assert.ok(st.id);
  await rejectsWith(cvm.StartInstances({ InstanceIds: [st.id] }), "UnsupportedOperation.InstanceStateRunning");
  await rejectsWith(cvm.StartInstances({ InstanceIds: ["ins-nothere1"] }), "InvalidInstanceId.NotFound");
  await rejectsWith(cvm.RebootInstances({ InstanceIds: ["ins-nothere1"] }), "InvalidInstanceId.NotFound");
  await rejectsWith(common.request("GetInstanceConsoleOutput", { InstanceId: "ins-nothere1" }), "InvalidInstanceId.NotFound");
  await rejectsWith(cvm.StopInstances({ InstanceIds: [st.id], StopType: "GENTLY" }), /^InvalidParameter/);
  const i = await describe1(st.id);
  assert.equal(i.InstanceState, "RUNNING");
  assert.equal(i.LatestOperation, "RunInstances", "a refused action must not become the latest operation");
});

test("StopInstances SOFT: STOPPING then STOPPED, the QEMU process is gone", async () => {
  const r = await cvm.StopInstances({ InstanceIds: [st.id], StopType: "SOFT" });
  assert.deepEqual(Object.keys(r), ["RequestId"]);
  const first = await describe1(st.id);
  assert.ok(["STOPPING", "STOPPED"].includes(first.InstanceState), first.InstanceState);
  assert.equal(first.LatestOperation, "StopInstances");
  // neither a reboot nor a second stop while stopping/stopped
  await rejectsWith(cvm.RebootInstances({ InstanceIds: [st.id] }),
    ["UnsupportedOperation.InstanceStateStopping", "UnsupportedOperation.InstanceStateStopped"]);
  const i = await waitState(st.id, "STOPPED", 40000);
  assert.equal(i.LatestOperation, "StopInstances");
  assert.equal(i.LatestOperationState, "SUCCESS");
  assert.equal(i.LatestOperationRequestId, r.RequestId);
  assert.deepEqual(d.qemuPids().filter((p) => p.id === st.id), [], "QEMU still runs after STOPPED");
  await rejectsWith(cvm.StopInstances({ InstanceIds: [st.id] }), "UnsupportedOperation.InstanceStateStopped");
  await rejectsWith(cvm.RebootInstances({ InstanceIds: [st.id] }), "UnsupportedOperation.InstanceStateStopped");
});

test("a batch with one refused instance changes none of them", async () => {
  // a second instance, cheap: terminated at once (PENDING or RUNNING both allow terminate)
  const other = (await cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image.ImageId, InstanceName: "life-2" })).InstanceIdSet[0];
  await rejectsWith(cvm.StartInstances({ InstanceIds: [other, st.id] }), /^UnsupportedOperation\.InstanceState(Pending|Running)$/);
  assert.equal((await describe1(st.id)).InstanceState, "STOPPED", "the stopped instance of a refused batch was started");
  // (a terminate that races the launch can be lost, see cvm_launch.test.js: re-send it if life-2 comes back RUNNING)
  await cvm.TerminateInstances({ InstanceIds: [other] });
  await waitFor(async () => {
    const r = await cvm.DescribeInstances({ InstanceIds: [other] });
    if (r.TotalCount && r.InstanceSet[0].InstanceState === "RUNNING") await cvm.TerminateInstances({ InstanceIds: [other] });
    return r;
  }, (r) => r.TotalCount === 0, 30000, "life-2 gone", 250);
});

test("StartInstances: STARTING then RUNNING, the console shows a second boot from the same disk", async () => {
  const r = await cvm.StartInstances({ InstanceIds: [st.id] });
  const i = await waitState(st.id, "RUNNING");
  assert.equal(i.LatestOperation, "StartInstances");
  assert.equal(i.LatestOperationState, "SUCCESS");
  assert.equal(i.LatestOperationRequestId, r.RequestId);
  assert.equal(i.PrivateIpAddresses[0], st.ip, "the private address survives a stop");
  const out = await waitConsole(st.id, /YUN-READY/);
  assert.match(out, /YUN-DISK boot-count=2\b/, "the system disk did not persist across stop/start");
  assert.match(out, /YUN-USERDATA-RAN rc=0\b/);
  const s = ssh(st.key.PrivateKey, "cat /mnt/vda/boot-count");
  assert.equal(s.status, 0, s.stderr);
  assert.equal(s.stdout.trim(), "2");
});

test("RebootInstances: REBOOTING then RUNNING, a new boot (same disk, same QEMU-visible address)", async () => {
  const before = ssh(st.key.PrivateKey, "cut -d' ' -f1 /proc/uptime");
  assert.equal(before.status, 0, before.stderr);
  const r = await cvm.RebootInstances({ InstanceIds: [st.id] });
  const first = await describe1(st.id);
  assert.ok(["REBOOTING", "RUNNING"].includes(first.InstanceState), first.InstanceState);
  assert.equal(first.LatestOperation, "RebootInstances");
  const i = await waitFor(() => describe1(st.id), (x) => x.InstanceState === "RUNNING" && x.LatestOperationState === "SUCCESS",
    BOOT_MS, "reboot done", 100);
  assert.equal(i.LatestOperationRequestId, r.RequestId);
  const out = await waitConsole(st.id, /YUN-DISK boot-count=3\b[\s\S]*YUN-READY/);
  assert.match(out, /YUN-METADATA-OK/);
  const after = ssh(st.key.PrivateKey, "cat /mnt/vda/boot-count");
  assert.equal(after.status, 0, after.stderr);
  assert.equal(after.stdout.trim(), "3");
});

test("ResetInstance: reinstalled from the image with a fresh disk and the imported key", async () => {
  const r = await cvm.ResetInstance({ InstanceId: st.id, LoginSettings: { KeyIds: [st.imported] } });
  const first = await describe1(st.id);
  assert.equal(first.LatestOperation, "ResetInstance");
  assert.equal(first.LatestOperationState, "OPERATING");
  await rejectsWith(cvm.StartInstances({ InstanceIds: [st.id] }), /^UnsupportedOperation\.InstanceState(Stopping|Starting|Running)$/);
  const i = await waitFor(() => describe1(st.id), (x) => x.InstanceState === "RUNNING" && x.LatestOperationState === "SUCCESS",
    BOOT_MS, "reset done", 100);
  assert.equal(i.LatestOperation, "ResetInstance");
  assert.equal(i.LatestOperationRequestId, r.RequestId);
  assert.deepEqual(i.LoginSettings.KeyIds, [st.imported]);
  const out = await waitConsole(st.id, /YUN-READY/);
  assert.match(out, /YUN-DISK boot-count=1\b/, "the reset instance did not get a fresh system disk");
  const ok = ssh(st.importedPriv, "cat /mnt/vda/boot-count");
  assert.equal(ok.status, 0, `the imported key does not log in after the reset: ${ok.stderr}`);
  assert.equal(ok.stdout.trim(), "1");
  assert.notEqual(ssh(st.key.PrivateKey, "true").status, 0, "the replaced key still logs in");
});

test("ModifyInstancesAttribute renames the instance; the name filter finds it", async () => {
  await cvm.ModifyInstancesAttribute({ InstanceIds: [st.id], InstanceName: "renamed-life" });
  const i = await describe1(st.id);
  assert.equal(i.InstanceName, "renamed-life");
  assert.equal(i.InstanceState, "RUNNING");
  const f = await cvm.DescribeInstances({ Filters: [{ Name: "instance-name", Values: ["renamed-life"] }] });
  assert.deepEqual(f.InstanceSet.map((x) => x.InstanceId), [st.id]);
  await rejectsWith(cvm.ModifyInstancesAttribute({ InstanceIds: ["ins-nothere1"], InstanceName: "x" }), "InvalidInstanceId.NotFound");
  await rejectsWith(cvm.ModifyInstancesAttribute({ InstanceIds: [st.id] }), /^MissingParameter|^InvalidParameter/);
});

test("TerminateInstances: the instance, its QEMU, run dir and address are gone", async () => {
  const r = await cvm.TerminateInstances({ InstanceIds: [st.id] });
  assert.deepEqual(Object.keys(r), ["RequestId"]);
  const first = await cvm.DescribeInstances({ InstanceIds: [st.id] });
  if (first.TotalCount) {
    assert.equal(first.InstanceSet[0].InstanceState, "TERMINATING");
    assert.equal(first.InstanceSet[0].LatestOperation, "TerminateInstances");
    await rejectsWith(cvm.StopInstances({ InstanceIds: [st.id] }), /^UnsupportedOperation\.InstanceStateTerminating$|^InvalidInstanceId\.NotFound$/);
  }
  await waitFor(() => cvm.DescribeInstances({ InstanceIds: [st.id] }), (x) => x.TotalCount === 0, 30000, "terminated instance gone");
  assert.ok(!(await cvm.DescribeInstances({})).InstanceSet.some((i) => i.InstanceId === st.id));
  assert.deepEqual(d.qemuPids().filter((p) => p.id === st.id), []);
  assert.ok(!fs.existsSync(path.join(d.dataDir, "instances", st.id)), "run dir left behind");
  await rejectsWith(cvm.StartInstances({ InstanceIds: [st.id] }), "InvalidInstanceId.NotFound");
  await rejectsWith(cvm.TerminateInstances({ InstanceIds: [st.id] }), "InvalidInstanceId.NotFound");
  const s = spawnSync("ip", ["netns", "exec", `yv-${st.vpc.slice(-8)}`, "ping", "-c1", "-W1", st.ip], { encoding: "utf8" });
  assert.notEqual(s.status, 0, "the terminated guest still answers ping");
});
