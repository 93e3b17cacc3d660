"""A user's own Temporal workflow, started through Baton's client and run by
a Baton worker beside the interpreter (its own module for the sandbox)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton.actions.types import ActionRequest


@workflow.defn
class AddNumbersWorkflow:
    @workflow.run
    async def run(self, args: dict[str, Any]) -> Any:
        return await workflow.execute_activity(
            "baton.python",
            ActionRequest(
                workflow_id=workflow.info().workflow_id,
                step_id="add",
                phase="forward",
                attempt=1,
                action={
                    "type": "python",
                    "function": "tests.support.pyfuncs:add",
                    "args": [args["a"], args["b"]],
                },
                timeout_seconds=30,
            ),
            start_to_close_timeout=timedelta(seconds=30),
        )
