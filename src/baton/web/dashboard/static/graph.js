// The run's flow graph in SVG, laid out by the server (graph.nodes have x, y,
// width, height; edges go from the right side of `from` to the left of `to`).
// Each node is a focusable <g data-node-id data-status>; recolour() updates
// the statuses in place when a live update comes.

import { h, s } from "./dom.js";
import { NODE_STATUSES, nodeStatus } from "./status.js";

const END_IDS = new Set(["@end", "@exit"]);

function truncate(text, width, charPx = 7.2) {
  const max = Math.max(4, Math.floor(width / charPx));
  const str = String(text ?? "");
  return str.length > max ? `${str.slice(0, max - 1)}…` : str;
}

function isDiamond(node, outgoing) {
  const kind = String(node.kind || "").toLowerCase();
  return kind === "gateway" || kind.endsWith("gateway") ||
    (kind === "noop" && outgoing.filter((e) => e.label).length > 1);
}

function nodeShape(node, outgoing) {
  const { x, y, width: w, height: hgt } = node;
  if (END_IDS.has(node.id)) {
    const r = Math.min(w, hgt) / 2 - 2;
    return [
      s("circle", { class: "node-shape", cx: x + w / 2, cy: y + hgt / 2, r }),
      s("circle", { class: "node-end-inner", cx: x + w / 2, cy: y + hgt / 2, r: Math.max(3, r - 5) }),
    ];
  }
  if (isDiamond(node, outgoing)) {
    const cx = x + w / 2;
    const cy = y + hgt / 2;
    return [s("polygon", {
      class: "node-shape",
      points: `${cx},${y} ${x + w},${cy} ${cx},${y + hgt} ${x},${cy}`,
    })];
  }
  return [s("rect", { class: "node-shape", x, y, width: w, height: hgt, rx: 10, ry: 10 })];
}

function nodeLabels(node) {
  const { x, y, width: w, height: hgt } = node;
  const cx = x + w / 2;
  if (END_IDS.has(node.id)) {
    return [s("text", { class: "node-sub", x: cx, y: y + hgt + 14, "text-anchor": "middle" }, node.id)];
  }
  const sub = [node.kind, node.type].filter(Boolean).join(" · ");
  const labels = [
    s("text", { class: "node-name", x: cx, y: y + hgt / 2 - (sub ? 3 : -4), "text-anchor": "middle" },
      truncate(node.name || node.id, w - 14, 8)),
  ];
  if (sub) {
    labels.push(s("text", { class: "node-sub", x: cx, y: y + hgt / 2 + 13, "text-anchor": "middle" },
      truncate(sub, w - 12, 6.2)));
  }
  if (node.children > 0) {
    labels.push(s("text", { class: "node-children", x: x + w - 8, y: y + 14, "text-anchor": "end" },
      `${node.children} inside`));
  }
  return labels;
}

function edgePath(from, to) {
  const x1 = from.x + from.width;
  const y1 = from.y + from.height / 2;
  const x2 = to.x;
  const y2 = to.y + to.height / 2;
  if (x2 > x1 + 10) {
    const dx = Math.max(30, (x2 - x1) / 2);
    return { d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`, mx: (x1 + x2) / 2, my: (y1 + y2) / 2 };
  }
  // a back edge (a cycle): loop below both nodes
  const below = Math.max(from.y + from.height, to.y + to.height) + 36;
  return {
    d: `M${x1},${y1} C${x1 + 60},${y1} ${x1 + 60},${below} ${(x1 + x2) / 2},${below} ` +
       `S${x2 - 60},${y2} ${x2},${y2}`,
    mx: (x1 + x2) / 2,
    my: below,
  };
}

function drawEdge(edge, byId) {
  const from = byId.get(edge.from);
  const to = byId.get(edge.to);
  if (!from || !to) return null;
  const { d, mx, my } = edgePath(from, to);
  const group = s("g", { class: "edge", "data-from": edge.from, "data-to": edge.to },
    s("path", { d, "marker-end": "url(#arrow)" }));
  if (edge.label) {
    const text = truncate(edge.label, 160, 6.2);
    const width = text.length * 6.2 + 8;
    group.append(
      s("rect", { class: "edge-label-bg", x: mx - width / 2, y: my - 10, width, height: 16, rx: 3 }),
      s("text", { class: "edge-label", x: mx, y: my + 2, "text-anchor": "middle" }, text, s("title", {}, edge.label)));
  }
  return group;
}

function drawNode(node, outgoing, status, onSelect) {
  const current = nodeStatus(node, status);
  const group = s("g", {
    class: `node st-${current}`,
    "data-node-id": node.id,
    "data-status": current,
    tabindex: "0",
    role: "button",
    "aria-label": `${node.name || node.id}: ${current}`,
  }, s("title", {}, `${node.name || node.id} (${node.id}) — ${current}`),
  ...nodeShape(node, outgoing), ...nodeLabels(node));
  group.addEventListener("click", () => onSelect(node.id));
  group.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onSelect(node.id);
    }
  });
  return group;
}

/** The graph as an <svg> in a scrolling box. onSelect(nodeId) on click/Enter. */
export function drawGraph(graph, status, onSelect) {
  const nodes = graph.nodes || [];
  const edges = graph.edges || [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const width = graph.width || Math.max(...nodes.map((n) => n.x + n.width), 200) + 40;
  const height = (graph.height || Math.max(...nodes.map((n) => n.y + n.height), 100) + 20) + 40;
  const svgEl = s("svg", {
    class: "flow-graph", viewBox: `0 0 ${width} ${height}`, width, height,
    role: "group", "aria-label": "Flow graph of the run",
  },
  s("defs", {}, s("marker", {
    id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7",
    orient: "auto-start-reverse",
  }, s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }))),
  s("g", { class: "edges" }, edges.map((e) => drawEdge(e, byId))),
  s("g", { class: "nodes" }, nodes.map((n) => drawNode(n, edges.filter((e) => e.from === n.id), status, onSelect))));
  return h("div", { class: "graph-scroll" }, svgEl);
}

/** Update each node's colour from a new status document. */
export function recolour(container, graph, status) {
  for (const node of graph.nodes || []) {
    const el = container.querySelector(`[data-node-id="${CSS.escape(node.id)}"]`);
    if (!el) continue;
    const current = nodeStatus(node, status);
    if (el.dataset.status === current) continue;
    el.setAttribute("class", `node st-${current}`);
    el.dataset.status = current;
    el.setAttribute("aria-label", `${node.name || node.id}: ${current}`);
    const title = el.querySelector("title");
    if (title) title.textContent = `${node.name || node.id} (${node.id}) — ${current}`;
  }
}

export function legend() {
  return h("ul", { class: "legend", "aria-label": "Status colours" },
    NODE_STATUSES.map(([key, label]) => h("li", {}, h("span", { class: `swatch st-${key}` }), label)));
}
