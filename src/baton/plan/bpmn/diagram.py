"""The model's diagram kept in its plan (``PlanOptions.diagram``): whoever
reads a run — the dashboard — can draw the model as it was modelled and
mark each element with its node's status. Data only: the interpreter never
reads it, so it changes nothing a run does.

Every plan node that stands for a BPMN element has that element's id,
except the nodes the compiler adds; their ids are an element's id and a
suffix (BPMN ids are XML names, which never hold ``/`` or ``>``):

- ``<gateway>><event>``: an event-based gateway's wait for one of its
  events (the element is the event);
- ``<activity>/run``: each run of a looped or multi-instance activity;
  ``<activity>/element`` and ``<activity>/event``: a multi-instance
  activity's output element and its behavior event;
- ``<event>/<n>``: the n-th definition of a throw event with several;
  ``<event>/tick``: each firing of a timer-cycle catch event;
  ``<event>/start:<process>``: the run a message or signal throw starts;
- ``<scope>/main`` and ``<scope>/start``: the flow of a process or
  sub-process that has event sub-processes, and the process's input.

So the element is the part before the first ``/``, after its last ``>``.
Sequence flows are not nodes (they are the nodes' edges) and a
compensation boundary event is not one either (its handler is the
activity's ``undo_with``, with the handler's id).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...definitions.bpmn import FlowNode, Model
from ..model import MAX_DIAGRAM_BYTES, Plan, PlanStep


def keep_diagram(plan: Plan, model: Model, xml: str, source: str) -> None:
    """Keep ``xml`` (the model's text) as the plan's diagram when the model
    has diagram information and is at most :data:`MAX_DIAGRAM_BYTES`; a
    larger one is not kept, with a warning."""
    if not model.has_diagram:
        return
    size = len(xml.encode("utf-8"))
    if size > MAX_DIAGRAM_BYTES:
        plan.options.warnings.append(
            f"{source}: the model is {size:,} bytes, more than the {MAX_DIAGRAM_BYTES:,} "
            "a run keeps of its diagram: the run does not keep it (the dashboard draws "
            "the plan's graph instead)"
        )
        return
    plan.options.diagram = xml
    plan.options.diagram_ids = diagram_ids(plan, model)


def diagram_ids(plan: Plan, model: Model) -> dict[str, str]:
    """Node id -> the id of the element it stands for, for the nodes whose
    ids differ (a called process's nodes are its own run's, not these)."""
    elements = set(_element_ids(model))
    found: dict[str, str] = {}
    for step in _nodes(plan.steps):
        if step.id in elements:
            continue
        element = element_of(step.id)
        if element in elements:
            found[step.id] = element
    return found


def element_of(node_id: str) -> str:
    """The id of the element a node stands for, by the rule above."""
    return node_id.split("/", 1)[0].rsplit(">", 1)[-1]


def _nodes(steps: list[PlanStep]) -> Iterator[PlanStep]:
    for step in steps:
        yield step
        yield from _nodes(step.body)
        if step.undo_with is not None:
            yield from _nodes([step.undo_with])


def _element_ids(model: Model) -> Iterator[str]:
    for process in model.processes:
        yield process.id
        yield from _flow_node_ids(process.nodes)


def _flow_node_ids(nodes: dict[str, FlowNode]) -> Iterator[str]:
    for node_id, node in nodes.items():
        yield node_id
        yield from _flow_node_ids(node.nodes)
