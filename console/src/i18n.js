// zh-CN and en-US: every string comes from one catalogue per language (locales/). The choice is
// kept in localStorage; the default follows the browser.
import en from "./locales/en-US.js";
import zh from "./locales/zh-CN.js";

export const CATALOGUES = { "en-US": en, "zh-CN": zh };
let lang = localStorage.getItem("yun.lang") || (navigator.language.startsWith("zh") ? "zh-CN" : "en-US");
if (!CATALOGUES[lang]) lang = "en-US";

export const language = () => lang;
export function setLanguage(l) {
  lang = CATALOGUES[l] ? l : "en-US";
  localStorage.setItem("yun.lang", lang);
  document.documentElement.lang = lang;
}
document.documentElement.lang = lang;

export function t(key, vars) {
  let s = CATALOGUES[lang][key] ?? CATALOGUES["en-US"][key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

// What to do about an error code: the longest catalogued prefix of it.
export function hint(code) {
  const parts = String(code || "").split(".");
  for (let n = parts.length; n > 0; n--) {
    const k = `hint.${parts.slice(0, n).join(".")}`;
    if (CATALOGUES[lang][k]) return CATALOGUES[lang][k];
  }
  return CATALOGUES[lang]["hint.default"];
}
