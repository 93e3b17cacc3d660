"""Events: which event definitions each kind of event may have where it
stands (a top-level start event, a sub-process's, an event
sub-process's; end, intermediate and boundary events), the cancel
events that belong to transactions, what an executable model must fill
in (escalation codes, a condition), link
events that find their partner, compensation boundary events tied to
their handler, and the none start event a called process needs."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Issue
from ._index import (
    ACTIVITIES,
    BOUNDARY,
    CATCH,
    END,
    SCOPES,
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
    texts,
)

CANCEL = "cancelEventDefinition"
COMPENSATE = "compensateEventDefinition"
CONDITIONAL = "conditionalEventDefinition"
ERROR = "errorEventDefinition"
ESCALATION = "escalationEventDefinition"
LINK = "linkEventDefinition"
MESSAGE = "messageEventDefinition"
SIGNAL = "signalEventDefinition"
TERMINATE = "terminateEventDefinition"
TIMER = "timerEventDefinition"

# the definitions BPMN allows, by where the event stands (Tables 10.84-10.93 of the spec)
TOP_LEVEL_START = frozenset({MESSAGE, TIMER, CONDITIONAL, SIGNAL})
EVENT_SUB_PROCESS_START = frozenset(
    {MESSAGE, TIMER, CONDITIONAL, SIGNAL, ERROR, ESCALATION, COMPENSATE}
)
NON_INTERRUPTING_START = EVENT_SUB_PROCESS_START - {ERROR, COMPENSATE}
END_EVENT = frozenset({MESSAGE, ESCALATION, ERROR, CANCEL, COMPENSATE, SIGNAL, TERMINATE})
CATCH_EVENT = frozenset({MESSAGE, TIMER, CONDITIONAL, LINK, SIGNAL})
THROW_EVENT = frozenset({MESSAGE, ESCALATION, COMPENSATE, LINK, SIGNAL})
INTERRUPTING_BOUNDARY = frozenset({MESSAGE, TIMER, CONDITIONAL, SIGNAL, ERROR, ESCALATION})
INTERRUPTING_BOUNDARY |= {CANCEL, COMPENSATE}
NON_INTERRUPTING_BOUNDARY = frozenset({MESSAGE, TIMER, CONDITIONAL, SIGNAL, ESCALATION})


def _names(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(k.removesuffix("EventDefinition") for k in kinds))


def check_definitions(doc: Document) -> Iterator[Issue]:
    """Each event's definitions are among those BPMN allows for it:
    top-level start events (EXT.098), start events of sub-processes
    (EXT.100) and of event sub-processes (EXT.059), end events (EXT.146),
    intermediate catch (EXT.148) and throw (EXT.149) events, boundary
    events (EXT.110); a catch, boundary or event sub-process start event
    has at least one."""
    for event in doc.all(START, END, CATCH, THROW, BOUNDARY):
        kind = local(event)
        found = [k for k, _ in doc.definitions(event)]
        parent = event.getparent()
        if local(parent) not in SCOPES:
            continue  # a choreography's events are not a process's
        allowed: frozenset[str]
        required = False
        if kind == START and local(parent) == "process":
            constraint, allowed, what = "EXT.098", TOP_LEVEL_START, "a top-level start event"
        elif kind == START and _event_sub_process(parent):
            constraint, required = "EXT.059", True
            if flag(event, "isInterrupting", True):
                allowed, what = EVENT_SUB_PROCESS_START, "an event sub-process's start event"
            else:
                allowed = NON_INTERRUPTING_START
                what = "a non-interrupting start event of an event sub-process"
        elif kind == START:
            constraint, allowed, what = "EXT.100", frozenset(), "a sub-process's start event"
        elif kind == END:
            constraint, allowed, what = "EXT.146", END_EVENT, "an end event"
        elif kind == CATCH:
            constraint, allowed, what = "EXT.148", CATCH_EVENT, "an intermediate catch event"
            required = True
        elif kind == THROW:
            constraint, allowed, what = "EXT.149", THROW_EVENT, "an intermediate throw event"
        elif flag(event, "cancelActivity", True):
            constraint, allowed, what = "EXT.110", INTERRUPTING_BOUNDARY, "a boundary event"
            required = True
        else:
            constraint, allowed = "EXT.110", NON_INTERRUPTING_BOUNDARY
            what, required = "a non-interrupting boundary event", True
        for definition in found:
            if definition not in allowed:
                only = (
                    f"only {_names(allowed)}"
                    if allowed
                    else "a sub-process starts at a none start event"
                )
                yield issue(event, constraint, f"{what} cannot have {a(definition)} ({only})")
        if required and not found and not children(event, "eventDefinitionRef"):
            yield issue(
                event,
                constraint,
                f"{what} needs an event definition ({_names(allowed)})",
            )


def check_event_sub_processes(doc: Document) -> Iterator[Issue]:
    """An event sub-process has exactly one start event (EXT.058); that it
    has no sequence flows (EXT.057) is checked with the flows."""
    for sub in doc.all("subProcess"):
        if not _event_sub_process(sub):
            continue
        starts = children(sub, START)
        if len(starts) != 1:
            yield issue(
                sub,
                "EXT.058",
                f"an event sub-process needs exactly one start event (has {len(starts)})",
            )


def check_cancel_events(doc: Document) -> Iterator[Issue]:
    """A cancel end event stands inside a transaction (EXT.106); a cancel
    boundary event is attached to one (EXT.111)."""
    for event in doc.all(END):
        if CANCEL in {k for k, _ in doc.definitions(event)} and not any(
            local(ancestor) == "transaction" for ancestor in event.iterancestors()
        ):
            yield issue(event, "EXT.106", "a cancel end event is allowed only in a transaction")
    for event in doc.all(BOUNDARY):
        if CANCEL not in {k for k, _ in doc.definitions(event)}:
            continue
        target = doc.resolve(event, event.get("attachedToRef"))
        if target is not None and local(target) != "transaction":
            yield issue(
                event,
                "EXT.111",
                f"a cancel boundary event must be attached to a transaction "
                f"(is {describe(target)})",
            )


def check_executable_events(doc: Document) -> Iterator[Issue]:
    """In an executable process: an escalation end or throw event names an
    escalation with an escalationCode (EXT.011); a conditional event has a
    condition (EXT.123)."""
    for event in doc.all(START, END, CATCH, THROW, BOUNDARY):
        if not doc.executable(event):
            continue
        for kind, definition in doc.definitions(event):
            if kind == ESCALATION and local(event) in (END, THROW):
                escalation = doc.resolve(definition, definition.get("escalationRef"))
                if escalation is None or not (escalation.get("escalationCode") or "").strip():
                    yield issue(
                        event,
                        "EXT.011",
                        "an escalation end or throw event in an executable process must name "
                        "an escalation with an escalationCode",
                    )
            elif kind == CONDITIONAL:
                conditions = children(definition, "condition")
                if not conditions or not _has_body(conditions[0]):
                    yield issue(
                        event,
                        "EXT.123",
                        "a conditional event in an executable process needs a condition",
                    )


def check_links(doc: Document) -> Iterator[Issue]:
    """A link catch event has a source (EXT.124) and a link throw event
    exactly one target (EXT.125) — named by ``source``/``target`` or by
    the link's name in the same process level (as modellers pair them);
    that target stands on the same level (EXT.126) and lists the throw
    event among its sources when it lists any (EXT.118)."""
    for event in doc.all(CATCH, THROW):
        for kind, definition in doc.definitions(event):
            if kind != LINK or definition.getparent() is not event:
                continue
            name = definition.get("name")
            peers = [
                d
                for other in children(event.getparent(), CATCH if local(event) == THROW else THROW)
                for k, d in doc.definitions(other)
                if k == LINK and name and d.get("name") == name
            ]
            if local(event) == CATCH:
                if not texts(definition, "source") and not peers:
                    yield issue(
                        event,
                        "EXT.124",
                        "a link catch event needs a source: a link throw event (by source, "
                        "or of the same name on its level)",
                    )
                continue
            targets = texts(definition, "target")
            if len(targets) > 1 or (not targets and len(peers) != 1):
                count = len(targets) or len(peers)
                yield issue(
                    event,
                    "EXT.125",
                    f"a link throw event needs exactly one target: a link catch event (by "
                    f"target, or of the same name on its level; it has {count})",
                )
            for ident in targets:
                target = doc.resolve(definition, ident)
                if target is None or local(target) != LINK:
                    continue  # the reference check says what it is
                catch = target.getparent()
                if catch.getparent() is not event.getparent():
                    yield issue(
                        event,
                        "EXT.126",
                        f"a link's target must be on the same process level "
                        f"(is {describe(catch)} elsewhere)",
                    )
                sources = {doc.ref_id(target, s) for s in texts(target, "source")}
                if sources and definition.get("id") not in sources:
                    yield issue(
                        event,
                        "EXT.118",
                        f"its link target {ident!r} does not list it among its sources",
                    )


def check_shared_definitions(doc: Document) -> Iterator[Issue]:
    """EXT.095: an event definition written inside a throw event belongs to
    it and is not referenced by another event (eventDefinitionRef)."""
    for event in doc.all(START, END, CATCH, THROW, BOUNDARY):
        for ref in children(event, "eventDefinitionRef"):
            target = doc.resolve(ref, ref.text)
            owner = target.getparent() if target is not None else None
            if owner is not None and owner is not event and local(owner) in (END, THROW):
                yield issue(
                    event,
                    "EXT.095",
                    f"its eventDefinitionRef names the definition of another throw event "
                    f"({describe(owner)})",
                )


def check_compensation(doc: Document) -> Iterator[Issue]:
    """A compensation boundary event is associated with its compensation
    activity (EXT.143), which is marked isForCompensation="true" (EXT.144)."""
    associations = doc.all("association")
    for event in doc.all(BOUNDARY):
        if COMPENSATE not in {k for k, _ in doc.definitions(event)}:
            continue
        handlers = [
            doc.resolve(association, association.get("targetRef"))
            for association in associations
            if doc.ref_id(association, association.get("sourceRef")) == event.get("id")
        ]
        activities = [h for h in handlers if h is not None and local(h) in ACTIVITIES]
        if not activities:
            yield issue(
                event,
                "EXT.143",
                "a compensation boundary event must be associated with a compensation activity",
            )
        for handler in activities:
            if not flag(handler, "isForCompensation", False):
                yield issue(
                    event,
                    "EXT.144",
                    f"its compensation activity {describe(handler)} must be marked "
                    'isForCompensation="true"',
                )


def check_called_processes(doc: Document) -> Iterator[Issue]:
    """EXT.099: a process this document calls (callActivity) that has start
    events has a none start event among them."""
    for activity in doc.all("callActivity"):
        process = doc.resolve(activity, activity.get("calledElement"))
        if process is None or local(process) != "process":
            continue
        starts = children(process, START)
        if starts and all(doc.definitions(s) or children(s, "eventDefinitionRef") for s in starts):
            yield issue(
                activity,
                "EXT.099",
                f"the process {process.get('id')!r} it calls needs a none start event",
            )


def _event_sub_process(el: Element | None) -> bool:
    return el is not None and local(el) == "subProcess" and flag(el, "triggeredByEvent", False)


def _has_body(expression: Element) -> bool:
    return bool((expression.text or "").strip()) or len(expression) > 0
