/*
 * Store benchmark, the mutating half: the same API load on SQLite and on PostgreSQL, in one run.
 *   node bench/api-store.js          (env: YUN_BIN, SECONDS_EACH=5, CONNS=16, YUN_TEST_STORE for PostgreSQL)
 * bench/api-store.sh starts a private PostgreSQL and runs this inside it. For each store: a fresh
 * yund (rate limit lifted), then for SECONDS_EACH each: cvm DescribeZones and vpc CreateVpc +
 * DeleteVpc pairs (two write transactions with their audit records), from CONNS concurrent
 * official-SDK clients (the client's signing in node bounds these figures: wrk's DescribeZones
 * figures come from bench/api-describe-zones.sh); on PostgreSQL also the same
 * split over two processes (the host yund and a `--no-host` one on the same database).
 * Client cost (node, the SDK's signing) is part of every figure, equally for both stores.
 */
"use strict";
const { Daemon, TEST_STORE, startDaemon, freePort } = require("../tests/sdk/lib/yund");

const SECONDS = Number(process.env.SECONDS_EACH || 5);
const CONNS = Number(process.env.CONNS || 16);
const config = { rate_limit: { per_second: 10000000, burst: 10000000 } };

async function load(clients, fn) {
  const end = Date.now() + SECONDS * 1000;
  let n = 0, errors = 0, first = "";
  await Promise.all(Array.from({ length: CONNS }, async (_, i) => {
    const c = clients[i % clients.length];
    while (Date.now() < end) {
      try { n += await fn(c, i); } catch (e) { errors++; if (!first) first = `${e.code} ${e.message}`; }
    }
  }));
  return { rate: n / SECONDS, errors, first };
}

const zones = async (c) => { await c.cvm.DescribeZones({}); return 1; };
const vpcs = async (c, i) => {
  const v = await c.vpc.CreateVpc({ VpcName: `b${i}`, CidrBlock: "10.0.0.0/16" });
  await c.vpc.DeleteVpc({ VpcId: v.Vpc.VpcId });
  return 2; // two mutating requests
};

function row(store, procs, what, r) {
  console.log(`| ${store} | ${procs} | ${what} | ${Math.round(r.rate)} | ${r.errors}${r.first ? " " + r.first : ""} |`);
}

async function run(label, store) {
  const a = await startDaemon({ config, sqlite: !store });
  const clients = [{ cvm: a.cvm(), vpc: a.vpc() }];
  row(label, 1, "DescribeZones req/s", await load(clients, zones));
  row(label, 1, "CreateVpc+DeleteVpc req/s", await load(clients, vpcs));
  if (a.store) {
    const b = new Daemon({ config, dataDir: a.dataDir, port: await freePort(), store: a.store,
      args: ["--no-host", "--object-listen", `127.0.0.1:${await freePort()}`] });
    await b.start();
    clients.push({ cvm: b.cvm(), vpc: b.vpc() });
    row(label, 2, "DescribeZones req/s", await load(clients, zones));
    row(label, 2, "CreateVpc+DeleteVpc req/s", await load(clients, vpcs));
    await b.stop();
  }
  await a.destroy();
}

(async () => {
  console.log(`${CONNS} concurrent SDK clients, ${SECONDS} s each`);
  console.log("| store | yund processes | load | req/s | errors |\n|---|---|---|---|---|");
  const pg = TEST_STORE;
  await run("SQLite", "");
  if (pg) await run("PostgreSQL", pg);
})().catch((e) => { console.error(e); process.exit(1); });
