/*
 * Object store through @aws-sdk/client-s3 (v3), path-style and virtual-host style: buckets,
 * objects with metadata and tags, ranges and conditional GETs, listings (v1, v2, versions,
 * delimiters, pagination), copy with metadata directives, multipart (incl. 64 MiB and UploadPartCopy),
 * a stream body (aws-chunked with a CRC32 trailer), a 200 MiB single PUT with bounded daemon RSS,
 * and the precise S3 errors for bad input. Also CAM policies for sub-users and canned ACLs.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const dns = require("node:dns");
const http = require("node:http");
const { Readable } = require("node:stream");
const S3 = require("@aws-sdk/client-s3");
const { NodeHttpHandler } = require("@smithy/node-http-handler");
const { SignatureV4 } = require("@smithy/signature-v4");

/* The hash interface SignatureV4 wants, over node:crypto. */
class Sha256 {
  constructor(secret) { this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256"); }
  update(data) { this.h.update(data); }
  async digest() { return new Uint8Array(this.h.digest()); }
}
const H = require("./lib/object_harness");

let d;
let s3;

function client({ creds = d.creds, vhost = false, checksums = true } = {}) {
  const cfg = {
    region: "us-east-1",
    credentials: { accessKeyId: creds.SecretId, secretAccessKey: creds.SecretKey },
    forcePathStyle: !vhost,
    endpoint: vhost ? `http://${H.DOMAIN}:${d.objectPort}` : d.objectEndpoint,
    maxAttempts: 1,
  };
  if (!checksums) cfg.requestChecksumCalculation = "WHEN_REQUIRED";
  if (vhost) {
    // *.s3.yun.test does not resolve: send every connection to 127.0.0.1, keep the Host header
    const lookup = (host, opts, cb) => {
      if (typeof opts === "function") cb = opts;
      if (opts && opts.all) return cb(null, [{ address: "127.0.0.1", family: 4 }]);
      cb(null, "127.0.0.1", 4);
    };
    cfg.requestHandler = new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, lookup }) });
  }
  return new S3.S3Client(cfg);
}

const { expectS3Error } = H;

before(async () => {
  d = await H.startObjectDaemon();
  s3 = client();
});
after(async () => { if (d) await d.destroy(); });

test("buckets: create, head, location, list, invalid names, conflicts", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "alpha" }));
  await s3.send(new S3.HeadBucketCommand({ Bucket: "alpha" }));
  const loc = await s3.send(new S3.GetBucketLocationCommand({ Bucket: "alpha" }));
  assert.ok(!loc.LocationConstraint, "us-east-1 is the empty constraint");
  const lb = await s3.send(new S3.ListBucketsCommand({}));
  assert.deepEqual(lb.Buckets.map((b) => b.Name), ["alpha"]);
  // us-east-1: S3 answers its owner's second CreateBucket with 200 and changes nothing (object_conformance)
  await s3.send(new S3.CreateBucketCommand({ Bucket: "alpha" }));
  for (const bad of ["ab", "UPPER", "-dash", "a..b", "192.168.1.1", "x".repeat(64)])
    await expectS3Error(s3.send(new S3.CreateBucketCommand({ Bucket: bad })), "InvalidBucketName");
  await expectS3Error(s3.send(new S3.HeadBucketCommand({ Bucket: "nope-nope" })), "NotFound");
  await expectS3Error(s3.send(new S3.ListObjectsV2Command({ Bucket: "nope-nope" })), "NoSuchBucket");
  // another account cannot take the name or read the bucket
  const other = d.createAccount("other");
  const s3o = client({ creds: other });
  await expectS3Error(s3o.send(new S3.CreateBucketCommand({ Bucket: "alpha" })), "BucketAlreadyExists");
  await expectS3Error(s3o.send(new S3.ListObjectsV2Command({ Bucket: "alpha" })), "AccessDenied");
  assert.deepEqual((await s3o.send(new S3.ListBucketsCommand({}))).Buckets || [], []);
});

test("objects: put/get with metadata, tags, ranges, conditionals, ETag = MD5", async () => {
  const body = crypto.randomBytes(100000);
  const md5 = crypto.createHash("md5").update(body).digest("hex");
  const put = await s3.send(new S3.PutObjectCommand({
    Bucket: "alpha", Key: "dir/a b+c%.bin", Body: body, ContentType: "application/x-test",
    Metadata: { color: "blue", "Mixed-Case": "v" }, Tagging: "k1=v1&k2=v%202", CacheControl: "max-age=60",
  }));
  assert.equal(put.ETag, `"${md5}"`);
  const got = await s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin" }));
  assert.equal(got.ETag, `"${md5}"`);
  assert.equal(got.ContentType, "application/x-test");
  assert.equal(got.CacheControl, "max-age=60");
  assert.deepEqual(got.Metadata, { color: "blue", "mixed-case": "v" });
  assert.equal(got.TagCount, 2);
  assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(body));
  assert.ok(got.LastModified instanceof Date);

  const r = await s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", Range: "bytes=10-19" }));
  assert.equal(r.ContentRange, "bytes 10-19/100000");
  assert.ok(Buffer.from(await r.Body.transformToByteArray()).equals(body.subarray(10, 20)));
  const tail = await s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", Range: "bytes=-5" }));
  assert.ok(Buffer.from(await tail.Body.transformToByteArray()).equals(body.subarray(99995)));
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", Range: "bytes=100000-" })), "InvalidRange");

  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", IfNoneMatch: `"${md5}"` })), "304");
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", IfMatch: '"0000"' })), "PreconditionFailed");
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", IfModifiedSince: new Date(Date.now() + 3600e3) })), "304");
  const ok = await s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", IfMatch: `"${md5}"` }));
  assert.equal(ok.ContentLength, 100000);

  const tags = await s3.send(new S3.GetObjectTaggingCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin" }));
  assert.deepEqual(tags.TagSet.map((t) => [t.Key, t.Value]).sort(), [["k1", "v1"], ["k2", "v 2"]]);
  await s3.send(new S3.PutObjectTaggingCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin", Tagging: { TagSet: [{ Key: "only", Value: "one" }] } }));
  assert.deepEqual((await s3.send(new S3.GetObjectTaggingCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin" }))).TagSet, [{ Key: "only", Value: "one" }]);
  await s3.send(new S3.DeleteObjectTaggingCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin" }));
  assert.deepEqual((await s3.send(new S3.GetObjectTaggingCommand({ Bucket: "alpha", Key: "dir/a b+c%.bin" }))).TagSet || [], []);

  await s3.send(new S3.PutBucketTaggingCommand({ Bucket: "alpha", Tagging: { TagSet: [{ Key: "team", Value: "x" }] } }));
  assert.deepEqual((await s3.send(new S3.GetBucketTaggingCommand({ Bucket: "alpha" }))).TagSet, [{ Key: "team", Value: "x" }]);
  await s3.send(new S3.DeleteBucketTaggingCommand({ Bucket: "alpha" }));
  await expectS3Error(s3.send(new S3.GetBucketTaggingCommand({ Bucket: "alpha" })), "NoSuchTagSet");
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "missing" })), "NoSuchKey");
});

test("listing: v1, v2, versions, prefixes, delimiters, pagination", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lister" }));
  const keys = [];
  for (const top of ["a", "b", "c"]) for (let i = 0; i < 7; i++) keys.push(`${top}/${String(i).padStart(2, "0")}`);
  keys.push("root1", "root2", "a+/x", "é/ü");
  s3 = client({ checksums: false });
  await Promise.all(keys.map((k) => s3.send(new S3.PutObjectCommand({ Bucket: "lister", Key: k, Body: k }))));
  const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

  // v2, page size 4, no delimiter: every key once, in byte order
  const seen = [];
  let token;
  let pages = 0;
  do {
    const p = await s3.send(new S3.ListObjectsV2Command({ Bucket: "lister", MaxKeys: 4, ContinuationToken: token }));
    seen.push(...(p.Contents || []).map((c) => c.Key));
    token = p.NextContinuationToken;
    pages++;
    assert.equal(p.IsTruncated, !!token);
  } while (token);
  assert.deepEqual(seen, sorted);
  assert.equal(pages, Math.ceil(keys.length / 4));

  // delimiter: common prefixes rolled up, paginated across them
  const items = [];
  token = undefined;
  do {
    const p = await s3.send(new S3.ListObjectsV2Command({ Bucket: "lister", Delimiter: "/", MaxKeys: 2, ContinuationToken: token }));
    items.push(...(p.CommonPrefixes || []).map((c) => "P:" + c.Prefix), ...(p.Contents || []).map((c) => c.Key));
    token = p.NextContinuationToken;
  } while (token);
  assert.deepEqual(items.sort(), ["P:a+/", "P:a/", "P:b/", "P:c/", "P:é/", "root1", "root2"].sort());

  // prefix + delimiter, v1 with markers
  const v1 = await s3.send(new S3.ListObjectsCommand({ Bucket: "lister", Prefix: "b/", MaxKeys: 3 }));
  assert.deepEqual(v1.Contents.map((c) => c.Key), ["b/00", "b/01", "b/02"]);
  assert.equal(v1.IsTruncated, true);
  const v1b = await s3.send(new S3.ListObjectsCommand({ Bucket: "lister", Prefix: "b/", Marker: "b/02" }));
  assert.deepEqual(v1b.Contents.map((c) => c.Key), ["b/03", "b/04", "b/05", "b/06"]);
  const v1d = await s3.send(new S3.ListObjectsCommand({ Bucket: "lister", Delimiter: "/", MaxKeys: 2 }));
  assert.deepEqual(v1d.CommonPrefixes.map((c) => c.Prefix), ["a+/", "a/"]);
  assert.equal(v1d.NextMarker, "a/");
  const v1e = await s3.send(new S3.ListObjectsCommand({ Bucket: "lister", Delimiter: "/", Marker: v1d.NextMarker }));
  assert.deepEqual(v1e.CommonPrefixes.map((c) => c.Prefix), ["b/", "c/", "é/"]);
  assert.deepEqual(v1e.Contents.map((c) => c.Key), ["root1", "root2"]);

  const sa = await s3.send(new S3.ListObjectsV2Command({ Bucket: "lister", StartAfter: "c/05" }));
  assert.deepEqual(sa.Contents.map((c) => c.Key), ["c/06", "root1", "root2", "é/ü"]);

  const vers = await s3.send(new S3.ListObjectVersionsCommand({ Bucket: "lister", Prefix: "a/" }));
  assert.equal(vers.Versions.length, 7);
  assert.ok(vers.Versions.every((v) => v.VersionId === "null" && v.IsLatest));

  // multi-delete, then BucketNotEmpty until empty
  await expectS3Error(s3.send(new S3.DeleteBucketCommand({ Bucket: "lister" })), "BucketNotEmpty");
  const del = await s3.send(new S3.DeleteObjectsCommand({ Bucket: "lister", Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  assert.equal(del.Deleted.length, keys.length);
  assert.equal((await s3.send(new S3.ListObjectsV2Command({ Bucket: "lister" }))).KeyCount, 0);
  await s3.send(new S3.DeleteBucketCommand({ Bucket: "lister" }));
  s3 = client();
});

test("copy: metadata directives, self-copy rule, copy-source conditions", async () => {
  await s3.send(new S3.PutObjectCommand({ Bucket: "alpha", Key: "src", Body: "copy me", Metadata: { m: "1" }, ContentType: "text/plain" }));
  const c1 = await s3.send(new S3.CopyObjectCommand({ Bucket: "alpha", Key: "dst1", CopySource: "alpha/src" }));
  assert.equal(c1.CopyObjectResult.ETag, `"${crypto.createHash("md5").update("copy me").digest("hex")}"`);
  const h1 = await s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: "dst1" }));
  assert.deepEqual(h1.Metadata, { m: "1" });
  assert.equal(h1.ContentType, "text/plain");
  await s3.send(new S3.CopyObjectCommand({ Bucket: "alpha", Key: "dst2", CopySource: "/alpha/src", MetadataDirective: "REPLACE", Metadata: { n: "2" }, ContentType: "text/x" }));
  const h2 = await s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: "dst2" }));
  assert.deepEqual(h2.Metadata, { n: "2" });
  assert.equal(h2.ContentType, "text/x");
  await expectS3Error(s3.send(new S3.CopyObjectCommand({ Bucket: "alpha", Key: "src", CopySource: "alpha/src" })), "InvalidRequest");
  await s3.send(new S3.CopyObjectCommand({ Bucket: "alpha", Key: "src", CopySource: "alpha/src", MetadataDirective: "REPLACE", Metadata: { m: "3" } }));
  assert.deepEqual((await s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: "src" }))).Metadata, { m: "3" });
  await expectS3Error(s3.send(new S3.CopyObjectCommand({ Bucket: "alpha", Key: "x", CopySource: "alpha/src", CopySourceIfMatch: '"bad"' })), "PreconditionFailed");
  await expectS3Error(s3.send(new S3.CopyObjectCommand({ Bucket: "alpha", Key: "x", CopySource: "alpha/nothing" })), "NoSuchKey");
});

test("multipart: 64 MiB in 8 MiB parts, UploadPartCopy, list, abort, errors", async () => {
  const part = 8 << 20;
  const parts = Array.from({ length: 8 }, () => crypto.randomBytes(part));
  const { UploadId } = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "alpha", Key: "big", Metadata: { big: "yes" } }));
  const etags = [];
  for (let i = 0; i < parts.length; i++) {
    const r = await s3.send(new S3.UploadPartCommand({ Bucket: "alpha", Key: "big", UploadId, PartNumber: i + 1, Body: parts[i] }));
    etags.push(r.ETag);
  }
  const lp = await s3.send(new S3.ListPartsCommand({ Bucket: "alpha", Key: "big", UploadId, MaxParts: 5 }));
  assert.equal(lp.Parts.length, 5);
  assert.equal(lp.IsTruncated, true);
  const lu = await s3.send(new S3.ListMultipartUploadsCommand({ Bucket: "alpha" }));
  assert.deepEqual(lu.Uploads.map((u) => u.UploadId), [UploadId]);
  // parts out of order -> InvalidPartOrder; an unknown ETag -> InvalidPart
  await expectS3Error(s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "alpha", Key: "big", UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 2, ETag: etags[1] }, { PartNumber: 1, ETag: etags[0] }] } })), "InvalidPartOrder");
  await expectS3Error(s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "alpha", Key: "big", UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] } })), "InvalidPart");
  const done = await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "alpha", Key: "big", UploadId,
    MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) } }));
  const md5s = Buffer.concat(parts.map((p) => crypto.createHash("md5").update(p).digest()));
  assert.equal(done.ETag, `"${crypto.createHash("md5").update(md5s).digest("hex")}-8"`);
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: "big" }));
  assert.equal(head.ContentLength, 64 << 20);
  assert.deepEqual(head.Metadata, { big: "yes" });
  const whole = crypto.createHash("sha256");
  const got = await s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "big" }));
  for await (const c of got.Body) whole.update(c);
  const want = crypto.createHash("sha256");
  parts.forEach((p) => want.update(p));
  assert.equal(whole.digest("hex"), want.digest("hex"));
  await expectS3Error(s3.send(new S3.UploadPartCommand({ Bucket: "alpha", Key: "big", UploadId, PartNumber: 1, Body: "x" })), "NoSuchUpload");

  // UploadPartCopy of two ranges of "big" + a small last part; too-small parts are refused
  const u2 = (await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "alpha", Key: "assembled" }))).UploadId;
  const p1 = await s3.send(new S3.UploadPartCopyCommand({ Bucket: "alpha", Key: "assembled", UploadId: u2, PartNumber: 1, CopySource: "alpha/big", CopySourceRange: `bytes=0-${part - 1}` }));
  const p2 = await s3.send(new S3.UploadPartCommand({ Bucket: "alpha", Key: "assembled", UploadId: u2, PartNumber: 2, Body: "tail" }));
  await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "alpha", Key: "assembled", UploadId: u2,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }));
  const asm = Buffer.from(await (await s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "assembled" }))).Body.transformToByteArray());
  assert.ok(asm.equals(Buffer.concat([parts[0], Buffer.from("tail")])));
  const u3 = (await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "alpha", Key: "small" }))).UploadId;
  const s1 = await s3.send(new S3.UploadPartCommand({ Bucket: "alpha", Key: "small", UploadId: u3, PartNumber: 1, Body: "a" }));
  const s2 = await s3.send(new S3.UploadPartCommand({ Bucket: "alpha", Key: "small", UploadId: u3, PartNumber: 2, Body: "b" }));
  await expectS3Error(s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "alpha", Key: "small", UploadId: u3,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] } })), "EntityTooSmall");
  await s3.send(new S3.AbortMultipartUploadCommand({ Bucket: "alpha", Key: "small", UploadId: u3 }));
  await expectS3Error(s3.send(new S3.AbortMultipartUploadCommand({ Bucket: "alpha", Key: "small", UploadId: u3 })), "NoSuchUpload");
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: "small" })), "NotFound");
});

test("stream body: aws-chunked with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)", async () => {
  const data = crypto.randomBytes(3 * 65536 + 123);
  const seen = [];
  const c = client();
  c.middlewareStack.add((next) => async (args) => {
    seen.push({ ...args.request.headers });
    return next(args);
  }, { step: "finalizeRequest", name: "spy", priority: "low" });
  const body = Readable.from([data.subarray(0, 70000), data.subarray(70000)]);
  await c.send(new S3.PutObjectCommand({ Bucket: "alpha", Key: "streamed", Body: body, ContentLength: data.length }));
  const h = seen[0];
  assert.match(h["content-encoding"] || "", /aws-chunked/);
  assert.equal(h["x-amz-content-sha256"], "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  assert.equal(h["x-amz-trailer"], "x-amz-checksum-crc32");
  const got = await s3.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "streamed", ChecksumMode: "ENABLED" }));
  assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(data));
  assert.ok(got.ChecksumCRC32, "stored trailer checksum is returned");
  assert.ok(!/aws-chunked/.test(got.ContentEncoding || ""), "aws-chunked is not stored as the object's encoding");
});

test("200 MiB single PUT streams with bounded daemon memory", async () => {
  const size = 200 << 20;
  const rssBefore = H.rssKiB(d.child.pid);
  const chunk = crypto.randomBytes(1 << 20);
  const hash = crypto.createHash("md5");
  async function* gen() { for (let i = 0; i < 200; i++) { hash.update(chunk); yield chunk; } }
  const c = client({ checksums: false });
  const put = await c.send(new S3.PutObjectCommand({ Bucket: "alpha", Key: "huge", Body: Readable.from(gen()), ContentLength: size }));
  assert.equal(put.ETag, `"${hash.digest("hex")}"`);
  const rssAfter = H.rssKiB(d.child.pid);
  assert.ok(rssAfter - rssBefore < 64 * 1024, `daemon RSS grew by ${rssAfter - rssBefore} KiB for a 200 MiB upload`);
  const got = await c.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "huge", Range: "bytes=209715100-" }));
  assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(chunk.subarray(chunk.length - 100)));
  assert.ok(H.rssKiB(d.child.pid) - rssBefore < 64 * 1024, "GET is served from the file, not from memory");
  await c.send(new S3.DeleteObjectCommand({ Bucket: "alpha", Key: "huge" }));
});

test("virtual-host style addressing", async () => {
  const v = client({ vhost: true });
  await v.send(new S3.CreateBucketCommand({ Bucket: "vhosted" }));
  await v.send(new S3.PutObjectCommand({ Bucket: "vhosted", Key: "k/1", Body: "hello" }));
  const got = await v.send(new S3.GetObjectCommand({ Bucket: "vhosted", Key: "k/1" }));
  assert.equal(await got.Body.transformToString(), "hello");
  const l = await v.send(new S3.ListObjectsV2Command({ Bucket: "vhosted" }));
  assert.deepEqual(l.Contents.map((c) => c.Key), ["k/1"]);
  // the same object is visible path-style
  assert.equal(await (await s3.send(new S3.GetObjectCommand({ Bucket: "vhosted", Key: "k/1" }))).Body.transformToString(), "hello");
});

/* A SigV4-signed raw request (header auth) for what the SDK will not send. */
async function signedRaw({ method, path, query = {}, headers = {}, body = "", payloadHash }) {
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", sha256: Sha256,
    credentials: { accessKeyId: d.creds.SecretId, secretAccessKey: d.creds.SecretKey } });
  const h = { host: `127.0.0.1:${d.objectPort}`, ...headers,
    "x-amz-content-sha256": payloadHash || crypto.createHash("sha256").update(body).digest("hex") };
  if (body.length !== undefined) h["content-length"] = String(Buffer.byteLength(body));
  const signed = await signer.sign({ method, protocol: "http:", hostname: "127.0.0.1", port: d.objectPort, path, query, headers: h, body });
  const qs = new URLSearchParams(query).toString();
  return H.rawRequest(d, { method, path: path + (qs ? "?" + qs : ""), headers: signed.headers, body });
}

test("bad input gets precise S3 errors; nothing is stored on a failed check", async () => {
  let r = await signedRaw({ method: "PUT", path: "/alpha/bad-sha", body: "abc", payloadHash: "0".repeat(64) });
  assert.equal(r.status, 400);
  assert.equal(H.errorCode(r.body), "XAmzContentSHA256Mismatch");
  r = await signedRaw({ method: "PUT", path: "/alpha/bad-md5", body: "abc", headers: { "content-md5": crypto.createHash("md5").update("abd").digest("base64") } });
  assert.equal(H.errorCode(r.body), "BadDigest");
  r = await signedRaw({ method: "POST", path: "/alpha", query: { delete: "" }, body: "<Delete><Object><Key>x</Key></Object" });
  assert.equal(H.errorCode(r.body), "MalformedXML");
  r = await signedRaw({ method: "PUT", path: "/alpha/" + "k".repeat(1025), body: "" });
  assert.equal(H.errorCode(r.body), "KeyTooLongError");
  r = await signedRaw({ method: "GET", path: "/alpha", query: { "max-keys": "abc" } });
  assert.equal(H.errorCode(r.body), "InvalidArgument");
  assert.ok(r.headers["x-amz-request-id"] && r.headers["x-amz-request-id"] === r.headers["x-cos-request-id"]);
  assert.ok(r.headers.date, "Date header on every response");
  for (const k of ["bad-sha", "bad-md5"])
    await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "alpha", Key: k })), "NotFound");
  // wrong secret, unknown key, skewed clock
  // change the first character, whatever it is (a fixed "x" left the key unchanged 1 time in 62)
  const flipped = (d.creds.SecretKey[0] === "x" ? "y" : "x") + d.creds.SecretKey.slice(1);
  const wrong = client({ creds: { SecretId: d.creds.SecretId, SecretKey: flipped } });
  await expectS3Error(wrong.send(new S3.ListObjectsV2Command({ Bucket: "alpha" })), "SignatureDoesNotMatch");
  const unknown = client({ creds: { SecretId: "AKIDunknownunknownunknownunknown1234", SecretKey: "x" } });
  await expectS3Error(unknown.send(new S3.ListObjectsV2Command({ Bucket: "alpha" })), "InvalidAccessKeyId");
  const skewed = new S3.S3Client({ region: "us-east-1", endpoint: d.objectEndpoint, forcePathStyle: true, maxAttempts: 1,
    systemClockOffset: -3600e3, credentials: { accessKeyId: d.creds.SecretId, secretAccessKey: d.creds.SecretKey } });
  skewed.config.systemClockOffset = -3600e3;
  const e = await expectS3Error(skewed.send(new S3.ListObjectsV2Command({ Bucket: "alpha" })), "RequestTimeTooSkewed");
  assert.equal(e.$metadata.httpStatusCode, 403);
  // anonymous requests to a private bucket
  r = await H.rawRequest(d, { path: "/alpha/src" });
  assert.equal(r.status, 403);
  assert.equal(H.errorCode(r.body), "AccessDenied");
});

test("canned ACLs: public-read bucket and object readable anonymously; private by default", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "public-site", ACL: "public-read" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "public-site", Key: "index.html", Body: "<h1>hi</h1>" }));
  let r = await H.rawRequest(d, { path: "/public-site/index.html" });
  assert.equal(r.status, 403, "as on S3, an object's own ACL decides (private when none is given)");
  await s3.send(new S3.PutObjectAclCommand({ Bucket: "public-site", Key: "index.html", ACL: "public-read" }));
  r = await H.rawRequest(d, { path: "/public-site/index.html" });
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), "<h1>hi</h1>");
  r = await H.rawRequest(d, { path: "/public-site?list-type=2" });
  assert.equal(r.status, 200);
  r = await H.rawRequest(d, { method: "PUT", path: "/public-site/evil", body: "x" });
  assert.equal(r.status, 403, "public-read does not grant writes");
  await s3.send(new S3.PutObjectCommand({ Bucket: "alpha", Key: "shared.txt", Body: "shared", ACL: "public-read" }));
  r = await H.rawRequest(d, { path: "/alpha/shared.txt" });
  assert.equal(r.status, 200);
  r = await H.rawRequest(d, { path: "/alpha?list-type=2" });
  assert.equal(r.status, 403, "an object ACL does not open the bucket");
  const acl = await s3.send(new S3.GetObjectAclCommand({ Bucket: "alpha", Key: "shared.txt" }));
  assert.ok(acl.Grants.some((g) => g.Permission === "READ" && /AllUsers/.test(g.Grantee.URI || "")));
  await s3.send(new S3.PutObjectAclCommand({ Bucket: "alpha", Key: "shared.txt", ACL: "private" }));
  r = await H.rawRequest(d, { path: "/alpha/shared.txt" });
  assert.equal(r.status, 403);
});

test("CAM: a sub-user needs a policy with cos: actions on qcs::cos resources", async () => {
  const cam = d.cam();
  const u = await cam.AddUser({ Name: "objuser", ConsoleLogin: 0, UseApi: 1 });
  const sub = { SecretId: u.SecretId, SecretKey: u.SecretKey };
  const c = client({ creds: sub });
  await expectS3Error(c.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "src" })), "AccessDenied");
  const doc = { version: "2.0", statement: [{ effect: "allow", action: ["cos:GetObject", "cos:HeadObject"],
    resource: [`qcs::cos:*:uid/*:alpha/src`] }] };
  const p = await cam.CreatePolicy({ PolicyName: "read-src", PolicyDocument: JSON.stringify(doc) });
  await cam.AttachUserPolicy({ PolicyId: p.PolicyId, AttachUin: u.Uin });
  const got = await c.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "src" }));
  assert.equal(await got.Body.transformToString(), "copy me");
  await expectS3Error(c.send(new S3.GetObjectCommand({ Bucket: "alpha", Key: "dst1" })), "AccessDenied");
  await expectS3Error(c.send(new S3.PutObjectCommand({ Bucket: "alpha", Key: "src", Body: "no" })), "AccessDenied");
});
