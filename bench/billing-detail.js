// DescribeBillDetail latency through the official SDK: p50/p99 of the first page and a deep page.
// Usage: node bench/billing-detail.js ENDPOINT SECRET_ID SECRET_KEY [ROUNDS]
"use strict";
const tencentcloud = require("tencentcloud-sdk-nodejs");
const [endpoint, secretId, secretKey, rounds = "100"] = process.argv.slice(2);
const c = new tencentcloud.billing.v20180709.Client({ credential: { secretId, secretKey }, region: "ap-local",
  profile: { httpProfile: { endpoint, protocol: "http://", reqTimeout: 60 } } });
const now = new Date();
const cam = (d) => d.toISOString().slice(0, 19).replace("T", " ");
(async () => {
  const end = new Date(Math.floor(now / 3600000) * 3600000);
  const begin = new Date(end - 30 * 86400000);
  const q = { BeginTime: cam(begin), EndTime: cam(end), Limit: 100 };
  const total = (await c.DescribeBillDetail({ ...q, Offset: 0 })).Total;
  for (const [name, offset] of [["first page", 0], ["deep page", Math.max(0, total - 200)]]) {
    const ms = [];
    for (let i = 0; i < Number(rounds); i++) {
      const t = process.hrtime.bigint();
      const r = await c.DescribeBillDetail({ ...q, Offset: offset });
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.DetailSet.length === 0) throw new Error("empty page");
    }
    ms.sort((a, b) => a - b);
    report(name, offset, total, ms);
  }
  // the same deep position reached by Context (an index seek after the previous page's last row)
  const ctx = (await c.DescribeBillDetail({ ...q, Offset: Math.max(0, total - 300) })).Context;
  const ms = [];
  for (let i = 0; i < Number(rounds); i++) {
    const t = process.hrtime.bigint();
    const r = await c.DescribeBillDetail({ ...q, Offset: 0, Context: ctx });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.DetailSet.length === 0) throw new Error("empty page");
  }
  ms.sort((a, b) => a - b);
  report("deep page by Context", "-", total, ms);
})().catch((e) => { console.error(e); process.exit(1); });

function report(name, offset, total, ms) {
  {
    console.log(`${name} (Offset ${offset} of ${total}, Limit 100): p50 ${ms[Math.floor(ms.length * 0.5)].toFixed(1)} ms,` +
      ` p99 ${ms[Math.floor(ms.length * 0.99)].toFixed(1)} ms`);
  }
}
