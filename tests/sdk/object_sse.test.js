/*
 * Server-side encryption through the real clients (@aws-sdk/client-s3, cos-nodejs-sdk-v5): each
 * mode (SSE-S3, SSE-KMS with the configured key ids, SSE-C) round-trips, ranged GETs across the
 * 64 KiB segment borders, multipart uploads (GET of the whole and of a PartNumber), copies between
 * modes (CopyObject and UploadPartCopy), the bucket default, the COS spelling; and what is on
 * disk: the files under DATA/objects hold no plaintext, and a changed byte is refused, not served.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const S3 = require("@aws-sdk/client-s3");
const COS = require("cos-nodejs-sdk-v5");
const H = require("./lib/object_harness");

let d;
let s3;
const KEY_A = "0123456789abcdef0123456789abcdef"; // SSE-C keys: 32 bytes each
const KEY_B = "fedcba9876543210fedcba9876543210";
const ssec = (key) => ({ SSECustomerAlgorithm: "AES256", SSECustomerKey: key });
const copySsec = (key) => ({ CopySourceSSECustomerAlgorithm: "AES256", CopySourceSSECustomerKey: key });

before(async () => {
  d = await H.startObjectDaemon({ domain: H.COS_DOMAIN, object: { kms_keys: ["app-key", "other-key"] } });
  s3 = H.s3Client(d);
  await s3.send(new S3.CreateBucketCommand({ Bucket: "enc" }));
});
after(async () => { if (d) await d.destroy(); });

/* A body that is easy to find on disk: a marker repeated, then random bytes. */
function body(size) {
  const marker = Buffer.from(`PLAINTEXT-${crypto.randomBytes(6).toString("hex")}-`);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += marker.length) marker.copy(b, i);
  return { b, marker };
}

/* Every committed object file of the daemon. */
function dataFiles() {
  const root = path.join(d.dataDir, "objects", "data");
  const out = [];
  for (const sub of fs.existsSync(root) ? fs.readdirSync(root) : [])
    for (const f of fs.readdirSync(path.join(root, sub))) out.push(path.join(root, sub, f));
  return out;
}

/* A file removed between the listing and the read (the garbage of a replaced object) holds nothing. */
const readIfThere = (f) => {
  try {
    return fs.readFileSync(f);
  } catch (e) {
    if (e.code === "ENOENT") return Buffer.alloc(0);
    throw e;
  }
};
const onDisk = (marker) => dataFiles().some((f) => readIfThere(f).includes(marker));
const bytes = async (r) => Buffer.from(await r.Body.transformToByteArray());
const get = (Key, extra = {}) => s3.send(new S3.GetObjectCommand({ Bucket: "enc", Key, ...extra }));

test("SSE-S3: round trip, the header on every answer, no plaintext on disk, ranges across segments", async () => {
  const { b, marker } = body(200000);
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "s3", Body: b, ServerSideEncryption: "AES256" }));
  assert.equal(put.ServerSideEncryption, "AES256");
  assert.equal(put.ETag, `"${crypto.createHash("md5").update(b).digest("hex")}"`);
  const g = await get("s3");
  assert.equal(g.ServerSideEncryption, "AES256");
  assert.equal(g.ContentLength, b.length);
  assert.ok((await bytes(g)).equals(b));
  assert.equal(onDisk(marker), false, "the plaintext is on disk");
  for (const [from, to] of [[0, 0], [65530, 65545], [65536, 131071], [131000, 199999], [199990, 199999], [10, 150000]]) {
    const r = await get("s3", { Range: `bytes=${from}-${to}` });
    assert.equal(r.ContentRange, `bytes ${from}-${to}/${b.length}`);
    assert.ok((await bytes(r)).equals(b.subarray(from, to + 1)), `range ${from}-${to}`);
  }
  const h = await s3.send(new S3.HeadObjectCommand({ Bucket: "enc", Key: "s3" }));
  assert.equal(h.ServerSideEncryption, "AES256");
  assert.equal(h.ContentLength, b.length);
  // a plain object is still stored plain (and served by sendfile)
  const plain = body(70000);
  await s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "plain", Body: plain.b }));
  assert.equal(onDisk(plain.marker), true);
  const pg = await get("plain");
  assert.equal(pg.ServerSideEncryption, undefined);
  assert.ok((await bytes(pg)).equals(plain.b));
});

test("SSE-KMS: the configured key ids, the key id told back, unknown ids refused", async () => {
  const { b, marker } = body(5000);
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "kms", Body: b, ServerSideEncryption: "aws:kms",
    SSEKMSKeyId: "other-key" }));
  assert.equal(put.ServerSideEncryption, "aws:kms");
  assert.equal(put.SSEKMSKeyId, "other-key");
  const g = await get("kms");
  assert.equal(g.SSEKMSKeyId, "other-key");
  assert.ok((await bytes(g)).equals(b));
  assert.equal(onDisk(marker), false);
  await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "kms2", Body: "x", ServerSideEncryption: "aws:kms",
    SSEKMSKeyId: "not-configured" })), "KMS.NotFoundException");
  await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "kms2", Body: "x", ServerSideEncryption: "aws:kms" })),
    "InvalidArgument"); // no object.kms_default_key here
  await H.expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "enc", Key: "kms2" })), "NotFound");
  // an SSE-C key for an object that has none is refused
  await H.expectS3Error(get("kms", ssec(KEY_A)), "InvalidRequest");
});

test("SSE-C: the key is needed to read, a wrong or missing key is refused, the key is never told", async () => {
  const { b, marker } = body(100000);
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "c", Body: b, ...ssec(KEY_A) }));
  assert.equal(put.SSECustomerAlgorithm, "AES256");
  assert.equal(put.SSECustomerKeyMD5, crypto.createHash("md5").update(KEY_A).digest("base64"));
  assert.equal(onDisk(marker), false);
  assert.equal(dataFiles().some((f) => fs.readFileSync(f).includes(Buffer.from(KEY_A))), false, "the key is on disk");
  const g = await get("c", ssec(KEY_A));
  assert.equal(g.SSECustomerAlgorithm, "AES256");
  assert.ok((await bytes(g)).equals(b));
  const r = await get("c", { ...ssec(KEY_A), Range: "bytes=65000-70000" });
  assert.ok((await bytes(r)).equals(b.subarray(65000, 70001)));
  const e1 = await H.expectS3Error(get("c"), "InvalidRequest");
  assert.equal(e1.$metadata.httpStatusCode, 400);
  await H.expectS3Error(get("c", ssec(KEY_B)), "InvalidArgument");
  await H.expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "enc", Key: "c" })), "400");
  const h = await s3.send(new S3.HeadObjectCommand({ Bucket: "enc", Key: "c", ...ssec(KEY_A) }));
  assert.equal(h.ContentLength, b.length);
  // an SSE-C key given for an object not stored with one
  await H.expectS3Error(get("s3", ssec(KEY_A)), "InvalidRequest");
});

test("multipart: parts encrypted as they stream, the object read whole, by PartNumber and across parts", async () => {
  const size1 = 5 * 1024 * 1024 + 1000, size2 = 300001;
  const p1 = body(size1), p2 = body(size2);
  const whole = Buffer.concat([p1.b, p2.b]);
  for (const [key, mode] of [["mp-c", ssec(KEY_A)], ["mp-kms", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: "app-key" }]]) {
    const partMode = mode.SSECustomerKey ? mode : {};
    const up = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "enc", Key: key, ...mode }));
    const etags = [];
    for (const [n, part] of [[1, p1.b], [2, p2.b]]) {
      const r = await s3.send(new S3.UploadPartCommand({ Bucket: "enc", Key: key, UploadId: up.UploadId, PartNumber: n,
        Body: part, ...partMode }));
      etags.push({ PartNumber: n, ETag: r.ETag });
    }
    if (mode.SSECustomerKey)
      await H.expectS3Error(s3.send(new S3.UploadPartCommand({ Bucket: "enc", Key: key, UploadId: up.UploadId, PartNumber: 3,
        Body: "x", ...ssec(KEY_B) })), "InvalidArgument");
    if (mode.SSECustomerKey) // an SSE-C upload is completed with its key
      await H.expectS3Error(s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "enc", Key: key, UploadId: up.UploadId,
        MultipartUpload: { Parts: etags } })), "InvalidRequest");
    await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "enc", Key: key, UploadId: up.UploadId,
      MultipartUpload: { Parts: etags }, ...partMode }));
    const g = await get(key, partMode);
    assert.equal(g.ContentLength, whole.length);
    assert.ok((await bytes(g)).equals(whole), key);
    const part2 = await get(key, { ...partMode, PartNumber: 2 });
    assert.equal(part2.PartsCount, 2);
    assert.ok((await bytes(part2)).equals(p2.b));
    const across = await get(key, { ...partMode, Range: `bytes=${size1 - 100}-${size1 + 70000}` });
    assert.ok((await bytes(across)).equals(whole.subarray(size1 - 100, size1 + 70001)));
  }
  assert.equal(onDisk(p1.marker) || onDisk(p2.marker), false);
  await H.expectS3Error(get("mp-c"), "InvalidRequest");
});

test("copies between modes: the source decrypted with its key, the copy encrypted as asked", async () => {
  const { b, marker } = body(150000);
  await s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "src-c", Body: b, ...ssec(KEY_A) }));
  // SSE-C -> SSE-KMS
  await H.expectS3Error(s3.send(new S3.CopyObjectCommand({ Bucket: "enc", Key: "to-kms", CopySource: "enc/src-c",
    ServerSideEncryption: "aws:kms", SSEKMSKeyId: "app-key" })), "InvalidRequest");
  const c1 = await s3.send(new S3.CopyObjectCommand({ Bucket: "enc", Key: "to-kms", CopySource: "enc/src-c",
    ServerSideEncryption: "aws:kms", SSEKMSKeyId: "app-key", ...copySsec(KEY_A) }));
  assert.equal(c1.SSEKMSKeyId, "app-key");
  const g1 = await get("to-kms");
  assert.equal(g1.ServerSideEncryption, "aws:kms");
  assert.ok((await bytes(g1)).equals(b));
  // SSE-KMS -> plain: a copy names its own encryption, it does not inherit the source's
  await s3.send(new S3.CopyObjectCommand({ Bucket: "enc", Key: "to-plain", CopySource: "enc/to-kms" }));
  const g2 = await get("to-plain");
  assert.equal(g2.ServerSideEncryption, undefined);
  assert.ok((await bytes(g2)).equals(b));
  // plain -> SSE-C under another key, and in place (same key, new encryption)
  await s3.send(new S3.CopyObjectCommand({ Bucket: "enc", Key: "to-c", CopySource: "enc/to-plain", ...ssec(KEY_B) }));
  assert.ok((await bytes(await get("to-c", ssec(KEY_B)))).equals(b));
  await s3.send(new S3.CopyObjectCommand({ Bucket: "enc", Key: "to-plain", CopySource: "enc/to-plain",
    ServerSideEncryption: "AES256" }));
  assert.equal((await get("to-plain")).ServerSideEncryption, "AES256");
  // UploadPartCopy: a range of an SSE-C source into an SSE-S3 upload
  const up = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "enc", Key: "pc", ServerSideEncryption: "AES256" }));
  const pc = await s3.send(new S3.UploadPartCopyCommand({ Bucket: "enc", Key: "pc", UploadId: up.UploadId, PartNumber: 1,
    CopySource: "enc/src-c", CopySourceRange: "bytes=60000-139999", ...copySsec(KEY_A) }));
  await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "enc", Key: "pc", UploadId: up.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: pc.CopyPartResult.ETag }] } }));
  const g3 = await get("pc");
  assert.equal(g3.ServerSideEncryption, "AES256");
  assert.ok((await bytes(g3)).equals(b.subarray(60000, 140000)));
  assert.equal(fs.readFileSync(dataFiles().find((f) => fs.statSync(f).size === 16 + 80000 + 16 * 2)).includes(marker),
    false, "the copied part is encrypted");
});

test("bucket default encryption: Put/Get/Delete, applied to writes that name none", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "dflt" }));
  await H.expectS3Error(s3.send(new S3.GetBucketEncryptionCommand({ Bucket: "dflt" })),
    "ServerSideEncryptionConfigurationNotFoundError");
  const rule = (alg, id) => ({ Bucket: "dflt", ServerSideEncryptionConfiguration: { Rules: [
    { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: alg, ...(id ? { KMSMasterKeyID: id } : {}) } }] } });
  await H.expectS3Error(s3.send(new S3.PutBucketEncryptionCommand(rule("aws:kms", "no-such-key"))), "KMS.NotFoundException");
  await s3.send(new S3.PutBucketEncryptionCommand(rule("aws:kms", "app-key")));
  const conf = await s3.send(new S3.GetBucketEncryptionCommand({ Bucket: "dflt" }));
  assert.deepEqual(conf.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault,
    { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "app-key" });
  const { b, marker } = body(3000);
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "dflt", Key: "k", Body: b }));
  assert.equal(put.SSEKMSKeyId, "app-key");
  assert.equal(onDisk(marker), false);
  // a request's own encryption wins over the default
  const own = await s3.send(new S3.PutObjectCommand({ Bucket: "dflt", Key: "own", Body: "x", ServerSideEncryption: "AES256" }));
  assert.equal(own.ServerSideEncryption, "AES256");
  const up = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "dflt", Key: "mp" }));
  assert.equal(up.ServerSideEncryption, "aws:kms");
  await s3.send(new S3.AbortMultipartUploadCommand({ Bucket: "dflt", Key: "mp", UploadId: up.UploadId }));
  await s3.send(new S3.PutBucketEncryptionCommand(rule("AES256")));
  assert.equal((await s3.send(new S3.PutObjectCommand({ Bucket: "dflt", Key: "k2", Body: "y" }))).ServerSideEncryption, "AES256");
  await s3.send(new S3.DeleteBucketEncryptionCommand({ Bucket: "dflt" }));
  assert.equal((await s3.send(new S3.PutObjectCommand({ Bucket: "dflt", Key: "k3", Body: "z" }))).ServerSideEncryption, undefined);
  await H.expectS3Error(s3.send(new S3.GetBucketEncryptionCommand({ Bucket: "dflt" })),
    "ServerSideEncryptionConfigurationNotFoundError");
  assert.ok((await bytes(await s3.send(new S3.GetObjectCommand({ Bucket: "dflt", Key: "k" })))).equals(b));
});

test("versions keep their encryption: an older SSE-C version is read by VersionId with its key", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "encver" }));
  await s3.send(new S3.PutBucketVersioningCommand({ Bucket: "encver", VersioningConfiguration: { Status: "Enabled" } }));
  const { b, marker } = body(70000);
  const v1 = await s3.send(new S3.PutObjectCommand({ Bucket: "encver", Key: "k", Body: b, ...ssec(KEY_A) }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "encver", Key: "k", Body: "plain now" }));
  const old = (extra) => s3.send(new S3.GetObjectCommand({ Bucket: "encver", Key: "k", VersionId: v1.VersionId, ...extra }));
  await H.expectS3Error(old({}), "InvalidRequest");
  assert.ok((await bytes(await old(ssec(KEY_A)))).equals(b));
  assert.equal((await bytes(await s3.send(new S3.GetObjectCommand({ Bucket: "encver", Key: "k" })))).toString(), "plain now");
  assert.equal(onDisk(marker), false);
});

test("a changed byte of an encrypted file is detected, not served", async () => {
  const { b } = body(1000);
  await s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "tamper", Body: b, ServerSideEncryption: "AES256" }));
  const before = new Set(dataFiles());
  const { b: b2 } = body(1001);
  await s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "tamper2", Body: b2, ServerSideEncryption: "AES256" }));
  const file = dataFiles().find((f) => !before.has(f) && fs.statSync(f).size === 16 + 1001 + 16);
  assert.ok(file, "the new object's file");
  const bufd = fs.readFileSync(file);
  bufd[100] ^= 1;
  fs.writeFileSync(file, bufd);
  await H.expectS3Error(get("tamper2"), "InternalError");
  assert.ok((await bytes(await get("tamper"))).equals(b), "the other object is intact");
});

test("COS SDK: x-cos-server-side-encryption AES256 round trip", async () => {
  const cos = new COS({ SecretId: d.creds.SecretId, SecretKey: d.creds.SecretKey, Protocol: "http:",
    Ip: `127.0.0.1:${d.objectPort}`, Domain: `{Bucket}.${H.COS_DOMAIN}`, AutoSwitchHost: false });
  const call = (m, p) => new Promise((resolve, reject) =>
    cos[m]({ Bucket: "cosenc-1250000000", Region: "ap-guangzhou", ...p }, (e, data) => (e ? reject(e) : resolve(data))));
  await call("putBucket", {});
  const { b, marker } = body(90000);
  const put = await call("putObject", { Key: "x", Body: b, ServerSideEncryption: "AES256" });
  assert.equal(put.headers["x-cos-server-side-encryption"], "AES256");
  const g = await call("getObject", { Key: "x" });
  assert.equal(g.headers["x-cos-server-side-encryption"], "AES256");
  assert.ok(Buffer.from(g.Body).equals(b));
  assert.equal(onDisk(marker), false);
  const kms = await call("putObject", { Key: "y", Body: "kms", Headers: { "x-cos-server-side-encryption": "cos/kms",
    "x-cos-server-side-encryption-cos-kms-key-id": "app-key" } });
  assert.equal(kms.headers["x-cos-server-side-encryption"], "cos/kms");
  assert.equal(kms.headers["x-cos-server-side-encryption-cos-kms-key-id"], "app-key");
});

test("after a restart: data keys still open (master key); a key id taken out of the config is disabled", async () => {
  const config = JSON.parse(fs.readFileSync(d.configFile, "utf8"));
  const restartWith = async (keys) => {
    config.object.kms_keys = keys;
    fs.writeFileSync(d.configFile, JSON.stringify(config));
    await d.restart();
  };
  await restartWith(["app-key"]);
  try {
    assert.ok((await bytes(await get("c", ssec(KEY_A)))).length > 0);
    assert.equal((await get("s3")).ServerSideEncryption, "AES256");
    await H.expectS3Error(get("kms"), "KMS.DisabledException");
    await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "enc", Key: "kms3", Body: "x",
      ServerSideEncryption: "aws:kms", SSEKMSKeyId: "other-key" })), "KMS.NotFoundException");
  } finally {
    await restartWith(["app-key", "other-key"]);
  }
  assert.equal((await get("kms")).SSEKMSKeyId, "other-key");
});
