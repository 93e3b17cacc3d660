"""The planner agent: a configured agent turns a ProjectSpec into phases.

It is run with a prompt that contains the spec and asks for JSON only:

    {"phases": [{"id": "api", "title": "Build the REST API", "agent": "CLAUDE",
                 "depends_on": []}, ...]}

The output is validated (schema, unique ids, known dependencies and agents).
When there is no planner, or its output is invalid, the deterministic planner
is used and the reason is recorded in the plan's notes - never hidden.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..agents import known_agent, missing_program_message, resolve_agent
from ..config import BatonFile
from ..definitions.project import ProjectSpec

PLANNER_TIMEOUT_SECONDS = 600


class PlannedPhase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    title: str = Field(min_length=1)
    agent: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    # may start before an approval gate placed earlier in the plan is decided
    independent_of_gates: bool = False


class PlannerOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phases: list[PlannedPhase] = Field(min_length=1)


def planner_prompt(spec: ProjectSpec) -> str:
    return "\n".join(
        [
            "Split this software project into implementation phases that coding agents can do",
            "independently where possible. Answer with JSON only, in this form:",
            '{"phases": [{"id": "short-id", "title": "what to build", "agent": "one of the agents",'
            ' "depends_on": ["ids of phases that must finish first"],'
            ' "independent_of_gates": false}]}',
            "Set independent_of_gates only for a phase that does not build on work an approval"
            " gate before it reviews.",
            f"Agents available: {', '.join(spec.agents_required)}",
            "",
            "Project:",
            json.dumps(spec.model_dump(), indent=2),
        ]
    )


def run_planner(
    spec: ProjectSpec, planner: str, baton_file: BatonFile, timeout: float = PLANNER_TIMEOUT_SECONDS
) -> tuple[list[PlannedPhase] | None, str]:
    """(phases, note). ``phases`` is None when the deterministic planner must
    be used instead; the note says why, or which planner produced the plan."""
    agent = resolve_agent(planner, baton_file)
    if agent is None:
        return None, f"planner agent {planner!r} is not configured; used the deterministic planner"
    missing = missing_program_message(agent, baton_file)
    if missing:
        return None, f"planner not run ({missing}); used the deterministic planner"
    prompt = planner_prompt(spec)
    argv = [part.replace("{prompt}", prompt) for part in agent.command]
    try:
        done = subprocess.run(
            argv,
            input=json.dumps({"prompt": prompt, "spec": spec.model_dump()}),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if not agent.env else {**_os_environ(), **agent.env},
        )
    except subprocess.TimeoutExpired:
        return (
            None,
            f"planner {planner} gave no plan within {timeout:g}s; used the deterministic planner",
        )
    if done.returncode != 0:
        return None, (
            f"planner {planner} exited with {done.returncode}: {done.stderr.strip()[-300:]}; "
            "used the deterministic planner"
        )
    try:
        phases = validate_plan_output(_json_in(done.stdout), spec, baton_file)
    except ValueError as exc:
        return None, f"planner {planner} output was invalid ({exc}); used the deterministic planner"
    return phases, f"phases planned by {planner}"


def validate_plan_output(data: Any, spec: ProjectSpec, baton_file: BatonFile) -> list[PlannedPhase]:
    try:
        output = PlannerOutput.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from None
    ids = [p.id for p in output.phases]
    if len(set(ids)) != len(ids):
        raise ValueError("phase ids are not unique")
    for index, phase in enumerate(output.phases):
        unknown = [d for d in phase.depends_on if d not in ids]
        if unknown:
            raise ValueError(f"phase {phase.id!r} depends on unknown {', '.join(unknown)}")
        later = [d for d in phase.depends_on if d not in ids[:index]]
        if later:
            raise ValueError(f"phase {phase.id!r} depends on {', '.join(later)}, listed after it")
        if phase.agent and not known_agent(phase.agent, baton_file):
            raise ValueError(f"phase {phase.id!r} names unknown agent {phase.agent!r}")
    return output.phases


def _json_in(text: str) -> Any:
    """The JSON object in an agent's output (it may wrap it in prose or fences)."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in its output")
    try:
        return json.loads(text[start : end + 1])
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None


def _os_environ() -> dict[str, str]:
    import os

    return dict(os.environ)
