"""The operations workflows: a recovery, and one health sweep of the monitor.

A **recovery** (id ``baton-recovery:<policy id or manual>:<run id>:<n>``)
carries out its actions in one activity on a worker and returns what each
did; its input and result are the record (policy, reason, outcome), kept by
the server. Its id is the attempt count: a policy's attempt ``n`` on a run
can start once (Temporal refuses a second workflow with that id), so
``max_recovery_attempts`` holds across restarts of workers and monitor.

A **sweep** is started by the Temporal Schedule ``baton-monitor/<task
queue>`` every ``WORKFLOW_HEALTH_CHECK_INTERVAL`` seconds (one at a time,
however many workers run): one activity checks the runs, applies the
policies and starts the recoveries they call for; its result is the
sweep's summary.

Both are thin and deterministic: all I/O is in their activities
(:mod:`baton.monitoring.activities`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

RECOVERY_WORKFLOW_NAME = "BatonRecovery"
MONITOR_WORKFLOW_NAME = "BatonMonitorSweep"
RECOVER_ACTIVITY = "baton.recover"
SWEEP_ACTIVITY = "baton.monitor_sweep"
RECOVERY_PREFIX = "baton-recovery:"


def recovery_id(policy_id: str | None, workflow_id: str, attempt: int) -> str:
    return f"{RECOVERY_PREFIX}{policy_id or 'manual'}:{workflow_id}:{attempt}"


def monitor_schedule_id(task_queue: str) -> str:
    return f"baton-monitor/{task_queue}"


@dataclass
class RecoveryRequest:
    recovery_id: str
    workflow_id: str
    actions: list[str]
    reason: str
    policy_id: str | None = None
    attempt: int = 1
    notification_channels: list[str] = field(default_factory=list)
    escalate_to: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)  # the health issues, in words
    origin: str = "api"  # the entry point that asked (monitor: the worker's own)


@dataclass
class SweepRequest:
    interval_seconds: float
    # policies given through the API (start_monitoring / add_recovery_policy),
    # as dicts; the worker adds those of its baton.yaml
    policies: list[dict[str, Any]] = field(default_factory=list)
    policies_origin: str = "api"  # the entry point that gave them


@workflow.defn(name=RECOVERY_WORKFLOW_NAME, sandboxed=False)
class RecoveryWorkflow:
    @workflow.run
    async def run(self, request: RecoveryRequest) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            RECOVER_ACTIVITY,
            request,
            start_to_close_timeout=timedelta(minutes=5),
            # the actions are idempotent under this recovery's id
            retry_policy=RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=30)),
        )
        return result


@workflow.defn(name=MONITOR_WORKFLOW_NAME, sandboxed=False)
class MonitorSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            SWEEP_ACTIVITY,
            request,
            start_to_close_timeout=timedelta(seconds=max(120.0, request.interval_seconds * 2)),
            heartbeat_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_attempts=2),
        )
        return result
