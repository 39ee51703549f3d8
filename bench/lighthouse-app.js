/*
 * lighthouse CreateInstances -> the application answering, per blueprint (driven by
 * bench/lighthouse-app.sh, which runs the by-hand boot of the same images right after it).
 * For each NAME: `yun admin images build NAME` (linked from the shared cache), CreateInstances
 * {bundle_starter_01 (1 vCPU, 1 GiB, the by-hand boot's shape), the blueprint}, then polls every
 * second: lighthouse's DescribeInstances RUNNING (its probe of the manifest's ready_path answered)
 * and, from the host, the same ready_path on the PublicAddresses (an HTTP GET answering 2xx/3xx, or
 * a TCP connection for tcp:PORT). Prints one line per blueprint: the seconds to each, the guest
 * QEMU's CPU seconds at the application's answer (load-independent), the load average. Then
 * TerminateInstances. Env: YUN_BIN. Args: NAME... (default wordpress postgresql).
 */
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, waitFor, sleep, credOf } = require("../tests/sdk/lib/yund");

const names = process.argv.slice(2).length ? process.argv.slice(2) : ["wordpress", "postgresql"];
const CLK_TCK = 100;

function tcpAnswers(ip, port) {
  return new Promise((resolve) => {
    const c = net.connect({ host: ip, port, timeout: 2000 });
    c.on("connect", () => { c.destroy(); resolve(true); });
    c.on("timeout", () => { c.destroy(); resolve(false); });
    c.on("error", () => resolve(false));
  });
}

async function appAnswers(ip, m) {
  if (m.ready_path.startsWith("tcp:")) return tcpAnswers(ip, Number(m.ready_path.slice(4)));
  try {
    const r = await fetch(`http://${ip}:${m.app_port}${m.ready_path}`, { redirect: "manual", signal: AbortSignal.timeout(60000) });
    await r.arrayBuffer();
    return r.status >= 200 && r.status < 400;
  } catch { return false; }
}

/* CPU seconds (user + system) of the QEMU process running cvm instance `ins`, or null. */
function qemuCpu(ins) {
  for (const pid of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    let cmd;
    try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"); } catch { continue; }
    if (!cmd.startsWith("qemu-system") || !cmd.includes(`\0${ins},`)) continue;
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  }
  return null;
}

(async () => {
  const d = await startDaemon();
  try {
    const acct = d.createAccount("bench-lh");
    d.admin("recharge", "--uin", acct.Uin, "--cents", "1000000");
    const cvm = d.cvm(acct);
    const lh = new tencentcloud.lighthouse.v20200324.Client({
      credential: credOf(acct), region: "ap-local",
      profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqTimeout: 60 } },
    });
    for (const name of names) {
      const built = d.admin("images", "build", name).trim().split("\n").pop();
      if (!JSON.parse(built).ImageId) throw new Error(`${name}: ${built}`);
      const m = JSON.parse(fs.readFileSync(`${d.dataDir}/images/${name}/manifest.json`, "utf8"));
      const bp = (await lh.DescribeBlueprints({})).BlueprintSet.find((x) => x.BlueprintName === name);
      const t0 = Date.now();
      const id = (await lh.CreateInstances({ BundleId: "bundle_starter_01", BlueprintId: bp.BlueprintId,
        InstanceChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } })).InstanceIdSet[0];
      let ip = null, ins = null, tApp = null, tLh = null, cpu = null;
      while (Date.now() - t0 < 600000 && (tApp === null || tLh === null)) {
        const i = (await lh.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
        ip = i.PublicAddresses[0];
        if (!ins) ins = ((await cvm.DescribeInstances({})).InstanceSet[0] || {}).InstanceId;
        if (tLh === null && i.InstanceState === "RUNNING") tLh = (Date.now() - t0) / 1000;
        if (tApp === null && ip && (await appAnswers(ip, m))) {
          tApp = (Date.now() - t0) / 1000;
          cpu = ins ? qemuCpu(ins) : null;
        }
        await sleep(1000);
      }
      const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
      console.log(`${name.padEnd(11)} CreateInstances -> ${m.ready_path} answering from the host ${tApp === null ? "never" : tApp.toFixed(1) + " s"}, ` +
        `-> lighthouse RUNNING ${tLh === null ? "never" : tLh.toFixed(1) + " s"}, QEMU CPU ${cpu === null ? "?" : cpu.toFixed(1)} s, load ${load}`);
      await lh.TerminateInstances({ InstanceIds: [id] });
      await waitFor(async () => (await cvm.DescribeInstances({})).TotalCount, (n) => n === 0, 120000, "terminated", 1000);
    }
  } finally {
    await d.destroy();
  }
})().catch((e) => { console.error(e); process.exit(1); });
