"""Undoing a run that has ended: the COMPENSATE recovery of a COMPLETED run,
or of one whose compensation failed (docs/operations.md, "Recovery
actions").

The run is closed, so its own undo cannot run any more; an *undo run* does
it instead: a new run whose steps are the ended run's compensations still
to do — of the steps that completed and were not compensated — newest
first, each filled in as the ended run would have filled it (from the step
outputs its status document keeps and the context its plan started with,
by the interpreter's own resolver; a run that changed its context as it
ran is refused) and run as written (``PlanStep.literal``), with
the ended run's entry point (its execution policy) and compensation
retries. Pure: the recovery activity reads the plan and the status and
starts what this returns."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..engine.placeholders import PlaceholderError
from ..engine.steps import resolve_action, scopes_for
from ..plan.model import NodeKind, Plan, PlanOptions, PlanStep, walk

UNDOABLE = ("COMPLETED", "COMPENSATION_FAILED", "CANCELLED", "FAILED", "COMPENSATED")


class UndoRefused(ValueError):
    """The run cannot be undone by an undo run; the message says why."""


class NothingToUndo(UndoRefused):
    """The run has nothing (left) to undo."""


UNDO_PREFIX = "undo_"


def undo_plan(
    plan: Plan, state: dict[str, Any], undo_of: str, already_undone: set[str] | None = None
) -> Plan:
    """The plan of the run that undoes ``undo_of`` (its ``plan``, its final
    status document ``state``; ``already_undone``: steps an earlier undo run
    compensated)."""
    if state.get("status") not in UNDOABLE:
        raise UndoRefused(f"{undo_of} is {state.get('status')}: only an ended run is undone so")
    top = {step.id: step for step in plan.steps}
    compensated = {
        c["step_id"] for c in state.get("compensations") or [] if c.get("status") == "COMPENSATED"
    } | (already_undone or set())
    completed = sorted(
        (e for e in state.get("steps") or [] if e.get("status") == "COMPLETED"),
        key=lambda e: str(e.get("completed_at") or ""),
    )
    outputs = {str(e["step_id"]): e.get("output") for e in completed}
    order = list(outputs)
    if any(step.export is not None for _, step in walk(plan.steps)):
        # the run's context changed as it ran; an ended run keeps only its start
        raise UndoRefused(
            f"{undo_of} changed its context as it ran (export), which an ended run does not "
            "keep: its undo cannot be filled in as the run would have"
        )
    to_undo: list[tuple[str, PlanStep]] = []
    for key in order:
        step = top.get(key)
        if step is None:
            if key not in compensated and _inner_undo(plan, key):
                raise UndoRefused(
                    f"{undo_of}: step {key} ran inside a scope or loop; an undo run undoes "
                    "top-level steps only"
                )
            continue
        if step.child is not None and step.child.undo:
            if key not in compensated:
                to_undo.append((key, step))
            continue
        if key in compensated or (step.compensation is None and step.undo_with is None):
            continue
        if step.undo_with is not None or step.compensation_from is not None:
            raise UndoRefused(
                f"{undo_of}: step {key}'s undo is computed from what the run held when it "
                "completed, which an ended run does not keep"
            )
        if outputs[key] is None and state.get("outputs_omitted"):
            raise UndoRefused(f"{undo_of}: step {key}'s output was not kept (the run was too big)")
        to_undo.append((key, step))
    if not to_undo:
        raise NothingToUndo(f"{undo_of} has nothing left to undo")
    # (a child run with nothing to undo adds no node; none at all: nothing to undo)
    nodes: list[PlanStep] = []
    for key, step in reversed(to_undo):
        if step.child is not None:
            nested = child_undo_plan(step, key, state.get("children") or [], undo_of)
            if nested is not None:
                nodes.append(
                    PlanStep(
                        id=f"{UNDO_PREFIX}{key}",
                        name=f"Undo {step.name}",
                        action={},
                        kind=NodeKind.SUBPROCESS,
                        subprocess=nested,
                        after=[nodes[-1].id] if nodes else [],
                        description=f"the undo of {undo_of}'s child run {key}",
                    )
                )
            continue
        assert step.compensation is not None
        scopes, named = scopes_for(outputs, order, outputs[key], dict(plan.context))
        try:
            action = resolve_action(step.compensation, scopes, named)
        except PlaceholderError as exc:
            raise UndoRefused(f"{undo_of}: step {key}'s undo cannot be filled in: {exc}") from None
        nodes.append(
            PlanStep(
                id=f"{UNDO_PREFIX}{key}",
                name=f"Undo {step.name}",
                action=action,
                after=[nodes[-1].id] if nodes else [],
                timeout_seconds=step.timeout_seconds,
                retry=plan.options.compensation_retry,
                literal=True,
                description=f"the compensation of {undo_of}'s step {key}",
            )
        )
    if not nodes:
        raise NothingToUndo(f"{undo_of} has nothing left to undo")
    return Plan(
        kind=plan.kind,
        id=f"{plan.id}-undo",
        name=f"Undo {plan.name}",
        steps=nodes,
        options=PlanOptions(
            origin=plan.options.origin,
            failed_status="FAILED",
            notes=[f"undoes {undo_of}: {', '.join(k for k, _ in reversed(to_undo))}"],
            notification_channels=list(plan.options.notification_channels),
            alert_on_failure=plan.options.alert_on_failure,
        ),
    )


def child_undo_plan(
    step: PlanStep, key: str, children: list[dict[str, Any]], undo_of: str
) -> Plan | None:
    """The undo of the completed child run of ``step`` (a saga's ``run``
    step, instance ``key``) from what its parent's status document keeps of
    it (``children[].final``: its final status and the context it ran
    with); None: it has nothing to undo. Its own ``run`` steps' children
    are undone inside it, newest first, the same way."""
    entry = next(
        (
            c
            for c in reversed(children)
            if c.get("step_id") == key and not c.get("undoes") and c.get("final")
        ),
        None,
    )
    if step.subprocess is not None and not any(
        node.compensation is not None
        or node.undo_with is not None
        or (node.child is not None and node.child.undo)
        for _, node in walk(step.subprocess.steps)
    ):
        return None  # a child with no undo anywhere (most processes): nothing to do
    if entry is None or step.subprocess is None:
        raise UndoRefused(f"{undo_of}: step {key}'s child run's final status is not kept")
    final = entry["final"]
    plan = replace(step.subprocess, context=dict(final.get("context") or {}))
    try:
        return undo_plan(plan, final, str(entry["run_id"]))
    except NothingToUndo:
        return None


def undone_by(state: dict[str, Any]) -> set[str]:
    """The steps an undo run's status document says it compensated."""
    return {
        str(e["step_id"])[len(UNDO_PREFIX) :]
        for e in state.get("steps") or []
        if str(e.get("step_id", "")).startswith(UNDO_PREFIX) and e.get("status") == "COMPLETED"
    }


def _inner_undo(plan: Plan, key: str) -> bool:
    """Whether the nested instance ``key`` (``scope/x``, ``loop[2]/x``) is of
    a node that has an undo."""
    node_id = key.rsplit("/", 1)[-1].split("#", 1)[0]
    return any(
        step.id == node_id and (step.compensation is not None or step.undo_with is not None)
        for _, step in walk(plan.steps)
    )


def step_plan(plan: Plan, state: dict[str, Any], workflow_id: str, step_id: str) -> Plan:
    """The plan of a run that does one failed step of ``workflow_id`` again
    (a dead letter's redrive): its forward action filled in as that run
    would have — from the outputs its status document keeps and the context
    its plan started with — and run as written, with the step's retries and
    its compensation, under the run's entry point."""
    step = {s.id: s for s in plan.steps}.get(step_id)
    if step is None or step.action is None:
        raise UndoRefused(f"{workflow_id} has no top-level action step {step_id!r}")
    if any(s.export is not None for _, s in walk(plan.steps)):
        raise UndoRefused(
            f"{workflow_id} changed its context as it ran (export), which a status does not "
            "keep: the step cannot be filled in as the run would have"
        )
    completed = sorted(
        (e for e in state.get("steps") or [] if e.get("status") == "COMPLETED"),
        key=lambda e: str(e.get("completed_at") or ""),
    )
    outputs = {str(e["step_id"]): e.get("output") for e in completed}
    scopes, named = scopes_for(outputs, list(outputs), None, dict(plan.context))
    try:
        action = resolve_action(step.action, scopes, named)
    except PlaceholderError as exc:
        raise UndoRefused(f"{workflow_id}: step {step_id} cannot be filled in: {exc}") from None
    return Plan(
        kind=plan.kind,
        id=f"{plan.id}-{step_id}-redrive",
        name=f"{plan.name}: {step.name} again",
        steps=[
            PlanStep(
                id=step_id,
                name=step.name,
                action=action,
                compensation=step.compensation,
                timeout_seconds=step.timeout_seconds,
                retry=step.retry,
                literal=True,
                description=f"step {step_id} of {workflow_id}, again (a dead letter's redrive)",
            )
        ],
        options=PlanOptions(
            origin=plan.options.origin,
            notes=[f"does step {step_id} of {workflow_id} again"],
            notification_channels=list(plan.options.notification_channels),
            alert_on_failure=plan.options.alert_on_failure,
        ),
    )
