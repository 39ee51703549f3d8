// Overview: counts of instances, disks and buckets, and this month's spend with a daily chart.
// Each card asks for itself, so a denial of one shows in that card and the rest still load.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { DailyChart, ErrorBox, dailyCosts, html, yuan } from "../ui.js";
import { byProduct, monthDetail, monthOf } from "../bills_data.js";

function useLoad(fn) {
  const [s, set] = useState({ loading: true });
  useEffect(() => { fn().then((v) => set({ v }), (error) => set({ error })); }, []);
  return s;
}

function Card({ title, state, children, testid }) {
  return html`<section class="card stat" data-testid=${testid}>
    <h3>${title}</h3>
    ${state.loading ? html`<div class="muted">${t("common.loading")}</div>` : state.error ? html`<${ErrorBox} error=${state.error} />` : children}
  </section>`;
}

export function Overview({ me }) {
  const month = monthOf(me.Now);
  const inst = useLoad(async () => {
    const all = await api.call("cvm", "DescribeInstances", { Limit: 100 });
    return { total: all.TotalCount, running: (all.InstanceSet || []).filter((i) => i.InstanceState === "RUNNING").length };
  });
  const disks = useLoad(async () => (await api.call("cbs", "DescribeDisks", { Limit: 1 })).TotalCount);
  const buckets = useLoad(async () => (await api.listBuckets()).length);
  const spend = useLoad(async () => {
    const [sum, rows] = await Promise.all([byProduct(month), monthDetail(month)]);
    return { total: sum.SummaryTotal?.RealTotalCost || "0", daily: dailyCosts(month, rows, me.Now) };
  });
  return html`<div>
    <h2>${t("overview.title")}</h2>
    <div class="stats">
      <${Card} title=${t("overview.instances")} state=${inst} testid="count-instances">
        <div class="big">${inst.v?.total}</div><div class="muted">${inst.v?.running} ${t("overview.running")}</div>
      <//>
      <${Card} title=${t("overview.disks")} state=${disks} testid="count-disks"><div class="big">${disks.v}</div><//>
      <${Card} title=${t("overview.buckets")} state=${buckets} testid="count-buckets"><div class="big">${buckets.v}</div><//>
      <${Card} title=${`${t("overview.spend")} (${month})`} state=${spend} testid="spend">
        <div class="big">¥${yuan(spend.v?.total)}</div>
      <//>
    </div>
    ${spend.v && html`<section class="card"><h3>${t("overview.daily")}</h3>
      <${DailyChart} xs=${spend.v.daily.xs} ys=${spend.v.daily.ys} label=${t("overview.daily")} testid="overview-chart" /></section>`}
  </div>`;
}
