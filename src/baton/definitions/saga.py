"""The seed's saga definition (``saga_id``, ``steps`` with forward and
compensation actions, ``context``) and the seed's saga ``config`` keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import limits
from .actions import Action
from .decision import StepAction

# Built-in agent names (the seed's AgentType members). baton.yaml may add more.
BUILTIN_AGENT_TYPES = ("CLAUDE", "AIDER", "CODEX")
COORDINATION_MODES = ("orchestration", "choreography")


class SlaMinutes(BaseModel):
    """Baton's addition: a service level (docs/operations.md, "SLAs") — the
    run or step should end within ``duration_minutes``; past
    ``warning_minutes`` it is near a breach. Nothing is stopped."""

    model_config = ConfigDict(extra="forbid")

    duration_minutes: float = Field(gt=0)
    warning_minutes: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _warning_first(self) -> SlaMinutes:
        limits.duration(self.duration_minutes, "duration_minutes", unit=60, unit_name="minutes")
        if self.warning_minutes is not None and self.warning_minutes >= self.duration_minutes:
            raise ValueError(
                f"warning_minutes ({self.warning_minutes:g}) must be less than "
                f"duration_minutes ({self.duration_minutes:g})"
            )
        return self

    def seconds(self) -> tuple[float, float | None]:
        warning = self.warning_minutes * 60 if self.warning_minutes is not None else None
        return self.duration_minutes * 60, warning


class SagaStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step_id: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    forward_action: StepAction  # an action, or a decision (definitions/decision.py)
    compensation_action: Action | None = None
    agent_type: str | None = None
    # None: after the previous step (or parallel group) in list order;
    # a list: exactly those steps ([] means "no wait").
    dependencies: list[str] | None = None
    parallel_group: str | None = None
    timeout_minutes: float | None = Field(default=None, gt=0)
    retry_count: int = Field(default=0, ge=0, le=100)
    critical: bool = True
    # Cancelled while an attempt runs, the step's effect is unknown; with
    # this, Baton settles it (repeats the forward action with the same
    # idempotency key) and compensates it. Needs an idempotent forward action.
    compensate_if_unknown: bool = False
    # Baton's addition: run the step as a local activity (docs/sagas.md,
    # "Local steps"); unset, steps of 10 s or less run locally by themselves
    local: bool | None = None
    sla: SlaMinutes | None = None
    # Baton's addition: this step's heartbeat timeout (config's otherwise)
    heartbeat_timeout_seconds: float | None = Field(default=None, gt=0)

    @field_validator("step_id")
    @classmethod
    def _id_length(cls, value: str) -> str:
        return limits.identifier(value, "step_id")

    @field_validator("timeout_minutes")
    @classmethod
    def _timeout(cls, value: float | None) -> float | None:
        return limits.duration(value, "timeout_minutes", unit=60, unit_name="minutes")

    @field_validator("heartbeat_timeout_seconds")
    @classmethod
    def _heartbeat(cls, value: float | None) -> float | None:
        return limits.duration(
            value, "heartbeat_timeout_seconds", high=limits.MAX_HEARTBEAT_SECONDS
        )


class SagaConfig(BaseModel):
    """The seed's ``config`` for ``start_distributed_saga``."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float | None = Field(default=None, gt=0)
    retry_failed_steps: bool = True
    alert_on_failure: bool = False
    notification_channels: list[str] = Field(default_factory=list)
    # Baton's addition: how long a step may go without a heartbeat before the
    # server treats its worker as dead and the attempt is retried.
    heartbeat_timeout_seconds: float | None = Field(default=None, gt=0)

    @field_validator("timeout_seconds")
    @classmethod
    def _deadline(cls, value: float | None) -> float | None:
        return limits.duration(value, "timeout_seconds")

    @field_validator("heartbeat_timeout_seconds")
    @classmethod
    def _heartbeat(cls, value: float | None) -> float | None:
        return limits.duration(
            value, "heartbeat_timeout_seconds", high=limits.MAX_HEARTBEAT_SECONDS
        )


class SagaDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["saga"] = "saga"
    saga_id: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    steps: list[SagaStep] = Field(min_length=1)
    context: dict[str, Any] = Field(default_factory=dict)
    # Optional in files, so `baton run` can carry what the Python API passes
    # as arguments.
    coordination_mode: Literal["orchestration", "choreography"] = "orchestration"
    config: SagaConfig = Field(default_factory=SagaConfig)
    sla: SlaMinutes | None = None

    @field_validator("saga_id")
    @classmethod
    def _id_length(cls, value: str) -> str:
        return limits.identifier(value, "saga_id")

    @field_validator("steps")
    @classmethod
    def _not_too_many(cls, value: list[SagaStep]) -> list[SagaStep]:
        if len(value) > limits.MAX_STEPS:
            raise ValueError(f"{len(value)} steps; a saga may have at most {limits.MAX_STEPS}")
        return value

    @field_validator("context")
    @classmethod
    def _context_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = limits.json_size(value)
        if size > limits.MAX_CONTEXT_BYTES:
            raise ValueError(
                f"context is {size:,} bytes as JSON; at most {limits.MAX_CONTEXT_BYTES:,} (it "
                "travels with the run's input): pass large data by reference (a URL or a path)"
            )
        return value

    @model_validator(mode="after")
    def _history_fits(self) -> SagaDefinition:
        attempts = sum(step.retry_count + 1 for step in self.steps)
        compensations = sum(1 for step in self.steps if step.compensation_action) * 5
        events = (attempts + compensations) * limits.EVENTS_PER_ATTEMPT
        if events > limits.MAX_HISTORY_EVENTS:
            raise ValueError(
                f"with {len(self.steps)} steps and their retries this saga could need "
                f"{events:,} history events; Temporal ends a run at 50,000, so Baton allows "
                f"{limits.MAX_HISTORY_EVENTS:,}: use fewer steps or smaller retry_count"
            )
        return self
