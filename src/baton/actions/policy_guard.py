"""The worker's checks around every action executor (an activity
interceptor): a definition from an entry point that may not submit an action
type (``script`` and ``python`` from MCP or a trigger, by default) fails that
step — not retried — whatever a client claimed when it started the run; and
an output too large to keep in history fails the step instead of the run;
and credentials in an error message (a URL's password, an ``api_key=``
value, a bearer token) are masked before it is recorded or logged."""

from __future__ import annotations

import json
from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from ..policy import ExecutionPolicy
from ..redact import redact
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
        try:
            result = await super().execute_activity(input)
        except ApplicationError as exc:
            shown = redact(exc.message)
            if shown == exc.message:
                raise
            raise ApplicationError(shown, type=exc.type, non_retryable=exc.non_retryable) from None
        if isinstance(request, ActionRequest):
            size = len(json.dumps(result, default=str).encode())
            if size > MAX_STEP_OUTPUT_BYTES:
                raise non_retryable(
                    f"the step's output is {size:,} bytes; at most {MAX_STEP_OUTPUT_BYTES:,} are "
                    "kept in the run's history: return a reference (a URL, a path) instead",
                    "OutputTooLarge",
                )
        return result
