/* cvm DescribeRegions / DescribeZones through the official node SDK. */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { startDaemon, rejectsWith } = require("./lib/yund");

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d?.destroy(); });

test("first start writes credentials.json (0600) with the documented fields", () => {
  assert.equal(d.credentialsMode, 0o600);
  for (const k of ["SecretId", "SecretKey", "Endpoint", "Region", "Uin"]) assert.ok(d.creds[k], `credentials.json lacks ${k}`);
  assert.equal(d.creds.Endpoint, d.endpoint);
  assert.equal(d.creds.Region, "ap-local");
  assert.match(String(d.creds.Uin), /^[0-9]+$/);
});

test("DescribeRegions returns the default region", async () => {
  const r = await d.cvm().DescribeRegions({});
  assert.match(r.RequestId, /^[0-9a-f-]{36}$/);
  assert.equal(r.TotalCount, r.RegionSet.length);
  assert.deepEqual(r.RegionSet, [{ Region: "ap-local", RegionName: "Local", RegionState: "AVAILABLE" }]);
});

test("DescribeZones returns the default zones of the header region", async () => {
  const r = await d.cvm().DescribeZones({});
  assert.equal(r.TotalCount, 2);
  assert.deepEqual(r.ZoneSet, [
    { Zone: "ap-local-1", ZoneName: "Local Zone 1", ZoneId: "100001", ZoneState: "AVAILABLE" },
    { Zone: "ap-local-2", ZoneName: "Local Zone 2", ZoneId: "100002", ZoneState: "AVAILABLE" },
  ]);
});

test("DescribeZones with no arguments at all (SDK sends {})", async () => {
  const r = await d.cvm().DescribeZones();
  assert.equal(r.ZoneSet.length, 2);
});

test("DescribeZones in an unknown region is UnsupportedRegion", async () => {
  await rejectsWith(d.cvm(undefined, { region: "ap-nowhere" }).DescribeZones({}), "UnsupportedRegion");
});

test("every request gets a distinct RequestId", async () => {
  const ids = new Set();
  for (let i = 0; i < 5; i++) ids.add((await d.cvm().DescribeZones({})).RequestId);
  assert.equal(ids.size, 5);
});

test("regions and zones come from the config file", async () => {
  const config = {
    region: "eu-home",
    regions: [
      { Region: "eu-home", RegionName: "Home", Zones: [{ Zone: "eu-home-1", ZoneName: "Home 1", ZoneId: "200001" }] },
      { Region: "eu-lab", RegionName: "Lab", Zones: [
        { Zone: "eu-lab-1", ZoneName: "Lab 1", ZoneId: "300001" },
        { Zone: "eu-lab-2", ZoneName: "Lab 2", ZoneId: "300002" },
        { Zone: "eu-lab-3", ZoneName: "Lab 3", ZoneId: "300003" }] },
    ],
  };
  const d2 = await startDaemon({ config });
  try {
    assert.equal(d2.creds.Region, "eu-home");
    const regions = await d2.cvm(undefined, { region: "eu-home" }).DescribeRegions({});
    assert.equal(regions.TotalCount, 2);
    assert.deepEqual(regions.RegionSet.map((r) => [r.Region, r.RegionName]), [["eu-home", "Home"], ["eu-lab", "Lab"]]);
    const lab = await d2.cvm(undefined, { region: "eu-lab" }).DescribeZones({});
    assert.equal(lab.TotalCount, 3);
    assert.deepEqual(lab.ZoneSet.map((z) => z.Zone), ["eu-lab-1", "eu-lab-2", "eu-lab-3"]);
    assert.equal(lab.ZoneSet[2].ZoneId, "300003");
    await rejectsWith(d2.cvm(undefined, { region: "ap-local" }).DescribeZones({}), "UnsupportedRegion");
  } finally {
    await d2.destroy();
  }
});

test("SIGTERM stops the daemon gracefully (exit code 0)", async () => {
  const d3 = await startDaemon();
  const r = await d3.stop();
  await d3.destroy();
  assert.deepEqual(r, { code: 0, signal: null });
  assert.ok(!fs.existsSync(d3.dataDir));
});
