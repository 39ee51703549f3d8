/*
 * The international partner channel (intlpartnersmgt 2022-09-28) through the official
 * tencentcloud-sdk-nodejs-intl-en on one cloud started with --test-clock: CreateAccount (a customer
 * bound at birth, its key in the outbox), invitations by mail (the outbox) then the pending list
 * and ApproveClientApply, credit (the partner's from the operator, AllocateCustomerCredit with
 * float deltas converted exactly, reclaims, history), what a customer's postpaid spend uses of its
 * credit against its ledger balance, a distributor's AllocateCreditPool to its second-level
 * reseller, and isolation between partners; bad input changes nothing.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const intl = require("tencentcloud-sdk-nodejs-intl-en");
const { startDaemon, rejectsWith } = require("./lib/yund");

const ZONE = "ap-local-1";
let d;
const clock = (dur) => JSON.parse(dur ? d.admin("clock", "--advance", dur) : d.admin("clock")).Unix;

/* The intl SDK's clients answer through callbacks: promised here, the calls unchanged. TC3 signs
 * a JSON body (AddedCredit a JSON number); the SDK's default HmacSHA256 a form (a decimal string). */
function intlClient(a, signMethod) {
  const { Credential, ClientProfile, HttpProfile } = intl.common;
  const http = new HttpProfile("http://", d.endpoint, "POST", 30);
  const c = new intl.intlpartnersmgt.v20220928.Client(new Credential(a.SecretId, a.SecretKey), "ap-local",
    new ClientProfile(signMethod, http));
  return new Proxy(c, {
    get: (t, k) => (typeof k === "string" && /^[A-Z]/.test(k) && typeof t[k] === "function"
      ? (req) => new Promise((ok, fail) => t[k](req, (e, r) => (e ? fail(e) : ok(r)))) : t[k]),
  });
}
function clients(a) {
  const profile = { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } };
  const credential = { secretId: a.SecretId, secretKey: a.SecretKey };
  return {
    intl: intlClient(a, "TC3-HMAC-SHA256"), intlForm: intlClient(a),
    partners: new tencentcloud.partners.v20180321.Client({ credential, region: "ap-local", profile }),
    ext: d.common("2018-03-21", a), billing: d.billing(a), cbs: d.cbs(a),
  };
}
const account = (name) => { const a = d.createAccount(name); return { ...a, ...clients(a) }; };
const outbox = () => d.admin("outbox").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const newCustomer = (over = {}) => ({
  AccountType: "personal", Mail: "alice@example.com", Password: "Bejs%2745!", ConfirmPassword: "Bejs%2745!",
  PhoneNum: "18888888888", CountryCode: "852", Area: "HK", VerifyCode: "584265", TradeOne: "kghy_01",
  TradeTwo: "kghy_0101", CustomerName: "Alice Ltd", ...over,
});
const st = {};

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_PREMIUM", "--price", "0.1");
  clock("1h");
  st.dist = account("dist");
  st.res = account("reseller");
  st.sec = account("second");
  const make = (a, ...args) => JSON.parse(d.admin("partner", "--uin", a.Uin, ...args)).InvitationCode;
  st.dist.code = make(st.dist, "--kind", "distributor", "--credit-cents", "100000"); // 1000.00
  st.res.code = make(st.res, "--kind", "reseller", "--credit-cents", "50000"); // 500.00
  st.sec.code = make(st.sec, "--kind", "second-level", "--parent", st.dist.Uin);
});

after(async () => { if (d) await d.destroy(); });

test("CreateAccount: a customer bound to the partner at once, its key sent to its mail (the outbox)", async () => {
  const { res } = st;
  for (const [bad, why] of [[{ Password: "short1!" , ConfirmPassword: "short1!" }, "too short"],
    [{ Password: "nodigits!!", ConfirmPassword: "nodigits!!" }, "no digit"],
    [{ ConfirmPassword: "Other%2745!" }, "confirmation differs"], [{ Mail: "not-a-mail" }, "mail"],
    [{ PhoneNum: "12ab" }, "phone"], [{ CustomerName: "12345" }, "digits only"]]) {
    await rejectsWith(res.intl.CreateAccount(newCustomer(bad)), "InvalidParameterValue", why);
  }
  await rejectsWith(res.intl.CreateAccount(newCustomer({ AccountType: "alien" })), "InvalidParameterValue");
  assert.equal((await res.partners.DescribeAgentAuditedClients({})).TotalCount, 0, "nothing made by the refusals");
  assert.equal(outbox().length, 0);

  const made = await res.intl.CreateAccount(newCustomer());
  assert.match(made.Uin, /^\d{12}$/);
  assert.equal(made.Reason, "success");
  const bound = await res.partners.DescribeAgentAuditedClients({});
  assert.deepEqual(bound.AgentClientSet.map((c) => c.ClientUin), [made.Uin], "bound to the caller");
  const mails = outbox();
  assert.equal(mails.length, 1);
  assert.equal(mails[0].To, "alice@example.com");
  assert.equal(mails[0].From, res.Uin);
  const id = /SecretId: (\S+)/.exec(mails[0].Body)[1], key = /SecretKey: (\S+)/.exec(mails[0].Body)[1];
  st.alice = { Uin: made.Uin, SecretId: id, SecretKey: key };
  Object.assign(st.alice, clients(st.alice));
  assert.equal((await st.alice.billing.DescribeAccountBalance({})).Balance, 0, "the customer's own key works");
  await rejectsWith(st.alice.intl.QueryPartnerCredit({}), "UnauthorizedOperation", "a customer is no partner");
  await rejectsWith(st.alice.intl.CreateAccount(newCustomer({ Mail: "x@example.com" })), "UnauthorizedOperation");
  const cc = await res.intl.QueryCustomersCredit({ Page: 1, PageSize: 10 });
  assert.equal(cc.Total, 1);
  assert.deepEqual([cc.Data[0].ClientUin, cc.Data[0].Name, cc.Data[0].Email, cc.Data[0].Mobile, cc.Data[0].Credit],
    [Number(made.Uin), "Alice Ltd", "alice@example.com", "18888888888", 0]);
});

test("invitations: the mail in the outbox carries the code; pending, then ApproveClientApply", async () => {
  const { res, dist } = st;
  await rejectsWith(res.intl.CreateAndSendClientInvitationMail({ Email: "nope" }), "InvalidParameterValue");
  await rejectsWith(res.intl.CreateAndSendClientInvitationMail({ Email: "b@example.com", InvitationRole: "SubAgent" }),
    "UnsupportedOperation");
  const inv = await res.intl.CreateAndSendClientInvitationMail({ Email: "bob@example.com" });
  assert.ok(inv.InvitationLink.includes(res.code), inv.InvitationLink);
  const mail = outbox()[0];
  assert.equal(mail.To, "bob@example.com");
  assert.ok(mail.Body.includes(res.code));

  const bob = st.bob = account("bob"), eve = st.eve = account("eve");
  await bob.ext.request("ApplyClientBinding", { InvitationCode: res.code });
  await eve.ext.request("ApplyClientBinding", { InvitationCode: res.code });
  const pending = await res.intl.QueryPendingClientsV2({ Page: 1, PageSize: 10 });
  assert.equal(pending.Total, 2);
  assert.deepEqual(pending.Data.map((c) => c.ClientUin).sort(), [Number(bob.Uin), Number(eve.Uin)].sort());
  assert.ok(pending.Data.every((c) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(c.ApplyTime)));
  assert.equal((await res.intl.QueryPendingClientsV2({ Page: 2, PageSize: 1 })).Data.length, 1);
  assert.equal((await dist.intl.QueryPendingClientsV2({ Page: 1, PageSize: 10 })).Total, 0, "not the distributor's");
  await rejectsWith(dist.intl.ApproveClientApply({ ClientUin: Number(bob.Uin), ApproveType: "pass" }), "ResourceNotFound");
  await rejectsWith(res.intl.ApproveClientApply({ ClientUin: Number(eve.Uin), ApproveType: "reject" }), "MissingParameter");
  await rejectsWith(res.intl.ApproveClientApply({ ClientUin: Number(eve.Uin), ApproveType: "maybe" }), "InvalidParameterValue");
  await res.intl.ApproveClientApply({ ClientUin: Number(bob.Uin), ApproveType: "pass" });
  await res.intl.ApproveClientApply({ ClientUin: Number(eve.Uin), ApproveType: "reject", RejectReason: "unknown" });
  assert.equal((await res.intl.QueryPendingClientsV2({ Page: 1, PageSize: 10 })).Total, 0);
  await rejectsWith(res.intl.ApproveClientApply({ ClientUin: Number(bob.Uin), ApproveType: "pass" }), "ResourceNotFound",
    "approved already");
  const bound = (await res.partners.DescribeAgentAuditedClients({})).AgentClientSet.map((c) => c.ClientUin).sort();
  assert.deepEqual(bound, [st.alice.Uin, bob.Uin].sort());
});

test("AllocateCustomerCredit: exact float deltas, reclaims up to the available credit, capped by the partner's", async () => {
  const { res, dist, alice, bob } = st;
  const pc = await res.intl.QueryPartnerCredit({});
  assert.deepEqual([pc.TotalCredit, pc.AllocatedCredit, pc.RemainingCredit], [500, 0, 500]);
  let r = await res.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: 100.25, Remark: "first" });
  assert.deepEqual([r.TotalCredit, r.RemainingCredit], [100.25, 100.25]);
  await res.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: 0.1 });
  r = await res.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: 0.2 });
  assert.equal(r.TotalCredit, 100.55, "0.1 + 0.2 in fine units, not in doubles");
  await res.intl.AllocateCustomerCredit({ ClientUin: Number(bob.Uin), AddedCredit: 0.00000001 });

  const credits = async () => JSON.stringify((await res.intl.QueryCustomersCredit({ Page: 1, PageSize: 10 })).Data);
  const before = await credits();
  for (const [v, code, why] of [[0.000000001, "InvalidParameterValue", "finer than the unit"],
    [1e11, "InvalidParameterValue", "too large"], [0, "InvalidParameterValue", "nothing"],
    ["ten", "InvalidParameter", "not a number"], [400, "FailedOperation.InsufficientCredit", "beyond the partner's credit"],
    [-100.56, "FailedOperation.InsufficientCredit", "reclaims more than the available"]]) {
    await rejectsWith(res.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: v }),
      Array.isArray(code) ? code : new RegExp(`^${code.replace(".", "\\.")}`), why);
  }
  for (const uin of [Number(st.eve.Uin), 999999999999]) // rejected applicant, unknown
    await rejectsWith(res.intl.AllocateCustomerCredit({ ClientUin: uin, AddedCredit: 1 }), "ResourceNotFound");
  await rejectsWith(dist.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: 1 }), "ResourceNotFound",
    "another partner's customer");
  await rejectsWith(dist.intl.QueryCreditAllocationHistory({ ClientUin: Number(alice.Uin) }), "ResourceNotFound");
  // the SDK's default signing sends a form: the amount is the decimal text
  for (const v of ["NaN", "Infinity", "-inf", "100.123456789", "1e400", "0x10"])
    await rejectsWith(res.intlForm.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: v }),
      /^InvalidParameter/, `form ${v}`);
  for (const v of [NaN, Infinity]) // JSON has neither: the SDK sends null
    await rejectsWith(res.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: v }),
      /^(InvalidParameter|MissingParameter)/, `JSON ${v}`);
  assert.equal(await credits(), before, "nothing changed");
  assert.equal((await res.intl.QueryCreditAllocationHistory({ ClientUin: Number(alice.Uin) })).Total, 3);
  const f = await res.intlForm.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: 0.45 });
  assert.equal(f.TotalCredit, 101, "a form's decimal text");
  await res.intlForm.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: -0.45 });

  r = await res.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: -0.55, Remark: "back" });
  assert.deepEqual([r.TotalCredit, r.RemainingCredit], [100, 100]);
  const h = await res.intl.QueryCreditAllocationHistory({ ClientUin: Number(alice.Uin), Page: 1, PageSize: 10 });
  assert.equal(h.Total, 6);
  assert.deepEqual(h.History.map((x) => [x.Credit, x.AllocatedCredit, x.ClientCreditAfter]),
    [[-0.55, 100, 100], [-0.45, 100.55, 100.55], [0.45, 101, 101], [0.2, 100.55, 100.55], [0.1, 100.35, 100.35],
      [100.25, 100.25, 100.25]]);
  assert.deepEqual([h.History[0].Remark, h.History[5].Remark, h.History[0].Operator], ["back", "first", res.Uin]);
  const after = await res.intl.QueryPartnerCredit({});
  assert.deepEqual([after.TotalCredit, after.AllocatedCredit, after.RemainingCredit], [500, 100.00000001, 399.99999999]);
  const cc = await res.intl.QueryCustomersCredit({ Page: 1, PageSize: 10 });
  const sum = cc.Data.reduce((a, c) => a + Math.round(c.Credit * 1e8), 0);
  assert.equal(sum, Math.round(after.AllocatedCredit * 1e8), "the partner's allocated credit is its customers'");
  assert.equal((await res.intl.QueryCustomersCredit({ FilterType: "Email", Filter: "alice@" })).Total, 1);
  assert.equal((await dist.intl.QueryCustomersCredit({})).Total, 0, "the distributor sees none of them");
});

test("spend uses credit: a postpaid disk for 3 h, remaining credit = credit - what the ledger balance owes", async () => {
  const { res, alice } = st;
  const disk = (await alice.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 100,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  clock("3h");
  await alice.cbs.TerminateDisks({ DiskIds: [disk] });
  const bal = (await alice.billing.DescribeAccountBalance({})).Balance; // cents, negative
  assert.ok(bal < 0 && bal >= -3000, `balance ${bal}`);
  const a = (await res.intl.QueryCustomersCredit({ FilterType: "ClientUin", Filter: alice.Uin })).Data[0];
  assert.equal(a.Credit, 100);
  assert.equal(Math.round(a.RemainingCredit * 100), 10000 + bal, "credit less what the balance owes");
  const pc = await res.intl.QueryPartnerCredit({});
  assert.equal(Math.round(pc.CustomerRemainingCredit * 1e8), Math.round(a.RemainingCredit * 1e8) + 1, "alice's and bob's");
  assert.equal(Math.round(pc.CustomerTotalCredit * 1e8), 10000000001);
  await rejectsWith(res.intl.AllocateCustomerCredit({ ClientUin: Number(alice.Uin), AddedCredit: -100 }),
    "FailedOperation.InsufficientCredit", "the used part cannot be reclaimed");
});

test("AllocateCreditPool: a distributor funds its second-level reseller, which funds its customers", async () => {
  const { dist, sec, res } = st;
  await rejectsWith(res.intl.AllocateCreditPool({ SubAgentUin: Number(sec.Uin), Credit: 1 }), "UnauthorizedOperation",
    "a reseller has no second level");
  await rejectsWith(dist.intl.AllocateCreditPool({ SubAgentUin: Number(res.Uin), Credit: 1 }), "ResourceNotFound");
  await rejectsWith(dist.intl.AllocateCreditPool({ SubAgentUin: Number(sec.Uin), Credit: 1000.01 }),
    "FailedOperation.InsufficientCredit");
  let r = await dist.intl.AllocateCreditPool({ SubAgentUin: Number(sec.Uin), Credit: 200 });
  assert.deepEqual([r.TotalCredit, r.RemainingCredit], [200, 200]);
  const s = await sec.intl.QueryPartnerCredit({});
  assert.deepEqual([s.TotalCredit, s.AllocatedCredit, s.RemainingCredit], [200, 0, 200]);
  const dc = await dist.intl.QueryPartnerCredit({});
  assert.deepEqual([dc.TotalCredit, dc.AllocatedCredit, dc.RemainingCredit], [1000, 200, 800]);

  const carol = (await sec.intl.CreateAccount(newCustomer({ Mail: "carol@example.com", CustomerName: "Carol" }))).Uin;
  await sec.intl.AllocateCustomerCredit({ ClientUin: Number(carol), AddedCredit: 150 });
  await rejectsWith(sec.intl.AllocateCustomerCredit({ ClientUin: Number(carol), AddedCredit: 50.01 }),
    "FailedOperation.InsufficientCredit", "the pool is the second-level reseller's cap");
  await rejectsWith(dist.intl.AllocateCreditPool({ SubAgentUin: Number(sec.Uin), Credit: -50.01 }),
    "FailedOperation.InsufficientCredit", "what its customers hold cannot be taken back");
  r = await dist.intl.AllocateCreditPool({ SubAgentUin: Number(sec.Uin), Credit: -50 });
  assert.deepEqual([r.TotalCredit, r.RemainingCredit], [150, 0]);
  assert.equal((await dist.intl.QueryPartnerCredit({})).AllocatedCredit, 150);
  assert.equal((await dist.intl.QueryCustomersCredit({})).Total, 0, "carol is the second-level reseller's customer");
});
