/*
 * DescribeAgentMargin (yun extension, partners 2018-03-21) through the official SDK's common client
 * on one cloud with --test-clock: per bound customer and product of the month, the list cost, what
 * the customer pays (its discount from the partner), the partner's cost (list cost at its own
 * discount from the operator) and Margin = real cost - partner's cost, in cents; rows add up to the
 * totals and agree with DescribeAgentBills; a customer is refused (UnauthorizedOperation).
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, rejectsWith } = require("./lib/yund");

const ZONE = "ap-local-1";
let d;
const monthOf = (t) => new Date(t * 1000).toISOString().slice(0, 7);
const clock = (dur) => JSON.parse(dur ? d.admin("clock", "--advance", dur) : d.admin("clock")).Unix;

function account(name) {
  const a = d.createAccount(name);
  const partners = new tencentcloud.partners.v20180321.Client({
    credential: { secretId: a.SecretId, secretKey: a.SecretKey }, region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } },
  });
  return { ...a, partners, ext: d.common("2018-03-21", a), cbs: d.cbs(a) };
}
const prepaidDisk = (a, size) => a.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM",
  DiskSize: size, DiskChargeType: "PREPAID", DiskChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } });
const st = {};

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "2",
    "--pay-mode", "prePay");
  clock("1h");
  st.p = account("p");
  st.p.code = JSON.parse(d.admin("partner", "--uin", st.p.Uin, "--kind", "reseller", "--discount", "cbs=0.7"))
    .InvitationCode;
  for (const n of ["c", "c2"]) {
    st[n] = account(n);
    await st[n].ext.request("ApplyClientBinding", { InvitationCode: st.p.code });
    await st.p.partners.AuditApplyClient({ ClientUin: st[n].Uin, AuditResult: "accept", Note: "" });
    d.admin("recharge", "--uin", st[n].Uin, "--cents", "10000");
  }
  await st.p.ext.request("SetClientDiscount", { ClientUin: st.c.Uin, Product: "cbs", Discount: "0.9" });
  clock("1h");
});

after(async () => { if (d) await d.destroy(); });

test("the margin per customer and product adds up and agrees with the bills", async () => {
  const { p, c, c2 } = st;
  await prepaidDisk(c, 10);
  await prepaidDisk(c2, 20);
  const month = monthOf(clock());
  const m = await p.ext.request("DescribeAgentMargin", { SettleMonth: month });
  const row = (u) => m.MarginSet.find((r) => r.ClientUin === u && r.GoodsType === "cbs");
  const rc = row(c.Uin), rc2 = row(c2.Uin);
  assert.ok(rc && rc2, JSON.stringify(m.MarginSet));
  assert.deepEqual([rc.ListCost, rc.RealCost, rc.PartnerCost, rc.Margin], [2000, 1800, 1400, 400], "c at 0.9");
  assert.deepEqual([rc2.ListCost, rc2.RealCost, rc2.PartnerCost, rc2.Margin], [4000, 4000, 2800, 1200], "c2 at list");
  for (const r of m.MarginSet) assert.equal(r.Margin, r.RealCost - r.PartnerCost);
  const sum = (k) => m.MarginSet.reduce((x, r) => x + r[k], 0);
  assert.equal(m.TotalListCost, sum("ListCost"));
  assert.equal(m.TotalRealCost, sum("RealCost"));
  assert.equal(m.TotalPartnerCost, sum("PartnerCost"));
  assert.equal(m.TotalMargin, sum("Margin"));
  assert.equal(m.TotalMargin, m.TotalRealCost - m.TotalPartnerCost);
  const bills = (await p.partners.DescribeAgentBills({ SettleMonth: month, Offset: 0, Limit: 100 })).AgentBillSet;
  for (const u of [c.Uin, c2.Uin]) {
    const amt = bills.filter((b) => b.ClientUin === u && b.GoodsType === "cbs").reduce((x, b) => x + b.Amt, 0);
    assert.equal(row(u).RealCost, amt, "the customer's real cost is its bills' Amt");
  }
  const other = await p.ext.request("DescribeAgentMargin", { SettleMonth: "2001-01" });
  assert.deepEqual([other.MarginSet.length, other.TotalMargin], [0, 0], "a month without bills");
});

test("a customer is refused; a bad month is refused", async () => {
  await rejectsWith(st.c.ext.request("DescribeAgentMargin", { SettleMonth: monthOf(clock()) }), "UnauthorizedOperation");
  assert.ok(d.audit(50).some((e) => e.Action === "DescribeAgentMargin" && e.Result === "UnauthorizedOperation" &&
    e.Uin === st.c.Uin), "the refusal is audited");
  await rejectsWith(st.p.ext.request("DescribeAgentMargin", { SettleMonth: "2026-13" }), "InvalidParameterValue");
});
