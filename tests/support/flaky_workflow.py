"""A user's own workflow calling a ``@checkpointed`` activity (defined by
the test) that Temporal retries (its own module for the sandbox)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy


@workflow.defn(name="tests.FlakyCountWorkflow")
class FlakyCountWorkflow:
    @workflow.run
    async def run(self, args: dict[str, Any]) -> Any:
        return await workflow.execute_activity(
            "tests.flaky_count",
            args,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=0.2)),
        )
