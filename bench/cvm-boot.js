/*
 * Boot benchmark for yun's compute service (driven by bench/cvm-boot.sh; prints one JSON object).
 *  floor : the built-in image booted by a bare qemu-system-x86_64 with the driver's own command line
 *          (q35, TCG, -cpu max, 1 GiB, 1 vCPU, same kernel/initrd/append, qcow2 overlay, tap on a bridge,
 *          a static metadata server) -> YUN-READY on the serial log; N sequential boots.
 *  yun   : RunInstances (S5.SMALL1, same image) -> YUN-READY, N sequential launches on an idle host, split into
 *          control plane (API call -> QEMU process started, from /proc/PID/stat starttime) and guest boot.
 *  ssh   : RunInstances with a key pair -> first successful `ssh root@ip true`.
 *  batch : 20 instances in one call -> all RUNNING, all YUN-READY; then idle RSS/PSS per instance, host
 *          MemAvailable drop per instance and idle CPU per instance. Its floor: the same number of bare boots,
 *          at most nproc (yun's default boot_concurrency) booting at once, all kept running.
 * The floor runs in a private network namespace; yun's guests in the account's default VPC. Every guest is
 * terminated at the end.
 * Env: N (default 20), BATCH (20), SSH_RUNS (3), YUN_BIN, SKIP_FLOOR=1 (yun part only).
 */
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");
const tencentcloud = require("tencentcloud-sdk-nodejs");
const { startDaemon, waitFor, sleep, credOf, REPO } = require("../tests/sdk/lib/yund");

const N = Number(process.env.N || 20);
const BATCH = Number(process.env.BATCH || 20);
const SSH_RUNS = Number(process.env.SSH_RUNS || 3);
const IMAGE_DIR = process.env.IMAGE_DIR || path.join(REPO, "build", "images", "tiny");
const CLK_TCK = 100;
const log = (...a) => process.stderr.write(`[cvm-boot] ${a.join(" ")}\n`);

const uptimeMs = () => Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
/* ms since boot at which pid started (10 ms resolution) */
const startedMs = (pid) => {
  const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return (Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[19]) / CLK_TCK) * 1000;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const stats = (xs) => ({ n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), min: Math.min(...xs), max: Math.max(...xs) });
const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};
const hasReady = (file) => { try { return fs.readFileSync(file, "latin1").includes("YUN-READY"); } catch { return false; } };
async function waitFile(file, timeoutMs = 120000) {
  const t = Date.now();
  while (!hasReady(file)) {
    if (Date.now() - t > timeoutMs) throw new Error(`no YUN-READY in ${file}`);
    await sleep(5);
  }
  return performance.now();
}
const memAvailableMiB = () => Number(/MemAvailable:\s+(\d+)/.exec(fs.readFileSync("/proc/meminfo", "utf8"))[1]) / 1024;
const procMem = (pid) => {
  const st = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(st)[1]) / 1024;
  let pss = NaN;
  try { pss = Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))[1]) / 1024; } catch { /* old kernel */ }
  return { rss, pss };
};
/*
 * Where a QEMU's resident memory is, from /proc/PID/smaps (MiB): the guest RAM block (the anonymous rw-p mapping
 * of exactly the guest's size: its Rss is the guest RAM actually touched), TCG's code buffer (anonymous rwxp),
 * the image files mapped for direct boot (vmlinux/initrd: shared page cache), and the rest (QEMU heap, device
 * state, libraries).
 */
function smapsBreakdown(pid, guestMiB) {
  const out = { guestRam: 0, tcgCache: 0, imageFiles: 0, rest: 0, total: 0 };
  let cur = null;
  const flush = () => {
    if (!cur) return;
    const rss = (cur.Rss || 0) / 1024;
    out.total += rss;
    if (cur.perm === "rw-p" && !cur.name && Math.round(cur.size) === guestMiB) out.guestRam += rss;
    else if (cur.perm === "rwxp" && !cur.name) out.tcgCache += rss;
    else if (/\/images\/tiny\//.test(cur.name)) out.imageFiles += rss;
    else out.rest += rss;
  };
  for (const l of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(l);
    if (h) { flush(); cur = { perm: h[3], name: h[4], size: (parseInt(h[2], 16) - parseInt(h[1], 16)) / 1048576 }; continue; }
    const k = /^Rss:\s+(\d+) kB/.exec(l);
    if (k && cur) cur.Rss = Number(k[1]);
  }
  flush();
  return out;
}

const cpuTicks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").slice(0).split(") ")[1].split(" ");
  return Number(f[11]) + Number(f[12]);
};

/* ---- floor: bare QEMU ---- */

function tscKhz() {
  const m = /cpu MHz\s*:\s*([\d.]+)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
  return m ? Math.trunc(Number(m[1]) * 1000) : 0;
}

/* The driver's command line for bare boot i (its own tap, MAC and address on the floor's bridge). */
function bareArgs(D, i, tap, tsc) {
  const ip = `10.253.${1 + (i >> 8)}.${(i & 255) + 2}`, mac = `52:54:00:fb:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
  const args = ["-name", `floor-${i},debug-threads=on`, "-M", "q35", "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1",
    "-nodefaults", "-no-user-config", "-display", "none", "-msg", "timestamp=on",
    "-kernel", path.join(IMAGE_DIR, "vmlinux"), "-initrd", path.join(IMAGE_DIR, "initramfs.cpio.gz"),
    "-append", `console=ttyS0 reboot=t panic=-1 quiet${tsc ? ` tsc_early_khz=${tsc}` : ""} yun.instance=ins-floor000 yun.ip=${ip}/16 yun.gw=10.253.0.1`,
    "-chardev", `socket,id=ser0,path=${D}/serial.sock,server=on,wait=off,logfile=${D}/serial.log`, "-serial", "chardev:ser0",
    "-qmp", `unix:${D}/qmp.sock,server=on,wait=off`, "-pidfile", `${D}/qemu.pid`, "-daemonize",
    "-blockdev", `driver=qcow2,node-name=sys,file.driver=file,file.filename=${D}/system.qcow2`,
    "-device", "virtio-blk-pci,drive=sys,id=sysdisk",
    "-netdev", `tap,id=n0,ifname=${tap},script=no,downscript=no,vhost=off`, "-device", `virtio-net-pci,netdev=n0,id=nic0,mac=${mac}`];
  for (let p = 0; p < 8; p++) args.push("-device", `pcie-root-port,id=hp${p},bus=pcie.0,chassis=${p + 1},slot=${p + 1}`);
  return args;
}

/*
 * The floor's network namespace (a bridge, a static metadata server); fn(boot) where boot(i) makes bare guest i's
 * overlay and tap, starts its QEMU (async: several may start at once) and resolves at its YUN-READY with
 * { ready, daemonize, guestUptime, pid } (ms from its start).
 */
async function floorEnv(fn) {
  const ns = `yunb-${process.pid.toString(36)}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "yun-floor-"));
  const md = path.join(work, "md");
  fs.mkdirSync(path.join(md, "latest", "meta-data"), { recursive: true });
  fs.writeFileSync(path.join(md, "latest", "meta-data", "instance-id"), "ins-floor000");
  fs.writeFileSync(path.join(md, "latest", "meta-data", "hostname"), "floor");
  const ipns = (...a) => sh("ip", ["-n", ns, ...a]);
  sh("ip", ["netns", "add", ns]);
  let server;
  const pids = [];
  try {
    ipns("link", "set", "lo", "up");
    ipns("link", "add", "yunbr0", "type", "bridge");
    ipns("addr", "add", "10.253.0.1/16", "dev", "yunbr0");
    ipns("addr", "add", "169.254.169.254/32", "dev", "yunbr0");
    ipns("link", "set", "yunbr0", "up");
    server = spawn("ip", ["netns", "exec", ns, "python3", "-m", "http.server", "--bind", "169.254.169.254", "80", "--directory", md],
      { stdio: "ignore" });
    await sleep(500);
    const tsc = tscKhz();
    const boot = async (i) => {
      const D = path.join(work, `run${i}`);
      fs.mkdirSync(D);
      sh("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", path.join(IMAGE_DIR, "disk.qcow2"), path.join(D, "system.qcow2")]);
      const tap = `ybt${i}`;
      ipns("tuntap", "add", "dev", tap, "mode", "tap");
      ipns("link", "set", tap, "master", "yunbr0", "up");
      const t0 = performance.now();
      const launcher = spawn("ip", ["netns", "exec", ns, "qemu-system-x86_64", ...bareArgs(D, i, tap, tsc)], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      launcher.stderr.on("data", (b) => { stderr += b; });
      const status = await new Promise((res) => launcher.on("exit", res));
      const tDaemonized = performance.now();
      if (status !== 0) throw new Error(`qemu: ${stderr}`);
      const pid = Number(fs.readFileSync(path.join(D, "qemu.pid"), "utf8"));
      pids.push({ pid, tap });
      const tReady = await waitFile(path.join(D, "serial.log"));
      // the marker's line may still be being written: wait for its uptime
      const log0 = await waitFor(() => fs.readFileSync(path.join(D, "serial.log"), "latin1"),
        (t) => /YUN-READY uptime=[\d.]+\s/.test(t), 5000, "YUN-READY's uptime", 5);
      if (!/YUN-METADATA-OK instance-id=ins-floor000/.test(log0)) throw new Error(`floor guest: no metadata:\n${log0}`);
      const guestUptime = Number(/YUN-READY uptime=([\d.]+)/.exec(log0)[1]) * 1000;
      return { ready: tReady - t0, daemonize: tDaemonized - t0, guestUptime, pid, tap, t0, tReady };
    };
    const kill = async ({ pid, tap }) => {
      try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
      await waitFor(() => { try { return fs.readFileSync(`/proc/${pid}/stat`, "utf8"); } catch { return ""; } },
        (s) => !s || /\) [ZX] /.test(s), 10000, "floor QEMU gone", 10);
      spawnSync("ip", ["-n", ns, "link", "del", tap]);
    };
    return await fn(boot, kill);
  } finally {
    for (const { pid } of pids) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
    if (server) server.kill("SIGKILL");
    spawnSync("ip", ["netns", "del", ns]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/* n sequential bare boots, each killed once ready */
const floor = (n) => floorEnv(async (boot, kill) => {
  const results = [];
  for (let i = 0; i < n; i++) {
    const r = await boot(i);
    results.push({ ready: r.ready, daemonize: r.daemonize, guestUptime: r.guestUptime });
    await kill(r);
    log(`floor ${i + 1}/${n}: ${Math.round(r.ready)} ms`);
  }
  return results;
});

/* count bare boots, at most conc booting at once (a new one starts when one is ready, as yun's boot_concurrency
 * does), all kept running: ms from the first start until the last is ready */
const floorBatch = (count, conc) => floorEnv(async (boot) => {
  const t0 = performance.now();
  let next = 0;
  const readies = [];
  const lane = async () => {
    while (next < count) {
      const r = await boot(next++);
      readies.push(r.tReady - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, count) }, lane));
  log(`floor batch of ${count} (${conc} at a time): all ready ${Math.round(Math.max(...readies))} ms`);
  return { count, conc, allReady: Math.max(...readies), readies: stats(readies) };
});

/* ---- yun ---- */

async function yun() {
  const d = await startDaemon({ config: { compute: { instance_quota: 100, cpu_overcommit_percent: 1600 } } });
  const cvm = d.cvm();
  // guests live in the account's default VPC; SSH goes in from its router namespace and needs a group allowing it
  const vpcApi = new tencentcloud.vpc.v20170312.Client({ credential: credOf(d.creds), region: "ap-local",
    profile: { httpProfile: { endpoint: d.endpoint, protocol: "http://", reqTimeout: 30 } } });
  const sg = (await vpcApi.CreateSecurityGroup({ GroupName: "ssh", GroupDescription: "bench" })).SecurityGroup.SecurityGroupId;
  await vpcApi.CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: {
    Ingress: [{ Protocol: "TCP", Port: "22", CidrBlock: "0.0.0.0/0", Action: "ACCEPT" }] } });
  const out = { seq: [], ssh: [], batch: null };
  const image = (await cvm.DescribeImages({})).ImageSet[0].ImageId;
  const serial = (id) => path.join(d.dataDir, "instances", id, "serial.log");
  const gone = (ids) => waitFor(() => cvm.DescribeInstances({ InstanceIds: ids, Limit: 100 }), (r) => r.TotalCount === 0, 120000, "terminated", 50);
  try {
    for (let i = 0; i < N; i++) {
      const upT0 = uptimeMs();
      const t0 = performance.now();
      const r = await cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceType: "S5.SMALL1" });
      const tApi = performance.now();
      const id = r.InstanceIdSet[0];
      let tRunning = 0, pid = 0, qStart = Infinity;
      const poll = (async () => {
        for (;;) {
          // the first process seen may be QEMU's -daemonize launcher: keep the earliest start time
          for (const p of d.qemuPids().filter((x) => x.id === id)) {
            try { qStart = Math.min(qStart, startedMs(p.pid)); pid = p.pid; } catch { /* exited */ }
          }
          if (!tRunning) {
            const x = (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0];
            if (x.InstanceState === "RUNNING") tRunning = performance.now();
          }
          if (pid && tRunning) return;
          await sleep(20);
        }
      })();
      const tReady = await waitFile(serial(id));
      await poll;
      const qemuStart = qStart - upT0; // ms after the API call was made (10 ms resolution)
      const guestUptime = Number(/YUN-READY uptime=([\d.]+)/.exec(fs.readFileSync(serial(id), "latin1"))[1]) * 1000;
      out.seq.push({ ready: tReady - t0, api: tApi - t0, running: tRunning - t0, qemuStarted: qemuStart, guestUptime });
      log(`yun ${i + 1}/${N}: ready ${Math.round(tReady - t0)} ms (API ${Math.round(tApi - t0)}, QEMU started +${Math.round(qemuStart)}, RUNNING +${Math.round(tRunning - t0)})`);
      await cvm.TerminateInstances({ InstanceIds: [id] });
      await gone([id]);
    }

    const key = (await cvm.CreateKeyPair({ KeyName: "bench", ProjectId: 0 })).KeyPair;
    for (let i = 0; i < SSH_RUNS; i++) {
      const t0 = performance.now();
      const id = (await cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, LoginSettings: { KeyIds: [key.KeyId] },
        SecurityGroupIds: [sg] })).InstanceIdSet[0];
      // the VPC's namespace exists once the instance runs (the last terminate may have removed it)
      const inst = await waitFor(async () => (await cvm.DescribeInstances({ InstanceIds: [id] })).InstanceSet[0],
        (x) => x.InstanceState === "RUNNING", 60000, `${id} RUNNING`, 20);
      const ip = inst.PrivateIpAddresses[0], vpcId = inst.VirtualPrivateCloud.VpcId;
      // wait for port 22 with a tight TCP probe inside the namespace, then log in (retrying while dropbear starts)
      await new Promise((resolve) => spawn("ip", ["netns", "exec", `yv-${vpcId.slice(-8)}`, "timeout", "120", "bash", "-c",
        `until timeout 0.5 bash -c 'exec 3<>/dev/tcp/${ip}/22' 2>/dev/null; do sleep 0.02; done`], { stdio: "ignore" }).on("exit", resolve));
      let tSsh = 0, tries = 0;
      while (!tSsh) {
        tries++;
        const s = d.ssh(ip, key.PrivateKey, "true", { timeout: 10000, vpcId });
        if (s.status === 0) tSsh = performance.now();
        else { await sleep(20); if (performance.now() - t0 > 120000) throw new Error(`no ssh: ${s.stderr}`); }
      }
      const tReady = await waitFile(serial(id));
      out.ssh.push({ ssh: tSsh - t0, ready: tReady - t0, tries });
      log(`ssh ${i + 1}/${SSH_RUNS}: ${Math.round(tSsh - t0)} ms`);
      await cvm.TerminateInstances({ InstanceIds: [id] });
      await gone([id]);
    }

    // batch
    await sleep(2000);
    const memBefore = memAvailableMiB();
    const t0 = performance.now();
    const ids = (await cvm.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceCount: BATCH, InstanceName: "b{R:1}" })).InstanceIdSet;
    const tApi = performance.now();
    let tAllRunning = 0;
    const readyAt = {};
    while (Object.keys(readyAt).length < ids.length) {
      if (!tAllRunning) {
        const r = await cvm.DescribeInstances({ InstanceIds: ids, Limit: 100 });
        if (r.InstanceSet.every((x) => x.InstanceState === "RUNNING")) tAllRunning = performance.now();
      }
      for (const id of ids) if (!readyAt[id] && hasReady(serial(id))) readyAt[id] = performance.now();
      if (performance.now() - t0 > 300000) throw new Error("batch not ready in 300 s");
      await sleep(20);
    }
    const readies = ids.map((id) => readyAt[id] - t0);
    log(`batch of ${BATCH}: all RUNNING ${Math.round(tAllRunning - t0)} ms, all ready ${Math.round(Math.max(...readies))} ms`);
    await sleep(5000); // settle
    const pids = d.qemuPids();
    const mem = pids.map((p) => procMem(p.pid));
    const parts = pids.map((p) => smapsBreakdown(p.pid, 1024)); // S5.SMALL1: 1 GiB
    const avg = (k) => parts.reduce((a, x) => a + x[k], 0) / parts.length;
    const breakdown = { guestRam: avg("guestRam"), tcgCache: avg("tcgCache"), imageFiles: avg("imageFiles"), rest: avg("rest"), total: avg("total") };
    const memAfter = memAvailableMiB();
    const ticks0 = pids.map((p) => cpuTicks(p.pid));
    const w0 = performance.now();
    await sleep(10000);
    const ticks1 = pids.map((p) => cpuTicks(p.pid));
    const idleCpuPct = ((ticks1.reduce((a, b) => a + b, 0) - ticks0.reduce((a, b) => a + b, 0)) / CLK_TCK) / ((performance.now() - w0) / 1000) * 100;
    out.batch = {
      count: BATCH, api: tApi - t0, allRunning: tAllRunning - t0, allReady: Math.max(...readies), readies: stats(readies),
      qemus: pids.length, rss: stats(mem.map((m) => m.rss)), pss: stats(mem.map((m) => m.pss)),
      rssSum: mem.reduce((a, m) => a + m.rss, 0), pssSum: mem.reduce((a, m) => a + m.pss, 0),
      memAvailBefore: memBefore, memAvailAfter: memAfter, idleCpuPctAll: idleCpuPct, breakdown,
    };
    await cvm.TerminateInstances({ InstanceIds: ids });
    await gone(ids);
  } finally {
    try {
      const left = await cvm.DescribeInstances({ Limit: 100 });
      if (left.TotalCount) await cvm.TerminateInstances({ InstanceIds: left.InstanceSet.map((i) => i.InstanceId) }).catch(() => {});
      await waitFor(() => cvm.DescribeInstances({}), (r) => r.TotalCount === 0, 60000, "cleanup", 200).catch(() => {});
    } finally {
      await d.destroy();
    }
  }
  return out;
}

(async () => {
  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: os.cpus().length,
    cpu: (/model name\s*:\s*(.*)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8")) || [])[1],
    memTotalMiB: Math.round(os.totalmem() / 1048576),
    kernel: os.release(),
    qemu: sh("qemu-system-x86_64", ["--version"]).split("\n")[0],
    build: process.env.BUILD_REV || "",
    loadavg: os.loadavg(),
    N, BATCH, SSH_RUNS,
  };
  const fl = process.env.SKIP_FLOOR ? [] : (log(`floor: ${N} bare QEMU boots`), await floor(N));
  const CONC = Number(process.env.BOOT_CONCURRENCY || os.cpus().length); /* yun's boot_concurrency default: nproc */
  const flb = process.env.SKIP_FLOOR || !BATCH ? null : (log(`floor: ${BATCH} bare QEMU boots, ${CONC} at a time`), await floorBatch(BATCH, CONC));
  log(`yun: ${N} sequential launches, ${SSH_RUNS} ssh, batch of ${BATCH}`);
  const y = await yun();
  const res = {
    meta,
    floor: fl.length ? { ready: stats(fl.map((r) => r.ready)), daemonize: stats(fl.map((r) => r.daemonize)), guestUptime: stats(fl.map((r) => r.guestUptime)) } : null,
    yun: {
      ready: stats(y.seq.map((r) => r.ready)), api: stats(y.seq.map((r) => r.api)), running: stats(y.seq.map((r) => r.running)),
      qemuStarted: stats(y.seq.map((r) => r.qemuStarted)), guestUptime: stats(y.seq.map((r) => r.guestUptime)),
    },
    ssh: { ssh: stats(y.ssh.map((r) => r.ssh)), ready: stats(y.ssh.map((r) => r.ready)), tries: y.ssh.map((r) => r.tries) },
    batch: y.batch,
    floorBatch: flb,
    raw: { floor: fl, seq: y.seq, ssh: y.ssh },
  };
  process.stdout.write(JSON.stringify(res, null, 1) + "\n");
})().catch((e) => { console.error(e); process.exit(1); });
