"""Compile a ProjectSpec and its config into a Plan of phases that agents
execute, with merges, approval gates and verification, for the one
interpreter. The rules are in docs/projects.md; in short:

- one implementation phase per requirement, assigned round-robin over
  ``agents_required``; parallel (up to ``max_parallel_agents``) when
  ``parallel_execution``, else one after another;
- with a repository: a prepare step creates the project branch; each phase
  works on its own branch and worktree; merges into the project branch run in
  plan order; a phase's compensation removes its branch and worktree;
- ``automatic_testing`` adds a testing phase and a verification step that runs
  the success criteria written as commands (`` `pytest -q` ``);
- ``deployment_strategy`` adds a deployment phase;
- approval gates: a gate whose words all appear in a phase's title comes right
  after that phase; one naming deploy/release/production comes before the
  deployment phase (or at the end); one naming architecture/design/plan comes
  before the implementation phases; any other comes after implementation,
  before testing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..actions.workspace_specs import (
    AgentPhase,
    WorkspaceCleanup,
    WorkspaceDiscard,
    WorkspaceLand,
    WorkspaceMerge,
    WorkspacePrepare,
)
from ..agents import known_agent
from ..config import BatonFile
from ..definitions.approval import ApprovalDefinition, Stage
from ..definitions.loader import parse_model
from ..definitions.project import ProjectConfig, ProjectDefinition, ProjectSpec
from ..errors import DefinitionError, Issue
from .approval import build_approval
from .model import Plan, PlanOptions, PlanStep, RetrySpec, SlaSpec
from .planner import PlannedPhase

if TYPE_CHECKING:
    from .frontends import CompileContext

_COMMAND = re.compile(r"^`([^`]+)`$")


def slug(text: str, limit: int = 24) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:limit].strip("-") or "phase"


def command_criteria(criteria: list[str]) -> list[str]:
    """Success criteria written as commands: in backticks (`` `pytest -q` ``)."""
    return [m.group(1).strip() for c in criteria if (m := _COMMAND.match(c.strip()))]


def compile_project(
    spec: ProjectSpec,
    config: ProjectConfig,
    *,
    workspace_root: Path,
    baton_file: BatonFile | None = None,
    source: str = "project",
    planned: list[PlannedPhase] | None = None,
    planning_note: str | None = None,
) -> Plan:
    """The project's plan. Pure: a planner agent's phases (``planned``) were
    produced, and the repository checked, by the runtime before this."""
    baton_file = baton_file or BatonFile()
    issues: list[Issue] = []
    for index, agent in enumerate(spec.agents_required):
        if not known_agent(agent, baton_file):
            issues.append(
                Issue(
                    f"agents_required[{index}]",
                    f"unknown agent {agent!r}; built in: CLAUDE, AIDER, CODEX "
                    "(define others under 'agents:' in baton.yaml)",
                )
            )
    approvers = config.approvers
    if spec.approval_gates and not approvers:
        approvers = baton_file.approvers.get("default", [])
        if not approvers:
            issues.append(
                Issue(
                    "config.approvers",
                    "the project has approval_gates but nobody to decide them: "
                    "set config.approvers, or 'approvers: {default: [...]}' in baton.yaml",
                )
            )
    if config.planner_agent and not known_agent(config.planner_agent, baton_file):
        issues.append(Issue("config.planner_agent", f"unknown agent {config.planner_agent!r}"))
    for index, title in enumerate(config.independent_phases):
        if title not in spec.requirements:
            issues.append(
                Issue(
                    f"config.independent_phases[{index}]",
                    f"{title!r} is not one of the requirements",
                )
            )
    if config.land != "none" and not config.repository:
        issues.append(Issue("config.land", "landing the result needs config.repository"))
    if config.land == "command" and not config.land_command:
        issues.append(
            Issue("config.land_command", "land: command needs the command (an argv list)")
        )
    if config.land_command and config.land != "command":
        issues.append(Issue("config.land_command", "set land: command to run it"))
    if issues:
        raise DefinitionError(source, issues)

    note = planning_note or "phases from the requirements (deterministic planner)"
    builder = _Builder(spec, config, workspace_root, baton_file, approvers, source)
    return builder.build(planned, note)


class _Builder:
    def __init__(
        self,
        spec: ProjectSpec,
        config: ProjectConfig,
        root: Path,
        baton_file: BatonFile,
        approvers: list[str],
        source: str,
    ) -> None:
        self.spec, self.config, self.baton_file, self.approvers, self.source = (
            spec,
            config,
            baton_file,
            approvers,
            source,
        )
        self.repo = config.repository or None  # made absolute by the runtime
        self.root = root / spec.project_id
        self.project_branch = f"baton/{spec.project_id}/project"
        self.project_worktree = str(self.root / "_project")
        self.steps: list[PlanStep] = []
        self.gates_left = list(spec.approval_gates)
        self.agent_turn = 0
        self.last_merge: str | None = None
        self.sequential_tail: str | None = None

    # ---- assembling -------------------------------------------------------

    def build(self, planned: list[PlannedPhase] | None, note: str) -> Plan:
        start: list[str] = []
        if self.repo:
            self.steps.append(
                PlanStep(
                    id="prepare_workspace",
                    name=f"Prepare {self.project_branch}",
                    action=WorkspacePrepare(
                        repository=self.repo,
                        project_branch=self.project_branch,
                        project_worktree=self.project_worktree,
                        base_branch=self.config.base_branch,
                    ).to_action(),
                    timeout_seconds=300,
                    retry=RetrySpec(max_attempts=3),
                )
            )
            start = ["prepare_workspace"]
        start = self._gates_matching(("architecture", "design", "plan"), after=start)
        finished: list[str] = []
        if planned:
            work = [
                (
                    f"phase_{p.id}",
                    p.title,
                    p.agent or self._next_agent(),
                    [f"phase_{d}" for d in p.depends_on],
                    p.independent_of_gates,
                )
                for p in planned
            ]
        else:
            work = [
                (
                    f"phase_{i}_{slug(r)}",
                    r,
                    self._next_agent(),
                    [],
                    r in self.config.independent_phases,
                )
                for i, r in enumerate(self.spec.requirements, 1)
            ]
        ends: dict[str, str] = {}
        barrier: list[str] = []  # the last gate placed: later phases wait for it
        for step_id, title, agent, depends_on, independent in work:
            waits = start + [ends[d] for d in depends_on if d in ends]
            if not independent:
                waits += barrier
            phase = self._phase(
                step_id, title, agent, after=list(dict.fromkeys(waits)), kind="implementation"
            )
            end = self._merge_or_phase(phase)
            ends[step_id] = end
            gate = self._gate_named_after(title)
            if gate:  # later phases, merges and stages wait for it
                end = self._gate(gate, [end])
                barrier = [end]
                if self.repo:
                    self.last_merge = end
            finished.append(end)
        done = self._gates_matching((), after=finished, exclude=("deploy", "release", "production"))
        if self.config.automatic_testing:
            testing = self._phase(
                "phase_testing",
                "Testing: write and run tests for the requirements",
                self._agent(0),
                after=done,
                kind="testing",
            )
            done = [self._merge_or_phase(testing)]
            commands = command_criteria(self.spec.success_criteria)
            if commands:
                self.steps.append(self._verification(commands, done))
                done = ["verify_success_criteria"]
        done = self._gates_matching(("deploy", "release", "production"), after=done)
        if self.config.deployment_strategy and self.config.deployment_strategy != "none":
            deploy = self._phase(
                "phase_deployment",
                f"Deployment ({self.config.deployment_strategy})",
                self._agent(0),
                after=done,
                kind="deployment",
            )
            done = [self._merge_or_phase(deploy)]
        done = self._gates_matching((), after=done, leftover=True)
        if self.config.land != "none":
            self.steps.append(self._land(done))
        return Plan(
            kind="project",
            id=self.spec.project_id,
            name=self.spec.name,
            description=self.spec.description,
            steps=self.steps,
            context={"project_id": self.spec.project_id, "constraints": self.spec.constraints},
            options=PlanOptions(
                pool_limits={
                    "agents": self.config.max_parallel_agents
                    if self.config.parallel_execution
                    else 1
                },
                estimated_duration_hours=self.spec.estimated_duration_hours,
                heartbeat_timeout_seconds=self.config.heartbeat_timeout_seconds,
                sla=(
                    SlaSpec(
                        self.config.sla_hours * 3600,
                        self.config.sla_warning_hours * 3600
                        if self.config.sla_warning_hours is not None
                        else None,
                    )
                    if self.config.sla_hours is not None
                    else None
                ),
                notes=[note],
                notification_channels=list(self.config.notification_channels),
                alert_on_failure=self.config.alert_on_failure,
                result=self._result(),
                cleanup=(
                    WorkspaceCleanup(self.repo, self.project_worktree).to_action()
                    if self.repo
                    else None
                ),
            ),
        )

    def _phase_sla(self) -> SlaSpec | None:
        minutes, warning = self.config.phase_sla_minutes, self.config.phase_sla_warning_minutes
        if minutes is None:
            return None
        return SlaSpec(minutes * 60, warning * 60 if warning is not None else None)

    def _next_agent(self) -> str:
        agent = self.spec.agents_required[self.agent_turn % len(self.spec.agents_required)]
        self.agent_turn += 1
        return agent

    def _agent(self, index: int) -> str:
        return self.spec.agents_required[index % len(self.spec.agents_required)]

    def _phase(self, step_id: str, title: str, agent: str, after: list[str], kind: str) -> PlanStep:
        if not self.config.parallel_execution and self.sequential_tail:
            after = [self.sequential_tail]
        workspace = str(self.root / step_id)
        branch = f"baton/{self.spec.project_id}/{step_id}"
        prompt = self._prompt(title, kind, after)
        phase = AgentPhase(
            title=title,
            phase_kind=kind,
            prompt=prompt,
            workspace=workspace,
            # what the phase is asked to do: a later run reuses a merged phase
            # with the same id and digest instead of running it again
            digest=phase_digest(step_id, title, kind, prompt),
            repository=self.repo,
            branch=branch if self.repo else None,
            project_branch=self.project_branch if self.repo else None,
        )
        step = PlanStep(
            id=step_id,
            name=title,
            description=f"{kind} phase by {agent}",
            action=phase.to_action(),
            compensation=WorkspaceDiscard(workspace, self.repo, branch).to_action(),
            after=list(after),
            timeout_seconds=self.config.phase_timeout_minutes * 60,
            retry=RetrySpec(
                max_attempts=self.config.phase_retries + 1 if self.config.retry_failed_phases else 1
            ),
            agent_type=agent,
            # a phase that started and did not finish leaves a branch and a
            # worktree: undo it too
            compensate_attempted=True,
            pool="agents",
            sla=self._phase_sla(),
        )
        self.steps.append(step)
        self.sequential_tail = step_id
        if self.repo:
            merge_after = [step_id] + ([self.last_merge] if self.last_merge else [])
            merge = PlanStep(
                id=f"merge_{step_id}",
                name=f"Merge {title}",
                action=WorkspaceMerge(
                    repository=self.repo,
                    branch=branch,
                    project_branch=self.project_branch,
                    project_worktree=self.project_worktree,
                    workspace=workspace,
                    title=title,
                    phase_id=step_id,
                    digest=phase.digest,
                ).to_action(),
                after=merge_after,
                timeout_seconds=300,
                retry=RetrySpec(max_attempts=2),
            )
            self.steps.append(merge)
            self.last_merge = merge.id
            self.sequential_tail = merge.id
        return step

    def _merge_or_phase(self, phase: PlanStep) -> str:
        return f"merge_{phase.id}" if self.repo else phase.id

    def _prompt(self, title: str, kind: str, after: list[str]) -> str:
        spec = self.spec
        lines = [
            f"You are working on the project {spec.name!r}: {spec.description}".rstrip(": "),
            "",
            f"Your phase ({kind}): {title}",
            "",
            "Project requirements:",
            *[f"- {r}" for r in spec.requirements],
        ]
        if spec.constraints:
            lines += ["", "Constraints:", *[f"- {k}: {v}" for k, v in spec.constraints.items()]]
        if spec.success_criteria:
            lines += ["", "Success criteria:", *[f"- {c}" for c in spec.success_criteria]]
        earlier = [s for s in after if s.startswith("phase_")]
        if earlier:
            lines += ["", "Earlier phases reported:"]
            lines += [f"- {s}: {{{s}.summary}}" for s in earlier]
        lines += [
            "",
            "Work only in the current directory. Summarise what you did at the end of your output.",
        ]
        return "\n".join(lines)

    def _verification(self, commands: list[str], after: list[str]) -> PlanStep:
        lines = []
        for raw in commands:
            command = _literal(raw)  # braces are the command's, not placeholders
            shown = shlex.quote(f"`{command}`")
            lines.append(
                f"echo '$ '{shlex.quote(command)} >&2\n"
                f"( {command} ) || {{ code=$?; echo success criterion {shown} failed "
                f'"(exit $code)" >&2; exit "$code"; }}'
            )
        script = "\n".join(lines)
        return PlanStep(
            id="verify_success_criteria",
            name="Verify success criteria",
            action={
                "type": "script",
                "script": script,
                "cwd": self.project_worktree if self.repo else str(self.root),
            },
            after=list(after),
            timeout_seconds=self.config.phase_timeout_minutes * 60,
            retry=RetrySpec(max_attempts=1),
        )

    def _result(self) -> dict[str, Any]:
        """Where the result is, filled in when the run completes."""
        if not self.repo:
            return {"workspaces": str(self.root)}
        base = "{prepare_workspace.base}"
        return {
            "repository": self.repo,
            "branch": self.project_branch,
            "base": base,
            "land": f"git -C {shlex.quote(self.repo)} checkout {base} && "
            f"git -C {shlex.quote(self.repo)} merge --no-ff {self.project_branch}",
        }

    def _land(self, after: list[str]) -> PlanStep:
        """The optional last step: merge the result into the base branch, or
        run the configured command (a script: the execution policy applies)."""
        assert self.repo is not None
        if self.config.land == "merge":
            action: dict[str, Any] = WorkspaceLand(
                self.repo, self.project_branch, "{prepare_workspace.base}"
            ).to_action()
        else:
            values = {
                "{branch}": self.project_branch,
                "{repository}": self.repo,
                "{base}": "{prepare_workspace.base}",
            }
            argv = [values.get(part, _literal(part)) for part in self.config.land_command]
            action = {"type": "script", "script": shlex.join(argv), "cwd": self.repo}
        return PlanStep(
            id="land_result",
            name=f"Land {self.project_branch}",
            action=action,
            after=list(after),
            timeout_seconds=600,
            retry=RetrySpec(max_attempts=1),
            # the work is done and merged: a landing that fails is reported
            # (with how to land by hand), it does not undo the project
            critical=False,
        )

    # ---- gates --------------------------------------------------------------

    def _gates_matching(
        self,
        words: tuple[str, ...],
        after: list[str],
        leftover: bool = False,
        exclude: tuple[str, ...] = (),
    ) -> list[str]:
        """Insert the still-unplaced gates that name one of ``words`` (or,
        with ``words=()``, every remaining gate but those naming ``exclude``)
        in sequence after ``after``; return what follows them."""
        placed = after
        for gate in list(self.gates_left):
            lowered = gate.lower()
            if words and not any(w in lowered for w in words):
                continue
            if not words and any(w in lowered for w in exclude) and not leftover:
                continue
            placed = [self._gate(gate, placed)]
        return placed

    def _gate_named_after(self, title: str) -> str | None:
        words_in_title = set(re.findall(r"[a-z0-9]+", title.lower()))
        for gate in self.gates_left:
            words = set(re.findall(r"[a-z0-9]+", gate.lower()))
            if words and words <= words_in_title:
                return gate
        return None

    def _gate(self, gate: str, after: list[str]) -> str:
        self.gates_left.remove(gate)
        step_id = f"gate_{slug(gate)}"
        definition = ApprovalDefinition(
            stage=gate,
            description=f"{self.spec.name}: {gate}",
            context={"project_id": self.spec.project_id},
            stages=[
                Stage(
                    name=gate,
                    approvers=self.approvers,
                    timeout_seconds=self.config.approval_timeout,
                )
            ],
        )
        issues: list[Issue] = []
        spec = build_approval(definition, self.baton_file, issues, prefix="config.")
        if issues:
            raise DefinitionError(self.source, issues)
        self.steps.append(
            PlanStep(
                id=step_id,
                name=f"Approval: {gate}",
                action={"type": "approval", "spec": asdict(spec)},
                after=list(after),
                timeout_seconds=self.config.approval_timeout or 86400 * 30,
            )
        )
        if not self.config.parallel_execution:
            self.sequential_tail = step_id
        return step_id


def _literal(text: str) -> str:
    """Text that placeholders must leave as it is."""
    return text.replace("{", "{{").replace("}", "}}")


def phase_digest(step_id: str, title: str, kind: str, prompt: str) -> str:
    text = json.dumps([step_id, title, kind, prompt])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _ProjectFrontend:
    """The seed's ProjectSpec plus ``config`` (``project_id``, ``requirements``)."""

    kind = "project"

    def recognises(self, data: dict[str, Any]) -> bool:
        return "project_id" in data and "requirements" in data

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> Plan:
        if ctx.config is not None:
            data = {**data, "config": ctx.config}
        definition = parse_model(ProjectDefinition, data, ctx.source)
        return compile_project(
            definition.spec(),
            definition.config,
            workspace_root=ctx.workspace_root,
            baton_file=ctx.baton_file,
            source=ctx.source,
            planned=ctx.planned_phases,
            planning_note=ctx.planning_note,
        )


PROJECT = _ProjectFrontend()
