/*
 * What an unauthenticated client can make the API listener hold: memory for requests libmicrohttpd
 * rejects on its own, connections that never finish their headers, and request bodies sent before
 * any key is known.
 */
"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const net = require("node:net");
const http = require("node:http");
const { startDaemon, sleep } = require("./lib/yund");

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;

function get(port, urlPath, { timeout = 5000 } = {}) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => { req.destroy(); resolve(-1); });
  });
}

/* Opens a raw connection from localAddress, writes text; resolves the socket once connected. */
function rawConnect(port, localAddress, text) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress }, () => { if (text) s.write(text); resolve(s); });
    s.t0 = Date.now();
    s.on("close", () => { s.closedAfter = Date.now() - s.t0; });
    s.on("error", () => resolve(s));
  });
}

/* Resolves when s is closed by the peer (or ms pass): {closed, data, ms}. */
function waitClosed(s, ms) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    if (s.closedAfter !== undefined) return resolve({ closed: true, data: "", ms: 0 }); // refused at once
    let data = "";
    s.on("data", (d) => { data += d; });
    const t = setTimeout(() => resolve({ closed: false, data, ms: Date.now() - t0 }), ms);
    s.on("close", () => { clearTimeout(t); resolve({ closed: true, data, ms: Date.now() - t0 }); });
  });
}

/* Runs fn over 0..n-1 with at most `width` in flight. */
async function pool(n, width, fn) {
  let next = 0;
  const out = [];
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) { const i = next++; out[i] = await fn(i); }
  }));
  return out;
}

test("requests that never reach the handler (7 KB URI, 1000 params, no credentials) leak nothing", async (t) => {
  // leaks on, and a small quarantine so that the sanitizer build's RSS tracks live memory
  const saved = process.env.ASAN_OPTIONS;
  process.env.ASAN_OPTIONS = "detect_leaks=1:quarantine_size_mb=4:malloc_context_size=8";
  const d = await startDaemon();
  process.env.ASAN_OPTIONS = saved;
  try {
    const uri = "/bkt/x?" + Array.from({ length: 1000 }, (_, i) => `p${String(i).padStart(3, "0")}=1`).join("&");
    assert.ok(uri.length > 7000);
    // libmicrohttpd neither answers nor hands such a request to yun; the client gives up and closes
    const send = () => get(d.port, uri, { timeout: 250 });
    await pool(300, 50, send);
    const before = rssMiB(d.child.pid);
    await pool(3000, 50, send);
    await sleep(500);
    const after = rssMiB(d.child.pid);
    t.diagnostic(`RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB over 3000 requests`);
    assert.ok(after - before < 8, `RSS grew ${(after - before).toFixed(1)} MiB over 3000 rejected requests (${before.toFixed(1)} -> ${after.toFixed(1)})`);
    assert.equal(await get(d.port, "/healthz"), 200);
    await d.stop();
    assert.doesNotMatch(d.output, /LeakSanitizer[\s\S]*(uri_log|http\/server\.c)/, `leak report:\n${d.output.slice(-4000)}`);
  } finally {
    await d.destroy();
  }
});
