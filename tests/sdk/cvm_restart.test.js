/*
 * Crash safety of the compute controller: yund is killed with SIGKILL while a batch of instances is
 * half launched, then restarted on the same data dir. No instance may be lost, duplicated (two QEMUs)
 * or orphaned (a QEMU or run dir without a live record); every instance ends RUNNING; guests that
 * were already running are not touched (same QEMU pid, SSH keeps working, no reboot). A guest whose
 * QEMU died while yund was down is reported STOPPED with the reason.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { startDaemon, waitFor, sleep } = require("./lib/yund");

const BOOT_MS = 90000;
let d, cvm, common, image, key, sg;
const st = {};

const consoleOf = async (id) => (await common.request("GetInstanceConsoleOutput", { InstanceId: id })).Output;
const all = async () => (await cvm.DescribeInstances({ Limit: 100 })).InstanceSet;
const pidsById = () => {
  const m = {};
  for (const { pid, id } of d.qemuPids()) (m[id] ||= []).push(pid);
  return m;
};
const runDirs = () => fs.readdirSync(path.join(d.dataDir, "instances")).filter((n) => n.startsWith("ins-")).sort();
const reconnect = () => { cvm = d.cvm(); common = d.common("2017-03-12"); };

/* A security group letting SSH in from anywhere (the default group only admits its own members). */
async function sshSecurityGroup(d) {
  const vpc = d.vpc();
  const id = (await vpc.CreateSecurityGroup({ GroupName: "ssh", GroupDescription: "ssh and ping" })).SecurityGroup.SecurityGroupId;
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: {
    Ingress: [{ Protocol: "TCP", Port: "22", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" },
              { Protocol: "ICMP", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: {
    Egress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  return id;
}

before(async () => {
  d = await startDaemon();
  reconnect();
  sg = await sshSecurityGroup(d);
  image = (await cvm.DescribeImages({})).ImageSet[0].ImageId;
  key = (await cvm.CreateKeyPair({ KeyName: "restart_key", ProjectId: 0 })).KeyPair;
});

after(async () => {
  if (!d) return;
  try {
    if (!d.child || d.child.exitCode !== null || d.child.signalCode !== null) { await d.start(); reconnect(); }
    const ids = (await all()).map((i) => i.InstanceId);
    if (ids.length) await cvm.TerminateInstances({ InstanceIds: ids }).catch(() => {});
    await waitFor(() => cvm.DescribeInstances({}), (r) => r.TotalCount === 0, 60000, "all instances gone");
    assert.deepEqual(d.qemuPids(), [], "QEMU processes left after terminating everything");
  } finally {
    await d.destroy();
  }
});

test("a running guest, then a batch of 4; kill -9 while some are PENDING", async () => {
  const first = (await cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceName: "steady",
    LoginSettings: { KeyIds: [key.KeyId] }, SecurityGroupIds: [sg] })).InstanceIdSet[0];
  await waitFor(() => consoleOf(first), (o) => /YUN-READY/.test(o), BOOT_MS, "first guest ready", 250);
  st.first = first;
  const fi = (await cvm.DescribeInstances({ InstanceIds: [first] })).InstanceSet[0];
  st.ip = fi.PrivateIpAddresses[0];
  st.vpc = fi.VirtualPrivateCloud.VpcId;
  st.firstPid = pidsById()[first];
  assert.equal(st.firstPid.length, 1);

  const batch = (await cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceCount: 4,
    InstanceName: "batch-{R:1}", LoginSettings: { KeyIds: [key.KeyId] }, SecurityGroupIds: [sg] })).InstanceIdSet;
  st.ids = [first, ...batch];
  // wait until at least one of the batch has a QEMU while another is still PENDING, then kill yund
  const states = await waitFor(async () => Object.fromEntries((await all()).map((i) => [i.InstanceId, i.InstanceState])),
    (s) => batch.some((id) => s[id] === "RUNNING") && batch.some((id) => s[id] === "PENDING"), 30000, "a half-launched batch", 20);
  const r = await d.kill9();
  assert.equal(r.signal, "SIGKILL");
  st.before = states;
  // a QEMU caught mid -daemonize shows twice (launcher + daemon) for a moment: let launchers finish
  st.pidsBefore = await waitFor(async () => pidsById(), (m) => Object.values(m).every((p) => p.length === 1), 10000, "launchers done", 50);
  const pending = batch.filter((id) => states[id] === "PENDING");
  assert.ok(pending.length >= 1, JSON.stringify(states));
  // guests live on without yund
  assert.deepEqual(st.pidsBefore[first], st.firstPid);
});

test("restart: no lost, duplicated or orphaned instances; every instance ends RUNNING", async () => {
  assert.ok(st.ids, "needs the first test");
  // an orphan run dir (no record) must be cleaned up by the restart
  fs.mkdirSync(path.join(d.dataDir, "instances", "ins-orphan01"), { recursive: true });
  fs.writeFileSync(path.join(d.dataDir, "instances", "ins-orphan01", "serial.log"), "stale\n");
  await d.start();
  reconnect();
  const set = await all();
  assert.deepEqual(set.map((i) => i.InstanceId).sort(), [...st.ids].sort(), "instances lost or invented by the restart");

  const done = await waitFor(all, (s) => s.length === st.ids.length && s.every((i) => i.InstanceState === "RUNNING"),
    BOOT_MS, "every instance RUNNING", 250);
  assert.deepEqual(done.map((i) => i.InstanceId).sort(), [...st.ids].sort());
  for (const i of done) assert.equal(i.LatestOperationState, "SUCCESS", `${i.InstanceId}: ${JSON.stringify(i)}`);
  for (const id of st.ids) await waitFor(() => consoleOf(id), (o) => /YUN-READY/.test(o), BOOT_MS, `${id} ready`, 250);

  // exactly one QEMU per instance, and no other QEMU for this data dir
  const pids = pidsById();
  assert.deepEqual(Object.keys(pids).sort(), [...st.ids].sort(), `QEMUs: ${JSON.stringify(pids)}`);
  for (const id of st.ids) assert.equal(pids[id].length, 1, `${id} has ${pids[id].length} QEMU processes`);
  // guests that were RUNNING before the crash are the same processes (a QEMU of a PENDING instance,
  // started but not yet recorded when yund died, may be replaced by the recovery: one QEMU still, above)
  for (const [id, p] of Object.entries(st.pidsBefore))
    if (id === st.first || st.before[id] === "RUNNING") assert.deepEqual(pids[id], p, `${id} was restarted by the recovery`);
  // run dirs: one per instance, the orphan is gone
  assert.deepEqual(runDirs(), [...st.ids].sort());
  // addresses stay unique
  assert.equal(new Set(done.map((i) => i.PrivateIpAddresses[0])).size, st.ids.length);
});

test("the guest that ran through the crash still serves SSH and did not reboot", async () => {
  const r = d.ssh(st.ip, key.PrivateKey, "cat /mnt/vda/boot-count; cat /run/instance-id", { vpcId: st.vpc, timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split(/\s+/), ["1", st.first]);
  // and every recovered guest is reachable with the key it was launched with
  for (const i of await all()) {
    const s = d.ssh(i.PrivateIpAddresses[0], key.PrivateKey, "cat /run/instance-id", { vpcId: i.VirtualPrivateCloud.VpcId, timeout: 30000 });
    assert.equal(s.status, 0, `${i.InstanceId}: ${s.stderr}`);
    assert.equal(s.stdout.trim(), i.InstanceId);
  }
});

test("a guest whose QEMU died while yund was down is reported STOPPED with the reason, and starts again", async () => {
  await d.kill9();
  const victim = st.ids[1];
  const [pid] = pidsById()[victim];
  process.kill(pid, "SIGKILL");
  await waitFor(() => d.qemuPids().some((p) => p.pid === pid), (alive) => !alive, 10000, "victim QEMU gone", 50);
  await d.start();
  reconnect();
  const v = (await cvm.DescribeInstances({ InstanceIds: [victim] })).InstanceSet[0];
  assert.equal(v.InstanceState, "STOPPED");
  assert.match(v.LatestOperationErrorMsg || "", /not running/);
  const others = (await all()).filter((i) => i.InstanceId !== victim);
  for (const i of others) assert.equal(i.InstanceState, "RUNNING", i.InstanceId);
  const pids = pidsById();
  for (const i of others) assert.equal(pids[i.InstanceId]?.length, 1, `${i.InstanceId}: ${pids[i.InstanceId]}`);
  assert.equal(pids[victim], undefined);

  await cvm.StartInstances({ InstanceIds: [victim] });
  await waitFor(() => consoleOf(victim), (o) => /YUN-DISK boot-count=2[\s\S]*YUN-READY/.test(o), BOOT_MS, "victim rebooted", 250);
  assert.equal((await cvm.DescribeInstances({ InstanceIds: [victim] })).InstanceSet[0].InstanceState, "RUNNING");
  await sleep(0);
});

test("a guest whose QEMU dies under a running yund becomes STOPPED with the reason", async () => {
  const victim = st.ids[2];
  const [pid] = pidsById()[victim];
  process.kill(pid, "SIGKILL");
  const v = await waitFor(() => cvm.DescribeInstances({ InstanceIds: [victim] }), (r) => r.InstanceSet[0].InstanceState === "STOPPED",
    15000, "victim STOPPED", 200);
  assert.match(v.InstanceSet[0].LatestOperationErrorMsg || "", /stopped|failed/);
  assert.deepEqual(pidsById()[victim], undefined);
});

test("a clean stop records the built-in host UNAVAILABLE (no launch is placed there meanwhile); its start AVAILABLE", async () => {
  const state = () => d.sql("SELECT state FROM hosts WHERE host_id = 'host-local'");
  assert.deepEqual(state(), ["AVAILABLE"]);
  await d.stop();
  assert.deepEqual(state(), ["UNAVAILABLE"], "stopped: its realiser no longer runs");
  await d.start();
  reconnect();
  assert.deepEqual(state(), ["AVAILABLE"]);
  for (const i of await all()) if (i.InstanceId !== st.ids[2]) assert.equal(i.InstanceState, "RUNNING", i.InstanceId);
});
