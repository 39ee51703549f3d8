/*
 * VPC (vpc 2017-03-12) through the official node SDK: VPCs, subnets, security groups and their
 * policies, EIPs; the documented errors (CIDR rules, overlaps, quotas, in-use deletes), string
 * and number Offset/Limit, each VPC's VNI (unique, allocated with it), and two-tenant isolation (a foreign id is simply not found).
 * Tests run in order and share state.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith } = require("./lib/yund");

let d, vpc, other;
const ids = {};

const vpcClient = (creds, region = "ap-local") => d.vpc(creds, { region });

before(async () => {
  d = await startDaemon();
  vpc = vpcClient(d.creds);
  const acct = d.createAccount("vpc-tenant-b");
  other = vpcClient({ SecretId: acct.SecretId, SecretKey: acct.SecretKey });
});
after(async () => { await d?.destroy(); });

test("CreateVpc returns the Vpc in the SDK's shape", async () => {
  const r = await vpc.CreateVpc({ VpcName: "main", CidrBlock: "10.0.0.0/16", DnsServers: ["10.0.0.2"], Tags: [{ Key: "env", Value: "test" }] });
  const v = r.Vpc;
  assert.match(v.VpcId, /^vpc-[a-z0-9]{8}$/);
  assert.equal(v.VpcName, "main");
  assert.equal(v.CidrBlock, "10.0.0.0/16");
  assert.equal(v.IsDefault, false);
  assert.equal(v.EnableMulticast, false);
  assert.deepEqual(v.DnsServerSet, ["10.0.0.2"]);
  assert.deepEqual(v.TagSet, [{ Key: "env", Value: "test" }]);
  assert.match(v.CreatedTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  ids.vpc = v.VpcId;
});

test("CreateVpc enforces the private ranges, netmask /16../28 and well-formed CIDRs", async () => {
  await rejectsWith(vpc.CreateVpc({ VpcName: "x", CidrBlock: "8.8.0.0/16" }), "InvalidParameterValue.Range");
  await rejectsWith(vpc.CreateVpc({ VpcName: "x", CidrBlock: "10.0.0.0/8" }), "InvalidParameterValue.Range", "mask /8 is too wide");
  await rejectsWith(vpc.CreateVpc({ VpcName: "x", CidrBlock: "192.168.0.0/29" }), "InvalidParameterValue.Range", "/29 is too narrow");
  await rejectsWith(vpc.CreateVpc({ VpcName: "x", CidrBlock: "10.0.0.1/16" }), "InvalidParameterValue.Malformed", "host bits set");
  await rejectsWith(vpc.CreateVpc({ VpcName: "x", CidrBlock: "10.0.0/16" }), "InvalidParameterValue.Malformed");
  await rejectsWith(vpc.CreateVpc({ VpcName: "x".repeat(61), CidrBlock: "10.1.0.0/16" }), "InvalidParameterValue");
  await rejectsWith(vpc.CreateVpc({ VpcName: "x" }), "MissingParameter");
  const ok = await vpc.CreateVpc({ VpcName: "small", CidrBlock: "192.168.10.0/28" });
  ids.small = ok.Vpc.VpcId;
});

test("DescribeVpcs: ids, filters, and Offset/Limit as strings (the SDK's type) or numbers", async () => {
  const all = await vpc.DescribeVpcs({});
  assert.equal(all.TotalCount, 2);
  assert.deepEqual(all.VpcSet.map((v) => v.VpcId), [ids.vpc, ids.small]);
  const byId = await vpc.DescribeVpcs({ VpcIds: [ids.small] });
  assert.equal(byId.TotalCount, 1);
  assert.equal(byId.VpcSet[0].CidrBlock, "192.168.10.0/28");
  const byName = await vpc.DescribeVpcs({ Filters: [{ Name: "vpc-name", Values: ["mai"] }] });
  assert.deepEqual(byName.VpcSet.map((v) => v.VpcId), [ids.vpc]);
  const notDefault = await vpc.DescribeVpcs({ Filters: [{ Name: "is-default", Values: ["false"] }, { Name: "vpc-id", Values: [ids.small] }] });
  assert.equal(notDefault.TotalCount, 1);
  const page = await vpc.DescribeVpcs({ Offset: "1", Limit: "1" });
  assert.equal(page.TotalCount, 2);
  assert.deepEqual(page.VpcSet.map((v) => v.VpcId), [ids.small]);
  const numeric = await d.common("2017-03-12").request("DescribeVpcs", { Offset: 0, Limit: 1 });
  assert.equal(numeric.VpcSet.length, 1);
  await rejectsWith(vpc.DescribeVpcs({ Limit: "abc" }), "InvalidParameterValue");
  await rejectsWith(vpc.DescribeVpcs({ Limit: "101" }), "InvalidParameterValue");
  await rejectsWith(vpc.DescribeVpcs({ Filters: [{ Name: "nope", Values: ["x"] }] }), "InvalidParameter.FilterInvalidKey");
  await rejectsWith(vpc.DescribeVpcs({ VpcIds: [ids.vpc], Filters: [{ Name: "vpc-name", Values: ["main"] }] }), "InvalidParameter.Coexist");
  await rejectsWith(vpc.DescribeVpcs({ VpcIds: ["vpc-bad"] }), "InvalidParameterValue.Malformed");
});

test("CreateSubnet: inside the VPC, no overlap, zone of the region", async () => {
  const r = await vpc.CreateSubnet({ VpcId: ids.vpc, SubnetName: "a", CidrBlock: "10.0.1.0/24", Zone: "ap-local-1" });
  const s = r.Subnet;
  assert.match(s.SubnetId, /^subnet-[a-z0-9]{8}$/);
  assert.equal(s.VpcId, ids.vpc);
  assert.equal(s.CidrBlock, "10.0.1.0/24");
  assert.equal(s.Zone, "ap-local-1");
  assert.equal(s.IsDefault, false);
  assert.equal(s.AvailableIpAddressCount, 253, "network, gateway and broadcast are reserved");
  assert.equal(s.TotalIpAddressCount, 256);
  ids.subnet = s.SubnetId;
  await rejectsWith(vpc.CreateSubnet({ VpcId: ids.vpc, SubnetName: "b", CidrBlock: "10.0.1.128/25", Zone: "ap-local-1" }), "InvalidParameterValue.SubnetConflict");
  await rejectsWith(vpc.CreateSubnet({ VpcId: ids.vpc, SubnetName: "b", CidrBlock: "10.0.0.0/16", Zone: "ap-local-1" }), "InvalidParameterValue.SubnetConflict", "the whole VPC overlaps a subnet");
  await rejectsWith(vpc.CreateSubnet({ VpcId: ids.vpc, SubnetName: "b", CidrBlock: "10.1.0.0/24", Zone: "ap-local-1" }), "InvalidParameterValue.SubnetRange");
  await rejectsWith(vpc.CreateSubnet({ VpcId: ids.vpc, SubnetName: "b", CidrBlock: "10.0.2.0/29", Zone: "ap-local-1" }), "InvalidParameterValue.SubnetRange");
  await rejectsWith(vpc.CreateSubnet({ VpcId: ids.vpc, SubnetName: "b", CidrBlock: "10.0.2.0/24", Zone: "ap-elsewhere-1" }), "InvalidParameterValue.UnavailableZone");
  await rejectsWith(vpc.CreateSubnet({ VpcId: "vpc-00000000", SubnetName: "b", CidrBlock: "10.0.2.0/24", Zone: "ap-local-1" }), "ResourceNotFound");
  const b = await vpc.CreateSubnet({ VpcId: ids.vpc, SubnetName: "b", CidrBlock: "10.0.2.0/24", Zone: "ap-local-2" });
  ids.subnet2 = b.Subnet.SubnetId;
});

test("DescribeSubnets filters by vpc-id and zone and pages with strings", async () => {
  const all = await vpc.DescribeSubnets({ Filters: [{ Name: "vpc-id", Values: [ids.vpc] }] });
  assert.equal(all.TotalCount, 2);
  const z2 = await vpc.DescribeSubnets({ Filters: [{ Name: "zone", Values: ["ap-local-2"] }] });
  assert.deepEqual(z2.SubnetSet.map((s) => s.SubnetId), [ids.subnet2]);
  const page = await vpc.DescribeSubnets({ Offset: "0", Limit: "1" });
  assert.equal(page.TotalCount, 2);
  assert.equal(page.SubnetSet.length, 1);
  const byId = await vpc.DescribeSubnets({ SubnetIds: [ids.subnet] });
  assert.equal(byId.SubnetSet[0].SubnetName, "a");
});

test("DeleteVpc with subnets is ResourceInUse; DeleteSubnet then DeleteVpc succeeds", async () => {
  await rejectsWith(vpc.DeleteVpc({ VpcId: ids.vpc }), "ResourceInUse");
  await vpc.DeleteSubnet({ SubnetId: ids.subnet2 });
  await rejectsWith(vpc.DeleteSubnet({ SubnetId: ids.subnet2 }), "ResourceNotFound");
  const left = await vpc.DescribeSubnets({ Filters: [{ Name: "vpc-id", Values: [ids.vpc] }] });
  assert.equal(left.TotalCount, 1);
  await vpc.DeleteVpc({ VpcId: ids.small });
  await rejectsWith(vpc.DeleteVpc({ VpcId: ids.small }), "ResourceNotFound");
});

test("security groups: create, describe, policies in order with PolicyIndex and Version", async () => {
  const r = await vpc.CreateSecurityGroup({ GroupName: "web", GroupDescription: "web tier", ProjectId: "0" });
  const g = r.SecurityGroup;
  assert.match(g.SecurityGroupId, /^sg-[a-z0-9]{8}$/);
  assert.equal(g.SecurityGroupName, "web");
  assert.equal(g.SecurityGroupDesc, "web tier");
  assert.equal(g.ProjectId, "0");
  assert.equal(g.IsDefault, false);
  ids.sg = g.SecurityGroupId;
  const peer = await vpc.CreateSecurityGroup({ GroupName: "db", GroupDescription: "" });
  ids.sg2 = peer.SecurityGroup.SecurityGroupId;

  await vpc.CreateSecurityGroupPolicies({
    SecurityGroupId: ids.sg,
    SecurityGroupPolicySet: { Ingress: [
      { Protocol: "TCP", Port: "80,443", CidrBlock: "0.0.0.0/0", Action: "ACCEPT", PolicyDescription: "http" },
      { Protocol: "tcp", Port: "22", CidrBlock: "10.0.0.0/8", Action: "accept" },
    ] },
  });
  // insert at the front
  await vpc.CreateSecurityGroupPolicies({
    SecurityGroupId: ids.sg,
    SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0, Protocol: "ICMP", SecurityGroupId: ids.sg2, Action: "DROP" }] },
  });
  await vpc.CreateSecurityGroupPolicies({
    SecurityGroupId: ids.sg,
    SecurityGroupPolicySet: { Egress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] },
  });
  const p = (await vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: ids.sg })).SecurityGroupPolicySet;
  assert.equal(p.Version, "3");
  assert.deepEqual(p.Ingress.map((x) => [x.PolicyIndex, x.Protocol, x.Port, x.CidrBlock, x.SecurityGroupId, x.Action]), [
    [0, "ICMP", "ALL", "", ids.sg2, "DROP"],
    [1, "TCP", "80,443", "0.0.0.0/0", "", "ACCEPT"],
    [2, "TCP", "22", "10.0.0.0/8", "", "ACCEPT"],
  ]);
  assert.equal(p.Ingress[1].PolicyDescription, "http");
  assert.equal(p.Egress.length, 1);
  assert.deepEqual(p.PolicyStatistics, { IngressIPv4TotalCount: 3, IngressIPv6TotalCount: 0, EgressIPv4TotalCount: 1, EgressIPv6TotalCount: 0 });
  const tcpOnly = (await vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: ids.sg, Filters: [{ Name: "protocol", Values: ["TCP"] }] })).SecurityGroupPolicySet;
  assert.equal(tcpOnly.Ingress.length, 2);
  assert.equal(tcpOnly.Egress.length, 0);
});

test("policy errors: both directions, bad port, port with ICMP, duplicate, stale Version, unknown peer", async () => {
  const add = (set) => vpc.CreateSecurityGroupPolicies({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: set });
  const rule = { Protocol: "UDP", Port: "53", CidrBlock: "10.0.0.0/8", Action: "ACCEPT" };
  await rejectsWith(add({ Ingress: [rule], Egress: [rule] }), "InvalidParameter.Coexist");
  await rejectsWith(add({ Ingress: [{ ...rule, Port: "70000" }] }), "InvalidParameterValue");
  await rejectsWith(add({ Ingress: [{ ...rule, Port: "80-70" }] }), "InvalidParameterValue");
  await rejectsWith(add({ Ingress: [{ ...rule, Protocol: "ICMP" }] }), "InvalidParameterValue");
  await rejectsWith(add({ Ingress: [{ ...rule, Action: "MAYBE" }] }), "InvalidParameterValue");
  await rejectsWith(add({ Ingress: [{ ...rule, CidrBlock: "10.0.0.300" }] }), "InvalidParameterValue.Malformed");
  await rejectsWith(add({ Ingress: [{ Protocol: "TCP", Port: "80,443", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] }), "UnsupportedOperation.DuplicatePolicy");
  await rejectsWith(add({ Version: "1", Ingress: [rule] }), "UnsupportedOperation.VersionMismatch");
  await rejectsWith(add({ Ingress: [{ ...rule, CidrBlock: undefined, SecurityGroupId: "sg-00000000" }] }), "InvalidSecurityGroupID.NotFound");
  await add({ Version: "3", Ingress: [rule] });
});

test("DeleteSecurityGroupPolicies by index and by content; Replace; Modify resets both directions", async () => {
  const get = async () => (await vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: ids.sg })).SecurityGroupPolicySet;
  await vpc.DeleteSecurityGroupPolicies({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0 }] } });
  let p = await get();
  assert.deepEqual(p.Ingress.map((x) => x.Port), ["80,443", "22", "53"]);
  await vpc.DeleteSecurityGroupPolicies({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: { Ingress: [{ Protocol: "TCP", Port: "22", CidrBlock: "10.0.0.0/8", Action: "ACCEPT" }] } });
  p = await get();
  assert.deepEqual(p.Ingress.map((x) => x.Port), ["80,443", "53"]);
  await rejectsWith(vpc.DeleteSecurityGroupPolicies({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 9 }] } }), "ResourceNotFound");
  await vpc.ReplaceSecurityGroupPolicy({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 1, Protocol: "TCP", Port: "8000-9000", CidrBlock: "192.168.0.0/16", Action: "DROP" }] } });
  p = await get();
  assert.deepEqual([p.Ingress[1].Port, p.Ingress[1].Action], ["8000-9000", "DROP"]);
  await vpc.ModifySecurityGroupPolicies({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: {
    Ingress: [{ Protocol: "TCP", Port: "8080", CidrBlock: "10.0.0.5", Action: "ACCEPT" }],
    Egress: [] } });
  p = await get();
  assert.deepEqual(p.Ingress.map((x) => [x.PolicyIndex, x.Port, x.CidrBlock]), [[0, "8080", "10.0.0.5"]]);
  assert.equal(p.Egress.length, 0);
  await vpc.ModifySecurityGroupPolicies({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: { Version: "0" } });
  p = await get();
  assert.equal(p.Ingress.length + p.Egress.length, 0);
});

test("DescribeSecurityGroups and DeleteSecurityGroup (referenced by another group: ResourceInUse)", async () => {
  const all = await vpc.DescribeSecurityGroups({ Offset: "0", Limit: "10" });
  assert.equal(all.TotalCount, 2);
  const byName = await vpc.DescribeSecurityGroups({ Filters: [{ Name: "security-group-name", Values: ["db"] }] });
  assert.deepEqual(byName.SecurityGroupSet.map((g) => g.SecurityGroupId), [ids.sg2]);
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: ids.sg, SecurityGroupPolicySet: { Ingress: [{ Protocol: "ALL", SecurityGroupId: ids.sg2, Action: "ACCEPT" }] } });
  await rejectsWith(vpc.DeleteSecurityGroup({ SecurityGroupId: ids.sg2 }), "ResourceInUse");
  await vpc.DeleteSecurityGroup({ SecurityGroupId: ids.sg });
  await vpc.DeleteSecurityGroup({ SecurityGroupId: ids.sg2 });
  await rejectsWith(vpc.DeleteSecurityGroup({ SecurityGroupId: ids.sg2 }), "ResourceNotFound");
  assert.equal((await vpc.DescribeSecurityGroups({})).TotalCount, 0);
});

test("EIPs: allocate from the operator pool, describe, release; quota 20", async () => {
  const r = await vpc.AllocateAddresses({ AddressCount: 2, AddressName: "pub" });
  assert.equal(r.AddressSet.length, 2);
  for (const id of r.AddressSet) assert.match(id, /^eip-[a-z0-9]{8}$/);
  assert.match(r.TaskId, /^\d+$/);
  ids.eips = r.AddressSet;
  const dsc = await vpc.DescribeAddresses({ AddressIds: ids.eips });
  assert.equal(dsc.TotalCount, 2);
  const a = dsc.AddressSet[0];
  assert.match(a.AddressIp, /^198\.51\.100\.\d+$/);
  assert.equal(a.AddressStatus, "UNBIND");
  assert.equal(a.AddressName, "pub");
  assert.equal(a.AddressType, "EIP");
  assert.equal(a.InstanceId, null);
  assert.notEqual(dsc.AddressSet[0].AddressIp, dsc.AddressSet[1].AddressIp);
  const byIp = await vpc.DescribeAddresses({ Filters: [{ Name: "address-ip", Values: [a.AddressIp] }], Offset: 0, Limit: 10 });
  assert.equal(byIp.TotalCount, 1);
  await rejectsWith(vpc.AllocateAddresses({ AddressCount: 19 }), "LimitExceeded.AddressQuotaLimitExceeded");
  await rejectsWith(vpc.AssociateAddress({ AddressId: ids.eips[0], InstanceId: "ins-00000000" }), "InvalidInstanceId.NotFound");
  await rejectsWith(vpc.DisassociateAddress({ AddressId: ids.eips[0] }), "UnsupportedOperation.AddressStatusNotPermit");
  await vpc.ReleaseAddresses({ AddressIds: [ids.eips[1]] });
  await rejectsWith(vpc.ReleaseAddresses({ AddressIds: [ids.eips[1]] }), "InvalidAddressId.NotFound");
  await rejectsWith(vpc.ReleaseAddresses({ AddressIds: ["eip-x"] }), "InvalidParameterValue.AddressIdMalformed");
  assert.equal((await vpc.DescribeAddresses({})).TotalCount, 1);
});

test("VPC quota: the 21st VPC is LimitExceeded", async () => {
  const have = (await vpc.DescribeVpcs({})).TotalCount;
  for (let i = have; i < 20; i++) await vpc.CreateVpc({ VpcName: `q${i}`, CidrBlock: `10.${i}.0.0/16` });
  await rejectsWith(vpc.CreateVpc({ VpcName: "q20", CidrBlock: "10.200.0.0/16" }), "LimitExceeded");
});

test("every VPC has its own VNI (its VXLAN id across hosts), allocated with it and unique among the living", async () => {
  const rows = () => d.sql("SELECT vpc_id || ' ' || vni FROM vpcs").map((l) => l.split(" "));
  let all = rows();
  assert.ok(all.length >= 20);
  const vnis = all.map(([, v]) => Number(v));
  assert.ok(vnis.every((v) => Number.isInteger(v) && v >= 1 && v <= 16777215), `VNIs: ${vnis}`);
  assert.equal(new Set(vnis).size, vnis.length, `VNIs repeat: ${vnis}`);
  /* the VPC with the highest VNI goes; the next VPC gets a VNI no living VPC has */
  const [top] = all.sort((x, y) => Number(y[1]) - Number(x[1]))[0];
  await vpc.DeleteVpc({ VpcId: top });
  const made = (await vpc.CreateVpc({ VpcName: "vni", CidrBlock: "10.201.0.0/16" })).Vpc.VpcId;
  all = rows();
  const mine = Number(all.find(([id]) => id === made)[1]);
  assert.equal(all.filter(([, v]) => Number(v) === mine).length, 1);
});

test("two tenants: B sees none of A's resources, A's ids are not found for B, same CIDRs are fine", async () => {
  const b = await other.DescribeVpcs({});
  assert.equal(b.TotalCount, 0);
  assert.equal((await other.DescribeSubnets({})).TotalCount, 0);
  assert.equal((await other.DescribeAddresses({})).TotalCount, 0);
  assert.equal((await other.DescribeVpcs({ VpcIds: [ids.vpc] })).TotalCount, 0);
  await rejectsWith(other.DeleteVpc({ VpcId: ids.vpc }), "ResourceNotFound");
  await rejectsWith(other.CreateSubnet({ VpcId: ids.vpc, SubnetName: "x", CidrBlock: "10.0.9.0/24", Zone: "ap-local-1" }), "ResourceNotFound");
  await rejectsWith(other.DeleteSubnet({ SubnetId: ids.subnet }), "ResourceNotFound");
  await rejectsWith(other.ReleaseAddresses({ AddressIds: [ids.eips[0]] }), "InvalidAddressId.NotFound");
  const sg = (await vpc.CreateSecurityGroup({ GroupName: "a-only", GroupDescription: "" })).SecurityGroup.SecurityGroupId;
  await rejectsWith(other.DescribeSecurityGroupPolicies({ SecurityGroupId: sg }), "ResourceNotFound");
  await rejectsWith(other.CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: { Ingress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } }), "ResourceNotFound");
  // B may name A's group as a peer in B's own group: not found either
  const bsg = (await other.CreateSecurityGroup({ GroupName: "b", GroupDescription: "" })).SecurityGroup.SecurityGroupId;
  await rejectsWith(other.CreateSecurityGroupPolicies({ SecurityGroupId: bsg, SecurityGroupPolicySet: { Ingress: [{ Protocol: "ALL", SecurityGroupId: sg, Action: "ACCEPT" }] } }), "InvalidSecurityGroupID.NotFound");
  // overlapping CIDRs across tenants (and within one tenant) are allowed
  const bv = await other.CreateVpc({ VpcName: "b-main", CidrBlock: "10.0.0.0/16" });
  const bs = await other.CreateSubnet({ VpcId: bv.Vpc.VpcId, SubnetName: "b", CidrBlock: "10.0.1.0/24", Zone: "ap-local-1" });
  assert.equal(bs.Subnet.CidrBlock, "10.0.1.0/24");
  assert.equal((await vpc.DescribeVpcs({ VpcIds: [bv.Vpc.VpcId] })).TotalCount, 0, "A cannot see B's VPC");
  // B's EIP never collides with A's
  const be = await other.AllocateAddresses({});
  const bip = (await other.DescribeAddresses({ AddressIds: be.AddressSet })).AddressSet[0].AddressIp;
  const aip = (await vpc.DescribeAddresses({})).AddressSet.map((x) => x.AddressIp);
  assert.ok(!aip.includes(bip));
});

test("regional: a request without a known region is refused", async () => {
  await rejectsWith(vpcClient(d.creds, "ap-nowhere").DescribeVpcs({}), "UnsupportedRegion");
});
