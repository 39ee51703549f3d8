/*
 * S3 versioning through @aws-sdk/client-s3 (and aws-cli): Put/GetBucketVersioning, versions made
 * by PUT, copy and multipart, reads/ACL/tags by versionId, delete markers, the "null" version of
 * unversioned and suspended writes, ListObjectVersions with prefix, delimiter, markers and
 * max-keys, DeleteObjects with versions, the bucket's byte and object counters over all versions,
 * old versions' files kept by the garbage collector, and a kill -9 during a PUT over a versioned key.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const S3 = require("@aws-sdk/client-s3");
const { SignatureV4 } = require("@smithy/signature-v4");
const H = require("./lib/object_harness");
const { sleep } = require("./lib/yund");

class Sha256 {
  constructor(secret) { this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256"); }
  update(data) { this.h.update(data); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

let d;
let s3;
const { expectS3Error } = H;

async function signed({ method = "GET", path: p, query = {}, headers = {}, body = "" }) {
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", sha256: Sha256,
    credentials: { accessKeyId: d.creds.SecretId, secretAccessKey: d.creds.SecretKey } });
  const h = { host: `127.0.0.1:${d.objectPort}`, "x-amz-content-sha256": crypto.createHash("sha256").update(body).digest("hex"),
    ...headers };
  if (body.length || method === "PUT" || method === "POST") h["content-length"] = String(Buffer.byteLength(body));
  const sig = await signer.sign({ method, protocol: "http:", hostname: "127.0.0.1", port: d.objectPort, path: p, query, headers: h });
  const qs = Object.entries(query).map(([k, v]) => (v === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join("&");
  return H.rawRequest(d, { method, path: p + (qs ? "?" + qs : ""), headers: sig.headers, body: body.length ? body : undefined });
}

function sql(q) {
  const r = spawnSync("sqlite3", ["-readonly", "-json", path.join(d.dataDir, "yun.db"), q], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}
const counters = (b) => sql(`SELECT bytes, objects FROM obj_buckets WHERE name = '${b}'`)[0];
/* The data files the bucket's versions name, and whether each is on disk. */
const versionFiles = (b) => sql(`SELECT file FROM obj_objects WHERE bucket = '${b}' AND marker = 0 UNION ALL
  SELECT file FROM obj_versions WHERE bucket = '${b}' AND marker = 0`).map((r) => r.file);
const onDisk = (f) => fs.existsSync(path.join(d.dataDir, "objects", "data", f.slice(0, 2), f));

const body = async (o) => Buffer.from(await o.Body.transformToByteArray()).toString();
const get = async (Bucket, Key, VersionId) => body(await s3.send(new S3.GetObjectCommand({ Bucket, Key, VersionId })));
const put = (Bucket, Key, Body) => s3.send(new S3.PutObjectCommand({ Bucket, Key, Body }));
const versioning = (Bucket, Status) =>
  s3.send(new S3.PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }));
const listVersions = (Bucket, extra = {}) => s3.send(new S3.ListObjectVersionsCommand({ Bucket, ...extra }));

before(async () => {
  d = await H.startObjectDaemon();
  s3 = H.s3Client(d);
});
after(async () => { if (d) await d.destroy(); });

test("Put/GetBucketVersioning: unversioned, Enabled, Suspended, never back; bad documents refused", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "vconf" }));
  let v = await s3.send(new S3.GetBucketVersioningCommand({ Bucket: "vconf" }));
  assert.equal(v.Status, undefined);
  await versioning("vconf", "Enabled");
  v = await s3.send(new S3.GetBucketVersioningCommand({ Bucket: "vconf" }));
  assert.equal(v.Status, "Enabled");
  await versioning("vconf", "Suspended");
  v = await s3.send(new S3.GetBucketVersioningCommand({ Bucket: "vconf" }));
  assert.equal(v.Status, "Suspended");
  // no Status changes nothing; another word is refused
  let r = await signed({ method: "PUT", path: "/vconf", query: { versioning: "" },
    body: `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></VersioningConfiguration>` });
  assert.equal(r.status, 200);
  r = await signed({ method: "PUT", path: "/vconf", query: { versioning: "" },
    body: `<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>` });
  assert.equal(r.status, 400);
  assert.equal(H.errorCode(r.body), "MalformedXML");
  r = await signed({ method: "PUT", path: "/vconf", query: { versioning: "" }, body: "<Nope/>" });
  assert.equal(H.errorCode(r.body), "MalformedXML");
  v = await s3.send(new S3.GetBucketVersioningCommand({ Bucket: "vconf" }));
  assert.equal(v.Status, "Suspended");
  // another account may not change it
  const other = H.s3Client(d, d.createAccount("vconf-other"));
  await expectS3Error(other.send(new S3.PutBucketVersioningCommand({ Bucket: "vconf",
    VersioningConfiguration: { Status: "Enabled" } })), "AccessDenied");
});

test("versions: null version kept, PUT/GET/HEAD by versionId, x-amz-version-id, IsLatest, delete markers", async () => {
  const B = "vobj";
  await s3.send(new S3.CreateBucketCommand({ Bucket: B }));
  const p0 = await put(B, "k", "zero"); // written while unversioned: version "null"
  assert.equal(p0.VersionId, undefined, "an unversioned bucket tells no version");
  await versioning(B, "Enabled");
  const p1 = await put(B, "k", "one");
  const p2 = await put(B, "k", "two!");
  assert.ok(p1.VersionId && p2.VersionId && p1.VersionId !== p2.VersionId && p1.VersionId !== "null");
  assert.equal(await get(B, "k"), "two!");
  assert.equal(await get(B, "k", "null"), "zero");
  assert.equal(await get(B, "k", p1.VersionId), "one");
  const g = await s3.send(new S3.GetObjectCommand({ Bucket: B, Key: "k" }));
  assert.equal(g.VersionId, p2.VersionId);
  const h = await s3.send(new S3.HeadObjectCommand({ Bucket: B, Key: "k", VersionId: p1.VersionId }));
  assert.equal(h.VersionId, p1.VersionId);
  assert.equal(h.ContentLength, 3);
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: B, Key: "k", VersionId: "0123456789abcdef0123456789abcdef" })),
    "NoSuchVersion");

  let lv = await listVersions(B);
  assert.deepEqual(lv.Versions.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size]),
    [["k", p2.VersionId, true, 4], ["k", p1.VersionId, false, 3], ["k", "null", false, 4]]);
  assert.equal(lv.DeleteMarkers, undefined);

  // DELETE without versionId: a delete marker becomes the current version
  const del = await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "k" }));
  assert.equal(del.DeleteMarker, true);
  assert.ok(del.VersionId);
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: B, Key: "k" })), "NoSuchKey");
  let r = await signed({ path: `/${B}/k` });
  assert.equal(r.status, 404);
  assert.equal(r.headers["x-amz-delete-marker"], "true");
  assert.equal(r.headers["x-amz-version-id"], del.VersionId);
  r = await signed({ method: "HEAD", path: `/${B}/k` });
  assert.equal(r.status, 404);
  assert.equal(r.headers["x-amz-delete-marker"], "true");
  r = await signed({ path: `/${B}/k`, query: { versionId: del.VersionId } });
  assert.equal(r.status, 405, "GET of a delete marker by its version id");
  assert.equal(r.headers["x-amz-delete-marker"], "true");
  assert.equal(await get(B, "k", p2.VersionId), "two!", "the versions behind the marker stay readable");
  const lo = await s3.send(new S3.ListObjectsV2Command({ Bucket: B }));
  assert.equal(lo.KeyCount, 0, "a key whose current version is a marker is not listed");
  lv = await listVersions(B);
  assert.deepEqual(lv.DeleteMarkers.map((m) => [m.Key, m.VersionId, m.IsLatest]), [["k", del.VersionId, true]]);
  assert.equal(lv.Versions.length, 3);
  assert.ok(lv.Versions.every((v) => !v.IsLatest));

  // removing the marker brings the object back; removing the current version promotes the one before
  const undel = await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: del.VersionId }));
  assert.equal(undel.DeleteMarker, true);
  assert.equal(undel.VersionId, del.VersionId);
  assert.equal(await get(B, "k"), "two!");
  await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: p2.VersionId }));
  assert.equal(await get(B, "k"), "one");
  lv = await listVersions(B);
  assert.deepEqual(lv.Versions.map((v) => [v.VersionId, v.IsLatest]), [[p1.VersionId, true], ["null", false]]);
  // stacked markers
  await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "k" }));
  await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "k" }));
  lv = await listVersions(B);
  assert.equal(lv.DeleteMarkers.length, 2);
  assert.deepEqual(lv.DeleteMarkers.map((m) => m.IsLatest), [true, false]);
  // a bucket holding only versions and markers is not empty
  await expectS3Error(s3.send(new S3.DeleteBucketCommand({ Bucket: B })), "BucketNotEmpty");
  for (const v of [...lv.Versions, ...lv.DeleteMarkers])
    await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: v.Key, VersionId: v.VersionId }));
  assert.equal((await listVersions(B)).Versions, undefined);
  await s3.send(new S3.DeleteBucketCommand({ Bucket: B }));
});

test("suspended: writes and deletes are the null version, older versions kept", async () => {
  const B = "vsusp";
  await s3.send(new S3.CreateBucketCommand({ Bucket: B }));
  await versioning(B, "Enabled");
  const v1 = await put(B, "k", "v1");
  await versioning(B, "Suspended");
  const n1 = await put(B, "k", "null-1");
  assert.equal(n1.VersionId, undefined, "a null version is not told on writes (as s3-tests expect)");
  await put(B, "k", "null-2"); // replaces the null version
  let lv = await listVersions(B);
  assert.deepEqual(lv.Versions.map((v) => [v.VersionId, v.IsLatest]), [["null", true], [v1.VersionId, false]]);
  assert.equal(await get(B, "k", "null"), "null-2");
  // a delete puts a null delete marker in place of the null version
  const del = await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "k" }));
  assert.equal(del.DeleteMarker, true);
  assert.equal(del.VersionId, "null");
  lv = await listVersions(B);
  assert.deepEqual(lv.Versions.map((v) => v.VersionId), [v1.VersionId]);
  assert.deepEqual(lv.DeleteMarkers.map((m) => [m.VersionId, m.IsLatest]), [["null", true]]);
  assert.deepEqual(counters(B), { bytes: 2, objects: 1 }, "the dropped null versions no longer count");
  // enabled again: new versions stack on top, the null marker stays a version
  await versioning(B, "Enabled");
  const v2 = await put(B, "k", "v2");
  assert.notEqual(v2.VersionId, "null");
  lv = await listVersions(B);
  assert.deepEqual(lv.Versions.map((v) => v.VersionId), [v2.VersionId, v1.VersionId]);
  assert.equal(lv.DeleteMarkers[0].IsLatest, false);
});

test("ListObjectVersions: prefix, delimiter, key-marker/version-id-marker and max-keys paging", async () => {
  const B = "vlist";
  await s3.send(new S3.CreateBucketCommand({ Bucket: B }));
  await versioning(B, "Enabled");
  const made = [];
  for (const key of ["a", "b/1", "b/2", "c"])
    for (let i = 0; i < 3; i++) made.push([key, (await put(B, key, `${key}-${i}`)).VersionId]);
  await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "c" }));
  const all = await listVersions(B);
  assert.equal(all.Versions.length, 12);
  assert.equal(all.DeleteMarkers.length, 1);
  // order: key, then newest first
  const order = all.Versions.map((v) => [v.Key, v.VersionId]);
  const expected = ["a", "b/1", "b/2", "c"].flatMap((k) => made.filter((m) => m[0] === k).reverse());
  assert.deepEqual(order, expected);
  // paging 2 at a time visits every version and marker once, in the same order
  const seen = [];
  let km, vm;
  for (let page = 0; page < 20; page++) {
    const p = await listVersions(B, { MaxKeys: 2, KeyMarker: km, VersionIdMarker: vm });
    const items = [...(p.Versions || []), ...(p.DeleteMarkers || [])];
    assert.ok(items.length <= 2);
    seen.push(...items.map((v) => `${v.Key}@${v.VersionId}`));
    if (!p.IsTruncated) break;
    km = p.NextKeyMarker;
    vm = p.NextVersionIdMarker;
  }
  assert.equal(new Set(seen).size, 13);
  assert.equal(seen.length, 13);
  // prefix and delimiter
  const pre = await listVersions(B, { Prefix: "b/" });
  assert.deepEqual([...new Set(pre.Versions.map((v) => v.Key))], ["b/1", "b/2"]);
  const dl = await listVersions(B, { Delimiter: "/" });
  assert.deepEqual(dl.CommonPrefixes.map((p) => p.Prefix), ["b/"]);
  assert.deepEqual([...new Set(dl.Versions.map((v) => v.Key))], ["a", "c"]);
  // a key-marker alone starts after every version of that key
  const after = await listVersions(B, { KeyMarker: "b/1" });
  assert.equal(after.Versions[0].Key, "b/2");
  // aws-cli reads the same listing
  const aws = H.awsCli(d);
  const out = JSON.parse(aws(["s3api", "list-object-versions", "--bucket", B, "--prefix", "a"]).stdout);
  assert.equal(out.Versions.length, 3);
  assert.equal(out.Versions[0].IsLatest, true);
  const st = JSON.parse(aws(["s3api", "get-bucket-versioning", "--bucket", B]).stdout);
  assert.equal(st.Status, "Enabled");
});

test("ACL and tagging by versionId; copy from a version; multipart completes as a new version", async () => {
  const B = "vmisc";
  await s3.send(new S3.CreateBucketCommand({ Bucket: B }));
  await versioning(B, "Enabled");
  const v1 = await put(B, "k", "first");
  const v2 = await put(B, "k", "second");
  await s3.send(new S3.PutObjectTaggingCommand({ Bucket: B, Key: "k", VersionId: v1.VersionId,
    Tagging: { TagSet: [{ Key: "old", Value: "yes" }] } }));
  let t = await s3.send(new S3.GetObjectTaggingCommand({ Bucket: B, Key: "k", VersionId: v1.VersionId }));
  assert.deepEqual(t.TagSet, [{ Key: "old", Value: "yes" }]);
  assert.equal(t.VersionId, v1.VersionId);
  t = await s3.send(new S3.GetObjectTaggingCommand({ Bucket: B, Key: "k" }));
  assert.deepEqual(t.TagSet, [], "the current version's tags are its own");
  await s3.send(new S3.DeleteObjectTaggingCommand({ Bucket: B, Key: "k", VersionId: v1.VersionId }));
  t = await s3.send(new S3.GetObjectTaggingCommand({ Bucket: B, Key: "k", VersionId: v1.VersionId }));
  assert.deepEqual(t.TagSet, []);
  await s3.send(new S3.PutObjectAclCommand({ Bucket: B, Key: "k", VersionId: v1.VersionId, ACL: "public-read" }));
  let r = await H.rawRequest(d, { path: `/${B}/k?versionId=${v1.VersionId}` });
  assert.equal(r.status, 200, "the old version is public");
  assert.equal(r.body.toString(), "first");
  r = await H.rawRequest(d, { path: `/${B}/k` });
  assert.equal(r.status, 403, "the current version is still private");
  const acl = await s3.send(new S3.GetObjectAclCommand({ Bucket: B, Key: "k", VersionId: v1.VersionId }));
  assert.ok(acl.Grants.some((g) => g.Grantee.URI && g.Grantee.URI.endsWith("AllUsers")));
  await expectS3Error(s3.send(new S3.PutObjectAclCommand({ Bucket: B, Key: "k",
    VersionId: "0123456789abcdef0123456789abcdef", ACL: "private" })), "NoSuchVersion");

  // copy from an older version: to another key, and onto its own key (restores it)
  const c = await s3.send(new S3.CopyObjectCommand({ Bucket: B, Key: "copy",
    CopySource: `${B}/k?versionId=${v1.VersionId}` }));
  assert.equal(c.CopySourceVersionId, v1.VersionId);
  assert.ok(c.VersionId);
  assert.equal(await get(B, "copy"), "first");
  const back = await s3.send(new S3.CopyObjectCommand({ Bucket: B, Key: "k", CopySource: `${B}/k?versionId=${v1.VersionId}` }));
  assert.equal(await get(B, "k"), "first");
  assert.equal(await get(B, "k", v2.VersionId), "second");
  assert.equal((await listVersions(B, { Prefix: "k" })).Versions[0].VersionId, back.VersionId);
  const marker = await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: "copy" }));
  await expectS3Error(s3.send(new S3.CopyObjectCommand({ Bucket: B, Key: "x", CopySource: `${B}/copy` })), "NoSuchKey");
  await expectS3Error(s3.send(new S3.CopyObjectCommand({ Bucket: B, Key: "x",
    CopySource: `${B}/copy?versionId=${marker.VersionId}` })), "InvalidRequest");

  // multipart: the completed upload is a new version on top of the others
  const { UploadId } = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: B, Key: "k" }));
  const part1 = crypto.randomBytes(5 << 20);
  const p1 = await s3.send(new S3.UploadPartCommand({ Bucket: B, Key: "k", UploadId, PartNumber: 1, Body: part1 }));
  const p2 = await s3.send(new S3.UploadPartCommand({ Bucket: B, Key: "k", UploadId, PartNumber: 2, Body: "tail" }));
  const done = await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: B, Key: "k", UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }));
  assert.ok(done.VersionId);
  const lv = await listVersions(B, { Prefix: "k" });
  assert.deepEqual(lv.Versions.map((v) => v.VersionId), [done.VersionId, back.VersionId, v2.VersionId, v1.VersionId]);
  assert.equal(lv.Versions[0].Size, (5 << 20) + 4);
  assert.equal(await get(B, "k", v2.VersionId), "second");
  const attrs = await s3.send(new S3.GetObjectAttributesCommand({ Bucket: B, Key: "k", VersionId: v1.VersionId,
    ObjectAttributes: ["ObjectSize"] }));
  assert.equal(attrs.ObjectSize, 5);
});

test("DeleteObjects with versions and markers; counters sum every version; GC keeps old versions' files", async () => {
  const B = "vcount";
  await s3.send(new S3.CreateBucketCommand({ Bucket: B }));
  await put(B, "plain", "12345"); // null version, 5 bytes
  await versioning(B, "Enabled");
  const a1 = await put(B, "a", "aaaa");
  const a2 = await put(B, "a", "aaaaaa");
  await put(B, "plain", "123");
  assert.deepEqual(counters(B), { bytes: 18, objects: 4 });
  const files = versionFiles(B);
  assert.equal(files.length, 4);
  await sleep(2500); // one garbage collection round
  assert.ok(files.every(onDisk), "no version's file was collected");
  assert.equal(await get(B, "a", a1.VersionId), "aaaa");
  assert.equal(await get(B, "plain", "null"), "12345");

  const res = await s3.send(new S3.DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [
    { Key: "a", VersionId: a1.VersionId }, { Key: "plain" }] } }));
  const byKey = Object.fromEntries(res.Deleted.map((x) => [x.Key, x]));
  assert.equal(byKey.a.VersionId, a1.VersionId);
  assert.equal(byKey.plain.DeleteMarker, true);
  assert.ok(byKey.plain.DeleteMarkerVersionId);
  assert.deepEqual(counters(B), { bytes: 14, objects: 3 }, "a marker adds nothing; a removed version is gone");
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: B, Key: "plain" })), "NoSuchKey");
  const rm = await s3.send(new S3.DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [
    { Key: "plain", VersionId: byKey.plain.DeleteMarkerVersionId }] } }));
  assert.equal(rm.Deleted[0].DeleteMarker, true);
  assert.equal(await get(B, "plain"), "123");

  // removing every version frees every file
  const lv = await listVersions(B);
  for (const v of [...(lv.Versions || []), ...(lv.DeleteMarkers || [])])
    await s3.send(new S3.DeleteObjectCommand({ Bucket: B, Key: v.Key, VersionId: v.VersionId }));
  assert.deepEqual(counters(B), { bytes: 0, objects: 0 });
  assert.equal(sql(`SELECT COUNT(*) AS n FROM obj_versions WHERE bucket = '${B}'`)[0].n, 0);
  await sleep(2500);
  assert.deepEqual(files.filter(onDisk), [], "the removed versions' files are unlinked");
  assert.equal(a2.VersionId.length, 32);
});

test("kill -9 during a PUT over a versioned key loses no earlier version", async () => {
  const B = "vcrash";
  await s3.send(new S3.CreateBucketCommand({ Bucket: B }));
  await versioning(B, "Enabled");
  const first = await put(B, "k", "first version");
  const second = await put(B, "k", "second version");
  // a large PUT in flight when the daemon dies
  const big = crypto.randomBytes(48 << 20);
  const inflight = put(B, "k", big).then(() => "done", () => "cut");
  await sleep(300);
  await d.kill9();
  const outcome = await inflight;
  await d.start();
  s3 = H.s3Client(d);
  assert.equal(await get(B, "k", first.VersionId), "first version");
  assert.equal(await get(B, "k", second.VersionId), "second version");
  const lv = await listVersions(B);
  assert.equal(lv.Versions.length, outcome === "done" ? 3 : 2);
  assert.equal(lv.Versions.filter((v) => v.IsLatest).length, 1);
  if (outcome === "cut") assert.equal(await get(B, "k"), "second version");
  assert.deepEqual(fs.readdirSync(path.join(d.dataDir, "objects", "tmp")), []);
});
