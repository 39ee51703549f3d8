/*
 * Tiers and distributors through the official SDK (partners.v20180321, cbs, cvm): a distributor
 * sees its second-level resellers' customers in DescribeAgentAuditedClients (read only: every
 * other action on them is ResourceNotFound); the quota defaults of an account's tier
 * (partner_tiers) are applied by block (disk GiB, LimitExceeded.DiskSizeQuota) and compute
 * (instances, LimitExceeded.InstanceQuota) — refusals before anything is made, so no guest boots.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
let d;
const st = {};
function account(name) {
  const a = d.createAccount(name);
  const partners = new tencentcloud.partners.v20180321.Client({
    credential: { secretId: a.SecretId, secretKey: a.SecretKey }, region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqMethod: "POST", reqTimeout: 30 } },
  });
  return { ...a, partners, ext: d.common("2018-03-21", a), cbs: d.cbs(a), cvm: d.cvm(a) };
}
async function bind(p, name) {
  const c = account(name);
  await c.ext.request("ApplyClientBinding", { InvitationCode: p.code });
  await p.partners.AuditApplyClient({ ClientUin: c.Uin, AuditResult: "accept", Note: "" });
  return c;
}
const disk = (a, size) => a.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: size,
  DiskChargeType: "POSTPAID_BY_HOUR" });

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  const make = (name, ...args) => {
    const a = account(name);
    a.code = JSON.parse(d.admin("partner", "--uin", a.Uin, ...args)).InvitationCode;
    return a;
  };
  st.dist = make("dist", "--kind", "distributor");
  st.sec = make("sec", "--kind", "second-level", "--parent", st.dist.Uin);
  st.res = make("res", "--kind", "reseller");
  st.x = await bind(st.sec, "x");
  st.y = await bind(st.dist, "y");
  st.z = account("z");
  st.image = (await d.cvm().DescribeImages({})).ImageSet[0].ImageId;
});

after(async () => { if (d) await d.destroy(); });

test("a distributor sees its second-level resellers' customers, read only", async () => {
  const { dist, sec, res, x, y } = st;
  const all = await dist.partners.DescribeAgentAuditedClients({ Offset: 0, Limit: 10 });
  assert.deepEqual(all.AgentClientSet.map((c) => [c.ClientUin, c.Uin]).sort(), [[x.Uin, sec.Uin], [y.Uin, dist.Uin]].sort(),
    "each with its own partner's Uin");
  assert.equal((await dist.partners.DescribeAgentAuditedClients({ ClientUin: x.Uin })).TotalCount, 1);
  const mine = await sec.partners.DescribeAgentAuditedClients({ Offset: 0, Limit: 10 });
  assert.deepEqual(mine.AgentClientSet.map((c) => c.ClientUin), [x.Uin], "the second-level reseller sees only its own");
  assert.equal((await res.partners.DescribeAgentAuditedClients({})).TotalCount, 0, "another partner sees nothing");
  for (const call of [
    () => dist.partners.ModifyClientRemark({ ClientUin: x.Uin, ClientRemark: "mine" }),
    () => dist.partners.AgentTransferMoney({ ClientUin: x.Uin, Amount: 1 }),
    () => dist.partners.DescribeClientBalanceNew({ ClientUin: x.Uin }),
    () => sec.partners.DescribeClientBalanceNew({ ClientUin: y.Uin }),
  ]) await rejectsWith(call(), "ResourceNotFound");
  await rejectsWith(x.partners.DescribeAgentAuditedClients({}), "UnauthorizedOperation");
});

test("tiers' quotas: disk GiB by block, instances by compute", async () => {
  const { x, y, z, image } = st;
  d.admin("tier", "--uin", x.Uin, "--tier", "key"); // 1,000,000 GiB, 500 instances
  d.admin("tier", "--uin", y.Uin, "--tier", "longtail"); // 10,000 GiB, 20 instances
  const big = (await disk(x, 12000)).DiskIdSet[0];
  assert.ok(big, "a key account has more than the platform's 10,000 GiB");
  await rejectsWith(disk(z, 12000), "LimitExceeded.DiskSizeQuota", "the platform's default without a tier");
  const yd = (await disk(y, 9000)).DiskIdSet[0];
  await rejectsWith(disk(y, 1010), "LimitExceeded.DiskSizeQuota", "longtail: 10,000 GiB in all");
  await rejectsWith(y.cbs.ResizeDisk({ DiskId: yd, DiskSize: 10100 }), "LimitExceeded.DiskSizeQuota");
  assert.equal((await y.cbs.DescribeDisks({})).TotalCount, 1, "nothing made");
  d.admin("tier", "--uin", y.Uin, "--tier", "growth"); // 100,000 GiB
  await y.cbs.ResizeDisk({ DiskId: yd, DiskSize: 10100 });
  await waitFor(async () => (await y.cbs.DescribeDisks({ DiskIds: [yd] })).DiskSet[0], (x) => x.DiskState === "UNATTACHED" &&
    x.DiskSize === 10100, 30000, "the disk grown (EXPANDING until its host reports)");
  d.admin("tier", "--uin", y.Uin, "--tier", "longtail");
  await rejectsWith(y.cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1",
    InstanceCount: 21 }), "LimitExceeded.InstanceQuota", "longtail: 20 instances (the platform's 50 otherwise)");
  assert.equal((await y.cvm.DescribeInstances({})).TotalCount, 0);
  await x.cbs.TerminateDisks({ DiskIds: [big] });
  await y.cbs.TerminateDisks({ DiskIds: [yd] });
});
