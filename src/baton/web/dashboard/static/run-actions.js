// The run page's actions — Cancel, Recover, Send event — each confirmed in
// a dialog first; the result (or the error) is shown below the buttons.

import { h, replace, jsonPre, badge, announce, runHref } from "./dom.js";
import { api } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { OPEN_RUN_STATUSES } from "./status.js";

const enc = encodeURIComponent;

function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 8)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("p", { class: "hint" }, hint) : null);
}

function showResult(slot, title, result) {
  const parts = [h("strong", {}, title)];
  if (result && Array.isArray(result.actions)) {
    parts.push(" ", badge(result.outcome === "done" ? "DONE" : result.outcome === "failed" ? "FAILED" : "WARNING", result.outcome || "?"));
    parts.push(h("ul", {}, result.actions.map((a) => h("li", {},
      `${a.action}: ${a.outcome}`, a.detail ? ` — ${a.detail}` : "",
      a.new_workflow_id ? [" → ", h("a", { href: runHref(a.new_workflow_id) }, a.new_workflow_id)] : null))));
  }
  if (result && typeof result === "object") parts.push(h("details", {}, h("summary", {}, "Response"), jsonPre(result)));
  const outcome = result && typeof result === "object" ? result.outcome : undefined;
  const tone = outcome === undefined || outcome === "done" ? "success" : outcome === "failed" ? "error" : "warning";
  replace(slot, h("div", { class: `alert alert-${tone}`, role: tone === "success" ? "status" : "alert" }, parts));
  announce(tone === "success" ? title : `${title} ${outcome}`);
}

function cancelAction(id, slot, after) {
  return async () => {
    const outcome = await confirmDialog({
      title: "Cancel this run?",
      message: `Run ${id} is asked to stop. A saga then compensates (undoes) its completed steps.`,
      confirmLabel: "Cancel the run",
      danger: true,
      action: () => api(`/api/runs/${enc(id)}/cancel`, { method: "POST", body: {} }),
    });
    if (outcome.ok) {
      showResult(slot, "Cancel requested.", outcome.result);
      after();
    }
  };
}

function recoverAction(id, choices, slot, after) {
  return async () => {
    const action = h("select", {}, choices.map((c) => h("option", { value: c }, c)));
    const reason = h("textarea", { rows: 3, placeholder: "why (recorded with the recovery)", required: false });
    const outcome = await confirmDialog({
      title: "Recover this run",
      message: `A recovery action for ${id}; it is recorded with your reason.`,
      body: h("div", {}, field("Action", action), field("Reason", reason)),
      confirmLabel: "Recover",
      collect: () => ({ action: action.value, reason: reason.value.trim() }),
      action: (body) => api(`/api/runs/${enc(id)}/recover`, { method: "POST", body }),
    });
    if (outcome.ok) {
      const said = { done: "Recovery done.", failed: "Recovery failed.", refused: "Recovery refused." };
      showResult(slot, said[outcome.result && outcome.result.outcome] || "Recovery ended.", outcome.result);
      after();
    }
  };
}

function sendEventAction(id, types, slot, after) {
  return async () => {
    const OTHER = "__other__";
    const typeSelect = h("select", {},
      types.map((t) => h("option", { value: t }, t)),
      h("option", { value: OTHER }, "another type…"));
    const typeText = h("input", { type: "text", placeholder: "event type, e.g. order.paid", autocomplete: "off" });
    const typeTextField = field("Event type", typeText);
    typeTextField.hidden = types.length > 0;
    typeSelect.addEventListener("change", () => { typeTextField.hidden = typeSelect.value !== OTHER; });
    const data = h("textarea", { rows: 6, class: "code", spellcheck: "false" }, "{}");
    const outcome = await confirmDialog({
      title: "Send an event to this run",
      body: h("div", {},
        types.length ? field("Type", typeSelect, "the types its open waits want now") : null,
        typeTextField,
        field("Data (JSON)", data)),
      confirmLabel: "Send",
      collect: () => {
        const type = (types.length && typeSelect.value !== OTHER ? typeSelect.value : typeText.value).trim();
        if (!type) throw new Error("Give the event's type.");
        let parsed;
        try {
          parsed = JSON.parse(data.value.trim() || "{}");
        } catch (err) {
          throw new Error(`The data is not valid JSON: ${err.message}`);
        }
        return { type, data: parsed };
      },
      action: (body) => api(`/api/runs/${enc(id)}/events`, { method: "POST", body }),
    });
    if (outcome.ok) {
      showResult(slot, "Event sent.", outcome.result);
      after();
    }
  };
}

function button(label, handler, cls = "btn") {
  const el = h("button", { type: "button", class: cls }, label);
  el.addEventListener("click", () => handler().catch((err) => {
    console.error(err);
  }));
  return el;
}

/** The action buttons the server allows for this run (actions document). */
export function runActions(id, status, actions, slot, after) {
  const buttons = [];
  if (actions.cancel) buttons.push(button("Cancel run", cancelAction(id, slot, after), "btn btn-danger"));
  if ((actions.recover || []).length) buttons.push(button("Recover…", recoverAction(id, actions.recover, slot, after)));
  const types = actions.send_event;
  if (Array.isArray(types) && (types.length || (status.kind !== "approval" && OPEN_RUN_STATUSES.includes(status.status)))) {
    buttons.push(button("Send event…", sendEventAction(id, types, slot, after)));
  }
  if (!buttons.length) return null;
  return h("div", { class: "actions", role: "group", "aria-label": "Run actions" }, buttons);
}

