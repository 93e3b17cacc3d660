// The run's timeline (a Gantt chart) in SVG: one bar per step entry from
// started_at to completed_at (a running one: until now), then a bar per
// compensation, coloured by status, over a time axis.

import { h, s, parseTime, fmtDuration, fmtTime, empty } from "./dom.js";
import { displayStatus } from "./status.js";

const ROW = 24;
const LABEL = 200;
const AXIS = 28;

function rows(status) {
  const now = Date.now();
  const list = [];
  for (const step of status.steps || []) {
    const start = parseTime(step.started_at);
    if (start === null) continue;
    const end = parseTime(step.completed_at) ?? now;
    list.push({ label: step.step_id, title: step.name || step.step_id, start, end, open: !step.completed_at,
      status: displayStatus(step, { ...status, compensations: [] }) });
  }
  for (const comp of status.compensations || []) {
    const start = parseTime(comp.started_at);
    if (start === null) continue;
    const end = parseTime(comp.completed_at) ?? now;
    const st = comp.status === "COMPENSATED" ? "compensated" : comp.status === "FAILED" ? "failed" : "running";
    list.push({ label: `↺ ${comp.step_id}`, title: `undo ${comp.step_id}`, start, end, open: !comp.completed_at, status: st });
  }
  return list;
}

function ticks(t0, t1, count) {
  const span = Math.max(1, t1 - t0);
  return Array.from({ length: count + 1 }, (_, i) => t0 + (span * i) / count);
}

function tickLabel(t, t0, span) {
  if (span < 120000) return `+${fmtDuration((t - t0) / 1000)}`;
  const local = fmtTime(new Date(t).toISOString()); // "YYYY-MM-DD HH:MM:SS"
  if (span > 86400000) return local.slice(5, 16); // "MM-DD HH:MM"
  return span > 3600000 ? local.slice(11, 16) : local.slice(11, 19);
}

export function drawTimeline(status, width = 900) {
  const list = rows(status);
  if (!list.length) return empty("No step has started yet.");
  const t0 = Math.min(...list.map((r) => r.start));
  const t1 = Math.max(...list.map((r) => r.end), t0 + 1000);
  const span = t1 - t0;
  const plot = Math.max(200, width - LABEL - 20);
  const x = (t) => LABEL + ((t - t0) / span) * plot;
  const height = AXIS + list.length * ROW + 8;
  const marks = ticks(t0, t1, 5);
  const anchor = (i) => (i === 0 ? "start" : i === marks.length - 1 ? "end" : "middle");
  const axis = s("g", { class: "axis" }, marks.map((t, i) => s("g", {},
    s("line", { x1: x(t), x2: x(t), y1: AXIS - 6, y2: height, class: "grid" }),
    s("text", { x: x(t), y: AXIS - 10, "text-anchor": anchor(i) }, tickLabel(t, t0, span)))));
  const bars = list.map((r, i) => {
    const y = AXIS + i * ROW;
    const w = Math.max(3, x(r.end) - x(r.start));
    const took = fmtDuration((r.end - r.start) / 1000);
    return s("g", { class: `bar st-${r.status}`, "data-status": r.status },
      s("text", { class: "bar-label", x: LABEL - 8, y: y + 16, "text-anchor": "end" },
        r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label),
      s("rect", { class: "bar-shape", x: x(r.start), y: y + 4, width: w, height: ROW - 8, rx: 3 },
        s("title", {}, `${r.title}: ${r.status}, ${took}${r.open ? " so far" : ""}`)));
  });
  return h("div", { class: "graph-scroll" },
    s("svg", { class: "timeline", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
      "aria-label": `Timeline of ${list.length} step entries over ${fmtDuration(span / 1000)}` },
    axis, ...bars));
}
