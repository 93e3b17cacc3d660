// BPMN diagrams with bpmn-js, loaded only when a run has a diagram. If the
// vendor bundle is missing (404) the caller falls back to the SVG graph.

import { h } from "./dom.js";
import { NODE_STATUSES, latestEntry, displayStatus } from "./status.js";

const BUNDLE = "/static/vendor/bpmn-navigated-viewer.production.min.js";
const STYLES = ["/static/vendor/diagram-js.css", "/static/vendor/bpmn-js.css"];
let loading = null;

/** Resolves to window.BpmnJS, or null when the bundle cannot be loaded. */
export function loadBpmnJs() {
  if (window.BpmnJS) return Promise.resolve(window.BpmnJS);
  if (!loading) {
    for (const href of STYLES) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.append(link);
    }
    loading = new Promise((resolve) => {
      const script = document.createElement("script");
      script.src = BUNDLE;
      script.async = true;
      script.addEventListener("load", () => resolve(window.BpmnJS || null));
      script.addEventListener("error", () => {
        script.remove();
        resolve(null);
      });
      document.head.append(script);
    });
  }
  return loading;
}

const SKIP_TYPES = /SequenceFlow|MessageFlow|Association|Process|Collaboration|Participant|Lane|label|TextAnnotation|Group|DataInput|DataOutput/;

function overlayFor(id, current, onSelect) {
  const el = h("button", {
    type: "button",
    class: `bpmn-status st-${current}`,
    "data-node-id": id,
    "data-status": current,
    title: `${id}: ${current}`,
    "aria-label": `${id}: ${current}`,
  });
  el.addEventListener("click", () => onSelect(id));
  return el;
}

/**
 * Draw the diagram into container; returns {update(status)} or null when
 * bpmn-js is not there or the XML does not import.
 */
export async function drawBpmn(container, xml, status, onSelect) {
  const BpmnJS = await loadBpmnJs();
  if (!BpmnJS) return null;
  const viewer = new BpmnJS({ container });
  try {
    await viewer.importXML(xml);
  } catch (err) {
    viewer.destroy();
    console.warn("BPMN diagram could not be drawn:", err);
    return null;
  }
  const canvas = viewer.get("canvas");
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport");
  const elements = registry.filter((e) => !SKIP_TYPES.test(e.type) && e.type !== "label");
  const shown = new Map(); // element id → {status, overlay element}
  const markers = NODE_STATUSES.map(([key]) => `baton-status-${key}`);

  const update = (doc) => {
    for (const element of elements) {
      const step = latestEntry(element.id, doc);
      const current = displayStatus(step, doc, { id: element.id, type: element.type });
      const before = shown.get(element.id);
      if (before && before.status === current) continue;
      for (const m of markers) canvas.removeMarker(element.id, m);
      canvas.addMarker(element.id, `baton-status-${current}`);
      if (before) {
        before.el.className = `bpmn-status st-${current}`;
        before.el.dataset.status = current;
        before.el.title = `${element.id}: ${current}`;
        before.el.setAttribute("aria-label", `${element.id}: ${current}`);
        before.status = current;
      } else {
        const el = overlayFor(element.id, current, onSelect);
        overlays.add(element.id, "baton-status", { position: { top: -8, right: 8 }, html: el });
        shown.set(element.id, { status: current, el });
      }
    }
  };
  update(status);
  viewer.get("eventBus").on("element.click", (event) => {
    if (shown.has(event.element.id)) onSelect(event.element.id);
  });
  return { update, destroy: () => viewer.destroy() };
}
