/*
 * The first start as the README runs it: `yun up --data ./data` (a relative data directory, as `make run`
 * passes), then one instance launched to RUNNING. Everything under the data directory must be absolute to
 * QEMU and qemu-img, whatever the daemon's cwd.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, waitFor } = require("./lib/yund");

const BOOT_MS = 60000;
let d, cvm, common;

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
});
