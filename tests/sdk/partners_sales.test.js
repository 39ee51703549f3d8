/*
 * Salespeople through the official SDK (partners.v20180321, cam): a partner registers CAM
 * sub-users of its own account as salespeople (yun's CreateSalesman), DescribeSalesmans lists
 * them, AssignClientsToSales assigns bound customers and applicants (and cancels), the client
 * lists show and filter by it; a sub-user of another account cannot be one; isolation.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, rejectsWith } = require("./lib/yund");

let d;
const st = {};
function account(name) {
  const a = d.createAccount(name);
  const partners = new tencentcloud.partners.v20180321.Client({
    credential: { secretId: a.SecretId, secretKey: a.SecretKey }, region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } },
  });
  return { ...a, partners, ext: d.common("2018-03-21", a), cam: d.cam(a) };
}

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  st.p1 = account("p1");
  st.p2 = account("p2");
  for (const p of [st.p1, st.p2])
    p.code = JSON.parse(d.admin("partner", "--uin", p.Uin, "--kind", "reseller")).InvitationCode;
  for (const n of ["c1", "c2", "c3"]) {
    st[n] = account(n);
    await st[n].ext.request("ApplyClientBinding", { InvitationCode: st.p1.code });
  }
  await st.p1.partners.AuditApplyClient({ ClientUin: st.c1.Uin, AuditResult: "accept", Note: "" });
  await st.p1.partners.AuditApplyClient({ ClientUin: st.c2.Uin, AuditResult: "accept", Note: "" });
});

after(async () => { if (d) await d.destroy(); });

test("salespeople are the partner's CAM sub-users it registers; assign and cancel", async () => {
  const { p1, p2, c1, c2, c3 } = st;
  const alice = String((await p1.cam.AddUser({ Name: "alice", UseApi: 0 })).Uin);
  const bob = String((await p1.cam.AddUser({ Name: "bob", UseApi: 0 })).Uin);
  const eve = String((await p2.cam.AddUser({ Name: "eve", UseApi: 0 })).Uin);
  const a = await p1.ext.request("CreateSalesman", { SalesUin: alice });
  assert.deepEqual([a.Uin, a.SalesUin, a.SalesName], [p1.Uin, alice, "alice"]);
  assert.match(a.CreateTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  await p1.ext.request("CreateSalesman", { SalesUin: bob, SalesName: "Bob Li" });
  await rejectsWith(p1.ext.request("CreateSalesman", { SalesUin: alice }), "ResourceInUse");
  await rejectsWith(p1.ext.request("CreateSalesman", { SalesUin: eve }), "ResourceNotFound", "another account's user");
  await rejectsWith(c1.ext.request("CreateSalesman", { SalesUin: alice }), "UnauthorizedOperation");

  const list = await p1.partners.DescribeSalesmans({ Offset: 0, Limit: 10, OrderDirection: "ASC" });
  assert.equal(list.TotalCount, 2);
  assert.deepEqual(list.AgentSalesmanSet.map((m) => [m.Uin, m.SalesUin, m.SalesName]).sort(),
    [[p1.Uin, alice, "alice"], [p1.Uin, bob, "Bob Li"]].sort());
  assert.equal((await p1.partners.DescribeSalesmans({ Offset: 0, Limit: 10, SalesName: "Bob" })).TotalCount, 1);
  assert.equal((await p1.partners.DescribeSalesmans({ Offset: 0, Limit: 10, SalesUin: alice })).TotalCount, 1);
  assert.equal((await p2.partners.DescribeSalesmans({ Offset: 0, Limit: 10 })).TotalCount, 0, "not p2's");
  await rejectsWith(c1.partners.DescribeSalesmans({ Offset: 0, Limit: 10 }), "UnauthorizedOperation");

  const r = await p1.partners.AssignClientsToSales({ ClientUins: [c1.Uin, c2.Uin, c3.Uin, "999999999999"], SalesUin: alice,
    AssignClientStatus: "normal", AssignActionType: "assign" });
  assert.deepEqual(r.SucceedUins.sort(), [c1.Uin, c2.Uin].sort());
  assert.deepEqual(r.FailedUins.sort(), [c3.Uin, "999999999999"].sort(), "c3 is an applicant, the other no one");
  const ap = await p1.partners.AssignClientsToSales({ ClientUins: [c3.Uin], SalesUin: bob, AssignClientStatus: "apply",
    AssignActionType: "assign" });
  assert.deepEqual([ap.SucceedUins, ap.FailedUins], [[c3.Uin], []]);
  const pending = (await p1.partners.DescribeAgentClients({ SalesUin: bob })).AgentClientSet;
  assert.deepEqual(pending.map((c) => [c.ClientUin, c.SalesUin, c.SalesName]), [[c3.Uin, bob, "Bob Li"]]);
  const bound = await p1.partners.DescribeAgentAuditedClients({ SalesUin: alice });
  assert.equal(bound.TotalCount, 2);
  assert.ok(bound.AgentClientSet.every((c) => c.SalesUin === alice && c.SalesName === "alice"));

  const cancel = await p1.partners.AssignClientsToSales({ ClientUins: [c1.Uin], SalesUin: bob,
    AssignClientStatus: "normal", AssignActionType: "cancel" });
  assert.deepEqual(cancel.FailedUins, [c1.Uin], "cancel only what that salesperson has");
  await p1.partners.AssignClientsToSales({ ClientUins: [c1.Uin], SalesUin: alice, AssignClientStatus: "normal",
    AssignActionType: "cancel" });
  assert.equal((await p1.partners.DescribeAgentAuditedClients({ SalesUin: alice })).TotalCount, 1);
  assert.equal((await p1.partners.DescribeAgentAuditedClients({ ClientUin: c1.Uin })).AgentClientSet[0].SalesUin, "");

  // isolation: p2 neither assigns p1's customers nor names p1's salespeople
  await rejectsWith(p2.partners.AssignClientsToSales({ ClientUins: [c2.Uin], SalesUin: alice,
    AssignClientStatus: "normal", AssignActionType: "assign" }), "ResourceNotFound");
  await p2.ext.request("CreateSalesman", { SalesUin: eve });
  const x = await p2.partners.AssignClientsToSales({ ClientUins: [c2.Uin], SalesUin: eve, AssignClientStatus: "normal",
    AssignActionType: "assign" });
  assert.deepEqual(x.FailedUins, [c2.Uin]);
  await rejectsWith(c1.partners.AssignClientsToSales({ ClientUins: [c1.Uin], SalesUin: alice,
    AssignClientStatus: "normal", AssignActionType: "assign" }), "UnauthorizedOperation");

  // a salesperson removed: its customers are no longer assigned
  await p1.ext.request("DeleteSalesman", { SalesUin: alice });
  await rejectsWith(p1.ext.request("DeleteSalesman", { SalesUin: alice }), "ResourceNotFound");
  assert.equal((await p1.partners.DescribeAgentAuditedClients({ SalesUin: alice })).TotalCount, 0);
  assert.equal((await p1.partners.DescribeSalesmans({ Offset: 0, Limit: 10 })).TotalCount, 1);
  assert.ok(d.audit(100).some((e) => e.Action === "AssignClientsToSales"), "audited");
});
