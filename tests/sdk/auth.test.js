/*
 * Authentication and request validation: TC3 signer vectors, wrong keys,
 * stale timestamps, malformed headers, unknown actions, parameter checking,
 * body limits, malformed JSON, GET-signed and v1-signed (HmacSHA1/HmacSHA256)
 * requests through the official SDK, and the per-account rate limit.
 */
"use strict";
const { test, describe, before, after } = require("node:test");
const assert = require("node:assert/strict");
const tc3 = require("./lib/tc3");
const { startDaemon, rejectsWith, sleep } = require("./lib/yund");

describe("tc3 signer (reference vectors)", () => {
  test("vector B: POST to 127.0.0.1:8080", () => {
    const s = tc3.sign({ secretId: "AKIDEXAMPLE", secretKey: "SECRETEXAMPLE", host: "127.0.0.1", service: "127",
      timestamp: 1700000000, body: '{"Limit":1,"Filters":[{"Name":"zone","Values":["ap-guangzhou-3"]}]}' });
    assert.equal(s.canonicalRequest, "POST\n/\n\ncontent-type:application/json\nhost:127.0.0.1\n\ncontent-type;host\n" +
      "2e22339a2f3b113495ae191398c77209db59dea0a8bba1214d49b0785343a936");
    assert.equal(s.stringToSign.split("\n")[3], "02bc8eecca7dfdd128f3996a37633329724ee6ca56541ae59e1f700146049efe");
    assert.equal(s.kSigning, "0c42c0623fbc161b485b5a55e3e3d9183a611b842461c43c5eb08b84a4004784");
    assert.equal(s.authorization, "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/127/tc3_request, " +
      "SignedHeaders=content-type;host, Signature=e8dc5159c1b013a8c3ea1c2bf20747cea5ed5a4ac2865b2cb91a62caaf6f4bfc");
  });
  test("vector C: hostname endpoint, service cvm", () => {
    const s = tc3.sign({ secretId: "AKIDEXAMPLE", secretKey: "SECRETEXAMPLE", host: "cvm.example.internal", service: "cvm",
      timestamp: 1700000000, body: '{"Limit":1,"Filters":[{"Name":"zone","Values":["ap-guangzhou-3"]}]}' });
    assert.equal(s.signature, "4417100f11d45d7edbd1237c60ca0eee5c7e19f3ceffdbeeb2a66e02fdd05301");
  });
  test("vector D: GET", () => {
    const s = tc3.sign({ secretId: "AKIDEXAMPLE", secretKey: "SECRETEXAMPLE", host: "127.0.0.1", service: "127",
      timestamp: 1700000000, method: "GET", contentType: "application/x-www-form-urlencoded",
      query: "Limit=1&Filters.0.Name=zone&Filters.0.Values.0=ap-guangzhou-3" });
    assert.equal(s.signature, "c1529a38203db0ccaf8cdea03881017691e5bf99be8ce8ec08de2794e8b6794a");
  });
});

describe("against the daemon", () => {
  let d;
  const zones = (extra) => ({ action: "DescribeZones", version: "2017-03-12", region: "ap-local",
    secretId: d.creds.SecretId, secretKey: d.creds.SecretKey, ...extra });
  const code = (r) => r.json?.Response?.Error?.Code;
  const ok = (r) => {
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json?.Response, `Response envelope: ${r.text}`);
    assert.ok(!r.json.Response.Error, `unexpected error: ${r.text}`);
    return r.json.Response;
  };
  const err = (r, expected) => {
    assert.equal(r.status, 200, `errors are HTTP 200: ${r.status} ${r.text}`);
    const c = code(r);
    assert.ok(expected instanceof RegExp ? expected.test(c || "") : c === expected, `expected ${expected}, got ${r.text}`);
    assert.ok(r.json.Response.RequestId, "error carries a RequestId");
    assert.equal(typeof r.json.Response.Error.Message, "string");
    return r.json.Response.Error;
  };

  before(async () => { d = await startDaemon(); });
  after(async () => { await d?.destroy(); });

  test("own signer: a correct request succeeds (also with service 'cvm' and a charset)", async () => {
    assert.equal(ok(await tc3.request(d.endpoint, zones())).ZoneSet.length, 2);
    ok(await tc3.request(d.endpoint, zones({ service: "cvm" })));
    ok(await tc3.request(d.endpoint, zones({ contentType: "application/json; charset=utf-8" })));
  });

  test("wrong secret key -> AuthFailure.SignatureFailure", async () => {
    await rejectsWith(d.cvm({ SecretId: d.creds.SecretId, SecretKey: d.creds.SecretKey + "x" }).DescribeZones({}),
      "AuthFailure.SignatureFailure");
  });

  test("unknown SecretId -> AuthFailure.SecretIdNotFound", async () => {
    await rejectsWith(d.cvm({ SecretId: "AKIDdoesnotexist000000000000000000", SecretKey: "x" }).DescribeZones({}),
      "AuthFailure.SecretIdNotFound");
  });

  test("body tampered after signing -> AuthFailure.SignatureFailure", async () => {
    const s = tc3.sign({ secretId: d.creds.SecretId, secretKey: d.creds.SecretKey, host: "127.0.0.1", service: "127",
      timestamp: Math.floor(Date.now() / 1000), body: '{"Name":"a"}' });
    err(await tc3.request(d.endpoint, { action: "GetUser", version: "2019-01-16", body: '{"Name":"b"}',
      authorization: s.authorization }), "AuthFailure.SignatureFailure");
  });

  test("timestamps off by 10 minutes -> AuthFailure.SignatureExpire; 2 minutes is fine", async () => {
    const now = Math.floor(Date.now() / 1000);
    err(await tc3.request(d.endpoint, zones({ timestamp: now - 600 })), "AuthFailure.SignatureExpire");
    err(await tc3.request(d.endpoint, zones({ timestamp: now + 600 })), "AuthFailure.SignatureExpire");
    ok(await tc3.request(d.endpoint, zones({ timestamp: now - 120 })));
  });

  test("identical request replayed is accepted (TC3 has no nonce)", async () => {
    const ts = Math.floor(Date.now() / 1000);
    ok(await tc3.request(d.endpoint, zones({ timestamp: ts })));
    ok(await tc3.request(d.endpoint, zones({ timestamp: ts })));
  });

  test("malformed Authorization -> AuthFailure.InvalidAuthorization", async () => {
    for (const authorization of [
      "garbage",
      "TC3-HMAC-SHA256 Credential=onlythis",
      `TC3-HMAC-SHA256 Credential=${d.creds.SecretId}/2024-01-01/127/tc3_request, SignedHeaders=content-type;host`,
      `TC3-HMAC-SHA256 Credential=${d.creds.SecretId}, SignedHeaders=content-type;host, Signature=abc`,
    ]) {
      err(await tc3.request(d.endpoint, zones({ authorization })), "AuthFailure.InvalidAuthorization");
    }
  });

  test("no Authorization header at all -> an AuthFailure", async () => {
    err(await tc3.request(d.endpoint, zones({ authorization: null })), /^AuthFailure/);
  });

  test("credential date that is not the timestamp's UTC date -> an AuthFailure", async () => {
    const ts = Math.floor(Date.now() / 1000);
    const s = tc3.sign({ secretId: d.creds.SecretId, secretKey: d.creds.SecretKey, host: "127.0.0.1", service: "127",
      timestamp: ts - 3 * 86400, body: "{}" });
    err(await tc3.request(d.endpoint, zones({ timestamp: ts, authorization: s.authorization })), /^AuthFailure/);
  });

  test("unknown action -> InvalidAction", async () => {
    await rejectsWith(d.common("2017-03-12").request("DescribeNothingAtAll", {}), "InvalidAction");
    await rejectsWith(d.common("2019-01-16").request("DescribeZones", {}), "InvalidAction", "cvm action under the cam version");
  });

  test("missing required parameter -> MissingParameter", async () => {
    await rejectsWith(d.cam().GetUser({}), /^MissingParameter/);
    await rejectsWith(d.cam().AttachUserPolicy({ PolicyId: 1 }), /^MissingParameter/);
  });

  test("unknown parameter -> UnknownParameter", async () => {
    await rejectsWith(d.cvm().DescribeZones({ Bogus: 1 }), /^UnknownParameter/);
    await rejectsWith(d.cam().GetUser({ Name: "x", Extra: "y" }), /^UnknownParameter/);
  });

  test("wrong JSON type -> InvalidParameter", async () => {
    await rejectsWith(d.cam().GetUser({ Name: 42 }), /^InvalidParameter$|^InvalidParameter\./);
    await rejectsWith(d.cam().GetPolicy({ PolicyId: "seven" }), /^InvalidParameter$|^InvalidParameter\./);
    await rejectsWith(d.cam().AddUser({ Name: ["a"] }), /^InvalidParameter$|^InvalidParameter\./);
    await rejectsWith(d.cam().DeletePolicy({ PolicyId: 5 }), /^InvalidParameter$|^InvalidParameter\./, "array expected");
  });

  test("bad value -> InvalidParameterValue", async () => {
    await rejectsWith(d.cam().ListPolicies({ Rp: 0 }), /^InvalidParameterValue/);
    await rejectsWith(d.cam().ListPolicies({ Rp: 1000 }), /^InvalidParameterValue/);
  });

  test("10 MiB body -> RequestSizeLimitExceeded, daemon stays up", async () => {
    const body = JSON.stringify({ Name: "a".repeat(10 * 1024 * 1024) });
    const r = await tc3.request(d.endpoint, { action: "GetUser", version: "2019-01-16",
      secretId: d.creds.SecretId, secretKey: d.creds.SecretKey, body });
    err(r, "RequestSizeLimitExceeded");
    ok(await tc3.request(d.endpoint, zones()));
  });

  test("malformed JSON body -> InvalidParameter", async () => {
    for (const body of ['{"Name":', "not json", "[1,2]", '"str"']) {
      const r = await tc3.request(d.endpoint, { action: "GetUser", version: "2019-01-16",
        secretId: d.creds.SecretId, secretKey: d.creds.SecretKey, body });
      err(r, /^InvalidParameter$|^InvalidParameter\./);
    }
  });

  test("GET with TC3 through the SDK (params arrive as strings)", async () => {
    const get = { reqMethod: "GET" };
    assert.equal((await d.cvm(undefined, get).DescribeZones({})).ZoneSet.length, 2);
    const cam = d.cam(undefined, get);
    const u = await cam.AddUser({ Name: "getter", Remark: "via get", UseApi: 1, ConsoleLogin: 0 });
    assert.equal(typeof u.Uin, "number");
    assert.ok(u.SecretId, "UseApi '1' coerced to a number");
    const g = await cam.GetUser({ Name: "getter" });
    assert.equal(g.Uin, u.Uin);
    assert.equal(g.Remark, "via get");
    const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["cvm:DescribeZones"], resource: "*" }] });
    const p = await cam.CreatePolicy({ PolicyName: "get-policy", PolicyDocument: doc });
    await cam.AttachUserPolicy({ PolicyId: p.PolicyId, AttachUin: u.Uin });
    const att = await cam.ListAttachedUserPolicies({ TargetUin: u.Uin, Page: 1, Rp: 10 });
    assert.equal(att.TotalNum, 1);
    await cam.DeletePolicy({ PolicyId: [p.PolicyId] });
    await rejectsWith(cam.GetPolicy({ PolicyId: p.PolicyId }), /^ResourceNotFound/);
    await rejectsWith(cam.GetUser({}), /^MissingParameter/);
    await rejectsWith(d.cam({ SecretId: d.creds.SecretId, SecretKey: "wrong" }, get).GetUser({ Name: "getter" }),
      "AuthFailure.SignatureFailure");
  });

  for (const signMethod of ["HmacSHA1", "HmacSHA256"]) {
    test(`v1 signature ${signMethod} through the SDK (POST and GET)`, async () => {
      const z = await d.cvm(undefined, { signMethod }).DescribeZones({});
      assert.equal(z.ZoneSet.length, 2);
      const zg = await d.cvm(undefined, { signMethod, reqMethod: "GET" }).DescribeZones({});
      assert.equal(zg.ZoneSet.length, 2);
      const cam = d.cam(undefined, { signMethod });
      const name = `v1-${signMethod}`;
      const u = await cam.AddUser({ Name: name, Remark: "héllo wörld & = +", UseApi: 0 });
      const g = await d.cam(undefined, { signMethod, reqMethod: "GET" }).GetUser({ Name: name });
      assert.equal(g.Uin, u.Uin);
      assert.equal(g.Remark, "héllo wörld & = +");
      await rejectsWith(d.cvm(undefined, { signMethod, region: "ap-nowhere" }).DescribeZones({}), "UnsupportedRegion");
      await rejectsWith(d.cvm({ SecretId: d.creds.SecretId, SecretKey: "wrong" }, { signMethod }).DescribeZones({}),
        "AuthFailure.SignatureFailure");
      await rejectsWith(d.cvm({ SecretId: "AKIDnope00000000000000000000000000", SecretKey: "x" }, { signMethod }).DescribeZones({}),
        "AuthFailure.SecretIdNotFound");
    });
  }
});

describe("rate limit", () => {
  let d;
  before(async () => { d = await startDaemon({ config: { rate_limit: { per_second: 5, burst: 5 } } }); });
  after(async () => { await d?.destroy(); });

  test("a burst of 30 is cut to about burst+rate; other accounts are not affected; it refills", async () => {
    const other = d.createAccount("other");
    const cvm = d.cvm();
    const t0 = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => cvm.DescribeZones({})));
    const elapsed = (Date.now() - t0) / 1000;
    const passed = results.filter((r) => r.status === "fulfilled").length;
    const limited = results.filter((r) => r.status === "rejected" && /^RequestLimitExceeded/.test(r.reason.code || "")).length;
    const othersErr = results.filter((r) => r.status === "rejected" && !/^RequestLimitExceeded/.test(r.reason.code || ""));
    assert.deepEqual(othersErr.map((r) => `${r.reason.code} ${r.reason.message}`), []);
    assert.equal(passed + limited, 30);
    assert.ok(passed >= 5, `at least the burst passes (passed ${passed})`);
    assert.ok(passed <= 5 + Math.ceil(elapsed * 5) + 1, `no more than burst + rate*elapsed (passed ${passed} in ${elapsed}s)`);
    assert.ok(limited > 0);
    // another root account has its own bucket
    await d.cvm({ SecretId: other.SecretId, SecretKey: other.SecretKey }).DescribeZones({});
    await sleep(1200);
    await cvm.DescribeZones({});
  });
});
