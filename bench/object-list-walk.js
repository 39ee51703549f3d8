#!/usr/bin/env node
/*
 * Walks a whole bucket with ListObjectsV2 continuation tokens (1000 keys a page), one request at a
 * time, as a client paginating would; prints keys, pages, seconds and keys/s as JSON.
 * Usage: node bench/object-list-walk.js ENDPOINT BUCKET   (AK, SK in the environment)
 */
"use strict";
const crypto = require("node:crypto");
const http = require("node:http");
const { SignatureV4 } = require("@smithy/signature-v4");

class Sha256 {
  constructor(secret) { this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256"); }
  update(d) { this.h.update(d); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

const [endpoint, bucket] = process.argv.slice(2);
const u = new URL(endpoint);
const signer = new SignatureV4({ service: "s3", region: "us-east-1", sha256: Sha256,
  credentials: { accessKeyId: process.env.AK, secretAccessKey: process.env.SK } });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function page(token) {
  const query = { "list-type": "2", "max-keys": "1000" };
  if (token) query["continuation-token"] = token;
  const req = await signer.sign({ method: "GET", protocol: "http:", hostname: u.hostname, port: Number(u.port),
    path: `/${bucket}`, query, headers: { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
  const qs = new URLSearchParams(query).toString();
  return new Promise((resolve, reject) => {
    http.get({ host: u.hostname, port: u.port, path: `/${bucket}?${qs}`, headers: req.headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    }).on("error", reject);
  });
}

(async () => {
  const t0 = process.hrtime.bigint();
  let keys = 0, pages = 0, token;
  do {
    const r = await page(token);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    keys += (r.body.match(/<Key>/g) || []).length;
    pages++;
    const m = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(r.body);
    token = m ? m[1] : null;
  } while (token);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ keys, pages, seconds: +s.toFixed(2), keys_per_s: Math.round(keys / s) }));
  agent.destroy();
})().catch((e) => { console.error(e); process.exit(1); });
