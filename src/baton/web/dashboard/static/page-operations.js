// #/operations — health summary, what needs attention, SLA breaches,
// recoveries, and the process analytics per definition drawn as charts.

import { h, replace, alertBox, badge, timeEl, table, empty, loading, section, runHref, fmtDuration } from "./dom.js";
import { api } from "./api.js";
import { barChart, processMap } from "./charts.js";

const POLL_MS = 15000;
const num = (v) => (v === null || v === undefined ? null : Number(v));
const pct = (v) => `${Math.round(Number(v) * 1000) / 10}%`;

// ---- health -------------------------------------------------------------------------

function card(label, value, tone = "") {
  return h("div", { class: `stat ${tone}` }, h("div", { class: "stat-value" }, value ?? "—"), h("div", { class: "stat-label" }, label));
}

function summaryCards(summary = {}, monitoring = {}) {
  const byStatus = Object.entries(summary.by_status || {});
  return [
    h("div", { class: "stats" },
      card("Runs checked", summary.total_workflows),
      card("Active", summary.active_workflows, "tone-running"),
      card("Healthy", summary.healthy_workflows, "tone-completed"),
      card("Warning", summary.warning_workflows, summary.warning_workflows ? "tone-waiting" : ""),
      card("Critical", summary.critical_alerts, summary.critical_alerts ? "tone-failed" : ""),
      card("Workers polling", summary.workers_polling, summary.workers_polling === 0 ? "tone-failed" : "tone-completed")),
    byStatus.length ? h("p", { class: "by-status" }, byStatus.map(([k, v]) => h("span", {}, badge(k, `${k} ${v}`), " "))) : null,
    monitorLine(monitoring),
  ];
}

function monitorLine(m) {
  if (!m || m.scheduled === undefined) return null;
  if (!m.scheduled) return h("p", { class: "muted" }, "The monitor is not scheduled (baton policies add … starts it).");
  const sweep = m.last_sweep;
  return h("p", { class: "muted" },
    `Monitor ${m.paused ? "paused" : "running"}`,
    m.interval_seconds ? `, every ${fmtDuration(m.interval_seconds)}` : "",
    sweep && (sweep.at || sweep.finished_at) ? [", last sweep ", timeEl(sweep.at || sweep.finished_at)] : "");
}

function attentionList(items) {
  if (!items || !items.length) return empty("Nothing needs attention.");
  return h("ul", { class: "attention" }, items.map((item) => {
    const level = item.health || item.status;
    return h("li", { "data-run-id": item.workflow_id },
      badge(level === "critical" ? "CRITICAL" : level === "warning" ? "WARNING" : level, level),
      " ", h("a", { href: runHref(item.workflow_id) }, item.workflow_id),
      h("ul", { class: "issues" }, (item.issues || []).map((issue) =>
        h("li", {}, typeof issue === "string" ? issue : issue.message || JSON.stringify(issue)))));
  }));
}

function breachesList(items) {
  if (!items || !items.length) return empty("No SLA is breached.");
  return table(["Run", "Name", "Kind", "Status", "SLA", "Deadline"], items.map((b) => h("tr", {},
    h("td", {}, h("a", { href: runHref(b.workflow_id) }, b.workflow_id)),
    h("td", {}, b.name || "—"),
    h("td", {}, b.kind || "—"),
    h("td", {}, badge(b.status)),
    h("td", {}, b.sla ? badge(b.sla.status) : "—"),
    h("td", {}, timeEl(b.sla && b.sla.deadline_at)))));
}

function recoveriesTable(items) {
  if (!items || !items.length) return empty("No recoveries yet.");
  return table(["At", "Run", "Actions", "Outcome", "Reason", "By"], items.map((r) => h("tr", {},
    h("td", {}, timeEl(r.at || r.started_at)),
    h("td", {}, r.workflow_id ? h("a", { href: runHref(r.workflow_id) }, r.workflow_id) : "—"),
    h("td", {}, (r.actions || []).map((a) => h("div", {}, typeof a === "string" ? a : `${a.action}: ${a.outcome}${a.detail ? ` — ${a.detail}` : ""}`))),
    h("td", {}, r.outcome ? badge(r.outcome === "done" ? "DONE" : r.outcome === "failed" ? "FAILED" : "WARNING", r.outcome) : badge(r.state || "RUNNING", r.state ? r.state.toLowerCase() : "under way")),
    h("td", {}, r.recovery_reason || r.reason || ""),
    h("td", {}, r.policy_id ? `policy ${r.policy_id}` : "by hand"))), { class: "recoveries-table" });
}

// ---- analytics ------------------------------------------------------------------------

function overviewCharts(defs) {
  const names = Object.keys(defs);
  const rows = (pick) => names.map((name) => ({ label: name, values: pick(defs[name] || {}) }));
  return h("div", { class: "charts" },
    barChart({ title: "Success rate", rows: rows((d) => [num(d.success_rate)]), max: 1, format: pct,
      series: [{ name: "success", cls: "series-ok" }] }),
    barChart({ title: "Duration (p50 / p95)", format: fmtDuration,
      rows: rows((d) => [num(d.duration_seconds && d.duration_seconds.p50), num(d.duration_seconds && d.duration_seconds.p95)]),
      series: [{ name: "p50", cls: "series-0" }, { name: "p95", cls: "series-1" }] }),
    barChart({ title: "Throughput (runs per hour)", rows: rows((d) => [num(d.throughput_per_hour)]),
      format: (v) => `${v >= 100 ? Math.round(v).toLocaleString("en") : Number(v.toPrecision(3))}/h`, series: [{ name: "", cls: "series-2" }] }),
    barChart({ title: "Runs", rows: rows((d) => [num(d.runs)]), format: String, series: [{ name: "", cls: "series-3" }] }));
}

function stepTimeChart(name, d) {
  const steps = Object.entries(d.steps || {})
    .map(([step, row]) => ({ step, p50: num(row.duration_seconds && row.duration_seconds.p50), p95: num(row.duration_seconds && row.duration_seconds.p95), waiting: row.waiting }))
    .filter((r) => r.p50 !== null)
    .sort((a, b) => b.p50 - a.p50)
    .slice(0, 12);
  const slowest = d.slowest_steps || d.bottlenecks || [];
  return barChart({
    title: `Step time — bottlenecks${slowest.length ? ` (slowest: ${slowest.slice(0, 3).map((s) => s.step || s).join(", ")})` : ""}`,
    rows: steps.map((r) => ({ label: r.waiting ? `${r.step} (waiting)` : r.step, values: [r.p50, r.p95] })),
    series: [{ name: "p50", cls: "series-0" }, { name: "p95", cls: "series-1" }],
    format: fmtDuration,
  });
}

function errorsChart(d) {
  const rows = Object.entries(d.errors || {}).map(([type, count]) => ({ label: type, values: [num(count)] }));
  if (!rows.length) return h("figure", { class: "chart" }, h("figcaption", {}, "Error types"), empty("No errors."));
  return barChart({ title: "Error types", rows, format: String, series: [{ name: "", cls: "series-bad" }], labelWidth: 230 });
}

function outcomes(d) {
  const rows = Object.entries(d.by_status || {}).map(([status, count]) => ({ label: status, values: [num(count)] }));
  return barChart({ title: "Outcomes", rows, format: String, series: [{ name: "", cls: "series-3" }] });
}

function definitionCard(name, d) {
  const time = d.time || {};
  return h("article", { class: "card definition", "data-definition": name },
    h("h3", {}, name),
    h("div", { class: "stats small-stats" },
      card("Runs", d.runs),
      card("Success", d.success_rate !== undefined && d.success_rate !== null ? pct(d.success_rate) : "—"),
      card("p50", fmtDuration(num(d.duration_seconds && d.duration_seconds.p50))),
      card("p95", fmtDuration(num(d.duration_seconds && d.duration_seconds.p95))),
      card("Retries", d.retries),
      card("Waiting share", time.waiting_share !== undefined && time.waiting_share !== null ? pct(time.waiting_share) : "—")),
    h("div", { class: "charts" }, outcomes(d), stepTimeChart(name, d), errorsChart(d)),
    h("h4", {}, "Discovered process map"),
    h("p", { class: "muted small" }, "How often each step ran and which followed which (from the ended runs)."),
    processMap(d.process_map));
}

function analyticsView(doc) {
  const defs = (doc && doc.definitions) || {};
  const names = Object.keys(defs);
  if (!names.length) return empty("No ended runs in this window.");
  return [
    h("p", { class: "muted" }, `${doc.runs ?? "?"} runs analysed.`,
      (doc.unreadable_runs || []).length ? ` ${doc.unreadable_runs.length} could not be read.` : ""),
    overviewCharts(defs),
    names.map((name) => definitionCard(name, defs[name])),
  ];
}

// ---- the page ------------------------------------------------------------------------

export async function operationsPage({ view, signal }) {
  document.title = "Operations · Baton";
  const healthEl = h("div", {}, loading("Loading health…"));
  const attentionEl = h("div");
  const breachesEl = h("div");
  const recoveriesEl = h("div");
  const analyticsEl = h("div", {}, loading("Loading analytics…"));
  const windowSelect = h("select", { id: "analytics-window" },
    [["24", "last 24 hours"], ["168", "last 7 days"], ["720", "last 30 days"]].map(([v, label]) =>
      h("option", { value: v, selected: v === "168" }, label)));
  const nameInput = h("input", { id: "analytics-name", type: "text", placeholder: "all definitions", autocomplete: "off" });
  const analyticsForm = h("form", { class: "filters", "aria-label": "Analytics window" },
    h("div", { class: "field" }, h("label", { for: "analytics-window" }, "Window"), windowSelect),
    h("div", { class: "field" }, h("label", { for: "analytics-name" }, "Definition"), nameInput),
    h("div", { class: "field field-button" }, h("button", { type: "submit", class: "btn" }, "Analyse")));
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Operations")),
    section("Health", healthEl),
    h("div", { class: "two-col" }, section("Needs attention", attentionEl), section("SLA breaches", breachesEl)),
    section("Recoveries", recoveriesEl),
    h("section", { class: "card" }, h("h2", {}, "Process analytics"), analyticsForm, analyticsEl));

  let timer = null;
  const loadOperations = async () => {
    clearTimeout(timer);
    try {
      const doc = await api("/api/operations", { signal });
      const health = doc.health || {};
      replace(healthEl, summaryCards(health.summary, health.monitoring));
      replace(attentionEl, attentionList(health.needs_attention));
      replace(breachesEl, breachesList(doc.sla_breaches));
      replace(recoveriesEl, recoveriesTable(doc.recoveries || health.recent_recoveries));
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(healthEl, alertBox(err.message));
    }
    if (!signal.aborted) timer = setTimeout(loadOperations, POLL_MS);
  };
  const loadAnalytics = async () => {
    replace(analyticsEl, loading("Loading analytics…"));
    const params = new URLSearchParams({ since_hours: windowSelect.value });
    if (nameInput.value.trim()) params.set("name", nameInput.value.trim());
    try {
      replace(analyticsEl, analyticsView(await api(`/api/analytics?${params}`, { signal })));
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(analyticsEl, alertBox(err.message));
    }
  };
  analyticsForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadAnalytics();
  });
  windowSelect.addEventListener("change", loadAnalytics);
  signal.addEventListener("abort", () => clearTimeout(timer));
  await Promise.all([loadOperations(), loadAnalytics()]);
}
