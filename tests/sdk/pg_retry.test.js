/*
 * The request path runs a mutating action again when the store lost its transaction (STORE_BUSY),
 * on PostgreSQL (YUN_TEST_STORE; skipped without it). The daemon's database gets a lock_timeout of
 * 200 ms; psql holds an exclusive lock on `vpcs`: a CreateVpc meeting it fails with "lock not
 * available" (SQLSTATE 55P03), is rolled back and run again, and succeeds once the lock is gone
 * (one VPC, one audit record); a lock held beyond the retries gives InternalError and no VPC.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn, spawnSync } = require("node:child_process");
const { TEST_STORE, startDaemon, sleep } = require("./lib/yund");

const skip = !TEST_STORE && "needs YUN_TEST_STORE (a PostgreSQL; make test starts one)";
let d;

const dbOf = (url) => url.match(/\/([A-Za-z0-9_]*)(?=\?|$)/)[1];
function psql(url, sql) {
  const r = spawnSync("psql", ["-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/* psql holding an ACCESS EXCLUSIVE lock on vpcs for `ms`; resolves, once the lock is granted, to
 * {done} (a promise of psql's exit). */
async function holdVpcs(ms) {
  const child = spawn("psql", ["-q", d.store, "-c",
    `BEGIN; LOCK TABLE vpcs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${ms / 1000}); COMMIT;`], { stdio: "ignore" });
  const done = new Promise((resolve) => child.on("exit", resolve));
  for (let i = 0; i < 200; i++) {
    if (psql(d.store, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'vpcs'" +
      " AND l.mode = 'AccessExclusiveLock' AND l.granted") === "1") return { done };
    await sleep(10);
  }
  assert.fail("psql did not get the lock");
}

before(async () => {
  if (skip) return;
  d = await startDaemon({});
  psql(d.store, `ALTER DATABASE ${dbOf(d.store)} SET lock_timeout = '200ms'`);
  await d.restart(); // new connections: every one with the lock timeout
});

after(async () => { if (d) await d.destroy(); });

test("a CreateVpc that lost its transaction to a lock is run again and succeeds once; one beyond the retries fails whole", { skip }, async () => {
  const acct = d.createAccount("retried");
  const vpc = d.vpc(acct);
  const logBefore = d.output.length;
  const held = await holdVpcs(500);
  const v = await vpc.CreateVpc({ VpcName: "after-a-lock", CidrBlock: "10.5.0.0/16" });
  await held.done;
  assert.match(d.output.slice(logBefore), /CreateVpc lost its transaction to another/, "the daemon ran it again");
  const list = await vpc.DescribeVpcs({ Limit: 100 });
  assert.equal(list.TotalCount, 1, "one VPC, however often the action ran");
  assert.equal(list.VpcSet[0].VpcId, v.Vpc.VpcId);
  const audit = d.audit(50).filter((e) => e.Action === "CreateVpc" && e.Uin === acct.Uin);
  assert.equal(audit.length, 1, `one audit record: ${JSON.stringify(audit)}`);

  const long = await holdVpcs(3000);
  await assert.rejects(vpc.CreateVpc({ VpcName: "never", CidrBlock: "10.6.0.0/16" }), (e) => e.code === "InternalError");
  await long.done;
  const names = (await vpc.DescribeVpcs({ Limit: 100 })).VpcSet.map((x) => x.VpcName);
  assert.deepEqual(names, ["after-a-lock"], "the refused action left nothing behind");
});
