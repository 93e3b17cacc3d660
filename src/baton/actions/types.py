"""Activity input shared by every action executor. Imported by workflow code,
so plain dataclasses only.

No ``from __future__ import annotations`` here: the SDK reads an activity's
input type's hints on every call, and string annotations are compiled
again each time (~90 µs per ActionRequest against ~25 µs)."""

from dataclasses import dataclass, field
from typing import Any

from .registry import ACTIVITY_NAMES  # noqa: F401 - action type -> activity name

NOTIFY_ACTIVITY = "baton.notify"
CALLBACK_ACTIVITY = "baton.callback"


@dataclass
class ActionRequest:
    """One attempt of one action of one step."""

    workflow_id: str
    step_id: str
    phase: str  # "forward" or "compensation"
    attempt: int
    action: dict[str, Any]
    timeout_seconds: float
    agent_type: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    origin: str = "api"  # the entry point of the definition (execution policy)

    @property
    def idempotency_key(self) -> str:
        """Stable across retries of the same step's action in the same run."""
        return f"{self.workflow_id}:{self.step_id}:{self.phase}"


@dataclass
class DecisionLinks:
    """Who may decide a stage now: each of them who has a personal ``notify``
    channel under ``identities:`` gets the notice there, with one-click
    decision links when the worker has ``identity.links`` configured."""

    approval_id: str
    stage: str
    approvers: list[str]


@dataclass
class Notification:
    """An alert or notice for one or more channels (Apprise URLs or
    shorthands configured in baton.yaml)."""

    channels: list[str]
    title: str
    body: str
    kind: str = "info"  # info | success | warning | failure (Apprise notify types)
    decision_links: DecisionLinks | None = None
    origin: str = "api"  # where the channels came from (execution policy)


@dataclass
class Callback:
    """A signed JSON POST of a final decision to a caller's ``callback_url``."""

    url: str
    payload: dict[str, Any]
    # unique per approval run: signed, and the Idempotency-Key; a receiver
    # that has seen it drops the repeat
    delivery_id: str = ""
    origin: str = "api"
