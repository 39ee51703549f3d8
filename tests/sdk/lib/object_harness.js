/*
 * Shared by the object_*.test.js files: starts a yund with its object listener on a free port and
 * a known virtual-host domain, and builds the clients the tests drive (aws-cli, s3cmd, rclone,
 * boto3, @aws-sdk/client-s3, cos-nodejs-sdk-v5) against it. Not a test file itself.
 */
"use strict";
const { spawnSync, spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const assert = require("node:assert/strict");
const { startDaemon, freePort } = require("./yund");

const DOMAIN = "s3.yun.test";
const COS_DOMAIN = "cos.yun.test";

/* A daemon whose object store listens on its own free port. domain: virtual-host base domain;
 * args: more `yun up` flags (e.g. ["--test-clock"]); object: more keys of the config's "object"
 * section (e.g. kms_keys, {rate_per_second: 5}). */
async function startObjectDaemon({ domain = DOMAIN, args, object = {} } = {}) {
  const objectPort = await freePort();
  const d = await startDaemon({ config: { object: { host: "127.0.0.1", port: objectPort, domain, ...object } }, args });
  d.objectPort = objectPort;
  d.objectEndpoint = `http://127.0.0.1:${objectPort}`;
  assert.equal(d.creds.ObjectEndpoint, d.objectEndpoint, "credentials.json names the object endpoint");
  return d;
}

function tmpdir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `yun-obj-${tag}-`));
}

function randomFile(dir, name, size) {
  const p = path.join(dir, name);
  const fd = fs.openSync(p, "w");
  const chunk = 1 << 20;
  for (let off = 0; off < size; off += chunk) fs.writeSync(fd, crypto.randomBytes(Math.min(chunk, size - off)));
  fs.closeSync(fd);
  return p;
}

function md5File(p) {
  return crypto.createHash("md5").update(fs.readFileSync(p)).digest("hex");
}

/* Runs a command; returns {status, stdout, stderr}; asserts success unless allowFail. */
function run(cmd, args, { env = {}, allowFail = false, input, timeout = 120000, unsetEnv = [] } = {}) {
  const e = { ...process.env, ...env };
  delete e.http_proxy; delete e.https_proxy; delete e.HTTP_PROXY; delete e.HTTPS_PROXY;
  for (const k of unsetEnv) delete e[k];
  const r = spawnSync(cmd, args, { encoding: "utf8", env: e, input, timeout, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (!allowFail) assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/* Debian's awscli 2.x with the daemon's keys, path-style. */
function awsCli(d, creds = d.creds) {
  const home = tmpdir("aws");
  fs.writeFileSync(path.join(home, "config"), "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
  const env = {
    AWS_ACCESS_KEY_ID: creds.SecretId, AWS_SECRET_ACCESS_KEY: creds.SecretKey, AWS_CONFIG_FILE: path.join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "none"), AWS_DEFAULT_REGION: "us-east-1", AWS_PAGER: "",
  };
  return (args, opts = {}) => run("/usr/bin/aws", ["--endpoint-url", d.objectEndpoint, ...args],
    { ...opts, env: { ...env, ...(opts.env || {}) } });
}

/* A raw HTTP request to the object listener; resolves {status, headers, body(Buffer)}. */
function rawRequest(d, { method = "GET", path: p = "/", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: d.objectPort, method, path: p, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

function fetchUrl(url, opts = {}) {
  const u = new URL(url);
  return rawRequest({ objectPort: Number(u.port) }, { path: u.pathname + u.search, ...opts });
}

/* @aws-sdk/client-s3 against the daemon, path-style, no retries. extra: more client options. */
function s3Client(d, creds = d.creds, { region = "us-east-1", ...extra } = {}) {
  const S3 = require("@aws-sdk/client-s3");
  return new S3.S3Client({ region, endpoint: d.objectEndpoint, forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: creds.SecretId, secretAccessKey: creds.SecretKey }, ...extra });
}

/* Awaits p, which must fail with the S3 error code (or the HTTP status, given as digits). */
async function expectS3Error(p, code) {
  try {
    await p;
  } catch (e) {
    const status = String(e.$metadata?.httpStatusCode);
    const ok = e.name === code || e.Code === code || (/^\d+$/.test(code) && status === code);
    assert.ok(ok, `expected ${code}, got ${e.name} (HTTP ${status}): ${e.message}`);
    return e;
  }
  assert.fail(`expected ${code}, the call succeeded`);
}

/* The S3 error code in an XML error body. */
function errorCode(body) {
  const m = /<Code>([^<]*)<\/Code>/.exec(body.toString());
  return m ? m[1] : null;
}

/* Peak RSS of a pid in KiB (VmHWM). */
function peakRssKiB(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(s)[1]);
}
function rssKiB(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

module.exports = {
  DOMAIN, COS_DOMAIN, startObjectDaemon, tmpdir, randomFile, md5File, run, awsCli, rawRequest, fetchUrl, errorCode,
  peakRssKiB, rssKiB, spawn, s3Client, expectS3Error,
};
