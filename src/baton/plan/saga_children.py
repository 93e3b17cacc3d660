"""Saga steps that run another definition as a child run (``{"type":
"run", "definition": ..., "input": {...}}``: a pipeline, docs/sagas.md) as
sub-process nodes. The file is read and compiled when the saga is compiled
— relative to the saga's file, then to ``BATON_PROCESS_PATH`` — so the run
carries the child's plan (a worker runs what was checked here), problems in
the child are reported with the child's path, and a cycle of definitions
running each other is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..definitions.bpmn.bindings import read_sidecar
from ..definitions.catalog import DirectoryCatalog
from ..definitions.child_run import RunAction
from ..definitions.dmn.files import DecisionFiles
from ..definitions.loader import read_document
from ..definitions.saga import SagaStep
from ..errors import DefinitionError, Issue
from .model import ChildRunSpec, NodeKind, Plan, PlanStep

if TYPE_CHECKING:
    from .frontends import CompileContext

MAX_DEPTH = 8  # definitions running definitions, this deep at most


def saga_children(
    steps: list[SagaStep], ctx: CompileContext, issues: list[Issue]
) -> dict[str, Plan]:
    """Each run step's child plan, by step id; problems go to ``issues``
    named by the step's field (``steps[2].forward_action.definition``)."""
    found: dict[str, Plan] = {}
    files = DecisionFiles.for_source(ctx.source, ctx.search_path)  # the same directories
    for index, step in enumerate(steps):
        action = step.forward_action
        if not isinstance(action, RunAction):
            continue
        where = f"steps[{index}]"
        for name, problem in _step_problems(step):
            issues.append(Issue(f"{where}.{name}", problem))
        plan = _compile_child(action, files, ctx, f"{where}.forward_action.definition", issues)
        if plan is not None:
            found[step.step_id] = plan
    return found


def _step_problems(step: SagaStep) -> Iterable[tuple[str, str]]:
    if step.retry_count:
        yield (
            "retry_count",
            "a run step is not retried (a failed child has compensated itself); give the "
            "child's own steps retry_count",
        )
    if step.local:
        yield "local", "a run step starts a child run, which cannot run as a local activity"
    if step.compensate_if_unknown:
        yield (
            "compensate_if_unknown",
            "a cancelled child run undoes its own work; compensate_if_unknown does not apply",
        )


def _compile_child(
    action: RunAction,
    files: DecisionFiles,
    ctx: CompileContext,
    where: str,
    issues: list[Issue],
) -> Plan | None:
    path = files.find(action.definition)
    if path is None:
        issues.append(
            Issue(
                where,
                f"{action.definition!r} is not a file in the saga's directory (the current "
                "one for a definition that is not a file) or a directory of BATON_PROCESS_PATH "
                "(a relative path that stays inside it)",
            )
        )
        return None
    stack = ctx.definitions or (str(Path(ctx.source).resolve()),)
    shown = _shown_from(Path(stack[0]).parent)
    if str(path) in stack:
        chain = " -> ".join(shown(p) for p in (*stack[stack.index(str(path)) :], str(path)))
        issues.append(Issue(where, f"definitions run each other in a cycle: {chain}"))
        return None
    if len(stack) >= MAX_DEPTH:
        issues.append(Issue(where, f"child runs nest deeper than {MAX_DEPTH} definitions"))
        return None
    from .frontends import compile_document, detect_kind

    try:
        data = read_document(path)
        kind = detect_kind(data, str(path))
        child_ctx = replace(
            ctx,
            source=str(path),
            config=None,
            coordination_mode=None,
            planned_phases=None,
            planning_note=None,
            processes=DirectoryCatalog.for_source(str(path), ctx.search_path),
            bpmn_sidecar=read_sidecar(str(path)) if kind == "bpmn" else None,
            definitions=(*stack, str(path)),
        )
        plan = compile_document(data, child_ctx, kind=kind)
    except DefinitionError as exc:
        for issue in exc.issues:
            at = f" at {issue.path}" if issue.path else ""
            issues.append(Issue(where, f"{shown(str(path))}{at}: {issue.message}"))
        return None
    if not isinstance(plan, Plan):
        issues.append(
            Issue(
                where,
                f"{action.definition} is an approval chain, which is not run as a child run; "
                "use an approval action on the step instead",
            )
        )
        return None
    return plan


def _shown_from(directory: Path) -> Callable[[str], str]:
    """Paths in messages: relative to the outermost definition's directory
    when they are inside it, else as they are."""

    def shown(path: str) -> str:
        try:
            return str(Path(path).relative_to(directory))
        except ValueError:
            return path

    return shown


def as_child_run_node(node: PlanStep, plan: Plan, step: SagaStep) -> PlanStep:
    """``node`` (a saga step's plan node) made a sub-process node that runs
    ``plan``: its input is the action's ``input`` (placeholders filled as
    the step starts; without it, the saga's context); it is tried once (the
    child's steps retry themselves); ``timeout_minutes`` bounds the whole
    child run. Without a compensation action of its own, the child's
    completed steps are undone when the saga compensates."""
    action = step.forward_action
    assert isinstance(action, RunAction)
    node.kind = NodeKind.SUBPROCESS
    node.action = {}
    node.subprocess = plan
    node.retry.max_attempts = 1
    node.local = None
    if step.timeout_minutes is not None:
        node.deadline_seconds = step.timeout_minutes * 60
    node.child = ChildRunSpec(
        definition=action.definition, input=action.input, undo=node.compensation is None
    )
    return node
