"""The refusal log of an approval: refused decisions kept outside the approval
workflow's own history.

A decision that is refused before it reaches the approval's state (a bad
credential, someone who may not decide, a repeated vote, a decision after the
end) is rejected by the update's validator, so it never enters the approval's
history nor uses up Temporal's per-workflow update limit. The worker (or, for
an approval that already ended, the client) records it here instead: one small
workflow per approval, id ``baton-refusals/<approval_id>``, whose signals are
the records. ``baton history`` reads them from its event history, so no worker
is needed to read them and they outlive the log workflow itself. The log
closes after a day without refusals and is started again by the next one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

REFUSAL_LOG_WORKFLOW_NAME = "BatonRefusalLog"
REFUSAL_SIGNAL = "refused"
IDLE = timedelta(days=1)
# A run carries at most this many signals, then continues as new, so its
# history stays small whatever arrives.
SIGNALS_PER_RUN = 500


def refusal_log_id(approval_id: str) -> str:
    return f"baton-refusals/{approval_id}"


@dataclass
class RefusalRecord:
    """One refused decision or delegation (``count`` > 1: that many refusals
    of the same caller for the same reason, recorded once)."""

    at: str
    approval_id: str
    event: str  # decision_refused | delegation_refused
    actor: str | None
    detail: str
    source: str  # "worker" (checked there) or "client" (the approval had ended)
    via: str | None = None  # cli | api | mcp | link, when the caller signed it
    count: int = 1


@dataclass
class RefusalLogInput:
    approval_id: str


@workflow.defn(name=REFUSAL_LOG_WORKFLOW_NAME, sandboxed=False)
class RefusalLogWorkflow:
    """Holds signals; its history is the log."""

    def __init__(self) -> None:
        self._received = 0
        self._quiet = True

    @workflow.signal(name=REFUSAL_SIGNAL)
    def refused(self, records: list[RefusalRecord]) -> None:
        self._received += 1
        self._quiet = False

    @workflow.run
    async def run(self, input: RefusalLogInput) -> None:
        while self._received < SIGNALS_PER_RUN:
            self._quiet = True
            try:
                await workflow.wait_condition(lambda: not self._quiet, timeout=IDLE)
            except asyncio.TimeoutError:
                return
        workflow.continue_as_new(input)
