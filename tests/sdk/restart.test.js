/*
 * Durability: state made through the API survives kill -9 and a restart on the
 * same data dir; keys keep working; the audit log (`yun admin audit`) records
 * the mutations with the RequestIds the API returned.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { startDaemon, rejectsWith } = require("./lib/yund");

let d, cam;
const reqIds = [];   // [Action, RequestId] of each mutation, in order
const st = {};

before(async () => { d = await startDaemon(); cam = d.cam(); });
after(async () => { await d?.destroy(); });

const track = (action, r) => { reqIds.push([action, r.RequestId]); return r; };

test("make users, keys, policies and attachments", async () => {
  st.carol = track("AddUser", await cam.AddUser({ Name: "carol", Remark: "durable" }));
  st.dan = track("AddUser", await cam.AddUser({ Name: "dan" }));
  st.key1 = track("CreateAccessKey", await cam.CreateAccessKey({ TargetUin: st.carol.Uin })).AccessKey;
  st.key2 = track("CreateAccessKey", await cam.CreateAccessKey({ TargetUin: st.carol.Uin })).AccessKey;
  track("UpdateAccessKey", await cam.UpdateAccessKey({ AccessKeyId: st.key2.AccessKeyId, Status: "Inactive", TargetUin: st.carol.Uin }));
  st.doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "cvm:DescribeZones", resource: "*" }] });
  st.pol = track("CreatePolicy", await cam.CreatePolicy({ PolicyName: "zones", PolicyDocument: st.doc, Description: "keep me" })).PolicyId;
  track("AttachUserPolicy", await cam.AttachUserPolicy({ PolicyId: st.pol, AttachUin: st.carol.Uin }));
  track("UpdateUser", await cam.UpdateUser({ Name: "dan", Remark: "updated" }));
  track("DeleteUser", await cam.DeleteUser({ Name: "dan" }));
  await d.cvm(st.key1).DescribeZones({});
  await rejectsWith(d.cvm(st.key2).DescribeZones({}), "AuthFailure.SecretIdNotFound");
  st.creds = { ...d.creds };
});

test("kill -9, restart on the same data dir: everything is still there", async () => {
  const r = await d.kill9();
  assert.equal(r.signal, "SIGKILL");
  await d.start();
  assert.deepEqual(d.creds, st.creds, "credentials.json unchanged");
  const g = await cam.GetUser({ Name: "carol" });
  assert.equal(g.Uin, st.carol.Uin);
  assert.equal(g.Remark, "durable");
  await rejectsWith(cam.GetUser({ Name: "dan" }), /^ResourceNotFound/, "deleted user stays deleted");
  const keys = await cam.ListAccessKeys({ TargetUin: st.carol.Uin });
  assert.deepEqual(keys.AccessKeys.map((k) => [k.AccessKeyId, k.Status]).sort(),
    [[st.key1.AccessKeyId, "Active"], [st.key2.AccessKeyId, "Inactive"]].sort());
  const p = await cam.GetPolicy({ PolicyId: st.pol });
  assert.equal(p.PolicyName, "zones");
  assert.equal(p.Description, "keep me");
  assert.deepEqual(JSON.parse(p.PolicyDocument), JSON.parse(st.doc));
  const att = await cam.ListAttachedUserPolicies({ TargetUin: st.carol.Uin });
  assert.deepEqual(att.List.map((x) => x.PolicyId), [st.pol]);
});

test("after restart the keys still work and key status is kept", async () => {
  await d.cvm().DescribeZones({});
  await d.cvm(st.key1).DescribeZones({});
  await rejectsWith(d.cvm(st.key2).DescribeZones({}), "AuthFailure.SecretIdNotFound");
  await rejectsWith(d.cvm(st.key1).DescribeRegions({}),
    "UnauthorizedOperation", "policy evaluation after restart");
});

test("new objects after restart get fresh ids", async () => {
  const erin = track("AddUser", await cam.AddUser({ Name: "erin" }));
  assert.notEqual(erin.Uin, st.carol.Uin);
  assert.notEqual(erin.Uin, st.dan.Uin);
  const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" }] });
  const pol = track("CreatePolicy", await cam.CreatePolicy({ PolicyName: "after", PolicyDocument: doc })).PolicyId;
  assert.notEqual(pol, st.pol);
  assert.equal((await cam.GetPolicy({ PolicyId: st.pol })).PolicyName, "zones");
});

test("graceful restart (SIGTERM) keeps state too", async () => {
  const r = await d.restart();
  assert.ok(r);
  assert.equal((await cam.GetUser({ Name: "erin" })).Name, "erin");
  assert.equal((await cam.ListUsers()).Data.length, 2);
});

test("the audit log has every mutation with the RequestId the API returned, in order", async () => {
  const lines = d.audit();
  assert.ok(lines.length >= reqIds.length, `audit has ${lines.length} lines`);
  for (const k of ["Time", "Uin", "SubUin", "SourceIp", "Action", "Service", "Resource", "Result", "RequestId"]) {
    assert.ok(k in lines[0], `audit record has ${k}: ${JSON.stringify(lines[0])}`);
  }
  const byId = new Map(lines.map((l, i) => [l.RequestId, { ...l, i }]));
  let last = -1;
  for (const [action, rid] of reqIds) {
    const l = byId.get(rid);
    assert.ok(l, `audit has ${action} ${rid}`);
    assert.equal(l.Action, action);
    assert.equal(l.Service, "cam");
    assert.equal(String(l.Uin), String(d.creds.Uin));
    assert.equal(l.SourceIp, "127.0.0.1");
    assert.ok(l.i > last, `${action} ${rid} is after the previous mutation (newest last)`);
    last = l.i;
  }
  const tail = d.audit(2);
  assert.equal(tail.length, 2);
  assert.deepEqual(tail.map((l) => l.RequestId), lines.slice(-2).map((l) => l.RequestId));
});

test("the audit log of a denied request names the sub-user", async () => {
  const e = await rejectsWith(d.cam(st.key1).AddUser({ Name: "sneaky" }),
    "UnauthorizedOperation");
  const l = d.audit().find((x) => x.RequestId === e.requestId);
  assert.ok(l, `denied AddUser ${e.requestId} is audited`);
  assert.equal(l.Action, "AddUser");
  assert.equal(String(l.SubUin), String(st.carol.Uin));
  assert.notEqual(String(l.Result).toLowerCase(), "success");
});

test("the data dir (keys, database) is not readable by others", () => {
  if ((fs.statSync(d.dataDir).mode & 0o077) === 0) return;   // a 0700 dir protects everything in it
  for (const f of fs.readdirSync(d.dataDir)) {
    const m = fs.statSync(path.join(d.dataDir, f)).mode & 0o777;
    assert.equal(m & 0o007, 0, `${f} is mode ${m.toString(8)}`);
  }
});
