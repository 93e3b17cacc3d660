"""Gateways: a gateway splits or joins (EXT.135) as its gatewayDirection
says (EXT.017-019); an event-based gateway waits on two or more receive
tasks or catch events reached only from it, by flows without conditions
(EXT.136-142)."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Issue
from ._index import CATCH, GATEWAYS, Document, Element, children, describe, flag, issue, local

# what an event-based gateway may lead to: a receive task or one of these catch events
AWAITABLE = frozenset(
    {
        "messageEventDefinition",
        "signalEventDefinition",
        "timerEventDefinition",
        "conditionalEventDefinition",
    }
)


def check_directions(doc: Document) -> Iterator[Issue]:
    """A gateway has several incoming or several outgoing flows (EXT.135);
    in an executable process, a converging one at most one outgoing
    (EXT.017), a diverging one at most one incoming (EXT.018), a mixed one
    several of both (EXT.019)."""
    for gateway in doc.elements:
        if local(gateway) not in GATEWAYS:
            continue
        ins, outs = len(doc.incoming(gateway)), len(doc.outgoing(gateway))
        if ins < 2 and outs < 2:
            yield issue(
                gateway,
                "EXT.135",
                f"a gateway must split or join: several incoming or several outgoing flows "
                f"(has {ins} in, {outs} out)",
            )
        direction = (gateway.get("gatewayDirection") or "Unspecified").strip()
        if not doc.executable(gateway):
            continue  # directions are a rule of BPMN's Common Executable conformance class
        if direction == "Converging" and outs > 1:
            yield issue(
                gateway,
                "EXT.017",
                f"a converging gateway has at most one outgoing flow (has {outs})",
            )
        elif direction == "Diverging" and ins > 1:
            yield issue(
                gateway,
                "EXT.018",
                f"a diverging gateway has at most one incoming flow (has {ins})",
            )
        elif direction == "Mixed" and (ins < 2 or outs < 2):
            yield issue(
                gateway,
                "EXT.019",
                f"a mixed gateway has several incoming and several outgoing flows "
                f"(has {ins} in, {outs} out)",
            )


def check_event_based(doc: Document) -> Iterator[Issue]:
    """An event-based gateway has two or more outgoing flows (EXT.136),
    none with a condition (EXT.137), each to a receive task or to a
    message, signal, timer or conditional catch event (EXT.138) — receive
    tasks or message events, not both (EXT.139); its receive tasks carry
    no boundary events (EXT.140); its targets have no other incoming flow
    (EXT.141); instantiating, it has no incoming flow (EXT.142)."""
    for gateway in doc.all("eventBasedGateway"):
        outgoing = doc.outgoing(gateway)
        if len(outgoing) < 2:
            yield issue(
                gateway,
                "EXT.136",
                f"an event-based gateway needs two or more outgoing flows (has {len(outgoing)})",
            )
        if flag(gateway, "instantiate", False) and doc.incoming(gateway):
            yield issue(
                gateway,
                "EXT.142",
                "an instantiating event-based gateway cannot have incoming flows",
            )
        receive_tasks, message_events = [], []
        for flow in outgoing:
            if children(flow, "conditionExpression"):
                yield issue(
                    flow,
                    "EXT.137",
                    "a flow out of an event-based gateway cannot have a condition",
                )
            target = doc.resolve(flow, flow.get("targetRef"))
            if target is None:
                continue
            kinds = {k for k, _ in doc.definitions(target)}
            if local(target) == "receiveTask":
                receive_tasks.append(target)
            elif local(target) == CATCH and kinds and kinds <= AWAITABLE:
                if "messageEventDefinition" in kinds:
                    message_events.append(target)
            else:
                yield issue(
                    flow,
                    "EXT.138",
                    "an event-based gateway leads only to receive tasks and message, signal, "
                    f"timer or conditional catch events (is {describe(target)})",
                )
                continue
            others = [f for f in doc.incoming(target) if f is not flow]
            if others:
                yield issue(
                    target,
                    "EXT.141",
                    f"a target of an event-based gateway has no other incoming flow "
                    f"(has {len(others)} more)",
                )
        if receive_tasks and message_events:
            yield issue(
                gateway,
                "EXT.139",
                "an event-based gateway waits on receive tasks or on message events, not both",
            )
        for task in receive_tasks:
            if _attached(doc, task):
                yield issue(
                    task,
                    "EXT.140",
                    "a receive task after an event-based gateway cannot have boundary events",
                )


def _attached(doc: Document, activity: Element) -> bool:
    ident = activity.get("id")
    return any(
        doc.ref_id(event, event.get("attachedToRef")) == ident for event in doc.all("boundaryEvent")
    )
