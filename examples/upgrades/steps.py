"""Workflow-side helper shared by every version: one step = one run of
Baton's ``baton.python`` activity calling a function of :mod:`.shop`."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton.actions.types import ActionRequest

SHOP = "examples.upgrades.shop"


async def run_step(function: str, order_id: str) -> str:
    """Run ``shop.<function>(order_id)``; the name of the step that ran.

    The activity id is the step's name: every step runs the same activity
    type, and Temporal checks a replay against history by activity type and
    id, not by input, so with the SDK's default ids (1, 2, 3…) a change of
    step order would replay unnoticed, handing each step another's result."""
    done = await workflow.execute_activity(
        "baton.python",
        ActionRequest(
            workflow_id=workflow.info().workflow_id,
            step_id=function,
            phase="forward",
            attempt=1,
            action={"type": "python", "function": f"{SHOP}:{function}", "args": [order_id]},
            timeout_seconds=30,
        ),
        activity_id=function,
        start_to_close_timeout=timedelta(seconds=30),
    )
    return str(done["step"])
