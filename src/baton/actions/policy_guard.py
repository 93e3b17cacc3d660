"""The worker's check of which action types a run may execute: an activity
interceptor in front of every action executor. A definition from an entry
point that may not submit an action type (``script`` and ``python`` from MCP
or a trigger, by default) fails that step — not retried — whatever a client
claimed when it started the run."""

from __future__ import annotations

from typing import Any

from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from ..policy import ExecutionPolicy
from ._support import non_retryable
from .types import ActionRequest


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
        return await super().execute_activity(input)
