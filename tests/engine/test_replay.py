"""Committed histories must replay on the current workflow code: a failure
here means a change would break runs already in flight."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from baton.engine.approval import HumanApprovalWorkflow
from baton.engine.interpreter import ProcessWorkflow
from baton.runtime.worker import BATON_WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_histories_are_committed():
    assert len(HISTORIES) >= 4


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    # every workflow a Baton worker runs (runtime/worker.py)
    await Replayer(workflows=list(BATON_WORKFLOWS)).replay_workflow(history)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_plan_with_a_diagram_replays_the_same_history():
    """The model's diagram (PlanOptions.diagram) is data only: the recorded
    BPMN run, its input given the diagram of the model it ran, replays
    command for command."""
    import base64
    import json

    path = HISTORIES[0].parent / "bpmn_order_routing.json"
    model = path.parents[2] / "examples" / "bpmn" / "order_routing.bpmn"
    data = json.loads(path.read_text())
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = started["input"]["payloads"][0]
    run_input = json.loads(base64.b64decode(payload["data"]))
    assert "diagram" not in run_input["plan"]["options"]  # recorded before the field
    run_input["plan"]["options"]["diagram"] = model.read_text()
    run_input["plan"]["options"]["diagram_ids"] = {"size>x": "size"}
    payload["data"] = base64.b64encode(json.dumps(run_input).encode()).decode()
    history = WorkflowHistory.from_json("replay-with-diagram", json.dumps(data))
    await Replayer(workflows=[ProcessWorkflow, HumanApprovalWorkflow]).replay_workflow(history)
