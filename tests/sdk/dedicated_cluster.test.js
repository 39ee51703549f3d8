/*
 * Dedicated clusters (cdc 2020-12-14) through the official SDK: sites (create, describe, detail,
 * modify, delete), a dedicated cluster bound to a zone, the operator assigning the built-in host to
 * it (`yun admin hosts assign host-local --cluster ID`, audited), its hosts and overview; only the
 * cluster's owner launches there (RunInstances DedicatedClusterId, CDCPAID), nobody lands there
 * from the shared pool; cbs CreateDisks in the cluster (its owner only); CDCPAID is priced by the cluster's own price book rows; what holds hosts
 * or clusters is not deleted. One guest boots.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
let d, a, b, cdcA, cdcB, cvmA, cvmB, cbsA, cbsB, image, siteId, clusterId, instanceId;

before(async () => {
  d = await startDaemon({ config: { compute: { boot_concurrency: 1 } } });
  a = d.createAccount("cdc-owner");
  b = d.createAccount("someone-else");
  cdcA = d.cdc(a);
  cdcB = d.cdc(b);
  cvmA = d.cvm(a);
  cvmB = d.cvm(b);
  cbsA = d.cbs(a);
  cbsB = d.cbs(b);
  image = (await cvmA.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
});

after(async () => {
  if (!d) return;
  try {
    if (instanceId) await cvmA.TerminateInstances({ InstanceIds: [instanceId] }).catch(() => {});
  } finally {
    await d.destroy();
  }
});

/* `yun admin ...` that may fail (d.admin asserts success), on the daemon's store */
const adminRun = (...args) => d.run(["admin", ...args, "--data", d.dataDir, ...(d.store ? ["--store", d.store] : [])]);
const run = (cvm, extra = {}) => cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1", ...extra });

test("sites: create, describe, detail, modify; other accounts see none", async () => {
  await rejectsWith(cdcA.CreateSite({ Name: "no-address" }), "MissingParameter");
  siteId = (await cdcA.CreateSite({ Name: "room-1", Country: "China", Province: "Guangdong", City: "Shenzhen",
    AddressLine: "Shennan Road 10000", Description: "first", PostalCode: 518000, FiberType: "MM", UplinkCount: 2,
    NeedHelp: true })).SiteId;
  assert.match(siteId, /^site-[a-z0-9]{8}$/);
  const s = await cdcA.DescribeSites({});
  assert.equal(s.TotalCount, 1);
  assert.deepEqual(Object.keys(s.SiteSet[0]).sort(), ["CreateTime", "Description", "Name", "SiteId"]);
  assert.equal(s.SiteSet[0].Name, "room-1");
  assert.equal((await cdcA.DescribeSites({ Name: "nothing-like-it" })).TotalCount, 0);
  await cdcA.ModifySiteInfo({ SiteId: siteId, Name: "room-one", City: "Guangzhou", PostalCode: "510000" });
  await cdcA.ModifySiteDeviceInfo({ SiteId: siteId, UplinkSpeedGbps: 10, RedundantPower: true });
  const detail = (await cdcA.DescribeSitesDetail({ SiteIds: [siteId] })).SiteDetailSet[0];
  assert.equal(detail.Name, "room-one");
  assert.equal(detail.City, "Guangzhou");
  assert.equal(detail.Province, "Guangdong");
  assert.equal(detail.PostalCode, 510000);
  assert.equal(detail.FiberType, "MM");
  assert.equal(detail.UplinkCount, 2);
  assert.equal(detail.UplinkSpeedGbps, 10);
  assert.equal(detail.NeedHelp, true);
  assert.equal(detail.RedundantPower, true);
  assert.equal(detail.BreakerRequirement, false);
  assert.equal((await cdcB.DescribeSites({})).TotalCount, 0);
  await rejectsWith(cdcB.ModifySiteInfo({ SiteId: siteId, Name: "mine" }), "ResourceNotFound");
});

test("a dedicated cluster bound to a zone, PENDING with no host; nobody can launch into it yet", async () => {
  await rejectsWith(cdcA.CreateDedicatedCluster({ SiteId: siteId, Name: "c", Zone: "ap-guangzhou-2" }), "InvalidParameterValue");
  await rejectsWith(cdcB.CreateDedicatedCluster({ SiteId: siteId, Name: "c", Zone: ZONE }), "ResourceNotFound");
  clusterId = (await cdcA.CreateDedicatedCluster({ SiteId: siteId, Name: "cluster-1", Zone: ZONE, Description: "d" })).DedicatedClusterId;
  assert.match(clusterId, /^cluster-[a-z0-9]{8}$/);
  const c = (await cdcA.DescribeDedicatedClusters({ DedicatedClusterIds: [clusterId] })).DedicatedClusterSet[0];
  assert.equal(c.Zone, ZONE);
  assert.equal(c.SiteId, siteId);
  assert.equal(c.Name, "cluster-1");
  assert.equal(c.LifecycleStatus, "PENDING");
  assert.equal((await cdcA.DescribeDedicatedClusters({ Zones: ["ap-local-2"] })).TotalCount, 0);
  assert.equal((await cdcB.DescribeDedicatedClusters({})).TotalCount, 0);
  await rejectsWith(cdcB.DescribeDedicatedClusterHosts({ DedicatedClusterId: clusterId }), "ResourceNotFound");
  assert.equal((await cdcA.DescribeDedicatedClusterHosts({ DedicatedClusterId: clusterId })).TotalCount, 0);
  await rejectsWith(run(cvmA, { InstanceChargeType: "CDCPAID", DedicatedClusterId: clusterId }),
    "ResourceInsufficient.SpecifiedInstanceType");
  await rejectsWith(run(cvmA, { InstanceChargeType: "CDCPAID" }), "MissingParameter");
  await rejectsWith(cbsA.CreateDisks({ Placement: { Zone: ZONE, DedicatedClusterId: clusterId }, DiskChargeType: "CDCPAID",
    DiskType: "CLOUD_PREMIUM", DiskSize: 20 }), "ResourceInsufficient", "no host to keep a disk on yet");
  await rejectsWith(run(cvmA, { DedicatedClusterId: clusterId }), "InvalidParameter");
  await cdcA.ModifyDedicatedClusterInfo({ DedicatedClusterId: clusterId, Name: "cluster-one" });
  assert.equal((await cdcA.DescribeDedicatedClusters({ Name: "one" })).DedicatedClusterSet[0].Name, "cluster-one");
});

test("the operator assigns the built-in host to the cluster (audited); only its owner launches there", async () => {
  const bad = adminRun("hosts", "assign", "host-local", "--cluster", "cluster-nothere");
  assert.equal(bad.status, 1);
  const out = JSON.parse(d.admin("hosts", "assign", "host-local", "--cluster", clusterId));
  assert.equal(out.DedicatedClusterId, clusterId);
  const audit = d.audit(20).filter((e) => e.Action === "HostAssignCluster");
  assert.deepEqual(audit.map((e) => e.Result), ["ResourceNotFound", "Success"]);
  assert.equal(audit[1].Uin, a.Uin, "recorded under the cluster's owner");

  const hosts = await cdcA.DescribeDedicatedClusterHosts({ DedicatedClusterId: clusterId });
  assert.equal(hosts.TotalCount, 1);
  assert.equal(hosts.HostInfoSet[0].HostId, "host-local");
  assert.equal(hosts.HostInfoSet[0].HostStatus, "ONLINE");
  assert.equal(hosts.HostInfoSet[0].CpuAvailable, hosts.HostInfoSet[0].CpuTotal);
  assert.equal((await cdcA.DescribeDedicatedClusters({})).DedicatedClusterSet[0].LifecycleStatus, "RUNNING");

  // B: not with A's cluster id (not found), not from the shared pool (no host left there)
  await rejectsWith(run(cvmB, { InstanceChargeType: "CDCPAID", DedicatedClusterId: clusterId }), "InvalidParameterValue");
  await rejectsWith(run(cvmB), "ResourceInsufficient.SpecifiedInstanceType");
  await rejectsWith(run(cvmA), "ResourceInsufficient.SpecifiedInstanceType", "A's shared-pool launch neither");

  // CDC pricing: the price book's cdc rows, the cluster's own row once the operator sets one
  const quote = async () => (await cvmA.InquiryPriceRunInstances({ Placement: { Zone: ZONE }, ImageId: image,
    InstanceType: "S5.SMALL1", InstanceChargeType: "CDCPAID", DedicatedClusterId: clusterId })).Price.InstancePrice.UnitPrice;
  const near = (x, y) => assert.ok(Math.abs(x - y) < 1e-6, `${x} != ${y}`);
  near(await quote(), 0.08 + 0.04 + 20 * 0.0005); // 1 vCPU, 1 GiB at the default cdc rows, a 20 GiB system disk
  d.admin("price", "set", "--product", "cdc", "--component", "v_cdc_cpu", "--item", clusterId, "--price", "0.5");
  near(await quote(), 0.5 + 0.04 + 20 * 0.0005);
  await rejectsWith(cvmB.InquiryPriceRunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceChargeType: "CDCPAID",
    DedicatedClusterId: clusterId }), "InvalidParameterValue");

  instanceId = (await run(cvmA, { InstanceChargeType: "CDCPAID", DedicatedClusterId: clusterId })).InstanceIdSet[0];
  const ins = (await cvmA.DescribeInstances({ InstanceIds: [instanceId] })).InstanceSet[0];
  assert.equal(ins.InstanceChargeType, "CDCPAID");
  const ov = await cdcA.DescribeDedicatedClusterOverview({ DedicatedClusterId: clusterId });
  assert.equal(ov.CvmCount, 1);
  assert.equal(ov.HostCount, 1);
  assert.equal(ov.HostNormalCount, 1);
  assert.equal(ov.HostDetailInfo[0].CpuAvailable, ov.HostDetailInfo[0].CpuTotal - 1);
  assert.equal((await cvmB.DescribeInstances({})).TotalCount, 0);

  // cbs: a disk in the cluster, for its owner only
  const disk = (await cbsA.CreateDisks({ Placement: { Zone: ZONE, DedicatedClusterId: clusterId }, DiskChargeType: "CDCPAID",
    DiskType: "CLOUD_PREMIUM", DiskSize: 20 })).DiskIdSet[0];
  const shown = (await cbsA.DescribeDisks({ DiskIds: [disk] })).DiskSet[0];
  assert.equal(shown.Placement.DedicatedClusterId, clusterId);
  assert.equal(shown.DiskChargeType, "CDCPAID");
  await rejectsWith(cbsB.CreateDisks({ Placement: { Zone: ZONE, DedicatedClusterId: clusterId }, DiskChargeType: "CDCPAID",
    DiskType: "CLOUD_PREMIUM", DiskSize: 20 }), "InvalidParameterValue");
  await rejectsWith(cbsA.CreateDisks({ Placement: { Zone: ZONE }, DiskChargeType: "CDCPAID", DiskType: "CLOUD_PREMIUM",
    DiskSize: 20 }), "MissingParameter");
  await cbsA.TerminateDisks({ DiskIds: [disk] });
});

test("what holds hosts, instances or clusters is not deleted; then everything goes", async () => {
  await rejectsWith(cdcA.DeleteSites({ SiteIds: [siteId] }), "ResourceInUse");
  await rejectsWith(cdcA.DeleteDedicatedClusters({ DedicatedClusterIds: [clusterId] }), "ResourceInUse");
  await rejectsWith(cdcA.ModifyDedicatedClusterInfo({ DedicatedClusterId: clusterId, Zone: "ap-local-2" }), "UnsupportedOperation");
  const held = adminRun("hosts", "assign", "host-local", "--shared");
  assert.equal(held.status, 1);
  assert.match(held.stderr, /holds 1 instances/);
  await cvmA.TerminateInstances({ InstanceIds: [instanceId] });
  await waitFor(() => cvmA.DescribeInstances({ InstanceIds: [instanceId] }), (r) => r.TotalCount === 0, 90000, "terminated");
  instanceId = null;
  d.admin("hosts", "assign", "host-local", "--shared");
  assert.equal((await cdcA.DescribeDedicatedClusterHosts({ DedicatedClusterId: clusterId })).TotalCount, 0);
  await cdcA.DeleteDedicatedClusters({ DedicatedClusterIds: [clusterId] });
  await cdcA.DeleteSites({ SiteIds: [siteId] });
  assert.equal((await cdcA.DescribeSites({})).TotalCount, 0);
  assert.equal((await cdcA.DescribeDedicatedClusters({})).TotalCount, 0);
  // the host is back in the shared pool: anyone's DryRun fits again
  assert.deepEqual(Object.keys(await run(cvmB, { DryRun: true })), ["RequestId"]);
});
