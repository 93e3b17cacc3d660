"""Events while a node runs (its ``triggers``: BPMN's boundary events, and
event sub-processes as triggers of the scope they belong to), and throw
nodes (signals and escalations).

A node with triggers runs its work as a task while one watcher per trigger
waits for what fires it: a timer (once, ``repeat`` times, or until the
node ends), events sent to the run, or a condition over the context
(checked as the node starts and whenever the context changes). Escalation
triggers do not watch: they are listeners that throw nodes inside the node
find through a context variable, innermost first — every node instance runs
as its own asyncio task, which copies the context it was started in, so
what runs inside a node sees that node's listeners and nothing else does.

A trigger that fires sends a live token to its ``to`` node; an
interrupting one first cancels the work (the node ends CANCELLED; what
completed inside it stays in the undo list, as for any cancel). Workflow
code: deterministic, no I/O but the ``emit`` activity a broadcast signal
needs.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..plan.model import PlanStep, Trigger
    from . import state as st
    from .events import Filter, Waiter
    from .failures import StepFailed
    from .frames import Frame, Token
    from .vocabulary import EventKind

if TYPE_CHECKING:
    from .flow import Flow


@dataclass(frozen=True)
class Listener:
    """A running node's escalation trigger, as throw nodes inside it see it.
    ``fire`` says whether the node took it (False: the node is ending)."""

    code: str  # "" takes any escalation
    interrupting: bool
    fire: Callable[[Any, str], bool]


# the escalation listeners of the nodes a task runs inside (outermost first)
ESCALATION_LISTENERS: contextvars.ContextVar[tuple[Listener, ...]] = contextvars.ContextVar(
    "baton_escalation_listeners", default=()
)


# how many rounds of the workflow's ready tasks run before a signal goes out
SETTLE_ROUNDS = 10


class Interrupted(Exception):
    """An interrupting trigger stopped the node: its token goes to ``to``."""

    def __init__(self, trigger: Trigger, data: Any, what: str) -> None:
        super().__init__(f"interrupted by {what}")
        self.trigger = trigger
        self.data = data
        self.what = what


def describe(trigger: Trigger) -> str:
    """What fires a trigger, for the audit trail."""
    if trigger.escalation is not None:
        return f"escalation {trigger.escalation!r}" if trigger.escalation else "an escalation"
    if trigger.condition is not None:
        return "a condition"
    spec = trigger.wait
    if spec is not None and spec.events:
        types = [f.type for f in spec.events if f.type]
        return f"event {', '.join(types)}" if types else "an event"
    return "a timer"


def listening(code: str) -> bool:
    """Whether a running node around this task listens for escalation ``code``."""
    return any(listener.code in ("", code) for listener in ESCALATION_LISTENERS.get())


async def escalate(code: str, payload: Any) -> bool:
    """Hand an escalation to the innermost running node that listens for
    it (in this task's context); whether one did. An interrupting listener
    stops that node — and the caller, which runs inside it: this never
    returns then."""
    for listener in reversed(ESCALATION_LISTENERS.get()):
        if listener.code in ("", code):
            taken = listener.fire(payload, f"escalation {code!r}")
            if listener.interrupting:
                if not taken:
                    # the node is ending already (cancelled before): so is this
                    raise asyncio.CancelledError()
                await workflow.wait_condition(lambda: False)  # its cancel is coming
            return True
    return False


class Triggers:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow

    async def run(
        self,
        frame: Frame,
        node: PlanStep,
        key: str,
        work: Coroutine[Any, Any, Any],
        data: Any,
    ) -> Any:
        """``work`` (the node's) while its triggers watch; raises
        :class:`Interrupted` when an interrupting one stopped it."""
        flow, run = self.flow, self.flow.run
        interrupted: list[Interrupted] = []
        failures: list[StepFailed] = []
        errors: list[BaseException] = []  # a watcher's bug or an evaluator timeout
        task: asyncio.Task[Any] | None = None

        def fire(trigger: Trigger, payload: Any, what: str) -> bool:
            """Whether the node took it: not once it has ended, was stopped
            by someone else, or an interrupting trigger has fired."""
            if task is None or task.done() or interrupted:
                return False
            if trigger.interrupting:
                if flow.cancelled(task):
                    return False
                interrupted.append(Interrupted(trigger, payload, what))
                run.record(
                    EventKind.TRIGGERED, key, detail=f"{what}: interrupting, to {trigger.to}"
                )
                flow.cancel(task)
                return True
            run.record(EventKind.TRIGGERED, key, detail=f"{what}: to {trigger.to}")
            frame.emit(node.id, trigger.to, Token(True, payload))
            frame.changed = True
            return True

        listeners = tuple(
            Listener(
                t.escalation,
                t.interrupting,
                lambda payload, what, t=t: fire(t, payload, what),  # type: ignore[misc]
            )
            for t in node.triggers
            if t.escalation is not None
        )
        outer = ESCALATION_LISTENERS.set(ESCALATION_LISTENERS.get() + listeners)
        try:
            task = asyncio.create_task(work)
        finally:
            ESCALATION_LISTENERS.reset(outer)

        def failed(failure: BaseException) -> None:
            if isinstance(failure, StepFailed):
                failures.append(failure)
            else:
                errors.append(failure)
            if task is not None:
                flow.cancel(task)

        watchers = [
            asyncio.create_task(self._watch(frame, key, trigger, data, fire, failed))
            for trigger in node.triggers
            if trigger.escalation is None
        ]
        cancelled = False
        try:
            try:
                await workflow.wait([task])
            except asyncio.CancelledError:
                cancelled = True
                flow.cancel(task)
                await flow.wait_despite_cancel([task])
        finally:
            for watcher in watchers:
                flow.cancel(watcher)
            await flow.wait_despite_cancel(watchers)
        if errors:
            raise errors[0]  # fails the workflow task (an evaluator timeout, a bug)
        if not task.cancelled() and task.exception() is None:
            # it completed — in the very moment a trigger fired, or it was
            # cancelled: what it did is kept (and undone with the rest)
            return task.result()
        if cancelled:
            raise asyncio.CancelledError()
        if failures:
            raise failures[0]
        if interrupted:
            raise interrupted[0]
        return task.result()  # its own failure, or its cancel

    async def _watch(
        self,
        frame: Frame,
        key: str,
        trigger: Trigger,
        data: Any,
        fire: Callable[[Trigger, Any, str], bool],
        failed: Callable[[BaseException], None],
    ) -> None:
        try:
            if trigger.condition is not None:
                await self._condition(frame, trigger, data, fire)
            elif trigger.wait is not None and trigger.wait.events:
                await self._events(frame, key, trigger, data, fire)
            else:
                await self._timer(frame, trigger, data, fire)
        except asyncio.CancelledError:
            raise
        except BaseException as failure:  # StepFailed, or what must fail the workflow task
            failed(failure)

    async def _timer(
        self, frame: Frame, trigger: Trigger, data: Any, fire: Callable[[Trigger, Any, str], bool]
    ) -> None:
        spec = trigger.wait
        assert spec is not None
        fired = 0
        while trigger.repeat is None or fired < trigger.repeat:
            if fired and trigger.every is not None:
                seconds = trigger.every
            elif spec.duration is not None:
                seconds = self.flow.duration(spec.duration, frame, "trigger.wait", input=data)
            elif spec.at is not None:
                moment = self.flow.evaluate_field(spec.at, frame, "trigger.wait.at", input=data)
                seconds = self.flow.nodes.seconds_until(moment)
            else:
                seconds = spec.seconds or 0.0
            if seconds > 0:
                await workflow.sleep(timedelta(seconds=seconds))
            elif fired:
                return  # a moment past fires once
            fired += 1
            fire(trigger, data, describe(trigger))
            if trigger.interrupting:
                return

    async def _events(
        self,
        frame: Frame,
        key: str,
        trigger: Trigger,
        data: Any,
        fire: Callable[[Trigger, Any, str], bool],
    ) -> None:
        flow = self.flow
        spec = trigger.wait
        assert spec is not None
        if not trigger.interrupting and spec.mode == "any":
            await self._every_event(frame, key, trigger, data, fire)
            return
        while True:
            filters = self._filters(frame, trigger, data)
            waiter = Waiter(f"{key}>{trigger.to}", filters, mode=spec.mode, shared=spec.shared)
            flow.run.events.open(waiter)
            flow.on_waiting_changed()
            fired = False
            try:
                if not waiter.done:
                    await workflow.wait_condition(lambda waiter=waiter: waiter.done)  # type: ignore[misc]
                taken = waiter.consumed
                fired = fire(trigger, taken[0] if len(taken) == 1 else taken, describe(trigger))
            finally:
                flow.run.events.close(waiter)
                if not fired:
                    # the node ended in the same moment: what it took is kept for another wait
                    flow.run.events.keep(waiter.consumed)
                flow.on_waiting_changed()
            if trigger.interrupting:
                return

    async def _compensate(self, frame: Frame, key: str, node_id: str) -> None:
        """Undo, newest first, what completed in the thrower's scope and has
        something that undoes it (only the instances of ``node_id`` when
        given); each is undone once — the run's own undo no longer has it."""
        run = self.flow.run
        undoable = [
            k
            for k in frame.undo
            if (run.nodes[k].undo_with is not None or run.nodes[k].compensation is not None)
            and (not node_id or run.nodes[k].id == node_id)
        ]
        frame.undo[:] = [k for k in frame.undo if k not in undoable]
        what = f"compensation of {node_id!r}" if node_id else "compensation of its scope"
        run.record(EventKind.THROWN, key, detail=f"{what}: {len(undoable)} to undo")
        await self.flow.undo.compensate(undoable, whole_run=False)

    def _filters(self, frame: Frame, trigger: Trigger, data: Any) -> list[Filter]:
        """The trigger's event filters with their correlation values known."""
        assert trigger.wait is not None
        return [
            self.flow.nodes.filter(wanted, f"trigger.wait.events[{i}]", frame, data)
            for i, wanted in enumerate(trigger.wait.events)
        ]

    async def _every_event(
        self,
        frame: Frame,
        key: str,
        trigger: Trigger,
        data: Any,
        fire: Callable[[Trigger, Any, str], bool],
    ) -> None:
        """A non-interrupting trigger's wait stays open while the node runs
        and fires once for each event it takes (several may come at once)."""
        flow = self.flow
        spec = trigger.wait
        assert spec is not None
        waiter = Waiter(
            f"{key}>{trigger.to}",
            self._filters(frame, trigger, data),
            shared=spec.shared,
            until=lambda events: False,
        )
        flow.run.events.open(waiter)
        flow.on_waiting_changed()
        fired = 0
        try:
            while True:
                await workflow.wait_condition(lambda fired=fired: len(waiter.consumed) > fired)  # type: ignore[misc]
                while fired < len(waiter.consumed):
                    if not fire(trigger, waiter.consumed[fired], describe(trigger)):
                        break  # the node is ending: the rest is kept below
                    fired += 1
        finally:
            flow.run.events.close(waiter)
            # taken in the moment the node ended, not fired: kept for another wait
            flow.run.events.keep(waiter.consumed[fired:])
            flow.on_waiting_changed()

    async def _condition(
        self, frame: Frame, trigger: Trigger, data: Any, fire: Callable[[Trigger, Any, str], bool]
    ) -> None:
        """Fires when the condition turns true (and at once when it holds as
        the node starts); a non-interrupting one again each time it turns
        true after it did not hold."""
        run = self.flow.run
        assert trigger.condition is not None
        held = False
        while True:
            seen = run.context_version
            holds = self.flow.holds_yet(trigger.condition, frame, "trigger.condition", input=data)
            if holds and not held:
                fire(trigger, data, describe(trigger))
                if trigger.interrupting:
                    return
            held = holds
            await workflow.wait_condition(lambda seen=seen: run.context_version != seen)  # type: ignore[misc]

    # ---- throw nodes ----------------------------------------------------------

    async def throw(
        self, frame: Frame, node: PlanStep, key: str, entry: st.StepState, data: Any
    ) -> Any:
        """A signal to the run's waits (and, with ``broadcast``, to every
        other run's), or an escalation to the innermost node that listens
        for it. The node's output is its input."""
        spec = node.throw
        assert spec is not None
        flow, run = self.flow, self.flow.run
        payload = (
            flow.evaluate_field(spec.data, frame, "throw.data", input=data)
            if spec.data is not None
            else data
        )
        if spec.kind == "compensate":
            await self._compensate(frame, key, spec.name)
            return data
        if spec.kind == "escalation":
            if listening(spec.name):
                run.record(EventKind.THROWN, key, detail=f"escalation {spec.name!r}")
                await escalate(spec.name, payload)
            else:
                run.record(
                    EventKind.THROWN,
                    key,
                    detail=f"escalation {spec.name!r}: nothing listens for it",
                )
                run.state.escalations.append(spec.name)
            return data
        event = {
            "specversion": "1.0",
            "id": str(workflow.uuid4()),
            "type": spec.name,
            "source": f"baton:{run.workflow_id}",
            "time": workflow.now().isoformat(),
            "datacontenttype": "application/json",
            "data": payload,
        }
        if spec.kind == "message":
            # to other runs only: a process never receives its own messages
            # (the emit below reaches this run too: it takes the id as seen)
            run.events.remember(str(event["id"]))
            run.record(EventKind.THROWN, key, detail=f"message {spec.name!r}")
        else:
            # what else can run in this moment runs first — a catch on a
            # parallel branch a few instant nodes away opens its wait — then
            # the signal goes out
            for _ in range(SETTLE_ROUNDS):
                await workflow.wait_condition(lambda: True)
            taken = run.events.broadcast(event)
            run.record(
                EventKind.THROWN,
                key,
                detail=f"signal {spec.name!r}"
                + (f": taken by {', '.join(taken)}" if taken else ": no wait of this run wants it"),
            )
            flow.on_waiting_changed()
        if spec.broadcast:
            # every other run that waits for it (this run has it already: a
            # repeated event id is taken once)
            await flow.steps.attempt_with_retries(
                key,
                node,
                {"type": "emit"},
                "forward",
                node.retry,
                entry,
                None,
                lambda: {"event": event},
            )
        return data
