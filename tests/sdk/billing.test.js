/*
 * Billing end to end through the official SDK (billing.v20180709, cvm, cbs) on one cloud started
 * with --test-clock: recharge, postpaid instance and data disk billed hour by hour (amounts checked
 * against the price book independently of yun's arithmetic), StoppedMode STOP_CHARGING, prepaid
 * orders (refusal without balance, purchase, renewal, expiry, release, early-release refund),
 * arrears (grace, isolation, recharge, restart, release after retention), and a kill -9 during the
 * settlement of many resources after which every hour is billed exactly once.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startDaemon, rejectsWith, waitFor } = require("./lib/yund");

const ZONE = "ap-local-1";
const BOOT_MS = 90000;
const FINE = 100000000n; // fine units per yuan
const CENT = 1000000n;   // fine units per cent

let d, image;
const prices = new Map();

const fine = (yuan) => { // "12.34500000" -> BigInt fine units
  const neg = yuan.startsWith("-");
  const [w, f = ""] = (neg ? yuan.slice(1) : yuan).split(".");
  const v = BigInt(w) * FINE + BigInt((f + "00000000").slice(0, 8));
  return neg ? -v : v;
};
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const halfUp = (num, den) => (num >= 0n ? (num + den / 2n) / den : -((-num + den / 2n) / den));
const price = (product, component, item, mode = "postPay") =>
  prices.get(`${product}|${component}|${item}|${mode}`) || prices.get(`${product}|${component}|*|${mode}`);
const cam = (t) => { // unix seconds -> "yyyy-mm-dd hh:mm:ss" (UTC)
  const s = new Date(t * 1000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)}`;
};
const cam_ = cam;
const unixOf = (s) => Date.parse(s.replace(" ", "T") + "Z") / 1000;

const clock = (dur) => JSON.parse(dur ? d.admin("clock", "--advance", dur) : d.admin("clock")).Unix;

function account(name, cents) {
  const a = d.createAccount(name);
  if (cents) d.admin("recharge", "--uin", a.Uin, "--cents", String(cents));
  return { ...a, cvm: d.cvm(a), cbs: d.cbs(a), billing: d.billing(a), common: d.common("2018-07-09", a) };
}

const balance = async (a) => (await a.billing.DescribeAccountBalance({})).Balance;

async function details(a, extra = {}) {
  const out = [];
  for (let off = 0; ; off += 300) {
    const r = await a.billing.DescribeBillDetail({ Offset: off, Limit: 300, BeginTime: cam(a.since), EndTime: cam(clock() + 1),
      ...extra });
    out.push(...r.DetailSet);
    if (out.length >= r.Total || r.DetailSet.length === 0) return out;
  }
}

async function describe1(a, id) {
  const r = await a.cvm.DescribeInstances({ InstanceIds: [id] });
  return r.InstanceSet[0];
}
const waitInstance = (a, id, pred, what, ms = BOOT_MS) => waitFor(() => describe1(a, id), (i) => i && pred(i), ms, what, 200);

/* Every component of every row: cost recomputed from the price book and its own time span. */
function checkRow(row) {
  let cost = 0n, real = 0n;
  for (const c of row.ComponentSet) {
    const product = { p_cvm: "cvm", p_cbs: "cbs", p_eip: "vpc" }[row.BusinessCode];
    const p = price(product, c.ComponentCode, c.ItemCode);
    assert.ok(p, `a price for ${product} ${c.ComponentCode} ${c.ItemCode}`);
    assert.equal(fine(c.SinglePrice), p.price, `${row.ResourceId} ${c.ComponentCode}: list price from the book`);
    const secs = BigInt(Math.round(Number(c.TimeSpan) * 3600));
    const qtySecs = halfUp(fine(c.UsedAmount) * secs, FINE); // UsedAmount is the average quantity
    const want = halfUp(p.price * qtySecs, p.unitQty * 3600n);
    assert.equal(fine(c.Cost), want, `${row.ResourceId} ${c.ComponentCode} ${row.FeeBeginTime}: cost`);
    assert.equal(fine(c.RealCost), fine(c.CashPayAmount) + fine(c.VoucherPayAmount) + fine(c.IncentivePayAmount) +
      fine(c.TransferPayAmount), "RealCost = the four payment parts");
    cost += fine(c.Cost);
    real += fine(c.RealCost);
  }
  return { cost, real };
}

before(async () => {
  d = await startDaemon({ args: ["--test-clock"] });
  for (const line of d.admin("price", "list").split("\n").filter((l) => l.trim())) {
    const r = JSON.parse(line);
    prices.set(`${r.Product}|${r.Component}|${r.Item}|${r.PayMode}`,
      { price: fine(r.Price), unitQty: BigInt(r.UnitQty), period: r.PeriodSeconds });
  }
  image = (await d.cvm().DescribeImages({})).ImageSet[0].ImageId;
});

after(async () => { if (d) await d.destroy(); });

const st = {};

test("the clock moves only on a --test-clock daemon, forward, and admin commands refuse bad input", async () => {
  const t0 = clock();
  const t1 = clock("90m");
  assert.ok(t1 - t0 >= 5400 && t1 - t0 < 5460, `advanced by 90 minutes (${t1 - t0} s)`);
  for (const bad of [["clock", "--advance", "-1h"], ["clock", "--advance", "3x"], ["recharge", "--uin", "1", "--cents", "-5"],
    ["discount", "--uin", "1", "--product", "cvm", "--rate", "1.5"], ["recharge", "--uin", "999999999999", "--cents", "5"]]) {
    const r = d.run(["admin", ...bad, "--data", d.dataDir]);
    assert.notEqual(r.status, 0, `yun admin ${bad.join(" ")} is refused`);
  }
});

test("postpaid: an instance and a data disk are billed per second and settled on the hour, exactly", async () => {
  const a = st.a = account("payg", 100000);
  a.since = clock() - 1;
  assert.equal(await balance(a), 100000);
  const id = (await a.cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1" })).InstanceIdSet[0];
  const disk = (await a.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 20,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  await waitInstance(a, id, (i) => i.InstanceState === "RUNNING", `${id} RUNNING`);
  st.inst = id;
  st.disk = disk;
  clock("3h");
  const rows = await details(a);
  const mine = rows.filter((r) => r.ResourceId === id), disks = rows.filter((r) => r.ResourceId === disk);
  assert.equal(mine.length, 3, "three hourly rows for the instance");
  assert.equal(disks.length, 3, "three hourly rows for the disk");
  for (const r of mine) assert.deepEqual(r.ComponentSet.map((c) => c.ComponentCode).sort(), ["v_cvm_cpu", "v_cvm_mem", "v_cvm_rootdisk"]);
  for (const r of rows) {
    assert.equal(r.ActionTypeName, "按量计费扣费");
    assert.equal(r.PayModeName, "按量计费");
    assert.equal(r.OwnerUin, a.Uin);
  }
  let real = 0n;
  for (const r of rows) real += checkRow(r).real;
  // the last two hours are whole hours
  for (const r of [...mine.slice(1), ...disks.slice(1)]) assert.equal(unixOf(r.FeeEndTime) - unixOf(r.FeeBeginTime), 3600);
  assert.equal(BigInt(await balance(a)), floorDiv(100000n * CENT - real, CENT), "the balance is reduced by exactly the rows");

  // L2 per resource = the sum of its L3 rows
  const l2 = await a.billing.DescribeBillResourceSummary({ Offset: 0, Limit: 100, BeginTime: cam(a.since), EndTime: cam(clock() + 1) });
  for (const res of [id, disk]) {
    const s = l2.ResourceSummarySet.find((x) => x.ResourceId === res);
    let sum = 0n;
    for (const r of rows.filter((x) => x.ResourceId === res)) sum += checkRow(r).real;
    assert.equal(fine(s.RealTotalCost), sum, `L2 of ${res}`);
  }
  // the ledger: one deduction per hour, adding up to the balance
  const ledger = await a.billing.DescribeBillList({ StartTime: cam(a.since), EndTime: cam(clock() + 1), Offset: 0, Limit: 100 });
  const deducts = ledger.TransactionList.filter((t) => t.ActionType === "deduct");
  assert.equal(deducts.length, 3);
  assert.equal(deducts.reduce((x, t) => x + t.Amount, 0) + 100000, await balance(a));
  assert.ok(deducts.every((t) => t.DeductMode === "hourh" && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000$/.test(t.OperationTime)));
});

test("StoppedMode STOP_CHARGING stops compute billing, disks go on", async () => {
  const a = st.a;
  await a.cvm.StopInstances({ InstanceIds: [st.inst], StopType: "HARD", StoppedMode: "STOP_CHARGING" });
  const i = await waitInstance(a, st.inst, (x) => x.InstanceState === "STOPPED", "stopped");
  assert.equal(i.StopChargingMode, "STOP_CHARGING");
  const before = clock();
  clock("2h");
  const later = (await details(a)).filter((r) => unixOf(r.FeeBeginTime) >= Math.ceil(before / 3600) * 3600);
  const inst = later.filter((r) => r.ResourceId === st.inst);
  assert.ok(inst.length >= 1, "the stopped instance still has rows (its system disk)");
  for (const r of inst) assert.deepEqual(r.ComponentSet.map((c) => c.ComponentCode), ["v_cvm_rootdisk"], "no CPU or memory");
  assert.ok(later.some((r) => r.ResourceId === st.disk), "the data disk is still billed");
});

test("prepaid: refused without balance, then one order, renewal, expiry, release; an early release is refunded", async () => {
  const p = st.p = account("prepaid", 100);
  p.since = clock() - 1;
  const run = () => p.cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1",
    InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } });
  await rejectsWith(run(), "InvalidAccount.InsufficientBalance");
  assert.equal((await p.cvm.DescribeInstances({})).TotalCount, 0, "nothing was created");
  const deals0 = await p.billing.DescribeDealsByCond({ StartTime: cam(p.since), EndTime: cam(clock() + 60), Limit: 100 });
  assert.equal(deals0.TotalCount, 0);
  assert.equal(await balance(p), 100);

  d.admin("recharge", "--uin", p.Uin, "--cents", "100000");
  const id = (await run()).InstanceIdSet[0];
  // the list price of one month, from the book: 1 vCPU, 1 GiB, a 50 GiB system disk
  const sys = (await describe1(p, id)).SystemDisk;
  const want = price("cvm", "v_cvm_cpu", "S5", "prePay").price + price("cvm", "v_cvm_mem", "S5", "prePay").price +
    price("cvm", "v_cvm_rootdisk", sys.DiskType, "prePay").price * BigInt(sys.DiskSize);
  const deals = await p.billing.DescribeDealsByCond({ StartTime: cam(p.since), EndTime: cam(clock() + 60), Limit: 100 });
  assert.equal(deals.TotalCount, 1);
  assert.equal(deals.Deals[0].Action, "purchase");
  assert.equal(deals.Deals[0].PayMode, "prePay");
  assert.equal(BigInt(deals.Deals[0].RealTotalCost), floorDiv(want, CENT));
  assert.equal(BigInt(await balance(p)), floorDiv(100100n * CENT - want, CENT), "paid at once");
  const i1 = await describe1(p, id);
  assert.equal(i1.InstanceChargeType, "PREPAID");
  assert.equal(i1.RenewFlag, "NOTIFY_AND_MANUAL_RENEW");
  const exp1 = Date.parse(i1.ExpiredTime) / 1000;
  assert.ok(exp1 - clock() > 27 * 86400 && exp1 - clock() <= 31 * 86400, "expires in a month");

  await p.cvm.RenewInstances({ InstanceIds: [id], InstanceChargePrepaid: { Period: 1 } });
  const exp2 = Date.parse((await describe1(p, id)).ExpiredTime) / 1000;
  assert.ok(exp2 - exp1 >= 28 * 86400 && exp2 - exp1 <= 31 * 86400, "renewed from the old expiry");
  assert.equal((await p.billing.DescribeDealsByCond({ StartTime: cam(p.since), EndTime: cam(clock() + 60), Limit: 100 })).TotalCount, 2);

  // early release: the unused part comes back
  const id2 = (await run()).InstanceIdSet[0];
  const paid = await balance(p);
  await p.cvm.TerminateInstances({ InstanceIds: [id2] });
  const back = await balance(p) - paid;
  assert.ok(back > 0 && BigInt(back) <= floorDiv(want, CENT), `refunded ${back} cents`);
  const ledger = await p.billing.DescribeBillList({ StartTime: cam(p.since), EndTime: cam(clock() + 60), Offset: 0, Limit: 100,
    PayType: ["return"] });
  assert.equal(ledger.TransactionList.length, 1);
  assert.equal(ledger.TransactionList[0].Amount, back);

  // past the second period: stopped and EXPIRED; a week later released
  await waitInstance(p, id, (x) => x.InstanceState === "RUNNING", `${id} RUNNING`);
  clock(`${Math.ceil((exp2 - clock()) / 3600) + 1}h`);
  const e = await waitInstance(p, id, (x) => x.RestrictState === "EXPIRED" && x.InstanceState === "STOPPED", "expired and stopped", 60000);
  assert.equal(e.RestrictState, "EXPIRED");
  await rejectsWith(p.cvm.StartInstances({ InstanceIds: [id] }), "UnsupportedOperation.InstanceStateIsolating");
  clock("8d");
  await waitFor(() => p.cvm.DescribeInstances({ InstanceIds: [id] }), (r) => r.TotalCount === 0, 60000, "released");
  const notes = await p.common.request("DescribeNotifications", {});
  const kinds = notes.NotificationSet.map((n) => n.Type);
  assert.ok(kinds.includes("EXPIRED") && kinds.includes("RELEASED"), `notified: ${kinds}`);
});

test("arrears: grace, isolation, recharge and restart; without a recharge, release after the retention period", async () => {
  const b = account("arrears", 30);
  b.since = clock() - 1;
  const id = (await b.cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1" })).InstanceIdSet[0];
  await waitInstance(b, id, (i) => i.InstanceState === "RUNNING", `${id} RUNNING`);
  // about 20 cents an hour: below zero within three settled hours, whenever in its hour the guest booted
  for (let i = 0; i < 4 && await balance(b) >= 0; i++) clock("1h");
  assert.ok(await balance(b) < 0, "in arrears");
  assert.equal((await describe1(b, id)).RestrictState, "NORMAL", "still running during the grace period");
  await rejectsWith(b.cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: image, InstanceType: "S5.SMALL1" }),
    "InvalidAccount.InsufficientBalance");
  clock("3h");
  const iso = await waitInstance(b, id, (x) => x.RestrictState === "PROTECTIVELY_ISOLATED" && x.InstanceState === "STOPPED",
    "isolated and stopped", 60000);
  assert.equal(iso.RestrictState, "PROTECTIVELY_ISOLATED");
  await rejectsWith(b.cvm.StartInstances({ InstanceIds: [id] }), "InvalidAccount.InsufficientBalance");
  // isolated: compute is no longer billed
  const t = clock();
  clock("2h");
  const after = (await details(b)).filter((r) => r.ResourceId === id && unixOf(r.FeeBeginTime) >= Math.ceil(t / 3600) * 3600);
  for (const r of after) assert.deepEqual(r.ComponentSet.map((c) => c.ComponentCode), ["v_cvm_rootdisk"]);

  d.admin("recharge", "--uin", b.Uin, "--cents", "1000");
  clock("1s");
  assert.equal((await describe1(b, id)).RestrictState, "NORMAL", "paid: may start again");
  await b.cvm.StartInstances({ InstanceIds: [id] });
  await waitInstance(b, id, (x) => x.InstanceState === "RUNNING", `${id} RUNNING again`);

  // the balance runs out again; no recharge: grace, isolation, and 15 days later the release
  clock("20d");
  await waitFor(() => b.cvm.DescribeInstances({ InstanceIds: [id] }), (r) => r.TotalCount === 0, 60000, "released");
  const kinds = (await b.common.request("DescribeNotifications", { Limit: 100 })).NotificationSet.map((n) => n.Type);
  for (const k of ["BALANCE_ALERT", "GRACE", "ISOLATED", "ARREARS_CLEARED", "RELEASED"])
    assert.ok(kinds.includes(k), `notified ${k}: ${kinds}`);
  const audit = d.audit(500).filter((e) => e.Action === "OverdueStateChange" && e.Uin === b.Uin).map((e) => e.Result);
  for (const k of ["GRACE", "ISOLATED", "NORMAL", "RELEASED"]) assert.ok(audit.includes(k), `audited ${k}: ${audit}`);
});

test("kill -9 during the settlement of many resources: after a restart every hour is billed exactly once", async () => {
  const k = account("many", 10000000);
  k.since = clock() - 1;
  const disks = [];
  for (let i = 0; i < 4; i++)
    disks.push(...(await k.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_BASIC", DiskSize: 10 + i,
      DiskCount: 10, DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet);
  const start = clock();
  const child = require("node:child_process").spawn(process.env.YUN_BIN || "build/yun",
    ["admin", "clock", "--advance", "3d", "--data", d.dataDir], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 400));
  await d.kill9();
  child.kill("SIGKILL");
  await d.start();
  const end = clock("1s"); // returns once the restarted daemon has caught up
  assert.ok(end - start >= 3 * 86400);
  const rows = await details(k);
  const hours = new Map();
  for (const r of rows) {
    const key = `${r.ResourceId}|${r.FeeBeginTime.slice(0, 13)}`;
    assert.ok(!hours.has(key), `${key} billed once`);
    hours.set(key, r);
  }
  // independent sum: each disk, each settled hour, size x price x seconds
  const settledEnd = Math.floor(end / 3600) * 3600;
  let want = 0n, got = 0n;
  const p = price("cbs", "v_cbs_disk", "CLOUD_BASIC");
  for (const r of rows) got += fine(r.ComponentSet[0].RealCost);
  for (const id of disks) {
    const mine = rows.filter((r) => r.ResourceId === id);
    const size = BigInt(mine[0].ComponentSet[0].UsedAmount.split(".")[0]);
    const from = unixOf(mine[0].FeeBeginTime);
    assert.equal(mine.length, (settledEnd - Math.floor(from / 3600) * 3600) / 3600, `${id}: one row per hour`);
    for (let h = Math.floor(from / 3600) * 3600; h < settledEnd; h += 3600) {
      const secs = BigInt(Math.min(h + 3600, settledEnd) - Math.max(h, from));
      want += halfUp(p.price * size * secs, p.unitQty * 3600n);
    }
  }
  assert.equal(got, want, "the rows add up to the independent sum");
  // Context pages (an index seek after the last row) give the same rows as Offset pages
  const byContext = [];
  for (let ctx = ""; ;) {
    const r = await k.billing.DescribeBillDetail({ Offset: 0, Limit: 300, BeginTime: cam(k.since), EndTime: cam(clock() + 1),
      Context: ctx || undefined });
    byContext.push(...r.DetailSet.map((x) => x.Id));
    if (r.DetailSet.length < 300) break;
    ctx = r.Context;
  }
  assert.deepEqual(byContext, rows.map((x) => x.Id), "Context paging = Offset paging");
  await rejectsWith(k.billing.DescribeBillDetail({ Offset: 0, Limit: 10, Month: "2026-12", Context: "junk" }),
    "InvalidParameterValue");
  assert.equal(BigInt(await balance(k)), floorDiv(10000000n * CENT - got, CENT), "deducted exactly once");
});

test("prepaid disks: paid at creation, renewed, refunded when released early, expired, then released", async () => {
  const q = account("disks", 10000);
  q.since = clock() - 1;
  const create = () => q.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 20,
    DiskChargeType: "PREPAID", DiskChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_MANUAL_RENEW" } });
  const id = (await create()).DiskIdSet[0];
  const want = price("cbs", "v_cbs_disk", "CLOUD_PREMIUM", "prePay").price * 20n;
  assert.equal(BigInt(await balance(q)), floorDiv(10000n * CENT - want, CENT), "one month paid at once");
  const d1 = (await q.cbs.DescribeDisks({ DiskIds: [id] })).DiskSet[0];
  assert.equal(d1.DiskChargeType, "PREPAID");
  assert.equal(d1.RenewFlag, "NOTIFY_AND_MANUAL_RENEW");
  const dl1 = unixOf(d1.DeadlineTime);
  assert.ok(dl1 - clock() > 27 * 86400, `deadline ${d1.DeadlineTime}`);
  await q.cbs.RenewDisk({ DiskId: id, DiskChargePrepaid: { Period: 1 } });
  const dl2 = unixOf((await q.cbs.DescribeDisks({ DiskIds: [id] })).DiskSet[0].DeadlineTime);
  assert.ok(dl2 - dl1 >= 28 * 86400, "renewed from the old deadline");
  // too poor for another: refused, nothing created
  const before = (await q.cbs.DescribeDisks({})).TotalCount;
  await rejectsWith(q.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 2000,
    DiskChargeType: "PREPAID", DiskChargePrepaid: { Period: 12 } }), "InvalidAccount.InsufficientBalance");
  assert.equal((await q.cbs.DescribeDisks({})).TotalCount, before);
  // auto-renewal: at the deadline one more month is paid from the balance
  const auto = (await q.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_PREMIUM", DiskSize: 10,
    DiskChargeType: "PREPAID", DiskChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_AUTO_RENEW" } })).DiskIdSet[0];
  const autoDl = unixOf((await q.cbs.DescribeDisks({ DiskIds: [auto] })).DiskSet[0].DeadlineTime);
  // released early: the unused part comes back
  const id2 = (await create()).DiskIdSet[0];
  const paid = await balance(q);
  await q.cbs.TerminateDisks({ DiskIds: [id2] });
  assert.ok(await balance(q) > paid, "refunded");
  // past the deadline: EXPIRED refusals, then gone after the retention
  clock(`${Math.ceil((dl2 - clock()) / 3600) + 1}h`);
  await rejectsWith(q.cbs.ResizeDisk({ DiskId: id, DiskSize: 30 }), "InvalidDisk.Expire");
  const renewed = (await q.cbs.DescribeDisks({ DiskIds: [auto] })).DiskSet[0];
  assert.ok(unixOf(renewed.DeadlineTime) > autoDl, "the auto-renewing disk was renewed at its deadline");
  assert.equal(renewed.DeadlineError, false);
  const deals = await q.billing.DescribeDealsByCond({ StartTime: cam(q.since), EndTime: cam(clock() + 60), Limit: 100 });
  assert.ok(deals.Deals.filter((x) => x.Action === "renew").length >= 2, "the manual and the automatic renewals");
  const notes = (await q.common.request("DescribeNotifications", { Limit: 100 })).NotificationSet.map((n) => n.Type);
  assert.ok(notes.includes("AUTO_RENEWED") && notes.includes("EXPIRED"), `notified: ${notes}`);
  assert.equal((await q.cbs.DescribeDisks({ DiskIds: [id] })).DiskSet[0].DeadlineError, true);
  clock("8d");
  await waitFor(() => q.cbs.DescribeDisks({ DiskIds: [id] }), (r) => r.TotalCount === 0, 30000, "released");
});

test("object storage: stored GiB-hours, requests and bytes sent are billed to the bucket's owner", async () => {
  const S3 = require("@aws-sdk/client-s3");
  const o = account("objects", 10000);
  const s3 = new S3.S3Client({ region: "ap-local", endpoint: d.creds.ObjectEndpoint, forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: o.SecretId, secretAccessKey: o.SecretKey } });
  const bucket = `bill-${o.AppId}`;
  await s3.send(new S3.CreateBucketCommand({ Bucket: bucket }));
  const body = Buffer.alloc(1 << 20, 7);
  for (const k of ["a", "b", "c"]) await s3.send(new S3.PutObjectCommand({ Bucket: bucket, Key: k, Body: body }));
  for (let i = 0; i < 5; i++) await (await s3.send(new S3.GetObjectCommand({ Bucket: bucket, Key: "a" }))).Body.transformToByteArray();
  await new Promise((r) => setTimeout(r, 3000)); // the gateway flushes its counters every 2 s
  o.since = clock() - 7200;
  clock("2h");
  const rows = (await details(o, { BusinessCode: "p_cos" })).filter((r) => r.ResourceId === bucket);
  assert.ok(rows.length >= 2, `rows for the bucket: ${rows.length}`);
  const comp = (code) => rows.flatMap((r) => r.ComponentSet.filter((c) => c.ComponentCode === code));
  // requests: 1 create + 3 PUT + 5 GET (at least), priced per 10,000
  const req = comp("v_cos_requests");
  const nreq = req.reduce((n, c) => n + BigInt(Math.round(Number(c.UsedAmount) * 10000)), 0n);
  assert.ok(nreq >= 9n, `requests counted: ${nreq}`);
  const pr = price("cos", "v_cos_requests", "*");
  for (const c of req) assert.equal(fine(c.Cost), halfUp(pr.price * BigInt(Math.round(Number(c.UsedAmount) * 10000)), pr.unitQty));
  // egress: the five GETs' bytes
  const eg = comp("v_cos_egress");
  const pe = price("cos", "v_cos_egress", "*");
  const egCost = eg.reduce((x, c) => x + fine(c.Cost), 0n);
  assert.ok(egCost >= halfUp(pe.price * 5n * BigInt(body.length), pe.unitQty), "bytes sent are billed");
  // storage: 3 MiB for every second of the hours after the upload
  const ps = price("cos", "v_cos_storage", "*");
  for (const c of comp("v_cos_storage")) {
    const secs = BigInt(Math.round(Number(c.TimeSpan) * 3600));
    assert.equal(fine(c.Cost), halfUp(ps.price * 3n * BigInt(body.length) * secs, ps.unitQty * 3600n), "GiB-hours");
  }
  assert.ok(comp("v_cos_storage").length >= 1);
  // the balance paid all of it
  let real = 0n;
  for (const r of await details(o)) for (const c of r.ComponentSet) real += fine(c.RealCost);
  assert.equal(BigInt(await balance(o)), floorDiv(10000n * CENT - real, CENT));
});

test("sub-users need a policy on billing: finance:* and billing:* are the same", async () => {
  const a = st.a;
  const cam = d.cam(a);
  const u = await cam.AddUser({ Name: "accountant", UseApi: 1 });
  const ub = d.billing({ SecretId: u.SecretId, SecretKey: u.SecretKey });
  await rejectsWith(ub.DescribeAccountBalance({}), "UnauthorizedOperation");
  const p = await cam.CreatePolicy({ PolicyName: "finance-read", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "allow", action: ["finance:DescribeAccountBalance", "billing:DescribeBillList"], resource: "*" }] }) });
  await cam.AttachUserPolicy({ PolicyId: p.PolicyId, AttachUin: u.Uin });
  assert.equal((await ub.DescribeAccountBalance({})).Balance, await balance(a), "the root account's balance");
  await ub.DescribeBillList({ StartTime: cam_(clock() - 86400), EndTime: cam_(clock()), Offset: 0, Limit: 10 });
  await rejectsWith(ub.DescribeDealsByCond({ StartTime: cam_(clock() - 86400), EndTime: cam_(clock()), Limit: 10 }),
    "UnauthorizedOperation");
});

test("the price book is effective-dated: a new price applies from its time on, earlier hours keep theirs", async () => {
  const e = account("prices", 100000);
  e.since = clock() - 1;
  const past = d.run(["admin", "price", "set", "--data", d.dataDir, "--product", "cbs", "--component", "v_cbs_disk",
    "--item", "CLOUD_HSSD", "--price", "0.002", "--from", cam_(clock() - 3600)]);
  assert.notEqual(past.status, 0, "a price in the past is refused");
  const disk = (await e.cbs.CreateDisks({ Placement: { Zone: ZONE }, DiskType: "CLOUD_HSSD", DiskSize: 100,
    DiskChargeType: "POSTPAID_BY_HOUR" })).DiskIdSet[0];
  const from = (Math.floor(clock() / 3600) + 2) * 3600; // two hour boundaries from now
  d.admin("price", "set", "--product", "cbs", "--component", "v_cbs_disk", "--item", "CLOUD_HSSD", "--price", "0.002",
    "--from", cam_(from));
  clock("4h");
  const rows = (await details(e)).filter((r) => r.ResourceId === disk);
  const old = price("cbs", "v_cbs_disk", "CLOUD_HSSD").price;
  assert.ok(rows.length >= 4);
  for (const r of rows) {
    const want = unixOf(r.FeeBeginTime) >= from ? fine("0.002") : old;
    assert.equal(fine(r.ComponentSet[0].SinglePrice), want, `${r.FeeBeginTime}: the price in force then`);
  }
  assert.ok(rows.some((r) => unixOf(r.FeeBeginTime) >= from) && rows.some((r) => unixOf(r.FeeBeginTime) < from));
});

test("the operator recharges an account through the API (RechargeAccount); nobody else may", async () => {
  const c = account("topup", 0);
  const op = d.common("2018-07-09");
  const r = await op.request("RechargeAccount", { Uin: c.Uin, Amount: 1234 });
  assert.equal(r.Balance, 1234);
  assert.equal(await balance(c), 1234);
  const list = await c.billing.DescribeBillList({ StartTime: cam_(clock() - 60), EndTime: cam_(clock() + 60), Offset: 0,
    Limit: 10, PayType: ["recharge"] });
  assert.equal(list.TransactionList[0].Amount, 1234);
  assert.equal(list.TransactionList[0].BillId, r.BillId);
  await rejectsWith(c.common.request("RechargeAccount", { Uin: c.Uin, Amount: 100 }), "UnauthorizedOperation");
  await rejectsWith(op.request("RechargeAccount", { Uin: "999999999999", Amount: 100 }), "ResourceNotFound");
  await rejectsWith(op.request("RechargeAccount", { Uin: c.Uin, Amount: -5 }), /InvalidParameter/);
  assert.equal(await balance(c), 1234, "the refusals changed nothing");
  const audit = d.audit(200).filter((e) => e.Action === "RechargeAccount");
  assert.ok(audit.length >= 4, "every recharge and refusal is audited");
});
