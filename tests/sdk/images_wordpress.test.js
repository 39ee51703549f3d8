/*
 * The WordPress blueprint end to end through the official SDK's lighthouse client:
 * `yun admin images build wordpress` (linked from the shared image cache when its recipe is
 * unchanged) makes the APP_OS blueprint DescribeBlueprints shows; CreateInstances{BundleId,
 * BlueprintId} boots it (Debian 12 + cloud-init from the metadata service); DescribeInstances says
 * STARTING until lighthouse's probe of the manifest's ready_path (an HTTP GET of the install page)
 * answers, then RUNNING; from the host, on the PublicAddresses, the install page answers, the
 * install completes with HTTP POSTs and the new admin logs in; the database password made at first
 * boot is in /root/yun-credentials (read over SSH with the instance's key pair). Then
 * ResetInstance{BlueprintId} re-images it with the tiny PURE_OS blueprint (the cheapest boot), and
 * TerminateInstances removes it. One WordPress boot in the whole file: TCG boots are slow.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, waitFor, credOf } = require("./lib/yund");
const { buildImage, terminateAll, get } = require("./lib/images");

const BOOT_MS = 300000;
let d, acct, cvm, lh, image, wp, tiny, key, id, ip, t0;
/* the cvm instance the lighthouse instance runs on (lighthouse's own: not in cvm's views) */
const cvmId = () => d.sql(`SELECT cvm_instance_id FROM lighthouse_instances WHERE instance_id = '${id}'`)[0];

function lighthouse(creds) {
  return new tencentcloud.lighthouse.v20200324.Client({
    credential: credOf(creds), region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqTimeout: 60 } },
  });
}

const describe = async () => (await lh.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];

before(async () => {
  d = await startDaemon();
  acct = d.createAccount("wp-customer");
  d.admin("recharge", "--uin", acct.Uin, "--cents", "100000");
  cvm = d.cvm(acct);
  lh = lighthouse(acct);
});

after(async () => {
  if (lh && id) await lh.TerminateInstances({ InstanceIds: [id] }).catch(() => {});
  if (cvm) await terminateAll(cvm).catch(() => {});
  if (d) await d.destroy();
});

test("yun admin images build wordpress makes the APP_OS blueprint DescribeBlueprints shows", async () => {
  const b = buildImage(d, "wordpress");
  console.log(`# image build/link: ${b.seconds.toFixed(1)} s`);
  image = b.imageId;
  assert.match(b.output, /cache \//, "the build names the shared cache it uses");
  // building again is a no-op that keeps the id
  assert.equal(buildImage(d, "wordpress").imageId, image);
  const list = d.admin("images", "list").trim().split("\n").map((l) => JSON.parse(l));
  const row = list.find((x) => x.Name === "wordpress");
  assert.equal(row.Built, "yes");
  assert.equal(row.ImageId, image);
  const app = (await lh.DescribeBlueprints({ Filters: [{ Name: "blueprint-type", Values: ["APP_OS"] }] })).BlueprintSet;
  wp = app.find((x) => x.BlueprintName === "wordpress");
  assert.ok(wp, JSON.stringify(app.map((x) => x.BlueprintName)));
  assert.equal(wp.BlueprintType, "APP_OS");
  assert.equal(wp.OsName, "Debian 12");
  assert.match(wp.DisplayTitle, /WordPress/);
  assert.equal(wp.RequiredMemorySize, 1);
  assert.equal(wp.BlueprintState, "NORMAL");
  const pure = (await lh.DescribeBlueprints({ Filters: [{ Name: "blueprint-type", Values: ["PURE_OS"] }] })).BlueprintSet;
  tiny = pure.find((x) => x.BlueprintName === "tiny");
  assert.ok(tiny, JSON.stringify(pure.map((x) => x.BlueprintName)));
});

test("CreateInstances with the WordPress blueprint: STARTING until the install page answers, then RUNNING", async () => {
  key = (await cvm.CreateKeyPair({ KeyName: "wpkey", ProjectId: 0 })).KeyPair;
  t0 = Date.now();
  id = (await lh.CreateInstances({ BundleId: "bundle_starter_01", BlueprintId: wp.BlueprintId, InstanceName: "wp",
    InstanceChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" },
    LoginConfiguration: { KeyIds: [key.KeyId] } })).InstanceIdSet[0];
  assert.match(id, /^lhins-/);
  const first = await describe();
  assert.equal(first.BlueprintId, wp.BlueprintId);
  assert.equal(first.LatestOperation, "CreateInstances");
  assert.notEqual(first.InstanceState, "RUNNING", "not running before the application answers");
  ip = first.PublicAddresses[0];
  assert.ok(ip, "a public address at once");
  // the guest boots (cvm RUNNING) well before PHP answers: lighthouse says STARTING meanwhile
  const seen = new Set();
  const up = await waitFor(async () => { const i = await describe(); seen.add(i.InstanceState); return i; },
    (i) => i.InstanceState === "RUNNING" || i.InstanceState === "LAUNCH_FAILED", BOOT_MS, "lighthouse RUNNING", 2000);
  const secs = (Date.now() - t0) / 1000;
  console.log(`# CreateInstances to RUNNING (install page answering, lighthouse's probe): ${secs.toFixed(1)} s`);
  assert.equal(up.InstanceState, "RUNNING");
  assert.equal(up.LatestOperationState, "SUCCESS");
  assert.ok(seen.has("STARTING"), `STARTING was reported before RUNNING: ${[...seen]}`);
  assert.deepEqual(up.PublicAddresses, [ip]);
  // RUNNING means the application answers: the install page, from the host, on the public address
  const page = await get(`http://${ip}/wp-admin/install.php`, { timeout: 60000 });
  assert.equal(page.status, 200, page.text.slice(0, 300));
  assert.match(page.text, /WordPress/);
  assert.match(page.text, /<form id="setup" method="post" action="install\.php\?step=2"/);
  // the guest's serial console (its cvm instance is lighthouse's, not in cvm's views)
  const out = fs.readFileSync(path.join(d.dataDir, "instances", cvmId(), "serial.log"), "utf8");
  assert.match(out, /YUN-NET-UP ip=/);
});

test("the WordPress install completes over HTTP and the admin logs in", async () => {
  const base = `http://${ip}`;
  const form = (o) => ({ method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(o).toString(), timeout: 60000 });
  const s1 = await get(`${base}/wp-admin/install.php?step=1`, form({ language: "" }));
  assert.equal(s1.status, 200, s1.text.slice(0, 500));
  const s2 = await get(`${base}/wp-admin/install.php?step=2`, form({
    weblog_title: "yun test site", user_name: "yunadmin", admin_password: "Yun-test-pass-42!",
    admin_password2: "Yun-test-pass-42!", pw_weak: "1", admin_email: "admin@example.com", blog_public: "0",
    language: "",
  }));
  assert.equal(s2.status, 200, s2.text.slice(0, 500));
  assert.match(s2.text, /Success!|WordPress has been installed/);
  // installed: the install page says so, the front page has the title, the admin can log in
  const again = await get(`${base}/wp-admin/install.php`, { timeout: 30000 });
  assert.match(again.text, /Already Installed|already installed/i);
  const home = await get(`${base}/`, { timeout: 30000 });
  assert.equal(home.status, 200);
  assert.match(home.text, /yun test site/);
  const login = await get(`${base}/wp-login.php`, { ...form({ log: "yunadmin", pwd: "Yun-test-pass-42!",
    "wp-submit": "Log In", testcookie: "1" }), headers: { "Content-Type": "application/x-www-form-urlencoded",
    Cookie: "wordpress_test_cookie=WP%20Cookie%20check" } });
  assert.equal(login.status, 302, login.text.slice(0, 300));
  assert.match(login.headers.get("set-cookie") || "", /wordpress_logged_in_/);
  const bad = await get(`${base}/wp-login.php`, form({ log: "yunadmin", pwd: "wrong", "wp-submit": "Log In" }));
  assert.notEqual(bad.status, 302);
});

test("the first boot's database password is the instance's own, readable over SSH", async () => {
  const r = await waitFor(async () => d.ssh(ip, key.PrivateKey, "cat /root/yun-credentials", { timeout: 30000 }),
    (x) => x.status === 0, 60000, "ssh with the key pair cloud-init installed", 2000);
  const m = r.stdout.match(/user wordpress, password ([A-Za-z0-9]{24})/);
  assert.ok(m, r.stdout);
  const host = d.ssh(ip, key.PrivateKey, "hostname; stat -c %a /root/yun-credentials", { timeout: 30000 });
  assert.deepEqual(host.stdout.trim().split("\n"), [cvmId(), "600"]);
});

test("ResetInstance to the tiny PURE_OS blueprint re-images it: RUNNING on the new blueprint, WordPress gone", async () => {
  const resettable = (await lh.DescribeResetInstanceBlueprints({ InstanceId: id })).ResetInstanceBlueprintSet;
  assert.ok(resettable.find((x) => x.BlueprintInfo.BlueprintId === tiny.BlueprintId).IsResettable);
  const t1 = Date.now();
  await lh.ResetInstance({ InstanceId: id, BlueprintId: tiny.BlueprintId });
  const busy = await describe();
  assert.equal(busy.LatestOperation, "ResetInstance");
  assert.equal(busy.BlueprintId, tiny.BlueprintId);
  const back = await waitFor(describe, (i) => i.LatestOperation === "ResetInstance" &&
    (i.LatestOperationState === "SUCCESS" || i.LatestOperationState === "FAILED") && i.InstanceState === "RUNNING",
    BOOT_MS, "RUNNING after the reset", 1000);
  assert.equal(back.LatestOperationState, "SUCCESS");
  assert.equal(back.BlueprintId, tiny.BlueprintId);
  assert.deepEqual(back.PublicAddresses, [ip], "the public address stays");
  // the tiny guest answers SSH with the same key; nothing of WordPress is left on its disk
  const r = await waitFor(async () => d.ssh(ip, key.PrivateKey, "yun-guest info | head -1; ls /root/yun-credentials 2>&1",
    { timeout: 20000 }), (x) => /^hostname /.test(x.stdout), BOOT_MS, "ssh after the reset", 2000);
  console.log(`# ResetInstance to RUNNING + ssh on the tiny blueprint: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  assert.match(r.stdout, /No such file/, `the tiny disk, not WordPress's: ${r.stdout}`);
  assert.equal((await get(`http://${ip}/wp-admin/install.php`, { timeout: 3000 })).status, 0, "no WordPress any more");
});

test("TerminateInstances removes it and its public address", async () => {
  await lh.TerminateInstances({ InstanceIds: [id] });
  await waitFor(async () => (await lh.DescribeInstances({})).TotalCount, (n) => n === 0, 120000, "terminated", 1000);
  await waitFor(async () => d.sql(`SELECT count(*) FROM instances WHERE owner_uin = '${acct.Uin}' AND state <> 'TERMINATED'`)[0],
    (n) => n === "0", 120000, "cvm instance gone", 1000);
  assert.deepEqual(d.sql(`SELECT count(*) FROM addresses WHERE owner_uin = '${acct.Uin}'`), ["0"], "the EIP is released");
  id = null;
});
