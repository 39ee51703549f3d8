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
 * Then, on PostgreSQL, the failover time: kill -9 of the process holding the billing lease until
 * the other holds it (FAILOVERS=5 times, the two processes taking turns; the killed one is started
 * again as the follower), and until the survivor answers DescribeZones (it never stopped).
 */
"use strict";
const { spawnSync } = require("node:child_process");
const { Daemon, TEST_STORE, startDaemon, freePort, sleep } = require("../tests/sdk/lib/yund");

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
    await failover(a, b);
    await b.stop();
  }
  await a.destroy();
}

/* The pids holding the lease "billing" on the daemon's database (see store/lease.c). */
function holders(store) {
  const db = store.match(/\/([A-Za-z0-9_]*)(?=\?|$)/)[1];
  const r = spawnSync("psql", ["-At", TEST_STORE, "-c",
    "SELECT s.application_name FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid WHERE l.locktype = 'advisory'" +
    ` AND l.granted AND s.datname = '${db}' AND s.application_name LIKE 'yund-lease billing pid %'`], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map((l) => Number(l.split(" ").pop()));
}

async function failover(a, b) {
  const n = Number(process.env.FAILOVERS || 5), took = [];
  for (let i = 0; i < n; i++) {
    let h = holders(a.store);
    while (h.length !== 1) { await sleep(50); h = holders(a.store); }
    const [leader, other] = h[0] === a.child.pid ? [a, b] : [b, a];
    const t0 = process.hrtime.bigint();
    await leader.kill9();
    for (;;) {
      const now = holders(a.store);
      if (now.length === 1 && now[0] === other.child.pid) break;
      await sleep(10);
    }
    took.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await leader.start(); // the follower now
  }
  took.sort((x, y) => x - y);
  console.log(`| PostgreSQL | 2 | billing lease failover after kill -9 of the leader, ms (min / median / max of ${n}) |` +
    ` ${took[0].toFixed(0)} / ${took[Math.floor(n / 2)].toFixed(0)} / ${took[n - 1].toFixed(0)} | 0 |`);
}

(async () => {
  console.log(`${CONNS} concurrent SDK clients, ${SECONDS} s each`);
  console.log("| store | yund processes | load | req/s | errors |\n|---|---|---|---|---|");
  const pg = TEST_STORE;
  await run("SQLite", "");
  if (pg) await run("PostgreSQL", pg);
})().catch((e) => { console.error(e); process.exit(1); });
