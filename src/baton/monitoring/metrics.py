"""Baton's Prometheus metrics: what each one is, and the functions that
record them (docs/metrics.md lists every metric, its labels and meaning).

Every ``record_*`` function may be called from anywhere:

- from workflow code (the interpreter, the approval workflow, a monitor
  workflow): it records nothing while the workflow replays history, so a run
  is counted once however often a worker replays it — the check Temporal's own
  ``workflow.metric_meter()`` makes. It changes no workflow state and issues
  no command, so adding or removing a call keeps old histories replayable;
- from activities and plain code (health checks, recovery actions).

A sandboxed workflow imports this module passed through
(``with workflow.unsafe.imports_passed_through():``); otherwise the sandbox
makes its own copy of it, whose counts nobody scrapes. Baton's own workflows
are not sandboxed.

A metric counts in the process that records it, and only ``baton up`` and
``baton worker`` serve them (:mod:`baton.monitoring.exporter`), so a call made
in a CLI or API client process is never scraped: record on the worker side.
No function here raises: a metric that cannot be recorded is logged, and the
run goes on.

Labels are bounded: ``kind`` is one of Baton's definition kinds, ``name`` a
definition's name (never a workflow, approval or step id, nor free text from
a run) and every other label a word from a closed vocabulary. Past
:data:`MAX_VALUES_PER_LABEL` distinct values of one label in one process,
further values are counted under :data:`OTHER`, so a stream of generated
definition names cannot grow the series without end.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from temporalio import workflow

__all__ = [
    "MAX_VALUES_PER_LABEL",
    "OTHER",
    "REGISTRY",
    "record_approval_decided",
    "record_compensation",
    "record_recovery",
    "record_run_ended",
    "record_run_started",
    "record_sla_breach",
    "record_sla_warning",
    "record_step",
    "seconds_since",
]

logger = logging.getLogger(__name__)

# Baton's own registry, not prometheus_client's process-wide default: an
# application that embeds Baton keeps its own metrics to itself.
REGISTRY = CollectorRegistry(auto_describe=True)

OTHER = "_other"
MAX_VALUES_PER_LABEL = 200
MAX_LABEL_LENGTH = 120

# Steps take milliseconds (a local script) to days (an agent, an approval).
DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    4 * 3600.0,
    24 * 3600.0,
    7 * 24 * 3600.0,
)
ATTEMPT_BUCKETS = (1, 2, 3, 4, 5, 7, 10, 20, 50)
# People answer in minutes to days.
DECISION_BUCKETS = (
    1.0,
    10.0,
    60.0,
    300.0,
    900.0,
    1800.0,
    3600.0,
    4 * 3600.0,
    8 * 3600.0,
    24 * 3600.0,
    3 * 24 * 3600.0,
    7 * 24 * 3600.0,
)

RUNS_STARTED = Counter(
    "baton_runs_started",
    "Runs started, by definition kind and name.",
    ["kind", "name"],
    registry=REGISTRY,
)
RUNS_ENDED = Counter(
    "baton_runs_ended",
    "Runs ended, by definition kind, name and final status.",
    ["kind", "name", "status"],
    registry=REGISTRY,
)
RUN_DURATION = Histogram(
    "baton_run_duration_seconds",
    "How long runs took from start to end, by kind, name and final status.",
    ["kind", "name", "status"],
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)
STEP_DURATION = Histogram(
    "baton_step_duration_seconds",
    "How long steps took from start to end (every attempt and backoff), "
    "by kind, name, step type and outcome.",
    ["kind", "name", "step_type", "outcome"],
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)
STEP_ATTEMPTS = Histogram(
    "baton_step_attempts",
    "Attempts an action step took, by kind, name, step type and outcome.",
    ["kind", "name", "step_type", "outcome"],
    buckets=ATTEMPT_BUCKETS,
    registry=REGISTRY,
)
COMPENSATIONS = Counter(
    "baton_compensations",
    "Steps undone (compensated) or that failed to be, by kind, name and outcome.",
    ["kind", "name", "outcome"],
    registry=REGISTRY,
)
APPROVAL_DECISION = Histogram(
    "baton_approval_decision_seconds",
    "Time from an approval's request to its outcome, by approval name and outcome.",
    ["name", "outcome"],
    buckets=DECISION_BUCKETS,
    registry=REGISTRY,
)
SLA_BREACHES = Counter(
    "baton_sla_breaches",
    "SLA breaches, by kind, name and scope (run or step).",
    ["kind", "name", "scope"],
    registry=REGISTRY,
)
SLA_WARNINGS = Counter(
    "baton_sla_warnings",
    "SLA near-breaches (past the warning threshold), by kind, name and scope.",
    ["kind", "name", "scope"],
    registry=REGISTRY,
)
BREAKER_STATE = Gauge(
    "baton_circuit_breaker_state",
    "Each target host's circuit breaker as this worker last saw it: 0 closed, 1 half-open, 2 open.",
    ["host"],
    registry=REGISTRY,
)
BREAKER_OPENED = Counter(
    "baton_circuit_breaker_opened",
    "Circuit breakers this worker saw open, by target host.",
    ["host"],
    registry=REGISTRY,
)
RECOVERIES = Counter(
    "baton_recoveries",
    "Recovery actions taken, by action and outcome.",
    ["action", "outcome"],
    registry=REGISTRY,
)


class _Bounded:
    """The values one label may take in this process: the first
    ``limit`` distinct ones as given (cut to MAX_LABEL_LENGTH), later ones
    as OTHER. Thread-safe: workflow activations run on worker threads."""

    def __init__(self, label: str, limit: int = MAX_VALUES_PER_LABEL) -> None:
        self.label = label
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._warned = False

    def __call__(self, value: Any) -> str:
        text = str(getattr(value, "value", value))[:MAX_LABEL_LENGTH]
        if text in self._seen:
            return text
        with self._lock:
            if text in self._seen:
                return text
            if len(self._seen) < self.limit:
                self._seen.add(text)
                return text
            if not self._warned:
                self._warned = True
                logger.warning(
                    "metrics: label %r has %d values in this process; further ones are "
                    "counted as %r",
                    self.label,
                    self.limit,
                    OTHER,
                )
        return OTHER

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
            self._warned = False


_kind = _Bounded("kind", 32)
_name = _Bounded("name")
_step_type = _Bounded("step_type", 64)
_word = _Bounded("status/outcome/scope", 64)
_action = _Bounded("action", 32)
_host = _Bounded("host", 64)


def reset_label_bounds() -> None:
    """Forget the label values seen so far, as a new process would (for
    tests: many run in one process, each with its own definition names)."""
    for bound in (_kind, _name, _step_type, _word, _action):
        bound.reset()


def _live() -> bool:
    """False while workflow code replays history: what it records was
    recorded when the history was first made."""
    return not (workflow.in_workflow() and workflow.unsafe.is_replaying())


F = TypeVar("F", bound=Callable[..., None])


def _recorder(function: F) -> F:
    """Skip while replaying; never raise into the caller (a workflow task
    must not fail over a metric)."""

    @functools.wraps(function)
    def record(*args: Any, **kwargs: Any) -> None:
        try:
            if _live():
                function(*args, **kwargs)
        except Exception:  # noqa: BLE001 - a metric is never worth failing a run
            logger.warning("metrics: %s failed", function.__name__, exc_info=True)

    return record  # type: ignore[return-value]


def seconds_since(started_at: str | datetime | None, now: datetime) -> float | None:
    """Seconds from ``started_at`` (a status document's ISO time) to ``now``;
    None when it is unknown."""
    if started_at is None:
        return None
    start = datetime.fromisoformat(started_at) if isinstance(started_at, str) else started_at
    return max(0.0, (now - start).total_seconds())


@_recorder
def record_run_started(kind: str, name: str) -> None:
    """A run of definition ``name`` (of ``kind``: saga, approval, project,
    process, bpmn) started."""
    RUNS_STARTED.labels(_kind(kind), _name(name)).inc()


@_recorder
def record_run_ended(kind: str, name: str, status: str, seconds: float | None = None) -> None:
    """A run ended with ``status`` (its status document's final status),
    ``seconds`` after it started."""
    labels = (_kind(kind), _name(name), _word(status))
    RUNS_ENDED.labels(*labels).inc()
    if seconds is not None:
        RUN_DURATION.labels(*labels).observe(seconds)


@_recorder
def record_step(
    kind: str,
    name: str,
    step_type: str,
    outcome: str,
    seconds: float | None,
    attempts: int | None = None,
) -> None:
    """A step of a run of ``name`` ended: ``outcome`` completed, failed or
    cancelled after ``seconds``; ``attempts`` for action steps."""
    labels = (_kind(kind), _name(name), _step_type(step_type), _word(outcome))
    if seconds is not None:
        STEP_DURATION.labels(*labels).observe(seconds)
    if attempts:
        STEP_ATTEMPTS.labels(*labels).observe(attempts)


@_recorder
def record_compensation(kind: str, name: str, outcome: str) -> None:
    """A step of a run of ``name`` was compensated (``outcome`` compensated)
    or its compensation failed (``failed``)."""
    COMPENSATIONS.labels(_kind(kind), _name(name), _word(outcome)).inc()


@_recorder
def record_approval_decided(name: str, outcome: str, seconds: float | None) -> None:
    """An approval named ``name`` ended ``outcome`` (approved, rejected,
    expired) ``seconds`` after it was requested."""
    if seconds is not None:
        APPROVAL_DECISION.labels(_name(name), _word(outcome)).observe(seconds)


@_recorder
def record_sla_breach(kind: str, name: str, scope: str) -> None:
    """A run of definition ``name`` broke its SLA; ``scope`` says whose:
    ``run`` (the whole run's) or ``step`` (a step's)."""
    SLA_BREACHES.labels(_kind(kind), _name(name), _word(scope)).inc()


@_recorder
def record_sla_warning(kind: str, name: str, scope: str) -> None:
    """A run of definition ``name`` passed its SLA's warning threshold (a
    near-breach); ``scope`` as for :func:`record_sla_breach`."""
    SLA_WARNINGS.labels(_kind(kind), _name(name), _word(scope)).inc()


@_recorder
def record_recovery(action: str, outcome: str) -> None:
    """A recovery action was taken: ``action`` one of retry, restart,
    escalate, compensate, cancel, notify (a ``RecoveryAction`` member is
    taken by its value); ``outcome`` done, refused or failed (as
    baton.monitoring.recovery reports each action)."""
    RECOVERIES.labels(_action(_lower(action)), _word(_lower(outcome))).inc()


def _lower(value: Any) -> str:
    return str(getattr(value, "value", value)).lower()


@_recorder
def record_breaker(host: str, state: str, opened: bool = False) -> None:
    """A target host's circuit breaker is ``state`` (closed, half_open,
    open); ``opened``: this call opened it."""
    label = _host(host)
    BREAKER_STATE.labels(label).set({"closed": 0, "half_open": 1, "open": 2}.get(state, 0))
    if opened:
        BREAKER_OPENED.labels(label).inc()
