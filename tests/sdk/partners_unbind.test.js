/*
 * Unbinding through the official SDK (partners.v20180321) and yun's extensions on one cloud with
 * --test-clock: a customer asks to leave (ApplyUnbindClient), its partner rejects or accepts, or
 * lets 10 business days pass (auto-approved by billing's controller); a partner unbinds a customer
 * at once; DescribeUnbindClientList; an unbound customer applies to another partner; the partner's
 * DescribeAgentBills keeps the bills of the bound window and not those after it; isolation.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, rejectsWith } = require("./lib/yund");

const ZONE = "ap-local-1";
const FINE = 100000000n;
const CENT = 1000000n;

let d;
const fine = (yuan) => {
  const [w, f = ""] = yuan.split(".");
  return BigInt(w) * FINE + BigInt((f + "00000000").slice(0, 8));
};
const cam = (t) => { const s = new Date(t * 1000).toISOString(); return `${s.slice(0, 10)} ${s.slice(11, 19)}`; };
const unixOf = (s) => Date.parse(s.replace(" ", "T") + "Z") / 1000;
const monthOf = (t) => new Date(t * 1000).toISOString().slice(0, 7);
const clock = (dur) => JSON.parse(dur ? d.admin("clock", "--advance", dur) : d.admin("clock")).Unix;

function account(name) {
  const a = d.createAccount(name);
  const partners = new tencentcloud.partners.v20180321.Client({
    credential: { secretId: a.SecretId, secretKey: a.SecretKey }, region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } },
  });
  return { ...a, partners, ext: d.common("2018-03-21", a), billing: d.billing(a), cbs: d.cbs(a) };
}
const st = {};

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  clock("1h");
  st.p1 = account("p1");
  st.p2 = account("p2");
  for (const p of [st.p1, st.p2])
    p.code = JSON.parse(d.admin("partner", "--uin", p.Uin, "--kind", "reseller", "--discount", "*=0.8")).InvitationCode;
  for (const n of ["c1", "c2", "c3"]) {
    st[n] = account(n);
    await st[n].ext.request("ApplyClientBinding", { InvitationCode: st.p1.code });
    await st.p1.partners.AuditApplyClient({ ClientUin: st[n].Uin, AuditResult: "accept", Note: "" });
  }
  d.admin("recharge", "--uin", st.c1.Uin, "--cents", "100000");
});

after(async () => { if (d) await d.destroy(); });

test("a customer asks to leave; the partner rejects it, or unbinds at once; refusals", async () => {
  const { p1, p2, c1, c2, c3 } = st;
  await rejectsWith(p1.ext.request("ApplyUnbindClient", {}), "FailedOperation.ClientNotBound", "a partner is no customer");
  const r2 = await c2.ext.request("ApplyUnbindClient", {});
  assert.deepEqual([r2.Uin, r2.ClientUin, r2.Status], [p1.Uin, c2.Uin, 0]);
  assert.equal(unixOf(r2.AutoApproveTime) - unixOf(r2.ApplyTime), 10 * 86400, "reviewed within 10 days");
  await rejectsWith(c2.ext.request("ApplyUnbindClient", {}), "FailedOperation.UnbindPending");
  await rejectsWith(c2.ext.request("AuditUnbindClient", { ClientUin: c2.Uin, AuditResult: "accept" }),
    "UnauthorizedOperation", "the customer does not review");
  await rejectsWith(p2.ext.request("AuditUnbindClient", { ClientUin: c2.Uin, AuditResult: "accept" }),
    "ResourceNotFound", "another partner's customer");
  await rejectsWith(p2.ext.request("ApplyUnbindClient", { ClientUin: c2.Uin }), "ResourceNotFound");
  await rejectsWith(c1.partners.DescribeUnbindClientList({ Status: 0, Offset: 0, Limit: 10 }), "UnauthorizedOperation");
  const listed = await p1.partners.DescribeUnbindClientList({ Status: 1, Offset: 0, Limit: 10 });
  assert.equal(listed.TotalCount, 1);
  assert.deepEqual([listed.UnbindClientList[0].Uin, listed.UnbindClientList[0].Status, listed.UnbindClientList[0].ActionTime],
    [c2.Uin, 0, ""]);
  assert.equal((await p2.partners.DescribeUnbindClientList({ Status: 0, Offset: 0, Limit: 10 })).TotalCount, 0,
    "another partner sees nothing");
  const rej = await p1.ext.request("AuditUnbindClient", { ClientUin: c2.Uin, AuditResult: "reject", Note: "contract" });
  assert.equal(rej.Status, 4);
  await rejectsWith(p1.ext.request("AuditUnbindClient", { ClientUin: c2.Uin, AuditResult: "accept" }), "ResourceNotFound",
    "reviewed already");
  assert.equal((await p1.partners.DescribeAgentAuditedClients({ ClientUin: c2.Uin })).TotalCount, 1, "still bound");

  // the partner unbinds c3 at once; c3 may then apply to another partner
  const r3 = await p1.ext.request("ApplyUnbindClient", { ClientUin: c3.Uin });
  assert.equal(r3.Status, 1);
  assert.equal((await p1.partners.DescribeAgentAuditedClients({ ClientUin: c3.Uin })).TotalCount, 0);
  await rejectsWith(p1.partners.DescribeClientBalanceNew({ ClientUin: c3.Uin }), "ResourceNotFound", "no longer its customer");
  await c3.ext.request("ApplyClientBinding", { InvitationCode: st.p2.code });
  assert.equal((await p2.partners.DescribeAgentClients({ ClientUin: c3.Uin })).TotalCount, 1);
  const all = await p1.partners.DescribeUnbindClientList({ Status: 0, Offset: 0, Limit: 10, OrderDirection: "asc" });
  assert.deepEqual(all.UnbindClientList.map((u) => [u.Uin, u.Status]).sort(), [[c2.Uin, 4], [c3.Uin, 1]].sort());
  const done = await p1.partners.DescribeUnbindClientList({ Status: 2, Offset: 0, Limit: 10, UnbindUin: c3.Uin });
  assert.equal(done.TotalCount, 1);
  assert.ok(unixOf(done.UnbindClientList[0].ActionTime) > 0);
  const day = cam(clock()).slice(0, 10);
  assert.equal((await p1.partners.DescribeUnbindClientList({ Status: 0, Offset: 0, Limit: 10, ApplyTimeStart: day,
    ApplyTimeEnd: day })).TotalCount, 2);
  assert.equal((await p1.partners.DescribeUnbindClientList({ Status: 0, Offset: 0, Limit: 10,
    ApplyTimeStart: cam(clock() + 2 * 86400).slice(0, 10) })).TotalCount, 0);
  assert.ok(d.audit(200).some((e) => e.Action === "ApplyUnbindClient"), "audited");
});

test("unreviewed for 10 business days: approved; the bills of the bound window stay the partner's", async () => {
  const { p1, p2, c1 } = st;
  await p1.ext.request("SetClientDiscount", { ClientUin: c1.Uin, Product: "cbs", Discount: "0.9" });
  clock("1h"); // the discount applies from the next hour
  const disk = (await c1.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 10,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  clock("2h");
  const req = await c1.ext.request("ApplyUnbindClient", {});
  const due = unixOf(req.AutoApproveTime);
  clock("239h");
  assert.equal((await p1.partners.DescribeAgentAuditedClients({ ClientUin: c1.Uin })).TotalCount, 1, "not yet");
  clock("2h");
  assert.equal((await p1.partners.DescribeAgentAuditedClients({ ClientUin: c1.Uin })).TotalCount, 0, "unbound");
  const u = (await p1.partners.DescribeUnbindClientList({ Status: 2, Offset: 0, Limit: 10, UnbindUin: c1.Uin }))
    .UnbindClientList[0];
  assert.equal(unixOf(u.ActionTime), due, "at the end of the review time");
  assert.ok(d.audit(500).some((e) => e.Action === "AutoApproveUnbindClient"), "the approval is audited");

  // c1 binds to p2; the disk keeps running and its bills are p2's from then on
  const ap = await c1.ext.request("ApplyClientBinding", { InvitationCode: p2.code });
  assert.equal(ap.ClientFlag, "b", "it has spent on this cloud before");
  await p2.partners.AuditApplyClient({ ClientUin: c1.Uin, AuditResult: "accept", Note: "moved from p1" });
  const agent2 = Number((await p2.partners.DescribeAgentAuditedClients({ ClientUin: c1.Uin })).AgentClientSet[0].AgentTime);
  clock("2h");
  await c1.cbs.TerminateDisks({ DiskIds: [disk] });
  clock("1h");

  const rows = (await c1.billing.DescribeBillDetail({ Offset: 0, Limit: 300, BeginTime: cam(due - 20 * 86400),
    EndTime: cam(clock() + 1) })).DetailSet.filter((r) => r.ResourceId === disk);
  const sums = (lo, hi) => {
    const m = new Map();
    for (const r of rows) {
      const t = unixOf(r.FeeBeginTime);
      if (t < lo || t >= hi) continue;
      for (const c of r.ComponentSet) m.set(monthOf(t), (m.get(monthOf(t)) || 0n) + fine(c.RealCost));
    }
    return m;
  };
  const agentBills = async (p, month) => (await p.partners.DescribeAgentBills({ SettleMonth: month, ClientUin: c1.Uin,
    Offset: 0, Limit: 100 })).AgentBillSet.reduce((x, b) => x + BigInt(b.Amt), 0n);
  for (const r of rows) {
    const t = unixOf(r.FeeBeginTime);
    for (const x of r.ComponentSet) {
      const cost = fine(x.Cost), real = fine(x.RealCost);
      if (t < due) assert.equal(real, (cost * 9n + 5n) / 10n, "p1's discount while bound");
      else if (t >= due + 3600) assert.equal(real, cost, "p1's discount ended with the binding");
    }
  }
  const p1Months = sums(0, due), p2Months = sums(agent2, Infinity);
  assert.ok(p1Months.size >= 1 && p2Months.size >= 1);
  let p1Total = 0n;
  for (const [m, v] of p1Months) {
    assert.equal(await agentBills(p1, m), v / CENT, `p1's bills of ${m}: the bound window`);
    p1Total += v;
  }
  assert.ok(p1Total >= 240n * 9n * FINE / 10n, `about 241 h at 1 yuan x 0.9 (${p1Total})`);
  for (const [m, v] of p2Months) assert.equal(await agentBills(p2, m), v / CENT, `p2's bills of ${m}: since it bound c1`);
  const lastMonth = monthOf(clock());
  if (!p1Months.has(lastMonth)) assert.equal(await agentBills(p1, lastMonth), 0n, "none after the unbinding");
  const p2rows = (await p2.partners.DescribeAgentBills({ SettleMonth: lastMonth, Offset: 0, Limit: 100 })).AgentBillSet;
  assert.ok(p2rows.every((b) => b.Uin === p2.Uin));
});
