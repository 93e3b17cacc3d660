"""Committed histories must replay on the current workflow code: a failure
here means a change would break runs already in flight."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from baton.engine.approval import HumanApprovalWorkflow
from baton.engine.interpreter import ProcessWorkflow

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_histories_are_committed():
    assert len(HISTORIES) >= 4


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    await Replayer(workflows=[ProcessWorkflow, HumanApprovalWorkflow]).replay_workflow(history)
