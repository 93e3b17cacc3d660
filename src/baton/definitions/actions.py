"""Typed models of the actions a step can run (the seed's ``forward_action`` /
``compensation_action``). The ``type`` field selects the model; an unknown type
is rejected here, so it never reaches a worker."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..actions.registry import DEFINITION_TYPES
from .approval import Stage, StageRules
from .checkpoint import CheckpointSpec

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# a command's subject (and Kafka topic): no NATS wildcards, no spaces
SUBJECT = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_CALLABLE_PATH = re.compile(
    r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$"
)


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = None


class ApiCallAction(_Action):
    """An HTTP request. A JSON response becomes the step's output."""

    type: Literal["api_call"]
    url: str
    method: str = "GET"
    payload: Any = None
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("method", mode="before")
    @classmethod
    def _method_known(cls, value: Any) -> str:
        text = str(value).upper()
        if text not in HTTP_METHODS:
            raise ValueError(f"bad method {value!r}; use one of {', '.join(HTTP_METHODS)}")
        return text

    @field_validator("url")
    @classmethod
    def _url_absolute(cls, value: str) -> str:
        if not re.match(r"^(https?://|\{)", value):
            raise ValueError(f"url {value!r} must start with http:// or https://")
        return value


class ScriptAction(_Action):
    """A shell script run with bash; stdout that is JSON becomes the output."""

    type: Literal["script"]
    script: str
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None

    @field_validator("script")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("script is empty")
        return value


class PythonAction(_Action):
    """A Python callable named ``package.module:function`` (sync or async)."""

    type: Literal["python"]
    function: str
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    # the function gets a checkpoint handle as `checkpoint=` (docs/checkpoints.md)
    checkpoint: CheckpointSpec | None = None

    @field_validator("function")
    @classmethod
    def _import_path(cls, value: str) -> str:
        if not _CALLABLE_PATH.match(value):
            raise ValueError(f"function {value!r} must look like 'package.module:function'")
        return value


class TaskAction(_Action):
    """A task for the step's ``agent_type``. Every other key (``database``,
    ``migration_version``, ...) is passed to the agent with the description."""

    model_config = ConfigDict(extra="allow")
    type: Literal["task"]


class ApprovalAction(_Action, StageRules):
    """A human approval gate: the step waits for an approval workflow and
    fails (so the saga compensates) when it is rejected or expires. Either one
    stage inline (``approvers``, ``quorum``, ...) or ``stages``."""

    type: Literal["approval"]
    stage: str | None = None
    approvers: list[str] | None = None
    stages: list[Stage] | None = None
    notify: list[str] = Field(default_factory=list)
    callback_url: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_form(self) -> ApprovalAction:
        if (self.approvers is None) == (self.stages is None):
            raise ValueError(
                "an approval needs either 'approvers' (one stage) or 'stages', not both"
            )
        return self


class CommandAction(_Action):
    """A command for a service (choreography, docs/integrations.md): a
    CloudEvent published to ``subject`` on the worker's command bus; the step
    completes when the service replies (its reply's data is the output) and
    fails when it replies with a failure or not within the step's timeout."""

    type: Literal["command"]
    subject: str
    payload: Any = None

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if len(value) > 200 or not SUBJECT.match(value):
            raise ValueError(
                f"subject {value!r} must be a NATS subject / Kafka topic name: letters, "
                "digits, '.', '_' and '-', at most 200, no wildcards"
            )
        return value


POOL_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


class _PoolAction(_Action):
    pool: str

    @field_validator("pool")
    @classmethod
    def _pool_name(cls, value: str) -> str:
        if not POOL_NAME.match(value):
            raise ValueError(
                f"pool {value!r} must be a pool name of the worker's baton.yaml "
                "(letters, digits, '_', '-' and '.'; docs/pools.md)"
            )
        return value


class AcquireAction(_PoolAction):
    """Lease ``count`` units of a named resource pool (docs/pools.md), shared
    by every run and worker; waits in FIFO order, at most
    ``timeout_seconds``. Its natural compensation is ``release``."""

    type: Literal["acquire"]
    count: int = Field(default=1, ge=1)
    timeout_seconds: float = Field(default=600.0, gt=0)


class ReleaseAction(_PoolAction):
    """Give back everything this run holds in ``pool`` (idempotent)."""

    type: Literal["release"]


# every action type a definition may write, by its `type` (the registry's)
MODELS: dict[str, type[_Action]] = {
    "api_call": ApiCallAction,
    "script": ScriptAction,
    "python": PythonAction,
    "task": TaskAction,
    "approval": ApprovalAction,
    "command": CommandAction,
    "acquire": AcquireAction,
    "release": ReleaseAction,
}
if tuple(MODELS) != DEFINITION_TYPES:  # a registry line without a model, or the reverse
    raise RuntimeError(
        f"definition models {tuple(MODELS)} do not match the registry {DEFINITION_TYPES}"
    )
ACTION_TYPES = DEFINITION_TYPES

if TYPE_CHECKING:
    Action = (
        ApiCallAction
        | ScriptAction
        | PythonAction
        | TaskAction
        | ApprovalAction
        | CommandAction
        | AcquireAction
        | ReleaseAction
    )
else:  # the union of the registered models, told apart by `type`
    Action = Annotated[Union[tuple(MODELS.values())], Field(discriminator="type")]  # noqa: UP007
