/*
 * Credit through the official SDK (partners.v20180321, billing, cbs) and yun's extensions on one
 * cloud with --test-clock: a partner allocates credit to a customer (AllocateClientCredit, at
 * most its own); prepaid orders eat into it and are refused past it, and past the partner's own
 * credit, and the distributor's for a second-level reseller's customer; alerts at 75/90/100 %
 * recorded once each per month (DescribeCreditAlerts); at exhaustion `--on-credit-exhausted
 * suspend` is billing's arrears path and `keep` keeps the customer running; each ledger adds up to
 * its balance; isolation.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, rejectsWith } = require("./lib/yund");

const ZONE = "ap-local-1";
let d;
const cam = (t) => { const s = new Date(t * 1000).toISOString(); return `${s.slice(0, 10)} ${s.slice(11, 19)}`; };
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
const ledgerSum = async (a) => (await a.billing.DescribeBillList({ StartTime: cam(st.t0), EndTime: cam(clock() + 1),
  Offset: 0, Limit: 100, WithZeroAmount: 1 })).TransactionList.reduce((x, t) => x + t.Amount, 0);
const prepaid = (a, size) => a.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: size,
  DiskChargeType: "PREPAID", DiskChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } });
const postpaid = (a, size) => a.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: size,
  DiskChargeType: "POSTPAID_BY_HOUR" });
const alerts = async (a) => (await a.ext.request("DescribeCreditAlerts", {})).AlertSet.map((x) => [x.Uin, x.Role, x.Level]);
const st = {};

async function bind(p, name) {
  const c = account(name);
  await c.ext.request("ApplyClientBinding", { InvitationCode: p.code });
  await p.partners.AuditApplyClient({ ClientUin: c.Uin, AuditResult: "accept", Note: "" });
  return c;
}

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  st.t0 = clock() - 1;
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "1",
    "--pay-mode", "prePay");
  clock("1h");
  const make = (name, ...args) => {
    const a = account(name);
    a.code = JSON.parse(d.admin("partner", "--uin", a.Uin, ...args)).InvitationCode;
    return a;
  };
  st.r = make("r", "--kind", "reseller", "--credit-cents", "10000");
  st.k = make("k", "--kind", "reseller", "--credit-cents", "5000", "--on-credit-exhausted", "keep");
  st.dist = make("dist", "--kind", "distributor", "--credit-cents", "3000");
  st.sec = make("sec", "--kind", "second-level", "--parent", st.dist.Uin, "--credit-cents", "100000");
  assert.notEqual(d.run(["admin", "partner", "--uin", st.r.Uin, "--kind", "reseller", "--on-credit-exhausted", "maybe",
    "--data", d.dataDir]).status, 0);
  st.a = await bind(st.r, "a");
  st.b = await bind(st.k, "b");
  st.e = await bind(st.sec, "e");
});

after(async () => { if (d) await d.destroy(); });

test("allocation within the partner's credit; orders eat into it and stop at it; alerts once each", async () => {
  const { r, k, a, b } = st;
  await rejectsWith(r.ext.request("AllocateClientCredit", { ClientUin: a.Uin, Credit: 20000 }), "FailedOperation.InsufficientCredit");
  await rejectsWith(k.ext.request("AllocateClientCredit", { ClientUin: a.Uin, Credit: 100 }), "ResourceNotFound");
  await rejectsWith(a.ext.request("AllocateClientCredit", { ClientUin: a.Uin, Credit: 100 }), "UnauthorizedOperation");
  const got = await r.ext.request("AllocateClientCredit", { ClientUin: a.Uin, Credit: 4000 });
  assert.deepEqual([got.Credit, got.UsedCredit, got.RemainingCredit], [4000, 0, 4000]);
  assert.equal((await a.billing.DescribeAccountBalance({})).CreditAmount, 4000, "billing holds it as credit");
  await prepaid(a, 10); // 10 yuan of 40
  assert.equal(await balance(a), -1000);
  clock("1h");
  assert.deepEqual(await alerts(a), [], "25 %: no alert");
  await prepaid(a, 20); // 75 %
  clock("1h");
  assert.deepEqual(await alerts(a), [[a.Uin, "client", 75]]);
  await prepaid(a, 10); // 100 %
  await rejectsWith(prepaid(a, 10), "InvalidAccount.InsufficientBalance", "past its credit");
  clock("1h");
  clock("1h");
  assert.deepEqual(await alerts(a), [[a.Uin, "client", 75], [a.Uin, "client", 90], [a.Uin, "client", 100]],
    "once each per month");
  assert.equal(await balance(a), -4000);
  assert.equal(await ledgerSum(a), -4000, "the ledger adds up to the balance");
  const ra = await alerts(r);
  assert.deepEqual(ra, [[a.Uin, "client", 75], [a.Uin, "client", 90], [a.Uin, "client", 100]],
    "the partner sees its customer's; its own 40 % gives none");
  assert.deepEqual(await alerts(k), [], "another partner sees nothing of them");
  assert.equal((await r.partners.DescribeAgentAuditedClients({ ClientUin: a.Uin })).AgentClientSet[0].HasOverdueBill, 0,
    "within its credit: not in arrears");
  assert.ok(b);
});

test("suspend: a customer past its credit goes billing's arrears path; keep: it runs on", async () => {
  const { r, k, a, b } = st;
  await k.ext.request("AllocateClientCredit", { ClientUin: b.Uin, Credit: 1000 });
  assert.equal((await alerts(b)).length, 0);
  const n = (await a.cbs.DescribeDisks({})).TotalCount;
  await rejectsWith(postpaid(a, 100), "InvalidAccount.InsufficientBalance", "its credit is used up: no new postpaid");
  assert.equal((await a.cbs.DescribeDisks({})).TotalCount, n, "nothing created");
  await r.ext.request("AllocateClientCredit", { ClientUin: a.Uin, Credit: 5000 }); // 10 yuan left
  const da = (await postpaid(a, 100)).DiskIdSet[0]; // 10 yuan an hour, soon past its credit
  const db = (await postpaid(b, 100)).DiskIdSet[0];
  clock("3h");
  assert.equal((await r.partners.DescribeAgentAuditedClients({ ClientUin: a.Uin })).AgentClientSet[0].HasOverdueBill, 1,
    "suspend: in arrears");
  await rejectsWith(postpaid(a, 10), ["FailedOperation.AccountArrears", "InvalidAccount.InsufficientBalance"],
    "no new postpaid purchase in arrears");
  assert.equal((await k.partners.DescribeAgentAuditedClients({ ClientUin: b.Uin })).AgentClientSet[0].HasOverdueBill, 0,
    "keep: not in arrears");
  const bd = (await b.cbs.DescribeDisks({ DiskIds: [db] })).DiskSet[0];
  assert.equal(bd.DiskState, "UNATTACHED", "b's disk keeps running");
  const before = await balance(b);
  clock("1h");
  assert.ok(await balance(b) < before, "and keeps being billed");
  assert.deepEqual((await alerts(b)).map((x) => x[2]), [75, 90, 100]);
  assert.equal(await ledgerSum(b), await balance(b));
  assert.equal(await ledgerSum(a), await balance(a));
  await a.cbs.TerminateDisks({ DiskIds: [da] });
  await b.cbs.TerminateDisks({ DiskIds: [db] });
  // credit given back: a is whole again
  const back = -(await balance(a)) + 5000;
  d.admin("partner", "--uin", r.Uin, "--kind", "reseller", "--credit-cents", String(back + 10000));
  await r.ext.request("AllocateClientCredit", { ClientUin: a.Uin, Credit: back });
  clock("1h");
  assert.equal((await r.partners.DescribeAgentAuditedClients({ ClientUin: a.Uin })).AgentClientSet[0].HasOverdueBill, 0);
});

test("a second-level reseller's customer is checked against the distributor's credit too", async () => {
  const { sec, dist, e } = st;
  await sec.ext.request("AllocateClientCredit", { ClientUin: e.Uin, Credit: 50000 });
  await prepaid(e, 20);
  await prepaid(e, 10); // the distributor's 3000 cents are used up
  await rejectsWith(prepaid(e, 10), "InvalidAccount.InsufficientBalance", "past the distributor's credit");
  clock("1h");
  assert.deepEqual(await alerts(dist), [[dist.Uin, "partner", 75], [dist.Uin, "partner", 90], [dist.Uin, "partner", 100]]);
  assert.equal(await balance(e), -3000);
  assert.equal(await ledgerSum(e), -3000);
  assert.deepEqual(await alerts(e), [], "6 % of its own credit");
});
