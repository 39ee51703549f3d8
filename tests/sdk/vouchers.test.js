/*
 * Vouchers end to end through the official SDKs (billing.v20180709, partners.v20180321 for yun's
 * IssueClientVoucher extension, intlpartnersmgt from tencentcloud-sdk-nodejs-intl-en) on one cloud
 * started with --test-clock: the three kinds (platform-funded for a partner and as a trial for a
 * customer, by `yun admin voucher`; partner-funded, paid from the partner's balance at issue with a
 * ledger row), paid out first in rating (VoucherPayAmount, soonest expiring first, partial use
 * leaves the rest, the rest of a row is cash and the ledger deducts only that), expiry on the
 * business clock, the billing and intl queries, and isolation between two partners.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const intl = require("tencentcloud-sdk-nodejs-intl-en");
const { startDaemon, rejectsWith } = require("./lib/yund");

const ZONE = "ap-local-1";
const FINE = 100000000n; // fine units (micro, 微分) per yuan
const CENT = 1000000n;
let d;
const fine = (yuan) => {
  const neg = yuan.startsWith("-");
  const [w, f = ""] = (neg ? yuan.slice(1) : yuan).split(".");
  const v = BigInt(w) * FINE + BigInt((f + "00000000").slice(0, 8));
  return neg ? -v : v;
};
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const cam = (t) => { const s = new Date(t * 1000).toISOString(); return `${s.slice(0, 10)} ${s.slice(11, 19)}`; };
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
  const profile = { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } };
  return { ...a, intl: intlClient(a), billing: d.billing(a), cbs: d.cbs(a), ext: d.common("2018-03-21", a),
    partners: new tencentcloud.partners.v20180321.Client({ credential: { secretId: a.SecretId, secretKey: a.SecretKey },
      region: "ap-local", profile }) };
}
const voucher = (...args) => JSON.parse(d.admin("voucher", ...args));
const balance = async (a) => (await a.billing.DescribeAccountBalance({})).Balance;
async function rows(a) {
  const r = await a.billing.DescribeBillDetail({ Offset: 0, Limit: 300, BeginTime: cam(st.t0), EndTime: cam(clock() + 1) });
  return r.DetailSet;
}
const vouchersOf = async (a, extra = {}) => (await a.billing.DescribeVoucherInfo({ Limit: 100, Offset: 1, ...extra }));
const st = {};

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  st.t0 = clock() - 1;
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  clock("1h");
  st.res = account("reseller");
  st.other = account("other-partner");
  d.admin("partner", "--uin", st.res.Uin, "--kind", "reseller", "--discount", "cbs=0.8");
  d.admin("partner", "--uin", st.other.Uin, "--kind", "reseller");
  st.c = account("customer");
  st.c2 = account("customer2");
  d.admin("bind", "--partner", st.res.Uin, "--client", st.c.Uin);
  await st.res.partners.AuditApplyClient({ ClientUin: st.c.Uin, AuditResult: "accept", Note: "" });
  d.admin("bind", "--partner", st.other.Uin, "--client", st.c2.Uin);
  await st.other.partners.AuditApplyClient({ ClientUin: st.c2.Uin, AuditResult: "accept", Note: "" });
});

after(async () => { if (d) await d.destroy(); });

test("issuing: the operator's two kinds, the partner's own paid from its balance, refusals change nothing", async () => {
  const { res, other, c, c2 } = st;
  for (const bad of [["--uin", c.Uin, "--kind", "platform", "--cents", "100"], // a platform voucher is a partner's
    ["--uin", res.Uin, "--kind", "trial", "--cents", "100"], // a trial is a customer's
    ["--uin", c.Uin, "--kind", "trial", "--cents", "0"], ["--uin", c.Uin, "--kind", "trial", "--cents", "1.5"],
    ["--uin", c.Uin, "--kind", "trial", "--cents", "100", "--product", "gold"],
    ["--uin", "999999999999", "--kind", "trial", "--cents", "100"], ["--uin", c.Uin, "--kind", "gift", "--cents", "1"]]) {
    assert.notEqual(d.run(["admin", "voucher", ...bad, "--data", d.dataDir]).status, 0, bad.join(" "));
  }
  assert.equal((await vouchersOf(c)).TotalCount, 0);
  st.trial = voucher("--uin", c.Uin, "--kind", "trial", "--cents", "600", "--product", "cbs", "--days", "2").VoucherId;
  st.platform = voucher("--uin", res.Uin, "--kind", "platform", "--cents", "500", "--days", "30").VoucherId;
  st.cvmOnly = voucher("--uin", c.Uin, "--kind", "trial", "--cents", "100", "--product", "cvm", "--days", "1").VoucherId;

  const issue = (a, uin, amount, extra = {}) => a.ext.request("IssueClientVoucher", { ClientUin: uin, Amount: amount, ...extra });
  await rejectsWith(issue(res, c.Uin, 1000, { ValidDays: 30 }), "InvalidAccount.InsufficientBalance", "no balance");
  assert.equal((await vouchersOf(c)).TotalCount, 2, "nothing issued");
  d.admin("recharge", "--uin", res.Uin, "--cents", "5000");
  await rejectsWith(issue(other, c.Uin, 100), "ResourceNotFound", "another partner's customer");
  await rejectsWith(issue(res, c2.Uin, 100), "ResourceNotFound");
  await rejectsWith(issue(res, "999999999999", 100), "ResourceNotFound");
  await rejectsWith(issue(c, c2.Uin, 100), "UnauthorizedOperation", "a customer issues none");
  await rejectsWith(issue(res, c.Uin, 0), "InvalidParameterValue");
  await rejectsWith(issue(res, c.Uin, 100, { Product: "gold" }), "InvalidParameterValue");
  assert.equal(await balance(res), 5000, "refusals moved nothing");
  const v = await issue(res, c.Uin, 1000, { ValidDays: 30, Note: "welcome" });
  st.partnerFunded = v.VoucherId;
  assert.deepEqual([v.ClientUin, v.Amount, v.Product], [c.Uin, 1000, "*"]);
  assert.equal(await balance(res), 4000, "paid from the partner's balance at issue");
  const led = (await res.billing.DescribeBillList({ StartTime: cam(st.t0), EndTime: cam(clock() + 1), Offset: 0,
    Limit: 100 })).TransactionList.filter((t) => t.PayChannel === "voucher" || t.DeductMode === "voucher");
  assert.equal(led.length, 1, JSON.stringify(led));
  assert.equal(led[0].Amount, -1000);

  const mine = await vouchersOf(c);
  assert.equal(mine.Unit, "micro");
  assert.equal(mine.TotalCount, 3);
  assert.equal(BigInt(mine.TotalBalance), (600n + 100n + 1000n) * CENT);
  const t = mine.VoucherInfos.find((x) => x.VoucherId === st.trial);
  assert.deepEqual([t.OwnerUin, t.Status, BigInt(t.NominalValue), BigInt(t.Balance), t.ApplicableProducts.GoodsName],
    [c.Uin, "unUsed", 600n * CENT, 600n * CENT, "cbs"]);
  assert.equal(mine.VoucherInfos.find((x) => x.VoucherId === st.partnerFunded).PolicyRemark, "welcome");
  assert.equal((await vouchersOf(c2)).TotalCount, 0, "another customer sees none of them");
  assert.equal((await vouchersOf(res)).TotalCount, 1, "the partner's own platform voucher");
});

test("rating: vouchers pay first, soonest expiring first; the rest of a row is cash; the ledger deducts only cash", async () => {
  const { res, c } = st;
  await res.ext.request("SetClientDiscount", { ClientUin: c.Uin, Product: "cbs", Discount: "0.9" });
  const since = st.since = clock();
  const disk = (await c.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 100,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0]; // 10 yuan an hour
  const own = (await res.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 10,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0]; // 1 yuan an hour, the partner's own
  clock("3h");
  await c.cbs.TerminateDisks({ DiskIds: [disk] });
  await res.cbs.TerminateDisks({ DiskIds: [own] });
  const mine = (await rows(c)).filter((r) => r.ResourceId === disk);
  assert.ok(mine.length >= 2, `rows: ${mine.length}`);
  let real = 0n, vouch = 0n, cash = 0n;
  for (const r of mine) {
    const comps = r.ComponentSet;
    const cr = comps.reduce((a, x) => a + fine(x.RealCost), 0n), cv = comps.reduce((a, x) => a + fine(x.VoucherPayAmount), 0n);
    const cc = comps.reduce((a, x) => a + fine(x.CashPayAmount), 0n);
    assert.equal(cr, cv + cc, "RealCost = VoucherPayAmount + CashPayAmount");
    assert.ok(cv >= 0n && cc >= 0n);
    real += cr; vouch += cv; cash += cc;
  }
  assert.ok(real > 16n * FINE, `spent ${real}`);
  assert.equal(vouch, 16n * FINE, "both of its usable vouchers are spent (6 + 10 yuan), the cvm one is not");
  assert.equal(cash, real - 16n * FINE);
  // the earliest rows were paid by the trial (expires first), none paid by cash before the vouchers ran out
  // like a discount, a voucher pays for the hours that start after it was issued: the disk's first
  // (partial) hour began before; the next full hour is all the vouchers'; cash again when they ran out
  const sorted = [...mine].sort((a, b) => (a.FeeBeginTime < b.FeeBeginTime ? -1 : 1));
  const sum = (r, k) => r.ComponentSet.reduce((a, x) => a + fine(x[k]), 0n);
  assert.equal(sum(sorted[0], "VoucherPayAmount"), 0n, "the hour begun before the vouchers");
  assert.equal(sum(sorted[1], "CashPayAmount"), 0n, "the next hour is the vouchers'");
  assert.equal(sum(sorted[1], "VoucherPayAmount"), sum(sorted[1], "RealCost"));
  assert.equal(BigInt(await balance(c)), floorDiv(-cash, CENT), "the balance lost only the cash part");
  const led = (await c.billing.DescribeBillList({ StartTime: cam(since - 1), EndTime: cam(clock() + 1), Offset: 0,
    Limit: 100 })).TransactionList.filter((t) => t.ActionType === "deduct");
  assert.equal(BigInt(led.reduce((a, t) => a + t.Amount, 0)), floorDiv(-cash, CENT), "ledger rows = cash");

  const info = await vouchersOf(c);
  const by = Object.fromEntries(info.VoucherInfos.map((x) => [x.VoucherId, x]));
  assert.deepEqual([by[st.trial].Status, by[st.trial].Balance], ["used", 0]);
  assert.deepEqual([by[st.partnerFunded].Status, by[st.partnerFunded].Balance], ["used", 0]);
  assert.deepEqual([by[st.cvmOnly].Status, BigInt(by[st.cvmOnly].Balance)], ["unUsed", 100n * CENT], "not for cbs");
  const use = await c.billing.DescribeVoucherUsageDetails({ VoucherId: st.trial, Limit: 100, Offset: 1 });
  assert.equal(BigInt(use.TotalUsedAmount), 600n * CENT);
  assert.equal(use.UsageRecords.reduce((a, u) => a + BigInt(u.UsedAmount), 0n), 600n * CENT);
  assert.ok(use.UsageRecords.every((u) => u.VoucherId === st.trial && u.PayMode === "postPay" &&
    mine.some((r) => u.SeqId.endsWith(r.ResourceId))));
  await rejectsWith(st.c2.billing.DescribeVoucherUsageDetails({ VoucherId: st.trial, Limit: 10, Offset: 1 }),
    "ResourceNotFound", "another account's voucher");

  // partial use leaves the rest: the partner's own spend (<= 3 yuan) from its 5-yuan platform voucher
  const p = (await vouchersOf(res)).VoucherInfos[0];
  const ownRows = (await rows(res)).filter((r) => r.ResourceId === own);
  const ownPaid = ownRows.reduce((a, r) => a + r.ComponentSet.reduce((b, x) => b + fine(x.VoucherPayAmount), 0n), 0n);
  const ownCash = ownRows.reduce((a, r) => a + r.ComponentSet.reduce((b, x) => b + fine(x.CashPayAmount), 0n), 0n);
  assert.ok(ownPaid >= 2n * FINE && ownPaid < 5n * FINE, `${ownPaid}`);
  assert.deepEqual([p.Status, BigInt(p.Balance)], ["unUsed", 500n * CENT - ownPaid]);
  assert.equal(BigInt(await balance(res)), 4000n + floorDiv(-ownCash, CENT), "only the hour begun before it in cash");
});

test("expiry on the business clock: an expired voucher pays nothing and leaves the balance", async () => {
  const { c } = st;
  d.admin("recharge", "--uin", c.Uin, "--cents", "10000"); // out of arrears, to buy again
  const late = voucher("--uin", c.Uin, "--kind", "trial", "--cents", "300", "--product", "cbs", "--days", "1").VoucherId;
  clock("25h");
  const info = await vouchersOf(c);
  const by = Object.fromEntries(info.VoucherInfos.map((x) => [x.VoucherId, x]));
  assert.equal(by[late].Status, "overdue");
  assert.equal(by[st.cvmOnly].Status, "overdue");
  assert.equal(BigInt(info.TotalBalance), 0n, "expired balances are not counted");
  assert.equal((await vouchersOf(c, { Status: "overdue" })).TotalCount, 2);
  const before = await balance(c);
  const disk = (await c.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 10,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  clock("2h");
  await c.cbs.TerminateDisks({ DiskIds: [disk] });
  const r = (await rows(c)).filter((x) => x.ResourceId === disk);
  assert.ok(r.length >= 1);
  assert.ok(r.every((x) => x.ComponentSet.every((y) => fine(y.VoucherPayAmount) === 0n)), "no voucher paid");
  assert.ok(await balance(c) < before, "cash paid");
  const again = Object.fromEntries((await vouchersOf(c)).VoucherInfos.map((x) => [x.VoucherId, x]));
  assert.equal(BigInt(again[late].Balance), 300n * CENT, "an expired voucher keeps its (unusable) balance");
});

test("the intl queries: a partner sees its customers' vouchers only", async () => {
  const { res, other, c, c2 } = st;
  const amt = await res.intl.QueryVoucherAmountByUin({ ClientUins: [Number(c.Uin)] });
  assert.deepEqual(amt.Data.map((x) => [x.ClientUin, x.TotalAmount, x.RemainAmount]), [[Number(c.Uin), 20, 0]]);
  await rejectsWith(other.intl.QueryVoucherAmountByUin({ ClientUins: [Number(c.Uin)] }), "ResourceNotFound");
  await rejectsWith(res.intl.QueryVoucherAmountByUin({ ClientUins: [Number(c2.Uin)] }), "ResourceNotFound");
  await rejectsWith(res.intl.QueryVoucherAmountByUin({ ClientUins: [] }), /^InvalidParameter/);
  const list = await res.intl.QueryVoucherListByUin({ ClientUins: [Number(c.Uin)], Status: "Used" });
  assert.deepEqual(list.Data[0].Data.map((x) => x.VoucherId).sort(), [st.trial, st.partnerFunded].sort());
  assert.equal(list.Data[0].TotalCount, 2);
  const all = await res.intl.DescribeCustomerVoucherList({ Page: 1, PageSize: 20 });
  assert.equal(all.TotalCount, 4);
  const pf = all.Data.find((x) => String(x.VoucherId) === st.partnerFunded);
  assert.deepEqual([pf.CustomerUin, pf.Usage, pf.ProductScope, pf.TotalAmount, pf.RemainingAmount, pf.VoucherStatus],
    [Number(c.Uin), "CustomerOffer", "AllProducts", 10, 0, "Used"]);
  assert.equal((await res.intl.DescribeCustomerVoucherList({ Page: 1, PageSize: 20, Usage: "ProductTrial" })).TotalCount, 3);
  assert.equal((await res.intl.DescribeCustomerVoucherList({ Page: 1, PageSize: 20, VoucherStatus: "Expired" })).TotalCount, 2);
  assert.equal((await other.intl.DescribeCustomerVoucherList({ Page: 1, PageSize: 20 })).TotalCount, 0);
  await rejectsWith(c.intl.DescribeCustomerVoucherList({ Page: 1, PageSize: 20 }), "UnauthorizedOperation");
  const pool = await res.intl.QueryVoucherPool({});
  const own = (await vouchersOf(res)).VoucherInfos[0];
  assert.deepEqual([pool.AccountType, pool.TotalQuota, pool.IssuedNum], [1, 5, 1]);
  assert.equal(Math.round(pool.RemainingQuota * 1e8), Number(own.Balance), "its platform voucher's balance");
  const none = await other.intl.QueryVoucherPool({});
  assert.deepEqual([none.TotalQuota, none.RemainingQuota, none.IssuedNum], [0, 0, 0]);
  await rejectsWith(c.intl.QueryVoucherPool({}), "UnauthorizedOperation");
});

test("DescribeCustomerBillDetail and the summaries: the customer's components with the discount it set and what vouchers paid", async () => {
  const { res, other, c } = st;
  const month = new Date(st.since * 1000).toISOString().slice(0, 7);
  const all = [];
  for (let page = 1; ; page++) {
    const r = await res.intl.DescribeCustomerBillDetail({ CustomerUin: Number(c.Uin), Month: month, Page: page, PageSize: 50 });
    all.push(...r.DetailSet);
    if (all.length >= r.Total || r.DetailSet.length === 0) { assert.equal(all.length, r.Total); break; }
  }
  const billed = (await rows(c)).filter((r) => r.ResourceId && new Date(r.FeeBeginTime.replace(" ", "T") + "Z").toISOString().slice(0, 7) === month);
  const comps = billed.flatMap((r) => r.ComponentSet);
  assert.equal(all.length, comps.length, "one row per component");
  const sum = (xs, k) => xs.reduce((a, x) => a + fine(x[k]), 0n);
  assert.equal(sum(all, "VoucherDeduction"), sum(comps, "VoucherPayAmount"));
  assert.equal(sum(all, "TotalAmountAfterDiscount"), sum(comps, "RealCost"));
  assert.equal(sum(all, "OriginalCost"), sum(comps, "Cost"));
  assert.ok(all.every((x) => fine(x.TotalCost) === fine(x.TotalAmountAfterDiscount) - fine(x.VoucherDeduction)));
  assert.ok(all.some((x) => x.CustomerDiscountRate === "0.900000"), "the partner's discount for the customer");
  assert.ok(all.every((x) => x.OwnerAccountId === Number(c.Uin)));
  await rejectsWith(other.intl.DescribeCustomerBillDetail({ CustomerUin: Number(c.Uin), Month: month, Page: 1, PageSize: 10 }),
    "ResourceNotFound", "another partner's customer");
  await rejectsWith(res.intl.DescribeCustomerBillDetail({ CustomerUin: Number(c.Uin), Month: "2026-13", Page: 1, PageSize: 10 }),
    "InvalidParameterValue");
  await rejectsWith(c.intl.DescribeCustomerBillDetail({ CustomerUin: Number(c.Uin), Month: month, Page: 1, PageSize: 10 }),
    "UnauthorizedOperation");

  // the summaries are the sums of the same rows
  const byProduct = (await res.intl.DescribeBillSummaryByProduct({ BillMonth: month, CustomerUin: Number(c.Uin) })).SummaryOverview;
  assert.deepEqual(byProduct.map((x) => [x.BusinessCode, x.BusinessCodeName]), [["p_cbs", "cbs"]]);
  assert.equal(fine(byProduct[0].OriginalCost), sum(all, "OriginalCost"));
  assert.equal(fine(byProduct[0].VoucherPayAmount), sum(all, "VoucherDeduction"));
  assert.equal(fine(byProduct[0].TotalCost), sum(all, "TotalCost"));
  const everyone = (await res.intl.DescribeBillSummaryByProduct({ BillMonth: month })).SummaryOverview;
  assert.deepEqual(everyone.map((x) => x.TotalCost), byProduct.map((x) => x.TotalCost), "its only customer with bills");
  assert.deepEqual((await other.intl.DescribeBillSummaryByProduct({ BillMonth: month })).SummaryOverview, [],
    "nothing of another partner's customers");
  const total = await res.intl.DescribeCustomerBillSummary({ CustomerUin: Number(c.Uin), Month: month });
  assert.equal(BigInt(Math.round(total.TotalCost * 1e8)), sum(all, "TotalCost"));
  await rejectsWith(other.intl.DescribeCustomerBillSummary({ CustomerUin: Number(c.Uin), Month: month }), "ResourceNotFound");
});
