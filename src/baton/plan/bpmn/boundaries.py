"""Boundary events on the plan: an error or cancel boundary event catches
its activity's failure; a compensation boundary event names (by an
association) the activity that undoes its activity; the others are
triggers of the activity, interrupting or not."""

from __future__ import annotations

from dataclasses import replace

from ...definitions.bpmn import FlowNode
from ..model import Catch, Join, PlanStep
from .events import BOUNDARY, CANCEL_TYPE, ERROR_TYPE, UNDO_KINDS, Events


class Boundaries(Events):
    """Boundary events and compensation handlers (mixed into the compiler)."""

    def undoes_its_scope(self, node: FlowNode) -> bool:
        """An event sub-process whose start event is a compensation one."""
        if not self.is_event_subprocess(node):
            return False
        starts = [n for n in node.nodes.values() if n.kind == "startEvent"]
        return any(s.events == ["compensateEventDefinition"] for s in starts)

    @staticmethod
    def is_compensation(node: FlowNode) -> bool:
        """A compensation handler (``isForCompensation``) or the boundary
        event that names it: neither is part of the flow."""
        if node.attributes.get("isForCompensation") == "true":
            return True
        return node.kind == "boundaryEvent" and node.events == ["compensateEventDefinition"]

    def compensations(self, nodes: dict[str, FlowNode], steps: dict[str, PlanStep]) -> None:
        """A compensation boundary event's handler (the activity its
        association leads to) undoes the activity it is attached to — when
        a compensation throw event in its scope asks, when its transaction
        is cancelled or fails, and when the run fails or is cancelled."""
        for node in nodes.values():
            if node.kind != "boundaryEvent" or node.events != ["compensateEventDefinition"]:
                continue
            targets = [t for t in self.associations.get(node.id, []) if t in nodes]
            handlers = [nodes[t] for t in targets if self.is_compensation(nodes[t])]
            if len(handlers) != 1:
                self.refuse(
                    node,
                    "a compensation boundary event needs one association to an activity "
                    f"marked isForCompensation (it has {len(handlers)})",
                )
                continue
            activity = steps.get(node.attached_to or "")
            if activity is None:
                continue
            handler = self.node(
                replace(
                    handlers[0],
                    attributes={
                        k: v for k, v in handlers[0].attributes.items() if k != "isForCompensation"
                    },
                ),
                False,
            )
            if handler.kind not in UNDO_KINDS:
                self.refuse(
                    handlers[0],
                    "a compensation handler is a task, script task or service task here "
                    f"(not a {handlers[0].kind})",
                )
                continue
            activity.undo_with = handler

    def boundaries(self, nodes: dict[str, FlowNode], steps: dict[str, PlanStep]) -> None:
        """Boundary events: an error one catches its activity's error (of its
        code; without one, any error), a cancel one its transaction's cancel;
        the others are triggers of the activity. Either way the token leaves
        by the boundary event's flows."""
        caught: dict[str, list[Catch]] = {}
        for node in nodes.values():
            if node.kind != "boundaryEvent" or node.attached_to not in steps:
                continue
            if len(node.events) != 1 or node.events[0] not in BOUNDARY:
                continue  # refused as a node
            activity = steps[node.attached_to]
            boundary = steps[node.id]
            if activity.id not in boundary.after:
                boundary.after.append(activity.id)
            interrupting = node.attributes.get("cancelActivity", "true") != "false"
            definition = node.events[0]
            if definition == "signalEventDefinition" and self.thrown_by_instances(
                nodes[node.attached_to], node
            ):
                interrupting = False  # a multi-instance behavior's events never interrupt it
            boundary.join = Join.ANY if interrupting else Join.EACH
            if definition in ("errorEventDefinition", "cancelEventDefinition"):
                if not interrupting:
                    self.refuse(node, f"a boundary event with {definition} always interrupts")
                    continue
                if definition == "cancelEventDefinition":
                    if nodes[node.attached_to].kind != "transaction":
                        self.refuse(node, "a cancel boundary event belongs on a transaction")
                        continue
                    catch = Catch(type=CANCEL_TYPE, to=node.id)
                else:
                    code = self.error_code(node)
                    catch = Catch(type=ERROR_TYPE + code if code else None, to=node.id)
                caught.setdefault(activity.id, []).append(catch)
                continue
            trigger = self.trigger(node, node.id, interrupting)
            if trigger is not None:
                activity.triggers.append(trigger)
        for activity_id, catches in caught.items():
            # the errors of a code before any error
            steps[activity_id].catch = sorted(catches, key=lambda c: c.type is None)

    def thrown_by_instances(self, activity: FlowNode, boundary: FlowNode) -> bool:
        """Whether ``boundary`` catches the signal ``activity``'s instances throw."""
        spec = activity.loop_attributes
        ref = spec.get("noneBehaviorEventRef") or spec.get("oneBehaviorEventRef")
        kind, fields = self.model.event_definitions.get(ref or "", ("", {}))
        mine = boundary.event_fields.get("signalEventDefinition", {})
        return kind == "signalEventDefinition" and fields.get("signalRef") == mine.get("signalRef")
