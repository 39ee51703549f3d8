/*
 * Pay-on-behalf through the official SDK (partners.v20180321, billing, cbs) on one cloud with
 * --test-clock: CreatePayRelationForClient makes the partner pay a customer's prepaid order and
 * its postpaid hours (debited from the partner, a row of 0 on the customer's ledger naming it,
 * bills showing the partner as payer, DescribeAgentBills PayerMode agentpay); the deal views
 * (DescribeAgentPayDealsV2, DescribeAgentSelfPayDealsV2, DescribeAgentDealsByCache,
 * DescribeAgentDealsPriceDetailByDealName), AgentPayDeals; RemovePayRelationForClient; a refund
 * goes back to whoever paid; each ledger adds up to its balance; isolation.
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
  const neg = yuan.startsWith("-");
  const [w, f = ""] = (neg ? yuan.slice(1) : yuan).split(".");
  const v = BigInt(w) * FINE + BigInt((f + "00000000").slice(0, 8));
  return neg ? -v : v;
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
const balance = async (a) => (await a.billing.DescribeAccountBalance({})).Balance;
const ledger = async (a) => (await a.billing.DescribeBillList({ StartTime: cam(st.t0), EndTime: cam(clock() + 1),
  Offset: 0, Limit: 100, WithZeroAmount: 1 })).TransactionList;
const prepaidDisk = (a, size) => a.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM",
  DiskSize: size, DiskChargeType: "PREPAID", DiskChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } });
const st = {};

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  st.t0 = clock() - 1;
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "2",
    "--pay-mode", "prePay");
  clock("1h");
  st.p = account("p");
  st.p2 = account("p2");
  for (const p of [st.p, st.p2])
    p.code = JSON.parse(d.admin("partner", "--uin", p.Uin, "--kind", "reseller")).InvitationCode;
  for (const n of ["c", "c2"]) {
    st[n] = account(n);
    await st[n].ext.request("ApplyClientBinding", { InvitationCode: st.p.code });
    await st.p.partners.AuditApplyClient({ ClientUin: st[n].Uin, AuditResult: "accept", Note: "" });
  }
  d.admin("recharge", "--uin", st.p.Uin, "--cents", "100000");
  d.admin("recharge", "--uin", st.c2.Uin, "--cents", "10000");
});

after(async () => { if (d) await d.destroy(); });

test("the partner pays a customer's prepaid order and postpaid hours; bills name it as payer", async () => {
  const { p, p2, c, c2 } = st;
  await rejectsWith(prepaidDisk(c, 10), "InvalidAccount.InsufficientBalance", "c has nothing of its own");
  await rejectsWith(p2.partners.CreatePayRelationForClient({ ClientUin: c.Uin }), "ResourceNotFound");
  await rejectsWith(c.partners.CreatePayRelationForClient({ ClientUin: c.Uin }), "UnauthorizedOperation");
  await p.partners.CreatePayRelationForClient({ ClientUin: c.Uin });
  await p.partners.CreatePayRelationForClient({ ClientUin: c.Uin }); // again: nothing changes
  st.since = clock() - 1;
  st.disk = (await prepaidDisk(c, 10)).DiskIdSet[0];
  const own = (await prepaidDisk(c2, 10)).DiskIdSet[0];
  assert.ok(own);
  assert.equal(await balance(c), 0, "the customer pays nothing");
  const paid = 100000 - await balance(p);
  assert.equal(paid, 2000, "10 GiB x 2 yuan a month, from the partner");
  assert.equal(await balance(c2), 10000 - 2000, "c2 pays its own");
  const post = (await c.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 100,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  clock("3h");
  await c.cbs.TerminateDisks({ DiskIds: [post] });
  clock("1h");
  assert.equal(await balance(c), 0, "not in arrears: the partner paid the hours");
  const rows = (await c.billing.DescribeBillDetail({ Offset: 0, Limit: 100, BeginTime: cam(st.since),
    EndTime: cam(clock() + 1) })).DetailSet;
  assert.ok(rows.length >= 4);
  assert.ok(rows.every((r) => r.PayerUin === p.Uin && r.OwnerUin === c.Uin), "the partner is the payer");
  let real = 0n;
  const byMonth = new Map();
  for (const r of rows) for (const x of r.ComponentSet) {
    real += fine(x.RealCost);
    const m = monthOf(unixOf(r.FeeBeginTime));
    const k = `${m}/${r.PayModeName === "包年包月" || r.ResourceId === st.disk ? "prepay" : "postpay"}`;
    byMonth.set(k, (byMonth.get(k) || 0n) + fine(x.RealCost));
  }
  const hours = real - 2000n * CENT;
  assert.ok(hours >= 30n * FINE && hours < 3020000000n, `3 h of 100 GiB at 0.1 yuan (${hours})`);
  const pl = await ledger(p), cl = await ledger(c);
  assert.equal(pl.reduce((x, t) => x + t.Amount, 0), await balance(p), "the partner's rows add up to its balance");
  assert.equal(cl.reduce((x, t) => x + t.Amount, 0), 0, "the customer's rows add up to its balance");
  const mine = cl.filter((t) => t.PayChannel === "代理商代付");
  assert.ok(mine.length >= 4 && mine.every((t) => t.Amount === 0), "a row of 0 on the customer's side for each charge");
  const theirs = pl.filter((t) => t.PayChannel === "代理商代付");
  assert.equal(theirs.length, mine.length, "one row on each side");
  assert.equal(BigInt(-theirs.reduce((x, t) => x + t.Amount, 0)), BigInt(100000 - await balance(p)));

  st.month = monthOf(st.since);
  const bills = (await p.partners.DescribeAgentBills({ SettleMonth: st.month, Offset: 0, Limit: 100 })).AgentBillSet;
  const cb = bills.filter((b) => b.ClientUin === c.Uin), c2b = bills.filter((b) => b.ClientUin === c2.Uin);
  assert.ok(cb.length >= 2 && cb.every((b) => b.PayerMode === "agentpay"), JSON.stringify(cb));
  assert.ok(c2b.length === 1 && c2b[0].PayerMode === "selfpay");
  assert.equal(cb.find((b) => b.PayMode === "prepay").Amt, 2000);
  assert.equal(BigInt(cb.filter((b) => b.PayMode === "postpay").reduce((x, b) => x + b.Amt, 0)),
    [...byMonth].filter(([k]) => k.endsWith("/postpay")).reduce((x, [, v]) => x + v / CENT, 0n));
});

test("the deal views and AgentPayDeals", async () => {
  const { p, p2, c, c2 } = st;
  const agent = await p.partners.DescribeAgentPayDealsV2({ Offset: 0, Limit: 100 });
  assert.equal(agent.TotalCount, 1);
  const deal = agent.AgentPayDealSet[0];
  assert.deepEqual([deal.OwnerUin, deal.Payer, deal.PayerMode, deal.Status, deal.ActionType, deal.GoodsCategoryId],
    [c.Uin, p.Uin, "1", "4", "purchase", "cbs"]);
  assert.deepEqual([deal.GoodsPrice.RealTotalCost, deal.GoodsPrice.OriginalTotalCost], [2000, 2000]);
  assert.deepEqual(deal.ResourceIds, [st.disk]);
  assert.ok(deal.BillId);
  const self = await p.partners.DescribeAgentSelfPayDealsV2({ OwnerUin: c2.Uin, Offset: 0, Limit: 100 });
  assert.deepEqual(self.AgentPayDealSet.map((x) => [x.OwnerUin, x.Payer, x.PayerMode]), [[c2.Uin, c2.Uin, "0"]]);
  assert.equal((await p.partners.DescribeAgentSelfPayDealsV2({ OwnerUin: c.Uin, Offset: 0, Limit: 100 })).TotalCount, 0);
  await rejectsWith(p2.partners.DescribeAgentSelfPayDealsV2({ OwnerUin: c2.Uin, Offset: 0, Limit: 100 }), "ResourceNotFound");
  const all = await p.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100 });
  assert.equal(all.TotalCount, 2);
  assert.equal((await p.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100, PayerMode: 1 })).AgentDealSet[0].DealName,
    deal.DealName);
  assert.equal((await p.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100, PayerMode: 0 })).AgentDealSet[0].OwnerUin,
    c2.Uin);
  assert.equal((await p.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100, DealNames: [deal.DealName] })).TotalCount, 1);
  assert.equal((await p.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100, OwnerUins: [c2.Uin] })).TotalCount, 1);
  assert.equal((await p2.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100 })).TotalCount, 0, "not p2's");
  const price = await p.partners.DescribeAgentDealsPriceDetailByDealName({
    DealCreatYear: Number(deal.CreatTime.slice(0, 4)), DealNames: [deal.DealName] });
  assert.equal(price.DealList.length, 1);
  assert.deepEqual([price.DealList[0].DealName, price.DealList[0].OwnerUin], [deal.DealName, c.Uin]);
  const sp = price.DealList[0].SubProductPriceDetail[0];
  assert.deepEqual([sp.DiscountValue, sp.TotalCost, sp.RealTotalCost], [100, 2000, 2000]);
  assert.equal((await p2.partners.DescribeAgentDealsPriceDetailByDealName({
    DealCreatYear: Number(deal.CreatTime.slice(0, 4)), DealNames: [deal.DealName] })).DealList.length, 0);
  await rejectsWith(p.partners.AgentPayDeals({ OwnerUin: c.Uin, AgentPay: 1, DealNames: [deal.DealName] }),
    "FailedOperation.DealPaid", "yun's orders are paid when placed");
  await rejectsWith(p.partners.AgentPayDeals({ OwnerUin: c.Uin, AgentPay: 1, DealNames: ["20261202000000000000000"] }),
    "ResourceNotFound");
  await rejectsWith(p2.partners.AgentPayDeals({ OwnerUin: c.Uin, AgentPay: 1, DealNames: [deal.DealName] }), "ResourceNotFound");
  await rejectsWith(c.partners.DescribeAgentPayDealsV2({ Offset: 0, Limit: 10 }), "UnauthorizedOperation");
});

test("RemovePayRelationForClient: the customer pays again; a refund goes back to whoever paid", async () => {
  const { p, c } = st;
  await p.partners.RemovePayRelationForClient({ ClientUin: c.Uin });
  await rejectsWith(p.partners.RemovePayRelationForClient({ ClientUin: c.Uin }), "FailedOperation.NoPayRelation");
  await rejectsWith(prepaidDisk(c, 10), "InvalidAccount.InsufficientBalance", "its own balance again");
  const before = await balance(p);
  await c.cbs.TerminateDisks({ DiskIds: [st.disk] });
  const back = await balance(p) - before;
  assert.ok(back > 1900 && back <= 2000, `the unused part back to the partner (${back})`);
  assert.equal(await balance(c), 0);
  const pl = await ledger(p), cl = await ledger(c);
  assert.equal(pl.reduce((x, t) => x + t.Amount, 0), await balance(p));
  assert.equal(cl.reduce((x, t) => x + t.Amount, 0), 0);
  assert.ok(pl.some((t) => t.ActionType === "return" && t.Amount === back));
});
