/*
 * Shared by organization.test.js and residency.test.js: an organization whose management account
 * is the daemon's admin, one member account made by CreateOrganizationMember, and the member's
 * identities the tests drive: the management account's session in the member's
 * OrganizationAccessControlRole, and a sub-user "admin" with every CAM right and its own key.
 */
"use strict";
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { credOf } = require("./yund");

function orgClient(d, creds = d.creds) {
  return new tencentcloud.organization.v20210331.Client({
    credential: credOf(creds), region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqTimeout: 30 } },
  });
}

const ALLOW_ALL = { version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" }] };

/* Creates the organization (once), a node under the root and a member in it; returns
 * {org, rootNode, node, memberUin, session, admin}. */
async function setupMember(d, { memberName = "member1", nodeName = "prod", createOrg = true } = {}) {
  const org = orgClient(d);
  if (createOrg) await org.CreateOrganization({});
  const info = await org.DescribeOrganization({});
  const node = (await org.AddOrganizationNode({ ParentNodeId: info.RootNodeId, Name: nodeName })).NodeId;
  const m = await org.CreateOrganizationMember({ Name: memberName, PolicyType: "Financial", PermissionIds: [1, 2],
    NodeId: node, AccountName: memberName, Remark: "made by the test" });
  assert.equal(typeof m.Uin, "number");
  const memberUin = String(m.Uin);
  const s = await d.sts().AssumeRole({ RoleArn: `qcs::cam::uin/${memberUin}:roleName/OrganizationAccessControlRole`,
    RoleSessionName: "org-admin" });
  const session = s.Credentials;
  const cam = d.cam(session);
  const u = await cam.AddUser({ Name: "admin", UseApi: 1 });
  const p = await cam.CreatePolicy({ PolicyName: "FullAccess", PolicyDocument: JSON.stringify(ALLOW_ALL) });
  await cam.AttachUserPolicy({ AttachUin: u.Uin, PolicyId: p.PolicyId });
  const admin = { SecretId: u.SecretId, SecretKey: u.SecretKey, Uin: String(u.Uin) };
  return { org, info, rootNode: info.RootNodeId, node, memberUin, session, admin };
}

module.exports = { orgClient, setupMember, ALLOW_ALL };
