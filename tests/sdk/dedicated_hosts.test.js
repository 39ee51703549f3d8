/*
 * Dedicated hosts (CDH) through the official SDK: the operator makes the built-in host sellable
 * (`yun admin hosts sellable host-local --dedicated`, audited); account A buys it with AllocateHosts
 * (PREPAID, paid from its balance through billing), launches a CDHPAID instance of type CDH_1C1G
 * onto it by Placement.HostIds, and DescribeHosts shows the instance and the resources left.
 * Account B never lands there: not by naming A's host (not found), and not through the shared
 * pool, which is full (it has no host left) while the dedicated host still has room:
 * ResourceInsufficient. A's own non-CDH instances do not land there either. One guest boots.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
let d, a, b, cvmA, cvmB, image, hostId, instanceId;

before(async () => {
  d = await startDaemon({ config: { compute: { boot_concurrency: 1 } } });
  a = d.createAccount("cdh-buyer");
  b = d.createAccount("someone-else");
  d.admin("recharge", "--uin", a.Uin, "--cents", "500000");
  cvmA = d.cvm(a);
  cvmB = d.cvm(b);
  image = (await cvmA.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
});

after(async () => {
  if (!d) return;
  try {
    if (instanceId) await cvmA.TerminateInstances({ InstanceIds: [instanceId] }).catch(() => {});
    if (instanceId) {
      await waitFor(() => cvmA.DescribeInstances({ InstanceIds: [instanceId] }), (r) => r.TotalCount === 0, 60000,
        "the CDH instance terminated");
    }
  } finally {
    await d.destroy();
  }
});

/* `yun admin ...` that may fail (d.admin asserts success), on the daemon's store */
const adminRun = (...args) => d.run(["admin", ...args, "--data", d.dataDir, ...(d.store ? ["--store", d.store] : [])]);
const run = (cvm, extra = {}) => cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", ...extra });

test("the shared pool takes anyone until the host is made sellable; nothing is sellable yet", async () => {
  const r = await run(cvmB, { DryRun: true });
  assert.deepEqual(Object.keys(r), ["RequestId"]);
  await rejectsWith(cvmA.AllocateHosts({ Placement: { Zone: ZONE }, HostChargeType: "PREPAID", HostChargePrepaid: { Period: 1 } }),
    "ResourceInsufficient");
  assert.equal((await cvmA.DescribeHosts({})).TotalCount, 0);
});

test("the operator makes the host sellable as a dedicated host; the change is audited", async () => {
  const out = JSON.parse(d.admin("hosts", "sellable", "host-local", "--dedicated"));
  assert.equal(out.Pool, "dedicated");
  const rows = JSON.parse("[" + d.admin("hosts").trim().split("\n").join(",") + "]");
  assert.equal(rows.find((h) => h.HostId === "host-local").Pool, "dedicated");
  const op = (await d.common("2017-03-12").request("DescribeOperatorHosts", {})).HostSet.find((h) => h.HostId === "host-local");
  assert.deepEqual([op.Pool, op.PoolOwner, op.PoolId], ["dedicated", "", ""]);
  const audit = d.audit(20).filter((e) => e.Action === "HostSellableDedicated");
  assert.equal(audit.length, 1);
  assert.equal(audit[0].Result, "Success");
  assert.match(audit[0].Resource, /host\/host-local/);
  // an unknown host is refused, and that refusal is audited too
  const r = adminRun("hosts", "sellable", "host-nothere", "--dedicated");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no host host-nothere/);
  assert.equal(d.audit(20).filter((e) => e.Action === "HostSellableDedicated" && e.Result !== "Success").length, 1);
});

test("AllocateHosts reserves the whole host for A, paid through billing; there is no second one", async () => {
  const before = (await d.billing(a).DescribeAccountBalance({})).Balance;
  const buy = { Placement: { Zone: ZONE }, HostChargeType: "PREPAID", HostChargePrepaid: { Period: 1 }, HostType: "HS1",
    ClientToken: "alloc-retry-1" };
  const r = await cvmA.AllocateHosts(buy);
  // a client's retry with the same token gets the same host and pays nothing more
  assert.deepEqual((await cvmA.AllocateHosts(buy)).HostIdSet, r.HostIdSet);
  assert.equal(r.HostIdSet.length, 1);
  hostId = r.HostIdSet[0];
  assert.match(hostId, /^host-[a-z0-9]{8}$/);
  const op = (await d.common("2017-03-12").request("DescribeOperatorHosts", {})).HostSet.find((h) => h.HostId === "host-local");
  assert.deepEqual([op.Pool, op.PoolOwner, op.PoolId], ["dedicated", a.Uin, hostId]);
  const after = (await d.billing(a).DescribeAccountBalance({})).Balance;
  assert.equal(before - after, 300000, "one host-month at the default 3000 yuan list price, in cents");
  await rejectsWith(cvmA.AllocateHosts({ Placement: { Zone: ZONE }, HostChargePrepaid: { Period: 1 } }), "ResourceInsufficient");
  await rejectsWith(cvmB.AllocateHosts({ Placement: { Zone: ZONE }, HostChargePrepaid: { Period: 1 } }), "ResourceInsufficient");
  // an allocated host does not go back to the shared pool under its owner's feet
  const back = adminRun("hosts", "sellable", "host-local", "--shared");
  assert.equal(back.status, 1);
  assert.match(back.stderr, /allocated as dedicated host/);
});

test("RunInstances CDHPAID onto the host; DescribeHosts shows it with the resources left", async () => {
  await rejectsWith(run(cvmA, { InstanceType: "CDH_1C1G" }), "InvalidParameterValue.InstanceTypeNotFound",
    "a CDH_ type needs CDHPAID");
  await rejectsWith(run(cvmA, { Placement: { Zone: ZONE, HostIds: [hostId] } }), "InvalidParameter",
    "HostIds needs CDHPAID");
  await rejectsWith(run(cvmA, { InstanceChargeType: "CDHPAID", InstanceType: "CDH_1C1G" }), "MissingParameter");
  // the host is billed, its instances are not: a CDHPAID quote is the system disk alone
  const q = await cvmA.InquiryPriceRunInstances({ Placement: { Zone: ZONE, HostIds: [hostId] }, ImageId: image,
    InstanceType: "CDH_1C1G", InstanceChargeType: "CDHPAID" });
  assert.ok(Math.abs(q.Price.InstancePrice.UnitPrice - 20 * 0.0005) < 1e-6, JSON.stringify(q.Price));
  const r = await run(cvmA, { InstanceChargeType: "CDHPAID", InstanceType: "CDH_1C1G", Placement: { Zone: ZONE, HostIds: [hostId] } });
  instanceId = r.InstanceIdSet[0];
  const hosts = await cvmA.DescribeHosts({ Filters: [{ Name: "host-id", Values: [hostId] }] });
  assert.equal(hosts.TotalCount, 1);
  const h = hosts.HostSet[0];
  assert.equal(h.HostId, hostId);
  assert.equal(h.Placement.Zone, ZONE);
  assert.equal(h.HostType, "HS1");
  assert.equal(h.HostChargeType, "PREPAID");
  assert.equal(h.HostState, "RUNNING");
  assert.ok(h.ExpiredTime && Date.parse(h.ExpiredTime) > Date.now(), `ExpiredTime ${h.ExpiredTime}`);
  assert.deepEqual(h.InstanceIds, [instanceId]);
  assert.equal(h.HostResource.ExclusiveOwner, a.Uin);
  assert.ok(h.HostResource.CpuTotal >= 1);
  assert.equal(h.HostResource.CpuAvailable, h.HostResource.CpuTotal - 1);
  assert.ok(Math.abs(h.HostResource.MemTotal - h.HostResource.MemAvailable - 1) < 1e-9);
  const ins = (await cvmA.DescribeInstances({ InstanceIds: [instanceId] })).InstanceSet[0];
  assert.equal(ins.InstanceChargeType, "CDHPAID");
  assert.equal(ins.InstanceType, "CDH_1C1G");
  assert.equal(ins.Placement.HostId, hostId, "on its dedicated host");
  assert.equal(ins.CPU, 1);
  assert.equal(ins.Memory, 1);
  assert.equal((await cvmA.DescribeHosts({ Filters: [{ Name: "host-state", Values: ["EXPIRED"] }] })).TotalCount, 0);
});

test("another account never lands on the dedicated host, though it has room and the shared pool is full", async () => {
  const room = (await cvmA.DescribeHosts({})).HostSet[0].HostResource.CpuAvailable;
  assert.ok(room >= 1, "the dedicated host still has a free vCPU");
  assert.equal((await cvmB.DescribeHosts({})).TotalCount, 0, "B does not see A's host");
  await rejectsWith(run(cvmB, { InstanceChargeType: "CDHPAID", InstanceType: "CDH_1C1G", Placement: { Zone: ZONE, HostIds: [hostId] } }),
    "InvalidHostId.NotFound");
  const e = await rejectsWith(run(cvmB), "ResourceInsufficient.SpecifiedInstanceType");
  assert.match(e.message, /Not enough capacity/);
  await rejectsWith(run(cvmB, { InstanceCount: 1, DryRun: true }), "ResourceInsufficient.SpecifiedInstanceType");
  // A's own shared-pool instances do not go onto its dedicated host either
  await rejectsWith(run(cvmA), "ResourceInsufficient.SpecifiedInstanceType");
  assert.deepEqual((await cvmB.DescribeInstances({})).TotalCount, 0);
  assert.deepEqual((await cvmA.DescribeHosts({})).HostSet[0].InstanceIds, [instanceId]);
});
