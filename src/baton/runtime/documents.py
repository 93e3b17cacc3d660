"""From a document to what a run starts from, with the machine's help: the
one path the client, the CLI and MCP use. Before the pure compile
(``baton.plan.frontends``) a project's repository is checked and made
absolute, and its planner agent is run; after it, the agents' programs are
checked (they must be installed where the run starts; workers need them too).
A process finds the processes its ``run: workflow`` tasks name in its own
directory and ``BATON_PROCESS_PATH`` (:mod:`.catalog`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..actions.registry import kind_of
from ..agents import missing_program_message, resolve_agent
from ..config import BatonFile, Settings
from ..definitions.bpmn.bindings import read_sidecar
from ..definitions.catalog import DirectoryCatalog
from ..definitions.loader import parse_model
from ..definitions.project import ProjectDefinition
from ..errors import DefinitionError, Issue
from ..plan.frontends import CompileContext, compile_document, detect_kind
from ..plan.model import ApprovalSpec, Plan
from .planning import run_planner


def compile_for_run(
    data: dict[str, Any],
    *,
    settings: Settings,
    baton_file: BatonFile,
    source: str = "<dict>",
    kind: str | None = None,
    config: dict[str, Any] | None = None,
    coordination_mode: str | None = None,
    run_planner_agent: bool = True,
) -> Plan | ApprovalSpec:
    """Compile ``data`` for a run. ``run_planner_agent=False`` (validation)
    plans a project deterministically and says so in its notes."""
    kind = kind or detect_kind(data, source)
    ctx = CompileContext(
        source=source,
        baton_file=baton_file,
        workspace_root=settings.home / "workspaces",
        config=config,
        coordination_mode=coordination_mode,
        processes=DirectoryCatalog.for_source(source, settings.process_path)
        if kind in ("process", "bpmn")
        else None,
        search_path=settings.process_path,
    )
    if kind == "project":
        ctx = _prepare_project(data, ctx, run_planner_agent)
    if kind == "bpmn":
        # bindings of the model's tasks written beside it (order.baton.yaml)
        ctx = replace(ctx, bpmn_sidecar=read_sidecar(source))
    return compile_document(data, ctx, kind=kind)


def _prepare_project(
    data: dict[str, Any], ctx: CompileContext, run_planner_agent: bool
) -> CompileContext:
    document = {**data, "config": ctx.config} if ctx.config is not None else data
    definition = parse_model(ProjectDefinition, document, ctx.source)
    config = definition.config.model_dump()
    if config.get("repository"):
        repository = Path(config["repository"]).expanduser()
        if not (repository / ".git").exists():
            raise DefinitionError(
                ctx.source,
                [Issue("config.repository", f"{config['repository']} is not a git repository")],
            )
        config["repository"] = str(repository.resolve())
    phases, note = None, None
    planner = definition.config.planner_agent
    if planner and run_planner_agent:
        phases, note = run_planner(definition.spec(), planner, ctx.baton_file)
    elif planner:
        note = f"planner {planner} not run here (it runs when the project starts)"
    return replace(ctx, config=config, planned_phases=phases, planning_note=note)


def check_agent_programs(plan: Plan, baton_file: BatonFile) -> None:
    """Raise a DefinitionError naming each agent of a project whose program is
    missing on this machine."""
    issues: list[Issue] = []
    seen: set[str] = set()
    for step in plan.steps:
        if step.agent_type is None or step.agent_type in seen:
            continue
        if not kind_of(step.action).agent or plan.kind != "project":
            continue
        seen.add(step.agent_type)
        agent = resolve_agent(step.agent_type, baton_file)
        message = (
            f"agent {step.agent_type!r} is not configured"
            if agent is None
            else missing_program_message(agent, baton_file)
        )
        if message:
            issues.append(Issue(f"agents_required ({step.id})", message))
    if issues:
        raise DefinitionError(plan.id, issues)
