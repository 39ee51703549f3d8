// Instances: the list (states polled every 2 s, no reload), start/stop/reboot/terminate, the
// serial console output (polled while open), and the launch wizard with the price quoted by
// InquiryPriceRunInstances before anything is launched.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, html } from "../ui.js";

const POLL_MS = 2000;

function usePoll(fn, ms, deps = []) {
  const [s, set] = useState({ loading: true });
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    let timer;
    const tick = async () => {
      try { const v = await fn(); if (alive.current) set({ v }); } catch (error) { if (alive.current) set({ error }); }
      if (alive.current) timer = setTimeout(tick, ms);
    };
    tick();
    return () => { alive.current = false; clearTimeout(timer); };
  }, deps);
  return s;
}

// Every instance of the account: DescribeInstances answers at most 100 a call, so the pages after
// the first are asked for together once the first has told how many there are.
async function allInstances() {
  const first = await api.call("cvm", "DescribeInstances", { Limit: 100 });
  const total = first.TotalCount || 0;
  const rest = [];
  for (let off = 100; off < total; off += 100) rest.push(api.call("cvm", "DescribeInstances", { Limit: 100, Offset: off }));
  const pages = await Promise.all(rest);
  return { ...first, InstanceSet: [...(first.InstanceSet || []), ...pages.flatMap((p) => p.InstanceSet || [])] };
}

function ConsoleOutput({ id, onClose }) {
  const out = usePoll(async () => (await api.call("cvm", "GetInstanceConsoleOutput", { InstanceId: id })).Output, POLL_MS, [id]);
  const pre = useRef(null);
  useEffect(() => { if (pre.current) pre.current.scrollTop = pre.current.scrollHeight; }, [out.v]);
  return html`<section class="card" data-testid="console-output">
    <div class="row"><h3>${t("instances.console.title", { id })}</h3><button class="link" onClick=${onClose}>${t("common.close")}</button></div>
    <${ErrorBox} error=${out.error} />
    <pre ref=${pre} class="console">${out.v || t("instances.console.empty")}</pre>
  </section>`;
}

function Wizard({ onDone, onCancel }) {
  const [cat, setCat] = useState(null);
  const [f, setF] = useState({ Zone: "", ImageId: "", InstanceType: "", InstanceName: "", InstanceCount: 1, UserData: "",
    VpcId: "", SubnetId: "", SecurityGroupId: "", KeyId: "" });
  const [price, setPrice] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    // networks and key pairs are optional choices: a user not allowed to list them launches with the defaults
    const optional = (p, key) => p.then((r) => r[key] || [], () => []);
    Promise.all([api.call("cvm", "DescribeZones"), api.call("cvm", "DescribeImages", { Limit: 100 }),
      api.call("cvm", "DescribeInstanceTypeConfigs"), optional(api.call("vpc", "DescribeVpcs"), "VpcSet"),
      optional(api.call("vpc", "DescribeSubnets"), "SubnetSet"), optional(api.call("vpc", "DescribeSecurityGroups"), "SecurityGroupSet"),
      optional(api.call("cvm", "DescribeKeyPairs"), "KeyPairSet")]).then(([z, i, c, vpcs, subnets, groups, keys]) => {
      const zones = (z.ZoneSet || []).filter((x) => x.ZoneState === "AVAILABLE");
      setCat({ zones, images: i.ImageSet || [], types: c.InstanceTypeConfigSet || [], vpcs, subnets, groups, keys });
      const zone = zones[0]?.Zone || "";
      const types = (c.InstanceTypeConfigSet || []).filter((x) => x.Zone === zone);
      setF((o) => ({ ...o, Zone: zone, ImageId: i.ImageSet?.[0]?.ImageId || "", InstanceType: types[0]?.InstanceType || "" }));
    }, setError);
  }, []);
  const params = () => {
    const p = { Placement: { Zone: f.Zone }, ImageId: f.ImageId, InstanceType: f.InstanceType, InstanceCount: Number(f.InstanceCount) };
    if (f.InstanceName) p.InstanceName = f.InstanceName;
    if (f.UserData) p.UserData = btoa(unescape(encodeURIComponent(f.UserData)));
    if (f.VpcId && f.SubnetId) p.VirtualPrivateCloud = { VpcId: f.VpcId, SubnetId: f.SubnetId };
    if (f.SecurityGroupId) p.SecurityGroupIds = [f.SecurityGroupId];
    if (f.KeyId) p.LoginSettings = { KeyIds: [f.KeyId] };
    return p;
  };
  useEffect(() => {
    if (!f.Zone || !f.ImageId || !f.InstanceType) return;
    setPrice(null);
    const p = params();
    delete p.InstanceName;
    delete p.UserData;
    delete p.LoginSettings;
    api.call("cvm", "InquiryPriceRunInstances", p).then((r) => setPrice(r.Price.InstancePrice), (e) => setPrice({ error: e }));
  }, [f.Zone, f.ImageId, f.InstanceType, f.InstanceCount]);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const launch = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try { onDone((await api.call("cvm", "RunInstances", params())).InstanceIdSet || []); } catch (err) { setError(err); } finally { setBusy(false); }
  };
  if (!cat) return html`<section class="card">${error ? html`<${ErrorBox} error=${error} />` : t("common.loading")}</section>`;
  const types = cat.types.filter((x) => x.Zone === f.Zone);
  const subnets = cat.subnets.filter((x) => x.VpcId === f.VpcId && (!x.Zone || x.Zone === f.Zone));
  return html`<form class="card wizard" onSubmit=${launch} data-testid="wizard">
    <h3>${t("wizard.title")}</h3>
    <label>${t("wizard.zone")}<select name="zone" value=${f.Zone} onChange=${set("Zone")}>
      ${cat.zones.map((z) => html`<option value=${z.Zone}>${z.ZoneName} (${z.Zone})</option>`)}</select></label>
    <label>${t("wizard.image")}<select name="image" value=${f.ImageId} onChange=${set("ImageId")}>
      ${cat.images.map((i) => html`<option value=${i.ImageId}>${i.ImageName} (${i.ImageId})</option>`)}</select></label>
    <label>${t("wizard.type")}<select name="type" value=${f.InstanceType} onChange=${set("InstanceType")}>
      ${types.map((x) => html`<option value=${x.InstanceType}>${x.InstanceType} — ${t("wizard.type.desc", { cpu: x.CPU, mem: x.Memory })}</option>`)}</select></label>
    <label>${t("wizard.vpc")}<select name="vpc" value=${f.VpcId} onChange=${(e) => setF({ ...f, VpcId: e.target.value, SubnetId: "" })}>
      <option value="">${t("wizard.default")}</option>
      ${cat.vpcs.map((v) => html`<option value=${v.VpcId}>${v.VpcName} (${v.VpcId}, ${v.CidrBlock})</option>`)}</select></label>
    ${f.VpcId && html`<label>${t("wizard.subnet")}<select name="subnet" value=${f.SubnetId} onChange=${set("SubnetId")} required>
      <option value="">—</option>
      ${subnets.map((n) => html`<option value=${n.SubnetId}>${n.SubnetName} (${n.SubnetId}, ${n.CidrBlock})</option>`)}</select></label>`}
    <label>${t("wizard.sg")}<select name="sg" value=${f.SecurityGroupId} onChange=${set("SecurityGroupId")}>
      <option value="">${t("wizard.default")}</option>
      ${cat.groups.map((g) => html`<option value=${g.SecurityGroupId}>${g.SecurityGroupName} (${g.SecurityGroupId})</option>`)}</select></label>
    <label>${t("wizard.key")}<select name="key" value=${f.KeyId} onChange=${set("KeyId")}>
      <option value="">${t("wizard.nokey")}</option>
      ${cat.keys.map((k) => html`<option value=${k.KeyId}>${k.KeyName} (${k.KeyId})</option>`)}</select></label>
    <label>${t("wizard.name")}<input name="name" value=${f.InstanceName} onInput=${set("InstanceName")} maxlength="60" /></label>
    <label>${t("wizard.count")}<input name="count" type="number" min="1" max="100" value=${f.InstanceCount} onInput=${set("InstanceCount")} /></label>
    <label>${t("wizard.userdata")}<textarea name="userdata" rows="3" value=${f.UserData} onInput=${set("UserData")}></textarea></label>
    <div class="price" data-testid="price">${t("wizard.price")}: ${price === null ? t("wizard.price.pending")
      : price.error ? html`<${ErrorBox} error=${price.error} />` : t("wizard.price.hour", { price: Number(price.UnitPriceDiscount).toFixed(4) })}</div>
    <div class="row">
      <button type="submit" disabled=${busy || !price || price.error} data-testid="launch">${t("wizard.launch")}</button>
      <button type="button" class="secondary" onClick=${onCancel}>${t("common.cancel")}</button>
    </div>
    <${ErrorBox} error=${error} />
  </form>`;
}

export function Instances() {
  const [wizard, setWizard] = useState(false);
  const [consoleOf, setConsoleOf] = useState(null);
  const [filter, setFilter] = useState("");
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState("");
  const [, bump] = useState(0);
  // public addresses are the elastic IPs bound to each instance (vpc DescribeAddresses; optional)
  const list = usePoll(async () => {
    const [inst, eips] = await Promise.all([allInstances(),
      api.call("vpc", "DescribeAddresses", { Limit: 100 }).then((r) => r.AddressSet || [], () => [])]);
    const pub = {};
    for (const a of eips) if (a.InstanceId) (pub[a.InstanceId] ||= []).push(a.AddressIp);
    return { ...inst, pub };
  }, POLL_MS);
  const act = async (action, id) => {
    if (action === "TerminateInstances" && !confirm(t("common.confirm"))) return;
    setError(null);
    try { await api.call("cvm", action, { InstanceIds: [id] }); bump((n) => n + 1); } catch (e) { setError(e); }
  };
  // an elastic IP: allocated, then bound to the instance (released again if the binding fails)
  const bindEip = async (id) => {
    setError(null);
    let eip;
    try {
      eip = (await api.call("vpc", "AllocateAddresses", { AddressCount: 1 })).AddressSet[0];
      await api.call("vpc", "AssociateAddress", { AddressId: eip, InstanceId: id });
      setNotice(t("instances.eip.bound", { eip, id }));
    } catch (e) {
      setError(e);
      if (eip) api.call("vpc", "ReleaseAddresses", { AddressIds: [eip] }).catch(() => {});
    }
  };
  const rows = (list.v?.InstanceSet || []).filter((i) => !filter || i.InstanceId.includes(filter) || (i.InstanceName || "").includes(filter));
  return html`<div>
    <div class="row"><h2>${t("instances.title")}</h2>
      <button data-testid="open-wizard" onClick=${() => setWizard(true)}>${t("instances.launch")}</button></div>
    ${wizard && html`<${Wizard} onCancel=${() => setWizard(false)} onDone=${(ids) => { setWizard(false); setNotice(t("wizard.launched", { ids: ids.join(", ") })); }} />`}
    ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}
    <${ErrorBox} error=${error || list.error} />
    <input class="filter" placeholder=${t("instances.filter")} value=${filter} onInput=${(e) => setFilter(e.target.value)} />
    ${list.loading ? html`<div class="muted">${t("common.loading")}</div>` : !list.error && html`<table data-testid="instances">
      <thead><tr><th>${t("instances.id")}</th><th>${t("instances.state")}</th><th>${t("instances.type")}</th>
        <th>${t("instances.zone")}</th><th>${t("instances.ip")}</th><th>${t("instances.publicIp")}</th><th>${t("instances.actions")}</th></tr></thead>
      <tbody>${rows.length === 0 ? html`<tr><td colspan="7" class="muted">${t("common.none")}</td></tr>` : rows.map((i) => html`
        <tr data-id=${i.InstanceId}>
          <td><div>${i.InstanceId}</div><div class="muted">${i.InstanceName}</div></td>
          <td><span class=${`state s-${i.InstanceState}`} data-state=${i.InstanceState}>${t(`state.${i.InstanceState}`)}</span></td>
          <td>${i.InstanceType}</td><td>${i.Placement?.Zone}</td><td>${(i.PrivateIpAddresses || []).join(", ")}</td>
          <td data-testid="public-ip">${(list.v.pub[i.InstanceId] || []).join(", ")}</td>
          <td class="actions">
            <button class="link" disabled=${i.InstanceState !== "STOPPED"} onClick=${() => act("StartInstances", i.InstanceId)}>${t("instances.start")}</button>
            <button class="link" disabled=${i.InstanceState !== "RUNNING"} onClick=${() => act("StopInstances", i.InstanceId)}>${t("instances.stop")}</button>
            <button class="link" disabled=${i.InstanceState !== "RUNNING"} onClick=${() => act("RebootInstances", i.InstanceId)}>${t("instances.reboot")}</button>
            <button class="link danger" onClick=${() => act("TerminateInstances", i.InstanceId)}>${t("instances.terminate")}</button>
            <button class="link" disabled=${(list.v.pub[i.InstanceId] || []).length > 0 || !["RUNNING", "STOPPED"].includes(i.InstanceState)}
              onClick=${() => bindEip(i.InstanceId)}>${t("instances.eip")}</button>
            <button class="link" onClick=${() => setConsoleOf(i.InstanceId)}>${t("instances.console")}</button>
          </td>
        </tr>`)}</tbody></table>`}
    ${consoleOf && html`<${ConsoleOutput} id=${consoleOf} onClose=${() => setConsoleOf(null)} />`}
  </div>`;
}
