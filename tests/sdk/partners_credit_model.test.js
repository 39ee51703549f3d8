/*
 * One credit model for both channels: a grant made with the international AllocateCustomerCredit
 * is billing's credit, enforced at purchase (an order beyond it refused with
 * InvalidAccount.InsufficientBalance, as AllocateClientCredit's) and alerted at 75 %; a grant made
 * with yun's AllocateClientCredit shows in QueryCustomersCredit and the allocation history; the
 * partner's own credit caps the sum of both.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const intl = require("tencentcloud-sdk-nodejs-intl-en");
const { startDaemon, rejectsWith } = require("./lib/yund");

const ZONE = "ap-local-1";
let d;
const clock = (dur) => JSON.parse(dur ? d.admin("clock", "--advance", dur) : d.admin("clock")).Unix;

function intlClient(a) {
  const { Credential, ClientProfile, HttpProfile } = intl.common;
  const http = new HttpProfile("http://", d.endpoint, "POST", 30);
  const c = new intl.intlpartnersmgt.v20220928.Client(new Credential(a.SecretId, a.SecretKey), "ap-local",
    new ClientProfile("TC3-HMAC-SHA256", http));
  return new Proxy(c, {
    get: (t, k) => (typeof k === "string" && /^[A-Z]/.test(k) && typeof t[k] === "function"
      ? (req) => new Promise((ok, fail) => t[k](req, (e, r) => (e ? fail(e) : ok(r)))) : t[k]),
  });
}
function account(name) {
  const a = d.createAccount(name);
  return { ...a, intl: intlClient(a), ext: d.common("2018-03-21", a), billing: d.billing(a), cbs: d.cbs(a) };
}
const prepaid = (a, size) => a.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: size,
  DiskChargeType: "PREPAID", DiskChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } });
const alerts = async (a) => (await a.ext.request("DescribeCreditAlerts", {})).AlertSet.map((x) => [x.Uin, x.Role, x.Level]);
const st = {};

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "1",
    "--pay-mode", "prePay");
  clock("1h");
  st.r = account("r");
  st.r.code = JSON.parse(d.admin("partner", "--uin", st.r.Uin, "--kind", "reseller", "--credit-cents", "10000"))
    .InvitationCode; // 100.00
  st.a = account("a");
  await st.a.ext.request("ApplyClientBinding", { InvitationCode: st.r.code });
  await st.r.ext.request("AuditApplyClient", { ClientUin: st.a.Uin, AuditResult: "accept", Note: "" });
  st.b = account("b");
  await st.b.ext.request("ApplyClientBinding", { InvitationCode: st.r.code });
  await st.r.ext.request("AuditApplyClient", { ClientUin: st.b.Uin, AuditResult: "accept", Note: "" });
});

after(async () => { if (d) await d.destroy(); });

test("intl AllocateCustomerCredit is billing's credit: enforced at purchase, alerted", async () => {
  const { r, a } = st;
  const got = await r.intl.AllocateCustomerCredit({ ClientUin: Number(a.Uin), AddedCredit: 30.5, Remark: "intl" });
  assert.deepEqual([got.TotalCredit, got.RemainingCredit], [30.5, 30.5]);
  assert.equal((await a.billing.DescribeAccountBalance({})).CreditAmount, 3050, "billing holds it as credit");
  await prepaid(a, 25); // 25 of 30.50 yuan: 82 %
  await rejectsWith(prepaid(a, 10), "InvalidAccount.InsufficientBalance", "beyond the intl-allocated credit");
  assert.equal((await a.billing.DescribeAccountBalance({})).Balance, -2500, "the refusal wrote nothing");
  clock("1h");
  assert.deepEqual(await alerts(a), [[a.Uin, "client", 75]]);
  assert.deepEqual(await alerts(r), [[a.Uin, "client", 75]], "the partner sees its customer's");
  const c = (await r.intl.QueryCustomersCredit({ FilterType: "ClientUin", Filter: a.Uin })).Data[0];
  assert.deepEqual([c.Credit, c.RemainingCredit], [30.5, 5.5]);
});

test("AllocateClientCredit shows in QueryCustomersCredit and the history; the partner's credit caps both", async () => {
  const { r, a, b } = st;
  const got = await r.ext.request("AllocateClientCredit", { ClientUin: b.Uin, Credit: 5000 });
  assert.deepEqual([got.Credit, got.RemainingCredit], [5000, 5000]);
  const c = (await r.intl.QueryCustomersCredit({ FilterType: "ClientUin", Filter: b.Uin })).Data[0];
  assert.deepEqual([c.Credit, c.RemainingCredit], [50, 50]);
  const h = await r.intl.QueryCreditAllocationHistory({ ClientUin: Number(b.Uin), Page: 1, PageSize: 10 });
  assert.deepEqual(h.History.map((x) => [x.Credit, x.AllocatedCredit]), [[50, 50]]);
  const pc = await r.intl.QueryPartnerCredit({});
  assert.deepEqual([pc.TotalCredit, pc.AllocatedCredit, pc.RemainingCredit], [100, 80.5, 19.5]);
  // 19.50 left of the partner's 100: neither flow allocates past it, and a refusal changes nothing
  await rejectsWith(r.ext.request("AllocateClientCredit", { ClientUin: b.Uin, Credit: 6951 }),
    "FailedOperation.InsufficientCredit");
  await rejectsWith(r.intl.AllocateCustomerCredit({ ClientUin: Number(a.Uin), AddedCredit: 19.51 }),
    "FailedOperation.InsufficientCredit");
  assert.equal((await r.intl.QueryPartnerCredit({})).AllocatedCredit, 80.5);
  assert.equal((await b.billing.DescribeAccountBalance({})).CreditAmount, 5000);
  await r.ext.request("AllocateClientCredit", { ClientUin: b.Uin, Credit: 6950 });
  assert.equal((await r.intl.QueryPartnerCredit({})).RemainingCredit, 0);
  // an intl reclaim reaches billing too
  await r.intl.AllocateCustomerCredit({ ClientUin: Number(b.Uin), AddedCredit: -19.5 });
  assert.equal((await b.billing.DescribeAccountBalance({})).CreditAmount, 5000);
  assert.equal((await r.intl.QueryCreditAllocationHistory({ ClientUin: Number(b.Uin) })).Total, 3);
  assert.ok(a);
});
