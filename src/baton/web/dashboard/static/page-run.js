// #/runs/<id> — one run: header, actions, the flow graph (or BPMN diagram, or
// an approval's stages), node details, timeline, steps, compensation order,
// agent output (projects) and the audit trail; kept live by /api/live?run=<id>.

import {
  h, replace, alertBox, badge, timeEl, durationEl, fmtDuration, secondsBetween, table, empty,
  loading, jsonPre, dl, section, announce, approvalHref, runHref,
} from "./dom.js";
import { api, live } from "./api.js";
import { drawGraph, recolour, legend } from "./graph.js";
import { drawBpmn } from "./bpmn.js";
import { drawTimeline } from "./timeline.js";
import { entriesFor, innerEntries, displayStatus, OPEN_RUN_STATUSES } from "./status.js";
import { stagesView, approvalFacts, contextView } from "./approvals-view.js";
import { runActions } from "./run-actions.js";

const enc = encodeURIComponent;

// ---- header -------------------------------------------------------------------

function progressEl(progress) {
  if (!progress || !progress.total) return null;
  const { completed = 0, total } = progress;
  return h("span", { class: "progress-wrap" },
    h("progress", { max: total, value: completed, "aria-label": "Progress" }),
    ` ${completed} of ${total}`);
}

function slaEl(sla) {
  if (!sla) return null;
  return h("span", {}, badge(sla.status, `SLA ${sla.status || "?"}`),
    sla.deadline_at ? h("span", { class: "muted small" }, " deadline ", timeEl(sla.deadline_at)) : null,
    sla.warning_at && sla.status === "ON_TRACK" ? h("span", { class: "muted small" }, " · warning ", timeEl(sla.warning_at)) : null);
}

function header(id, st) {
  const failure = st.failure || (st.error && (st.error.title || st.error.detail)) || null;
  return h("div", { class: "run-head" },
    h("p", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs"), " / ", id),
    h("h1", {}, st.name || st.stage || id, " ", badge(st.status)),
    dl([
      ["Run id", h("code", {}, st.workflow_id || id)],
      ["Kind", st.kind || "—"],
      ["Started", timeEl(st.started_at)],
      ["Closed", timeEl(st.closed_at)],
      ["Duration", durationEl(st.started_at, st.closed_at)],
      st.progress && st.progress.total ? ["Progress", progressEl(st.progress)] : ["", undefined],
      st.sla ? ["SLA", slaEl(st.sla)] : ["", undefined],
      (st.waiting_for || []).length ? ["Waiting for", st.waiting_for.join(", ")] : ["", undefined],
      st.plan_id ? ["Plan", st.plan_id] : ["", undefined],
    ]),
    failure ? h("div", { class: "alert alert-error failure", role: "alert" }, h("strong", {}, "Failure: "), failure) : null,
    st.note ? h("p", { class: "alert alert-info" }, st.note) : null,
    (st.notes || []).length ? h("ul", { class: "notes" }, st.notes.map((n) => h("li", {}, typeof n === "string" ? n : JSON.stringify(n)))) : null);
}

// ---- node details ---------------------------------------------------------------

/** What each attempt of a step was given, read from the run's history when opened. */
function inputsBlock(st, entry) {
  const body = h("div", {}, loading("Reading the run's history…"));
  const box = h("details", { class: "inputs", "data-inputs-of": entry.step_id },
    h("summary", {}, "Input of each attempt"), body);
  let loaded = false;
  box.addEventListener("toggle", async () => {
    if (!box.open || loaded) return;
    loaded = true;
    try {
      const doc = await api(`/api/runs/${enc(st.workflow_id)}/inputs?step=${enc(entry.step_id)}`);
      const attempts = (doc && doc.attempts) || [];
      replace(body, attempts.length
        ? attempts.map((a) => [h("h5", {}, `${a.phase} · attempt ${a.attempt ?? "?"}`), jsonPre(a.action)])
        : empty("Not in the run's history: the step ran as a local activity, or runs no action."));
    } catch (err) {
      loaded = false;
      replace(body, alertBox(err.message));
    }
  });
  return box;
}

// a running step's last heartbeat progress (docs/status.md, "Progress")
function progressText(p) {
  const parts = [`${p.percent ?? "?"}% (step ${p.step}${p.total ? ` of ${p.total}` : ""})`];
  const metrics = Object.entries(p.metrics || {}).map(([k, v]) => `${k} ${typeof v === "number" ? Number(v.toPrecision(4)) : v}`);
  if (metrics.length) parts.push(metrics.join(", "));
  if (p.checkpoint) parts.push(`checkpoint at step ${p.checkpoint.step}`);
  if (p.resumed_from !== null && p.resumed_from !== undefined) parts.push(`resumed from step ${p.resumed_from}`);
  if (p.eta_seconds !== null && p.eta_seconds !== undefined) parts.push(`ETA ${fmtDuration(p.eta_seconds)}`);
  return parts.join(" · ");
}

function entryFacts(entry, st) {
  const compensation = (st.compensations || []).find((c) => c.step_id === entry.step_id);
  const took = secondsBetween(entry.started_at, entry.completed_at);
  return h("div", { class: "entry", "data-step-id": entry.step_id },
    h("h4", {}, entry.step_id, " ", badge(displayStatus(entry, st).toUpperCase())),
    dl([
      ["Attempts", String(entry.attempts ?? 0)],
      entry.progress ? ["Progress", progressText(entry.progress)] : ["", undefined],
      ["Started", timeEl(entry.started_at)],
      ["Completed", timeEl(entry.completed_at)],
      ["Duration", entry.started_at ? fmtDuration(took) + (entry.completed_at ? "" : " so far") : "—"],
      entry.iteration !== undefined && entry.iteration !== null ? ["Iteration", String(entry.iteration)] : ["", undefined],
      entry.kind || entry.action_type ? ["Kind", [entry.kind, entry.action_type].filter(Boolean).join(" · ")] : ["", undefined],
      entry.agent_type ? ["Agent", entry.agent_type] : ["", undefined],
      entry.sla ? ["SLA", badge(entry.sla.status || "PENDING", `SLA ${entry.sla.status || "running"}`)] : ["", undefined],
      compensation ? ["Compensation", h("span", {}, badge(compensation.status), ` order ${compensation.order ?? "?"}`)] : ["", undefined],
    ]),
    entry.started_at && st.workflow_id ? inputsBlock(st, entry) : null,
    entry.output !== undefined && entry.output !== null ? [h("h5", {}, "Output"), jsonPre(entry.output)] : null,
    entry.error ? [h("h5", {}, "Error"), jsonPre(entry.error, "json error-text")] : null,
    compensation && compensation.error ? [h("h5", {}, "Compensation error"), jsonPre(compensation.error, "json error-text")] : null);
}

function detailsContent(nodeId, graph, st) {
  const node = graph && (graph.nodes || []).find((n) => n.id === nodeId);
  const entries = entriesFor(nodeId, st).slice().sort((a, b) => String(b.started_at || "").localeCompare(String(a.started_at || "")));
  const inner = innerEntries(nodeId, st);
  const title = (node && node.name) || (entries[0] && entries[0].name) || nodeId;
  return [
    h("h3", { id: "details-title" }, title),
    h("p", { class: "muted small" }, h("code", {}, nodeId), node ? ` · ${[node.kind, node.type].filter(Boolean).join(" · ")}` : ""),
    entries.length ? entries.map((e) => entryFacts(e, st)) : empty("This node has not run."),
    inner.length ? [h("h4", {}, `Inside (${inner.length})`), table(["Step", "Status", "Attempts", "Duration"],
      inner.map((e) => h("tr", {},
        h("td", {}, e.step_id),
        h("td", {}, badge(displayStatus(e, st).toUpperCase())),
        h("td", {}, String(e.attempts ?? 0)),
        h("td", {}, durationEl(e.started_at, e.completed_at)))))] : null,
  ];
}

// ---- steps, compensations, output, audit ---------------------------------------------

function stepsTable(st, onSelect) {
  const steps = st.steps || [];
  if (!steps.length) return empty("This run has no steps.");
  const rows = steps.map((step) => {
    const open = h("button", { type: "button", class: "linklike" }, step.step_id);
    open.addEventListener("click", () => onSelect(step.step_id));
    const shown = displayStatus(step, st);
    return h("tr", { "data-step-id": step.step_id, "data-status": shown },
      h("td", {}, open),
      h("td", {}, step.name || ""),
      h("td", {}, [step.kind, step.action_type || step.agent_type].filter(Boolean).join(" · ") || "—"),
      h("td", {}, badge(shown.toUpperCase(), shown), step.progress ? h("span", { class: "muted small" }, ` ${step.progress.percent ?? "?"}%`) : null),
      h("td", { class: "num" }, String(step.attempts ?? 0)),
      h("td", {}, timeEl(step.started_at)),
      h("td", {}, durationEl(step.started_at, step.completed_at)),
      h("td", {}, step.sla && step.sla.status ? badge(step.sla.status) : ""),
      h("td", { class: "error-cell" }, step.error ? (typeof step.error === "string" ? step.error : step.error.title || step.error.detail || JSON.stringify(step.error)) : ""));
  });
  return [
    table(["Step", "Name", "Kind", "Status", "Attempts", "Started", "Duration", "SLA", "Error"], rows, { class: "steps-table" }),
    st.steps_omitted ? h("p", { class: "muted small" }, `${st.steps_omitted} ended nested entries were left out.`) : null,
  ];
}

function compensationList(st) {
  const comps = (st.compensations || []).slice().sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  if (!comps.length) return empty("Nothing was compensated.");
  return h("ol", { id: "compensation-order", class: "compensations" }, comps.map((c) => h("li", {
    "data-step-id": c.step_id, "data-status": c.status,
  },
  h("span", { class: "comp-order" }, `#${c.order ?? "?"}`), " ",
  h("strong", {}, c.step_id), " ", badge(c.status), " ",
  h("span", { class: "muted small" }, timeEl(c.started_at), " → ", timeEl(c.completed_at)),
  c.attempts > 1 ? h("span", { class: "muted small" }, ` · ${c.attempts} attempts`) : null,
  c.error ? h("div", { class: "error-text" }, typeof c.error === "string" ? c.error : JSON.stringify(c.error)) : null)));
}

// a pipeline's child runs (and the undo runs of completed ones), each a link to its own page
function childRuns(st) {
  const children = st.children || [];
  if (!children.length) return null;
  return table(["Step", "Child run", "Kind", "Definition", "Status", "Started", "Undoes"],
    children.map((c) => h("tr", { "data-run-id": c.run_id, "data-status": c.status },
      h("td", {}, c.step_id),
      h("td", {}, h("a", { href: runHref(c.run_id), class: "run-link" }, c.run_id)),
      h("td", {}, c.kind || ""),
      h("td", {}, c.definition || ""),
      h("td", {}, badge(c.status)),
      h("td", {}, timeEl(c.started_at)),
      h("td", {}, c.undoes || ""))), { class: "children-table", id: "child-runs" });
}

function resultBlock(st) {
  const parts = [];
  if (st.output !== undefined && st.output !== null) parts.push(h("h3", {}, "Output"), jsonPre(st.output));
  if (st.result !== undefined && st.result !== null) parts.push(h("h3", {}, "Result"), jsonPre(st.result));
  if (st.error) parts.push(h("h3", {}, "Error"), jsonPre(st.error, "json error-text"));
  if (st.cleanup) parts.push(h("h3", {}, "Cleanup"), jsonPre(st.cleanup));
  if ((st.escalations || []).length) parts.push(h("h3", {}, "Uncaught escalations"), h("p", {}, st.escalations.join(", ")));
  return parts.length ? parts : null;
}

function auditTable(events) {
  if (!events.length) return empty("No events recorded.");
  return table(["At", "Event", "Step", "Attempt", "Detail"], events.map((e) => h("tr", { "data-event": e.event || "" },
    h("td", {}, timeEl(e.at)),
    h("td", {}, e.event || ""),
    h("td", {}, e.step_id || ""),
    h("td", { class: "num" }, e.attempt === null || e.attempt === undefined ? "" : String(e.attempt)),
    h("td", { class: "detail-cell" }, e.detail === null || e.detail === undefined ? "" :
      typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail)))), { class: "audit-table" });
}

// ---- the page -----------------------------------------------------------------------

export async function runPage({ view, params, signal }) {
  const id = params[0];
  document.title = `${id} · Baton`;
  view.append(loading("Loading the run…"));
  let doc;
  try {
    doc = await api(`/api/runs/${enc(id)}`, { signal });
  } catch (err) {
    if (err.name === "AbortError") return;
    replace(view, h("p", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs"), " / ", id));
    if (err.type === "WorkflowNotFoundError" || err.status === 404) {
      view.append(h("h1", {}, "Run not found"), alertBox(err.message));
    } else {
      view.append(h("h1", {}, id), alertBox(err.message));
    }
    return;
  }
  new RunView(view, id, doc, signal).start();
}

class RunView {
  constructor(view, id, doc, signal) {
    this.view = view;
    this.id = id;
    this.graph = doc.graph || null;
    this.diagram = doc.diagram || null;
    this.status = doc.status || {};
    this.actions = doc.actions || {};
    this.signal = signal;
    this.selected = null;
    this.bpmn = null;
    this.timers = [];
    this.auditLength = -1;
    this.closeLive = null;
  }

  get isApproval() {
    return this.status.kind === "approval" || (!this.graph && (this.status.stages || []).length > 0);
  }

  get isProject() {
    return this.status.kind === "project";
  }

  get isOpen() {
    return OPEN_RUN_STATUSES.includes(this.status.status);
  }

  start() {
    this.layout();
    this.renderAll();
    this.drawFlow();
    this.loadAudit();
    if (this.isProject) this.pollOutput();
    this.timers.push(setInterval(() => { if (this.isOpen) this.renderTimeline(); }, 5000));
    this.closeLive = live({ run: this.id }, {
      run: (doc) => {
        replace(this.liveError);
        for (const b of this.view.querySelectorAll("button[data-stale]")) {
          b.disabled = false;
          delete b.dataset.stale;
        }
        this.onLive(doc);
      },
      error: (err) => {
        replace(this.liveError, alertBox(err.message));
        // what is shown is the last answer: say so, and offer no action on it
        for (const b of this.view.querySelectorAll(".actions button:not([disabled])")) {
          b.disabled = true;
          b.dataset.stale = "1";
        }
        this.liveState.textContent = "Not updating — showing the last state";
        this.liveState.className = "status-line live-off";
      },
      state: (ok) => {
        this.liveState.textContent = ok ? "Live" : "Live updates reconnecting…";
        this.liveState.className = `status-line ${ok ? "live-on" : "live-off"}`;
      },
    });
    this.signal.addEventListener("abort", () => this.stop());
  }

  stop() {
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.outputTimer);
    clearTimeout(this.auditTimer);
    if (this.closeLive) this.closeLive();
    if (this.bpmn) this.bpmn.destroy();
  }

  layout() {
    this.headEl = h("div");
    this.liveState = h("div", { class: "status-line", role: "status" });
    this.liveError = h("div", { class: "error-slot" });
    this.actionsEl = h("div", { class: "actions-bar" });
    this.resultEl = h("div", { class: "action-result", role: "status", "aria-live": "polite" });
    this.flowEl = h("div", { class: "flow" });
    this.detailsEl = h("aside", { class: "details", "aria-labelledby": "details-title", hidden: true });
    this.timelineEl = h("div");
    this.stepsEl = h("div");
    this.compEl = h("div");
    this.childEl = h("div");
    this.resultBlockEl = h("div");
    this.outputEl = h("div", { class: "agent-output" });
    this.auditEl = h("div", {}, loading("Loading the audit trail…"));
    const flowTitle = this.isApproval ? "Stages" : "Flow";
    replace(this.view,
      this.headEl,
      h("div", { class: "toolbar" }, this.actionsEl, this.liveState),
      this.liveError,
      this.resultEl,
      h("section", { class: "card flow-card" }, h("h2", {}, flowTitle),
        h("div", { class: "flow-layout" }, this.flowEl, this.detailsEl)),
      this.isProject ? section("Agent output", this.outputEl) : null,
      this.isApproval ? null : section("Timeline", this.timelineEl),
      this.isApproval ? null : section("Steps", this.stepsEl),
      this.childEl,
      this.isApproval ? null : h("section", { class: "card", id: "compensations" }, h("h2", {}, "Compensation order"), this.compEl),
      h("div", { class: "result-block" }, this.resultBlockEl),
      section("Audit trail", this.auditEl));
  }

  renderAll() {
    const st = this.status;
    replace(this.headEl, header(this.id, st));
    replace(this.actionsEl, runActions(this.id, st, this.actions, this.resultEl, () => this.refresh()));
    if (this.isApproval) {
      this.renderApproval();
    } else {
      this.renderTimeline();
      replace(this.stepsEl, stepsTable(st, (stepId) => this.select(stepId)));
      replace(this.compEl, compensationList(st));
      const children = childRuns(st);
      replace(this.childEl, children ? section("Child runs", children) : "");
    }
    const extra = resultBlock(st);
    replace(this.resultBlockEl, extra ? section("Result", extra) : "");
    if (this.selected) this.renderDetails();
  }

  renderApproval() {
    const st = this.status;
    replace(this.flowEl,
      approvalFacts(st),
      st.description ? h("p", { class: "description" }, st.description) : null,
      st.status === "PENDING" ? h("p", {}, h("a", { class: "btn btn-primary", href: approvalHref(st.approval_id || this.id) }, "Decide in the inbox")) : null,
      stagesView(st),
      h("h3", {}, "Request"), contextView(st.context));
  }

  renderTimeline() {
    const width = Math.max(640, Math.min(1400, (this.timelineEl.clientWidth || this.view.clientWidth || 900) - 4));
    replace(this.timelineEl, drawTimeline(this.status, width));
  }

  async drawFlow() {
    if (this.isApproval) return;
    const select = (nodeId) => this.select(nodeId);
    if (this.diagram) {
      const box = h("div", { class: "bpmn-canvas", "aria-label": "BPMN diagram of the run" });
      replace(this.flowEl, box, loading("Drawing the diagram…"));
      this.bpmn = await drawBpmn(box, this.diagram, this.status, select);
      if (this.bpmn) {
        replace(this.flowEl, box, legend());
        return;
      }
    }
    if (this.graph && (this.graph.nodes || []).length) {
      replace(this.flowEl, drawGraph(this.graph, this.status, select), legend());
    } else {
      replace(this.flowEl, empty("No flow graph for this run."));
    }
  }

  select(nodeId) {
    this.selected = nodeId;
    this.renderDetails();
    this.detailsEl.hidden = false;
    const close = this.detailsEl.querySelector(".details-close");
    if (close) close.focus({ preventScroll: true });
    this.detailsEl.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  renderDetails() {
    const close = h("button", { type: "button", class: "btn btn-small details-close", "aria-label": "Close details" }, "Close ✕");
    close.addEventListener("click", () => {
      const nodeId = this.selected;
      this.selected = null;
      this.detailsEl.hidden = true;
      const node = this.view.querySelector(`[data-node-id="${CSS.escape(nodeId)}"]`);
      if (node) node.focus();
    });
    replace(this.detailsEl, close, detailsContent(this.selected, this.graph, this.status));
    for (const el of this.view.querySelectorAll("[data-node-id].selected")) el.classList.remove("selected");
    const node = this.selected && this.flowEl.querySelector(`[data-node-id="${CSS.escape(this.selected)}"]`);
    if (node) node.classList.add("selected");
  }

  onLive(doc) {
    replace(this.liveError);
    const text = JSON.stringify([doc.status, doc.actions]);
    if (text === this.lastLive) return; // nothing changed
    this.lastLive = text;
    const before = this.status.status;
    if (doc.status) this.status = doc.status;
    if (doc.actions) this.actions = doc.actions;
    const focused = this.focusKey();
    this.renderAll();
    this.restoreFocus(focused);
    if (this.graph) recolour(this.flowEl, this.graph, this.status);
    if (this.bpmn) this.bpmn.update(this.status);
    if (before !== this.status.status) announce(`The run is now ${this.status.status}`);
    if ((this.status.audit || []).length !== this.auditLength) this.scheduleAudit();
    if (this.isProject && this.isOpen && !this.outputTimer) this.pollOutput();
  }

  /** Which re-rendered control has the focus (a step row's button, an action). */
  focusKey() {
    const el = document.activeElement;
    if (!el || !this.view.contains(el) || el.closest("[data-node-id]")) return null;
    const row = el.closest("[data-step-id]");
    if (row) return { step: row.dataset.stepId };
    if (el.closest(".actions-bar")) return { action: el.textContent };
    return null;
  }

  restoreFocus(key) {
    if (!key) return;
    let el = null;
    if (key.step) el = this.stepsEl.querySelector(`[data-step-id="${CSS.escape(key.step)}"] button`);
    if (key.action) el = [...this.actionsEl.querySelectorAll("button")].find((b) => b.textContent === key.action);
    if (el) el.focus({ preventScroll: true });
  }

  async refresh() {
    try {
      const doc = await api(`/api/runs/${enc(this.id)}`, { signal: this.signal });
      this.onLive(doc);
    } catch (err) {
      if (err.name !== "AbortError") replace(this.liveError, alertBox(err.message));
    }
  }

  scheduleAudit() {
    clearTimeout(this.auditTimer);
    this.auditTimer = setTimeout(() => this.loadAudit(), 800);
  }

  async loadAudit() {
    this.auditLength = (this.status.audit || []).length;
    try {
      const doc = await api(`/api/runs/${enc(this.id)}/history`, { signal: this.signal });
      replace(this.auditEl, auditTable((doc && doc.events) || []));
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(this.auditEl, alertBox(err.message));
    }
  }

  phases() {
    return (this.status.steps || []).filter((s) => s.agent_type);
  }

  async pollOutput() {
    this.outputTimer = null;
    let doc = null;
    try {
      doc = await api(`/api/runs/${enc(this.id)}/output`, { signal: this.signal });
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(this.outputEl, alertBox(err.message));
    }
    if (doc) this.renderOutput((doc && doc.steps) || {});
    if (this.isOpen && !this.signal.aborted) this.outputTimer = setTimeout(() => this.pollOutput(), 2000);
  }

  renderOutput(texts) {
    const ids = [...new Set([...this.phases().map((s) => s.step_id), ...Object.keys(texts)])];
    if (!ids.length) {
      replace(this.outputEl, empty("No agent output yet."));
      return;
    }
    if (this.outputEl.querySelector(".empty, .alert")) replace(this.outputEl);
    for (const stepId of ids) {
      let block = this.outputEl.querySelector(`[data-phase="${CSS.escape(stepId)}"]`);
      if (!block) {
        const step = (this.status.steps || []).find((s) => s.step_id === stepId) || {};
        block = h("div", { class: "phase", "data-phase": stepId },
          h("h3", {}, step.name || stepId, step.agent_type ? h("span", { class: "muted small" }, ` · ${step.agent_type}`) : null),
          h("pre", { class: "log", tabindex: "0", "aria-label": `Output of ${stepId}` }));
        this.outputEl.append(block);
      }
      const pre = block.querySelector("pre");
      // the server has a phase's output only while it runs: keep what was shown
      const text = texts[stepId];
      const step = (this.status.steps || []).find((s) => s.step_id === stepId) || {};
      if (text) {
        if (pre.textContent !== text) {
          pre.textContent = text;
          pre.scrollTop = pre.scrollHeight;
        }
      } else if (!pre.textContent) {
        pre.textContent = step.status === "RUNNING" || !step.status ? "(no output yet)" : "(no output was seen while it ran)";
      }
      block.dataset.status = String(step.status || "").toLowerCase();
    }
  }
}

