/*
 * Data residency through service control policies: an SCP on a member account saying "nothing
 * outside region ap-local" (qcs:requested_region) refuses, with the policy named in the answer
 * and in the audit record, CreateBucket in eu-lab, CreateDisks and RunInstances there, a copy
 * into an eu-lab bucket (CopyObject), a copy out of one (CopyObject, UploadPartCopy: the source's
 * region is where the read happens), a presigned URL of an eu-lab object, and a cross-region
 * snapshot copy; the same in ap-local works and is audited with the policy that allowed it. A
 * cross-region copy an SCP allows is audited with it. The second region (eu-lab) has no host:
 * the refusals need none.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const S3 = require("@aws-sdk/client-s3");
const { startDaemon, rejectsWith, waitFor, freePort } = require("./lib/yund");
const { s3Client, expectS3Error, awsCli, fetchUrl } = require("./lib/object_harness");
const { setupMember, ALLOW_ALL } = require("./lib/org");
const COS = require("cos-nodejs-sdk-v5");

const LOCAL = "ap-local", LAB = "eu-lab";
let d, m, s3Local, s3Lab, residency, allowAll, labLocation, cosLabLocation;
/* The COS SDK with its default host, BUCKET.cos.REGION.myqcloud.com (sent to the listener). */
const cosCall = (method, params) => new Promise((resolve, reject) => {
  const cos = new COS({ SecretId: m.admin.SecretId, SecretKey: m.admin.SecretKey, Protocol: "http:",
    Ip: `127.0.0.1:${d.objectEndpoint.split(":")[2]}`, AutoSwitchHost: false });
  cos[method](params, (err, data) => (err ? reject(err) : resolve(data)));
});
const doc = (...statement) => JSON.stringify({ version: "2.0", statement });
const named = (e) => assert.match(e.message, /service control policy `ResidencyApLocal` \(PolicyId \d+\) denies it/);

before(async () => {
  const objectPort = await freePort();
  d = await startDaemon({
    config: {
      region: LOCAL,
      regions: [
        { Region: LOCAL, RegionName: "Local", Zones: [{ Zone: "ap-local-1", ZoneName: "Local Zone 1", ZoneId: "100001" },
          { Zone: "ap-local-2", ZoneName: "Local Zone 2", ZoneId: "100002" }] },
        { Region: LAB, RegionName: "Lab", Zones: [{ Zone: "eu-lab-1", ZoneName: "Lab 1", ZoneId: "300001" }] },
      ],
      object: { host: "127.0.0.1", port: objectPort, domain: "s3.yun.test" },
    },
  });
  d.objectEndpoint = `http://127.0.0.1:${objectPort}`;
  m = await setupMember(d);
  d.admin("recharge", "--uin", m.memberUin, "--cents", "1000000");
  s3Local = s3Client(d, m.admin, { region: LOCAL });
  s3Lab = s3Client(d, m.admin, { region: LAB });
  // before any policy: a bucket in each region, objects to copy
  await s3Lab.send(new S3.CreateBucketCommand({ Bucket: "lab-src", CreateBucketConfiguration: { LocationConstraint: LAB } }));
  for (const b of ["local-src", "local-dst"]) await s3Local.send(new S3.CreateBucketCommand({ Bucket: b }));
  await s3Lab.send(new S3.PutObjectCommand({ Bucket: "lab-src", Key: "obj", Body: "lab data" }));
  await s3Local.send(new S3.PutObjectCommand({ Bucket: "local-src", Key: "obj", Body: "local data" }));
  labLocation = (await s3Local.send(new S3.GetBucketLocationCommand({ Bucket: "lab-src" }))).LocationConstraint;
  await cosCall("putBucket", { Bucket: "coslab-1250000000", Region: LAB }); // the region is the host's
  cosLabLocation = (await s3Local.send(new S3.GetBucketLocationCommand({ Bucket: "coslab-1250000000" }))).LocationConstraint;
  const org = m.org;
  await org.EnablePolicyType({ OrganizationId: m.info.OrgId, PolicyType: "SERVICE_CONTROL_POLICY" });
  allowAll = (await org.CreatePolicy({ Name: "AllowAll", Type: "SERVICE_CONTROL_POLICY", Content: JSON.stringify(ALLOW_ALL) })).PolicyId;
  residency = (await org.CreatePolicy({ Name: "ResidencyApLocal", Type: "SERVICE_CONTROL_POLICY",
    Content: doc({ effect: "deny", action: "*", resource: "*", condition: { string_not_equal: { "qcs:requested_region": LOCAL } } }) })).PolicyId;
  await org.AttachPolicy({ TargetId: m.rootNode, TargetType: "NODE", PolicyId: allowAll });
  await org.AttachPolicy({ TargetId: Number(m.memberUin), TargetType: "MEMBER", PolicyId: residency });
});
after(async () => { await d?.destroy(); });

test("buckets record their region: GetBucketLocation (in eu-lab itself refused once the policy holds)", async () => {
  assert.equal(labLocation, LAB);
  named(await expectS3Error(s3Local.send(new S3.GetBucketLocationCommand({ Bucket: "lab-src" })), "AccessDenied"));
  assert.equal((await s3Local.send(new S3.GetBucketLocationCommand({ Bucket: "local-src" }))).LocationConstraint, LOCAL);
});

test("CreateBucket in eu-lab is refused naming the policy (signed there, or by LocationConstraint); in ap-local it works", async () => {
  named(await expectS3Error(s3Lab.send(new S3.CreateBucketCommand({ Bucket: "lab-new", CreateBucketConfiguration: { LocationConstraint: LAB } })), "AccessDenied"));
  named(await expectS3Error(s3Local.send(new S3.CreateBucketCommand({ Bucket: "lab-new", CreateBucketConfiguration: { LocationConstraint: LAB } })), "AccessDenied"));
  await s3Local.send(new S3.CreateBucketCommand({ Bucket: "local-new", CreateBucketConfiguration: { LocationConstraint: LOCAL } }));
  await expectS3Error(s3Local.send(new S3.HeadBucketCommand({ Bucket: "lab-new" })), "NotFound");
});

test("COS's region-in-host: a bucket made at BUCKET.cos.eu-lab.myqcloud.com is in eu-lab; now refused there, made in ap-local", async () => {
  assert.equal(cosLabLocation, LAB);
  const e = await cosCall("putBucket", { Bucket: "coslab2-1250000000", Region: LAB }).then(() => null, (x) => x);
  assert.ok(e, "putBucket in eu-lab must be refused");
  assert.equal(e.statusCode, 403);
  assert.match(JSON.stringify(e), /ResidencyApLocal/);
  await cosCall("putBucket", { Bucket: "coslocal-1250000000", Region: LOCAL });
  assert.equal((await s3Local.send(new S3.GetBucketLocationCommand({ Bucket: "coslocal-1250000000" }))).LocationConstraint, LOCAL);
});

test("writes and reads in an eu-lab bucket made before the policy are refused; presigned URLs do not bypass it", async () => {
  named(await expectS3Error(s3Local.send(new S3.PutObjectCommand({ Bucket: "lab-src", Key: "more", Body: "x" })), "AccessDenied"));
  named(await expectS3Error(s3Local.send(new S3.GetObjectCommand({ Bucket: "lab-src", Key: "obj" })), "AccessDenied"));
  const aws = awsCli(d, m.admin);
  const url = aws(["s3", "presign", "s3://lab-src/obj", "--expires-in", "300"]).stdout.trim();
  const r = await fetchUrl(url);
  assert.equal(r.status, 403);
  assert.match(r.body.toString(), /ResidencyApLocal/);
  const ok = await fetchUrl(aws(["s3", "presign", "s3://local-src/obj", "--expires-in", "300"]).stdout.trim());
  assert.equal(ok.status, 200);
  assert.equal(ok.body.toString(), "local data");
});

test("CopyObject into an eu-lab bucket and out of one are refused; within ap-local it works", async () => {
  named(await expectS3Error(s3Local.send(new S3.CopyObjectCommand({ Bucket: "lab-src", Key: "in", CopySource: "local-src/obj" })), "AccessDenied"));
  named(await expectS3Error(s3Local.send(new S3.CopyObjectCommand({ Bucket: "local-dst", Key: "out", CopySource: "lab-src/obj" })), "AccessDenied"));
  await s3Local.send(new S3.CopyObjectCommand({ Bucket: "local-dst", Key: "copy", CopySource: "local-src/obj" }));
  const up = await s3Local.send(new S3.CreateMultipartUploadCommand({ Bucket: "local-dst", Key: "parts" }));
  named(await expectS3Error(s3Local.send(new S3.UploadPartCopyCommand({ Bucket: "local-dst", Key: "parts", UploadId: up.UploadId,
    PartNumber: 1, CopySource: "lab-src/obj" })), "AccessDenied"));
  await s3Local.send(new S3.UploadPartCopyCommand({ Bucket: "local-dst", Key: "parts", UploadId: up.UploadId, PartNumber: 1,
    CopySource: "local-src/obj" }));
  await s3Local.send(new S3.AbortMultipartUploadCommand({ Bucket: "local-dst", Key: "parts", UploadId: up.UploadId }));
});

test("CreateDisks and RunInstances in eu-lab are refused naming the policy; in ap-local they work", async () => {
  const disk = (region, zone) => d.cbs(m.admin, { region }).CreateDisks({ Placement: { Zone: zone }, DiskChargeType: "POSTPAID_BY_HOUR",
    DiskType: "CLOUD_PREMIUM", DiskSize: 10, DiskName: "resident" });
  named(await rejectsWith(disk(LAB, "eu-lab-1"), "UnauthorizedOperation"));
  const ok = await disk(LOCAL, "ap-local-1");
  assert.equal(ok.DiskIdSet.length, 1);
  const image = (await d.cvm(m.admin).DescribeImages({ Filters: [{ Name: "image-name", Values: ["yun-tiny"] }] })).ImageSet[0]?.ImageId || "img-00000000";
  named(await rejectsWith(d.cvm(m.admin, { region: LAB }).RunInstances({ Placement: { Zone: "eu-lab-1" }, ImageId: image,
    InstanceType: "S5.SMALL1", DryRun: true }), "UnauthorizedOperation"));
  named(await rejectsWith(d.cvm(m.admin, { region: LAB }).RunInstances({ Placement: { Zone: "eu-lab-1" }, ImageId: image,
    InstanceType: "S5.SMALL1" }), "UnauthorizedOperation"));
  if (image !== "img-00000000") {
    const r = await d.cvm(m.admin).RunInstances({ Placement: { Zone: "ap-local-1" }, ImageId: image, InstanceType: "S5.SMALL1", DryRun: true });
    assert.deepEqual(Object.keys(r), ["RequestId"]);
  }
  // a cross-region snapshot copy: refused towards eu-lab naming the policy; towards ap-local allowed (then not implemented)
  const cbs = d.cbs(m.admin);
  await waitFor(async () => (await cbs.DescribeDisks({ DiskIds: ok.DiskIdSet })).DiskSet[0], (x) => x && x.DiskState === "UNATTACHED", 60000, "disk ready", 100);
  const snap = (await cbs.CreateSnapshot({ DiskId: ok.DiskIdSet[0], SnapshotName: "s1" })).SnapshotId;
  named(await rejectsWith(cbs.CopySnapshotCrossRegions({ SnapshotId: snap, DestinationRegions: [LAB] }), "UnauthorizedOperation"));
  const e = await rejectsWith(cbs.CopySnapshotCrossRegions({ SnapshotId: snap, DestinationRegions: [LOCAL] }), "UnsupportedOperation");
  assert.match(e.message, /not implemented/);
  await rejectsWith(cbs.CopySnapshotCrossRegions({ SnapshotId: "snap-nothere1", DestinationRegions: [LAB] }), "InvalidSnapshotId.NotFound");
});

test("each decision is in the audit log with the policy that decided", () => {
  const log = d.audit(500).filter((x) => x.Uin === m.memberUin);
  const refusals = log.filter((x) => /ResidencyApLocal/.test(x.Reason || "") && x.Result !== "Success");
  const actions = new Set(refusals.map((x) => x.Action));
  for (const a of ["CreateDisks", "RunInstances", "CopySnapshotCrossRegions"]) assert.ok(actions.has(a), `${a} refusal audited: ${[...actions]}`);
  assert.ok(refusals.some((x) => x.Service === "cos" && x.Result === "AccessDenied"), "object-store refusals audited");
  assert.ok(refusals.filter((x) => x.Service === "cos").length >= 4, JSON.stringify(refusals.filter((x) => x.Service === "cos")));
  const allowed = log.filter((x) => x.Action === "CreateDisks" && x.Result === "Success");
  assert.equal(allowed.length, 1);
  assert.match(allowed[0].Reason, /allowed by service control policies `AllowAll` \(PolicyId \d+\)/);
});

test("cloudaudit LookUpEvents shows the member its refusals with the policy (CloudAuditEvent)", async () => {
  const audit = d.common("2019-03-19", m.admin);
  const r = await audit.request("LookUpEvents", { StartTime: 0, EndTime: Math.floor(Date.now() / 1000) + 86400, MaxResults: 50,
    LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "CreateDisks" }] });
  const refused = r.Events.filter((e) => e.ErrorCode === "UnauthorizedOperation");
  assert.equal(refused.length, 1);
  assert.match(JSON.parse(refused[0].CloudAuditEvent).reason, /`ResidencyApLocal` \(PolicyId \d+\) denies it/);
  const allowed = r.Events.filter((e) => e.ErrorCode === "0");
  assert.equal(allowed.length, 1);
  assert.match(JSON.parse(allowed[0].CloudAuditEvent).reason, /allowed by service control policies `AllowAll`/);
});

test("a cross-region copy an SCP allows is audited with the policy that allowed it", async () => {
  await m.org.DetachPolicy({ TargetId: Number(m.memberUin), TargetType: "MEMBER", PolicyId: residency });
  await s3Local.send(new S3.CopyObjectCommand({ Bucket: "local-dst", Key: "from-lab", CopySource: "lab-src/obj" }));
  const got = await s3Local.send(new S3.GetObjectCommand({ Bucket: "local-dst", Key: "from-lab" }));
  assert.equal(await got.Body.transformToString(), "lab data");
  const rec = d.audit(50).filter((x) => /cross-region copy/.test(x.Reason || ""));
  assert.equal(rec.length, 1, JSON.stringify(rec));
  assert.equal(rec[0].Result, "Success");
  assert.match(rec[0].Reason, /cross-region copy from lab-src \(eu-lab\) into local-dst \(ap-local\): allowed by service control policies `AllowAll`/);
});
