"""Scheduling a plan's nodes, and what the control nodes do.

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
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import CancelledError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from ..expressions import ExpressionError, evaluate
    from ..plan.model import END, EXIT, Catch, Expr, Join, NodeKind, PlanStep, RunInput
    from ..plan.wire import to_wire
    from . import state as st
    from .events import Filter, Waiter
    from .failures import EXPRESSION, SUBPROCESS, TIMEOUT, StepFailed, problem
    from .run import Run
    from .steps import Steps, backoff
    from .undo import Undo
    from .vocabulary import EventKind

START = "@start"
WORKFLOW_NAME = "BatonProcess"
# A node started this often in one scope is a cycle that does not end.
MAX_NODE_INSTANCES = 10_000
# Control nodes (set, noop, raise) do no I/O, so a cycle of them never hands
# the workflow task back; after this many in one activation a 1 ms timer does,
# well inside Temporal's 2 s deadlock detection.
BURST = 500
INSTANT_KINDS = (NodeKind.NOOP, NodeKind.SET, NodeKind.RAISE)
# what a failing scope (or run) stops at once instead of waiting for
INTERRUPTIBLE_KINDS = (NodeKind.WAIT, NodeKind.SUBPROCESS)


@dataclass
class Token:
    live: bool
    data: Any = None
    routed: bool = False  # dead because a route went elsewhere (not a failure)


class Frame:
    """One running instance of a scope."""

    def __init__(
        self,
        nodes: list[PlanStep],
        *,
        input: Any = None,
        parent: Frame | None = None,
        prefix: str = "",
        names: dict[str, Any] | None = None,
        iteration: int | None = None,
        complete_on: str = "all",
        undo: list[str] | None = None,
    ) -> None:
        self.nodes = nodes
        self.parent = parent
        self.prefix = prefix
        self.iteration = iteration
        self.complete_on = complete_on
        # loop items and indexes, with the enclosing frames' (innermost wins)
        self.names: dict[str, Any] = {**(parent.names if parent else {}), **(names or {})}
        self.position = {node.id: i for i, node in enumerate(nodes)}
        self.incoming: dict[str, list[str]] = {n.id: list(n.after) or [START] for n in nodes}
        self.dependents: dict[str, list[str]] = {n.id: [] for n in nodes}
        for node in nodes:
            for before in node.after:
                self.dependents[before].append(node.id)
        self.tokens: defaultdict[tuple[str, str], deque[Token]] = defaultdict(deque)
        for node in nodes:
            if not node.after:
                self.tokens[(START, node.id)].append(Token(True, input))
        # tokens still owed to a node that an early dead token already skipped
        self.discard: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.instances: defaultdict[str, int] = defaultdict(int)
        self.running: dict[str, asyncio.Task[None]] = {}
        self.finished: list[asyncio.Task[None]] = []
        self.outputs: dict[str, Any] = {}
        # what completed in this frame, in order of ending (compensation)
        self.undo: list[str] = [] if undo is None else undo
        # the data that reached the end: (node position, data)
        self.ends: list[tuple[int, Any]] = []
        self.failure: StepFailed | None = None
        self.stopped = False
        self.cancel_rest: str | None = None  # a reason to cancel what still runs
        self.exited = False  # a route to @exit, or the first end of a race
        # a node waits for a resource pool that another scope's node holds
        self.pool_blocked = False
        self.changed = False

    def chain_outputs(self) -> dict[str, Any]:
        frames: list[Frame] = []
        frame: Frame | None = self
        while frame is not None:
            frames.append(frame)
            frame = frame.parent
        merged: dict[str, Any] = {}
        for outer_first in reversed(frames):
            merged.update(outer_first.outputs)
        return merged

    def output(self) -> Any:
        if not self.ends:
            return None
        if len(self.ends) == 1:
            return self.ends[0][1]
        return [data for _, data in sorted(self.ends, key=lambda end: end[0])]

    def emit(self, source: str, target: str, token: Token) -> None:
        edge = (source, target)
        if self.discard[edge]:
            self.discard[edge] -= 1
            return
        self.tokens[edge].append(token)


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

    async def _run_nested(self, frame: Frame) -> None:
        if self._stopping(frame):
            raise asyncio.CancelledError()  # the run (or a scope around) stopped first
        try:
            while True:
                if not frame.stopped and not self._stopping(frame):
                    self.schedule(frame)
                if frame.cancel_rest:
                    await self.stop_running(frame, frame.cancel_rest, stop_frame=False)
                stopping = self._stopping(frame)
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

    def _stopping(self, frame: Frame) -> bool:
        """Whether the run, or a scope ``frame`` is in, has failed or stopped:
        nothing new starts there, and its waits end."""
        if self.run.stop_scheduling:
            return True
        current: Frame | None = frame
        while current is not None:
            if current.failure is not None:
                return True
            current = current.parent
        return False

    def _interrupt(self, frame: Frame) -> None:
        """A stopping scope does not wait for waits and sub-processes: they
        are cancelled (actions that run are let finish, as in a saga)."""
        for key, task in frame.running.items():
            node = self.run.nodes[key]
            if node.kind in INTERRUPTIBLE_KINDS and task not in self._cancelled:
                self.run.record(
                    EventKind.RUNNING_STEPS_CANCELLED, detail=f"its scope stopped: {key}"
                )
                self._cancel(task)

    def _cancel(self, task: asyncio.Task[Any]) -> None:
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
            self._cancel(task)
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
                    if frame.stopped or self.run.stop_scheduling:
                        return

    def _fire(self, frame: Frame, node: PlanStep) -> bool:
        """Start (or skip) one instance of ``node`` if its join rule is met."""
        edges = [(source, node.id) for source in frame.incoming[node.id]]
        heads = [frame.tokens[edge][0] if frame.tokens[edge] else None for edge in edges]
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
            self._skip(frame, node, _skip_reason(dead_heads))
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
            self._skip(frame, node, _skip_reason(dead_heads))
        else:
            self._start(frame, node, live[0].data if len(live) == 1 else [t.data for t in live])
        return True

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
                holds = self.evaluate(node.when, frame, input=data)
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
        try:
            if node.kind in INSTANT_KINDS:
                await self._yield_now_and_then()
            output, chosen = await self._with_catch_retries(frame, node, key, entry, data)
        except asyncio.CancelledError:
            entry.status = st.STEP_CANCELLED
            if key in run.unknown:
                entry.error = "cancelled while an attempt was running: its effect is unknown"
                if node.compensate_if_unknown or node.compensate_attempted:
                    frame.undo.append(key)
                else:
                    entry.error += " (not compensated: the step does not set compensate_if_unknown)"
                run.record(EventKind.STEP_CANCELLED, key, detail=entry.error)
            else:
                entry.error = "cancelled before it completed"
                run.record(EventKind.STEP_CANCELLED, key)
                if node.compensate_attempted and entry.attempts:
                    frame.undo.append(key)
            self._send_on(frame, node, live=False)
        except StepFailed as failure:
            self._failed(frame, node, key, entry, failure, data)
        else:
            entry.status = st.STEP_COMPLETED
            entry.output = output
            run.completed(node, key, output)
            frame.outputs[node.id] = output
            if node.kind not in (NodeKind.SCOPE, NodeKind.LOOP) or node.compensation is not None:
                frame.undo.append(key)
            run.record(EventKind.STEP_COMPLETED, key, attempt=entry.attempts)
            self._send_on(frame, node, live=True, data=output, chosen=chosen)
        finally:
            entry.completed_at = st.iso(workflow.now())
            frame.running.pop(key, None)
            frame.changed = True
            if node.pool:
                self.pool_version += 1

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
        while True:
            try:
                # a scope run again by its catch gets fresh instance keys inside
                # (its activities new ids and idempotency keys, its undo its own)
                tried = sum(tries.values())
                body_key = key if tried == 0 else f"{key}~{tried + 1}"
                return await self._perform(frame, node, key, entry, data, body_key)
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
                await workflow.sleep(timedelta(seconds=backoff(catch.retry, tries[index])))

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
        node_input = self._map(node.input, frame, "input", input=data) if node.input else data
        work = self._work(frame, node, key, entry, node_input, body_key)
        if node.deadline_seconds is not None:
            raw = await self._within(work, node.deadline_seconds)
        else:
            raw = await work
        output = raw
        if node.output is not None:
            output = self._map(node.output, frame, "output", input=node_input, output=raw)
        if node.export is not None:
            context = self._map(node.export, frame, "export", input=node_input, output=output)
            if not isinstance(context, dict):
                message = f"export must give an object (the new context), got {context!r}"[:300]
                raise StepFailed(message, False, error=problem(EXPRESSION, message))
            self.run.context.clear()
            self.run.context.update(context)
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
            self._cancel(task)
            await self.wait_despite_cancel([task])
            raise
        if not task.done():
            self._cancel(task)
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
                    fields = self._map(action_from, frame, "action", input=data)
                    if not isinstance(fields, dict):
                        message = f"the action's fields must be an object, got {fields!r}"[:300]
                        raise StepFailed(message, False, error=problem(EXPRESSION, message))
                    return fields

            return await self.steps.attempt_with_retries(
                key, node, node.action, "forward", node.retry, entry, names, computed
            )
        entry.attempts += 1
        if kind == NodeKind.NOOP:
            return data
        if kind == NodeKind.SET:
            assert node.value is not None
            return self._map(node.value, frame, "value", input=data)
        if kind == NodeKind.RAISE:
            assert node.error is not None
            detail = (
                self._map(node.error.detail, frame, "error.detail", input=data)
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
            return await self._wait(frame, node, key, data)
        if kind == NodeKind.SCOPE:
            child = Frame(
                node.body,
                input=data,
                parent=frame,
                prefix=self._child_prefix(frame, node, body_key),
                names={node.input_as: data} if node.input_as else None,
                complete_on=node.complete_on,
            )
            return await self._close(frame, node, child)
        if kind == NodeKind.LOOP:
            return await self._loop(frame, node, body_key, data)
        if kind == NodeKind.SUBPROCESS:
            return await self._subprocess(node, key, data)
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
        if not live:
            chosen = set()
        elif chosen is None:
            # every way on — but a catch's handler only for a caught error
            handlers = {catch.to for catch in node.catch if catch.to}
            chosen = set(targets) - handlers
        for target in targets:
            frame.emit(node.id, target, Token(target in chosen, data, routed=live))
        if not live:
            return
        if (EXIT in chosen or not targets and not node.routes) and not frame.exited:
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
            "workflow": {"id": self.run.workflow_id, "input": self.run.input},
            **frame.names,
            **values,
        }

    def evaluate(self, expr: Expr, frame: Frame, **values: Any) -> Any:
        return evaluate(expr.source, self.scope(frame, **values), expr.language)

    def _map(self, expr: Expr | None, frame: Frame, what: str, **values: Any) -> Any:
        if expr is None:
            return None
        try:
            return self.evaluate(expr, frame, **values)
        except ExpressionError as exc:
            message = f"{what}: {exc}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message)) from None

    # ---- nested scopes --------------------------------------------------------

    @staticmethod
    def _child_prefix(frame: Frame, node: PlanStep, key: str) -> str:
        return frame.prefix if key == f"{frame.prefix}{node.id}" else f"{key}/"

    async def _close(self, parent: Frame, node: PlanStep, child: Frame) -> Any:
        """Run ``child`` to its end; what completed in it joins the parent's
        undo (or is undone now, for a failed transaction scope)."""
        try:
            await self._run_nested(child)
        except asyncio.CancelledError:
            parent.undo.extend(child.undo)
            raise
        if child.failure is not None:
            if node.compensate_on_error:
                await self.undo.compensate(child.undo, whole_run=False)
            else:
                parent.undo.extend(child.undo)
            raise child.failure.again(f"{child.failure}")
        if node.compensation is None:
            parent.undo.extend(child.undo)
        return child.output()

    async def _loop(self, frame: Frame, node: PlanStep, key: str, data: Any) -> Any:
        spec = node.loop
        assert spec is not None
        items: list[Any] | None = None
        if spec.each is not None:
            found = self._map(spec.each, frame, "loop.each", input=data)
            if isinstance(found, dict):
                found = list(found.values())
            if not isinstance(found, list):
                message = f"loop.each must give a list, got {type(found).__name__}"
                raise StepFailed(message, False, error=problem(EXPRESSION, message))
            items = found
        count: int | None = None
        if spec.times is not None:
            found = self._map(spec.times, frame, "loop.times", input=data)
            if not isinstance(found, int) or isinstance(found, bool) or found < 0:
                message = f"loop.times must give a whole number ≥ 0, got {found!r}"
                raise StepFailed(message, False, error=problem(EXPRESSION, message))
            count = found
        total = len(items) if items is not None else count
        if total is not None and total > spec.max_iterations:
            message = f"the loop has {total} iterations; it allows at most {spec.max_iterations}"
            raise StepFailed(message, False)
        if spec.parallel:
            return await self._parallel_loop(frame, node, key, data, items, total or 0)
        carry, outputs, index = data, [], 0
        while total is None or index < total:
            if self._stopping(frame):
                raise asyncio.CancelledError()  # the run or its scope stopped: no more iterations
            if index >= spec.max_iterations:
                message = f"the loop ran {index} iterations, its max_iterations"
                raise StepFailed(message, False)
            names = self._loop_names(spec, items, index)
            if spec.condition is not None and (spec.test_before or index > 0):
                holds = self._map(spec.condition, frame, "loop.condition", input=carry, **names)
                if not holds:
                    break
            carry = await self._iteration(frame, node, key, index, names, carry)
            outputs.append(carry)
            index += 1
            if spec.complete_when is not None and self._map(
                spec.complete_when,
                frame,
                "loop.complete_when",
                output=carry,
                outputs=outputs,
                **names,
            ):
                break
        return outputs if spec.collect else carry

    @staticmethod
    def _loop_names(spec: Any, items: list[Any] | None, index: int) -> dict[str, Any]:
        names: dict[str, Any] = {spec.index: index}
        if items is not None:
            names[spec.item] = items[index]
        return names

    async def _iteration(
        self, frame: Frame, node: PlanStep, key: str, index: int, names: dict[str, Any], data: Any
    ) -> Any:
        child = Frame(
            node.body,
            input=data,
            parent=frame,
            prefix=f"{key}[{index}]/",
            names=names,
            iteration=index,
        )
        return await self._close(frame, node, child)

    async def _parallel_loop(
        self,
        frame: Frame,
        node: PlanStep,
        key: str,
        data: Any,
        items: list[Any] | None,
        total: int,
    ) -> list[Any]:
        spec = node.loop
        assert spec is not None
        results: list[Any] = [None] * total
        finished = [False] * total
        pending = list(range(total))
        active: dict[int, asyncio.Task[Any]] = {}
        failure: StepFailed | None = None
        complete = False
        limit = spec.max_concurrency or total or 1
        try:
            while active or (pending and failure is None and not complete):
                while pending and failure is None and not complete and len(active) < limit:
                    if self._stopping(frame):
                        pending.clear()  # the run or its scope stopped: no more iterations
                        break
                    index = pending.pop(0)
                    names = self._loop_names(spec, items, index)
                    active[index] = asyncio.create_task(
                        self._iteration(frame, node, key, index, names, data)
                    )
                if not active:
                    break
                await workflow.wait(list(active.values()), return_when=asyncio.FIRST_COMPLETED)
                for index in sorted(i for i, task in active.items() if task.done()):
                    task = active.pop(index)
                    try:
                        results[index] = task.result()
                    except StepFailed as failed:
                        failure = failure or failed
                        continue
                    except asyncio.CancelledError:
                        continue
                    finished[index] = True
                    if spec.complete_when is not None and not complete:
                        done = [r for i, r in enumerate(results) if finished[i]]
                        complete = bool(
                            self._map(
                                spec.complete_when,
                                frame,
                                "loop.complete_when",
                                output=results[index],
                                outputs=done,
                            )
                        )
                if complete:
                    for task in active.values():
                        self._cancel(task)
        except BaseException:
            # cancelled, or complete_when failed: the iterations still running stop first
            for task in active.values():
                self._cancel(task)
            await self.wait_despite_cancel(list(active.values()))
            raise
        if failure is not None:
            raise failure
        return results

    async def _subprocess(self, node: PlanStep, key: str, data: Any) -> Any:
        plan = node.subprocess
        assert plan is not None
        run = self.run
        # a child runs with its parent's entry point (the same policy, never a looser one)
        child_plan = replace(plan, options=replace(plan.options, origin=run.plan.options.origin))
        child_id = f"{run.workflow_id}.{key}"
        run.record(EventKind.SUBPROCESS_STARTED, key, detail=child_id)
        try:
            result: dict[str, Any] = await workflow.execute_child_workflow(
                WORKFLOW_NAME, to_wire(RunInput(plan=child_plan, input=data)), id=child_id
            )
        except ChildWorkflowError as exc:
            if isinstance(exc.cause, CancelledError):
                raise asyncio.CancelledError() from None
            message = f"sub-process {child_id} failed: {exc.cause or exc}"
            raise StepFailed(message, False, error=problem(SUBPROCESS, message)) from None
        status = result.get("status")
        if status == st.CANCELLED:
            raise asyncio.CancelledError()
        if status != st.COMPLETED:
            message = f"sub-process {child_id} ended {status}: {result.get('failure')}"
            raise StepFailed(message, False, error=problem(SUBPROCESS, message, detail=status))
        return result.get("output")

    # ---- waits --------------------------------------------------------------

    async def _wait(self, frame: Frame, node: PlanStep, key: str, data: Any) -> Any:
        spec = node.wait
        assert spec is not None
        if spec.seconds is not None or spec.at is not None:
            seconds = spec.seconds
            if seconds is None:
                seconds = self._seconds_until(self._map(spec.at, frame, "wait.at", input=data))
            if seconds > 0:
                await workflow.sleep(timedelta(seconds=seconds))
            return data
        filters = []
        for index, wanted in enumerate(spec.events):
            correlate = {
                path: self._map(expr, frame, f"wait.events[{index}].correlate.{path}", input=data)
                for path, expr in wanted.correlate.items()
            }
            where = None
            if wanted.where is not None:
                condition = wanted.where

                def where(event: dict[str, Any], condition: Expr = condition) -> bool:
                    return bool(self.evaluate(condition, frame, input=data, event=event))

            filters.append(Filter(wanted.type, wanted.source, correlate, where))
        until = None
        if spec.until is not None:
            stop = spec.until

            def until(events: list[dict[str, Any]]) -> bool:
                return bool(self.evaluate(stop, frame, input=data, events=events))

        waiter = Waiter(key, filters, mode=spec.mode, until=until)
        self.run.events.open(waiter)
        self.on_waiting_changed()
        try:
            if not waiter.done:
                await workflow.wait_condition(lambda: waiter.done)
        finally:
            self.run.events.close(waiter)
            self.on_waiting_changed()
        if waiter.error is not None:
            message = f"an event condition failed: {waiter.error}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message))
        return waiter.consumed

    def _seconds_until(self, moment: Any) -> float:
        try:
            at = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
        except ValueError:
            message = f"wait.at must give an ISO 8601 moment, got {moment!r}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message)) from None
        if at.tzinfo is None:
            message = f"wait.at must give a moment with a time zone, got {moment!r}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message))
        return (at - workflow.now()).total_seconds()


def _skip_reason(dead: list[tuple[str, Token]]) -> str:
    """Why a node is skipped: the nodes before it that did not complete, or
    whose routes went elsewhere."""
    failed = [source for source, token in dead if not token.routed]
    routed = [source for source, token in dead if token.routed]
    parts = []
    if failed:
        parts.append(f"{', '.join(failed)} did not complete")
    if routed:
        parts.append(f"not on the route taken at {', '.join(routed)}")
    return "skipped: " + "; ".join(parts)
