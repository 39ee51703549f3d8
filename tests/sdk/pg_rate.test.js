/*
 * Rate limits of a region served by two control-plane processes on one PostgreSQL
 * (YUN_TEST_STORE; skipped without it): each process allows its share of the configured rate and
 * burst (src/daemon/peers.c counts the processes), so a client whose requests a load balancer
 * spreads over both gets what the configuration says for the region, not twice as much; once one
 * process is gone, the other allows the whole again.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Daemon, TEST_STORE, startDaemon, freePort, waitFor } = require("./lib/yund");

const RATE = 1, BURST = 20; // per account, for the region
const config = { rate_limit: { per_second: RATE, burst: BURST } };
const skip = !TEST_STORE && "needs YUN_TEST_STORE (a PostgreSQL; make test starts one)";
let a, b;

before(async () => {
  if (skip) return;
  a = await startDaemon({ config });
  b = new Daemon({ config, dataDir: a.dataDir, port: await freePort(), store: a.store,
    args: ["--no-host", "--object-listen", `127.0.0.1:${await freePort()}`] });
  await b.start();
});

after(async () => {
  if (b) await b.stop();
  if (a) await a.destroy();
});

/* A burst of n requests of one account, alternating between the processes: how many passed. */
async function burst(acct, daemons, n) {
  const clients = daemons.map((d) => d.cvm(acct));
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => clients[i % clients.length].DescribeZones({})));
  const other = results.filter((r) => r.status === "rejected" && !/^RequestLimitExceeded/.test(r.reason.code || ""));
  assert.deepEqual(other.map((r) => `${r.reason.code} ${r.reason.message}`), []);
  return results.filter((r) => r.status === "fulfilled").length;
}

test("spread over A and B, one account gets the region's burst, not each process's", { skip }, async () => {
  // each process sees the other (its lease sessions) within about a second
  let n = 0; // a fresh account (its own buckets) for each try
  const passed = await waitFor(() => burst(a.createAccount(`rate-spread-${n++}`), [a, b], 3 * BURST), (n) => n <= BURST + 3, 10000,
    "the processes share the limit", 2500);
  assert.ok(passed >= BURST - 2, `about the burst passes (${passed})`);
  assert.ok(passed <= BURST + 3, `no more than the region's burst and a little refill (${passed})`);
});

test("with B gone, A alone allows the whole burst again", { skip }, async () => {
  await b.stop();
  b = null;
  let n = 0;
  const passed = await waitFor(() => burst(a.createAccount(`rate-alone-${n++}`), [a], 3 * BURST), (n) => n >= BURST - 1, 10000, "A has the whole limit",
    2500);
  assert.ok(passed >= BURST - 1 && passed <= BURST + 3, `the whole burst passes through A (${passed})`);
});
