/*
 * The partner channel (China flow) end to end through the official SDK (partners.v20180321,
 * billing.v20180709, cbs) on one cloud started with --test-clock: the operator makes a
 * distributor, a reseller and a second-level reseller; customers apply with an invitation code
 * (yun's ApplyClientBinding) or through `yun admin bind`; the partner audits them (class b needs a
 * note); customer discounts within the partner's own; AgentTransferMoney with a ledger row on
 * each side; a customer's postpaid data disk for 3 h billed at the partner's discount; the
 * partner's DescribeAgentBills; the month-end rebate; and isolation between partners and from
 * customers.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, rejectsWith } = require("./lib/yund");

const ZONE = "ap-local-1";
const FINE = 100000000n; // fine units per yuan
const CENT = 1000000n;   // fine units per cent
const PPM = 1000000n;

let d;
const fine = (yuan) => {
  const neg = yuan.startsWith("-");
  const [w, f = ""] = (neg ? yuan.slice(1) : yuan).split(".");
  const v = BigInt(w) * FINE + BigInt((f + "00000000").slice(0, 8));
  return neg ? -v : v;
};
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const halfUp = (num, den) => (num >= 0n ? (num + den / 2n) / den : -((-num + den / 2n) / den));
const cam = (t) => { const s = new Date(t * 1000).toISOString(); return `${s.slice(0, 10)} ${s.slice(11, 19)}`; };
const unixOf = (s) => Date.parse(s.replace(" ", "T") + "Z") / 1000;
const monthOf = (t) => new Date(t * 1000).toISOString().slice(0, 7);
const clock = (dur) => JSON.parse(dur ? d.admin("clock", "--advance", dur) : d.admin("clock")).Unix;

function partners(a) {
  return new tencentcloud.partners.v20180321.Client({
    credential: { secretId: a.SecretId, secretKey: a.SecretKey }, region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } },
  });
}
function account(name) {
  const a = d.createAccount(name);
  return { ...a, partners: partners(a), ext: d.common("2018-03-21", a), billing: d.billing(a), cbs: d.cbs(a) };
}
const balance = async (a) => (await a.billing.DescribeAccountBalance({})).Balance;
async function ledger(a, since) {
  const r = await a.billing.DescribeBillList({ StartTime: cam(since), EndTime: cam(clock() + 1), Offset: 0, Limit: 100 });
  return r.TransactionList;
}

const st = {};

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  st.t0 = clock() - 1;
  // a disk price that makes 3 hours worth counting: 0.1 yuan per GiB-hour, from the next hour on
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  clock("1h");
});

after(async () => { if (d) await d.destroy(); });

test("the operator makes partners of existing accounts, and refuses what does not fit", () => {
  st.dist = account("dist");
  st.res = account("reseller");
  st.sec = account("second");
  const make = (a, ...args) => JSON.parse(d.admin("partner", "--uin", a.Uin, ...args));
  const dist = make(st.dist, "--kind", "distributor", "--discount", "cbs=0.7", "--discount", "cvm=0.7",
    "--credit-cents", "500000");
  assert.equal(dist.Kind, "distributor");
  assert.match(dist.InvitationCode, /^[A-Za-z0-9]{10}$/);
  st.dist.code = dist.InvitationCode;
  st.res.code = make(st.res, "--kind", "reseller", "--discount", "*=0.75").InvitationCode;
  st.sec.code = make(st.sec, "--kind", "second-level", "--parent", st.dist.Uin).InvitationCode;
  assert.notEqual(st.res.code, st.dist.code);
  // made again: the settings change, the code stays
  assert.equal(make(st.res, "--kind", "reseller", "--discount", "*=0.75", "--rebate", "B=0.03").InvitationCode, st.res.code);
  const other = d.createAccount("other");
  for (const bad of [["--uin", other.Uin, "--kind", "second-level"], // no parent
    ["--uin", other.Uin, "--kind", "second-level", "--parent", st.res.Uin], // the parent is no distributor
    ["--uin", other.Uin, "--kind", "reseller", "--parent", st.dist.Uin], // only second-level has one
    ["--uin", "999999999999", "--kind", "reseller"], ["--uin", other.Uin, "--kind", "king"],
    ["--uin", other.Uin, "--kind", "reseller", "--discount", "cbs=1.5"],
    ["--uin", d.creds.Uin, "--kind", "reseller"]]) { // the operator's own account
    const r = d.run(["admin", "partner", ...bad, "--data", d.dataDir]);
    assert.notEqual(r.status, 0, `yun admin partner ${bad.join(" ")} is refused`);
  }
});

test("binding: apply with the code or through yun admin bind, pending only, audit with a note for class b", async () => {
  const c1 = st.c1 = account("c1"), c2 = st.c2 = account("c2"), c3 = st.c3 = account("c3"), c4 = st.c4 = account("c4");
  await rejectsWith(c1.ext.request("ApplyClientBinding", { InvitationCode: "nope" }), "InvalidParameterValue.InvitationCode");
  const applied = await c1.ext.request("ApplyClientBinding", { InvitationCode: st.res.code });
  assert.equal(applied.Uin, st.res.Uin);
  assert.equal(applied.ClientUin, c1.Uin);
  assert.equal(applied.ClientFlag, "a", "a new customer");
  assert.equal(applied.Status, 1);
  await rejectsWith(c1.ext.request("ApplyClientBinding", { InvitationCode: st.dist.code }), "FailedOperation.ClientAlreadyBound");
  d.admin("bind", "--partner", st.res.Uin, "--client", c2.Uin, "--flag", "b");
  d.admin("bind", "--partner", st.sec.Uin, "--client", c4.Uin);
  await c3.ext.request("ApplyClientBinding", { InvitationCode: st.dist.code });
  assert.notEqual(d.run(["admin", "bind", "--partner", st.res.Uin, "--client", c2.Uin, "--data", d.dataDir]).status, 0,
    "a second application is refused");
  assert.notEqual(d.run(["admin", "bind", "--partner", st.res.Uin, "--client", st.dist.Uin, "--data", d.dataDir]).status,
    0, "a partner is no customer");

  const pending = await st.res.partners.DescribeAgentClients({ Offset: 0, Limit: 10, OrderDirection: "ASC" });
  assert.equal(pending.TotalCount, 2);
  const byUin = (x, y) => (x[0] < y[0] ? -1 : 1);
  assert.deepEqual(pending.AgentClientSet.map((c) => [c.ClientUin, c.ClientFlag, c.Status, c.Uin]).sort(byUin),
    [[c1.Uin, "a", 1, st.res.Uin], [c2.Uin, "b", 1, st.res.Uin]].sort(byUin));
  assert.ok(pending.AgentClientSet.every((c) => typeof c.ApplyTime === "number" && c.HasOverdueBill === 0));
  assert.equal((await st.res.partners.DescribeAgentClients({ ClientFlag: "b" })).TotalCount, 1);
  assert.equal((await st.res.partners.DescribeAgentAuditedClients({ Offset: 0, Limit: 10 })).TotalCount, 0);

  await rejectsWith(st.res.partners.AuditApplyClient({ ClientUin: c2.Uin, AuditResult: "accept", Note: "" }),
    "InvalidParameterValue.NoteRequired", "class b without a reason");
  const ok2 = await st.res.partners.AuditApplyClient({ ClientUin: c2.Uin, AuditResult: "accept", Note: "moved from direct" });
  assert.deepEqual([ok2.Uin, ok2.ClientUin, ok2.AuditResult], [st.res.Uin, c2.Uin, "accept"]);
  assert.ok(ok2.AgentTime > 0);
  await st.res.partners.AuditApplyClient({ ClientUin: c1.Uin, AuditResult: "accept", Note: "" });
  await rejectsWith(st.res.partners.AuditApplyClient({ ClientUin: c1.Uin, AuditResult: "accept", Note: "" }),
    "ResourceNotFound", "audited already");
  const rej = await st.dist.partners.AuditApplyClient({ ClientUin: c3.Uin, AuditResult: "reject", Note: "not ours" });
  assert.equal(rej.AuditResult, "reject");
  assert.equal((await st.dist.partners.DescribeAgentClients({})).TotalCount, 0);
  assert.equal((await st.dist.partners.DescribeAgentAuditedClients({})).TotalCount, 0);
  await st.sec.partners.AuditApplyClient({ ClientUin: c4.Uin, AuditResult: "accept", Note: "" });

  assert.equal((await st.res.partners.DescribeAgentClients({})).TotalCount, 0, "pending only");
  await st.res.partners.ModifyClientRemark({ ClientUin: c1.Uin, ClientRemark: "first customer" });
  const bound = await st.res.partners.DescribeAgentAuditedClients({ Offset: 0, Limit: 10, OrderDirection: "ASC" });
  assert.equal(bound.TotalCount, 2);
  const b1 = bound.AgentClientSet.find((c) => c.ClientUin === c1.Uin);
  assert.equal(b1.Uin, st.res.Uin);
  assert.equal(b1.ClientRemark, "first customer");
  assert.equal(b1.ClientFlag, "a");
  assert.match(b1.AgentTime, /^\d+$/, "AgentTime is a string of seconds");
  assert.equal(b1.HasOverdueBill, 0);
  assert.equal(b1.LastMonthAmt, 0);
  assert.equal(b1.ThisMonthAmt, 0);
  assert.equal(b1.ClientType, "new");
  assert.equal((await st.res.partners.DescribeAgentAuditedClients({ ClientRemark: "first" })).TotalCount, 1);
  assert.equal((await st.res.partners.DescribeAgentAuditedClients({ ClientUins: [c2.Uin] })).AgentClientSet[0].ClientFlag, "b");

  const grade = await st.res.partners.DescribeAgentClientGrade({ ClientUin: c1.Uin });
  assert.deepEqual([grade.AuditStatus, grade.ClientGrade], [1, "T3"], "long tail by default");
  d.admin("tier", "--uin", c1.Uin, "--tier", "key");
  assert.equal((await st.res.partners.DescribeAgentClientGrade({ ClientUin: c1.Uin })).ClientGrade, "T1");
  assert.notEqual(d.run(["admin", "tier", "--uin", c1.Uin, "--tier", "gold", "--data", d.dataDir]).status, 0);
});

test("isolation: a partner sees only its customers; customers cannot call partner actions", async () => {
  const { c1, c2, dist, res } = st;
  for (const call of [
    () => dist.partners.DescribeClientBalanceNew({ ClientUin: c1.Uin }),
    () => dist.partners.AgentTransferMoney({ ClientUin: c1.Uin, Amount: 1 }),
    () => dist.partners.ModifyClientRemark({ ClientUin: c1.Uin, ClientRemark: "mine" }),
    () => dist.partners.DescribeAgentClientGrade({ ClientUin: c2.Uin }),
    () => dist.partners.AuditApplyClient({ ClientUin: c2.Uin, AuditResult: "reject", Note: "x" }),
    () => dist.ext.request("SetClientDiscount", { ClientUin: c1.Uin, Product: "cbs", Discount: "0.9" }),
    () => res.partners.DescribeClientBalanceNew({ ClientUin: st.c4.Uin }),
    () => res.partners.DescribeClientBalanceNew({ ClientUin: "999999999999" }),
  ]) await rejectsWith(call(), "ResourceNotFound");
  assert.equal((await dist.partners.DescribeAgentAuditedClients({ ClientUin: c1.Uin })).TotalCount, 0);
  for (const call of [
    () => c1.partners.DescribeAgentAuditedClients({}), () => c1.partners.DescribeAgentClients({}),
    () => c1.partners.AgentTransferMoney({ ClientUin: c2.Uin, Amount: 1 }),
    () => c1.partners.DescribeRebateInfosNew({}), () => c1.partners.DescribeAgentBills({ SettleMonth: "2026-12" }),
    () => c1.ext.request("SetClientDiscount", { ClientUin: c1.Uin, Product: "cbs", Discount: "0.1" }),
  ]) await rejectsWith(call(), "UnauthorizedOperation");
});

test("customer discounts: within the partner's own, from now on, never by a second-level reseller", async () => {
  const { c1, res } = st;
  const set = (a, uin, rate, extra = {}) => a.ext.request("SetClientDiscount", { ClientUin: uin, Product: "cbs", Discount: rate, ...extra });
  await rejectsWith(set(res, c1.Uin, "0.7"), "InvalidParameterValue.DiscountBelowPartner", "below the reseller's 0.75");
  await rejectsWith(set(res, c1.Uin, "1.2"), "InvalidParameterValue");
  await rejectsWith(set(res, c1.Uin, "0.8", { EffectiveTime: cam(clock() - 86400) }), "InvalidParameterValue", "in the past");
  await rejectsWith(set(st.sec, st.c4.Uin, "0.9"), "UnauthorizedOperation.SecondLevelReseller");
  const r = await set(res, c1.Uin, "0.8");
  assert.deepEqual([r.ClientUin, r.Product, r.Discount], [c1.Uin, "cbs", "0.8"]);
  await set(res, c1.Uin, "0.75"); // exactly its own is allowed, and then changed back for the bills below
  await set(res, c1.Uin, "0.8");
});

test("AgentTransferMoney: one ledger row on each side, refused beyond the partner's balance", async () => {
  const { c1, res } = st;
  d.admin("recharge", "--uin", res.Uin, "--cents", "100000");
  await rejectsWith(res.partners.AgentTransferMoney({ ClientUin: c1.Uin, Amount: 150000 }), "InvalidAccount.InsufficientBalance");
  assert.equal(await balance(res), 100000, "nothing moved");
  assert.equal(await balance(c1), 0);
  await res.partners.AgentTransferMoney({ ClientUin: c1.Uin, Amount: 30000 });
  assert.equal(await balance(res), 70000);
  assert.equal(await balance(c1), 30000);
  const nb = await res.partners.DescribeClientBalanceNew({ ClientUin: c1.Uin });
  assert.deepEqual([nb.Balance, nb.Cash], [30000, 30000]);
  const out = await ledger(res, st.t0), inn = await ledger(c1, st.t0);
  const o = out.filter((t) => t.ActionType === "agentout"), i = inn.filter((t) => t.ActionType === "agentin");
  assert.equal(o.length, 1);
  assert.equal(i.length, 1);
  assert.deepEqual([o[0].Amount, o[0].Balance], [-30000, 70000]);
  assert.deepEqual([i[0].Amount, i[0].Balance], [30000, 30000]);
  assert.equal(out.reduce((x, t) => x + t.Amount, 0), 70000, "the partner's rows add up to its balance");
  assert.equal(inn.reduce((x, t) => x + t.Amount, 0), 30000, "the customer's rows add up to its balance");
});

test("a customer's postpaid disk for 3 h is billed at the partner's discount; DescribeAgentBills adds up", async () => {
  const { c1, res, dist } = st;
  clock("1h"); // an hour is rated with the discount in force at its start: the discount's next hour
  const since = clock() - 1;
  const disk = (await c1.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 100,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  // c2 has no money: its disk puts it in arrears
  const disk2 = (await st.c2.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 10,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  clock("3h");
  await c1.cbs.TerminateDisks({ DiskIds: [disk] });
  await st.c2.cbs.TerminateDisks({ DiskIds: [disk2] });
  clock("1h"); // the last partial hour is settled
  const rows = (await c1.billing.DescribeBillDetail({ Offset: 0, Limit: 100, BeginTime: cam(since), EndTime: cam(clock() + 1) }))
    .DetailSet.filter((r) => r.ResourceId === disk);
  assert.ok(rows.length >= 3 && rows.length <= 5, `hourly rows (${rows.length})`);
  let real = 0n, secs = 0;
  const byMonth = new Map();
  for (const r of rows) {
    assert.equal(r.DiscountObject, "用户折扣");
    assert.equal(r.DiscountContent, "0.8");
    for (const c of r.ComponentSet) {
      assert.equal(fine(c.SinglePrice), 10000000n, "the list price");
      assert.equal(fine(c.RealCost), halfUp(fine(c.Cost) * 800000n, PPM), "RealCost = Cost x 0.8, half up");
      secs += Math.round(Number(c.TimeSpan) * 3600);
      real += fine(c.RealCost);
      const m = monthOf(unixOf(r.FeeBeginTime));
      byMonth.set(m, (byMonth.get(m) || 0n) + fine(c.RealCost));
    }
  }
  assert.ok(secs >= 3 * 3600 && secs < 3 * 3600 + 300, `3 hours billed (${secs} s)`);
  // 100 GiB x 0.1 yuan x 3 h x 0.8 = 24 yuan, give or take the seconds around the calls
  assert.ok(real >= 24n * FINE && real < 2410000000n, `real cost ${real}`);
  assert.equal(BigInt(await balance(c1)), floorDiv(30000n * CENT - real, CENT), "paid from the transferred money");

  st.month = monthOf(unixOf(rows[0].FeeBeginTime));
  st.monthSpend = byMonth.get(st.month);
  const bills = await res.partners.DescribeAgentBills({ SettleMonth: st.month, Offset: 0, Limit: 100 });
  const mine = bills.AgentBillSet.filter((b) => b.ClientUin === c1.Uin);
  assert.equal(mine.length, 1, "one row per customer, product and pay mode of the month");
  assert.deepEqual([mine[0].Uin, mine[0].GoodsType, mine[0].PayMode, mine[0].PayerMode, mine[0].SettleMonth,
    mine[0].ClientRemark], [res.Uin, "cbs", "postpay", "selfpay", st.month, "first customer"]);
  assert.equal(BigInt(mine[0].Amt), floorDiv(st.monthSpend, CENT), "Amt in cents");
  assert.equal((await res.partners.DescribeAgentBills({ SettleMonth: st.month, ClientUin: c1.Uin, PayMode: "prepay" })).TotalCount, 0);
  assert.equal((await dist.partners.DescribeAgentBills({ SettleMonth: st.month })).TotalCount, 0, "not the distributor's");
  await rejectsWith(res.partners.DescribeAgentBills({ SettleMonth: "2026-13" }), "InvalidParameterValue");
  const c2rows = (await st.c2.billing.DescribeBillDetail({ Offset: 0, Limit: 100, BeginTime: cam(since),
    EndTime: cam(clock() + 1) })).DetailSet.filter((r) => r.ResourceId === disk2 && monthOf(unixOf(r.FeeBeginTime)) === st.month);
  st.c2Spend = 0n;
  for (const r of c2rows) for (const c of r.ComponentSet) st.c2Spend += fine(c.RealCost);
  assert.ok(st.c2Spend > 0n);
  assert.ok((await balance(st.c2)) < 0, "c2 owes");
  const owing = await res.partners.DescribeAgentAuditedClients({ HasOverdueBill: 1 });
  assert.deepEqual(owing.AgentClientSet.map((c) => [c.ClientUin, c.HasOverdueBill]), [[st.c2.Uin, 1]]);
  assert.ok((await res.partners.DescribeAgentBills({ SettleMonth: st.month, ClientUin: st.c2.Uin })).TotalCount >= 1);
  if (monthOf(clock()) === st.month) {
    const b1 = (await res.partners.DescribeAgentAuditedClients({ ClientUin: c1.Uin })).AgentClientSet[0];
    assert.equal(BigInt(b1.ThisMonthAmt), floorDiv(st.monthSpend, CENT));
  }
});

test("month end: the rebate of the customers' paid spend, per class, paid into the partner's balance", async () => {
  const { res, dist } = st;
  const before = await balance(res);
  assert.equal((await res.partners.DescribeRebateInfosNew({ RebateMonth: st.month })).TotalCount, 0, "not before month end");
  const [y, m] = st.month.split("-").map(Number);
  const end = Date.UTC(y, m, 1) / 1000; // the first second of the next month
  const hours = Math.ceil((end - clock()) / 3600) + 1;
  clock(`${hours}h`);
  const r = await res.partners.DescribeRebateInfosNew({ RebateMonth: st.month, Offset: 0, Limit: 10 });
  assert.equal(r.TotalCount, 2, "class B (cbs) only: the customers in good standing, and c2 in arrears");
  const row = r.RebateInfoSet.find((x) => x.ExceptionFlag === "NORMAL");
  const owed = r.RebateInfoSet.find((x) => x.ExceptionFlag === "HAS_OVERDUE_BILL");
  assert.equal(owed.PolicyClass, "B");
  assert.equal(BigInt(owed.MonthSales), floorDiv(st.c2Spend, CENT));
  assert.equal(BigInt(owed.Amt), st.c2Spend * 30000n / (PPM * CENT), "computed, but not paid (below)");
  const want = st.monthSpend * 30000n / (PPM * CENT); // 3 %, floored to the cent
  assert.deepEqual([row.Uin, row.RebateMonth, row.ExceptionFlag, row.PolicyClass], [res.Uin, st.month, "NORMAL", "B"]);
  assert.equal(BigInt(row.Amt), want);
  assert.equal(BigInt(row.MonthSales), floorDiv(st.monthSpend, CENT));
  assert.ok(row.QuarterSales >= row.MonthSales);
  assert.ok(want > 0n);
  assert.equal(BigInt(await balance(res)), BigInt(before) + want, "paid into the partner's balance");
  const income = (await ledger(res, st.t0)).filter((t) => t.PayChannel === "rebate");
  assert.equal(income.length, 1);
  assert.equal(BigInt(income[0].Amount), want);
  assert.equal(income[0].ActionType, "recharge");
  assert.equal((await dist.partners.DescribeRebateInfosNew({})).TotalCount, 0, "the distributor's customers spent nothing");
  clock("1h");
  assert.equal((await res.partners.DescribeRebateInfosNew({})).TotalCount, 2, "made once");
  assert.equal(BigInt(await balance(res)), BigInt(before) + want, "paid once");
});
