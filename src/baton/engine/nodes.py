"""What the control nodes with a body or a wait do: scopes, loops (one after
another or at once), sub-processes and waits for timers and events. The
scheduler (:mod:`.flow`) calls these from a node's task."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import CancelledError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from ..plan.model import Expr, NodeKind, PlanStep, RunInput
    from ..plan.wire import to_wire
    from . import children
    from . import state as st
    from .batches import batchable, heavy, run_rest
    from .events import Filter, Waiter
    from .failures import EXPRESSION, SUBPROCESS, StepFailed, problem
    from .frames import Frame
    from .names import WORKFLOW_NAME
    from .triggers import escalate
    from .vocabulary import EventKind

if TYPE_CHECKING:
    from .flow import Flow


class ControlNodes:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow

    async def close(
        self, parent: Frame, node: PlanStep, child: Frame, key: str | None = None
    ) -> Any:
        """Run ``child`` to its end; what completed in it joins the parent's
        undo (or is undone now, for a failed transaction scope; or, for a
        scope a node undoes, is kept for that node: ``key``)."""
        try:
            await self.flow.run_nested(child)
        except asyncio.CancelledError:
            parent.undo.extend(child.undo)
            raise
        if child.failure is not None:
            if node.compensate_on_error:
                await self.flow.undo.compensate(child.undo, whole_run=False)
            else:
                parent.undo.extend(child.undo)
            raise child.failure.again(f"{child.failure}")
        if node.compensation is None and node.undo_with is None:
            parent.undo.extend(child.undo)
        elif node.undo_with is not None and node.undo_with.kind == NodeKind.SCOPE and key:
            self.flow.run.kept_undo[key] = list(child.undo)  # its undo scope sees it
        return child.output()

    async def loop(self, frame: Frame, node: PlanStep, key: str, data: Any) -> Any:
        spec = node.loop
        assert spec is not None
        items: list[Any] | None = None
        if spec.each is not None:
            found = self.flow.evaluate_field(spec.each, frame, "loop.each", input=data)
            if isinstance(found, dict):
                found = list(found.values())
            if not isinstance(found, list):
                message = f"loop.each must give a list, got {type(found).__name__}"
                raise StepFailed(message, False, error=problem(EXPRESSION, message))
            items = found
        count: int | None = None
        if spec.times is not None:
            found = self.flow.evaluate_field(spec.times, frame, "loop.times", input=data)
            if not isinstance(found, int) or isinstance(found, bool) or found < 0:
                message = f"loop.times must give a whole number ≥ 0, got {found!r}"
                raise StepFailed(message, False, error=problem(EXPRESSION, message))
            count = found
        if spec.batched:  # a batch of a long loop, run as a child run (:mod:`.batches`)
            batch = self.flow.run.plan.options.batch or {}
            items, count, data = (
                batch.get("items"),
                int(batch.get("count") or 0),
                batch.get("carry"),
            )
        total = len(items) if items is not None else count
        if total is not None and total > spec.max_iterations:
            message = f"the loop has {total} iterations; it allows at most {spec.max_iterations}"
            raise StepFailed(message, False)
        if spec.parallel:
            return await self._parallel_loop(frame, node, key, data, items, total or 0)
        carry, index = data, 0
        outputs: list[Any] = []
        may_batch = total is not None and batchable(node, frame)
        started_at_length = workflow.info().get_current_history_length()
        while total is None or index < total:
            if self.flow.stopping(frame):
                raise asyncio.CancelledError()  # the run or its scope stopped: no more iterations
            if may_batch and heavy(self.flow.run.plan.options.batch_after_events):
                assert total is not None
                carry, outputs = await run_rest(
                    self, frame, node, key, items, index, total, carry, outputs, started_at_length
                )
                break
            if index >= spec.max_iterations:
                message = f"the loop ran {index} iterations, its max_iterations"
                raise StepFailed(message, False)
            names = self._loop_names(spec, items, index)
            if spec.condition is not None and (spec.test_before or index > 0):
                holds = self.flow.evaluate_field(
                    spec.condition, frame, "loop.condition", input=carry, **names
                )
                if not holds:
                    break
            carry = await self._iteration(frame, node, key, index, names, carry)
            outputs.append(carry)
            index += 1
            if spec.complete_when is not None and self.flow.evaluate_field(
                spec.complete_when,
                frame,
                "loop.complete_when",
                output=carry,
                outputs=outputs,
                **names,
                **_counts(total, len(outputs), 0),
            ):
                break
        return outputs if spec.collect else carry

    @staticmethod
    def _loop_names(spec: Any, items: list[Any] | None, index: int) -> dict[str, Any]:
        # a batch's iterations keep the loop's own numbering (first_index)
        names: dict[str, Any] = {spec.index: spec.index_base + spec.first_index + index}
        if items is not None:
            names[spec.item] = items[index]
        return names

    async def _iteration(
        self, frame: Frame, node: PlanStep, key: str, index: int, names: dict[str, Any], data: Any
    ) -> Any:
        assert node.loop is not None
        number = node.loop.first_index + index
        child = Frame(
            node.body,
            input=data,
            parent=frame,
            prefix=f"{key}[{number}]/",
            names=names,
            iteration=number,
        )
        return await self.close(frame, node, child)

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
                    if self.flow.stopping(frame):
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
                            self.flow.evaluate_field(
                                spec.complete_when,
                                frame,
                                "loop.complete_when",
                                output=results[index],
                                outputs=done,
                                **self._loop_names(spec, items, index),
                                **_counts(total, len(done), len(active)),
                            )
                        )
                if complete:
                    for task in active.values():
                        self.flow.cancel(task)
        except BaseException:
            # cancelled, or complete_when failed: the iterations still running stop first
            for task in active.values():
                self.flow.cancel(task)
            await self.flow.wait_despite_cancel(list(active.values()))
            raise
        if failure is not None:
            raise failure
        return results

    async def subprocess(self, frame: Frame, node: PlanStep, key: str, data: Any) -> Any:
        """Run the node's plan as a child run and give its output; with
        ``action_from`` the child's input is made from the node's input. A
        child that fails fails the node with the child's own error object.
        ``detached``: start the child (it outlives this run) and go on. A
        saga's ``run`` step (``child``) has its input, output and undo made
        by :mod:`.children`."""
        plan = node.subprocess
        assert plan is not None
        run = self.flow.run
        # a child runs with its parent's entry point (the same policy, never a looser one)
        child_plan = replace(plan, options=replace(plan.options, origin=run.plan.options.origin))
        child_id = f"{run.workflow_id}.{key}"
        child_input = data
        if node.child is not None:
            child_plan, child_input = children.child_plan_and_input(
                self.flow, frame, node, key, child_plan
            )
        elif node.action_from is not None:
            child_input = self.flow.evaluate_field(node.action_from, frame, "input", input=data)
        run.record(EventKind.SUBPROCESS_STARTED, key, detail=child_id)
        entry = children.started(
            run, key, child_id, child_plan, node.child.definition if node.child else None
        )
        wire = to_wire(RunInput(plan=child_plan, input=child_input))
        if node.detached:
            await workflow.start_child_workflow(
                WORKFLOW_NAME, wire, id=child_id, parent_close_policy=ParentClosePolicy.ABANDON
            )
            return data  # its entry stays RUNNING: this run does not follow it
        if node.child is None:
            return await self.run_child(child_id, wire, entry)
        result = await self.run_child(child_id, wire, entry, whole=True)
        if node.child.undo:
            entry.final = children.kept(result, child_plan)
        return children.output_of(result)

    async def run_child(
        self, child_id: str, wire: Any, entry: st.ChildRun | None = None, whole: bool = False
    ) -> Any:
        """Run a child run to its end: its output (``whole``: its final
        status document); a child that did not complete fails the node with
        the child's own error object."""
        try:
            result: dict[str, Any] = await workflow.execute_child_workflow(
                WORKFLOW_NAME, wire, id=child_id
            )
        except ChildWorkflowError as exc:
            if entry is not None:
                children.ended(entry, st.RunStatus.FAILED)
            if isinstance(exc.cause, CancelledError):
                if entry is not None:
                    entry.status = st.CANCELLED
                raise asyncio.CancelledError() from None
            message = f"sub-process {child_id} failed: {exc.cause or exc}"
            raise StepFailed(message, False, error=problem(SUBPROCESS, message)) from None
        status = result.get("status")
        if entry is not None:
            children.ended(entry, str(status))
        if status == st.CANCELLED:
            raise asyncio.CancelledError()
        for code in result.get("escalations") or []:
            # escalations the child did not catch reach this node's boundary
            # events — or, when nothing here listens, this run's caller
            if not await escalate(str(code), result.get("output")):
                self.flow.run.state.escalations.append(str(code))
        if status != st.COMPLETED:
            message = f"sub-process {child_id} ended {status}: {result.get('failure')}"
            error = result.get("error")
            if not isinstance(error, dict):
                error = problem(SUBPROCESS, message, detail=status)
            raise StepFailed(message, False, error=dict(error))
        return result if whole else result.get("output")

    # ---- waits --------------------------------------------------------------

    async def wait(self, frame: Frame, node: PlanStep, key: str, data: Any) -> Any:
        spec = node.wait
        assert spec is not None
        if spec.condition is not None:
            return await self._until_condition(frame, spec.condition, data)
        if spec.seconds is not None or spec.at is not None or spec.duration is not None:
            seconds = spec.seconds
            if spec.duration is not None:
                seconds = self.flow.duration(spec.duration, frame, "wait", input=data)
            if seconds is None:
                seconds = self.seconds_until(
                    self.flow.evaluate_field(spec.at, frame, "wait.at", input=data)
                )
            if seconds > 0:
                await workflow.sleep(timedelta(seconds=seconds))
            return data
        filters = [
            self.filter(wanted, f"wait.events[{i}]", frame, data)
            for i, wanted in enumerate(spec.events)
        ]
        enders = [
            self.filter(wanted, f"wait.until_events[{i}]", frame, data)
            for i, wanted in enumerate(spec.until_events)
        ]
        until = None
        if spec.until is not None:
            stop = spec.until

            def until(events: list[dict[str, Any]]) -> bool:
                # `.` is the events so far (the process language's `until`)
                scope = {"input": data, "events": events, ".": events}
                return bool(self.flow.evaluate(stop, frame, **scope))

        waiter = Waiter(
            key, filters, mode=spec.mode, until=until, enders=enders, shared=spec.shared
        )
        self.flow.run.events.open(waiter)
        self.flow.on_waiting_changed()
        outputs: list[Any] = []
        try:
            if spec.for_each:
                outputs = await self._each_event(frame, node, key, data, waiter)
            elif not waiter.done:
                await workflow.wait_condition(lambda: waiter.done)
        finally:
            self.flow.run.events.close(waiter)
            self.flow.on_waiting_changed()
        if waiter.error is not None:
            message = f"an event condition failed: {waiter.error}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message))
        return outputs if spec.each_output is not None else waiter.consumed

    async def _until_condition(self, frame: Frame, condition: Expr, data: Any) -> Any:
        """Until ``condition`` holds over the context: checked now and each
        time a node exports a new context."""
        run = self.flow.run
        while True:
            seen = run.context_version
            if self.flow.holds_yet(condition, frame, "wait.condition", input=data):
                return data
            await workflow.wait_condition(lambda seen=seen: run.context_version != seen)  # type: ignore[misc]

    async def _each_event(
        self, frame: Frame, node: PlanStep, key: str, data: Any, waiter: Waiter
    ) -> list[Any]:
        """The node's body for each event taken, in the order taken; events
        that arrive meanwhile wait their turn (the waiter keeps taking them).
        Each iteration's output, after ``each_output``."""
        spec, loop = node.wait, node.loop
        assert spec is not None and loop is not None
        outputs: list[Any] = []
        done = 0
        while True:
            await workflow.wait_condition(_taken_more(waiter, done))
            if waiter.error is not None or (done >= len(waiter.consumed) and waiter.done):
                return outputs
            event = waiter.consumed[done]
            item = event.get("data") if spec.read == "data" else event
            names = {loop.item: item, loop.index: done}
            result = await self._iteration(frame, node, key, done, names, data)
            if spec.each_output is not None:
                result = self.flow.evaluate_field(
                    spec.each_output, frame, "foreach.output", output=result, **names
                )
            outputs.append(result)
            if spec.each_export is not None:
                context = self.flow.evaluate_field(
                    spec.each_export, frame, "foreach.export", output=result, **names
                )
                if not isinstance(context, dict):
                    message = f"foreach.export must give an object, got {context!r}"[:300]
                    raise StepFailed(message, False, error=problem(EXPRESSION, message))
                self.flow.run.set_context(context)
            done += 1

    def filter(self, wanted: Any, what: str, frame: Frame, data: Any) -> Filter:
        """An event filter with its correlation values known (evaluated now)."""
        correlate = {
            path: self.flow.evaluate_field(expr, frame, f"{what}.correlate.{path}", input=data)
            for path, expr in wanted.correlate.items()
        }
        where = None
        if wanted.where is not None:
            condition = wanted.where

            def where(event: dict[str, Any], condition: Expr = condition) -> bool:
                # `.` is the event (jq); `event` names it too
                scope = {"input": data, "event": event, ".": event}
                return bool(self.flow.evaluate(condition, frame, **scope))

        keys = None
        if wanted.keys:
            rules = dict(wanted.keys)

            def keys(event: dict[str, Any]) -> dict[str, Any]:
                scope = {"input": data, "event": event, ".": event}
                return {name: self.flow.evaluate(e, frame, **scope) for name, e in rules.items()}

        return Filter(wanted.type, wanted.source, correlate, where, keys)

    def seconds_until(self, moment: Any) -> float:
        try:
            at = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
        except ValueError:
            message = f"wait.at must give an ISO 8601 moment, got {moment!r}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message)) from None
        if at.tzinfo is None:
            message = f"wait.at must give a moment with a time zone, got {moment!r}"
            raise StepFailed(message, False, error=problem(EXPRESSION, message))
        return (at - workflow.now()).total_seconds()


def _counts(total: int | None, completed: int, active: int) -> dict[str, Any]:
    """What a loop's complete_when sees of its instances, by the names
    Camunda 7 and Zeebe give them (BPMN's multi-instance completion)."""
    return {
        "nrOfInstances": total,
        "nrOfCompletedInstances": completed,
        "nrOfActiveInstances": active,
        "numberOfInstances": total,
        "numberOfCompletedInstances": completed,
        "numberOfActiveInstances": active,
    }


def _taken_more(waiter: Waiter, done: int) -> Callable[[], bool]:
    """Whether ``waiter`` has ended or taken more than ``done`` events."""
    return lambda: waiter.done or len(waiter.consumed) > done
