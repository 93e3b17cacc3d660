"""Approval definitions: a request with one or more stages, each naming its
approvers (users or ``group:name``), a quorum, a timeout, an escalation and
what the final timeout does. The same stage model is used inline by a saga
step of type ``approval``."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import limits

# Reminders more often than this would flood the approvers' channels.
MIN_REMINDER_SECONDS = 60


class Escalation(BaseModel):
    """After ``after_seconds`` without a decision: notify ``notify`` and let
    ``add_approvers`` decide too."""

    model_config = ConfigDict(extra="forbid")

    after_seconds: float = Field(gt=0)
    notify: list[str] = Field(default_factory=list)
    add_approvers: list[str] = Field(default_factory=list)

    @field_validator("after_seconds")
    @classmethod
    def _after(cls, value: float) -> float:
        limits.duration(value, "after_seconds")
        return value


class StageRules(BaseModel):
    """How a stage decides; shared by chain stages and inline saga gates."""

    model_config = ConfigDict(extra="forbid")

    # "any" (one approval), "all" (every listed approver) or a number N of M
    quorum: int | Literal["any", "all"] = "any"
    # rejections that reject the stage; 1 = one rejection rejects it
    reject_threshold: int = Field(default=1, ge=1)
    timeout_seconds: float | None = Field(default=None, gt=0)
    on_timeout: Literal["reject", "approve", "fail"] = "reject"
    escalation: Escalation | None = None
    remind_every_seconds: float | None = Field(default=None, gt=0)

    @field_validator("timeout_seconds")
    @classmethod
    def _timeout(cls, value: float | None) -> float | None:
        return limits.duration(value, "timeout_seconds")

    @field_validator("remind_every_seconds")
    @classmethod
    def _not_too_often(cls, value: float | None) -> float | None:
        if value is not None and math.isfinite(value) and value < MIN_REMINDER_SECONDS:
            raise ValueError(
                f"remind_every_seconds must be at least {MIN_REMINDER_SECONDS} "
                f"(one reminder a minute at most), got {value:g}"
            )
        return limits.duration(value, "remind_every_seconds")

    @field_validator("quorum")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"quorum must be 'any', 'all' or a number of at least 1, got {value}")
        return value


class Stage(StageRules):
    name: str = Field(min_length=1)
    approvers: list[str] = Field(min_length=1)


class ApprovalDefinition(BaseModel):
    """A file for ``baton run`` (``kind: approval``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["approval"] = "approval"
    approval_id: str | None = None
    stage: str = Field(min_length=1, description="what is being approved (the seed's 'stage')")
    description: str = ""
    context: dict[str, Any] = Field(default_factory=dict)
    workflow_id: str | None = Field(default=None, description="the workflow this approval gates")
    stages: list[Stage] = Field(min_length=1)
    notify: list[str] = Field(default_factory=list)
    # personal notices (with decision links) to each approver who has a
    # `notify` channel under `identities:`; default: when any identity has one
    notify_approvers: bool | None = None
    callback_url: str | None = None

    @field_validator("callback_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"callback_url {value!r} must start with http:// or https://")
        return value
