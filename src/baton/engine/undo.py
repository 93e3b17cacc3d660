"""Undoing what a run (or a scope of it) did: compensation in reverse order of
ending, settling outcomes a cancel left unknown, and the plan's end-of-run
cleanup — all shielded from cancel, so an undo, once begun, finishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..plan.model import NodeKind, PlanStep, RetrySpec
    from . import observe
    from . import state as st
    from .children import ChildUndo
    from .failures import StepFailed
    from .run import Run
    from .steps import Steps
    from .vocabulary import EventKind


# runs a node's undo_with node (the flow's): instance key, the node, progress -> output
HandlerRunner = Callable[[str, PlanStep, st.CompensationState], Awaitable[Any]]


class Undo:
    def __init__(self, run: Run, steps: Steps, on_compensating: Callable[[], None]) -> None:
        self.run = run
        self.steps = steps
        self.on_compensating = on_compensating  # the run's status changed to COMPENSATING
        self.run_handler: HandlerRunner | None = None  # set by the flow
        self.children = ChildUndo(run, steps)  # completed `run` steps' children

    async def compensate(self, undo_order: list[str], *, whole_run: bool = True) -> None:
        """Compensate the instances in ``undo_order`` backwards. ``whole_run``:
        the run's own undo (its status becomes COMPENSATING); else a scope's."""
        run = self.run
        to_undo = list(reversed(undo_order))
        if not to_undo:
            return
        if whole_run:
            run.state.status = st.COMPENSATING
            run.undoing_run = True
            self.on_compensating()
        for key in to_undo:
            step = run.nodes[key]
            child_undo: tuple[str, Any] | None = None
            if step.child is not None and step.child.undo:
                try:
                    child_undo = self.children.plan_for(key)
                except StepFailed as failure:
                    self._not_undone(key, str(failure))
                    continue
                if child_undo is None:
                    run.record(
                        EventKind.COMPENSATION_NOT_DEFINED,
                        key,
                        detail="its child run has nothing to undo",
                    )
                    continue
            elif step.compensation is None and step.undo_with is None:
                if step.kind == NodeKind.ACTION:  # control nodes have nothing to undo anyway
                    run.record(EventKind.COMPENSATION_NOT_DEFINED, key)
                continue
            if key in run.unknown and step.compensate_if_unknown:
                if not await self._settle(key, step):
                    continue
            comp = st.CompensationState(
                step_id=key,
                order=len(run.state.compensations) + 1,
                started_at=st.iso(workflow.now()),
            )
            run.state.compensations.append(comp)
            try:
                if child_undo is not None:
                    comp.attempts = 1
                    comp.output = await self.children.undo(key, *child_undo)
                else:
                    comp.output = await self._undo_one(key, step, comp)
                comp.status = st.COMP_COMPENSATED
                run.record(EventKind.STEP_COMPENSATED, key, attempt=comp.attempts)
            except StepFailed as failure:
                comp.status = st.COMP_FAILED
                comp.error = str(failure)
                run.record(EventKind.COMPENSATION_FAILED, key, detail=str(failure))
            comp.completed_at = st.iso(workflow.now())
            observe.compensation_ended(run, comp)

    def _not_undone(self, key: str, why: str) -> None:
        """A compensation that failed before it could start."""
        run = self.run
        now = st.iso(workflow.now())
        comp = st.CompensationState(
            step_id=key,
            order=len(run.state.compensations) + 1,
            status=st.COMP_FAILED,
            error=why,
            started_at=now,
            completed_at=now,
        )
        run.state.compensations.append(comp)
        run.record(EventKind.COMPENSATION_FAILED, key, detail=why)
        observe.compensation_ended(run, comp)

    async def _undo_one(self, key: str, step: PlanStep, comp: st.CompensationState) -> Any:
        """Run what undoes one instance: its ``undo_with`` node, else its
        compensation action."""
        run = self.run
        if step.undo_with is not None:
            assert self.run_handler is not None
            return await self.run_handler(key, step.undo_with, comp)
        fields = run.compensation_fields.get(key)
        if isinstance(fields, str):
            raise StepFailed(fields, False)
        assert step.compensation is not None
        return await self.steps.attempt_with_retries(
            key,
            step,
            step.compensation,
            "compensation",
            run.plan.options.compensation_retry,
            comp,
            run.instance_names.get(key),
            None if fields is None else _given(fields),
        )

    async def clean_up(self, action: dict[str, Any]) -> None:
        """The plan's end-of-run action, whatever the outcome; shielded from
        cancel like compensation. A failure is recorded, not fatal."""
        run = self.run
        step = PlanStep(id="_cleanup", name="Clean up", action=action, timeout_seconds=300)
        run.nodes.setdefault("_cleanup", step)
        progress = st.CompensationState(step_id="_cleanup", order=0)
        try:
            await self.steps.attempt_with_retries(
                "_cleanup", step, action, "cleanup", RetrySpec(max_attempts=3), progress
            )
            run.state.cleanup = {"status": "DONE", "error": None}
            run.record(EventKind.CLEANUP_DONE)
        except StepFailed as failure:
            run.state.cleanup = {"status": "FAILED", "error": str(failure)}
            run.record(EventKind.CLEANUP_FAILED, detail=str(failure))

    async def _settle(self, key: str, step: PlanStep) -> bool:
        """Learn what a step cancelled mid-flight did, by repeating its forward
        action with the same idempotency key (a service that honours the key
        answers with the first outcome, or does it now — either way once).
        Returns whether there is something to compensate."""
        run = self.run
        step_state = run.step_states[key]
        run.record(
            EventKind.SETTLE_STARTED, key, detail="repeating the forward action with its key"
        )
        settled = st.CompensationState(step_id=key, order=0)
        try:
            output = await self.steps.attempt_with_retries(
                key,
                step,
                step.action,
                "settle",
                run.plan.options.compensation_retry,
                settled,
                run.instance_names.get(key),
            )
        except StepFailed as failure:
            if failure.retryable or failure.exhausted:
                comp = st.CompensationState(
                    step_id=key,
                    order=len(run.state.compensations) + 1,
                    status=st.COMP_FAILED,
                    error=f"its effect is still unknown: {failure}",
                    started_at=st.iso(workflow.now()),
                    completed_at=st.iso(workflow.now()),
                )
                run.state.compensations.append(comp)
                run.record(EventKind.COMPENSATION_FAILED, key, detail=comp.error)
                observe.compensation_ended(run, comp)
                return False
            run.record(EventKind.SETTLE_NOT_DONE, key, detail=f"the action is refused: {failure}")
            return False
        step_state.output = output
        run.outputs[step.id] = output
        run.instance_outputs[key] = output
        run.record(EventKind.STEP_SETTLED, key, detail="the forward action's outcome is known")
        return True


def _given(fields: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The compensation's fields, made when its step completed."""
    return lambda: fields
