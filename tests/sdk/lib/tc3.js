/*
 * A small, independent TC3-HMAC-SHA256 signer (node crypto only) for tests that
 * must craft requests the official SDK refuses to make: stale timestamps,
 * malformed bodies, oversized bodies, broken Authorization headers.
 * Follows /work/shared/reference/tencent-api.md section 1.3; checked against
 * vectors B and D there (see auth.test.js).
 */
"use strict";
const crypto = require("node:crypto");
const http = require("node:http");

const sha256hex = (data) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key, msg) => crypto.createHmac("sha256", key).update(msg).digest();

/* Returns {authorization, canonicalRequest, stringToSign, signature, date}. */
function sign({ secretId, secretKey, method = "POST", host, service, timestamp,
                contentType = "application/json", query = "", body = "" }) {
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const canonicalRequest = [
    method, "/", method === "GET" ? query : "",
    `content-type:${contentType}\nhost:${host}\n`,
    "content-type;host",
    sha256hex(method === "GET" ? "" : body),
  ].join("\n");
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = ["TC3-HMAC-SHA256", String(timestamp), scope, sha256hex(canonicalRequest)].join("\n");
  const kDate = hmac("TC3" + secretKey, date);
  const kService = hmac(kDate, service);
  const kSigning = hmac(kService, "tc3_request");
  const signature = crypto.createHmac("sha256", kSigning).update(stringToSign).digest("hex");
  const authorization = `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`;
  return { authorization, canonicalRequest, stringToSign, signature, date, kSigning: kSigning.toString("hex") };
}

/*
 * Sends one raw request to endpoint "host:port". opts: secretId, secretKey,
 * action, version, region, body (string|Buffer), timestamp (default now),
 * method, query, authorization (overrides the computed one; null = omit),
 * service (default: endpoint's first label, as the SDK does).
 * Resolves {status, json, text}; rejects on network errors.
 */
function request(endpoint, opts) {
  const [host, port] = endpoint.split(":");
  const method = opts.method || "POST";
  const body = opts.body === undefined ? "{}" : opts.body;
  const timestamp = opts.timestamp === undefined ? Math.floor(Date.now() / 1000) : opts.timestamp;
  const contentType = opts.contentType || (method === "GET" ? "application/x-www-form-urlencoded" : "application/json");
  const query = opts.query || "";
  let authorization = opts.authorization;
  if (authorization === undefined) {
    authorization = sign({ secretId: opts.secretId, secretKey: opts.secretKey, method, host,
      service: opts.service || endpoint.split(".")[0], timestamp, contentType, query, body }).authorization;
  }
  const headers = {
    "Content-Type": contentType,
    "Host": endpoint,
    "X-TC-Action": opts.action,
    "X-TC-Version": opts.version,
    "X-TC-Timestamp": String(timestamp),
  };
  if (opts.region) headers["X-TC-Region"] = opts.region;
  if (authorization !== null) headers["Authorization"] = authorization;
  if (method !== "GET") headers["Content-Length"] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method, path: "/" + (query ? "?" + query : ""), headers,
                               agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json = null;
        try { json = JSON.parse(text); } catch { /* leave null */ }
        resolve({ status: res.statusCode, json, text });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (method !== "GET") req.end(body); else req.end();
  });
}

module.exports = { sign, request, sha256hex };
