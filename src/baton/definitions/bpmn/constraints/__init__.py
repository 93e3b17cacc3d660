"""BPMN 2.0's own rules, checked on the parsed XML before Baton reads the
model: each issue names the element (``line 12, sequenceFlow 'Flow_3'``)
and the rule by its id in the catalogue of BPMN 2.0 constraints that
BPMNspector and betsy use (``EXT.023``; ``REF`` for a reference to an
element of the wrong kind). What Baton runs is decided later, by the
compiler; these checks refuse only what BPMN itself forbids. The
constraints not checked, and why, are listed in docs/bpmn.md.

One module per concern: ``references`` (ids, references),
``sequence_flows``, ``collaborations`` (message flows, pools,
choreographies), ``events``, ``gateways``, ``activities``, ``data`` and
``values`` (formats, URIs, timers, expressions, what definitions hold);
``_index`` is the document they share."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ....errors import Issue
from . import activities, collaborations, data, events, gateways, references, sequence_flows, values
from ._index import Document, Element

Check = Callable[[Document], Iterator[Issue]]

# after references.check_ids, which check_constraints runs first
CHECKS: tuple[Check, ...] = (
    references.check_references,
    references.check_scopes,
    sequence_flows.check_flow_ends,
    sequence_flows.check_listed_flows,
    sequence_flows.check_event_flows,
    sequence_flows.check_conditional_flows,
    sequence_flows.check_default_flows,
    sequence_flows.check_levels,
    collaborations.check_message_flows,
    collaborations.check_collaborations,
    events.check_definitions,
    events.check_event_sub_processes,
    events.check_cancel_events,
    events.check_executable_events,
    events.check_links,
    events.check_shared_definitions,
    events.check_compensation,
    events.check_called_processes,
    gateways.check_directions,
    gateways.check_event_based,
    activities.check_contents,
    activities.check_activity_attributes,
    activities.check_resource_roles,
    activities.check_messages,
    activities.check_multi_instance,
    activities.check_calls,
    data.check_collections,
    data.check_sets,
    data.check_associations,
    data.check_event_data,
    values.check_formats,
    values.check_expression_bodies,
    values.check_conditions,
    values.check_timers,
    values.check_root_elements,
)


# rules about what the model says twice or only describes — flows listed
# again as a node's incoming/outgoing, data input and output sets, an
# ioSpecification on a sub-process, a public process marked executable,
# message flows of a diagram, a message flow's message: modelling tools
# export models that break them, and they do not change what runs, so a
# model that breaks only these runs with warnings
ADVISORY = ("EXT.023", "EXT.035", "EXT.079", "EXT.084", "EXT.088", "EXT.119")


def advisory(issue: Issue) -> bool:
    """Whether ``issue`` is a warning rather than a reason to refuse."""
    rule = issue.message.split(":", 1)[0]
    return rule in ADVISORY or (rule == "REF" and "its messageRef" in issue.message)


def check_constraints(root: Element) -> list[Issue]:
    """Every violation of a checked BPMN constraint in the document whose
    root (``definitions``) is given, in document order."""
    doc = Document(root)
    ids = list(references.check_ids(doc))
    if any(i.message.startswith("EXT.002") for i in ids):
        return ids  # with an id used twice no reference can be resolved: these come first
    found = ids + [found for check in CHECKS for found in check(doc)]
    return sorted(found, key=lambda i: _line_of(i.path))


def _line_of(path: str) -> int:
    head = path.split(",", 1)[0].removeprefix("line ")
    return int(head) if head.isdigit() else 0


__all__ = ["CHECKS", "check_constraints"]
