/*
 * S3 Object Lock through @aws-sdk/client-s3 on a daemon started with --test-clock: lock buckets
 * (created locked, or a versioned bucket given a configuration; versioning never suspended),
 * default retention, per-version retention (GOVERNANCE bypassed only with the header and
 * cos:BypassGovernanceRetention, COMPLIANCE by no one and never shortened) and legal holds, set by
 * headers on PutObject / CreateMultipartUpload / CopyObject and shown on HEAD; deletes by version
 * refused while locked (DeleteObject, DeleteObjects, the lifecycle job) and allowed once the
 * business clock is past the date; a delete without a version id still makes a delete marker;
 * every refusal audited.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const S3 = require("@aws-sdk/client-s3");
const H = require("./lib/object_harness");

let d, s3;
const { expectS3Error } = H;
const DAY = 86400;

function sql(q) {
  const r = spawnSync("sqlite3", ["-readonly", "-json", path.join(d.dataDir, "yun.db"), q], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}
const advance = (dur) => JSON.parse(d.admin("clock", "--advance", dur)).Unix;
const now = () => JSON.parse(d.admin("clock")).Unix;
/* A date `s` seconds after the daemon's (business) clock, to the second. */
const after_ = (s) => new Date((now() + s) * 1000);
const lockBucket = (Bucket) => s3.send(new S3.CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
const put = (Bucket, Key, extra = {}) => s3.send(new S3.PutObjectCommand({ Bucket, Key, Body: "data", ...extra }));
const del = (Bucket, Key, VersionId, extra = {}) =>
  s3.send(new S3.DeleteObjectCommand({ Bucket, Key, VersionId, ...extra }));
const retention = (Bucket, Key, VersionId) =>
  s3.send(new S3.GetObjectRetentionCommand({ Bucket, Key, VersionId })).then((r) => r.Retention);

before(async () => {
  d = await H.startObjectDaemon({ args: ["--test-clock"] });
  s3 = H.s3Client(d);
});
after(async () => { if (d) await d.destroy(); });

test("lock buckets: created locked or enabled on a versioned bucket; default retention validated as S3", async () => {
  await lockBucket("lk-conf");
  const v = await s3.send(new S3.GetBucketVersioningCommand({ Bucket: "lk-conf" }));
  assert.equal(v.Status, "Enabled", "a lock bucket is versioned");
  let got = await s3.send(new S3.GetObjectLockConfigurationCommand({ Bucket: "lk-conf" }));
  assert.deepEqual(got.ObjectLockConfiguration, { ObjectLockEnabled: "Enabled" });
  await expectS3Error(s3.send(new S3.PutBucketVersioningCommand({ Bucket: "lk-conf",
    VersioningConfiguration: { Status: "Suspended" } })), "InvalidBucketState");
  const conf = { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } } };
  await s3.send(new S3.PutObjectLockConfigurationCommand({ Bucket: "lk-conf", ObjectLockConfiguration: conf }));
  got = await s3.send(new S3.GetObjectLockConfigurationCommand({ Bucket: "lk-conf" }));
  assert.deepEqual(got.ObjectLockConfiguration, conf);
  const bad = [
    [{ DefaultRetention: { Mode: "GOVERNANCE", Days: 1, Years: 1 } }, "MalformedXML"],
    [{ DefaultRetention: { Mode: "GOVERNANCE", Days: 0 } }, "InvalidRetentionPeriod"],
    [{ DefaultRetention: { Mode: "COMPLIANCE", Years: -1 } }, "InvalidRetentionPeriod"],
    [{ DefaultRetention: { Mode: "governance", Days: 1 } }, "MalformedXML"],
    [{ DefaultRetention: { Mode: "GOVERNANCE" } }, "MalformedXML"],
  ];
  for (const [Rule, code] of bad)
    await expectS3Error(s3.send(new S3.PutObjectLockConfigurationCommand({ Bucket: "lk-conf",
      ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule } })), code);
  await expectS3Error(s3.send(new S3.PutObjectLockConfigurationCommand({ Bucket: "lk-conf",
    ObjectLockConfiguration: { ObjectLockEnabled: "Disabled" } })), "MalformedXML");
  got = await s3.send(new S3.GetObjectLockConfigurationCommand({ Bucket: "lk-conf" }));
  assert.deepEqual(got.ObjectLockConfiguration, conf, "refused configurations change nothing");

  // the default retention is what a new version gets when its request names none
  const t = now();
  const p = await put("lk-conf", "dflt");
  const r = await retention("lk-conf", "dflt");
  assert.equal(r.Mode, "GOVERNANCE");
  const until = r.RetainUntilDate.getTime() / 1000;
  assert.ok(until >= t + DAY - 1 && until <= now() + DAY + 1, `one day after the write: ${r.RetainUntilDate}`);
  await expectS3Error(del("lk-conf", "dflt", p.VersionId), "AccessDenied");
  await del("lk-conf", "dflt", p.VersionId, { BypassGovernanceRetention: true });

  // an unversioned or suspended bucket cannot take one; a versioned one can
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lk-later" }));
  const pre = await put("lk-later", "before");
  await expectS3Error(s3.send(new S3.GetObjectLockConfigurationCommand({ Bucket: "lk-later" })),
    "ObjectLockConfigurationNotFoundError");
  for (const call of [
    () => s3.send(new S3.PutObjectLockConfigurationCommand({ Bucket: "lk-later", ObjectLockConfiguration: conf })),
  ]) await expectS3Error(call(), "InvalidBucketState");
  await s3.send(new S3.PutBucketVersioningCommand({ Bucket: "lk-later", VersioningConfiguration: { Status: "Suspended" } }));
  await expectS3Error(s3.send(new S3.PutObjectLockConfigurationCommand({ Bucket: "lk-later",
    ObjectLockConfiguration: conf })), "InvalidBucketState");
  // not a lock bucket: the object lock operations and headers are InvalidRequest, nothing stored
  await expectS3Error(s3.send(new S3.PutObjectRetentionCommand({ Bucket: "lk-later", Key: "before",
    Retention: { Mode: "GOVERNANCE", RetainUntilDate: after_(DAY) } })), "InvalidRequest");
  await expectS3Error(s3.send(new S3.GetObjectRetentionCommand({ Bucket: "lk-later", Key: "before" })), "InvalidRequest");
  await expectS3Error(s3.send(new S3.PutObjectLegalHoldCommand({ Bucket: "lk-later", Key: "before",
    LegalHold: { Status: "ON" } })), "InvalidRequest");
  await expectS3Error(s3.send(new S3.GetObjectLegalHoldCommand({ Bucket: "lk-later", Key: "before" })), "InvalidRequest");
  await expectS3Error(put("lk-later", "locked", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: after_(DAY) }),
    "InvalidRequest");
  await expectS3Error(s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "lk-later", Key: "mp",
    ObjectLockLegalHoldStatus: "ON" })), "InvalidRequest");
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "lk-later", Key: "locked" })), "NotFound");
  await s3.send(new S3.PutBucketVersioningCommand({ Bucket: "lk-later", VersioningConfiguration: { Status: "Enabled" } }));
  await s3.send(new S3.PutObjectLockConfigurationCommand({ Bucket: "lk-later", ObjectLockConfiguration: conf }));
  await expectS3Error(s3.send(new S3.PutBucketVersioningCommand({ Bucket: "lk-later",
    VersioningConfiguration: { Status: "Suspended" } })), "InvalidBucketState");
  // a version from before the bucket was locked can be locked now
  await s3.send(new S3.PutObjectLegalHoldCommand({ Bucket: "lk-later", Key: "before", VersionId: "null",
    LegalHold: { Status: "ON" } }));
  await expectS3Error(del("lk-later", "before", "null"), "AccessDenied");
  assert.equal(pre.VersionId, undefined);

  // header validation on a lock bucket
  await expectS3Error(put("lk-conf", "h", { ObjectLockMode: "GOVERNANCE" }), "InvalidArgument");
  await expectS3Error(put("lk-conf", "h", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: after_(-60) }),
    "InvalidArgument");
  await expectS3Error(s3.send(new S3.HeadObjectCommand({ Bucket: "lk-conf", Key: "h" })), "NotFound");
});

test("GOVERNANCE vs COMPLIANCE: deletes by version refused, bypass only for GOVERNANCE, markers still made", async () => {
  await lockBucket("lk-modes");
  const until = after_(DAY);
  until.setMilliseconds(0);
  const g = await put("lk-modes", "gov", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: until });
  const c = await put("lk-modes", "comp", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: until });
  const h = await s3.send(new S3.HeadObjectCommand({ Bucket: "lk-modes", Key: "comp" }));
  assert.equal(h.ObjectLockMode, "COMPLIANCE");
  assert.equal(h.ObjectLockRetainUntilDate.getTime(), until.getTime());
  assert.equal(h.ObjectLockLegalHoldStatus, undefined);
  assert.deepEqual(await retention("lk-modes", "gov"), { Mode: "GOVERNANCE", RetainUntilDate: until });

  await expectS3Error(del("lk-modes", "gov", g.VersionId), "AccessDenied");
  await expectS3Error(del("lk-modes", "comp", c.VersionId), "AccessDenied");
  await expectS3Error(del("lk-modes", "comp", c.VersionId, { BypassGovernanceRetention: true }), "AccessDenied");

  // COMPLIANCE: extended, never shortened nor turned into GOVERNANCE (not even with the bypass)
  const later = new Date(until.getTime() + DAY * 1000);
  await expectS3Error(s3.send(new S3.PutObjectRetentionCommand({ Bucket: "lk-modes", Key: "comp",
    Retention: { Mode: "COMPLIANCE", RetainUntilDate: new Date(until.getTime() - 3600e3) },
    BypassGovernanceRetention: true })), "AccessDenied");
  await expectS3Error(s3.send(new S3.PutObjectRetentionCommand({ Bucket: "lk-modes", Key: "comp",
    Retention: { Mode: "GOVERNANCE", RetainUntilDate: later }, BypassGovernanceRetention: true })), "AccessDenied");
  await s3.send(new S3.PutObjectRetentionCommand({ Bucket: "lk-modes", Key: "comp",
    Retention: { Mode: "COMPLIANCE", RetainUntilDate: later } }));
  assert.deepEqual(await retention("lk-modes", "comp"), { Mode: "COMPLIANCE", RetainUntilDate: later });

  // GOVERNANCE: shortened or made COMPLIANCE only with the bypass
  const sooner = new Date(until.getTime() - 3600e3);
  await expectS3Error(s3.send(new S3.PutObjectRetentionCommand({ Bucket: "lk-modes", Key: "gov",
    Retention: { Mode: "GOVERNANCE", RetainUntilDate: sooner } })), "AccessDenied");
  await s3.send(new S3.PutObjectRetentionCommand({ Bucket: "lk-modes", Key: "gov",
    Retention: { Mode: "GOVERNANCE", RetainUntilDate: sooner }, BypassGovernanceRetention: true }));
  assert.deepEqual(await retention("lk-modes", "gov"), { Mode: "GOVERNANCE", RetainUntilDate: sooner });

  // without a version id: a delete marker on top, the locked version kept
  const m = await del("lk-modes", "gov");
  assert.equal(m.DeleteMarker, true);
  await del("lk-modes", "gov", m.VersionId); // a marker is never locked
  const r = await del("lk-modes", "gov", g.VersionId, { BypassGovernanceRetention: true });
  assert.equal(r.VersionId, g.VersionId);
  const left = await s3.send(new S3.ListObjectVersionsCommand({ Bucket: "lk-modes" }));
  assert.deepEqual((left.Versions || []).map((x) => x.Key), ["comp"]);
  assert.equal(sql("SELECT COUNT(*) AS n FROM obj_lock WHERE bucket = 'lk-modes'")[0].n, 1, "the lock went with its version");

  // DeleteObjects: the locked version is an AccessDenied entry, the others go
  const free = await put("lk-modes", "free");
  const multi = await s3.send(new S3.DeleteObjectsCommand({ Bucket: "lk-modes", Delete: { Objects: [
    { Key: "comp", VersionId: c.VersionId }, { Key: "free", VersionId: free.VersionId }] } }));
  assert.deepEqual(multi.Deleted.map((x) => x.Key), ["free"]);
  assert.deepEqual(multi.Errors.map((x) => [x.Key, x.VersionId, x.Code]), [["comp", c.VersionId, "AccessDenied"]]);

  // refusals are audited
  const refused = d.audit(300).filter((e) => e.Action === "DeleteObject" && e.Result === "AccessDenied");
  assert.ok(refused.length >= 3, `refused deletes audited: ${refused.length}`);
  const rr = d.audit(300).filter((e) => e.Action === "PutObjectRetention").map((e) => e.Result);
  assert.ok(rr.includes("AccessDenied") && rr.includes("Success"), JSON.stringify(rr));
});

test("legal hold: by header or ?legal-hold, refuses deletes whatever the bypass until released", async () => {
  await lockBucket("lk-hold");
  const p = await put("lk-hold", "k", { ObjectLockLegalHoldStatus: "ON" });
  const h = await s3.send(new S3.HeadObjectCommand({ Bucket: "lk-hold", Key: "k" }));
  assert.equal(h.ObjectLockLegalHoldStatus, "ON");
  await expectS3Error(s3.send(new S3.GetObjectRetentionCommand({ Bucket: "lk-hold", Key: "k" })),
    "NoSuchObjectLockConfiguration");
  await expectS3Error(del("lk-hold", "k", p.VersionId, { BypassGovernanceRetention: true }), "AccessDenied");
  await expectS3Error(s3.send(new S3.PutObjectLegalHoldCommand({ Bucket: "lk-hold", Key: "k",
    LegalHold: { Status: "maybe" } })), "MalformedXML");
  await s3.send(new S3.PutObjectLegalHoldCommand({ Bucket: "lk-hold", Key: "k", LegalHold: { Status: "OFF" } }));
  const got = await s3.send(new S3.GetObjectLegalHoldCommand({ Bucket: "lk-hold", Key: "k" }));
  assert.deepEqual(got.LegalHold, { Status: "OFF" });
  await del("lk-hold", "k", p.VersionId);

  // multipart and copy take the headers too
  const mp = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "lk-hold", Key: "mp",
    ObjectLockLegalHoldStatus: "ON" }));
  const part = await s3.send(new S3.UploadPartCommand({ Bucket: "lk-hold", Key: "mp", UploadId: mp.UploadId,
    PartNumber: 1, Body: "abc" }));
  const done = await s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: "lk-hold", Key: "mp",
    UploadId: mp.UploadId, MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] } }));
  await expectS3Error(del("lk-hold", "mp", done.VersionId), "AccessDenied");
  assert.equal(sql("SELECT COUNT(*) AS n FROM obj_upload_lock")[0].n, 0, "the upload's lock went with the upload");
  const until = after_(3600);
  until.setMilliseconds(0);
  const cp = await s3.send(new S3.CopyObjectCommand({ Bucket: "lk-hold", Key: "copy", CopySource: "lk-hold/mp",
    ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: until }));
  const ch = await s3.send(new S3.HeadObjectCommand({ Bucket: "lk-hold", Key: "copy" }));
  assert.deepEqual([ch.ObjectLockMode, ch.ObjectLockRetainUntilDate.getTime(), ch.ObjectLockLegalHoldStatus],
    ["GOVERNANCE", until.getTime(), undefined], "a copy takes its request's lock, not the source's");
  await del("lk-hold", "copy", cp.VersionId, { BypassGovernanceRetention: true });
});

test("bypass needs cos:BypassGovernanceRetention: a sub-user denied it cannot delete a GOVERNANCE version", async () => {
  const cam = d.cam();
  await lockBucket("lk-perm");
  const p = await put("lk-perm", "k", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: after_(DAY) });
  const u = await cam.AddUser({ Name: "lockuser", ConsoleLogin: 0, UseApi: 1 });
  const all = await cam.CreatePolicy({ PolicyName: "lock-cos-all", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "allow", action: ["cos:*"], resource: ["*"] }] }) });
  const deny = await cam.CreatePolicy({ PolicyName: "lock-no-bypass", PolicyDocument: JSON.stringify({ version: "2.0",
    statement: [{ effect: "deny", action: ["cos:BypassGovernanceRetention"], resource: ["*"] }] }) });
  await cam.AttachUserPolicy({ PolicyId: all.PolicyId, AttachUin: u.Uin });
  await cam.AttachUserPolicy({ PolicyId: deny.PolicyId, AttachUin: u.Uin });
  const sub = H.s3Client(d, { SecretId: u.SecretId, SecretKey: u.SecretKey });
  await expectS3Error(sub.send(new S3.DeleteObjectCommand({ Bucket: "lk-perm", Key: "k", VersionId: p.VersionId,
    BypassGovernanceRetention: true })), "AccessDenied");
  await cam.DetachUserPolicy({ PolicyId: deny.PolicyId, DetachUin: u.Uin });
  await sub.send(new S3.DeleteObjectCommand({ Bucket: "lk-perm", Key: "k", VersionId: p.VersionId,
    BypassGovernanceRetention: true }));
});

test("the business clock: a version can go once past its date; lifecycle expiry skips locked versions", async () => {
  await lockBucket("lk-clock");
  await s3.send(new S3.PutBucketLifecycleConfigurationCommand({ Bucket: "lk-clock", LifecycleConfiguration: { Rules: [
    { ID: "old", Status: "Enabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] } }));
  const c = await put("lk-clock", "k", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: after_(3 * DAY) });
  const free = await put("lk-clock", "f");
  await put("lk-clock", "k"); // c is noncurrent now
  await put("lk-clock", "f"); // and so is free
  await expectS3Error(del("lk-clock", "k", c.VersionId), "AccessDenied");
  advance("2d");
  let v = await s3.send(new S3.ListObjectVersionsCommand({ Bucket: "lk-clock" }));
  const ids = (v.Versions || []).map((x) => x.VersionId);
  assert.ok(ids.includes(c.VersionId), "the locked noncurrent version is not expired");
  assert.ok(!ids.includes(free.VersionId), "the unlocked noncurrent version is");
  await expectS3Error(del("lk-clock", "k", c.VersionId), "AccessDenied");
  advance("2d");
  v = await s3.send(new S3.ListObjectVersionsCommand({ Bucket: "lk-clock" }));
  assert.ok(!(v.Versions || []).map((x) => x.VersionId).includes(c.VersionId),
    "past its date the lifecycle job expires it");

  // and a client may delete one past its date
  const g = await put("lk-clock", "g", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: after_(DAY) });
  await expectS3Error(del("lk-clock", "g", g.VersionId), "AccessDenied");
  advance("1d");
  await del("lk-clock", "g", g.VersionId);
});
