"""Bindings: what a BPMN model's tasks do in Baton, written outside the
model, so a model exported from a modeller runs unchanged.

They live in the ``bpmn:`` section of ``baton.yaml`` and in a *sidecar*
file next to the model (``order.bpmn`` + ``order.baton.yaml``), in the same
shape; the sidecar is looked at first (docs/bpmn.md, "Binding tasks")::

    bpmn:
      bindings:
        charge-card:              # a task's id, Zeebe task type, Camunda topic or name
          type: api_call          # a service or send task: a Baton action
          url: https://payments.example.com/charges
          method: POST
          payload: {amount: "{context.amount}"}
          timeout_seconds: 30     # each attempt (default 300)
          attempts: 3             # at most (default: Zeebe's retries, else 1)
          sla_seconds: 120        # it should end within (and sla_warning_seconds)
          result_variable: charge # the output under this name (default: merged in)
        Approve order:            # a user task: its approval (no type, or type: approval)
          approvers: [group:managers]
          timeout_seconds: 86400

A binding is validated with the models sagas use for their actions and
approval steps, each problem named by its file and key
(``baton.yaml: bpmn.bindings.charge-card.url: ...``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ...errors import DefinitionError, Issue
from .. import limits
from ..actions import ApiCallAction, PythonAction, ScriptAction, TaskAction
from ..approval import Stage, StageRules
from ..loader import parse_model, read_document

__all__ = [
    "SERVICE_TYPES",
    "Binding",
    "BindingsFile",
    "ServiceBinding",
    "Sidecar",
    "UserTaskBinding",
    "parse_bindings",
    "parse_sidecar",
    "read_sidecar",
    "sidecar_path",
]

SECTION = "bpmn"
# the action types a service or send task may be bound to
SERVICE_TYPES = ("api_call", "script", "python", "task")
# a binding's own settings, beside its action's fields
SETTINGS = (
    "timeout_seconds",
    "attempts",
    "result_variable",
    "agent_type",
    "sla_seconds",
    "sla_warning_seconds",
)
MAX_ATTEMPTS = 100
MODEL_SUFFIXES = (".bpmn20.xml", ".bpmn")
SIDECAR_SUFFIX = ".baton.yaml"


def _variable_name(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("result_variable must name a variable")
    return value


class _Sla(BaseModel):
    """A task's SLA (docs/operations.md, "SLAs"): it should end within
    ``sla_seconds``; past ``sla_warning_seconds`` it is near a breach."""

    sla_seconds: float | None = Field(default=None, gt=0)
    sla_warning_seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _warning_first(self) -> _Sla:
        if self.sla_warning_seconds is not None:
            if self.sla_seconds is None:
                raise ValueError("sla_warning_seconds needs sla_seconds")
            if self.sla_warning_seconds >= self.sla_seconds:
                raise ValueError(
                    f"sla_warning_seconds ({self.sla_warning_seconds:g}) must be less than "
                    f"sla_seconds ({self.sla_seconds:g})"
                )
        return self

    def sla(self) -> tuple[float, float | None] | None:
        return None if self.sla_seconds is None else (self.sla_seconds, self.sla_warning_seconds)


class ProcessSettings(_Sla):
    """A process's own settings (``bpmn.processes.<id or name>``): the run's
    SLA, ``sla_seconds`` from its start (and ``sla_warning_seconds``), and
    who is told — ``notification_channels`` get its SLA warnings and
    breaches, and with ``alert_on_failure`` its failure."""

    model_config = ConfigDict(extra="forbid")

    notification_channels: list[str] = Field(default_factory=list, max_length=20)
    alert_on_failure: bool = False


class _ServiceSettings(_Sla):
    """What a bound service or send task adds to its action."""

    timeout_seconds: float | None = Field(default=None, gt=0)
    attempts: int | None = Field(default=None, ge=1, le=MAX_ATTEMPTS)
    result_variable: str | None = None

    @field_validator("timeout_seconds")
    @classmethod
    def _timeout(cls, value: float | None) -> float | None:
        return limits.duration(value, "timeout_seconds")

    @field_validator("result_variable")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _variable_name(value)


class ApiCallBinding(ApiCallAction, _ServiceSettings):
    model_config = ConfigDict(extra="forbid")


class ScriptBinding(ScriptAction, _ServiceSettings):
    model_config = ConfigDict(extra="forbid")


class PythonBinding(PythonAction, _ServiceSettings):
    model_config = ConfigDict(extra="forbid")


class TaskBinding(TaskAction, _ServiceSettings):
    """A task for an agent: ``agent_type`` says which (every other key goes
    to the agent, as in a saga's task action)."""

    model_config = ConfigDict(extra="allow")
    agent_type: str = Field(min_length=1)


ServiceBinding = ApiCallBinding | ScriptBinding | PythonBinding | TaskBinding
SERVICE_MODELS: dict[str, type[BaseModel]] = {
    "api_call": ApiCallBinding,
    "script": ScriptBinding,
    "python": PythonBinding,
    "task": TaskBinding,
}


class UserTaskBinding(StageRules, _Sla):
    """A user task's approval: what the model says (assignee, candidate
    users and groups) overridden by what is given here. The fields of a
    saga's approval step, with approvers optional."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["approval"] | None = None
    stage: str | None = None
    description: str | None = None
    approvers: list[str] | None = None
    stages: list[Stage] | None = None
    notify: list[str] = Field(default_factory=list)
    callback_url: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    result_variable: str | None = None

    @field_validator("result_variable")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _variable_name(value)

    @model_validator(mode="after")
    def _one_form(self) -> UserTaskBinding:
        if self.approvers is not None and self.stages is not None:
            raise ValueError("a user task's binding takes 'approvers' or 'stages', not both")
        return self


@dataclass(frozen=True)
class Binding:
    """One binding: its key, the file it is in, and what it binds to — an
    action (service and send tasks) or an approval (user tasks)."""

    key: str
    file: str
    service: ServiceBinding | None = None
    user_task: UserTaskBinding | None = None

    @property
    def where(self) -> str:
        return f"{SECTION}.bindings.{self.key} in {self.file}"

    def action(self) -> dict[str, Any]:
        """The plan action of a service binding (its settings taken out)."""
        assert self.service is not None
        dumped: dict[str, Any] = self.service.model_dump(
            mode="json", exclude_none=True, exclude=set(SETTINGS)
        )
        return dumped


@dataclass(frozen=True)
class BindingsFile:
    """The bindings of one file (``path``: how messages name it), and its
    processes' settings (``processes:`` by process id or name)."""

    path: str
    bindings: dict[str, Binding] = field(default_factory=dict)
    processes: dict[str, ProcessSettings] = field(default_factory=dict)


@dataclass(frozen=True)
class Sidecar:
    """A model's sidecar file, as read (the runtime reads it; compilers do no I/O)."""

    path: str
    data: dict[str, Any]


def sidecar_path(model: str | Path) -> Path | None:
    """Where a model's sidecar is: ``order.bpmn`` (or ``order.bpmn20.xml``)
    -> ``order.baton.yaml`` beside it; None for a source that is no model file."""
    path = Path(model)
    name = path.name
    for suffix in MODEL_SUFFIXES:
        if name.lower().endswith(suffix):
            return path.with_name(name[: -len(suffix)] + SIDECAR_SUFFIX)
    return None


def read_sidecar(model: str | Path) -> Sidecar | None:
    """The sidecar next to the model file ``model``, when there is one (read
    as safely as any definition: a DefinitionError naming it if it is bad)."""
    path = sidecar_path(model)
    if path is None or not path.is_file():
        return None
    return Sidecar(str(path), read_document(path))


def parse_sidecar(sidecar: Sidecar) -> BindingsFile:
    """A sidecar's bindings: it holds the ``bpmn:`` section only."""
    unknown = sorted(str(k) for k in sidecar.data if k != SECTION)
    if unknown:
        raise DefinitionError(
            sidecar.path,
            [Issue(unknown[0], f"unknown key; a model's sidecar holds '{SECTION}:' only")],
        )
    return parse_bindings(sidecar.data.get(SECTION), sidecar.path)


def parse_bindings(section: Any, path: str) -> BindingsFile:
    """The bindings of a ``bpmn:`` section (None: none), or a
    DefinitionError naming ``path`` and each binding's key."""
    if section is None:
        return BindingsFile(path)
    if not isinstance(section, dict):
        raise DefinitionError(path, [Issue(SECTION, "expected a mapping (bindings: ...)")])
    unknown = sorted(str(k) for k in section if k not in ("bindings", "processes"))
    if unknown:
        raise DefinitionError(
            path,
            [Issue(f"{SECTION}.{unknown[0]}", "unknown key; allowed: bindings, processes")],
        )
    raw = section.get("bindings") or {}
    if not isinstance(raw, dict):
        raise DefinitionError(
            path,
            [
                Issue(
                    f"{SECTION}.bindings",
                    "expected a mapping of task (id, type, topic or name) to its binding",
                )
            ],
        )
    issues: list[Issue] = []
    bindings: dict[str, Binding] = {}
    for key, value in raw.items():
        binding = _binding(str(key), value, path, issues)
        if binding is not None:
            bindings[binding.key] = binding
    processes: dict[str, ProcessSettings] = {}
    raw_processes = section.get("processes") or {}
    if not isinstance(raw_processes, dict):
        issues.append(
            Issue(f"{SECTION}.processes", "expected a mapping of process (id or name) to settings")
        )
        raw_processes = {}
    for key, value in raw_processes.items():
        where = f"{SECTION}.processes.{key}"
        try:
            processes[str(key)] = parse_model(ProcessSettings, value, path, prefix=f"{where}.")
        except DefinitionError as exc:
            issues += [
                Issue(i.path, i.message.replace("unknown top-level key", "unknown key"))
                for i in exc.issues
            ]
    if issues:
        raise DefinitionError(path, issues)
    return BindingsFile(path, bindings, processes)


def _binding(key: str, value: Any, path: str, issues: list[Issue]) -> Binding | None:
    where = f"{SECTION}.bindings.{key}"
    if not isinstance(value, dict):
        issues.append(
            Issue(where, "expected a mapping: an action (type: api_call, ...) or an approval")
        )
        return None
    kind = value.get("type")
    if kind is None or kind == "approval":
        model: type[BaseModel] = UserTaskBinding
    elif kind in SERVICE_MODELS:
        model = SERVICE_MODELS[str(kind)]
    else:
        issues.append(
            Issue(
                f"{where}.type",
                f"unknown type {kind!r}: a service or send task binds an action "
                f"({', '.join(SERVICE_TYPES)}); a user task an approval (no type, or approval)",
            )
        )
        return None
    try:
        parsed = parse_model(model, value, path, prefix=f"{where}.")
    except DefinitionError as exc:
        issues += [
            Issue(i.path, i.message.replace("unknown top-level key", "unknown key"))
            for i in exc.issues
        ]
        return None
    if isinstance(parsed, UserTaskBinding):
        return Binding(key, path, user_task=parsed)
    assert isinstance(parsed, ApiCallBinding | ScriptBinding | PythonBinding | TaskBinding)
    return Binding(key, path, service=parsed)
