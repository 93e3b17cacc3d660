"""ProcessWorkflow: the one deterministic interpreter of a Plan.

It runs the plan's scope (:mod:`.flow`: which node starts when, and what
control nodes do), each action as activities with retries (:mod:`.steps`),
and when a critical step fails, the run's deadline passes or the run is
cancelled, it compensates what completed in reverse order of ending
(:mod:`.undo`). State lives in memory, is served by the ``status`` query and
is the workflow's result; a few search attributes are upserted only when the
run's status (or what it waits for) changes, never per step. Events reach
the run through the ``event`` update.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ..actions.types import NOTIFY_ACTIVITY, Notification
    from ..expressions import ExpressionError, evaluate
    from ..integrations import deadletters
    from ..plan.migrations import upgrade
    from ..plan.model import PLAN_FORMAT_VERSION, Plan
    from ..plan.schemas import data_problem
    from ..plan.wire import run_input_from_wire
    from ..redact import redact
    from . import observe
    from . import state as st
    from .commands import REPLY_TYPES
    from .events import problem_with
    from .failures import VALIDATION, describe_failure, validation_failed
    from .flow import WORKFLOW_NAME, Flow, Frame
    from .placeholders import PlaceholderError, resolve
    from .run import Run
    from .search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS, BATON_WAITING
    from .steps import Steps
    from .undo import Undo
    from .vocabulary import EventKind, SlaStatus

import json


def json_size(value: Any) -> int:
    return len(json.dumps(value, default=str, separators=(",", ":")))


__all__ = ["WORKFLOW_NAME", "ProcessWorkflow", "describe_failure"]

# Temporal ends a run whose history reaches 50,000 events or 50 MB. Past
# these, Baton starts no new step and compensates while it still can.
HISTORY_EVENTS_LIMIT = 40_000
HISTORY_BYTES_LIMIT = 40 * 1024 * 1024
# the result payload Temporal accepts is 2 MB; leave room
MAX_RESULT_BYTES = 1_500_000
# workflow.patched id: a cancel while the failure alert is sent no longer ends
# the run without its status document
ALERT_SURVIVES_CANCEL = "alert-survives-cancel"


# a run that ended so is a dead letter (integrations.deadletters), when the
# worker keeps them (dead_letters: {runs: true})
DEAD_LETTER_STATUSES = ("FAILED", "COMPENSATED", "COMPENSATION_FAILED")


# Not sandboxed: the sandbox re-creates this module for every run, which cost
# ~35% of saga throughput in benchmarks/saga_throughput.py. The engine does no
# I/O and reads time only through workflow.now()/time(); the replay tests over
# tests/histories/ guard its determinism instead.
@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class ProcessWorkflow:
    # The input is read as a plain object and turned into the plan by
    # plan.wire (a RunInput's wire form), ~30x faster than the SDK's generic
    # dataclass conversion on every run start and replay.
    @workflow.init
    def __init__(self, input: dict[str, Any]) -> None:
        run_input = run_input_from_wire(input)
        started_as = run_input.plan.format_version
        if started_as > PLAN_FORMAT_VERSION:
            # a newer Baton wrote this plan: fail the task until a worker that
            # knows the format picks it up (nothing has run yet)
            raise RuntimeError(
                f"plan format {started_as} is newer than this worker's ({PLAN_FORMAT_VERSION}); "
                "upgrade the worker"
            )
        plan = upgrade(run_input.plan)
        self._plan: Plan = plan
        self._run = Run(plan, run_input.input, started_as)
        self._state = self._run.state
        self._steps = Steps(self._run)
        self._undo = Undo(self._run, self._steps, on_compensating=self._set_search_attributes)
        self._flow = Flow(
            self._run,
            self._steps,
            self._undo,
            on_waiting_changed=self._waiting_changed,
            history_full=self._history_full,
        )
        self._root = Frame(plan.steps, input=run_input.input)
        self._sla_watch: asyncio.Task[None] | None = None

    @workflow.query(name="status")
    def status(self) -> dict[str, Any]:
        return self._state.to_dict()

    @workflow.update(name="event")
    def deliver_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """An event for the run's waits (a CloudEvent). Answers whether an
        open wait took it (``matched``: which) or it is kept for a later one."""
        if self._run.events.seen(str(event["id"])):
            return {"accepted": True, "duplicate": True, "matched": [], "kept": False}
        matched = self._run.events.deliver(event)
        self._run.record(
            EventKind.EVENT_RECEIVED,
            matched[0] if matched else None,
            detail=f"{event['type']} from {event['source']} ({event['id']})"
            + ("" if matched else ": kept for a later wait"),
        )
        if matched:
            self._waiting_changed()
        return {"accepted": True, "duplicate": False, "matched": matched, "kept": not matched}

    @deliver_event.validator
    def _check_event(self, event: dict[str, Any]) -> None:
        problem = problem_with(event)
        if problem is not None:
            raise ValueError(problem)
        # compensating, a run takes only replies to its compensations' commands
        compensating = self._state.status == st.COMPENSATING and event["type"] not in REPLY_TYPES
        if self._state.status in st.FINAL_STATUSES or compensating:
            raise ValueError(f"the run is {self._state.status}: it takes no more events")
        if self._run.events.full() and not self._run.events.seen(str(event["id"])):
            raise ValueError(
                "the run already keeps 1000 events no wait has taken; it takes no more"
            )

    @workflow.run
    async def run(self, input: dict[str, Any]) -> dict[str, Any]:
        run = self._run
        self._set_search_attributes(initial=True)
        run.record(EventKind.RUN_STARTED, detail=f"{self._plan.kind} {self._plan.id}")
        observe.run_started(run)
        if self._plan.options.input_schema is not None:
            self._check_schema(
                self._plan.options.input_schema, run.input, "the run's input", "/input"
            )
        if self._plan.options.input is not None and not self._state.failure:
            self._transform_input()
        self._sla_watch = self._watch_sla()
        try:
            if not self._state.failure:
                await self._flow.run_root(self._root, self._deadline_passed)
            await self._record_local_results()
        except asyncio.CancelledError:
            run.cancel_requested = True
            run.record(EventKind.CANCEL_REQUESTED)
            await self._flow.stop_running(self._root, "the run was cancelled")

        if run.cancel_requested or self._state.failure:
            await self._undo.compensate(self._root.undo)
        if self._plan.options.cleanup:
            await self._undo.clean_up(self._plan.options.cleanup)
        self._finish()
        if self._state.status != st.COMPLETED and self._plan.options.alert_on_failure:
            await self._send_alert()
        with contextlib.suppress(asyncio.CancelledError):
            # a cancel now comes after the run's end: the results are recorded
            await self._record_local_results()
        return self._state.to_dict()

    async def _record_local_results(self) -> None:
        """Hand the workflow task back before the run ends when local steps
        ran in it. Their results are recorded only when the task completes;
        a task that ends the run is refused by the server when an event (a
        cancel, a signal) arrived meanwhile, and the results would be lost
        with it — the steps run again, and a cancel that arrived would find
        them unfinished. A 1 ms timer completes the task without ending the
        run: the results are kept, and what arrived is handled after them.
        Only runs with local steps do this (their plans say so)."""
        if not self._run.local_results_pending:
            return
        self._run.local_results_pending = False
        await workflow.sleep(timedelta(milliseconds=1))

    def _check_schema(self, schema: dict[str, Any], value: Any, what: str, where: str) -> bool:
        """Fail the run when ``value`` does not match ``schema`` (True: it did not)."""
        reason = data_problem(schema, value)
        if not reason:
            return False
        failure = validation_failed(what, reason)
        error = dict(failure.error)
        error["instance"] = where
        error["type"] = self._plan.options.error_types.get(VALIDATION, VALIDATION)
        self._state.error = error
        self._run.fail(str(failure))
        return True

    def _transform_input(self) -> None:
        """The plan's ``options.input``: the first nodes get its value."""
        expr = self._plan.options.input
        assert expr is not None
        try:
            made = evaluate(
                expr.source, self._flow.scope(self._root, input=self._run.input), expr.language
            )
        except ExpressionError as exc:
            self._run.fail(f"the run's input could not be made: {exc}")
            return
        self._root = Frame(self._plan.steps, input=made)

    async def _deadline_passed(self) -> None:
        deadline = self._plan.options.deadline_seconds or 0
        self._run.fail(f"the run exceeded its timeout of {deadline:g}s")
        await self._flow.stop_running(self._root, "the run timed out")

    def _history_full(self) -> bool:
        info = workflow.info()
        events, size = info.get_current_history_length(), info.get_current_history_size()
        if events < HISTORY_EVENTS_LIMIT and size < HISTORY_BYTES_LIMIT:
            return False
        self._run.fail(
            f"the run's history reached {events:,} events / {size / 1_048_576:.1f} MB, near "
            "Temporal's limit (50,000 / 50 MB): no new step starts, and what completed is "
            "compensated while there is room"
        )
        return True

    # ---- end of run -------------------------------------------------------

    # ---- the run's SLA -------------------------------------------------------

    def _watch_sla(self) -> asyncio.Task[None] | None:
        """A run whose plan declares an SLA: its deadlines in the status
        document, and a task that records (and alerts) the warning and the
        breach when they come. Nothing is stopped: a breach is told."""
        sla = self._plan.options.sla
        if sla is None:
            return None
        begin = workflow.now()
        self._state.sla = {
            "duration_seconds": sla.duration_seconds,
            "warning_seconds": sla.warning_seconds,
            "warning_at": (
                st.iso(begin + timedelta(seconds=sla.warning_seconds))
                if sla.warning_seconds is not None
                else None
            ),
            "deadline_at": st.iso(begin + timedelta(seconds=sla.duration_seconds)),
            "status": SlaStatus.ON_TRACK,
        }
        return asyncio.create_task(self._sla_timers(sla.duration_seconds, sla.warning_seconds))

    async def _sla_timers(self, duration: float, warning: float | None) -> None:
        assert self._state.sla is not None
        waited = 0.0
        if warning is not None:
            await workflow.sleep(timedelta(seconds=warning))
            waited = warning
            self._state.sla["status"] = SlaStatus.WARNING
            said = f"{warning:g}s of its {duration:g}s SLA have passed"
            self._run.record(EventKind.SLA_WARNING, detail=said)
            observe.sla_warning(self._run)
            await self._alert(f"near its SLA: {said}", "warning")
        await workflow.sleep(timedelta(seconds=duration - waited))
        self._state.sla["status"] = SlaStatus.BREACHED
        said = f"still {self._state.status} after its SLA of {duration:g}s"
        self._run.record(EventKind.SLA_BREACHED, detail=said)
        observe.sla_breached(self._run, "run")
        await self._alert(f"SLA breached: {said}", "failure")

    def _end_sla(self) -> None:
        if self._sla_watch is not None and not self._sla_watch.done():
            self._sla_watch.cancel()
        if self._state.sla is not None and self._state.sla["status"] != SlaStatus.BREACHED:
            self._state.sla["status"] = SlaStatus.MET

    async def _alert(self, what: str, kind: str) -> None:
        """An SLA notice to the plan's notification channels, if it has any."""
        channels = self._plan.options.notification_channels
        if not channels:
            return
        notification = Notification(
            channels=list(channels),
            title=f"Baton {self._plan.kind} {self._plan.name}: {what.split(':')[0]}",
            body=f"Run {self._state.workflow_id} is {what}",
            kind=kind,
            origin=self._plan.options.origin,
        )
        try:
            await workflow.execute_activity(
                NOTIFY_ACTIVITY,
                notification,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
            self._run.record(EventKind.ALERT_SENT, detail=redact(", ".join(channels)))
        except ActivityError as exc:
            self._run.record(EventKind.ALERT_FAILED, detail=describe_failure(exc))

    def _finish(self) -> None:
        self._end_sla()
        state, run = self._state, self._run
        for step_state in state.steps:
            if step_state.status == st.PENDING:
                step_state.status = st.SKIPPED
                step_state.error = "not started: the run stopped first"
        if any(c.status == st.COMP_FAILED for c in state.compensations):
            status = st.COMPENSATION_FAILED
        elif run.cancel_requested:
            status = st.CANCELLED
        elif state.failure:
            # nothing undone: the plan says how a failure without undo ends
            status = st.COMPENSATED if state.compensations else self._failed_status()
        else:
            status = st.COMPLETED
        state.status = status
        state.closed_at = st.iso(workflow.now())
        outputs = {**run.outputs, "context": run.context}
        if status == st.COMPLETED and self._plan.options.result:
            try:
                state.result = resolve(self._plan.options.result, [], outputs)
            except PlaceholderError:
                state.result = dict(self._plan.options.result)
        if status == st.COMPLETED and self._plan.options.output is not None:
            expr = self._plan.options.output
            scope = self._flow.scope(self._root, output=self._root.output())
            try:
                state.output = evaluate(expr.source, scope, expr.language)
            except ExpressionError as exc:
                state.output = None
                state.notes.append(f"the run's output could not be made: {exc}")
            schema = self._plan.options.output_schema
            if schema is not None and self._check_schema(
                schema, state.output, "the run's output", "/output"
            ):
                state.status = status = self._failed_status()
                state.output = None
        run.record(EventKind.RUN_FINISHED, detail=status)
        observe.run_ended(run)
        if status in DEAD_LETTER_STATUSES:  # kept when the worker keeps dead runs
            deadletters.run_failed(str(status), state.failure)
        self._fit_result()
        self._set_search_attributes()

    def _fit_result(self) -> None:
        """Keep the status document (the workflow's result) under Temporal's
        2 MB payload limit: the outputs of nested instances go first (the
        oldest first), then those of the plan's own steps; the run's output
        and error stay."""
        state = self._state
        if json_size(state.to_dict()) <= MAX_RESULT_BYTES:
            return
        top_level = {step.id for step in self._plan.steps}
        entries = sorted(state.steps, key=lambda e: e.step_id in top_level)
        for entry in entries:
            if entry.output is not None:
                entry.output = None
                state.outputs_omitted += 1
                if (
                    state.outputs_omitted % 50 == 0
                    and json_size(state.to_dict()) <= MAX_RESULT_BYTES
                ):
                    break
        if state.children and json_size(state.to_dict()) > MAX_RESULT_BYTES:
            # then what the document keeps of completed children for their
            # undo (a later undo run of this run refuses what lost its output)
            for child in state.children:
                for entry_kept in (child.final or {}).get("steps") or []:
                    if entry_kept.get("output") is not None:
                        entry_kept["output"] = None
                        state.outputs_omitted += 1
                        assert child.final is not None
                        child.final["outputs_omitted"] = (
                            child.final.get("outputs_omitted") or 0
                        ) + 1
        state.notes.append(
            f"{state.outputs_omitted} step outputs were left out to keep this document "
            f"under {MAX_RESULT_BYTES // 1_000_000} MB"
        )

    def _failed_status(self) -> st.RunStatus:
        try:
            return st.RunStatus(self._plan.options.failed_status)
        except ValueError:
            return st.COMPENSATED

    async def _send_alert(self) -> None:
        channels = self._plan.options.notification_channels
        if not channels:
            return
        run = self._run
        failure = self._state.failure or "cancelled"
        notification = Notification(
            channels=list(channels),
            title=f"Baton {self._plan.kind} {self._plan.name}: {self._state.status}",
            body=f"Run {self._state.workflow_id} ended {self._state.status}: {failure}",
            kind="failure",
            origin=self._plan.options.origin,
        )
        handle = workflow.start_activity(
            NOTIFY_ACTIVITY,
            notification,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        # histories from before the patch awaited the alert unshielded
        survives_cancel = workflow.patched(ALERT_SURVIVES_CANCEL)
        while True:
            try:
                await (asyncio.shield(handle) if survives_cancel else handle)
                run.record(EventKind.ALERT_SENT, detail=redact(", ".join(channels)))
                return
            except ActivityError as exc:
                run.record(EventKind.ALERT_FAILED, detail=describe_failure(exc))
                return
            except asyncio.CancelledError:
                if not survives_cancel:
                    raise
                run.cancel_requested = True
                run.record(
                    EventKind.CANCEL_REQUESTED, detail="while the failure alert is sent; it is sent"
                )

    # ---- search attributes --------------------------------------------------

    def _set_search_attributes(self, initial: bool = False) -> None:
        updates = [BATON_STATUS.value_set(str(self._state.status))]
        if initial:
            existing = workflow.info().typed_search_attributes
            if existing.get(BATON_STATUS) == self._state.status:
                return  # set by the client at start: nothing to write
            updates += [
                BATON_KIND.value_set(self._plan.kind),
                BATON_NAME.value_set(self._plan.name),
            ]
        workflow.upsert_search_attributes(updates)

    def _waiting_changed(self) -> None:
        """Keep BatonWaiting (the event types open waits want) up to date."""
        if not workflow.in_workflow():
            return  # a wait closed as its worker evicts the run: nothing to say
        wanted = self._run.events.waiting_for()
        if wanted == self._state.waiting_for:
            return
        self._state.waiting_for = wanted
        workflow.upsert_search_attributes(
            [BATON_WAITING.value_set(wanted) if wanted else BATON_WAITING.value_unset()]
        )
