/*
 * Cloud block storage (cbs 2017-03-12) end to end through the official SDK on real guests: a disk is
 * created, hot-plugged into a running instance (the guest sees a new virtio disk whose serial is the
 * disk id), written with raw bytes of a known checksum, snapshotted while the guest keeps writing,
 * restored into a new disk, detached (the guest no longer sees it) and attached to a second instance
 * that reads the same bytes; it is grown online; the refusals (attached elsewhere, terminate while
 * attached, shrink, quotas) and tenant isolation; a stopped instance gets its disks back at start;
 * offline resize and snapshot; DeleteWithInstance when the instance goes; a disk that never held data has no file
 * (grown as a record, snapshotted as an empty copy by its host). The built-in host makes, plugs and removes the files
 * by its document (src/block/host_disks.c, src/host/realise.c), as a joined host does.
 * YUN_BIN may point at a build that has the block service wired in.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
const BOOT_MS = 90000;
const BLOB_KIB = 1024; // 1 MiB of random bytes at the start of the disk

let d, cvm, cbs, common, image, key;
const st = {};

const cbsClient = (creds) => d.cbs(creds, { timeout: 60 });

const disk1 = async (id, client = cbs) => {
  const r = await client.DescribeDisks({ DiskIds: [id] });
  assert.equal(r.TotalCount, 1, `disk ${id} not found`);
  return r.DiskSet[0];
};
const waitDisk = (id, state, ms = 30000) => waitFor(() => disk1(id), (x) => x.DiskState === state, ms, `${id} ${state}`, 50);
const waitSnap = (id, state, ms = 60000) =>
  waitFor(async () => (await cbs.DescribeSnapshots({ SnapshotIds: [id] })).SnapshotSet[0], (s) => s && s.SnapshotState === state,
    ms, `${id} ${state}`, 100);
const consoleOf = async (id) => (await common.request("GetInstanceConsoleOutput", { InstanceId: id })).Output;

/* Runs a shell command in the guest; fails the test on a non-zero exit. */
function sh(ip, cmd, timeout = 30000) {
  const r = d.ssh(ip, key.PrivateKey, cmd, { timeout });
  assert.equal(r.status, 0, `ssh ${ip} ${cmd}: status ${r.status} ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}
/* The guest's block device whose virtio serial is the disk id ("" if none). */
const devOf = (ip, diskId) =>
  sh(ip, `for b in /sys/block/vd*; do [ "$(cat $b/serial 2>/dev/null)" = "${diskId}" ] && echo \${b##*/}; done; true`);
/* The pid of a process whose command line holds every one of words (0: none). */
function procWith(words) {
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    let cmd;
    try { cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8"); } catch { continue; }
    if (words.every((w) => cmd.includes(w))) return Number(p);
  }
  return 0;
}
const readSum = (ip, dev) => sh(ip, `dd if=/dev/${dev} bs=1024 count=${BLOB_KIB} 2>/dev/null | sha256sum | cut -d' ' -f1`);

before(async () => {
  d = await startDaemon();
  cvm = d.cvm();
  cbs = cbsClient(d.creds);
  common = d.common("2017-03-12");
  image = (await cvm.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
  key = (await cvm.CreateKeyPair({ KeyName: "cbs_key", ProjectId: 0 })).KeyPair;
  const r = await cvm.RunInstances({
    Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", InstanceCount: 2, InstanceName: "cbs",
    LoginSettings: { KeyIds: [key.KeyId] },
  });
  [st.a, st.b] = r.InstanceIdSet;
  for (const id of [st.a, st.b]) await waitFor(() => consoleOf(id), (o) => /YUN-READY/.test(o), BOOT_MS, `${id} ready`, 250);
  const set = (await cvm.DescribeInstances({ InstanceIds: [st.a, st.b] })).InstanceSet;
  st.ipA = set.find((i) => i.InstanceId === st.a).PrivateIpAddresses[0];
  st.ipB = set.find((i) => i.InstanceId === st.b).PrivateIpAddresses[0];
  st.sysA = set.find((i) => i.InstanceId === st.a).SystemDisk.DiskId;
});

after(async () => {
  if (!d) return;
  try {
    const left = (await cvm.DescribeInstances({ Limit: 100 })).InstanceSet.map((i) => i.InstanceId);
    if (left.length) await cvm.TerminateInstances({ InstanceIds: left }).catch(() => {});
    await waitFor(() => cvm.DescribeInstances({}), (r) => r.TotalCount === 0, 60000, "all instances gone");
  } finally {
    await d.destroy();
  }
});

test("CreateDisks and DescribeDisks: the model's shape, ClientToken, system disks, filters, refusals", async () => {
  const token = `cbs-${Date.now()}`;
  const c = await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 10, DiskName: "data1", ClientToken: token });
  assert.equal(c.DiskIdSet.length, 1);
  assert.match(c.DiskIdSet[0], /^disk-[a-z0-9]{8}$/);
  st.disk = c.DiskIdSet[0];
  const again = await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 10, DiskName: "data1", ClientToken: token });
  assert.deepEqual(again.DiskIdSet, c.DiskIdSet, "the same ClientToken answers the same disk");
  // it holds no data yet: its host makes the file at its first attach (which may take it to another host)
  assert.ok(!fs.existsSync(path.join(d.dataDir, "disks", `${st.disk}.qcow2`)), "no file before the first attach");

  const x = await disk1(st.disk);
  for (const k of ["DiskId", "DiskName", "DiskType", "DiskSize", "DiskUsage", "DiskState", "Attached", "InstanceId",
    "DiskChargeType", "Placement", "Portable", "CreateTime", "DeleteWithInstance", "SnapshotCount", "Encrypt", "Shareable",
    "ErrorPrompt", "LastAttachInsId", "InstanceIdList", "Tags"]) assert.ok(k in x, `Disk lacks ${k}`);
  assert.equal(x.DiskName, "data1");
  assert.equal(x.DiskSize, 10);
  assert.equal(x.DiskUsage, "DATA_DISK");
  assert.equal(x.DiskState, "UNATTACHED");
  assert.equal(x.Attached, false);
  assert.equal(x.Placement.Zone, ZONE);
  assert.equal(x.Portable, true);
  assert.match(x.CreateTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

  // system disks of instances are listed (read from compute), with their instance
  const sys = await cbs.DescribeDisks({ Filters: [{ Name: "instance-id", Values: [st.a] }] });
  assert.deepEqual(sys.DiskSet.map((s) => [s.DiskId, s.DiskUsage, s.DiskState, s.InstanceId]), [[st.sysA, "SYSTEM_DISK", "ATTACHED", st.a]]);
  const data = await cbs.DescribeDisks({ Filters: [{ Name: "disk-usage", Values: ["DATA_DISK"] }] });
  assert.deepEqual(data.DiskSet.map((s) => s.DiskId), [st.disk]);
  const all = await cbs.DescribeDisks({ Limit: 100 });
  assert.equal(all.TotalCount, 3);
  const page = await cbs.DescribeDisks({ Offset: 1, Limit: 1 });
  assert.equal(page.TotalCount, 3);
  assert.equal(page.DiskSet.length, 1);
  await rejectsWith(cbs.DescribeDisks({ Filters: [{ Name: "colour", Values: ["red"] }] }), "InvalidFilter");

  await rejectsWith(cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM" }),
    "MissingParameter");
  await rejectsWith(cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 5 }), "InvalidParameterValue");
  await rejectsWith(cbs.CreateDisks({ Placement: { Zone: "ap-guangzhou-3" }, DiskChargeType: "POSTPAID_BY_HOUR",
    DiskType: "CLOUD_PREMIUM", DiskSize: 10 }), "InvalidParameterValue");
  await rejectsWith(cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 10, SnapshotId: "snap-nothere1" }), "InvalidSnapshotId.NotFound");
  // quotas: 10000 GiB and 50 disks per account
  await rejectsWith(cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 10000 }), "LimitExceeded.DiskSizeQuota");
  await rejectsWith(cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 10, DiskCount: 50 }), "LimitExceeded.DiskQuota");
  await rejectsWith(cbs.AttachDisks({ InstanceId: st.a, DiskIds: [st.sysA] }), "ResourceUnavailable.NotPortable");
  assert.equal((await cbs.DescribeDisks({ Filters: [{ Name: "disk-usage", Values: ["DATA_DISK"] }] })).TotalCount, 1);
});

test("AttachDisks hot-plugs into the running guest; raw bytes written there read back", async (t) => {
  assert.equal(devOf(st.ipA, st.disk), "", "the guest has no such disk before the attach");
  const t0 = Date.now();
  await cbs.AttachDisks({ InstanceId: st.a, DiskIds: [st.disk] });
  const dev = await waitFor(() => devOf(st.ipA, st.disk), Boolean, 20000, "the guest to see the disk", 50);
  st.attachMs = Date.now() - t0;
  t.diagnostic(`AttachDisks -> guest sees /dev/${dev}: ${st.attachMs} ms`);
  const x = await waitDisk(st.disk, "ATTACHED");
  assert.equal(x.InstanceId, st.a);
  assert.equal(x.Attached, true);
  assert.ok(fs.existsSync(path.join(d.dataDir, "disks", `${st.disk}.qcow2`)), "the built-in host made its file");
  assert.equal(sh(st.ipA, `cat /sys/block/${dev}/size`), String(10 * 1024 * 1024 * 2), "10 GiB in 512-byte sectors");
  st.sum = sh(st.ipA, `dd if=/dev/urandom of=/tmp/blob bs=1024 count=${BLOB_KIB} 2>/dev/null && sha256sum /tmp/blob | cut -d' ' -f1`);
  assert.match(st.sum, /^[0-9a-f]{64}$/);
  sh(st.ipA, `dd if=/tmp/blob of=/dev/${dev} bs=1024 conv=fsync 2>/dev/null && sync`);
  assert.equal(readSum(st.ipA, dev), st.sum);
  st.devA = dev;
});

test("refusals while attached: attach again or elsewhere, terminate, shrink; another tenant sees nothing", async () => {
  await rejectsWith(cbs.AttachDisks({ InstanceId: st.b, DiskIds: [st.disk] }), "ResourceUnavailable.Attached");
  await rejectsWith(cbs.AttachDisks({ InstanceId: st.a, DiskIds: [st.disk] }), "InvalidDisk.Attached");
  await rejectsWith(cbs.TerminateDisks({ DiskIds: [st.disk] }), "InvalidDisk.Attached");
  await rejectsWith(cbs.ResizeDisk({ DiskId: st.disk, DiskSize: 5 }), "InvalidParameterValue");
  await rejectsWith(cbs.ResizeDisk({ DiskId: st.disk, DiskSize: 10 }), "InvalidParameterValue");
  await rejectsWith(cbs.DetachDisks({ DiskIds: [st.disk], InstanceId: st.b }), "InvalidParameterValue");
  await rejectsWith(cbs.AttachDisks({ InstanceId: "ins-nothere1", DiskIds: [st.disk] }), "InvalidInstanceId.NotFound");

  const other = cbsClient(d.createAccount("cbs-other"));
  assert.equal((await other.DescribeDisks({ DiskIds: [st.disk] })).TotalCount, 0);
  assert.equal((await other.DescribeDisks({})).TotalCount, 0, "no disks, not even the other account's system disks");
  await rejectsWith(other.AttachDisks({ InstanceId: st.a, DiskIds: [st.disk] }), "InvalidInstanceId.NotFound");
  await rejectsWith(other.DetachDisks({ DiskIds: [st.disk] }), "InvalidDiskId.NotFound");
  await rejectsWith(other.TerminateDisks({ DiskIds: [st.disk] }), "InvalidDiskId.NotFound");
  await rejectsWith(other.ResizeDisk({ DiskId: st.disk, DiskSize: 20 }), "InvalidDiskId.NotFound");
  await rejectsWith(other.CreateSnapshot({ DiskId: st.disk }), "InvalidDiskId.NotFound");
  assert.equal((await disk1(st.disk)).DiskState, "ATTACHED");
});

test("CreateSnapshot of the attached disk while the guest writes; a disk made from it has the bytes", async () => {
  // the guest keeps writing past the blob while the snapshot is taken
  sh(st.ipA, `(dd if=/dev/urandom of=/dev/${st.devA} bs=65536 seek=64 count=1600 conv=fsync 2>/dev/null &) ; true`);
  const s = await cbs.CreateSnapshot({ DiskId: st.disk, SnapshotName: "snap1" });
  assert.match(s.SnapshotId, /^snap-[a-z0-9]{8}$/);
  st.snap = s.SnapshotId;
  const done = await waitSnap(st.snap, "NORMAL");
  assert.equal(done.DiskId, st.disk);
  assert.equal(done.DiskSize, 10);
  assert.equal(done.Percent, 100);
  assert.equal(done.SnapshotName, "snap1");
  assert.equal(done.DiskUsage, "DATA_DISK");
  assert.ok(fs.existsSync(path.join(d.dataDir, "snapshots", `${st.snap}.qcow2`)));
  assert.equal((await disk1(st.disk)).SnapshotCount, 1);
  const byDisk = await cbs.DescribeSnapshots({ Filters: [{ Name: "disk-id", Values: [st.disk] }] });
  assert.deepEqual(byDisk.SnapshotSet.map((x) => x.SnapshotId), [st.snap]);

  const other = cbsClient(d.createAccount("cbs-other2"));
  assert.equal((await other.DescribeSnapshots({})).TotalCount, 0);
  await rejectsWith(other.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    SnapshotId: st.snap }), "InvalidSnapshotId.NotFound");
  await rejectsWith(other.DeleteSnapshots({ SnapshotIds: [st.snap] }), "InvalidSnapshotId.NotFound");

  await rejectsWith(cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 5, SnapshotId: st.snap }), /^InvalidParameter/);
  const r = await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    SnapshotId: st.snap, DiskName: "restored" });
  st.restored = r.DiskIdSet[0];
  const x = await waitDisk(st.restored, "UNATTACHED");
  assert.equal(x.DiskSize, 10, "the size of the snapshot when DiskSize is not given");
  await cbs.AttachDisks({ InstanceId: st.b, DiskIds: [st.restored] });
  const dev = await waitFor(() => devOf(st.ipB, st.restored), Boolean, 20000, "instance B to see the restored disk", 50);
  assert.equal(readSum(st.ipB, dev), st.sum, "the restored disk holds the bytes written before the snapshot");
});

test("DetachDisks: the guest loses the disk; attached to another instance it reads the same bytes", async (t) => {
  await cbs.DetachDisks({ DiskIds: [st.disk], InstanceId: st.a });
  const x = await waitDisk(st.disk, "UNATTACHED");
  assert.equal(x.InstanceId, "");
  assert.equal(x.LastAttachInsId, st.a);
  assert.equal(devOf(st.ipA, st.disk), "", "instance A no longer sees the disk");
  const t0 = Date.now();
  await cbs.AttachDisks({ InstanceId: st.b, DiskIds: [st.disk] });
  const dev = await waitFor(() => devOf(st.ipB, st.disk), Boolean, 20000, "instance B to see the disk", 50);
  t.diagnostic(`AttachDisks -> guest B sees /dev/${dev}: ${Date.now() - t0} ms`);
  await waitDisk(st.disk, "ATTACHED");
  assert.equal(readSum(st.ipB, dev), st.sum);
  st.devB = dev;
});

test("ResizeDisk grows an attached disk online; the guest sees the new size", async () => {
  await cbs.ResizeDisk({ DiskId: st.disk, DiskSize: 20 });
  const x = await waitDisk(st.disk, "ATTACHED");
  assert.equal(x.DiskSize, 20);
  await waitFor(() => sh(st.ipB, `cat /sys/block/${st.devB}/size`), (v) => v === String(20 * 1024 * 1024 * 2), 10000,
    "the guest to see 20 GiB");
  assert.equal(readSum(st.ipB, st.devB), st.sum, "growing keeps the data");
});

test("a stopped instance: its host makes the disk's file and it is ATTACHED; at start its QEMU gets every attached disk again", async () => {
  await cvm.StopInstances({ InstanceIds: [st.b], StopType: "HARD" });
  await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [st.b] })).InstanceSet[0].InstanceState, (v) => v === "STOPPED",
    30000, "B stopped");
  assert.equal((await disk1(st.disk)).DiskState, "ATTACHED", "a disk stays attached to a stopped instance");
  const late = (await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 10 })).DiskIdSet[0];
  await cbs.AttachDisks({ InstanceId: st.b, DiskIds: [late] });
  await waitDisk(late, "ATTACHED");
  await cvm.StartInstances({ InstanceIds: [st.b] });
  await waitFor(() => consoleOf(st.b), (o) => (o.match(/YUN-READY/g) || []).length >= 1 && /YUN-DISK boot-count=2/.test(o), BOOT_MS,
    "B booted again", 250);
  const dev = await waitFor(() => devOf(st.ipB, st.disk), Boolean, 20000, "B to see the disk after its restart", 100);
  assert.equal(readSum(st.ipB, dev), st.sum);
  assert.ok(await waitFor(() => devOf(st.ipB, late), Boolean, 20000, "B to see the disk attached while stopped", 100));
  assert.ok(await waitFor(() => devOf(st.ipB, st.restored), Boolean, 20000, "B to see the restored disk again", 100));
  await cbs.DetachDisks({ DiskIds: [late] });
  await waitDisk(late, "UNATTACHED");
  await cbs.TerminateDisks({ DiskIds: [late] });
});

test("detach, terminate and delete: files go away; DeleteWithInstance follows the instance", async () => {
  await cbs.DetachDisks({ DiskIds: [st.restored] });
  await waitDisk(st.restored, "UNATTACHED");
  // offline: grow with qemu-img, snapshot by copying the file
  await cbs.ResizeDisk({ DiskId: st.restored, DiskSize: 15 });
  assert.equal((await waitDisk(st.restored, "UNATTACHED")).DiskSize, 15);
  // 1 GiB written into the detached disk's file make its copy take a while; the host copies it on a thread of its
  // own: held (SIGSTOP) mid-copy, the snapshot stays CREATING while the host boots another instance
  execFileSync("qemu-io", ["-f", "qcow2", "-c", "write -q -P 0x5a 1G 512M", "-c", "write -q -P 0xa5 2G 512M", path.join(d.dataDir, "disks", `${st.restored}.qcow2`)]);
  const off = (await cbs.CreateSnapshot({ DiskId: st.restored, SnapshotName: "offline" })).SnapshotId;
  const copier = await waitFor(() => procWith(["convert", `${off}.qcow2.tmp`]), Boolean, 20000, "the snapshot's qemu-img", 5);
  process.kill(copier, "SIGSTOP");
  let other;
  try {
    other = (await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1" })).InstanceIdSet[0];
    await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [other] })).InstanceSet[0].InstanceState,
      (v) => v === "RUNNING", 30000, "another instance RUNNING while the snapshot is copied");
    assert.equal((await cbs.DescribeSnapshots({ SnapshotIds: [off] })).SnapshotSet[0].SnapshotState, "CREATING");
  } finally {
    process.kill(copier, "SIGCONT");
  }
  assert.equal((await waitSnap(off, "NORMAL")).DiskSize, 15);
  await cvm.TerminateInstances({ InstanceIds: [other] });
  await cbs.TerminateDisks({ DiskIds: [st.restored], DeleteSnapshot: 1 });
  await waitFor(() => cbs.DescribeSnapshots({ SnapshotIds: [off] }), (r) => r.TotalCount === 0, 10000, "DeleteSnapshot=1 removes it");
  await waitFor(() => cbs.DescribeDisks({ DiskIds: [st.restored] }), (r) => r.TotalCount === 0, 10000, "restored disk gone");
  await waitFor(() => fs.existsSync(path.join(d.dataDir, "disks", `${st.restored}.qcow2`)), (v) => !v, 10000, "restored file gone");
  await cbs.DeleteSnapshots({ SnapshotIds: [st.snap] });
  assert.equal((await cbs.DescribeSnapshots({})).TotalCount, 0);
  await waitFor(() => fs.existsSync(path.join(d.dataDir, "snapshots", `${st.snap}.qcow2`)), (v) => !v, 10000, "snapshot file gone");

  // one more disk on B that goes with it; st.disk stays and becomes UNATTACHED when B is terminated
  const extra = (await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_SSD",
    DiskSize: 20 })).DiskIdSet[0];
  await cbs.AttachDisks({ InstanceId: st.b, DiskIds: [extra], DeleteWithInstance: true });
  assert.equal((await waitDisk(extra, "ATTACHED")).DeleteWithInstance, true);
  await cvm.TerminateInstances({ InstanceIds: [st.a, st.b] });
  await waitFor(() => cbs.DescribeDisks({ DiskIds: [extra] }), (r) => r.TotalCount === 0, 60000, "DeleteWithInstance disk gone");
  const kept = await waitDisk(st.disk, "UNATTACHED", 60000);
  assert.equal(kept.LastAttachInsId, st.b);
  await cbs.TerminateDisks({ DiskIds: [st.disk] });
  await waitFor(() => fs.readdirSync(path.join(d.dataDir, "disks")), (l) => l.length === 0, 10000, "no disk files left");
  assert.equal((await cbs.DescribeDisks({})).TotalCount, 0);
});

test("a disk that holds no data: grown with no file, its snapshot an empty copy made by its host, a disk restored from it", async () => {
  const file = (dir, id) => path.join(d.dataDir, dir, `${id}.qcow2`);
  const blank = (await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    DiskSize: 10 })).DiskIdSet[0];
  await cbs.ResizeDisk({ DiskId: blank, DiskSize: 12 });
  assert.equal((await waitDisk(blank, "UNATTACHED")).DiskSize, 12);
  assert.ok(!fs.existsSync(file("disks", blank)), "growing a disk that was never attached makes no file");
  const snap = (await cbs.CreateSnapshot({ DiskId: blank, SnapshotName: "blank" })).SnapshotId;
  assert.equal((await waitSnap(snap, "NORMAL")).DiskSize, 12);
  assert.ok(fs.existsSync(file("snapshots", snap)), "the built-in host made the snapshot's file");
  const from = (await cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM",
    SnapshotId: snap })).DiskIdSet[0];
  assert.equal((await waitDisk(from, "UNATTACHED")).DiskSize, 12);
  const info = JSON.parse(execFileSync("qemu-img", ["info", "-U", "--output=json", file("disks", from)]));
  assert.equal(info["virtual-size"], 12 * 2 ** 30, "the restored disk is the snapshot's size");
  assert.equal(info.format, "qcow2");
  await cbs.TerminateDisks({ DiskIds: [blank, from] });
  await cbs.DeleteSnapshots({ SnapshotIds: [snap] });
  await waitFor(async () => (await cbs.DescribeDisks({})).TotalCount + (await cbs.DescribeSnapshots({})).TotalCount, (n) => n === 0,
    10000, "the disks and the snapshot gone");
  await waitFor(() => [file("disks", from), file("snapshots", snap)].some((f) => fs.existsSync(f)), (v) => !v, 10000, "their files gone");
});

test("RunInstances with DataDisks: the guest boots with its new disk; it goes with the instance", async () => {
  await rejectsWith(cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1",
    DataDisks: [{ DiskSize: 10, SnapshotId: "snap-nothere1" }] }), "UnsupportedOperation");
  await rejectsWith(cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1",
    DataDisks: [{ DiskSize: 5000, DiskType: "CLOUD_PREMIUM" }], InstanceCount: 3 }), "LimitExceeded.DiskSizeQuota");
  assert.equal((await cbs.DescribeDisks({})).TotalCount, 0, "a refused launch leaves no disk");
  const id = (await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1",
    LoginSettings: { KeyIds: [key.KeyId] }, DataDisks: [{ DiskSize: 20, DiskType: "CLOUD_SSD" }] })).InstanceIdSet[0];
  const [x] = (await cbs.DescribeDisks({ Filters: [{ Name: "disk-usage", Values: ["DATA_DISK"] }] })).DiskSet;
  assert.equal(x.InstanceId, id);
  assert.equal(x.DiskSize, 20);
  assert.equal(x.DeleteWithInstance, true);
  await waitFor(() => consoleOf(id), (o) => /YUN-READY/.test(o), BOOT_MS, `${id} ready`, 250);
  const inst = (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
  assert.deepEqual(inst.DataDisks.map((dd) => [dd.DiskId, dd.DiskSize, dd.DiskType, dd.DeleteWithInstance]),
    [[x.DiskId, 20, "CLOUD_SSD", true]], "DescribeInstances shows its data disk");
  const ip = inst.PrivateIpAddresses[0];
  const dev = await waitFor(() => devOf(ip, x.DiskId), Boolean, 20000, "the guest to see its data disk", 100);
  assert.equal(sh(ip, `cat /sys/block/${dev}/size`), String(20 * 1024 * 1024 * 2));
  assert.equal((await disk1(x.DiskId)).DiskState, "ATTACHED");
  await cvm.TerminateInstances({ InstanceIds: [id] });
  await waitFor(() => cbs.DescribeDisks({ DiskIds: [x.DiskId] }), (r) => r.TotalCount === 0, 60000, "the launch's disk gone");
  await waitFor(() => fs.readdirSync(path.join(d.dataDir, "disks")), (l) => l.length === 0, 10000, "its file gone");
});
