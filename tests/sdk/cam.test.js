/*
 * CAM through the official node SDK: users, access keys, policies, attachment,
 * and policy evaluation for sub-users (default deny, allow, explicit deny,
 * wildcards, resource patterns, ip and date conditions, key status).
 * Tests run in order and share state.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith } = require("./lib/yund");

const DENIED = "UnauthorizedOperation";
const doc = (...statement) => JSON.stringify({ version: "2.0", statement });

let d, cam, owner;
const alice = {};   // {Uin, Uid, key: {SecretId, SecretKey}}
const policies = {};

before(async () => {
  d = await startDaemon();
  cam = d.cam();
  owner = String(d.creds.Uin);
});
after(async () => { await d?.destroy(); });

async function policy(name, statementDoc, description) {
  const r = await cam.CreatePolicy({ PolicyName: name, PolicyDocument: statementDoc, Description: description });
  assert.equal(typeof r.PolicyId, "number");
  policies[name] = r.PolicyId;
  return r.PolicyId;
}

test("AddUser with UseApi returns uin, uid and a key pair", async () => {
  const r = await cam.AddUser({ Name: "alice", Remark: "first", ConsoleLogin: 0, UseApi: 1 });
  assert.equal(r.Name, "alice");
  assert.equal(typeof r.Uin, "number");
  assert.equal(typeof r.Uid, "number");
  assert.match(r.SecretId, /^AKID[A-Za-z0-9]{10,}$/);
  assert.ok(typeof r.SecretKey === "string" && r.SecretKey.length >= 16);
  assert.notEqual(String(r.Uin), owner);
  Object.assign(alice, { Uin: r.Uin, Uid: r.Uid, key: { SecretId: r.SecretId, SecretKey: r.SecretKey } });
});

test("AddUser without UseApi returns no key", async () => {
  const r = await cam.AddUser({ Name: "bob" });
  assert.equal(r.Name, "bob");
  assert.equal(typeof r.Uin, "number");
  assert.ok(!r.SecretId && !r.SecretKey, "no key unless UseApi=1");
  assert.notEqual(r.Uin, alice.Uin);
});

test("AddUser with a duplicate name fails", async () => {
  const e = await rejectsWith(cam.AddUser({ Name: "alice" }), /./);
  assert.ok(e.code, "an API error code");
});

test("GetUser returns the user", async () => {
  const r = await cam.GetUser({ Name: "alice" });
  assert.equal(r.Uin, alice.Uin);
  assert.equal(r.Uid, alice.Uid);
  assert.equal(r.Name, "alice");
  assert.equal(r.Remark, "first");
  assert.equal(r.ConsoleLogin, 0);
});

test("GetUser of an unknown user is ResourceNotFound", async () => {
  await rejectsWith(cam.GetUser({ Name: "nobody" }), /^ResourceNotFound/);
});

test("UpdateUser changes the remark", async () => {
  const r = await cam.UpdateUser({ Name: "alice", Remark: "second" });
  assert.ok(r.RequestId);
  assert.equal((await cam.GetUser({ Name: "alice" })).Remark, "second");
  await rejectsWith(cam.UpdateUser({ Name: "nobody", Remark: "x" }), /^ResourceNotFound/);
});

test("ListUsers lists the sub-users with the SubAccountInfo shape", async () => {
  const r = await cam.ListUsers();
  const names = r.Data.map((u) => u.Name).sort();
  assert.deepEqual(names, ["alice", "bob"]);
  const a = r.Data.find((u) => u.Name === "alice");
  assert.equal(a.Uin, alice.Uin);
  assert.equal(a.Uid, alice.Uid);
  assert.equal(a.Remark, "second");
  assert.equal(typeof a.CreateTime, "string");
  assert.ok(!Number.isNaN(Date.parse(a.CreateTime.replace(" ", "T"))), `CreateTime parses: ${a.CreateTime}`);
});

test("a sub-user with no policy is denied", async () => {
  await rejectsWith(d.cvm(alice.key).DescribeZones({}), DENIED);
  await rejectsWith(d.cam(alice.key).ListUsers(), DENIED);
});

test("CreatePolicy / GetPolicy round-trip", async () => {
  const document = doc({ effect: "allow", action: ["cvm:Describe*"], resource: "*" });
  const id = await policy("cvm-describe", document, "read zones");
  const r = await cam.GetPolicy({ PolicyId: id });
  assert.equal(r.PolicyName, "cvm-describe");
  assert.equal(r.Description, "read zones");
  assert.equal(r.Type, 1);
  assert.deepEqual(JSON.parse(r.PolicyDocument), JSON.parse(document));
  assert.equal(typeof r.AddTime, "string");
  await rejectsWith(cam.GetPolicy({ PolicyId: 987654321 }), /^ResourceNotFound/);
});

test("CreatePolicy rejects a malformed document and a duplicate name", async () => {
  await rejectsWith(cam.CreatePolicy({ PolicyName: "broken", PolicyDocument: "{not json" }), /^InvalidParameter/);
  await rejectsWith(cam.CreatePolicy({ PolicyName: "cvm-describe", PolicyDocument: doc({ effect: "allow", action: "*", resource: "*" }) }), /./);
});

test("AttachUserPolicy grants: cvm:Describe* allows DescribeZones and DescribeRegions, nothing else", async () => {
  await cam.AttachUserPolicy({ PolicyId: policies["cvm-describe"], AttachUin: alice.Uin });
  const z = await d.cvm(alice.key).DescribeZones({});
  assert.equal(z.ZoneSet.length, 2);
  await d.cvm(alice.key).DescribeRegions({});
  await rejectsWith(d.cam(alice.key).ListUsers(), DENIED);
  await rejectsWith(d.cam(alice.key).GetUser({ Name: "bob" }), DENIED);
});

test("ListAttachedUserPolicies shows the attachment", async () => {
  const r = await cam.ListAttachedUserPolicies({ TargetUin: alice.Uin, Page: 1, Rp: 20 });
  assert.equal(r.TotalNum, 1);
  assert.equal(r.List.length, 1);
  assert.equal(r.List[0].PolicyId, policies["cvm-describe"]);
  assert.equal(r.List[0].PolicyName, "cvm-describe");
  const bob = await cam.ListAttachedUserPolicies({ TargetUin: (await cam.GetUser({ Name: "bob" })).Uin });
  assert.equal(bob.TotalNum, 0);
  assert.deepEqual(bob.List ?? [], []);
});

/* Attaches the named policies to alice, runs fn, and always detaches them again. */
async function withAttached(names, fn) {
  for (const n of names) await cam.AttachUserPolicy({ PolicyId: policies[n], AttachUin: alice.Uin });
  try {
    await fn();
  } finally {
    for (const n of names) await cam.DetachUserPolicy({ PolicyId: policies[n], DetachUin: alice.Uin }).catch(() => {});
  }
}

test("an explicit deny wins over an allow", async () => {
  await policy("deny-regions", doc({ effect: "deny", action: "cvm:DescribeRegions", resource: "*" }));
  await withAttached(["deny-regions"], async () => {
    await rejectsWith(d.cvm(alice.key).DescribeRegions({}), DENIED);
    await d.cvm(alice.key).DescribeZones({});
  });
  await d.cvm(alice.key).DescribeRegions({});
});

test("a deny by wildcard ('*') wins over everything", async () => {
  await policy("deny-all", doc({ effect: "deny", action: "*", resource: "*" }));
  await withAttached(["deny-all"], async () => {
    await rejectsWith(d.cvm(alice.key).DescribeZones({}), DENIED);
  });
  await d.cvm(alice.key).DescribeZones({});
});

test("resource patterns: the owner's uin/* matches, another owner's does not", async () => {
  await policy("getuser-other", doc({ effect: "allow", action: "cam:GetUser", resource: "qcs::cam::uin/1:uin/*" }));
  await policy("getuser-own", doc({ effect: "allow", action: "cam:GetUser", resource: `qcs::cam::uin/${owner}:uin/*` }));
  await withAttached(["getuser-other"], async () => {
    await rejectsWith(d.cam(alice.key).GetUser({ Name: "bob" }), DENIED, "resource of another owner");
  });
  await withAttached(["getuser-own"], async () => {
    const r = await d.cam(alice.key).GetUser({ Name: "bob" });
    assert.equal(r.Name, "bob");
    await rejectsWith(d.cam(alice.key).ListUsers(), DENIED, "GetUser grant does not cover ListUsers");
  });
  await rejectsWith(d.cam(alice.key).GetUser({ Name: "bob" }), DENIED);
});

test("ip conditions on qcs:ip (CIDR)", async () => {
  await policy("ip-local", doc({ effect: "allow", action: ["cam:GetUser"], resource: "*",
    condition: { ip_equal: { "qcs:ip": ["127.0.0.0/8"] } } }));
  await policy("ip-remote", doc({ effect: "allow", action: ["cam:ListUsers"], resource: "*",
    condition: { ip_equal: { "qcs:ip": "10.0.0.0/8" } } }));
  await policy("ip-not-local", doc({ effect: "allow", action: ["cam:ListPolicies"], resource: "*",
    condition: { ip_not_equal: { "qcs:ip": "127.0.0.1/32" } } }));
  await policy("deny-not-remote", doc({ effect: "deny", action: ["cvm:DescribeRegions"], resource: "*",
    condition: { ip_not_equal: { "qcs:ip": "10.1.2.3" } } }));
  await withAttached(["ip-local", "ip-remote", "ip-not-local", "deny-not-remote"], async () => {
    await d.cam(alice.key).GetUser({ Name: "bob" });
    await rejectsWith(d.cam(alice.key).ListUsers(), DENIED, "ip_equal 10.0.0.0/8 from 127.0.0.1");
    await rejectsWith(d.cam(alice.key).ListPolicies({}), DENIED, "ip_not_equal 127.0.0.1/32 from 127.0.0.1");
    await rejectsWith(d.cvm(alice.key).DescribeRegions({}), DENIED, "deny when ip_not_equal 10.1.2.3");
    await d.cvm(alice.key).DescribeZones({});
  });
});

test("date conditions on qcs:current_time", async () => {
  await policy("date-open", doc({ effect: "allow", action: "cam:GetUser", resource: "*",
    condition: { date_greater_than: { "qcs:current_time": "2000-01-01T00:00:00Z" },
                 date_less_than: { "qcs:current_time": "2200-01-01T00:00:00Z" } } }));
  await policy("date-expired", doc({ effect: "allow", action: "cam:ListUsers", resource: "*",
    condition: { date_less_than: { "qcs:current_time": "2001-01-01T00:00:00Z" } } }));
  await policy("date-future", doc({ effect: "allow", action: "cam:ListPolicies", resource: "*",
    condition: { date_greater_than: { "qcs:current_time": "2199-01-01T00:00:00Z" } } }));
  await withAttached(["date-open", "date-expired", "date-future"], async () => {
    await d.cam(alice.key).GetUser({ Name: "bob" });
    await rejectsWith(d.cam(alice.key).ListUsers(), DENIED, "date_less_than in the past");
    await rejectsWith(d.cam(alice.key).ListPolicies({}), DENIED, "date_greater_than in the future");
  });
});

test("service wildcard cam:* allows cam and not cvm", async () => {
  await policy("cam-all", doc({ effect: "allow", action: "cam:*", resource: "*" }));
  await cam.DetachUserPolicy({ PolicyId: policies["cvm-describe"], DetachUin: alice.Uin });
  try {
    await withAttached(["cam-all"], async () => {
      const r = await d.cam(alice.key).ListUsers();
      assert.ok(r.Data.some((u) => u.Name === "bob"));
      await rejectsWith(d.cvm(alice.key).DescribeZones({}), DENIED);
    });
    await rejectsWith(d.cam(alice.key).ListUsers(), DENIED);
  } finally {
    await cam.AttachUserPolicy({ PolicyId: policies["cvm-describe"], AttachUin: alice.Uin });
  }
});

test("ListPolicies pages with Rp/Page and counts with TotalNum", async () => {
  const names = Object.keys(policies);
  const all = await cam.ListPolicies({ Scope: "Local", Rp: 200, Page: 1 });
  assert.equal(all.TotalNum, names.length);
  assert.deepEqual(all.List.map((p) => p.PolicyName).sort(), [...names].sort());
  const first = all.List.find((p) => p.PolicyName === "cvm-describe");
  assert.equal(first.PolicyId, policies["cvm-describe"]);
  assert.equal(first.Type, 1);
  assert.equal(typeof first.AddTime, "string");
  const p1 = await cam.ListPolicies({ Scope: "Local", Rp: 3, Page: 1 });
  const p2 = await cam.ListPolicies({ Scope: "Local", Rp: 3, Page: 2 });
  assert.equal(p1.TotalNum, names.length);
  assert.equal(p1.List.length, 3);
  assert.equal(p2.List.length, Math.min(3, names.length - 3));
  const seen = new Set([...p1.List, ...p2.List].map((p) => p.PolicyId));
  assert.equal(seen.size, p1.List.length + p2.List.length, "pages do not overlap");
  const far = await cam.ListPolicies({ Scope: "Local", Rp: 3, Page: 50 });
  assert.deepEqual(far.List ?? [], []);
  const kw = await cam.ListPolicies({ Scope: "Local", Keyword: "date-" });
  assert.deepEqual(kw.List.map((p) => p.PolicyName).sort(), ["date-expired", "date-future", "date-open"]);
});

test("ListAttachedUserPolicies pages with Rp/Page", async () => withAttached(["date-open", "ip-local"], async () => {
  const all = await cam.ListAttachedUserPolicies({ TargetUin: alice.Uin, Page: 1, Rp: 20 });
  assert.equal(all.TotalNum, 3);
  const p1 = await cam.ListAttachedUserPolicies({ TargetUin: alice.Uin, Page: 1, Rp: 2 });
  const p2 = await cam.ListAttachedUserPolicies({ TargetUin: alice.Uin, Page: 2, Rp: 2 });
  assert.equal(p1.TotalNum, 3);
  assert.equal(p1.List.length, 2);
  assert.equal(p2.List.length, 1);
  assert.deepEqual([...p1.List, ...p2.List].map((p) => p.PolicyId).sort(),
    [policies["cvm-describe"], policies["date-open"], policies["ip-local"]].sort());
}));

test("access keys: create, list, disable, re-enable, delete", async () => {
  const created = await cam.CreateAccessKey({ TargetUin: alice.Uin, Description: "ci" });
  const k = created.AccessKey;
  assert.match(k.AccessKeyId, /^AKID/);
  assert.ok(k.SecretAccessKey && k.SecretAccessKey.length >= 16);
  assert.equal(k.Status, "Active");
  const key2 = { SecretId: k.AccessKeyId, SecretKey: k.SecretAccessKey };
  await d.cvm(key2).DescribeZones({});
  // like the real cloud, at most two keys per user
  await rejectsWith(cam.CreateAccessKey({ TargetUin: alice.Uin }), /^(OperationDenied|LimitExceeded)/, "third key");

  const list = await cam.ListAccessKeys({ TargetUin: alice.Uin });
  assert.deepEqual(list.AccessKeys.map((x) => x.AccessKeyId).sort(), [alice.key.SecretId, k.AccessKeyId].sort());
  for (const x of list.AccessKeys) {
    assert.equal(x.Status, "Active");
    assert.equal(typeof x.CreateTime, "string");
    assert.ok(!("SecretAccessKey" in x), "ListAccessKeys must not return secrets");
    assert.ok(!JSON.stringify(x).includes(k.SecretAccessKey));
  }

  await cam.UpdateAccessKey({ AccessKeyId: k.AccessKeyId, Status: "Inactive", TargetUin: alice.Uin });
  await rejectsWith(d.cvm(key2).DescribeZones({}), "AuthFailure.SecretIdNotFound", "disabled key");
  await d.cvm(alice.key).DescribeZones({});
  const listed = (await cam.ListAccessKeys({ TargetUin: alice.Uin })).AccessKeys.find((x) => x.AccessKeyId === k.AccessKeyId);
  assert.equal(listed.Status, "Inactive");

  await cam.UpdateAccessKey({ AccessKeyId: k.AccessKeyId, Status: "Active", TargetUin: alice.Uin });
  await d.cvm(key2).DescribeZones({});

  await cam.DeleteAccessKey({ AccessKeyId: k.AccessKeyId, TargetUin: alice.Uin });
  await rejectsWith(d.cvm(key2).DescribeZones({}), "AuthFailure.SecretIdNotFound", "deleted key");
  const after = await cam.ListAccessKeys({ TargetUin: alice.Uin });
  assert.deepEqual(after.AccessKeys.map((x) => x.AccessKeyId), [alice.key.SecretId]);
});

test("ListAccessKeys without TargetUin lists the caller's own keys", async () => {
  const r = await cam.ListAccessKeys({});
  assert.ok(r.AccessKeys.some((x) => x.AccessKeyId === d.creds.SecretId), "root's own key is listed");
  assert.ok(!r.AccessKeys.some((x) => x.AccessKeyId === alice.key.SecretId), "alice's key is not the root's");
});

test("UpdateAccessKey rejects a bad status value", async () => {
  await rejectsWith(cam.UpdateAccessKey({ AccessKeyId: alice.key.SecretId, Status: "Sleeping", TargetUin: alice.Uin }),
    /^InvalidParameterValue/);
  await d.cvm(alice.key).DescribeZones({});
});

test("DetachUserPolicy revokes", async () => {
  await cam.DetachUserPolicy({ PolicyId: policies["cvm-describe"], DetachUin: alice.Uin });
  await rejectsWith(d.cvm(alice.key).DescribeZones({}), DENIED);
  assert.equal((await cam.ListAttachedUserPolicies({ TargetUin: alice.Uin })).TotalNum, 0);
});

test("DeletePolicy removes policies (batch) and their attachments", async () => {
  await cam.AttachUserPolicy({ PolicyId: policies["cvm-describe"], AttachUin: alice.Uin });
  await d.cvm(alice.key).DescribeZones({});
  await cam.DeletePolicy({ PolicyId: [policies["cvm-describe"], policies["deny-all"]] });
  await rejectsWith(cam.GetPolicy({ PolicyId: policies["cvm-describe"] }), /^ResourceNotFound/);
  await rejectsWith(cam.GetPolicy({ PolicyId: policies["deny-all"] }), /^ResourceNotFound/);
  await rejectsWith(d.cvm(alice.key).DescribeZones({}), DENIED, "deleted policy no longer grants");
  assert.equal((await cam.ListAttachedUserPolicies({ TargetUin: alice.Uin })).TotalNum, 0);
});

test("DeleteUser with Force removes the user and its keys", async () => {
  await cam.DeleteUser({ Name: "alice", Force: 1 });
  await rejectsWith(cam.GetUser({ Name: "alice" }), /^ResourceNotFound/);
  await rejectsWith(d.cvm(alice.key).DescribeZones({}), "AuthFailure.SecretIdNotFound", "deleted user's key");
  assert.deepEqual((await cam.ListUsers()).Data.map((u) => u.Name), ["bob"]);
  await rejectsWith(cam.DeleteUser({ Name: "alice" }), /^ResourceNotFound/);
});

test("root keys can do everything in their own account", async () => {
  await d.cvm().DescribeZones({});
  await d.cvm().DescribeRegions({});
  await cam.ListPolicies({});
});
