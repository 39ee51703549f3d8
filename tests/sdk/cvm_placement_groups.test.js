/*
 * Placement groups (cvm's DisasterRecoverGroup actions) end to end on the one built-in host, with the
 * official SDK: create (ClientToken), describe (ids, name, paging), rename, delete, the quotas; a
 * launch into a group lands there (CurrentNum, InstanceIds, DescribeInstances' DisasterRecoverGroupIds);
 * a second instance of the same group is refused because the one host already holds one, and leaves
 * nothing behind (no instance, address, meter or ledger row); bad input and other accounts' groups get
 * Tencent's codes; CAM names the group (ps/...) for sub-users; a group with an instance is not deleted
 * until the instance is terminated. One guest boots.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
let d, cvm, image;
const res = (tail) => `qcs::cvm:ap-local:uin/${d.creds.Uin}:${tail}`;
const launch = (extra = {}) => cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", ...extra });
const groupOf = async (id) => (await cvm.DescribeDisasterRecoverGroups({ DisasterRecoverGroupIds: [id] })).DisasterRecoverGroupSet[0];
/* What a launch leaves behind: instance rows, addresses, meters, ledger lines, state history. */
const traces = () => ["instances", "ip_allocations WHERE instance_id <> ''", "meter_usage", "billing_ledger", "instance_events"]
  .map((t) => d.sql(`SELECT count(*) FROM ${t}`)[0]);

before(async () => {
  d = await startDaemon({ config: { compute: { instance_quota: 100 } } });
  cvm = d.cvm();
  image = (await cvm.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
});
after(async () => {
  if (!d) return;
  const left = (await cvm.DescribeInstances({ Limit: 100 })).InstanceSet.map((i) => i.InstanceId);
  if (left.length) await cvm.TerminateInstances({ InstanceIds: left }).catch(() => {});
  await d.destroy();
});

test("create, describe, rename, delete; ClientToken; the quotas", async () => {
  const q0 = await cvm.DescribeDisasterRecoverGroupQuota({});
  assert.deepEqual({ ...q0, RequestId: undefined }, { GroupQuota: 10, CurrentNum: 0, CvmInHostGroupQuota: 50,
    CvmInSwGroupQuota: 20, CvmInSwitchGroupQuota: 20, CvmInRackGroupQuota: 30, RequestId: undefined });

  const g = await cvm.CreateDisasterRecoverGroup({ Name: "web tier", Type: "HOST", ClientToken: "tok-web" });
  assert.match(g.DisasterRecoverGroupId, /^ps-[a-z0-9]{8}$/);
  assert.equal(g.Type, "HOST");
  assert.equal(g.Name, "web tier");
  assert.equal(g.CvmQuotaTotal, 50);
  assert.equal(g.CurrentNum, 0);
  assert.match(g.CreateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const again = await cvm.CreateDisasterRecoverGroup({ Name: "other name", Type: "RACK", ClientToken: "tok-web" });
  assert.equal(again.DisasterRecoverGroupId, g.DisasterRecoverGroupId, "the same token answers the first call");
  assert.equal(again.Name, "web tier");

  const sw = await cvm.CreateDisasterRecoverGroup({ Name: "交换机组", Type: "SW" });
  const rack = await cvm.CreateDisasterRecoverGroup({ Name: "racks", Type: "RACK" });
  assert.equal(sw.CvmQuotaTotal, 20);
  assert.equal(rack.CvmQuotaTotal, 30);

  const all = await cvm.DescribeDisasterRecoverGroups({});
  assert.equal(all.TotalCount, 3);
  assert.deepEqual(all.DisasterRecoverGroupSet.map((x) => x.DisasterRecoverGroupId),
    [g.DisasterRecoverGroupId, sw.DisasterRecoverGroupId, rack.DisasterRecoverGroupId]);
  assert.deepEqual(all.DisasterRecoverGroupSet[1], { DisasterRecoverGroupId: sw.DisasterRecoverGroupId, Name: "交换机组",
    Type: "SW", CvmQuotaTotal: 20, CurrentNum: 0, InstanceIds: [], CreateTime: sw.CreateTime, Affinity: 1, Tags: [] });
  const byName = await cvm.DescribeDisasterRecoverGroups({ Name: "tier" });
  assert.deepEqual(byName.DisasterRecoverGroupSet.map((x) => x.Name), ["web tier"]);
  const page = await cvm.DescribeDisasterRecoverGroups({ Offset: 1, Limit: 1 });
  assert.equal(page.TotalCount, 3);
  assert.deepEqual(page.DisasterRecoverGroupSet.map((x) => x.DisasterRecoverGroupId), [sw.DisasterRecoverGroupId]);
  const two = await cvm.DescribeDisasterRecoverGroups({ DisasterRecoverGroupIds: [rack.DisasterRecoverGroupId, "ps-nothere1"] });
  assert.deepEqual(two.DisasterRecoverGroupSet.map((x) => x.DisasterRecoverGroupId), [rack.DisasterRecoverGroupId]);

  await cvm.ModifyDisasterRecoverGroupAttribute({ DisasterRecoverGroupId: rack.DisasterRecoverGroupId, Name: "racks-2" });
  assert.equal((await groupOf(rack.DisasterRecoverGroupId)).Name, "racks-2");
  assert.equal((await cvm.DescribeDisasterRecoverGroupQuota({})).CurrentNum, 3);

  // the account's quota of groups: 10 in the region
  const extra = [];
  for (let i = 0; i < 7; i++) extra.push((await cvm.CreateDisasterRecoverGroup({ Name: `g${i}`, Type: "HOST" })).DisasterRecoverGroupId);
  const over = await rejectsWith(cvm.CreateDisasterRecoverGroup({ Name: "eleventh", Type: "HOST" }), "LimitExceeded.DisasterRecoverGroup");
  assert.match(over.message, /at most 10/);
  assert.equal((await cvm.DescribeDisasterRecoverGroupQuota({})).CurrentNum, 10);
  await cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [...extra, sw.DisasterRecoverGroupId, rack.DisasterRecoverGroupId] });
  assert.equal((await cvm.DescribeDisasterRecoverGroups({})).TotalCount, 1);
  await rejectsWith(cvm.ModifyDisasterRecoverGroupAttribute({ DisasterRecoverGroupId: sw.DisasterRecoverGroupId, Name: "x" }),
    "ResourceNotFound.InvalidPlacementSet", "a deleted group");

  const audit = d.audit(200).filter((r) => r.Action === "CreateDisasterRecoverGroup" && r.Result === "Success");
  assert.ok(audit.some((r) => r.Resource.includes(`ps/${g.DisasterRecoverGroupId}`)), JSON.stringify(audit.slice(0, 2)));
  assert.ok(d.audit(200).some((r) => r.Action === "CreateDisasterRecoverGroup" && r.Result === "LimitExceeded.DisasterRecoverGroup"),
    "the refusal is audited");
  await cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [g.DisasterRecoverGroupId] });
});

test("bad input: Type, Name, ids, another account's group", async () => {
  await rejectsWith(cvm.CreateDisasterRecoverGroup({ Name: "x", Type: "ROOM" }), "InvalidParameterValue");
  await rejectsWith(cvm.CreateDisasterRecoverGroup({ Name: "", Type: "HOST" }), "InvalidParameterValue");
  await rejectsWith(cvm.CreateDisasterRecoverGroup({ Type: "HOST" }), "MissingParameter");
  await rejectsWith(cvm.CreateDisasterRecoverGroup({ Name: "n".repeat(61), Type: "HOST" }), "InvalidParameterValue.TooLong");
  await cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [(await cvm.CreateDisasterRecoverGroup({ Name: "组".repeat(60), Type: "HOST" })).DisasterRecoverGroupId] });
  assert.equal((await cvm.DescribeDisasterRecoverGroups({})).TotalCount, 0, "nothing made by the refused calls");

  await rejectsWith(cvm.DescribeDisasterRecoverGroups({ DisasterRecoverGroupIds: ["sg-12345678"] }),
    "InvalidParameterValue.DisasterRecoverGroupIdMalformed");
  await rejectsWith(cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: ["ps-nothere1"] }), "ResourceNotFound.InvalidPlacementSet");
  await rejectsWith(cvm.ModifyDisasterRecoverGroupAttribute({ DisasterRecoverGroupId: "ps-nothere1", Name: "x" }),
    "ResourceNotFound.InvalidPlacementSet");
  await rejectsWith(launch({ DisasterRecoverGroupIds: ["ps-nothere1"] }), "FailedOperation.DisasterRecoverGroupNotFound");
  await rejectsWith(launch({ DisasterRecoverGroupIds: ["ps-BAD"] }), "InvalidParameterValue.DisasterRecoverGroupIdMalformed");

  // another account's group is not found for anything, and it sees none of ours
  const other = d.createAccount("tenant2");
  const cvm2 = d.cvm({ SecretId: other.SecretId, SecretKey: other.SecretKey });
  const theirs = (await cvm2.CreateDisasterRecoverGroup({ Name: "theirs", Type: "HOST" })).DisasterRecoverGroupId;
  const mine = (await cvm.CreateDisasterRecoverGroup({ Name: "mine", Type: "HOST" })).DisasterRecoverGroupId;
  await rejectsWith(launch({ DisasterRecoverGroupIds: [theirs] }), "FailedOperation.DisasterRecoverGroupNotFound");
  await rejectsWith(cvm.ModifyDisasterRecoverGroupAttribute({ DisasterRecoverGroupId: theirs, Name: "stolen" }),
    "ResourceNotFound.InvalidPlacementSet");
  await rejectsWith(cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [theirs] }), "ResourceNotFound.InvalidPlacementSet");
  assert.equal((await cvm.DescribeDisasterRecoverGroups({ DisasterRecoverGroupIds: [theirs] })).TotalCount, 0);
  assert.deepEqual((await cvm2.DescribeDisasterRecoverGroups({})).DisasterRecoverGroupSet.map((x) => [x.DisasterRecoverGroupId, x.Name]),
    [[theirs, "theirs"]]);
  assert.equal((await cvm2.DescribeDisasterRecoverGroupQuota({})).CurrentNum, 1);
  await rejectsWith(cvm2.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [mine] }), "ResourceNotFound.InvalidPlacementSet");
  assert.equal((await groupOf(mine)).Name, "mine");
  await cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [mine] });
  assert.equal(traces()[0], "0", "no instance was made");
});

test("CAM: a sub-user's policy names the group (qcs::cvm:...:ps/ID)", async () => {
  const g = (await cvm.CreateDisasterRecoverGroup({ Name: "guarded", Type: "HOST" })).DisasterRecoverGroupId;
  const cam = d.cam();
  const u = await cam.AddUser({ Name: "ops", UseApi: 1 });
  const doc = { version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" },
    { effect: "deny", action: ["cvm:RunInstances", "cvm:DeleteDisasterRecoverGroups", "cvm:ModifyDisasterRecoverGroupAttribute"],
      resource: res(`ps/${g}`) }] };
  const p = await cam.CreatePolicy({ PolicyName: "no-guarded", PolicyDocument: JSON.stringify(doc) });
  await cam.AttachUserPolicy({ PolicyId: p.PolicyId, AttachUin: u.Uin });
  const sub = d.cvm({ SecretId: u.SecretId, SecretKey: u.SecretKey });
  await rejectsWith(sub.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, DisasterRecoverGroupIds: [g], DryRun: true }),
    "UnauthorizedOperation");
  await rejectsWith(sub.ModifyDisasterRecoverGroupAttribute({ DisasterRecoverGroupId: g, Name: "x" }), "UnauthorizedOperation");
  await rejectsWith(sub.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [g] }), "UnauthorizedOperation");
  assert.equal((await groupOf(g)).Name, "guarded");
  // not denied: another group, and the same group for reading
  const free = (await sub.CreateDisasterRecoverGroup({ Name: "free", Type: "HOST" })).DisasterRecoverGroupId;
  assert.deepEqual(Object.keys(await sub.RunInstances({ Placement: { Zone: ZONE }, ImageId: image,
    DisasterRecoverGroupIds: [free], DryRun: true })), ["RequestId"]);
  assert.equal((await sub.DescribeDisasterRecoverGroups({ DisasterRecoverGroupIds: [g] })).TotalCount, 1);
  await sub.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [free] });
  await cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [g] });
});

test("one host: the first instance of a group lands, a second is refused and leaves nothing; delete after terminate", async () => {
  const g = (await cvm.CreateDisasterRecoverGroup({ Name: "spread", Type: "HOST" })).DisasterRecoverGroupId;
  const sw = (await cvm.CreateDisasterRecoverGroup({ Name: "small", Type: "SW" })).DisasterRecoverGroupId;
  // more than the group holds (SW: 20), and two at once on one host: refused before anything is made
  await rejectsWith(launch({ DisasterRecoverGroupIds: [sw], InstanceCount: 21, DryRun: true }),
    "ResourceInsufficient.DisasterRecoverGroupCvmQuota");
  const before2 = traces();
  const pair = await rejectsWith(launch({ DisasterRecoverGroupIds: [g], InstanceCount: 2 }), "ResourceInsufficient.DisasterRecoverGroupCvmQuota");
  assert.match(pair.message, /distinct hosts/);
  assert.deepEqual(traces(), before2);
  await rejectsWith(launch({ DisasterRecoverGroupIds: [g, sw] }), "InvalidParameterValue", "at most one group");

  const id = (await launch({ DisasterRecoverGroupIds: [g], InstanceName: "first" })).InstanceIdSet[0];
  await waitFor(() => cvm.DescribeInstances({ InstanceIds: [id] }), (r) => r.InstanceSet[0].InstanceState === "RUNNING",
    60000, "the group's instance running", 250);
  let group = await groupOf(g);
  assert.equal(group.CurrentNum, 1);
  assert.deepEqual(group.InstanceIds, [id]);
  const inst = (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
  assert.deepEqual(inst.DisasterRecoverGroupIds, [g]);
  assert.equal(inst.DisasterRecoverGroupId, g);

  // the second into the same group: the only host holds the first
  const before = traces();
  const e = await rejectsWith(launch({ DisasterRecoverGroupIds: [g], InstanceName: "second" }),
    "ResourceInsufficient.DisasterRecoverGroupCvmQuota");
  assert.match(e.message, /distinct hosts/);
  assert.deepEqual(traces(), before, "instances, addresses, meters, ledger, history unchanged");
  assert.equal((await cvm.DescribeInstances({})).TotalCount, 1);
  assert.equal((await groupOf(g)).CurrentNum, 1);
  // ...while a launch outside the group still fits on that host
  assert.deepEqual(Object.keys(await launch({ DryRun: true, InstanceName: "ungrouped" })), ["RequestId"]);

  await rejectsWith(cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [g] }), "FailedOperation.PlacementSetNotEmpty");
  await rejectsWith(cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [sw, g] }), "FailedOperation.PlacementSetNotEmpty");
  assert.equal((await cvm.DescribeDisasterRecoverGroups({})).TotalCount, 2, "a refused delete deletes none of the ids");

  await cvm.TerminateInstances({ InstanceIds: [id] });
  await waitFor(() => cvm.DescribeInstances({ InstanceIds: [id] }), (r) => r.TotalCount === 0, 60000, "terminated", 250);
  group = await groupOf(g);
  assert.equal(group.CurrentNum, 0, "a terminated instance leaves its group");
  assert.deepEqual(group.InstanceIds, []);
  await cvm.DeleteDisasterRecoverGroups({ DisasterRecoverGroupIds: [g, sw] });
  assert.equal((await cvm.DescribeDisasterRecoverGroups({})).TotalCount, 0);
  assert.deepEqual(d.qemuPids(), []);
});
