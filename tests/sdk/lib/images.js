/*
 * Helpers of the application-image tests: build (or link the cached) blueprint image with
 * `yun admin images build`, a guest reached through an EIP, timing from RunInstances.
 */
"use strict";
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const { BIN, waitFor } = require("./yund");

/* Builds NAME into the daemon's data dir (linked from build/images/NAME when the recipe is unchanged). */
function buildImage(d, name) {
  const t0 = Date.now();
  const r = spawnSync(BIN, ["admin", "images", "--data", d.dataDir, "build", name], {
    encoding: "utf8", timeout: 30 * 60 * 1000,
  });
  assert.equal(r.status, 0, `yun admin images build ${name}: ${r.stderr}\n${r.stdout}`);
  const last = r.stdout.trim().split("\n").pop();
  const res = JSON.parse(last);
  assert.equal(res.Name, name);
  assert.match(res.ImageId, /^img-/);
  return { imageId: res.ImageId, seconds: (Date.now() - t0) / 1000, output: r.stdout };
}

/* A security group open for the given TCP ports (and everything out), a key pair, an instance with an EIP. */
async function launchWithEip(d, { imageId, ports, name, instanceType = "S5.SMALL1" }) {
  const cvm = d.cvm(), vpc = d.vpc();
  const key = (await cvm.CreateKeyPair({ KeyName: `${name}key`, ProjectId: 0 })).KeyPair;
  const sg = (await vpc.CreateSecurityGroup({ GroupName: name, GroupDescription: "application ports" })).SecurityGroup;
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sg.SecurityGroupId, SecurityGroupPolicySet: {
    Ingress: ports.map((p) => ({ Protocol: "TCP", Port: String(p), CidrBlock: "0.0.0.0/0", Action: "ACCEPT" })) } });
  await vpc.CreateSecurityGroupPolicies({ SecurityGroupId: sg.SecurityGroupId, SecurityGroupPolicySet: {
    Egress: [{ Protocol: "ALL", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  const t0 = Date.now();
  const id = (await cvm.RunInstances({
    Placement: { Zone: "ap-local-1" }, ImageId: imageId, InstanceType: instanceType, InstanceName: name,
    SecurityGroupIds: [sg.SecurityGroupId], LoginSettings: { KeyIds: [key.KeyId] },
  })).InstanceIdSet[0];
  await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0].InstanceState,
    (s) => s === "RUNNING", 120000, `${id} RUNNING`, 500);
  const eip = (await vpc.AllocateAddresses({ AddressCount: 1 })).AddressSet[0];
  await vpc.AssociateAddress({ AddressId: eip, InstanceId: id });
  const ip = (await vpc.DescribeAddresses({ AddressIds: [eip] })).AddressSet[0].AddressIp;
  return { id, ip, key, t0, eip };
}

/* Terminates every instance of the account and waits until they are gone. */
async function terminateAll(cvm) {
  const ids = (await cvm.DescribeInstances({ Limit: 100 })).InstanceSet.map((i) => i.InstanceId);
  if (ids.length) await cvm.TerminateInstances({ InstanceIds: ids });
  await waitFor(async () => (await cvm.DescribeInstances({})).TotalCount, (n) => n === 0, 120000, "terminated", 500);
}

/* fetch with a deadline; never throws (status 0 = no answer). */
async function get(url, opts = {}) {
  try {
    const r = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(opts.timeout || 5000), ...opts });
    return { status: r.status, text: await r.text(), headers: r.headers };
  } catch (e) {
    return { status: 0, text: String(e), headers: new Headers() };
  }
}

module.exports = { buildImage, launchWithEip, terminateAll, get };
