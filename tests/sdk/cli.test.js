/* The `yun` CLI against a running daemon, cross-checked with the official SDK. */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { startDaemon } = require("./lib/yund");

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d?.destroy(); });

/* Runs the CLI; returns {status, out (parsed inner Response or null), text}. */
function yun(args, env) {
  const r = d.run(args, { env });
  const text = r.stdout + r.stderr;
  let out = null;
  try { out = JSON.parse(r.stdout); } catch { /* not JSON */ }
  if (out && out.Response) out = out.Response;
  return { status: r.status, out, text };
}
const dataArgs = () => ["--data", d.dataDir];

test("cvm DescribeZones with --data", () => {
  const r = yun(["cvm", "DescribeZones", ...dataArgs()]);
  assert.equal(r.status, 0, r.text);
  assert.equal(r.out.TotalCount, 2);
  assert.deepEqual(r.out.ZoneSet.map((z) => z.Zone), ["ap-local-1", "ap-local-2"]);
  assert.ok(r.out.RequestId);
});

test("cam AddUser --Name, visible through the SDK", async () => {
  const r = yun(["cam", "AddUser", "--Name", "dave", "--Remark", "two words", "--UseApi", "1", ...dataArgs()]);
  assert.equal(r.status, 0, r.text);
  assert.equal(r.out.Name, "dave");
  assert.equal(typeof r.out.Uin, "number");
  assert.ok(r.out.SecretId);
  const g = await d.cam().GetUser({ Name: "dave" });
  assert.equal(g.Uin, r.out.Uin);
  assert.equal(g.Remark, "two words");
});

test("--cli-input-json FILE", async () => {
  const file = path.join(d.dataDir, "..", path.basename(d.dataDir) + ".input.json");
  fs.writeFileSync(file, JSON.stringify({ Name: "erin", Remark: "from file", ConsoleLogin: 0 }));
  try {
    const r = yun(["cam", "AddUser", "--cli-input-json", file, ...dataArgs()]);
    assert.equal(r.status, 0, r.text);
    assert.equal(r.out.Name, "erin");
    assert.equal((await d.cam().GetUser({ Name: "erin" })).Remark, "from file");
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test("tccli-style values: numbers and JSON arrays", async () => {
  const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "cvm:DescribeZones", resource: "*" }] });
  const c = yun(["cam", "CreatePolicy", "--PolicyName", "cli-pol", "--PolicyDocument", doc, ...dataArgs()]);
  assert.equal(c.status, 0, c.text);
  assert.equal(typeof c.out.PolicyId, "number");
  const dave = await d.cam().GetUser({ Name: "dave" });
  const a = yun(["cam", "AttachUserPolicy", "--PolicyId", String(c.out.PolicyId), "--AttachUin", String(dave.Uin), ...dataArgs()]);
  assert.equal(a.status, 0, a.text);
  const l = yun(["cam", "ListAttachedUserPolicies", "--TargetUin", String(dave.Uin), "--Rp", "5", "--Page", "1", ...dataArgs()]);
  assert.equal(l.status, 0, l.text);
  assert.deepEqual(l.out.List.map((p) => p.PolicyId), [c.out.PolicyId]);
  const del = yun(["cam", "DeletePolicy", "--PolicyId", `[${c.out.PolicyId}]`, ...dataArgs()]);
  assert.equal(del.status, 0, del.text);
  await assert.rejects(d.cam().GetPolicy({ PolicyId: c.out.PolicyId }), (e) => /^ResourceNotFound/.test(e.code));
});

test("an API error exits non-zero and prints the error JSON", () => {
  const r = yun(["cam", "GetUser", "--Name", "nobody", ...dataArgs()]);
  assert.notEqual(r.status, 0);
  assert.match(r.text, /"Code"\s*:\s*"ResourceNotFound/);
  // the CLI refuses actions it does not know, unless given a version
  const local = yun(["cvm", "NoSuchAction", ...dataArgs()]);
  assert.notEqual(local.status, 0);
  const u = yun(["cvm", "NoSuchAction", "--version", "2017-03-12", ...dataArgs()]);
  assert.notEqual(u.status, 0, u.text);
  assert.match(u.text, /"Code"\s*:\s*"InvalidAction"/);
});

test("credentials from the environment with --endpoint", async () => {
  const env = { TENCENTCLOUD_SECRET_ID: d.creds.SecretId, TENCENTCLOUD_SECRET_KEY: d.creds.SecretKey, TENCENTCLOUD_REGION: "ap-local" };
  const r = yun(["cvm", "DescribeZones", "--endpoint", d.endpoint], env);
  assert.equal(r.status, 0, r.text);
  assert.equal(r.out.ZoneSet.length, 2);
  // a sub-user key without policies: the CLI reports UnauthorizedOperation
  const u = await d.cam().AddUser({ Name: "nopol", UseApi: 1 });
  const denied = yun(["cvm", "DescribeZones", "--endpoint", d.endpoint],
    { ...env, TENCENTCLOUD_SECRET_ID: u.SecretId, TENCENTCLOUD_SECRET_KEY: u.SecretKey });
  assert.notEqual(denied.status, 0);
  assert.match(denied.text, /UnauthorizedOperation/);
  const bad = yun(["cvm", "DescribeZones", "--endpoint", d.endpoint], { ...env, TENCENTCLOUD_SECRET_KEY: "wrong" });
  assert.notEqual(bad.status, 0);
  assert.match(bad.text, /AuthFailure\.SignatureFailure/);
});

/* yun admin import-image: an image naming a host file is refused; what is imported is a standalone
 * copy, and what tenants read of it names no host path. */
test("admin import-image refuses backing files and shows tenants no host path", async () => {
  const work = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "yun-import-"));
  try {
    const secret = path.join(work, "secret.raw");
    fs.writeFileSync(secret, "HOST-SECRET\n");
    const img = (name, ...opts) => {
      const p = path.join(work, name);
      const r = d.exec("qemu-img", ["create", "-q", "-f", "qcow2", ...opts, p, "16M"]);
      assert.equal(r.status, 0, r.stderr);
      return p;
    };
    const owner = d.createAccount("importer").Uin;
    const before = (await d.cvm().DescribeImages({})).TotalCount;
    for (const evil of [img("evil.qcow2", "-F", "raw", "-b", secret), img("df.qcow2", "-o", `data_file=${secret}`)]) {
      const r = d.run(["admin", "import-image", "--data", d.dataDir, "--file", evil, "--name", "evil", "--owner", String(owner)]);
      assert.notEqual(r.status, 0, `imported ${evil}: ${r.stdout}`);
      assert.match(r.stderr, /backing file|data file/);
    }
    assert.equal((await d.cvm().DescribeImages({})).TotalCount, before, "a refused import registered an image");
    const good = img("good.qcow2");
    const out = JSON.parse(d.admin("import-image", "--file", good, "--name", "good"));
    const set = (await d.cvm().DescribeImages({ ImageIds: [out.ImageId] })).ImageSet;
    assert.equal(set.length, 1);
    const text = JSON.stringify(set[0]);
    assert.ok(!text.includes(work) && !text.includes(d.dataDir), `host path in ${text}`);
    const disk = path.join(d.dataDir, "images", out.ImageId, "disk");
    const info = JSON.parse(d.exec("qemu-img", ["info", "--output=json", disk]).stdout);
    assert.equal(info.format, "qcow2");
    assert.equal(info["backing-filename"], undefined);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test("yun up refuses a configuration key it does not read, in any section", () => {
  const os = require("node:os");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "yun-conf-"));
  try {
    for (const [conf, key] of [[{ compute: { host_network: "10.253.0.0/16" } }, "compute.host_network"],
                               [{ http: { header_timeot: 5 } }, "http.header_timeot"],
                               [{ objekt: {} }, "objekt"]]) {
      const file = path.join(dir, "c.json");
      fs.writeFileSync(file, JSON.stringify(conf));
      const r = d.run(["up", "--data", path.join(dir, "data"), "--listen", "127.0.0.1:1", "--config", file]);
      assert.notEqual(r.status, 0, `started with ${JSON.stringify(conf)}`);
      assert.match(r.stderr + r.stdout, new RegExp(`unknown key "${key.replace(".", "\\.")}"`));
    }
    assert.ok(!fs.existsSync(path.join(dir, "data", "yun.db")), "nothing was created");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("yun up refuses an object.backend it does not have, naming the ones it has", () => {
  const os = require("node:os");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "yun-conf-"));
  try {
    const file = path.join(dir, "c.json");
    fs.writeFileSync(file, JSON.stringify({ object: { backend: "rados" } }));
    const r = d.run(["up", "--data", path.join(dir, "data"), "--listen", "127.0.0.1:1", "--config", file]);
    assert.notEqual(r.status, 0, "started with object.backend rados");
    assert.match(r.stderr + r.stdout, /object\.backend "rados" is not supported \(supported: "file"\)/);
    assert.ok(!fs.existsSync(path.join(dir, "data", "yun.db")), "nothing was created");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("admin clock refuses to move the clock of a daemon without --test-clock; admin price import is all or nothing", () => {
  const r = d.run(["admin", "clock", "--advance", "1h", "--data", d.dataDir]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--test-clock/);
  const now = JSON.parse(d.admin("clock")).Unix;
  assert.ok(Math.abs(now - Date.now() / 1000) < 5, "wall time");
  const fs = require("node:fs");
  const file = `${d.dataDir}.prices.json`;
  const rows = (l) => d.admin("price", "list").split("\n").filter((x) => x.trim()).length;
  const before = rows();
  fs.writeFileSync(file, JSON.stringify([{ Product: "cvm", Component: "v_cvm_cpu", Item: "S9", Price: "0.5" },
    { Product: "cvm", Component: "v_cvm_mem", Item: "S9", Price: "0.1.2" }]));
  const bad = d.run(["admin", "price", "import", file, "--data", d.dataDir]);
  assert.notEqual(bad.status, 0, "a bad row refuses the file");
  assert.equal(rows(), before, "nothing imported");
  fs.writeFileSync(file, JSON.stringify([{ Product: "cvm", Component: "v_cvm_cpu", Item: "S9", Price: "0.5" },
    { Product: "cvm", Component: "v_cvm_mem", Item: "S9", Price: "0.25", PayMode: "postPay" }]));
  d.admin("price", "import", file);
  const list = d.admin("price", "list").split("\n").filter((x) => x.trim()).map((x) => JSON.parse(x));
  assert.equal(list.length, before + 2);
  assert.ok(list.some((p) => p.Item === "S9" && p.Component === "v_cvm_mem" && p.Price === "0.25000000"));
  fs.rmSync(file);
});
