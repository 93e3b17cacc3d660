"""Recovery policies (the seed's ``RecoveryPolicy`` and ``RecoveryAction``):
which runs a policy covers, the conditions under which it acts, and what it
does. Conditions are read from measures of the run (:func:`measures`)::

    conditions: {execution_time_hours: {">=": 4}, error_rate: {">=": 0.3}}

Every condition must hold. Pure: no I/O."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from .health import HealthReport, parse_time


class RecoveryAction(str, enum.Enum):
    """What a recovery does (docs/operations.md, "Recovery actions")."""

    RETRY = "retry"  # run the failed step of an ended run again (a Temporal reset)
    RESTART = "restart"  # a new run of the same definition and input, linked to the old
    COMPENSATE = "compensate"  # stop a running run and undo what completed
    CANCEL = "cancel"  # cancel a running run (a saga undoes what completed)
    ESCALATE = "escalate"  # an approval request to the policy's people
    NOTIFY = "notify"  # an alert through the policy's Apprise channels

    def __str__(self) -> str:
        return self.value


# the seed's workflow_type words, and Baton's kinds
KIND_ALIASES = {
    "multi_agent_project": "project",
    "project": "project",
    "saga": "saga",
    "approval": "approval",
    "process": "process",
    "bpmn": "bpmn",
}

OPERATORS = (">=", ">", "<=", "<", "==", "!=", "in", "not_in")

MEASURES = {
    "execution_time_hours": "hours since the run started (to its end, if it ended)",
    "error_rate": "failed attempts / attempts of the run's steps (0 with none)",
    "failed_attempts": "attempts of the run's steps that failed",
    "attempts": "the most attempts any one step has taken",
    "status": "the run's status (RUNNING, FAILED, COMPENSATED, ...)",
    "health": "the health check's status: healthy, warning or critical",
    "issue": "the codes of the issues found (a condition holds if one matches)",
    "sla": "the run's SLA status: ON_TRACK, WARNING, BREACHED, MET (null without an SLA)",
}


@dataclass(frozen=True)
class RecoveryPolicy:
    """The seed's policy: ``workflow_types`` are kinds (``saga``,
    ``multi_agent_project``/``project``, ``approval``, ``process``, ``bpmn``)
    or definition names, empty for every run; ``escalate_to`` names who gets
    an ESCALATE approval (people or ``group:`` names of baton.yaml)."""

    policy_id: str
    name: str
    workflow_types: list[str] = field(default_factory=list)
    conditions: dict[str, Any] = field(default_factory=dict)
    recovery_actions: list[RecoveryAction] = field(default_factory=list)
    max_recovery_attempts: int = 3
    notification_channels: list[str] = field(default_factory=list)
    escalate_to: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        problems = policy_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(
            self, "recovery_actions", [RecoveryAction(a) for a in self.recovery_actions]
        )

    def covers(self, kind: str | None, name: str | None) -> bool:
        if not self.workflow_types:
            return True
        for wanted in self.workflow_types:
            if KIND_ALIASES.get(wanted) == kind or (name is not None and wanted == name):
                return True
        return False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recovery_actions"] = [str(a) for a in self.recovery_actions]
        return data


def policy_problems(policy: RecoveryPolicy) -> list[str]:
    problems = []
    if not policy.policy_id or not str(policy.policy_id).strip():
        problems.append("policy_id: required")
    elif any(c in str(policy.policy_id) for c in ": \t\n"):
        problems.append("policy_id: no spaces or ':' (it is part of recovery ids)")
    if not policy.conditions:
        problems.append("conditions: required (when should it act?), e.g. {health: critical}")
    for measure, test in (policy.conditions or {}).items():
        if measure not in MEASURES:
            problems.append(f"conditions.{measure}: unknown; known: {', '.join(MEASURES)}")
            continue
        tests = test if isinstance(test, dict) else {"==": test}
        for op in tests:
            if op not in OPERATORS:
                problems.append(f"conditions.{measure}: unknown operator {op!r}; use {OPERATORS}")
    if not policy.recovery_actions:
        problems.append(
            "recovery_actions: at least one of " + ", ".join(a.value for a in RecoveryAction)
        )
    for action in policy.recovery_actions:
        try:
            RecoveryAction(action)
        except ValueError:
            problems.append(
                f"recovery_actions: {action!r} is not one of "
                + ", ".join(a.value for a in RecoveryAction)
            )
    if (
        isinstance(policy.max_recovery_attempts, bool)
        or not isinstance(policy.max_recovery_attempts, int)
        or policy.max_recovery_attempts < 1
    ):
        problems.append("max_recovery_attempts: a whole number ≥ 1")
    if RecoveryAction.NOTIFY in _actions(policy) and not policy.notification_channels:
        problems.append("notification_channels: NOTIFY needs at least one channel")
    if RecoveryAction.ESCALATE in _actions(policy) and not policy.escalate_to:
        problems.append("escalate_to: ESCALATE needs the people (or group:NAME) to ask")
    return problems


def _actions(policy: RecoveryPolicy) -> list[RecoveryAction]:
    found = []
    for action in policy.recovery_actions:
        try:
            found.append(RecoveryAction(action))
        except ValueError:
            pass
    return found


def parse_policy(raw: Any) -> RecoveryPolicy:
    """A policy from baton.yaml (or MCP): ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping (policy_id, name, conditions, recovery_actions, ...)")
    allowed = {
        "policy_id",
        "name",
        "workflow_types",
        "conditions",
        "recovery_actions",
        "max_recovery_attempts",
        "notification_channels",
        "escalate_to",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(
            f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    for key in ("workflow_types", "recovery_actions", "notification_channels", "escalate_to"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key}: expected a list of strings")
    if not isinstance(raw.get("conditions", {}), dict):
        raise ValueError("conditions: expected a mapping such as {error_rate: {'>=': 0.3}}")
    return RecoveryPolicy(
        policy_id=str(raw.get("policy_id") or ""),
        name=str(raw.get("name") or raw.get("policy_id") or ""),
        workflow_types=list(raw.get("workflow_types", [])),
        conditions=dict(raw.get("conditions", {})),
        recovery_actions=[a.lower() for a in raw.get("recovery_actions", [])],
        max_recovery_attempts=raw.get("max_recovery_attempts", 3),
        notification_channels=list(raw.get("notification_channels", [])),
        escalate_to=list(raw.get("escalate_to", [])),
    )


def measures(status: dict[str, Any], report: HealthReport, now: datetime) -> dict[str, Any]:
    """The values conditions are tested against, for one run."""
    started = parse_time(status.get("started_at") or status.get("requested_at"))
    ended = parse_time(status.get("closed_at")) or now
    hours = (ended - started).total_seconds() / 3600 if started else 0.0
    audit = status.get("audit") or []
    tried = sum(1 for e in audit if e.get("event") == "forward_attempt_started")
    failed = sum(1 for e in audit if e.get("event") == "forward_attempt_failed")
    steps = status.get("steps") or []
    return {
        "execution_time_hours": hours,
        "error_rate": failed / tried if tried else 0.0,
        "failed_attempts": failed,
        "attempts": max((s.get("attempts") or 0 for s in steps), default=0),
        "status": status.get("status"),
        "health": report.status,
        "issue": [i.code for i in report.issues_detected],
        "sla": (status.get("sla") or {}).get("status"),
    }


def holds(conditions: dict[str, Any], values: dict[str, Any]) -> tuple[bool, str]:
    """Whether every condition holds, and the reason in words."""
    said = []
    for measure, test in conditions.items():
        tests = test if isinstance(test, dict) else {"==": test}
        value = values.get(measure)
        for op, wanted in tests.items():
            if not _compare(value, op, wanted):
                return False, ""
            shown = f"{value:.2f}" if isinstance(value, float) else value
            said.append(f"{measure} {shown} {op} {wanted}")
    return True, ", ".join(said)


def _compare(value: Any, op: str, wanted: Any) -> bool:
    if isinstance(value, list):  # issue codes: one of them matching is enough
        if op == "!=":
            return wanted not in value
        if op == "not_in":
            return not set(value) & set(_listed(wanted))
        return any(_compare(v, op, wanted) for v in value)
    if op == "==":
        return bool(value == wanted)
    if op == "!=":
        return bool(value != wanted)
    if op == "in":
        return value in _listed(wanted)
    if op == "not_in":
        return value not in _listed(wanted)
    try:
        if op == ">=":
            return bool(value >= wanted)
        if op == ">":
            return bool(value > wanted)
        if op == "<=":
            return bool(value <= wanted)
        if op == "<":
            return bool(value < wanted)
    except TypeError:
        return False
    return False


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple | set) else [value]
