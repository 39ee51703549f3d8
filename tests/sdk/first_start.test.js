/*
 * The first start as the README runs it: `yun up --data ./data` (a relative data directory, as `make run`
 * passes), then one instance launched to RUNNING. Everything under the data directory must be absolute to
 * QEMU and qemu-img, whatever the daemon's cwd.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { startDaemon, waitFor } = require("./lib/yund");

const BOOT_MS = 60000;
let d, cvm, common;
const st = {};

before(async () => {
  d = await startDaemon({ relativeData: true });
  cvm = d.cvm();
  common = d.common("2017-03-12");
});

after(async () => {
  if (!d) return;
  try {
    const left = await cvm.DescribeInstances({ Limit: 100 });
    const ids = left.InstanceSet.map((i) => i.InstanceId);
    if (ids.length) {
      await cvm.TerminateInstances({ InstanceIds: ids }).catch(() => {});
      await waitFor(() => cvm.DescribeInstances({ InstanceIds: ids }), (r) => r.TotalCount === 0, 30000, "terminated");
    }
  } finally {
    await d.destroy();
  }
});

test("yun up with a relative --data launches an instance to RUNNING", async () => {
  const image = (await cvm.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0];
  const token = `first${Date.now().toString(36)}`;
  const script = `#!/bin/sh\necho "user-data says ${token}"\nexit 0\n`;
  const r = await cvm.RunInstances({
    Placement: { Zone: "ap-local-1" }, ImageId: image.ImageId, InstanceType: "S5.SMALL1",
    UserData: Buffer.from(script).toString("base64"),
  });
  const id = r.InstanceIdSet[0];
  const i = await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0],
    (x) => x.InstanceState !== "PENDING", BOOT_MS, "leaving PENDING", 50);
  assert.equal(i.InstanceState, "RUNNING", `state ${i.InstanceState}: ${i.LatestOperationErrorMsg || ""}`);
  assert.match(d.output, /data in \//, "the daemon reports its data directory as an absolute path");
  // the guest booted from its disk and fetched its user data from the metadata service
  const out = await waitFor(async () => (await common.request("GetInstanceConsoleOutput", { InstanceId: id })).Output,
    (o) => /YUN-USERDATA-RAN/.test(o), BOOT_MS, "user data ran", 250);
  assert.match(out, new RegExp(`user-data says ${token}`));
  st.launched = { id, token };
});

test("user data is sealed at rest: yun.db holds no plaintext, the guest still got it (above)", () => {
  assert.ok(st.launched, "needs the launched instance");
  const { id, token } = st.launched;
  const r = d.exec("sqlite3", [path.join(d.dataDir, "yun.db"),
    `SELECT hex(user_data) FROM instances WHERE instance_id = '${id}'`]);
  assert.equal(r.status, 0, r.stderr);
  const hex = r.stdout.trim();
  assert.ok(hex.length > 0, "a user data blob is stored");
  assert.ok(!hex.includes(Buffer.from(token).toString("hex").toUpperCase()), "the token is stored in plaintext");
  assert.ok(!hex.includes(Buffer.from("#!/bin/sh").toString("hex").toUpperCase()), "the script is stored in plaintext");
  assert.ok(hex.startsWith(Buffer.from("YS1").toString("hex").toUpperCase()), `not a sealed blob: ${hex.slice(0, 16)}`);
});

test("the data directory is 0700 and its files 0600, also when an older start left them open", async () => {
  const mode = (f) => fs.statSync(f).mode & 0o777;
  const files = () => fs.readdirSync(d.dataDir).filter((f) => /^(yun\.db.*|master\.key|credentials\.json)$/.test(f));
  assert.equal(mode(d.dataDir), 0o700);
  assert.ok(files().includes("yun.db"));
  for (const f of files()) assert.equal(mode(path.join(d.dataDir, f)), 0o600, `${f} mode ${mode(path.join(d.dataDir, f)).toString(8)}`);
  await d.stop();
  fs.chmodSync(d.dataDir, 0o755);
  for (const f of files()) fs.chmodSync(path.join(d.dataDir, f), 0o644);
  await d.start();
  assert.match(d.output, /had mode 0755; now 0700/);
  assert.match(d.output, /readable by others; now owner-only/);
  assert.equal(mode(d.dataDir), 0o700);
  for (const f of files()) assert.equal(mode(path.join(d.dataDir, f)), 0o600, `${f} after restart`);
});
