/*
 * Bucket policies through the real clients (@aws-sdk/client-s3, cos-nodejs-sdk-v5): a policy
 * granting anonymous reads, another account, explicit denies that beat the owner's sub-user's CAM
 * allow (and CAM's deny that beats the policy's allow), aws:SourceIp conditions, bad documents
 * refused with MalformedPolicy and nothing stored, GetBucketPolicyStatus, and the public access
 * block's BlockPublicPolicy and RestrictPublicBuckets. COS-style documents (qcs principals,
 * name/cos: actions, qcs resources) go through the COS SDK's putBucketPolicy.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const S3 = require("@aws-sdk/client-s3");
const COS = require("cos-nodejs-sdk-v5");
const H = require("./lib/object_harness");

let d;
let s3;
let alt; /* another account */
const { expectS3Error } = H;

const anonGet = (bucket, key) => H.rawRequest(d, { path: `/${bucket}/${key}` });
const policyOf = (statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const put = (Bucket, Policy, c = s3) => c.send(new S3.PutBucketPolicyCommand({ Bucket, Policy }));

before(async () => {
  d = await H.startObjectDaemon({ domain: H.COS_DOMAIN });
  s3 = H.s3Client(d);
  alt = d.createAccount("policy-alt");
});
after(async () => { if (d) await d.destroy(); });

test("a policy grants anonymous reads under a prefix; Get returns it as sent; Delete ends it", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "pol-anon" }));
  for (const k of ["pub/a", "priv/b"]) await s3.send(new S3.PutObjectCommand({ Bucket: "pol-anon", Key: k, Body: k }));
  assert.equal((await anonGet("pol-anon", "pub/a")).status, 403, "private before the policy");
  await expectS3Error(s3.send(new S3.GetBucketPolicyCommand({ Bucket: "pol-anon" })), "NoSuchBucketPolicy");
  let st = await s3.send(new S3.GetBucketPolicyStatusCommand({ Bucket: "pol-anon" }));
  assert.equal(st.PolicyStatus.IsPublic, false);

  const doc = policyOf([{ Sid: "read", Effect: "Allow", Principal: "*", Action: "s3:GetObject",
    Resource: "arn:aws:s3:::pol-anon/pub/*" }]);
  const r = await put("pol-anon", doc);
  assert.equal(r.$metadata.httpStatusCode, 204);
  const got = await anonGet("pol-anon", "pub/a");
  assert.equal(got.status, 200);
  assert.equal(got.body.toString(), "pub/a");
  assert.equal((await anonGet("pol-anon", "priv/b")).status, 403, "outside the resource");
  assert.equal((await H.rawRequest(d, { path: "/pol-anon" })).status, 403, "listing is not granted");
  assert.equal((await s3.send(new S3.GetBucketPolicyCommand({ Bucket: "pol-anon" }))).Policy, doc);
  st = await s3.send(new S3.GetBucketPolicyStatusCommand({ Bucket: "pol-anon" }));
  assert.equal(st.PolicyStatus.IsPublic, true);

  assert.equal((await s3.send(new S3.DeleteBucketPolicyCommand({ Bucket: "pol-anon" }))).$metadata.httpStatusCode, 204);
  assert.equal((await anonGet("pol-anon", "pub/a")).status, 403, "the grant ends with the policy");
  await expectS3Error(s3.send(new S3.GetBucketPolicyCommand({ Bucket: "pol-anon" })), "NoSuchBucketPolicy");
  // a bucket created again under the name starts without the old policy
  await put("pol-anon", doc);
  for (const k of ["pub/a", "priv/b"]) await s3.send(new S3.DeleteObjectCommand({ Bucket: "pol-anon", Key: k }));
  await s3.send(new S3.DeleteBucketCommand({ Bucket: "pol-anon" }));
  await s3.send(new S3.CreateBucketCommand({ Bucket: "pol-anon" }));
  await expectS3Error(s3.send(new S3.GetBucketPolicyCommand({ Bucket: "pol-anon" })), "NoSuchBucketPolicy");
});

test("another account is granted what the policy names, nothing more", async () => {
  const other = H.s3Client(d, alt);
  await s3.send(new S3.CreateBucketCommand({ Bucket: "pol-cross" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "pol-cross", Key: "k", Body: "shared" }));
  await expectS3Error(other.send(new S3.ListObjectsV2Command({ Bucket: "pol-cross" })), "AccessDenied");
  await put("pol-cross", policyOf([{ Effect: "Allow", Principal: { AWS: [`arn:aws:iam::${alt.Uin}:root`] },
    Action: ["s3:ListBucket", "s3:GetObject"], Resource: ["arn:aws:s3:::pol-cross", "arn:aws:s3:::pol-cross/*"] }]));
  const l = await other.send(new S3.ListObjectsV2Command({ Bucket: "pol-cross" }));
  assert.deepEqual(l.Contents.map((c) => c.Key), ["k"]);
  const g = await other.send(new S3.GetObjectCommand({ Bucket: "pol-cross", Key: "k" }));
  assert.equal(await g.Body.transformToString(), "shared");
  await expectS3Error(other.send(new S3.PutObjectCommand({ Bucket: "pol-cross", Key: "x", Body: "no" })), "AccessDenied");
  await expectS3Error(other.send(new S3.PutBucketPolicyCommand({ Bucket: "pol-cross", Policy: policyOf([]) })), "AccessDenied");
  assert.equal((await H.rawRequest(d, { path: "/pol-cross" })).status, 403, "an account principal is not anonymous");
  // a missing key: 404 to who may list, as S3
  await expectS3Error(other.send(new S3.HeadObjectCommand({ Bucket: "pol-cross", Key: "missing" })), "404");
  // DeleteObjects is decided key by key
  await s3.send(new S3.PutObjectCommand({ Bucket: "pol-cross", Key: "tmp/a", Body: "scratch" }));
  await put("pol-cross", policyOf([{ Effect: "Allow", Principal: { AWS: alt.Uin }, Action: "s3:DeleteObject",
    Resource: "arn:aws:s3:::pol-cross/tmp/*" }]));
  const del = await other.send(new S3.DeleteObjectsCommand({ Bucket: "pol-cross",
    Delete: { Objects: [{ Key: "tmp/a" }, { Key: "k" }] } }));
  assert.deepEqual(del.Deleted.map((x) => x.Key), ["tmp/a"]);
  assert.deepEqual(del.Errors.map((x) => [x.Key, x.Code]), [["k", "AccessDenied"]]);
  const left = await s3.send(new S3.ListObjectsV2Command({ Bucket: "pol-cross" }));
  assert.deepEqual(left.Contents.map((c) => c.Key), ["k"]);
});

test("an explicit Deny beats the owner's sub-user's CAM allow, and CAM's Deny beats the policy's Allow", async () => {
  const cam = d.cam();
  await s3.send(new S3.CreateBucketCommand({ Bucket: "pol-deny" }));
  for (const k of ["open/a", "secret/b"]) await s3.send(new S3.PutObjectCommand({ Bucket: "pol-deny", Key: k, Body: k }));
  const u = await cam.AddUser({ Name: "poluser", ConsoleLogin: 0, UseApi: 1 });
  const all = await cam.CreatePolicy({ PolicyName: "pol-cos-all", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "allow", action: ["cos:*"], resource: ["*"] }] }) });
  await cam.AttachUserPolicy({ PolicyId: all.PolicyId, AttachUin: u.Uin });
  const sub = H.s3Client(d, { SecretId: u.SecretId, SecretKey: u.SecretKey });
  assert.equal((await sub.send(new S3.GetObjectCommand({ Bucket: "pol-deny", Key: "secret/b" }))).$metadata.httpStatusCode, 200);

  await put("pol-deny", policyOf([{ Effect: "Deny", Principal: "*", Action: "s3:GetObject",
    Resource: "arn:aws:s3:::pol-deny/secret/*" }]));
  await expectS3Error(sub.send(new S3.GetObjectCommand({ Bucket: "pol-deny", Key: "secret/b" })), "AccessDenied");
  assert.equal((await sub.send(new S3.GetObjectCommand({ Bucket: "pol-deny", Key: "open/a" }))).$metadata.httpStatusCode, 200);
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "pol-deny", Key: "secret/b" })), "AccessDenied");
  const audit = d.audit(1000).filter((e) => e.Service === "cos" && e.Action === "PutBucketPolicy");
  assert.ok(audit.some((e) => e.Result === "Success"), "the change is audited");

  // a Deny of everything still lets the owner's root mend the policy, as S3
  await put("pol-deny", policyOf([{ Effect: "Deny", Principal: "*", Action: "s3:*",
    Resource: ["arn:aws:s3:::pol-deny", "arn:aws:s3:::pol-deny/*"] }]));
  await expectS3Error(s3.send(new S3.ListObjectsV2Command({ Bucket: "pol-deny" })), "AccessDenied");
  await s3.send(new S3.GetBucketPolicyCommand({ Bucket: "pol-deny" }));
  await expectS3Error(sub.send(new S3.DeleteBucketPolicyCommand({ Bucket: "pol-deny" })), "AccessDenied");
  await s3.send(new S3.DeleteBucketPolicyCommand({ Bucket: "pol-deny" }));
  assert.equal((await s3.send(new S3.ListObjectsV2Command({ Bucket: "pol-deny" }))).KeyCount, 2);

  // the other way round: the policy allows the user, its own CAM denies
  const u2 = await cam.AddUser({ Name: "poldenied", ConsoleLogin: 0, UseApi: 1 });
  const deny = await cam.CreatePolicy({ PolicyName: "pol-deny-get", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "deny", action: ["cos:GetObject"], resource: ["*"] }] }) });
  await cam.AttachUserPolicy({ PolicyId: deny.PolicyId, AttachUin: u2.Uin });
  const sub2 = H.s3Client(d, { SecretId: u2.SecretId, SecretKey: u2.SecretKey });
  await put("pol-deny", policyOf([{ Effect: "Allow", Principal: { AWS: [`arn:aws:iam::${d.creds.Uin}:user/${u2.Uin}`,
    `arn:aws:iam::${d.creds.Uin}:user/${u.Uin}`] }, Action: ["s3:GetObject", "s3:ListBucket"],
  Resource: ["arn:aws:s3:::pol-deny", "arn:aws:s3:::pol-deny/*"] }]));
  await expectS3Error(sub2.send(new S3.GetObjectCommand({ Bucket: "pol-deny", Key: "open/a" })), "AccessDenied");
  assert.equal((await sub2.send(new S3.ListObjectsV2Command({ Bucket: "pol-deny" }))).KeyCount, 2,
    "the policy grants the user what its CAM does not deny");
});

test("aws:SourceIp: the peer address decides", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "pol-ip" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "pol-ip", Key: "k", Body: "v" }));
  const allowFrom = (cidr) => policyOf([{ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject",
    Resource: "arn:aws:s3:::pol-ip/*", Condition: { IpAddress: { "aws:SourceIp": cidr } } }]);
  await put("pol-ip", allowFrom("127.0.0.0/8"));
  assert.equal((await anonGet("pol-ip", "k")).status, 200);
  let st = await s3.send(new S3.GetBucketPolicyStatusCommand({ Bucket: "pol-ip" }));
  assert.equal(st.PolicyStatus.IsPublic, false, "an address condition makes it not public");
  await put("pol-ip", allowFrom(["10.0.0.0/8", "192.168.0.0/16"]));
  assert.equal((await anonGet("pol-ip", "k")).status, 403);
  // a Deny from everywhere but the office network: the owner too
  await put("pol-ip", policyOf([{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::pol-ip/*",
    Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }]));
  await expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "pol-ip", Key: "k" })), "AccessDenied");
  await s3.send(new S3.DeleteBucketPolicyCommand({ Bucket: "pol-ip" }));
  st = await s3.send(new S3.GetBucketPolicyStatusCommand({ Bucket: "pol-ip" }));
  assert.equal(st.PolicyStatus.IsPublic, false);
});

test("a bad policy is MalformedPolicy with a reason, audited, and nothing is stored", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "pol-bad" }));
  const good = policyOf([{ Effect: "Allow", Principal: { AWS: alt.Uin }, Action: "s3:GetObject", Resource: "arn:aws:s3:::pol-bad/*" }]);
  await put("pol-bad", good);
  const bad = [
    ["{not json", /invalid Json/],
    [policyOf([{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::pol-bad/*" }]), /Principal/],
    [policyOf([{ Effect: "Allow", Principal: "*", Action: "s3:NoSuchThing*", Resource: "arn:aws:s3:::pol-bad/*" }]), /action/],
    [policyOf([{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::someone-else/*" }]), /resource/],
    [policyOf([{ Effect: "Allow", NotPrincipal: { AWS: alt.Uin }, Action: "s3:GetObject", Resource: "arn:aws:s3:::pol-bad/*" }]), /NotPrincipal/],
    [policyOf([{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::pol-bad/*",
      Condition: { StringEquals: { "aws:NoSuchKey": "x" } } }]), /not supported/],
    [policyOf([{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::pol-bad/*",
      Sid: "x".repeat(21 * 1024) }]), /larger/],
  ];
  for (const [doc, reason] of bad) {
    const e = await expectS3Error(put("pol-bad", doc), "MalformedPolicy");
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.match(e.message, reason);
  }
  assert.equal((await s3.send(new S3.GetBucketPolicyCommand({ Bucket: "pol-bad" }))).Policy, good, "the old policy stays");
  const refused = d.audit(1000).filter((e) => e.Service === "cos" && e.Action === "PutBucketPolicy" && e.Result === "MalformedPolicy");
  assert.equal(refused.length, bad.length, "every refusal is audited");
});

test("public access block: BlockPublicPolicy refuses a public policy, RestrictPublicBuckets stops its grants", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "pol-block" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "pol-block", Key: "k", Body: "v" }));
  const pub = policyOf([{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::pol-block/*" }]);
  const block = (BlockPublicPolicy, RestrictPublicBuckets) => s3.send(new S3.PutPublicAccessBlockCommand({ Bucket: "pol-block",
    PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy, RestrictPublicBuckets } }));
  await block(true, false);
  await expectS3Error(put("pol-block", pub), "AccessDenied");
  await expectS3Error(s3.send(new S3.GetBucketPolicyCommand({ Bucket: "pol-block" })), "NoSuchBucketPolicy");
  const narrow = policyOf([{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${alt.Uin}:root` }, Action: "s3:GetObject",
    Resource: "arn:aws:s3:::pol-block/*" }]);
  await put("pol-block", narrow);
  const other = H.s3Client(d, alt);
  assert.equal((await other.send(new S3.GetObjectCommand({ Bucket: "pol-block", Key: "k" }))).$metadata.httpStatusCode, 200);

  await block(false, false);
  await put("pol-block", pub);
  assert.equal((await anonGet("pol-block", "k")).status, 200);
  await block(false, true);
  assert.equal((await anonGet("pol-block", "k")).status, 403, "RestrictPublicBuckets");
  await expectS3Error(other.send(new S3.GetObjectCommand({ Bucket: "pol-block", Key: "k" })), "AccessDenied");
  assert.equal((await s3.send(new S3.GetObjectCommand({ Bucket: "pol-block", Key: "k" }))).$metadata.httpStatusCode, 200);
  await s3.send(new S3.DeletePublicAccessBlockCommand({ Bucket: "pol-block" }));
  assert.equal((await anonGet("pol-block", "k")).status, 200);
});

test("COS: putBucketPolicy with qcs principals, name/cos: actions and qcs resources", async () => {
  const Bucket = "polcos-1250000000";
  const cosClient = (creds) => new COS({ SecretId: creds.SecretId, SecretKey: creds.SecretKey, Protocol: "http:",
    Ip: `127.0.0.1:${d.objectPort}`, Domain: `{Bucket}.${H.COS_DOMAIN}`, AutoSwitchHost: false });
  const owner = d.createAccount("policy-cos"); /* create-account tells its AppId */
  const cos = cosClient(owner), cosAlt = cosClient(alt);
  const call = (c, method, params) => new Promise((resolve, reject) =>
    c[method]({ Bucket, Region: "ap-guangzhou", ...params }, (err, data) => (err ? reject(err) : resolve(data))));
  await call(cos, "putBucket", {});
  await call(cos, "putObject", { Key: "doc/a.txt", Body: "cos body" });
  const loc = await H.s3Client(d, owner).send(new S3.GetBucketLocationCommand({ Bucket }));
  const region = loc.LocationConstraint || "us-east-1";
  const appId = owner.AppId;
  const Policy = { version: "2.0", statement: [
    { principal: { qcs: [`qcs::cam::uin/${alt.Uin}:uin/${alt.Uin}`] }, effect: "allow", action: ["name/cos:GetObject"],
      resource: [`qcs::cos:${region}:uid/${appId}:${Bucket}/doc/*`] },
    { principal: { qcs: ["qcs::cam::anyone:anyone"] }, effect: "allow", action: ["cos:HeadObject"],
      resource: [`qcs::cos:${region}:uid/${appId}:${Bucket}/*`] },
  ] };
  await assert.rejects(call(cosAlt, "getObject", { Key: "doc/a.txt" }), (e) => e.statusCode === 403);
  const r = await call(cos, "putBucketPolicy", { Policy });
  assert.equal(r.statusCode, 204);
  const back = await call(cos, "getBucketPolicy", {});
  assert.deepEqual(back.Policy, Policy);
  const got = await call(cosAlt, "getObject", { Key: "doc/a.txt" });
  assert.equal(Buffer.from(got.Body).toString(), "cos body");
  const head = await H.rawRequest(d, { method: "HEAD", path: `/${Bucket}/doc/a.txt` });
  assert.equal(head.status, 200, "anyone may HEAD (cos:HeadObject)");
  assert.equal((await anonGet(Bucket, "doc/a.txt")).status, 403, "but not GET");
  await assert.rejects(call(cos, "putBucketPolicy", { Policy: { version: "2.0", statement: [{ effect: "allow",
    action: ["name/cos:GetObject"], resource: ["*"] }] } }), (e) => e.statusCode === 400 && e.code === "MalformedPolicy");
  await call(cos, "deleteBucketPolicy", {});
  await assert.rejects(call(cosAlt, "getObject", { Key: "doc/a.txt" }), (e) => e.statusCode === 403);
});
