/*
 * Driven by bench/market-deploy.sh: the operator makes an ISV, the ISV publishes a solution of N
 * instances, the operator approves it, a customer deploys it. Times: DeployPackage -> DEPLOYED
 * (the controller made every resource and every member is RUNNING), -> every guest YUN-READY on
 * its serial console, DeleteDeployment -> DELETED (every instance terminated, the network gone);
 * then the same N instances launched by hand with one RunInstances in the same run (-> RUNNING,
 * -> YUN-READY), so the ratio shows what the template costs beyond the boots themselves.
 */
"use strict";
const { startDaemon, waitFor } = require("../tests/sdk/lib/yund");

const N = Number(process.env.N || 10);
const RUNS = Number(process.env.RUNS || 1);
const log = (...a) => process.stderr.write(`[market-deploy] ${a.join(" ")}\n`);

const TEMPLATE = {
  parameters: { n: { type: "number", default: N, min: 1, max: 32 } },
  resources: {
    net: { type: "vpc", properties: { cidr: "10.40.0.0/16" } },
    sub: { type: "subnet", properties: { vpc: { ref: "net.id" }, cidr: "10.40.1.0/24" } },
    sg: { type: "security_group", properties: { ingress: [{ protocol: "TCP", port: 22, cidr: "10.40.0.0/16" }] } },
    app: { type: "instance", properties: { subnet: { ref: "sub.id" }, security_groups: [{ ref: "sg.id" }],
      cardinality: { param: "n" }, instance_type: "S5.SMALL1" } },
  },
  outputs: { ips: { ref: "app.private_ips" } },
};

(async () => {
  const d = await startDaemon();
  const out = { n: N, runs: [] };
  try {
    const op = d.common("2026-01-01", d.creds);
    const isv = d.createAccount("isv"), cust = d.createAccount("cust");
    const mi = d.common("2026-01-01", isv), mc = d.common("2026-01-01", cust), cvm = d.cvm(cust);
    const image = (await cvm.DescribeImages({})).ImageSet[0].ImageId;
    await op.request("CreateIsv", { Uin: isv.Uin, SharePercent: 70 });
    const p = await mi.request("CreatePackage", { Name: `stack-${N}`, Kind: "solution", PricePerHour: 1000000,
      Template: JSON.stringify(TEMPLATE) });
    await mi.request("SubmitPackageVersion", { PackageId: p.PackageId, Version: 1 });
    await op.request("ReviewPackage", { PackageId: p.PackageId, Version: 1, Result: "approve" });
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      const id = (await mc.request("DeployPackage", { PackageId: p.PackageId })).DeploymentId;
      const tAccepted = performance.now() - t0;
      const dep = async () => (await mc.request("DescribeDeployments", { DeploymentIds: [id] })).DeploymentSet[0];
      const x = await waitFor(dep, (y) => y.State !== "DEPLOYING", 900000, "deployed", 200);
      if (x.State !== "DEPLOYED") throw new Error(`deployment ended ${x.State}: ${x.Error}`);
      const tDeployed = performance.now() - t0;
      const ids = x.Resources.filter((r) => r.Type === "instance").map((r) => r.ResourceId);
      const ready = new Set();
      await waitFor(async () => {
        for (const i of ids) {
          if (ready.has(i)) continue;
          const o = (await cvm.request("GetInstanceConsoleOutput", { InstanceId: i })).Output;
          if (Buffer.from(o, "base64").toString("latin1").includes("YUN-READY") || o.includes("YUN-READY")) ready.add(i);
        }
        return ready.size;
      }, (k) => k === ids.length, 900000, "all guests YUN-READY", 500);
      const tReady = performance.now() - t0;
      const t1 = performance.now();
      await mc.request("DeleteDeployment", { DeploymentId: id });
      await waitFor(dep, (y) => y.State === "DELETED", 600000, "deleted", 200);
      const tDeleted = performance.now() - t1;
      const r = { accepted_ms: Math.round(tAccepted), deployed_ms: Math.round(tDeployed),
        all_guests_ready_ms: Math.round(tReady), deleted_ms: Math.round(tDeleted), instances: ids.length };
      // the same N instances by hand in one RunInstances, for the ratio: template overhead vs. boots
      const t2 = performance.now();
      const direct = (await cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceType: "S5.SMALL1",
        InstanceCount: ids.length })).InstanceIdSet;
      await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: direct, Limit: 100 })).InstanceSet,
        (set) => set.length === direct.length && set.every((i) => i.InstanceState === "RUNNING"), 900000, "direct RUNNING", 200);
      r.direct_running_ms = Math.round(performance.now() - t2);
      const seen = new Set();
      await waitFor(async () => {
        for (const i of direct) {
          if (!seen.has(i) && (await cvm.request("GetInstanceConsoleOutput", { InstanceId: i })).Output.includes("YUN-READY")) seen.add(i);
        }
        return seen.size;
      }, (k) => k === direct.length, 900000, "direct YUN-READY", 500);
      r.direct_ready_ms = Math.round(performance.now() - t2);
      await cvm.TerminateInstances({ InstanceIds: direct });
      await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: direct })).InstanceSet,
        (set) => set.every((i) => i.InstanceState === "TERMINATED"), 300000, "direct terminated", 500);
      r.ratio_deployed_vs_direct_running = Number((r.deployed_ms / r.direct_running_ms).toFixed(2));
      r.ratio_ready_vs_direct_ready = Number((r.all_guests_ready_ms / r.direct_ready_ms).toFixed(2));
      r.loadavg_1m = Number(require("node:os").loadavg()[0].toFixed(1));
      log(JSON.stringify(r));
      out.runs.push(r);
    }
  } finally {
    await d.destroy();
  }
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
})().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
