"""What a Temporal user would write by hand for M sequential steps: the
benchmark's baseline. Its own module so the workflow sandbox can load it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton.actions.types import ActionRequest

NOOP = {"type": "python", "function": "_bench_steps:noop", "args": []}
TIMEOUT = timedelta(seconds=60)


def request(index: int, action: dict) -> ActionRequest:
    """Step ``index``'s first attempt of ``action``, as Baton's interpreter asks."""
    return ActionRequest(
        workflow_id=workflow.info().workflow_id,
        step_id=f"s{index}",
        phase="forward",
        attempt=1,
        action=action,
        timeout_seconds=TIMEOUT.total_seconds(),
    )


@workflow.defn(name="HandWrittenSteps")
class HandWrittenSteps:
    @workflow.run
    async def run(self, steps: int) -> int:
        for index in range(steps):
            await workflow.execute_activity(
                "baton.python", request(index, NOOP), start_to_close_timeout=TIMEOUT
            )
        return steps


@workflow.defn(name="HandWrittenLocalSteps")
class HandWrittenLocalSteps:
    """The same steps as local activities (``workflow.execute_local_activity``)."""

    @workflow.run
    async def run(self, steps: int) -> int:
        for index in range(steps):
            await workflow.execute_local_activity(
                "baton.python", request(index, NOOP), start_to_close_timeout=TIMEOUT
            )
        return steps


STEPS = 10  # the process benchmark's sequential calls


@workflow.defn(name="HandWrittenHttp")
class HandWrittenHttp:
    @workflow.run
    async def run(self, url: str) -> int:
        for index in range(STEPS):
            action = {"type": "http", "method": "GET", "endpoint": url, "output": "content"}
            await workflow.execute_activity(
                "baton.http", request(index, action), start_to_close_timeout=TIMEOUT
            )
        return STEPS
