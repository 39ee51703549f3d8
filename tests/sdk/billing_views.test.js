/*
 * Billing views and price quotes through the official SDK (billing 2018-07-09; cvm, cbs, vpc
 * inquiries) on a cloud started with --test-clock: quotes with and without an operator discount;
 * a postpaid data disk billed over two hours of the moved clock, where DescribeBillDetail (L3),
 * DescribeBillResourceSummary (L2), the L1 summaries by product, region, pay mode and tag, the
 * cost summary and `yun bill` agree with each other and with amounts this test computes itself
 * from the price book and the seconds; and bad input answered with Tencent's codes.
 * Needs no guest boot: the disk is never attached.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, rejectsWith, credOf } = require("./lib/yund");

const ZONE = "ap-local-1";
const FINE = 100000000n; // fine units per yuan
let d, acct, billing, cvm, cbs, vpc, image, prices, month;

const billingClient = (creds) => new tencentcloud.billing.v20180709.Client({
  credential: credOf(creds), region: "ap-local",
  profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqTimeout: 30 } },
});

/* yuan string (8 places) <-> BigInt fine units */
const fine = (s) => {
  const neg = s.startsWith("-");
  const [w, f = ""] = (neg ? s.slice(1) : s).split(".");
  const v = BigInt(w) * FINE + BigInt((f + "00000000").slice(0, 8));
  return neg ? -v : v;
};
const yuan8 = (v) => `${v < 0n ? "-" : ""}${(v < 0n ? -v : v) / FINE}.${String((v < 0n ? -v : v) % FINE).padStart(8, "0")}`;
const divHalfUp = (n, den) => (n + den / 2n) / den; // n >= 0
/* The list price (fine) of a price book row, as `yun admin price list` prints it. */
const priceOf = (product, component, item, payMode = "postPay") => {
  const rows = prices.filter((p) => p.Product === product && p.Component === component && p.PayMode === payMode);
  const r = rows.find((p) => p.Item === item) || rows.find((p) => p.Item === "*");
  assert.ok(r, `no price for ${product} ${component} ${item}`);
  return fine(r.Price);
};
const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
const secondsOf = (b, e) => (Date.parse(e.replace(" ", "T") + "Z") - Date.parse(b.replace(" ", "T") + "Z")) / 1000;

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  acct = d.createAccount("billviews");
  d.admin("recharge", "--uin", acct.Uin, "--cents", "1000000");
  billing = billingClient(acct);
  cvm = d.cvm(acct);
  cbs = d.cbs(acct);
  vpc = d.vpc(acct);
  image = (await cvm.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
  prices = d.admin("price", "list").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
});

after(async () => { if (d) await d.destroy(); });

const runQuote = (extra = {}) => cvm.InquiryPriceRunInstances({
  Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.MEDIUM4",
  SystemDisk: { DiskType: "CLOUD_PREMIUM", DiskSize: 50 }, ...extra,
});
/* S5.MEDIUM4: 2 vCPUs, 4 GiB, and a 50 GiB CLOUD_PREMIUM system disk */
const cvmList = (mode) => 2n * priceOf("cvm", "v_cvm_cpu", "S5", mode) + 4n * priceOf("cvm", "v_cvm_mem", "S5", mode) +
  50n * priceOf("cvm", "v_cvm_rootdisk", "CLOUD_PREMIUM", mode);
const toYuan = (v) => Number(v) / 1e8;

test("quotes at list price: cvm postpaid and prepaid, cbs, vpc", async () => {
  const post = (await runQuote()).Price;
  close(post.InstancePrice.UnitPrice, toYuan(cvmList("postPay")), "cvm UnitPrice");
  close(post.InstancePrice.UnitPriceDiscount, toYuan(cvmList("postPay")), "cvm UnitPriceDiscount");
  assert.equal(post.InstancePrice.ChargeUnit, "HOUR");
  assert.equal(post.InstancePrice.Discount, 100);
  assert.equal(post.BandwidthPrice.UnitPrice, 0);
  const pre = (await runQuote({ InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 2 }, InstanceCount: 3 }))
    .Price.InstancePrice;
  close(pre.OriginalPrice, toYuan(cvmList("prePay") * 2n * 3n), "cvm OriginalPrice");
  close(pre.DiscountPrice, toYuan(cvmList("prePay") * 2n * 3n), "cvm DiscountPrice");
  const disk = (await cbs.InquiryPriceCreateDisks({ DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: 100 }))
    .DiskPrice;
  close(disk.UnitPrice, toYuan(100n * priceOf("cbs", "v_cbs_disk", "CLOUD_PREMIUM")), "cbs UnitPrice");
  assert.equal(disk.ChargeUnit, "HOUR");
  assert.equal(fine(disk.UnitPriceHigh + (disk.UnitPriceHigh.includes(".") ? "" : ".0")), 100n * priceOf("cbs", "v_cbs_disk", "CLOUD_PREMIUM"));
  const dpre = (await cbs.InquiryPriceCreateDisks({
    DiskChargeType: "PREPAID", DiskType: "CLOUD_PREMIUM", DiskSize: 100, DiskCount: 2, DiskChargePrepaid: { Period: 3 },
  })).DiskPrice;
  close(dpre.OriginalPrice, toYuan(100n * priceOf("cbs", "v_cbs_disk", "CLOUD_PREMIUM", "prePay") * 3n * 2n), "cbs OriginalPrice");
  const eip = (await vpc.InquiryPriceAllocateAddresses({ InternetChargeType: "TRAFFIC_POSTPAID_BY_HOUR" })).Price.AddressPrice;
  close(eip.UnitPrice, toYuan(priceOf("vpc", "v_eip_idle", "*")), "eip UnitPrice");
  close(eip.DiscountPrice, eip.UnitPrice, "eip DiscountPrice");
  assert.equal(eip.ChargeUnit, "HOUR");
});

test("quote refusals: unknown type, zone, image; PREPAID without its period; disk size", async () => {
  await rejectsWith(runQuote({ InstanceType: "S5.NOPE" }), "InvalidParameterValue.InstanceTypeNotFound");
  await rejectsWith(runQuote({ Placement: { Zone: "nowhere-1" } }), "InvalidZone.MismatchRegion");
  await rejectsWith(runQuote({ ImageId: "img-00000000" }), "InvalidImageId.NotFound");
  await rejectsWith(runQuote({ InstanceChargeType: "PREPAID" }), "MissingParameter");
  await rejectsWith(cbs.InquiryPriceCreateDisks({ DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: 1 }),
    "InvalidParameter.DiskSizeNotMatch");
});

test("the caller's discount shows in quotes", async () => {
  d.admin("discount", "--uin", acct.Uin, "--product", "cvm", "--rate", "0.8");
  d.admin("discount", "--uin", acct.Uin, "--product", "cbs", "--rate", "0.5");
  const post = (await runQuote()).Price.InstancePrice;
  assert.equal(post.Discount, 80);
  close(post.UnitPrice, toYuan(cvmList("postPay")), "UnitPrice stays the list price");
  close(post.UnitPriceDiscount, toYuan(divHalfUp(cvmList("postPay") * 800000n, 1000000n)), "UnitPriceDiscount");
  const pre = (await runQuote({ InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } })).Price.InstancePrice;
  close(pre.DiscountPrice, toYuan(divHalfUp(cvmList("prePay") * 800000n, 1000000n)), "DiscountPrice");
  assert.equal(pre.Discount, 80);
  const disk = (await cbs.InquiryPriceCreateDisks({ DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: 100 }))
    .DiskPrice;
  close(disk.UnitPriceDiscount, disk.UnitPrice / 2, "cbs half price");
  // an account without a discount still sees list prices
  const other = d.cvm(d.createAccount("nodiscount"));
  assert.equal((await other.InquiryPriceRunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.MEDIUM4" }))
    .Price.InstancePrice.Discount, 100);
});

test("a postpaid disk over two hours: L3, L2, L1 and the price book agree", async () => {
  // the discount set above applies from its time on; settlement prices an hour from its start,
  // so move into the next hour before the disk exists
  d.admin("clock", "--advance", "1h");
  const size = 100n;
  const { DiskIdSet: [diskId] } = await cbs.CreateDisks({
    Placement: { Zone: ZONE }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: Number(size),
    DiskName: "billed", Tags: [{ Key: "team", Value: "blue" }],
  });
  const now = JSON.parse(d.admin("clock", "--advance", "2h"));
  month = now.Now.slice(0, 7);
  const detail = await billing.DescribeBillDetail({ Month: month, Offset: 0, Limit: 100, ResourceId: diskId });
  assert.equal(detail.Total, 2, JSON.stringify(detail));
  const price = priceOf("cbs", "v_cbs_disk", "CLOUD_PREMIUM");
  let cost = 0n, real = 0n;
  detail.DetailSet.forEach((row, i) => {
    const secs = BigInt(secondsOf(row.FeeBeginTime, row.FeeEndTime));
    if (i === 1) assert.equal(secs, 3600n, "the second hour is whole");
    assert.ok(secs > 0n && secs <= 3600n);
    assert.equal(row.FeeEndTime.slice(14), "00:00", "an hour row ends on the hour");
    const c = divHalfUp(price * size * secs, 3600n), r = divHalfUp(c * 500000n, 1000000n);
    assert.equal(row.ComponentSet.length, 1);
    const comp = row.ComponentSet[0];
    assert.equal(comp.ComponentCode, "v_cbs_disk");
    assert.equal(comp.Cost, yuan8(c), `hour ${i} cost`);
    assert.equal(comp.RealCost, yuan8(r), `hour ${i} real cost`);
    assert.equal(comp.Discount, "0.50000000");
    assert.equal(fine(comp.RealCost), fine(comp.CashPayAmount) + fine(comp.VoucherPayAmount) +
      fine(comp.IncentivePayAmount) + fine(comp.TransferPayAmount));
    assert.equal(row.BusinessCode, "p_cbs");
    cost += c;
    real += r;
  });
  const l2 = await billing.DescribeBillResourceSummary({ Month: month, Offset: 0, Limit: 100, ResourceId: diskId });
  assert.equal(l2.ResourceSummarySet.length, 1);
  assert.equal(l2.ResourceSummarySet[0].TotalCost, yuan8(cost));
  assert.equal(l2.ResourceSummarySet[0].RealTotalCost, yuan8(real));

  const byProduct = await billing.DescribeBillSummaryByProduct({ BeginTime: month, EndTime: month });
  assert.equal(byProduct.Ready, 1);
  assert.deepEqual(byProduct.SummaryOverview.map((o) => o.BusinessCode), ["p_cbs"]);
  const p = byProduct.SummaryOverview[0];
  assert.equal(p.RealTotalCost, yuan8(real));
  assert.equal(p.TotalCost, yuan8(cost));
  assert.equal(p.CashPayAmount, yuan8(real));
  assert.equal(p.VoucherPayAmount, "0.00000000");
  assert.equal(p.RealTotalCostRatio, "100.00");
  assert.equal(p.BillMonth, month);
  assert.equal(p.BusinessCodeName, "云硬盘CBS");
  assert.equal(byProduct.SummaryTotal.RealTotalCost, yuan8(real));
  assert.equal(byProduct.SummaryTotal.TotalCost, yuan8(cost));

  const byRegion = await billing.DescribeBillSummaryByRegion({ BeginTime: month, EndTime: month });
  assert.equal(byRegion.SummaryOverview.length, 1);
  assert.equal(byRegion.SummaryOverview[0].RegionId, "ap-local");
  assert.equal(byRegion.SummaryOverview[0].RealTotalCost, yuan8(real));
  assert.equal(byRegion.SummaryOverview[0].RealTotalCostRatio, "100.00");

  const byMode = await billing.DescribeBillSummaryByPayMode({ BeginTime: month, EndTime: month });
  assert.equal(byMode.SummaryOverview.length, 1);
  const m = byMode.SummaryOverview[0];
  assert.equal(m.PayMode, "postPay");
  assert.equal(m.PayModeName, "按量计费");
  assert.equal(m.TotalCost, yuan8(cost));
  assert.equal(m.Detail.length, 1);
  assert.equal(m.Detail[0].ActionType, "postpay_deduct_h");
  assert.equal(m.Detail[0].RealTotalCost, yuan8(real));

  const byTag = await billing.DescribeBillSummaryByTag({ BeginTime: month, EndTime: month, TagKey: "team" });
  assert.deepEqual(byTag.SummaryOverview.map((o) => [o.TagValue, o.RealTotalCost, o.RealTotalCostRatio]),
    [["blue", yuan8(real), "100.00"]]);
  assert.equal(byTag.SummaryTotal.RealTotalCost, yuan8(real));
  assert.equal(byTag.SummaryTotal.TotalCost, yuan8(cost));
  const untagged = await billing.DescribeBillSummaryByTag({ BeginTime: month, EndTime: month, TagKey: "owner" });
  assert.deepEqual(untagged.SummaryOverview.map((o) => [o.TagValue, o.TotalCost]), [["", yuan8(cost)]]);
  const none = await billing.DescribeBillSummaryByTag({ BeginTime: month, EndTime: month, TagKey: "team", TagValue: "red" });
  assert.deepEqual(none.SummaryOverview, []);

  const costView = await billing.DescribeCostSummaryByProduct({ BeginTime: month, EndTime: month, Offset: 0, Limit: 10, NeedRecordNum: 1 });
  assert.equal(costView.Total.RealTotalCost, yuan8(real));
  assert.equal(costView.RecordNum, 1);
  assert.equal(costView.Data[0].BusinessCode, "p_cbs");
  assert.equal(costView.Data[0].Trend.Type, "none");

  // the balance went down by exactly the real cost, in cents floored
  const bal = await billing.DescribeAccountBalance({});
  const left = 1000000n * 1000000n - real; // recharged cents x 1e6 fine per cent, less the bill
  assert.equal(BigInt(bal.Balance), left / 1000000n);

  // the same numbers for people
  const out = d.run(["bill", "--month", month, "--data", d.dataDir],
    { env: { TENCENTCLOUD_SECRET_ID: acct.SecretId, TENCENTCLOUD_SECRET_KEY: acct.SecretKey } });
  assert.equal(out.status, 0, out.stderr);
  const line = out.stdout.split("\n").find((l) => l.startsWith("云硬盘CBS"));
  assert.ok(line, out.stdout);
  assert.deepEqual(line.trim().split(/\s+/).slice(1), [yuan8(cost), yuan8(cost - real), yuan8(real)]);
  assert.match(out.stdout, new RegExp(`^Total\\s+${yuan8(cost)}\\s+${yuan8(cost - real)}\\s+${yuan8(real)}$`, "m"));
});

test("bad input: Tencent's codes", async () => {
  const m = month || "2026-12";
  await rejectsWith(billing.DescribeBillDetail({ Month: "2026-13", Offset: 0, Limit: 10 }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillDetail({ BeginTime: "2026-12-02 10:00:00", EndTime: "2026-12-01 10:00:00", Offset: 0, Limit: 10 }),
    "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillDetail({ Month: m, Offset: 0, Limit: 301 }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillDetail({ Month: m, Offset: 0, Limit: 10, BusinessCode: "p_nope" }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillResourceSummary({ Month: m, Offset: 0, Limit: 10, BusinessCode: "p_nope" }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillSummaryByProduct({ BeginTime: "2026-13", EndTime: "2026-13" }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillSummaryByRegion({ BeginTime: "2026-11", EndTime: "2026-12" }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillSummaryByPayMode({ BeginTime: "2026-12", EndTime: "2026-11" }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillSummaryByTag({ BeginTime: m, EndTime: m }), "MissingParameter");
  await rejectsWith(billing.DescribeCostSummaryByProduct({ BeginTime: m, EndTime: m, Offset: 0, Limit: 101 }), "InvalidParameterValue");
  await rejectsWith(billing.DescribeBillSummaryByProduct({ BeginTime: m, EndTime: m, PayerUin: "123" }), "InvalidParameterValue");
  // a month with nothing in it is an empty, ready bill
  const empty = await billing.DescribeBillSummaryByProduct({ BeginTime: "2020-01", EndTime: "2020-01" });
  assert.equal(empty.Ready, 1);
  assert.deepEqual(empty.SummaryOverview, []);
  assert.equal(empty.SummaryTotal.RealTotalCost, "0.00000000");
});
