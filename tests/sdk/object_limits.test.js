/*
 * The object gateway's share of the request pipeline: the rate limiter (the API's, through its
 * object door: per account, per address for anonymous requests, S3's 503 SlowDown, the refusal
 * audited and nothing changed) and the request log (one JSON line per S3 request on the daemon's
 * log, a hostile key escaped). Driven through @aws-sdk/client-s3 with retries off and raw HTTP.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const S3 = require("@aws-sdk/client-s3");
const H = require("./lib/object_harness");

const RATE = 5;
const BURST = 10;
let d;
let s3;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/* Waits until the account's and addresses' buckets are full again. */
const refill = () => sleep(Math.ceil((BURST / RATE) * 1000) + 300);

/* An anonymous GET from a chosen loopback address; resolves {status, body}. */
function anonGet(path, localAddress = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: d.objectPort, path, localAddress, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end();
  });
}

/* The request lines the daemon logged so far (the logger thread writes every few ms). */
async function requestLines() {
  await sleep(200);
  return d.output.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .filter((j) => j.service === "object");
}

before(async () => {
  d = await H.startObjectDaemon({ object: { rate_per_second: RATE, rate_burst: BURST } });
  s3 = H.s3Client(d);
  await s3.send(new S3.CreateBucketCommand({ Bucket: "limits" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "limits", Key: "public", Body: "hello", ACL: "public-read" }));
  await refill();
});
after(async () => { if (d) await d.destroy(); });

test("rate limit: a burst over the account's limit gets 503 SlowDown; a refused write changes nothing and is audited", async () => {
  const results = await Promise.allSettled(Array.from({ length: 3 * BURST },
    () => s3.send(new S3.HeadObjectCommand({ Bucket: "limits", Key: "public" }))));
  const ok = results.filter((r) => r.status === "fulfilled").length;
  const refused = results.filter((r) => r.status === "rejected");
  assert.ok(ok >= BURST - 1 && ok <= BURST + 2, `${ok} of ${results.length} allowed with a burst of ${BURST}`);
  assert.equal(ok + refused.length, results.length);
  for (const r of refused) assert.equal(r.reason.$metadata.httpStatusCode, 503);
  // GET carries the XML error document: the SDK names the code
  const e = await H.expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "limits", Key: "public" })), "SlowDown");
  assert.equal(e.$metadata.httpStatusCode, 503);
  // a write over the limit: refused before anything is read or written
  const put = await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "limits", Key: "refused", Body: "x" })), "SlowDown");
  const rid = put.$metadata.requestId;
  assert.ok(rid, "the refusal carries its request id");
  await refill();
  await H.expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "limits", Key: "refused" })), "NotFound");
  const rec = d.audit(200).filter((a) => a.RequestId === rid);
  assert.equal(rec.length, 1, "the refused PutObject is audited once");
  assert.deepEqual([rec[0].Action, rec[0].Result, rec[0].Uin], ["PutObject", "SlowDown", d.creds.Uin]);
  // refilled: allowed again
  await s3.send(new S3.HeadObjectCommand({ Bucket: "limits", Key: "public" }));
  await refill();
});

test("rate limit: anonymous requests are limited by address, apart from the account", async () => {
  const first = await Promise.all(Array.from({ length: 3 * BURST }, () => anonGet("/limits/public")));
  const ok = first.filter((r) => r.status === 200).length;
  const slow = first.filter((r) => r.status === 503);
  assert.ok(ok >= BURST - 1 && ok <= BURST + 2, `${ok} anonymous GETs allowed with a burst of ${BURST}`);
  assert.equal(ok + slow.length, first.length);
  assert.equal(H.errorCode(slow[0].body), "SlowDown");
  // CORS preflights are unsigned: limited by address as well (the address is still out of tokens)
  const pre = await new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: d.objectPort, method: "OPTIONS", path: "/limits/public", agent: false,
      headers: { Origin: "http://example.com", "Access-Control-Request-Method": "GET" } }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on("error", reject);
    req.end();
  });
  assert.equal(pre, 503, "a preflight flood is refused like any anonymous request");
  // another address has its own bucket; so has the account
  const other = await anonGet("/limits/public", "127.0.0.2");
  assert.equal(other.status, 200, "127.0.0.2 is not limited by 127.0.0.1's requests");
  const r = await s3.send(new S3.GetObjectCommand({ Bucket: "limits", Key: "public" }));
  assert.equal(await r.Body.transformToString(), "hello");
  await refill();
});

test("request log: one JSON line per S3 request with its fields; a hostile key cannot forge a line", async () => {
  const key = 'evil"\n{"service":"object","forged":true}\\\u0001é';
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "limits", Key: key, Body: "12345" }));
  const get = await s3.send(new S3.GetObjectCommand({ Bucket: "limits", Key: key }));
  assert.equal(await get.Body.transformToString(), "12345");
  await H.expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "limits", Key: "missing" })), "NoSuchKey");
  const raw = await anonGet("/limits/%FF%0Ax");
  assert.equal(raw.status, 403);
  const lines = await requestLines();
  assert.ok(!lines.some((l) => l.forged), "no forged line");
  const putLine = lines.find((l) => l.action === "PutObject" && l.key === key);
  assert.ok(putLine, "the PutObject line, with the key as sent");
  assert.equal(putLine.bucket, "limits");
  assert.equal(putLine.account, d.creds.Uin);
  assert.equal(putLine.ip, "127.0.0.1");
  assert.equal(putLine.status, 200);
  assert.equal(putLine.bytes_in, 5);
  assert.equal(putLine.code, "");
  assert.match(putLine.rid, /^[0-9A-F]{24}$/);
  assert.match(putLine.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(typeof putLine.ms, "number");
  const getLine = lines.find((l) => l.action === "GetObject" && l.key === key);
  assert.ok(getLine, "the GetObject line");
  assert.equal(getLine.bytes_out, 5);
  assert.equal(getLine.status, 200);
  assert.ok(lines.find((l) => l.action === "GetObject" && l.key === "missing" && l.status === 404 && l.code === "NoSuchKey"));
  const anon = lines.find((l) => l.key === "\ufffd\nx");
  assert.ok(anon, "a key that is not UTF-8 is logged with U+FFFD in place of the byte");
  assert.deepEqual([anon.account, anon.status, anon.code], ["", 403, "AccessDenied"]);
  // the refusals of the rate limit are logged too
  assert.ok(lines.some((l) => l.status === 503 && l.code === "SlowDown"));
  // and the API's own line goes through the same writer
  const api = d.output.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((j) => j.service === "api");
  for (const l of api) assert.ok(l.rid && "action" in l && l.time);
});
