// Object storage: buckets, and a file browser of one bucket (folders by "/"), with uploads by
// button or drag and drop (a progress bar each), download, delete and a shared link. Every
// request goes straight to the object store with a URL yund presigned for this session's user.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, download, html, size } from "../ui.js";

function Buckets({ onOpen }) {
  const [list, setList] = useState(null);
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  const load = () => api.listBuckets().then(setList, (e) => { setError(e); setList([]); });
  useEffect(() => { load(); }, []);
  const create = async (e) => {
    e.preventDefault();
    setError(null);
    try { await api.createBucket(name.trim()); setName(""); load(); } catch (err) { setError(err); }
  };
  const remove = async (b) => {
    if (!confirm(t("common.confirm"))) return;
    try { await api.deleteBucket(b); load(); } catch (err) { setError(err); }
  };
  return html`<div>
    <form class="row" onSubmit=${create}>
      <input name="bucket" placeholder=${t("storage.bucketName")} value=${name} onInput=${(e) => setName(e.target.value)} required />
      <button type="submit" data-testid="create-bucket">${t("storage.create")}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${list === null ? html`<div class="muted">${t("common.loading")}</div>` : html`<table data-testid="buckets">
      <thead><tr><th>${t("storage.bucketName")}</th><th>${t("storage.created")}</th><th></th></tr></thead>
      <tbody>${list.length === 0 ? html`<tr><td colspan="3" class="muted">${t("common.none")}</td></tr>` : list.map((b) => html`
        <tr data-bucket=${b.Name}><td><a href="#/storage" onClick=${(e) => { e.preventDefault(); onOpen(b.Name); }}>${b.Name}</a></td>
          <td>${b.CreationDate}</td>
          <td class="actions"><button class="link" onClick=${() => onOpen(b.Name)}>${t("storage.open")}</button>
            <button class="link danger" onClick=${() => remove(b.Name)}>${t("common.delete")}</button></td></tr>`)}</tbody></table>`}
  </div>`;
}

function Browser({ bucket, onBack }) {
  const [prefix, setPrefix] = useState("");
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [uploads, setUploads] = useState([]);
  const [shared, setShared] = useState(null);
  const [drag, setDrag] = useState(false);
  const load = () => api.listObjects(bucket, prefix).then(setList, (e) => { setError(e); setList({ folders: [], objects: [] }); });
  useEffect(() => { load(); }, [bucket, prefix]);

  const upload = async (files) => {
    setError(null);
    for (const file of files) {
      const key = prefix + file.name;
      const u = { name: file.name, loaded: 0, total: file.size || 1, done: false };
      setUploads((l) => [...l.filter((x) => x.name !== file.name), u]);
      const update = (patch) => setUploads((l) => l.map((x) => (x.name === file.name ? { ...x, ...patch } : x)));
      try {
        await api.putObject(bucket, key, file, (loaded, total) => update({ loaded, total }));
        update({ done: true, loaded: u.total });
      } catch (e) { setError(e); update({ failed: true }); }
    }
    load();
  };
  const get = async (key) => {
    try { download(await api.getObject(bucket, key), key.split("/").pop()); } catch (e) { setError(e); }
  };
  const remove = async (key) => {
    if (!confirm(t("common.confirm"))) return;
    try { await api.deleteObject(bucket, key); load(); } catch (e) { setError(e); }
  };
  const share = async (key) => {
    try { setShared({ key, url: (await api.shareLink(bucket, key, 3600)).Url }); } catch (e) { setError(e); }
  };
  const onDrop = (e) => { e.preventDefault(); setDrag(false); upload([...e.dataTransfer.files]); };

  return html`<div>
    <div class="row"><button class="link" onClick=${onBack}>← ${t("storage.back")}</button>
      <h3>${t("storage.files", { bucket })}${prefix && ` / ${prefix}`}</h3></div>
    <div class=${`dropzone ${drag ? "over" : ""}`} data-testid="dropzone" onDragOver=${(e) => { e.preventDefault(); setDrag(true); }}
      onDragLeave=${() => setDrag(false)} onDrop=${onDrop}>
      <label class="button">${t("storage.upload")}<input type="file" multiple data-testid="upload" class="hidden"
        onChange=${(e) => { upload([...e.target.files]); e.target.value = ""; }} /></label>
      <span class="muted">${t("storage.drop")}</span>
    </div>
    ${uploads.map((u) => html`<div class="upload" data-testid="upload-progress" data-done=${u.done ? "1" : "0"}>
      <span>${u.done ? t("storage.uploaded", { name: u.name }) : t("storage.uploading", { name: u.name })}</span>
      <progress max=${u.total} value=${u.loaded}></progress></div>`)}
    <${ErrorBox} error=${error} />
    ${shared && html`<div class="card share" data-testid="share"><strong>${t("storage.share.title")}</strong>
      <input readonly value=${shared.url} data-testid="share-url" onFocus=${(e) => e.target.select()} />
      <button class="link" onClick=${() => setShared(null)}>${t("common.close")}</button></div>`}
    ${list === null ? html`<div class="muted">${t("common.loading")}</div>` : html`<table data-testid="objects">
      <thead><tr><th>${t("storage.name")}</th><th>${t("storage.size")}</th><th>${t("storage.modified")}</th><th></th></tr></thead>
      <tbody>
        ${prefix && html`<tr><td colspan="4"><a href="#/storage" onClick=${(e) => { e.preventDefault(); setPrefix(prefix.replace(/[^/]*\/$/, "")); }}>.. ${t("storage.up")}</a></td></tr>`}
        ${list.folders.map((p) => html`<tr><td colspan="4"><a href="#/storage" onClick=${(e) => { e.preventDefault(); setPrefix(p); }}>📁 ${p.slice(prefix.length)}</a></td></tr>`)}
        ${list.objects.length === 0 && list.folders.length === 0 ? html`<tr><td colspan="4" class="muted">${t("common.none")}</td></tr>` : list.objects.map((o) => html`
          <tr data-key=${o.Key}><td>${o.Key.slice(prefix.length)}</td><td>${size(o.Size)}</td><td>${o.LastModified}</td>
            <td class="actions"><button class="link" onClick=${() => get(o.Key)}>${t("storage.download")}</button>
              <button class="link" onClick=${() => share(o.Key)}>${t("storage.share")}</button>
              <button class="link danger" onClick=${() => remove(o.Key)}>${t("common.delete")}</button></td></tr>`)}
      </tbody></table>`}
  </div>`;
}

export function Storage() {
  const [bucket, setBucket] = useState(null);
  return html`<div><h2>${t("storage.title")}</h2>
    ${bucket ? html`<${Browser} bucket=${bucket} onBack=${() => setBucket(null)} />` : html`<${Buckets} onOpen=${setBucket} />`}</div>`;
}
