// Networking: VPCs, subnets, and security groups with their rule table (ingress and egress; a
// rule added by CreateSecurityGroupPolicies, removed by DeleteSecurityGroupPolicies by its index).
import { useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Tabs, html, runner, useLoad } from "../ui.js";

const none = (n) => html`<tr><td colspan=${n} class="muted">${t("common.none")}</td></tr>`;

function Vpcs() {
  const list = useLoad(() => api.call("vpc", "DescribeVpcs", { Limit: "100" }).then((r) => r.VpcSet || []));
  const [f, setF] = useState({ VpcName: "", CidrBlock: "10.0.0.0/16" });
  const [error, setError] = useState(null);
  const run = runner(setError);
  const create = (e) => { e.preventDefault(); run(() => api.call("vpc", "CreateVpc", f), () => { setF({ ...f, VpcName: "" }); list.reload(); }); };
  const remove = (id) => confirm(t("common.confirm")) && run(() => api.call("vpc", "DeleteVpc", { VpcId: id }), list.reload);
  return html`<div>
    <form class="row" onSubmit=${create} aria-label=${t("net.vpc.create")}>
      <input name="vpcName" aria-label=${t("net.name")} placeholder=${t("net.name")} value=${f.VpcName} onInput=${(e) => setF({ ...f, VpcName: e.target.value })} required maxlength="60" />
      <input name="vpcCidr" aria-label=${t("net.cidr")} placeholder=${t("net.cidr")} value=${f.CidrBlock} onInput=${(e) => setF({ ...f, CidrBlock: e.target.value })} required />
      <button type="submit" data-testid="create-vpc">${t("net.vpc.create")}</button>
    </form>
    <${ErrorBox} error=${error || list.error} />
    ${list.v && html`<table data-testid="vpcs"><thead><tr><th>${t("net.id")}</th><th>${t("net.name")}</th><th>${t("net.cidr")}</th><th></th></tr></thead>
      <tbody>${list.v.length === 0 ? none(4) : list.v.map((v) => html`<tr data-id=${v.VpcId}><td>${v.VpcId}${v.IsDefault ? html` <span class="muted">(${t("net.default")})</span>` : ""}</td>
        <td>${v.VpcName}</td><td>${v.CidrBlock}</td>
        <td class="actions"><button class="link danger" onClick=${() => remove(v.VpcId)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}

function Subnets() {
  const list = useLoad(() => Promise.all([api.call("vpc", "DescribeSubnets", { Limit: "100" }), api.call("vpc", "DescribeVpcs", { Limit: "100" }),
    api.call("cvm", "DescribeZones")]).then(([s, v, z]) => ({ subnets: s.SubnetSet || [], vpcs: v.VpcSet || [], zones: (z.ZoneSet || []).filter((x) => x.ZoneState === "AVAILABLE") })));
  const [f, setF] = useState({ VpcId: "", SubnetName: "", CidrBlock: "", Zone: "" });
  const [error, setError] = useState(null);
  const run = runner(setError);
  const vpcId = f.VpcId || list.v?.vpcs[0]?.VpcId || "";
  const zone = f.Zone || list.v?.zones[0]?.Zone || "";
  const create = (e) => {
    e.preventDefault();
    run(() => api.call("vpc", "CreateSubnet", { ...f, VpcId: vpcId, Zone: zone }), () => { setF({ ...f, SubnetName: "", CidrBlock: "" }); list.reload(); });
  };
  const remove = (id) => confirm(t("common.confirm")) && run(() => api.call("vpc", "DeleteSubnet", { SubnetId: id }), list.reload);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  return html`<div>
    ${list.v && html`<form class="row" onSubmit=${create}>
      <select name="subnetVpc" aria-label=${t("net.vpc")} value=${vpcId} onChange=${set("VpcId")}>
        ${list.v.vpcs.map((v) => html`<option value=${v.VpcId}>${v.VpcName} (${v.VpcId}, ${v.CidrBlock})</option>`)}</select>
      <select name="subnetZone" aria-label=${t("net.zone")} value=${zone} onChange=${set("Zone")}>
        ${list.v.zones.map((z) => html`<option value=${z.Zone}>${z.ZoneName}</option>`)}</select>
      <input name="subnetName" aria-label=${t("net.name")} placeholder=${t("net.name")} value=${f.SubnetName} onInput=${set("SubnetName")} required maxlength="60" />
      <input name="subnetCidr" aria-label=${t("net.cidr")} placeholder="10.0.1.0/24" value=${f.CidrBlock} onInput=${set("CidrBlock")} required />
      <button type="submit" data-testid="create-subnet">${t("net.subnet.create")}</button>
    </form>`}
    <${ErrorBox} error=${error || list.error} />
    ${list.v && html`<table data-testid="subnets"><thead><tr><th>${t("net.id")}</th><th>${t("net.name")}</th><th>${t("net.vpc")}</th><th>${t("net.cidr")}</th><th>${t("net.zone")}</th><th>${t("net.ips")}</th><th></th></tr></thead>
      <tbody>${list.v.subnets.length === 0 ? none(7) : list.v.subnets.map((s) => html`<tr data-id=${s.SubnetId}><td>${s.SubnetId}</td><td>${s.SubnetName}</td>
        <td>${s.VpcId}</td><td>${s.CidrBlock}</td><td>${s.Zone}</td><td>${s.AvailableIpAddressCount}</td>
        <td class="actions"><button class="link danger" onClick=${() => remove(s.SubnetId)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}

const EMPTY_RULE = { Protocol: "TCP", Port: "22", CidrBlock: "0.0.0.0/0", Action: "ACCEPT", PolicyDescription: "" };

function Rules({ group, onClose }) {
  const list = useLoad(() => api.call("vpc", "DescribeSecurityGroupPolicies", { SecurityGroupId: group.SecurityGroupId }).then((r) => r.SecurityGroupPolicySet), [group.SecurityGroupId]);
  const [dir, setDir] = useState("Ingress");
  const [rule, setRule] = useState(EMPTY_RULE);
  const [error, setError] = useState(null);
  const run = runner(setError);
  const add = (e) => {
    e.preventDefault();
    const r = { ...rule };
    if (!r.PolicyDescription) delete r.PolicyDescription;
    if (r.Protocol === "ALL" || r.Protocol === "ICMP") r.Port = "ALL";
    run(() => api.call("vpc", "CreateSecurityGroupPolicies", { SecurityGroupId: group.SecurityGroupId, SecurityGroupPolicySet: { [dir]: [r] } }),
      () => { setRule(EMPTY_RULE); list.reload(); });
  };
  const remove = (d, p) => run(() => api.call("vpc", "DeleteSecurityGroupPolicies",
    { SecurityGroupId: group.SecurityGroupId, SecurityGroupPolicySet: { [d]: [{ PolicyIndex: p.PolicyIndex }] } }), list.reload);
  const set = (k) => (e) => setRule({ ...rule, [k]: e.target.value });
  const rows = list.v?.[dir] || [];
  return html`<section class="card" data-testid="rules">
    <div class="row"><h3>${t("net.rules.title", { id: group.SecurityGroupId, name: group.SecurityGroupName })}</h3>
      <button class="link" onClick=${onClose}>${t("common.close")}</button></div>
    <${Tabs} tabs=${[["Ingress", t("net.ingress")], ["Egress", t("net.egress")]]} value=${dir} onChange=${setDir} />
    <${ErrorBox} error=${error || list.error} />
    <table data-testid=${`rules-${dir}`}><thead><tr><th>#</th><th>${t("net.protocol")}</th><th>${t("net.port")}</th><th>${t("net.source")}</th>
      <th>${t("net.action")}</th><th>${t("net.desc")}</th><th></th></tr></thead>
      <tbody>${rows.length === 0 ? none(7) : rows.map((p) => html`<tr data-index=${p.PolicyIndex}><td>${p.PolicyIndex}</td><td>${p.Protocol}</td><td>${p.Port}</td>
        <td>${p.CidrBlock || p.SecurityGroupId}</td><td>${p.Action}</td><td>${p.PolicyDescription}</td>
        <td><button class="link danger" aria-label=${t("net.rule.remove", { n: p.PolicyIndex })} onClick=${() => remove(dir, p)}>${t("common.delete")}</button></td></tr>`)}
      <tr class="new-rule"><td>+</td>
        <td><select name="ruleProtocol" aria-label=${t("net.protocol")} value=${rule.Protocol} onChange=${set("Protocol")} form="add-rule">
          ${["TCP", "UDP", "ICMP", "ALL"].map((x) => html`<option>${x}</option>`)}</select></td>
        <td><input name="rulePort" aria-label=${t("net.port")} value=${rule.Port} onInput=${set("Port")} size="8" form="add-rule" disabled=${rule.Protocol === "ALL" || rule.Protocol === "ICMP"} /></td>
        <td><input name="ruleCidr" aria-label=${t("net.source")} value=${rule.CidrBlock} onInput=${set("CidrBlock")} size="16" form="add-rule" required /></td>
        <td><select name="ruleAction" aria-label=${t("net.action")} value=${rule.Action} onChange=${set("Action")} form="add-rule">
          <option value="ACCEPT">${t("net.accept")}</option><option value="DROP">${t("net.drop")}</option></select></td>
        <td><input name="ruleDesc" aria-label=${t("net.desc")} value=${rule.PolicyDescription} onInput=${set("PolicyDescription")} maxlength="100" form="add-rule" /></td>
        <td><form id="add-rule" onSubmit=${add}><button type="submit" data-testid="add-rule">${t("net.rule.add")}</button></form></td></tr>
      </tbody></table>
  </section>`;
}

function Groups() {
  const list = useLoad(() => api.call("vpc", "DescribeSecurityGroups", { Limit: "100" }).then((r) => r.SecurityGroupSet || []));
  const [f, setF] = useState({ GroupName: "", GroupDescription: "" });
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  const run = runner(setError);
  const create = (e) => {
    e.preventDefault();
    const p = { GroupName: f.GroupName, GroupDescription: f.GroupDescription || f.GroupName };
    run(() => api.call("vpc", "CreateSecurityGroup", p), () => { setF({ GroupName: "", GroupDescription: "" }); list.reload(); });
  };
  const remove = (id) => confirm(t("common.confirm")) && run(() => api.call("vpc", "DeleteSecurityGroup", { SecurityGroupId: id }), () => { setOpen(null); list.reload(); });
  return html`<div>
    <form class="row" onSubmit=${create}>
      <input name="sgName" aria-label=${t("net.name")} placeholder=${t("net.name")} value=${f.GroupName} onInput=${(e) => setF({ ...f, GroupName: e.target.value })} required maxlength="60" />
      <input name="sgDesc" aria-label=${t("net.desc")} placeholder=${t("net.desc")} value=${f.GroupDescription} onInput=${(e) => setF({ ...f, GroupDescription: e.target.value })} maxlength="100" />
      <button type="submit" data-testid="create-sg">${t("net.sg.create")}</button>
    </form>
    <${ErrorBox} error=${error || list.error} />
    ${list.v && html`<table data-testid="sgs"><thead><tr><th>${t("net.id")}</th><th>${t("net.name")}</th><th>${t("net.desc")}</th><th></th></tr></thead>
      <tbody>${list.v.length === 0 ? none(4) : list.v.map((g) => html`<tr data-id=${g.SecurityGroupId}><td>${g.SecurityGroupId}</td><td>${g.SecurityGroupName}</td>
        <td>${g.SecurityGroupDesc}</td>
        <td class="actions"><button class="link" onClick=${() => setOpen(g)}>${t("net.rules")}</button>
          <button class="link danger" onClick=${() => remove(g.SecurityGroupId)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
    ${open && html`<${Rules} group=${open} key=${open.SecurityGroupId} onClose=${() => setOpen(null)} />`}
  </div>`;
}

export function Network() {
  const [tab, setTab] = useState("vpcs");
  const Tab = { vpcs: Vpcs, subnets: Subnets, sgs: Groups }[tab];
  return html`<div>
    <div class="row"><h2>${t("net.title")}</h2></div>
    <${Tabs} tabs=${[["vpcs", t("net.vpcs")], ["subnets", t("net.subnets")], ["sgs", t("net.sgs")]]} value=${tab} onChange=${setTab} />
    <${Tab} key=${tab} />
  </div>`;
}
