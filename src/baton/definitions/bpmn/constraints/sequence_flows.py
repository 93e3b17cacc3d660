"""Sequence flows: what a flow may connect (flow nodes of its own process
or sub-process, never an artifact or an event sub-process), the
``incoming``/``outgoing`` lists that mirror the flows, the flows each
kind of event needs or must not have, default and conditional flows out
of activities, and the rule that once a level has a start (end) event
every activity and gateway there has an incoming (outgoing) flow."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Issue
from ._index import (
    ACTIVITIES,
    ARTIFACTS,
    BOUNDARY,
    CATCH,
    END,
    FLOW_NODES,
    GATEWAYS,
    START,
    SUB_PROCESSES,
    THROW,
    Document,
    Element,
    a,
    children,
    describe,
    flag,
    issue,
    local,
    texts,
)


def check_flow_ends(doc: Document) -> Iterator[Issue]:
    """A sequence flow's sourceRef and targetRef name flow nodes of the
    flow's own process (EXT.028) and sub-process (EXT.152); never an
    artifact (EXT.006, EXT.007) nor an event sub-process (EXT.021, EXT.022,
    EXT.057)."""
    for flow in doc.flows:
        for field, artifact, event_sub in (
            ("sourceRef", "EXT.007", "EXT.021/EXT.057"),
            ("targetRef", "EXT.006", "EXT.022/EXT.057"),
        ):
            ident = doc.ref_id(flow, flow.get(field))
            if ident is None:
                raw = (flow.get(field) or "").strip()
                yield issue(
                    flow,
                    "REF",
                    f"its {field} {raw!r} names an element of another document"
                    if raw
                    else f"a sequence flow needs a {field}",
                )
                continue
            node = doc.by_id.get(ident)
            if node is None:
                yield issue(flow, "REF", f"its {field} {ident!r} names nothing in the model")
            elif local(node) in ARTIFACTS:
                yield issue(
                    flow,
                    artifact,
                    f"an artifact cannot be the {field} of a sequence flow (is {describe(node)})",
                )
            elif local(node) not in FLOW_NODES:
                yield issue(
                    flow,
                    "REF",
                    f"a sequence flow's {field} must be a flow node (is {describe(node)})",
                )
            elif _event_sub_process(node):
                yield issue(
                    flow,
                    event_sub,
                    f"an event sub-process cannot be the {field} of a sequence flow "
                    f"(is {describe(node)})",
                )
            elif doc.process_of(node) is not doc.process_of(flow):
                yield issue(
                    flow,
                    "EXT.028",
                    f"a sequence flow cannot leave its pool: its {field} is {describe(node)} "
                    "of another process",
                )
            elif doc.scope_of(node) is not doc.scope_of(flow):
                yield issue(
                    flow,
                    "EXT.152",
                    f"a sequence flow cannot cross a sub-process boundary: its {field} is "
                    f"{describe(node)} of another level",
                )


def check_listed_flows(doc: Document) -> Iterator[Issue]:
    """EXT.023: a flow node's ``incoming``/``outgoing`` name the sequence
    flows that end/start at it; and a document that lists flows there at
    all lists each flow at both of its ends (some tools list none, which
    BPMN allows as the lists are derived)."""
    listing = False
    for node in doc.elements:
        if local(node) not in FLOW_NODES:
            continue
        for field, end, mine in (
            ("incoming", "targetRef", doc.incoming(node)),
            ("outgoing", "sourceRef", doc.outgoing(node)),
        ):
            for holder in children(node, field):
                listing = True
                ident = doc.ref_id(holder, holder.text)
                flow = doc.by_id.get(ident or "")
                if flow is None or not any(f is flow for f in mine):
                    yield issue(
                        node,
                        "EXT.023",
                        f"its {field} {ident or ''!r} is no sequence flow whose {end} is this "
                        f"{local(node)}",
                    )
    if not listing:
        return
    for flow in doc.flows:
        for field, end in (("sourceRef", "outgoing"), ("targetRef", "incoming")):
            node = doc.resolve(flow, flow.get(field))
            if node is None or local(node) not in FLOW_NODES:
                continue
            if flow.get("id") not in {doc.ref_id(node, t) for t in texts(node, end)}:
                yield issue(
                    node,
                    "EXT.023",
                    f"the sequence flow {flow.get('id')!r} is not among its {end} flows",
                )


def check_event_flows(doc: Document) -> Iterator[Issue]:
    """The flows events need: a start event has none coming in (EXT.096)
    and at least one going out (EXT.101); an end event the reverse
    (EXT.104, EXT.107); a boundary event none in (EXT.112) and, unless it
    is a compensation event, at least one out (EXT.113) — a compensation
    boundary event none (EXT.114); an intermediate event one in (EXT.115)
    and one out (EXT.116), except the link events, which have only the
    one side (EXT.117)."""
    for event in doc.all(START, END, BOUNDARY, CATCH, THROW):
        kind = local(event)
        if local(event.getparent()) == "adHocSubProcess" and kind in (START, END):
            continue  # not allowed there at all (EXT.062)
        incoming, outgoing = doc.incoming(event), doc.outgoing(event)
        kinds = {k for k, _ in doc.definitions(event)}
        link = "linkEventDefinition" in kinds
        compensation = "compensateEventDefinition" in kinds
        rules: list[tuple[bool, str, str]] = []
        if kind == START:
            rules = [
                (
                    bool(incoming),
                    "EXT.096",
                    "a start event cannot be the target of a sequence flow",
                ),
                (not outgoing, "EXT.101", "a start event must be the source of a sequence flow"),
            ]
        elif kind == END:
            rules = [
                (bool(outgoing), "EXT.104", "an end event cannot be the source of a sequence flow"),
                (not incoming, "EXT.107", "an end event must be the target of a sequence flow"),
            ]
        elif kind == BOUNDARY:
            rules = [
                (
                    bool(incoming),
                    "EXT.112",
                    "a boundary event cannot be the target of a sequence flow",
                ),
                (
                    not outgoing and not compensation,
                    "EXT.113",
                    "a boundary event must be the source of a sequence flow",
                ),
                (
                    bool(outgoing) and compensation,
                    "EXT.114",
                    "a compensation boundary event cannot be the source of a sequence flow "
                    "(it is associated with its compensation activity)",
                ),
            ]
        elif link:
            side, present = ("target", incoming) if kind == CATCH else ("source", outgoing)
            rules = [
                (
                    bool(present),
                    "EXT.117",
                    f"a link {'catch' if kind == CATCH else 'throw'} event cannot be the "
                    f"{side} of a sequence flow",
                ),
                (
                    kind == THROW and not incoming,
                    "EXT.115",
                    "an intermediate event must be the target of a sequence flow",
                ),
                (
                    kind == CATCH and not outgoing,
                    "EXT.116",
                    "an intermediate event must be the source of a sequence flow",
                ),
            ]
        else:
            rules = [
                (
                    not incoming,
                    "EXT.115",
                    "an intermediate event must be the target of a sequence flow",
                ),
                (
                    not outgoing,
                    "EXT.116",
                    "an intermediate event must be the source of a sequence flow",
                ),
            ]
        for broken, constraint, text in rules:
            if broken:
                yield issue(event, constraint, text)


def check_conditional_flows(doc: Document) -> Iterator[Issue]:
    """EXT.025: a conditional flow out of an activity is never its only
    outgoing flow."""
    for flow in doc.flows:
        if not children(flow, "conditionExpression"):
            continue
        source = doc.resolve(flow, flow.get("sourceRef"))
        if source is not None and local(source) in ACTIVITIES and len(doc.outgoing(source)) == 1:
            yield issue(
                flow,
                "EXT.025",
                f"a conditional flow cannot be the only flow out of an activity "
                f"({describe(source)})",
            )


def check_default_flows(doc: Document) -> Iterator[Issue]:
    """EXT.026: an activity's or gateway's default flow is one of its own
    outgoing sequence flows."""
    for node in doc.elements:
        if local(node) not in ACTIVITIES | GATEWAYS or node.get("default") is None:
            continue
        flow = doc.resolve(node, node.get("default"))
        if flow is None:
            yield issue(
                node, "REF", f"its default {node.get('default')!r} names nothing in the model"
            )
        elif local(flow) != "sequenceFlow":
            yield issue(
                node,
                "REF",
                f"{a(local(node))}'s default must be a sequence flow (is {describe(flow)})",
            )
        elif not any(f is flow for f in doc.outgoing(node)):
            yield issue(
                node,
                "EXT.026",
                f"its default flow {flow.get('id')!r} must start at it "
                f"(its sourceRef is {flow.get('sourceRef')!r})",
            )


def check_levels(doc: Document) -> Iterator[Issue]:
    """At each level (a process, a sub-process): with an end event there is
    a start event (EXT.097) and with a start event an end event (EXT.105);
    with a start event every activity and gateway has an incoming flow
    (EXT.150), with an end event an outgoing one (EXT.151) — but for
    compensation activities and event sub-processes, which stand apart
    from the flow; an instantiating receive task or event-based gateway
    may start a level instead of a start event."""
    for level in doc.all("process", *SUB_PROCESSES):
        if local(level) == "adHocSubProcess" or _event_sub_process(level):
            continue  # no start or end events there (EXT.062), their own start (EXT.058)
        nodes = [n for n in children(level) if local(n) in FLOW_NODES]
        starts = [n for n in nodes if local(n) == START]
        ends = [n for n in nodes if local(n) == END]
        instantiating = [
            n
            for n in nodes
            if local(n) in ("receiveTask", "eventBasedGateway") and flag(n, "instantiate", False)
        ]
        if ends and not starts and not instantiating:
            yield issue(
                ends[0],
                "EXT.097",
                f"a level with an end event needs a start event ({_level(level)} has none)",
            )
        if starts and not ends:
            yield issue(
                starts[0],
                "EXT.105",
                f"a level with a start event needs an end event ({_level(level)} has none)",
            )
        for node in nodes:
            if local(node) not in ACTIVITIES | GATEWAYS or _exempt(node):
                continue  # events have their own rules (EXT.096-117)
            if starts and node not in instantiating and not doc.incoming(node):
                yield issue(
                    node,
                    "EXT.150",
                    f"with a start event in {_level(level)}, every activity and gateway there "
                    "must be the target of a sequence flow",
                )
            if ends and not doc.outgoing(node):
                yield issue(
                    node,
                    "EXT.151",
                    f"with an end event in {_level(level)}, every activity and gateway there "
                    "must be the source of a sequence flow",
                )


def _exempt(node: Element) -> bool:
    """Compensation activities and event sub-processes stand apart from the flow."""
    return _event_sub_process(node) or flag(node, "isForCompensation", False)


def _event_sub_process(node: Element) -> bool:
    return local(node) == "subProcess" and flag(node, "triggeredByEvent", False)


def _level(level: Element) -> str:
    return f"{local(level)} {level.get('id')!r}"
