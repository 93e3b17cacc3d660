"""A plan's wire form reads back to the same plan, whatever wrote it."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from temporalio.converter import DataConverter

from baton.plan.model import Plan, PlanStep, RunInput
from baton.plan.wire import plan_from_wire, run_input_from_wire, to_wire
from tests.histories.record import control_flow_plan, events_plan
from tests.support.sagas import api, saga, step


def test_every_kind_of_node_reads_back_to_the_same_plan(tmp_path: Path) -> None:
    for plan in (control_flow_plan(tmp_path / "log"), events_plan()):
        wire = json.loads(json.dumps(to_wire(RunInput(plan=plan, input={"x": [1]}))))
        assert run_input_from_wire(wire) == RunInput(plan=plan, input={"x": [1]})


def test_it_reads_what_the_sdk_converter_wrote() -> None:
    """Runs started with a RunInput dataclass (older Baton, or a user's own
    client) carry the SDK's encoding of it: the same object."""
    from baton.plan import compile_definition

    plan = compile_definition(saga(step("a", api("http://x/a")), step("b", api("http://x/b"))))
    (payload,) = DataConverter.default.payload_converter.to_payloads([RunInput(plan=plan)])
    assert run_input_from_wire(json.loads(payload.data)) == RunInput(plan=plan)


def test_missing_fields_take_defaults_and_unknown_ones_are_ignored() -> None:
    wire = {
        "kind": "saga",
        "id": "p",
        "name": "p",
        "format_version": 1,
        "steps": [{"id": "a", "name": "a", "action": {"type": "script"}, "from_the_future": 1}],
    }
    plan = plan_from_wire(wire)
    assert plan == Plan(
        kind="saga",
        id="p",
        name="p",
        format_version=1,
        steps=[PlanStep(id="a", name="a", action={"type": "script"})],
    )
    assert asdict(plan)["steps"][0]["join"] == "all"


def test_it_writes_what_asdict_writes_without_sharing_containers(tmp_path: Path) -> None:
    """``to_wire`` is a faster ``dataclasses.asdict``: the same form, and
    containers copied (changing the wire form leaves the plan alone)."""
    for plan in (control_flow_plan(tmp_path / "log"), events_plan()):
        run_input = RunInput(plan=plan, input={"x": [1]})
        wire = to_wire(run_input)
        assert wire == asdict(run_input)
        wire["plan"]["steps"][0]["action"]["changed"] = True
        wire["input"]["x"].append(2)
        assert "changed" not in plan.steps[0].action and run_input.input == {"x": [1]}
