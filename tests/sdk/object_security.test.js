/*
 * Trust boundaries of the object listener (issue 8): what an unauthenticated or hostile client can
 * make the gateway hold (memory, connections), whether an authorised write can land in a bucket
 * that replaced the authorised one, CAM ip conditions on S3, the audit trail of S3 mutations and
 * signature failures, metering of refused requests, and the smaller findings (Range, anonymous
 * response-* overrides, a disabled key stops at once).
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const net = require("node:net");
const http = require("node:http");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const S3 = require("@aws-sdk/client-s3");
const { SignatureV4 } = require("@smithy/signature-v4");
const H = require("./lib/object_harness");
const { sleep, waitFor, rejectsWith } = require("./lib/yund");

// The sanitizer build: report leaks at exit, and keep freed memory out of RSS so RSS bounds mean
// what they say (ASan's quarantine would otherwise hold every freed block).
if (/asan/.test(process.env.YUN_BIN || "")) {
  process.env.ASAN_OPTIONS = [process.env.ASAN_OPTIONS, "detect_leaks=1", "quarantine_size_mb=1"].filter(Boolean).join(":");
  process.env.LSAN_OPTIONS = [process.env.LSAN_OPTIONS, `suppressions=${path.join(__dirname, "lib", "lsan.supp")}`].filter(Boolean).join(":");
}

const HEADER_TIMEOUT_S = 10; /* gateway.c: HEADER_TIMEOUT */
const PER_IP_LIMIT = 128;    /* gateway.c: PER_IP_CONNECTIONS */

class Sha256 {
  constructor(secret) { this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256"); }
  update(data) { this.h.update(data); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

let d;
let s3;

const client = (creds = d.creds) => H.s3Client(d, creds);

const { expectS3Error } = H;

/* SigV4 header signature for a raw request; body (Buffer/string) is what will be sent in total. */
async function sign({ creds = d.creds, method, path: p, query = {}, headers = {}, body = "" }) {
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", sha256: Sha256,
    credentials: { accessKeyId: creds.SecretId, secretAccessKey: creds.SecretKey } });
  const h = { host: `127.0.0.1:${d.objectPort}`, "x-amz-content-sha256": crypto.createHash("sha256").update(body).digest("hex"),
    "content-length": String(Buffer.byteLength(body)), ...headers };
  const signed = await signer.sign({ method, protocol: "http:", hostname: "127.0.0.1", port: d.objectPort, path: p, query, headers: h });
  const qs = Object.entries(query).map(([k, v]) => (v === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join("&");
  return { method, path: p + (qs ? "?" + qs : ""), headers: signed.headers };
}

/* A request whose body the test sends in pieces: {req, done} (done resolves {status, headers, body}). */
function openRequest({ method, path: p, headers }, { localAddress } = {}) {
  let req;
  const done = new Promise((resolve, reject) => {
    req = http.request({ host: "127.0.0.1", port: d.objectPort, method, path: p, headers, agent: false, localAddress }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
  });
  return { req, done };
}

function usageRows() {
  const r = spawnSync("sqlite3", ["-readonly", "-json", path.join(d.dataDir, "yun.db"), "SELECT * FROM obj_usage"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

before(async () => {
  d = await H.startObjectDaemon();
  s3 = client();
});
after(async () => { if (d) await d.destroy(); });

/* Sends one request line + headers on a raw connection; resolves {closedBy: "server"|"client", ms}. */
function rawLine(text, holdMs) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect({ host: "127.0.0.1", port: d.objectPort });
    let timer = null;
    s.on("connect", () => {
      s.write(text);
      if (holdMs) timer = setTimeout(() => { s.destroy(); resolve({ closedBy: "client", ms: Date.now() - t0 }); }, holdMs);
    });
    s.on("data", () => {});
    s.on("error", () => {});
    s.on("close", () => { if (timer) clearTimeout(timer); resolve({ closedBy: "server", ms: Date.now() - t0 }); });
  });
}

test("requests libmicrohttpd refuses before the handler hold nothing (3,000 x 7 KB URI)", async (t) => {
  const q = Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join("&");
  const line = `GET /bkt/x?${q} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  // one alone, left open: the server lets it go after the header timeout, not after 300 s
  const p = await rawLine(line, (HEADER_TIMEOUT_S + 8) * 1000);
  t.diagnostic(`refused request's connection closed by the ${p.closedBy} after ${p.ms} ms`);
  assert.equal(p.closedBy, "server", `a refused request's connection was still open after ${p.ms} ms`);
  for (let i = 0; i < 200; i += 50) await Promise.all(Array.from({ length: 50 }, () => rawLine(line, 200)));
  const before = H.rssKiB(d.child.pid);
  for (let i = 0; i < 3000; i += 100) await Promise.all(Array.from({ length: 100 }, () => rawLine(line, 200)));
  await sleep(500);
  const grown = H.rssKiB(d.child.pid) - before;
  t.diagnostic(`RSS ${before} -> ${before + grown} KiB`);
  assert.ok(grown < 12 * 1024, `RSS grew by ${grown} KiB over 3,000 refused requests`);
  // the listener still answers; LeakSanitizer's verdict comes at destroy()
  assert.equal((await H.rawRequest(d, { path: "/" })).status, 403);
});

test("an upload authorised for A's bucket fails with NoSuchBucket once B owns the name", async () => {
  const other = d.createAccount("bee");
  const b3 = client(other);
  await s3.send(new S3.CreateBucketCommand({ Bucket: "handover" }));
  const body = Buffer.from("planted by account A!");
  assert.equal(body.length, 21);
  const up = openRequest(await sign({ method: "PUT", path: "/handover/planted.txt", body }));
  up.req.write(body.subarray(0, 5));
  await sleep(400); // the headers are in: the request has been authorised on A's bucket
  await s3.send(new S3.DeleteBucketCommand({ Bucket: "handover" }));
  await b3.send(new S3.CreateBucketCommand({ Bucket: "handover" }));
  up.req.end(body.subarray(5));
  const r = await up.done;
  assert.equal(r.status, 404, r.body.toString());
  assert.equal(H.errorCode(r.body), "NoSuchBucket");
  const l = await b3.send(new S3.ListObjectsV2Command({ Bucket: "handover" }));
  assert.equal(l.KeyCount, 0, "B's bucket holds nothing of A's");
});

test("slow XML bodies (ACL, multi-delete, complete) cannot act on the bucket that replaced theirs", async () => {
  const other = d.createAccount("wasp");
  const b3 = client(other);
  // PutBucketAcl: A's public-read-write must not open B's bucket
  await s3.send(new S3.CreateBucketCommand({ Bucket: "swap-acl" }));
  const aclBody = "<AccessControlPolicy></AccessControlPolicy>";
  const acl = openRequest(await sign({ method: "PUT", path: "/swap-acl", query: { acl: "" },
    headers: { "x-amz-acl": "public-read-write" }, body: aclBody }));
  acl.req.write(aclBody.slice(0, 5));
  await sleep(400);
  await s3.send(new S3.DeleteBucketCommand({ Bucket: "swap-acl" }));
  await b3.send(new S3.CreateBucketCommand({ Bucket: "swap-acl" }));
  acl.req.end(aclBody.slice(5));
  let r = await acl.done;
  assert.equal(H.errorCode(r.body), "NoSuchBucket", r.body.toString());
  r = await H.rawRequest(d, { method: "PUT", path: "/swap-acl/anon", body: "x" });
  assert.equal(r.status, 403, "B's bucket stayed private");

  // DeleteObjects: A's multi-delete must not remove B's objects
  await s3.send(new S3.CreateBucketCommand({ Bucket: "swap-del" }));
  const delBody = "<Delete><Object><Key>victim</Key></Object></Delete>";
  const del = openRequest(await sign({ method: "POST", path: "/swap-del", query: { delete: "" }, body: delBody,
    headers: { "content-md5": crypto.createHash("md5").update(delBody).digest("base64") } }));
  del.req.write(delBody.slice(0, 5));
  await sleep(400);
  await s3.send(new S3.DeleteBucketCommand({ Bucket: "swap-del" }));
  await b3.send(new S3.CreateBucketCommand({ Bucket: "swap-del" }));
  await b3.send(new S3.PutObjectCommand({ Bucket: "swap-del", Key: "victim", Body: "B's data" }));
  del.req.end(delBody.slice(5));
  r = await del.done;
  assert.equal(H.errorCode(r.body), "NoSuchBucket", r.body.toString());
  const got = await b3.send(new S3.GetObjectCommand({ Bucket: "swap-del", Key: "victim" }));
  assert.equal(await got.Body.transformToString(), "B's data");

  // CompleteMultipartUpload and UploadPart: the upload went with A's bucket
  await s3.send(new S3.CreateBucketCommand({ Bucket: "swap-mpu" }));
  const mpu = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "swap-mpu", Key: "big" }));
  const part = await s3.send(new S3.UploadPartCommand({ Bucket: "swap-mpu", Key: "big", UploadId: mpu.UploadId, PartNumber: 1, Body: "part one" }));
  const cBody = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.ETag}</ETag></Part></CompleteMultipartUpload>`;
  const comp = openRequest(await sign({ method: "POST", path: "/swap-mpu/big", query: { uploadId: mpu.UploadId }, body: cBody }));
  const partBody = Buffer.from("part two, slowly");
  const up = openRequest(await sign({ method: "PUT", path: "/swap-mpu/big", query: { partNumber: "2", uploadId: mpu.UploadId }, body: partBody }));
  comp.req.write(cBody.slice(0, 5));
  up.req.write(partBody.subarray(0, 5));
  await sleep(400);
  await s3.send(new S3.DeleteBucketCommand({ Bucket: "swap-mpu" }));
  await b3.send(new S3.CreateBucketCommand({ Bucket: "swap-mpu" }));
  comp.req.end(cBody.slice(5));
  up.req.end(partBody.subarray(5));
  for (const x of [await comp.done, await up.done])
    assert.ok(["NoSuchBucket", "NoSuchUpload"].includes(H.errorCode(x.body)), x.body.toString());
  assert.equal((await b3.send(new S3.ListObjectsV2Command({ Bucket: "swap-mpu" }))).KeyCount, 0);
  assert.equal((await b3.send(new S3.ListMultipartUploadsCommand({ Bucket: "swap-mpu" }))).Uploads?.length || 0, 0);
});

test("CAM ip conditions apply on S3 as on the API (qcs:ip is the peer address)", async () => {
  const cam = d.cam();
  await s3.send(new S3.CreateBucketCommand({ Bucket: "ipcond" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "ipcond", Key: "k", Body: "v" }));
  const u = await cam.AddUser({ Name: "ipuser", ConsoleLogin: 0, UseApi: 1 });
  const sub = { SecretId: u.SecretId, SecretKey: u.SecretKey };
  const allow = await cam.CreatePolicy({ PolicyName: "ip-allow-all", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "allow", action: ["*"], resource: ["*"] }] }) });
  const elsewhere = await cam.CreatePolicy({ PolicyName: "ip-deny-elsewhere", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "deny", action: ["*"], resource: ["*"], condition: { ip_equal: { "qcs:ip": ["10.0.0.0/8"] } } }] }) });
  await cam.AttachUserPolicy({ PolicyId: allow.PolicyId, AttachUin: u.Uin });
  await cam.AttachUserPolicy({ PolicyId: elsewhere.PolicyId, AttachUin: u.Uin });
  const c = client(sub);
  const got = await c.send(new S3.GetObjectCommand({ Bucket: "ipcond", Key: "k" }));
  assert.equal(await got.Body.transformToString(), "v", "a deny for another network does not apply");
  const local = await cam.CreatePolicy({ PolicyName: "ip-deny-local", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "deny", action: ["*"], resource: ["*"], condition: { ip_equal: { "qcs:ip": ["127.0.0.0/8"] } } }] }) });
  await cam.AttachUserPolicy({ PolicyId: local.PolicyId, AttachUin: u.Uin });
  await expectS3Error(c.send(new S3.GetObjectCommand({ Bucket: "ipcond", Key: "k" })), "AccessDenied");
  await expectS3Error(c.send(new S3.PutObjectCommand({ Bucket: "ipcond", Key: "k2", Body: "no" })), "AccessDenied");
  await expectS3Error(c.send(new S3.CreateBucketCommand({ Bucket: "ipcond-new" })), "AccessDenied");
  await rejectsWith(d.cam(sub).ListUsers(), /UnauthorizedOperation/, "the API agrees");
});

test("idle connections: a per-source limit, a short header timeout, others still served", async () => {
  const flood = [];
  let closed = 0;
  for (let i = 0; i < 4200; i++) {
    const s = net.connect({ host: "127.0.0.1", port: d.objectPort, localAddress: "127.0.0.2" });
    s.on("connect", () => s.write("GET /x HTTP/1.1\r\nHost: a\r\n"));
    s.on("error", () => {});
    s.on("close", () => { closed++; });
    flood.push(s);
  }
  try {
    await waitFor(() => closed, (n) => n >= 4200 - PER_IP_LIMIT, 20000, "connections over the per-source limit refused", 100);
    const t0 = Date.now();
    const r = await Promise.race([H.rawRequest(d, { path: "/" }), sleep(5000).then(() => ({ status: "timeout" }))]);
    assert.equal(r.status, 403, "another client is answered");
    assert.ok(Date.now() - t0 < 5000);
    // the connections that got in are closed once the header timeout passes
    await waitFor(() => closed, (n) => n === 4200, (HEADER_TIMEOUT_S + 6) * 1000, "idle connections closed", 200);
  } finally {
    for (const s of flood) s.destroy();
  }
});

test("long bodies still pass: aws-cli 40 MiB single PUT and multipart upload", () => {
  const aws = H.awsCli(d);
  const work = H.tmpdir("sec");
  try {
    aws(["s3", "mb", "s3://longbodies"]);
    const f = H.randomFile(work, "forty.bin", 40 << 20);
    aws(["s3api", "put-object", "--bucket", "longbodies", "--key", "single", "--body", f]);
    aws(["s3", "cp", "--no-progress", f, "s3://longbodies/multi"]);
    for (const k of ["single", "multi"]) {
      aws(["s3", "cp", "--no-progress", `s3://longbodies/${k}`, path.join(work, k)]);
      assert.equal(H.md5File(path.join(work, k)), H.md5File(f), k);
    }
  } finally {
    require("node:fs").rmSync(work, { recursive: true, force: true });
  }
});

test("large bodies: an unknown key is refused before the body; XML bodies in flight are bounded", async (t) => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "openbox", ACL: "public-read-write" }));
  // an unknown key with a 50 MB body: the answer comes before the body is sent
  const unknown = { SecretId: "AKIDunknownunknownunknownunknown1234", SecretKey: "nope" };
  const big = openRequest(await sign({ creds: unknown, method: "PUT", path: "/openbox/big", headers: { "content-length": "50000000",
    "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }));
  big.req.write(Buffer.alloc(1 << 20));
  const early = await Promise.race([big.done, sleep(5000).then(() => null)]);
  big.req.destroy();
  assert.ok(early, "answered before the body was complete");
  assert.equal(H.errorCode(early.body), "InvalidAccessKeyId");

  // 40 anonymous 4 MB XML bodies to a public-read-write bucket: memory held is bounded
  const before = H.rssKiB(d.child.pid);
  const chunk = Buffer.alloc(1 << 18, "<");
  const conns = [];
  for (let i = 0; i < 40; i++) {
    const s = net.connect({ host: "127.0.0.1", port: d.objectPort });
    s.on("error", () => {});
    s.response = "";
    s.on("data", (x) => { s.response += x.toString(); });
    s.on("close", () => { s.gone = true; });
    s.on("connect", () => {
      s.write(`POST /openbox/k${i}?uploadId=none HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${16 * chunk.length}\r\n\r\n`);
      for (let j = 0; j < 15; j++) s.write(chunk); // 3.9 of 4.2 MB
    });
    conns.push(s);
  }
  try {
    await sleep(4000);
    const grown = H.rssKiB(d.child.pid) - before;
    t.diagnostic(`RSS ${before} -> ${before + grown} KiB`);
    // 32 MiB of body data in all, plus what growing buffers leave to the allocator; 40 x 3.9 MB = 150 MiB
    assert.ok(grown < 96 * 1024, `RSS grew by ${grown} KiB holding 40 x 3.9 MB request bodies`);
    for (const s of conns) s.write(chunk);
    await waitFor(() => conns.filter((s) => /<\/Error>/.test(s.response) || s.gone).length, (n) => n === 40, 20000, "answers");
    const slowed = conns.filter((s) => /<Code>SlowDown<\/Code>/.test(s.response)).length;
    const parsed = conns.filter((s) => /<Code>MalformedXML<\/Code>/.test(s.response)).length;
    assert.ok(slowed > 0 && parsed > 0, `bodies past the global bound are refused with SlowDown (${slowed} slowed, ${parsed} read)`);
    assert.equal((await H.rawRequest(d, { path: "/" })).status, 403, "the listener still answers");
  } finally {
    for (const s of conns) s.destroy();
  }
});

test("audit: one record per S3 mutation (allowed or refused) and per signature failure", async () => {
  const ids = {};
  const meta = (x) => x.$metadata.requestId;
  ids.create = meta(await s3.send(new S3.CreateBucketCommand({ Bucket: "audited" })));
  ids.put = meta(await s3.send(new S3.PutObjectCommand({ Bucket: "audited", Key: "a/b", Body: "hello" })));
  ids.acl = meta(await s3.send(new S3.PutBucketAclCommand({ Bucket: "audited", ACL: "public-read-write" })));
  ids.get = meta(await s3.send(new S3.GetObjectCommand({ Bucket: "audited", Key: "a/b" })));
  let r = await H.rawRequest(d, { method: "PUT", path: "/audited/anon", body: "anon" });
  assert.equal(r.status, 200);
  ids.anonPut = r.headers["x-amz-request-id"];
  ids.multi = meta(await s3.send(new S3.DeleteObjectsCommand({ Bucket: "audited", Delete: { Objects: [{ Key: "anon" }] } })));
  ids.del = meta(await s3.send(new S3.DeleteObjectCommand({ Bucket: "audited", Key: "a/b" })));
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "audited", ACL: "private" }));
  r = await H.rawRequest(d, { method: "DELETE", path: "/audited" });
  assert.equal(r.status, 403);
  ids.anonDelete = r.headers["x-amz-request-id"];
  const flipped = (d.creds.SecretKey[0] === "x" ? "y" : "x") + d.creds.SecretKey.slice(1);
  r = await H.rawRequest(d, await sign({ creds: { SecretId: d.creds.SecretId, SecretKey: flipped }, method: "GET", path: "/audited" }));
  assert.equal(H.errorCode(r.body), "SignatureDoesNotMatch");
  ids.badSig = r.headers["x-amz-request-id"];
  r = await H.rawRequest(d, await sign({ creds: { SecretId: "AKIDnosuchkeynosuchkeynosuchkey12", SecretKey: "x" }, method: "GET", path: "/audited" }));
  assert.equal(H.errorCode(r.body), "InvalidAccessKeyId");
  ids.unknown = r.headers["x-amz-request-id"];

  const log = d.audit(1000).filter((e) => e.Service === "cos");
  const one = (id, what) => {
    const found = log.filter((e) => e.RequestId === id);
    assert.equal(found.length, 1, `${what}: ${found.length} records for request ${id}`);
    assert.equal(found[0].SourceIp, "127.0.0.1", what);
    assert.ok(found[0].Time, what);
    return found[0];
  };
  const root = d.creds;
  let e = one(ids.create, "CreateBucket");
  assert.deepEqual([e.Action, e.Result, e.Uin, e.SubUin], ["CreateBucket", "Success", root.Uin, root.Uin]);
  assert.match(e.Resource, /^qcs::cos:[^:]*:uid\/\d+:audited\/$/);
  e = one(ids.put, "PutObject");
  assert.deepEqual([e.Action, e.Result], ["PutObject", "Success"]);
  assert.match(e.Resource, /:audited\/a\/b$/);
  assert.deepEqual([one(ids.acl, "PutBucketAcl").Action, one(ids.acl).Result], ["PutBucketAcl", "Success"]);
  e = one(ids.anonPut, "anonymous PutObject");
  assert.deepEqual([e.Action, e.Result, e.SubUin], ["PutObject", "Success", "anonymous"]);
  assert.equal(e.Uin, root.Uin, "an anonymous change is filed under the bucket's owner");
  assert.deepEqual([one(ids.multi, "DeleteObjects").Action, one(ids.multi).Result], ["DeleteObjects", "Success"]);
  assert.deepEqual([one(ids.del, "DeleteObject").Action, one(ids.del).Result], ["DeleteObject", "Success"]);
  e = one(ids.anonDelete, "anonymous DeleteBucket");
  assert.deepEqual([e.Action, e.Result, e.SubUin], ["DeleteBucket", "AccessDenied", "anonymous"]);
  e = one(ids.badSig, "bad signature");
  assert.deepEqual([e.Result, e.Uin], ["SignatureDoesNotMatch", root.Uin]);
  e = one(ids.unknown, "unknown key");
  assert.equal(e.Result, "InvalidAccessKeyId");
  assert.equal(log.filter((x) => x.RequestId === ids.get).length, 0, "reads are not audited");
});

test("metering: only allowed requests on existing buckets are billable; refused ones apart; no rows for unknown names", async () => {
  const other = d.createAccount("meter-other");
  await s3.send(new S3.CreateBucketCommand({ Bucket: "metered" }));
  for (let i = 0; i < 5; i++) await s3.send(new S3.PutObjectCommand({ Bucket: "metered", Key: `k${i}`, Body: "12345" }));
  for (let i = 0; i < 7; i++) await (await s3.send(new S3.GetObjectCommand({ Bucket: "metered", Key: "k0" }))).Body.transformToString();
  for (let i = 0; i < 200; i += 20)
    await Promise.all(Array.from({ length: 20 }, (_, j) => H.rawRequest(d, { path: `/metered/missing-${i + j}` })));
  await expectS3Error(client(other).send(new S3.GetObjectCommand({ Bucket: "metered", Key: "k0" })), "AccessDenied");
  const names = Array.from({ length: 300 }, (_, i) => `nobucket-${i}-${crypto.randomBytes(3).toString("hex")}`);
  for (let i = 0; i < 300; i += 30)
    await Promise.all(names.slice(i, i + 30).map((n) => H.rawRequest(d, { path: `/${n}/x` })));
  const want = { get_requests: 7, put_requests: 6 /* CreateBucket too */, bytes_in: 25, bytes_out: 35, refused_requests: 201 };
  const rows = await waitFor(() => usageRows(), (rs) => {
    const m = rs.find((x) => x.bucket === "metered");
    return m && m.refused_requests >= 201 && m.get_requests >= 7;
  }, 15000, "the meters flushed");
  const m = rows.find((x) => x.bucket === "metered");
  for (const [k, v] of Object.entries(want)) assert.equal(m[k], v, `${k} of ${JSON.stringify(m)}`);
  assert.equal(rows.filter((x) => x.bucket.startsWith("nobucket-")).length, 0, "no usage rows for names that are not buckets");
});

test("Range with a leading blank or a sign is ignored, never a 500", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "ranges", ACL: "public-read" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "ranges", Key: "o", Body: "0123456789abcdef", ACL: "public-read" }));
  for (const range of ["bytes= -5-10", "bytes=-5-10", "bytes=+1-3", "bytes=1- 3", "bytes= 1-3", "bytes=1-+3", "bytes=--3",
    "bytes=99999999999999999999-"]) {
    const r = await H.rawRequest(d, { path: "/ranges/o", headers: { range } });
    assert.ok(r.status === 200 || r.status === 416, `${range}: ${r.status} ${r.body}`);
    if (r.status === 200) assert.equal(r.body.toString(), "0123456789abcdef", range);
  }
  const ok = await H.rawRequest(d, { path: "/ranges/o", headers: { range: "bytes=2-4" } });
  assert.deepEqual([ok.status, ok.body.toString()], [206, "234"]);
});

test("response-* overrides need a signed request", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "overrides", ACL: "public-read" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "overrides", Key: "page", Body: "<script>x</script>", ContentType: "text/plain", ACL: "public-read" }));
  for (const p of ["response-content-type=text%2Fhtml", "response-content-disposition=inline", "response-cache-control=x",
    "response-expires=0", "response-content-language=en", "response-content-encoding=gzip"]) {
    const r = await H.rawRequest(d, { path: `/overrides/page?${p}` });
    assert.equal(r.status, 400, p);
    assert.equal(H.errorCode(r.body), "InvalidRequest", p);
  }
  const plain = await H.rawRequest(d, { path: "/overrides/page" });
  assert.equal(plain.headers["content-type"], "text/plain");
  const signed = await s3.send(new S3.GetObjectCommand({ Bucket: "overrides", Key: "page", ResponseContentType: "text/html" }));
  assert.equal(signed.ContentType, "text/html", "a signed request may override");
});

test("a disabled or deleted key (and its presigned URLs) stops working at once", async () => {
  const cam = d.cam();
  await s3.send(new S3.CreateBucketCommand({ Bucket: "keys" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "keys", Key: "k", Body: "v" }));
  const u = await cam.AddUser({ Name: "keyuser", ConsoleLogin: 0, UseApi: 1 });
  const p = await cam.CreatePolicy({ PolicyName: "keys-all", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "allow", action: ["cos:*"], resource: ["*"] }] }) });
  await cam.AttachUserPolicy({ PolicyId: p.PolicyId, AttachUin: u.Uin });
  const sub = { SecretId: u.SecretId, SecretKey: u.SecretKey };
  const c = client(sub);
  const presigned = new URL(H.awsCli(d, sub)(["s3", "presign", "s3://keys/k", "--expires-in", "300"]).stdout.trim());
  const url = presigned.pathname + presigned.search;
  assert.equal((await c.send(new S3.GetObjectCommand({ Bucket: "keys", Key: "k" }))).$metadata.httpStatusCode, 200);
  assert.equal((await H.rawRequest(d, { path: url })).status, 200);
  await cam.UpdateAccessKey({ AccessKeyId: sub.SecretId, Status: "Inactive", TargetUin: u.Uin });
  await expectS3Error(c.send(new S3.GetObjectCommand({ Bucket: "keys", Key: "k" })), "InvalidAccessKeyId");
  let r = await H.rawRequest(d, { path: url });
  assert.deepEqual([r.status, H.errorCode(r.body)], [403, "InvalidAccessKeyId"]);
  await cam.UpdateAccessKey({ AccessKeyId: sub.SecretId, Status: "Active", TargetUin: u.Uin });
  assert.equal((await H.rawRequest(d, { path: url })).status, 200);
  await cam.DeleteAccessKey({ AccessKeyId: sub.SecretId, TargetUin: u.Uin });
  r = await H.rawRequest(d, { path: url });
  assert.deepEqual([r.status, H.errorCode(r.body)], [403, "InvalidAccessKeyId"]);
});
