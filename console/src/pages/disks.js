// Cloud disks and snapshots: create (empty or from a snapshot: the restore yun offers, as cbs has
// no ApplySnapshot here), attach to an instance, detach, snapshot, terminate; snapshots listed
// and deleted. The lists refresh every 2 s while the page is open (states move on their own).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Tabs, html, runner, useLoad } from "../ui.js";

const DISK_TYPES = ["CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BASIC", "CLOUD_BSSD", "CLOUD_HSSD", "CLOUD_TSSD"];
const none = (n) => html`<tr><td colspan=${n} class="muted">${t("common.none")}</td></tr>`;

function useTicking(list, ms) {
  useEffect(() => { const id = setInterval(list.reload, ms); return () => clearInterval(id); }, []);
}

function CreateDisk({ zones, snapshots, from, onDone }) {
  const [f, setF] = useState({ DiskName: "", DiskType: "CLOUD_PREMIUM", DiskSize: 20, Zone: zones[0]?.Zone || "", SnapshotId: from || "" });
  const [error, setError] = useState(null);
  const run = runner(setError);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const create = (e) => {
    e.preventDefault();
    const p = { Placement: { Zone: f.Zone }, DiskChargeType: "POSTPAID_BY_HOUR", DiskType: f.DiskType, DiskCount: 1 };
    if (f.DiskName) p.DiskName = f.DiskName;
    if (f.SnapshotId) p.SnapshotId = f.SnapshotId;
    else p.DiskSize = Number(f.DiskSize);
    run(() => api.call("cbs", "CreateDisks", p), (r) => onDone(r.DiskIdSet || []));
  };
  return html`<form class="card wizard" onSubmit=${create} data-testid="disk-form">
    <h3>${t("disks.create")}</h3>
    <label>${t("net.name")}<input name="diskName" value=${f.DiskName} onInput=${set("DiskName")} maxlength="60" /></label>
    <label>${t("net.zone")}<select name="diskZone" value=${f.Zone} onChange=${set("Zone")}>${zones.map((z) => html`<option value=${z.Zone}>${z.ZoneName}</option>`)}</select></label>
    <label>${t("disks.type")}<select name="diskType" value=${f.DiskType} onChange=${set("DiskType")}>${DISK_TYPES.map((x) => html`<option>${x}</option>`)}</select></label>
    <label>${t("disks.from")}<select name="diskSnapshot" value=${f.SnapshotId} onChange=${set("SnapshotId")}>
      <option value="">${t("disks.empty")}</option>${snapshots.map((s) => html`<option value=${s.SnapshotId}>${s.SnapshotName} (${s.SnapshotId}, ${s.DiskSize} GB)</option>`)}</select></label>
    ${!f.SnapshotId && html`<label>${t("disks.size")}<input name="diskSize" type="number" min="10" max="32000" value=${f.DiskSize} onInput=${set("DiskSize")} required /></label>`}
    <div class="row"><button type="submit" data-testid="create-disk">${t("disks.create")}</button>
      <button type="button" class="secondary" onClick=${() => onDone(null)}>${t("common.cancel")}</button></div>
    <${ErrorBox} error=${error} />
  </form>`;
}

function Disks() {
  const list = useLoad(() => Promise.all([api.call("cbs", "DescribeDisks", { Limit: 100 }), api.call("cvm", "DescribeZones"),
    api.call("cbs", "DescribeSnapshots", { Limit: 100 }).then((r) => r.SnapshotSet || [], () => []),
    api.call("cvm", "DescribeInstances", { Limit: 100 }).then((r) => r.InstanceSet || [], () => [])])
    .then(([d, z, snapshots, instances]) => ({ disks: d.DiskSet || [], zones: (z.ZoneSet || []).filter((x) => x.ZoneState === "AVAILABLE"), snapshots, instances })));
  useTicking(list, 2000);
  const [form, setForm] = useState(false);
  const [attachTo, setAttachTo] = useState({});
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  const run = runner(setError);
  const attach = (d) => run(() => api.call("cbs", "AttachDisks", { DiskIds: [d.DiskId], InstanceId: attachTo[d.DiskId] || candidates(d)[0]?.InstanceId }), list.reload);
  const detach = (d) => run(() => api.call("cbs", "DetachDisks", { DiskIds: [d.DiskId] }), list.reload);
  const terminate = (d) => confirm(t("common.confirm")) && run(() => api.call("cbs", "TerminateDisks", { DiskIds: [d.DiskId] }), list.reload);
  const snapshot = (d) => run(() => api.call("cbs", "CreateSnapshot", { DiskId: d.DiskId, SnapshotName: `${d.DiskName || d.DiskId}-snap` }),
    (r) => setNotice(t("disks.snapshotted", { id: r.SnapshotId })));
  const candidates = (d) => (list.v?.instances || []).filter((i) => i.Placement?.Zone === d.Placement?.Zone && ["RUNNING", "STOPPED"].includes(i.InstanceState));
  const data = list.v;
  const disks = data?.disks || [];
  return html`<div>
    <div class="row"><button data-testid="open-disk-form" onClick=${() => setForm(true)} disabled=${!data}>${t("disks.create")}</button></div>
    ${form && data && html`<${CreateDisk} zones=${data.zones} snapshots=${data.snapshots.filter((s) => s.SnapshotState === "NORMAL")}
      onDone=${(ids) => { setForm(false); if (ids) { setNotice(t("disks.created", { ids: ids.join(", ") })); list.reload(); } }} />`}
    ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}
    <${ErrorBox} error=${error || (!data && list.error)} />
    ${data && html`<table data-testid="disks"><thead><tr><th>${t("net.id")}</th><th>${t("disks.state")}</th><th>${t("disks.type")}</th><th>${t("disks.size")}</th>
      <th>${t("net.zone")}</th><th>${t("disks.instance")}</th><th>${t("instances.actions")}</th></tr></thead>
      <tbody>${disks.length === 0 ? none(7) : disks.map((d) => html`<tr data-id=${d.DiskId}>
        <td><div>${d.DiskId}</div><div class="muted">${d.DiskName}</div></td>
        <td><span class="state" data-state=${d.DiskState}>${t(`disk.${d.DiskState}`)}</span></td>
        <td>${d.DiskType} <span class="muted">${d.DiskUsage === "SYSTEM_DISK" ? t("disks.system") : ""}</span></td><td>${d.DiskSize} GB</td><td>${d.Placement?.Zone}</td>
        <td data-testid="disk-instance">${d.InstanceId}</td>
        <td class="actions">
          ${d.DiskState === "UNATTACHED" && html`<select aria-label=${t("disks.attachTo")} name="attachTo" value=${attachTo[d.DiskId] || candidates(d)[0]?.InstanceId || ""}
            onChange=${(e) => setAttachTo({ ...attachTo, [d.DiskId]: e.target.value })}>
            ${candidates(d).map((i) => html`<option value=${i.InstanceId}>${i.InstanceName || i.InstanceId}</option>`)}</select>
            <button class="link" disabled=${candidates(d).length === 0} onClick=${() => attach(d)}>${t("disks.attach")}</button>`}
          ${d.DiskState === "ATTACHED" && d.DiskUsage !== "SYSTEM_DISK" && html`<button class="link" onClick=${() => detach(d)}>${t("disks.detach")}</button>`}
          <button class="link" disabled=${!["ATTACHED", "UNATTACHED"].includes(d.DiskState)} onClick=${() => snapshot(d)}>${t("disks.snapshot")}</button>
          ${d.DiskUsage !== "SYSTEM_DISK" && html`<button class="link danger" disabled=${d.DiskState !== "UNATTACHED"} onClick=${() => terminate(d)}>${t("common.delete")}</button>`}
        </td></tr>`)}</tbody></table>`}
  </div>`;
}

function Snapshots({ onRestore }) {
  const list = useLoad(() => api.call("cbs", "DescribeSnapshots", { Limit: 100 }).then((r) => r.SnapshotSet || []));
  useTicking(list, 2000);
  const [error, setError] = useState(null);
  const run = runner(setError);
  const remove = (s) => confirm(t("common.confirm")) && run(() => api.call("cbs", "DeleteSnapshots", { SnapshotIds: [s.SnapshotId] }), list.reload);
  return html`<div>
    <${ErrorBox} error=${error || (!list.v && list.error)} />
    ${list.v && html`<table data-testid="snapshots"><thead><tr><th>${t("net.id")}</th><th>${t("disks.state")}</th><th>${t("disks.source")}</th><th>${t("disks.size")}</th>
      <th>${t("disks.progress")}</th><th>${t("instances.actions")}</th></tr></thead>
      <tbody>${list.v.length === 0 ? none(6) : list.v.map((s) => html`<tr data-id=${s.SnapshotId}>
        <td><div>${s.SnapshotId}</div><div class="muted">${s.SnapshotName}</div></td>
        <td><span class="state" data-state=${s.SnapshotState}>${t(`snap.${s.SnapshotState}`)}</span></td><td>${s.DiskId}</td><td>${s.DiskSize} GB</td>
        <td><progress max="100" value=${s.Percent ?? 0}></progress></td>
        <td class="actions"><button class="link" disabled=${s.SnapshotState !== "NORMAL"} onClick=${() => onRestore(s.SnapshotId)}>${t("disks.restore")}</button>
          <button class="link danger" onClick=${() => remove(s)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}

function Restore({ snapshotId, onDone }) {
  const zones = useLoad(() => api.call("cvm", "DescribeZones").then((z) => (z.ZoneSet || []).filter((x) => x.ZoneState === "AVAILABLE")));
  const snaps = useLoad(() => api.call("cbs", "DescribeSnapshots", { SnapshotIds: [snapshotId] }).then((r) => r.SnapshotSet || []));
  if (!zones.v || !snaps.v) return html`<${ErrorBox} error=${zones.error || snaps.error} />`;
  return html`<${CreateDisk} zones=${zones.v} snapshots=${snaps.v} from=${snapshotId} onDone=${onDone} />`;
}

export function DisksPage() {
  const [tab, setTab] = useState("disks");
  const [restore, setRestore] = useState(null);
  const [notice, setNotice] = useState("");
  return html`<div>
    <div class="row"><h2>${t("disks.title")}</h2></div>
    <${Tabs} tabs=${[["disks", t("disks.disks")], ["snapshots", t("disks.snapshots")]]} value=${tab} onChange=${(k) => { setTab(k); setRestore(null); }} />
    ${restore && html`<${Restore} snapshotId=${restore} onDone=${(ids) => { setRestore(null); if (ids) { setNotice(t("disks.created", { ids: ids.join(", ") })); setTab("disks"); } }} />`}
    ${notice && tab === "snapshots" && html`<div class="notice">${notice}</div>`}
    ${tab === "disks" ? html`<${Disks} key="d" />` : html`<${Snapshots} key="s" onRestore=${setRestore} />`}
  </div>`;
}
