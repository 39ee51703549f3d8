// Bills: a month picker, the month's cost by product (table and chart) and by resource
// (DescribeBillResourceSummary), the daily spend, and a
// CSV of the month's detail rows; the account's balance above them (DescribeAccountBalance).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { DailyChart, ErrorBox, dailyCosts, download, html, rowCost, yuan } from "../ui.js";
import { byProduct, byResource, monthDetail, monthOf } from "../bills_data.js";

const CSV_COLUMNS = ["BillMonth", "BusinessCodeName", "ProductCodeName", "ResourceId", "ResourceName", "RegionName",
  "ZoneName", "PayModeName", "ActionTypeName", "FeeBeginTime", "FeeEndTime"];
const csvCell = (v) => `"${String(v ?? "").replaceAll('"', '""')}"`;

export function Bills({ me }) {
  const [month, setMonth] = useState(monthOf(me.Now));
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [balance, setBalance] = useState(null);
  useEffect(() => { api.call("billing", "DescribeAccountBalance").then(setBalance, (e) => setBalance({ error: e })); }, []);
  useEffect(() => {
    setData(null);
    setError(null);
    Promise.all([byProduct(month), monthDetail(month), byResource(month)]).then(([sum, rows, resources]) =>
      setData({ sum, rows, resources, daily: dailyCosts(month, rows, me.Now) }), setError);
  }, [month]);
  const exportCsv = () => {
    const lines = [[...CSV_COLUMNS, "RealCost"].join(",")];
    for (const r of data.rows) lines.push([...CSV_COLUMNS.map((c) => csvCell(r[c])), rowCost(r).toFixed(8)].join(","));
    download(new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv" }), `yun-bill-${month}.csv`);
  };
  const products = data?.sum.SummaryOverview || [];
  return html`<div>
    <div class="row"><h2>${t("bills.title")}</h2>
      <label class="inline">${t("bills.month")} <input type="month" name="month" data-testid="month" value=${month}
        onChange=${(e) => e.target.value && setMonth(e.target.value)} /></label>
      <button disabled=${!data} onClick=${exportCsv} data-testid="export">${t("bills.export")}</button></div>
    <section class="card" data-testid="balance"><h3>${t("bills.balance")}</h3>
      ${balance === null ? html`<div class="muted">${t("common.loading")}</div>` : balance.error ? html`<${ErrorBox} error=${balance.error} />` : html`
        <div class="row"><span class="big" data-testid="balance-cash">¥${yuan(balance.RealBalance / 100)}</span>
          <span class="muted">${t("bills.balance.detail", { cash: yuan(balance.CashAccountBalance / 100), present: yuan(balance.PresentAccountBalance / 100), frozen: yuan(balance.FreezeAmount / 100) })}</span>
          ${balance.OweAmount > 0 ? html`<span class="error" data-testid="owe">${t("bills.balance.owe", { owe: yuan(balance.OweAmount / 100) })}</span>` : ""}</div>`}
    </section>
    <${ErrorBox} error=${error} />
    ${!data && !error && html`<div class="muted">${t("common.loading")}</div>`}
    ${data && html`
      <section class="card"><h3>${t("bills.total")}: <span data-testid="bill-total">¥${yuan(data.sum.SummaryTotal?.RealTotalCost)}</span></h3>
        <table data-testid="by-product"><thead><tr><th>${t("bills.product")}</th><th>${t("bills.cost")}</th><th>${t("bills.ratio")}</th></tr></thead>
          <tbody>${products.length === 0 ? html`<tr><td colspan="3" class="muted">${t("bills.empty")}</td></tr>` : products.map((p) => html`
            <tr><td>${p.BusinessCodeName}</td><td>${yuan(p.RealTotalCost)}</td><td>${p.RealTotalCostRatio}%</td></tr>`)}</tbody></table>
        <div class="bars">${products.map((p) => html`<div class="bar"><span>${p.BusinessCodeName}</span>
          <meter min="0" max="100" value=${Number(p.RealTotalCostRatio)}></meter></div>`)}</div>
      </section>
      <section class="card"><h3>${t("bills.byResource")}</h3>
        <table data-testid="by-resource"><thead><tr><th>${t("bills.resource")}</th><th>${t("bills.product")}</th><th>${t("bills.region")}</th><th>${t("bills.cost")}</th></tr></thead>
          <tbody>${data.resources.length === 0 ? html`<tr><td colspan="4" class="muted">${t("bills.empty")}</td></tr>` : data.resources.map((r) => html`
            <tr data-id=${r.ResourceId}><td><div>${r.ResourceName || r.ResourceId}</div><div class="muted mono">${r.ResourceId}</div></td>
              <td>${r.BusinessCodeName}</td><td>${r.RegionName}</td><td data-testid="resource-cost">${yuan(r.RealTotalCost)}</td></tr>`)}</tbody></table>
      </section>
      <section class="card"><h3>${t("bills.daily")}</h3>
        <${DailyChart} xs=${data.daily.xs} ys=${data.daily.ys} label=${t("bills.daily")} testid="bill-chart" /></section>`}
  </div>`;
}
