/*
 * MSP delegated operation through the official node SDK: CAM roles (CreateRole with a trust policy
 * naming a partner's account, GetRole, DescribeRoleList, Attach/Detach/ListAttachedRolePolicies,
 * UpdateAssumeRolePolicy, DeleteRole) and sts AssumeRole. The partner's temporary credentials
 * (TmpSecretId/TmpSecretKey + Token as X-TC-Token) act in the customer's account under the role's
 * policies, narrowed by AssumeRole's Policy; an account the trust policy does not name is refused;
 * a missing, wrong or expired token fails; deleting the role revokes its credentials at once; the
 * audit log names both identities. Tests run in order and share state.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const DENIED = "UnauthorizedOperation";
const doc = (...statement) => JSON.stringify({ version: "2.0", statement });
const trusting = (...principals) =>
  doc({ effect: "allow", action: "name/sts:AssumeRole", principal: { qcs: principals } });

let d, customer, partner, third, cust, zone;
const role = {};   // name -> RoleId
let session;       // the partner's AssumeRole answer for role "msp"
let keyId;         // a key pair in the customer's account

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  customer = d.createAccount("customer");
  partner = d.createAccount("partner");
  third = d.createAccount("third");
  cust = d.cam(customer);
  zone = (await d.cvm(customer).DescribeZones({})).ZoneSet[0].Zone;
  keyId = (await d.cvm(customer).CreateKeyPair({ KeyName: "customer_key", ProjectId: 0 })).KeyPair.KeyId;
});
after(async () => { await d?.destroy(); });

const arn = (name) => `qcs::cam::uin/${customer.Uin}:roleName/${name}`;
const assume = (creds, name, extra = {}) =>
  d.sts(creds).AssumeRole({ RoleArn: arn(name), RoleSessionName: "ops-1", ...extra });

test("CreateRole: a role trusting the partner's account; bad documents, names and duplicates are refused", async () => {
  const r = await cust.CreateRole({
    RoleName: "msp", PolicyDocument: trusting(`qcs::cam::uin/${partner.Uin}:root`),
    Description: "operated by the partner", ConsoleLogin: 0, SessionDuration: 3600,
  });
  assert.match(r.RoleId, /^\d{19}$/);
  role.msp = r.RoleId;
  role.empty = (await cust.CreateRole({ RoleName: "empty", PolicyDocument: trusting(`qcs::cam::uin/${partner.Uin}:root`) })).RoleId;
  await rejectsWith(cust.CreateRole({ RoleName: "msp", PolicyDocument: trusting(`qcs::cam::uin/${partner.Uin}:root`) }),
    "InvalidParameter.RoleNameInUse");
  await rejectsWith(cust.CreateRole({ RoleName: "bad", PolicyDocument: "{not json" }), "InvalidParameter.PolicyDocumentError");
  await rejectsWith(cust.CreateRole({ RoleName: "bad", PolicyDocument: trusting("qcs::cam::uin/abc:root") }),
    "InvalidParameter.PrincipalError");
  await rejectsWith(cust.CreateRole({ RoleName: "bad", PolicyDocument: doc({ effect: "allow", action: "sts:AssumeRole" }) }),
    "InvalidParameter.PrincipalError");
  await rejectsWith(cust.CreateRole({ RoleName: "bad name!", PolicyDocument: trusting(`qcs::cam::uin/${partner.Uin}:root`) }),
    "InvalidParameter.RoleNameError");
});

test("GetRole (by name and by id) and DescribeRoleList show the RoleInfo shape", async () => {
  const byName = (await cust.GetRole({ RoleName: "msp" })).RoleInfo;
  const byId = (await cust.GetRole({ RoleId: role.msp })).RoleInfo;
  assert.deepEqual(byName, byId);
  assert.equal(byName.RoleId, role.msp);
  assert.equal(byName.RoleName, "msp");
  assert.equal(byName.Description, "operated by the partner");
  assert.equal(byName.SessionDuration, 3600);
  assert.equal(byName.ConsoleLogin, 0);
  assert.equal(byName.RoleType, "user");
  assert.equal(byName.RoleArn, arn("msp"));
  assert.deepEqual(JSON.parse(byName.PolicyDocument).statement[0].principal.qcs, [`qcs::cam::uin/${partner.Uin}:root`]);
  assert.match(byName.AddTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal((await cust.GetRole({ RoleName: "empty" })).RoleInfo.SessionDuration, 43200, "default SessionDuration");
  const list = await cust.DescribeRoleList({ Page: 1, Rp: 20 });
  assert.equal(list.TotalNum, 2);
  assert.deepEqual(list.List.map((x) => x.RoleName).sort(), ["empty", "msp"]);
  assert.equal((await cust.DescribeRoleList({ Page: 1, Rp: 1 })).List.length, 1);
  await rejectsWith(cust.GetRole({ RoleName: "nobody" }), "InvalidParameter.RoleNotExist");
  // another account's roles are not found, and its list is empty
  await rejectsWith(d.cam(partner).GetRole({ RoleId: role.msp }), "InvalidParameter.RoleNotExist");
  assert.equal((await d.cam(partner).DescribeRoleList({ Page: 1, Rp: 20 })).TotalNum, 0);
});

test("AttachRolePolicy / ListAttachedRolePolicies: the customer's policy allowing cvm:Describe* and cvm:StopInstances", async () => {
  const { PolicyId } = await cust.CreatePolicy({
    PolicyName: "msp-ops",
    PolicyDocument: doc({ effect: "allow", action: ["cvm:Describe*", "cvm:StopInstances"], resource: "*" }),
  });
  await cust.AttachRolePolicy({ PolicyId, AttachRoleName: "msp" });
  await cust.AttachRolePolicy({ PolicyName: "msp-ops", AttachRoleId: role.msp }); // again: no duplicate
  const r = await cust.ListAttachedRolePolicies({ RoleName: "msp", Page: 1, Rp: 20 });
  assert.equal(r.TotalNum, 1);
  assert.equal(r.List[0].PolicyId, PolicyId);
  assert.equal(r.List[0].PolicyName, "msp-ops");
  assert.equal(r.List[0].PolicyType, "User");
  assert.equal((await cust.ListAttachedRolePolicies({ RoleId: role.empty, Page: 1, Rp: 20 })).TotalNum, 0);
  await rejectsWith(cust.AttachRolePolicy({ PolicyId: 99999, AttachRoleName: "msp" }), "ResourceNotFound.PolicyIdNotFound");
  await rejectsWith(cust.AttachRolePolicy({ PolicyId, AttachRoleName: "nobody" }), "InvalidParameter.RoleNotExist");
  // the partner cannot attach its own policies to the customer's role
  const other = await d.cam(partner).CreatePolicy({ PolicyName: "p", PolicyDocument: doc({ effect: "allow", action: "*", resource: "*" }) });
  await rejectsWith(d.cam(partner).AttachRolePolicy({ PolicyId: other.PolicyId, AttachRoleId: role.msp }), "InvalidParameter.RoleNotExist");
});

test("AssumeRole: the partner gets Credentials, ExpiredTime and Expiration; durations are capped by the role", async () => {
  const t0 = Math.floor(Date.now() / 1000);
  session = await assume(partner, "msp", { DurationSeconds: 1800 });
  const c = session.Credentials;
  assert.match(c.TmpSecretId, /^AKID[A-Za-z0-9]{32}$/);
  assert.ok(c.TmpSecretKey.length >= 32 && c.Token.length >= 64);
  assert.ok(Math.abs(session.ExpiredTime - (t0 + 1800)) <= 5, `ExpiredTime ${session.ExpiredTime}`);
  assert.equal(Date.parse(session.Expiration) / 1000, session.ExpiredTime);
  const dflt = await assume(partner, "msp");
  assert.ok(Math.abs(dflt.ExpiredTime - (t0 + 3600)) <= 5, "the default 7200 s is capped by SessionDuration 3600");
  await rejectsWith(assume(partner, "msp", { DurationSeconds: 7200 }), "InvalidParameter.OverTimeError");
  await rejectsWith(assume(partner, "msp", { DurationSeconds: 60 }), /^InvalidParameter/);
  await rejectsWith(d.sts(partner).AssumeRole({ RoleArn: "msp", RoleSessionName: "x1" }), "InvalidParameter.ResouceError");
  await rejectsWith(assume(partner, "msp", { RoleSessionName: "bad name" }), "InvalidParameter.ParamError");
  // by role id
  const byId = await d.sts(partner).AssumeRole({ RoleArn: `qcs::cam::uin/${customer.Uin}:role/${role.msp}`, RoleSessionName: "by-id" });
  assert.ok(byId.Credentials.Token);
});

test("the temporary credentials act in the customer's account with the role's policies", async () => {
  const tmp = session.Credentials;
  const cvm = d.cvm(tmp);
  assert.ok((await cvm.DescribeZones({})).ZoneSet.length > 0);
  const inst = await cvm.DescribeInstances({});
  assert.equal(inst.TotalCount, 0);
  const keys = await cvm.DescribeKeyPairs({});
  assert.deepEqual(keys.KeyPairSet.map((k) => k.KeyId), [keyId], "the customer's key pair, seen through the role");
  assert.equal((await d.cvm(partner).DescribeKeyPairs({})).TotalCount, 0, "the partner's own account has none");
  // StopInstances is allowed: the refusal is about the instance, not the permission
  await rejectsWith(cvm.StopInstances({ InstanceIds: ["ins-abcdefgh"] }), /^InvalidInstanceId/);
  // anything else is denied
  await rejectsWith(cvm.CreateKeyPair({ KeyName: "partner_key", ProjectId: 0 }), DENIED);
  await rejectsWith(d.cbs(tmp).CreateDisks({
    Placement: { Zone: zone }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: 10,
  }), DENIED);
  await rejectsWith(d.cam(tmp).ListUsers(), DENIED);
  await rejectsWith(d.cam(tmp).CreateRole({ RoleName: "x", PolicyDocument: trusting(`qcs::cam::uin/${partner.Uin}:root`) }), DENIED);
  // the generic client carries the token the same way
  const common = d.common("2017-03-12", tmp);
  assert.ok((await common.request("DescribeZones", {})).ZoneSet.length > 0);
  // temporary credentials do not assume further roles
  await rejectsWith(assume(tmp, "msp"), DENIED);
});

test("a missing or wrong token fails with AuthFailure.TokenFailure", async () => {
  const { TmpSecretId, TmpSecretKey } = session.Credentials;
  await rejectsWith(d.cvm({ TmpSecretId, TmpSecretKey }).DescribeZones({}), "AuthFailure.TokenFailure");
  await rejectsWith(d.cvm({ TmpSecretId, TmpSecretKey, Token: session.Credentials.Token.slice(1) + "x" }).DescribeZones({}),
    "AuthFailure.TokenFailure");
  const other = await assume(partner, "msp");
  await rejectsWith(d.cvm({ TmpSecretId, TmpSecretKey, Token: other.Credentials.Token }).DescribeZones({}),
    "AuthFailure.TokenFailure", "another session's token");
  // the legacy v1 signature carries it as Token
  assert.ok((await d.cvm(session.Credentials, { signMethod: "HmacSHA256" }).DescribeZones({})).ZoneSet.length > 0);
  await rejectsWith(d.cvm({ TmpSecretId, TmpSecretKey }, { signMethod: "HmacSHA256" }).DescribeZones({}), "AuthFailure.TokenFailure");
});

test("an account the trust policy does not name is refused; a role without policies can do nothing", async () => {
  await rejectsWith(assume(third, "msp"), "ResourceNotFound.RoleNotFound");
  await rejectsWith(assume(third, "nobody"), "ResourceNotFound.RoleNotFound");
  await rejectsWith(assume(partner, "nobody"), "ResourceNotFound.RoleNotFound");
  const empty = (await assume(partner, "empty")).Credentials;
  await rejectsWith(d.cvm(empty).DescribeZones({}), DENIED);
  await rejectsWith(d.cvm(empty).DescribeInstances({}), DENIED);
  await rejectsWith(d.cam(empty).ListUsers(), DENIED);
});

test("AssumeRole's Policy narrows the role's policies (plain or URL-encoded)", async () => {
  const zonesOnly = doc({ effect: "allow", action: "cvm:DescribeZones", resource: "*" });
  for (const Policy of [zonesOnly, encodeURIComponent(zonesOnly)]) {
    const narrow = (await assume(partner, "msp", { Policy })).Credentials;
    assert.ok((await d.cvm(narrow).DescribeZones({})).ZoneSet.length > 0);
    await rejectsWith(d.cvm(narrow).DescribeKeyPairs({}), DENIED);
  }
  // it can only narrow: allowing more than the role has grants nothing more
  const wide = (await assume(partner, "msp", { Policy: doc({ effect: "allow", action: "*", resource: "*" }) })).Credentials;
  await rejectsWith(d.cvm(wide).CreateKeyPair({ KeyName: "k2", ProjectId: 0 }), DENIED);
  assert.ok((await d.cvm(wide).DescribeKeyPairs({})).TotalCount === 1);
  await rejectsWith(assume(partner, "msp", { Policy: "{nope" }), "InvalidParameter.StrategyFormatError");
});

test("a sub-user of the partner needs sts:AssumeRole on the role in its own policies", async () => {
  const pcam = d.cam(partner);
  const u = await pcam.AddUser({ Name: "operator", UseApi: 1 });
  const key = { SecretId: u.SecretId, SecretKey: u.SecretKey };
  await rejectsWith(assume(key, "msp"), DENIED);
  const { PolicyId } = await pcam.CreatePolicy({
    PolicyName: "assume-msp", PolicyDocument: doc({ effect: "allow", action: "sts:AssumeRole", resource: arn("msp") }),
  });
  await pcam.AttachUserPolicy({ PolicyId, AttachUin: u.Uin });
  const s = await assume(key, "msp");
  assert.equal((await d.cvm(s.Credentials).DescribeKeyPairs({})).TotalCount, 1);
  await rejectsWith(assume(key, "empty"), DENIED, "the policy names only the msp role");
  // a trust policy naming one sub-user admits it and not the partner's root
  await cust.UpdateAssumeRolePolicy({ RoleName: "empty", PolicyDocument: trusting(`qcs::cam::uin/${partner.Uin}:uin/${u.Uin}`) });
  await rejectsWith(assume(partner, "empty"), "ResourceNotFound.RoleNotFound");
  // the sessions a sub-user assumed end when the partner deletes the user
  await pcam.DeleteUser({ Name: "operator", Force: 1 });
  await rejectsWith(d.cvm(s.Credentials).DescribeKeyPairs({}), "AuthFailure.SecretIdNotFound");
});

test("the audit log names the role session and the assuming account", async () => {
  const recs = d.audit(1000);
  const refused = recs.find((r) => r.Action === "CreateKeyPair" && r.Result === DENIED && r.RoleSession);
  assert.ok(refused, "the refused call is audited as the role session");
  assert.equal(refused.Uin, customer.Uin, "in the customer's account");
  assert.equal(refused.SubUin, role.msp);
  assert.equal(refused.RoleSession, "msp/ops-1");
  assert.equal(refused.AssumedByUin, partner.Uin);
  assert.equal(refused.AssumedBySubUin, partner.Uin);
  const assumed = recs.filter((r) => r.Action === "AssumeRole" && r.Result === "Success");
  assert.ok(assumed.find((r) => r.Uin === partner.Uin && r.Resource === arn("msp")), "in the partner's records");
  const mine = assumed.find((r) => r.Uin === customer.Uin && r.RoleSession === "msp/ops-1");
  assert.ok(mine, "and in the customer's");
  assert.equal(mine.AssumedByUin, partner.Uin);
  const plain = recs.find((r) => r.Action === "CreateRole" && r.Result === "Success");
  assert.ok(plain && !("RoleSession" in plain), "records of other callers are unchanged");
});

test("UpdateAssumeRolePolicy: the trust moves to another account", async () => {
  await cust.UpdateAssumeRolePolicy({ RoleId: role.empty, PolicyDocument: trusting(`qcs::cam::uin/${third.Uin}:root`) });
  assert.ok((await assume(third, "empty")).Credentials.Token);
  await rejectsWith(assume(partner, "empty"), "ResourceNotFound.RoleNotFound");
  await rejectsWith(cust.UpdateAssumeRolePolicy({ RoleName: "empty", PolicyDocument: "[]" }), "InvalidParameter.PolicyDocumentError");
});

test("DetachRolePolicy takes effect at once", async () => {
  const tmp = session.Credentials;
  const { PolicyId } = (await cust.ListAttachedRolePolicies({ RoleName: "msp", Page: 1, Rp: 20 })).List[0];
  await cust.DetachRolePolicy({ PolicyId, DetachRoleName: "msp" });
  await rejectsWith(d.cvm(tmp).DescribeZones({}), DENIED);
  await cust.AttachRolePolicy({ PolicyId, AttachRoleName: "msp" });
  assert.ok((await d.cvm(tmp).DescribeZones({})).ZoneSet.length > 0);
});

test("temporary credentials expire: DurationSeconds 900, then the business clock moves past it", async () => {
  const short = await assume(partner, "msp", { DurationSeconds: 900 });
  const cvm = d.cvm(short.Credentials);
  assert.ok((await cvm.DescribeZones({})).ZoneSet.length > 0);
  d.admin("clock", "--advance", "16m");
  const e = await waitFor(() => cvm.DescribeZones({}).then(() => null, (err) => err), (err) => err !== null, 20000,
    "the expired credentials to be refused", 250);
  assert.equal(e.code, "AuthFailure.TokenFailure");
  assert.match(e.message, /expired/);
});

test("DeleteRole revokes the role's temporary credentials at once", async () => {
  const fresh = (await assume(partner, "msp")).Credentials;
  const cvm = d.cvm(fresh);
  assert.ok((await cvm.DescribeZones({})).ZoneSet.length > 0); // now in identity's key cache
  await cust.DeleteRole({ RoleName: "msp" });
  await rejectsWith(cvm.DescribeZones({}), "AuthFailure.SecretIdNotFound");
  await rejectsWith(cust.GetRole({ RoleName: "msp" }), "InvalidParameter.RoleNotExist");
  await rejectsWith(assume(partner, "msp"), "ResourceNotFound.RoleNotFound");
  await rejectsWith(cust.DeleteRole({ RoleName: "msp" }), "InvalidParameter.RoleNotExist");
  assert.equal((await cust.DescribeRoleList({ Page: 1, Rp: 20 })).TotalNum, 1);
});
