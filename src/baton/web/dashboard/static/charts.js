// Charts in SVG for the operations page: horizontal bar charts (one or more
// series per row) and the discovered process map (a layered graph).

import { h, s, empty } from "./dom.js";

const ROW = 22;
const GAP = 6;

function short(text, max) {
  const str = String(text ?? "");
  return str.length > max ? `${str.slice(0, max - 1)}…` : str;
}

/**
 * barChart({title, rows: [{label, values: [number|null…]}], series: [{name, cls}],
 *           format: (v) => string, max})
 * One group of bars per row, one bar per series.
 */
export function barChart({ title, rows, series = [{ name: "", cls: "series-0" }], format = String, max, width, labelWidth = 170 }) {
  // fit a phone's width: narrower chart, narrower label column
  width = width || Math.max(300, Math.min(560, window.innerWidth - 60));
  labelWidth = Math.min(labelWidth, Math.round(width * 0.36));
  const usable = rows.filter((r) => r.values.some((v) => v !== null && v !== undefined));
  if (!usable.length) return h("figure", { class: "chart" }, h("figcaption", {}, title), empty("No data."));
  const top = max ?? (Math.max(...usable.flatMap((r) => r.values.map((v) => Number(v) || 0)), 0) || 1);
  const plot = width - labelWidth - 70;
  const groupHeight = series.length * ROW + GAP;
  const height = usable.length * groupHeight + 8;
  const groups = usable.map((row, i) => {
    const y0 = 4 + i * groupHeight;
    return s("g", { class: "chart-row" },
      s("text", { class: "chart-label", x: labelWidth - 8, y: y0 + (series.length * ROW) / 2 + 4, "text-anchor": "end" },
        short(row.label, Math.floor((labelWidth - 10) / 7)), s("title", {}, row.label)),
      row.values.map((value, j) => {
        const y = y0 + j * ROW;
        const missing = value === null || value === undefined;
        const w = missing ? 0 : Math.max(1, (Number(value) / top) * plot);
        const label = missing ? "—" : format(value);
        const name = series[j].name ? `${series[j].name}: ` : "";
        return s("g", {},
          s("rect", { class: `chart-bar ${series[j].cls}`, x: labelWidth, y: y + 3, width: w, height: ROW - 6, rx: 2 },
            s("title", {}, `${row.label} — ${name}${label}`)),
          s("text", { class: "chart-value", x: labelWidth + w + 5, y: y + ROW / 2 + 4 }, label));
      }));
  });
  const legend = series.length > 1
    ? h("ul", { class: "legend chart-legend" }, series.map((ser) => h("li", {}, h("span", { class: `swatch ${ser.cls}` }), ser.name)))
    : null;
  return h("figure", { class: "chart" },
    h("figcaption", {}, title),
    legend,
    h("div", { class: "graph-scroll" },
      s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title }, groups)));
}

// ---- process map ------------------------------------------------------------------

const START = "▶";
const END = "■";

/** Layers by longest path from the start, back edges (cycles) left out. */
function layers(nodes, edges) {
  const ids = [START, ...nodes.filter((n) => n !== START && n !== END), END].filter(
    (id) => id === START || id === END ? edges.some((e) => e.from === id || e.to === id) : true);
  const out = new Map(ids.map((id) => [id, []]));
  for (const e of edges) if (out.has(e.from) && out.has(e.to) && e.from !== e.to) out.get(e.from).push(e.to);
  // depth-first order to find back edges
  const state = new Map();
  const back = new Set();
  const visit = (id) => {
    state.set(id, 1);
    for (const next of out.get(id) || []) {
      if (state.get(next) === 1) back.add(`${id}\u0000${next}`);
      else if (!state.has(next)) visit(next);
    }
    state.set(id, 2);
  };
  for (const id of ids) if (!state.has(id)) visit(id);
  const level = new Map(ids.map((id) => [id, 0]));
  for (let pass = 0; pass < ids.length; pass++) {
    let changed = false;
    for (const [from, targets] of out) {
      for (const to of targets) {
        if (back.has(`${from}\u0000${to}`)) continue;
        if (level.get(to) < level.get(from) + 1) {
          level.set(to, level.get(from) + 1);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  if (level.has(END)) level.set(END, Math.max(...level.values()));
  return { ids, level, back };
}

export function processMap(map) {
  const nodes = (map && map.nodes) || [];
  const edges = (map && map.edges) || [];
  if (!nodes.length) return empty("No steps ran in this window.");
  const counts = new Map(nodes.map((n) => [n.step ?? n.id ?? n.name, n.count]));
  const { ids, level, back } = layers([...counts.keys()], edges);
  const W = 150;
  const H = 44;
  const colGap = 70;
  const rowGap = 22;
  const columns = new Map();
  for (const id of ids) {
    const col = level.get(id);
    if (!columns.has(col)) columns.set(col, []);
    columns.get(col).push(id);
  }
  const pos = new Map();
  let maxRows = 0;
  for (const [col, list] of columns) {
    maxRows = Math.max(maxRows, list.length);
    list.forEach((id, row) => pos.set(id, { x: 20 + col * (W + colGap), y: 20 + row * (H + rowGap) }));
  }
  const width = 40 + columns.size * (W + colGap);
  const height = 60 + maxRows * (H + rowGap);
  const maxCount = Math.max(1, ...edges.map((e) => e.count || 0));
  const edgeEls = edges.map((e) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) return null;
    const isBack = back.has(`${e.from}\u0000${e.to}`) || b.x <= a.x;
    const x1 = a.x + (e.from === START ? 18 : W);
    const y1 = a.y + H / 2;
    const x2 = b.x;
    const y2 = b.y + H / 2;
    let d;
    let mx;
    let my;
    if (!isBack) {
      const dx = Math.max(25, (x2 - x1) / 2);
      d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
      mx = (x1 + x2) / 2;
      my = (y1 + y2) / 2 - 4;
    } else {
      const low = Math.max(a.y, b.y) + H + 14;
      d = `M${a.x + W / 2},${a.y + H} C${a.x + W / 2},${low} ${b.x + W / 2},${low} ${b.x + W / 2},${b.y + H}`;
      mx = (a.x + b.x + W) / 2;
      my = low;
    }
    const stroke = 1 + (4 * (e.count || 0)) / maxCount;
    const gap = e.mean_gap_seconds != null ? `, mean wait ${e.mean_gap_seconds}s` : "";
    return s("g", { class: "pm-edge" },
      s("path", { d, "stroke-width": stroke, "marker-end": "url(#pm-arrow)" },
        s("title", {}, `${e.from} → ${e.to}: ${e.count}×${gap}`)),
      s("text", { x: mx, y: my, "text-anchor": "middle", class: "pm-count" }, String(e.count ?? "")));
  });
  const nodeEls = ids.map((id) => {
    const p = pos.get(id);
    if (id === START || id === END) {
      return s("g", { class: "pm-node pm-terminal" },
        s("circle", { cx: p.x + (id === START ? 9 : 9), cy: p.y + H / 2, r: 9 }),
        s("text", { x: p.x + 9, y: p.y + H / 2 + 24, "text-anchor": "middle", class: "pm-sub" }, id === START ? "start" : "end"));
    }
    return s("g", { class: "pm-node" },
      s("rect", { x: p.x, y: p.y, width: W, height: H, rx: 8 }),
      s("text", { x: p.x + W / 2, y: p.y + 19, "text-anchor": "middle", class: "pm-name" }, short(id, 20), s("title", {}, id)),
      s("text", { x: p.x + W / 2, y: p.y + 35, "text-anchor": "middle", class: "pm-sub" }, `${counts.get(id) ?? 0}×`));
  });
  return h("div", { class: "graph-scroll" },
    s("svg", { class: "process-map", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": "Discovered process map" },
      s("defs", {}, s("marker", { id: "pm-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "9", markerHeight: "9", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
        s("path", { d: "M0,0 L10,5 L0,10 z" }))),
      edgeEls, nodeEls));
}
