#!/usr/bin/env node
/*
 * Pre-signs one cvm DescribeZones request (TC3-HMAC-SHA256) with the root key
 * of a yun data dir and prints shell `export` lines for bench/replay.lua.
 * TC3 has no nonce, so the same signed request can be replayed for the
 * signature's 300 s lifetime.
 * Usage: eval "$(node bench/presign.js DATA_DIR [ACTION VERSION BODY])"
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const tc3 = require("../tests/sdk/lib/tc3");

const [dataDir, action = "DescribeZones", version = "2017-03-12", body = "{}"] = process.argv.slice(2);
if (!dataDir) { console.error("usage: presign.js DATA_DIR [ACTION VERSION BODY]"); process.exit(2); }
const c = JSON.parse(fs.readFileSync(path.join(dataDir, "credentials.json"), "utf8"));
const timestamp = Math.floor(Date.now() / 1000);
const host = c.Endpoint.split(":")[0];
const s = tc3.sign({ secretId: c.SecretId, secretKey: c.SecretKey, host, service: c.Endpoint.split(".")[0],
                     timestamp, body });
const q = (v) => "'" + String(v).replace(/'/g, "'\\''") + "'";
const out = {
  YUN_ENDPOINT: c.Endpoint, YUN_REGION: c.Region, YUN_ACTION: action, YUN_VERSION: version,
  YUN_TS: timestamp, YUN_BODY: body, YUN_AUTH: s.authorization,
};
for (const [k, v] of Object.entries(out)) console.log(`export ${k}=${q(v)}`);
