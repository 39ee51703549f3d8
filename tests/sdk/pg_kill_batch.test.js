/*
 * kill -9 of an API process in the middle of batch launches, on PostgreSQL (YUN_TEST_STORE; skipped
 * without it). H is `yun up` with the host role, A is `yun up --no-host` on the same store. Batch
 * RunInstances (InstanceCount 2, each with its ClientToken) go to A one after another; A is killed
 * with kill -9 as soon as the first is answered, with others in flight. Then, through H: every
 * instance A acknowledged exists exactly once and H's controller drives it to RUNNING; a request
 * A never answered is sent again with its ClientToken: it gets the instances A had committed, if
 * any, so the cloud holds exactly two instances per token, none twice.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Daemon, TEST_STORE, startDaemon, freePort, sleep, waitFor } = require("./lib/yund");

const skip = !TEST_STORE && "needs YUN_TEST_STORE (a PostgreSQL; make test starts one)";
const BATCHES = 3, PER_BATCH = 2;
const BOOT_MS = 180000;
let h, a;

before(async () => {
  if (skip) return;
  h = await startDaemon({});
  a = new Daemon({ dataDir: h.dataDir, port: await freePort(), store: h.store,
    args: ["--no-host", "--object-listen", `127.0.0.1:${await freePort()}`] });
  await a.start();
});

after(async () => {
  if (a) await a.stop();
  if (h) await h.destroy();
});

test("kill -9 of the --no-host process mid-batch: acknowledged instances exist once and run; retried tokens make no duplicates", { skip }, async () => {
  const acct = h.createAccount("batch-killed");
  const ca = a.cvm(acct, { timeout: 20 }), ch = h.cvm(acct);
  const image = (await ch.DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0].ImageId;
  const tag = Date.now().toString(36);
  const tokens = Array.from({ length: BATCHES }, (_, i) => `kill-batch-${tag}-${i}`);
  const launch = (c, token) => c.RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceType: "S5.SMALL1",
    InstanceCount: PER_BATCH, ClientToken: token });

  const acked = new Map(); // token -> ids A answered with
  let killed = null;
  const sent = tokens.map(async (token, i) => {
    await sleep(i * 40); // one after another, so some are in flight when A dies
    try {
      const r = await launch(ca, token);
      acked.set(token, r.InstanceIdSet);
      if (!killed) killed = a.kill9();
    } catch (e) { /* no answer: A died first */ }
  });
  await Promise.all(sent);
  if (!killed) killed = a.kill9();
  const exit = await killed;
  assert.equal(exit && exit.signal, "SIGKILL", "A was killed");
  assert.ok(acked.size >= 1, "A acknowledged at least one batch before it died");
  console.log(`# A acknowledged ${acked.size} of ${BATCHES} batches before kill -9`);

  // every acknowledged instance exists exactly once
  const all = () => ch.DescribeInstances({ Limit: 100 }).then((r) => r.InstanceSet);
  const seen = await all();
  for (const [token, ids] of acked) {
    assert.equal(ids.length, PER_BATCH, `${token}: a whole batch`);
    for (const id of ids) assert.equal(seen.filter((x) => x.InstanceId === id).length, 1, `${id} exists once`);
  }
  const ackedIds = new Set([...acked.values()].flat());
  console.log(`# ${seen.filter((x) => !ackedIds.has(x.InstanceId)).length} instances committed by A but never answered`);
  // the unanswered requests again, through H, with their tokens
  for (const token of tokens) {
    const ids = (await launch(ch, token)).InstanceIdSet;
    if (acked.has(token)) assert.deepEqual(ids, acked.get(token), `${token}: the same instances again`);
    acked.set(token, ids);
  }
  const want = [...acked.values()].flat();
  assert.equal(new Set(want).size, BATCHES * PER_BATCH, "no instance belongs to two tokens");
  try {
    const now = await all();
    assert.equal(now.length, BATCHES * PER_BATCH, `exactly ${PER_BATCH} instances per token: ${now.map((x) => x.InstanceId)}`);
    assert.deepEqual(now.map((x) => x.InstanceId).sort(), [...want].sort());
    // H's controller drives all of them, those A accepted included, to RUNNING
    await waitFor(all, (set) => set.length === want.length && set.every((x) => x.InstanceState === "RUNNING"), BOOT_MS,
      "every instance RUNNING", 500);
  } finally {
    await ch.TerminateInstances({ InstanceIds: want });
    await waitFor(all, (set) => set.every((x) => x.InstanceState === "TERMINATED" || !want.includes(x.InstanceId)) ||
      set.length === 0, 60000, "terminated", 500).catch(() => {});
  }
});
