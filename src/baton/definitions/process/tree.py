"""Baton's typed tree of a Serverless Workflow 1.0 document: what the reader
produces and the compiler (:mod:`baton.plan.process`) consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Task:
    """What every task has (``taskBase``). ``pointer`` is its JSON pointer in
    the document (the task's reference, e.g. ``/do/0/getPet``)."""

    name: str
    pointer: str
    kind: str
    if_: str | None = None
    input_from: Any = None  # an expression or a template
    output_as: Any = None
    export_as: Any = None
    input_schema: dict[str, Any] | None = None  # JSON Schemas (inline documents)
    output_schema: dict[str, Any] | None = None
    timeout_seconds: float | None = None
    timeout_expr: str | None = None  # a timeout whose `after` is an expression
    then: str = "continue"
    metadata: dict[str, Any] = field(default_factory=dict)
    # Baton's `metadata.baton`: the task that undoes this one; a `for`
    # whose iterations run at once (at most `max_concurrency`)
    compensate: Task | None = None
    parallel: bool = False
    max_concurrency: int | None = None
    # run as a local step (True), on the task queue (False), or by its timeout
    local: bool | None = None
    # metadata.baton.sla: (after, warn_after) in seconds
    sla: tuple[float, float | None] | None = None


@dataclass
class SetTask(Task):
    value: Any = None  # a template: strings "${ ... }" are expressions


@dataclass
class DoTask(Task):
    tasks: list[Task] = field(default_factory=list)


@dataclass
class SwitchCase:
    name: str
    when: str | None
    then: str


@dataclass
class SwitchTask(Task):
    cases: list[SwitchCase] = field(default_factory=list)


@dataclass
class ForTask(Task):
    collection: Any = None  # for.in: an expression, or an inline list
    each: str = "item"
    at: str = "index"
    while_: str | None = None
    tasks: list[Task] = field(default_factory=list)


@dataclass
class ForkTask(Task):
    branches: list[Task] = field(default_factory=list)
    compete: bool = False


@dataclass
class RetryPolicy:
    """A catch's retry: ``limit.attempt.count`` retries at most (None: until
    ``limit.duration``), waiting ``delay`` (× backoff), plus jitter."""

    delay_seconds: float = 0.0
    delay_expr: str | None = None  # a delay given by an expression (evaluated per retry)
    backoff: str = "constant"  # constant | exponential | linear
    count: int | None = None
    duration_seconds: float | None = None
    attempt_seconds: float | None = None  # limit.attempt.duration: each attempt at most
    jitter: tuple[float, float] | None = None
    when: str | None = None
    except_when: str | None = None


@dataclass
class Catch:
    errors: dict[str, Any] = field(default_factory=dict)  # errors.with: type, status, ...
    as_: str = "error"
    when: str | None = None
    except_when: str | None = None
    retry: RetryPolicy | None = None
    tasks: list[Task] | None = None  # catch.do
    then: str | None = None  # catch.then (newer than 1.0.3)


@dataclass
class TryTask(Task):
    tasks: list[Task] = field(default_factory=list)
    catch: Catch = field(default_factory=Catch)


@dataclass
class RaiseTask(Task):
    error: dict[str, Any] = field(default_factory=dict)  # type, status, title, detail (templates)


@dataclass
class WaitTask(Task):
    seconds: float = 0.0
    seconds_expr: str | None = None  # an expression giving the duration


@dataclass
class CallTask(Task):
    """``call: http`` or ``call: openapi`` with its ``with`` arguments (values
    may be templates); ``authentication`` resolved from ``use`` when named."""

    function: str = "http"
    arguments: dict[str, Any] = field(default_factory=dict)
    authentication: dict[str, Any] | None = None


@dataclass
class BatonCallTask(Task):
    """``call: baton/approval`` or ``call: baton/agent`` with its ``with``
    arguments (Baton's custom functions)."""

    function: str = "baton/approval"
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunTask(Task):
    """``run: shell`` or ``run: script`` (python, js): the code, its
    arguments, environment and stdin (templates), and what it returns; or
    ``run: workflow``: the process it names (namespace, name, version) and
    the input it gets (a template). ``await_`` False: the task starts it and
    goes on with its own input as its output."""

    process: str = "shell"
    code: Any = ""
    language: str | None = None
    arguments: Any = None
    environment: Any = None
    stdin: Any = None
    returns: str = "stdout"
    workflow: dict[str, str] | None = None
    workflow_input: Any = None
    await_: bool = True


@dataclass
class EventFilterSpec:
    """An event filter: ``with`` (attributes to equal; ``data`` an
    expression on the event's data) and ``correlate`` (``from`` an
    expression on the event, ``expect`` a value or an expression on the
    task's input)."""

    attributes: dict[str, Any] = field(default_factory=dict)
    correlate: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ForEach:
    """``listen.foreach``: ``tasks`` run for each event taken (as ``item``,
    its position as ``at``), one event after another."""

    item: str = "item"
    at: str = "index"
    tasks: list[Task] = field(default_factory=list)
    output_as: Any = None  # each event's place in the task's output
    export_as: Any = None  # $context after each event


@dataclass
class ListenTask(Task):
    strategy: str = "one"  # one | any | all
    filters: list[EventFilterSpec] = field(default_factory=list)
    until: str | None = None  # an expression over the events so far
    until_filter: EventFilterSpec | None = None  # or: an event that ends it
    read: str = "data"  # data | envelope | raw
    foreach: ForEach | None = None


@dataclass
class EmitTask(Task):
    event: dict[str, Any] = field(default_factory=dict)  # emit.event.with (a template)


@dataclass
class Workflow:
    namespace: str
    name: str
    version: str
    dsl: str
    tasks: list[Task]
    title: str | None = None
    summary: str | None = None
    input_from: Any = None
    output_as: Any = None
    timeout_seconds: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # `use.secrets`: the secrets the workflow declares (None: not declared)
    secrets: tuple[str, ...] | None = None
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    # document.metadata.baton.sla: (after, warn_after) in seconds
    sla: tuple[float, float | None] | None = None
