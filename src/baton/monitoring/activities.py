"""The activities of the operations workflows (baton.engine.operations), on
the worker: a recovery's actions, and a monitor sweep. Both use the worker's
own connection and baton.yaml (its channels, approvers and policies)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import activity

from ..config import BatonFile, Settings
from ..engine.operations import (
    RECOVER_ACTIVITY,
    SWEEP_ACTIVITY,
    RecoveryRequest,
    SweepRequest,
)
from ..errors import BatonError
from .facts import gather
from .health import CRITICAL, HEALTHY, check_run
from .policies import holds, measures, parse_policy
from .recovery import Recoverer
from .starting import start_recovery

MAX_LISTED_ISSUES = 100


class OperationsActivities:
    def __init__(self, baton_file: BatonFile, settings: Settings) -> None:
        self.baton_file = baton_file
        self.settings = settings

    def _client(self, origin: str) -> Any:
        from ..runtime.client import TemporalWorkflowClient

        return TemporalWorkflowClient(
            self.settings, temporal=activity.client(), baton_file=self.baton_file, via=origin
        )

    @activity.defn(name=RECOVER_ACTIVITY)
    async def recover(self, request: RecoveryRequest) -> dict[str, Any]:
        recoverer = Recoverer(self._client(request.origin), self.baton_file)
        return (await recoverer.run(request)).to_dict()

    @activity.defn(name=SWEEP_ACTIVITY)
    async def monitor_sweep(self, request: SweepRequest) -> dict[str, Any]:
        """Check the open runs and those that ended since the last sweep;
        apply the policies; start the recoveries they call for."""
        client = self._client("api")
        config = self.baton_file.monitoring
        thresholds = config.thresholds(self.settings)
        policies = [(p, "api") for p in config.policies] + [
            (parse_policy(raw), request.policies_origin) for raw in request.policies
        ]
        now = datetime.now(timezone.utc)
        window = timedelta(seconds=max(600.0, 2 * request.interval_seconds))
        since = (now - window).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        # the runs of this task queue (the schedule is the queue's)
        queue = f"TaskQueue = '{activity.info().task_queue}'"
        rows = await client.list_runs(
            limit=config.sweep_limit, query=f"{queue} AND ExecutionStatus = 'Running'"
        )
        rows += await client.list_runs(
            limit=config.sweep_limit,
            query=f"{queue} AND ExecutionStatus != 'Running' AND CloseTime > '{since}'",
        )
        unique = {row["workflow_id"]: row for row in rows}
        baselines: dict[str, Any] = {}
        pollers: dict[tuple[str, str], tuple[float, ...]] = {}
        summary: dict[str, Any] = {
            "checked": 0,
            "healthy": 0,
            "warning": 0,
            "critical": 0,
            "issues": [],
            "recoveries": [],
            "skipped": [],
            "at": now.isoformat(),
        }
        for workflow_id in unique:
            activity.heartbeat(workflow_id)
            try:
                facts = await gather(client, workflow_id, baselines=baselines, pollers=pollers)
            except BatonError:
                continue  # gone since it was listed
            report = check_run(facts, thresholds)
            summary["checked"] += 1
            summary[report.status if report.status in (HEALTHY, CRITICAL) else "warning"] += 1
            for issue in report.issues_detected:
                if len(summary["issues"]) < MAX_LISTED_ISSUES:
                    summary["issues"].append({"workflow_id": workflow_id, **issue.to_dict()})
            values = measures(facts.status, report, facts.now)
            for policy, origin in policies:
                if not policy.covers(report.kind, report.name):
                    continue
                applies, why = holds(policy.conditions, values)
                if not applies:
                    continue
                handle, said = await start_recovery(
                    client,
                    workflow_id,
                    list(policy.recovery_actions),
                    f"policy {policy.policy_id} ({policy.name}): {why}",
                    policy=policy,
                    target_run_id=facts.run_id,
                    target_closed=not facts.running,
                    issues=[str(i) for i in report.issues_detected],
                    origin=origin,
                )
                if handle is not None:
                    summary["recoveries"].append(said)
                else:
                    summary["skipped"].append({"workflow_id": workflow_id, "why": said})
        return summary


def summary_line(summary: dict[str, Any]) -> str:
    return (
        f"{summary['checked']} runs: {summary['healthy']} healthy, {summary['warning']} warning, "
        f"{summary['critical']} critical; {len(summary['recoveries'])} recoveries started"
    )
