"""Compile a saga definition into a :class:`~baton.plan.model.Plan`.

Ordering rule (documented in docs/sagas.md): steps run in list order. A step
without ``dependencies`` waits for the step before it; consecutive steps that
share a ``parallel_group`` form one stage that starts together and is waited
for as a whole. A step with ``dependencies`` waits for exactly those steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import BatonFile
from ..definitions.actions import ApprovalAction
from ..definitions.approval import ApprovalDefinition, Stage, StageRules
from ..definitions.child_run import RunAction
from ..definitions.decision import DecisionAction
from ..definitions.dmn.files import DecisionFiles
from ..definitions.loader import parse_model
from ..definitions.saga import (
    BUILTIN_AGENT_TYPES,
    COORDINATION_MODES,
    SagaConfig,
    SagaDefinition,
    SagaStep,
)
from ..errors import DefinitionError, Issue
from .approval import build_approval
from .channels import channel_issues
from .dispatch import why_not_local
from .model import Plan, PlanOptions, PlanStep, RetrySpec, SlaSpec
from .saga_children import as_child_run_node, saga_children
from .saga_decisions import as_decide_node, saga_decisions

if TYPE_CHECKING:
    from .frontends import CompileContext

DEFAULT_STEP_TIMEOUT_SECONDS = 300.0


def compile_saga(
    definition: SagaDefinition,
    *,
    source: str = "<dict>",
    config: SagaConfig | None = None,
    coordination_mode: str | None = None,
    baton_file: BatonFile | None = None,
    search_path: Iterable[Path] = (),
    ctx: CompileContext | None = None,
) -> Plan:
    """Check the saga's cross-field rules and build its plan. Raises
    :class:`DefinitionError` listing every issue with its field path.
    Decision steps read their DMN files beside ``source``, then in
    ``search_path``."""
    config = config or definition.config
    mode = coordination_mode or definition.coordination_mode
    baton_file = baton_file or BatonFile()
    issues: list[Issue] = []
    if mode not in COORDINATION_MODES:
        issues.append(
            Issue(
                "coordination_mode",
                f"{mode!r} is not a coordination mode; use "
                + " or ".join(repr(m) for m in COORDINATION_MODES),
            )
        )
    elif mode == "choreography":
        issues += _choreography_issues(definition.steps)
    issues += _check_ids_and_dependencies(definition.steps)
    issues += _check_agents(definition.steps, baton_file)
    issues += channel_issues(
        config.notification_channels, "config.notification_channels", baton_file
    )
    gates = _approval_gates(definition.steps, baton_file, issues)
    decisions = (
        saga_decisions(definition.steps, DecisionFiles.for_source(source, search_path), issues)
        if any(isinstance(s.forward_action, DecisionAction) for s in definition.steps)
        else {}
    )
    children = (
        saga_children(
            definition.steps, _child_context(ctx, source, baton_file, search_path), issues
        )
        if any(isinstance(s.forward_action, RunAction) for s in definition.steps)
        else {}
    )
    if issues:
        raise DefinitionError(source, issues)

    after = _implicit_order(definition.steps)
    cycle = _find_cycle(after)
    if cycle:
        shown = cycle if len(cycle) <= 12 else [*cycle[:5], "...", *cycle[-5:]]
        more = f" ({len(cycle) - 1} steps)" if len(cycle) > 12 else ""
        raise DefinitionError(
            source, [Issue("steps", "dependency cycle: " + " -> ".join(shown) + more)]
        )
    steps = [_plan_step(step, after[step.step_id], config, gates) for step in definition.steps]
    for step, node in zip(definition.steps, steps, strict=True):
        if isinstance(step.forward_action, DecisionAction):
            as_decide_node(node, decisions[step.step_id], step.forward_action)
        elif isinstance(step.forward_action, RunAction):
            as_child_run_node(node, children[step.step_id], step)
    local = [
        Issue(f"steps[{index}].local", f"step {node.id!r} cannot run as a local step: {reason}")
        for index, node in enumerate(steps)
        if node.local and (reason := why_not_local(node)) is not None
    ]
    if local:
        raise DefinitionError(source, local)
    return Plan(
        kind="saga",
        id=definition.saga_id,
        name=definition.name or definition.saga_id,
        description=definition.description,
        steps=steps,
        context=dict(definition.context),
        options=PlanOptions(
            deadline_seconds=config.timeout_seconds,
            alert_on_failure=config.alert_on_failure,
            notification_channels=list(config.notification_channels),
            heartbeat_timeout_seconds=config.heartbeat_timeout_seconds,
            sla=SlaSpec(*definition.sla.seconds()) if definition.sla else None,
        ),
    )


def _child_context(
    ctx: CompileContext | None, source: str, baton_file: BatonFile, search_path: Iterable[Path]
) -> CompileContext:
    """What a run step's child is compiled with (the saga's own context)."""
    from .frontends import CompileContext

    if ctx is not None:
        return ctx
    return CompileContext(source=source, baton_file=baton_file, search_path=tuple(search_path))


def _plan_step(
    step: SagaStep,
    after: list[str],
    config: SagaConfig,
    gates: dict[tuple[str, str], dict[str, Any]],
) -> PlanStep:
    attempts = step.retry_count + 1 if config.retry_failed_steps else 1
    timeout = step.timeout_minutes * 60 if step.timeout_minutes else DEFAULT_STEP_TIMEOUT_SECONDS
    return PlanStep(
        id=step.step_id,
        name=step.name or step.step_id,
        description=step.description,
        action=gates.get((step.step_id, "forward_action")) or _action_dict(step.forward_action),
        compensation=(
            gates.get((step.step_id, "compensation_action"))
            or _action_dict(step.compensation_action)
            if step.compensation_action
            else None
        ),
        after=after,
        timeout_seconds=timeout,
        retry=RetrySpec(max_attempts=attempts),
        critical=step.critical,
        agent_type=agent_name(step.agent_type) if step.agent_type else None,
        parallel_group=step.parallel_group,
        compensate_if_unknown=step.compensate_if_unknown,
        local=step.local,
        sla=SlaSpec(*step.sla.seconds()) if step.sla else None,
        heartbeat_timeout_seconds=step.heartbeat_timeout_seconds,
    )


def _choreography_issues(steps: list[SagaStep]) -> list[Issue]:
    """In a choreography saga the services do the work: every forward and
    compensation action is a ``command`` (Baton publishes it, waits for the
    reply, and still compensates in reverse order)."""
    issues = []
    for index, step in enumerate(steps):
        for field_name in ("forward_action", "compensation_action"):
            action = getattr(step, field_name)
            if action is not None and getattr(action, "type", None) != "command":
                kind = getattr(action, "type", None) or "decision"
                issues.append(
                    Issue(
                        f"steps[{index}].{field_name}",
                        f"a choreography saga's steps are commands to services; step "
                        f"{step.step_id!r} has a {kind!r} action: make it "
                        "{type: command, subject: ...} or use coordination_mode: orchestration",
                    )
                )
    return issues


def _action_dict(action: Any) -> dict[str, Any]:
    return action.model_dump(mode="json", exclude_none=True)


def _approval_gates(
    steps: list[SagaStep], baton_file: BatonFile, issues: list[Issue]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Approval actions compiled to the approval workflow's spec (as a dict:
    plan actions stay JSON). The approval id is set when the step runs."""
    gates: dict[tuple[str, str], dict[str, Any]] = {}
    for index, step in enumerate(steps):
        for field_name in ("forward_action", "compensation_action"):
            action = getattr(step, field_name)
            if not isinstance(action, ApprovalAction):
                continue
            gates[(step.step_id, field_name)] = approval_gate(
                action,
                title=action.stage or step.name or step.step_id,
                description=step.description,
                baton_file=baton_file,
                prefix=f"steps[{index}].{field_name}.",
                issues=issues,
            )
    return gates


def approval_gate(
    action: ApprovalAction,
    *,
    title: str,
    description: str | None,
    baton_file: BatonFile,
    prefix: str,
    issues: list[Issue],
) -> dict[str, Any]:
    """One approval action as the plan's ``{"type": "approval", "spec": ...}``
    (groups expanded, channels checked); problems go to ``issues`` under
    ``prefix`` (shared by saga steps and the process language's
    ``call: baton/approval``)."""
    stages = action.stages
    if stages is None:
        rules = {name: getattr(action, name) for name in StageRules.model_fields}
        stages = [Stage(name=title, approvers=action.approvers or [], **rules)]
    definition = ApprovalDefinition(
        stage=title,
        description=action.description or description or title,
        context=action.context,
        stages=stages,
        notify=action.notify,
        callback_url=action.callback_url,
    )
    found: list[Issue] = []
    spec = build_approval(definition, baton_file, found, prefix)
    if action.stages is None:  # inline stage: its fields sit on the action itself
        found = [Issue(i.path.replace(f"{prefix}stages[0].", prefix), i.message) for i in found]
    issues.extend(found)
    return {"type": "approval", "spec": asdict(spec)}


def _check_ids_and_dependencies(steps: list[SagaStep]) -> list[Issue]:
    issues: list[Issue] = []
    first_index: dict[str, int] = {}
    for index, step in enumerate(steps):
        if step.step_id in first_index:
            issues.append(
                Issue(
                    f"steps[{index}].step_id",
                    f"duplicate step id {step.step_id!r} (first used at steps[{first_index[step.step_id]}])",
                )
            )
        else:
            first_index[step.step_id] = index
    names = list(first_index)
    known = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    for index, step in enumerate(steps):
        for dep_index, dep in enumerate(step.dependencies or []):
            if dep not in first_index:
                issues.append(
                    Issue(
                        f"steps[{index}].dependencies[{dep_index}]",
                        f"unknown step {dep!r}; known steps: {known}",
                    )
                )
    return issues


def agent_name(agent_type: str) -> str:
    """The plan's name of an agent type (built-in names in capitals)."""
    return agent_type.upper() if agent_type.upper() in BUILTIN_AGENT_TYPES else agent_type


def agent_problem(agent_type: str, baton_file: BatonFile) -> str | None:
    """None when ``agent_type`` is built in or configured, else why not
    (shared with the process language's ``call: baton/agent``)."""
    name = agent_name(agent_type)
    if name in BUILTIN_AGENT_TYPES or name in baton_file.agents:
        return None
    configured = sorted(baton_file.agents)
    extra = f"; configured in baton.yaml: {', '.join(configured)}" if configured else ""
    return (
        f"unknown agent type {agent_type!r}; built in: {', '.join(BUILTIN_AGENT_TYPES)}{extra} "
        "(define others under 'agents:' in baton.yaml)"
    )


def _check_agents(steps: list[SagaStep], baton_file: BatonFile) -> list[Issue]:
    issues: list[Issue] = []
    for index, step in enumerate(steps):
        if step.agent_type is not None:
            problem = agent_problem(step.agent_type, baton_file)
            if problem:
                issues.append(Issue(f"steps[{index}].agent_type", problem))
        for field_name in ("forward_action", "compensation_action"):
            action = getattr(step, field_name)
            if action is not None and action.type == "task" and step.agent_type is None:
                issues.append(
                    Issue(
                        f"steps[{index}].{field_name}",
                        "a 'task' action needs the step's agent_type to say which agent runs it",
                    )
                )
    return issues


def _implicit_order(steps: list[SagaStep]) -> dict[str, list[str]]:
    """Each step's prerequisites after applying the list-order rule."""
    after: dict[str, list[str]] = {}
    previous_stage: list[str] = []
    current_stage: list[str] = []
    current_group: str | None = None
    for step in steps:
        same_group = step.parallel_group is not None and step.parallel_group == current_group
        if not same_group:
            previous_stage = current_stage or previous_stage
            current_stage = []
            current_group = step.parallel_group
        if step.dependencies is None:
            after[step.step_id] = list(previous_stage)
        else:
            after[step.step_id] = list(dict.fromkeys(step.dependencies))
        current_stage.append(step.step_id)
    return after


def _find_cycle(after: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path ``a -> b -> a``, or None. Iterative, so a
    chain of thousands of steps cannot exhaust the stack."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in after:
        if start in state:
            continue
        path: list[str] = [start]
        state[start] = 1
        pending = [iter(after.get(start, []))]
        while pending:
            dep = next(pending[-1], None)
            if dep is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            elif dep not in state:
                state[dep] = 1
                path.append(dep)
                pending.append(iter(after.get(dep, [])))
    return None


class _SagaFrontend:
    """The seed's saga JSON (``saga_id``, ``steps``)."""

    kind = "saga"

    def recognises(self, data: dict[str, Any]) -> bool:
        return "steps" in data and "saga_id" in data

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> Plan:
        definition = parse_model(SagaDefinition, data, ctx.source)
        config = parse_model(SagaConfig, ctx.config, "config") if ctx.config is not None else None
        return compile_saga(
            definition,
            source=ctx.source,
            config=config,
            coordination_mode=ctx.coordination_mode,
            baton_file=ctx.baton_file,
            search_path=ctx.search_path,
            ctx=ctx,
        )


SAGA = _SagaFrontend()
