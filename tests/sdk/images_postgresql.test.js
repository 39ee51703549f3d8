/*
 * The PostgreSQL blueprint image: built (or linked from the cache) with `yun admin images build`,
 * booted by RunInstances, reached through an EIP from the host. The credentials the first boot made
 * are shown to the customer in /root/yun-credentials, read over SSH with the instance's key pair;
 * psql connects with them (and not with a wrong password), creates a table and reads it back.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const { startDaemon, waitFor } = require("./lib/yund");
const { buildImage, launchWithEip, terminateAll } = require("./lib/images");

let d, cvm, image, guest;

function psql(ip, pw, sql) {
  const r = spawnSync("psql", ["-h", ip, "-U", "dbadmin", "-d", "dbadmin", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
    "-c", sql], { encoding: "utf8", timeout: 30000, env: { ...process.env, PGPASSWORD: pw, PGCONNECT_TIMEOUT: "5" } });
  return { status: r.status, stdout: (r.stdout || "").trim(), stderr: r.stderr || "" };
}

before(async () => {
  d = await startDaemon();
  cvm = d.cvm();
});

after(async () => {
  if (cvm) await terminateAll(cvm);
  if (d) await d.destroy();
});

test("yun admin images build postgresql registers the PostgreSQL image", async () => {
  const b = buildImage(d, "postgresql");
  console.log(`# image build/link: ${b.seconds.toFixed(1)} s`);
  image = b.imageId;
  const img = (await cvm.DescribeImages({ ImageIds: [image] })).ImageSet[0];
  assert.equal(img.ImageName, "PostgreSQL 15");
  assert.equal(img.ImageState, "NORMAL");
});

test("the customer reads the generated credentials over SSH and psql connects with them", async () => {
  guest = await launchWithEip(d, { imageId: image, ports: [22, 5432], name: "pg" });
  const creds = await waitFor(
    async () => d.ssh(guest.ip, guest.key.PrivateKey, "cat /root/yun-credentials", { timeout: 30000 }),
    (x) => x.status === 0 && /PostgreSQL/.test(x.stdout), 240000, "the credentials file", 2000);
  const m = creds.stdout.match(/database dbadmin user dbadmin password ([A-Za-z0-9]{24})/);
  assert.ok(m, creds.stdout);
  const password = m[1];
  const v = await waitFor(async () => psql(guest.ip, password, "SELECT version()"), (r) => r.status === 0,
    60000, "psql connects", 1000);
  console.log(`# RunInstances to psql connected: ${((Date.now() - guest.t0) / 1000).toFixed(1)} s`);
  assert.match(v.stdout, /^PostgreSQL 15\./);
  const w = psql(guest.ip, password, "CREATE TABLE t (n int); INSERT INTO t VALUES (41), (1); SELECT sum(n) FROM t");
  assert.equal(w.status, 0, w.stderr);
  assert.equal(w.stdout.split("\n").pop(), "42");
  const bad = psql(guest.ip, "not-the-password", "SELECT 1");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /password authentication failed/);
});
