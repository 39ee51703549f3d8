/*
 * RunInstances and DescribeInstances at the edges: ClientToken idempotency (also concurrent), DryRun,
 * several instances per call and their {R:x} names, every documented filter and Offset/Limit paging,
 * the quota, capacity, zone, user-data and image errors, terminating instances that are still
 * PENDING, and tenant isolation. Guests are real but mostly terminated before they finish booting.
 */
"use strict";
const { test, before, after, describe } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { startDaemon, rejectsWith, waitFor, sleep } = require("./lib/yund");

const ZONE = "ap-local-1";
const PAGE_SET = 20; // instances launched in one call for the filter/paging tests (24 GiB host: at most 23 x 1 GiB)

/* Terminates ids and waits until DescribeInstances no longer lists them; re-sends TerminateInstances for any that
 * come back in a non-terminating state (so a lost terminate cannot leak guests). Returns how many re-sends it took. */
async function terminateAll(cvm, ids, ms = 60000) {
  let resent = 0;
  if (!ids.length) return 0;
  await cvm.TerminateInstances({ InstanceIds: ids }).catch(() => {});
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await cvm.DescribeInstances({ InstanceIds: ids.slice(0, 100), Limit: 100 });
    if (r.TotalCount === 0) return resent;
    const again = r.InstanceSet.filter((i) => ["RUNNING", "STOPPED", "LAUNCH_FAILED"].includes(i.InstanceState)).map((i) => i.InstanceId);
    if (again.length) { resent++; await cvm.TerminateInstances({ InstanceIds: again }).catch(() => {}); }
    if (Date.now() > deadline) assert.fail(`instances not gone after ${ms} ms: ${JSON.stringify(r.InstanceSet.map((i) => [i.InstanceId, i.InstanceState]))}`);
    await sleep(250);
  }
}

async function cleanup(d) {
  if (!d) return;
  try {
    const cvm = d.cvm();
    const left = await cvm.DescribeInstances({ Limit: 100 });
    await terminateAll(cvm, left.InstanceSet.map((i) => i.InstanceId));
  } finally {
    await d.destroy();
  }
}

describe("launch on a host with room for many", () => {
  let d, cvm, image;
  const launch = (extra = {}) => cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", ...extra });
  const count = async () => (await cvm.DescribeInstances({ Limit: 100 })).TotalCount;

  before(async () => {
    d = await startDaemon({ config: { compute: { instance_quota: 40, cpu_overcommit_percent: 1600, boot_concurrency: 1 } } });
    cvm = d.cvm();
    image = (await cvm.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
  });
  after(() => cleanup(d));

  test("DryRun answers with the RequestId only and creates nothing; it still checks", async () => {
    const r = await launch({ DryRun: true, InstanceCount: 3 });
    assert.deepEqual(Object.keys(r), ["RequestId"]);
    assert.equal(await count(), 0);
    await rejectsWith(launch({ DryRun: true, ImageId: "img-nothere1" }), "InvalidImageId.NotFound");
    await rejectsWith(launch({ DryRun: true, InstanceType: "S5.HUGE999" }), "InvalidParameterValue.InstanceTypeNotFound");
    await rejectsWith(launch({ DryRun: true, LoginSettings: { KeyIds: ["skey-nothere1"] } }), "InvalidKeyPairId.NotFound");
    assert.equal(await count(), 0);
    assert.deepEqual(d.qemuPids(), []);
  });

  test("request errors: zone, user data, image, instance type, password", async () => {
    await rejectsWith(launch({ Placement: { Zone: "ap-guangzhou-3" } }), "InvalidZone.MismatchRegion");
    await rejectsWith(launch({ UserData: "this is not base64!!" }), "InvalidParameterValue.InvalidUserDataFormat");
    const big = Buffer.alloc(16 * 1024 + 1, 0x41).toString("base64"); // 16 KiB + 1 decoded, under the 22000-character limit
    assert.ok(big.length <= 22000);
    await rejectsWith(launch({ UserData: big }), "InvalidParameterValue.InvalidUserDataFormat");
    await rejectsWith(launch({ ImageId: "img-nothere1" }), "InvalidImageId.NotFound");
    await rejectsWith(launch({ InstanceType: "S5.HUGE999" }), "InvalidParameterValue.InstanceTypeNotFound");
    await rejectsWith(launch({ LoginSettings: { Password: "short" } }), "InvalidPassword");
    await rejectsWith(launch({ InstanceCount: 0 }), /^InvalidParameter/);
    assert.equal(await count(), 0);
  });

  test("capacity: vCPUs are overcommitted, memory is not", async () => {
    // 8 vCPU / 16 GiB fits in 2 cores x 1600 %; 8 vCPU / 32 GiB exceeds the host's 24 GiB of memory
    await launch({ DryRun: true, InstanceType: "S5.2XLARGE16" });
    await rejectsWith(launch({ DryRun: true, InstanceType: "S5.2XLARGE32" }), "ResourceInsufficient.SpecifiedInstanceType");
  });

  test("a launch that fails on the host: LAUNCH_FAILED, LatestOperationState FAILED with the reason", async () => {
    // fault injection: the image's base disk (a hard link in the data dir) vanishes for this launch
    const disk = path.join(d.dataDir, "images", "tiny", "disk.qcow2");
    fs.renameSync(disk, `${disk}.away`);
    let id;
    try {
      id = (await launch({ InstanceName: "broken" })).InstanceIdSet[0];
      const i = await waitFor(() => cvm.DescribeInstances({ InstanceIds: [id] }), (r) => r.InstanceSet[0].InstanceState !== "PENDING",
        30000, "launch outcome", 50);
      const x = i.InstanceSet[0];
      assert.equal(x.InstanceState, "LAUNCH_FAILED", JSON.stringify(x));
      assert.equal(x.LatestOperation, "RunInstances");
      assert.equal(x.LatestOperationState, "FAILED");
      assert.ok((x.LatestOperationErrorMsg || "").length > 0, "no LatestOperationErrorMsg");
    } finally {
      fs.renameSync(`${disk}.away`, disk);
    }
    assert.deepEqual(d.qemuPids().filter((p) => p.id === id), []);
    await rejectsWith(cvm.StartInstances({ InstanceIds: [id] }), "UnsupportedOperation.InstanceStateLaunchFailed");
    await rejectsWith(cvm.RebootInstances({ InstanceIds: [id] }), "UnsupportedOperation.InstanceStateLaunchFailed");
    await terminateAll(cvm, [id]);
    assert.ok(!fs.existsSync(path.join(d.dataDir, "instances", id)), "run dir of the failed launch left behind");
  });

  test("ClientToken: the same token gives the same instances, also when sent concurrently", async () => {
    const token = `tok-${Date.now()}`;
    const rs = await Promise.all([1, 2, 3].map(() => launch({ ClientToken: token, InstanceName: "tok" })));
    const first = rs[0].InstanceIdSet;
    assert.equal(first.length, 1);
    for (const r of rs) assert.deepEqual(r.InstanceIdSet, first);
    assert.notEqual(rs[0].RequestId, rs[1].RequestId);
    const again = await launch({ ClientToken: token, InstanceName: "tok", InstanceCount: 2 });
    assert.deepEqual(again.InstanceIdSet, first, "a reused token with other parameters still answers the first launch");
    assert.equal(await count(), 1);
    const other = await launch({ ClientToken: `${token}-b`, DryRun: true });
    assert.deepEqual(Object.keys(other), ["RequestId"]);
    assert.equal(await count(), 1);
  });

  test("InstanceCount 5 in one call: five instances named from the {R:x} pattern, distinct addresses", async () => {
    const r = await launch({ InstanceCount: 5, InstanceName: "web-{R:3}" });
    assert.equal(r.InstanceIdSet.length, 5);
    assert.equal(new Set(r.InstanceIdSet).size, 5);
    const set = (await cvm.DescribeInstances({ InstanceIds: r.InstanceIdSet })).InstanceSet;
    assert.equal(set.length, 5);
    assert.deepEqual(set.map((i) => i.InstanceName).sort(), ["web-3", "web-4", "web-5", "web-6", "web-7"]);
    assert.equal(new Set(set.map((i) => i.PrivateIpAddresses[0])).size, 5);
    for (const i of set) assert.ok(["PENDING", "RUNNING"].includes(i.InstanceState), i.InstanceState);
    const plain = await launch({ InstanceCount: 2, InstanceName: "plain_", DryRun: true });
    assert.deepEqual(Object.keys(plain), ["RequestId"]);
    await terminateAll(cvm, r.InstanceIdSet);
    assert.equal(await count(), 1);
  });

  test("boot_concurrency 1: never more than one guest booting at a time", async () => {
    const ids = (await launch({ InstanceCount: 3, InstanceName: "seq-{R:1}" })).InstanceIdSet;
    const serial = (id) => path.join(d.dataDir, "instances", id, "serial.log");
    const ready = (id) => { try { return fs.readFileSync(serial(id), "latin1").includes("YUN-READY"); } catch { return false; } };
    let maxBooting = 0;
    const samples = [];
    const deadline = Date.now() + 90000;
    while (!ids.every(ready)) {
      assert.ok(Date.now() < deadline, "3 guests not ready within 90 s");
      const running = new Set(d.qemuPids().map((p) => p.id));
      const booting = ids.filter((id) => running.has(id) && !ready(id));
      if (booting.length > maxBooting) { maxBooting = booting.length; samples.push(`${Date.now()}: ${booting}`); }
      await sleep(25);
    }
    await terminateAll(cvm, ids);
    assert.ok(maxBooting <= 1, `up to ${maxBooting} guests booted at once with boot_concurrency 1: ${samples.join("; ")}`);
  });

  test("TerminateInstances on an instance that is still PENDING is not lost", async () => {
    const id = (await launch({ InstanceName: "doomed" })).InstanceIdSet[0];
    // terminate while the controller is creating its disk / starting its QEMU
    await waitFor(() => fs.existsSync(path.join(d.dataDir, "instances", id)), Boolean, 20000, "run dir created", 5);
    const s = (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
    await cvm.TerminateInstances({ InstanceIds: [id] });
    const seen = [];
    const gone = await waitFor(async () => {
      const r = await cvm.DescribeInstances({ InstanceIds: [id] });
      const x = r.InstanceSet[0];
      const line = x && `${x.InstanceState}/${x.LatestOperation}/${x.LatestOperationState}`;
      if (x && seen[seen.length - 1] !== line) seen.push(line);
      return r;
    }, (r) => r.TotalCount === 0 || (r.InstanceSet[0].InstanceState === "RUNNING" && r.InstanceSet[0].LatestOperation === "TerminateInstances"),
    30000, "terminated", 100);
    if (gone.TotalCount) await terminateAll(cvm, [id]);
    assert.equal(gone.TotalCount, 0,
      `TerminateInstances sent while ${s.InstanceState} was overwritten by the launch: states seen ${seen.join(" -> ")}`);
    await waitFor(() => d.qemuPids().filter((p) => p.id === id), (x) => x.length === 0, 10000, "no QEMU for the terminated instance");
  });

  describe(`${PAGE_SET} instances from one call`, () => {
    let ids, set;
    before(async () => {
      const r = await launch({
        InstanceCount: PAGE_SET, InstanceName: "pg{R:1}x{R:101}",
        TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "team", Value: "pager" }, { Key: "tier", Value: "t1" }] }],
      });
      ids = r.InstanceIdSet;
      assert.equal(ids.length, PAGE_SET);
      set = (await cvm.DescribeInstances({ InstanceIds: ids, Limit: 100 })).InstanceSet;
    });
    after(async () => { if (ids) await terminateAll(cvm, ids); });

    const find = async (Filters, extra = {}) => cvm.DescribeInstances({ Filters, Limit: 100, ...extra });
    const idsOf = (r) => r.InstanceSet.map((i) => i.InstanceId).sort();

    test("several {R:x} patterns in one name are all expanded", () => {
      const names = set.map((i) => i.InstanceName);
      assert.ok(names.includes("pg1x101") && names.includes(`pg${PAGE_SET}x${100 + PAGE_SET}`), `names: ${names.slice(0, 4)}...`);
    });

    test("filters: zone, instance-id, instance-name, private-ip-address, tags, states; ANDed across, ORed within", async () => {
      const total = PAGE_SET + 1; // plus the ClientToken instance
      assert.equal((await find([{ Name: "zone", Values: [ZONE] }])).TotalCount, total);
      assert.equal((await find([{ Name: "zone", Values: ["ap-local-2"] }])).TotalCount, 0);
      assert.deepEqual(idsOf(await find([{ Name: "instance-id", Values: [ids[3], ids[7]] }])), [ids[3], ids[7]].sort());
      const byName = await find([{ Name: "instance-name", Values: [set[0].InstanceName, set[1].InstanceName] }]);
      assert.deepEqual(idsOf(byName), [set[0].InstanceId, set[1].InstanceId].sort());
      const ip = set[5].PrivateIpAddresses[0];
      assert.deepEqual(idsOf(await find([{ Name: "private-ip-address", Values: [ip] }])), [set[5].InstanceId]);
      assert.deepEqual(idsOf(await find([{ Name: "tag:team", Values: ["pager"] }])), [...ids].sort());
      assert.equal((await find([{ Name: "tag:team", Values: ["other"] }])).TotalCount, 0);
      assert.deepEqual(idsOf(await find([{ Name: "tag-key", Values: ["tier"] }])), [...ids].sort());
      assert.deepEqual(idsOf(await find([{ Name: "tag-value", Values: ["t1"] }])), [...ids].sort());
      assert.equal((await find([{ Name: "tag-key", Values: ["nope"] }])).TotalCount, 0);
      // AND across filters
      assert.deepEqual(idsOf(await find([{ Name: "tag:team", Values: ["pager"] }, { Name: "instance-id", Values: [ids[0], "ins-nothere1"] }])), [ids[0]]);
      assert.equal((await find([{ Name: "zone", Values: ["ap-local-2"] }, { Name: "tag:team", Values: ["pager"] }])).TotalCount, 0);
      // states: every answer is in the asked states, and the states partition the set
      const states = ["PENDING", "RUNNING", "STOPPED", "TERMINATING"];
      let sum = 0;
      for (const s of states) {
        const r = await find([{ Name: "instance-state", Values: [s] }]);
        for (const i of r.InstanceSet) assert.equal(i.InstanceState, s);
        sum += r.TotalCount;
      }
      assert.ok(sum >= total - 1 && sum <= total + 1, `state filters cover the set (${sum} of ${total}; one may move between calls)`);
      const pend = await find([{ Name: "instance-state", Values: ["PENDING", "RUNNING"] }]);
      for (const i of pend.InstanceSet) assert.ok(["PENDING", "RUNNING"].includes(i.InstanceState));
    });

    test("InvalidFilter and the documented parameter exclusions", async () => {
      await rejectsWith(find([{ Name: "bogus", Values: ["x"] }]), "InvalidFilter");
      await rejectsWith(find([{ Name: "tag:", Values: ["x"] }]), "InvalidFilter");
      await rejectsWith(cvm.DescribeInstances({ InstanceIds: [ids[0]], Filters: [{ Name: "zone", Values: [ZONE] }] }), /^InvalidParameter/);
      await rejectsWith(find([{ Name: "zone", Values: ["a", "b", "c", "d", "e", "f"] }]), /^Invalid(Parameter|Filter)/);
      await rejectsWith(cvm.DescribeInstances({ Limit: 101 }), /^InvalidParameter/);
      await rejectsWith(cvm.DescribeInstances({ Offset: -1 }), /^InvalidParameter/);
    });

    test("Offset/Limit: pages are disjoint, cover every instance once, TotalCount on every page", async () => {
      const total = PAGE_SET + 1;
      const seen = [];
      for (let off = 0; off < total + 7; off += 7) {
        const r = await cvm.DescribeInstances({ Offset: off, Limit: 7 });
        assert.equal(r.TotalCount, total);
        assert.equal(r.InstanceSet.length, Math.max(0, Math.min(7, total - off)));
        seen.push(...r.InstanceSet.map((i) => i.InstanceId));
      }
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total);
      for (const id of ids) assert.ok(seen.includes(id));
      const dflt = await cvm.DescribeInstances({});
      assert.equal(dflt.TotalCount, total);
      assert.equal(dflt.InstanceSet.length, 20, "Limit defaults to 20");
      const beyond = await cvm.DescribeInstances({ Offset: 1000 });
      assert.equal(beyond.TotalCount, total);
      assert.deepEqual(beyond.InstanceSet, []);
      const filtered = await cvm.DescribeInstances({ Filters: [{ Name: "tag:team", Values: ["pager"] }], Offset: 15, Limit: 10 });
      assert.equal(filtered.TotalCount, PAGE_SET);
      assert.equal(filtered.InstanceSet.length, PAGE_SET - 15);
      const st = await cvm.DescribeInstancesStatus({ Offset: 5, Limit: 10 });
      assert.equal(st.TotalCount, total);
      assert.equal(st.InstanceStatusSet.length, 10);
    });

    test("tenant isolation: another root account sees and touches none of these", async () => {
      const other = d.createAccount("tenant2");
      const cvm2 = d.cvm({ SecretId: other.SecretId, SecretKey: other.SecretKey });
      assert.equal((await cvm2.DescribeInstances({})).TotalCount, 0);
      assert.equal((await cvm2.DescribeInstances({ InstanceIds: [ids[0]] })).TotalCount, 0);
      assert.equal((await cvm2.DescribeInstances({ Filters: [{ Name: "instance-id", Values: [ids[0]] }] })).TotalCount, 0);
      assert.equal((await cvm2.DescribeInstancesStatus({ InstanceIds: [ids[0]] })).TotalCount, 0);
      for (const [action, params] of [
        ["StopInstances", { InstanceIds: [ids[0]] }], ["StartInstances", { InstanceIds: [ids[0]] }],
        ["RebootInstances", { InstanceIds: [ids[0]] }], ["TerminateInstances", { InstanceIds: [ids[0]] }],
        ["ResetInstance", { InstanceId: ids[0] }], ["ModifyInstancesAttribute", { InstanceIds: [ids[0]], InstanceName: "stolen" }],
      ]) {
        await rejectsWith(cvm2[action](params), "InvalidInstanceId.NotFound", action);
      }
      await rejectsWith(d.common("2017-03-12", { SecretId: other.SecretId, SecretKey: other.SecretKey })
        .request("GetInstanceConsoleOutput", { InstanceId: ids[0] }), "InvalidInstanceId.NotFound");
      const mine = (await cvm.DescribeInstances({ InstanceIds: [ids[0]] })).InstanceSet[0];
      assert.notEqual(mine.InstanceName, "stolen");
      assert.ok(!["TERMINATING", "STOPPING"].includes(mine.InstanceState), mine.InstanceState);
      // key pairs are private too
      const key = (await cvm.CreateKeyPair({ KeyName: "owner_key", ProjectId: 0 })).KeyPair.KeyId;
      await rejectsWith(cvm2.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, DryRun: true, LoginSettings: { KeyIds: [key] } }),
        "InvalidKeyPairId.NotFound");
      assert.equal((await cvm2.DescribeKeyPairs({})).TotalCount, 0);
      await rejectsWith(cvm2.DeleteKeyPairs({ KeyIds: [key] }), "InvalidKeyPairId.NotFound");
      // the public image is visible to both
      assert.equal((await cvm2.DescribeImages({ ImageIds: [image] })).TotalCount, 1);
    });

    test(`TerminateInstances of all ${PAGE_SET} at once: every one is gone, no QEMU left`, async () => {
      await cvm.TerminateInstances({ InstanceIds: ids });
      const r = await waitFor(() => cvm.DescribeInstances({ InstanceIds: ids, Limit: 100 }),
        (x) => x.TotalCount === 0 || x.InstanceSet.some((i) => i.InstanceState === "RUNNING"), 40000, "batch terminated", 250)
        .catch((e) => e);
      const stuck = r instanceof Error ? r.message : r.TotalCount ? JSON.stringify(r.InstanceSet.map((i) => [i.InstanceId, i.InstanceState])) : "";
      assert.equal(stuck, "", "instances not terminated (a RUNNING one lost its terminate; TERMINATING ones are stuck)");
      await waitFor(() => d.qemuPids().filter((p) => ids.includes(p.id)), (x) => x.length === 0, 10000, "no QEMU left");
    });
  });
});

describe("launch on a host with little room (quota 3, no CPU overcommit)", () => {
  let d, cvm, image;
  const launch = (extra = {}) => cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", ...extra });

  before(async () => {
    d = await startDaemon({ config: { compute: { instance_quota: 3, cpu_overcommit_percent: 100 } } });
    cvm = d.cvm();
    image = (await cvm.DescribeImages({})).ImageSet[0].ImageId;
  });
  after(() => cleanup(d));

  test("LimitExceeded.InstanceQuota and ResourceInsufficient.SpecifiedInstanceType, also for DryRun", async () => {
    await rejectsWith(launch({ InstanceCount: 4 }), "LimitExceeded.InstanceQuota");
    await rejectsWith(launch({ InstanceCount: 4, DryRun: true }), "LimitExceeded.InstanceQuota");
    // 2 cores x 100 %: an 8-vCPU type cannot be placed (its 16 GiB would fit)
    await rejectsWith(launch({ InstanceType: "S5.2XLARGE16" }), "ResourceInsufficient.SpecifiedInstanceType");
    await rejectsWith(launch({ InstanceType: "S5.2XLARGE16", DryRun: true }), "ResourceInsufficient.SpecifiedInstanceType");
    await rejectsWith(launch({ InstanceCount: 3 }), "ResourceInsufficient.SpecifiedInstanceType"); // 3 vCPUs > 2
    assert.equal((await cvm.DescribeInstances({})).TotalCount, 0, "a refused launch created instances");

    const id = (await launch({})).InstanceIdSet[0];
    await rejectsWith(launch({ InstanceCount: 3, DryRun: true }), "LimitExceeded.InstanceQuota"); // 1 + 3 > 3
    await rejectsWith(launch({ InstanceCount: 2, DryRun: true }), "ResourceInsufficient.SpecifiedInstanceType"); // 1 + 2 vCPUs > 2
    await launch({ DryRun: true }); // the second vCPU is free
    await waitFor(() => cvm.DescribeInstances({ InstanceIds: [id] }), (r) => r.InstanceSet[0].InstanceState === "RUNNING", 30000, "RUNNING");
    await terminateAll(cvm, [id]);
    // terminated instances give back quota and capacity
    await launch({ InstanceCount: 2, DryRun: true });
  });
});
