// The operator's view (offered when the session's account is the operator's; every action checks
// again): hosts with their capacity and what is used of it (cvm DescribeOperatorHosts), accounts
// with their balances and a recharge (billing DescribeOperatorAccounts, RechargeAccount), created
// (CreateOperatorAccount), tiered and made partners (ModifyOperatorAccountTier/Partner), and the
// audit log searched by action, account, user, result and time (cloudaudit LookUpEvents).
import { useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Tabs, html, runner, useLoad, yuan } from "../ui.js";

const none = (n) => html`<tr><td colspan=${n} class="muted">${t("common.none")}</td></tr>`;

function Usage({ used, total, unit, label }) {
  const pct = total > 0 ? Math.round((used / total) * 100) : 0;
  return html`<div class="usage"><meter min="0" max=${total || 1} value=${used} high=${total * 0.8} optimum="0" aria-label=${label}></meter>
    <span> ${used} / ${total} ${unit} (${pct}%)</span></div>`;
}

function Hosts() {
  const list = useLoad(() => api.call("cvm", "DescribeOperatorHosts").then((r) => r.HostSet || []));
  return html`<div>
    <${ErrorBox} error=${list.error} />
    ${list.v && html`<table data-testid="hosts"><thead><tr><th>${t("op.host")}</th><th>${t("net.zone")}</th><th>${t("disks.state")}</th>
      <th>${t("op.vcpu")}</th><th>${t("op.memory")}</th><th>${t("op.instances")}</th></tr></thead>
      <tbody>${list.v.length === 0 ? none(6) : list.v.map((h) => html`<tr data-id=${h.HostId}>
        <td><div>${h.HostName}</div><div class="muted">${h.HostId} · ${h.Accelerator}</div></td><td>${h.Zone}</td><td>${h.HostState}</td>
        <td><${Usage} used=${h.VcpuUsed} total=${h.VcpuTotal} unit="vCPU" label=${t("op.vcpu")} /></td>
        <td><${Usage} used=${Math.round(h.MemoryMiBUsed / 1024)} total=${Math.round(h.MemoryMiBTotal / 1024)} unit="GiB" label=${t("op.memory")} /></td>
        <td data-testid="host-instances">${h.InstanceCount}</td></tr>`)}</tbody></table>`}
  </div>`;
}

// An account's tier and partner kind (billing DescribeOperatorAccountChannel), each changed by its own
// select (ModifyOperatorAccountTier, ModifyOperatorAccountPartner: the code of yun admin tier / partner).
function Channel({ a, run, setNotice }) {
  const ch = useLoad(() => api.call("billing", "DescribeOperatorAccountChannel", { Uin: a.Uin }), [a.Uin]);
  const [tier, setTier] = useState("");
  const [kind, setKind] = useState("");
  if (a.IsOperator) return html`<span class="muted">—</span>`;
  if (!ch.v) return html`<span class="muted">${ch.error ? ch.error.code : "…"}</span>`;
  const setT = (e) => {
    e.preventDefault();
    run(() => api.call("billing", "ModifyOperatorAccountTier", { Uin: a.Uin, Tier: tier || ch.v.Tier }),
      (r) => { setNotice(t("op.tierSet", { uin: a.Uin, tier: t(`op.tier.${r.Tier}`) })); ch.reload(); });
  };
  const setK = (e) => {
    e.preventDefault();
    run(() => api.call("billing", "ModifyOperatorAccountPartner", { Uin: a.Uin, Kind: kind || "reseller" }),
      (r) => { setNotice(t("op.partnerSet", { uin: a.Uin, kind: t(`op.kind.${r.Kind}`), code: r.InvitationCode })); ch.reload(); });
  };
  return html`<div data-testid="channel" data-tier=${ch.v.Tier} data-kind=${ch.v.PartnerKind}>
    <form class="row" onSubmit=${setT}>
      <select name="tier" aria-label=${t("op.tier", { uin: a.Uin })} value=${tier || ch.v.Tier} onChange=${(e) => setTier(e.target.value)}>
        ${["key", "growth", "longtail"].map((v) => html`<option value=${v}>${t(`op.tier.${v}`)}</option>`)}</select>
      <button type="submit" class="secondary" data-testid="set-tier">${t("op.setTier")}</button></form>
    <form class="row" onSubmit=${setK}>
      ${ch.v.PartnerKind ? html`<span data-testid="partner-kind">${t(`op.kind.${ch.v.PartnerKind}`)}</span>` : html`
      <select name="kind" aria-label=${t("op.kind", { uin: a.Uin })} value=${kind || "reseller"} onChange=${(e) => setKind(e.target.value)}>
        ${["distributor", "reseller"].map((v) => html`<option value=${v}>${t(`op.kind.${v}`)}</option>`)}</select>
      <button type="submit" class="secondary" data-testid="make-partner">${t("op.makePartner")}</button>`}</form>
  </div>`;
}

function Accounts() {
  const list = useLoad(() => api.call("billing", "DescribeOperatorAccounts", { Limit: 100 }).then((r) => r.AccountSet || []));
  const [amount, setAmount] = useState({});
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  const [name, setName] = useState("");
  const [created, setCreated] = useState(null);
  const run = runner(setError);
  const create = (e) => {
    e.preventDefault();
    run(() => api.call("billing", "CreateOperatorAccount", name.trim() ? { Name: name.trim() } : {}),
      (r) => { setCreated(r); setNotice(t("op.created", { uin: r.Uin })); setName(""); list.reload(); });
  };
  const recharge = (e, a) => {
    e.preventDefault();
    const cents = Math.round(Number(amount[a.Uin] || 0) * 100);
    run(() => api.call("billing", "RechargeAccount", { Uin: a.Uin, Amount: cents }),
      (r) => { setNotice(t("op.recharged", { uin: a.Uin, balance: yuan(r.Balance / 100) })); setAmount({ ...amount, [a.Uin]: "" }); list.reload(); });
  };
  return html`<div>
    <form class="row" onSubmit=${create} data-testid="create-account">
      <input name="accountName" maxlength="64" aria-label=${t("op.newName")} placeholder=${t("op.newName")} value=${name} onInput=${(e) => setName(e.target.value)} />
      <button type="submit">${t("op.create")}</button></form>
    ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}
    ${created && html`<div class="notice" data-testid="new-account"><div>${t("op.keyOnce")}</div>
      <div class="mono">Uin ${created.Uin} · AppId ${created.AppId}</div><div class="mono">SecretId ${created.SecretId}</div>
      <div class="mono">SecretKey ${created.SecretKey}</div></div>`}
    <${ErrorBox} error=${error || (!list.v && list.error)} />
    ${list.v && html`<table data-testid="accounts"><thead><tr><th>Uin</th><th>${t("net.name")}</th><th>${t("cam.created")}</th>
      <th>${t("bills.balance")}</th><th>${t("op.overdue")}</th><th>${t("op.recharge")}</th><th>${t("op.channel")}</th></tr></thead>
      <tbody>${list.v.length === 0 ? none(7) : list.v.map((a) => html`<tr data-uin=${a.Uin}>
        <td>${a.Uin}${a.IsOperator ? html` <span class="muted">(${t("op.operator")})</span>` : ""}</td><td>${a.Name}</td><td>${a.CreatedTime}</td>
        <td data-testid="account-balance">¥${yuan(a.Balance / 100)}</td><td>${a.OverdueState}</td>
        <td><form class="row" onSubmit=${(e) => recharge(e, a)}>
          <input name="amount" type="number" min="0.01" step="0.01" aria-label=${t("op.amount", { uin: a.Uin })} placeholder=${t("op.yuan")}
            value=${amount[a.Uin] || ""} onInput=${(e) => setAmount({ ...amount, [a.Uin]: e.target.value })} required />
          <button type="submit" class="secondary">${t("op.recharge")}</button></form></td>
        <td><${Channel} a=${a} run=${run} setNotice=${setNotice} /></td></tr>`)}</tbody></table>`}
  </div>`;
}

// The price book (billing DescribeOperatorPrices): the newest row of each region, product, component,
// item and pay mode, its price edited in place (ModifyOperatorPrice, as yun admin price set: from now on).
function Prices() {
  const list = useLoad(() => api.call("billing", "DescribeOperatorPrices").then((r) => {
    const last = new Map();
    for (const p of r.PriceSet || []) last.set([p.Region, p.Product, p.Component, p.Item, p.PayMode].join("|"), p);
    return [...last.values()];
  }));
  const [edit, setEdit] = useState({});
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  const run = runner(setError);
  const key = (p) => [p.Region, p.Product, p.Component, p.Item, p.PayMode].join("|");
  const save = (e, p) => {
    e.preventDefault();
    const price = String(edit[key(p)] ?? p.Price).trim();
    run(() => api.call("billing", "ModifyOperatorPrice", { Region: p.Region, Product: p.Product, Component: p.Component, Item: p.Item, PayMode: p.PayMode, Price: price }),
      () => { setNotice(t("op.priceSet", { what: `${p.Product} ${p.Component} ${p.Item}`, price })); setEdit({ ...edit, [key(p)]: undefined }); list.reload(); });
  };
  return html`<div>
    ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}
    <${ErrorBox} error=${error || (!list.v && list.error)} />
    ${list.v && html`<table data-testid="prices"><thead><tr><th>${t("op.product")}</th><th>${t("op.component")}</th><th>${t("op.item")}</th>
      <th>${t("op.region")}</th><th>${t("op.payMode")}</th><th>${t("op.from")}</th><th>${t("op.price")}</th></tr></thead>
      <tbody>${list.v.length === 0 ? none(7) : list.v.map((p) => html`<tr data-key=${key(p)}>
        <td>${p.Product}</td><td>${p.Component}</td><td>${p.Item}</td><td>${p.Region}</td><td>${p.PayMode}</td><td>${p.EffectiveFrom}</td>
        <td><form class="row" onSubmit=${(e) => save(e, p)}>
          <input name="price" inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,8})?" aria-label=${t("op.priceOf", { what: `${p.Product} ${p.Component} ${p.Item}` })}
            value=${edit[key(p)] ?? p.Price} onInput=${(e) => setEdit({ ...edit, [key(p)]: e.target.value })} required />
          <span class="muted">${t("op.yuanPer", { qty: p.UnitQty, unit: p.Unit, period: p.PeriodSeconds >= 86400 ? t("op.month") : t("op.hour") })}</span>
          <button type="submit" class="secondary">${t("op.save")}</button></form></td></tr>`)}</tbody></table>`}
  </div>`;
}

function Audit({ me }) {
  const now = me.Now;
  const [f, setF] = useState({ EventName: "", AccountId: "", Username: "", ErrorCode: "", hours: "24" });
  const [q, setQ] = useState({ ...f, token: "" });
  const list = useLoad(() => {
    const attrs = ["EventName", "AccountId", "Username", "ErrorCode"].filter((k) => q[k].trim()).map((k) => ({ AttributeKey: k, AttributeValue: q[k].trim() }));
    return api.call("cloudaudit", "LookUpEvents", { StartTime: now - Number(q.hours) * 3600, EndTime: now + 3600, LookupAttributes: attrs, MaxResults: 50, ...(q.token ? { NextToken: q.token } : {}) });
  }, [JSON.stringify(q)]);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const search = (e) => { e.preventDefault(); setQ({ ...f, token: "" }); };
  const events = list.v?.Events || [];
  return html`<div>
    <form class="row" onSubmit=${search} data-testid="audit-search">
      <input name="eventName" aria-label=${t("op.event")} placeholder=${t("op.event")} value=${f.EventName} onInput=${set("EventName")} />
      <input name="accountId" aria-label=${t("op.account")} placeholder=${t("op.account")} value=${f.AccountId} onInput=${set("AccountId")} />
      <input name="username" aria-label=${t("op.user")} placeholder=${t("op.user")} value=${f.Username} onInput=${set("Username")} />
      <input name="errorCode" aria-label=${t("op.result")} placeholder=${t("op.result")} value=${f.ErrorCode} onInput=${set("ErrorCode")} />
      <select name="hours" aria-label=${t("op.since")} value=${f.hours} onChange=${set("hours")}>
        ${["1", "24", "168", "720"].map((h) => html`<option value=${h}>${t(`op.since.${h}`)}</option>`)}</select>
      <button type="submit" data-testid="audit-go">${t("op.search")}</button></form>
    <${ErrorBox} error=${list.error} />
    ${list.v && html`<table data-testid="audit"><thead><tr><th>${t("op.time")}</th><th>${t("op.account")}</th><th>${t("op.user")}</th><th>${t("op.event")}</th>
      <th>${t("op.resource")}</th><th>${t("op.result")}</th><th>IP</th></tr></thead>
      <tbody>${events.length === 0 ? none(7) : events.map((e) => html`<tr data-event=${e.EventName}>
        <td>${new Date(Number(e.EventTime) * 1000).toISOString().replace("T", " ").slice(0, 19)}</td><td>${e.AccountID}</td><td>${e.Username}</td>
        <td>${e.EventSource.split(".")[0]}:${e.EventName}</td><td class="mono">${e.Resources?.ResourceName}</td>
        <td class=${e.ErrorCode === "0" ? "" : "danger"}>${e.ErrorCode === "0" ? t("op.success") : e.ErrorCode}</td><td>${e.SourceIPAddress}</td></tr>`)}</tbody></table>
      ${!list.v.ListOver && html`<button class="secondary" onClick=${() => setQ({ ...q, token: list.v.NextToken })}>${t("op.more")}</button>`}`}
  </div>`;
}

export function Operator({ me }) {
  const [tab, setTab] = useState("hosts");
  return html`<div>
    <div class="row"><h2>${t("op.title")}</h2></div>
    <${Tabs} tabs=${[["hosts", t("op.hosts")], ["accounts", t("op.accounts")], ["prices", t("op.prices")], ["audit", t("op.audit")]]} value=${tab} onChange=${setTab} />
    ${tab === "hosts" ? html`<${Hosts} />` : tab === "accounts" ? html`<${Accounts} />` : tab === "prices" ? html`<${Prices} />` : html`<${Audit} me=${me} />`}
  </div>`;
}
