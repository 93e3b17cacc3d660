"""The planner agent's prompt and the checks on its answer (pure); running it
is the runtime's (``baton.runtime.planning``).

A configured agent turns a ProjectSpec into phases.

It is run with a prompt that contains the spec and asks for JSON only:

    {"phases": [{"id": "api", "title": "Build the REST API", "agent": "CLAUDE",
                 "depends_on": []}, ...]}

The output is validated (schema, unique ids, known dependencies and agents).
When there is no planner, or its output is invalid, the deterministic planner
is used and the reason is recorded in the plan's notes - never hidden.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..agents import known_agent
from ..config import BatonFile
from ..definitions.project import ProjectSpec


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


def json_in(text: str) -> Any:
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
