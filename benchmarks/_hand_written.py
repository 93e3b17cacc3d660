"""What a Temporal user would write by hand for M sequential steps: the
benchmark's baseline. Its own module so the workflow sandbox can load it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton.actions.types import ActionRequest

NOOP = {"type": "python", "function": "_bench_steps:noop", "args": []}


@workflow.defn(name="HandWrittenSteps")
class HandWrittenSteps:
    @workflow.run
    async def run(self, steps: int) -> int:
        for index in range(steps):
            await workflow.execute_activity(
                "baton.python",
                ActionRequest(
                    workflow_id=workflow.info().workflow_id,
                    step_id=f"s{index}",
                    phase="forward",
                    attempt=1,
                    action=NOOP,
                    timeout_seconds=60,
                ),
                start_to_close_timeout=timedelta(seconds=60),
            )
        return steps


@workflow.defn(name="HandWrittenLocalSteps")
class HandWrittenLocalSteps:
    """The same steps as local activities (``workflow.execute_local_activity``)."""

    @workflow.run
    async def run(self, steps: int) -> int:
        for index in range(steps):
            await workflow.execute_local_activity(
                "baton.python",
                ActionRequest(
                    workflow_id=workflow.info().workflow_id,
                    step_id=f"s{index}",
                    phase="forward",
                    attempt=1,
                    action=NOOP,
                    timeout_seconds=60,
                ),
                start_to_close_timeout=timedelta(seconds=60),
            )
        return steps


STEPS = 10  # the process benchmark's sequential calls


@workflow.defn(name="HandWrittenHttp")
class HandWrittenHttp:
    @workflow.run
    async def run(self, url: str) -> int:
        for index in range(STEPS):
            await workflow.execute_activity(
                "baton.http",
                ActionRequest(
                    workflow_id=workflow.info().workflow_id,
                    step_id=f"s{index}",
                    phase="forward",
                    attempt=1,
                    action={"type": "http", "method": "GET", "endpoint": url, "output": "content"},
                    timeout_seconds=60,
                ),
                start_to_close_timeout=timedelta(seconds=60),
            )
        return STEPS
