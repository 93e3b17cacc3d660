"""The seed's saga definition (``saga_id``, ``steps`` with forward and
compensation actions, ``context``) and the seed's saga ``config`` keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .actions import Action

# Built-in agent names (the seed's AgentType members). baton.yaml may add more.
BUILTIN_AGENT_TYPES = ("CLAUDE", "AIDER", "CODEX")
COORDINATION_MODES = ("orchestration", "choreography")
SUPPORTED_COORDINATION_MODES = ("orchestration",)


class SagaStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step_id: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    forward_action: Action
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
