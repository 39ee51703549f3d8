// Key pairs: the list, creating one (its private key is offered as a download once: yund keeps
// only the public key), importing a public key, deleting.
import { useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, download, html, runner, useLoad } from "../ui.js";

export function Keys() {
  const list = useLoad(() => api.call("cvm", "DescribeKeyPairs", { Limit: 100 }).then((r) => r.KeyPairSet || []));
  const [name, setName] = useState("");
  const [pub, setPub] = useState("");
  const [made, setMade] = useState(null);
  const [error, setError] = useState(null);
  const run = runner(setError);
  const create = (e) => {
    e.preventDefault();
    run(() => api.call("cvm", "CreateKeyPair", { KeyName: name.trim(), ProjectId: 0 }), (r) => {
      setMade(r.KeyPair);
      download(new Blob([r.KeyPair.PrivateKey], { type: "application/x-pem-file" }), `${r.KeyPair.KeyName}.pem`);
      setName("");
      list.reload();
    });
  };
  const importKey = (e) => {
    e.preventDefault();
    run(() => api.call("cvm", "ImportKeyPair", { KeyName: name.trim(), ProjectId: 0, PublicKey: pub.trim() }), () => { setName(""); setPub(""); list.reload(); });
  };
  const remove = (id) => confirm(t("common.confirm")) && run(() => api.call("cvm", "DeleteKeyPairs", { KeyIds: [id] }), list.reload);
  return html`<div>
    <div class="row"><h2>${t("keys.title")}</h2></div>
    <form class="row" onSubmit=${create}>
      <input name="keyName" aria-label=${t("keys.name")} placeholder=${t("keys.name")} value=${name} onInput=${(e) => setName(e.target.value)} required maxlength="25" pattern="[A-Za-z0-9_]+" />
      <button type="submit" data-testid="create-key">${t("keys.create")}</button>
    </form>
    <details class="card"><summary>${t("keys.import")}</summary>
      <form onSubmit=${importKey}>
        <label>${t("keys.public")}<textarea name="publicKey" class="json" rows="3" value=${pub} onInput=${(e) => setPub(e.target.value)} required></textarea></label>
        <button type="submit" data-testid="import-key">${t("keys.import")}</button>
      </form></details>
    ${made && html`<div class="notice" data-testid="key-made" role="status">${t("keys.made", { name: made.KeyName, id: made.KeyId })}</div>`}
    <${ErrorBox} error=${error || (!list.v && list.error)} />
    ${list.v && html`<table data-testid="keys"><thead><tr><th>${t("net.id")}</th><th>${t("keys.name")}</th><th>${t("keys.fingerprint")}</th>
      <th>${t("keys.instances")}</th><th></th></tr></thead>
      <tbody>${list.v.length === 0 ? html`<tr><td colspan="5" class="muted">${t("common.none")}</td></tr>` : list.v.map((k) => html`<tr data-id=${k.KeyId}>
        <td>${k.KeyId}</td><td>${k.KeyName}</td><td class="mono">${(k.PublicKey || "").slice(0, 40)}…</td><td>${(k.AssociatedInstanceIds || []).join(", ")}</td>
        <td class="actions"><button class="link danger" onClick=${() => remove(k.KeyId)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}
