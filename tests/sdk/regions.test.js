/* cvm DescribeRegions / DescribeZones through the official node SDK. */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

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

/* One control plane, two regions: ap-local has the built-in host, eu-lab has none. Each regional
 * resource lives in the region it was made in; from the other region its id is "not found", and
 * deleting it from there changes nothing. One guest is launched (and terminated without waiting
 * for its boot); run inside /work/wt/netns-run.sh like every test with the host role. */
test("resources belong to their region: lists, ids and deletes from the other region", async () => {
  const config = {
    region: "ap-local",
    regions: [
      { Region: "ap-local", RegionName: "Local", Zones: [{ Zone: "ap-local-1", ZoneName: "Local Zone 1", ZoneId: "100001" },
        { Zone: "ap-local-2", ZoneName: "Local Zone 2", ZoneId: "100002" }] },
      { Region: "eu-lab", RegionName: "Lab", Zones: [{ Zone: "eu-lab-1", ZoneName: "Lab 1", ZoneId: "300001" }] },
    ],
  };
  const r = await startDaemon({ config });
  try {
    r.admin("recharge", "--uin", r.creds.Uin, "--cents", "1000000");
    const at = (region) => ({ cvm: r.cvm(undefined, { region }), vpc: r.vpc(undefined, { region }), cbs: r.cbs(undefined, { region }) });
    const lab = at("eu-lab"), local = at("ap-local");

    // eu-lab: a VPC with a subnet, a security group, a key pair, an EIP: data, no host needed
    const vpcId = (await lab.vpc.CreateVpc({ VpcName: "lab", CidrBlock: "10.50.0.0/16" })).Vpc.VpcId;
    const subnetId = (await lab.vpc.CreateSubnet({ VpcId: vpcId, SubnetName: "lab-a", CidrBlock: "10.50.1.0/24", Zone: "eu-lab-1" }))
      .Subnet.SubnetId;
    const sgId = (await lab.vpc.CreateSecurityGroup({ GroupName: "lab-sg", GroupDescription: "lab" })).SecurityGroup.SecurityGroupId;
    const keyId = (await lab.cvm.CreateKeyPair({ KeyName: "lab_key", ProjectId: 0 })).KeyPair.KeyId;
    const eipId = (await lab.vpc.AllocateAddresses({})).AddressSet[0];
    // a disk needs storage on a host: refused in eu-lab, made in ap-local
    const diskArgs = (zone) => ({ Placement: { Zone: zone }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: 10 });
    await rejectsWith(lab.cbs.CreateDisks(diskArgs("eu-lab-1")), "ResourceInsufficient");
    assert.equal((await lab.cbs.DescribeDisks({})).TotalCount, 0, "the refused CreateDisks left no disk");
    const diskId = (await local.cbs.CreateDisks(diskArgs("ap-local-1"))).DiskIdSet[0];

    // the lists of the other region do not show them
    const listed = async (c) => ({
      vpcs: (await c.vpc.DescribeVpcs({})).VpcSet.map((v) => v.VpcId),
      subnets: (await c.vpc.DescribeSubnets({})).SubnetSet.map((v) => v.SubnetId),
      sgs: (await c.vpc.DescribeSecurityGroups({})).SecurityGroupSet.map((g) => g.SecurityGroupId),
      keys: (await c.cvm.DescribeKeyPairs({})).KeyPairSet.map((k) => k.KeyId),
      eips: (await c.vpc.DescribeAddresses({})).AddressSet.map((a) => a.AddressId),
      disks: (await c.cbs.DescribeDisks({})).DiskSet.map((x) => x.DiskId),
    });
    const inLocal = await listed(local), inLab = await listed(lab);
    for (const [k, id] of [["vpcs", vpcId], ["subnets", subnetId], ["sgs", sgId], ["keys", keyId], ["eips", eipId]]) {
      assert.ok(inLab[k].includes(id), `eu-lab lists its ${k}`);
      assert.ok(!inLocal[k].includes(id), `ap-local does not list eu-lab's ${k}`);
    }
    assert.ok(inLocal.disks.includes(diskId));
    assert.ok(!inLab.disks.includes(diskId), "eu-lab does not list ap-local's disk");

    // by id from the other region: not found, as Tencent answers
    await rejectsWith(local.vpc.DescribeVpcs({ VpcIds: [vpcId] }), "ResourceNotFound");
    await rejectsWith(local.vpc.DescribeSubnets({ SubnetIds: [subnetId] }), "ResourceNotFound");
    await rejectsWith(local.vpc.DescribeSecurityGroups({ SecurityGroupIds: [sgId] }), "ResourceNotFound");
    await rejectsWith(local.cvm.DescribeKeyPairs({ KeyIds: [keyId] }), "InvalidKeyPairId.NotFound");
    await rejectsWith(local.vpc.DescribeAddresses({ AddressIds: [eipId] }), "InvalidAddressId.NotFound");
    await rejectsWith(lab.cbs.DescribeDisks({ DiskIds: [diskId] }), "InvalidDiskId.NotFound");

    // changes from the other region fail and change nothing
    await rejectsWith(local.vpc.DeleteSubnet({ SubnetId: subnetId }), "ResourceNotFound");
    await rejectsWith(local.vpc.DeleteVpc({ VpcId: vpcId }), "ResourceNotFound");
    await rejectsWith(local.vpc.DeleteSecurityGroup({ SecurityGroupId: sgId }), "ResourceNotFound");
    await rejectsWith(local.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sgId, SecurityGroupPolicySet: { Ingress: [{ Protocol: "TCP", Port: "22", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } }), "ResourceNotFound");
    await rejectsWith(local.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: sgId }), "ResourceNotFound");
    await rejectsWith(local.cvm.DeleteKeyPairs({ KeyIds: [keyId] }), "InvalidKeyPairId.NotFound");
    await rejectsWith(local.vpc.ReleaseAddresses({ AddressIds: [eipId] }), "InvalidAddressId.NotFound");
    await rejectsWith(lab.cbs.TerminateDisks({ DiskIds: [diskId] }), "InvalidDiskId.NotFound");
    // a resource of another region cannot be used either: a subnet in eu-lab's VPC from ap-local
    await rejectsWith(local.vpc.CreateSubnet({ VpcId: vpcId, SubnetName: "x", CidrBlock: "10.50.2.0/24", Zone: "ap-local-1" }),
      "ResourceNotFound");
    assert.deepEqual(await listed(lab), inLab, "eu-lab is unchanged");
    assert.deepEqual(await listed(local), inLocal, "ap-local is unchanged");
    assert.equal((await lab.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: sgId })).SecurityGroupPolicySet.Ingress.length, 0,
      "the refused policy was not added");

    // launches: eu-lab has no host, so nothing is placed and nothing half-made stays (no default VPC);
    // from ap-local, eu-lab's key pair is not found
    const image = (await local.cvm.DescribeImages({})).ImageSet[0].ImageId;
    const vpcsBefore = (await lab.vpc.DescribeVpcs({})).TotalCount;
    const e = await rejectsWith(lab.cvm.RunInstances({ Placement: { Zone: "eu-lab-1" }, ImageId: image, InstanceType: "S5.SMALL1" }),
      /^ResourceInsufficient/);
    assert.match(e.message, /eu-lab-1/);
    assert.equal((await lab.vpc.DescribeVpcs({})).TotalCount, vpcsBefore, "the refused launch left no default VPC");
    assert.equal((await lab.cvm.DescribeInstances({})).TotalCount, 0);
    await rejectsWith(local.cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceType: "S5.SMALL1",
      LoginSettings: { KeyIds: [keyId] } }), "InvalidKeyPairId.NotFound");
    assert.equal((await local.cvm.DescribeInstances({})).TotalCount, 0, "nothing was launched");

    // a snapshot (of the ap-local disk) and an instance (the one guest this file starts) are in the
    // region of their zone
    const snapId = (await local.cbs.CreateSnapshot({ DiskId: diskId, SnapshotName: "local-snap" })).SnapshotId;
    await waitFor(async () => (await local.cbs.DescribeSnapshots({ SnapshotIds: [snapId] })).SnapshotSet[0],
      (x) => x && x.SnapshotState === "NORMAL", 60000, "snapshot NORMAL");
    assert.equal((await lab.cbs.DescribeSnapshots({})).TotalCount, 0, "eu-lab does not list ap-local's snapshot");
    await rejectsWith(lab.cbs.DescribeSnapshots({ SnapshotIds: [snapId] }), "InvalidSnapshotId.NotFound");
    await rejectsWith(lab.cbs.DeleteSnapshots({ SnapshotIds: [snapId] }), "InvalidSnapshotId.NotFound");
    assert.equal((await local.cbs.DescribeSnapshots({ SnapshotIds: [snapId] })).TotalCount, 1, "the snapshot is still there");
    await local.cbs.DeleteSnapshots({ SnapshotIds: [snapId] });
    const insId = (await local.cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceType: "S5.SMALL1" }))
      .InstanceIdSet[0];
    assert.equal((await lab.cvm.DescribeInstances({})).TotalCount, 0, "eu-lab does not list ap-local's instance");
    assert.equal((await lab.cvm.DescribeInstancesStatus({})).TotalCount, 0);
    await rejectsWith(lab.cvm.DescribeInstances({ InstanceIds: [insId] }), "InvalidInstanceId.NotFound");
    await rejectsWith(lab.cvm.TerminateInstances({ InstanceIds: [insId] }), "InvalidInstanceId.NotFound");
    await rejectsWith(lab.cbs.AttachDisks({ DiskIds: [diskId], InstanceId: insId }), "InvalidDiskId.NotFound");
    const mine = (await local.cvm.DescribeInstances({ InstanceIds: [insId] })).InstanceSet[0];
    assert.notEqual(mine.InstanceState, "TERMINATING", "the refused terminate changed nothing");
    await local.cvm.TerminateInstances({ InstanceIds: [insId] });
    await waitFor(() => local.cvm.DescribeInstances({}), (x) => x.TotalCount === 0, 90000, "instance gone", 250);

    // in their own region the same ids work
    await lab.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sgId, SecurityGroupPolicySet: { Ingress: [{ Protocol: "TCP", Port: "22", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
    assert.equal((await lab.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: sgId })).SecurityGroupPolicySet.Ingress.length, 1);
    await lab.vpc.DeleteSecurityGroup({ SecurityGroupId: sgId });
    await lab.cvm.DeleteKeyPairs({ KeyIds: [keyId] });
    await lab.vpc.ReleaseAddresses({ AddressIds: [eipId] });
    await lab.vpc.DeleteSubnet({ SubnetId: subnetId });
    await lab.vpc.DeleteVpc({ VpcId: vpcId });
    await local.cbs.TerminateDisks({ DiskIds: [diskId] });
    const after = await listed(lab);
    for (const [k, id] of [["vpcs", vpcId], ["sgs", sgId], ["keys", keyId], ["eips", eipId]]) assert.ok(!after[k].includes(id), `${k} deleted`);
  } finally {
    await r.destroy();
  }
});

test("SIGTERM stops the daemon gracefully (exit code 0)", async () => {
  const d3 = await startDaemon();
  const r = await d3.stop();
  await d3.destroy();
  assert.deepEqual(r, { code: 0, signal: null });
  assert.ok(!fs.existsSync(d3.dataDir));
});
