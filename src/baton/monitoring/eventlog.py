"""Runs as an event log for process mining (docs/operations.md, "Analytics"):
XES 1.0 (IEEE 1849) and OCEL 2.0 JSON, written from status documents.

One trace per run (``concept:name`` = the run id), one event per step start
and end (``lifecycle:transition`` start / complete, or ``ate_abort`` for a
step that failed or was cancelled) and one per approval vote (with
``org:resource``, the approver). Written here with lxml and json: pm4py
(AGPL) reads both, and Baton's tests check that it does, but Baton does not
depend on it."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from .health import parse_time

XES_NS = "http://www.xes-standard.org/"
EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)
ENDED = {"COMPLETED": "complete", "FAILED": "ate_abort", "CANCELLED": "ate_abort"}


def events_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A run's events, in time order: activity, time, lifecycle, and the
    step's attempts or the vote's approver."""
    found: list[dict[str, Any]] = []
    for step in doc.get("steps") or []:
        activity = str(step.get("node_id") or step["step_id"])
        begun = parse_time(step.get("started_at"))
        if begun is None:
            continue
        found.append({"activity": activity, "time": begun, "lifecycle": "start"})
        ended = parse_time(step.get("completed_at"))
        transition = ENDED.get(str(step.get("status")))
        if ended is not None and transition is not None:
            found.append(
                {
                    "activity": activity,
                    "time": ended,
                    "lifecycle": transition,
                    "attempts": step.get("attempts") or 1,
                }
            )
    for stage in doc.get("stages") or []:
        for vote in stage.get("votes") or []:
            at = parse_time(vote.get("at"))
            if at is not None:
                found.append(
                    {
                        "activity": f"{stage['name']}: {vote.get('decision')}",
                        "time": at,
                        "lifecycle": "complete",
                        "resource": vote.get("approver"),
                    }
                )
    found.sort(key=lambda event: event["time"])
    return found


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def to_xes(documents: list[dict[str, Any]]) -> bytes:
    """An XES 1.0 document of the runs."""
    log = etree.Element(
        "log",
        {"xes.version": "1.0", "xes.features": "nested-attributes"},
        nsmap={None: XES_NS},  # type: ignore[dict-item]
    )
    for name, prefix, uri in EXTENSIONS:
        etree.SubElement(log, "extension", {"name": name, "prefix": prefix, "uri": uri})
    trace_global = etree.SubElement(log, "global", {"scope": "trace"})
    etree.SubElement(trace_global, "string", {"key": "concept:name", "value": "__INVALID__"})
    event_global = etree.SubElement(log, "global", {"scope": "event"})
    etree.SubElement(event_global, "string", {"key": "concept:name", "value": "__INVALID__"})
    etree.SubElement(
        event_global, "date", {"key": "time:timestamp", "value": "1970-01-01T00:00:00.000+00:00"}
    )
    etree.SubElement(log, "classifier", {"name": "Activity", "keys": "concept:name"})
    for doc in documents:
        trace = etree.SubElement(log, "trace")
        _attribute(
            trace, "string", "concept:name", doc.get("workflow_id") or doc.get("approval_id")
        )
        _attribute(trace, "string", "baton:kind", doc.get("kind"))
        _attribute(trace, "string", "baton:definition", doc.get("name") or doc.get("stage"))
        _attribute(trace, "string", "baton:status", doc.get("status"))
        for event in events_of(doc):
            element = etree.SubElement(trace, "event")
            _attribute(element, "string", "concept:name", event["activity"])
            _attribute(element, "string", "lifecycle:transition", event["lifecycle"])
            _attribute(element, "date", "time:timestamp", _stamp(event["time"]))
            if event.get("resource"):
                _attribute(element, "string", "org:resource", event["resource"])
            if event.get("attempts") is not None:
                _attribute(element, "int", "baton:attempts", event["attempts"])
    result: bytes = etree.tostring(log, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return result


def _attribute(parent: Any, kind: str, key: str, value: Any) -> None:
    if value is not None:
        etree.SubElement(parent, kind, {"key": key, "value": str(value)})


def to_ocel(documents: list[dict[str, Any]]) -> str:
    """An OCEL 2.0 JSON document: objects are the runs (typed by kind) and
    the people who voted; events are linked to their run (and voter)."""
    object_types: dict[str, None] = {}
    event_types: dict[str, None] = {}
    objects: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    people: dict[str, None] = {}
    epoch = "1970-01-01T00:00:00Z"
    for doc in documents:
        run_id = str(doc.get("workflow_id") or doc.get("approval_id"))
        kind = str(doc.get("kind") or "run")
        object_types[kind] = None
        objects.append(
            {
                "id": run_id,
                "type": kind,
                "attributes": [
                    {
                        "name": "definition",
                        "time": epoch,
                        "value": doc.get("name") or doc.get("stage"),
                    },
                    {"name": "status", "time": epoch, "value": doc.get("status")},
                ],
                "relationships": [],
            }
        )
        for index, event in enumerate(events_of(doc)):
            event_types[event["activity"]] = None
            relationships = [{"objectId": run_id, "qualifier": "run"}]
            if event.get("resource"):
                people[str(event["resource"])] = None
                relationships.append(
                    {"objectId": f"person:{event['resource']}", "qualifier": "decided by"}
                )
            attributes = [{"name": "lifecycle", "value": event["lifecycle"]}]
            if event.get("attempts") is not None:
                attributes.append({"name": "attempts", "value": event["attempts"]})
            events.append(
                {
                    "id": f"{run_id}#{index}",
                    "type": event["activity"],
                    "time": _stamp(event["time"]),
                    "attributes": attributes,
                    "relationships": relationships,
                }
            )
    if people:
        object_types["person"] = None
        objects += [
            {"id": f"person:{who}", "type": "person", "attributes": [], "relationships": []}
            for who in people
        ]
    document = {
        "objectTypes": [
            {
                "name": name,
                "attributes": (
                    []
                    if name == "person"
                    else [
                        {"name": "definition", "type": "string"},
                        {"name": "status", "type": "string"},
                    ]
                ),
            }
            for name in object_types
        ],
        "eventTypes": [
            {
                "name": name,
                "attributes": [
                    {"name": "lifecycle", "type": "string"},
                    {"name": "attempts", "type": "integer"},
                ],
            }
            for name in event_types
        ],
        "objects": objects,
        "events": events,
    }
    return json.dumps(document, indent=1, default=str)
