// #/inbox/<approval id> — one approval: what is asked (description, context,
// form), its stages and votes; Approve / Reject with feedback, Delegate.

import { h, replace, alertBox, badge, loading, section, table, timeEl, announce } from "./dom.js";
import { api, session, rememberPlace } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { stagesView, approvalFacts, contextView } from "./approvals-view.js";
import { formInputs } from "./form-inputs.js";

const enc = encodeURIComponent;

function outcomeEl(kind, result) {
  if (result.accepted) {
    return h("div", { class: "outcome accepted", role: "status" },
      h("strong", {}, `${kind} accepted.`), " The approval is now ", badge(result.status), ".");
  }
  return h("div", { class: "outcome refused", role: "alert" },
    h("strong", {}, `${kind} refused: `), result.reason || "no reason given",
    result.status ? [" (status ", badge(result.status), ")"] : null);
}

function signInLink() {
  const link = h("a", { href: "#/signin" }, "sign in");
  link.addEventListener("click", rememberPlace);
  return link;
}

function refusalsTable(refusals) {
  if (!refusals || !refusals.length) return null;
  return section("Refused decisions", table(["At", "Who", "What", "Why"], refusals.map((r) => h("tr", {},
    h("td", {}, timeEl(r.at)),
    h("td", {}, r.actor || r.approver || r.approver_id || ""),
    h("td", {}, r.event || r.decision || ""),
    h("td", {}, r.detail || r.reason || "")))));
}

export async function approvalPage({ view, params, signal }) {
  const id = params[0];
  document.title = `${id} · Inbox · Baton`;
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "#/inbox" }, "Inbox"), " / ", id);
  const body = h("div", {}, loading("Loading the approval…"));
  const outcome = h("div", { class: "outcome-slot", "aria-live": "polite" });
  view.append(crumbs, body);

  const decideCard = (st) => {
    const who = session();
    const pending = st.status === "PENDING";
    const form = pending ? formInputs((st.context || {}).form) : null;
    const canDecide = Boolean(who && who.can_decide);
    const feedback = h("textarea", { id: "feedback", rows: 3, placeholder: "optional: why" });
    const approve = h("button", { type: "button", class: "btn btn-primary", disabled: !canDecide }, "Approve");
    const reject = h("button", { type: "button", class: "btn btn-danger", disabled: !canDecide }, "Reject");
    const delegateTo = h("input", { id: "delegate-to", type: "text", placeholder: "bob@company.com", autocomplete: "off" });
    const note = h("input", { id: "delegate-note", type: "text", placeholder: "optional note", autocomplete: "off" });
    const delegate = h("button", { type: "button", class: "btn", disabled: !canDecide }, "Delegate…");

    const decide = (decision) => async () => {
      const word = decision === "approve" ? "Approve" : "Reject";
      const result = await confirmDialog({
        title: `${word} ${id}?`,
        message: `You decide as ${who.principal || "yourself"}.` + (feedback.value.trim() ? ` Feedback: “${feedback.value.trim()}”` : ""),
        confirmLabel: word,
        danger: decision === "reject",
        action: () => {
          const body = { decision, feedback: feedback.value.trim() };
          const data = form ? form.values() : {};
          if (Object.keys(data).length) body.data = data;
          return api(`/api/approvals/${enc(id)}/decide`, { method: "POST", body });
        },
      });
      if (!result.ok) return;
      replace(outcome, outcomeEl(word, result.result));
      announce(result.result.accepted ? `${word} accepted` : `${word} refused: ${result.result.reason}`);
      load(false);
    };
    const delegateIt = async () => {
      const to = delegateTo.value.trim();
      if (!to) {
        replace(outcome, alertBox("Say who to delegate to."));
        delegateTo.focus();
        return;
      }
      const result = await confirmDialog({
        title: `Delegate your vote to ${to}?`,
        message: note.value.trim() ? `Note: “${note.value.trim()}”` : null,
        confirmLabel: "Delegate",
        action: () => api(`/api/approvals/${enc(id)}/delegate`, { method: "POST", body: { to, note: note.value.trim() } }),
      });
      if (!result.ok) return;
      replace(outcome, outcomeEl("Delegation", result.result));
      load(false);
    };
    approve.addEventListener("click", decide("approve"));
    reject.addEventListener("click", decide("reject"));
    delegate.addEventListener("click", delegateIt);
    return section("Your decision",
      canDecide ? null : h("p", { class: "hint sign-in-hint" }, "You cannot decide now: ",
        signInLink(), " first."),
      form ? form.el : null,
      h("div", { class: "field" }, h("label", { for: "feedback" }, "Feedback"), feedback),
      h("div", { class: "actions" }, approve, reject),
      h("div", { class: "delegate-row" },
        h("div", { class: "field" }, h("label", { for: "delegate-to" }, "Delegate to"), delegateTo),
        h("div", { class: "field" }, h("label", { for: "delegate-note" }, "Note"), note),
        h("div", { class: "field field-button" }, delegate)),
      outcome);
  };

  let decideEl = null;
  const load = async (full = true) => {
    let doc;
    try {
      doc = await api(`/api/approvals/${enc(id)}`, { signal });
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(body, h("h1", {}, err.status === 404 ? "Approval not found" : id), alertBox(err.message));
      return;
    }
    const st = doc.status || {};
    // a request that has ended takes no decision: its outcome stays shown
    if (st.status !== "PENDING") decideEl = outcome.childElementCount ? section("Your decision", outcome) : null;
    else if (full || !decideEl) decideEl = decideCard(st);
    replace(body,
      h("h1", {}, st.stage || st.name || id, " ", badge(st.status)),
      st.description ? h("p", { class: "description" }, st.description) : null,
      decideEl,
      section("Request", approvalFacts(st), contextView(st.context, { withForm: st.status !== "PENDING" })),
      section("Stages", stagesView(st)),
      refusalsTable(doc.refusals));
  };
  await load();
}
