// #/inbox — the approvals the signed-in person may decide now (or all of
// them, or all statuses). Listing is eventually consistent, so it is polled.

import { h, replace, alertBox, badge, timeEl, table, empty, loading, approvalHref } from "./dom.js";
import { api, session } from "./api.js";

const POLL_MS = 5000;

function row(a) {
  return h("tr", { "data-approval-id": a.approval_id },
    h("td", {}, h("a", { href: approvalHref(a.approval_id) }, a.approval_id)),
    h("td", {}, a.stage || "—"),
    h("td", {}, badge(a.status)),
    h("td", {}, (a.may_decide || []).join(", ") || "—"),
    h("td", {}, timeEl(a.requested_at)),
    h("td", {}, timeEl(a.closed_at)));
}

function toggle(name, label, checked) {
  const id = `inbox-${name}`;
  return h("label", { class: "check", for: id }, h("input", { type: "checkbox", id, name, checked }), ` ${label}`);
}

export async function inboxPage({ view, query, signal }) {
  document.title = "Inbox · Baton";
  const who = session();
  const all = toggle("all", "Everyone's (not only mine)", query.get("scope") === "all");
  const every = toggle("closed", "Include decided ones", query.get("pending") === "0");
  const errorSlot = h("div", { class: "error-slot" });
  const results = h("div", {}, loading("Loading approvals…"));
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Inbox"),
      h("p", { class: "muted" }, who && who.principal ? `Approvals for ${who.principal}` : "Not signed in: sign in to see what you may decide.")),
    h("form", { class: "filters", "aria-label": "Which approvals" }, all, every),
    errorSlot, results);
  const allBox = all.querySelector("input");
  const everyBox = every.querySelector("input");
  let timer = null;

  const load = async () => {
    clearTimeout(timer);
    const params = new URLSearchParams({ scope: allBox.checked ? "all" : "mine" });
    if (!everyBox.checked) params.set("pending", "1");
    try {
      const doc = await api(`/api/approvals?${params}`, { signal });
      replace(errorSlot);
      const list = (doc && doc.approvals) || [];
      replace(results, list.length
        ? table(["Approval", "Stage", "Status", "May decide", "Requested", "Closed"], list.map(row), { class: "inbox-table" })
        : empty(allBox.checked ? "No approvals." : "Nothing waits for you."));
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(results);
      replace(errorSlot, alertBox(err.message));
    }
    if (!signal.aborted) timer = setTimeout(load, POLL_MS);
  };

  const onChange = () => {
    const params = new URLSearchParams();
    if (allBox.checked) params.set("scope", "all");
    if (everyBox.checked) params.set("pending", "0");
    history.replaceState(null, "", `#/inbox${params.toString() ? `?${params}` : ""}`);
    load();
  };
  allBox.addEventListener("change", onChange);
  everyBox.addEventListener("change", onChange);
  signal.addEventListener("abort", () => clearTimeout(timer));
  await load();
}
