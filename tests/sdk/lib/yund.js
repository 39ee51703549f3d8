/*
 * Test harness for the yun daemon: starts `yun up` on a free port with a temp
 * data dir, waits for GET /healthz, exposes the root credentials, and builds
 * official tencentcloud-sdk-nodejs clients pointed at it.
 * YUN_BIN overrides the binary (make test uses the sanitizer build).
 * YUN_TEST_STORE=postgresql://... (a PostgreSQL the tests may create databases on, e.g. the one
 * tests/pg/pg-up.sh prints) runs each daemon on a fresh database there (`yun up --store`), dropped
 * when the daemon is destroyed.
 */
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const net = require("node:net");
const http = require("node:http");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
// The package's index does not re-export CommonClient.
const { CommonClient } = require("tencentcloud-sdk-nodejs/tencentcloud/common/common_client");

// The SDK routes every request (even to 127.0.0.1) through http_proxy if set.
delete process.env.http_proxy;

const REPO = path.resolve(__dirname, "..", "..", "..");
const BIN = process.env.YUN_BIN || path.join(REPO, "build", "yun");
const READY_TIMEOUT_MS = Number(process.env.YUN_READY_TIMEOUT_MS || 15000);

const TEST_STORE = process.env.YUN_TEST_STORE || "";

/* The URL of database `name` on the server of `base` (the path of the URL is the database). */
function storeUrl(base, name) { return base.replace(/\/[A-Za-z0-9_]*(?=\?|$)/, "/" + name); }

function psql(sql) {
  const r = spawnSync("psql", ["-q", "-v", "ON_ERROR_STOP=1", TEST_STORE, "-c", sql], { encoding: "utf8", timeout: 30000 });
  assert.equal(r.status, 0, `psql ${sql}: ${r.stderr}${r.error || ""}`);
}

/* A fresh database for one daemon on the YUN_TEST_STORE server, or "" (SQLite in the data dir). */
function testStore(dataDir) {
  if (!TEST_STORE) return "";
  const name = "t_" + path.basename(dataDir).replace(/[^A-Za-z0-9]/g, "_").toLowerCase();
  psql(`CREATE DATABASE ${name}`);
  return storeUrl(TEST_STORE, name);
}

const SANITIZER_REPORT = /ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:/;

const live = new Set();
process.on("exit", () => { for (const c of live) { try { c.kill("SIGKILL"); } catch { /* gone */ } } });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function httpGet(port, urlPath, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => { req.destroy(); resolve(0); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/*
 * Normalises {SecretId,SecretKey}, {secretId,secretKey}, {AccessKeyId,SecretAccessKey} or sts
 * AssumeRole's Credentials {TmpSecretId,TmpSecretKey,Token} (the token goes as X-TC-Token).
 */
function credOf(c) {
  const cred = {
    secretId: c.secretId || c.SecretId || c.AccessKeyId || c.TmpSecretId,
    secretKey: c.secretKey || c.SecretKey || c.SecretAccessKey || c.TmpSecretKey,
  };
  const token = c.token || c.Token;
  if (token) cred.token = token;
  return cred;
}

class Daemon {
  constructor({ config, dataDir, port, relativeData, args, store, wrap }) {
    this.config = config;
    this.wrap = wrap || []; // a command that runs yun, e.g. ["strace", "-f", "-o", FILE]
    this.store = store || ""; // --store URL ("" = SQLite in the data dir)
    this.extraArgs = args || []; // more `yun up` flags, e.g. ["--test-clock"]
    this.dataDir = dataDir;
    this.relativeData = relativeData; // pass --data relative to a cwd of its parent directory
    this.port = port;
    this.listenHost = "127.0.0.1";
    this.endpoint = `${this.listenHost}:${port}`;
    this.child = null;
    this.output = "";
    this.configFile = null;
    if (config) {
      this.configFile = path.join(dataDir, "..", path.basename(dataDir) + ".config.json");
      fs.writeFileSync(this.configFile, JSON.stringify(config));
    }
  }

  async start() {
    const data = this.relativeData ? path.join(".", path.basename(this.dataDir)) : this.dataDir;
    const args = ["up", "--data", data, "--listen", this.endpoint];
    if (this.configFile) args.push("--config", this.configFile);
    if (this.store) args.push("--store", this.store);
    args.push(...this.extraArgs);
    const cwd = this.relativeData ? path.dirname(this.dataDir) : undefined;
    const child = this.wrap.length
      ? spawn(this.wrap[0], [...this.wrap.slice(1), BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd })
      : spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"], cwd });
    this.child = child;
    live.add(child);
    const keep = (d) => { this.output = (this.output + d.toString()).slice(-65536); };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }));
    let gone = null;
    this.exited.then((r) => { gone = r; });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (gone) throw new Error(`yun up exited early (${JSON.stringify(gone)}):\n${this.output}`);
      if (await httpGet(this.port, "/healthz", this.listenHost) === 200) break;
      await sleep(25);
    }
    if (Date.now() >= deadline) {
      child.kill("SIGKILL");
      throw new Error(`yun up not healthy after ${READY_TIMEOUT_MS} ms:\n${this.output}`);
    }
    const credFile = path.join(this.dataDir, "credentials.json");
    this.credentialsMode = fs.statSync(credFile).mode & 0o777;
    this.creds = JSON.parse(fs.readFileSync(credFile, "utf8"));
    return this;
  }

  /* SIGTERM and wait for exit; returns {code, signal}. */
  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return null;
    // wrapped: signal yun itself (the wrapper's child); the wrapper ends with it
    let yun = null;
    if (this.wrap.length) {
      try {
        yun = Number(fs.readFileSync(`/proc/${this.child.pid}/task/${this.child.pid}/children`, "utf8").trim().split(/\s+/)[0]) || null;
      } catch { /* gone */ }
    }
    if (yun) process.kill(yun, "SIGTERM");
    else this.child.kill("SIGTERM");
    const t = setTimeout(() => { if (yun) try { process.kill(yun, "SIGKILL"); } catch { /* gone */ } this.child.kill("SIGKILL"); }, 10000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }

  async kill9() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return null;
    this.child.kill("SIGKILL");
    return this.exited;
  }

  async restart() {
    await this.stop();
    return this.start();
  }

  /* Stops the daemon and removes the data dir; fails if the daemon printed a sanitizer report. */
  async destroy() {
    await this.stop();
    if (process.env.YUN_SHOW_LOG) process.stderr.write(this.output);
    assert.ok(!SANITIZER_REPORT.test(this.output), `sanitizer report from yun up:\n${this.output}`);
    const leftover = this.qemuPids();
    for (const { pid } of leftover) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
    fs.rmSync(this.sshKeyFile(), { force: true });
    if (!process.env.YUN_KEEP_DATA) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
      if (this.configFile) fs.rmSync(this.configFile, { force: true });
      if (this.store) psql(`DROP DATABASE IF EXISTS ${this.store.match(/\/([A-Za-z0-9_]*)(?=\?|$)/)[1]} WITH (FORCE)`);
    }
  }

  /* Official SDK client. product: "cvm"|"cam"|"cbs"|"vpc"; creds default to root. */
  client(product, creds = this.creds, { region = "ap-local", signMethod, reqMethod = "POST", language, timeout = 30 } = {}) {
    const Ctor = {
      cvm: tencentcloud.cvm.v20170312.Client, cam: tencentcloud.cam.v20190116.Client,
      cbs: tencentcloud.cbs.v20170312.Client, vpc: tencentcloud.vpc.v20170312.Client,
      billing: tencentcloud.billing.v20180709.Client, sts: tencentcloud.sts.v20180813.Client,
      cdc: tencentcloud.cdc.v20201214.Client,
    }[product];
    assert.ok(Ctor, `no client for ${product}`);
    const profile = { httpProfile: { endpoint: this.endpoint, protocol: "http://", reqMethod, reqTimeout: timeout } };
    if (signMethod) profile.signMethod = signMethod;
    if (language) profile.language = language;
    return new Ctor({ credential: credOf(creds), region, profile });
  }

  cvm(creds, opts) { return this.client("cvm", creds, opts); }
  cam(creds, opts) { return this.client("cam", creds, opts); }
  cbs(creds, opts) { return this.client("cbs", creds, opts); }
  vpc(creds, opts) { return this.client("vpc", creds, opts); }
  billing(creds, opts) { return this.client("billing", creds, opts); }
  sts(creds, opts) { return this.client("sts", creds, opts); }
  cdc(creds, opts) { return this.client("cdc", creds, opts); }

  /* Generic client for actions that the typed clients lack. */
  common(version, creds = this.creds, { region = "ap-local" } = {}) {
    return new CommonClient(this.endpoint, version, {
      credential: credOf(creds), region,
      profile: { httpProfile: { endpoint: this.endpoint, protocol: "http://", reqTimeout: 30 } },
    });
  }

  /* Runs `yun <args...>`; returns {status, stdout, stderr}. */
  run(args, { env, input } = {}) {
    const r = spawnSync(BIN, args, { encoding: "utf8", env: { ...process.env, ...(env || {}) }, input, timeout: 30000 });
    if (r.error) throw r.error;
    assert.ok(!SANITIZER_REPORT.test(r.stderr), `sanitizer report from yun ${args.join(" ")}:\n${r.stderr}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  admin(...args) {
    const r = this.run(["admin", ...args, "--data", this.dataDir, ...(this.store ? ["--store", this.store] : [])]);
    assert.equal(r.status, 0, `yun admin ${args.join(" ")} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  createAccount(name) {
    const args = ["create-account"];
    if (name) args.push("--name", name);
    const acct = JSON.parse(this.admin(...args));
    return acct;
  }

  /*
   * QEMU processes started for this daemon's data dir: [{pid, id}] (id = instance id). Zombies do not count.
   * Matched on the run dir in the command line, so guests of other daemons on the machine are ignored.
   */
  qemuPids() {
    const out = [];
    const marker = path.join(this.dataDir, "instances") + "/";
    for (const e of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(e)) continue;
      let cmd, stat;
      try {
        cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8");
        stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      } catch { continue; }
      const st = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (st === "Z" || st === "X") continue;
      const argv = cmd.split("\0");
      if (!/qemu-system/.test(argv[0]) || !cmd.includes(marker)) continue;
      const name = argv[argv.indexOf("-name") + 1] || "";
      out.push({ pid: Number(e), id: name.split(",")[0] });
    }
    return out;
  }

  /* Runs cmd args on this machine; returns {status, stdout, stderr, signal}. */
  exec(cmd, args, { timeout = 30000, input } = {}) {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout, input });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
  }

  /*
   * The VPC router namespace (yv-*) with a subnet holding ip, or null: lets tests that use a single
   * VPC (the default one) reach guests without naming it. Ambiguous with overlapping VPCs: pass vpcId.
   */
  vpcNamespaceOf(ip) {
    const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout || "";
    for (const line of list.split("\n")) {
      const ns = line.split(" ")[0];
      if (!ns.startsWith("yv-")) continue;
      const r = spawnSync("ip", ["-n", ns, "-4", "route", "get", ip], { encoding: "utf8" });
      if (r.status === 0 && / dev gw0 /.test(r.stdout) && !/ via /.test(r.stdout)) return ns;
    }
    return null;
  }

  sshKeyFile() { return path.join(this.dataDir, "..", `${path.basename(this.dataDir)}.sshkey`); }

  /*
   * ssh root@ip with the private key (PEM text or file path); returns exec's result. With vpcId the
   * command runs in that VPC's router namespace (yv-<last 8 of the id>), where the guest's private
   * address is routed; without it, where the daemon runs (EIPs are reachable there).
   */
  ssh(ip, key, command, { timeout = 20000, vpcId } = {}) {
    let keyFile = key;
    if (key.includes("PRIVATE KEY")) {
      keyFile = this.sshKeyFile();
      fs.writeFileSync(keyFile, key.endsWith("\n") ? key : key + "\n", { mode: 0o600 });
    }
    const sshArgs = ["-i", keyFile, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
      "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", `root@${ip}`, command];
    const ns = vpcId ? `yv-${vpcId.slice(-8)}` : this.vpcNamespaceOf(ip);
    if (ns) {
      const r = spawnSync("ip", ["netns", "exec", ns, "ssh", ...sshArgs], { encoding: "utf8", timeout });
      if (r.error) throw r.error;
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
    }
    return this.exec("ssh", ["-i", keyFile, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
      "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", `root@${ip}`, command], { timeout });
  }

  /* The first column of a query's rows on the daemon's store (SQLite or PostgreSQL), one string per row:
   * for checking what exists behind views that hide it. */
  sql(query) {
    const r = this.store
      ? spawnSync("psql", ["-qAt", "-v", "ON_ERROR_STOP=1", this.store, "-c", query], { encoding: "utf8", timeout: 30000 })
      : spawnSync("sqlite3", [path.join(this.dataDir, "yun.db"), query], { encoding: "utf8", timeout: 30000 });
    assert.equal(r.status, 0, `${query}: ${r.stderr}${r.error || ""}`);
    return r.stdout.split("\n").filter((l) => l !== "");
  }

  audit(limit) {
    const args = ["audit"];
    if (limit) args.push("--limit", String(limit));
    return this.admin(...args).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  }
}

/*
 * Starts a fresh daemon. opts: {config} (object written as the config file), {sqlite} (SQLite even
 * with YUN_TEST_STORE), {args} (more `yun up` flags), {wrap} (a command prefix, e.g. strace), {relativeData} (`--data ./NAME`
 * from the data dir's parent as cwd, as `make run` does). Daemons with the host
 * role share this machine's network (VPC namespaces, nftables tables): run one at a time.
 */
async function startDaemon(opts = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "yun-sdk-"));
  const port = await freePort();
  const d = new Daemon({ config: opts.config, dataDir, port, relativeData: opts.relativeData, args: opts.args,
    store: opts.sqlite ? "" : testStore(dataDir), wrap: opts.wrap });
  return d.start();
}

/* Polls fn() until pred(value) holds; returns the value, or fails after timeoutMs with the last value. */
async function waitFor(fn, pred, timeoutMs, what = "condition", everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let v;
  for (;;) {
    v = await fn();
    if (pred(v)) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v)?.slice(0, 2000)}`);
    await sleep(everyMs);
  }
}

/*
 * Awaits p, expects an API error whose code equals `code` (string), matches it
 * (RegExp or any {test(code)}), or is in it (array). Returns the error. Fails printing the response
 * if p resolved.
 */
async function rejectsWith(p, code, msg) {
  let res;
  try {
    res = await p;
  } catch (e) {
    const ok = typeof code?.test === "function" ? code.test(e.code || "")
      : Array.isArray(code) ? code.includes(e.code) : e.code === code;
    assert.ok(ok, `${msg ? msg + ": " : ""}expected error ${code}, got code=${e.code} message=${e.message}`);
    return e;
  }
  assert.fail(`${msg ? msg + ": " : ""}expected error ${code}, but the call succeeded: ${JSON.stringify(res)}`);
}

module.exports = { Daemon, TEST_STORE, startDaemon, rejectsWith, waitFor, freePort, sleep, credOf, BIN, REPO };
