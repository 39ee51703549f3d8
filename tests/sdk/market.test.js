/*
 * The marketplace end to end (market 2026-01-01, a yun extension reached with the SDK's
 * CommonClient) on one cloud with --test-clock and the tiny image only: the operator makes an ISV;
 * the ISV's bad templates are refused with the fault named; it publishes a two-tier solution,
 * submits it, the operator rejects then approves it; only then the customer sees it; bad
 * parameters create nothing; the customer deploys it (web + db in their own VPC, subnets and
 * security groups, a data disk on the db, an EIP on the web tier); the web role's readiness gate is
 * reported by the guest (POST /latest/yun/ready); the web tier reaches the db port, not another
 * one; the outside reaches the web tier only; the license read inside the guest verifies with the
 * published Ed25519 key; scale out and in; delete removes everything; a deployment whose second
 * step fails rolls back completely; the bill shows the package component; month end credits the
 * ISV its share, sums checked.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const net = require("node:net");
const { startDaemon, waitFor, rejectsWith } = require("./lib/yund");

const MARKET = "2026-01-01";
const FINE = 100000000n;
const CENT = 1000000n;
const PRICE_HOUR = 50000000n; // 0.5 yuan per hour, the ISV's price

let d, op, isv, cust, key, image;
const fine = (yuan) => {
  const [w, f = ""] = yuan.split(".");
  return BigInt(w) * FINE + BigInt((f + "00000000").slice(0, 8));
};
const cam = (t) => { const s = new Date(t * 1000).toISOString(); return `${s.slice(0, 10)} ${s.slice(11, 19)}`; };
const clock = (dur) => JSON.parse(dur ? d.admin("clock", "--advance", dur) : d.admin("clock")).Unix;

const TWO_TIER = {
  description: "web + database, each in its own subnet and security group",
  parameters: {
    key_id: { type: "string", pattern: "^skey-[a-z0-9]+$", description: "login key of both tiers" },
    web_count: { type: "number", default: 1, min: 1, max: 3 },
    cidr: { type: "string", default: "10.20.0.0/16", pattern: "^10\\.20\\." },
    db_port: { type: "number", default: 5432, allowed: [5432, 3306] },
  },
  resources: {
    net: { type: "vpc", properties: { cidr: { param: "cidr" } } },
    web_net: { type: "subnet", properties: { vpc: { ref: "net.id" }, cidr: "10.20.1.0/24" } },
    db_net: { type: "subnet", properties: { vpc: { ref: "net.id" }, cidr: "10.20.2.0/24" } },
    web_sg: { type: "security_group", properties: { ingress: [
      { protocol: "TCP", port: "22,8080", cidr: "0.0.0.0/0" }, { protocol: "ICMP", cidr: "0.0.0.0/0" }] } },
    db_sg: { type: "security_group", properties: { ingress: [
      { protocol: "TCP", port: { param: "db_port" }, cidr: "10.20.1.0/24" },
      { protocol: "TCP", port: "22", cidr: { param: "cidr" } }] } },
    db: { type: "instance", properties: { subnet: { ref: "db_net.id" }, security_groups: [{ ref: "db_sg.id" }],
      key_ids: { param: "key_id" }, instance_type: "S5.SMALL1" } },
    data: { type: "disk", properties: { size: 10, instance: { ref: "db.id" } } },
    web: { type: "instance", parents: ["db"], properties: { subnet: { ref: "web_net.id" },
      security_groups: [{ ref: "web_sg.id" }], key_ids: { param: "key_id" }, cardinality: { param: "web_count" },
      ready: "guest" } },
    web_ip: { type: "eip", properties: { instance: { ref: "web.id" } } },
  },
  outputs: { web_public_ip: { ref: "web_ip.public_ip" }, db_private_ip: { ref: "db.private_ip" },
    web_private_ips: { ref: "web.private_ips" } },
};

function account(name, cents) {
  const a = d.createAccount(name);
  if (cents) d.admin("recharge", "--uin", a.Uin, "--cents", String(cents));
  return { ...a, m: d.common(MARKET, a), vpc: d.vpc(a), cvm: d.cvm(a), cbs: d.cbs(a), billing: d.billing(a) };
}
const m = (a, action, params = {}) => a.m.request(action, params);
async function refused(p, code, re) {
  const e = await rejectsWith(p, code);
  if (re) assert.match(e.message, re);
  return e;
}

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  op = { m: d.common(MARKET, d.creds) };
  isv = account("isv");
  cust = account("customer", 1000000);
  image = (await d.cvm().DescribeImages({})).ImageSet[0].ImageId;
  key = (await cust.cvm.CreateKeyPair({ KeyName: "mkt", ProjectId: 0 })).KeyPair;
});

after(async () => { if (d) await d.destroy(); });

const st = {};

test("the operator makes an ISV; others cannot", async () => {
  await refused(m(isv, "CreatePackage", { Name: "x", Kind: "solution", Template: "{}" }), "UnauthorizedOperation");
  await refused(m(cust, "CreateIsv", { Uin: isv.Uin }), "UnauthorizedOperation");
  await refused(m(op, "CreateIsv", { Uin: "999999999999" }), "ResourceNotFound");
  const r = await m(op, "CreateIsv", { Uin: isv.Uin, SharePercent: 70 });
  assert.equal(r.SharePercent, 70);
  // the same through yun admin, on another account
  const other = d.createAccount("isv2");
  assert.equal(JSON.parse(d.admin("isv", "--uin", other.Uin, "--share", "60")).SharePercent, 60);
  assert.notEqual(d.run(["admin", "isv", "--uin", "999999999999", "--data", d.dataDir]).status, 0);
});

test("bad templates are refused with the fault named, and nothing is recorded", async () => {
  const bad = (t) => m(isv, "CreatePackage", { Name: "bad", Kind: "solution", Template: JSON.stringify(t) });
  const base = { resources: { net: { type: "vpc", properties: { cidr: "10.0.0.0/16" } } } };
  await refused(bad({ resources: { x: { type: "bogus" } } }), "InvalidParameter", /unknown type `bogus`/);
  await refused(bad({ resources: { a: { type: "vpc", depends_on: ["b"], properties: { cidr: "10.0.0.0/16" } },
    b: { type: "security_group", properties: { name: { ref: "a.id" } }, depends_on: ["a"] } } }),
  "InvalidParameter", /cycle/);
  await refused(bad({ resources: { s: { type: "subnet", properties: { vpc: { ref: "nope.id" }, cidr: "10.0.1.0/24" } } } }),
    "InvalidParameter", /unknown reference `nope.id`/);
  await refused(bad({ ...base, outputs: { x: { ref: "net.colour" } } }), "InvalidParameter", /no attribute `colour`/);
  await refused(bad({ ...base, outputs: { x: { param: "ghost" } } }), "InvalidParameter", /unknown parameter `ghost`/);
  await refused(bad({ ...base, parameters: { n: { type: "number", default: 9, max: 3 } } }), "InvalidParameter", /default/);
  await refused(bad({ resources: { net: { type: "vpc" } } }), "InvalidParameter", /needs property `cidr`/);
  await refused(m(isv, "CreatePackage", { Name: "bad", Kind: "solution", Template: "{not json" }), "InvalidParameter");
  assert.equal((await m(isv, "DescribeIsvPackages")).TotalCount, 0);
});

test("publish, review (reject with a reason, then approve); customers see approved versions only", async () => {
  const r = await m(isv, "CreatePackage", { Name: "two-tier", Kind: "solution", Description: "web and db",
    LogoUrl: "https://isv.example/logo.png", PricePerHour: Number(PRICE_HOUR), PricePerMonth: 20000000000,
    Bundles: ["S5.SMALL1"], Template: JSON.stringify(TWO_TIER) });
  st.pkg = r.PackageId;
  assert.match(st.pkg, /^pkg-[a-z0-9]{8}$/);
  assert.equal(r.Version, 1);
  assert.equal((await m(cust, "DescribePackages")).TotalCount, 0, "a draft is not shown");
  await refused(m(cust, "DeployPackage", { PackageId: st.pkg }), "ResourceNotFound");
  await refused(m(isv, "ReviewPackage", { PackageId: st.pkg, Version: 1, Result: "approve" }), "UnauthorizedOperation");
  await refused(m(op, "ReviewPackage", { PackageId: st.pkg, Version: 1, Result: "approve" }), "FailedOperation.InvalidState");
  assert.equal((await m(isv, "SubmitPackageVersion", { PackageId: st.pkg, Version: 1 })).State, "REVIEWING");
  assert.equal((await m(cust, "DescribePackages")).TotalCount, 0, "under review is not shown");
  await refused(m(op, "ReviewPackage", { PackageId: st.pkg, Version: 1, Result: "reject" }), "InvalidParameterValue");
  await m(op, "ReviewPackage", { PackageId: st.pkg, Version: 1, Result: "reject", Reason: "logo missing" });
  const mine = (await m(isv, "DescribeIsvPackages")).PackageSet;
  assert.deepEqual(mine.map((p) => [p.PackageId, p.State, p.Reason]), [[st.pkg, "REJECTED", "logo missing"]]);
  await m(isv, "SubmitPackageVersion", { PackageId: st.pkg, Version: 1 });
  assert.equal((await m(op, "DescribeIsvPackages", { State: "REVIEWING" })).TotalCount, 1, "the operator's queue");
  await m(op, "ReviewPackage", { PackageId: st.pkg, Version: 1, Result: "approve" });
  const seen = (await m(cust, "DescribePackages")).PackageSet;
  assert.equal(seen.length, 1);
  assert.deepEqual([seen[0].PackageId, seen[0].Version, seen[0].PricePerHour, seen[0].IsvUin, seen[0].Kind],
    [st.pkg, 1, Number(PRICE_HOUR), isv.Uin, "solution"]);
  assert.deepEqual(Object.keys(seen[0].Parameters).sort(), ["cidr", "db_port", "key_id", "web_count"]);
  assert.equal(seen[0].Template, undefined, "customers see the parameters, not the ISV's template");
  // a second version stays invisible until approved
  await m(isv, "CreatePackageVersion", { PackageId: st.pkg, Description: "v2", Template: JSON.stringify(TWO_TIER) });
  assert.deepEqual((await m(cust, "DescribePackages")).PackageSet.map((p) => p.Version), [1]);
  clock("1h"); // the approved price is in the price book from the approval on: bill whole hours after it
});

test("parameters out of their constraints are refused, nothing is created", async () => {
  const deploy = (params) => m(cust, "DeployPackage", { PackageId: st.pkg,
    Parameters: Object.entries(params).map(([Name, Value]) => ({ Name, Value: String(Value) })) });
  await refused(deploy({ key_id: key.KeyId, web_count: 9 }), "InvalidParameterValue", /`web_count` is 9, above its maximum 3/);
  await refused(deploy({ key_id: key.KeyId, web_count: 0 }), "InvalidParameterValue", /below its minimum/);
  await refused(deploy({ key_id: "nope" }), "InvalidParameterValue", /`key_id`.*does not match its pattern/);
  await refused(deploy({ key_id: key.KeyId, db_port: 1234 }), "InvalidParameterValue", /`db_port` is not one of its allowed values/);
  await refused(deploy({ key_id: key.KeyId, colour: "red" }), "InvalidParameterValue", /Unknown parameter `colour`/);
  await refused(deploy({}), "InvalidParameterValue", /`key_id` has no default/);
  assert.equal((await m(cust, "DescribeDeployments")).TotalCount, 0);
  assert.equal((await cust.vpc.DescribeVpcs({})).TotalCount, 0);
});

const dep = async (id) => (await m(cust, "DescribeDeployments", { DeploymentIds: [id] })).DeploymentSet[0];
const resOf = (x, name) => x.Resources.filter((r) => r.Name === name && r.State !== "deleted");
async function booted(id) {
  await waitFor(async () => (await cust.cvm.request("GetInstanceConsoleOutput", { InstanceId: id })).Output,
    (o) => o.includes("YUN-READY"), 180000, `${id} booted`, 1000);
}
const guest = (ip, cmd) => d.ssh(ip, key.PrivateKey, cmd, { vpcId: st.vpcId, timeout: 30000 });

/* The web role's gate: each member reports itself ready from inside through the metadata service. */
async function reportReady(x, member) {
  const r = await waitFor(async () => resOf(await dep(x), "web").find((w) => w.Member === member),
    (w) => w && w.ResourceId, 120000, `web[${member}] made`);
  const inst = await waitFor(async () => (await cust.cvm.DescribeInstances({ InstanceIds: [r.ResourceId] })).InstanceSet[0],
    (i) => i && i.InstanceState === "RUNNING", 120000, "web RUNNING");
  await booted(r.ResourceId);
  assert.notEqual((await dep(x)).State, "DEPLOYED", "RUNNING is not ready for a role with the guest gate");
  const out = guest(inst.PrivateIpAddresses[0], "wget -q -O - --post-data=up http://169.254.169.254/latest/yun/ready");
  assert.match(out.stdout, /ok/, out.stderr);
  return r.ResourceId;
}

test("deploy the two-tier solution: ordered steps, outputs, events", async () => {
  const p = [{ Name: "key_id", Value: key.KeyId }];
  const r = await m(cust, "DeployPackage", { PackageId: st.pkg, Parameters: p, ClientToken: "two-tier-1" });
  st.dep = r.DeploymentId;
  assert.match(st.dep, /^dep-[a-z0-9]{8}$/);
  assert.equal((await m(cust, "DeployPackage", { PackageId: st.pkg, Parameters: p, ClientToken: "two-tier-1" })).DeploymentId,
    st.dep, "the same ClientToken answers the same deployment");
  st.web0 = await reportReady(st.dep, 0);
  const x = await waitFor(() => dep(st.dep), (y) => ["DEPLOYED", "ROLLED_BACK", "ROLLING_BACK"].includes(y.State),
    180000, "DEPLOYED", 1000);
  assert.equal(x.State, "DEPLOYED", JSON.stringify(x));
  st.t_deployed = clock();
  st.vpcId = resOf(x, "net")[0].ResourceId;
  st.db = resOf(x, "db")[0].ResourceId;
  st.made = Object.fromEntries(x.Resources.map((r) => [`${r.Name}[${r.Member}]`, r.ResourceId]));
  assert.deepEqual(Object.keys(st.made).sort(),
    ["data[0]", "db[0]", "db_net[0]", "db_sg[0]", "net[0]", "web[0]", "web_ip[0]", "web_net[0]", "web_sg[0]"]);
  assert.match(x.Outputs.web_public_ip, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(x.Outputs.db_private_ip, /^10\.20\.2\.\d+$/);
  assert.deepEqual(x.Outputs.web_private_ips.length, 1);
  // the db is ready before the web tier (its parent) is made
  const ev = (await m(cust, "DescribeDeploymentEvents", { DeploymentId: st.dep })).EventSet;
  const at = (res, msg) => ev.findIndex((e) => e.Resource === res && e.Message.startsWith(msg));
  assert.ok(at("db[0]", "ready") >= 0 && at("db[0]", "ready") < at("web[0]", "created"), JSON.stringify(ev));
  assert.ok(at("web[0]", "ready") < at("web_ip[0]", "created"));
  assert.equal(ev[ev.length - 1].Message, "deployed");
  // real resources of the customer's, where the template put them
  const insts = (await cust.cvm.DescribeInstances({ InstanceIds: [st.db, st.web0] })).InstanceSet;
  const byId = Object.fromEntries(insts.map((i) => [i.InstanceId, i]));
  assert.equal(byId[st.db].VirtualPrivateCloud.SubnetId, st.made["db_net[0]"]);
  assert.equal(byId[st.web0].VirtualPrivateCloud.SubnetId, st.made["web_net[0]"]);
  assert.deepEqual(byId[st.db].SecurityGroupIds, [st.made["db_sg[0]"]]);
  const disk = (await cust.cbs.DescribeDisks({ DiskIds: [st.made["data[0]"]] })).DiskSet[0];
  assert.equal(disk.InstanceId, st.db);
});

test("the web tier reaches the db port only; the outside reaches the web tier only", async () => {
  await booted(st.db);
  const dbIp = (await dep(st.dep)).Outputs.db_private_ip;
  const webIp = (await dep(st.dep)).Outputs.web_private_ips[0];
  guest(dbIp, "(yun-guest listen 5432 >/dev/null 2>&1 &); (yun-guest listen 6000 >/dev/null 2>&1 &)");
  const probe = (port) => guest(webIp, `nc -w 3 ${dbIp} ${port} </dev/null; echo rc=$?`).stdout;
  const ok = await waitFor(async () => probe(5432), (o) => /yun-guest/.test(o), 15000, "db port from web", 1000);
  assert.match(ok, new RegExp(`yun-guest ${st.db}`));
  assert.doesNotMatch(probe(6000), /yun-guest/, "another db port is closed to the web tier");
  // from outside: the web tier's EIP answers, the db has no public address
  const pub = (await dep(st.dep)).Outputs.web_public_ip;
  guest(webIp, "(yun-guest listen 8080 >/dev/null 2>&1 &)");
  const banner = await waitFor(() => new Promise((resolve) => {
    const c = net.connect({ host: pub, port: 8080, timeout: 3000 });
    let data = "";
    c.on("data", (b) => { data += b; });
    c.on("end", () => resolve(data));
    c.on("timeout", () => { c.destroy(); resolve(""); });
    c.on("error", () => resolve(""));
  }), (s) => /yun-guest/.test(s), 20000, "web via its EIP", 1000);
  assert.match(banner, new RegExp(`yun-guest ${st.web0}`));
  const db = (await cust.cvm.DescribeInstances({ InstanceIds: [st.db] })).InstanceSet[0];
  assert.ok(!db.PublicIpAddresses || db.PublicIpAddresses.length === 0, "the db tier has no public address");
});

test("the license read inside the guest verifies with the region's published Ed25519 key", async () => {
  const webIp = (await dep(st.dep)).Outputs.web_private_ips[0];
  const r = guest(webIp, "wget -q -O - http://169.254.169.254/latest/meta-data/yun/license");
  const lic = JSON.parse(r.stdout);
  assert.equal(lic.Algorithm, "Ed25519");
  const k = await m(cust, "DescribeLicenseKey");
  assert.equal(lic.KeyId, k.KeyId);
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(k.PublicKey, "base64")]);
  const pub = crypto.createPublicKey({ key: spki, format: "der", type: "spki" });
  assert.ok(crypto.verify(null, Buffer.from(lic.License), pub, Buffer.from(lic.Signature, "base64")), "signature verifies");
  const doc = JSON.parse(lic.License);
  assert.deepEqual([doc.InstanceId, doc.DeploymentId, doc.PackageId, doc.Version, doc.Status, doc.OwnerUin],
    [st.web0, st.dep, st.pkg, 1, "ACTIVE", cust.Uin]);
  assert.ok(Date.parse(doc.Expiry) > Date.parse(doc.IssuedAt));
  const forged = Buffer.from(lic.License.replace(st.pkg, "pkg-forged00"));
  assert.ok(!crypto.verify(null, forged, pub, Buffer.from(lic.Signature, "base64")), "a changed document does not");
});

test("scale the web role out and in, applied as a diff, resumed after a yund kill -9", async () => {
  await refused(m(cust, "UpdateDeployment", { DeploymentId: st.dep, Parameters: [{ Name: "web_count", Value: "7" }] }),
    "InvalidParameterValue", /above its maximum/);
  const r = await m(cust, "UpdateDeployment", { DeploymentId: st.dep, Parameters: [{ Name: "web_count", Value: "2" }] });
  assert.deepEqual([r.State, r.ChangedResources], ["UPDATING", 1]);
  // yund dies mid-update: the controller resumes from the persisted steps
  await d.kill9();
  await d.start();
  const web1 = await reportReady(st.dep, 1);
  let x = await waitFor(() => dep(st.dep), (y) => y.State !== "UPDATING", 180000, "updated", 1000);
  assert.equal(x.State, "DEPLOYED");
  assert.equal(resOf(x, "web").length, 2);
  assert.equal(resOf(x, "web")[0].ResourceId, st.web0, "the first member is kept");
  assert.equal(x.Outputs.web_private_ips.length, 2);
  await m(cust, "UpdateDeployment", { DeploymentId: st.dep, Parameters: [{ Name: "web_count", Value: "1" }] });
  x = await waitFor(() => dep(st.dep), (y) => y.State === "DEPLOYED", 120000, "scaled in", 1000);
  assert.deepEqual(resOf(x, "web").map((w) => w.ResourceId), [st.web0]);
  const gone = (await cust.cvm.DescribeInstances({ InstanceIds: [web1] })).InstanceSet;
  assert.ok(gone.length === 0 || gone[0].InstanceState === "TERMINATED", "the removed member is terminated");
});

test("the bill shows the package as its own component, billed hourly", async () => {
  clock("2h");
  const rows = (await cust.billing.DescribeBillDetail({ Offset: 0, Limit: 300, BeginTime: cam(st.t_deployed - 7200),
    EndTime: cam(clock() + 1) })).DetailSet;
  const market = rows.filter((r) => r.ResourceId === st.dep);
  assert.ok(market.length >= 2, `hourly rows of the deployment: ${JSON.stringify(rows.map((r) => r.ResourceId))}`);
  for (const r of market) {
    assert.deepEqual(r.ComponentSet.map((c) => [c.ComponentCode, c.ItemCode]), [["v_market_software", st.pkg]]);
    assert.equal(fine(r.ComponentSet[0].SinglePrice), PRICE_HOUR);
  }
  // a whole hour costs the ISV's hourly price
  assert.ok(market.some((r) => fine(r.ComponentSet[0].RealCost) === PRICE_HOUR), "a full hour at 0.5 yuan");
  assert.ok(rows.some((r) => r.ResourceId === st.db), "the instances are billed beside it");
});

test("delete removes everything the deployment made, newest first", async () => {
  await m(cust, "DeleteDeployment", { DeploymentId: st.dep });
  const x = await waitFor(() => dep(st.dep), (y) => y.State === "DELETED", 180000, "deleted", 1000);
  assert.ok(x.Resources.every((r) => r.State === "deleted"));
  assert.equal((await cust.vpc.DescribeVpcs({ VpcIds: [st.vpcId] }).catch(() => ({ TotalCount: 0 }))).TotalCount, 0);
  const live = (await cust.cvm.DescribeInstances({})).InstanceSet.filter((i) => i.InstanceState !== "TERMINATED");
  assert.deepEqual(live, []);
  assert.equal((await cust.cbs.DescribeDisks({})).TotalCount, 0);
  assert.equal((await cust.vpc.DescribeAddresses({})).TotalCount, 0);
  const sgs = (await cust.vpc.DescribeSecurityGroups({})).SecurityGroupSet.map((g) => g.SecurityGroupId);
  assert.ok(!sgs.includes(st.made["web_sg[0]"]) && !sgs.includes(st.made["db_sg[0]"]));
  await refused(m(cust, "DeleteDeployment", { DeploymentId: st.dep }), "FailedOperation.InvalidState");
  await refused(m(isv, "DescribeDeploymentEvents", { DeploymentId: st.dep }), "ResourceNotFound");
});

test("a deployment whose second step fails rolls back completely", async () => {
  const broken = {
    parameters: { sub_cidr: { type: "string", default: "10.99.1.0/24" } },
    resources: {
      net: { type: "vpc", properties: { cidr: "10.30.0.0/16" } },
      sg: { type: "security_group", properties: { ingress: [{ protocol: "TCP", port: 22, cidr: "0.0.0.0/0" }] } },
      sub: { type: "subnet", parents: ["sg"], properties: { vpc: { ref: "net.id" }, cidr: { param: "sub_cidr" } } },
      vm: { type: "instance", properties: { subnet: { ref: "sub.id" }, key_ids: key.KeyId } },
    },
  };
  const p = await m(isv, "CreatePackage", { Name: "broken", Kind: "solution", Template: JSON.stringify(broken) });
  await m(isv, "SubmitPackageVersion", { PackageId: p.PackageId, Version: 1 });
  await m(op, "ReviewPackage", { PackageId: p.PackageId, Version: 1, Result: "approve" });
  const id = (await m(cust, "DeployPackage", { PackageId: p.PackageId })).DeploymentId;
  const x = await waitFor(() => dep(id), (y) => y.State === "ROLLED_BACK", 60000, "rolled back", 500);
  assert.match(x.Error, /sub\[0\] failed: .*CreateSubnet/);
  const ev = (await m(cust, "DescribeDeploymentEvents", { DeploymentId: id })).EventSet;
  const failed = ev.find((e) => e.Level === "ERROR" && e.Resource === "sub[0]");
  assert.ok(failed, JSON.stringify(ev));
  assert.match(failed.Message, /InvalidParameterValue|InvalidParameter/);
  assert.ok(ev.some((e) => e.Resource === "net[0]" && e.Message.startsWith("deleted vpc")));
  assert.ok(ev.some((e) => e.Resource === "sg[0]" && e.Message.startsWith("deleted security_group")));
  assert.equal(ev[ev.length - 1].Message, "rolled back: everything made was deleted");
  assert.ok(x.Resources.every((r) => r.State === "deleted"));
  assert.equal((await cust.vpc.DescribeVpcs({})).VpcSet.filter((v) => v.CidrBlock === "10.30.0.0/16").length, 0);
  assert.equal((await cust.cvm.DescribeInstances({})).InstanceSet.filter((i) => i.InstanceState !== "TERMINATED").length, 0);
  assert.equal((await cust.cbs.DescribeDisks({})).TotalCount, 0);
  const sgs = (await cust.vpc.DescribeSecurityGroups({})).SecurityGroupSet.map((g) => g.SecurityGroupId);
  assert.ok(!sgs.includes(x.Resources.find((r) => r.Name === "sg").ResourceId));
});

test("an image package: an image and a price, its bundles the allowed instance types", async () => {
  await refused(m(isv, "CreatePackage", { Name: "img", Kind: "image", ImageId: "nope" }), "InvalidParameterValue", /ImageId/);
  const p = await m(isv, "CreatePackage", { Name: "tiny app", Kind: "image", ImageId: image, PricePerHour: 1000000,
    Bundles: ["S5.SMALL1", "S5.MEDIUM2"] });
  await m(isv, "SubmitPackageVersion", { PackageId: p.PackageId, Version: 1 });
  await m(op, "ReviewPackage", { PackageId: p.PackageId, Version: 1, Result: "approve" });
  const seen = (await m(cust, "DescribePackages", { PackageId: p.PackageId })).PackageSet[0];
  assert.deepEqual([seen.Kind, seen.ImageId, seen.Parameters.instance_type.allowed], ["image", image, ["S5.SMALL1", "S5.MEDIUM2"]]);
  await refused(m(cust, "DeployPackage", { PackageId: p.PackageId, Parameters: [{ Name: "instance_type", Value: "S5.LARGE8" }] }),
    "InvalidParameterValue", /`instance_type` is not one of its allowed values/);
  assert.equal((await m(cust, "DescribeDeployments")).DeploymentSet.filter((x) => x.PackageId === p.PackageId).length, 0);
});

test("month end credits the ISV its share of what its packages billed, sums checked", async () => {
  const bal0 = (await isv.billing.DescribeAccountBalance({})).Balance;
  const now = clock();
  const t = new Date(now * 1000);
  const next = Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1) / 1000;
  clock(`${Math.ceil((next - now) / 60) + 61}m`);
  // every market component the customer was billed in the month that ended, settled by now
  const rows = (await cust.billing.DescribeBillDetail({ Offset: 0, Limit: 300, BeginTime: cam(st.t_deployed - 7200),
    EndTime: cam(next - 1) })).DetailSet;
  const sales = rows.flatMap((r) => r.ComponentSet).filter((c) => c.ComponentCode === "v_market_software")
    .reduce((sum, c) => sum + fine(c.RealCost), 0n);
  assert.ok(sales >= PRICE_HOUR, `the package billed ${sales}`);
  const s = await m(isv, "DescribeIsvSales");
  assert.equal(s.SharePercent, 70);
  const month = t.toISOString().slice(0, 7);
  const row = s.MonthlyShares.find((x) => x.Month === month);
  assert.ok(row, JSON.stringify(s));
  assert.equal(BigInt(row.SalesFine), sales, "the share is computed on exactly what the bill charged");
  const share = sales * 70n / 100n / CENT;
  assert.equal(BigInt(row.ShareCents), share);
  const bal1 = (await isv.billing.DescribeAccountBalance({})).Balance;
  assert.equal(BigInt(bal1) - BigInt(bal0), share, "the ISV's balance grew by its share (cents)");
  const pkgSales = s.PackageSales.find((x) => x.PackageId === st.pkg);
  assert.equal(pkgSales.Deployments, 1);
  // once only: another hour changes nothing
  clock("1h");
  assert.equal((await isv.billing.DescribeAccountBalance({})).Balance, bal1);
  // one ledger row for the movement
  const ledger = (await isv.billing.DescribeBillList({ StartTime: cam(now), EndTime: cam(clock() + 1), Offset: 0, Limit: 100 }))
    .TransactionList.filter((x) => x.PayChannel === "market");
  assert.equal(ledger.length, share > 0n ? 1 : 0);
});
