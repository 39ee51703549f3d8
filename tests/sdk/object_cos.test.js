/*
 * Object store through the official Tencent COS SDK (cos-nodejs-sdk-v5): COS signatures, virtual-host
 * buckets under a configurable domain reached through the SDK's Ip option, x-cos-* metadata, listing,
 * delete and multi-delete, multipart via sliceUploadFile, presigned URLs (getObjectUrl), and the error
 * behaviour the SDK relies on (x-cos-request-id, Date on skew).
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const COS = require("cos-nodejs-sdk-v5");
const H = require("./lib/object_harness");

let d;
let cos;
const Bucket = "cosbucket-1250000000";
const Region = "ap-guangzhou";

function client(creds) {
  return new COS({ SecretId: creds.SecretId, SecretKey: creds.SecretKey, Protocol: "http:",
    Ip: `127.0.0.1:${d.objectPort}`, Domain: `{Bucket}.${H.COS_DOMAIN}`, AutoSwitchHost: false });
}

const call = (method, params) => new Promise((resolve, reject) =>
  cos[method]({ Bucket, Region, ...params }, (err, data) => (err ? reject(err) : resolve(data))));

before(async () => {
  d = await H.startObjectDaemon({ domain: H.COS_DOMAIN });
  cos = client(d.creds);
});
after(async () => { if (d) await d.destroy(); });

test("putBucket, putObject with x-cos-meta, getObject, headObject", async () => {
  await call("putBucket", {});
  const body = crypto.randomBytes(50000);
  const put = await call("putObject", { Key: "docs/a.bin", Body: body, Headers: { "x-cos-meta-owner": "me" }, ContentType: "application/x-a" });
  assert.equal(put.statusCode, 200);
  assert.equal(put.ETag, `"${crypto.createHash("md5").update(body).digest("hex")}"`);
  const got = await call("getObject", { Key: "docs/a.bin" });
  assert.ok(Buffer.from(got.Body).equals(body));
  assert.equal(got.headers["x-cos-meta-owner"], "me");
  assert.ok(got.headers["x-cos-request-id"]);
  const head = await call("headObject", { Key: "docs/a.bin" });
  assert.equal(head.headers["content-length"], "50000");
  assert.equal(head.headers["content-type"], "application/x-a");
  const range = await call("getObject", { Key: "docs/a.bin", Range: "bytes=0-9" });
  assert.ok(Buffer.from(range.Body).equals(body.subarray(0, 10)));
});

test("getBucket lists with prefix and delimiter; deleteObject and deleteMultipleObject", async () => {
  for (const k of ["docs/b.txt", "docs/c.txt", "img/x.png", "top.txt"]) await call("putObject", { Key: k, Body: k });
  const all = await call("getBucket", {});
  assert.deepEqual(all.Contents.map((c) => c.Key), ["docs/a.bin", "docs/b.txt", "docs/c.txt", "img/x.png", "top.txt"]);
  const dir = await call("getBucket", { Prefix: "docs/", MaxKeys: 2 });
  assert.deepEqual(dir.Contents.map((c) => c.Key), ["docs/a.bin", "docs/b.txt"]);
  assert.equal(dir.IsTruncated, "true");
  const delim = await call("getBucket", { Delimiter: "/" });
  assert.deepEqual(delim.CommonPrefixes.map((p) => p.Prefix), ["docs/", "img/"]);
  assert.deepEqual(delim.Contents.map((c) => c.Key), ["top.txt"]);
  await call("deleteObject", { Key: "top.txt" });
  const multi = await call("deleteMultipleObject", { Objects: [{ Key: "docs/b.txt" }, { Key: "docs/c.txt" }] });
  assert.equal(multi.Deleted.length, 2);
  const rest = await call("getBucket", {});
  assert.deepEqual(rest.Contents.map((c) => c.Key), ["docs/a.bin", "img/x.png"]);
});

test("sliceUploadFile: multipart upload of a 5 MiB file in 1 MiB slices", async () => {
  const dir = H.tmpdir("cos");
  const file = H.randomFile(dir, "slice.bin", 5 * 1024 * 1024 + 777);
  const r = await call("sliceUploadFile", { Key: "sliced.bin", FilePath: file, ChunkSize: 1024 * 1024 });
  assert.match(r.ETag, /-6"$/);
  const got = await call("getObject", { Key: "sliced.bin" });
  assert.equal(crypto.createHash("md5").update(Buffer.from(got.Body)).digest("hex"), H.md5File(file));
  fs.rmSync(dir, { recursive: true, force: true });
});

test("getObjectUrl: a presigned COS URL works without credentials and only until it expires", async () => {
  const url = await new Promise((resolve, reject) => cos.getObjectUrl({ Bucket, Region, Key: "img/x.png", Sign: true, Expires: 60 },
    (err, data) => (err ? reject(err) : resolve(data.Url))));
  const u = new URL(url);
  assert.equal(u.hostname, `${Bucket}.${H.COS_DOMAIN}`);
  const ok = await H.rawRequest(d, { path: u.pathname + u.search, headers: { host: u.host } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.toString(), "img/x.png");
  const tampered = await H.rawRequest(d, { path: u.pathname.replace("x.png", "y.png") + u.search, headers: { host: u.host } });
  assert.equal(tampered.status, 403);
  assert.equal(H.errorCode(tampered.body), "SignatureDoesNotMatch");
  // the presigned signature does not cover ?acl: it must not turn the URL into another operation
  const other = await H.rawRequest(d, { path: u.pathname + u.search + "&acl", headers: { host: u.host } });
  assert.equal(other.status, 403);
  const anon = await H.rawRequest(d, { path: u.pathname, headers: { host: u.host } });
  assert.equal(anon.status, 403);
});

test("errors carry x-cos-request-id and S3/COS codes", async () => {
  await assert.rejects(call("getObject", { Key: "missing" }), (e) => e.statusCode === 404 && e.code === "NoSuchKey" && !!e.headers["x-cos-request-id"]);
  await assert.rejects(call("deleteBucket", {}), (e) => e.statusCode === 409 && e.code === "BucketNotEmpty");
  const other = client({ SecretId: d.creds.SecretId, SecretKey: "wrong" + d.creds.SecretKey.slice(5) });
  await assert.rejects(new Promise((resolve, reject) => other.getBucket({ Bucket, Region }, (e, r) => (e ? reject(e) : resolve(r)))),
    (e) => e.statusCode === 403 && e.code === "SignatureDoesNotMatch");
});
