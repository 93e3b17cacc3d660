"""The seed's ``ProjectSpec`` and ``AgentType``, and the project ``config``."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class AgentType(str, Enum):
    """The seed's agents. Any other agent is named by a string defined under
    ``agents:`` in baton.yaml (``ProjectSpec(agents_required=["reviewer"])``)."""

    CLAUDE = "CLAUDE"
    AIDER = "AIDER"
    CODEX = "CODEX"


class ProjectSpec(BaseModel):
    """What to build; compiled into a plan of phases (docs/projects.md)."""

    model_config = ConfigDict(extra="forbid")

    project_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    requirements: list[str] = Field(min_length=1)
    constraints: dict[str, Any] = Field(default_factory=dict)
    success_criteria: list[str] = Field(default_factory=list)
    estimated_duration_hours: float | None = Field(default=None, gt=0)
    agents_required: list[str] = Field(
        default_factory=lambda: [AgentType.CLAUDE.value], min_length=1
    )
    approval_gates: list[str] = Field(default_factory=list)

    @field_validator("agents_required", mode="before")
    @classmethod
    def _agent_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [item.value if isinstance(item, AgentType) else item for item in value]
        return value


class ProjectConfig(BaseModel):
    """The seed's config keys, plus Baton's workspace keys."""

    model_config = ConfigDict(extra="forbid")

    approval_timeout: float | None = Field(default=None, gt=0, description="seconds per gate")
    parallel_execution: bool = True
    max_parallel_agents: int = Field(default=2, ge=1)
    retry_failed_phases: bool = True
    automatic_testing: bool = True
    deployment_strategy: Literal["blue_green", "rolling", "canary", "recreate", "none"] | None = (
        None
    )
    monitoring_enabled: bool = False
    # Baton's additions
    sla_hours: float | None = Field(
        default=None, gt=0, description="the run should end within this (docs/operations.md)"
    )
    sla_warning_hours: float | None = Field(
        default=None, gt=0, description="past this, the run is near its SLA"
    )
    phase_sla_minutes: float | None = Field(
        default=None, gt=0, description="each agent phase should end within this"
    )
    phase_sla_warning_minutes: float | None = Field(
        default=None, gt=0, description="past this, a running phase is near its SLA"
    )
    notification_channels: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="told of SLA warnings and breaches (and, with alert_on_failure, failure)",
    )
    alert_on_failure: bool = False
    repository: str | None = Field(default=None, description="a git repository to work in")
    base_branch: str | None = None
    approvers: list[str] = Field(default_factory=list, description="who decides the gates")
    phase_timeout_minutes: float = Field(default=60, gt=0)
    phase_retries: int = Field(default=2, ge=0)
    heartbeat_timeout_seconds: float | None = Field(default=None, gt=0)
    planner_agent: str | None = Field(default=None, description="an agent that plans the phases")
    independent_phases: list[str] = Field(
        default_factory=list,
        description="requirements whose phases may start before earlier approval gates decide",
    )
    land: Literal["none", "merge", "command"] = Field(
        default="none",
        description="after success: merge the result into the base branch, or run land_command",
    )
    land_command: list[str] = Field(
        default_factory=list,
        description="argv run in the repository to land the result ({branch}, {base}, {repository})",
    )

    @model_validator(mode="after")
    def _sla_warning_first(self) -> ProjectConfig:
        for sla, warning in (
            ("sla_hours", "sla_warning_hours"),
            ("phase_sla_minutes", "phase_sla_warning_minutes"),
        ):
            limit, early = getattr(self, sla), getattr(self, warning)
            if early is None:
                continue
            if limit is None:
                raise ValueError(f"{warning} needs {sla}")
            if early >= limit:
                raise ValueError(f"{warning} ({early:g}) must be less than {sla} ({limit:g})")
        return self


class ProjectDefinition(ProjectSpec):
    """A project file for ``baton run``: the spec's fields plus ``config``."""

    kind: Literal["project"] = "project"
    config: ProjectConfig = Field(default_factory=ProjectConfig)

    def spec(self) -> ProjectSpec:
        return ProjectSpec(**self.model_dump(exclude={"kind", "config"}))
