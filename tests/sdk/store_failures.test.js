/*
 * A store write that fails is never ignored (issue 9): when the instance history (what billing
 * will charge from) or the ClientToken record cannot be written, the action fails with
 * InternalError and leaves nothing behind, instead of succeeding with the record lost. The
 * failures are injected with SQLite triggers on the daemon's own database (sqlite3 CLI, WAL mode).
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { startDaemon, rejectsWith } = require("./lib/yund");

let d, image;
const sql = (q) => {
  const r = spawnSync("sqlite3", [path.join(d.dataDir, "yun.db"), q], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};
const run = { Placement: { Zone: "ap-local-1" }, InstanceType: "S5.SMALL1" };

before(async () => {
  d = await startDaemon();
  image = (await d.cvm().DescribeImages({})).ImageSet[0].ImageId;
  run.ImageId = image;
});
after(async () => { await d?.destroy(); });

test("RunInstances fails, and launches nothing, when the instance history cannot be written", async () => {
  sql("CREATE TRIGGER fail_events BEFORE INSERT ON instance_events BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  try {
    await rejectsWith(d.cvm().RunInstances(run), "InternalError");
  } finally {
    sql("DROP TRIGGER fail_events;");
  }
  assert.equal((await d.cvm().DescribeInstances({})).TotalCount, 0, "no instance without its history");
  assert.equal(sql("SELECT count(*) FROM instances;"), "0");
  assert.equal(d.qemuPids().length, 0, "no guest was started");
});

test("RunInstances with a ClientToken fails when the token cannot be recorded", async () => {
  sql("CREATE TRIGGER fail_tokens BEFORE INSERT ON client_tokens BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  try {
    await rejectsWith(d.cvm().RunInstances({ ...run, ClientToken: "tok-1" }), "InternalError");
  } finally {
    sql("DROP TRIGGER fail_tokens;");
  }
  assert.equal(sql("SELECT count(*) FROM instances;"), "0", "a retry with the token cannot launch a second one");
});
