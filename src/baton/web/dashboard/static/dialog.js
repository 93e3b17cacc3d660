// The confirmation dialog: a modal <dialog> with Cancel / Confirm. Focus stays
// inside it (Tab wraps), Escape cancels, and focus goes back where it was.

import { h, alertBox, replace } from "./dom.js";

const FOCUSABLE = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

function trapFocus(dialog, event) {
  if (event.key !== "Tab") return;
  const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => !el.disabled && el.offsetParent !== null);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    last.focus();
    event.preventDefault();
  } else if (!event.shiftKey && document.activeElement === last) {
    first.focus();
    event.preventDefault();
  }
}

/**
 * confirmDialog({title, message, body, confirmLabel, danger, collect, action})
 * - body: extra form nodes; collect(): reads them, throws an Error to refuse;
 * - action(value): the request; its result resolves the returned promise.
 * Resolves {ok: true, result} once the action succeeded, {ok: false} when
 * cancelled. An action's error is shown in the dialog, which stays open.
 */
export function confirmDialog({ title, message, body, confirmLabel = "Confirm", danger = false, collect, action }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const errorSlot = h("div", { class: "dialog-error" });
    const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
    const confirm = h("button", { type: "submit", class: danger ? "btn btn-danger" : "btn btn-primary" }, confirmLabel);
    const titleId = `dialog-title-${Date.now()}`;
    const form = h("form", { method: "dialog", class: "dialog-form" },
      h("h2", { id: titleId }, title),
      message ? h("p", {}, message) : null,
      body || null,
      errorSlot,
      h("div", { class: "dialog-buttons" }, cancel, confirm));
    const dialog = h("dialog", { class: "confirm-dialog", "aria-labelledby": titleId }, form);
    let settled = false;

    const finish = (value) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      if (opener && opener.focus) opener.focus();
      resolve(value);
    };

    cancel.addEventListener("click", () => finish({ ok: false }));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish({ ok: false });
    });
    dialog.addEventListener("keydown", (event) => trapFocus(dialog, event));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      replace(errorSlot);
      let value;
      try {
        value = collect ? collect() : undefined;
      } catch (err) {
        replace(errorSlot, alertBox(err.message));
        return;
      }
      confirm.disabled = true;
      cancel.disabled = true;
      confirm.textContent = "Working…";
      try {
        const result = action ? await action(value) : value;
        finish({ ok: true, result });
      } catch (err) {
        replace(errorSlot, alertBox(err.message));
        confirm.disabled = false;
        cancel.disabled = false;
        confirm.textContent = confirmLabel;
      }
    });

    document.body.append(dialog);
    dialog.showModal();
    const firstField = dialog.querySelector("input, select, textarea");
    (firstField || cancel).focus();
  });
}
