"""Collaborations, conversations and choreographies: message flows go
between pools and to or from the events that can send or receive them
(EXT.008, EXT.009, EXT.031, EXT.102, EXT.103, EXT.108, EXT.109,
EXT.119); participant multiplicities are sensible (EXT.029, EXT.030); a
choreography or global conversation does not reference a choreography
(EXT.027); a global conversation holds no conversation nodes or artifacts (EXT.032); a
collaboration and its choreography agree on isClosed (EXT.033)."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Issue
from ._index import (
    ARTIFACTS,
    CATCH,
    END,
    START,
    THROW,
    Document,
    Element,
    a,
    children,
    describe,
    flag,
    issue,
    local,
)

# what a global conversation must not hold: conversation nodes, their associations, artifacts
NOT_IN_GLOBAL_CONVERSATION = ARTIFACTS | {
    "conversation",
    "subConversation",
    "callConversation",
    "participantAssociation",
    "messageFlowAssociation",
    "conversationAssociation",
}


def check_message_flows(doc: Document) -> Iterator[Issue]:
    """A message flow joins two different pools (EXT.031), never an
    artifact (EXT.008, EXT.009); a start event only receives, and only
    with a message definition (EXT.102, EXT.103); an end event only sends,
    likewise (EXT.108, EXT.109); an intermediate catch event does not send
    and a throw event does not receive (EXT.119)."""
    for flow in doc.all("messageFlow"):
        source = doc.resolve(flow, flow.get("sourceRef"))
        target = doc.resolve(flow, flow.get("targetRef"))
        for end, node, constraint in (("source", source, "EXT.009"), ("target", target, "EXT.008")):
            if node is not None and local(node) in ARTIFACTS:
                yield issue(
                    flow,
                    constraint,
                    f"an artifact cannot be the {end} of a message flow (is {describe(node)})",
                )
        if source is None or target is None:
            continue  # the reference check says what is missing
        if source is target or _pool(doc, source) is _pool(doc, target):
            yield issue(
                flow,
                "EXT.031",
                f"a message flow must join two different pools ({describe(source)} and "
                f"{describe(target)} are in the same one)",
            )
        messages = {
            node: "messageEventDefinition" in {k for k, _ in doc.definitions(node)}
            for node in (source, target)
        }
        rules = (
            (local(source) == START, "EXT.102", "a start event cannot send a message flow"),
            (
                local(target) == START and not messages[target],
                "EXT.103",
                "a start event that receives a message flow needs a message definition",
            ),
            (local(target) == END, "EXT.108", "an end event cannot receive a message flow"),
            (
                local(source) == END and not messages[source],
                "EXT.109",
                "an end event that sends a message flow needs a message definition",
            ),
            (
                local(source) == CATCH,
                "EXT.119",
                "an intermediate catch event cannot send a message flow",
            ),
            (
                local(target) == THROW,
                "EXT.119",
                "an intermediate throw event cannot receive a message flow",
            ),
        )
        for broken, constraint, text in rules:
            if broken:
                yield issue(flow, constraint, text)


def check_collaborations(doc: Document) -> Iterator[Issue]:
    """Multiplicities (EXT.029, EXT.030), choreography references
    (EXT.027, EXT.033) and what a global conversation holds (EXT.032)."""
    for multiplicity in doc.all("participantMultiplicity"):
        minimum = _integer(multiplicity.get("minimum"), 0)
        maximum = _integer(multiplicity.get("maximum"), 1)
        if minimum is not None and minimum < 0:
            yield issue(
                multiplicity.getparent(),
                "EXT.029",
                f"a participant multiplicity's minimum cannot be negative (is {minimum})",
            )
        if maximum is not None and (maximum < 1 or (minimum is not None and maximum < minimum)):
            yield issue(
                multiplicity.getparent(),
                "EXT.030",
                f"a participant multiplicity's maximum must be 1 or more and at least its "
                f"minimum (is {maximum}, minimum {minimum})",
            )
    for el in doc.all("choreography", "globalConversation"):
        if children(el, "choreographyRef"):
            yield issue(el, "EXT.027", f"{a(local(el))} cannot reference a choreography")
    for conversation in doc.all("globalConversation"):
        for child in children(conversation):
            if local(child) in NOT_IN_GLOBAL_CONVERSATION:
                yield issue(
                    child,
                    "EXT.032",
                    f"a global conversation cannot hold {a(local(child))} (no conversation "
                    "nodes, their associations or artifacts)",
                )
    for collaboration in doc.all("collaboration"):
        for ref in children(collaboration, "choreographyRef"):
            choreography = doc.resolve(ref, ref.text)
            if choreography is None or local(choreography) != "choreography":
                continue
            if flag(choreography, "isClosed", False) != flag(collaboration, "isClosed", False):
                yield issue(
                    collaboration,
                    "EXT.033",
                    f"a collaboration and the choreography it references "
                    f"({describe(choreography)}) must agree on isClosed",
                )


def _pool(doc: Document, node: Element) -> Element:
    """The pool a message flow's end belongs to: a participant's process
    (or the participant itself, a black box), a flow node's process."""
    if local(node) == "participant":
        process = doc.resolve(node, node.get("processRef"))
        return process if process is not None else node
    process = doc.process_of(node)
    return process if process is not None else node


def _integer(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        return None
