#!/usr/bin/env node
/*
 * Drives the organization side of bench/org-scp.sh through the official SDK.
 *   node bench/org-scp.js ENDPOINT DIR setup   an organization, a node chain root→n1→…→n4, a member in
 *                                              n4 with a sub-user "admin" (full CAM rights, its key in
 *                                              DIR/member/credentials.json), SCPs enabled, none attached
 *   node bench/org-scp.js ENDPOINT DIR scps N  N allow-all SCPs (each with a deny of an unrelated
 *                                              action) on the member's path: 1 on the member, then two
 *                                              per level from the root down
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const tencentcloud = require("tencentcloud-sdk-nodejs");

const [endpoint, dir, step, count] = process.argv.slice(2);
const root = JSON.parse(fs.readFileSync(path.join(dir, "data", "credentials.json"), "utf8"));
const profile = { httpProfile: { endpoint, protocol: "http://", reqTimeout: 30 } };
const cred = (c) => ({ secretId: c.SecretId || c.TmpSecretId, secretKey: c.SecretKey || c.TmpSecretKey, token: c.Token });
const client = (Ctor, c = root) => new Ctor({ credential: cred(c), region: "ap-local", profile });
const org = client(tencentcloud.organization.v20210331.Client);
const stateFile = path.join(dir, "org-state.json");

async function setup() {
  await org.CreateOrganization({});
  const info = await org.DescribeOrganization({});
  const nodes = [info.RootNodeId];
  for (let i = 1; i <= 4; i++)
    nodes.push((await org.AddOrganizationNode({ ParentNodeId: nodes[i - 1], Name: `n${i}` })).NodeId);
  const m = await org.CreateOrganizationMember({ Name: "bench", PolicyType: "Financial", PermissionIds: [1], NodeId: nodes[4],
    AccountName: "bench" });
  const s = await client(tencentcloud.sts.v20180813.Client).AssumeRole({
    RoleArn: `qcs::cam::uin/${m.Uin}:roleName/OrganizationAccessControlRole`, RoleSessionName: "bench" });
  const cam = client(tencentcloud.cam.v20190116.Client, s.Credentials);
  const u = await cam.AddUser({ Name: "admin", UseApi: 1 });
  const p = await cam.CreatePolicy({ PolicyName: "Full",
    PolicyDocument: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" }] }) });
  await cam.AttachUserPolicy({ AttachUin: u.Uin, PolicyId: p.PolicyId });
  await org.EnablePolicyType({ OrganizationId: info.OrgId, PolicyType: "SERVICE_CONTROL_POLICY" });
  fs.mkdirSync(path.join(dir, "member"), { recursive: true });
  fs.writeFileSync(path.join(dir, "member", "credentials.json"),
    JSON.stringify({ SecretId: u.SecretId, SecretKey: u.SecretKey, Endpoint: root.Endpoint, Region: root.Region }));
  fs.writeFileSync(stateFile, JSON.stringify({ nodes, member: m.Uin, attached: 0 }));
}

async function scps(n) {
  const st = JSON.parse(fs.readFileSync(stateFile, "utf8"));
  const targets = [["MEMBER", st.member]];
  for (const node of st.nodes) targets.push(["NODE", node], ["NODE", node]);
  for (let i = st.attached; i < n; i++) {
    const content = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" },
      { effect: "deny", action: "cvm:TerminateInstances", resource: "*" }] });
    const id = (await org.CreatePolicy({ Name: `scp${i}`, Type: "SERVICE_CONTROL_POLICY", Content: content })).PolicyId;
    const [type, target] = targets[i];
    await org.AttachPolicy({ TargetId: target, TargetType: type, PolicyId: id });
  }
  st.attached = n;
  fs.writeFileSync(stateFile, JSON.stringify(st));
}

(step === "setup" ? setup() : scps(Number(count))).catch((e) => { console.error(e); process.exit(1); });
