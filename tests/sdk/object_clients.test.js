/*
 * Object store driven by the command-line tools and SDKs customers use unchanged: Debian's awscli 2
 * (s3 cp/sync/ls/rm/presign, s3api multipart), s3cmd (SigV4, and its SigV2 signurl), rclone
 * (provider Other) and python3-boto3, each against a real yund.
 */
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const H = require("./lib/object_harness");

let d;
let aws;
let work;

before(async () => {
  d = await H.startObjectDaemon();
  aws = H.awsCli(d);
  work = H.tmpdir("clients");
});
after(async () => {
  if (d) await d.destroy();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("aws-cli: mb, cp (single and multipart), ls, sync, rm, rb", () => {
  aws(["s3", "mb", "s3://cli-bucket"]);
  const small = H.randomFile(work, "small.bin", 123457);
  const big = H.randomFile(work, "big.bin", 20 * 1024 * 1024 + 5); // > 8 MiB: awscli goes multipart
  aws(["s3", "cp", "--no-progress", small, "s3://cli-bucket/one/small.bin"]);
  aws(["s3", "cp", "--no-progress", big, "s3://cli-bucket/one/big.bin"]);
  const ls = aws(["s3", "ls", "--recursive", "s3://cli-bucket/"]).stdout;
  assert.match(ls, /123457 one\/small\.bin/);
  assert.match(ls, /20971525 one\/big\.bin/);
  const head = JSON.parse(aws(["s3api", "head-object", "--bucket", "cli-bucket", "--key", "one/big.bin"]).stdout);
  assert.match(head.ETag, /-3"$/, "multipart ETag is MD5-of-MD5s-N");
  aws(["s3", "cp", "--no-progress", "s3://cli-bucket/one/big.bin", path.join(work, "big.back")]);
  assert.equal(H.md5File(path.join(work, "big.back")), H.md5File(big));

  const tree = path.join(work, "tree");
  fs.mkdirSync(path.join(tree, "sub"), { recursive: true });
  for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(tree, i % 2 ? "sub" : "", `f${i}.txt`), `file ${i}`);
  const s1 = aws(["s3", "sync", "--no-progress", tree, "s3://cli-bucket/tree/"]).stdout;
  assert.equal((s1.match(/upload:/g) || []).length, 12);
  const s2 = aws(["s3", "sync", "--no-progress", tree, "s3://cli-bucket/tree/"]).stdout;
  assert.equal((s2.match(/upload:/g) || []).length, 0, "second sync uploads nothing");
  fs.writeFileSync(path.join(tree, "f0.txt"), "changed content, longer");
  const s3 = aws(["s3", "sync", "--no-progress", tree, "s3://cli-bucket/tree/"]).stdout;
  assert.equal((s3.match(/upload:/g) || []).length, 1);
  const back = path.join(work, "tree.back");
  aws(["s3", "sync", "--no-progress", "s3://cli-bucket/tree/", back]);
  assert.equal(fs.readFileSync(path.join(back, "sub", "f5.txt"), "utf8"), "file 5");
  const top = aws(["s3", "ls", "s3://cli-bucket/"]).stdout;
  assert.match(top, /PRE one\//);
  assert.match(top, /PRE tree\//);
  const fail = aws(["s3", "rb", "s3://cli-bucket"], { allowFail: true });
  assert.notEqual(fail.status, 0);
  assert.match(fail.stderr, /BucketNotEmpty/);
  aws(["s3", "rm", "--recursive", "s3://cli-bucket/tree/"]);
  assert.doesNotMatch(aws(["s3", "ls", "s3://cli-bucket/"]).stdout, /tree/);
});

test("aws-cli: presign + curl, expiry", async () => {
  const url = aws(["s3", "presign", "s3://cli-bucket/one/small.bin", "--expires-in", "300"]).stdout.trim();
  assert.match(url, /X-Amz-Signature=/);
  const r = H.run("curl", ["-sS", "-o", path.join(work, "presigned.bin"), "-w", "%{http_code}", url]);
  assert.equal(r.stdout, "200");
  assert.equal(H.md5File(path.join(work, "presigned.bin")), H.md5File(path.join(work, "small.bin")));
  const bad = H.run("curl", ["-sS", "-w", "\n%{http_code}", url.replace("small.bin", "big.bin")]);
  assert.match(bad.stdout, /SignatureDoesNotMatch[\s\S]*\n403$/);
  const short = aws(["s3", "presign", "s3://cli-bucket/one/small.bin", "--expires-in", "1"]).stdout.trim();
  await new Promise((res) => setTimeout(res, 2100));
  const expired = H.run("curl", ["-sS", "-D", "-", short]);
  assert.match(expired.stdout, /403/);
  assert.match(expired.stdout, /Request has expired/);
  assert.match(expired.stdout, /\r\nDate: /i);
});

test("aws-cli s3api: multipart upload by hand, list-objects-v2 pagination, tagging, delete-objects", () => {
  const part = H.randomFile(work, "part.bin", 5 * 1024 * 1024);
  const up = JSON.parse(aws(["s3api", "create-multipart-upload", "--bucket", "cli-bucket", "--key", "manual"]).stdout);
  const e1 = JSON.parse(aws(["s3api", "upload-part", "--bucket", "cli-bucket", "--key", "manual", "--part-number", "1",
    "--upload-id", up.UploadId, "--body", part]).stdout).ETag;
  const e2 = JSON.parse(aws(["s3api", "upload-part", "--bucket", "cli-bucket", "--key", "manual", "--part-number", "2",
    "--upload-id", up.UploadId, "--body", path.join(work, "small.bin")]).stdout).ETag;
  const parts = JSON.parse(aws(["s3api", "list-parts", "--bucket", "cli-bucket", "--key", "manual", "--upload-id", up.UploadId]).stdout);
  assert.deepEqual(parts.Parts.map((p) => p.PartNumber), [1, 2]);
  const mpu = JSON.stringify({ Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] });
  const done = JSON.parse(aws(["s3api", "complete-multipart-upload", "--bucket", "cli-bucket", "--key", "manual",
    "--upload-id", up.UploadId, "--multipart-upload", mpu]).stdout);
  assert.match(done.ETag, /-2"$/);
  const head = JSON.parse(aws(["s3api", "head-object", "--bucket", "cli-bucket", "--key", "manual"]).stdout);
  assert.equal(head.ContentLength, 5 * 1024 * 1024 + 123457);

  const page = JSON.parse(aws(["s3api", "list-objects-v2", "--bucket", "cli-bucket", "--max-items", "1"]).stdout);
  assert.equal(page.Contents.length, 1);
  assert.ok(page.NextToken);
  aws(["s3api", "put-object-tagging", "--bucket", "cli-bucket", "--key", "manual", "--tagging", "TagSet=[{Key=a,Value=b}]"]);
  const tags = JSON.parse(aws(["s3api", "get-object-tagging", "--bucket", "cli-bucket", "--key", "manual"]).stdout);
  assert.deepEqual(tags.TagSet, [{ Key: "a", Value: "b" }]);
  const del = JSON.parse(aws(["s3api", "delete-objects", "--bucket", "cli-bucket", "--delete",
    JSON.stringify({ Objects: [{ Key: "manual" }, { Key: "one/small.bin" }] })]).stdout);
  assert.equal(del.Deleted.length, 2);
});

function s3cmd(args, opts) {
  return H.run("s3cmd", [`--access_key=${d.creds.SecretId}`, `--secret_key=${d.creds.SecretKey}`,
    `--host=127.0.0.1:${d.objectPort}`, `--host-bucket=127.0.0.1:${d.objectPort}`, "--no-ssl", "--region=us-east-1",
    "-c", "/dev/null", ...args], opts);
}

test("s3cmd: mb, put, ls, get, info, signurl (SigV2) + curl, del, rb", () => {
  s3cmd(["mb", "s3://s3cmd-bucket"]);
  const f = H.randomFile(work, "s3cmd.bin", 300000);
  s3cmd(["put", "--add-header=x-amz-meta-tool:s3cmd", f, "s3://s3cmd-bucket/dir/s3cmd.bin"]);
  assert.match(s3cmd(["ls", "s3://s3cmd-bucket/dir/"]).stdout, /300000\s+s3:\/\/s3cmd-bucket\/dir\/s3cmd\.bin/);
  const out = path.join(work, "s3cmd.back");
  s3cmd(["get", "--force", "s3://s3cmd-bucket/dir/s3cmd.bin", out]);
  assert.equal(H.md5File(out), H.md5File(f));
  assert.match(s3cmd(["info", "s3://s3cmd-bucket/dir/s3cmd.bin"]).stdout, /x-amz-meta-tool: s3cmd/);
  // the same through SigV2 header authentication
  assert.match(s3cmd(["--signature-v2", "ls", "s3://s3cmd-bucket/dir/"]).stdout, /s3cmd\.bin/);
  s3cmd(["--signature-v2", "put", f, "s3://s3cmd-bucket/v2/copy.bin"]);
  s3cmd(["--signature-v2", "get", "--force", "s3://s3cmd-bucket/v2/copy.bin", out]);
  assert.equal(H.md5File(out), H.md5File(f));
  s3cmd(["--signature-v2", "del", "s3://s3cmd-bucket/v2/copy.bin"]);
  const url = s3cmd(["signurl", "s3://s3cmd-bucket/dir/s3cmd.bin", "+300"]).stdout.trim();
  assert.match(url, /AWSAccessKeyId=.*Signature=/);
  const r = H.run("curl", ["-sS", "-o", path.join(work, "signurl.bin"), "-w", "%{http_code}", url]);
  assert.equal(r.stdout, "200");
  assert.equal(H.md5File(path.join(work, "signurl.bin")), H.md5File(f));
  s3cmd(["del", "s3://s3cmd-bucket/dir/s3cmd.bin"]);
  s3cmd(["rb", "s3://s3cmd-bucket"]);
  assert.doesNotMatch(s3cmd(["ls"]).stdout, /s3cmd-bucket/);
});

test("rclone (provider Other): mkdir, copy, lsf, cat, check, delete", () => {
  const env = {
    RCLONE_CONFIG_Y_TYPE: "s3", RCLONE_CONFIG_Y_PROVIDER: "Other", RCLONE_CONFIG_Y_ENDPOINT: d.objectEndpoint,
    RCLONE_CONFIG_Y_ACCESS_KEY_ID: d.creds.SecretId, RCLONE_CONFIG_Y_SECRET_ACCESS_KEY: d.creds.SecretKey,
    RCLONE_CONFIG_Y_REGION: "us-east-1", RCLONE_CONFIG_Y_FORCE_PATH_STYLE: "true", RCLONE_CONFIG: "/dev/null",
  };
  const rc = (args) => H.run("rclone", args, { env, unsetEnv: ["AWS_CA_BUNDLE"] });
  rc(["mkdir", "y:rclone-bucket"]);
  const src = path.join(work, "rsrc");
  fs.mkdirSync(path.join(src, "d"), { recursive: true });
  fs.writeFileSync(path.join(src, "a.txt"), "alpha");
  fs.writeFileSync(path.join(src, "d", "b.txt"), "beta");
  H.randomFile(path.join(src, "d"), "big.bin", 12 * 1024 * 1024); // multipart above rclone's cutoff? (cutoff 200M: single PUT)
  rc(["copy", src, "y:rclone-bucket/data", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"]);
  const lsf = rc(["lsf", "-R", "y:rclone-bucket/data"]).stdout.split("\n").filter(Boolean).sort();
  assert.deepEqual(lsf, ["a.txt", "d/", "d/b.txt", "d/big.bin"]);
  assert.equal(rc(["cat", "y:rclone-bucket/data/d/b.txt"]).stdout, "beta");
  rc(["check", src, "y:rclone-bucket/data"]);
  rc(["delete", "y:rclone-bucket/data/a.txt"]);
  assert.deepEqual(rc(["lsf", "y:rclone-bucket/data"]).stdout.split("\n").filter(Boolean), ["d/"]);
});

test("boto3: objects, metadata, ranges, listing, copy, tagging, presigned URL, errors", () => {
  const script = `
import sys, json, hashlib, urllib.request, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
ep, ak, sk = sys.argv[1:4]
s3 = boto3.client('s3', endpoint_url=ep, region_name='us-east-1', aws_access_key_id=ak, aws_secret_access_key=sk,
                  config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
out = {}
s3.create_bucket(Bucket='boto-bucket')
body = b'x' * 1000 + b'y' * 1000
r = s3.put_object(Bucket='boto-bucket', Key='k/one', Body=body, Metadata={'who': 'boto'}, ContentType='text/plain')
out['etag_ok'] = r['ETag'] == '"%s"' % hashlib.md5(body).hexdigest()
g = s3.get_object(Bucket='boto-bucket', Key='k/one', Range='bytes=995-1004')
out['range'] = g['Body'].read().decode()
out['meta'] = s3.head_object(Bucket='boto-bucket', Key='k/one')['Metadata']
for i in range(25):
    s3.put_object(Bucket='boto-bucket', Key='p/%02d' % i, Body=b'%d' % i)
pages = s3.get_paginator('list_objects').paginate(Bucket='boto-bucket', Prefix='p/', PaginationConfig={'PageSize': 10})
out['v1keys'] = sum(len(p.get('Contents', [])) for p in pages)
pages = s3.get_paginator('list_objects_v2').paginate(Bucket='boto-bucket', Delimiter='/', PaginationConfig={'PageSize': 1})
out['prefixes'] = sorted(cp['Prefix'] for p in pages for cp in p.get('CommonPrefixes', []))
s3.copy_object(Bucket='boto-bucket', Key='k/copy', CopySource={'Bucket': 'boto-bucket', 'Key': 'k/one'},
               MetadataDirective='REPLACE', Metadata={'who': 'copy'})
out['copymeta'] = s3.head_object(Bucket='boto-bucket', Key='k/copy')['Metadata']
s3.put_object_tagging(Bucket='boto-bucket', Key='k/copy', Tagging={'TagSet': [{'Key': 't', 'Value': '1'}]})
out['tags'] = s3.get_object_tagging(Bucket='boto-bucket', Key='k/copy')['TagSet']
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'boto-bucket', 'Key': 'k/one'}, ExpiresIn=60)
out['presigned'] = urllib.request.urlopen(url).read() == body
put_url = s3.generate_presigned_url('put_object', Params={'Bucket': 'boto-bucket', 'Key': 'k/viaurl'}, ExpiresIn=60)
urllib.request.urlopen(urllib.request.Request(put_url, data=b'uploaded', method='PUT')).read()
out['presigned_put'] = s3.get_object(Bucket='boto-bucket', Key='k/viaurl')['Body'].read().decode()
try:
    s3.get_object(Bucket='boto-bucket', Key='nope')
except ClientError as e:
    out['nokey'] = e.response['Error']['Code']
try:
    s3.get_object(Bucket='boto-bucket', Key='k/one', IfNoneMatch=r['ETag'])
except ClientError as e:
    out['notmod'] = e.response['ResponseMetadata']['HTTPStatusCode']
d = s3.delete_objects(Bucket='boto-bucket', Delete={'Objects': [{'Key': 'p/%02d' % i} for i in range(25)], 'Quiet': True})
out['quiet_errors'] = len(d.get('Errors', []))
out['left'] = [o['Key'] for o in s3.list_objects_v2(Bucket='boto-bucket').get('Contents', [])]
print(json.dumps(out))
`;
  const r = H.run("/usr/bin/python3", ["-c", script, d.objectEndpoint, d.creds.SecretId, d.creds.SecretKey]);
  const out = JSON.parse(r.stdout);
  assert.equal(out.etag_ok, true);
  assert.equal(out.range, "xxxxxyyyyy");
  assert.deepEqual(out.meta, { who: "boto" });
  assert.equal(out.v1keys, 25);
  assert.deepEqual(out.prefixes, ["k/", "p/"]);
  assert.deepEqual(out.copymeta, { who: "copy" });
  assert.deepEqual(out.tags, [{ Key: "t", Value: "1" }]);
  assert.equal(out.presigned, true);
  assert.equal(out.presigned_put, "uploaded");
  assert.equal(out.nokey, "NoSuchKey");
  assert.equal(out.notmod, 304);
  assert.equal(out.quiet_errors, 0);
  assert.deepEqual(out.left, ["k/copy", "k/one", "k/viaurl"]);
});
