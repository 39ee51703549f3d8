/*
 * Two control-plane processes on one PostgreSQL (YUN_TEST_STORE; skipped without it): A is
 * `yun up` with the host role, B is `yun up --no-host` on the same store and data directory.
 * A key disabled through B is refused by A on its very next request (A had it cached); a state
 * change made through one is seen through the other; two processes racing for the last places of
 * a quota, or for the host's last vCPUs, never together take more than there is; a process that
 * starts beside the others leaves their uploads in progress alone; one on another business clock
 * (--test-clock or not) than the running ones is refused.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Daemon, TEST_STORE, startDaemon, freePort, rejectsWith } = require("./lib/yund");

// one vCPU sold per core: the host has os.cpus().length vCPUs to race for
const config = { compute: { cpu_overcommit_percent: 100 } };

const skip = !TEST_STORE && "needs YUN_TEST_STORE (a PostgreSQL; make test starts one)";
let a, b;

before(async () => {
  if (skip) return;
  a = await startDaemon({ config });
  const port = await freePort();
  b = new Daemon({ config, dataDir: a.dataDir, port, store: a.store, args: ["--no-host", "--object-listen", `127.0.0.1:${await freePort()}`] });
  await b.start();
});

after(async () => {
  if (b) await b.stop();
  if (a) await a.destroy();
});

test("a key disabled through B is refused by A at once; a key created through A works on B", { skip }, async () => {
  const acct = a.createAccount("two-proc");
  const root = { SecretId: acct.SecretId, SecretKey: acct.SecretKey };
  const made = (await a.cam(root).CreateAccessKey({ TargetUin: Number(acct.Uin) })).AccessKey;
  const key2 = { SecretId: made.AccessKeyId, SecretKey: made.SecretAccessKey };
  await a.cvm(key2).DescribeZones({}); // A has key2 in its cache now
  await b.cvm(key2).DescribeZones({});
  await b.cam(root).UpdateAccessKey({ AccessKeyId: made.AccessKeyId, Status: "Inactive", TargetUin: Number(acct.Uin) });
  await rejectsWith(a.cvm(key2).DescribeZones({}), "AuthFailure.SecretIdNotFound", "A still took the key B disabled");
  await rejectsWith(b.cvm(key2).DescribeZones({}), "AuthFailure.SecretIdNotFound");
  await a.cam(root).UpdateAccessKey({ AccessKeyId: made.AccessKeyId, Status: "Active", TargetUin: Number(acct.Uin) });
  await b.cvm(key2).DescribeZones({});
  await a.cvm(key2).DescribeZones({});
});

test("racing through A and B for the last 2 of the 20 VPCs of the quota: exactly 2 win", { skip }, async () => {
  const acct = a.createAccount("racer");
  const va = a.vpc(acct), vb = b.vpc(acct);
  for (let i = 0; i < 18; i++) await (i % 2 ? va : vb).CreateVpc({ VpcName: `v${i}`, CidrBlock: "10.0.0.0/16" });
  const tries = [];
  for (let i = 0; i < 8; i++) {
    tries.push(va.CreateVpc({ VpcName: `a${i}`, CidrBlock: "10.1.0.0/16" }));
    tries.push(vb.CreateVpc({ VpcName: `b${i}`, CidrBlock: "10.2.0.0/16" }));
  }
  const results = await Promise.allSettled(tries);
  const won = results.filter((r) => r.status === "fulfilled").length;
  const refused = results.filter((r) => r.status === "rejected" && r.reason.code === "LimitExceeded").length;
  assert.equal(won, 2, JSON.stringify(results.filter((r) => r.status === "rejected" && r.reason.code !== "LimitExceeded").map((r) => r.reason.code)));
  assert.equal(refused, 14);
  assert.equal((await va.DescribeVpcs({ Limit: 100 })).TotalCount, 20);
  assert.equal((await vb.DescribeVpcs({ Limit: 100 })).TotalCount, 20);
});

test("racing through A and B for the host's last vCPUs: exactly as many launches win as there are vCPUs", { skip }, async () => {
  const acct = a.createAccount("cpu-racer");
  const vcpus = os.cpus().length;
  const ca = a.cvm(acct), cb = b.cvm(acct);
  const image = (await ca.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
  const launch = (c) => c.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceType: "S5.SMALL1" });
  const tries = [];
  for (let i = 0; i < vcpus; i++) tries.push(launch(ca), launch(cb));
  const results = await Promise.allSettled(tries);
  const won = results.filter((r) => r.status === "fulfilled").flatMap((r) => r.value.InstanceIdSet);
  const refused = results.filter((r) => r.status === "rejected" && r.reason.code === "ResourceInsufficient.SpecifiedInstanceType");
  try {
    assert.equal(won.length, vcpus, JSON.stringify(results.filter((r) => r.status === "rejected").map((r) => r.reason.code)));
    assert.equal(refused.length, vcpus);
    const all = await cb.DescribeInstances({ Limit: 100 });
    assert.equal(all.TotalCount, vcpus, "no process sold a vCPU the other had sold");
  } finally {
    if (won.length) await ca.TerminateInstances({ InstanceIds: won });
  }
});

test("a process starting beside others keeps their uploads in progress (DATA/objects/tmp)", { skip }, async () => {
  // a partial upload of A's (a file in tmp/ that no object names yet), as while a client streams a body
  const partial = path.join(a.dataDir, "objects", "tmp", "0123456789abcdef01234567");
  fs.writeFileSync(partial, "half of a body", { mode: 0o600 });
  const c = new Daemon({ config, dataDir: a.dataDir, port: await freePort(), store: a.store,
    args: ["--no-host", "--object-listen", `127.0.0.1:${await freePort()}`] });
  await c.start();
  try {
    assert.ok(fs.existsSync(partial), "C's start-up recovery left A's upload alone");
    for (let i = 0; i < 40 && !/1 of other processes kept/.test(c.output); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(c.output, /1 of other processes kept/);
  } finally {
    await c.stop();
    fs.rmSync(partial, { force: true });
  }
});

test("a process on another business clock than the region's is refused at start, and changes nothing", { skip }, async () => {
  const c = new Daemon({ config, dataDir: a.dataDir, port: await freePort(), store: a.store,
    args: ["--no-host", "--test-clock", "--object-listen", `127.0.0.1:${await freePort()}`] });
  await assert.rejects(c.start(), /run without --test-clock: start this one the same way/);
  // the region's clock is still wall time: it does not move
  const moved = a.run(["admin", "clock", "--advance", "1h", "--data", a.dataDir, "--store", a.store]);
  assert.notEqual(moved.status, 0, "the clock of a wall-time region does not move");
  assert.match(moved.stderr, /wall time/);
});
