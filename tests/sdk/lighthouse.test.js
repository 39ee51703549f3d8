/*
 * lighthouse 2020-03-24 through the official SDK's lighthouse client: blueprints (the tiny image
 * as PURE_OS, an application image with a manifest as APP_OS), bundles with billing's prices,
 * scenes, bad input refused with nothing created, then one journey with a real guest: create →
 * RUNNING → its public address answers from the host → a firewall rule opens a port → reset →
 * terminate with a refund; the bill shows one order with the bundle and software components;
 * another account sees and touches nothing. One guest, booted twice (the reset).
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, waitFor, rejectsWith, credOf } = require("./lib/yund");

const BOOT_MS = 180000;
let d, a, b, lhA, lhB, bigApp = null;

const cam = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
const now = () => JSON.parse(d.admin("clock")).Unix;

function lighthouse(creds) {
  return new tencentcloud.lighthouse.v20200324.Client({
    credential: credOf(creds), region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqTimeout: 60 } },
  });
}

function account(name, cents) {
  const acct = d.createAccount(name);
  if (cents) d.admin("recharge", "--uin", acct.Uin, "--cents", String(cents));
  return { ...acct, cvm: d.cvm(acct), vpc: d.vpc(acct), billing: d.billing(acct), since: now() - 5 };
}

/* A TCP connection to ip:port from the host: "open", or the failure. */
function probe(ip, port, timeout = 3000) {
  return new Promise((resolve) => {
    const c = net.connect({ host: ip, port, timeout });
    c.on("connect", () => { c.destroy(); resolve("open"); });
    c.on("timeout", () => { c.destroy(); resolve("timeout"); });
    c.on("error", (e) => resolve(e.code));
  });
}

/* One value of a query on the store (lighthouse's cvm instance, group and address are not in cvm's and vpc's
 * own views, so the store says whether they exist). */
const sqlValue = (sql) => d.sql(sql).join("\n");

/* Nothing of lighthouse's exists for the account: instances, guests, firewalls, addresses. */
async function nothingCreated(acct, lh) {
  assert.equal((await lh.DescribeInstances({})).TotalCount, 0, "no lighthouse instance");
  assert.equal(sqlValue(`SELECT count(*) FROM instances WHERE owner_uin = '${acct.Uin}' AND state <> 'TERMINATED'`), "0",
    "no cvm instance");
  assert.equal(sqlValue(`SELECT count(*) FROM security_groups WHERE owner_uin = '${acct.Uin}' AND name LIKE 'lighthouse-%'`),
    "0", "no firewall group");
  assert.equal(sqlValue(`SELECT count(*) FROM addresses WHERE owner_uin = '${acct.Uin}'`), "0", "no EIP");
}

before(async () => {
  d = await startDaemon({ sqlite: true, args: ["--test-clock"] });
  a = account("lh-customer", 100000); // 1000 yuan
  b = account("lh-other", 0);
  lhA = lighthouse(a);
  lhB = lighthouse(b);
  // An application image as the images recipes register one: a public image under a built-in
  // name with DATA/images/NAME/manifest.json. It reuses the tiny disk and asks for more than the
  // smallest bundle has.
  const tinyDir = path.join(d.dataDir, "images", "tiny");
  const dir = path.join(d.dataDir, "images", "bigapp");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({
    name: "bigapp", blueprint_type: "APP_OS", display_name: "Big App", os_name: "Debian 12", platform: "DEBIAN",
    description: "a test application", required_memory_mib: 4096, required_disk_gib: 60, app_port: 8080,
    ready_path: "tcp:8080", scene: "website", version: "1.0",
  }));
  const sql = `INSERT INTO images (image_id, owner_uin, name, image_type, os_name, platform, architecture, size_gib,
    kernel, initrd, disk, state, source, created, description, builtin) VALUES ('img-bigapp01', '', 'bigapp',
    'PUBLIC_IMAGE', 'Debian 12', 'Debian', 'x86_64', 1, '${tinyDir}/vmlinux', '${tinyDir}/initramfs.cpio.gz',
    '${tinyDir}/disk.qcow2', 'NORMAL', 'OFFICIAL', ${Math.floor(Date.now() / 1000)}, '', 'bigapp')`;
  const r = spawnSync("sqlite3", [path.join(d.dataDir, "yun.db"), sql], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

after(async () => {
  if (d) await d.destroy();
});

let tiny;

test("DescribeBlueprints: the tiny image is a PURE_OS blueprint, a manifest makes an APP_OS one", async () => {
  const all = await lhA.DescribeBlueprints({ Limit: 100 });
  assert.equal(all.TotalCount, all.BlueprintSet.length);
  tiny = all.BlueprintSet.find((x) => x.BlueprintName === "tiny");
  assert.ok(tiny, "tiny is listed");
  assert.match(tiny.BlueprintId, /^lhbp-[a-z0-9]{8}$/);
  assert.equal(tiny.BlueprintType, "PURE_OS");
  assert.equal(tiny.PlatformType, "LINUX_UNIX");
  assert.equal(tiny.BlueprintState, "NORMAL");
  assert.ok(tiny.RequiredMemorySize >= 1 && tiny.RequiredSystemDiskSize >= 1);
  assert.match(tiny.ImageId, /^img-/);
  assert.ok(Array.isArray(tiny.SceneIdSet) && tiny.SceneIdSet.length === 1);
  bigApp = all.BlueprintSet.find((x) => x.BlueprintName === "bigapp");
  assert.ok(bigApp, "the manifest's image is a blueprint");
  assert.equal(bigApp.BlueprintType, "APP_OS");
  assert.equal(bigApp.DisplayTitle, "Big App");
  assert.equal(bigApp.RequiredMemorySize, 4);
  assert.equal(bigApp.RequiredSystemDiskSize, 60);

  const app = await lhA.DescribeBlueprints({ Filters: [{ Name: "blueprint-type", Values: ["APP_OS"] }] });
  assert.deepEqual(app.BlueprintSet.map((x) => x.BlueprintName), ["bigapp"]);
  const pure = await lhA.DescribeBlueprints({ Filters: [{ Name: "blueprint-type", Values: ["PURE_OS"] }] });
  assert.deepEqual(pure.BlueprintSet.map((x) => x.BlueprintName), ["tiny"]);
  assert.equal((await lhA.DescribeBlueprints({ Filters: [{ Name: "blueprint-type", Values: ["PRIVATE"] }] })).TotalCount, 0);
  const byId = await lhB.DescribeBlueprints({ BlueprintIds: [tiny.BlueprintId] });
  assert.equal(byId.BlueprintSet[0].BlueprintId, tiny.BlueprintId, "the same id for every account and call");
  const byScene = await lhA.DescribeBlueprints({ Filters: [{ Name: "scene-id", Values: bigApp.SceneIdSet }] });
  assert.deepEqual(byScene.BlueprintSet.map((x) => x.BlueprintName), ["bigapp"]);
  await rejectsWith(lhA.DescribeBlueprints({ BlueprintIds: [tiny.BlueprintId], Filters: [{ Name: "blueprint-type", Values: ["APP_OS"] }] }),
    "InvalidParameter.ParameterConflict");
  await rejectsWith(lhA.DescribeBlueprints({ Filters: [{ Name: "colour", Values: ["red"] }] }),
    "InvalidParameter.InvalidFilterNotSupportedName");
});

test("DescribeBundles: plans priced from billing's price book; discounts and inquiries", async () => {
  const r = await lhA.DescribeBundles({});
  assert.ok(r.TotalCount >= 5);
  const s = r.BundleSet.find((x) => x.BundleId === "bundle_starter_01");
  assert.equal(s.CPU, 1);
  assert.equal(s.Memory, 1);
  assert.equal(s.SystemDiskSize, 20);
  assert.ok(s.MonthlyTraffic > 0 && s.InternetMaxBandwidthOut > 0);
  assert.equal(s.BundleSalesState, "AVAILABLE");
  assert.equal(s.BundleType, "STARTER_BUNDLE");
  assert.equal(s.BundleDisplayLabel, "NORMAL");
  assert.deepEqual(s.Price.InstancePrice, { OriginalBundlePrice: 30, OriginalPrice: 30, Discount: 100, DiscountPrice: 30,
    Currency: "CNY", DetailPrices: [] });
  const book = d.admin("price", "list");
  assert.match(book, /v_lighthouse_bundle/, "the prices are rows of the price book");
  const gen = await lhA.DescribeBundles({ Filters: [{ Name: "bundle-type", Values: ["GENERAL_BUNDLE"] }] });
  assert.ok(gen.BundleSet.length >= 1 && gen.BundleSet.every((x) => x.BundleType === "GENERAL_BUNDLE"));
  // an operator discount for the account applies to quotes
  d.admin("discount", "--uin", b.Uin, "--product", "lighthouse", "--rate", "0.8");
  const bs = (await lhB.DescribeBundles({ BundleIds: ["bundle_starter_01"] })).BundleSet[0].Price.InstancePrice;
  assert.equal(bs.Discount, 80);
  assert.equal(bs.DiscountPrice, 24);
  const disc = await lhA.DescribeBundleDiscount({ BundleId: "bundle_gen_02" });
  assert.equal(disc.Currency, "CNY");
  assert.equal(disc.DiscountDetail.find((x) => x.TimeSpan === 12).TotalCost, 720);
  const q = await lhA.InquirePriceCreateInstances({ BundleId: "bundle_starter_01", BlueprintId: tiny.BlueprintId,
    InstanceCount: 2, InstanceChargePrepaid: { Period: 3 } });
  assert.equal(q.Price.InstancePrice.OriginalPrice, 180);
  assert.equal(q.Price.InstancePrice.DiscountPrice, 180);
  await rejectsWith(lhA.DescribeBundleDiscount({ BundleId: "bundle_nope" }), "InvalidParameter.BundleIdNotFound");
  // the yun CLI reaches lighthouse like every product (the operator's account)
  const cli = d.run(["lighthouse", "DescribeBundles", "--data", d.dataDir, "--BundleIds", '["bundle_gen_01"]']);
  assert.equal(cli.status, 0, cli.stderr + cli.stdout);
  assert.equal(JSON.parse(cli.stdout).BundleSet[0].BundleId, "bundle_gen_01");
});

test("scenes: a built-in set, and each blueprint names one of them", async () => {
  const all = await lhA.DescribeAllScenes({});
  assert.ok(all.TotalCount >= 4);
  const ids = all.SceneInfoSet.map((x) => x.SceneId);
  assert.ok(ids.includes(tiny.SceneIdSet[0]) && ids.includes(bigApp.SceneIdSet[0]));
  assert.ok(all.SceneInfoSet.every((x) => /^lhsc-[a-z0-9]{8}$/.test(x.SceneId) && x.DisplayName));
  const one = await lhA.DescribeScenes({ SceneIds: [tiny.SceneIdSet[0]] });
  assert.equal(one.TotalCount, 1);
  await rejectsWith(lhA.DescribeScenes({ SceneIds: ["lhsc-zzzzzzzz"] }), "ResourceNotFound.SceneIdNotFound");
});

test("bad input is refused with lighthouse's codes and nothing is created", async () => {
  const base = { BundleId: "bundle_starter_01", BlueprintId: tiny.BlueprintId,
    InstanceChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } };
  const balance0 = (await a.billing.DescribeAccountBalance({})).Balance;
  await rejectsWith(lhA.CreateInstances({ ...base, BundleId: "bundle_nope_01" }), "InvalidParameter.BundleIdNotFound");
  await rejectsWith(lhA.CreateInstances({ ...base, BlueprintId: "lhbp-zzzzzzzz" }), "ResourceNotFound.BlueprintIdNotFound");
  await rejectsWith(lhA.CreateInstances({ ...base, BlueprintId: "img-12345678" }), "InvalidParameterValue.BlueprintIdMalformed");
  const small = await rejectsWith(lhA.CreateInstances({ ...base, BlueprintId: bigApp.BlueprintId }),
    "InvalidParameterValue.BundleAndBlueprintNotMatch");
  assert.match(small.message, /too small/);
  await rejectsWith(lhA.CreateInstances({ ...base, Containers: [{ ContainerImage: "nginx" }] }),
    "ResourceUnavailable.DockerUnavailable");
  await rejectsWith(lhA.CreateInstances({ ...base, Zones: ["ap-nowhere-9"] }), "InvalidParameterValue.ZoneInvalid");
  await rejectsWith(lhA.CreateInstances({ ...base, LoginConfiguration: { AutoGeneratePassword: "YES", Password: "Abc123!!xyz" } }),
    "InvalidParameter.ParameterConflict");
  // an account without money: refused after every other step was tried, all rolled back
  await rejectsWith(lhB.CreateInstances(base), "FailedOperation.InsufficientBalance");
  // a dry run goes through every step and leaves nothing
  const dry = await lhA.CreateInstances({ ...base, DryRun: true });
  assert.ok(!dry.InstanceIdSet || dry.InstanceIdSet.length === 0);
  await nothingCreated(a, lhA);
  await nothingCreated(b, lhB);
  assert.equal((await a.billing.DescribeAccountBalance({})).Balance, balance0, "nothing was charged");
});

let id, ip, key;

test("CreateInstances with the tiny blueprint: RUNNING, reachable on its public address; idempotent token", async () => {
  key = (await a.cvm.CreateKeyPair({ KeyName: "lhkey", ProjectId: 0 })).KeyPair;
  // a bundle the application blueprint fits too, so that the reset below can switch to it
  const req = { BundleId: "bundle_gen_03", BlueprintId: tiny.BlueprintId, InstanceName: "shop",
    InstanceChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" }, LoginConfiguration: { KeyIds: [key.KeyId] },
    ClientToken: "lh-token-1" };
  const r = await lhA.CreateInstances(req);
  assert.equal(r.InstanceIdSet.length, 1);
  id = r.InstanceIdSet[0];
  assert.match(id, /^lhins-[a-z0-9]{8}$/);
  assert.deepEqual((await lhA.CreateInstances(req)).InstanceIdSet, [id], "the same token answers the same instance");
  const first = (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
  assert.equal(first.LatestOperation, "CreateInstances");
  assert.equal(first.BundleId, "bundle_gen_03");
  assert.equal(first.BlueprintId, tiny.BlueprintId);
  assert.equal(first.InstanceChargeType, "PREPAID");
  assert.equal(first.InstanceName, "shop");
  assert.equal(first.CPU, 2);
  assert.equal(first.Memory, 4);
  assert.equal(first.SystemDisk.DiskSize, 60);
  assert.ok(first.ExpiredTime, "prepaid: it expires");
  assert.equal(first.PublicAddresses.length, 1);
  assert.equal(first.PrivateAddresses.length, 1);
  ip = first.PublicAddresses[0];
  const running = await waitFor(async () => (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0],
    (i) => i.InstanceState === "RUNNING" || i.InstanceState === "LAUNCH_FAILED", BOOT_MS, "RUNNING", 1000);
  assert.equal(running.InstanceState, "RUNNING");
  assert.equal(running.LatestOperationState, "SUCCESS");
  const out = await waitFor(async () => d.ssh(ip, key.PrivateKey, "echo up", { timeout: 20000 }),
    (x) => x.stdout.trim() === "up", BOOT_MS, "ssh to the public address", 2000);
  assert.equal(out.stdout.trim(), "up");
  assert.equal(running.LoginSettings.KeyIds[0], key.KeyId);
  // a lighthouse instance is in the account's default VPC
  const vpcs = (await a.vpc.DescribeVpcs({})).VpcSet;
  assert.ok(vpcs.some((v) => v.IsDefault), "a default VPC was made");
});

test("what lighthouse runs on is lighthouse's: cvm and vpc neither list nor touch it", async () => {
  const cvmId = sqlValue(`SELECT cvm_instance_id FROM lighthouse_instances WHERE instance_id = '${id}'`);
  const [sg, eip] = sqlValue(`SELECT security_group_id || ' ' || eip_id FROM lighthouse_instances WHERE instance_id = '${id}'`)
    .split(" ");
  assert.match(cvmId, /^ins-/);
  assert.equal(sqlValue(`SELECT sold_by FROM instances WHERE instance_id = '${cvmId}'`), "lighthouse");
  assert.equal((await a.cvm.DescribeInstances({})).TotalCount, 0, "not in cvm's list");
  // by id it is unknown, as an instance of another region is
  await rejectsWith(a.cvm.DescribeInstances({ InstanceIds: [cvmId] }), "InvalidInstanceId.NotFound");
  assert.equal((await a.cvm.DescribeInstancesStatus({})).TotalCount, 0);
  await rejectsWith(a.cvm.StopInstances({ InstanceIds: [cvmId] }), "InvalidInstanceId.NotFound");
  await rejectsWith(a.cvm.TerminateInstances({ InstanceIds: [cvmId] }), "InvalidInstanceId.NotFound");
  const groups = (await a.vpc.DescribeSecurityGroups({})).SecurityGroupSet;
  assert.ok(!groups.some((g) => g.SecurityGroupId === sg), "the firewall is not a vpc security group");
  await rejectsWith(a.vpc.DeleteSecurityGroup({ SecurityGroupId: sg }), "ResourceNotFound");
  assert.equal((await a.vpc.DescribeAddresses({})).TotalCount, 0, "its public address is not a vpc EIP");
  await rejectsWith(a.vpc.DisassociateAddress({ AddressId: eip }), "InvalidAddressId.NotFound");
  await rejectsWith(a.vpc.ReleaseAddresses({ AddressIds: [eip] }), "InvalidAddressId.NotFound");
  const disk = sqlValue(`SELECT system_disk_id FROM instances WHERE instance_id = '${cvmId}'`);
  const disks = (await d.cbs(a).DescribeDisks({})).DiskSet;
  assert.ok(!disks.some((x) => x.DiskId === disk || x.InstanceId === cvmId), "its system disk is not a cbs disk");
  await rejectsWith(d.cbs(a).ResizeDisk({ DiskId: disk, DiskSize: 100 }), "InvalidDiskId.NotFound");
  // and all of it still works: lighthouse sees its instance running
  assert.equal((await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0].InstanceState, "RUNNING");
});

test("the bill shows one prepaid lighthouse order with the bundle and the software components", async () => {
  const deals = await a.billing.DescribeDealsByCond({ StartTime: cam(a.since), EndTime: cam(now() + 60), Limit: 100 });
  assert.equal(deals.TotalCount, 1);
  assert.equal(deals.Deals[0].PayMode, "prePay");
  assert.equal(deals.Deals[0].ProductCode, "p_lighthouse");
  assert.equal(Number(deals.Deals[0].RealTotalCost), 9000, "90 yuan, in cents");
  const bills = await a.billing.DescribeBillDetail({ Offset: 0, Limit: 100, BeginTime: cam(a.since), EndTime: cam(now() + 60) });
  const row = bills.DetailSet.find((x) => x.ResourceId === id);
  assert.ok(row, "a bill row names the lighthouse instance");
  assert.equal(row.BusinessCode, "p_lighthouse");
  assert.deepEqual(row.ComponentSet.map((c) => c.ComponentCode).sort(), ["v_lighthouse_bundle", "v_lighthouse_software"]);
  assert.equal(Number((await a.billing.DescribeAccountBalance({})).Balance), 100000 - 9000);
});

test("firewall rules are the instance's security group: a new rule opens a port from the host", async () => {
  const fw = await lhA.DescribeFirewallRules({ InstanceId: id });
  assert.equal(fw.TotalCount, 5);
  assert.ok(fw.FirewallRuleSet.some((r) => r.Protocol === "TCP" && r.Port === "22" && r.CidrBlock === "0.0.0.0/0"));
  assert.equal(typeof fw.FirewallVersion, "number");
  d.ssh(ip, key.PrivateKey, "(yun-guest listen 8080 >/dev/null 2>&1 &)", { timeout: 20000 });
  assert.notEqual(await probe(ip, 8080), "open", "8080 is closed by the default firewall");
  await rejectsWith(lhA.CreateFirewallRules({ InstanceId: id, FirewallVersion: fw.FirewallVersion + 7,
    FirewallRules: [{ Protocol: "TCP", Port: "8080" }] }), "UnsupportedOperation.FirewallVersionMismatch");
  await lhA.CreateFirewallRules({ InstanceId: id, FirewallVersion: fw.FirewallVersion,
    FirewallRules: [{ Protocol: "TCP", Port: "8080", CidrBlock: "0.0.0.0/0", Action: "ACCEPT", FirewallRuleDescription: "app" }] });
  await waitFor(() => probe(ip, 8080), (x) => x === "open", 20000, "8080 opened", 1000);
  const fw2 = await lhA.DescribeFirewallRules({ InstanceId: id });
  assert.equal(fw2.TotalCount, 6);
  assert.ok(fw2.FirewallVersion > fw.FirewallVersion);
  assert.equal(fw2.FirewallRuleSet.find((r) => r.Port === "8080").FirewallRuleDescription, "app");
  await rejectsWith(lhA.CreateFirewallRules({ InstanceId: id, FirewallRules: [{ Protocol: "TCP", Port: "8080" }] }),
    "InvalidParameter.FirewallRulesExist");
  await lhA.DeleteFirewallRules({ InstanceId: id, FirewallRules: [{ Protocol: "TCP", Port: "8080" }] });
  await waitFor(() => probe(ip, 8080), (x) => x !== "open", 20000, "8080 closed again", 1000);
  await rejectsWith(lhA.DeleteFirewallRules({ InstanceId: id, FirewallRules: [{ Protocol: "UDP", Port: "53" }] }),
    "ResourceNotFound.FirewallRulesNotFound");
  await lhA.ModifyFirewallRules({ InstanceId: id, FirewallRules: [{ Protocol: "TCP", Port: "22" }] });
  assert.equal((await lhA.DescribeFirewallRules({ InstanceId: id })).TotalCount, 1, "modify replaces the whole set");
});

test("another account sees and touches nothing", async () => {
  assert.equal((await lhB.DescribeInstances({})).TotalCount, 0);
  assert.equal((await lhB.DescribeInstances({ InstanceIds: [id] })).TotalCount, 0);
  await rejectsWith(lhB.StopInstances({ InstanceIds: [id] }), "ResourceNotFound.InstanceIdNotFound");
  await rejectsWith(lhB.TerminateInstances({ InstanceIds: [id] }), "ResourceNotFound.InstanceIdNotFound");
  await rejectsWith(lhB.DescribeFirewallRules({ InstanceId: id }), "ResourceNotFound.InstanceIdNotFound");
  await rejectsWith(lhB.CreateFirewallRules({ InstanceId: id, FirewallRules: [{ Protocol: "TCP", Port: "1" }] }),
    "ResourceNotFound.InstanceIdNotFound");
  await rejectsWith(lhB.ResetInstance({ InstanceId: id, BlueprintId: tiny.BlueprintId }), "ResourceNotFound.InstanceIdNotFound");
  assert.equal((await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0].InstanceName, "shop");
});

test("ModifyInstancesAttribute, denied actions; ResetInstance to an application blueprint: STARTING until the app answers", async () => {
  await lhA.ModifyInstancesAttribute({ InstanceIds: [id], InstanceName: "shop-2" });
  assert.equal((await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0].InstanceName, "shop-2");
  const denied = (await lhA.DescribeInstancesDeniedActions({ InstanceIds: [id] })).InstanceDeniedActionSet[0];
  assert.ok(denied.DeniedActions.some((x) => x.Action === "StartInstances"), "a running instance cannot be started");
  assert.ok(!denied.DeniedActions.some((x) => x.Action === "StopInstances"));
  const resettable = (await lhA.DescribeResetInstanceBlueprints({ InstanceId: id })).ResetInstanceBlueprintSet;
  assert.ok(resettable.find((x) => x.BlueprintInfo.BlueprintId === bigApp.BlueprintId).IsResettable, "gen_03 fits bigapp");
  await lhA.ModifyInstancesRenewFlag({ InstanceIds: [id], RenewFlag: "NOTIFY_AND_MANUAL_RENEW" });
  await rejectsWith(lhA.ResetInstance({ InstanceId: id, BlueprintId: "lhbp-zzzzzzzz" }), "ResourceNotFound.BlueprintIdNotFound");
  await lhA.ResetInstance({ InstanceId: id, BlueprintId: bigApp.BlueprintId });
  const busy = (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
  assert.equal(busy.LatestOperation, "ResetInstance");
  assert.equal(busy.BlueprintId, bigApp.BlueprintId);
  // the application's port is opened by the reset
  const rules = (await lhA.DescribeFirewallRules({ InstanceId: id })).FirewallRuleSet;
  assert.ok(rules.some((r) => r.Protocol === "TCP" && r.Port === "8080"), JSON.stringify(rules));
  // cvm has re-imaged and booted the guest (ssh answers) but the application is not up: STARTING
  await waitFor(async () => sqlValue(`SELECT latest_op || ' ' || latest_op_state || ' ' || state FROM instances WHERE
    instance_id = (SELECT cvm_instance_id FROM lighthouse_instances WHERE instance_id = '${id}')`),
  (x) => x === "ResetInstance SUCCESS RUNNING", BOOT_MS, "cvm's reset done", 1000);
  await waitFor(async () => d.ssh(ip, key.PrivateKey, "echo again", { timeout: 20000 }),
    (x) => x.stdout.trim() === "again", BOOT_MS, "ssh after the reset", 2000);
  const starting = (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
  assert.equal(starting.InstanceState, "STARTING");
  assert.equal(starting.LatestOperationState, "OPERATING");
  d.ssh(ip, key.PrivateKey, "(yun-guest listen 8080 >/dev/null 2>&1 &)", { timeout: 20000 });
  const up = await waitFor(async () => (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0],
    (i) => i.InstanceState === "RUNNING", 30000, "RUNNING once the application answers", 1000);
  assert.equal(up.LatestOperationState, "SUCCESS");
  assert.equal(up.PublicAddresses[0], ip, "the public address stays");
  assert.equal(up.OsName, "Debian 12");
});

test("the prepaid period ends: billing stops the instance; StartInstances is refused until it is renewed", async () => {
  const expired0 = (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0].ExpiredTime;
  d.admin("clock", "--advance", "32d");
  const stopped = await waitFor(async () => (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0],
    (i) => i.InstanceState === "STOPPED", 120000, "stopped at expiry", 1000);
  assert.equal(stopped.ExpiredTime, expired0);
  await rejectsWith(lhA.StartInstances({ InstanceIds: [id] }), "UnsupportedOperation.InstanceExpired");
  const q = await lhA.InquirePriceRenewInstances({ InstanceIds: [id], InstanceChargePrepaid: { Period: 1 } });
  assert.equal(q.Price.InstancePrice.OriginalPrice, 90 + 0, "the bundle and bigapp's software (the '*' row: 0)");
  const before = Number((await a.billing.DescribeAccountBalance({})).Balance);
  await lhA.RenewInstances({ InstanceIds: [id], InstanceChargePrepaid: { Period: 1 } });
  assert.equal(Number((await a.billing.DescribeAccountBalance({})).Balance), before - 9000);
  const renewed = (await lhA.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
  assert.ok(Date.parse(renewed.ExpiredTime) > Date.parse(expired0), "the period moved on");
});

test("DescribeRegions and DescribeZones", async () => {
  const regions = await lhA.DescribeRegions({});
  assert.ok(regions.RegionSet.some((r) => r.Region === "ap-local" && r.RegionState === "AVAILABLE"));
  const zones = await lhA.DescribeZones({});
  assert.ok(zones.TotalCount >= 1 && zones.ZoneInfoSet.every((z) => z.Zone.startsWith("ap-local-")));
});

test("TerminateInstances: gone, refunded, its address and firewall released", async () => {
  const before = Number((await a.billing.DescribeAccountBalance({})).Balance);
  await lhA.TerminateInstances({ InstanceIds: [id] });
  await waitFor(async () => (await lhA.DescribeInstances({})).TotalCount, (n) => n === 0, 60000, "terminated", 1000);
  const afterBalance = Number((await a.billing.DescribeAccountBalance({})).Balance);
  assert.ok(afterBalance > before, `the unused part is refunded (${before} -> ${afterBalance})`);
  await waitFor(async () => sqlValue(`SELECT count(*) FROM instances WHERE owner_uin = '${a.Uin}' AND state <> 'TERMINATED'`),
    (n) => n === "0", 60000, "cvm instance gone", 1000);
  await nothingCreated(a, lhA);
  await rejectsWith(lhA.StartInstances({ InstanceIds: [id] }), "ResourceNotFound.InstanceIdNotFound");
});
