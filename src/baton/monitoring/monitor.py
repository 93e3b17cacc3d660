"""The seed's ``WorkflowMonitor``: health checks, the dashboard's data,
recoveries and their policies, and the durable monitor itself — a Temporal
Schedule that starts a health sweep every ``WORKFLOW_HEALTH_CHECK_INTERVAL``
seconds (baton.engine.operations). One implementation for the Python API,
``baton health|recover|policies``, MCP and the dashboard::

    monitor = get_workflow_monitor()
    await monitor.start_monitoring()
    health = await monitor.perform_health_check("workflow-123")
    dashboard = await monitor.get_workflow_dashboard_data()
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from ..engine.operations import MONITOR_WORKFLOW_NAME, SweepRequest, monitor_schedule_id
from ..errors import BatonError, ConfigError
from .facts import gather
from .health import CRITICAL, HEALTHY, WARNING, HealthReport, RunFacts, check_run
from .policies import RecoveryAction, RecoveryPolicy, measures, parse_policy
from .recovery import RecoveryResult
from .starting import recoveries, start_recovery

if TYPE_CHECKING:
    from ..runtime.client import TemporalWorkflowClient

OPEN_STATUSES = ("RUNNING", "COMPENSATING", "PENDING", "WAITING")
FAILED_STATUSES = ("FAILED", "TERMINATED", "TIMED_OUT", "COMPENSATED")
SUMMARY_RUNS = 200  # the dashboard summary covers the newest this many runs
SUMMARY_CONCURRENCY = 16  # open runs whose facts are read at once


class WorkflowMonitor:
    def __init__(self, client: TemporalWorkflowClient | None = None) -> None:
        if client is None:
            from ..runtime.client import TemporalWorkflowClient

            client = TemporalWorkflowClient()
        self.client = client

    @property
    def settings(self) -> Any:
        return self.client.settings

    # ---- the durable monitor -----------------------------------------------

    async def start_monitoring(
        self, interval_seconds: float | None = None, *, resume: bool = True
    ) -> dict[str, Any]:
        """Create (or update) the monitor's schedule: a sweep every
        ``interval_seconds`` (default ``WORKFLOW_HEALTH_CHECK_INTERVAL``, 300),
        one at a time, by whichever worker polls the task queue; and resume
        it if it was paused (``resume=False``, as ``baton up`` and ``baton
        worker`` call it, leaves a paused monitor paused). With
        ``WORKFLOW_MONITORING_ENABLED=false`` nothing is scheduled."""
        if not self.settings.monitoring_enabled:
            return {"enabled": False, "note": "WORKFLOW_MONITORING_ENABLED is false"}
        interval = float(interval_seconds or self.settings.health_check_interval)
        if interval < 10:
            raise ConfigError("the health check interval must be at least 10 seconds")
        policies = await self._api_policies()
        await self._put_schedule(
            SweepRequest(interval, [p.to_dict() for p in policies]), resume=resume
        )
        return {
            "enabled": True,
            "schedule_id": monitor_schedule_id(self.settings.task_queue),
            "interval_seconds": interval,
            "policies": [p.policy_id for p in self.policies()] + [p.policy_id for p in policies],
        }

    async def stop_monitoring(self) -> None:
        """Pause the schedule (``start_monitoring`` resumes it)."""
        handle = await self._schedule_handle()
        try:
            await handle.pause(note="stop_monitoring")
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise

    async def monitoring_state(self) -> dict[str, Any]:
        """Whether the schedule exists, runs, its interval, and the last sweep."""
        desc = await self._describe_schedule()
        if desc is None:
            return {"scheduled": False}
        return {
            "scheduled": True,
            "paused": desc.schedule.state.paused,
            "interval_seconds": _interval(desc),
            "last_sweep": await self.last_sweep(),
        }

    async def _describe_schedule(self) -> Any:
        """The schedule's description, or None when there is no schedule."""
        handle = await self._schedule_handle()
        try:
            return await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    async def last_sweep(self) -> dict[str, Any] | None:
        """The newest finished sweep's summary."""
        temporal = await self.client.connect()
        query = (
            f"WorkflowType = '{MONITOR_WORKFLOW_NAME}' AND ExecutionStatus = 'Completed' "
            f"AND TaskQueue = '{self.settings.task_queue}'"
        )
        async for wf in temporal.list_workflows(query, limit=1):
            result: dict[str, Any] = await temporal.get_workflow_handle(
                wf.id, run_id=wf.run_id
            ).result()
            return result
        return None

    async def _schedule_handle(self) -> Any:
        temporal = await self.client.connect()
        return temporal.get_schedule_handle(monitor_schedule_id(self.settings.task_queue))

    async def _put_schedule(
        self, request: SweepRequest, *, paused: bool = False, resume: bool = False
    ) -> None:
        """Create the schedule (paused if asked), or update its sweep and
        interval — keeping it paused if someone paused it (stop_monitoring),
        so a worker starting again does not undo that, unless ``resume``."""
        temporal = await self.client.connect()
        queue = self.settings.task_queue
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                MONITOR_WORKFLOW_NAME,
                request,
                id=f"baton-monitor-sweep/{queue}",
                task_queue=queue,
            ),
            spec=ScheduleSpec(
                intervals=[ScheduleIntervalSpec(every=timedelta(seconds=request.interval_seconds))]
            ),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            state=ScheduleState(note="Baton's health sweeps (docs/operations.md)", paused=paused),
        )
        try:
            await temporal.create_schedule(monitor_schedule_id(queue), schedule)
        except ScheduleAlreadyRunningError:
            handle = temporal.get_schedule_handle(monitor_schedule_id(queue))

            def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
                if not resume:
                    schedule.state = current.description.schedule.state
                return ScheduleUpdate(schedule=schedule)

            await handle.update(keep_state)

    # ---- policies -------------------------------------------------------------

    def policies(self) -> list[RecoveryPolicy]:
        """The policies of baton.yaml (the workers' file applies)."""
        return list(self.client.baton_file.monitoring.policies)

    async def _api_policies(self) -> list[RecoveryPolicy]:
        """The policies added through the API, kept in the schedule."""
        desc = await self._describe_schedule()
        if desc is None:
            return []
        action = desc.schedule.action
        if not isinstance(action, ScheduleActionStartWorkflow) or not action.args:
            return []
        temporal = await self.client.connect()
        (request,) = await temporal.data_converter.decode(list(action.args), [SweepRequest])
        return [parse_policy(raw) for raw in request.policies]

    async def list_recovery_policies(self) -> list[dict[str, Any]]:
        return [{**p.to_dict(), "source": "baton.yaml"} for p in self.policies()] + [
            {**p.to_dict(), "source": "api"} for p in await self._api_policies()
        ]

    async def add_recovery_policy(self, policy: RecoveryPolicy | dict[str, Any]) -> None:
        """Add (or replace, by ``policy_id``) a policy the monitor applies;
        kept with the schedule, so every worker's sweeps apply it."""
        if isinstance(policy, dict):
            try:
                policy = parse_policy(policy)
            except ValueError as exc:
                raise ConfigError(f"recovery policy: {exc}") from None
        if any(p.policy_id == policy.policy_id for p in self.policies()):
            raise ConfigError(
                f"policy {policy.policy_id!r} is defined in baton.yaml; change it there"
            )
        kept = [p for p in await self._api_policies() if p.policy_id != policy.policy_id]
        await self._set_policies([*kept, policy])

    async def remove_recovery_policy(self, policy_id: str) -> bool:
        current = await self._api_policies()
        kept = [p for p in current if p.policy_id != policy_id]
        if len(kept) == len(current):
            return False
        await self._set_policies(kept)
        return True

    async def _set_policies(self, policies: list[RecoveryPolicy]) -> None:
        desc = await self._describe_schedule()
        interval = (desc and _interval(desc)) or self.settings.health_check_interval
        request = SweepRequest(float(interval), [p.to_dict() for p in policies], self.client.origin)
        # a schedule made here, with monitoring off, waits paused for it
        await self._put_schedule(request, paused=not self.settings.monitoring_enabled)

    # ---- health ---------------------------------------------------------------

    async def perform_health_check(self, workflow_id: str) -> HealthReport:
        facts = await gather(self.client, workflow_id)
        return check_run(facts, self.client.baton_file.monitoring.thresholds(self.settings))

    async def get_workflow_dashboard_data(self, workflow_id: str | None = None) -> dict[str, Any]:
        """With an id: the run's ``metrics`` and ``health``. Without: a
        ``summary`` of the newest runs (open ones checked in full), the
        workers, the last sweep and recent recoveries."""
        if workflow_id is not None:
            return await self._run_data(workflow_id)
        return await self._summary()

    async def _run_data(self, workflow_id: str) -> dict[str, Any]:
        facts = await gather(self.client, workflow_id)
        report = check_run(facts, self.client.baton_file.monitoring.thresholds(self.settings))
        doc = facts.status
        values = measures(doc, report, facts.now)
        steps = doc.get("steps") or []
        progress = doc.get("progress") or {}
        total = progress.get("total") or len(steps)
        completed = progress.get("completed", 0)
        return {
            "workflow_id": workflow_id,
            "kind": report.kind,
            "name": report.name,
            "healthy": report.healthy,
            "metrics": {
                "status": doc.get("status"),
                "completion_rate": round(completed / total, 4) if total else None,
                "progress": progress or None,
                "steps_failed": sum(1 for s in steps if s.get("status") == "FAILED"),
                "attempts": sum(s.get("attempts") or 0 for s in steps),
                "failed_attempts": values["failed_attempts"],
                "error_rate": round(values["error_rate"], 4),
                "compensations": len(doc.get("compensations") or []),
                "execution_time_hours": round(values["execution_time_hours"], 4),
            },
            "health": report.to_dict(),
        }

    async def _summary(self) -> dict[str, Any]:
        thresholds = self.client.baton_file.monitoring.thresholds(self.settings)
        runs = await self.client.list_runs(limit=SUMMARY_RUNS)
        by_status: dict[str, int] = {}
        healthy = warning = critical = 0
        attention: list[dict[str, Any]] = []
        baselines: dict[str, Any] = {}
        pollers: dict[tuple[str, str], tuple[float, ...]] = {}
        slots = asyncio.Semaphore(SUMMARY_CONCURRENCY)

        async def facts_of(workflow_id: str) -> RunFacts | None:
            async with slots:
                try:
                    return await gather(
                        self.client, workflow_id, baselines=baselines, pollers=pollers
                    )
                except BatonError:
                    return None

        # the open runs' facts, read side by side (each is a few calls)
        open_ids = [r["workflow_id"] for r in runs if (r.get("status") or "") in OPEN_STATUSES]
        facts_read = await asyncio.gather(*(facts_of(i) for i in open_ids))
        found = dict(zip(open_ids, facts_read, strict=True))
        for run in runs:
            status = run.get("status") or "UNKNOWN"
            by_status[status] = by_status.get(status, 0) + 1
            if status in OPEN_STATUSES:
                facts = found.get(run["workflow_id"])
                if facts is None:
                    continue
                report = check_run(facts, thresholds)
                level = report.status
                issues = [str(i) for i in report.issues_detected]
                codes = [i.code for i in report.issues_detected]
            elif status == "COMPENSATION_FAILED":
                level, issues, codes = CRITICAL, ["compensation failed"], ["compensation_failed"]
            elif status in FAILED_STATUSES:
                level, issues, codes = WARNING, [f"ended {status}"], ["run_failed"]
            else:
                level, issues, codes = HEALTHY, [], []
            if level == HEALTHY:
                healthy += 1
            elif level == CRITICAL:
                critical += 1
            else:
                warning += 1
            if issues:
                attention.append(
                    {
                        "workflow_id": run["workflow_id"],
                        "kind": run.get("kind"),
                        "name": run.get("name"),
                        "status": status,
                        "health": level,
                        "issues": issues,
                        "codes": codes,
                    }
                )
        return {
            "summary": {
                "total_workflows": len(runs),
                "healthy_workflows": healthy,
                "warning_workflows": warning,
                "critical_alerts": critical,
                "active_workflows": sum(by_status.get(s, 0) for s in OPEN_STATUSES),
                "by_status": by_status,
                "workers_polling": await self.client.workers_polling(),
            },
            "needs_attention": attention,
            # the runs among them past (or near) a declared SLA, theirs or a step's
            "sla_breaches": [
                entry for entry in attention if any("sla" in code for code in entry["codes"])
            ],
            "monitoring": await self.monitoring_state(),
            "recent_recoveries": await recoveries(self.client, limit=10),
        }

    # ---- recovery -------------------------------------------------------------

    async def trigger_recovery(
        self,
        workflow_id: str,
        recovery_reason: str,
        recovery_action: RecoveryAction | str,
        *,
        notification_channels: list[str] | None = None,
        escalate_to: list[str] | None = None,
    ) -> RecoveryResult:
        """Recover a run by hand: a recovery run (recorded like the monitor's)
        carries out the action on a worker; returns what it did."""
        try:
            action = RecoveryAction(str(recovery_action).lower())
        except ValueError:
            known = ", ".join(a.value for a in RecoveryAction)
            raise BatonError(
                f"unknown recovery action {recovery_action!r}; one of {known}"
            ) from None
        report = await self.perform_health_check(workflow_id)  # also: the run exists
        if await self.client.workers_polling() == 0:
            raise BatonError(
                f"no worker polls task queue {self.settings.task_queue!r}: a recovery runs on "
                "a worker — start one with `baton up` or `baton worker`"
            )
        handle, recovery_id = await start_recovery(
            self.client,
            workflow_id,
            [action],
            recovery_reason,
            issues=[str(i) for i in report.issues_detected],
            channels=notification_channels,
            escalate_to=escalate_to,
            origin=self.client.origin,
        )
        assert handle is not None, recovery_id
        return RecoveryResult.from_dict(await handle.result())

    async def get_recovery_history(self, workflow_id: str | None = None) -> list[dict[str, Any]]:
        return await recoveries(self.client, workflow_id)

    # ---- analytics ------------------------------------------------------------

    async def get_process_analytics(
        self, name: str | None = None, *, since: datetime | None = None, limit: int = 1000
    ) -> dict[str, Any]:
        """Per definition (and step): success rate, durations, throughput,
        retries, error types, where time goes, and its process map — over the
        newest ``limit`` ended runs (of ``name``; ended after ``since``)."""
        from .analytics import analyze, load_runs, process_map

        skipped: list[str] = []
        documents = await load_runs(
            self.client, name=name, since=since, limit=limit, skipped=skipped
        )
        result = analyze(documents)
        result["unreadable_runs"] = skipped
        for definition, data in result["definitions"].items():
            data["process_map"] = process_map(
                [d for d in documents if str(d.get("name") or d.get("stage") or "?") == definition]
            )
        return result

    async def export_event_log(
        self,
        log_format: str = "xes",
        name: str | None = None,
        *,
        since: datetime | None = None,
        limit: int = 1000,
        skipped: list[str] | None = None,
    ) -> str | bytes:
        """Ended runs as an event log: ``xes`` (XES 1.0) or ``ocel`` (OCEL 2.0
        JSON); runs that could not be read are left out (their ids go to
        ``skipped``)."""
        from .analytics import load_runs
        from .eventlog import to_ocel, to_xes

        if log_format not in ("xes", "ocel"):
            raise BatonError(f"unknown event log format {log_format!r}: xes or ocel")
        documents = await load_runs(
            self.client, name=name, since=since, limit=limit, skipped=skipped
        )
        return to_xes(documents) if log_format == "xes" else to_ocel(documents)

    async def get_workflow_logs(self, workflow_id: str) -> list[dict[str, Any]]:
        """The run's audit trail (the seed's name; ``baton history``)."""
        return await self.client.history(workflow_id)


def _interval(desc: Any) -> float | None:
    """Seconds between the schedule's sweeps."""
    intervals = desc.schedule.spec.intervals
    return intervals[0].every.total_seconds() if intervals else None


_monitor: WorkflowMonitor | None = None


def get_workflow_monitor(client: TemporalWorkflowClient | None = None) -> WorkflowMonitor:
    """The process's monitor (over ``client``, else a client for the
    configured server)."""
    global _monitor
    if client is not None:
        return WorkflowMonitor(client)
    if _monitor is None:
        _monitor = WorkflowMonitor()
    return _monitor
