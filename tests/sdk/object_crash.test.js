/*
 * Durability of the object store: kill -9 the daemon while many uploads (single PUTs and multipart)
 * are in flight, restart it on the same data directory, and check that every upload that got a 200
 * is intact (MD5), that nothing partial is listed, and that no temp file survives the restart.
 */
"use strict";
const { test, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const S3 = require("@aws-sdk/client-s3");
const H = require("./lib/object_harness");

let d;
after(async () => { if (d) await d.destroy(); });

const client = () => H.s3Client(d, d.creds, { requestChecksumCalculation: "WHEN_REQUIRED" });

test("kill -9 during concurrent uploads: acknowledged objects intact, nothing partial listed", async () => {
  d = await H.startObjectDaemon();
  let s3 = client();
  await s3.send(new S3.CreateBucketCommand({ Bucket: "crash" }));
  const expected = new Map(); // key -> md5 of what was sent
  const acked = new Set();
  let killed = false;
  const upload = async (i) => {
    const key = `obj/${String(i).padStart(3, "0")}`;
    const size = (1 + (i % 6)) * 700 * 1024 + i; // 0.7 .. 4.2 MiB
    const body = crypto.randomBytes(size);
    expected.set(key, crypto.createHash("md5").update(body).digest("hex"));
    try {
      if (i % 5 === 0) {
        const { UploadId } = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "crash", Key: key }));
        const half = 5 << 20;
        const a = crypto.randomBytes(half);
        const whole = Buffer.concat([a, body]);
        expected.set(key, crypto.createHash("md5").update(whole).digest("hex"));
        const p1 = await s3.send(new S3.UploadPartCommand({ Bucket: "crash", Key: key, UploadId, PartNumber: 1, Body: a }));
        const p2 = await s3.send(new S3.UploadPartCommand({ Bucket: "crash", Key: key, UploadId, PartNumber: 2, Body: body }));
        await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "crash", Key: key, UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }));
      } else {
        await s3.send(new S3.PutObjectCommand({ Bucket: "crash", Key: key, Body: body }));
      }
      if (!killed) acked.add(key);
    } catch {
      /* the daemon died under this request: it may or may not be there, but never partial */
    }
  };
  // 4 waves of 16 concurrent uploads; the kill lands in the middle of the third wave
  const waves = [];
  let next = 0;
  const wave = () => Promise.all(Array.from({ length: 16 }, () => upload(next++)));
  await wave();
  await wave();
  const third = wave();
  await new Promise((r) => setTimeout(r, 150));
  killed = true;
  await d.kill9();
  await third;
  waves.push(third);
  assert.ok(acked.size >= 32, `at least the first two waves were acknowledged (${acked.size})`);

  await d.start();
  s3 = client();
  const tmp = path.join(d.dataDir, "objects", "tmp");
  assert.deepEqual(fs.readdirSync(tmp), [], "no temp file survives a restart");
  const listed = [];
  let token;
  do {
    const p = await s3.send(new S3.ListObjectsV2Command({ Bucket: "crash", ContinuationToken: token }));
    listed.push(...(p.Contents || []));
    token = p.NextContinuationToken;
  } while (token);
  const names = new Set(listed.map((o) => o.Key));
  for (const k of acked) assert.ok(names.has(k), `acknowledged ${k} is listed after the crash`);
  for (const o of listed) {
    const got = await s3.send(new S3.GetObjectCommand({ Bucket: "crash", Key: o.Key }));
    const md5 = crypto.createHash("md5").update(Buffer.from(await got.Body.transformToByteArray())).digest("hex");
    assert.equal(md5, expected.get(o.Key), `${o.Key} is complete`);
    assert.equal(Number(got.ContentLength), o.Size);
  }
  // every file on disk belongs to a listed object or an upload still in progress: no orphans
  await new Promise((r) => setTimeout(r, 2500)); // let the collector run once
  const dataDir = path.join(d.dataDir, "objects", "data");
  const files = fs.readdirSync(dataDir).flatMap((s) => fs.readdirSync(path.join(dataDir, s)));
  const uploads = await s3.send(new S3.ListMultipartUploadsCommand({ Bucket: "crash" }));
  let parts = 0;
  for (const u of uploads.Uploads || []) {
    const lp = await s3.send(new S3.ListPartsCommand({ Bucket: "crash", Key: u.Key, UploadId: u.UploadId }));
    parts += (lp.Parts || []).length;
  }
  assert.equal(files.length, listed.length + parts, "files on disk = objects + parts of open uploads");
});
