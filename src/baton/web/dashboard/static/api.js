// Talking to the dashboard server: JSON requests with the CSRF header, its
// error documents turned into ApiError, the session, and live updates (SSE).

export class ApiError extends Error {
  constructor(message, type = "Error", status = 0, detail = null) {
    super(message);
    this.type = type;
    this.status = status;
    this.detail = detail; // the whole error object (e.g. problems of a check)
  }
}

let currentSession = null;
const sessionListeners = new Set();

export function session() {
  return currentSession;
}

export function onSession(listener) {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function setSession(doc) {
  currentSession = doc;
  for (const listener of sessionListeners) listener(doc);
  return doc;
}

/** Remember where the person was (to come back after signing in). */
export function rememberPlace() {
  const here = location.hash;
  if (!here.startsWith("#/signin")) sessionStorage.setItem("baton.return", here || "#/runs");
}

/** Remember where the person was, then show the sign-in page. */
export function requireSignIn() {
  if (!location.hash.startsWith("#/signin")) {
    rememberPlace();
    location.hash = "#/signin";
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { type: "BadResponse", message: text.slice(0, 500) } };
  }
}

/** api("/api/runs") or api("/api/runs/x/cancel", {method: "POST", body: {}}). */
export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (currentSession && currentSession.csrf) headers["X-CSRF-Token"] = currentSession.csrf;
  }
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, credentials: "same-origin",
      body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(`The dashboard server is not reachable: ${err.message}`, "Network");
  }
  const data = await readBody(response);
  if (response.ok) return data;
  const error = (data && data.error) || {};
  const message = error.message || `${response.status} ${response.statusText}`;
  if (response.status === 401 && error.type === "SignInRequired") requireSignIn();
  throw new ApiError(message, error.type || `HTTP${response.status}`, response.status, error);
}

export async function loadSession() {
  return setSession(await api("/api/session"));
}

export async function signIn(body) {
  return setSession(await api("/api/session", { method: "POST", body }));
}

export async function signOut() {
  await api("/api/session", { method: "DELETE", body: {} });
  return loadSession();
}

/**
 * Live updates: live({runs: "kind=saga"}, {runs(doc){}, run(doc){}, error(err){}, state(ok){}}).
 * Returns a function that closes the stream. The browser reconnects by itself;
 * state(false) says the connection dropped, state(true) that data flows again.
 */
export function live(params, handlers) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
  if (typeof EventSource === "undefined") return () => {};
  let source = null;
  let closed = false;
  let retry = null;
  let delay = 2000;
  const parse = (event) => {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  };
  const open = () => {
    source = new EventSource(`/api/live?${query}`);
    for (const name of ["runs", "run"]) {
      source.addEventListener(name, (event) => {
        const doc = parse(event);
        if (doc === null) return;
        delay = 2000;
        handlers.state?.(true);
        handlers[name]?.(doc);
      });
    }
    source.addEventListener("error", (event) => {
      if (event.data) {
        // the server's own "event: error": the server is down, the run is gone…
        const doc = parse(event) || {};
        const error = doc.error || {};
        if (error.type === "SignInRequired") requireSignIn();
        handlers.error?.(new ApiError(error.message || "Live updates failed", error.type || "Error"));
        return;
      }
      handlers.state?.(false);
      if (source.readyState === EventSource.CLOSED && !closed) {
        // the browser gives up on a non-200 answer: try again ourselves, slower each time
        clearTimeout(retry);
        retry = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      }
    });
  };
  open();
  return () => {
    closed = true;
    clearTimeout(retry);
    if (source) source.close();
  };
}
