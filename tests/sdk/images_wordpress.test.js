/*
 * The WordPress blueprint image end to end: `yun admin images build wordpress` (linked from the
 * cache build/images/wordpress when its recipe is unchanged) registers a PUBLIC_IMAGE beside a
 * running yund; RunInstances boots it (Debian 12 + cloud-init from the metadata service); from
 * the host, through an EIP, the install page answers, the install completes with HTTP POSTs and
 * the new admin logs in; the database password made at first boot is in /root/yun-credentials
 * (read over SSH with the instance's key pair, which cloud-init installed). Then terminate.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, waitFor } = require("./lib/yund");
const { buildImage, launchWithEip, terminateAll, get } = require("./lib/images");

let d, cvm, image, guest;

before(async () => {
  d = await startDaemon();
  cvm = d.cvm();
});

after(async () => {
  if (cvm) await terminateAll(cvm);
  if (d) await d.destroy();
});

test("yun admin images build wordpress registers a public image that DescribeImages shows", async () => {
  const b = buildImage(d, "wordpress");
  console.log(`# image build/link: ${b.seconds.toFixed(1)} s`);
  image = b.imageId;
  const set = (await cvm.DescribeImages({ ImageIds: [image] })).ImageSet;
  assert.equal(set.length, 1);
  assert.equal(set[0].ImageType, "PUBLIC_IMAGE");
  assert.equal(set[0].ImageName, "WordPress 6.1");
  assert.equal(set[0].OsName, "Debian 12");
  assert.equal(set[0].ImageState, "NORMAL");
  // building again is a no-op that keeps the id
  assert.equal(buildImage(d, "wordpress").imageId, image);
  const list = d.admin("images", "list").trim().split("\n").map((l) => JSON.parse(l));
  const wp = list.find((x) => x.Name === "wordpress");
  assert.equal(wp.Built, "yes");
  assert.equal(wp.ImageId, image);
  assert.equal(wp.BlueprintType, "APP_OS");
  assert.equal(wp.Scene, "website");
});

test("a WordPress instance answers its install page over its EIP", async () => {
  guest = await launchWithEip(d, { imageId: image, ports: [22, 80], name: "wp" });
  // under TCG the first PHP requests take seconds: a long per-request timeout, never a pile of aborted ones
  const page = await waitFor(async () => get(`http://${guest.ip}/wp-admin/install.php`, { timeout: 90000 }),
    (r) => r.status === 200, 300000, "the install page", 2000);
  const secs = (Date.now() - guest.t0) / 1000;
  console.log(`# RunInstances to install page: ${secs.toFixed(1)} s`);
  assert.match(page.text, /WordPress/);
  assert.match(page.text, /<form id="setup" method="post" action="install\.php\?step=2"/);
  const out = (await cvm.request("GetInstanceConsoleOutput", { InstanceId: guest.id })).Output;
  assert.match(out, /YUN-NET-UP ip=/);
});

test("the WordPress install completes over HTTP and the admin logs in", async () => {
  const base = `http://${guest.ip}`;
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
  const r = await waitFor(async () => d.ssh(guest.ip, guest.key.PrivateKey, "cat /root/yun-credentials", { timeout: 30000 }),
    (x) => x.status === 0, 60000, "ssh with the key pair cloud-init installed", 2000);
  const m = r.stdout.match(/user wordpress, password ([A-Za-z0-9]{24})/);
  assert.ok(m, r.stdout);
  const host = d.ssh(guest.ip, guest.key.PrivateKey, "hostname; stat -c %a /root/yun-credentials", { timeout: 30000 });
  assert.deepEqual(host.stdout.trim().split("\n"), [guest.id, "600"]);
});

test("terminating the instance removes it", async () => {
  await cvm.TerminateInstances({ InstanceIds: [guest.id] });
  await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [guest.id] })).TotalCount,
    (n) => n === 0, 120000, "terminated", 500);
  assert.equal((await get(`http://${guest.ip}/`, { timeout: 3000 })).status, 0);
});
