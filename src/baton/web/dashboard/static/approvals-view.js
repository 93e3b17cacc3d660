// Pieces shared by the run page (kind approval) and the approval page:
// the stages with quorum, approvers, votes and delegations; the request's
// context, and a BPMN user task's form drawn read-only.

import { h, badge, timeEl, table, jsonPre, empty, dl, runHref } from "./dom.js";

function votesTable(votes) {
  if (!votes || !votes.length) return empty("No votes yet.");
  return table(["Approver", "Decision", "At", "Feedback", "Cast by", "Via"], votes.map((v) => h("tr", {},
    h("td", {}, v.approver || "—"),
    h("td", {}, badge(v.decision === "approve" ? "APPROVED" : v.decision === "reject" ? "REJECTED" : v.decision, v.decision)),
    h("td", {}, timeEl(v.at)),
    h("td", {}, v.feedback || ""),
    h("td", {}, v.cast_by || ""),
    h("td", {}, v.via || ""))), { class: "votes-table" });
}

function delegationsList(delegations) {
  const pairs = Object.entries(delegations || {});
  if (!pairs.length) return null;
  return h("div", {}, h("h4", {}, "Delegations"),
    h("ul", { class: "delegations" }, pairs.map(([from, to]) => h("li", {}, `${from} → ${to}`))));
}

function stageCard(stage, current) {
  const approvers = stage.approvers || [];
  return h("article", {
    class: `stage${stage.name === current ? " stage-current" : ""}`,
    "data-stage": stage.name,
    "data-status": stage.status,
  },
  h("header", { class: "stage-head" },
    h("h3", {}, stage.name),
    badge(stage.status),
    stage.quorum_label ? h("span", { class: "quorum" }, `quorum ${stage.quorum_label}`) : null,
    stage.name === current ? h("span", { class: "muted small" }, "current stage") : null),
  dl([
    ["Approvers", approvers.length ? approvers.join(", ") : "—"],
    ["Approvals / rejections", `${stage.approvals ?? 0} / ${stage.rejections ?? 0}` +
      (stage.reject_threshold ? ` (rejected at ${stage.reject_threshold})` : "")],
    ["Opened", timeEl(stage.started_at)],
    ["Decided", timeEl(stage.decided_at)],
    stage.escalated_at ? ["Escalated", timeEl(stage.escalated_at)] : ["", undefined],
    stage.reason ? ["Reason", stage.reason] : ["", undefined],
  ]),
  h("h4", {}, "Votes"),
  votesTable(stage.votes),
  delegationsList(stage.delegations));
}

export function stagesView(status) {
  const stages = status.stages || [];
  if (!stages.length) return empty("This approval has no stages.");
  return h("div", { class: "stages" }, stages.map((st) => stageCard(st, status.current_stage)));
}

export function approvalFacts(status) {
  return dl([
    ["Status", badge(status.status)],
    status.reason ? ["Reason", status.reason] : ["", undefined],
    ["Current stage", status.current_stage || "—"],
    ["May decide now", (status.eligible || []).length ? status.eligible.join(", ") : "—"],
    status.for_workflow ? ["For run", h("a", { href: runHref(status.for_workflow) }, status.for_workflow)] : ["", undefined],
    ["Requested", timeEl(status.started_at || status.requested_at)],
    ["Closed", timeEl(status.closed_at)],
  ]);
}

function formField(field, index) {
  const id = `form-field-${index}`;
  const label = field.label || field.id || `field ${index + 1}`;
  const value = field.value ?? field.default;
  const type = String(field.type || "string").toLowerCase();
  let control;
  if (Array.isArray(field.values) && field.values.length) {
    control = h("select", { id, disabled: true },
      field.values.map((v) => {
        const optValue = typeof v === "object" && v !== null ? v.value ?? v.id : v;
        const optLabel = typeof v === "object" && v !== null ? v.label ?? v.name ?? optValue : v;
        return h("option", { value: String(optValue), selected: String(optValue) === String(value) }, String(optLabel));
      }));
  } else if (type === "boolean" || type === "checkbox") {
    control = h("input", { id, type: "checkbox", checked: Boolean(value), disabled: true });
  } else if (type === "textarea" || (typeof value === "string" && value.length > 80)) {
    control = h("textarea", { id, readonly: true, rows: 3 }, value ?? "");
  } else {
    const inputType = { long: "number", number: "number", integer: "number", date: "date" }[type] || "text";
    control = h("input", { id, type: inputType, readonly: true, value: value === undefined || value === null ? "" : String(value) });
  }
  return h("div", { class: "field", "data-field-id": field.id || "" },
    h("label", { for: id }, label, h("span", { class: "muted small" }, ` (${field.type || "string"})`)),
    control);
}

/** The request's context as JSON, its form (if any) drawn read-only
 * (withForm false: the page shows it as inputs to fill instead). */
export function contextView(context, { withForm = true } = {}) {
  if (context === null || context === undefined || (typeof context === "object" && !Object.keys(context).length)) {
    return empty("No context.");
  }
  const parts = [];
  const form = withForm && context && typeof context === "object" ? context.form : null;
  if (form && Array.isArray(form.fields) && form.fields.length) {
    parts.push(h("form", { class: "readonly-form", "aria-label": "The task's form (read-only)" },
      h("h3", {}, "Form"), form.fields.map(formField)));
  }
  if (form && form.schema) parts.push(h("h3", {}, "Form schema"), jsonPre(form.schema));
  parts.push(h("h3", {}, "Context"), jsonPre(context));
  return h("div", { class: "context" }, parts);
}
