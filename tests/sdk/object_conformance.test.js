/*
 * S3 conformance findings that destroy data or ignore access control (issue 10): sub-resources yun
 * does not implement never fall through to the plain operation of their method, object ACLs decide
 * for their object inside public buckets, encryption requests are refused rather than stored in
 * plain form, PutObject preconditions, x-amz-expected-bucket-owner, and CreateBucket on a bucket
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

function client(creds = d.creds, region = "us-east-1") {
  return new S3.S3Client({ region, endpoint: d.objectEndpoint, forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: creds.SecretId, secretAccessKey: creds.SecretKey } });
}

async function expectS3Error(p, code) {
  try {
    await p;
  } catch (e) {
    const status = String(e.$metadata?.httpStatusCode);
    assert.ok(e.name === code || e.Code === code || status === code, `expected ${code}, got ${e.name} (HTTP ${status}): ${e.message}`);
    return e;
  }
  assert.fail(`expected ${code}, the call succeeded`);
}

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
  for (const what of ["DELETE /walk?publicAccessBlock", "DELETE /walk?website", "DELETE /walk?encryption",
    "DELETE /walk?ownershipControls", "PUT /walk/obj?legal-hold", "PUT /walk/obj?retention", "GET /walk/obj?attributes",
    "PUT /walk?website", "PUT /walk/obj?uploads", "DELETE /walk/obj?restore", "POST /walk/obj?select"])
    assert.equal(answers[what], 501, `${what} answered ${answers[what]}`);
  const r = await signed({ method: "GET", path: "/walk/obj", query: { attributes: "" } });
  assert.equal(H.errorCode(r.body), "NotImplemented");
  // selecting parameters beyond the named sub-resources: a part number without an upload is no PutObject
  const pn = await signed({ method: "PUT", path: "/walk/obj", query: { partNumber: "1" }, body: "x" });
  assert.equal(pn.status, 501);
  const up = await signed({ method: "PUT", path: "/walk/obj", query: { uploadId: "nope" }, body: "x" });
  assert.equal(up.status, 501);
  await intact("partNumber/uploadId without the other");
  const list = await s3.send(new S3.ListObjectsV2Command({ Bucket: "walk" }));
  assert.deepEqual(list.Contents.map((o) => o.Key), ["obj"]);
});

test("object ACLs decide for their object in public-read and public-read-write buckets", async () => {
  const other = client(d.createAccount("acl-other"));
  for (const bucketAcl of ["public-read", "public-read-write"]) {
    const b = `acl-${bucketAcl}`;
    await s3.send(new S3.CreateBucketCommand({ Bucket: b, ACL: bucketAcl }));
    await s3.send(new S3.PutObjectCommand({ Bucket: b, Key: "private", Body: "secret", ACL: "private" }));
    await s3.send(new S3.PutObjectCommand({ Bucket: b, Key: "inherits", Body: "open" }));
    let r = await H.rawRequest(d, { path: `/${b}/private` });
    assert.equal(r.status, 403, `${bucketAcl}: anonymous read of a private object`);
    r = await H.rawRequest(d, { method: "HEAD", path: `/${b}/private` });
    assert.equal(r.status, 403);
    await expectS3Error(other.send(new S3.GetObjectCommand({ Bucket: b, Key: "private" })), "AccessDenied");
    r = await H.rawRequest(d, { path: `/${b}/inherits` });
    assert.deepEqual([r.status, r.body.toString()], [200, "open"], "an object without an ACL of its own inherits the bucket's");
    r = await H.rawRequest(d, { method: "DELETE", path: `/${b}/private` });
    assert.equal(r.status, 403, `${bucketAcl}: anonymous delete of a private object`);
    r = await H.rawRequest(d, { method: "PUT", path: `/${b}/private`, body: "overwritten" });
    assert.equal(r.status, 403, `${bucketAcl}: anonymous overwrite of a private object`);
    await expectS3Error(other.send(new S3.DeleteObjectCommand({ Bucket: b, Key: "private" })), "AccessDenied");
    const g = await s3.send(new S3.GetObjectCommand({ Bucket: b, Key: "private" }));
    assert.equal(await g.Body.transformToString(), "secret", "the owner's private object is intact");
  }
  // public-read-write still lets anyone write new objects and delete ones that inherit
  let r = await H.rawRequest(d, { method: "PUT", path: "/acl-public-read-write/anon", body: "x" });
  assert.equal(r.status, 200);
  r = await H.rawRequest(d, { method: "DELETE", path: "/acl-public-read-write/inherits" });
  assert.equal(r.status, 204);
  // and an object made public-read-write may be replaced by anyone
  await s3.send(new S3.PutObjectCommand({ Bucket: "acl-public-read-write", Key: "shared", Body: "a", ACL: "public-read-write" }));
  r = await H.rawRequest(d, { method: "PUT", path: "/acl-public-read-write/shared", body: "b" });
  assert.equal(r.status, 200);
});

test("server-side encryption requests are refused with NotImplemented, nothing stored", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "sse" }));
  const key = crypto.randomBytes(32);
  const ssec = { "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": key.toString("base64"),
    "x-amz-server-side-encryption-customer-key-md5": crypto.createHash("md5").update(key).digest("base64") };
  const cases = [["kms", { "x-amz-server-side-encryption": "aws:kms" }], ["s3", { "x-amz-server-side-encryption": "AES256" }],
    ["cos", { "x-cos-server-side-encryption": "AES256" }], ["ssec", ssec]];
  for (const [name, headers] of cases) {
    const r = await signed({ method: "PUT", path: `/sse/${name}`, headers, body: "plaintext" });
    assert.equal(r.status, 501, `${name}: ${r.status} ${r.body}`);
    assert.equal(H.errorCode(r.body), "NotImplemented");
    const m = await signed({ method: "POST", path: `/sse/${name}`, query: { uploads: "" }, headers });
    assert.equal(m.status, 501, `multipart ${name}`);
    await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "sse", Key: name })), "NotFound");
  }
  await expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "sse", Key: "sdk", Body: "x", ServerSideEncryption: "aws:kms" })),
    "NotImplemented");
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

test("CreateBucket on one's own bucket: 200 in us-east-1, BucketAlreadyOwnedByYou elsewhere; never reset", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "again", ACL: "public-read" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "again", Key: "kept", Body: "x" }));
  const r = await s3.send(new S3.CreateBucketCommand({ Bucket: "again" }));
  assert.equal(r.$metadata.httpStatusCode, 200);
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
