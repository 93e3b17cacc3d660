"""Child runs as a pipeline's stages (a saga's ``run`` step, docs/sagas.md
"Pipelines"): the child's input made from the step's template, its output
for later steps, the tree of children in the status document, and undoing
a completed child when its parent compensates — by an undo run made from
the child's plan and final status, as ``baton recover --action
compensate`` undoes an ended run (:mod:`baton.monitoring.undoing`).

Deterministic: everything here is made from the plan and from results
recorded in the history."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from ..monitoring.undoing import UndoRefused, child_undo_plan
    from ..plan.model import Plan, PlanStep, RunInput
    from ..plan.wire import to_wire
    from . import state as st
    from .failures import SUBPROCESS, StepFailed, problem
    from .frames import Frame
    from .names import WORKFLOW_NAME
    from .placeholders import PlaceholderError, resolve
    from .run import Run
    from .steps import Steps
    from .vocabulary import EventKind

if TYPE_CHECKING:
    from .flow import Flow

# a child's own context is laid over by its input (these read no run input)
CONTEXT_KINDS = ("saga", "project")
# what of a child's final status document its undo needs
_KEPT = ("status", "compensations", "outputs_omitted", "children")
_KEPT_STEP = ("step_id", "status", "completed_at", "output")


def child_plan_and_input(
    flow: Flow, frame: Frame, node: PlanStep, key: str, plan: Plan
) -> tuple[Plan, Any]:
    """A ``run`` step's child plan and input: the step's ``input`` with its
    placeholders filled (as an action's), else the parent's context. A saga
    or project child gets it as its context (laid over its own)."""
    spec = node.child
    assert spec is not None
    run = flow.run
    if spec.input is None:
        given: Any = dict(run.context)
    else:
        names = None if frame is flow.root else {**frame.names, **frame.chain_outputs()}
        scopes, named = flow.steps.placeholder_scopes(key, "forward", names)
        try:
            given = resolve(spec.input, scopes, named)
        except PlaceholderError as exc:
            message = f"the child run's input: {exc}"
            raise StepFailed(message, False, error=problem(SUBPROCESS, message)) from None
    if plan.kind in CONTEXT_KINDS and isinstance(given, dict):
        plan = replace(plan, context={**plan.context, **given})
    return plan, given


def started(run: Run, key: str, child_id: str, plan: Plan, definition: str | None) -> st.ChildRun:
    entry = st.ChildRun(
        step_id=key,
        run_id=child_id,
        kind=plan.kind,
        plan_id=plan.id,
        name=plan.name,
        definition=definition,
        started_at=st.iso(workflow.now()),
    )
    run.state.children.append(entry)
    return entry


def ended(entry: st.ChildRun, status: str) -> None:
    entry.status = status
    entry.closed_at = st.iso(workflow.now())


def kept(result: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """What of a child's final status document its undo needs (kept in the
    parent's ``children`` entry, so an undo run made after the parent ended
    — ``baton recover --action compensate`` — finds it too)."""
    found = {name: result.get(name) for name in _KEPT}
    found["steps"] = [
        {name: e.get(name) for name in _KEPT_STEP}
        for e in result.get("steps") or []
        if e.get("status") == st.STEP_COMPLETED
    ]
    found["context"] = plan.context
    return found


def output_of(result: dict[str, Any]) -> Any:
    """A completed child's output; a child without one (a saga, a project):
    its completed steps' outputs by step id."""
    if result.get("output") is not None:
        return result.get("output")
    return {
        str(e["step_id"]): e.get("output")
        for e in result.get("steps") or []
        if e.get("status") == st.STEP_COMPLETED
    }


class ChildUndo:
    """Undoes a completed ``run`` step's child: its undo run, as a child of
    this run (``<child id>.undo``), waited for despite a cancel."""

    def __init__(self, run: Run, steps: Steps) -> None:
        self.run = run
        self.steps = steps

    def plan_for(self, key: str) -> tuple[str, Plan] | None:
        """The undo run's id and plan; None: the child has nothing to undo.
        A child that cannot be undone so fails the compensation (StepFailed)."""
        child_id = f"{self.run.workflow_id}.{key}"
        children = [to_wire(c) for c in self.run.state.children if c.step_id == key]
        try:
            plan = child_undo_plan(self.run.nodes[key], key, children, self.run.workflow_id)
        except UndoRefused as exc:
            raise StepFailed(f"the child run cannot be undone: {exc}", False) from None
        return None if plan is None else (child_id, plan)

    async def undo(self, key: str, child_id: str, plan: Plan) -> Any:
        """Run the undo run to its end (a cancel meanwhile does not stop it)."""
        run = self.run
        undo_id = f"{child_id}.undo"
        entry = started(run, key, undo_id, plan, None)
        entry.undoes = child_id
        run.record(EventKind.SUBPROCESS_STARTED, key, detail=undo_id)
        wire = to_wire(RunInput(plan=plan, input=None))
        handle = asyncio.ensure_future(
            workflow.execute_child_workflow(WORKFLOW_NAME, wire, id=undo_id)
        )
        while True:
            try:
                result: dict[str, Any] = await asyncio.shield(handle)
                break
            except asyncio.CancelledError:
                self.steps.cancel_during_undo()
            except ChildWorkflowError as exc:
                ended(entry, st.RunStatus.FAILED)
                raise StepFailed(f"undo run {undo_id} failed: {exc.cause or exc}", False) from None
        status = str(result.get("status"))
        ended(entry, status)
        if status != st.COMPLETED:
            raise StepFailed(f"undo run {undo_id} ended {status}: {result.get('failure')}", False)
        return {"undo_run": undo_id}
