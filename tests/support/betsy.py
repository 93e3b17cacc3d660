"""betsy's BPMN conformance cases (``../shared/corpora/bpmn/betsy``) as
Baton runs them: its engine-neutral placeholders translated the way its
``cases.yaml`` says — a script task appends its marker to the ``trace``
variable, conditions become jq — on the model Baton read, before it is
compiled. The trace is compared as a multiset, as upstream does."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from baton.definitions.bpmn import Model, read_bpmn
from baton.errors import DefinitionError
from baton.plan.bpmn import compile_bpmn
from baton.plan.model import Plan

BETSY = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "bpmn" / "betsy"

SCRIPTS = {
    "CREATE_LOG_FILE": ".",
    "CREATE_MARKER_FILE": ".",
    "INCREMENT_INTEGER_VARIABLE": ".integerVariable += 1",
    "INCREMENT_INTEGER_VARIABLE_AND_LOG": '.integerVariable += 1 | .trace += ["INCREMENT_correct"]',
    # the data item round-trips: the reading task completes only when it did
    "SET_STRING_DATA": '.data = "String"',
    "LOG_DATA": 'if .data == "String" then . else error("data is not the string String") end',
}
MARKER = re.compile(r"^SCRIPT_task\d+$")


def cases() -> list[dict[str, Any]]:
    data = yaml.safe_load((BETSY / "cases.yaml").read_text())
    found = []
    for test in data["tests"]:
        for case in test["cases"]:
            found.append({**case, "test": test})
    return found


def script(text: str | None) -> str | None:
    text = (text or "").strip()
    if text in SCRIPTS:
        return SCRIPTS[text]
    if MARKER.match(text):
        return f'.trace += ["{text}"]'
    return None  # a placeholder this harness does not translate (the case is out of its subset)


def condition(text: str | None) -> str | None:
    text = (text or "").strip()
    if text in ("true", "false"):
        return text
    if m := re.fullmatch(r'(!?)test\.contains\("([^"]*)"\)', text):
        test = f'((.test // "") | contains("{m.group(2)}"))'
        return f"({test} | not)" if m.group(1) else test
    if m := re.fullmatch(r"integerVariable\s*<\s*(\d+)", text):
        return f"((.integerVariable // 0) < {m.group(1)})"
    return None


def markers(model: Model) -> dict[str, str]:
    """The marker each script task logs, by node id (a loop's runs are ``<id>/run``)."""
    found: dict[str, str] = {}

    def walk(nodes: dict[str, Any]) -> None:
        for node in nodes.values():
            text = (node.script or "").strip()
            called = model.global_tasks.get(str(node.attributes.get("calledElement")))
            if node.kind == "callActivity" and called is not None:
                text = (called.script or "").strip()  # the global task runs in its place
            marker = text if MARKER.match(text) else None
            if text == "INCREMENT_INTEGER_VARIABLE_AND_LOG":
                marker = "INCREMENT_correct"
            if text == "LOG_DATA":
                marker = "DATA_correct"
            if text == "CREATE_MARKER_FILE":
                marker = "MARKER_exists"  # the secondary process ran (counted once)
            if marker:
                # a looped task's runs are the loop's body nodes
                found[f"{node.id}/run" if node.loop else node.id] = marker
            walk(node.nodes)
        # a compensation handler logs when the activity it undoes is
        # compensated: "undo:<activity id>"
        for node in nodes.values():
            if node.kind == "boundaryEvent" and node.events == ["compensateEventDefinition"]:
                for source, target in associations(model):
                    handler = nodes.get(target)
                    if source == node.id and handler is not None and handler.id in found:
                        found[f"undo:{node.attached_to}"] = found[handler.id]

    for process in model.processes:
        walk(process.nodes)
    walk(model.global_tasks)
    return found


def associations(model: Model) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []

    def walk(nodes: dict[str, Any]) -> None:
        for node in nodes.values():
            pairs.extend(node.associations)
            walk(node.nodes)

    for process in model.processes:
        pairs.extend(process.associations)
        walk(process.nodes)
    return pairs


def translated(model: Model) -> Model:
    for process in model.processes:
        _translate(process.nodes, process.flows)
    _translate(model.global_tasks, {})
    return model


def _translate(nodes: dict[str, Any], flows: dict[str, Any]) -> None:
    for node in nodes.values():
        for key in ("loopCondition", "completionCondition"):
            if node.loop_attributes.get(key):
                jq = condition(node.loop_attributes[key])
                if jq is not None:
                    node.loop_attributes[key] = jq
        if node.loop_attributes.get("loopCardinality") == "${integerVariable}":
            node.loop_attributes["loopCardinality"] = ".integerVariable"
        fields = node.event_fields.get("conditionalEventDefinition")
        if fields and fields.get("condition"):
            jq = condition(fields["condition"])
            if jq is not None:
                fields["condition"] = jq
        if node.kind == "scriptTask":
            jq = script(node.script)
            if jq is not None:
                node.script, node.script_format = jq, "jq"
        _translate(node.nodes, node.flows)
    for flow in flows.values():
        if flow.condition:
            jq = condition(flow.condition)
            if jq is not None:
                flow.condition = jq


def plan_of(case: dict[str, Any], process: str | None = None) -> Plan | DefinitionError:
    """The case's plan (or that of another process of its model), or why
    Baton refuses its model."""
    test = case["test"]
    path = BETSY / test["model"]
    try:
        model = translated(read_bpmn(path.read_bytes(), str(path)))
        return compile_bpmn(model, str(path), process or test["start_process"])
    except DefinitionError as exc:
        return exc


def timed(case: dict[str, Any]) -> bool:
    """Whether the case's model has timers (it runs on the time-skipping server)."""
    return bool(case["test"]["model_profile"].get("timers"))


def markers_of(case: dict[str, Any]) -> dict[str, str]:
    path = BETSY / case["test"]["model"]
    return markers(read_bpmn(path.read_bytes(), str(path)))


FEATURES = (
    # (what a test id starts with, the feature it tests), the first that matches
    ("cfpatterns/", "control-flow patterns"),
    ("gateways/", "gateways"),
    ("events/Compensation_", "compensation"),
    ("events/Cancel_", "compensation"),
    ("events/Error_", "error"),
    ("events/EventDefinitionRef_Error", "error"),
    ("errors/", "error"),
    ("events/Escalation_", "escalation"),
    ("events/Timer_", "timer"),
    ("events/EventDefinitionRef_Timer", "timer"),
    ("events/Message_", "message/signal"),
    ("events/Signal_", "message/signal"),
    ("events/Multiple_", "message/signal"),
    ("events/EventDefinitionRef_Signal", "message/signal"),
    ("activities/SendTask", "message/signal"),
    ("activities/ReceiveTask", "message/signal"),
    ("events/Conditional_", "conditional events"),
    ("activities/Loop_", "loops"),
    ("activities/MultiInstance_", "multi-instance"),
    ("activities/CallActivity_", "call activity"),
    ("activities/", "sub-processes and token quantities"),
    ("events/", "link and terminate events"),
    ("basics/", "basics and data"),
    ("data/", "basics and data"),
)


def feature(case: dict[str, Any]) -> str:
    """The feature a case tests, as issue 12 groups betsy's results."""
    test_id = case["test"]["id"]
    return next(name for prefix, name in FEATURES if test_id.startswith(prefix))


def expected_trace(case: dict[str, Any]) -> list[str]:
    """The case's expected trace — for the two cases cases.yaml marks
    upstream_inconsistent (their expected SCRIPT_task3 is in no script of
    the model), the one its note says to score: [task1, task2, task1]."""
    if case["test"].get("upstream_inconsistent"):
        return ["SCRIPT_task1", "SCRIPT_task2", "SCRIPT_task1"]
    return list(case["expected_trace"])


def refusal_expected(case: dict[str, Any]) -> bool:
    """A case that expects ERROR passes when the model is refused (betsy
    counts a deployment failure as ERROR then)."""
    return list(case["expected_trace"]) == ["ERROR"]


def observed(
    result: dict[str, Any],
    expected: list[str],
    logged: dict[str, str],
    secondary: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> Counter[str]:
    """The trace a run left — a marker for each script task instance that
    completed (so a run that failed later keeps what it did), MARKER_exists
    once when a secondary run (one started first, or by a message or
    signal) ran its marker task — with the ERROR markers betsy's harness
    adds. A run still running or waiting adds no ERROR marker."""
    trace: Counter[str] = Counter(
        logged[s["node_id"]]
        for s in result.get("steps", [])
        if s.get("status") == "COMPLETED"
        and s.get("node_id") in logged
        and logged[s["node_id"]] != "MARKER_exists"
    )
    nodes = {s["step_id"]: s.get("node_id") for s in result.get("steps", [])}
    for undone in result.get("compensations", []):
        handler = logged.get(f"undo:{nodes.get(undone['step_id'])}")
        if undone.get("status") == "COMPENSATED" and handler:
            trace[handler] += 1
    ran = [
        s
        for other in secondary
        for s in other.get("steps", [])
        if s.get("status") == "COMPLETED" and logged.get(str(s.get("node_id"))) == "MARKER_exists"
    ]
    if ran and "MARKER_exists" in expected:
        # an assertion upstream (assertMarkerExists), made only where a case asks
        trace["MARKER_exists"] = 1
    if result["status"] not in ("COMPLETED", "RUNNING"):
        thrown = str((result.get("error") or {}).get("type", "")).startswith("bpmn:error")
        marker = "ERROR_thrownErrorEvent" if thrown else "ERROR_runtime"
        trace["ERROR" if "ERROR" in expected else marker] += 1
    return trace
