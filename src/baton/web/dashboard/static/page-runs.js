// #/runs — the runs list: filters, search by id, paging, and live updates of
// the first page through /api/live?runs=<query>.

import { h, replace, alertBox, badge, timeEl, durationEl, runHref, table, empty, loading, announce } from "./dom.js";
import { api, live } from "./api.js";

const KINDS = ["", "saga", "approval", "project", "process", "bpmn"];
const STATUSES = ["", "RUNNING", "COMPENSATING", "COMPLETED", "COMPENSATED", "COMPENSATION_FAILED", "FAILED",
  "CANCELLED", "PENDING", "APPROVED", "REJECTED", "EXPIRED", "TERMINATED", "TIMED_OUT"];
const FILTERS = ["kind", "name", "status", "since", "until", "q"];

function toIso(localValue) {
  if (!localValue) return "";
  const t = new Date(localValue);
  return Number.isNaN(t.getTime()) ? "" : t.toISOString();
}

function select(name, label, options, value) {
  const id = `filter-${name}`;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, name }, options.map((o) => h("option", { value: o, selected: o === value }, o || "all"))));
}

function input(name, label, type, value, placeholder) {
  const id = `filter-${name}`;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, name, type, value: value || "", placeholder, autocomplete: "off" }));
}

function filterForm(query) {
  return h("form", { class: "filters", role: "search", "aria-label": "Filter runs" },
    input("q", "Run id", "search", query.get("q"), "id or its start"),
    select("kind", "Kind", KINDS, query.get("kind") || ""),
    input("name", "Definition name", "text", query.get("name"), "exact name"),
    select("status", "Status", STATUSES, query.get("status") || ""),
    input("since", "Started after", "datetime-local", query.get("since")),
    input("until", "Started before", "datetime-local", query.get("until")),
    h("div", { class: "field field-button" }, h("button", { type: "reset", class: "btn" }, "Clear")));
}

function runRow(run) {
  return h("tr", { "data-run-id": run.workflow_id },
    h("td", {}, h("a", { href: runHref(run.workflow_id), class: "run-link" }, run.workflow_id)),
    h("td", {}, run.kind || "—"),
    h("td", {}, run.name || "—"),
    h("td", {}, badge(run.status)),
    h("td", {}, timeEl(run.started_at)),
    h("td", {}, durationEl(run.started_at, run.closed_at), run.closed_at ? h("div", { class: "muted small" }, timeEl(run.closed_at)) : null));
}

export async function runsPage({ view, query, signal }) {
  document.title = "Runs · Baton";
  const form = filterForm(query);
  const status = h("div", { class: "status-line", role: "status" });
  const errorSlot = h("div", { class: "error-slot" });
  const results = h("div", { class: "results" }, loading("Loading runs…"));
  const prev = h("button", { type: "button", class: "btn", disabled: true }, "← Previous");
  const next = h("button", { type: "button", class: "btn", disabled: true }, "Next →");
  const pageLabel = h("span", { class: "muted" });
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Runs"), status),
    form, errorSlot, results,
    h("nav", { class: "pager", "aria-label": "Pages" }, prev, pageLabel, next));

  const state = { tokens: [], token: "", nextToken: null, closeLive: null, shown: null };

  const filters = () => {
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      let value = String(data.get(name) || "").trim();
      if (name === "since" || name === "until") value = toIso(value);
      if (value) params.set(name, value);
    }
    return params;
  };

  const keepInUrl = () => {
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const name of FILTERS) if (data.get(name)) params.set(name, String(data.get(name)));
    const hash = `#/runs${params.toString() ? `?${params}` : ""}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
  };

  const show = (doc) => {
    replace(errorSlot);
    const text = JSON.stringify(doc);
    if (text === state.shown && results.querySelector("table, .empty")) return; // nothing changed
    state.shown = text;
    const focusedRow = document.activeElement && document.activeElement.closest("tr[data-run-id]");
    const focusedId = focusedRow ? focusedRow.dataset.runId : null;
    const runs = doc.runs || [];
    state.nextToken = doc.next_page_token || null;
    next.disabled = !state.nextToken;
    prev.disabled = state.tokens.length === 0;
    pageLabel.textContent = `Page ${state.tokens.length + 1}`;
    if (!runs.length) {
      replace(results, empty("No runs match."));
      return;
    }
    replace(results, table(["Run", "Kind", "Name", "Status", "Started", "Duration / closed"], runs.map(runRow),
      { class: "runs-table", "aria-label": "Runs" }));
    if (focusedId) {
      const link = results.querySelector(`tr[data-run-id="${CSS.escape(focusedId)}"] a`);
      if (link) link.focus({ preventScroll: true });
    }
  };

  const showError = (err) => replace(errorSlot, alertBox(err.message));

  const stopLive = () => {
    if (state.closeLive) state.closeLive();
    state.closeLive = null;
  };

  const startLive = () => {
    stopLive();
    if (state.tokens.length) return; // live updates are for the first page only
    state.closeLive = live({ runs: filters().toString() }, {
      runs: (doc) => {
        if (state.tokens.length) return;
        replace(errorSlot);
        show(doc);
        status.textContent = "Live";
        status.className = "status-line live-on";
      },
      error: (err) => {
        showError(err);
        status.textContent = "Not updating — the list below is the last answer";
        status.className = "status-line live-off";
      },
      state: (ok) => {
        status.textContent = ok ? "Live" : "Live updates reconnecting…";
        status.className = `status-line ${ok ? "live-on" : "live-off"}`;
      },
    });
  };

  const load = async () => {
    const params = filters();
    params.set("page_size", "50");
    if (state.token) params.set("page_token", state.token);
    try {
      show(await api(`/api/runs?${params}`, { signal }));
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(results);
      showError(err);
    }
    startLive();
  };

  const restart = () => {
    state.tokens = [];
    state.token = "";
    keepInUrl();
    load();
  };

  let typing = null;
  form.addEventListener("input", (event) => {
    if (event.target.type === "text" || event.target.type === "search") {
      clearTimeout(typing);
      typing = setTimeout(restart, 350);
    }
  });
  form.addEventListener("change", (event) => {
    if (event.target.type !== "text" && event.target.type !== "search") restart();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    restart();
  });
  form.addEventListener("reset", () => setTimeout(restart, 0));
  next.addEventListener("click", () => {
    if (!state.nextToken) return;
    state.tokens.push(state.token);
    state.token = state.nextToken;
    stopLive();
    status.textContent = "";
    load().then(() => announce(`Page ${state.tokens.length + 1}`));
  });
  prev.addEventListener("click", () => {
    if (!state.tokens.length) return;
    state.token = state.tokens.pop();
    load().then(() => announce(`Page ${state.tokens.length + 1}`));
  });
  signal.addEventListener("abort", () => {
    clearTimeout(typing);
    stopLive();
  });
  await load();
}
