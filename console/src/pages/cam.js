// CAM: sub-users (add, delete, console access), API keys (create: the secret shown once; disable,
// enable, delete) and custom policies with a JSON editor that checks the document before sending
// (JSON, a version, statements each with an effect, actions and resources), attached to users.
import { useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Tabs, html, runner, useLoad } from "../ui.js";

const none = (n) => html`<tr><td colspan=${n} class="muted">${t("common.none")}</td></tr>`;

function Users() {
  const list = useLoad(() => api.call("cam", "ListUsers").then((r) => r.Data || []));
  const [f, setF] = useState({ Name: "", Password: "", ConsoleLogin: true });
  const [error, setError] = useState(null);
  const run = runner(setError);
  const create = (e) => {
    e.preventDefault();
    const p = { Name: f.Name.trim(), ConsoleLogin: f.ConsoleLogin ? 1 : 0, UseApi: 0 };
    if (f.Password) p.Password = f.Password;
    run(() => api.call("cam", "AddUser", p), () => { setF({ Name: "", Password: "", ConsoleLogin: true }); list.reload(); });
  };
  const remove = (n) => confirm(t("common.confirm")) && run(() => api.call("cam", "DeleteUser", { Name: n, Force: 1 }), list.reload);
  return html`<div>
    <form class="row" onSubmit=${create}>
      <input name="userName" aria-label=${t("cam.userName")} placeholder=${t("cam.userName")} value=${f.Name} onInput=${(e) => setF({ ...f, Name: e.target.value })} required maxlength="64" />
      <input name="userPassword" type="password" aria-label=${t("signin.password")} placeholder=${t("signin.password")} value=${f.Password} onInput=${(e) => setF({ ...f, Password: e.target.value })} autocomplete="new-password" />
      <label class="inline"><input type="checkbox" name="consoleLogin" checked=${f.ConsoleLogin} onChange=${(e) => setF({ ...f, ConsoleLogin: e.target.checked })} /> ${t("cam.console")}</label>
      <button type="submit" data-testid="create-user">${t("cam.user.create")}</button>
    </form>
    <${ErrorBox} error=${error || (!list.v && list.error)} />
    ${list.v && html`<table data-testid="users"><thead><tr><th>Uin</th><th>${t("cam.userName")}</th><th>${t("cam.console")}</th><th>${t("cam.created")}</th><th></th></tr></thead>
      <tbody>${list.v.length === 0 ? none(5) : list.v.map((u) => html`<tr data-name=${u.Name}><td>${u.Uin}</td><td>${u.Name}</td>
        <td>${u.ConsoleLogin ? t("common.yes") : t("common.no")}</td><td>${u.CreateTime}</td>
        <td class="actions"><button class="link danger" onClick=${() => remove(u.Name)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}

function Keys({ me }) {
  const users = useLoad(() => api.call("cam", "ListUsers").then((r) => r.Data || [], () => []));
  const [target, setTarget] = useState("");
  const list = useLoad(() => api.call("cam", "ListAccessKeys", target ? { TargetUin: Number(target) } : {}).then((r) => r.AccessKeys || []), [target]);
  const [secret, setSecret] = useState(null);
  const [error, setError] = useState(null);
  const run = runner(setError);
  const tu = target ? { TargetUin: Number(target) } : {};
  const create = () => run(() => api.call("cam", "CreateAccessKey", tu), (r) => { setSecret(r.AccessKey); list.reload(); });
  const status = (k) => run(() => api.call("cam", "UpdateAccessKey", { ...tu, AccessKeyId: k.AccessKeyId, Status: k.Status === "Active" ? "Inactive" : "Active" }), list.reload);
  const remove = (k) => confirm(t("common.confirm")) && run(() => api.call("cam", "DeleteAccessKey", { ...tu, AccessKeyId: k.AccessKeyId }), list.reload);
  return html`<div>
    <div class="row">
      <label class="inline">${t("cam.keysOf")} <select name="keyUser" value=${target} onChange=${(e) => { setSecret(null); setTarget(e.target.value); }}>
        <option value="">${t("cam.me", { uin: me.Uin })}</option>
        ${(users.v || []).map((u) => html`<option value=${u.Uin}>${u.Name} (${u.Uin})</option>`)}</select></label>
      <button onClick=${create} data-testid="create-apikey">${t("cam.key.create")}</button></div>
    ${secret && html`<div class="notice" role="status" data-testid="apikey-secret">${t("cam.key.once")}
      <div class="mono">SecretId: ${secret.AccessKeyId}</div><div class="mono">SecretKey: <span data-testid="secret-key">${secret.SecretAccessKey}</span></div></div>`}
    <${ErrorBox} error=${error || (!list.v && list.error)} />
    ${list.v && html`<table data-testid="apikeys"><thead><tr><th>SecretId</th><th>${t("cam.status")}</th><th>${t("cam.created")}</th><th></th></tr></thead>
      <tbody>${list.v.length === 0 ? none(4) : list.v.map((k) => html`<tr data-id=${k.AccessKeyId}><td class="mono">${k.AccessKeyId}</td>
        <td data-status=${k.Status}>${k.Status === "Active" ? t("cam.active") : t("cam.inactive")}</td><td>${k.CreateTime}</td>
        <td class="actions"><button class="link" onClick=${() => status(k)}>${k.Status === "Active" ? t("cam.disable") : t("cam.enable")}</button>
          <button class="link danger" onClick=${() => remove(k)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}

const SAMPLE = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["cvm:Describe*"], resource: ["*"] }] }, null, 2);

// What is wrong with a policy document, or "" when it is well formed (yund checks it again).
export function policyProblem(text) {
  let doc;
  try { doc = JSON.parse(text); } catch (e) { return t("cam.policy.badJson", { msg: e.message }); }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return t("cam.policy.notObject");
  if (doc.version !== "2.0") return t("cam.policy.version");
  const st = doc.statement;
  if (!Array.isArray(st) || st.length === 0) return t("cam.policy.statement");
  for (let i = 0; i < st.length; i++) {
    const s = st[i];
    if (!s || !["allow", "deny"].includes(s.effect)) return t("cam.policy.effect", { n: i + 1 });
    const arr = (v) => (typeof v === "string" ? [v] : v);
    if (!Array.isArray(arr(s.action)) || arr(s.action).length === 0) return t("cam.policy.action", { n: i + 1 });
    if (!Array.isArray(arr(s.resource)) || arr(s.resource).length === 0) return t("cam.policy.resource", { n: i + 1 });
  }
  return "";
}

function Policies() {
  const list = useLoad(() => api.call("cam", "ListPolicies", { Rp: 200, Scope: "Local" }).then((r) => r.List || []));
  const users = useLoad(() => api.call("cam", "ListUsers").then((r) => r.Data || [], () => []));
  const [f, setF] = useState({ PolicyName: "", Description: "", PolicyDocument: SAMPLE });
  const [attach, setAttach] = useState({});
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  const run = runner(setError);
  const problem = policyProblem(f.PolicyDocument);
  const create = (e) => {
    e.preventDefault();
    if (problem) return;
    const p = { PolicyName: f.PolicyName.trim(), PolicyDocument: f.PolicyDocument };
    if (f.Description) p.Description = f.Description;
    run(() => api.call("cam", "CreatePolicy", p), (r) => { setNotice(t("cam.policy.created", { id: r.PolicyId })); setF({ ...f, PolicyName: "", Description: "" }); list.reload(); });
  };
  const remove = (id) => confirm(t("common.confirm")) && run(() => api.call("cam", "DeletePolicy", { PolicyId: [id] }), list.reload);
  const doAttach = (p) => {
    const uin = attach[p.PolicyId] || users.v?.[0]?.Uin;
    run(() => api.call("cam", "AttachUserPolicy", { PolicyId: p.PolicyId, AttachUin: Number(uin) }), () => { setNotice(t("cam.policy.attached", { id: p.PolicyId, uin })); list.reload(); });
  };
  return html`<div>
    <form class="card" onSubmit=${create} data-testid="policy-form">
      <div class="row">
        <input name="policyName" aria-label=${t("cam.policy.name")} placeholder=${t("cam.policy.name")} value=${f.PolicyName} onInput=${(e) => setF({ ...f, PolicyName: e.target.value })} required maxlength="128" />
        <input name="policyDesc" aria-label=${t("net.desc")} placeholder=${t("net.desc")} value=${f.Description} onInput=${(e) => setF({ ...f, Description: e.target.value })} maxlength="300" /></div>
      <label>${t("cam.policy.document")}<textarea name="policyDocument" class="json" rows="10" spellcheck="false" aria-invalid=${problem ? "true" : "false"}
        aria-describedby="policy-problem" value=${f.PolicyDocument} onInput=${(e) => setF({ ...f, PolicyDocument: e.target.value })}></textarea></label>
      <div id="policy-problem" class=${problem ? "error" : "muted"} data-testid="policy-problem" role=${problem ? "alert" : undefined}>${problem || t("cam.policy.ok")}</div>
      <button type="submit" disabled=${!!problem} data-testid="create-policy">${t("cam.policy.create")}</button>
    </form>
    ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}
    <${ErrorBox} error=${error || (!list.v && list.error)} />
    ${list.v && html`<table data-testid="policies"><thead><tr><th>ID</th><th>${t("cam.policy.name")}</th><th>${t("net.desc")}</th><th>${t("cam.attachments")}</th><th></th></tr></thead>
      <tbody>${list.v.length === 0 ? none(5) : list.v.map((p) => html`<tr data-id=${p.PolicyId}><td>${p.PolicyId}</td><td>${p.PolicyName}</td><td>${p.Description}</td>
        <td>${p.AttachEntityCount}</td>
        <td class="actions"><select name="attachUser" aria-label=${t("cam.attachTo")} value=${attach[p.PolicyId] || users.v?.[0]?.Uin || ""}
            onChange=${(e) => setAttach({ ...attach, [p.PolicyId]: e.target.value })}>
            ${(users.v || []).map((u) => html`<option value=${u.Uin}>${u.Name}</option>`)}</select>
          <button class="link" disabled=${!(users.v || []).length} onClick=${() => doAttach(p)}>${t("cam.attach")}</button>
          <button class="link danger" onClick=${() => remove(p.PolicyId)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}

export function Cam({ me }) {
  const [tab, setTab] = useState("users");
  return html`<div>
    <div class="row"><h2>${t("cam.title")}</h2></div>
    <${Tabs} tabs=${[["users", t("cam.users")], ["apikeys", t("cam.keys")], ["policies", t("cam.policies")]]} value=${tab} onChange=${setTab} />
    ${tab === "users" ? html`<${Users} />` : tab === "apikeys" ? html`<${Keys} me=${me} />` : html`<${Policies} />`}
  </div>`;
}
