// Shared pieces: htm bound to Preact, the error box (Tencent's code and message, and what to do),
// a uPlot chart, money and size formatting, a file download from a Blob.
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { t, hint } from "./i18n.js";

export const html = htm.bind(h);

const DENIALS = /^(UnauthorizedOperation|AccessDenied|AuthFailure\.UnauthorizedOperation)/;

export function ErrorBox({ error }) {
  if (!error) return null;
  const denied = DENIALS.test(error.code || "");
  return html`<div class=${`error ${denied ? "denied" : ""}`} role="alert" data-testid=${denied ? "denied" : "error"}>
    <strong>${denied ? t("error.denied") : t("error.title")}</strong>
    <div class="code">${error.code}</div>
    <div class="message">${error.message}</div>
    <div class="hint">${hint(error.code)}</div>
    ${error.requestId && html`<div class="rid">${t("common.requestId")}: ${error.requestId}</div>`}
  </div>`;
}

export const yuan = (v) => Number(v || 0).toFixed(2);
export function size(n) {
  if (n < 1024) return `${n} B`;
  const u = ["KiB", "MiB", "GiB", "TiB"];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return `${n.toFixed(1)} ${u[i]}`;
}

export function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// What one bill detail row cost: the sum of its components' real cost (yuan).
export const rowCost = (r) => (r.ComponentSet || []).reduce((a, c) => a + Number(c.RealCost || 0), 0);

const dayLabel = (x) => new Date(x * 1000).toISOString().slice(5, 10);

// A bar chart of values by day: xs are unix seconds (midnight UTC), ys yuan.
export function DailyChart({ xs, ys, label, testid }) {
  const el = useRef(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const width = Math.max(320, Math.min(1100, el.current.clientWidth || 640));
    const idx = xs.map((_, i) => i);
    const plot = new uPlot({
      width, height: 220,
      scales: { x: { time: false, range: [-0.5, Math.max(xs.length - 0.5, 0.5)] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.2 : 1] } },
      axes: [
        { values: (u, v) => v.map((i) => (Number.isInteger(i) && xs[i] ? dayLabel(xs[i]) : "")), incrs: [1, 2, 5, 7] },
        { size: 64, values: (u, v) => v.map((y) => `¥${y.toFixed(2)}`) },
      ],
      series: [{}, { label, fill: "rgba(0,110,255,0.45)", stroke: "#006eff", paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } }],
      legend: { show: false },
    }, [idx, ys], el.current);
    return () => plot.destroy();
  }, [JSON.stringify(xs), JSON.stringify(ys), label]);
  return html`<div class="chart" ref=${el} data-testid=${testid || "chart"}></div>`;
}

// Each day of a "YYYY-MM" month up to today (or the month's end), with the detail rows' costs summed.
export function dailyCosts(month, rows, now) {
  const [y, m] = month.split("-").map(Number);
  const first = Date.UTC(y, m - 1, 1) / 1000;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const xs = [], ys = [];
  for (let d = 0; d < days; d++) {
    const x = first + d * 86400;
    if (now && x > now) break;
    xs.push(x);
    ys.push(0);
  }
  for (const r of rows) {
    const ts = Date.parse(String(r.FeeBeginTime).replace(" ", "T") + "Z") / 1000;
    const i = Math.floor((ts - first) / 86400);
    if (i >= 0 && i < ys.length) ys[i] += rowCost(r);
  }
  return { xs, ys };
}

// A list loaded once (and again by reload()): { v, error, reload }. A failure keeps the error,
// so a denial is shown as a denial and not as an empty list.
export function useLoad(fn, deps = []) {
  const [s, set] = useState({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let alive = true;
    fn().then((v) => alive && set({ v }), (error) => alive && set({ error }));
    return () => { alive = false; };
  }, [...deps, n]);
  return { ...s, reload: () => setN((x) => x + 1) };
}

// Tabs as buttons in a tablist (keyboard: Tab to reach them, Enter or Space to choose).
export function Tabs({ tabs, value, onChange }) {
  return html`<div class="tabs" role="tablist">${tabs.map(([k, label]) => html`<button role="tab" type="button"
    aria-selected=${k === value ? "true" : "false"} class=${k === value ? "tab active" : "tab"} data-testid=${`tab-${k}`}
    onClick=${() => onChange(k)}>${label}</button>`)}</div>`;
}

// Runs an action; its failure goes to setError, its success to then().
export const runner = (setError) => async (fn, then) => {
  setError(null);
  try { const r = await fn(); if (then) then(r); return r; } catch (e) { setError(e); return undefined; }
};

// A bar chart of values by label (months, say): ys in yuan.
export function BarChart({ labels, ys, label, testid }) {
  const el = useRef(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const width = Math.max(320, Math.min(1100, el.current.clientWidth || 640));
    const plot = new uPlot({
      width, height: 220,
      scales: { x: { time: false, range: [-0.5, Math.max(labels.length - 0.5, 0.5)] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.2 : 1] } },
      axes: [{ values: (u, v) => v.map((i) => (Number.isInteger(i) && labels[i] ? labels[i] : "")), incrs: [1] },
        { size: 64, values: (u, v) => v.map((y) => `¥${y.toFixed(2)}`) }],
      series: [{}, { label, fill: "rgba(0,160,90,0.45)", stroke: "#00a05a", paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } }],
      legend: { show: false },
    }, [labels.map((_, i) => i), ys], el.current);
    return () => plot.destroy();
  }, [JSON.stringify(labels), JSON.stringify(ys), label]);
  return html`<div class="chart" ref=${el} data-testid=${testid || "chart"}></div>`;
}
