// The console's one way to the cloud: yund's /console/api endpoints. Every POST carries the
// CSRF token (the yun_csrf cookie repeated in a header); API calls go through /console/api/call
// and come back in the API's own envelope, so errors are Tencent's {Code, Message}.
export const VERSIONS = { cvm: "2017-03-12", cbs: "2017-03-12", vpc: "2017-03-12", billing: "2018-07-09", cam: "2019-01-16",
  partners: "2018-03-21", intlpartnersmgt: "2022-09-28", cloudaudit: "2019-03-19" };

export class ApiError extends Error {
  constructor(code, message, requestId, status) {
    super(message);
    this.code = code;
    this.requestId = requestId || "";
    this.status = status || 0;
  }
}

let onSignedOut = () => {};
export function setSignedOutHandler(fn) { onSignedOut = fn; }

let region = "";
export function setRegion(r) { region = r; }

function cookie(name) {
  const m = document.cookie.split(/;\s*/).find((c) => c.startsWith(name + "="));
  return m ? m.slice(name.length + 1) : "";
}

async function answer(r) {
  let j = null;
  try { j = await r.json(); } catch { /* not JSON */ }
  if (!j || !j.Response) throw new ApiError("InternalError", `HTTP ${r.status}`, "", r.status);
  const e = j.Response.Error;
  if (e) {
    if (e.Code === "AuthFailure.NotSignedIn") onSignedOut();
    throw new ApiError(e.Code, e.Message, j.Response.RequestId, r.status);
  }
  return j.Response;
}

async function post(path, body) {
  const r = await fetch(`/console/api/${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": cookie("yun_csrf") },
    body: JSON.stringify(body || {}),
  });
  return answer(r);
}

export const login = (body) => post("login", body);
export const verifyMfa = (Code) => post("mfa/verify", { Code });
export const bindMfa = () => post("mfa/bind", {});
export const confirmMfa = (Code) => post("mfa/confirm", { Code });
export const logout = () => post("logout", {});
export const session = async () => answer(await fetch("/console/api/session", { credentials: "same-origin" }));
export const call = (Service, Action, Params = {}) =>
  post("call", { Service, Version: VERSIONS[Service], Action, Params, Region: region });
export const presign = (p) => post("presign", p);

// ---- the object store, through presigned URLs ----
async function s3(method, { Bucket, Key, Query, body, headers } = {}) {
  const { Url } = await presign({ Method: method, Bucket, Key, Query });
  const r = await fetch(Url, { method, body, headers });
  const text = method === "GET" && !Key ? await r.text() : "";
  if (!r.ok) {
    const t = text || (await r.text().catch(() => ""));
    const doc = new DOMParser().parseFromString(t, "application/xml");
    const code = doc.querySelector("Code")?.textContent || `HTTP${r.status}`;
    const msg = doc.querySelector("Message")?.textContent || r.statusText;
    throw new ApiError(code, msg, doc.querySelector("RequestId")?.textContent || "", r.status);
  }
  return { r, text };
}

const xml = (t) => new DOMParser().parseFromString(t, "application/xml");

export async function listBuckets() {
  const { text } = await s3("GET");
  return [...xml(text).querySelectorAll("Bucket")].map((b) => ({
    Name: b.querySelector("Name")?.textContent, CreationDate: b.querySelector("CreationDate")?.textContent,
  }));
}
export const createBucket = (Bucket) => s3("PUT", { Bucket });
export const deleteBucket = (Bucket) => s3("DELETE", { Bucket });
export async function listObjects(Bucket, prefix) {
  const { text } = await s3("GET", { Bucket, Query: { "list-type": "2", prefix: prefix || "", delimiter: "/" } });
  const d = xml(text);
  return {
    folders: [...d.querySelectorAll("CommonPrefixes > Prefix")].map((p) => p.textContent),
    objects: [...d.querySelectorAll("Contents")].map((c) => ({
      Key: c.querySelector("Key").textContent, Size: Number(c.querySelector("Size").textContent),
      LastModified: c.querySelector("LastModified").textContent,
    })),
  };
}
export const deleteObject = (Bucket, Key) => s3("DELETE", { Bucket, Key });
export async function getObject(Bucket, Key) {
  const { Url } = await presign({ Method: "GET", Bucket, Key });
  const r = await fetch(Url);
  if (!r.ok) throw new ApiError(`HTTP${r.status}`, r.statusText);
  return r.blob();
}
export const shareLink = (Bucket, Key, Expires) => presign({ Method: "GET", Bucket, Key, Expires });

// An upload with progress: XMLHttpRequest is what reports upload progress.
export async function putObject(Bucket, Key, file, onProgress) {
  const { Url } = await presign({ Method: "PUT", Bucket, Key });
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("PUT", Url);
    x.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    x.onload = () => (x.status < 300 ? resolve() : reject(new ApiError(
      xml(x.responseText).querySelector("Code")?.textContent || `HTTP${x.status}`,
      xml(x.responseText).querySelector("Message")?.textContent || x.statusText)));
    x.onerror = () => reject(new ApiError("NetworkError", "The upload was interrupted."));
    x.send(file);
  });
}
