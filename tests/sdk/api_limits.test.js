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

test("4,200 idle connections from one address do not lock others out, and the header timeout closes them", async () => {
  const d = await startDaemon();
  const idle = [];
  try {
    // request line and one header, then silence, from 127.0.0.2
    for (let i = 0; i < 4200; i += 300) {
      idle.push(...await Promise.all(Array.from({ length: 300 }, () =>
        rawConnect(d.port, "127.0.0.2", "POST / HTTP/1.1\r\nHost: x\r\n"))));
    }
    const closed = idle.map((s) => waitClosed(s, 20000));
    await sleep(500);
    const cvm = d.cvm();
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      const r = await Promise.race([cvm.DescribeZones({}), sleep(5000).then(() => null)]);
      assert.ok(r && r.TotalCount >= 1, `call ${i} from 127.0.0.1 timed out behind the idle connections`);
      assert.ok(Date.now() - t0 < 5000);
    }
    const res = await Promise.all(closed);
    const open = res.filter((r) => !r.closed).length;
    assert.equal(open, 0, `${open} idle connections still open 20 s later (header timeout)`);
    const slowest = Math.max(...res.map((r) => r.ms));
    assert.ok(slowest < 16000, `the last idle connection closed after ${slowest} ms`);
  } finally {
    for (const s of idle) s.destroy();
    await d.destroy();
  }
});

/* POSTs headers + a body of `send` bytes announcing `announce`; resolves {data} once answered or closed. */
function bigPost(port, headers, announce, send, timeoutMs = 15000) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let data = "", written = 0, done = false;
    const finish = () => { if (!done) { done = true; s.destroy(); resolve({ data }); } };
    s.on("data", (d) => { data += d; if (/\r\n\r\n[\s\S]*\}/.test(data)) finish(); });
    s.on("error", finish);
    s.on("close", finish);
    setTimeout(finish, timeoutMs);
    s.on("connect", () => {
      s.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
        Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + `Content-Length: ${announce}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!done && written < send) {
          const n = Math.min(chunk.length, send - written);
          written += n;
          if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once("drain", pump);
        }
      };
      pump();
    });
  });
}

const tc3For = (secretId) => ({
  Authorization: `TC3-HMAC-SHA256 Credential=${secretId}/2026-12-02/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${"0".repeat(64)}`,
  "X-TC-Action": "DescribeZones", "X-TC-Version": "2017-03-12", "X-TC-Timestamp": String(Math.floor(Date.now() / 1000)),
});

test("an unknown SecretId is refused before a large body is read; an unsigned large body too", async () => {
  const d = await startDaemon();
  try {
    // headers only, no body byte: the answer must come from the headers alone (a client still writing would
    // see its connection closed; what matters is that the server holds nothing)
    const r = await bigPost(d.port, tc3For("AKIDnotthere0000000000000000000000"), 9999999, 0, 5000);
    assert.match(r.data, /AuthFailure\.SecretIdNotFound/, `answer: ${r.data.slice(0, 300)}`);
    const u = await bigPost(d.port, {}, 5000000, 0, 5000);
    assert.match(u.data, /AuthFailure\.InvalidAuthorization/, `answer: ${u.data.slice(0, 300)}`);
    // a known key's large body is still read, and then checked (the signature here is wrong)
    const k = await bigPost(d.port, tc3For(d.creds.SecretId), 200000, 200000);
    assert.match(k.data, /AuthFailure\.SignatureFailure/);
  } finally {
    await d.destroy();
  }
});

test("bodies in flight are bounded: 40 x 9.5 MB from a known key hold at most http.body_memory_mib", async (t) => {
  const saved = process.env.ASAN_OPTIONS;
  process.env.ASAN_OPTIONS = `${saved ? saved + ":" : ""}quarantine_size_mb=4`;
  const d = await startDaemon({ config: { http: { body_memory_mib: 64 } } });
  process.env.ASAN_OPTIONS = saved;
  try {
    const base = rssMiB(d.child.pid);
    let peak = base;
    const probe = setInterval(() => { try { peak = Math.max(peak, rssMiB(d.child.pid)); } catch { /* gone */ } }, 20);
    const size = 9_500_000;
    const res = await Promise.all(Array.from({ length: 40 }, () => bigPost(d.port, tc3For(d.creds.SecretId), size, size, 60000)));
    clearInterval(probe);
    const busy = res.filter((r) => /RequestLimitExceeded/.test(r.data)).length;
    const served = res.filter((r) => /AuthFailure\.SignatureFailure/.test(r.data)).length;
    assert.ok(busy > 0, "some bodies were refused at the bound");
    assert.ok(served > 0, "bodies under the bound were read and checked");
    t.diagnostic(`RSS ${base.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB; served ${served}, refused ${busy}`);
    assert.ok(peak - base < 64 + 48, `RSS grew ${(peak - base).toFixed(0)} MiB (bound 64 MiB); served ${served}, refused ${busy}`);
    assert.equal(await get(d.port, "/healthz"), 200);
  } finally {
    await d.destroy();
  }
});
