"""Temporal Schedules that start Baton definitions: one :class:`Schedules`
per client (``client.schedules``), used by ``baton schedule``, the Python
API and MCP (docs/schedules.md).

A schedule is created from a definition compiled and checked exactly as
``baton run`` does (the execution policy of the client's entry point, the
input's schema, agents' programs) and keeps that plan: every run it starts
is Baton's interpreter (``BatonProcess``) with the plan and input pinned at
creation, on the task queue of the client that created it. Its runs are
ordinary Baton runs (``baton status``, ``baton list``), with ids that Temporal
makes from the schedule's name and the time each was due
(``nightly-train-2026-12-08T01:00:00Z``). ``update`` pins a new plan.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleDescription,
    ScheduleHandle,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowExecutionStatus,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from ..engine.names import WORKFLOW_NAME
from ..engine.search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS
from ..engine.state import RUNNING
from ..errors import (
    BatonError,
    ConfigError,
    InvalidRequestError,
    ScheduleExistsError,
    ScheduleNotFoundError,
    ServerError,
    UnsupportedError,
)
from ..plan.model import Plan
from .schedule_times import (
    OVERLAP_NAMES,
    ScheduleTimes,
    check_name,
    format_duration,
    overlap_policy,
    spec_refusal,
    zone,
)

if TYPE_CHECKING:
    from .client import TemporalWorkflowClient

# what each started run carries in its memo: where it came from
RUN_MEMO_KEY = "baton_schedule"
# how long trigger() watches the schedule for what became of the trigger
TRIGGER_WATCH_SECONDS = 10.0
_KEEP: Any = object()  # update(): leave this as it is


@dataclass
class Pinned:
    """What a schedule starts every run with: the plan and input (and their
    wire form), and the file (or ``<dict>``) the plan was compiled from."""

    plan: Plan
    input: Any
    wire: dict[str, Any]
    source: str | None


class Schedules:
    """Create, read, pause, trigger, backfill and delete the schedules of
    Baton definitions, through one client (its entry point, task queue and
    server)."""

    def __init__(self, client: TemporalWorkflowClient) -> None:
        self.client = client

    # ---- creating and changing --------------------------------------------

    async def create(
        self,
        name: str,
        document: dict[str, Any],
        times: ScheduleTimes,
        *,
        source: str = "<dict>",
        kind: str | None = None,
        config: dict[str, Any] | None = None,
        input: Any = None,
        overlap: str = "skip",
        catchup: timedelta | None = None,
        paused: bool = False,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Schedule runs of ``document`` (any kind but an approval) at
        ``times``; ``overlap`` says what happens when a run is due while
        the last one still runs (skip | buffer | buffer-all | allow);
        ``catchup``: how late a run missed while the server was down may
        still start (Temporal's default: a year)."""
        check_name(name)
        spec = times.spec()
        policy = SchedulePolicy(overlap=overlap_policy(overlap), catchup_window=_catchup(catchup))
        plan, action, warnings = self._action(name, document, source, kind, config, input)
        temporal = await self.client.connect()
        schedule = Schedule(
            action=action,
            spec=spec,
            policy=policy,
            state=ScheduleState(
                note=note or f"created by {self.client.origin}: {plan.name}", paused=paused
            ),
        )
        try:
            await temporal.create_schedule(
                name, schedule, search_attributes=_definition_attributes(plan)
            )
        except ScheduleAlreadyRunningError:
            raise ScheduleExistsError(name) from None
        except RPCError as exc:
            raise _translated(name, "create", exc) from exc
        return {
            "name": name,
            "kind": plan.kind,
            "definition": plan.name,
            "task_queue": self.client.settings.task_queue,
            "times": times.summary(),
            "paused": paused,
            "warnings": warnings,
        }

    async def create_file(
        self, name: str, path: str | Path, times: ScheduleTimes, **options: Any
    ) -> dict[str, Any]:
        """:meth:`create` from a definition file (YAML, JSON, BPMN): what it
        refers to (sub-processes) is found beside it, as ``baton run`` does."""
        from ..definitions.loader import read_document

        return await self.create(name, read_document(path), times, source=str(path), **options)

    async def update(
        self,
        name: str,
        *,
        document: dict[str, Any] | None = None,
        source: str = "<dict>",
        kind: str | None = None,
        config: dict[str, Any] | None = None,
        input: Any = _KEEP,
        cron: list[str] | None = None,
        every: timedelta | None = None,
        offset: timedelta | None = None,
        timezone_name: str | None = None,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        overlap: str | None = None,
        catchup: timedelta | None = None,
    ) -> dict[str, Any]:
        """Change a schedule: ``document`` pins a newly compiled plan (with
        ``input``, else the input it had); ``input`` alone changes the
        input; ``cron``/``every`` replace its times (both together);
        ``timezone_name``, ``start_at``, ``end_at``, ``overlap``, ``catchup``
        replace those. Runs already started keep their plan."""
        current = await self._described(name)
        pinned = await self._pinned(name, current)
        new_input = pinned.input if input is _KEEP else input
        plan = pinned.plan
        action = current.schedule.action
        warnings: list[str] = []
        if document is not None or input is not _KEEP:
            if document is not None:
                plan, action, warnings = self._action(
                    name, document, source, kind, config, new_input
                )
            else:
                self.client.check_startable(plan, new_input)
                wire = {**pinned.wire, "input": new_input}
                action = self._start_action(name, plan, wire, source=pinned.source or source)
        schedule = current.schedule
        schedule.action = action
        schedule.spec = _changed_times(
            schedule.spec, cron, every, offset, timezone_name, start_at, end_at
        )
        times = ScheduleTimes.of(schedule.spec)
        if overlap is not None:
            schedule.policy.overlap = overlap_policy(overlap)
        if catchup is not None:
            schedule.policy.catchup_window = _catchup(catchup)

        def updated(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule, search_attributes=_definition_attributes(plan))

        try:
            await self._handle(name).update(updated)
        except RPCError as exc:
            raise _translated(name, "update", exc) from exc
        return {
            "name": name,
            "kind": plan.kind,
            "definition": plan.name,
            "times": times.summary(),
            "warnings": warnings,
        }

    def _action(
        self,
        name: str,
        document: dict[str, Any],
        source: str,
        kind: str | None,
        config: dict[str, Any] | None,
        input: Any,
    ) -> tuple[Plan, ScheduleActionStartWorkflow, list[str]]:
        """Compile and check ``document`` as ``baton run`` does, for this
        client's entry point, into the action every run starts with."""
        from ..plan.approval import ApprovalSpec
        from .documents import compile_for_run
        from .preflight import definition_warnings

        compiled = compile_for_run(
            document,
            settings=self.client.settings,
            baton_file=self.client.baton_file,
            source=source,
            kind=kind,
            config=config,
        )
        if isinstance(compiled, ApprovalSpec):
            raise UnsupportedError(
                f"{source}: a schedule starts runs, and an approval request is not one; "
                "schedule a saga or process with an approval step instead"
            )
        self.client.check_startable(compiled, input)
        wire = self.client.run_wire(compiled, input)
        action = self._start_action(name, compiled, wire, source=source)
        return compiled, action, definition_warnings(compiled, self.client.settings)

    def _start_action(
        self, name: str, plan: Plan, wire: dict[str, Any], *, source: str
    ) -> ScheduleActionStartWorkflow:
        return ScheduleActionStartWorkflow(
            WORKFLOW_NAME,
            wire,
            id=name,  # Temporal adds "-<the time the run was due>"
            task_queue=self.client.settings.task_queue,
            memo={
                RUN_MEMO_KEY: {
                    "schedule": name,
                    "source": source,
                    "pinned_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "pinned_by": self.client.origin,
                }
            },
            typed_search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(BATON_KIND, plan.kind),
                    SearchAttributePair(BATON_NAME, plan.name),
                    SearchAttributePair(BATON_STATUS, RUNNING),
                ]
            ),
        )

    # ---- reading ------------------------------------------------------------

    async def list(self) -> list[dict[str, Any]]:
        """Baton's schedules in the namespace (eventually consistent: one
        created a moment ago may show a moment later), by name."""
        temporal = await self.client.connect()
        rows = []
        try:
            async for entry in await temporal.list_schedules():
                listed = entry.schedule
                if listed is None or getattr(listed.action, "workflow", None) != WORKFLOW_NAME:
                    continue  # not Baton's: the monitor's sweeps, other applications'
                times = ScheduleTimes.of(listed.spec)
                info = entry.info
                tz = _zone_or_utc(times.timezone)
                rows.append(
                    {
                        "name": entry.id,
                        "kind": entry.typed_search_attributes.get(BATON_KIND),
                        "definition": entry.typed_search_attributes.get(BATON_NAME),
                        "times": times.summary(),
                        "paused": listed.state.paused,
                        "note": listed.state.note,
                        "next_run": _local(info.next_action_times[0], tz)
                        if info and info.next_action_times
                        else None,
                        "last_run": _local(info.recent_actions[-1].scheduled_at, tz)
                        if info and info.recent_actions
                        else None,
                    }
                )
        except RPCError as exc:
            raise ServerError(f"cannot list schedules: {exc.message}") from exc
        return sorted(rows, key=lambda row: row["name"])

    async def describe(self, name: str) -> dict[str, Any]:
        """The schedule: its definition, times, policies, whether it is
        paused and why, its next run times (in its time zone), and its
        recent runs with their run ids and Baton statuses."""
        desc = await self._described(name)
        pinned = await self._pinned(name, desc)
        schedule, info = desc.schedule, desc.info
        times = ScheduleTimes.of(schedule.spec)
        tz = _zone_or_utc(times.timezone)
        raw_recent = list(desc.raw_description.info.recent_actions)
        recent = []
        for index, result in enumerate(info.recent_actions):
            started = result.action
            recent.append(
                {
                    "workflow_id": getattr(started, "workflow_id", None),
                    "run_id": getattr(started, "first_execution_run_id", None),
                    "scheduled_at": _local(result.scheduled_at, tz),
                    "started_at": _local(result.started_at, tz),
                    "status": _temporal_status(raw_recent[index])
                    if index < len(raw_recent)
                    else None,
                }
            )
        await asyncio.gather(*(self._read_status(row) for row in recent))
        # the schedule tracks its running runs only when its policy needs
        # them (not with allow): those of the recent runs still open count too
        running = [getattr(run, "workflow_id", None) for run in info.running_actions]
        running += [
            row["workflow_id"]
            for row in recent
            if row.pop("open", False) and row["workflow_id"] not in running
        ]
        raw_info = desc.raw_description.info
        return {
            "name": name,
            "kind": pinned.plan.kind,
            "definition": pinned.plan.name,
            "plan_id": pinned.plan.id,
            "source": pinned.source,
            "input": pinned.input,
            "task_queue": getattr(schedule.action, "task_queue", None),
            "times": times.to_dict(),
            "overlap": OVERLAP_NAMES.get(
                schedule.policy.overlap, schedule.policy.overlap.name.lower()
            ),
            "catchup": format_duration(schedule.policy.catchup_window),
            "paused": schedule.state.paused,
            "note": schedule.state.note,
            "next_runs": [_local(moment, tz) for moment in info.next_action_times],
            "recent_runs": recent,
            "running": running,
            "actions": info.num_actions,
            "skipped_overlap": info.num_actions_skipped_overlap,
            "missed_catchup": info.num_actions_missed_catchup_window,
            "buffered": raw_info.buffer_size,
            "created_at": _local(info.created_at, tz),
            "updated_at": _local(info.last_updated_at, tz) if info.last_updated_at else None,
        }

    async def _read_status(self, row: dict[str, Any]) -> None:
        """A recent run's Baton status (COMPENSATED, …) from its search
        attributes, read by run id (a buffered run can share its workflow
        id with the run before it); Temporal's as the schedule saw it when
        the run is gone (retention)."""
        from .client import run_row

        if not row["workflow_id"]:
            return
        handle = self.client.temporal.get_workflow_handle(
            row["workflow_id"], run_id=row["run_id"] or None
        )
        try:
            desc = await handle.describe()
        except RPCError:
            return
        row["status"] = run_row(desc)["status"]
        row["open"] = desc.status == WorkflowExecutionStatus.RUNNING

    # ---- acting -------------------------------------------------------------

    async def pause(self, name: str, note: str | None = None) -> dict[str, Any]:
        """No run starts until :meth:`unpause` (runs already started go on)."""
        await self._described(name)
        note = note or f"paused by {self.client.origin}"
        try:
            await self._handle(name).pause(note=note)
        except RPCError as exc:
            raise _translated(name, "pause", exc) from exc
        return {"name": name, "paused": True, "note": note}

    async def unpause(self, name: str, note: str | None = None) -> dict[str, Any]:
        await self._described(name)
        note = note or f"unpaused by {self.client.origin}"
        try:
            await self._handle(name).unpause(note=note)
        except RPCError as exc:
            raise _translated(name, "unpause", exc) from exc
        return {"name": name, "paused": False, "note": note}

    async def trigger(
        self, name: str, overlap: str | None = None, *, watch_seconds: float = TRIGGER_WATCH_SECONDS
    ) -> dict[str, Any]:
        """Start a run now, as if one were due (``overlap`` instead of the
        schedule's policy, if given), and say what became of it: ``started``
        (with its ids), ``skipped`` or ``buffered`` (a run of the schedule
        still runs), or ``requested`` (the server had not acted on it after
        ``watch_seconds``). A paused schedule is triggered too."""
        before = await self._described(name)
        policy = overlap_policy(overlap) if overlap is not None else None
        try:
            await self._handle(name).trigger(overlap=policy)
        except RPCError as exc:
            raise _translated(name, "trigger", exc) from exc
        seen = {
            getattr(action.action, "workflow_id", None) for action in before.info.recent_actions
        }
        deadline = asyncio.get_running_loop().time() + watch_seconds
        while True:
            after = await self._described(name)
            fresh = [
                action
                for action in after.info.recent_actions
                if getattr(action.action, "workflow_id", None) not in seen
            ]
            if fresh:
                started = fresh[-1].action
                return {
                    "name": name,
                    "outcome": "started",
                    "workflow_id": getattr(started, "workflow_id", None),
                    "run_id": getattr(started, "first_execution_run_id", None),
                }
            if after.info.num_actions_skipped_overlap > before.info.num_actions_skipped_overlap:
                return {"name": name, "outcome": "skipped", "running": _running(after)}
            if after.raw_description.info.buffer_size > before.raw_description.info.buffer_size:
                return {"name": name, "outcome": "buffered", "running": _running(after)}
            if asyncio.get_running_loop().time() >= deadline:
                return {"name": name, "outcome": "requested"}
            await asyncio.sleep(0.2)

    async def backfill(
        self, name: str, start_at: datetime, end_at: datetime, overlap: str = "buffer-all"
    ) -> dict[str, Any]:
        """Start the runs the schedule would have started between
        ``start_at`` and ``end_at`` (past times; each run's scheduled time is
        the time it was due). ``overlap`` for these runs: by default
        ``buffer-all``, one after another, oldest first."""
        if end_at <= start_at:
            raise InvalidRequestError("a backfill's end must come after its start")
        policy = overlap_policy(overlap)
        await self._described(name)
        try:
            await self._handle(name).backfill(ScheduleBackfill(start_at, end_at, overlap=policy))
        except RPCError as exc:
            raise _translated(name, "backfill", exc) from exc
        return {
            "name": name,
            "from": start_at.isoformat(),
            "to": end_at.isoformat(),
            "overlap": overlap,
        }

    async def delete(self, name: str) -> dict[str, Any]:
        """Remove the schedule: no run starts any more; runs it started go on."""
        await self._described(name)
        try:
            await self._handle(name).delete()
        except RPCError as exc:
            raise _translated(name, "delete", exc) from exc
        return {"name": name, "deleted": True}

    # ---- helpers ------------------------------------------------------------

    def _handle(self, name: str) -> ScheduleHandle:
        return self.client.temporal.get_schedule_handle(name)

    async def _described(self, name: str) -> ScheduleDescription:
        """The schedule's description; ScheduleNotFoundError when there is
        none, or when it does not start Baton runs."""
        check_name(name)
        await self.client.connect()
        try:
            desc = await self._handle(name).describe()
        except RPCError as exc:
            raise _translated(name, "read", exc) from exc
        if getattr(desc.schedule.action, "workflow", None) != WORKFLOW_NAME:
            raise InvalidRequestError(
                f"schedule {name!r} is not Baton's (it starts "
                f"{getattr(desc.schedule.action, 'workflow', '?')!r}); manage it with Temporal's tools"
            )
        return desc

    async def _pinned(self, name: str, desc: ScheduleDescription) -> Pinned:
        """What the schedule starts its runs with (decoded with this
        client's converter: BATON_CODEC_KEY when the plan is encrypted)."""
        from ..plan.wire import run_input_from_wire

        action = desc.schedule.action
        args = list(getattr(action, "args", []))[:1]
        memo = getattr(action, "memo", None) or {}
        kept = [memo[RUN_MEMO_KEY]] if RUN_MEMO_KEY in memo else []
        temporal = await self.client.connect()
        try:
            wire, *about = await temporal.data_converter.decode(
                args + kept, [dict] * (1 + len(kept))
            )
        except KeyError as exc:
            said = str(exc.args[0]) if exc.args else str(exc)
            if "encrypted" in said:
                raise ConfigError(
                    f"cannot read schedule {name!r}: its plan is encrypted; set BATON_CODEC_KEY "
                    "to the key it was created with (docs/security.md)"
                ) from None
            raise ServerError(f"cannot read schedule {name!r}: {said}") from None
        run_input = run_input_from_wire(wire)
        source = about[0].get("source") if about and isinstance(about[0], dict) else None
        return Pinned(run_input.plan, run_input.input, wire, source)


def _changed_times(
    spec: ScheduleSpec,
    cron: list[str] | None,
    every: timedelta | None,
    offset: timedelta | None,
    timezone_name: str | None,
    start_at: datetime | None,
    end_at: datetime | None,
) -> ScheduleSpec:
    """``spec`` with what an update changes: ``cron``/``every`` replace
    its times (both); the others replace one thing each. What is not
    changed stays exactly as the server keeps it."""
    if cron is None and every is None:
        if offset is not None:
            raise InvalidRequestError("offset shifts --every; give --every too")
        if timezone_name is not None:
            zone(timezone_name)
            spec.time_zone_name = timezone_name
        spec.start_at = start_at if start_at is not None else spec.start_at
        spec.end_at = end_at if end_at is not None else spec.end_at
        if spec.start_at and spec.end_at and spec.end_at <= spec.start_at:
            raise InvalidRequestError("the schedule's end must come after its start")
        return spec
    times = ScheduleTimes(
        cron=list(cron or []),
        every=every,
        offset=offset,
        timezone=timezone_name if timezone_name is not None else spec.time_zone_name,
        start_at=start_at if start_at is not None else spec.start_at,
        end_at=end_at if end_at is not None else spec.end_at,
    )
    return times.spec()


def _definition_attributes(plan: Plan) -> TypedSearchAttributes:
    """The schedule's own search attributes: what it starts (for lists)."""
    return TypedSearchAttributes(
        [SearchAttributePair(BATON_KIND, plan.kind), SearchAttributePair(BATON_NAME, plan.name)]
    )


def _catchup(catchup: timedelta | None) -> timedelta | None:
    from .schedule_times import MIN_CATCHUP

    if catchup is not None and catchup < MIN_CATCHUP:
        raise InvalidRequestError(f"catchup {format_duration(catchup)}: at least 10s")
    return catchup


def _running(desc: ScheduleDescription) -> list[str]:
    return [str(getattr(run, "workflow_id", "")) for run in desc.info.running_actions]


def _temporal_status(raw_action: Any) -> str | None:
    """Temporal's status of a recent run, as the schedule last saw it."""
    value = int(getattr(raw_action, "start_workflow_status", 0) or 0)
    try:
        return WorkflowExecutionStatus(value).name if value else None
    except ValueError:
        return None


def _zone_or_utc(name: str | None) -> tzinfo:
    try:
        return zone(name)
    except InvalidRequestError:
        return timezone.utc


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat()


def _translated(name: str, verb: str, exc: RPCError) -> BatonError:
    """Temporal's refusal of a schedule request, said Baton's way."""
    if exc.status == RPCStatusCode.NOT_FOUND:
        return ScheduleNotFoundError(name)
    if exc.status == RPCStatusCode.ALREADY_EXISTS:
        return ScheduleExistsError(name)
    if exc.status == RPCStatusCode.INVALID_ARGUMENT:
        said = spec_refusal(exc.message)
        return InvalidRequestError(
            said or f"the server refused to {verb} schedule {name!r}: {exc.message}"
        )
    return ServerError(f"cannot {verb} schedule {name!r}: {exc.message}")
