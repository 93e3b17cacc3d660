// A request's form as inputs the approver fills in (a BPMN user task's
// Camunda generated form `fields`, or a Camunda form `schema`). The values go
// with the decision as `data`; the approval checks them against the form
// (plan/forms.py), so this only helps to type them right.

import { h } from "./dom.js";

const FIELD_KINDS = { string: "string", long: "integer", boolean: "boolean", date: "date", enum: "enum" };
const COMPONENT_KINDS = {
  textfield: "string", textarea: "text", number: "number", checkbox: "boolean",
  select: "enum", radio: "enum", checklist: "enum_list", taglist: "enum_list", datetime: "datetime",
};

/** [{key, label, kind, values: [{value, label}], initial}] of a form. */
export function fieldsOf(form) {
  const found = [];
  if (!form || typeof form !== "object") return found;
  for (const f of Array.isArray(form.fields) ? form.fields : []) {
    if (!f || !f.id) continue;
    found.push({
      key: f.id, label: f.label || f.id, kind: FIELD_KINDS[f.type] || "string",
      values: (f.values || []).map((v) => ({ value: v.id, label: v.name || v.id })),
      initial: f.default,
    });
  }
  const walk = (components) => {
    for (const c of Array.isArray(components) ? components : []) {
      if (!c || typeof c !== "object") continue;
      const kind = COMPONENT_KINDS[c.type];
      if (kind && c.key) {
        found.push({
          key: c.key, label: c.label || c.key, kind,
          values: (c.values || []).map((v) => ({ value: v.value, label: v.label || String(v.value) })),
          initial: c.defaultValue,
        });
      }
      walk(c.components);
    }
  };
  if (form.schema && typeof form.schema === "object") walk(form.schema.components);
  return found;
}

function inputFor(field, id) {
  const { kind, initial } = field;
  if (kind === "boolean") return h("input", { id, type: "checkbox", checked: initial === true || initial === "true" });
  if (kind === "text") return h("textarea", { id, rows: 3 }, initial == null ? "" : String(initial));
  if (kind === "enum" || kind === "enum_list") {
    const select = h("select", { id, multiple: kind === "enum_list" },
      kind === "enum" ? h("option", { value: "" }, "—") : null,
      field.values.map((v) => h("option", { value: String(v.value), selected: v.value === initial }, v.label)));
    return select;
  }
  const type = { integer: "number", number: "number", date: "date", datetime: "datetime-local" }[kind] || "text";
  const attrs = { id, type, value: initial == null ? "" : String(initial) };
  if (kind === "integer") attrs.step = "1";
  if (kind === "number") attrs.step = "any";
  return h("input", attrs);
}

function valueOf(field, input) {
  const { kind } = field;
  if (kind === "boolean") return input.checked;
  if (kind === "enum_list") {
    const chosen = [...input.selectedOptions].map((o) => field.values.find((v) => String(v.value) === o.value)?.value);
    return chosen.length ? chosen : undefined;
  }
  const text = input.value.trim();
  if (!text) return undefined;
  if (kind === "integer" || kind === "number") return Number(text);
  if (kind === "enum") return field.values.find((v) => String(v.value) === text)?.value ?? text;
  return text;
}

/** {el, values()} for the form, or null when it takes no values. */
export function formInputs(form) {
  const fields = fieldsOf(form);
  if (!fields.length) return null;
  const inputs = fields.map((field, i) => inputFor(field, `form-input-${i}`));
  const el = h("fieldset", { class: "form-inputs" }, h("legend", {}, "Form"),
    fields.map((field, i) => h("div", { class: field.kind === "boolean" ? "field field-check" : "field", "data-form-key": field.key },
      h("label", { for: `form-input-${i}` }, field.label), inputs[i])));
  const values = () => {
    const data = {};
    fields.forEach((field, i) => {
      const value = valueOf(field, inputs[i]);
      if (value !== undefined) data[field.key] = value;
    });
    return data;
  };
  return { el, values };
}
