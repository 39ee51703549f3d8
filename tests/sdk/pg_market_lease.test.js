/*
 * The marketplace's deployment controller across two processes on one PostgreSQL (YUN_TEST_STORE;
 * skipped without it): A has the host role, B is `--no-host` on the same store. Exactly one of them
 * holds the lease "market" (a session advisory lock whose application_name names the holder's
 * pid); a deployment accepted by either is driven to DEPLOYED by the holder. kill -9 of the holder:
 * the other process takes the lease and drives the next deployment (the takeover time is printed).
 * The template has no instance, so no guest boots: VPC and security group only.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const { Daemon, TEST_STORE, startDaemon, freePort, sleep, waitFor } = require("./lib/yund");

const skip = !TEST_STORE && "needs YUN_TEST_STORE (a PostgreSQL; make test starts one)";
const MARKET = "2026-01-01";
const TAKEOVER_LIMIT_MS = 20000; // generous for a loaded 2-core machine; followers poll every second
let a, b;

function holders(store) {
  const db = store.match(/\/([A-Za-z0-9_]*)(?=\?|$)/)[1];
  const r = spawnSync("psql", ["-At", TEST_STORE, "-c",
    "SELECT s.application_name FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid WHERE l.locktype = 'advisory'" +
    ` AND l.granted AND s.datname = '${db}' AND s.application_name LIKE 'yund-lease market pid %'`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean).map((l) => Number(l.split(" ").pop()));
}

before(async () => {
  if (skip) return;
  a = await startDaemon({});
  b = new Daemon({ dataDir: a.dataDir, port: await freePort(), store: a.store,
    args: ["--no-host", "--object-listen", `127.0.0.1:${await freePort()}`] });
  await b.start();
});

after(async () => {
  if (b) await b.stop().catch(() => {});
  if (a) await a.destroy();
});

test("one market leader of two processes drives deployments; kill -9 of it: the other takes over", { skip }, async () => {
  let h = holders(a.store);
  for (let i = 0; i < 40 && h.length === 0; i++) { await sleep(250); h = holders(a.store); }
  assert.equal(h.length, 1, `exactly one holder: ${h}`);
  const leader = h[0] === a.child.pid ? a : b, other = leader === a ? b : a;
  assert.ok([a.child.pid, b.child.pid].includes(h[0]), `the holder ${h[0]} is A or B`);

  const isv = a.createAccount("isv"), cust = a.createAccount("customer");
  a.admin("recharge", "--uin", cust.Uin, "--cents", "100000");
  const op = (d) => d.common(MARKET, a.creds), as = (d, acct) => d.common(MARKET, acct);
  await op(a).request("CreateIsv", { Uin: isv.Uin, SharePercent: 70 });
  const template = { resources: {
    net: { type: "vpc", properties: { cidr: "10.40.0.0/16" } },
    sg: { type: "security_group", parents: ["net"], properties: { ingress: [{ protocol: "TCP", port: 22, cidr: "0.0.0.0/0" }] } },
  } };
  const p = await as(b, isv).request("CreatePackage", { Name: "net only", Kind: "solution", Template: JSON.stringify(template) });
  await as(b, isv).request("SubmitPackageVersion", { PackageId: p.PackageId, Version: 1 });
  await op(b).request("ReviewPackage", { PackageId: p.PackageId, Version: 1, Result: "approve" });
  const dep = (d, id) => as(d, cust).request("DescribeDeployments", { DeploymentIds: [id] }).then((r) => r.DeploymentSet[0]);

  // accepted by the process that does not lead, driven by the one that does
  const first = (await as(other, cust).request("DeployPackage", { PackageId: p.PackageId })).DeploymentId;
  await waitFor(() => dep(other, first), (x) => x.State === "DEPLOYED", 60000, "first deployment DEPLOYED", 500);

  // kill -9 the leader; the survivor takes the lease and drives a new deployment
  const killedAt = Date.now();
  await leader.kill9();
  let took = 0;
  for (;;) {
    const now = holders(a.store);
    if (now.length === 1 && now[0] === other.child.pid) { took = Date.now() - killedAt; break; }
    assert.ok(Date.now() - killedAt < TAKEOVER_LIMIT_MS, `the survivor holds the market lease within ${TAKEOVER_LIMIT_MS} ms`);
    await sleep(100);
  }
  process.stderr.write(`market lease taken over ${took} ms after kill -9 of the leader\n`);
  const second = (await as(other, cust).request("DeployPackage", { PackageId: p.PackageId,
    Parameters: [] })).DeploymentId;
  const x = await waitFor(() => dep(other, second), (y) => y.State === "DEPLOYED" || y.State === "ROLLED_BACK", 60000,
    "second deployment finished", 500);
  assert.equal(x.State, "DEPLOYED", JSON.stringify(x));
  // both deployments made exactly one VPC each
  const vpcs = (await other.vpc(cust).DescribeVpcs({})).VpcSet.filter((v) => v.CidrBlock === "10.40.0.0/16");
  assert.equal(vpcs.length, 2, JSON.stringify(vpcs.map((v) => v.VpcId)));
  if (leader === a) a.child = null; // already dead: destroy() only removes its data
});
