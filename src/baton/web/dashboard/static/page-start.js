// #/start — start a definition: pick one from the configured folder, upload
// a file or paste it; give the input; Check; then Start (enabled only after a
// successful check of this very document and input).

import { h, replace, alertBox, loading, jsonPre, runHref, announce } from "./dom.js";
import { api } from "./api.js";
import { confirmDialog } from "./dialog.js";

function sourceRadio(value, label, checked) {
  const id = `source-${value}`;
  return h("label", { class: "check", for: id },
    h("input", { type: "radio", name: "source", id, value, checked }), ` ${label}`);
}

function problemsView(check) {
  const parts = [];
  if (check.ok) {
    parts.push(h("div", { class: "alert alert-success", role: "status" },
      h("strong", {}, "The definition is valid. "), `${check.kind || "?"} “${check.name || "?"}” can start.`));
  } else {
    parts.push(h("div", { class: "alert alert-error", role: "alert" },
      h("strong", {}, "The definition has problems:"),
      h("ul", { class: "problems" }, (check.problems || ["(no details)"]).map((p) => h("li", {}, String(p))))));
  }
  if ((check.warnings || []).length) {
    parts.push(h("div", { class: "alert alert-warning" }, h("strong", {}, "Warnings:"),
      h("ul", { class: "warnings" }, check.warnings.map((w) => h("li", {}, String(w))))));
  }
  if (check.input_schema) parts.push(h("h3", {}, "Input schema"), jsonPre(check.input_schema));
  return parts;
}

export async function startPage({ view, signal }) {
  document.title = "Start · Baton";
  const defSelect = h("select", { id: "definition" }, h("option", { value: "" }, "Loading…"));
  const fileInput = h("input", { id: "definition-file", type: "file", accept: ".yaml,.yml,.json,.bpmn,.xml,.sw.yaml,.txt" });
  const filename = h("input", { id: "definition-filename", type: "text", placeholder: "definition.yaml", autocomplete: "off" });
  const docText = h("textarea", { id: "definition-text", rows: 14, class: "code", spellcheck: "false", placeholder: "Paste a saga, process (Serverless Workflow), project or BPMN definition" });
  const inputText = h("textarea", { id: "run-input", rows: 6, class: "code", spellcheck: "false" }, "{}");
  const runId = h("input", { id: "run-id", type: "text", placeholder: "optional: chosen for you when empty", autocomplete: "off" });
  const checkBtn = h("button", { type: "button", class: "btn" }, "Check");
  const startBtn = h("button", { type: "button", class: "btn btn-primary", disabled: true }, "Start");
  const checkOut = h("div", { class: "check-result", "aria-live": "polite" });
  const folderNote = h("p", { class: "muted small" });
  const radios = h("fieldset", { class: "sources" }, h("legend", {}, "Definition"),
    sourceRadio("folder", "From the definitions folder", true),
    sourceRadio("upload", "Upload a file", false),
    sourceRadio("paste", "Paste it", false));
  const folderPane = h("div", { class: "field", "data-pane": "folder" }, h("label", { for: "definition" }, "Definition"), defSelect, folderNote);
  const uploadPane = h("div", { class: "field", "data-pane": "upload", hidden: true },
    h("label", { for: "definition-file" }, "File"), fileInput,
    h("p", { class: "hint" }, "The file is read here and sent as text; you can edit it below."));
  const textPane = h("div", { "data-pane": "text", hidden: true },
    h("div", { class: "field" }, h("label", { for: "definition-filename" }, "File name (tells the format)"), filename),
    h("div", { class: "field" }, h("label", { for: "definition-text" }, "Document"), docText));

  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Start a run")),
    h("section", { class: "card" }, radios, folderPane, uploadPane, textPane,
      h("div", { class: "field" }, h("label", { for: "run-input" }, "Input (JSON)"), inputText),
      h("div", { class: "field" }, h("label", { for: "run-id" }, "Run id"), runId),
      h("div", { class: "actions" }, checkBtn, startBtn),
      checkOut));

  let checked = null; // the body that passed the check, as JSON

  const source = () => radios.querySelector("input:checked").value;
  const showPanes = () => {
    const src = source();
    folderPane.hidden = src !== "folder";
    uploadPane.hidden = src !== "upload";
    textPane.hidden = src === "folder";
  };

  const body = () => {
    let input;
    try {
      input = JSON.parse(inputText.value.trim() || "{}");
    } catch (err) {
      throw new Error(`The input is not valid JSON: ${err.message}`);
    }
    if (source() === "folder") {
      if (!defSelect.value) throw new Error("Pick a definition (or upload or paste one).");
      return { path: defSelect.value, input };
    }
    if (!docText.value.trim()) throw new Error("The document is empty.");
    return { document: docText.value, filename: filename.value.trim() || "definition.yaml", input };
  };

  const fingerprint = () => {
    try {
      return JSON.stringify(body());
    } catch {
      return null;
    }
  };

  const changed = () => {
    startBtn.disabled = !(checked && checked === fingerprint());
  };

  for (const el of [defSelect, filename, docText, inputText]) el.addEventListener("input", changed);
  defSelect.addEventListener("change", changed);
  radios.addEventListener("change", () => {
    showPanes();
    changed();
  });
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    docText.value = await file.text();
    filename.value = file.name;
    changed();
  });

  // the request from the page's fields, or null (the reason shown)
  const request = () => {
    try {
      return body();
    } catch (err) {
      replace(checkOut, alertBox(err.message));
      return null;
    }
  };

  checkBtn.addEventListener("click", async () => {
    const asked = request();
    if (!asked) return;
    replace(checkOut, loading("Checking…"));
    checked = null;
    changed();
    try {
      const result = await api("/api/definitions/check", { method: "POST", body: asked });
      replace(checkOut, problemsView(result));
      if (result.ok) checked = JSON.stringify(asked);
      announce(result.ok ? "The definition is valid" : "The definition has problems");
    } catch (err) {
      replace(checkOut, alertBox(err.message));
    }
    changed();
  });

  startBtn.addEventListener("click", async () => {
    const asked = request();
    if (!asked) return;
    if (runId.value.trim()) asked.workflow_id = runId.value.trim();
    const outcome = await confirmDialog({
      title: "Start this run?",
      message: `It starts at once on the server's workers${asked.workflow_id ? ` as ${asked.workflow_id}` : ""}.`,
      confirmLabel: "Start",
      action: (sent) => api("/api/runs", { method: "POST", body: sent }),
      collect: () => asked,
    });
    if (outcome.ok) location.hash = runHref(outcome.result.workflow_id);
  });

  try {
    const doc = await api("/api/definitions", { signal });
    const defs = (doc && doc.definitions) || [];
    replace(defSelect, h("option", { value: "" }, defs.length ? "— pick one —" : "(none found)"),
      defs.map((d) => h("option", { value: d.path }, `${d.name || d.path} (${d.kind || "?"}) — ${d.path}`)));
    folderNote.textContent = doc && doc.folder ? `From ${doc.folder}` : "No definitions folder is configured.";
    if (!defs.length) {
      radios.querySelector("#source-paste").checked = true;
      showPanes();
    }
  } catch (err) {
    if (err.name === "AbortError") return;
    replace(defSelect, h("option", { value: "" }, "(could not list)"));
    folderNote.replaceChildren(alertBox(err.message));
  }
}
