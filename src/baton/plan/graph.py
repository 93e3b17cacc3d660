"""A plan drawn as a graph: Mermaid (``flowchart``) or Graphviz ``dot``.
Nodes are the plan's nodes (scopes and loops as subgraphs), edges its
``after`` lists, labelled with a route's condition when the edge is a route,
and ``@exit``/``@end`` routes drawn to end markers. Pure: ``baton graph`` and
(later) the dashboard draw from it."""

from __future__ import annotations

import json
import re

from .model import END, EXIT, START, NodeKind, Plan, PlanStep

FORMATS = ("mermaid", "dot")
SHAPES = {  # mermaid
    NodeKind.NOOP: ("{", "}"),
    NodeKind.WAIT: ("([", "])"),
    NodeKind.RAISE: ("[/", "/]"),
    NodeKind.SUBPROCESS: ("[[", "]]"),
}


def render(plan: Plan, fmt: str = "mermaid") -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return _Mermaid(plan).text() if fmt == "mermaid" else _Dot(plan).text()


def _label(step: PlanStep) -> str:
    what = step.action.get("type") if step.kind == NodeKind.ACTION else step.kind
    return f"{step.name} ({what})" if what else step.name


def edges(steps: list[PlanStep]) -> list[tuple[str, str, str]]:
    """(from, to, label) inside one scope."""
    conditions: dict[tuple[str, str], list[str]] = {}
    for step in steps:
        for route in step.routes:
            if len(step.routes) > 1 or route.when is not None:
                label = route.when.source if route.when else "otherwise"
                conditions.setdefault((step.id, route.to), []).append(label)
    edges = []
    for step in steps:
        for before in step.after:
            if before != START:
                edges.append((before, step.id, " / ".join(conditions.get((before, step.id), []))))
        for route in step.routes:
            if route.to in (EXIT, END):
                labels = conditions.get((step.id, route.to), [])
                edges.append((step.id, route.to, " / ".join(labels)))
        for catch in step.catch:
            if catch.to:
                edges.append((step.id, catch.to, f"error {catch.type or ''}".strip()))
    return [e for i, e in enumerate(edges) if e not in edges[:i]]


class _Mermaid:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.ids: dict[str, str] = {}
        self.lines = ["flowchart TD"]
        self.markers: set[str] = set()

    def node_id(self, key: str) -> str:
        if key not in self.ids:
            self.ids[key] = f"n{len(self.ids)}"
        return self.ids[key]

    def text(self) -> str:
        self.scope(self.plan.steps, "  ", "")
        return "\n".join(self.lines) + "\n"

    def scope(self, steps: list[PlanStep], indent: str, owner: str) -> None:
        for step in steps:
            nid = self.node_id(step.id)
            if step.body:
                self.lines.append(f"{indent}subgraph {nid}[{_quote(_label(step))}]")
                self.scope(step.body, indent + "  ", step.id)
                self.lines.append(f"{indent}end")
            else:
                opening, closing = SHAPES.get(step.kind, ("[", "]"))
                self.lines.append(f"{indent}{nid}{opening}{_quote(_label(step))}{closing}")
        for source, target, label in edges(steps):
            if target in (EXIT, END):
                marker = self.node_id(f"{owner}{target}")
                if marker not in self.markers:
                    self.markers.add(marker)
                    self.lines.append(f"{indent}{marker}(({'exit' if target == EXIT else 'end'}))")
                target_id = marker
            else:
                target_id = self.node_id(target)
            arrow = f"-- {_quote(label)} -->" if label else "-->"
            self.lines.append(f"{indent}{self.node_id(source)} {arrow} {target_id}")


class _Dot:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.lines = ["digraph plan {", "  node [shape=box];"]
        self.clusters = 0
        self.markers: set[str] = set()

    def text(self) -> str:
        self.scope(self.plan.steps, "  ", "")
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def scope(self, steps: list[PlanStep], indent: str, owner: str) -> None:
        for step in steps:
            if step.body:
                self.clusters += 1
                self.lines.append(f"{indent}subgraph cluster_{self.clusters} {{")
                self.lines.append(f"{indent}  label={json.dumps(_label(step))};")
                self.scope(step.body, indent + "  ", step.id)
                self.lines.append(f"{indent}}}")
            else:
                shape = {"noop": "diamond", "wait": "ellipse", "subprocess": "box3d"}.get(
                    step.kind, "box"
                )
                self.lines.append(
                    f"{indent}{json.dumps(step.id)} [label={json.dumps(_label(step))}, shape={shape}];"
                )
        for source, target, label in edges(steps):
            if target in (EXIT, END):
                marker = f"{owner}{target}"
                if marker not in self.markers:
                    self.markers.add(marker)
                    self.lines.append(
                        f"{indent}{json.dumps(marker)} [label={json.dumps(target[1:])}, shape=doublecircle];"
                    )
                target = marker
            extra = f" [label={json.dumps(label)}]" if label else ""
            self.lines.append(f"{indent}{json.dumps(source)} -> {json.dumps(target)}{extra};")


def _quote(text: str) -> str:
    """Mermaid label text: quoted, with quotes and brackets made harmless."""
    return '"' + re.sub(r'["\n]', "'", text).replace("#", "&#35;") + '"'
