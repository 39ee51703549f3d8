/*
 * The partner channel end to end (issue 12's scenario, commerce-api.md §2) through the official
 * SDKs (partners.v20180321, billing, cbs; intlpartnersmgt for ForceQN) on one cloud with
 * --test-clock: the operator makes a distributor and a second-level reseller under it, with
 * discounts and a rebate policy; customers apply with the invitation codes and are approved; the
 * distributor sets a customer discount; the customers run disks; the bills show the discount; the
 * distributor sees its second-level reseller's customer's bills and deals read only; a customer on
 * credit whose credit is used up cannot start postpaid disks; ForceQN suspends and lifts; month
 * end pays the rebate; a prepaid disk expires unrenewed, leaving an unpaid renewal deal that the
 * partner pays with AgentPayDeals; and every cent is accounted for across all the ledgers.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const intl = require("tencentcloud-sdk-nodejs-intl-en");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
const FINE = 100000000n;
const CENT = 1000000n;
const PPM = 1000000n;

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

function intlClient(a) {
  const { Credential, ClientProfile, HttpProfile } = intl.common;
  const c = new intl.intlpartnersmgt.v20220928.Client(new Credential(a.SecretId, a.SecretKey), "ap-local",
    new ClientProfile("TC3-HMAC-SHA256", new HttpProfile("http://", d.endpoint, "POST", 30)));
  return new Proxy(c, {
    get: (t, k) => (typeof k === "string" && /^[A-Z]/.test(k) && typeof t[k] === "function"
      ? (req) => new Promise((ok, fail) => t[k](req, (e, r) => (e ? fail(e) : ok(r)))) : t[k]),
  });
}
function account(name) {
  const a = d.createAccount(name);
  const partners = new tencentcloud.partners.v20180321.Client({
    credential: { secretId: a.SecretId, secretKey: a.SecretKey }, region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } },
  });
  return { ...a, partners, intl: intlClient(a), ext: d.common("2018-03-21", a), billing: d.billing(a), cbs: d.cbs(a) };
}
const balance = async (a) => (await a.billing.DescribeAccountBalance({})).Balance;
const ledger = async (a) => (await a.billing.DescribeBillList({ StartTime: cam(st.t0), EndTime: cam(clock() + 1),
  Offset: 0, Limit: 100, WithZeroAmount: 1 })).TransactionList;
const disk = (a, size, charge = "POSTPAID_BY_HOUR") => a.cbs.CreateDisks({ Placement: { Zone: ZONE },
  DiskType: "CLOUD_PREMIUM", DiskSize: size, DiskChargeType: charge,
  ...(charge === "PREPAID" ? { DiskChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } } : {}) });
const st = { recharged: 0 };

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  st.t0 = clock() - 1;
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "2",
    "--pay-mode", "prePay");
  clock("1h");
});

after(async () => { if (d) await d.destroy(); });

const recharge = (a, cents) => { d.admin("recharge", "--uin", a.Uin, "--cents", String(cents)); st.recharged += cents; };

test("the operator makes a distributor and its second-level reseller; customers bind with the codes", async () => {
  st.dist = account("dist");
  st.sec = account("second");
  const make = (a, ...args) => JSON.parse(d.admin("partner", "--uin", a.Uin, ...args));
  st.dist.code = make(st.dist, "--kind", "distributor", "--discount", "cbs=0.7", "--rebate", "B=0.04",
    "--credit-cents", "100000").InvitationCode;
  st.sec.code = make(st.sec, "--kind", "second-level", "--parent", st.dist.Uin, "--discount", "cbs=0.75").InvitationCode;
  st.c = account("customer");
  st.c2 = account("customer2");
  st.c3 = account("oncredit");
  for (const [c, p] of [[st.c, st.dist], [st.c2, st.sec], [st.c3, st.dist]]) {
    const applied = await c.ext.request("ApplyClientBinding", { InvitationCode: p.code });
    assert.deepEqual([applied.Uin, applied.ClientUin, applied.ClientFlag], [p.Uin, c.Uin, "a"]);
    const pending = await p.partners.DescribeAgentClients({ Offset: 0, Limit: 10 });
    assert.deepEqual(pending.AgentClientSet.map((x) => x.ClientUin), [c.Uin]);
    await p.partners.AuditApplyClient({ ClientUin: c.Uin, AuditResult: "accept", Note: "" });
  }
  const distView = await st.dist.partners.DescribeAgentAuditedClients({ Offset: 0, Limit: 10 });
  assert.deepEqual(distView.AgentClientSet.map((x) => [x.ClientUin, x.Uin]).sort(),
    [[st.c.Uin, st.dist.Uin], [st.c2.Uin, st.sec.Uin], [st.c3.Uin, st.dist.Uin]].sort(),
    "the distributor sees its second-level reseller's customer too");
  assert.equal((await st.sec.partners.DescribeAgentAuditedClients({ Offset: 0, Limit: 10 })).TotalCount, 1);
  const set = (a, uin, rate) => a.ext.request("SetClientDiscount", { ClientUin: uin, Product: "cbs", Discount: rate });
  await rejectsWith(set(st.dist, st.c.Uin, "0.6"), "InvalidParameterValue.DiscountBelowPartner");
  await rejectsWith(set(st.sec, st.c2.Uin, "0.8"), "UnauthorizedOperation.SecondLevelReseller");
  await rejectsWith(set(st.dist, st.c2.Uin, "0.8"), "ResourceNotFound", "read only for the distributor");
  await set(st.dist, st.c.Uin, "0.8");
  recharge(st.dist, 100000);
  recharge(st.c2, 10000);
  await st.dist.partners.AgentTransferMoney({ ClientUin: st.c.Uin, Amount: 5000 });
  assert.equal(await balance(st.c), 5000);
  clock("1h"); // the discount applies from the next hour on
});

test("the customers run disks; the bills show the partner's discount; the distributor sees them read only", async () => {
  const { dist, sec, c, c2 } = st;
  st.since = clock() - 1;
  st.month = monthOf(st.since);
  st.prepaid = (await disk(c, 10, "PREPAID")).DiskIdSet[0];
  assert.equal(await balance(c), 5000 - 1600, "10 GiB x 2 yuan a month at 0.8");
  st.prepaid2 = (await disk(c2, 10, "PREPAID")).DiskIdSet[0];
  assert.equal(await balance(c2), 10000 - 2000, "no customer discount under a second-level reseller");
  const p1 = (await disk(c, 100)).DiskIdSet[0];
  const p2 = (await disk(c2, 10)).DiskIdSet[0];
  clock("3h");
  await c.cbs.TerminateDisks({ DiskIds: [p1] });
  await c2.cbs.TerminateDisks({ DiskIds: [p2] });
  clock("1h");
  const rows = (await c.billing.DescribeBillDetail({ Offset: 0, Limit: 100, BeginTime: cam(st.since),
    EndTime: cam(clock() + 1) })).DetailSet;
  const post = rows.filter((r) => r.ResourceId === p1);
  assert.ok(post.length >= 3, `hours of ${p1}`);
  for (const r of post) {
    assert.deepEqual([r.DiscountObject, r.DiscountContent], ["用户折扣", "0.8"]);
    for (const x of r.ComponentSet)
      assert.ok(fine(x.RealCost) - fine(x.Cost) * 800000n / PPM <= 1n && fine(x.Cost) * 800000n / PPM - fine(x.RealCost) <= 1n,
        `the real cost is the list cost at 0.8 (${x.RealCost} of ${x.Cost})`);
  }
  const hours = post.reduce((s, r) => s + r.ComponentSet.reduce((t, x) => t + fine(x.RealCost), 0n), 0n);
  assert.ok(hours > 20n * FINE && hours <= 24n * FINE + FINE / 10n, `about 3 h of 100 GiB at 0.08 yuan (${hours})`);

  const dBills = (await dist.partners.DescribeAgentBills({ SettleMonth: st.month, Offset: 0, Limit: 100 })).AgentBillSet;
  const sBills = (await sec.partners.DescribeAgentBills({ SettleMonth: st.month, Offset: 0, Limit: 100 })).AgentBillSet;
  assert.ok(dBills.some((b) => b.ClientUin === c.Uin && b.Uin === dist.Uin && b.PayMode === "prepay" && b.Amt === 1600));
  assert.ok(dBills.some((b) => b.ClientUin === c2.Uin && b.Uin === sec.Uin), "the second-level's customer, read only");
  assert.deepEqual([...new Set(sBills.map((b) => b.ClientUin))], [c2.Uin], "the second-level reseller sees its own");
  assert.deepEqual(sBills.map((b) => b.Amt), dBills.filter((b) => b.ClientUin === c2.Uin).map((b) => b.Amt));
  const deals = await dist.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100 });
  assert.deepEqual(deals.AgentDealSet.map((x) => [x.OwnerUin, x.Status, x.PayerMode]).sort(),
    [[c.Uin, "4", "0"], [c2.Uin, "4", "0"]].sort(), "its own customer's and, read only, the second-level's");
  assert.deepEqual((await sec.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100 })).AgentDealSet
    .map((x) => x.OwnerUin), [c2.Uin]);
  await rejectsWith(sec.partners.DescribeAgentSelfPayDealsV2({ OwnerUin: c.Uin, Offset: 0, Limit: 10 }), "ResourceNotFound");
});

test("postpaid on credit: refused once the customer's credit is used up, nothing created", async () => {
  const { dist, c3 } = st;
  await dist.ext.request("AllocateClientCredit", { ClientUin: c3.Uin, Credit: 2000 });
  // a prepaid month of 10 GiB at 2 yuan uses the whole credit, to the cent: cash -2000, credit 2000
  const pre = (await disk(c3, 10, "PREPAID")).DiskIdSet[0];
  assert.equal(await balance(c3), -2000);
  const n = (await c3.cbs.DescribeDisks({})).TotalCount;
  await rejectsWith(disk(c3, 10), "InvalidAccount.InsufficientBalance", "no credit left for postpaid");
  assert.equal((await c3.cbs.DescribeDisks({})).TotalCount, n, "nothing created");
  await dist.ext.request("AllocateClientCredit", { ClientUin: c3.Uin, Credit: 3000 });
  const more = (await disk(c3, 10)).DiskIdSet[0]; // credit again: allowed
  await c3.cbs.TerminateDisks({ DiskIds: [more, pre] });
  // pay the debt back so that the month-end rebate flags nobody
  recharge(c3, 2000);
});

test("ForceQN: the partner suspends its customer's postpaid purchases and lifts it", async () => {
  const { dist, sec, c } = st;
  await rejectsWith(sec.intl.ForceQN({ ClientUin: Number(c.Uin), Type: 2 }), "ResourceNotFound");
  await rejectsWith(c.intl.ForceQN({ ClientUin: Number(c.Uin), Type: 2 }), "UnauthorizedOperation");
  await rejectsWith(dist.intl.ForceQN({ ClientUin: Number(c.Uin), Type: 1 }), "InvalidParameterValue");
  await dist.intl.ForceQN({ ClientUin: Number(c.Uin), Type: 2 });
  await rejectsWith(disk(c, 10), "InvalidAccount.InsufficientBalance", "suspended");
  await dist.intl.ForceQN({ ClientUin: Number(c.Uin), Type: 0 });
  const id = (await disk(c, 10)).DiskIdSet[0];
  await c.cbs.TerminateDisks({ DiskIds: [id] });
  const audit = d.audit(200).filter((e) => e.action === "ForceQN" || e.Action === "ForceQN");
  assert.ok(audit.length >= 2, "audited");
});

test("month end: the distributor's rebate at its class B rate, paid into its balance", async () => {
  const { dist, c } = st;
  const before = await balance(dist);
  const [y, m] = st.month.split("-").map(Number);
  const end = Date.UTC(y, m, 1) / 1000;
  clock(`${Math.ceil((end - clock()) / 3600) + 1}h`);
  // c's and c3's cash paid in the month (the distributor's own customers)
  let paid = 0n;
  for (const a of [c, st.c3]) {
    const rows = (await a.billing.DescribeBillDetail({ Offset: 0, Limit: 300, BeginTime: cam(st.t0),
      EndTime: cam(end - 1) })).DetailSet.filter((r) => monthOf(unixOf(r.FeeBeginTime)) === st.month);
    for (const r of rows) for (const x of r.ComponentSet) paid += fine(x.RealCost); // no vouchers here: all cash
  }
  const r = await dist.partners.DescribeRebateInfosNew({ RebateMonth: st.month, Offset: 0, Limit: 10 });
  const row = r.RebateInfoSet.find((x) => x.PolicyClass === "B" && x.ExceptionFlag === "NORMAL");
  assert.ok(row, JSON.stringify(r));
  assert.equal(BigInt(row.Amt), paid * 40000n / (PPM * CENT), "4 % of the month's paid spend, floored to the cent");
  assert.ok(row.Amt > 0);
  st.rebate = row.Amt;
  assert.equal(await balance(dist), before + row.Amt);
  const sr = await st.sec.partners.DescribeRebateInfosNew({ RebateMonth: st.month, Offset: 0, Limit: 10 });
  st.secRebate = sr.RebateInfoSet.filter((x) => x.ExceptionFlag === "NORMAL").reduce((s, x) => s + x.Amt, 0);
});

test("an unrenewed prepaid disk leaves an unpaid renewal; the partner pays it with AgentPayDeals", async () => {
  const { dist, sec, c } = st;
  const dl = unixOf((await c.cbs.DescribeDisks({ DiskIds: [st.prepaid] })).DiskSet[0].DeadlineTime);
  if (dl > clock()) clock(`${Math.ceil((dl - clock()) / 3600) + 1}h`);
  await waitFor(() => c.cbs.DescribeDisks({ DiskIds: [st.prepaid] }), (x) => x.DiskSet[0].DeadlineError === true,
    30000, "expired");
  const unpaid = await dist.partners.DescribeAgentPayDealsV2({ Offset: 0, Limit: 100, Status: 1, OwnerUins: [c.Uin] });
  assert.equal(unpaid.TotalCount, 1, JSON.stringify(unpaid));
  const deal = unpaid.AgentPayDealSet[0];
  assert.deepEqual([deal.OwnerUin, deal.Payer, deal.PayerMode, deal.Status, deal.ActionType], [c.Uin, dist.Uin, "1",
    "1", "renew"]);
  assert.deepEqual(deal.ResourceIds, [st.prepaid]);
  assert.equal(deal.GoodsPrice.RealTotalCost, 1600, "one month at the customer's discount");
  await rejectsWith(sec.partners.AgentPayDeals({ OwnerUin: c.Uin, AgentPay: 1, DealNames: [deal.DealName] }),
    "ResourceNotFound", "read only for others");
  await rejectsWith(dist.partners.AgentPayDeals({ OwnerUin: c.Uin, AgentPay: 1, DealNames: ["20200101000000000000000"] }),
    "ResourceNotFound");
  const before = await balance(dist), cBefore = await balance(c);
  await dist.partners.AgentPayDeals({ OwnerUin: c.Uin, AgentPay: 1, DealNames: [deal.DealName] });
  assert.equal(await balance(dist), before - 1600, "the partner paid");
  assert.equal(await balance(c), cBefore, "the customer paid nothing");
  await rejectsWith(dist.partners.AgentPayDeals({ OwnerUin: c.Uin, AgentPay: 1, DealNames: [deal.DealName] }),
    "FailedOperation.DealPaid");
  const after = await dist.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100, DealNames: [deal.DealName] });
  assert.deepEqual(after.AgentDealSet.map((x) => [x.Status, x.Payer]), [["4", dist.Uin]], "the same deal, delivered");
  const dk = (await c.cbs.DescribeDisks({ DiskIds: [st.prepaid] })).DiskSet[0];
  assert.equal(dk.DeadlineError, false, "renewed and restored");
  assert.ok(unixOf(dk.DeadlineTime) > dl + 27 * 86400, "one month from the old deadline");
  const cl = await ledger(c);
  assert.ok(cl.some((t) => t.PayChannel === "代理商代付" && t.Amount === 0), "a row of 0 on the customer's side");

  // the second-level reseller's customer pays its own renewal: AgentPay 0
  const c2 = st.c2;
  const dl2 = unixOf((await c2.cbs.DescribeDisks({ DiskIds: [st.prepaid2] })).DiskSet[0].DeadlineTime);
  if (dl2 > clock()) clock(`${Math.ceil((dl2 - clock()) / 3600) + 1}h`);
  const u2 = await sec.partners.DescribeAgentPayDealsV2({ Offset: 0, Limit: 100, Status: 1 });
  assert.deepEqual(u2.AgentPayDealSet.map((x) => [x.OwnerUin, x.Payer, x.Status]), [[c2.Uin, sec.Uin, "1"]]);
  const name2 = u2.AgentPayDealSet[0].DealName;
  assert.ok((await dist.partners.DescribeAgentPayDealsV2({ Offset: 0, Limit: 100, Status: 1 })).AgentPayDealSet
    .some((x) => x.DealName === name2), "the distributor sees it, read only");
  await rejectsWith(dist.partners.AgentPayDeals({ OwnerUin: c2.Uin, AgentPay: 1, DealNames: [name2] }), "ResourceNotFound");
  const s0 = await balance(sec), c0 = await balance(c2);
  await sec.partners.AgentPayDeals({ OwnerUin: c2.Uin, AgentPay: 0, DealNames: [name2] });
  assert.equal(await balance(c2), c0 - 2000, "the customer paid from its own balance");
  assert.equal(await balance(sec), s0);
  const paid2 = (await sec.partners.DescribeAgentDealsByCache({ Offset: 0, Limit: 100, DealNames: [name2] })).AgentDealSet;
  assert.deepEqual(paid2.map((x) => [x.Status, x.Payer, x.PayerMode]), [["4", c2.Uin, "0"]]);
  assert.equal((await c2.cbs.DescribeDisks({ DiskIds: [st.prepaid2] })).DiskSet[0].DeadlineError, false);
});

test("every cent is accounted for across the ledgers", async () => {
  const all = [st.dist, st.sec, st.c, st.c2, st.c3];
  let balances = 0, rows = 0, spent = 0, transfers = 0, income = 0, refunds = 0;
  for (const a of all) {
    const l = await ledger(a);
    const b = await balance(a);
    const sum = l.reduce((s, t) => s + t.Amount, 0);
    assert.equal(sum, b, `${a.Uin}: its ledger adds up to its balance`);
    balances += b;
    rows += sum;
    for (const t of l) {
      if (t.ActionType === "deduct") spent -= t.Amount;
      else if (t.ActionType === "agentout" || t.ActionType === "agentin") transfers += t.Amount;
      else if (t.ActionType === "recharge") income += t.Amount;
      else if (t.ActionType === "return") refunds += t.Amount;
      else assert.fail(`an unexpected ledger row ${JSON.stringify(t)}`);
    }
  }
  assert.equal(transfers, 0, "a transfer leaves one account as it enters the other");
  assert.equal(income, st.recharged + st.rebate + st.secRebate, "money in: the operator's recharges and the rebates");
  assert.equal(balances, income - spent + refunds, "what is left is what came in less what was spent");
  assert.equal(rows, balances);
});
