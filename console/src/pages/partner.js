// The partner's view (offered when the session's account is a partner; the partners actions check
// again): pending applications approved or rejected (AuditApplyClient), bound customers with a
// discount per product (SetClientDiscount), the customers' bills of a month (DescribeAgentBills)
// and the rebates by month with a chart (DescribeRebateInfosNew). Amounts are in cents.
import { useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { BarChart, ErrorBox, Tabs, html, runner, useLoad, yuan } from "../ui.js";
import { monthOf } from "../bills_data.js";

const none = (n) => html`<tr><td colspan=${n} class="muted">${t("common.none")}</td></tr>`;
const PRODUCTS = ["*", "cvm", "cbs", "vpc", "cos"];

function Customers() {
  const pending = useLoad(() => api.call("partners", "DescribeAgentClients", { Limit: 100 }).then((r) => r.AgentClientSet || []));
  const bound = useLoad(() => api.call("partners", "DescribeAgentAuditedClients", { Limit: 100 }).then((r) => r.AgentClientSet || []));
  // per customer credit, one model (docs/partners.md): read by intlpartnersmgt QueryCustomersCredit,
  // set by partners AllocateClientCredit (the new total, cents)
  const credit = useLoad(() => api.call("intlpartnersmgt", "QueryCustomersCredit", { PageSize: 100 })
    .then((r) => Object.fromEntries((r.Data || []).map((c) => [String(c.ClientUin), c]))));
  const [cred, setCred] = useState({});
  const [note, setNote] = useState({});
  const [disc, setDisc] = useState({});
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  const run = runner(setError);
  const audit = (c, AuditResult) => run(() => api.call("partners", "AuditApplyClient", { ClientUin: c.ClientUin, AuditResult, Note: note[c.ClientUin] || "" }),
    () => { setNotice(t(`partner.${AuditResult}ed`, { uin: c.ClientUin })); pending.reload(); bound.reload(); });
  const discount = (e, c) => {
    e.preventDefault();
    const d = disc[c.ClientUin] || {};
    run(() => api.call("partners", "SetClientDiscount", { ClientUin: c.ClientUin, Product: d.Product || "*", Discount: String(d.Discount || "") }),
      () => setNotice(t("partner.discounted", { uin: c.ClientUin, product: d.Product || "*", discount: d.Discount })));
  };
  const allocate = (e, c) => {
    e.preventDefault();
    const cents = Math.round(Number(cred[c.ClientUin] || 0) * 100);
    run(() => api.call("partners", "AllocateClientCredit", { ClientUin: c.ClientUin, Credit: cents }),
      (r) => { setNotice(t("partner.credited", { uin: c.ClientUin, credit: yuan(r.Credit / 100), remaining: yuan(r.RemainingCredit / 100) })); setCred({ ...cred, [c.ClientUin]: "" }); credit.reload(); });
  };
  const setD = (uin, k) => (e) => setDisc({ ...disc, [uin]: { ...(disc[uin] || {}), [k]: e.target.value } });
  return html`<div>
    ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}
    <${ErrorBox} error=${error || pending.error || bound.error || credit.error} />
    <h3>${t("partner.pending")}</h3>
    ${pending.v && html`<table data-testid="pending"><thead><tr><th>${t("partner.client")}</th><th>${t("partner.flag")}</th><th>${t("partner.applied")}</th><th>${t("partner.note")}</th><th></th></tr></thead>
      <tbody>${pending.v.length === 0 ? none(5) : pending.v.map((c) => html`<tr data-uin=${c.ClientUin}><td>${c.ClientUin}<div class="muted">${c.ClientName}</div></td>
        <td>${t(`partner.flag.${c.ClientFlag}`)}</td><td>${new Date(c.ApplyTime * 1000).toISOString().slice(0, 10)}</td>
        <td><input name="note" aria-label=${t("partner.note")} value=${note[c.ClientUin] || ""} onInput=${(e) => setNote({ ...note, [c.ClientUin]: e.target.value })} maxlength="256" /></td>
        <td class="actions"><button class="link" onClick=${() => audit(c, "accept")}>${t("partner.accept")}</button>
          <button class="link danger" onClick=${() => audit(c, "reject")}>${t("partner.reject")}</button></td></tr>`)}</tbody></table>`}
    <h3>${t("partner.bound")}</h3>
    ${bound.v && html`<table data-testid="bound"><thead><tr><th>${t("partner.client")}</th><th>${t("partner.flag")}</th><th>${t("partner.thisMonth")}</th><th>${t("partner.overdue")}</th><th>${t("partner.discount")}</th><th>${t("partner.credit")}</th></tr></thead>
      <tbody>${bound.v.length === 0 ? none(6) : bound.v.map((c) => html`<tr data-uin=${c.ClientUin}><td>${c.ClientUin}<div class="muted">${c.ClientRemark || c.ClientName}</div></td>
        <td>${t(`partner.flag.${c.ClientFlag}`)}</td><td>¥${yuan((c.ThisMonthAmt || 0) / 100)}</td><td>${c.HasOverdueBill ? t("common.yes") : t("common.no")}</td>
        <td><form class="row" onSubmit=${(e) => discount(e, c)}>
          <select name="product" aria-label=${t("partner.product")} value=${disc[c.ClientUin]?.Product || "*"} onChange=${setD(c.ClientUin, "Product")}>
            ${PRODUCTS.map((p) => html`<option value=${p}>${p === "*" ? t("partner.allProducts") : p}</option>`)}</select>
          <input name="discount" aria-label=${t("partner.discount")} placeholder="0.8" size="5" value=${disc[c.ClientUin]?.Discount || ""} onInput=${setD(c.ClientUin, "Discount")} required />
          <button type="submit" class="secondary" data-testid="set-discount">${t("partner.setDiscount")}</button></form></td>
        <td><div data-testid="credit">${credit.v?.[c.ClientUin] ? t("partner.creditNow", { credit: yuan(credit.v[c.ClientUin].Credit), remaining: yuan(credit.v[c.ClientUin].RemainingCredit) }) : t("partner.noCredit")}</div>
          <form class="row" onSubmit=${(e) => allocate(e, c)}>
          <input name="credit" type="number" min="0" step="0.01" size="8" aria-label=${t("partner.creditOf", { uin: c.ClientUin })} placeholder=${t("op.yuan")}
            value=${cred[c.ClientUin] || ""} onInput=${(e) => setCred({ ...cred, [c.ClientUin]: e.target.value })} required />
          <button type="submit" class="secondary" data-testid="allocate-credit">${t("partner.allocate")}</button></form></td></tr>`)}</tbody></table>`}
  </div>`;
}

function Bills({ me }) {
  const [month, setMonth] = useState(monthOf(me.Now));
  const list = useLoad(() => api.call("partners", "DescribeAgentBills", { SettleMonth: month, Limit: 1000 }).then((r) => r.AgentBillSet || []), [month]);
  const total = (list.v || []).reduce((a, b) => a + Number(b.Amt || 0), 0);
  // the margin per customer (partners DescribeAgentMargin, yun extension): the customer's real cost
  // less the partner's cost at its own discount from the operator, summed over the products
  const margin = useLoad(() => api.call("partners", "DescribeAgentMargin", { SettleMonth: month }), [month]);
  const perClient = {};
  for (const r of margin.v?.MarginSet || []) {
    const c = perClient[r.ClientUin] || (perClient[r.ClientUin] = { ListCost: 0, RealCost: 0, PartnerCost: 0, Margin: 0 });
    for (const k of Object.keys(c)) c[k] += Number(r[k] || 0);
  }
  const clients = Object.keys(perClient);
  return html`<div>
    <label class="inline">${t("bills.month")} <input type="month" name="partnerMonth" value=${month} onChange=${(e) => e.target.value && setMonth(e.target.value)} /></label>
    <${ErrorBox} error=${list.error} />
    ${list.v && html`<p>${t("bills.total")}: <strong data-testid="agent-total">¥${yuan(total / 100)}</strong></p>
      <table data-testid="agent-bills"><thead><tr><th>${t("partner.client")}</th><th>${t("partner.order")}</th><th>${t("bills.product")}</th><th>${t("partner.payMode")}</th><th>${t("bills.cost")}</th></tr></thead>
      <tbody>${list.v.length === 0 ? none(5) : list.v.map((b) => html`<tr><td>${b.ClientUin}</td><td class="mono">${b.OrderId}</td><td>${b.GoodsType}</td><td>${b.PayMode}</td><td>${yuan(b.Amt / 100)}</td></tr>`)}</tbody></table>`}
    <${ErrorBox} error=${margin.error} />
    ${margin.v && html`<h3>${t("partner.margin")}</h3>
      <p>${t("partner.marginTotal")}: <strong data-testid="margin-total">¥${yuan(margin.v.TotalMargin / 100)}</strong></p>
      <table data-testid="agent-margin"><thead><tr><th>${t("partner.client")}</th><th>${t("partner.listCost")}</th><th>${t("partner.realCost")}</th><th>${t("partner.partnerCost")}</th><th>${t("partner.margin")}</th></tr></thead>
      <tbody>${clients.length === 0 ? none(5) : clients.map((u) => html`<tr data-uin=${u}><td>${u}</td><td>${yuan(perClient[u].ListCost / 100)}</td><td>${yuan(perClient[u].RealCost / 100)}</td>
        <td>${yuan(perClient[u].PartnerCost / 100)}</td><td data-testid="margin">${yuan(perClient[u].Margin / 100)}</td></tr>`)}</tbody></table>`}
  </div>`;
}

function Rebates() {
  const list = useLoad(() => api.call("partners", "DescribeRebateInfosNew", { Limit: 1000 }).then((r) => r.RebateInfoSet || []));
  const byMonth = {};
  for (const r of list.v || []) byMonth[r.RebateMonth] = (byMonth[r.RebateMonth] || 0) + Number(r.Amt || 0) / 100;
  const months = Object.keys(byMonth).sort();
  return html`<div>
    <${ErrorBox} error=${list.error} />
    ${list.v && html`<section class="card"><h3>${t("partner.rebates.chart")}</h3>
      <${BarChart} labels=${months} ys=${months.map((m) => byMonth[m])} label=${t("partner.rebates")} testid="rebate-chart" /></section>
      <table data-testid="rebates"><thead><tr><th>${t("bills.month")}</th><th>${t("partner.class")}</th><th>${t("partner.monthSales")}</th><th>${t("partner.quarterSales")}</th><th>${t("partner.rebate")}</th></tr></thead>
      <tbody>${list.v.length === 0 ? none(5) : list.v.map((r) => html`<tr><td>${r.RebateMonth}</td><td>${r.PolicyClass}</td><td>${yuan(r.MonthSales / 100)}</td>
        <td>${yuan(r.QuarterSales / 100)}</td><td>${yuan(r.Amt / 100)}${r.ExceptionFlag && r.ExceptionFlag !== "0" ? html` <span class="muted">(${r.ExceptionFlag})</span>` : ""}</td></tr>`)}</tbody></table>`}
  </div>`;
}

// Vouchers the partner issues to its customers (partners IssueClientVoucher, paid from the partner's
// cash) and the list of them (intlpartnersmgt DescribeCustomerVoucherList).
function Vouchers() {
  const bound = useLoad(() => api.call("partners", "DescribeAgentAuditedClients", { Limit: 100 }).then((r) => r.AgentClientSet || []));
  const list = useLoad(() => api.call("intlpartnersmgt", "DescribeCustomerVoucherList", { Page: 1, PageSize: 100 }).then((r) => r.Data || []));
  const [f, setF] = useState({ ClientUin: "", amount: "", ValidDays: "30" });
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  const run = runner(setError);
  const issue = (e) => {
    e.preventDefault();
    const uin = f.ClientUin || bound.v?.[0]?.ClientUin || "";
    run(() => api.call("partners", "IssueClientVoucher", { ClientUin: uin, Amount: Math.round(Number(f.amount) * 100), ValidDays: Number(f.ValidDays) }),
      (r) => { setNotice(t("partner.issued", { uin: r.ClientUin, amount: yuan(r.Amount / 100), id: r.VoucherId })); list.reload(); });
  };
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  return html`<div>
    ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}
    <${ErrorBox} error=${error || bound.error || list.error} />
    <form class="row" onSubmit=${issue} data-testid="issue-voucher">
      <select name="client" aria-label=${t("partner.client")} value=${f.ClientUin} onChange=${set("ClientUin")}>
        ${(bound.v || []).map((c) => html`<option value=${c.ClientUin}>${c.ClientUin}</option>`)}</select>
      <input name="voucherAmount" type="number" min="0.01" step="0.01" aria-label=${t("partner.voucherAmount")} placeholder=${t("partner.voucherAmount")} value=${f.amount} onInput=${set("amount")} required />
      <input name="validDays" type="number" min="1" max="3650" aria-label=${t("partner.validDays")} value=${f.ValidDays} onInput=${set("ValidDays")} required />
      <button type="submit">${t("partner.issue")}</button></form>
    ${list.v && html`<table data-testid="vouchers"><thead><tr><th>ID</th><th>${t("partner.client")}</th><th>${t("disks.state")}</th><th>${t("partner.voucherAmount")}</th><th>${t("partner.remaining")}</th><th>${t("partner.expires")}</th></tr></thead>
      <tbody>${list.v.length === 0 ? none(6) : list.v.map((v) => html`<tr data-id=${v.VoucherId}><td>${v.VoucherId}</td><td>${v.CustomerUin}</td><td>${v.VoucherStatus}</td>
        <td>${yuan(v.TotalAmount)}</td><td>${yuan(v.RemainingAmount)}</td><td>${v.ExpireTime}</td></tr>`)}</tbody></table>`}
  </div>`;
}

export function Partner({ me }) {
  const [tab, setTab] = useState("customers");
  return html`<div>
    <div class="row"><h2>${t("partner.title")}</h2></div>
    <${Tabs} tabs=${[["customers", t("partner.customers")], ["agentbills", t("partner.bills")], ["rebates", t("partner.rebates")], ["vouchers", t("partner.vouchers")]]} value=${tab} onChange=${setTab} />
    ${tab === "customers" ? html`<${Customers} />` : tab === "agentbills" ? html`<${Bills} me=${me} />` : tab === "vouchers" ? html`<${Vouchers} />` : html`<${Rebates} />`}
  </div>`;
}
