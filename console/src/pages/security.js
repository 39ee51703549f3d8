// Security: who is signed in, and binding an authenticator (TOTP): the key as an otpauth:// URI
// drawn as a QR code here in the browser, confirmed by a first code.
import { useState } from "preact/hooks";
import QRCode from "qrcode";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, html } from "../ui.js";

export function Security({ me }) {
  const [bound, setBound] = useState(me.MfaBound);
  const [bind, setBind] = useState(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState(null);
  const start = async () => {
    setError(null);
    try {
      const r = await api.bindMfa();
      setBind({ ...r, qr: await QRCode.toDataURL(r.Uri, { margin: 1, width: 200 }) });
    } catch (e) { setError(e); }
  };
  const confirm = async (e) => {
    e.preventDefault();
    setError(null);
    try { await api.confirmMfa(code); setBound(true); setBind(null); } catch (err) { setError(err); }
  };
  return html`<div><h2>${t("security.title")}</h2>
    <p>${t("security.session", { uin: me.Uin, owner: me.OwnerUin, min: Math.round(me.IdleTimeout / 60) })}</p>
    <section class="card"><h3>${t("security.mfa")}</h3>
      <p data-testid="mfa-state">${bound ? t("security.mfa.bound") : t("security.mfa.unbound")}</p>
      ${!bound && !bind && html`<button onClick=${start} data-testid="mfa-bind">${t("security.mfa.bind")}</button>`}
      ${bind && html`<form onSubmit=${confirm}>
        <p>${t("security.mfa.scan")}</p>
        <img src=${bind.qr} alt="otpauth QR code" data-testid="mfa-qr" width="200" height="200" />
        <p>${t("security.mfa.key")}: <code data-testid="mfa-secret">${bind.Secret}</code></p>
        <label>${t("signin.mfa")}<input name="code" inputmode="numeric" maxlength="6" value=${code} onInput=${(e) => setCode(e.target.value)} required /></label>
        <button type="submit">${t("security.mfa.confirm")}</button></form>`}
      <${ErrorBox} error=${error} />
    </section></div>`;
}
