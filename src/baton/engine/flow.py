"""Scheduling a plan's nodes: which starts when, and what becomes of it.

A scope (the plan itself, a scope node's body, one loop iteration) runs as a
:class:`Frame`. Edges (each node's ``after``) carry tokens: live when the
node before completed (or was passed over by its condition, or routed here),
dead when it failed, was skipped, or routed elsewhere. A node starts when its
join rule is met (``all``: a live token on every edge, and a dead one skips
it; ``any``: a token on every edge, one of them live; ``each``: every live
token). Nodes are looked at in plan order until nothing more can start —
for a saga that is exactly "a step runs when its dependencies completed and
is skipped when one did not", with the same order of starts.

Every node instance runs as a task; when it ends, its tokens go on (along its
routes, if it has any) or, with nowhere to go, its data is what the scope
produced. A scope ends when nothing runs in it and nothing can start.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..expressions import ExpressionError, UnknownNameError, evaluate
    from ..expressions.jqlang import secret_references
    from ..integrations import deadletters
    from ..plan.durations import duration_seconds
    from ..plan.model import END, EXIT, Catch, Expr, Join, NodeKind, PlanStep
    from ..plan.schemas import data_problem
    from . import observe
    from . import state as st
    from .decide import decide
    from .failures import EXPRESSION, TIMEOUT, StepFailed, problem, validation_failed
    from .frames import Frame, Token, skip_reason
    from .nodes import WORKFLOW_NAME, ControlNodes
    from .run import Run
    from .steps import Steps, backoff
    from .triggers import Interrupted, Triggers
    from .undo import Undo
    from .vocabulary import EventKind, SlaStatus

__all__ = ["WORKFLOW_NAME", "Flow", "Frame"]
# A node started this often in one scope is a cycle that does not end.
MAX_NODE_INSTANCES = 10_000
# Control nodes (set, noop, raise) do no I/O, so a cycle of them never hands
# the workflow task back; after this many in one activation a 1 ms timer does,
# well inside Temporal's 2 s deadlock detection.
BURST = 500
INSTANT_KINDS = (NodeKind.NOOP, NodeKind.SET, NodeKind.RAISE, NodeKind.DECIDE)
# workflow.patched id: a node with a deadline cancelled as its work completed
# keeps what it did
KEEP_COMPLETED_ON_CANCEL = "deadline-keeps-completed"
# languages whose names are the context's variables, not the plan's scope
VARIABLE_LANGUAGES = ("feel", "juel")
# what a caller passes about the data, which those languages do not see
DATA_NAMES = ("input", "output", "outputs", "error", "event", "events", ".", "task", "secrets")
# what a failing scope (or run) stops at once instead of waiting for
INTERRUPTIBLE_KINDS = (NodeKind.WAIT, NodeKind.SUBPROCESS)


# `$task`: the node instance whose expression is being evaluated
CURRENT_TASK: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "baton_current_task", default=None
)
# `$runtime` of plans compiled before plans said which Baton made them
RUNTIME: dict[str, Any] = {"name": "baton", "version": "", "metadata": {}}


def moment(when: datetime) -> dict[str, Any]:
    """A time as the process language's date-time descriptor."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    millis = int(when.timestamp() * 1000)
    iso = when.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return {
        "iso8601": iso.replace("+00:00", "Z"),
        "epoch": {"seconds": millis // 1000, "milliseconds": millis},
    }


def task_descriptor(node: PlanStep, entry: st.StepState, data: Any) -> dict[str, Any]:
    """``$task``: the node's name, reference (its id: a JSON pointer in a
    process), raw input and start time."""
    started = datetime.fromisoformat(entry.started_at) if entry.started_at else workflow.now()
    return {"name": node.name, "reference": node.id, "input": data, "startedAt": moment(started)}


class Flow:
    def __init__(
        self,
        run: Run,
        steps: Steps,
        undo: Undo,
        on_waiting_changed: Callable[[], None],
        history_full: Callable[[], bool],
    ) -> None:
        self.run = run
        self.steps = steps
        self.undo = undo
        self.on_waiting_changed = on_waiting_changed
        self.history_full = history_full
        self.root: Frame | None = None
        self.nodes = ControlNodes(self)
        self.triggers = Triggers(self)
        undo.run_handler = self.run_undo_handler
        # tasks told to stop (each is told once: a second cancel would cut
        # short the cleanup of the first)
        self._cancelled: set[asyncio.Task[Any]] = set()
        self.pool_version = 0  # bumped when a pooled node ends (wakes blocked scopes)
        self._burst_at, self._burst = 0.0, 0

    # ---- driving a frame ----------------------------------------------------

    async def run_root(self, frame: Frame, on_deadline: Callable[[], Any]) -> None:
        """Run the plan's own scope; ``on_deadline`` (a coroutine function) when
        the run's deadline passes. A cancel reaches the caller, which stops
        what runs (the run's own undo follows)."""
        self.root = frame
        deadline = self.run.plan.options.deadline_seconds
        ends_at = workflow.time() + deadline if deadline else None
        while True:
            if not self.run.stop_scheduling and not frame.stopped:
                self.schedule(frame)
            if frame.cancel_rest:
                await self.stop_running(frame, frame.cancel_rest)
            if self.run.stop_scheduling:
                self._interrupt(frame)
            if not frame.running and not (frame.pool_blocked and not self.run.stop_scheduling):
                return
            frame.changed = False
            seen = self.pool_version
            timeout = None if ends_at is None else max(0.0, ends_at - workflow.time())
            try:
                await workflow.wait_condition(
                    lambda seen=seen: (
                        frame.changed  # type: ignore[misc]
                        or (frame.pool_blocked and self.pool_version != seen)
                    ),
                    timeout=timeout,
                )
                self._raise_task_errors(frame)
            except asyncio.TimeoutError:
                ends_at = None
                await on_deadline()

    async def run_nested(self, frame: Frame) -> None:
        if self.stopping(frame):
            raise asyncio.CancelledError()  # the run (or a scope around) stopped first
        try:
            while True:
                if not frame.stopped and not self.stopping(frame):
                    self.schedule(frame)
                if frame.cancel_rest:
                    await self.stop_running(frame, frame.cancel_rest, stop_frame=False)
                stopping = self.stopping(frame)
                if stopping:
                    self._interrupt(frame)
                if not frame.running and not (frame.pool_blocked and not stopping):
                    return
                frame.changed = False
                seen = (self.pool_version, self.run.stop_epoch)
                await workflow.wait_condition(
                    lambda seen=seen: frame.changed or self._woken(frame, seen)  # type: ignore[misc]
                )
                self._raise_task_errors(frame)
        except asyncio.CancelledError:
            await self.stop_running(frame, "its scope was cancelled")
            raise

    def _woken(self, frame: Frame, seen: tuple[int, int]) -> bool:
        pool, epoch = seen
        return (frame.pool_blocked and self.pool_version != pool) or self.run.stop_epoch != epoch

    def stopping(self, frame: Frame) -> bool:
        """Whether the run, or a scope ``frame`` is in, has failed or stopped:
        nothing new starts there, and its waits end."""
        current: Frame | None = frame
        while current is not None:
            if current.failure is not None:
                return True
            if current.undoing:
                return False  # an undo runs to its end
            current = current.parent
        return self.run.stop_scheduling

    def _interrupt(self, frame: Frame) -> None:
        """A stopping scope does not wait for waits and sub-processes: they
        are cancelled (actions that run are let finish, as in a saga)."""
        for key, task in frame.running.items():
            node = self.run.nodes[key]
            if node.kind in INTERRUPTIBLE_KINDS and task not in self._cancelled:
                self.run.record(
                    EventKind.RUNNING_STEPS_CANCELLED, detail=f"its scope stopped: {key}"
                )
                self.cancel(task)

    def cancelled(self, task: asyncio.Task[Any]) -> bool:
        """Whether ``task`` has been told to stop."""
        return task in self._cancelled

    def cancel(self, task: asyncio.Task[Any]) -> None:
        if task not in self._cancelled and not task.done():
            self._cancelled.add(task)
            task.cancel()

    async def stop_running(self, frame: Frame, reason: str, *, stop_frame: bool = True) -> None:
        """Cancel what runs in ``frame`` and wait until it has stopped."""
        frame.cancel_rest = None
        if stop_frame:
            frame.stopped = True
            if frame is self.root:
                self.run.stop_scheduling = True
        tasks = list(frame.running.values())
        fresh = [task for task in tasks if task not in self._cancelled]
        for task in fresh:
            self.cancel(task)
        if fresh:
            self.run.record(
                EventKind.RUNNING_STEPS_CANCELLED, detail=f"{reason}: {', '.join(frame.running)}"
            )
        await self.wait_despite_cancel(tasks)

    @staticmethod
    async def wait_despite_cancel(tasks: list[asyncio.Task[Any]]) -> None:
        """Wait until ``tasks`` end, even if this task is cancelled meanwhile
        (they were told to stop already; leaving early would lose what they
        finish with)."""
        pending = [task for task in tasks if not task.done()]
        while pending:
            try:
                await workflow.wait(pending)
            except asyncio.CancelledError:
                pass
            pending = [task for task in pending if not task.done()]

    @staticmethod
    def _raise_task_errors(frame: Frame) -> None:
        """A bug in a node task must fail the workflow task (so Temporal
        retries it after a fix) rather than leave the run waiting forever."""
        finished, frame.finished = frame.finished, []
        for task in finished:
            if not task.cancelled() and task.exception() is not None:
                task.result()

    # ---- which nodes start ------------------------------------------------

    def schedule(self, frame: Frame) -> None:
        if self.history_full():
            return
        frame.pool_blocked = False
        progressed = True
        while progressed:
            progressed = False
            for node in frame.nodes:
                while self._fire(frame, node):
                    progressed = True
                    if frame.stopped or (self.run.stop_scheduling and not frame.undoing):
                        return

    def _fire(self, frame: Frame, node: PlanStep) -> bool:
        """Start (or skip) one instance of ``node`` if its join rule is met."""
        sources = frame.incoming[node.id]
        tokens = frame.tokens
        if sources and not any(
            (source, node.id) in tokens and tokens[(source, node.id)] for source in sources
        ):
            return False  # nothing has arrived: no join rule starts or skips it
        edges = [(source, node.id) for source in sources]
        heads = [frame.tokens[edge][0] if frame.tokens[edge] else None for edge in edges]
        if node.join == Join.FIRST:
            return self._fire_first(frame, node, edges, heads)
        if node.join == Join.EACH and node.tokens_in > 1:
            return self._fire_counted(frame, node, edges)
        if node.join == Join.EACH:
            for edge, head in zip(edges, heads, strict=True):
                if head is None:
                    continue
                if head.live and self._pool_full(node):
                    frame.pool_blocked = True
                    return False
                frame.tokens[edge].popleft()
                if head.live:
                    self._start(frame, node, head.data)
                return True
            return False
        dead_heads = [
            (edge[0], head)
            for edge, head in zip(edges, heads, strict=True)
            if head is not None and not head.live
        ]
        dead = [source for source, _ in dead_heads]
        arrived = all(head is not None for head in heads)
        if node.join == Join.ALL and dead:
            # skipped as soon as one edge is dead; the tokens still to come are dropped
            for edge, head in zip(edges, heads, strict=True):
                if head is None:
                    frame.discard[edge] += 1
                else:
                    frame.tokens[edge].popleft()
            self._skip(frame, node, skip_reason(dead_heads))
            return True
        if not arrived:
            return False
        live = [head for head in heads if head is not None and head.live]
        if live and self._pool_full(node):
            frame.pool_blocked = True
            return False
        for edge in edges:
            frame.tokens[edge].popleft()
        if not live:
            self._skip(frame, node, skip_reason(dead_heads))
        else:
            self._start(frame, node, live[0].data if len(live) == 1 else [t.data for t in live])
        return True

    def _fire_counted(self, frame: Frame, node: PlanStep, edges: list[tuple[str, str]]) -> bool:
        """Join "each" with ``tokens_in`` > 1: that many live tokens, from
        any of its edges (in edge order), start it once; dead ones are
        dropped."""
        dropped = False
        for edge in edges:
            while frame.tokens[edge] and not frame.tokens[edge][0].live:
                frame.tokens[edge].popleft()
                dropped = True
        waiting = [(edge, t) for edge in edges for t in frame.tokens[edge] if t.live]
        if dropped and not waiting:
            # a path not taken: passed on, so a join further on knows
            self._skip(frame, node, "skipped: no live token came")
            return True
        if len(waiting) < node.tokens_in:
            return dropped
        if self._pool_full(node):
            frame.pool_blocked = True
            return dropped
        taken = waiting[: node.tokens_in]
        for edge, token in taken:
            frame.tokens[edge].remove(token)
        self._start(frame, node, taken[0][1].data)
        return True

    def _fire_first(
        self,
        frame: Frame,
        node: PlanStep,
        edges: list[tuple[str, str]],
        heads: list[Token | None],
    ) -> bool:
        """Join "first": take one token from an edge that has not brought one
        this round; the round's first live token starts the node, the rest
        of the round is absorbed; a round of dead tokens only skips it."""
        arrived, started = frame.rounds.get(node.id, (set(), False))
        for edge, head in zip(edges, heads, strict=True):
            if head is None or edge in arrived:
                continue
            if head.live and not started and self._pool_full(node):
                frame.pool_blocked = True
                return False
            frame.tokens[edge].popleft()
            arrived = arrived | {edge}
            if head.live and not started:
                started = True
                self._start(frame, node, head.data)
            if len(arrived) == len(edges):
                if not started:
                    self._skip(frame, node, "skipped: no live token came")
                arrived, started = set(), False
            frame.rounds[node.id] = (arrived, started)
            return True
        return False

    def _pool_full(self, node: PlanStep) -> bool:
        """A step in a resource pool waits while its pool is full (projects:
        at most max_parallel_agents agent phases at once)."""
        limit = self.run.plan.options.pool_limits.get(node.pool) if node.pool else None
        if limit is None:
            return False
        running = sum(
            1
            for entry in self.run.state.steps
            if entry.status == st.STEP_RUNNING and self.run.nodes[entry.step_id].pool == node.pool
        )
        return running >= limit

    def _new_instance(self, frame: Frame, node: PlanStep) -> tuple[str, st.StepState]:
        frame.instances[node.id] += 1
        count = frame.instances[node.id]
        key = f"{frame.prefix}{node.id}" + (f"#{count}" if count > 1 else "")
        iteration = (
            frame.iteration if frame.iteration is not None else (count if count > 1 else None)
        )
        return key, self.run.entry(node, key, iteration)

    def _skip(self, frame: Frame, node: PlanStep, reason: str) -> None:
        key, entry = self._new_instance(frame, node)
        entry.status = st.SKIPPED
        entry.error = reason
        self.run.record(EventKind.STEP_SKIPPED, key, detail=reason)
        self._send_on(frame, node, live=False)

    def _start(self, frame: Frame, node: PlanStep, data: Any) -> None:
        key, entry = self._new_instance(frame, node)
        if frame.instances[node.id] > MAX_NODE_INSTANCES:
            entry.started_at = entry.completed_at = st.iso(workflow.now())
            message = (
                f"it started {MAX_NODE_INSTANCES:,} times in this scope: a cycle that does "
                "not end? (a loop node bounds its iterations with max_iterations)"
            )
            self._failed(frame, node, key, entry, StepFailed(message, False), data)
            return
        if node.when is not None:
            try:
                holds = self.evaluate(
                    node.when, frame, input=data, task=task_descriptor(node, entry, data)
                )
            except ExpressionError as exc:
                entry.started_at = entry.completed_at = st.iso(workflow.now())
                message = f"its condition failed: {exc}"
                self._failed(
                    frame,
                    node,
                    key,
                    entry,
                    StepFailed(message, False, error=problem(EXPRESSION, message)),
                    data,
                )
                return
            if not holds:
                entry.status = st.SKIPPED
                entry.error = "its condition is false"
                self.run.record(EventKind.STEP_SKIPPED, key, detail=entry.error)
                self._pass_on(frame, node, data)
                return
        entry.status = st.STEP_RUNNING
        entry.started_at = st.iso(workflow.now())
        task = asyncio.create_task(self._run_instance(frame, node, key, entry, data))
        task.add_done_callback(frame.finished.append)
        task.add_done_callback(lambda done: self._never_started(done, frame, node, key, entry))
        frame.running[key] = task

    def _never_started(
        self, task: asyncio.Task[None], frame: Frame, node: PlanStep, key: str, entry: st.StepState
    ) -> None:
        """A task cancelled before its first step never runs its body: end
        the instance here instead."""
        if not task.cancelled() or entry.status != st.STEP_RUNNING:
            return
        entry.status = st.STEP_CANCELLED
        entry.error = "cancelled before it started"
        entry.completed_at = st.iso(workflow.now())
        self.run.record(EventKind.STEP_CANCELLED, key, detail=entry.error)
        frame.running.pop(key, None)
        self._send_on(frame, node, live=False)
        frame.changed = True

    # ---- one node instance --------------------------------------------------

    async def _run_instance(
        self, frame: Frame, node: PlanStep, key: str, entry: st.StepState, data: Any
    ) -> None:
        run = self.run
        # what `$task` is to this instance's expressions (its own asyncio task's context)
        CURRENT_TASK.set(task_descriptor(node, entry, data))
        try:
            if node.kind in INSTANT_KINDS:
                await self._yield_now_and_then()
            output, chosen = await self._with_catch_retries(frame, node, key, entry, data)
        except asyncio.CancelledError:
            self._cancelled_instance(frame, node, key, entry, "cancelled before it completed")
            self._send_on(frame, node, live=False)
        except Interrupted as interrupted:
            # an interrupting trigger: the token leaves by the trigger's node
            self._cancelled_instance(frame, node, key, entry, str(interrupted))
            self._send_on(
                frame, node, live=True, data=interrupted.data, chosen={interrupted.trigger.to}
            )
        except StepFailed as failure:
            self._failed(frame, node, key, entry, failure, data)
        else:
            entry.status = st.STEP_COMPLETED
            entry.output = output
            run.completed(node, key, output)
            frame.outputs[node.id] = output
            if (
                node.kind not in (NodeKind.SCOPE, NodeKind.LOOP)
                or node.compensation is not None
                or node.undo_with is not None
            ):
                frame.undo.append(key)
            if node.compensation_from is not None:
                run.compensation_fields[key] = self._compensation_fields(frame, node, data, output)
            run.record(EventKind.STEP_COMPLETED, key, attempt=entry.attempts)
            self._send_on(frame, node, live=True, data=output, chosen=chosen)
        finally:
            # not when the worker closes the coroutine of a run it evicted
            # from its cache (outside the workflow: nothing to record)
            if workflow.in_workflow():
                entry.completed_at = st.iso(workflow.now())
                if entry.sla is not None:
                    self._step_sla(key, entry)
                observe.step_ended(run, node, entry)
                frame.running.pop(key, None)
                frame.changed = True
            if node.pool:
                self.pool_version += 1

    def _step_sla(self, key: str, entry: st.StepState) -> None:
        """A step with an SLA that ended: within it (MET) or past it
        (BREACHED, recorded in the audit trail)."""
        assert entry.sla is not None
        if entry.started_at is None:
            return
        took = (workflow.now() - datetime.fromisoformat(entry.started_at)).total_seconds()
        limit = float(entry.sla["duration_seconds"])
        if took > limit:
            entry.sla["status"] = SlaStatus.BREACHED
            self.run.record(
                EventKind.STEP_SLA_BREACHED, key, detail=f"took {took:.0f}s; its SLA is {limit:g}s"
            )
            observe.sla_breached(self.run, "step")
        else:
            entry.sla["status"] = SlaStatus.MET

    def _cancelled_instance(
        self, frame: Frame, node: PlanStep, key: str, entry: st.StepState, why: str
    ) -> None:
        """A node instance stopped before it completed: what it did is
        undone when it may have done something (``compensate_attempted``,
        or an attempt cut short for a step that settles unknown effects)."""
        run = self.run
        entry.status = st.STEP_CANCELLED
        if key in run.unknown:
            entry.error = "cancelled while an attempt was running: its effect is unknown"
            if node.compensate_if_unknown or node.compensate_attempted:
                frame.undo.append(key)
            else:
                entry.error += " (not compensated: the step does not set compensate_if_unknown)"
            run.record(EventKind.STEP_CANCELLED, key, detail=entry.error)
        else:
            entry.error = why
            if why == "cancelled before it completed":
                run.record(EventKind.STEP_CANCELLED, key)
            else:
                run.record(EventKind.STEP_CANCELLED, key, detail=why)
            if node.compensate_attempted and entry.attempts:
                frame.undo.append(key)

    def _compensation_fields(
        self, frame: Frame, node: PlanStep, data: Any, output: Any
    ) -> dict[str, Any] | str:
        """What undoes this instance, made now that its output is known (the
        undo may run long after, its frame gone); a string: why it could not be."""
        assert node.compensation_from is not None
        try:
            fields = self.evaluate(node.compensation_from, frame, input=data, output=output)
        except ExpressionError as exc:
            return f"its compensation's fields could not be made: {exc}"
        if not isinstance(fields, dict):
            return f"its compensation's fields must be an object, got {fields!r}"[:300]
        return fields

    async def _yield_now_and_then(self) -> None:
        """Hand the workflow task back every BURST control nodes (deterministic:
        counted per workflow time, which replays the same)."""
        now = workflow.time()
        if now != self._burst_at:
            self._burst_at, self._burst = now, 0
        self._burst += 1
        if self._burst > BURST:
            self._burst = 0
            await workflow.sleep(0.001)

    def _failed(
        self,
        frame: Frame,
        node: PlanStep,
        key: str,
        entry: st.StepState,
        failure: StepFailed,
        data: Any,
    ) -> None:
        run = self.run
        entry.status = st.FAILED
        entry.error = str(failure)
        run.record(EventKind.STEP_FAILED, key, detail=str(failure))
        if node.compensate_attempted and entry.attempts:
            frame.undo.append(key)
        error = self._named(failure, key)
        catch = self._catching(frame, node, error)
        if catch is not None:
            run.record(EventKind.ERROR_CAUGHT, key, detail=str(error.get("type")))
            if catch.to is not None:
                self._send_on(frame, node, live=True, data=error, chosen={catch.to})
            else:
                self._pass_on(frame, node, data)
            return
        self._send_on(frame, node, live=False)
        if not node.critical and frame is self.root and node.kind == NodeKind.ACTION:
            # the run goes on without it: kept for a person (dead_letters.steps)
            deadletters.step_failed(key, entry.attempts, str(failure))
        if node.critical:
            if frame is self.root:
                if run.state.failure is None:
                    run.state.error = error
                run.fail(f"critical step {key!r} failed: {failure}")
            elif frame.failure is None:
                frame.failure = failure
                frame.stopped = True
                run.stop_epoch += 1  # wakes the scopes inside, which stop their waits
                if frame.complete_on == "first" and frame.running:
                    frame.cancel_rest = f"{key} failed"

    async def _with_catch_retries(
        self, frame: Frame, node: PlanStep, key: str, entry: st.StepState, data: Any
    ) -> tuple[Any, set[str] | None]:
        """The node's work, run again while a catch with a retry policy
        matches its failure and attempts remain."""
        tries: dict[int, int] = defaultdict(int)
        began = workflow.time()
        limits = [c.retry.attempt_timeout_seconds for c in node.catch if c.retry is not None]
        per_attempt = min((s for s in limits if s is not None), default=None)
        while True:
            try:
                # a scope run again by its catch gets fresh instance keys inside
                # (its activities new ids and idempotency keys, its undo its own)
                tried = sum(tries.values())
                body_key = key if tried == 0 else f"{key}~{tried + 1}"
                attempt = self._perform(frame, node, key, entry, data, body_key)
                if per_attempt is not None:
                    return await self._within(attempt, per_attempt)
                return await attempt
            except StepFailed as failure:
                error = self._named(failure, key)
                catch = self._catching(frame, node, error)
                if catch is None or catch.retry is None or self.run.stopping_forward("forward"):
                    raise
                if not self._retries(catch, frame, error):
                    raise
                index = node.catch.index(catch)
                tries[index] += 1
                if tries[index] >= catch.retry.max_attempts:
                    raise
                limit = catch.retry.max_duration_seconds
                if limit is not None and workflow.time() - began >= limit:
                    raise
                self.run.record(EventKind.STEP_RETRIED, key, detail=str(failure))
                retry = catch.retry
                if catch.retry_delay is not None:
                    named = {catch.as_name: error}
                    delay = self.duration(
                        catch.retry_delay, frame, "retry.delay", input=data, **named
                    )
                    retry = replace(
                        retry,
                        initial_interval_seconds=delay,
                        max_interval_seconds=max(delay * 1024, 1.0),
                    )
                await workflow.sleep(timedelta(seconds=backoff(retry, tries[index])))

    def _named(self, failure: StepFailed, key: str) -> dict[str, Any]:
        """The failure's error object as the definition names it: its
        instance (the node instance that failed first) and its type in the
        definition's language (``options.error_types``)."""
        error = failure.error
        error.setdefault("instance", key)
        renamed = self.run.plan.options.error_types.get(str(error.get("type")))
        if renamed is not None:
            error["type"] = renamed
        return error

    def _retries(self, catch: Catch, frame: Frame, error: dict[str, Any]) -> bool:
        named = {catch.as_name: error}
        try:
            if catch.retry_when is not None and not self.evaluate(catch.retry_when, frame, **named):
                return False
            if catch.retry_except_when is not None and self.evaluate(
                catch.retry_except_when, frame, **named
            ):
                return False
        except ExpressionError:
            return False
        return True

    def _catching(self, frame: Frame, node: PlanStep, error: dict[str, Any]) -> Catch | None:
        for catch in node.catch:
            if catch.type is not None and error.get("type") != catch.type:
                continue
            if catch.status is not None and error.get("status") != catch.status:
                continue
            named = {catch.as_name: error}
            try:
                if catch.when is not None and not self.evaluate(catch.when, frame, **named):
                    continue
                if catch.except_when is not None and self.evaluate(
                    catch.except_when, frame, **named
                ):
                    continue
            except ExpressionError:
                continue  # a filter that cannot be evaluated does not match
            return catch
        return None

    async def _perform(
        self,
        frame: Frame,
        node: PlanStep,
        key: str,
        entry: st.StepState,
        data: Any,
        body_key: str,
    ) -> tuple[Any, set[str] | None]:
        """What the node does, with its data mappings and its deadline; and
        which of its routes its output takes (None: no routes)."""
        if frame.exited:
            raise asyncio.CancelledError()  # its scope ended before it began (a race)
        if node.input_schema is not None:
            reason = data_problem(node.input_schema, data)
            if reason:
                raise validation_failed("the task's input", reason)
        node_input = (
            self.evaluate_field(node.input, frame, "input", input=data) if node.input else data
        )
        deadline = node.deadline_seconds
        if node.deadline_expr is not None:
            deadline = self.duration(node.deadline_expr, frame, "timeout", input=data)
        work = self._work(frame, node, key, entry, node_input, body_key)
        if deadline is not None:
            work = self._within(work, deadline)
        if node.triggers:
            raw = await self.triggers.run(frame, node, key, work, node_input)
        else:
            raw = await work
        output = raw
        described = CURRENT_TASK.get()
        if described is not None and (node.output is not None or node.export is not None):
            CURRENT_TASK.set({**described, "output": raw})
        if node.output is not None:
            output = self.evaluate_field(node.output, frame, "output", input=node_input, output=raw)
        if node.output_schema is not None:
            reason = data_problem(node.output_schema, output)
            if reason:
                raise validation_failed("the task's output", reason)
        if node.export is not None:
            context = self.evaluate_field(
                node.export, frame, "export", input=node_input, output=output
            )
            if not isinstance(context, dict):
                message = f"export must give an object (the new context), got {context!r}"[:300]
                raise StepFailed(message, False, error=problem(EXPRESSION, message))
            self.run.set_context(context)
        if not node.routes:
            return output, None
        try:
            return output, self._route(frame, node, output, node_input)
        except ExpressionError as exc:
            message = f"routes: {exc}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message)) from None

    async def _within(self, work: Any, seconds: float) -> Any:
        """``work`` with a deadline: past it, the work is told to stop, and
        the node fails with a timeout error (unless the work completed in
        that very moment)."""
        task = asyncio.create_task(work)
        try:
            await workflow.wait([task], timeout=seconds)
        except asyncio.CancelledError:
            self.cancel(task)
            await self.wait_despite_cancel([task])
            completed = not task.cancelled() and task.exception() is None
            # what completed as it was cancelled is kept (and undone with the
            # rest); runs recorded before this lost it
            if completed and workflow.patched(KEEP_COMPLETED_ON_CANCEL):
                return task.result()
            raise
        if not task.done():
            self.cancel(task)
            await self.wait_despite_cancel([task])
            if task.cancelled() or task.exception() is not None:
                message = f"timed out after {seconds:g}s"
                raise StepFailed(message, False, error=problem(TIMEOUT, message))
        return task.result()

    async def _work(
        self,
        frame: Frame,
        node: PlanStep,
        key: str,
        entry: st.StepState,
        data: Any,
        body_key: str,
    ) -> Any:
        kind = node.kind
        if kind == NodeKind.ACTION:
            names = None
            if frame is not self.root:
                names = {**frame.names, **frame.chain_outputs()}
                self.run.instance_names[key] = names
            computed = None
            if node.action_from is not None:
                action_from = node.action_from

                def computed() -> dict[str, Any]:
                    fields = self.evaluate_field(action_from, frame, "action", input=data)
                    if not isinstance(fields, dict):
                        message = f"the action's fields must be an object, got {fields!r}"[:300]
                        raise StepFailed(message, False, error=problem(EXPRESSION, message))
                    return fields

            result = await self.steps.attempt_with_retries(
                key, node, node.action, "forward", node.retry, entry, names, computed
            )
            # started, not awaited: the node gives its input on
            return data if node.detached else result
        entry.attempts += 1
        if kind == NodeKind.NOOP:
            return data
        if kind == NodeKind.SET:
            assert node.value is not None
            return self.evaluate_field(node.value, frame, "value", input=data)
        if kind == NodeKind.RAISE:
            assert node.error is not None
            detail = (
                self.evaluate_field(node.error.detail, frame, "error.detail", input=data)
                if (node.error.detail)
                else None
            )
            title = node.error.title or node.error.type
            message = f"{title}: {detail}" if detail is not None else title
            raise StepFailed(
                message,
                False,
                error=problem(node.error.type, title, status=node.error.status, detail=detail),
            )
        if kind == NodeKind.WAIT:
            return await self.nodes.wait(frame, node, key, data)
        if kind == NodeKind.SCOPE:
            child = Frame(
                node.body,
                input=data,
                parent=frame,
                prefix=self.child_prefix(frame, node, body_key),
                names={node.input_as: data} if node.input_as else None,
                complete_on=node.complete_on,
            )
            return await self.nodes.close(frame, node, child, key)
        if kind == NodeKind.LOOP:
            return await self.nodes.loop(frame, node, body_key, data)
        if kind == NodeKind.SUBPROCESS:
            return await self.nodes.subprocess(frame, node, key, data)
        if kind == NodeKind.THROW:
            return await self.triggers.throw(frame, node, key, entry, data)
        if kind == NodeKind.DECIDE:
            return decide(self, frame, node, key, data)
        raise StepFailed(f"unknown node kind {kind!r}", False)

    # ---- where tokens go ----------------------------------------------------

    def _send_on(
        self,
        frame: Frame,
        node: PlanStep,
        *,
        live: bool,
        data: Any = None,
        chosen: set[str] | None = None,
    ) -> None:
        """Tokens along ``node``'s outgoing edges: live to the ``chosen``
        targets (None: every one), dead to the others; all dead when not
        ``live``. Data with nowhere to go is what the scope produced."""
        targets = frame.dependents[node.id]
        triggered = {trigger.to for trigger in node.triggers}
        if not live:
            chosen = set()
        elif chosen is None:
            # every way on — but a catch's handler only for a caught error,
            # a trigger's node only when it fires
            handlers = {catch.to for catch in node.catch if catch.to}
            chosen = set(targets) - handlers - triggered
        for target in targets:
            token = Token(target in chosen, data, routed=live)
            # completionQuantity: its tokens on its own way on, one elsewhere
            count = node.tokens_out if token.live and target not in triggered else 1
            for _ in range(count):
                frame.emit(node.id, target, token)
        if not live:
            return
        # a node whose only successors are its triggers' nodes ends its scope
        ways_on = [t for t in targets if t not in triggered]
        ends = not ways_on and not node.routes and not chosen & triggered
        if (EXIT in chosen or ends) and not frame.exited:
            frame.ends.append((frame.position[node.id], data))
            if EXIT in chosen or frame.complete_on == "first":
                # the scope's data is this: what ends later (in the same
                # moment, or cancelled) adds nothing
                frame.exited = frame.stopped = True
                if frame.running:
                    frame.cancel_rest = f"{node.id} ended its scope"
        if END in chosen:
            self.run.ended_early = True
            self.run.record(EventKind.RUN_ENDED_EARLY, node.id)
            root = self.root
            if root is not None and root is not frame:
                root.ends.append((len(root.nodes), data))
            elif root is not None:
                root.ends.append((frame.position[node.id], data))
            if root is not None:
                root.stopped = True
                root.cancel_rest = f"{node.id} ended the run"
                root.changed = True
            self.run.stop_scheduling = True

    def _pass_on(self, frame: Frame, node: PlanStep, data: Any) -> None:
        """A node passed over (its condition is false) or whose failure a
        catch without ``to`` handled: its data goes on along its default
        route — or, with routes but no default, the routes that hold for it."""
        chosen: set[str] | None = None
        if node.routes:
            try:
                chosen = self._route(frame, node, data, data)
            except ExpressionError:
                chosen = set()
        self._send_on(frame, node, live=True, data=data, chosen=chosen)

    def _route(self, frame: Frame, node: PlanStep, output: Any, node_input: Any) -> set[str]:
        chosen: set[str] = set()
        default: str | None = None
        for route in node.routes:
            if route.when is None:
                default = default or route.to
                continue
            if self.evaluate(route.when, frame, input=node_input, output=output):
                chosen.add(route.to)
                if node.route_mode == "first":
                    break
        if not chosen:
            if default is None:
                raise ExpressionError("no route holds and there is no default route")
            chosen.add(default)
        return chosen

    # ---- expressions ----------------------------------------------------------

    def scope(self, frame: Frame, **values: Any) -> dict[str, Any]:
        """The names an expression sees: every node's newest output (by id,
        and under ``steps``), ``context``, ``workflow``, the loop items of the
        enclosing loops, and what the caller adds (``input``, ``output``,
        ``error``, ``event``)."""
        outputs = {**self.run.outputs, **frame.chain_outputs()}
        return {
            **outputs,
            "steps": outputs,
            "context": self.run.context,
            "workflow": {
                "id": self.run.workflow_id,
                "input": self.run.input,
                "startedAt": moment(workflow.info().start_time),
            },
            "runtime": self.run.plan.options.runtime or RUNTIME,
            **frame.names,
            **values,
        }

    def evaluate(self, expr: Expr, frame: Frame, **values: Any) -> Any:
        if expr.language in VARIABLE_LANGUAGES:
            # BPMN's FEEL and JUEL name the process variables (the context),
            # the enclosing loops' items and what the caller adds by name (a
            # loop's counts), not the node's data
            named = {k: v for k, v in values.items() if k not in DATA_NAMES}
            return evaluate(
                expr.source, {**self.run.context, **frame.names, **named}, expr.language
            )
        if expr.language == "jq":
            if "$secrets" in expr.source:
                # references only (checked when the process was compiled): the
                # activity resolves them on the worker
                values["secrets"] = secret_references(expr.source)
            if "$task" in expr.source and "task" not in values:
                described = CURRENT_TASK.get()
                if described is not None:
                    values["task"] = described
        return evaluate(expr.source, self.scope(frame, **values), expr.language)

    def holds_yet(self, expr: Expr, frame: Frame, what: str, **values: Any) -> bool:
        """Whether a condition that waits (a conditional event) holds now: a
        variable it names that is not set yet means not yet (as Camunda's
        conditional events read them); another error fails the node."""
        try:
            return bool(self.evaluate(expr, frame, **values))
        except UnknownNameError:
            return False
        except ExpressionError as exc:
            message = f"{what}: {exc}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message)) from None

    def duration(self, expr: Expr, frame: Frame, what: str, **values: Any) -> float:
        """The seconds of the duration ``expr`` gives (an expression error
        when it gives no duration)."""
        given = self.evaluate_field(expr, frame, what, **values)
        seconds, reason = duration_seconds(given)
        if seconds is None:
            message = f"{what}: {reason}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message))
        return seconds

    def evaluate_field(self, expr: Expr | None, frame: Frame, what: str, **values: Any) -> Any:
        if expr is None:
            return None
        try:
            return self.evaluate(expr, frame, **values)
        except ExpressionError as exc:
            message = f"{what}: {exc}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message)) from None

    # ---- undo handlers ---------------------------------------------------------

    async def run_undo_handler(
        self, key: str, handler: PlanStep, progress: st.CompensationState
    ) -> Any:
        """What undoes the instance ``key`` (its ``undo_with`` node): an
        action, or a set node's value (then its export) — given the
        instance's output as its input."""
        data = self.run.instance_outputs.get(key)
        if handler.kind == NodeKind.ACTION:
            return await self.steps.attempt_with_retries(
                key,
                handler,
                handler.action,
                "compensation",
                self.run.plan.options.compensation_retry,
                progress,
                self.run.instance_names.get(key),
            )
        if handler.kind == NodeKind.SCOPE:
            return await self._undo_scope(key, handler, progress, data)
        assert self.root is not None
        progress.attempts += 1
        value = data
        if handler.kind == NodeKind.SET and handler.value is not None:
            value = self.evaluate_field(handler.value, self.root, "undo.value", input=data)
        if handler.export is not None:
            context = self.evaluate_field(
                handler.export, self.root, "undo.export", input=data, output=value
            )
            if not isinstance(context, dict):
                message = f"export must give an object (the new context), got {context!r}"[:300]
                raise StepFailed(message, False, error=problem(EXPRESSION, message))
            self.run.set_context(context)
        return value

    async def _undo_scope(
        self, key: str, handler: PlanStep, progress: st.CompensationState, data: Any
    ) -> Any:
        """A scope that undoes the instance ``key`` (BPMN's compensation
        event sub-process, or a sub-process that is a compensation handler):
        it runs in a frame of its own whose undo list is what completed in
        the undone scope, so a compensation throw in it undoes that."""
        progress.attempts += 1
        frame = Frame(
            handler.body,
            input=data,
            prefix=f"{key}~undo/",
            undo=list(self.run.kept_undo.pop(key, [])),
        )
        frame.undoing = True
        await self.run_nested(frame)
        if frame.failure is not None:
            raise frame.failure.again(f"{frame.failure}")
        return frame.output()

    # ---- nested scopes --------------------------------------------------------

    @staticmethod
    def child_prefix(frame: Frame, node: PlanStep, key: str) -> str:
        return frame.prefix if key == f"{frame.prefix}{node.id}" else f"{key}/"
