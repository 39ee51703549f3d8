/*
 * Grant-based ACLs and object ownership through the real clients (@aws-sdk/client-s3 and
 * cos-nodejs-sdk-v5): grants to another account by x-amz-grant-* header and by AccessControlPolicy
 * body, the AllUsers group, refused grantees (unknown id, email) changing nothing, an object
 * written by another account owned by its writer (the bucket owner reads it only when granted,
 * bucket-owner-full-control), ownership controls and BucketOwnerEnforced, x-cos-grant-* with
 * qcs::cam ids.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const COS = require("cos-nodejs-sdk-v5");
const S3 = require("@aws-sdk/client-s3");
const H = require("./lib/object_harness");

let d, s3, other, s3o, third, s3t;

before(async () => {
  d = await H.startObjectDaemon();
  s3 = H.s3Client(d);
  other = d.createAccount("acl-other");
  s3o = H.s3Client(d, other);
  third = d.createAccount("acl-third");
  s3t = H.s3Client(d, third);
});
after(async () => { if (d) await d.destroy(); });

const owner = () => String(d.creds.Uin);
const grantsOf = (acl) => acl.Grants.map((g) => `${g.Grantee.Type}:${g.Grantee.ID || g.Grantee.URI}:${g.Permission}`);
const text = async (p) => Buffer.from(await (await p).Body.transformToByteArray()).toString();
const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

test("x-amz-grant-read by header: the grantee reads the object, nobody else; the ACL lists the grant", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "granted" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "granted", Key: "o", Body: "hello", GrantRead: `id="${other.Uin}"` }));
  assert.equal(await text(s3o.send(new S3.GetObjectCommand({ Bucket: "granted", Key: "o" }))), "hello");
  await H.expectS3Error(s3t.send(new S3.GetObjectCommand({ Bucket: "granted", Key: "o" })), "AccessDenied");
  // READ of the object is not READ_ACP, nor WRITE of the bucket
  await H.expectS3Error(s3o.send(new S3.GetObjectAclCommand({ Bucket: "granted", Key: "o" })), "AccessDenied");
  await H.expectS3Error(s3o.send(new S3.PutObjectCommand({ Bucket: "granted", Key: "x", Body: "x" })), "AccessDenied");
  const acl = await s3.send(new S3.GetObjectAclCommand({ Bucket: "granted", Key: "o" }));
  assert.equal(acl.Owner.ID, owner());
  assert.deepEqual(grantsOf(acl), [`CanonicalUser:${other.Uin}:READ`]);
  // the owner still reads its own object and its ACL (S3: the owner keeps READ_ACP/WRITE_ACP)
  assert.equal(await text(s3.send(new S3.GetObjectCommand({ Bucket: "granted", Key: "o" }))), "hello");
  // a bucket grant by header on CreateBucket: the grantee lists the bucket
  await s3.send(new S3.CreateBucketCommand({ Bucket: "listed", GrantRead: `id=${other.Uin}`, GrantReadACP: `id="${other.Uin}"` }));
  await s3o.send(new S3.ListObjectsV2Command({ Bucket: "listed" }));
  assert.deepEqual(grantsOf(await s3o.send(new S3.GetBucketAclCommand({ Bucket: "listed" }))),
    [`CanonicalUser:${other.Uin}:READ`, `CanonicalUser:${other.Uin}:READ_ACP`]);
  await H.expectS3Error(s3t.send(new S3.ListObjectsV2Command({ Bucket: "listed" })), "AccessDenied");
  // CopyObject and CreateMultipartUpload take grant headers too
  await s3.send(new S3.CopyObjectCommand({ Bucket: "granted", Key: "copied", CopySource: "granted/o", GrantRead: `id="${third.Uin}"` }));
  assert.equal(await text(s3t.send(new S3.GetObjectCommand({ Bucket: "granted", Key: "copied" }))), "hello");
  await H.expectS3Error(s3o.send(new S3.GetObjectCommand({ Bucket: "granted", Key: "copied" })), "AccessDenied");
  const mpu = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "granted", Key: "mp", GrantFullControl: `id="${third.Uin}"` }));
  const part = await s3.send(new S3.UploadPartCommand({ Bucket: "granted", Key: "mp", UploadId: mpu.UploadId, PartNumber: 1, Body: "mp" }));
  await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "granted", Key: "mp", UploadId: mpu.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
  assert.deepEqual(grantsOf(await s3t.send(new S3.GetObjectAclCommand({ Bucket: "granted", Key: "mp" }))),
    [`CanonicalUser:${third.Uin}:FULL_CONTROL`]);
  // a missing key's ACL: NoSuchKey to the owner, AccessDenied to anyone else
  await H.expectS3Error(s3.send(new S3.GetObjectAclCommand({ Bucket: "granted", Key: "nope" })), "NoSuchKey");
  await H.expectS3Error(s3o.send(new S3.GetObjectAclCommand({ Bucket: "granted", Key: "nope" })), "AccessDenied");
  await H.expectS3Error(s3o.send(new S3.PutObjectAclCommand({ Bucket: "granted", Key: "nope", ACL: "private" })), "AccessDenied");
});

test("a grant to another account: its sub-users also need their own CAM policy", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "subs" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "subs", Key: "o", Body: "for the account", GrantRead: `id="${other.Uin}"` }));
  const cam = d.cam(other);
  const u = await cam.AddUser({ Name: "acl-sub", ConsoleLogin: 0, UseApi: 1 });
  const sub = H.s3Client(d, { SecretId: u.SecretId, SecretKey: u.SecretKey });
  await H.expectS3Error(sub.send(new S3.GetObjectCommand({ Bucket: "subs", Key: "o" })), "AccessDenied");
  const p = await cam.CreatePolicy({ PolicyName: "read-any-cos", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "allow", action: ["cos:GetObject"], resource: ["*"] }] }) });
  await cam.AttachUserPolicy({ PolicyId: p.PolicyId, AttachUin: u.Uin });
  assert.equal(await text(sub.send(new S3.GetObjectCommand({ Bucket: "subs", Key: "o" }))), "for the account");
  // the policy allows, the ACL does not: still refused
  await s3.send(new S3.PutObjectCommand({ Bucket: "subs", Key: "closed", Body: "x" }));
  await H.expectS3Error(sub.send(new S3.GetObjectCommand({ Bucket: "subs", Key: "closed" })), "AccessDenied");
});

test("AccessControlPolicy body: READ to another account, WRITE to it on the bucket, revoking it", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "bodyacl" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "bodyacl", Key: "o", Body: "data" }));
  const policy = (grants) => ({ Owner: { ID: owner() }, Grants: [
    { Grantee: { Type: "CanonicalUser", ID: owner() }, Permission: "FULL_CONTROL" }, ...grants] });
  await s3.send(new S3.PutObjectAclCommand({ Bucket: "bodyacl", Key: "o", AccessControlPolicy: policy([
    { Grantee: { Type: "CanonicalUser", ID: other.Uin }, Permission: "READ" }]) }));
  assert.equal(await text(s3o.send(new S3.GetObjectCommand({ Bucket: "bodyacl", Key: "o" }))), "data");
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "bodyacl", AccessControlPolicy: policy([
    { Grantee: { Type: "CanonicalUser", ID: other.Uin }, Permission: "WRITE" }]) }));
  await s3o.send(new S3.PutObjectCommand({ Bucket: "bodyacl", Key: "by-other", Body: "x" }));
  assert.deepEqual(grantsOf(await s3.send(new S3.GetBucketAclCommand({ Bucket: "bodyacl" }))),
    [`CanonicalUser:${owner()}:FULL_CONTROL`, `CanonicalUser:${other.Uin}:WRITE`]);
  // revoked: back to the owner alone
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "bodyacl", AccessControlPolicy: policy([]) }));
  await H.expectS3Error(s3o.send(new S3.PutObjectCommand({ Bucket: "bodyacl", Key: "again", Body: "x" })), "AccessDenied");
});

test("group AllUsers READ: anonymous reads; IgnorePublicAcls voids it; BlockPublicAcls refuses it", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "grouped" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "grouped", Key: "pub", Body: "open", GrantRead: `uri="${ALL_USERS}"` }));
  const r = await H.fetchUrl(`${d.objectEndpoint}/grouped/pub`);
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), "open");
  const acl = await s3.send(new S3.GetObjectAclCommand({ Bucket: "grouped", Key: "pub" }));
  assert.deepEqual(grantsOf(acl), [`Group:${ALL_USERS}:READ`]);
  await s3.send(new S3.PutPublicAccessBlockCommand({ Bucket: "grouped", PublicAccessBlockConfiguration: {
    BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } }));
  assert.equal((await H.fetchUrl(`${d.objectEndpoint}/grouped/pub`)).status, 403);
  await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "grouped", Key: "pub2", Body: "x",
    GrantRead: `uri="${ALL_USERS}"` })), "AccessDenied");
  await H.expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "grouped", Key: "pub2" })), "NotFound");
});

test("unknown id, email grantee, canned ACL with grants, bad grant header: refused, nothing changed", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "refused" }));
  await s3.send(new S3.PutObjectCommand({ Bucket: "refused", Key: "o", Body: "v1" }));
  const before = grantsOf(await s3.send(new S3.GetBucketAclCommand({ Bucket: "refused" })));
  const bad = [
    [{ GrantRead: 'id="999999999999"' }, "InvalidArgument"],
    [{ GrantRead: 'emailAddress="someone@example.com"' }, "UnresolvableGrantByEmailAddress"],
    [{ GrantRead: "nonsense" }, "InvalidArgument"],
    [{ GrantRead: 'uri="http://example.com/groups/Mine"' }, "InvalidArgument"],
    [{ ACL: "public-read", GrantRead: `id="${other.Uin}"` }, "InvalidRequest"],
  ];
  for (const [h, code] of bad) {
    await H.expectS3Error(s3.send(new S3.PutBucketAclCommand({ Bucket: "refused", ...h })), code);
    await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "refused", Key: "o", Body: "v2", ...h })), code);
    await H.expectS3Error(s3.send(new S3.CreateBucketCommand({ Bucket: "refused-new", ...h })), code);
  }
  await H.expectS3Error(s3.send(new S3.PutBucketAclCommand({ Bucket: "refused", AccessControlPolicy: {
    Owner: { ID: owner() }, Grants: [{ Grantee: { Type: "CanonicalUser", ID: "_foo" }, Permission: "READ" }] } })), "InvalidArgument");
  await H.expectS3Error(s3.send(new S3.PutBucketAclCommand({ Bucket: "refused", AccessControlPolicy: {
    Owner: { ID: owner() }, Grants: [{ Grantee: { Type: "AmazonCustomerByEmail", EmailAddress: "a@b.c" }, Permission: "READ" }] } })),
  "UnresolvableGrantByEmailAddress");
  await H.expectS3Error(s3.send(new S3.PutBucketAclCommand({ Bucket: "refused", AccessControlPolicy: {
    Owner: { ID: owner() }, Grants: [{ Grantee: { Type: "CanonicalUser", ID: other.Uin }, Permission: "EVERYTHING" }] } })),
  "MalformedACLError");
  await H.expectS3Error(s3.send(new S3.PutObjectAclCommand({ Bucket: "refused", Key: "o", AccessControlPolicy: {
    Owner: { ID: owner() }, Grants: [{ Grantee: { Type: "Group", URI: "http://example.com/mine" }, Permission: "READ" }] } })),
  "InvalidArgument");
  assert.deepEqual(grantsOf(await s3.send(new S3.GetBucketAclCommand({ Bucket: "refused" }))), before);
  assert.deepEqual(grantsOf(await s3.send(new S3.GetObjectAclCommand({ Bucket: "refused", Key: "o" }))),
    [`CanonicalUser:${owner()}:FULL_CONTROL`]);
  assert.equal(await text(s3.send(new S3.GetObjectCommand({ Bucket: "refused", Key: "o" }))), "v1");
  await H.expectS3Error(s3.send(new S3.HeadBucketCommand({ Bucket: "refused-new" })), "NotFound");
});

test("an object written by another account is its writer's: the bucket owner reads it only when granted", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "shared", GrantWrite: `id="${other.Uin}"` }));
  await s3o.send(new S3.PutObjectCommand({ Bucket: "shared", Key: "theirs", Body: "mine" }));
  const list = await s3.send(new S3.ListObjectsV2Command({ Bucket: "shared", FetchOwner: true }));
  assert.equal(list.Contents[0].Owner.ID, other.Uin);
  await H.expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "shared", Key: "theirs" })), "AccessDenied");
  await H.expectS3Error(s3.send(new S3.GetObjectAclCommand({ Bucket: "shared", Key: "theirs" })), "AccessDenied");
  const acl = await s3o.send(new S3.GetObjectAclCommand({ Bucket: "shared", Key: "theirs" }));
  assert.equal(acl.Owner.ID, other.Uin);
  assert.deepEqual(grantsOf(acl), [`CanonicalUser:${other.Uin}:FULL_CONTROL`]);
  // bucket-owner-full-control: the bucket owner gets FULL_CONTROL, the writer stays the owner
  await s3o.send(new S3.PutObjectCommand({ Bucket: "shared", Key: "given", Body: "yours", ACL: "bucket-owner-full-control" }));
  assert.equal(await text(s3.send(new S3.GetObjectCommand({ Bucket: "shared", Key: "given" }))), "yours");
  assert.deepEqual(grantsOf(await s3.send(new S3.GetObjectAclCommand({ Bucket: "shared", Key: "given" }))),
    [`CanonicalUser:${other.Uin}:FULL_CONTROL`, `CanonicalUser:${owner()}:FULL_CONTROL`]);
  // the writer grants the bucket owner READ later
  await s3o.send(new S3.PutObjectAclCommand({ Bucket: "shared", Key: "theirs", ACL: "bucket-owner-read" }));
  assert.equal(await text(s3.send(new S3.GetObjectCommand({ Bucket: "shared", Key: "theirs" }))), "mine");
  // a multipart upload by the other account: its owner from the start (ListParts), and the object's
  const mpu = await s3o.send(new S3.CreateMultipartUploadCommand({ Bucket: "shared", Key: "parts" }));
  const part = await s3o.send(new S3.UploadPartCommand({ Bucket: "shared", Key: "parts", UploadId: mpu.UploadId,
    PartNumber: 1, Body: "only part" }));
  assert.equal((await s3o.send(new S3.ListPartsCommand({ Bucket: "shared", Key: "parts", UploadId: mpu.UploadId }))).Owner.ID,
    other.Uin);
  await s3o.send(new S3.CompleteMultipartUploadCommand({ Bucket: "shared", Key: "parts", UploadId: mpu.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
  assert.equal((await s3o.send(new S3.GetObjectAclCommand({ Bucket: "shared", Key: "parts" }))).Owner.ID, other.Uin);
  await H.expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "shared", Key: "parts" })), "AccessDenied");
  // the bucket owner may still delete what is in its bucket
  await s3.send(new S3.DeleteObjectCommand({ Bucket: "shared", Key: "theirs" }));
  await H.expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "shared", Key: "theirs" })), "NotFound");
});

test("ownership controls: put/get/delete; BucketOwnerEnforced disables ACLs and makes the bucket owner own", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "enforced", ObjectOwnership: "BucketOwnerEnforced" }));
  const get = await s3.send(new S3.GetBucketOwnershipControlsCommand({ Bucket: "enforced" }));
  assert.equal(get.OwnershipControls.Rules[0].ObjectOwnership, "BucketOwnerEnforced");
  await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "enforced", Key: "o", Body: "x", ACL: "public-read" })),
    "AccessControlListNotSupported");
  await H.expectS3Error(s3.send(new S3.PutBucketAclCommand({ Bucket: "enforced", GrantWrite: `id="${other.Uin}"` })),
    "AccessControlListNotSupported");
  await H.expectS3Error(s3.send(new S3.PutObjectCommand({ Bucket: "enforced", Key: "o", Body: "x", ACL: "private" })),
    "AccessControlListNotSupported"); // as S3 (s3-tests _test_object_ownership_bucket_owner_enforced)
  await s3.send(new S3.PutObjectCommand({ Bucket: "enforced", Key: "o", Body: "x", ACL: "bucket-owner-full-control" }));
  // a document granting the owner FULL_CONTROL alone is taken
  await s3.send(new S3.PutObjectAclCommand({ Bucket: "enforced", Key: "o", AccessControlPolicy: { Owner: { ID: owner() },
    Grants: [{ Grantee: { Type: "CanonicalUser", ID: owner() }, Permission: "FULL_CONTROL" }] } }));
  await H.expectS3Error(s3.send(new S3.CreateBucketCommand({ Bucket: "enforced-acl", ObjectOwnership: "BucketOwnerEnforced",
    ACL: "public-read" })), "InvalidBucketAclWithObjectOwnership");
  // a bucket with another account's object: enforcing makes it the bucket owner's
  await s3.send(new S3.CreateBucketCommand({ Bucket: "later", GrantWrite: `id="${other.Uin}"` }));
  await s3o.send(new S3.PutObjectCommand({ Bucket: "later", Key: "theirs", Body: "t" }));
  await H.expectS3Error(s3.send(new S3.GetObjectCommand({ Bucket: "later", Key: "theirs" })), "AccessDenied");
  await H.expectS3Error(s3.send(new S3.PutBucketOwnershipControlsCommand({ Bucket: "later",
    OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } })), "InvalidBucketAclWithObjectOwnership");
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "later", ACL: "private" }));
  await s3.send(new S3.PutBucketOwnershipControlsCommand({ Bucket: "later",
    OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } }));
  assert.equal(await text(s3.send(new S3.GetObjectCommand({ Bucket: "later", Key: "theirs" }))), "t");
  assert.equal((await s3.send(new S3.GetObjectAclCommand({ Bucket: "later", Key: "theirs" }))).Owner.ID, owner());
  await H.expectS3Error(s3o.send(new S3.GetObjectCommand({ Bucket: "later", Key: "theirs" })), "AccessDenied");
  await s3.send(new S3.DeleteBucketOwnershipControlsCommand({ Bucket: "later" }));
  await H.expectS3Error(s3.send(new S3.GetBucketOwnershipControlsCommand({ Bucket: "later" })), "OwnershipControlsNotFoundError");
  await H.expectS3Error(s3.send(new S3.PutBucketOwnershipControlsCommand({ Bucket: "later",
    OwnershipControls: { Rules: [{ ObjectOwnership: "Nobody" }] } })), "MalformedXML");
  // BucketOwnerPreferred: bucket-owner-full-control hands the object to the bucket owner
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "later", GrantWrite: `id="${other.Uin}"` }));
  await s3.send(new S3.PutBucketOwnershipControlsCommand({ Bucket: "later",
    OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } }));
  await s3o.send(new S3.PutObjectCommand({ Bucket: "later", Key: "handed", Body: "h", ACL: "bucket-owner-full-control" }));
  assert.equal((await s3.send(new S3.GetObjectAclCommand({ Bucket: "later", Key: "handed" }))).Owner.ID, owner());
});

test("COS: x-cos-grant-read with a qcs::cam id, the ACL in COS's form", async () => {
  const cosClient = (creds) => new COS({ SecretId: creds.SecretId, SecretKey: creds.SecretKey, Protocol: "http:",
    Ip: `127.0.0.1:${d.objectPort}`, Domain: `{Bucket}.${H.DOMAIN}`, AutoSwitchHost: false });
  const cos = cosClient(d.creds), coso = cosClient(other);
  const Bucket = "cosacl-1250000000", Region = "ap-guangzhou";
  const call = (c, method, params) => new Promise((resolve, reject) =>
    c[method]({ Bucket, Region, ...params }, (err, data) => (err ? reject(err) : resolve(data))));
  await call(cos, "putBucket", {});
  const qcs = `qcs::cam::uin/${other.Uin}:uin/${other.Uin}`;
  await call(cos, "putObject", { Key: "o", Body: "cos", GrantRead: `id="${qcs}"` });
  const got = await call(coso, "getObject", { Key: "o" });
  assert.equal(Buffer.from(got.Body).toString(), "cos");
  const acl = await call(cos, "getObjectAcl", { Key: "o" });
  assert.equal(acl.Owner.ID, `qcs::cam::uin/${d.creds.Uin}:uin/${d.creds.Uin}`);
  assert.deepEqual(acl.Grants.map((g) => `${g.Grantee.ID}:${g.Permission}`), [`${qcs}:READ`]);
  assert.equal(acl.GrantRead, `id="${qcs}"`);
  await assert.rejects(call(cos, "putObjectAcl", { Key: "o", GrantRead: 'id="qcs::cam::uin/999999999:uin/999999999"' }),
    (e) => e.code === "InvalidArgument" || e.error?.Code === "InvalidArgument");
  await call(cos, "putBucketAcl", { GrantRead: `id="${qcs}"` });
  await call(coso, "getBucket", {});
  // COS's AccessControlPolicy document: qcs ids, the anyone group
  const me = `qcs::cam::uin/${d.creds.Uin}:uin/${d.creds.Uin}`;
  await call(cos, "putObject", { Key: "doc", Body: "by document" });
  await call(cos, "putObjectAcl", { Key: "doc", Headers: {}, AccessControlPolicy: { Owner: { ID: me },
    Grants: [{ Grantee: { ID: me }, Permission: "FULL_CONTROL" }, { Grantee: { ID: "qcs::cam::anyone:anyone" }, Permission: "READ" }] } });
  const doc = await call(cos, "getObjectAcl", { Key: "doc" });
  assert.equal(doc.ACL, "public-read"); // the SDK reads COS's AllUsers URI
  const r = await H.fetchUrl(`http://127.0.0.1:${d.objectPort}/doc`, { headers: { host: `${Bucket}.${H.DOMAIN}` } });
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), "by document");
});
