// The Baton dashboard: hash routing, the top bar (pages, who is signed in,
// the session's notice) and the page modules.

import { h, replace, alertBox, startTicker } from "./dom.js";
import { loadSession, onSession, session, signOut, requireSignIn, rememberPlace } from "./api.js";
import { runsPage } from "./page-runs.js";
import { runPage } from "./page-run.js";
import { inboxPage } from "./page-inbox.js";
import { approvalPage } from "./page-approval.js";
import { operationsPage } from "./page-operations.js";
import { startPage } from "./page-start.js";
import { signinPage } from "./page-signin.js";

const ROUTES = [
  { pattern: /^\/runs\/?$/, nav: "runs", page: runsPage },
  { pattern: /^\/runs\/(.+)$/, nav: "runs", page: runPage },
  { pattern: /^\/inbox\/?$/, nav: "inbox", page: inboxPage },
  { pattern: /^\/inbox\/(.+)$/, nav: "inbox", page: approvalPage },
  { pattern: /^\/operations\/?$/, nav: "operations", page: operationsPage },
  { pattern: /^\/start\/?$/, nav: "start", page: startPage },
  { pattern: /^\/signin\/?$/, nav: "signin", page: signinPage },
];

let leaving = null; // the current page's AbortController

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/runs";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

function markNav(name) {
  for (const link of document.querySelectorAll(".mainnav a")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route() {
  const { path, query } = parseHash();
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    location.replace("#/runs");
    return;
  }
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (leaving) leaving.abort();
  leaving = new AbortController();
  const view = document.getElementById("view");
  replace(view);
  if (!match) {
    markNav(null);
    view.append(h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/runs" }, "Go to the runs")));
    return;
  }
  markNav(match.r.nav);
  const current = session();
  if (current && current.sign_in_required && !current.principal && match.r.nav !== "signin") {
    requireSignIn();
    return;
  }
  const params = match.m.slice(1).map((p) => decodeURIComponent(p));
  try {
    await match.r.page({ view, params, query, signal: leaving.signal });
  } catch (err) {
    if (err.name === "AbortError") return;
    console.error(err);
    view.append(alertBox(err.message || String(err)));
  }
}

function renderWho(doc) {
  const who = document.getElementById("who");
  const notice = document.getElementById("notice");
  const footer = document.getElementById("footer");
  if (!doc) {
    replace(who);
    return;
  }
  if (doc.principal) {
    const out = h("button", { type: "button", class: "btn btn-small" }, "Sign out");
    out.addEventListener("click", async () => {
      try {
        await signOut();
        location.hash = "#/signin";
      } catch (err) {
        replace(document.getElementById("view"), alertBox(err.message));
      }
    });
    replace(who, h("span", { class: "principal", title: `signed in (${doc.mode} mode)` }, doc.principal), out);
  } else {
    const link = h("a", { href: "#/signin", class: "signin-link" }, "Sign in");
    link.addEventListener("click", rememberPlace);
    replace(who, link);
  }
  notice.hidden = !doc.notice;
  replace(notice, doc.notice || "");
  const where = [doc.server && `Temporal ${doc.server}`, doc.namespace && `namespace ${doc.namespace}`,
    doc.task_queue && `task queue ${doc.task_queue}`].filter(Boolean).join(" · ");
  replace(footer, where);
}

async function boot() {
  startTicker();
  onSession(renderWho);
  window.addEventListener("hashchange", route);
  try {
    await loadSession();
  } catch (err) {
    // the pages show their own errors (the server is down…); a later call may work
    console.warn("session:", err.message);
    renderWho(null);
  }
  await route();
}

boot();

// the skip link moves focus to the page's content without changing the route
const skip = document.querySelector(".skip-link");
if (skip) {
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    const view = document.getElementById("view");
    if (view) {
      if (!view.hasAttribute("tabindex")) view.setAttribute("tabindex", "-1");
      view.focus();
    }
  });
}
