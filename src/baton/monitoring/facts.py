"""What health checks look at, read from the Temporal server: a run's status
document, its pending activities, the workers polling its task queue, and
how long its steps usually take (from completed runs of the same
definition). Reads only — no worker is needed for a run that has ended."""

from __future__ import annotations

import re
import statistics
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import WorkflowExecutionStatus

from ..errors import BatonError
from .health import PendingActivity, RunFacts, seconds_between

if TYPE_CHECKING:
    from ..runtime.client import TemporalWorkflowClient

# Baton's activity ids: <step key>.<phase>.<attempt>[.<worker losses>]
_ACTIVITY_ID = re.compile(r"^(?P<key>.*)\.(forward|compensation|settle|cleanup)\.\d+(\.\d+)?$")
BASELINE_RUNS = 20  # completed runs a step's usual duration is taken from


def step_of(activity_id: str) -> str:
    """The step key an activity id belongs to."""
    found = _ACTIVITY_ID.match(activity_id)
    return found.group("key") if found else activity_id


async def poller_ages(
    client: TemporalWorkflowClient, task_queue: str, kind: str = "workflow"
) -> tuple[float, ...]:
    """Seconds since the server last heard from each worker polling
    ``task_queue`` for ``kind`` ("workflow" or "activity") tasks. The server
    lists a worker for minutes after it stopped: the age tells."""
    temporal = await client.connect()
    response = await temporal.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.settings.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=(
                TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
                if kind == "workflow"
                else TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
            ),
        )
    )
    now = time.time()
    return tuple(
        max(0.0, now - poller.last_access_time.ToMicroseconds() / 1e6)
        for poller in response.pollers
    )


async def gather(
    client: TemporalWorkflowClient,
    workflow_id: str,
    *,
    baselines: dict[str, tuple[dict[str, float], int]] | None = None,
    pollers: dict[tuple[str, str], tuple[float, ...]] | None = None,
) -> RunFacts:
    """The facts of one run. ``baselines`` (usual step durations by
    definition name) and ``pollers`` (by task queue) are caches for a sweep
    over many runs."""
    silence = client.baton_file.monitoring.thresholds(client.settings).worker_silence_seconds

    async def answered(desc: Any) -> bool:
        # a run on a queue no worker polls cannot answer its query: say so at
        # once rather than wait out the query's timeout, run after run
        ages = await _ages(client, desc.task_queue, "workflow", pollers)
        return any(age <= silence for age in ages)

    status, desc = await client.described_status(workflow_id, answered=answered)
    running = desc.status == WorkflowExecutionStatus.RUNNING
    now = datetime.now(timezone.utc)
    if not running:
        return RunFacts(workflow_id, status, now, task_queue=desc.task_queue, run_id=desc.run_id)
    pending = tuple(
        PendingActivity(
            step_id=step_of(p.activity_id),
            activity_type=p.activity_type.name,
            state=_state_name(p.state),
            scheduled_at=_when(p.scheduled_time) if p.HasField("scheduled_time") else None,
            last_heartbeat_at=(
                _when(p.last_heartbeat_time) if p.HasField("last_heartbeat_time") else None
            ),
        )
        for p in desc.raw_description.pending_activities
    )
    usual: dict[str, float] = {}
    runs = 0
    name = status.get("name")
    if name and status.get("kind") in ("saga", "process", "project", "bpmn"):
        cache = baselines if baselines is not None else {}
        if name not in cache:
            cache[name] = await usual_durations(client, str(name))
        usual, runs = cache[name]
    return RunFacts(
        workflow_id,
        status,
        now,
        task_queue=desc.task_queue,
        run_id=desc.run_id,
        running=True,
        pending=pending,
        workflow_pollers=await _ages(client, desc.task_queue, "workflow", pollers),
        activity_pollers=await _ages(client, desc.task_queue, "activity", pollers),
        usual_seconds=usual,
        baseline_runs=runs,
    )


async def _ages(
    client: TemporalWorkflowClient,
    queue: str,
    kind: str,
    cache: dict[tuple[str, str], tuple[float, ...]] | None,
) -> tuple[float, ...]:
    if cache is None:
        return await poller_ages(client, queue, kind)
    if (queue, kind) not in cache:
        cache[(queue, kind)] = await poller_ages(client, queue, kind)
    return cache[(queue, kind)]


async def usual_durations(
    client: TemporalWorkflowClient, name: str
) -> tuple[dict[str, float], int]:
    """Median seconds of each step over the last completed runs of the
    definition named ``name``, and how many runs that was."""
    quoted = name.replace("\\", "\\\\").replace("'", "\\'")
    rows = await client.list_runs(
        limit=BASELINE_RUNS, query=f"BatonName = '{quoted}' AND ExecutionStatus = 'Completed'"
    )
    durations: dict[str, list[float]] = {}
    runs = 0
    for row in rows:
        try:
            doc = await client.result(row["workflow_id"])
        except BatonError:
            continue
        if doc.get("status") != "COMPLETED":
            continue
        runs += 1
        for step in doc.get("steps") or []:
            seconds = seconds_between(step.get("started_at"), step.get("completed_at"))
            if step.get("status") == "COMPLETED" and seconds is not None:
                durations.setdefault(step.get("node_id") or step["step_id"], []).append(seconds)
    return {key: statistics.median(values) for key, values in durations.items()}, runs


def _when(stamp: Any) -> datetime:
    return datetime.fromtimestamp(stamp.ToMicroseconds() / 1e6, timezone.utc)


def _state_name(state: Any) -> str:
    from temporalio.api.enums.v1 import PendingActivityState

    return PendingActivityState.Name(state).removeprefix("PENDING_ACTIVITY_STATE_")
