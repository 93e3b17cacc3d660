// #/signin — sign in (a credential in signed mode, a name in trusted mode),
// or sign out.

import { h, replace, alertBox, loading } from "./dom.js";
import { loadSession, session, signIn, signOut } from "./api.js";

function goBack() {
  const target = sessionStorage.getItem("baton.return");
  sessionStorage.removeItem("baton.return");
  location.hash = target && !target.startsWith("#/signin") ? target : "#/runs";
}

export async function signinPage({ view }) {
  document.title = "Sign in · Baton";
  const body = h("div", {}, loading());
  view.append(h("div", { class: "page-head" }, h("h1", {}, "Sign in")), body);
  let doc = session();
  try {
    doc = await loadSession();
  } catch (err) {
    if (!doc) {
      replace(body, alertBox(err.message));
      return;
    }
  }
  const signed = doc.mode === "signed";
  const field = signed
    ? h("input", { id: "credential", name: "credential", type: "password", autocomplete: "off", required: true, placeholder: "baton-cred.…" })
    : h("input", { id: "name", name: "name", type: "text", autocomplete: "username", required: true, placeholder: "alice@company.com" });
  const errorSlot = h("div", { class: "error-slot" });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Sign in");
  const form = h("form", { class: "card signin-form" },
    signed
      ? h("p", {}, "Paste your Baton credential (", h("code", {}, "baton-cred.…"), "), as issued by ", h("code", {}, "baton credential issue"), ".")
      : h("p", { class: "notice-inline" }, doc.notice || "Trusted mode: give the name you decide as."),
    h("div", { class: "field" }, h("label", { for: field.id }, signed ? "Credential" : "Your name"), field),
    errorSlot,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(errorSlot);
    const value = field.value.trim();
    if (!value) {
      replace(errorSlot, alertBox(signed ? "Give your credential." : "Give your name."));
      return;
    }
    submit.disabled = true;
    try {
      await signIn(signed ? { credential: value } : { name: value });
      field.value = "";
      goBack();
    } catch (err) {
      replace(errorSlot, alertBox(err.message));
      submit.disabled = false;
      field.focus();
    }
  });
  const parts = [];
  if (doc.principal) {
    const out = h("button", { type: "button", class: "btn" }, "Sign out");
    out.addEventListener("click", async () => {
      try {
        await signOut();
        signinPage({ view: replace(view) });
      } catch (err) {
        replace(errorSlot, alertBox(err.message));
      }
    });
    parts.push(h("div", { class: "card" }, h("p", {}, "Signed in as ", h("strong", {}, doc.principal), ` (${doc.mode} mode).`),
      h("div", { class: "actions" }, out)));
  }
  replace(body, parts, form);
  if (!doc.principal) field.focus();
}
