// What a run's status document says about one node: the display statuses
// (pending, running, completed, failed, compensated, skipped, waiting,
// cancelled) shared by the flow graph, the BPMN overlay and the timeline.

import { parseTime } from "./dom.js";

export const NODE_STATUSES = [
  ["pending", "Pending"],
  ["running", "Running"],
  ["waiting", "Waiting"],
  ["completed", "Completed"],
  ["failed", "Failed"],
  ["compensated", "Compensated"],
  ["skipped", "Skipped"],
  ["cancelled", "Cancelled"],
];

export const OPEN_RUN_STATUSES = ["RUNNING", "COMPENSATING", "PENDING"];

const GATE_WORDS = /approval|user|wait|receive|event|signal|message|timer|human/i;

/** The plan node an entry is an instance of: "loop[2]/x#3" → "x". */
export function baseNodeId(stepId) {
  const last = String(stepId).split("/").pop();
  return last.replace(/#\d+$/, "").replace(/\[\d+\]$/, "");
}

/** Every entry of status.steps that is an instance of this node. */
export function entriesFor(nodeId, status) {
  const steps = (status && status.steps) || [];
  return steps.filter((step) =>
    step.step_id === nodeId ||
    step.node_id === nodeId ||
    String(step.step_id).replace(/#\d+$/, "") === nodeId);
}

/** The latest instance: the one started last (unstarted ones count as oldest). */
export function latestEntry(nodeId, status) {
  let best = null;
  let bestTime = -Infinity;
  for (const step of entriesFor(nodeId, status)) {
    const t = parseTime(step.started_at) ?? -Infinity;
    if (best === null || t >= bestTime) {
      best = step;
      bestTime = t;
    }
  }
  return best;
}

/** Entries inside a scope/loop/sub-process node: "node/..." or "node[i]/...". */
export function innerEntries(nodeId, status) {
  const steps = (status && status.steps) || [];
  const prefix = new RegExp(`^${nodeId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\[\\d+\\]|#\\d+)?/`);
  return steps.filter((step) => prefix.test(String(step.step_id)));
}

function isGate(step, node) {
  const words = [step && step.kind, step && step.action_type, node && node.kind, node && node.type];
  return words.some((w) => w && GATE_WORDS.test(String(w)));
}

function compensated(stepId, status) {
  return ((status && status.compensations) || []).some(
    (c) => c.step_id === stepId && c.status === "COMPENSATED");
}

/** The display status of one node (or one step entry, when node is null). */
export function displayStatus(step, status, node = null) {
  if (!step) {
    if (node && (node.id === "@end" || node.id === "@exit")) {
      return status && status.status === "COMPLETED" ? "completed" : "pending";
    }
    return "pending";
  }
  if (compensated(step.step_id, status)) return "compensated";
  const own = String(step.status || "PENDING").toUpperCase();
  if (own === "RUNNING" && isGate(step, node)) {
    const waitingFor = (status && status.waiting_for) || [];
    const approvalPending = /approval|user/i.test(`${step.action_type || ""} ${node ? node.type || "" : ""}`);
    if (waitingFor.length || approvalPending) return "waiting";
  }
  const map = {
    PENDING: "pending", RUNNING: "running", COMPLETED: "completed", FAILED: "failed",
    SKIPPED: "skipped", CANCELLED: "cancelled", COMPENSATED: "compensated", WAITING: "waiting",
  };
  return map[own] || "pending";
}

export function nodeStatus(node, status) {
  return displayStatus(latestEntry(node.id, status), status, node);
}
