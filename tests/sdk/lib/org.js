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

/* The member's root account, signed in to the console with a password the operator sets (its
 * API key is never handed out): returns call(service, version, action, params) -> the envelope. */
async function memberRoot(d, uin) {
  const password = "Member-root-pw1";
  const r = d.run(["admin", "password", "--data", d.dataDir, "--uin", uin, ...(d.store ? ["--store", d.store] : [])],
    { input: password + "\n" });
  assert.equal(r.status, 0, r.stderr);
  const origin = `http://127.0.0.1:${d.port}`;
  const login = await fetch(`${origin}/console/api/login`, { method: "POST",
    headers: { Origin: origin, "Content-Type": "application/json" }, body: JSON.stringify({ Uin: uin, Password: password }) });
  assert.equal(login.status, 200, await login.clone().text());
  const cookies = login.headers.getSetCookie().map((c) => c.split(";")[0]);
  const csrf = cookies.find((c) => c.startsWith("yun_csrf=")).slice("yun_csrf=".length);
  return async (service, version, action, params = {}) => {
    const res = await fetch(`${origin}/console/api/call`, { method: "POST",
      headers: { Cookie: cookies.join("; "), "X-CSRF-Token": csrf, Origin: origin, "Content-Type": "application/json" },
      body: JSON.stringify({ Service: service, Version: version, Action: action, Region: "ap-local", Params: params }) });
    return (await res.json()).Response;
  };
}

module.exports = { orgClient, setupMember, memberRoot, ALLOW_ALL };
