/*
 * yun admin store migrate: a SQLite cloud with accounts, keys, a VPC and subnet, a disk, a bucket and
 * objects moves to PostgreSQL (YUN_TEST_STORE; skipped without it): the copy is verified by counts
 * and checksums, and the cloud started on PostgreSQL from the same data directory answers the same
 * (the account's sealed key still signs, the objects read back byte for byte). `store check` then
 * notices a change made on one side.
 */
"use strict";
const { test, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const S3 = require("@aws-sdk/client-s3");
const { Daemon, TEST_STORE, startDaemon, freePort, waitFor, BIN } = require("./lib/yund");

const skip = !TEST_STORE && "needs YUN_TEST_STORE (a PostgreSQL; make test starts one)";
let lite, pg;
after(async () => {
  if (pg) await pg.destroy();
  if (lite) await lite.destroy();
});

function s3(d, acct) {
  return new S3.S3Client({ region: "us-east-1", endpoint: `http://127.0.0.1:${d.objectPort}`, forcePathStyle: true,
    maxAttempts: 1, credentials: { accessKeyId: acct.SecretId, secretAccessKey: acct.SecretKey } });
}

async function answers(d, acct) {
  const strip = (r) => { const o = { ...r }; delete o.RequestId; return JSON.parse(JSON.stringify(o)); };
  const c = s3(d, acct);
  const body = Buffer.from(await (await c.send(new S3.GetObjectCommand({ Bucket: "migrated", Key: "a/b.bin" }))).Body.transformToByteArray());
  const list = await c.send(new S3.ListObjectsV2Command({ Bucket: "migrated" }));
  return {
    vpcs: strip(await d.vpc(acct).DescribeVpcs({})),
    subnets: strip(await d.vpc(acct).DescribeSubnets({})),
    disks: strip(await d.cbs(acct).DescribeDisks({})),
    keys: strip(await d.cam(acct).ListAccessKeys({})),
    objects: list.Contents.map((o) => [o.Key, o.Size, o.ETag]),
    body: body.toString("hex"),
  };
}

function yun(args) {
  const r = spawnSync(BIN, args, { encoding: "utf8", timeout: 120000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("a SQLite cloud moves to PostgreSQL and answers the same; store check sees later changes", { skip }, async () => {
  const objectPort = await freePort();
  const config = { object: { host: "127.0.0.1", port: objectPort } };
  lite = await startDaemon({ sqlite: true, config });
  lite.objectPort = objectPort;
  const acct = lite.createAccount("migrating");
  const v = await lite.vpc(acct).CreateVpc({ VpcName: "m", CidrBlock: "10.8.0.0/16" });
  await lite.vpc(acct).CreateSubnet({ VpcId: v.Vpc.VpcId, SubnetName: "s", CidrBlock: "10.8.1.0/24", Zone: "ap-local-1" });
  const disk = (await lite.cbs(acct).CreateDisks({ Placement: { Zone: "ap-local-1" }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: "CLOUD_PREMIUM", DiskSize: 10, DiskName: "m" })).DiskIdSet[0];
  await waitFor(() => lite.cbs(acct).DescribeDisks({ DiskIds: [disk] }), (r) => r.DiskSet[0]?.DiskState === "UNATTACHED", 30000, "disk ready");
  const c = s3(lite, acct);
  await c.send(new S3.CreateBucketCommand({ Bucket: "migrated" }));
  const blob = Buffer.alloc(70000, 7);
  blob.write("not only sevens", 100);
  await c.send(new S3.PutObjectCommand({ Bucket: "migrated", Key: "a/b.bin", Body: blob }));
  await c.send(new S3.PutObjectCommand({ Bucket: "migrated", Key: "c.txt", Body: "hello" }));
  const before = await answers(lite, acct);
  await lite.stop();

  const db = `m_${Date.now()}`;
  assert.equal(spawnSync("psql", ["-q", TEST_STORE, "-c", `CREATE DATABASE ${db}`]).status, 0);
  const url = TEST_STORE.replace(/\/[A-Za-z0-9_]*(?=\?|$)/, "/" + db);
  const m = yun(["admin", "store", "migrate", "--from", lite.dataDir, "--to", url]);
  assert.equal(m.status, 0, m.out);
  assert.match(m.out, /audit_log +\d+ rows copied/);
  assert.match(m.out, /every table has the same rows in both stores/);
  assert.doesNotMatch(m.out, /DIFFERENT/);
  const again = yun(["admin", "store", "migrate", "--from", lite.dataDir, "--to", url]);
  assert.notEqual(again.status, 0, "a second migrate into the same database is refused");
  assert.match(again.out, /already holds accounts/);
  assert.equal(yun(["admin", "store", "check", "--from", lite.dataDir, "--to", url]).status, 0);

  pg = new Daemon({ config, dataDir: lite.dataDir, port: await freePort(), store: url });
  await pg.start();
  pg.objectPort = objectPort;
  const afterMove = await answers(pg, acct);
  assert.deepEqual(afterMove, before);
  await pg.vpc(acct).CreateVpc({ VpcName: "new", CidrBlock: "10.9.0.0/16" });
  const check = yun(["admin", "store", "check", "--from", lite.dataDir, "--to", url]);
  assert.equal(check.status, 1, check.out);
  assert.match(check.out, /vpcs +1 rows .* DIFFERENT/);
});
