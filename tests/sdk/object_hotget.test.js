/*
 * The 4 KiB GET fast path (object_read.c, filecache.c): small bodies come from an in-memory copy of
 * their immutable file once read, and a GET reads the bucket's policy and lifecycle only when the
 * bucket row (same read transaction) says it has a configuration document. Each step warms the
 * cache first, then changes what the next GET must see: an overwrite, a delete, an older version,
 * a range, a policy or a lifecycle rule added to a bucket that had none. The bucket and object rows
 * of a hot key are kept in memory too (hotrows.c) until any object table changes: each change a
 * GET reads from those rows (object and bucket ACLs, metadata, versioning) is seen at once.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const S3 = require("@aws-sdk/client-s3");
const H = require("./lib/object_harness");
const { spawnSync } = require("node:child_process");
const { BIN, TEST_STORE, freePort } = require("./lib/yund");

let d;
let s3;

const body = async (r) => Buffer.from(await r.Body.transformToByteArray());
const get = async (Bucket, Key, extra = {}) => body(await s3.send(new S3.GetObjectCommand({ Bucket, Key, ...extra })));
/* GETs the key a few times so its bytes are cached; each must be `want`. */
async function warm(Bucket, Key, want) {
  for (let i = 0; i < 3; i++) assert.deepEqual(await get(Bucket, Key), want, `GET ${i + 1} of ${Key}`);
}

before(async () => {
  d = await H.startObjectDaemon();
  s3 = H.s3Client(d);
});
after(async () => { if (d) await d.destroy(); });

test("a cached small object: overwrite, range, delete and re-create are seen at once", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "hot" }));
  const a = crypto.randomBytes(4096), b = crypto.randomBytes(4096), c = crypto.randomBytes(1000);
  await s3.send(new S3.PutObjectCommand({ Bucket: "hot", Key: "k", Body: a }));
  await warm("hot", "k", a);
  await s3.send(new S3.PutObjectCommand({ Bucket: "hot", Key: "k", Body: b }));
  assert.deepEqual(await get("hot", "k"), b, "the overwrite is served, not the cached bytes");
  await warm("hot", "k", b);
  assert.deepEqual(await get("hot", "k", { Range: "bytes=100-199" }), b.subarray(100, 200), "a range of cached bytes");
  assert.deepEqual(await get("hot", "k", { Range: "bytes=-10" }), b.subarray(4086), "a suffix range");
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "hot", Key: "k" }));
  assert.equal(head.ContentLength, 4096);
  await s3.send(new S3.DeleteObjectCommand({ Bucket: "hot", Key: "k" }));
  await H.expectS3Error(get("hot", "k"), "NoSuchKey");
  await s3.send(new S3.PutObjectCommand({ Bucket: "hot", Key: "k", Body: c }));
  assert.deepEqual(await get("hot", "k"), c, "the key created again has its new bytes");
  // an empty object and one at the cache's limit (32 KiB) and just above it
  for (const size of [0, 32 << 10, (32 << 10) + 1]) {
    const x = crypto.randomBytes(size);
    await s3.send(new S3.PutObjectCommand({ Bucket: "hot", Key: `s${size}`, Body: x }));
    await warm("hot", `s${size}`, x);
  }
});

test("a large body is sent from a mapping of its file: whole, unaligned ranges, overwritten", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "mapped" }));
  // 256 KiB is where the mapping starts (MAPPED_OBJECT); one byte below is sent from the descriptor
  for (const size of [(256 << 10) - 1, 256 << 10, (1 << 20) + 4097]) {
    const x = crypto.randomBytes(size);
    await s3.send(new S3.PutObjectCommand({ Bucket: "mapped", Key: `m${size}`, Body: x }));
    assert.deepEqual(await get("mapped", `m${size}`), x, `the whole ${size}-byte body`);
  }
  const big = crypto.randomBytes((1 << 20) + 4097);
  await s3.send(new S3.PutObjectCommand({ Bucket: "mapped", Key: "k", Body: big }));
  // ranges that start off a page boundary, on one, and run to the end
  for (const [from, to] of [[1, 300000], [4095, 4096], [4096, 8191], [5000, 700000], [big.length - 300000, big.length - 1]])
    assert.deepEqual(await get("mapped", "k", { Range: `bytes=${from}-${to}` }), big.subarray(from, to + 1), `bytes ${from}-${to}`);
  assert.deepEqual(await get("mapped", "k", { Range: "bytes=-262145" }), big.subarray(big.length - 262145), "a suffix range");
  // a GET streaming the old file while the key is overwritten gets the old bytes whole
  const r = await s3.send(new S3.GetObjectCommand({ Bucket: "mapped", Key: "k" }));
  const next = crypto.randomBytes(1 << 20);
  await s3.send(new S3.PutObjectCommand({ Bucket: "mapped", Key: "k", Body: next }));
  assert.deepEqual(await body(r), big, "the GET begun before the overwrite");
  assert.deepEqual(await get("mapped", "k"), next, "a GET after it");
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "mapped", Key: "k" }));
  assert.equal(head.ContentLength, 1 << 20);
});

test("a damaged (short) large file is refused with InternalError, not sent short or faulted; yund lives on", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "damaged" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "damaged", Key: "k", Body: crypto.randomBytes(1 << 20) }));
  const r = spawnSync("sqlite3", ["-readonly", path.join(d.dataDir, "yun.db"), "SELECT file FROM obj_objects WHERE bucket = 'damaged'"], { encoding: "utf8" });
  const f = r.stdout.trim();
  assert.ok(f, r.stderr);
  fs.truncateSync(path.join(d.dataDir, "objects", "data", f.slice(0, 2), f), 300000); // mapped, it would fault past here
  for (const Range of [undefined, "bytes=0-299999", "bytes=299999-", "bytes=500000-600000"]) {
    const t0 = Date.now();
    await assert.rejects(s3.send(new S3.GetObjectCommand({ Bucket: "damaged", Key: "k", Range })),
      (e) => e.name === "InternalError" && e.$metadata.httpStatusCode === 500, `range ${Range}`);
    assert.ok(Date.now() - t0 < 5000, "refused at once, not after a timeout");
  }
  const ok = crypto.randomBytes(300 << 10);
  await s3.send(new S3.PutObjectCommand({ Bucket: "damaged", Key: "next", Body: ok }));
  assert.deepEqual(await get("damaged", "next"), ok, "yund still serves");
});

test("versions of one key are cached apart: each versionId gets its own bytes", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "hotver" }));
  await s3.send(new S3.PutBucketVersioningCommand({ Bucket: "hotver", VersioningConfiguration: { Status: "Enabled" } }));
  const a = crypto.randomBytes(2048), b = crypto.randomBytes(2048);
  const v1 = (await s3.send(new S3.PutObjectCommand({ Bucket: "hotver", Key: "k", Body: a }))).VersionId;
  await warm("hotver", "k", a);
  const v2 = (await s3.send(new S3.PutObjectCommand({ Bucket: "hotver", Key: "k", Body: b }))).VersionId;
  assert.notEqual(v1, v2);
  assert.deepEqual(await get("hotver", "k"), b);
  assert.deepEqual(await get("hotver", "k", { VersionId: v1 }), a);
  assert.deepEqual(await get("hotver", "k", { VersionId: v2 }), b);
  await s3.send(new S3.DeleteObjectCommand({ Bucket: "hotver", Key: "k", VersionId: v2 }));
  assert.deepEqual(await get("hotver", "k"), a, "the older version is current again");
});

test("a policy or a lifecycle rule added to a bucket without configuration applies to the next GET", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "hotcfg", ACL: "public-read" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "hotcfg", Key: "logs/p", Body: "public bytes", ACL: "public-read" }));
  const anon = () => H.rawRequest(d, { path: "/hotcfg/logs/p" });
  for (let i = 0; i < 3; i++) assert.equal((await anon()).status, 200, "public-read object, no policy");
  const first = await s3.send(new S3.GetObjectCommand({ Bucket: "hotcfg", Key: "logs/p" }));
  assert.equal(first.Expiration, undefined, "no lifecycle rule yet");
  await first.Body.transformToString();
  await s3.send(new S3.PutBucketPolicyCommand({ Bucket: "hotcfg", Policy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::hotcfg/*" }],
  }) }));
  assert.equal((await anon()).status, 403, "the new policy's Deny is applied");
  await s3.send(new S3.DeleteBucketPolicyCommand({ Bucket: "hotcfg" }));
  assert.equal((await anon()).status, 200, "and lifted again");
  await s3.send(new S3.PutBucketLifecycleConfigurationCommand({ Bucket: "hotcfg", LifecycleConfiguration: {
    Rules: [{ ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 } }],
  } }));
  const r = await s3.send(new S3.GetObjectCommand({ Bucket: "hotcfg", Key: "logs/p" }));
  assert.match(r.Expiration || "", /rule-id="logs"/, "x-amz-expiration of the new rule");
  assert.equal(await r.Body.transformToString(), "public bytes");
});

test("the rows of a hot key: ACL, metadata and versioning changes are seen by the next GET", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "hotrows" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "hotrows", Key: "k", Body: "row bytes", Metadata: { m: "one" } }));
  const anon = async () => (await H.rawRequest(d, { path: "/hotrows/k" })).status;
  const warmHead = async (want) => {
    for (let i = 0; i < 3; i++) {
      const h = await s3.send(new S3.HeadObjectCommand({ Bucket: "hotrows", Key: "k" }));
      assert.equal(h.Metadata.m, want, `HEAD ${i + 1}`);
    }
  };
  await warmHead("one");
  for (let i = 0; i < 3; i++) assert.equal(await anon(), 403, "a private object in a private bucket");
  await s3.send(new S3.PutObjectAclCommand({ Bucket: "hotrows", Key: "k", ACL: "public-read" }));
  assert.equal(await anon(), 200, "the object made public-read is readable anonymously at once");
  assert.equal(await anon(), 200);
  await s3.send(new S3.PutObjectAclCommand({ Bucket: "hotrows", Key: "k", ACL: "private" }));
  assert.equal(await anon(), 403, "and private again at once");
  // the bucket's own row: public-read-write lets nobody read a private object, private bucket ACL back
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "hotrows", ACL: "public-read" }));
  assert.equal(await anon(), 403, "a private object stays private in a public-read bucket");
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "hotrows", ACL: "private" }));
  // metadata replaced by a copy onto itself
  await s3.send(new S3.CopyObjectCommand({ Bucket: "hotrows", Key: "k", CopySource: "hotrows/k",
    MetadataDirective: "REPLACE", Metadata: { m: "two" } }));
  await warmHead("two");
  // versioning turned on: the current object now answers with its version id ("null")
  await s3.send(new S3.PutBucketVersioningCommand({ Bucket: "hotrows", VersioningConfiguration: { Status: "Enabled" } }));
  const r = await s3.send(new S3.GetObjectCommand({ Bucket: "hotrows", Key: "k" }));
  assert.equal(r.VersionId, "null", "the version id of the object written before versioning");
  assert.equal(await r.Body.transformToString(), "row bytes");
  await s3.send(new S3.DeleteObjectCommand({ Bucket: "hotrows", Key: "k" }));
  await H.expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "hotrows", Key: "k" })), "NoSuchKey");
});

test("the hot rows trust one process's store: a --no-host process beside it on SQLite is refused", { skip: TEST_STORE && "SQLite only" }, async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "hotsole" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "hotsole", Key: "k", Body: "sole" }));
  await warm("hotsole", "k", Buffer.from("sole"));
  const r = spawnSync(BIN, ["up", "--data", d.dataDir, "--no-host", "--listen", `127.0.0.1:${await freePort()}`,
    "--object-listen", `127.0.0.1:${await freePort()}`], { encoding: "utf8", timeout: 20000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /--no-host .* needs --store postgres:\/\//);
  assert.deepEqual(await get("hotsole", "k"), Buffer.from("sole"), "the running daemon still serves");
});
