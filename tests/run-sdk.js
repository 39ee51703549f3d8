#!/usr/bin/env node
/*
 * Runs SDK test files (default: every tests/sdk/*.test.js) one node test process per file, as
 * `node --test` does, and says how long each took: "== FILE: N s (cpu M s)" after each file, then
 * the slowest ten and the total. CPU is what the file's processes (node, yund, QEMU) used, so a file
 * whose cpu is far below its wall time is mostly waiting.
 * With YUN_TEST_JOBS=N (N > 1; needs root and unshare) N files run at once, each in its own network
 * and mount namespace (lo up, a private /run/netns, as /work/wt/netns-run.sh makes), so their yund's
 * bridges, nftables tables and VPC namespaces never meet; each file's output is printed when it ends.
 *   node tests/run-sdk.js [FILE...]
 * Env: YUN_TEST_TIMES (append "seconds LABELfile" lines there, LABEL from YUN_TEST_LABEL, e.g. "pg:"), and
 * whatever the tests read (YUN_BIN...).
 */
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..");
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync(path.join(REPO, "tests", "sdk")).filter((f) => f.endsWith(".test.js")).sort()
    .map((f) => path.join("tests", "sdk", f));

/* The children's CPU seconds, from the `times` of the shell that waited for them. */
function childCpu(text) {
  const line = text.trim().split("\n").pop() || "";
  let s = 0;
  for (const m of line.matchAll(/(\d+)m([\d.]+)s/g)) s += Number(m[1]) * 60 + Number(m[2]);
  return s;
}

const JOBS = Math.max(1, Number(process.env.YUN_TEST_JOBS || 1));
// a private network + mount namespace per file (what /work/wt/netns-run.sh does for a whole run),
// with an uplink and a default route as a host has (a veth whose far end leads nowhere, TEST-NET-1):
// traffic to an address the host does not serve is routed and meets yund's nftables, which refuse
// it, instead of failing as unroutable before them (vpc_guests checks the refusal)
const NETNS = ["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c",
  'ip link set lo up && ip link add yun-up0 type veth peer name yun-up1 && ip link set yun-up1 up && ' +
  'ip link set yun-up0 up && ip addr add 192.0.2.2/24 dev yun-up0 && ip route add default via 192.0.2.1 && ' +
  '{ mount -t sysfs sysfs /sys 2>/dev/null || true; } && mkdir -p /run/netns && ' +
  'mount -t tmpfs tmpfs /run/netns && exec "$@"', "sh"];

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const timesFile = path.join(fs.mkdtempSync("/tmp/yun-run-sdk-"), "times");
    // bash's `times` after the wait covers every descendant that was reaped (yund reaps its QEMU)
    const cmd = ["bash", "-c", '"$@"; rc=$?; times > "$T"; exit $rc', "bash",
      process.execPath, "--test", "--test-concurrency=1", "--test-reporter=spec", file];
    const argv = JOBS > 1 ? [...NETNS, ...cmd] : cmd;
    const child = spawn(argv[0], argv.slice(1),
      { stdio: JOBS > 1 ? ["ignore", "pipe", "pipe"] : "inherit", env: { ...process.env, T: timesFile } });
    let out = "";
    if (JOBS > 1) {
      child.stdout.on("data", (d) => { out += d; });
      child.stderr.on("data", (d) => { out += d; });
    }
    child.on("close", (code, signal) => {
      if (out) process.stdout.write(out);
      let cpu = 0;
      try { cpu = childCpu(fs.readFileSync(timesFile, "utf8")); } catch { /* killed before times */ }
      fs.rmSync(path.dirname(timesFile), { recursive: true, force: true });
      resolve({ file, ok: code === 0, code, signal, seconds: (Date.now() - t0) / 1000, cpu });
    });
  });
}

(async () => {
  const t0 = Date.now();
  const results = [];
  const queue = [...files];
  const worker = async () => { for (let f; (f = queue.shift());) {
    const r = await runFile(f);
    results.push(r);
    console.log(`== ${r.file}: ${r.seconds.toFixed(1)} s (cpu ${r.cpu.toFixed(1)} s)${r.ok ? "" : ` FAILED (${r.signal || r.code})`}`);
    if (process.env.YUN_TEST_TIMES) fs.appendFileSync(process.env.YUN_TEST_TIMES, `${r.seconds.toFixed(1)} ${process.env.YUN_TEST_LABEL || ""}${r.file}\n`);
  } };
  await Promise.all(Array.from({ length: Math.min(JOBS, files.length) }, worker));
  const wall = (Date.now() - t0) / 1000;
  const slow = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 10);
  console.log(`\n== sdk: ${results.length} files in ${wall.toFixed(1)} s (${JOBS} at a time); slowest:`);
  for (const r of slow) console.log(`  ${r.seconds.toFixed(1).padStart(7)} s  cpu ${r.cpu.toFixed(1).padStart(6)} s  ${r.file}`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    console.log(`\n== sdk: ${failed.length} file(s) FAILED: ${failed.map((r) => r.file).join(" ")}`);
    process.exit(1);
  }
})();
