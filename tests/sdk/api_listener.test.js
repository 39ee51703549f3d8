/*
 * The API listener itself: restart on a port whose previous connections sit in TIME_WAIT, IPv6 and
 * dual-stack listening addresses.
 */
"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const { startDaemon, freePort, sleep, BIN } = require("./lib/yund");

/* GET path on host:port with a fresh connection; resolves {status, body} or {status: 0, error}. */
function get(host, port, urlPath, { headers = {}, timeout = 5000, localAddress } = {}) {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, agent: false, timeout, headers, localAddress }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", (e) => resolve({ status: 0, error: e.code || e.message }));
    req.on("timeout", () => { req.destroy(); resolve({ status: 0, error: "timeout" }); });
  });
}

/* yun up with an arbitrary --listen; resolves {child, output(), stop()} once GET /healthz on probeHost answers 200. */
async function upWith(listen, probeHost, port) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "yun-listen-"));
  const child = spawn(BIN, ["up", "--data", dataDir, "--listen", listen], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { out += d; });
  const exited = new Promise((r) => child.on("exit", (code) => r(code)));
  let code = null;
  exited.then((c) => { code = c; });
  const stop = async () => {
    if (code === null) { child.kill("SIGTERM"); await exited; }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 600; i++) {
    if (code !== null) break;
    if ((await get(probeHost, port, "/healthz", { timeout: 500 })).status === 200) return { child, output: () => out, stop };
    await sleep(25);
  }
  await stop();
  assert.fail(`yun up --listen ${listen} did not become healthy (exit ${code}):\n${out}`);
}

test("restart on the same port right after a burst of connections (TIME_WAIT) succeeds", async () => {
  const d = await startDaemon();
  try {
    // Connection: close makes the server close first, so the server side of each connection enters TIME_WAIT
    // (in rounds under the per-address connection limit, http.per_ip_connections = 256)
    // (a pause between rounds: libmicrohttpd counts a closed connection against the limit until its
    // event loop has cleaned it up, which under a loaded make test can lag a round behind)
    let served = 0;
    const refused = [];
    for (let round = 0; round < 3; round++) {
      const burst = [];
      // served, not fast: under a loaded make test (asan, two files at a time) a round of 150 can take seconds
      for (let i = 0; i < 150; i++) burst.push(get("127.0.0.1", d.port, "/healthz", { headers: { Connection: "close" }, timeout: 20000 }));
      for (const r of await Promise.all(burst)) r.status === 200 ? served++ : refused.push(r.status || r.error);
      await sleep(300);
    }
    assert.equal(served, 450, `the burst was served (not: ${[...new Set(refused)].join(", ")})`);
    await d.restart(); // throws if yun up exits ("cannot listen ... in use")
    assert.equal((await get("127.0.0.1", d.port, "/healthz")).status, 200);
    // ...but the port is not shared (no SO_REUSEPORT): a second daemon on it is refused
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "yun-listen-"));
    try {
      const r = d.exec(BIN, ["up", "--data", other, "--listen", `127.0.0.1:${d.port}`], { timeout: 20000 });
      assert.notEqual(r.status, 0, "a second yund bound the same port");
      assert.match(r.stderr, /cannot listen/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  } finally {
    await d.destroy();
  }
});

test("--listen [::1]:PORT serves over IPv6", async () => {
  const port = await freePort();
  const u = await upWith(`[::1]:${port}`, "::1", port);
  try {
    assert.match(u.output(), new RegExp(`http://\\[::1\\]:${port}`));
    assert.equal((await get("::1", port, "/healthz")).status, 200);
  } finally {
    await u.stop();
  }
});

test("the wildcard address listens dual-stack: IPv4 and IPv6 clients both reach it", async () => {
  const port = await freePort();
  const u = await upWith(`0.0.0.0:${port}`, "127.0.0.1", port);
  try {
    assert.equal((await get("127.0.0.1", port, "/healthz")).status, 200);
    assert.equal((await get("::1", port, "/healthz")).status, 200);
  } finally {
    await u.stop();
  }
});
