/*
 * Server access logging through @aws-sdk/client-s3 on a daemon started with --test-clock:
 * Put/GetBucketLogging (S3's checks of the target: it exists, has the source's owner, and its bucket
 * policy lets the logging.s3.amazonaws.com service s3:PutObject under the target prefix for this
 * source, aws:SourceArn and aws:SourceAccount; the document's schema), and the delivery: every request to the source bucket, refused ones included,
 * as a line of S3's access log format (26 fields), batched into one object under TargetPrefix
 * (SimplePrefix or PartitionedPrefix keys) once the business clock is 5 minutes past the first
 * line; the delivery is audited as the target owner's PutObject (user "logging") and not logged;
 * it asks the target's policy again, so a policy taken away stops it (audited AccessDenied).
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const S3 = require("@aws-sdk/client-s3");
const H = require("./lib/object_harness");

let d, s3;
const { expectS3Error } = H;

const advance = (dur) => JSON.parse(d.admin("clock", "--advance", dur)).Unix;
const putLogging = (Bucket, LoggingEnabled, client = s3) =>
  client.send(new S3.PutBucketLoggingCommand({ Bucket, BucketLoggingStatus: LoggingEnabled ? { LoggingEnabled } : {} }));
const keys = async (Bucket, Prefix) =>
  ((await s3.send(new S3.ListObjectsV2Command({ Bucket, Prefix }))).Contents || []).map((c) => c.Key);
const body = async (Bucket, Key) => (await s3.send(new S3.GetObjectCommand({ Bucket, Key }))).Body.transformToString();

/* S3's documented target policy for server access logs: the logging service may PutObject under
 * prefix, for the source bucket of the account. */
const logPolicy = (target, prefix, source, account = d.creds.Uin, principal = { Service: "logging.s3.amazonaws.com" }) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{
    Sid: "S3ServerAccessLogsPolicy", Effect: "Allow", Principal: principal, Action: ["s3:PutObject"],
    Resource: `arn:aws:s3:::${target}/${prefix}*`,
    Condition: { ArnLike: { "aws:SourceArn": `arn:aws:s3:::${source}` }, StringEquals: { "aws:SourceAccount": account } },
  }] });
const setPolicy = (Bucket, Policy) => s3.send(new S3.PutBucketPolicyCommand({ Bucket, Policy }));
const allowLogs = (target, prefix, source) => setPolicy(target, logPolicy(target, prefix, source));

/* The fields of an access log line, as s3-tests parse them ([] and "" are one field each). */
function fields(line) {
  const out = [];
  const re = /"([^"]*)"|\[([^\]]*)\]|(\S+)/g;
  let m;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

before(async () => {
  d = await H.startObjectDaemon({ args: ["--test-clock"] });
  s3 = H.s3Client(d);
});
after(async () => { if (d) await d.destroy(); });

test("Put/GetBucketLogging: the target must exist and be the owner's; the document as S3 validates it", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-src" }));
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-logs" }));
  let got = await s3.send(new S3.GetBucketLoggingCommand({ Bucket: "lg-src" }));
  assert.equal(got.LoggingEnabled, undefined);
  await expectS3Error(putLogging("lg-src", { TargetBucket: "lg-none", TargetPrefix: "log/" }),
    "InvalidTargetBucketForLogging");
  const other = H.s3Client(d, d.createAccount("lg-other"));
  await other.send(new S3.CreateBucketCommand({ Bucket: "lg-theirs" }));
  await expectS3Error(putLogging("lg-src", { TargetBucket: "lg-theirs", TargetPrefix: "log/" }),
    "InvalidTargetBucketForLogging");
  await expectS3Error(putLogging("lg-src", { TargetBucket: "lg-logs", TargetPrefix: "log/" }, other), "AccessDenied");
  await expectS3Error(putLogging("lg-theirs", { TargetBucket: "lg-logs", TargetPrefix: "log/" }), "AccessDenied");
  await expectS3Error(putLogging("lg-src", { TargetBucket: "lg-logs", TargetPrefix: "log/",
    TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: "kaboom" } } }), "MalformedXML");
  await expectS3Error(putLogging("lg-src", { TargetBucket: "lg-logs", TargetPrefix: "log/",
    TargetGrants: [{ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" },
      Permission: "READ" }] }), "NotImplemented");
  got = await s3.send(new S3.GetBucketLoggingCommand({ Bucket: "lg-src" }));
  assert.equal(got.LoggingEnabled, undefined, "refused documents change nothing");

  // the target's policy must let the logging service write there, for this source and account
  const conf = { TargetBucket: "lg-logs", TargetPrefix: "log/" };
  await expectS3Error(putLogging("lg-src", conf), "AccessDenied"); // no policy at all
  const refusedBy = [
    logPolicy("lg-logs", "log/", "lg-src", d.creds.Uin, { AWS: "*" }), // not the service principal
    logPolicy("lg-logs", "log/", "lg-src", d.creds.Uin, { Service: "logging.s3.amazonaws.comkaboom" }),
    logPolicy("lg-logs", "log/", "lg-src", d.creds.Uin, { Service: "cloudtrail.amazonaws.com" }),
    logPolicy("lg-logs", "elsewhere/", "lg-src"), // another prefix
    logPolicy("lg-logs", "log/", "lg-other-src"), // another source bucket (aws:SourceArn)
    logPolicy("lg-logs", "log/", "lg-src", "999999"), // another account (aws:SourceAccount)
    logPolicy("lg-logs", "log/", "lg-src").replace('"s3:PutObject"', '"s3:GetObject"'),
  ];
  for (const p of refusedBy) {
    await setPolicy("lg-logs", p); // accepted: a Service principal is S3's grammar
    await expectS3Error(putLogging("lg-src", conf), "AccessDenied", p);
  }
  got = await s3.send(new S3.GetBucketLoggingCommand({ Bucket: "lg-src" }));
  assert.equal(got.LoggingEnabled, undefined, "refused for want of permission: nothing changed");
  // the service principal grants no user request: the owner's key reads nothing more through it
  await allowLogs("lg-logs", "log/", "lg-src");
  const anonPut = await H.rawRequest(d, { method: "PUT", path: "/lg-logs/log/forged", body: "x" });
  assert.equal(anonPut.status, 403, "a Service principal matches no anonymous caller");
  // a Deny to everyone reaches the log delivery too
  const withDeny = JSON.parse(logPolicy("lg-logs", "log/", "lg-src"));
  withDeny.Statement.push({ Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::lg-logs/*" });
  await setPolicy("lg-logs", JSON.stringify(withDeny));
  await expectS3Error(putLogging("lg-src", conf), "AccessDenied");
  await allowLogs("lg-logs", "log/", "lg-src");
  await putLogging("lg-src", conf);
  got = await s3.send(new S3.GetBucketLoggingCommand({ Bucket: "lg-src" }));
  assert.deepEqual(got.LoggingEnabled, conf);
  const part = { ...conf, TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: "DeliveryTime" } } };
  await putLogging("lg-src", part);
  got = await s3.send(new S3.GetBucketLoggingCommand({ Bucket: "lg-src" }));
  assert.deepEqual(got.LoggingEnabled, part);
  await putLogging("lg-src", null);
  got = await s3.send(new S3.GetBucketLoggingCommand({ Bucket: "lg-src" }));
  assert.equal(got.LoggingEnabled, undefined, "an empty BucketLoggingStatus turns logging off");
  // the legacy way: a target whose ACL grants the LogDelivery group WRITE needs no policy
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-acl-logs" }));
  const aclConf = { TargetBucket: "lg-acl-logs", TargetPrefix: "a/" };
  await expectS3Error(putLogging("lg-src", aclConf), "AccessDenied");
  await s3.send(new S3.PutBucketAclCommand({ Bucket: "lg-acl-logs", ACL: "log-delivery-write" }));
  await putLogging("lg-src", aclConf);
  got = await s3.send(new S3.GetBucketLoggingCommand({ Bucket: "lg-src" }));
  assert.deepEqual(got.LoggingEnabled, aclConf);
  await putLogging("lg-src", null);
  const audit = d.audit(100).filter((e) => e.Action === "PutBucketLogging").map((e) => e.Result);
  assert.ok(audit.includes("Success") && audit.includes("InvalidTargetBucketForLogging") &&
    audit.includes("AccessDenied"), JSON.stringify(audit));
});

test("delivery: S3's log lines, batched on the business clock into the target, audited, not logged itself", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-app" }));
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-sink" }));
  await allowLogs("lg-sink", "", "lg-app");
  await putLogging("lg-app", { TargetBucket: "lg-sink", TargetPrefix: "access/" });
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: "lg-app", Key: "dir/a b.txt", Body: "hello" }));
  assert.ok(put.ETag);
  assert.equal(await body("lg-app", "dir/a b.txt"), "hello");
  await s3.send(new S3.HeadObjectCommand({ Bucket: "lg-app", Key: "dir/a b.txt" }));
  await s3.send(new S3.ListObjectsV2Command({ Bucket: "lg-app" }));
  const anon = await H.rawRequest(d, { path: "/lg-app/dir/a%20b.txt", headers: { "user-agent": "curl/8 \"quoted\"" } });
  assert.equal(anon.status, 403);
  await s3.send(new S3.DeleteObjectCommand({ Bucket: "lg-app", Key: "dir/a b.txt" }));
  assert.deepEqual(await keys("lg-sink"), [], "nothing delivered before the period");
  advance("6m");
  const logs = await keys("lg-sink");
  assert.equal(logs.length, 1, JSON.stringify(logs));
  assert.match(logs[0], /^access\/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$/);
  const lines = (await body("lg-sink", logs[0])).trim().split("\n");
  assert.ok(lines.length >= 7, lines.join("\n"));
  for (const l of lines) assert.equal(fields(l).length, 26, l);
  const ops = lines.map((l) => fields(l));
  const by = (op) => ops.filter((f) => f[6] === op);
  const p = by("REST.PUT.OBJECT")[0];
  assert.equal(p[0], d.creds.Uin, "bucket owner");
  assert.equal(p[1], "lg-app");
  assert.match(p[2], /^\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  assert.equal(p[7], "dir/a%20b.txt");
  assert.match(p[8], /^PUT \/lg-app\/dir\/a%20b.txt(\?.*)? HTTP\/1.1$/);
  assert.equal(p[9], "200");
  assert.equal(p[12], "5", "object size");
  assert.equal(p[19], "SigV4");
  assert.equal(by("REST.GET.OBJECT").length, 2);
  const refused = by("REST.GET.OBJECT").find((f) => f[9] === "403");
  assert.ok(refused, "the refused read is logged");
  assert.deepEqual([refused[4], refused[10], refused[16]], ["-", "AccessDenied", "curl/8 'quoted'"]);
  assert.equal(by("REST.HEAD.OBJECT").length, 1);
  assert.equal(by("REST.GET.BUCKET").length, 1);
  assert.equal(by("REST.DELETE.OBJECT")[0][9], "204");
  assert.ok(!lines.some((l) => l.includes("lg-sink/access")), "the delivery itself is not a logged request");
  const deliveries = d.audit(200).filter((e) => e.SubUin === "logging" && e.Resource.includes(":lg-sink/"));
  assert.equal(deliveries.length, 1);
  assert.deepEqual([deliveries[0].Action, deliveries[0].Result], ["PutObject", "Success"]);

  // nothing more to deliver: no empty objects
  advance("6m");
  assert.equal((await keys("lg-sink")).length, 1);

  // PartitionedPrefix: [prefix][account]/[region]/[bucket]/[yyyy]/[mm]/[dd]/[time]-[id]
  await putLogging("lg-app", { TargetBucket: "lg-sink", TargetPrefix: "p/",
    TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: "EventTime" } } });
  await s3.send(new S3.PutObjectCommand({ Bucket: "lg-app", Key: "k", Body: "x" }));
  advance("6m");
  const pk = await keys("lg-sink", "p/");
  assert.equal(pk.length, 1);
  assert.match(pk[0], new RegExp(`^p/${d.creds.Uin}/[^/]+/lg-app/\\d{4}/\\d\\d/\\d\\d/\\d{4}-\\d\\d-\\d\\d-\\d\\d-\\d\\d-\\d\\d-[0-9A-F]{16}$`));

  // logging off: no more lines
  await putLogging("lg-app", null);
  await s3.send(new S3.PutObjectCommand({ Bucket: "lg-app", Key: "k2", Body: "x" }));
  advance("6m");
  const all = await keys("lg-sink");
  assert.equal(all.length, 2, JSON.stringify(all));
});

test("a clean stop delivers the lines held; a restart keeps logging the configured buckets", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-stop" }));
  await allowLogs("lg-stop", "self/", "lg-stop");
  await putLogging("lg-stop", { TargetBucket: "lg-stop", TargetPrefix: "self/" }); // source = target
  await s3.send(new S3.PutObjectCommand({ Bucket: "lg-stop", Key: "before-stop", Body: "x" }));
  await d.restart();
  let logs = await keys("lg-stop", "self/");
  assert.equal(logs.length, 1, "delivered at the stop, not lost");
  assert.match(await body("lg-stop", logs[0]), /REST\.PUT\.OBJECT before-stop /);
  await s3.send(new S3.PutObjectCommand({ Bucket: "lg-stop", Key: "after-restart", Body: "x" }));
  advance("6m");
  logs = await keys("lg-stop", "self/");
  assert.equal(logs.length, 2);
  const text = (await Promise.all(logs.map((k) => body("lg-stop", k)))).join("");
  assert.match(text, /REST\.PUT\.OBJECT after-restart /, "logged right after the restart");
  assert.ok(!/REST\.PUT\.OBJECT self\//.test(text), "deliveries into the source bucket are not logged");
});

test("delivery asks the target's policy again: a policy taken away stops it, refused and audited", async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-pa" }));
  await s3.send(new S3.CreateBucketCommand({ Bucket: "lg-pt" }));
  await allowLogs("lg-pt", "a/", "lg-pa");
  await putLogging("lg-pa", { TargetBucket: "lg-pt", TargetPrefix: "a/" });
  await s3.send(new S3.PutObjectCommand({ Bucket: "lg-pa", Key: "one", Body: "x" }));
  await s3.send(new S3.DeleteBucketPolicyCommand({ Bucket: "lg-pt" }));
  advance("6m");
  assert.deepEqual(await keys("lg-pt"), [], "no permission at delivery time: nothing written");
  const refused = d.audit(300).filter((e) => e.SubUin === "logging" && e.Resource.includes(":lg-pt/"));
  assert.equal(refused.length, 1, JSON.stringify(refused));
  assert.deepEqual([refused[0].Action, refused[0].Result], ["PutObject", "AccessDenied"]);
  // the source's requests themselves are never refused for it (S3: logging is best effort)
  await s3.send(new S3.PutObjectCommand({ Bucket: "lg-pa", Key: "two", Body: "x" }));
  await allowLogs("lg-pt", "a/", "lg-pa");
  advance("6m");
  const logs = await keys("lg-pt");
  assert.equal(logs.length, 1, JSON.stringify(logs));
  const text = await body("lg-pt", logs[0]);
  assert.match(text, /REST\.PUT\.OBJECT two /);
  assert.ok(!/REST\.PUT\.OBJECT one /.test(text), "the lines refused were dropped, not kept");
});
