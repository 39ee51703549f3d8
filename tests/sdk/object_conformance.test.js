/*
 * S3 conformance findings that destroy data or ignore access control (issue 10): sub-resources yun
 * does not implement never fall through to the plain operation of their method, object ACLs decide
 * for their object inside public buckets, encryption requests yun cannot honour are refused rather
 * than stored in plain form, PutObject preconditions, x-amz-expected-bucket-owner, and CreateBucket on a bucket
 * one already owns.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const S3 = require("@aws-sdk/client-s3");
const { SignatureV4 } = require("@smithy/signature-v4");
const H = require("./lib/object_harness");

let d;
let s3;

class Sha256 {
  constructor(secret) { this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256"); }
  update(data) { this.h.update(data); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

const client = (creds = d.creds, region = "us-east-1") => H.s3Client(d, creds, { region });

const { expectS3Error } = H;

/* A SigV4-signed raw request (clients refuse to send most of these); resolves {status, headers, body}. */
async function signed({ creds = d.creds, method = "GET", path: p, query = {}, headers = {}, body = "" }) {
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", sha256: Sha256,
    credentials: { accessKeyId: creds.SecretId, secretAccessKey: creds.SecretKey } });
  const h = { host: `127.0.0.1:${d.objectPort}`, "x-amz-content-sha256": crypto.createHash("sha256").update(body).digest("hex"),
    ...headers };
  if (body.length || method === "PUT" || method === "POST") h["content-length"] = String(Buffer.byteLength(body));
  const sig = await signer.sign({ method, protocol: "http:", hostname: "127.0.0.1", port: d.objectPort, path: p, query, headers: h });
  const qs = Object.entries(query).map(([k, v]) => (v === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join("&");
  return H.rawRequest(d, { method, path: p + (qs ? "?" + qs : ""), headers: sig.headers, body: body.length ? body : undefined });
}

before(async () => {
  d = await H.startObjectDaemon();
  s3 = client();
});
after(async () => { if (d) await d.destroy(); });

/* The S3 sub-resources the issue lists; each is sent with every method on a bucket and an object. */
const SUBRESOURCES = ["acl", "attributes", "cors", "encryption", "lifecycle", "legal-hold", "logging", "notification",
  "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
  "restore", "retention", "select", "tagging", "torrent", "uploads", "versioning", "versions", "website", "accelerate",
  "analytics", "inventory", "metrics", "intelligent-tiering"];
const METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"];

test("every sub-resource with every method leaves bucket and object as they were", async () => {
  const BODY = "payload that must survive";
  const XML = "<?xml version=\"1.0\"?><LegalHold><Status>ON</Status></LegalHold>";
  await s3.send(new S3.CreateBucketCommand({ Bucket: "walk" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "walk", Key: "obj", Body: BODY }));
  const intact = async (what) => {
    const g = await signed({ path: "/walk/obj" });
    assert.equal(g.status, 200, `${what}: the object is gone (${g.status})`);
    assert.equal(g.body.toString(), BODY, `${what}: the object was overwritten`);
  };
  const answers = {};
  for (const sub of SUBRESOURCES) {
    for (const method of METHODS) {
      for (const p of ["/walk", "/walk/obj"]) {
        const body = method === "PUT" || method === "POST" ? XML : "";
        const r = await signed({ method, path: p, query: { [sub]: "" }, body });
        const what = `${method} ${p}?${sub}`;
        assert.notEqual(r.status, 500, `${what}: ${r.body}`);
        answers[what] = r.status;
        await intact(what);
      }
      // a bucket that does not exist is not created by any of them
      const body = method === "PUT" || method === "POST" ? XML : "";
      await signed({ method, path: "/walk-new", query: { [sub]: "" }, body });
      const h = await signed({ method: "HEAD", path: "/walk-new" });
      assert.equal(h.status, 404, `${method} /walk-new?${sub} created a bucket`);
    }
  }
  // the ones the issue names, and the object's tags/ACL untouched by refused requests
  // (DELETE ?ownershipControls is DeleteBucketOwnershipControls since grant ACLs: object_acl.test.js)
  for (const what of ["DELETE /walk?replication", "DELETE /walk?website",
    "DELETE /walk/obj?retention", "DELETE /walk?object-lock",
    "PUT /walk?website", "PUT /walk/obj?uploads", "DELETE /walk/obj?restore", "POST /walk/obj?select"])
    assert.equal(answers[what], 501, `${what} answered ${answers[what]}`);
  // object lock's operations on a bucket without object lock: 400 InvalidRequest, as S3
  for (const what of ["PUT /walk/obj?legal-hold", "PUT /walk/obj?retention", "GET /walk/obj?retention"])
    assert.equal(answers[what], 400, `${what} answered ${answers[what]}`);
  const r = await signed({ method: "GET", path: "/walk/obj", query: { "legal-hold": "" } });
  assert.equal(H.errorCode(r.body), "InvalidRequest");
  // selecting parameters beyond the named sub-resources: a part number without an upload is no PutObject
  const pn = await signed({ method: "PUT", path: "/walk/obj", query: { partNumber: "1" }, body: "x" });
  assert.equal(pn.status, 501);
  const up = await signed({ method: "PUT", path: "/walk/obj", query: { uploadId: "nope" }, body: "x" });
  assert.equal(up.status, 501);
  await intact("partNumber/uploadId without the other");
  const list = await s3.send(new S3.ListObjectsV2Command({ Bucket: "walk" }));
  assert.deepEqual(list.Contents.map((o) => o.Key), ["obj"]);
});

test("object ACLs decide reads of their object in public-read and public-read-write buckets (S3)", async () => {
  const other = client(d.createAccount("acl-other"));
  for (const bucketAcl of ["public-read", "public-read-write"]) {
    const b = `acl-${bucketAcl}`;
    await s3.send(new S3.CreateBucketCommand({ Bucket: b, ACL: bucketAcl }));
    await s3.send(new S3.PutObjectCommand({ Bucket: b, Key: "private", Body: "secret", ACL: "private" }));
    await s3.send(new S3.PutObjectCommand({ Bucket: b, Key: "noacl", Body: "secret too" }));
    await s3.send(new S3.PutObjectCommand({ Bucket: b, Key: "open", Body: "open", ACL: "public-read" }));
    for (const key of ["private", "noacl"]) {
      let r = await H.rawRequest(d, { path: `/${b}/${key}` });
      assert.equal(r.status, 403, `${bucketAcl}: anonymous read of ${key}`);
      r = await H.rawRequest(d, { method: "HEAD", path: `/${b}/${key}` });
      assert.equal(r.status, 403, `${bucketAcl}: anonymous HEAD of ${key}`);
      await expectS3Error(other.send(new S3.GetObjectCommand({ Bucket: b, Key: key })), "AccessDenied");
    }
    const r = await H.rawRequest(d, { path: `/${b}/open` });
    assert.deepEqual([r.status, r.body.toString()], [200, "open"]);
    const l = await H.rawRequest(d, { path: `/${b}?list-type=2` });
    assert.equal(l.status, 200, "the bucket's public-read grants listing");
    if (bucketAcl === "public-read") {
      const w = await H.rawRequest(d, { method: "DELETE", path: `/${b}/private` });
      assert.equal(w.status, 403);
    }
    const g = await s3.send(new S3.GetObjectCommand({ Bucket: b, Key: "private" }));
    assert.equal(await g.Body.transformToString(), "secret", "the owner reads it");
  }
  // public-read-write is the bucket's WRITE grant, as on S3: anyone may write and delete there
  let r = await H.rawRequest(d, { method: "PUT", path: "/acl-public-read-write/anon", body: "x" });
  assert.equal(r.status, 200);
  r = await H.rawRequest(d, { path: "/acl-public-read-write/anon" });
  assert.equal(r.status, 403, "what anonymous writes is private too");
  r = await H.rawRequest(d, { method: "DELETE", path: "/acl-public-read-write/anon" });
  assert.equal(r.status, 204);
  // a private bucket with a public-read object: the object is read, the bucket is not listed
  await s3.send(new S3.CreateBucketCommand({ Bucket: "acl-private" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "acl-private", Key: "o", Body: "o", ACL: "public-read" }));
  assert.equal((await H.rawRequest(d, { path: "/acl-private/o" })).status, 200);
  assert.equal((await H.rawRequest(d, { path: "/acl-private?list-type=2" })).status, 403);
});

test("server-side encryption requests yun cannot honour are refused, nothing stored", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "sse" }));
  const key = crypto.randomBytes(32);
  const ssec = { "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": key.toString("base64"),
    "x-amz-server-side-encryption-customer-key-md5": crypto.createHash("md5").update(key).digest("base64") };
  // this daemon holds no KMS key: aws:kms without a key id (no default) or with an unknown one is refused
  const cases = [["kms", { "x-amz-server-side-encryption": "aws:kms" }, 400, "InvalidArgument"],
    ["kms-unknown", { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "nope" },
      400, "KMS.NotFoundException"],
    ["cos-kms", { "x-cos-server-side-encryption": "cos/kms" }, 400, "InvalidArgument"],
    ["context", { "x-amz-server-side-encryption": "AES256", "x-amz-server-side-encryption-context": "e30=" }, 501,
      "NotImplemented"],
    ["bad-md5", { ...ssec, "x-amz-server-side-encryption-customer-key-md5": "AAAAAAAAAAAAAAAAAAAAAA==" }, 400,
      "InvalidArgument"],
    ["both", { ...ssec, "x-amz-server-side-encryption": "AES256" }, 400, "InvalidArgument"],
    ["bad-alg", { "x-amz-server-side-encryption": "AES128" }, 400, "InvalidArgument"]];
  for (const [name, headers, status, code] of cases) {
    const r = await signed({ method: "PUT", path: `/sse/${name}`, headers, body: "plaintext" });
    assert.equal(r.status, status, `${name}: ${r.status} ${r.body}`);
    assert.equal(H.errorCode(r.body), code, name);
    const m = await signed({ method: "POST", path: `/sse/${name}`, query: { uploads: "" }, headers });
    assert.equal(m.status, status, `multipart ${name}`);
    await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "sse", Key: name })), "NotFound");
  }
  await expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "sse", Key: "sdk", Body: "x", ServerSideEncryption: "aws:kms" })),
    "InvalidArgument");
  const ups = await s3.send(new S3.ListMultipartUploadsCommand({ Bucket: "sse" }));
  assert.equal((ups.Uploads || []).length, 0, "no upload was started");
});

test("PutObject If-Match / If-None-Match", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "cond" }));
  const put = (key, headers, body) => signed({ method: "PUT", path: `/cond/${key}`, headers, body });
  let r = await put("k", { "if-none-match": "*" }, "first");
  assert.equal(r.status, 200);
  const etag = r.headers.etag;
  r = await put("k", { "if-none-match": "*" }, "second");
  assert.deepEqual([r.status, H.errorCode(r.body)], [412, "PreconditionFailed"]);
  r = await put("k", { "if-none-match": etag }, "second");
  assert.equal(r.status, 412);
  r = await put("k", { "if-match": "\"0123456789abcdef0123456789abcdef\"" }, "second");
  assert.deepEqual([r.status, H.errorCode(r.body)], [412, "PreconditionFailed"]);
  const g = await s3.send(new S3.GetObjectCommand({ Bucket: "cond", Key: "k" }));
  assert.equal(await g.Body.transformToString(), "first", "a failed precondition changes nothing");
  r = await put("k", { "if-match": etag }, "third");
  assert.equal(r.status, 200);
  r = await put("k", { "if-none-match": "\"nomatch\"" }, "fourth");
  assert.equal(r.status, 200);
  r = await put("missing", { "if-match": "*" }, "x");
  assert.deepEqual([r.status, H.errorCode(r.body)], [404, "NoSuchKey"]);
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "cond", Key: "missing" })), "NotFound");
});

test("x-amz-expected-bucket-owner: another account's id is AccessDenied", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "owned", ACL: "public-read-write" }));
  const owner = (await s3.send(new S3.ListBucketsCommand({}))).Owner.ID;
  await s3.send(new S3.PutObjectCommand({ Bucket: "owned", Key: "o", Body: "x", ExpectedBucketOwner: owner }));
  const wrong = "100000000999";
  await expectS3Error(s3.send(new S3.ListObjectsV2Command({ Bucket: "owned", ExpectedBucketOwner: wrong })), "AccessDenied");
  await expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "owned", Key: "p", Body: "x", ExpectedBucketOwner: wrong })), "AccessDenied");
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "owned", Key: "o", ExpectedBucketOwner: wrong })), "AccessDenied");
  await expectS3Error(s3.send(new S3.DeleteObjectCommand({ Bucket: "owned", Key: "o", ExpectedBucketOwner: wrong })), "AccessDenied");
  const r = await H.rawRequest(d, { method: "PUT", path: "/owned/anon", headers: { "x-amz-expected-bucket-owner": wrong }, body: "x" });
  assert.equal(r.status, 403, "anonymous writers are held to it too");
  const list = await s3.send(new S3.ListObjectsV2Command({ Bucket: "owned", ExpectedBucketOwner: owner }));
  assert.deepEqual(list.Contents.map((o) => o.Key), ["o"]);
});

test("CreateBucket on one's own bucket: 200 in us-east-1 (same ACL), BucketAlreadyOwnedByYou elsewhere; never reset", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "again", ACL: "public-read" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "again", Key: "kept", Body: "x" }));
  const r = await s3.send(new S3.CreateBucketCommand({ Bucket: "again", ACL: "public-read" }));
  assert.equal(r.$metadata.httpStatusCode, 200);
  // asking for another ACL is refused, not a reset (s3-tests test_bucket_recreate_*_acl)
  await expectS3Error(s3.send(new S3.CreateBucketCommand({ Bucket: "again" })), "BucketAlreadyExists");
  const list = await s3.send(new S3.ListObjectsV2Command({ Bucket: "again" }));
  assert.deepEqual(list.Contents.map((o) => o.Key), ["kept"]);
  const acl = await s3.send(new S3.GetBucketAclCommand({ Bucket: "again" }));
  assert.ok(acl.Grants.some((g) => g.Permission === "READ" && /AllUsers/.test(g.Grantee.URI || "")), "the ACL was not reset");
  const gz = client(d.creds, "ap-guangzhou");
  await gz.send(new S3.CreateBucketCommand({ Bucket: "again-gz", CreateBucketConfiguration: { LocationConstraint: "ap-guangzhou" } }));
  await expectS3Error(gz.send(new S3.CreateBucketCommand({ Bucket: "again-gz",
    CreateBucketConfiguration: { LocationConstraint: "ap-guangzhou" } })), "BucketAlreadyOwnedByYou");
  await expectS3Error(s3.send(new S3.CreateBucketCommand({ Bucket: "again-gz" })), "BucketAlreadyOwnedByYou");
  await expectS3Error(client(d.createAccount("again-other")).send(new S3.CreateBucketCommand({ Bucket: "again" })), "BucketAlreadyExists");
});

/* A presigned GET whose X-Amz-Expires is outside 1..604800 (the SDK refuses to make one). */
async function presignedWithExpires(p, expires) {
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", sha256: Sha256,
    credentials: { accessKeyId: d.creds.SecretId, secretAccessKey: d.creds.SecretKey } });
  const req = await signer.presign({ method: "GET", protocol: "http:", hostname: "127.0.0.1", port: d.objectPort, path: p,
    query: {}, headers: { host: `127.0.0.1:${d.objectPort}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }, { expiresIn: 60 });
  const q = { ...req.query, "X-Amz-Expires": String(expires) };
  const qs = Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  return H.rawRequest(d, { path: `${p}?${qs}` });
}

test("presigned X-Amz-Expires of 0, below 0 or above a week is 403 AccessDenied", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "expiry" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "expiry", Key: "foo", Body: "x" }));
  for (const e of [0, -7, -1000, 604801, 609901, 99999999]) {
    const r = await presignedWithExpires("/expiry/foo", e);
    assert.deepEqual([r.status, H.errorCode(r.body)], [403, "AccessDenied"], `X-Amz-Expires=${e}: ${r.body}`);
  }
  const ok = await presignedWithExpires("/expiry/foo", 60);
  assert.deepEqual([ok.status, ok.body.toString()], [200, "x"]);
  const bad = await presignedWithExpires("/expiry/foo", "1e3");
  assert.equal(bad.status, 400, "not a number at all is a malformed query");
});

test("GET/HEAD ?partNumber: the part of a multipart object, PartsCount; InvalidPart past the last", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "parts" }));
  const sizes = [5 << 20, 5 << 20, 1 << 20];
  const data = sizes.map((n) => crypto.randomBytes(n));
  const { UploadId } = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "parts", Key: "mp" }));
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "parts", Key: "mp", PartNumber: 1 })), "NoSuchKey");
  const Parts = [];
  for (let i = 0; i < sizes.length; i++) {
    const u = await s3.send(new S3.UploadPartCommand({ Bucket: "parts", Key: "mp", UploadId, PartNumber: i + 1, Body: data[i] }));
    Parts.push({ PartNumber: i + 1, ETag: u.ETag });
  }
  const done = await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "parts", Key: "mp", UploadId, MultipartUpload: { Parts } }));
  const again = await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "parts", Key: "mp", UploadId, MultipartUpload: { Parts } }));
  assert.equal(again.ETag, done.ETag, "a repeated CompleteMultipartUpload answers the same result");
  for (let i = 0; i < sizes.length; i++) {
    const h = await s3.send(new S3.HeadObjectCommand({ Bucket: "parts", Key: "mp", PartNumber: i + 1 }));
    assert.equal(h.PartsCount, sizes.length);
    assert.equal(h.ContentLength, sizes[i]);
    assert.equal(h.ETag, done.ETag);
    const g = await s3.send(new S3.GetObjectCommand({ Bucket: "parts", Key: "mp", PartNumber: i + 1 }));
    assert.equal(g.PartsCount, sizes.length);
    assert.equal(g.ContentLength, sizes[i]);
    assert.ok(Buffer.from(await g.Body.transformToByteArray()).equals(data[i]), `part ${i + 1} bytes`);
  }
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "parts", Key: "mp", PartNumber: 4 })), "InvalidPart");
  const whole = await s3.send(new S3.GetObjectCommand({ Bucket: "parts", Key: "mp" }));
  assert.ok(Buffer.from(await whole.Body.transformToByteArray()).equals(Buffer.concat(data)));
  // an object not uploaded in parts has one part, itself
  await s3.send(new S3.PutObjectCommand({ Bucket: "parts", Key: "single", Body: "body" }));
  const one = await s3.send(new S3.GetObjectCommand({ Bucket: "parts", Key: "single", PartNumber: 1 }));
  assert.equal(await one.Body.transformToString(), "body");
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "parts", Key: "single", PartNumber: 2 })), "InvalidPart");
  const r = await signed({ path: "/parts/single", query: { partNumber: "0" } });
  assert.equal(r.status, 400);
});

test("ListBuckets max-buckets / continuation-token / prefix", async () => {
  const acct = d.createAccount("pager");
  const c = client(acct);
  const page = async (query) => {
    const r = await signed({ creds: acct, path: "/", query });
    assert.equal(r.status, 200, r.body.toString());
    const xml = r.body.toString();
    return { names: [...xml.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]),
      token: (xml.match(/<ContinuationToken>([^<]*)</) || [])[1] };
  };
  let p = await page({ "max-buckets": "1" });
  assert.deepEqual(p, { names: [], token: undefined });
  for (const b of ["pg-a", "pg-b", "pg-c", "other-pg"]) await c.send(new S3.CreateBucketCommand({ Bucket: b }));
  p = await page({ "max-buckets": "2" });
  assert.deepEqual(p.names, ["other-pg", "pg-a"]);
  assert.ok(p.token);
  p = await page({ "max-buckets": "2", "continuation-token": p.token });
  assert.deepEqual(p, { names: ["pg-b", "pg-c"], token: undefined });
  p = await page({ prefix: "pg-", "max-buckets": "10" });
  assert.deepEqual(p.names, ["pg-a", "pg-b", "pg-c"]);
  const bad = await signed({ creds: acct, path: "/", query: { "max-buckets": "0" } });
  assert.equal(bad.status, 400);
  assert.equal((await c.send(new S3.ListBucketsCommand({}))).Buckets.length, 4, "no parameters: all of them");
});

test("user metadata with an empty value is kept; Content-Encoding lists keep their spelling", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "meta" }));
  let r = await signed({ method: "PUT", path: "/meta/k", headers: { "x-amz-meta-empty": "", "x-amz-meta-full": "v" }, body: "x" });
  assert.equal(r.status, 200);
  r = await signed({ method: "HEAD", path: "/meta/k" });
  assert.equal(r.headers["x-amz-meta-full"], "v");
  assert.equal(r.headers["x-amz-meta-empty"], "", `headers: ${JSON.stringify(r.headers)}`);
  await s3.send(new S3.PutObjectCommand({ Bucket: "meta", Key: "enc", Body: "x", ContentEncoding: "deflate, gzip" }));
  const h = await s3.send(new S3.HeadObjectCommand({ Bucket: "meta", Key: "enc" }));
  assert.equal(h.ContentEncoding, "deflate, gzip");
  // aws-chunked named on a body that is not framed (its SHA-256 is signed): the body is the bytes
  for (const ce of ["gzip, aws-chunked", "aws-chunked, gzip"]) {
    r = await signed({ method: "PUT", path: "/meta/plain", headers: { "content-encoding": ce }, body: "not framed" });
    assert.equal(r.status, 200, `${ce}: ${r.body}`);
    r = await signed({ path: "/meta/plain" });
    assert.deepEqual([r.body.toString(), r.headers["content-encoding"]], ["not framed", "gzip"]);
  }
});

test("ListMultipartUploads: each upload's Owner is who initiated it", async () => {
  const other = d.createAccount("mp-other");
  await s3.send(new S3.CreateBucketCommand({ Bucket: "mp-owner", ACL: "public-read-write" }));
  const me = (await s3.send(new S3.ListBucketsCommand({}))).Owner.ID;
  await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "mp-owner", Key: "a" }));
  await client(other).send(new S3.CreateMultipartUploadCommand({ Bucket: "mp-owner", Key: "b" }));
  const ups = (await s3.send(new S3.ListMultipartUploadsCommand({ Bucket: "mp-owner" }))).Uploads;
  assert.deepEqual(ups.map((u) => [u.Key, u.Initiator.ID, u.Owner.ID]), [["a", me, me], ["b", other.Uin, other.Uin]]);
  const theirs = (await client(other).send(new S3.ListMultipartUploadsCommand({ Bucket: "mp-owner" }))).Uploads;
  assert.equal(theirs.length, 2, "the bucket's READ grant lists its uploads");
});

test("UploadPartCopy: a copy range past the source's end is InvalidRange", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "copyrange" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "copyrange", Key: "src", Body: "12345" }));
  const { UploadId } = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "copyrange", Key: "dst" }));
  const args = { Bucket: "copyrange", Key: "dst", UploadId, PartNumber: 1, CopySource: "copyrange/src" };
  await expectS3Error(s3.send(new S3.UploadPartCopyCommand({ ...args, CopySourceRange: "bytes=0-21" })), "InvalidRange");
  await expectS3Error(s3.send(new S3.UploadPartCopyCommand({ ...args, CopySourceRange: "bytes=5-5" })), "InvalidRange");
  const ok = await s3.send(new S3.UploadPartCopyCommand({ ...args, CopySourceRange: "bytes=1-4" }));
  assert.ok(ok.CopyPartResult.ETag);
});

test("OPTIONS (a CORS preflight) is 400 without Origin, 403 with one on a bucket without CORS", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "preflight" }));
  let r = await H.rawRequest(d, { method: "OPTIONS", path: "/preflight/k" });
  assert.equal(r.status, 400);
  r = await H.rawRequest(d, { method: "OPTIONS", path: "/preflight/k", headers: { origin: "http://example.test",
    "access-control-request-method": "PUT" } });
  assert.equal(r.status, 403);
});

test("GetObjectAttributes: ETag, ObjectSize, StorageClass, ObjectParts of a multipart object", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "attrs" }));
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "attrs", Key: "one", Body: "foo" }));
  const all = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];
  let a = await s3.send(new S3.GetObjectAttributesCommand({ Bucket: "attrs", Key: "one", ObjectAttributes: all }));
  assert.equal(a.ETag, put.ETag.replace(/"/g, ""));
  assert.equal(a.ObjectSize, 3, JSON.stringify(a));
  assert.equal(a.StorageClass, "STANDARD");
  assert.equal(a.ObjectParts, undefined, "a single PUT has no parts");
  const { UploadId } = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "attrs", Key: "mp" }));
  const Parts = [];
  for (let i = 1; i <= 3; i++) {
    const u = await s3.send(new S3.UploadPartCommand({ Bucket: "attrs", Key: "mp", UploadId, PartNumber: i,
      Body: Buffer.alloc(i < 3 ? 5 << 20 : 100, i) }));
    Parts.push({ PartNumber: i, ETag: u.ETag });
  }
  await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "attrs", Key: "mp", UploadId, MultipartUpload: { Parts } }));
  a = await s3.send(new S3.GetObjectAttributesCommand({ Bucket: "attrs", Key: "mp", ObjectAttributes: all }));
  assert.equal(a.ObjectSize, (10 << 20) + 100);
  assert.equal(a.ObjectParts.TotalPartsCount, 3);
  assert.deepEqual(a.ObjectParts.Parts.map((p) => [p.PartNumber, p.Size]), [[1, 5 << 20], [2, 5 << 20], [3, 100]]);
  a = await s3.send(new S3.GetObjectAttributesCommand({ Bucket: "attrs", Key: "mp", ObjectAttributes: ["ObjectParts"],
    MaxParts: 1, PartNumberMarker: "1" }));
  assert.deepEqual(a.ObjectParts.Parts.map((p) => p.PartNumber), [2]);
  assert.equal(a.ObjectParts.IsTruncated, true);
  const r = await signed({ path: "/attrs/one", query: { attributes: "" } });
  assert.equal(r.status, 400, "the attributes header is required");
  const anon = await H.rawRequest(d, { path: "/attrs/one?attributes", headers: { "x-amz-object-attributes": "ETag" } });
  assert.equal(anon.status, 403);
});

test("PublicAccessBlock: put/get/delete; BlockPublicAcls refuses public ACLs, IgnorePublicAcls voids them", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "blocked", ACL: "public-read" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "blocked", Key: "o", Body: "x", ACL: "public-read" }));
  await expectS3Error(s3.send(new S3.GetPublicAccessBlockCommand({ Bucket: "blocked" })), "NoSuchPublicAccessBlockConfiguration");
  assert.equal((await H.rawRequest(d, { path: "/blocked/o" })).status, 200);
  const conf = { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false };
  await s3.send(new S3.PutPublicAccessBlockCommand({ Bucket: "blocked", PublicAccessBlockConfiguration: conf }));
  const got = await s3.send(new S3.GetPublicAccessBlockCommand({ Bucket: "blocked" }));
  assert.deepEqual(got.PublicAccessBlockConfiguration, conf);
  for (const ACL of ["public-read", "public-read-write", "authenticated-read"]) {
    await expectS3Error(s3.send(new S3.PutBucketAclCommand({ Bucket: "blocked", ACL })), "AccessDenied");
    await expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "blocked", Key: `n-${ACL}`, Body: "x", ACL })), "AccessDenied");
    await expectS3Error(s3.send(new S3.PutObjectAclCommand({ Bucket: "blocked", Key: "o", ACL })), "AccessDenied");
    await expectS3Error(s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "blocked", Key: "m", ACL })), "AccessDenied");
  }
  await s3.send(new S3.PutObjectCommand({ Bucket: "blocked", Key: "p", Body: "x", ACL: "private" }));
  assert.equal((await H.rawRequest(d, { path: "/blocked/o" })).status, 200, "BlockPublicAcls leaves existing ACLs");
  await s3.send(new S3.PutPublicAccessBlockCommand({ Bucket: "blocked",
    PublicAccessBlockConfiguration: { ...conf, IgnorePublicAcls: true } }));
  assert.equal((await H.rawRequest(d, { path: "/blocked/o" })).status, 403, "IgnorePublicAcls: they grant nothing");
  assert.equal((await H.rawRequest(d, { path: "/blocked?list-type=2" })).status, 403);
  const del = await s3.send(new S3.DeletePublicAccessBlockCommand({ Bucket: "blocked" }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await expectS3Error(s3.send(new S3.GetPublicAccessBlockCommand({ Bucket: "blocked" })), "NoSuchPublicAccessBlockConfiguration");
  assert.equal((await H.rawRequest(d, { path: "/blocked/o" })).status, 200);
  const bad = await signed({ method: "PUT", path: "/blocked", query: { publicAccessBlock: "" },
    body: "<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>" });
  assert.equal(bad.status, 400);
  const anon = await H.rawRequest(d, { method: "DELETE", path: "/blocked?publicAccessBlock" });
  assert.equal(anon.status, 403);
});

test("CreateBucket asking for object lock makes a versioned lock bucket; a bad header value creates nothing", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "locked", ObjectLockEnabledForBucket: true }));
  const v = await s3.send(new S3.GetBucketVersioningCommand({ Bucket: "locked" }));
  assert.equal(v.Status, "Enabled");
  const c = await s3.send(new S3.GetObjectLockConfigurationCommand({ Bucket: "locked" }));
  assert.equal(c.ObjectLockConfiguration.ObjectLockEnabled, "Enabled");
  const bad = await signed({ method: "PUT", path: "/locked-bad", headers: { "x-amz-bucket-object-lock-enabled": "yes" } });
  assert.equal(H.errorCode(bad.body), "InvalidArgument");
  const h = await signed({ method: "HEAD", path: "/locked-bad" });
  assert.equal(h.status, 404);
});

test("GetObjectTorrent: a BitTorrent metainfo file of 256 KiB SHA-1 pieces with the object as web seed", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "torrent", ACL: "public-read" }));
  const data = crypto.randomBytes(600 * 1024);
  await s3.send(new S3.PutObjectCommand({ Bucket: "torrent", Key: "dir/movie.mpg", Body: data }));
  const got = await s3.send(new S3.GetObjectTorrentCommand({ Bucket: "torrent", Key: "dir/movie.mpg" }));
  const t = Buffer.from(await got.Body.transformToByteArray());
  const pieces = [0, 1, 2].map((i) => crypto.createHash("sha1").update(data.subarray(i * 262144, (i + 1) * 262144)).digest());
  const info = Buffer.concat([Buffer.from(`d4:infod6:lengthi${data.length}e4:name9:movie.mpg12:piece lengthi262144e6:pieces60:`),
    ...pieces, Buffer.from("e8:url-list")]);
  assert.deepEqual(t.subarray(0, info.length), info);
  assert.match(t.subarray(info.length).toString(), /^\d+:http:\/\/127\.0\.0\.1:\d+\/torrent\/dir\/movie\.mpge$/);
  await expectS3Error(s3.send(new S3.GetObjectTorrentCommand({ Bucket: "torrent", Key: "none" })), "NoSuchKey");
  const anon = await H.rawRequest(d, { path: "/torrent/dir/movie.mpg?torrent" });
  assert.equal(anon.status, 403, "a public bucket does not give away its objects' hashes");
});
