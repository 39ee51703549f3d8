/*
 * Object checksums through @aws-sdk/client-s3 (which computes them itself): x-amz-checksum-crc32,
 * -crc32c, -sha1, -sha256 verified on PutObject and UploadPart (a wrong one is BadDigest and
 * stores nothing), as headers and as aws-chunked trailers; stored and returned with
 * x-amz-checksum-mode: ENABLED on GET and HEAD (not on a range), and by GetObjectAttributes.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { Readable } = require("node:stream");
const zlib = require("node:zlib");
const S3 = require("@aws-sdk/client-s3");
const H = require("./lib/object_harness");

let d, s3;
const { expectS3Error } = H;

before(async () => {
  d = await H.startObjectDaemon();
  s3 = H.s3Client(d);
  await s3.send(new S3.CreateBucketCommand({ Bucket: "cksum" }));
});
after(async () => { if (d) await d.destroy(); });

const body = Buffer.from("The quick brown fox jumps over the lazy dog");
/* The expected values, computed here independently of the SDK (crc32: zlib; crc32c: by hand). */
function crc32c(buf) {
  let c = ~0 >>> 0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE((~c) >>> 0);
  return out.toString("base64");
}
const be32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b.toString("base64"); };
const want = {
  CRC32: be32(zlib.crc32 ? zlib.crc32(body) : 0x414fa339),
  CRC32C: crc32c(body),
  SHA1: crypto.createHash("sha1").update(body).digest("base64"),
  SHA256: crypto.createHash("sha256").update(body).digest("base64"),
};

test("PutObject with each algorithm: verified, stored, returned on GET/HEAD with ChecksumMode", async () => {
  assert.equal(want.CRC32, "QU+jOQ==");
  assert.equal(want.CRC32C, "ImIEBA==");
  for (const algo of Object.keys(want)) {
    const Key = `obj-${algo}`;
    const put = await s3.send(new S3.PutObjectCommand({ Bucket: "cksum", Key, Body: body, ChecksumAlgorithm: algo }));
    assert.equal(put[`Checksum${algo}`], want[algo], `${algo} on PUT`);
    const get = await s3.send(new S3.GetObjectCommand({ Bucket: "cksum", Key, ChecksumMode: "ENABLED" }));
    assert.equal(get[`Checksum${algo}`], want[algo], `${algo} on GET`);
    await get.Body.transformToByteArray();
    const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "cksum", Key, ChecksumMode: "ENABLED" }));
    assert.equal(head[`Checksum${algo}`], want[algo], `${algo} on HEAD`);
    const plain = await s3.send(new S3.HeadObjectCommand({ Bucket: "cksum", Key }));
    assert.equal(plain[`Checksum${algo}`], undefined, "only when asked for");
    const range = await s3.send(new S3.GetObjectCommand({ Bucket: "cksum", Key, Range: "bytes=0-3", ChecksumMode: "ENABLED" }));
    assert.equal(range[`Checksum${algo}`], undefined, "a range has no whole-object checksum");
    await range.Body.transformToByteArray();
    const attrs = await s3.send(new S3.GetObjectAttributesCommand({ Bucket: "cksum", Key, ObjectAttributes: ["Checksum"] }));
    assert.equal(attrs.Checksum[`Checksum${algo}`], want[algo], `${algo} in GetObjectAttributes`);
  }
});

test("a wrong checksum is BadDigest and nothing is stored; a stream's trailer checksum is kept", async () => {
  for (const algo of Object.keys(want)) {
    const wrong = algo === "SHA256" ? want.SHA1 : want.SHA256;
    await expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "cksum", Key: "bad", Body: body,
      [`Checksum${algo}`]: algo.startsWith("CRC") ? "AAAAAA==" : wrong })), algo === "SHA256" || algo === "SHA1" ? "400" : "BadDigest");
  }
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "cksum", Key: "bad" })), "NotFound");
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "cksum", Key: "stream", Body: Readable.from([body]),
    ContentLength: body.length, ChecksumAlgorithm: "CRC32C" }));
  assert.equal(put.ChecksumCRC32C, want.CRC32C);
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "cksum", Key: "stream", ChecksumMode: "ENABLED" }));
  assert.equal(head.ChecksumCRC32C, want.CRC32C, "the aws-chunked trailer's checksum");
});

test("UploadPart checksums: verified, returned, listed", async () => {
  const up = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "cksum", Key: "mp", ChecksumAlgorithm: "SHA256" }));
  const part = await s3.send(new S3.UploadPartCommand({ Bucket: "cksum", Key: "mp", UploadId: up.UploadId, PartNumber: 1,
    Body: body, ChecksumAlgorithm: "SHA256" }));
  assert.equal(part.ChecksumSHA256, want.SHA256);
  await expectS3Error(s3.send(new S3.UploadPartCommand({ Bucket: "cksum", Key: "mp", UploadId: up.UploadId, PartNumber: 2,
    Body: body, ChecksumSHA256: want.SHA1 })), "400");
  const parts = await s3.send(new S3.ListPartsCommand({ Bucket: "cksum", Key: "mp", UploadId: up.UploadId }));
  assert.deepEqual(parts.Parts.map((p) => p.PartNumber), [1], "the refused part is not there");
  await s3.send(new S3.AbortMultipartUploadCommand({ Bucket: "cksum", Key: "mp", UploadId: up.UploadId }));
});

test("an upload created with a checksum algorithm: parts must name theirs; the object gets S3's composite", async () => {
  const p1 = Buffer.alloc(5 << 20, "a"), p2 = Buffer.from("tail");
  const sha = (b) => crypto.createHash("sha256").update(b).digest();
  const composite = `${crypto.createHash("sha256").update(Buffer.concat([sha(p1), sha(p2)])).digest("base64")}-2`;
  const up = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "cksum", Key: "comp", ChecksumAlgorithm: "SHA256" }));
  const parts = [];
  for (const [i, b] of [[1, p1], [2, p2]]) {
    const r = await s3.send(new S3.UploadPartCommand({ Bucket: "cksum", Key: "comp", UploadId: up.UploadId, PartNumber: i,
      Body: b, ChecksumAlgorithm: "SHA256" }));
    parts.push({ PartNumber: i, ETag: r.ETag, ChecksumSHA256: r.ChecksumSHA256 });
  }
  await expectS3Error(s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "cksum", Key: "comp", UploadId: up.UploadId,
    MultipartUpload: { Parts: [parts[0], { ...parts[1], ChecksumSHA256: parts[0].ChecksumSHA256 }] } })), "BadDigest");
  await expectS3Error(s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "cksum", Key: "comp", UploadId: up.UploadId,
    ChecksumSHA256: `${sha(Buffer.from("x")).toString("base64")}-2`, MultipartUpload: { Parts: parts } })), "BadDigest");
  // a part listed without its checksum is taken with the one it was uploaded with
  const done = await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "cksum", Key: "comp", UploadId: up.UploadId,
    MultipartUpload: { Parts: [parts[0], { PartNumber: 2, ETag: parts[1].ETag }] } }));
  assert.equal(done.ChecksumSHA256, composite);
  const again = await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "cksum", Key: "comp", UploadId: up.UploadId,
    MultipartUpload: { Parts: parts } }));
  assert.equal(again.ChecksumSHA256, composite, "a repeated Complete answers the same");
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "cksum", Key: "comp", ChecksumMode: "ENABLED" }));
  assert.equal(head.ChecksumSHA256, composite);
  const attrs = await s3.send(new S3.GetObjectAttributesCommand({ Bucket: "cksum", Key: "comp",
    ObjectAttributes: ["Checksum"] }));
  assert.equal(attrs.Checksum.ChecksumSHA256, composite);
  const a2 = await s3.send(new S3.GetObjectAttributesCommand({ Bucket: "cksum", Key: "comp",
    ObjectAttributes: ["ObjectParts"] }));
  assert.deepEqual(a2.ObjectParts.Parts.map((p) => [p.PartNumber, p.Size, p.ChecksumSHA256]),
    [[1, 5 << 20, parts[0].ChecksumSHA256], [2, 4, parts[1].ChecksumSHA256]], "each part with its checksum");
  const g = await s3.send(new S3.GetObjectCommand({ Bucket: "cksum", Key: "comp", PartNumber: 2 }));
  assert.equal(Buffer.from(await g.Body.transformToByteArray()).toString(), "tail", "GET ?partNumber still finds part 2");
});
