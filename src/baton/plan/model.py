"""The Plan: one serialisable, versioned description of what a workflow does.

Every declarative kind (sagas, projects, and the process languages) compiles
to a Plan, and one interpreter (:mod:`baton.engine.interpreter`) runs it. The
plan is part of the workflow input, so a run keeps the version it started
with. docs/plans.md describes the format for front-end writers.

A plan is a scope: a list of nodes (:class:`PlanStep`) joined by edges (each
node's ``after``). Most nodes are actions; control nodes wait, set data,
raise, loop, run a nested scope or a sub-process, and any node can carry a
condition (``when``), a join rule for its incoming edges (``join``), routes
for its outgoing ones (``routes``) and error handlers (``catch``).

Only plain dataclasses here: this module is imported by workflow code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# 2: resource pools on steps (pool, pool_limits); project-phase undo, cleanup,
#    result; v1 plans are upgraded by plan/migrations.py
# 3: control nodes (kind, when, join, routes, catch, body, loop, wait, value,
#    error, subprocess), data mappings (input, output, export), the run's
#    input and output; a v2 plan is a v3 plan without them
# 4: triggers on nodes (events while a node runs: BPMN's boundary events and
#    event sub-processes) and throw nodes (signals, escalations); a v3 plan
#    is a v4 plan without them; decide nodes (a DMN decision evaluated in the
#    workflow)
PLAN_FORMAT_VERSION = 4

# in `after`: the scope's start (a first node that the scope also loops back to)
START = "@start"
# route targets besides a node of the same scope
EXIT = "@exit"  # end this scope now (the scope completes; what else runs in it is cancelled)
END = "@end"  # end the whole run now, successfully


class NodeKind:
    """What a node does (``PlanStep.kind``)."""

    ACTION = "action"  # run ``action`` (an activity, or an approval gate)
    NOOP = "noop"  # nothing: a gateway that only joins and routes
    SET = "set"  # its output is ``value``, evaluated
    WAIT = "wait"  # a timer, or events sent to the run (``wait``)
    RAISE = "raise"  # fail with ``error``
    SCOPE = "scope"  # run ``body`` (a nested scope with its own undo and handlers)
    LOOP = "loop"  # run ``body`` once per iteration (``loop``)
    SUBPROCESS = "subprocess"  # run ``subprocess`` (a whole plan) as a child run
    THROW = "throw"  # throw a signal or an escalation (``throw``)
    DECIDE = "decide"  # evaluate a DMN decision (``decide``)

    ALL = (ACTION, NOOP, SET, WAIT, RAISE, SCOPE, LOOP, SUBPROCESS, THROW, DECIDE)


class Join:
    """When a node with several incoming edges starts (``PlanStep.join``).

    Every edge carries tokens: live (the node before completed, or routed
    here) or dead (it failed, was skipped, or routed elsewhere)."""

    ALL = "all"  # one token on every edge, all live; a dead one skips it (sagas)
    ANY = "any"  # one token on every edge, at least one live (merges after a choice)
    EACH = "each"  # every live token starts it once; dead ones are dropped (loops)
    # format 4: the first live token of a round starts it; the round ends
    # when every edge has brought a token, the others are absorbed (a
    # structured discriminator: BPMN's complex gateway)
    FIRST = "first"

    VALUES = (ALL, ANY, EACH, FIRST)


@dataclass
class Expr:
    """An expression, in a language registered in :mod:`baton.expressions`."""

    source: str
    language: str = "baton"


@dataclass
class Route:
    """An outgoing edge a node's token may take: to ``to`` (a node of the same
    scope, :data:`EXIT` or :data:`END`) when ``when`` holds (no ``when``: the
    default, taken when no other route is)."""

    to: str
    when: Expr | None = None


@dataclass
class ErrorSpec:
    """An error as a problem object (RFC 7807, as the process languages use)."""

    type: str
    status: int | None = None
    title: str | None = None
    detail: Expr | None = None  # evaluated when raised


@dataclass
class Catch:
    """Handles a node's failure when its error matches (``type`` and
    ``status`` when given, ``when`` holds and ``except_when`` does not; the
    error is ``error`` in these expressions). ``retry`` first runs the node
    again; then the failure is handled: a live token goes to ``to`` (with the
    error as its data) or, without ``to``, along the node's own routes."""

    type: str | None = None
    status: int | None = None
    when: Expr | None = None
    except_when: Expr | None = None
    retry: RetrySpec | None = None
    to: str | None = None
    # the name the error has in when/except_when (and retry_when)
    as_name: str = "error"
    # retry only while this holds / unless this holds (the catch still handles it)
    retry_when: Expr | None = None
    retry_except_when: Expr | None = None
    # the retry's delay given by an expression (a duration, evaluated before
    # each retry with the error); it replaces retry.initial_interval_seconds
    retry_delay: Expr | None = None


@dataclass
class EventFilter:
    """Which events a wait consumes: CloudEvents whose ``type`` and ``source``
    equal these (when given), whose attributes (or ``data.x`` paths) equal the
    ``correlate`` values (evaluated when the wait starts), and for which
    ``where`` holds (with the event as ``event``)."""

    type: str | None = None
    source: str | None = None
    correlate: dict[str, Expr] = field(default_factory=dict)
    where: Expr | None = None
    # correlation keys learned from the events (the process language's
    # `correlate` without `expect`): name -> an expression on the event; the
    # first event the wait takes fixes each key's value, and every later
    # event it takes must have the same
    keys: dict[str, Expr] = field(default_factory=dict)


@dataclass
class WaitSpec:
    """A timer (``seconds``, or ``at``: an expression giving an ISO 8601
    moment) or events (``events``): with ``mode`` "any", the first event that
    matches a filter — or, with ``until``, matching events until ``until``
    holds (the events so far are ``events``); with "all", one event for each
    filter. The output is the list of events consumed."""

    seconds: float | None = None
    at: Expr | None = None
    # a timer whose duration an expression gives (ISO 8601 or an object of
    # days, hours, minutes, seconds, milliseconds), evaluated as it starts
    duration: Expr | None = None
    events: list[EventFilter] = field(default_factory=list)
    mode: str = "any"
    until: Expr | None = None
    # mode "any": an event matching one of these ends the wait (it is taken too)
    until_events: list[EventFilter] = field(default_factory=list)
    # the node's `body` runs for each event taken, one after another (the
    # event as the node's loop `item`, with `read` applied: "data" or
    # "envelope"); `each_output` makes each event's place in the output (its
    # iteration's output as `.`), `each_export` the context after each
    for_each: bool = False
    read: str = "envelope"
    each_output: Expr | None = None
    each_export: Expr | None = None
    # signal semantics: an event this wait takes is offered to the other
    # waits too (taking it does not consume it)
    shared: bool = False
    # format 4: until this holds (over the context): checked as the wait
    # starts and whenever the context changes (BPMN's conditional event)
    condition: Expr | None = None


@dataclass
class Trigger:
    """Something that may happen while a node runs (BPMN's boundary events;
    an event sub-process is one on the scope it belongs to). When it fires, a
    live token goes to ``to`` (a node of the same scope with this node in its
    ``after``), carrying what fired it (the event, the escalation's data, or
    the node's input for timers and conditions). An ``interrupting`` trigger
    first stops the node (it ends CANCELLED and its own way on gets dead
    tokens); a non-interrupting one leaves it running and fires again each
    time (``to`` should then join ``each``). When the node ends, its
    triggers stop.

    Exactly one of: ``wait`` (a timer — ``seconds``, ``at`` or ``duration`` —
    fired ``repeat`` times, None: until the node ends; or events sent to the
    run), ``escalation`` (an escalation of that code thrown inside the node;
    "" any code) or ``condition`` (holds: checked as the node starts and
    whenever the context changes; fires when it turns true)."""

    to: str
    interrupting: bool = True
    wait: WaitSpec | None = None
    repeat: int | None = 1
    # a timer whose first firing is `wait`'s and the next ones this many
    # seconds apart (an ISO 8601 cycle with a start date: R3/<start>/P1D)
    every: float | None = None
    escalation: str | None = None
    condition: Expr | None = None


@dataclass
class ThrowSpec:
    """What a throw node throws: a ``signal`` (every open wait of the run
    that wants an event of type ``name`` takes it — none keeps it — and,
    with ``broadcast``, every other run that waits for it), a ``message``
    (an event of type ``name`` to every other run waiting for it, never to
    this run's own waits), a ``compensate`` (undo, newest first, what
    completed in the thrower's scope — only the instances of node ``name``
    when given — and wait for that) or an ``escalation`` of code ``name`` (the innermost running node with a
    trigger for it fires; an interrupting one stops the thrower too; none:
    the throw is recorded and the token goes on). ``data`` is the payload
    (an expression; None: the node's input)."""

    kind: str  # "signal" | "escalation" | "message" | "compensate"
    name: str
    data: Expr | None = None
    broadcast: bool = True


@dataclass
class DecisionSpec:
    """What a decide node evaluates: ``decision`` (its id or name; None: the
    one decision no other requires) of ``model``, a compiled DMN model
    (format ``baton.dmn/1``, :mod:`baton.decisions.model`) carried in the
    plan, so a run keeps the rules it started with. The inputs are an
    object: ``inputs`` (an expression over the node's input and the
    scope), or ``template`` (an object whose ``{placeholders}`` are filled
    as an action's are: sagas), or else the node's input. ``result`` shapes
    the output (:data:`baton.decisions.results.RESULT_FORMS`): ``value``,
    the decision's own result as DMN defines it, or one of Camunda 7's
    ``mapDecisionResult`` forms. ``file`` says where the model was read from."""

    model: dict[str, Any]
    decision: str | None = None
    inputs: Expr | None = None
    template: dict[str, Any] | None = None
    result: str = "value"
    file: str | None = None


@dataclass
class ChildRunSpec:
    """A saga's ``run`` step (a pipeline's child run, docs/sagas.md): the
    ``subprocess`` node's child input is ``input`` with its
    ``{placeholders}`` filled as an action's are (None: the node's input);
    its output is the child's output, or — for a child without one (sagas,
    projects) — the outputs of the child's completed steps by step id.
    ``undo``: when this run compensates, the child's completed steps are
    undone by an undo run made from the child's plan and final status
    (:func:`baton.monitoring.undoing.undo_plan`). ``definition`` says which
    file the child was compiled from."""

    definition: str
    input: Any = None
    undo: bool = True


@dataclass
class LoopSpec:
    """Iterations of a node's ``body``: one per item of ``each`` (a list),
    or ``times`` of them, or while ``condition`` holds (checked before each
    iteration; with ``test_before`` false, after). ``item`` and ``index``
    name the current ones. ``complete_when`` ends the loop early after an
    iteration. Sequential iterations hand their output on as the next one's
    input; ``collect`` makes the output the list of every iteration's output
    instead of the last one. ``parallel`` runs iterations at once (at most
    ``max_concurrency``)."""

    each: Expr | None = None
    times: Expr | None = None
    condition: Expr | None = None
    test_before: bool = True
    item: str = "item"
    index: str = "index"
    complete_when: Expr | None = None
    collect: bool = False
    parallel: bool = False
    max_concurrency: int | None = None
    max_iterations: int = 10_000
    # a batch of a long loop in a child run (engine/batches.py): its items,
    # count and input are the plan's options.batch; its iterations are
    # numbered from first_index
    first_index: int = 0
    batched: bool = False
    # format 4: what `index` counts from (Zeebe's loopCounter: 1)
    index_base: int = 0


@dataclass
class SlaSpec:
    """A service level: the run (or step) should end within
    ``duration_seconds``; past ``warning_seconds`` it is near a breach.
    Unlike a timeout nothing is stopped: a breach is recorded and told
    (docs/operations.md, "SLAs")."""

    duration_seconds: float
    warning_seconds: float | None = None


@dataclass
class RetrySpec:
    """How often a step attempt is repeated and how long to wait in between
    (exponential backoff: ``initial * coefficient**(n-1)``, capped)."""

    max_attempts: int = 1
    initial_interval_seconds: float = 1.0
    backoff_coefficient: float = 2.0
    max_interval_seconds: float = 60.0
    # format 3: "exponential" (above), "constant" (always the initial
    # interval) or "linear" (initial × attempt); plus a random jitter in
    # [low, high] seconds (Temporal's deterministic random); and no retry
    # once this long has passed since the first attempt
    backoff: str = "exponential"
    jitter_seconds: list[float] | None = None
    max_duration_seconds: float | None = None
    # a catch's retry: each attempt of the caught node at most this long
    # (past it, the attempt fails with a timeout error)
    attempt_timeout_seconds: float | None = None


@dataclass
class PlanStep:
    """One unit of work. ``action`` and ``compensation`` are action dicts
    (``{"type": "api_call", ...}``) already validated by the front end;
    placeholders in them are resolved when the step runs."""

    id: str
    name: str
    action: dict[str, Any]
    after: list[str] = field(default_factory=list)
    compensation: dict[str, Any] | None = None
    # fields laid over `compensation`, computed when the node completes (its
    # output is `.`, its input `$input`), as `action_from` is for `action`
    compensation_from: Expr | None = None
    timeout_seconds: float = 300.0
    retry: RetrySpec = field(default_factory=RetrySpec)
    critical: bool = True
    agent_type: str | None = None
    description: str | None = None
    parallel_group: str | None = None
    # A resource pool: at most PlanOptions.pool_limits[pool] steps of the pool
    # run at once (projects: "agents", for max_parallel_agents).
    pool: str | None = None
    # Compensate this step also when it started but did not complete (failed
    # or cancelled): its compensation must undo whatever part was done and be
    # harmless when nothing was (project phases: remove branch and worktree).
    compensate_attempted: bool = False
    # When the step is cancelled while an attempt runs, its effect is unknown.
    # With this, Baton settles it during compensation by repeating the forward
    # action with the same idempotency key, then compensates with that output.
    compensate_if_unknown: bool = False
    # ---- format 3: control ------------------------------------------------
    kind: str = NodeKind.ACTION
    # the whole node, all attempts included (a wait, a scope, a loop, a
    # sub-process); past it the node fails with a "timeout" error
    deadline_seconds: float | None = None
    # evaluated when the node would start: false passes over it (SKIPPED,
    # its data goes on unchanged, the nodes after it still run)
    when: Expr | None = None
    join: str = Join.ALL
    # outgoing edges: without routes, to every node that lists this one in
    # `after`; with routes, to the first that holds (route_mode "first") or
    # every one that holds ("all"); the others get dead tokens
    routes: list[Route] = field(default_factory=list)
    route_mode: str = "first"
    catch: list[Catch] = field(default_factory=list)
    # data: `input` turns the incoming data into the node's input, `output`
    # its raw output (as `output`) into what it hands on, and `export` makes a
    # new context from that (process variables); all see `context`
    input: Expr | None = None
    output: Expr | None = None
    export: Expr | None = None
    # action: fields computed before each attempt from the node's input (an
    # expression giving an object), laid over `action` (the process
    # language's call arguments)
    action_from: Expr | None = None
    body: list[PlanStep] = field(default_factory=list)  # scope, loop
    # scope, loop: the node's input is also this name for the body's
    # expressions (a catch handler's error: the process language's `as`)
    input_as: str | None = None
    # scope: undo what completed inside when the scope fails, before its
    # catch handles the failure (a transaction)
    compensate_on_error: bool = False
    # scope: "all" ends when nothing runs in it; "first" when the first node
    # with no way on completes (the others are cancelled: a race)
    complete_on: str = "all"
    loop: LoopSpec | None = None
    wait: WaitSpec | None = None
    value: Expr | None = None  # set
    error: ErrorSpec | None = None  # raise
    subprocess: Plan | None = None
    # action, sub-process: start it and go on without waiting for its end;
    # the node's output is its input (the process language's `await: false`)
    detached: bool = False
    # deadline_seconds given by an expression (a duration), evaluated with
    # the node's input as it starts
    deadline_expr: Expr | None = None
    # JSON Schemas: the node's raw input (before `input`) and its output
    # (after `output`) must match them, else it fails with a validation error
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    # ---- format 4: events while the node runs, and throws ------------------
    triggers: list[Trigger] = field(default_factory=list)
    throw: ThrowSpec | None = None
    # tokens: with join "each", this many live tokens (from any of its
    # edges) start it once; when it ends, this many go along each edge
    # (BPMN's startQuantity and completionQuantity)
    tokens_in: int = 1
    tokens_out: int = 1
    # a node that undoes this one, instead of `compensation` (BPMN's
    # compensation handler): an action, a set (its value over the context,
    # then its export) or a noop; it sees this node's output as its input
    undo_with: PlanStep | None = None
    # format 4: a decide node's decision (docs/dmn.md, "Decisions in definitions")
    decide: DecisionSpec | None = None
    # a subprocess node that is a saga's `run` step (its input template, its
    # output, its undo); None on every other node and on plans from before
    child: ChildRunSpec | None = None
    # run its actions as local activities, in the workflow's own task: no
    # task-queue round trip per attempt (plan/dispatch.py decides; None on a
    # plan from before is "no"). Definitions may ask (True/False); the
    # client settles the rest when it starts the run.
    local: bool | None = None
    # the step's service level (None: none declared)
    sla: SlaSpec | None = None
    # its action's placeholders were filled before the run (an undo run's,
    # made from a run that ended): the interpreter runs it as written
    literal: bool = False
    # how long its activity may go without a heartbeat before its worker
    # counts as lost (None: the plan's option, else 10 s)
    heartbeat_timeout_seconds: float | None = None


@dataclass
class PlanOptions:
    """Whole-run options: a deadline, and who is alerted when it fails."""

    deadline_seconds: float | None = None
    alert_on_failure: bool = False
    notification_channels: list[str] = field(default_factory=list)
    # How soon a silent activity (a dead worker) is retried; None = 10 s (the interpreter default).
    heartbeat_timeout_seconds: float | None = None
    # how many steps of each resource pool run at once (PlanStep.pool)
    pool_limits: dict[str, int] = field(default_factory=dict)
    # format 1: at most this many agent phases at once (now pool_limits)
    max_parallel: int | None = None
    estimated_duration_hours: float | None = None
    # how the plan was made (planner used, or why it was not)
    notes: list[str] = field(default_factory=list)
    # what the front end found wrong but could run anyway (shown by
    # validate and run; a BPMN model's advisory rule violations)
    warnings: list[str] = field(default_factory=list)
    compensation_retry: RetrySpec = field(
        default_factory=lambda: RetrySpec(max_attempts=5, initial_interval_seconds=1.0)
    )
    # the entry point the definition came through (cli, api, mcp, trigger,
    # dashboard): workers apply the execution policy for it
    origin: str = "api"
    # where the result is (placeholders filled from step outputs), shown when
    # the run completes
    result: dict[str, Any] | None = None
    # an action run when the run ends, whatever the outcome (after any
    # compensation), e.g. removing a project's own worktree
    cleanup: dict[str, Any] | None = None
    # format 3: the run's output, evaluated with the data that reached the
    # end of the plan as `output` (None: the run has no output)
    output: Expr | None = None
    # the run's input as the first nodes get it, made from the input given
    # at start (`input`)
    input: Expr | None = None
    # how a failed run ends when nothing needed undoing: sagas say
    # COMPENSATED (as always); processes FAILED
    failed_status: str = "COMPENSATED"
    # what the process language's `$runtime` is (name, version, metadata):
    # the Baton that compiled the plan (None: plans made before it was kept)
    runtime: dict[str, Any] | None = None
    # JSON Schemas of the run's input as given (before `input`) and of its
    # output (after `output`)
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    # long loops (engine/batches.py): a batch run's items, count and input,
    # and the history length past which loops batch (None: 10,000 events)
    batch: dict[str, Any] | None = None
    batch_after_events: int | None = None
    batch_events: int | None = None
    # what Baton's error types are called in the definition's language (a
    # catch matches, and the run reports, these names), e.g. "timeout" ->
    # "https://open-workflow-specification.org/spec/1.0.0/errors/timeout"
    error_types: dict[str, str] = field(default_factory=dict)
    # the run's service level (None: none declared)
    sla: SlaSpec | None = None
    # data only, never read by the interpreter: a BPMN model's XML as given,
    # kept when it has diagram information (a BPMNDiagram with a BPMNShape)
    # and is at most MAX_DIAGRAM_BYTES, so that whoever reads the run (the
    # dashboard) can draw the model as modelled; None otherwise (the
    # process's own plan only: a called process's plan does not carry it)
    diagram: str | None = None
    # with a diagram: the nodes whose id is not the id of the BPMN element
    # they stand for (node id -> element id), e.g. an event-based gateway's
    # wait "gateway>event" -> "event", a loop's body "task/run" -> "task"
    diagram_ids: dict[str, str] = field(default_factory=dict)


# the most of a model's XML a plan keeps as its diagram (UTF-8 bytes)
MAX_DIAGRAM_BYTES = 512 * 1024


@dataclass
class Plan:
    kind: str
    id: str
    name: str
    steps: list[PlanStep]
    description: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    options: PlanOptions = field(default_factory=PlanOptions)
    format_version: int = PLAN_FORMAT_VERSION

    def step(self, step_id: str) -> PlanStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def walk(steps: list[PlanStep], where: str = "steps") -> Iterator[tuple[str, PlanStep]]:
    """Every node of a scope and of the scopes inside it (bodies, and the
    plans of sub-processes), each with its path (``steps[2].body[0]``)."""
    for index, step in enumerate(steps):
        path = f"{where}[{index}]"
        yield path, step
        yield from walk(step.body, f"{path}.body")
        if step.subprocess is not None:
            yield from walk(step.subprocess.steps, f"{path}.subprocess.steps")


@dataclass
class RunInput:
    """The input of every interpreted workflow: the plan, and the data the
    run starts with (the first nodes' input; ``workflow.input``)."""

    plan: Plan
    input: Any = None


# ---- approvals: the input of the approval workflow -------------------------

APPROVAL_FORMAT_VERSION = 1


@dataclass
class EscalationSpec:
    after_seconds: float
    notify: list[str] = field(default_factory=list)
    add_approvers: list[str] = field(default_factory=list)


@dataclass
class StageSpec:
    name: str
    approvers: list[str]  # user ids, groups expanded
    quorum: int
    quorum_label: str  # "any", "all" or "N of M", for people
    reject_threshold: int = 1
    timeout_seconds: float | None = None
    on_timeout: str = "reject"
    escalation: EscalationSpec | None = None
    remind_every_seconds: float | None = None


@dataclass
class ApprovalSpec:
    approval_id: str
    stage: str
    description: str
    stages: list[StageSpec]
    context: dict[str, Any] = field(default_factory=dict)
    workflow_id: str | None = None
    notify: list[str] = field(default_factory=list)
    callback_url: str | None = None
    format_version: int = APPROVAL_FORMAT_VERSION
    # send each eligible approver a personal notice (their `notify` channel
    # under `identities:` in the worker's baton.yaml), with decision links
    notify_approvers: bool = False
    origin: str = "api"  # the entry point it came through (execution policy)
    # report to the inbox index (baton.yaml `inbox: {index: true}`)
    inbox_index: bool = False
