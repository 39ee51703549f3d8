/*
 * What a browser does against the object store: CORS (Put/Get/DeleteBucketCors through
 * @aws-sdk/client-s3 and cos-nodejs-sdk-v5, preflight OPTIONS with origin wildcards, methods and
 * requested headers, the headers of actual answers, errors included) and POST object form uploads
 * (multipart/form-data through Node's own fetch/FormData and hand-made bodies: SigV4 and SigV2
 * signed policies, every kind of condition, ${filename}, success_action_status/redirect,
 * x-amz-meta-*, acl, tagging, anonymous forms on a public-read-write bucket, a 20 MiB file with
 * the daemon's memory bounded, and S3's errors).
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const S3 = require("@aws-sdk/client-s3");
const COS = require("cos-nodejs-sdk-v5");
const H = require("./lib/object_harness");

let d, s3, cos;
const { expectS3Error } = H;

const raw = (opts) => H.rawRequest(d, opts);
const cosCall = (method, params) => new Promise((resolve, reject) =>
  cos[method]({ Region: "ap-guangzhou", ...params }, (err, data) => (err ? reject(err) : resolve(data))));
const text = async (Bucket, Key) =>
  Buffer.from(await (await s3.send(new S3.GetObjectCommand({ Bucket, Key }))).Body.transformToByteArray()).toString();

before(async () => {
  d = await H.startObjectDaemon({ domain: H.COS_DOMAIN });
  s3 = H.s3Client(d);
  cos = new COS({ SecretId: d.creds.SecretId, SecretKey: d.creds.SecretKey, Protocol: "http:",
    Ip: `127.0.0.1:${d.objectPort}`, Domain: `{Bucket}.${H.COS_DOMAIN}`, AutoSwitchHost: false });
});
after(async () => { if (d) await d.destroy(); });

test("Put/Get/DeleteBucketCors; bad configurations refused", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "corsb", ACL: "public-read" }));
  await expectS3Error(s3.send(new S3.GetBucketCorsCommand({ Bucket: "corsb" })), "NoSuchCORSConfiguration");
  const CORSRules = [
    { ID: "console", AllowedOrigins: ["https://console.example"], AllowedMethods: ["PUT", "POST", "GET"],
      AllowedHeaders: ["x-amz-*", "content-type"], ExposeHeaders: ["ETag", "x-amz-version-id"], MaxAgeSeconds: 600 },
    { AllowedOrigins: ["*.suffix", "start*end"], AllowedMethods: ["GET", "HEAD"] },
    { AllowedOrigins: ["*"], AllowedMethods: ["DELETE"] },
  ];
  await s3.send(new S3.PutBucketCorsCommand({ Bucket: "corsb", CORSConfiguration: { CORSRules } }));
  const got = await s3.send(new S3.GetBucketCorsCommand({ Bucket: "corsb" }));
  assert.deepEqual(got.CORSRules, CORSRules);
  for (const [rules, code] of [
    [[{ AllowedOrigins: ["*"], AllowedMethods: ["PATCH"] }], "InvalidRequest"],
    [[{ AllowedOrigins: ["a*b*c"], AllowedMethods: ["GET"] }], "InvalidRequest"],
    [[{ AllowedOrigins: ["*"], AllowedMethods: ["GET"], AllowedHeaders: ["x-*-*"] }], "InvalidRequest"],
    [[{ AllowedOrigins: [], AllowedMethods: ["GET"] }], "MalformedXML"],
  ]) await expectS3Error(s3.send(new S3.PutBucketCorsCommand({ Bucket: "corsb", CORSConfiguration: { CORSRules: rules } })), code);
  assert.deepEqual((await s3.send(new S3.GetBucketCorsCommand({ Bucket: "corsb" }))).CORSRules, CORSRules,
    "a refused configuration changes nothing");
  await s3.send(new S3.CreateBucketCommand({ Bucket: "corsdel" }));
  await s3.send(new S3.PutBucketCorsCommand({ Bucket: "corsdel", CORSConfiguration: { CORSRules } }));
  await s3.send(new S3.DeleteBucketCorsCommand({ Bucket: "corsdel" }));
  await expectS3Error(s3.send(new S3.GetBucketCorsCommand({ Bucket: "corsdel" })), "NoSuchCORSConfiguration");
});

test("preflight OPTIONS: origins with wildcards, methods, requested headers; 403 when no rule matches", async () => {
  const pre = (origin, method, headers) => raw({ method: "OPTIONS", path: "/corsb/some/key", headers: {
    ...(origin ? { Origin: origin } : {}), ...(method ? { "Access-Control-Request-Method": method } : {}),
    ...(headers ? { "Access-Control-Request-Headers": headers } : {}) } });
  let r = await pre("https://console.example", "PUT", "content-type, x-amz-date, X-Amz-Content-Sha256");
  assert.equal(r.status, 200);
  assert.equal(r.headers["access-control-allow-origin"], "https://console.example");
  assert.equal(r.headers["access-control-allow-methods"], "PUT, POST, GET");
  assert.equal(r.headers["access-control-allow-headers"], "content-type, x-amz-date, X-Amz-Content-Sha256");
  assert.equal(r.headers["access-control-expose-headers"], "ETag, x-amz-version-id");
  assert.equal(r.headers["access-control-max-age"], "600");
  r = await pre("https://console.example", "PUT", "authorization");
  assert.equal(r.status, 403, "a header no rule allows");
  assert.equal(H.errorCode(r.body), "AccessForbidden");
  r = await pre("https://console.example", "DELETE");
  assert.equal(r.status, 200, "the third rule: any origin may DELETE");
  assert.equal(r.headers["access-control-allow-origin"], "*");
  for (const [origin, status] of [["foo.suffix", 200], ["foo.suffix.get", 403], ["startend", 200],
    ["start12end", 200], ["0start12end", 403], ["https://evil.example", 403]]) {
    r = await pre(origin, "GET");
    assert.equal(r.status, status, origin);
    assert.equal(r.headers["access-control-allow-origin"], status === 200 ? origin : undefined, origin);
  }
  assert.equal((await pre(null, "GET")).status, 400, "no Origin");
  assert.equal((await pre("foo.suffix", null)).status, 400, "no Access-Control-Request-Method");
  r = await raw({ method: "OPTIONS", path: "/corsdel/k", headers: { Origin: "foo.suffix",
    "Access-Control-Request-Method": "GET" } });
  assert.equal(r.status, 403, "a bucket without CORS");
});

test("actual answers carry the matching rule's headers, errors too; none without Origin", async () => {
  await s3.send(new S3.PutObjectCommand({ Bucket: "corsb", Key: "pub", Body: "hello", ACL: "public-read" }));
  let r = await raw({ path: "/corsb/pub", headers: { Origin: "foo.suffix" } });
  assert.equal(r.status, 200);
  assert.equal(r.headers["access-control-allow-origin"], "foo.suffix");
  assert.equal(r.headers["access-control-allow-methods"], "GET, HEAD");
  r = await raw({ path: "/corsb/pub" });
  assert.equal(r.headers["access-control-allow-origin"], undefined);
  r = await raw({ path: "/corsb/missing", headers: { Origin: "foo.suffix" } });
  assert.equal(r.status, 404);
  assert.equal(r.headers["access-control-allow-origin"], "foo.suffix", "an error answer too");
  r = await raw({ method: "PUT", path: "/corsb/x", headers: { Origin: "foo.suffix", "Content-Length": "0" } });
  assert.equal(r.status, 403);
  assert.equal(r.headers["access-control-allow-origin"], undefined, "no rule lets foo.suffix PUT");
  // a signed request from the console's origin (the browser upload)
  const signed = H.s3Client(d, d.creds);
  signed.middlewareStack.add((next) => (args) => { args.request.headers.origin = "https://console.example"; return next(args); },
    { step: "build" });
  const res = await signed.send(new S3.PutObjectCommand({ Bucket: "corsb", Key: "up", Body: "x" }));
  assert.ok(res.ETag);
});

test("cos-nodejs-sdk-v5: putBucketCors, getBucketCors, deleteBucketCors", async () => {
  const Bucket = "corscos-1250000000";
  await cosCall("putBucket", { Bucket });
  await cosCall("putBucketCors", { Bucket, CORSRules: [{ AllowedOrigin: ["https://a.example"],
    AllowedMethod: ["GET", "PUT"], AllowedHeader: ["*"], ExposeHeader: ["ETag"], MaxAgeSeconds: "5" }] });
  const got = await cosCall("getBucketCors", { Bucket });
  assert.equal(got.CORSRules.length, 1);
  assert.deepEqual(got.CORSRules[0].AllowedMethods || got.CORSRules[0].AllowedMethod, ["GET", "PUT"]);
  const r = await H.rawRequest(d, { method: "OPTIONS", path: "/k", headers: { Host: `${Bucket}.${H.COS_DOMAIN}`,
    Origin: "https://a.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-cos-meta-a" } });
  assert.equal(r.status, 200);
  await cosCall("deleteBucketCors", { Bucket });
  // the SDK turns the 404 NoSuchCORSConfiguration into an empty rule list
  assert.deepEqual((await cosCall("getBucketCors", { Bucket })).CORSRules, []);
});

/* ------------------------------------------------------------------ POST object */

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64");
const expires = (s = 600) => new Date(Date.now() + s * 1000).toISOString().replace(/\.\d+Z$/, "Z");

function v2Form(policy, fields) {
  const p = b64(policy);
  const sig = crypto.createHmac("sha1", d.creds.SecretKey).update(p).digest("base64");
  return { AWSAccessKeyId: d.creds.SecretId, policy: p, signature: sig, ...fields };
}

function v4Form(policy, fields, { region = "us-east-1" } = {}) {
  const now = new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, "");
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const credential = `${d.creds.SecretId}/${date}/${region}/s3/aws4_request`;
  const v4 = { "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": credential, "x-amz-date": amzDate };
  policy = { ...policy, conditions: [...policy.conditions, ...Object.entries(v4).map(([k, v]) => ({ [k]: v }))] };
  const p = b64(policy);
  const h = (k, m) => crypto.createHmac("sha256", k).update(m).digest();
  const key = h(h(h(h(`AWS4${d.creds.SecretKey}`, date), region), "s3"), "aws4_request");
  return { ...fields, ...v4, policy: p, "x-amz-signature": h(key, p).toString("hex") };
}

/* A form posted with Node's fetch/FormData (what a browser sends); the file goes last. */
async function post(bucket, fields, file = "bar", filename = "file.txt", headers = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append("file", new Blob([file]), filename);
  const res = await fetch(`${d.objectEndpoint}/${bucket}`, { method: "POST", body: fd, redirect: "manual", headers });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

const basePolicy = (bucket, extra = []) => ({ expiration: expires(), conditions: [{ bucket }, ["starts-with", "$key", "up/"],
  { acl: "private" }, ["starts-with", "$Content-Type", "text/"], ["content-length-range", 0, 1024], ...extra] });

test("POST object: SigV2 and SigV4 policies, ${filename}, metadata, status and redirect", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "postb" }));
  let r = await post("postb", v2Form(basePolicy("postb"), { key: "up/v2.txt", acl: "private", "Content-Type": "text/plain" }));
  assert.equal(r.status, 204, r.body);
  assert.equal(await text("postb", "up/v2.txt"), "bar");
  const etag = `"${crypto.createHash("md5").update("bar").digest("hex")}"`;
  assert.equal(r.headers.etag, etag);

  const pol = basePolicy("postb", [["starts-with", "$x-amz-meta-who", ""], { success_action_status: "201" },
    ["eq", "$Cache-Control", "max-age=60"]]);
  r = await post("postb", v4Form(pol, { key: "up/${filename}", acl: "private", "Content-Type": "text/html",
    "x-amz-meta-who": "browser", success_action_status: "201", "Cache-Control": "max-age=60" }), "<p>hi</p>", "page.html");
  assert.equal(r.status, 201, r.body);
  assert.match(r.body, /<Key>up\/page\.html<\/Key>/);
  assert.match(r.body, /<Bucket>postb<\/Bucket>/);
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "postb", Key: "up/page.html" }));
  assert.equal(head.ContentType, "text/html");
  assert.equal(head.Metadata.who, "browser");
  assert.equal(head.CacheControl, "max-age=60");

  const redirect = "http://example.invalid/done";
  r = await post("postb", v2Form(basePolicy("postb", [{ success_action_redirect: redirect }]), { key: "up/r.txt",
    acl: "private", "Content-Type": "text/plain", success_action_redirect: redirect }));
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `${redirect}?bucket=postb&key=up/r.txt&etag=%22${etag.slice(1, -1)}%22`);

  // x-ignore-* fields need no condition; tagging is a Tagging document
  r = await post("postb", v2Form(basePolicy("postb", [["starts-with", "$tagging", ""]]), { key: "up/t.txt", acl: "private",
    "Content-Type": "text/plain", "x-ignore-me": "1",
    tagging: "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>" }));
  assert.equal(r.status, 204, r.body);
  const tags = await s3.send(new S3.GetObjectTaggingCommand({ Bucket: "postb", Key: "up/t.txt" }));
  assert.deepEqual(tags.TagSet, [{ Key: "k", Value: "v" }]);
  const audit = d.audit(100).filter((e) => e.Action === "PostObject");
  assert.ok(audit.filter((e) => e.Result === "Success" && e.SubUin === d.creds.Uin).length >= 4, "audited as the key's user");
});

test("POST object refusals as S3: signature, key, policy, conditions, sizes; nothing stored", async () => {
  const ok = { key: "up/no.txt", acl: "private", "Content-Type": "text/plain" };
  const cases = [
    ["bad signature", { ...v2Form(basePolicy("postb"), ok), signature: "AAAA" }, 403, "SignatureDoesNotMatch"],
    ["unknown key", { ...v2Form(basePolicy("postb"), ok), AWSAccessKeyId: "AKIDnope" }, 403, "InvalidAccessKeyId"],
    ["no signature", (() => { const f = v2Form(basePolicy("postb"), ok); delete f.signature; return f; })(), 400, null],
    ["no key", (() => { const f = v2Form(basePolicy("postb"), ok); delete f.key; return f; })(), 400, "InvalidArgument"],
    ["expired", v2Form({ ...basePolicy("postb"), expiration: expires(-60) }, ok), 403, "AccessDenied"],
    ["bad expiration", v2Form({ ...basePolicy("postb"), expiration: "tomorrow" }, ok), 400, "InvalidPolicyDocument"],
    ["no expiration", v2Form({ conditions: basePolicy("postb").conditions }, ok), 400, "InvalidPolicyDocument"],
    ["no conditions", v2Form({ expiration: expires() }, ok), 400, "InvalidPolicyDocument"],
    ["empty condition", v2Form({ expiration: expires(), conditions: [{}] }, ok), 400, "InvalidPolicyDocument"],
    ["key condition", v2Form(basePolicy("postb"), { ...ok, key: "other/x" }), 403, "AccessDenied"],
    ["other bucket", v2Form(basePolicy("elsewhere"), ok), 403, "AccessDenied"],
    ["no bucket condition", v2Form({ expiration: expires(), conditions: [["starts-with", "$key", ""], { acl: "private" },
      ["starts-with", "$Content-Type", ""]] }, ok), 403, "AccessDenied"],
    ["extra field", v2Form(basePolicy("postb"), { ...ok, "x-amz-meta-sneaky": "1" }), 403, "AccessDenied"],
    ["missing field", v2Form(basePolicy("postb", [["eq", "$x-amz-meta-must", "1"]]), ok), 403, "AccessDenied"],
    ["bad range", v2Form({ ...basePolicy("postb"), conditions: [{ bucket: "postb" }, ["content-length-range", -1, 0]] },
      ok), 400, "InvalidPolicyDocument"],
    ["too large", v2Form({ ...basePolicy("postb"), conditions: [...basePolicy("postb").conditions.slice(0, 4),
      ["content-length-range", 0, 2]] }, ok), 400, "EntityTooLarge"],
    ["too small", v2Form({ ...basePolicy("postb"), conditions: [...basePolicy("postb").conditions.slice(0, 4),
      ["content-length-range", 100, 200]] }, ok), 400, "EntityTooSmall"],
    ["anonymous on a private bucket", { key: "up/anon.txt" }, 403, "AccessDenied"],
  ];
  for (const [what, fields, status, code] of cases) {
    const r = await post("postb", fields);
    assert.equal(r.status, status, `${what}: ${r.body}`);
    if (code) assert.equal(H.errorCode(r.body), code, what);
  }
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "postb", Key: "up/no.txt" })), "NotFound");
  const refused = d.audit(200).filter((e) => e.Action === "PostObject" && e.Result !== "Success");
  assert.ok(refused.length >= cases.length - 2, `refusals are audited (${refused.length})`);
});

test("POST object: anonymous form on a public-read-write bucket; a 20 MiB file streams through", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "postpub", ACL: "public-read-write" }));
  let r = await post("postpub", { key: "anon.txt", acl: "public-read", "Content-Type": "text/plain" });
  assert.equal(r.status, 204, r.body);
  r = await raw({ path: "/postpub/anon.txt" });
  assert.equal(r.body.toString(), "bar", "public-read as the form asked");
  r = await post("postpub", { key: "bad.txt", acl: "nonsense" });
  assert.equal(r.status, 400);

  const big = crypto.randomBytes(20 << 20);
  const before = H.rssKiB(d.child.pid);
  const pol = { expiration: expires(), conditions: [{ bucket: "postb" }, ["starts-with", "$key", "big/"],
    ["content-length-range", 1, 64 << 20]] };
  r = await post("postb", v4Form(pol, { key: "big/blob" }), big, "blob.bin");
  assert.equal(r.status, 204, r.body);
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "postb", Key: "big/blob" }));
  assert.equal(head.ContentLength, big.length);
  assert.equal(head.ETag, `"${crypto.createHash("md5").update(big).digest("hex")}"`);
  const grew = H.rssKiB(d.child.pid) - before;
  assert.ok(grew < 16 << 10, `the daemon's RSS grew by ${grew} KiB for a 20 MiB form`);

  // a hand-made body: boundary in quotes, fields after the file ignored, CRLFs inside the file kept
  const bnd = "----yunboundary";
  const body = Buffer.concat([Buffer.from(`--${bnd}\r\nContent-Disposition: form-data; name="key"\r\n\r\nhand.txt\r\n` +
    `--${bnd}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\nContent-Type: text/plain\r\n\r\n`),
  Buffer.from("line1\r\n--not-the-boundary\r\nline2"),
  Buffer.from(`\r\n--${bnd}\r\nContent-Disposition: form-data; name="acl"\r\n\r\npublic-read\r\n--${bnd}--\r\n`)]);
  r = await raw({ method: "POST", path: "/postpub", headers: { "Content-Type": `multipart/form-data; boundary="${bnd}"`,
    "Content-Length": String(body.length) }, body });
  assert.equal(r.status, 204, r.body.toString());
  assert.equal(await text("postpub", "hand.txt"), "line1\r\n--not-the-boundary\r\nline2");
  const acl = await s3.send(new S3.GetObjectAclCommand({ Bucket: "postpub", Key: "hand.txt" }));
  assert.equal(acl.Grants.length, 1, "the acl field after the file was ignored");
  r = await raw({ method: "POST", path: "/postpub", headers: { "Content-Type": "text/plain", "Content-Length": "3" },
    body: "abc" });
  assert.equal(r.status, 400);
  assert.equal(H.errorCode(r.body), "MalformedPOSTRequest");
});

test("POST object from a browser: preflight for POST, then the form with an Origin", async () => {
  await s3.send(new S3.PutBucketCorsCommand({ Bucket: "postb", CORSConfiguration: { CORSRules: [
    { AllowedOrigins: ["https://console.example"], AllowedMethods: ["POST"], ExposeHeaders: ["ETag", "Location"] }] } }));
  let r = await raw({ method: "OPTIONS", path: "/postb", headers: { Origin: "https://console.example",
    "Access-Control-Request-Method": "POST" } });
  assert.equal(r.status, 200);
  r = await post("postb", v2Form(basePolicy("postb"), { key: "up/cors.txt", acl: "private", "Content-Type": "text/plain" }),
    "bar", "f", { Origin: "https://console.example" });
  assert.equal(r.status, 204, r.body);
  assert.equal(r.headers["access-control-allow-origin"], "https://console.example");
  assert.equal(r.headers["access-control-expose-headers"], "ETag, Location");
});

test("POST object with an x-amz-checksum-sha256 field: checked against the file, stored", async () => {
  const sum = crypto.createHash("sha256").update("bar").digest("base64");
  const fields = (v) => v2Form(basePolicy("postb"), { key: "up/ck.txt", acl: "private", "Content-Type": "text/plain",
    "x-amz-checksum-sha256": v });
  let r = await post("postb", fields(sum));
  assert.equal(r.status, 204, r.body);
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "postb", Key: "up/ck.txt", ChecksumMode: "ENABLED" }));
  assert.equal(head.ChecksumSHA256, sum);
  r = await post("postb", { ...fields(crypto.createHash("sha256").update("other").digest("base64")), key: "up/ck2.txt" });
  assert.equal(r.status, 400);
  assert.equal(H.errorCode(r.body), "BadDigest");
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "postb", Key: "up/ck2.txt" })), "NotFound");
});

test("POST object with boto3's generate_presigned_post (SigV4 policy) and python requests", () => {
  const script = `
import boto3, requests, sys
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
p = s3.generate_presigned_post('postb', 'boto/\${filename}', Fields={'acl': 'private'},
    Conditions=[{'acl': 'private'}, ['starts-with', '$key', 'boto/'], ['content-length-range', 1, 100]], ExpiresIn=300)
r = requests.post(p['url'], data=p['fields'], files={'file': ('hello.txt', b'from boto')})
print(r.status_code)
r = requests.post(p['url'], data=p['fields'], files={'file': ('big.txt', b'x' * 101)})
print(r.status_code)
`;
  const r = H.run("/usr/bin/python3", ["-c", script, d.objectEndpoint, d.creds.SecretId, d.creds.SecretKey]);
  assert.deepEqual(r.stdout.trim().split("\n"), ["204", "400"], r.stderr);
  return text("postb", "boto/hello.txt").then((t) => assert.equal(t, "from boto"));
});
