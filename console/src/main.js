// The console's shell: sign-in until a session exists, then the navigation and the page of the
// location's hash (#/instances ...). The language switch re-renders everything from the catalogues.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import * as api from "./api.js";
import { language, setLanguage, t } from "./i18n.js";
import { html } from "./ui.js";
import { SignIn } from "./pages/signin.js";
import { Overview } from "./pages/overview.js";
import { Instances } from "./pages/instances.js";
import { Storage } from "./pages/storage.js";
import { Bills } from "./pages/bills.js";
import { Security } from "./pages/security.js";
import { Network } from "./pages/network.js";
import { DisksPage } from "./pages/disks.js";
import { Keys } from "./pages/keys.js";
import { Cam } from "./pages/cam.js";
import { Operator } from "./pages/operator.js";
import { Partner } from "./pages/partner.js";

const PAGES = { overview: Overview, instances: Instances, network: Network, disks: DisksPage, keys: Keys, storage: Storage,
  cam: Cam, bills: Bills, security: Security, partner: Partner, operator: Operator };
// offered in the navigation only to the accounts they are for (their actions check again: a
// customer who types #/operator sees the denial)
const SHOWN = { partner: (me) => me.IsPartner, operator: (me) => me.IsOperator };

function route() {
  const r = location.hash.replace(/^#\/?/, "").split("/")[0];
  return PAGES[r] ? r : "overview";
}

function App() {
  const [me, setMe] = useState(undefined); // undefined: asking; null: signed out
  const [page, setPage] = useState(route());
  const [, setLang] = useState(language());

  const refreshSession = () =>
    api.session().then((s) => { api.setRegion(s.Region); setMe(s.MfaPending ? null : s); }).catch(() => setMe(null));
  useEffect(() => {
    api.setSignedOutHandler(() => setMe(null));
    refreshSession();
    const onHash = () => setPage(route());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const switchLang = () => { setLanguage(language() === "zh-CN" ? "en-US" : "zh-CN"); setLang(language()); };
  const langButton = html`<button class="link lang" data-testid="lang" onClick=${switchLang}>${t("lang.switch")}</button>`;

  if (me === undefined) return html`<div class="loading">${t("common.loading")}</div>`;
  if (!me) return html`<div class="signin-wrap">${langButton}<${SignIn} onSignedIn=${refreshSession} /></div>`;

  const Page = PAGES[page];
  const signOut = async () => { try { await api.logout(); } finally { setMe(null); } };
  return html`<div class="shell">
    <header>
      <span class="brand">${t("app.title")}</span>
      <nav>
        ${Object.keys(PAGES).filter((p) => !SHOWN[p] || SHOWN[p](me)).map((p) => html`<a href=${`#/${p}`} class=${p === page ? "active" : ""} data-testid=${`nav-${p}`}>${t(`nav.${p}`)}</a>`)}
      </nav>
      <span class="who" data-testid="who">${me.Uin}</span>
      ${langButton}
      <button class="link" data-testid="signout" onClick=${signOut}>${t("nav.signout")}</button>
    </header>
    <main><${Page} me=${me} key=${page} /></main>
  </div>`;
}

render(html`<${App} />`, document.getElementById("app"));
