/*
 * organization 2021-03-31 through the official node SDK: the organization, its nodes and member
 * accounts, service control policies (CreatePolicy, Attach/Detach to a node or a member,
 * ListPolicies, DescribePolicy with Tencent's quirks), and what SCPs do: they bound every identity
 * of a member account (its sub-user with full CAM rights, the management account's session in
 * it), an explicit deny wins, a level's SCPs are a whitelist, detaching restores access at once,
 * and the management account is bounded by nothing. Each refusal names the policy, in the answer
 * and in the audit record.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith } = require("./lib/yund");
const { orgClient, setupMember, memberRoot, ALLOW_ALL } = require("./lib/org");

let d, org, m;
const pol = {};
const doc = (...statement) => JSON.stringify({ version: "2.0", statement });
/* p must be refused with UnauthorizedOperation, its message matching re (the policy it names). */
async function refused(p, re) {
  const e = await rejectsWith(p, "UnauthorizedOperation");
  assert.match(e.message, re);
  return e;
}

before(async () => {
  d = await startDaemon();
  m = await setupMember(d);
  org = m.org;
});
after(async () => { await d?.destroy(); });

test("the organization, its nodes and members have Tencent's shapes", async () => {
  const info = m.info;
  assert.equal(info.IsManager, true);
  assert.equal(String(info.HostUin), String(d.creds.Uin));
  assert.equal(typeof info.OrgId, "number");
  assert.equal(typeof info.RootNodeId, "number");
  await rejectsWith(org.CreateOrganization({}), "FailedOperation.OrganizationExistAlready");
  const nodes = await org.DescribeOrganizationNodes({ Limit: 10, Offset: 0 });
  assert.equal(nodes.Total, 2);
  assert.deepEqual(nodes.Items.map((n) => [n.Name, n.ParentNodeId]), [["Root", 0], ["prod", info.RootNodeId]]);
  const members = await org.DescribeOrganizationMembers({ Offset: 0, Limit: 10 });
  assert.equal(members.Total, 1);
  const it = members.Items[0];
  assert.equal(String(it.MemberUin), m.memberUin);
  assert.equal(it.NodeId, m.node);
  assert.equal(it.NodeName, "prod");
  assert.equal(it.OrgPolicyType, "Financial");
  assert.deepEqual(it.OrgPermission.map((p) => p.Id), [1, 2]);
  // the member sees its organization, and may not manage it
  const mine = await orgClient(d, m.admin).DescribeOrganization({});
  assert.equal(mine.IsManager, false);
  assert.equal(mine.OrgId, info.OrgId);
  await rejectsWith(orgClient(d, m.admin).DescribeOrganizationMembers({ Offset: 0, Limit: 10 }), "UnauthorizedOperation");
  // an account in no organization
  const lone = d.createAccount("lone");
  await rejectsWith(orgClient(d, lone).DescribeOrganization({}), "ResourceNotFound.OrganizationNotExist");
  await rejectsWith(org.AddOrganizationNode({ ParentNodeId: 12345, Name: "x" }), "ResourceNotFound.OrganizationNodeNotExist");
  await rejectsWith(org.DeleteOrganizationNodes({ NodeId: [m.node] }), "FailedOperation.OrganizationNodeNotEmpty");
  await rejectsWith(org.DeleteOrganizationNodes({ NodeId: [info.RootNodeId] }), "FailedOperation.OrganizationNodeDeleteRoot");
});

test("CreatePolicy / DescribePolicy / ListPolicies / UpdatePolicy with the reference's type quirks", async () => {
  await rejectsWith(org.CreatePolicy({ Name: "bad", Type: "SERVICE_CONTROL_POLICY", Content: "{nope" }),
    "InvalidParameter.PolicyDocument");
  await rejectsWith(org.CreatePolicy({ Name: "bad", Type: "SERVICE_CONTROL_POLICY",
    Content: doc({ effect: "allow", action: "*", resource: "*", condition: { string_equal: { "qcs:nokey": "x" } } }) }),
  "InvalidParameter.PolicyDocument");
  await rejectsWith(org.CreatePolicy({ Name: "tags", Type: "TAG_POLICY", Content: "{}" }), "UnsupportedOperation.TagPolicy");
  pol.all = (await org.CreatePolicy({ Name: "AllowAll", Type: "SERVICE_CONTROL_POLICY", Content: JSON.stringify(ALLOW_ALL),
    Description: "everything" })).PolicyId;
  pol.noInstances = (await org.CreatePolicy({ Name: "NoDescribeInstances", Type: "SERVICE_CONTROL_POLICY",
    Content: doc({ effect: "deny", action: "cvm:DescribeInstances", resource: "*" }) })).PolicyId;
  pol.cvmRead = (await org.CreatePolicy({ Name: "CvmReadOnly", Type: "SERVICE_CONTROL_POLICY",
    Content: doc({ effect: "allow", action: "cvm:Describe*", resource: "*" }) })).PolicyId;
  assert.equal(typeof pol.all, "number");
  await rejectsWith(org.CreatePolicy({ Name: "AllowAll", Type: "SERVICE_CONTROL_POLICY", Content: JSON.stringify(ALLOW_ALL) }),
    "FailedOperation.PolicyNameInUse");
  const p = await org.DescribePolicy({ PolicyId: pol.all });
  assert.equal(p.Type, 1, "Type is an integer (1 = custom) though CreatePolicy takes a string");
  assert.equal(p.PolicyName, "AllowAll");
  assert.deepEqual(JSON.parse(p.PolicyDocument), { strategyInfo: ALLOW_ALL, version: "2.0" }, "the document comes wrapped");
  const list = await org.ListPolicies({ Rp: 10, Page: 1 });
  assert.equal(list.TotalNum, 3);
  assert.deepEqual(list.List.map((x) => x.PolicyName).sort(), ["AllowAll", "CvmReadOnly", "NoDescribeInstances"]);
  assert.ok(list.List.every((x) => x.Type === 1 && x.AttachedTimes === 0));
  assert.equal((await org.ListPolicies({ Scope: "QCS" })).TotalNum, 0);
  assert.equal((await org.ListPolicies({ Keyword: "Cvm" })).List[0].PolicyId, pol.cvmRead);
  await org.UpdatePolicy({ PolicyId: pol.all, Description: "all of it" });
  assert.equal((await org.DescribePolicy({ PolicyId: pol.all })).Description, "all of it");
  await rejectsWith(org.DescribePolicy({ PolicyId: 1 }), "ResourceNotFound.PolicyNotExist");
});

const memberCalls = () => ({
  zones: () => d.cvm(m.admin).DescribeZones({}),
  instances: () => d.cvm(m.admin).DescribeInstances({}),
  users: () => d.cam(m.admin).ListUsers({}),
  sessionInstances: () => d.cvm(m.session).DescribeInstances({}),
});

test("before EnablePolicyType attached SCPs bound nothing; then a member with full CAM rights is denied", async () => {
  const c = memberCalls();
  await org.AttachPolicy({ TargetId: m.rootNode, TargetType: "NODE", PolicyId: pol.all, Type: "SERVICE_CONTROL_POLICY" });
  await org.AttachPolicy({ TargetId: Number(m.memberUin), TargetType: "MEMBER", PolicyId: pol.noInstances });
  await c.instances(); // SCPs not enabled yet
  await rejectsWith(org.AttachPolicy({ TargetId: m.rootNode, TargetType: "NODE", PolicyId: pol.all }),
    "FailedOperation.PolicyAttachedAlready");
  await org.EnablePolicyType({ OrganizationId: m.info.OrgId, PolicyType: "SERVICE_CONTROL_POLICY" });
  assert.equal((await org.DescribePolicyConfig({ OrganizationId: m.info.OrgId })).Status, 1);
  const e = await rejectsWith(c.instances(), "UnauthorizedOperation");
  assert.match(e.message, /NoDescribeInstances/, "the refusal names the policy");
  assert.match(e.message, new RegExp(`PolicyId ${pol.noInstances}`));
  // the management account's own session in the member is an identity of the member too
  await refused(c.sessionInstances(), /NoDescribeInstances/);
  // and so is the member's root (signed in to the console, whose calls take the API's path)
  const root = await memberRoot(d, m.memberUin);
  const byRoot = await root("cvm", "2017-03-12", "DescribeInstances");
  assert.equal(byRoot.Error?.Code, "UnauthorizedOperation", JSON.stringify(byRoot));
  assert.match(byRoot.Error.Message, /NoDescribeInstances/);
  assert.ok((await root("cvm", "2017-03-12", "DescribeZones")).ZoneSet, "the root's other calls work");
  await c.zones();
  await c.users();
  // the management account itself is bounded by nothing
  await d.cvm().DescribeInstances({});
  // the refusal is audited with the policy that decided
  const rec = d.audit(50).filter((x) => x.Action === "DescribeInstances" && x.Uin === m.memberUin);
  assert.ok(rec.length >= 3, "the three refusals audited");
  assert.ok(rec.every((x) => x.Result === "UnauthorizedOperation" && /NoDescribeInstances/.test(x.Reason)), JSON.stringify(rec));
});

test("explicit deny wins over an allow at every level; a level's SCPs are a whitelist", async () => {
  const c = memberCalls();
  // cvm:Describe* allowed at the node, cvm:DescribeInstances denied at the member: deny wins
  await org.AttachPolicy({ TargetId: m.node, TargetType: "NODE", PolicyId: pol.cvmRead });
  await refused(c.instances(), /NoDescribeInstances/);
  await c.zones();
  // nothing on node prod allows cam:ListUsers (the root's AllowAll does not lift it)
  const e = await rejectsWith(c.users(), "UnauthorizedOperation");
  assert.match(e.message, /node `prod`/);
  assert.match(e.message, /CvmReadOnly/);
  const targets = await org.ListTargetsForPolicy({ PolicyId: pol.cvmRead, Rp: 10, Page: 1 });
  assert.deepEqual(targets.List.map((t) => [t.Uin, t.RelatedType, t.Name]), [[m.node, 1, "prod"]]);
  const forMember = await org.ListPoliciesForTarget({ TargetId: Number(m.memberUin), Rp: 10, Page: 1 });
  assert.deepEqual(forMember.List.map((p) => [p.StrategyId, p.Type]), [[pol.noInstances, 2]]);
  await rejectsWith(org.DeletePolicy({ PolicyId: pol.cvmRead }), "FailedOperation.PolicyInUse");
});

test("detaching restores access immediately; UpdatePolicy takes effect at once; moving a member changes its path", async () => {
  const c = memberCalls();
  await org.DetachPolicy({ TargetId: m.node, TargetType: "NODE", PolicyId: pol.cvmRead });
  await c.users(); // the very next call
  await org.DetachPolicy({ TargetId: Number(m.memberUin), TargetType: "MEMBER", PolicyId: pol.noInstances });
  await c.instances();
  await rejectsWith(org.DetachPolicy({ TargetId: Number(m.memberUin), TargetType: "MEMBER", PolicyId: pol.noInstances }),
    "FailedOperation.PolicyNotAttached");
  // the root's AllowAll edited into a deny of cam: applies on the next call
  await org.UpdatePolicy({ PolicyId: pol.all, Content: doc({ effect: "allow", action: "*", resource: "*" },
    { effect: "deny", action: "cam:*", resource: "*" }) });
  await refused(c.users(), /AllowAll/);
  await org.UpdatePolicy({ PolicyId: pol.all, Content: JSON.stringify(ALLOW_ALL) });
  await c.users();
  // a node with a whitelist, and the member moved into and out of it
  const dev = (await org.AddOrganizationNode({ ParentNodeId: m.rootNode, Name: "dev" })).NodeId;
  await org.AttachPolicy({ TargetId: dev, TargetType: "NODE", PolicyId: pol.cvmRead });
  await org.MoveOrganizationNodeMembers({ NodeId: dev, MemberUin: [Number(m.memberUin)] });
  await refused(c.users(), /node `dev`/);
  await org.MoveOrganizationNodeMembers({ NodeId: m.node, MemberUin: [Number(m.memberUin)] });
  await c.users();
  await org.DetachPolicy({ TargetId: dev, TargetType: "NODE", PolicyId: pol.cvmRead });
  await org.DeleteOrganizationNodes({ NodeId: [dev] });
  await org.DeletePolicy({ PolicyId: pol.cvmRead });
  assert.equal((await org.ListPolicies({})).TotalNum, 2);
});

test("DisablePolicyType lifts every bound; DeleteOrganizationMembers takes the account out of the organization", async () => {
  const c = memberCalls();
  await org.AttachPolicy({ TargetId: Number(m.memberUin), TargetType: "MEMBER", PolicyId: pol.noInstances });
  await rejectsWith(c.instances(), "UnauthorizedOperation");
  await org.DisablePolicyType({ OrganizationId: m.info.OrgId, PolicyType: "SERVICE_CONTROL_POLICY" });
  await c.instances();
  await org.EnablePolicyType({ OrganizationId: m.info.OrgId, PolicyType: "SERVICE_CONTROL_POLICY" });
  await rejectsWith(c.instances(), "UnauthorizedOperation");
  await org.DeleteOrganizationMembers({ MemberUin: [Number(m.memberUin)] });
  await c.instances();
  // the management account's role in the account is gone, and its session with it
  await rejectsWith(d.cvm(m.session).DescribeZones({}), /^AuthFailure/);
  await rejectsWith(d.sts().AssumeRole({ RoleArn: `qcs::cam::uin/${m.memberUin}:roleName/OrganizationAccessControlRole`,
    RoleSessionName: "again" }), /./);
  assert.equal((await org.DescribeOrganizationMembers({ Offset: 0, Limit: 10 })).Total, 0);
  await rejectsWith(orgClient(d, m.admin).DescribeOrganization({}), "ResourceNotFound.OrganizationNotExist");
  await rejectsWith(org.DeleteOrganizationMembers({ MemberUin: [Number(m.memberUin)] }),
    "ResourceNotFound.OrganizationMemberNotExist");
});
