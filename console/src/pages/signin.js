// Sign-in: the account ID (and a sub-user's name), the password, then the authenticator's code
// when the user has one bound.
import { useState } from "preact/hooks";
import * as api from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, html } from "../ui.js";

export function SignIn({ onSignedIn }) {
  const [f, setF] = useState({ Uin: "", UserName: "", Password: "" });
  const [mfa, setMfa] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mfa) {
        await api.verifyMfa(code);
        onSignedIn();
      } else {
        const body = { Uin: f.Uin.trim(), Password: f.Password };
        if (f.UserName.trim()) body.UserName = f.UserName.trim();
        const r = await api.login(body);
        if (r.MfaRequired) setMfa(true);
        else onSignedIn();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="card signin" onSubmit=${submit} data-testid="signin">
    <h1>${t("signin.title")}</h1>
    ${mfa ? html`
      <label>${t("signin.mfa")}<input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6"
        value=${code} onInput=${(e) => setCode(e.target.value)} required /></label>
      <p class="muted">${t("signin.mfa.hint")}</p>
      <button type="submit" disabled=${busy}>${t("signin.mfa.submit")}</button>` : html`
      <label>${t("signin.uin")}<input name="uin" inputmode="numeric" autocomplete="username" value=${f.Uin} onInput=${set("Uin")} required /></label>
      <label>${t("signin.user")}<input name="user" value=${f.UserName} onInput=${set("UserName")} /></label>
      <label>${t("signin.password")}<input name="password" type="password" autocomplete="current-password" value=${f.Password} onInput=${set("Password")} required /></label>
      <button type="submit" disabled=${busy}>${t("signin.submit")}</button>
      <p class="muted">${t("signin.help")}</p>`}
    <${ErrorBox} error=${error} />
  </form>`;
}
