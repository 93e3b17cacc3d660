"""A plan laid out for drawing: the dashboard's flow graph.

The plan's top-level nodes in layers, left to right (a node one layer after
the furthest node it follows; loops back are not followed), each layer
ordered to keep edges short. Scopes, loops and sub-processes are one node
each (``children`` counts what runs inside; the steps table lists it).
Routes to ``@end``/``@exit`` end at small end markers. Pure: the page draws
what this returns."""

from __future__ import annotations

from typing import Any

from ...plan.graph import edges as plan_edges
from ...plan.model import END, EXIT, NodeKind, Plan, PlanStep, walk

NODE_WIDTH, NODE_HEIGHT = 180, 56
MARKER = 36
LAYER_GAP, ROW_GAP, MARGIN = 70, 28, 24


def layout(plan: Plan) -> dict[str, Any]:
    steps = plan.steps
    links = plan_edges(steps)
    ids = [s.id for s in steps] + [m for m in (END, EXIT) if any(t == m for _, t, _ in links)]
    preds: dict[str, list[str]] = {i: [] for i in ids}
    for source, target, _ in links:
        if source in preds and target in preds and source != target:
            preds[target].append(source)
    layer = _layers(ids, preds)
    rows = _rows(ids, preds, layer)
    tallest = max((len(r) for r in rows), default=0)
    span = tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    by_id = {s.id: s for s in steps}
    nodes = []
    for depth, row in enumerate(rows):
        offset = (span - (len(row) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)) / 2
        for index, node_id in enumerate(row):
            x = MARGIN + depth * (NODE_WIDTH + LAYER_GAP)
            y = MARGIN + offset + index * (NODE_HEIGHT + ROW_GAP)
            step = by_id.get(node_id)
            if step is None:  # an end marker, centred in its slot
                nodes.append(
                    {
                        "id": node_id,
                        "name": "end" if node_id == END else "exit",
                        "kind": "end",
                        "type": None,
                        "x": x + (NODE_WIDTH - MARKER) / 2,
                        "y": y + (NODE_HEIGHT - MARKER) / 2,
                        "width": MARKER,
                        "height": MARKER,
                        "children": 0,
                    }
                )
                continue
            nodes.append(
                {
                    "id": step.id,
                    "name": step.name,
                    "kind": step.kind,
                    "type": _type(step),
                    "x": x,
                    "y": y,
                    "width": NODE_WIDTH,
                    "height": NODE_HEIGHT,
                    "children": _children(step),
                }
            )
    return {
        "nodes": nodes,
        "edges": [
            {"from": s, "to": t, "label": label}
            for s, t, label in links
            if s in preds and t in preds
        ],
        "width": MARGIN * 2 + max(len(rows), 1) * (NODE_WIDTH + LAYER_GAP) - LAYER_GAP,
        "height": MARGIN * 2 + max(span, NODE_HEIGHT),
    }


def _layers(ids: list[str], preds: dict[str, list[str]]) -> dict[str, int]:
    """Longest path from the sources, in plan order; a node in a cycle takes
    the layer its placed predecessors give it (the edge back is not followed)."""
    layer: dict[str, int] = {}
    pending = list(ids)
    while pending:
        ready = [n for n in pending if all(p in layer for p in preds[n])]
        if not ready:  # a cycle: break it at the first node still waiting, in plan order
            ready = [pending[0]]
        for node in ready:
            placed = [layer[p] for p in preds[node] if p in layer]
            layer[node] = max(placed) + 1 if placed else 0
            pending.remove(node)
    return layer


def _rows(ids: list[str], preds: dict[str, list[str]], layer: dict[str, int]) -> list[list[str]]:
    """Each layer's nodes, ordered by where their predecessors sit (then by
    plan order), so edges cross less."""
    count = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    position: dict[str, float] = {}
    order = {node: index for index, node in enumerate(ids)}
    for depth in range(count):
        members = [n for n in ids if layer[n] == depth]

        def weight(node: str) -> tuple[float, int]:
            placed = [position[p] for p in preds[node] if p in position]
            return (sum(placed) / len(placed) if placed else order[node], order[node])

        members.sort(key=weight)
        for index, node in enumerate(members):
            position[node] = index
        rows[depth] = members
    return rows


def _type(step: PlanStep) -> str | None:
    """What an action node does: its action type."""
    if step.kind != NodeKind.ACTION:
        return None
    return str(step.action.get("type") or "") or None


def _children(step: PlanStep) -> int:
    inner = sum(1 for _ in walk(step.body))
    if step.subprocess is not None:
        inner += sum(1 for _ in walk(step.subprocess.steps))
    return inner
