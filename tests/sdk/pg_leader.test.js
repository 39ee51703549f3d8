/*
 * Leader election of the billing controller across two processes on one PostgreSQL
 * (YUN_TEST_STORE; skipped without it). A is `yun up --test-clock` with the host role, B is
 * `yun up --no-host --test-clock` on the same store: exactly one of them holds the lease "billing"
 * (a session advisory lock, seen in pg_locks with the holder's pid in its application_name), and
 * settlement is done exactly once per account-hour (one bill row per EIP-hour, one ledger deduction
 * per hour, the deductions adding up to the balance). kill -9 of the leader: the other process
 * takes the lease within a few seconds (the figure is printed) and settles the next hours, again
 * exactly once.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const { Daemon, TEST_STORE, startDaemon, freePort, sleep } = require("./lib/yund");

const skip = !TEST_STORE && "needs YUN_TEST_STORE (a PostgreSQL; make test starts one)";
const TAKEOVER_LIMIT_MS = 15000; // generous for a loaded 2-core machine; the lease is polled every 250 ms
const EIPS = 5; // idle EIPs at 0.02 yuan per hour each: 10 cents a whole hour
let a, b;

/* The pids of the yund processes holding the lease "billing" of this daemon's database. */
function holders(store) {
  const db = store.match(/\/([A-Za-z0-9_]*)(?=\?|$)/)[1];
  const r = spawnSync("psql", ["-At", TEST_STORE, "-c",
    "SELECT s.application_name FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid WHERE l.locktype = 'advisory'" +
    ` AND l.granted AND s.datname = '${db}' AND s.application_name LIKE 'yund-lease billing pid %'`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean).map((l) => Number(l.split(" ").pop()));
}

const clock = (dur) => JSON.parse(dur ? a.admin("clock", "--advance", dur) : a.admin("clock")).Unix;
const cam = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
const unixOf = (s) => Date.parse(s.replace(" ", "T") + "Z") / 1000;

before(async () => {
  if (skip) return;
  a = await startDaemon({ args: ["--test-clock"] });
  b = new Daemon({ dataDir: a.dataDir, port: await freePort(), store: a.store,
    args: ["--no-host", "--test-clock", "--object-listen", `127.0.0.1:${await freePort()}`] });
  await b.start();
});

after(async () => {
  if (b) await b.stop();
  if (a) await a.destroy();
});

/* Every bill row and ledger deduction of the account since `since`, checked for exactly-once. */
async function checkOnce(d, acct, since, initial) {
  const bill = d.billing(acct);
  const end = cam(clock() + 1);
  const rows = (await bill.DescribeBillDetail({ Offset: 0, Limit: 300, BeginTime: cam(since), EndTime: end })).DetailSet;
  const seen = new Map();
  for (const r of rows) {
    const k = `${r.ResourceId} ${r.FeeBeginTime}`;
    assert.ok(!seen.has(k), `one bill row per EIP-hour: ${k} twice`);
    seen.set(k, r);
  }
  const hours = new Set(rows.map((r) => Math.floor(unixOf(r.FeeBeginTime) / 3600)));
  for (const h of hours) assert.equal(rows.filter((r) => Math.floor(unixOf(r.FeeBeginTime) / 3600) === h).length, EIPS, `hour ${h}`);
  const ledger = await bill.DescribeBillList({ StartTime: cam(since), EndTime: end, Offset: 0, Limit: 100 });
  const deducts = ledger.TransactionList.filter((t) => t.ActionType === "deduct")
    .sort((x, y) => unixOf(x.OperationTime) - unixOf(y.OperationTime));
  assert.equal(deducts.length, hours.size, "one ledger deduction per settled hour");
  assert.equal(new Set(deducts.map((t) => t.OperationTime)).size, deducts.length, "no hour deducted twice");
  const balance = (await bill.DescribeAccountBalance({})).Balance;
  assert.equal(initial + deducts.reduce((x, t) => x + t.Amount, 0), balance, "the deductions add up to the balance");
  return { hours: hours.size, deducts };
}

test("one billing leader of two processes; kill -9 of it: the other takes over and settles each hour exactly once", { skip }, async () => {
  // one holder, and it is one of the two processes
  let h = holders(a.store);
  for (let i = 0; i < 40 && h.length === 0; i++) { await sleep(250); h = holders(a.store); }
  assert.equal(h.length, 1, `exactly one holder: ${h}`);
  const leader = h[0] === a.child.pid ? a : b, other = leader === a ? b : a;
  assert.ok([a.child.pid, b.child.pid].includes(h[0]), `the holder ${h[0]} is A (${a.child.pid}) or B (${b.child.pid})`);

  // start just after an hour so every later hour is a whole one
  const t0 = clock();
  clock(`${3600 - (t0 % 3600) + 5}s`);
  const acct = a.createAccount("leader-billed");
  const initial = 100000;
  a.admin("recharge", "--uin", acct.Uin, "--cents", String(initial));
  const since = clock() - 1;
  await other.vpc(acct).AllocateAddresses({ AddressCount: EIPS }); // through the follower: the leader bills it
  clock("3h");
  const first = await checkOnce(other, acct, since, initial);
  assert.equal(first.hours, 3, "three hours settled");
  for (const t of first.deducts.slice(1)) assert.equal(t.Amount, -10, `a whole hour of ${EIPS} idle EIPs is 10 cents`);
  assert.equal(holders(a.store).length, 1, "still one holder after settling");

  // kill -9 the leader: the other takes the lease within seconds
  const killedAt = Date.now();
  await leader.kill9();
  let took = null;
  while (Date.now() - killedAt < TAKEOVER_LIMIT_MS * 2) {
    const now = holders(a.store);
    if (now.length === 1 && now[0] === other.child.pid) { took = Date.now() - killedAt; break; }
    await sleep(50);
  }
  console.log(`# billing lease taken over ${took} ms after kill -9 of the leader (${leader === a ? "host" : "--no-host"} process)`);
  assert.ok(took !== null && took < TAKEOVER_LIMIT_MS, `takeover in ${took} ms (limit ${TAKEOVER_LIMIT_MS})`);

  // the survivor settles the next hours, exactly once
  clock("2h");
  const second = await checkOnce(other, acct, since, initial);
  assert.equal(second.hours, 5, "two more hours settled by the new leader");
  for (const t of second.deducts.slice(1)) assert.equal(t.Amount, -10, `a whole hour of ${EIPS} idle EIPs is 10 cents (${t.OperationTime})`);
  assert.deepEqual(holders(a.store), [other.child.pid]);
});
