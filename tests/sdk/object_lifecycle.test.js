/*
 * Bucket lifecycle through @aws-sdk/client-s3 and cos-nodejs-sdk-v5 on a daemon started with
 * --test-clock: Put/Get/DeleteBucketLifecycleConfiguration (rules given IDs, the shape they were
 * put in returned, S3's validation errors), the x-amz-expiration header, and the expiry itself as
 * `yun admin clock --advance` moves the business clock day by day: current versions by prefix,
 * tag and size filters (a delete in an unversioned bucket, a delete marker in a versioned one),
 * noncurrent versions with NewerNoncurrentVersions, expired delete markers, incomplete multipart
 * uploads; every expiry audited (user "lifecycle") and counted in the bucket's bytes and objects.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const S3 = require("@aws-sdk/client-s3");
const COS = require("cos-nodejs-sdk-v5");
const H = require("./lib/object_harness");

let d, s3, cos;
const { expectS3Error } = H;
const DAY = 86400;

function sql(q) {
  const r = spawnSync("sqlite3", ["-readonly", "-json", path.join(d.dataDir, "yun.db"), q], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}
const advance = (dur) => JSON.parse(d.admin("clock", "--advance", dur)).Unix;
const now = () => JSON.parse(d.admin("clock")).Unix;
const put = (Bucket, Key, Body = "x", extra = {}) => s3.send(new S3.PutObjectCommand({ Bucket, Key, Body, ...extra }));
const keys = async (Bucket) => ((await s3.send(new S3.ListObjectsV2Command({ Bucket }))).Contents || []).map((c) => c.Key);
const putLc = (Bucket, Rules) =>
  s3.send(new S3.PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));
const cosCall = (method, params) => new Promise((resolve, reject) =>
  cos[method]({ Region: "ap-guangzhou", ...params }, (err, data) => (err ? reject(err) : resolve(data))));

before(async () => {
  d = await H.startObjectDaemon({ domain: H.COS_DOMAIN, args: ["--test-clock"] });
  s3 = H.s3Client(d);
  cos = new COS({ SecretId: d.creds.SecretId, SecretKey: d.creds.SecretKey, Protocol: "http:",
    Ip: `127.0.0.1:${d.objectPort}`, Domain: `{Bucket}.${H.COS_DOMAIN}`, AutoSwitchHost: false });
});
after(async () => { if (d) await d.destroy(); });

test("Put/Get/DeleteBucketLifecycleConfiguration: rules returned as put, IDs given, 404 when none", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lcconf" }));
  await expectS3Error(s3.send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: "lcconf" })),
    "NoSuchLifecycleConfiguration");
  const rules = [
    { ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 } },
    { ID: "tagged", Status: "Disabled", Filter: { And: { Prefix: "a/", Tags: [{ Key: "k", Value: "v" }],
      ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 1000 } }, NoncurrentVersionExpiration: { NoncurrentDays: 3,
      NewerNoncurrentVersions: 2 } },
    { Status: "Enabled", Filter: { ObjectSizeGreaterThan: 5 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
    { ID: "markers", Status: "Enabled", Filter: {}, Expiration: { ExpiredObjectDeleteMarker: true } },
  ];
  await putLc("lcconf", rules);
  const got = (await s3.send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: "lcconf" }))).Rules;
  assert.equal(got.length, 4);
  assert.deepEqual(got[0], rules[0]);
  assert.deepEqual(got[1], rules[1]);
  assert.match(got[2].ID, /^[0-9a-f]{24}$/, "a rule without an ID is given one");
  assert.deepEqual({ ...got[2], ID: undefined }, { ...rules[2], ID: undefined });
  assert.equal(got[3].Expiration.ExpiredObjectDeleteMarker, true);
  // the legacy form (a rule's Prefix, no Filter) comes back in that form
  const r = await H.rawRequest(d, { method: "GET", path: "/lcconf?lifecycle" });
  assert.equal(r.status, 403, "anonymous callers may not read it");
  await s3.send(new S3.DeleteBucketLifecycleCommand({ Bucket: "lcconf" }));
  await expectS3Error(s3.send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: "lcconf" })),
    "NoSuchLifecycleConfiguration");
  await s3.send(new S3.DeleteBucketLifecycleCommand({ Bucket: "lcconf" })); // 204 with none too
  const audit = d.audit(50).filter((e) => e.Action === "PutBucketLifecycle" || e.Action === "DeleteBucketLifecycle");
  assert.ok(audit.length >= 3, "every change is audited");
});

test("PutBucketLifecycleConfiguration refuses what S3 refuses, and keeps the configuration before", async () => {
  await putLc("lcconf", [{ ID: "keep", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 9 } }]);
  const bad = [
    [[{ ID: "a".repeat(256), Status: "Enabled", Filter: {}, Expiration: { Days: 1 } }], "InvalidArgument"],
    [[{ ID: "x", Status: "Enabled", Filter: {}, Expiration: { Days: 1 } },
      { ID: "x", Status: "Enabled", Filter: {}, Expiration: { Days: 2 } }], "InvalidArgument"],
    [[{ ID: "x", Status: "enabled", Filter: {}, Expiration: { Days: 1 } }], "MalformedXML"],
    [[{ ID: "x", Status: "Enabled", Filter: {}, Expiration: { Days: 0 } }], "InvalidArgument"],
    [[{ ID: "x", Status: "Enabled", Filter: {}, Expiration: { Date: new Date("2030-01-01T12:00:00Z") } }],
      "InvalidArgument"],
    [[{ ID: "x", Status: "Enabled", Filter: { Prefix: "a", ObjectSizeLessThan: 9 }, Expiration: { Days: 1 } }],
      "MalformedXML"],
    [[{ ID: "x", Status: "Enabled", Filter: {} }], "InvalidRequest"],
    [[{ ID: "x", Status: "Enabled", Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1,
      NewerNoncurrentVersions: 101 } }], "InvalidArgument"],
    [[{ ID: "x", Status: "Enabled", Filter: {}, Transitions: [{ Days: 1, StorageClass: "GLACIER" }] }],
      "InvalidStorageClass"],
  ];
  for (const [rules, code] of bad) await expectS3Error(putLc("lcconf", rules), code);
  const got = (await s3.send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: "lcconf" }))).Rules;
  assert.deepEqual(got.map((x) => x.ID), ["keep"]);
});

test("cos-nodejs-sdk-v5: putBucketLifecycle, getBucketLifecycle, deleteBucketLifecycle", async () => {
  const Bucket = "lifecycle-1250000000";
  await cosCall("putBucket", { Bucket });
  await cosCall("putBucketLifecycle", { Bucket, Rules: [{ ID: "cos1", Status: "Enabled", Filter: { Prefix: "tmp/" },
    Expiration: { Days: 7 } }, { ID: "cos2", Status: "Enabled", Filter: {},
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] });
  const got = await cosCall("getBucketLifecycle", { Bucket });
  assert.equal(got.Rules.length, 2);
  assert.equal(got.Rules[0].ID, "cos1");
  assert.equal(got.Rules[0].Filter.Prefix, "tmp/");
  assert.equal(String(got.Rules[0].Expiration.Days), "7");
  assert.equal(String(got.Rules[1].AbortIncompleteMultipartUpload.DaysAfterInitiation), "1");
  await cosCall("deleteBucketLifecycle", { Bucket });
  // the SDK turns the 404 NoSuchLifecycleConfiguration into an empty rule list
  assert.deepEqual((await cosCall("getBucketLifecycle", { Bucket })).Rules, []);
  const r = await H.rawRequest(d, { path: "/?lifecycle", headers: { Host: `${Bucket}.${H.COS_DOMAIN}` } });
  assert.equal(r.status, 403, "anonymous");
});

test("expiry on the business clock: filters, versions, markers, uploads; audited and counted", async () => {
  // an unversioned bucket: prefix, tag and size filters
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lcplain" }));
  await putLc("lcplain", [
    { ID: "tmp1", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 1 } },
    { ID: "scratch2", Status: "Enabled", Filter: { Tag: { Key: "class", Value: "scratch" } }, Expiration: { Days: 2 } },
    { ID: "big1", Status: "Enabled", Filter: { And: { Prefix: "big/", ObjectSizeGreaterThan: 1000 } },
      Expiration: { Days: 1 } },
    { ID: "off", Status: "Disabled", Filter: { Prefix: "keep/" }, Expiration: { Days: 1 } },
  ]);
  const t0 = now();
  const p = await s3.send(new S3.PutObjectCommand({ Bucket: "lcplain", Key: "tmp/a", Body: "aaaa" }));
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: "lcplain", Key: "tmp/a" }));
  const midnight = (t) => Math.ceil(t / DAY) * DAY;
  const expect = new Date(midnight(Math.floor(head.LastModified.getTime() / 1000) + DAY) * 1000).toUTCString();
  assert.equal(p.Expiration, `expiry-date="${expect}", rule-id="tmp1"`, "x-amz-expiration on PUT");
  assert.equal(head.Expiration, `expiry-date="${expect}", rule-id="tmp1"`, "x-amz-expiration on HEAD");
  await put("lcplain", "keep/b", "bbbb");
  assert.equal((await s3.send(new S3.HeadObjectCommand({ Bucket: "lcplain", Key: "keep/b" }))).Expiration, undefined,
    "a disabled rule gives no header");
  await put("lcplain", "t/x", "xx", { Tagging: "class=scratch" });
  await put("lcplain", "t/y", "yy", { Tagging: "class=other" });
  await put("lcplain", "big/small", "s".repeat(10));
  await put("lcplain", "big/large", "L".repeat(2000));

  // a versioned bucket: current versions get delete markers, two noncurrent versions, the newest kept
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lcver" }));
  await s3.send(new S3.PutBucketVersioningCommand({ Bucket: "lcver", VersioningConfiguration: { Status: "Enabled" } }));
  await putLc("lcver", [
    { ID: "cur", Status: "Enabled", Filter: { Prefix: "v/" }, Expiration: { Days: 1 } },
    { ID: "old", Status: "Enabled", Filter: { Prefix: "v/" },
      NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 2 } },
    { ID: "mold", Status: "Enabled", Filter: { Prefix: "m/" }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
    { ID: "markers", Status: "Enabled", Filter: { Prefix: "m/" }, Expiration: { ExpiredObjectDeleteMarker: true } },
  ]);
  const vids = [];
  for (const b of ["one", "two", "three"]) vids.push((await put("lcver", "v/k", b)).VersionId);
  const mver = (await put("lcver", "m/k", "m")).VersionId;
  await s3.send(new S3.DeleteObjectCommand({ Bucket: "lcver", Key: "m/k" }));

  // incomplete multipart uploads
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lcmp" }));
  await putLc("lcmp", [{ ID: "abort", Status: "Enabled", Filter: { Prefix: "mp/" },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }]);
  const up = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "lcmp", Key: "mp/x" }));
  await s3.send(new S3.UploadPartCommand({ Bucket: "lcmp", Key: "mp/x", UploadId: up.UploadId, PartNumber: 1,
    Body: "part" }));
  const keepUp = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: "lcmp", Key: "other/y" }));

  const before = sql("SELECT objects, bytes FROM obj_buckets WHERE name = 'lcplain'")[0];
  assert.deepEqual(before, { objects: 6, bytes: 4 + 4 + 2 + 2 + 10 + 2000 });

  // the next midnight is not yet the day after the objects' day + 1: nothing expires
  const t1 = advance(`${midnight(t0) - t0 + 60}s`);
  assert.ok(t1 > midnight(t0));
  assert.deepEqual(await keys("lcplain"), ["big/large", "big/small", "keep/b", "t/x", "t/y", "tmp/a"]);

  // one day later: the 1-day rules' objects are gone, the 2-day rule's not yet
  advance("1d");
  assert.deepEqual(await keys("lcplain"), ["big/small", "keep/b", "t/x", "t/y"]);
  assert.deepEqual(sql("SELECT objects, bytes FROM obj_buckets WHERE name = 'lcplain'")[0],
    { objects: 4, bytes: 4 + 2 + 2 + 10 });
  let v = await s3.send(new S3.ListObjectVersionsCommand({ Bucket: "lcver" }));
  assert.equal(v.DeleteMarkers.filter((m) => m.Key === "v/k" && m.IsLatest).length, 1, "v/k: a delete marker on top");
  assert.deepEqual(v.Versions.filter((x) => x.Key === "v/k").map((x) => x.VersionId), [vids[2], vids[1]],
    "v3 (noncurrent since today) and v2 kept (NewerNoncurrentVersions 2), the oldest expired");
  assert.deepEqual(v.Versions.filter((x) => x.Key === "m/k").map((x) => x.VersionId), [],
    "m/k's noncurrent version expired");
  assert.equal(v.DeleteMarkers.filter((m) => m.Key === "m/k").length, 1, "its marker goes the day after");
  const ups = await s3.send(new S3.ListMultipartUploadsCommand({ Bucket: "lcmp" }));
  assert.deepEqual((ups.Uploads || []).map((u) => u.UploadId), [keepUp.UploadId], "the old mp/ upload was aborted");

  advance("1d");
  assert.deepEqual(await keys("lcplain"), ["big/small", "keep/b", "t/y"], "the tagged object after two days");
  v = await s3.send(new S3.ListObjectVersionsCommand({ Bucket: "lcver", Prefix: "m/" }));
  assert.equal((v.DeleteMarkers || []).length, 0, "an expired delete marker is removed");
  assert.equal(mver.length, 32);

  // every expiry is in the audit log as the request it stands for, by "lifecycle"
  const lc = d.audit(500).filter((e) => e.SubUin === "lifecycle");
  const actions = lc.map((e) => `${e.Action} ${e.Result}`);
  assert.equal(actions.filter((a) => a === "DeleteObject Success").length, 3 + 1 + 1 + 1 + 1,
    `tmp/a big/large t/x, v/k (marker), v/k v1, m/k version, m/k marker: ${JSON.stringify(lc.slice(0, 3))}`);
  assert.equal(actions.filter((a) => a === "AbortMultipartUpload Success").length, 1);
  assert.ok(lc.every((e) => e.Resource.includes(":lcplain/") || e.Resource.includes(":lcver/") ||
    e.Resource.includes(":lcmp/")));
});
