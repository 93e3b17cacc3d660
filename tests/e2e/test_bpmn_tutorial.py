"""The tutorial of docs/bpmn.md, step by step, as a user runs it: the
Camunda Modeler model of examples/bpmn/order-approval with its external
tasks bound in baton.yaml to the stand-in services (``python -m
baton.testing.serve``), checked with ``baton validate``, started with
``baton run --no-wait``, its user task found with ``baton approvals
--pending --as`` and decided with ``baton approve`` (the order is confirmed)
or ``baton reject`` (the other branch: the customer is told), and the end
seen with ``baton status``. The only change to the example: the services'
port."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from baton.testing import free_port, until
from tests.support.cli import baton_cli
from tests.support.servers import answering

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bpmn" / "order-approval"
TUTORIAL_PORT = "127.0.0.1:8765"


@pytest_asyncio.fixture(loop_scope="session")
async def tutorial(tmp_path: Path) -> AsyncIterator[Path]:
    """The example in a directory of its own, with the stand-in services
    serving (on a free port, which its baton.yaml is changed to)."""
    port = free_port()
    folder = tmp_path / "order-approval"
    shutil.copytree(EXAMPLE, folder)
    config = folder / "baton.yaml"
    config.write_text(config.read_text().replace(TUTORIAL_PORT, f"127.0.0.1:{port}"))
    served = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.testing.serve",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await answering(f"http://127.0.0.1:{port}/health", healthy=True)
        yield folder
    finally:
        served.terminate()
        await served.wait()


async def run_tutorial(baton: Any, folder: Path, decide: list[str]) -> dict[str, Any]:
    """The tutorial's commands, the user task decided by ``decide``; the
    run's status document at the end."""

    async def cli(*args: str) -> tuple[int, str, str]:
        return await baton_cli(baton.settings, *args, cwd=folder)

    code, out, err = await cli("validate", "order.bpmn")
    assert code == 0, err
    assert "valid: order.bpmn: bpmn 'Order approval'" in out
    order = f"order-{uuid.uuid4().hex[:6]}"
    order_input = json.dumps({"customer": "ada", "amount": 250})
    code, out, err = await cli(
        "run", "order.bpmn", "--input", order_input, "--no-wait", "--id", order
    )
    assert code == 0, err
    assert f"started {order}" in out
    approval_id = f"{order}.Task_approve"

    async def listed() -> str | None:
        code, out, _ = await cli("approvals", "--pending", "--as", "dana")
        return out if code == 0 and approval_id in out else None

    inbox = await until(listed, timeout=30, interval=0.5)
    assert "Approve order" in inbox and "dana, eve" in inbox
    code, out, err = await cli(*decide[:1], approval_id, *decide[1:])
    assert code == 0, err
    assert f"recorded for {approval_id}" in out

    async def ended() -> dict[str, Any] | None:
        code, out, _ = await cli("status", order, "--json")
        state: dict[str, Any] = json.loads(out) if code == 0 else {}
        return state if state.get("status") not in (None, "RUNNING") else None

    state = await until(ended, timeout=60, interval=0.5)
    code, out, err = await cli("status", order)
    assert code == 0, err
    assert "COMPLETED" in out
    return state


async def test_the_tutorial_approved_confirms_the_order(baton, tutorial):
    state = await run_tutorial(
        baton, tutorial, ["approve", "--as", "dana", "--feedback", "good customer"]
    )
    assert state["status"] == "COMPLETED", state
    assert state["output"] == {
        "customer": "ada",
        "amount": 250,
        "account_id": "a-1",  # the stand-in's answer, merged into the variables
        "approved": True,
        "approver": "dana",
        "feedback": "good customer",
        "confirmation": {"received": True},
    }
    steps = {s["step_id"]: s["status"] for s in state["steps"]}
    assert steps["Task_confirm"] == "COMPLETED" and steps["Task_notify"] == "SKIPPED"


async def test_the_tutorial_rejected_takes_the_other_branch(baton, tutorial):
    state = await run_tutorial(
        baton, tutorial, ["reject", "--as", "eve", "--feedback", "over the limit"]
    )
    assert state["status"] == "COMPLETED", state
    assert state["output"] == {
        "customer": "ada",
        "amount": 250,
        "account_id": "a-1",
        "approved": False,
        "approver": "eve",
        "feedback": "over the limit",
        "notice": {"received": True},
    }
    steps = {s["step_id"]: s["status"] for s in state["steps"]}
    assert steps["Task_notify"] == "COMPLETED" and steps["Task_confirm"] == "SKIPPED"
