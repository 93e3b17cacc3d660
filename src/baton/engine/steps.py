"""Running one action: its placeholders filled, each attempt one activity (or
an approval gate: a child approval workflow), failed attempts retried with
backoff, a lost worker's attempt run again, and a cancel that learns what
the activity did before it gives up on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from ..actions.registry import ACTIVITY_NAMES, kind_of
    from ..actions.types import ActionRequest
    from ..plan.model import PlanStep, RetrySpec
    from . import state as st
    from .approval import APPROVAL_WORKFLOW_NAME
    from .commands import FAILED, correlation_id, reply_outcome
    from .events import Filter, Waiter
    from .failures import (
        APPROVAL,
        ATTEMPT_ERRORS,
        EXPRESSION,
        TIMEOUT,
        StepFailed,
        as_step_failure,
        failure_cause,
        problem,
    )
    from .placeholders import PlaceholderError, resolve, resolve_shell, resolve_url
    from .run import Run
    from .vocabulary import EventKind, attempt_event

# How long a step may go without a heartbeat before its worker counts as lost.
# Actions heartbeat every second, so this leaves room for a busy worker; a
# lost worker's step runs again about this long + the sticky timeout (2 s)
# after the worker died (docs/benchmarks.md, recovery).
DEFAULT_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
_SINGLE_ATTEMPT = RetryPolicy(maximum_attempts=1)
# workflow.patched id: a cancel during an undo backoff no longer ends the run
UNDO_BACKOFF_SURVIVES_CANCEL = "undo-backoff-survives-cancel"
# workflow.patched id: a cancel during a scope's undo (not the run's) is
# not taken for a cancel of the run
NESTED_UNDO_CANCEL = "nested-undo-cancel"
# A worker that dies mid-attempt is noticed by its missing heartbeats. Such a
# loss is retried without counting against the step's retry_count (the action
# did not fail; its worker did), up to this many times per attempt.
MAX_WORKER_LOSSES = 10


def backoff(retry: RetrySpec, attempt: int) -> float:
    """The wait before attempt ``attempt + 1``: by the policy's backoff,
    capped, plus its jitter (Temporal's deterministic random)."""
    if retry.backoff == "constant":
        delay = retry.initial_interval_seconds
    elif retry.backoff == "linear":
        delay = retry.initial_interval_seconds * attempt
    else:
        delay = retry.initial_interval_seconds * retry.backoff_coefficient ** (attempt - 1)
    delay = min(delay, retry.max_interval_seconds)
    if retry.jitter_seconds:
        low, high = retry.jitter_seconds
        delay += workflow.random().uniform(low, high)
    return delay


class Steps:
    def __init__(self, run: Run) -> None:
        self.run = run

    async def attempt_with_retries(
        self,
        key: str,
        step: PlanStep,
        action: dict[str, Any],
        phase: str,
        retry: RetrySpec,
        progress: st.StepState | st.CompensationState,
        names: Mapping[str, Any] | None = None,
        computed: Callable[[], dict[str, Any]] | None = None,
    ) -> Any:
        """Run ``action`` until it succeeds or attempts run out. Each attempt is
        one activity (no server-side retries) so that attempts, errors and
        backoff are visible in the run's audit trail. ``names`` are the
        values of the node's surroundings (loop items, a scope's outputs);
        ``computed`` gives fields laid over the action (``action_from``)."""
        run = self.run
        attempt = 0
        losses = 0  # worker losses during the current attempt
        while True:
            attempt += 1
            progress.attempts = attempt
            try:
                resolved = self.resolve(key, action, phase, names)
                if computed is not None:
                    resolved = {**resolved, **computed(), "type": resolved["type"]}
            except PlaceholderError as exc:
                raise StepFailed(f"{phase} action: {exc}", retryable=False) from None
            run.record(attempt_event(phase, "started"), key, attempt=attempt)
            activity_id = f"{key}.{phase}.{attempt}" + (f".{losses}" if losses else "")
            try:
                return await self._execute_action(key, step, resolved, phase, attempt, activity_id)
            except StepFailed as failure:
                if (
                    failure.worker_lost
                    and losses < MAX_WORKER_LOSSES
                    and not run.stopping_forward(phase)
                    and not failure.cancelled
                ):
                    losses += 1
                    run.record(
                        attempt_event(phase, "lost"), key, attempt=attempt, detail=str(failure)
                    )
                    attempt -= 1  # the same attempt again: the action did not fail, its worker did
                    continue
                losses = 0
                run.record(
                    attempt_event(phase, "failed"), key, attempt=attempt, detail=str(failure)
                )
                if not failure.retryable or attempt >= retry.max_attempts:
                    if failure.retryable and retry.max_attempts > 1:
                        raise failure.again(
                            f"{failure} (gave up after {attempt} attempts)", exhausted=True
                        ) from None
                    raise
                if run.stopping_forward(phase):
                    raise failure.again(f"{failure} (not retried: the run is stopping)") from None
                if failure.cancelled:
                    raise failure.again(f"{failure} (not retried: the step was stopped)") from None
            delay = backoff(retry, attempt)
            if phase == "forward":
                await workflow.sleep(timedelta(seconds=delay))
            else:
                await self.sleep_despite_cancel(delay)

    async def _execute_action(
        self,
        key: str,
        step: PlanStep,
        action: dict[str, Any],
        phase: str,
        attempt: int,
        activity_id: str,
    ) -> Any:
        kind = kind_of(action)
        if kind.gate:
            return await self._await_approval_gate(key, action, phase, attempt)
        if kind.command:
            return await self._command(key, step, action, phase, attempt, activity_id)
        return await self._activity(key, step, action, phase, attempt, activity_id)

    async def _activity(
        self,
        key: str,
        step: PlanStep,
        action: dict[str, Any],
        phase: str,
        attempt: int,
        activity_id: str,
    ) -> Any:
        kind = kind_of(action)
        run = self.run
        request = ActionRequest(
            workflow_id=run.workflow_id,
            step_id=key,
            phase="forward" if phase == "settle" else phase,  # settling repeats the forward key
            attempt=attempt,
            action=action,
            timeout_seconds=step.timeout_seconds,
            agent_type=step.agent_type,
            # only agents are handed the whole context; other actions got
            # their values through placeholders (the context is not copied
            # into every activity's input in history)
            context=run.context if kind.agent else {},
            origin=run.plan.options.origin,
        )
        options: dict[str, Any] = {
            "activity_id": activity_id,
            "start_to_close_timeout": timedelta(seconds=step.timeout_seconds),
            "retry_policy": _SINGLE_ATTEMPT,
            "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        }
        handle: Any
        if step.local:
            # in this workflow task, on this worker (plan/dispatch.py): no
            # task-queue round trip; its worker's death is noticed by the
            # workflow task's timeout, and the attempt runs again
            run.local_results_pending = True
            handle = workflow.start_local_activity(ACTIVITY_NAMES[kind.name], request, **options)
        else:
            handle = workflow.start_activity(
                ACTIVITY_NAMES[kind.name],
                request,
                heartbeat_timeout=self._heartbeat_timeout(step),
                **options,
            )
        if phase in ("compensation", "settle", "cleanup"):
            return await self.await_despite_cancel(handle)
        try:
            # shielded: cancelling this step must not cancel the handle blindly
            # (the SDK then reports a just-completed activity as cancelled)
            return await asyncio.shield(handle)
        except asyncio.CancelledError:
            pass  # the run is stopping: learn what the activity did, below
        except ATTEMPT_ERRORS as exc:
            raise as_step_failure(exc) from None
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
            run.unknown.add(key)
            raise
        except ATTEMPT_ERRORS as exc:
            if isinstance(failure_cause(exc), CancelledError):
                run.unknown.add(key)
                raise asyncio.CancelledError() from None
            failure = as_step_failure(exc)
            failure.cancelled = True  # it failed while being stopped: not retried
            raise failure from None

    async def _command(
        self,
        key: str,
        step: PlanStep,
        action: dict[str, Any],
        phase: str,
        attempt: int,
        activity_id: str,
    ) -> Any:
        """A command to a service (choreography): an activity publishes it,
        then the attempt waits — within the step's timeout — for the
        service's reply event, which the worker's reply listener delivers to
        the run. A reply that came while no attempt waited (a late one to an
        earlier attempt) completes the step without publishing again; a late
        failure is dropped (this attempt asks again)."""
        run = self.run
        correlation = correlation_id(run.workflow_id, workflow.info().run_id, key, phase)

        def stale_failure(event: dict[str, Any]) -> bool:
            return event.get("correlationid") == correlation and event.get("type") == FAILED

        run.events.discard(stale_failure)
        waiter = Waiter(key, [Filter(correlate={"correlationid": correlation})])
        started = workflow.time()
        run.events.open(waiter)
        try:
            if not waiter.done:
                await self._activity(
                    key, step, {**action, "correlationid": correlation}, phase, attempt, activity_id
                )
                await self._await_reply(key, waiter, step, phase, started, str(action["subject"]))
        finally:
            run.events.close(waiter)
        reply = waiter.consumed[0]
        succeeded, output, message, retryable = reply_outcome(reply)
        if succeeded:
            return output
        text = f"{reply.get('source')} failed the command on {action['subject']}: {message}"
        raise StepFailed(text, retryable, error=problem("command_failed", text))

    async def _await_reply(
        self, key: str, waiter: Waiter, step: PlanStep, phase: str, started: float, subject: str
    ) -> None:
        """Until ``waiter`` has the reply, at most the step's timeout after
        the attempt started. Undoing, a cancel does not stop the wait; going
        forward, it leaves the command's effect unknown."""
        deadline = started + step.timeout_seconds
        while not waiter.done:
            remaining = deadline - workflow.time()
            try:
                if remaining <= 0:
                    raise asyncio.TimeoutError
                await workflow.wait_condition(
                    lambda: waiter.done, timeout=timedelta(seconds=remaining)
                )
            except asyncio.TimeoutError:
                message = f"no reply to the command on {subject} within {step.timeout_seconds:g} s"
                raise StepFailed(message, True, error=problem(TIMEOUT, message)) from None
            except asyncio.CancelledError:
                if phase in ("compensation", "settle", "cleanup"):
                    self.cancel_during_undo()
                    continue
                self.run.unknown.add(key)  # published: the service may act on it
                raise

    async def _await_approval_gate(
        self, key: str, action: dict[str, Any], phase: str, attempt: int
    ) -> Any:
        """Run an approval as a child workflow; anything but APPROVED fails the
        step (not retried: a person decided, or nobody did in time) — but a
        gate with ``"rejection": "output"`` gives a REJECTED outcome as its
        output, as it gives an APPROVED one."""
        run = self.run
        approval_id = (
            f"{run.workflow_id}.{key}"
            + ("" if phase == "forward" else f".{phase}")
            + (f".{attempt}" if attempt > 1 else "")
        )
        # description and context computed from the run's data (the process
        # language's call: baton/approval) replace the compiled ones
        made = {k: action[k] for k in ("description", "context") if k in action}
        if not isinstance(made.get("context", {}), dict):
            message = f"the approval's context must be an object, got {made['context']!r}"[:300]
            raise StepFailed(message, False, error=problem(EXPRESSION, message))
        if "description" in made:
            made["description"] = str(made["description"])
        spec = {
            **action["spec"],
            **made,
            "approval_id": approval_id,
            "workflow_id": run.workflow_id,
            "origin": run.plan.options.origin,
        }
        run.record(EventKind.APPROVAL_REQUESTED, key, attempt=attempt, detail=approval_id)
        try:
            result: dict[str, Any] = await workflow.execute_child_workflow(
                APPROVAL_WORKFLOW_NAME, {"spec": spec}, id=approval_id
            )
        except ChildWorkflowError as exc:
            if isinstance(exc.cause, CancelledError):
                raise asyncio.CancelledError() from None
            raise StepFailed(
                f"approval {approval_id} failed: {exc.cause or exc}", retryable=False
            ) from None
        if result["status"] == "CANCELLED":
            raise asyncio.CancelledError()
        # a BPMN user task: a rejection is data the process routes on
        # (plan/bpmn/user_tasks.py), not a failure
        rejection_is_output = action.get("rejection") == "output"
        if result["status"] != "APPROVED" and not (
            result["status"] == "REJECTED" and rejection_is_output
        ):
            message = f"approval {approval_id} {result['status']}: {result.get('reason')}"
            raise StepFailed(
                message,
                retryable=False,
                error=problem(APPROVAL, message, detail=str(result["status"]).lower()),
            )
        return {
            "approval_id": approval_id,
            "status": result["status"],
            "reason": result.get("reason"),
            "votes": [vote for stage in result["stages"] for vote in stage["votes"]],
        }

    async def await_despite_cancel(self, handle: Any) -> Any:
        """Compensation must finish even if the run is cancelled meanwhile."""
        while True:
            try:
                return await asyncio.shield(handle)
            except asyncio.CancelledError:
                self.cancel_during_undo()
            except ATTEMPT_ERRORS as exc:
                raise as_step_failure(exc) from None

    async def sleep_despite_cancel(self, seconds: float) -> None:
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
                self.cancel_during_undo()
            delay = ends - workflow.time()

    def cancel_during_undo(self) -> None:
        """A cancel reached an undo under way: it finishes. During the run's
        own undo that is a cancel of the run; during a scope's (a
        compensation throw, a transaction) the run was cancelled already —
        then ``cancel_requested`` is set — or only that scope was stopped."""
        # runs recorded before this distinction set cancel_requested always
        if not self.run.undoing_run and workflow.patched(NESTED_UNDO_CANCEL):
            self.run.record(
                EventKind.RUNNING_STEPS_CANCELLED,
                detail="stopped during compensation; compensation continues",
            )
            return
        self.run.cancel_requested = True
        self.run.record(
            EventKind.CANCEL_REQUESTED, detail="during compensation; compensation continues"
        )

    def _heartbeat_timeout(self, step: PlanStep) -> timedelta:
        seconds = step.heartbeat_timeout_seconds or self.run.plan.options.heartbeat_timeout_seconds
        return timedelta(seconds=seconds) if seconds else DEFAULT_HEARTBEAT_TIMEOUT

    def resolve(
        self,
        key: str,
        action: dict[str, Any],
        phase: str,
        names: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        run = self.run
        if key in run.nodes and run.nodes[key].literal:
            return action  # filled before the run (an undo run's): nothing to resolve
        scopes, named = self.placeholder_scopes(key, phase, names)
        return resolve_action(action, scopes, named)

    def placeholder_scopes(
        self, key: str, phase: str, names: Mapping[str, Any] | None = None
    ) -> tuple[list[Any], dict[str, Any]]:
        run = self.run
        own = run.instance_outputs.get(key) if phase == "compensation" else None
        return scopes_for(run.outputs, list(run.completion_order), own, run.context, names)


def scopes_for(
    outputs: Mapping[str, Any],
    completion_order: list[str],
    own: Any,
    context: dict[str, Any],
    names: Mapping[str, Any] | None = None,
) -> tuple[list[Any], dict[str, Any]]:
    """Where an instance's ``{placeholders}`` look: bare names in the scopes
    (``names``, its own output when compensating — ``own`` —, the completed
    outputs newest first, the context), dotted ones by step id."""
    newest_first = [outputs[s] for s in reversed(completion_order)]
    scopes: list[Any] = [o for o in newest_first if isinstance(o, dict)]
    if isinstance(own, dict):
        scopes.insert(0, own)
    scopes.append(context)
    named = {**outputs, "context": context}
    if names:
        scopes.insert(0, names)
        named.update(names)
    return scopes, named


def resolve_action(
    action: dict[str, Any], scopes: list[Any], named: dict[str, Any]
) -> dict[str, Any]:
    """``action`` with its placeholders filled from ``scopes`` and ``named``."""
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
