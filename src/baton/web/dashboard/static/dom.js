// Small DOM helpers. Data is only ever put into the page with textContent,
// attributes or createElement — never innerHTML — so nothing a run carries
// can become markup (XSS).

const SVG_NS = "http://www.w3.org/2000/svg";

function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (["value", "checked", "disabled", "hidden", "selected", "open"].includes(key)) {
      el[key] = value;
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h("a", {href: "#/runs", class: "x"}, "text", childNode) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// ---- formatting -------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");

export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function fmtTime(iso) {
  const t = parseTime(iso);
  if (t === null) return iso ? String(iso) : "—";
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const sec = Math.max(0, Number(seconds));
  if (sec < 1) return `${Math.round(sec * 1000)} ms`;
  if (sec < 60) return `${sec < 10 ? sec.toFixed(1) : Math.round(sec)} s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m}m ${pad(Math.floor(sec % 60))}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${pad(m % 60)}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Seconds between two ISO times; the second defaults to now. */
export function secondsBetween(startIso, endIso) {
  const a = parseTime(startIso);
  if (a === null) return null;
  const b = endIso ? parseTime(endIso) : Date.now();
  return b === null ? null : (b - a) / 1000;
}

/** A time element: local time shown, the ISO string as its title. */
export function timeEl(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: iso }, fmtTime(iso));
}

/** A duration that keeps counting while the thing runs (see startTicker). */
export function durationEl(startIso, endIso) {
  if (!startIso) return h("span", { class: "muted" }, "—");
  const el = h("span", {}, fmtDuration(secondsBetween(startIso, endIso)));
  if (!endIso) {
    el.classList.add("live-duration");
    el.dataset.start = startIso;
  }
  return el;
}

let ticker = null;
export function startTicker() {
  if (ticker) return;
  ticker = setInterval(() => {
    for (const el of document.querySelectorAll(".live-duration")) {
      el.textContent = fmtDuration(secondsBetween(el.dataset.start));
    }
  }, 1000);
}

export function pretty(value) {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

export function jsonPre(value, cls = "json") {
  return h("pre", { class: cls, tabindex: "0" }, pretty(value));
}

// ---- statuses -----------------------------------------------------------------

const TONES = {
  running: ["RUNNING", "COMPENSATING", "ON_TRACK", "IN_PROGRESS", "STARTED"],
  completed: ["COMPLETED", "APPROVED", "MET", "HEALTHY", "DONE", "OK", "COMPENSATED_OK"],
  failed: ["FAILED", "COMPENSATION_FAILED", "REJECTED", "BREACHED", "TERMINATED", "TIMED_OUT", "CRITICAL", "REFUSED"],
  compensated: ["COMPENSATED"],
  cancelled: ["CANCELLED", "CANCELED"],
  waiting: ["WARNING", "EXPIRED", "WAITING_FOR_EVENT"],
  skipped: ["SKIPPED"],
  pending: ["PENDING", "WAITING", "UNKNOWN"],
};

export function tone(status) {
  const up = String(status || "").toUpperCase();
  for (const [name, list] of Object.entries(TONES)) if (list.includes(up)) return name;
  return "pending";
}

export function badge(status, label) {
  const text = label || String(status || "unknown");
  return h("span", { class: `badge tone-${tone(status)}`, "data-status": String(status || "") }, text);
}

// ---- messages -------------------------------------------------------------------

export function alertBox(message, kind = "error") {
  return h("div", { class: `alert alert-${kind}`, role: "alert" }, message);
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}

/** Say something to screen readers (the page's aria-live region). */
export function announce(text) {
  const region = document.getElementById("live-region");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

/** A table that scrolls sideways on a narrow screen. */
export function table(headers, rows, attrs = {}) {
  return h("div", { class: "table-wrap" },
    h("table", attrs,
      h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)));
}

export function runHref(id) {
  return `#/runs/${encodeURIComponent(id)}`;
}

export function approvalHref(id) {
  return `#/inbox/${encodeURIComponent(id)}`;
}

export function dl(pairs) {
  const list = h("dl", { class: "facts" });
  for (const [term, value] of pairs) {
    if (value === undefined) continue;
    list.append(h("div", {}, h("dt", {}, term), h("dd", {}, value === null ? "—" : value)));
  }
  return list;
}
