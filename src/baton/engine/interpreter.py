"""ProcessWorkflow: the one deterministic interpreter of a Plan.

It schedules every step whose prerequisites completed, retries failed attempts
with exponential backoff, and when a critical step fails, the run's deadline
passes or the run is cancelled, it compensates the completed steps in reverse
completion order. State lives in memory, is served by the ``status`` query and
is the workflow's result; a few search attributes are upserted only when the
run's status changes, never per step.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TimeoutError,
    TimeoutType,
)

with workflow.unsafe.imports_passed_through():
    from ..actions.registry import ACTIVITY_NAMES, kind_of
    from ..actions.types import NOTIFY_ACTIVITY, ActionRequest, Notification
    from ..plan.migrations import upgrade
    from ..plan.model import Plan, PlanStep, RetrySpec, RunInput
    from ..redact import redact
    from . import state as st
    from .approval import APPROVAL_WORKFLOW_NAME
    from .placeholders import PlaceholderError, resolve, resolve_shell, resolve_url
    from .search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS
    from .vocabulary import EventKind, attempt_event

WORKFLOW_NAME = "BatonProcess"
# Temporal ends a run whose history reaches 50,000 events or 50 MB. Past
# these, Baton starts no new step and compensates while it still can.
HISTORY_EVENTS_LIMIT = 40_000
HISTORY_BYTES_LIMIT = 40 * 1024 * 1024
# How long a step may go without a heartbeat before its worker counts as lost.
# Actions heartbeat every second, so this leaves room for a busy worker; a
# lost worker's step runs again about this long + the sticky timeout (2 s)
# after the worker died (docs/benchmarks.md, recovery).
DEFAULT_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
_SINGLE_ATTEMPT = RetryPolicy(maximum_attempts=1)
# workflow.patched id: a cancel during an undo backoff no longer ends the run
UNDO_BACKOFF_SURVIVES_CANCEL = "undo-backoff-survives-cancel"
# workflow.patched id: a cancel while the failure alert is sent no longer ends
# the run without its status document
ALERT_SURVIVES_CANCEL = "alert-survives-cancel"


# A worker that dies mid-attempt is noticed by its missing heartbeats. Such a
# loss is retried without counting against the step's retry_count (the action
# did not fail; its worker did), up to this many times per attempt.
MAX_WORKER_LOSSES = 10


class _StepFailed(Exception):
    def __init__(
        self, message: str, retryable: bool, worker_lost: bool = False, exhausted: bool = False
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.worker_lost = worker_lost
        self.exhausted = exhausted  # retryable failures until the attempts ran out


# Not sandboxed: the sandbox re-creates this module for every run, which cost
# ~35% of saga throughput in benchmarks/saga_throughput.py. This module does no
# I/O and reads time only through workflow.now()/time(); the replay tests over
# tests/histories/ guard its determinism instead.
@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class ProcessWorkflow:
    @workflow.init
    def __init__(self, input: RunInput) -> None:
        started_as = input.plan.format_version
        plan = upgrade(input.plan)
        self._plan: Plan = plan
        self._state = st.RunState(
            workflow_id=workflow.info().workflow_id,
            kind=plan.kind,
            name=plan.name,
            plan_id=plan.id,
            status=st.RUNNING,
            started_at=st.iso(workflow.now()),
            plan_format_version=started_as,
            estimated_duration_hours=plan.options.estimated_duration_hours,
            notes=list(plan.options.notes),
            steps=[
                st.StepState(
                    step_id=step.id,
                    name=step.name,
                    critical=step.critical,
                    depends_on=list(step.after),
                    parallel_group=step.parallel_group,
                    agent_type=step.agent_type,
                    action_type=str(step.action.get("type", "")),
                )
                for step in plan.steps
            ],
        )
        self._step_states = {state.step_id: state for state in self._state.steps}
        self._plan_steps = {step.id: step for step in plan.steps}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._completion_order: list[str] = []
        # what compensation undoes, in the order the steps ended (completed,
        # or attempted/unknown when the step asks for that)
        self._undo_order: list[str] = []
        # steps cancelled while an attempt's activity was running
        self._unknown: set[str] = set()
        self._outputs: dict[str, Any] = {}
        self._finished: list[asyncio.Task[None]] = []
        self._changed = False
        self._stop_scheduling = False
        self._cancel_requested = False

    @workflow.query(name="status")
    def status(self) -> dict[str, Any]:
        return self._state.to_dict()

    @workflow.run
    async def run(self, input: RunInput) -> dict[str, Any]:
        self._set_search_attributes(initial=True)
        self._record(EventKind.RUN_STARTED, detail=f"{self._plan.kind} {self._plan.id}")
        try:
            await self._run_forward()
        except asyncio.CancelledError:
            self._cancel_requested = True
            self._record(EventKind.CANCEL_REQUESTED)
            await self._stop_running_steps("the run was cancelled")

        if self._cancel_requested or self._state.failure:
            await self._compensate_completed_steps()
        if self._plan.options.cleanup:
            await self._clean_up(self._plan.options.cleanup)
        self._finish()
        if self._state.status != st.COMPLETED and self._plan.options.alert_on_failure:
            await self._send_alert()
        return self._state.to_dict()

    # ---- forward execution -------------------------------------------------

    async def _run_forward(self) -> None:
        deadline = self._plan.options.deadline_seconds
        ends_at = workflow.time() + deadline if deadline else None
        while True:
            if not self._stop_scheduling:
                self._schedule_ready_steps()
            if not self._running:
                return
            self._changed = False
            timeout = None if ends_at is None else max(0.0, ends_at - workflow.time())
            try:
                await workflow.wait_condition(lambda: self._changed, timeout=timeout)
                self._raise_step_task_errors()
            except asyncio.TimeoutError:
                ends_at = None
                self._fail_run(f"the run exceeded its timeout of {deadline:g}s")
                await self._stop_running_steps("the run timed out")

    def _raise_step_task_errors(self) -> None:
        """A bug in a step task must fail the workflow task (so Temporal
        retries it after a fix) rather than leave the run waiting forever."""
        finished, self._finished = self._finished, []
        for task in finished:
            if not task.cancelled() and task.exception() is not None:
                task.result()

    def _history_full(self) -> bool:
        info = workflow.info()
        events, size = info.get_current_history_length(), info.get_current_history_size()
        if events < HISTORY_EVENTS_LIMIT and size < HISTORY_BYTES_LIMIT:
            return False
        self._fail_run(
            f"the run's history reached {events:,} events / {size / 1_048_576:.1f} MB, near "
            "Temporal's limit (50,000 / 50 MB): no new step starts, and what completed is "
            "compensated while there is room"
        )
        return True

    def _schedule_ready_steps(self) -> None:
        if self._history_full():
            return
        progressed = True
        while progressed:
            progressed = False
            for step in self._plan.steps:
                step_state = self._step_states[step.id]
                if step_state.status != st.PENDING:
                    continue
                blocked_by = [d for d in step.after if self._step_states[d].status in st.BLOCKING]
                if blocked_by:
                    step_state.status = st.SKIPPED
                    step_state.error = f"skipped: {', '.join(blocked_by)} did not complete"
                    self._record(EventKind.STEP_SKIPPED, step.id, detail=step_state.error)
                    progressed = True
                elif all(self._step_states[d].status == st.STEP_COMPLETED for d in step.after):
                    if self._at_parallel_limit(step):
                        continue  # started when a running agent phase finishes
                    step_state.status = st.STEP_RUNNING
                    step_state.started_at = st.iso(workflow.now())
                    task = asyncio.create_task(self._run_step(step))
                    task.add_done_callback(self._finished.append)
                    self._running[step.id] = task

    def _at_parallel_limit(self, step: PlanStep) -> bool:
        """A step in a resource pool waits while its pool is full (projects:
        at most max_parallel_agents agent phases at once)."""
        limit = self._plan.options.pool_limits.get(step.pool) if step.pool else None
        if limit is None:
            return False
        running = sum(1 for step_id in self._running if self._plan_steps[step_id].pool == step.pool)
        return running >= limit

    async def _run_step(self, step: PlanStep) -> None:
        step_state = self._step_states[step.id]
        try:
            output = await self._attempt_with_retries(
                step, step.action, "forward", step.retry, step_state
            )
        except asyncio.CancelledError:
            step_state.status = st.STEP_CANCELLED
            if step.id in self._unknown:
                step_state.error = "cancelled while an attempt was running: its effect is unknown"
                if step.compensate_if_unknown or step.compensate_attempted:
                    self._undo_order.append(step.id)
                else:
                    step_state.error += (
                        " (not compensated: the step does not set compensate_if_unknown)"
                    )
                self._record(EventKind.STEP_CANCELLED, step.id, detail=step_state.error)
            else:
                step_state.error = "cancelled before it completed"
                self._record(EventKind.STEP_CANCELLED, step.id)
                if step.compensate_attempted and step_state.attempts:
                    self._undo_order.append(step.id)
        except _StepFailed as failure:
            step_state.status = st.FAILED
            step_state.error = str(failure)
            self._record(EventKind.STEP_FAILED, step.id, detail=str(failure))
            if step.compensate_attempted and step_state.attempts:
                self._undo_order.append(step.id)
            if step.critical:
                self._fail_run(f"critical step {step.id!r} failed: {failure}")
        else:
            step_state.status = st.STEP_COMPLETED
            step_state.output = output
            self._outputs[step.id] = output
            self._completion_order.append(step.id)
            self._undo_order.append(step.id)
            self._record(EventKind.STEP_COMPLETED, step.id, attempt=step_state.attempts)
        finally:
            step_state.completed_at = st.iso(workflow.now())
            self._running.pop(step.id, None)
            self._changed = True

    async def _attempt_with_retries(
        self,
        step: PlanStep,
        action: dict[str, Any],
        phase: str,
        retry: RetrySpec,
        progress: st.StepState | st.CompensationState,
    ) -> Any:
        """Run ``action`` until it succeeds or attempts run out. Each attempt is
        one activity (no server-side retries) so that attempts, errors and
        backoff are visible in the run's audit trail."""
        attempt = 0
        losses = 0  # worker losses during the current attempt
        while True:
            attempt += 1
            progress.attempts = attempt
            try:
                resolved = self._resolve(step, action, phase)
            except PlaceholderError as exc:
                raise _StepFailed(f"{phase} action: {exc}", retryable=False) from None
            self._record(attempt_event(phase, "started"), step.id, attempt=attempt)
            activity_id = f"{step.id}.{phase}.{attempt}" + (f".{losses}" if losses else "")
            try:
                return await self._execute_action(step, resolved, phase, attempt, activity_id)
            except _StepFailed as failure:
                if (
                    failure.worker_lost
                    and losses < MAX_WORKER_LOSSES
                    and not self._stopping_forward(phase)
                ):
                    losses += 1
                    self._record(
                        attempt_event(phase, "lost"), step.id, attempt=attempt, detail=str(failure)
                    )
                    attempt -= 1  # the same attempt again: the action did not fail, its worker did
                    continue
                losses = 0
                self._record(
                    attempt_event(phase, "failed"), step.id, attempt=attempt, detail=str(failure)
                )
                if not failure.retryable or attempt >= retry.max_attempts:
                    if failure.retryable and retry.max_attempts > 1:
                        raise _StepFailed(
                            f"{failure} (gave up after {attempt} attempts)", False, exhausted=True
                        ) from None
                    raise
                if self._stopping_forward(phase):
                    raise _StepFailed(
                        f"{failure} (not retried: the run is stopping)", False
                    ) from None
            delay = min(
                retry.initial_interval_seconds * retry.backoff_coefficient ** (attempt - 1),
                retry.max_interval_seconds,
            )
            if phase == "forward":
                await workflow.sleep(timedelta(seconds=delay))
            else:
                await self._sleep_despite_cancel(delay)

    def _stopping_forward(self, phase: str) -> bool:
        return phase == "forward" and (self._stop_scheduling or self._cancel_requested)

    async def _execute_action(
        self, step: PlanStep, action: dict[str, Any], phase: str, attempt: int, activity_id: str
    ) -> Any:
        kind = kind_of(action)
        if kind.gate:
            return await self._await_approval_gate(step, action, phase, attempt)
        request = ActionRequest(
            workflow_id=self._state.workflow_id,
            step_id=step.id,
            phase="forward" if phase == "settle" else phase,  # settling repeats the forward key
            attempt=attempt,
            action=action,
            timeout_seconds=step.timeout_seconds,
            agent_type=step.agent_type,
            # only agents are handed the whole context; other actions got
            # their values through placeholders (the context is not copied
            # into every activity's input in history)
            context=self._plan.context if kind.agent else {},
            origin=self._plan.options.origin,
        )
        handle = workflow.start_activity(
            ACTIVITY_NAMES[kind.name],
            request,
            activity_id=activity_id,
            start_to_close_timeout=timedelta(seconds=step.timeout_seconds),
            heartbeat_timeout=self._heartbeat_timeout(),
            retry_policy=_SINGLE_ATTEMPT,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        if phase in ("compensation", "settle", "cleanup"):
            return await self._await_despite_cancel(handle)
        try:
            # shielded: cancelling this step must not cancel the handle blindly
            # (the SDK then reports a just-completed activity as cancelled)
            return await asyncio.shield(handle)
        except asyncio.CancelledError:
            pass  # the run is stopping: learn what the activity did, below
        except ActivityError as exc:
            raise _as_step_failure(exc) from None
        # Let a result that has already arrived reach the handle, then ask
        # Temporal to cancel the activity and wait for the answer: completed
        # (the step completed, and will be compensated), failed, or cancelled
        # while it ran (its effect is unknown).
        await asyncio.sleep(0)
        if not handle.done():
            handle.cancel()
        try:
            return await handle
        except asyncio.CancelledError:
            self._unknown.add(step.id)
            raise
        except ActivityError as exc:
            if isinstance(exc.cause, CancelledError):
                self._unknown.add(step.id)
                raise asyncio.CancelledError() from None
            raise _as_step_failure(exc) from None

    async def _await_approval_gate(
        self, step: PlanStep, action: dict[str, Any], phase: str, attempt: int
    ) -> Any:
        """Run an approval as a child workflow; anything but APPROVED fails the
        step (not retried: a person decided, or nobody did in time)."""
        approval_id = (
            f"{self._state.workflow_id}.{step.id}"
            + ("" if phase == "forward" else f".{phase}")
            + (f".{attempt}" if attempt > 1 else "")
        )
        spec = {
            **action["spec"],
            "approval_id": approval_id,
            "workflow_id": self._state.workflow_id,
            "origin": self._plan.options.origin,
        }
        self._record(EventKind.APPROVAL_REQUESTED, step.id, attempt=attempt, detail=approval_id)
        try:
            result: dict[str, Any] = await workflow.execute_child_workflow(
                APPROVAL_WORKFLOW_NAME, {"spec": spec}, id=approval_id
            )
        except ChildWorkflowError as exc:
            if isinstance(exc.cause, CancelledError):
                raise asyncio.CancelledError() from None
            raise _StepFailed(
                f"approval {approval_id} failed: {exc.cause or exc}", retryable=False
            ) from None
        if result["status"] == "CANCELLED":
            raise asyncio.CancelledError()
        if result["status"] != "APPROVED":
            raise _StepFailed(
                f"approval {approval_id} {result['status']}: {result.get('reason')}",
                retryable=False,
            )
        return {
            "approval_id": approval_id,
            "status": result["status"],
            "reason": result.get("reason"),
            "votes": [vote for stage in result["stages"] for vote in stage["votes"]],
        }

    async def _await_despite_cancel(self, handle: Any) -> Any:
        """Compensation must finish even if the run is cancelled meanwhile."""
        while True:
            try:
                return await asyncio.shield(handle)
            except asyncio.CancelledError:
                self._cancel_during_undo()
            except ActivityError as exc:
                raise _as_step_failure(exc) from None

    async def _sleep_despite_cancel(self, seconds: float) -> None:
        """The backoff between two attempts of a compensation, a settle or the
        cleanup is waited out even if the run is cancelled meanwhile (before,
        such a cancel ended the run there, undo unfinished)."""
        ends, delay = workflow.time() + seconds, seconds
        while delay > 0:
            try:
                await workflow.sleep(timedelta(seconds=delay))
                return
            except asyncio.CancelledError:
                # histories from before this change ended the run here
                if not workflow.patched(UNDO_BACKOFF_SURVIVES_CANCEL):
                    raise
                self._cancel_during_undo()
            delay = ends - workflow.time()

    def _cancel_during_undo(self) -> None:
        self._cancel_requested = True
        self._record(
            EventKind.CANCEL_REQUESTED, detail="during compensation; compensation continues"
        )

    def _heartbeat_timeout(self) -> timedelta:
        seconds = self._plan.options.heartbeat_timeout_seconds
        return timedelta(seconds=seconds) if seconds else DEFAULT_HEARTBEAT_TIMEOUT

    def _resolve(self, step: PlanStep, action: dict[str, Any], phase: str) -> dict[str, Any]:
        newest_first = [self._outputs[s] for s in reversed(self._completion_order)]
        scopes: list[Any] = [o for o in newest_first if isinstance(o, dict)]
        if phase == "compensation" and isinstance(self._outputs.get(step.id), dict):
            scopes.insert(0, self._outputs[step.id])
        scopes.append(self._plan.context)
        named = {**self._outputs, "context": self._plan.context}
        kind = kind_of(action)
        shell, url = kind.shell_field, kind.url_field
        if shell and isinstance(action.get(shell), str):
            # values reach the shell as data (environment variables), never as code
            resolved: dict[str, Any] = resolve(
                {k: v for k, v in action.items() if k != shell}, scopes, named
            )
            resolved[shell], values = resolve_shell(action[shell], scopes, named)
            resolved["env"] = {**(resolved.get("env") or {}), **values}
            return resolved
        if url and isinstance(action.get(url), str):
            resolved = resolve({k: v for k, v in action.items() if k != url}, scopes, named)
            resolved[url] = resolve_url(action[url], scopes, named)
            return resolved
        resolved = resolve(action, scopes, named)
        return resolved

    async def _stop_running_steps(self, reason: str) -> None:
        self._stop_scheduling = True
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        if tasks:
            self._record(
                EventKind.RUNNING_STEPS_CANCELLED, detail=f"{reason}: {', '.join(self._running)}"
            )
            await workflow.wait(tasks)

    def _fail_run(self, reason: str) -> None:
        self._stop_scheduling = True
        if self._state.failure is None:
            self._state.failure = reason
            self._record(EventKind.RUN_FAILED, detail=reason)

    # ---- compensation -----------------------------------------------------

    async def _compensate_completed_steps(self) -> None:
        to_undo = list(reversed(self._undo_order))
        if not to_undo:
            return
        self._state.status = st.COMPENSATING
        self._set_search_attributes()
        for step_id in to_undo:
            step = self._plan.step(step_id)
            if step.compensation is None:
                self._record(EventKind.COMPENSATION_NOT_DEFINED, step_id)
                continue
            if step_id in self._unknown and step.compensate_if_unknown:
                if not await self._settle(step):
                    continue
            comp = st.CompensationState(
                step_id=step_id,
                order=len(self._state.compensations) + 1,
                started_at=st.iso(workflow.now()),
            )
            self._state.compensations.append(comp)
            try:
                comp.output = await self._attempt_with_retries(
                    step,
                    step.compensation,
                    "compensation",
                    self._plan.options.compensation_retry,
                    comp,
                )
                comp.status = st.COMP_COMPENSATED
                self._record(EventKind.STEP_COMPENSATED, step_id, attempt=comp.attempts)
            except _StepFailed as failure:
                comp.status = st.COMP_FAILED
                comp.error = str(failure)
                self._record(EventKind.COMPENSATION_FAILED, step_id, detail=str(failure))
            comp.completed_at = st.iso(workflow.now())

    async def _clean_up(self, action: dict[str, Any]) -> None:
        """The plan's end-of-run action, whatever the outcome; shielded from
        cancel like compensation. A failure is recorded, not fatal."""
        step = PlanStep(id="_cleanup", name="Clean up", action=action, timeout_seconds=300)
        progress = st.CompensationState(step_id="_cleanup", order=0)
        try:
            await self._attempt_with_retries(
                step, action, "cleanup", RetrySpec(max_attempts=3), progress
            )
            self._state.cleanup = {"status": "DONE", "error": None}
            self._record(EventKind.CLEANUP_DONE)
        except _StepFailed as failure:
            self._state.cleanup = {"status": "FAILED", "error": str(failure)}
            self._record(EventKind.CLEANUP_FAILED, detail=str(failure))

    async def _settle(self, step: PlanStep) -> bool:
        """Learn what a step cancelled mid-flight did, by repeating its forward
        action with the same idempotency key (a service that honours the key
        answers with the first outcome, or does it now — either way once).
        Returns whether there is something to compensate."""
        step_state = self._step_states[step.id]
        self._record(
            EventKind.SETTLE_STARTED, step.id, detail="repeating the forward action with its key"
        )
        settled = st.CompensationState(step_id=step.id, order=0)
        try:
            output = await self._attempt_with_retries(
                step, step.action, "settle", self._plan.options.compensation_retry, settled
            )
        except _StepFailed as failure:
            if failure.retryable or failure.exhausted:
                comp = st.CompensationState(
                    step_id=step.id,
                    order=len(self._state.compensations) + 1,
                    status=st.COMP_FAILED,
                    error=f"its effect is still unknown: {failure}",
                    started_at=st.iso(workflow.now()),
                    completed_at=st.iso(workflow.now()),
                )
                self._state.compensations.append(comp)
                self._record(EventKind.COMPENSATION_FAILED, step.id, detail=comp.error)
                return False
            self._record(
                EventKind.SETTLE_NOT_DONE, step.id, detail=f"the action is refused: {failure}"
            )
            return False
        step_state.output = output
        self._outputs[step.id] = output
        self._record(
            EventKind.STEP_SETTLED, step.id, detail="the forward action's outcome is known"
        )
        return True

    # ---- end of run -------------------------------------------------------

    def _finish(self) -> None:
        for step_state in self._state.steps:
            if step_state.status == st.PENDING:
                step_state.status = st.SKIPPED
                step_state.error = "not started: the run stopped first"
        if any(c.status == st.COMP_FAILED for c in self._state.compensations):
            status = st.COMPENSATION_FAILED
        elif self._cancel_requested:
            status = st.CANCELLED
        elif self._state.failure:
            status = st.COMPENSATED
        else:
            status = st.COMPLETED
        self._state.status = status
        self._state.closed_at = st.iso(workflow.now())
        if status == st.COMPLETED and self._plan.options.result:
            try:
                self._state.result = resolve(
                    self._plan.options.result, [], {**self._outputs, "context": self._plan.context}
                )
            except PlaceholderError:
                self._state.result = dict(self._plan.options.result)
        self._record(EventKind.RUN_FINISHED, detail=status)
        self._set_search_attributes()

    async def _send_alert(self) -> None:
        channels = self._plan.options.notification_channels
        if not channels:
            return
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
                self._record(EventKind.ALERT_SENT, detail=redact(", ".join(channels)))
                return
            except ActivityError as exc:
                self._record(EventKind.ALERT_FAILED, detail=describe_failure(exc))
                return
            except asyncio.CancelledError:
                if not survives_cancel:
                    raise
                self._cancel_requested = True
                self._record(
                    EventKind.CANCEL_REQUESTED, detail="while the failure alert is sent; it is sent"
                )

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

    def _record(
        self,
        event: EventKind,
        step_id: str | None = None,
        *,
        attempt: int | None = None,
        detail: str | None = None,
    ) -> None:
        self._state.audit.append(
            st.AuditEvent(
                at=st.iso(workflow.now()) or "",
                event=event,
                step_id=step_id,
                attempt=attempt,
                detail=detail,
            )
        )


def _as_step_failure(exc: ActivityError) -> _StepFailed:
    cause = exc.cause
    worker_lost = isinstance(cause, TimeoutError) and cause.type == TimeoutType.HEARTBEAT
    return _StepFailed(describe_failure(exc), retryable=is_retryable(exc), worker_lost=worker_lost)


def describe_failure(exc: ActivityError) -> str:
    cause = exc.cause
    if isinstance(cause, TimeoutError):
        if cause.type == TimeoutType.HEARTBEAT:
            return "no heartbeat from the worker running this attempt (worker lost)"
        kind = cause.type.name if cause.type is not None else "TIMEOUT"
        return f"attempt timed out ({kind.lower().replace('_', ' ')})"
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or exc)


def is_retryable(exc: ActivityError) -> bool:
    cause = exc.cause
    return not (isinstance(cause, ApplicationError) and cause.non_retryable)
