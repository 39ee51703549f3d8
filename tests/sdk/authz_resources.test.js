/*
 * CAM authorises every resource a request names (issue 8, finding 1): a sub-user allowed `*` but
 * denied one resource is refused when a request names that resource among others, when it omits an
 * optional target that defaults to a denied one, and when the denied resource is a secondary one
 * (the instance of AttachDisks, the image of RunInstances, the snapshot of CreateDisks, the policy
 * of AttachUserPolicy). Also: policies naming condition keys yun cannot evaluate are refused,
 * policy ids are not a shared sequence, every refusal and authentication failure is audited, and
 * RunInstances' DryRun runs the checks the real call runs. No guest boots here.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith } = require("./lib/yund");
const tc3 = require("./lib/tc3");

const ZONE = "ap-local-1";
let d, A, B, imageId, disks, eipId;
let nUsers = 0;

/* A fresh sub-user of A allowed everything except the given deny statements. */
async function userWith(denies) {
  const cam = d.cam(A);
  const u = await cam.AddUser({ Name: `u${++nUsers}`, UseApi: 1 });
  const doc = { version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" },
    ...denies.map((x) => ({ effect: "deny", ...x }))] };
  const p = await cam.CreatePolicy({ PolicyName: `p${nUsers}`, PolicyDocument: JSON.stringify(doc) });
  await cam.AttachUserPolicy({ PolicyId: p.PolicyId, AttachUin: u.Uin });
  return { SecretId: u.SecretId, SecretKey: u.SecretKey, Uin: u.Uin };
}
const res = (svc, tail, region = "ap-local") => `qcs::${svc}:${region}:uin/${d.creds.Uin}:${tail}`;
const denied = (p, what) => rejectsWith(p, "UnauthorizedOperation", what);

before(async () => {
  d = await startDaemon();
  A = d.creds;
  B = d.createAccount("other");
  imageId = (await d.cvm().DescribeImages({})).ImageSet[0].ImageId;
  disks = (await d.cbs().CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR",
    DiskType: "CLOUD_PREMIUM", DiskSize: 10, DiskCount: 2 })).DiskIdSet;
  assert.equal(disks.length, 2);
  eipId = (await d.vpc().AllocateAddresses({})).AddressSet[0];
});
after(async () => { await d?.destroy(); });

const diskCount = async (ids) => (await d.cbs().DescribeDisks({ DiskIds: ids })).TotalCount;

test("a deny on one of several named resources refuses the whole request", async () => {
  const u = await userWith([{ action: "cbs:TerminateDisks", resource: res("cbs", `volume/${disks[0]}`) }]);
  await denied(d.cbs(u).TerminateDisks({ DiskIds: [disks[0]] }), "one denied disk");
  await denied(d.cbs(u).TerminateDisks({ DiskIds: [disks[1], disks[0]] }), "denied disk among two");
  assert.equal(await diskCount(disks), 2, "both disks still exist");

  const v = await userWith([{ action: "cvm:ModifyInstancesAttribute", resource: res("cvm", "instance/ins-aaaaaaaa") }]);
  await denied(d.cvm(v).ModifyInstancesAttribute({ InstanceIds: ["ins-aaaaaaaa", "ins-bbbbbbbb"], InstanceName: "x" }));
  // the other instance alone is not denied: the request gets as far as the lookup
  const e = await rejectsWith(d.cvm(v).ModifyInstancesAttribute({ InstanceIds: ["ins-bbbbbbbb"], InstanceName: "x" }),
    /^InvalidInstanceId/);
  assert.doesNotMatch(e.code, /Unauthorized/);
});

test("a Describe naming a denied resource is refused; the audit log records the refusal", async () => {
  const u = await userWith([{ action: "cbs:DescribeDisks", resource: res("cbs", `volume/${disks[0]}`) }]);
  const e = await denied(d.cbs(u).DescribeDisks({ DiskIds: [disks[1], disks[0]] }));
  assert.match(e.message, new RegExp(disks[0]), "the message names the denied resource");
  assert.equal((await d.cbs(u).DescribeDisks({ DiskIds: [disks[1]] })).TotalCount, 1);
  const rec = d.audit(50).find((r) => r.Action === "DescribeDisks" && r.Result === "UnauthorizedOperation");
  assert.ok(rec, "the refused read is in the audit log");
  assert.equal(rec.SubUin, String(u.Uin));
  assert.match(rec.Resource, new RegExp(disks[0]));
});

test("UpdateAccessKey without TargetUin acts on the key's owner: a deny on the root account holds", async () => {
  const u = await userWith([{ action: "cam:*", resource: `qcs::cam::uin/${d.creds.Uin}:uin/${d.creds.Uin}` }]);
  await denied(d.cam(u).UpdateAccessKey({ AccessKeyId: A.SecretId, Status: "Inactive" }), "no TargetUin");
  await denied(d.cam(u).DeleteAccessKey({ AccessKeyId: A.SecretId }), "delete, no TargetUin");
  await denied(d.cam(u).UpdateAccessKey({ AccessKeyId: A.SecretId, Status: "Inactive", TargetUin: Number(u.Uin) }),
    "a TargetUin that is not the key's owner does not move the check");
  const keys = await d.cam(A).ListAccessKeys({});
  assert.equal(keys.AccessKeys.find((k) => k.AccessKeyId === A.SecretId).Status, "Active");
  await d.cvm(A).DescribeZones({}); // the root key still works
  // the sub-user's own key is not the root's: allowed
  await d.cam(u).UpdateAccessKey({ AccessKeyId: u.SecretId, Status: "Active" });
});

test("secondary resources are authorised: the instance of AttachDisks and AssociateAddress", async () => {
  const ins = "ins-cccccccc";
  const u = await userWith([{ action: "*", resource: res("cvm", `instance/${ins}`) }]);
  await denied(d.cbs(u).AttachDisks({ InstanceId: ins, DiskIds: [disks[1]] }), "AttachDisks to a denied instance");
  await denied(d.vpc(u).AssociateAddress({ AddressId: eipId, InstanceId: ins }), "AssociateAddress to a denied instance");
  // the same calls on an instance that is not denied pass authorisation and fail on the lookup
  const e = await rejectsWith(d.cbs(u).AttachDisks({ InstanceId: "ins-dddddddd", DiskIds: [disks[1]] }), /./);
  assert.doesNotMatch(e.code, /Unauthorized/);
});

test("secondary resources are authorised: RunInstances' image and security groups, CreateDisks' snapshot", async () => {
  const u = await userWith([
    { action: "cvm:RunInstances", resource: res("cvm", `image/${imageId}`) },
    { action: "cbs:CreateDisks", resource: res("cbs", "snap/snap-eeeeeeee") },
    { action: "cvm:RunInstances", resource: res("vpc", "sg/sg-ffffffff") },
  ]);
  const run = { Placement: { Zone: ZONE }, ImageId: imageId, InstanceType: "S5.SMALL1", DryRun: true };
  await denied(d.cvm(u).RunInstances(run), "denied image");
  const v = await userWith([{ action: "cvm:RunInstances", resource: res("vpc", "sg/sg-ffffffff") }]);
  await d.cvm(v).RunInstances(run); // the image alone is fine (dry run: nothing launched)
  await denied(d.cvm(v).RunInstances({ ...run, SecurityGroupIds: ["sg-ffffffff"] }), "denied security group");
  await denied(d.cbs(u).CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR",
    DiskType: "CLOUD_PREMIUM", SnapshotId: "snap-eeeeeeee" }), "denied snapshot");
  assert.equal((await d.cvm(A).DescribeInstances({})).TotalCount, 0, "no instance was made");
});

test("AttachUserPolicy authorises the policy too: a denied policy cannot be attached", async () => {
  const admin = await d.cam(A).CreatePolicy({ PolicyName: "admin-only",
    PolicyDocument: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" }] }) });
  const u = await userWith([{ action: "cam:AttachUserPolicy", resource: `qcs::cam::uin/${d.creds.Uin}:policyid/${admin.PolicyId}` }]);
  await denied(d.cam(u).AttachUserPolicy({ PolicyId: admin.PolicyId, AttachUin: Number(u.Uin) }));
  const att = await d.cam(A).ListAttachedUserPolicies({ TargetUin: Number(u.Uin) });
  assert.ok(!att.List.some((p) => p.PolicyId === admin.PolicyId));
});

test("DeletePolicy of several ids is refused when one is denied", async () => {
  const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "cvm:Describe*", resource: "*" }] });
  const p1 = (await d.cam(A).CreatePolicy({ PolicyName: "keep-me", PolicyDocument: doc })).PolicyId;
  const p2 = (await d.cam(A).CreatePolicy({ PolicyName: "drop-me", PolicyDocument: doc })).PolicyId;
  const u = await userWith([{ action: "cam:DeletePolicy", resource: `qcs::cam::uin/${d.creds.Uin}:policyid/${p1}` }]);
  await denied(d.cam(u).DeletePolicy({ PolicyId: [p2, p1] }));
  assert.equal((await d.cam(A).GetPolicy({ PolicyId: p1 })).PolicyName, "keep-me");
  assert.equal((await d.cam(A).GetPolicy({ PolicyId: p2 })).PolicyName, "drop-me");
});

test("policies naming condition keys or values yun cannot evaluate are refused at CreatePolicy", async () => {
  for (const cond of [{ string_equal: { "qcs:no_such_key": "x" } }, { ip_equal: { "qcs:ip": "not-an-address" } },
                      { date_less_than: { "qcs:current_time": "soon" } }]) {
    const doc = { version: "2.0", statement: [{ effect: "deny", action: "*", resource: "*", condition: cond }] };
    const e = await rejectsWith(d.cam(A).CreatePolicy({ PolicyName: "bad-cond", PolicyDocument: JSON.stringify(doc) }),
      "InvalidParameter.PolicyDocumentError");
    assert.match(e.message, /condition/);
  }
  const list = await d.cam(A).ListPolicies({ Keyword: "bad-cond" });
  assert.equal(list.TotalNum, 0, "nothing was created");
});

test("policy ids are not one shared sequence across accounts", async () => {
  const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "cvm:Describe*", resource: "*" }] });
  const ids = [];
  for (const [creds, n] of [[A, "seq-a1"], [B, "seq-b1"], [A, "seq-a2"], [B, "seq-b2"]])
    ids.push((await d.cam(creds).CreatePolicy({ PolicyName: n, PolicyDocument: doc })).PolicyId);
  for (const id of ids) assert.ok(Number.isInteger(id) && id >= 1e8 && id < 1e9, `id ${id} is a 9-digit integer`);
  const steps = ids.slice(1).map((id, i) => id - ids[i]);
  assert.ok(!steps.every((s) => s === 1), `ids ${ids} are consecutive`);
});

test("authentication failures are audited: a bad signature and an unknown SecretId", async () => {
  const before = d.audit(1000).length;
  const bad = await tc3.request(d.endpoint, { secretId: A.SecretId, secretKey: "wrong-" + A.SecretKey,
    action: "DescribeZones", version: "2017-03-12", region: "ap-local", service: "cvm" });
  assert.equal(bad.json.Response.Error.Code, "AuthFailure.SignatureFailure");
  const unknown = await tc3.request(d.endpoint, { secretId: "AKIDnosuchkey000000", secretKey: "x",
    action: "DescribeZones", version: "2017-03-12", region: "ap-local", service: "cvm" });
  assert.equal(unknown.json.Response.Error.Code, "AuthFailure.SecretIdNotFound");
  const recs = d.audit(1000).slice(before);
  const sig = recs.find((r) => r.Result === "AuthFailure.SignatureFailure");
  assert.ok(sig, `audit has the bad signature: ${JSON.stringify(recs)}`);
  assert.equal(sig.Action, "DescribeZones");
  assert.equal(sig.SourceIp, "127.0.0.1");
  assert.equal(sig.Uin, String(d.creds.Uin), "the key's account is named");
  assert.ok(recs.find((r) => r.Result === "AuthFailure.SecretIdNotFound"), "audit has the unknown key");
});

test("RunInstances DryRun refuses what the real call refuses: another account's or a missing security group", async () => {
  const bsg = (await d.vpc(B).CreateSecurityGroup({ GroupName: "b-group", GroupDescription: "b" })).SecurityGroup.SecurityGroupId;
  const run = { Placement: { Zone: ZONE }, ImageId: imageId, InstanceType: "S5.SMALL1" };
  for (const sg of [bsg, "sg-zzzzzzzz"]) {
    const real = await rejectsWith(d.cvm(A).RunInstances({ ...run, SecurityGroupIds: [sg] }), /./, `real call with ${sg}`);
    const dry = await rejectsWith(d.cvm(A).RunInstances({ ...run, SecurityGroupIds: [sg], DryRun: true }), /./, `dry run with ${sg}`);
    assert.equal(dry.code, real.code, `the dry run answers as the real call (${real.code})`);
  }
  await d.cvm(A).RunInstances({ ...run, DryRun: true }); // and a good request still passes its dry run
  assert.equal((await d.cvm(A).DescribeInstances({})).TotalCount, 0, "dry runs leave nothing behind");
});
