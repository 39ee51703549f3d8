/*
 * Two root accounts on one daemon (the second made with `yun admin
 * create-account`): neither can see or touch the other's users, keys or
 * policies, and errors never carry the other's data.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith } = require("./lib/yund");

const NOT_YOURS = ["ResourceNotFound", "UnauthorizedOperation"];
const isNotYours = (code) => NOT_YOURS.some((c) => code === c || code.startsWith(c + "."));
const notYours = { test: (code) => isNotYours(code), toString: () => NOT_YOURS.join("|") };

let d, a, b;           // daemon, account A (first root), account B
let aUser, aPolicyId, aKey, aDoc;
const secrets = [];    // strings of A that must never appear in B's answers

before(async () => {
  d = await startDaemon();
  a = { creds: d.creds, Uin: String(d.creds.Uin) };
  const acct = d.createAccount("tenant-b");
  for (const k of ["Uin", "AppId", "SecretId", "SecretKey"]) assert.ok(acct[k] !== undefined && acct[k] !== "", `create-account prints ${k}`);
  b = { creds: { SecretId: acct.SecretId, SecretKey: acct.SecretKey }, Uin: String(acct.Uin), AppId: acct.AppId };

  const u = await d.cam(a.creds).AddUser({ Name: "alice", Remark: "a-private-remark", UseApi: 1 });
  aUser = u;
  aKey = { SecretId: u.SecretId, SecretKey: u.SecretKey };
  aDoc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "cvm:DescribeZones", resource: "*" }] });
  aPolicyId = (await d.cam(a.creds).CreatePolicy({ PolicyName: "a-secret-policy", PolicyDocument: aDoc, Description: "a-private-desc" })).PolicyId;
  await d.cam(a.creds).AttachUserPolicy({ PolicyId: aPolicyId, AttachUin: aUser.Uin });
  // Key ids are identifiers B may pass in (and see echoed back); the secrets must never show.
  secrets.push(a.creds.SecretKey, aKey.SecretKey, "a-private-remark",
               "a-secret-policy", "a-private-desc", String(aUser.Uid));
});
after(async () => { await d?.destroy(); });

function noLeak(x) {
  const text = typeof x === "string" ? x : JSON.stringify(x) + " " + (x && x.message);
  for (const s of secrets) assert.ok(!text.includes(s), `answer leaks A's data (${s}): ${text}`);
}
async function deniedNoLeak(p, what) {
  const e = await rejectsWith(p, notYours, what);
  noLeak(e);
  return e;
}

test("the second account is distinct and its root key works", async () => {
  assert.notEqual(b.Uin, a.Uin);
  assert.notEqual(b.creds.SecretId, a.creds.SecretId);
  const r = await d.cvm(b.creds).DescribeZones({});
  assert.equal(r.ZoneSet.length, 2);
  assert.deepEqual((await d.cam(b.creds).ListUsers()).Data ?? [], []);
});

test("B does not see A's users, keys or policies in listings", async () => {
  const users = await d.cam(b.creds).ListUsers();
  noLeak(users);
  assert.ok(!(users.Data ?? []).some((u) => u.Name === "alice" || u.Uin === aUser.Uin));
  const pols = await d.cam(b.creds).ListPolicies({ Scope: "All", Rp: 200, Page: 1 });
  noLeak(pols);
  assert.ok(!(pols.List ?? []).some((p) => p.PolicyId === aPolicyId));
  const keys = await d.cam(b.creds).ListAccessKeys({});
  noLeak(keys);
  assert.ok(!(keys.AccessKeys ?? []).some((k) => k.AccessKeyId === a.creds.SecretId || k.AccessKeyId === aKey.SecretId));
});

test("B cannot GetUser A's user", async () => {
  await deniedNoLeak(d.cam(b.creds).GetUser({ Name: "alice" }), "GetUser");
});

test("B cannot DeleteUser A's user", async () => {
  await deniedNoLeak(d.cam(b.creds).DeleteUser({ Name: "alice", Force: 1 }), "DeleteUser");
  assert.equal((await d.cam(a.creds).GetUser({ Name: "alice" })).Uin, aUser.Uin);
});

test("B cannot UpdateUser A's user", async () => {
  await deniedNoLeak(d.cam(b.creds).UpdateUser({ Name: "alice", Remark: "owned" }), "UpdateUser");
  assert.equal((await d.cam(a.creds).GetUser({ Name: "alice" })).Remark, "a-private-remark");
});

test("B cannot GetPolicy or DeletePolicy A's policy", async () => {
  await deniedNoLeak(d.cam(b.creds).GetPolicy({ PolicyId: aPolicyId }), "GetPolicy");
  await deniedNoLeak(d.cam(b.creds).DeletePolicy({ PolicyId: [aPolicyId] }), "DeletePolicy");
  assert.equal((await d.cam(a.creds).GetPolicy({ PolicyId: aPolicyId })).PolicyName, "a-secret-policy");
});

test("B cannot attach its policy to A's user, nor A's policy to its own user", async () => {
  const bDoc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" }] });
  const bPolicy = (await d.cam(b.creds).CreatePolicy({ PolicyName: "b-all", PolicyDocument: bDoc })).PolicyId;
  await deniedNoLeak(d.cam(b.creds).AttachUserPolicy({ PolicyId: bPolicy, AttachUin: aUser.Uin }), "B's policy to A's user");
  const bUser = await d.cam(b.creds).AddUser({ Name: "bert", UseApi: 1 });
  await deniedNoLeak(d.cam(b.creds).AttachUserPolicy({ PolicyId: aPolicyId, AttachUin: bUser.Uin }), "A's policy to B's user");
  await deniedNoLeak(d.cam(b.creds).AttachUserPolicy({ PolicyId: aPolicyId, AttachUin: aUser.Uin }), "A's policy to A's user");
  await deniedNoLeak(d.cam(b.creds).DetachUserPolicy({ PolicyId: aPolicyId, DetachUin: aUser.Uin }), "detach A's");
  // nothing changed on A's side; B's sub-user got nothing from A
  const attached = await d.cam(a.creds).ListAttachedUserPolicies({ TargetUin: aUser.Uin });
  assert.deepEqual(attached.List.map((p) => p.PolicyId), [aPolicyId]);
  await rejectsWith(d.cvm({ SecretId: bUser.SecretId, SecretKey: bUser.SecretKey }).DescribeZones({}), "UnauthorizedOperation");
  await d.cvm(aKey).DescribeZones({});
});

test("B cannot list, create, update or delete keys of A's user", async () => {
  await deniedNoLeak(d.cam(b.creds).ListAccessKeys({ TargetUin: aUser.Uin }), "ListAccessKeys");
  await deniedNoLeak(d.cam(b.creds).ListAttachedUserPolicies({ TargetUin: aUser.Uin }), "ListAttachedUserPolicies");
  await deniedNoLeak(d.cam(b.creds).CreateAccessKey({ TargetUin: aUser.Uin }), "CreateAccessKey");
  await deniedNoLeak(d.cam(b.creds).UpdateAccessKey({ AccessKeyId: aKey.SecretId, Status: "Inactive", TargetUin: aUser.Uin }), "UpdateAccessKey with TargetUin");
  await deniedNoLeak(d.cam(b.creds).UpdateAccessKey({ AccessKeyId: aKey.SecretId, Status: "Inactive" }), "UpdateAccessKey without TargetUin");
  await deniedNoLeak(d.cam(b.creds).UpdateAccessKey({ AccessKeyId: a.creds.SecretId, Status: "Inactive" }), "UpdateAccessKey of A's root key");
  await deniedNoLeak(d.cam(b.creds).DeleteAccessKey({ AccessKeyId: aKey.SecretId, TargetUin: aUser.Uin }), "DeleteAccessKey");
  await deniedNoLeak(d.cam(b.creds).DeleteAccessKey({ AccessKeyId: aKey.SecretId }), "DeleteAccessKey without TargetUin");
  // A's keys still active and working
  await d.cvm(aKey).DescribeZones({});
  await d.cvm(a.creds).DescribeZones({});
  const keys = await d.cam(a.creds).ListAccessKeys({ TargetUin: aUser.Uin });
  assert.deepEqual(keys.AccessKeys.map((k) => [k.AccessKeyId, k.Status]), [[aKey.SecretId, "Active"]]);
});

test("user names are per account: B can have its own alice", async () => {
  const u = await d.cam(b.creds).AddUser({ Name: "alice", Remark: "b's alice" });
  assert.notEqual(u.Uin, aUser.Uin);
  assert.equal((await d.cam(b.creds).GetUser({ Name: "alice" })).Remark, "b's alice");
  assert.equal((await d.cam(a.creds).GetUser({ Name: "alice" })).Remark, "a-private-remark");
  await d.cam(b.creds).DeleteUser({ Name: "alice" });
  assert.equal((await d.cam(a.creds).GetUser({ Name: "alice" })).Uin, aUser.Uin);
});

test("a sub-user with cam:* in B still cannot reach A", async () => {
  const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" }] });
  const pid = (await d.cam(b.creds).CreatePolicy({ PolicyName: "b-star", PolicyDocument: doc })).PolicyId;
  const admin = await d.cam(b.creds).AddUser({ Name: "b-admin", UseApi: 1 });
  await d.cam(b.creds).AttachUserPolicy({ PolicyId: pid, AttachUin: admin.Uin });
  const k = { SecretId: admin.SecretId, SecretKey: admin.SecretKey };
  await d.cam(k).ListUsers();
  await deniedNoLeak(d.cam(k).GetUser({ Name: "alice" }), "B's admin GetUser A's alice");
  await deniedNoLeak(d.cam(k).GetPolicy({ PolicyId: aPolicyId }), "B's admin GetPolicy");
  await deniedNoLeak(d.cam(k).UpdateAccessKey({ AccessKeyId: aKey.SecretId, Status: "Inactive", TargetUin: aUser.Uin }), "B's admin UpdateAccessKey");
  await d.cvm(aKey).DescribeZones({});
});

test("A's sub-user with no cam rights cannot act on B either", async () => {
  await rejectsWith(d.cam(aKey).GetUser({ Name: "bert" }), "UnauthorizedOperation");
});
