"""The worker's checks around every action executor (an activity
interceptor): a definition from an entry point that may not submit an action
type (``script`` and ``python`` from MCP or a trigger, by default) fails that
step — not retried — whatever a client claimed when it started the run; and
an output too large to keep in history fails the step instead of the run."""

from __future__ import annotations

import json
from typing import Any

from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from ..policy import ExecutionPolicy
from ._support import non_retryable
from .types import ActionRequest

# A step's output is recorded in history (and returned with the status).
MAX_STEP_OUTPUT_BYTES = 256 * 1024


class ActionPolicyGuard(Interceptor):
    def __init__(self, policy: ExecutionPolicy) -> None:
        self.policy = policy

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self.policy)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, policy: ExecutionPolicy) -> None:
        super().__init__(next)
        self.policy = policy

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        request = input.args[0] if input.args else None
        if isinstance(request, ActionRequest):
            refusal = self.policy.action_refusal(
                str(request.action.get("type", "")), request.origin
            )
            if refusal:
                raise non_retryable(f"refused by the execution policy: {refusal}", "PolicyDenied")
        result = await super().execute_activity(input)
        if isinstance(request, ActionRequest):
            size = len(json.dumps(result, default=str).encode())
            if size > MAX_STEP_OUTPUT_BYTES:
                raise non_retryable(
                    f"the step's output is {size:,} bytes; at most {MAX_STEP_OUTPUT_BYTES:,} are "
                    "kept in the run's history: return a reference (a URL, a path) instead",
                    "OutputTooLarge",
                )
        return result
