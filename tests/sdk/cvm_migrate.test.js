/*
 * MigrateInstance (a yun extension, the operator's only) and `yun admin hosts drain` on a region with the built-in
 * host alone: a customer is refused (UnauthorizedOperation, audited); the operator is told what cannot move (an
 * unknown instance, one on the built-in host: only joined hosts' instances migrate, the move itself is
 * tests/system/host_migrate.sh); drain says what it could not start and why, a draining host takes no new
 * instance, and undrain gives it back to the scheduler (both shown in `yun admin hosts`). One guest boots.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
let d, customer, cvm, image, id;

before(async () => {
  d = await startDaemon({ config: { compute: { boot_concurrency: 1 } } });
  customer = d.createAccount("migrate-customer");
  cvm = d.cvm();
  image = (await cvm.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
});

after(async () => {
  if (!d) return;
  try {
    if (id) await cvm.TerminateInstances({ InstanceIds: [id] }).catch(() => {});
  } finally {
    await d.destroy();
  }
});

const migrate = (params, creds) => d.common("2017-03-12", creds).request("MigrateInstance", params);

test("only the operator migrates; what cannot move is refused with Tencent's codes", async () => {
  await rejectsWith(migrate({ InstanceId: "ins-nothere" }, customer), "UnauthorizedOperation");
  assert.ok(d.audit(50).some((e) => e.Action === "MigrateInstance" && e.Result === "UnauthorizedOperation" &&
    e.Uin === customer.Uin), "the refusal is audited");
  await rejectsWith(migrate({}), "MissingParameter");
  await rejectsWith(migrate({ InstanceId: "ins-nothere" }), "InvalidInstanceId.NotFound");
  const r = await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1" });
  id = r.InstanceIdSet[0];
  await waitFor(() => cvm.DescribeInstances({ InstanceIds: [id] }), (x) => x.InstanceSet[0].InstanceState === "RUNNING",
    60000, "RUNNING");
  await rejectsWith(migrate({ InstanceId: id }), "UnsupportedOperation", "an instance of the built-in host");
  await rejectsWith(migrate({ InstanceId: id, HostId: "host-nothere" }), "UnsupportedOperation");
  const ins = (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
  assert.equal(ins.InstanceState, "RUNNING");
  assert.equal(ins.LatestOperation, "RunInstances", "a refused move records nothing");
});

test("drain: nothing to move it to is said per instance; the draining host takes no new instance", async () => {
  const out = JSON.parse(d.admin("hosts", "drain", "host-local"));
  assert.equal(out.HostId, "host-local");
  assert.equal(out.Draining, true);
  assert.deepEqual(out.Migrating, []);
  assert.equal(out.NotMigrating.length, 1);
  assert.equal(out.NotMigrating[0].InstanceId, id);
  assert.equal(out.NotMigrating[0].Code, "UnsupportedOperation");
  await rejectsWith(cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1" }),
    "ResourceInsufficient.SpecifiedInstanceType");
  assert.ok(d.audit(50).some((e) => e.Action === "DrainHost" && e.Result === "Success"));
  const host = () => JSON.parse(d.admin("hosts").trim().split("\n").find((l) => l.includes('"host-local"')));
  assert.equal(host().Draining, true);
  assert.deepEqual(JSON.parse(d.admin("hosts", "undrain", "host-local")), { HostId: "host-local", Draining: false });
  assert.equal(host().Draining, false);
  await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", DryRun: true });
});
